//! Encryption of biometric captures at rest: AES-256-GCM (NIST SP 800-38D) with a random 96-bit
//! nonce per blob and the enrolment id and blob name as associated data, so a ciphertext cannot
//! be moved to another enrolment or name unnoticed. The 256-bit station key lives in a file of
//! its own beside the database, never in it, written by the private-file writer
//! (`permitkit_model::private_file`: mode 0600, whole or not at all, never over another key).

use std::path::Path;

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, KeyInit, Payload},
};

use super::JournalError;
use permitkit_model::{private_file, secret::SecretBytes};

/// Length of the station key: AES-256.
const KEY_LEN: usize = 32;

/// The station key at `path`; `None` when there is no such file.
/// The secret of the personalization journal's document keys: HMAC-SHA-256 (RFC 2104) of a
/// label under the station key, so the key that encrypts the blobs never serves as an HMAC key
/// itself.
pub fn derive_document_secret(key: &SecretBytes) -> SecretBytes {
    use hmac::{Hmac, KeyInit, Mac};
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.expose()) else {
        return SecretBytes::new(Vec::new());
    };
    mac.update(b"permitkit station: personalization journal document keys");
    SecretBytes::from_slice(&mac.finalize().into_bytes())
}

pub fn read_key(path: &Path) -> Result<Option<SecretBytes>, JournalError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = zeroize::Zeroizing::new(bytes);
            if bytes.len() != KEY_LEN {
                return Err(key_error(
                    path,
                    format!("{} bytes; a station key has {KEY_LEN}", bytes.len()),
                ));
            }
            Ok(Some(SecretBytes::from_slice(&bytes)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(key_error(path, e.to_string())),
    }
}

/// Makes a random station key at `path` (which must not exist) with the private-file writer;
/// when another process made one first, that one is read instead.
pub fn create_key(path: &Path) -> Result<SecretBytes, JournalError> {
    let mut key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
    permitkit_model::random::fill_random(key.as_mut())
        .map_err(|e| key_error(path, e.to_string()))?;
    match private_file::write_new(path, key.as_ref()) {
        Ok(()) => Ok(SecretBytes::from_slice(key.as_ref())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path)?
            .ok_or_else(|| key_error(path, "appeared and vanished while being made".into())),
        Err(e) => Err(key_error(path, e.to_string())),
    }
}

fn key_error(path: &Path, reason: String) -> JournalError {
    JournalError::Key {
        path: path.to_path_buf(),
        reason,
    }
}

/// Encrypts `data`; returns `(nonce, ciphertext with tag)`.
pub fn seal(
    key: &SecretBytes,
    id: &str,
    name: &str,
    data: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let cipher = Aes256Gcm::new_from_slice(key.expose()).map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 12];
    permitkit_model::random::fill_random(&mut nonce).map_err(|e| e.to_string())?;
    let aad = aad(id, name);
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: data,
                aad: &aad,
            },
        )
        .map_err(|e| e.to_string())?;
    Ok((nonce.to_vec(), ct))
}

/// Decrypts and authenticates; `None` when the key, nonce, names or ciphertext do not match.
pub fn open(
    key: &SecretBytes,
    id: &str,
    name: &str,
    nonce: &[u8],
    ct: &[u8],
) -> Option<SecretBytes> {
    let cipher = Aes256Gcm::new_from_slice(key.expose()).ok()?;
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let aad = aad(id, name);
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: &aad })
        .ok()
        .map(SecretBytes::new)
}

fn aad(id: &str, name: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(id.len() + name.len() + 1);
    a.extend_from_slice(id.as_bytes());
    a.push(0);
    a.extend_from_slice(name.as_bytes());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = SecretBytes::from_slice(&[7u8; 32]);
        let (n, ct) = seal(&key, "e1", "photo.jpg", b"data").unwrap();
        assert_eq!(ct.len(), 4 + 16);
        assert_eq!(
            open(&key, "e1", "photo.jpg", &n, &ct).unwrap().expose(),
            b"data"
        );
        assert!(open(&key, "e2", "photo.jpg", &n, &ct).is_none());
        assert!(open(&key, "e1", "sig.jpg", &n, &ct).is_none());
        let other = SecretBytes::from_slice(&[8u8; 32]);
        assert!(open(&other, "e1", "photo.jpg", &n, &ct).is_none());
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(open(&key, "e1", "photo.jpg", &n, &bad).is_none());
    }
}
