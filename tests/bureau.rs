//! The central bureau (issue 16) against a real PostgreSQL (a throw-away cluster from Debian's
//! `postgresql` package, `permitkit_bureau::throwaway`) and real processes: `permitkit issuance
//! serve` and `permitkit perso worker` run as child processes of the test, stations are the
//! library's signed HTTP client. A missing PostgreSQL fails these tests; it never skips them.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use permitkit_biometrics::face_record::COLOUR_SPACE_RGB24;
use permitkit_bureau::client::StationClient;
use permitkit_bureau::package::Package;
use permitkit_bureau::server::block_on;
use permitkit_bureau::throwaway::ThrowawayPostgres;
use permitkit_bureau::{db, keys};
use permitkit_cvc::CvDate;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_pki::eac::{EacPki, EacPkiOptions};
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::applicant::{Captures, Portrait};

#[path = "support/cli.rs"]
mod cli;
use cli::permitkit_ok;

const BIN: &str = env!("CARGO_BIN_EXE_permitkit");
const APPLICANT: &str = include_str!("../testdata/applicants/temporary-foreign-national.toml");

/// A bureau under test: its database, PKI, keys and processes.
struct Bureau {
    _pg: ThrowawayPostgres,
    url: String,
    dir: tempfile::TempDir,
    listen: String,
    server: Option<Child>,
}

