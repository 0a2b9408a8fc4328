//! The enrollment journal: a durable record, in an embedded SQLite database, of every
//! application a station handles and every step of it — captures with their quality results,
//! the ChipImage hashes, the card UID, personalization and verification results, operator,
//! station and times — so that a crash or a pulled card at any point loses nothing and
//! `enroll --resume ID` continues where it stopped.
//!
//! Durability: WAL journal mode with `synchronous = FULL`; every step transition is one
//! transaction, committed before the step's effect is reported.
//!
//! Biometrics at rest: accepted captures (portrait JPEG, WSQ fingers, signature JPEG) are kept
//! in the journal **encrypted** with AES-256-GCM under a per-station key stored beside the
//! database (`<db>.key`, mode 0600), each blob bound to its application and name by the
//! associated data, and **deleted** as soon as the card is issued and verified (the ChipImage
//! folder and the card are then the only copies). Storing them not at all would make a crash
//! between capture and personalization lose the applicant's captures; storing them in clear
//! would leave a second, unmanaged copy of biometric data on the station's disk.
//!
//! Each step is recorded by its [`Step`] with its typed result: the pipeline's result type for
//! that step, serialized as JSON, written when the step is done and read back (typed again) when
//! an enrolment resumes. A failed step records its error instead.
//!
//! The journal also keeps the chip's personalization journal (`chip::journal::Journal`) in the
//! same database, so the card's write progress and the application's steps commit together.

mod blobs;
mod schema;

use std::{
    fmt,
    path::{Path, PathBuf},
    time::SystemTime,
};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::step::Step;
use permitkit_model::secret::SecretBytes;

/// Why the journal failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The database failed.
    #[error("journal {path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The key file could not be read or written.
    #[error("journal key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A stored blob does not decrypt (wrong key, or tampered with).
    #[error("journal blob {name} of {id}: does not decrypt (wrong station key or altered data)")]
    Blob {
        /// Enrolment id.
        id: String,
        /// Blob name.
        name: String,
    },
    /// No such enrolment.
    #[error("no enrolment {0} in the journal")]
    NotFound(String),
    /// A stored record that does not decode.
    #[error("journal record {0}: {1}")]
    Corrupt(String, String),
    /// The database was written with another schema version (an older permitkit's journal).
    #[error(
        "journal {path} has schema version {found}; this permitkit reads version {expected}: \
         finish its enrolments with the permitkit that wrote it, or use a new journal file"
    )]
    Schema {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The version this code reads and writes.
        expected: i64,
    },
    /// A step result that cannot be serialized.
    #[error("result of step {step} does not serialize")]
    Encode {
        /// The step.
        step: Step,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

/// Where an enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnrolmentState {
    /// Steps remain.
    InProgress,
    /// The card was personalized, read back and verified.
    Issued,
    /// The operator abandoned it.
    Abandoned,
}

impl EnrolmentState {
    fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Issued => "issued",
            Self::Abandoned => "abandoned",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "in-progress" => Self::InProgress,
            "issued" => Self::Issued,
            "abandoned" => Self::Abandoned,
            _ => return None,
        })
    }
}

/// The state of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    /// Started, not finished (a crash leaves steps here).
    Started,
    /// Finished; its result is recorded.
    Done,
    /// Failed; the error is recorded.
    Failed,
}

impl StepState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "started" => Self::Started,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// One step as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// Its state.
    pub state: StepState,
    /// Attempts started.
    pub attempts: u32,
    /// When it last started (seconds since the epoch).
    pub started_at: i64,
    /// When it finished or failed.
    pub finished_at: Option<i64>,
    /// Its typed result as JSON, when done (the pipeline reads it back into the step's type).
    pub result: Option<serde_json::Value>,
    /// What went wrong, when failed.
    pub error: Option<String>,
}

/// One enrolment as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentRecord {
    /// Journal id.
    pub id: String,
    /// Application number from the applicant file.
    pub application: String,
    /// Document profile.
    pub document_profile: String,
    /// Station id.
    pub station: String,
    /// Operator id.
    pub operator: String,
    /// State.
    pub state: EnrolmentState,
    /// Path of the applicant file.
    pub applicant_file: String,
    /// SHA-256 of the applicant file when the enrolment began.
    pub applicant_sha256: String,
    /// ChipImage output folder.
    pub out_dir: String,
    /// Created (seconds since the epoch).
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Steps, in the order they were first started.
    pub steps: Vec<StepRecord>,
    /// Names of the encrypted blobs still held.
    pub blobs: Vec<String>,
}

