//! L0/L1 tests of the portrait quality gate on public-domain / CC0 portraits shipped inside
//! packages (testdata/images/SOURCES) and labelled variants derived from them: each variant must
//! get the expected verdict on the expected check, and the untouched portrait no false failure.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]
#![expect(
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "support/cli.rs"]
mod cli;
#[path = "face_quality/support.rs"]
mod support;

use cli::permitkit;

use std::collections::BTreeSet;

use image::{RgbImage, imageops};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::Verdict;
use permitkit_quality::face::{
    CheckId, FaceAssessor, FaceError, FaceReport, ImageLimits, Point, PortraitRequest,
    PortraitType, decode,
};
use support::*;

fn gate() -> FaceAssessor {
    FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap()
}

fn failing(r: &FaceReport) -> BTreeSet<CheckId> {
    r.checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.id)
        .collect()
}

fn show(r: &FaceReport) -> String {
    r.checks
        .iter()
        .map(|c| format!("{} {} {:.3} {}\n", c.id, c.verdict, c.value, c.message))
        .collect()
}

/// Hand-measured eye centres (image pixels; see testdata/images/SOURCES for how).
const ASTRONAUT_RIGHT_EYE: Point = Point { x: 203.5, y: 100.5 };
const ASTRONAUT_LEFT_EYE: Point = Point { x: 246.5, y: 102.0 };
const HOPPER_RIGHT_EYE: Point = Point { x: 52.5, y: 42.5 };
const HOPPER_LEFT_EYE: Point = Point { x: 73.5, y: 42.0 };

fn assert_near(found: [f32; 2], want: Point, tol: f32, what: &str) {
    let d = (found[0] - want.x).hypot(found[1] - want.y);
    assert!(
        d <= tol,
        "{what}: found {found:?}, hand-measured {want:?}, off by {d:.1} px > {tol}"
    );
}

#[test]
fn eye_centres_match_hand_measurements() {
    let mut g = gate();
    // Tolerance: 3 px at IED ≈ 43 (7 %), 2 px at IED ≈ 21 (hopper's irises are 3 px wide).
    let r = g.assess(&load("astronaut.png")).report;
    assert_eq!(r.faces.len(), 1);
    let f = &r.faces[0];
    let (l, rr) = (f.left_eye, f.right_eye);
    assert_near(
        [rr.x, rr.y],
        ASTRONAUT_RIGHT_EYE,
        3.0,
        "astronaut right eye",
    );
    assert_near([l.x, l.y], ASTRONAUT_LEFT_EYE, 3.0, "astronaut left eye");
    let r = g.assess(&load("hopper.png")).report;
    let f = &r.faces[0];
    assert_near(
        [f.right_eye.x, f.right_eye.y],
        HOPPER_RIGHT_EYE,
        2.0,
        "hopper right eye",
    );
    assert_near(
        [f.left_eye.x, f.left_eye.y],
        HOPPER_LEFT_EYE,
        2.0,
        "hopper left eye",
    );
    // Enlarged 2.5×: the hand measurements scale with the image (6 px at IED ≈ 110).
    let r = g.assess(&astronaut_large()).report;
    let f = &r.faces[0];
    let scale = |p: Point| Point {
        x: (p.x + 0.5) * 2.5 - 0.5,
        y: (p.y + 0.5) * 2.5 - 0.5,
    };
    assert_near(
        [f.right_eye.x, f.right_eye.y],
        scale(ASTRONAUT_RIGHT_EYE),
        6.0,
        "portrait right eye",
    );
    assert_near(
        [f.left_eye.x, f.left_eye.y],
        scale(ASTRONAUT_LEFT_EYE),
        6.0,
        "portrait left eye",
    );
}

