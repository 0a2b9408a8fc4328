//! Randomness from the operating system's cryptographically secure generator.
//!
//! The single place where permitkit draws randomness, so that every protocol step that needs a
//! nonce, a key or a salt reports a generator failure the same way.

/// The operating system's random number generator failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("random number generator failed: {0}")]
pub struct RandomError(String);

/// Fills `buf` from the operating system's cryptographically secure generator.
pub fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(e.to_string()))
}

impl RandomError {
    /// A generator failure reported by another API that drew from the operating system.
    pub fn new(reason: impl std::fmt::Display) -> Self {
        Self(reason.to_string())
    }
}
