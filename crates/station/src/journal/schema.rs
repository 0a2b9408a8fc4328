//! The journal's SQLite schema (version 1) and connection settings.

use rusqlite::Connection;

/// Schema version stored in `PRAGMA user_version`.
pub const VERSION: i64 = 1;

/// Applies the durability settings and creates the tables when missing.
pub fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version >= VERSION {
        return Ok(());
    }
    conn.execute_batch(
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
             detail TEXT NOT NULL,
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
         PRAGMA user_version = 1;
         COMMIT;",
    )?;
    // Deleted blobs must not linger in free pages.
    conn.pragma_update(None, "secure_delete", "ON")
}
