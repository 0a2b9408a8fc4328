//! Document PKI (ICAO Doc 9303-12): Document Signer keys and certificates, a test CSCA, and
//! passive authentication.
//!
//! - [`signer`]: loading the Document Signer's certificate and key. Signing goes through any
//!   type the `cms` builder accepts (`Keypair + Signer`), so an HSM can replace the file key.
//! - [`test_pki`]: a self-signed test CSCA and a Document Signer with the 9303-12 extensions,
//!   written as PEM files marked TEST ONLY.
//! - [`ds_key`]: [`DsKey`], a Document Signer key in a file or on a PKCS #11 token
//!   ([`pkcs11`], feature `pkcs11`), and the curve-independent ECDSA signature and public key.
//! - [`ecdsa`]: ECDSA signature values and public keys for any curve.
//! - `token_signer` (feature `pkcs11`): a station's token key with its certificate, behind the
//!   signing policy.
//! - [`policy`]: [`GuardedSigner`], the signing policy (private key usage period, document cap)
//!   with the [`audit`] of every EF.SOD signature.
//! - [`eac`]: the TEST ONLY EAC PKI (CVCA, DV, inspection system, CVCA rollover) whose CV
//!   certificates Terminal Authentication presents (BSI TR-03110-3).
//! - [`envelope`]: CMS EnvelopedData to a P-256 recipient (seal and open), how a ChipImage
//!   travels to a separate personalization desk; [`desk`]: that desk's key pair.
//! - [`passive_auth`]: verification of EF.SOD and the data groups with `x509-parser`, a reader
//!   independent of the writer's ASN.1 stack; [`card_security`]: EF.CardSecurity's signature
//!   and SecurityInfos (PACE-CAM's key).
//! - The 9303-12 certificate life cycle: [`profile`] (the profile tables and the shared issuer),
//!   [`csca`] (roots, link certificates), [`ds_issue`] (Document Signers from PKCS#10
//!   requests), [`master_list_signer`], [`crl`] (issue, read, the revocation register),
//!   [`master_list`] and [`deviation_list`] (over [`signed_data`]), every issuer generic over
//!   the signer so a key on a token signs the same way.
//! - [`trust`]: the trust store of passive authentication (anchors indexed by key identifier,
//!   link certificates, master lists, CRLs, deviation lists); [`lint`]: certificates against the
//!   9303-12 profile.

pub mod audit;
pub use passive_auth::card_security;
pub mod crl;
pub mod csca;
pub mod desk;
pub mod deviation_list;
pub mod ds_issue;
pub mod ds_key;
pub mod ds_request;
pub mod eac;
mod ecdsa;
pub mod envelope;
pub mod files;
pub mod lint;
pub mod master_list;
pub mod master_list_signer;
pub mod passive_auth;
mod pem;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
pub mod policy;
pub mod profile;
pub mod signed_data;
pub mod signer;
#[cfg(feature = "test-util")]
pub mod softhsm;
pub mod test_pki;
#[cfg(feature = "pkcs11")]
pub mod token_signer;
pub mod trust;

pub use ds_key::DsKey;
pub use passive_auth::{
    Check, CheckStatus, PaFailure, PaReport, verify as passive_authentication, verify_files,
    verify_read,
};
pub use policy::{GuardedSigner, SigningPolicy, SigningRefused};
pub use signer::DocumentSigner;
pub use test_pki::TestPki;

impl PkiError {
    /// `what` does not decode.
    pub fn decode(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Decode {
            what: what.into(),
            source: Box::new(source),
        }
    }

    /// `what` does not encode.
    pub fn encode(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Encode {
            what: what.into(),
            source: Box::new(source),
        }
    }

    /// `what` may not be built: `reason` says which rule it breaks.
    pub fn build(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Build {
            what,
            reason: reason.into(),
        }
    }
}

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
    /// A certificate, key or file that does not decode; the decoder's error is the source.
    #[error("{what} does not decode")]
    Decode {
        /// What was being decoded (a file name, `CSCA certificate`).
        what: String,
        /// The decoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A certificate, list or key that does not encode; the encoder's error is the source.
    #[error("encoding {what}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// The encoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A certificate that may not be built as asked (a rule of the profile).
    #[error("building {what}: {reason}")]
    Build {
        /// Which certificate.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A CV certificate (BSI TR-03110-3 §C) does not encode.
    #[error("encoding the CV certificate")]
    CvEncoding(#[source] permitkit_iso7816::tlv::TlvError),
    /// The CV certificate's signer did not sign.
    #[error("signing the CV certificate")]
    CvSigning(#[source] permitkit_cvc::SignError),
    /// The key does not belong to the certificate.
    #[error("{0}: the private key does not match the certificate's public key")]
    KeyMismatch(String),
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] permitkit_model::random::RandomError),
    /// A key of a folder is on a PKCS #11 token and this caller opens file keys only.
    #[error(
        "{path}: the {role} key is on a PKCS #11 token ({uri}); open it with the token's module \
         and PIN (a build with --features pkcs11)"
    )]
    KeyOnToken {
        /// The file that records the key's URI.
        path: String,
        /// Whose key (`CVCA`, `DV`).
        role: &'static str,
        /// The URI the file records.
        uri: String,
    },
    /// A PKCS #11 token failed or refused (feature `pkcs11`).
    #[cfg(feature = "pkcs11")]
    #[error("{what}")]
    Token {
        /// What was being done.
        what: String,
        /// The token's error.
        #[source]
        source: pkcs11::Pkcs11Error,
    },
    /// A curve this toolkit does not make token keys on.
    #[cfg(feature = "pkcs11")]
    #[error("{curve} keys are not made on a PKCS #11 token: use P-256, P-384 or brainpoolP256r1")]
    TokenCurve {
        /// The curve asked for.
        curve: permitkit_cvc::Curve,
    },
}
