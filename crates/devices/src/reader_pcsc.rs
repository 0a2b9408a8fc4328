//! PC/SC contactless readers through pcsc-lite (feature `pcsc`): list readers, wait for a
//! card, connect, exchange APDUs (PC/SC Part 3/5; ISO/IEC 7816-3/-4 transport conventions).
//!
//! A card session is one exclusive connection (`SCARD_SHARE_EXCLUSIVE`), so no other
//! application can interleave commands with a secure-messaging session or a personalization.
//! `61xx` is followed with GET RESPONSE and `6Cxx` re-sent with the exact Le, for readers that
//! leave T=0 conventions to the application. The card UID comes from the PC/SC pseudo-APDU
//! `FF CA 00 00 00`, answered by the reader driver. Errors say "no reader", "no card" or "card
//! removed" in words an operator can act on.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};

use permitkit_chip::channel::{CardChannel, TransportError, transmit_following};
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu};
use permitkit_model::profiles::reader::glob_match;

/// A reader as PC/SC lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReaderInfo {
    /// The PC/SC reader name.
    pub name: String,
    /// True when a card is in the field.
    pub card_present: bool,
    /// The card's ATR (empty when no card).
    pub atr: Vec<u8>,
}

fn reader_error(context: &str, e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => TransportError::NoService {
            context: context.to_owned(),
            source: Box::new(e),
        },
        pcsc::Error::NoReadersAvailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::ReaderUnavailable => TransportError::NoReader {
            reader: context.to_owned(),
            source: Some(Box::new(e)),
        },
        pcsc::Error::NoSmartcard | pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard => {
            TransportError::NoCard {
                reader: context.to_owned(),
                source: Box::new(e),
            }
        }
        pcsc::Error::RemovedCard | pcsc::Error::ResetCard => TransportError::CardRemoved,
        other => TransportError::Reader {
            context: context.to_owned(),
            source: Box::new(other),
        },
    }
}

/// Every reader PC/SC knows, with card presence.
pub fn list_readers() -> Result<Vec<ReaderInfo>, TransportError> {
    let ctx = Context::establish(Scope::User).map_err(|e| reader_error("PC/SC", e))?;
    let names = match ctx.list_readers_owned() {
        Ok(n) => n,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(reader_error("listing readers", e)),
    };
    let mut states: Vec<pcsc::ReaderState> = names
        .iter()
        .map(|n| pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE))
        .collect();
    if !states.is_empty() {
        ctx.get_status_change(Duration::from_millis(0), &mut states)
            .or_else(|e| {
                if e == pcsc::Error::Timeout {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| reader_error("reader status", e))?;
    }
    Ok(states
        .iter()
        .map(|s| ReaderInfo {
            name: s.name().to_string_lossy().into_owned(),
            card_present: s.event_state().contains(pcsc::State::PRESENT),
            atr: if s.event_state().contains(pcsc::State::PRESENT) {
                s.atr().to_vec()
            } else {
                Vec::new()
            },
        })
        .collect())
}

/// An exclusive connection to the card in one PC/SC reader.
pub struct PcscCard {
    // Kept alive for the card handle.
    _ctx: Context,
    card: pcsc::Card,
    name: String,
    atr: Vec<u8>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.name)
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// Connects to the first reader whose name matches `glob`, waiting up to `wait` for a
    /// card to be presented.
    pub fn open(glob: &str, wait: Duration) -> Result<Self, TransportError> {
        let ctx = Context::establish(Scope::User).map_err(|e| reader_error("PC/SC", e))?;
        let names = ctx
            .list_readers_owned()
            .map_err(|e| reader_error("listing readers", e))?;
        let name: CString = names
            .into_iter()
            .find(|n| glob_match(glob, &n.to_string_lossy()))
            .ok_or_else(|| TransportError::NoReader {
                reader: format!("matching {glob:?}"),
                source: None,
            })?;
        let shown = name.to_string_lossy().into_owned();
        wait_for_card(&ctx, &name, wait)?;
        let card = ctx
            .connect(&name, ShareMode::Exclusive, Protocols::ANY)
            .map_err(|e| reader_error(&shown, e))?;
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .map_err(|e| reader_error(&shown, e))?;
        Ok(Self {
            _ctx: ctx,
            card,
            name: shown,
            atr,
            buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }

    /// The PC/SC reader name.
    pub fn reader_name(&self) -> &str {
        &self.name
    }

    /// The card UID (or the random UID of an eMRTD) via the PC/SC pseudo-APDU `FF CA 00 00 00`.
    pub fn uid(&mut self) -> Result<Vec<u8>, TransportError> {
        let cmd = CommandApdu::new(0xFF, 0xCA, 0x00, 0x00).with_le(256)?;
        let r = self.raw(&cmd)?;
        if r.is_success() {
            Ok(r.data().to_vec())
        } else {
            Err(TransportError::ReaderStatus {
                context: "GET DATA (UID)",
                sw: r.sw(),
            })
        }
    }

    fn raw(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let send = zeroize::Zeroizing::new(command.to_bytes());
        let received = self
            .card
            .transmit(&send, &mut self.buf)
            .map_err(|e| reader_error(&self.name, e))?;
        let r = ResponseApdu::parse(received);
        let n = received.len();
        if let Some(b) = self.buf.get_mut(..n) {
            b.fill(0);
        }
        Ok(r?)
    }
}

fn wait_for_card(ctx: &Context, name: &CStr, wait: Duration) -> Result<(), TransportError> {
    let shown = name.to_string_lossy();
    let deadline = Instant::now() + wait;
    let mut states = [pcsc::ReaderState::new(
        name.to_owned(),
        pcsc::State::UNAWARE,
    )];
    loop {
        match ctx.get_status_change(Duration::from_millis(0), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(reader_error(&shown, e)),
        }
        let state = states
            .first()
            .map(|s| s.event_state())
            .unwrap_or(pcsc::State::empty());
        if state.contains(pcsc::State::PRESENT) && !state.contains(pcsc::State::MUTE) {
            return Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TransportError::NoCardWithin {
                reader: shown.into_owned(),
                seconds: wait.as_secs(),
            });
        }
        for s in &mut states {
            s.sync_current_state();
        }
        match ctx.get_status_change(left.min(Duration::from_millis(500)), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(reader_error(&shown, e)),
        }
    }
}

impl CardChannel for PcscCard {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        transmit_following(command, |c| self.raw(c))
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        self.card
            .reconnect(ShareMode::Exclusive, Protocols::ANY, Disposition::ResetCard)
            .map_err(|e| reader_error(&self.name, e))
    }
}

impl Drop for PcscCard {
    fn drop(&mut self) {
        self.buf.fill(0);
    }
}
