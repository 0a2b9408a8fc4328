//! The personalization desk's key-agreement key pair: what a ChipImage is sealed to
//! ([`crate::envelope`]) when it leaves an enrollment station for a separate desk.
//!
//! `desk.pem` is a self-signed X.509 certificate (RFC 5280) of an EC P-256 key with keyUsage
//! keyAgreement (critical, §4.2.1.3) and a subjectKeyIdentifier; its subject says TEST ONLY
//! (`CN=TEST ONLY personalization desk <name>, OU=permitkit test PKI, O=TEST ONLY`) and so do
//! the lines in front of both PEM blocks: the key is a file key. `desk-key.pem` is its PKCS#8
//! private key, written mode 0600 by `permitkit_model::private_file` and never over an existing
//! file (a replaced key would make every image sealed to the old one unreadable).
//!
//! Any P-256 certificate works in its place — one an organisation's CA issued for a key kept in
//! a token, or one OpenSSL made (`openssl req -x509 -newkey ec -pkeyopt
//! ec_paramgen_curve:P-256 …`): the readers here take PKCS#8 (`PRIVATE KEY`) and SEC 1
//! (`EC PRIVATE KEY`) keys, PEM or DER, and PEM or DER certificates.

use std::{
    path::Path,
    str::FromStr,
    time::{Duration, SystemTime},
};

use der::{Encode, asn1::OctetString, oid::AssociatedOid};
use elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use x509_cert::{
    ext::{
        Extension,
        pkix::{KeyUsage, KeyUsages},
    },
    name::Name,
};
use zeroize::Zeroizing;

use crate::{
    PkiError,
    envelope::Recipient,
    pem,
    profile::{self, CertificateParts, Lifetime},
    signer::FileKeySignature,
};

/// The certificate's file name in a desk folder.
pub const CERTIFICATE_FILE: &str = "desk.pem";
/// The private key's file name in a desk folder.
pub const KEY_FILE: &str = "desk-key.pem";
/// How long a desk certificate made here is valid.
pub const VALIDITY: Duration = Duration::from_secs(2 * 365 * 24 * 3600);
/// The largest key or certificate file read.
pub const MAX_FILE_SIZE: u64 = 64 * 1024;

/// A desk's certificate and private key.
pub struct DeskKeyPair {
    certificate_der: Vec<u8>,
    key: p256::SecretKey,
}

impl std::fmt::Debug for DeskKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeskKeyPair {{ certificate: <{} bytes>, key: <P-256> }}",
            self.certificate_der.len()
        )
    }
}

impl DeskKeyPair {
    /// A fresh key and its self-signed TEST ONLY certificate; `name` (letters, digits, space,
    /// `.`, `_`, `-`; at most 48) tells desks apart in the subject.
    pub fn generate(name: &str) -> Result<Self, PkiError> {
        let subject = subject(name)?;
        let key = p256::SecretKey::try_generate_from_rng(&mut getrandom::SysRng)
            .map_err(|e| PkiError::Random(e.into()))?;
        let signer = p256::ecdsa::SigningKey::from(&key);
        let spki = profile::spki_of(signer.verifying_key())?;
        let key_usage = KeyUsage(KeyUsages::KeyAgreement.into())
            .to_der()
            .and_then(OctetString::new)
            .map_err(|e| PkiError::encode("desk certificate", e))?;
        let extensions = vec![
            Extension {
                extn_id: KeyUsage::OID,
                critical: true,
                extn_value: key_usage,
            },
            profile::extensions::subject_key_identifier(&spki)?,
        ];
        let now = SystemTime::now();
        let not_before = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        let not_after = now
            .checked_add(VALIDITY)
            .ok_or_else(|| PkiError::build("desk certificate", "validity ends too far away"))?;
        let certificate_der = profile::issue_certificate::<_, FileKeySignature>(
            &signer,
            CertificateParts {
                subject: subject.clone(),
                issuer: subject,
                spki,
                lifetime: Lifetime {
                    not_before,
                    not_after,
                },
                extensions,
            },
        )?;
        Ok(Self {
            certificate_der,
            key,
        })
    }

    /// Pairs a certificate (DER) with its private key, checking that the certificate can
    /// receive an envelope (P-256, keyAgreement) and that the key is its key.
    pub fn new(certificate_der: Vec<u8>, key: p256::SecretKey) -> Result<Self, PkiError> {
        let recipient = Recipient::from_certificate(&certificate_der)
            .map_err(|e| PkiError::decode("desk certificate", e))?;
        if key.public_key() != *recipient.public_key() {
            return Err(PkiError::KeyMismatch("desk certificate".into()));
        }
        Ok(Self {
            certificate_der,
            key,
        })
    }

