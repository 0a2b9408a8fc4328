//! File access on the chip (ISO/IEC 7816-4 §11.2–11.3; ICAO Doc 9303-10 §3.11, 9303-11 §9.8):
//! SELECT, READ BINARY (short file identifier in P1, odd INS `B1` with offset object `54` for
//! offsets above 32767), whole-EF reads sized by the file's own TLV header, UPDATE BINARY
//! (odd INS `D7` above 32767) and CREATE FILE in two forms: the JMRTD applet's proprietary
//! `63` object and the ISO/IEC 7816-9:2004 §6.1 FCP template ([`create_file_fcp`]).
//!
//! These functions take any [`CardChannel`]: they never know whether secure messaging is on.

use crate::channel::CardChannel;
use crate::{ChipError, Malformation, Oversize, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::{EMRTD_AID, Ef};

/// Largest offset READ/UPDATE BINARY can carry in P1-P2 (15 bits).
pub const MAX_EVEN_OFFSET: usize = 0x7FFF;

/// Sends `cmd`, following `61xx` with GET RESPONSE and `6Cxx` by re-sending with the exact Le
/// ([`crate::channel::transmit_following`]).
pub fn transmit(
    channel: &mut dyn CardChannel,
    cmd: &CommandApdu,
) -> Result<ResponseApdu, ChipError> {
    Ok(crate::channel::transmit_following(cmd, |c| {
        channel.transmit(c)
    })?)
}

/// SELECT the master file (`00 A4 00 0C`, then with `3F00` if the chip wants a file id).
pub fn select_mf(channel: &mut dyn CardChannel) -> Result<(), ChipError> {
    let r = channel.transmit(&CommandApdu::new(0x00, 0xA4, 0x00, 0x0C))?;
    if r.is_success() {
        return Ok(());
    }
    let cmd = CommandApdu::new(0x00, 0xA4, 0x00, 0x0C)
        .with_data(vec![0x3F, 0x00])
        .map_err(ChipError::from_apdu)?;
    expect_success("SELECT MF", channel.transmit(&cmd)?.sw())
}

/// SELECT the eMRTD application by its AID.
pub fn select_application(channel: &mut dyn CardChannel) -> Result<(), ChipError> {
    let cmd = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
        .with_data(EMRTD_AID.to_vec())
        .map_err(ChipError::from_apdu)?;
    expect_success("SELECT eMRTD application", channel.transmit(&cmd)?.sw())
}

/// SELECT an EF by file identifier in the current DF (no response data).
pub fn select_ef(channel: &mut dyn CardChannel, fid: u16) -> Result<(), ChipError> {
    let cmd = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
        .with_data(fid.to_be_bytes().to_vec())
        .map_err(ChipError::from_apdu)?;
    expect_success("SELECT EF", channel.transmit(&cmd)?.sw())
}

/// SELECT an EF asking for its FCP; returns the file size (tag `80`), or `None` when the chip
/// gives no FCP. `Err(Status 6A82)` when the file does not exist.
pub fn select_ef_size(channel: &mut dyn CardChannel, fid: u16) -> Result<Option<usize>, ChipError> {
    let cmd = CommandApdu::new(0x00, 0xA4, 0x02, 0x04)
        .with_data(fid.to_be_bytes().to_vec())
        .and_then(|c| c.with_le(256))
        .map_err(ChipError::from_apdu)?;
    let r = transmit(channel, &cmd)?;
    expect_success("SELECT EF", r.sw())?;
    let Ok(fcp) = tlv::parse_single(r.data(), Tag::new(0x62)) else {
        return Ok(None);
    };
    let mut items = fcp.children()?;
    while !items.is_empty() {
        let t = items.read()?;
        if t.tag() == Tag::new(0x80) && !t.value().is_empty() && t.value().len() <= 4 {
            return Ok(Some(
                t.value()
                    .iter()
                    .fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            ));
        }
    }
    Ok(None)
}

/// CREATE FILE in the JMRTD applet's proprietary form `00 E0 00 00 06 63 04 size(2) fid(2)`
/// (the JMRTD passport applet, docs/spec/apdu.md §3). It borrows INS `E0` from ISO/IEC 7816-9
/// but is not that standard's command: its data field is not the FCP template `62` (see
/// [`create_file_fcp`]). Returns `false` when the file already exists (`6A89`).
pub fn create_file(
    channel: &mut dyn CardChannel,
    fid: u16,
    size: usize,
) -> Result<bool, ChipError> {
    let size16 = u16::try_from(size).map_err(|_| ChipError::TooLarge {
        what: Oversize::FileId(fid),
        size,
        max: 0xFFFF,
    })?;
    let mut value = size16.to_be_bytes().to_vec();
    value.extend_from_slice(&fid.to_be_bytes());
    send_create_file(channel, tlv::encode(Tag::new(0x63), &value)?)
}

/// CREATE FILE as ISO/IEC 7816-9:2004 §6.1: `00 E0 00 00 Lc` with the FCP template `62` of
/// ISO/IEC 7816-4:2005 §5.3.3 as data ([`permitkit_iso7816::fcp`]). Returns `false` when the
/// file already exists (`6A89`).
pub fn create_file_fcp(
    channel: &mut dyn CardChannel,
    fcp: &permitkit_iso7816::fcp::Fcp,
) -> Result<bool, ChipError> {
    send_create_file(channel, fcp.encode()?)
}

fn send_create_file(channel: &mut dyn CardChannel, data: Vec<u8>) -> Result<bool, ChipError> {
    let cmd = CommandApdu::new(0x00, 0xE0, 0x00, 0x00)
        .with_data(data)
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&cmd)?;
    match r.sw() {
        StatusWord::SUCCESS => Ok(true),
        StatusWord::FILE_ALREADY_EXISTS => Ok(false),
        StatusWord::CONDITIONS_NOT_SATISFIED => Err(ChipError::CardLocked),
        sw => Err(ChipError::Status {
            command: "CREATE FILE",
            sw,
        }),
    }
}

