//! Personalization: writing a ChipImage onto a blank chip, resumably, and proving it right
//! before LOCK.
//!
//! The command dialect is the JMRTD passport applet's (its proprietary CREATE FILE
//! `E0 {63 04 size fid}`, UPDATE BINARY, PUT DATA `00 62` BAC seed, PUT DATA `DE AD` LOCK), with
//! documented extensions in [`Dialect::PermitkitV1`] (master-file EFs such as EF.CardAccess, PUT
//! DATA `00 65` for the CAN, odd-INS UPDATE BINARY `D7` above offset 32767, FCP on SELECT, the
//! application's life cycle status, GENERATE ASYMMETRIC KEY PAIR), or [`Dialect::Iso7816_9`]:
//! CREATE FILE as ISO/IEC 7816-9:2004 §6.1 with the FCP template of ISO/IEC 7816-4:2005 §5.3.3
//! carrying the access conditions of [`PersoOptions::file_access`] ([`crate::iso7816_9`]); see
//! `hardware-profiles/chips/README.md`.
//!
//! [`personalize`]: first the card is identified ([`crate::identity`]: its chip serial and its
//! life cycle) and admitted against the [`Journal`] entry — a blank card is claimed (its serial
//! recorded before the first write; a blank card replacing the entry's card records that one as
//! spoilt), the entry's own started card is resumed, and anything else is refused with a typed
//! error before a single write: an issued card ([`ChipError::CardIssued`]), another
//! personalization's card ([`ChipError::CardInUse`]). Then every file (master-file files first,
//! the application's EF.COM and data groups next, EF.SOD last) in chunks sized from the chip and
//! reader profiles, the journal entry updated after every acknowledged chunk; then the access
//! keys; then a read-back through PACE or BAC with the stored keys, compared byte for byte, with
//! Active Authentication when DG15 is written; then the caller's verifier (passive
//! authentication); then LOCK, only with a [`LockPermission`]. A card pulled mid-write is
//! reported, and the next attempt resumes from the journal — on the same card only.
//!
//! [`claim`] does the identification and admission alone, for a station that must know the card
//! before it signs the ChipImage: a chip that makes its own Active Authentication key pair
//! ([`crate::aa::generate_on_chip`]) gives the public key DG15 carries.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::Oversize;
use crate::channel::{ApduStats, CardChannel, Counting};
use crate::files::{self, ReadLimits};
use crate::identity::{self, CardIdentity, CardLife, ChipSerial, ChipSerialSource};
use crate::journal::{FileProgress, Journal, JournalEntry, PersoState};
use crate::readback::first_difference;
use crate::reader::{self, AccessKey, AccessProtocol};
use crate::{ChipError, MissingKey, Unsupported};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::Ef;
use permitkit_lds::security_infos::PaceMapping;
use permitkit_model::secret::{SecretBytes, SecretString};

pub use permitkit_model::dialect::{AccessCondition, Dialect, FileAccessRules};

/// What to write: the signed files and the access secrets.
#[derive(Clone)]
pub struct PersoInput {
    /// The files (EF.CardAccess, EF.COM, data groups, EF.SOD …), any order.
    pub files: Vec<(Ef, Vec<u8>)>,
    /// The MRZ information (document number, birth and expiry dates, each with check digit).
    pub mrz_information: SecretBytes,
    /// The card access number, for chips that offer PACE with a CAN.
    pub can: Option<SecretString>,
    /// The Active Authentication private key (PKCS#8 DER, ECDSA P-256), matching DG15.
    pub aa_private_key: Option<SecretBytes>,
    /// DG15's key was generated on the chip ([`claim`] with `generate_aa_key`): nothing to
    /// store, but the journal must name this very card as the one holding it.
    pub aa_key_on_chip: bool,
    /// Chip Authentication key pairs made outside the chip, matching DG14's public keys: stored
    /// with PUT DATA `6B` (ICAO 9303-11 §6.2; permitkit-v1).
    pub ca_keys: Vec<crate::ca::CaKeyPair>,
    /// DG14's Chip Authentication keys were generated on the chip ([`generate_ca_keys`]):
    /// nothing to store, but the journal must name this very card as the one holding them.
    pub ca_keys_on_chip: bool,
    /// The chip's trust point for Terminal Authentication (ICAO 9303-11 §7.1): the CVCA
    /// certificate stored with PUT DATA `64` ([`crate::ta`]); its CHR then appears in EF.CVCA.
    pub trust_point: Option<permitkit_cvc::CvCertificate>,
}

/// Biometric and personal data: `Debug` prints each file's length, never its bytes.
impl std::fmt::Debug for PersoInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersoInput")
            .field("files", &reader::file_lengths(&self.files))
            .field("mrz_information", &self.mrz_information)
            .field("can", &self.can)
            .field("aa_private_key", &self.aa_private_key)
            .field("aa_key_on_chip", &self.aa_key_on_chip)
            .field("ca_keys", &self.ca_keys)
            .field("ca_keys_on_chip", &self.ca_keys_on_chip)
            .field(
                "trust_point",
                &self.trust_point.as_ref().map(|c| c.holder().to_string()),
            )
            .finish()
    }
}

impl PersoInput {
    /// The key `journal` files this document under ([`Journal::document_key`] of its MRZ
    /// information).
    pub fn journal_key(&self, journal: &dyn Journal) -> Result<String, ChipError> {
        journal.document_key(&self.mrz_information)
    }

    /// The files in writing order: master-file files, EF.COM, data groups ascending, EF.SOD.
    pub fn ordered_files(&self) -> Vec<(Ef, &[u8])> {
        let rank = |ef: &Ef| match ef {
            Ef::CardAccess => (0, 0),
            Ef::CardSecurity => (0, 1),
            Ef::Com => (1, 0),
            Ef::Dg(n) => (2, n.get()),
            Ef::Sod => (3, 0),
        };
        let mut v: Vec<(Ef, &[u8])> = self.files.iter().map(|(e, d)| (*e, d.as_slice())).collect();
        v.sort_by_key(|(e, _)| rank(e));
        v
    }
}

