//! The `personalize` step: the ChipImage and its keys, as the journal holds them, written to the
//! chip in the chip profile's dialect, read back byte for byte, passive authentication (ICAO Doc
//! 9303-11 §5.1) over what was read back, and LOCK — the default; without it the card is
//! "personalized, not issued". The chip's own write journal lives in the station journal, bound
//! to the card's chip serial, so a card pulled mid-write continues where it stopped when that
//! same card is presented again, and never on another card. The card reader comes from the
//! station's device factory; it stays open for `verify`.
//!
//! Before the ChipImage is signed, [`present`] identifies the card on the reader (its chip
//! serial, `permitkit_chip::identity`) and claims it for the enrolment — a blank card, or the
//! enrolment's own card not yet issued; anything else is refused before a single write — and,
//! on chips that make their own Active Authentication key pair (chip profile
//! `aa_key_generation`), has the chip generate it, so DG15 carries the chip's public key and the
//! private key never leaves the chip; the same for the Chip Authentication key pair DG14 (and
//! EF.CardSecurity) carries, on chips whose profile says `ca_key_generation`. A blank card
//! replacing a spoilt one is claimed the same way; the spoilt card's serial is recorded, and a
//! ChipImage whose DG15 or DG14 names the spoilt chip's keys is built and signed again for the
//! new card. Keys made outside the chip (other chips) travel in the journal, encrypted, and are
//! purged with the rest once the card is verified.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Station;
use super::chip_image::HeldImage;
use super::{ChipPhase, EnrolError, Event, Run, StationPersoJournal, StepError, StepOutput, pa};
use crate::applicant::Applicant;
use crate::step::Step;
use permitkit_chip::{
    ChipError,
    identity::ChipSerial,
    journal::Journal as _,
    perso::{
        self, ClaimOptions, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
        Progress,
    },
};
use permitkit_devices::card_reader::CardReader;
use permitkit_lds::Ef;
use permitkit_model::profiles::document::AaKeyType;

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
    /// The card written, by its chip serial (recorded before the first write).
    #[serde(default)]
    pub chip_serial: Option<ChipSerial>,
    /// Cards given up for a blank replacement before they were issued: each may hold part of
    /// this document and must be destroyed.
    #[serde(default)]
    pub spoilt_cards: Vec<ChipSerial>,
}

impl StepOutput for PersonalizeRecord {
    const STEP: Step = Step::Personalize;

    fn summary(&self) -> String {
        let card = self
            .chip_serial
            .as_ref()
            .map_or_else(String::new, |s| format!("card {s}: "));
        let spoilt = if self.spoilt_cards.is_empty() {
            String::new()
        } else {
            let list: Vec<&str> = self.spoilt_cards.iter().map(ChipSerial::as_str).collect();
            format!(", spoilt card(s) to destroy: {}", list.join(", "))
        };
        format!(
            "{card}{} APDUs (minimum {}), {} bytes out, {} ms{}{}{spoilt}",
            self.apdus,
            self.minimum_apdus,
            self.bytes_sent,
            self.millis,
            if self.resumed { ", resumed" } else { "" },
            if self.locked {
                ", LOCKED"
            } else {
                ", NOT locked: personalized, not issued"
            }
        )
    }
}

/// Public keys of key pairs the chip generated when it was claimed, for the ChipImage.
#[derive(Debug, Clone, Default)]
pub(super) struct KeysOnChip {
    /// The Active Authentication public key (SubjectPublicKeyInfo DER) for DG15.
    pub(super) aa: Option<Vec<u8>>,
    /// The Chip Authentication public key for DG14 and EF.CardSecurity.
    pub(super) ca: Option<permitkit_chip::ca::CaPublicKey>,
}

impl KeysOnChip {
    fn is_empty(&self) -> bool {
        self.aa.is_none() && self.ca.is_none()
    }
}

