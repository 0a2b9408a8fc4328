//! The station's signature devices: the simulated pad (determinism, realism, failures), scanned
//! image import (including a decompression bomb), strokes → image → DG7 preparation within the
//! document's budget, the `capture signature` command, and the evdev backend against a real
//! kernel input device created through uinput.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{io::Cursor, path::Path, time::Duration};

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use permitkit_biometrics::image::DecodeError;
use permitkit_biometrics::signature::{MIN_INK_FRACTION, SignatureError, prepare};
use permitkit_devices::{
    CaptureError, ImageError,
    signature_image::{ImagePad, SIGNATURE_IMAGE_LIMITS},
    signature_pad::{self, EndRule, SignatureCapture, SignaturePad},
    signature_sim::{SimPad, SimPadEvent},
};
use permitkit_model::profiles::Registry;

#[path = "support/cli.rs"]
mod cli;
use cli::permitkit;

const T: Duration = Duration::from_secs(60);

fn sim(seed: u64) -> SignatureCapture {
    SimPad::new(seed).capture(T).unwrap()
}

/// Fraction of dark pixels and the bounding box of the ink.
fn ink(img: &GrayImage) -> (f64, Option<(u32, u32, u32, u32)>) {
    let mut n = 0u64;
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for (x, y, p) in img.enumerate_pixels() {
        if p.0[0] < 128 {
            n += 1;
            b = Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
    }
    (n as f64 / f64::from(img.width() * img.height()), b)
}

fn dg7_rules() -> (u32, u32, usize) {
    let r = Registry::builtin().unwrap();
    let s = &r
        .document("ua-temporary-residence-permit")
        .unwrap()
        .signature;
    (s.width, s.height, s.max_bytes)
}

#[test]
fn simulated_signatures_are_deterministic_per_seed() {
    let a = sim(21);
    let b = sim(21);
    assert_eq!(a.strokes, b.strokes);
    assert_eq!(a.to_image(), b.to_image());
    assert_ne!(a.strokes, sim(22).strokes);
    // The same signer signing twice: same shape, not the same samples.
    let mut pad = SimPad::new(21);
    let first = pad.capture(T).unwrap();
    let second = pad.capture(T).unwrap();
    assert_eq!(first.strokes.len(), second.strokes.len());
    assert_ne!(first.strokes, second.strokes);
}

#[test]
fn simulated_signatures_look_handwritten() {
    for seed in 0..40 {
        let c = sim(seed);
        // A capital with a first name or initial, a surname, maybe an underline and an i-dot.
        let n = c.strokes.len();
        assert!((2..=4).contains(&n), "seed {seed}: {n} strokes");
        for s in &c.strokes[..2] {
            assert!(
                s.points.len() >= 60,
                "seed {seed}: a word has {} samples",
                s.points.len()
            );
            // Pressure varies along a stroke: lands light, varies while writing.
            let p: Vec<f64> = s.points.iter().map(|p| f64::from(p.pressure)).collect();
            let mean = p.iter().sum::<f64>() / p.len() as f64;
            let sd = (p.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / p.len() as f64).sqrt();
            assert!(sd > 0.05, "seed {seed}: pressure sd {sd:.3}");
            assert!(
                p[0] < mean,
                "seed {seed}: the pen lands lighter than it writes"
            );
            // Sampled like a tablet: 200 reports per second.
            let dt = s.points[1].t_ms - s.points[0].t_ms;
            assert!(
                (4..=6).contains(&dt),
                "seed {seed}: {dt} ms between samples"
            );
        }
        // Pen-up pauses between strokes.
        for w in c.strokes.windows(2) {
            let gap = w[1].points[0].t_ms - w[0].points.last().unwrap().t_ms;
            assert!((100..=500).contains(&gap), "seed {seed}: pause {gap} ms");
        }
        let img = c.to_image();
        let (whole, bbox) = ink(&img);
        let (x0, y0, x1, y1) = bbox.unwrap();
        let (w, h) = (f64::from(x1 - x0 + 1), f64::from(y1 - y0 + 1));
        let aspect = w / h;
        // Signatures are wider than tall: two words side by side (an initial and a short
        // name with loops and an underline come out nearly as tall as wide).
        assert!(
            (1.2..=8.0).contains(&aspect),
            "seed {seed}: aspect {aspect:.2}"
        );
        // Line drawing, not a blot and not a speck.
        let (inside, _) =
            ink(&image::imageops::crop_imm(&img, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image());
        assert!(
            (0.03..=0.35).contains(&inside),
            "seed {seed}: {inside:.3} ink in the box"
        );
        assert!(
            whole > MIN_INK_FRACTION * 2.0,
            "seed {seed}: {whole:.4} ink overall"
        );
        // It fills a sensible part of the pad: more than a quarter of the width.
        assert!(
            w > f64::from(img.width()) * 0.25,
            "seed {seed}: {w} px wide"
        );
    }
}

#[test]
fn strokes_become_a_dg7_jpeg_within_the_document_budget() {
    let (w, h, budget) = dg7_rules();
    for seed in 0..12 {
        let img = sim(seed).to_image();
        assert_eq!(img.dimensions(), (800, 400), "100 x 50 mm at 8 px/mm");
        let p = prepare(&img, w, h, budget).unwrap();
        assert!(
            p.jpeg.len() <= budget,
            "seed {seed}: {} bytes",
            p.jpeg.len()
        );
        let back = image::load_from_memory_with_format(&p.jpeg, ImageFormat::Jpeg)
            .unwrap()
            .into_luma8();
        assert_eq!(back.dimensions(), (w, h));
        // The signature fills the box along its limiting side.
        let (_, bbox) = ink(&back);
        let (x0, y0, x1, y1) = bbox.unwrap();
        assert!(
            x1 - x0 > w * 8 / 10 || y1 - y0 > h * 8 / 10,
            "seed {seed}: ink spans {}x{}",
            x1 - x0,
            y1 - y0
        );
    }
}

#[test]
fn simulated_failures() {
    let mut pad = SimPad::new(4);
    pad.push(SimPadEvent::NoInput);
    pad.push(SimPadEvent::Dot);
    pad.push(SimPadEvent::Disconnect);
    match pad.capture(Duration::from_secs(7)) {
        Err(CaptureError::Timeout { seconds, device }) => {
            assert_eq!(seconds, 7.0);
            assert_eq!(device, "sim:4");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let dot = pad.capture(T).unwrap();
    let (w, h, budget) = dg7_rules();
    assert!(
        matches!(
            prepare(&dot.to_image(), w, h, budget),
            Err(SignatureError::Blank(_))
        ),
        "a single dot is not a signature"
    );
    assert!(matches!(
        pad.capture(T),
        Err(CaptureError::Disconnected { .. })
    ));
    assert!(matches!(
        pad.capture(T),
        Err(CaptureError::Disconnected { .. })
    ));
    pad.reconnect();
    assert!(prepare(&pad.capture(T).unwrap().to_image(), w, h, budget).is_ok());
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

#[test]
fn scanned_images_import_and_prepare() {
    let dir = tempfile::tempdir().unwrap();
    // A "scan": the simulated signature on light-grey paper, as PNG and as JPEG.
    let drawn = sim(9).to_image();
    let paper = GrayImage::from_fn(drawn.width(), drawn.height(), |x, y| {
        Luma([drawn.get_pixel(x, y).0[0].saturating_sub(25)])
    });
    let (w, h, budget) = dg7_rules();
    for (name, format) in [
        ("scan.png", ImageFormat::Png),
        ("scan.jpg", ImageFormat::Jpeg),
    ] {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            encode(&DynamicImage::ImageLuma8(paper.clone()), format),
        )
        .unwrap();
        let mut pad =
            signature_pad::open(&format!("image:{}", path.display()), EndRule::default()).unwrap();
        assert_eq!(pad.info().backend, "image");
        let c = pad.capture(T).unwrap();
        assert!(c.strokes.is_empty());
        let img = c.to_image();
        assert_eq!(img.dimensions(), paper.dimensions());
        if format == ImageFormat::Png {
            assert_eq!(img, paper, "PNG is lossless");
        }
        let p = prepare(&img, w, h, budget).unwrap();
        assert!(p.jpeg.len() <= budget);
    }
    // A colour scan with transparency converts to grey on white.
    let rgba = image::RgbaImage::from_fn(200, 80, |x, _| {
        if (50..150).contains(&x) {
            image::Rgba([10, 20, 120, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let path = dir.path().join("transparent.png");
    std::fs::write(
        &path,
        encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
    )
    .unwrap();
    let img = ImagePad::open(&path, SIGNATURE_IMAGE_LIMITS)
        .unwrap()
        .capture(T)
        .unwrap()
        .to_image();
    assert_eq!(img.get_pixel(10, 10).0, [255]);
    assert!(img.get_pixel(100, 10).0[0] < 60);
}

#[test]
fn decompression_bombs_are_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // 6000 x 6000 white: 36 MB of pixels in a file of a few tens of kilobytes, beyond the
    // 4096-pixel side limit.
    let bomb = encode(
        &DynamicImage::ImageLuma8(GrayImage::from_pixel(6000, 6000, Luma([255]))),
        ImageFormat::Png,
    );
    assert!(
        bomb.len() < 200_000,
        "a bomb is small: {} bytes",
        bomb.len()
    );
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, &bomb).unwrap();
    let e = ImagePad::open(&path, SIGNATURE_IMAGE_LIMITS).unwrap_err();
    match &e {
        CaptureError::Image {
            source: ImageError::Decode(DecodeError::TooLarge(_)),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    // Within the side limit but beyond the allocation limit: 3000 x 3000 RGBA at 16 bits per
    // channel is 72 MB, over the 64 MiB budget.
    let wide = encode(
        &DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(
            3000,
            3000,
            image::Rgba([65535u16, 65535, 65535, 65535]),
        )),
        ImageFormat::Png,
    );
    let e = ImagePad::from_bytes(&wide, "image:wide.png", "wide.png", SIGNATURE_IMAGE_LIMITS)
        .unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::Image {
                source: ImageError::Decode(DecodeError::TooLarge(_)),
                ..
            }
        ),
        "{e}"
    );
    // A header that claims 100000 x 100000 and carries no data.
    let claim = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fuzz-corpus/finger_quality/header-claims-100000x100000.png"),
    )
    .unwrap();
    assert!(ImagePad::from_bytes(&claim, "image:x", "x", SIGNATURE_IMAGE_LIMITS).is_err());
}

#[test]
fn evdev_selectors_need_the_feature_or_a_device() {
    let e = signature_pad::open("evdev:/dev/input/event-permitkit-none", EndRule::default())
        .map(|_| ())
        .unwrap_err();
    if cfg!(all(feature = "evdev", target_os = "linux")) {
        assert!(matches!(e, CaptureError::NotFound { .. }), "{e}");
    } else {
        assert!(
            matches!(
                e,
                CaptureError::NotCompiled {
                    feature: "evdev",
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn capture_signature_command_writes_png_and_dg7_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("sig.png");
    let jpg = dir.path().join("dg7.jpg");
    let o = permitkit(&[
        "capture",
        "signature",
        "--pad",
        "sim:5",
        "--out",
        png.to_str().unwrap(),
        "--jpeg",
        jpg.to_str().unwrap(),
        "--document-profile",
        "ua-permanent-residence-permit",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(image::open(&png).unwrap().into_luma8(), sim(5).to_image());
    let jpeg = std::fs::read(&jpg).unwrap();
    let (w, h, budget) = dg7_rules();
    assert!(jpeg.len() <= budget);
    assert_eq!(
        image::load_from_memory(&jpeg)
            .unwrap()
            .into_luma8()
            .dimensions(),
        (w, h)
    );
    assert!(stdout.contains("DG7 signature 400×150"), "{stdout}");

    // A blank scan is a quality decision: exit 2, and no JPEG.
    let blank = dir.path().join("blank.png");
    GrayImage::from_pixel(400, 150, Luma([250]))
        .save(&blank)
        .unwrap();
    let jpg2 = dir.path().join("none.jpg");
    let o = permitkit(&[
        "capture",
        "signature",
        "--pad",
        &format!("image:{}", blank.display()),
        "--out",
        dir.path().join("b.png").to_str().unwrap(),
        "--jpeg",
        jpg2.to_str().unwrap(),
        "--document-profile",
        "ua-permanent-residence-permit",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!jpg2.exists());
    // --jpeg needs --document-profile; a bad selector is an error.
    let o = permitkit(&["capture", "signature", "--out", "x.png", "--jpeg", "y.jpg"]);
    assert_eq!(o.status.code(), Some(64), "usage error (EX_USAGE)");
    let o = permitkit(&["capture", "signature", "--pad", "usb:3", "--out", "x.png"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad device selector"));
}

/// L3-style: the real evdev backend reading a real kernel input device. The kernel's uinput
/// module creates a virtual pen (the same ranges as a One by Wacom S: 15200 x 9500 at 100
/// units/mm, 2048 pressure levels), the test writes a simulated signature through it, and the
/// backend must return exactly those samples.
///
/// Needs `/dev/uinput` (kernel CONFIG_INPUT_UINPUT, `modprobe uinput`) and root or the `input`
/// group. Where uinput is missing the test stops with a message, and FAILS when
/// `PERMITKIT_REQUIRE_UINPUT=1` is set (as it must be on a CI machine that has uinput).
#[cfg(all(feature = "evdev", target_os = "linux"))]
mod uinput {
    use std::{
        thread,
        time::{Duration, Instant},
    };

    use evdev::{
        AbsInfo, AbsoluteAxisCode, AttributeSet, BusType, EventType, InputEvent, InputId, KeyCode,
        PropType, UinputAbsSetup, uinput::VirtualDevice,
    };
    use permitkit_devices::{
        CaptureError,
        pen_events::BTN_STYLUS2,
        signature_evdev::{EvdevPad, pen_devices},
        signature_pad::{EndRule, SignaturePad, Stroke},
        signature_sim::signature,
    };

    const NAME: &str = "permitkit virtual pen";

    /// The virtual pen, or `None` (with the reason printed) when uinput is not available.
    fn virtual_pen() -> Option<(VirtualDevice, std::path::PathBuf)> {
        let required = std::env::var("PERMITKIT_REQUIRE_UINPUT").is_ok_and(|v| v == "1");
        let fail = |why: String| {
            let msg = format!(
                "uinput is not available ({why}): the evdev backend was NOT tested against a \
                 kernel input device. Load the module (`modprobe uinput`, kernel \
                 CONFIG_INPUT_UINPUT) and run as root or in the `input` group."
            );
            assert!(!required, "{msg}");
            eprintln!("{msg}");
        };
        if !std::path::Path::new("/dev/uinput").exists() {
            fail("/dev/uinput does not exist".into());
            return None;
        }
        let axis = |code, max, res| UinputAbsSetup::new(code, AbsInfo::new(0, 0, max, 0, 0, res));
        let mut keys = AttributeSet::<KeyCode>::new();
        for k in [
            KeyCode::BTN_TOOL_PEN,
            KeyCode::BTN_TOOL_RUBBER,
            KeyCode::BTN_TOUCH,
            KeyCode::BTN_STYLUS,
            KeyCode::BTN_STYLUS2,
        ] {
            keys.insert(k);
        }
        let mut props = AttributeSet::<PropType>::new();
        props.insert(PropType::POINTER);
        let built = VirtualDevice::builder().and_then(|b| {
            b.name(NAME)
                .input_id(InputId::new(BusType::BUS_USB, 0x056a, 0x037a, 1))
                .with_keys(&keys)?
                .with_properties(&props)?
                .with_absolute_axis(&axis(AbsoluteAxisCode::ABS_X, 15200, 100))?
                .with_absolute_axis(&axis(AbsoluteAxisCode::ABS_Y, 9500, 100))?
                .with_absolute_axis(&axis(AbsoluteAxisCode::ABS_PRESSURE, 2047, 0))?
                .build()
        });
        let mut dev = match built {
            Ok(d) => d,
            Err(e) => {
                fail(format!("cannot create a uinput device: {e}"));
                return None;
            }
        };
        // udev creates the node asynchronously.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(path) = dev
                .enumerate_dev_nodes_blocking()
                .ok()
                .and_then(|mut n| n.find_map(Result::ok))
                .filter(|p| p.exists())
            {
                return Some((dev, path));
            }
            assert!(
                Instant::now() < deadline,
                "the uinput device node never appeared"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn ev(kind: EventType, code: u16, value: i32) -> InputEvent {
        InputEvent::new(kind.0, code, value)
    }

    /// Device units of a point in millimetres.
    fn units(v: f32) -> i32 {
        (v * 100.0).round() as i32
    }

    /// Writes `strokes` through the virtual pen, one frame per sample, 2 ms apart.
    fn write(dev: &mut VirtualDevice, strokes: &[Stroke]) {
        let abs = EventType::ABSOLUTE;
        let key = EventType::KEY;
        for s in strokes {
            for (i, p) in s.points.iter().enumerate() {
                let mut frame = vec![
                    ev(abs, AbsoluteAxisCode::ABS_X.0, units(p.x)),
                    ev(abs, AbsoluteAxisCode::ABS_Y.0, units(p.y)),
                    ev(
                        abs,
                        AbsoluteAxisCode::ABS_PRESSURE.0,
                        (p.pressure * 2047.0).round() as i32,
                    ),
                ];
                if i == 0 {
                    frame.push(ev(key, KeyCode::BTN_TOOL_PEN.0, 1));
                    frame.push(ev(key, KeyCode::BTN_TOUCH.0, 1));
                }
                dev.emit(&frame).unwrap();
                thread::sleep(Duration::from_millis(2));
            }
            dev.emit(&[
                ev(key, KeyCode::BTN_TOUCH.0, 0),
                ev(abs, AbsoluteAxisCode::ABS_PRESSURE.0, 0),
            ])
            .unwrap();
            dev.emit(&[ev(key, KeyCode::BTN_TOOL_PEN.0, 0)]).unwrap();
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The samples the kernel passes on: frames that change nothing are not reported.
    fn expected(strokes: &[Stroke]) -> Vec<Vec<(i32, i32)>> {
        strokes
            .iter()
            .map(|s| {
                let mut v: Vec<(i32, i32)> = Vec::new();
                let mut last_pressure = None;
                for p in &s.points {
                    let here = (units(p.x), units(p.y));
                    let pressure = (p.pressure * 2047.0).round() as i32;
                    if v.last() == Some(&here) && last_pressure == Some(pressure) {
                        continue;
                    }
                    last_pressure = Some(pressure);
                    v.push(here);
                }
                v
            })
            .collect()
    }

    #[test]
    fn evdev_backend_reads_a_kernel_pen_device() {
        let Some((mut dev, path)) = virtual_pen() else {
            return;
        };
        assert!(
            pen_devices()
                .iter()
                .any(|d| d.path == path && d.name == NAME),
            "the virtual pen is listed as a pen"
        );
        let end = EndRule {
            idle: Duration::from_millis(400),
            ..EndRule::default()
        };
        // By name, as a station profile names it.
        let mut pad = EvdevPad::open(NAME, end).unwrap();
        assert_eq!(pad.info().usb_id, Some((0x056a, 0x037a)));
        let area = (pad.setup().x.max, pad.setup().y.max);
        assert_eq!(area, (15200, 9500));

        let strokes = signature(31, 0);
        let writer = {
            let strokes = strokes.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(200));
                write(&mut dev, &strokes);
                dev
            })
        };
        let c = pad.capture(Duration::from_secs(10)).unwrap();
        let mut dev = writer.join().unwrap();
        let got: Vec<Vec<(i32, i32)>> = c
            .strokes
            .iter()
            .map(|s| s.points.iter().map(|p| (units(p.x), units(p.y))).collect())
            .collect();
        assert_eq!(
            got,
            expected(&strokes),
            "every sample, in millimetres, in order"
        );
        let a = c.area.unwrap();
        assert_eq!(
            (a.width, a.height, a.units_per_mm),
            (152.0, 95.0, Some(1.0))
        );
        assert!(permitkit_biometrics::signature::prepare(&c.to_image(), 400, 150, 6000).is_ok());

        // No pen within the timeout.
        let started = Instant::now();
        match pad.capture(Duration::from_millis(300)) {
            Err(CaptureError::Timeout { .. }) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(300));

        // The end button finishes at once, without waiting for the idle time.
        let mut pad = EvdevPad::open(
            &path.display().to_string(),
            EndRule {
                idle: Duration::from_secs(30),
                button: Some(BTN_STYLUS2),
                ..EndRule::default()
            },
        )
        .unwrap();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            write(&mut dev, &signature(32, 0)[..1]);
            dev.emit(&[ev(EventType::KEY, BTN_STYLUS2, 1)]).unwrap();
            dev.emit(&[ev(EventType::KEY, BTN_STYLUS2, 0)]).unwrap();
            thread::sleep(Duration::from_millis(100));
            dev
        });
        let started = Instant::now();
        let c = pad.capture(Duration::from_secs(10)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(c.strokes.len(), 1);
        let dev = writer.join().unwrap();

        // The device goes away mid-capture.
        let closer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            drop(dev);
        });
        match pad.capture(Duration::from_secs(5)) {
            Err(CaptureError::Disconnected { .. }) => {}
            other => panic!("expected a disconnect, got {other:?}"),
        }
        closer.join().unwrap();
    }
}
