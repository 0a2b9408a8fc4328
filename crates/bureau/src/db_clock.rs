//! The time this process spends awaiting the bureau's database, for the load figures (the
//! database's share of the intake's and of the lines' time, README "Central issuance"):
//! every call on the critical path of a submission or a card — the request's authentication,
//! the intake's look-ups and its transaction, a line's claim, image, chip-journal reads and
//! writes and its report — is timed from asking the pool for a connection to the last answer.
//! A line's lease heartbeat runs beside the card and is not counted.
//!
//! Process-wide counters (like a Prometheus registry's): read them before and after a phase
//! and subtract ([`DbTime::since`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static NANOS: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The time spent awaiting the database so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DbTime {
    /// Timed calls (a transaction counts once).
    pub calls: u64,
    /// Their total duration.
    pub total: Duration,
}

impl DbTime {
    /// What was spent since `earlier`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            calls: self.calls.saturating_sub(earlier.calls),
            total: self.total.saturating_sub(earlier.total),
        }
    }
}

/// The counters now.
pub fn now() -> DbTime {
    DbTime {
        calls: CALLS.load(Ordering::Relaxed),
        total: Duration::from_nanos(NANOS.load(Ordering::Relaxed)),
    }
}

/// Adds `elapsed` as one call.
pub fn record(elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    NANOS.fetch_add(nanos, Ordering::Relaxed);
    CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Awaits `call`, counting its time.
pub async fn timed<F: Future>(call: F) -> F::Output {
    let started = Instant::now();
    let output = call.await;
    record(started.elapsed());
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timed_call_adds_its_time_and_one_call() {
        let before = now();
        let value = timed(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        })
        .await;
        assert_eq!(value, 7);
        let spent = now().since(before);
        // Other tests of this binary may add calls meanwhile: at least ours is there.
        assert!(spent.calls >= 1);
        assert!(spent.total >= Duration::from_millis(20));
    }
}
