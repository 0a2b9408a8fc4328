//! # permitkit
//!
//! Enrollment and chip personalization toolkit for biometric residence permits: ID-1 cards with
//! a TD1 machine-readable zone and a contactless chip holding the ICAO Doc 9303 Logical Data
//! Structure (LDS 1.7), signed by a Document Signer.
//!
//! The crate is layered so that everything except device drivers, the vpcd bridge and the CLI
//! is pure and deterministic (see `ARCHITECTURE.md`):
//!
//! - [`tlv`], [`apdu`]: BER-TLV (ISO/IEC 7816-4 §5.2) and command/response APDUs (§5.1).
//! - [`secret`]: containers for keys, MRZ data and biometrics that never print their content
//!   and are zeroized on drop.
//! - [`error`]: the crate-wide [`Error`], folding every module's typed error.
//! - [`lds`]: the ICAO 9303-10 elementary files and their encoders and parsers.
//! - [`pki`]: the test CSCA and Document Signer, and passive authentication.
//! - [`biometrics`]: CBEFF, ISO/IEC 19794-5 face and 19794-4 finger records, WSQ codec.
//! - [`devices`]: cameras, fingerprint scanners, signature pads and card readers.
//! - [`quality`]: portrait and fingerprint quality decisions.
//! - [`journal`]: the station's durable enrollment journal (SQLite).
//! - [`profiles`]: TOML hardware, chip, document and station profiles.
//! - [`chip`]: BAC, PACE, secure messaging, personalization and read-back of the chip.
//! - [`simulator`]: a virtual eMRTD chip (pure APDU handler) and its vsmartcard bridge.
//! - [`synth`]: seeded synthetic fingerprints (SFinGe method) for tests and the scanner
//!   simulator.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod apdu;
pub mod applicant;
pub mod biometrics;
pub mod chip;
pub mod devices;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod journal;
pub mod lds;
pub mod pipeline;
pub mod pki;
pub mod profiles;
pub mod quality;
pub mod secret;
pub mod simulator;
pub mod synth;
pub mod tlv;

pub use error::{Error, Result};
