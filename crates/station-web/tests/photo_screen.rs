//! The photo screen over HTTP (reqwest on loopback, the simulated station with the walk-in
//! camera and `[web] photo_review`): the live preview and the portrait are JPEGs served only
//! to a signed-in operator, for an enrolment of this desk, never cached; frames follow one
//! another; the keep-or-retake form needs the session's CSRF token and is taken once; the
//! event stream says when a review is wanted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "common/station.rs"]
mod station;

use std::time::{Duration, Instant};

use station::Server;

const APPLICANT: &str = station::APPLICANT_TOML;

async fn start() -> Server {
    Server::start_with(
        &format!("photo_review = true\n{}", station::two_operators()),
        &[(
            "[camera]\nselector = \"sim\"",
            "[camera]\nselector = \"sim:walk-in\"",
        )],
    )
    .await
}

async fn get(s: &Server, session: Option<&str>, path: &str) -> reqwest::Response {
    let mut r = s.http.get(format!("{}{path}", s.base));
    if let Some(c) = session {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} is set"))
        .to_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_and_the_portrait_are_for_a_signed_in_operator_and_never_cached() {
    let s = start().await;
    // No session: to the sign-in, for an enrolment that exists or not.
    let r = get(&s, None, "/enrolments/e-0/preview.jpg").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(header(&r, "location"), "/login");
    let r = get(&s, None, "/enrolments/e-0/portrait.jpg").await;
    assert_eq!(r.status().as_u16(), 303);

    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let r = get(&s, Some(&session), "/enrolments/e-0/preview.jpg").await;
    assert_eq!(r.status().as_u16(), 404, "not an enrolment of this desk");
    let r = s
        .http
        .post(format!("{}/applicant/start", s.base))
        .header("cookie", &session)
        .form(&[
            ("csrf", token.as_str()),
            ("applicant", APPLICANT),
            ("consent", "signed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let progress = header(&r, "location").to_owned();

    // Frames follow one another: each answer is a newer frame, a 640×480 JPEG.
    let started = Instant::now();
    let mut after = 0u64;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(60), "frames came");
        let r = get(
            &s,
            Some(&session),
            &format!("{progress}/preview.jpg?after={after}"),
        )
        .await;
        if r.status().as_u16() == 204 {
            assert_eq!(header(&r, "cache-control"), "no-store");
            continue;
        }
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(header(&r, "content-type"), "image/jpeg");
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert_eq!(header(&r, "x-preview-needed"), "5");
        let n: u64 = header(&r, "x-preview-frame").parse().unwrap();
        assert!(n > after, "frame {n} follows {after}");
        after = n;
        let jpeg = r.bytes().await.unwrap();
        let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (640, 480));
        seen.push(n);
    }

    // No review asked yet: the form is refused.
    let decide = |decision: &'static str, csrf: String| {
        s.http
            .post(format!("{}{progress}/photo", s.base))
            .header("cookie", &session)
            .form(&[("csrf", csrf), ("decision", decision.to_owned())])
            .send()
    };
    // The step waits for the operator: the event stream says so, and the page asks.
    let started = Instant::now();
    while !s
        .page(&session, &progress)
        .await
        .contains("id=\"photo-keep\"")
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "a review is asked"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let portrait = get(&s, Some(&session), &format!("{progress}/portrait.jpg")).await;
    assert_eq!(portrait.status().as_u16(), 200);
    assert_eq!(header(&portrait, "cache-control"), "no-store");
    let jpeg = portrait.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
    assert!(
        img.height() > img.width(),
        "the ICAO crop is portrait-shaped"
    );
    // The stream, read from the start, carries the review wanted.
    let mut events = s
        .http
        .get(format!("{}{progress}/events", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let mut text = String::new();
    while !text.contains("event: photo-review-wanted") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "photo-review-wanted in {text}"
        );
        let chunk = tokio::time::timeout(Duration::from_secs(30), events.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(events);

    let forged = decide("keep", "0".repeat(64)).await.unwrap();
    assert_eq!(
        forged.status().as_u16(),
        403,
        "the form needs the CSRF token"
    );
    let odd = decide("maybe", token.clone()).await.unwrap();
    assert_eq!(odd.status().as_u16(), 400);
    let kept = decide("keep", token.clone()).await.unwrap();
    assert_eq!(kept.status().as_u16(), 303);
    let again = decide("retake", token.clone()).await.unwrap();
    assert_eq!(again.status().as_u16(), 409, "one word per portrait");

    // The enrolment ends issued; the portrait stays shown, the preview is gone.
    let started = Instant::now();
    loop {
        let page = s.page(&session, &progress).await;
        if page.contains("data-state=\"issued\"") {
            assert!(page.contains("portrait.jpg"), "{page}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "issued");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = get(
        &s,
        Some(&session),
        &format!("{progress}/preview.jpg?after=0"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 204, "no preview after the step");
    let r = get(&s, Some(&session), &format!("{progress}/portrait.jpg")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap(), jpeg, "the portrait kept");
}