/// The hook before the `chip-image` step: the card on the reader identified and claimed for this
/// enrolment before anything is written to it, its Active Authentication and Chip
/// Authentication key pairs generated on the chip where the chip profile says the chip makes
/// them. Returns the public keys the ChipImage must carry (DG15, DG14) when keys were generated
/// now; in that case a ChipImage recorded earlier (for another chip's keys) is marked to be
/// built again. Nothing to do once `personalize` is recorded done (`verify` checks the card's
/// serial).
pub(super) fn present(run: &mut Run<'_>, applicant: &Applicant) -> Result<KeysOnChip, EnrolError> {
    let journal_error = |run: &Run<'_>, e| run.error(Step::Personalize, StepError::Journal(e));
    let done = |run: &Run<'_>, step| run.station.journal.is_done(&run.id, step);
    if done(run, Step::Personalize).map_err(|e| journal_error(run, e))? {
        return Ok(KeysOnChip::default());
    }
    let image_done = done(run, Step::ChipImage).map_err(|e| journal_error(run, e))?;
    let profile = &applicant.document_profile;
    let aa_on_chip = run.station.chip.aa_key_generation
        && profile.chip.active_authentication == Some(AaKeyType::EcdsaP256)
        && profile.data_groups.contains(&15);
    let ca_on_chip =
        run.station.chip.ca_key_generation && crate::applicant::ca_key_request(profile).is_some();
    let on_chip = aa_on_chip || ca_on_chip;
    let outcome = claim(
        run,
        applicant,
        aa_on_chip && !image_done,
        ca_on_chip && !image_done,
    )
    .and_then(|(serial, keys)| {
        if !keys.is_empty() || !on_chip || !image_done {
            return Ok(keys);
        }
        // The ChipImage is signed: its DG15 and DG14 must name this card's keys. A blank card
        // that replaced the one it was signed for needs its own keys and a new ChipImage.
        let entry = chip_entry(run, applicant)?;
        let key_here = (!aa_on_chip || entry.aa_key_card.as_ref() == Some(&serial))
            && (!ca_on_chip || entry.ca_key_card.as_ref() == Some(&serial));
        if key_here {
            return Ok(KeysOnChip::default());
        }
        let (_, key) = claim(run, applicant, aa_on_chip, ca_on_chip)?;
        run.station
            .journal
            .step_failed(
                &run.id,
                Step::ChipImage,
                "the card was replaced: the ChipImage is signed again for the new chip's own \
                 keys",
                None,
            )
            .map_err(StepError::Journal)?;
        Ok(key)
    });
    outcome.map_err(|source| {
        let message = super::error::chain(&source);
        let event = run.station.journal.event(&run.id, "card-refused", &message);
        if let Err(e) = event {
            tracing::error!("the journal did not record the card's refusal: {e}");
        }
        run.observer.event(&Event::StepFailed {
            step: Step::Personalize,
            error: message,
            cause: source.cause(),
        });
        run.error(Step::Personalize, source)
    })
}

/// The enrolment's chip journal entry (see [`present`]).
fn chip_entry(
    run: &mut Run<'_>,
    applicant: &Applicant,
) -> Result<permitkit_chip::journal::JournalEntry, StepError> {
    let key = chip_journal_key(run, applicant)?;
    let mut journal = StationPersoJournal {
        journal: &mut run.station.journal,
        enrolment: &run.id,
    };
    Ok(journal
        .load(&key)
        .map_err(StepError::Personalize)?
        .unwrap_or_default())
}

/// The chip journal key of the applicant's document (the station journal's HMAC of its MRZ
/// information, as [`PersoInput::journal_key`] computes it from the ChipImage's DG1).
fn chip_journal_key(run: &Run<'_>, applicant: &Applicant) -> Result<String, StepError> {
    let info =
        perso::mrz_information(&applicant.mrz.to_dg1_string()).map_err(StepError::PersoInput)?;
    Ok(run.station.journal.document_key(&info))
}

/// Opens the card (or takes the open one), identifies and claims it, generating the AA key when
/// `generate` and the Chip Authentication key when `generate_ca`; the card's state is saved
/// whatever happened.
fn claim(
    run: &mut Run<'_>,
    applicant: &Applicant,
    generate: bool,
    generate_ca: bool,
) -> Result<(ChipSerial, KeysOnChip), StepError> {
    let key = chip_journal_key(run, applicant)?;
    let mut card = match run.card.take() {
        Some(card) => card,
        None => OpenCard::open(run.station)?,
    };
    let options = ClaimOptions {
        chip_serial: run.station.chip.chip_serial,
        dialect: run.station.chip.dialect,
        generate_aa_key: generate,
    };
    let Run {
        station,
        observer,
        id,
        ..
    } = run;
    let mut progress = |p: &Progress| {
        if !matches!(p, Progress::Identified(_) | Progress::Replacing { .. }) {
            return;
        }
        let phase = ChipPhase::of(p);
        observer.event(&Event::ChipProgress {
            message: phase.to_string(),
            phase,
            done: 0,
            total: 0,
        });
    };
    let mut journal = StationPersoJournal {
        journal: &mut station.journal,
        enrolment: id,
    };
    let outcome = perso::claim(
        card.reader.channel(),
        &key,
        &options,
        &mut journal,
        &mut progress,
    )
    .and_then(|claim| {
        let ca = match (
            generate_ca,
            crate::applicant::ca_key_request(&applicant.document_profile),
        ) {
            (true, Some(request)) => perso::generate_ca_keys(
                card.reader.channel(),
                &claim,
                &key,
                &[request],
                options.dialect,
                &mut journal,
            )?
            .pop(),
            _ => None,
        };
        Ok((claim, ca))
    });
    let saved = card.reader.save();
    run.card = Some(card);
    let (claim, ca) = outcome.map_err(chip_error)?;
    saved.map_err(StepError::SaveCard)?;
    Ok((
        claim.identity.serial,
        KeysOnChip {
            aa: claim.aa_public_key,
            ca,
        },
    ))
}

