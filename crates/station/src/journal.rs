//! The enrollment journal: a durable record, in an embedded SQLite database, of every
//! application a station handles and every step of it — captures with their quality results,
//! the ChipImage hashes, the card UID, personalization and verification results, operator,
//! station and times — so that a crash or a pulled card at any point loses nothing and
//! `enroll --resume ID` continues where it stopped.
//!
//! Durability: WAL journal mode with `synchronous = FULL`; every step transition is one
//! transaction, committed before the step's effect is reported.
//!
//! Biometrics and chip keys at rest: accepted captures (portrait JPEG, WSQ fingers, signature
//! JPEG), the ChipImage built from them and the chip's keys (CAN, Active Authentication private
//! key) are kept in the journal **encrypted** with AES-256-GCM under a per-station key stored
//! beside the database (`<db>.key`, mode 0600), each blob bound to its enrolment and name by the
//! associated data, and **deleted** as soon as the card is issued and verified
//! ([`Journal::issue`]: the card is then the only copy; only the CAN, printed on the card, is
//! kept, encrypted, so the card can be opened later) or the enrolment is abandoned
//! ([`Journal::abandon`]). Storing them not at all would make a crash between capture and
//! personalization lose the applicant's captures; storing them in clear would leave a second,
//! unmanaged copy of biometric data and keys on the station's disk. SQLite's `secure_delete` is
//! on for every connection, so deleted blobs do not linger in free pages.
//!
//! The key is made when a journal is first opened. A journal that holds encrypted blobs but
//! whose key file is gone is refused ([`JournalError::KeyMissing`]): a new key could never
//! decrypt them.
//!
//! Each step is recorded by its [`Step`] with its typed result: the pipeline's result type for
//! that step, serialized as JSON, written when the step is done and read back (typed again) when
//! an enrolment resumes. A failed step records its error instead.
//!
//! The journal also keeps the chip's personalization journal (`chip::journal::Journal`) in the
//! same database, so the card's write progress and the application's steps commit together.
//!
//! For a station whose cards the central bureau makes, it is also the outbox ([`outbox`]): the
//! application package, sealed to the bureau, waits there until the bureau acknowledges it.

mod blobs;
pub mod outbox;
mod schema;

use std::{
    fmt,
    path::{Path, PathBuf},
    time::SystemTime,
};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::cause::Cause;
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
    /// The key file is missing, but the journal holds blobs encrypted under it.
    #[error(
        "journal key {} is missing, but {} holds {blobs} encrypted item(s) sealed under it: \
         restore the key file from the station's backup (a new key could never decrypt them)",
        key.display(),
        journal.display()
    )]
    KeyMissing {
        /// The missing key file.
        key: PathBuf,
        /// The database file.
        journal: PathBuf,
        /// Encrypted blobs the database holds.
        blobs: u64,
    },
    /// The enrolment is issued or abandoned: nothing more can be done to it.
    #[error("enrolment {id} is {state}")]
    Finished {
        /// Enrolment id.
        id: String,
        /// Its state.
        state: EnrolmentState,
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
    /// The card was personalized, read back and verified but NOT locked (`--no-lock`, for
    /// development chips): personalized, not issued. Finished like an issued enrolment.
    #[serde(rename = "personalized-not-issued")]
    Personalized,
    /// The station's part is done: the application package is in the outbox for the central
    /// bureau, which personalizes the card ([`outbox`]). Finished like an issued enrolment.
    ForBureau,
}

impl fmt::Display for EnrolmentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EnrolmentState {
    /// The state's name, as the journal and the JSON output spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Issued => "issued",
            Self::Abandoned => "abandoned",
            Self::Personalized => "personalized-not-issued",
            Self::ForBureau => "for-bureau",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "in-progress" => Self::InProgress,
            "issued" => Self::Issued,
            "abandoned" => Self::Abandoned,
            "personalized-not-issued" => Self::Personalized,
            "for-bureau" => Self::ForBureau,
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
    /// The state as the journal stores it: `started`, `done` or `failed`.
    pub fn as_str(self) -> &'static str {
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
    /// The kind of failure, when failed and recorded (journals before schema version 4 and
    /// failures the pipeline records for itself have none).
    pub cause: Option<Cause>,
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
    /// The enrolment's output folder (`<out root>/<id>`).
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
    /// The folder under which the enrolment's own output folder, named by its id, is made.
    pub out_root: &'a Path,
}

