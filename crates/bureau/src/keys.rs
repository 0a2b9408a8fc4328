//! The P-256 keys of stations and lines (FIPS 186-5 ECDSA over NIST P-256): the private key in a
//! PKCS#8 PEM file written owner-only, the public key registered at the bureau as a
//! SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) in DER.

use std::path::Path;

use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};

use crate::BureauError;

fn key_error(path: &Path, reason: impl std::fmt::Display) -> BureauError {
    BureauError::Key {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A fresh key from the operating system's generator.
pub fn generate() -> Result<SigningKey, BureauError> {
    use p256::elliptic_curve::Generate;
    SigningKey::try_generate_from_rng(&mut getrandom::SysRng)
        .map_err(|e| permitkit_model::random::RandomError::new(e).into())
}

/// Writes `key` to `path` as PKCS#8 PEM, mode 0600 (refusing to replace an existing file).
pub fn write_private(path: &Path, key: &SigningKey) -> Result<(), BureauError> {
    let pem = key
        .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| key_error(path, e))?;
    permitkit_model::private_file::write_new(path, pem.as_bytes()).map_err(|source| {
        BureauError::Io {
            path: path.display().to_string(),
            source,
        }
    })
}

/// Reads a PKCS#8 PEM P-256 private key.
pub fn read_private(path: &Path) -> Result<SigningKey, BureauError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
        BureauError::Io {
            path: path.display().to_string(),
            source,
        }
    })?);
    SigningKey::from_pkcs8_pem(&text).map_err(|e| key_error(path, e))
}

/// The public key as SubjectPublicKeyInfo DER.
pub fn public_der(key: &VerifyingKey) -> Result<Vec<u8>, BureauError> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| key_error(Path::new("(public key)"), e))
}

/// The public key as a PEM `PUBLIC KEY` block, for registration.
pub fn public_pem(key: &VerifyingKey) -> Result<String, BureauError> {
    key.to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| key_error(Path::new("(public key)"), e))
}

/// Reads a public key from a PEM `PUBLIC KEY` file, or derives it from a private key file.
pub fn read_public(path: &Path) -> Result<VerifyingKey, BureauError> {
    let text = std::fs::read_to_string(path).map_err(|source| BureauError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if text.contains("PRIVATE KEY") {
        return Ok(*read_private(path)?.verifying_key());
    }
    VerifyingKey::from_public_key_pem(&text).map_err(|e| key_error(path, e))
}

/// Decodes a stored SubjectPublicKeyInfo.
pub fn from_der(der: &[u8]) -> Option<VerifyingKey> {
    VerifyingKey::from_public_key_der(der).ok()
}
