//! Glasses (ICAO Doc 9303-3 photograph guidance and ISO/IEC 19794-5:2005 §7.2: eyes clearly
//! visible through clear lenses, no reflection on the lenses, no tinted lenses, frames not
//! covering the eyes; many issuers forbid glasses altogether; `docs/spec/biometric-formats.md`
//! §2). ISO/IEC 29794-5 has no component of its own for glasses (OFIQ judges what they hide
//! under eyes visible, 4F, which [`super::occlusion`] implements).
//!
//! Three appearance measures in the eye-line frame (u along the eye line, v down, in IED),
//! placed from the eye centres and the face mesh:
//! - **frames**: a rim or a bridge is a thin dark line across skin. Five luma profiles cross
//!   where a frame runs and the face has no line of its own: down the nose bridge between the
//!   eyes, down the cheek under each eye, and outwards across each temple at eye height. Each
//!   profile's line strength is the largest dip below both sides (at three widths, 0.015 to
//!   0.05 IED) as a share of the skin's luma; the measure is the mean of the three strongest
//!   (glasses cross most of these places, a wrinkle or a shadow one);
//! - **reflection**: the share of each lens area (an ellipse 0.8 × 0.56 IED around the eye)
//!   that is clipped white, beyond the share on the cheeks or the forehead (over-exposure is
//!   the exposure check's); the worse lens;
//! - **tint**: the skin seen through the lens below each eye against the cheek further down,
//!   `1 − lens / cheek`; the lesser of the two sides (tinted lenses darken both, a shadow
//!   darkens a side's cheek too).
//!
//! The check fails on a reflection or a tint above the profile's limits, and on frames when
//! the profile does not allow clear glasses (otherwise frames only warn).

use super::advice::{Advice, GlassesFigures};
use super::eyelids::disc_luma;
use super::eyes::Point;
use super::landmarks::Landmarks;
use super::raster::Plane;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Mesh points on the cheeks below the subject's right and left eye.
const CHEEKS: [usize; 2] = [50, 280];

/// Mesh point in the middle of the forehead (over-exposure shows there first).
const FOREHEAD: usize = 151;

/// 8-bit luma counted as clipped (a reflection).
const CLIPPED: f32 = 240.0;

/// Samples per IED along a line profile.
const PROFILE_RATE: f32 = 100.0;

/// The three measures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measures {
    /// Frame evidence (mean of the three strongest line strengths).
    pub frames: f32,
    /// Line strength at the bridge, under the right and left eye, beside the right and left
    /// eye.
    pub lines: [f32; 5],
    /// Clipped share of the worse lens beyond the cheeks'.
    pub reflection: f32,
    /// Darkening through the lenses, the lesser side.
    pub tint: f32,
}

/// The eye-line frame: origin at an eye centre, unit vectors along and across the line.
#[derive(Clone, Copy)]
struct Frame {
    sin: f32,
    cos: f32,
    ied: f32,
}

impl Frame {
    /// The image point at `(u, v)` IED from `o`.
    fn at(self, o: Point, u: f32, v: f32) -> Point {
        let (du, dv) = (u * self.ied, v * self.ied);
        Point {
            x: o.x + du * self.cos - dv * self.sin,
            y: o.y + du * self.sin + dv * self.cos,
        }
    }
}

/// Luma profile from `(u, v0)` to `(u, v1)` (across = false: along v) or from `(u0, v)` to
/// `(u1, v)` (across = true: along u), averaged over `half` IED on either side of the line.
fn profile(
    luma: &Plane,
    f: Frame,
    o: Point,
    along_u: bool,
    fixed: f32,
    range: (f32, f32),
    half: f32,
) -> Vec<f32> {
    let n = super::raster::round_u((range.1 - range.0).abs() * PROFILE_RATE).clamp(2, 200);
    (0..n)
        .map(|i| {
            let t = range.0 + (range.1 - range.0) * i as f32 / (n - 1) as f32;
            let mut sum = 0.0;
            for k in -2i8..=2 {
                let s = fixed + f32::from(k) / 2.0 * half;
                let p = if along_u {
                    f.at(o, t, s)
                } else {
                    f.at(o, s, t)
                };
                sum += luma.bilinear(p.x, p.y);
            }
            sum / 5.0
        })
        .collect()
}

/// Strongest thin dark line in a profile: the largest dip of a sample below the darker of the
/// two samples `w` away on either side (so that an edge, a step, is not a line), for `w` of
/// 0.015, 0.03 and 0.05 IED; a share of `skin`.
fn line_strength(p: &[f32], skin: f32) -> f32 {
    let mut best = 0.0f32;
    for w in [1.5f32, 3.0, 5.0] {
        let w = super::raster::round_u(w * PROFILE_RATE / 100.0).max(1);
        for i in w..p.len().saturating_sub(w) {
            let (Some(&a), Some(&c), Some(&b)) = (p.get(i - w), p.get(i), p.get(i + w)) else {
                continue;
            };
            best = best.max(a.min(b) - c);
        }
    }
    best / skin.max(16.0)
}

/// Share of the lens ellipse around `eye` (semi-axes 0.4 × 0.28 IED) that is clipped.
fn clipped_share(luma: &Plane, f: Frame, eye: Point) -> f32 {
    let (mut n, mut clipped) = (0u32, 0u32);
    for j in -14i8..=14 {
        for i in -20i8..=20 {
            let (u, v) = (f32::from(i) * 0.02, f32::from(j) * 0.02);
            if (u / 0.4).powi(2) + (v / 0.28).powi(2) > 1.0 {
                continue;
            }
            let p = f.at(eye, u, v);
            n += 1;
            if luma.bilinear(p.x, p.y) >= CLIPPED {
                clipped += 1;
            }
        }
    }
    clipped as f32 / n.max(1) as f32
}

