//! The operator screens in a real browser: Debian's headless Chromium driven over WebDriver
//! (`chromedriver`, through `fantoccini`) by clicking and typing, at 1366×768, against the
//! simulated station served on loopback. A whole enrolment from sign-in (keyboard only) to the
//! issued card, the signature drawn on screen with the mouse (WebDriver pointer actions) and
//! found on the card's DG7, and the failure paths a front office meets: a camera that only
//! yields bad frames (the reason is on screen, nothing is captured), an unplugged scanner, an
//! empty signature box, and an operator who may not abandon what only a supervisor may; a
//! finger declared missing, approved by a supervisor on the operator's screen, its substitute
//! on the card, and an operator refused that approval; the photo screen's live preview, the
//! chip's crop, retake and keep; the review of the card before it is written.
//!
//! Every screen visited is photographed; with `PERMITKIT_SCREENSHOTS=<folder>` the pictures are
//! kept there (README's are made so: `PERMITKIT_SCREENSHOTS=$PWD/docs/screenshots cargo test -p
//! permitkit-station-web --test browser`). A missing `chromedriver` or `chromium` fails these
//! tests; `.ci/install-deps` installs both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "common/browser.rs"]
mod browser;
#[path = "common/station.rs"]
mod station;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use browser::Browser;
use fantoccini::actions::{MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Locator, actions::InputSource, key::Key};
use permitkit_station::journal::EnrolmentState;
use station::Server;

const APPLICANT: &str = station::APPLICANT_TOML;

/// What only these tests do with the browser.
impl Browser {
    /// Draws a zig-zag across the signature canvas with the mouse: pointer down 300 px left of
    /// its centre, twelve moves of 50 px right and 40 px up or down, pointer up.
    async fn draw_zigzag(&self) {
        let canvas = self.client.find(Locator::Css("canvas#pad")).await.unwrap();
        let mut stroke = MouseActions::new("mouse".to_owned())
            .then(PointerAction::MoveToElement {
                element: canvas,
                duration: None,
                x: -300.0,
                y: -20.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
        for i in 0..12 {
            stroke = stroke.then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(30)),
                x: 50.0,
                y: if i % 2 == 0 { 40.0 } else { -40.0 },
            });
        }
        let stroke = stroke.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
        self.client.perform_actions(stroke).await.unwrap();
        self.client.release_actions().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_enrols_an_applicant_to_an_issued_card_by_clicking_and_typing() {
    let s = Server::start(&format!(
        "review_before_card = true\n{}",
        station::two_operators()
    ))
    .await;
    let b = Browser::open().await;

    b.client
        .goto(&format!("{}/login?lang=en", s.base))
        .await
        .unwrap();
    b.shot("01-sign-in").await;
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    assert!(b.body().await.contains("olena (operator)"));
    b.shot("02-start").await;

    // A mistyped sex code: the field and the problem, as the CLI words them.
    b.check_applicant(&s.base, &APPLICANT.replace("sex = \"F\"", "sex = \"Q\""))
        .await;
    let page = b.body().await;
    assert!(page.contains("holder.sex"), "{page}");
    b.shot("03-applicant-field-errors").await;

    b.check_applicant(&s.base, APPLICANT).await;
    let mrz = b.text("#mrz").await;
    let lines: Vec<&str> = mrz.lines().collect();
    assert_eq!(lines.len(), 3, "TD1: {mrz}");
    assert!(lines.iter().all(|l| l.len() == 30), "{mrz}");
    assert!(lines[2].starts_with("AKHMETOVA<<AIGERIM<"), "{mrz}");
    let data = b.text("table.data").await;
    assert!(data.contains("АХМЕТОВА, АЙГЕРІМ"), "{data}");
    assert!(data.contains("FT4211207"), "{data}");
    b.shot("04-applicant-mrz").await;
    // The holder's written consent, confirmed by the operator, puts DG3 on the chip.
    b.click("input[name=consent]").await;

    b.click("form[action='/applicant/start'] button").await;
    // Before the card is written: everything that goes on the chip, each file against the
    // chip's budget; "Write the card" has the focus.
    b.wait_for("#review-write").await;
    let files = b.text("#review-files").await;
    for ef in [
        "EF.COM", "DG1", "DG2", "DG3", "DG7", "DG11", "DG12", "EF.SOD",
    ] {
        assert!(files.contains(ef), "{ef} in {files}");
    }
    assert!(b.text("#review-mrz").await.contains("AKHMETOVA<<AIGERIM<"));
    assert!(b.text("#card-review").await.contains("DG3 is behind EAC"));
    let (w, h) = loaded_size(&b, "#review-portrait").await;
    assert!(h > w, "DG2's portrait-shaped crop: {w}x{h}");
    let (w, h) = loaded_size(&b, "#review-signature").await;
    assert!(w > h, "DG7's signature: {w}x{h}");
    let journal_id = s.journaled().pop().unwrap().id;
    let steps = permitkit_station::journal::Journal::open(&s.journal())
        .unwrap()
        .record(&journal_id)
        .unwrap()
        .steps;
    assert!(
        steps.iter().any(|st| st.step.name() == "chip-image")
            && steps.iter().all(|st| st.step.name() != "personalize"),
        "signed, nothing written before the operator confirms: {steps:?}"
    );
    b.shot("17-review").await;
    // Written from the keyboard: the write button has the focus, Enter.
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("review-write")
    );
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let state = b.wait_final().await;
    assert_eq!(state, "issued", "{}", b.body().await);
    let done = b.body().await;
    for step in [
        "Photo: done",
        "Fingerprints: done",
        "Signature: done",
        "Writing the card: done",
        "Verifying the card: done",
    ] {
        assert!(done.contains(step), "{step} on the done page: {done}");
    }
    b.shot("05-done").await;

