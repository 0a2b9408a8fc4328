//! Opening a card reader by selector: `sim` (the in-process virtual chip, optionally persisted
//! in a state file) or `pcsc:<reader name glob>` (a PC/SC contactless reader, feature `pcsc`),
//! with the reader and chip profiles that decide APDU sizes and the personalization dialect.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::CaptureError;
use permitkit_chip::CardChannel;
use permitkit_model::profiles::{ChipProfile, ReaderProfile, Registry};
use permitkit_simulator::{Card, CardConfig, state};

/// Why a card reader could not be opened, matched or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardReaderError {
    /// The selector is wrong or the reader is absent.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A profile the reader needs is missing.
    #[error(transparent)]
    Profile(#[from] permitkit_model::profiles::ProfileError),
    /// The PC/SC stack or the card failed.
    #[error(transparent)]
    Chip(#[from] permitkit_chip::ChipError),
    /// The virtual chip's state file could not be loaded or saved.
    #[error(transparent)]
    Simulator(#[from] permitkit_simulator::SimError),
}

/// The chip profile of the in-process virtual chip.
pub const VIRTUAL_CHIP_PROFILE: &str = "permitkit-virtual";

/// An open card reader with a card present.
#[derive(Debug)]
pub enum CardReader {
    /// The in-process virtual chip.
    Sim {
        /// The chip.
        card: Box<Card>,
        /// Where its state is saved, if anywhere.
        state: Option<PathBuf>,
    },
    /// A PC/SC reader.
    #[cfg(feature = "pcsc")]
    Pcsc {
        /// The connected card.
        card: Box<crate::reader_pcsc::PcscCard>,
        /// The reader's profile, matched by its PC/SC name.
        profile: Option<ReaderProfile>,
    },
}

impl CardReader {
    /// Opens `selector`, waiting up to `wait` for a card. `state` is the virtual chip's state
    /// file (`sim` only): loaded when it exists, saved by [`CardReader::finish`].
    pub fn open(
        selector: &str,
        state_path: Option<&Path>,
        registry: &Registry,
        wait: Duration,
    ) -> Result<Self, CardReaderError> {
        if selector == "sim" {
            let config = CardConfig::from_profile(registry.chip(VIRTUAL_CHIP_PROFILE)?);
            let card = match state_path {
                Some(p) if p.exists() => state::load(p, config)?,
                _ => Card::new(config),
            };
            return Ok(CardReader::Sim {
                card: Box::new(card),
                state: state_path.map(Path::to_path_buf),
            });
        }
        if state_path.is_some() {
            return Err(bad(selector, "a state file only applies to the `sim` reader").into());
        }
        let Some(glob) = selector.strip_prefix("pcsc:") else {
            return Err(bad(selector, "use `sim` or `pcsc:<reader name glob>`").into());
        };
        open_pcsc(glob, registry, wait)
    }

    /// The channel to the card.
    pub fn channel(&mut self) -> &mut dyn CardChannel {
        match self {
            CardReader::Sim { card, .. } => card.as_mut(),
            #[cfg(feature = "pcsc")]
            CardReader::Pcsc { card, .. } => card.as_mut(),
        }
    }

    /// The reader profile (none for the virtual chip, which has no reader between it and us).
    pub fn reader_profile(&self) -> Option<&ReaderProfile> {
        match self {
            CardReader::Sim { .. } => None,
            #[cfg(feature = "pcsc")]
            CardReader::Pcsc { profile, .. } => profile.as_ref(),
        }
    }

    /// The virtual chip itself (to arm fault drills); `None` for a PC/SC reader.
    pub fn sim_card_mut(&mut self) -> Option<&mut Card> {
        match self {
            CardReader::Sim { card, .. } => Some(card),
            #[cfg(feature = "pcsc")]
            CardReader::Pcsc { .. } => None,
        }
    }

    /// True for the virtual chip.
    pub fn is_sim(&self) -> bool {
        matches!(self, CardReader::Sim { .. })
    }

    /// The card's answer to reset.
    pub fn atr(&self) -> Vec<u8> {
        match self {
            CardReader::Sim { card, .. } => card.atr().to_vec(),
            #[cfg(feature = "pcsc")]
            CardReader::Pcsc { card, .. } => card.atr().to_vec(),
        }
    }

    /// The card's contactless UID (PC/SC `FF CA 00 00 00`), hex; `None` for the virtual chip.
    pub fn uid(&mut self) -> Option<String> {
        match self {
            CardReader::Sim { .. } => None,
            #[cfg(feature = "pcsc")]
            CardReader::Pcsc { card, .. } => card.uid().ok().map(hex::encode_upper),
        }
    }

    /// The chip profile: `id` when given, the virtual chip's for `sim`, else the first whose ATR
    /// pattern matches the card's.
    pub fn chip_profile(
        &self,
        registry: &Registry,
        id: Option<&str>,
    ) -> Result<ChipProfile, CardReaderError> {
        if let Some(id) = id {
            return Ok(registry.chip(id)?.clone());
        }
        if self.is_sim() {
            return Ok(registry.chip(VIRTUAL_CHIP_PROFILE)?.clone());
        }
        let atr = self.atr();
        registry
            .chips
            .values()
            .map(|(p, _)| p)
            .find(|p| p.matches_atr(&atr))
            .cloned()
            .ok_or_else(|| {
                bad(
                    "pcsc",
                    &format!(
                        "no chip profile matches ATR {}: name one with --chip-profile",
                        hex::encode_upper(&atr)
                    ),
                )
                .into()
            })
    }

    /// Saves the virtual chip's state now, when it has a state file (a real card keeps what
    /// was written to it; the virtual one keeps it in its state file).
    pub fn save(&self) -> Result<(), CardReaderError> {
        if let CardReader::Sim {
            card,
            state: Some(p),
        } = self
        {
            state::save(card, p)?;
        }
        Ok(())
    }

    /// Saves the virtual chip's state when it has a state file, and closes the reader.
    pub fn finish(self) -> Result<(), CardReaderError> {
        self.save()
    }
}

fn bad(selector: &str, reason: &str) -> CaptureError {
    CaptureError::BadSelector {
        selector: selector.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(feature = "pcsc")]
fn open_pcsc(
    glob: &str,
    registry: &Registry,
    wait: Duration,
) -> Result<CardReader, CardReaderError> {
    let card =
        crate::reader_pcsc::PcscCard::open(glob, wait).map_err(permitkit_chip::ChipError::from)?;
    let profile = registry.reader_for_name(card.reader_name()).cloned();
    if profile.is_none() {
        tracing::warn!(
            "no reader profile matches {:?}: using short APDUs",
            card.reader_name()
        );
    }
    Ok(CardReader::Pcsc {
        card: Box::new(card),
        profile,
    })
}

#[cfg(not(feature = "pcsc"))]
fn open_pcsc(
    _glob: &str,
    _registry: &Registry,
    _wait: Duration,
) -> Result<CardReader, CardReaderError> {
    Err(CaptureError::NotCompiled {
        backend: "PC/SC reader",
        feature: "pcsc",
    }
    .into())
}
