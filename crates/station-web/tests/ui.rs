//! The operator screens over real HTTP on loopback: sign-in with Argon2id accounts, the CSRF
//! token every form needs, the supervisor's role for abandon, the applicant data with its
//! field errors and the MRZ as printed, a whole enrolment started from a file to its done page;
//! finger exceptions waiting for a supervisor's approval, refused to an operator and to the one
//! who declared them, journaled with their approver; the card not written before the operator
//! confirms its review (each file with its size), a review stopped then resumed after a
//! restart; a login locked after repeated wrong passwords, still locked after a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "common/station.rs"]
mod station;

use permitkit_station::journal::{EnrolmentState, Journal, NewEnrolment};
use serde_json::Value;
use station::{Server, csrf, set_cookie};

const APPLICANT: &str = station::APPLICANT_TOML;

async fn start() -> Server {
    Server::start(&station::two_operators()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_needs_the_right_password_and_the_forms_token() {
    let s = start().await;
    let r = s.http.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "no session: to the sign-in");
    assert_eq!(r.headers()["location"], "/login");

    let r = s
        .http
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&r, "pk_login").unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Вхід оператора"), "Ukrainian by default");
    let token = csrf(&page);
    let post = |form: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut r = s.http.post(format!("{}/login", s.base)).form(&form);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    let wrong = post(
        vec![
            ("login", "olena".into()),
            ("password", "nope".into()),
            ("csrf", token.clone()),
        ],
        Some(login_cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(set_cookie(&wrong, "pk_session").is_none());
    let unknown = post(
        vec![
            ("login", "nobody".into()),
            ("password", "olena-pass".into()),
            ("csrf", token.clone()),
        ],
        Some(login_cookie.clone()),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status().as_u16(), 401);
    let forged = post(
        vec![
            ("login", "olena".into()),
            ("password", "olena-pass".into()),
            ("csrf", token.clone()),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        forged.status().as_u16(),
        403,
        "no double-submit cookie: login CSRF refused"
    );
    s.sign_in("olena", "olena-pass").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let s = start().await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    for bad in ["", "00", &"0".repeat(64)] {
        let r = s
            .post_form(
                &session,
                "/applicant/check",
                &[("csrf", bad), ("applicant", APPLICANT)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 403, "csrf {bad:?}");
    }
    let r = s
        .post_form(
            &session,
            "/applicant/check",
            &[("csrf", token.as_str()), ("applicant", APPLICANT)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    // Sign-out needs the token too.
    let r = s.post_form(&session, "/logout", &[("csrf", "x")]).await;
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_supervisor_abandons_a_stuck_enrolment() {
    let s = start().await;
    // A stuck enrolment in the journal, as a crashed `enroll` leaves one.
    let id = {
        let mut j = Journal::open(&s.journal()).unwrap();
        j.begin(&NewEnrolment {
            application: "TRP-2026-000001",
            document_profile: "ua-temporary-residence-permit",
            station: "SIM-STATION-01",
            operator: "olena",
            applicant_file: "/nowhere.toml",
            applicant_sha256: "00",
            out_root: s.dir.path(),
        })
        .unwrap()
    };
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let start_page = s
        .http
        .get(format!("{}/", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        start_page.contains(&id),
        "the interrupted enrolment is listed"
    );
    assert!(
        !start_page.contains(&format!("/journal/{id}/abandon")),
        "no abandon form for an operator"
    );
    let r = s
        .post_form(
            &session,
            &format!("/journal/{id}/abandon"),
            &[("csrf", token.as_str()), ("reason", "applicant left")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403, "an operator may not abandon");
    let state = |s: &Server| {
        Journal::open(&s.journal())
            .unwrap()
            .record(&id)
            .unwrap()
            .state
    };
    assert_eq!(state(&s), EnrolmentState::InProgress);

    let (session, token) = s.sign_in("petro", "petro-pass").await;
    let r = s
        .post_form(
            &session,
            &format!("/journal/{id}/abandon"),
            &[("csrf", token.as_str()), ("reason", "applicant left")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(state(&s), EnrolmentState::Abandoned);
    let journal = s
        .http
        .get(format!("{}/journal?state=abandoned", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(journal.contains(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicant_screen_shows_field_errors_and_the_mrz_then_the_card_is_issued() {
    let s = start().await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let check = |text: String| {
        s.http
            .post(format!("{}/applicant/check", s.base))
            .header("cookie", &session)
            .form(&[("csrf", token.clone()), ("applicant", text)])
            .send()
    };
    let bad = check(APPLICANT.replace("sex = \"F\"", "sex = \"Q\""))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("<code>holder.sex</code>"), "{html}");

    let good = check(APPLICANT.to_owned()).await.unwrap();
    assert_eq!(good.status().as_u16(), 200);
    let html = good.text().await.unwrap();
    let mrz = html
        .split("id=\"mrz\">")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    let mrz = mrz.replace("&lt;", "<");
    let lines: Vec<&str> = mrz.lines().collect();
    assert_eq!(lines.len(), 3, "TD1: {mrz}");
    assert!(lines.iter().all(|l| l.len() == 30));
    assert!(
        lines[0].starts_with('I') && lines[0].contains("FT4211207"),
        "{mrz}"
    );
    assert!(lines[2].starts_with("AKHMETOVA<<AIGERIM<"), "{mrz}");

    assert!(
        html.contains("name=\"consent\""),
        "the holder consented to fingerprints on the chip: the operator must confirm it"
    );
    let start = |form: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, &str)> = form;
        form.push(("csrf", token.as_str()));
        form.push(("applicant", APPLICANT));
        s.http
            .post(format!("{}/applicant/start", s.base))
            .header("cookie", &session)
            .form(&form)
            .send()
    };
    let unconfirmed = start(vec![]).await.unwrap();
    assert_eq!(
        unconfirmed.status().as_u16(),
        422,
        "no consent tick, no start"
    );
    assert!(
        unconfirmed
            .text()
            .await
            .unwrap()
            .contains("consent.fingerprints_on_chip")
    );
    assert!(s.journaled().is_empty(), "nothing was started");
    let r = start(vec![("consent", "signed")]).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let progress = r.headers()["location"].to_str().unwrap().to_owned();
    // The progress page's own event stream (session-guarded) runs to the end.
    let events = s
        .http
        .get(format!("{}{progress}/events", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(events.contains("event: issued"), "{events}");
    let done = s
        .http
        .get(format!("{}{progress}", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("data-state=\"issued\""), "{done}");
    assert!(
        !done.contains("EventSource"),
        "the done page needs no stream"
    );
    let record = s.journaled().pop().unwrap();
    assert_eq!(record.operator, "olena", "the operator is journaled");
    // Without a session the stream is not served.
    let r = s
        .http
        .get(format!("{}{progress}/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

/// Starts `APPLICANT` from the applicant screen, consent ticked (and `extra` fields); the
/// progress page's path.
async fn start_enrolment(
    s: &Server,
    session: &str,
    token: &str,
    extra: &[(&'static str, &'static str)],
) -> String {
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", token),
        ("applicant", APPLICANT),
        ("consent", "signed"),
    ];
    form.extend_from_slice(extra);
    let r = s
        .http
        .post(format!("{}/applicant/start", s.base))
        .header("cookie", session)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The progress page's event stream, read to its end (the enrolment's final state).
async fn stream_to_end(s: &Server, session: &str, progress: &str) -> Vec<(String, Value)> {
    let body = s
        .http
        .get(format!("{}{progress}/events", s.base))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    station::sse_blocks(&body)
}

fn final_state(events: &[(String, Value)]) -> String {
    let (kind, data) = events.last().unwrap();
    assert_eq!(kind, "state", "{events:?}");
    data["state"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_enrolment_survives_a_restart_and_is_resumed_to_an_issued_card() {
    let s = Server::start_with(&station::two_operators(), &[station::UNPLUGGED_SCANNER]).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    let first = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&first), "failed");
    let record = s.journaled().pop().unwrap();
    let journal_id = record.id.clone();
    assert_eq!(record.state, EnrolmentState::InProgress);

    // The scanner is plugged in and the server started again: the desk knows what the
    // journal knows.
    let s = s.restart(&[]).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let page = s.page(&session, &progress).await;
    assert!(page.contains("data-state=\"failed\""), "{page}");
    // The step it stopped at and why, as the journal kept it, in the operator's language.
    assert!(page.contains("data-cause=\"scanner\""), "{page}");
    assert!(
        page.contains("<strong>Fingerprints</strong>: The fingerprint scanner failed"),
        "{page}"
    );
    let start = s.page(&session, "/").await;
    assert!(start.contains("Fingerprints (failed)"), "{start}");
    let resume = format!("/journal/{journal_id}/resume");
    assert!(start.contains(&resume), "a Resume button: {start}");

    let forged = s
        .post_form(&session, &resume, &[("csrf", &"0".repeat(64))])
        .await;
    assert_eq!(forged.status().as_u16(), 403, "the form's token is needed");
    let r = s
        .post_form(&session, &resume, &[("csrf", token.as_str())])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        progress,
        "the same enrolment, under the same id"
    );
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let skipped: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "step-skipped")
        .map(|(_, d)| d["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        ["applicant", "photo"],
        "continued where it stopped"
    );
    let begin = events.iter().find(|(k, _)| k == "begin").unwrap();
    assert_eq!(begin.1["resumed"], true);
    assert_eq!(begin.1["id"], journal_id.as_str());

    let journal = Journal::open(&s.journal()).unwrap();
    let record = journal.record(&journal_id).unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    let attempts = |step: &str| {
        record
            .steps
            .iter()
            .find(|st| st.step.name() == step)
            .unwrap()
            .attempts
    };
    assert_eq!(attempts("photo"), 1, "the portrait was not taken again");
    assert_eq!(attempts("fingers"), 2);
    assert!(
        journal
            .events(&journal_id)
            .unwrap()
            .iter()
            .any(|(_, kind, message)| kind == "resume" && message == "by olena"),
        "who resumed it is journaled"
    );
    assert_eq!(s.journaled().len(), 1, "no second enrolment");
    // Issued: nothing left to resume.
    let r = s
        .post_form(&session, &resume, &[("csrf", token.as_str())])
        .await;
    assert_eq!(r.status().as_u16(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_with_a_bureau_seals_and_queues_the_application_after_the_signature() {
    let bureau = station::TestBureau::new();
    let s = Server::start_for_bureau(&station::two_operators(), bureau.clone()).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "for-bureau", "{events:?}");
    let started: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "step-started")
        .map(|(_, d)| d["step"].as_str().unwrap())
        .collect();
    assert_eq!(started, ["applicant", "photo", "fingers", "signature"]);
    assert!(!events.iter().any(|(k, _)| k == "issued"));

    let done = s.page(&session, &progress).await;
    assert!(done.contains("data-state=\"for-bureau\""), "{done}");
    assert!(
        done.contains("queued for the central bureau"),
        "the done page says where the application went: {done}"
    );

    let record = s.journaled().pop().unwrap();
    assert_eq!(record.state, EnrolmentState::ForBureau);
    let journal = Journal::open(&s.journal()).unwrap();
    let record = journal.record(&record.id).unwrap();
    assert!(record.blobs.is_empty(), "the captures left the station");
    let entry = journal.outbox_entry(&record.id).unwrap().unwrap();
    assert_eq!(entry.status(), "queued-for-submission");
    assert_eq!(entry.application, "TRP-2026-004211");
    // The package opens with the bureau's key only, and holds the applicant and captures.
    let sealed = journal.outbox_package(&record.id).unwrap().unwrap();
    let package =
        permitkit_pki::envelope::open(&sealed, bureau.keys.key(), bureau.keys.certificate_der())
            .unwrap();
    let package: Value = serde_json::from_slice(&package).unwrap();
    assert!(
        package["applicant"]
            .as_str()
            .unwrap()
            .contains("TRP-2026-004211")
    );
    assert!(!package["portrait"]["jpeg"].as_str().unwrap().is_empty());
}

/// A PNG of `width`×`height` white paper with a dark zig-zag drawn `ink` pixels thick across
/// `span_percent` of its width (none when 0).
fn drawn_png(width: u32, height: u32, span_percent: u32, ink: u32) -> Vec<u8> {
    let mut img = image::GrayImage::from_pixel(width, height, image::Luma([255]));
    let len = width * span_percent / 100;
    for i in 0..len {
        let x = width / 10 + i;
        let y = height / 3 + (i % 60).min(60 - i % 60);
        for dy in 0..ink {
            for dx in 0..ink {
                img.put_pixel(x + dx, y + dy, image::Luma([20]));
            }
        }
    }
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_signature_pad_the_signature_is_drawn_on_screen_and_checked() {
    let s = Server::start_with(&station::two_operators(), &[station::NO_SIGNATURE_PAD]).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    // The signature step waits; the progress page becomes the canvas.
    let waited = std::time::Instant::now();
    let page = loop {
        let page = s.page(&session, &progress).await;
        if page.contains("<canvas id=\"pad\"") {
            break page;
        }
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(120),
            "the signature step asks for the screen: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(page.contains("no signature pad"), "why on screen: {page}");
    let upload = |png: Vec<u8>, token: Option<&str>| {
        let mut r = s
            .http
            .post(format!("{}{progress}/signature", s.base))
            .header("cookie", &session)
            .header("content-type", "image/png")
            .body(png);
        if let Some(t) = token {
            r = r.header(permitkit_station_web::ui::CSRF_HEADER, t);
        }
        r.send()
    };
    let good = drawn_png(900, 300, 60, 4);
    let r = upload(good.clone(), None).await.unwrap();
    assert_eq!(r.status().as_u16(), 403, "no CSRF token, no upload");
    let refusals: [(Vec<u8>, &str); 4] = [
        (drawn_png(900, 300, 0, 4), "The box is empty"),
        (drawn_png(900, 300, 2, 2), "Too little for a signature"),
        (b"GIF89a not a PNG".to_vec(), "could not be read"),
        (good[..good.len() / 2].to_vec(), "could not be read"),
    ];
    for (png, words) in refusals {
        let r = upload(png, Some(&token)).await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(words),
            "{words}: {body}"
        );
    }
    let too_big = vec![0u8; permitkit_station_web::signature_upload::MAX_UPLOAD + 1];
    let r = upload(too_big, Some(&token)).await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        422,
        "over the limit: refused with words"
    );
    let r = upload(good.clone(), Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let r = upload(good, Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 409, "one signature per wait");

    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let record = s.journaled().pop().unwrap();
    let journal = Journal::open(&s.journal()).unwrap();
    let signature = journal
        .step(&record.id, permitkit_station::pipeline::Step::Signature)
        .unwrap()
        .unwrap();
    assert_eq!(
        signature.result.as_ref().unwrap()["strokes"],
        0,
        "an image, as a scanned pad gives: {signature:?}"
    );
    // The card's DG7 holds the drawn zig-zag: wide and flat, as drawn.
    let jpeg = station::dg7_jpeg_of_card_in_reader(s.dir.path());
    let (ink, w, h) = station::ink_of_jpeg(&jpeg);
    assert!(ink > 0.01, "DG7 is not blank: {ink}");
    let aspect = f64::from(w) / f64::from(h);
    let drawn = (0.6 * 900.0) / (30.0 + 4.0);
    assert!(
        (aspect - drawn).abs() / drawn < 0.35,
        "DG7's ink is the drawn shape: {w}x{h} against {drawn:.1}"
    );
}

/// The approval form posted to `approval` for the right index, with `credentials` (login,
/// password) or none (the session's own role).
async fn approve(
    s: &Server,
    session: &str,
    token: &str,
    approval: &str,
    credentials: Option<(&str, &str)>,
) -> (u16, String) {
    let mut form = vec![("csrf", token), ("finger", "right-index")];
    if let Some((login, password)) = credentials {
        form.extend([("login", login), ("password", password)]);
    }
    let r = s
        .http
        .post(format!("{}{approval}", s.base))
        .header("cookie", session)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finger_exception_waits_for_a_supervisor_and_the_journal_names_the_approver() {
    let s = start().await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    // `other` needs words.
    let r = s
        .http
        .post(format!("{}/applicant/start", s.base))
        .header("cookie", &session)
        .form(&[
            ("csrf", token.as_str()),
            ("applicant", APPLICANT),
            ("consent", "signed"),
            ("cause.right-index", "other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("missing_fingers.right-index")
    );

    let approval =
        start_enrolment(&s, &session, &token, &[("cause.right-index", "amputated")]).await;
    assert!(approval.ends_with("/approval"), "{approval}");
    let progress = approval.trim_end_matches("/approval").to_owned();
    let r = s
        .http
        .get(format!("{}{progress}", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the progress page waits too");
    let page = s.page(&session, &approval).await;
    assert!(page.contains("awaiting-approval"), "{page}");
    assert!(
        page.contains("amputated") && page.contains("right index"),
        "{page}"
    );
    assert!(
        s.journaled().is_empty(),
        "nothing begins before the approval"
    );

    // The operator may not approve, neither with her own credentials nor from her session.
    let (status, page) = approve(
        &s,
        &session,
        &token,
        &approval,
        Some(("olena", "olena-pass")),
    )
    .await;
    assert_eq!(status, 403);
    assert!(page.contains("Only a supervisor may approve"), "{page}");
    let (status, _) = approve(&s, &session, &token, &approval, None).await;
    assert_eq!(status, 403);
    let (status, page) = approve(&s, &session, &token, &approval, Some(("petro", "wrong"))).await;
    assert_eq!(status, 401);
    assert!(page.contains("Wrong login or password"), "{page}");
    assert!(s.journaled().is_empty());

    // The supervisor's credentials on the operator's screen.
    let (status, _) = approve(
        &s,
        &session,
        &token,
        &approval,
        Some(("petro", "petro-pass")),
    )
    .await;
    assert_eq!(status, 303);
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let plan = events.iter().find(|(k, _)| k == "fingers-planned").unwrap();
    assert_eq!(plan.1["missing"][0]["approved_by"], "petro");
    let skipped = events.iter().find(|(k, _)| k == "finger-skipped").unwrap();
    assert_eq!(skipped.1["finger"], "right-index");
    assert_eq!(skipped.1["reason"], "declared-missing");
    assert_eq!(skipped.1["cause"], "amputated");
    let accepted: Vec<&Value> = events
        .iter()
        .filter(|(k, _)| k == "finger-accepted")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(accepted[0]["finger"], "right-middle", "the substitute");
    assert_eq!(accepted[0]["wanted"], "right-index");
    assert!(
        !events
            .iter()
            .any(|(k, d)| k == "present-finger" && d["finger"] == "right-index"),
        "the declared finger is never asked for"
    );
    let attempts = events.iter().filter(|(k, _)| k == "finger-attempt").count();
    assert!(attempts >= 2, "each attempt is reported: {attempts}");

    // The journal's fingers record: the substitute, the skip with its cause and approver.
    let record = s.journaled().pop().unwrap();
    let fingers = Journal::open(&s.journal())
        .unwrap()
        .step(&record.id, permitkit_station::pipeline::Step::Fingers)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    assert_eq!(fingers["fingers"][0]["captured"], "right-middle");
    assert_eq!(fingers["fingers"][0]["skipped"][0]["approved_by"], "petro");
    assert_eq!(fingers["declared"][0]["finger"], "right-index");
    assert_eq!(fingers["declared"][0]["cause"], "amputated");
    assert_eq!(fingers["declared"][0]["approved_by"], "petro");
    // The done page shows it, and no finger image: its only pictures are the photo screen's
    // (the live view, empty once the step is over, and the chip's crop held in memory).
    let done = s.page(&session, &progress).await;
    assert!(done.contains("Finger exceptions approved"), "{done}");
    assert!(done.contains("substituted by right middle"), "{done}");
    assert_eq!(
        done.matches("<img").count(),
        done.matches("<img id=\"preview\"").count() + done.matches("<img id=\"crop\"").count(),
        "{done}"
    );
    assert!(
        !s.dir
            .path()
            .join("api-applications")
            .read_dir()
            .unwrap()
            .any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".exceptions.json")),
        "the exceptions file goes with the spooled applicant file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_approves_from_their_own_session_but_not_their_own_declaration() {
    let s = start().await;
    let (petro, petro_token) = s.sign_in("petro", "petro-pass").await;
    let own = start_enrolment(
        &s,
        &petro,
        &petro_token,
        &[("cause.right-index", "injured")],
    )
    .await;
    let (status, page) = approve(&s, &petro, &petro_token, &own, None).await;
    assert_eq!(status, 403, "the one who declared does not approve");
    assert!(page.contains("another supervisor"), "{page}");
    assert!(s.journaled().is_empty(), "still waiting");

    // On another station: the operator declares, the supervisor approves from his session.
    let s = start().await;
    let (olena, olena_token) = s.sign_in("olena", "olena-pass").await;
    let approval = start_enrolment(
        &s,
        &olena,
        &olena_token,
        &[("cause.left-index", "unable-to-present")],
    )
    .await;
    let (petro, petro_token) = s.sign_in("petro", "petro-pass").await;
    let queue = s.page(&petro, "/").await;
    assert!(queue.contains("awaiting-approval"), "{queue}");
    let page = s.page(&petro, &approval).await;
    assert!(page.contains("Approve as petro"), "{page}");
    let r = s
        .post_form(
            &petro,
            &approval,
            &[("csrf", petro_token.as_str()), ("finger", "left-index")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let progress = approval.trim_end_matches("/approval");
    let events = stream_to_end(&s, &olena, progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let accepted: Vec<&Value> = events
        .iter()
        .filter(|(k, _)| k == "finger-accepted")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(accepted[1]["finger"], "left-middle");
    let skipped = events
        .iter()
        .find(|(k, d)| k == "finger-skipped" && d["finger"] == "left-index")
        .unwrap();
    assert_eq!(skipped.1["cause"], "unable-to-present");
    assert_eq!(skipped.1["approved_by"], "petro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finger_exceptions_outlive_a_restart_and_a_resume_keeps_them() {
    let s = Server::start_with(&station::two_operators(), &[station::UNPLUGGED_SCANNER]).await;
    let (olena, olena_token) = s.sign_in("olena", "olena-pass").await;
    let approval = start_enrolment(
        &s,
        &olena,
        &olena_token,
        &[("cause.right-index", "amputated")],
    )
    .await;
    let progress = approval.trim_end_matches("/approval").to_owned();

    // Restarted while it waits: it still waits, for the same exception.
    let s = s.restart(&[station::UNPLUGGED_SCANNER]).await;
    let (petro, petro_token) = s.sign_in("petro", "petro-pass").await;
    let page = s.page(&petro, &approval).await;
    assert!(page.contains("awaiting-approval"), "{page}");
    assert!(
        page.contains("amputated") && page.contains("olena"),
        "{page}"
    );
    let r = s
        .post_form(
            &petro,
            &approval,
            &[("csrf", petro_token.as_str()), ("finger", "right-index")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let first = stream_to_end(&s, &petro, &progress).await;
    assert_eq!(final_state(&first), "failed", "the scanner is unplugged");
    let journal_id = s.journaled().pop().unwrap().id;

    // Plugged in and restarted; the resumed fingers step skips the approved finger again.
    let s = s.restart(&[]).await;
    let (olena, olena_token) = s.sign_in("olena", "olena-pass").await;
    let r = s
        .post_form(
            &olena,
            &format!("/journal/{journal_id}/resume"),
            &[("csrf", olena_token.as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let events = stream_to_end(&s, &olena, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let fingers = Journal::open(&s.journal())
        .unwrap()
        .step(&journal_id, permitkit_station::pipeline::Step::Fingers)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    assert_eq!(fingers["fingers"][0]["captured"], "right-middle");
    assert_eq!(fingers["declared"][0]["approved_by"], "petro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_mid_write_is_put_back_and_finished_from_the_card_screen() {
    // The virtual card leaves the reader after 20 commands: in the middle of personalization.
    let s = Server::start_drilled(&station::two_operators(), 20).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    let first = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&first), "failed", "{first:?}");
    let journal_id = s.journaled().pop().unwrap().id;

    // The card screen says what to do with the card in hand, and offers the resume.
    let page = s.page(&session, &progress).await;
    assert!(page.contains("id=\"card\""), "{page}");
    assert!(
        page.contains("Put the same card back on the reader"),
        "{page}"
    );
    let resume = format!("action=\"/journal/{journal_id}/resume\"");
    assert!(page.contains(&resume), "{page}");
    assert!(!page.contains(">issued<"), "never reported issued: {page}");

    // The same card back on the reader (the drill over: the server started again without it),
    // Resume pressed: personalization continues on that card.
    let s = s.restart(&[]).await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let page = s.page(&session, &progress).await;
    assert!(
        page.contains(&resume),
        "the card screen after a restart: {page}"
    );
    let r = s
        .post_form(
            &session,
            &format!("/journal/{journal_id}/resume"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let personalized = events
        .iter()
        .find(|(k, d)| k == "step-done" && d["step"] == "personalize")
        .unwrap();
    assert!(
        personalized.1["summary"]
            .as_str()
            .unwrap()
            .contains("resumed"),
        "the same card, continued: {personalized:?}"
    );
    let done = s.page(&session, &progress).await;
    assert!(
        !done.contains("id=\"card\""),
        "no card section once issued: {done}"
    );
}

/// `n` as the review page writes it: thousands parted by a narrow no-break space.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Waits until the progress page is the card's review; the page.
async fn wait_for_review(s: &Server, session: &str, progress: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let page = s.page(session, progress).await;
        if page.contains("id=\"card-review\"") {
            return page;
        }
        assert!(
            !page.contains("data-state=\"failed\"") && !page.contains("data-state=\"issued\""),
            "the enrolment waits at the review: {page}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(180),
            "the review is shown"
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

/// The steps the journal records for `journal_id`, by name.
fn journal_steps(s: &Server, journal_id: &str) -> Vec<String> {
    Journal::open(&s.journal())
        .unwrap()
        .record(journal_id)
        .unwrap()
        .steps
        .iter()
        .map(|st| st.step.name().to_owned())
        .collect()
}

fn card_reviews(s: &Server, journal_id: &str) -> Vec<String> {
    Journal::open(&s.journal())
        .unwrap()
        .events(journal_id)
        .unwrap()
        .into_iter()
        .filter(|(_, kind, _)| kind == "card-review")
        .map(|(_, _, message)| message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_waits_for_the_operators_review_of_every_file_before_it_is_written() {
    let s = Server::start(&format!(
        "review_before_card = true\n{}",
        station::two_operators()
    ))
    .await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    let page = wait_for_review(&s, &session, &progress).await;

    // Nothing is written while the review waits: the ChipImage is signed, personalize has not
    // begun, no decision is journaled.
    let journal_id = s.journaled().pop().unwrap().id;
    let record = Journal::open(&s.journal())
        .unwrap()
        .record(&journal_id)
        .unwrap();
    assert_eq!(record.state, EnrolmentState::InProgress);
    let step = |name: &str| record.steps.iter().find(|st| st.step.name() == name);
    assert!(step("chip-image").is_some_and(|st| st.result.is_some()));
    assert!(
        step("personalize").is_none(),
        "the card is not written before the operator confirms: {:?}",
        record.steps
    );
    assert!(card_reviews(&s, &journal_id).is_empty());

    // Every file of the ChipImage, by name, with its size in bytes and the chip's budget.
    let manifest = &step("chip-image").unwrap().result.as_ref().unwrap()["manifest"]["files"];
    let files = manifest.as_array().unwrap();
    assert!(files.len() >= 8, "{manifest}");
    for f in files {
        let name = f["name"].as_str().unwrap();
        let shown = if name.starts_with("DG") {
            name.to_owned()
        } else {
            format!("EF.{name}")
        };
        let size = grouped(f["size"].as_u64().unwrap());
        let row = format!(
            "<tr><td>{shown}</td><td class=\"n\">{size}</td><td class=\"n\">{}</td>",
            grouped(65535)
        );
        assert!(page.contains(&row), "{row} in {page}");
    }
    // The data as written, the fingers by position and quality only, DG3 behind EAC.
    assert!(
        page.contains("AKHMETOVA&lt;&lt;AIGERIM&lt;"),
        "the MRZ as printed"
    );
    assert!(page.contains("FT4211207"));
    assert!(page.contains("id=\"review-fingers\""));
    assert!(page.contains("DG3 is behind EAC"), "{page}");
    assert!(
        page.contains("id=\"review-write\" autofocus"),
        "write is the default"
    );
    assert!(!page.contains("id=\"over-budget\""), "everything fits");
    // The signature as DG7 holds it, while the review waits, never cached.
    let r = s
        .http
        .get(format!("{}{progress}/review/signature.jpg", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = s
        .http
        .get(format!("{}{progress}/review/signature.jpg", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "no session, no signature");

    let decide = |decision: &'static str, csrf: String| {
        s.http
            .post(format!("{}{progress}/review", s.base))
            .header("cookie", &session)
            .form(&[("csrf", csrf), ("decision", decision.to_owned())])
            .send()
    };
    let forged = decide("write", "0".repeat(64)).await.unwrap();
    assert_eq!(
        forged.status().as_u16(),
        403,
        "the form needs the CSRF token"
    );
    let odd = decide("maybe", token.clone()).await.unwrap();
    assert_eq!(odd.status().as_u16(), 400);
    assert!(
        !journal_steps(&s, &journal_id).contains(&"personalize".to_owned()),
        "refused forms write nothing"
    );
    let write = decide("write", token.clone()).await.unwrap();
    assert_eq!(write.status().as_u16(), 303);
    assert_eq!(write.headers()["location"].to_str().unwrap(), progress);
    let again = decide("write", token.clone()).await.unwrap();
    assert_eq!(again.status().as_u16(), 409, "one answer per review");

    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    assert_eq!(
        card_reviews(&s, &journal_id),
        ["write the card: confirmed by olena"],
        "the decision and who made it are journaled"
    );
    let r = s
        .http
        .get(format!("{}{progress}/review/signature.jpg", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        404,
        "the review's sheet is dropped once answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_stopped_at_the_review_is_reviewed_again_after_a_restart_and_a_resume() {
    let s = Server::start(&format!(
        "review_before_card = true\n{}",
        station::two_operators()
    ))
    .await;
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let progress = start_enrolment(&s, &session, &token, &[]).await;
    wait_for_review(&s, &session, &progress).await;
    let journal_id = s.journaled().pop().unwrap().id;
    let r = s
        .post_form(
            &session,
            &format!("{progress}/review"),
            &[("csrf", token.as_str()), ("decision", "stop")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "failed");
    let (_, state) = events.last().unwrap();
    assert!(
        state["error"]
            .as_str()
            .unwrap()
            .contains("olena stopped at the review"),
        "{state}"
    );
    assert_eq!(state["cause"], "stopped-at-review", "{state}");
    // The page says that nothing was written to the card; no "card not finished" box, though
    // the card was identified before the review.
    let page = s.page(&session, &progress).await;
    assert!(page.contains("data-cause=\"stopped-at-review\""), "{page}");
    assert!(page.contains("nothing was written to the card"), "{page}");
    assert!(!page.contains("card-stopped"), "{page}");
    assert_eq!(
        card_reviews(&s, &journal_id),
        ["not written: stopped by olena"]
    );
    let steps = journal_steps(&s, &journal_id);
    assert!(steps.contains(&"chip-image".to_owned()), "{steps:?}");
    assert!(
        !steps.contains(&"personalize".to_owned()),
        "nothing written"
    );

    // The server starts again: the enrolment resumes at the review, not at the card.
    let s = s.restart(&[]).await;
    let (session, token) = s.sign_in("petro", "petro-pass").await;
    let r = s
        .post_form(
            &session,
            &format!("/journal/{journal_id}/resume"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = wait_for_review(&s, &session, &progress).await;
    assert!(page.contains("id=\"review-write\""), "{page}");
    let r = s
        .post_form(
            &session,
            &format!("{progress}/review"),
            &[("csrf", token.as_str()), ("decision", "write")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let events = stream_to_end(&s, &session, &progress).await;
    assert_eq!(final_state(&events), "issued", "{events:?}");
    let skipped: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "step-skipped")
        .map(|(_, d)| d["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        ["applicant", "photo", "fingers", "signature", "chip-image"],
        "continued at the review"
    );
    assert_eq!(
        card_reviews(&s, &journal_id),
        [
            "not written: stopped by olena",
            "write the card: confirmed by petro"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one() {
    let s = start().await;
    let r = s
        .http
        .get(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&r, "pk_login").unwrap();
    let token = csrf(&r.text().await.unwrap());
    let attempt = |login: &'static str, password: &'static str, lang: &'static str| {
        s.http
            .post(format!("{}/login", s.base))
            .header("cookie", &cookie)
            .form(&[
                ("login", login),
                ("password", password),
                ("csrf", token.as_str()),
                ("lang", lang),
            ])
            .send()
    };
    for _ in 1..5 {
        let r = attempt("olena", "guess", "en").await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
    // The fifth wrong password locks the account.
    let r = attempt("olena", "guess", "en").await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    // The right password is refused too, with the reason, in the operator's language.
    let r = attempt("olena", "olena-pass", "en").await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(set_cookie(&r, "pk_session").is_none(), "no session");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Too many failed sign-ins for this account"),
        "{html}"
    );
    let r = attempt("olena", "olena-pass", "uk").await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Забагато невдалих спроб входу"),
    );
    // Per account: another operator signs in.
    s.sign_in("petro", "petro-pass").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_login_stays_locked_after_a_restart() {
    let s = start().await;
    let attempt = |s: &Server, password: &'static str| {
        let (base, http) = (s.base.clone(), s.http.clone());
        async move {
            let r = http.get(format!("{base}/login")).send().await.unwrap();
            let cookie = set_cookie(&r, "pk_login").unwrap();
            let token = csrf(&r.text().await.unwrap());
            http.post(format!("{base}/login"))
                .header("cookie", &cookie)
                .form(&[
                    ("login", "olena"),
                    ("password", password),
                    ("csrf", token.as_str()),
                    ("lang", "en"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 1..5 {
        assert_eq!(attempt(&s, "guess").await.status().as_u16(), 401);
    }
    assert_eq!(attempt(&s, "guess").await.status().as_u16(), 429);
    let file = std::fs::read_to_string(s.dir.path().join("sign-in-limits.json")).unwrap();
    assert!(
        file.contains("\"olena\"") && !file.contains("guess"),
        "{file}"
    );
    // `station serve` restarted on the same folder: the lock holds, the right password too.
    let s = s.restart(&[]).await;
    let r = attempt(&s, "olena-pass").await;
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    s.sign_in("petro", "petro-pass").await;
}
