//! The operator screens over real HTTP on loopback: sign-in with Argon2id accounts, the CSRF
//! token every form needs, the supervisor's role for abandon, the applicant data with its
//! field errors and the MRZ as printed, a whole enrolment started from a file to its done page.
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
use station::Server;

const APPLICANT: &str = station::APPLICANT_TOML;

async fn start() -> Server {
    Server::start(&station::two_operators()).await
}

/// The value of `name="csrf"` in a page.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

/// The `name=value` of a `Set-Cookie` header named `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs in; returns the session cookie and the start page's CSRF token.
async fn sign_in(s: &Server, login: &str, password: &str) -> (String, String) {
    let r = s
        .http
        .get(format!("{}/login?lang=en", s.base))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&r, "pk_login").unwrap();
    let token = csrf(&r.text().await.unwrap());
    let r = s
        .http
        .post(format!("{}/login", s.base))
        .header("cookie", &login_cookie)
        .form(&[
            ("login", login),
            ("password", password),
            ("csrf", &token),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "signed in as {login}");
    let session = set_cookie(&r, "pk_session").unwrap();
    let start = s
        .http
        .get(format!("{}/", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(start.status().as_u16(), 200);
    let html = start.text().await.unwrap();
    assert!(html.contains(login), "{html}");
    (session, csrf(&html))
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
    sign_in(&s, "olena", "olena-pass").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let s = start().await;
    let (session, token) = sign_in(&s, "olena", "olena-pass").await;
    for bad in ["", "00", &"0".repeat(64)] {
        let r = s
            .http
            .post(format!("{}/applicant/check", s.base))
            .header("cookie", &session)
            .form(&[("csrf", bad), ("applicant", APPLICANT)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "csrf {bad:?}");
    }
    let r = s
        .http
        .post(format!("{}/applicant/check", s.base))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str()), ("applicant", APPLICANT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Sign-out needs the token too.
    let r = s
        .http
        .post(format!("{}/logout", s.base))
        .header("cookie", &session)
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
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
    let (session, token) = sign_in(&s, "olena", "olena-pass").await;
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
        .http
        .post(format!("{}/journal/{id}/abandon", s.base))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str()), ("reason", "applicant left")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "an operator may not abandon");
    let state = |s: &Server| {
        Journal::open(&s.journal())
            .unwrap()
            .record(&id)
            .unwrap()
            .state
    };
    assert_eq!(state(&s), EnrolmentState::InProgress);

    let (session, token) = sign_in(&s, "petro", "petro-pass").await;
    let r = s
        .http
        .post(format!("{}/journal/{id}/abandon", s.base))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str()), ("reason", "applicant left")])
        .send()
        .await
        .unwrap();
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
    let (session, token) = sign_in(&s, "olena", "olena-pass").await;
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
    assert!(done.contains("id=\"state\">issued<"), "{done}");
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
