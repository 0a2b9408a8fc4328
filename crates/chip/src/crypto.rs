//! Cryptographic primitives of eMRTD access control and secure messaging (ICAO Doc 9303-11
//! §9.7 key derivation, §9.8 secure messaging; ISO/IEC 9797-1).
//!
//! - [`kdf`]: `KDF(K, c) = H(K ‖ c)` with SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256
//!   (9303-11 §9.7.1), 3DES keys with odd parity ([`adjust_parity`]).
//! - [`pad`]/[`unpad`]: ISO/IEC 9797-1 padding method 2 (`80 00…`, always added).
//! - [`mac`]: ISO/IEC 9797-1 MAC algorithm 3 with DES (the "retail MAC", 8 bytes) for 3DES
//!   sessions, AES-CMAC (NIST SP 800-38B) truncated to 8 bytes for AES sessions.
//! - [`encrypt_cbc`]/[`decrypt_cbc`]: two-key 3DES-CBC and AES-CBC with an explicit IV.

use aes::{Aes128, Aes192, Aes256};
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use cmac::{Cmac, Mac};
use des::{Des, TdesEde2};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use permitkit_model::secret::SecretBytes;

/// Length of every MAC and authentication token used by 9303-11 (8 bytes).
pub const MAC_LEN: usize = 8;

/// What went wrong in a primitive: always a programming or protocol-state error (wrong key or
/// block length), never a secret-dependent condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key of the wrong length for the cipher.
    #[error("{cipher} key must be {expected} bytes, got {actual}")]
    KeyLength {
        /// The cipher.
        cipher: Cipher,
        /// Required key length.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// Data that is not a whole number of cipher blocks.
    #[error("{len} bytes is not a multiple of the {block}-byte block")]
    NotBlockAligned {
        /// Data length.
        len: usize,
        /// Block length.
        block: usize,
    },
    /// Padding method 2 not found where it must be.
    #[error("ISO/IEC 9797-1 padding method 2 missing")]
    BadPadding,
}

/// The block cipher of a session (9303-11 §9.8.6, Table 4 of §4.4 for PACE), as the OIDs of
/// EF.CardAccess and DG14 name it.
pub use permitkit_lds::security_infos::Cipher;

/// KDF counter for the encryption key.
pub const KDF_ENC: u32 = 1;
/// KDF counter for the MAC key.
pub const KDF_MAC: u32 = 2;
/// KDF counter for the PACE password key Kπ.
pub const KDF_PACE: u32 = 3;

/// `KDF(K, c)` of 9303-11 §9.7.1: the hash of the shared secret and a 32-bit big-endian counter,
/// cut to the key length; 3DES keys get odd parity.
pub fn kdf(shared_secret: &[u8], counter: u32, cipher: Cipher) -> SecretBytes {
    let c = counter.to_be_bytes();
    let mut key = match cipher {
        Cipher::Tdes | Cipher::Aes128 => {
            let mut h = Sha1::new();
            h.update(shared_secret);
            h.update(c);
            h.finalize().to_vec()
        }
        Cipher::Aes192 | Cipher::Aes256 => {
            let mut h = Sha256::new();
            h.update(shared_secret);
            h.update(c);
            h.finalize().to_vec()
        }
    };
    key.truncate(cipher.key_len());
    if cipher == Cipher::Tdes {
        adjust_parity(&mut key);
    }
    SecretBytes::new(key)
}

/// Sets the low bit of each byte so that every byte has odd parity (DES key convention).
pub fn adjust_parity(key: &mut [u8]) {
    for b in key {
        let ones = (*b & 0xFE).count_ones();
        *b = (*b & 0xFE) | u8::from(ones % 2 == 0);
    }
}

/// ISO/IEC 9797-1 padding method 2: `80` then zeros up to a multiple of `block`.
pub fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + block);
    out.extend_from_slice(data);
    out.push(0x80);
    while out.len() % block != 0 {
        out.push(0);
    }
    out
}

/// Removes ISO/IEC 9797-1 padding method 2.
pub fn unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    let end = data
        .iter()
        .rposition(|&b| b != 0)
        .ok_or(CryptoError::BadPadding)?;
    match data.get(end) {
        Some(0x80) => Ok(data.get(..end).unwrap_or_default()),
        _ => Err(CryptoError::BadPadding),
    }
}

fn check_key(cipher: Cipher, key: &[u8]) -> Result<(), CryptoError> {
    if key.len() == cipher.key_len() {
        Ok(())
    } else {
        Err(CryptoError::KeyLength {
            cipher,
            expected: cipher.key_len(),
            actual: key.len(),
        })
    }
}

fn check_blocks(data: &[u8], block: usize) -> Result<(), CryptoError> {
    if data.len().is_multiple_of(block) {
        Ok(())
    } else {
        Err(CryptoError::NotBlockAligned {
            len: data.len(),
            block,
        })
    }
}

