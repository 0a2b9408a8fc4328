//! Facial landmarks: the 468-point face mesh and the two iris centres of the subject, found by
//! the models of [`super::models`] on crops the detector's face box places.
//!
//! The mesh model expects a square crop around the face, rotated so that the eyes are level,
//! about 1.5 times the face's extent (MediaPipe's face-landmark graph uses this region). A first
//! crop comes from the SeetaFace box and the gradient eye finder's roll; a second from the first
//! mesh itself (its bounding box in the eye-line frame, ×1.5), which removes the detector box's
//! offset; it is off by default ([`REFINE_CROP`]): on the labelled portraits the one-pass
//! landmarks are as good, and a mesh run is the largest cost of the assessment. The eye centres
//! are the centres of the mesh's eye contours refined by the gradient method of
//! [`super::eyes`] in a window one eye wide.
//!
//! Landmark numbering is the MediaPipe face mesh topology (canonical face model, 468 vertices).

use image::RgbImage;

use super::FaceError;
use super::detect::FaceBox;
use super::eyes::{EyePair, Point};
use super::models::{MESH_SIDE, ModelSet};
use super::raster::{Plane, RgbSampler, round_u};

/// Mesh indices of named points (MediaPipe face mesh topology). "Right" and "left" are the
/// subject's: the subject's right eye is on the image's left.
pub mod index {
    /// Subject's right eye, outer corner.
    pub const RIGHT_EYE_OUTER: usize = 33;
    /// Subject's right eye, inner corner.
    pub const RIGHT_EYE_INNER: usize = 133;
    /// Subject's right eye, upper lid (three points, outer to inner).
    pub const RIGHT_EYE_UPPER: [usize; 3] = [160, 159, 158];
    /// Subject's right eye, lower lid (three points, outer to inner, facing the upper ones).
    pub const RIGHT_EYE_LOWER: [usize; 3] = [144, 145, 153];
    /// Subject's left eye, outer corner.
    pub const LEFT_EYE_OUTER: usize = 263;
    /// Subject's left eye, inner corner.
    pub const LEFT_EYE_INNER: usize = 362;
    /// Subject's left eye, upper lid (three points, outer to inner).
    pub const LEFT_EYE_UPPER: [usize; 3] = [387, 386, 385];
    /// Subject's left eye, lower lid (three points, outer to inner).
    pub const LEFT_EYE_LOWER: [usize; 3] = [373, 374, 380];
    /// Subject's right eye contour (16 points, closed).
    pub const RIGHT_EYE_CONTOUR: [usize; 16] = [
        33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
    ];
    /// Subject's left eye contour (16 points, closed).
    pub const LEFT_EYE_CONTOUR: [usize; 16] = [
        263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
    ];
    /// Subject's right eyebrow, upper edge.
    pub const RIGHT_BROW: [usize; 5] = [70, 63, 105, 66, 107];
    /// Subject's left eyebrow, upper edge.
    pub const LEFT_BROW: [usize; 5] = [300, 293, 334, 296, 336];
    /// Mouth corners: subject's right, subject's left.
    pub const MOUTH_CORNERS: [usize; 2] = [61, 291];
    /// Inner lip midline: upper, lower.
    pub const INNER_LIPS: [usize; 2] = [13, 14];
    /// Outer lip midline: upper, lower.
    pub const OUTER_LIPS: [usize; 2] = [0, 17];
    /// Inner lip contour, upper (corner to corner).
    pub const INNER_UPPER_LIP: [usize; 11] = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
    /// Inner lip contour, lower (corner to corner).
    pub const INNER_LOWER_LIP: [usize; 11] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
    /// Outer lip contour (closed).
    pub const OUTER_LIPS_CONTOUR: [usize; 20] = [
        61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
    ];
    /// Nose tip.
    pub const NOSE_TIP: usize = 1;
    /// Chin (menton).
    pub const CHIN: usize = 152;
    /// Top of the forehead on the midline.
    pub const FOREHEAD: usize = 10;
    /// Face sides at cheekbone height: subject's right, subject's left.
    pub const CHEEKBONES: [usize; 2] = [234, 454];
    /// Face oval, clockwise from the forehead.
    pub const FACE_OVAL: [usize; 36] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];
}

/// Scale of the mesh crop relative to the face's extent (MediaPipe's face-landmark region).
const MESH_CROP_SCALE: f32 = 1.5;
/// Whether a second mesh pass runs on the crop the first pass's landmarks place.
const REFINE_CROP: bool = false;

