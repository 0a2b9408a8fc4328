//! Fingerprint image quality: NFIQ 2-style native measures (ISO/IEC 29794-4:2024; NIST IR 8382)
//! computed on 32 × 32 blocks of the foreground, a transparent 0–100 score, actionable flags,
//! the enrolment gate that makes [`Accepted`] finger captures, and best-of-N selection.
//!
//! Input is an 8-bit grey plain impression at 500 ppi, as NFIQ 2 requires (other resolutions
//! must be resampled first and are refused here). See [`score`](self) for how the measures are
//! combined; the score is *NFIQ 2-like*, not NFIQ 2: it has no trained model and no
//! minutiae-based features, and is not conformance-tested against NIST's implementation.

#![expect(
    clippy::cast_possible_truncation,
    reason = "DSP code: float-to-integer `as` casts saturate, and every one here quantises a \
              bounded pixel, grid or kernel coordinate or a value already clamped to the target range"
)]

mod blocks;
mod measures;
mod score;

use image::GrayImage;
use permitkit_biometrics::image::{DecodeError, ImageLimits};
use serde::Serialize;

use super::{Accepted, Verdict};
use permitkit_model::finger_image::FingerImage;

pub use score::{FingerFlag, FingerMeasures};

/// Smallest image assessed: one 32 × 32 block needs at least this many pixels per side.
pub const MIN_SIDE: u32 = 64;
/// Largest image side assessed (pixels): 2000 px is 10 cm at 500 ppi, beyond any single-finger
/// platen.
pub const MAX_SIDE: u32 = 2000;
/// Limits for decoding finger images: [`MAX_SIDE`] per side, and at most the largest decoded
/// buffer of that size, 2000 × 2000 × 4 channels × 2 bytes (a 16-bit RGBA PNG).
pub const FINGER_IMAGE_LIMITS: ImageLimits = ImageLimits {
    max_side: MAX_SIDE,
    max_alloc: MAX_SIDE as u64 * MAX_SIDE as u64 * 8,
};
/// Accepted resolution range (pixels per inch): 500 ppi ± 2 %.
pub const PPI_RANGE: (u16, u16) = (490, 510);
/// Default enrolment threshold: captures scoring below it are recaptured. A policy value,
/// overridden by the scanner profile (`quality.enrolment_threshold`).
pub const DEFAULT_ENROLMENT_THRESHOLD: u8 = 55;

/// The quality of one finger image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FingerQuality {
    /// 0 (unusable) to 100 (excellent).
    pub score: u8,
    /// Actionable findings, most severe first.
    pub flags: Vec<FingerFlag>,
    /// The measures the score was computed from.
    pub measures: FingerMeasures,
}

impl FingerQuality {
    /// The decision at enrolment threshold `threshold`: fail below it or with a blocking flag,
    /// warn at or above it with other flags, pass otherwise.
    pub fn verdict(&self, threshold: u8) -> Verdict {
        if self.score < threshold || self.flags.iter().any(|f| f.is_blocking()) {
            Verdict::Fail
        } else if self.flags.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Warn
        }
    }
}

/// Why an image cannot be assessed at all (as opposed to being assessed as poor).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerQualityError {
    /// Width or height outside [`MIN_SIDE`] ..= [`MAX_SIDE`].
    #[error(
        "image {width}×{height} outside the assessable size {MIN_SIDE}..={MAX_SIDE} pixels per side"
    )]
    Size {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
    /// Resolution other than 500 ppi.
    #[error("resolution {ppi} ppi: fingerprint quality is defined at 500 ppi; resample first")]
    Resolution {
        /// The resolution given.
        ppi: u16,
    },
    /// The bytes are not a decodable image within [`FINGER_IMAGE_LIMITS`].
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Assesses an 8-bit grey finger image captured at `ppi`.
pub fn assess(image: &GrayImage, ppi: u16) -> Result<FingerQuality, FingerQualityError> {
    let (width, height) = image.dimensions();
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(FingerQualityError::Size { width, height });
    }
    if !(PPI_RANGE.0..=PPI_RANGE.1).contains(&ppi) {
        return Err(FingerQualityError::Resolution { ppi });
    }
    let measures = measure(image, ppi);
    Ok(FingerQuality {
        score: score::score(&measures),
        flags: score::flags(&measures),
        measures,
    })
}

/// Decodes PNG or JPEG bytes into an 8-bit grey image under [`FINGER_IMAGE_LIMITS`], refusing
/// images larger than [`MAX_SIDE`] per side before allocating them.
pub fn decode_image(bytes: &[u8]) -> Result<GrayImage, FingerQualityError> {
    Ok(permitkit_biometrics::image::decode(bytes, &FINGER_IMAGE_LIMITS)?.into_luma8())
}

/// The outcome of the enrolment gate.
#[derive(Debug, Clone)]
pub enum GateOutcome {
    /// Good enough to enrol.
    Accepted(Accepted<FingerImage, FingerQuality>),
    /// Below the threshold or with a blocking flag: recapture.
    Rejected {
        /// The capture.
        capture: FingerImage,
        /// Why.
        report: FingerQuality,
    },
}

impl GateOutcome {
    /// The quality report either way.
    pub fn report(&self) -> &FingerQuality {
        match self {
            GateOutcome::Accepted(a) => a.report(),
            GateOutcome::Rejected { report, .. } => report,
        }
    }

