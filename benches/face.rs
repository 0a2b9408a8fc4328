//! Portrait quality speed (single thread): full assessment of a 1920×1080 still (goal ≤ 50 ms),
//! preview assessment of 640×480 frames (goal ≥ 30 fps, i.e. ≤ 33 ms), crop + JPEG to a
//! 20 000-byte budget (goal ≤ 30 ms). The frames are the public-domain astronaut portrait from
//! testdata/images placed on a plain background at webcam framing.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::face::{FaceAssessor, PortraitRequest, PortraitType, encode};

#[path = "../tests/support/face_frames.rs"]
mod face_frames;
use face_frames::frame;

fn bench(c: &mut Criterion) {
    let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
    let still = frame(1920, 1080, 1080);
    let preview = frame(640, 480, 480);
    assert!(
        gate.assess(&still).subject.is_some(),
        "the benchmark still has a face"
    );
    assert!(
        gate.assess(&preview).subject.is_some(),
        "the benchmark preview has a face"
    );
    c.bench_function("assess 1920x1080 still", |b| {
        b.iter(|| gate.assess(black_box(&still)))
    });
    c.bench_function("assess 640x480 preview", |b| {
        b.iter(|| gate.assess(black_box(&preview)))
    });
    let s = gate.assess(&still).subject.unwrap();
    let profile = gate.profile().clone();
    let report = gate.assess(&still).report;
    c.bench_function("crop + JPEG to 20000 bytes (full frontal)", |b| {
        b.iter(|| {
            encode::to_budget(
                black_box(&still),
                &s.geometry,
                PortraitType::FullFrontal,
                20_000,
                &profile,
                report.clone(),
            )
            .unwrap()
        })
    });
    let _ = PortraitRequest::default();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
