//! Background (ISO/IEC 29794-5 component 42; ICAO: plain, uniform, light, no shadows or other
//! objects).
//!
//! The background is sampled above the head and beside it at temple height (outside the head
//! width of the head model plus a margin for hair), at a scale where the inter-eye distance is
//! 32 px. Texture is the mean absolute luminance step between neighbouring samples (8-bit levels);
//! a plain wall gives well under 2, furniture, posters or people give many times more.

use super::geometry::Geometry;
use super::raster::{Plane, mean_std};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

const SAMPLE_IED: f32 = 32.0;

/// Background texture (levels per sample) and mean luminance (0–1); `None` when no background
/// is visible in the image.
pub fn measure(luma: &Plane, g: &Geometry) -> Option<(f64, f64)> {
    let step = (g.ied / SAMPLE_IED).max(0.25);
    let (w, h) = (luma.width() as f32, luma.height() as f32);
    let ied = g.ied;
    let margin = 0.45 * ied;
    let half = g.head_width / 2.0 + margin;
    // Rectangles in image pixels: above the crown, and left/right of the head.
    let top = (
        g.mid.x - 1.6 * ied,
        g.crown_y - 1.0 * ied,
        g.mid.x + 1.6 * ied,
        g.crown_y - 0.25 * ied,
    );
    let left = (
        g.mid.x - half - 0.9 * ied,
        g.crown_y + 0.2 * ied,
        g.mid.x - half,
        g.mid.y,
    );
    let right = (
        g.mid.x + half,
        g.crown_y + 0.2 * ied,
        g.mid.x + half + 0.9 * ied,
        g.mid.y,
    );
    let mut steps = Vec::new();
    let mut values = Vec::new();
    for (x0, y0, x1, y1) in [top, left, right] {
        let (x0, y0) = (x0.max(0.0), y0.max(0.0));
        let (x1, y1) = (x1.min(w), y1.min(h));
        let cols = super::raster::round_u(((x1 - x0) / step).floor());
        let rows = super::raster::round_u(((y1 - y0) / step).floor());
        if cols < 3 || rows < 3 {
            continue;
        }
        let p = luma.resample(x0, y0, step, cols, rows);
        for y in 0..rows as isize {
            for x in 0..cols as isize {
                let v = p.at(x, y);
                values.push(v);
                if x + 1 < cols as isize {
                    steps.push((p.at(x + 1, y) - v).abs());
                }
                if y + 1 < rows as isize {
                    steps.push((p.at(x, y + 1) - v).abs());
                }
            }
        }
    }
    if values.len() < 16 {
        return None;
    }
    let (texture, _) = mean_std(steps.into_iter());
    let (mean, _) = mean_std(values.into_iter());
    Some((f64::from(texture), f64::from(mean) / 255.0))
}

/// The background check; its value is the texture.
pub fn check(luma: &Plane, g: &Geometry, profile: &QualityProfile) -> Check {
    let b = &profile.checks.background;
    let Some((texture, lum)) = measure(luma, g) else {
        return Check::new(
            CheckId::Background,
            f64::NAN,
            Verdict::Warn,
            "no background visible around the head: move the camera back",
        );
    };
    let (vt, vl) = (b.texture.verdict(texture), b.luminance.verdict(lum));
    let verdict = vt.worst(vl);
    let message = if verdict == Verdict::Pass {
        "plain, light background".to_owned()
    } else if vt != Verdict::Pass {
        format!(
            "background not plain (texture {texture:.1}): use the plain screen behind the applicant, remove objects and other people"
        )
    } else {
        format!(
            "background too dark ({:.0} %): use a light grey, blue or white background and light it",
            lum * 100.0
        )
    };
    Check::new(CheckId::Background, texture, verdict, message)
}
