//! The sign-in attempt limit (OWASP ASVS 4.0 V2.2.1, anti-automation): after
//! [`MAX_FAILURES`] wrong passwords in a row for one login, further sign-ins for that login are
//! refused — the right password included, and without checking it — for a back-off period that
//! doubles with each lock-out ([`BASE_LOCK`], at most [`MAX_LOCK`]). A successful sign-in
//! clears the login's record. Unknown logins are counted the same way, so the answers do not
//! tell which logins exist.
//!
//! The records survive a restart of `station serve`: they are kept in [`FILE`] in the
//! station's state folder (beside its journal, [`crate::Desk::state_dir`]), rewritten whole on
//! every change (a synced temporary file renamed over it, the folder synced:
//! [`permitkit_model::private_file::write`], mode 0600) and read back when the server starts.
//! Each record holds the login, its wrong passwords since the last lock-out, its lock-outs and,
//! as wall-clock times (Unix milliseconds, since a monotonic clock does not survive a restart),
//! when its lock ends and when its last wrong password came. Logins are not secrets (unknown
//! ones typed by anyone are there too); passwords never reach this module. Times come from the
//! caller (`now`), so a lock-out is judged against the system clock: a lock never lasts longer
//! than [`MAX_LOCK`] from now, however far the clock was set back.
//!
//! A login neither locked nor failed for [`FORGET_AFTER`] (counted from its last wrong password
//! and from the end of its last lock) is forgotten, when the file is read and whenever a
//! failure is counted; its next lock-out is the first again. At most [`MAX_TRACKED`] logins are
//! tracked; past it, logins not locked are forgotten first.
//!
//! A file that does not read (not JSON of this shape, a login too long, a time out of range,
//! larger than [`MAX_FILE`]) stops the server at start with [`SignInLimitError`] naming the
//! file: it is neither reset nor overwritten. Starting with an empty limit would silently lift
//! the locks of a guesser who managed to damage the file, and the operator who removes the
//! file to start afresh does so knowingly (the error says so). A missing file is an empty
//! limit. A file that cannot be written later is logged (the file, the error) and the limit
//! goes on in memory: refusing sign-ins because of a full disk would lock every operator out.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Wrong passwords in a row that lock a login.
pub const MAX_FAILURES: u32 = 5;
/// The first lock-out.
pub const BASE_LOCK: Duration = Duration::from_secs(30);
/// The longest lock-out.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// The most logins tracked at once.
pub const MAX_TRACKED: usize = 1024;
/// A login quiet for this long after its last wrong password and its last lock is forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// The file's name in the station's state folder.
pub const FILE: &str = "sign-in-limits.json";
/// The largest file read back (a full file of [`MAX_TRACKED`] logins is about 150 KB).
pub const MAX_FILE: u64 = 1024 * 1024;
/// The longest login the sign-in form passes on.
const MAX_LOGIN: usize = 64;
/// The file format's version.
const VERSION: u32 = 1;

/// Why the sign-in limit's file could not be read back or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInLimitError {
    /// The file system refused.
    #[error("sign-in limit file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE`].
    #[error(
        "sign-in limit file {path} is larger than {MAX_FILE} bytes; it was left as it is (remove it to forget every failed sign-in)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not the limit's JSON.
    #[error(
        "sign-in limit file {path} does not read: {source}; it was left as it is (remove it to forget every failed sign-in)"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The file is JSON of the right shape with a value that cannot be.
    #[error(
        "sign-in limit file {path}: {reason}; it was left as it is (remove it to forget every failed sign-in)"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, without the login.
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    /// Wrong passwords since the last lock-out or success.
    failures: u32,
    /// Lock-outs so far.
    lockouts: u32,
    /// Locked until then.
    until: Option<SystemTime>,
    /// The last wrong password.
    last_failure: Option<SystemTime>,
}

impl Record {
    /// Whether the record can be forgotten at `now`: not locked, and quiet for
    /// [`FORGET_AFTER`] since its last wrong password and the end of its last lock.
    fn stale(&self, now: SystemTime) -> bool {
        let quiet_since = |t: Option<SystemTime>| {
            t.is_none_or(|t| now.duration_since(t).is_ok_and(|d| d >= FORGET_AFTER))
        };
        quiet_since(self.until) && quiet_since(self.last_failure)
    }
}