/// A chip error as the step reports it: the card left the field, the card was refused before
/// anything was written to it, or personalization failed.
fn chip_error(e: ChipError) -> StepError {
    match e {
        ChipError::Transport(_) => StepError::CardInterrupted(e),
        ChipError::CardIssued { .. }
        | ChipError::CardInUse { .. }
        | ChipError::NoChipSerial { .. }
        | ChipError::AlreadyIssued => StepError::CardRefused(e),
        other => StepError::Personalize(other),
    }
}

/// Runs (or restores) the step.
pub(super) fn run(
    run: &mut Run<'_>,
    image: &HeldImage,
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
    held: &HeldImage,
    lock: bool,
) -> Result<PersonalizeRecord, StepError> {
    let total: u64 = held.image.files().map(|(_, d)| d.len() as u64).sum::<u64>() * 2;
    let mut input = PersoInput::try_from(&held.image).map_err(StepError::PersoInput)?;
    input.can.clone_from(&held.keys.can);
    input.aa_private_key.clone_from(&held.keys.aa_private_key);
    // DG15 without a private key: the chip made the key pair ([`present`]).
    input.aa_key_on_chip = input.aa_private_key.is_none()
        && run.station.chip.aa_key_generation
        && held.image.files().any(|(ef, _)| ef == Ef::DG15);
    // DG14's Chip Authentication key: made here (in the chip keys) or on the chip.
    input.ca_keys = perso::ca_keys_for(&held.image, &held.keys).map_err(StepError::PersoInput)?;
    let dg14_offers_ca = held
        .image
        .file(Ef::DG14)
        .and_then(|d| permitkit_lds::Dg14::parse(d).ok())
        .is_some_and(|d| d.chip_authentication().is_ok_and(|o| !o.is_empty()));
    input.ca_keys_on_chip =
        input.ca_keys.is_empty() && run.station.chip.ca_key_generation && dg14_offers_ca;
    // The trust point for Terminal Authentication, when the profile protects DG3 by EAC.
    input.trust_point = perso::trust_point_of(&held.keys).map_err(StepError::PersoInput)?;
    let Run {
        station,
        observer,
        id,
        ..
    } = run;
    let trust = &station.trust;
    let verifier =
        |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Ok(pa(files, trust)?)
        };
    let options = PersoOptions {
        dialect: station.chip.dialect,
        file_access: station.chip.file_access.unwrap_or(FileAccessRules::EMRTD),
        chip_serial: station.chip.chip_serial,
        limits: card.limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: Some(&verifier),
    };
    let uid = card.reader.uid();
    let mut written: BTreeMap<Ef, u64> = BTreeMap::new();
    let mut read_back = 0u64;
    let mut progress = |p: &Progress| {
        let done = match p {
            Progress::Identified(_) | Progress::Replacing { .. } | Progress::Resuming { .. } => 0,
            Progress::Writing { ef, written: w, .. } => {
                written.insert(*ef, *w as u64);
                written.values().sum()
            }
            Progress::Keys => written.values().sum(),
            Progress::Verified { size, .. } => {
                read_back += *size as u64;
                written.values().sum::<u64>() + read_back
            }
            Progress::Verifying | Progress::Locked => total,
        };
        let phase = ChipPhase::of(p);
        observer.event(&Event::ChipProgress {
            message: phase.to_string(),
            phase,
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
    let report = outcome.map_err(chip_error)?;
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
        chip_serial: Some(report.chip_serial),
        spoilt_cards: report.spoilt_cards,
    })
}
