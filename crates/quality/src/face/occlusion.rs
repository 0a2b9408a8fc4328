//! Eyes visible (ISO/IEC 29794-5 component 4F: no dark lenses, no frames, hair or glare over
//! the eyes) and no head covering (5C), measured on the image inside regions the face mesh
//! places (`docs/spec/biometric-formats.md` §2: glasses, background and head rules).
//!
//! OFIQ judges both with a face-parsing network; here they are appearance measures inside
//! landmark polygons, cheaper and easier to explain to the operator:
//! - **eye occlusion**, per eye, from the pixels inside the eye contour (the visible eye
//!   opening): an eye shows a bright sclera beside a dark iris, so the spread of its luma
//!   (10th to 90th percentile) relative to the cheek's luma is large; dark lenses, a bar or
//!   hair over the eye make the opening dark and flat. Glare is the share of the opening and its
//!   surround (the eye box) that is clipped white. The score is the worse eye's, 0 (clear) to 1.
//! - **head covering**: the band between the top of the forehead (mesh point 10's row) and the
//!   crown, across the forehead's width, should show hair, skin or the background. Pixels that
//!   are none of these (a colour far from the cheek skin, from the background beside the head,
//!   and from any natural hair colour in CIELAB) are counted, and so are hair-coloured pixels
//!   without the texture of hair: strands make the luma step between neighbours a few
//!   hundredths of the local luma, cloth (a black or white cap, a scarf) is smooth apart from
//!   its seams; the value is the share of the band counted.
//!
//! Known limits (README, calibration table): frames that do not cross the eye opening are
//! [`super::glasses`]' concern; a blurred image has no hair texture left (the sharpness check
//! rejects it).

use image::RgbImage;

use super::advice::{Advice, CoveringFigures, Eyes};
use super::colour::srgb_to_lab;
use super::eyes::Point;
use super::geometry::Geometry;
use super::landmarks::{Landmarks, index};
use super::raster::{Plane, rgb_bilinear};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Mesh points on the cheeks below the subject's right and left eye.
const CHEEKS: [usize; 2] = [50, 280];

/// 8-bit luma counted as clipped (glare).
const GLARE_LEVEL: f32 = 245.0;

/// Eye-opening luma spread (fraction of the cheek's luma) at and above which an eye is clear,
/// and at which it counts as fully hidden (calibrated on the labelled set).
const CLEAR_SPREAD: f32 = 0.45;
const HIDDEN_SPREAD: f32 = 0.12;

/// Glare share of the eye box that counts as fully hidden.
const FULL_GLARE: f32 = 0.2;

fn luma(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

fn inside(poly: &[Point], x: f32, y: f32) -> bool {
    let mut odd = false;
    let mut j = poly.len().wrapping_sub(1);
    for (i, a) in poly.iter().enumerate() {
        if let Some(b) = poly.get(j)
            && (a.y > y) != (b.y > y)
            && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x
        {
            odd = !odd;
        }
        j = i;
    }
    odd
}

/// Colours sampled on a grid of `step` pixels inside `poly`.
fn sample_polygon(image: &RgbImage, poly: &[Point], step: f32) -> Vec<[f32; 3]> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in poly {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let step = step.max(0.5);
    let mut out = Vec::new();
    if !(x1 > x0 && y1 > y0) || (x1 - x0) / step > 400.0 || (y1 - y0) / step > 400.0 {
        return out;
    }
    let mut y = y0 + step / 2.0;
    while y < y1 {
        let mut x = x0 + step / 2.0;
        while x < x1 {
            if inside(poly, x, y) {
                out.push(rgb_bilinear(image, x, y));
            }
            x += step;
        }
        y += step;
    }
    out
}

/// Colours in a disc of radius `r` around `c`.
fn sample_disc(image: &RgbImage, c: Point, r: f32, step: f32) -> Vec<[f32; 3]> {
    let n = 12usize;
    let poly: Vec<Point> = (0..n)
        .map(|k| {
            let a = k as f32 * std::f32::consts::TAU / n as f32;
            Point {
                x: c.x + r * a.cos(),
                y: c.y + r * a.sin(),
            }
        })
        .collect();
    sample_polygon(image, &poly, step)
}

fn percentile(v: &mut [f32], q: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let i = super::raster::round_u(q * (v.len() - 1) as f32);
    v.get(i).copied().unwrap_or(0.0)
}

/// Mean cheek colour (the skin reference): discs under both eyes.
pub fn cheek_colour(image: &RgbImage, lm: &Landmarks, ied: f32) -> [f32; 3] {
    mean_colour(&cheek_pixels(image, lm, ied))
}

/// Colours of discs on both cheeks (mesh points 50 and 280, below the subject's right and left
/// eye).
fn cheek_pixels(image: &RgbImage, lm: &Landmarks, ied: f32) -> Vec<[f32; 3]> {
    CHEEKS
        .iter()
        .flat_map(|&i| sample_disc(image, lm.at(i), 0.12 * ied, ied / 40.0))
        .collect()
}

fn mean_colour(px: &[[f32; 3]]) -> [f32; 3] {
    let n = px.len().max(1) as f32;
    let s = px
        .iter()
        .fold([0.0f32; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]]);
    [s[0] / n, s[1] / n, s[2] / n]
}

