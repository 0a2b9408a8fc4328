//! A simulated station served on loopback for the tests, with its `[web]` section.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::path::PathBuf;
use std::sync::Arc;

use argon2::{Argon2, PasswordHasher};
use permitkit_biometrics::FingerPosition;
use permitkit_model::profiles::Registry;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::journal::{EnrolmentRecord, Journal};
use permitkit_station::pipeline::Captured;
use permitkit_station_web::desk::HandoffError;
use permitkit_station_web::{BureauHandoff, Desk, DeskConfig};
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
    web: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A central bureau that is not running: packages are sealed to its key-agreement certificate
/// (the bureau crate's own sealing, as `station serve` uses it) and stay queued in the outbox.
#[derive(Debug)]
pub struct TestBureau {
    pub url: String,
    pub keys: DeskKeyPair,
}

impl TestBureau {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            url: "http://127.0.0.1:9".to_owned(),
            keys: DeskKeyPair::generate("test bureau").unwrap(),
        })
    }
}

impl BureauHandoff for TestBureau {
    fn queue(&self, journal: &mut Journal, captured: &Captured) -> Result<String, HandoffError> {
        permitkit_bureau::outbox::queue(journal, captured, &self.url, self.keys.certificate_der())?;
        Ok(self.url.clone())
    }
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
        Self::start_in(dir, web, edits, None, None).await
    }

    /// As [`Server::start`], with the card-pull drill: the virtual card leaves the reader after
    /// `commands` commands of every enrolment.
    pub async fn start_drilled(web: &str, commands: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        Self::start_in(dir, web, &[], None, Some(commands)).await
    }

    /// As [`Server::start_with`], handing the applications to `bureau`.
    pub async fn start_for_bureau(web: &str, bureau: Arc<dyn BureauHandoff>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        Self::start_in(dir, web, &[], Some(bureau), None).await
    }

    /// Stops this server and starts another on the same folder — profiles, PKI, journal,
    /// spool and virtual cards — with `edits` made to the original station profile, as an
    /// operator restarts `station serve` after fixing a device.
    pub async fn restart(self, edits: &[(&str, &str)]) -> Self {
        let Server {
            dir, web, _stop, ..
        } = self;
        let _ = _stop.send(());
        Self::start_in(dir, &web, edits, None, None).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        web: &str,
        edits: &[(&str, &str)],
        bureau: Option<Arc<dyn BureauHandoff>>,
        drill: Option<u64>,
    ) -> Self {
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
            bureau,
            drill_card_pull_after: drill,
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
            web: web.to_owned(),
            _stop: stop,
        }
    }

    /// Signs in; returns the session cookie and the start page's CSRF token.
    pub async fn sign_in(&self, login: &str, password: &str) -> (String, String) {
        let r = self
            .http
            .get(format!("{}/login?lang=en", self.base))
            .send()
            .await
            .unwrap();
        let login_cookie = set_cookie(&r, "pk_login").unwrap();
        let token = csrf(&r.text().await.unwrap());
        let r = self
            .http
            .post(format!("{}/login", self.base))
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
        let html = self.page(&session, "/").await;
        assert!(html.contains(login), "{html}");
        (session, csrf(&html))
    }

    /// The page at `path` for the signed-in `session` (200 expected).
    /// `POST path` with the session's cookie and `form` (its `csrf` among the fields).
    pub async fn post_form(
        &self,
        session: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", session)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, session: &str, path: &str) -> String {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        r.text().await.unwrap()
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.sqlite")
    }

    /// Every enrolment in the station's journal, newest first.
    pub fn journaled(&self) -> Vec<EnrolmentRecord> {
        Journal::open(&self.journal()).unwrap().list().unwrap()
    }
}

/// The value of `name="csrf"` in a page.
pub fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

/// The `name=value` of a `Set-Cookie` header named `name`.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
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

