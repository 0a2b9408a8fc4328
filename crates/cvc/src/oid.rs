//! The object identifiers of Terminal Authentication (BSI TR-03110-3 Appendix A.6.4 `id-TA`,
//! Appendix C.4 terminal types; docs/spec/security-protocols.md §6).
//!
//! `bsi-de = 0.4.0.127.0.7`; `id-TA = bsi-de.2.2.2`; `id-roles = bsi-de.3.1.2`.

use std::fmt;

use sha2::Digest;

/// An OBJECT IDENTIFIER, kept as its DER content bytes (what follows tag `06` and the length).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Oid(Vec<u8>);

impl Oid {
    /// Checks DER content bytes: at least one byte, every arc ends in a byte below `80`, no arc
    /// starts with the padding byte `80`.
    pub fn from_der_content(bytes: &[u8]) -> Option<Self> {
        let last = *bytes.last()?;
        if last & 0x80 != 0 {
            return None;
        }
        let mut start_of_arc = true;
        for &b in bytes {
            if start_of_arc && b == 0x80 {
                return None;
            }
            start_of_arc = b & 0x80 == 0;
        }
        Some(Self(bytes.to_vec()))
    }

    /// The DER content bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    const fn from_static(bytes: &'static [u8]) -> StaticOid {
        StaticOid(bytes)
    }
}

/// An OID known at compile time (the constants of this module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticOid(&'static [u8]);

impl StaticOid {
    /// The DER content bytes.
    pub const fn as_bytes(self) -> &'static [u8] {
        self.0
    }

    /// As an [`Oid`].
    pub fn to_oid(self) -> Oid {
        Oid(self.0.to_vec())
    }
}

impl PartialEq<StaticOid> for Oid {
    fn eq(&self, other: &StaticOid) -> bool {
        self.0 == other.0
    }
}

impl fmt::Display for Oid {
    /// Dotted decimal (`0.4.0.127.0.7.2.2.2.2.3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut arcs: Vec<u128> = Vec::new();
        let mut acc: u128 = 0;
        for &b in &self.0 {
            acc = (acc << 7) | u128::from(b & 0x7F);
            if b & 0x80 == 0 {
                arcs.push(acc);
                acc = 0;
            }
        }
        let mut first = true;
        for (i, arc) in arcs.iter().enumerate() {
            let text = if i == 0 {
                let (x, y) = match *arc {
                    a if a < 40 => (0, a),
                    a if a < 80 => (1, a - 40),
                    a => (2, a - 80),
                };
                format!("{x}.{y}")
            } else {
                arc.to_string()
            };
            if !first {
                f.write_str(".")?;
            }
            first = false;
            f.write_str(&text)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// `id-TA-ECDSA-SHA-1` … `-SHA-512` = `id-TA.2.{1..5}`; `id-TA-RSA-*` = `id-TA.1.{1..6}`.
const ID_TA: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02];

/// `id-IS` (inspection system), `id-roles.1` = 0.4.0.127.0.7.3.1.2.1.
pub const ID_IS: StaticOid =
    Oid::from_static(&[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x01]);
/// `id-AT` (authentication terminal), 0.4.0.127.0.7.3.1.2.2.
pub const ID_AT: StaticOid =
    Oid::from_static(&[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x02]);
/// `id-ST` (signature terminal), 0.4.0.127.0.7.3.1.2.3.
pub const ID_ST: StaticOid =
    Oid::from_static(&[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x03]);

/// A hash function of the `id-TA-ECDSA-*` algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgorithm::Sha224 => sha2::Sha224::digest(data).to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// `SHA-256`, …
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha224 => "SHA-224",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }
}

/// An RSA signature scheme of `id-TA-RSA-*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaScheme {
    /// RSASSA-PKCS1-v1_5.
    Pkcs1v15,
    /// RSASSA-PSS.
    Pss,
}

/// A Terminal Authentication algorithm (TR-03110-3 A.6.4): the key's type and the signature
/// scheme its holder signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaAlgorithm {
    /// `id-TA-ECDSA-*`: ECDSA with this hash, signatures plain `r ‖ s`.
    Ecdsa(HashAlgorithm),
    /// `id-TA-RSA-*` (decoded, not verified here).
    Rsa(RsaScheme, HashAlgorithm),
}