fn cbc_encrypt_with<C: BlockCipherEncrypt>(c: &C, iv: &[u8], data: &mut [u8], block: usize) {
    let mut chain = iv.to_vec();
    for chunk in data.chunks_exact_mut(block) {
        for (b, p) in chunk.iter_mut().zip(&chain) {
            *b ^= p;
        }
        if let Ok(blk) = <&mut cipher::Block<C>>::try_from(&mut *chunk) {
            c.encrypt_block(blk);
        }
        chain.copy_from_slice(chunk);
    }
}

fn cbc_decrypt_with<C: BlockCipherDecrypt>(c: &C, iv: &[u8], data: &mut [u8], block: usize) {
    let mut chain = iv.to_vec();
    for chunk in data.chunks_exact_mut(block) {
        let saved = chunk.to_vec();
        if let Ok(blk) = <&mut cipher::Block<C>>::try_from(&mut *chunk) {
            c.decrypt_block(blk);
        }
        for (b, p) in chunk.iter_mut().zip(&chain) {
            *b ^= p;
        }
        chain = saved;
    }
}

/// CBC encryption of block-aligned `data` with `iv` (one block).
pub fn encrypt_cbc(
    cipher: Cipher,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_key(cipher, key)?;
    let block = cipher.block_len();
    check_blocks(data, block)?;
    check_blocks(iv, block)?;
    let mut out = data.to_vec();
    match cipher {
        Cipher::Tdes => cbc_encrypt_with(&tdes(key)?, iv, &mut out, block),
        Cipher::Aes128 => cbc_encrypt_with(&aes128(key)?, iv, &mut out, block),
        Cipher::Aes192 => cbc_encrypt_with(&aes192(key)?, iv, &mut out, block),
        Cipher::Aes256 => cbc_encrypt_with(&aes256(key)?, iv, &mut out, block),
    }
    Ok(out)
}

/// CBC decryption of block-aligned `data` with `iv` (one block).
pub fn decrypt_cbc(
    cipher: Cipher,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_key(cipher, key)?;
    let block = cipher.block_len();
    check_blocks(data, block)?;
    check_blocks(iv, block)?;
    let mut out = data.to_vec();
    match cipher {
        Cipher::Tdes => cbc_decrypt_with(&tdes(key)?, iv, &mut out, block),
        Cipher::Aes128 => cbc_decrypt_with(&aes128(key)?, iv, &mut out, block),
        Cipher::Aes192 => cbc_decrypt_with(&aes192(key)?, iv, &mut out, block),
        Cipher::Aes256 => cbc_decrypt_with(&aes256(key)?, iv, &mut out, block),
    }
    Ok(out)
}

/// One-block ECB encryption (the AES secure-messaging IV is `E(KSenc, SSC)`, 9303-11 §9.8.6.3).
pub fn encrypt_block(cipher: Cipher, key: &[u8], block: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let zero = vec![0u8; cipher.block_len()];
    if block.len() != cipher.block_len() {
        return Err(CryptoError::NotBlockAligned {
            len: block.len(),
            block: cipher.block_len(),
        });
    }
    encrypt_cbc(cipher, key, &zero, block)
}

/// The 8-byte MAC of 9303-11 §9.8.6: retail MAC for 3DES (the caller pads: `msg` must be a
/// multiple of 8 bytes), AES-CMAC truncated to 8 bytes for AES (over `msg` as given).
pub fn mac(cipher: Cipher, key: &[u8], msg: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
    check_key(cipher, key)?;
    let full: Vec<u8> = match cipher {
        Cipher::Tdes => return retail_mac(key, msg),
        Cipher::Aes128 => cmac_with(Cmac::<Aes128>::new_from_slice(key), msg)?,
        Cipher::Aes192 => cmac_with(Cmac::<Aes192>::new_from_slice(key), msg)?,
        Cipher::Aes256 => cmac_with(Cmac::<Aes256>::new_from_slice(key), msg)?,
    };
    let mut out = [0u8; MAC_LEN];
    for (o, b) in out.iter_mut().zip(full) {
        *o = b;
    }
    Ok(out)
}

/// The MAC over `msg` with the padding rule of the cipher applied (method 2 for 3DES, none for
/// CMAC), as used for the PACE authentication tokens (TR-03110-3 §A.2.4.2 / 9303-11 §4.4.3.4).
pub fn mac_with_padding(
    cipher: Cipher,
    key: &[u8],
    msg: &[u8],
) -> Result<[u8; MAC_LEN], CryptoError> {
    match cipher {
        Cipher::Tdes => mac(cipher, key, &pad(msg, 8)),
        _ => mac(cipher, key, msg),
    }
}

fn cmac_with<M: Mac>(
    m: Result<M, cipher::InvalidLength>,
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut m = m.map_err(|_| CryptoError::BadPadding)?;
    m.update(msg);
    Ok(m.finalize().into_bytes().to_vec())
}

