//! The personalization journal: what has been written to which card, so an interrupted card
//! is resumed (or reported) on the next attempt instead of silently rewritten or abandoned.
//!
//! [`Journal`] is a trait so that a station can keep the journal in its own database;
//! [`FileJournal`] keeps one JSON file per document in a folder, written atomically, and
//! [`MemoryJournal`] serves tests and benchmarks. Entries are keyed by an opaque document key
//! (a hash, never the MRZ itself) and record each file's size, SHA-256 and the number of bytes
//! the chip acknowledged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ChipError;

/// Where a card's personalization stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PersoState {
    /// Nothing written yet.
    #[default]
    New,
    /// Writing files; some may be incomplete.
    Writing,
    /// Every file and key written, not yet read back.
    Written,
    /// Read back byte for byte (and verified when a verifier was given).
    Verified,
    /// Locked after a verified read-back: done.
    Locked,
    /// The last attempt failed; `last_error` says why.
    Failed,
}

/// Progress of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileProgress {
    /// Size of the file in the image.
    pub size: usize,
    /// SHA-256 of the file in the image (hex), so a changed image restarts the file.
    pub sha256: String,
    /// Bytes the chip acknowledged, from offset 0.
    pub written: usize,
}

/// One card's journal entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalEntry {
    /// Where it stands.
    pub state: PersoState,
    /// Attempts started.
    pub attempts: u32,
    /// Per file (by [`permitkit_lds::Ef::name`]).
    pub files: BTreeMap<String, FileProgress>,
    /// True once the access keys were stored on the chip.
    pub keys_set: bool,
    /// Why the last attempt stopped, if it failed.
    pub last_error: Option<String>,
}

/// Storage for journal entries.
pub trait Journal {
    /// The entry for `key`, if any.
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError>;
    /// Stores the entry for `key` durably.
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError>;
}

/// A journal in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal(BTreeMap<String, JournalEntry>);

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Journal for MemoryJournal {
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        Ok(self.0.get(key).cloned())
    }
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        self.0.insert(key.to_owned(), entry.clone());
        Ok(())
    }
}

/// A journal kept as one JSON file per document key in a folder.
#[derive(Debug, Clone)]
pub struct FileJournal {
    dir: PathBuf,
}

/// Largest journal file read back.
const MAX_JOURNAL_FILE: u64 = 1024 * 1024;

impl FileJournal {
    /// A journal in `dir` (created when missing).
    pub fn open(dir: &Path) -> Result<Self, ChipError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ChipError::Journal(format!("{}: {e}", dir.display())))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, ChipError> {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ChipError::Journal(format!("invalid journal key {key:?}")));
        }
        Ok(self.dir.join(format!("{key}.json")))
    }
}

impl Journal for FileJournal {
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        let path = self.path(key)?;
        let err = |e: String| ChipError::Journal(format!("{}: {e}", path.display()));
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(e.to_string())),
            Ok(m) if m.len() > MAX_JOURNAL_FILE => return Err(err("file too large".into())),
            Ok(_) => {}
        }
        let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| err(e.to_string()))
    }

    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        let path = self.path(key)?;
        let err = |e: String| ChipError::Journal(format!("{}: {e}", path.display()));
        let json = serde_json::to_vec_pretty(entry).map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
            f.write_all(&json).map_err(|e| err(e.to_string()))?;
            f.sync_all().map_err(|e| err(e.to_string()))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(j.load("../etc/passwd").is_err());
    }
}
