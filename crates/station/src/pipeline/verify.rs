//! The `verify` step: the card read again independently of the write — first its identity (the
//! chip serial must be the card `personalize` wrote, and the card must report itself locked
//! when it was to be locked: ISO/IEC 7816-4 life cycle, see `permitkit_chip::identity`), then
//! PACE with the CAN printed on the card (ICAO Doc 9303-11 §4.4), every file compared with the
//! ChipImage, passive authentication (9303-11 §5.1) and Active Authentication (9303-11 §6.1)
//! when the chip offers it. Only after this step — written, read back, locked, verified — is a
//! card issued; a card personalized without LOCK is "personalized, not issued".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chip_image::HeldImage;
use super::personalize::{OpenCard, PersonalizeRecord};
use super::{EnrolError, Run, StepError, StepOutput, pa};
use crate::step::Step;
use permitkit_chip::ChipError;
use permitkit_chip::identity::{self, CardLife, ChipSerial};
use permitkit_chip::reader::{self, AaOutcome, AccessKey};
use permitkit_lds::Ef;

/// The result of the `verify` step, recorded only when every check passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRecord {
    /// The access protocol the card was read over.
    pub protocol: String,
    /// Files read and found identical to the ChipImage.
    pub files: usize,
    /// Active Authentication ran and the chip proved it holds the DG15 key (`false`: the chip
    /// offers none).
    pub active_authentication: bool,
    /// The card read, by its chip serial: the one `personalize` wrote.
    #[serde(default)]
    pub chip_serial: Option<ChipSerial>,
    /// The card reports its personalization ended by LOCK.
    #[serde(default)]
    pub locked: bool,
}

impl StepOutput for VerifyRecord {
    const STEP: Step = Step::Verify;

    fn summary(&self) -> String {
        format!(
            "read over {}: {} files identical, passive authentication valid{}{}",
            self.protocol,
            self.files,
            if self.active_authentication {
                ", Active Authentication valid"
            } else {
                ""
            },
            match (&self.chip_serial, self.locked) {
                (Some(s), true) => format!(", card {s} locked"),
                (Some(s), false) => format!(", card {s} NOT locked"),
                (None, _) => String::new(),
            }
        )
    }
}

/// Runs (or restores) the step.
pub(super) fn run(
    run: &mut Run<'_>,
    image: &HeldImage,
    personalized: &PersonalizeRecord,
) -> Result<VerifyRecord, EnrolError> {
    run.step(|run| {
        let mut card = match run.card.take() {
            Some(card) => card,
            None => OpenCard::open(run.station)?,
        };
        let outcome = verify(run, &mut card, image, personalized);
        run.card = Some(card);
        outcome
    })
}

fn verify(
    run: &Run<'_>,
    card: &mut OpenCard,
    held: &HeldImage,
    personalized: &PersonalizeRecord,
) -> Result<VerifyRecord, StepError> {
    let chip = &run.station.chip;
    let probe: Vec<Ef> = held.image.files().map(|(ef, _)| ef).collect();
    let card_id = identity::identify(
        card.reader.channel(),
        chip.chip_serial,
        chip.dialect,
        &probe,
    )
    .map_err(|e| match e {
        ChipError::Transport(_) => StepError::CardInterrupted(e),
        other => StepError::Identify(other),
    })?;
    if let Some(expected) = &personalized.chip_serial
        && *expected != card_id.serial
    {
        return Err(StepError::WrongCard {
            expected: expected.clone(),
            found: card_id.serial,
        });
    }
    let locked = card_id.life == CardLife::Issued;
    if personalized.locked && !locked {
        return Err(StepError::NotLocked { life: card_id.life });
    }
    let can = held.keys.can.clone().ok_or(StepError::NoCan)?;
    let contents = reader::read(
        card.reader.channel(),
        &AccessKey::Can(can),
        card.limits.read,
    )
    .map_err(StepError::ReadBack)?;
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    for (ef, expected) in held.image.files() {
        match map.get(&ef) {
            Some(d) if d.as_slice() == expected => {}
            Some(_) => return Err(StepError::FileDiffers { ef }),
            None => return Err(StepError::FileUnread { ef }),
        }
    }
    pa(&contents.files, &run.station.cscas)
        .map_err(|reason| StepError::PassiveAuthentication { reason })?;
    let active_authentication = match &contents.active_authentication {
        AaOutcome::Verified => true,
        AaOutcome::Failed(_) => return Err(StepError::ActiveAuthentication),
        _ => false,
    };
    Ok(VerifyRecord {
        protocol: contents.protocol.to_string(),
        files: map.len(),
        active_authentication,
        chip_serial: Some(card_id.serial),
        locked,
    })
}
