//! Where the writing of a card stands, as [`super::Event::ChipProgress`] carries it: the
//! personalization's progress (ICAO Doc 9303-10 files written, read back, the card locked) as
//! typed data, so that a screen in the operator's language can say it (the event's `message`
//! is the English line).

use serde::Serialize;

use permitkit_chip::identity::{CardLife, ChipSerial};
use permitkit_chip::perso::Progress;

/// What the card writing is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
// Exhaustive on purpose, as `Cause` is: screens say each phase in the operator's language.
pub enum ChipPhase {
    /// The card on the reader is identified.
    Identified {
        /// Its serial.
        serial: ChipSerial,
        /// What it says of its personalization.
        life: CardLife,
    },
    /// A card that cannot be finished is given up as spoilt; a blank card replaces it.
    Replacing {
        /// The spoilt card.
        spoilt: ChipSerial,
    },
    /// An interrupted card is continued.
    Resuming {
        /// The attempt, from 2.
        attempt: u32,
    },
    /// A file is being written.
    Writing {
        /// The file (`DG1`, `EF.SOD` …).
        file: String,
    },
    /// The access keys are being stored.
    StoringKeys,
    /// A file was read back and is identical.
    ReadBack {
        /// The file.
        file: String,
    },
    /// Passive authentication of what the card holds.
    PassiveAuthentication,
    /// The card is locked.
    Locked,
}

impl ChipPhase {
    /// The phase of a personalization's progress report.
    pub fn of(progress: &Progress) -> Self {
        match progress {
            Progress::Identified(card) => ChipPhase::Identified {
                serial: card.serial.clone(),
                life: card.life,
            },
            Progress::Replacing { spoilt } => ChipPhase::Replacing {
                spoilt: spoilt.clone(),
            },
            Progress::Resuming { attempt } => ChipPhase::Resuming { attempt: *attempt },
            Progress::Writing { ef, .. } => ChipPhase::Writing {
                file: ef.to_string(),
            },
            Progress::Keys => ChipPhase::StoringKeys,
            Progress::Verified { ef, .. } => ChipPhase::ReadBack {
                file: ef.to_string(),
            },
            Progress::Verifying => ChipPhase::PassiveAuthentication,
            Progress::Locked => ChipPhase::Locked,
        }
    }
}

impl std::fmt::Display for ChipPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChipPhase::Identified { serial, life } => write!(f, "card {serial} ({life})"),
            ChipPhase::Replacing { spoilt } => {
                write!(
                    f,
                    "card {spoilt} given up as spoilt; a blank card replaces it"
                )
            }
            ChipPhase::Resuming { attempt } => {
                write!(f, "resuming an interrupted card (attempt {attempt})")
            }
            ChipPhase::Writing { file } => write!(f, "writing {file}"),
            ChipPhase::StoringKeys => f.write_str("storing access keys"),
            ChipPhase::ReadBack { file } => write!(f, "read back {file}"),
            ChipPhase::PassiveAuthentication => f.write_str("passive authentication"),
            ChipPhase::Locked => f.write_str("locked"),
        }
    }
}
