//! JPEG for DG2 within a byte budget: the largest JPEG quality whose encoding fits is found by
//! bisection; if even the profile's lowest acceptable quality does not fit, the portrait is
//! scaled down (never below the inter-eye distance the profile requires) and searched again.

use std::io::Cursor;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

use super::crop::{Cropped, crop};
use super::geometry::Geometry;
use super::report::FaceReport;
use super::{ColourSpace, FaceError, PortraitType, PreparedPortrait};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_model::secret::SecretBytes;

/// Highest JPEG quality tried (above it size grows with no visible gain).
const MAX_QUALITY: u8 = 95;

/// Encodes `image` as baseline JPEG at `quality`.
pub fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, FaceError> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut Cursor::new(&mut buf), quality.clamp(1, 100))
        .encode_image(image)
        .map_err(|e| FaceError::Encode(e.to_string()))?;
    Ok(buf)
}

/// A high quality in `[min_q, MAX_QUALITY]` (within [`STEP`] of the highest) whose JPEG fits
/// `max_bytes`, with its bytes;
/// `Err(smallest size)` when none fits.
pub fn fit(
    image: &RgbImage,
    max_bytes: usize,
    min_q: u8,
) -> Result<Result<(u8, Vec<u8>), usize>, FaceError> {
    let min_q = min_q.clamp(1, MAX_QUALITY);
    // Probe a typical DG2 quality first; its result halves the range before bisection.
    let probe_q = PROBE_QUALITY.clamp(min_q, MAX_QUALITY);
    let probe = jpeg(image, probe_q)?;
    let (mut lo, mut hi, mut best) = if probe.len() <= max_bytes {
        let top = jpeg(image, MAX_QUALITY)?;
        if top.len() <= max_bytes {
            return Ok(Ok((MAX_QUALITY, top)));
        }
        (probe_q, MAX_QUALITY, (probe_q, probe))
    } else {
        let bottom = jpeg(image, min_q)?;
        if bottom.len() > max_bytes {
            return Ok(Err(bottom.len()));
        }
        (min_q, probe_q, (min_q, bottom))
    };
    // Invariant: lo fits, hi does not. Stop within STEP quality points of the optimum.
    while hi - lo > STEP {
        let mid = lo + (hi - lo) / 2;
        let bytes = jpeg(image, mid)?;
        if bytes.len() <= max_bytes {
            lo = mid;
            best = (mid, bytes);
        } else {
            hi = mid;
        }
    }
    Ok(Ok(best))
}

/// First quality tried.
const PROBE_QUALITY: u8 = 80;

/// The search stops when the best fitting quality is known to within this many points.
const STEP: u8 = 2;

/// Crops, then encodes within the budget; see the module doc.
pub fn to_budget(
    image: &RgbImage,
    g: &Geometry,
    image_type: PortraitType,
    max_bytes: usize,
    profile: &QualityProfile,
    quality_report: FaceReport,
) -> Result<PreparedPortrait, FaceError> {
    let floor_ied = match image_type {
        PortraitType::FullFrontal => profile.checks.inter_eye_distance.fail_below.unwrap_or(60.0),
        PortraitType::TokenFrontal => f64::from(profile.crop.token_min_width) / 4.0,
    };
    let floor_ied = super::raster::f32_of(floor_ied).min(g.ied);
    let mut out_ied = super::raster::f32_of(profile.output.target_ied).min(g.ied);
    let mut smallest = usize::MAX;
    loop {
        let Cropped {
            image: out,
            left_eye,
            right_eye,
        } = crop(image, g, image_type, out_ied, profile.crop.token_min_width);
        match fit(&out, max_bytes, profile.output.min_jpeg_quality)? {
            Ok((quality, bytes)) => {
                return Ok(PreparedPortrait {
                    jpeg: SecretBytes::new(bytes),
                    width: out.width(),
                    height: out.height(),
                    image_type,
                    colour_space: ColourSpace::Rgb24,
                    left_eye,
                    right_eye,
                    jpeg_quality: quality,
                    quality_report,
                });
            }
            Err(size) => smallest = smallest.min(size),
        }
        if out_ied <= floor_ied {
            return Err(FaceError::Budget {
                max_bytes,
                smallest,
            });
        }
        out_ied = (out_ied * 0.85).max(floor_ied);
    }
}
