//! Errors of the LDS encoders and parsers: always name the file, then what is wrong inside it.

use crate::{Ef, sod::ScopeError};
use permitkit_biometrics::{
    cbeff::CbeffError, face_record::FaceRecordError, finger_record::FingerRecordError,
};
use permitkit_iso7816::tlv::TlvError;
use std::fmt;
use std::sync::Arc;

/// An error in one elementary file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {kind}")]
pub struct LdsError {
    /// The file being encoded or parsed.
    pub file: Ef,
    /// What is wrong.
    pub kind: LdsErrorKind,
}

impl LdsError {
    /// An error in `file`.
    pub fn new(file: Ef, kind: impl Into<LdsErrorKind>) -> Self {
        Self {
            file,
            kind: kind.into(),
        }
    }

    /// A field-level problem in `file`.
    pub fn field(file: Ef, field: &'static str, reason: impl Into<String>) -> Self {
        Self::new(
            file,
            LdsErrorKind::Field {
                field,
                reason: reason.into(),
            },
        )
    }
}

/// A lower layer's error (a signer's, an encoder's), kept shared so that [`LdsError`] stays
/// `Clone`, as the source of [`LdsErrorKind::Signing`] and [`LdsErrorKind::SignedImage`].
/// Two are equal when they say the same.
#[derive(Debug, Clone)]
pub struct SourceError(Arc<dyn std::error::Error + Send + Sync>);

impl SourceError {
    /// Wraps `e`.
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(Arc::from(e.into()))
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for SourceError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for SourceError {}

/// What is wrong inside a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LdsErrorKind {
    /// Broken BER-TLV.
    #[error(transparent)]
    Tlv(#[from] TlvError),
    /// Broken CBEFF structure.
    #[error(transparent)]
    Cbeff(#[from] CbeffError),
    /// Broken ISO/IEC 19794-5 record.
    #[error(transparent)]
    FaceRecord(#[from] FaceRecordError),
    /// Broken ISO/IEC 19794-4 record.
    #[error(transparent)]
    FingerRecord(#[from] FingerRecordError),
    /// Broken DER (SecurityInfos, SubjectPublicKeyInfo, LDSSecurityObject, CMS): the `der`
    /// crate's error, with the byte position where decoding stopped.
    #[error(transparent)]
    Der(#[from] der::Error),
    /// Signing failed, or encoding the signed structure (`what`) failed.
    #[error("signing: {what}")]
    Signing {
        /// What was being signed or encoded (`SignerInfo`, `signingTime`, …).
        what: &'static str,
        /// The signer's or the encoder's error.
        #[source]
        source: SourceError,
    },
    /// The Document Signer certificate cannot be embedded as it is (9303-10 §4.6.2.2).
    #[error("Document Signer certificate: {0}")]
    DsCertificate(&'static str),
    /// The signer's public key is not the Document Signer certificate's.
    #[error("the signer's public key is not the Document Signer certificate's")]
    SignerKeyMismatch,
    /// The signed image does not check against its own EF.SOD.
    #[error("the signed image does not check")]
    SignedImage(#[source] SourceError),
    /// The Document Signer may not sign this document, or not at this time (9303-12 §7.1).
    #[error("Document Signer: {0}")]
    Scope(#[from] ScopeError),
    /// A text field longer than one element of the file may hold.
    #[error("{field}: {len} bytes exceed the {max}-byte limit of one element")]
    FieldTooLong {
        /// The field (tag name or data element).
        field: &'static str,
        /// Its length in bytes (UTF-8).
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field with a value that is not allowed.
    #[error("{field}: {reason}")]
    Field {
        /// The field (tag name or data element).
        field: &'static str,
        /// Why its value is not allowed.
        reason: String,
    },
}

/// Attaches the file to any error convertible into an [`LdsErrorKind`].
pub trait InFile<T> {
    /// Maps the error into an [`LdsError`] for `file`.
    fn in_file(self, file: Ef) -> Result<T, LdsError>;
}

impl<T, E: Into<LdsErrorKind>> InFile<T> for Result<T, E> {
    fn in_file(self, file: Ef) -> Result<T, LdsError> {
        self.map_err(|e| LdsError::new(file, e))
    }
}
