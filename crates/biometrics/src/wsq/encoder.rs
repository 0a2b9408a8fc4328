//! The WSQ encoder: shift and scale, forward transform, variance-based quantization, one
//! Huffman table per block, and the stream layout of the reference encoder.
//!
//! FBI IAFIS-IC-0110 (v3) Part 3 (encoder number one): pixels are mapped to
//! `(p − M) / R` with M the mean grey level and R = max(M − min, max − M) / 128; the stream is
//! SOI, a NIST_COM comment, DTT, DQT, SOF, then for each of the three blocks (subbands 0–18,
//! 19–51, 52–59) its DHT, SOB and entropy-coded data, and EOI. M, R, Q and Z are rounded to
//! the precision the tables store before they are used, so the encoder quantizes with exactly
//! the values a decoder reads back.

use super::entropy::{BitWriter, block_items, encode_block};
use super::filters::Analysis;
use super::huffman::{build_spec, encoder_codes};
use super::markers::{COM, DHT, DQT, DRT, DTT, EOI, SOB, SOF, SOI, Scaled16, put_segment, put_u16};
use super::tables::{FrameHeader, QuantizationTable};
use super::tree::{BLOCK_STARTS, CODED_SUBBANDS, Geometry, SUBBANDS};
use super::{EncodeOptions, WsqError, nistcom, quantize, transform};
use zeroize::Zeroize;

/// Smallest width and height the encoder accepts.
///
/// At 81 pixels every line any node of the tree filters has at least 6 samples, so the 9/7
/// filters never reach past a reflected end twice. Below that the reference implementation
/// (NBIS 5.0) departs from the symmetric extension: its analysis reads outside the line and its
/// synthesis reflects short subbands differently, so NBIS would not decode smaller files to the
/// image this codec (or the transform's definition) gives. `tests/wsq_nbis.rs` checks the
/// sizes around this bound against NBIS; a unit test checks the tree property.
pub const MIN_DIMENSION: u32 = 81;
/// Largest target bit rate accepted, in bits per pixel (the input itself has 8).
pub const MAX_BITRATE: f32 = 8.0;
/// Encoder number written in the frame header (the value NBIS writes).
const ENCODER_NUMBER: u8 = 2;

fn check_options(options: &EncodeOptions) -> Result<(), WsqError> {
    let r = options.bitrate;
    if !(r.is_finite() && r > 0.0 && r <= MAX_BITRATE) {
        return Err(WsqError::InvalidOption(format!(
            "bit rate {r} outside (0, {MAX_BITRATE}] bits per pixel"
        )));
    }
    if options.ppi == 0 {
        return Err(WsqError::InvalidOption("ppi of 0".into()));
    }
    if let Some(comment) = &options.comment {
        if comment.starts_with(nistcom::HEADER) {
            return Err(WsqError::InvalidOption(
                "the comment may not be a second NIST_COM".into(),
            ));
        }
        if comment.is_empty() || comment.len() > usize::from(u16::MAX) - 2 {
            return Err(WsqError::InvalidOption(format!(
                "comment of {} bytes (1 to 65533 allowed)",
                comment.len()
            )));
        }
    }
    Ok(())
}

/// Encodes an 8-bit grey image given as rows of `width` pixels.
pub(crate) fn encode(
    width: u32,
    height: u32,
    pixels: &[u8],
    options: &EncodeOptions,
) -> Result<Vec<u8>, WsqError> {
    encode_with_restarts(width, height, pixels, options, None)
}

