//! The integration API over real HTTP on loopback, against the simulated station: a whole
//! enrolment created, streamed and issued; validation errors with their fields; idempotent
//! creation; tokens refused; abandon; body limit; the OpenAPI document against the routes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "common/station.rs"]
mod station;

use std::collections::BTreeSet;

use permitkit_station::journal::{EnrolmentState, Journal};
use permitkit_station_web::api::{MAX_BODY, ROUTES};
use permitkit_station_web::tokens::ApiTokens;
use serde_json::{Value, json};
use station::{Server, applicant};

const TOKEN: &str = "test-token-0123456789abcdef";

async fn start() -> Server {
    Server::start(&format!(
        "[[web.api_tokens]]\nname = \"national-system\"\nsha256 = \"{}\"",
        ApiTokens::digest_hex(TOKEN)
    ))
    .await
}

trait Api {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value);
    async fn get(&self, path: &str) -> (u16, String);
}

impl Api for Server {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The event kinds of an SSE body, in order, and the data of its `state` event.
fn sse(body: &str) -> (Vec<String>, Value) {
    let mut kinds = Vec::new();
    let mut state = Value::Null;
    for block in body.split("\n\n") {
        let kind = block.lines().find_map(|l| l.strip_prefix("event: "));
        let data = block.lines().find_map(|l| l.strip_prefix("data: "));
        if let (Some(k), Some(d)) = (kind, data) {
            if k == "state" {
                state = serde_json::from_str(d).unwrap();
            }
            kinds.push(k.to_owned());
        }
    }
    (kinds, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolment_created_through_the_api_streams_its_events_and_is_issued() {
    let s = start().await;
    let (status, created) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["application"], "TRP-2026-004211");

    let (status, body) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    assert_eq!(status, 200);
    let (kinds, state) = sse(&body);
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("begin"),
        "{kinds:?}"
    );
    for step in ["applicant", "photo", "fingers", "signature", "chip-image"] {
        assert!(
            body.contains(&format!("\"step\":\"{step}\"")),
            "{step} in {body}"
        );
    }
    assert!(kinds.contains(&"step-done".to_owned()));
    assert_eq!(kinds[kinds.len() - 2], "issued", "{kinds:?}");
    assert_eq!(state["state"], "issued");

    let (status, text) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    assert_eq!(status, 200);
    let read: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read["state"], "issued");
    let journal_id = read["journal_id"].as_str().unwrap();
    let record = Journal::open(&s.journal())
        .unwrap()
        .record(journal_id)
        .unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    assert_eq!(record.operator, "api:national-system");
    assert!(
        !s.dir
            .path()
            .join("api-applications")
            .join(format!("{id}.toml"))
            .exists(),
        "the applicant file is removed once the card is issued"
    );

