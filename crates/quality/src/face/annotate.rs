//! The operator's annotated preview: the input image with every face box (the subject's in
//! green, others in red), the eye centres, the full-frontal crop (blue), guide lines for the
//! eye line, crown and chin, and a panel listing every finding with its verdict colour
//! ([`annotate`]); or the same drawing over the frame alone, no panel, for a live view where
//! the findings are shown beside it in words ([`overlay`]).

use image::{Rgb, RgbImage};

use super::Assessment;
use super::font::glyph;
use super::raster::{floor_i, round_u, u32_of};
use crate::Verdict;

const GREEN: Rgb<u8> = Rgb([40, 200, 60]);
const RED: Rgb<u8> = Rgb([230, 40, 40]);
const AMBER: Rgb<u8> = Rgb([240, 170, 0]);
const BLUE: Rgb<u8> = Rgb([40, 120, 255]);
const CYAN: Rgb<u8> = Rgb([0, 210, 210]);
const PANEL: Rgb<u8> = Rgb([20, 20, 20]);

/// Draws the assessment over a copy of `image`, with the findings panel on the right.
pub fn annotate(image: &RgbImage, assessment: &Assessment) -> RgbImage {
    let report = &assessment.report;
    let scale = round_u(image.height() as f32 / 400.0).clamp(1, 4);
    let line_h = 9 * scale;
    let lines: Vec<(String, Rgb<u8>)> = std::iter::once((
        format!("VERDICT {}", report.verdict.as_str()),
        colour_of(report.verdict),
    ))
    .chain(report.checks.iter().map(|c| {
        (
            format!(
                "{} {} {}",
                c.id.as_str(),
                c.verdict.as_str(),
                short(c.value)
            ),
            colour_of(c.verdict),
        )
    }))
    .collect();
    let longest = lines
        .iter()
        .map(|(s, _)| s.chars().count())
        .max()
        .unwrap_or(0);
    let panel_w = (longest * 6 + 4) * scale;
    let w = image.width() + u32_of(panel_w);
    let h = image.height().max(u32_of((lines.len() + 1) * line_h));
    let mut out = RgbImage::from_pixel(w, h, PANEL);
    image::imageops::replace(&mut out, image, 0, 0);
    let t = i64::from(u32_of(scale));
    draw(&mut out, assessment, t, 1);
    let x0 = image.width() as usize + 2 * scale;
    for (i, (text, colour)) in lines.iter().enumerate() {
        text_at(
            &mut out,
            x0,
            (i + 1) * line_h - 7 * scale,
            text,
            *colour,
            scale,
        );
    }
    out
}

/// Draws the face boxes, eye centres, full-frontal crop (the ICAO crop frame) and the eye,
/// crown, chin and centre lines over `image` itself, its size unchanged; lines are thicker on
/// larger images (2 px at 640 wide), so that they stay visible when the frame is shown scaled.
pub fn overlay(image: &mut RgbImage, assessment: &Assessment) {
    let t = i64::from(u32_of(round_u(image.width() as f32 / 320.0).clamp(1, 4)));
    draw(image, assessment, t, t);
}

/// The drawing shared by [`annotate`] and [`overlay`]: boxes and marks `t` pixels thick, guide
/// lines `guide` pixels thick.
fn draw(out: &mut RgbImage, assessment: &Assessment, t: i64, guide: i64) {
    for (i, f) in assessment.report.faces.iter().enumerate() {
        let [x, y, bw, bh] = f.bbox;
        let c = if i == 0 { GREEN } else { RED };
        rect(out, x, y, bw, bh, c, t);
        cross(out, f.left_eye.x, f.left_eye.y, c, 3 * t);
        cross(out, f.right_eye.x, f.right_eye.y, c, 3 * t);
    }
    if let Some(s) = &assessment.subject {
        let g = &s.geometry;
        let r = &g.full_frontal;
        rect(out, r.x, r.y, r.w, r.h, BLUE, t);
        let (x0, x1) = (r.x, r.right());
        hline(out, x0, x1, g.eyes.right.y.min(g.eyes.left.y), CYAN, guide);
        hline(out, x0, x1, g.crown_y, CYAN, guide);
        hline(out, x0, x1, g.chin_y, CYAN, guide);
        vline(out, g.mid.x, r.y, r.bottom(), CYAN, guide);
        let (a, b) = (g.eyes.right, g.eyes.left);
        for d in 0..guide {
            let d = d as f32;
            line(out, a.x, a.y + d, b.x, b.y + d, GREEN);
        }
    }
}

fn short(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn colour_of(v: Verdict) -> Rgb<u8> {
    match v {
        Verdict::Pass => GREEN,
        Verdict::Warn => AMBER,
        Verdict::Fail => RED,
    }
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y))
        && let Some(p) = img.get_pixel_mut_checked(x, y)
    {
        *p = c;
    }
}

fn to_i(v: f32) -> i64 {
    floor_i(v + 0.5) as i64
}

fn hline(img: &mut RgbImage, x0: f32, x1: f32, y: f32, c: Rgb<u8>, t: i64) {
    for x in to_i(x0)..=to_i(x1) {
        for d in 0..t {
            put(img, x, to_i(y) + d, c);
        }
    }
}

