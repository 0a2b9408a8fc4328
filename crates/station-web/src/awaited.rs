//! An answer the station thread waits for from the operator's screen: the photo step's keep or
//! retake ([`crate::photo_screen`]) and the review of the card before it is written
//! ([`crate::card_screen`]). The station thread, inside an [`Observer`] call of the pipeline,
//! announces the wait and blocks on a condition variable until the browser's form hands over
//! the answer or the time runs out; an answer is taken once, and only while one is awaited.
//!
//! [`Observer`]: permitkit_station::pipeline::Observer

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Nothing is waiting for an answer (none was asked, or it was given already).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nothing is waiting for this answer")]
pub struct NotAwaited;

/// One answer awaited at a time; see the module's documentation.
#[derive(Debug)]
pub struct Awaited<D> {
    inner: Mutex<Slot<D>>,
    answered: Condvar,
}

#[derive(Debug)]
struct Slot<D> {
    waiting: bool,
    answer: Option<D>,
}

impl<D> Default for Awaited<D> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Slot {
                waiting: false,
                answer: None,
            }),
            answered: Condvar::new(),
        }
    }
}

impl<D> Awaited<D> {
    fn lock(&self) -> MutexGuard<'_, Slot<D>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an answer is awaited now.
    pub fn waiting(&self) -> bool {
        self.lock().waiting
    }

    /// The station thread's side: waits at most `timeout` for [`Awaited::answer`]; `on_wait`
    /// is called once the wait is visible (to wake the progress page). `None`: no answer in
    /// time.
    pub fn wait(&self, timeout: Duration, on_wait: impl FnOnce()) -> Option<D> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.lock();
        slot.answer = None;
        slot.waiting = true;
        drop(slot);
        on_wait();
        let mut slot = self.lock();
        let outcome = loop {
            if let Some(d) = slot.answer.take() {
                break Some(d);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            slot = self
                .answered
                .wait_timeout(slot, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        };
        slot.waiting = false;
        outcome
    }

    /// The browser's side: hands `answer` to the waiting thread.
    pub fn answer(&self, answer: D) -> Result<(), NotAwaited> {
        let mut slot = self.lock();
        if !slot.waiting || slot.answer.is_some() {
            return Err(NotAwaited);
        }
        // No longer awaited from the moment it is given: a page shown next asks nothing.
        slot.waiting = false;
        slot.answer = Some(answer);
        drop(slot);
        self.answered.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;
    use std::sync::Arc;

    #[test]
    fn an_answer_is_taken_once_and_only_while_awaited() {
        let a = Arc::new(Awaited::<u8>::default());
        assert_eq!(a.answer(1), Err(NotAwaited));
        assert_eq!(a.wait(Duration::from_millis(1), || {}), None);
        assert!(!a.waiting());
        let waiter = {
            let a = Arc::clone(&a);
            std::thread::spawn(move || a.wait(Duration::from_secs(60), || {}))
        };
        while !a.waiting() {
            std::thread::yield_now();
        }
        a.answer(7).unwrap();
        assert!(!a.waiting(), "answered: no longer awaited");
        assert_eq!(a.answer(8), Err(NotAwaited), "one answer per wait");
        assert_eq!(waiter.join().unwrap(), Some(7));
    }
}