#[test]
fn untouched_portrait_has_no_false_failure() {
    let r = gate().assess(&portrait()).report;
    assert_ne!(r.verdict, Verdict::Fail, "{}", show(&r));
    assert_eq!(r.checks.len(), CheckId::ALL.len());
    let ied = r.inter_eye_distance.unwrap();
    assert!((120.0..140.0).contains(&ied), "IED {ied}");
    assert!(r.roll_degrees.unwrap().abs() < 3.0);
    // The small original fails only on what is really wrong with it: too few pixels between
    // the eyes, and a smile with parted lips (ICAO, 19794-5 §7.2: neutral, mouth closed).
    let r = gate().assess(&load("astronaut.png")).report;
    assert_eq!(
        failing(&r),
        BTreeSet::from([
            CheckId::InterEyeDistance,
            CheckId::MouthClosed,
            CheckId::Expression
        ]),
        "{}",
        show(&r)
    );
}

/// `(label, variant, expected check, expected verdict)`.
fn variants() -> Vec<(&'static str, RgbImage, CheckId, Verdict)> {
    let p = portrait();
    let (w, h) = p.dimensions();
    let mut v = vec![
        (
            "rotated 12°",
            rotate(&p, 12.0),
            CheckId::Roll,
            Verdict::Fail,
        ),
        (
            "rotated -12°",
            rotate(&p, -12.0),
            CheckId::Roll,
            Verdict::Fail,
        ),
        (
            "rotated 6.5°",
            rotate(&p, 6.5),
            CheckId::Roll,
            Verdict::Warn,
        ),
        (
            "downscaled to IED ≈ 66",
            imageops::resize(&p, w * 6 / 10, h * 6 / 10, imageops::FilterType::Lanczos3),
            CheckId::InterEyeDistance,
            Verdict::Fail,
        ),
        (
            // The eyes 180 px from the left edge: no room for the ICAO crop on that side.
            "off-centre crop",
            imageops::crop_imm(&p, 460, 0, 820, h).to_image(),
            CheckId::Centring,
            Verdict::Fail,
        ),
        (
            "over-exposed",
            map(&p, |_, _, c| c.map(|v| v * 2.0 + 30.0)),
            CheckId::Exposure,
            Verdict::Fail,
        ),
        (
            "under-exposed",
            map(&p, |_, _, c| c.map(|v| v * 0.25)),
            CheckId::Exposure,
            Verdict::Fail,
        ),
        (
            "blurred",
            imageops::blur(&p, 5.0),
            CheckId::Sharpness,
            Verdict::Fail,
        ),
        (
            "heavy JPEG",
            jpeg(&p, 4),
            CheckId::Compression,
            Verdict::Fail,
        ),
        (
            "colour cast",
            map(&p, |_, _, [r, g, b]| [r * 0.7, g * 0.95, b * 1.5 + 20.0]),
            CheckId::Colour,
            Verdict::Fail,
        ),
        (
            "greyscale",
            map(&p, |_, _, [r, g, b]| [0.299 * r + 0.587 * g + 0.114 * b; 3]),
            CheckId::Colour,
            Verdict::Fail,
        ),
        (
            "shadow on the image's left",
            map(&p, |x, _, c| {
                let k = if (x as f32) < 640.0 { 0.55 } else { 1.0 };
                c.map(|v| v * k)
            }),
            CheckId::Illumination,
            Verdict::Fail,
        ),
    ];
    // Background replaced by a busy pattern everywhere above the shoulders outside the head.
    let r = gate().assess(&p);
    let g = r.subject.unwrap().geometry;
    let (mx, my) = (g.mid.x, g.mid.y);
    let busy = map(&p, |x, y, c| {
        let (dx, dy) = (
            (x as f32 - mx) / (g.head_width * 0.62),
            (y as f32 - my) / (g.head_height * 0.62),
        );
        if dx * dx + dy * dy > 1.0 && (y as f32) < my + 0.3 * g.ied {
            let t = ((x / 9 + y / 7) % 2) as f32;
            [40.0 + 180.0 * t, 90.0 + 60.0 * t, 160.0 - 100.0 * t]
        } else {
            c
        }
    });
    v.push(("busy background", busy, CheckId::Background, Verdict::Fail));
    // Occlusions placed from the subject's landmarks.
    let a = gate().assess(&p);
    let lm = a.landmarks.expect("the portrait has landmarks");
    let (re, le) = (lm.right_eye, lm.left_eye);
    let ied = re.distance(le);
    let near = |x: u32, y: u32, c: Point, rx: f32, ry: f32| {
        let (dx, dy) = ((x as f32 - c.x) / rx, (y as f32 - c.y) / ry);
        dx * dx + dy * dy <= 1.0
    };
    v.push((
        "dark lenses",
        map(&p, |x, y, c| {
            if near(x, y, re, 0.42 * ied, 0.3 * ied) || near(x, y, le, 0.42 * ied, 0.3 * ied) {
                [22.0, 24.0, 28.0]
            } else {
                c
            }
        }),
        CheckId::EyesVisible,
        Verdict::Fail,
    ));
    let top = lm.at(10);
    v.push((
        "red cap",
        map(&p, |x, y, c| {
            let (dx, dy) = (
                (x as f32 - top.x) / (1.25 * ied),
                (y as f32 - top.y) / (1.1 * ied),
            );
            if dy < 0.05 && dx * dx + dy * dy <= 1.0 {
                [200.0, 30.0, 40.0]
            } else {
                c
            }
        }),
        CheckId::HeadCovering,
        Verdict::Fail,
    ));
    v
}