/// What is known when an enrolment begins.
#[derive(Debug, Clone)]
pub struct NewEnrolment<'a> {
    /// Application number.
    pub application: &'a str,
    /// Document profile id.
    pub document_profile: &'a str,
    /// Station id.
    pub station: &'a str,
    /// Operator id.
    pub operator: &'a str,
    /// Applicant file path.
    pub applicant_file: &'a str,
    /// SHA-256 of its content.
    pub applicant_sha256: &'a str,
    /// ChipImage output folder.
    pub out_dir: &'a str,
}

/// The journal.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    key: SecretBytes,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Journal({})", self.path.display())
    }
}

impl Journal {
    /// Opens (creating when missing) the journal at `path` and its station key `<path>.key`.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::Key {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let key = blobs::station_key(&key_path(path))?;
        let conn = Connection::open(path).map_err(|source| JournalError::Database {
            path: path.to_path_buf(),
            source,
        })?;
        let journal = Self {
            conn,
            path: path.to_path_buf(),
            key,
        };
        match schema::init(&journal.conn).map_err(|e| journal.db(e))? {
            schema::Found::Ready => Ok(journal),
            schema::Found::Other(found) => Err(JournalError::Schema {
                path: path.to_path_buf(),
                found,
                expected: schema::VERSION,
            }),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Starts recording a new enrolment and returns its id.
    pub fn begin(&mut self, e: &NewEnrolment<'_>) -> Result<String, JournalError> {
        let mut raw = [0u8; 8];
        permitkit_model::random::fill_random(&mut raw).map_err(|err| JournalError::Key {
            path: self.path.clone(),
            reason: err.to_string(),
        })?;
        let id = format!("{}-{}", sanitize(e.application), hex::encode(raw));
        let now = now();
        self.conn
            .execute(
                "INSERT INTO enrolments (id, application, document_profile, station, operator, \
                 state, applicant_file, applicant_sha256, out_dir, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'in-progress', ?6, ?7, ?8, ?9, ?9)",
                params![
                    id,
                    e.application,
                    e.document_profile,
                    e.station,
                    e.operator,
                    e.applicant_file,
                    e.applicant_sha256,
                    e.out_dir,
                    now
                ],
            )
            .map_err(|err| self.db(err))?;
        self.event(&id, "begin", &format!("application {}", e.application))?;
        Ok(id)
    }

    /// Marks `step` started (again, when resuming); a result or error recorded before is
    /// cleared.
    pub fn step_started(&mut self, id: &str, step: Step) -> Result<(), JournalError> {
        let now = now();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| JournalError::Database {
                path: self.path.clone(),
                source: e,
            })?;
        tx.execute(
            "INSERT INTO steps (enrolment, step, state, attempts, started_at) \
             VALUES (?1, ?2, 'started', 1, ?3) \
             ON CONFLICT (enrolment, step) DO UPDATE SET state = 'started', \
             attempts = attempts + 1, started_at = ?3, finished_at = NULL, result = NULL, \
             error = NULL",
            params![id, step.name(), now],
        )
        .and_then(|_| touch(&tx, id, now))
        .and_then(|()| tx.commit())
        .map_err(|e| self.db(e))?;
        self.event(id, "step-started", step.name())
    }

    /// Marks `step` done with its typed `result`.
    pub fn step_done(
        &mut self,
        id: &str,
        step: Step,
        result: &impl Serialize,
    ) -> Result<(), JournalError> {
        let text = serde_json::to_string(result)
            .map_err(|source| JournalError::Encode { step, source })?;
        self.finish(id, step, StepState::Done, Some(&text), None)
    }

    /// Marks `step` failed with the error.
    pub fn step_failed(&mut self, id: &str, step: Step, error: &str) -> Result<(), JournalError> {
        self.finish(id, step, StepState::Failed, None, Some(error))
    }

