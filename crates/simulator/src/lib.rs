//! The virtual eMRTD chip: a pure APDU handler ([`Card`]) with a personalization life cycle,
//! access control, fault injection ([`faults`]) and persistence ([`state`]), plus the bridge
//! that serves it to the real `pcscd` through vsmartcard's vpcd driver ([`vpcd`], the only I/O
//! here).

pub mod card;
pub mod faults;
pub mod filesystem;
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
