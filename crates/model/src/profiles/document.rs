//! Document profiles: what one document type puts on its chip and how (ICAO Doc 9303-5 for the
//! TD1 card, 9303-10 for the data groups, 9303-11 for the access protocols), plus the national
//! rules that are policy rather than standard — which data groups, the portrait byte budget,
//! fingerprints only with the holder's written consent, validity terms, and how long the text
//! fields of an application may be ([`FieldLimits`]).
//!
//! Values not confirmed from an official source are listed in `unverified` in the file itself,
//! so `profiles list` can show them.

use serde::Deserialize;

use crate::FingerPosition;
use crate::profiles::{FieldProblem, Profile};

/// The portrait's face image type, named here because document profiles set it.
pub use crate::face_image_type::PortraitType;

/// A document type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentProfile {
    /// Profile id (the file stem).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Where the values come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields whose values are not confirmed from an official source.
    #[serde(default)]
    pub unverified: Vec<String>,
    /// MRZ document code (9303-5 note k: first letter A, C or I for TD1).
    pub document_code: String,
    /// Issuing State, ICAO 3-letter code.
    pub issuing_state: String,
    /// Two-letter code of the issuing State (for the Document Signer's country).
    pub issuing_state_alpha2: String,
    /// MRZ format: `td1` for ID-1 cards.
    pub format: MrzFormatName,
    /// Data groups written (1 and 2 are mandatory).
    pub data_groups: Vec<u8>,
    /// Validity rules.
    pub validity: Validity,
    /// Portrait (DG2) rules.
    pub portrait: Portrait,
    /// Fingerprint (DG3) rules.
    pub fingers: Fingers,
    /// Signature (DG7) rules.
    pub signature: SignatureImage,
    /// Chip access and authentication.
    pub chip: Chip,
    /// Longest text fields an application may give (`[limits]`; [`FieldLimits::default`]
    /// when the table is absent).
    #[serde(default)]
    pub limits: FieldLimits,
}

/// Longest values of an application's text fields, in characters (Unicode scalar values).
///
/// ICAO Doc 9303-10 Tables 42–43 give the DG11 and DG12 text elements a variable length with no
/// maximum, and the LDS writers refuse only elements beyond 1024 bytes. These limits are the
/// issuer's policy, checked when the application is validated so that an operator learns which
/// field is too long before anything is built or signed. The defaults are this toolkit's
/// choice, not an official source: each is several times the longest value a residence
/// permit's register is expected to hold (a name part of 64 characters, an address of 200), and
/// together they keep DG11 and DG12 to a few kilobytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldLimits {
    /// Surname, given names, their national-script forms, and each other name.
    pub name: u16,
    /// Personal number (DG11; the MRZ optional data holds at most 15 characters of it anyway).
    pub personal_number: u16,
    /// Place of birth, its sub-fields joined by `<` (DG11 5F11).
    pub place_of_birth: u16,
    /// Permanent address, its sub-fields joined by `<` (DG11 5F42).
    pub address: u16,
    /// Issuing authority (DG12 5F19).
    pub issuing_authority: u16,
    /// Endorsements and observations (DG12 5F1B).
    pub endorsements: u16,
    /// How many other names (DG11 5F0F) an application may give.
    pub other_names: u8,
}

/// The largest limit a profile may set: 256 characters of up to 4 UTF-8 bytes each fill the
/// 1024-byte element the LDS writers accept (`permitkit_lds` `MAX_TEXT_ELEMENT`).
pub const MAX_FIELD_LIMIT: u16 = 256;

impl Default for FieldLimits {
    fn default() -> Self {
        Self {
            name: 64,
            personal_number: 20,
            place_of_birth: 100,
            address: 200,
            issuing_authority: 64,
            endorsements: 200,
            other_names: 4,
        }
    }
}

impl FieldLimits {
    /// Every limit with its field name, for validation and messages.
    pub fn fields(&self) -> [(&'static str, u16); 6] {
        [
            ("name", self.name),
            ("personal_number", self.personal_number),
            ("place_of_birth", self.place_of_birth),
            ("address", self.address),
            ("issuing_authority", self.issuing_authority),
            ("endorsements", self.endorsements),
        ]
    }
}

/// MRZ format name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MrzFormatName {
    /// 3 × 30 (ID-1 card).
    Td1,
    /// 2 × 44 (passport booklet).
    Td3,
}

/// Validity of the document from its date of issue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// Term used when the application does not state an expiry date.
    pub default_years: u8,
    /// Longest term an application may state.
    pub max_years: u8,
}

