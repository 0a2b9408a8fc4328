//! Times the portrait assessment on the benchmark frames of `benches/face.rs` (the public-domain
//! astronaut portrait on a plain background: a 1920×1080 still and a 640×480 preview), for
//! profiling with `perf record` or `valgrind --tool=callgrind` without building the whole
//! workspace:
//!
//! ```sh
//! cargo build --release -p permitkit-quality --example face_speed
//! perf record -g target/release/examples/face_speed still 50
//! ```
//!
//! It prints the median and best time of `n` assessments, the model load time and the peak
//! resident memory before and after the load.
#![expect(
    clippy::unwrap_used,
    reason = "example: an unexpected value stops it loudly"
)]

use std::hint::black_box;
use std::time::Instant;

use image::{Rgb, RgbImage, imageops};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::face::{FaceAssessor, ImageLimits, ModelSet, decode};

/// A `width` × `height` frame with the portrait scaled to `side`, centred at the top (as
/// `tests/support/face_frames.rs` builds the benchmark's frames).
fn frame(width: u32, height: u32, side: u32) -> RgbImage {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/images/astronaut.png"
    ))
    .unwrap();
    let a = decode(&bytes, ImageLimits::default()).unwrap();
    let a = imageops::resize(&a, side, side, imageops::FilterType::Lanczos3);
    let mut f = RgbImage::from_pixel(width, height, Rgb([200, 200, 205]));
    imageops::replace(&mut f, &a, i64::from((width - side.min(width)) / 2), 0);
    f
}

/// Peak resident set size of this process in KiB (Linux `/proc/self/status`, `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this process has used, in milliseconds (Linux `/proc/self/stat`, user plus
/// system clock ticks at the usual 100 Hz). Unlike wall time it does not grow when other
/// processes share the cores, so it is the "on one core" cost even on a busy machine.
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "still".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let before = peak_rss_kib();
    let t = Instant::now();
    let models = ModelSet::embedded().unwrap();
    let after = peak_rss_kib();
    println!(
        "model load {:.0} ms (parse and optimise {:.0} ms), peak RSS {:?} KiB before, {:?} KiB after",
        t.elapsed().as_secs_f64() * 1000.0,
        models.load_ms(),
        before,
        after
    );
    let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
    let image = match op.as_str() {
        "preview" => frame(640, 480, 480),
        _ => frame(1920, 1080, 1080),
    };
    let a = gate.assess(&image);
    assert!(a.subject.is_some(), "the frame has a face");
    let cpu_start = process_cpu_ms();
    let wall = Instant::now();
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            black_box(gate.assess(black_box(&image)));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let wall_ms = wall.elapsed().as_secs_f64() * 1000.0;
    let cpu_ms = process_cpu_ms()
        .zip(cpu_start)
        .map(|(end, start)| end - start);
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    let best = times.first().copied().unwrap_or(f64::NAN);
    println!(
        "{op} {}x{}: median {median:.1} ms, best {best:.1} ms over {n}",
        image.width(),
        image.height()
    );
    if let Some(cpu) = cpu_ms {
        println!(
            "CPU time {:.1} ms per assessment ({:.0} % of the wall time: the rest is waiting \
             for a core)",
            cpu / n as f64,
            100.0 * cpu / wall_ms
        );
    }
}