impl TryFrom<&permitkit_lds::ChipImage> for PersoInput {
    type Error = ChipError;

    /// The files of a signed ChipImage, the MRZ information from its DG1 and its CAN.
    fn try_from(image: &permitkit_lds::ChipImage) -> Result<Self, ChipError> {
        let dg1 = image.dg1()?;
        Ok(Self {
            files: image.files().map(|(e, d)| (e, d.to_vec())).collect(),
            mrz_information: mrz_information(dg1.mrz())?,
            can: image.keys().can.clone(),
            aa_private_key: image.keys().aa_private_key.clone(),
            aa_key_on_chip: false,
            ca_keys: ca_keys_for(image, image.keys())?,
            ca_keys_on_chip: false,
            trust_point: trust_point_of(image.keys())?,
        })
    }
}

/// The trust point of `keys` (chip-keys.json), decoded and checked: a CVCA certificate that
/// verifies with its own key ([`crate::ta::TaStore::personalize`], what the chip checks too).
pub fn trust_point_of(
    keys: &permitkit_lds::ChipKeys,
) -> Result<Option<permitkit_cvc::CvCertificate>, ChipError> {
    let Some(bytes) = &keys.trust_point else {
        return Ok(None);
    };
    let bad = |r| ChipError::TerminalAuthentication(crate::ta::TaError::TrustPoint(r));
    let cert = permitkit_cvc::CvCertificate::decode(bytes)
        .map_err(|e| bad(crate::ta::TaRefusal::Certificate(e)))?;
    crate::ta::TaStore::personalize(&cert).map_err(bad)?;
    Ok(Some(cert))
}

/// The Chip Authentication private key of `keys` (chip-keys.json) with the key id of the DG14
/// public key of `image` it belongs to; none when `keys` carries none.
pub fn ca_keys_for(
    image: &permitkit_lds::ChipImage,
    keys: &permitkit_lds::ChipKeys,
) -> Result<Vec<crate::ca::CaKeyPair>, ChipError> {
    let Some(private) = &keys.ca_private_key else {
        return Ok(Vec::new());
    };
    let mismatch = || ChipError::MissingKey(MissingKey::ChipAuthentication);
    let key = crate::ca::CaKeyPair::from_pkcs8(None, private.clone()).ok_or_else(mismatch)?;
    let public = key.public_key()?;
    let dg14 = image.file(Ef::DG14).ok_or_else(mismatch)?;
    let offers = permitkit_lds::Dg14::parse(dg14)?.chip_authentication()?;
    let offer = offers
        .iter()
        .find(|o| {
            crate::ca::CaPublicKey::from_spki(&o.public_key)
                .ok()
                .as_ref()
                == Some(&public)
        })
        .ok_or_else(mismatch)?;
    Ok(vec![crate::ca::CaKeyPair {
        key_id: offer.key_id,
        ..key
    }])
}

/// The MRZ information (BAC / PACE-MRZ key input) of a printed or DG1 MRZ, through
/// [`permitkit_lds::mrz::Mrz`], which checks every check digit.
pub fn mrz_information(mrz: &str) -> Result<SecretBytes, ChipError> {
    let parsed = permitkit_lds::mrz::Mrz::parse(mrz)?;
    Ok(SecretBytes::from_slice(
        parsed.mrz_information().expose().as_bytes(),
    ))
}

/// Chunk sizes and limits, from the chip and reader profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersoLimits {
    /// Most data bytes in one UPDATE BINARY.
    pub write_chunk: usize,
    /// Reads during read-back.
    pub read: ReadLimits,
}

impl PersoLimits {
    /// Short APDUs only: 255-byte writes, 223-byte secure reads.
    pub const SHORT: Self = Self {
        write_chunk: 255,
        read: ReadLimits::SHORT,
    };

    /// Limits for a chip and reader that both accept `max_command`/`max_response` bytes of data
    /// (the smaller of the two profiles' values), with `max_ef_size` from the chip profile.
    pub fn new(max_command_data: usize, max_response_data: usize, max_ef_size: usize) -> Self {
        Self {
            write_chunk: max_command_data.clamp(1, permitkit_iso7816::apdu::MAX_DATA_LEN),
            read: ReadLimits {
                chunk: ReadLimits::sm_chunk(max_response_data),
                max_ef_size,
            },
        }
    }
}

impl PersoLimits {
    /// Limits where both the chip and the reader (none: the in-process virtual chip) agree.
    pub fn from_profiles(
        chip: &permitkit_model::profiles::ChipProfile,
        reader: Option<&permitkit_model::profiles::ReaderProfile>,
    ) -> Self {
        let (cmd, resp) = match reader {
            Some(r) => (
                chip.command_data().min(r.command_data()),
                chip.response_data().min(r.response_data()),
            ),
            None => (chip.command_data(), chip.response_data()),
        };
        Self::new(cmd, resp, chip.max_ef_size)
    }
}

/// Permission for the one-way LOCK. Constructing it is the explicit, greppable decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPermission(());

impl LockPermission {
    /// Permits ending personalization: after LOCK the chip refuses every write, forever.
    pub fn irreversible() -> Self {
        Self(())
    }
}

/// A check run on the files read back (passive authentication), before LOCK. Its error becomes
/// [`ChipError::Verification`] unchanged, so it should say what failed.
pub type Verifier<'a> =
    &'a dyn Fn(&[(Ef, Vec<u8>)]) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// How to personalize.
#[derive(Clone, Copy)]
pub struct PersoOptions<'a> {
    /// The chip's dialect.
    pub dialect: Dialect,
    /// The access conditions CREATE FILE sets (the chip profile's `[file_access]`; used by
    /// [`Dialect::Iso7816_9`] only).
    pub file_access: FileAccessRules,
    /// How the chip's serial is read (from the chip profile).
    pub chip_serial: ChipSerialSource,
    /// Chunk sizes.
    pub limits: PersoLimits,
    /// LOCK at the end (only after a matching read-back and a passing verifier).
    pub lock: Option<LockPermission>,
    /// Passive authentication or any other check of what was read back.
    pub verifier: Option<Verifier<'a>>,
}