impl TaAlgorithm {
    /// The algorithm an OID names, if it is one of `id-TA-ECDSA-*` / `id-TA-RSA-*`.
    pub fn from_oid(oid: &Oid) -> Option<Self> {
        let (prefix, rest) = oid.as_bytes().split_at_checked(ID_TA.len())?;
        if prefix != ID_TA {
            return None;
        }
        use HashAlgorithm::*;
        Some(match rest {
            [2, 1] => TaAlgorithm::Ecdsa(Sha1),
            [2, 2] => TaAlgorithm::Ecdsa(Sha224),
            [2, 3] => TaAlgorithm::Ecdsa(Sha256),
            [2, 4] => TaAlgorithm::Ecdsa(Sha384),
            [2, 5] => TaAlgorithm::Ecdsa(Sha512),
            [1, 1] => TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, Sha1),
            [1, 2] => TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, Sha256),
            [1, 3] => TaAlgorithm::Rsa(RsaScheme::Pss, Sha1),
            [1, 4] => TaAlgorithm::Rsa(RsaScheme::Pss, Sha256),
            [1, 5] => TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, Sha512),
            [1, 6] => TaAlgorithm::Rsa(RsaScheme::Pss, Sha512),
            _ => return None,
        })
    }

    /// The OID.
    pub fn oid(self) -> Oid {
        use HashAlgorithm::*;
        let tail: [u8; 2] = match self {
            TaAlgorithm::Ecdsa(Sha1) => [2, 1],
            TaAlgorithm::Ecdsa(Sha224) => [2, 2],
            TaAlgorithm::Ecdsa(Sha256) => [2, 3],
            TaAlgorithm::Ecdsa(Sha384) => [2, 4],
            TaAlgorithm::Ecdsa(Sha512) => [2, 5],
            TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, Sha512) => [1, 5],
            TaAlgorithm::Rsa(RsaScheme::Pss, Sha512) => [1, 6],
            TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, Sha1) => [1, 1],
            TaAlgorithm::Rsa(RsaScheme::Pss, Sha1) => [1, 3],
            TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, _) => [1, 2],
            TaAlgorithm::Rsa(RsaScheme::Pss, _) => [1, 4],
        };
        let mut bytes = ID_TA.to_vec();
        bytes.extend_from_slice(&tail);
        Oid(bytes)
    }

    /// The hash function of the signature scheme.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            TaAlgorithm::Ecdsa(h) | TaAlgorithm::Rsa(_, h) => h,
        }
    }

    /// True for the ECDSA algorithms.
    pub fn is_ecdsa(self) -> bool {
        matches!(self, TaAlgorithm::Ecdsa(_))
    }
}

impl fmt::Display for TaAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaAlgorithm::Ecdsa(h) => write!(f, "id-TA-ECDSA-{}", h.name()),
            TaAlgorithm::Rsa(RsaScheme::Pkcs1v15, h) => write!(f, "id-TA-RSA-v1-5-{}", h.name()),
            TaAlgorithm::Rsa(RsaScheme::Pss, h) => write!(f, "id-TA-RSA-PSS-{}", h.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ta_algorithm_oids_round_trip_and_print_dotted() {
        // TR-03110-3 A.6.4: id-TA-ECDSA-SHA-256 = 0.4.0.127.0.7.2.2.2.2.3.
        let oid = TaAlgorithm::Ecdsa(HashAlgorithm::Sha256).oid();
        assert_eq!(oid.as_bytes(), hex::decode("04007F00070202020203").unwrap());
        assert_eq!(oid.to_string(), "0.4.0.127.0.7.2.2.2.2.3");
        for bytes in [
            "04007F00070202020201",
            "04007F00070202020205",
            "04007F00070202020106",
        ] {
            let oid = Oid::from_der_content(&hex::decode(bytes).unwrap()).unwrap();
            let alg = TaAlgorithm::from_oid(&oid).unwrap();
            assert_eq!(alg.oid(), oid, "{bytes}");
        }
        assert_eq!(ID_IS.to_oid().to_string(), "0.4.0.127.0.7.3.1.2.1");
        let not_ta = Oid::from_der_content(&hex::decode("04007F00070202040202").unwrap()).unwrap();
        assert_eq!(TaAlgorithm::from_oid(&not_ta), None);
    }

    #[test]
    fn malformed_oids_are_refused() {
        assert!(Oid::from_der_content(&[]).is_none());
        assert!(
            Oid::from_der_content(&[0x04, 0x81]).is_none(),
            "ends mid-arc"
        );
        assert!(
            Oid::from_der_content(&[0x04, 0x80, 0x01]).is_none(),
            "padded arc"
        );
    }
}
