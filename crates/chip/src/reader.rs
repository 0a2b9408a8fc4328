//! The inspection flow (ICAO Doc 9303-11 §4.2 chip access procedure, Appendix J.1; 9303-10
//! §3.11): read EF.CardAccess in plain, run PACE when it offers a supported PACEInfo (generic,
//! integrated or chip authentication mapping), else BAC; after PACE-CAM read EF.CardSecurity;
//! select the eMRTD application under secure messaging; read EF.COM, EF.SOD and DG14, prove the
//! chip genuine (PACE-CAM's data checked with the EF.CardSecurity key, or Chip Authentication
//! with the DG14 key whose hash EF.SOD records: [`crate::reader::ca`]), then read every other
//! file EF.COM lists, under the Chip Authentication session when it ran, and run Active
//! Authentication when DG15 is there.

pub mod ca;
pub mod ta;

use std::sync::Arc;

use crate::channel::CardChannel;
use crate::files::{self, ReadLimits};
use crate::pace::{self, PaceParams, PacePassword};
use crate::secured::Secured;
use crate::{ChipError, Malformation, Unsupported, bac};
pub use ca::CaOutcome;
use permitkit_iso7816::apdu::StatusWord;
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{PaceInfo, PaceMapping};
use permitkit_lds::{CardAccess, Ef};
use permitkit_model::secret::{SecretBytes, SecretString};
pub use ta::TaOutcome;

/// What opens the chip.
#[derive(Debug, Clone)]
pub enum AccessKey {
    /// The MRZ information (document number, birth and expiry dates with check digits):
    /// BAC, or PACE with the MRZ password.
    Mrz(SecretBytes),
    /// The card access number (PACE only).
    Can(SecretString),
}

/// The access-control protocol a session was opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessProtocol {
    /// Basic Access Control.
    Bac,
    /// PACE with this PACEInfo.
    Pace(PaceInfo),
}

impl std::fmt::Display for AccessProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessProtocol::Bac => f.write_str("BAC"),
            AccessProtocol::Pace(i) => {
                let parameter_id = i.parameter_id.map_or("-".into(), |p| p.to_string());
                match i.pace_protocol() {
                    Some(p) => write!(
                        f,
                        "PACE-{}-{}-{} (parameter id {parameter_id})",
                        if p.ecdh { "ECDH" } else { "DH" },
                        match p.mapping {
                            PaceMapping::Generic => "GM",
                            PaceMapping::Integrated => "IM",
                            PaceMapping::ChipAuthentication => "CAM",
                        },
                        p.cipher,
                    ),
                    None => write!(f, "PACE {} (parameter id {parameter_id})", i.protocol),
                }
            }
        }
    }
}

/// An open secure-messaging session with the eMRTD application selected.
#[derive(Debug)]
pub struct Session<C> {
    /// The protected channel.
    pub channel: Secured<C>,
    /// How it was opened.
    pub protocol: AccessProtocol,
    /// EF.CardAccess as read in plain, if the chip has one.
    pub card_access: Option<Vec<u8>>,
    /// What PACE learnt (ephemeral keys, PACE-CAM's data); `None` after BAC.
    pub pace: Option<pace::PaceOutcome>,
    /// EF.CardSecurity, read after PACE-CAM (`None` otherwise, or when the chip has none).
    pub card_security: Option<Vec<u8>>,
}