/// A step of personalization, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The card on the reader: its serial and where its personalization stands.
    Identified(CardIdentity),
    /// A blank card replaces the card the journal names, which is recorded as spoilt.
    Replacing {
        /// The card given up.
        spoilt: ChipSerial,
    },
    /// The journal says this card was started before; writing resumes.
    Resuming {
        /// Attempts so far, including this one.
        attempt: u32,
    },
    /// Bytes of a file acknowledged by the chip.
    Writing {
        /// The file.
        ef: Ef,
        /// Bytes written so far.
        written: usize,
        /// File size.
        size: usize,
    },
    /// Storing the access keys.
    Keys,
    /// A file read back and matched.
    Verified {
        /// The file.
        ef: Ef,
        /// Its size.
        size: usize,
    },
    /// Running the verifier.
    Verifying,
    /// The chip is locked.
    Locked,
}

/// Contactless transfer-time estimate at one bit rate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ContactlessEstimate {
    /// ISO/IEC 14443 bit rate, kbit/s.
    pub kbit_s: u32,
    /// Estimated seconds.
    pub seconds: f64,
}

/// What a personalization did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersoReport {
    /// APDU traffic of this attempt.
    pub stats: ApduStats,
    /// The fewest APDUs a complete personalization with these limits needs (see
    /// [`minimum_apdus`]).
    pub minimum_apdus: u64,
    /// Wall time of this attempt.
    pub wall: Duration,
    /// True when this attempt resumed an interrupted one.
    pub resumed: bool,
    /// Bytes of file content written in this attempt.
    pub bytes_written: u64,
    /// The read-back protocol (`BAC` or `PACE-…`).
    pub protocol: String,
    /// True when the chip is locked (by this attempt, or by an earlier one whose answer was
    /// lost).
    pub locked: bool,
    /// The card written: its chip serial.
    pub chip_serial: ChipSerial,
    /// Cards given up for a replacement before they were issued (to be destroyed).
    pub spoilt_cards: Vec<ChipSerial>,
    /// Estimated time over the air at 106/212/424/848 kbit/s (see [`estimate_contactless`]).
    pub estimates: Vec<ContactlessEstimate>,
}

/// Writes `input` onto the chip behind `channel`, reads it back, verifies, and locks when
/// permitted. See the module documentation for the steps: nothing is written before the card is
/// identified and admitted.
pub fn personalize(
    channel: &mut dyn CardChannel,
    input: &PersoInput,
    options: &PersoOptions<'_>,
    journal: &mut dyn Journal,
    progress: &mut dyn FnMut(&Progress),
) -> Result<PersoReport, ChipError> {
    let started = Instant::now();
    check_input(input, options)?;
    let key = input.journal_key(journal)?;
    let mut entry = journal.load(&key)?.unwrap_or_default();
    if entry.state == PersoState::Locked {
        return Err(ChipError::AlreadyIssued);
    }
    let previous = entry.state;
    let resumed = entry.attempts > 0;
    entry.attempts = entry.attempts.saturating_add(1);
    if resumed {
        progress(&Progress::Resuming {
            attempt: entry.attempts,
        });
    }
    entry.last_error = None;
    journal.store(&key, &entry)?;

    let mut counting = Counting::new(channel);
    let mut bytes_written = 0u64;
    let mut admitted = false;
    let mut attempt = Attempt {
        input,
        options,
        journal,
        key: &key,
        entry: &mut entry,
        bytes_written: &mut bytes_written,
        progress,
    };
    let outcome = attempt.run(&mut counting, previous, &mut admitted);
    let stats = counting.stats();
    match outcome {
        Ok((protocol, locked, serial)) => {
            entry.state = if locked {
                PersoState::Locked
            } else {
                PersoState::Verified
            };
            journal.store(&key, &entry)?;
            let minimum = minimum_apdus(input, options, &protocol);
            Ok(PersoReport {
                stats,
                minimum_apdus: minimum,
                wall: started.elapsed(),
                resumed,
                bytes_written,
                protocol: protocol.to_string(),
                locked,
                chip_serial: serial,
                spoilt_cards: entry.spoilt_cards.clone(),
                estimates: estimate_contactless(&stats, bytes_written),
            })
        }
        Err(e) => {
            if let ChipError::ReadbackMismatch { ef, .. } = &e {
                // Rewrite that file on the next attempt.
                if let Some(p) = entry.files.get_mut(&ef.name()) {
                    p.written = 0;
                }
            }
            // A card refused before admission leaves the entry's state as it was (an
            // unanswered LOCK stays `Locking` until its own card comes back).
            if admitted && !matches!(e, ChipError::Transport(_)) {
                entry.state = PersoState::Failed;
            }
            entry.last_error = Some(e.to_string());
            journal.store(&key, &entry)?;
            Err(e)
        }
    }
}

/// How to [`claim`] a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimOptions {
    /// How the chip's serial is read.
    pub chip_serial: ChipSerialSource,
    /// The chip's dialect.
    pub dialect: Dialect,
    /// Have the chip generate a fresh Active Authentication key pair (replacing one generated
    /// before); the chip profile must support it.
    pub generate_aa_key: bool,
}

/// What [`claim`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The card on the reader.
    pub identity: CardIdentity,
    /// The card this blank card replaces, now recorded as spoilt.
    pub spoilt: Option<ChipSerial>,
    /// The public key (DER SubjectPublicKeyInfo) of the key pair just generated on the chip.
    pub aa_public_key: Option<Vec<u8>>,
}