    /// Loads a certificate and its key (see [`read_certificate`], [`read_key`]).
    pub fn load(certificate: &Path, key: &Path) -> Result<Self, PkiError> {
        let der = read_certificate(certificate)?;
        let secret = read_key(key)?;
        Self::new(der, secret).map_err(|e| match e {
            PkiError::KeyMismatch(_) => {
                PkiError::KeyMismatch(format!("{} and {}", key.display(), certificate.display()))
            }
            PkiError::Malformed { reason, .. } => PkiError::Malformed {
                what: certificate.display().to_string(),
                reason,
            },
            PkiError::Decode { source, .. } => PkiError::Decode {
                what: certificate.display().to_string(),
                source,
            },
            other => other,
        })
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The private key.
    pub fn key(&self) -> &p256::SecretKey {
        &self.key
    }

    /// Writes [`CERTIFICATE_FILE`] and [`KEY_FILE`] (mode 0600) into `dir`, created if missing.
    /// Refuses, writing nothing, when either file exists.
    pub fn write_dir(&self, dir: &Path) -> Result<(), PkiError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| PkiError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let cert_path = dir.join(CERTIFICATE_FILE);
        let key_path = dir.join(KEY_FILE);
        for path in [&cert_path, &key_path] {
            if path.exists() {
                return Err(PkiError::Build {
                    what: "desk key pair",
                    reason: format!(
                        "{} exists: a desk key is never replaced (images sealed to it could no \
                         longer be opened)",
                        path.display()
                    ),
                });
            }
        }
        let key_der = self
            .key
            .to_pkcs8_der()
            .map_err(|e| PkiError::encode("desk certificate", e))?;
        let key_pem = Zeroizing::new(pem::encode(
            "PRIVATE KEY",
            key_der.as_bytes(),
            &[
                "TEST ONLY - personalization desk private key (permitkit pki desk init).".into(),
                "It opens every ChipImage sealed to desk.pem: keep it on the desk, mode 0600."
                    .into(),
            ],
        )?);
        permitkit_model::private_file::write_new(&key_path, key_pem.as_bytes())
            .map_err(io(&key_path))?;
        let cert_pem = pem::encode(
            "CERTIFICATE",
            &self.certificate_der,
            &[
                "TEST ONLY - personalization desk key-agreement certificate (permitkit pki desk \
                 init)."
                    .into(),
                "Give it to enrollment stations: `permitkit lds seal --to desk.pem`.".into(),
            ],
        )?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&cert_path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, cert_pem.as_bytes()))
            .map_err(io(&cert_path))
    }
}

/// Reads a certificate: PEM (`CERTIFICATE`, explanatory text allowed) or DER.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, PkiError> {
    certificate_from_bytes(read_bounded(path)?, &path.display().to_string())
}

/// A certificate's DER from a file's bytes (PEM or DER); `name` names them in errors.
pub fn certificate_from_bytes(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>, PkiError> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes);
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| PkiError::Malformed {
        what: name.to_owned(),
        reason: "neither DER nor a PEM certificate".into(),
    })?;
    pem::decode(text, "CERTIFICATE", name)
}

/// Reads a P-256 private key: PKCS#8 (`PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`), PEM or DER.
/// Every copy of the key's bytes is zeroized.
pub fn read_key(path: &Path) -> Result<p256::SecretKey, PkiError> {
    let bytes = Zeroizing::new(read_bounded(path)?);
    key_from_bytes(&bytes, &path.display().to_string())
}

/// A P-256 private key from a file's bytes (see [`read_key`]); `name` names them in errors.
pub fn key_from_bytes(bytes: &[u8], name: &str) -> Result<p256::SecretKey, PkiError> {
    let malformed = |reason: String| PkiError::Malformed {
        what: name.to_owned(),
        reason,
    };
    if bytes.first() == Some(&0x30) {
        return p256::SecretKey::from_pkcs8_der(bytes)
            .or_else(|_| p256::SecretKey::from_sec1_der(bytes))
            .map_err(|e| PkiError::decode(format!("{name} (a P-256 PKCS#8 or SEC 1 key)"), e));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| malformed("neither DER nor a PEM private key".into()))?;
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(malformed(
            "an encrypted key: decrypt it first (`openssl pkcs8 -in KEY -out desk-key.pem`)".into(),
        ));
    }
    if text.contains("-----BEGIN EC PRIVATE KEY-----") {
        let der = Zeroizing::new(pem::decode(text, "EC PRIVATE KEY", name)?);
        return p256::SecretKey::from_sec1_der(&der)
            .map_err(|e| PkiError::decode(format!("{name} (a P-256 SEC 1 key)"), e));
    }
    let der = Zeroizing::new(pem::decode(text, "PRIVATE KEY", name)?);
    p256::SecretKey::from_pkcs8_der(&der)
        .map_err(|e| PkiError::decode(format!("{name} (a P-256 PKCS#8 key)"), e))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, PkiError> {
    use std::io::Read as _;
    let io = |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(PkiError::Malformed {
            what: path.display().to_string(),
            reason: format!("larger than {MAX_FILE_SIZE} bytes: not a key or certificate"),
        });
    }
    Ok(bytes)
}

fn subject(name: &str) -> Result<Name, PkiError> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'));
    if !ok {
        return Err(PkiError::build(
            "desk certificate",
            format!("desk name {name:?}: use 1 to 48 letters, digits, spaces, '.', '_' or '-'"),
        ));
    }
    Name::from_str(&format!(
        "CN=TEST ONLY personalization desk {name},OU=permitkit test PKI,O=TEST ONLY"
    ))
    .map_err(|e| PkiError::encode("desk certificate", e))
}
