//! Why the bureau refuses a package: the station must change something before sending it
//! again. Kept apart from [`crate::intake`] so the checks it runs can name their refusals.

use permitkit_station::applicant;

/// Why a package was refused (the station must change something before sending it again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The body is not a package of this format.
    #[error("malformed package: {0}")]
    Format(String),
    /// The applicant file fails the station's validation.
    #[error("applicant: {0}")]
    Applicant(#[source] applicant::ApplicantError),
    /// A capture fails the station's checks.
    #[error("capture {part}: {reason}")]
    Capture {
        /// Which capture.
        part: String,
        /// Why.
        reason: String,
    },
    /// Another package was received under this application number.
    #[error("application {0} was received before with another package")]
    ConflictingPackage(String),
    /// The application was sent by another station.
    #[error("application {0} belongs to another station")]
    OtherStation(String),
    /// The document number is held by another application and no replacement is declared.
    #[error("the document number is already held by application {0}; declare a replacement")]
    DocumentTaken(String),
    /// The person has an application already and no replacement is declared.
    #[error(
        "the holder already has application {0}; a second document needs a declared replacement"
    )]
    NeedsReplacement(String),
    /// The ChipImage could not be built from the package.
    #[error("the chip image cannot be built: {0}")]
    Build(String),
}
