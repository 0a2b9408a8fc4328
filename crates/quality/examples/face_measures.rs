//! Prints, for portraits of `testdata/images`, every face check with its value and verdict, the
//! raw landmark measures behind the new checks (eye and mouth opening, smile, pose, background),
//! the time of the assessment, of one face-mesh run and of the model load. This is how the
//! thresholds of `hardware-profiles/quality/icao-portrait.toml` marked "calibrated" were read:
//!
//! ```sh
//! cargo run --release -p permitkit-quality --example face_measures -- astronaut.png obama.jpg
//! ```
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "example: an unexpected value stops it loudly"
)]

use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::face::{
    FaceAssessor, ImageLimits, ModelSet, background, decode, expression, glasses,
    models::MESH_SIDE, occlusion, raster::Plane,
};

fn main() {
    let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
    let models = ModelSet::embedded().unwrap();
    println!("model load {:.0} ms", models.load_ms());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/images/");
    for name in std::env::args().skip(1) {
        let bytes = std::fs::read(format!("{dir}{name}")).expect("a file of testdata/images");
        let img = decode(&bytes, ImageLimits::default()).unwrap();
        let t = std::time::Instant::now();
        let a = gate.assess(&img);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = std::time::Instant::now();
        let _ = models.mesh(vec![0.5; 3 * MESH_SIDE * MESH_SIDE]);
        let mesh_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{name} {}x{}: assessment {ms:.1} ms (one mesh run {mesh_ms:.1} ms)",
            img.width(),
            img.height()
        );
        if let (Some(lm), Some(s)) = (&a.landmarks, &a.subject) {
            let g = &s.geometry;
            println!(
                "  eyes R ({:.1}, {:.1}) L ({:.1}, {:.1}), IED {:.1}, yaw {:.1}, pitch {:.1}, roll {:.1}, presence {:.3}",
                lm.right_eye.x,
                lm.right_eye.y,
                lm.left_eye.x,
                lm.left_eye.y,
                g.ied,
                g.yaw_degrees,
                g.pitch_degrees,
                g.roll_degrees,
                lm.presence
            );
            let luma = Plane::luma(&img);
            println!("  {:?}", expression::measure(lm, &luma, g.ied));
            println!("  {:?}", glasses::measure(&luma, lm, g.ied));
            println!("  {:?}", occlusion::covering(&img, &luma, lm, g));
            println!("  {:?}", background::measure(&img, &luma, g));
            // The eye, glasses and covering measures' own cost (mean of 50 runs each).
            let time = |f: &dyn Fn()| {
                let t = std::time::Instant::now();
                for _ in 0..50 {
                    f();
                }
                t.elapsed().as_secs_f64() * 1000.0 / 50.0
            };
            println!(
                "  eye and mouth measures {:.3} ms, glasses {:.3} ms, head covering {:.3} ms",
                time(&|| {
                    std::hint::black_box(expression::measure(lm, &luma, g.ied));
                }),
                time(&|| {
                    std::hint::black_box(glasses::measure(&luma, lm, g.ied));
                }),
                time(&|| {
                    std::hint::black_box(occlusion::covering(&img, &luma, lm, g));
                })
            );
        }
        for c in &a.report.checks {
            println!("    {} {} {:.3} {}", c.id, c.verdict, c.value, c.message);
        }
    }
}
