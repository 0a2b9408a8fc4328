//! A simulated station served on loopback for the tests, with its `[web]` section.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::path::PathBuf;

use argon2::{Argon2, PasswordHasher};
use permitkit_model::profiles::Registry;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::journal::{EnrolmentRecord, Journal};
use permitkit_station_web::{Desk, DeskConfig};
use serde_json::{Value, json};

/// testdata/applicants/temporary-foreign-national.toml as the operator's file.
pub const APPLICANT_TOML: &str =
    include_str!("../../../../testdata/applicants/temporary-foreign-national.toml");

/// The `[web]` lines of two accounts: `olena` (operator, `olena-pass`) and `petro`
/// (supervisor, `petro-pass`), sessions of five minutes.
pub fn two_operators() -> String {
    let hash = |password: &str| {
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), b"test-salt-0123456")
            .unwrap()
            .to_string()
    };
    format!(
        "session_minutes = 5\n\
         [[web.operators]]\nlogin = \"olena\"\nrole = \"operator\"\npassword_hash = \"{}\"\n\
         [[web.operators]]\nlogin = \"petro\"\nrole = \"supervisor\"\npassword_hash = \"{}\"\n",
        hash("olena-pass"),
        hash("petro-pass")
    )
}

const STATION: &str = include_str!("../../../../hardware-profiles/stations/simulated.toml");

pub struct Server {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// The simulated station with `web` (TOML lines of the `[web]` section) on a free port.
    pub async fn start(web: &str) -> Self {
        Self::start_with(web, &[]).await
    }

    /// As [`Server::start`], with each `(from, to)` of `edits` replaced in the station profile
    /// (another camera or scanner selector, say).
    pub async fn start_with(web: &str, edits: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        let mut station = STATION.replace("id = \"simulated\"", "id = \"web-test\"");
        for (from, to) in edits {
            assert!(station.contains(from), "{from:?} is in the station profile");
            station = station.replace(from, to);
        }
        let profile = format!("{station}\n[web]\n{web}\n");
        let path = dir.path().join("web-test.toml");
        std::fs::write(&path, profile).unwrap();
        let mut registry = Registry::builtin().unwrap();
        let station = registry.add_station_file(&path).unwrap();
        let desk = Desk::open(DeskConfig {
            registry,
            station,
            pki: dir.path().join("pki"),
            journal: Some(dir.path().join("journal.sqlite")),
            out: dir.path().join("enrolments"),
            card_feeder: None,
        })
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(permitkit_station_web::serve(listener, desk, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            dir,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _stop: stop,
        }
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.sqlite")
    }

    /// Every enrolment in the station's journal, newest first.
    pub fn journaled(&self) -> Vec<EnrolmentRecord> {
        Journal::open(&self.journal()).unwrap().list().unwrap()
    }
}

/// testdata/applicants/temporary-foreign-national.toml as JSON.
pub fn applicant() -> Value {
    json!({
        "application": "TRP-2026-004211",
        "document_profile": "ua-temporary-residence-permit",
        "document": { "number": "FT4211207", "issuing_authority": "ДМС 8041" },
        "holder": {
            "surname": "AKHMETOVA",
            "given_names": "AIGERIM",
            "name_script": "latin",
            "national_surname": "Ахметова",
            "national_given_names": "Айгерім",
            "nationality": "KAZ",
            "sex": "F",
            "date_of_birth": "1991-02-27",
            "place_of_birth": ["АЛМАТИ", "КАЗАХСТАН"],
            "address": ["вул. Саксаганського, 12, кв. 7", "м. Київ", "01033"]
        },
        "consent": { "fingerprints_on_chip": true, "reference": "заява № 4211/26" }
    })
}
