//! The three-way verdict of a quality check (ISO/IEC 29794-1 §6: a quality value against a
//! threshold): profiles set the thresholds, the quality checks give the verdicts.

use serde::Serialize;

/// The outcome of one check or of a whole assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Meets the requirement.
    Pass,
    /// Acceptable, but the operator should know (recommended value not met).
    Warn,
    /// Does not meet the requirement: recapture.
    Fail,
}

impl Verdict {
    /// The worst of two verdicts.
    pub fn worst(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    /// Lower-case name, as in JSON reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
