//! The chip's personalization journal kept in the station's SQLite journal, so a card's write
//! progress and the enrollment's steps live in one durable database.

use crate::journal::Journal;
use permitkit_chip::{
    ChipError,
    journal::{Journal as PersoJournal, JournalEntry},
};
use permitkit_model::secret::SecretBytes;

/// Adapts the station journal to the chip's journal trait, within one enrolment: the chip's
/// progress is keyed by enrolment as well as by document, so a new enrolment for the same
/// document (a replacement card) starts from a blank card instead of inheriting the progress
/// of the card issued before.
pub struct StationPersoJournal<'a> {
    /// The station journal.
    pub journal: &'a mut Journal,
    /// The enrolment id.
    pub enrolment: &'a str,
}

impl StationPersoJournal<'_> {
    fn key(&self, key: &str) -> String {
        format!("{}/{key}", self.enrolment)
    }
}

impl PersoJournal for StationPersoJournal<'_> {
    fn document_key(&self, mrz_information: &SecretBytes) -> Result<String, ChipError> {
        Ok(self.journal.document_key(mrz_information))
    }

    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        match self
            .journal
            .perso_entry(&self.key(key))
            .map_err(ChipError::journal)?
        {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| ChipError::journal(format!("personalization entry {key}: {e}"))),
        }
    }

    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        let text = serde_json::to_string(entry).map_err(ChipError::journal)?;
        let key = self.key(key);
        self.journal
            .store_perso_entry(&key, &text)
            .map_err(ChipError::journal)
    }
}
