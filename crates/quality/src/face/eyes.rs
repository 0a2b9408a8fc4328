//! Eye-centre localisation by means of gradients (F. Timm and E. Barth, "Accurate eye centre
//! localisation by means of gradients", VISAPP 2011), implemented from the paper's method.
//!
//! The centre `c` of a circular dark object maximises
//! `c* = argmax_c  w_c · (1/N) Σ_i max(0, d_iᵀ g_i)²`, where `g_i` is the unit image gradient at
//! pixel `x_i` (only gradients with significant magnitude take part), `d_i = (x_i − c)/‖x_i − c‖`
//! the unit displacement, and `w_c` a prior favouring dark centres (the inverted, smoothed
//! intensity at `c`): on the iris boundary every gradient points away from the pupil, so
//! displacements and gradients align only at the true centre. Negative dot products are ignored
//! as the paper recommends (the iris is darker than the sclera).
//!
//! The eye windows are placed from the detector's face box; the search runs first on a window
//! resampled to a fixed width, then is refined at (up to) full resolution around the coarse
//! estimate.

use super::detect::FaceBox;
use super::raster::{Plane, floor_i, mean_std, round_u};

/// Coarse search: the eye window is resampled to this width.
const COARSE_WIDTH: usize = 40;

/// Refinement works at a scale where the face box is at most this wide.
const REFINE_MAX_FACE: f32 = 480.0;

/// Eye windows relative to the face box (fractions of its width and height), measured on the
/// SeetaFace boxes of the portraits in `testdata/images`.
const WINDOW_X: (f32, f32) = (0.12, 0.48);
const WINDOW_Y: (f32, f32) = (0.24, 0.52);

/// A point in image pixels (x to the right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Point {
    /// Horizontal position.
    pub x: f32,
    /// Vertical position.
    pub y: f32,
}

impl Point {
    /// Distance to another point.
    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// The midpoint of two points.
    pub fn midpoint(self, other: Point) -> Point {
        Point {
            x: (self.x + other.x) / 2.0,
            y: (self.y + other.y) / 2.0,
        }
    }
}

/// Both eye centres. `left` is the subject's left eye, which appears on the image's right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EyePair {
    /// The subject's left eye (larger x).
    pub left: Point,
    /// The subject's right eye (smaller x).
    pub right: Point,
}

/// Locates both eye centres of the face in `face` on the luminance plane `luma`.
pub fn locate(luma: &Plane, face: &FaceBox) -> EyePair {
    let ww = (WINDOW_X.1 - WINDOW_X.0) * face.w;
    let y0 = face.y + WINDOW_Y.0 * face.h;
    let h = (WINDOW_Y.1 - WINDOW_Y.0) * face.h;
    // The image-left window holds the subject's right eye; the other is its mirror image.
    let right_win = (face.x + WINDOW_X.0 * face.w, y0, ww, h);
    let left_win = (face.x + (1.0 - WINDOW_X.1) * face.w, y0, ww, h);
    let right = locate_in(luma, right_win, face.w);
    let left = locate_in(luma, left_win, face.w);
    EyePair { left, right }
}

/// Refines an eye centre known to lie near `centre` (e.g. the middle of the eye contour that
/// the face mesh gives) with the same gradient method, in a window `eye_width` wide and
/// 0.7 × `eye_width` high; `ied` sets the iris scale.
pub fn refine(luma: &Plane, centre: Point, eye_width: f32, ied: f32) -> Point {
    let w = eye_width.max(4.0);
    let h = 0.7 * w;
    locate_in(
        luma,
        (centre.x - w / 2.0, centre.y - h / 2.0, w, h),
        2.2 * ied,
    )
}

