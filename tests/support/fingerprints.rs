//! Deterministic fingerprint images for the WSQ tests and benchmarks: the project's synthetic
//! prints (`permitkit_synth`, SFinGe method) in the sizes a 500 ppi scanner delivers, one per
//! Henry class; and a simple ridge pattern (`ridge_image`) for size-sweep tests that need many
//! odd sizes quickly.

#![allow(
    dead_code,
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

use image::{GrayImage, Luma};

/// The image set the WSQ interoperability tests run on: (name, image).
pub fn fingerprint_like_images() -> Vec<(String, GrayImage)> {
    use permitkit_synth::{Condition, FingerClass, FingerprintSpec, generate};
    [
        (500, 500, 1, FingerClass::LeftLoop),
        (512, 480, 2, FingerClass::Whorl),
        (640, 640, 3, FingerClass::RightLoop),
        (357, 411, 4, FingerClass::Arch),
        (800, 750, 5, FingerClass::TentedArch),
    ]
    .into_iter()
    .map(|(width, height, seed, class)| {
        let spec = FingerprintSpec {
            seed,
            class: Some(class),
            width,
            height,
            condition: Condition::Normal,
            impression: 0,
        };
        (
            format!("synth-{seed}-{width}x{height}"),
            generate(&spec).expect("synthetic print"),
        )
    })
    .collect()
}

/// One fingerprint-like image; the same arguments always give the same pixels.
pub fn ridge_image(width: u32, height: u32, seed: u32) -> GrayImage {
    let mut noise = Lcg(0x9E37_79B9 ^ seed.wrapping_mul(0x85EB_CA6B));
    let s = f64::from(seed);
    let (w, h) = (f64::from(width), f64::from(height));
    let (cx, cy) = (w * (0.48 + 0.02 * (s % 3.0)), h * (0.42 + 0.03 * (s % 2.0)));
    let period = 8.5 + (s % 4.0) * 0.5;
    GrayImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        // Warped radial distance: loops and whorl-like bends rather than perfect circles.
        let r = (dx * dx + 1.4 * dy * dy).sqrt();
        let bend = 9.0 * (dx / 61.0 + s).sin() + 7.0 * (dy / 47.0 - s).cos() + 0.25 * dy.atan2(dx);
        let ridge = (std::f64::consts::TAU * (r + bend) / period).cos();
        // Elliptical finger area with a soft edge.
        let ex = dx / (0.42 * w);
        let ey = (f64::from(y) - 0.5 * h) / (0.47 * h);
        let inside = (1.0 - (ex * ex + ey * ey)).clamp(0.0, 0.15) / 0.15;
        let pressure = 0.75 + 0.25 * (dx / 90.0).cos() * (dy / 120.0).sin();
        let value = 225.0 - inside * pressure * (95.0 + 80.0 * ridge) + noise.gaussian() * 6.0;
        Luma([value.round().clamp(0.0, 255.0) as u8])
    })
}

/// Peak signal-to-noise ratio in dB of `b` against `a` (same size).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// Largest and mean absolute difference between two grey buffers.
pub fn abs_diff(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let max = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap_or(0);
    let mean = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x.abs_diff(y)))
        .sum::<f64>()
        / a.len() as f64;
    (max, mean)
}

/// A small linear congruential generator: reproducible noise without a dependency.
struct Lcg(u32);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        f64::from(self.0 >> 8) / f64::from(1u32 << 24)
    }

    /// Approximately standard normal (sum of four uniforms).
    fn gaussian(&mut self) -> f64 {
        ((0..4).map(|_| self.uniform()).sum::<f64>() - 2.0) * 1.732
    }
}
