//! The photo screen's live preview, timed: 1280×720 camera frames through the photo step's own
//! capture loop ([`live_capture`]: downscale to the quality profile's preview width, assess,
//! confirm a good frame at full resolution, take the portrait after the streak) and, for every
//! frame, the preview the operator's browser receives ([`photo_screen::encode`]: the face box,
//! eye line and crop frame drawn over it, JPEG). Per frame, the latency is the time from the
//! camera handing the frame over to its annotated JPEG being ready; the rate is frames per
//! second of wall time, the loop's other work (portraits prepared for DG2) included.
//!
//! The session alternates an applicant half out of the frame (the preview alone is assessed)
//! with one well placed (the frame is confirmed at full resolution, and every fifth good frame
//! a portrait is prepared). Frames: the simulated camera's public-domain portrait
//! (testdata/sim) on a plain background. One core: `taskset -c 0 cargo run --release -p permitkit-station-web
//! --example preview_speed [frames]` (README's Benchmarks; goal ≥ 10 frames/s, < 150 ms).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a measurement: an unexpected value stops it loudly"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage, imageops};
use permitkit_devices::camera::{Camera, Frame};
use permitkit_devices::{CaptureError, DeviceInfo};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_quality::face::{FaceAssessor, ImageLimits, PortraitRequest, decode};
use permitkit_station::pipeline::photo::{FrameOutcome, LiveView, PreviewFrame, live_capture};
use permitkit_station_web::photo_screen;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
/// Frames of each kind in a row.
const RUN: u64 = 12;

/// A 1280×720 frame with the simulated camera's head-and-shoulders portrait, 520×650, at `x`.
fn frame(x: i64) -> RgbImage {
    let a = decode(
        include_bytes!("../../../testdata/sim/portrait-neutral.jpg"),
        ImageLimits::default(),
    )
    .unwrap();
    let a = imageops::resize(&a, 520, 650, imageops::FilterType::Triangle);
    let mut f = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([200, 200, 200]));
    imageops::overlay(&mut f, &a, x, 40);
    f
}

/// A camera replaying `RUN` frames of the applicant stepping in, then `RUN` well placed, and
/// so on; it notes when it handed each frame over.
struct Replay {
    info: DeviceInfo,
    away: RgbImage,
    placed: RgbImage,
    sequence: u64,
    handed: Arc<Mutex<Instant>>,
}

impl Camera for Replay {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self) -> Result<Frame, CaptureError> {
        let n = self.sequence;
        self.sequence += 1;
        let image = if (n / RUN).is_multiple_of(2) {
            self.away.clone()
        } else {
            self.placed.clone()
        };
        *self.handed.lock().unwrap() = Instant::now();
        Ok(Frame { image, sequence: n })
    }
}

/// Times each frame's preview.
struct Timer {
    handed: Arc<Mutex<Instant>>,
    latencies: Vec<Duration>,
    /// Latencies of the frames judged on the preview alone (a problem found there).
    preview_only: Vec<Duration>,
    good: u64,
    bytes: usize,
}

impl LiveView for Timer {
    fn outcome(&mut self, o: &FrameOutcome) {
        if matches!(o, FrameOutcome::Good { .. }) {
            self.good += 1;
        }
    }

    fn preview(&mut self, frame: &PreviewFrame<'_>) {
        let jpeg = photo_screen::encode(frame).unwrap();
        self.bytes += jpeg.len();
        let latency = self.handed.lock().unwrap().elapsed();
        self.latencies.push(latency);
        if frame.problem.is_some() {
            self.preview_only.push(latency);
        }
    }
}

fn main() {
    let frames: usize = std::env::args()
        .nth(1)
        .map_or(240, |a| a.parse().expect("a number of frames"))
        .max(1);
    let handed = Arc::new(Mutex::new(Instant::now()));
    let mut camera = Replay {
        info: DeviceInfo {
            selector: "replay".into(),
            name: "1280x720 replay".into(),
            backend: "example".into(),
            usb_id: None,
            serial: None,
        },
        away: frame(-300),
        placed: frame(380),
        sequence: 0,
        handed: Arc::clone(&handed),
    };
    let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
    let mut timer = Timer {
        handed,
        latencies: Vec::with_capacity(frames),
        preview_only: Vec::new(),
        good: 0,
        bytes: 0,
    };
    // One warm-up pass of the models before the clock starts.
    let _ = gate.assess(&camera.placed);
    let started = Instant::now();
    let mut portraits = 0u32;
    while timer.latencies.len() < frames {
        // A session that takes no portrait in 2 s starts again (as the step's timeout would).
        if live_capture(
            &mut camera,
            &mut gate,
            &PortraitRequest::default(),
            Duration::from_secs(2),
            0.0,
            &mut timer,
        )
        .is_ok()
        {
            portraits += 1;
        }
    }
    let wall = started.elapsed();
    let mut l = timer.latencies.clone();
    l.sort();
    let at = |percent: usize| l[(l.len() - 1) * percent / 100];
    let n = l.len();
    println!(
        "{n} frames of {WIDTH}x{HEIGHT} ({} good, {portraits} portraits prepared) in {:.2} s: \
         {:.1} frames/s; latency camera -> annotated JPEG: median {:.1} ms, p95 {:.1} ms, \
         max {:.1} ms; preview JPEG {:.0} KB on average",
        timer.good,
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        at(50).as_secs_f64() * 1e3,
        at(95).as_secs_f64() * 1e3,
        l[n - 1].as_secs_f64() * 1e3,
        timer.bytes as f64 / n as f64 / 1024.0,
    );
    let mut p = timer.preview_only.clone();
    p.sort();
    if let Some(median) = p.get(p.len() / 2) {
        println!(
            "of them {} with a problem (the preview alone assessed): median {:.1} ms",
            p.len(),
            median.as_secs_f64() * 1e3
        );
    }
}
