//! Prints the fingerprint quality measures of generated prints, per capture condition, to
//! calibrate the anchors and flag thresholds in `quality::finger::score`.
//!
//! `cargo run --release --example finger_calibration -- [SEEDS]`
use permitkit_quality::finger::assess;
use permitkit_synth::{Condition, FingerprintSpec, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20);
    println!(
        "{:<13} {:>4} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6} {:>5} {:>6} {:>5} {:>4}  flags",
        "condition",
        "seed",
        "score",
        "ocl",
        "lcs",
        "fda",
        "rvu",
        "of",
        "sharp",
        "ctr",
        "ratio",
        "mmb",
        "mm2"
    );
    for condition in Condition::all() {
        for seed in 0..seeds {
            let img = generate(&FingerprintSpec::new(seed).with_condition(condition))?;
            let q = assess(&img, 500)?;
            let m = &q.measures;
            let flags: Vec<&str> = q.flags.iter().map(|f| f.name()).collect();
            println!(
                "{:<13} {:>4} {:>5} {:>5.2} {:>5.2} {:>5.2} {:>5.2} {:>6.3} {:>6.3} {:>5.0} {:>6.2} {:>5.0} {:>4.0}  {}",
                condition.name(),
                seed,
                q.score,
                m.ocl,
                m.lcs,
                m.fda,
                m.rvu,
                m.of,
                m.sharpness,
                m.contrast,
                m.ridge_valley_ratio,
                m.mean_brightness,
                m.foreground_mm2,
                flags.join(",")
            );
        }
    }
    Ok(())
}