/// Identifies the card behind `channel` and admits it for the journal entry `key` exactly as
/// [`personalize`] does (a blank card, or the entry's own card not yet issued); records its
/// serial before anything is written; then, with `generate_aa_key`, has the chip generate its
/// Active Authentication key pair and records that this chip holds it. A station calls this
/// before it signs the ChipImage, so that DG15 can carry the chip's own public key.
pub fn claim(
    channel: &mut dyn CardChannel,
    key: &str,
    options: &ClaimOptions,
    journal: &mut dyn Journal,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Claim, ChipError> {
    if options.generate_aa_key && !options.dialect.generates_aa_key() {
        return Err(Unsupported::ActiveAuthenticationKeyStorage(options.dialect).into());
    }
    let mut entry = journal.load(key)?.unwrap_or_default();
    if entry.state == PersoState::Locked {
        return Err(ChipError::AlreadyIssued);
    }
    let identity = identity::identify(
        channel,
        options.chip_serial,
        options.dialect,
        &identity::default_probe_files(),
    )?;
    progress(&Progress::Identified(identity.clone()));
    let admission = admit(&identity, &entry, entry.state)?;
    let spoilt = apply(&admission, &identity, &mut entry, progress);
    journal.store(key, &entry)?;
    let aa_public_key = match (options.generate_aa_key, &admission) {
        (true, Admission::Fresh { .. } | Admission::Resume) => {
            let spki = crate::aa::generate_on_chip(channel)?;
            entry.aa_key_card = Some(identity.serial.clone());
            journal.store(key, &entry)?;
            Some(spki)
        }
        _ => None,
    };
    Ok(Claim {
        identity,
        spoilt,
        aa_public_key,
    })
}

/// Has the chip `claim` admitted generate Chip Authentication key pairs (GENERATE ASYMMETRIC
/// KEY PAIR with a key template, ICAO 9303-11 §6.2; the chip profile must allow it): one per
/// `(key id, curve)` asked, each replacing an earlier key with the same id, and records in the
/// journal entry `key` that this very card holds them, so personalization refuses any other
/// card for this image ([`ChipError::CaKeyOnAnotherChip`]). Returns the public keys, in the
/// order asked, for DG14 and EF.CardSecurity; the private keys never leave the chip.
pub fn generate_ca_keys(
    channel: &mut dyn CardChannel,
    claim: &Claim,
    key: &str,
    keys: &[(Option<u32>, crate::ec::Domain)],
    dialect: Dialect,
    journal: &mut dyn Journal,
) -> Result<Vec<crate::ca::CaPublicKey>, ChipError> {
    if !dialect.generates_ca_key() {
        return Err(Unsupported::ChipAuthenticationKeyStorage(dialect).into());
    }
    let mut entry = journal.load(key)?.unwrap_or_default();
    if entry.card_serial.as_ref() != Some(&claim.identity.serial) {
        // Only a card claimed for this entry makes its keys.
        return Err(ChipError::CardInUse {
            serial: claim.identity.serial.clone(),
        });
    }
    let mut out = Vec::with_capacity(keys.len());
    for (key_id, domain) in keys {
        out.push(crate::ca::generate_on_chip(channel, *key_id, *domain)?);
    }
    entry.ca_key_card = Some(claim.identity.serial.clone());
    journal.store(key, &entry)?;
    Ok(out)
}

/// What the card on the reader is to a journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Admission {
    /// A blank card, claimed now; `spoilt` is the entry's earlier card it replaces.
    Fresh { spoilt: Option<ChipSerial> },
    /// The entry's own card, personalization started: resume it.
    Resume,
    /// The entry's own card, locked by an earlier attempt's LOCK whose answer was lost: read
    /// it back, write nothing.
    LockedEarlier,
}

/// The admission rules: nothing is ever written to an issued card, nor to a started card the
/// entry did not start (by serial); a blank card is always welcome.
fn admit(
    identity: &CardIdentity,
    entry: &JournalEntry,
    previous: PersoState,
) -> Result<Admission, ChipError> {
    let ours = entry.card_serial.as_ref() == Some(&identity.serial);
    let serial = identity.serial.clone();
    match identity.life {
        CardLife::Issued if ours && previous == PersoState::Locking => Ok(Admission::LockedEarlier),
        CardLife::Issued => Err(ChipError::CardIssued { serial }),
        CardLife::Started if ours => Ok(Admission::Resume),
        CardLife::Started => Err(ChipError::CardInUse { serial }),
        CardLife::Blank => Ok(Admission::Fresh {
            spoilt: entry.card_serial.clone().filter(|s| *s != identity.serial),
        }),
    }
}

/// Records the admission in the entry: a fresh card voids the progress made on any other (a
/// replaced card is recorded as spoilt); returns the spoilt card.
fn apply(
    admission: &Admission,
    identity: &CardIdentity,
    entry: &mut JournalEntry,
    progress: &mut dyn FnMut(&Progress),
) -> Option<ChipSerial> {
    let Admission::Fresh { spoilt } = admission else {
        return None;
    };
    if let Some(s) = spoilt {
        progress(&Progress::Replacing { spoilt: s.clone() });
        if !entry.spoilt_cards.contains(s) {
            entry.spoilt_cards.push(s.clone());
        }
    }
    entry.files.clear();
    entry.keys_set = false;
    entry.state = PersoState::New;
    entry.card_serial = Some(identity.serial.clone());
    spoilt.clone()
}

