//! Photometric checks on the face region: illumination uniformity between the face halves
//! (ISO/IEC 29794-5 component 43), luminance mean and spread (44, 45), under- and
//! over-exposure (46, 47) and dynamic range as the entropy of the face luminance histogram
//! (48, OFIQ's definition; ISO/IEC 19794-5:2005 §7.3 asks for at least 7 bits of intensity
//! variation in the face).

use super::advice::{Advice, ExposureFigures, Side};
use super::raster::mean_std;
use super::region::FaceRegion;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Illumination uniformity: relative difference of mean luma between the image-left and
/// image-right halves of the face mask.
pub fn illumination(region: &FaceRegion, profile: &QualityProfile) -> Check {
    let (mut l, mut nl, mut r, mut nr) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(x, y, u) in &region.mask {
        // Skip the central strip (nose ridge) that belongs to neither side.
        let v = f64::from(region.luma.at(x as isize, y as isize));
        if u < -0.1 {
            l += v;
            nl += 1.0;
        } else if u > 0.1 {
            r += v;
            nr += 1.0;
        }
    }
    let (l, r) = (l / nl.max(1.0), r / nr.max(1.0));
    let value = (l - r).abs() / l.max(r).max(1.0);
    let verdict = profile.checks.illumination.verdict(value);
    let message = match verdict {
        Verdict::Pass => Advice::EvenLight,
        _ => Advice::ShadowOnSide {
            side: if l < r { Side::Left } else { Side::Right },
            share: value,
        },
    };
    Check::new(CheckId::Illumination, value, verdict, message)
}

/// Exposure: mean and spread of the face's luminance, and the fractions crushed to black or
/// clipped to white, on the face without the band of the eyes (dark lenses or a frame there
/// are the eyes-visible check's). The reported value is the mean luminance (0–1).
pub fn exposure(region: &FaceRegion, profile: &QualityProfile) -> Check {
    let e = &profile.checks.exposure;
    let (mean, std) = mean_std(region.skin_luma());
    let (mean, std) = (f64::from(mean) / 255.0, f64::from(std) / 255.0);
    let n = region.skin.len().max(1) as f64;
    let dark = f32::from(e.dark_level);
    let bright = f32::from(e.bright_level);
    let under = region.skin_luma().filter(|v| *v <= dark).count() as f64 / n;
    let over = region.skin_luma().filter(|v| *v >= bright).count() as f64 / n;
    let parts = [
        (e.mean.verdict(mean), 0),
        (e.spread.verdict(std), 1),
        (e.under.verdict(under), 2),
        (e.over.verdict(over), 3),
    ];
    let verdict = parts
        .iter()
        .fold(Verdict::Pass, |acc, (v, _)| acc.worst(*v));
    let worst = parts
        .iter()
        .filter(|(v, _)| *v == verdict)
        .map(|(_, i)| *i)
        .next()
        .unwrap_or(0);
    let figures = ExposureFigures {
        mean,
        spread: std,
        black: under,
        clipped: over,
    };
    let message = if verdict == Verdict::Pass {
        Advice::ExposureGood { figures }
    } else {
        match worst {
            0 if mean < 0.5 => Advice::FaceTooDark { figures },
            0 => Advice::FaceTooBright { figures },
            1 => Advice::FlatLight { figures },
            2 => Advice::FaceCrushedBlack { figures },
            _ => Advice::FaceBurntOut { figures },
        }
    };
    Check::new(CheckId::Exposure, mean, verdict, message)
}

/// Dynamic range: Shannon entropy (bits) of the 256-bin histogram of face luminance.
pub fn dynamic_range(region: &FaceRegion, profile: &QualityProfile) -> Check {
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    for v in region.masked_luma() {
        let bin = usize::from(super::raster::to_u8(v));
        if let Some(h) = hist.get_mut(bin) {
            *h += 1;
            n += 1;
        }
    }
    let n = f64::from(n.max(1));
    let entropy: f64 = hist
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum();
    let verdict = profile.checks.dynamic_range.verdict(entropy);
    let message = match verdict {
        Verdict::Pass => Advice::TonalRange { bits: entropy },
        _ => Advice::LowTonalRange { bits: entropy },
    };
    Check::new(CheckId::DynamicRange, entropy, verdict, message)
}
