//! The WSQ marker segments that carry parameters: frame header (SOF), transform table (DTT),
//! quantization table (DQT), Huffman tables (DHT), restart interval (DRT) and block header
//! (SOB).
//!
//! FBI IAFIS-IC-0110 (v3) Annex B; layouts as summarised in docs/spec/biometric-formats.md
//! §6 and as written by NIST NBIS 5.0 (`tableio.c`):
//! - SOF, length 17: black (1), white (1), height (2), width (2), M as scale (1) + value (2),
//!   R as scale (1) + value (2), encoder number (1), software id (2).
//! - DTT: analysis low-pass length (1), analysis high-pass length (1), then for each filter the
//!   taps from the centre outwards as sign (1), scale (1), magnitude (4); length 58 for 9/7.
//! - DQT, length 389: bin-centre C as scale (1) + value (2), then 64 × { Q scale (1), Q (2),
//!   Z scale (1), Z (2) }.
//! - DHT: one or more { table id (1), 16 code-length counts, the values }.
//! - DRT, length 4: restart interval (2).
//! - SOB, length 3: Huffman table id (1).

use super::WsqError;
use super::markers::{Reader, Scaled16, Scaled32, put_u16};
use super::tree::SUBBANDS;

/// Highest Huffman table id a stream may define (the reference decoder keeps eight).
pub(crate) const MAX_HUFFMAN_TABLES: usize = 8;
/// Longest Huffman code, in bits.
pub(crate) const MAX_CODE_LENGTH: usize = 16;
/// Longest filter this codec accepts from a DTT (taps), far above the 9 of the standard bank.
pub(crate) const MAX_FILTER_TAPS: u8 = 31;

/// SOF: image size and the shift and scale that map the reconstruction back to grey levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) black: u8,
    pub(crate) white: u8,
    pub(crate) height: u16,
    pub(crate) width: u16,
    /// M, the shift (the mean grey level at encoding).
    pub(crate) shift: Scaled16,
    /// R, the scale (half the grey-level range divided by 128 at encoding).
    pub(crate) scale: Scaled16,
    pub(crate) encoder: u8,
    pub(crate) software: u16,
}

impl FrameHeader {
    pub(crate) fn parse(segment: &mut Reader<'_>) -> Result<Self, WsqError> {
        let at = segment.offset();
        if segment.remaining() != 15 {
            return Err(WsqError::malformed(
                at,
                format!(
                    "SOF segment length {}, expected 17",
                    segment.remaining() + 2
                ),
            ));
        }
        let header = Self {
            black: segment.u8("SOF black")?,
            white: segment.u8("SOF white")?,
            height: segment.u16("SOF height")?,
            width: segment.u16("SOF width")?,
            shift: segment.scaled16("SOF shift M")?,
            scale: segment.scaled16("SOF scale R")?,
            encoder: segment.u8("SOF encoder")?,
            software: segment.u16("SOF software")?,
        };
        if header.width == 0 || header.height == 0 {
            return Err(WsqError::malformed(
                at,
                format!("frame of {}x{} pixels", header.width, header.height),
            ));
        }
        Ok(header)
    }

    /// The payload (without marker and length).
    pub(crate) fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(15);
        out.push(self.black);
        out.push(self.white);
        put_u16(&mut out, self.height);
        put_u16(&mut out, self.width);
        self.shift.put(&mut out);
        self.scale.put(&mut out);
        out.push(self.encoder);
        put_u16(&mut out, self.software);
        out
    }
}

/// DTT: the analysis filter bank, each filter symmetric and given from its centre tap outwards.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TransformTable {
    /// Analysis low-pass taps h0[0], h0[1], … (centre first).
    pub(crate) lowpass: Vec<f64>,
    /// Analysis high-pass taps h1[0], h1[1], … (centre first).
    pub(crate) highpass: Vec<f64>,
}

