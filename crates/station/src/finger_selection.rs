//! Which fingers to enrol: the selection rule an enrolment station applies.
//!
//! ICAO Doc 9303-10 §4.7.3 stores finger images in DG3 without saying which fingers; the EU
//! specification for residence permits and passports (Commission Decision C(2006) 2909 and its
//! residence-permit counterpart; UNVERIFIED against the annex text) asks for flat impressions of
//! both index fingers and, when an index finger is missing or of insufficient quality,
//! substitutes from the same hand in the order middle, ring, thumb. That default is data ([`SelectionRule::eu_default`]); a profile
//! can give another order.
//!
//! For each required slot the station tries candidates in order: fingers the operator declared
//! missing are skipped, each remaining candidate gets up to N captures, the best one by quality
//! score is kept ([`permitkit_quality::finger::best_of`]) and, if it passes the enrolment gate,
//! fills the slot. Every skipped or rejected candidate is recorded with its reason, so the
//! record says why a substitute was used.

use serde::{Deserialize, Serialize};

use permitkit_devices::{CaptureError, scanner::FingerImage};
use permitkit_model::FingerPosition;
use permitkit_quality::{
    Accepted,
    finger::{FingerQuality, GateOutcome, best_of, gate},
};

/// One finger to enrol, with its substitutes in preference order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// The finger wanted, then its substitutes, in order.
    pub candidates: Vec<FingerPosition>,
}

/// The selection rule: slots, attempts per finger, enrolment threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionRule {
    /// Fingers to enrol, in order.
    pub slots: Vec<Slot>,
    /// Captures tried per candidate finger before moving to the next one (best of N).
    pub attempts: u8,
    /// Quality score at or above which a capture is good enough to stop capturing that finger
    /// before N attempts.
    pub good_enough: u8,
    /// Enrolment threshold for the quality gate.
    pub threshold: u8,
}

impl SelectionRule {
    /// Both index fingers; substitutes middle, ring, thumb of the same hand; best of 3;
    /// enrolment threshold [`permitkit_quality::finger::DEFAULT_ENROLMENT_THRESHOLD`].
    pub fn eu_default() -> Self {
        use FingerPosition::*;
        Self {
            slots: vec![
                Slot {
                    candidates: vec![RightIndex, RightMiddle, RightRing, RightThumb],
                },
                Slot {
                    candidates: vec![LeftIndex, LeftMiddle, LeftRing, LeftThumb],
                },
            ],
            attempts: 3,
            good_enough: 70,
            threshold: permitkit_quality::finger::DEFAULT_ENROLMENT_THRESHOLD,
        }
    }

    /// Checks the rule itself: at least one slot, no finger in two places, at least one attempt.
    pub fn check(&self) -> Result<(), SelectionError> {
        let bad = |reason: String| Err(SelectionError::BadRule(reason));
        if self.slots.is_empty() {
            return bad("no slots".into());
        }
        if self.attempts == 0 {
            return bad("attempts must be at least 1".into());
        }
        let mut seen = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.candidates.is_empty() {
                return bad(format!("slot {i} has no candidates"));
            }
            for f in &slot.candidates {
                if *f == FingerPosition::Unknown {
                    return bad(format!("slot {i} names the unknown finger"));
                }
                if seen.contains(f) {
                    return bad(format!("{f} appears more than once"));
                }
                seen.push(*f);
            }
        }
        Ok(())
    }
}

/// Why a finger is declared missing or unusable before the capture (the exception the
/// operator declares and, at the web station, a supervisor approves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MissingCause {
    /// The finger is amputated.
    Amputated,
    /// The finger is bandaged or injured.
    Injured,
    /// The applicant cannot present the finger (stiffness, paralysis, …).
    UnableToPresent,
    /// Another cause, in the operator's words.
    Other(String),
}

impl MissingCause {
    /// The longest text an `Other` cause may have, characters.
    pub const MAX_TEXT: usize = 200;

    /// The cause's name as serialized (`amputated`, `injured`, `unable-to-present`, `other`).
    pub fn name(&self) -> &'static str {
        match self {
            MissingCause::Amputated => "amputated",
            MissingCause::Injured => "injured",
            MissingCause::UnableToPresent => "unable-to-present",
            MissingCause::Other(_) => "other",
        }
    }

    /// The cause named `name` (as [`MissingCause::name`] gives it), `text` for `other`: `None`
    /// for an unknown name, or an `other` whose text is empty or longer than
    /// [`MissingCause::MAX_TEXT`].
    pub fn parse(name: &str, text: &str) -> Option<Self> {
        match name {
            "amputated" => Some(MissingCause::Amputated),
            "injured" => Some(MissingCause::Injured),
            "unable-to-present" => Some(MissingCause::UnableToPresent),
            "other" => {
                let text = text.trim();
                (!text.is_empty() && text.chars().count() <= Self::MAX_TEXT)
                    .then(|| MissingCause::Other(text.to_owned()))
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for MissingCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissingCause::Amputated => f.write_str("amputated"),
            MissingCause::Injured => f.write_str("bandaged or injured"),
            MissingCause::UnableToPresent => f.write_str("unable to present"),
            MissingCause::Other(text) => write!(f, "other: {text}"),
        }
    }
}

