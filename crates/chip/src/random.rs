//! Where protocol nonces and ephemeral keys come from.
//!
//! Every random value BAC, PACE and the virtual chip draw goes through a [`RandomSource`], so the
//! ICAO 9303-11 worked examples (Appendix D, G.1) can be replayed byte for byte by feeding
//! their published nonces ([`Replay`]), while real sessions use the operating system's CSPRNG
//! ([`OsRandom`]).

use std::collections::VecDeque;

use super::ChipError;

/// A source of random bytes for nonces and ephemeral keys.
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), ChipError>;
}

/// The operating system's cryptographically secure generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), ChipError> {
        permitkit_model::random::fill_random(buf).map_err(|e| ChipError::Random(e.to_string()))
    }
}

/// Hands out prepared values in order, one per [`RandomSource::fill`] call (each value must have
/// the requested length). For replaying published test vectors only.
#[derive(Debug, Default, Clone)]
pub struct Replay(VecDeque<Vec<u8>>);

impl Replay {
    /// Values to hand out, in order.
    pub fn new(values: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self(values.into_iter().collect())
    }
}

impl RandomSource for Replay {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), ChipError> {
        let v = self
            .0
            .pop_front()
            .ok_or_else(|| ChipError::Random("replay source exhausted".into()))?;
        if v.len() != buf.len() {
            return Err(ChipError::Random(format!(
                "replay value of {} bytes where {} are needed",
                v.len(),
                buf.len()
            )));
        }
        buf.copy_from_slice(&v);
        Ok(())
    }
}
