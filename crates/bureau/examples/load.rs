//! The bureau's load test (issue 16): `--applications` applications (default 10 000) from
//! `--stations` simulated stations (default 50; each registered with its own P-256 key),
//! sealed to the bureau and sent as signed HTTP requests to the real service
//! (`permitkit_bureau::server::serve`, in this process, on loopback) over a throw-away
//! PostgreSQL; then personalization by 1, 2, 4 and 8 lines (`--lines 1,2,4,8`), each line a
//! `worker::run_until` task of this process with its own stock of virtual chips behind the
//! contactless link model (`latency::LinkModel::default()`).
//!
//! A card takes about 2.5 s on the modelled link, so personalizing all the applications once
//! per line count would take hours. Each line count therefore runs for a fixed window
//! (`--window-secs`, default 180) on the same backlog: a copy of the database as the intake
//! left it (`CREATE DATABASE … TEMPLATE`), so every line count starts from the same queue. At
//! the end of the window the lines are told to stop; each finishes and reports the card in
//! hand. Figures:
//!
//! - intake: submissions per minute, request latency percentiles (measured by the stations,
//!   over HTTP), the database's share (time the service spent awaiting the database,
//!   `db_clock`, over the summed request time), the server's statement execution time
//!   (`pg_stat_statements`) per second of the phase, and the machine's CPU busy share;
//! - per line count: cards per minute (cards whose report was committed inside the window),
//!   per line, the card time (claim to verified, reported card) and queue latency (submission
//!   to verified card) percentiles of every card done, spoilt cards, the database's share of
//!   the lines' time (time awaiting the database on a line's path over the lines' running
//!   time), the server's execution time per second, the machine's CPU busy share — and the
//!   exactly-once count: issued cards, applications with an issued card, jobs done, and
//!   applications with more than one issued card (must be 0).
//!
//! `cargo run --release -p permitkit-bureau --example load -- [--applications N]
//! [--stations N] [--lines 1,2,4,8] [--window-secs S]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "a benchmark program: a failure stops it loudly; ranks of a few thousand values"
)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use permitkit_biometrics::face_record::COLOUR_SPACE_RGB24;
use permitkit_bureau::client::StationClient;
use permitkit_bureau::latency::LinkModel;
use permitkit_bureau::package::Package;
use permitkit_bureau::server::{self, ServeConfig};
use permitkit_bureau::throwaway::ThrowawayPostgres;
use permitkit_bureau::worker::{self, LineReader, WorkerConfig};
use permitkit_bureau::{BureauError, db, db_clock, keys};
use permitkit_model::profiles::Registry;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::applicant::{Captures, Portrait};
use tokio_postgres::NoTls;

/// The run's settings, with the figures as defaults.
struct Settings {
    applications: u32,
    stations: u32,
    lines: Vec<u32>,
    window: Duration,
}

fn settings() -> Settings {
    let mut s = Settings {
        applications: 10_000,
        stations: 50,
        lines: vec![1, 2, 4, 8],
        window: Duration::from_secs(180),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--applications" => s.applications = value.parse().expect("--applications N"),
            "--stations" => s.stations = value.parse().expect("--stations N"),
            "--lines" => {
                s.lines = value
                    .split(',')
                    .map(|l| l.parse().expect("--lines 1,2,4,8"))
                    .collect();
            }
            "--window-secs" => {
                s.window = Duration::from_secs(value.parse().expect("--window-secs S"));
            }
            other => panic!(
                "unknown argument {other}: --applications N --stations N --lines 1,2,4,8 \
                 --window-secs S"
            ),
        }
    }
    assert!(s.stations > 0 && s.applications > 0 && !s.lines.is_empty());
    s
}

fn testdata(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(path),
    )
    .unwrap()
}

