//! Card-verifiable certificates (CV certificates) for Extended Access Control: BSI TR-03110-3
//! Appendix C (certificate format), Appendix D.3 (public keys), Appendix C.4 (CHAT) and §2
//! (the CVCA → DV → terminal PKI); digest in `docs/spec/security-protocols.md §6`.
//!
//! ```text
//! 7F21 CV Certificate
//!   7F4E Certificate Body: 5F29 CPI, 42 CAR, 7F49 public key, 5F20 CHR, 7F4C CHAT,
//!                          5F25 effective date, 5F24 expiration date, [65 extensions]
//!   5F37 Signature (ECDSA plain r ‖ s, BSI TR-03111 §5.2.1)
//! ```
//!
//! The public API is what this page re-exports (the modules are private):
//! - [`CvCertificate`] and [`CertificateBody`]: strict decoding (fixed order, shortest lengths,
//!   nothing left over; errors name the byte offset) and encoding, within
//!   [`MAX_CERTIFICATE_LEN`].
//! - The fields: [`Reference`] (CAR/CHR), [`CvDate`], [`Chat`] with [`Role`] and
//!   [`TerminalType`], [`PublicKey`] with [`DomainParameters`] and [`KeyMaterial`], [`Oid`],
//!   [`TaAlgorithm`] and [`HashAlgorithm`].
//! - [`Curve`]: the curves a signature can be checked on (NIST P-256, P-384, brainpoolP256r1,
//!   brainpoolP384r1), recognised from the explicit domain parameters a CVCA certificate carries.
//! - The chain, one link at a time (the chip receives them one by one): [`TrustPoint`],
//!   [`VerifiedCertificate`], CVCA link certificates, the effective authorization and the
//!   validity periods ([`DatePolicy`]); [`verify_chain`] for a whole chain of at most
//!   [`MAX_CHAIN`] certificates.
//! - [`CvSigner`]: plain `r ‖ s` ECDSA for certificate bodies (the EAC PKI in
//!   `permitkit-pki`) and Terminal Authentication (the inspection system in `permitkit-chip`),
//!   over a [`FileKey`] or any `signature::Signer` the Document Signer could use (an HSM,
//!   [`EcdsaSigner`]).

mod certificate;
mod chain;
mod chat;
mod curve;
mod date;
mod error;
mod oid;
mod public_key;
mod reference;
mod signer;

pub use certificate::{CertificateBody, CvCertificate, Extension, MAX_CERTIFICATE_LEN};
pub use chain::{ChainError, DatePolicy, MAX_CHAIN, TrustPoint, VerifiedCertificate, verify_chain};
pub use chat::{Chat, Role, TerminalType};
pub use curve::{Curve, VerifyError};
pub use date::CvDate;
pub use error::{DecodeError, FieldError};
pub use oid::{HashAlgorithm, Oid, TaAlgorithm};
pub use public_key::{DomainParameters, KeyMaterial, PublicKey};
pub use reference::Reference;
pub use signer::{CvSigner, EcdsaSigner, FileKey, SignError};
