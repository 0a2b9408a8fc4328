//! The random source the `cms` builder draws the content key and IV from. The builder wants an
//! infallible generator; the system's can fail. [`SealRng`] records a failure instead of
//! panicking and [`super::seal`] then discards what was built: no envelope is ever made from
//! anything but the system generator's output.

use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};

use super::EnvelopeError;

/// The system generator, its first failure kept for [`SealRng::check`].
#[derive(Default)]
pub(crate) struct SealRng {
    failure: Option<getrandom::Error>,
}

impl SealRng {
    /// `Err` when any draw failed.
    pub(crate) fn check(&self) -> Result<(), EnvelopeError> {
        match self.failure {
            Some(e) => Err(EnvelopeError::Random(e.into())),
            None => Ok(()),
        }
    }
}

impl TryRng for SealRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if let Err(e) = getrandom::fill(dst) {
            dst.fill(0);
            self.failure.get_or_insert(e);
        }
        Ok(())
    }
}

impl TryCryptoRng for SealRng {}
