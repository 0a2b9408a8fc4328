//! EF.CardAccess and the PACEInfo it carries (ICAO Doc 9303-11 §9.2.1, §9.2.2; BSI TR-03110-3
//! §A.1.1).
//!
//! ```text
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo  ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//! PACEInfo      ::= SEQUENCE { protocol OBJECT IDENTIFIER (id-PACE-*), version INTEGER (2),
//!                              parameterId INTEGER OPTIONAL }
//! ```
//!
//! A small self-contained reader: it keeps the PACEInfos and skips every other SecurityInfo
//! (and any PACEInfo it cannot read), so a chip that lists Chip Authentication or Terminal
//! Authentication infos beside PACE is read without complaint.

use crate::crypto::Cipher;
use permitkit_iso7816::tlv::{self, Tag, TlvError};

/// `id-PACE` = 0.4.0.127.0.7.2.2.4 (BSI TR-03110-3 §A.1.1.1), DER content bytes.
pub const ID_PACE: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];

const SET: Tag = Tag::new(0x31);
const SEQUENCE: Tag = Tag::new(0x30);
const OID: Tag = Tag::new(0x06);
const INTEGER: Tag = Tag::new(0x02);

/// The mapping of a PACE protocol (9303-11 §4.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mapping {
    /// Generic mapping (`.1` DH, `.2` ECDH).
    Generic,
    /// Integrated mapping (`.3` DH, `.4` ECDH).
    Integrated,
    /// Chip authentication mapping (`.6` ECDH).
    ChipAuthentication,
}

/// A PACE protocol identifier: `id-PACE.<mapping/agreement>.<cipher>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceProtocol {
    /// The mapping.
    pub mapping: Mapping,
    /// True for elliptic-curve Diffie-Hellman, false for modular DH.
    pub ecdh: bool,
    /// The secure-messaging cipher.
    pub cipher: Cipher,
}

impl PaceProtocol {
    /// `id-PACE-ECDH-GM-AES-CBC-CMAC-128`.
    pub const ECDH_GM_AES_128: Self = Self {
        mapping: Mapping::Generic,
        ecdh: true,
        cipher: Cipher::Aes128,
    };

    /// From the content bytes of the OBJECT IDENTIFIER; `None` when it is not id-PACE-*.
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        let rest = oid.strip_prefix(&ID_PACE[..])?;
        let [kind, cipher] = rest else { return None };
        let (mapping, ecdh) = match kind {
            1 => (Mapping::Generic, false),
            2 => (Mapping::Generic, true),
            3 => (Mapping::Integrated, false),
            4 => (Mapping::Integrated, true),
            6 => (Mapping::ChipAuthentication, true),
            _ => return None,
        };
        let cipher = match cipher {
            1 => Cipher::Tdes,
            2 => Cipher::Aes128,
            3 => Cipher::Aes192,
            4 => Cipher::Aes256,
            _ => return None,
        };
        Some(Self {
            mapping,
            ecdh,
            cipher,
        })
    }

    /// The content bytes of the OBJECT IDENTIFIER.
    pub fn oid(&self) -> Vec<u8> {
        let kind = match (self.mapping, self.ecdh) {
            (Mapping::Generic, false) => 1,
            (Mapping::Generic, true) => 2,
            (Mapping::Integrated, false) => 3,
            (Mapping::Integrated, true) => 4,
            (Mapping::ChipAuthentication, _) => 6,
        };
        let cipher = match self.cipher {
            Cipher::Tdes => 1,
            Cipher::Aes128 => 2,
            Cipher::Aes192 => 3,
            Cipher::Aes256 => 4,
        };
        let mut v = ID_PACE.to_vec();
        v.extend_from_slice(&[kind, cipher]);
        v
    }
}

/// One PACEInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceInfo {
    /// The protocol.
    pub protocol: PaceProtocol,
    /// The version (2 in 9303).
    pub version: u32,
    /// The standardized domain parameter id (12 = NIST P-256, 13 = brainpoolP256r1), if given.
    pub parameter_id: Option<u32>,
}