fn check_input(input: &PersoInput, options: &PersoOptions<'_>) -> Result<(), ChipError> {
    let mut seen = std::collections::BTreeSet::new();
    for (ef, data) in &input.files {
        if !seen.insert(*ef) {
            return Err(ChipError::DuplicateFile(*ef));
        }
        if data.len() > options.limits.read.max_ef_size {
            return Err(ChipError::TooLarge {
                what: Oversize::File(*ef),
                size: data.len(),
                max: options.limits.read.max_ef_size,
            });
        }
        if data.is_empty() {
            return Err(ChipError::EmptyFile(*ef));
        }
        if ef.in_master_file() && !options.dialect.has_master_file() {
            return Err(Unsupported::NoMasterFile {
                ef: *ef,
                dialect: options.dialect,
            }
            .into());
        }
        if data.len() > files::MAX_EVEN_OFFSET + 1 && !options.dialect.supports_odd_update() {
            return Err(Unsupported::LargeFile {
                ef: *ef,
                size: data.len(),
                dialect: options.dialect,
            }
            .into());
        }
    }
    if input.aa_private_key.is_some() && !options.dialect.supports_can() {
        return Err(Unsupported::ActiveAuthenticationKeyStorage(options.dialect).into());
    }
    if input.can.is_some() && !options.dialect.supports_can() {
        return Err(Unsupported::CanStorage(options.dialect).into());
    }
    if let Some(cvca) = &input.trust_point {
        if !options.dialect.stores_trust_point() {
            return Err(Unsupported::TrustPointStorage(options.dialect).into());
        }
        crate::ta::TaStore::personalize(cvca)
            .map_err(|r| ChipError::TerminalAuthentication(crate::ta::TaError::TrustPoint(r)))?;
    }
    // ISO/IEC 7816-9 cards guard DG3/DG4 with the security attributes that name Terminal
    // Authentication (docs/spec/security-protocols.md §6): without a trust point nobody ever passes it.
    if options.dialect == Dialect::Iso7816_9
        && input.trust_point.is_none()
        && let Some((ef, _)) = input
            .files
            .iter()
            .find(|(e, _)| matches!(*e, Ef::Dg(n) if matches!(n.get(), 3 | 4)))
    {
        return Err(ChipError::MissingKey(MissingKey::TrustPoint { ef: *ef }));
    }
    let has_dg15 = input.files.iter().any(|(e, _)| *e == Ef::DG15);
    if has_dg15 && input.aa_private_key.is_none() && !input.aa_key_on_chip {
        return Err(ChipError::MissingKey(MissingKey::ActiveAuthentication));
    }
    check_ca_keys(input, options)?;
    bac_seed(input.mrz_information.expose())?;
    Ok(())
}

/// DG14's Chip Authentication keys must reach the chip: each private key given matches one of
/// DG14's public keys, and every DG14 key is given or was generated on the chip.
fn check_ca_keys(input: &PersoInput, options: &PersoOptions<'_>) -> Result<(), ChipError> {
    if !input.ca_keys.is_empty() && !options.dialect.stores_ca_key() {
        return Err(Unsupported::ChipAuthenticationKeyStorage(options.dialect).into());
    }
    let offers = match input.files.iter().find(|(e, _)| *e == Ef::DG14) {
        Some((_, dg14)) => permitkit_lds::Dg14::parse(dg14)?.chip_authentication()?,
        None => Vec::new(),
    };
    let mut public = Vec::with_capacity(input.ca_keys.len());
    for key in &input.ca_keys {
        public.push((key.key_id, key.public_key()?));
    }
    for (key_id, key) in &public {
        let announced = offers.iter().any(|o| {
            o.key_id == *key_id
                && crate::ca::CaPublicKey::from_spki(&o.public_key)
                    .ok()
                    .as_ref()
                    == Some(key)
        });
        if !announced {
            return Err(ChipError::MissingKey(MissingKey::ChipAuthentication));
        }
    }
    let all_given = offers
        .iter()
        .all(|o| public.iter().any(|(id, _)| *id == o.key_id));
    if !offers.is_empty() && !all_given && !input.ca_keys_on_chip {
        return Err(ChipError::MissingKey(MissingKey::ChipAuthentication));
    }
    Ok(())
}

/// One personalization attempt on an identified card.
struct Attempt<'a, 'p> {
    input: &'a PersoInput,
    options: &'a PersoOptions<'a>,
    journal: &'a mut dyn Journal,
    key: &'a str,
    entry: &'a mut JournalEntry,
    bytes_written: &'a mut u64,
    progress: &'p mut dyn FnMut(&Progress),
}

impl Attempt<'_, '_> {
    /// Identifies and admits the card (`admitted` says whether it got that far), writes what
    /// the journal does not have, reads back, verifies and locks. Returns the read-back
    /// protocol, whether the card is locked, and its serial.
    fn run(
        &mut self,
        ch: &mut Counting<&mut dyn CardChannel>,
        previous: PersoState,
        admitted: &mut bool,
    ) -> Result<(AccessProtocol, bool, ChipSerial), ChipError> {
        let input = self.input;
        let options = self.options;
        let dialect = options.dialect;
        let ordered = input.ordered_files();
        let probe: Vec<Ef> = ordered.iter().map(|(e, _)| *e).collect();
        // Identification resets the card: no session is left over from an earlier attempt.
        let identity = identity::identify(ch, options.chip_serial, dialect, &probe)?;
        (self.progress)(&Progress::Identified(identity.clone()));
        let admission = admit(&identity, self.entry, previous)?;
        if input.aa_key_on_chip && admission != Admission::LockedEarlier {
            match &self.entry.aa_key_card {
                Some(k) if *k == identity.serial => {}
                Some(k) => {
                    return Err(ChipError::AaKeyOnAnotherChip {
                        key_chip: k.clone(),
                        card: identity.serial,
                    });
                }
                None => return Err(ChipError::MissingKey(MissingKey::ActiveAuthentication)),
            }
        }
        if input.ca_keys_on_chip && admission != Admission::LockedEarlier {
            match &self.entry.ca_key_card {
                Some(k) if *k == identity.serial => {}
                Some(k) => {
                    return Err(ChipError::CaKeyOnAnotherChip {
                        key_chip: k.clone(),
                        card: identity.serial,
                    });
                }
                None => return Err(ChipError::MissingKey(MissingKey::ChipAuthentication)),
            }
        }
        *admitted = true;
        apply(&admission, &identity, self.entry, self.progress);
        let serial = identity.serial;
        if admission == Admission::LockedEarlier {
            let protocol = self.read_back(&mut *ch, &ordered)?.protocol;
            (self.progress)(&Progress::Locked);
            return Ok((protocol, true, serial));
        }
        self.entry.state = PersoState::Writing;
        // The claim is durable before the first write.
        self.journal.store(self.key, self.entry)?;
        self.write_files(ch, &ordered)?;
        if !self.entry.keys_set {
            (self.progress)(&Progress::Keys);
            put_data(ch, 0x00, 0x62, &bac_seed(input.mrz_information.expose())?)?;
            if let Some(can) = &input.can {
                let mut inner = vec![0x02];
                inner.extend_from_slice(can.expose().as_bytes());
                let mut w = tlv::Writer::new();
                w.constructed(Tag::new(0x65), |w| {
                    w.primitive(Tag::new(0x66), &inner);
                });
                inner.fill(0);
                let data = zeroize::Zeroizing::new(w.finish()?);
                put_data(ch, 0x00, 0x65, &data)?;
            }
            if let Some(key) = &input.aa_private_key {
                let data = zeroize::Zeroizing::new(tlv::encode(Tag::new(0x6A), key.expose())?);
                put_data(ch, 0x00, 0x6A, &data)?;
            }
            for key in &input.ca_keys {
                put_data(ch, 0x00, 0x6B, &crate::ca::put_data_content(key)?)?;
            }
            if let Some(cvca) = &input.trust_point {
                // The trust point for Terminal Authentication (permitkit-v1: the whole CVCA
                // certificate; the chip checks its self-signature and writes EF.CVCA).
                put_data(ch, 0x00, 0x64, &cvca.to_bytes()?)?;
            }
            self.entry.keys_set = true;
            self.entry.state = PersoState::Written;
            self.journal.store(self.key, self.entry)?;
        }
        let mut session = self.read_back(&mut *ch, &ordered)?;
        let protocol = session.protocol;
        let locked = match options.lock {
            Some(_permission) => {
                self.entry.state = PersoState::Locking;
                self.journal.store(self.key, self.entry)?;
                // LOCK goes out under the read-back session.
                put_data(&mut session.channel, 0xDE, 0xAD, &[])?;
                (self.progress)(&Progress::Locked);
                true
            }
            None => false,
        };
        Ok((protocol, locked, serial))
    }