    // A late subscriber replays the whole enrolment.
    let (_, again) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    assert_eq!(sse(&again).0, kinds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_applicant_data_is_a_422_list_of_field_errors() {
    let s = start().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut a = applicant();
                a["holder"]["sex"] = json!("Q");
                a
            },
            "holder.sex",
        ),
        (
            {
                let mut a = applicant();
                a["holder"].as_object_mut().unwrap().remove("date_of_birth");
                a
            },
            "holder.date_of_birth",
        ),
        (
            {
                let mut a = applicant();
                a["holder"]["nationality"] = json!(7);
                a
            },
            "holder.nationality",
        ),
        (
            {
                let mut a = applicant();
                a["holder"]["surnam"] = json!("X");
                a
            },
            "holder.surnam",
        ),
        (
            {
                let mut a = applicant();
                a["document"]["date_of_expiry"] = json!("2001-01-01");
                a
            },
            "document.date_of_expiry",
        ),
        (
            {
                let mut a = applicant();
                a["holder"]["personal_number"] = Value::Null;
                a
            },
            "holder.personal_number",
        ),
        (
            {
                let mut a = applicant();
                a["document_profile"] = json!("no-such-profile");
                a
            },
            "document_profile",
        ),
        (json!(["not", "an", "object"]), "(body)"),
    ];
    for (body, field) in cases {
        let (status, errors) = s.post("/api/v1/enrolments", &body).await;
        assert_eq!(status, 422, "{field}: {errors}");
        let list = errors.as_array().unwrap();
        assert!(
            list.iter().any(
                |e| e["field"] == field && e["message"].as_str().is_some_and(|m| !m.is_empty())
            ),
            "{field} in {errors}"
        );
    }
    let r = s
        .http
        .post(format!("{}/api/v1/enrolments", s.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"application\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let errors: Value = r.json().await.unwrap();
    assert_eq!(errors[0]["field"], "(body)");
    assert!(s.journaled().is_empty(), "nothing journaled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_creation_is_the_same_enrolment_and_different_data_conflicts() {
    let s = start().await;
    let (first, a) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(first, 201, "{a}");
    let (retry, b) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(retry, 200, "{b}");
    assert_eq!(a["id"], b["id"]);

    let mut changed = applicant();
    changed["holder"]["given_names"] = json!("AIGUL");
    let (status, e) = s.post("/api/v1/enrolments", &changed).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"].as_str().unwrap().contains("TRP-2026-004211"));

    let mut same_number = applicant();
    same_number["application"] = json!("TRP-2026-009999");
    let (status, e) = s.post("/api/v1/enrolments", &same_number).await;
    assert_eq!(status, 409, "{e}");
    assert!(
        !e["error"].as_str().unwrap().contains("FT4211207"),
        "the document number is not echoed: {e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_token_is_refused() {
    let s = start().await;
    let url = format!("{}/api/v1/enrolments", s.base);
    let tries = [
        None,
        Some("Bearer wrong-token".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some(ApiTokens::digest_hex(TOKEN)),
    ];
    for authorization in tries {
        let mut r = s.http.post(&url).json(&applicant());
        if let Some(a) = &authorization {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{authorization:?}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    let r = s
        .http
        .get(format!("{}/api/v1/enrolments/x", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(s.journaled().is_empty());
    // The document needs no token.
    let r = s
        .http
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_enrolment_is_abandoned_and_never_runs() {
    let s = start().await;
    let (status, first) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(status, 201);
    let mut other = applicant();
    other["application"] = json!("TRP-2026-004212");
    other["document"]["number"] = json!("FT4211208");
    let (status, second) = s.post("/api/v1/enrolments", &other).await;
    assert_eq!(status, 201, "{second}");
    let second = second["id"].as_str().unwrap().to_owned();

    let (status, e) = s
        .post(
            &format!("/api/v1/enrolments/{second}/abandon"),
            &json!({ "reason": " " }),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, done) = s
        .post(
            &format!("/api/v1/enrolments/{second}/abandon"),
            &json!({ "reason": "applicant did not come" }),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "abandoned");
    let (status, _) = s
        .post(
            &format!("/api/v1/enrolments/{second}/abandon"),
            &json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(status, 409, "already abandoned");
    let (status, _) = s
        .post(
            "/api/v1/enrolments/e-none/abandon",
            &json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(status, 404);

    // The first runs to the end; the abandoned one never starts.
    let first = first["id"].as_str().unwrap();
    let (_, body) = s.get(&format!("/api/v1/enrolments/{first}/events")).await;
    assert_eq!(sse(&body).1["state"], "issued");
    let (status, _) = s
        .post(
            &format!("/api/v1/enrolments/{first}/abandon"),
            &json!({ "reason": "late" }),
        )
        .await;
    assert_eq!(status, 409, "an issued enrolment is not abandoned");
    let (_, text) = s.get(&format!("/api/v1/enrolments/{second}")).await;
    let read: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read["state"], "abandoned");
    assert_eq!(
        read["journal_id"],
        Value::Null,
        "it never reached the journal"
    );
    assert_eq!(s.journaled().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused() {
    let s = start().await;
    let mut big = applicant();
    big["holder"]["address"] = json!(["x".repeat(MAX_BODY)]);
    let (status, _) = s.post("/api/v1/enrolments", &big).await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_in_the_openapi_document_and_served() {
    let s = start().await;
    let (status, text) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, routes);
    // Each is served by its handler: an unknown id is the handler's JSON 404, not the router's.
    for (method, path) in routes {
        let url = format!("{}{}", s.base, path.replace("{id}", "e-none"));
        let request = match method.as_str() {
            "get" => s.http.get(&url),
            _ => s.http.post(&url).json(&json!({ "reason": "x" })),
        };
        let r = request.bearer_auth(TOKEN).send().await.unwrap();
        let status = r.status().as_u16();
        assert_ne!(status, 405, "{method} {path}");
        if path.contains("{id}") {
            assert_eq!(status, 404, "{method} {path}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"], "no such enrolment", "{method} {path}");
        }
    }
    let r = s
        .http
        .get(format!("{}/api/v1/enrolments/e-none/resume", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "no undocumented route");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_api_knows_its_enrolments_and_a_resumed_one_is_issued() {
    let web = format!(
        "{}\n[[web.api_tokens]]\nname = \"national-system\"\nsha256 = \"{}\"",
        station::two_operators(),
        ApiTokens::digest_hex(TOKEN)
    );
    let s = Server::start_with(&web, &[station::UNPLUGGED_SCANNER]).await;
    let (status, created) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, body) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    assert_eq!(sse(&body).1["state"], "failed");
    let (_, before) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    let before: Value = serde_json::from_str(&before).unwrap();

    let s = s.restart(&[]).await;
    let (status, after) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    assert_eq!(
        status, 200,
        "the enrolment is known after the restart: {after}"
    );
    let after: Value = serde_json::from_str(&after).unwrap();
    for key in ["id", "application", "journal_id", "state", "step"] {
        assert_eq!(after[key], before[key], "{key}: {before} then {after}");
    }
    assert_eq!(after["step"], "fingers");
    let journal_id = after["journal_id"].as_str().unwrap().to_owned();
    // Creation is still idempotent: the same request is the same enrolment, other data under
    // the same application number a conflict.
    let (status, again) = s.post("/api/v1/enrolments", &applicant()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], id.as_str());
    let mut other = applicant();
    other["holder"]["given_names"] = json!("AIDA");
    assert_eq!(s.post("/api/v1/enrolments", &other).await.0, 409);

    // The operator resumes it at the desk; the API follows it to the issued card.
    let (session, token) = s.sign_in("olena", "olena-pass").await;
    let r = s
        .http
        .post(format!("{}/journal/{journal_id}/resume", s.base))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, body) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    let (kinds, state) = sse(&body);
    assert_eq!(state["state"], "issued", "{kinds:?}");
    let (_, read) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read["state"], "issued");
    assert_eq!(read["journal_id"], journal_id.as_str());
    let record = Journal::open(&s.journal())
        .unwrap()
        .record(&journal_id)
        .unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    assert_eq!(record.operator, "api:national-system");
    assert!(
        !s.dir
            .path()
            .join("api-applications")
            .join(format!("{id}.toml"))
            .exists(),
        "the applicant file is removed once the card is issued"
    );

    // Once more: an issued enrolment stays issued in the API's view.
    let s = s.restart(&[]).await;
    let (status, read) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    assert_eq!(status, 200);
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read["state"], "issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_accepted_but_not_begun_before_a_stop_is_run_after_the_restart() {
    let s = start().await;
    // What a server stopped between the 201 and the station's first step leaves: the
    // spooled applicant file and who asked, nothing in the journal.
    let id = format!("e-{}", "5a".repeat(16));
    let spool = s.dir.path().join("api-applications");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::write(spool.join(format!("{id}.toml")), station::APPLICANT_TOML).unwrap();
    std::fs::write(spool.join(format!("{id}.operator")), "api:national-system").unwrap();
    let s = s.restart(&[]).await;
    let (status, body) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    assert_eq!(status, 200);
    assert_eq!(sse(&body).1["state"], "issued", "{body}");
    let record = s.journaled().pop().unwrap();
    assert_eq!(record.operator, "api:national-system");
    assert!(!spool.join(format!("{id}.operator")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fingers_declared_through_the_api_wait_for_a_supervisor_at_the_station() {
    let web = format!(
        "{}\n[[web.api_tokens]]\nname = \"national-system\"\nsha256 = \"{}\"",
        station::two_operators(),
        ApiTokens::digest_hex(TOKEN)
    );
    let s = Server::start(&web).await;
    let mut body = applicant();
    body["missing_fingers"] = json!([{ "finger": "left-index", "cause": { "other": "" } }]);
    let (status, errors) = s.post("/api/v1/enrolments", &body).await;
    assert_eq!(status, 422, "{errors}");
    assert_eq!(errors[0]["field"], "missing_fingers[0].cause");
    // A whole hand declared: no finger would remain for the slot.
    body["missing_fingers"] = json!(
        ["left-index", "left-middle", "left-ring", "left-thumb"]
            .iter()
            .map(|f| json!({ "finger": f, "cause": "amputated" }))
            .collect::<Vec<_>>()
    );
    let (status, errors) = s.post("/api/v1/enrolments", &body).await;
    assert_eq!(status, 422, "{errors}");
    assert_eq!(errors[0]["field"], "missing_fingers");

    body["missing_fingers"] = json!([{ "finger": "left-index", "cause": "injured" }]);
    let (status, created) = s.post("/api/v1/enrolments", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "awaiting-approval");
    assert_eq!(created["exceptions"][0]["finger"], "left-index");
    assert_eq!(
        created["exceptions"][0]["declared_by"],
        "api:national-system"
    );
    assert!(created["exceptions"][0]["approved_by"].is_null());
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, again) = s.post("/api/v1/enrolments", &body).await;
    assert_eq!((status, &again["id"]), (200, &created["id"]), "a retry");
    body["missing_fingers"] = json!([{ "finger": "left-index", "cause": "amputated" }]);
    let (status, _) = s.post("/api/v1/enrolments", &body).await;
    assert_eq!(status, 409, "the same application with other exceptions");
    assert!(
        s.journaled().is_empty(),
        "nothing begins before the approval"
    );

    // The supervisor approves at the station, from his session.
    let (session, token) = s.sign_in("petro", "petro-pass").await;
    let r = s
        .http
        .post(format!("{}/enrolments/{id}/approval", s.base))
        .header("cookie", &session)
        .form(&[("csrf", token.as_str()), ("finger", "left-index")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, events) = s.get(&format!("/api/v1/enrolments/{id}/events")).await;
    let (kinds, state) = sse(&events);
    assert_eq!(state["state"], "issued", "{kinds:?}");
    for k in [
        "fingers-planned",
        "finger-attempt",
        "finger-skipped",
        "finger-accepted",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    let (_, read) = s.get(&format!("/api/v1/enrolments/{id}")).await;
    let read: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(read["exceptions"][0]["approved_by"], "petro");
    let record = s.journaled().pop().unwrap();
    let fingers = Journal::open(&s.journal())
        .unwrap()
        .step(&record.id, permitkit_station::pipeline::Step::Fingers)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    assert_eq!(fingers["fingers"][1]["captured"], "left-middle");
    assert_eq!(fingers["declared"][0]["cause"], "injured");
    assert_eq!(fingers["declared"][0]["approved_by"], "petro");
}
