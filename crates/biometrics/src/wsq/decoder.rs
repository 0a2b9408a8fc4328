//! The WSQ decoder: marker walk, entropy decoding, dequantization, inverse transform.
//!
//! FBI IAFIS-IC-0110 (v3) Annex B syntax: SOI, then tables (DTT, DQT, DHT), restart interval
//! (DRT) and comments (COM) in any order, the frame header (SOF), then blocks (SOB followed by
//! entropy-coded data), with further tables allowed between blocks, and EOI. The indices of
//! all blocks form one sequence that fills the coded subbands (those with Q ≠ 0, in subband
//! order, each in raster order); the tables in force at EOI are used to reconstruct.

use super::entropy::CodedBlock;
use super::filters::Synthesis;
use super::huffman::Decoder;
use super::markers::{COM, DHT, DQT, DRT, DTT, EOI, Reader, SOB, SOF, SOI, marker_name};
use super::tables::{
    FrameHeader, HuffmanSpec, MAX_HUFFMAN_TABLES, QuantizationTable, TransformTable,
    parse_block_header, parse_restart_interval,
};
use super::tree::{CODED_SUBBANDS, Geometry};
use super::{DecodeLimits, WsqError, WsqImage, WsqInfo, nistcom, quantize, transform};
use zeroize::Zeroize;

/// Everything a walk over the marker segments collects.
struct Stream {
    frame: FrameHeader,
    transform: Option<TransformTable>,
    quantization: Option<QuantizationTable>,
    indices: Vec<i32>,
    comments: Vec<Vec<u8>>,
    blocks: usize,
    restart_interval: Option<u16>,
    /// Offset of the EOI marker.
    end: usize,
}

/// Tables and comments that may appear anywhere before EOI.
#[derive(Default)]
struct Tables {
    transform: Option<TransformTable>,
    quantization: Option<QuantizationTable>,
    huffman: [Option<Decoder>; MAX_HUFFMAN_TABLES],
    comments: Vec<Vec<u8>>,
    restart_interval: Option<u16>,
}

