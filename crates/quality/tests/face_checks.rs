//! Each of the eye, covering and glasses checks against images that fail it alone: the
//! neutral portrait of the labelled set (`testdata/sim/portrait-neutral.jpg` laid on a grey
//! frame as the simulated camera composes it) with one change of
//! `face_calibration/perturb.rs`; the changed image must fail that check and nothing the
//! untouched portrait passes.
//!
//! ```sh
//! cargo test -p permitkit-quality --test face_checks
//! ```
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "face_calibration/perturb.rs"]
mod perturb;

use std::collections::BTreeSet;

use image::{Rgb, RgbImage, imageops};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::Verdict;
use permitkit_quality::face::{Assessment, CheckId, FaceAssessor, FaceReport, ImageLimits, decode};

/// The neutral base of the labelled set: enlarged 3× and laid at (340, 120) on a 1280 × 960
/// grey frame (`testdata/face-calibration/labels.toml`).
fn neutral() -> RgbImage {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/sim/portrait-neutral.jpg"
    );
    let img = decode(&std::fs::read(path).unwrap(), ImageLimits::default()).unwrap();
    let (w, h) = img.dimensions();
    let big = imageops::resize(&img, w * 3, h * 3, imageops::FilterType::Triangle);
    let mut frame = RgbImage::from_pixel(1280, 960, Rgb([200, 200, 200]));
    imageops::overlay(&mut frame, &big, 340, 120);
    frame
}

fn gate(clear_glasses_allowed: bool) -> FaceAssessor {
    let mut p = QualityProfile::builtin_default().unwrap();
    p.checks.glasses.clear_allowed = clear_glasses_allowed;
    FaceAssessor::new(p).unwrap()
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

/// Applies `change` to the neutral portrait and asserts that `check` fails and, among the
/// checks the untouched portrait does not fail, nothing else but the `related` ones the change
/// touches by construction; returns the report.
fn fails_alone(
    gate: &mut FaceAssessor,
    base: &RgbImage,
    a: &Assessment,
    (change, amount): (&str, &[f64]),
    check: CheckId,
    related: &[CheckId],
) -> FaceReport {
    let before = failing(&a.report);
    let image = perturb::apply(base, a, change, amount);
    let r = gate.assess(&image).report;
    let new: BTreeSet<CheckId> = failing(&r).difference(&before).copied().collect();
    assert!(
        new.contains(&check),
        "{change} {amount:?}: expected {check} to fail\n{}",
        show(&r)
    );
    let unrelated: Vec<_> = new
        .iter()
        .filter(|c| **c != check && !related.contains(c))
        .collect();
    assert!(
        unrelated.is_empty(),
        "{change} {amount:?}: {unrelated:?} failed besides {check}\n{}",
        show(&r)
    );
    r
}

#[test]
fn the_untouched_portrait_passes_the_eye_covering_and_glasses_checks() {
    let mut g = gate(false);
    let r = g.assess(&neutral()).report;
    for id in [
        CheckId::EyesOpen,
        CheckId::EyesVisible,
        CheckId::Glasses,
        CheckId::HeadCovering,
    ] {
        assert_eq!(
            r.check(id).map(|c| c.verdict),
            Some(Verdict::Pass),
            "{id}\n{}",
            show(&r)
        );
    }
}

#[test]
fn closed_eyes_fail_eyes_open_alone() {
    let mut g = gate(false);
    let base = neutral();
    let a = g.assess(&base);
    // A shut eye is not a visible eye either: eyes-visible may fail with it.
    let related = [CheckId::EyesVisible];
    let r = fails_alone(
        &mut g,
        &base,
        &a,
        ("closed-eyes", &[1.0, 0.0]),
        CheckId::EyesOpen,
        &related,
    );
    assert!(r.check(CheckId::EyesOpen).unwrap().message.contains("eyes"));
    let r = fails_alone(
        &mut g,
        &base,
        &a,
        ("closed-eyes", &[1.0, 1.0]),
        CheckId::EyesOpen,
        &related,
    );
    let msg = &r.check(CheckId::EyesOpen).unwrap().message;
    assert!(msg.contains("right eye"), "{msg}");
}

#[test]
fn caps_and_scarves_fail_head_covering_alone() {
    let mut g = gate(false);
    let base = neutral();
    let a = g.assess(&base);
    // A black and a white cap (the colours of hair), and a dark headscarf.
    for amount in [
        [25.0, 25.0, 28.0, 0.0],
        [240.0, 240.0, 235.0, 1.0],
        [35.0, 40.0, 70.0, 2.0],
    ] {
        fails_alone(
            &mut g,
            &base,
            &a,
            ("cap", &amount),
            CheckId::HeadCovering,
            &[],
        );
    }
}

#[test]
fn frames_reflections_and_tints_fail_glasses_alone() {
    let mut strict = gate(false);
    let base = neutral();
    let a = strict.assess(&base);
    let mut glasses = |amount: &[f64], related: &[CheckId]| {
        fails_alone(
            &mut strict,
            &base,
            &a,
            ("glasses", amount),
            CheckId::Glasses,
            related,
        )
    };
    let r = glasses(&[0.02, 1.0, 0.0], &[]);
    let msg = &r.check(CheckId::Glasses).unwrap().message;
    assert!(msg.contains("take off the glasses"), "{msg}");
    // The reflection crosses the iris: the eye's dark band may break (eyes-open, as a person
    // would not tell either).
    let r = glasses(&[0.0, 1.0, 1.0], &[CheckId::EyesOpen]);
    let msg = &r.check(CheckId::Glasses).unwrap().message;
    assert!(msg.contains("reflection"), "{msg}");
    let r = glasses(&[0.0, 0.72, 0.0], &[]);
    let msg = &r.check(CheckId::Glasses).unwrap().message;
    assert!(msg.contains("tinted"), "{msg}");
}

#[test]
fn clear_glasses_only_warn_where_the_profile_allows_them() {
    let mut allowing = gate(true);
    let base = neutral();
    let a = allowing.assess(&base);
    let image = perturb::apply(&base, &a, "glasses", &[0.02, 1.0, 0.0]);
    let r = allowing.assess(&image).report;
    let c = r.check(CheckId::Glasses).unwrap();
    assert_eq!(c.verdict, Verdict::Warn, "{}", show(&r));
    // A reflection still fails.
    let image = perturb::apply(&base, &a, "glasses", &[0.02, 1.0, 1.0]);
    let r = allowing.assess(&image).report;
    assert_eq!(
        r.check(CheckId::Glasses).unwrap().verdict,
        Verdict::Fail,
        "{}",
        show(&r)
    );
}
