//! JPEG for DG2 within a byte budget: the largest JPEG quality whose encoding fits is found by
//! bisection; if even the profile's lowest acceptable quality does not fit, or the quality that
//! fits leaves block artefacts the profile's own compression check fails (ISO/IEC 29794-5
//! component 4A, [`super::compression`]), the portrait is scaled down (never below the
//! inter-eye distance the profile requires) and searched again: fewer pixels at a higher
//! quality. When no size avoids the artefacts, the encoding with the fewest is kept.

use std::io::Cursor;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

use super::crop::{Cropped, crop};
use super::geometry::Geometry;
use super::raster::{Plane, decode};
use super::report::FaceReport;
use super::{ColourSpace, FaceError, PortraitType, PreparedPortrait};
use crate::Verdict;
use permitkit_biometrics::image::ImageLimits;
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_model::secret::SecretBytes;

/// Highest JPEG quality tried (above it size grows with no visible gain).
const MAX_QUALITY: u8 = 95;

/// Encodes `image` as baseline JPEG at `quality`.
pub fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, FaceError> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut Cursor::new(&mut buf), quality.clamp(1, 100))
        .encode_image(image)
        .map_err(FaceError::Encode)?;
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
    // The fitting encoding with the fewest block artefacts seen so far, kept in case every
    // size the floor allows shows some.
    let mut fallback: Option<(f64, PreparedPortrait)> = None;
    loop {
        let Cropped {
            image: out,
            left_eye,
            right_eye,
        } = crop(image, g, image_type, out_ied, profile.crop.token_min_width);
        match fit(&out, max_bytes, profile.output.min_jpeg_quality)? {
            Ok((quality, bytes)) => {
                let blockiness = blockiness_of(&bytes, g, out_ied, left_eye, right_eye)?;
                let portrait = PreparedPortrait {
                    jpeg: SecretBytes::new(bytes),
                    width: out.width(),
                    height: out.height(),
                    image_type,
                    colour_space: ColourSpace::Rgb24,
                    left_eye,
                    right_eye,
                    jpeg_quality: quality,
                    quality_report: quality_report.clone(),
                };
                if profile.checks.compression.verdict(blockiness) != Verdict::Fail {
                    return Ok(portrait);
                }
                if fallback.as_ref().is_none_or(|(b, _)| blockiness < *b) {
                    fallback = Some((blockiness, portrait));
                }
            }
            Err(size) => smallest = smallest.min(size),
        }
        if out_ied <= floor_ied {
            return match fallback {
                Some((_, portrait)) => Ok(portrait),
                None => Err(FaceError::Budget {
                    max_bytes,
                    smallest,
                }),
            };
        }
        out_ied = (out_ied * 0.85).max(floor_ied);
    }
}

/// The block-artefact ratio of an encoded crop, measured over the head as the compression
/// check measures it: `g` scaled to the crop's inter-eye distance and placed on its eyes.
fn blockiness_of(
    jpeg: &[u8],
    g: &Geometry,
    out_ied: f32,
    left_eye: super::eyes::Point,
    right_eye: super::eyes::Point,
) -> Result<f64, FaceError> {
    let decoded = decode(jpeg, ImageLimits::default())?;
    let scale = if g.ied > 0.0 { out_ied / g.ied } else { 1.0 };
    let mid = super::eyes::Point {
        x: (left_eye.x + right_eye.x) / 2.0,
        y: (left_eye.y + right_eye.y) / 2.0,
    };
    let head = Geometry {
        mid,
        ied: out_ied,
        head_width: g.head_width * scale,
        head_height: g.head_height * scale,
        crown_y: mid.y - (g.mid.y - g.crown_y) * scale,
        chin_y: mid.y + (g.chin_y - g.mid.y) * scale,
        ..*g
    };
    Ok(super::compression::measure(&Plane::luma(&decoded), &head))
}
