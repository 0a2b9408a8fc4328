//! A line's independent check of a card after it was written and locked, as the station's
//! `verify` step does it: the card identified again (the chip serial written, its life cycle
//! "issued" per ISO/IEC 7816-4), read over PACE with the CAN (ICAO 9303-11 §4.4), every file
//! compared with the ChipImage, passive authentication (9303-11 §5.1), and Active
//! Authentication (9303-11 §6.1) where the chip offers it. Only a card that passes is reported
//! issued; any other is recorded spoilt.

use std::collections::BTreeMap;

use permitkit_chip::CardChannel;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::{self, CardLife, ChipSerial};
use permitkit_chip::reader::{self, AaOutcome, AccessKey};
use permitkit_chip::ta::Terminal;
use permitkit_iso7816::StatusWord;
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::profiles::ChipProfile;
use permitkit_model::secret::SecretString;

use crate::BureauError;

/// Why a written card is not issued: what the line's independent check found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardCheck {
    /// Another card is on the reader than the one written.
    #[error("card {on_reader} on the reader, {written} was written")]
    OtherCard {
        /// The serial of the card on the reader.
        on_reader: ChipSerial,
        /// The serial of the card written.
        written: ChipSerial,
    },
    /// The card was not locked (its life cycle is not "issued").
    #[error("the card is {0}, not locked")]
    NotLocked(CardLife),
    /// The ChipImage has no CAN, so the card cannot be read over PACE.
    #[error("the ChipImage has no CAN to read the card with")]
    NoCan,
    /// The card holds data groups behind Extended Access Control and this line has no
    /// inspection-system terminal to read them.
    #[error(
        "the card holds data groups behind Extended Access Control and this line has no \
         inspection-system terminal (perso worker --eac DIR)"
    )]
    NoTerminal,
    /// A data group behind Extended Access Control was refused without Terminal
    /// Authentication, but not by its access rule.
    #[error("{ef} refused with {sw} without Terminal Authentication, not 6982")]
    EacWrongRefusal {
        /// The file.
        ef: Ef,
        /// The chip's answer.
        sw: StatusWord,
    },
    /// A data group behind Extended Access Control was given without Terminal Authentication.
    #[error("{0} is readable without Terminal Authentication")]
    EacNotEnforced(Ef),
    /// Terminal Authentication did not grant the line's inspection system the protected data
    /// groups.
    #[error("Terminal Authentication: {0}")]
    TerminalAuthentication(reader::TaOutcome),
    /// A file on the card differs from the ChipImage.
    #[error("{0} differs from the ChipImage")]
    FileDiffers(Ef),
    /// A file of the ChipImage could not be read from the card.
    #[error("{0} could not be read")]
    FileUnread(Ef),
    /// Passive authentication of what the card holds failed.
    #[error(transparent)]
    PassiveAuthentication(permitkit_pki::PaFailure),
    /// The chip failed Active Authentication.
    #[error("Active Authentication failed")]
    ActiveAuthentication,
}

fn failed(check: CardCheck) -> BureauError {
    BureauError::Verify(check)
}

/// The data groups of `image` the chip gives only to an inspection system after Chip and
/// Terminal Authentication: DG3 and DG4 when the chip was given an EAC trust point
/// (`trust_point`; ICAO Doc 9303-11 §7.1; TR-03110-1 §2.1).
fn eac_protected(image: &ChipImage, trust_point: bool) -> Vec<Ef> {
    if !trust_point {
        return Vec::new();
    }
    image
        .files()
        .map(|(ef, _)| ef)
        .filter(|ef| matches!(ef, Ef::Dg(n) if matches!(n.get(), 3 | 4)))
        .collect()
}

/// Whether verifying a card written from `image`, with an EAC trust point when `trust_point`,
/// takes an inspection-system terminal.
pub fn needs_terminal(image: &ChipImage, trust_point: bool) -> bool {
    !eac_protected(image, trust_point).is_empty()
}

/// Checks the card behind `channel` is `serial`, locked, and holds exactly `image`. When the
/// chip was given an EAC trust point (`trust_point`), the data groups behind Extended Access
/// Control are checked twice: refused (`6982`) to a reader without Terminal Authentication,
/// then read as the inspection system `terminal` (which the line needs for such a card).
#[expect(
    clippy::too_many_arguments,
    reason = "one independent check, every input it needs"
)]
pub fn card(
    channel: &mut dyn CardChannel,
    chip: &ChipProfile,
    image: &ChipImage,
    can: &SecretString,
    serial: &ChipSerial,
    limits: ReadLimits,
    cscas: &[Vec<u8>],
    trust_point: bool,
    terminal: Option<&Terminal>,
) -> Result<(), BureauError> {
    let probe: Vec<Ef> = image.files().map(|(ef, _)| ef).collect();
    let identity = identity::identify(&mut *channel, chip.chip_serial, chip.dialect, &probe)?;
    if identity.serial != *serial {
        return Err(failed(CardCheck::OtherCard {
            on_reader: identity.serial,
            written: serial.clone(),
        }));
    }
    if identity.life != CardLife::Issued {
        return Err(failed(CardCheck::NotLocked(identity.life)));
    }
    let key = AccessKey::Can(can.clone());
    let protected = eac_protected(image, trust_point);
    let terminal = match (protected.is_empty(), terminal) {
        (true, _) => None,
        (false, Some(t)) => Some(t),
        (false, None) => return Err(failed(CardCheck::NoTerminal)),
    };
    if terminal.is_some() {
        let plain = reader::read(&mut *channel, &key, limits)?;
        for ef in &protected {
            match plain.refused.iter().find(|(e, _)| e == ef) {
                Some((_, sw)) if *sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED => {}
                Some((_, sw)) => {
                    return Err(failed(CardCheck::EacWrongRefusal { ef: *ef, sw: *sw }));
                }
                None => return Err(failed(CardCheck::EacNotEnforced(*ef))),
            }
        }
        // A new session for the inspection system.
        channel
            .reset()
            .map_err(|e| BureauError::Chip(permitkit_chip::ChipError::from(e)))?;
    }
    let contents = reader::read_with_terminal(&mut *channel, &key, limits, terminal)?;
    if terminal.is_some() && !contents.terminal_authentication.is_granted() {
        return Err(failed(CardCheck::TerminalAuthentication(
            contents.terminal_authentication.clone(),
        )));
    }
    let read: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    for (ef, expected) in image.files() {
        match read.get(&ef) {
            Some(d) if d.as_slice() == expected => {}
            Some(_) => return Err(failed(CardCheck::FileDiffers(ef))),
            None => return Err(failed(CardCheck::FileUnread(ef))),
        }
    }
    permitkit_pki::verify_files(&contents.files, cscas, crate::auth::unix_now())
        .map_err(|e| failed(CardCheck::PassiveAuthentication(e)))?;
    if let AaOutcome::Failed(_) = contents.active_authentication {
        return Err(failed(CardCheck::ActiveAuthentication));
    }
    Ok(())
}
