//! One enrolment as the web server tracks it: its state, and the [`Event`]s of the pipeline in
//! order, kept (bounded) so that a subscriber who comes late replays them from the first, and
//! fanned out to every subscriber through a `tokio::sync::watch` counter — the station thread
//! publishes without an async runtime, each subscriber awaits the next change.
//!
//! Events carry no personal data (`permitkit_station::pipeline::event`): steps, figures,
//! guidance, the application number and the journal id.
//!
//! The operator's answers the station thread waits for — keep or retake a portrait, write the
//! card or stop before it — are held by its photo screen and its card screen
//! ([`crate::photo_screen`], [`crate::card_screen`]).
//!
//! An enrolment signed on screen also carries the hand-over of that signature
//! ([`Enrolment::await_signature`], [`Enrolment::deliver_signature`]): the station thread waits
//! in the signature step while the operator's browser shows the canvas, and the upload, once
//! checked, wakes it.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use image::GrayImage;

use serde::Serialize;
use tokio::sync::watch;

use permitkit_station::cause::Cause;
use permitkit_station::pipeline::{Event, Step};

use crate::card_screen::CardScreen;
use crate::photo_screen::PhotoScreen;

/// At most this many events are kept per enrolment; past it, per-frame guidance and chip
/// progress are dropped (the step events are kept up to twice as many).
pub const MAX_EVENTS: usize = 4096;

/// Where an enrolment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum State {
    /// Accepted and waiting for the station.
    Queued,
    /// Declared finger exceptions wait for a supervisor's approval: the station does not
    /// start it before.
    AwaitingApproval,
    /// The station is running it.
    Running {
        /// The step running, once one started.
        step: Option<Step>,
    },
    /// Written, read back, locked and verified.
    Issued,
    /// Written, read back and verified, not locked (development chips).
    PersonalizedNotIssued,
    /// Captured, sealed to the central bureau and queued in the journal's outbox: the bureau
    /// personalizes the card (the station profile's `[bureau]`).
    ForBureau,
    /// Stopped at a step; the journal keeps it for a resume or an abandon.
    Failed {
        /// The step that failed.
        step: Step,
        /// What went wrong, with its causes.
        error: String,
        /// The kind of failure, when known (enrolments failed before the journal kept causes,
        /// and a station stopped mid-step, have none).
        cause: Option<Cause>,
    },
    /// Given up; its captures and keys are deleted.
    Abandoned {
        /// Why, as the caller said.
        reason: String,
    },
}

impl State {
    /// No further change will come from the station.
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            State::Queued | State::AwaitingApproval | State::Running { .. }
        )
    }
}

/// What a client of the API learns about an enrolment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The server's id of the enrolment (the resource).
    pub id: String,
    /// The application number.
    pub application: String,
    /// The journal id, once the station has recorded the enrolment.
    pub journal_id: Option<String>,
    /// The state.
    #[serde(flatten)]
    pub state: State,
    /// Events so far.
    pub events: usize,
    /// Fingers declared missing or unusable, and who approved each (none: left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<crate::exceptions::FingerException>,
}

/// One enrolment: identity, idempotency key, state, events and what the photo screen shows.
#[derive(Debug)]
pub struct Enrolment {
    /// The server's id.
    pub id: String,
    /// The application number.
    pub application: String,
    /// The document number as normalized (upper case, trimmed).
    pub document_number: String,
    /// SHA-256 of the request body as canonical JSON: a retry is recognized by it.
    pub body_sha256: [u8; 32],
    /// The operator asked for the signature to be drawn on screen instead of on the pad.
    pub sign_on_screen: bool,
    /// Fingers declared missing or unusable, and their approvals.
    pub exceptions: crate::exceptions::Exceptions,
    /// The photo step as the operator's screen shows it (in memory only).
    pub photo: PhotoScreen,
    /// The review of the card before it is written (in memory only).
    pub card: CardScreen,
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    signed: Condvar,
}

