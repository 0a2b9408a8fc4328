//! The crate-wide error type.
//!
//! Every module owns a `thiserror` enum that says what went wrong and where (offsets for
//! parsers, file and field for profiles); [`Error`] folds them so that callers that do not care
//! about the module can use `?` throughout. Card status words are data
//! ([`crate::apdu::StatusWord`]), not errors, until a caller decides they are.

/// Any error raised by this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed BER-TLV data.
    #[error(transparent)]
    Tlv(#[from] crate::tlv::TlvError),
    /// Malformed command or response APDU.
    #[error(transparent)]
    Apdu(#[from] crate::apdu::ApduError),
    /// A malformed or unencodable LDS file.
    #[error(transparent)]
    Lds(#[from] crate::lds::LdsError),
    /// Certificate or key handling failed.
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    /// A ChipImage that cannot be made, loaded or saved.
    #[error(transparent)]
    ChipImage(#[from] crate::lds::ChipImageError),
    /// An MRZ that does not parse or fields that make no valid MRZ.
    #[error(transparent)]
    Mrz(#[from] crate::lds::mrz::MrzError),
    /// A WSQ fingerprint image that does not decode or encode.
    #[error(transparent)]
    Wsq(#[from] crate::biometrics::wsq::WsqError),
    /// The enrollment journal failed.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// A profile file that does not load.
    #[error(transparent)]
    Profile(#[from] crate::profiles::ProfileError),
    /// Talking to a chip failed.
    #[error(transparent)]
    Chip(#[from] crate::chip::ChipError),
    /// A portrait that cannot be assessed, prepared or encoded.
    #[error(transparent)]
    Face(#[from] crate::quality::face::FaceError),
    /// A device could not be opened or did not capture.
    #[error(transparent)]
    Capture(#[from] crate::devices::CaptureError),
    /// The virtual chip's saved state could not be loaded or saved.
    #[error(transparent)]
    Simulator(#[from] crate::simulator::SimError),
    /// An operating-system random number generator failure.
    #[error("random number generator failed: {0}")]
    Random(String),
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

/// Fills `buf` from the operating system's cryptographically secure generator.
///
/// The single place where the crate draws randomness, so that every protocol step that needs a
/// nonce or an ephemeral key reports an RNG failure the same way.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}
