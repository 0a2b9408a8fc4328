//! One enrolment as the web server tracks it: its state, and the [`Event`]s of the pipeline in
//! order, kept (bounded) so that a subscriber who comes late replays them from the first, and
//! fanned out to every subscriber through a `tokio::sync::watch` counter — the station thread
//! publishes without an async runtime, each subscriber awaits the next change.
//!
//! Events carry no personal data (`permitkit_station::pipeline::event`): steps, figures,
//! guidance, the application number and the journal id.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::sync::watch;

use permitkit_station::pipeline::{Event, Step};

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
    /// The station is running it.
    Running {
        /// The step running, once one started.
        step: Option<Step>,
    },
    /// Written, read back, locked and verified.
    Issued,
    /// Written, read back and verified, not locked (development chips).
    PersonalizedNotIssued,
    /// Stopped at a step; the journal keeps it for a resume or an abandon.
    Failed {
        /// The step that failed.
        step: Step,
        /// What went wrong, with its causes.
        error: String,
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
        !matches!(self, State::Queued | State::Running { .. })
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
}

/// One enrolment: identity, idempotency key, state and events.
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
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
}

#[derive(Debug)]
struct Inner {
    state: State,
    journal_id: Option<String>,
    events: Vec<Event>,
}

impl Enrolment {
    /// A queued enrolment.
    pub fn new(
        id: String,
        application: String,
        document_number: String,
        body_sha256: [u8; 32],
    ) -> Self {
        Self {
            id,
            application,
            document_number,
            body_sha256,
            inner: Mutex::new(Inner {
                state: State::Queued,
                journal_id: None,
                events: Vec::new(),
            }),
            changed: watch::Sender::new(0),
        }
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
        }
    }

    /// Sets the state and wakes the subscribers.
    pub fn set_state(&self, state: State) {
        self.lock().state = state;
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
                message: "look at the camera".into(),
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
