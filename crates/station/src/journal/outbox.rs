//! The journal as an outbox for the central bureau (issue 16, station side): an enrolment whose
//! card the bureau personalizes ends at the station with its application package handed over
//! here, in the same transaction that deletes its captures. The package is kept exactly as
//! sealed to the bureau's key-agreement key (CMS EnvelopedData, RFC 5652 §6: the station
//! itself cannot open it) until the bureau acknowledges it (HTTP 2xx) or refuses it for good;
//! then it is deleted (`secure_delete`, and the write-ahead log truncated) and only the
//! application's bureau status stays.
//!
//! An entry moves `queued` → `submitted` (the bureau holds it) or `refused` (with the bureau's
//! reason; never sent again). Failed attempts (bureau unreachable, 5xx, authentication not yet
//! accepted) leave it `queued` with their count and the last error. The bureau's word on the
//! application (`queued`, `personalizing`, `issued`, `failed`, and the cards spoilt on the way)
//! is recorded as it is pulled back. Nothing here holds personal data in clear: the package is
//! sealed; the application number is the journal's own key.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{EnrolmentState, Journal, JournalError, insert_event, now};

/// Where an outbox entry stands at the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxState {
    /// Sealed and waiting to be sent (or sent and not yet acknowledged).
    Queued,
    /// The bureau acknowledged it; the package is deleted here.
    Submitted,
    /// The bureau refused it for good; the package is deleted here and never sent again.
    Refused,
}

impl OutboxState {
    /// The state's name, as the journal and the JSON output spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Submitted => "submitted",
            Self::Refused => "refused",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "submitted" => Self::Submitted,
            "refused" => Self::Refused,
            _ => return None,
        })
    }
}

/// What the bureau last said about an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BureauStatus {
    /// The application's state at the bureau: `queued`, `personalizing`, `issued` or `failed`.
    pub state: String,
    /// Cards spoilt while personalizing it (destroyed; the job was queued again).
    pub spoilt_cards: u32,
    /// The issued card's chip serial, once issued.
    pub card: Option<String>,
}

/// One outbox entry (never the package itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// The enrolment's journal id.
    pub enrolment: String,
    /// The application number (the bureau's idempotency key).
    pub application: String,
    /// The bureau's base URL the package was queued for.
    pub bureau: String,
    /// Where it stands here.
    pub state: OutboxState,
    /// The bureau's latest word, once submitted.
    pub bureau_status: Option<BureauStatus>,
    /// True while the sealed package is still held.
    pub holds_package: bool,
    /// SHA-256 (hex) of the sealed package.
    pub package_sha256: String,
    /// Tries to send it (each request counts).
    pub attempts: u32,
    /// Why the last attempt did not reach an answer.
    pub last_error: Option<String>,
    /// The bureau's reason, when refused.
    pub refusal: Option<String>,
    /// Queued (seconds since the epoch).
    pub queued_at: i64,
    /// Acknowledged by the bureau.
    pub submitted_at: Option<i64>,
    /// Last change.
    pub updated_at: i64,
}

impl OutboxEntry {
    /// One word for the operator: `queued-for-submission`, `refused`, `submitted` (no word
    /// from the bureau yet), `queued-at-bureau`, `personalizing`, `spoilt-requeued` (a card
    /// was spoilt and the job waits for another line), `issued`, or `failed-at-bureau`.
    pub fn status(&self) -> &'static str {
        match (self.state, &self.bureau_status) {
            (OutboxState::Queued, _) => "queued-for-submission",
            (OutboxState::Refused, _) => "refused",
            (OutboxState::Submitted, None) => "submitted",
            (OutboxState::Submitted, Some(b)) => match b.state.as_str() {
                "issued" => "issued",
                "failed" => "failed-at-bureau",
                "personalizing" => "personalizing",
                "queued" if b.spoilt_cards > 0 => "spoilt-requeued",
                "queued" => "queued-at-bureau",
                _ => "submitted",
            },
        }
    }

    /// True when the bureau's word on it can still change.
    pub fn is_open(&self) -> bool {
        match self.state {
            OutboxState::Queued => true,
            OutboxState::Refused => false,
            OutboxState::Submitted => !matches!(
                self.bureau_status.as_ref().map(|b| b.state.as_str()),
                Some("issued" | "failed")
            ),
        }
    }
}

const COLUMNS: &str = "enrolment, application, bureau, state, bureau_state, package IS NOT NULL, \
    package_sha256, attempts, last_error, refusal, queued_at, submitted_at, updated_at";

