//! The audit of every EF.SOD signature: which Document Signer key signed which document, when,
//! at which station (issue 13; ICAO Doc 9303-12 §4.1 sets the DS key's usage period and leaves the controls around the key to
//! the issuer, and audited signing is the common practice of issuing authorities).
//!
//! Every signature the Document Signer makes for a document is recorded — EF.SOD, and
//! EF.CardSecurity where the chip has one — with the signed object's content type; the
//! documents a key has signed are its EF.SOD records.
//!
//! An [`AuditRecord`] keeps no personal data in clear: the document number is keyed with
//! HMAC-SHA256 (RFC 2104) under the station's [`AuditKey`], so a record proves that a given
//! number was signed to whoever holds the key, and tells nobody else anything. Each record also
//! carries the SHA-256 of the record before it, so an edited or deleted line breaks the chain.
//!
//! [`AuditLog`] is the trait the signing policy writes through; [`FileAuditLog`] keeps it as
//! JSON lines in one append-only file (mode 0600, `O_APPEND`, each record synced before the
//! signature is handed out). Opening the file re-reads and re-checks every record: a log that
//! does not check out stops the signing rather than being extended.

use std::{
    collections::HashMap,
    fs::File,
    io::{Read, Write},
    path::{Path, PathBuf},
};

use hmac::{Hmac, KeyInit, Mac};
use permitkit_model::secret::SecretBytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The length of an audit key, bytes (the HMAC-SHA256 block-size guidance of RFC 2104 §3 asks
/// for at least the hash's output length).
pub const AUDIT_KEY_LEN: usize = 32;

/// The longest audit log read, bytes (about 4 million records).
pub const MAX_LOG_BYTES: u64 = 1 << 30;

/// The longest record line accepted, bytes.
pub const MAX_RECORD_LEN: usize = 4096;

/// `prev_sha256` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One EF.SOD signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When the signature was made, UTC (`2026-03-01T09:30:00Z`).
    pub time: String,
    /// HMAC-SHA256 of the document number under the audit key, hex.
    pub document_hmac: String,
    /// The Document Signer's key identifier (its certificate's subjectKeyIdentifier), hex.
    pub ds_key_id: String,
    /// The station that asked for the signature (its `station_id`).
    pub station: String,
    /// The signed object's eContentType, read from the signed attributes: 2.23.136.1.1.1 for
    /// EF.SOD (id-ldsSecurityObject), 0.4.0.127.0.7.3.2.1 for EF.CardSecurity; empty when the
    /// signed bytes name none.
    pub content_type: String,
    /// SHA-256 of the signature value, hex: ties the record to one signed object.
    pub signature_sha256: String,
    /// SHA-256 of the previous record's line (without its newline), hex; [`GENESIS`] first.
    pub prev_sha256: String,
}

/// `id-ldsSecurityObject`, the content type of EF.SOD (ICAO Doc 9303-10 §4.6.2.1).
pub const LDS_SECURITY_OBJECT: &str = "2.23.136.1.1.1";

impl AuditRecord {
    /// True for an EF.SOD signature: one document.
    pub fn is_document(&self) -> bool {
        self.content_type == LDS_SECURITY_OBJECT
    }
}

/// Why the audit failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The log or the key could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file others may read or write.
    #[error("{}: mode {mode:o} lets other users read or change it; it must be 0600", path.display())]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// A record that does not read, or breaks the sequence or the chain.
    #[error("audit log {}, line {line}: {reason}", path.display())]
    Corrupt {
        /// The file (`<bytes>` when parsing bytes).
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A record that does not encode to, or a line that does not decode from, JSON.
    #[error("audit log {}, line {line}: not an audit record in JSON", path.display())]
    Json {
        /// The file (`<bytes>` when parsing bytes).
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The log is larger than [`MAX_LOG_BYTES`].
    #[error("audit log {}: {len} bytes, more than the {MAX_LOG_BYTES} read", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: u64,
    },
    /// An audit key of the wrong size.
    #[error("audit key {}: {len} bytes, expected {AUDIT_KEY_LEN}", path.display())]
    KeyLength {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] permitkit_model::random::RandomError),
}

/// Where the signing policy writes its audit.
pub trait AuditLog: Send {
    /// How many records the log holds.
    fn len(&self) -> u64;

    /// True when the log holds no record.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many documents the Document Signer key `ds_key_id` (hex) has signed: its EF.SOD
    /// records (content type id-ldsSecurityObject).
    fn documents_signed_by(&self, ds_key_id: &str) -> u64;

    /// The `prev_sha256` the next record must carry.
    fn head(&self) -> String;

    /// Appends `record` durably; it must carry `seq = len() + 1` and `prev_sha256 = head()`.
    fn append(&mut self, record: &AuditRecord) -> Result<(), AuditError>;
}

/// The station's audit key: HMAC-SHA256 key for document numbers.
pub struct AuditKey(SecretBytes);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(<{} bytes>)", self.0.len())
    }
}

impl AuditKey {
    /// A key from its bytes.
    pub fn new(key: SecretBytes) -> Self {
        Self(key)
    }

