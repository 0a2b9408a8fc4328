//! The contactless chip of a residence permit: access control, secure messaging, file access,
//! personalization and read-back (ICAO Doc 9303-11 and ISO/IEC 7816-4).
//!
//! - [`channel`]: the [`CardChannel`] trait every reader and the virtual chip implement, and
//!   the ISO/IEC 7816-3/-4 `61xx`/`6Cxx` transport conventions
//!   ([`channel::transmit_following`]).
//! - [`crypto`], [`sm`], [`secured`]: 9303-11 §9.7–9.8 key derivation, the secure-messaging
//!   codec, and [`secured::Secured`], which decorates any channel with it.
//! - [`bac`], [`pace`]: Basic Access Control (§4.3) and PACE generic mapping (§4.4), both
//!   sides. The PACEInfos come from `permitkit_lds::CardAccess` (§9.2.1).
//! - [`files`]: SELECT, READ BINARY (SFI, odd INS `B1`), UPDATE BINARY.
//! - [`identity`]: which card is on the reader (its chip serial, GlobalPlatform CPLC) and where
//!   its personalization stands (ISO/IEC 7816-4 life cycle), before anything is written.
//! - [`perso`], [`journal`], [`readback`]: writing a card with a resumable journal bound to the
//!   card's serial, reading every file back before LOCK.
//! - [`ta`]: Terminal Authentication v1 (§7.1) with CV certificates, both sides;
//!   [`reader::ta`]: where it runs in the inspection flow.
//! - [`reader`]: the inspection-system flow (PACE or BAC, then every file).
//!
//! Errors: [`ChipError`]. Reasons this crate finds itself are typed fields shown in the message
//! ([`Denial`], [`Malformation`], [`Unsupported`], [`perso::MrzInformationError`]); errors of
//! other crates are carried whole, transparently, so `source()` still reaches them.
//!
//! Feature `test-util`: `random::Replay` (replays published nonces) and
//! `journal::MemoryJournal`, for tests, benchmarks and fuzzing only.

pub mod aa;
pub mod bac;
pub mod ca;
pub mod channel;
pub mod crypto;
pub mod ec;
pub mod files;
pub mod identity;
mod iso7816_9;
pub mod journal;
pub mod pace;
pub mod pace_cam;
mod pace_im;
pub mod perso;
pub mod random;
pub mod readback;
pub mod reader;
pub mod secured;
pub mod sm;
pub mod ta;

pub use channel::{CardChannel, DriverError, TransportError};

use permitkit_iso7816::apdu::{ApduError, StatusWord};
use permitkit_lds::Ef;
use permitkit_lds::security_infos::PaceMapping;
use permitkit_model::dialect::Dialect;

