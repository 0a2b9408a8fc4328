//! Where a signing key of the EAC PKI lives (BSI TR-03110-3 §2: the CVCA's key signs its own
//! certificate, the link certificate of a rollover and the DV certificates; the DV's key signs
//! the terminals'): a PKCS#8 file ([`FileKey`]) or, feature `pkcs11`, a key pair generated on a
//! PKCS #11 token ([`TokenEacKey`]) that signs certificate bodies without leaving it.
//!
//! A CV certificate's signature is the plain `r ‖ s` of BSI TR-03111 §5.2.1 over the certificate
//! body (TR-03110-3 Appendix C.1, Table C.1), hashed with the algorithm of the signer's public
//! key (TR-03110-3 Appendix A.6.4, `id-TA-ECDSA-SHA-256` on the 256-bit curves and
//! `id-TA-ECDSA-SHA-384` on P-384, [`Curve::default_algorithm`]). A token key hashes on the host
//! and signs the digest with `CKM_ECDSA` (PKCS #11 v2.40 Current Mechanisms §2.3.6), whose output
//! is already `r ‖ s`: no DER round trip. Its curve is read from `CKA_EC_PARAMS` (a named curve);
//! the CVCA certificate carries that curve's explicit domain parameters (TR-03110-3 Appendix
//! D.3.3), which this crate writes from the named curve. The token makes keys on P-256, P-384 and
//! brainpoolP256r1 (`pkcs11::generate`); brainpoolP384r1 stays a file-key curve.
//!
//! A folder records a token key by its RFC 7512 URI (`cvca-key.uri`, `dv-key.uri`), with the
//! module's `module-path` when it was given, and never a PIN.

use permitkit_cvc::{Curve, CvSigner, FileKey, SignError};

/// The signing key of a CVCA or a DV: a file key, or a key on a PKCS #11 token.
pub enum EacKey {
    /// A PKCS#8 file key (mode 0600 in its folder): TEST ONLY.
    File(FileKey),
    /// A key that never leaves its PKCS #11 token.
    #[cfg(feature = "pkcs11")]
    Token(TokenEacKey),
}

impl std::fmt::Debug for EacKey {
    /// Shows where the key is and its curve, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(k) => write!(f, "EacKey::File({k:?})"),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => write!(f, "EacKey::Token({k:?})"),
        }
    }
}

impl From<FileKey> for EacKey {
    fn from(key: FileKey) -> Self {
        Self::File(key)
    }
}

#[cfg(feature = "pkcs11")]
impl From<TokenEacKey> for EacKey {
    fn from(key: TokenEacKey) -> Self {
        Self::Token(key)
    }
}

impl EacKey {
    /// The file key, for a key in a file.
    pub fn file(&self) -> Option<&FileKey> {
        match self {
            Self::File(k) => Some(k),
            #[cfg(feature = "pkcs11")]
            Self::Token(_) => None,
        }
    }

    /// The URI a folder records for a key on a token; `None` for a file key.
    pub fn token_uri(&self) -> Option<&str> {
        match self {
            Self::File(_) => None,
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => Some(k.recorded_uri()),
        }
    }
}

impl CvSigner for EacKey {
    fn curve(&self) -> Curve {
        match self {
            Self::File(k) => k.curve(),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => k.curve(),
        }
    }

    fn public_point(&self) -> Vec<u8> {
        match self {
            Self::File(k) => k.public_point(),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => k.public_point(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            Self::File(k) => k.sign(message),
            #[cfg(feature = "pkcs11")]
            Self::Token(k) => k.sign(message),
        }
    }
}

#[cfg(feature = "pkcs11")]
pub use token::{TokenEacKey, token_curve};

#[cfg(feature = "pkcs11")]
mod token {
    use std::sync::Arc;

    use permitkit_cvc::{Curve, CvSigner, SignError};

    use crate::PkiError;
    use crate::pkcs11::{self, KeyAttributes, Module, Pin, Pkcs11Error, Pkcs11Key, Pkcs11Uri};

    /// The token curve of a CV certificate curve, or why there is none.
    pub fn token_curve(curve: Curve) -> Result<pkcs11::Curve, PkiError> {
        match curve {
            Curve::P256 => Ok(pkcs11::Curve::P256),
            Curve::P384 => Ok(pkcs11::Curve::P384),
            Curve::BrainpoolP256r1 => Ok(pkcs11::Curve::BrainpoolP256r1),
            other => Err(PkiError::TokenCurve { curve: other }),
        }
    }

