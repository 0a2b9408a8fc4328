//! The card channel: one logical channel to a contactless chip (ARCHITECTURE.md §4).
//!
//! A channel moves command APDUs to the chip and response APDUs back (ISO/IEC 7816-4 §5) and
//! nothing else: no secure messaging and no retries, which belong to [`crate`]. PC/SC
//! readers (`permitkit-devices`, feature `pcsc`) and the virtual chip
//! (`permitkit-simulator`) implement it; [`crate::secured::Secured`] wraps any channel
//! and is itself a channel.
//!
//! [`transmit_following`] is the one implementation of the transport conventions of ISO/IEC
//! 7816-3 §12.2 and 7816-4 §5.3.4 (`61xx`: GET RESPONSE for the rest; `6Cxx`: send again with
//! the exact Le) for readers that leave them to the application.

use permitkit_iso7816::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};

/// Most GET RESPONSE rounds [`transmit_following`] sends for one command (256 × 256 bytes is
/// more than the largest response, 65 536 bytes).
pub const MAX_GET_RESPONSE_ROUNDS: usize = 256;

/// Sends `command` through `send`, following `6Cxx` by sending it again with the exact Le and
/// `61xx` with GET RESPONSE (`00 C0 00 00 xx`) until the chip has no more, and returns the
/// whole response with the last status word.
pub fn transmit_following(
    command: &CommandApdu,
    mut send: impl FnMut(&CommandApdu) -> Result<ResponseApdu, TransportError>,
) -> Result<ResponseApdu, TransportError> {
    let mut r = send(command)?;
    if let Some(exact) = r.sw().exact_length() {
        r = send(&command.clone().with_le(exact)?)?;
    }
    if r.sw().bytes_available().is_none() {
        return Ok(r);
    }
    let mut data = r.take_data();
    let mut sw = r.sw();
    let mut rounds = 0;
    while let Some(n) = sw.bytes_available() {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE_ROUNDS {
            return Err(TransportError::GetResponseChain {
                rounds: MAX_GET_RESPONSE_ROUNDS,
            });
        }
        let mut more = send(&CommandApdu::new(0x00, 0xC0, 0x00, 0x00).with_le(n)?)?;
        data.extend_from_slice(&more.take_data());
        sw = more.sw();
    }
    Ok(ResponseApdu::new(data, sw))
}

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
    /// The reader service (pcscd) is not running.
    #[error("{context}: the card reader service is not running")]
    NoService {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: DriverError,
    },
    /// No reader of that name, or the service has no reader at all.
    #[error("no card reader {reader}")]
    NoReader {
        /// The reader name (or the name pattern that matched none).
        reader: String,
        /// The driver's error, when the driver reported it.
        #[source]
        source: Option<DriverError>,
    },
    /// The reader holds no card, or the card does not answer.
    #[error("no card in reader {reader}")]
    NoCard {
        /// The reader name.
        reader: String,
        /// The driver's error.
        #[source]
        source: DriverError,
    },
    /// No card was presented within the time allowed.
    #[error("no card presented to reader {reader} within {seconds} s")]
    NoCardWithin {
        /// The reader name.
        reader: String,
        /// The time waited, in seconds.
        seconds: u64,
    },
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
    /// The chip still announced more data (`61xx`) after this many GET RESPONSE rounds.
    #[error("the chip still has data after {rounds} GET RESPONSE rounds")]
    GetResponseChain {
        /// Rounds sent.
        rounds: usize,
    },
    /// Secure messaging failed (wrong MAC, missing data objects, session ended by the chip).
    #[error(transparent)]
    SecureMessaging(#[from] crate::sm::SmError),
    /// A reader pseudo-APDU (e.g. the PC/SC GET DATA for the UID) was answered with an error.
    #[error("{context}: the reader answered {sw}")]
    ReaderStatus {
        /// What was being done.
        context: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// Any other reader or driver failure, with what was being done.
    #[error("{context}: reader failure")]
    Reader {
        /// What was being done (and on which reader).
        context: String,
        /// The driver's error.
        #[source]
        source: DriverError,
    },
}

/// A card reader driver's own error (e.g. `pcsc::Error`), kept as the source of a
/// [`TransportError`].
pub type DriverError = Box<dyn std::error::Error + Send + Sync>;

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

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_iso7816::apdu::StatusWord;

    fn follow(answers: &[&str]) -> (Result<ResponseApdu, TransportError>, Vec<String>) {
        let mut answers = answers.iter();
        let mut sent = Vec::new();
        let cmd = CommandApdu::new(0x00, 0xB0, 0x00, 0x00)
            .with_le(256)
            .unwrap();
        let r = transmit_following(&cmd, |c| {
            sent.push(hex::encode_upper(c.to_bytes()));
            let answer = answers.next().copied().unwrap_or("6102");
            Ok(ResponseApdu::parse(&hex::decode(answer).unwrap()).unwrap())
        });
        (r, sent)
    }

    #[test]
    fn get_response_collects_the_rest() {
        let (r, sent) = follow(&["01026104", "030405069000"]);
        let r = r.unwrap();
        assert_eq!(r.data(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(r.sw(), StatusWord::SUCCESS);
        assert_eq!(sent, ["00B0000000", "00C0000004"]);
    }

    #[test]
    fn wrong_length_is_sent_again_with_the_exact_le() {
        let (r, sent) = follow(&["6C03", "0A0B0C9000"]);
        assert_eq!(r.unwrap().data(), [0x0A, 0x0B, 0x0C]);
        assert_eq!(sent, ["00B0000000", "00B0000003"]);
    }

    #[test]
    fn an_endless_chain_stops() {
        let (r, sent) = follow(&[]);
        assert!(matches!(
            r,
            Err(TransportError::GetResponseChain {
                rounds: MAX_GET_RESPONSE_ROUNDS
            })
        ));
        assert_eq!(sent.len(), MAX_GET_RESPONSE_ROUNDS + 1);
    }
}