/// What went wrong talking to a chip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChipError {
    /// The reader or the link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A command answered with an unexpected status word.
    #[error("{command} failed: {sw}")]
    Status {
        /// The command.
        command: &'static str,
        /// The chip's answer.
        sw: StatusWord,
    },
    /// BAC, PACE or Active Authentication failed: the chip refused the terminal or the other
    /// way round.
    #[error("{protocol} access denied: {reason}")]
    AccessDenied {
        /// `BAC`, `PACE` or `Active Authentication`.
        protocol: &'static str,
        /// What happened.
        reason: Denial,
    },
    /// A response the chip sent is not what the protocol requires.
    #[error("malformed {what} from the chip: {reason}")]
    Malformed {
        /// The response or data object.
        what: &'static str,
        /// What is wrong with it.
        reason: Malformation,
    },
    /// A primitive failed.
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    /// Secure messaging could not be set up.
    #[error(transparent)]
    Sm(#[from] sm::SmError),
    /// BER-TLV data from the chip does not parse.
    #[error(transparent)]
    Tlv(#[from] permitkit_iso7816::tlv::TlvError),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] random::RandomError),
    /// The chip, the image or the dialect asks for something this crate does not implement.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A file, file size or offset larger than the chip, reader or format allows.
    #[error("{what} of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The file or value.
        what: Oversize,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The chip is locked: personalization is over and every write is refused.
    #[error("the chip is locked (personalization already ended); use a blank card")]
    CardLocked,
    /// The journal says this document's chip was already personalized and locked.
    #[error(
        "this document's chip was already personalized and locked; remove its journal entry to issue another card"
    )]
    AlreadyIssued,
    /// The chip gave no serial number the way its profile says to read one, so the card cannot
    /// be told from another and nothing is written.
    #[error(
        "the chip gave no serial number (GET DATA CPLC answered {sw}); check the chip profile's `chip_serial`"
    )]
    NoChipSerial {
        /// The chip's answer.
        sw: StatusWord,
    },
    /// The card on the reader is issued (locked): it is never written again.
    #[error(
        "card {serial} is already issued (locked) and is never written again; take it away and present a blank card"
    )]
    CardIssued {
        /// The card's chip serial.
        serial: identity::ChipSerial,
    },
    /// The card on the reader carries a personalization this journal entry did not start on it
    /// (another enrolment's half-written card, or an unknown one): it is not written.
    #[error(
        "card {serial} holds another personalization (another enrolment's half-written card, or one this station did not start) and is not written; present this enrolment's card or a blank one"
    )]
    CardInUse {
        /// The card's chip serial.
        serial: identity::ChipSerial,
    },
    /// The image's Active Authentication key was generated on another chip than the card on
    /// the reader: DG15 (signed into EF.SOD) names a key this card does not hold.
    #[error(
        "the image's Active Authentication key was generated on chip {key_chip}, not on card {card}: a new ChipImage must be signed for this card"
    )]
    AaKeyOnAnotherChip {
        /// The chip that holds the key.
        key_chip: identity::ChipSerial,
        /// The card on the reader.
        card: identity::ChipSerial,
    },
    /// DG14's Chip Authentication keys were generated on another chip than the card on the
    /// reader: DG14 (signed into EF.SOD) names keys this card does not hold.
    #[error(
        "the image's Chip Authentication keys were generated on chip {key_chip}, not on card {card}: a new ChipImage must be signed for this card"
    )]
    CaKeyOnAnotherChip {
        /// The chip that holds the keys.
        key_chip: identity::ChipSerial,
        /// The card on the reader.
        card: identity::ChipSerial,
    },
    /// The personalization input lacks a secret its files need.
    #[error("{0}")]
    MissingKey(MissingKey),
    /// A file on the card has another size than the same file of the image: the card holds
    /// another image (not a blank or resumable card for this one).
    #[error(
        "card does not match the image: {ef} on the card is {on_card} bytes, the image's is {in_image}: not this image's card"
    )]
    CardMismatch {
        /// The file.
        ef: Ef,
        /// Its size on the card.
        on_card: usize,
        /// Its size in the image.
        in_image: usize,
    },
    /// The personalization input lists a file twice.
    #[error("{0} appears twice in the image")]
    DuplicateFile(Ef),
    /// The personalization input has an empty file.
    #[error("{0} is empty in the image")]
    EmptyFile(Ef),
    /// A file of the image does not parse (its DG1, for the MRZ information).
    #[error(transparent)]
    Image(#[from] permitkit_lds::LdsError),
    /// An MRZ that does not parse.
    #[error(transparent)]
    Mrz(#[from] permitkit_lds::mrz::MrzError),
    /// MRZ information (the BAC and PACE key input) that is not `docNo CD DOB CD DOE CD`.
    #[error("MRZ information: {0}")]
    MrzInformation(perso::MrzInformationError),
    /// What was read back differs from what was written.
    #[error("read-back of {ef} differs from the image at byte {offset}")]
    ReadbackMismatch {
        /// The file.
        ef: Ef,
        /// First differing byte (or the shorter length).
        offset: usize,
    },
    /// A file of the image is missing on the card.
    #[error("{0} is missing on the card")]
    FileMissing(Ef),
    /// The verifier (passive authentication) rejected what was read; its own error.
    #[error(transparent)]
    Verification(Box<dyn std::error::Error + Send + Sync>),
    /// The personalization journal could not be read or written; the storage's own error.
    #[error(transparent)]
    Journal(Box<dyn std::error::Error + Send + Sync>),
    /// Terminal Authentication failed (9303-11 §7.1): the chip refused the terminal's
    /// certificates or signature, or the terminal has no chain for this chip.
    #[error("Terminal Authentication: {0}")]
    TerminalAuthentication(#[from] ta::TaError),
}

/// Why the chip refused the terminal, or the terminal the chip (9303-11 §4.3, §4.4, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denial {
    /// MSE:Set AT names a password the chip does not hold.
    #[error("the chip holds no {password} password for this protocol ({sw})")]
    NoPassword {
        /// `MRZ` or `CAN`.
        password: &'static str,
        /// The chip's answer.
        sw: StatusWord,
    },
    /// The chip refused the terminal's cryptogram (BAC EXTERNAL AUTHENTICATE).
    #[error("chip refused EXTERNAL AUTHENTICATE with {0} (wrong MRZ?)")]
    CryptogramRefused(StatusWord),
    /// The MAC of the chip's cryptogram does not verify.
    #[error("chip's cryptogram MAC does not verify")]
    CryptogramMac,
    /// The chip's cryptogram does not echo the nonces.
    #[error("chip's cryptogram does not echo the nonces")]
    NoncesNotEchoed,
    /// The chip refused the terminal's PACE authentication token.
    #[error("chip refused the authentication token with {0} (wrong MRZ or CAN?)")]
    TokenRefused(StatusWord),
    /// The chip's PACE authentication token does not verify.
    #[error("chip's authentication token does not verify")]
    TokenMismatch,
    /// The chip's Active Authentication signature does not verify with the DG15 key.
    #[error("the chip's signature does not verify with the DG15 key (cloned or substituted chip?)")]
    SignatureMismatch,
    /// The chip refused the terminal's Chip Authentication key or protocol.
    #[error("the chip refused Chip Authentication with {0}")]
    ChipAuthenticationRefused(StatusWord),
    /// After Chip Authentication the chip did not answer under the new session keys: it does
    /// not hold the private key of the public key the terminal used.
    #[error(
        "the chip does not hold the private key of its Chip Authentication public key (cloned or substituted chip?)"
    )]
    ChipAuthenticationFailed,
    /// The PACE-CAM Chip Authentication Data does not verify with the chip's static key.
    #[error(
        "the PACE-CAM Chip Authentication Data does not verify with the chip's public key from EF.CardSecurity (cloned or substituted chip?)"
    )]
    ChipAuthenticationMappingMismatch,
}

