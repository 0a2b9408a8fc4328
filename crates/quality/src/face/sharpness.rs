//! Sharpness of the face (ISO/IEC 29794-5 component 49; ICAO: the whole face in focus).
//!
//! Our own metric, chosen for speed and contrast independence: the mean absolute 4-neighbour
//! Laplacian of the face luma, divided by its standard deviation plus a small floor, measured on
//! the normalised face region (IED ≤ 96 px, so that the judgement is made at about the scale of
//! the DG2 output rather than at the camera's native resolution). Defocus removes the fine
//! detail the Laplacian responds to while leaving the face's overall contrast.

use super::advice::Advice;
use super::raster::mean_std;
use super::region::FaceRegion;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// The sharpness value of a face region (dimensionless).
pub fn measure(region: &FaceRegion) -> f64 {
    let p = &region.luma;
    let mut sum = 0.0f64;
    let mut n = 0.0f64;
    for &(x, y, _) in &region.mask {
        let (x, y) = (x as isize, y as isize);
        let lap =
            4.0 * p.at(x, y) - p.at(x - 1, y) - p.at(x + 1, y) - p.at(x, y - 1) - p.at(x, y + 1);
        sum += f64::from(lap.abs());
        n += 1.0;
    }
    let (_, std) = mean_std(region.masked_luma());
    (sum / n.max(1.0)) / (f64::from(std) + 4.0)
}

/// The sharpness check.
pub fn check(region: &FaceRegion, profile: &QualityProfile) -> Check {
    let value = measure(region);
    let verdict = profile.checks.sharpness.verdict(value);
    let message = match verdict {
        Verdict::Pass => Advice::InFocus,
        _ => Advice::Blurred,
    };
    Check::new(CheckId::Sharpness, value, verdict, message)
}
