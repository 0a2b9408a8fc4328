//! The virtual eMRTD chip: a pure APDU handler ([`Card`]) with a personalization life cycle,
//! access control (ICAO Doc 9303-11 §4.3 BAC, §4.4 PACE, §6.1 Active Authentication),
//! fault injection ([`faults`]) and its state as a document ([`state`]). No I/O here: the state
//! file and the bridge that serves the chip to `pcscd` through vsmartcard's vpcd driver live in
//! `permitkit-devices`.
//!
//! Feature `test-util`: `sample`, synthetic personalization input for tests, benchmarks and
//! fuzzing.

pub mod card;
pub mod eac_ca;
pub mod eac_ta;
pub mod faults;
pub mod filesystem;
#[cfg(any(test, feature = "test-util"))]
pub mod sample;
pub mod state;

pub use card::{Card, CardConfig};

/// What went wrong running the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A saved state that does not load.
    #[error("virtual chip state: {0}")]
    State(String),
    /// File or socket I/O.
    #[error("{0}")]
    Io(String),
    /// An address that is not on the loopback interface.
    #[error("{0} is not a loopback address; the vpcd bridge only binds and connects on loopback")]
    NotLoopback(String),
    /// A vpcd protocol violation.
    #[error("vpcd protocol: {0}")]
    Protocol(String),
}