impl Journal {
    /// Hands enrolment `id` to the bureau at `bureau`: `sealed` (its application package,
    /// sealed to the bureau's key) is queued in the outbox, the enrolment becomes
    /// [`EnrolmentState::ForBureau`] and every blob it holds (the captures) is deleted, in one
    /// transaction. Fails with [`JournalError::Finished`] when the enrolment is finished.
    pub fn queue_for_bureau(
        &mut self,
        id: &str,
        bureau: &str,
        sealed: &[u8],
    ) -> Result<(), JournalError> {
        let digest = hex::encode(Sha256::digest(sealed));
        let bureau = bureau.to_owned();
        self.finish_enrolment(id, EnrolmentState::ForBureau, |tx, id, now| {
            let application: String = tx.query_row(
                "SELECT application FROM enrolments WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO outbox (enrolment, application, bureau, state, package, \
                 package_sha256, queued_at, updated_at) \
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?6)",
                params![id, application, bureau, sealed, digest, now],
            )?;
            insert_event(
                tx,
                id,
                now,
                "outbox",
                &format!("package sealed to the bureau, queued for {bureau}"),
            )
        })
        .map(|_| ())
    }

    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM outbox ORDER BY queued_at, rowid"
            ))
            .map_err(|e| self.db(e))?;
        let rows = stmt.query_map([], row_to_entry).map_err(|e| self.db(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.db(e))??);
        }
        Ok(out)
    }

    /// The outbox entry of enrolment `id`, if it was handed to the bureau.
    pub fn outbox_entry(&self, id: &str) -> Result<Option<OutboxEntry>, JournalError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE enrolment = ?1"),
                params![id],
                row_to_entry,
            )
            .optional()
            .map_err(|e| self.db(e))?
            .transpose()
    }

    /// The sealed package of enrolment `id`, while it is held.
    pub fn outbox_package(&self, id: &str) -> Result<Option<Vec<u8>>, JournalError> {
        let row: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT package FROM outbox WHERE enrolment = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))?;
        Ok(row.flatten())
    }

    /// `tries` to send the package of `id` that reached no answer (`error` names why, never
    /// the package's content); it stays queued.
    pub fn outbox_attempt_failed(
        &mut self,
        id: &str,
        tries: u32,
        error: &str,
    ) -> Result<(), JournalError> {
        let now = now();
        self.update_queued(
            id,
            "UPDATE outbox SET attempts = attempts + ?4, last_error = ?2, updated_at = ?3 \
             WHERE enrolment = ?1 AND state = 'queued'",
            params![id, error, now, tries],
        )?;
        self.event(id, "outbox", &format!("not delivered: {error}"))
    }

    /// The bureau acknowledged the package of `id` (after `tries` in this pass): the entry
    /// becomes `submitted` with the bureau's `status`, and the package is deleted.
    pub fn outbox_acknowledged(
        &mut self,
        id: &str,
        tries: u32,
        status: &BureauStatus,
    ) -> Result<(), JournalError> {
        let now = now();
        self.update_queued(
            id,
            "UPDATE outbox SET state = 'submitted', package = NULL, attempts = attempts + ?4, \
             last_error = NULL, bureau_state = ?2, submitted_at = ?3, updated_at = ?3 \
             WHERE enrolment = ?1 AND state = 'queued'",
            params![id, encode_status(status), now, tries],
        )?;
        self.event(
            id,
            "outbox",
            &format!(
                "acknowledged by the bureau ({}); package deleted",
                status.state
            ),
        )?;
        self.checkpoint();
        Ok(())
    }

    /// The bureau refused the package of `id` for good (`reason`, its answer; after `tries`
    /// in this pass): the entry becomes `refused`, the package is deleted and never sent again.
    pub fn outbox_refused(
        &mut self,
        id: &str,
        tries: u32,
        reason: &str,
    ) -> Result<(), JournalError> {
        let now = now();
        self.update_queued(
            id,
            "UPDATE outbox SET state = 'refused', package = NULL, attempts = attempts + ?4, \
             last_error = NULL, refusal = ?2, updated_at = ?3 \
             WHERE enrolment = ?1 AND state = 'queued'",
            params![id, reason, now, tries],
        )?;
        self.event(
            id,
            "outbox",
            &format!("refused by the bureau: {reason}; package deleted"),
        )?;
        self.checkpoint();
        Ok(())
    }

    /// Records the bureau's latest word on the submitted application of `id`.
    pub fn outbox_status(&mut self, id: &str, status: &BureauStatus) -> Result<(), JournalError> {
        let before = self.outbox_entry(id)?;
        let n = self
            .conn
            .execute(
                "UPDATE outbox SET bureau_state = ?2, updated_at = ?3 \
                 WHERE enrolment = ?1 AND state = 'submitted'",
                params![id, encode_status(status), now()],
            )
            .map_err(|e| self.db(e))?;
        if n == 0 {
            return Err(JournalError::Corrupt(
                id.to_owned(),
                "no submitted outbox entry".into(),
            ));
        }
        if before.and_then(|b| b.bureau_status).as_ref() != Some(status) {
            self.event(id, "bureau", &describe(status))?;
        }
        Ok(())
    }

    fn update_queued(
        &mut self,
        id: &str,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), JournalError> {
        let n = self.conn.execute(sql, params).map_err(|e| self.db(e))?;
        if n == 0 {
            return Err(JournalError::Corrupt(
                id.to_owned(),
                "no queued outbox entry".into(),
            ));
        }
        Ok(())
    }
}

