//! Document PKI (ICAO Doc 9303-12): Document Signer keys and certificates, a test CSCA, and
//! passive authentication.
//!
//! - [`signer`]: loading the Document Signer's certificate and key. Signing goes through any
//!   type the `cms` builder accepts (`Keypair + Signer`), so an HSM can replace the file key.
//! - [`test_pki`]: a self-signed test CSCA and a Document Signer with the 9303-12 extensions,
//!   written as PEM files marked TEST ONLY.
//! - [`passive_auth`]: verification of EF.SOD and the data groups with `x509-parser`, a reader
//!   independent of the writer's ASN.1 stack.

pub mod passive_auth;
mod pem;
pub mod signer;
pub mod test_pki;

pub use passive_auth::{
    Check, CheckStatus, PaReport, verify as passive_authentication, verify_files, verify_read,
};
pub use signer::DocumentSigner;
pub use test_pki::TestPki;

/// Errors of certificate and key handling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file without the expected block.
    #[error("{path}: no PEM block {label:?} found")]
    NoPem {
        /// The file.
        path: String,
        /// The label looked for (`CERTIFICATE`, `PRIVATE KEY`).
        label: &'static str,
    },
    /// A certificate or key that does not decode.
    #[error("{what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// Building a certificate failed.
    #[error("building {what}: {reason}")]
    Build {
        /// Which certificate.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The key does not belong to the certificate.
    #[error("{0}: the private key does not match the certificate's public key")]
    KeyMismatch(String),
    /// The system random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}
