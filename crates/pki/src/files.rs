//! The files of the PKI: certificates, CRLs and master lists as PEM (RFC 7468, explanatory text
//! allowed) or DER, private keys as PKCS#8 PEM written mode 0600 through
//! `permitkit_model::private_file`. Every file this toolkit writes with a file key in it says
//! TEST ONLY in front of its block. Reads are bounded: no file of the trust material is larger
//! than [`MAX_FILE_SIZE`].

use std::path::Path;

use p256::pkcs8::EncodePrivateKey;

use crate::{PkiError, pem, signer::FileKey};

/// The largest certificate, CRL or master list file read (the ICAO master lists of 2025 are
/// about 1 MB).
pub const MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// The lines written in front of every block of a file holding, or made with, a file key.
pub fn test_only_note(what: &str) -> Vec<String> {
    vec![
        format!("TEST ONLY - {what} of the permitkit test PKI."),
        "NOT FOR PRODUCTION: documents signed with this PKI must never be issued.".into(),
    ]
}

/// Reads a file of at most [`MAX_FILE_SIZE`] bytes.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, PkiError> {
    use std::io::Read as _;
    let io = |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(PkiError::Malformed {
            what: path.display().to_string(),
            reason: format!("larger than {MAX_FILE_SIZE} bytes"),
        });
    }
    Ok(bytes)
}

/// The DER of a file holding one `label` object (`CERTIFICATE`, `X509 CRL`, `CMS`,
/// `CERTIFICATE REQUEST`): PEM with explanatory text, or DER as it is.
pub fn read_der(path: &Path, label: &'static str) -> Result<Vec<u8>, PkiError> {
    let bytes = read_bounded(path)?;
    der_of(&bytes, label, &path.display().to_string())
}

/// [`read_der`] on bytes already read; `name` names them in errors.
pub fn der_of(bytes: &[u8], label: &'static str, name: &str) -> Result<Vec<u8>, PkiError> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| PkiError::Malformed {
        what: name.to_owned(),
        reason: format!("neither DER nor a PEM {label} block"),
    })?;
    pem::decode(text, label, name)
}

/// Writes a certificate (or CRL, `label` `X509 CRL`) as PEM, with `note` in front of it.
pub fn write_pem(
    path: &Path,
    label: &'static str,
    der: &[u8],
    note: &[String],
) -> Result<(), PkiError> {
    let text = pem::encode(label, der, note)?;
    std::fs::write(path, text).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a file that holds no secret.
pub fn write_public(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    std::fs::write(path, bytes).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a TEST ONLY private key, PKCS#8 PEM, mode 0600.
pub fn write_private_key(path: &Path, key: &FileKey, what: &str) -> Result<(), PkiError> {
    let der = key.to_pkcs8_der().map_err(|e| PkiError::encode(what, e))?;
    let text = zeroize::Zeroizing::new(pem::encode(
        "PRIVATE KEY",
        der.as_bytes(),
        &test_only_note(what),
    )?);
    permitkit_model::private_file::write(path, text.as_bytes()).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// A new P-256 key from the system's generator (a TEST ONLY file key).
pub fn new_file_key() -> Result<FileKey, PkiError> {
    use p256::elliptic_curve::Generate;
    FileKey::try_generate_from_rng(&mut getrandom::SysRng).map_err(|e| PkiError::Random(e.into()))
}
