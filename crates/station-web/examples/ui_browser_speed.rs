//! How fast the operator screens are in a real browser: Debian's headless Chromium driven over
//! WebDriver (`chromedriver`, through `fantoccini`), as `tests/browser.rs` drives it, against
//! the simulated station served on loopback (`tests/common/station.rs`). Where `ui_speed` times
//! the HTTP answers from Rust, this times what the browser itself records:
//!
//! - time to first page: `N` loads of `/login`, each in a new tab opened for it (and closed
//!   after); per load the browser's Navigation Timing (`performance.getEntriesByType
//!   ('navigation')[0]`): `responseStart`, `domContentLoadedEventEnd` and `loadEventEnd`,
//!   relative to its `startTime`. The tabs share the browser's profile, so a load may reuse an
//!   open connection; how many opened one is printed. The very first load of the session (the
//!   browser's cold start of the origin) is printed apart.
//! - the photo screen's live preview as the page receives it: the photo step on a replay
//!   camera (`still:`) yielding 1280×720 frames — the simulated `sim` camera only makes
//!   1280×960 — alternating an applicant half out of the frame (guidance) with one well placed
//!   (confirmed at full resolution), so the live view runs until the camera's timeout. For a
//!   fixed window the page's own script is left to fetch frames (`preview.jpg?after=N`, one
//!   request per frame); the `<img>`'s `data-frame`, set when a frame has loaded, is watched
//!   (a `MutationObserver`), and Resource Timing gives each frame request's timing. Printed:
//!   frames shown per second, the frames the station made that the page never showed, the time
//!   between frames shown, and the browser's part of the latency — from the frame's first byte
//!   reaching the page to the `<img>` having loaded it, for frames the page was already waiting
//!   for. The server sends no timestamp with a frame, so the latency from the camera is not
//!   measured here (`preview_speed` times the camera-to-JPEG part).
//! - a whole simulated enrolment by clicking and typing: sign-in with the keyboard, the
//!   applicant file typed into the start page, checked, the consent ticked, started, the
//!   progress page watched until it shows `issued` (simulated devices at their simulated
//!   speeds); wall time from opening the sign-in page, and from the click on start.
//!
//! ```sh
//! CARGO_BUILD_JOBS=1 cargo run --release -p permitkit-station-web --example ui_browser_speed -- 50 3
//! ```
//! Arguments: first-page loads (default 50), enrolments (default 3). Needs `chromedriver` and
//! `chromium` on the `PATH` (Debian: `chromium-driver`, `chromium`; `.ci/install-deps`).
//! Browser, driver and server share the machine's cores: the load matters.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "example: an unexpected value stops it loudly"
)]

#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../tests/common/station.rs"]
mod station;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use browser::{Browser, HEIGHT, WIDTH};
use image::{Rgb, RgbImage, imageops};
use serde_json::Value;
use station::Server;

/// The replay camera's frames.
const CAMERA_WIDTH: u32 = 1280;
const CAMERA_HEIGHT: u32 = 720;
/// How long the live preview is watched.
const PREVIEW_WINDOW: Duration = Duration::from_secs(10);

/// Types `applicant` into the start page's file field, has it checked, ticks the consent and
/// starts the enrolment: when the start was clicked.
async fn start_enrolment(b: &Browser, base: &str, applicant: &str) -> Instant {
    b.check_applicant(base, applicant).await;
    b.click("input[name=consent]").await;
    let clicked = Instant::now();
    b.click("form[action='/applicant/start'] button").await;
    clicked
}

