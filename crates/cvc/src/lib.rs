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
//! - [`certificate`]: [`CvCertificate`] and [`CertificateBody`], strict decoding (fixed order,
//!   shortest lengths, nothing left over; errors name the byte offset) and encoding.
//! - [`reference`], [`date`], [`chat`], [`public_key`], [`oid`]: the fields.
//! - [`curve`]: the curves a signature can be checked on (NIST P-256, P-384, brainpoolP256r1,
//!   brainpoolP384r1), recognised from the explicit domain parameters a CVCA certificate carries.
//! - [`chain`]: one link of the chain at a time (the chip receives them one by one), trust
//!   points, CVCA link certificates, the effective authorization and the validity periods.
//!
//! - [`signer`]: [`CvSigner`], plain `r ‖ s` ECDSA for certificate bodies (the EAC PKI in
//!   `permitkit-pki`) and Terminal Authentication (the inspection system in `permitkit-chip`),
//!   over a file key or any `signature::Signer` the Document Signer could use (an HSM).

pub mod certificate;
pub mod chain;
pub mod chat;
pub mod curve;
pub mod date;
mod error;
pub mod oid;
pub mod public_key;
pub mod reference;
pub mod signer;

pub use certificate::{CertificateBody, CvCertificate, Extension};
pub use chain::{ChainError, DatePolicy, TrustPoint, VerifiedCertificate};
pub use chat::{Chat, Role, TerminalType};
pub use curve::{Curve, VerifyError};
pub use date::CvDate;
pub use error::{DecodeError, FieldError};
pub use oid::{HashAlgorithm, Oid, TaAlgorithm};
pub use public_key::{DomainParameters, PublicKey};
pub use reference::Reference;
pub use signer::{CvSigner, EcdsaSigner, FileKey, SignError};
