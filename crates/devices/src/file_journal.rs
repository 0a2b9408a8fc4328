//! The personalization journal in a folder: one JSON file per document key, written atomically,
//! behind the chip crate's [`Journal`] trait. The mechanism (resuming the chunked UPDATE BINARY
//! writes of ICAO Doc 9303-10 §3.11 files, ISO/IEC 7816-4 §11.3.5) lives in
//! [`permitkit_chip::journal`]; this is only its file storage. Document keys are hashes of the
//! MRZ information, never the MRZ itself; anything but ASCII letters, digits and `-` is refused
//! so a key cannot name a path outside the folder.

use std::path::{Path, PathBuf};

use crate::atomic_file::{self, ReadError};
use permitkit_chip::ChipError;
use permitkit_chip::journal::{Journal, JournalEntry};

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
}

/// A journal kept as one JSON file per document key in a folder.
#[derive(Debug, Clone)]
pub struct FileJournal {
    dir: PathBuf,
}

impl FileJournal {
    /// A journal in `dir` (created when missing).
    pub fn open(dir: &Path) -> Result<Self, FileJournalError> {
        std::fs::create_dir_all(dir).map_err(|source| FileJournalError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
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

impl Journal for FileJournal {
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
