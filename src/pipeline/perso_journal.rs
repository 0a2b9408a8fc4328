//! The chip's personalization journal kept in the station's SQLite journal, so a card's write
//! progress and the enrollment's steps live in one durable database.

use crate::{
    chip::{
        ChipError,
        journal::{Journal as PersoJournal, JournalEntry},
    },
    journal::Journal,
};

/// Adapts the station journal to the chip's journal trait.
pub struct StationPersoJournal<'a>(pub &'a mut Journal);

impl PersoJournal for StationPersoJournal<'_> {
    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        match self
            .0
            .perso_entry(key)
            .map_err(|e| ChipError::Journal(e.to_string()))?
        {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| ChipError::Journal(format!("personalization entry {key}: {e}"))),
        }
    }

    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        let text = serde_json::to_string(entry).map_err(|e| ChipError::Journal(e.to_string()))?;
        self.0
            .store_perso_entry(key, &text)
            .map_err(|e| ChipError::Journal(e.to_string()))
    }
}