    /// Reads the key at `path` (exactly [`AUDIT_KEY_LEN`] bytes, mode 0600), or creates a new
    /// random one there (mode 0600) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = SecretBytes::new(bytes);
                check_private(path)?;
                if bytes.len() != AUDIT_KEY_LEN {
                    return Err(AuditError::KeyLength {
                        path: path.to_path_buf(),
                        len: bytes.len(),
                    });
                }
                Ok(Self(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut fresh = zeroize::Zeroizing::new([0u8; AUDIT_KEY_LEN]);
                permitkit_model::random::fill_random(fresh.as_mut())?;
                let key = SecretBytes::from_slice(fresh.as_ref());
                match permitkit_model::private_file::write_new(path, key.expose()) {
                    Ok(()) => Ok(Self(key)),
                    // Another process made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// HMAC-SHA256 of `document_number` under the key, hex.
    pub fn document_hmac(&self, document_number: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose()) else {
            // HMAC takes keys of any length: this branch is never taken.
            return String::new();
        };
        mac.update(document_number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The audit log in a JSON-lines file.
#[derive(Debug)]
pub struct FileAuditLog {
    path: PathBuf,
    file: File,
    len: u64,
    head: String,
    by_key: HashMap<String, u64>,
}

impl FileAuditLog {
    /// Opens (or creates, mode 0600) the log at `path`, checking every record already there.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        check_private(path)?;
        let size = file.metadata().map_err(io)?.len();
        if size > MAX_LOG_BYTES {
            return Err(AuditError::TooLarge {
                path: path.to_path_buf(),
                len: size,
            });
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let records = parse_records(&bytes).map_err(|e| with_path(e, path))?;
        let mut by_key = HashMap::new();
        for r in records.iter().filter(|r| r.is_document()) {
            *by_key.entry(r.ds_key_id.clone()).or_insert(0) += 1;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            len: u64::try_from(records.len()).unwrap_or(u64::MAX),
            head: last_line_hash(&bytes),
            by_key,
        })
    }

    /// Every record of the log at `path`, checked.
    pub fn read(path: &Path) -> Result<Vec<AuditRecord>, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_LOG_BYTES {
            return Err(AuditError::TooLarge {
                path: path.to_path_buf(),
                len: size,
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        parse_records(&bytes).map_err(|e| with_path(e, path))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AuditLog for FileAuditLog {
    fn len(&self) -> u64 {
        self.len
    }

    fn documents_signed_by(&self, ds_key_id: &str) -> u64 {
        self.by_key.get(ds_key_id).copied().unwrap_or(0)
    }

    fn head(&self) -> String {
        self.head.clone()
    }

    fn append(&mut self, record: &AuditRecord) -> Result<(), AuditError> {
        let corrupt = |reason: String| AuditError::Corrupt {
            path: self.path.clone(),
            line: usize::try_from(record.seq).unwrap_or(usize::MAX),
            reason,
        };
        if record.seq != self.len + 1 || record.prev_sha256 != self.head {
            return Err(corrupt(format!(
                "record {} does not follow record {} of the log",
                record.seq, self.len
            )));
        }
        let line = serde_json::to_string(record).map_err(|source| AuditError::Json {
            path: self.path.clone(),
            line: usize::try_from(record.seq).unwrap_or(usize::MAX),
            source,
        })?;
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.len += 1;
        self.head = hex::encode(Sha256::digest(line.as_bytes()));
        if record.is_document() {
            *self.by_key.entry(record.ds_key_id.clone()).or_insert(0) += 1;
        }
        Ok(())
    }
}

/// Parses and checks JSON-lines audit records: each line a record, `seq` 1, 2, 3…, each
/// `prev_sha256` the hash of the line before, the last line ended by a newline.
pub fn parse_records(bytes: &[u8]) -> Result<Vec<AuditRecord>, AuditError> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_owned();
    let corrupt = |line: usize, reason: String| AuditError::Corrupt {
        path: PathBuf::from("<bytes>"),
        line,
        reason,
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        let line = bytes.split(|b| *b == b'\n').count();
        return Err(corrupt(
            line,
            "the last record is cut short (no newline)".into(),
        ));
    }
    let Some(body) = bytes.strip_suffix(b"\n") else {
        return Ok(out);
    };
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        if line.is_empty() {
            return Err(corrupt(n, "empty line".into()));
        }
        if line.len() > MAX_RECORD_LEN {
            return Err(corrupt(
                n,
                format!("{} bytes, more than a record", line.len()),
            ));
        }
        let record: AuditRecord =
            serde_json::from_slice(line).map_err(|source| AuditError::Json {
                path: PathBuf::from("<bytes>"),
                line: n,
                source,
            })?;
        let expected = u64::try_from(n).unwrap_or(u64::MAX);
        if record.seq != expected {
            return Err(corrupt(
                n,
                format!("seq {} where {expected} was expected", record.seq),
            ));
        }
        if record.prev_sha256 != prev {
            return Err(corrupt(
                n,
                "prev_sha256 is not the hash of the line before: a record was changed or removed"
                    .into(),
            ));
        }
        prev = hex::encode(Sha256::digest(line));
        out.push(record);
    }
    Ok(out)
}

/// SHA-256 of the last line (without its newline), hex; [`GENESIS`] when there is none.
fn last_line_hash(bytes: &[u8]) -> String {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.is_empty() {
        return GENESIS.to_owned();
    }
    let last = body.rsplit(|b| *b == b'\n').next().unwrap_or(body);
    hex::encode(Sha256::digest(last))
}

fn with_path(e: AuditError, path: &Path) -> AuditError {
    match e {
        AuditError::Corrupt { line, reason, .. } => AuditError::Corrupt {
            path: path.to_path_buf(),
            line,
            reason,
        },
        AuditError::Json { line, source, .. } => AuditError::Json {
            path: path.to_path_buf(),
            line,
            source,
        },
        other => other,
    }
}

/// Refuses a file that other users may read or write.
fn check_private(path: &Path) -> Result<(), AuditError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| AuditError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(AuditError::Permissions {
                path: path.to_path_buf(),
                mode: mode & 0o7777,
            });
        }
    }
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ssZ` of a system time (UTC).
pub fn utc_time(t: std::time::SystemTime) -> String {
    match der::DateTime::from_system_time(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minutes(),
            d.seconds()
        ),
        Err(_) => "out of range".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(log: &dyn AuditLog, document: &str) -> AuditRecord {
        AuditRecord {
            seq: log.len() + 1,
            time: "2026-03-01T09:30:00Z".into(),
            document_hmac: document.into(),
            ds_key_id: "aa".into(),
            station: "SIM-STATION-01".into(),
            content_type: LDS_SECURITY_OBJECT.into(),
            signature_sha256: "00".into(),
            prev_sha256: log.head(),
        }
    }

    #[test]
    fn the_hmac_is_rfc_4231_hmac_sha256() {
        // RFC 4231 §4.3, test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = AuditKey::new(SecretBytes::from_slice(b"Jefe"));
        assert_eq!(
            key.document_hmac("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_key_is_created_once_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let a = AuditKey::load_or_create(&path).unwrap();
        let b = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(a.document_hmac("FT4211207"), b.document_hmac("FT4211207"));
        assert_ne!(a.document_hmac("FT4211207"), a.document_hmac("FT4211208"));
        assert!(!format!("{a:?}").contains(&hex::encode(a.0.expose())));
        std::fs::write(&path, [0u8; 5]).unwrap();
        assert!(matches!(
            AuditKey::load_or_create(&path),
            Err(AuditError::KeyLength { len: 5, .. })
        ));
    }

    #[test]
    fn the_log_appends_durably_and_reopens_with_its_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = FileAuditLog::open(&path).unwrap();
        for doc in ["a", "b", "c"] {
            let r = record(&log, doc);
            log.append(&r).unwrap();
        }
        assert_eq!(log.documents_signed_by("aa"), 3);
        let again = FileAuditLog::open(&path).unwrap();
        assert_eq!(
            (
                again.len(),
                again.documents_signed_by("aa"),
                again.documents_signed_by("bb")
            ),
            (3, 3, 0)
        );
        assert_eq!(again.head(), log.head());
        let records = FileAuditLog::read(&path).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].document_hmac, "c");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A record that does not follow is refused.
        let mut stale = record(&log, "d");
        stale.seq = 2;
        let mut log = log;
        assert!(matches!(
            log.append(&stale),
            Err(AuditError::Corrupt { .. })
        ));
    }

    #[test]
    fn an_edited_removed_or_cut_record_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = FileAuditLog::open(&path).unwrap();
        for doc in ["a", "b", "c"] {
            let r = record(&log, doc);
            log.append(&r).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let edited = text.replacen("\"document_hmac\":\"b\"", "\"document_hmac\":\"x\"", 1);
        let err = parse_records(edited.as_bytes()).unwrap_err();
        assert!(matches!(err, AuditError::Corrupt { line: 3, .. }), "{err}");
        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        assert!(matches!(
            parse_records(removed.as_bytes()),
            Err(AuditError::Corrupt { line: 2, .. })
        ));
        let cut = &text[..text.len() - 5];
        assert!(matches!(
            parse_records(cut.as_bytes()),
            Err(AuditError::Corrupt { .. })
        ));
        assert!(parse_records(b"\n").is_err());
        let not_json = format!("{}\n{{\"seq\": 2\n", lines[0]);
        assert!(matches!(
            parse_records(not_json.as_bytes()),
            Err(AuditError::Json { line: 2, .. })
        ));
        assert!(parse_records(b"").unwrap().is_empty());
        // A cut log is not extended.
        std::fs::write(&path, cut).unwrap();
        assert!(FileAuditLog::open(&path).is_err());
    }

    #[test]
    fn a_log_others_can_read_is_refused() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("audit.jsonl");
            std::fs::write(&path, "").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                FileAuditLog::open(&path),
                Err(AuditError::Permissions { mode: 0o644, .. })
            ));
        }
    }

    #[test]
    fn utc_time_is_iso_8601() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_772_357_400);
        assert_eq!(utc_time(t), "2026-03-01T09:30:00Z");
    }
}
