//! Entropy coding of the quantization indices: the WSQ symbol alphabet, bit packing with byte
//! stuffing, and the decoder for entropy-coded segments including restart markers.
//!
//! FBI IAFIS-IC-0110 (v3) Annex C, as summarised in docs/spec/biometric-formats.md §6:
//! - symbols 1–100: a run of that many zero indices;
//! - 101 / 102: index ≥ 75 / ≤ −74 whose magnitude follows in 8 bits;
//! - 103 / 104: the same with a 16-bit magnitude (beyond 255);
//! - 105 / 106: a zero run whose length follows in 8 / 16 bits;
//! - 107–254: an index v in −73…74, coded as v + 180.
//!
//! Codes are packed MSB first; every `FF` byte in the coded data is followed by a stuffed
//! `00`; a block's data is padded to a byte boundary with 1-bits (the all-ones code word is
//! never assigned, so padding cannot be mistaken for a code). A decoder reads a block up to the
//! next marker; restart markers `FFB0`–`FFB7` may split it into byte-aligned intervals, each
//! ending in the same padding.

use super::WsqError;
use super::huffman::{Decoded, Decoder};
use super::markers::{RST0, RST7};

/// Largest zero run one symbol can carry (16-bit escape).
const MAX_RUN: u32 = 0xFFFF;
/// Largest index coded directly.
const MAX_DIRECT: i32 = 74;
/// Smallest index coded directly.
const MIN_DIRECT: i32 = -73;

/// One coded item: a Huffman symbol and its extra bits (count, value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) symbol: u8,
    pub(crate) extra_bits: u8,
    pub(crate) extra: u16,
}

fn item(symbol: u8, extra_bits: u8, extra: u16) -> Item {
    Item {
        symbol,
        extra_bits,
        extra,
    }
}

fn run_item(run: u32) -> Item {
    match run {
        1..=100 => item(u8::try_from(run).unwrap_or(1), 0, 0),
        101..=255 => item(105, 8, u16::try_from(run).unwrap_or(0)),
        _ => item(106, 16, u16::try_from(run.min(MAX_RUN)).unwrap_or(u16::MAX)),
    }
}

fn index_item(v: i32) -> Item {
    let magnitude = u16::try_from(v.unsigned_abs()).unwrap_or(u16::MAX);
    match v {
        MIN_DIRECT..=MAX_DIRECT => item(u8::try_from(v + 180).unwrap_or(180), 0, 0),
        256.. => item(103, 16, magnitude),
        75.. => item(101, 8, magnitude),
        ..-255 => item(104, 16, magnitude),
        _ => item(102, 8, magnitude),
    }
}

/// The items that code a block of indices, in order.
pub(crate) fn block_items(indices: &[i32], mut emit: impl FnMut(Item)) {
    let mut run = 0u32;
    for &v in indices {
        if v == 0 {
            if run == MAX_RUN {
                emit(run_item(run));
                run = 0;
            }
            run += 1;
            continue;
        }
        if run > 0 {
            emit(run_item(run));
            run = 0;
        }
        emit(index_item(v));
    }
    if run > 0 {
        emit(run_item(run));
    }
}

/// MSB-first bit packer with `FF 00` stuffing.
#[derive(Default)]
pub(crate) struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    pending: u32,
}

impl BitWriter {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            out: Vec::with_capacity(bytes),
            acc: 0,
            pending: 0,
        }
    }

    #[inline]
    pub(crate) fn put(&mut self, bits: u32, count: u32) {
        if count == 0 {
            return;
        }
        let mask = (1u64 << count) - 1;
        self.acc = (self.acc << count) | (u64::from(bits) & mask);
        self.pending += count;
        while self.pending >= 8 {
            self.pending -= 8;
            let [.., byte] = (self.acc >> self.pending).to_be_bytes();
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0x00);
            }
        }
    }

    /// Pads the last byte with 1-bits and returns the coded bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        if self.pending > 0 {
            let fill = 8 - self.pending;
            self.put((1 << fill) - 1, fill);
        }
        self.out
    }

    /// Pads to a byte boundary and appends restart marker `RSTm` (m = `sequence` mod 8).
    pub(crate) fn restart(&mut self, sequence: u8) {
        if self.pending > 0 {
            let fill = 8 - self.pending;
            self.put((1 << fill) - 1, fill);
        }
        self.out.push(0xFF);
        self.out.push(RST0 + sequence % 8);
    }
}

