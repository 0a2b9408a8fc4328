//! Chip Authentication (ICAO Doc 9303-11 §6.2; BSI TR-03110-1 §3.2, TR-03110-3 §B.11): both
//! sides, ECDH on NIST P-256 and brainpoolP256r1.
//!
//! The chip proves it holds the private key of the static key pair DG14 announces (DG14 is
//! hashed into EF.SOD, so passive authentication makes the key genuine): the terminal sends an
//! ephemeral public key `PK_PCD`, both sides compute `K = x(SK_IC·PK_PCD) = x(SK_PCD·PK_IC)`,
//! derive `KSenc = KDF(K, 1)`, `KSmac = KDF(K, 2)` (9303-11 §9.7.1) and restart secure messaging
//! with them and the send sequence counter at zero. Only a chip holding `SK_IC` can answer the
//! next protected command: the reader sends SELECT of the eMRTD application under the new keys
//! and a MAC that does not verify means the chip is not the one DG14 names.
//!
//! APDUs, under the secure messaging of BAC or PACE:
//! - 3DES (`id-CA-ECDH-3DES-CBC-CBC`, Chip Authentication version 1): MSE:Set KAT
//!   `00 22 41 A6 {91 PK_PCD, [84 keyId]}`;
//! - AES (`id-CA-ECDH-AES-CBC-CMAC-128/192/256`): MSE:Set AT `00 22 41 A4 {80 OID, [84 keyId]}`
//!   then GENERAL AUTHENTICATE `00 86 00 00 7C {80 PK_PCD}`, answered `7C 00`.
//!
//! The chip's answer to the last command still goes out under the old session; the new one
//! starts with the next command. The key id is sent when DG14 gives one (it must when the chip
//! holds several keys, 9303-11 §9.2.6).
//!
//! A static public key is read from its SubjectPublicKeyInfo whatever way the chip names the
//! curve: `id-ecPublicKey` with a named curve (RFC 5480) or explicit parameters (RFC 3279
//! §2.3.5, matched against the supported curves), or TR-03110's `standardizedDomainParameters`
//! with a parameter id (TR-03110-3 §A.2.1.1). Keys this crate writes use the named curve.
//!
//! The reader's result, [`ChipAuthentication`], carries what Terminal Authentication needs
//! next: the terminal's ephemeral public key (whose compressed form TA signs, 9303-11 §7.1);
//! the restarted session is the [`Secured`] channel itself.

use crate::channel::CardChannel;
use crate::crypto::{self, Cipher, KDF_ENC, KDF_MAC};
use crate::ec::{Domain, Ec};
use crate::random::RandomSource;
use crate::secured::Secured;
use crate::sm::{SmError, SmSession};
use crate::{ChipError, Denial, Malformation, Unsupported, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{ChipAuthenticationOffer, ObjectIdentifier};
use permitkit_model::secret::SecretBytes;

/// DER content of `id-ecPublicKey` (1.2.840.10045.2.1, RFC 5480 §2.1.1).
pub const ID_EC_PUBLIC_KEY: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// DER content of `standardizedDomainParameters` (0.4.0.127.0.7.1.2, TR-03110-3 §A.2.1.1).
pub const STANDARDIZED_DOMAIN_PARAMETERS: [u8; 7] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02];
/// DER content of `prime-field` (1.2.840.10045.1.1, RFC 3279 §2.3.5).
const PRIME_FIELD: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];

const SEQUENCE: Tag = Tag::new(0x30);
const OID: Tag = Tag::new(0x06);
const INTEGER: Tag = Tag::new(0x02);
const OCTET_STRING: Tag = Tag::new(0x04);
const BIT_STRING: Tag = Tag::new(0x03);

/// A chip's static Chip Authentication public key: its curve and uncompressed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaPublicKey {
    /// The curve.
    pub domain: Domain,
    /// The point, SEC1 uncompressed (`04 ‖ x ‖ y`).
    pub point: Vec<u8>,
}