/// Median and 95th percentile (nearest rank) of `samples`.
fn summary(mut samples: Vec<f64>) -> (f64, f64) {
    assert!(!samples.is_empty(), "samples");
    samples.sort_by(f64::total_cmp);
    let at = |percent: usize| {
        let i = (samples.len() * percent).div_ceil(100).saturating_sub(1);
        samples[i]
    };
    (at(50), at(95))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One load of `/login` in a new tab: `[responseStart, domContentLoadedEventEnd, loadEventEnd,
/// connection opened (0 or 1)]`, milliseconds from the navigation's `startTime`.
async fn first_page(b: &Browser, base: &str) -> [f64; 4] {
    let home = b.client.window().await.unwrap();
    let tab = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(tab.handle).await.unwrap();
    b.client
        .goto(&format!("{base}/login?lang=uk"))
        .await
        .unwrap();
    let started = Instant::now();
    let timing = loop {
        let t = b
            .js("var e=performance.getEntriesByType('navigation')[0];\
                 if(!e||!e.loadEventEnd||!document.querySelector('form input[name=login]'))return null;\
                 return [e.responseStart-e.startTime,e.domContentLoadedEventEnd-e.startTime,\
                 e.loadEventEnd-e.startTime,e.connectEnd>e.connectStart?1:0];")
            .await;
        if !t.is_null() {
            break [f(&t[0]), f(&t[1]), f(&t[2]), f(&t[3])];
        }
        assert!(started.elapsed() < Duration::from_secs(30), "/login loads");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(home).await.unwrap();
    timing
}

/// A 1280×720 frame: the simulated camera's head-and-shoulders portrait, 520×650, at `x` on a
/// plain grey background.
fn camera_frame(x: i64) -> RgbImage {
    let head = permitkit_quality::face::decode(
        include_bytes!("../../../testdata/sim/portrait-neutral.jpg"),
        permitkit_quality::face::ImageLimits::default(),
    )
    .unwrap();
    let head = imageops::resize(&head, 520, 650, imageops::FilterType::Triangle);
    let mut frame = RgbImage::from_pixel(CAMERA_WIDTH, CAMERA_HEIGHT, Rgb([200, 200, 200]));
    imageops::overlay(&mut frame, &head, x, 40);
    frame
}

/// The replay camera's folder: half out of the frame, then well placed, cycling.
fn camera_folder(dir: &Path) {
    camera_frame(-300).save(dir.join("01-away.png")).unwrap();
    camera_frame(380).save(dir.join("02-placed.png")).unwrap();
}

/// What the live preview measured.
struct Preview {
    /// Preview size shown.
    size: (u64, u64),
    /// Frames shown in the window, and the window's length in seconds.
    shown: usize,
    seconds: f64,
    /// Frame numbers the station made in the window but the page never showed.
    skipped: u64,
    /// Frames the station made in the window (the last number shown less the first).
    made: u64,
    /// Milliseconds between frames shown.
    intervals: Vec<f64>,
    /// Milliseconds from a frame's first byte to its `<img>` loaded, for frames whose request
    /// waited for them.
    arrival_to_shown: Vec<f64>,
    /// Kilobytes per frame.
    kilobytes: Vec<f64>,
}

/// Installed once the progress page is there: notes when the preview shows each frame, and
/// keeps every request's Resource Timing.
const WATCH: &str = "var i=document.getElementById('preview');if(!i)return false;\
if(window.pkBench)return true;performance.setResourceTimingBufferSize(100000);\
var b=window.pkBench={shown:[]};new MutationObserver(function(){\
b.shown.push([performance.now(),+(i.dataset.frame||0)]);}).observe(i,{attributes:true,attributeFilter:['data-frame']});\
return true;";

/// What was seen: the frames shown, the preview requests' timings with a body, the size.
const COLLECT: &str = "var i=document.getElementById('preview');\
var r=performance.getEntriesByType('resource').filter(function(e){\
return e.name.indexOf('/preview.jpg?after=')>=0&&e.encodedBodySize>0;}).map(function(e){\
return [e.requestStart,e.responseStart,e.responseEnd,e.encodedBodySize];});\
return {shown:window.pkBench.shown,fetches:r,size:[i.naturalWidth,i.naturalHeight]};";

async fn live_preview() -> Preview {
    let frames = tempfile::tempdir().unwrap();
    camera_folder(frames.path());
    let camera = format!("[camera]\nselector = \"still:{}\"", frames.path().display());
    let s = Server::start_with(
        &station::two_operators(),
        &[("[camera]\nselector = \"sim\"", camera.as_str())],
    )
    .await;
    let b = Browser::open().await;
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    start_enrolment(&b, &s.base, station::APPLICANT_TOML).await;
    let started = Instant::now();
    while b.js(WATCH).await != Value::Bool(true) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the progress page"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The window opens with the first frame shown.
    while b.js("return window.pkBench.shown.length;").await.as_u64() == Some(0) {
        assert!(started.elapsed() < Duration::from_secs(60), "a first frame");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(PREVIEW_WINDOW).await;
    let seen = b.js(COLLECT).await;
    b.close().await;

    let shown: Vec<(f64, u64)> = seen["shown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (f(&s[0]), s[1].as_u64().unwrap_or(0)))
        .collect();
    let fetches: Vec<[f64; 4]> = seen["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| [f(&e[0]), f(&e[1]), f(&e[2]), f(&e[3])])
        .collect();
    let (first, last) = (shown[0], shown[shown.len() - 1]);
    let intervals = shown.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let skipped = shown
        .windows(2)
        .map(|w| w[1].1.saturating_sub(w[0].1).saturating_sub(1))
        .sum();
    // Each frame shown came from the last request with a body answered before it; a request
    // that waited more than 2 ms for its answer was waiting for the frame to exist.
    let mut arrival_to_shown = Vec::new();
    let mut kilobytes = Vec::new();
    for &(t, _) in &shown[1..] {
        if let Some(e) = fetches.iter().rev().find(|e| e[2] <= t) {
            kilobytes.push(e[3] / 1000.0);
            if e[1] - e[0] > 2.0 {
                arrival_to_shown.push(t - e[1]);
            }
        }
    }
    Preview {
        size: (
            seen["size"][0].as_u64().unwrap_or(0),
            seen["size"][1].as_u64().unwrap_or(0),
        ),
        shown: shown.len() - 1,
        seconds: (last.0 - first.0) / 1000.0,
        skipped,
        made: last.1.saturating_sub(first.1),
        intervals,
        arrival_to_shown,
        kilobytes,
    }
}

/// Enrolment `n` by clicking and typing: `(sign-in page to issued, start click to issued)`,
/// seconds.
async fn enrolment(s: &Server, b: &Browser, n: usize) -> (f64, f64) {
    let applicant = station::APPLICANT_TOML
        .replace("TRP-2026-004211", &format!("TRP-2026-0088{n:02}"))
        .replace("FT4211207", &format!("FT42188{n:02}"));
    // Signed out: the session's cookies go.
    b.client.goto(&format!("{}/login", s.base)).await.unwrap();
    b.client.delete_all_cookies().await.unwrap();
    let t = Instant::now();
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    let clicked = start_enrolment(b, &s.base, &applicant).await;
    let state = b.wait_final_polling(Duration::from_millis(25)).await;
    let (whole, after_start) = (t.elapsed(), clicked.elapsed());
    assert_eq!(state, "issued", "enrolment {n}");
    (whole.as_secs_f64(), after_start.as_secs_f64())
}

fn row(what: &str, median: f64, p95: f64, unit: &str, n: usize) {
    println!("| {what:<58} | {median:>9.2} {unit:<3} | {p95:>9.2} {unit:<3} | {n:>4} |");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let pages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let chromium = Command::new("chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("chromium: {e}"));

    // Time to first page and the enrolments: the simulated station as the browser tests
    // start it.
    let s = Server::start(&station::two_operators()).await;
    let b = Browser::open().await;
    let cold = first_page(&b, &s.base).await;
    let samples: Vec<[f64; 4]> = {
        let mut v = Vec::with_capacity(pages);
        for _ in 0..pages {
            v.push(first_page(&b, &s.base).await);
        }
        v
    };
    let opened = samples.iter().filter(|t| t[3] > 0.0).count();
    let column = |i: usize| summary(samples.iter().map(|t| t[i]).collect());
    let mut enrolments = Vec::with_capacity(runs);
    for n in 0..runs {
        enrolments.push(enrolment(&s, &b, n).await);
    }
    b.close().await;
    drop(s);

    let p = live_preview().await;

    println!(
        "{chromium}, headless, {WIDTH}×{HEIGHT} window; browser, chromedriver and server on this machine"
    );
    println!(
        "| {:<58} | {:>13} | {:>13} | {:>4} |",
        "measure", "median", "p95", "n"
    );
    println!("|{:-<60}|{:->15}|{:->15}|{:->6}|", "", "", "", "");
    for (i, name) in [
        (0, "first page /login, new tab: responseStart"),
        (1, "first page /login, new tab: domContentLoadedEventEnd"),
        (2, "first page /login, new tab: loadEventEnd"),
    ] {
        let (m, p95) = column(i);
        row(name, m, p95, "ms", pages);
    }
    let (m, p95) = summary(p.intervals.clone());
    row(
        "live preview: time between frames shown",
        m,
        p95,
        "ms",
        p.intervals.len(),
    );
    if !p.arrival_to_shown.is_empty() {
        let (m, p95) = summary(p.arrival_to_shown.clone());
        row(
            "live preview: frame's first byte to <img> loaded",
            m,
            p95,
            "ms",
            p.arrival_to_shown.len(),
        );
    }
    let (m, p95) = summary(enrolments.iter().map(|e| e.0).collect());
    row(
        "enrolment by clicks and typing: sign-in page to issued",
        m,
        p95,
        "s",
        runs,
    );
    let (m, p95) = summary(enrolments.iter().map(|e| e.1).collect());
    row(
        "enrolment: click on start to issued shown",
        m,
        p95,
        "s",
        runs,
    );
    println!(
        "first load of the session: responseStart {:.2} ms, domContentLoadedEventEnd {:.2} ms, loadEventEnd {:.2} ms; \
         {opened} of {pages} later loads opened a connection",
        cold[0], cold[1], cold[2]
    );
    println!(
        "live preview: {CAMERA_WIDTH}×{CAMERA_HEIGHT} camera frames (replay camera), shown at {}×{}: {} frames in {:.2} s = {:.2} frames/s shown; \
         the station made {} ({:.2} frames/s), {} of them never shown; \
         the latency from the camera is not measured (no frame timestamp from the server)",
        p.size.0,
        p.size.1,
        p.shown,
        p.seconds,
        p.shown as f64 / p.seconds,
        p.made,
        p.made as f64 / p.seconds,
        p.skipped
    );
    let (smallest, largest) = p
        .kilobytes
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &k| (a.min(k), b.max(k)));
    println!(
        "live preview frames as received: {smallest:.1} KB to {largest:.1} KB (applicant half out of the frame, in place)"
    );
    println!(
        "enrolments: {}",
        enrolments
            .iter()
            .map(|e| format!("{:.2} s ({:.2} s after start)", e.0, e.1))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
