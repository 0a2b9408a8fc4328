//! Natural colour (ISO/IEC 29794-5 component 4B; ICAO: natural skin tone, no colour cast).
//!
//! The face region is converted from sRGB to CIELAB (D65 white, IEC 61966-2-1 transfer curve,
//! CIE 15 Lab formulas); the check limits the mean a* (green–red) and b* (blue–yellow) of the
//! face, as OFIQ does, and its mean chroma (a greyscale portrait has none).

use super::region::FaceRegion;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// sRGB (0–255) to CIELAB under D65.
pub fn srgb_to_lab(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    fn lin(c: f32) -> f32 {
        let c = (c / 255.0).clamp(0.0, 1.0);
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    fn f(t: f32) -> f32 {
        const D: f32 = 6.0 / 29.0;
        if t > D * D * D {
            t.cbrt()
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

/// Mean a*, b* and chroma of the face.
pub fn measure(region: &FaceRegion) -> (f64, f64, f64) {
    let (mut sa, mut sb, mut sc, mut n) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let [r, g, b] = &region.rgb;
    for &(x, y, _) in &region.mask {
        let (x, y) = (x as isize, y as isize);
        let (_, a, bb) = srgb_to_lab(r.at(x, y), g.at(x, y), b.at(x, y));
        sa += f64::from(a);
        sb += f64::from(bb);
        sc += f64::from(a.hypot(bb));
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
    let summary = format!("a* {a:.1}, b* {b:.1}, chroma {chroma:.1}");
    let message = if verdict == Verdict::Pass {
        format!("natural colour ({summary})")
    } else if vc != Verdict::Pass {
        format!("no colour in the face, a colour photograph is required ({summary})")
    } else {
        let mut cast = Vec::new();
        if va != Verdict::Pass {
            cast.push(if a < 10.0 { "green" } else { "red/magenta" });
        }
        if vb != Verdict::Pass {
            cast.push(if b < 15.0 { "blue" } else { "yellow" });
        }
        format!(
            "{} colour cast: set the camera's white balance for the studio light ({summary})",
            cast.join(" and ")
        )
    };
    Check::new(CheckId::Colour, chroma, verdict, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_of_reference_colours() {
        let (l, a, b) = srgb_to_lab(255.0, 255.0, 255.0);
        assert!((l - 100.0).abs() < 0.1 && a.abs() < 0.1 && b.abs() < 0.1);
        // sRGB red is L 53.24, a 80.09, b 67.20 (CIE 15 / Lindbloom reference).
        let (l, a, b) = srgb_to_lab(255.0, 0.0, 0.0);
        assert!((l - 53.24).abs() < 0.2 && (a - 80.09).abs() < 0.3 && (b - 67.2).abs() < 0.3);
    }
}
