//! The `verify` step: the card read again independently of the write — PACE with the CAN
//! printed on the card (ICAO Doc 9303-11 §4.4), every file compared with the ChipImage, passive
//! authentication (9303-11 §5.1) and Active Authentication (9303-11 §6.1) when the chip offers
//! it. Only after this step is a card issued.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::personalize::OpenCard;
use super::{EnrolError, Run, StepError, StepOutput, pa};
use crate::step::Step;
use permitkit_chip::reader::{self, AccessKey};
use permitkit_lds::{ChipImage, Ef};

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
}

impl StepOutput for VerifyRecord {
    const STEP: Step = Step::Verify;

    fn summary(&self) -> String {
        format!(
            "read over {}: {} files identical, passive authentication valid{}",
            self.protocol,
            self.files,
            if self.active_authentication {
                ", Active Authentication valid"
            } else {
                ""
            }
        )
    }
}

/// Runs (or restores) the step.
pub(super) fn run(run: &mut Run<'_>, image: &ChipImage) -> Result<VerifyRecord, EnrolError> {
    run.step(|run| {
        let mut card = match run.card.take() {
            Some(card) => card,
            None => OpenCard::open(run.station)?,
        };
        let outcome = verify(run, &mut card, image);
        run.card = Some(card);
        outcome
    })
}

fn verify(
    run: &Run<'_>,
    card: &mut OpenCard,
    image: &ChipImage,
) -> Result<VerifyRecord, StepError> {
    let can = image.keys().can.clone().ok_or(StepError::NoCan)?;
    let contents = reader::read(
        card.reader.channel(),
        &AccessKey::Can(can),
        card.limits.read,
    )
    .map_err(StepError::ReadBack)?;
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    for (ef, expected) in image.files() {
        match map.get(&ef) {
            Some(d) if d.as_slice() == expected => {}
            Some(_) => return Err(StepError::FileDiffers { ef }),
            None => return Err(StepError::FileUnread { ef }),
        }
    }
    pa(&contents.files, &run.station.cscas)
        .map_err(|reason| StepError::PassiveAuthentication { reason })?;
    let active_authentication = match contents.active_authentication {
        Some(false) => return Err(StepError::ActiveAuthentication),
        Some(true) => true,
        None => false,
    };
    Ok(VerifyRecord {
        protocol: contents.protocol.to_string(),
        files: map.len(),
        active_authentication,
    })
}
