//! The changes the labelled calibration set applies to its base portraits
//! (`testdata/face-calibration/labels.toml`), placed from each base's landmarks and geometry.

use image::{Rgb, RgbImage, imageops};
use permitkit_quality::face::{Assessment, ImageLimits, Point, decode, landmarks::index};

/// Maps every pixel through `f`.
pub fn map(img: &RgbImage, f: impl Fn(u32, u32, [f32; 3]) -> [f32; 3]) -> RgbImage {
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let r = f(x, y, p.0.map(f32::from));
        p.0 = r.map(|v| v.round().clamp(0.0, 255.0) as u8);
    }
    out
}

/// Bilinear sample, edges repeated.
fn sample(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let x = x.clamp(0.0, w as f32 - 1.0);
    let y = y.clamp(0.0, h as f32 - 1.0);
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let g = |x, y, c: usize| f32::from(img.get_pixel(x, y).0[c]);
    [0, 1, 2].map(|c| {
        (g(x0, y0, c) * (1.0 - fx) + g(x1, y0, c) * fx) * (1.0 - fy)
            + (g(x0, y1, c) * (1.0 - fx) + g(x1, y1, c) * fx) * fy
    })
}

/// Rotates about the image centre by `degrees` (counter-clockwise on screen), edges repeated.
pub fn rotate(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (s, c) = degrees.to_radians().sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let v = sample(img, cx + dx * c - dy * s, cy + dx * s + dy * c);
        Rgb(v.map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

/// Round trip through JPEG at `quality`.
pub fn jpeg(img: &RgbImage, quality: u8) -> RgbImage {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(img)
        .unwrap();
    decode(&buf, ImageLimits::default()).unwrap()
}

fn inside(poly: &[Point], x: f32, y: f32) -> bool {
    let mut odd = false;
    let mut j = poly.len() - 1;
    for (i, a) in poly.iter().enumerate() {
        let b = poly[j];
        if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
            odd = !odd;
        }
        j = i;
    }
    odd
}

/// A deterministic pseudo-random value in [0, 1) for a cell.
fn hash(i: u32, j: u32) -> f32 {
    let mut v = i.wrapping_mul(0x9E37_79B1) ^ j.wrapping_mul(0x85EB_CA77);
    v ^= v >> 15;
    v = v.wrapping_mul(0x2C1B_3C6D);
    v ^= v >> 12;
    (v % 1000) as f32 / 1000.0
}

/// Upper and lower lid contours, outer corner to inner corner (MediaPipe face mesh topology).
const RIGHT_UPPER: [usize; 9] = [33, 246, 161, 160, 159, 158, 157, 173, 133];
const RIGHT_LOWER: [usize; 9] = [33, 7, 163, 144, 145, 153, 154, 155, 133];
const LEFT_UPPER: [usize; 9] = [263, 466, 388, 387, 386, 385, 384, 398, 362];
const LEFT_LOWER: [usize; 9] = [263, 249, 390, 373, 374, 380, 381, 382, 362];

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// An upper eyelid drawn down over an eye, in the frame of the eye line (u along it, v down):
/// lid skin taken from below the eye (so it keeps the skin's colour, texture and grain), a
/// convex lid's shading, a crease above, and the lash line at the lid's edge.
struct Lid {
    /// Eye-line frame: origin, unit u, unit v.
    origin: Point,
    cos: f32,
    sin: f32,
    /// Lid contours as (u, v), sorted by u.
    upper: Vec<(f32, f32)>,
    lower: Vec<(f32, f32)>,
    cover: f32,
    ied: f32,
}

impl Lid {
    fn new(
        lm: &permitkit_quality::face::Landmarks,
        upper: &[usize],
        lower: &[usize],
        ied: f32,
        cover: f32,
    ) -> Self {
        let origin = lm.mean(upper);
        let (sin, cos) = lm.eye_line_angle().sin_cos();
        let frame = |i: &usize| {
            let p = lm.at(*i);
            let (dx, dy) = (p.x - origin.x, p.y - origin.y);
            (dx * cos + dy * sin, -dx * sin + dy * cos)
        };
        let sorted = |idx: &[usize]| {
            let mut v: Vec<(f32, f32)> = idx.iter().map(frame).collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            v
        };
        Self {
            origin,
            cos,
            sin,
            upper: sorted(upper),
            lower: sorted(lower),
            cover,
            ied,
        }
    }

    fn interp(curve: &[(f32, f32)], u: f32) -> Option<f32> {
        let first = curve.first()?;
        let last = curve.last()?;
        if u <= first.0 {
            return Some(first.1);
        }
        if u >= last.0 {
            return Some(last.1);
        }
        curve.windows(2).find_map(|w| {
            let (a, b) = (w[0], w[1]);
            (u >= a.0 && u <= b.0).then(|| a.1 + (b.1 - a.1) * (u - a.0) / (b.0 - a.0).max(1e-3))
        })
    }

    fn paint(&self, img: &RgbImage, x: f32, y: f32, c: [f32; 3]) -> [f32; 3] {
        let (dx, dy) = (x - self.origin.x, y - self.origin.y);
        let (u, v) = (
            dx * self.cos + dy * self.sin,
            -dx * self.sin + dy * self.cos,
        );
        let (Some(first), Some(last)) = (self.upper.first(), self.upper.last()) else {
            return c;
        };
        let ied = self.ied;
        let margin = 0.06 * ied;
        if u < first.0 - margin || u > last.0 + margin {
            return c;
        }
        let (Some(top), Some(bottom)) =
            (Self::interp(&self.upper, u), Self::interp(&self.lower, u))
        else {
            return c;
        };
        // The lid's edge: the upper lid lowered by `cover` of the opening, closing in at the
        // corners.
        let edge = top + self.cover * (bottom - top);
        let above = top - 0.07 * ied;
        if v < above - 0.03 * ied || v > edge + 0.03 * ied {
            return c;
        }
        // Soft weight: 1 inside the lid, falling off over 0.03 IED at the crease side and the
        // corners.
        let w_top = smoothstep(above - 0.03 * ied, above, v);
        let w_side = smoothstep(first.0 - margin, first.0, u)
            * (1.0 - smoothstep(last.0, last.0 + margin, u));
        // Lid skin from 0.3 IED below, a little brighter in the lid's middle (it is convex).
        let src = (x - 0.3 * ied * self.sin, y + 0.3 * ied * self.cos);
        let span = (edge - above).max(1e-3);
        let t = ((v - above) / span).clamp(0.0, 1.0);
        let shade = 1.0 + 0.06 * (1.0 - (2.0 * t - 1.0).powi(2)) - 0.1 * t.powi(4);
        let mut skin = sample(img, src.0, src.1).map(|s| s * shade);
        // The crease: a soft darker line 0.05 IED above the lid's top.
        let crease = top - 0.045 * ied;
        let dc = ((v - crease) / (0.012 * ied)).powi(2);
        let k_crease = 1.0 - 0.22 * (-dc).exp();
        skin = skin.map(|s| s * k_crease);
        // The lash line at the edge, dark brown, with a soft profile 0.02 IED thick.
        let dl = ((v - edge) / (0.011 * ied)).powi(2);
        let lash = 0.85 * (-dl).exp();
        let lash_colour = [55.0, 40.0, 36.0];
        let lid = [0, 1, 2].map(|i| skin[i] * (1.0 - lash) + lash_colour[i] * lash);
        // Below the edge only the lash line's lower half is drawn.
        let w = if v > edge { lash } else { w_top } * w_side;
        [0, 1, 2].map(|i| c[i] * (1.0 - w) + lid[i] * w)
    }
}

/// Applies `change` with `amount` to `img`, whose assessment (landmarks, geometry) is `a`.
pub fn apply(img: &RgbImage, a: &Assessment, change: &str, amount: &[f64]) -> RgbImage {
    let k = |i: usize| amount.get(i).copied().unwrap_or(0.0) as f32;
    let s = a.subject.as_ref().expect("the base has a face");
    let g = s.geometry;
    let lm = a.landmarks.as_ref().expect("the base has landmarks");
    let ied = g.ied;
    let (w, h) = img.dimensions();
    match change {
        "none" => img.clone(),
        "cast" => map(img, |_, _, c| [c[0] * k(0), c[1] * k(1), c[2] * k(2)]),
        "grey" => map(img, |_, _, [r, g, b]| {
            [0.299 * r + 0.587 * g + 0.114 * b; 3]
        }),
        "exposure" => map(img, |_, _, c| {
            c.map(|v| 255.0 * ((v * k(0) + k(1)) / 255.0).clamp(0.0, 1.0).powf(k(2)))
        }),
        "crop" => {
            let cw = (w as f32 * k(1)).min(w as f32);
            let x0 = (g.mid.x - k(0) * cw).clamp(0.0, w as f32 - cw);
            imageops::crop_imm(img, x0 as u32, 0, cw as u32, h).to_image()
        }
        "zoom" => RgbImage::from_fn(w, h, |x, y| {
            let sx = g.mid.x + (x as f32 - g.mid.x) / k(0);
            let sy = g.mid.y + (y as f32 - g.mid.y) / k(0);
            Rgb(sample(img, sx, sy).map(|v| v.round() as u8))
        }),
        "shrink" => {
            let small = imageops::resize(
                img,
                (w as f32 * k(0)) as u32,
                (h as f32 * k(0)) as u32,
                imageops::FilterType::Triangle,
            );
            let fill = *img.get_pixel(w - 1, 0);
            let mut out = RgbImage::from_pixel(w, h, fill);
            let dx = g.mid.x * (1.0 - k(0));
            let dy = g.mid.y * (1.0 - k(0));
            imageops::replace(&mut out, &small, dx as i64, dy as i64);
            out
        }
        "background" => {
            let pattern = k(0) as u32;
            // Head mask: an ellipse from above the crown to the chin, wider than the hair.
            let cy = (g.crown_y + g.chin_y) / 2.0 - 0.1 * ied;
            let (ax, ay) = (0.78 * g.head_width, 0.62 * (g.chin_y - g.crown_y));
            let shoulders = g.chin_y - 0.1 * ied;
            map(img, |x, y, c| {
                let (xf, yf) = (x as f32, y as f32);
                let e = ((xf - g.mid.x) / ax).powi(2) + ((yf - cy) / ay).powi(2);
                if e <= 1.0 || yf > shoulders {
                    return c;
                }
                let (u, v) = ((xf - g.mid.x) / ied, (yf - g.mid.y) / ied);
                match pattern {
                    0 => {
                        if ((v * 3.0).floor() as i32).rem_euclid(2) == 0 {
                            [190.0, 30.0, 45.0]
                        } else {
                            [235.0, 235.0, 235.0]
                        }
                    }
                    1 => {
                        let t = ((u * 2.5).floor() as i32 + (v * 2.5).floor() as i32).rem_euclid(2)
                            as f32;
                        [60.0 + 150.0 * t, 70.0 + 140.0 * t, 90.0 + 120.0 * t]
                    }
                    2 => {
                        let n = hash((u * 4.0 + 100.0) as u32, (v * 4.0 + 100.0) as u32);
                        [80.0 + 150.0 * n, 120.0 + 80.0 * n, 200.0 - 140.0 * n]
                    }
                    3 => {
                        let t = 0.5 + 0.5 * (u * 5.0).sin();
                        [120.0 + 110.0 * t, 90.0 + 90.0 * t, 20.0 + 40.0 * t]
                    }
                    4 => {
                        let t = (yf / h as f32).clamp(0.0, 1.0);
                        [215.0 - 40.0 * t, 218.0 - 40.0 * t, 222.0 - 40.0 * t]
                    }
                    _ => {
                        // A second person's head and shoulders beside the subject.
                        let (pu, pv) = (u - 1.7, v + 0.1);
                        let head = (pu / 1.2).powi(2) + (pv / 1.6).powi(2) <= 1.0;
                        let body = pv > 1.2 && pu.abs() < 2.5;
                        if head {
                            [160.0, 115.0, 90.0]
                        } else if body {
                            [35.0, 40.0, 60.0]
                        } else {
                            c
                        }
                    }
                }
            })
        }
        "lenses" => {
            let (re, le) = (lm.right_eye, lm.left_eye);
            let near = |x: f32, y: f32, c: Point| {
                ((x - c.x) / (0.42 * ied)).powi(2) + ((y - c.y) / (0.3 * ied)).powi(2) <= 1.0
            };
            map(img, |x, y, c| {
                let (x, y) = (x as f32, y as f32);
                if near(x, y, re) || near(x, y, le) {
                    let v = k(0);
                    [v, v + 2.0, v + 6.0]
                } else {
                    c
                }
            })
        }
        "bar" => {
            let (r, l) = (lm.at(index::RIGHT_EYE_OUTER), lm.at(index::LEFT_EYE_OUTER));
            let (x0, x1) = (r.x - 0.25 * ied, l.x + 0.25 * ied);
            let cy = (r.y + l.y) / 2.0;
            map(img, |x, y, c| {
                let (x, y) = (x as f32, y as f32);
                if x >= x0 && x <= x1 && (y - cy).abs() <= 0.18 * ied {
                    [12.0, 12.0, 14.0]
                } else {
                    c
                }
            })
        }
        "closed-eyes" => {
            // amount: [share of the opening the upper lid covers (1 shut, 0.5 half closed),
            // which eyes (0 both, 1 the subject's right only)].
            let cover = k(0);
            let mut lids = vec![Lid::new(lm, &RIGHT_UPPER, &RIGHT_LOWER, ied, cover)];
            if k(1) < 1.0 {
                lids.push(Lid::new(lm, &LEFT_UPPER, &LEFT_LOWER, ied, cover));
            }
            map(img, |x, y, c| {
                let (xf, yf) = (x as f32, y as f32);
                lids.iter().fold(c, |c, lid| lid.paint(img, xf, yf, c))
            })
        }
        "open-mouth" => {
            let m = lm.mean(&index::INNER_LIPS);
            let [rc, lc] = index::MOUTH_CORNERS.map(|i| lm.at(i));
            let half = 0.4 * rc.distance(lc);
            let hh = 0.5 * k(0) * ied;
            let centre = Point {
                x: m.x,
                y: m.y + 0.3 * hh,
            };
            map(img, |x, y, c| {
                let (x, y) = (x as f32, y as f32);
                let e = ((x - centre.x) / half).powi(2) + ((y - centre.y) / hh).powi(2);
                if e <= 1.0 {
                    if y < centre.y - 0.55 * hh {
                        [225.0, 220.0, 205.0]
                    } else {
                        [45.0, 20.0, 22.0]
                    }
                } else {
                    c
                }
            })
        }
        "cap" => {
            // amount: [r, g, b, style]: 0 a dome cap with a band round its rim, 1 a peaked cap
            // (a brim over the forehead), 2 a headscarf (crown and sides, the face left open).
            let colour = [k(0), k(1), k(2)];
            let style = k(3) as u32;
            let top = lm.at(index::FOREHEAD);
            let rx = 0.62 * g.head_width;
            let ry = (top.y - g.crown_y).max(0.3 * ied) + 0.35 * ied;
            let base = top.y + 0.1 * ied;
            let oval: Vec<Point> = index::FACE_OVAL
                .iter()
                .map(|&i| {
                    // The oval, its top lowered to just above the brows' line.
                    let p = lm.at(i);
                    let c = lm.at(index::NOSE_TIP);
                    Point {
                        x: c.x + (p.x - c.x) * 0.97,
                        y: if p.y < top.y + 0.35 * ied {
                            p.y.max(top.y + 0.12 * ied)
                        } else {
                            p.y
                        },
                    }
                })
                .collect();
            map(img, |x, y, c| {
                let (xf, yf) = (x as f32, y as f32);
                let (u, v) = ((xf - top.x) / ied, (yf - base) / ied);
                let (cover, shade) = match style {
                    2 => {
                        // Headscarf: a wide hood down to the jaw, the face oval open.
                        let e = ((xf - top.x) / (0.78 * g.head_width)).powi(2)
                            + ((yf - base) / (ry + 0.1 * ied)).powi(2);
                        let hood = (yf <= base && e <= 1.0)
                            || (yf > base
                                && yf < g.chin_y
                                && ((xf - top.x) / (0.78 * g.head_width)).abs() <= 1.0);
                        let on = hood && !inside(&oval, xf, yf);
                        // Folds.
                        (on, 1.0 + 0.07 * (u * 9.0 + v * 4.0).sin())
                    }
                    _ => {
                        let e = ((xf - top.x) / rx).powi(2) + ((yf - base) / ry).powi(2);
                        let dome = yf <= base && e <= 1.0;
                        let brim = style == 1
                            && yf > base - 0.05 * ied
                            && yf <= base + 0.16 * ied
                            && ((xf - top.x) / (1.05 * rx)).powi(2)
                                + ((yf - base + 0.05 * ied) / (0.21 * ied)).powi(2)
                                <= 1.0;
                        // Light from above: the dome darkens towards its rim; a band round the
                        // rim with a seam; the brim's underside in shadow.
                        let t = ((base - yf) / ry).clamp(0.0, 1.0);
                        let mut shade = 0.86 + 0.14 * t;
                        if dome && base - yf < 0.14 * ied {
                            shade *= 0.9;
                            if ((base - yf) - 0.14 * ied).abs() < 0.008 * ied {
                                shade *= 0.8;
                            }
                        }
                        if brim && yf > base {
                            shade *= 0.75;
                        }
                        (dome || brim, shade)
                    }
                };
                if !cover {
                    return c;
                }
                // Fabric grain: smooth noise of a few levels in 2 px cells.
                let grain = 3.0 * (hash(x / 2, y / 2) - 0.5) + 2.0 * (hash(x / 5 + 7, y / 5) - 0.5);
                colour.map(|v| (v * shade + grain).clamp(0.0, 255.0))
            })
        }
        "glasses" => {
            // amount: [rim thickness (IED; 0 rimless), lens transmission (1 clear), reflection
            // (0 none, 1 a bright streak on each lens)].
            let rim = k(0) * ied;
            let trans = k(1);
            let glare = k(2);
            let angle = lm.eye_line_angle();
            let (sin, cos) = angle.sin_cos();
            let lenses = [lm.right_eye, lm.left_eye];
            let (a, b) = (0.37 * ied, 0.26 * ied);
            let frame_colour = [32.0, 28.0, 28.0];
            map(img, |x, y, c| {
                let (xf, yf) = (x as f32, y as f32);
                let mut out = c;
                let mut rim_w = 0.0f32;
                for (n, e) in lenses.iter().enumerate() {
                    let (dx, dy) = (xf - e.x, yf - e.y - 0.03 * ied * cos);
                    let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
                    // Rounded-rectangle lens (superellipse of exponent 3).
                    let r = ((u / a).abs().powi(3) + (v / b).abs().powi(3)).cbrt();
                    let dist = (r - 1.0) * b;
                    if r < 1.0 {
                        // Through the lens: tinted glass, a reflection.
                        out = [0, 1, 2].map(|i| out[i] * trans * [1.0, 0.95, 0.85][i]);
                        if glare > 0.0 {
                            let side = if n == 0 { -1.0 } else { 1.0 };
                            let (gu, gv) = (u - side * 0.14 * ied, v + 0.09 * ied);
                            let (s30, c30) = (0.5f32, 0.866f32);
                            let (ru, rv) = (gu * c30 + gv * s30, -gu * s30 + gv * c30);
                            let q = (ru / (0.15 * ied)).powi(2) + (rv / (0.055 * ied)).powi(2);
                            let w = glare * (1.0 - smoothstep(0.7, 1.1, q));
                            out = out.map(|o| o * (1.0 - w) + 253.0 * w);
                        }
                    }
                    if rim > 0.0 {
                        rim_w = rim_w.max((rim / 2.0 - dist.abs() + 0.5).clamp(0.0, 1.0));
                        // Temple arm: outwards from the lens's outer side, a little above
                        // the eye line.
                        let side = if n == 0 { -1.0 } else { 1.0 };
                        let along = u * side;
                        if along > a - 1.0 && along < a + 0.45 * ied {
                            rim_w = rim_w
                                .max((rim / 2.0 - (v + 0.06 * ied).abs() + 0.5).clamp(0.0, 1.0));
                        }
                    }
                }
                if rim > 0.0 {
                    // The bridge between the lenses' inner sides, arched a little.
                    let m = lenses[0].midpoint(lenses[1]);
                    let (dx, dy) = (xf - m.x, yf - m.y);
                    let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
                    let half = 0.5 * lenses[0].distance(lenses[1]) - a + 1.0;
                    if u.abs() < half {
                        let arch = -0.07 * ied - 0.03 * ied * (1.0 - (u / half).powi(2));
                        rim_w = rim_w.max((rim / 2.0 - (v - arch).abs() + 0.5).clamp(0.0, 1.0));
                    }
                }
                [0, 1, 2].map(|i| out[i] * (1.0 - rim_w) + frame_colour[i] * rim_w)
            })
        }
        "blur" => imageops::blur(img, k(0)),
        "jpeg" => jpeg(img, k(0) as u8),
        "rotate" => rotate(img, k(0)),
        "shadow" => map(img, |x, _, c| {
            if (x as f32) < g.mid.x {
                c.map(|v| v * k(0))
            } else {
                c
            }
        }),
        other => panic!("unknown change {other:?}"),
    }
}
