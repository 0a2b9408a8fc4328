//! Decoding to RGB (through the bounded decoder of `permitkit_biometrics::image`), and the small
//! raster toolkit the checks share: a luminance plane (ITU-R BT.601 luma, the weighting
//! JPEG/JFIF uses), area-averaged downscaling and bilinear sampling. Every read is bounds-checked; out-of-range reads return the nearest edge pixel.

use image::RgbImage;
use permitkit_biometrics::image::ImageLimits;

use super::FaceError;

/// Decodes a PNG or JPEG held in memory into 8-bit RGB, enforcing `limits`.
pub fn decode(bytes: &[u8], limits: ImageLimits) -> Result<RgbImage, FaceError> {
    Ok(permitkit_biometrics::image::decode(bytes, &limits)?.into_rgb8())
}

/// BT.601 luma weights × 65 536 (0.299, 0.587, 0.114), rounded so that they sum to 65 536.
const LUMA_R: u32 = 19_595;
const LUMA_G: u32 = 38_470;
const LUMA_B: u32 = 7_471;

/// A single-channel `f32` image, row-major.
#[derive(Clone, Debug, Default)]
pub struct Plane {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Plane {
    /// A plane filled with `value`.
    pub fn filled(width: usize, height: usize, value: f32) -> Self {
        Self {
            width,
            height,
            data: vec![value; width.saturating_mul(height)],
        }
    }

    /// BT.601 luma of an RGB image, 0–255.
    pub fn luma(image: &RgbImage) -> Self {
        let mut plane = Self::default();
        plane.set_luma(image);
        plane
    }

    /// Replaces the contents with the BT.601 luma of `image`, reusing the allocation.
    pub fn set_luma(&mut self, image: &RgbImage) {
        self.width = image.width() as usize;
        self.height = image.height() as usize;
        self.data.clear();
        let (pixels, _) = image.as_raw().as_chunks::<3>();
        // BT.601 weights in 16-bit fixed point (they sum to 65 536): integer products that the
        // compiler vectorises, within 2e-3 of the floating-point formula.
        self.data.extend(pixels.iter().map(|&[r, g, b]| {
            let y = LUMA_R * u32::from(r) + LUMA_G * u32::from(g) + LUMA_B * u32::from(b);
            y as f32 * (1.0 / 65_536.0)
        }));
    }

