//! The curves a token's Document Signer key may be on, named by `CKA_EC_PARAMS` (the DER of
//! `ECParameters`, a namedCurve OID: RFC 5480 §2.1.1.1; PKCS #11 v2.40 Current Mechanisms
//! §2.3.3), and the SubjectPublicKeyInfo built from `CKA_EC_POINT` (RFC 5480 §2).
//!
//! ICAO Doc 9303-12 §4.1.6 admits ECDSA; this toolkit signs with P-256, P-384 and
//! brainpoolP256r1 (ecdsa-with-SHA256 for all, see `crate::ds_key`). §4.1.6.3 asks for
//! explicit domain parameters in certificates; the SubjectPublicKeyInfo built here names the
//! curve (RFC 5480), like every other key of this toolkit's certificates.

use der::{
    Any, Decode, Encode,
    asn1::{BitString, ObjectIdentifier, OctetStringRef},
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::Pkcs11Error;
use crate::ecdsa::PublicKeyInfo;

/// `id-ecPublicKey` 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// A supported curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (secp256r1), 1.2.840.10045.3.1.7.
    P256,
    /// NIST P-384 (secp384r1), 1.3.132.0.34.
    P384,
    /// brainpoolP256r1 (RFC 5639), 1.3.36.3.3.2.8.1.1.7.
    BrainpoolP256r1,
}

impl Curve {
    /// Every supported curve.
    pub const ALL: [Self; 3] = [Self::P256, Self::P384, Self::BrainpoolP256r1];

    /// The namedCurve OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
            Self::P384 => ObjectIdentifier::new_unwrap("1.3.132.0.34"),
            Self::BrainpoolP256r1 => ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7"),
        }
    }

    /// Bytes of a field element (and of each of `r`, `s`).
    pub fn field_len(self) -> usize {
        match self {
            Self::P256 | Self::BrainpoolP256r1 => 32,
            Self::P384 => 48,
        }
    }

    /// The name used on the command line (`p256`, `p384`, `brainpoolP256r1`).
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "p256",
            Self::P384 => "p384",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
        }
    }

    /// `CKA_EC_PARAMS` for this curve: the DER of its OID.
    pub fn ec_params(self) -> Vec<u8> {
        self.oid().to_der().unwrap_or_default()
    }

    /// The curve `CKA_EC_PARAMS` names.
    pub fn from_ec_params(params: &[u8]) -> Result<Self, Pkcs11Error> {
        let unsupported = || Pkcs11Error::UnsupportedCurve {
            params: ObjectIdentifier::from_der(params).map_or_else(
                |_| hex::encode(params),
                |oid: ObjectIdentifier| oid.to_string(),
            ),
        };
        let oid = ObjectIdentifier::from_der(params).map_err(|_| unsupported())?;
        Self::ALL
            .into_iter()
            .find(|c| c.oid() == oid)
            .ok_or_else(unsupported)
    }

    /// The SubjectPublicKeyInfo of the point `CKA_EC_POINT` holds: the DER of an OCTET STRING
    /// holding `04 X Y` (PKCS #11 v2.40), or, from some tokens, the bare point.
    pub fn public_key_info(self, ec_point: &[u8]) -> Result<PublicKeyInfo, Pkcs11Error> {
        let bare_len = 1 + 2 * self.field_len();
        let point = if ec_point.len() == bare_len && ec_point.first() == Some(&0x04) {
            ec_point.to_vec()
        } else {
            <&OctetStringRef>::from_der(ec_point)
                .map_err(Pkcs11Error::EcPointEncoding)?
                .as_bytes()
                .to_vec()
        };
        if point.len() != bare_len || point.first() != Some(&0x04) {
            return Err(Pkcs11Error::EcPointForm {
                curve: self.name(),
                len: point.len(),
            });
        }
        if self == Self::P256 {
            p256::PublicKey::from_sec1_bytes(&point).map_err(Pkcs11Error::EcPointNotOnCurve)?;
        }
        let bad = Pkcs11Error::PublicKeyInfo;
        let info = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ID_EC_PUBLIC_KEY,
                parameters: Some(Any::from(&self.oid())),
            },
            subject_public_key: BitString::from_bytes(&point).map_err(bad)?,
        };
        PublicKeyInfo::from_der(info.to_der().map_err(bad)?).map_err(bad)
    }
}

impl std::fmt::Display for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
        })
    }
}

impl std::str::FromStr for Curve {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s) || c.to_string().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?}: expected p256, p384 or brainpoolP256r1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spki::EncodePublicKey;

    #[test]
    fn ec_params_name_the_curve_and_others_are_refused() {
        // RFC 5480 §2.1.1.1: secp256r1 is 06 08 2A 86 48 CE 3D 03 01 07.
        assert_eq!(
            Curve::P256.ec_params(),
            hex::decode("06082a8648ce3d030107").unwrap()
        );
        assert_eq!(
            Curve::P384.ec_params(),
            hex::decode("06052b81040022").unwrap()
        );
        for c in Curve::ALL {
            assert_eq!(Curve::from_ec_params(&c.ec_params()).unwrap(), c);
            assert_eq!(c.name().parse::<Curve>().unwrap(), c);
        }
        // secp521r1 1.3.132.0.35 is named, not used.
        let err = Curve::from_ec_params(&hex::decode("06052b81040023").unwrap()).unwrap_err();
        assert!(err.to_string().contains("1.3.132.0.35"), "{err}");
        assert!(Curve::from_ec_params(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn the_point_becomes_the_same_spki_as_p256s() {
        use p256::elliptic_curve::Generate;
        let key = p256::ecdsa::SigningKey::try_generate_from_rng(&mut getrandom::SysRng).unwrap();
        let point = key.verifying_key().to_sec1_point(false);
        let wrapped = der::asn1::OctetString::new(point.as_bytes())
            .unwrap()
            .to_der()
            .unwrap();
        let expected = key.verifying_key().to_public_key_der().unwrap();
        for form in [&wrapped[..], point.as_bytes()] {
            let info = Curve::P256.public_key_info(form).unwrap();
            assert_eq!(info.as_der(), expected.as_bytes());
        }
        assert!(Curve::P256.public_key_info(&[0x04; 65]).is_err());
        assert!(Curve::P384.public_key_info(point.as_bytes()).is_err());
    }
}
