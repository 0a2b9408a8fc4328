//! Document Signer keys on a hardware token, through PKCS #11 (OASIS PKCS #11 v2.40 Base
//! Specification; the `cryptoki` crate), feature `pkcs11`.
//!
//! - [`Module`]: one PKCS #11 context per module per process (`C_Initialize` once, with
//!   `CKF_OS_LOCKING_OK`, §5.4), held in a process-wide registry keyed by the module's path:
//!   SoftHSM2 and other modules break when two contexts of one process initialize them.
//! - [`Pkcs11Uri`] (RFC 7512, parsed in `permitkit_model::pkcs11_uri`) names the token and the
//!   key; [`Pin`] comes from a file, an environment variable or a prompt, never a command line.
//! - [`Pkcs11Key`]: the private key, which never leaves the token. It signs with `CKM_ECDSA`
//!   (PKCS #11 v2.40 Current Mechanisms §2.3.6) over a SHA-256 digest computed on the host; the
//!   token's `r || s` becomes `Ecdsa-Sig-Value` DER. Each signature takes a session of its own
//!   from a pool, so threads sign concurrently through one context, never sharing a session
//!   (§5.6: a session is used by one thread at a time). It implements `Keypair + Signer` for
//!   the `cms` and `x509-cert` builders, so `DocumentSigner<Pkcs11Key>` signs EF.SOD.
//! - [`generate`]: an EC key pair generated on the token, private key `CKA_TOKEN`,
//!   `CKA_PRIVATE`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, `CKA_SIGN` only.
//! - [`Curve`]: the curve read from `CKA_EC_PARAMS` (a named curve, RFC 5480 §2.1.1.1):
//!   P-256, P-384 and brainpoolP256r1; any other is refused by name.

mod curve;
mod generate;
mod key;
mod module;
mod pin;

pub use curve::Curve;
pub use generate::generate;
pub use key::{KeyAttributes, Pkcs11Key};
pub use module::Module;
pub use permitkit_model::pkcs11_uri::{ObjectType, Pkcs11Uri, UriError};
pub use pin::{Pin, PinSource};

use std::path::PathBuf;