    /// One channel of an RGB image, 0–255.
    pub fn channel(image: &RgbImage, c: usize) -> Self {
        let data = image
            .pixels()
            .map(|p| f32::from(p.0.get(c).copied().unwrap_or(0)))
            .collect();
        Self {
            width: image.width() as usize,
            height: image.height() as usize,
            data,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The samples, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The samples, row-major, for writing.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The pixel at (x, y), or the nearest edge pixel when outside.
    #[inline]
    pub fn at(&self, x: isize, y: isize) -> f32 {
        if self.width == 0 || self.height == 0 {
            return 0.0;
        }
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        self.data
            .get(y * self.width + x)
            .copied()
            .unwrap_or_default()
    }

    /// Sets the pixel at (x, y); ignored when outside.
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, v: f32) {
        if x < self.width
            && let Some(p) = self.data.get_mut(y * self.width + x)
        {
            *p = v;
        }
    }

    /// Bilinear sample at a sub-pixel position (pixel centres at integer coordinates).
    #[inline]
    pub fn bilinear(&self, x: f32, y: f32) -> f32 {
        let (xi, yi) = (floor_i(x), floor_i(y));
        let fx = x - xi as f32;
        let fy = y - yi as f32;
        let a = self.at(xi, yi);
        let b = self.at(xi + 1, yi);
        let c = self.at(xi, yi + 1);
        let d = self.at(xi + 1, yi + 1);
        (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy
    }

    /// Area-averaged resample of the rectangle `[x0, x0 + w·step) × [y0, y0 + h·step)` to
    /// `w × h` pixels (each output pixel averages the input pixels its footprint covers).
    pub fn resample(&self, x0: f32, y0: f32, step: f32, w: usize, h: usize) -> Plane {
        let mut out = Plane::filled(w, h, 0.0);
        if step <= 1.0 {
            for oy in 0..h {
                for ox in 0..w {
                    let x = x0 + (ox as f32 + 0.5) * step - 0.5;
                    let y = y0 + (oy as f32 + 0.5) * step - 0.5;
                    out.set(ox, oy, self.bilinear(x, y));
                }
            }
            return out;
        }
        if self.data.is_empty() {
            return out;
        }
        // Box filter over the footprint, sampled on an integer grid of n × n points. The
        // sample columns and rows depend only on the output column or row: they are computed
        // once (clamped to the plane, so that outside reads repeat the edge), and the inner
        // loop only adds, in the same order as a point-by-point evaluation would.
        let n = round_u(step.ceil()).max(1);
        let inv = 1.0 / (n * n) as f32;
        let samples = |origin: f32, count: usize, last: usize| -> Vec<usize> {
            (0..count)
                .flat_map(|o| {
                    let f = origin + o as f32 * step;
                    (0..n).map(move |k| {
                        let v = floor_i(f + (k as f32 + 0.5) * step / n as f32);
                        v.clamp(0, last as isize) as usize
                    })
                })
                .collect()
        };
        let cols = samples(x0, w, self.width - 1);
        let rows = samples(y0, h, self.height - 1);
        // Rows outermost for locality; each output pixel still accumulates its samples row by
        // row, left to right, starting from 0.
        for (dst, sys) in out
            .data
            .chunks_exact_mut(w.max(1))
            .zip(rows.chunks_exact(n))
        {
            for &sy in sys {
                let row = self.row(sy);
                match n {
                    1 => add_samples::<1>(dst, row, &cols),
                    2 => add_samples::<2>(dst, row, &cols),
                    3 => add_samples::<3>(dst, row, &cols),
                    4 => add_samples::<4>(dst, row, &cols),
                    5 => add_samples::<5>(dst, row, &cols),
                    6 => add_samples::<6>(dst, row, &cols),
                    _ => {
                        for (d, sxs) in dst.iter_mut().zip(cols.chunks_exact(n)) {
                            for &sx in sxs {
                                *d += row.get(sx).copied().unwrap_or_default();
                            }
                        }
                    }
                }
            }
            for d in dst.iter_mut() {
                *d *= inv;
            }
        }
        out
    }

    /// Row `y` (empty when outside).
    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        let start = y.saturating_mul(self.width);
        self.data
            .get(start..start.saturating_add(self.width))
            .unwrap_or_default()
    }

    /// Downscales the whole plane by an integer-free `scale` (< 1) with area averaging.
    pub fn downscale(&self, scale: f32) -> Plane {
        if scale >= 1.0 {
            return self.clone();
        }
        let w = round_u(self.width as f32 * scale).max(1);
        let h = round_u(self.height as f32 * scale).max(1);
        self.resample(0.0, 0.0, 1.0 / scale, w, h)
    }

    /// Separable box blur with the given radius (edges replicated).
    ///
    /// Each output is the sum of its `2·radius + 1` inputs in order (left to right, then top
    /// to bottom), times `1 / (2·radius + 1)`, as the point-by-point definition reads.
    pub fn box_blur(&self, radius: usize) -> Plane {
        if radius == 0 || self.data.is_empty() {
            return self.clone();
        }
        let (w, h) = (self.width, self.height);
        let norm = 1.0 / (2 * radius + 1) as f32;
        // Horizontal: a window of the row in the interior, clamped reads at the ends.
        let mut tmp = Plane::filled(w, h, 0.0);
        for (y, dst) in tmp.data.chunks_exact_mut(w).enumerate() {
            let row = self.row(y);
            for (x, d) in dst.iter_mut().enumerate() {
                let s: f32 = match x.checked_sub(radius).and_then(|a| row.get(a..=x + radius)) {
                    Some(window) => window.iter().sum(),
                    None => (0..=2 * radius)
                        .map(|k| {
                            let i = (x + k).saturating_sub(radius).min(w - 1);
                            row.get(i).copied().unwrap_or_default()
                        })
                        .sum(),
                };
                *d = s * norm;
            }
        }
        // Vertical: rows `y − radius ..= y + radius` (clamped) added column-wise, in order.
        let mut out = Plane::filled(w, h, 0.0);
        let mut acc = vec![0.0f32; w];
        for (y, dst) in out.data.chunks_exact_mut(w).enumerate() {
            let source = |k: usize| tmp.row((y + k).saturating_sub(radius).min(h - 1));
            for (a, v) in acc.iter_mut().zip(source(0)) {
                *a = *v;
            }
            for k in 1..=2 * radius {
                for (a, v) in acc.iter_mut().zip(source(k)) {
                    *a += v;
                }
            }
            for (d, a) in dst.iter_mut().zip(&acc) {
                *d = a * norm;
            }
        }
        out
    }

    /// The samples as 8-bit values (rounded and clamped).
    pub fn to_u8(&self) -> Vec<u8> {
        self.data.iter().map(|v| to_u8(*v)).collect()
    }
}

/// Adds to each `dst[o]` the samples `row[cols[o·N + k]]`, `k = 0..N`, in order (`N` known at
/// compile time so that the inner loop unrolls).
#[inline]
fn add_samples<const N: usize>(dst: &mut [f32], row: &[f32], cols: &[usize]) {
    let (chunks, _) = cols.as_chunks::<N>();
    for (d, sxs) in dst.iter_mut().zip(chunks) {
        let mut acc = *d;
        for &sx in sxs {
            acc += row.get(sx).copied().unwrap_or_default();
        }
        *d = acc;
    }
}

/// Float to pixel index, rounding towards negative infinity. Rust's float-to-int `as`
/// saturates (NaN becomes 0), so this cannot wrap; callers clamp the result to the raster.
/// Equal to `v.floor() as isize`, without the `floorf` library call that `f32::floor` is on
/// baseline x86-64 (it dominated the resampling loops).
#[expect(
    clippy::cast_possible_truncation,
    reason = "float-to-integer casts saturate and NaN becomes 0; callers clamp to the raster"
)]
#[inline]
pub fn floor_i(v: f32) -> isize {
    let t = v as isize; // rounds towards zero
    if (t as f32) > v {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// Float to a non-negative count or size, rounded to nearest and saturating at 0.
#[expect(
    clippy::cast_possible_truncation,
    reason = "rounded and non-negative; the cast saturates at usize::MAX"
)]
#[inline]
pub fn round_u(v: f32) -> usize {
    v.round().max(0.0) as usize
}

