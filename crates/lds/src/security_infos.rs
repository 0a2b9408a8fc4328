//! SecurityInfos, the DER structure of EF.CardAccess and DG14 (ICAO Doc 9303-11 §9.2,
//! BSI TR-03110-3 §A.1).
//!
//! ```asn1
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//! PACEInfo ::= SEQUENCE { protocol id-PACE-*, version INTEGER (2), parameterId INTEGER OPTIONAL }
//! ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-*, version INTEGER (1|2), keyId INTEGER OPTIONAL }
//! ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-*, chipAuthenticationPublicKey
//!     SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }
//! TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER (1|2),
//!     efCVCA FileID OPTIONAL }
//! ActiveAuthenticationInfo ::= SEQUENCE { protocol id-icao-mrtd-security-aaProtocolObject,
//!     version INTEGER (1), signatureAlgorithm OBJECT IDENTIFIER }
//! ```
//!
//! Written as DER (the SET sorted by encoding); read tolerantly with the crate's BER-TLV reader:
//! SecurityInfos this reader does not know are kept as raw DER, and an unsorted SET is accepted.
//! [`SecurityInfos::from_der_lenient`] goes further for an inspection system, which must ignore
//! what it cannot read (9303-11 §9.2): it skips any SecurityInfo that does not parse.
//!
//! The algorithm an `id-PACE-*` OID names is read from one table ([`PaceProtocol`]): the arc
//! after `id-PACE` gives the mapping and key agreement (1 DH-GM, 2 ECDH-GM, 3 DH-IM, 4 ECDH-IM,
//! 6 ECDH-CAM), the next one the secure-messaging cipher (1 3DES, 2–4 AES-128/192/256)
//! (BSI TR-03110-3 §A.1.1.1; 9303-11 §9.2.2).

/// The OBJECT IDENTIFIER type of every `protocol` field here (re-exported for callers).
pub use der::asn1::ObjectIdentifier;

use crate::{Ef, LdsError};
use permitkit_iso7816::tlv::{Reader, Tag, Writer, parse_single};

/// `id-PACE` 0.4.0.127.0.7.2.2.4.
pub const ID_PACE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4");
/// `id-CA` 0.4.0.127.0.7.2.2.3.
pub const ID_CA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3");
/// `id-PK` 0.4.0.127.0.7.2.2.1.
pub const ID_PK: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1");
/// `id-TA` 0.4.0.127.0.7.2.2.2.
pub const ID_TA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.2");
/// `id-icao-mrtd-security-aaProtocolObject` 2.23.136.1.1.5.
pub const ID_AA: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.5");
/// `id-PACE-ECDH-GM-3DES-CBC-CBC`.
pub const ID_PACE_ECDH_GM_3DES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.1");
/// `id-PACE-ECDH-GM-AES-CBC-CMAC-128`.
pub const ID_PACE_ECDH_GM_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2");
/// `id-PACE-ECDH-GM-AES-CBC-CMAC-192`.
pub const ID_PACE_ECDH_GM_AES_192: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.3");
/// `id-PACE-ECDH-GM-AES-CBC-CMAC-256`.
pub const ID_PACE_ECDH_GM_AES_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.4");
/// `id-CA-ECDH-3DES-CBC-CBC`.
pub const ID_CA_ECDH_3DES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.1");
/// `id-CA-ECDH-AES-CBC-CMAC-128`.
pub const ID_CA_ECDH_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.2");
/// `id-CA-ECDH-AES-CBC-CMAC-192`.
pub const ID_CA_ECDH_AES_192: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.3");
/// `id-CA-ECDH-AES-CBC-CMAC-256`.
pub const ID_CA_ECDH_AES_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.4");
/// `id-PK-DH`.
pub const ID_PK_DH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1.1");
/// `id-PK-ECDH`.
pub const ID_PK_ECDH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1.2");
/// `id-PACE-ECDH-IM-AES-CBC-CMAC-128`.
pub const ID_PACE_ECDH_IM_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.4.2");
/// `id-PACE-ECDH-CAM-AES-CBC-CMAC-128`.
pub const ID_PACE_ECDH_CAM_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.6.2");
/// `ecdsa-with-SHA256`, the AA signature algorithm for an ECDSA P-256 key.
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// Standardized domain parameter 12: NIST P-256 (TR-03110-3 Table 4).
pub const PARAM_ID_P256: u32 = 12;
/// Standardized domain parameter 13: brainpoolP256r1.
pub const PARAM_ID_BRAINPOOL_P256R1: u32 = 13;

