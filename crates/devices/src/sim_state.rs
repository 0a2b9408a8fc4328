//! The virtual chip's state file: [`permitkit_simulator::state`] turns a card into a JSON
//! document and back; this module keeps that document in a file, so a personalized virtual card
//! outlives the process. Like a real chip's EEPROM the state holds the access secrets (MRZ
//! information, CAN, Active Authentication key; ICAO Doc 9303-11 §4.3.2, §4.4.1, §6.1), so it is
//! written atomically with owner-only permissions; it is a test artefact, not a vault.

use std::path::Path;

use crate::atomic_file::{self, ReadError};
use permitkit_simulator::state::{self, MAX_STATE_FILE};
use permitkit_simulator::{Card, CardConfig, SimError};

/// Writes the card's state to `path` atomically (temporary file, then rename), owner-only.
pub fn save(card: &Card, path: &Path) -> Result<(), SimError> {
    let json = state::to_json(card)?;
    atomic_file::write(path, json.as_bytes(), true)
        .map_err(|e| SimError::io(format!("writing {}", path.display()), e))
}

/// Loads a card saved by [`save`], under `config`'s limits.
pub fn load(path: &Path, config: CardConfig) -> Result<Card, SimError> {
    let bytes = atomic_file::read(path, MAX_STATE_FILE).map_err(|e| match e {
        ReadError::Io(e) => SimError::io(format!("reading {}", path.display()), e),
        ReadError::TooLarge(_) => SimError::state(
            path.display().to_string(),
            "exceeds the state file size limit (MAX_STATE_FILE)",
        ),
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|e| SimError::state_from(path.display().to_string(), "is not UTF-8", e))?;
    state::from_json(&text, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_card_loads_and_a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.json");
        let card = Card::new(CardConfig::default());
        save(&card, &path).unwrap();
        let again = load(&path, CardConfig::default()).unwrap();
        assert_eq!(again.is_locked(), card.is_locked());
        let e = load(&dir.path().join("absent.json"), CardConfig::default()).unwrap_err();
        assert!(
            matches!(&e, SimError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{e}"
        );
        std::fs::write(&path, b"{").unwrap();
        let e = load(&path, CardConfig::default()).unwrap_err();
        assert!(
            matches!(&e, SimError::State { at, source: Some(_), .. } if at == "JSON"),
            "{e}"
        );
    }
}
