//! The journal's SQLite schema (version 4) and connection settings.
//!
//! Version 2 records each step's typed result (the JSON of the step's result type, written only
//! when the step is done) apart from its error (written only when it failed). Version 1 kept
//! both in one untyped `detail` column; its files are refused, not migrated. Version 3 adds the
//! `outbox` of application packages for the central bureau (`super::outbox`). Version 4 adds a
//! failed step's `cause` ([`crate::cause::Cause`], NULL before). Older files are migrated in
//! one transaction: version 2 by adding the outbox and the column, version 3 by adding the
//! column.

use rusqlite::Connection;

/// Schema version stored in `PRAGMA user_version`.
pub const VERSION: i64 = 4;

/// What [`init`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A new database, now created, or one of [`VERSION`].
    Ready,
    /// A database of another schema version, left untouched.
    Other(i64),
}

/// Applies the durability settings and creates the tables in a new database.
pub fn init(conn: &Connection) -> rusqlite::Result<Found> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Deleted blobs must not linger in free pages. A setting of the connection, not of the
    // file: it is applied on every open.
    conn.pragma_update(None, "secure_delete", "ON")?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == VERSION {
        return Ok(Found::Ready);
    }
    if version == 2 {
        conn.execute_batch(&format!(
            "BEGIN; {OUTBOX} {CAUSE} PRAGMA user_version = 4; COMMIT;"
        ))?;
        return Ok(Found::Ready);
    }
    if version == 3 {
        conn.execute_batch(&format!("BEGIN; {CAUSE} PRAGMA user_version = 4; COMMIT;"))?;
        return Ok(Found::Ready);
    }
    if version != 0 {
        return Ok(Found::Other(version));
    }
    conn.execute_batch(&format!(
        "BEGIN;
         CREATE TABLE IF NOT EXISTS enrolments (
             id TEXT PRIMARY KEY,
             application TEXT NOT NULL,
             document_profile TEXT NOT NULL,
             station TEXT NOT NULL,
             operator TEXT NOT NULL,
             state TEXT NOT NULL,
             applicant_file TEXT NOT NULL,
             applicant_sha256 TEXT NOT NULL,
             out_dir TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS steps (
             enrolment TEXT NOT NULL REFERENCES enrolments(id),
             step TEXT NOT NULL,
             state TEXT NOT NULL,
             attempts INTEGER NOT NULL,
             started_at INTEGER NOT NULL,
             finished_at INTEGER,
             result TEXT,
             error TEXT,
             cause TEXT,
             PRIMARY KEY (enrolment, step)
         );
         CREATE TABLE IF NOT EXISTS events (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             enrolment TEXT NOT NULL REFERENCES enrolments(id),
             at INTEGER NOT NULL,
             kind TEXT NOT NULL,
             message TEXT NOT NULL
         );
         CREATE TABLE IF NOT EXISTS blobs (
             enrolment TEXT NOT NULL REFERENCES enrolments(id),
             name TEXT NOT NULL,
             nonce BLOB NOT NULL,
             ciphertext BLOB NOT NULL,
             PRIMARY KEY (enrolment, name)
         );
         CREATE TABLE IF NOT EXISTS perso (
             key TEXT PRIMARY KEY,
             entry TEXT NOT NULL,
             updated_at INTEGER NOT NULL
         );
         {OUTBOX}
         PRAGMA user_version = 4;
         COMMIT;"
    ))?;
    Ok(Found::Ready)
}

/// A failed step's cause (version 4).
const CAUSE: &str = "ALTER TABLE steps ADD COLUMN cause TEXT;";

/// The outbox (version 3): one row per enrolment handed to the central bureau. `package` holds
/// the application package exactly as sealed to the bureau's key (CMS EnvelopedData) until the
/// bureau acknowledges or refuses it, then NULL.
const OUTBOX: &str = "CREATE TABLE IF NOT EXISTS outbox (
             enrolment TEXT PRIMARY KEY REFERENCES enrolments(id),
             application TEXT NOT NULL,
             bureau TEXT NOT NULL,
             state TEXT NOT NULL,
             bureau_state TEXT,
             package BLOB,
             package_sha256 TEXT NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0,
             last_error TEXT,
             refusal TEXT,
             queued_at INTEGER NOT NULL,
             submitted_at INTEGER,
             updated_at INTEGER NOT NULL
         );";