    /// Writes every file the journal does not record complete (for this card).
    fn write_files(
        &mut self,
        ch: &mut Counting<&mut dyn CardChannel>,
        ordered: &[(Ef, &[u8])],
    ) -> Result<(), ChipError> {
        let dialect = self.options.dialect;
        let mut in_mf: Option<bool> = None;
        for (ef, data) in ordered {
            let name = ef.name();
            let digest = hex::encode(Sha256::digest(data));
            let known = self
                .entry
                .files
                .get(&name)
                .filter(|p| p.sha256 == digest && p.size == data.len())
                .map_or(0, |p| p.written);
            if known >= data.len() {
                (self.progress)(&Progress::Writing {
                    ef: *ef,
                    written: data.len(),
                    size: data.len(),
                });
                continue;
            }
            if in_mf != Some(ef.in_master_file()) {
                if ef.in_master_file() {
                    files::select_mf(ch)?;
                } else {
                    files::select_application(ch)?;
                }
                in_mf = Some(ef.in_master_file());
            }
            let created = if dialect.fcp_create_file() {
                let fcp = crate::iso7816_9::fcp_for(*ef, data.len(), &self.options.file_access)?;
                files::create_file_fcp(ch, &fcp)?
            } else {
                files::create_file(ch, ef.fid(), data.len())?
            };
            let mut offset = known;
            if created {
                offset = 0;
                if !dialect.create_selects() {
                    files::select_ef(ch, ef.fid())?;
                }
            } else if dialect.reports_fcp() {
                let on_card = files::select_ef_size(ch, ef.fid())?;
                if let Some(size) = on_card.filter(|s| *s != data.len()) {
                    return Err(ChipError::CardMismatch {
                        ef: *ef,
                        on_card: size,
                        in_image: data.len(),
                    });
                }
            } else {
                files::select_ef(ch, ef.fid())?;
            }
            self.entry.files.insert(
                name.clone(),
                FileProgress {
                    size: data.len(),
                    sha256: digest,
                    written: offset,
                },
            );
            // Odd-INS UPDATE BINARY (offsets above 32767) spends up to 9 bytes on `54`/`53`.
            let chunk = if data.len() > files::MAX_EVEN_OFFSET + 1 {
                self.options.limits.write_chunk.saturating_sub(9).max(1)
            } else {
                self.options.limits.write_chunk
            };
            while offset < data.len() {
                let end = (offset + chunk).min(data.len());
                let part = data.get(offset..end).unwrap_or_default();
                files::update_binary(ch, offset, part)?;
                *self.bytes_written += part.len() as u64;
                offset = end;
                if let Some(p) = self.entry.files.get_mut(&name) {
                    p.written = offset;
                }
                self.journal.store(self.key, self.entry)?;
                (self.progress)(&Progress::Writing {
                    ef: *ef,
                    written: offset,
                    size: data.len(),
                });
            }
        }
        Ok(())
    }

    /// Opens the chip with the CAN (PACE chips) and the MRZ the way an inspection system will,
    /// reads every file and compares it byte for byte, runs Active Authentication when DG15 is
    /// written and the caller's verifier. Returns the MRZ session, still open (LOCK uses it).
    fn read_back<C: CardChannel>(
        &mut self,
        mut ch: C,
        ordered: &[(Ef, &[u8])],
    ) -> Result<reader::Session<C>, ChipError> {
        let input = self.input;
        let options = self.options;
        // The CAN opens the chip too (PACE only; checked without reading files).
        if let (Some(can), true) = (
            &input.can,
            ordered.iter().any(|(e, _)| *e == Ef::CardAccess),
        ) {
            reader::open(&mut ch, &AccessKey::Can(can.clone()), options.limits.read)?;
        }
        let mut session = reader::open(
            ch,
            &AccessKey::Mrz(input.mrz_information.clone()),
            options.limits.read,
        )?;
        let mut read = Vec::with_capacity(ordered.len());
        for (ef, want) in ordered {
            let got = reader::read_files(&mut session, &[*ef], options.limits.read)?
                .pop()
                .map(|(_, d)| d)
                .ok_or(ChipError::FileMissing(*ef))?;
            if let Some(offset) = first_difference(want, &got) {
                return Err(ChipError::ReadbackMismatch { ef: *ef, offset });
            }
            (self.progress)(&Progress::Verified {
                ef: *ef,
                size: got.len(),
            });
            read.push((*ef, got));
        }
        // EF.CVCA names the trust point stored (the chip writes it from PUT DATA 64).
        if let Some(cvca) = &input.trust_point {
            let listed = crate::ta::read_ef_cvca(&mut session.channel)?;
            if !listed.contains(cvca.holder()) {
                return Err(crate::ta::TaError::TrustPointNotStored {
                    expected: cvca.holder().clone(),
                    found: listed
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                }
                .into());
            }
        }
        // The chip proves it holds the Chip Authentication keys EF.CardSecurity and DG14
        // announce (PACE-CAM, then Chip Authentication, which restarts secure messaging).
        if let Some(p) = &session.pace
            && p.chip_authentication_data.is_some()
        {
            let cam = reader::ca::verify_cam(p, session.card_security.as_deref());
            check_chip_authentication(cam)?;
        }
        let find = |ef: Ef| {
            read.iter()
                .find(|(e, _)| *e == ef)
                .map(|(_, d)| d.as_slice())
        };
        let ca = reader::ca::authenticate(
            &mut session.channel,
            find(Ef::DG14),
            find(Ef::Sod),
            &mut crate::random::OsRandom,
        );
        check_chip_authentication(ca)?;
        // The chip proves it holds the key DG15 announces.
        if let Some((_, dg15)) = read.iter().find(|(e, _)| *e == Ef::DG15) {
            crate::aa::authenticate(&mut session.channel, dg15, &mut crate::random::OsRandom)?;
        }
        if let Some(verify) = options.verifier {
            (self.progress)(&Progress::Verifying);
            verify(&read).map_err(ChipError::Verification)?;
        }
        Ok(session)
    }
}