/// A square, rotated region of the image that a model sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre, image pixels.
    pub centre: Point,
    /// Side, image pixels.
    pub side: f32,
    /// Rotation of the region's x axis, radians (the eye line's angle).
    pub angle: f32,
    /// Mirror the region left–right.
    pub mirror: bool,
}

impl Roi {
    /// The image position of continuous crop coordinate `(s, t)` of an `n × n` crop.
    pub fn to_image(&self, s: f32, t: f32, n: usize) -> Point {
        let n = n as f32;
        let mut du = (s / n - 0.5) * self.side;
        if self.mirror {
            du = -du;
        }
        let dv = (t / n - 0.5) * self.side;
        let (sin, cos) = self.angle.sin_cos();
        Point {
            x: self.centre.x + du * cos - dv * sin,
            y: self.centre.y + du * sin + dv * cos,
        }
    }

    /// Samples the region into planar RGB (`3 × n × n`, values in [0, 1]), averaging up to
    /// 2 × 2 bilinear samples per output pixel when the region is larger than the crop.
    pub fn sample(&self, image: &RgbImage, n: usize) -> Vec<f32> {
        let mut out = Vec::new();
        self.sample_into(image, n, &mut out);
        out
    }

    /// [`Roi::sample`] into `out` (resized to `3 × n × n`), reusing its allocation.
    ///
    /// Every sample is the point [`Roi::to_image`] gives, computed with the same operations:
    /// the rotation's sine and cosine once per crop, and the products of each sub-sample
    /// column's and row's offset with them once per column and row rather than per sample.
    pub fn sample_into(&self, image: &RgbImage, n: usize, out: &mut Vec<f32>) {
        let step = self.side / n as f32;
        let k = round_u(step.ceil()).clamp(1, 2);
        let inv = 1.0 / (255.0 * (k * k) as f32);
        let plane = n * n;
        out.clear();
        out.resize(3 * plane, 0.0);
        let (sin, cos) = self.angle.sin_cos();
        let nf = n as f32;
        // The offset of each sub-sample column (`u·k + i`) or row (`v·k + j`) from the centre,
        // along the crop's axes, as `to_image` computes it.
        let offsets = |mirror: bool| -> Vec<f32> {
            (0..n)
                .flat_map(|c| {
                    (0..k).map(move |i| {
                        let s = c as f32 + (i as f32 + 0.5) / k as f32;
                        let d = (s / nf - 0.5) * self.side;
                        if mirror { -d } else { d }
                    })
                })
                .collect()
        };
        // Column offset × (cos, sin) and row offset × (sin, cos).
        let cols: Vec<(f32, f32)> = offsets(self.mirror)
            .into_iter()
            .map(|du| (du * cos, du * sin))
            .collect();
        let rows: Vec<(f32, f32)> = offsets(false)
            .into_iter()
            .map(|dv| (dv * sin, dv * cos))
            .collect();
        let sampler = RgbSampler::new(image);
        let (cx, cy) = (self.centre.x, self.centre.y);
        let (red, rest) = out.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        let out_rows = red
            .chunks_exact_mut(n)
            .zip(green.chunks_exact_mut(n))
            .zip(blue.chunks_exact_mut(n));
        for (((r_row, g_row), b_row), sub_rows) in out_rows.zip(rows.chunks_exact(k)) {
            let pixels = r_row.iter_mut().zip(g_row.iter_mut()).zip(b_row.iter_mut());
            for (((r, g), b), sub_cols) in pixels.zip(cols.chunks_exact(k)) {
                let mut acc = [0.0f32; 3];
                for &(dv_sin, dv_cos) in sub_rows {
                    for &(du_cos, du_sin) in sub_cols {
                        let x = cx + du_cos - dv_sin;
                        let y = cy + du_sin + dv_cos;
                        for (a, c) in acc.iter_mut().zip(sampler.at(x, y)) {
                            *a += c;
                        }
                    }
                }
                let [ar, ag, ab] = acc;
                (*r, *g, *b) = (ar * inv, ag * inv, ab * inv);
            }
        }
    }
}

/// The subject's landmarks in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks {
    /// The 468 mesh points `(x, y, z)`; z (depth, smaller is nearer) in the same pixel scale.
    pub points: Vec<[f32; 3]>,
    /// Face-presence probability the mesh model gave its final crop.
    pub presence: f32,
    /// The subject's right eye centre (image left).
    pub right_eye: Point,
    /// The subject's left eye centre (image right).
    pub left_eye: Point,
    /// The final mesh crop.
    pub roi: Roi,
}