    b.click("header a[href='/journal']").await;
    let journal = b.body().await;
    assert!(journal.contains("TRP-2026-004211"), "{journal}");
    b.shot("06-journal").await;

    let record = s.journaled().pop().unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    assert_eq!(record.operator, "olena");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_only_yields_bad_frames_shows_what_to_fix_and_captures_nothing() {
    let (s, b, alert) = failed_enrolment(
        (
            "[camera]\nselector = \"sim\"",
            "[camera]\nselector = \"sim:bad\"",
        ),
        "uk",
    )
    .await;
    // In Ukrainian: the step, what happened, the last problem named in words the operator can
    // act on, what to do; the pipeline's English message only as folded technical detail.
    assert!(alert.starts_with("Фото:"), "the photo step failed: {alert}");
    let last = b.text("#last-problem").await;
    assert!(last.starts_with("Остання проблема: "), "{last}");
    assert!(
        last.contains("світл") && !last.contains("light"),
        "what to fix, in Ukrainian: {last}"
    );
    assert!(
        !alert.contains("live capture"),
        "the English detail stays folded: {alert}"
    );
    let page = b.body().await;
    assert!(
        !page.contains("Фото: виконано"),
        "no portrait was captured: {page}"
    );
    b.shot("07-photo-failed-uk").await;
    // Nothing of the applicant's face was kept in the enrolment's folder.
    let portraits = walk(&s.dir.path().join("enrolments"))
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "jpg" || e == "jp2" || e == "png")
        })
        .count();
    assert_eq!(portraits, 0, "no portrait file");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_scanner_stops_the_enrolment_and_only_a_supervisor_abandons_it() {
    let (s, b, alert) = failed_enrolment(
        (
            "[scanner]\nselector = \"sim\"",
            "[scanner]\nselector = \"sim:unplugged\"",
        ),
        "en",
    )
    .await;
    assert!(
        alert.starts_with("Fingerprints: The fingerprint scanner failed"),
        "the fingers step failed: {alert}"
    );
    b.shot("08-scanner-unplugged").await;

    // The operator sees the interrupted enrolment but no abandon form.
    b.client.goto(&format!("{}/", s.base)).await.unwrap();
    let start = b.body().await;
    assert!(start.contains("TRP-2026-004211"), "{start}");
    assert!(
        b.client
            .find(Locator::Css("form[action$='/abandon']"))
            .await
            .is_err(),
        "no abandon form for an operator"
    );
    assert!(start.contains("supervisor"), "{start}");
    assert!(
        start.contains("Fingerprints (failed)"),
        "the step it stopped at: {start}"
    );
    b.shot("09-interrupted-operator").await;
    b.click("header form[action='/logout'] button").await;
    b.wait_path("/login").await;

    // The supervisor abandons it with a reason.
    b.sign_in(&s.base, "petro", "petro-pass", "en").await;
    b.shot("10-interrupted-supervisor").await;
    b.type_into(
        "form[action$='/abandon'] input[name=reason]",
        "applicant left",
    )
    .await;
    b.click("form[action$='/abandon'] button").await;
    // Back on the start page, where the enrolment is no longer interrupted.
    let started = Instant::now();
    while b
        .client
        .find(Locator::Css("form[action$='/abandon']"))
        .await
        .is_ok()
    {
        assert!(started.elapsed() < Duration::from_secs(30), "abandoned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let record = s.journaled().pop().unwrap();
    assert_eq!(record.state, EnrolmentState::Abandoned);
    b.client
        .goto(&format!("{}/journal?state=abandoned", s.base))
        .await
        .unwrap();
    assert!(b.body().await.contains("TRP-2026-004211"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_signs_on_screen_and_the_card_carries_the_drawn_signature() {
    let s = Server::start(&station::two_operators()).await;
    let b = Browser::open().await;
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    b.check_applicant(&s.base, APPLICANT).await;
    b.click("input[name=consent]").await;
    b.click("input[name=sign_on_screen]").await;
    b.click("form[action='/applicant/start'] button").await;
    // The signature step waits for the screen: the progress page becomes the canvas.
    b.wait_for("canvas#pad").await;
    assert!(b.body().await.contains("chose to sign on screen"));

    // An empty box is refused, with words the operator can act on.
    b.click("#sign-submit").await;
    let refused = b.wait_text("#sign-error").await;
    assert!(refused.contains("The box is empty"), "{refused}");
    // A first try, cleared, and the signature drawn again.
    b.draw_zigzag().await;
    b.click("#sign-clear").await;
    assert_eq!(
        b.text("#sign-error").await,
        "",
        "clearing clears the message"
    );
    b.draw_zigzag().await;
    b.shot("11-signature-on-screen").await;
    // Submitted from the keyboard: the submit button focused, Enter.
    b.client
        .execute("document.getElementById('sign-submit').focus();", vec![])
        .await
        .unwrap();
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("sign-submit")
    );
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let state = b.wait_final().await;
    assert_eq!(state, "issued", "{}", b.body().await);

    // The card's DG7 is the zig-zag drawn: ink, in a wide flat box as drawn (600 × 40 px and
    // the line's width), not the simulated pad's signature.
    let jpeg = station::dg7_jpeg_of_card_in_reader(s.dir.path());
    let (ink, w, h) = station::ink_of_jpeg(&jpeg);
    assert!(ink > 0.01, "DG7 is not blank: {ink}");
    let aspect = f64::from(w) / f64::from(h);
    let drawn = 604.0 / 44.0;
    assert!(
        (aspect - drawn).abs() / drawn < 0.35,
        "DG7's ink is the drawn shape: {w}x{h} against {drawn:.1}"
    );
    let record = s.journaled().pop().unwrap();
    let signature = permitkit_station::journal::Journal::open(&s.journal())
        .unwrap()
        .step(&record.id, permitkit_station::pipeline::Step::Signature)
        .unwrap()
        .unwrap();
    assert_eq!(
        signature.result.unwrap()["strokes"],
        0,
        "an image, not pad strokes"
    );
    b.close().await;
}

/// What the page's preview image shows: its natural width, the frame number it shows and a
/// digest of its pixels (drawn on a canvas).
const PREVIEW_SAMPLE: &str = "var i=document.getElementById('preview');\
if(!i||i.closest('[hidden]')||!i.complete||!i.naturalWidth)return [0,0,0];\
var c=document.createElement('canvas');c.width=i.naturalWidth;c.height=i.naturalHeight;\
var x=c.getContext('2d');x.drawImage(i,0,0);var d=x.getImageData(0,0,c.width,c.height).data;\
var h=0;for(var k=0;k<d.length;k+=61){h=(h*31+d[k])|0;}return [i.naturalWidth,+(i.dataset.frame||0),h];";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_watches_the_live_preview_then_retakes_and_keeps_the_portrait() {
    // The applicant walks in front of the camera; the station asks the operator to keep or
    // retake each portrait.
    let web = format!("photo_review = true\n{}", station::two_operators());
    let s = Server::start_with(
        &web,
        &[(
            "[camera]\nselector = \"sim\"",
            "[camera]\nselector = \"sim:walk-in\"",
        )],
    )
    .await;
    let b = Browser::open().await;
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    b.check_applicant(&s.base, APPLICANT).await;
    b.click("input[name=consent]").await;
    b.click("form[action='/applicant/start'] button").await;

    // The live preview: frames load and change while the applicant moves, and the guidance
    // says what to fix.
    let started = Instant::now();
    let mut digests = std::collections::BTreeSet::new();
    let mut frames = std::collections::BTreeSet::new();
    let mut guidance = Vec::new();
    let mut shot = false;
    while digests.len() < 3 || guidance.len() < 2 || !shot {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the preview changed ({digests:?}, frames {frames:?}) and guidance was shown \
             ({guidance:?}): {}",
            b.body().await
        );
        if b.client.find(Locator::Css("#review")).await.is_ok() {
            panic!(
                "the portrait was taken before the preview was seen changing: frames {frames:?}; {}",
                b.client
                    .execute("return document.documentElement.outerHTML;", vec![])
                    .await
                    .unwrap()
            );
        }
        let sample = b.client.execute(PREVIEW_SAMPLE, vec![]).await.unwrap();
        let (width, frame, digest) = (
            sample[0].as_u64().unwrap(),
            sample[1].as_u64().unwrap(),
            sample[2].as_i64().unwrap(),
        );
        if width > 0 {
            assert_eq!(width, 640, "the preview is the downscaled frame");
            digests.insert(digest);
            frames.insert(frame);
            if let Ok(g) = b.client.find(Locator::Css("#guidance")).await {
                let text = g.text().await.unwrap_or_default();
                if !text.is_empty() && !text.starts_with("Waiting") && !guidance.contains(&text) {
                    guidance.push(text);
                }
            }
            // Photographed once the applicant is in view: the overlay is on the face.
            let in_view = guidance.last().is_some_and(|g| !g.starts_with("no face"));
            if digests.len() >= 2 && in_view && !shot {
                b.shot("12-photo-live-preview").await;
                shot = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    assert!(frames.len() >= 3, "several frames shown: {frames:?}");
    assert!(
        b.text("#streak-n").await.contains("/ 5"),
        "the streak of good frames is shown"
    );

    // Once the streak is complete the portrait is taken and shown for review: the chip's crop.
    b.wait_for("#review img#crop").await;
    let (w, h) = loaded_size(&b, "#review img#crop").await;
    assert!(h > w, "a portrait-shaped ICAO crop: {w}x{h}");
    b.shot("13-photo-chip-crop").await;

    // Retake: the live view comes back, and a second portrait is asked about.
    b.click("#photo-retake").await;
    b.wait_for("#photo[data-live]").await;
    b.wait_for("#review img#crop").await;
    // Kept from the keyboard: the keep button has the focus, Enter.
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("photo-keep"),
        "the review opens with the keep button focused"
    );
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let state = b.wait_final().await;
    assert_eq!(state, "issued", "{}", b.body().await);
    // The done page shows the crop kept, and says how long it is held.
    let (w2, h2) = loaded_size(&b, "#crop-fig img#crop").await;
    assert!(h2 > w2, "the portrait kept: {w2}x{h2}");
    assert!(b.body().await.contains("until the next enrolment begins"));

    // Two portraits were taken: the frames of both are counted.
    let record = s.journaled().pop().unwrap();
    let photo = permitkit_station::journal::Journal::open(&s.journal())
        .unwrap()
        .step(&record.id, permitkit_station::pipeline::Step::Photo)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    assert!(
        photo["frames"].as_u64().unwrap() >= 10,
        "two streaks of five good frames: {photo}"
    );
    b.close().await;
}

/// The natural size of the image `css` once it has loaded.
async fn loaded_size(b: &Browser, css: &str) -> (u64, u64) {
    let started = Instant::now();
    loop {
        let size = b
            .client
            .execute(
                &format!(
                    "var i=document.querySelector('{css}');\
                     return i&&i.complete?[i.naturalWidth,i.naturalHeight]:[0,0];"
                ),
                vec![],
            )
            .await
            .unwrap();
        let (w, h) = (size[0].as_u64().unwrap(), size[1].as_u64().unwrap());
        if w > 0 {
            return (w, h);
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{css} loads");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The simulated station with `device` edited in its profile, an operator's enrolment run
/// there in `lang` until it fails; the server, the browser and the failure shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_mid_write_shows_the_operator_what_to_do_with_it() {
    // The virtual card leaves the reader after 20 commands: in the middle of personalization.
    let s = Server::start_drilled(&station::two_operators(), 20).await;
    let b = Browser::open().await;
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    b.check_applicant(&s.base, APPLICANT).await;
    b.click("input[name=consent]").await;
    let state = b.start_and_wait().await;
    assert_eq!(state, "failed", "never reported issued");
    let card = b.text("#card").await;
    assert!(card.contains("The card was not finished"), "{card}");
    assert!(
        card.contains("Put the same card back on the reader and press Resume"),
        "{card}"
    );
    let alert = b.text("#failure").await;
    assert!(
        alert.starts_with("Writing the card: The card left the reader while it was written"),
        "{alert}"
    );
    assert!(
        b.client
            .find(Locator::Css("#card form[action$='/resume'] button"))
            .await
            .is_ok(),
        "Resume on the card screen"
    );
    b.shot("16-card-not-finished").await;
    b.close().await;
}

async fn failed_enrolment(device: (&str, &str), lang: &str) -> (Server, Browser, String) {
    let s = Server::start_with(&station::two_operators(), &[device]).await;
    let b = Browser::open().await;
    b.sign_in(&s.base, "olena", "olena-pass", lang).await;
    b.check_applicant(&s.base, APPLICANT).await;
    b.click("input[name=consent]").await;
    let state = b.start_and_wait().await;
    assert_eq!(state, "failed");
    let alert = b.text("[role=alert]").await;
    (s, b, alert)
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Signs in as the operator, checks the applicant, ticks the consent and declares the right
/// index amputated from the keyboard (the exceptions' summary opened with Enter, the cause
/// chosen by typing in its list), then starts: the approval page.
async fn declare_right_index_missing(s: &Server, b: &Browser) {
    b.sign_in(&s.base, "olena", "olena-pass", "en").await;
    b.check_applicant(&s.base, APPLICANT).await;
    b.click("input[name=consent]").await;
    b.client
        .execute(
            "document.querySelector('#exceptions summary').focus();",
            vec![],
        )
        .await
        .unwrap();
    let summary = b.client.active_element().await.unwrap();
    summary.send_keys(&Key::Enter.to_string()).await.unwrap();
    let cause = b
        .client
        .find(Locator::Css("select#cause-right-index"))
        .await
        .unwrap();
    assert!(
        cause.is_displayed().await.unwrap(),
        "Enter opens the exceptions"
    );
    cause.send_keys("amputated").await.unwrap();
    assert_eq!(
        cause.prop("value").await.unwrap().as_deref(),
        Some("amputated")
    );
    b.click("form[action='/applicant/start'] button").await;
    b.wait_for("form#approval").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/approval")
    );
    let page = b.body().await;
    assert!(page.contains("awaiting approval"), "{page}");
    assert!(
        page.contains("right index") && page.contains("amputated"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_finger_approved_by_a_supervisor_is_replaced_by_its_substitute() {
    let s = Server::start(&station::two_operators()).await;
    let b = Browser::open().await;
    declare_right_index_missing(&s, &b).await;
    assert!(
        s.journaled().is_empty(),
        "nothing begins before the approval"
    );

    // The supervisor comes to the operator's screen, ticks the exception, enters his login
    // and password.
    b.click("input[name=finger][value=right-index]").await;
    b.type_into("input[name=login]", "petro").await;
    b.type_into("input[name=password]", "petro-pass").await;
    b.shot("15-finger-exception").await;
    b.click("#approve").await;

    // The fingers screen while the step runs: the right index skipped with its cause and
    // approver, the substitute asked for or captured.
    b.wait_for("#fingers-live tr[data-finger=right-index] td.skipped li")
        .await;
    let started = Instant::now();
    loop {
        // The moment the left index is asked for, the right hand's substitute captured, if
        // the page sees it; else the table as it stands when the step is done.
        let now = b
            .client
            .find(Locator::Css("#fingers-live tr[data-finger=left-index].now"))
            .await
            .is_ok();
        let left_done = b
            .client
            .find(Locator::Css("#fingers-live tr[data-finger=left-index].ok"))
            .await
            .is_ok();
        if now || left_done || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live = b.text("#fingers-live").await;
    assert!(
        live.contains("declared missing (amputated), approved by: petro"),
        "{live}"
    );
    b.shot("14-fingers").await;

    let state = b.wait_final().await;
    assert_eq!(state, "issued", "{}", b.body().await);
    let done = b.text("table#fingers").await;
    assert!(done.contains("substituted by right middle"), "{done}");
    let approved = b.text("table#exceptions-approved").await;
    assert!(
        approved.contains("right index") && approved.contains("petro"),
        "{approved}"
    );

    // The journal names the approver, and the card carries the substitute.
    let record = s.journaled().pop().unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    let fingers = permitkit_station::journal::Journal::open(&s.journal())
        .unwrap()
        .step(&record.id, permitkit_station::pipeline::Step::Fingers)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    assert_eq!(fingers["declared"][0]["approved_by"], "petro");
    assert_eq!(fingers["declared"][0]["cause"], "amputated");
    assert_eq!(fingers["fingers"][0]["captured"], "right-middle");
    let dg3 = station::dg3_positions_of_card_in_reader(s.dir.path());
    assert_eq!(
        dg3,
        vec![
            permitkit_biometrics::FingerPosition::RightMiddle,
            permitkit_biometrics::FingerPosition::LeftIndex
        ],
        "DG3 holds the substitute"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_without_the_supervisor_role_may_not_approve_a_finger_exception() {
    let s = Server::start(&station::two_operators()).await;
    let b = Browser::open().await;
    declare_right_index_missing(&s, &b).await;
    b.click("input[name=finger][value=right-index]").await;
    b.type_into("input[name=login]", "olena").await;
    b.type_into("input[name=password]", "olena-pass").await;
    b.click("#approve").await;
    let refused = b.wait_text("#approval-error").await;
    assert!(
        refused.contains("Only a supervisor may approve"),
        "{refused}"
    );
    let page = b.body().await;
    assert!(page.contains("awaiting approval"), "still waiting: {page}");
    assert!(s.journaled().is_empty(), "nothing began");
    b.close().await;
}
