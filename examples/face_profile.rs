//! Runs one portrait-quality operation of `benches/face.rs` a given number of times, for
//! instruction-count profiling, which (unlike wall-clock time) does not depend on the machine's
//! load:
//!
//! ```sh
//! cargo build --release --example face_profile
//! valgrind --tool=callgrind --toggle-collect='*face_profile*run*' \
//!     target/release/examples/face_profile still 5
//! ```
//!
//! Operations: `still` (assess a 1920×1080 still), `preview` (assess a 640×480 frame),
//! `budget` (crop + JPEG to 20 000 bytes). The frames are built exactly as the benchmark
//! builds them.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::hint::black_box;

use image::RgbImage;

use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::face::{Assessment, FaceAssessor, PortraitType, encode};

#[path = "../tests/support/face_frames.rs"]
mod face_frames;
use face_frames::frame;

/// The measured operation, kept out of line so that callgrind can toggle on it.
#[inline(never)]
fn run(
    op: &str,
    gate: &mut FaceAssessor,
    still: &RgbImage,
    preview: &RgbImage,
    assessment: &Assessment,
    n: usize,
) {
    match op {
        "still" => {
            for _ in 0..n {
                black_box(gate.assess(black_box(still)));
            }
        }
        "preview" => {
            for _ in 0..n {
                black_box(gate.assess(black_box(preview)));
            }
        }
        "budget" => {
            let subject = assessment.subject.expect("the still has a face");
            let profile = gate.profile().clone();
            for _ in 0..n {
                black_box(
                    encode::to_budget(
                        black_box(still),
                        &subject.geometry,
                        PortraitType::FullFrontal,
                        20_000,
                        &profile,
                        assessment.report.clone(),
                    )
                    .unwrap(),
                );
            }
        }
        other => panic!("unknown operation {other:?}: still, preview or budget"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "still".into());
    let n: usize = args.next().map_or(1, |s| s.parse().expect("a count"));
    let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
    let still = frame(1920, 1080, 1080);
    let preview = frame(640, 480, 480);
    // Warm-up outside the measured function (model parse, first allocations).
    let assessment = gate.assess(&still);
    let r = &assessment.report;
    println!("still: {} faces, verdict {}", r.faces.len(), r.verdict);
    run(&op, &mut gate, &still, &preview, &assessment, n);
}
