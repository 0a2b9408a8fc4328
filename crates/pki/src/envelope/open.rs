//! The recipient's side of an envelope (RFC 5652 §6.2.2, RFC 5753 §3.1.3;
//! `docs/spec/cms-envelope.md` §1–§6): ContentInfo → EnvelopedData → the KeyAgreeRecipientInfo
//! naming the certificate → ECDH with the originator's ephemeral key → KEK → AES key unwrap →
//! AES-CBC decryption with the padding checked. Every step that can fail says which, with the
//! OID of an algorithm it does not take; no input makes it panic.

use cms::{
    content_info::ContentInfo,
    enveloped_data::{
        EnvelopedData, KeyAgreeRecipientInfo, OriginatorIdentifierOrKey, RecipientEncryptedKey,
        RecipientInfo,
    },
};
use der::{
    Decode,
    asn1::{Null, ObjectIdentifier, OctetString},
};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::{
    ContentCipher, EnvelopeError, ID_DATA, ID_ENVELOPED_DATA, KdfHash, KeyWrap, MAX_ENVELOPE_SIZE,
    kari::key_encryption_key,
    recipient::{ID_EC_PUBLIC_KEY, Recipient, SECP256R1, describe_identifier},
};

/// Decrypts the envelope `der` (a ContentInfo holding EnvelopedData, DER) with the recipient's
/// private `key` and its `certificate` (DER), which names the recipient in the envelope. The
/// content comes back in a buffer zeroized when dropped.
pub fn open(
    der: &[u8],
    key: &p256::SecretKey,
    certificate: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if der.len() > MAX_ENVELOPE_SIZE {
        return Err(EnvelopeError::TooLarge {
            what: "envelope",
            size: der.len(),
            max: MAX_ENVELOPE_SIZE,
        });
    }
    let recipient = Recipient::from_certificate(certificate)?;
    if key.public_key() != *recipient.public_key() {
        return Err(EnvelopeError::KeyMismatch);
    }
    let info = ContentInfo::from_der(der).map_err(|source| EnvelopeError::Malformed {
        what: "CMS ContentInfo",
        source,
    })?;
    if info.content_type != ID_ENVELOPED_DATA {
        return Err(EnvelopeError::NotEnvelopedData(info.content_type));
    }
    let enveloped: EnvelopedData =
        info.content
            .decode_as()
            .map_err(|source| EnvelopeError::Malformed {
                what: "EnvelopedData",
                source,
            })?;
    let (kari, encrypted_key) = find_recipient(&enveloped, &recipient)?;
    let cipher = ContentCipher::from_oid(enveloped.encrypted_content.content_enc_alg.oid)?;
    let cek = content_key(kari, encrypted_key, key, cipher)?;
    decrypt_content(&enveloped, cipher, &cek)
}

/// The KeyAgreeRecipientInfo and the encrypted key that name `recipient`.
fn find_recipient<'e>(
    enveloped: &'e EnvelopedData,
    recipient: &Recipient,
) -> Result<(&'e KeyAgreeRecipientInfo, &'e RecipientEncryptedKey), EnvelopeError> {
    let mut others = Vec::new();
    let mut theirs = Vec::new();
    for info in enveloped.recip_infos.0.iter() {
        let kari = match info {
            RecipientInfo::Kari(kari) => kari,
            RecipientInfo::Ktri(_) => {
                others.push("an RSA key-transport recipient");
                continue;
            }
            RecipientInfo::Kekri(_) => {
                others.push("a symmetric key-encryption-key recipient");
                continue;
            }
            RecipientInfo::Pwri(_) => {
                others.push("a password recipient");
                continue;
            }
            RecipientInfo::Ori(_) => {
                others.push("another kind of recipient");
                continue;
            }
        };
        for encrypted in &kari.recipient_enc_keys {
            if recipient.is(&encrypted.rid) {
                return Ok((kari, encrypted));
            }
            theirs.push(describe_identifier(&encrypted.rid));
        }
    }
    if theirs.is_empty() {
        return Err(EnvelopeError::NoKeyAgreeRecipient(others.join(", ")));
    }
    Err(EnvelopeError::WrongRecipient {
        ours: recipient.describe(),
        theirs: theirs.join("; "),
    })
}