impl CaPublicKey {
    /// Reads a DER SubjectPublicKeyInfo (see the module documentation for the forms accepted)
    /// and checks the point is on the curve.
    pub fn from_spki(spki: &[u8]) -> Result<Self, ChipError> {
        let what = "Chip Authentication public key";
        let malformed = |reason| ChipError::Malformed { what, reason };
        let outer = tlv::parse_single(spki, SEQUENCE)?;
        let mut r = outer.children()?;
        let algorithm = r.expect(SEQUENCE)?;
        let key = r.expect(BIT_STRING)?;
        r.finish()?;
        let mut a = algorithm.children()?;
        let oid = a.expect(OID)?;
        let domain = if oid.value() == STANDARDIZED_DOMAIN_PARAMETERS {
            let id = a.expect(INTEGER)?;
            let id = match id.value() {
                [b] => u32::from(*b),
                _ => return Err(malformed(Malformation::UnknownDomain)),
            };
            Domain::from_parameter_id(id).ok_or(Unsupported::CaDomain)?
        } else if oid.value() == ID_EC_PUBLIC_KEY {
            let params = a.read()?;
            if params.tag() == OID {
                Domain::from_curve_oid(params.value()).ok_or(Unsupported::CaDomain)?
            } else if params.tag() == SEQUENCE {
                explicit_domain(params.children()?)?
            } else {
                return Err(malformed(Malformation::UnknownDomain));
            }
        } else {
            return Err(Unsupported::CaKey.into());
        };
        let point = match key.value().split_first() {
            Some((0, point)) => point.to_vec(),
            _ => return Err(malformed(Malformation::NotOnCurve)),
        };
        Ec(domain).check_point(&point)?;
        Ok(Self { domain, point })
    }

    /// The DER SubjectPublicKeyInfo: `id-ecPublicKey` with the named curve (RFC 5480).
    pub fn to_spki(&self) -> Result<Vec<u8>, ChipError> {
        let mut bits = Vec::with_capacity(self.point.len() + 1);
        bits.push(0);
        bits.extend_from_slice(&self.point);
        let mut w = tlv::Writer::new();
        w.constructed(SEQUENCE, |w| {
            w.constructed(SEQUENCE, |w| {
                w.primitive(OID, &ID_EC_PUBLIC_KEY);
                w.primitive(OID, self.domain.curve_oid());
            });
            w.primitive(BIT_STRING, &bits);
        });
        Ok(w.finish()?)
    }
}

/// `ECParameters ::= SEQUENCE { version, fieldID SEQUENCE { prime-field, p }, curve SEQUENCE
/// { a, b, seed OPTIONAL }, base, order, cofactor OPTIONAL }` matched against the supported
/// curves.
fn explicit_domain(mut r: tlv::Reader<'_>) -> Result<Domain, ChipError> {
    r.expect(INTEGER)?;
    let field = r.expect(SEQUENCE)?;
    let mut f = field.children()?;
    if f.expect(OID)?.value() != PRIME_FIELD {
        return Err(Unsupported::CaDomain.into());
    }
    let p = f.expect(INTEGER)?;
    let curve = r.expect(SEQUENCE)?;
    let mut c = curve.children()?;
    let a = c.expect(OCTET_STRING)?;
    let b = c.expect(OCTET_STRING)?;
    let base = r.expect(OCTET_STRING)?;
    Domain::from_explicit(p.value(), a.value(), b.value(), base.value())
        .ok_or_else(|| Unsupported::CaDomain.into())
}

/// What the reader runs: the protocol, the key id to name and the chip's static key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaParams {
    /// The `id-CA-*` OID.
    pub protocol: ObjectIdentifier,
    /// The session cipher it names.
    pub cipher: Cipher,
    /// The key id to send in tag `84`, when DG14 gives one.
    pub key_id: Option<u32>,
    /// The chip's static public key.
    pub public_key: CaPublicKey,
}

impl CaParams {
    /// Checks that `offer` (from DG14 or EF.CardSecurity) names something this crate runs:
    /// ECDH on a supported curve.
    pub fn from_offer(offer: &ChipAuthenticationOffer) -> Result<Self, ChipError> {
        if !offer.ca_protocol.ecdh {
            return Err(Unsupported::CaKey.into());
        }
        Ok(Self {
            protocol: offer.protocol,
            cipher: offer.ca_protocol.cipher,
            key_id: offer.key_id,
            public_key: CaPublicKey::from_spki(&offer.public_key)?,
        })
    }
}

