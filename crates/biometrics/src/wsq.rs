//! WSQ (Wavelet Scalar Quantization) grey-scale fingerprint image compression: FBI
//! IAFIS-IC-0110 "WSQ Gray-scale Fingerprint Image Compression Specification" v3 / v3.1, the
//! format ISO/IEC 19794-4 finger image records and ANSI/NIST-ITL Type-4/14 records carry at
//! 500 ppi.
//!
//! The pipeline (docs/spec/biometric-formats.md §6):
//! 1. pixels are shifted and scaled to `(p − M) / R` (`encoder`);
//! 2. a 9/7 biorthogonal wavelet transform splits the image over a fixed 20-node tree into 64
//!    subbands (`tree`, `filters`, `transform`);
//! 3. subbands 0–59 are scalar-quantized with bin widths derived from their variances and a
//!    target bit rate (`quantize`);
//! 4. the indices of three blocks (subbands 0–18, 19–51, 52–59) are run-length and Huffman
//!    coded (`entropy`, `huffman`) into marker segments (`markers`, `tables`).
//!
//! [`decode`] reads any stream with odd-length symmetric filter banks (the standard one among
//! them), tables in any order, several Huffman tables, comments between blocks and restart
//! markers, and checks every length and count against the frame. Streams are untrusted input:
//! every failure is a [`WsqError`] with the byte offset, never a panic, and
//! [`DecodeLimits`] bounds the frame size before anything large is allocated. Frames smaller
//! than [`MIN_DIMENSION`] decode with the transform's symmetric extension, which NBIS does not
//! apply to such short lines (see [`MIN_DIMENSION`]).
//!
//! [`encode`] follows the reference encoder (NIST NBIS 5.0 `cwsq`): variances on the central
//! window of each subband, the iterative solution for the quantizer constant q, one optimal
//! Huffman table per block with code lengths limited to 16, a NIST_COM comment. Files decode
//! in NBIS, and NBIS files decode here (see `tests/wsq_nbis.rs`).
//!
//! ```
//! use permitkit_biometrics::wsq::{self, EncodeOptions};
//!
//! let print = image::GrayImage::from_fn(128, 96, |x, y| {
//!     image::Luma([(128.0 + 90.0 * ((x + 2 * y) as f32 / 3.0).sin()) as u8])
//! });
//! let data = wsq::encode(&print, &EncodeOptions::default().with_bitrate(2.25))?;
//! let decoded = wsq::decode(&data)?;
//! assert_eq!((decoded.width, decoded.height, decoded.ppi), (128, 96, Some(500)));
//! # Ok::<(), wsq::WsqError>(())
//! ```
//!
//! Pixels are biometric data: [`WsqImage`] prints only its size and zeroizes its pixels on
//! drop, and the codec zeroizes its intermediate planes.

mod decoder;
mod encoder;
mod entropy;
mod error;
mod filters;
mod huffman;
mod markers;
mod nistcom;
mod quantize;
mod tables;
mod transform;
mod tree;

use std::fmt;

use image::GrayImage;
use zeroize::Zeroize;

pub use encoder::{MAX_BITRATE, MIN_DIMENSION};
pub use error::WsqError;

/// Encoder settings.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Target bit rate r in bits per pixel. 0.75 is the FBI/IAFIS setting (about 15:1 on
    /// typical prints), 2.25 gives about 5:1. The achieved rate depends on the image content.
    pub bitrate: f32,
    /// Scanning resolution written to the NIST_COM comment (pixels per inch).
    pub ppi: u16,
    /// Optional free text, written in its own comment segment after the NIST_COM.
    pub comment: Option<String>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self {
            bitrate: 0.75,
            ppi: 500,
            comment: None,
        }
    }
}

impl EncodeOptions {
    /// The same options with another target bit rate.
    pub fn with_bitrate(mut self, bitrate: f32) -> Self {
        self.bitrate = bitrate;
        self
    }

    /// The same options with another resolution.
    pub fn with_ppi(mut self, ppi: u16) -> Self {
        self.ppi = ppi;
        self
    }

    /// The same options with a free-text comment.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

/// Bounds the decoder applies before allocating the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
}

impl DecodeLimits {
    /// Limits of `max_width` × `max_height` pixels.
    pub const fn new(max_width: u32, max_height: u32) -> Self {
        Self {
            max_width,
            max_height,
        }
    }
}

impl Default for DecodeLimits {
    /// 8192 × 8192 pixels: a full ten-print card at 1000 ppi fits; decoding that needs about
    /// 8 bytes of working memory per pixel.
    fn default() -> Self {
        Self::new(8192, 8192)
    }
}

