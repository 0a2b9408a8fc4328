//! The ICAO crops.
//!
//! - Full frontal (ISO/IEC 19794-5:2005 §8.3): the axis-aligned rectangle of
//!   [`Geometry::full_frontal`] (height/width 4:3, chin-to-crown 75 % of the height, eye line at
//!   45 % from the top, centred on the eyes: the profile's `crop` section), scaled down so that
//!   the inter-eye distance is at most the profile's target. No rotation: the pose checks keep
//!   roll within limits.
//! - Token frontal (§9): a similarity transform that puts the eye centres exactly at
//!   (0.375·W, 0.6·W) and (0.625·W − 1, 0.6·W) in a W × W/0.75 image, W ≥ 240 (so IED = W/4).
//!   Pixels outside the captured image repeat its nearest edge.

use image::{RgbImage, imageops};

use super::PortraitType;
use super::eyes::Point;
use super::geometry::Geometry;
use super::raster::{floor_i, rgb_bilinear, round_u, to_u8, u32_of};

/// A cropped portrait with its eye centres in output pixels.
#[derive(Clone)]
pub struct Cropped {
    /// The output image.
    pub image: RgbImage,
    /// The subject's left eye (image right).
    pub left_eye: Point,
    /// The subject's right eye (image left).
    pub right_eye: Point,
}

impl std::fmt::Debug for Cropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cropped")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("left_eye", &self.left_eye)
            .field("right_eye", &self.right_eye)
            .finish()
    }
}

/// Crops `image` around the face of `g`, with an output inter-eye distance of about `out_ied`
/// (never above the input's).
pub fn crop(
    image: &RgbImage,
    g: &Geometry,
    image_type: PortraitType,
    out_ied: f32,
    token_min_width: u32,
) -> Cropped {
    match image_type {
        PortraitType::FullFrontal => full_frontal(image, g, out_ied),
        PortraitType::TokenFrontal => token_frontal(image, g, out_ied, token_min_width),
    }
}

fn full_frontal(image: &RgbImage, g: &Geometry, out_ied: f32) -> Cropped {
    let (iw, ih) = (image.width() as isize, image.height() as isize);
    let r = &g.full_frontal;
    let x0 = floor_i(r.x + 0.5).clamp(0, iw - 1);
    let y0 = floor_i(r.y + 0.5).clamp(0, ih - 1);
    let x1 = floor_i(r.right() + 0.5).clamp(x0 + 1, iw);
    let y1 = floor_i(r.bottom() + 0.5).clamp(y0 + 1, ih);
    let (cw, ch) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let scale = (out_ied / g.ied).min(1.0);
    let ow = round_u(cw as f32 * scale).max(1);
    let oh = round_u(ch as f32 * scale).max(1);
    let sub = imageops::crop_imm(
        image,
        u32_of(x0 as usize),
        u32_of(y0 as usize),
        u32_of(cw),
        u32_of(ch),
    )
    .to_image();
    let out = if (ow, oh) == (cw, ch) {
        sub
    } else {
        imageops::resize(&sub, u32_of(ow), u32_of(oh), imageops::FilterType::Triangle)
    };
    let (sx, sy) = (ow as f32 / cw as f32, oh as f32 / ch as f32);
    let map = |p: Point| Point {
        x: (p.x + 0.5 - x0 as f32) * sx - 0.5,
        y: (p.y + 0.5 - y0 as f32) * sy - 0.5,
    };
    Cropped {
        image: out,
        left_eye: map(g.eyes.left),
        right_eye: map(g.eyes.right),
    }
}

/// Output eye positions of a token-frontal image of width `w` (19794-5 §9).
pub fn token_eyes(w: u32) -> (Point, Point) {
    let w = w as f32;
    let y = 0.6 * w;
    (
        Point {
            x: 0.625 * w - 1.0,
            y,
        },
        Point { x: 0.375 * w, y },
    )
}

fn token_frontal(image: &RgbImage, g: &Geometry, out_ied: f32, min_width: u32) -> Cropped {
    let w = u32_of(round_u(4.0 * out_ied.min(g.ied))).max(min_width);
    let h = u32_of(round_u(w as f32 / 0.75));
    let (left_out, right_out) = token_eyes(w);
    // Similarity p_out = a·p_in + b in complex form, solved from the two eye correspondences.
    let (din_x, din_y) = (
        g.eyes.left.x - g.eyes.right.x,
        g.eyes.left.y - g.eyes.right.y,
    );
    let (dout_x, dout_y) = (left_out.x - right_out.x, left_out.y - right_out.y);
    let den = (din_x * din_x + din_y * din_y).max(1e-6);
    // a = dout / din
    let ar = (dout_x * din_x + dout_y * din_y) / den;
    let ai = (dout_y * din_x - dout_x * din_y) / den;
    // inverse: p_in = (p_out − right_out) / a + right_in
    let an = ar * ar + ai * ai;
    let (ir, ii) = (ar / an, -ai / an);
    let scale_in = an.sqrt().recip();
    let n = round_u(scale_in.ceil()).clamp(1, 4);
    let mut out = RgbImage::new(w, h);
    let inv = 1.0 / (n * n) as f32;
    for (ox, oy, px) in out.enumerate_pixels_mut() {
        let mut acc = [0.0f32; 3];
        for j in 0..n {
            for i in 0..n {
                let qx = ox as f32 + (i as f32 + 0.5) / n as f32 - 0.5 - right_out.x;
                let qy = oy as f32 + (j as f32 + 0.5) / n as f32 - 0.5 - right_out.y;
                let x = qx * ir - qy * ii + g.eyes.right.x;
                let y = qx * ii + qy * ir + g.eyes.right.y;
                for (a, v) in acc.iter_mut().zip(rgb_bilinear(image, x, y)) {
                    *a += v;
                }
            }
        }
        px.0 = [
            to_u8(acc[0] * inv),
            to_u8(acc[1] * inv),
            to_u8(acc[2] * inv),
        ];
    }
    Cropped {
        image: out,
        left_eye: left_out,
        right_eye: right_out,
    }
}