/// [`encode`], optionally with a DRT segment and a restart marker after every
/// `restart_interval` coded items of each block. Only the tests use restarts: the decoder
/// treats restart markers as byte-aligned resynchronisation points, and the unit the
/// specification counts Ri in is not pinned down here, so the public encoder never emits them.
pub(crate) fn encode_with_restarts(
    width: u32,
    height: u32,
    pixels: &[u8],
    options: &EncodeOptions,
    restart_interval: Option<u16>,
) -> Result<Vec<u8>, WsqError> {
    check_options(options)?;
    let (Ok(frame_width), Ok(frame_height)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(WsqError::InvalidImage(format!(
            "{width}x{height} pixels: WSQ frames are at most 65535x65535"
        )));
    };
    if width < MIN_DIMENSION || height < MIN_DIMENSION {
        return Err(WsqError::InvalidImage(format!(
            "{width}x{height} pixels: WSQ needs at least {MIN_DIMENSION}x{MIN_DIMENSION}"
        )));
    }
    let (w, h) = (usize::from(frame_width), usize::from(frame_height));
    if pixels.len() != w * h {
        return Err(WsqError::InvalidImage(format!(
            "{} pixel bytes for a {width}x{height} image",
            pixels.len()
        )));
    }

    // Shift and scale, as stored in the frame header.
    let (mut sum, mut lo, mut hi) = (0u64, u8::MAX, u8::MIN);
    for &p in pixels {
        sum += u64::from(p);
        lo = lo.min(p);
        hi = hi.max(p);
    }
    let mean = sum as f64 / pixels.len() as f64;
    let shift = Scaled16::encode(mean).unwrap_or_default();
    let m = shift.value();
    let range = (m - f64::from(lo)).max(f64::from(hi) - m) / 128.0;
    let scale = Scaled16::encode(range).unwrap_or_default();
    let r = if scale.value() > 0.0 {
        scale.value()
    } else {
        1.0
    };
    let (m32, r32) = (to_f32(m), to_f32(r));
    let mut plane: Vec<f32> = pixels.iter().map(|&p| (f32::from(p) - m32) / r32).collect();

    let geometry = Geometry::new(w, h);
    transform::forward(&mut plane, w, &geometry, &Analysis::standard());

    let variances = quantize::subband_variances(&plane, w, &geometry.subbands);
    let widths = quantize::bin_widths(&variances, f64::from(options.bitrate));
    let table = quantization_table(&widths);

    let mut blocks: [Vec<i32>; 3] = Default::default();
    for (block, range) in blocks.iter_mut().zip(BLOCK_STARTS.windows(2)) {
        let &[first, end] = range else { continue };
        for k in first..end {
            let (Some(q), Some(z), Some(rect)) =
                (table.q.get(k), table.z.get(k), geometry.subbands.get(k))
            else {
                continue;
            };
            if q.raw == 0 {
                continue;
            }
            let (q, z) = (to_f32(q.value()), to_f32(z.value()));
            for row in plane.chunks_exact(w).skip(rect.y).take(rect.height) {
                for &a in row.get(rect.x..rect.x + rect.width).unwrap_or_default() {
                    block.push(quantize::quantize(a, q, z));
                }
            }
        }
    }
    plane.zeroize();

    let mut out = Vec::with_capacity(w * h / 8 + 2048);
    put_u16(&mut out, SOI);
    let comment = nistcom::for_wsq(width, height, options.ppi, options.bitrate);
    put_segment(&mut out, COM, comment.as_bytes())?;
    if let Some(text) = &options.comment {
        put_segment(&mut out, COM, text.as_bytes())?;
    }
    put_segment(&mut out, DTT, &Analysis::standard_table().payload()?)?;
    put_segment(&mut out, DQT, &table.payload())?;
    let frame = FrameHeader {
        black: 0,
        white: 255,
        height: frame_height,
        width: frame_width,
        shift,
        scale,
        encoder: ENCODER_NUMBER,
        software: 0,
    };
    put_segment(&mut out, SOF, &frame.payload())?;
    let restart_every = restart_interval.filter(|&ri| ri > 0);
    if let Some(ri) = restart_every {
        put_segment(&mut out, DRT, &ri.to_be_bytes())?;
    }
    for (id, indices) in (0u8..).zip(blocks.iter_mut()) {
        let mut counts = [0u32; 256];
        block_items(indices, |item| {
            if let Some(c) = counts.get_mut(usize::from(item.symbol)) {
                *c += 1;
            }
        });
        let spec = build_spec(id, &counts);
        put_segment(&mut out, DHT, &spec.payload())?;
        put_segment(&mut out, SOB, &[id])?;
        let mut writer = BitWriter::with_capacity(indices.len() / 4);
        encode_block(
            indices,
            &encoder_codes(&spec),
            &mut writer,
            restart_every.map(usize::from),
        )?;
        out.extend_from_slice(&writer.finish());
        indices.zeroize();
    }
    put_u16(&mut out, EOI);
    Ok(out)
}

/// The DQT for the solved bin widths; a subband whose width cannot be stored is not coded.
fn quantization_table(widths: &[f64; CODED_SUBBANDS]) -> QuantizationTable {
    let mut table = QuantizationTable {
        bin_center: QuantizationTable::BIN_CENTER,
        q: [Scaled16::default(); SUBBANDS],
        z: [Scaled16::default(); SUBBANDS],
    };
    for ((&width, q), z) in widths.iter().zip(&mut table.q).zip(&mut table.z) {
        if width <= 0.0 {
            continue;
        }
        if let (Some(qs), Some(zs)) = (Scaled16::encode(width), Scaled16::encode(1.2 * width))
            && qs.raw != 0
            && zs.raw != 0
        {
            *q = qs;
            *z = zs;
        }
    }
    table
}

fn to_f32(v: f64) -> f32 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the transform works at f32 precision"
    )]
    let v = v as f32;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsq::tree::Geometry;

    /// Shortest line, in samples, the transform of the smallest accepted image filters.
    const MIN_LINE: usize = 6;

    #[test]
    fn minimum_dimension_is_where_every_filtered_line_is_long_enough() {
        let long_enough = |n: usize| {
            Geometry::new(n, n)
                .nodes
                .iter()
                .all(|node| node.rect.width >= MIN_LINE && node.rect.height >= MIN_LINE)
        };
        let min = MIN_DIMENSION as usize;
        assert!((min..min + 500).all(long_enough));
        assert!(!long_enough(min - 1));
    }

    #[test]
    fn rejects_bad_images_and_options() {
        let options = EncodeOptions::default();
        assert!(matches!(
            encode(80, 100, &[0; 80 * 100], &options),
            Err(WsqError::InvalidImage(_))
        ));
        assert!(matches!(
            encode(90, 90, &[0; 10], &options),
            Err(WsqError::InvalidImage(_))
        ));
        for bitrate in [0.0, -1.0, 9.0, f32::NAN] {
            let bad = EncodeOptions::default().with_bitrate(bitrate);
            assert!(matches!(
                encode(90, 90, &[0; 90 * 90], &bad),
                Err(WsqError::InvalidOption(_))
            ));
        }
        let nist = EncodeOptions::default().with_comment("NIST_COM 1");
        assert!(encode(90, 90, &[0; 90 * 90], &nist).is_err());
    }
}