fn captures() -> Captures {
    let sig = permitkit_biometrics::image::decode(
        &testdata("lds/signature.png"),
        &permitkit_biometrics::image::ImageLimits::default(),
    )
    .unwrap()
    .into_luma8();
    let signature = permitkit_biometrics::signature::prepare(&sig, 400, 150, 6000).unwrap();
    Captures {
        portrait: Portrait {
            jpeg: testdata("lds/face.jpg"),
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

/// Application `n`: its own number, document number and holder (a surname spelt from its
/// digits), no fingerprints on the chip.
fn applicant(template: &str, n: u32) -> String {
    let letters: String = format!("{n:06}")
        .bytes()
        .map(|d| char::from(b'A' + (d - b'0')))
        .collect();
    template
        .replace("TRP-2026-004211", &format!("TRP-LOAD-{n:06}"))
        .replace("FT4211207", &format!("FL{n:07}"))
        .replace(
            "surname = \"AKHMETOVA\"",
            &format!("surname = \"LOAD{letters}\""),
        )
        .replace(
            "fingerprints_on_chip = true",
            "fingerprints_on_chip = false",
        )
}

/// Nearest-rank percentiles 50, 95, 99 of `values` (seconds).
fn percentiles(values: &mut [f64]) -> [f64; 3] {
    if values.is_empty() {
        return [f64::NAN; 3];
    }
    values.sort_by(f64::total_cmp);
    [0.50, 0.95, 0.99].map(|q| {
        let rank = (q * values.len() as f64).ceil() as usize;
        values[rank.clamp(1, values.len()) - 1]
    })
}

/// The machine's CPU counters (`/proc/stat`, first line): (busy, total) jiffies.
fn cpu() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    // idle and iowait
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn cpu_busy_since(earlier: (u64, u64)) -> f64 {
    let now = cpu();
    let total = now.1.saturating_sub(earlier.1).max(1);
    now.0.saturating_sub(earlier.0) as f64 / total as f64
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One connection to `url`, its driver task running.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn scalar_i64(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// The database server's clock now.
async fn server_now(client: &tokio_postgres::Client) -> std::time::SystemTime {
    client
        .query_one("SELECT clock_timestamp()", &[])
        .await
        .unwrap()
        .get(0)
}

/// The server's statement execution time since the last reset, seconds.
async fn server_exec_secs(client: &tokio_postgres::Client) -> f64 {
    let ms: f64 = client
        .query_one(
            "SELECT coalesce(sum(total_exec_time), 0)::float8 FROM pg_stat_statements",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    ms / 1000.0
}

async fn reset_statements(client: &tokio_postgres::Client) {
    client
        .execute("SELECT pg_stat_statements_reset()", &[])
        .await
        .unwrap();
}

/// What one station did: the latency of each submission.
async fn station(
    client: StationClient,
    template: Arc<String>,
    captures: Arc<Captures>,
    numbers: Vec<u32>,
) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(numbers.len());
    for n in numbers {
        let json = serde_json::to_vec(&Package::new(applicant(&template, n), &captures)).unwrap();
        let sealed = client.seal(&json).unwrap();
        let started = Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            match client.submit_sealed(&sealed).await {
                Ok(receipt) => {
                    // A retry may find the first try's package received: the same receipt.
                    assert!(
                        !receipt.duplicate || tries > 1,
                        "application {n} was received before it was sent"
                    );
                    break;
                }
                Err(BureauError::Status { status, body }) if status < 500 => {
                    panic!("application {n} refused: {status} {body}")
                }
                Err(e) if tries < 5 => {
                    eprintln!("application {n}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("application {n}: {e}"),
            }
        }
        latencies.push(started.elapsed().as_secs_f64());
    }
    latencies
}

fn main() {
    let s = settings();
    let pg =
        ThrowawayPostgres::start_with(&["shared_preload_libraries=pg_stat_statements"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let test_pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    test_pki.write_dir(&pki).unwrap();
    // The documents' EAC trust point (`eac/cvca.cvcert`), which the intake gives each chip.
    permitkit_pki::eac::EacPki::generate(&permitkit_pki::eac::EacPkiOptions::new(
        permitkit_cvc::CvDate::today().unwrap(),
    ))
    .unwrap()
    .write_dir(&pki.join("eac"))
    .unwrap();
    let csca = permitkit_pki::signer::read_certificate(&pki.join("csca.pem")).unwrap();
    let desk_dir = dir.path().join("desk");
    DeskKeyPair::generate("bureau")
        .unwrap()
        .write_dir(&desk_dir)
        .unwrap();
    let certificate = DeskKeyPair::load(
        &desk_dir.join(permitkit_pki::desk::CERTIFICATE_FILE),
        &desk_dir.join(permitkit_pki::desk::KEY_FILE),
    )
    .unwrap()
    .certificate_der()
    .to_vec();
    let template = Arc::new(
        String::from_utf8(testdata("applicants/temporary-foreign-national.toml")).unwrap(),
    );
    let captures = Arc::new(captures());
    let intake_url = pg.create_database("intake").unwrap();
    let admin_url = pg.url("postgres");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        db::migrate(&intake_url).await.unwrap();
        let admin = connect(&admin_url).await;
        let version: String = admin
            .query_one("SHOW server_version", &[])
            .await
            .unwrap()
            .get(0);
        println!(
            "conditions: {} applications from {} stations; lines {:?}, window {} s each; {} CPU(s); \
             PostgreSQL {version} (fsync off, throw-away); load average at start {}",
            s.applications,
            s.stations,
            s.lines,
            s.window.as_secs(),
            std::thread::available_parallelism().map_or(0, usize::from),
            load_average()
        );
        {
            let intake_db = connect(&intake_url).await;
            intake_db
                .batch_execute("CREATE EXTENSION pg_stat_statements")
                .await
                .unwrap();
        }

        // Stations, each with its own registered key.
        let mut clients = Vec::new();
        for i in 0..s.stations {
            let name = format!("station-{i:02}");
            let key = keys::generate().unwrap();
            server::register(
                &intake_url,
                "station",
                &name,
                &keys::public_der(key.verifying_key()).unwrap(),
            )
            .await
            .unwrap();
            clients.push((name, key));
        }

        // The service, in this process, on loopback.
        let listen: SocketAddr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
        let service = tokio::spawn(server::serve(
            ServeConfig {
                database: intake_url.clone(),
                listen,
                pki: pki.clone(),
                signer: None,
                desk: desk_dir.clone(),
                registry: Registry::builtin().unwrap(),
            },
            async move {
                let _ = server_stopped.await;
            },
        ));
        let base = format!("http://{listen}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(listen).await.is_err() {
            assert!(Instant::now() < deadline, "the service did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Intake: every station submits its share at once.
        let intake_db = connect(&intake_url).await;
        reset_statements(&intake_db).await;
        let db_before = db_clock::now();
        let cpu_before = cpu();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, (name, key)) in clients.into_iter().enumerate() {
            let client = StationClient::new(&base, &name, key, certificate.clone()).unwrap();
            let numbers: Vec<u32> = (0..s.applications)
                .filter(|n| *n % s.stations == u32::try_from(i).unwrap())
                .collect();
            tasks.push(tokio::spawn(station(
                client,
                Arc::clone(&template),
                Arc::clone(&captures),
                numbers,
            )));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap());
        }
        let wall = started.elapsed().as_secs_f64();
        let busy = cpu_busy_since(cpu_before);
        let db_time = db_clock::now().since(db_before);
        let exec = server_exec_secs(&intake_db).await;
        let summed: f64 = latencies.iter().sum();
        let [p50, p95, p99] = percentiles(&mut latencies);
        let queued = scalar_i64(&intake_db, "SELECT count(*) FROM jobs WHERE state = 'queued'").await;
        assert_eq!(queued, i64::from(s.applications));
        println!();
        println!(
            "| intake | submissions/min | request latency p50 / p95 / p99 | database share of request time | server execution s per s | CPU busy |"
        );
        println!("|---|---|---|---|---|---|");
        println!(
            "| {} applications, {} stations, {wall:.0} s | {:.0} | {:.3} / {:.3} / {:.3} s | {:.1} % ({} calls, {:.0} s of {summed:.0} s) | {:.2} | {:.0} % |",
            s.applications,
            s.stations,
            f64::from(s.applications) / wall * 60.0,
            p50,
            p95,
            p99,
            db_time.total.as_secs_f64() / summed * 100.0,
            db_time.calls,
            db_time.total.as_secs_f64(),
            exec / wall,
            busy * 100.0
        );
        drop(intake_db);
        let _ = stop_server.send(());
        service.await.unwrap().unwrap();

        println!();
        println!(
            "| lines | cards in window | cards/min | per line | card time p50 / p95 / p99 | queue latency p50 / p95 / p99 | spoilt | database share of line time | server execution s per s | CPU busy | issued = applications with a card = jobs done | applications with 2+ cards |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        let mut base_rate = None;
        for &lines in &s.lines {
            let name = format!("lines{lines}");
            // Every line count starts from the same backlog.
            let mut tries = 0;
            loop {
                tries += 1;
                match admin
                    .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE intake"))
                    .await
                {
                    Ok(_) => break,
                    Err(_) if tries < 50 => {
                        // The service's connections may still be closing.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => panic!("copying the backlog: {e}"),
                }
            }
            let url = pg.url(&name);
            let mut configs = Vec::new();
            for l in 0..lines {
                let line = format!("line-{l}");
                let key = keys::generate().unwrap();
                server::register(&url, "line", &line, &keys::public_der(key.verifying_key()).unwrap())
                    .await
                    .unwrap();
                configs.push(WorkerConfig {
                    line,
                    key,
                    database: url.clone(),
                    reader: LineReader::Virtual {
                        stock: dir.path().join(format!("stock-{lines}-{l}")),
                    },
                    link: LinkModel::default(),
                    lease: Duration::from_secs(30),
                    cscas: vec![csca.clone()],
                    terminal: None,
                    idle_exit: None,
                    registry: Registry::builtin().unwrap(),
                });
            }
            let db = connect(&url).await;
            let backlog_age: f64 = db
                .query_one(
                    "SELECT extract(epoch FROM clock_timestamp() - max(queued_at))::float8 FROM jobs",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            reset_statements(&db).await;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let db_before = db_clock::now();
            let cpu_before = cpu();
            let window_start = server_now(&db).await;
            let started = Instant::now();
            let tasks: Vec<_> = configs
                .into_iter()
                .map(|config| {
                    let mut stopped = stopped.clone();
                    tokio::spawn(async move {
                        let started = Instant::now();
                        let summary = worker::run_until(config, async move {
                            let _ = stopped.wait_for(|s| *s).await;
                        })
                        .await
                        .unwrap();
                        (summary, started.elapsed().as_secs_f64())
                    })
                })
                .collect();
            tokio::time::sleep(s.window.saturating_sub(started.elapsed())).await;
            let window_end = server_now(&db).await;
            let window = started.elapsed().as_secs_f64();
            stop.send(true).unwrap();
            let mut line_secs = 0.0;
            let mut failed = 0;
            for t in tasks {
                let (summary, secs) = t.await.unwrap();
                line_secs += secs;
                failed += summary.failed + summary.lost;
            }
            let busy = cpu_busy_since(cpu_before);
            let db_time = db_clock::now().since(db_before);
            let exec = server_exec_secs(&db).await;
            let all_wall = started.elapsed().as_secs_f64();
            let in_window: i64 = db
                .query_one(
                    "SELECT count(*) FROM jobs WHERE state = 'done' AND finished_at BETWEEN $1 AND $2",
                    &[&window_start, &window_end],
                )
                .await
                .unwrap()
                .get(0);
            let rows = db
                .query(
                    "SELECT extract(epoch FROM finished_at - claimed_at)::float8, \
                       extract(epoch FROM finished_at - queued_at)::float8 \
                     FROM jobs WHERE state = 'done'",
                    &[],
                )
                .await
                .unwrap();
            let mut card: Vec<f64> = rows.iter().map(|r| r.get(0)).collect();
            let mut queue: Vec<f64> = rows.iter().map(|r| r.get(1)).collect();
            let [c50, c95, c99] = percentiles(&mut card);
            let [q50, q95, q99] = percentiles(&mut queue);
            let spoilt = scalar_i64(&db, "SELECT count(*) FROM cards WHERE outcome = 'spoilt'").await;
            let issued = scalar_i64(&db, "SELECT count(*) FROM cards WHERE outcome = 'issued'").await;
            let with_card = scalar_i64(
                &db,
                "SELECT count(DISTINCT application) FROM cards WHERE outcome = 'issued'",
            )
            .await;
            let done = scalar_i64(&db, "SELECT count(*) FROM jobs WHERE state = 'done'").await;
            let issued_apps = scalar_i64(
                &db,
                "SELECT count(*) FROM applications WHERE state = 'issued'",
            )
            .await;
            let doubles = scalar_i64(
                &db,
                "SELECT count(*) FROM (SELECT application FROM cards WHERE outcome = 'issued' \
                 GROUP BY application HAVING count(*) > 1) t",
            )
            .await;
            assert_eq!(issued, with_card, "{lines} lines: an application has two cards");
            assert_eq!(issued, done, "{lines} lines: cards and jobs disagree");
            assert_eq!(issued, issued_apps, "{lines} lines: cards and applications disagree");
            assert_eq!(doubles, 0);
            let per_min = in_window as f64 / window * 60.0;
            let per_line = per_min / f64::from(lines);
            let base = *base_rate.get_or_insert(per_line);
            println!(
                "| {lines} | {in_window} | {per_min:.1} | {per_line:.1} ({:.0} % of 1 line) | {c50:.2} / {c95:.2} / {c99:.2} s | {q50:.0} / {q95:.0} / {q99:.0} s (backlog {backlog_age:.0} s old at start) | {spoilt} ({failed} failed attempts) | {:.1} % ({} calls, {:.1} s of {line_secs:.0} s) | {:.3} | {:.0} % | {issued} = {with_card} = {done} | {doubles} |",
                per_line / base * 100.0,
                db_time.total.as_secs_f64() / line_secs * 100.0,
                db_time.calls,
                db_time.total.as_secs_f64(),
                exec / all_wall,
                busy * 100.0,
            );
            drop(db);
            admin
                .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
            for l in 0..lines {
                let _ = std::fs::remove_dir_all(dir.path().join(format!("stock-{lines}-{l}")));
            }
        }
        println!();
        println!("load average at the end {}", load_average());
    });
}