/// Codes a block with a table given as (code, length) per symbol; with `restart_every`, a
/// restart marker follows every that many items.
pub(crate) fn encode_block(
    indices: &[i32],
    codes: &[(u16, u8); 256],
    writer: &mut BitWriter,
    restart_every: Option<usize>,
) -> Result<(), WsqError> {
    let mut missing = None;
    let (mut in_interval, mut sequence) = (0usize, 0u8);
    block_items(indices, |it| {
        if let Some(every) = restart_every {
            if in_interval == every {
                writer.restart(sequence);
                sequence = sequence.wrapping_add(1);
                in_interval = 0;
            }
            in_interval += 1;
        }
        let (code, length) = codes
            .get(usize::from(it.symbol))
            .copied()
            .unwrap_or_default();
        if length == 0 {
            missing = Some(it.symbol);
        }
        writer.put(u32::from(code), u32::from(length));
        writer.put(u32::from(it.extra), u32::from(it.extra_bits));
    });
    match missing {
        None => Ok(()),
        Some(symbol) => Err(WsqError::InvalidImage(format!(
            "internal error: symbol {symbol} has no Huffman code"
        ))),
    }
}

/// The entropy-coded data of one block with stuffing removed, split at restart markers.
#[derive(Default)]
pub(crate) struct CodedBlock {
    /// De-stuffed bytes of all intervals, back to back.
    bytes: Vec<u8>,
    /// For each restart interval: start in `bytes` and absolute offset in the stream.
    intervals: Vec<(usize, usize)>,
}

impl CodedBlock {
    /// Scans coded data starting at absolute offset `start` up to the next marker that is not
    /// a restart marker; returns the number of bytes consumed (the marker is not consumed).
    pub(crate) fn scan(&mut self, data: &[u8], start: usize) -> Result<usize, WsqError> {
        self.bytes.clear();
        self.intervals.clear();
        self.intervals.push((0, start));
        let mut pos = 0usize;
        loop {
            let rest = data.get(pos..).unwrap_or_default();
            let run = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
            self.bytes
                .extend_from_slice(rest.get(..run).unwrap_or_default());
            pos += run;
            match data.get(pos..pos + 2) {
                Some(&[0xFF, 0x00]) => {
                    self.bytes.push(0xFF);
                    pos += 2;
                }
                Some(&[0xFF, m]) if (RST0..=RST7).contains(&m) => {
                    pos += 2;
                    self.intervals.push((self.bytes.len(), start + pos));
                }
                // A fill byte before a marker.
                Some(&[0xFF, 0xFF]) => pos += 1,
                Some(_) => return Ok(pos),
                None => {
                    return Err(WsqError::Truncated {
                        offset: start + pos,
                        context: "entropy-coded data (no marker after it)",
                    });
                }
            }
        }
    }

    /// Decodes every interval into `out` with `table`, appending at most `capacity − out.len()`
    /// indices.
    pub(crate) fn decode(
        &self,
        table: &Decoder,
        out: &mut Vec<i32>,
        capacity: usize,
    ) -> Result<(), WsqError> {
        for (i, &(begin, offset)) in self.intervals.iter().enumerate() {
            let end = self
                .intervals
                .get(i + 1)
                .map_or(self.bytes.len(), |&(next, _)| next);
            let bytes = self.bytes.get(begin..end).unwrap_or_default();
            decode_interval(bytes, offset, table, out, capacity)?;
        }
        Ok(())
    }
}