    /// Whether the capture was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, GateOutcome::Accepted(_))
    }
}

/// The enrolment gate: assesses `capture` and admits it if its verdict at `threshold` is not
/// [`Verdict::Fail`]. The only way to make an accepted finger capture.
pub fn gate(capture: FingerImage, threshold: u8) -> Result<GateOutcome, FingerQualityError> {
    let report = assess(&capture.image, capture.ppi)?;
    Ok(if report.verdict(threshold) == Verdict::Fail {
        GateOutcome::Rejected { capture, report }
    } else {
        GateOutcome::Accepted(Accepted::new(capture, report))
    })
}

/// Best of N: the outcome with the highest score, preferring accepted ones; the first of equal
/// candidates wins. `None` for no outcomes.
pub fn best_of(outcomes: impl IntoIterator<Item = GateOutcome>) -> Option<GateOutcome> {
    outcomes.into_iter().fold(None, |best, o| match best {
        None => Some(o),
        Some(b) => {
            let key = |x: &GateOutcome| (x.is_accepted(), x.report().score);
            if key(&o) > key(&b) { Some(o) } else { Some(b) }
        }
    })
}

fn measure(image: &GrayImage, ppi: u16) -> FingerMeasures {
    let grid = blocks::Grid::analyse(image);
    let pixels = f64::from(image.width()) * f64::from(image.height());
    let mean = image.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / pixels.max(1.0);
    let n = grid.blocks.len();
    let mm_per_px = 25.4 / f64::from(ppi);
    let block_mm2 = (blocks::BLOCK as f64 * mm_per_px).powi(2);
    let mut m = FingerMeasures {
        mean,
        foreground_blocks: n,
        foreground_mm2: n as f64 * block_mm2,
        foreground_fraction: (n * blocks::BLOCK * blocks::BLOCK) as f64 / pixels.max(1.0),
        ..FingerMeasures::default()
    };
    if n == 0 {
        return m;
    }
    let (mut ocl, mut lcs, mut fda, mut brightness) = (0.0, 0.0, 0.0, 0.0);
    let (mut rvu_sum, mut rvu_n, mut of_sum, mut of_n) = (0.0, 0u32, 0.0, 0u32);
    let mut sharp = Vec::with_capacity(n);
    let mut contrast = Vec::with_capacity(n);
    let mut ratios = Vec::with_capacity(n);
    let mut periods = Vec::with_capacity(n);
    for b in &grid.blocks {
        let sig = b.signature();
        let spec = measures::spectrum(&sig, b.residual_variance(&sig));
        let st = measures::structure(b, &sig);
        ocl += b.ocl;
        lcs += st.lcs;
        fda += spec.fda;
        brightness += b.mean;
        if let Some(r) = st.rvu {
            rvu_sum += r;
            rvu_n += 1;
        }
        if let Some(r) = st.ratio {
            ratios.push(r);
        }
        if let Some(f) = measures::orientation_flow(&grid, b) {
            of_sum += f;
            of_n += 1;
        }
        sharp.push((spec.contrast, spec.sharpness));
        contrast.push(spec.contrast);
        periods.push(spec.period);
    }
    let nf = n as f64;
    m.ocl = ocl / nf;
    m.lcs = lcs / nf;
    m.fda = fda / nf;
    m.mean_brightness = brightness / nf;
    m.rvu = if rvu_n > 0 {
        rvu_sum / f64::from(rvu_n)
    } else {
        1.0
    };
    m.of = if of_n > 0 {
        of_sum / f64::from(of_n)
    } else {
        1.0
    };
    m.contrast = median(&mut contrast);
    // Sharpness over the better-contrasted half of the blocks: blocks on the fading edge of
    // the contact area are soft whatever the focus.
    let mut sharp: Vec<f64> = sharp
        .iter()
        .filter(|(c, _)| *c >= m.contrast)
        .map(|(_, s)| *s)
        .collect();
    m.sharpness = median(&mut sharp);
    m.ridge_valley_ratio = median(&mut ratios);
    m.ridge_period = median(&mut periods);
    m
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_wrong_resolution_and_size() {
        let img = GrayImage::from_pixel(100, 100, image::Luma([200]));
        assert_eq!(
            assess(&img, 1000).unwrap_err(),
            FingerQualityError::Resolution { ppi: 1000 }
        );
        let tiny = GrayImage::from_pixel(63, 100, image::Luma([200]));
        assert!(matches!(
            assess(&tiny, 500),
            Err(FingerQualityError::Size { width: 63, .. })
        ));
    }

    #[test]
    fn a_blank_image_is_empty_and_scores_zero() {
        let img = GrayImage::from_pixel(200, 200, image::Luma([230]));
        let q = assess(&img, 500).unwrap();
        assert_eq!(q.score, 0);
        assert_eq!(q.flags, vec![FingerFlag::Empty]);
        assert_eq!(q.verdict(0), Verdict::Fail);
    }

    #[test]
    fn decode_refuses_garbage_and_oversized_images() {
        assert!(matches!(
            decode_image(b"not an image"),
            Err(FingerQualityError::Decode(_))
        ));
        let big = GrayImage::new(2001, 64);
        let mut png = Vec::new();
        big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(matches!(
            decode_image(&png),
            Err(FingerQualityError::Decode(_))
        ));
    }
}
