//! CMS EnvelopedData to one P-256 recipient (RFC 5652 §6; `docs/spec/cms-envelope.md`): how a
//! ChipImage travels to a separate personalization desk without being readable on the way.
//!
//! [`seal`] encrypts content to the holder of a certificate's key: a fresh AES-256 content key
//! encrypts the content in CBC mode (the `cms` crate's [`EnvelopedDataBuilder`]), and one
//! KeyAgreeRecipientInfo carries that key, wrapped (RFC 3394, id-aes256-wrap) under a key
//! derived (ANSI X9.63 KDF with SHA-256 over ECC-CMS-SharedInfo, RFC 5753 §7.2) from
//! ephemeral-static ECDH with the recipient's key (dhSinglePass-stdDH-sha256kdf-scheme,
//! RFC 5753 §3.1). The recipient is named by its certificate's issuer and serial number.
//! The KeyAgreeRecipientInfo is built here (`envelope/kari.rs`), not by the `cms` crate's
//! `KeyAgreeRecipientInfoBuilder`, which in 0.3.0-rc.0 wraps the key under an all-zero key
//! (`docs/spec/cms-envelope.md` §7).
//!
//! [`open`] is the recipient's side, written here (the `cms` crate has no decryptor): it also
//! takes the SHA-224/384/512 KDFs and AES-128/192 wraps and CBC ciphers that OpenSSL's
//! `cms -encrypt` may produce, and refuses anything else with the algorithm's OID.
//!
//! EnvelopedData gives confidentiality, not integrity or origin: anyone holding the desk's
//! certificate can seal, and CBC does not detect every alteration. What the content holds must
//! be checked on its own — a ChipImage package is re-checked against its signed EF.SOD.
//!
//! [`EnvelopedDataBuilder`]: cms::builder::EnvelopedDataBuilder

mod algorithms;
mod kari;
mod open;
mod recipient;
mod rng;

use cms::{
    builder::{ContentEncryptionAlgorithm, EnvelopedDataBuilder},
    content_info::ContentInfo,
};
use der::{Any, Encode, asn1::ObjectIdentifier};
use elliptic_curve::Generate;

pub use algorithms::{ContentCipher, KdfHash, KeyWrap};
pub use open::open;
pub use recipient::Recipient;

/// The largest content [`seal`] encrypts (a ChipImage package is at most about 21 MB).
pub const MAX_CONTENT_SIZE: usize = 32 << 20;
/// The largest envelope [`open`] reads: the largest content, its padding and the structure.
pub const MAX_ENVELOPE_SIZE: usize = MAX_CONTENT_SIZE + (64 << 10);