    fn finish(
        &mut self,
        id: &str,
        step: Step,
        state: StepState,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), JournalError> {
        let now = now();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| JournalError::Database {
                path: self.path.clone(),
                source: e,
            })?;
        let changed = tx
            .execute(
                "UPDATE steps SET state = ?3, finished_at = ?4, result = ?5, error = ?6 \
                 WHERE enrolment = ?1 AND step = ?2",
                params![id, step.name(), state.as_str(), now, result, error],
            )
            .map_err(|e| JournalError::Database {
                path: self.path.clone(),
                source: e,
            })?;
        if changed == 0 {
            return Err(JournalError::Corrupt(
                id.to_owned(),
                format!("step {step} finished without being started"),
            ));
        }
        touch(&tx, id, now)
            .and_then(|()| tx.commit())
            .map_err(|e| self.db(e))?;
        self.event(id, state.as_str(), step.name())
    }

    /// The state and result of `step`, if it was ever started.
    pub fn step(&self, id: &str, step: Step) -> Result<Option<StepRecord>, JournalError> {
        self.conn
            .query_row(
                "SELECT step, state, attempts, started_at, finished_at, result, error FROM steps \
                 WHERE enrolment = ?1 AND step = ?2",
                params![id, step.name()],
                row_to_step,
            )
            .optional()
            .map_err(|e| self.db(e))?
            .transpose()
    }

    /// True when `step` is recorded done.
    pub fn is_done(&self, id: &str, step: Step) -> Result<bool, JournalError> {
        Ok(self
            .step(id, step)?
            .is_some_and(|s| s.state == StepState::Done))
    }

    /// Sets the enrolment's state.
    pub fn set_state(&mut self, id: &str, state: EnrolmentState) -> Result<(), JournalError> {
        let n = self
            .conn
            .execute(
                "UPDATE enrolments SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, state.as_str(), now()],
            )
            .map_err(|e| self.db(e))?;
        if n == 0 {
            return Err(JournalError::NotFound(id.to_owned()));
        }
        self.event(id, "state", state.as_str())
    }

    /// Appends a free-text event (never personal data).
    pub fn event(&mut self, id: &str, kind: &str, message: &str) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO events (enrolment, at, kind, message) VALUES (?1, ?2, ?3, ?4)",
                params![id, now(), kind, message],
            )
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    /// Stores `data` encrypted under `name` for enrolment `id` (replacing an earlier one).
    pub fn put_blob(&mut self, id: &str, name: &str, data: &[u8]) -> Result<(), JournalError> {
        let (nonce, ct) =
            blobs::seal(&self.key, id, name, data).map_err(|reason| JournalError::Key {
                path: key_path(&self.path),
                reason,
            })?;
        self.conn
            .execute(
                "INSERT INTO blobs (enrolment, name, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (enrolment, name) DO UPDATE SET nonce = ?3, ciphertext = ?4",
                params![id, name, nonce, ct],
            )
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    /// The decrypted blob `name` of enrolment `id`, if held.
    pub fn blob(&self, id: &str, name: &str) -> Result<Option<SecretBytes>, JournalError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT nonce, ciphertext FROM blobs WHERE enrolment = ?1 AND name = ?2",
                params![id, name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((nonce, ct)) = row else {
            return Ok(None);
        };
        blobs::open(&self.key, id, name, &nonce, &ct)
            .map(Some)
            .ok_or_else(|| JournalError::Blob {
                id: id.to_owned(),
                name: name.to_owned(),
            })
    }

    /// Deletes every blob of enrolment `id` (after issuance) and reclaims their pages.
    pub fn purge_blobs(&mut self, id: &str) -> Result<usize, JournalError> {
        let n = self
            .conn
            .execute("DELETE FROM blobs WHERE enrolment = ?1", params![id])
            .map_err(|e| self.db(e))?;
        self.event(id, "purge", &format!("{n} encrypted capture(s) deleted"))?;
        Ok(n)
    }

    /// One enrolment with its steps.
    pub fn record(&self, id: &str) -> Result<EnrolmentRecord, JournalError> {
        let mut rec = self
            .conn
            .query_row(
                "SELECT id, application, document_profile, station, operator, state, \
                 applicant_file, applicant_sha256, out_dir, created_at, updated_at \
                 FROM enrolments WHERE id = ?1",
                params![id],
                row_to_enrolment,
            )
            .optional()
            .map_err(|e| self.db(e))?
            .ok_or_else(|| JournalError::NotFound(id.to_owned()))??;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT step, state, attempts, started_at, finished_at, result, error FROM steps \
                 WHERE enrolment = ?1 ORDER BY rowid",
            )
            .map_err(|e| self.db(e))?;
        let steps = stmt
            .query_map(params![id], row_to_step)
            .map_err(|e| self.db(e))?;
        for s in steps {
            rec.steps.push(s.map_err(|e| self.db(e))??);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM blobs WHERE enrolment = ?1 ORDER BY name")
            .map_err(|e| self.db(e))?;
        let names = stmt
            .query_map(params![id], |r| r.get::<_, String>(0))
            .map_err(|e| self.db(e))?;
        for n in names {
            rec.blobs.push(n.map_err(|e| self.db(e))?);
        }
        Ok(rec)
    }

    /// Every enrolment, newest first (without steps).
    pub fn list(&self) -> Result<Vec<EnrolmentRecord>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, application, document_profile, station, operator, state, \
                 applicant_file, applicant_sha256, out_dir, created_at, updated_at \
                 FROM enrolments ORDER BY created_at DESC, rowid DESC",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], row_to_enrolment)
            .map_err(|e| self.db(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.db(e))??);
        }
        Ok(out)
    }

    /// The events of enrolment `id`: (time, kind, message).
    pub fn events(&self, id: &str) -> Result<Vec<(i64, String, String)>, JournalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, kind, message FROM events WHERE enrolment = ?1 ORDER BY id")
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.db(e))
    }

    /// Loads the chip personalization entry stored under `key` (JSON).
    pub fn perso_entry(&self, key: &str) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row(
                "SELECT entry FROM perso WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))
    }

    /// Stores the chip personalization entry `entry` (JSON) under `key`.
    pub fn store_perso_entry(&mut self, key: &str, entry: &str) -> Result<(), JournalError> {
        self.conn
            .execute(
                "INSERT INTO perso (key, entry, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET entry = ?2, updated_at = ?3",
                params![key, entry, now()],
            )
            .map(|_| ())
            .map_err(|e| self.db(e))
    }
}

