//! # permitkit-station
//!
//! The enrollment station: what turns an applicant at the front-office desk into an issued,
//! verified card, journaled so that nothing is lost.
//!
//! - [`applicant`]: the applicant file (TOML) validated into typed data, every problem naming
//!   its field.
//! - [`journal`]: the durable SQLite journal of every enrolment and step, captures encrypted at
//!   rest until the card is verified.
//! - [`pipeline`]: the enrollment pipeline, from applicant to verified card, step by step, each
//!   [`step`] with a typed result that the journal records and a resumed enrolment restores.
//! - [`signer`]: what signs EF.SOD — the `--pki` files, or a Document Signer key on a PKCS #11
//!   token behind its signing policy and audit (feature `pkcs11`).
//! - [`eac`]: Extended Access Control — the trust point a document's chips get and the
//!   inspection-system terminal the verify step reads DG3 with (from the `--pki` folder).
//! - [`finger_selection`]: best-of-N finger capture with substitutes.
//! - [`error`]: the station's [`Error`], folding the typed errors of the crates below.
//!
//! The station is the top layer of the library: it sees the devices through the traits of
//! `permitkit-devices`, opened by an injected device factory, and the chip through
//! `permitkit-chip`'s `CardChannel`.
#![forbid(unsafe_code)]

pub mod applicant;
pub mod cause;
pub mod eac;
pub mod error;
pub mod finger_selection;
pub mod journal;
pub mod pipeline;
pub mod signer;
pub mod step;

pub use error::{Error, Result};
