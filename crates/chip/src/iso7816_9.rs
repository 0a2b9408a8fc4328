//! The FCP the `iso7816-9` dialect sends with CREATE FILE (ISO/IEC 7816-9:2004 §6.1): for each
//! eMRTD file its size (`80`), a transparent working EF (`82 01`), its file identifier (`83`) and
//! short EF identifier (`88`) from ICAO Doc 9303-10 §3.11 (Table 3 / 4), life cycle status
//! "operational, activated" (`8A 05`, ISO/IEC 7816-4:2005 §5.3.3.2), and its access conditions
//! (`8C`, compact format, §5.4.3.1) from the chip profile's [`FileAccessRules`]: READ BINARY by
//! kind of file, UPDATE BINARY for all.

use permitkit_iso7816::fcp::{
    CompactAttributes, Fcp, SC_ALL, SC_ALWAYS, SC_EXTERNAL_AUTHENTICATION, SC_NEVER,
    SC_SECURE_MESSAGING,
};
use permitkit_lds::Ef;
use permitkit_model::dialect::{AccessCondition, FileAccessRules};

use crate::{ChipError, Oversize};

/// Life cycle status byte "operational state, activated" (ISO/IEC 7816-4:2005 Table 13).
pub const LCS_OPERATIONAL_ACTIVATED: u8 = 0x05;

/// The compact-format security condition byte of `condition`.
pub fn condition_byte(condition: AccessCondition) -> u8 {
    match condition {
        AccessCondition::Always => SC_ALWAYS,
        AccessCondition::Never => SC_NEVER,
        AccessCondition::SecureMessaging => SC_SECURE_MESSAGING,
        AccessCondition::TerminalAuthentication => {
            SC_ALL | SC_SECURE_MESSAGING | SC_EXTERNAL_AUTHENTICATION
        }
    }
}

/// The READ BINARY condition `rules` give `ef`.
pub fn read_condition(ef: Ef, rules: &FileAccessRules) -> AccessCondition {
    match ef {
        Ef::CardAccess => rules.card_access_read,
        Ef::CardSecurity => rules.card_security_read,
        Ef::Dg(n) if matches!(n.get(), 3 | 4) => rules.biometric_read,
        _ => rules.application_read,
    }
}

/// The FCP that creates `ef` with `size` bytes under `rules`.
pub fn fcp_for(ef: Ef, size: usize, rules: &FileAccessRules) -> Result<Fcp, ChipError> {
    let size = u16::try_from(size).map_err(|_| ChipError::TooLarge {
        what: Oversize::File(ef),
        size,
        max: usize::from(u16::MAX),
    })?;
    Ok(Fcp {
        size,
        fid: ef.fid(),
        sfi: Some(ef.sfi()),
        life_cycle: Some(LCS_OPERATIONAL_ACTIVATED),
        security: Some(CompactAttributes::read_update(
            condition_byte(read_condition(ef, rules)),
            condition_byte(rules.update),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_file_gets_its_read_condition() {
        let r = FileAccessRules::EMRTD;
        let read = |ef: Ef| {
            fcp_for(ef, 10, &r)
                .unwrap()
                .security
                .and_then(|s| s.condition(1))
        };
        assert_eq!(read(Ef::CardAccess), Some(0x00));
        assert_eq!(read(Ef::CardSecurity), Some(0x40));
        assert_eq!(read(Ef::Com), Some(0x40));
        assert_eq!(read(Ef::DG2), Some(0x40));
        assert_eq!(read(Ef::DG3), Some(0xE0));
        assert_eq!(read(Ef::dg(4).unwrap()), Some(0xE0));
        assert!(matches!(
            fcp_for(Ef::DG2, 70_000, &r),
            Err(ChipError::TooLarge { size: 70_000, .. })
        ));
    }
}