/// A successful Chip Authentication, as the reader saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthentication {
    /// The `id-CA-*` protocol run.
    pub protocol: ObjectIdentifier,
    /// The cipher of the restarted session.
    pub cipher: Cipher,
    /// The key id named, if any.
    pub key_id: Option<u32>,
    /// The curve.
    pub domain: Domain,
    /// The terminal's ephemeral public key `PK_PCD` (SEC1 uncompressed).
    pub terminal_public_key: Vec<u8>,
}

impl ChipAuthentication {
    /// `Comp(PK_PCD)`: the x-coordinate of the terminal's ephemeral key, the value Terminal
    /// Authentication signs (9303-11 §7.1, TR-03110-3 §A.2.2.3).
    pub fn compressed_terminal_key(&self) -> &[u8] {
        let n = Ec(self.domain).field_len();
        self.terminal_public_key.get(1..=n).unwrap_or_default()
    }
}

/// The key id as the content of data object `84`: big-endian, without leading zeros.
pub fn key_reference(key_id: u32) -> Vec<u8> {
    let bytes = key_id.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(3);
    bytes.get(first..).unwrap_or_default().to_vec()
}

/// The key id of a data object `84` value (1 to 4 bytes).
pub fn key_id_from_reference(value: &[u8]) -> Option<u32> {
    if value.is_empty() || value.len() > 4 {
        return None;
    }
    Some(value.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// The session keys of `K`: `KSenc = KDF(K, 1)`, `KSmac = KDF(K, 2)`, SSC zero.
pub fn session(cipher: Cipher, shared: &SecretBytes) -> Result<SmSession, ChipError> {
    Ok(SmSession::new(
        cipher,
        crypto::kdf(shared.expose(), KDF_ENC, cipher),
        crypto::kdf(shared.expose(), KDF_MAC, cipher),
        &[],
    )?)
}

/// Runs Chip Authentication over `channel` (secure messaging after BAC or PACE, the eMRTD
/// application selected) with a fresh ephemeral key from `rng`, restarts secure messaging with
/// the new keys, and proves the chip derived them too (a SELECT of the application).
pub fn authenticate<C: CardChannel>(
    channel: &mut Secured<C>,
    params: &CaParams,
    rng: &mut dyn RandomSource,
) -> Result<ChipAuthentication, ChipError> {
    let ec = Ec(params.public_key.domain);
    let sk = ec.random_scalar(rng)?;
    let pk = ec.mul_generator(sk.expose())?;
    let refused = |sw| ChipError::AccessDenied {
        protocol: "Chip Authentication",
        reason: Denial::ChipAuthenticationRefused(sw),
    };
    if params.cipher == Cipher::Tdes {
        // MSE:Set KAT
        let mut w = tlv::Writer::new();
        w.primitive(Tag::new(0x91), &pk);
        if let Some(id) = params.key_id {
            w.primitive(Tag::new(0x84), &key_reference(id));
        }
        let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA6)
            .with_data(w.finish()?)
            .map_err(ChipError::from_apdu)?;
        let sw = channel.transmit(&cmd)?.sw();
        if !sw.is_success() {
            return Err(refused(sw));
        }
    } else {
        // MSE:Set AT
        let mut w = tlv::Writer::new();
        w.primitive(Tag::new(0x80), params.protocol.as_bytes());
        if let Some(id) = params.key_id {
            w.primitive(Tag::new(0x84), &key_reference(id));
        }
        let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA4)
            .with_data(w.finish()?)
            .map_err(ChipError::from_apdu)?;
        let sw = channel.transmit(&cmd)?.sw();
        if !sw.is_success() {
            return Err(refused(sw));
        }
        // GENERAL AUTHENTICATE
        let mut w = tlv::Writer::new();
        w.constructed(Tag::new(0x7C), |w| {
            w.primitive(Tag::new(0x80), &pk);
        });
        let cmd = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
            .with_data(w.finish()?)
            .and_then(|c| c.with_le(256))
            .map_err(ChipError::from_apdu)?;
        let r = channel.transmit(&cmd)?;
        if !r.sw().is_success() {
            return Err(refused(r.sw()));
        }
        tlv::parse_single(r.data(), Tag::new(0x7C))?;
    }
    let shared = ec.shared_x(&params.public_key.point, sk.expose())?;
    channel.restart(session(params.cipher, &shared)?);
    // Only a chip holding SK_IC derived the same keys: the first protected answer proves it.
    match crate::files::select_application(channel) {
        Ok(()) => {}
        Err(ChipError::Transport(crate::TransportError::SecureMessaging(
            SmError::WrongMac | SmError::SessionEnded(_) | SmError::MissingDataObject(_),
        ))) => {
            return Err(ChipError::AccessDenied {
                protocol: "Chip Authentication",
                reason: Denial::ChipAuthenticationFailed,
            });
        }
        Err(e) => return Err(e),
    }
    Ok(ChipAuthentication {
        protocol: params.protocol,
        cipher: params.cipher,
        key_id: params.key_id,
        domain: params.public_key.domain,
        terminal_public_key: pk,
    })
}