/// A decoded WSQ image: 8-bit grey pixels, rows top to bottom.
#[derive(Clone, PartialEq, Eq)]
pub struct WsqImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution from the NIST_COM comment, when the stream has one.
    pub ppi: Option<u16>,
    /// `width × height` grey levels, row by row.
    pub pixels: Vec<u8>,
}

impl WsqImage {
    /// A copy as an `image` crate grey image.
    pub fn to_gray_image(&self) -> GrayImage {
        GrayImage::from_raw(self.width, self.height, self.pixels.clone()).unwrap_or_else(|| {
            let width = self.width;
            GrayImage::from_fn(self.width, self.height, |x, y| {
                let i = u64::from(y) * u64::from(width) + u64::from(x);
                let grey = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.pixels.get(i))
                    .copied()
                    .unwrap_or(0);
                image::Luma([grey])
            })
        })
    }

    /// Converts into an `image` crate grey image without copying the pixels.
    pub fn into_gray_image(mut self) -> GrayImage {
        let pixels = std::mem::take(&mut self.pixels);
        match GrayImage::from_raw(self.width, self.height, pixels) {
            Some(image) => image,
            None => GrayImage::new(self.width, self.height),
        }
    }
}

impl fmt::Debug for WsqImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsqImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("ppi", &self.ppi)
            .field("pixels", &format_args!("<{} bytes>", self.pixels.len()))
            .finish()
    }
}

impl Drop for WsqImage {
    fn drop(&mut self) {
        self.pixels.zeroize();
    }
}

/// What a WSQ stream declares, read without reconstructing the image.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WsqInfo {
    /// Width in pixels (SOF).
    pub width: u32,
    /// Height in pixels (SOF).
    pub height: u32,
    /// PPI attribute of the NIST_COM comment.
    pub ppi: Option<u16>,
    /// WSQ_BITRATE attribute of the NIST_COM comment (the encoder's target).
    pub bitrate: Option<f32>,
    /// Every comment segment, as text.
    pub comments: Vec<String>,
    /// Number of blocks of coded data.
    pub blocks: usize,
    /// Restart interval (DRT), when one is defined.
    pub restart_interval: Option<u16>,
    /// Encoder number from the frame header.
    pub encoder: u8,
    /// Software identifier from the frame header.
    pub software: u16,
}

/// Encodes a grey image at the given options.
pub fn encode(image: &GrayImage, options: &EncodeOptions) -> Result<Vec<u8>, WsqError> {
    encoder::encode(image.width(), image.height(), image.as_raw(), options)
}

/// Encodes `width × height` 8-bit grey pixels given row by row.
pub fn encode_gray(
    width: u32,
    height: u32,
    pixels: &[u8],
    options: &EncodeOptions,
) -> Result<Vec<u8>, WsqError> {
    encoder::encode(width, height, pixels, options)
}

/// Decodes a WSQ stream within the default [`DecodeLimits`].
pub fn decode(data: &[u8]) -> Result<WsqImage, WsqError> {
    decoder::decode(data, &DecodeLimits::default())
}

/// Decodes a WSQ stream within the given limits.
pub fn decode_with_limits(data: &[u8], limits: &DecodeLimits) -> Result<WsqImage, WsqError> {
    decoder::decode(data, limits)
}

