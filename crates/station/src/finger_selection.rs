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

/// Why a candidate finger was not used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The operator declared the finger missing (amputated, bandaged, unable to present).
    DeclaredMissing,
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
            SkipReason::DeclaredMissing => f.write_str("declared missing by the operator"),
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

/// Runs `rule`: for each slot, captures candidates with `capture` (typically
/// `|f| scanner.capture(f)`), skipping fingers in `missing`, until one passes the gate.
///
/// A disconnected device stops the selection with [`SelectionError::Device`]; other capture
/// errors (timeouts, device messages, unusable images) count as failed attempts.
pub fn select(
    rule: &SelectionRule,
    missing: &[FingerPosition],
    mut capture: impl FnMut(FingerPosition) -> Result<FingerImage, CaptureError>,
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
        for &finger in &slot.candidates {
            if missing.contains(&finger) {
                skipped.push(Skipped {
                    finger,
                    reason: SkipReason::DeclaredMissing,
                });
                continue;
            }
            let mut outcomes = Vec::new();
            let mut last_error = None;
            let mut attempts = 0u8;
            while attempts < rule.attempts {
                attempts += 1;
                match capture(finger) {
                    Ok(image) => {
                        let outcome = match gate(image, rule.threshold) {
                            Ok(o) => o,
                            Err(e) => {
                                last_error = Some(e.to_string());
                                continue;
                            }
                        };
                        let done =
                            outcome.is_accepted() && outcome.report().score >= rule.good_enough;
                        outcomes.push(outcome);
                        if done {
                            break;
                        }
                    }
                    Err(e @ CaptureError::Disconnected { .. }) => {
                        return Err(SelectionError::Device(e));
                    }
                    Err(e) => last_error = Some(e.to_string()),
                }
            }
            match best_of(outcomes) {
                Some(GateOutcome::Accepted(capture)) => {
                    filled = Some(SelectedFinger {
                        slot: slot_index,
                        wanted,
                        capture,
                        attempts,
                        skipped: std::mem::take(&mut skipped),
                    });
                    break;
                }
                Some(GateOutcome::Rejected { report, .. }) => skipped.push(Skipped {
                    finger,
                    reason: SkipReason::PoorQuality {
                        attempts,
                        best_score: report.score,
                        flags: report.flags.iter().map(|f| f.name().to_owned()).collect(),
                    },
                }),
                None => skipped.push(Skipped {
                    finger,
                    reason: SkipReason::CaptureFailed {
                        message: last_error.unwrap_or_else(|| "no capture".into()),
                    },
                }),
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
