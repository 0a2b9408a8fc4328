//! Signing with an EAC key: certificate bodies (the EAC PKI) and Terminal Authentication
//! challenges (the inspection system), ECDSA with plain `r ‖ s` output (BSI TR-03111 §5.2.1;
//! TR-03110-3 D.3.3).
//!
//! [`CvSigner`] is what both need. [`EcdsaSigner`] adapts any signer with the Document Signer's
//! traits (`signature::Keypair` + `signature::Signer` of a DER ECDSA signature, as a PKCS#11 or
//! file key implements them for CMS) and converts its DER signature to `r ‖ s`. [`FileKey`] is
//! the file key: a PKCS#8 ECDSA key on one of the supported curves, its scalar zeroized on drop.
//! The digest is the curve's own (SHA-256 on the 256-bit curves, SHA-384 on the 384-bit ones),
//! which is the algorithm [`Curve::default_algorithm`] writes into the certificate.

use std::marker::PhantomData;
use std::ops::Add;

use ecdsa::EcdsaCurve;
use ecdsa::der::{MaxOverhead, MaxSize};
use elliptic_curve::array::ArraySize;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize};
use pkcs8::{AssociatedOid, DecodePrivateKey, EncodePrivateKey, ObjectIdentifier};
use signature::{Keypair, Signer};

use crate::Curve;

/// Signs with an EAC key: plain `r ‖ s` ECDSA over the curve's digest of the message.
pub trait CvSigner {
    /// The key's curve.
    fn curve(&self) -> Curve;
    /// The public point, `04 ‖ x ‖ y`.
    fn public_point(&self) -> Vec<u8>;
    /// The signature `r ‖ s` over `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signer (file key, HSM) refused or failed.
    #[error("the signer failed: {0}")]
    Signer(#[source] signature::Error),
    /// The signer's output is not a DER ECDSA signature on its curve.
    #[error("the signer's output is not a DER ECDSA signature on {0}")]
    Encoding(Curve),
    /// A key on a curve other than P-256, P-384, brainpoolP256r1, brainpoolP384r1.
    #[error("the key's curve {0} is not one of P-256, P-384, brainpoolP256r1, brainpoolP384r1")]
    UnsupportedCurve(String),
    /// A PKCS#8 key that does not decode (or encode): `what` says which part.
    #[error("PKCS#8 private key: {what}")]
    Pkcs8 {
        /// The structure, or the step, that failed.
        what: &'static str,
        /// The `pkcs8`/`spki` crate's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The operating system's random generator failed.
    #[error("random number generator failed")]
    Random(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn pkcs8_error(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> SignError {
    SignError::Pkcs8 {
        what,
        source: Box::new(e),
    }
}

const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_BP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
const OID_BP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.11");

impl Curve {
    /// From a named-curve OID (X9.62 / RFC 5639).
    pub fn from_named_curve(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            OID_P256 => Some(Curve::P256),
            OID_P384 => Some(Curve::P384),
            OID_BP256R1 => Some(Curve::BrainpoolP256r1),
            OID_BP384R1 => Some(Curve::BrainpoolP384r1),
            _ => None,
        }
    }

    /// Its named-curve OID.
    pub fn named_curve(self) -> ObjectIdentifier {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
            Curve::BrainpoolP256r1 => OID_BP256R1,
            Curve::BrainpoolP384r1 => OID_BP384R1,
        }
    }

    /// The names accepted on the command line and shown to people.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "p-256" | "p256" | "prime256v1" | "secp256r1" => Some(Curve::P256),
            "p-384" | "p384" | "secp384r1" => Some(Curve::P384),
            "brainpoolp256r1" | "bp256" => Some(Curve::BrainpoolP256r1),
            "brainpoolp384r1" | "bp384" => Some(Curve::BrainpoolP384r1),
            _ => None,
        }
    }
}

/// Any ECDSA signer with the Document Signer's traits, as a [`CvSigner`].
pub struct EcdsaSigner<C, S> {
    signer: S,
    curve: Curve,
    _curve: PhantomData<C>,
}

impl<C, S> std::fmt::Debug for EcdsaSigner<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcdsaSigner {{ curve: {} }}", self.curve)
    }
}

impl<C, S> EcdsaSigner<C, S>
where
    C: EcdsaCurve + AssociatedOid,
{
    /// Wraps `signer`; its curve must be one of [`Curve`]'s.
    pub fn new(signer: S) -> Result<Self, SignError> {
        let curve = Curve::from_named_curve(&C::OID)
            .ok_or_else(|| SignError::UnsupportedCurve(C::OID.to_string()))?;
        Ok(Self {
            signer,
            curve,
            _curve: PhantomData,
        })
    }

    /// The wrapped signer.
    pub fn inner(&self) -> &S {
        &self.signer
    }
}

impl<C, S> CvSigner for EcdsaSigner<C, S>
where
    C: EcdsaCurve + AssociatedOid + CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
    MaxSize<C>: ArraySize,
    <FieldBytesSize<C> as Add>::Output: Add<MaxOverhead> + ArraySize,
    S: Keypair<VerifyingKey = ecdsa::VerifyingKey<C>> + Signer<ecdsa::der::Signature<C>>,
{
    fn curve(&self) -> Curve {
        self.curve
    }

    fn public_point(&self) -> Vec<u8> {
        self.signer
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let der = self.signer.try_sign(message).map_err(SignError::Signer)?;
        let plain = ecdsa::Signature::<C>::from_der(der.as_bytes())
            .map_err(|_| SignError::Encoding(self.curve))?;
        Ok(plain.to_bytes().to_vec())
    }
}

