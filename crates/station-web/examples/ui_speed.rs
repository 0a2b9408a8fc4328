//! How fast the operator screens answer, over real HTTP on loopback against the simulated
//! station (the same server the browser tests drive):
//!
//! - time to first page: a new connection, `GET /login`, the whole HTML read — what an
//!   operator's browser waits for before it can draw the sign-in screen;
//! - a signed-in page: the start page (journal look-up, the queue, the forms' token);
//! - a whole simulated enrolment through the screens' HTTP flow: sign in, the applicant form
//!   posted with consent, the progress page's event stream read until the final state (the
//!   simulated camera, scanner, pad and virtual card at their simulated speeds), the done page.
//!
//! ```sh
//! cargo run --release -p permitkit-station-web --example ui_speed -- 200 5
//! ```
//! Arguments: page samples (default 200), enrolments (default 5). It prints medians and the
//! 95th percentile; the browser's own rendering is not included.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "example: an unexpected value stops it loudly"
)]

#[path = "../tests/common/station.rs"]
mod station;

use std::time::{Duration, Instant};

use station::Server;

/// Median and 95th percentile of `samples`, milliseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    // Nearest rank: the sample at or above the q-th fraction of the sorted samples.
    let at = |percent: usize| {
        let i = (samples.len() * percent).div_ceil(100).saturating_sub(1);
        samples[i].as_secs_f64() * 1000.0
    };
    (at(50), at(95))
}

async fn first_page(base: &str) -> Duration {
    // A client per sample: a new connection, as a browser opening the station.
    let client = reqwest::Client::new();
    let t = Instant::now();
    let r = client
        .get(format!("{base}/login?lang=uk"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let took = t.elapsed();
    assert!(html.contains("<form"), "the sign-in form");
    took
}

/// Enrolment `n`: the test applicant under its own application and document numbers (a station
/// refuses a second card under a number it issued).
async fn enrolment(s: &Server, n: usize) -> Duration {
    let applicant = station::APPLICANT_TOML
        .replace("TRP-2026-004211", &format!("TRP-2026-0099{n:02}"))
        .replace("FT4211207", &format!("FT42112{n:02}"));
    let t = Instant::now();
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let r = s
        .http
        .post(format!("{}/applicant/start", s.base))
        .header("cookie", &session)
        .form(&[
            ("csrf", token.as_str()),
            ("applicant", applicant.as_str()),
            ("consent", "signed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the enrolment starts");
    let progress = r.headers()["location"].to_str().unwrap().to_owned();
    let body = s
        .http
        .get(format!("{}{progress}/events", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = station::sse_blocks(&body);
    let (kind, data) = events.last().unwrap();
    assert_eq!(kind, "state");
    assert_eq!(data["state"], "issued", "{events:?}");
    let done = s.page(&session, &progress).await;
    let took = t.elapsed();
    assert!(done.contains("issued"), "the done page");
    took
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let pages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let s = Server::start(&station::two_operators()).await;

    // Warm-up: the first page after start-up also loads the embedded assets once.
    let cold = first_page(&s.base).await;
    let samples: Vec<Duration> = {
        let mut v = Vec::with_capacity(pages);
        for _ in 0..pages {
            v.push(first_page(&s.base).await);
        }
        v
    };
    let (median, p95) = summary(samples);
    println!(
        "time to first page (new connection, GET /login): first {:.2} ms, then median {median:.2} ms, p95 {p95:.2} ms over {pages}",
        cold.as_secs_f64() * 1000.0
    );

    let (session, _) = s.sign_in("petro", "petro-pass").await;
    let mut samples = Vec::with_capacity(pages);
    for _ in 0..pages {
        let t = Instant::now();
        let html = s.page(&session, "/").await;
        samples.push(t.elapsed());
        assert!(html.contains("petro"));
    }
    let (median, p95) = summary(samples);
    println!("start page, signed in: median {median:.2} ms, p95 {p95:.2} ms over {pages}");

    let mut samples = Vec::with_capacity(runs);
    for n in 0..runs {
        samples.push(enrolment(&s, n).await);
    }
    let (median, p95) = summary(samples);
    println!(
        "whole simulated enrolment through the screens (sign-in to the done page, issued): median {:.2} s, p95 {:.2} s over {runs}",
        median / 1000.0,
        p95 / 1000.0
    );
}
