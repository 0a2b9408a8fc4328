//! Chip profiles: which personalization dialect a chip speaks, how large its files and APDUs
//! may be, which access protocols it runs (ICAO Doc 9303-10 §3.11; 9303-11 §4; ISO/IEC 7816-4
//! §5.1), how the writer tells one chip from another before the first write (`chip_serial`,
//! GlobalPlatform Card Specification GET DATA `9F7F`, the Card Production Life Cycle data) and
//! whether the chip generates its own Active Authentication key pair (ISO/IEC 7816-8 GENERATE
//! ASYMMETRIC KEY PAIR; 9303-11 §6.1). Data names code: `dialect` names a [`Dialect`] enum
//! value, never a script.

use serde::Deserialize;

use crate::dialect::Dialect;
use crate::profiles::{FieldProblem, Profile};

/// An access protocol a chip runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessProtocolName {
    /// Basic Access Control.
    Bac,
    /// PACE generic mapping over ECDH.
    PaceGm,
    /// PACE integrated mapping over ECDH (ICAO Doc 9303-11 §4.4.3.3.2).
    PaceIm,
    /// PACE chip authentication mapping over ECDH (9303-11 §4.4.3.3.3): needs Chip
    /// Authentication keys and EF.CardSecurity.
    PaceCam,
    /// Chip Authentication over ECDH (9303-11 §6.2).
    Ca,
}

/// How the writer reads a chip's serial number, the identity that tells one card from another
/// before anything is written (the contactless UID of an eMRTD is random, ICAO Doc 9303-11
/// §9.4, so it identifies nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChipSerialSource {
    /// GlobalPlatform GET DATA `80 CA 9F 7F`: the Card Production Life Cycle data, whose IC
    /// fabricator, IC type, IC batch identifier and IC serial number name the chip. Answered by
    /// the card manager (the issuer security domain selected after reset).
    GpCplc,
}

/// A chip (or applet) type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipProfile {
    /// Profile id (the file stem).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Where the values come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields whose values are not confirmed.
    #[serde(default)]
    pub unverified: Vec<String>,
    /// The personalization dialect.
    pub dialect: Dialect,
    /// ATR patterns (hex with `..` for any byte) that identify the chip, if known.
    #[serde(default)]
    pub atr_patterns: Vec<String>,
    /// Largest EF the chip holds.
    pub max_ef_size: usize,
    /// Most EFs the chip holds.
    pub max_files: usize,
    /// True when the chip accepts extended-length APDUs.
    pub extended_length: bool,
    /// Largest command data field the chip accepts.
    pub max_command_data: usize,
    /// Largest response data the chip returns.
    pub max_response_data: usize,
    /// Access protocols.
    pub protocols: Vec<AccessProtocolName>,
    /// How the chip's serial number is read.
    pub chip_serial: ChipSerialSource,
    /// True when the chip generates its Active Authentication key pair itself (ISO/IEC 7816-8
    /// GENERATE ASYMMETRIC KEY PAIR) so the private key never leaves it; false when the writer
    /// stores a key generated outside.
    #[serde(default)]
    pub aa_key_generation: bool,
    /// True when the chip generates its Chip Authentication key pairs itself (GENERATE
    /// ASYMMETRIC KEY PAIR with a key template) so the private keys never leave it; false when
    /// the writer stores keys generated outside (and forgets them once written).
    #[serde(default)]
    pub ca_key_generation: bool,
}

impl ChipProfile {
    /// The largest command data usable (255 without extended length).
    pub fn command_data(&self) -> usize {
        super::usable_command_data(self.extended_length, self.max_command_data)
    }

    /// The largest response data usable (256 without extended length).
    pub fn response_data(&self) -> usize {
        super::usable_response_data(self.extended_length, self.max_response_data)
    }

    /// True when `atr` matches one of the patterns.
    pub fn matches_atr(&self, atr: &[u8]) -> bool {
        self.atr_patterns.iter().any(|p| {
            let bytes: Vec<&str> = p.split_whitespace().collect();
            bytes.len() == atr.len()
                && bytes.iter().zip(atr).all(|(pat, b)| {
                    *pat == ".." || u8::from_str_radix(pat, 16).is_ok_and(|v| v == *b)
                })
        })
    }
}

