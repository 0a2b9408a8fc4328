//! Fingerprint benchmarks: synthetic print generation (400 × 500 and 800 × 750) and quality
//! scoring of a 500 × 500 print. `cargo bench --bench finger`
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use permitkit_quality::finger::assess;
use permitkit_synth::{Condition, FingerprintSpec, MasterFinger, generate};
use std::hint::black_box;

fn synth(c: &mut Criterion) {
    let mut g = c.benchmark_group("finger_synth");
    g.sample_size(10);
    g.bench_function("generate_400x500", |b| {
        b.iter(|| generate(black_box(&FingerprintSpec::new(42))).unwrap())
    });
    g.bench_function("generate_800x750", |b| {
        b.iter(|| generate(black_box(&FingerprintSpec::new(42).with_size(800, 750))).unwrap())
    });
    let master = MasterFinger::new(42, None, 400, 500).unwrap();
    g.bench_function("impression_400x500", |b| {
        b.iter(|| master.impression(black_box(Condition::Normal), 1))
    });
    g.finish();
}

fn quality(c: &mut Criterion) {
    let img = generate(&FingerprintSpec::new(42).with_size(500, 500)).unwrap();
    let mut g = c.benchmark_group("finger_quality");
    g.sample_size(20);
    g.bench_function("assess_500x500", |b| {
        b.iter(|| assess(black_box(&img), 500).unwrap())
    });
    g.finish();
}

criterion_group!(benches, synth, quality);
criterion_main!(benches);
