//! The `scanner` profile kind (ARCHITECTURE.md §5): one TOML file per fingerprint scanner model
//! under `hardware-profiles/scanners/`, naming the backend that drives it, its resolution and
//! capture area, and the station's quality policy for it.
//!
//! ```toml
//! id = "digitalpersona-uareu-4500"
//! name = "DigitalPersona U.are.U 4500"
//! backend = "libfprint"
//! libfprint_driver = "uru4000"
//! usb_ids = ["05ba:000a"]
//! ppi = 500
//! scan_type = "press"
//! [capture]
//! width = 384
//! height = 290
//! [quality]
//! enrolment_threshold = 55
//! attempts = 3
//! ```

use serde::Deserialize;

use super::{FieldProblem, Profile, parse_usb_id};

/// Which code drives the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScannerBackend {
    /// The built-in simulator (`sim`, `sim:<seed>`).
    Simulator,
    /// libfprint 2 (`libfprint:<n>`, feature `libfprint`).
    Libfprint,
}

/// How the finger meets the sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanType {
    /// The finger rests on an area sensor (plain impression).
    Press,
    /// The finger is swiped across a line sensor.
    Swipe,
}

/// Image size the scanner delivers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureArea {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Station policy for captures from this scanner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityPolicy {
    /// Captures scoring below this (0–100, `quality::finger`) are recaptured.
    pub enrolment_threshold: u8,
    /// Captures per finger before a substitute finger is used (best of N).
    pub attempts: u8,
}

/// A fingerprint scanner profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerProfile {
    /// Profile id, equal to the file stem.
    pub id: String,
    /// Model name.
    pub name: String,
    /// Driving backend.
    pub backend: ScannerBackend,
    /// libfprint driver id, for the libfprint backend.
    #[serde(default)]
    pub libfprint_driver: Option<String>,
    /// USB vendor:product ids (`"05ba:000a"`), lower-case hex.
    #[serde(default)]
    pub usb_ids: Vec<String>,
    /// Resolution in pixels per inch.
    pub ppi: u16,
    /// Press or swipe.
    pub scan_type: ScanType,
    /// Delivered image size.
    pub capture: CaptureArea,
    /// Quality policy.
    pub quality: QualityPolicy,
    /// Where the values come from (driver source, datasheet).
    #[serde(default)]
    pub sources: Vec<String>,
}

impl ScannerProfile {
    /// USB ids parsed as `(vendor, product)`; entries that do not parse are skipped
    /// ([`Profile::validate`] reports them).
    pub fn usb_id_pairs(&self) -> Vec<(u16, u16)> {
        self.usb_ids
            .iter()
            .filter_map(|s| parse_usb_id(s))
            .collect()
    }
}

impl Profile for ScannerProfile {
    const KIND: &'static str = "scanners";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if !(250..=1000).contains(&self.ppi) {
            out.push(FieldProblem::new("ppi", "must be between 250 and 1000"));
        }
        if !(16..=2000).contains(&self.capture.width) {
            out.push(FieldProblem::new(
                "capture.width",
                "must be 16 to 2000 pixels",
            ));
        }
        if !(16..=2000).contains(&self.capture.height) {
            out.push(FieldProblem::new(
                "capture.height",
                "must be 16 to 2000 pixels",
            ));
        }
        if self.quality.enrolment_threshold > 100 {
            out.push(FieldProblem::new(
                "quality.enrolment_threshold",
                "must be 0 to 100",
            ));
        }
        if !(1..=10).contains(&self.quality.attempts) {
            out.push(FieldProblem::new("quality.attempts", "must be 1 to 10"));
        }
        for (i, id) in self.usb_ids.iter().enumerate() {
            if parse_usb_id(id).is_none() {
                out.push(FieldProblem::new(
                    format!("usb_ids[{i}]"),
                    "expected vvvv:pppp in hexadecimal",
                ));
            }
        }
        match (self.backend, &self.libfprint_driver) {
            (ScannerBackend::Libfprint, None) => out.push(FieldProblem::new(
                "libfprint_driver",
                "required for the libfprint backend",
            )),
            (ScannerBackend::Simulator, Some(_)) => out.push(FieldProblem::new(
                "libfprint_driver",
                "only for the libfprint backend",
            )),
            _ => {}
        }
        out
    }
}

/// Loads the built-in profile `id`.
pub fn builtin(id: &str) -> Option<Result<ScannerProfile, super::ProfileError>> {
    super::builtin::of_kind::<ScannerProfile>()
        .find(|(file, _)| file.strip_suffix(".toml") == Some(id))
        .map(|(file, text)| super::parse(&format!("scanners/{file}"), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_scanners_have_sources_and_500_ppi() {
        for (file, text) in crate::profiles::builtin::of_kind::<ScannerProfile>() {
            let p: ScannerProfile = super::super::parse(file, text).unwrap();
            assert_eq!(p.ppi, 500, "{file}");
            assert!(!p.sources.is_empty(), "{file}: every value needs a source");
        }
        let uru = builtin("digitalpersona-uareu-4500").unwrap().unwrap();
        assert_eq!(uru.usb_id_pairs(), vec![(0x05ba, 0x000a)]);
    }

    #[test]
    fn validation_names_the_field() {
        let text = include_str!("../../../../hardware-profiles/scanners/simulator.toml")
            .replace("attempts = 3", "attempts = 0");
        let e = super::super::parse::<ScannerProfile>("simulator.toml", &text).unwrap_err();
        assert_eq!(e.field, "quality.attempts");
        let text = include_str!("../../../../hardware-profiles/scanners/veridicom-5thsense.toml")
            .replace("061a:0110", "61a:0110");
        let e =
            super::super::parse::<ScannerProfile>("veridicom-5thsense.toml", &text).unwrap_err();
        assert_eq!(e.field, "usb_ids[0]");
    }
}