/// The block cipher of a secure-messaging session, as named by the last arc of an
/// `id-PACE-*` or `id-CA-*` OID (9303-11 §9.8.6; TR-03110-3 §A.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cipher {
    /// Two-key triple DES (112-bit), CBC, retail MAC.
    Tdes,
    /// AES-128, CBC, CMAC.
    Aes128,
    /// AES-192, CBC, CMAC.
    Aes192,
    /// AES-256, CBC, CMAC.
    Aes256,
}

impl Cipher {
    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Cipher::Tdes | Cipher::Aes128 => 16,
            Cipher::Aes192 => 24,
            Cipher::Aes256 => 32,
        }
    }

    /// Block length in bytes (also the length of the send sequence counter).
    pub const fn block_len(self) -> usize {
        match self {
            Cipher::Tdes => 8,
            _ => 16,
        }
    }
}

impl std::fmt::Display for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cipher::Tdes => "3DES",
            Cipher::Aes128 => "AES-128",
            Cipher::Aes192 => "AES-192",
            Cipher::Aes256 => "AES-256",
        })
    }
}

/// The mapping of a PACE protocol (9303-11 §4.4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaceMapping {
    /// Generic mapping.
    Generic,
    /// Integrated mapping.
    Integrated,
    /// Chip authentication mapping (ECDH only).
    ChipAuthentication,
}

/// What an `id-PACE-*` OID names: `id-PACE.<mapping and key agreement>.<cipher>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceProtocol {
    /// The mapping.
    pub mapping: PaceMapping,
    /// True for elliptic-curve Diffie-Hellman, false for modular DH.
    pub ecdh: bool,
    /// The secure-messaging cipher.
    pub cipher: Cipher,
}

/// The arc after `id-PACE`: mapping and key agreement (TR-03110-3 §A.1.1.1).
const PACE_MAPPING_ARCS: [(u32, PaceMapping, bool); 5] = [
    (1, PaceMapping::Generic, false),
    (2, PaceMapping::Generic, true),
    (3, PaceMapping::Integrated, false),
    (4, PaceMapping::Integrated, true),
    (6, PaceMapping::ChipAuthentication, true),
];

/// The last arc of an `id-PACE-*` OID: the cipher (TR-03110-3 §A.1.1.1).
const PACE_CIPHER_ARCS: [(u32, Cipher); 4] = [
    (1, Cipher::Tdes),
    (2, Cipher::Aes128),
    (3, Cipher::Aes192),
    (4, Cipher::Aes256),
];

impl PaceProtocol {
    /// `id-PACE-ECDH-GM-AES-CBC-CMAC-128` ([`ID_PACE_ECDH_GM_AES_128`]).
    pub const ECDH_GM_AES_128: Self = Self {
        mapping: PaceMapping::Generic,
        ecdh: true,
        cipher: Cipher::Aes128,
    };

    /// The protocol `oid` names; `None` when it is not an `id-PACE-*` protocol in the table.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        let base = ID_PACE.len();
        if !oid.starts_with(ID_PACE) || oid.len() != base + 2 {
            return None;
        }
        let (kind, cipher) = (oid.arc(base)?, oid.arc(base + 1)?);
        let (_, mapping, ecdh) = PACE_MAPPING_ARCS.iter().find(|(a, ..)| *a == kind)?;
        let (_, cipher) = PACE_CIPHER_ARCS.iter().find(|(a, _)| *a == cipher)?;
        Some(Self {
            mapping: *mapping,
            ecdh: *ecdh,
            cipher: *cipher,
        })
    }

    /// The `id-PACE-*` OID of this protocol; `None` for a combination the table does not name
    /// (chip authentication mapping over modular DH).
    pub fn oid(&self) -> Option<ObjectIdentifier> {
        let (kind, ..) = PACE_MAPPING_ARCS
            .iter()
            .find(|(_, m, e)| *m == self.mapping && *e == self.ecdh)?;
        let (cipher, _) = PACE_CIPHER_ARCS.iter().find(|(_, c)| *c == self.cipher)?;
        ID_PACE.push_arc(*kind).ok()?.push_arc(*cipher).ok()
    }
}

/// `PACEInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaceInfo {
    /// `id-PACE-*` protocol (mapping, cipher and key length).
    pub protocol: ObjectIdentifier,
    /// Version (2).
    pub version: u32,
    /// Standardized domain parameter id, when given.
    pub parameter_id: Option<u32>,
}

impl PaceInfo {
    /// The algorithm [`PaceInfo::protocol`] names, when it is one of the table's.
    pub fn pace_protocol(&self) -> Option<PaceProtocol> {
        PaceProtocol::from_oid(&self.protocol)
    }
}

/// What an `id-CA-*` OID names: `id-CA.<key agreement>.<cipher>` (TR-03110-3 §A.1.1.2; 9303-11
/// §9.2.6): the arc after `id-CA` is 1 for DH and 2 for ECDH, the last one the cipher as for PACE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaProtocol {
    /// True for elliptic-curve Diffie-Hellman, false for modular DH.
    pub ecdh: bool,
    /// The secure-messaging cipher of the restarted session.
    pub cipher: Cipher,
}

