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

fn failed(reason: impl Into<String>) -> BureauError {
    BureauError::Verify(reason.into())
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
        return Err(failed(format!(
            "card {} on the reader, {serial} was written",
            identity.serial
        )));
    }
    if identity.life != CardLife::Issued {
        return Err(failed(format!("the card is {}, not locked", identity.life)));
    }
    let key = AccessKey::Can(can.clone());
    let protected = eac_protected(image, trust_point);
    let terminal = match (protected.is_empty(), terminal) {
        (true, _) => None,
        (false, Some(t)) => Some(t),
        (false, None) => {
            return Err(failed(
                "the card holds data groups behind Extended Access Control and this line has \
                 no inspection-system terminal (perso worker --eac DIR)",
            ));
        }
    };
    if terminal.is_some() {
        let plain = reader::read(&mut *channel, &key, limits)?;
        for ef in &protected {
            match plain.refused.iter().find(|(e, _)| e == ef) {
                Some((_, sw)) if *sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED => {}
                Some((_, sw)) => {
                    return Err(failed(format!(
                        "{ef} refused with {sw} without Terminal Authentication, not 6982"
                    )));
                }
                None => {
                    return Err(failed(format!(
                        "{ef} is readable without Terminal Authentication"
                    )));
                }
            }
        }
        // A new session for the inspection system.
        channel
            .reset()
            .map_err(|e| BureauError::Chip(permitkit_chip::ChipError::from(e)))?;
    }
    let contents = reader::read_with_terminal(&mut *channel, &key, limits, terminal)?;
    if terminal.is_some() && !contents.terminal_authentication.is_granted() {
        return Err(failed(format!(
            "Terminal Authentication: {}",
            contents.terminal_authentication
        )));
    }
    let read: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    for (ef, expected) in image.files() {
        match read.get(&ef) {
            Some(d) if d.as_slice() == expected => {}
            Some(_) => return Err(failed(format!("{ef} differs from the ChipImage"))),
            None => return Err(failed(format!("{ef} could not be read"))),
        }
    }
    permitkit_pki::verify_files(&contents.files, cscas, crate::auth::unix_now())
        .map_err(|reason| failed(format!("passive authentication: {reason}")))?;
    if let AaOutcome::Failed(_) = contents.active_authentication {
        return Err(failed("Active Authentication failed"));
    }
    Ok(())
}