impl Bureau {
    fn new(db_name: &str) -> Self {
        let pg = ThrowawayPostgres::start().expect(
            "a PostgreSQL server (Debian package `postgresql`, installed by .ci/install-deps)",
        );
        let url = pg.create_database(db_name).unwrap();
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        // The documents' EAC trust point, which the intake gives each chip, and the inspection
        // system a line reads fingerprints back with (`pki eac init`'s folder).
        EacPki::generate(&EacPkiOptions::new(CvDate::today().unwrap()))
            .unwrap()
            .write_dir(&dir.path().join("pki/eac"))
            .unwrap();
        DeskKeyPair::generate("bureau")
            .unwrap()
            .write_dir(&dir.path().join("desk"))
            .unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        Self {
            _pg: pg,
            url,
            dir,
            listen,
            server: None,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Makes a key for `name` and registers it as `kind`.
    fn register(&self, kind: &str, name: &str) -> PathBuf {
        let key = self.path(&format!("{name}.key"));
        permitkit_ok(&["issuance", "keygen", "--out", key.to_str().unwrap()]);
        permitkit_ok(&[
            "issuance",
            &format!("register-{kind}"),
            "--database",
            &self.url,
            "--name",
            name,
            "--key",
            key.to_str().unwrap(),
        ]);
        key
    }

    /// The bureau's key-agreement certificate (DER), which stations seal packages to.
    fn certificate(&self) -> Vec<u8> {
        DeskKeyPair::load(&self.path("desk/desk.pem"), &self.path("desk/desk-key.pem"))
            .unwrap()
            .certificate_der()
            .to_vec()
    }

    fn station(&self, name: &str) -> StationClient {
        let key = self.register("station", name);
        self.client(name, keys::read_private(&key).unwrap())
    }

    fn client(&self, name: &str, key: p256::ecdsa::SigningKey) -> StationClient {
        StationClient::new(
            &format!("http://{}", self.listen),
            name,
            key,
            self.certificate(),
        )
        .unwrap()
    }

    fn serve(&mut self) {
        self.serve_with(&[], |c| c);
    }

    /// Starts the bureau with `extra` arguments, its command adjusted by `env` (e.g. a token
    /// store's environment).
    fn serve_with(&mut self, extra: &[&str], env: impl FnOnce(&mut Command) -> &mut Command) {
        let mut command = Command::new(BIN);
        let child = env(command
            .args([
                "issuance",
                "serve",
                "--database",
                &self.url,
                "--listen",
                &self.listen,
            ])
            .arg("--pki")
            .arg(self.path("pki"))
            .arg("--desk")
            .arg(self.path("desk"))
            .args(extra)
            .current_dir(self.dir.path())
            .stdout(Stdio::null()))
        .spawn()
        .unwrap();
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&self.listen).is_err() {
            assert!(Instant::now() < deadline, "the bureau did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill_server(&mut self) {
        if let Some(mut child) = self.server.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts line `name` (registered first) with extra worker arguments.
    fn line(&self, name: &str, extra: &[&str]) -> Child {
        let key = self.register("line", name);
        Command::new(BIN)
            .args(["perso", "worker", "--line", name, "--database", &self.url])
            .arg("--key")
            .arg(&key)
            .arg("--stock")
            .arg(self.path(&format!("stock-{name}")))
            .arg("--csca")
            .arg(self.path("pki/csca.pem"))
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn query_i64(&self, sql: &str) -> i64 {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let pool = db::pool(&url, 1).unwrap();
            let client = pool.get().await.unwrap();
            client
                .query_one(sql.as_str(), &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        })
        .unwrap()
    }

    fn query_strings(&self, sql: &str) -> Vec<String> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let pool = db::pool(&url, 1).unwrap();
            let client = pool.get().await.unwrap();
            client
                .query(sql.as_str(), &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        })
        .unwrap()
    }
}

impl Drop for Bureau {
    fn drop(&mut self) {
        self.kill_server();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_exit(child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "a line exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a line did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The captures every test application carries: the test portrait and signature.
fn captures() -> Captures {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let jpeg = std::fs::read(root.join("testdata/lds/face.jpg")).unwrap();
    let sig = image::open(root.join("testdata/lds/signature.png"))
        .unwrap()
        .into_luma8();
    let signature = permitkit_biometrics::signature::prepare(&sig, 400, 150, 6000).unwrap();
    Captures {
        portrait: Portrait {
            jpeg,
            width: 300,
            height: 400,
            colour_space: COLOUR_SPACE_RGB24,
            left_eye: None,
            right_eye: None,
        },
        fingers: Vec::new(),
        signature_jpeg: Some(signature.jpeg),
    }
}

/// Application `n`: its own number, document number and holder name; no fingerprints on the
/// chip (the holder did not consent), so DG3 is not written.
fn applicant(n: u32, surname_suffix: &str) -> String {
    let letters: String = format!("{n:04}")
        .bytes()
        .map(|d| char::from(b'A' + (d - b'0')))
        .collect();
    APPLICANT
        .replace("TRP-2026-004211", &format!("TRP-2026-{n:06}"))
        .replace("FT4211207", &format!("FT{:07}", 4_000_000 + n))
        .replace(
            "surname = \"AKHMETOVA\"",
            &format!("surname = \"AKHMETOVA{letters}{surname_suffix}\""),
        )
        .replace(
            "fingerprints_on_chip = true",
            "fingerprints_on_chip = false",
        )
}

fn package(n: u32) -> Vec<u8> {
    serde_json::to_vec(&Package::new(applicant(n, ""), &captures())).unwrap()
}

#[test]
fn stations_submit_lines_issue_each_card_once_and_the_status_comes_back() {
    let mut bureau = Bureau::new("e2e");
    bureau.serve();
    let stations: Vec<StationClient> = (0..2).map(|i| bureau.station(&format!("st{i}"))).collect();
    let mut numbers = Vec::new();
    for (i, station) in stations.iter().enumerate() {
        for j in 0..3u32 {
            let n = u32::try_from(i).unwrap() * 10 + j;
            let receipt = block_on(station.submit(&package(n))).unwrap().unwrap();
            assert_eq!(receipt.state, "queued");
            assert!(!receipt.duplicate);
            numbers.push((i, receipt.application));
        }
    }
    // The same package again: the same answer, nothing new queued.
    let again = block_on(stations[0].submit(&package(0))).unwrap().unwrap();
    assert!(again.duplicate);
    // Another package under a number already received: refused.
    let changed = Package::new(applicant(0, "X"), &captures());
    let err = block_on(stations[0].submit(&serde_json::to_vec(&changed).unwrap()))
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("409"), "{err}");
    // The same person again under a new application and number, no replacement declared.
    let same_person = applicant(1, "")
        .replace("TRP-2026-000001", "TRP-2026-900001")
        .replace("FT4000001", "FT4900001");
    let body = serde_json::to_vec(&Package::new(same_person, &captures())).unwrap();
    let err = block_on(stations[0].submit(&body)).unwrap().unwrap_err();
    assert!(err.to_string().contains("replacement"), "{err}");
    assert_eq!(bureau.query_i64("SELECT count(*) FROM jobs"), 6);

    let mut lines: Vec<Child> = ["line-a", "line-b"]
        .iter()
        .map(|l| bureau.line(l, &["--idle-exit-secs", "3"]))
        .collect();
    for line in &mut lines {
        wait_exit(line, Duration::from_secs(240));
    }
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM cards WHERE outcome = 'issued'"),
        6
    );
    assert_eq!(
        bureau.query_i64(
            "SELECT count(*) FROM (SELECT application FROM cards WHERE outcome = 'issued' \
             GROUP BY application HAVING count(*) = 1) t"
        ),
        6
    );
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM jobs WHERE state = 'done'"),
        6
    );
    // Retention: no ChipImage, no chip key left once the cards are verified.
    assert_eq!(bureau.query_i64("SELECT count(*) FROM chip_files"), 0);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM chip_keys"), 0);
    for (i, number) in &numbers {
        let state = block_on(stations[*i].state(number)).unwrap().unwrap();
        assert_eq!(state.as_deref(), Some("issued"), "{number}");
    }
    // A station sees only its own applications.
    let other = block_on(stations[1].state(&numbers[0].1)).unwrap().unwrap();
    assert_eq!(other, None);
    let status: serde_json::Value = serde_json::from_str(&permitkit_ok(&[
        "issuance",
        "status",
        "--database",
        &bureau.url,
        "--json",
    ]))
    .unwrap();
    assert_eq!(status["done"], 6);
    assert_eq!(status["queued"], 0);
    assert_eq!(status["issued_cards"], 6);
    let metrics = block_on(reqwest_get(&format!("http://{}/metrics", bureau.listen))).unwrap();
    assert!(
        metrics.contains("permitkit_bureau_jobs{state=\"done\"} 6"),
        "{metrics}"
    );
}

async fn reqwest_get(url: &str) -> String {
    let station = StationClient::new(url, "-", keys::generate().unwrap(), Vec::new()).unwrap();
    station.send_raw("GET", "", &[], b"").await.unwrap().body
}

#[test]
fn a_line_killed_mid_card_loses_its_job_and_one_valid_card_is_made() {
    let mut bureau = Bureau::new("kill");
    bureau.serve();
    let station = bureau.station("st");
    for n in 0..2 {
        block_on(station.submit(&package(n))).unwrap().unwrap();
    }
    // A slow link, so the card is still being written when the line is killed.
    let mut slow = bureau.line(
        "line-slow",
        &["--lease-secs", "2", "--apdu-turnaround-us", "40000"],
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while bureau.query_i64(
        "SELECT count(*) FROM perso_journal WHERE entry->>'state' = 'writing' \
         AND jsonb_array_length(coalesce(entry->'spoilt_cards', '[]'::jsonb)) = 0",
    ) == 0
    {
        assert!(
            Instant::now() < deadline,
            "the slow line never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no chance to clean up.
    slow.kill().unwrap();
    slow.wait().unwrap();
    let half_written = bureau.query_strings(
        "SELECT entry->>'card_serial' FROM perso_journal WHERE entry->>'state' = 'writing'",
    );
    assert_eq!(half_written.len(), 1);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM cards"), 0);

    let mut fast = bureau.line("line-fast", &["--lease-secs", "2", "--idle-exit-secs", "6"]);
    wait_exit(&mut fast, Duration::from_secs(240));
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM cards WHERE outcome = 'issued'"),
        2
    );
    assert_eq!(
        bureau.query_i64("SELECT count(DISTINCT application) FROM cards WHERE outcome = 'issued'"),
        2
    );
    assert_eq!(
        bureau.query_strings("SELECT line FROM cards WHERE outcome = 'issued' GROUP BY line"),
        vec!["line-fast".to_owned()]
    );
    // The half-written card is recorded spoilt, under the application it was started for.
    let spoilt = bureau.query_strings("SELECT serial FROM cards WHERE outcome = 'spoilt'");
    assert_eq!(spoilt, half_written);
    assert_eq!(
        bureau.query_i64("SELECT max(attempts)::bigint FROM jobs"),
        2,
        "the killed line's job was claimed twice"
    );
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM jobs WHERE state = 'done'"),
        2
    );
    let status: serde_json::Value = serde_json::from_str(&permitkit_ok(&[
        "issuance",
        "status",
        "--database",
        &bureau.url,
        "--json",
    ]))
    .unwrap();
    assert_eq!(status["spoilt_cards"], 1);
    assert_eq!(status["issued_cards"], 2);
    assert_eq!(status["stuck"], 0);
    let rate = status["spoilt_rate"].as_f64().unwrap();
    assert!((rate - 1.0 / 3.0).abs() < 1e-9, "{rate}");
}

#[test]
fn replayed_tampered_and_unregistered_requests_are_refused() {
    let mut bureau = Bureau::new("auth");
    bureau.serve();
    let station = bureau.station("st");
    let body = station.seal(&package(7)).unwrap();
    let path = "/v1/applications";
    let headers = station.headers("POST", path, &body).unwrap();
    let first = block_on(station.send_raw("POST", path, &headers, &body))
        .unwrap()
        .unwrap();
    assert_eq!(first.status, 202, "{}", first.body);
    // The same request again, byte for byte.
    let replay = block_on(station.send_raw("POST", path, &headers, &body))
        .unwrap()
        .unwrap();
    assert_eq!(replay.status, 401);
    assert!(replay.body.contains("replayed"), "{}", replay.body);
    // A package changed after signing.
    let other = station.seal(&package(8)).unwrap();
    let headers = station.headers("POST", path, &body).unwrap();
    let tampered = block_on(station.send_raw("POST", path, &headers, &other))
        .unwrap()
        .unwrap();
    assert_eq!(tampered.status, 401);
    assert!(
        tampered.body.contains("does not verify"),
        "{}",
        tampered.body
    );
    // A package sealed to another key, or not sealed at all: the bureau cannot open it.
    let foreign = DeskKeyPair::generate("another bureau").unwrap();
    for sealed in [
        permitkit_pki::envelope::seal(&package(9), foreign.certificate_der()).unwrap(),
        package(9),
    ] {
        let headers = station.headers("POST", path, &sealed).unwrap();
        let unreadable = block_on(station.send_raw("POST", path, &headers, &sealed))
            .unwrap()
            .unwrap();
        assert_eq!(unreadable.status, 422, "{}", unreadable.body);
        assert!(
            unreadable.body.contains("not a package sealed"),
            "{}",
            unreadable.body
        );
    }
    // A station whose key the bureau does not know.
    let stranger = bureau.client("stranger", keys::generate().unwrap());
    let refused = block_on(stranger.submit(&package(8))).unwrap().unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
    // A registered name with another key.
    let impostor = bureau.client("st", keys::generate().unwrap());
    let refused = block_on(impostor.submit(&package(8))).unwrap().unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
    // Over the body limit: refused before it is read.
    let huge = vec![b' '; permitkit_bureau::package::MAX_PACKAGE_BYTES + 1];
    let headers = station.headers("POST", path, &huge).unwrap();
    let big = block_on(station.send_raw("POST", path, &headers, &huge))
        .unwrap()
        .unwrap();
    assert_eq!(big.status, 413);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM applications"), 1);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM jobs"), 1);
}

#[test]
fn a_bureau_restarted_while_stations_submit_loses_and_duplicates_nothing() {
    let mut bureau = Bureau::new("restart");
    bureau.serve();
    let stations: Vec<StationClient> = (0..2).map(|i| bureau.station(&format!("st{i}"))).collect();
    let bodies: Vec<(usize, Vec<u8>)> = (0..12u32)
        .map(|n| (usize::try_from(n % 2).unwrap(), package(n)))
        .collect();
    std::thread::scope(|scope| {
        let submitter = scope.spawn(|| {
            block_on(async {
                let mut receipts = Vec::new();
                for (i, body) in &bodies {
                    let r = stations[*i]
                        .submit_until_acknowledged(body, 40, Duration::from_millis(100))
                        .await
                        .unwrap();
                    receipts.push(r);
                }
                receipts
            })
            .unwrap()
        });
        // Kill the bureau while the stations are submitting, then start it again.
        let deadline = Instant::now() + Duration::from_secs(60);
        while bureau.query_i64("SELECT count(*) FROM applications") < 3 {
            assert!(Instant::now() < deadline, "no submissions arrived");
            std::thread::sleep(Duration::from_millis(10));
        }
        bureau.kill_server();
        let before_restart = bureau.query_i64("SELECT count(*) FROM applications");
        assert!(
            before_restart < 12,
            "every package had arrived before the bureau was killed: the drill proves nothing"
        );
        std::thread::sleep(Duration::from_millis(800));
        bureau.serve();
        let receipts = submitter.join().unwrap();
        assert_eq!(receipts.len(), 12);
    });
    assert_eq!(bureau.query_i64("SELECT count(*) FROM applications"), 12);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM jobs"), 12);
    assert_eq!(
        bureau.query_i64("SELECT count(DISTINCT application) FROM jobs"),
        12
    );
}

/// A station on the command line (`permitkit enroll --submit-to`, `station sync`, `journal
/// list`) with its own folder, journal and TEST ONLY PKI, registered with `bureau` under the
/// simulated station's id.
struct CliStation {
    dir: tempfile::TempDir,
    key: PathBuf,
    certificate: PathBuf,
}

/// The simulated station's id: the name the bureau knows a CLI station by.
const SIM_STATION: &str = "SIM-STATION-01";

impl CliStation {
    fn new(bureau: &Bureau) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = dir.path().join("pki");
        permitkit_ok(&["pki", "init", "--out", pki.to_str().unwrap()]);
        Self {
            dir,
            key: bureau.register("station", SIM_STATION),
            certificate: bureau.path("desk/desk.pem"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn journal(&self) -> String {
        self.path("journal.sqlite").to_str().unwrap().to_owned()
    }

    /// `enroll --submit-to URL --json` of application `n`; the last JSON line and the exit code.
    fn enroll(&self, n: u32, url: &str) -> (serde_json::Value, Option<i32>) {
        self.enroll_with_pki(n, url, &self.path("pki"))
    }

    /// [`CliStation::enroll`] with `--pki pki`.
    fn enroll_with_pki(&self, n: u32, url: &str, pki: &Path) -> (serde_json::Value, Option<i32>) {
        let file = self.path(&format!("applicant-{n}.toml"));
        std::fs::write(&file, applicant(n, "")).unwrap();
        let out = Command::new(BIN)
            .arg("enroll")
            .arg("--pki")
            .arg(pki)
            .args(["--journal", &self.journal()])
            .arg("--out")
            .arg(self.path("enrolments"))
            .arg("--applicant")
            .arg(&file)
            .args(["--submit-to", url, "--json"])
            .arg("--station-key")
            .arg(&self.key)
            .arg("--bureau-certificate")
            .arg(&self.certificate)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let last = stdout.lines().last().unwrap_or_else(|| {
            panic!(
                "no output from enroll: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let event: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(
            event["event"],
            "queued-for-bureau",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (event, out.status.code())
    }

    /// `station sync --json`: its report and exit code.
    fn sync(&self) -> (serde_json::Value, Option<i32>) {
        let out = Command::new(BIN)
            .args(["station", "sync", "--journal", &self.journal(), "--json"])
            .arg("--station-key")
            .arg(&self.key)
            .args(["--attempts", "1"])
            .output()
            .unwrap();
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "station sync: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (report, out.status.code())
    }

    /// `journal list --json`, by application number: (status, bureau entry).
    fn list(&self) -> Vec<(String, String, serde_json::Value)> {
        let list: serde_json::Value = serde_json::from_str(&permitkit_ok(&[
            "journal",
            "list",
            "--journal",
            &self.journal(),
            "--json",
        ]))
        .unwrap();
        let mut rows: Vec<_> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["application"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                    r["bureau"].clone(),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

fn applications(report: &serde_json::Value, field: &str) -> Vec<String> {
    report[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| match a {
            serde_json::Value::String(s) => s.clone(),
            other => other[0].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[test]
fn a_station_offline_queues_its_packages_and_the_outbox_catches_up() {
    let mut bureau = Bureau::new("outbox");
    let station = CliStation::new(&bureau);
    // The bureau's address, while nothing listens there yet.
    let url = format!("http://{}", bureau.listen);
    for n in 0..3 {
        let (event, code) = station.enroll(n, &url);
        assert_eq!(code, Some(0), "{event}");
        assert_eq!(event["event"], "queued-for-bureau", "{event}");
        assert_eq!(event["status"], "queued-for-submission", "{event}");
        assert!(event["last_error"].as_str().is_some(), "{event}");
    }
    let rows = station.list();
    assert_eq!(rows.len(), 3);
    for (_, status, entry) in &rows {
        assert_eq!(status, "queued-for-submission");
        assert_eq!(entry["holds_package"], true);
        assert_eq!(entry["attempts"], 1);
    }
    // The captures left the journal when the sealed package took their place.
    let journal = rusqlite::Connection::open(station.journal()).unwrap();
    let blobs: i64 = journal
        .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(blobs, 0);
    drop(journal);
    // Still offline: the sync leaves everything queued and says so.
    let (report, code) = station.sync();
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(applications(&report, "still_queued").len(), 3, "{report}");

    // A copy of the journal as it is now: a station that crashes after the bureau answered
    // and before its journal recorded the answer comes back with this.
    let crashed = tempfile::tempdir().unwrap();
    for file in ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite.key"] {
        if station.path(file).exists() {
            std::fs::copy(station.path(file), crashed.path().join(file)).unwrap();
        }
    }

    bureau.serve();
    let (report, code) = station.sync();
    assert_eq!(code, Some(0), "{report}");
    let mut submitted = applications(&report, "submitted");
    submitted.sort();
    assert_eq!(
        submitted,
        ["TRP-2026-000000", "TRP-2026-000001", "TRP-2026-000002"]
    );
    assert_eq!(bureau.query_i64("SELECT count(*) FROM applications"), 3);
    for (_, status, entry) in station.list() {
        assert_eq!(status, "queued-at-bureau", "{entry}");
        assert_eq!(entry["holds_package"], false, "acknowledged: purged");
    }
    let journal = rusqlite::Connection::open(station.journal()).unwrap();
    let held: i64 = journal
        .query_row(
            "SELECT count(*) FROM outbox WHERE package IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(held, 0);
    drop(journal);

    // The crashed copy sends the same packages again: the bureau answers with its first
    // receipts and holds nothing twice.
    let replay = Command::new(BIN)
        .args(["station", "sync", "--journal"])
        .arg(crashed.path().join("journal.sqlite"))
        .arg("--station-key")
        .arg(&station.key)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(applications(&report, "submitted").len(), 3, "{report}");
    assert_eq!(bureau.query_i64("SELECT count(*) FROM applications"), 3);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM jobs"), 3);

    let mut line = bureau.line("line-a", &["--idle-exit-secs", "3"]);
    wait_exit(&mut line, Duration::from_secs(240));
    let (report, code) = station.sync();
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(applications(&report, "status_changed").len(), 3, "{report}");
    let serials = bureau.query_strings("SELECT serial FROM cards WHERE outcome = 'issued'");
    assert_eq!(serials.len(), 3);
    for (application, status, entry) in station.list() {
        assert_eq!(status, "issued", "{application}: {entry}");
        let card = entry["bureau_status"]["card"].as_str().unwrap().to_owned();
        assert!(serials.contains(&card), "{card} not among {serials:?}");
    }
    // Nothing left to send and nothing left to ask: the next sync makes no request at all.
    let requests = format!("SELECT count(*) FROM request_nonces WHERE principal = '{SIM_STATION}'");
    let before = bureau.query_i64(&requests);
    let (report, code) = station.sync();
    assert_eq!(code, Some(0));
    for field in [
        "submitted",
        "refused",
        "still_queued",
        "status_changed",
        "status_failed",
    ] {
        assert!(applications(&report, field).is_empty(), "{field}: {report}");
    }
    assert_eq!(bureau.query_i64(&requests), before);
    assert_eq!(bureau.query_i64("SELECT count(*) FROM applications"), 3);
}

#[test]
fn a_package_the_bureau_refuses_is_recorded_with_its_reason_and_never_sent_again() {
    let mut bureau = Bureau::new("refused");
    bureau.serve();
    let url = format!("http://{}", bureau.listen);
    // Another office sent application 5 first.
    let other = bureau.station("other-office");
    block_on(other.submit(&package(5))).unwrap().unwrap();
    let station = CliStation::new(&bureau);
    let (event, code) = station.enroll(5, &url);
    assert_eq!(code, Some(1), "{event}");
    assert_eq!(event["status"], "refused", "{event}");
    let reason = event["refusal"].as_str().unwrap();
    assert!(
        reason.starts_with("409") && reason.contains("belongs to another station"),
        "{reason}"
    );

    // A package damaged in the journal while it waited: the bureau cannot open it.
    let other_url = format!("http://127.0.0.1:{}", free_port());
    let (event, code) = station.enroll(6, &other_url);
    assert_eq!(code, Some(0), "{event}");
    let journal = rusqlite::Connection::open(station.journal()).unwrap();
    let mut sealed: Vec<u8> = journal
        .query_row(
            "SELECT package FROM outbox WHERE application = 'TRP-2026-000006'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let end = sealed.len();
    sealed[end - 40..].fill(0);
    journal
        .execute(
            "UPDATE outbox SET bureau = ?1, package = ?2 WHERE application = 'TRP-2026-000006'",
            rusqlite::params![url, sealed],
        )
        .unwrap();
    drop(journal);
    let (report, code) = station.sync();
    assert_eq!(code, Some(0), "{report}");
    let refused = &report["refused"][0];
    assert_eq!(refused[0], "TRP-2026-000006", "{report}");
    assert!(refused[1].as_str().unwrap().starts_with("422"), "{report}");

    // Neither is sent again: the next sync makes no request.
    let requests = format!("SELECT count(*) FROM request_nonces WHERE principal = '{SIM_STATION}'");
    let before = bureau.query_i64(&requests);
    let (report, code) = station.sync();
    assert_eq!(code, Some(0), "{report}");
    assert!(applications(&report, "refused").is_empty(), "{report}");
    assert!(applications(&report, "submitted").is_empty(), "{report}");
    assert_eq!(bureau.query_i64(&requests), before);
    let rows = station.list();
    assert_eq!(rows.len(), 2);
    for (application, status, entry) in &rows {
        assert_eq!(status, "refused", "{application}");
        assert_eq!(entry["holds_package"], false, "{application}");
        assert!(entry["refusal"].as_str().is_some(), "{application}");
    }
    assert!(
        rows[0].2["refusal"]
            .as_str()
            .unwrap()
            .contains("another station")
    );
    // The bureau holds only the other office's application.
    assert_eq!(
        bureau.query_strings("SELECT station FROM applications"),
        ["other-office"]
    );
}

#[test]
fn a_station_that_submits_to_the_bureau_needs_no_document_signer() {
    let mut bureau = Bureau::new("nosigner");
    bureau.serve();
    let url = format!("http://{}", bureau.listen);
    let station = CliStation::new(&bureau);
    // No PKI folder at all, then an empty one: the bureau signs, the station needs neither the
    // Document Signer's files nor the CSCA.
    let missing = station.path("no-such-pki");
    let empty = station.path("empty-pki");
    std::fs::create_dir(&empty).unwrap();
    for (n, pki) in [(21, &missing), (22, &empty)] {
        let (event, code) = station.enroll_with_pki(n, &url, pki);
        assert_eq!(code, Some(0), "{event}");
        assert_eq!(event["status"], "queued-at-bureau", "{event}");
    }
    assert!(!missing.exists());
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    assert_eq!(
        bureau.query_strings("SELECT application FROM applications ORDER BY application"),
        ["TRP-2026-000021", "TRP-2026-000022"]
    );
    // Without the bureau, the same station still needs its Document Signer.
    let file = station.path("applicant-23.toml");
    std::fs::write(&file, applicant(23, "")).unwrap();
    let out = Command::new(BIN)
        .arg("enroll")
        .arg("--pki")
        .arg(&empty)
        .args(["--journal", &station.journal()])
        .arg("--out")
        .arg(station.path("enrolments"))
        .arg("--applicant")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has no ds.pem"), "{stderr}");
}

/// Sends SIGTERM to `child` (through the shell's `kill`, present on every Debian system).
fn terminate(child: &Child) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -TERM {}", child.id()))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_running_sync_delivers_once_the_bureau_comes_up_and_stops_on_sigterm() {
    use std::io::BufRead as _;
    let mut bureau = Bureau::new("every");
    let station = CliStation::new(&bureau);
    let url = format!("http://{}", bureau.listen);
    for n in 0..2 {
        let (event, code) = station.enroll(n, &url);
        assert_eq!(code, Some(0), "{event}");
        assert_eq!(event["status"], "queued-for-submission", "{event}");
    }
    let mut sync = Command::new(BIN)
        .args(["station", "sync", "--journal", &station.journal()])
        .arg("--station-key")
        .arg(&station.key)
        .args(["--every", "1", "--attempts", "2", "--retry-delay-ms", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = sync.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let _ = lines_tx.send(line.clone());
        }
    });
    let mut seen = Vec::new();
    let next_line = |seen: &mut Vec<String>| {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .expect("a line per pass");
        seen.push(line.clone());
        line
    };
    // The bureau is down: the first pass leaves both packages queued.
    let first = next_line(&mut seen);
    assert!(first.starts_with("pass 1: 0 submitted"), "{first}");
    assert!(first.contains("2 still queued"), "{first}");

    bureau.serve();
    let deadline = Instant::now() + Duration::from_secs(180);
    while bureau.query_i64("SELECT count(*) FROM applications") < 2 {
        assert!(
            Instant::now() < deadline,
            "the running sync did not deliver: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The pass that delivered has been logged, then the process is stopped between passes.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen
        .iter()
        .any(|l| l.contains("0 still queued") && !l.contains(" 0 submitted"))
    {
        assert!(
            Instant::now() < deadline,
            "no pass reported the delivery: {seen:?}"
        );
        next_line(&mut seen);
    }
    terminate(&sync);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = sync.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "station sync did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{status}");
    reader.join().unwrap();
    seen.extend(lines.try_iter());
    assert_eq!(
        seen.last().map(String::as_str),
        Some(&*format!("stopped after {} pass(es)", seen.len() - 1))
    );
    let submitted: usize = seen
        .iter()
        .filter_map(|l| {
            l.split_once(": ")?
                .1
                .split_once(" submitted")?
                .0
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert_eq!(submitted, 2, "{seen:?}");
    // No personal data, not even an application number, in the log.
    for line in &seen {
        assert!(!line.contains("TRP-"), "{line}");
    }
    for (_, status, _) in station.list() {
        assert_eq!(status, "queued-at-bureau");
    }
    assert_eq!(bureau.query_i64("SELECT count(*) FROM jobs"), 2);
}

/// The bureau's Document Signer key on a PKCS #11 token (SoftHSM2, installed by
/// `.ci/install-deps`): the key made on the token by `pki ds request`, certified by the CSCA,
/// `issuance serve --token-uri …` signs every EF.SOD through the token under the signing
/// policy, and the audit log holds one EF.SOD record per issued card, each for the bureau.
#[cfg(feature = "pkcs11")]
#[test]
fn a_bureau_whose_document_signer_is_a_token_key_issues_cards_and_audits_each_signature() {
    use permitkit_pki::softhsm::SoftHsm;
    const PIN: &str = "246813";
    let mut bureau = Bureau::new("token");
    let hsm = SoftHsm::new(bureau.dir.path());
    hsm.init_token("bureau-ds", "13572468", PIN);
    permitkit_model::private_file::write(&bureau.path("token.pin"), PIN.as_bytes()).unwrap();
    let module = hsm.module().display().to_string();
    let uri = "pkcs11:token=bureau-ds;object=ds-2026";
    let dir = bureau.dir.path().to_owned();
    let run = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command.args(args).current_dir(&dir);
        let out = hsm.env(&mut command).output().unwrap();
        assert!(
            out.status.success(),
            "permitkit {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "pki",
        "ds",
        "request",
        "--token-uri",
        uri,
        "--module",
        &module,
        "--pin-file",
        "token.pin",
        "--subject-country",
        "UA",
        "--out",
        "ds-token.csr",
    ]);
    run(&[
        "pki",
        "ds",
        "issue",
        "--csca",
        "pki",
        "--csr",
        "ds-token.csr",
        "--document-types",
        "IR,IP",
        "--out",
        "ds-token.pem",
    ]);
    bureau.serve_with(
        &[
            "--token-uri",
            uri,
            "--module",
            &module,
            "--pin-file",
            "token.pin",
            "--ds-cert",
            "ds-token.pem",
            "--audit-log",
            "bureau-audit.jsonl",
        ],
        |c| hsm.env(c),
    );
    let station = bureau.station("st-token");
    for n in 0..2 {
        let receipt = block_on(station.submit(&package(n))).unwrap().unwrap();
        assert_eq!(receipt.state, "queued");
    }
    let mut line = bureau.line("line-token", &["--idle-exit-secs", "3"]);
    wait_exit(&mut line, Duration::from_secs(240));
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM cards WHERE outcome = 'issued'"),
        2
    );
    let records: Vec<serde_json::Value> = run(&[
        "pki",
        "audit",
        "export",
        "--log",
        "bureau-audit.jsonl",
        "--json",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let sods: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["content_type"] == "2.23.136.1.1.1")
        .collect();
    assert_eq!(sods.len(), 2, "{records:?}");
    assert!(sods.iter().all(|r| r["station"] == "bureau"), "{records:?}");
    assert_ne!(sods[0]["document_hmac"], sods[1]["document_hmac"]);
}

/// Two fingers of test quality for DG3: synthetic prints (`permitkit-synth`), WSQ-encoded,
/// scored as the bureau scores them.
fn with_fingers() -> Captures {
    use permitkit_biometrics::{FingerPosition, wsq};
    use permitkit_station::applicant::FingerCapture;
    use permitkit_synth::{FingerprintSpec, generate};
    let mut c = captures();
    c.fingers = [
        (FingerPosition::RightIndex, 11),
        (FingerPosition::LeftIndex, 12),
    ]
    .into_iter()
    .map(|(position, seed)| {
        let gray = generate(&FingerprintSpec::new(seed).with_size(400, 500)).unwrap();
        let quality = permitkit_quality::finger::assess(&gray, 500).unwrap().score;
        FingerCapture {
            position,
            quality,
            width: 400,
            height: 500,
            wsq: wsq::encode(&gray, &wsq::EncodeOptions::default()).unwrap(),
        }
    })
    .collect();
    c
}

/// Fingerprints go on the bureau's cards behind Extended Access Control: the intake gives each
/// chip the documents' trust point (`pki/eac/cvca.cvcert`), a line with the inspection system
/// (`perso worker --eac`) checks DG3 is refused without Terminal Authentication and reads it
/// back with it before reporting the card issued; a line without one writes no card for such a
/// job (nothing spoilt).
#[test]
fn fingerprints_go_on_bureau_cards_behind_eac_and_lines_read_them_back_as_an_inspection_system() {
    let mut bureau = Bureau::new("eac");
    bureau.serve();
    let station = bureau.station("st-eac");
    // The holder consented to fingerprints on the chip.
    let package = |n: u32| {
        let applicant = applicant(n, "").replace(
            "fingerprints_on_chip = false",
            "fingerprints_on_chip = true",
        );
        serde_json::to_vec(&Package::new(applicant, &with_fingers())).unwrap()
    };
    let receipt = block_on(station.submit(&package(0))).unwrap().unwrap();
    assert_eq!(receipt.state, "queued");
    let eac = bureau.path("pki/eac");
    let mut line = bureau.line(
        "line-eac",
        &["--idle-exit-secs", "3", "--eac", eac.to_str().unwrap()],
    );
    wait_exit(&mut line, Duration::from_secs(240));
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM cards WHERE outcome = 'issued'"),
        1
    );
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM cards"),
        1,
        "nothing spoilt"
    );

    // A line without the inspection system takes the next such job but writes no card.
    let receipt = block_on(station.submit(&package(1))).unwrap().unwrap();
    assert_eq!(receipt.state, "queued");
    let mut line = bureau.line("line-no-eac", &["--idle-exit-secs", "3"]);
    wait_exit(&mut line, Duration::from_secs(240));
    let cards = bureau.query_strings("SELECT outcome || ': ' || coalesce(reason, '') FROM cards");
    assert_eq!(cards.len(), 1, "no card written: {cards:?}");
    assert_eq!(
        bureau.query_i64("SELECT count(*) FROM jobs WHERE state = 'done'"),
        1
    );
}
