//! The personalization journal in a folder: one JSON file per document key, written atomically,
//! behind the chip crate's [`Journal`] trait. The mechanism (resuming the chunked UPDATE BINARY
//! writes of ICAO Doc 9303-10 §3.11 files, ISO/IEC 7816-4 §11.3.5) lives in
//! [`permitkit_chip::journal`]; this is only its file storage. Document keys are HMACs of the
//! MRZ information under the folder's secret, `document-key` (32 random bytes, mode 0600, made
//! when a folder without entries is first opened), never the MRZ itself; anything but ASCII
//! letters, digits and `-` is refused so a key cannot name a path outside the folder. A folder
//! that holds entries but has lost its secret is refused: a new secret would file the same
//! document under another key, and its card would look like another enrolment's.

use std::path::{Path, PathBuf};

use crate::atomic_file::{self, ReadError};
use permitkit_chip::ChipError;
use permitkit_chip::journal::{DOCUMENT_KEY_SECRET_LEN, Journal, JournalEntry, keyed_document_key};
use permitkit_model::secret::SecretBytes;

/// Largest journal file read back.
pub const MAX_JOURNAL_FILE: u64 = 1024 * 1024;

/// Why the file journal could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileJournalError {
    /// The file system refused.
    #[error("personalization journal {path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A journal file larger than [`MAX_JOURNAL_FILE`].
    #[error("personalization journal {path}: {size} bytes exceeds the limit of {MAX_JOURNAL_FILE}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// A journal file that is not a journal entry.
    #[error("personalization journal {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A document key that could name a path outside the folder.
    #[error("invalid personalization journal key {0:?}")]
    InvalidKey(String),
    /// The folder's secret is missing although entries filed under it are there.
    #[error(
        "personalization journal {dir}: the secret file `{SECRET_FILE}` is missing but {entries} \
         entr(ies) filed under it are there: restore it from the backup (a new secret would file \
         the same documents under other keys)"
    )]
    SecretMissing {
        /// The folder.
        dir: PathBuf,
        /// Entries found.
        entries: usize,
    },
    /// The folder's secret file is not [`DOCUMENT_KEY_SECRET_LEN`] bytes.
    #[error(
        "personalization journal {path}: {len} bytes where a {DOCUMENT_KEY_SECRET_LEN}-byte secret belongs"
    )]
    SecretMalformed {
        /// The secret file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// No random secret could be drawn.
    #[error("personalization journal secret: {0}")]
    Random(#[from] permitkit_model::random::RandomError),
}

/// The name of the folder's document-key secret.
pub const SECRET_FILE: &str = "document-key";

/// A journal kept as one JSON file per document key in a folder. `Debug` shows the folder,
/// never the secret.
#[derive(Debug, Clone)]
pub struct FileJournal {
    dir: PathBuf,
    secret: SecretBytes,
}

impl FileJournal {
    /// A journal in `dir` (created when missing), with the folder's secret (made when the folder
    /// holds no entries yet).
    pub fn open(dir: &Path) -> Result<Self, FileJournalError> {
        let io = |source| FileJournalError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(SECRET_FILE);
        let secret = match atomic_file::read(&path, DOCUMENT_KEY_SECRET_LEN as u64) {
            Ok(bytes) if bytes.len() == DOCUMENT_KEY_SECRET_LEN => SecretBytes::new(bytes),
            Ok(bytes) => {
                return Err(FileJournalError::SecretMalformed {
                    path,
                    len: bytes.len(),
                });
            }
            Err(ReadError::TooLarge(len)) => {
                return Err(FileJournalError::SecretMalformed {
                    path,
                    len: usize::try_from(len).unwrap_or(usize::MAX),
                });
            }
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                let entries = count_entries(dir).map_err(io)?;
                if entries > 0 {
                    return Err(FileJournalError::SecretMissing {
                        dir: dir.to_path_buf(),
                        entries,
                    });
                }
                let mut fresh = zeroize::Zeroizing::new([0u8; DOCUMENT_KEY_SECRET_LEN]);
                permitkit_model::random::fill_random(fresh.as_mut())?;
                atomic_file::write(&path, fresh.as_ref(), true)
                    .map_err(|source| FileJournalError::Io { path, source })?;
                SecretBytes::from_slice(fresh.as_ref())
            }
            Err(ReadError::Io(source)) => return Err(FileJournalError::Io { path, source }),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            secret,
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, FileJournalError> {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(FileJournalError::InvalidKey(key.to_owned()));
        }
        Ok(self.dir.join(format!("{key}.json")))
    }

    fn load_entry(&self, key: &str) -> Result<Option<JournalEntry>, FileJournalError> {
        let path = self.path(key)?;
        let bytes = match atomic_file::read(&path, MAX_JOURNAL_FILE) {
            Ok(b) => b,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(ReadError::Io(source)) => return Err(FileJournalError::Io { path, source }),
            Err(ReadError::TooLarge(size)) => {
                return Err(FileJournalError::TooLarge { path, size });
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| FileJournalError::Json { path, source })
    }

    fn store_entry(&self, key: &str, entry: &JournalEntry) -> Result<(), FileJournalError> {
        let path = self.path(key)?;
        let json = match serde_json::to_vec_pretty(entry) {
            Ok(j) => j,
            Err(source) => return Err(FileJournalError::Json { path, source }),
        };
        atomic_file::write(&path, &json, false)
            .map_err(|source| FileJournalError::Io { path, source })
    }
}

/// Journal entries (`*.json`) in `dir`.
fn count_entries(dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for item in std::fs::read_dir(dir)? {
        if item?.path().extension().is_some_and(|e| e == "json") {
            n += 1;
        }
    }
    Ok(n)
}

impl Journal for FileJournal {
    fn document_key(&self, mrz_information: &SecretBytes) -> Result<String, ChipError> {
        Ok(keyed_document_key(&self.secret, mrz_information))
    }

    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        self.load_entry(key).map_err(ChipError::journal)
    }

    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        self.store_entry(key, entry).map_err(ChipError::journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_chip::journal::{FileProgress, PersoState};

    #[test]
    fn file_journal_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        assert_eq!(j.load("abc").unwrap(), None);
        let mut e = JournalEntry {
            state: PersoState::Writing,
            attempts: 1,
            ..Default::default()
        };
        e.files.insert(
            "DG2".into(),
            FileProgress {
                size: 100,
                sha256: "00".into(),
                written: 40,
            },
        );
        j.store("abc", &e).unwrap();
        assert_eq!(j.load("abc").unwrap(), Some(e));
    }

    #[test]
    fn the_secret_is_made_once_kept_private_and_its_loss_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mrz = SecretBytes::from_slice(b"L898902C<369080619406236");
        let mut j = FileJournal::open(dir.path()).unwrap();
        let key = j.document_key(&mrz).unwrap();
        let secret = dir.path().join(SECRET_FILE);
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!key.contains("L898902C"));
        j.store(&key, &JournalEntry::default()).unwrap();
        // Reopened: the same secret, the same key.
        let again = FileJournal::open(dir.path()).unwrap();
        assert_eq!(again.document_key(&mrz).unwrap(), key);
        // Another folder files the same document under another key.
        let other = tempfile::tempdir().unwrap();
        let elsewhere = FileJournal::open(other.path()).unwrap();
        assert_ne!(elsewhere.document_key(&mrz).unwrap(), key);
        // The secret lost while an entry is there: refused, never replaced.
        std::fs::remove_file(&secret).unwrap();
        let e = FileJournal::open(dir.path()).unwrap_err();
        assert!(
            matches!(e, FileJournalError::SecretMissing { entries: 1, .. }),
            "{e}"
        );
        assert!(!secret.exists());
        std::fs::write(&secret, b"short").unwrap();
        let e = FileJournal::open(dir.path()).unwrap_err();
        assert!(
            matches!(e, FileJournalError::SecretMalformed { len: 5, .. }),
            "{e}"
        );
    }

    #[test]
    fn keys_that_could_leave_the_folder_and_broken_files_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let e = j.load("../etc/passwd").unwrap_err();
        let ChipError::Journal(inner) = &e else {
            panic!("{e}")
        };
        assert!(
            matches!(
                inner.downcast_ref::<FileJournalError>(),
                Some(FileJournalError::InvalidKey(_))
            ),
            "{e}"
        );
        std::fs::write(dir.path().join("abc.json"), b"{").unwrap();
        let e = j.load_entry("abc").unwrap_err();
        assert!(matches!(e, FileJournalError::Json { .. }), "{e}");
        assert!(std::error::Error::source(&e).is_some());
    }
}