/// ECDH with the originator's key, the KEK, and the unwrapped content-encryption key.
fn content_key(
    kari: &KeyAgreeRecipientInfo,
    encrypted: &RecipientEncryptedKey,
    key: &p256::SecretKey,
    cipher: ContentCipher,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let hash = KdfHash::from_oid(kari.key_enc_alg.oid)?;
    let wrap_algorithm: AlgorithmIdentifierOwned = kari
        .key_enc_alg
        .parameters
        .as_ref()
        .ok_or_else(|| EnvelopeError::BadField {
            what: "keyEncryptionAlgorithm",
            reason: "no key wrap algorithm in its parameters (RFC 5753 §3.1.1)".into(),
        })?
        .decode_as()
        .map_err(|source| EnvelopeError::Malformed {
            what: "key wrap AlgorithmIdentifier",
            source,
        })?;
    let wrap = KeyWrap::from_oid(wrap_algorithm.oid)?;
    let originator = originator_key(&kari.originator)?;
    let shared = p256::ecdh::diffie_hellman(key.to_nonzero_scalar(), originator.as_affine());
    let kek = key_encryption_key(
        shared.raw_secret_bytes(),
        hash,
        wrap,
        &wrap_algorithm,
        kari.ukm.as_ref(),
    )?;
    let wrapped = encrypted.enc_key.as_bytes();
    if wrapped.len() != cipher.key_len() + 8 {
        return Err(EnvelopeError::BadField {
            what: "encryptedKey",
            reason: format!(
                "{} bytes, not the {} of a wrapped {}-bit content key",
                wrapped.len(),
                cipher.key_len() + 8,
                cipher.key_len() * 8
            ),
        });
    }
    let mut cek = Zeroizing::new(vec![0u8; cipher.key_len()]);
    wrap.unwrap(&kek, wrapped, &mut cek)?;
    Ok(cek)
}

/// The originator's ephemeral public key: originatorKey, id-ecPublicKey with parameters absent,
/// NULL or secp256r1 (RFC 5753 §3.1.1), a point of P-256.
fn originator_key(
    originator: &OriginatorIdentifierOrKey,
) -> Result<p256::PublicKey, EnvelopeError> {
    let OriginatorIdentifierOrKey::OriginatorKey(key) = originator else {
        return Err(EnvelopeError::BadField {
            what: "originator",
            reason: "identified by a certificate (static-static ECDH), not an ephemeral key: \
                     only ephemeral-static ECDH is supported (RFC 5753 §3.1)"
                .into(),
        });
    };
    if key.algorithm.oid != ID_EC_PUBLIC_KEY {
        return Err(EnvelopeError::UnsupportedAlgorithm {
            what: "originator key",
            oid: key.algorithm.oid,
            hint: " (expected id-ecPublicKey)",
        });
    }
    if let Some(params) = &key.algorithm.parameters
        && params.decode_as::<Null>().is_err()
    {
        let curve =
            params
                .decode_as::<ObjectIdentifier>()
                .map_err(|source| EnvelopeError::Malformed {
                    what: "originator key parameters",
                    source,
                })?;
        if curve != SECP256R1 {
            return Err(EnvelopeError::UnsupportedAlgorithm {
                what: "originator key curve",
                oid: curve,
                hint: " (the recipient's key is on P-256)",
            });
        }
    }
    let point = key
        .public_key
        .as_bytes()
        .ok_or(EnvelopeError::BadOriginatorKey)?;
    p256::PublicKey::from_sec1_bytes(point).map_err(|_| EnvelopeError::BadOriginatorKey)
}

/// The content, decrypted and unpadded.
fn decrypt_content(
    enveloped: &EnvelopedData,
    cipher: ContentCipher,
    cek: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let content = &enveloped.encrypted_content;
    if content.content_type != ID_DATA {
        return Err(EnvelopeError::BadField {
            what: "encryptedContentInfo",
            reason: format!(
                "content type {}, not id-data (1.2.840.113549.1.7.1)",
                content.content_type
            ),
        });
    }
    let iv: OctetString = content
        .content_enc_alg
        .parameters
        .as_ref()
        .ok_or_else(|| EnvelopeError::BadField {
            what: "content encryption",
            reason: "no IV in the algorithm parameters".into(),
        })?
        .decode_as()
        .map_err(|source| EnvelopeError::Malformed {
            what: "content encryption IV",
            source,
        })?;
    if iv.as_bytes().len() != 16 {
        return Err(EnvelopeError::BadField {
            what: "content encryption IV",
            reason: format!("{} bytes, not 16", iv.as_bytes().len()),
        });
    }
    let ciphertext = content
        .encrypted_content
        .as_ref()
        .ok_or_else(|| EnvelopeError::BadField {
            what: "encryptedContent",
            reason: "absent (detached content is not supported)".into(),
        })?
        .as_bytes();
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(EnvelopeError::BadField {
            what: "encryptedContent",
            reason: format!(
                "{} bytes, not a whole number of AES blocks",
                ciphertext.len()
            ),
        });
    }
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = cipher.decrypt(cek, iv.as_bytes(), &mut buf)?;
    buf.truncate(len);
    Ok(buf)
}