/// ISO/IEC 9797-1 MAC algorithm 3 with DES: single-DES CBC with Ka over every block, then the
/// last result decrypted with Kb and encrypted with Ka.
fn retail_mac(key: &[u8], msg: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
    check_blocks(msg, 8)?;
    let (ka, kb) = key.split_at_checked(8).ok_or(CryptoError::KeyLength {
        cipher: Cipher::Tdes,
        expected: 16,
        actual: key.len(),
    })?;
    let a = Des::new_from_slice(ka).map_err(|_| CryptoError::BadPadding)?;
    let b = Des::new_from_slice(kb).map_err(|_| CryptoError::BadPadding)?;
    let mut h = [0u8; 8];
    for chunk in msg.chunks_exact(8) {
        for (x, m) in h.iter_mut().zip(chunk) {
            *x ^= m;
        }
        a.encrypt_block((&mut h).into());
    }
    b.decrypt_block((&mut h).into());
    a.encrypt_block((&mut h).into());
    Ok(h)
}

fn tdes(key: &[u8]) -> Result<TdesEde2, CryptoError> {
    TdesEde2::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        cipher: Cipher::Tdes,
        expected: 16,
        actual: key.len(),
    })
}

macro_rules! aes_ctor {
    ($name:ident, $ty:ty, $c:expr) => {
        fn $name(key: &[u8]) -> Result<$ty, CryptoError> {
            <$ty>::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
                cipher: $c,
                expected: $c.key_len(),
                actual: key.len(),
            })
        }
    };
}
aes_ctor!(aes128, Aes128, Cipher::Aes128);
aes_ctor!(aes192, Aes192, Cipher::Aes192);
aes_ctor!(aes256, Aes256, Cipher::Aes256);

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn bac_key_derivation_matches_9303_11_appendix_d() {
        // ICAO 9303-11 App. D.2 (docs/spec/security-protocols.md §2).
        let seed = h("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(
            kdf(&seed, KDF_ENC, Cipher::Tdes).expose(),
            h("AB94FDECF2674FDFB9B391F85D7F76F2")
        );
        assert_eq!(
            kdf(&seed, KDF_MAC, Cipher::Tdes).expose(),
            h("7962D9ECE03D1ACD4C76089DCE131543")
        );
    }

    #[test]
    fn kdf_aes_192_and_256_match_published_vectors() {
        // gmrtd kdf_test.go (docs/spec/security-protocols.md §4, "Extra KDF vectors").
        let k192 = h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD12345678");
        assert_eq!(
            kdf(&k192, KDF_PACE, Cipher::Aes192).expose(),
            h("4487bb60d75e55928ab2406733d060bb600c7fa4aeeab92b")
        );
        let k256 = h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD12345678abcdef1234567890");
        assert_eq!(
            kdf(&k256, KDF_PACE, Cipher::Aes256).expose(),
            h("ac92515edd0f4714cbb46c683cc1a66debb68b3cc34f29904db757ac88988d31")
        );
        // 9303-11 App. G.1: Kπ from SHA-1 of the MRZ information.
        let fpi = h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD");
        assert_eq!(
            kdf(&fpi, KDF_PACE, Cipher::Aes128).expose(),
            h("89DED1B26624EC1E634C1989302849DD")
        );
    }

    #[test]
    fn retail_mac_and_3des_cbc_match_appendix_d() {
        let kenc = h("AB94FDECF2674FDFB9B391F85D7F76F2");
        let kmac = h("7962D9ECE03D1ACD4C76089DCE131543");
        let s = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
        let e = encrypt_cbc(Cipher::Tdes, &kenc, &[0; 8], &s).unwrap();
        assert_eq!(
            e,
            h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
        );
        assert_eq!(decrypt_cbc(Cipher::Tdes, &kenc, &[0; 8], &e).unwrap(), s);
        assert_eq!(
            mac(Cipher::Tdes, &kmac, &pad(&e, 8)).unwrap().to_vec(),
            h("5F1448EEA8AD90A7")
        );
    }

    #[test]
    fn padding_method_2() {
        assert_eq!(pad(&[1, 2], 8), [1, 2, 0x80, 0, 0, 0, 0, 0]);
        assert_eq!(pad(&[0; 8], 8).len(), 16);
        assert_eq!(unpad(&[1, 2, 0x80, 0, 0]).unwrap(), [1, 2]);
        assert!(unpad(&[1, 2, 0, 0]).is_err());
        assert!(unpad(&[]).is_err());
        assert!(unpad(&[0; 8]).is_err());
    }

    #[test]
    fn parity_is_odd() {
        let mut k = [0u8, 1, 0xFE, 0xFF];
        adjust_parity(&mut k);
        assert_eq!(k, [0x01, 0x01, 0xFE, 0xFE]);
        assert!(k.iter().all(|b| b.count_ones() % 2 == 1));
    }

    #[test]
    fn wrong_lengths_are_errors() {
        assert!(encrypt_cbc(Cipher::Aes128, &[0; 15], &[0; 16], &[0; 16]).is_err());
        assert!(encrypt_cbc(Cipher::Aes128, &[0; 16], &[0; 16], &[0; 15]).is_err());
        assert!(mac(Cipher::Tdes, &[0; 16], &[0; 7]).is_err());
    }
}
