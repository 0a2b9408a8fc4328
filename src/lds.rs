//! The Logical Data Structure of an eMRTD chip (ICAO Doc 9303-10, LDS 1.7): the elementary
//! files, their encoders and tolerant parsers, and the signed `ChipImage` hand-off.

pub mod ef;
pub mod mrz;

pub use ef::{DgNumber, EMRTD_AID, Ef};
