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
            let polys: Vec<(Vec<Point>, Point)> =
                [&index::RIGHT_EYE_CONTOUR[..], &index::LEFT_EYE_CONTOUR[..]]
                    .iter()
                    .map(|idx| {
                        let c = lm.mean(idx);
                        let poly = idx
                            .iter()
                            .map(|&i| {
                                let p = lm.at(i);
                                Point {
                                    x: c.x + (p.x - c.x) * 1.15,
                                    y: c.y + (p.y - c.y) * 1.6,
                                }
                            })
                            .collect();
                        (poly, c)
                    })
                    .collect();
            map(img, |x, y, c| {
                let (xf, yf) = (x as f32, y as f32);
                for (poly, centre) in &polys {
                    if inside(poly, xf, yf) {
                        // Skin from just below the eye, and a lash line across the middle.
                        let skin = sample(img, xf, yf + 0.28 * ied);
                        if (yf - centre.y - 0.03 * ied).abs() < 0.02 * ied {
                            return [70.0, 50.0, 45.0];
                        }
                        return skin;
                    }
                }
                c
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
            let top = lm.at(index::FOREHEAD);
            let rx = 0.62 * g.head_width;
            let ry = (top.y - g.crown_y).max(0.3 * ied) + 0.35 * ied;
            let base = top.y + 0.1 * ied;
            map(img, |x, y, c| {
                let (x, y) = (x as f32, y as f32);
                let e = ((x - top.x) / rx).powi(2) + ((y - base) / ry).powi(2);
                if y <= base && e <= 1.0 {
                    [k(0), k(1), k(2)]
                } else {
                    c
                }
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
