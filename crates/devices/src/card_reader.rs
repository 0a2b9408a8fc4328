//! Card readers (ARCHITECTURE.md §4): a contactless reader with a card in its field, behind the
//! [`CardReaderDriver`] trait and wrapped in [`CardReader`], as probe-rs wraps its
//! `DebugProbe` drivers in `Probe`. Two drivers are built in, chosen by a [`ReaderSelector`]:
//! `sim` (the in-process virtual chip, optionally persisted in a state file) and
//! `pcsc:<reader name glob>` (a PC/SC contactless reader, feature `pcsc`). Tests bring their
//! own drivers.
//!
//! The reader and chip profiles decide APDU sizes and the personalization dialect. Abilities
//! only some drivers have (the virtual chip's fault drills) are optional:
//! [`CardReader::as_sim_card`] answers `None` for a real reader.

use std::path::{Path, PathBuf};
use std::time::Duration;
use std::{fmt, str::FromStr};

use crate::CaptureError;
use crate::sim_state;
use permitkit_chip::CardChannel;
use permitkit_model::profiles::{ChipProfile, ReaderProfile, Registry};
use permitkit_model::selector::SelectorError;
use permitkit_simulator::{Card, CardConfig};

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

/// A parsed card reader selector.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReaderSelector {
    /// `sim`: the in-process virtual chip.
    Sim,
    /// `pcsc:<glob>`: the first PC/SC reader whose name matches the glob.
    Pcsc(String),
}

impl FromStr for ReaderSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SelectorError {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s == "sim" {
            return Ok(ReaderSelector::Sim);
        }
        match s.strip_prefix("pcsc:") {
            Some(glob) if !glob.trim().is_empty() && !glob.chars().any(char::is_control) => {
                Ok(ReaderSelector::Pcsc(glob.to_owned()))
            }
            Some(_) => Err(bad(
                "give a reader name glob, e.g. pcsc:HID Global OMNIKEY*",
            )),
            None => Err(bad("use `sim` or `pcsc:<reader name glob>`")),
        }
    }
}

impl fmt::Display for ReaderSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReaderSelector::Sim => f.write_str("sim"),
            ReaderSelector::Pcsc(glob) => write!(f, "pcsc:{glob}"),
        }
    }
}

/// What a card reader backend provides: the channel to the card in its field and what the
/// station needs to know about the reader. Implemented by the virtual chip ([`VirtualReader`]),
/// by PC/SC readers (feature `pcsc`) and by the fakes of in-process tests.
pub trait CardReaderDriver: Send + fmt::Debug {
    /// The channel to the card.
    fn channel(&mut self) -> &mut dyn CardChannel;

    /// The card's answer to reset.
    fn atr(&self) -> &[u8];

    /// The reader's profile, when one is known (none for the virtual chip, which has no reader
    /// between it and us).
    fn reader_profile(&self) -> Option<&ReaderProfile> {
        None
    }

    /// The card's contactless UID, hex, when the reader can tell it.
    fn uid(&mut self) -> Option<String> {
        None
    }

    /// The chip profile the driver knows its card by (the virtual chip's own), if any; other
    /// cards are matched by their ATR.
    fn chip_profile_id(&self) -> Option<&str> {
        None
    }

    /// Makes what was written so far durable (the virtual chip's state file); a real card keeps
    /// what was written to it, so the default does nothing.
    fn save(&mut self) -> Result<(), CardReaderError> {
        Ok(())
    }

    /// The virtual chip itself, to arm fault drills; `None` for any real reader.
    fn as_sim_card(&mut self) -> Option<&mut Card> {
        None
    }
}

/// An open card reader with a card present.
#[derive(Debug)]
pub struct CardReader {
    driver: Box<dyn CardReaderDriver>,
}

impl CardReader {
    /// Wraps a driver.
    pub fn new(driver: Box<dyn CardReaderDriver>) -> Self {
        Self { driver }
    }

