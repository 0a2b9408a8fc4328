//! The normalised face region the photometric checks share: the face resampled on a grid
//! aligned with the eye line, scaled so that the inter-eye distance is at most
//! [`NORMALISED_IED`] pixels, with an elliptical mask covering eyebrows to chin and cheek to
//! cheek (OFIQ likewise measures photometric components inside a face mask aligned on the eyes).

use image::RgbImage;

use super::geometry::Geometry;
use super::raster::{Plane, RgbSampler, round_u};

/// The patch is sampled at this inter-eye distance (or the input's, if smaller: never upsampled).
pub const NORMALISED_IED: f32 = 96.0;

/// Region in IED units relative to the eye midpoint (u to the image's right, v down).
const U_RANGE: f32 = 1.0;
const V_TOP: f32 = -0.55;
const V_BOTTOM: f32 = 1.55;
/// Half-height of the band around the eye line left out of [`FaceRegion::skin`], IED.
const EYE_BAND: f32 = 0.3;

/// The face patch: colour planes, luma, and the face mask.
#[derive(Debug, Clone)]
pub struct FaceRegion {
    /// Red, green and blue planes, 0–255.
    pub rgb: [Plane; 3],
    /// BT.601 luma, 0–255.
    pub luma: Plane,
    /// Pixels of the elliptical face mask, `(x, y, u)` with `u` the horizontal position in IED
    /// (negative on the image's left).
    pub mask: Vec<(usize, usize, f32)>,
    /// The mask's pixels outside the band of the eyes (0.3 IED above and below the eye line):
    /// skin, brows and lips, without what glasses or dark lenses cover. Exposure and colour
    /// are judged on these.
    pub skin: Vec<(usize, usize)>,
    /// Patch pixels per IED.
    pub ied: f32,
}

impl FaceRegion {
    /// Samples the face of `g` from `image`.
    pub fn sample(image: &RgbImage, g: &Geometry) -> Self {
        let ied_n = g.ied.clamp(8.0, NORMALISED_IED);
        let w = round_u(2.0 * U_RANGE * ied_n).max(2);
        let h = round_u((V_BOTTOM - V_TOP) * ied_n).max(2);
        let step = g.ied / ied_n;
        let (s, c) = g.roll_degrees.to_radians().sin_cos();
        // Supersample when shrinking so that the patch is not aliased.
        let n = round_u(step.ceil()).clamp(1, 4);
        let mut rgb = [
            Plane::filled(w, h, 0.0),
            Plane::filled(w, h, 0.0),
            Plane::filled(w, h, 0.0),
        ];
        let inv = 1.0 / (n * n) as f32;
        // Each sub-sample column's offset from the eye midpoint times (cos, sin), and each
        // sub-sample row's times (sin, cos): computed once, not per sample.
        let offsets = |count: usize, origin: f32, trig: (f32, f32)| -> Vec<(f32, f32)> {
            (0..count)
                .flat_map(|p| {
                    (0..n).map(move |i| {
                        let d = ((p as f32 + (i as f32 + 0.5) / n as f32) / ied_n + origin) * g.ied;
                        (d * trig.0, d * trig.1)
                    })
                })
                .collect()
        };
        let cols = offsets(w, -U_RANGE, (c, s));
        let rows = offsets(h, V_TOP, (s, c));
        let sampler = RgbSampler::new(image);
        let [red, green, blue] = &mut rgb;
        let out_rows = red
            .data_mut()
            .chunks_exact_mut(w)
            .zip(green.data_mut().chunks_exact_mut(w))
            .zip(blue.data_mut().chunks_exact_mut(w));
        for (((r_row, g_row), b_row), sub_rows) in out_rows.zip(rows.chunks_exact(n)) {
            let pixels = r_row.iter_mut().zip(g_row.iter_mut()).zip(b_row.iter_mut());
            for (((r, gr), b), sub_cols) in pixels.zip(cols.chunks_exact(n)) {
                let mut acc = [0.0f32; 3];
                for &(dv_s, dv_c) in sub_rows {
                    for &(du_c, du_s) in sub_cols {
                        let x = g.mid.x + du_c - dv_s;
                        let y = g.mid.y + du_s + dv_c;
                        for (a, v) in acc.iter_mut().zip(sampler.at(x, y)) {
                            *a += v;
                        }
                    }
                }
                let [ar, ag, ab] = acc;
                (*r, *gr, *b) = (ar * inv, ag * inv, ab * inv);
            }
        }
        let mut luma = Plane::filled(w, h, 0.0);
        let mut mask = Vec::with_capacity(w * h);
        let mut skin = Vec::with_capacity(w * h);
        let vc = 0.5 * (V_TOP + V_BOTTOM);
        let vr = 0.5 * (V_BOTTOM - V_TOP);
        for py in 0..h {
            for px in 0..w {
                let (xi, yi) = (px as isize, py as isize);
                let [r, gg, b] = [rgb[0].at(xi, yi), rgb[1].at(xi, yi), rgb[2].at(xi, yi)];
                luma.set(px, py, 0.299 * r + 0.587 * gg + 0.114 * b);
                let u = (px as f32 + 0.5) / ied_n - U_RANGE;
                let v = (py as f32 + 0.5) / ied_n + V_TOP;
                let e = (u / 0.95).powi(2) + ((v - vc) / vr).powi(2);
                if e <= 1.0 {
                    mask.push((px, py, u));
                    if v.abs() > EYE_BAND {
                        skin.push((px, py));
                    }
                }
            }
        }
        Self {
            rgb,
            luma,
            mask,
            skin,
            ied: ied_n,
        }
    }

    /// Luma values of the skin pixels.
    pub fn skin_luma(&self) -> impl Iterator<Item = f32> + '_ {
        self.skin
            .iter()
            .map(|&(x, y)| self.luma.at(x as isize, y as isize))
    }

    /// Luma values under the mask.
    pub fn masked_luma(&self) -> impl Iterator<Item = f32> + '_ {
        self.mask
            .iter()
            .map(|&(x, y, _)| self.luma.at(x as isize, y as isize))
    }
}