/// A static Chip Authentication key pair as a chip holds it.
#[derive(Clone)]
pub struct CaKeyPair {
    /// Its key id (DG14's keyId), when the chip holds several keys or runs PACE-CAM with it.
    pub key_id: Option<u32>,
    /// The curve.
    pub domain: Domain,
    /// The private key, PKCS#8 DER.
    pub private_key: SecretBytes,
}

/// The private key never shows: `Debug` names the key id and the curve.
impl std::fmt::Debug for CaKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaKeyPair")
            .field("key_id", &self.key_id)
            .field("domain", &self.domain)
            .field("private_key", &self.private_key)
            .finish()
    }
}

impl CaKeyPair {
    /// A key pair from its PKCS#8 DER private key (P-256 or brainpoolP256r1).
    pub fn from_pkcs8(key_id: Option<u32>, private_key: SecretBytes) -> Option<Self> {
        let (domain, _) = crate::ec::private_key_from_pkcs8(private_key.expose())?;
        Some(Self {
            key_id,
            domain,
            private_key,
        })
    }

    /// A fresh key pair on `domain`.
    pub fn generate(
        key_id: Option<u32>,
        domain: Domain,
        rng: &mut dyn RandomSource,
    ) -> Result<Self, ChipError> {
        let (private_key, _) = crate::ec::generate_key_pair(domain, rng)?;
        Ok(Self {
            key_id,
            domain,
            private_key,
        })
    }

    /// The public key.
    pub fn public_key(&self) -> Result<CaPublicKey, ChipError> {
        Ok(CaPublicKey {
            domain: self.domain,
            point: crate::ec::public_point(self.domain, &self.private_key)?,
        })
    }

    /// The private scalar.
    pub(crate) fn scalar(&self) -> Option<SecretBytes> {
        Ec(self.domain).private_from_pkcs8(self.private_key.expose())
    }

    /// Chip side of the key agreement: the session for the terminal's ephemeral key `pk_pcd`.
    /// A point that is not on the key's curve is `6A80` (wrong data), never a panic.
    pub fn agree(&self, cipher: Cipher, pk_pcd: &[u8]) -> Result<SmSession, StatusWord> {
        let sk = self.scalar().ok_or(StatusWord::REFERENCE_DATA_NOT_USABLE)?;
        let shared = Ec(self.domain)
            .shared_x(pk_pcd, sk.expose())
            .map_err(|_| StatusWord::WRONG_DATA)?;
        session(cipher, &shared).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)
    }
}

/// The template GENERATE ASYMMETRIC KEY PAIR answers for a key on `domain`:
/// `7F49 {06 <curve OID>, 86 <uncompressed point>}` (the data objects of TR-03110-3 §D.3.3).
pub fn public_key_template(key: &CaPublicKey) -> Result<Vec<u8>, ChipError> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x7F49), |w| {
        w.primitive(OID, key.domain.curve_oid());
        w.primitive(Tag::new(0x86), &key.point);
    });
    Ok(w.finish()?)
}

/// The public key of a template `7F49 {06 <curve OID>, 86 point}`.
pub fn public_key_from_template(template: &[u8]) -> Result<CaPublicKey, ChipError> {
    let outer = tlv::parse_single(template, Tag::new(0x7F49))?;
    let mut r = outer.children()?;
    let oid = r.expect(OID)?;
    let point = r.expect(Tag::new(0x86))?;
    let domain = Domain::from_curve_oid(oid.value()).ok_or(Unsupported::CaDomain)?;
    Ec(domain).check_point(point.value())?;
    Ok(CaPublicKey {
        domain,
        point: point.value().to_vec(),
    })
}

