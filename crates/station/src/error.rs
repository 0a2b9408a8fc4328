//! The station's error type, folding the typed errors of every crate below it.
//!
//! Every module owns a `thiserror` enum that says what went wrong and where (offsets for
//! parsers, file and field for profiles); [`Error`] folds them so that callers that do not care
//! about the module can use `?` throughout. Card status words are data
//! ([`permitkit_iso7816::apdu::StatusWord`]), not errors, until a caller decides they are.

/// Any error raised by this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed BER-TLV data.
    #[error(transparent)]
    Tlv(#[from] permitkit_iso7816::tlv::TlvError),
    /// Malformed command or response APDU.
    #[error(transparent)]
    Apdu(#[from] permitkit_iso7816::apdu::ApduError),
    /// A malformed or unencodable LDS file.
    #[error(transparent)]
    Lds(#[from] permitkit_lds::LdsError),
    /// Certificate or key handling failed.
    #[error(transparent)]
    Pki(#[from] permitkit_pki::PkiError),
    /// The station's Document Signer could not be opened.
    #[error(transparent)]
    Signer(#[from] crate::signer::SignerSetupError),
    /// The EAC trust point or the station's inspection-system terminal cannot be used.
    #[error(transparent)]
    Eac(#[from] crate::eac::EacSetupError),
    /// A ChipImage that cannot be made, loaded or saved.
    #[error(transparent)]
    ChipImage(#[from] permitkit_lds::ChipImageError),
    /// An MRZ that does not parse or fields that make no valid MRZ.
    #[error(transparent)]
    Mrz(#[from] permitkit_lds::mrz::MrzError),
    /// A WSQ fingerprint image that does not decode or encode.
    #[error(transparent)]
    Wsq(#[from] permitkit_biometrics::wsq::WsqError),
    /// The enrollment journal failed.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// A profile file that does not load.
    #[error(transparent)]
    Profile(#[from] permitkit_model::profiles::ProfileError),
    /// Talking to a chip failed.
    #[error(transparent)]
    Chip(#[from] permitkit_chip::ChipError),
    /// A portrait that cannot be assessed, prepared or encoded.
    #[error(transparent)]
    Face(#[from] permitkit_quality::face::FaceError),
    /// A device could not be opened or did not capture.
    #[error(transparent)]
    Capture(#[from] permitkit_devices::CaptureError),
    /// A card reader could not be opened, matched or saved.
    #[error(transparent)]
    CardReader(#[from] permitkit_devices::card_reader::CardReaderError),
    /// The virtual chip's saved state could not be loaded or saved.
    #[error(transparent)]
    Simulator(#[from] permitkit_simulator::SimError),
    /// An operating-system random number generator failure.
    #[error(transparent)]
    Random(#[from] permitkit_model::random::RandomError),
    /// File-system or device I/O, with the path or device involved.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. the path being read.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