/// Finds one eye centre inside the window `(x, y, w, h)`.
fn locate_in(luma: &Plane, (x, y, w, h): (f32, f32, f32, f32), face_w: f32) -> Point {
    // Coarse: the whole window at a fixed resolution.
    let step = (w / COARSE_WIDTH as f32).max(1e-3);
    let cw = COARSE_WIDTH;
    let ch = round_u(h / step).clamp(4, 4 * COARSE_WIDTH);
    let window = luma.resample(x, y, step, cw, ch);
    let (cx, cy) = best_centre(&window, 0..cw, 0..ch);
    let coarse = Point {
        x: x + (cx + 0.5) * step - 0.5,
        y: y + (cy + 0.5) * step - 0.5,
    };
    // Fine: a window of about two iris diameters around the coarse estimate.
    let scale = (REFINE_MAX_FACE / face_w).min(1.0);
    let fstep = 1.0 / scale;
    let iris = 0.05 * face_w; // iris radius ≈ 0.1 IED ≈ 0.045 face-box width
    let radius_px = round_u(2.0 * iris / fstep).max(6);
    let side = 2 * radius_px + 1;
    let fx0 = coarse.x - radius_px as f32 * fstep;
    let fy0 = coarse.y - radius_px as f32 * fstep;
    let fine = luma.resample(fx0, fy0, fstep, side, side);
    let search = round_u(iris / fstep).max(2);
    let lo = radius_px.saturating_sub(search);
    let hi = (radius_px + search + 1).min(side);
    let (rx, ry) = best_centre(&fine, lo..hi, lo..hi);
    Point {
        x: fx0 + (rx + 0.5) * fstep - 0.5,
        y: fy0 + (ry + 0.5) * fstep - 0.5,
    }
}

/// Lanes of the objective's inner loop: eight independent partial sums, which the compiler
/// maps to SIMD registers.
const LANES: usize = 8;

/// The strong unit gradients of a window in structure-of-arrays form, padded with zero
/// gradients (which add nothing) to a multiple of [`LANES`].
struct Gradients {
    x: Vec<f32>,
    y: Vec<f32>,
    gx: Vec<f32>,
    gy: Vec<f32>,
    /// Number of real (unpadded) gradients.
    count: usize,
}

impl Gradients {
    fn with_capacity(n: usize) -> Self {
        let n = n + LANES;
        Self {
            x: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            gx: Vec::with_capacity(n),
            gy: Vec::with_capacity(n),
            count: 0,
        }
    }

    fn push(&mut self, x: f32, y: f32, gx: f32, gy: f32) {
        self.x.push(x);
        self.y.push(y);
        self.gx.push(gx);
        self.gy.push(gy);
        self.count += 1;
    }

    fn pad(&mut self) {
        while !self.x.len().is_multiple_of(LANES) {
            self.push(0.0, 0.0, 0.0, 0.0);
            self.count -= 1;
        }
    }

    /// `Σ_i max(0, d_iᵀ g_i)²` for the candidate centre `(cx, cy)`. With `e = (x_i − c)ᵀ g_i`,
    /// `(d_iᵀ g_i)² = e² / ‖x_i − c‖²`: no square root, and the sign test is a `max`.
    fn objective(&self, cx: f32, cy: f32) -> f32 {
        let mut acc = [0.0f32; LANES];
        for (((x, y), gx), gy) in self
            .x
            .chunks_exact(LANES)
            .zip(self.y.chunks_exact(LANES))
            .zip(self.gx.chunks_exact(LANES))
            .zip(self.gy.chunks_exact(LANES))
        {
            for ((((a, &x), &y), &gx), &gy) in acc.iter_mut().zip(x).zip(y).zip(gx).zip(gy) {
                let dx = x - cx;
                let dy = y - cy;
                let n2 = dx * dx + dy * dy;
                let e = (dx * gx + dy * gy).max(0.0);
                *a += e * e / n2.max(f32::MIN_POSITIVE);
            }
        }
        acc.iter().sum()
    }
}