fn vline(img: &mut RgbImage, x: f32, y0: f32, y1: f32, c: Rgb<u8>, t: i64) {
    for y in to_i(y0)..=to_i(y1) {
        for d in 0..t {
            put(img, to_i(x) + d, y, c);
        }
    }
}

fn rect(img: &mut RgbImage, x: f32, y: f32, w: f32, h: f32, c: Rgb<u8>, t: i64) {
    hline(img, x, x + w, y, c, t);
    hline(img, x, x + w, y + h, c, t);
    vline(img, x, y, y + h, c, t);
    vline(img, x + w, y, y + h, c, t);
}

fn cross(img: &mut RgbImage, x: f32, y: f32, c: Rgb<u8>, r: i64) {
    let (x, y) = (to_i(x), to_i(y));
    for d in -r..=r {
        put(img, x + d, y, c);
        put(img, x, y + d, c);
    }
}

fn line(img: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb<u8>) {
    let n = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0);
    let steps = round_u(n);
    for i in 0..=steps {
        let t = i as f32 / n;
        put(img, to_i(x0 + (x1 - x0) * t), to_i(y0 + (y1 - y0) * t), c);
    }
}

fn text_at(img: &mut RgbImage, x: usize, y: usize, s: &str, c: Rgb<u8>, scale: usize) {
    let (x, y, scale) = (x as i64, y as i64, scale as i64);
    for (i, ch) in s.chars().enumerate() {
        let gx = x + i as i64 * 6 * scale;
        for (row, bits) in glyph(ch).iter().enumerate() {
            for col in 0..5i64 {
                if bits & (0x10 >> col) != 0 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            put(img, gx + col * scale + dx, y + row as i64 * scale + dy, c);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;
    use crate::face::{FaceAssessor, ImageLimits, decode};
    use image::imageops;
    use permitkit_model::profiles::quality::QualityProfile;

    const GREY: Rgb<u8> = Rgb([200, 200, 200]);

    /// A 640×480 preview of the simulated camera's framing: the public-domain neutral portrait
    /// of testdata/sim at 1.5×, on a plain grey background.
    fn preview() -> RgbImage {
        let head = decode(
            include_bytes!("../../../../testdata/sim/portrait-neutral.jpg"),
            ImageLimits::default(),
        )
        .unwrap();
        let (w, h) = head.dimensions();
        let head = imageops::resize(&head, w * 3 / 2, h * 3 / 2, imageops::FilterType::Triangle);
        let mut frame = RgbImage::from_pixel(640, 480, GREY);
        imageops::overlay(&mut frame, &head, 170, 60);
        frame
    }

    fn count(img: &RgbImage, c: Rgb<u8>) -> usize {
        img.pixels().filter(|p| **p == c).count()
    }

    #[test]
    fn the_overlay_draws_the_face_box_the_eye_line_and_the_crop_on_the_frame_itself() {
        let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
        let frame = preview();
        let assessment = gate.assess(&frame);
        let s = assessment.subject.unwrap();
        let mut drawn = frame.clone();
        overlay(&mut drawn, &assessment);
        assert_eq!(drawn.dimensions(), frame.dimensions(), "no panel added");
        // The crop frame: its left edge is blue, 2 px thick at 640 wide (where no guide line
        // crosses it).
        let r = s.geometry.full_frontal;
        let (x0, y0, y1) = (to_i(r.x), to_i(r.y), to_i(r.bottom()));
        let on_edge = |dx: i64| {
            (y0..=y1)
                .filter_map(|y| {
                    let (x, y) = (u32::try_from(x0 + dx).ok()?, u32::try_from(y).ok()?);
                    drawn.get_pixel_checked(x, y)
                })
                .collect::<Vec<_>>()
        };
        for dx in 0..2 {
            let edge = on_edge(dx);
            let blue = edge.iter().filter(|p| ***p == BLUE).count();
            assert!(
                !edge.is_empty() && blue * 10 >= edge.len() * 9,
                "{blue} of {} pixels of the crop's left edge (+{dx}) are blue",
                edge.len()
            );
        }
        assert!(count(&drawn, BLUE) > 400, "the crop frame is drawn");
        assert!(count(&drawn, GREEN) > 200, "the subject's box and eye line");
        assert!(count(&drawn, CYAN) > 200, "the guide lines");
        // Between the eyes, on the eye line.
        let mid =
            s.geometry.eyes.right.x + (s.geometry.eyes.left.x - s.geometry.eyes.right.x) / 2.0;
        let ey = s.geometry.eyes.right.y + (s.geometry.eyes.left.y - s.geometry.eyes.right.y) / 2.0;
        let near = (-2..=2).any(|d| {
            drawn.get_pixel_checked(u32_of(round_u(mid)), u32_of(round_u(ey + d as f32)))
                == Some(&GREEN)
        });
        assert!(near, "the eye line joins the eyes");
        // Away from every mark the frame is untouched.
        assert_eq!(drawn.get_pixel(2, 470), frame.get_pixel(2, 470));
    }

    #[test]
    fn without_a_face_the_overlay_leaves_the_frame_as_it_is() {
        let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
        let frame = RgbImage::from_pixel(640, 480, GREY);
        let assessment = gate.assess(&frame);
        let mut drawn = frame.clone();
        overlay(&mut drawn, &assessment);
        assert_eq!(drawn, frame);
    }
}
