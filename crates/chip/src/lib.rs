//! The contactless chip of a residence permit: access control, secure messaging, file access,
//! personalization and read-back (ICAO Doc 9303-11 and ISO/IEC 7816-4).
//!
//! - [`channel`]: the [`CardChannel`] trait every reader and the virtual chip implement.
//! - [`crypto`], [`sm`]: 9303-11 §9.7–9.8 key derivation and secure messaging
//!   ([`sm::Secured`] decorates any channel).
//! - [`bac`], [`pace`], [`card_access`]: Basic Access Control (§4.3) and PACE generic mapping
//!   (§4.4), both sides; EF.CardAccess PACEInfo.
//! - [`files`]: SELECT, READ BINARY (SFI, odd INS `B1`), UPDATE BINARY.
//! - [`perso`], [`journal`], [`readback`]: writing a card with a resumable journal, reading every
//!   file back before LOCK.
//! - [`reader`]: the inspection-system flow (PACE or BAC, then every file).

pub mod aa;
pub mod bac;
pub mod card_access;
pub mod channel;
pub mod crypto;
pub mod files;
pub mod journal;
pub mod pace;
pub mod perso;
pub mod random;
pub mod readback;
pub mod reader;
pub mod sm;

pub use channel::{CardChannel, TransportError};

use permitkit_iso7816::apdu::{ApduError, StatusWord};

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
    /// BAC or PACE failed: the chip refused the terminal or the other way round.
    #[error("{protocol} access denied: {reason}")]
    AccessDenied {
        /// `BAC` or `PACE`.
        protocol: &'static str,
        /// What happened.
        reason: String,
    },
    /// A response the chip sent is not what the protocol requires.
    #[error("malformed {what} from the chip: {reason}")]
    Malformed {
        /// The response or data object.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
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
    #[error("random number generator: {0}")]
    Random(String),
    /// The chip asks for something this crate does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A file or value larger than the chip, reader or format allows.
    #[error("{what} of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The file or value.
        what: String,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The chip is locked: personalization is over and every write is refused.
    #[error("the chip is locked (personalization already ended); use a blank card")]
    CardLocked,
    /// The card holds something else than the image being written (not a blank or resumable
    /// card).
    #[error("card does not match the image: {0}")]
    CardMismatch(String),
    /// What was read back differs from what was written.
    #[error("read-back of {ef} differs from the image at byte {offset}")]
    ReadbackMismatch {
        /// The file.
        ef: permitkit_lds::Ef,
        /// First differing byte (or the shorter length).
        offset: usize,
    },
    /// A file of the image is missing on the card.
    #[error("{0} is missing on the card")]
    FileMissing(permitkit_lds::Ef),
    /// The verifier (passive authentication) rejected what was read.
    #[error("verification failed: {0}")]
    Verification(String),
    /// The personalization journal could not be read or written.
    #[error("personalization journal: {0}")]
    Journal(String),
}

impl ChipError {
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
