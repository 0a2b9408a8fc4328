//! Rendering one impression: contact and pressure, skin condition (dry breaks, wet smudges),
//! optics (blur) and sensor noise, quantised to 8-bit grey (dark ridges on a light platen, as
//! optical FTIR scanners deliver them; ISO/IEC 19794-4 §8.3.2 pixel depth 8).

use image::GrayImage;

use super::{
    condition::Look,
    distortion::Distortion,
    ridges::RidgeField,
    rng::{Rng, ValueNoise, smoothstep},
    shape::Shape,
};

/// Everything the renderer needs about the finger and this impression.
pub(crate) struct Scene<'a> {
    pub(crate) ridges: &'a RidgeField,
    pub(crate) shape: &'a Shape,
    pub(crate) distortion: &'a Distortion,
    pub(crate) look: Look,
}

/// Renders `scene` into a `width` × `height` image, drawing all randomness from `rng`.
pub(crate) fn render(scene: &Scene<'_>, rng: &mut Rng, width: u32, height: u32) -> GrayImage {
    let (w, h) = (width as usize, height as usize);
    let look = scene.look;
    let shape = scene.shape;
    // Irregular silhouette edge and uneven pressure (low-frequency), skin texture (fine),
    // dry-skin breaks (ridge scale) and wet smudges (a few ridges wide).
    let edge = ValueNoise::new(rng, w, h, 40.0);
    let pressure = ValueNoise::new(rng, w, h, 70.0);
    let texture = ValueNoise::new(rng, w, h, 3.0);
    let breaks = ValueNoise::new(rng, w, h, 7.0);
    let smudge = ValueNoise::new(rng, w, h, 28.0);
    let shading = ValueNoise::new(rng, w, h, 120.0);
    // Partial contact keeps the cap of the finger beyond a random line through the silhouette.
    let cut_angle = rng.range(0.0, core::f64::consts::TAU);
    let cut = (libm::cos(cut_angle), libm::sin(cut_angle));
    let cut_offset = 0.40 * shape.half_width.min(shape.top);

    let mut grey = vec![0.0f64; w * h];
    for (i, px) in grey.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f64, (i / w) as f64);
        let background = look.background + 4.0 * shading.sample(x, y);
        if look.empty {
            *px = background;
            continue;
        }
        let (sx, sy) = scene.distortion.source(x, y);
        let inside = shape.distance_inside(sx, sy) + 10.0 * edge.sample(x, y);
        let mut contact = smoothstep(inside / look.contact_ramp);
        contact *= (0.85 + 0.25 * pressure.sample(x, y)).clamp(0.0, 1.0);
        if look.partial {
            let along = (sx - shape.cx) * cut.0 + (sy - shape.cy) * cut.1;
            contact *= smoothstep((along - cut_offset) / 12.0);
        }
        if contact <= 0.0 {
            *px = background;
            continue;
        }
        let r = scene.ridges.sample(sx, sy);
        let mut bias = look.bias;
        if look.smudge > 0.0 {
            // Where the skin is wettest the valleys fill in entirely.
            bias -= look.smudge * 1.6 * smoothstep((smudge.sample(x, y) - 0.1) / 0.5);
        }
        // Lower pressure near the edge thins the ridges a little.
        bias += 0.35 * (1.0 - contact);
        let mut dark = 0.5 + 0.5 * libm::tanh(4.0 * (r - bias));
        if look.breaks > 0.0 {
            let b = breaks.sample(x, y);
            dark *= smoothstep((b + 1.0 - 2.0 * look.breaks) / 0.25);
        }
        dark *= 1.0 - 0.12 * (texture.sample(x, y) + 1.0) * 0.5;
        let v = background - (background - look.ridge) * dark * contact;
        *px = v;
    }
    if look.blur > 0.0 {
        gaussian_blur(&mut grey, w, h, look.blur);
    }
    let mean_background = look.background;
    let mut out = GrayImage::new(width, height);
    for (px, v) in out.pixels_mut().zip(&grey) {
        let v = mean_background + (v - mean_background) * look.contrast + look.noise * rng.gauss();
        px.0 = [v.round().clamp(0.0, 255.0) as u8];
    }
    out
}

/// Separable Gaussian blur with clamped edges.
pub(crate) fn gaussian_blur(data: &mut [f64], w: usize, h: usize, sigma: f64) {
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f64> = (-radius..=radius)
        .map(|k| libm::exp(-0.5 * (k * k) as f64 / (sigma * sigma)))
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let mut tmp = vec![0.0; data.len()];
    let (wi, hi) = (w as isize, h as isize);
    for y in 0..hi {
        for x in 0..wi {
            let mut acc = 0.0;
            for (k, kw) in (-radius..=radius).zip(&kernel) {
                let xx = (x + k).clamp(0, wi - 1);
                acc += kw * data.get((y * wi + xx) as usize).copied().unwrap_or(0.0);
            }
            if let Some(t) = tmp.get_mut((y * wi + x) as usize) {
                *t = acc;
            }
        }
    }
    for y in 0..hi {
        for x in 0..wi {
            let mut acc = 0.0;
            for (k, kw) in (-radius..=radius).zip(&kernel) {
                let yy = (y + k).clamp(0, hi - 1);
                acc += kw * tmp.get((yy * wi + x) as usize).copied().unwrap_or(0.0);
            }
            if let Some(d) = data.get_mut((y * wi + x) as usize) {
                *d = acc;
            }
        }
    }
}