impl Profile for ChipProfile {
    const KIND: &'static str = "chips";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut v = Vec::new();
        if !(256..=0xFFFF).contains(&self.max_ef_size) {
            v.push(FieldProblem::new("max_ef_size", "must be 256 to 65535"));
        }
        if !(4..=64).contains(&self.max_files) {
            v.push(FieldProblem::new("max_files", "must be 4 to 64"));
        }
        if !(16..=permitkit_iso7816::apdu::MAX_DATA_LEN).contains(&self.max_command_data) {
            v.push(FieldProblem::new("max_command_data", "must be 16 to 65535"));
        }
        if !(64..=permitkit_iso7816::apdu::MAX_LE).contains(&self.max_response_data) {
            v.push(FieldProblem::new(
                "max_response_data",
                "must be 64 to 65536",
            ));
        }
        if self.protocols.is_empty() {
            v.push(FieldProblem::new(
                "protocols",
                "at least one access protocol",
            ));
        }
        for (i, p) in self.atr_patterns.iter().enumerate() {
            let ok = p
                .split_whitespace()
                .all(|b| b == ".." || (b.len() == 2 && u8::from_str_radix(b, 16).is_ok()));
            if !ok {
                v.push(FieldProblem::new(
                    format!("atr_patterns[{i}]"),
                    "bytes are two hex digits or `..`, separated by spaces",
                ));
            }
        }
        if self.aa_key_generation && !self.dialect.generates_aa_key() {
            v.push(FieldProblem::new(
                "aa_key_generation",
                "this dialect has no GENERATE ASYMMETRIC KEY PAIR for the Active Authentication key",
            ));
        }
        let pace = [
            AccessProtocolName::PaceGm,
            AccessProtocolName::PaceIm,
            AccessProtocolName::PaceCam,
        ];
        if pace.iter().any(|p| self.protocols.contains(p)) && !self.dialect.has_master_file() {
            v.push(FieldProblem::new(
                "protocols",
                "PACE needs EF.CardAccess in the master file, which this dialect cannot write",
            ));
        }
        let ca = self.protocols.contains(&AccessProtocolName::Ca);
        if ca && !self.dialect.stores_ca_key() && !self.dialect.generates_ca_key() {
            v.push(FieldProblem::new(
                "protocols",
                "Chip Authentication needs a key pair on the chip, which this dialect cannot store or make",
            ));
        }
        if self.protocols.contains(&AccessProtocolName::PaceCam) && !ca {
            v.push(FieldProblem::new(
                "protocols",
                "pace-cam proves a Chip Authentication key: list \"ca\" too",
            ));
        }
        if self.ca_key_generation && (!ca || !self.dialect.generates_ca_key()) {
            v.push(FieldProblem::new(
                "ca_key_generation",
                "needs \"ca\" in protocols and a dialect with GENERATE ASYMMETRIC KEY PAIR for Chip Authentication keys",
            ));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIRTUAL: &str =
        include_str!("../../../../hardware-profiles/chips/permitkit-virtual.toml");

    #[test]
    fn chip_serial_is_required_and_aa_key_generation_needs_a_dialect_that_has_it() {
        let chip: ChipProfile = toml::from_str(VIRTUAL).unwrap();
        assert_eq!(chip.chip_serial, ChipSerialSource::GpCplc);
        assert!(chip.aa_key_generation);
        assert!(chip.validate().is_empty());
        let without = VIRTUAL.replace("chip_serial = \"gp-cplc\"\n", "");
        let e = toml::from_str::<ChipProfile>(&without).unwrap_err();
        assert!(e.to_string().contains("chip_serial"), "{e}");
        let jmrtd = VIRTUAL.replace("dialect = \"permitkit-v1\"", "dialect = \"jmrtd-applet\"");
        let chip: ChipProfile = toml::from_str(&jmrtd).unwrap();
        assert!(
            chip.validate()
                .iter()
                .any(|p| p.field == "aa_key_generation"),
            "{:?}",
            chip.validate()
        );
    }
}