/// Encodes an odd-INS offset data object `54` (ISO/IEC 7816-4 §11.3.3).
fn offset_object(offset: usize) -> Result<Vec<u8>, ChipError> {
    const MAX_OFFSET: usize = 0xFF_FFFF;
    let bytes = u32::try_from(offset)
        .ok()
        .filter(|_| offset <= MAX_OFFSET)
        .ok_or(ChipError::TooLarge {
            what: Oversize::Offset,
            size: offset,
            max: MAX_OFFSET,
        })?
        .to_be_bytes();
    let value = if offset <= 0xFFFF {
        bytes.get(2..).unwrap_or_default()
    } else {
        bytes.get(1..).unwrap_or_default()
    };
    Ok(tlv::encode(Tag::new(0x54), value)?)
}

/// UPDATE BINARY of the current EF: `D6` with the offset in P1-P2 up to 32767, `D7` with
/// `54 offset` `53 data` beyond.
pub fn update_binary(
    channel: &mut dyn CardChannel,
    offset: usize,
    data: &[u8],
) -> Result<(), ChipError> {
    let cmd = if offset <= MAX_EVEN_OFFSET {
        let [p1, p2] = u16::try_from(offset).unwrap_or(0).to_be_bytes();
        CommandApdu::new(0x00, 0xD6, p1, p2).with_data(data.to_vec())
    } else {
        let mut body = offset_object(offset)?;
        body.extend_from_slice(&tlv::encode(Tag::new(0x53), data)?);
        CommandApdu::new(0x00, 0xD7, 0x00, 0x00).with_data(body)
    }
    .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&cmd)?;
    match r.sw() {
        StatusWord::SUCCESS => Ok(()),
        StatusWord::CONDITIONS_NOT_SATISFIED => Err(ChipError::CardLocked),
        sw => Err(ChipError::Status {
            command: "UPDATE BINARY",
            sw,
        }),
    }
}

/// Overhead of the odd-INS answer `53 L data` counted against Ne.
const ODD_OVERHEAD: usize = 5;

