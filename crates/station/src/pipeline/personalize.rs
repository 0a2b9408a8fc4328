//! The `personalize` step: the ChipImage written to the chip in the chip profile's dialect,
//! read back byte for byte, passive authentication (ICAO Doc 9303-11 §5.1) over what was read
//! back, and LOCK when the operator asked for it. The chip's own write journal lives in the
//! station journal, so a card pulled mid-write continues where it stopped when it is presented
//! again. The card reader comes from the station's device factory; it stays open for `verify`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Station;
use super::{EnrolError, Event, Run, StationPersoJournal, StepError, StepOutput, pa};
use crate::step::Step;
use permitkit_chip::{
    ChipError,
    perso::{self, LockPermission, PersoInput, PersoLimits, PersoOptions, Progress},
};
use permitkit_devices::card_reader::CardReader;
use permitkit_lds::{ChipImage, Ef};

/// The card on the station's reader, with the APDU limits that the personalize and verify
/// steps share.
pub(super) struct OpenCard {
    /// The reader with the card.
    pub(super) reader: CardReader,
    /// APDU limits from the chip and reader profiles.
    pub(super) limits: PersoLimits,
}

impl OpenCard {
    /// Opens the station's card reader through its device factory.
    pub(super) fn open(station: &mut Station) -> Result<Self, StepError> {
        let slot = &station.devices.card_reader;
        let reader =
            station
                .factory
                .card_reader(slot)
                .map_err(|source| StepError::OpenCardReader {
                    selector: slot.selector.to_string(),
                    source,
                })?;
        let limits = PersoLimits::from_profiles(&station.chip, reader.reader_profile());
        Ok(Self { reader, limits })
    }
}

/// The result of the `personalize` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalizeRecord {
    /// The card's contactless UID (hex), when the reader can tell it.
    pub uid: Option<String>,
    /// Command APDUs of this attempt.
    pub apdus: u64,
    /// The fewest APDUs a complete personalization with these limits needs.
    pub minimum_apdus: u64,
    /// Command bytes sent.
    pub bytes_sent: u64,
    /// Response bytes received.
    pub bytes_received: u64,
    /// File content written in this attempt, bytes.
    pub bytes_written: u64,
    /// Wall time of this attempt, milliseconds.
    pub millis: u64,
    /// This attempt resumed an interrupted one.
    pub resumed: bool,
    /// The chip was locked.
    pub locked: bool,
    /// The read-back protocol (`BAC` or `PACE-…`).
    pub protocol: String,
}

impl StepOutput for PersonalizeRecord {
    const STEP: Step = Step::Personalize;

    fn summary(&self) -> String {
        format!(
            "{} APDUs (minimum {}), {} bytes out, {} ms{}{}",
            self.apdus,
            self.minimum_apdus,
            self.bytes_sent,
            self.millis,
            if self.resumed { ", resumed" } else { "" },
            if self.locked { ", locked" } else { "" }
        )
    }
}

/// Runs (or restores) the step.
pub(super) fn run(
    run: &mut Run<'_>,
    image: &ChipImage,
    lock: bool,
) -> Result<PersonalizeRecord, EnrolError> {
    run.step(|run| {
        let mut card = match run.card.take() {
            Some(card) => card,
            None => OpenCard::open(run.station)?,
        };
        let outcome = personalize(run, &mut card, image, lock);
        run.card = Some(card);
        outcome
    })
}

fn personalize(
    run: &mut Run<'_>,
    card: &mut OpenCard,
    image: &ChipImage,
    lock: bool,
) -> Result<PersonalizeRecord, StepError> {
    let total: u64 = image.files().map(|(_, d)| d.len() as u64).sum::<u64>() * 2;
    let input = PersoInput::try_from(image).map_err(StepError::PersoInput)?;
    let Run {
        station,
        observer,
        id,
        ..
    } = run;
    let cscas = &station.cscas;
    let verifier =
        |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Ok(pa(files, cscas)?)
        };
    let options = PersoOptions {
        dialect: station.chip.dialect,
        limits: card.limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: Some(&verifier),
    };
    let uid = card.reader.uid();
    let mut written: BTreeMap<Ef, u64> = BTreeMap::new();
    let mut read_back = 0u64;
    let mut progress = |p: &Progress| {
        let (message, done) = match p {
            Progress::Resuming { attempt } => (
                format!("resuming an interrupted card (attempt {attempt})"),
                0,
            ),
            Progress::Writing { ef, written: w, .. } => {
                written.insert(*ef, *w as u64);
                (format!("writing {ef}"), written.values().sum())
            }
            Progress::Keys => ("storing access keys".into(), written.values().sum()),
            Progress::Verified { ef, size } => {
                read_back += *size as u64;
                (
                    format!("read back {ef}"),
                    written.values().sum::<u64>() + read_back,
                )
            }
            Progress::Verifying => ("passive authentication".into(), total),
            Progress::Locked => ("locked".into(), total),
        };
        observer.event(&Event::ChipProgress {
            message,
            done,
            total,
        });
    };
    let mut journal = StationPersoJournal {
        journal: &mut station.journal,
        enrolment: id,
    };
    let outcome = perso::personalize(
        card.reader.channel(),
        &input,
        &options,
        &mut journal,
        &mut progress,
    );
    // What reached the chip stays there, whatever happens next (the virtual chip's file).
    let saved = card.reader.save();
    let report = outcome.map_err(|e| match e {
        ChipError::Transport(_) => StepError::CardInterrupted(e),
        other => StepError::Personalize(other),
    })?;
    saved.map_err(StepError::SaveCard)?;
    Ok(PersonalizeRecord {
        uid,
        apdus: report.stats.commands,
        minimum_apdus: report.minimum_apdus,
        bytes_sent: report.stats.bytes_sent,
        bytes_received: report.stats.bytes_received,
        bytes_written: report.bytes_written,
        millis: u64::try_from(report.wall.as_millis()).unwrap_or(u64::MAX),
        resumed: report.resumed,
        locked: report.locked,
        protocol: report.protocol,
    })
}
