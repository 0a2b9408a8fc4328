//! (feature `pkcs11`) A station's Document Signer on a token, ready to sign EF.SOD under its policy: the key
//! found by its URI on the module's token, paired with the certificate the CSCA issued for it
//! (the keys must match), behind [`GuardedSigner`] with the file audit log and the station's
//! audit key. What a station profile's `[document_signer]` section or the command line's
//! token options describe.

use std::path::Path;

use crate::{
    DocumentSigner, DsKey, GuardedSigner, PkiError, SigningPolicy,
    audit::{AuditError, AuditKey, FileAuditLog},
    pkcs11::{Module, Pin, Pkcs11Error, Pkcs11Key, Pkcs11Uri},
    signer::read_certificate,
};

/// Where a token-held Document Signer and its audit are.
#[derive(Debug)]
pub struct TokenSigner<'a> {
    /// The PKCS #11 module; `None` takes the URI's `module-path`.
    pub module: Option<&'a Path>,
    /// The private key.
    pub key_uri: &'a Pkcs11Uri,
    /// The user PIN.
    pub pin: Pin,
    /// The Document Signer certificate (PEM).
    pub certificate: &'a Path,
    /// The document cap.
    pub max_documents: u64,
    /// The audit log (JSON lines).
    pub audit_log: &'a Path,
    /// The audit key file (created when missing).
    pub audit_key: &'a Path,
    /// The station's identity, written into every audit record.
    pub station: &'a str,
}

/// Why the token signer could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenSignerError {
    /// The token or its key.
    #[error(transparent)]
    Token(#[from] Pkcs11Error),
    /// The certificate, or a key that is not the certificate's.
    #[error(transparent)]
    Certificate(#[from] PkiError),
    /// The audit log or key.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl TokenSigner<'_> {
    /// Logs in, finds the key, checks it against the certificate, opens the audit.
    pub fn open(self) -> Result<GuardedSigner<DsKey>, TokenSignerError> {
        let module = Module::for_uri(self.module, self.key_uri)?;
        let key = Pkcs11Key::open(module, self.key_uri, &self.pin)?;
        let certificate = read_certificate(self.certificate)?;
        let signer = DocumentSigner::new(certificate, DsKey::from(key))?;
        let audit_key = AuditKey::load_or_create(self.audit_key)?;
        let log = FileAuditLog::open(self.audit_log)?;
        Ok(GuardedSigner::new(
            signer,
            SigningPolicy {
                max_documents: self.max_documents,
            },
            self.station,
            audit_key,
            Box::new(log),
        )?)
    }
}
