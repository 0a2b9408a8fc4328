//! Where protocol nonces and ephemeral keys come from (ICAO Doc 9303-11 §4.3.3.1 RND.IFD and
//! K.IFD, §4.4.3.3 the PACE ephemeral keys, §6.1 the Active Authentication challenge).
//!
//! Every random value BAC, PACE and the virtual chip draw goes through a [`RandomSource`], so the
//! ICAO 9303-11 worked examples (Appendix D, G.1) can be replayed byte for byte by feeding
//! their published nonces (`Replay`, feature `test-util`), while real sessions use the operating
//! system's CSPRNG ([`OsRandom`]).

/// A source of random bytes for nonces and ephemeral keys.
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RandomError>;
}

/// Why no random value could be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RandomError {
    /// The operating system's generator failed.
    #[error(transparent)]
    Os(#[from] permitkit_model::random::RandomError),
    /// A scripted source has no value left.
    #[error("random number generator: replay source exhausted")]
    Exhausted,
    /// A scripted source's next value has another length than the one asked for.
    #[error("random number generator: replay value of {given} bytes where {needed} are needed")]
    WrongLength {
        /// Bytes of the prepared value.
        given: usize,
        /// Bytes asked for.
        needed: usize,
    },
    /// Rejection sampling found no valid scalar.
    #[error("random number generator: no valid scalar after {0} draws")]
    NoValidScalar(u32),
}

/// The operating system's cryptographically secure generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RandomError> {
        Ok(permitkit_model::random::fill_random(buf)?)
    }
}

/// Hands out prepared values in order, one per [`RandomSource::fill`] call (each value must have
/// the requested length). For replaying published test vectors only.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Default, Clone)]
pub struct Replay(std::collections::VecDeque<Vec<u8>>);

#[cfg(any(test, feature = "test-util"))]
impl Replay {
    /// Values to hand out, in order.
    pub fn new(values: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self(values.into_iter().collect())
    }
}

#[cfg(any(test, feature = "test-util"))]
impl RandomSource for Replay {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RandomError> {
        let v = self.0.pop_front().ok_or(RandomError::Exhausted)?;
        if v.len() != buf.len() {
            return Err(RandomError::WrongLength {
                given: v.len(),
                needed: buf.len(),
            });
        }
        buf.copy_from_slice(&v);
        Ok(())
    }
}
