//! Signature benchmarks: the simulator's signature, pen events to strokes, strokes to an
//! 800 × 400 image, a scanned PNG imported, and the DG7 preparation (crop, binarise, scale,
//! JPEG budget search to 400 × 150 / 6000 bytes). `cargo bench --bench signature`
#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{hint::black_box, io::Cursor};

use criterion::{Criterion, criterion_group, criterion_main};
use permitkit_biometrics::signature::prepare;
use permitkit_devices::{
    pen_events::{
        ABS_PRESSURE, ABS_X, ABS_Y, AxisRange, BTN_TOUCH, EV_ABS, EV_KEY, EV_SYN, PenEvent,
        PenSetup, SYN_REPORT, StrokeAssembler,
    },
    signature_image::{ImagePad, SIGNATURE_IMAGE_LIMITS},
    signature_ink::{RenderOptions, render},
    signature_pad::{PadArea, Stroke},
    signature_sim::{SIM_AREA_MM, signature},
};

const AREA: PadArea = PadArea {
    width: SIM_AREA_MM.0,
    height: SIM_AREA_MM.1,
    units_per_mm: Some(1.0),
};

/// The events a 100-units-per-mm pen would send for `strokes`.
fn events(strokes: &[Stroke]) -> Vec<PenEvent> {
    let mut out = Vec::new();
    let ev = |time_us, kind, code, value| PenEvent {
        time_us,
        kind,
        code,
        value,
    };
    for s in strokes {
        for (i, p) in s.points.iter().enumerate() {
            let t = u64::from(p.t_ms) * 1000;
            out.push(ev(t, EV_ABS, ABS_X, (p.x * 100.0) as i32));
            out.push(ev(t, EV_ABS, ABS_Y, (p.y * 100.0) as i32));
            out.push(ev(t, EV_ABS, ABS_PRESSURE, (p.pressure * 2047.0) as i32));
            if i == 0 {
                out.push(ev(t, EV_KEY, BTN_TOUCH, 1));
            }
            out.push(ev(t, EV_SYN, SYN_REPORT, 0));
        }
        let t = u64::from(s.points.last().unwrap().t_ms) * 1000 + 5000;
        out.push(ev(t, EV_KEY, BTN_TOUCH, 0));
        out.push(ev(t, EV_SYN, SYN_REPORT, 0));
    }
    out
}

fn signature_pipeline(c: &mut Criterion) {
    let strokes = signature(42, 0);
    let image = render(&strokes, AREA, &RenderOptions::default());
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(image.clone())
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let events = events(&strokes);
    let setup = PenSetup {
        x: AxisRange {
            min: 0,
            max: 10_000,
            resolution: 100,
        },
        y: AxisRange {
            min: 0,
            max: 5_000,
            resolution: 100,
        },
        pressure: Some(AxisRange {
            min: 0,
            max: 2047,
            resolution: 0,
        }),
        has_touch: true,
        end_button: None,
    };

    let mut g = c.benchmark_group("signature");
    g.sample_size(20);
    g.bench_function("simulate", |b| b.iter(|| signature(black_box(42), 0)));
    g.bench_function("assemble_pen_events", |b| {
        b.iter(|| {
            let mut a = StrokeAssembler::new(setup).unwrap();
            for e in black_box(&events) {
                a.push(*e);
            }
            a.finish()
        })
    });
    g.bench_function("render_800x400", |b| {
        b.iter(|| render(black_box(&strokes), AREA, &RenderOptions::default()))
    });
    g.bench_function("import_png_800x400", |b| {
        b.iter(|| {
            ImagePad::from_bytes(black_box(&png), "image:b", "b", SIGNATURE_IMAGE_LIMITS).unwrap()
        })
    });
    g.bench_function("prepare_dg7_400x150", |b| {
        b.iter(|| prepare(black_box(&image), 400, 150, 6000).unwrap())
    });
    g.finish();
}

criterion_group!(benches, signature_pipeline);
criterion_main!(benches);