fn touch(tx: &rusqlite::Transaction<'_>, id: &str, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE enrolments SET updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )
    .map(|_| ())
}

type Decoded<T> = Result<T, JournalError>;

fn row_to_step(r: &rusqlite::Row<'_>) -> rusqlite::Result<Decoded<StepRecord>> {
    let name: String = r.get(0)?;
    let state: String = r.get(1)?;
    let result: Option<String> = r.get(5)?;
    Ok((|| {
        let corrupt = |reason: String| JournalError::Corrupt(name.clone(), reason);
        Ok(StepRecord {
            step: name
                .parse()
                .map_err(|e: crate::step::UnknownStep| corrupt(e.to_string()))?,
            state: StepState::parse(&state).ok_or_else(|| corrupt(format!("state {state:?}")))?,
            attempts: r.get(2).map_err(|e| corrupt(e.to_string()))?,
            started_at: r.get(3).map_err(|e| corrupt(e.to_string()))?,
            finished_at: r.get(4).map_err(|e| corrupt(e.to_string()))?,
            result: result
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            error: r.get(6).map_err(|e| corrupt(e.to_string()))?,
        })
    })())
}

fn row_to_enrolment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Decoded<EnrolmentRecord>> {
    let id: String = r.get(0)?;
    let state: String = r.get(5)?;
    let Some(state) = EnrolmentState::parse(&state) else {
        return Ok(Err(JournalError::Corrupt(id, format!("state {state:?}"))));
    };
    Ok(Ok(EnrolmentRecord {
        application: r.get(1)?,
        document_profile: r.get(2)?,
        station: r.get(3)?,
        operator: r.get(4)?,
        state,
        applicant_file: r.get(6)?,
        applicant_sha256: r.get(7)?,
        out_dir: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        steps: Vec::new(),
        blobs: Vec::new(),
        id,
    }))
}

