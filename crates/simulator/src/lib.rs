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
mod eac_ta;
pub mod faults;
mod fcp_create;
mod filesystem;
#[cfg(any(test, feature = "test-util"))]
pub mod sample;
pub mod state;

pub use card::{Card, CardConfig};

/// A lower layer's error, kept as the source of a [`SimError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong running the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A saved state (`at` names the file or the field) that does not load.
    #[error("virtual chip state {at}: {reason}")]
    State {
        /// The file, or the field of the state (`files[2].data`).
        at: String,
        /// What is wrong with it.
        reason: &'static str,
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// File or socket I/O.
    #[error("{context}")]
    Io {
        /// What was being done, and on which file or address.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A host name that resolves to no address.
    #[error("{0} resolves to no address")]
    NoAddress(String),
    /// An address that is not on the loopback interface.
    #[error("{0} is not a loopback address; the vpcd bridge only binds and connects on loopback")]
    NotLoopback(String),
    /// A vpcd control frame with an unknown code.
    #[error("vpcd protocol: unknown control code {0:02X}")]
    UnknownControl(u8),
    /// A response too long for vpcd's 16-bit frame length.
    #[error("vpcd protocol: response of {0} bytes exceeds the 16-bit frame length")]
    FrameTooLong(usize),
}

impl SimError {
    /// A state error at `at` with no underlying error.
    pub fn state(at: impl Into<String>, reason: &'static str) -> Self {
        Self::State {
            at: at.into(),
            reason,
            source: None,
        }
    }

    /// A state error at `at` caused by `source`.
    pub fn state_from(
        at: impl Into<String>,
        reason: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::State {
            at: at.into(),
            reason,
            source: Some(source.into()),
        }
    }

    /// An I/O error while doing `context`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
