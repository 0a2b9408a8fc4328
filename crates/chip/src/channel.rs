//! The card channel: one logical channel to a contactless chip (ARCHITECTURE.md §4).
//!
//! A channel moves command APDUs to the chip and response APDUs back (ISO/IEC 7816-4 §5) and
//! nothing else: no secure messaging and no retries, which belong to [`crate`]. PC/SC
//! readers (`permitkit-devices`, feature `pcsc`) and the virtual chip
//! (`permitkit-simulator`) implement it; [`crate::sm::Secured`] wraps any channel
//! and is itself a channel.

use permitkit_iso7816::apdu::{ApduError, CommandApdu, ResponseApdu};

/// One logical channel to a chip.
pub trait CardChannel: Send {
    /// The answer-to-reset (for contactless chips, the reader's synthesized ATR).
    fn atr(&self) -> &[u8];
    /// Sends one command and returns the chip's response.
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError>;
    /// Resets the chip (warm reset); every session state on the chip is lost.
    fn reset(&mut self) -> Result<(), TransportError>;
}

impl<C: CardChannel + ?Sized> CardChannel for &mut C {
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        (**self).transmit(command)
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        (**self).reset()
    }
}

impl<C: CardChannel + ?Sized> CardChannel for Box<C> {
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        (**self).transmit(command)
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        (**self).reset()
    }
}

/// A failure to exchange APDUs (the chip's status words are data, not transport errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No reader matches, or the PC/SC service has no reader at all.
    #[error("no card reader: {0}")]
    NoReader(String),
    /// The reader holds no card.
    #[error("no card in reader {0}")]
    NoCard(String),
    /// The card left the field during the session.
    #[error("card removed during the session")]
    CardRemoved,
    /// The bytes received are not a response APDU, or a command cannot be encoded.
    #[error(transparent)]
    Apdu(#[from] ApduError),
    /// The command or response is longer than the reader or chip can carry.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLong {
        /// Command or response.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Secure messaging failed (wrong MAC, missing data objects, session ended by the chip).
    #[error(transparent)]
    SecureMessaging(#[from] crate::sm::SmError),
    /// Any other reader or driver failure, with what was being done.
    #[error("{context}: {message}")]
    Reader {
        /// What was being done.
        context: String,
        /// The driver's message.
        message: String,
    },
}

/// A channel that counts APDUs and bytes, for personalization reports and benchmarks.
#[derive(Debug)]
pub struct Counting<C> {
    inner: C,
    stats: ApduStats,
}

/// APDU traffic counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApduStats {
    /// Commands sent.
    pub commands: u64,
    /// Command bytes sent (header, lengths, data).
    pub bytes_sent: u64,
    /// Response bytes received (data and status word).
    pub bytes_received: u64,
}

impl<C> Counting<C> {
    /// Wraps `inner`.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            stats: ApduStats::default(),
        }
    }
    /// The counters so far.
    pub fn stats(&self) -> ApduStats {
        self.stats
    }
    /// The wrapped channel.
    pub fn into_inner(self) -> C {
        self.inner
    }
    /// The wrapped channel.
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }
}

impl<C: CardChannel> CardChannel for Counting<C> {
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        self.stats.commands += 1;
        self.stats.bytes_sent += command.to_bytes().len() as u64;
        let r = self.inner.transmit(command)?;
        self.stats.bytes_received += r.data().len() as u64 + 2;
        Ok(r)
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        self.inner.reset()
    }
}
