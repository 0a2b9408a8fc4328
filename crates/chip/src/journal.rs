//! The personalization journal: what has been written to which card, so an interrupted card
//! is resumed (or reported) on the next attempt instead of silently rewritten or abandoned
//! (the resumable write of ICAO Doc 9303-10 §3.11 files by UPDATE BINARY, ISO/IEC 7816-4
//! §11.3.5, chunk by chunk).
//!
//! [`Journal`] is the storage trait: the mechanism here never touches a file system. A station
//! keeps the journal in its own database; `permitkit-devices` keeps one JSON file per document
//! in a folder, written atomically; `MemoryJournal` (feature `test-util`) serves tests and
//! benchmarks. Entries are keyed by an opaque document key (a hash, never the MRZ itself) made
//! of ASCII letters, digits and `-`, and record each file's size, SHA-256 and the number of
//! bytes the chip acknowledged — and which card they were acknowledged by: the chip serial
//! ([`crate::identity`]) is recorded before the first write, so progress is only ever resumed
//! on the very card it was made on, and a card given up for a blank replacement is recorded as
//! spoilt.

use std::collections::BTreeMap;

use crate::ChipError;
use crate::identity::ChipSerial;

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
    /// LOCK sent after a verified read-back; not yet acknowledged (a card that left the field
    /// now may be locked or not: the next attempt asks it).
    Locking,
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
    /// The card this entry's progress was made on, recorded before the first write.
    #[serde(default)]
    pub card_serial: Option<ChipSerial>,
    /// Cards given up for a blank replacement before they were issued, oldest first: each may
    /// hold part of this document and must be destroyed.
    #[serde(default)]
    pub spoilt_cards: Vec<ChipSerial>,
    /// The chip that generated the Active Authentication key pair whose public key the image's
    /// DG15 carries (chips that make their own key).
    #[serde(default)]
    pub aa_key_card: Option<ChipSerial>,
}

/// Storage for journal entries. Implementations report their own failures through
/// [`ChipError::journal`].
pub trait Journal {
    /// The entry for `key`, if any.
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError>;
    /// Stores the entry for `key` durably.
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError>;
}

/// A journal in memory, for tests and benchmarks.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal(BTreeMap<String, JournalEntry>);

#[cfg(any(test, feature = "test-util"))]
impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Journal for MemoryJournal {
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        Ok(self.0.get(key).cloned())
    }
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        self.0.insert(key.to_owned(), entry.clone());
        Ok(())
    }
}