/// The arc after `id-CA` (and after `id-PK`): the key agreement.
const CA_AGREEMENT_ARCS: [(u32, bool); 2] = [(1, false), (2, true)];

impl CaProtocol {
    /// The protocol `oid` names; `None` when it is not an `id-CA-*` protocol in the table.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        let base = ID_CA.len();
        if !oid.starts_with(ID_CA) || oid.len() != base + 2 {
            return None;
        }
        let (agreement, cipher) = (oid.arc(base)?, oid.arc(base + 1)?);
        let (_, ecdh) = CA_AGREEMENT_ARCS.iter().find(|(a, _)| *a == agreement)?;
        let (_, cipher) = PACE_CIPHER_ARCS.iter().find(|(a, _)| *a == cipher)?;
        Some(Self {
            ecdh: *ecdh,
            cipher: *cipher,
        })
    }

    /// The `id-CA-*` OID of this protocol.
    pub fn oid(&self) -> Option<ObjectIdentifier> {
        let (agreement, _) = CA_AGREEMENT_ARCS.iter().find(|(_, e)| *e == self.ecdh)?;
        let (cipher, _) = PACE_CIPHER_ARCS.iter().find(|(_, c)| *c == self.cipher)?;
        ID_CA.push_arc(*agreement).ok()?.push_arc(*cipher).ok()
    }

    /// The protocol a chip runs when DG14 has a ChipAuthenticationPublicKeyInfo of `pk_protocol`
    /// (`id-PK-DH` or `id-PK-ECDH`) but no ChipAuthenticationInfo: 3DES, Chip Authentication
    /// version 1 (9303-11 §9.2.6).
    pub fn implicit_for(pk_protocol: &ObjectIdentifier) -> Option<Self> {
        let ecdh = if *pk_protocol == ID_PK_ECDH {
            true
        } else if *pk_protocol == ID_PK_DH {
            false
        } else {
            return None;
        };
        Some(Self {
            ecdh,
            cipher: Cipher::Tdes,
        })
    }
}

/// One Chip Authentication key a chip offers: a ChipAuthenticationPublicKeyInfo with the
/// protocol its ChipAuthenticationInfo names, paired by keyId (9303-11 §9.2.6–§9.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationOffer {
    /// The `id-CA-*` OID (the implicit 3DES one when DG14 has no ChipAuthenticationInfo).
    pub protocol: ObjectIdentifier,
    /// What the OID names.
    pub ca_protocol: CaProtocol,
    /// The key id both infos carry, when the chip holds more than one key.
    pub key_id: Option<u32>,
    /// DER `SubjectPublicKeyInfo` of the chip's static key.
    pub public_key: Vec<u8>,
}

/// `ChipAuthenticationInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// `id-CA-*` protocol.
    pub protocol: ObjectIdentifier,
    /// Version (1 or 2).
    pub version: u32,
    /// Key id, when the chip holds more than one key.
    pub key_id: Option<u32>,
}

impl ChipAuthenticationInfo {
    /// The algorithm [`ChipAuthenticationInfo::protocol`] names, when it is one of the table's.
    pub fn ca_protocol(&self) -> Option<CaProtocol> {
        CaProtocol::from_oid(&self.protocol)
    }
}

/// `ChipAuthenticationPublicKeyInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo {
    /// `id-PK-DH` or `id-PK-ECDH`.
    pub protocol: ObjectIdentifier,
    /// DER `SubjectPublicKeyInfo` of the chip's static key.
    pub public_key: Vec<u8>,
    /// Key id, when the chip holds more than one key.
    pub key_id: Option<u32>,
}

/// `TerminalAuthenticationInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAuthenticationInfo {
    /// Version (1 or 2).
    pub version: u32,
    /// DER of the optional `efCVCA` FileID.
    pub ef_cvca: Option<Vec<u8>>,
}

/// `ActiveAuthenticationInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAuthenticationInfo {
    /// Version (1).
    pub version: u32,
    /// The signature algorithm the chip uses for ECDSA Active Authentication.
    pub signature_algorithm: ObjectIdentifier,
}

/// One SecurityInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo {
    /// PACE.
    Pace(PaceInfo),
    /// Chip Authentication protocol.
    ChipAuthentication(ChipAuthenticationInfo),
    /// Chip Authentication public key.
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo),
    /// Terminal Authentication.
    TerminalAuthentication(TerminalAuthenticationInfo),
    /// Active Authentication with ECDSA.
    ActiveAuthentication(ActiveAuthenticationInfo),
    /// Anything else, kept as its DER `SEQUENCE`.
    Other {
        /// Its protocol OID.
        protocol: ObjectIdentifier,
        /// The whole DER `SEQUENCE`.
        der: Vec<u8>,
    },
}

