//! The bureau's errors: each keeps its source; none carries personal data (an application is
//! named by its number, a document never by its MRZ).

use crate::auth::AuthError;
use crate::refusal::Refusal;

/// Anything that stops a bureau operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BureauError {
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// No database connection could be had from the pool.
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The pool could not be built from the database URL.
    #[error("database configuration: {0}")]
    PoolConfig(#[from] deadpool_postgres::CreatePoolError),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migrate(#[from] refinery::Error),
    /// A request's authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// An application package was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Certificates or keys could not be loaded.
    #[error("pki: {0}")]
    Pki(#[from] permitkit_pki::PkiError),
    /// The ChipImage could not be built or restored.
    #[error("chip image: {0}")]
    Lds(#[from] permitkit_lds::LdsError),
    /// A stored ChipImage no longer matches its EF.SOD.
    #[error("chip image: {0}")]
    ChipImage(#[from] permitkit_lds::ChipImageError),
    /// Personalization failed.
    #[error("chip: {0}")]
    Chip(#[from] permitkit_chip::ChipError),
    /// The Document Signer refused or failed to sign (its policy: validity period, document
    /// cap; the token).
    #[error("signing: {0}")]
    Signing(#[from] permitkit_station::signer::SignError),
    /// The Document Signer's policy refuses to sign now.
    #[error("signing: {0}")]
    SigningRefused(#[from] permitkit_pki::SigningRefused),
    /// A document profile's EAC trust point (in the `pki` folder) or the line's inspection-system
    /// terminal is missing or unusable.
    #[error("extended access control: {0}")]
    Eac(#[from] permitkit_station::eac::EacSetupError),
    /// A written card failed its independent verification.
    #[error("verification")]
    Verify(#[from] crate::verify::CardCheck),
    /// The virtual card stock failed.
    #[error("card stock: {0}")]
    CardStock(#[from] permitkit_simulator::SimError),
    /// The card reader could not be opened.
    #[error("card reader: {0}")]
    CardReader(#[from] permitkit_devices::card_reader::CardReaderError),
    /// Profiles did not load.
    #[error("profiles: {0}")]
    Profile(#[from] permitkit_model::profiles::ProfileError),
    /// A package could not be sealed.
    #[error("envelope: {0}")]
    Envelope(#[from] permitkit_pki::envelope::EnvelopeError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A key file is not a P-256 key.
    #[error("{path}: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Stored data does not decode (the database was changed behind the bureau's back).
    #[error("stored data of {what} does not decode: {reason}")]
    Corrupt {
        /// What was read.
        what: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client failed.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The bureau answered with an error status.
    #[error("bureau answered {status}: {body}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The bureau's message.
        body: String,
    },
    /// The operating system's random number generator failed.
    #[error("random: {0}")]
    Random(#[from] permitkit_model::random::RandomError),
    /// A blocking task panicked or was cancelled.
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The line is not registered, or registered with another key.
    #[error("line {0} is not registered with this key (permitkit issuance register-line)")]
    UnregisteredLine(String),
    /// The station journal (the outbox) failed.
    #[error("station journal: {0}")]
    Journal(#[from] permitkit_station::journal::JournalError),
    /// The connection pool could not be built.
    #[error("database pool: {0}")]
    PoolBuild(#[from] deadpool_postgres::BuildError),
    /// A process-level failure of the throw-away PostgreSQL cluster.
    #[error("throw-away PostgreSQL: {0}")]
    Throwaway(String),
    /// The throw-away PostgreSQL cluster's folder, port or program failed.
    #[error("throw-away PostgreSQL: {what}: {source}")]
    ThrowawayIo {
        /// What was being done.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