impl Landmarks {
    /// Mesh point `i` in the image plane (the origin when out of range).
    pub fn at(&self, i: usize) -> Point {
        self.points
            .get(i)
            .map(|p| Point { x: p[0], y: p[1] })
            .unwrap_or_default()
    }

    /// Mesh point `i` with depth.
    pub fn at3(&self, i: usize) -> [f32; 3] {
        self.points.get(i).copied().unwrap_or_default()
    }

    /// Mean of the given points.
    pub fn mean(&self, idx: &[usize]) -> Point {
        let n = idx.len().max(1) as f32;
        let (sx, sy) = idx.iter().fold((0.0, 0.0), |(sx, sy), &i| {
            let p = self.at(i);
            (sx + p.x, sy + p.y)
        });
        Point {
            x: sx / n,
            y: sy / n,
        }
    }

    /// The eye centres the geometry uses.
    pub fn eyes(&self) -> EyePair {
        EyePair {
            left: self.left_eye,
            right: self.right_eye,
        }
    }

    /// Angle of the line between the outer eye corners, radians (image right is 0, y down).
    pub fn eye_line_angle(&self) -> f32 {
        let (r, l) = (
            self.at(index::RIGHT_EYE_OUTER),
            self.at(index::LEFT_EYE_OUTER),
        );
        (l.y - r.y).atan2(l.x - r.x)
    }

    /// The distance between the outer eye corners.
    pub fn eye_span(&self) -> f32 {
        self.at(index::RIGHT_EYE_OUTER)
            .distance(self.at(index::LEFT_EYE_OUTER))
            .max(1.0)
    }

    /// Whether every point is finite.
    fn finite(&self) -> bool {
        self.points.iter().flatten().all(|v| v.is_finite())
            && [self.left_eye, self.right_eye]
                .iter()
                .all(|p| p.x.is_finite() && p.y.is_finite())
    }
}

/// The mesh crop that MediaPipe would take around a set of points: their bounding box in the
/// frame rotated by `angle`, squared and scaled by [`MESH_CROP_SCALE`].
fn roi_around(points: &[[f32; 3]], angle: f32) -> Roi {
    let (sin, cos) = angle.sin_cos();
    let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for p in points {
        let u = p[0] * cos + p[1] * sin;
        let v = -p[0] * sin + p[1] * cos;
        u0 = u0.min(u);
        u1 = u1.max(u);
        v0 = v0.min(v);
        v1 = v1.max(v);
    }
    let (uc, vc) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
    Roi {
        centre: Point {
            x: uc * cos - vc * sin,
            y: uc * sin + vc * cos,
        },
        side: (u1 - u0).max(v1 - v0).max(1.0) * MESH_CROP_SCALE,
        angle,
        mirror: false,
    }
}

fn mesh_in(
    models: &ModelSet,
    image: &RgbImage,
    roi: Roi,
) -> Result<(Vec<[f32; 3]>, f32), FaceError> {
    let out = models.mesh(roi.sample(image, MESH_SIDE))?;
    let z_scale = roi.side / MESH_SIDE as f32;
    let pts = out
        .points
        .iter()
        .map(|&[s, t, z]| {
            let p = roi.to_image(s, t, MESH_SIDE);
            [p.x, p.y, z * z_scale]
        })
        .collect();
    Ok((pts, out.presence))
}