/// Portrait rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portrait {
    /// Largest JPEG in DG2, bytes.
    pub max_bytes: usize,
    /// `full-frontal` or `token-frontal` (ISO/IEC 19794-5).
    pub image_type: PortraitType,
    /// Output width in pixels of the cropped portrait.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
}

/// Fingerprint rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingers {
    /// Whether DG3 is written only with the holder's written consent.
    pub require_written_consent: bool,
    /// Fingers wanted, in order of preference.
    pub required: Vec<FingerPosition>,
    /// Fingers that may replace a missing or unusable one, in order.
    pub substitutes: Vec<FingerPosition>,
    /// Capture attempts per finger (best of N).
    pub attempts: u8,
    /// Lowest acceptable quality score (0–100).
    pub min_quality: u8,
    /// WSQ bit rate for DG3.
    pub wsq_bitrate: f32,
}

/// Signature image rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureImage {
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Largest JPEG in DG7, bytes.
    pub max_bytes: usize,
}

/// Chip access and authentication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chip {
    /// PACE protocols offered in EF.CardAccess; empty means BAC only.
    pub pace: Vec<PaceOffer>,
    /// Whether BAC stays available for older inspection systems.
    pub bac: bool,
    /// Active Authentication key type, if any.
    pub active_authentication: Option<AaKeyType>,
    /// Chip Authentication (ICAO 9303-11 §6.2), if the chip proves itself with a static key
    /// pair in DG14: the protocol and the curve. A PACE-CAM offer needs it, on the same curve.
    #[serde(default)]
    pub chip_authentication: Option<CaOffer>,
    /// Extended Access Control (ICAO 9303-11 §7, BSI TR-03110-1 §3): the data groups only an
    /// authorized inspection system reads, and the trust point the chip is personalized with.
    #[serde(default)]
    pub eac: Option<Eac>,
    /// Digits of the card access number printed on the card.
    pub can_digits: u8,
}

/// Extended Access Control of a document type: which data groups the chip gives only after
/// Terminal Authentication (ICAO 9303-11 §7.1) with a certificate chain whose effective CHAT
/// grants reading them, and which trust point (the issuing State's CVCA certificate, BSI
/// TR-03110-3 §2.3) the chip is personalized with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eac {
    /// Data groups behind Terminal Authentication: 3 (fingerprints) and/or 4 (iris).
    pub data_groups: Vec<u8>,
    /// The CVCA certificate the chip trusts, as a path relative to the PKI folder the station
    /// or `lds build` is given (`--pki`): `permitkit pki init` writes a TEST ONLY one as
    /// `eac/cvca.cvcert` (with the DV and the inspection system the station verifies with);
    /// its holder must be a CVCA of the issuing State (`issuing_state_alpha2`).
    pub trust_point: String,
}

impl Eac {
    /// The default trust point path inside a PKI folder.
    pub const DEFAULT_TRUST_POINT: &'static str = "eac/cvca.cvcert";

    /// True when Terminal Authentication protects DG`n`.
    pub fn protects(&self, n: u8) -> bool {
        self.data_groups.contains(&n)
    }
}

/// One PACE protocol and domain parameter set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaceOffer {
    /// Mapping and cipher.
    pub protocol: PaceProtocolName,
    /// Standardized domain parameter id (12 P-256, 13 brainpoolP256r1).
    pub parameter_id: u32,
}

/// One Chip Authentication protocol and the curve of its key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaOffer {
    /// Key agreement and secure-messaging cipher.
    pub protocol: CaProtocolName,
    /// Standardized domain parameter id of the key (12 P-256, 13 brainpoolP256r1).
    pub parameter_id: u32,
}

/// Chip Authentication ECDH protocols (`id-CA-ECDH-*`, 9303-11 §9.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CaProtocolName {
    /// id-CA-ECDH-3DES-CBC-CBC (Chip Authentication version 1, MSE:Set KAT).
    #[serde(rename = "ECDH-3DES")]
    Ecdh3Des,
    /// id-CA-ECDH-AES-CBC-CMAC-128.
    #[serde(rename = "ECDH-AES-128")]
    EcdhAes128,
    /// id-CA-ECDH-AES-CBC-CMAC-192.
    #[serde(rename = "ECDH-AES-192")]
    EcdhAes192,
    /// id-CA-ECDH-AES-CBC-CMAC-256.
    #[serde(rename = "ECDH-AES-256")]
    EcdhAes256,
}

