//! The `signature-pads` profile kind (ARCHITECTURE.md §5): one TOML file per signature pad or
//! pen tablet under `hardware-profiles/signature-pads/`, naming the backend that reads it, how
//! to recognise it (USB ids, the evdev device name), its active area and pen, and the
//! station's policy for ending a signature.
//!
//! ```toml
//! id = "wacom-one-by-wacom-s"
//! name = "Wacom One by Wacom S (CTL-472)"
//! backend = "evdev"
//! evdev_name = "Wacom One by Wacom S Pen"
//! usb_ids = ["056a:037a"]
//! sources = ["Linux drivers/hid/wacom_wac.c: wacom_features_0x37A"]
//! [active_area]
//! width_mm = 152.0
//! height_mm = 95.0
//! [pen]
//! pressure_levels = 2048
//! units_per_mm = 100
//! [capture]
//! timeout_seconds = 60.0
//! idle_end_seconds = 3.0
//! ```

use std::time::Duration;

use serde::Deserialize;

use super::{FieldProblem, Profile, parse_usb_id};
use crate::input_codes as pen_events;

/// Which code reads the pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PadBackend {
    /// The built-in simulator (`sim`, `sim:<seed>`).
    Simulator,
    /// A Linux input device (`evdev:<path or name>`, feature `evdev`).
    Evdev,
    /// A scanned image (`image:<file>`).
    Image,
}

impl PadBackend {
    /// The selector prefix this backend answers to.
    pub fn selector_kind(self) -> &'static str {
        match self {
            PadBackend::Simulator => "sim",
            PadBackend::Evdev => "evdev",
            PadBackend::Image => "image",
        }
    }
}

/// The writing surface.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveArea {
    /// Width in millimetres.
    pub width_mm: f32,
    /// Height in millimetres.
    pub height_mm: f32,
}

/// The pen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pen {
    /// Distinct pressure values (the driver's maximum pressure + 1).
    pub pressure_levels: u32,
    /// Coordinate units per millimetre as the driver reports them.
    pub units_per_mm: u32,
}

/// A key or button that ends the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndButton {
    /// `BTN_STYLUS`, the pen's lower side button.
    Stylus,
    /// `BTN_STYLUS2`, the pen's upper side button.
    Stylus2,
    /// `BTN_0`, the first button on the pad itself.
    Pad0,
}

impl EndButton {
    /// The Linux input event code.
    pub fn code(self) -> u16 {
        match self {
            EndButton::Stylus => pen_events::BTN_STYLUS,
            EndButton::Stylus2 => pen_events::BTN_STYLUS2,
            EndButton::Pad0 => pen_events::BTN_0,
        }
    }
}

/// Station policy for captures from this pad.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapturePolicy {
    /// How long to wait for the pen to touch the pad.
    pub timeout_seconds: f64,
    /// The signature is complete after this long without pen contact.
    pub idle_end_seconds: f64,
    /// A button that ends the signature at once.
    #[serde(default)]
    pub end_button: Option<EndButton>,
}

/// A signature pad profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturePadProfile {
    /// Profile id, equal to the file stem.
    pub id: String,
    /// Model name.
    pub name: String,
    /// Reading backend.
    pub backend: PadBackend,
    /// The evdev device name the driver gives the pen (for `evdev:<name>` selectors).
    #[serde(default)]
    pub evdev_name: Option<String>,
    /// USB vendor:product ids (`"056a:037a"`), lower-case hex.
    #[serde(default)]
    pub usb_ids: Vec<String>,
    /// Writing surface (absent for scanned images).
    #[serde(default)]
    pub active_area: Option<ActiveArea>,
    /// Pen (absent for scanned images).
    #[serde(default)]
    pub pen: Option<Pen>,
    /// Capture policy.
    pub capture: CapturePolicy,
    /// Where the values come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields whose values could not be confirmed from a public source.
    #[serde(default)]
    pub unverified: Vec<String>,
}

impl SignaturePadProfile {
    /// The end rule this profile asks for.
    pub fn end_rule(&self) -> EndRule {
        EndRule {
            idle: Duration::try_from_secs_f64(self.capture.idle_end_seconds)
                .unwrap_or(DEFAULT_IDLE_END),
            button: self.capture.end_button.map(EndButton::code),
            ..EndRule::default()
        }
    }

    /// The capture timeout this profile asks for.
    pub fn timeout(&self) -> Duration {
        Duration::try_from_secs_f64(self.capture.timeout_seconds).unwrap_or(DEFAULT_TIMEOUT)
    }
}