/// `00 46 00 00` with `A4 {84 keyId, 06 <curve OID>}`: the permitkit-v1 form of GENERATE
/// ASYMMETRIC KEY PAIR (ISO/IEC 7816-8 §5.1) for a Chip Authentication key (see
/// `hardware-profiles/chips/README.md`); without a data field the command makes the Active
/// Authentication key.
pub fn generate_on_chip(
    channel: &mut dyn CardChannel,
    key_id: Option<u32>,
    domain: Domain,
) -> Result<CaPublicKey, ChipError> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0xA4), |w| {
        if let Some(id) = key_id {
            w.primitive(Tag::new(0x84), &key_reference(id));
        }
        w.primitive(OID, domain.curve_oid());
    });
    let cmd = CommandApdu::new(0x00, 0x46, 0x00, 0x00)
        .with_data(w.finish()?)
        .and_then(|c| c.with_le(256))
        .map_err(ChipError::from_apdu)?;
    let r = crate::files::transmit(channel, &cmd)?;
    match r.sw() {
        StatusWord::SUCCESS => {}
        StatusWord::CONDITIONS_NOT_SATISFIED => return Err(ChipError::CardLocked),
        sw => expect_success("GENERATE ASYMMETRIC KEY PAIR", sw)?,
    }
    let key = public_key_from_template(r.data())?;
    if key.domain != domain {
        return Err(ChipError::Malformed {
            what: "public key template 7F49",
            reason: Malformation::UnknownDomain,
        });
    }
    Ok(key)
}

/// What a GENERATE ASYMMETRIC KEY PAIR data field asks for: a Chip Authentication key with this
/// id on this curve (`A4 {[84 keyId], 06 curve}`); an error status when it is not that.
pub fn parse_generate_request(data: &[u8]) -> Result<(Option<u32>, Domain), StatusWord> {
    let wrong = |_| StatusWord::WRONG_DATA;
    let outer = tlv::parse_single(data, Tag::new(0xA4)).map_err(wrong)?;
    let mut r = outer.children().map_err(wrong)?;
    let key_id = match r.optional(Tag::new(0x84)).map_err(wrong)? {
        Some(t) => Some(key_id_from_reference(t.value()).ok_or(StatusWord::WRONG_DATA)?),
        None => None,
    };
    let curve = r.expect(OID).map_err(wrong)?;
    r.finish().map_err(wrong)?;
    let domain = Domain::from_curve_oid(curve.value()).ok_or(StatusWord::FUNCTION_NOT_SUPPORTED)?;
    Ok((key_id, domain))
}

/// PUT DATA `00 DA 00 6B` content for an injected Chip Authentication key (permitkit-v1):
/// `6B {[84 keyId], 04 <PKCS#8 DER>}`.
pub fn put_data_content(key: &CaKeyPair) -> Result<zeroize::Zeroizing<Vec<u8>>, ChipError> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x6B), |w| {
        if let Some(id) = key.key_id {
            w.primitive(Tag::new(0x84), &key_reference(id));
        }
        w.primitive(OCTET_STRING, key.private_key.expose());
    });
    Ok(zeroize::Zeroizing::new(w.finish()?))
}