/// PACE ECDH protocols: generic, integrated and chip authentication mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PaceProtocolName {
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-128.
    #[serde(rename = "ECDH-GM-AES-128")]
    EcdhGmAes128,
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-192.
    #[serde(rename = "ECDH-GM-AES-192")]
    EcdhGmAes192,
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-256.
    #[serde(rename = "ECDH-GM-AES-256")]
    EcdhGmAes256,
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-128 (integrated mapping).
    #[serde(rename = "ECDH-IM-AES-128")]
    EcdhImAes128,
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-192.
    #[serde(rename = "ECDH-IM-AES-192")]
    EcdhImAes192,
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-256.
    #[serde(rename = "ECDH-IM-AES-256")]
    EcdhImAes256,
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-128 (chip authentication mapping).
    #[serde(rename = "ECDH-CAM-AES-128")]
    EcdhCamAes128,
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-192.
    #[serde(rename = "ECDH-CAM-AES-192")]
    EcdhCamAes192,
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-256.
    #[serde(rename = "ECDH-CAM-AES-256")]
    EcdhCamAes256,
}

/// Active Authentication key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AaKeyType {
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
}

impl Profile for DocumentProfile {
    const KIND: &'static str = "documents";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut p = Vec::new();
        let code = self.document_code.as_bytes();
        if !(1..=2).contains(&code.len())
            || !matches!(code.first(), Some(b'A' | b'C' | b'I'))
            || !code.iter().all(|b| b.is_ascii_uppercase() || *b == b'<')
        {
            p.push(FieldProblem::new(
                "document_code",
                "must be 1-2 characters starting with A, C or I (ICAO 9303-5 note k)",
            ));
        }
        if code == b"AC" || code.get(1) == Some(&b'V') || code == b"AI" {
            p.push(FieldProblem::new(
                "document_code",
                "AC, AI and a second letter V are not allowed",
            ));
        }
        if self.issuing_state.len() != 3
            || !self
                .issuing_state
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'<')
        {
            p.push(FieldProblem::new(
                "issuing_state",
                "must be a 3-letter ICAO code",
            ));
        }
        if self.issuing_state_alpha2.len() != 2
            || !self
                .issuing_state_alpha2
                .bytes()
                .all(|b| b.is_ascii_uppercase())
        {
            p.push(FieldProblem::new(
                "issuing_state_alpha2",
                "must be a 2-letter code",
            ));
        }
        for (i, dg) in self.data_groups.iter().enumerate() {
            if !matches!(dg, 1 | 2 | 3 | 7 | 11 | 12 | 14 | 15) {
                p.push(FieldProblem::new(
                    format!("data_groups[{i}]"),
                    format!("DG{dg} is not one this toolkit writes (1, 2, 3, 7, 11, 12, 14, 15)"),
                ));
            }
        }
        if !self.data_groups.contains(&1) || !self.data_groups.contains(&2) {
            p.push(FieldProblem::new(
                "data_groups",
                "DG1 and DG2 are mandatory",
            ));
        }
        if !self.chip.pace.is_empty() && !self.data_groups.contains(&14) {
            p.push(FieldProblem::new(
                "data_groups",
                "PACE requires DG14 (it repeats the PACEInfos)",
            ));
        }
        if self.chip.chip_authentication.is_some() && !self.data_groups.contains(&14) {
            p.push(FieldProblem::new(
                "data_groups",
                "Chip Authentication requires DG14 (it carries the chip's public key)",
            ));
        }
        if let Some(ca) = &self.chip.chip_authentication
            && !matches!(ca.parameter_id, 12 | 13)
        {
            p.push(FieldProblem::new(
                "chip.chip_authentication.parameter_id",
                "supported: 12 (NIST P-256) and 13 (brainpoolP256r1)",
            ));
        }
        for (i, o) in self.chip.pace.iter().enumerate() {
            let cam = matches!(
                o.protocol,
                PaceProtocolName::EcdhCamAes128
                    | PaceProtocolName::EcdhCamAes192
                    | PaceProtocolName::EcdhCamAes256
            );
            let same_curve = self
                .chip
                .chip_authentication
                .as_ref()
                .is_some_and(|ca| ca.parameter_id == o.parameter_id);
            if cam && !same_curve {
                p.push(FieldProblem::new(
                    format!("chip.pace[{i}]"),
                    "PACE-CAM proves the Chip Authentication key: chip.chip_authentication must name the same parameter_id",
                ));
            }
        }
        if let Some(eac) = &self.chip.eac {
            for (i, dg) in eac.data_groups.iter().enumerate() {
                if !matches!(dg, 3 | 4) {
                    p.push(FieldProblem::new(
                        format!("chip.eac.data_groups[{i}]"),
                        format!("DG{dg}: Terminal Authentication protects DG3 and DG4 only (9303-11 §7.1)"),
                    ));
                } else if !self.data_groups.contains(dg) {
                    p.push(FieldProblem::new(
                        format!("chip.eac.data_groups[{i}]"),
                        format!("DG{dg} is not among the data groups written"),
                    ));
                }
            }
            if self.chip.chip_authentication.is_none() {
                p.push(FieldProblem::new(
                    "chip.eac",
                    "Terminal Authentication follows Chip Authentication (9303-11 §7.1): chip.chip_authentication is needed",
                ));
            }
            let path = std::path::Path::new(&eac.trust_point);
            if eac.trust_point.trim().is_empty()
                || path.is_absolute()
                || eac.trust_point.chars().any(char::is_control)
                || path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                p.push(FieldProblem::new(
                    "chip.eac.trust_point",
                    "must be a path inside the PKI folder (relative, without `..`), e.g. eac/cvca.cvcert",
                ));
            }
        }
        if self.chip.active_authentication.is_some() && !self.data_groups.contains(&15) {
            p.push(FieldProblem::new(
                "data_groups",
                "Active Authentication requires DG15",
            ));
        }
        if self.chip.pace.is_empty() && !self.chip.bac {
            p.push(FieldProblem::new(
                "chip",
                "neither PACE nor BAC: the chip would be unreadable",
            ));
        }
        for (i, o) in self.chip.pace.iter().enumerate() {
            if !matches!(o.parameter_id, 12 | 13) {
                p.push(FieldProblem::new(
                    format!("chip.pace[{i}].parameter_id"),
                    "supported: 12 (NIST P-256) and 13 (brainpoolP256r1)",
                ));
            }
        }
        if !(6..=10).contains(&self.chip.can_digits) {
            p.push(FieldProblem::new("chip.can_digits", "must be 6 to 10"));
        }
        if self.validity.default_years == 0 || self.validity.default_years > self.validity.max_years
        {
            p.push(FieldProblem::new(
                "validity.default_years",
                "must be between 1 and max_years",
            ));
        }
        if self.portrait.max_bytes < 4000 || self.portrait.max_bytes > 60_000 {
            p.push(FieldProblem::new(
                "portrait.max_bytes",
                "must be between 4000 and 60000",
            ));
        }
        if self.portrait.width < 240 || self.portrait.height < self.portrait.width {
            p.push(FieldProblem::new(
                "portrait.width",
                "at least 240 px, and height at least width",
            ));
        }
        if self.fingers.required.is_empty() && self.data_groups.contains(&3) {
            p.push(FieldProblem::new(
                "fingers.required",
                "DG3 needs at least one finger",
            ));
        }
        if self.fingers.attempts == 0 || self.fingers.attempts > 10 {
            p.push(FieldProblem::new("fingers.attempts", "must be 1 to 10"));
        }
        if self.fingers.min_quality > 100 {
            p.push(FieldProblem::new("fingers.min_quality", "must be 0 to 100"));
        }
        if !(0.1..=4.0).contains(&self.fingers.wsq_bitrate) {
            p.push(FieldProblem::new(
                "fingers.wsq_bitrate",
                "must be 0.1 to 4.0 bits per pixel",
            ));
        }
        for (field, limit) in self.limits.fields() {
            if !(1..=MAX_FIELD_LIMIT).contains(&limit) {
                p.push(FieldProblem::new(
                    format!("limits.{field}"),
                    format!(
                        "must be 1 to {MAX_FIELD_LIMIT} characters (4 UTF-8 bytes each must fit \
                         the LDS writers' 1024-byte element)"
                    ),
                ));
            }
        }
        if self.limits.name < 30 {
            p.push(FieldProblem::new(
                "limits.name",
                "at least 30 characters: a name that fills the MRZ name field must fit",
            ));
        }
        if self.limits.other_names > 16 {
            p.push(FieldProblem::new("limits.other_names", "must be 0 to 16"));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPORARY: &str =
        include_str!("../../../../hardware-profiles/documents/ua-temporary-residence-permit.toml");

    #[test]
    fn the_builtin_profile_states_its_field_limits() {
        let p: DocumentProfile = toml::from_str(TEMPORARY).unwrap();
        assert_eq!(p.limits, FieldLimits::default());
        assert_eq!(p.limits.issuing_authority, 64);
        assert!(p.validate().is_empty(), "{:?}", p.validate());
    }

    #[test]
    fn limits_beyond_what_the_lds_writers_accept_are_named() {
        let text = TEMPORARY.replace("issuing_authority = 64", "issuing_authority = 5000");
        let p: DocumentProfile = toml::from_str(&text).unwrap();
        let fields: Vec<String> = p.validate().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, vec!["limits.issuing_authority"]);
        let without: String = TEMPORARY.split("[limits]").next().unwrap().to_owned();
        let p: DocumentProfile = toml::from_str(&without).unwrap();
        assert_eq!(p.limits, FieldLimits::default(), "absent: the defaults");
    }
}
