//! Terminal Authentication in the inspection flow (ICAO Doc 9303-11 §7.1, Appendix J.1: after
//! Chip Authentication, before DG3 and DG4 are read; the protocol itself is [`crate::ta`]).
//!
//! The signature the terminal gives covers `ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)`: `ID_PICC` is
//! `Comp` of the chip's ephemeral PACE key after PACE ([`crate::pace::PaceOutcome::compressed_chip_key`]),
//! the document number with its check digit after BAC ([`crate::ta::id_picc_bac`]); `PK_PCD` is
//! the terminal's ephemeral key of the Chip Authentication that restarted secure messaging
//! ([`crate::ca::ChipAuthentication::compressed_terminal_key`]).
//!
//! After PACE-CAM the chip is authenticated without a Chip Authentication of its own, and which
//! terminal key Terminal Authentication then signs is not in the project's digest of the
//! standards (UNVERIFIED), so this reader runs Chip Authentication with the DG14 key as well
//! (the chip accepts it under the PACE session) and signs its key: the one case the digest and
//! the BSI worked example fix. Without a successful Chip Authentication, Terminal
//! Authentication is not run. As with Chip Authentication, the outcome is data ([`TaOutcome`]):
//! the files the chip gives without it are read all the same.

use std::sync::Arc;

use crate::ChipError;
use crate::channel::CardChannel;
use crate::reader::ca::{self as reader_ca, CaOutcome};
use crate::reader::{AccessKey, Session};
use crate::ta::{self, Terminal};
use permitkit_cvc::{Chat, Reference};

/// What Terminal Authentication found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TaOutcome {
    /// The chip accepted the terminal's chain and signature: it grants the chain's effective
    /// authorization for the rest of the session.
    Granted {
        /// The inspection system's certificate holder.
        terminal: Reference,
        /// The effective authorization as the terminal's chain states it (the chip computes its
        /// own, and gives DG3/DG4 only when that grants them).
        chat: Chat,
    },
    /// Ran and failed: the chip refused a certificate or the signature, or the terminal has no
    /// chain to the chip's trust point.
    Failed(Arc<ChipError>),
    /// Not run, with the reason (no successful Chip Authentication).
    NotRun(String),
    /// Not run: no terminal was given (DG3 and DG4 of an EAC chip stay unread).
    NoTerminal,
}

impl TaOutcome {
    /// True when the chip accepted the terminal.
    pub fn is_granted(&self) -> bool {
        matches!(self, Self::Granted { .. })
    }

    /// True when Terminal Authentication ran and failed.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

impl std::fmt::Display for TaOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Granted { terminal, chat } => {
                write!(f, "the chip accepted inspection system {terminal} ({chat})")
            }
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::NotRun(why) => write!(f, "not run: {why}"),
            Self::NoTerminal => f.write_str("not run: no terminal (inspection system) given"),
        }
    }
}

/// The effective authorization `terminal`'s chain states: the inspection system's CHAT
/// restricted by each certificate above it (BSI TR-03110-3 §C.4).
pub fn stated_chat(terminal: &Terminal) -> Option<Chat> {
    let mut certs = terminal.certificates.iter().rev();
    let mut chat = certs.next()?.body().chat.clone();
    for issuer in certs {
        chat = chat.restricted_by(&issuer.body().chat)?;
    }
    Some(chat)
}

/// Runs Terminal Authentication with `terminal` over `session`, after the Chip Authentication
/// (or PACE-CAM) whose outcome is `ca`; `dg14` and `sod` as read, for the Chip Authentication a
/// PACE-CAM session still needs.
pub fn authenticate<C: CardChannel>(
    session: &mut Session<C>,
    terminal: &Terminal,
    key: &AccessKey,
    ca: &CaOutcome,
    dg14: Option<&[u8]>,
    sod: Option<&[u8]>,
) -> TaOutcome {
    if !session.channel.is_open() {
        return TaOutcome::NotRun(
            "secure messaging ended with the failed Chip Authentication".into(),
        );
    }
    let extra;
    let chip_authentication = match ca {
        CaOutcome::Authenticated(a) => a,
        CaOutcome::AuthenticatedByCam { .. } => {
            extra = reader_ca::authenticate(
                &mut session.channel,
                dg14,
                sod,
                &mut crate::random::OsRandom,
            );
            match &extra {
                CaOutcome::Authenticated(a) => a,
                other => {
                    return TaOutcome::NotRun(format!(
                        "after PACE-CAM, Chip Authentication with the DG14 key {other}"
                    ));
                }
            }
        }
        other => {
            return TaOutcome::NotRun(format!(
                "Terminal Authentication follows Chip Authentication, which is {other}"
            ));
        }
    };
    let id_picc = match (&session.pace, key) {
        (Some(pace), _) => pace.compressed_chip_key().to_vec(),
        (None, AccessKey::Mrz(mrz)) => ta::id_picc_bac(mrz.expose()),
        (None, AccessKey::Can(_)) => {
            return TaOutcome::NotRun("a CAN session without PACE has no chip identifier".into());
        }
    };
    let comp_pk_pcd = chip_authentication.compressed_terminal_key().to_vec();
    match ta::authenticate(&mut session.channel, terminal, &id_picc, &comp_pk_pcd) {
        Ok(()) => match (terminal.certificates.last(), stated_chat(terminal)) {
            (Some(is), Some(chat)) => TaOutcome::Granted {
                terminal: is.holder().clone(),
                chat,
            },
            _ => TaOutcome::Failed(Arc::new(ta::TaError::NoTerminalCertificate.into())),
        },
        Err(e) => TaOutcome::Failed(Arc::new(e)),
    }
}
