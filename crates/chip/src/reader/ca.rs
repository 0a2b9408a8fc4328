//! Chip Authentication in the inspection flow (ICAO Doc 9303-11 Appendix J.1 step 3, §6.2,
//! §4.4.3.5): which proof of the chip's genuineness the reader gets, and from which key.
//!
//! - After PACE with the chip authentication mapping, the chip already proved it holds the
//!   static key of EF.CardSecurity whose keyId is the PACE parameter id: the reader reads
//!   EF.CardSecurity (master file, after PACE) and checks the Chip Authentication Data with that
//!   key ([`verify_cam`]).
//! - Otherwise, when DG14 offers Chip Authentication, the reader first checks DG14 against the
//!   hash EF.SOD records for it (the hash part of passive authentication: a DG14 that is not the
//!   signed one proves nothing), then runs Chip Authentication with the first key it supports
//!   ([`authenticate`]); secure messaging continues with the new keys.
//!
//! Either proof counts only together with passive authentication of the file the key came from
//! (EF.SOD's signature for DG14, EF.CardSecurity's own signature): the caller that runs passive
//! authentication says "chip authenticated" only when both hold. The outcome is data
//! ([`CaOutcome`]), never an early return, so the files read stay available whatever happens.

use std::sync::Arc;

use crate::ChipError;
use crate::ca::{self, CaParams, ChipAuthentication};
use crate::channel::CardChannel;
use crate::pace::PaceOutcome;
use crate::pace_cam;
use crate::random::RandomSource;
use crate::secured::Secured;
use permitkit_lds::sod::ParsedSod;
use permitkit_lds::{CardSecurity, Dg14, Ef};

/// What the reader learnt of the chip's genuineness.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CaOutcome {
    /// Chip Authentication with the DG14 key (whose hash EF.SOD records) succeeded; secure
    /// messaging continues with its keys.
    Authenticated(ChipAuthentication),
    /// PACE-CAM: the chip proved it holds the EF.CardSecurity key with this key id.
    AuthenticatedByCam {
        /// The key id (the PACE parameter id), when EF.CardSecurity gives one.
        key_id: Option<u32>,
    },
    /// Ran and failed: the chip refused, or it does not hold the private key.
    Failed(Arc<ChipError>),
    /// Not run: the chip offers no Chip Authentication (no Chip Authentication infos in DG14,
    /// no PACE-CAM).
    NotOffered,
    /// Not run, with the reason (DG14 not the one EF.SOD signs, a key this reader does not
    /// support, DG14 or EF.SOD not read).
    NotRun(String),
}

impl CaOutcome {
    /// True when the chip proved it holds the key (by Chip Authentication or PACE-CAM).
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self,
            Self::Authenticated(_) | Self::AuthenticatedByCam { .. }
        )
    }

    /// True when a proof ran and failed.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }

    /// The file whose key was proved (DG14 or EF.CardSecurity), which passive authentication
    /// must vouch for.
    pub fn key_file(&self) -> Option<Ef> {
        match self {
            Self::Authenticated(_) => Some(Ef::DG14),
            Self::AuthenticatedByCam { .. } => Some(Ef::CardSecurity),
            _ => None,
        }
    }
}

impl std::fmt::Display for CaOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Authenticated(a) => write!(
                f,
                "the chip holds the DG14 key{} ({}, {})",
                a.key_id.map_or(String::new(), |id| format!(" {id}")),
                a.domain,
                a.cipher
            ),
            Self::AuthenticatedByCam { key_id } => write!(
                f,
                "PACE-CAM: the chip holds the EF.CardSecurity key{}",
                key_id.map_or(String::new(), |id| format!(" {id}"))
            ),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::NotOffered => f.write_str("not offered by the chip"),
            Self::NotRun(why) => write!(f, "not run: {why}"),
        }
    }
}

/// Why DG14 cannot be used, or `None` when EF.SOD records its hash.
pub fn dg14_unsigned(dg14: &[u8], sod: &[u8]) -> Option<String> {
    let parsed = match ParsedSod::parse(sod) {
        Ok(p) => p,
        Err(e) => return Some(format!("EF.SOD does not parse: {e}")),
    };
    let h = parsed.lso.hash_algorithm;
    match parsed.lso.hash_of(Ef::DG14) {
        Some(expected) if h.digest(dg14) == expected => None,
        Some(_) => Some("DG14 differs from the hash EF.SOD records".into()),
        None => Some("EF.SOD records no hash for DG14".into()),
    }
}

/// Chip Authentication with DG14's key over `channel`, after checking DG14 against EF.SOD.
pub fn authenticate<C: CardChannel>(
    channel: &mut Secured<C>,
    dg14: Option<&[u8]>,
    sod: Option<&[u8]>,
    rng: &mut dyn RandomSource,
) -> CaOutcome {
    let Some(dg14) = dg14 else {
        return CaOutcome::NotOffered;
    };
    let offers = match Dg14::parse(dg14).and_then(|d| d.chip_authentication()) {
        Ok(o) => o,
        Err(e) => return CaOutcome::NotRun(format!("DG14 does not parse: {e}")),
    };
    if offers.is_empty() {
        return CaOutcome::NotOffered;
    }
    let Some(sod) = sod else {
        return CaOutcome::NotRun("EF.SOD was not read, so DG14 cannot be checked".into());
    };
    if let Some(why) = dg14_unsigned(dg14, sod) {
        return CaOutcome::NotRun(why);
    }
    let mut unsupported = None;
    let params = offers.iter().find_map(|o| match CaParams::from_offer(o) {
        Ok(p) => Some(p),
        Err(e) => {
            unsupported.get_or_insert(e.to_string());
            None
        }
    });
    let Some(params) = params else {
        return CaOutcome::NotRun(unsupported.unwrap_or_default());
    };
    match ca::authenticate(channel, &params, rng) {
        Ok(a) => CaOutcome::Authenticated(a),
        Err(e) => CaOutcome::Failed(Arc::new(e)),
    }
}

/// PACE-CAM: the Chip Authentication Data of `pace` checked with the key of `card_security`
/// whose keyId is the PACE parameter id.
pub fn verify_cam(pace: &PaceOutcome, card_security: Option<&[u8]>) -> CaOutcome {
    let Some(data) = &pace.chip_authentication_data else {
        return CaOutcome::NotOffered;
    };
    let Some(bytes) = card_security else {
        return CaOutcome::Failed(Arc::new(ChipError::FileMissing(Ef::CardSecurity)));
    };
    let parameter_id = pace.info.parameter_id.unwrap_or_default();
    let key = CardSecurity::parse(bytes)
        .map_err(ChipError::from)
        .and_then(|cs| pace_cam::select_key(&cs.infos, parameter_id));
    let key = match key {
        Ok(k) => k,
        Err(e) => return CaOutcome::Failed(Arc::new(e)),
    };
    match pace_cam::verify(data, &key.public_key) {
        Ok(()) => CaOutcome::AuthenticatedByCam { key_id: key.key_id },
        Err(e) => CaOutcome::Failed(Arc::new(e)),
    }
}
