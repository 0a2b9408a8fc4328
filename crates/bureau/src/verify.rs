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
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::profiles::ChipProfile;
use permitkit_model::secret::SecretString;

use crate::BureauError;

fn failed(reason: impl Into<String>) -> BureauError {
    BureauError::Verify(reason.into())
}

/// Checks the card behind `channel` is `serial`, locked, and holds exactly `image`.
pub fn card(
    channel: &mut dyn CardChannel,
    chip: &ChipProfile,
    image: &ChipImage,
    can: &SecretString,
    serial: &ChipSerial,
    limits: ReadLimits,
    cscas: &[Vec<u8>],
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
    let contents = reader::read(&mut *channel, &AccessKey::Can(can.clone()), limits)?;
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