    /// Opens `selector`, waiting up to `wait` for a card. `state` is the virtual chip's state
    /// file (`sim` only): loaded when it exists, saved by [`CardReader::finish`].
    pub fn open(
        selector: &str,
        state_path: Option<&Path>,
        registry: &Registry,
        wait: Duration,
    ) -> Result<Self, CardReaderError> {
        let selector = selector.parse().map_err(CaptureError::from)?;
        Self::open_selector(&selector, None, state_path, registry, wait)
    }

    /// Opens the reader `selector` names. `profile` is the reader's profile when the caller
    /// knows it (a station names it beside the selector); otherwise a PC/SC reader's profile is
    /// matched by its name. `state` is the virtual chip's state file (`sim` only).
    pub fn open_selector(
        selector: &ReaderSelector,
        profile: Option<&ReaderProfile>,
        state_path: Option<&Path>,
        registry: &Registry,
        wait: Duration,
    ) -> Result<Self, CardReaderError> {
        match selector {
            ReaderSelector::Sim => {
                let config = CardConfig::from_profile(registry.chip(VIRTUAL_CHIP_PROFILE)?);
                let card = match state_path {
                    Some(p) if p.exists() => sim_state::load(p, config)?,
                    _ => Card::new(config),
                };
                Ok(Self::new(Box::new(VirtualReader::new(
                    card,
                    state_path.map(Path::to_path_buf),
                ))))
            }
            ReaderSelector::Pcsc(glob) => {
                if state_path.is_some() {
                    return Err(bad(
                        &selector.to_string(),
                        "a state file only applies to the `sim` reader",
                    )
                    .into());
                }
                open_pcsc(glob, profile, registry, wait)
            }
        }
    }

    /// The channel to the card.
    pub fn channel(&mut self) -> &mut dyn CardChannel {
        self.driver.channel()
    }

    /// The reader profile (none for the virtual chip).
    pub fn reader_profile(&self) -> Option<&ReaderProfile> {
        self.driver.reader_profile()
    }

    /// The virtual chip itself (to arm fault drills); `None` for a real reader.
    pub fn as_sim_card(&mut self) -> Option<&mut Card> {
        self.driver.as_sim_card()
    }

    /// The card's answer to reset.
    pub fn atr(&self) -> &[u8] {
        self.driver.atr()
    }

    /// The card's contactless UID (PC/SC `FF CA 00 00 00`), hex; `None` for the virtual chip.
    pub fn uid(&mut self) -> Option<String> {
        self.driver.uid()
    }

    /// The chip profile: `id` when given, the driver's own (the virtual chip's), else the
    /// first whose ATR pattern matches the card's.
    pub fn chip_profile(
        &self,
        registry: &Registry,
        id: Option<&str>,
    ) -> Result<ChipProfile, CardReaderError> {
        if let Some(id) = id.or_else(|| self.driver.chip_profile_id()) {
            return Ok(registry.chip(id)?.clone());
        }
        let atr = self.atr();
        registry
            .chips
            .values()
            .map(|(p, _)| p)
            .find(|p| p.matches_atr(atr))
            .cloned()
            .ok_or_else(|| {
                bad(
                    "pcsc",
                    &format!(
                        "no chip profile matches ATR {}: name one with --chip-profile",
                        hex::encode_upper(atr)
                    ),
                )
                .into()
            })
    }

    /// Makes what was written so far durable (the virtual chip's state file, when it has one).
    pub fn save(&mut self) -> Result<(), CardReaderError> {
        self.driver.save()
    }

    /// Saves as [`CardReader::save`] does, and closes the reader.
    pub fn finish(mut self) -> Result<(), CardReaderError> {
        self.save()
    }
}

/// The in-process virtual chip as a card reader driver: the card is always present, and its
/// state is saved to a file (when it has one) so that a card survives between runs.
#[derive(Debug)]
pub struct VirtualReader {
    card: Box<Card>,
    state: Option<PathBuf>,
}

impl VirtualReader {
    /// The virtual chip `card`, saved to `state` (when given) by [`CardReaderDriver::save`].
    pub fn new(card: Card, state: Option<PathBuf>) -> Self {
        Self {
            card: Box::new(card),
            state,
        }
    }
}