impl TransformTable {
    pub(crate) fn parse(segment: &mut Reader<'_>) -> Result<Self, WsqError> {
        let at = segment.offset();
        let lo_len = segment.u8("DTT low-pass length")?;
        let hi_len = segment.u8("DTT high-pass length")?;
        for len in [lo_len, hi_len] {
            if len == 0 || len > MAX_FILTER_TAPS {
                return Err(WsqError::malformed(
                    at,
                    format!("DTT filter of {len} taps (1 to {MAX_FILTER_TAPS} accepted)"),
                ));
            }
            if len.is_multiple_of(2) {
                return Err(WsqError::Unsupported {
                    offset: at,
                    feature: format!(
                        "even-length ({lo_len}/{hi_len} taps) filter banks; only odd-length \
                         symmetric banks such as the standard 9/7 are implemented"
                    ),
                });
            }
        }
        let expected = 6 * (usize::from(lo_len.div_ceil(2)) + usize::from(hi_len.div_ceil(2)));
        if segment.remaining() != expected {
            return Err(WsqError::malformed(
                at,
                format!(
                    "DTT segment holds {} coefficient bytes, {expected} expected for {lo_len}/{hi_len} taps",
                    segment.remaining()
                ),
            ));
        }
        let mut half = |len: u8| -> Result<Vec<f64>, WsqError> {
            (0..len.div_ceil(2))
                .map(|_| {
                    let tap_at = segment.offset();
                    let sign = segment.u8("DTT tap sign")?;
                    let scale = segment.u8("DTT tap scale")?;
                    let raw = segment.u32("DTT tap value")?;
                    if sign > 1 {
                        return Err(WsqError::malformed(
                            tap_at,
                            format!("DTT tap sign byte {sign}"),
                        ));
                    }
                    Ok(Scaled32 {
                        negative: sign == 1,
                        scale,
                        raw,
                    }
                    .value())
                })
                .collect()
        };
        let lowpass = half(lo_len)?;
        let highpass = half(hi_len)?;
        Ok(Self { lowpass, highpass })
    }

    pub(crate) fn payload(&self) -> Result<Vec<u8>, WsqError> {
        let taps = |half: &[f64]| u8::try_from(half.len() * 2 - 1).ok();
        let (Some(lo_len), Some(hi_len)) = (taps(&self.lowpass), taps(&self.highpass)) else {
            return Err(WsqError::InvalidOption("filter bank too long".into()));
        };
        let mut out = vec![lo_len, hi_len];
        for &tap in self.lowpass.iter().chain(&self.highpass) {
            Scaled32::encode(tap)
                .ok_or_else(|| WsqError::InvalidOption(format!("filter tap {tap} not storable")))?
                .put(&mut out);
        }
        Ok(out)
    }
}

/// DQT: bin centre C and, per subband, the bin width Q and the zero-bin width Z (Q = 0 means
/// the subband is not coded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QuantizationTable {
    pub(crate) bin_center: Scaled16,
    pub(crate) q: [Scaled16; SUBBANDS],
    pub(crate) z: [Scaled16; SUBBANDS],
}

impl QuantizationTable {
    /// The bin centre the reference encoder writes: 0.44 (scale 2, value 44).
    pub(crate) const BIN_CENTER: Scaled16 = Scaled16 { scale: 2, raw: 44 };

    pub(crate) fn parse(segment: &mut Reader<'_>) -> Result<Self, WsqError> {
        let at = segment.offset();
        if segment.remaining() != 3 + 6 * SUBBANDS {
            return Err(WsqError::malformed(
                at,
                format!(
                    "DQT segment length {}, expected {}",
                    segment.remaining() + 2,
                    5 + 6 * SUBBANDS
                ),
            ));
        }
        let bin_center = segment.scaled16("DQT bin centre")?;
        let mut q = [Scaled16::default(); SUBBANDS];
        let mut z = [Scaled16::default(); SUBBANDS];
        for (qk, zk) in q.iter_mut().zip(z.iter_mut()) {
            *qk = segment.scaled16("DQT bin width")?;
            *zk = segment.scaled16("DQT zero-bin width")?;
        }
        Ok(Self { bin_center, q, z })
    }

    pub(crate) fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + 6 * SUBBANDS);
        self.bin_center.put(&mut out);
        for (qk, zk) in self.q.iter().zip(&self.z) {
            qk.put(&mut out);
            zk.put(&mut out);
        }
        out
    }
}

/// One Huffman table as a DHT stores it: code-length counts and the symbols in code order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HuffmanSpec {
    pub(crate) id: u8,
    /// `bits[i]` codes of length `i + 1`.
    pub(crate) bits: [u8; MAX_CODE_LENGTH],
    pub(crate) values: Vec<u8>,
}

impl HuffmanSpec {
    /// Every table of a DHT segment.
    pub(crate) fn parse_all(segment: &mut Reader<'_>) -> Result<Vec<Self>, WsqError> {
        let mut tables = Vec::new();
        loop {
            let at = segment.offset();
            let id = segment.u8("DHT table id")?;
            if usize::from(id) >= MAX_HUFFMAN_TABLES {
                return Err(WsqError::malformed(
                    at,
                    format!(
                        "Huffman table id {id} (0 to {} allowed)",
                        MAX_HUFFMAN_TABLES - 1
                    ),
                ));
            }
            let mut bits = [0u8; MAX_CODE_LENGTH];
            bits.copy_from_slice(segment.take(MAX_CODE_LENGTH, "DHT code-length counts")?);
            let count: usize = bits.iter().map(|&b| usize::from(b)).sum();
            if count == 0 || count > 256 {
                return Err(WsqError::malformed(
                    at,
                    format!("Huffman table {id} defines {count} codes (1 to 256 allowed)"),
                ));
            }
            let values = segment.take(count, "DHT values")?.to_vec();
            tables.push(Self { id, bits, values });
            if segment.remaining() == 0 {
                return Ok(tables);
            }
        }
    }

