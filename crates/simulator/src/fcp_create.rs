//! The virtual chip's CREATE FILE in the `iso7816-9` dialect (ISO/IEC 7816-9:2004 §6.1): the
//! command data is the FCP template `62` of ISO/IEC 7816-4:2005 §5.3.3, parsed strictly by
//! [`permitkit_iso7816::fcp`], then held against what this chip can do.
//!
//! The virtual chip enforces one access policy (see [`crate::card`]: EF.CardAccess open,
//! EF.CardSecurity and the application's files under secure messaging, DG3 and DG4 behind
//! Terminal Authentication, writes open until LOCK), so an FCP is accepted only when its
//! compact security attributes (`8C`, §5.4.3.1) ask for exactly that policy for the file: a
//! chip that silently applied other rules than those it was given would mislead the issuer.
//! Likewise only a transparent working EF, an SFI that is the file's own under ICAO Doc 9303-10
//! §3.11, and the life cycle status "operational, activated" (`05`, §5.3.3.2) are accepted.
//!
//! Every refusal is a [`CreateRefusal`] and answers `6A80` (ISO/IEC 7816-4:2005 Table 6,
//! incorrect parameters in the command data field); a file that exists answers `6A89` and one
//! that does not fit `6A84` ([`crate::filesystem::FileSystem::create`]).

use permitkit_iso7816::apdu::StatusWord;
use permitkit_iso7816::fcp::{AM_READ, AM_UPDATE, Fcp, FcpError};
use permitkit_lds::Ef;

use crate::filesystem::{Df, FileSystem};

/// Life cycle status byte "operational state, activated" (ISO/IEC 7816-4:2005 Table 13).
const LCS_OPERATIONAL_ACTIVATED: u8 = 0x05;
/// Security condition bytes of the virtual chip's policy (compact format).
const SC_ALWAYS: u8 = 0x00;
const SC_SECURE_MESSAGING: u8 = 0x40;
const SC_TERMINAL_AUTHENTICATION: u8 = 0xE0;

/// Why the virtual chip refuses an ISO/IEC 7816-9 CREATE FILE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateRefusal {
    /// The FCP template is malformed or has what no FCP here may have.
    #[error(transparent)]
    Fcp(#[from] FcpError),
    /// No security attributes: this chip has no default rules to fall back on.
    #[error("FCP without security attributes (8C)")]
    NoSecurityAttributes,
    /// Access modes other than READ BINARY and UPDATE BINARY.
    #[error("access mode byte {0:02X}: only READ BINARY and UPDATE BINARY (03) are supported")]
    AccessMode(u8),
    /// A condition other than the one this chip enforces for the file.
    #[error(
        "{command} condition {given:02X} for file {fid:04X}; this chip enforces {enforced:02X}"
    )]
    Condition {
        /// `READ BINARY` or `UPDATE BINARY`.
        command: &'static str,
        /// The file.
        fid: u16,
        /// The condition asked.
        given: u8,
        /// The condition the chip applies.
        enforced: u8,
    },
    /// A short EF identifier that is not the file's own.
    #[error("SFI {sfi} does not name file {fid:04X}")]
    Sfi {
        /// The SFI given.
        sfi: u8,
        /// The file.
        fid: u16,
    },
    /// A life cycle status other than operational, activated.
    #[error("life cycle status {0:02X}: only 05 (operational, activated) is supported")]
    LifeCycle(u8),
}

impl CreateRefusal {
    /// The status word the chip answers.
    pub fn status_word(&self) -> StatusWord {
        match self {
            Self::Fcp(e) => e.status_word(),
            _ => StatusWord::WRONG_DATA,
        }
    }
}

/// The READ BINARY condition the virtual chip enforces on `fid` in `df`.
fn enforced_read(df: Df, fid: u16) -> u8 {
    match df {
        Df::Mf if fid == Ef::CardAccess.fid() => SC_ALWAYS,
        Df::Mf => SC_SECURE_MESSAGING,
        Df::App if fid == Ef::DG3.fid() || Ef::dg(4).map(Ef::fid) == Some(fid) => {
            SC_TERMINAL_AUTHENTICATION
        }
        Df::App => SC_SECURE_MESSAGING,
    }
}

/// Parses and checks CREATE FILE data for a file in `df`; the FCP to create on success.
pub fn check(df: Df, data: &[u8]) -> Result<Fcp, CreateRefusal> {
    let fcp = Fcp::parse(data)?;
    if let Some(lcs) = fcp.life_cycle.filter(|b| *b != LCS_OPERATIONAL_ACTIVATED) {
        return Err(CreateRefusal::LifeCycle(lcs));
    }
    if let Some(sfi) = fcp.sfi
        && FileSystem::fid_for_sfi(df, sfi) != Some(fcp.fid)
    {
        return Err(CreateRefusal::Sfi { sfi, fid: fcp.fid });
    }
    let security = fcp.security.ok_or(CreateRefusal::NoSecurityAttributes)?;
    if security.access_mode() != AM_READ | AM_UPDATE {
        return Err(CreateRefusal::AccessMode(security.access_mode()));
    }
    let rules = [
        ("READ BINARY", 1, enforced_read(df, fcp.fid)),
        ("UPDATE BINARY", 2, SC_ALWAYS),
    ];
    for (command, bit, enforced) in rules {
        let given = security.condition(bit).unwrap_or(enforced ^ 0xFF);
        if given != enforced {
            return Err(CreateRefusal::Condition {
                command,
                fid: fcp.fid,
                given,
                enforced,
            });
        }
    }
    Ok(fcp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_iso7816::fcp::CompactAttributes;

    fn fcp(fid: u16, sfi: u8, read: u8) -> Fcp {
        Fcp {
            size: 16,
            fid,
            sfi: Some(sfi),
            life_cycle: Some(0x05),
            security: Some(CompactAttributes::read_update(read, 0x00)),
        }
    }

    #[test]
    fn accepts_only_the_policy_it_enforces() {
        let ok = |df, f: Fcp| check(df, &f.encode().unwrap());
        assert!(ok(Df::Mf, fcp(0x011C, 0x1C, 0x00)).is_ok());
        assert!(ok(Df::App, fcp(0x0101, 1, 0x40)).is_ok());
        assert!(ok(Df::App, fcp(0x0103, 3, 0xE0)).is_ok());
        assert_eq!(
            ok(Df::App, fcp(0x0103, 3, 0x40)),
            Err(CreateRefusal::Condition {
                command: "READ BINARY",
                fid: 0x0103,
                given: 0x40,
                enforced: 0xE0
            })
        );
        assert!(matches!(
            ok(Df::App, fcp(0x0101, 1, 0x00)),
            Err(CreateRefusal::Condition { .. })
        ));
        assert_eq!(
            ok(Df::App, fcp(0x0101, 2, 0x40)),
            Err(CreateRefusal::Sfi {
                sfi: 2,
                fid: 0x0101
            })
        );
        let mut f = fcp(0x0101, 1, 0x40);
        f.life_cycle = Some(0x01);
        assert_eq!(ok(Df::App, f), Err(CreateRefusal::LifeCycle(0x01)));
        f.life_cycle = None;
        f.security = None;
        assert_eq!(ok(Df::App, f), Err(CreateRefusal::NoSecurityAttributes));
        assert_eq!(
            CreateRefusal::NoSecurityAttributes.status_word(),
            StatusWord::WRONG_DATA
        );
    }
}
