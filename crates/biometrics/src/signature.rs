//! The displayed signature for DG7 (ICAO Doc 9303-10 §4.7.7): from a scanned or pen-drawn
//! image to a small greyscale JPEG of the document profile's size.
//!
//! 1. Binarise with Otsu's threshold (ink is the darker class).
//! 2. Crop to the ink's bounding box plus a margin; an image with too little ink is refused
//!    (a blank pad, a scan of an empty box).
//! 3. Scale to fit the target box keeping the aspect ratio, centre it on white.
//! 4. Encode as baseline greyscale JPEG, lowering the quality until it fits the byte budget.

use image::{GrayImage, ImageEncoder, Luma, codecs::jpeg::JpegEncoder, imageops};

/// Smallest share of ink pixels a signature must have.
pub const MIN_INK_FRACTION: f64 = 0.002;
/// Margin around the ink, as a fraction of the ink box's larger side.
const MARGIN: f64 = 0.05;

/// Why a signature image cannot be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Not enough ink to be a signature.
    #[error("the signature image is blank ({0:.2} % ink; at least 0.2 % expected)")]
    Blank(f64),
    /// The JPEG does not fit the budget even at the lowest quality.
    #[error("the signature does not fit in {0} bytes even at JPEG quality 20")]
    Budget(usize),
    /// A target size of zero.
    #[error("target size {0}x{1} is empty")]
    EmptyTarget(u32, u32),
    /// JPEG encoding failed.
    #[error("JPEG encoding of the signature")]
    Encode(#[source] image::ImageError),
}

/// A prepared signature image.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedSignature {
    /// The JPEG for DG7.
    pub jpeg: Vec<u8>,
    /// The binarised, scaled image the JPEG encodes.
    pub image: GrayImage,
    /// The JPEG quality that met the budget.
    pub quality: u8,
}

impl std::fmt::Debug for PreparedSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PreparedSignature({}x{}, {} bytes, q{})",
            self.image.width(),
            self.image.height(),
            self.jpeg.len(),
            self.quality
        )
    }
}

/// Prepares `input` for DG7: binarised, cropped to the ink, fitted into `width`×`height`, as a
/// JPEG of at most `max_bytes`.
pub fn prepare(
    input: &GrayImage,
    width: u32,
    height: u32,
    max_bytes: usize,
) -> Result<PreparedSignature, SignatureError> {
    if width == 0 || height == 0 {
        return Err(SignatureError::EmptyTarget(width, height));
    }
    let threshold = otsu(input);
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    let mut ink = 0u64;
    for (x, y, p) in input.enumerate_pixels() {
        if p.0[0] <= threshold {
            ink += 1;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    let total = u64::from(input.width()) * u64::from(input.height());
    let fraction = if total == 0 {
        0.0
    } else {
        ink as f64 / total as f64
    };
    if ink == 0 || fraction < MIN_INK_FRACTION {
        return Err(SignatureError::Blank(fraction * 100.0));
    }
    let side = f64::from((x1 - x0).max(y1 - y0) + 1);
    let m = px(side * MARGIN);
    let cx0 = x0.saturating_sub(m);
    let cy0 = y0.saturating_sub(m);
    let cx1 = (x1 + m).min(input.width() - 1);
    let cy1 = (y1 + m).min(input.height() - 1);
    let crop_w = cx1 - cx0 + 1;
    let crop_h = cy1 - cy0 + 1;
    let binary = GrayImage::from_fn(crop_w, crop_h, |x, y| {
        let v = input.get_pixel(cx0 + x, cy0 + y).0[0];
        Luma([if v <= threshold { 0 } else { 255 }])
    });
    let scale = (f64::from(width) / f64::from(crop_w)).min(f64::from(height) / f64::from(crop_h));
    let sw = px(f64::from(crop_w) * scale).clamp(1, width);
    let sh = px(f64::from(crop_h) * scale).clamp(1, height);
    let scaled = imageops::resize(&binary, sw, sh, imageops::FilterType::Triangle);
    let mut canvas = GrayImage::from_pixel(width, height, Luma([255]));
    imageops::overlay(
        &mut canvas,
        &scaled,
        i64::from((width - sw) / 2),
        i64::from((height - sh) / 2),
    );
    for quality in (20..=90u8).rev().step_by(5) {
        let jpeg = encode_jpeg(&canvas, quality)?;
        if jpeg.len() <= max_bytes {
            return Ok(PreparedSignature {
                jpeg,
                image: canvas,
                quality,
            });
        }
    }
    Err(SignatureError::Budget(max_bytes))
}

fn encode_jpeg(img: &GrayImage, quality: u8) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(SignatureError::Encode)?;
    Ok(out)
}

/// A pixel count from a non-negative float: rounded up for margins, to nearest otherwise is not
/// worth the distinction at these sizes; clamped into `u32`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "rounded and clamped into the u32 range first; NaN becomes 0"
)]
fn px(v: f64) -> u32 {
    v.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Otsu's threshold: the grey level that maximises the between-class variance.
fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        if let Some(h) = hist.get_mut(usize::from(p.0[0])) {
            *h += 1;
        }
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0f64, 0f64, -1f64, 127u8);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c as f64;
        if w0 == 0.0 {
            continue;
        }
        let w1 = total as f64 - w0;
        if w1 == 0.0 {
            break;
        }
        sum0 += t as f64 * c as f64;
        let m0 = sum0 / w0;
        let m1 = (sum_all - sum0) / w1;
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = u8::try_from(t).unwrap_or(u8::MAX);
        }
    }
    best_t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(w: u32, h: u32, bg: u8, ink: u8) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let on = (60..340).contains(&x) && (y as i64 - 60 - (x as i64 / 20) % 7).abs() < 3;
            Luma([if on { ink } else { bg }])
        })
    }

    #[test]
    fn crops_binarises_and_fits_the_budget() {
        // A grey scan: dark-grey ink on light-grey paper, off-centre.
        let scan = stroke(600, 300, 200, 60);
        let s = prepare(&scan, 400, 150, 6000).unwrap();
        assert_eq!((s.image.width(), s.image.height()), (400, 150));
        assert!(s.jpeg.len() <= 6000);
        assert!(s.jpeg.starts_with(&[0xFF, 0xD8]));
        // Binarised: only black, white and the resize's edge greys remain; the paper is white.
        assert_eq!(s.image.get_pixel(0, 0).0[0], 255);
        let dark = s.image.pixels().filter(|p| p.0[0] < 64).count();
        assert!(dark > 500, "ink survives: {dark}");
        // The ink spans (nearly) the whole width after cropping and scaling.
        let cols: Vec<u32> = (0..400)
            .filter(|&x| (0..150).any(|y| s.image.get_pixel(x, y).0[0] < 128))
            .collect();
        assert!(cols.first().copied().unwrap() < 30 && cols.last().copied().unwrap() > 370);
    }

    #[test]
    fn refuses_blank_and_impossible_budgets() {
        let blank = GrayImage::from_pixel(400, 150, Luma([250]));
        assert!(matches!(
            prepare(&blank, 400, 150, 6000),
            Err(SignatureError::Blank(_))
        ));
        let speck = GrayImage::from_fn(400, 150, |x, y| {
            Luma([if x == 5 && y == 5 { 0 } else { 250 }])
        });
        assert!(matches!(
            prepare(&speck, 400, 150, 6000),
            Err(SignatureError::Blank(_))
        ));
        assert!(matches!(
            prepare(&stroke(600, 300, 200, 60), 400, 150, 200),
            Err(SignatureError::Budget(200))
        ));
    }
}