struct Inner {
    state: State,
    journal_id: Option<String>,
    events: Vec<Event>,
    /// While the signature step waits for the screen: why the screen (the pad's absence, or
    /// the operator's choice).
    wants_signature: Option<String>,
    /// The checked image uploaded from the screen, until the station thread takes it.
    signature: Option<GrayImage>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("state", &self.state)
            .field("journal_id", &self.journal_id)
            .field("events", &self.events.len())
            .field("wants_signature", &self.wants_signature.is_some())
            .field(
                "signature",
                &self.signature.as_ref().map(GrayImage::dimensions),
            )
            .finish()
    }
}

/// The signature was not drawn on screen in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no signature was drawn on screen within {} s", .0.as_secs())]
pub struct SignatureTimeout(pub Duration);

/// The enrolment is not waiting for a signature from the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the enrolment is not waiting for a signature")]
pub struct NotWaiting;

impl Enrolment {
    /// A queued enrolment.
    pub fn new(
        id: String,
        application: String,
        document_number: String,
        body_sha256: [u8; 32],
    ) -> Self {
        Self::restored(
            id,
            application,
            document_number,
            body_sha256,
            None,
            State::Queued,
        )
    }

    /// An enrolment as the journal left it (the server restarted): its journal id and state.
    pub fn restored(
        id: String,
        application: String,
        document_number: String,
        body_sha256: [u8; 32],
        journal_id: Option<String>,
        state: State,
    ) -> Self {
        Self {
            id,
            application,
            document_number,
            body_sha256,
            sign_on_screen: false,
            exceptions: crate::exceptions::Exceptions::default(),
            photo: PhotoScreen::default(),
            card: CardScreen::default(),
            inner: Mutex::new(Inner {
                state,
                journal_id,
                events: Vec::new(),
                wants_signature: None,
                signature: None,
            }),
            changed: watch::Sender::new(0),
            signed: Condvar::new(),
        }
    }

