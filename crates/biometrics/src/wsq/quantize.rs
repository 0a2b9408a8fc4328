//! Scalar quantization of the subbands: bin widths from subband variances and a target bit
//! rate, quantization and dequantization.
//!
//! FBI IAFIS-IC-0110 (v3) Part 3 (encoder number one, as summarised in
//! docs/spec/biometric-formats.md §6 and implemented by NIST NBIS `util.c`):
//! - Variances σ²ₖ of subbands 0–59 over a central window (horizontally from 1/8 of the width,
//!   3/4 of it; vertically from 9/32 of the height, 7/16 of it). When the four lowest subbands
//!   sum to less than 20 000 on that window, every subband uses its whole area instead.
//! - Subbands with σ² < 1.01 are not coded (Q = 0). Otherwise Q'ₖ = 1 for k < 4 and
//!   Q'ₖ = 10 / (Aₖ ln σ²ₖ), with Aₖ = 1 except A₅₂ = A₅₆ = 1.32, A₅₃ = A₅₈ = A₅₅ = A₅₉ = 1.08,
//!   A₅₄ = A₅₇ = 1.42.
//! - q is solved for the target rate r: with mₖ the subband's share of the image (1/1024,
//!   1/256, 1/16), S = Σ mₖ and P = Π (σₖ/Q'ₖ)^mₖ over the set K,
//!   q = 2^(r/S − 1) / 2.5 / P^(1/S); subbands whose Q'ₖ/q ≥ 5σₖ leave K and q is recomputed
//!   until none does. Then Qₖ = Q'ₖ/q for every subband of the initial set and Zₖ = 1.2 Qₖ.
//! - Index p = ⌊(a − Z/2)/Q⌋ + 1 for a > Z/2, ⌈(a + Z/2)/Q⌉ − 1 for a < −Z/2, else 0.
//!   Reconstruction a = (p − C)·Q + Z/2 for p > 0, (p + C)·Q − Z/2 for p < 0, 0 for p = 0.

use super::tree::{CODED_SUBBANDS, Rect};

/// Subbands whose variance is below this are not coded.
pub(crate) const VARIANCE_THRESHOLD: f64 = 1.01;
/// Largest quantization index magnitude written (the reference decoder stores 16-bit signed).
pub(crate) const MAX_INDEX: i32 = i16::MAX as i32;

/// The subband weights Aₖ.
fn weight(k: usize) -> f64 {
    match k {
        52 | 56 => 1.32,
        53 | 55 | 58 | 59 => 1.08,
        54 | 57 => 1.42,
        _ => 1.0,
    }
}

/// The subband's share of the image area, mₖ.
fn area_share(k: usize) -> f64 {
    match k {
        0..4 => 1.0 / 1024.0,
        4..51 => 1.0 / 256.0,
        _ => 1.0 / 16.0,
    }
}

fn central_window(rect: &Rect) -> Rect {
    Rect {
        x: rect.x + rect.width / 8,
        y: rect.y + 9 * rect.height / 32,
        width: 3 * rect.width / 4,
        height: 7 * rect.height / 16,
    }
}

/// Unbiased sample variance of a rectangle of the plane; `None` below two samples.
fn variance_of(plane: &[f32], stride: usize, rect: &Rect) -> Option<f64> {
    let n = rect.area();
    if n < 2 {
        return None;
    }
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    for row in plane
        .chunks_exact(stride.max(1))
        .skip(rect.y)
        .take(rect.height)
    {
        for &v in row.get(rect.x..rect.x + rect.width).unwrap_or_default() {
            let v = f64::from(v);
            sum += v;
            sum_sq += v * v;
        }
    }
    let n = n as f64;
    Some((sum_sq - sum * sum / n) / (n - 1.0))
}

/// Variance over the central window, or over the whole subband when the window holds fewer
/// than two samples (only for very small images), or 0 for a subband of fewer than two.
fn windowed_variance(plane: &[f32], stride: usize, rect: &Rect) -> f64 {
    variance_of(plane, stride, &central_window(rect))
        .or_else(|| variance_of(plane, stride, rect))
        .unwrap_or(0.0)
}

/// σ²ₖ of the coded subbands.
pub(crate) fn subband_variances(
    plane: &[f32],
    stride: usize,
    subbands: &[Rect],
) -> [f64; CODED_SUBBANDS] {
    let mut variances = [0.0; CODED_SUBBANDS];
    for (v, rect) in variances.iter_mut().zip(subbands).take(4) {
        *v = windowed_variance(plane, stride, rect);
    }
    let low_sum: f64 = variances.iter().take(4).sum();
    let whole_area = low_sum < 20_000.0;
    for (k, (v, rect)) in variances.iter_mut().zip(subbands).enumerate() {
        if whole_area {
            *v = variance_of(plane, stride, rect).unwrap_or(0.0);
        } else if k >= 4 {
            *v = windowed_variance(plane, stride, rect);
        }
    }
    variances
}