/// The file: every login's record.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    logins: Vec<StoredLogin>,
}

/// One login's record as stored; times in milliseconds since the Unix epoch.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredLogin {
    login: String,
    failures: u32,
    lockouts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locked_until_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_failure_ms: Option<u64>,
}

fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The last millisecond of the year 9999: later times in the file are refused.
const MAX_MS: u64 = 253_402_300_799_999;

fn from_ms(ms: u64) -> Option<SystemTime> {
    if ms > MAX_MS {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

/// The limit; see the module's documentation. [`SignInLimit::default`] keeps its records in
/// memory only; [`SignInLimit::open`] in a file.
#[derive(Debug, Default)]
pub struct SignInLimit {
    records: Mutex<HashMap<String, Record>>,
    file: Option<PathBuf>,
}

/// The length of the `n`th lock-out (1, 2, …): [`BASE_LOCK`] doubled each time, capped.
pub fn lock_for(n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(16);
    BASE_LOCK.saturating_mul(1u32 << doublings).min(MAX_LOCK)
}

impl SignInLimit {
    /// The limit kept in `file`, read back if it exists (the records stale at `now` dropped,
    /// and the file rewritten without them).
    pub fn open(file: PathBuf, now: SystemTime) -> Result<Self, SignInLimitError> {
        let mut records = read(&file)?;
        let before = records.len();
        for r in records.values_mut() {
            // A clock set back, or a file edited: never longer than the longest lock from now.
            if let Some(until) = r.until {
                let longest = now.checked_add(MAX_LOCK).unwrap_or(until);
                r.until = Some(until.min(longest));
            }
        }
        records.retain(|_, r| !r.stale(now));
        let dropped = records.len() != before;
        let limit = Self {
            records: Mutex::new(records),
            file: Some(file),
        };
        if dropped {
            let records = limit.lock();
            limit.save(&records)?;
        }
        Ok(limit)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `records` to the file, if there is one.
    fn save(&self, records: &HashMap<String, Record>) -> Result<(), SignInLimitError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let mut logins: Vec<StoredLogin> = records
            .iter()
            .map(|(login, r)| StoredLogin {
                login: login.clone(),
                failures: r.failures,
                lockouts: r.lockouts,
                locked_until_ms: r.until.map(to_ms),
                last_failure_ms: r.last_failure.map(to_ms),
            })
            .collect();
        logins.sort_by(|a, b| a.login.cmp(&b.login));
        let json = serde_json::to_vec_pretty(&Stored {
            version: VERSION,
            logins,
        })
        .map_err(|e| SignInLimitError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        permitkit_model::private_file::write(path, &json).map_err(|source| SignInLimitError::Io {
            path: path.clone(),
            source,
        })
    }

    /// Saves `records`; a failure is logged and the limit goes on in memory.
    fn save_or_log(&self, records: &HashMap<String, Record>) {
        if let Err(e) = self.save(records) {
            tracing::error!(error = %e, "the sign-in limit is kept in memory only until its file can be written");
        }
    }

    /// `Err(wait)` while `login` is locked at `now`: how long until it may try again.
    pub fn check(&self, login: &str, now: SystemTime) -> Result<(), Duration> {
        match self.lock().get(login).and_then(|r| r.until) {
            Some(until) => match until.duration_since(now) {
                Ok(wait) if !wait.is_zero() => Err(wait.min(MAX_LOCK)),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// A wrong password for `login` at `now`; `Some(lock)` when it locks the login.
    pub fn failed(&self, login: &str, now: SystemTime) -> Option<Duration> {
        let mut records = self.lock();
        records.retain(|_, r| !r.stale(now));
        if records.len() >= MAX_TRACKED && !records.contains_key(login) {
            records.retain(|_, r| r.until.is_some_and(|u| u > now));
            if records.len() >= MAX_TRACKED {
                self.save_or_log(&records);
                return None;
            }
        }
        let r = records.entry(login.to_owned()).or_default();
        r.failures = r.failures.saturating_add(1);
        r.last_failure = Some(now);
        let locked = if r.failures < MAX_FAILURES {
            None
        } else {
            r.failures = 0;
            r.lockouts = r.lockouts.saturating_add(1);
            let lock = lock_for(r.lockouts);
            r.until = Some(now.checked_add(lock).unwrap_or(now));
            Some(lock)
        };
        self.save_or_log(&records);
        locked
    }

    /// `login` signed in: its record is cleared.
    pub fn succeeded(&self, login: &str) {
        let mut records = self.lock();
        if records.remove(login).is_some() {
            self.save_or_log(&records);
        }
    }
}

/// The records in `path`; none if there is no file.
fn read(path: &Path) -> Result<HashMap<String, Record>, SignInLimitError> {
    let io = |source| SignInLimitError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(io(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE {
        return Err(SignInLimitError::TooLarge {
            path: path.to_owned(),
        });
    }
    let stored: Stored =
        serde_json::from_slice(&bytes).map_err(|source| SignInLimitError::Malformed {
            path: path.to_owned(),
            source,
        })?;
    let invalid = |reason: String| SignInLimitError::Invalid {
        path: path.to_owned(),
        reason,
    };
    if stored.version != VERSION {
        return Err(invalid(format!(
            "version {} (this station reads version {VERSION})",
            stored.version
        )));
    }
    if stored.logins.len() > MAX_TRACKED {
        return Err(invalid(format!(
            "{} logins (at most {MAX_TRACKED} are tracked)",
            stored.logins.len()
        )));
    }
    let mut records = HashMap::with_capacity(stored.logins.len());
    for (i, s) in stored.logins.into_iter().enumerate() {
        let n = i + 1;
        if s.login.is_empty() || s.login.len() > MAX_LOGIN {
            return Err(invalid(format!(
                "login {n} is empty or longer than {MAX_LOGIN} bytes"
            )));
        }
        if s.failures >= MAX_FAILURES {
            return Err(invalid(format!(
                "login {n} has {} failures counted (a lock-out comes at {MAX_FAILURES})",
                s.failures
            )));
        }
        let time = |ms: Option<u64>, what: &str| match ms {
            None => Ok(None),
            Some(ms) => from_ms(ms)
                .map(Some)
                .ok_or_else(|| invalid(format!("login {n}: {what} is out of range"))),
        };
        let record = Record {
            failures: s.failures,
            lockouts: s.lockouts,
            until: time(s.locked_until_ms, "locked_until_ms")?,
            last_failure: time(s.last_failure_ms, "last_failure_ms")?,
        };
        if records.insert(s.login, record).is_some() {
            return Err(invalid(format!("login {n} appears twice")));
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_780_000_000)
    }

    fn lock_out(limit: &SignInLimit, login: &str, now: SystemTime) -> Option<Duration> {
        for _ in 1..MAX_FAILURES {
            assert_eq!(limit.failed(login, now), None);
        }
        limit.failed(login, now)
    }

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
        let t0 = t0();
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
        assert_eq!(lock_out(&limit, "olena", later), Some(2 * BASE_LOCK));
        // A success clears the record: the next lock is the first again.
        limit.succeeded("olena");
        assert!(limit.check("olena", later).is_ok());
        assert_eq!(lock_out(&limit, "olena", later), Some(BASE_LOCK));
    }

    #[test]
    fn a_lock_persisted_and_read_back_still_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let t0 = t0();
        let limit = SignInLimit::open(path.clone(), t0).unwrap();
        assert_eq!(lock_out(&limit, "olena", t0), Some(BASE_LOCK));
        limit.failed("petro", t0);
        drop(limit);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"olena\"") && !text.contains("pass"),
            "{text}"
        );

        // A restart ten seconds later: still locked for the rest of the lock.
        let t1 = t0 + Duration::from_secs(10);
        let limit = SignInLimit::open(path.clone(), t1).unwrap();
        assert_eq!(limit.check("olena", t1), Err(Duration::from_secs(20)));
        assert!(limit.check("petro", t1).is_ok());
        // The count and the lock-outs survived too: petro's fifth failure locks him, and
        // olena's next lock-out is her second.
        for _ in 2..MAX_FAILURES {
            assert_eq!(limit.failed("petro", t1), None);
        }
        assert_eq!(limit.failed("petro", t1), Some(BASE_LOCK));
        let t2 = t0 + BASE_LOCK;
        assert_eq!(lock_out(&limit, "olena", t2), Some(2 * BASE_LOCK));
        // A success clears the record in the file as well.
        limit.succeeded("petro");
        drop(limit);
        let limit = SignInLimit::open(path, t2).unwrap();
        assert_eq!(limit.check("olena", t2), Err(2 * BASE_LOCK));
        assert!(limit.check("petro", t2).is_ok());
        assert_eq!(lock_out(&limit, "petro", t2), Some(BASE_LOCK));
    }

    #[test]
    fn expired_and_quiet_records_are_dropped_when_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let t0 = t0();
        let limit = SignInLimit::open(path.clone(), t0).unwrap();
        assert_eq!(lock_out(&limit, "olena", t0), Some(BASE_LOCK));
        let recent = t0 + FORGET_AFTER;
        limit.failed("petro", recent);
        drop(limit);
        // Olena's lock ended and she has been quiet since for FORGET_AFTER; Petro failed
        // recently, not locked: he stays.
        let later = t0 + BASE_LOCK + FORGET_AFTER;
        let limit = SignInLimit::open(path.clone(), later).unwrap();
        drop(limit);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("olena") && text.contains("petro"), "{text}");
        let limit = SignInLimit::open(path, later).unwrap();
        // Forgotten: her next lock-out is the first again. Petro's earlier failure counts.
        assert_eq!(lock_out(&limit, "olena", later), Some(BASE_LOCK));
        for _ in 2..MAX_FAILURES {
            assert_eq!(limit.failed("petro", later), None);
        }
        assert_eq!(limit.failed("petro", later), Some(BASE_LOCK));
    }

    #[test]
    fn a_clock_set_back_does_not_lock_longer_than_the_longest_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let t0 = t0();
        let limit = SignInLimit::open(path.clone(), t0).unwrap();
        lock_out(&limit, "olena", t0);
        drop(limit);
        let back = t0 - Duration::from_secs(24 * 3600);
        let limit = SignInLimit::open(path, back).unwrap();
        assert_eq!(limit.check("olena", back), Err(MAX_LOCK));
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_it_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let far = u64::MAX;
        let cases = [
            ("{\"version\":1,\"logins\":[", "does not read"),
            ("[]", "does not read"),
            (
                "{\"version\":1,\"logins\":[{\"login\":\"olena\",\"failures\":1,\"lockouts\":0,\"password\":\"x\"}]}",
                "does not read",
            ),
            ("{\"version\":2,\"logins\":[]}", "version 2"),
            (
                "{\"version\":1,\"logins\":[{\"login\":\"\",\"failures\":1,\"lockouts\":0}]}",
                "login 1 is empty",
            ),
            (
                "{\"version\":1,\"logins\":[{\"login\":\"olena\",\"failures\":9,\"lockouts\":0}]}",
                "9 failures",
            ),
            (
                &format!(
                    "{{\"version\":1,\"logins\":[{{\"login\":\"olena\",\"failures\":1,\"lockouts\":1,\"locked_until_ms\":{far}}}]}}"
                ),
                "out of range",
            ),
            (
                "{\"version\":1,\"logins\":[{\"login\":\"olena\",\"failures\":1,\"lockouts\":0},\
                 {\"login\":\"olena\",\"failures\":2,\"lockouts\":0}]}",
                "appears twice",
            ),
        ];
        for (text, says) in cases {
            std::fs::write(&path, text).unwrap();
            let e = SignInLimit::open(path.clone(), t0()).unwrap_err();
            let message = e.to_string();
            assert!(
                message.contains(&path.display().to_string()) && message.contains(says),
                "{text}: {message}"
            );
            assert!(message.contains("remove it"), "{message}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "left alone");
        }
        std::fs::write(&path, vec![b' '; 2 * 1024 * 1024]).unwrap();
        assert!(matches!(
            SignInLimit::open(path.clone(), t0()),
            Err(SignInLimitError::TooLarge { .. })
        ));
        // No file: an empty limit.
        std::fs::remove_file(&path).unwrap();
        let limit = SignInLimit::open(path, t0()).unwrap();
        assert!(limit.check("olena", t0()).is_ok());
    }
}
