//! Load figures for the bureau: `APPS` applications submitted through the intake (signed
//! ChipImages built centrally), then personalized by 1, 2 and 4 lines (tokio tasks of this
//! process, each with its own virtual card stock behind the contactless timing model) against a
//! throw-away PostgreSQL. Prints cards per minute per line count, queue latency percentiles and
//! the intake rate.
//!
//! `cargo run --release -p permitkit-bureau --example load -- 200` (default 60 applications).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark program: a failure stops it loudly"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use permitkit_biometrics::face_record::COLOUR_SPACE_RGB24;
use permitkit_bureau::intake::Intake;
use permitkit_bureau::latency::LinkModel;
use permitkit_bureau::package::Package;
use permitkit_bureau::throwaway::ThrowawayPostgres;
use permitkit_bureau::worker::{self, LineReader, WorkerConfig};
use permitkit_bureau::{db, keys, server, status};
use permitkit_model::profiles::Registry;
use permitkit_pki::DocumentSigner;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::applicant::{Captures, Portrait};

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

fn applicant(template: &str, run: u32, n: u32) -> String {
    let letters: String = format!("{run}{n:05}")
        .bytes()
        .map(|d| char::from(b'A' + (d - b'0')))
        .collect();
    template
        .replace("TRP-2026-004211", &format!("TRP-{run}-{n:06}"))
        .replace("FT4211207", &format!("F{run}{n:07}"))
        .replace(
            "surname = \"AKHMETOVA\"",
            &format!("surname = \"LOAD{letters}\""),
        )
        .replace(
            "fingerprints_on_chip = true",
            "fingerprints_on_chip = false",
        )
}

fn main() {
    let apps: u32 = std::env::args()
        .nth(1)
        .map_or(60, |a| a.parse().expect("number of applications"));
    let pg = ThrowawayPostgres::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    TestPki::generate(&TestPkiOptions::default())
        .unwrap()
        .write_dir(&pki)
        .unwrap();
    let csca = permitkit_pki::signer::read_certificate(&pki.join("csca.pem")).unwrap();
    let template =
        String::from_utf8(testdata("applicants/temporary-foreign-national.toml")).unwrap();
    let captures = captures();
    println!("lines | cards | seconds | cards/min | per line | latency p50/p95/p99 s");
    for (run, lines) in [1u32, 2, 4].into_iter().enumerate() {
        let run = u32::try_from(run).unwrap() + 1;
        let url = pg.create_database(&format!("load{lines}")).unwrap();
        server::block_on(async {
            db::migrate(&url).await.unwrap();
            let station = keys::generate().unwrap();
            server::register(&url, "station", "st", &keys::public_der(station.verifying_key()).unwrap())
                .await
                .unwrap();
            let pool = db::pool(&url, 8).unwrap();
            let desk = DeskKeyPair::generate("bureau").unwrap();
            let certificate = desk.certificate_der().to_vec();
            let secret = db::document_key_secret(&pool).await.unwrap();
            let intake = Intake::new(
                pool.clone(),
                desk,
                Registry::builtin().unwrap(),
                DocumentSigner::load_dir(&pki).unwrap(),
                secret,
            );
            let started = Instant::now();
            for n in 0..apps {
                let body =
                    serde_json::to_vec(&Package::new(applicant(&template, run, n), &captures))
                        .unwrap();
                let sealed = permitkit_pki::envelope::seal(&body, &certificate).unwrap();
                intake.submit("st", &sealed, b"bench").await.unwrap();
            }
            let intake_secs = started.elapsed().as_secs_f64();
            let mut tasks = Vec::new();
            let started = Instant::now();
            for l in 0..lines {
                let name = format!("line-{l}");
                let key = keys::generate().unwrap();
                server::register(&url, "line", &name, &keys::public_der(key.verifying_key()).unwrap())
                    .await
                    .unwrap();
                let config = WorkerConfig {
                    line: name.clone(),
                    key,
                    database: url.clone(),
                    reader: LineReader::Virtual {
                        stock: dir.path().join(format!("stock-{lines}-{name}")),
                    },
                    link: LinkModel::default(),
                    lease: Duration::from_secs(30),
                    cscas: vec![csca.clone()],
                    idle_exit: Some(Duration::from_millis(500)),
                    registry: Registry::builtin().unwrap(),
                };
                tasks.push(tokio::spawn(worker::run(config)));
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            // The lines stop 0.5 s after the queue empties.
            let secs = started.elapsed().as_secs_f64() - 0.5;
            let s = status::status(&pool).await.unwrap();
            assert_eq!(s.issued_cards, i64::from(apps));
            let per_min = f64::from(apps) / secs * 60.0;
            let [p50, p95, p99] = s.latency_seconds.unwrap_or_default();
            println!(
                "{lines} | {apps} | {secs:.1} | {per_min:.0} | {:.0} | {p50:.1}/{p95:.1}/{p99:.1}   (intake {:.0} applications/min)",
                per_min / f64::from(lines),
                f64::from(apps) / intake_secs * 60.0
            );
        })
        .unwrap();
    }
}
