//! EF.SOD, the Document Security Object (ICAO Doc 9303-10 §4.6.2, 9303-12 §4).
//!
//! `77 L ContentInfo`, a CMS `SignedData` (RFC 5652) whose encapsulated content (type
//! `id-ldsSecurityObject` 2.23.136.1.1.1) is the `LDSSecurityObject`: the hash of every data
//! group present, over the exact bytes stored on the chip.
//!
//! Two sides, deliberately on two ASN.1 stacks:
//! - [`sign()`] writes with RustCrypto `cms`/`x509-cert`/`der`, signed attributes contentType,
//!   messageDigest and signingTime, the Document Signer certificate embedded and the
//!   SignerIdentifier copied byte for byte from that certificate;
//! - [`parse`] reads with the crate's own tolerant BER-TLV reader (BER octet strings, unsorted
//!   sets, legacy eContentTypes), so a writer bug is not masked by the same bug in the reader.
//!   Passive authentication (`pki::passive_auth`) verifies what [`parse`] extracts.
//!
//! [`scope`] reads what the Document Signer may sign (documentTypeList, country,
//! privateKeyUsagePeriod; 9303-12 §7.1): signing refuses a document or a time outside it, and
//! passive authentication fails such a document.

mod hash;
mod lso;
pub mod parse;
pub mod scope;
pub mod sign;

pub use hash::HashAlgorithm;
pub use lso::{DataGroupHash, LdsSecurityObject};
pub use parse::{ParsedSod, SignerId};
pub use scope::{ScopeError, SignerScope};
pub use sign::sign;