/// `id-envelopedData` (RFC 5652 §6.1).
pub const ID_ENVELOPED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
/// `id-data` (RFC 5652 §4).
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// Why an envelope cannot be made or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Input larger than the bound.
    #[error("{what} of {size} bytes is larger than the {max} bytes accepted")]
    TooLarge {
        /// What was too large (`content`, `envelope`).
        what: &'static str,
        /// Its size.
        size: usize,
        /// The bound.
        max: usize,
    },
    /// Bytes that are not the DER structure expected.
    #[error("{what} is not valid DER")]
    Malformed {
        /// The structure being read.
        what: &'static str,
        /// The decoder's error, with its position.
        #[source]
        source: der::Error,
    },
    /// A file in S/MIME or another text form where DER (or PEM) was expected.
    #[error(
        "not a DER or PEM CMS file ({0}): encrypt with `openssl cms -encrypt -binary -outform DER`"
    )]
    NotDer(&'static str),
    /// A ContentInfo that holds something else than EnvelopedData.
    #[error("the CMS content is {0}, not EnvelopedData (1.2.840.113549.1.7.3)")]
    NotEnvelopedData(ObjectIdentifier),
    /// No KeyAgreeRecipientInfo at all (for example an RSA key-transport envelope).
    #[error(
        "the envelope has no key-agreement recipient (it holds {0}): it was not made for an EC key"
    )]
    NoKeyAgreeRecipient(String),
    /// Key-agreement recipients exist, none of them this certificate.
    #[error("the envelope is not for this certificate ({ours}); it is for {theirs}")]
    WrongRecipient {
        /// The certificate given.
        ours: String,
        /// The recipients the envelope names.
        theirs: String,
    },
    /// An algorithm outside the supported set, named by its OID.
    #[error("unsupported {what}: {oid}{hint}")]
    UnsupportedAlgorithm {
        /// Which algorithm (key agreement, key wrap, content encryption, curve).
        what: &'static str,
        /// Its object identifier.
        oid: ObjectIdentifier,
        /// What to do instead, if anything.
        hint: &'static str,
    },
    /// Algorithm parameters or a field of the wrong form.
    #[error("{what}: {reason}")]
    BadField {
        /// The field.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The originator's ephemeral public key is not a point of P-256.
    #[error("the originator's ephemeral key is not a valid P-256 point (the envelope was altered)")]
    BadOriginatorKey,
    /// The AES key unwrap integrity check failed.
    #[error(
        "the content key does not unwrap: the private key is not the one this envelope was \
         sealed to, or the envelope was altered"
    )]
    UnwrapFailed,
    /// The decrypted content's padding is wrong.
    #[error(
        "the decrypted content has bad padding: wrong content key, or the envelope was altered"
    )]
    BadPadding,
    /// The recipient certificate, or a part of it, does not decode.
    #[error("recipient certificate: the {part} does not decode")]
    Certificate {
        /// The part (`certificate`, `keyUsage extension`).
        part: &'static str,
        /// The decoder's error.
        #[source]
        source: der::Error,
    },
    /// The recipient certificate's key claims P-256 but is not a point of the curve.
    #[error("recipient certificate: the public key is not a P-256 point")]
    CertificateKey(#[source] elliptic_curve::Error),
    /// The recipient certificate's key is not an EC P-256 key.
    #[error("recipient certificate: the key is {0}, not EC P-256")]
    NotP256(String),
    /// The recipient certificate's keyUsage does not allow key agreement.
    #[error("recipient certificate: keyUsage ({0}) does not include keyAgreement")]
    NoKeyAgreement(String),
    /// The private key is not the key of the certificate.
    #[error("the private key does not belong to the certificate given with it")]
    KeyMismatch,
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] permitkit_model::random::RandomError),
    /// The CMS builder refused to build the envelope.
    #[error("building the envelope")]
    Build(#[source] cms::builder::Error),
    /// The envelope built does not encode as DER.
    #[error("encoding the envelope")]
    Encode(#[source] der::Error),
    /// Wrapping the content key (RFC 3394) failed.
    #[error("wrapping the content key")]
    KeyWrap(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A key-agreement recipient was asked to build twice: its ephemeral key is used once.
    #[error("the ephemeral key of a key-agreement recipient was already used")]
    EphemeralKeyReused,
}

/// Encrypts `content` to the holder of the key of `recipient_certificate` (DER): a ContentInfo
/// holding EnvelopedData, DER. The certificate's key must be EC P-256 and, when it has a
/// keyUsage extension, allow keyAgreement.
pub fn seal(content: &[u8], recipient_certificate: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    if content.len() > MAX_CONTENT_SIZE {
        return Err(EnvelopeError::TooLarge {
            what: "content",
            size: content.len(),
            max: MAX_CONTENT_SIZE,
        });
    }
    let recipient = Recipient::from_certificate(recipient_certificate)?;
    let ephemeral = p256::ecdh::EphemeralSecret::try_generate_from_rng(&mut getrandom::SysRng)
        .map_err(|e| EnvelopeError::Random(e.into()))?;
    let kari = kari::EcdhRecipient::new(&recipient, ephemeral);
    let build = EnvelopeError::Build;
    let mut builder = EnvelopedDataBuilder::<rng::SealRng>::new(
        None,
        content,
        ContentEncryptionAlgorithm::Aes256Cbc,
        None,
    )
    .map_err(build)?;
    let mut rng = rng::SealRng::default();
    let enveloped = builder
        .add_recipient_info(kari)
        .map_err(build)?
        .build_with_rng(&mut rng)
        .map_err(build)?;
    rng.check()?;
    let info = ContentInfo {
        content_type: ID_ENVELOPED_DATA,
        content: Any::encode_from(&enveloped).map_err(EnvelopeError::Encode)?,
    };
    info.to_der().map_err(EnvelopeError::Encode)
}

/// The DER of a CMS file: DER as it is, or the block of a PEM file labelled `CMS` or `PKCS7`
/// (what `openssl cms -outform PEM` writes). S/MIME is refused with a hint.
pub fn der_of_file(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, EnvelopeError> {
    use std::borrow::Cow;
    if bytes.first() == Some(&0x30) {
        return Ok(Cow::Borrowed(bytes));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| EnvelopeError::NotDer("binary, not DER"))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with("MIME-Version") || trimmed.starts_with("Content-Type") {
        return Err(EnvelopeError::NotDer("S/MIME"));
    }
    for label in ["CMS", "PKCS7"] {
        let begin = format!("-----BEGIN {label}-----");
        if let Some(start) = trimmed.find(&begin) {
            let block = trimmed.get(start..).unwrap_or_default();
            let end = format!("-----END {label}-----");
            let block = block
                .find(&end)
                .and_then(|i| block.get(..i + end.len()))
                .unwrap_or(block);
            let (_, der) =
                der::pem::decode_vec(block.as_bytes()).map_err(|e| EnvelopeError::Malformed {
                    what: "PEM CMS block",
                    source: e.into(),
                })?;
            return Ok(Cow::Owned(der));
        }
    }
    Err(EnvelopeError::NotDer("text without a CMS PEM block"))
}