/// Float to an 8-bit sample, rounded (halves away from zero) and clamped to 0–255; NaN is 0.
/// Equal to `v.round().clamp(0.0, 255.0) as u8`, without the `roundf` library call.
#[expect(
    clippy::cast_possible_truncation,
    reason = "clamped to 0..=255 first; truncation of a non-negative value is the floor"
)]
#[inline]
pub fn to_u8(v: f32) -> u8 {
    let v = v.clamp(0.0, 255.0);
    let t = v as u8; // rounds towards zero; NaN becomes 0
    if v - f32::from(t) >= 0.5 {
        t.saturating_add(1)
    } else {
        t
    }
}

/// `f64` to `f32` (values here are small measurements; precision loss is intended).
#[expect(
    clippy::cast_possible_truncation,
    reason = "small measurements: rounding to f32 precision is intended"
)]
#[inline]
pub fn f32_of(v: f64) -> f32 {
    v as f32
}

/// A `usize` to `u32`, saturating (image sides are bounded by [`ImageLimits`]).
#[inline]
pub fn u32_of(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Bilinear sample of an RGB image at a sub-pixel position, edges repeated.
#[inline]
pub fn rgb_bilinear(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    RgbSampler::new(image).at(x, y)
}

/// Bilinear sampling of an RGB image with its sides looked up once: the form of
/// [`rgb_bilinear`] for loops that sample one image many times (same arithmetic, same values).
#[derive(Clone, Copy)]
pub struct RgbSampler<'a> {
    raw: &'a [u8],
    width: usize,
    height: usize,
    /// The last column and row as floats (the clamp's bounds).
    x_max: f32,
    y_max: f32,
}

impl<'a> RgbSampler<'a> {
    /// A sampler of `image`.
    pub fn new(image: &'a RgbImage) -> Self {
        let (width, height) = (image.width() as usize, image.height() as usize);
        Self {
            raw: image.as_raw(),
            width,
            height,
            x_max: width.saturating_sub(1) as f32,
            y_max: height.saturating_sub(1) as f32,
        }
    }