/// Occlusion of one eye, 0 (clear) to 1, and its parts (spread, glare).
pub fn eye_occlusion(
    image: &RgbImage,
    contour: &[Point],
    ied: f32,
    skin_luma: f32,
    skin_clipped: f32,
) -> (f32, f32, f32) {
    let step = ied / 80.0;
    let mut opening: Vec<f32> = sample_polygon(image, contour, step)
        .into_iter()
        .map(luma)
        .collect();
    if opening.len() < 4 {
        return (1.0, 0.0, 0.0);
    }
    let skin = skin_luma.max(16.0);
    let hi = percentile(&mut opening, 0.9);
    let lo = percentile(&mut opening, 0.1);
    let spread = (hi - lo) / skin;
    // The eye box: the contour's bounding box, enlarged by half on each side.
    let c = contour.iter().fold(Point::default(), |a, p| Point {
        x: a.x + p.x / contour.len() as f32,
        y: a.y + p.y / contour.len() as f32,
    });
    let boxed: Vec<Point> = contour
        .iter()
        .map(|p| Point {
            x: c.x + (p.x - c.x) * 1.5,
            y: c.y + (p.y - c.y) * 2.5,
        })
        .collect();
    let around = sample_polygon(image, &boxed, step);
    // Clipping that the cheeks share is over-exposure (the exposure check's), not glare.
    let glare = (around.iter().filter(|p| luma(**p) >= GLARE_LEVEL).count() as f32
        / around.len().max(1) as f32
        - skin_clipped)
        .max(0.0);
    let by_spread = ((CLEAR_SPREAD - spread) / (CLEAR_SPREAD - HIDDEN_SPREAD)).clamp(0.0, 1.0);
    let by_glare = (glare / FULL_GLARE).clamp(0.0, 1.0);
    (by_spread.max(by_glare), spread, glare)
}

/// The eyes-visible check; its value is the worse eye's occlusion.
pub fn eyes_visible(image: &RgbImage, lm: &Landmarks, ied: f32, profile: &QualityProfile) -> Check {
    // Each eye against the cheek on its own side, so that a shadow on one side of the face
    // (the illumination check's) does not read as a hidden eye.
    let side = |cheek: usize| {
        let px = sample_disc(image, lm.at(cheek), 0.12 * ied, ied / 40.0);
        let clipped =
            px.iter().filter(|p| luma(**p) >= GLARE_LEVEL).count() as f32 / px.len().max(1) as f32;
        (luma(mean_colour(&px)), clipped)
    };
    let contour = |idx: &[usize]| idx.iter().map(|&i| lm.at(i)).collect::<Vec<_>>();
    let (skin, clipped) = side(CHEEKS[0]);
    let (r, _, rg) = eye_occlusion(
        image,
        &contour(&index::RIGHT_EYE_CONTOUR),
        ied,
        skin,
        clipped,
    );
    let (skin, clipped) = side(CHEEKS[1]);
    let (l, _, lg) = eye_occlusion(
        image,
        &contour(&index::LEFT_EYE_CONTOUR),
        ied,
        skin,
        clipped,
    );
    let value = r.max(l);
    let v = profile.checks.eyes_visible.verdict(f64::from(value));
    let msg = match v {
        Verdict::Pass => Advice::EyesVisible,
        _ if rg.max(lg) * 2.0 >= FULL_GLARE => Advice::GlareOverEyes,
        _ => Advice::EyesHidden {
            which: if (r - l).abs() < 0.2 {
                Eyes::Both
            } else if r > l {
                Eyes::ImageLeft
            } else {
                Eyes::ImageRight
            },
        },
    };
    Check::new(CheckId::EyesVisible, f64::from(value), v, msg)
}

/// Whether a CIELAB colour could be natural hair: dark, or of low to moderate chroma with a
/// hue between red-brown and yellow (blond), or grey/white of low chroma.
fn hair_like(l: f32, a: f32, b: f32) -> bool {
    let chroma = a.hypot(b);
    let hue = b.atan2(a).to_degrees();
    l < 30.0 || chroma < 12.0 || (chroma < 45.0 && (15.0..=95.0).contains(&hue))
}

fn lab(c: [f32; 3]) -> [f32; 3] {
    let (l, a, b) = srgb_to_lab(c[0], c[1], c[2]);
    [l, a, b]
}

fn delta_e(x: [f32; 3], y: [f32; 3]) -> f32 {
    ((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2) + (x[2] - y[2]).powi(2)).sqrt()
}

