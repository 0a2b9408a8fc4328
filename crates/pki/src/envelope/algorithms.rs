//! The algorithms an envelope may name (`docs/spec/cms-envelope.md` §4): the key agreement
//! schemes of RFC 5753 §7.1.4 (standard ECDH with a SHA-2 KDF), the AES key wraps of RFC 3565
//! §2.3.2 and the AES-CBC content ciphers of RFC 3565 §4.1. Everything else is refused by OID.

use der::asn1::ObjectIdentifier;

use super::EnvelopeError;

const fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// `dhSinglePass-stdDH-sha1kdf-scheme`: OpenSSL's default, refused (SHA-1).
const DH_STD_SHA1_KDF: ObjectIdentifier = oid("1.3.133.16.840.63.0.2");

/// The hash of the ANSI X9.63 KDF, named by its `dhSinglePass-stdDH-sha*kdf-scheme` OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfHash {
    /// dhSinglePass-stdDH-sha224kdf-scheme, 1.3.132.1.11.0.
    Sha224,
    /// dhSinglePass-stdDH-sha256kdf-scheme, 1.3.132.1.11.1 (what [`super::seal`] uses).
    Sha256,
    /// dhSinglePass-stdDH-sha384kdf-scheme, 1.3.132.1.11.2.
    Sha384,
    /// dhSinglePass-stdDH-sha512kdf-scheme, 1.3.132.1.11.3.
    Sha512,
}

impl KdfHash {
    /// The key agreement scheme's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha224 => oid("1.3.132.1.11.0"),
            Self::Sha256 => oid("1.3.132.1.11.1"),
            Self::Sha384 => oid("1.3.132.1.11.2"),
            Self::Sha512 => oid("1.3.132.1.11.3"),
        }
    }

    /// The scheme of `oid`, or a typed refusal naming it.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, EnvelopeError> {
        [Self::Sha224, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.oid() == oid)
            .ok_or(EnvelopeError::UnsupportedAlgorithm {
                what: "key agreement",
                oid,
                hint: if oid == DH_STD_SHA1_KDF {
                    " (ECDH with a SHA-1 KDF, OpenSSL's default: encrypt with \
                     `-keyopt ecdh_kdf_md:sha256`)"
                } else {
                    " (supported: dhSinglePass-stdDH-sha224/256/384/512kdf-scheme)"
                },
            })
    }

    /// `key.len()` bytes of ANSI X9.63 KDF output (SEC 1 §3.6.1) from `secret` and `shared_info`.
    pub(crate) fn derive(
        self,
        secret: &[u8],
        shared_info: &[u8],
        key: &mut [u8],
    ) -> Result<(), EnvelopeError> {
        use ansi_x963_kdf::derive_key_into;
        let derived = match self {
            Self::Sha224 => derive_key_into::<sha2::Sha224>(secret, shared_info, key),
            Self::Sha256 => derive_key_into::<sha2::Sha256>(secret, shared_info, key),
            Self::Sha384 => derive_key_into::<sha2::Sha384>(secret, shared_info, key),
            Self::Sha512 => derive_key_into::<sha2::Sha512>(secret, shared_info, key),
        };
        derived.map_err(|e| EnvelopeError::BadField {
            what: "key derivation",
            reason: e.to_string(),
        })
    }
}

/// An AES key wrap algorithm (RFC 3394, OIDs of RFC 3565 §2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyWrap {
    /// id-aes128-wrap, 2.16.840.1.101.3.4.1.5.
    Aes128,
    /// id-aes192-wrap, 2.16.840.1.101.3.4.1.25.
    Aes192,
    /// id-aes256-wrap, 2.16.840.1.101.3.4.1.45 (what [`super::seal`] uses).
    Aes256,
}

impl KeyWrap {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Aes128 => oid("2.16.840.1.101.3.4.1.5"),
            Self::Aes192 => oid("2.16.840.1.101.3.4.1.25"),
            Self::Aes256 => oid("2.16.840.1.101.3.4.1.45"),
        }
    }

    /// The wrap of `oid`, or a typed refusal naming it.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, EnvelopeError> {
        [Self::Aes128, Self::Aes192, Self::Aes256]
            .into_iter()
            .find(|w| w.oid() == oid)
            .ok_or(EnvelopeError::UnsupportedAlgorithm {
                what: "key wrap",
                oid,
                hint: " (supported: id-aes128-wrap, id-aes192-wrap, id-aes256-wrap)",
            })
    }

    /// The key-encryption key's length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// Wraps `key` under `kek` into `out` (`key.len() + 8` bytes).
    pub(crate) fn wrap(self, kek: &[u8], key: &[u8], out: &mut [u8]) -> Result<(), EnvelopeError> {
        use aes_kw::{KwAes128, KwAes192, KwAes256};
        use cipher::KeyInit;
        fn fail(e: impl std::error::Error + Send + Sync + 'static) -> EnvelopeError {
            EnvelopeError::KeyWrap(Box::new(e))
        }
        match self {
            Self::Aes128 => KwAes128::new_from_slice(kek)
                .map_err(fail)?
                .wrap_key(key, out)
                .map(drop),
            Self::Aes192 => KwAes192::new_from_slice(kek)
                .map_err(fail)?
                .wrap_key(key, out)
                .map(drop),
            Self::Aes256 => KwAes256::new_from_slice(kek)
                .map_err(fail)?
                .wrap_key(key, out)
                .map(drop),
        }
        .map_err(fail)
    }

    /// Unwraps `wrapped` under `kek` into `out` (`wrapped.len() - 8` bytes); a failed integrity
    /// check is [`EnvelopeError::UnwrapFailed`].
    pub(crate) fn unwrap(
        self,
        kek: &[u8],
        wrapped: &[u8],
        out: &mut [u8],
    ) -> Result<(), EnvelopeError> {
        use aes_kw::{KwAes128, KwAes192, KwAes256};
        use cipher::KeyInit;
        let bad_kek = |e: cipher::InvalidLength| EnvelopeError::BadField {
            what: "key-encryption key",
            reason: e.to_string(),
        };
        let unwrapped = match self {
            Self::Aes128 => KwAes128::new_from_slice(kek)
                .map_err(bad_kek)?
                .unwrap_key(wrapped, out)
                .map(drop),
            Self::Aes192 => KwAes192::new_from_slice(kek)
                .map_err(bad_kek)?
                .unwrap_key(wrapped, out)
                .map(drop),
            Self::Aes256 => KwAes256::new_from_slice(kek)
                .map_err(bad_kek)?
                .unwrap_key(wrapped, out)
                .map(drop),
        };
        unwrapped.map_err(|e| match e {
            aes_kw::Error::IntegrityCheckFailed => EnvelopeError::UnwrapFailed,
            other => EnvelopeError::BadField {
                what: "encryptedKey",
                reason: other.to_string(),
            },
        })
    }
}