/// A read-back's Chip Authentication must pass when the image offers it: a failure, or an
/// offer this crate cannot run, is an error.
fn check_chip_authentication(outcome: reader::ca::CaOutcome) -> Result<(), ChipError> {
    use reader::ca::CaOutcome;
    match outcome {
        CaOutcome::Failed(e) => Err(std::sync::Arc::try_unwrap(e)
            .unwrap_or_else(|shared| ChipError::Verification(shared.to_string().into()))),
        CaOutcome::NotRun(why) => Err(ChipError::Verification(
            format!("Chip Authentication not run: {why}").into(),
        )),
        _ => Ok(()),
    }
}

fn put_data(ch: &mut dyn CardChannel, p1: u8, p2: u8, data: &[u8]) -> Result<(), ChipError> {
    let mut cmd = CommandApdu::new(0x00, 0xDA, p1, p2);
    if !data.is_empty() {
        cmd = cmd.with_data(data.to_vec()).map_err(ChipError::from_apdu)?;
    }
    match ch.transmit(&cmd)?.sw() {
        StatusWord::SUCCESS => Ok(()),
        StatusWord::CONDITIONS_NOT_SATISFIED => Err(ChipError::CardLocked),
        sw => Err(ChipError::Status {
            command: "PUT DATA",
            sw,
        }),
    }
}

/// What is wrong with MRZ information given for the BAC seed (9303-11 §4.3.2: document number,
/// date of birth and date of expiry, each followed by its ICAO 9303-3 §4.9 check digit). The
/// MRZ information is a secret: these say where, never which character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrzInformationError {
    /// Not 16 to 37 characters (a document number of 1 to 22, two dates, three check digits).
    #[error("{0} characters; it has 16 to 37")]
    Length(usize),
    /// A character outside the MRZ alphabet (`A`–`Z`, `0`–`9`, `<`).
    #[error("character {position} is not an MRZ character (A–Z, 0–9, <)")]
    NotMrzCharacter {
        /// Position, 1-based.
        position: usize,
    },
    /// A check digit that does not match its field.
    #[error("the check digit of the {0} does not match")]
    CheckDigit(&'static str),
}

/// PUT DATA `62` content from the MRZ information `docNo CD DOB CD DOE CD`:
/// `62 { 04 docNo, 04 DOB, 04 DOE }` (JMRTD applet; the chip adds the check digits). The
/// check digits given are verified first (with [`permitkit_lds::mrz::check_digit`]), so a
/// mistyped MRZ cannot produce a card that no inspection system opens.
pub fn bac_seed(mrz_information: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, ChipError> {
    let bad = ChipError::MrzInformation;
    let n = mrz_information.len();
    if !(16..=37).contains(&n) {
        return Err(bad(MrzInformationError::Length(n)));
    }
    let k = n - 15;
    let doc = mrz_information.get(..k).unwrap_or_default();
    let dob = mrz_information.get(k + 1..k + 7).unwrap_or_default();
    let doe = mrz_information.get(k + 8..k + 14).unwrap_or_default();
    let fields = [
        (doc, 0, "document number"),
        (dob, k + 1, "date of birth"),
        (doe, k + 8, "date of expiry"),
    ];
    for (field, start, name) in fields {
        let cd = mrz_information.get(start + field.len()).copied();
        let computed = std::str::from_utf8(field)
            .ok()
            .and_then(|f| permitkit_lds::mrz::check_digit(f).ok());
        let Some(computed) = computed else {
            let position = start + field.iter().position(|b| !is_mrz_byte(*b)).unwrap_or(0) + 1;
            return Err(bad(MrzInformationError::NotMrzCharacter { position }));
        };
        if cd != Some(b'0' + computed) {
            return Err(bad(MrzInformationError::CheckDigit(name)));
        }
    }
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x62), |w| {
        w.primitive(Tag::new(0x04), doc);
        w.primitive(Tag::new(0x04), dob);
        w.primitive(Tag::new(0x04), doe);
    });
    Ok(zeroize::Zeroizing::new(w.finish()?))
}

fn is_mrz_byte(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'<'
}