/// Opens a session: EF.CardAccess, then PACE (first supported PACEInfo) or BAC.
pub fn open<C: CardChannel>(
    mut channel: C,
    key: &AccessKey,
    limits: ReadLimits,
) -> Result<Session<C>, ChipError> {
    let card_access = read_card_access(&mut channel, limits)?;
    let offered = card_access
        .as_deref()
        .map(CardAccess::offered_pace_infos)
        .unwrap_or_default();
    // PACE-CAM first when offered (9303-11 Appendix J.1: it authenticates the chip at once),
    // then generic, then integrated mapping.
    let rank = |p: &PaceParams| match p.mapping() {
        PaceMapping::ChipAuthentication => 0,
        PaceMapping::Generic => 1,
        PaceMapping::Integrated => 2,
    };
    let supported = offered
        .iter()
        .filter_map(|i| PaceParams::from_info(i).ok())
        .min_by_key(rank)
        .map(|p| p.info);
    let mut card_security = None;
    let (secured, protocol, pace_outcome) = match (supported, key) {
        (Some(info), key) => {
            let password = match key {
                AccessKey::Mrz(m) => PacePassword::Mrz(m.clone()),
                AccessKey::Can(c) => PacePassword::Can(c.clone()),
            };
            let pace::PaceEstablished {
                channel: mut s,
                outcome,
            } = pace::establish(channel, &password, &info)?;
            if outcome.chip_authentication_data.is_some() {
                // The master file is still selected: EF.CardSecurity holds the key PACE-CAM
                // proved (9303-11 §4.4.3.5.2).
                card_security = files::read_ef(&mut s, Ef::CardSecurity, true, limits)?;
            }
            files::select_application(&mut s)?;
            (s, AccessProtocol::Pace(info), Some(outcome))
        }
        (None, AccessKey::Mrz(m)) => {
            files::select_application(&mut channel)?;
            (
                bac::authenticate(channel, m.expose())?,
                AccessProtocol::Bac,
                None,
            )
        }
        (None, AccessKey::Can(_)) => {
            return Err(Unsupported::CanWithoutPace.into());
        }
    };
    Ok(Session {
        channel: secured,
        protocol,
        card_access,
        pace: pace_outcome,
        card_security,
    })
}

