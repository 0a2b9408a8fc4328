//! Where a Document Signer's private key lives (ICAO Doc 9303-12 §4.1): a PKCS #8 file
//! ([`FileKey`]) or a hardware token over PKCS #11 (`Pkcs11Key`, feature `pkcs11`). [`DsKey`]
//! holds either, so a station can be given one or the other; both sign the same way for the
//! `cms` and `x509-cert` builders (`Keypair + Signer + SignatureAlgorithmIdentifier`):
//!
//! - the signature algorithm is ecdsa-with-SHA256 (1.2.840.10045.4.3.2, RFC 5758 §3.2) for
//!   every curve, since EF.SOD's digest algorithm is SHA-256 (one of the SHA-2 hashes 9303-12
//!   §4.1.6.4 allows) and RFC 5753 §2.1.1 wants the signature's hash to be the SignerInfo's;
//! - the signature value is `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480
//!   §2.2 via RFC 5758 §3.2), [`EcdsaSignature`], whatever the curve's size;
//! - the public key is the SubjectPublicKeyInfo DER ([`PublicKeyInfo`], RFC 5480 §2).

use der::AnyRef;
use signature::{Keypair, Signer};
use spki::{AlgorithmIdentifier, EncodePublicKey, SignatureAlgorithmIdentifier};

pub use crate::ecdsa::{ECDSA_SHA256_ALGORITHM, ECDSA_WITH_SHA256, EcdsaSignature, PublicKeyInfo};
use crate::signer::FileKey;

/// A Document Signer's private key: a file key or a key on a token.
pub enum DsKey {
    /// A P-256 key loaded from a PKCS #8 file (the TEST ONLY PKI of `pki init`).
    File(FileKey),
    /// A key that never leaves its PKCS #11 token.
    #[cfg(feature = "pkcs11")]
    Token(crate::pkcs11::Pkcs11Key),
}

impl std::fmt::Debug for DsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(_) => f.write_str("DsKey::File(<P-256 private key>)"),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => write!(f, "DsKey::Token({k:?})"),
        }
    }
}

impl From<FileKey> for DsKey {
    fn from(key: FileKey) -> Self {
        Self::File(key)
    }
}

#[cfg(feature = "pkcs11")]
impl From<crate::pkcs11::Pkcs11Key> for DsKey {
    fn from(key: crate::pkcs11::Pkcs11Key) -> Self {
        Self::Token(key)
    }
}

impl Keypair for DsKey {
    type VerifyingKey = PublicKeyInfo;

    fn verifying_key(&self) -> PublicKeyInfo {
        match self {
            Self::File(k) => file_public_key(k),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => k.verifying_key(),
        }
    }
}

/// The file key's SubjectPublicKeyInfo (encoding a P-256 point cannot fail; an empty DER
/// would make every later key comparison fail rather than pass).
fn file_public_key(key: &FileKey) -> PublicKeyInfo {
    PublicKeyInfo::from_trusted_der(
        key.verifying_key()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default(),
    )
}

impl Signer<EcdsaSignature> for DsKey {
    fn try_sign(&self, msg: &[u8]) -> Result<EcdsaSignature, signature::Error> {
        match self {
            Self::File(k) => {
                let sig: p256::ecdsa::DerSignature = k.try_sign(msg)?;
                Ok(sig.into())
            }
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => k.try_sign(msg),
        }
    }
}

impl SignatureAlgorithmIdentifier for DsKey {
    type Params = AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<AnyRef<'static>> =
        ECDSA_SHA256_ALGORITHM;
}

#[cfg(test)]
mod tests {
    use super::*;
    use signature::Verifier;

    #[test]
    fn the_file_key_signs_the_same_der_as_p256() {
        use p256::elliptic_curve::Generate;
        let key = FileKey::try_generate_from_rng(&mut getrandom::SysRng).unwrap();
        let ds = DsKey::from(key.clone());
        let sig = ds.try_sign(b"message").unwrap();
        let theirs: p256::ecdsa::DerSignature = key.try_sign(b"message").unwrap();
        // RFC 6979 nonces: the same message gives the same signature.
        assert_eq!(sig.as_der(), theirs.as_bytes());
        let parsed = p256::ecdsa::DerSignature::from_bytes(sig.as_der()).unwrap();
        key.verifying_key().verify(b"message", &parsed).unwrap();
        assert_eq!(
            ds.verifying_key().as_der(),
            key.verifying_key().to_public_key_der().unwrap().as_bytes()
        );
        // And the raw form converts to the same DER.
        let raw = p256::ecdsa::Signature::from_der(sig.as_der())
            .unwrap()
            .to_bytes();
        assert_eq!(EcdsaSignature::from_raw(&raw).unwrap(), sig);
    }
}
