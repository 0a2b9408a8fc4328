//! The signature drawn on the operator's screen, as it arrives from the browser: untrusted
//! bytes, checked before the signature step accepts them.
//!
//! - At most [`MAX_UPLOAD`] bytes, a PNG (its signature, PNG 3rd edition §5.2), decoded by the
//!   bounded decoder of [`permitkit_biometrics::image`] under [`LIMITS`] (a decompression bomb
//!   is refused before its pixels are allocated), alpha composited over white paper, as the
//!   scanned signature pad decodes its file.
//! - Not empty and a real signature: the share of ink (pixels darker than mid-grey) at least
//!   [`MIN_INK_FRACTION`] — the very threshold DG7's preparation refuses a blank pad with — and
//!   the ink spread over at least [`MIN_EXTENT`] of the canvas's width or height (a dot or a
//!   tick is not a signature).
//!
//! The image then goes to the signature step, which prepares it for DG7 (ICAO Doc 9303-10
//! §4.7.7) as it prepares a pad's capture. Every failure is a typed [`UploadError`].

use image::GrayImage;
use permitkit_biometrics::image::{DecodeError, ImageLimits};
pub use permitkit_biometrics::signature::MIN_INK_FRACTION;

/// The largest upload accepted, bytes (a 1000×400 canvas with a signature is about 20 KiB).
pub const MAX_UPLOAD: usize = 512 * 1024;

/// The decoder's limits for a canvas: 2048 pixels a side at most.
pub const LIMITS: ImageLimits = ImageLimits {
    max_side: 2048,
    max_alloc: 32 << 20,
};

/// The smallest canvas accepted, pixels.
pub const MIN_SIDE: u32 = 64;

/// The smallest span of the ink, as a share of the canvas's width or height.
pub const MIN_EXTENT: f64 = 0.15;

/// A pixel this dark or darker is ink.
const INK_LEVEL: u8 = 128;

/// The PNG file signature.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why an upload is not accepted as a signature.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// More bytes than [`MAX_UPLOAD`].
    #[error("the upload is {len} bytes; at most {max} are accepted")]
    TooLarge {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a PNG.
    #[error("the upload is not a PNG image")]
    NotPng,
    /// The PNG does not decode within the limits.
    #[error("the signature image: {0}")]
    Decode(#[source] DecodeError),
    /// The canvas is smaller than [`MIN_SIDE`].
    #[error("the canvas is {width}x{height} pixels; at least {MIN_SIDE} a side is needed")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// No ink at all.
    #[error("nothing is drawn")]
    Empty,
    /// Too little ink, or ink in too small a corner, to be a signature.
    #[error(
        "too little is drawn for a signature ({ink_permille:.1} ‰ ink over {extent_percent:.0} % \
         of the box)"
    )]
    TooLittle {
        /// Ink pixels per thousand.
        ink_permille: f64,
        /// The ink's larger span as a percentage of the canvas.
        extent_percent: f64,
    },
}

/// Checks `bytes` as a signature drawn on screen; the image, dark ink on white.
pub fn check(bytes: &[u8]) -> Result<GrayImage, UploadError> {
    if bytes.len() > MAX_UPLOAD {
        return Err(UploadError::TooLarge {
            len: bytes.len(),
            max: MAX_UPLOAD,
        });
    }
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(UploadError::NotPng);
    }
    let image = permitkit_devices::signature_image::decode_gray(bytes, LIMITS)
        .map_err(UploadError::Decode)?;
    let (width, height) = image.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(UploadError::TooSmall { width, height });
    }
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    let mut ink = 0u64;
    for (x, y, p) in image.enumerate_pixels() {
        if p.0[0] <= INK_LEVEL {
            ink += 1;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    if ink == 0 {
        return Err(UploadError::Empty);
    }
    let fraction = ink as f64 / (f64::from(width) * f64::from(height));
    let extent =
        (f64::from(x1 - x0 + 1) / f64::from(width)).max(f64::from(y1 - y0 + 1) / f64::from(height));
    if fraction < MIN_INK_FRACTION || extent < MIN_EXTENT {
        return Err(UploadError::TooLittle {
            ink_permille: fraction * 1000.0,
            extent_percent: extent * 100.0,
        });
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::{DynamicImage, Luma, Rgba, RgbaImage};

    use super::*;

    fn png(image: DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    /// A canvas as the browser sends it: transparent, with an opaque dark line of `len` pixels
    /// and 3 pixels thick.
    fn canvas(len: u32) -> Vec<u8> {
        let mut c = RgbaImage::from_pixel(600, 200, Rgba([0, 0, 0, 0]));
        for x in 50..50 + len {
            for y in 100..103 {
                c.put_pixel(x, y, Rgba([20, 20, 60, 255]));
            }
        }
        png(DynamicImage::ImageRgba8(c))
    }

    #[test]
    fn a_drawn_line_is_a_signature_on_white_paper() {
        let image = check(&canvas(400)).unwrap();
        assert_eq!(image.dimensions(), (600, 200));
        assert_eq!(image.get_pixel(0, 0), &Luma([255]), "transparent is paper");
        assert!(image.get_pixel(60, 101).0[0] < 64, "the line is ink");
    }

    #[test]
    fn an_empty_or_too_small_drawing_is_refused() {
        assert_eq!(check(&canvas(0)), Err(UploadError::Empty));
        assert!(matches!(
            check(&canvas(20)),
            Err(UploadError::TooLittle { .. })
        ));
        let white = png(DynamicImage::ImageLuma8(GrayImage::from_pixel(
            600,
            200,
            Luma([255]),
        )));
        assert_eq!(check(&white), Err(UploadError::Empty));
        let tiny = png(DynamicImage::ImageLuma8(GrayImage::from_pixel(
            10,
            10,
            Luma([0]),
        )));
        assert_eq!(
            check(&tiny),
            Err(UploadError::TooSmall {
                width: 10,
                height: 10
            })
        );
    }

    #[test]
    fn other_bytes_are_typed_errors() {
        assert_eq!(check(b""), Err(UploadError::NotPng));
        assert_eq!(check(b"\xff\xd8\xff\xe0 a JPEG"), Err(UploadError::NotPng));
        let mut truncated = canvas(400);
        truncated.truncate(60);
        assert!(matches!(check(&truncated), Err(UploadError::Decode(_))));
        assert_eq!(
            check(&vec![0u8; MAX_UPLOAD + 1]),
            Err(UploadError::TooLarge {
                len: MAX_UPLOAD + 1,
                max: MAX_UPLOAD
            })
        );
    }

    #[test]
    fn a_canvas_over_the_side_limit_is_refused_before_decoding() {
        let big = png(DynamicImage::ImageLuma8(GrayImage::from_pixel(
            4000,
            70,
            Luma([255]),
        )));
        assert!(big.len() <= MAX_UPLOAD);
        assert!(matches!(
            check(&big),
            Err(UploadError::Decode(DecodeError::TooLarge(_)))
        ));
    }
}