/// MSB-first reader over de-stuffed bytes.
struct BitReader<'a> {
    bytes: &'a [u8],
    next: usize,
    acc: u64,
    /// Valid bits at the top of `acc`.
    count: u32,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            next: 0,
            acc: 0,
            count: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.count <= 56 {
            let Some(&b) = self.bytes.get(self.next) else {
                return;
            };
            self.acc |= u64::from(b) << (56 - self.count);
            self.count += 8;
            self.next += 1;
        }
    }

    /// Bits not yet consumed.
    #[inline]
    fn remaining(&self) -> usize {
        self.count as usize + 8 * (self.bytes.len() - self.next)
    }

    /// The next 16 bits (zeros past the end).
    #[inline]
    fn peek16(&self) -> u32 {
        u32::try_from(self.acc >> 48).unwrap_or(0)
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// True when every remaining bit (all held in the accumulator) is a one.
    fn all_ones(&self) -> bool {
        let n = self.remaining();
        n <= 64 && n == self.count as usize && (!self.acc).leading_zeros() as usize >= n
    }

    /// Approximate absolute offset of the next unread bit, for errors.
    fn offset(&self, base: usize) -> usize {
        base + self.next - (self.count as usize).div_ceil(8)
    }
}

fn decode_interval(
    bytes: &[u8],
    base: usize,
    table: &Decoder,
    out: &mut Vec<i32>,
    capacity: usize,
) -> Result<(), WsqError> {
    let mut reader = BitReader::new(bytes);
    let too_many = |at: usize| {
        WsqError::malformed(
            at,
            format!("entropy-coded data holds more than the {capacity} indices the frame has"),
        )
    };
    loop {
        reader.refill();
        let remaining = reader.remaining();
        if remaining == 0 {
            return Ok(());
        }
        // Byte padding: fewer than 8 one-bits up to the boundary.
        if remaining < 8 && reader.all_ones() {
            return Ok(());
        }
        let at = reader.offset(base);
        let decoded = match table.decode(reader.peek16()) {
            Decoded::Symbol { symbol, length } if length as usize <= remaining => {
                Some((symbol, length))
            }
            _ => None,
        };
        let Some((symbol, length)) = decoded else {
            // Some encoders pad with a whole byte of ones; anything else is an error.
            if remaining < 16 && reader.all_ones() {
                return Ok(());
            }
            return Err(if remaining < 16 {
                WsqError::Truncated {
                    offset: at,
                    context: "Huffman code at the end of an entropy-coded interval",
                }
            } else {
                WsqError::malformed(at, "invalid Huffman code")
            });
        };
        reader.consume(length);
        let extra_bits = match symbol {
            101..=102 | 105 => 8,
            103..=104 | 106 => 16,
            _ => 0,
        };
        let extra = if extra_bits > 0 {
            if reader.remaining() < extra_bits as usize {
                return Err(WsqError::Truncated {
                    offset: at,
                    context: "escaped value at the end of an entropy-coded interval",
                });
            }
            let value = u32::try_from(reader.acc >> (64 - extra_bits)).unwrap_or(0);
            reader.consume(extra_bits);
            value
        } else {
            0
        };
        let magnitude = i32::try_from(extra).unwrap_or(0);
        match symbol {
            1..=100 | 105 | 106 => {
                let run = if symbol <= 100 {
                    usize::from(symbol)
                } else {
                    extra as usize
                };
                if out.len() + run > capacity {
                    return Err(too_many(at));
                }
                out.resize(out.len() + run, 0);
            }
            _ => {
                let value = match symbol {
                    101 | 103 => magnitude,
                    102 | 104 => -magnitude,
                    107..=254 => i32::from(symbol) - 180,
                    _ => {
                        return Err(WsqError::malformed(
                            at,
                            format!("Huffman symbol {symbol} has no meaning in WSQ"),
                        ));
                    }
                };
                if out.len() >= capacity {
                    return Err(too_many(at));
                }
                out.push(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsq::huffman::{build_spec, encoder_codes};

    fn sample_indices() -> Vec<i32> {
        let mut v = vec![0; 70_000];
        v.extend([5, -5, 74, -73, 75, -74, 255, -255, 256, -256, 32767, -32767]);
        v.extend(vec![0; 101]);
        v.push(1);
        v.extend(vec![0; 256]);
        v.push(-1);
        v.extend(vec![0; 100]);
        v
    }

    fn table_for(indices: &[i32]) -> (super::super::tables::HuffmanSpec, [(u16, u8); 256]) {
        let mut counts = [0u32; 256];
        block_items(indices, |it| counts[usize::from(it.symbol)] += 1);
        let spec = build_spec(0, &counts);
        let codes = encoder_codes(&spec);
        (spec, codes)
    }

    #[test]
    fn items_follow_the_symbol_alphabet() {
        let mut items = Vec::new();
        block_items(&[0, 0, 3, 75, -74, 300, -300, 0], |it| items.push(it));
        assert_eq!(
            items,
            vec![
                item(2, 0, 0),
                item(183, 0, 0),
                item(101, 8, 75),
                item(102, 8, 74),
                item(103, 16, 300),
                item(104, 16, 300),
                item(1, 0, 0),
            ]
        );
        let mut runs = Vec::new();
        block_items(&vec![0; 65_536 + 200], |it| runs.push(it));
        assert_eq!(runs, vec![item(106, 16, 65_535), item(105, 8, 201)]);
    }

    #[test]
    fn writer_stuffs_ff_and_pads_with_ones() {
        let mut w = BitWriter::default();
        w.put(0xFF, 8);
        w.put(0b101, 3);
        assert_eq!(w.finish(), vec![0xFF, 0x00, 0b1011_1111]);
    }

    #[test]
    fn blocks_round_trip_through_the_decoder() {
        let indices = sample_indices();
        let (spec, codes) = table_for(&indices);
        let mut writer = BitWriter::default();
        encode_block(&indices, &codes, &mut writer, None).unwrap();
        let mut data = writer.finish();
        data.extend([0xFF, 0xA1]);
        let mut block = CodedBlock::default();
        let used = block.scan(&data, 100).unwrap();
        assert_eq!(used, data.len() - 2);
        let mut out = Vec::new();
        let decoder = Decoder::new(&spec, 0).unwrap();
        block.decode(&decoder, &mut out, indices.len()).unwrap();
        assert_eq!(out, indices);
        // One index fewer of capacity is an error, not a silent truncation.
        let mut short = Vec::new();
        assert!(
            block
                .decode(&decoder, &mut short, indices.len() - 1)
                .is_err()
        );
    }

    #[test]
    fn restart_markers_split_intervals() {
        let indices = sample_indices();
        // Intervals of 7 indices end zero runs early: count the items interval by interval.
        let mut counts = [0u32; 256];
        for chunk in indices.chunks(7) {
            block_items(chunk, |it| counts[usize::from(it.symbol)] += 1);
        }
        let spec = build_spec(0, &counts);
        let codes = encoder_codes(&spec);
        let mut writer = BitWriter::default();
        for (m, chunk) in indices.chunks(7).enumerate() {
            if m > 0 {
                writer.restart(u8::try_from((m - 1) % 8).unwrap());
            }
            encode_block(chunk, &codes, &mut writer, None).unwrap();
        }
        let mut data = writer.finish();
        data.extend([0xFF, 0xA3]);
        let mut block = CodedBlock::default();
        block.scan(&data, 0).unwrap();
        assert!(block.intervals.len() > 10);
        let mut out = Vec::new();
        block
            .decode(&Decoder::new(&spec, 0).unwrap(), &mut out, usize::MAX)
            .unwrap();
        assert_eq!(out, indices);
    }

    #[test]
    fn truncated_and_corrupt_data_are_errors() {
        let indices: Vec<i32> = (0..500).map(|i| (i % 9) - 4).collect();
        let (spec, codes) = table_for(&indices);
        let decoder = Decoder::new(&spec, 0).unwrap();
        let mut writer = BitWriter::default();
        encode_block(&indices, &codes, &mut writer, None).unwrap();
        let data = writer.finish();
        let mut block = CodedBlock::default();
        assert!(matches!(
            block.scan(&data, 0),
            Err(WsqError::Truncated { .. })
        ));
        let mut bad = data.clone();
        bad.truncate(bad.len() / 2);
        bad.extend([0xFF, 0xA1]);
        block.scan(&bad, 0).unwrap();
        let mut out = Vec::new();
        // Either an error, or fewer indices than were coded: never a panic.
        if block.decode(&decoder, &mut out, usize::MAX).is_ok() {
            assert!(out.len() < indices.len());
        }
    }
}