fn describe(status: &BureauStatus) -> String {
    let mut text = status.state.clone();
    if status.spoilt_cards > 0 {
        text.push_str(&format!(", {} card(s) spoilt", status.spoilt_cards));
    }
    if let Some(card) = &status.card {
        text.push_str(&format!(", card {card}"));
    }
    text
}

/// The bureau status as stored: JSON.
fn encode_status(status: &BureauStatus) -> String {
    serde_json::json!({
        "state": status.state,
        "spoilt_cards": status.spoilt_cards,
        "card": status.card,
    })
    .to_string()
}

fn decode_status(text: &str) -> Option<BureauStatus> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(BureauStatus {
        state: v.get("state")?.as_str()?.to_owned(),
        spoilt_cards: u32::try_from(v.get("spoilt_cards")?.as_u64()?).ok()?,
        card: v.get("card").and_then(|c| c.as_str()).map(str::to_owned),
    })
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<OutboxEntry, JournalError>> {
    let enrolment: String = r.get(0)?;
    let state: String = r.get(3)?;
    let bureau_state: Option<String> = r.get(4)?;
    let Some(state) = OutboxState::parse(&state) else {
        return Ok(Err(JournalError::Corrupt(
            enrolment,
            format!("outbox state {state:?}"),
        )));
    };
    let bureau_status = match bureau_state.as_deref().map(decode_status) {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => {
            return Ok(Err(JournalError::Corrupt(
                enrolment,
                "outbox bureau status".into(),
            )));
        }
    };
    Ok(Ok(OutboxEntry {
        application: r.get(1)?,
        bureau: r.get(2)?,
        state,
        bureau_status,
        holds_package: r.get(5)?,
        package_sha256: r.get(6)?,
        attempts: r.get(7)?,
        last_error: r.get(8)?,
        refusal: r.get(9)?,
        queued_at: r.get(10)?,
        submitted_at: r.get(11)?,
        updated_at: r.get(12)?,
        enrolment,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::NewEnrolment;
    use std::path::Path;

    fn begin(j: &mut Journal, application: &str) -> String {
        j.begin(&NewEnrolment {
            application,
            document_profile: "ua-temporary-residence-permit",
            station: "sim",
            operator: "op1",
            applicant_file: "a.toml",
            applicant_sha256: "00",
            out_root: Path::new("/tmp/cards"),
        })
        .unwrap()
    }

    fn status(state: &str, spoilt: u32, card: Option<&str>) -> BureauStatus {
        BureauStatus {
            state: state.into(),
            spoilt_cards: spoilt,
            card: card.map(str::to_owned),
        }
    }

    #[test]
    fn a_queued_package_replaces_the_captures_and_leaves_once_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut j = Journal::open(&path).unwrap();
        let id = begin(&mut j, "TRP-1");
        j.put_blob(&id, "portrait.jpg", b"\xFF\xD8").unwrap();
        let sealed = vec![0xA5u8; 2048];
        j.queue_for_bureau(&id, "http://bureau:8443", &sealed)
            .unwrap();
        let rec = j.record(&id).unwrap();
        assert_eq!(rec.state, EnrolmentState::ForBureau);
        assert!(rec.blobs.is_empty(), "captures deleted when queued");
        // Survives a restart.
        drop(j);
        let mut j = Journal::open(&path).unwrap();
        let e = j.outbox_entry(&id).unwrap().unwrap();
        assert_eq!(e.state, OutboxState::Queued);
        assert_eq!(e.status(), "queued-for-submission");
        assert_eq!(e.application, "TRP-1");
        assert!(e.holds_package && e.is_open());
        assert_eq!(j.outbox_package(&id).unwrap().unwrap(), sealed);
        j.outbox_attempt_failed(&id, 1, "connection refused")
            .unwrap();
        j.outbox_attempt_failed(&id, 3, "connection refused")
            .unwrap();
        let e = j.outbox_entry(&id).unwrap().unwrap();
        assert_eq!((e.attempts, e.state), (4, OutboxState::Queued));
        assert_eq!(e.last_error.as_deref(), Some("connection refused"));

        j.outbox_acknowledged(&id, 1, &status("queued", 0, None))
            .unwrap();
        let e = j.outbox_entry(&id).unwrap().unwrap();
        assert_eq!((e.state, e.attempts), (OutboxState::Submitted, 5));
        assert_eq!(e.status(), "queued-at-bureau");
        assert!(!e.holds_package);
        assert!(j.outbox_package(&id).unwrap().is_none());
        // Acknowledged once only.
        assert!(
            j.outbox_acknowledged(&id, 1, &status("queued", 0, None))
                .is_err()
        );
        j.outbox_status(&id, &status("queued", 1, None)).unwrap();
        assert_eq!(
            j.outbox_entry(&id).unwrap().unwrap().status(),
            "spoilt-requeued"
        );
        j.outbox_status(&id, &status("issued", 1, Some("SIM-00000001")))
            .unwrap();
        let e = j.outbox_entry(&id).unwrap().unwrap();
        assert_eq!(e.status(), "issued");
        assert!(!e.is_open());
        assert_eq!(
            e.bureau_status.unwrap().card.as_deref(),
            Some("SIM-00000001")
        );
        drop(j);
        // The sealed bytes are gone from the files, not only from the table.
        for file in ["j.sqlite", "j.sqlite-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(
                !bytes.windows(64).any(|w| w.iter().all(|b| *b == 0xA5)),
                "{file} still holds the package"
            );
        }
    }

    #[test]
    fn a_refused_package_is_deleted_and_closed() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let id = begin(&mut j, "TRP-2");
        let other = begin(&mut j, "TRP-3");
        j.queue_for_bureau(&id, "http://b", b"sealed").unwrap();
        j.queue_for_bureau(&other, "http://b", b"sealed 2").unwrap();
        j.outbox_refused(&id, 1, "409: application TRP-2 belongs to another station")
            .unwrap();
        let e = j.outbox_entry(&id).unwrap().unwrap();
        assert_eq!(e.state, OutboxState::Refused);
        assert_eq!(e.status(), "refused");
        assert!(!e.is_open() && !e.holds_package);
        assert!(e.refusal.unwrap().contains("another station"));
        assert!(j.outbox_attempt_failed(&id, 1, "x").is_err(), "not queued");
        let all = j.outbox().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].enrolment, other);
        // A finished enrolment is not queued again.
        assert!(matches!(
            j.queue_for_bureau(&id, "http://b", b"again"),
            Err(JournalError::Finished {
                state: EnrolmentState::ForBureau,
                ..
            })
        ));
    }

    #[test]
    fn a_version_2_journal_gains_the_outbox_and_the_failure_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE enrolments (id TEXT PRIMARY KEY, application TEXT NOT NULL, \
             document_profile TEXT NOT NULL, station TEXT NOT NULL, operator TEXT NOT NULL, \
             state TEXT NOT NULL, applicant_file TEXT NOT NULL, applicant_sha256 TEXT NOT NULL, \
             out_dir TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
             CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, enrolment TEXT NOT NULL, \
             at INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);
             CREATE TABLE blobs (enrolment TEXT NOT NULL, name TEXT NOT NULL, \
             nonce BLOB NOT NULL, ciphertext BLOB NOT NULL, PRIMARY KEY (enrolment, name));
             CREATE TABLE steps (enrolment TEXT NOT NULL, step TEXT NOT NULL, \
             state TEXT NOT NULL, attempts INTEGER NOT NULL, started_at INTEGER NOT NULL, \
             finished_at INTEGER, result TEXT, error TEXT, PRIMARY KEY (enrolment, step));
             CREATE TABLE perso (key TEXT PRIMARY KEY, entry TEXT NOT NULL, \
             updated_at INTEGER NOT NULL);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        drop(conn);
        let mut j = Journal::open(&path).unwrap();
        let id = begin(&mut j, "TRP-4");
        j.queue_for_bureau(&id, "http://b", b"sealed").unwrap();
        assert_eq!(j.outbox().unwrap().len(), 1);
        // Version 4's column came with the migration.
        j.step_started(&id, crate::step::Step::Photo).unwrap();
        j.step_failed(
            &id,
            crate::step::Step::Photo,
            "live capture",
            Some(crate::cause::Cause::NoPortrait),
        )
        .unwrap();
        let step = j.step(&id, crate::step::Step::Photo).unwrap().unwrap();
        assert_eq!(step.cause, Some(crate::cause::Cause::NoPortrait));
        let version: i64 = j
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 4);
    }
}
