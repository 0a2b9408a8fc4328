//! JPEG compression artefacts (ISO/IEC 29794-5 component 4A; ICAO: no visible artefacts).
//!
//! Blockiness in the spirit of Wang, Bovik and Evans ("Blind measurement of blocking artifacts
//! in images", ICIP 2000): the mean absolute luminance step across the 8×8 block boundaries of
//! the JPEG grid (aligned to the image origin), divided by the mean step inside blocks. A
//! natural or losslessly stored image gives about 1; heavy quantisation makes block edges
//! stand out and the ratio grows.

use super::advice::Advice;
use super::geometry::Geometry;
use super::raster::{Plane, floor_i};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// The blockiness ratio of `luma` inside the head of `g` (the whole image if that is empty).
pub fn measure(luma: &Plane, g: &Geometry) -> f64 {
    let (w, h) = (luma.width() as isize, luma.height() as isize);
    let half = g.head_width / 2.0;
    let x0 = floor_i(g.mid.x - half).clamp(0, w);
    let x1 = floor_i(g.mid.x + half).clamp(0, w);
    let y0 = floor_i(g.crown_y).clamp(0, h);
    let y1 = floor_i(g.chin_y).clamp(0, h);
    let (x0, x1, y0, y1) = if x1 - x0 < 16 || y1 - y0 < 16 {
        (0, w, 0, h)
    } else {
        (x0, x1, y0, y1)
    };
    let (mut edge, mut ne, mut inner, mut ni) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    // Pixel by pixel, row by row: the step to the right neighbour (when inside), then the step
    // to the neighbour below (when inside), each added to the boundary or inner sum.
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    for y in y0..y1 {
        let row = luma.row(y);
        let here = row.get(x0..x1).unwrap_or_default();
        let right = row.get(x0 + 1..).unwrap_or_default();
        let below = luma.row(y + 1).get(x0..x1).unwrap_or_default();
        let vertical_edge = (y + 1) % 8 == 0;
        for (i, &v) in here.iter().enumerate() {
            if let Some(&r) = right.get(i) {
                let d = f64::from((r - v).abs());
                if (x0 + i + 1) % 8 == 0 {
                    edge += d;
                    ne += 1.0;
                } else {
                    inner += d;
                    ni += 1.0;
                }
            }
            if let Some(&b) = below.get(i) {
                let d = f64::from((b - v).abs());
                if vertical_edge {
                    edge += d;
                    ne += 1.0;
                } else {
                    inner += d;
                    ni += 1.0;
                }
            }
        }
    }
    let edge = edge / ne.max(1.0);
    let inner = inner / ni.max(1.0);
    (edge + 0.25) / (inner + 0.25)
}

/// The compression check.
pub fn check(luma: &Plane, g: &Geometry, profile: &QualityProfile) -> Check {
    let value = measure(luma, g);
    let verdict = profile.checks.compression.verdict(value);
    let message = match verdict {
        Verdict::Pass => Advice::NoCompressionArtefacts,
        _ => Advice::BlockArtefacts,
    };
    Check::new(CheckId::Compression, value, verdict, message)
}