/// A finger declared missing or unusable before the capture: skipped by the selection, a
/// substitute of the same hand taken instead. The CLI's `--missing-finger` declares one with
/// neither cause nor approver; the web station's exceptions carry both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingFinger {
    /// The finger.
    pub finger: FingerPosition,
    /// Why, when the operator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<MissingCause>,
    /// The supervisor who approved the exception, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

impl From<FingerPosition> for MissingFinger {
    fn from(finger: FingerPosition) -> Self {
        Self {
            finger,
            cause: None,
            approved_by: None,
        }
    }
}

impl std::fmt::Display for MissingFinger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.finger)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        if let Some(by) = &self.approved_by {
            write!(f, ", approved by {by}")?;
        }
        Ok(())
    }
}

/// Why a candidate finger was not used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The operator declared the finger missing (amputated, bandaged, unable to present).
    /// Records journaled before causes and approvals were kept read back with neither.
    DeclaredMissing {
        /// Why, when the operator said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<MissingCause>,
        /// The supervisor who approved the exception, when one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approved_by: Option<String>,
    },
    /// Captured, but the best of the attempts failed the enrolment gate.
    PoorQuality {
        /// Attempts made.
        attempts: u8,
        /// Best score reached.
        best_score: u8,
        /// Flags of the best attempt.
        flags: Vec<String>,
    },
    /// Every attempt failed at the device (timeouts, device errors).
    CaptureFailed {
        /// The last device message.
        message: String,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::DeclaredMissing { cause, approved_by } => {
                f.write_str("declared missing by the operator")?;
                if let Some(cause) = cause {
                    write!(f, " ({cause})")?;
                }
                if let Some(by) = approved_by {
                    write!(f, ", approved by {by}")?;
                }
                Ok(())
            }
            SkipReason::PoorQuality {
                attempts,
                best_score,
                flags,
            } => {
                write!(f, "best of {attempts} attempts scored {best_score}")?;
                if !flags.is_empty() {
                    write!(f, " ({})", flags.join(", "))?;
                }
                Ok(())
            }
            SkipReason::CaptureFailed { message } => write!(f, "capture failed: {message}"),
        }
    }
}

/// A candidate finger that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The finger.
    pub finger: FingerPosition,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// One filled slot.
#[derive(Debug, Clone)]
pub struct SelectedFinger {
    /// Index of the slot in the rule.
    pub slot: usize,
    /// The finger the slot asked for first.
    pub wanted: FingerPosition,
    /// The accepted capture (its position is the finger actually used).
    pub capture: Accepted<FingerImage, FingerQuality>,
    /// Attempts spent on the finger used.
    pub attempts: u8,
    /// Candidates passed over before it, with reasons (empty when the wanted finger was used).
    pub skipped: Vec<Skipped>,
}

impl SelectedFinger {
    /// The finger actually enrolled.
    pub fn finger(&self) -> FingerPosition {
        self.capture.sample().position
    }

    /// Whether a substitute was used.
    pub fn is_substitute(&self) -> bool {
        self.finger() != self.wanted
    }
}

/// Why no finger could be selected for a slot, or the rule is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// The rule is inconsistent.
    #[error("finger selection rule: {0}")]
    BadRule(String),
    /// Every candidate of a slot was missing or unusable.
    #[error("no usable finger for slot {slot} ({wanted} or substitutes): {}", describe(.skipped))]
    NoUsableFinger {
        /// Index of the slot.
        slot: usize,
        /// The finger the slot asked for first.
        wanted: FingerPosition,
        /// Every candidate and why it was not used.
        skipped: Vec<Skipped>,
    },
    /// The device went away: capturing cannot go on.
    #[error(transparent)]
    Device(CaptureError),
}

