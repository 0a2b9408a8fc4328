//! The sign-in attempt limit (OWASP ASVS 4.0 V2.2.1, anti-automation): after
//! [`MAX_FAILURES`] wrong passwords in a row for one login, further sign-ins for that login are
//! refused — the right password included, and without checking it — for a back-off period that
//! doubles with each lock-out ([`BASE_LOCK`], at most [`MAX_LOCK`]). A successful sign-in
//! clears the login's record. Unknown logins are counted the same way, so the answers do not
//! tell which logins exist.
//!
//! The records are per login and held **in memory only**: a restart of the server clears
//! them (the station's accounts are few and local; the Argon2id cost of each attempt already
//! slows a guesser). At most [`MAX_TRACKED`] logins are tracked; past it, logins not locked
//! are forgotten first.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Wrong passwords in a row that lock a login.
pub const MAX_FAILURES: u32 = 5;
/// The first lock-out.
pub const BASE_LOCK: Duration = Duration::from_secs(30);
/// The longest lock-out.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// The most logins tracked at once.
pub const MAX_TRACKED: usize = 1024;

#[derive(Debug, Clone, Copy, Default)]
struct Record {
    /// Wrong passwords since the last lock-out or success.
    failures: u32,
    /// Lock-outs so far.
    lockouts: u32,
    /// Locked until then.
    until: Option<Instant>,
}

/// The limit; see the module's documentation.
#[derive(Debug, Default)]
pub struct SignInLimit {
    records: Mutex<HashMap<String, Record>>,
}

/// The length of the `n`th lock-out (1, 2, …): [`BASE_LOCK`] doubled each time, capped.
pub fn lock_for(n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(16);
    BASE_LOCK.saturating_mul(1u32 << doublings).min(MAX_LOCK)
}

impl SignInLimit {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `Err(wait)` while `login` is locked at `now`: how long until it may try again.
    pub fn check(&self, login: &str, now: Instant) -> Result<(), Duration> {
        match self.lock().get(login).and_then(|r| r.until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// A wrong password for `login` at `now`; `Some(lock)` when it locks the login.
    pub fn failed(&self, login: &str, now: Instant) -> Option<Duration> {
        let mut records = self.lock();
        if records.len() >= MAX_TRACKED && !records.contains_key(login) {
            records.retain(|_, r| r.until.is_some_and(|u| u > now));
            if records.len() >= MAX_TRACKED {
                return None;
            }
        }
        let r = records.entry(login.to_owned()).or_default();
        r.failures = r.failures.saturating_add(1);
        if r.failures < MAX_FAILURES {
            return None;
        }
        r.failures = 0;
        r.lockouts = r.lockouts.saturating_add(1);
        let lock = lock_for(r.lockouts);
        r.until = Some(now + lock);
        Some(lock)
    }

    /// `login` signed in: its record is cleared.
    pub fn succeeded(&self, login: &str) {
        self.lock().remove(login);
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;

    #[test]
    fn the_lock_doubles_and_is_capped() {
        assert_eq!(lock_for(1), Duration::from_secs(30));
        assert_eq!(lock_for(2), Duration::from_secs(60));
        assert_eq!(lock_for(3), Duration::from_secs(120));
        assert_eq!(lock_for(6), MAX_LOCK);
        assert_eq!(lock_for(u32::MAX), MAX_LOCK);
    }

    #[test]
    fn five_wrong_passwords_lock_that_login_only_until_the_back_off_ends() {
        let limit = SignInLimit::default();
        let t0 = Instant::now();
        for _ in 1..MAX_FAILURES {
            assert_eq!(limit.failed("olena", t0), None);
            assert!(limit.check("olena", t0).is_ok());
        }
        assert_eq!(limit.failed("olena", t0), Some(BASE_LOCK));
        assert_eq!(limit.check("olena", t0), Err(BASE_LOCK));
        assert!(limit.check("petro", t0).is_ok(), "per login");
        let later = t0 + BASE_LOCK;
        assert!(limit.check("olena", later).is_ok(), "the lock ends");
        // Five more wrong: locked twice as long.
        for _ in 1..MAX_FAILURES {
            assert_eq!(limit.failed("olena", later), None);
        }
        assert_eq!(limit.failed("olena", later), Some(2 * BASE_LOCK));
        // A success clears the record: the next lock is the first again.
        limit.succeeded("olena");
        assert!(limit.check("olena", later).is_ok());
        for _ in 1..MAX_FAILURES {
            limit.failed("olena", later);
        }
        assert_eq!(limit.failed("olena", later), Some(BASE_LOCK));
    }
}