/// What is wrong with a response (9303-11 §4.3–4.4, §6.1; 9303-10 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformation {
    /// Not the length the protocol fixes.
    #[error("{len} bytes instead of {expected}")]
    Length {
        /// Bytes received.
        len: usize,
        /// Bytes required.
        expected: usize,
    },
    /// A data object the protocol requires is absent.
    #[error("data object {0:02X} missing")]
    MissingDataObject(u8),
    /// A primitive refused the data (length not a whole number of blocks, …).
    #[error("{0}")]
    Crypto(crypto::CryptoError),
    /// A scalar or point that is not valid on the curve.
    #[error("not valid on the curve")]
    NotOnCurve,
    /// The chip's ephemeral PACE key equals the terminal's.
    #[error("equals the terminal's")]
    EqualsTerminalKey,
    /// A life cycle status byte that ISO/IEC 7816-4 Table 13 does not define.
    #[error("life cycle status {0:02X} is not a state ISO/IEC 7816-4 defines")]
    LifeCycle(u8),
    /// A public key on another curve than NIST P-256.
    #[error("not a NIST P-256 public key")]
    NotP256,
    /// Domain parameters that name no curve (a parameter id or curve that is not an integer or
    /// an OID, say).
    #[error("its domain parameters name no curve")]
    UnknownDomain,
    /// READ BINARY returned no data before the end of the file.
    #[error("no data at offset {offset} of {ef}")]
    NoData {
        /// The file.
        ef: Ef,
        /// Where the data stopped.
        offset: usize,
    },
}

/// A secret the personalization input lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MissingKey {
    /// DG15 announces an Active Authentication key, but neither its private key is given nor
    /// was it generated on the chip.
    #[error(
        "the image has DG15 but no Active Authentication private key (chip-keys.json missing or incomplete?): the chip could not prove DG15"
    )]
    ActiveAuthentication,
    /// DG14 announces a Chip Authentication key whose private key is neither given nor was
    /// generated on the chip, or a private key given matches none of DG14's public keys.
    #[error(
        "DG14 announces a Chip Authentication key whose private key is not in the image (chip-keys.json missing, incomplete, or for another image?) and was not generated on the chip: the chip could not prove DG14"
    )]
    ChipAuthentication,
    /// The image offers PACE (EF.CardAccess) but holds no CAN.
    #[error(
        "the image offers PACE but holds no CAN (chip-keys.json missing or incomplete?): the card would have no card access number"
    )]
    Can,
    /// The image holds fingerprints or irises (DG3, DG4) but no EAC trust point, on a chip
    /// whose access to them rests on Terminal Authentication (BSI TR-03110-1 §2.3): no
    /// inspection system could ever be authorised to read them, and a card made so is spoilt.
    #[error(
        "the image holds {ef} but no EAC trust point (the CVCA certificate, cvca.cvcert): on this chip only Terminal Authentication opens {ef}, so no inspection system could ever read it"
    )]
    TrustPoint {
        /// The data group.
        ef: Ef,
    },
}

