//! The vsmartcard vpcd bridge: serves a [`Card`] to `pcscd` as a virtual ICC ("vicc").
//!
//! vsmartcard's `vpcd` driver runs inside pcscd. Every message either way is a 2-byte
//! big-endian length followed by the payload. A 1-byte payload from vpcd is a control code:
//! `00` power off, `01` power on, `02` reset, `04` get ATR (answered with the ATR); anything
//! longer is a command APDU answered with the response APDU. The connection closing means the
//! card left the reader. Two ways to meet (vsmartcard `reader.conf`): vpcd listens (default
//! port 35963, `DEVICENAME /dev/null:0x8C7B`) and we connect ([`Mode::Connect`]), or vpcd
//! connects to a vicc that listens (`DEVICENAME host:port`, [`Mode::Listen`]). Both bind and
//! connect on loopback addresses only.
//!
//! [`serve`] serves one card; [`serve_feeder`] serves the card on a [`CardFeeder`]'s reader and
//! swaps it when the feeder's `request` file asks: the connection is closed (vpcd reports the
//! card removed) and opened again with the other card (inserted), as an operator taking a card
//! off the reader and putting another on it. The request is looked at between frames; pcscd
//! polls an idle reader with get-ATR frames, so a swap happens within a poll interval.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use crate::card_feeder::{CardFeeder, FeederRequest, Present};
use crate::sim_state;
use permitkit_simulator::{Card, CardConfig, SimError};

/// vpcd's default port (0x8C7B).
pub const DEFAULT_PORT: u16 = 35_963;

/// How the bridge meets vpcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// vpcd listens; we connect (and reconnect when pcscd restarts).
    Connect(SocketAddr),
    /// We listen; vpcd connects (reverse mode).
    Listen(SocketAddr),
}

/// Resolves `host:port` and requires a loopback address.
pub fn loopback_addr(text: &str) -> Result<SocketAddr, SimError> {
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| SimError::io(format!("resolving {text}"), e))?
        .collect();
    let first = addrs
        .first()
        .copied()
        .ok_or_else(|| SimError::NoAddress(text.to_owned()))?;
    if !addrs.iter().all(|a| a.ip().is_loopback()) {
        return Err(SimError::NotLoopback(text.to_owned()));
    }
    Ok(first)
}

/// What happened in one vpcd connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SessionStats {
    /// APDUs answered.
    pub apdus: u64,
    /// Control messages handled.
    pub controls: u64,
}

/// Serves `card` until `sessions` connections have ended (forever when `None`). The state is
/// saved to `state_path` after every command that changed the card and when a connection ends.
pub fn serve(
    card: &mut Card,
    mode: Mode,
    state_path: Option<&Path>,
    sessions: Option<u64>,
) -> Result<(), SimError> {
    let listener = match mode {
        Mode::Listen(addr) => {
            Some(TcpListener::bind(addr).map_err(|e| SimError::io(format!("binding {addr}"), e))?)
        }
        Mode::Connect(_) => None,
    };
    if let Some(a) = listener.as_ref().and_then(|l| l.local_addr().ok()) {
        tracing::info!("virtual chip listening for vpcd on {a}");
    }
    let mut done = 0u64;
    while sessions.is_none_or(|n| done < n) {
        let stream = match (&listener, mode) {
            (Some(l), _) => l
                .accept()
                .map(|(s, _)| s)
                .map_err(|e| SimError::io("accepting a vpcd connection", e))?,
            (None, Mode::Connect(addr)) | (None, Mode::Listen(addr)) => connect_retrying(addr),
        };
        let _ = stream.set_nodelay(true);
        let outcome = serve_connection(card, QuickAck(stream), state_path);
        if let Some(p) = state_path {
            sim_state::save(card, p)?;
        }
        card.power_off();
        match outcome {
            Ok(stats) => tracing::info!(
                "vpcd connection closed after {} APDUs, {} control messages",
                stats.apdus,
                stats.controls
            ),
            Err(e) => tracing::warn!("vpcd connection ended: {e}"),
        }
        done += 1;
    }
    Ok(())
}

/// How long a card taken off the feeder's reader stays out of the field before another is
/// presented: longer than two of pcscd's presence polls (`PCSCLITE_STATUS_POLL_RATE`, 400 ms),
/// so pcscd reports the removal. A card that is back before a poll looks to pcscd like the same
/// card that failed (it never reports the removal and the reader stays unusable).
pub const OUT_OF_FIELD: Duration = Duration::from_millis(1000);

