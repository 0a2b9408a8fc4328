//! The Document Signer: a certificate and a signing key (ICAO Doc 9303-12 §4.2).
//!
//! [`DocumentSigner`] pairs the DS certificate, kept as the exact DER bytes the CSCA signed, with
//! any signer the `cms` builder accepts. The file-key signer is `p256::ecdsa::SigningKey`
//! (ECDSA P-256 with SHA-256, RFC 6979 deterministic nonces), loaded from PKCS#8; its bytes are
//! zeroized when dropped. An HSM signer implements the same traits.

use std::path::Path;

use der::{Decode, Encode};
use p256::pkcs8::DecodePrivateKey;
use signature::Keypair;
use spki::EncodePublicKey;
use x509_cert::Certificate;

use super::{PkiError, pem};

/// ECDSA P-256 file key.
pub type FileKey = p256::ecdsa::SigningKey;
/// The DER-encoded ECDSA signature the file key produces for CMS.
pub type FileKeySignature = p256::ecdsa::DerSignature;

/// A Document Signer certificate and the signer for its key.
pub struct DocumentSigner<S = FileKey> {
    certificate_der: Vec<u8>,
    signer: S,
}

impl<S> std::fmt::Debug for DocumentSigner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DocumentSigner {{ certificate: <{} bytes> }}",
            self.certificate_der.len()
        )
    }
}

impl<S> DocumentSigner<S>
where
    S: Keypair,
    S::VerifyingKey: EncodePublicKey,
{
    /// Pairs a DER certificate with its signer, checking that the keys match.
    pub fn new(certificate_der: Vec<u8>, signer: S) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(&certificate_der)
            .map_err(|e| PkiError::decode("Document Signer certificate", e))?;
        let cert_key = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| PkiError::encode("Document Signer public key", e))?;
        let signer_key = signer
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::encode("signer public key", e))?;
        if cert_key != signer_key.as_bytes() {
            return Err(PkiError::KeyMismatch("Document Signer".into()));
        }
        Ok(Self {
            certificate_der,
            signer,
        })
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The signer.
    pub fn signer(&self) -> &S {
        &self.signer
    }
}

impl DocumentSigner<FileKey> {
    /// Loads `ds.pem` and `ds-key.pem` (PKCS#8) from `dir`, as `pki init` writes them.
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        let cert = read_certificate(&dir.join("ds.pem"))?;
        let key = read_private_key(&dir.join("ds-key.pem"))?;
        Self::new(cert, key)
    }
}

/// Reads a PEM certificate (explanatory text allowed) as DER.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, PkiError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: shown.clone(),
        source,
    })?;
    pem::decode(&text, "CERTIFICATE", &shown)
}

/// Reads a PKCS#8 PEM P-256 private key.
pub fn read_private_key(path: &Path) -> Result<FileKey, PkiError> {
    let shown = path.display().to_string();
    let text =
        zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| PkiError::Io {
                path: shown.clone(),
                source,
            })?,
        );
    let der = zeroize::Zeroizing::new(pem::decode(&text, "PRIVATE KEY", &shown)?);
    FileKey::from_pkcs8_der(&der).map_err(|e| PkiError::decode(shown, e))
}
