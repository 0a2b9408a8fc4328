//! Natural colour (ISO/IEC 29794-5 component 4B; ICAO: natural skin tone, no colour cast).
//!
//! The face region is converted from sRGB to CIELAB (D65 white, IEC 61966-2-1 transfer curve,
//! CIE 15 Lab formulas); the check limits the mean a* (green–red) and b* (blue–yellow) of the
//! face, as OFIQ does, and its mean chroma (a greyscale portrait has none).

use super::advice::{Advice, BlueYellow, ColourFigures, RedGreen};
use super::region::FaceRegion;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Entries per 8-bit level of the sRGB linearisation table.
const LIN_STEPS: usize = 4;

/// The IEC 61966-2-1 transfer curve, inverted (sRGB 0–1 to linear light).
fn linearise(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light of 8-bit sRGB levels `0, 1/LIN_STEPS, …, 255`, computed once.
fn lin_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=255 * LIN_STEPS + 1)
            .map(|i| linearise(i as f32 / (255.0 * LIN_STEPS as f32)))
            .collect()
    })
}

/// Linear light of an sRGB level 0–255 (clamped), interpolated in [`lin_table`] (within 1e-6
/// of the formula: the curve is smooth at a quarter-level step).
fn lin(c: f32) -> f32 {
    let t = lin_table();
    let x = c.clamp(0.0, 255.0) * LIN_STEPS as f32;
    let i = super::raster::floor_u(x);
    let f = x - i as f32;
    match (t.get(i), t.get(i + 1)) {
        (Some(a), Some(b)) => a + (b - a) * f,
        (Some(a), None) => *a,
        _ => 0.0,
    }
}

/// Cube root of a positive value: an exponent-thirding first guess (a few per cent off) refined
/// by two Halley steps, each cubing the relative error (below 1e-7 after both), several times
/// cheaper than the library call.
fn cbrt(x: f32) -> f32 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return x.cbrt();
    }
    let mut y = f32::from_bits(x.to_bits() / 3 + 709_921_077);
    for _ in 0..2 {
        let y3 = y * y * y;
        y *= (y3 + 2.0 * x) / (2.0 * y3 + x);
    }
    y
}

/// sRGB (0–255) to CIELAB under D65.
pub fn srgb_to_lab(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    fn f(t: f32) -> f32 {
        const D: f32 = 6.0 / 29.0;
        if t > D * D * D {
            cbrt(t)
        } else {
            t / (3.0 * D * D) + 4.0 / 29.0
        }
    }
    let (r, g, b) = (lin(r), lin(g), lin(b));
    // IEC 61966-2-1 sRGB to XYZ, normalised by the D65 white point.
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let (fx, fy, fz) = (f(x), f(y), f(z));
    (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))
}

/// Mean a*, b* and chroma of the face's skin (the face without the band of the eyes), on every
/// other pixel of every other row of the normalised face (a mean needs no more).
pub fn measure(region: &FaceRegion) -> (f64, f64, f64) {
    let (mut sa, mut sb, mut sc, mut n) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let [r, g, b] = &region.rgb;
    for &(x, y) in region.skin.iter().filter(|(x, y)| x % 2 == 0 && y % 2 == 0) {
        let (x, y) = (x as isize, y as isize);
        let (_, a, bb) = srgb_to_lab(r.at(x, y), g.at(x, y), b.at(x, y));
        sa += f64::from(a);
        sb += f64::from(bb);
        sc += f64::from((a * a + bb * bb).sqrt());
        n += 1.0;
    }
    let n = n.max(1.0);
    (sa / n, sb / n, sc / n)
}

/// The colour check; its value is the mean chroma.
pub fn check(region: &FaceRegion, profile: &QualityProfile) -> Check {
    let c = &profile.checks.colour;
    let (a, b, chroma) = measure(region);
    let (va, vb, vc) = (c.a.verdict(a), c.b.verdict(b), c.chroma.verdict(chroma));
    let verdict = va.worst(vb).worst(vc);
    let figures = ColourFigures { a, b, chroma };
    let message = if verdict == Verdict::Pass {
        Advice::NaturalColour { figures }
    } else if vc != Verdict::Pass {
        Advice::NoColour { figures }
    } else {
        Advice::ColourCast {
            red_green: (va != Verdict::Pass).then_some(if a < 10.0 {
                RedGreen::Green
            } else {
                RedGreen::RedMagenta
            }),
            blue_yellow: (vb != Verdict::Pass).then_some(if b < 15.0 {
                BlueYellow::Blue
            } else {
                BlueYellow::Yellow
            }),
            figures,
        }
    };
    Check::new(CheckId::Colour, chroma, verdict, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_linearisation_and_cube_root_match_the_formulas() {
        for i in 0..=2550 {
            let c = i as f32 / 10.0;
            let want = linearise(c / 255.0);
            assert!(
                (lin(c) - want).abs() < 2e-6,
                "lin({c}) {} vs {want}",
                lin(c)
            );
        }
        for i in 1..=2000 {
            let x = i as f32 * 6e-4;
            assert!((cbrt(x) - x.cbrt()).abs() <= 1e-6 * x.cbrt(), "cbrt({x})");
        }
        assert_eq!(cbrt(0.0), 0.0);
    }

    #[test]
    fn lab_of_reference_colours() {
        let (l, a, b) = srgb_to_lab(255.0, 255.0, 255.0);
        assert!((l - 100.0).abs() < 0.1 && a.abs() < 0.1 && b.abs() < 0.1);
        // sRGB red is L 53.24, a 80.09, b 67.20 (CIE 15 / Lindbloom reference).
        let (l, a, b) = srgb_to_lab(255.0, 0.0, 0.0);
        assert!((l - 53.24).abs() < 0.2 && (a - 80.09).abs() < 0.3 && (b - 67.2).abs() < 0.3);
    }
}
