//! The seven steps of an enrolment, in the order the pipeline runs them and by the names the
//! journal records them under (ARCHITECTURE.md §3: capture, build, personalize, verify).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// One step of an enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Step {
    /// The applicant file validated against its document profile.
    Applicant,
    /// The portrait: live capture, prepared for DG2.
    Photo,
    /// The fingers: best of N with substitutes, WSQ for DG3.
    Fingers,
    /// The signature: the pad's capture, prepared for DG7.
    Signature,
    /// The LDS built and signed into the ChipImage folder.
    ChipImage,
    /// The ChipImage written to the chip and read back.
    Personalize,
    /// The card read again independently and verified.
    Verify,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 7] = [
        Step::Applicant,
        Step::Photo,
        Step::Fingers,
        Step::Signature,
        Step::ChipImage,
        Step::Personalize,
        Step::Verify,
    ];

    /// The step's name, as the journal and the JSON events spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Step::Applicant => "applicant",
            Step::Photo => "photo",
            Step::Fingers => "fingers",
            Step::Signature => "signature",
            Step::ChipImage => "chip-image",
            Step::Personalize => "personalize",
            Step::Verify => "verify",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown step {0:?} (steps: applicant, photo, fingers, signature, chip-image, personalize, verify)"
)]
pub struct UnknownStep(pub String);

impl FromStr for Step {
    type Err = UnknownStep;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|step| step.name() == s)
            .ok_or_else(|| UnknownStep(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for step in Step::ALL {
            assert_eq!(step.name().parse::<Step>().unwrap(), step);
            assert_eq!(
                serde_json::to_value(step).unwrap(),
                serde_json::Value::from(step.name())
            );
        }
        assert!(Step::ALL.is_sorted(), "ALL is in pipeline order");
        let e = "chip_image".parse::<Step>().unwrap_err();
        assert!(e.to_string().contains("chip-image"), "{e}");
    }
}
