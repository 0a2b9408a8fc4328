//! The personalization journal: what has been written to which card, so an interrupted card
//! is resumed (or reported) on the next attempt instead of silently rewritten or abandoned
//! (the resumable write of ICAO Doc 9303-10 §3.11 files by UPDATE BINARY, ISO/IEC 7816-4
//! §11.3.5, chunk by chunk).
//!
//! [`Journal`] is the storage trait: the mechanism here never touches a file system. A station
//! keeps the journal in its own database; `permitkit-devices` keeps one JSON file per document
//! in a folder, written atomically; `MemoryJournal` (feature `test-util`) serves tests and
//! benchmarks. Entries are keyed by an opaque document key made of ASCII letters, digits and `-`:
//! an HMAC-SHA-256 (RFC 2104) of the MRZ information under a secret only the journal holds
//! ([`Journal::document_key`], [`keyed_document_key`]), so neither a file name nor a database
//! row reveals the MRZ, and nobody without the journal's secret can test a guessed MRZ against
//! the keys (an unkeyed hash of the MRZ information, whose birth and expiry dates and document
//! number span a small space, would be brute-forced). Entries record each file's size, SHA-256 and the number of
//! bytes the chip acknowledged — and which card they were acknowledged by: the chip serial
//! ([`crate::identity`]) is recorded before the first write, so progress is only ever resumed
//! on the very card it was made on, and a card given up for a blank replacement is recorded as
//! spoilt.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use permitkit_model::secret::SecretBytes;
use sha2::Sha256;

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
    /// The chip that generated the Chip Authentication key pairs whose public keys the image's
    /// DG14 carries (chips that make their own keys).
    #[serde(default)]
    pub ca_key_card: Option<ChipSerial>,
}

/// Storage for journal entries. Implementations report their own failures through
/// [`ChipError::journal`].
pub trait Journal {
    /// The key under which this journal files the document with this MRZ information:
    /// [`keyed_document_key`] under the journal's own secret.
    fn document_key(&self, mrz_information: &SecretBytes) -> Result<String, ChipError>;
    /// The entry for `key`, if any.
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError>;
    /// Stores the entry for `key` durably.
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError>;
}

/// Size of a journal's document-key secret.
pub const DOCUMENT_KEY_SECRET_LEN: usize = 32;

/// The document key of `mrz_information` under `secret`: HMAC-SHA-256 (RFC 2104) over a label
/// and the MRZ information, its first 128 bits in lower-case hex (RFC 2104 §5 allows truncation
/// to at least half the hash length).
pub fn keyed_document_key(secret: &SecretBytes, mrz_information: &SecretBytes) -> String {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose()) else {
        return String::new();
    };
    mac.update(b"permitkit perso journal v2\0");
    mac.update(mrz_information.expose());
    let tag = mac.finalize().into_bytes();
    hex::encode(tag.get(..16).unwrap_or_default())
}

/// A journal in memory, for tests and benchmarks, with a random document-key secret of its own.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Clone)]
pub struct MemoryJournal {
    entries: BTreeMap<String, JournalEntry>,
    secret: SecretBytes,
}

#[cfg(any(test, feature = "test-util"))]
impl MemoryJournal {
    /// An empty journal with a fresh secret.
    ///
    /// # Panics
    /// When the operating system's random number generator fails (a test helper only).
    #[expect(
        clippy::expect_used,
        reason = "test helper: no OS randomness is a broken test host"
    )]
    pub fn new() -> Self {
        let mut secret = [0u8; DOCUMENT_KEY_SECRET_LEN];
        permitkit_model::random::fill_random(&mut secret).expect("OS random number generator");
        Self {
            entries: BTreeMap::new(),
            secret: SecretBytes::from_slice(&secret),
        }
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Default for MemoryJournal {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Journal for MemoryJournal {
    fn document_key(&self, mrz_information: &SecretBytes) -> Result<String, ChipError> {
        Ok(keyed_document_key(&self.secret, mrz_information))
    }
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        Ok(self.entries.get(key).cloned())
    }
    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        self.entries.insert(key.to_owned(), entry.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 §4.2 test case 1 checks the HMAC-SHA-256 the key is made of: with the label
    /// prepended, the key must equal HMAC(secret, label ‖ MRZ information) computed here
    /// independently of [`keyed_document_key`]'s two `update` calls.
    #[test]
    fn the_document_key_is_the_rfc_2104_hmac_of_label_and_mrz_information() {
        let secret = SecretBytes::from_slice(&[0x0b; 20]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 20]).unwrap();
        mac.update(b"Hi There");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let mrz = SecretBytes::from_slice(b"L898902C<369080619406236");
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 20]).unwrap();
        mac.update(b"permitkit perso journal v2\0L898902C<369080619406236");
        let whole = hex::encode(mac.finalize().into_bytes());
        let key = keyed_document_key(&secret, &mrz);
        assert_eq!(key.len(), 32);
        assert_eq!(whole.get(..32), Some(key.as_str()));
    }

    #[test]
    fn another_secret_gives_another_key_for_the_same_document() {
        let mrz = SecretBytes::from_slice(b"L898902C<369080619406236");
        let a = MemoryJournal::new().document_key(&mrz).unwrap();
        let b = MemoryJournal::new().document_key(&mrz).unwrap();
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