#[test]
fn each_variant_fails_on_its_own_check() {
    let mut g = gate();
    let base = failing(&g.assess(&portrait()).report);
    let mut problems = Vec::new();
    for (label, img, id, want) in variants() {
        let r = g.assess(&img).report;
        let got = r.check(id).map(|c| c.verdict);
        if got != Some(want) {
            problems.push(format!(
                "{label}: {id} is {got:?}, expected {want:?}\n{}",
                show(&r)
            ));
            continue;
        }
        // Nothing unrelated fails (a geometric change may also move the crop margins; an
        // exposure error also loses tonal range).
        let related: &[CheckId] = match id {
            // A darkened face loses its colour too; hair clipped to white loses the texture
            // that tells it from a cap.
            CheckId::Exposure => &[
                CheckId::DynamicRange,
                CheckId::Colour,
                CheckId::HeadCovering,
            ],
            // Blur flattens the eye opening; heavy JPEG flattens the tones.
            CheckId::Sharpness => &[CheckId::EyesVisible],
            CheckId::Compression => &[CheckId::DynamicRange],
            // The shadow falls on the background beside the face too.
            CheckId::Illumination => &[CheckId::Background],
            // Covering the eyes also hides their opening; dark lenses are tinted glasses.
            CheckId::EyesVisible => &[CheckId::EyesOpen, CheckId::Glasses],
            _ => &[CheckId::HeadSize, CheckId::Centring],
        };
        let allowed: BTreeSet<CheckId> = base
            .iter()
            .copied()
            .chain([id])
            .chain(related.iter().copied())
            .collect();
        let extra: Vec<_> = failing(&r).difference(&allowed).copied().collect();
        if !extra.is_empty() {
            problems.push(format!(
                "{label}: unexpected failures {extra:?}\n{}",
                show(&r)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn images_without_a_face_fail_single_face() {
    let mut g = gate();
    for name in ["chelsea.png", "coffee.png"] {
        let r = g.assess(&load(name)).report;
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.faces.is_empty(), "{name}: {:?}", r.faces);
        let c = r.check(CheckId::SingleFace).unwrap();
        assert_eq!((c.value, c.verdict), (0.0, Verdict::Fail));
        assert!(c.message.contains("no face"));
        assert!(r.check(CheckId::Roll).is_none());
    }
}

#[test]
fn several_faces_fail_single_face() {
    let mut g = gate();
    // The full group photo, searching down to 40 px faces.
    let group = load("rustface-group.png");
    let r = g.assess_with_min_face(&group, 40.0).report;
    let c = r.check(CheckId::SingleFace).unwrap();
    assert_eq!(c.verdict, Verdict::Fail);
    assert!(c.value >= 10.0, "{}", c.value);
    assert!(c.message.contains("faces in the picture"));
    // A crop holding a few people, with the default profile.
    let few = imageops::crop_imm(&group, 560, 150, 560, 300).to_image();
    let r = g.assess(&few).report;
    assert!(r.faces.len() >= 2, "{:?}", r.faces);
    assert_eq!(r.check(CheckId::SingleFace).unwrap().verdict, Verdict::Fail);
}

#[test]
fn corrupt_truncated_and_huge_images_are_clear_errors() {
    let bytes = std::fs::read(path("hopper.jpg")).unwrap();
    assert!(decode(&bytes, ImageLimits::default()).is_ok());
    // A truncated JPEG may decode (the decoder fills the missing rows) but never panics.
    let _ = decode(&bytes[..bytes.len() / 3], ImageLimits::default());
    let png = std::fs::read(path("hopper.png")).unwrap();
    assert!(matches!(
        decode(&png[..png.len() / 3], ImageLimits::default()),
        Err(FaceError::Decode(_))
    ));
    assert!(matches!(
        decode(b"\x89PNG\r\n", ImageLimits::default()),
        Err(FaceError::Decode(_))
    ));
    let mut flipped = std::fs::read(path("hopper.png")).unwrap();
    for b in flipped.iter_mut().skip(60).step_by(7) {
        *b ^= 0x5a;
    }
    assert!(decode(&flipped, ImageLimits::default()).is_err());
    let bomb = png_claiming(100_000, 100_000);
    let e = decode(&bomb, ImageLimits::default()).unwrap_err();
    assert!(matches!(e, FaceError::TooLarge(_)), "{e}");
    assert!(e.to_string().contains("too large"));
    // Within the side limit but over the allocation limit.
    let e = decode(
        &png_claiming(8000, 8000),
        ImageLimits {
            max_side: 8192,
            max_alloc: 64 << 20,
        },
    )
    .unwrap_err();
    assert!(matches!(e, FaceError::TooLarge(_)), "{e}");
}

#[test]
fn full_frontal_portrait_fits_budget_with_eyes_in_output_pixels() {
    let mut g = gate();
    let accepted = g.prepare(&portrait(), &PortraitRequest::default()).unwrap();
    let p = accepted.sample();
    assert_eq!(p.image_type, PortraitType::FullFrontal);
    assert!(p.jpeg.len() <= 20_000, "{} bytes", p.jpeg.len());
    let ratio = p.height as f32 / p.width as f32;
    assert!((1.25..=1.34).contains(&ratio), "height/width {ratio}");
    let ied = p.left_eye.distance(p.right_eye);
    assert!((90.0..=121.0).contains(&ied), "output IED {ied}");
    let eye_line = (p.left_eye.y + p.right_eye.y) / 2.0 / p.height as f32;
    assert!((0.43..0.47).contains(&eye_line), "eye line at {eye_line}");
    assert!(
        p.left_eye.x > p.right_eye.x,
        "subject's left eye is on the image's right"
    );
    // Independent round trip: decode the JPEG and find the eyes again.
    let out = decode(p.jpeg.expose(), ImageLimits::default()).unwrap();
    assert_eq!(out.dimensions(), (p.width, p.height));
    let again = g.assess(&out).report;
    let f = &again.faces[0];
    assert_near(
        [f.left_eye.x, f.left_eye.y],
        p.left_eye,
        4.0,
        "left eye after the round trip",
    );
    assert_near(
        [f.right_eye.x, f.right_eye.y],
        p.right_eye,
        4.0,
        "right eye after the round trip",
    );
    assert!(
        format!("{p:?}").contains("bytes"),
        "Debug must not print the JPEG"
    );
}

#[test]
fn token_frontal_puts_the_eyes_where_19794_5_says() {
    let mut g = gate();
    let req = PortraitRequest {
        image_type: PortraitType::TokenFrontal,
        max_bytes: Some(15_000),
    };
    let accepted = g.prepare(&portrait(), &req).unwrap();
    let p = accepted.sample();
    let w = p.width as f32;
    assert!(p.width >= 240);
    assert_eq!(p.height, (w / 0.75).round() as u32);
    assert_eq!((p.right_eye.x, p.right_eye.y), (0.375 * w, 0.6 * w));
    assert_eq!((p.left_eye.x, p.left_eye.y), (0.625 * w - 1.0, 0.6 * w));
    assert!(p.jpeg.len() <= 15_000);
    let out = decode(p.jpeg.expose(), ImageLimits::default()).unwrap();
    let f = &g.assess_with_min_face(&out, 60.0).report.faces[0];
    // 6 px ≈ 5.5 % of the IED: the eye locator's own error on a re-sampled image.
    assert_near(
        [f.right_eye.x, f.right_eye.y],
        p.right_eye,
        6.0,
        "token right eye",
    );
    assert_near(
        [f.left_eye.x, f.left_eye.y],
        p.left_eye,
        6.0,
        "token left eye",
    );
}

#[test]
fn rejected_and_impossible_budgets_are_errors() {
    let mut g = gate();
    let e = g
        .prepare(&rotate(&portrait(), 15.0), &PortraitRequest::default())
        .unwrap_err();
    match e {
        FaceError::Rejected(r) => assert!(r.check(CheckId::Roll).unwrap().verdict == Verdict::Fail),
        other => panic!("{other}"),
    }
    let e = g
        .prepare(
            &portrait(),
            &PortraitRequest {
                max_bytes: Some(1500),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            FaceError::Budget {
                max_bytes: 1500,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn report_json_has_the_documented_fields() {
    let r = gate().assess(&portrait()).report;
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert!(["pass", "warn", "fail"].contains(&v["verdict"].as_str().unwrap()));
    let face = &v["faces"][0];
    assert_eq!(face["box"].as_array().unwrap().len(), 4);
    let (l, rr) = (
        face["left_eye"].as_array().unwrap(),
        face["right_eye"].as_array().unwrap(),
    );
    assert!(l[0].as_f64().unwrap() > rr[0].as_f64().unwrap());
    assert!(v["inter_eye_distance"].as_f64().unwrap() > 90.0);
    assert!(v["roll_degrees"].is_number() && v["elapsed_ms"].is_number());
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(ids, want);
    for c in v["checks"].as_array().unwrap() {
        assert!(c["value"].is_number() && c["verdict"].is_string() && c["message"].is_string());
    }
}

/// Median eye error, % of the IED, of the face-mesh landmarks and of the gradient eye finder
/// alone, on the hand-labelled portraits (astronaut, hopper, and the astronaut enlarged 2.5×).
fn eye_errors() -> (f32, f32) {
    use permitkit_quality::face::{eyes, raster::Plane};
    let mut g = gate();
    let scale = |p: Point| Point {
        x: (p.x + 0.5) * 2.5 - 0.5,
        y: (p.y + 0.5) * 2.5 - 0.5,
    };
    let cases = [
        (
            load("astronaut.png"),
            ASTRONAUT_RIGHT_EYE,
            ASTRONAUT_LEFT_EYE,
        ),
        (load("hopper.png"), HOPPER_RIGHT_EYE, HOPPER_LEFT_EYE),
        (
            astronaut_large(),
            scale(ASTRONAUT_RIGHT_EYE),
            scale(ASTRONAUT_LEFT_EYE),
        ),
    ];
    let (mut mesh, mut gradient) = (Vec::new(), Vec::new());
    for (img, right, left) in cases {
        let a = g.assess(&img);
        let s = a.subject.expect("a face");
        let lm = a.landmarks.expect("landmarks");
        let old = eyes::locate(&Plane::luma(&img), &s.face);
        let ied = right.distance(left);
        for (found, want) in [(lm.right_eye, right), (lm.left_eye, left)] {
            mesh.push(100.0 * found.distance(want) / ied);
        }
        for (found, want) in [(old.right, right), (old.left, left)] {
            gradient.push(100.0 * found.distance(want) / ied);
        }
    }
    let median = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    (median(mesh), median(gradient))
}

#[test]
fn landmark_eyes_agree_with_or_beat_the_gradient_eye_finder() {
    let (mesh, gradient) = eye_errors();
    println!("median eye error: face mesh {mesh:.2} % of the IED, gradient finder {gradient:.2} %");
    // No standard sets the figure; 4 % of the IED is about a third of an iris radius.
    assert!(mesh < 4.0, "face mesh eyes off by {mesh:.2} % of the IED");
    assert!(
        mesh <= gradient + 0.25,
        "face mesh {mesh:.2} % worse than the gradient finder {gradient:.2} %"
    );
}

/// Real portraits with the traits they really show (see testdata/images/SOURCES): the checks
/// of expression, mouth, pose and background must see them.
#[test]
fn real_portraits_get_their_labelled_verdicts() {
    let mut g = gate();
    let cases: &[(&str, &[(CheckId, Verdict)])] = &[
        // Smile with parted lips, teeth visible; plain backdrop in the chip frame.
        (
            "astronaut.png",
            &[
                (CheckId::MouthClosed, Verdict::Fail),
                (CheckId::Expression, Verdict::Fail),
                (CheckId::Background, Verdict::Pass),
                (CheckId::EyesOpen, Verdict::Pass),
            ],
        ),
        // Broad smile with teeth, flag and curtains behind.
        (
            "obama.jpg",
            &[
                (CheckId::Expression, Verdict::Fail),
                (CheckId::MouthClosed, Verdict::Fail),
                (CheckId::Background, Verdict::Fail),
                (CheckId::EyesOpen, Verdict::Pass),
                (CheckId::Yaw, Verdict::Pass),
            ],
        ),
        // Speaking (mouth open), head turned to the image's left, flag and a person behind.
        (
            "obama2.jpg",
            &[
                (CheckId::MouthClosed, Verdict::Fail),
                (CheckId::Yaw, Verdict::Fail),
                (CheckId::Background, Verdict::Fail),
                (CheckId::EyesOpen, Verdict::Pass),
            ],
        ),
        // Neutral, mouth closed, curtains and a seal behind, head tilted.
        (
            "biden.jpg",
            &[
                (CheckId::Expression, Verdict::Pass),
                (CheckId::MouthClosed, Verdict::Pass),
                (CheckId::Background, Verdict::Fail),
                (CheckId::Roll, Verdict::Fail),
                (CheckId::EyesOpen, Verdict::Pass),
                (CheckId::EyesVisible, Verdict::Pass),
            ],
        ),
        // A chandelier above the head; chin raised (photographed from below).
        (
            "obama3.jpg",
            &[
                (CheckId::Background, Verdict::Fail),
                (CheckId::Pitch, Verdict::Fail),
                (CheckId::Expression, Verdict::Pass),
            ],
        ),
        // Neutral, mouth closed, clear glasses, flag behind.
        (
            "hopper.png",
            &[
                (CheckId::Expression, Verdict::Pass),
                (CheckId::MouthClosed, Verdict::Pass),
                (CheckId::Background, Verdict::Fail),
                (CheckId::Pitch, Verdict::Pass),
                (CheckId::Yaw, Verdict::Pass),
            ],
        ),
    ];
    let mut problems = Vec::new();
    for (name, want) in cases {
        let r = g.assess(&load(name)).report;
        for (id, v) in *want {
            let got = r.check(*id).map(|c| c.verdict);
            if got != Some(*v) {
                problems.push(format!(
                    "{name}: {id} is {got:?}, expected {v:?}\n{}",
                    show(&r)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- CLI: `photo check`, `photo prepare`, `capture photo` ----

#[test]
fn photo_check_exit_codes_json_and_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("portrait.png");
    portrait().save(&good).unwrap();
    let ann = dir.path().join("annotated.png");
    let out = permitkit(&[
        "photo",
        "check",
        good.to_str().unwrap(),
        "--json",
        "--annotate",
        ann.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(v["verdict"], "fail");
    let annotated = image::open(&ann).unwrap();
    assert!(
        annotated.width() > 1280,
        "the findings panel is beside the image"
    );

    let cat = path("chelsea.png");
    let out = permitkit(&["photo", "check", cat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no face"));

    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();
    let out = permitkit(&["photo", "check", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot decode"));
}

#[test]
fn photo_prepare_writes_a_budgeted_jpeg_or_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("portrait.png");
    portrait().save(&good).unwrap();
    let jpg = dir.path().join("face.jpg");
    let report = dir.path().join("face.json");
    let out = permitkit(&[
        "photo",
        "prepare",
        good.to_str().unwrap(),
        "--out",
        jpg.to_str().unwrap(),
        "--max-bytes",
        "12000",
        "--token",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&jpg).unwrap();
    assert!(bytes.len() <= 12_000 && bytes.starts_with(&[0xFF, 0xD8]));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["output"]["face_image_type_code"], 2);
    let w = v["output"]["width"].as_f64().unwrap();
    assert_eq!(v["output"]["right_eye"][0].as_f64().unwrap(), 0.375 * w);

    let tilted = dir.path().join("tilted.png");
    rotate(&portrait(), 14.0).save(&tilted).unwrap();
    let out = permitkit(&[
        "photo",
        "prepare",
        tilted.to_str().unwrap(),
        "--out",
        jpg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("head tilted"));
}

#[test]
fn capture_photo_waits_for_stable_good_frames_or_times_out() {
    let dir = tempfile::tempdir().unwrap();
    // A session: the applicant is tilted, then sits straight.
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    rotate(&portrait(), 14.0)
        .save(frames.join("01-tilted.png"))
        .unwrap();
    let straight = portrait();
    for i in 2..=6 {
        straight
            .save(frames.join(format!("{i:02}-straight.png")))
            .unwrap();
    }
    let jpg = dir.path().join("face.jpg");
    let sel = format!("still:{}", frames.display());
    let out = permitkit(&[
        "capture",
        "photo",
        "--camera",
        &sel,
        "--out",
        jpg.to_str().unwrap(),
        "--timeout",
        "60",
    ]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains("frame 0: head tilted"),
        "guidance first: {log}"
    );
    assert!(log.contains("good (5/5)"), "{log}");
    assert!(std::fs::read(&jpg).unwrap().len() <= 20_000);

    // Only bad frames: guidance, then a clear timeout and no capture.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    rotate(&portrait(), 14.0)
        .save(bad.join("tilted.png"))
        .unwrap();
    let none = dir.path().join("none.jpg");
    let sel = format!("still:{}", bad.display());
    let out = permitkit(&[
        "capture",
        "photo",
        "--camera",
        &sel,
        "--out",
        none.to_str().unwrap(),
        "--timeout",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("head tilted"), "{err}");
    assert!(err.contains("no acceptable portrait within 3 s"), "{err}");
    assert!(!none.exists());

    let out = permitkit(&[
        "capture",
        "photo",
        "--camera",
        "usb:1",
        "--out",
        none.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad device selector"));
}
