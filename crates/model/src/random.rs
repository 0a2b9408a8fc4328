//! Randomness from the operating system's cryptographically secure generator.
//!
//! The single place where permitkit draws randomness, so that every protocol step that needs a
//! nonce, a key or a salt reports a generator failure the same way, with the generator's own
//! error kept as its source.

use std::sync::Arc;

/// The operating system's random number generator failed; the source is the generator's error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError {
    #[source]
    source: Arc<dyn std::error::Error + Send + Sync>,
}

/// Fills `buf` from the operating system's cryptographically secure generator.
pub fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(RandomError::new)
}

impl RandomError {
    /// A generator failure reported by another API that drew from the operating system (a key
    /// generation through `getrandom::SysRng`, say), keeping that API's error as the source.
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            source: Arc::new(source),
        }
    }
}

impl From<getrandom::Error> for RandomError {
    fn from(source: getrandom::Error) -> Self {
        Self::new(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn the_generator_error_is_kept_as_the_source() {
        let e = RandomError::from(getrandom::Error::UNSUPPORTED);
        assert_eq!(
            e.to_string(),
            "the operating system's random number generator failed"
        );
        let source = e.source().map(ToString::to_string);
        assert_eq!(
            source,
            Some(getrandom::Error::UNSUPPORTED.to_string()),
            "the generator's own error stays reachable"
        );
    }

    #[test]
    fn fill_random_fills() -> Result<(), RandomError> {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_random(&mut a)?;
        fill_random(&mut b)?;
        assert_ne!(
            a, b,
            "two 256-bit draws are equal only with probability 2^-256"
        );
        Ok(())
    }
}