/// Reads the frame header, comments and block structure of a WSQ stream (entropy-coded data
/// is skipped, not decoded).
pub fn inspect(data: &[u8]) -> Result<WsqInfo, WsqError> {
    decoder::inspect(data, &DecodeLimits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small ridge pattern with noise (deterministic).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "grey levels clamped to 0..=255 first"
    )]
    fn ridges(width: u32, height: u32) -> GrayImage {
        let mut state = 12_345u32;
        GrayImage::from_fn(width, height, |x, y| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from(state >> 24) / 32.0 - 4.0;
            let (dx, dy) = (f64::from(x) - 0.5 * f64::from(width), f64::from(y) - 40.0);
            let r = (dx * dx + 1.3 * dy * dy).sqrt() + 6.0 * (dx / 37.0).sin();
            let v = 140.0 + 80.0 * (r / 1.45).cos() + noise;
            image::Luma([v.clamp(0.0, 255.0) as u8])
        })
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        let mse = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        10.0 * (255.0 * 255.0 / mse).log10()
    }

    #[test]
    fn round_trip_keeps_size_resolution_and_quality() {
        let image = ridges(203, 150);
        let options = EncodeOptions::default()
            .with_ppi(1000)
            .with_comment("station 4");
        let data = encode(&image, &options).unwrap();
        let decoded = decode(&data).unwrap();
        assert_eq!((decoded.width, decoded.height), (203, 150));
        assert_eq!(decoded.ppi, Some(1000));
        let quality = psnr(image.as_raw(), &decoded.pixels);
        assert!(quality > 28.0, "PSNR {quality:.2} dB");
        let info = inspect(&data).unwrap();
        assert_eq!(info.blocks, 3);
        assert_eq!(info.bitrate, Some(0.75));
        assert_eq!(info.comments.len(), 2);
        assert_eq!(info.comments[1], "station 4");
        assert_eq!(decoded.to_gray_image().as_raw(), &decoded.pixels);
    }

    #[test]
    fn higher_bit_rates_give_larger_files_and_better_quality() {
        let image = ridges(160, 128);
        let low = encode(&image, &EncodeOptions::default()).unwrap();
        let high = encode(&image, &EncodeOptions::default().with_bitrate(2.25)).unwrap();
        assert!(high.len() > low.len());
        let q_low = psnr(image.as_raw(), &decode(&low).unwrap().pixels);
        let q_high = psnr(image.as_raw(), &decode(&high).unwrap().pixels);
        assert!(q_high > q_low + 3.0, "{q_low:.2} dB vs {q_high:.2} dB");
    }

    #[test]
    fn flat_and_smallest_images_round_trip() {
        let flat = GrayImage::from_pixel(90, 83, image::Luma([77]));
        let decoded = decode(&encode(&flat, &EncodeOptions::default()).unwrap()).unwrap();
        assert!(decoded.pixels.iter().all(|&p| p == 77));
        let small = ridges(MIN_DIMENSION, MIN_DIMENSION);
        let decoded = decode(&encode(&small, &EncodeOptions::default()).unwrap()).unwrap();
        assert_eq!(decoded.pixels.len(), small.as_raw().len());
    }

    #[test]
    fn restart_markers_decode_to_the_same_image() {
        let image = ridges(120, 96);
        let plain = encode(&image, &EncodeOptions::default()).unwrap();
        let restarted = encoder::encode_with_restarts(
            120,
            96,
            image.as_raw(),
            &EncodeOptions::default(),
            Some(5),
        )
        .unwrap();
        assert!(restarted.windows(2).any(|w| w == [0xFF, 0xB3]));
        assert_eq!(inspect(&restarted).unwrap().restart_interval, Some(5));
        assert_eq!(decode(&restarted).unwrap(), decode(&plain).unwrap());
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let data = encode(&ridges(88, 81), &EncodeOptions::default()).unwrap();
        for len in 0..data.len() {
            assert!(
                decode(&data[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
    }

    #[test]
    fn corrupted_streams_fail_cleanly() {
        let data = encode(&ridges(88, 81), &EncodeOptions::default()).unwrap();
        let mut state = 7u32;
        for _ in 0..3000 {
            let mut bad = data.clone();
            for _ in 0..3 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let i = (state as usize >> 8) % bad.len();
                bad[i] ^= 1 << (state >> 29);
            }
            // Any outcome but a panic is acceptable; a decoded image has the frame's size.
            if let Ok(img) = decode(&bad) {
                assert_eq!(
                    img.pixels.len() as u64,
                    u64::from(img.width) * u64::from(img.height)
                );
            }
        }
    }

    #[test]
    fn errors_name_the_offset_and_the_problem() {
        let data = encode(&ridges(88, 81), &EncodeOptions::default()).unwrap();
        let sof = data.windows(2).position(|w| w == [0xFF, 0xA2]).unwrap();
        let mut wrong_length = data.clone();
        wrong_length[sof + 3] = 16;
        assert_eq!(
            decode(&wrong_length),
            Err(WsqError::Malformed {
                offset: sof + 4,
                reason: "SOF segment length 16, expected 17".into()
            })
        );
        let limits = DecodeLimits::new(47, 1000);
        assert_eq!(
            decode_with_limits(&data, &limits),
            Err(WsqError::TooLarge {
                width: 88,
                height: 81,
                max_width: 47,
                max_height: 1000
            })
        );
        let mut missing_block =
            data[..data.windows(2).rposition(|w| w == [0xFF, 0xA6]).unwrap()].to_vec();
        missing_block.extend([0xFF, 0xA1]);
        match decode(&missing_block) {
            Err(WsqError::Malformed { reason, .. }) => {
                assert!(reason.contains("quantization indices"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_output_hides_pixels() {
        let img = WsqImage {
            width: 2,
            height: 1,
            ppi: None,
            pixels: vec![0xAB, 0xCD],
        };
        let text = format!("{img:?}");
        assert!(text.contains("<2 bytes>"), "{text}");
        assert!(!text.contains("171"));
    }
}