/// The fewest APDUs a personalization of `input` with these limits needs, counting only what
/// cannot be avoided: per file one CREATE FILE, `⌈size/write_chunk⌉` UPDATE BINARY and
/// `⌈size/read_chunk⌉` READ BINARY; one PUT DATA per secret; one SELECT per DF written; the
/// access protocol (BAC: SELECT + GET CHALLENGE + EXTERNAL AUTHENTICATE; PACE: SELECT MF +
/// MSE:Set AT + 4 GENERAL AUTHENTICATE + SELECT application); INTERNAL AUTHENTICATE when DG15
/// is written; Chip Authentication when DG14 offers it (3DES: MSE:Set KAT + SELECT; AES:
/// MSE:Set AT + GENERAL AUTHENTICATE + SELECT); with PACE-CAM, EF.CardSecurity read once more in
/// the CAN check; LOCK when asked; and identifying the card before the first write (GET DATA for
/// the serial, then one SELECT with FCP where the dialect reports the life cycle, else a SELECT
/// of the application and of each of its files, as on a blank card). Selects required by the
/// dialect (JMRTD: one per file) are counted as unavoidable for it.
pub fn minimum_apdus(
    input: &PersoInput,
    options: &PersoOptions<'_>,
    protocol: &AccessProtocol,
) -> u64 {
    let ceil = |a: usize, b: usize| a.div_ceil(b.max(1)) as u64;
    let mut n = 0u64;
    let mut dfs = std::collections::BTreeSet::new();
    for (ef, data) in &input.files {
        dfs.insert(ef.in_master_file());
        n += 1 + ceil(data.len(), options.limits.write_chunk);
        if !options.dialect.create_selects() {
            n += 1;
        }
        n += ceil(data.len(), options.limits.read.chunk);
    }
    n += dfs.len() as u64;
    n += 1 + u64::from(input.can.is_some()) + u64::from(input.aa_private_key.is_some());
    n += input.ca_keys.len() as u64;
    // The trust point: PUT DATA 64, then EF.CVCA read back (SELECT + READ BINARY).
    n += 3 * u64::from(input.trust_point.is_some());
    n += ca_apdus(input);
    n += u64::from(input.files.iter().any(|(e, _)| *e == Ef::DG15));
    n += if options.dialect.reports_life_cycle() {
        2
    } else {
        2 + input
            .files
            .iter()
            .filter(|(e, _)| !e.in_master_file())
            .count() as u64
    };
    n += match protocol {
        AccessProtocol::Bac => 3,
        AccessProtocol::Pace(_) => 7,
    };
    if input.can.is_some() {
        n += 7;
        let cam = matches!(protocol, AccessProtocol::Pace(i)
            if i.pace_protocol().map(|p| p.mapping) == Some(PaceMapping::ChipAuthentication));
        if let (true, Some((_, cs))) = (
            cam,
            input.files.iter().find(|(e, _)| *e == Ef::CardSecurity),
        ) {
            n += ceil(cs.len(), options.limits.read.chunk);
        }
    }
    n + u64::from(options.lock.is_some())
}

/// APDUs of the read-back's Chip Authentication with DG14's first supported key.
fn ca_apdus(input: &PersoInput) -> u64 {
    let Some((_, dg14)) = input.files.iter().find(|(e, _)| *e == Ef::DG14) else {
        return 0;
    };
    let offers = permitkit_lds::Dg14::parse(dg14)
        .and_then(|d| d.chip_authentication())
        .unwrap_or_default();
    match offers
        .iter()
        .find_map(|o| crate::ca::CaParams::from_offer(o).ok())
    {
        Some(p) if p.cipher == crate::crypto::Cipher::Tdes => 2,
        Some(_) => 3,
        None => 0,
    }
}

/// Estimated time over the air for the traffic in `stats` with `eeprom_bytes` written.
///
/// Model (stated, not measured): ISO/IEC 14443-4 I-blocks carry at most 253 APDU bytes (FSC/FSD
/// 256 minus PCB and CRC); each frame adds 3 bytes (PCB, CRC-16) and a chained frame an R(ACK)
/// of 3 bytes; every byte costs 10 bit times (8 data bits plus start/stop or parity framing);
/// each APDU pays 2 × 86 µs frame delay plus an assumed 2 ms of chip processing (command
/// decoding and secure-messaging crypto on a typical secure element); EEPROM programming is
/// assumed at 2 ms per 64-byte page written. Real chips vary by a factor of two either way.
pub fn estimate_contactless(stats: &ApduStats, eeprom_bytes: u64) -> Vec<ContactlessEstimate> {
    let payload = stats.bytes_sent + stats.bytes_received;
    let frames = 2 * stats.commands + payload / 253;
    let chained = payload / 253;
    let bytes = payload + 3 * frames + 3 * chained;
    let fixed_s =
        stats.commands as f64 * (2.0 * 86e-6 + 2e-3) + eeprom_bytes.div_ceil(64) as f64 * 2e-3;
    [106u32, 212, 424, 848]
        .into_iter()
        .map(|kbit_s| ContactlessEstimate {
            kbit_s,
            seconds: bytes as f64 * 10.0 / (f64::from(kbit_s) * 1000.0) + fixed_s,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bac_seed_splits_the_mrz_information() {
        let seed = bac_seed(b"L898902C<369080619406236").unwrap();
        // apdu.md §3 example PUT DATA 62 content.
        assert_eq!(
            hex::encode_upper(&*seed),
            "621B04094C383938393032433C04063639303830360406393430363233"
        );
    }

    #[test]
    fn bac_seed_refuses_bad_mrz_information_without_showing_it() {
        let e = bac_seed(b"L898902C<369080619406237").unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::MrzInformation(MrzInformationError::CheckDigit("date of expiry"))
            ),
            "{e}"
        );
        let e = bac_seed(b"short").unwrap_err();
        assert!(
            matches!(e, ChipError::MrzInformation(MrzInformationError::Length(5))),
            "{e}"
        );
        let e = bac_seed(b"L898902c<369080619406236").unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::MrzInformation(MrzInformationError::NotMrzCharacter { position: 8 })
            ),
            "{e}"
        );
        assert!(!e.to_string().contains("L898902"), "{e}");
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_of_perso_input_shows_lengths_never_data() {
        let input = PersoInput {
            files: vec![(Ef::Com, b"SECRET-DG-BYTES".to_vec())],
            mrz_information: SecretBytes::new(b"L898902C<369080619406236".to_vec()),
            can: Some(SecretString::new("123456".to_owned())),
            aa_private_key: None,
            aa_key_on_chip: false,
            ca_keys: Vec::new(),
            ca_keys_on_chip: false,
            trust_point: None,
        };
        let text = format!("{input:?}");
        assert!(text.contains("15"), "{text}");
        for secret in ["SECRET", "L898902C", "123456"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
}