/// Bin widths Qₖ for a target bit rate (0 for subbands that are not coded).
pub(crate) fn bin_widths(variances: &[f64; CODED_SUBBANDS], bitrate: f64) -> [f64; CODED_SUBBANDS] {
    let mut relative = [0.0f64; CODED_SUBBANDS];
    let mut sigma = [0.0f64; CODED_SUBBANDS];
    let mut initial = Vec::with_capacity(CODED_SUBBANDS);
    for (k, &var) in variances.iter().enumerate() {
        if var.is_finite() && var >= VARIANCE_THRESHOLD {
            if let (Some(q), Some(s)) = (relative.get_mut(k), sigma.get_mut(k)) {
                *q = if k < 4 {
                    1.0
                } else {
                    10.0 / (weight(k) * var.ln())
                };
                *s = var.sqrt();
            }
            initial.push(k);
        }
    }
    let at = |table: &[f64; CODED_SUBBANDS], k: usize| table.get(k).copied().unwrap_or(0.0);
    let mut set = initial.clone();
    let mut q = 1.0f64;
    while !set.is_empty() {
        let s: f64 = set.iter().map(|&k| area_share(k)).sum();
        let p: f64 = set
            .iter()
            .map(|&k| (at(&sigma, k) / at(&relative, k)).powf(area_share(k)))
            .product();
        q = 2f64.powf(bitrate / s - 1.0) / 2.5 / p.powf(1.0 / s);
        let kept: Vec<usize> = set
            .iter()
            .copied()
            .filter(|&k| at(&relative, k) / q < 5.0 * at(&sigma, k))
            .collect();
        if kept.len() == set.len() || kept.is_empty() {
            break;
        }
        set = kept;
    }
    let mut widths = [0.0; CODED_SUBBANDS];
    for &k in &initial {
        if let Some(w) = widths.get_mut(k) {
            *w = at(&relative, k) / q;
        }
    }
    widths
}

/// Quantization index of coefficient `a` for bin width `q` and zero-bin width `z`.
#[inline]
pub(crate) fn quantize(a: f32, q: f32, z: f32) -> i32 {
    let half_zero = z / 2.0;
    let limit = MAX_INDEX as f32;
    // For a non-negative quotient truncation is the floor, for a non-positive one the ceiling
    // (and truncation avoids a libm call per coefficient on baseline x86-64).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "clamped to the 16-bit index range; NaN becomes 0"
    )]
    let index = if a > half_zero {
        (((a - half_zero) / q).clamp(0.0, limit - 1.0) as i32) + 1
    } else if a < -half_zero {
        (((a + half_zero) / q).clamp(1.0 - limit, 0.0) as i32) - 1
    } else {
        0
    };
    index
}

/// Reconstruction value of index `p`.
pub(crate) fn dequantize(p: i32, q: f32, z: f32, c: f32) -> f32 {
    match p {
        0 => 0.0,
        p if p > 0 => (p as f32 - c) * q + z / 2.0,
        p => (p as f32 + c) * q - z / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizer_follows_the_dead_zone_rule() {
        let (q, z) = (2.0, 2.4);
        assert_eq!(quantize(0.0, q, z), 0);
        assert_eq!(quantize(1.2, q, z), 0);
        assert_eq!(quantize(-1.2, q, z), 0);
        assert_eq!(quantize(1.21, q, z), 1);
        assert_eq!(quantize(3.19, q, z), 1);
        assert_eq!(quantize(3.2, q, z), 2);
        assert_eq!(quantize(-3.2, q, z), -2);
        assert_eq!(quantize(1e9, q, z), MAX_INDEX);
        assert!((dequantize(1, q, z, 0.44) - (0.56 * 2.0 + 1.2)).abs() < 1e-6);
        assert!((dequantize(-2, q, z, 0.44) - (-1.56 * 2.0 - 1.2)).abs() < 1e-6);
        assert_eq!(dequantize(0, q, z, 0.44), 0.0);
    }

    #[test]
    fn quiet_subbands_are_not_coded_and_higher_rates_give_finer_bins() {
        let mut variances = [0.0; CODED_SUBBANDS];
        for (k, v) in variances.iter_mut().enumerate() {
            *v = if k % 7 == 3 {
                0.5
            } else {
                4000.0 / (1.0 + k as f64)
            };
        }
        let coarse = bin_widths(&variances, 0.75);
        let fine = bin_widths(&variances, 2.25);
        for k in 0..CODED_SUBBANDS {
            if variances[k] < VARIANCE_THRESHOLD {
                assert_eq!(coarse[k], 0.0, "subband {k}");
            } else {
                assert!(
                    coarse[k] > 0.0 && fine[k] > 0.0 && fine[k] < coarse[k],
                    "subband {k}"
                );
            }
        }
        // The four lowest subbands share Q'ₖ = 1, so they share Qₖ.
        assert_eq!(coarse[0], coarse[1]);
    }

    #[test]
    fn flat_planes_code_nothing() {
        let widths = bin_widths(&[0.0; CODED_SUBBANDS], 0.75);
        assert!(widths.iter().all(|&q| q == 0.0));
    }
}
