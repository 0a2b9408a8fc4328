//! Background (ISO/IEC 29794-5 component 42; ICAO: plain, uniform, light, no shadows, no other
//! objects or persons; `docs/spec/biometric-formats.md` §2).
//!
//! Measured on the background only, inside the frame that goes on the chip: the full-frontal
//! crop ([`Geometry::full_frontal`]) clipped to the image, above the chin, outside a head mask.
//! The head mask is an ellipse around the landmark (or head-model) head extent, widened for
//! hair: crown to chin vertically, 1.3 × the head width across, rotated with the eye line.
//! The region is sampled on a grid at 24 samples per inter-eye distance with area averaging
//! for luma, and three values are limited:
//! - texture: upper quartile of the absolute luma steps between neighbouring background
//!   samples (8-bit levels); a plain backdrop gives about 1.5, curtains, flags, furniture and
//!   people several times more, and a few hair strands or a shadow edge do not move it;
//! - colour: upper quartile of the CIELAB distances (ΔE*ab) of the samples from their median
//!   colour (the median distance misses a background of two large uniform areas); a plain
//!   background gives one or two units, a chandelier six, a flag or a person behind the head
//!   tens;
//! - luminance: mean luma (0–1), ICAO asks for a light background.

use image::RgbImage;

use super::advice::{Advice, BackgroundFigures};
use super::colour::srgb_to_lab;
use super::geometry::Geometry;
use super::landmarks::Landmarks;
use super::raster::{Plane, RgbSampler, mean_std, round_u};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Samples per inter-eye distance.
const SAMPLE_IED: f32 = 24.0;

/// The background measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Upper quartile of the luma steps between neighbouring samples, 8-bit levels.
    pub texture: f64,
    /// Median ΔE*ab from the median background colour.
    pub colour: f64,
    /// Mean luma, 0–1.
    pub luminance: f64,
    /// Number of background samples.
    pub samples: usize,
}

/// Whether `(x, y)` is inside the head-and-body mask of `g`; `(sin, cos)` are those of its roll.
fn in_mask(g: &Geometry, (sin, cos): (f32, f32), x: f32, y: f32) -> bool {
    let (dx, dy) = (x - g.mid.x, y - g.mid.y);
    // Coordinates in the face's frame: u across, v down from the eye line.
    let u = dx * cos + dy * sin;
    let v = -dx * sin + dy * cos;
    let up = g.mid.y - g.crown_y;
    let down = g.chin_y - g.mid.y;
    if v > 0.7 * down {
        return true; // chin, neck and shoulders: not judged
    }
    let vc = (down - up) / 2.0 - 0.15 * g.ied;
    let a = 0.85 * g.head_width;
    let b = 0.5 * (up + down) + 0.35 * g.ied;
    ((u / a).powi(2) + ((v - vc) / b).powi(2)) <= 1.0
}

/// Measures the background of `g` in the chip frame; `None` when too little of it is visible.
pub fn measure(image: &RgbImage, luma: &Plane, g: &Geometry) -> Option<Measures> {
    let step = (g.ied / SAMPLE_IED).max(0.5);
    let (w, h) = (luma.width() as f32, luma.height() as f32);
    let r = &g.full_frontal;
    let (x0, y0) = (r.x.max(0.0), r.y.max(0.0));
    let (x1, y1) = (r.right().min(w), r.bottom().min(h));
    let cols = round_u(((x1 - x0) / step).floor());
    let rows = round_u(((y1 - y0) / step).floor());
    if cols < 3 || rows < 3 || cols > 4096 || rows > 4096 {
        return None;
    }
    let plane = luma.resample(x0, y0, step, cols, rows);
    let centre = |i: usize, o: f32| o + (i as f32 + 0.5) * step - 0.5;
    let mut keep = vec![false; cols * rows];
    let mut lab = Vec::new();
    let mut values = Vec::new();
    let roll = g.roll_degrees.to_radians().sin_cos();
    let sampler = RgbSampler::new(image);
    for j in 0..rows {
        for i in 0..cols {
            let (x, y) = (centre(i, x0), centre(j, y0));
            if in_mask(g, roll, x, y) {
                continue;
            }
            if let Some(k) = keep.get_mut(j * cols + i) {
                *k = true;
            }
            let [rr, gg, bb] = sampler.at(x, y);
            lab.push(srgb_to_lab(rr, gg, bb));
            values.push(plane.at(i as isize, j as isize));
        }
    }
    if values.len() < 24 {
        return None;
    }
    let kept = |i: usize, j: usize| keep.get(j * cols + i).copied().unwrap_or(false);
    let mut steps = Vec::new();
    for j in 0..rows {
        for i in 0..cols {
            if !kept(i, j) {
                continue;
            }
            let v = plane.at(i as isize, j as isize);
            if i + 1 < cols && kept(i + 1, j) {
                steps.push((plane.at(i as isize + 1, j as isize) - v).abs());
            }
            if j + 1 < rows && kept(i, j + 1) {
                steps.push((plane.at(i as isize, j as isize + 1) - v).abs());
            }
        }
    }
    let median_of = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let upper_quartile = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v.get(v.len() * 3 / 4).copied().unwrap_or(0.0)
    };
    let centre = (
        median_of(lab.iter().map(|c| c.0).collect()),
        median_of(lab.iter().map(|c| c.1).collect()),
        median_of(lab.iter().map(|c| c.2).collect()),
    );
    // The upper quartile of the distances, not their median: a background of two large
    // uniform areas (a flag's stripes) has a zero median distance from its median colour.
    let spread = upper_quartile(
        lab.iter()
            .map(|c| {
                ((c.0 - centre.0).powi(2) + (c.1 - centre.1).powi(2) + (c.2 - centre.2).powi(2))
                    .sqrt()
            })
            .collect(),
    );
    // A busy background is busy everywhere, a plain one has a few steps at hair strands or
    // shadows: the upper quartile of the steps separates them.
    steps.sort_by(f32::total_cmp);
    let texture = steps.get(steps.len() * 3 / 4).copied().unwrap_or(0.0);
    let (lum, _) = mean_std(values.into_iter());
    Some(Measures {
        texture: f64::from(texture),
        colour: f64::from(spread),
        luminance: f64::from(lum) / 255.0,
        samples: lab.len(),
    })
}

/// The background check; its value is the texture.
pub fn check(
    image: &RgbImage,
    luma: &Plane,
    g: &Geometry,
    _landmarks: Option<&Landmarks>,
    profile: &QualityProfile,
) -> Check {
    let b = &profile.checks.background;
    let Some(m) = measure(image, luma, g) else {
        return Check::new(
            CheckId::Background,
            f64::NAN,
            Verdict::Warn,
            Advice::NoBackgroundVisible,
        );
    };
    let (vt, vc, vl) = (
        b.texture.verdict(m.texture),
        b.colour.verdict(m.colour),
        b.luminance.verdict(m.luminance),
    );
    let verdict = vt.worst(vc).worst(vl);
    let figures = BackgroundFigures {
        texture: m.texture,
        colour_spread: m.colour,
        luminance: m.luminance,
    };
    let message = if verdict == Verdict::Pass {
        Advice::PlainBackground { figures }
    } else if vt == verdict || vc == verdict {
        Advice::BackgroundNotPlain { figures }
    } else {
        Advice::BackgroundTooDark { figures }
    };
    Check::new(CheckId::Background, m.texture, verdict, message)
}