/// EF.CardAccess from the master file in plain; `None` when the chip has none.
pub fn read_card_access(
    channel: &mut dyn CardChannel,
    limits: ReadLimits,
) -> Result<Option<Vec<u8>>, ChipError> {
    // A chip without a master file answers with a status word; a card that left the field is
    // an error, not a chip without EF.CardAccess.
    match files::select_mf(channel) {
        Ok(()) => {}
        Err(ChipError::Status { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    match files::read_ef(channel, Ef::CardAccess, true, limits) {
        Ok(d) => Ok(d),
        Err(ChipError::Status {
            sw: StatusWord::SECURITY_STATUS_NOT_SATISFIED | StatusWord::INCORRECT_P1P2,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The data groups EF.COM lists (tag `5C`, ICAO 9303-10 §4.6.1).
pub fn com_data_groups(com: &[u8]) -> Result<Vec<Ef>, ChipError> {
    let outer = tlv::parse_single(com, Tag::new(0x60))?;
    let mut r = outer.children()?;
    while !r.is_empty() {
        let t = r.read()?;
        if t.tag() == Tag::new(0x5C) {
            return Ok(t
                .value()
                .iter()
                .filter_map(|&b| Ef::from_dg_tag(b))
                .collect());
        }
    }
    Err(ChipError::Malformed {
        what: "EF.COM",
        reason: Malformation::MissingDataObject(0x5C),
    })
}

/// Everything read from a chip.
#[derive(Clone)]
pub struct CardContents {
    /// Files read, in reading order (EF.CardAccess first when present).
    pub files: Vec<(Ef, Vec<u8>)>,
    /// Files EF.COM lists that the chip would not give (status word), e.g. DG3 behind EAC.
    pub refused: Vec<(Ef, StatusWord)>,
    /// The access protocol used.
    pub protocol: AccessProtocol,
    /// What Active Authentication found; its failure is recorded here, never returned, so the
    /// files read stay available for passive authentication and for the record.
    pub active_authentication: AaOutcome,
    /// What Chip Authentication (or PACE-CAM) found, recorded the same way. It counts as "chip
    /// authenticated" only when passive authentication vouches for the key's file
    /// ([`CaOutcome::key_file`]).
    pub chip_authentication: CaOutcome,
    /// What PACE learnt (the ephemeral keys Terminal Authentication needs); `None` after BAC.
    pub pace: Option<pace::PaceOutcome>,
    /// What Terminal Authentication found ([`read_with_terminal`]; [`TaOutcome::NoTerminal`]
    /// for [`read`]).
    pub terminal_authentication: TaOutcome,
}

/// What Active Authentication (ICAO Doc 9303-11 §6.1) found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AaOutcome {
    /// The chip signed the challenge with the private key of the DG15 public key.
    Verified,
    /// Run and failed: the signature did not verify, the chip refused, or the exchange broke off.
    Failed(Arc<ChipError>),
    /// Not run: the chip has no DG15.
    NoDg15,
    /// Not run: DG15 holds a key this reader does not run.
    Unsupported(Arc<Unsupported>),
}

impl AaOutcome {
    /// True when the chip proved it holds the DG15 key.
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified)
    }

    /// True when Active Authentication ran and failed.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

impl std::fmt::Display for AaOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Verified => f.write_str("verified"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::NoDg15 => f.write_str("not run: the chip has no DG15"),
            Self::Unsupported(u) => write!(f, "not run: {u}"),
        }
    }
}

/// Biometric and personal data: `Debug` prints each file's length, never its bytes.
impl std::fmt::Debug for CardContents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardContents")
            .field("files", &file_lengths(&self.files))
            .field("refused", &self.refused)
            .field("protocol", &self.protocol)
            .field("active_authentication", &self.active_authentication)
            .field("chip_authentication", &self.chip_authentication)
            .field("terminal_authentication", &self.terminal_authentication)
            .finish()
    }
}

/// Each file's id and length: what `Debug` shows of files that hold personal data.
pub fn file_lengths(files: &[(Ef, Vec<u8>)]) -> Vec<(Ef, usize)> {
    files.iter().map(|(ef, d)| (*ef, d.len())).collect()
}

/// Reads the listed files over an open session, in order. A missing file is an error.
pub fn read_files<C: CardChannel>(
    session: &mut Session<C>,
    efs: &[Ef],
    limits: ReadLimits,
) -> Result<Vec<(Ef, Vec<u8>)>, ChipError> {
    let mut out = Vec::with_capacity(efs.len());
    for &ef in efs {
        if ef == Ef::CardAccess {
            let d = session
                .card_access
                .clone()
                .ok_or(ChipError::FileMissing(ef))?;
            out.push((ef, d));
            continue;
        }
        if ef == Ef::CardSecurity {
            // In the master file: read after PACE-CAM already, else select it and come back.
            let d = match session.card_security.clone() {
                Some(d) => d,
                None => {
                    files::select_mf(&mut session.channel)?;
                    let d = files::read_ef(&mut session.channel, ef, true, limits)?;
                    files::select_application(&mut session.channel)?;
                    let d = d.ok_or(ChipError::FileMissing(ef))?;
                    session.card_security = Some(d.clone());
                    d
                }
            };
            out.push((ef, d));
            continue;
        }
        let d = files::read_ef(&mut session.channel, ef, true, limits)?
            .ok_or(ChipError::FileMissing(ef))?;
        out.push((ef, d));
    }
    Ok(out)
}

/// The `card read` flow: open (PACE or BAC; EF.CardSecurity after PACE-CAM), read EF.COM,
/// EF.SOD and DG14, prove the chip genuine (PACE-CAM or Chip Authentication,
/// [`crate::reader::ca`]), read every other data group EF.COM lists, then Active Authentication
/// when DG15 is there. Both outcomes are recorded in the contents, never returned: a chip whose
/// Chip Authentication fails is opened again and read all the same.
pub fn read<C: CardChannel>(
    channel: C,
    key: &AccessKey,
    limits: ReadLimits,
) -> Result<CardContents, ChipError> {
    read_with_terminal(channel, key, limits, None)
}

/// [`read`] as an inspection system: with a `terminal`, Terminal Authentication
/// ([`crate::reader::ta`]) runs after Chip Authentication and before the other data groups are
/// read, so DG3 and DG4 come when the chip grants them; its outcome is recorded like the others.
pub fn read_with_terminal<C: CardChannel>(
    channel: C,
    key: &AccessKey,
    limits: ReadLimits,
    terminal: Option<&crate::ta::Terminal>,
) -> Result<CardContents, ChipError> {
    let mut session = open(channel, key, limits)?;
    let com = files::read_ef(&mut session.channel, Ef::Com, true, limits)?
        .ok_or(ChipError::FileMissing(Ef::Com))?;
    let listed = com_data_groups(&com)?;
    let mut read: Vec<(Ef, Vec<u8>)> = Vec::new();
    let mut refused = Vec::new();
    let read_one = |session: &mut Session<C>,
                    ef: Ef,
                    read: &mut Vec<(Ef, Vec<u8>)>,
                    refused: &mut Vec<(Ef, StatusWord)>|
     -> Result<(), ChipError> {
        match files::read_ef(&mut session.channel, ef, true, limits) {
            Ok(Some(d)) => read.push((ef, d)),
            Ok(None) => refused.push((ef, StatusWord::FILE_NOT_FOUND)),
            Err(ChipError::Status { sw, .. }) if ef != Ef::Sod => refused.push((ef, sw)),
            Err(e) => return Err(e),
        }
        Ok(())
    };
    // EF.SOD and DG14 first: Chip Authentication uses DG14's key once EF.SOD vouches for it.
    read_one(&mut session, Ef::Sod, &mut read, &mut refused)?;
    if listed.contains(&Ef::DG14) {
        read_one(&mut session, Ef::DG14, &mut read, &mut refused)?;
    }
    let find = |read: &[(Ef, Vec<u8>)], ef: Ef| -> Option<Vec<u8>> {
        read.iter().find(|(e, _)| *e == ef).map(|(_, d)| d.clone())
    };
    let chip_authentication = match &session.pace {
        Some(p) if p.chip_authentication_data.is_some() => {
            ca::verify_cam(p, session.card_security.as_deref())
        }
        _ => ca::authenticate(
            &mut session.channel,
            find(&read, Ef::DG14).as_deref(),
            find(&read, Ef::Sod).as_deref(),
            &mut crate::random::OsRandom,
        ),
    };
    let terminal_authentication = match terminal {
        Some(t) => ta::authenticate(
            &mut session,
            t,
            key,
            &chip_authentication,
            find(&read, Ef::DG14).as_deref(),
            find(&read, Ef::Sod).as_deref(),
        ),
        None => TaOutcome::NoTerminal,
    };
    if !session.channel.is_open() {
        // A failed Chip Authentication ends secure messaging: open the chip again.
        let pace = session.pace.take();
        let card_security = session.card_security.take();
        session = open(session.channel.into_inner(), key, limits)?;
        session.pace = session.pace.take().or(pace);
        session.card_security = session.card_security.take().or(card_security);
    }
    for ef in listed.iter().copied().filter(|e| *e != Ef::DG14) {
        read_one(&mut session, ef, &mut read, &mut refused)?;
    }
    // Files in the usual order: master file, EF.COM, the data groups as listed, EF.SOD.
    let mut files = Vec::with_capacity(read.len() + 3);
    if let Some(ca) = &session.card_access {
        files.push((Ef::CardAccess, ca.clone()));
    }
    if let Some(cs) = &session.card_security {
        files.push((Ef::CardSecurity, cs.clone()));
    }
    files.push((Ef::Com, com));
    for ef in listed.iter().chain([&Ef::Sod]) {
        if let Some(pos) = read.iter().position(|(e, _)| e == ef) {
            files.push(read.swap_remove(pos));
        }
    }
    let active_authentication = match files.iter().find(|(e, _)| *e == Ef::DG15) {
        Some((_, dg15)) => {
            match crate::aa::authenticate(&mut session.channel, dg15, &mut crate::random::OsRandom)
            {
                Ok(()) => AaOutcome::Verified,
                Err(ChipError::Unsupported(u)) => AaOutcome::Unsupported(Arc::new(u)),
                Err(e) => AaOutcome::Failed(Arc::new(e)),
            }
        }
        None => AaOutcome::NoDg15,
    };
    Ok(CardContents {
        files,
        refused,
        protocol: session.protocol,
        active_authentication,
        chip_authentication,
        pace: session.pace,
        terminal_authentication,
    })
}
