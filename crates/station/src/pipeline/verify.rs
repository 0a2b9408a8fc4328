//! The `verify` step: the card read again independently of the write — first its identity (the
//! chip serial must be the card `personalize` wrote, and the card must report itself locked
//! when it was to be locked: ISO/IEC 7816-4 life cycle, see `permitkit_chip::identity`), then
//! PACE with the CAN printed on the card (ICAO Doc 9303-11 §4.4), every file compared with the
//! ChipImage, passive authentication (9303-11 §5.1), Chip Authentication (§6.2, or PACE-CAM's
//! proof) and Active Authentication (9303-11 §6.1) when the chip offers them. Only after this step — written, read back, locked, verified — is a
//! card issued; a card personalized without LOCK is "personalized, not issued".
//!
//! When the document profile protects data groups by Extended Access Control (`chip.eac`,
//! 9303-11 §7), both sides of the rule are checked: a read without Terminal Authentication must
//! be refused each of them with `6982` (a locked card; before LOCK the chip gives every file to
//! the personalization read-back), and the read as the station's inspection system (its
//! terminal from the `--pki` folder, [`crate::eac`]) must get them, identical to the ChipImage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::chip_image::HeldImage;
use super::personalize::{OpenCard, PersonalizeRecord};
use super::{EnrolError, Run, StepError, StepOutput, pa};
use crate::step::Step;
use permitkit_chip::ChipError;
use permitkit_chip::identity::{self, CardLife, ChipSerial};
use permitkit_chip::reader::{self, AaOutcome, AccessKey, CaOutcome};
use permitkit_iso7816::apdu::StatusWord;
use permitkit_lds::Ef;
use permitkit_model::profiles::DocumentProfile;

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
    /// Chip Authentication (or PACE-CAM) ran and the chip proved it holds the key of DG14 (or
    /// EF.CardSecurity) (`false`: the chip offers none).
    #[serde(default)]
    pub chip_authentication: bool,
    /// The card read, by its chip serial: the one `personalize` wrote.
    #[serde(default)]
    pub chip_serial: Option<ChipSerial>,
    /// The card reports its personalization ended by LOCK.
    #[serde(default)]
    pub locked: bool,
    /// Data groups behind Extended Access Control: refused without Terminal Authentication
    /// (checked on a locked card) and read, identical to the ChipImage, with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eac_protected: Vec<String>,
    /// The inspection system (its certificate holder) whose Terminal Authentication read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
}

impl StepOutput for VerifyRecord {
    const STEP: Step = Step::Verify;

    fn summary(&self) -> String {
        format!(
            "read over {}: {} files identical, passive authentication valid{}{}{}{}",
            self.protocol,
            self.files,
            if self.active_authentication {
                ", Active Authentication valid"
            } else {
                ""
            },
            if self.chip_authentication {
                ", chip authenticated"
            } else {
                ""
            },
            match (&self.chip_serial, self.locked) {
                (Some(s), true) => format!(", card {s} locked"),
                (Some(s), false) => format!(", card {s} NOT locked"),
                (None, _) => String::new(),
            },
            match &self.terminal {
                Some(t) => format!(
                    ", {} {} without Terminal Authentication and identical with it ({t})",
                    self.eac_protected.join(", "),
                    if self.locked {
                        "refused"
                    } else {
                        "not yet protected (card not locked)"
                    }
                ),
                None => String::new(),
            }
        )
    }
}

/// Runs (or restores) the step.
pub(super) fn run(
    run: &mut Run<'_>,
    image: &HeldImage,
    personalized: &PersonalizeRecord,
    document: &DocumentProfile,
) -> Result<VerifyRecord, EnrolError> {
    run.step(|run| {
        let mut card = match run.card.take() {
            Some(card) => card,
            None => OpenCard::open(run.station)?,
        };
        let outcome = verify(run, &mut card, image, personalized, document);
        run.card = Some(card);
        outcome
    })
}

fn verify(
    run: &Run<'_>,
    card: &mut OpenCard,
    held: &HeldImage,
    personalized: &PersonalizeRecord,
    document: &DocumentProfile,
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
    let key = AccessKey::Can(can);
    // Data groups of the image that the profile puts behind Extended Access Control.
    let protected: Vec<Ef> = held
        .image
        .files()
        .map(|(ef, _)| ef)
        .filter(|ef| {
            document
                .chip
                .eac
                .as_ref()
                .is_some_and(|e| matches!(ef, Ef::Dg(n) if e.protects(n.get())))
        })
        .collect();
    let terminal = if protected.is_empty() {
        None
    } else {
        crate::eac::terminal_for(document, &run.station.pki).map_err(StepError::Eac)?
    };
    if terminal.is_some() && locked {
        // Without Terminal Authentication the chip must refuse them (6982).
        let plain = reader::read(card.reader.channel(), &key, card.limits.read)
            .map_err(StepError::ReadBack)?;
        for ef in &protected {
            match plain.refused.iter().find(|(e, _)| e == ef) {
                Some((_, StatusWord::SECURITY_STATUS_NOT_SATISFIED)) => {}
                Some((_, sw)) => return Err(StepError::EacWrongRefusal { ef: *ef, sw: *sw }),
                None => return Err(StepError::EacNotEnforced { ef: *ef }),
            }
        }
    }
    if terminal.is_some() && locked {
        // A new session for the inspection system (the plain read's session is over).
        card.reader
            .channel()
            .reset()
            .map_err(|e| StepError::CardInterrupted(e.into()))?;
    }
    let contents = reader::read_with_terminal(
        card.reader.channel(),
        &key,
        card.limits.read,
        terminal.as_ref(),
    )
    .map_err(StepError::ReadBack)?;
    if terminal.is_some() && !contents.terminal_authentication.is_granted() {
        return Err(StepError::TerminalAuthentication(
            contents.terminal_authentication.clone(),
        ));
    }
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    for (ef, expected) in held.image.files() {
        match map.get(&ef) {
            Some(d) if d.as_slice() == expected => {}
            Some(_) => return Err(StepError::FileDiffers { ef }),
            None => return Err(StepError::FileUnread { ef }),
        }
    }
    pa(&contents.files, &run.station.trust).map_err(StepError::PassiveAuthentication)?;
    let active_authentication = match &contents.active_authentication {
        AaOutcome::Verified => true,
        AaOutcome::Failed(_) => return Err(StepError::ActiveAuthentication),
        _ => false,
    };
    let chip_authentication = match &contents.chip_authentication {
        c if c.is_authenticated() => true,
        CaOutcome::NotOffered => false,
        other => return Err(StepError::ChipAuthentication(other.clone())),
    };
    Ok(VerifyRecord {
        protocol: contents.protocol.to_string(),
        files: map.len(),
        active_authentication,
        chip_authentication,
        chip_serial: Some(card_id.serial),
        locked,
        eac_protected: if terminal.is_some() {
            protected.iter().map(|ef| ef.name()).collect()
        } else {
            Vec::new()
        },
        terminal: terminal
            .as_ref()
            .and_then(|t| t.certificates.last())
            .map(|c| c.holder().to_string()),
    })
}