    /// The bilinear sample at `(x, y)` (pixel centres at integer coordinates), edges repeated.
    #[inline(always)]
    pub fn at(&self, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 {
            return [0.0; 3];
        }
        let x = x.clamp(0.0, self.x_max);
        let y = y.clamp(0.0, self.y_max);
        // Non-negative here, so truncation is the floor (NaN becomes 0).
        let (x0, y0) = (floor_u(x).min(w - 1), floor_u(y).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let px = |x: usize, y: usize| -> [f32; 3] {
            let i = (y * w + x) * 3;
            match self.raw.get(i..i + 3) {
                Some(&[r, g, b]) => [f32::from(r), f32::from(g), f32::from(b)],
                _ => [0.0; 3],
            }
        };
        let ([ar, ag, ab], [br, bg, bb]) = (px(x0, y0), px(x1, y0));
        let ([cr, cg, cb], [dr, dg, db]) = (px(x0, y1), px(x1, y1));
        let (gx, gy) = (1.0 - fx, 1.0 - fy);
        [
            (ar * gx + br * fx) * gy + (cr * gx + dr * fx) * fy,
            (ag * gx + bg * fx) * gy + (cg * gx + dg * fx) * fy,
            (ab * gx + bb * fx) * gy + (cb * gx + db * fx) * fy,
        ]
    }
}

/// Float to a non-negative index, rounding towards zero (so down, for the non-negative values
/// it is meant for); negative values and NaN become 0.
#[expect(
    clippy::cast_possible_truncation,
    reason = "truncation towards zero is the floor for the non-negative values meant; the cast saturates"
)]
#[inline]
pub fn floor_u(v: f32) -> usize {
    v as usize
}