impl Profile for SignaturePadProfile {
    const KIND: &'static str = "signature-pads";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(FieldProblem::new("name", "must not be empty"));
        }
        let c = &self.capture;
        if !(c.timeout_seconds > 0.0 && c.timeout_seconds <= 600.0) {
            out.push(FieldProblem::new(
                "capture.timeout_seconds",
                "must be in (0, 600]",
            ));
        }
        if !(c.idle_end_seconds >= 0.5 && c.idle_end_seconds <= 30.0) {
            out.push(FieldProblem::new(
                "capture.idle_end_seconds",
                "must be 0.5 to 30 seconds (shorter cuts a signer off between words)",
            ));
        }
        for (i, id) in self.usb_ids.iter().enumerate() {
            if parse_usb_id(id).is_none() || id.to_lowercase() != *id {
                out.push(FieldProblem::new(
                    format!("usb_ids[{i}]"),
                    "expected vvvv:pppp in lower-case hexadecimal",
                ));
            }
        }
        if let Some(a) = &self.active_area {
            for (field, v) in [
                ("active_area.width_mm", a.width_mm),
                ("active_area.height_mm", a.height_mm),
            ] {
                if !(v.is_finite() && (10.0..=1000.0).contains(&v)) {
                    out.push(FieldProblem::new(field, "must be 10 to 1000 mm"));
                }
            }
        }
        if let Some(p) = &self.pen {
            if !(2..=65_536).contains(&p.pressure_levels) {
                out.push(FieldProblem::new(
                    "pen.pressure_levels",
                    "must be 2 to 65536",
                ));
            }
            if !(1..=10_000).contains(&p.units_per_mm) {
                out.push(FieldProblem::new("pen.units_per_mm", "must be 1 to 10000"));
            }
        }
        match self.backend {
            PadBackend::Evdev | PadBackend::Simulator => {
                if self.active_area.is_none() {
                    out.push(FieldProblem::new(
                        "active_area",
                        "required for a pen device",
                    ));
                }
                if self.pen.is_none() {
                    out.push(FieldProblem::new("pen", "required for a pen device"));
                }
            }
            PadBackend::Image => {
                if self.pen.is_some() || self.active_area.is_some() {
                    out.push(FieldProblem::new(
                        "backend",
                        "a scanned image has no pen or active area",
                    ));
                }
            }
        }
        match (self.backend, &self.evdev_name) {
            (PadBackend::Evdev, None) => out.push(FieldProblem::new(
                "evdev_name",
                "required for the evdev backend (the name its driver gives the pen device)",
            )),
            (PadBackend::Evdev, Some(n))
                if n.trim().is_empty() || n.chars().any(char::is_control) =>
            {
                out.push(FieldProblem::new("evdev_name", "must be a printable name"));
            }
            (PadBackend::Simulator | PadBackend::Image, Some(_)) => out.push(FieldProblem::new(
                "evdev_name",
                "only for the evdev backend",
            )),
            _ => {}
        }
        if self.backend == PadBackend::Evdev && self.sources.is_empty() {
            out.push(FieldProblem::new(
                "sources",
                "a real device's values need their sources",
            ));
        }
        out
    }
}

/// Default time a station waits for the pen to touch the pad.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default pen-up time after which a started signature is taken as complete.
pub const DEFAULT_IDLE_END: Duration = Duration::from_secs(3);

/// How a pen device decides that the signature is complete. The simulator and the image
/// backend ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndRule {
    /// The signature is complete when the pen has been off the pad this long after a stroke.
    pub idle: Duration,
    /// A key or button (Linux input event code, e.g. `BTN_STYLUS2` = 0x14c) that ends the
    /// signature at once when pressed.
    pub button: Option<u16>,
    /// Longest signature accepted, from the first touch; longer captures end here.
    pub max_duration: Duration,
}

impl Default for EndRule {
    fn default() -> Self {
        Self {
            idle: DEFAULT_IDLE_END,
            button: None,
            max_duration: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{builtin, parse};

    #[test]
    fn built_in_pads_load_and_real_ones_cite_sources() {
        let pads = builtin::all::<SignaturePadProfile>();
        assert!(pads.len() >= 3, "{pads:?}");
        for p in &pads {
            if p.backend == PadBackend::Evdev {
                assert!(!p.usb_ids.is_empty(), "{}", p.id);
                assert!(p.evdev_name.is_some(), "{}", p.id);
            }
        }
        let sim = builtin::load::<SignaturePadProfile>("simulator").unwrap();
        let area = sim.active_area.unwrap();
        assert_eq!(
            (area.width_mm, area.height_mm),
            (100.0, 50.0),
            "the simulator profile describes the simulator"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let text = include_str!("../../../../hardware-profiles/signature-pads/simulator.toml");
        let e = parse::<SignaturePadProfile>(
            "simulator.toml",
            &text.replace("idle_end_seconds = 3.0", "idle_end_seconds = 0.1"),
        )
        .unwrap_err();
        assert_eq!(e.field, "capture.idle_end_seconds");
        let e = parse::<SignaturePadProfile>(
            "simulator.toml",
            &text.replace("backend = \"simulator\"", "backend = \"evdev\""),
        )
        .unwrap_err();
        assert_eq!(e.field, "evdev_name");
    }

    #[test]
    fn end_rule_from_policy() {
        let p = builtin::load::<SignaturePadProfile>("wacom-one-by-wacom-s").unwrap();
        let rule = p.end_rule();
        assert_eq!(rule.idle, Duration::from_secs(3));
        assert_eq!(rule.button, Some(pen_events::BTN_STYLUS2));
    }
}