/// An ECDSA file key on one of the supported curves.
pub enum FileKey {
    /// NIST P-256.
    P256(p256::ecdsa::SigningKey),
    /// brainpoolP256r1.
    BrainpoolP256r1(ecdsa::SigningKey<bp256::BrainpoolP256r1>),
    /// NIST P-384.
    P384(p384::ecdsa::SigningKey),
    /// brainpoolP384r1.
    BrainpoolP384r1(ecdsa::SigningKey<bp384::BrainpoolP384r1>),
}

impl std::fmt::Debug for FileKey {
    /// Shows the curve, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileKey {{ curve: {} }}", self.curve())
    }
}

macro_rules! with_key {
    ($key:expr, $k:ident => $body:expr) => {
        match $key {
            FileKey::P256($k) => $body,
            FileKey::BrainpoolP256r1($k) => $body,
            FileKey::P384($k) => $body,
            FileKey::BrainpoolP384r1($k) => $body,
        }
    };
}

impl FileKey {
    /// A fresh key from the operating system's generator.
    pub fn generate(curve: Curve) -> Result<Self, SignError> {
        use elliptic_curve::Generate;
        let rng = &mut getrandom::SysRng;
        let fail = |e| SignError::Random(Box::new(e));
        Ok(match curve {
            Curve::P256 => {
                FileKey::P256(p256::ecdsa::SigningKey::try_generate_from_rng(rng).map_err(fail)?)
            }
            Curve::BrainpoolP256r1 => FileKey::BrainpoolP256r1(
                ecdsa::SigningKey::try_generate_from_rng(rng).map_err(fail)?,
            ),
            Curve::P384 => {
                FileKey::P384(p384::ecdsa::SigningKey::try_generate_from_rng(rng).map_err(fail)?)
            }
            Curve::BrainpoolP384r1 => FileKey::BrainpoolP384r1(
                ecdsa::SigningKey::try_generate_from_rng(rng).map_err(fail)?,
            ),
        })
    }

    /// Decodes a PKCS#8 (RFC 5208) ECDSA key with a named curve.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignError> {
        let info = pkcs8::PrivateKeyInfoRef::try_from(der)
            .map_err(|e| pkcs8_error("PrivateKeyInfo", e))?;
        let oid = info
            .algorithm
            .parameters_oid()
            .map_err(|e| pkcs8_error("named curve parameters", e))?;
        let curve = Curve::from_named_curve(&oid)
            .ok_or_else(|| SignError::UnsupportedCurve(oid.to_string()))?;
        let fail = |e: pkcs8::Error| pkcs8_error("private key", e);
        Ok(match curve {
            Curve::P256 => FileKey::P256(DecodePrivateKey::from_pkcs8_der(der).map_err(fail)?),
            Curve::BrainpoolP256r1 => {
                FileKey::BrainpoolP256r1(DecodePrivateKey::from_pkcs8_der(der).map_err(fail)?)
            }
            Curve::P384 => FileKey::P384(DecodePrivateKey::from_pkcs8_der(der).map_err(fail)?),
            Curve::BrainpoolP384r1 => {
                FileKey::BrainpoolP384r1(DecodePrivateKey::from_pkcs8_der(der).map_err(fail)?)
            }
        })
    }

    /// The PKCS#8 DER encoding (zeroized when dropped).
    pub fn to_pkcs8_der(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, SignError> {
        let doc = with_key!(self, k => k.to_pkcs8_der()).map_err(|e| pkcs8_error("encoding", e))?;
        Ok(zeroize::Zeroizing::new(doc.as_bytes().to_vec()))
    }
}

impl CvSigner for FileKey {
    fn curve(&self) -> Curve {
        match self {
            FileKey::P256(_) => Curve::P256,
            FileKey::BrainpoolP256r1(_) => Curve::BrainpoolP256r1,
            FileKey::P384(_) => Curve::P384,
            FileKey::BrainpoolP384r1(_) => Curve::BrainpoolP384r1,
        }
    }

    fn public_point(&self) -> Vec<u8> {
        with_key!(self, k => k.verifying_key().to_sec1_point(false).as_bytes().to_vec())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        with_key!(self, k => {
            let sig: ecdsa::Signature<_> = k.try_sign(message).map_err(SignError::Signer)?;
            Ok(sig.to_bytes().to_vec())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_round_trip_through_pkcs8_and_sign_verifiably() {
        for curve in [
            Curve::P256,
            Curve::BrainpoolP256r1,
            Curve::P384,
            Curve::BrainpoolP384r1,
        ] {
            let key = FileKey::generate(curve).unwrap();
            let again = FileKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
            assert_eq!(again.curve(), curve);
            assert_eq!(again.public_point(), key.public_point());
            let sig = again.sign(b"message").unwrap();
            let hash = curve.default_algorithm().hash();
            curve
                .verify(hash, &key.public_point(), b"message", &sig)
                .unwrap();
            assert!(format!("{key:?}").contains(&curve.to_string()));
        }
    }

    #[test]
    fn a_document_signer_style_key_signs_through_the_adapter() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let signer = EcdsaSigner::new(key).unwrap();
        let sig = signer.sign(b"body").unwrap();
        assert_eq!(sig.len(), 64);
        Curve::P256
            .verify(
                crate::HashAlgorithm::Sha256,
                &signer.public_point(),
                b"body",
                &sig,
            )
            .unwrap();
    }
}
