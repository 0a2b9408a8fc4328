//! A contactless link's timing for virtual chips, so that a line's throughput against the
//! simulator means something: each APDU costs the reader's turnaround, its bits at the
//! ISO/IEC 14443 bit rate (command and response, with the 14443-3 framing of one parity bit per
//! byte), and for UPDATE BINARY (ISO/IEC 7816-4 §11.3.5) the chip's EEPROM programming time per
//! byte written. The defaults are those of a typical desktop reader and a card at 424 kbit/s.

use std::time::Duration;

use permitkit_chip::{CardChannel, TransportError};
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu};

/// The timing of one link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkModel {
    /// Reader and protocol turnaround per APDU (frame waiting, PCD processing).
    pub per_apdu: Duration,
    /// Bit rate, kbit/s (106, 212, 424 or 848).
    pub kbit_s: u32,
    /// EEPROM programming time per byte written.
    pub per_written_byte: Duration,
}

impl Default for LinkModel {
    fn default() -> Self {
        Self {
            per_apdu: Duration::from_micros(2_500),
            kbit_s: 424,
            per_written_byte: Duration::from_micros(20),
        }
    }
}

impl LinkModel {
    /// No delay at all (unit tests).
    pub fn instant() -> Self {
        Self {
            per_apdu: Duration::ZERO,
            kbit_s: 0,
            per_written_byte: Duration::ZERO,
        }
    }

    /// The time one exchange of `command_len` and `response_len` bytes takes, `written` of
    /// them programmed into EEPROM.
    pub fn exchange(&self, command_len: usize, response_len: usize, written: usize) -> Duration {
        let bits = (command_len + response_len) as u64 * 9;
        let air = if self.kbit_s == 0 {
            Duration::ZERO
        } else {
            Duration::from_micros(bits * 1000 / u64::from(self.kbit_s))
        };
        let eeprom = self
            .per_written_byte
            .saturating_mul(u32::try_from(written).unwrap_or(u32::MAX));
        self.per_apdu + air + eeprom
    }
}

/// A channel that takes as long as the link it models.
pub struct LatencyChannel<C> {
    inner: C,
    model: LinkModel,
}

impl<C> LatencyChannel<C> {
    /// `inner` behind a link timed by `model`.
    pub fn new(inner: C, model: LinkModel) -> Self {
        Self { inner, model }
    }
}

/// UPDATE BINARY (odd and even instruction).
fn writes(command: &CommandApdu) -> usize {
    match command.ins() {
        0xD6 | 0xD7 => command.data().len(),
        _ => 0,
    }
}

impl<C: CardChannel> CardChannel for LatencyChannel<C> {
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }

    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let response = self.inner.transmit(command)?;
        let delay = self.model.exchange(
            command.to_bytes().len(),
            response.data().len() + 2,
            writes(command),
        );
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        Ok(response)
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        std::thread::sleep(self.model.per_apdu);
        self.inner.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_costs_turnaround_air_time_and_eeprom_writes() {
        let model = LinkModel::default();
        // 100 bytes at 424 kbit/s with parity: 900 bits, 2122 µs.
        assert_eq!(
            model.exchange(60, 40, 0),
            Duration::from_micros(2_500 + 2_122)
        );
        assert_eq!(
            model.exchange(60, 40, 50),
            Duration::from_micros(2_500 + 2_122 + 1_000)
        );
        assert_eq!(LinkModel::instant().exchange(60, 40, 50), Duration::ZERO);
    }
}