/// An AES-CBC content cipher (RFC 3565 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentCipher {
    /// id-aes128-CBC, 2.16.840.1.101.3.4.1.2.
    Aes128Cbc,
    /// id-aes192-CBC, 2.16.840.1.101.3.4.1.22.
    Aes192Cbc,
    /// id-aes256-CBC, 2.16.840.1.101.3.4.1.42 (what [`super::seal`] uses).
    Aes256Cbc,
}

impl ContentCipher {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Aes128Cbc => oid("2.16.840.1.101.3.4.1.2"),
            Self::Aes192Cbc => oid("2.16.840.1.101.3.4.1.22"),
            Self::Aes256Cbc => oid("2.16.840.1.101.3.4.1.42"),
        }
    }

    /// The cipher of `oid`, or a typed refusal naming it.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self, EnvelopeError> {
        [Self::Aes128Cbc, Self::Aes192Cbc, Self::Aes256Cbc]
            .into_iter()
            .find(|c| c.oid() == oid)
            .ok_or(EnvelopeError::UnsupportedAlgorithm {
                what: "content encryption",
                oid,
                hint: " (supported: AES-128/192/256-CBC; encrypt with `openssl cms -aes256`)",
            })
    }

    /// The content key's length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc => 16,
            Self::Aes192Cbc => 24,
            Self::Aes256Cbc => 32,
        }
    }

    /// Decrypts `buf` in place and returns the length of the content once the padding
    /// (RFC 5652 §6.3) is checked and removed.
    pub(crate) fn decrypt(
        self,
        key: &[u8],
        iv: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, EnvelopeError> {
        use cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
        let bad = |what: &'static str| {
            move |e: cipher::InvalidLength| EnvelopeError::BadField {
                what,
                reason: e.to_string(),
            }
        };
        let plain = match self {
            Self::Aes128Cbc => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                .map_err(bad("content key or IV"))?
                .decrypt_padded::<Pkcs7>(buf)
                .map(<[u8]>::len),
            Self::Aes192Cbc => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
                .map_err(bad("content key or IV"))?
                .decrypt_padded::<Pkcs7>(buf)
                .map(<[u8]>::len),
            Self::Aes256Cbc => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                .map_err(bad("content key or IV"))?
                .decrypt_padded::<Pkcs7>(buf)
                .map(<[u8]>::len),
        };
        plain.map_err(|_| EnvelopeError::BadPadding)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// RFC 3394 §4.1 and §4.6 (docs/spec/cms-envelope.md §5).
    #[test]
    fn key_wrap_matches_rfc_3394_vectors() {
        let kek128 = hex::decode("000102030405060708090A0B0C0D0E0F").unwrap();
        let data128 = hex::decode("00112233445566778899AABBCCDDEEFF").unwrap();
        let mut out = [0u8; 24];
        KeyWrap::Aes128.wrap(&kek128, &data128, &mut out).unwrap();
        assert_eq!(
            hex::encode_upper(out),
            "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
        );
        let kek256: Vec<u8> = (0u8..32).collect();
        let data256 =
            hex::decode("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
                .unwrap();
        let mut out = [0u8; 40];
        KeyWrap::Aes256.wrap(&kek256, &data256, &mut out).unwrap();
        assert_eq!(
            hex::encode_upper(out),
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
        );
        let mut back = [0u8; 32];
        KeyWrap::Aes256.unwrap(&kek256, &out, &mut back).unwrap();
        assert_eq!(back.as_slice(), data256.as_slice());
        out[5] ^= 1;
        assert!(matches!(
            KeyWrap::Aes256.unwrap(&kek256, &out, &mut back),
            Err(EnvelopeError::UnwrapFailed)
        ));
    }

    #[test]
    fn sha1_kdf_is_refused_with_its_oid_and_a_hint() {
        let e = KdfHash::from_oid(DH_STD_SHA1_KDF).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("1.3.133.16.840.63.0.2"), "{text}");
        assert!(text.contains("ecdh_kdf_md:sha256"), "{text}");
    }
}