impl Tables {
    /// Reads the segment of a table or comment marker; `false` for other markers.
    fn read(&mut self, marker: u16, at: usize, r: &mut Reader<'_>) -> Result<bool, WsqError> {
        match marker {
            DTT => {
                let mut seg = r.segment("DTT segment")?;
                self.transform = Some(TransformTable::parse(&mut seg)?);
            }
            DQT => {
                let mut seg = r.segment("DQT segment")?;
                self.quantization = Some(QuantizationTable::parse(&mut seg)?);
            }
            DHT => {
                let mut seg = r.segment("DHT segment")?;
                for spec in HuffmanSpec::parse_all(&mut seg)? {
                    let decoder = Decoder::new(&spec, at)?;
                    if let Some(slot) = self.huffman.get_mut(usize::from(spec.id)) {
                        *slot = Some(decoder);
                    }
                }
            }
            DRT => {
                let mut seg = r.segment("DRT segment")?;
                self.restart_interval = Some(parse_restart_interval(&mut seg)?);
            }
            COM => {
                let seg = r.segment("COM segment")?;
                self.comments.push(seg.rest().to_vec());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn read_marker(r: &mut Reader<'_>) -> Result<(u16, usize), WsqError> {
    let at = r.offset();
    let marker = r.u16("marker")?;
    if marker >> 8 != 0xFF {
        return Err(WsqError::malformed(
            at,
            format!("expected a marker (FFxx), found {marker:04X}"),
        ));
    }
    Ok((marker, at))
}

/// Walks the stream; with `entropy` false the coded data is skipped instead of decoded.
fn walk(data: &[u8], limits: &DecodeLimits, entropy: bool) -> Result<Stream, WsqError> {
    let mut r = Reader::new(data);
    let (first, _) = read_marker(&mut r).map_err(|_| missing_soi(data))?;
    if first != SOI {
        return Err(missing_soi(data));
    }
    let mut tables = Tables::default();
    let frame = loop {
        let (marker, at) = read_marker(&mut r)?;
        if tables.read(marker, at, &mut r)? {
            continue;
        }
        if marker != SOF {
            return Err(WsqError::malformed(
                at,
                format!(
                    "expected a table, a comment or the frame header (SOF), found {}",
                    marker_name(marker)
                ),
            ));
        }
        let mut seg = r.segment("SOF segment")?;
        break FrameHeader::parse(&mut seg)?;
    };
    let (width, height) = (u32::from(frame.width), u32::from(frame.height));
    if width > limits.max_width || height > limits.max_height {
        return Err(WsqError::TooLarge {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    let capacity = usize::from(frame.width) * usize::from(frame.height);
    let mut indices = Vec::new();
    let mut coded = CodedBlock::default();
    let mut blocks = 0usize;
    let end = loop {
        let (marker, at) = read_marker(&mut r)?;
        if tables.read(marker, at, &mut r)? {
            continue;
        }
        match marker {
            SOB => {
                let mut seg = r.segment("SOB segment")?;
                let id = parse_block_header(&mut seg)?;
                let table = tables
                    .huffman
                    .get(usize::from(id))
                    .and_then(Option::as_ref)
                    .ok_or_else(|| {
                        WsqError::malformed(
                            at,
                            format!("block uses Huffman table {id}, which is not defined"),
                        )
                    })?;
                let used = coded.scan(r.rest(), r.offset())?;
                if entropy {
                    coded.decode(table, &mut indices, capacity)?;
                }
                r.advance(used, "entropy-coded data")?;
                blocks += 1;
            }
            EOI => break at,
            _ => {
                return Err(WsqError::malformed(
                    at,
                    format!(
                        "expected a table, a comment, a block (SOB) or EOI, found {}",
                        marker_name(marker)
                    ),
                ));
            }
        }
    };
    if blocks == 0 {
        return Err(WsqError::malformed(
            end,
            "EOI before any block of coded data",
        ));
    }
    Ok(Stream {
        frame,
        transform: tables.transform,
        quantization: tables.quantization,
        indices,
        comments: tables.comments,
        blocks,
        restart_interval: tables.restart_interval,
        end,
    })
}

fn missing_soi(data: &[u8]) -> WsqError {
    let found = data
        .get(..2)
        .map_or_else(|| "fewer than 2 bytes".to_string(), hex::encode_upper);
    WsqError::malformed(
        0,
        format!("not a WSQ stream: expected SOI (FFA0), found {found}"),
    )
}

fn nist_attributes(comments: &[Vec<u8>]) -> Option<Vec<(String, String)>> {
    comments.iter().find_map(|c| nistcom::parse(c))
}

/// Decodes a WSQ stream.
pub(crate) fn decode(data: &[u8], limits: &DecodeLimits) -> Result<WsqImage, WsqError> {
    let mut stream = walk(data, limits, true)?;
    let quantization = stream
        .quantization
        .take()
        .ok_or_else(|| WsqError::malformed(stream.end, "no quantization table (DQT) before EOI"))?;
    let transform_table = stream
        .transform
        .take()
        .ok_or_else(|| WsqError::malformed(stream.end, "no transform table (DTT) before EOI"))?;
    let (width, height) = (
        usize::from(stream.frame.width),
        usize::from(stream.frame.height),
    );
    let geometry = Geometry::new(width, height);
    let is_coded = |k: usize| quantization.q.get(k).is_some_and(|q| q.raw != 0);
    let expected = geometry.coded_len(is_coded);
    if stream.indices.len() != expected {
        let found = stream.indices.len();
        stream.indices.zeroize();
        return Err(WsqError::malformed(
            stream.end,
            format!(
                "the blocks hold {found} quantization indices, the frame and quantization table \
                 need {expected}"
            ),
        ));
    }

    let mut plane = vec![0.0f32; width * height];
    let c = to_f32(quantization.bin_center.value());
    let mut indices = stream.indices.iter();
    for (k, rect) in geometry.subbands.iter().enumerate().take(CODED_SUBBANDS) {
        if !is_coded(k) {
            continue;
        }
        let (Some(q), Some(z)) = (quantization.q.get(k), quantization.z.get(k)) else {
            continue;
        };
        let (q, z) = (to_f32(q.value()), to_f32(z.value()));
        for row in plane.chunks_exact_mut(width).skip(rect.y).take(rect.height) {
            for (a, &p) in row
                .get_mut(rect.x..rect.x + rect.width)
                .unwrap_or_default()
                .iter_mut()
                .zip(indices.by_ref())
            {
                *a = quantize::dequantize(p, q, z, c);
            }
        }
    }
    stream.indices.zeroize();

    let synthesis = Synthesis::from_table(&transform_table);
    transform::inverse(&mut plane, width, &geometry, &synthesis);

    let shift = to_f32(stream.frame.shift.value());
    let scale = to_f32(stream.frame.scale.value());
    let pixels = plane.iter().map(|&x| to_grey(x * scale + shift)).collect();
    plane.zeroize();

    Ok(WsqImage {
        width: u32::from(stream.frame.width),
        height: u32::from(stream.frame.height),
        ppi: nist_attributes(&stream.comments).and_then(|a| nistcom::ppi(&a)),
        pixels,
    })
}

/// Describes a WSQ stream without reconstructing the image.
pub(crate) fn inspect(data: &[u8], limits: &DecodeLimits) -> Result<WsqInfo, WsqError> {
    let stream = walk(data, limits, false)?;
    let attributes = nist_attributes(&stream.comments);
    Ok(WsqInfo {
        width: u32::from(stream.frame.width),
        height: u32::from(stream.frame.height),
        ppi: attributes.as_deref().and_then(nistcom::ppi),
        bitrate: attributes.as_deref().and_then(nistcom::bitrate),
        comments: stream
            .comments
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect(),
        blocks: stream.blocks,
        restart_interval: stream.restart_interval,
        encoder: stream.frame.encoder,
        software: stream.frame.software,
    })
}

fn to_f32(v: f64) -> f32 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "table values are used at the f32 working precision"
    )]
    let v = v as f32;
    v
}

/// Rounds a reconstructed value to a grey level: half up, clamped to 0–255 (NaN gives 0).
#[inline]
fn to_grey(v: f32) -> u8 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "clamped to 0..=255; truncation of a non-negative value is the floor"
    )]
    let grey = (v + 0.5).clamp(0.0, 255.0) as u8;
    grey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_levels_round_half_up_and_clamp() {
        assert_eq!(to_grey(-3.0), 0);
        assert_eq!(to_grey(0.49), 0);
        assert_eq!(to_grey(0.5), 1);
        assert_eq!(to_grey(127.5), 128);
        assert_eq!(to_grey(254.6), 255);
        assert_eq!(to_grey(1e9), 255);
        assert_eq!(to_grey(f32::NAN), 0);
    }

    #[test]
    fn rejects_streams_without_soi() {
        assert!(matches!(
            decode(b"\xFF\xD8\xFF\xE0", &DecodeLimits::default()),
            Err(WsqError::Malformed { offset: 0, .. })
        ));
        assert!(decode(b"", &DecodeLimits::default()).is_err());
    }
}