/// One READ BINARY of up to `len` bytes at `offset` of the current EF, or of the EF with short
/// file identifier `sfi` (which also selects it; offset ≤ 255 then). Returns the data and the
/// status word (`9000` or `6282`); other status words are errors.
pub fn read_binary(
    channel: &mut dyn CardChannel,
    sfi: Option<u8>,
    offset: usize,
    len: usize,
) -> Result<Vec<u8>, ChipError> {
    let (cmd, odd) = match sfi {
        Some(sfi) if offset <= 0xFF => (
            CommandApdu::new(
                0x00,
                0xB0,
                0x80 | (sfi & 0x1F),
                u8::try_from(offset).unwrap_or(0),
            ),
            false,
        ),
        _ if offset <= MAX_EVEN_OFFSET => {
            let [p1, p2] = u16::try_from(offset).unwrap_or(0).to_be_bytes();
            (CommandApdu::new(0x00, 0xB0, p1, p2), false)
        }
        _ => (
            CommandApdu::new(0x00, 0xB1, 0x00, 0x00)
                .with_data(offset_object(offset)?)
                .map_err(ChipError::from_apdu)?,
            true,
        ),
    };
    let ne = if odd { len + ODD_OVERHEAD } else { len };
    let cmd = cmd
        .with_le(ne.min(permitkit_iso7816::apdu::MAX_LE))
        .map_err(ChipError::from_apdu)?;
    let r = transmit(channel, &cmd)?;
    match r.sw() {
        StatusWord::SUCCESS | StatusWord::END_OF_FILE => {}
        sw => {
            return Err(ChipError::Status {
                command: "READ BINARY",
                sw,
            });
        }
    }
    if !odd {
        return Ok(r.data().to_vec());
    }
    let t = tlv::parse_single(r.data(), Tag::new(0x53))?;
    Ok(t.value().to_vec())
}

/// How much one READ BINARY may ask for, and how large an EF may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most plain data bytes asked for in one READ BINARY.
    pub chunk: usize,
    /// Largest EF accepted (from the chip profile).
    pub max_ef_size: usize,
}

impl ReadLimits {
    /// 223-byte reads (the largest plain chunk whose secure-messaging answer, 3DES or AES,
    /// still fits a short response) and a 64 KiB EF limit.
    pub const SHORT: Self = Self {
        chunk: 223,
        max_ef_size: 65_535,
    };

    /// The largest plain chunk whose secure-messaging answer (worst case AES padding, DO87,
    /// DO99, DO8E, SW) fits `max_response` bytes.
    pub fn sm_chunk(max_response: usize) -> usize {
        let wrapped = |n: usize| {
            let padded = (n / 16 + 1) * 16 + 1;
            let lenlen = if padded < 0x80 {
                1
            } else if padded <= 0xFF {
                2
            } else {
                3
            };
            1 + lenlen + padded + 4 + 10 + 2
        };
        let mut n = max_response.min(permitkit_iso7816::apdu::MAX_LE);
        while n > 1 && wrapped(n) > max_response + 2 {
            n -= 1;
        }
        n.max(1)
    }
}

/// Reads a whole EF: the first READ BINARY (by SFI, or after SELECT when `sfi` is false) learns
/// the length from the file's own TLV header, then the rest is read in `limits.chunk` pieces.
/// Returns `None` when the file does not exist.
pub fn read_ef(
    channel: &mut dyn CardChannel,
    ef: Ef,
    use_sfi: bool,
    limits: ReadLimits,
) -> Result<Option<Vec<u8>>, ChipError> {
    let chunk = limits.chunk.max(8);
    let sfi = if use_sfi {
        Some(ef.sfi())
    } else {
        match select_ef(channel, ef.fid()) {
            Ok(()) => {}
            Err(ChipError::Status {
                sw: StatusWord::FILE_NOT_FOUND,
                ..
            }) => return Ok(None),
            Err(e) => return Err(e),
        }
        None
    };
    let first = match read_binary(channel, sfi, 0, chunk) {
        Ok(d) => d,
        Err(ChipError::Status {
            sw: StatusWord::FILE_NOT_FOUND,
            ..
        }) => return Ok(None),
        Err(ChipError::Status {
            sw: StatusWord::WRONG_P1P2 | StatusWord::WRONG_LENGTH,
            ..
        }) => read_binary(channel, sfi, 0, 4)?,
        Err(e) => return Err(e),
    };
    let total = tlv::encoded_len_from_header(&first)?;
    if total > limits.max_ef_size {
        return Err(ChipError::TooLarge {
            what: Oversize::File(ef),
            size: total,
            max: limits.max_ef_size,
        });
    }
    let mut data = first;
    data.truncate(total);
    while data.len() < total {
        let want = (total - data.len()).min(chunk);
        let part = read_binary(channel, None, data.len(), want)?;
        if part.is_empty() {
            return Err(ChipError::Malformed {
                what: "READ BINARY response",
                reason: Malformation::NoData {
                    ef,
                    offset: data.len(),
                },
            });
        }
        data.extend_from_slice(part.get(..want.min(part.len())).unwrap_or_default());
    }
    Ok(Some(data))
}