    /// This enrolment with the signature to be drawn on screen.
    #[must_use]
    pub fn signed_on_screen(mut self, on_screen: bool) -> Self {
        self.sign_on_screen = on_screen;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep serving it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The state now.
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    /// The journal id, once known.
    pub fn journal_id(&self) -> Option<String> {
        self.lock().journal_id.clone()
    }

    /// What the API shows.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            id: self.id.clone(),
            application: self.application.clone(),
            journal_id: inner.journal_id.clone(),
            state: inner.state.clone(),
            events: inner.events.len(),
            exceptions: self.exceptions.list(),
        }
    }

    /// Sets the state and wakes the subscribers.
    pub fn set_state(&self, state: State) {
        if matches!(state, State::Abandoned { .. }) {
            self.photo.forget_portrait();
        }
        if state.is_final() {
            self.photo.end_live();
        }
        self.lock().state = state;
        self.bump();
    }

    /// Wakes the subscribers (something they show changed outside the events).
    pub fn touch(&self) {
        self.bump();
    }

    /// Changes the state only if `from` accepts the current one; returns the state found.
    pub fn transition(&self, from: impl FnOnce(&State) -> Option<State>) -> Result<(), State> {
        let mut inner = self.lock();
        match from(&inner.state) {
            Some(next) => {
                inner.state = next;
                drop(inner);
                self.bump();
                Ok(())
            }
            None => Err(inner.state.clone()),
        }
    }

    /// Records an event of the pipeline (and what it says about the state).
    pub fn push(&self, event: &Event) {
        let mut inner = self.lock();
        match event {
            Event::Begin { id, .. } => inner.journal_id = Some(id.clone()),
            Event::StepStarted { step } => inner.state = State::Running { step: Some(*step) },
            Event::StepDone { step, .. } | Event::StepFailed { step, .. }
                if *step == Step::Photo =>
            {
                self.photo.end_live();
            }
            _ => {}
        }
        let frequent = matches!(
            event,
            Event::Guidance { .. } | Event::FrameGood { .. } | Event::ChipProgress { .. }
        );
        let room = if frequent { MAX_EVENTS } else { 2 * MAX_EVENTS };
        if inner.events.len() < room {
            inner.events.push(event.clone());
        }
        drop(inner);
        self.bump();
    }

    /// The events from `from` on, and whether the state is final.
    pub fn events_from(&self, from: usize) -> (Vec<Event>, State) {
        let inner = self.lock();
        let events = inner.events.get(from..).map(<[Event]>::to_vec);
        (events.unwrap_or_default(), inner.state.clone())
    }

    /// A receiver woken at every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Why the signature step is waiting for a signature drawn on screen, while it is.
    pub fn wants_signature(&self) -> Option<String> {
        self.lock().wants_signature.clone()
    }

    /// The station thread's side: says (with `why`) that a signature is wanted from the screen
    /// and waits at most `timeout` for [`Enrolment::deliver_signature`].
    pub fn await_signature(
        &self,
        why: &str,
        timeout: Duration,
    ) -> Result<GrayImage, SignatureTimeout> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.lock();
        inner.signature = None;
        inner.wants_signature = Some(why.to_owned());
        drop(inner);
        self.bump();
        let mut inner = self.lock();
        let outcome = loop {
            if let Some(image) = inner.signature.take() {
                break Ok(image);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(SignatureTimeout(timeout));
            }
            inner = self
                .signed
                .wait_timeout(inner, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        };
        inner.wants_signature = None;
        drop(inner);
        self.bump();
        outcome
    }

    /// The browser's side: hands the checked `image` to the waiting signature step.
    pub fn deliver_signature(&self, image: GrayImage) -> Result<(), NotWaiting> {
        let mut inner = self.lock();
        if inner.wants_signature.is_none() || inner.signature.is_some() {
            return Err(NotWaiting);
        }
        // No longer wanted from the moment it is given: a page shown next has no canvas.
        inner.wants_signature = None;
        inner.signature = Some(image);
        drop(inner);
        self.signed.notify_all();
        self.bump();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_events_are_bounded_and_step_events_kept() {
        let e = Enrolment::new("x".into(), "A".into(), "N".into(), [0; 32]);
        for frame in 0..(MAX_EVENTS as u64 + 10) {
            e.push(&Event::Guidance {
                frame,
                message: "facing the camera".into(),
                advice: permitkit_quality::face::Advice::FacingCamera,
            });
        }
        e.push(&Event::StepStarted { step: Step::Photo });
        let (events, state) = e.events_from(0);
        assert_eq!(events.len(), MAX_EVENTS + 1);
        assert_eq!(
            state,
            State::Running {
                step: Some(Step::Photo)
            }
        );
    }

    #[test]
    fn a_signature_is_handed_over_only_while_one_is_awaited() {
        let e = std::sync::Arc::new(Enrolment::new("x".into(), "A".into(), "N".into(), [0; 32]));
        assert_eq!(e.deliver_signature(GrayImage::new(2, 2)), Err(NotWaiting));
        assert_eq!(
            e.await_signature("no pad", Duration::from_millis(1)),
            Err(SignatureTimeout(Duration::from_millis(1)))
        );
        assert!(e.wants_signature().is_none(), "no longer waiting");
        let waiter = {
            let e = std::sync::Arc::clone(&e);
            std::thread::spawn(move || e.await_signature("no pad", Duration::from_secs(60)))
        };
        while e.wants_signature().is_none() {
            std::thread::yield_now();
        }
        assert_eq!(e.wants_signature().as_deref(), Some("no pad"));
        e.deliver_signature(GrayImage::new(3, 1)).unwrap();
        assert_eq!(
            e.deliver_signature(GrayImage::new(3, 1)),
            Err(NotWaiting),
            "one signature per wait"
        );
        let image = waiter.join().unwrap().unwrap();
        assert_eq!(image.dimensions(), (3, 1));
        assert!(e.wants_signature().is_none());
    }

    #[test]
    fn a_subscriber_is_woken_by_an_event() {
        let e = Enrolment::new("x".into(), "A".into(), "N".into(), [0; 32]);
        let rx = e.subscribe();
        assert!(!rx.has_changed().unwrap());
        e.push(&Event::Begin {
            id: "A-1".into(),
            application: "A".into(),
            resumed: false,
        });
        assert!(rx.has_changed().unwrap());
        assert_eq!(e.journal_id().as_deref(), Some("A-1"));
    }
}