fn describe(skipped: &[Skipped]) -> String {
    skipped
        .iter()
        .map(|s| format!("{}: {}", s.finger, s.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the selection reports as it goes, for the operator's screen.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Progress {
    /// One capture of `finger`, judged.
    Attempt {
        /// Index of the slot.
        slot: usize,
        /// The finger captured.
        finger: FingerPosition,
        /// Its attempt number, from 1.
        attempt: u8,
        /// The quality score, when the capture could be judged.
        quality: Option<u8>,
        /// The capture passed the enrolment gate.
        passed: bool,
        /// What was wrong: the gate's flags, or the device's message.
        problem: Option<String>,
    },
    /// `finger` fills the slot.
    Accepted {
        /// Index of the slot.
        slot: usize,
        /// The finger the slot asked for first.
        wanted: FingerPosition,
        /// The finger used.
        finger: FingerPosition,
        /// Its quality score.
        quality: u8,
        /// Attempts spent on it.
        attempts: u8,
    },
    /// A candidate was passed over.
    Skipped {
        /// Index of the slot.
        slot: usize,
        /// The finger and why.
        skipped: Skipped,
    },
}

/// Runs `rule`: for each slot, captures candidates with `capture` (typically
/// `|f| scanner.capture(f)`), skipping fingers in `missing`, until one passes the gate.
///
/// A disconnected device stops the selection with [`SelectionError::Device`]; other capture
/// errors (timeouts, device messages, unusable images) count as failed attempts.
pub fn select(
    rule: &SelectionRule,
    missing: &[FingerPosition],
    capture: impl FnMut(FingerPosition) -> Result<FingerImage, CaptureError>,
) -> Result<Vec<SelectedFinger>, SelectionError> {
    let missing: Vec<MissingFinger> = missing.iter().map(|&f| f.into()).collect();
    select_observed(rule, &missing, capture, |_| {})
}

/// [`select`] with the declared fingers' causes and approvers (recorded in their skip
/// reasons), reporting every attempt, acceptance and skip to `progress` as it happens.
pub fn select_observed(
    rule: &SelectionRule,
    missing: &[MissingFinger],
    mut capture: impl FnMut(FingerPosition) -> Result<FingerImage, CaptureError>,
    mut progress: impl FnMut(Progress),
) -> Result<Vec<SelectedFinger>, SelectionError> {
    rule.check()?;
    let mut selected = Vec::with_capacity(rule.slots.len());
    for (slot_index, slot) in rule.slots.iter().enumerate() {
        let wanted = slot
            .candidates
            .first()
            .copied()
            .unwrap_or(FingerPosition::Unknown);
        let mut skipped = Vec::new();
        let mut filled = None;
        let skip = |progress: &mut dyn FnMut(Progress), skipped: &mut Vec<Skipped>, s: Skipped| {
            progress(Progress::Skipped {
                slot: slot_index,
                skipped: s.clone(),
            });
            skipped.push(s);
        };
        for &finger in &slot.candidates {
            if let Some(declared) = missing.iter().find(|m| m.finger == finger) {
                skip(
                    &mut progress,
                    &mut skipped,
                    Skipped {
                        finger,
                        reason: SkipReason::DeclaredMissing {
                            cause: declared.cause.clone(),
                            approved_by: declared.approved_by.clone(),
                        },
                    },
                );
                continue;
            }
            let mut outcomes = Vec::new();
            let mut last_error = None;
            let mut attempts = 0u8;
            while attempts < rule.attempts {
                attempts += 1;
                let attempt = move |quality, passed, problem| Progress::Attempt {
                    slot: slot_index,
                    finger,
                    attempt: attempts,
                    quality,
                    passed,
                    problem,
                };
                match capture(finger) {
                    Ok(image) => {
                        let outcome = match gate(image, rule.threshold) {
                            Ok(o) => o,
                            Err(e) => {
                                progress(attempt(None, false, Some(e.to_string())));
                                last_error = Some(e.to_string());
                                continue;
                            }
                        };
                        let report = outcome.report();
                        let flags =
                            (!outcome.is_accepted() && !report.flags.is_empty()).then(|| {
                                report
                                    .flags
                                    .iter()
                                    .map(|f| f.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            });
                        progress(attempt(Some(report.score), outcome.is_accepted(), flags));
                        let done = outcome.is_accepted() && report.score >= rule.good_enough;
                        outcomes.push(outcome);
                        if done {
                            break;
                        }
                    }
                    Err(e @ CaptureError::Disconnected { .. }) => {
                        return Err(SelectionError::Device(e));
                    }
                    Err(e) => {
                        progress(attempt(None, false, Some(e.to_string())));
                        last_error = Some(e.to_string());
                    }
                }
            }
            match best_of(outcomes) {
                Some(GateOutcome::Accepted(capture)) => {
                    progress(Progress::Accepted {
                        slot: slot_index,
                        wanted,
                        finger,
                        quality: capture.report().score,
                        attempts,
                    });
                    filled = Some(SelectedFinger {
                        slot: slot_index,
                        wanted,
                        capture,
                        attempts,
                        skipped: std::mem::take(&mut skipped),
                    });
                    break;
                }
                Some(GateOutcome::Rejected { report, .. }) => skip(
                    &mut progress,
                    &mut skipped,
                    Skipped {
                        finger,
                        reason: SkipReason::PoorQuality {
                            attempts,
                            best_score: report.score,
                            flags: report.flags.iter().map(|f| f.name().to_owned()).collect(),
                        },
                    },
                ),
                None => skip(
                    &mut progress,
                    &mut skipped,
                    Skipped {
                        finger,
                        reason: SkipReason::CaptureFailed {
                            message: last_error.unwrap_or_else(|| "no capture".into()),
                        },
                    },
                ),
            }
        }
        match filled {
            Some(f) => selected.push(f),
            None => {
                return Err(SelectionError::NoUsableFinger {
                    slot: slot_index,
                    wanted,
                    skipped,
                });
            }
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_devices::{scanner::FingerprintScanner, scanner_sim::SimScanner};
    use permitkit_synth::Condition;

    #[test]
    fn an_approved_exception_is_skipped_with_its_cause_and_every_step_is_reported() {
        use FingerPosition::*;
        let mut rule = SelectionRule::eu_default();
        rule.attempts = 2;
        // Left index always dry: two poor attempts, then its substitute.
        let mut scanner = SimScanner::new(31).with_finger_condition(LeftIndex, Condition::Dry);
        let declared = [MissingFinger {
            finger: RightIndex,
            cause: Some(MissingCause::Injured),
            approved_by: Some("petro".into()),
        }];
        let mut seen = Vec::new();
        let picked =
            select_observed(&rule, &declared, |f| scanner.capture(f), |p| seen.push(p)).unwrap();
        assert_eq!(picked[0].finger(), RightMiddle);
        let declared_reason = SkipReason::DeclaredMissing {
            cause: Some(MissingCause::Injured),
            approved_by: Some("petro".into()),
        };
        assert_eq!(picked[0].skipped[0].reason, declared_reason);
        assert_eq!(
            picked[0].skipped[0].reason.to_string(),
            "declared missing by the operator (bandaged or injured), approved by petro"
        );
        // The first report is the declared finger's skip, before any capture.
        assert_eq!(
            seen[0],
            Progress::Skipped {
                slot: 0,
                skipped: Skipped {
                    finger: RightIndex,
                    reason: declared_reason
                }
            }
        );
        let attempts_of = |finger| {
            seen.iter()
                .filter(|p| matches!(p, Progress::Attempt { finger: f, .. } if *f == finger))
                .count()
        };
        assert_eq!(
            attempts_of(RightIndex),
            0,
            "a declared finger is not captured"
        );
        assert_eq!(attempts_of(LeftIndex), 2, "best of 2 on the dry finger");
        assert!(seen.iter().any(|p| matches!(
            p,
            Progress::Attempt { finger: LeftIndex, passed: false, problem: Some(flags), .. }
                if flags.contains("too-dry")
        )));
        assert!(seen.iter().any(|p| matches!(
            p,
            Progress::Skipped {
                slot: 1,
                skipped: Skipped {
                    finger: LeftIndex,
                    reason: SkipReason::PoorQuality { .. }
                }
            }
        )));
        let accepted: Vec<_> = seen
            .iter()
            .filter_map(|p| match p {
                Progress::Accepted {
                    slot,
                    wanted,
                    finger,
                    quality,
                    ..
                } => Some((*slot, *wanted, *finger, *quality)),
                _ => None,
            })
            .collect();
        assert_eq!(
            accepted,
            vec![
                (0, RightIndex, RightMiddle, picked[0].capture.report().score),
                (1, LeftIndex, LeftMiddle, picked[1].capture.report().score)
            ]
        );
    }

    #[test]
    fn causes_parse_from_their_names_and_other_needs_words() {
        for cause in [
            MissingCause::Amputated,
            MissingCause::Injured,
            MissingCause::UnableToPresent,
        ] {
            assert_eq!(MissingCause::parse(cause.name(), ""), Some(cause));
        }
        assert_eq!(
            MissingCause::parse("other", "  scar "),
            Some(MissingCause::Other("scar".into()))
        );
        assert_eq!(MissingCause::parse("other", "   "), None);
        assert_eq!(MissingCause::parse("other", &"x".repeat(201)), None);
        assert_eq!(MissingCause::parse("lost", ""), None);
    }
}
