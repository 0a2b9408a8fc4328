//! What the operator sees while an enrolment runs: [`Event`]s, in order, to an [`Observer`]
//! (the terminal, `enroll --json`, or a test that records them). Events carry no personal
//! data: step names, figures, guidance, and the application number and journal id (a finger
//! declared missing says its cause and approver, as the fingers record does; no biometrics).

use serde::Serialize;

use super::card_review::{CardDecision, CardReview};
use super::chip_phase::ChipPhase;
use super::photo::PreviewFrame;
use super::step_result::StepResult;
use crate::cause::Cause;
use crate::finger_selection::{MissingFinger, SkipReason as FingerSkipReason};
use crate::step::Step;
use permitkit_biometrics::FingerPosition;
use permitkit_model::secret::SecretBytes;
use permitkit_quality::face::Advice;

/// Something the operator should see, as it happens. Serialized as one JSON object per line
/// by `enroll --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event {
    /// The enrolment began or resumed.
    Begin {
        /// Journal id (for `--resume`).
        id: String,
        /// Application number.
        application: String,
        /// True when resuming.
        resumed: bool,
    },
    /// A step started.
    StepStarted {
        /// The step.
        step: Step,
    },
    /// A step was not run.
    StepSkipped {
        /// The step.
        step: Step,
        /// Why.
        reason: SkipReason,
    },
    /// A step finished.
    StepDone {
        /// The step.
        step: Step,
        /// Wall time in milliseconds.
        millis: u64,
        /// One line for the operator.
        summary: String,
        /// The step's typed result, for screens that say the summary in another language
        /// (not serialized: the JSON carries `summary`).
        #[serde(skip)]
        result: Box<StepResult>,
    },
    /// A step failed; the enrolment can be resumed.
    StepFailed {
        /// The step.
        step: Step,
        /// What went wrong, with its causes.
        error: String,
        /// The kind of failure, as the operator acts on it.
        cause: Cause,
    },
    /// Guidance for the applicant while framing: the first problem of the frame.
    Guidance {
        /// Frame number.
        frame: u64,
        /// The instruction, in English (the advice's text).
        message: String,
        /// The instruction as data, for a screen in another language.
        advice: Advice,
    },
    /// A good frame.
    FrameGood {
        /// Frame number.
        frame: u64,
        /// Consecutive good frames.
        streak: u32,
        /// Good frames needed.
        needed: u32,
    },
    /// The operator should present a finger.
    PresentFinger {
        /// Which finger.
        finger: FingerPosition,
    },
    /// The fingers step's selection rule, before the first capture: each slot's candidates
    /// (the wanted finger first, then its substitutes), attempts per finger, the enrolment
    /// threshold, and the fingers declared missing.
    FingersPlanned {
        /// Each slot's candidates, in order.
        slots: Vec<Vec<FingerPosition>>,
        /// Captures per candidate (best of N).
        attempts: u8,
        /// The enrolment threshold (quality score 0–100).
        threshold: u8,
        /// The fingers declared missing, with cause and approver when given.
        missing: Vec<MissingFinger>,
    },
    /// One capture of a finger, judged.
    FingerAttempt {
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
    /// A finger fills its slot (a substitute when it is not the wanted one).
    FingerAccepted {
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
    /// A candidate finger was passed over: declared missing, too poor, or not captured.
    FingerSkipped {
        /// Index of the slot.
        slot: usize,
        /// The finger.
        finger: FingerPosition,
        /// Why.
        #[serde(flatten)]
        reason: FingerSkipReason,
    },
    /// Write or read-back progress of the chip.
    ChipProgress {
        /// What is happening.
        message: String,
        /// The same, typed.
        #[serde(flatten)]
        phase: ChipPhase,
        /// Bytes done.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// The card is issued: written, read back, locked and verified.
    Issued {
        /// Journal id.
        id: String,
    },
    /// The card is written, read back and verified but not locked (`--no-lock`): personalized,
    /// not issued.
    PersonalizedNotIssued {
        /// Journal id.
        id: String,
    },
}

/// Why a step was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The journal records it done in an earlier run; its result is restored from there.
    DoneEarlier,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::DoneEarlier => "done in an earlier run (from the journal)",
        })
    }
}

/// Receives events, and — for a live view only — the photo step's frames and the portrait it
/// kept. Frames and portraits are biometric samples: an observer shows them and lets them go;
/// they are never journaled, logged or put in an [`Event`].
pub trait Observer {
    /// Called for every event, in order.
    fn event(&mut self, event: &Event);

    /// Called for every frame the photo step assesses, after its assessment and before its
    /// [`Event::Guidance`] or [`Event::FrameGood`]. The default ignores it.
    fn preview(&mut self, _frame: &PreviewFrame<'_>) {}

    /// Called with the portrait the photo step kept for DG2 (the prepared JPEG, the chip's
    /// crop), once captured or restored from the journal on a resume. The default ignores it.
    fn portrait(&mut self, _jpeg: &SecretBytes) {}

    /// Asked when the photo step has taken a portrait (`jpeg`, prepared for DG2), before it is
    /// kept: whether the operator keeps it or wants another. The default keeps it.
    fn review_portrait(&mut self, _jpeg: &SecretBytes) -> PortraitReview {
        PortraitReview::Keep
    }

    /// Asked once the ChipImage is signed and before the card is written: everything that
    /// goes on the chip, each file against its budget ([`super::card_review`]). The default
    /// does not ask ([`CardDecision::NotAsked`]): the card is written when it fits.
    fn review_card(&mut self, _review: &CardReview<'_>) -> CardDecision {
        CardDecision::NotAsked
    }
}

/// The operator's word on a portrait just taken ([`Observer::review_portrait`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortraitReview {
    /// Keep it for DG2.
    Keep,
    /// Discard it and capture again.
    Retake,
    /// No word came (the operator did not answer in time, say): the step fails, nothing kept.
    Undecided {
        /// Why, for the operator.
        reason: String,
    },
}

impl<F: FnMut(&Event)> Observer for F {
    fn event(&mut self, event: &Event) {
        self(event);
    }
}
