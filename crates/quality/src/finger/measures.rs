//! The native quality measures, after the NFIQ 2 feature definitions (ISO/IEC 29794-4:2024
//! Annex A; NIST IR 8382, "NFIQ 2 — NIST Fingerprint Image Quality", 2021):
//!
//! - **OCL**, orientation certainty: 1 − λmin/λmax of the block's gradient covariance.
//! - **LCS**, local clarity: how cleanly the block's pixels separate into ridge and valley on
//!   either side of the signature's linear trend, 1 − mean misclassified fraction.
//! - **FDA**, frequency-domain analysis: energy of the dominant ridge frequency (and half its
//!   neighbours) over all non-DC energy of the signature's spectrum.
//! - **RVU**, ridge-valley uniformity: standard deviation of the ratios of consecutive ridge and
//!   valley widths in the binarised signature (lower is better).
//! - **OF**, orientation flow: mean angular jump between a block and its eight neighbours,
//!   normalised to 0–1 (lower is better).
//!
//! Two measures NFIQ 2 does not have are added because the capture station must say *why* an
//! image is poor: **sharpness**, the harmonic content of the signature relative to its
//! fundamental (a blurred ridge profile is a pure sinusoid), and the **ridge/valley width
//! ratio**, which drifts above 1 for wet and below 1 for dry skin.

use super::blocks::{ACROSS, ALONG, Block, Grid};

/// Per-block spectral measures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spectrum {
    pub(crate) fda: f64,
    /// Ridge period estimate (pixels).
    pub(crate) period: f64,
    /// Peak-to-peak ridge contrast of the fundamental (grey levels).
    pub(crate) contrast: f64,
    /// Harmonic-to-fundamental amplitude ratio.
    pub(crate) sharpness: f64,
}

/// Lowest and highest DFT bins accepted as a ridge frequency: periods 16 down to 4 pixels.
const K_MIN: usize = 2;
const K_MAX: usize = 8;

/// Spectral analysis of a signature by direct DFT (32 points: no FFT needed).
pub(crate) fn spectrum(sig: &[f64; ACROSS], noise_var: f64) -> Spectrum {
    let n = ACROSS as f64;
    let mean = sig.iter().sum::<f64>() / n;
    let mut amp = [0.0f64; ACROSS / 2 + 1];
    for (k, a) in amp.iter_mut().enumerate().skip(1) {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, v) in sig.iter().enumerate() {
            let phase = core::f64::consts::TAU * (k * i) as f64 / n;
            re += (v - mean) * libm::cos(phase);
            im -= (v - mean) * libm::sin(phase);
        }
        *a = (re * re + im * im).sqrt();
    }
    let a = |k: usize| amp.get(k).copied().unwrap_or(0.0);
    let kmax = (K_MIN..=K_MAX)
        .max_by(|&p, &q| a(p).total_cmp(&a(q)))
        .unwrap_or(K_MIN);
    let total: f64 = amp.iter().skip(1).sum();
    let peak = a(kmax) + 0.3 * (a(kmax - 1) + a(kmax + 1));
    let fda = if total > 0.0 { peak / total } else { 0.0 };
    // Parabolic refinement of the peak position for the period estimate.
    let (l, c, r) = (a(kmax - 1), a(kmax), a(kmax + 1));
    let denom = l - 2.0 * c + r;
    let offset = if denom.abs() > 1e-9 {
        (0.5 * (l - r) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let period = n / (kmax as f64 + offset);
    let sharpness = harmonic_ratio(sig, mean, kmax, noise_var);
    Spectrum {
        fda,
        period,
        contrast: 4.0 * c / n,
        sharpness,
    }
}

/// Harmonic content of the ridge profile: amplitude in the bins from `kmax + max(3, kmax/2)` up
/// to Nyquist over the amplitude around the fundamental, on the Hann-windowed signature (the
/// window keeps the leakage of a non-integer number of ridge periods out of the harmonic band).
fn harmonic_ratio(sig: &[f64; ACROSS], mean: f64, kmax: usize, noise_var: f64) -> f64 {
    let n = ACROSS as f64;
    let mut power = [0.0f64; ACROSS / 2 + 1];
    for (k, p) in power.iter_mut().enumerate().skip(1) {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, v) in sig.iter().enumerate() {
            let hann = 0.5 - 0.5 * libm::cos(core::f64::consts::TAU * i as f64 / (n - 1.0));
            let phase = core::f64::consts::TAU * (k * i) as f64 / n;
            re += hann * (v - mean) * libm::cos(phase);
            im -= hann * (v - mean) * libm::sin(phase);
        }
        *p = re * re + im * im;
    }
    let first = kmax + 3.max(kmax / 2);
    // Expected noise power per bin: signature variance σ²/ALONG times Σ hann² = 3N/8.
    let noise_bin = noise_var / ALONG as f64 * 0.375 * n;
    let bins = (power.len().saturating_sub(first)) as f64;
    let harmonics = (power.iter().skip(first).sum::<f64>() - bins * noise_bin).max(0.0);
    let fundamental: f64 = power.iter().skip(kmax - 1).take(3).sum();
    if fundamental > 0.0 {
        (harmonics / fundamental).sqrt()
    } else {
        0.0
    }
}