impl CardReaderDriver for VirtualReader {
    fn channel(&mut self) -> &mut dyn CardChannel {
        self.card.as_mut()
    }

    fn atr(&self) -> &[u8] {
        self.card.atr()
    }

    fn chip_profile_id(&self) -> Option<&str> {
        Some(VIRTUAL_CHIP_PROFILE)
    }

    fn save(&mut self) -> Result<(), CardReaderError> {
        if let Some(p) = &self.state {
            sim_state::save(&self.card, p)?;
        }
        Ok(())
    }

    fn as_sim_card(&mut self) -> Option<&mut Card> {
        Some(&mut self.card)
    }
}

fn bad(selector: &str, reason: &str) -> CaptureError {
    CaptureError::BadSelector {
        selector: selector.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A PC/SC reader with a card connected, and the reader's profile.
#[cfg(feature = "pcsc")]
#[derive(Debug)]
struct PcscReader {
    card: Box<crate::reader_pcsc::PcscCard>,
    profile: Option<ReaderProfile>,
}

#[cfg(feature = "pcsc")]
impl CardReaderDriver for PcscReader {
    fn channel(&mut self) -> &mut dyn CardChannel {
        self.card.as_mut()
    }

    fn atr(&self) -> &[u8] {
        self.card.atr()
    }

    fn reader_profile(&self) -> Option<&ReaderProfile> {
        self.profile.as_ref()
    }

    fn uid(&mut self) -> Option<String> {
        self.card.uid().ok().map(hex::encode_upper)
    }
}

#[cfg(feature = "pcsc")]
fn open_pcsc(
    glob: &str,
    profile: Option<&ReaderProfile>,
    registry: &Registry,
    wait: Duration,
) -> Result<CardReader, CardReaderError> {
    let card =
        crate::reader_pcsc::PcscCard::open(glob, wait).map_err(permitkit_chip::ChipError::from)?;
    let profile = profile
        .or_else(|| registry.reader_for_name(card.reader_name()))
        .cloned();
    if profile.is_none() {
        tracing::warn!(
            "no reader profile matches {:?}: using short APDUs",
            card.reader_name()
        );
    }
    Ok(CardReader::new(Box::new(PcscReader {
        card: Box::new(card),
        profile,
    })))
}

#[cfg(not(feature = "pcsc"))]
fn open_pcsc(
    _glob: &str,
    _profile: Option<&ReaderProfile>,
    _registry: &Registry,
    _wait: Duration,
) -> Result<CardReader, CardReaderError> {
    Err(CaptureError::NotCompiled {
        backend: "PC/SC reader",
        feature: "pcsc",
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print_back() {
        for s in ["sim", "pcsc:HID Global OMNIKEY 5022*"] {
            assert_eq!(s.parse::<ReaderSelector>().unwrap().to_string(), s);
        }
        for s in ["", "pcsc:", "pcsc: ", "v4l:0", "sim:1", "pcsc:a\nb"] {
            let e = s.parse::<ReaderSelector>().unwrap_err();
            assert_eq!(e.selector, s);
            assert!(!e.reason.is_empty(), "{s}");
        }
    }

    #[test]
    fn the_virtual_chip_is_known_by_its_own_profile_and_offers_its_fault_drills() {
        let registry = Registry::builtin().unwrap();
        let mut reader = CardReader::open("sim", None, &registry, Duration::from_secs(1)).unwrap();
        assert_eq!(
            reader.chip_profile(&registry, None).unwrap().id,
            VIRTUAL_CHIP_PROFILE
        );
        assert!(reader.reader_profile().is_none());
        assert!(reader.uid().is_none());
        assert!(reader.as_sim_card().is_some());
        reader.finish().unwrap();
    }

    #[test]
    fn a_state_file_is_refused_for_a_pcsc_reader() {
        let registry = Registry::builtin().unwrap();
        let e = CardReader::open(
            "pcsc:Any*",
            Some(Path::new("card.json")),
            &registry,
            Duration::from_secs(0),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                CardReaderError::Capture(CaptureError::BadSelector { .. })
            ),
            "{e}"
        );
    }
}