/// Texture at `(x, y)`: the mean absolute luma step to the four neighbours `d` pixels away,
/// relative to the local luma (+ 20, so that noise in black does not read as texture).
fn texture(luma: &Plane, x: f32, y: f32, d: f32) -> f32 {
    let c = luma.bilinear(x, y);
    let steps = [(d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d)]
        .iter()
        .map(|(dx, dy)| (luma.bilinear(x + dx, y + dy) - c).abs())
        .sum::<f32>();
    steps / 4.0 / (c + 20.0)
}

/// Points on a grid of `step` pixels inside `poly`.
fn grid_in(poly: &[Point], step: f32) -> Vec<Point> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in poly {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let step = step.max(0.5);
    let mut out = Vec::new();
    if !(x1 > x0 && y1 > y0) || (x1 - x0) / step > 400.0 || (y1 - y0) / step > 400.0 {
        return out;
    }
    let mut y = y0 + step / 2.0;
    while y < y1 {
        let mut x = x0 + step / 2.0;
        while x < x1 {
            if inside(poly, x, y) {
                out.push(Point { x, y });
            }
            x += step;
        }
        y += step;
    }
    out
}

/// The head-covering measures of the band above the forehead.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Covering {
    /// Share of the band in a colour that is neither skin, background nor hair.
    pub foreign: f32,
    /// Share of the band that is hair-coloured but smooth (cloth, not strands).
    pub smooth: f32,
    /// Median texture of the band's samples that are not skin.
    pub texture: f32,
}

impl Covering {
    /// The check's value: the covered share of the band.
    pub fn value(&self) -> f32 {
        self.foreign + self.smooth
    }
}

/// Texture below which a hair-coloured sample counts as cloth (calibrated on the labelled set).
const SMOOTH: f32 = 0.02;

/// Measures the band above the forehead.
pub fn covering(image: &RgbImage, luma: &Plane, lm: &Landmarks, g: &Geometry) -> Covering {
    let ied = g.ied.max(1.0);
    let skin = lab(cheek_colour(image, lm, ied));
    // Background beside the head at eye height, beyond the face oval.
    let [r, l] = index::CHEEKBONES.map(|i| lm.at(i));
    let out = 0.6 * ied;
    let bg: Vec<[f32; 3]> = [
        Point {
            x: r.x - out,
            y: g.mid.y - 0.3 * ied,
        },
        Point {
            x: l.x + out,
            y: g.mid.y - 0.3 * ied,
        },
    ]
    .iter()
    .flat_map(|&c| sample_disc(image, c, 0.2 * ied, ied / 20.0))
    .map(lab)
    .collect();
    // The band: from just above the forehead point up to halfway to the crown, as wide as the
    // forehead (between the temples at brow height).
    let top = lm.at(index::FOREHEAD);
    let (sin, cos) = g.roll_degrees.to_radians().sin_cos();
    let half = 0.5 * lm.at(54).distance(lm.at(284)).max(0.8 * ied);
    let rise = (top.y - g.crown_y).max(0.2 * ied) * cos;
    let corner = |du: f32, dv: f32| Point {
        x: top.x + du * cos + dv * sin,
        y: top.y + du * sin - dv * cos,
    };
    let band = [
        corner(-half, 0.05 * ied),
        corner(half, 0.05 * ied),
        corner(half, 0.05 * ied + 0.6 * rise),
        corner(-half, 0.05 * ied + 0.6 * rise),
    ];
    let points = grid_in(&band, ied / 30.0);
    if points.is_empty() {
        return Covering::default();
    }
    let d = (ied / 25.0).max(1.0);
    let (mut foreign, mut smooth) = (0usize, 0usize);
    let mut textures = Vec::with_capacity(points.len());
    for p in &points {
        let c = lab(rgb_bilinear(image, p.x, p.y));
        if delta_e(c, skin) <= 20.0 {
            continue;
        }
        // The background beside the head may be a scarf or hair falling to the shoulders: it
        // excuses a colour, not a smooth surface.
        let t = texture(luma, p.x, p.y, d);
        textures.push(t);
        if !hair_like(c[0], c[1], c[2]) && bg.iter().all(|b| delta_e(c, *b) > 15.0) {
            foreign += 1;
        } else if t < SMOOTH {
            smooth += 1;
        }
    }
    let n = points.len() as f32;
    Covering {
        foreign: foreign as f32 / n,
        smooth: smooth as f32 / n,
        texture: percentile(&mut textures, 0.5),
    }
}

/// The head-covering check; its value is the covered share of the band above the forehead.
pub fn head_covering(
    image: &RgbImage,
    luma: &Plane,
    lm: &Landmarks,
    g: &Geometry,
    profile: &QualityProfile,
) -> Check {
    let m = covering(image, luma, lm, g);
    let value = m.value();
    let v = profile.checks.head_covering.verdict(f64::from(value));
    let figures = CoveringFigures {
        foreign: m.foreign,
        smooth: m.smooth,
        texture: m.texture,
    };
    let msg = match v {
        Verdict::Pass => Advice::NoHeadCovering { figures },
        _ => Advice::HeadCovered { figures },
    };
    Check::new(CheckId::HeadCovering, f64::from(value), v, msg)
}
