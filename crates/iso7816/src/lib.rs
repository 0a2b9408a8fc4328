//! # permitkit-iso7816
//!
//! The two ISO/IEC 7816-4 encodings every other permitkit crate speaks: BER-TLV data objects
//! ([`tlv`], §5.2) and command/response APDUs ([`apdu`], §5.1). Both are pure, bounded and
//! fuzzed; errors carry the byte offset at which the input went wrong.
//!
//! [`fcp`] holds the file control parameters CREATE FILE carries (ISO/IEC 7816-9 §6.1 with the
//! FCP template of ISO/IEC 7816-4 §5.3.3).
//!
//! This crate is the bottom of the workspace: it depends on no other permitkit crate.
#![forbid(unsafe_code)]

pub mod apdu;
pub mod fcp;
pub mod tlv;

pub use apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
pub use tlv::{Tlv, TlvError};