/// Ridge/valley structure of a block's signature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Structure {
    /// Local clarity score, 0–1.
    pub(crate) lcs: f64,
    /// Ridge-valley uniformity (standard deviation of width ratios), when at least two
    /// complete ridge-valley pairs are present.
    pub(crate) rvu: Option<f64>,
    /// Total ridge width over total valley width (complete runs only).
    pub(crate) ratio: Option<f64>,
}

/// Clarity and uniformity of `block` given its signature.
pub(crate) fn structure(block: &Block, sig: &[f64; ACROSS]) -> Structure {
    // Threshold: least-squares line through the signature (follows brightness gradients).
    let n = ACROSS as f64;
    let xm = (n - 1.0) / 2.0;
    let ym = sig.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in sig.iter().enumerate() {
        let dx = i as f64 - xm;
        sxy += dx * (v - ym);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let threshold = |i: usize| ym + slope * (i as f64 - xm);
    // Ridges are dark: below the threshold.
    let ridge_col: Vec<bool> = sig
        .iter()
        .enumerate()
        .map(|(i, v)| *v < threshold(i))
        .collect();

    // Local clarity: pixels on the wrong side of the threshold for their column.
    let (mut ridge_px, mut ridge_wrong, mut valley_px, mut valley_wrong) = (0u32, 0u32, 0u32, 0u32);
    for row in block.window.chunks_exact(ACROSS) {
        for (i, (v, is_ridge)) in row.iter().zip(&ridge_col).enumerate() {
            let dark = *v < threshold(i);
            if *is_ridge {
                ridge_px += 1;
                ridge_wrong += u32::from(!dark);
            } else {
                valley_px += 1;
                valley_wrong += u32::from(dark);
            }
        }
    }
    let frac = |wrong: u32, all: u32| {
        if all == 0 {
            1.0
        } else {
            f64::from(wrong) / f64::from(all)
        }
    };
    let lcs = 1.0 - 0.5 * (frac(ridge_wrong, ridge_px) + frac(valley_wrong, valley_px));

    // Run lengths of ridge and valley columns; the first and last runs are cut by the window.
    let mut runs: Vec<(bool, usize)> = Vec::new();
    for &r in &ridge_col {
        match runs.last_mut() {
            Some((kind, len)) if *kind == r => *len += 1,
            _ => runs.push((r, 1)),
        }
    }
    let complete = runs.get(1..runs.len().saturating_sub(1)).unwrap_or(&[]);
    let ridge_total: usize = complete.iter().filter(|r| r.0).map(|r| r.1).sum();
    let valley_total: usize = complete.iter().filter(|r| !r.0).map(|r| r.1).sum();
    let ratio =
        (ridge_total > 0 && valley_total > 0).then(|| ridge_total as f64 / valley_total as f64);
    let ratios: Vec<f64> = complete
        .windows(2)
        .filter_map(|p| match p {
            [(true, r), (false, v)] | [(false, v), (true, r)] => Some(*r as f64 / *v as f64),
            _ => None,
        })
        .collect();
    let rvu = (ratios.len() >= 2).then(|| {
        let m = ratios.iter().sum::<f64>() / ratios.len() as f64;
        (ratios.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / ratios.len() as f64).sqrt()
    });
    Structure { lcs, rvu, ratio }
}

/// Orientation flow of the block at `(col, row)`: mean normalised angular difference to its
/// foreground neighbours; `None` when it has none.
pub(crate) fn orientation_flow(grid: &Grid, block: &Block) -> Option<f64> {
    let (c, r) = (block.col as isize, block.row as isize);
    let mut sum = 0.0;
    let mut n = 0u32;
    for dr in -1..=1 {
        for dc in -1..=1 {
            if dr == 0 && dc == 0 {
                continue;
            }
            if let Some(nb) = grid.at(c + dc, r + dr) {
                let mut d = (block.direction - nb.direction).abs() % core::f64::consts::PI;
                if d > core::f64::consts::FRAC_PI_2 {
                    d = core::f64::consts::PI - d;
                }
                sum += d / core::f64::consts::FRAC_PI_2;
                n += 1;
            }
        }
    }
    (n > 0).then(|| sum / f64::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_wave(period: f64, lo: f64, hi: f64) -> [f64; ACROSS] {
        let mut s = [0.0; ACROSS];
        for (i, v) in s.iter_mut().enumerate() {
            let phase = (i as f64 / period).fract();
            *v = if phase < 0.5 { lo } else { hi };
        }
        s
    }

    #[test]
    fn spectrum_finds_the_ridge_period_and_separates_sharp_from_smooth() {
        let sharp = spectrum(&square_wave(8.0, 40.0, 220.0), 0.0);
        assert!((sharp.period - 8.0).abs() < 0.3, "{sharp:?}");
        assert!(sharp.fda > 0.5, "{sharp:?}");
        let mut smooth = [0.0; ACROSS];
        for (i, v) in smooth.iter_mut().enumerate() {
            *v = 130.0 + 90.0 * libm::cos(core::f64::consts::TAU * i as f64 / 8.0);
        }
        let smooth = spectrum(&smooth, 0.0);
        assert!((smooth.contrast - 180.0).abs() < 1.0, "{smooth:?}");
        assert!(
            smooth.sharpness < 0.01 && sharp.sharpness > 0.2,
            "{smooth:?} {sharp:?}"
        );
    }
}
