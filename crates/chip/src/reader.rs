//! The inspection flow (ICAO Doc 9303-11 §4.2 chip access procedure; 9303-10 §3.11): read
//! EF.CardAccess in plain, run PACE when it offers a supported PACEInfo, else BAC, select the
//! eMRTD application under secure messaging, and read every file EF.COM lists plus EF.SOD.

use std::sync::Arc;

use crate::channel::CardChannel;
use crate::files::{self, ReadLimits};
use crate::pace::{self, PaceParams, PacePassword};
use crate::secured::Secured;
use crate::{ChipError, Malformation, Unsupported, bac};
use permitkit_iso7816::apdu::StatusWord;
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::PaceInfo;
use permitkit_lds::{CardAccess, Ef};
use permitkit_model::secret::{SecretBytes, SecretString};

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
                        "PACE-{}-GM-{} (parameter id {parameter_id})",
                        if p.ecdh { "ECDH" } else { "DH" },
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
    let supported = offered
        .iter()
        .find(|i| PaceParams::from_info(i).is_ok())
        .copied();
    let (secured, protocol) = match (supported, key) {
        (Some(info), key) => {
            let password = match key {
                AccessKey::Mrz(m) => PacePassword::Mrz(m.clone()),
                AccessKey::Can(c) => PacePassword::Can(c.clone()),
            };
            let mut s = pace::authenticate(channel, &password, &info)?;
            files::select_application(&mut s)?;
            (s, AccessProtocol::Pace(info))
        }
        (None, AccessKey::Mrz(m)) => {
            files::select_application(&mut channel)?;
            (bac::authenticate(channel, m.expose())?, AccessProtocol::Bac)
        }
        (None, AccessKey::Can(_)) => {
            return Err(Unsupported::CanWithoutPace.into());
        }
    };
    Ok(Session {
        channel: secured,
        protocol,
        card_access,
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
        let d = files::read_ef(&mut session.channel, ef, true, limits)?
            .ok_or(ChipError::FileMissing(ef))?;
        out.push((ef, d));
    }
    Ok(out)
}

/// The `card read` flow: open, read EF.COM, every data group it lists, and EF.SOD, then Active
/// Authentication when DG15 is there (its outcome recorded in the contents, never returned).
pub fn read<C: CardChannel>(
    channel: C,
    key: &AccessKey,
    limits: ReadLimits,
) -> Result<CardContents, ChipError> {
    let mut session = open(channel, key, limits)?;
    let mut files = Vec::new();
    if let Some(ca) = &session.card_access {
        files.push((Ef::CardAccess, ca.clone()));
    }
    let com = files::read_ef(&mut session.channel, Ef::Com, true, limits)?
        .ok_or(ChipError::FileMissing(Ef::Com))?;
    let listed = com_data_groups(&com)?;
    files.push((Ef::Com, com));
    let mut refused = Vec::new();
    for ef in listed.into_iter().chain([Ef::Sod]) {
        match files::read_ef(&mut session.channel, ef, true, limits) {
            Ok(Some(d)) => files.push((ef, d)),
            Ok(None) => refused.push((ef, StatusWord::FILE_NOT_FOUND)),
            Err(ChipError::Status { sw, .. }) if ef != Ef::Sod => refused.push((ef, sw)),
            Err(e) => return Err(e),
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
    })
}