/// Standardized domain parameter id of NIST P-256 (9303-11 §9.5.1 Table 6).
pub const PARAM_P256: u32 = 12;
/// Standardized domain parameter id of brainpoolP256r1.
pub const PARAM_BRAINPOOL_P256R1: u32 = 13;

/// Reads the PACEInfos of EF.CardAccess (or of any SecurityInfos), skipping everything else.
pub fn parse_pace_infos(data: &[u8]) -> Result<Vec<PaceInfo>, TlvError> {
    let set = tlv::Reader::new(data).expect(SET)?;
    let mut infos = Vec::new();
    let mut items = set.children()?;
    while !items.is_empty() {
        let item = items.read()?;
        if item.tag() != SEQUENCE {
            continue;
        }
        if let Some(info) = read_pace_info(item.value()) {
            infos.push(info);
        }
    }
    Ok(infos)
}

fn read_pace_info(seq: &[u8]) -> Option<PaceInfo> {
    let mut r = tlv::Reader::new(seq);
    let oid = r.expect(OID).ok()?;
    let protocol = PaceProtocol::from_oid(oid.value())?;
    let version = small_uint(r.expect(INTEGER).ok()?.value())?;
    let parameter_id = match r.optional(INTEGER).ok()? {
        Some(t) => Some(small_uint(t.value())?),
        None => None,
    };
    Some(PaceInfo {
        protocol,
        version,
        parameter_id,
    })
}

fn small_uint(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.len() > 5 || v.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    v.iter()
        .try_fold(0u64, |acc, &b| Some((acc << 8) | u64::from(b)))
        .and_then(|n| u32::try_from(n).ok())
}

fn encode_uint(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    let mut v = bytes.get(start..).unwrap_or_default().to_vec();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    v
}

/// Encodes EF.CardAccess (a DER SET of PACEInfo) for the given protocols.
pub fn encode_card_access(infos: &[PaceInfo]) -> Result<Vec<u8>, TlvError> {
    let mut encoded: Vec<Vec<u8>> = Vec::new();
    for info in infos {
        let mut w = tlv::Writer::new();
        w.constructed(SEQUENCE, |w| {
            w.primitive(OID, &info.protocol.oid());
            w.primitive(INTEGER, &encode_uint(info.version));
            if let Some(p) = info.parameter_id {
                w.primitive(INTEGER, &encode_uint(p));
            }
        });
        encoded.push(w.finish()?);
    }
    // DER: SET OF elements in ascending order of their encodings.
    encoded.sort();
    let mut w = tlv::Writer::new();
    w.constructed(SET, |w| {
        for e in &encoded {
            w.raw(e);
        }
    });
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_9303_11_g1_card_access() {
        // ICAO 9303-11 App. G.1 EF.CardAccess (shared/spec/lds.md §7).
        let bytes = hex::decode("31143012060A04007F0007020204020202010202010D").unwrap();
        let infos = parse_pace_infos(&bytes).unwrap();
        assert_eq!(
            infos,
            [PaceInfo {
                protocol: PaceProtocol::ECDH_GM_AES_128,
                version: 2,
                parameter_id: Some(13)
            }]
        );
        assert_eq!(encode_card_access(&infos).unwrap(), bytes);
    }

    #[test]
    fn skips_other_security_infos() {
        // id-TA v1 and id-CA-DH-3DES v1 (9303-11 DG14 sample, shared/spec/lds.md §7) around a PACEInfo.
        let ta = hex::decode("300D060804007F00070202020201 01".replace(' ', "")).unwrap();
        let ca = hex::decode("300F060A04007F0007020203010102 0101".replace(' ', "")).unwrap();
        let pace =
            hex::decode("301206 0A04007F00070202040204 020102 02010C".replace(' ', "")).unwrap();
        let mut body = Vec::new();
        body.extend(&ta);
        body.extend(&pace);
        body.extend(&ca);
        let set = tlv::encode(SET, &body).unwrap();
        let infos = parse_pace_infos(&set).unwrap();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].protocol.cipher, Cipher::Aes256);
        assert_eq!(infos[0].parameter_id, Some(PARAM_P256));
        assert!(parse_pace_infos(&[0x31, 0x05, 0x30]).is_err());
    }
}