/// The Timm–Barth objective maximised over candidate centres in `xs × ys` of `p`, with
/// sub-pixel refinement (objective-weighted mean of the 3×3 neighbourhood of the maximum).
fn best_centre(p: &Plane, xs: std::ops::Range<usize>, ys: std::ops::Range<usize>) -> (f32, f32) {
    let (w, h) = (p.width(), p.height());
    // Gradients (central differences) and the magnitude threshold mean + 0.3·σ.
    let mut grads: Vec<(f32, f32, f32, f32)> = Vec::with_capacity(w * h);
    let mut mags = Vec::with_capacity(w * h);
    // Neighbours outside the window repeat its edge.
    for y in 0..h {
        let (up, row) = (p.row(y.saturating_sub(1)), p.row(y));
        let down = p.row((y + 1).min(h - 1));
        let px = |r: &[f32], x: usize| r.get(x).copied().unwrap_or_default();
        for x in 0..w {
            let gx = (px(row, (x + 1).min(w - 1)) - px(row, x.saturating_sub(1))) / 2.0;
            let gy = (px(down, x) - px(up, x)) / 2.0;
            mags.push(gx.hypot(gy));
            grads.push((x as f32, y as f32, gx, gy));
        }
    }
    let (m, s) = mean_std(mags.iter().copied());
    let threshold = m + 0.3 * s;
    let mut strong = Gradients::with_capacity(grads.len());
    for ((x, y, gx, gy), mag) in grads.into_iter().zip(mags) {
        if mag > threshold && mag > 1e-3 {
            strong.push(x, y, gx / mag, gy / mag);
        }
    }
    strong.pad();
    // Dark-centre prior: inverted, smoothed intensity.
    let blur_r = (w.min(h) / 16).max(1);
    let prior = p.box_blur(blur_r);
    let mut scores = Plane::filled(w, h, 0.0);
    let mut best = (f32::MIN, xs.start, ys.start);
    for cy in ys.clone() {
        for cx in xs.clone() {
            let sum = strong.objective(cx as f32, cy as f32);
            let weight = 255.0 - prior.at(cx as isize, cy as isize);
            let score = weight * sum / strong.count.max(1) as f32;
            scores.set(cx, cy, score);
            if score > best.0 {
                best = (score, cx, cy);
            }
        }
    }
    let (_, bx, by) = best;
    let (mut sx, mut sy, mut sw) = (0.0f32, 0.0f32, 0.0f32);
    for dy in -1..=1isize {
        for dx in -1..=1isize {
            let (x, y) = (bx as isize + dx, by as isize + dy);
            let inside = xs.contains(&(x.max(0) as usize))
                && ys.contains(&(y.max(0) as usize))
                && x >= 0
                && y >= 0;
            if !inside {
                continue;
            }
            let v = scores.at(x, y).max(0.0);
            sx += v * x as f32;
            sy += v * y as f32;
            sw += v;
        }
    }
    if sw > 0.0 {
        (sx / sw, sy / sw)
    } else {
        (bx as f32, by as f32)
    }
}

/// Rounds a sub-pixel point to integer pixel coordinates, clamped at 0.
pub fn pixel(p: Point) -> (usize, usize) {
    (
        floor_i(p.x + 0.5).max(0) as usize,
        floor_i(p.y + 0.5).max(0) as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic eye: bright sclera, dark disc of radius `r` centred at (cx, cy).
    fn synthetic_eye(w: usize, h: usize, cx: f32, cy: f32, r: f32) -> Plane {
        let mut p = Plane::filled(w, h, 200.0);
        for y in 0..h {
            for x in 0..w {
                let d = (x as f32 - cx).hypot(y as f32 - cy);
                // Anti-aliased edge.
                let v = 40.0 + 160.0 * (d - r + 0.5).clamp(0.0, 1.0);
                p.set(x, y, v);
            }
        }
        p
    }

    #[test]
    fn finds_the_centre_of_a_dark_disc() {
        let p = synthetic_eye(60, 40, 23.3, 18.6, 7.0);
        let (x, y) = best_centre(&p, 0..60, 0..40);
        assert!((x - 23.3).abs() < 0.8 && (y - 18.6).abs() < 0.8, "{x},{y}");
    }

    #[test]
    fn refinement_is_accurate_at_full_resolution() {
        let p = synthetic_eye(400, 300, 131.0, 142.0, 14.0);
        let c = locate_in(&p, (60.0, 80.0, 160.0, 120.0), 300.0);
        assert!(
            (c.x - 131.0).abs() < 1.0 && (c.y - 142.0).abs() < 1.0,
            "{c:?}"
        );
    }
}