/// Serves the card on `feeder`'s reader (a blank card when it holds none) until `sessions`
/// connections have ended (forever when `None`), saving the card to its state file after every
/// change, and doing what the feeder's request file asks: another card presented (the
/// connection closes, vpcd reports the card removed, and opens again with the other card), or
/// the card pulled after some APDUs (the reader then stays empty until a card is presented).
pub fn serve_feeder(
    feeder: &CardFeeder,
    config: CardConfig,
    mode: Mode,
    sessions: Option<u64>,
) -> Result<(), SimError> {
    let mut on_reader = Some(feeder.present(&Present::Same, config.clone())?);
    let listener = match mode {
        Mode::Listen(addr) => {
            Some(TcpListener::bind(addr).map_err(|e| SimError::io(format!("binding {addr}"), e))?)
        }
        Mode::Connect(_) => None,
    };
    let mut done = 0u64;
    while sessions.is_none_or(|n| done < n) {
        let Some((card, path)) = on_reader.as_mut() else {
            // The reader is empty: wait for a card.
            match feeder.take_request() {
                Ok(Some(FeederRequest::Present(what))) => {
                    on_reader = Some(feeder.present(&what, config.clone())?);
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => {
                    tracing::warn!("card feeder request: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            continue;
        };
        tracing::info!("card {} on the reader", card.serial());
        let stream = match (&listener, mode) {
            (Some(l), _) => l
                .accept()
                .map(|(s, _)| s)
                .map_err(|e| SimError::io("accepting a vpcd connection", e))?,
            (None, Mode::Connect(addr)) | (None, Mode::Listen(addr)) => connect_retrying(addr),
        };
        let _ = stream.set_nodelay(true);
        let mut next: Option<Present> = None;
        let mut pull_budget: Option<u64> = None;
        let mut pulled = false;
        let outcome = serve_until(card, QuickAck(stream), Some(path), &mut |frame| {
            let Some(frame) = frame else {
                // An APDU was answered: the card leaves when the budget is spent (closing the
                // connection between two APDUs; vpcd 0.8 does not recover from a connection
                // closed while it waits for an answer).
                if let Some(n) = pull_budget.as_mut() {
                    *n = n.saturating_sub(1);
                    pulled = *n == 0;
                }
                return pulled;
            };
            match feeder.take_request() {
                Ok(Some(FeederRequest::Present(what))) => {
                    next = Some(what);
                    return true;
                }
                Ok(Some(FeederRequest::PullAfter(n))) => pull_budget = Some(n),
                Ok(None) => {}
                Err(e) => tracing::warn!("card feeder request: {e}"),
            }
            if frame.len() > 1 && pull_budget == Some(0) {
                pulled = true;
                return true;
            }
            false
        });
        sim_state::save(card, path)?;
        card.power_off();
        match outcome {
            Ok(stats) => tracing::info!(
                "vpcd connection closed after {} APDUs, {} control messages",
                stats.apdus,
                stats.controls
            ),
            Err(e) => tracing::warn!("vpcd connection ended: {e}"),
        }
        if next.is_some() || pulled {
            std::thread::sleep(OUT_OF_FIELD);
        }
        if let Some(what) = next {
            let (card, path) = feeder.present(&what, config.clone())?;
            tracing::info!("card {} put on the reader ({what})", card.serial());
            on_reader = Some((card, path));
        } else if pulled {
            tracing::info!("card pulled out of the field");
            on_reader = None;
        } else {
            done += 1;
        }
    }
    Ok(())
}

/// A TCP stream that acknowledges at once before every read. vpcd sends the 2-byte length and
/// the APDU in two writes; with Nagle on its side and delayed ACKs on ours, each APDU would
/// otherwise wait for the delayed-ACK timer (about 40 ms on Linux).
struct QuickAck(TcpStream);

impl Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(target_os = "linux")]
        {
            let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
        }
        self.0.read(buf)
    }
}

impl Write for QuickAck {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn connect_retrying(addr: SocketAddr) -> TcpStream {
    let mut logged = false;
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => {
                tracing::info!("connected to vpcd at {addr}");
                return s;
            }
            Err(e) => {
                if !logged {
                    tracing::info!("waiting for vpcd at {addr}: {e}");
                    logged = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Largest vpcd frame (the length prefix is 16 bits).
const MAX_FRAME: usize = 0xFFFF;

fn read_frame(stream: &mut impl Read) -> Result<Option<Vec<u8>>, SimError> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(SimError::io("reading a vpcd frame length", e)),
    }
    let n = usize::from(u16::from_be_bytes(len));
    let mut buf = vec![0u8; n];
    stream
        .read_exact(&mut buf)
        .map_err(|e| SimError::io("reading a vpcd frame", e))?;
    Ok(Some(buf))
}

fn write_frame(stream: &mut impl Write, payload: &[u8]) -> Result<(), SimError> {
    if payload.len() > MAX_FRAME {
        return Err(SimError::FrameTooLong(payload.len()));
    }
    let len = u16::try_from(payload.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes();
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len);
    frame.extend_from_slice(payload);
    stream
        .write_all(&frame)
        .map_err(|e| SimError::io("writing a vpcd frame", e))
}

/// Handles one vpcd connection until it closes.
pub fn serve_connection(
    card: &mut Card,
    stream: impl Read + Write,
    state_path: Option<&Path>,
) -> Result<SessionStats, SimError> {
    serve_until(card, stream, state_path, &mut |_| false)
}

/// Handles one vpcd connection until it closes, or until `leave` says the card leaves the
/// reader: asked with each frame before it is answered (`Some(frame)`: the frame is left
/// unanswered) and after each APDU is answered (`None`); the connection is then dropped.
fn serve_until(
    card: &mut Card,
    mut stream: impl Read + Write,
    state_path: Option<&Path>,
    leave: &mut dyn FnMut(Option<&[u8]>) -> bool,
) -> Result<SessionStats, SimError> {
    let mut stats = SessionStats::default();
    while let Some(frame) = read_frame(&mut stream)? {
        if leave(Some(&frame)) {
            return Ok(stats);
        }
        match frame.as_slice() {
            [0x00] => {
                stats.controls += 1;
                card.power_off();
            }
            [0x01] | [0x02] => {
                stats.controls += 1;
                card.power_on();
            }
            [0x04] => {
                stats.controls += 1;
                let atr = card.config().atr.clone();
                write_frame(&mut stream, &atr)?;
            }
            [other] => {
                return Err(SimError::UnknownControl(*other));
            }
            apdu => {
                stats.apdus += 1;
                let response = card.process(apdu);
                write_frame(&mut stream, &response)?;
                if let (true, Some(p)) = (card.take_dirty(), state_path) {
                    sim_state::save(card, p)?;
                }
                if leave(None) {
                    return Ok(stats);
                }
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_simulator::CardConfig;

    #[test]
    fn frames_controls_and_apdus() {
        let mut input = Vec::new();
        for payload in [
            &[0x01][..],
            &[0x04],
            &[0x00, 0x84, 0x00, 0x00, 0x08],
            &[0x00],
        ] {
            input.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
            input.extend_from_slice(payload);
        }
        struct Duplex(std::io::Cursor<Vec<u8>>, Vec<u8>);
        impl Read for Duplex {
            fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                self.0.read(b)
            }
        }
        impl Write for Duplex {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.1.write(b)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut card = Card::new(CardConfig::default());
        let mut d = Duplex(std::io::Cursor::new(input), Vec::new());
        let stats = serve_connection(&mut card, &mut d, None).unwrap();
        assert_eq!(
            stats,
            SessionStats {
                apdus: 1,
                controls: 3
            }
        );
        let atr = CardConfig::default().atr;
        let out = d.1;
        assert_eq!(usize::from(u16::from_be_bytes([out[0], out[1]])), atr.len());
        assert_eq!(&out[2..2 + atr.len()], atr.as_slice());
        let rest = &out[2 + atr.len()..];
        assert_eq!(rest[..2], [0, 10]);
        assert_eq!(&rest[10..12], &[0x90, 0x00]);
    }

    #[test]
    fn refuses_non_loopback_addresses() {
        assert!(loopback_addr("127.0.0.1:35963").is_ok());
        assert!(matches!(
            loopback_addr("192.0.2.1:35963"),
            Err(SimError::NotLoopback(_))
        ));
    }
}
