//! ECDSA signatures and public keys for any curve, as X.509 and CMS carry them:
//!
//! - the signature algorithm ecdsa-with-SHA256 (1.2.840.10045.4.3.2, RFC 5758 §3.2), parameters
//!   absent;
//! - the signature value `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480 §2.2
//!   via RFC 5758 §3.2), [`EcdsaSignature`], made from a token's `r || s` (PKCS #11 v2.40 Current
//!   Mechanisms §2.3.1) whatever the curve's size;
//! - the SubjectPublicKeyInfo DER ([`PublicKeyInfo`], RFC 5480 §2) and its key identifier.

use der::{
    AnyRef, Decode, Encode,
    asn1::{BitString, ObjectIdentifier, UintRef},
};
use spki::{AlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};

/// `ecdsa-with-SHA256` 1.2.840.10045.4.3.2 (RFC 5758 §3.2).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// The ecdsa-with-SHA256 AlgorithmIdentifier, parameters absent (RFC 5758 §3.2).
pub const ECDSA_SHA256_ALGORITHM: AlgorithmIdentifier<AnyRef<'static>> = AlgorithmIdentifier {
    oid: ECDSA_WITH_SHA256,
    parameters: None,
};

/// The largest field of a supported curve, bytes (P-384; P-521 would be 66).
pub const MAX_FIELD_BYTES: usize = 66;

/// A SubjectPublicKeyInfo, DER (RFC 5280 §4.1.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo(Vec<u8>);

impl PublicKeyInfo {
    /// Wraps a DER SubjectPublicKeyInfo, checking that it decodes.
    pub fn from_der(der: Vec<u8>) -> Result<Self, der::Error> {
        spki::SubjectPublicKeyInfoRef::from_der(&der)?;
        Ok(Self(der))
    }

    /// Wraps DER produced by an encoder of this crate's dependencies, unchecked.
    pub(crate) fn from_trusted_der(der: Vec<u8>) -> Self {
        Self(der)
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.0
    }

    /// The subjectPublicKey bits (for an EC key, the uncompressed point `04 X Y`).
    pub fn subject_public_key(&self) -> Result<Vec<u8>, der::Error> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(&self.0)?;
        Ok(info.subject_public_key.raw_bytes().to_vec())
    }

    /// The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
    pub fn key_identifier(&self) -> Result<Vec<u8>, der::Error> {
        use sha1::Digest;
        Ok(sha1::Sha1::digest(self.subject_public_key()?).to_vec())
    }
}

impl EncodePublicKey for PublicKeyInfo {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::from_der(&self.0)?)
    }
}

/// An ECDSA signature as `Ecdsa-Sig-Value` DER, for any curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcdsaSignature(Vec<u8>);

#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

impl EcdsaSignature {
    /// Converts the PKCS #11 form `r || s` (CKM_ECDSA, PKCS #11 v2.40 Mechanisms §2.3.1: each
    /// half as long as the curve's order) into `Ecdsa-Sig-Value` DER.
    pub fn from_raw(raw: &[u8]) -> Result<Self, der::Error> {
        let half = raw.len() / 2;
        if raw.is_empty() || !raw.len().is_multiple_of(2) || half > MAX_FIELD_BYTES {
            return Err(der::ErrorKind::Length {
                tag: der::Tag::Sequence,
            }
            .into());
        }
        let (r, s) = raw.split_at(half);
        let value = EcdsaSigValue {
            r: UintRef::new(r)?,
            s: UintRef::new(s)?,
        };
        Ok(Self(value.to_der()?))
    }

    /// Wraps `Ecdsa-Sig-Value` DER, checking it.
    pub fn from_der(der: &[u8]) -> Result<Self, der::Error> {
        let value = EcdsaSigValue::from_der(der)?;
        Ok(Self(value.to_der()?))
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.0
    }
}

impl SignatureBitStringEncoding for EcdsaSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

impl From<p256::ecdsa::DerSignature> for EcdsaSignature {
    fn from(sig: p256::ecdsa::DerSignature) -> Self {
        Self(sig.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_r_s_becomes_the_der_sequence_with_minimal_integers() {
        // r = 0x00..01 (leading zeros dropped), s = 0x80.. (a 00 byte keeps it positive).
        let mut raw = vec![0u8; 64];
        raw[31] = 1;
        raw[32] = 0x80;
        let der = EcdsaSignature::from_raw(&raw).unwrap();
        let mut expected = vec![0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00, 0x80];
        expected.extend_from_slice(&[0u8; 31]);
        assert_eq!(der.as_der(), expected);
        assert!(EcdsaSignature::from_raw(&[1, 2, 3]).is_err());
        assert!(EcdsaSignature::from_raw(&[]).is_err());
        assert!(EcdsaSignature::from_raw(&[1u8; 2 * MAX_FIELD_BYTES + 2]).is_err());
    }
}