    fn cv_curve(curve: pkcs11::Curve) -> Curve {
        match curve {
            pkcs11::Curve::P256 => Curve::P256,
            pkcs11::Curve::P384 => Curve::P384,
            pkcs11::Curve::BrainpoolP256r1 => Curve::BrainpoolP256r1,
        }
    }

    /// An EAC signing key on a PKCS #11 token, with the URI its folder records.
    pub struct TokenEacKey {
        key: Pkcs11Key,
        curve: Curve,
        point: Vec<u8>,
        recorded: String,
    }

    impl std::fmt::Debug for TokenEacKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("TokenEacKey")
                .field("uri", &self.recorded)
                .field("curve", &self.curve)
                .finish_non_exhaustive()
        }
    }

    fn token_error(what: impl Into<String>) -> impl FnOnce(Pkcs11Error) -> PkiError {
        let what = what.into();
        move |source| PkiError::Token { what, source }
    }

    impl TokenEacKey {
        /// Generates a key pair on `curve` on the token `uri` names (`object=` labels it; a key
        /// matching the URI must not exist): private key `CKA_TOKEN`, `CKA_PRIVATE`,
        /// `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, sign only. `recorded` is the URI the folder
        /// will hold (with `module-path`, never a PIN).
        pub fn generate(
            module: Arc<Module>,
            uri: &Pkcs11Uri,
            pin: &Pin,
            curve: Curve,
            recorded: impl Into<String>,
        ) -> Result<Self, PkiError> {
            let on_token = token_curve(curve)?;
            let key = pkcs11::generate(module, uri, pin, on_token).map_err(token_error(
                format!("generating a {curve} key pair on the token ({uri})"),
            ))?;
            Self::new(key, recorded)
        }

        /// Opens the key `uri` names (it must be sensitive, not extractable, allowed to sign).
        pub fn open(
            module: Arc<Module>,
            uri: &Pkcs11Uri,
            pin: &Pin,
            recorded: impl Into<String>,
        ) -> Result<Self, PkiError> {
            let key = Pkcs11Key::open(module, uri, pin)
                .map_err(token_error(format!("opening the key {uri}")))?;
            Self::new(key, recorded)
        }

        /// Wraps an opened key. `recorded` must be a PKCS #11 URI without `pin-value`.
        pub fn new(key: Pkcs11Key, recorded: impl Into<String>) -> Result<Self, PkiError> {
            let recorded = recorded.into();
            let parsed = Pkcs11Uri::parse(&recorded)
                .map_err(|e| token_error("the URI to record")(Pkcs11Error::Uri(e)))?;
            if parsed.pin_value.is_some() {
                return Err(token_error("the URI to record")(Pkcs11Error::PinInUri));
            }
            let curve = cv_curve(key.curve());
            let point = signature::Keypair::verifying_key(&key)
                .subject_public_key()
                .map_err(|e| {
                    token_error(format!("the public key of {}", key.uri()))(
                        Pkcs11Error::PublicKeyInfo(e),
                    )
                })?;
            // The point is used as the certificate's public key: it must be on the curve.
            curve
                .compress(&point)
                .map_err(|e| PkiError::decode(format!("the public key of {}", key.uri()), e))?;
            Ok(Self {
                key,
                curve,
                point,
                recorded,
            })
        }

        /// The URI the folder records.
        pub fn recorded_uri(&self) -> &str {
            &self.recorded
        }

        /// The key on the token.
        pub fn key(&self) -> &Pkcs11Key {
            &self.key
        }

        /// The private key's protection attributes, read from the token.
        pub fn attributes(&self) -> Result<KeyAttributes, PkiError> {
            self.key.attributes().map_err(token_error(format!(
                "reading the attributes of {}",
                self.key.uri()
            )))
        }
    }

    impl CvSigner for TokenEacKey {
        fn curve(&self) -> Curve {
            self.curve
        }

        fn public_point(&self) -> Vec<u8> {
            self.point.clone()
        }

        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
            let digest = self.curve.default_algorithm().hash().digest(message);
            self.key
                .sign_prehash(&digest)
                .map_err(|e| SignError::Signer(signature::Error::from_source(e)))
        }
    }
}