/// A set of SecurityInfos.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityInfos(pub Vec<SecurityInfo>);

const SEQUENCE: Tag = Tag::new(0x30);
const SET: Tag = Tag::new(0x31);
const INTEGER: Tag = Tag::new(0x02);
const OID: Tag = Tag::new(0x06);

impl SecurityInfos {
    /// The PACEInfos.
    pub fn pace(&self) -> impl Iterator<Item = &PaceInfo> {
        self.0.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) => Some(p),
            _ => None,
        })
    }

    /// The ChipAuthenticationInfos.
    pub fn chip_authentication(&self) -> impl Iterator<Item = &ChipAuthenticationInfo> {
        self.0.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthentication(c) => Some(c),
            _ => None,
        })
    }

    /// The ChipAuthenticationPublicKeyInfos.
    pub fn chip_authentication_public_keys(
        &self,
    ) -> impl Iterator<Item = &ChipAuthenticationPublicKeyInfo> {
        self.0.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey(k) => Some(k),
            _ => None,
        })
    }

    /// The Chip Authentication keys offered, each public key paired with the protocol of its
    /// ChipAuthenticationInfo (9303-11 §9.2.6): by keyId, or, when there is one key and no keyId,
    /// the one ChipAuthenticationInfo; a public key without any ChipAuthenticationInfo runs 3DES
    /// (Chip Authentication version 1). Refused, naming `file`: several keys not told apart by
    /// keyId, a keyId used twice, a ChipAuthenticationInfo naming no key, an unknown `id-CA` or
    /// `id-PK` protocol, or a key whose agreement (DH/ECDH) differs from its protocol's.
    pub fn chip_authentication_offers(
        &self,
        file: Ef,
    ) -> Result<Vec<ChipAuthenticationOffer>, LdsError> {
        let bad = |reason: String| LdsError::field(file, "ChipAuthenticationInfo", reason);
        let keys: Vec<&ChipAuthenticationPublicKeyInfo> =
            self.chip_authentication_public_keys().collect();
        let infos: Vec<&ChipAuthenticationInfo> = self.chip_authentication().collect();
        if keys.len() > 1 && keys.iter().any(|k| k.key_id.is_none()) {
            return Err(bad(format!(
                "{} ChipAuthenticationPublicKeyInfos, not all with a keyId",
                keys.len()
            )));
        }
        for (i, k) in keys.iter().enumerate() {
            if keys.iter().skip(i + 1).any(|o| o.key_id == k.key_id) {
                return Err(bad(format!(
                    "keyId {} names two ChipAuthenticationPublicKeyInfos",
                    k.key_id.map_or("(none)".into(), |id| id.to_string())
                )));
            }
            CaProtocol::implicit_for(&k.protocol)
                .ok_or_else(|| bad(format!("{} is not id-PK-DH or id-PK-ECDH", k.protocol)))?;
        }
        let mut out = Vec::with_capacity(keys.len());
        for info in &infos {
            let ca_protocol = CaProtocol::from_oid(&info.protocol)
                .ok_or_else(|| bad(format!("{} is not an id-CA protocol", info.protocol)))?;
            if !(1..=3).contains(&info.version) {
                return Err(bad(format!("version {} (1 to 3)", info.version)));
            }
            let key = match info.key_id {
                Some(id) => keys.iter().find(|k| k.key_id == Some(id)),
                None if keys.len() == 1 => keys.first(),
                None => None,
            }
            .ok_or_else(|| {
                bad(format!(
                    "{} (keyId {}) names no ChipAuthenticationPublicKeyInfo",
                    info.protocol,
                    info.key_id.map_or("none".into(), |id| id.to_string())
                ))
            })?;
            if CaProtocol::implicit_for(&key.protocol).map(|p| p.ecdh) != Some(ca_protocol.ecdh) {
                return Err(bad(format!(
                    "{} does not run with a {} key",
                    info.protocol, key.protocol
                )));
            }
            out.push(ChipAuthenticationOffer {
                protocol: info.protocol,
                ca_protocol,
                key_id: key.key_id,
                public_key: key.public_key.clone(),
            });
        }
        if infos.is_empty() {
            for k in keys {
                let ca_protocol = CaProtocol::implicit_for(&k.protocol)
                    .ok_or_else(|| bad(format!("{} is not id-PK-DH or id-PK-ECDH", k.protocol)))?;
                out.push(ChipAuthenticationOffer {
                    protocol: ca_protocol.oid().unwrap_or(ID_CA),
                    ca_protocol,
                    key_id: k.key_id,
                    public_key: k.public_key.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The ActiveAuthenticationInfo, if present.
    pub fn active_authentication(&self) -> Option<&ActiveAuthenticationInfo> {
        self.0.iter().find_map(|i| match i {
            SecurityInfo::ActiveAuthentication(a) => Some(a),
            _ => None,
        })
    }

    /// DER encoding: `SET OF SecurityInfo`, elements sorted by their encoding (X.690 §11.6).
    pub fn to_der(&self, file: Ef) -> Result<Vec<u8>, LdsError> {
        let mut elements = Vec::with_capacity(self.0.len());
        for info in &self.0 {
            elements.push(encode_info(info).map_err(|e| LdsError::new(file, e))?);
        }
        elements.sort();
        let mut w = Writer::new();
        w.constructed(SET, |w| {
            for e in &elements {
                w.raw(e);
            }
        });
        w.finish().map_err(|e| LdsError::new(file, e))
    }

    /// Parses a DER (or BER) `SET OF SecurityInfo`; `file` names the file in errors.
    pub fn from_der(data: &[u8], file: Ef) -> Result<Self, LdsError> {
        Self::parse(data, file, false)
    }

    /// Like [`SecurityInfos::from_der`], but skips every element that is not a SecurityInfo
    /// this module can read (not a `SEQUENCE`, or a known protocol with malformed fields), the
    /// way an inspection system ignores what it does not understand. The `SET` and the BER-TLV
    /// structure of its elements must still be sound.
    pub fn from_der_lenient(data: &[u8], file: Ef) -> Result<Self, LdsError> {
        Self::parse(data, file, true)
    }

    fn parse(data: &[u8], file: Ef, lenient: bool) -> Result<Self, LdsError> {
        let set = parse_single(data, SET).map_err(|e| LdsError::new(file, e))?;
        let mut r = set.children().map_err(|e| LdsError::new(file, e))?;
        let mut out = Vec::new();
        while !r.is_empty() {
            let info = if lenient {
                let item = r.read().map_err(|e| LdsError::new(file, e))?;
                if item.tag() != SEQUENCE {
                    continue;
                }
                item.children()
                    .map_err(|e| LdsError::new(file, e))
                    .and_then(|children| parse_info(item.raw(), children, file))
            } else {
                let seq = r.expect(SEQUENCE).map_err(|e| LdsError::new(file, e))?;
                parse_info(
                    seq.raw(),
                    seq.children().map_err(|e| LdsError::new(file, e))?,
                    file,
                )
            };
            match info {
                Ok(info) => out.push(info),
                Err(_) if lenient => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self(out))
    }
}

fn encode_info(info: &SecurityInfo) -> Result<Vec<u8>, permitkit_iso7816::tlv::TlvError> {
    if let SecurityInfo::Other { der, .. } = info {
        return Ok(der.clone());
    }
    let mut w = Writer::new();
    w.constructed(SEQUENCE, |w| match info {
        SecurityInfo::Pace(p) => {
            oid(w, &p.protocol);
            int(w, p.version);
            if let Some(id) = p.parameter_id {
                int(w, id);
            }
        }
        SecurityInfo::ChipAuthentication(c) => {
            oid(w, &c.protocol);
            int(w, c.version);
            if let Some(id) = c.key_id {
                int(w, id);
            }
        }
        SecurityInfo::ChipAuthenticationPublicKey(k) => {
            oid(w, &k.protocol);
            w.raw(&k.public_key);
            if let Some(id) = k.key_id {
                int(w, id);
            }
        }
        SecurityInfo::TerminalAuthentication(t) => {
            oid(w, &ID_TA);
            int(w, t.version);
            if let Some(f) = &t.ef_cvca {
                w.raw(f);
            }
        }
        SecurityInfo::ActiveAuthentication(a) => {
            oid(w, &ID_AA);
            int(w, a.version);
            oid(w, &a.signature_algorithm);
        }
        SecurityInfo::Other { .. } => {}
    });
    w.finish()
}

fn oid(w: &mut Writer, oid: &ObjectIdentifier) {
    w.primitive(OID, oid.as_bytes());
}

/// A non-negative DER INTEGER: big-endian, minimal, with a leading zero when the top bit is set.
fn int(w: &mut Writer, v: u32) {
    let bytes = v.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    let mut out: Vec<u8> = bytes.get(first..).unwrap_or_default().to_vec();
    if out.first().is_some_and(|&b| b & 0x80 != 0) {
        out.insert(0, 0);
    }
    w.primitive(INTEGER, &out);
}

fn parse_info(raw: &[u8], mut r: Reader<'_>, file: Ef) -> Result<SecurityInfo, LdsError> {
    let bad = |reason: String| LdsError::field(file, "SecurityInfo", reason);
    let proto_tlv = r.expect(OID).map_err(|e| LdsError::new(file, e))?;
    let protocol = ObjectIdentifier::from_bytes(proto_tlv.value())
        .map_err(|e| bad(format!("protocol OID at byte {}: {e}", proto_tlv.offset())))?;
    // `id-PACE-*` and `id-CA-*` protocols are two arcs below their parent, `id-PK-*` one; the
    // domain parameter infos (`id-PACE-ECDH`, `id-CA-ECDH`: one arc below) are kept as `Other`.
    let under = |parent: &ObjectIdentifier, arcs: usize| {
        protocol.starts_with(*parent) && protocol.len() == parent.len() + arcs
    };
    let read_int = |r: &mut Reader<'_>| -> Result<u32, LdsError> {
        let t = r.expect(INTEGER).map_err(|e| LdsError::new(file, e))?;
        small_uint(t.value()).ok_or_else(|| {
            bad(format!(
                "INTEGER at byte {} is negative or too large",
                t.offset()
            ))
        })
    };
    let opt_int = |r: &mut Reader<'_>| -> Result<Option<u32>, LdsError> {
        if r.peek_tag().map_err(|e| LdsError::new(file, e))? == Some(INTEGER) {
            read_int(r).map(Some)
        } else {
            Ok(None)
        }
    };
    let info = if under(&ID_PACE, 2) {
        let version = read_int(&mut r)?;
        SecurityInfo::Pace(PaceInfo {
            protocol,
            version,
            parameter_id: opt_int(&mut r)?,
        })
    } else if under(&ID_CA, 2) {
        let version = read_int(&mut r)?;
        SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
            protocol,
            version,
            key_id: opt_int(&mut r)?,
        })
    } else if under(&ID_PK, 1) {
        let spki = r.expect(SEQUENCE).map_err(|e| LdsError::new(file, e))?;
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey
        // BIT STRING } (RFC 5280 §4.1).
        let mut k = spki.children().map_err(|e| LdsError::new(file, e))?;
        k.expect(SEQUENCE).map_err(|e| LdsError::new(file, e))?;
        k.expect(Tag::new(0x03))
            .map_err(|e| LdsError::new(file, e))?;
        k.finish().map_err(|e| LdsError::new(file, e))?;
        SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
            protocol,
            public_key: spki.raw().to_vec(),
            key_id: opt_int(&mut r)?,
        })
    } else if protocol == ID_TA {
        let version = read_int(&mut r)?;
        let ef_cvca = if r.is_empty() {
            None
        } else {
            Some(r.read().map_err(|e| LdsError::new(file, e))?.raw().to_vec())
        };
        SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo { version, ef_cvca })
    } else if protocol == ID_AA {
        let version = read_int(&mut r)?;
        let alg = r.expect(OID).map_err(|e| LdsError::new(file, e))?;
        let signature_algorithm = ObjectIdentifier::from_bytes(alg.value()).map_err(|e| {
            bad(format!(
                "signature algorithm OID at byte {}: {e}",
                alg.offset()
            ))
        })?;
        SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
            version,
            signature_algorithm,
        })
    } else {
        return Ok(SecurityInfo::Other {
            protocol,
            der: raw.to_vec(),
        });
    };
    Ok(info)
}