/// Share of a disc around `c` that is clipped.
fn disc_clipped(luma: &Plane, c: Point, r: f32) -> f32 {
    let (mut n, mut clipped) = (0u32, 0u32);
    for j in -4i8..=4 {
        for i in -4i8..=4 {
            let (u, v) = (f32::from(i) / 4.0, f32::from(j) / 4.0);
            if u * u + v * v <= 1.0 {
                n += 1;
                if luma.bilinear(c.x + u * r, c.y + v * r) >= CLIPPED {
                    clipped += 1;
                }
            }
        }
    }
    clipped as f32 / n.max(1) as f32
}

/// Mean luma of the rectangle `u0..u1 × v0..v1` (IED) around `eye`.
fn box_luma(luma: &Plane, f: Frame, eye: Point, (u0, u1): (f32, f32), (v0, v1): (f32, f32)) -> f32 {
    let mut sum = 0.0;
    for j in 0..5u8 {
        for i in 0..9u8 {
            let u = u0 + (u1 - u0) * f32::from(i) / 8.0;
            let v = v0 + (v1 - v0) * f32::from(j) / 4.0;
            let p = f.at(eye, u, v);
            sum += luma.bilinear(p.x, p.y);
        }
    }
    sum / 45.0
}

/// Measures the glasses evidence of the face whose landmarks are `lm`.
pub fn measure(luma: &Plane, lm: &Landmarks, ied: f32) -> Measures {
    let ied = ied.max(1.0);
    let (sin, cos) = lm.eye_line_angle().sin_cos();
    let f = Frame { sin, cos, ied };
    let (re, le) = (lm.right_eye, lm.left_eye);
    let mid = re.midpoint(le);
    let skin = CHEEKS.map(|i| disc_luma(luma, lm.at(i), 0.12 * ied));
    let skin_mean = (skin[0] + skin[1]) / 2.0;
    // Lines: the bridge (down the midline), under each eye, beside each eye (outwards).
    let bridge = line_strength(
        &profile(luma, f, mid, false, 0.0, (-0.22, 0.1), 0.04),
        skin_mean,
    );
    let under = [(re, skin[0]), (le, skin[1])]
        .map(|(e, s)| line_strength(&profile(luma, f, e, false, 0.0, (0.14, 0.42), 0.05), s));
    let beside = [(re, -1.0f32, skin[0]), (le, 1.0, skin[1])].map(|(e, dir, s)| {
        line_strength(
            &profile(luma, f, e, true, -0.02, (0.27 * dir, 0.52 * dir), 0.04),
            s,
        )
    });
    let lines = [bridge, under[0], under[1], beside[0], beside[1]];
    let mut sorted = lines;
    sorted.sort_by(|a, b| b.total_cmp(a));
    let frames = sorted.iter().take(3).sum::<f32>() / 3.0;
    // Reflections beyond what the cheeks show clipped.
    let cheek_clipped = [CHEEKS[0], CHEEKS[1], FOREHEAD]
        .map(|i| disc_clipped(luma, lm.at(i), 0.12 * ied))
        .iter()
        .fold(0.0f32, |a, &b| a.max(b));
    let reflection =
        (clipped_share(luma, f, re).max(clipped_share(luma, f, le)) - cheek_clipped).max(0.0);
    // Tint: the skin under each eye, inside the lens, against the cheek on its side.
    let tint = [(re, skin[0]), (le, skin[1])]
        .map(|(e, s)| 1.0 - box_luma(luma, f, e, (-0.16, 0.16), (0.14, 0.22)) / s.max(16.0))
        .iter()
        .fold(f32::MAX, |a, &b| a.min(b))
        .max(0.0);
    Measures {
        frames,
        lines,
        reflection,
        tint,
    }
}

/// The glasses check: the worst of reflection, tint and (when clear glasses are not allowed)
/// frames.
pub fn check(m: &Measures, profile: &QualityProfile) -> Check {
    let g = &profile.checks.glasses;
    let reflection = g.reflection.verdict(f64::from(m.reflection));
    let tint = g.tint.verdict(f64::from(m.tint));
    let frames = match g.frames.verdict(f64::from(m.frames)) {
        Verdict::Fail if g.clear_allowed => Verdict::Warn,
        v => v,
    };
    let verdict = reflection.worst(tint).worst(frames);
    let figures = GlassesFigures {
        frames: m.frames,
        reflection: m.reflection,
        tint: m.tint,
    };
    let (value, message) = if verdict == Verdict::Pass {
        (m.frames, Advice::NoGlassesProblem { figures })
    } else if reflection == verdict {
        (m.reflection, Advice::GlassesReflection { figures })
    } else if tint == verdict {
        (m.tint, Advice::TintedLenses { figures })
    } else if g.clear_allowed {
        (m.frames, Advice::GlassesDiscouraged { figures })
    } else {
        (m.frames, Advice::GlassesNotAllowed { figures })
    };
    Check::new(CheckId::Glasses, f64::from(value), verdict, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_line_is_found_a_step_is_not() {
        let mut p = vec![180.0f32; 40];
        if let Some(v) = p.get_mut(20) {
            *v = 90.0;
        }
        assert!((line_strength(&p, 180.0) - 0.5).abs() < 1e-3);
        let step: Vec<f32> = (0..40).map(|i| if i < 20 { 180.0 } else { 60.0 }).collect();
        assert_eq!(line_strength(&step, 180.0), 0.0);
        assert_eq!(line_strength(&[], 180.0), 0.0);
    }
}