/// The simulated station's scanner, unplugged: the fingers step fails.
pub const UNPLUGGED_SCANNER: (&str, &str) = (
    "[scanner]\nselector = \"sim\"",
    "[scanner]\nselector = \"sim:unplugged\"",
);

/// A signature pad that is not there (no device matches its selector).
pub const NO_SIGNATURE_PAD: (&str, &str) = (
    "[signature_pad]\nselector = \"sim\"\nprofile = \"simulator\"",
    "[signature_pad]\nselector = \"image:/nonexistent/signature-pad.png\"",
);

/// The SSE blocks of a stream body: `(event kind, data as JSON)`.
pub fn sse_blocks(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let kind = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((kind.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

/// DG7 of the card in the virtual card feeder's reader (the simulated station's last card),
/// read from the virtual chip's state: the displayed signature's JPEG.
pub fn dg7_jpeg_of_card_in_reader(dir: &std::path::Path) -> Vec<u8> {
    use permitkit_devices::card_feeder::CardFeeder;
    let feeder = CardFeeder::open(&dir.join("virtual-cards")).unwrap();
    let serial = feeder.in_reader().unwrap().expect("a card in the reader");
    let registry = Registry::builtin().unwrap();
    let config =
        permitkit_simulator::CardConfig::from_profile(registry.chip("permitkit-virtual").unwrap());
    let card = permitkit_devices::sim_state::load(&feeder.card_path(&serial), config).unwrap();
    let dg7 = card
        .filesystem()
        .files()
        .find(|(_, fid, _)| *fid == permitkit_lds::Ef::DG7.fid())
        .map(|(_, _, data)| data.to_vec())
        .expect("DG7 on the card");
    let parsed = permitkit_lds::dg7::Dg7::parse(&dg7).unwrap();
    parsed.images.into_iter().next().unwrap()
}

/// The finger positions of DG3 of the card in the virtual card feeder's reader, in order,
/// read from the virtual chip's state.
pub fn dg3_positions_of_card_in_reader(dir: &std::path::Path) -> Vec<FingerPosition> {
    let dg3 = file_of_card_in_reader(dir, permitkit_lds::Ef::DG3);
    permitkit_lds::Dg3::parse(&dg3)
        .unwrap()
        .fingers
        .iter()
        .flat_map(|f| f.record.images.iter())
        .map(|v| FingerPosition::from_code(v.position_code).unwrap())
        .collect()
}

/// The file `ef` of the card in the virtual card feeder's reader.
fn file_of_card_in_reader(dir: &std::path::Path, ef: permitkit_lds::Ef) -> Vec<u8> {
    use permitkit_devices::card_feeder::CardFeeder;
    let feeder = CardFeeder::open(&dir.join("virtual-cards")).unwrap();
    let serial = feeder.in_reader().unwrap().expect("a card in the reader");
    let registry = Registry::builtin().unwrap();
    let config =
        permitkit_simulator::CardConfig::from_profile(registry.chip("permitkit-virtual").unwrap());
    let card = permitkit_devices::sim_state::load(&feeder.card_path(&serial), config).unwrap();
    card.filesystem()
        .files()
        .find(|(_, fid, _)| *fid == ef.fid())
        .map(|(_, _, data)| data.to_vec())
        .expect("the file on the card")
}

/// Ink (pixels darker than mid-grey) of a greyscale JPEG: its share of the image and its
/// bounding box's width and height in pixels.
pub fn ink_of_jpeg(jpeg: &[u8]) -> (f64, u32, u32) {
    let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .into_luma8();
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    let mut ink = 0u64;
    for (x, y, p) in image.enumerate_pixels() {
        if p.0[0] < 128 {
            ink += 1;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    let share = ink as f64 / (f64::from(image.width()) * f64::from(image.height()));
    if ink == 0 {
        return (0.0, 0, 0);
    }
    (share, x1 - x0 + 1, y1 - y0 + 1)
}