/// A non-negative INTEGER of up to four value bytes (a leading `00` allowed).
fn small_uint(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.first().is_some_and(|&b| b & 0x80 != 0) {
        return None;
    }
    let v = if v.len() > 1 && v.first() == Some(&0) {
        v.get(1..)?
    } else {
        v
    };
    if v.len() > 4 {
        return None;
    }
    Some(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_9303_11_g1_card_access() {
        // docs/spec/lds.md §7: id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, parameter 13.
        let bytes =
            hex::decode("3114301206 0A04007F0007020204020202010202010D".replace(' ', "")).unwrap();
        let infos = SecurityInfos::from_der(&bytes, Ef::CardAccess).unwrap();
        let pace: Vec<_> = infos.pace().collect();
        assert_eq!(
            pace,
            vec![&PaceInfo {
                protocol: ID_PACE_ECDH_GM_AES_128,
                version: 2,
                parameter_id: Some(PARAM_ID_BRAINPOOL_P256R1),
            }]
        );
        assert_eq!(infos.to_der(Ef::CardAccess).unwrap(), bytes);
    }

    #[test]
    fn parses_the_jmrtd_dg14_protocol_entries() {
        // docs/spec/lds.md §7: id-CA-DH-3DES-CBC-CBC v1 and id-TA v1 from the JMRTD sample.
        let ca = hex::decode("300F060A04007F00070202030101020101").unwrap();
        let ta = hex::decode("300D060804007F0007020202020101").unwrap();
        let mut set = vec![0x31, u8::try_from(ca.len() + ta.len()).unwrap()];
        set.extend_from_slice(&ta); // unsorted on purpose: readers accept it
        set.extend_from_slice(&ca);
        let infos = SecurityInfos::from_der(&set, Ef::DG14).unwrap();
        assert!(matches!(
            &infos.0[0],
            SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo {
                version: 1,
                ef_cvca: None
            })
        ));
        assert!(
            matches!(&infos.0[1], SecurityInfo::ChipAuthentication(c) if c.version == 1 && c.key_id.is_none())
        );
        // Written back as DER: sorted by encoding, so the shorter TA entry (30 0D) comes first.
        let der = infos.to_der(Ef::DG14).unwrap();
        assert_eq!(&der[2..2 + ta.len()], ta.as_slice());
        assert_eq!(&der[2 + ta.len()..], ca.as_slice());
    }

    #[test]
    fn keeps_unknown_infos_and_refuses_garbage() {
        let unknown = hex::decode("31083006060128020101").unwrap();
        let infos = SecurityInfos::from_der(&unknown, Ef::DG14).unwrap();
        assert!(matches!(&infos.0[0], SecurityInfo::Other { der, .. } if der.len() == 8));
        assert_eq!(infos.to_der(Ef::DG14).unwrap(), unknown);
        let negative = hex::decode("31143012060A04007F000702020402020201FF02010D").unwrap();
        let err = SecurityInfos::from_der(&negative, Ef::CardAccess).unwrap_err();
        assert!(err.to_string().contains("negative or too large"), "{err}");
    }

    #[test]
    fn lenient_reading_skips_what_it_cannot_read() {
        // id-TA v1 and id-CA-DH-3DES v1 (9303-11 DG14 sample, docs/spec/lds.md §7) around a
        // PACEInfo (AES-256, P-256), then a PACEInfo with a negative version, then a NULL.
        let ta = "300D060804007F0007020202020101";
        let ca = "300F060A04007F00070202030101020101";
        let pace = "3012060A04007F0007020204020402010202010C";
        let bad_pace = "3012060A04007F000702020402020201FF02010D";
        let body = hex::decode(format!("{ta}{pace}{ca}{bad_pace}0500")).unwrap();
        let set = permitkit_iso7816::tlv::encode(SET, &body).unwrap();
        assert!(SecurityInfos::from_der(&set, Ef::CardAccess).is_err());
        let infos = SecurityInfos::from_der_lenient(&set, Ef::CardAccess).unwrap();
        assert_eq!(infos.0.len(), 3);
        let pace: Vec<_> = infos.pace().collect();
        assert_eq!(pace.len(), 1);
        assert_eq!(pace[0].protocol, ID_PACE_ECDH_GM_AES_256);
        assert_eq!(pace[0].parameter_id, Some(PARAM_ID_P256));
        // Broken TLV structure is still an error.
        assert!(SecurityInfos::from_der_lenient(&[0x31, 0x05, 0x30], Ef::CardAccess).is_err());
    }

    #[test]
    fn pace_protocol_table_agrees_with_the_named_oids() {
        for (oid, cipher) in [
            (ID_PACE_ECDH_GM_3DES, Cipher::Tdes),
            (ID_PACE_ECDH_GM_AES_128, Cipher::Aes128),
            (ID_PACE_ECDH_GM_AES_192, Cipher::Aes192),
            (ID_PACE_ECDH_GM_AES_256, Cipher::Aes256),
        ] {
            let protocol = PaceProtocol {
                mapping: PaceMapping::Generic,
                ecdh: true,
                cipher,
            };
            assert_eq!(PaceProtocol::from_oid(&oid), Some(protocol));
            assert_eq!(protocol.oid(), Some(oid));
        }
        assert_eq!(
            PaceProtocol::ECDH_GM_AES_128.oid(),
            Some(ID_PACE_ECDH_GM_AES_128)
        );
        // Every combination the table names round-trips.
        for (_, mapping, ecdh) in PACE_MAPPING_ARCS {
            for (_, cipher) in PACE_CIPHER_ARCS {
                let p = PaceProtocol {
                    mapping,
                    ecdh,
                    cipher,
                };
                assert_eq!(PaceProtocol::from_oid(&p.oid().unwrap()), Some(p));
            }
        }
        // Not PACE, or arcs the table does not name.
        for oid in [
            ID_PACE,
            ID_CA_ECDH_AES_128,
            ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.5.2"),
            ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.5"),
            ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2.1"),
        ] {
            assert_eq!(PaceProtocol::from_oid(&oid), None, "{oid}");
        }
    }

    fn ca_infos(key_ids: &[Option<u32>], pk_ids: &[Option<u32>]) -> SecurityInfos {
        // A P-256 SubjectPublicKeyInfo shape: SEQUENCE { SEQUENCE {}, BIT STRING }.
        let spki = hex::decode("3006300003020004").unwrap();
        let mut v = Vec::new();
        for id in key_ids {
            v.push(SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                protocol: ID_CA_ECDH_AES_128,
                version: 1,
                key_id: *id,
            }));
        }
        for id in pk_ids {
            v.push(SecurityInfo::ChipAuthenticationPublicKey(
                ChipAuthenticationPublicKeyInfo {
                    protocol: ID_PK_ECDH,
                    public_key: spki.clone(),
                    key_id: *id,
                },
            ));
        }
        SecurityInfos(v)
    }

    #[test]
    fn ca_protocol_table_agrees_with_the_named_oids() {
        for (oid, cipher) in [
            (ID_CA_ECDH_3DES, Cipher::Tdes),
            (ID_CA_ECDH_AES_128, Cipher::Aes128),
            (ID_CA_ECDH_AES_192, Cipher::Aes192),
            (ID_CA_ECDH_AES_256, Cipher::Aes256),
        ] {
            let p = CaProtocol::from_oid(&oid).unwrap();
            assert_eq!(p, CaProtocol { ecdh: true, cipher });
            assert_eq!(p.oid(), Some(oid));
        }
        // id-CA-DH-3DES-CBC-CBC (the JMRTD DG14 sample, docs/spec/lds.md §7).
        let dh = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.1.1");
        assert_eq!(
            CaProtocol::from_oid(&dh),
            Some(CaProtocol {
                ecdh: false,
                cipher: Cipher::Tdes
            })
        );
        // id-CA-ECDH itself names domain parameters, not a protocol.
        let domain = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2");
        assert_eq!(CaProtocol::from_oid(&domain), None);
        assert_eq!(CaProtocol::from_oid(&ID_PACE_ECDH_GM_AES_128), None);
        assert_eq!(
            CaProtocol::implicit_for(&ID_PK_ECDH),
            Some(CaProtocol {
                ecdh: true,
                cipher: Cipher::Tdes
            })
        );
    }

    #[test]
    fn chip_authentication_keys_pair_by_key_id() {
        // One key, no keyId: paired with the one info.
        let one = ca_infos(&[None], &[None]).chip_authentication_offers(Ef::DG14);
        assert_eq!(one.unwrap()[0].ca_protocol.cipher, Cipher::Aes128);
        // Two keys told apart by keyId.
        let two = ca_infos(&[Some(2), Some(1)], &[Some(1), Some(2)])
            .chip_authentication_offers(Ef::DG14)
            .unwrap();
        assert_eq!(
            two.iter().map(|o| o.key_id).collect::<Vec<_>>(),
            [Some(2), Some(1)]
        );
        // A key without its info runs 3DES (Chip Authentication version 1).
        let bare = ca_infos(&[], &[None])
            .chip_authentication_offers(Ef::DG14)
            .unwrap();
        assert_eq!(bare[0].protocol, ID_CA_ECDH_3DES);
        for (infos, needle) in [
            (ca_infos(&[None], &[Some(1), Some(2)]), "names no"),
            (
                ca_infos(&[Some(1)], &[Some(1), None]),
                "not all with a keyId",
            ),
            (ca_infos(&[Some(3)], &[Some(1)]), "names no"),
            (ca_infos(&[Some(1)], &[Some(1), Some(1)]), "names two"),
        ] {
            let e = infos.chip_authentication_offers(Ef::DG14).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn a_public_key_info_needs_a_subject_public_key_info() {
        // id-PK-ECDH with a SEQUENCE that is not {AlgorithmIdentifier, BIT STRING}.
        let bad = hex::decode("3111300F060904007F0007020201023002 0500".replace(' ', "")).unwrap();
        assert!(SecurityInfos::from_der(&bad, Ef::DG14).is_err());
        let good = ca_infos(&[None], &[Some(13)]);
        let der = good.to_der(Ef::DG14).unwrap();
        assert_eq!(SecurityInfos::from_der(&der, Ef::DG14).unwrap(), good);
    }

    #[test]
    fn active_authentication_info_round_trip() {
        let infos = SecurityInfos(vec![SecurityInfo::ActiveAuthentication(
            ActiveAuthenticationInfo {
                version: 1,
                signature_algorithm: ECDSA_WITH_SHA256,
            },
        )]);
        let der = infos.to_der(Ef::DG14).unwrap();
        assert_eq!(
            hex::encode_upper(&der),
            "31173015060667810801010502010106082A8648CE3D040302"
        );
        assert_eq!(SecurityInfos::from_der(&der, Ef::DG14).unwrap(), infos);
    }
}