/// Finds the landmarks of the face in `face`, starting from the eye guess `eyes` (for the
/// first crop's rotation). `Ok(None)` when the mesh model sees no face there.
pub fn locate(
    models: &ModelSet,
    image: &RgbImage,
    luma: &Plane,
    face: &FaceBox,
    eyes: EyePair,
    min_presence: f32,
) -> Result<Option<Landmarks>, FaceError> {
    let guess = (eyes.left.y - eyes.right.y).atan2(eyes.left.x - eyes.right.x);
    let angle = if guess.is_finite() {
        guess.clamp(-0.8, 0.8)
    } else {
        0.0
    };
    let (cx, cy) = face.centre();
    let first = Roi {
        centre: Point { x: cx, y: cy },
        side: face.w.max(face.h) * MESH_CROP_SCALE,
        angle,
        mirror: false,
    };
    let (pts, first_presence) = mesh_in(models, image, first)?;
    let (points, presence, roi) = if REFINE_CROP {
        let lm_angle = {
            let (r, l) = (
                pts.get(index::RIGHT_EYE_OUTER).copied().unwrap_or_default(),
                pts.get(index::LEFT_EYE_OUTER).copied().unwrap_or_default(),
            );
            (l[1] - r[1]).atan2(l[0] - r[0])
        };
        let second = roi_around(&pts, if lm_angle.is_finite() { lm_angle } else { 0.0 });
        let (points, presence) = mesh_in(models, image, second)?;
        (points, presence, second)
    } else {
        (pts, first_presence, first)
    };
    if presence.is_nan() || presence < min_presence {
        return Ok(None);
    }
    let mut lm = Landmarks {
        points,
        presence,
        right_eye: Point::default(),
        left_eye: Point::default(),
        roi,
    };
    let ied = lm
        .mean(&index::RIGHT_EYE_CONTOUR)
        .distance(lm.mean(&index::LEFT_EYE_CONTOUR))
        .max(1.0);
    // The gradient method may lock onto a brow or an eye corner when the iris is half hidden:
    // a refinement further than a fifth of the eye's width from the contour's centre is not
    // taken.
    let eye = |contour: &[usize], outer: usize, inner: usize| {
        let width = lm.at(outer).distance(lm.at(inner));
        let centre = lm.mean(contour);
        let refined = super::eyes::refine(luma, centre, width, ied);
        if refined.distance(centre) <= 0.2 * width {
            refined
        } else {
            centre
        }
    };
    let right = eye(
        &index::RIGHT_EYE_CONTOUR,
        index::RIGHT_EYE_OUTER,
        index::RIGHT_EYE_INNER,
    );
    let left = eye(
        &index::LEFT_EYE_CONTOUR,
        index::LEFT_EYE_OUTER,
        index::LEFT_EYE_INNER,
    );
    lm.right_eye = right;
    lm.left_eye = left;
    Ok(lm.finite().then_some(lm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::raster::rgb_bilinear;

    /// `Roi::sample` as first written: every sample through `to_image` and `rgb_bilinear`.
    fn sample_reference(roi: &Roi, image: &RgbImage, n: usize) -> Vec<f32> {
        let step = roi.side / n as f32;
        let k = round_u(step.ceil()).clamp(1, 2);
        let inv = 1.0 / (255.0 * (k * k) as f32);
        let plane = n * n;
        let mut out = vec![0.0f32; 3 * plane];
        for v in 0..n {
            for u in 0..n {
                let mut acc = [0.0f32; 3];
                for j in 0..k {
                    for i in 0..k {
                        let s = u as f32 + (i as f32 + 0.5) / k as f32;
                        let t = v as f32 + (j as f32 + 0.5) / k as f32;
                        let p = roi.to_image(s, t, n);
                        for (a, c) in acc.iter_mut().zip(rgb_bilinear(image, p.x, p.y)) {
                            *a += c;
                        }
                    }
                }
                let o = v * n + u;
                for (c, a) in acc.iter().enumerate() {
                    if let Some(slot) = out.get_mut(c * plane + o) {
                        *slot = a * inv;
                    }
                }
            }
        }
        out
    }

    #[test]
    #[expect(
        clippy::cast_possible_truncation,
        reason = "synthetic test colours wrap into u8 on purpose"
    )]
    fn crop_sampling_is_bit_identical_to_the_pointwise_version() {
        let image = RgbImage::from_fn(157, 113, |x, y| {
            image::Rgb([
                (x * 19 + y * 7) as u8,
                (x * y * 5) as u8,
                200u32.wrapping_sub(x + y / 2) as u8,
            ])
        });
        let mut buffer = Vec::new();
        for (x, y, side, angle, mirror, n) in [
            (80.0, 60.0, 90.0, 0.0, false, 32),
            (70.3, 41.7, 150.0, 0.31, false, 48),
            (10.0, 100.0, 40.0, -0.7, true, 64),
            (200.0, -30.0, 400.0, 0.05, false, 24),
            (80.0, 60.0, 10.0, 1.2, true, 16),
        ] {
            let roi = Roi {
                centre: Point { x, y },
                side,
                angle,
                mirror,
            };
            let want = sample_reference(&roi, &image, n);
            roi.sample_into(&image, n, &mut buffer);
            assert_eq!(
                buffer.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{roi:?} at {n}"
            );
        }
    }
}
