//! The secure-messaging channel (ICAO Doc 9303-11 §9.8; ISO/IEC 7816-4 §10): [`Secured`] wraps
//! any [`CardChannel`] and protects every command it forwards with an [`SmSession`], checking
//! every response. A MAC failure or a session ended by the chip closes it for good; the caller
//! runs BAC or PACE again.

use crate::channel::{CardChannel, TransportError};
use crate::sm::{SmError, SmSession};
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu};

/// A channel whose every command is protected by secure messaging (returned by BAC and PACE).
#[derive(Debug)]
pub struct Secured<C> {
    inner: C,
    session: Option<SmSession>,
}

impl<C: CardChannel> Secured<C> {
    /// Wraps `inner` with an established session.
    pub fn new(inner: C, session: SmSession) -> Self {
        Self {
            inner,
            session: Some(session),
        }
    }

    /// True while the session is usable (no MAC failure, no session end by the chip).
    pub fn is_open(&self) -> bool {
        self.session.is_some()
    }

    /// The session, while open.
    pub fn session(&self) -> Option<&SmSession> {
        self.session.as_ref()
    }

    /// Replaces the session with a new one (Chip Authentication restarts secure messaging with
    /// its own keys, 9303-11 §6.2): the next command goes out under `session`.
    pub fn restart(&mut self, session: SmSession) {
        self.session = Some(session);
    }

    /// The unprotected channel underneath.
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// Gives the unprotected channel back.
    pub fn into_inner(self) -> C {
        self.inner
    }
}

impl<C: CardChannel> CardChannel for Secured<C> {
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }

    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let session = self.session.as_mut().ok_or(SmError::SessionClosed)?;
        let protected = session.protect_command(command)?;
        let response = match self.inner.transmit(&protected) {
            Ok(r) => r,
            Err(e) => {
                self.session = None;
                return Err(e);
            }
        };
        match session.unprotect_response(&response) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.session = None;
                Err(e.into())
            }
        }
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        self.session = None;
        self.inner.reset()
    }
}
