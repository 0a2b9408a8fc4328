//! Skin and capture conditions: the ways a real capture goes wrong, as rendering parameters.
//!
//! Dry skin prints thin, broken ridges with poor contact; wet or oily skin fills the valleys
//! so neighbouring ridges merge into dark smudges (Maltoni et al., *Handbook*, §3.2 and SFinGe's
//! "dry / wet" rendering, Cappelli et al. 2000). The capture defects are those a fingerprint
//! quality check has to catch (ISO/IEC 29794-4 / NFIQ 2 actionable feedback): no finger, too
//! little of it, too little contrast, or a blurred image (finger moved, dirty platen).

use std::{fmt, str::FromStr};

/// How the synthetic capture turns out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Condition {
    /// Normal skin, good contact, sharp image.
    #[default]
    Normal,
    /// Dry skin: thin, broken, faint ridges.
    Dry,
    /// Wet or oily skin: thick ridges that merge into smudges.
    Wet,
    /// Out of focus or moved during capture.
    Blurred,
    /// Faint image (dirty platen, wrong exposure).
    LowContrast,
    /// Only part of the finger touches the platen (fingertip or one side).
    Partial,
    /// No finger at all: platen background and sensor noise.
    Empty,
}

const NAMES: [(Condition, &str); 7] = [
    (Condition::Normal, "normal"),
    (Condition::Dry, "dry"),
    (Condition::Wet, "wet"),
    (Condition::Blurred, "blurred"),
    (Condition::LowContrast, "low-contrast"),
    (Condition::Partial, "partial"),
    (Condition::Empty, "empty"),
];

impl Condition {
    /// Every condition.
    pub fn all() -> impl Iterator<Item = Condition> {
        NAMES.iter().map(|(c, _)| *c)
    }

    /// Kebab-case name (`low-contrast`).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("normal", |(_, n)| n)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown condition name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown capture condition {0:?} (expected normal, dry, wet, blurred, low-contrast, partial or empty)"
)]
pub struct UnknownCondition(pub String);

impl FromStr for Condition {
    type Err = UnknownCondition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        NAMES
            .iter()
            .find(|(_, n)| *n == wanted)
            .map(|(c, _)| *c)
            .ok_or_else(|| UnknownCondition(s.to_owned()))
    }
}

/// Rendering parameters for one condition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Look {
    /// Platen background grey level.
    pub(crate) background: f64,
    /// Grey level of a ridge in full contact.
    pub(crate) ridge: f64,
    /// Threshold on the ridge field: > 0 thins ridges, < 0 thickens them.
    pub(crate) bias: f64,
    /// Fraction of ridge length broken away (dry skin).
    pub(crate) breaks: f64,
    /// Strength of wet smudges where valleys fill completely.
    pub(crate) smudge: f64,
    /// Contact: how far inside the silhouette full pressure is reached (pixels).
    pub(crate) contact_ramp: f64,
    /// Optical blur (Gaussian σ, pixels).
    pub(crate) blur: f64,
    /// Contrast multiplier about the background level.
    pub(crate) contrast: f64,
    /// Keep only a cap of the finger (partial contact).
    pub(crate) partial: bool,
    /// No finger at all.
    pub(crate) empty: bool,
    /// Sensor noise (Gaussian σ, grey levels).
    pub(crate) noise: f64,
}

impl Look {
    pub(crate) fn of(condition: Condition) -> Self {
        let normal = Look {
            background: 236.0,
            ridge: 38.0,
            bias: 0.0,
            breaks: 0.0,
            smudge: 0.0,
            contact_ramp: 22.0,
            blur: 0.6,
            contrast: 1.0,
            partial: false,
            empty: false,
            noise: 3.0,
        };
        match condition {
            Condition::Normal => normal,
            Condition::Dry => Look {
                ridge: 105.0,
                bias: 0.55,
                breaks: 0.45,
                contact_ramp: 45.0,
                ..normal
            },
            Condition::Wet => Look {
                ridge: 22.0,
                bias: -0.60,
                smudge: 1.0,
                ..normal
            },
            Condition::Blurred => Look {
                blur: 2.8,
                ..normal
            },
            Condition::LowContrast => Look {
                contrast: 0.22,
                ..normal
            },
            Condition::Partial => Look {
                partial: true,
                ..normal
            },
            Condition::Empty => Look {
                empty: true,
                ..normal
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Condition::all() {
            assert_eq!(c.name().parse::<Condition>().unwrap(), c);
        }
        assert_eq!(
            "LOW_CONTRAST".parse::<Condition>().unwrap(),
            Condition::LowContrast
        );
        assert!("soggy".parse::<Condition>().is_err());
    }
}