/// Chip side of [`put_data_content`].
pub fn parse_put_data(data: &[u8]) -> Result<CaKeyPair, StatusWord> {
    let wrong = |_| StatusWord::WRONG_DATA;
    let outer = tlv::parse_single(data, Tag::new(0x6B)).map_err(wrong)?;
    let mut r = outer.children().map_err(wrong)?;
    let key_id = match r.optional(Tag::new(0x84)).map_err(wrong)? {
        Some(t) => Some(key_id_from_reference(t.value()).ok_or(StatusWord::WRONG_DATA)?),
        None => None,
    };
    let der = r.expect(OCTET_STRING).map_err(wrong)?;
    r.finish().map_err(wrong)?;
    CaKeyPair::from_pkcs8(key_id, SecretBytes::from_slice(der.value()))
        .ok_or(StatusWord::WRONG_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    // BSI "Worked Example for Extended Access Control (EAC)" v1.01, ECDH example
    // (brainpoolP256r1, id-CA-ECDH-AES-CBC-CMAC-128), as reproduced in OpenPACE src/eactest.c
    // (tc_ecdh_ca_*).
    const CA_PICC_PRIVATE: &str =
        "7984674CF3B3A524BF929CE8A67FCF22173DA0BAD595EED6DEB72D22C542FA9D";
    const CA_PICC_PUBLIC: &str = "04 A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A \
                                  46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94";
    const CA_PCD_PRIVATE: &str =
        "00A6A4D255C5BF7A77EC3D0553DB74F693CF044E18C98364D4977A296108AF19BD";
    const CA_PCD_PUBLIC: &str = "04 5A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799 \
                                 A34EE57EC55268CF8B1C3EC489F8BF4CF4C68D3FD9670E89C0D5D3FFF1AAF89F";
    const CA_K: &str = "791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4";
    const CA_NONCE: &str = "4287B3072A3EDC60";

    #[test]
    fn key_agreement_matches_the_bsi_eac_worked_example() {
        let ec = Ec(Domain::BrainpoolP256r1);
        // The 33-byte private key has a leading zero: a 256-bit scalar.
        let pcd = h(CA_PCD_PRIVATE);
        let pcd = &pcd[1..];
        assert_eq!(
            ec.mul_generator(&h(CA_PICC_PRIVATE)).unwrap(),
            h(CA_PICC_PUBLIC)
        );
        assert_eq!(ec.mul_generator(pcd).unwrap(), h(CA_PCD_PUBLIC));
        let k_chip = ec.shared_x(&h(CA_PCD_PUBLIC), &h(CA_PICC_PRIVATE)).unwrap();
        let k_terminal = ec.shared_x(&h(CA_PICC_PUBLIC), pcd).unwrap();
        assert_eq!(k_chip.expose(), h(CA_K));
        assert_eq!(k_terminal.expose(), h(CA_K));
        // The worked example runs TR-03110 Chip Authentication version 2, which appends the
        // chip's nonce r to K before the counter: KDF(K ‖ r, c). Its KSmac and KSenc:
        let with_nonce = [h(CA_K), h(CA_NONCE)].concat();
        assert_eq!(
            crypto::kdf(&with_nonce, KDF_ENC, Cipher::Aes128).expose(),
            h("94ABCD271AB7D9A5590BA52CB518B831")
        );
        assert_eq!(
            crypto::kdf(&with_nonce, KDF_MAC, Cipher::Aes128).expose(),
            h("78B5709E7ABEDB185B424D0EE3A82499")
        );
        // 9303-11 §6.2 (version 1 semantics, no nonce) derives from K alone.
        let s = session(Cipher::Aes128, &SecretBytes::new(h(CA_K))).unwrap();
        assert_eq!(s.ssc(), [0u8; 16]);
    }

    #[test]
    fn the_worked_example_card_security_key_reads_with_standardized_domain_parameters() {
        // The SubjectPublicKeyInfo of the worked example's ChipAuthenticationPublicKeyInfo
        // (EF.CardSecurity, eactest.c tc_ecdh_ef_cardsecurity): standardizedDomainParameters 13.
        let spki = h(&format!(
            "3052 300C 0607 04007F0007010202 01 0D 0342 00 {}",
            CA_PICC_PUBLIC.replace(' ', "")
        )
        .replace(' ', ""));
        let key = CaPublicKey::from_spki(&spki).unwrap();
        assert_eq!(key.domain, Domain::BrainpoolP256r1);
        assert_eq!(key.point, h(CA_PICC_PUBLIC));
        // Written back with the named curve, and read again.
        let named = key.to_spki().unwrap();
        assert_eq!(CaPublicKey::from_spki(&named).unwrap(), key);
    }

    #[test]
    fn explicit_parameters_name_the_curve_and_unknown_curves_are_unsupported() {
        // brainpoolP256r1 as explicit ECParameters (9303-11 Appendix I.1's encoding).
        let g = Ec(Domain::BrainpoolP256r1).mul_generator(&[1]).unwrap();
        let eq = Domain::BrainpoolP256r1.equation();
        let mut w = tlv::Writer::new();
        let (p, a, b) = (h(eq.p), h(eq.a), h(eq.b));
        let key = h(CA_PICC_PUBLIC);
        w.constructed(SEQUENCE, |w| {
            w.constructed(SEQUENCE, |w| {
                w.primitive(OID, &ID_EC_PUBLIC_KEY);
                w.constructed(SEQUENCE, |w| {
                    w.primitive(INTEGER, &[1]);
                    w.constructed(SEQUENCE, |w| {
                        w.primitive(OID, &PRIME_FIELD);
                        w.primitive(INTEGER, &[&[0][..], &p].concat());
                    });
                    w.constructed(SEQUENCE, |w| {
                        w.primitive(OCTET_STRING, &a);
                        w.primitive(OCTET_STRING, &b);
                    });
                    w.primitive(OCTET_STRING, &g);
                    w.primitive(
                        INTEGER,
                        &h("00A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
                    );
                    w.primitive(INTEGER, &[1]);
                });
            });
            w.primitive(BIT_STRING, &[&[0][..], &key].concat());
        });
        let spki = w.finish().unwrap();
        assert_eq!(
            CaPublicKey::from_spki(&spki).unwrap().domain,
            Domain::BrainpoolP256r1
        );
        // P-384 by name: unsupported, not malformed.
        let mut w = tlv::Writer::new();
        w.constructed(SEQUENCE, |w| {
            w.constructed(SEQUENCE, |w| {
                w.primitive(OID, &ID_EC_PUBLIC_KEY);
                w.primitive(OID, &[0x2B, 0x81, 0x04, 0x00, 0x22]);
            });
            w.primitive(BIT_STRING, &[&[0][..], &key].concat());
        });
        let e = CaPublicKey::from_spki(&w.finish().unwrap()).unwrap_err();
        assert!(
            matches!(e, ChipError::Unsupported(Unsupported::CaDomain)),
            "{e}"
        );
        // A point off the curve.
        let mut bad = named_spki(&key);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(CaPublicKey::from_spki(&bad).is_err());
        assert!(CaPublicKey::from_spki(&[0x30, 0x00]).is_err());
    }

    fn named_spki(point: &[u8]) -> Vec<u8> {
        CaPublicKey {
            domain: Domain::BrainpoolP256r1,
            point: point.to_vec(),
        }
        .to_spki()
        .unwrap()
    }

    #[test]
    fn chip_and_terminal_agree_on_every_cipher_and_a_bad_point_is_wrong_data() {
        for domain in [Domain::P256, Domain::BrainpoolP256r1] {
            let chip = CaKeyPair::generate(Some(1), domain, &mut OsRandom).unwrap();
            let public = chip.public_key().unwrap();
            for cipher in [Cipher::Tdes, Cipher::Aes128, Cipher::Aes192, Cipher::Aes256] {
                let ec = Ec(domain);
                let sk = ec.random_scalar(&mut OsRandom).unwrap();
                let pk = ec.mul_generator(sk.expose()).unwrap();
                let mut chip_session = chip.agree(cipher, &pk).unwrap();
                let k = ec.shared_x(&public.point, sk.expose()).unwrap();
                let mut reader_session = session(cipher, &k).unwrap();
                let cmd = CommandApdu::new(0, 0xB0, 0, 0).with_le(4).unwrap();
                let p = reader_session.protect_command(&cmd).unwrap();
                assert_eq!(chip_session.unprotect_command(&p).unwrap(), cmd);
            }
            let mut off = public.point.clone();
            off[10] ^= 0x40;
            assert_eq!(
                chip.agree(Cipher::Aes128, &off).unwrap_err(),
                StatusWord::WRONG_DATA
            );
            assert_eq!(
                chip.agree(Cipher::Aes128, &[0x04]).unwrap_err(),
                StatusWord::WRONG_DATA
            );
        }
    }

    #[test]
    fn key_references_and_templates_round_trip() {
        assert_eq!(key_reference(1), [1]);
        assert_eq!(key_reference(0), [0]);
        assert_eq!(key_reference(0x0102), [1, 2]);
        assert_eq!(key_id_from_reference(&[1, 2]), Some(0x0102));
        assert_eq!(key_id_from_reference(&[]), None);
        let pair = CaKeyPair::generate(Some(13), Domain::P256, &mut OsRandom).unwrap();
        let template = public_key_template(&pair.public_key().unwrap()).unwrap();
        assert_eq!(
            public_key_from_template(&template).unwrap(),
            pair.public_key().unwrap()
        );
        let put = put_data_content(&pair).unwrap();
        let back = parse_put_data(&put).unwrap();
        assert_eq!(back.key_id, Some(13));
        assert_eq!(back.public_key().unwrap(), pair.public_key().unwrap());
        assert!(!format!("{pair:?}").contains(&hex::encode(pair.private_key.expose())));
    }
}