fn key_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".key");
    PathBuf::from(p)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(j: &mut Journal) -> String {
        j.begin(&NewEnrolment {
            application: "TRP-2026-004211",
            document_profile: "ua-temporary-residence-permit",
            station: "sim",
            operator: "op1",
            applicant_file: "a.toml",
            applicant_sha256: "00",
            out_dir: "/tmp/card",
        })
        .unwrap()
    }

    #[test]
    fn steps_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let id = {
            let mut j = Journal::open(&path).unwrap();
            let id = new(&mut j);
            j.step_started(&id, Step::Photo).unwrap();
            j.step_done(&id, Step::Photo, &serde_json::json!({"verdict": "pass"}))
                .unwrap();
            j.step_started(&id, Step::Fingers).unwrap();
            j.put_blob(&id, "photo.jpg", b"\xFF\xD8jpeg").unwrap();
            id
        };
        // A crash: the process is gone; a new one opens the same files.
        let mut j = Journal::open(&path).unwrap();
        assert!(j.is_done(&id, Step::Photo).unwrap());
        let photo = j.step(&id, Step::Photo).unwrap().unwrap();
        assert_eq!(photo.result.unwrap()["verdict"], "pass");
        let fingers = j.step(&id, Step::Fingers).unwrap().unwrap();
        assert_eq!(fingers.state, StepState::Started);
        assert!(fingers.result.is_none() && fingers.error.is_none());
        assert_eq!(
            j.blob(&id, "photo.jpg").unwrap().unwrap().expose(),
            b"\xFF\xD8jpeg"
        );
        j.step_started(&id, Step::Fingers).unwrap();
        assert_eq!(j.step(&id, Step::Fingers).unwrap().unwrap().attempts, 2);
        j.step_failed(&id, Step::Fingers, "scanner disconnected")
            .unwrap();
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.steps.len(), 2);
        assert_eq!(rec.steps[1].step, Step::Fingers);
        assert_eq!(rec.steps[1].error.as_deref(), Some("scanner disconnected"));
        assert!(rec.steps[1].result.is_none());
        // Starting the photo again forgets its result until it is done again.
        j.step_started(&id, Step::Photo).unwrap();
        assert!(!j.is_done(&id, Step::Photo).unwrap());
        assert!(j.step(&id, Step::Photo).unwrap().unwrap().result.is_none());
        assert_eq!(rec.blobs, vec!["photo.jpg"]);
        assert_eq!(j.list().unwrap().len(), 1);
        assert_eq!(j.purge_blobs(&id).unwrap(), 1);
        assert!(j.blob(&id, "photo.jpg").unwrap().is_none());
        j.set_state(&id, EnrolmentState::Issued).unwrap();
        assert_eq!(j.record(&id).unwrap().state, EnrolmentState::Issued);
        assert!(j.events(&id).unwrap().len() >= 8);
    }

    #[test]
    fn blobs_are_encrypted_at_rest_and_bound_to_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut j = Journal::open(&path).unwrap();
        let id = new(&mut j);
        let secret = b"FIR\0 a fingerprint record that must not be readable on disk";
        j.put_blob(&id, "finger-1.wsq", secret).unwrap();
        drop(j);
        let raw = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.path().join("j.sqlite-wal")).unwrap_or_default();
        for bytes in [&raw, &wal] {
            assert!(
                !bytes.windows(20).any(|w| w == &secret[..20]),
                "plaintext on disk"
            );
        }
        // Moving a ciphertext to another name is detected.
        let conn = Connection::open(&path).unwrap();
        conn.execute("UPDATE blobs SET name = 'finger-2.wsq'", [])
            .unwrap();
        drop(conn);
        let j = Journal::open(&path).unwrap();
        assert!(matches!(
            j.blob(&id, "finger-2.wsq"),
            Err(JournalError::Blob { .. })
        ));
        // Another station's key cannot read it.
        std::fs::remove_file(dir.path().join("j.sqlite.key")).unwrap();
        let j = Journal::open(&path).unwrap();
        assert!(j.blob(&id, "finger-2.wsq").is_err());
    }

    #[test]
    fn finishing_an_unstarted_step_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let id = new(&mut j);
        assert!(matches!(
            j.step_done(&id, Step::Photo, &1),
            Err(JournalError::Corrupt(..))
        ));
        assert!(matches!(j.record("nope"), Err(JournalError::NotFound(_))));
    }

    #[test]
    fn a_journal_of_another_schema_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE steps (enrolment TEXT, step TEXT, detail TEXT NOT NULL);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(conn);
        let e = Journal::open(&path).unwrap_err();
        assert!(
            matches!(
                e,
                JournalError::Schema {
                    found: 1,
                    expected: 2,
                    ..
                }
            ),
            "{e}"
        );
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1, "left as it was");
    }
}