/// Mean and population standard deviation.
pub fn mean_std(values: impl Iterator<Item = f32>) -> (f32, f32) {
    let (mut n, mut s, mut s2) = (0.0f64, 0.0f64, 0.0f64);
    for v in values {
        let v = f64::from(v);
        n += 1.0;
        s += v;
        s2 += v * v;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let m = s / n;
    let var = (s2 / n - m * m).max(0.0);
    (f32_of(m), f32_of(var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_reads_replicate_the_edge() {
        let mut p = Plane::filled(2, 2, 1.0);
        p.set(1, 1, 5.0);
        assert_eq!(p.at(10, 10), 5.0);
        assert_eq!(p.at(-3, 0), 1.0);
        assert_eq!(Plane::default().at(0, 0), 0.0);
    }

    #[test]
    fn area_downscale_preserves_the_mean() {
        let mut p = Plane::filled(8, 8, 0.0);
        for y in 0..8 {
            for x in 0..8 {
                p.set(x, y, ((x + y) % 2) as f32 * 100.0);
            }
        }
        let d = p.downscale(0.5);
        assert_eq!((d.width(), d.height()), (4, 4));
        assert!(d.data().iter().all(|v| (v - 50.0).abs() < 1e-3), "{d:?}");
    }

    #[test]
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the saturating `as` casts are the reference the fast versions must equal"
    )]
    fn fast_floor_and_rounding_equal_the_std_ones() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            254.5,
            255.49,
            255.5,
            -1e-7,
            0.49999997,
            1e10,
            -1e10,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        values.extend((-4000..4000).map(|i| i as f32 * 0.0625 + 0.001 * (i % 7) as f32));
        for v in values {
            assert_eq!(floor_i(v), v.floor() as isize, "floor of {v}");
            assert_eq!(to_u8(v), v.round().clamp(0.0, 255.0) as u8, "to_u8 of {v}");
        }
    }

    /// The box-filter resample computed point by point, as the definition reads.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "floors of sample positions, cast as the fast path casts them"
    )]
    fn resample_reference(p: &Plane, x0: f32, y0: f32, step: f32, w: usize, h: usize) -> Plane {
        let mut out = Plane::filled(w, h, 0.0);
        let n = round_u(step.ceil()).max(1);
        let inv = 1.0 / (n * n) as f32;
        for oy in 0..h {
            let fy = y0 + oy as f32 * step;
            for ox in 0..w {
                let fx = x0 + ox as f32 * step;
                let mut sum = 0.0;
                for j in 0..n {
                    let sy = (fy + (j as f32 + 0.5) * step / n as f32).floor() as isize;
                    for i in 0..n {
                        let sx = (fx + (i as f32 + 0.5) * step / n as f32).floor() as isize;
                        sum += p.at(sx, sy);
                    }
                }
                out.set(ox, oy, sum * inv);
            }
        }
        out
    }

    #[test]
    fn resample_is_bit_identical_to_the_pointwise_box_filter() {
        let mut p = Plane::filled(97, 61, 0.0);
        for y in 0..61 {
            for x in 0..97 {
                p.set(
                    x,
                    y,
                    ((x * 37 + y * 101) % 251) as f32 * 0.97 + 0.013 * x as f32,
                );
            }
        }
        for (x0, y0, step, w, h) in [
            (0.0, 0.0, 4.05, 24, 15),
            (-7.3, 3.9, 2.17, 40, 31),
            (50.2, -12.0, 1.47, 60, 50),
            (90.0, 55.0, 3.0, 9, 9),
            (0.0, 0.0, 1.0 / 0.247, 24, 15),
        ] {
            let fast = p.resample(x0, y0, step, w, h);
            let slow = resample_reference(&p, x0, y0, step, w, h);
            assert_eq!(fast.data(), slow.data(), "step {step} at ({x0}, {y0})");
        }
        assert_eq!(
            Plane::default().resample(0.0, 0.0, 2.0, 3, 3).data(),
            &[0.0; 9]
        );
    }

    /// The box blur as first written, point by point through the clamping accessor.
    fn box_blur_reference(p: &Plane, radius: usize) -> Plane {
        let r = radius as isize;
        let norm = 1.0 / (2 * radius + 1) as f32;
        let mut tmp = Plane::filled(p.width, p.height, 0.0);
        for y in 0..p.height as isize {
            for x in 0..p.width as isize {
                let s: f32 = (-r..=r).map(|d| p.at(x + d, y)).sum();
                tmp.set(x as usize, y as usize, s * norm);
            }
        }
        let mut out = Plane::filled(p.width, p.height, 0.0);
        for y in 0..p.height as isize {
            for x in 0..p.width as isize {
                let s: f32 = (-r..=r).map(|d| tmp.at(x, y + d)).sum();
                out.set(x as usize, y as usize, s * norm);
            }
        }
        out
    }

    #[test]
    fn box_blur_is_bit_identical_to_the_pointwise_one() {
        for (w, h) in [(1, 1), (3, 17), (40, 31), (87, 87), (9, 4)] {
            let mut p = Plane::filled(w, h, 0.0);
            for y in 0..h {
                for x in 0..w {
                    p.set(
                        x,
                        y,
                        ((x * 37 + y * 101) % 251) as f32 * 0.97 + 0.013 * x as f32,
                    );
                }
            }
            for radius in [1, 2, 5, 12] {
                let fast = p.box_blur(radius);
                let slow = box_blur_reference(&p, radius);
                let bits = |q: &Plane| q.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&slow), "{w}×{h}, radius {radius}");
            }
        }
    }

    /// `rgb_bilinear` as first written, on `GenericImage` accessors and `f32::floor`.
    fn rgb_bilinear_reference(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (image.width(), image.height());
        let x = x.clamp(0.0, (w - 1) as f32);
        let y = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (round_u(x.floor()), round_u(y.floor()));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let x0 = u32_of(x0).min(w - 1);
        let y0 = u32_of(y0).min(h - 1);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let px = |x: u32, y: u32| image.get_pixel(x, y).0;
        let (a, b, c, d) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
        let mut out = [0.0f32; 3];
        for (i, o) in out.iter_mut().enumerate() {
            let g = |p: [u8; 3]| f32::from(p[i]);
            *o =
                (g(a) * (1.0 - fx) + g(b) * fx) * (1.0 - fy) + (g(c) * (1.0 - fx) + g(d) * fx) * fy;
        }
        out
    }

    #[test]
    #[expect(
        clippy::cast_possible_truncation,
        reason = "synthetic test colours wrap into u8 on purpose"
    )]
    fn rgb_bilinear_is_bit_identical_to_the_accessor_version() {
        let image = RgbImage::from_fn(13, 7, |x, y| {
            image::Rgb([
                (x * 19 + y * 7) as u8,
                (x * y * 5) as u8,
                (200 - x * 3 - y) as u8,
            ])
        });
        let mut points = vec![(f32::NAN, 2.0), (3.0, f32::NAN), (-5.0, 100.0), (12.0, 6.0)];
        for j in -8..64 {
            for i in -8..112 {
                points.push((i as f32 * 0.127, j as f32 * 0.119));
            }
        }
        for (x, y) in points {
            let got = rgb_bilinear(&image, x, y);
            let want = rgb_bilinear_reference(&image, x, y);
            assert_eq!(
                got.map(f32::to_bits),
                want.map(f32::to_bits),
                "at ({x}, {y})"
            );
        }
    }

    #[test]
    fn truncated_and_garbage_inputs_are_errors() {
        assert!(matches!(
            decode(b"not an image", ImageLimits::default()),
            Err(FaceError::Decode(_))
        ));
        let mut png = Vec::new();
        RgbImage::new(4, 4)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(decode(&png, ImageLimits::default()).is_ok());
        assert!(decode(png.get(..png.len() / 2).unwrap(), ImageLimits::default()).is_err());
        let tight = ImageLimits {
            max_side: 3,
            max_alloc: 1 << 20,
        };
        assert!(matches!(decode(&png, tight), Err(FaceError::TooLarge(_))));
    }
}