/// What went wrong with a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The key URI does not parse.
    #[error("the key URI is not a PKCS #11 URI")]
    Uri(#[from] UriError),
    /// The URI carries a PIN.
    #[error(
        "the key URI carries pin-value: a PIN never goes into a URI (it would be on a command \
         line or in a profile); give a PIN file, an environment variable or type it"
    )]
    PinInUri,
    /// The URI has a path attribute this consumer does not know.
    #[error(
        "the key URI has path attribute {0:?}, which is not one of RFC 7512: it matches no \
         object (RFC 7512 §2.5)"
    )]
    UnrecognizedAttribute(String),
    /// No module was named.
    #[error(
        "no PKCS #11 module: give its path (--module, the profile's `module`, or module-path in the URI)"
    )]
    NoModule,
    /// The module does not load.
    #[error("loading the PKCS #11 module {}", path.display())]
    Load {
        /// The module.
        path: PathBuf,
        /// Why.
        #[source]
        source: cryptoki::error::Error,
    },
    /// The module file is not there.
    #[error("the PKCS #11 module {}", path.display())]
    ModuleFile {
        /// The module.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No token matches the URI.
    #[error("no token matches {uri} ({tokens} token(s) present: {seen})")]
    TokenNotFound {
        /// The URI (without PIN).
        uri: String,
        /// How many tokens the module shows.
        tokens: usize,
        /// Their labels.
        seen: String,
    },
    /// Several tokens match the URI.
    #[error("{count} tokens match {uri}: add token=, serial= or slot-id= to pick one")]
    AmbiguousToken {
        /// The URI.
        uri: String,
        /// How many match.
        count: usize,
    },
    /// No private key matches the URI.
    #[error("no private key on the token matches {uri}")]
    KeyNotFound {
        /// The URI.
        uri: String,
    },
    /// Several private keys match the URI.
    #[error("{count} private keys match {uri}: add id= to pick one")]
    AmbiguousKey {
        /// The URI.
        uri: String,
        /// How many match.
        count: usize,
    },
    /// The URI names a key that already exists (when generating).
    #[error("the token already holds a key matching {uri}: choose another object= or id=")]
    KeyExists {
        /// The URI.
        uri: String,
    },
    /// The URI names no key to generate.
    #[error("the key URI must name the new key: object=LABEL (and optionally id=%XX)")]
    UnnamedKey,
    /// The URI names an object that is not a private key.
    #[error("the key URI names type={0}; a signing key is type=private")]
    NotAPrivateKey(&'static str),
    /// The user PIN is wrong.
    #[error("the token refused the PIN (CKR_PIN_INCORRECT)")]
    PinIncorrect,
    /// The user PIN is locked.
    #[error("the token's user PIN is locked (CKR_PIN_LOCKED): its security officer must reset it")]
    PinLocked,
    /// A PIN source failed.
    #[error("reading the PIN from {source_name}: {reason}")]
    PinSource {
        /// The file or variable.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The PIN file could not be read.
    #[error("reading the PIN from {}", path.display())]
    PinFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A curve this toolkit does not sign with.
    #[error(
        "the key's curve is not supported (CKA_EC_PARAMS {params}); supported: P-256, P-384, \
         brainpoolP256r1"
    )]
    UnsupportedCurve {
        /// CKA_EC_PARAMS, as an OID or hex.
        params: String,
    },
    /// The token lacks a mechanism.
    #[error("the token does not offer {0}")]
    MechanismUnsupported(&'static str),
    /// A key the token would let out, or that may not sign.
    #[error("the private key {uri} is not a Document Signer key a token should hold: {reason}")]
    UnsafeKey {
        /// The URI.
        uri: String,
        /// Which attribute.
        reason: &'static str,
    },
    /// The public key object has no `CKA_EC_POINT`.
    #[error("the token's public key has no CKA_EC_POINT")]
    NoEcPoint,
    /// `CKA_EC_POINT` is neither a bare point nor the DER of an OCTET STRING holding one.
    #[error("the token's CKA_EC_POINT is not a DER OCTET STRING")]
    EcPointEncoding(#[source] der::Error),
    /// `CKA_EC_POINT` holds something else than an uncompressed point of the key's curve.
    #[error("the token's CKA_EC_POINT is not an uncompressed {curve} point ({len} bytes)")]
    EcPointForm {
        /// The curve of the key.
        curve: &'static str,
        /// The length of what it holds.
        len: usize,
    },
    /// `CKA_EC_POINT` is not a point of P-256.
    #[error("the token's CKA_EC_POINT is not a point of P-256")]
    EcPointNotOnCurve(#[source] elliptic_curve::Error),
    /// The point does not make a SubjectPublicKeyInfo, or its key identifier.
    #[error("the token's public key does not encode as a SubjectPublicKeyInfo")]
    PublicKeyInfo(#[source] der::Error),
    /// Not exactly one public key object matches the private key.
    #[error("{found} public key objects match the private key of {uri} (by CKA_ID): expected one")]
    PublicKeyCount {
        /// How many matched.
        found: usize,
        /// The private key's URI.
        uri: String,
    },
    /// A PKCS #11 call failed.
    #[error("PKCS #11 {operation}")]
    Token {
        /// What was being done.
        operation: &'static str,
        /// The module's answer.
        #[source]
        source: cryptoki::error::Error,
    },
    /// The token's signature has the wrong length for the curve.
    #[error("the token returned a {len}-byte signature; {curve} needs {expected}")]
    SignatureLength {
        /// Bytes returned.
        len: usize,
        /// Bytes expected.
        expected: usize,
        /// The curve.
        curve: Curve,
    },
    /// The token's `r || s` does not make an `Ecdsa-Sig-Value`.
    #[error("the token's signature does not encode")]
    BadSignature(#[source] der::Error),
    /// A P-256 signature was asked of a key on another curve.
    #[error("a P-256 signature was asked of a {0} key")]
    WrongCurve(Curve),
    /// A lock was poisoned by a thread that panicked.
    #[error("the token's session pool is unusable after a failure in another thread")]
    Poisoned,
}

impl Pkcs11Error {
    fn token(operation: &'static str) -> impl FnOnce(cryptoki::error::Error) -> Self {
        move |source| Self::Token { operation, source }
    }
}