    pub(crate) fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + MAX_CODE_LENGTH + self.values.len());
        out.push(self.id);
        out.extend_from_slice(&self.bits);
        out.extend_from_slice(&self.values);
        out
    }
}

/// DRT: the restart interval.
pub(crate) fn parse_restart_interval(segment: &mut Reader<'_>) -> Result<u16, WsqError> {
    let at = segment.offset();
    if segment.remaining() != 2 {
        return Err(WsqError::malformed(
            at,
            format!("DRT segment length {}, expected 4", segment.remaining() + 2),
        ));
    }
    segment.u16("DRT restart interval")
}

/// SOB: the Huffman table the block's entropy-coded data uses.
pub(crate) fn parse_block_header(segment: &mut Reader<'_>) -> Result<u8, WsqError> {
    let at = segment.offset();
    if segment.remaining() != 1 {
        return Err(WsqError::malformed(
            at,
            format!("SOB segment length {}, expected 3", segment.remaining() + 2),
        ));
    }
    let id = segment.u8("SOB table id")?;
    if usize::from(id) >= MAX_HUFFMAN_TABLES {
        return Err(WsqError::malformed(
            at,
            format!("block uses Huffman table id {id}"),
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_header_parses_reference_bytes() {
        // SOF payload of an NBIS 5.0 file: 320x300, M = 128.36, R = 0.9503, encoder 2.
        let bytes = hex::decode("00ff012c014002322404251f020000").unwrap();
        let header = FrameHeader::parse(&mut Reader::new(&bytes)).unwrap();
        assert_eq!((header.width, header.height), (320, 300));
        assert!((header.shift.value() - 128.36).abs() < 1e-9);
        assert!((header.scale.value() - 0.9503).abs() < 1e-9);
        assert_eq!(header.encoder, 2);
        assert_eq!(header.payload(), bytes);
    }

    #[test]
    fn transform_table_parses_reference_bytes() {
        // DTT payload of an NBIS 5.0 file (the standard 9/7 bank, written from f32 taps).
        let bytes = hex::decode(
            "0907000932d325cd000ae0f3199a010a41eff19a010b8e2764cd000be179a33300092eff5600010af933d3\
             33010bf287219a000a2677da33",
        )
        .unwrap();
        let table = TransformTable::parse(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(table.lowpass.len(), 5);
        assert_eq!(table.highpass.len(), 4);
        assert!((table.lowpass[0] - 0.852_698_679_009_403_4).abs() < 1e-6);
        assert!((table.lowpass[2] + 0.110_624_404_418_423_4).abs() < 1e-6);
        assert!((table.highpass[0] - 0.788_485_616_405_664_4).abs() < 1e-6);
        assert!((table.highpass[3] - 0.064_538_882_628_938_45).abs() < 1e-6);
    }

    #[test]
    fn even_length_filter_banks_are_reported_unsupported() {
        let mut bytes = vec![8, 8];
        bytes.extend(std::iter::repeat_n(0, 48));
        assert!(matches!(
            TransformTable::parse(&mut Reader::new(&bytes)),
            Err(WsqError::Unsupported { offset: 0, .. })
        ));
    }

    #[test]
    fn huffman_tables_reject_bad_ids_and_counts() {
        let mut bytes = vec![8];
        bytes.extend([1u8; 16]);
        assert!(matches!(
            HuffmanSpec::parse_all(&mut Reader::new(&bytes)),
            Err(WsqError::Malformed { offset: 0, .. })
        ));
        let mut empty = vec![0];
        empty.extend([0u8; 16]);
        assert!(HuffmanSpec::parse_all(&mut Reader::new(&empty)).is_err());
        let mut two = vec![0, 2];
        two.extend([0u8; 15]);
        two.extend([1, 2]);
        two.push(1);
        two.extend([1u8]);
        two.extend([0u8; 15]);
        two.push(7);
        let tables = HuffmanSpec::parse_all(&mut Reader::new(&two)).unwrap();
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[1].values, vec![7]);
        assert_eq!(tables[0].payload(), two[..19].to_vec());
    }
}
