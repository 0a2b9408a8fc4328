//! WSQ encode and decode speed, and the reference implementation on the same images.
//!
//! `cargo bench --bench wsq` times this codec with criterion on fingerprint-like images of
//! 500×500 and 800×750 pixels (tests/support/fingerprints.rs), then times NIST NBIS 5.0 on the
//! same pixels through tests/support/nbis_wsq.py: the PyPI package `wsq` calls NBIS's C
//! `wsq_encode_mem` / `wsq_decode_mem` once per Python call, and Python's `perf_counter` measures
//! a loop of calls (at least 3 s per operation after a warm-up call). The only work around the C
//! code is the call itself and one buffer copy of the result; the script prints `copy_ms`, the
//! time of a Python call that copies a pixel buffer, as an upper bound of that overhead.
//! The NBIS timings run only under `cargo bench` (not in `cargo test --all-targets`) and are
//! skipped with a notice when the package is missing (`.ci/install-deps` installs it).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "../tests/support/fingerprints.rs"]
mod fingerprints;

use std::{hint::black_box, path::Path, process::Command};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use image::GrayImage;
use permitkit_biometrics::wsq::{self, EncodeOptions};

fn images() -> Vec<(String, GrayImage)> {
    [(500, 500, 1), (800, 750, 5)]
        .into_iter()
        .map(|(w, h, seed)| (format!("{w}x{h}"), fingerprints::ridge_image(w, h, seed)))
        .collect()
}

fn codec(c: &mut Criterion) {
    let options = EncodeOptions::default();
    let mut group = c.benchmark_group("wsq");
    for (name, image) in images() {
        let data = wsq::encode(&image, &options).unwrap();
        group.throughput(Throughput::Elements(u64::from(
            image.width() * image.height(),
        )));
        group.bench_with_input(
            BenchmarkId::new("encode_0.75bpp", &name),
            &image,
            |b, img| b.iter(|| wsq::encode(black_box(img), &options).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("decode", &name), &data, |b, d| {
            b.iter(|| wsq::decode(black_box(d)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, codec);

/// NBIS on the same images, printed after criterion's own figures.
fn nbis_reference() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/nbis_wsq.py");
    let dir = tempfile::tempdir().unwrap();
    for (name, image) in images() {
        let raw = dir.path().join(format!("{name}.raw"));
        std::fs::write(&raw, image.as_raw()).unwrap();
        let output = Command::new("python3")
            .arg(&script)
            .args(["bench", raw.to_str().unwrap()])
            .args([image.width().to_string(), image.height().to_string()])
            .arg("3")
            .output();
        match output {
            Ok(out) if out.status.success() => {
                println!(
                    "wsq/nbis-5.0/{name}: {}",
                    String::from_utf8_lossy(&out.stdout).trim()
                );
            }
            Ok(out) => {
                println!(
                    "wsq/nbis-5.0/{name}: skipped: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                return;
            }
            Err(e) => {
                println!(
                    "wsq/nbis-5.0: skipped, python3 not runnable ({e}): run .ci/install-deps \
                     (pip install wsq)"
                );
                return;
            }
        }
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--bench") {
        nbis_reference();
    }
}