/// The journal.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    key: SecretBytes,
    /// The secret of the personalization journal's document keys, derived from `key`.
    document_secret: SecretBytes,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Journal({})", self.path.display())
    }
}

impl Journal {
    /// Opens (creating when missing) the journal at `path` and its station key `<path>.key`.
    ///
    /// The key is made only for a journal that holds no encrypted blobs; when the key file is
    /// missing but the journal holds blobs, the journal is refused with
    /// [`JournalError::KeyMissing`] and nothing is written.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::Key {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let db = |source| JournalError::Database {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(db)?;
        match schema::init(&conn).map_err(db)? {
            schema::Found::Ready => {}
            schema::Found::Other(found) => {
                return Err(JournalError::Schema {
                    path: path.to_path_buf(),
                    found,
                    expected: schema::VERSION,
                });
            }
        }
        let key_file = key_path(path);
        let key = match blobs::read_key(&key_file)? {
            Some(key) => key,
            None => {
                let held: i64 = conn
                    .query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))
                    .map_err(db)?;
                let held = u64::try_from(held).unwrap_or(0);
                if held > 0 {
                    return Err(JournalError::KeyMissing {
                        key: key_file,
                        journal: path.to_path_buf(),
                        blobs: held,
                    });
                }
                blobs::create_key(&key_file)?
            }
        };
        let document_secret = blobs::derive_document_secret(&key);
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            key,
            document_secret,
        })
    }

    /// The personalization journal's key for the document with this MRZ information: an
    /// HMAC-SHA-256 under a secret derived from the station key
    /// ([`permitkit_chip::journal::keyed_document_key`]).
    pub fn document_key(&self, mrz_information: &SecretBytes) -> String {
        permitkit_chip::journal::keyed_document_key(&self.document_secret, mrz_information)
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

    /// Starts recording a new enrolment and returns its id. Its output folder is
    /// `<out_root>/<id>`: the id (letters, digits, `-`, `_`) names it, so no two enrolments
    /// share one.
    pub fn begin(&mut self, e: &NewEnrolment<'_>) -> Result<String, JournalError> {
        let mut raw = [0u8; 8];
        permitkit_model::random::fill_random(&mut raw).map_err(|err| JournalError::Key {
            path: self.path.clone(),
            reason: err.to_string(),
        })?;
        let id = format!("{}-{}", sanitize(e.application), hex::encode(raw));
        let out_dir = e.out_root.join(&id);
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
                    out_dir.display().to_string(),
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

    /// Marks `step` failed with the error and, when the operator is to act on it, its cause.
    pub fn step_failed(
        &mut self,
        id: &str,
        step: Step,
        error: &str,
        cause: Option<Cause>,
    ) -> Result<(), JournalError> {
        self.finish(id, step, StepState::Failed, None, Some((error, cause)))
    }

    fn finish(
        &mut self,
        id: &str,
        step: Step,
        state: StepState,
        result: Option<&str>,
        failure: Option<(&str, Option<Cause>)>,
    ) -> Result<(), JournalError> {
        let now = now();
        let error = failure.map(|(e, _)| e);
        let cause = failure.and_then(|(_, c)| c).map(Cause::name);
        let tx = self
            .conn
            .transaction()
            .map_err(|e| JournalError::Database {
                path: self.path.clone(),
                source: e,
            })?;
        let changed = tx
            .execute(
                "UPDATE steps SET state = ?3, finished_at = ?4, result = ?5, error = ?6, \
                 cause = ?7 WHERE enrolment = ?1 AND step = ?2",
                params![id, step.name(), state.as_str(), now, result, error, cause],
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
                "SELECT step, state, attempts, started_at, finished_at, result, error, cause \
                 FROM steps \
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
        insert_event(&self.conn, id, now(), kind, message).map_err(|e| self.db(e))
    }

    /// Marks the verified card of enrolment `id` issued and, in the same transaction, deletes
    /// every blob it holds — captures, ChipImage, chip keys — except `keep` (name and content,
    /// stored afresh, encrypted: the CAN printed on the card). Returns the blobs deleted.
    /// Fails with [`JournalError::Finished`] when the enrolment is issued or abandoned already.
    pub fn issue(&mut self, id: &str, keep: Option<(&str, &[u8])>) -> Result<u64, JournalError> {
        self.verified(id, EnrolmentState::Issued, keep)
    }

    /// As [`Journal::issue`], for a card verified but not locked (`--no-lock`): the state
    /// becomes `personalized-not-issued`.
    pub fn personalized_not_issued(
        &mut self,
        id: &str,
        keep: Option<(&str, &[u8])>,
    ) -> Result<u64, JournalError> {
        self.verified(id, EnrolmentState::Personalized, keep)
    }

    fn verified(
        &mut self,
        id: &str,
        state: EnrolmentState,
        keep: Option<(&str, &[u8])>,
    ) -> Result<u64, JournalError> {
        let kept = keep
            .map(|(name, data)| {
                blobs::seal(&self.key, id, name, data)
                    .map(|(nonce, ct)| (name, nonce, ct))
                    .map_err(|reason| JournalError::Key {
                        path: key_path(&self.path),
                        reason,
                    })
            })
            .transpose()?;
        self.finish_enrolment(id, state, |tx, id, now| {
            if let Some((name, nonce, ct)) = &kept {
                tx.execute(
                    "INSERT INTO blobs (enrolment, name, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)",
                    params![id, name, nonce, ct],
                )?;
                insert_event(tx, id, now, "kept", &format!("{name} (encrypted)"))?;
            }
            Ok(())
        })
    }

    /// Abandons enrolment `id`: its state becomes `abandoned` (it can no longer be resumed),
    /// every blob it holds — captures, ChipImage, chip keys — is deleted, and who abandoned it
    /// and why are recorded, all in one transaction. Returns the blobs deleted. Fails with
    /// [`JournalError::Finished`] when the enrolment is issued or abandoned already.
    pub fn abandon(&mut self, id: &str, operator: &str, reason: &str) -> Result<u64, JournalError> {
        self.finish_enrolment(id, EnrolmentState::Abandoned, |tx, id, now| {
            insert_event(tx, id, now, "abandon", &format!("by {operator}: {reason}"))
        })
    }

    /// Moves an in-progress enrolment to `state`, deleting its blobs, with `also` in the same
    /// transaction.
    fn finish_enrolment(
        &mut self,
        id: &str,
        state: EnrolmentState,
        also: impl FnOnce(&rusqlite::Transaction<'_>, &str, i64) -> rusqlite::Result<()>,
    ) -> Result<u64, JournalError> {
        let now = now();
        let path = self.path.clone();
        let db = |source| JournalError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        let current: Option<String> = tx
            .query_row(
                "SELECT state FROM enrolments WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let current = current.ok_or_else(|| JournalError::NotFound(id.to_owned()))?;
        let current = EnrolmentState::parse(&current)
            .ok_or_else(|| JournalError::Corrupt(id.to_owned(), format!("state {current:?}")))?;
        if current != EnrolmentState::InProgress {
            return Err(JournalError::Finished {
                id: id.to_owned(),
                state: current,
            });
        }
        tx.execute(
            "UPDATE enrolments SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, state.as_str(), now],
        )
        .map_err(db)?;
        insert_event(&tx, id, now, "state", state.as_str()).map_err(db)?;
        let purged = tx
            .execute("DELETE FROM blobs WHERE enrolment = ?1", params![id])
            .map_err(db)?;
        insert_event(
            &tx,
            id,
            now,
            "purge",
            &format!("{purged} encrypted item(s) deleted"),
        )
        .map_err(db)?;
        also(&tx, id, now).map_err(db)?;
        tx.commit().map_err(db)?;
        self.checkpoint();
        Ok(u64::try_from(purged).unwrap_or(u64::MAX))
    }

    /// Copies the write-ahead log into the database and truncates it, so the pages of deleted
    /// blobs (overwritten there by `secure_delete`) do not survive in the log either. Best
    /// effort: a reader holding the log open only delays it.
    fn checkpoint(&self) {
        if let Err(e) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!("journal {}: checkpoint: {e}", self.path.display());
        }
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

    /// Deletes every blob of enrolment `id`, whatever its state (its pages are overwritten:
    /// `secure_delete`).
    pub fn purge_blobs(&mut self, id: &str) -> Result<usize, JournalError> {
        let n = self
            .conn
            .execute("DELETE FROM blobs WHERE enrolment = ?1", params![id])
            .map_err(|e| self.db(e))?;
        self.event(id, "purge", &format!("{n} encrypted item(s) deleted"))?;
        self.checkpoint();
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
                "SELECT step, state, attempts, started_at, finished_at, result, error, cause \
                 FROM steps \
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

    /// The step each enrolment reached last (the one most recently started) and its state, by
    /// journal id, in one query: what a journal view shows beside [`Journal::list`]'s rows.
    pub fn latest_steps(
        &self,
    ) -> Result<std::collections::HashMap<String, (Step, StepState)>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.enrolment, s.step, s.state FROM steps s \
                 WHERE s.rowid = (SELECT max(t.rowid) FROM steps t WHERE t.enrolment = s.enrolment)",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.db(e))?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let (id, step, state) = row.map_err(|e| self.db(e))?;
            let step: Step = step.parse().map_err(|e: crate::step::UnknownStep| {
                JournalError::Corrupt(id.clone(), e.to_string())
            })?;
            let state = StepState::parse(&state).ok_or_else(|| {
                JournalError::Corrupt(id.clone(), format!("step state {state:?}"))
            })?;
            out.insert(id, (step, state));
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

fn insert_event(
    conn: &Connection,
    id: &str,
    at: i64,
    kind: &str,
    message: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO events (enrolment, at, kind, message) VALUES (?1, ?2, ?3, ?4)",
        params![id, at, kind, message],
    )
    .map(|_| ())
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
    let cause: Option<String> = r.get(7)?;
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
            cause: cause
                .as_deref()
                .map(|c| Cause::parse(c).ok_or_else(|| corrupt(format!("cause {c:?}"))))
                .transpose()?,
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
            out_root: Path::new("/tmp/cards"),
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
        j.step_failed(
            &id,
            Step::Fingers,
            "scanner disconnected",
            Some(Cause::Scanner),
        )
        .unwrap();
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.steps.len(), 2);
        assert_eq!(rec.steps[1].step, Step::Fingers);
        assert_eq!(rec.steps[1].error.as_deref(), Some("scanner disconnected"));
        assert_eq!(rec.steps[1].cause, Some(Cause::Scanner));
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
    fn latest_steps_name_the_step_each_enrolment_reached() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let a = new(&mut j);
        let b = new(&mut j);
        let c = new(&mut j);
        j.step_started(&a, Step::Photo).unwrap();
        j.step_done(&a, Step::Photo, &serde_json::json!({}))
            .unwrap();
        j.step_started(&a, Step::Fingers).unwrap();
        j.step_started(&b, Step::Photo).unwrap();
        j.step_failed(&b, Step::Photo, "no face", None).unwrap();
        let latest = j.latest_steps().unwrap();
        assert_eq!(latest.get(&a), Some(&(Step::Fingers, StepState::Started)));
        assert_eq!(latest.get(&b), Some(&(Step::Photo, StepState::Failed)));
        assert_eq!(latest.get(&c), None, "no step started");
        // A step name the journal does not know is corruption, said with the enrolment.
        j.conn
            .execute(
                "UPDATE steps SET step = 'teleport' WHERE enrolment = ?1",
                params![b],
            )
            .unwrap();
        assert!(matches!(j.latest_steps(), Err(JournalError::Corrupt(id, _)) if id == b));
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
        std::fs::write(dir.path().join("j.sqlite.key"), [9u8; 32]).unwrap();
        let j = Journal::open(&path).unwrap();
        assert!(j.blob(&id, "finger-2.wsq").is_err());
    }

    #[test]
    fn a_missing_key_is_refused_while_the_journal_holds_encrypted_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let key = dir.path().join("j.sqlite.key");
        let mut j = Journal::open(&path).unwrap();
        let id = new(&mut j);
        j.put_blob(&id, "portrait.jpg", b"\xFF\xD8").unwrap();
        drop(j);
        std::fs::remove_file(&key).unwrap();
        let e = Journal::open(&path).unwrap_err();
        assert!(
            matches!(&e, JournalError::KeyMissing { key: k, blobs: 1, .. } if *k == key),
            "{e}"
        );
        assert!(e.to_string().contains("restore the key file"), "{e}");
        assert!(!key.exists(), "no new key replaces the lost one");

        // Without encrypted blobs (none held, or all purged) a new key is made.
        let other = dir.path().join("empty.sqlite");
        drop(Journal::open(&other).unwrap());
        std::fs::remove_file(dir.path().join("empty.sqlite.key")).unwrap();
        Journal::open(&other).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("empty.sqlite.key"))
                .unwrap()
                .len(),
            32
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key.with_file_name("empty.sqlite.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn secure_delete_is_on_for_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        for _ in 0..2 {
            let j = Journal::open(&path).unwrap();
            let on: i64 = j
                .conn
                .pragma_query_value(None, "secure_delete", |r| r.get(0))
                .unwrap();
            assert_eq!(on, 1);
        }
        // A setting of the connection: a plain connection to the same file does not have it.
        let plain = Connection::open(&path).unwrap();
        let on: i64 = plain
            .pragma_query_value(None, "secure_delete", |r| r.get(0))
            .unwrap();
        assert_eq!(on, 0, "so Journal::open must set it each time");
    }

    #[test]
    fn a_deleted_blob_leaves_no_ciphertext_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut j = Journal::open(&path).unwrap();
        let id = new(&mut j);
        j.put_blob(&id, "finger-1.wsq", &[0x5Au8; 4096]).unwrap();
        let ct: Vec<u8> = j
            .conn
            .query_row("SELECT ciphertext FROM blobs", [], |r| r.get(0))
            .unwrap();
        j.abandon(&id, "op1", "applicant left").unwrap();
        drop(j);
        for file in ["j.sqlite", "j.sqlite-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(
                !bytes.windows(64).any(|w| w == &ct[100..164]),
                "{file} still holds the deleted ciphertext"
            );
        }
    }

    #[test]
    fn issuing_keeps_only_the_named_blob_and_finishes_the_enrolment() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let id = new(&mut j);
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.out_dir, format!("/tmp/cards/{id}"), "named by its id");
        for name in ["portrait.jpg", "chip-image/DG2.bin", "chip-keys.json"] {
            j.put_blob(&id, name, b"x").unwrap();
        }
        assert_eq!(j.issue(&id, Some(("can", b"123456"))).unwrap(), 3);
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.state, EnrolmentState::Issued);
        assert_eq!(rec.blobs, ["can"]);
        assert_eq!(j.blob(&id, "can").unwrap().unwrap().expose(), b"123456");
        // Finished: neither issued again nor abandoned.
        for e in [
            j.issue(&id, None).unwrap_err(),
            j.abandon(&id, "op1", "late").unwrap_err(),
        ] {
            assert!(
                matches!(
                    &e,
                    JournalError::Finished {
                        state: EnrolmentState::Issued,
                        ..
                    }
                ),
                "{e}"
            );
        }
        assert!(matches!(
            j.abandon("nope", "op1", "x"),
            Err(JournalError::NotFound(_))
        ));
    }

    #[test]
    fn abandoning_purges_every_blob_and_records_who_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let id = new(&mut j);
        let other = new(&mut j);
        j.put_blob(&id, "portrait.jpg", b"x").unwrap();
        j.put_blob(&id, "chip-keys.json", b"{}").unwrap();
        j.put_blob(&other, "portrait.jpg", b"y").unwrap();
        assert_eq!(j.abandon(&id, "op2", "applicant left the desk").unwrap(), 2);
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.state, EnrolmentState::Abandoned);
        assert!(rec.blobs.is_empty());
        assert!(
            j.events(&id)
                .unwrap()
                .iter()
                .any(|(_, kind, message)| kind == "abandon"
                    && message == "by op2: applicant left the desk")
        );
        assert_eq!(
            j.record(&other).unwrap().blobs,
            ["portrait.jpg"],
            "untouched"
        );
        assert!(matches!(
            j.abandon(&id, "op2", "again"),
            Err(JournalError::Finished {
                state: EnrolmentState::Abandoned,
                ..
            })
        ));
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
                    expected: 4,
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