/// Something this crate does not implement, or the chosen dialect cannot write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// A PACE protocol other than generic mapping over ECDH (or one the OID table does not
    /// name).
    #[error(
        "unsupported: PACE {mapping:?} mapping (ECDH: {ecdh}); only generic mapping over ECDH is supported"
    )]
    PaceMapping {
        /// The mapping.
        mapping: PaceMapping,
        /// True for ECDH.
        ecdh: bool,
    },
    /// A PACEInfo whose OID is not one of the `id-PACE-*` protocols.
    #[error("unsupported: PACE protocol {0}")]
    PaceProtocol(permitkit_lds::security_infos::ObjectIdentifier),
    /// A PACEInfo without a standardized domain parameter id.
    #[error("unsupported: PACEInfo without a standardized parameterId")]
    PaceWithoutParameterId,
    /// A domain parameter id other than P-256 and brainpoolP256r1.
    #[error("unsupported: PACE domain parameter id {0} (supported: 12 P-256, 13 brainpoolP256r1)")]
    PaceDomain(u32),
    /// A Chip Authentication key on a curve other than NIST P-256 and brainpoolP256r1.
    #[error(
        "unsupported: Chip Authentication key on a curve other than NIST P-256 and brainpoolP256r1"
    )]
    CaDomain,
    /// A Chip Authentication key that is not an elliptic-curve key (DH), or a protocol other
    /// than `id-CA-ECDH-*`.
    #[error("unsupported: Chip Authentication with a DH key (only ECDH is supported)")]
    CaKey,
    /// PACE-CAM whose EF.CardSecurity has no Chip Authentication key for the parameter id.
    #[error(
        "EF.CardSecurity has no Chip Authentication public key with keyId {0}, the PACE parameter id PACE-CAM runs with"
    )]
    CamKey(u32),
    /// A CAN for a chip that offers no supported PACE protocol.
    #[error(
        "unsupported: the chip offers no supported PACE protocol, and a CAN only works with PACE"
    )]
    CanWithoutPace,
    /// A DG15 key other than ECDSA P-256.
    #[error(
        "unsupported: the DG15 Active Authentication key is not ECDSA P-256, the only kind supported"
    )]
    ActiveAuthenticationKey(#[source] pkcs8::spki::Error),
    /// A master-file EF for a dialect without a master file.
    #[error("unsupported: {ef}: the {dialect:?} dialect has no master file")]
    NoMasterFile {
        /// The file.
        ef: Ef,
        /// The dialect.
        dialect: Dialect,
    },
    /// A file that needs odd-INS UPDATE BINARY for a dialect without it.
    #[error(
        "unsupported: {ef} of {size} bytes needs offsets above 32767, which the {dialect:?} dialect cannot write"
    )]
    LargeFile {
        /// The file.
        ef: Ef,
        /// Its size.
        size: usize,
        /// The dialect.
        dialect: Dialect,
    },
    /// An Active Authentication key for a dialect that cannot store one.
    #[error("unsupported: the {0:?} dialect cannot store an ECDSA Active Authentication key")]
    ActiveAuthenticationKeyStorage(Dialect),
    /// A Chip Authentication key for a dialect that cannot store or generate one.
    #[error("unsupported: the {0:?} dialect cannot store a Chip Authentication key")]
    ChipAuthenticationKeyStorage(Dialect),
    /// A CAN for a dialect that cannot store one.
    #[error("unsupported: the {0:?} dialect cannot store a CAN")]
    CanStorage(Dialect),
    /// An EAC trust point (ECDSA CVCA certificate) for a dialect that cannot store one.
    #[error(
        "unsupported: the {0:?} dialect cannot store an ECDSA trust point for Terminal Authentication"
    )]
    TrustPointStorage(Dialect),
}

/// What [`ChipError::TooLarge`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Oversize {
    /// An elementary file.
    File(Ef),
    /// The file with this file identifier (CREATE FILE).
    FileId(u16),
    /// A READ/UPDATE BINARY offset.
    Offset,
}

impl std::fmt::Display for Oversize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Oversize::File(ef) => write!(f, "{ef}"),
            Oversize::FileId(fid) => write!(f, "file {fid:04X}"),
            Oversize::Offset => f.write_str("offset"),
        }
    }
}

impl ChipError {
    /// Wraps a journal storage's error ([`journal::Journal`] implementations).
    pub fn journal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ChipError::Journal(error.into())
    }

    /// An APDU that could not be built is a bug in the calling code's limits, reported as a
    /// transport-level encoding error.
    pub(crate) fn from_apdu(e: ApduError) -> Self {
        ChipError::Transport(TransportError::Apdu(e))
    }
}

/// `Ok` for `9000`, else [`ChipError::Status`].
pub(crate) fn expect_success(command: &'static str, sw: StatusWord) -> Result<(), ChipError> {
    if sw.is_success() {
        Ok(())
    } else {
        Err(ChipError::Status { command, sw })
    }
}
