//! L2: the whole issuance through the real PC/SC stack: pcscd with vsmartcard's vpcd driver,
//! our virtual chip served by `permitkit sim serve --vpcd`, and our PC/SC backend.
//!
//! The test runs itself inside `.ci/pcsc-stack`, which starts pcscd and the simulator in
//! private network and mount namespaces (loopback only, private /run/pcscd) and stops them
//! afterwards. It needs root and the packages `.ci/install-deps` installs (pcscd,
//! vsmartcard-vpcd, iproute2); without them it fails and says so.
#![cfg(feature = "pcsc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use permitkit_chip::CardChannel;
use permitkit_chip::crypto::Cipher;
use permitkit_chip::perso::{self, LockPermission, PersoLimits, PersoOptions};
use permitkit_chip::reader::{self, AccessKey, AccessProtocol};
use permitkit_devices::file_journal::FileJournal;
use permitkit_devices::reader_pcsc::{PcscCard, list_readers};
use permitkit_lds::Ef;
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretString;
use permitkit_simulator::card::VIRTUAL_UID;
use permitkit_simulator::sample::{self, SAMPLE_CAN};

/// Runs test `inner` of this file inside `.ci/pcsc-stack` (a private pcscd + vpcd + the
/// virtual chip served by `permitkit sim serve --vpcd`), unless already inside.
fn in_the_stack(inner: &str, body: fn()) {
    if std::env::var("PERMITKIT_PCSC_STACK").as_deref() == Ok("1") {
        body();
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join(".ci/pcsc-stack"))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", inner, "--nocapture", "--test-threads=1"])
        .env("PERMITKIT_BIN", env!("CARGO_BIN_EXE_permitkit"))
        .current_dir(root)
        .output()
        .expect("bash is needed to run .ci/pcsc-stack");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "the PC/SC stack test failed (needs root and `.ci/install-deps`: pcscd, vsmartcard-vpcd, iproute2): {stderr}"
    );
    assert!(stdout.contains("1 passed"), "the inner test did not run");
}

#[test]
fn personalize_read_and_verify_through_pcscd_and_vpcd() {
    in_the_stack(
        "personalize_read_and_verify_through_pcscd_and_vpcd",
        inside_the_stack,
    );
}

/// `permitkit enroll` with a station whose card reader is the PC/SC reader, then the card
/// read back by a separate `card read` through the same stack.
#[test]
fn enroll_through_pcscd_and_vpcd() {
    in_the_stack("enroll_through_pcscd_and_vpcd", enroll_inside_the_stack);
}

fn enroll_inside_the_stack() {
    use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
    let glob = std::env::var("PERMITKIT_PCSC_READER").unwrap();
    let dir = tempfile::tempdir().unwrap();
    TestPki::generate(&TestPkiOptions::default())
        .unwrap()
        .write_dir(&dir.path().join("pki"))
        .unwrap();
    std::fs::write(
        dir.path().join("applicant.toml"),
        include_str!("../testdata/applicants/temporary-foreign-national.toml"),
    )
    .unwrap();
    let station = include_str!("../hardware-profiles/stations/simulated.toml")
        .replace("id = \"simulated\"", "id = \"pcsc-station\"")
        .replace(
            "[card_reader]\n",
            "[card_reader]\nprofile = \"vsmartcard-vpcd\"\n",
        )
        .replace(
            "selector = \"sim\"\ntimeout_seconds = 30.0\n\n[chip]",
            &format!("selector = \"pcsc:{glob}\"\ntimeout_seconds = 10.0\n\n[chip]"),
        );
    assert!(station.contains("pcsc:"), "{station}");
    std::fs::write(dir.path().join("pcsc-station.toml"), station).unwrap();
    let permitkit = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_permitkit"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = permitkit(&[
        "enroll",
        "--station",
        "pcsc-station.toml",
        "--applicant",
        "applicant.toml",
        "--pki",
        "pki",
        "--journal",
        "journal.sqlite",
        "--out",
        "chip-image",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Card issued"), "{stdout}");
    println!("{stdout}");
    // The enrolment's folder holds no keys: the CAN comes from the journal.
    let id = stdout
        .split("(journal id ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap()
        .to_owned();
    let can = permitkit(&["journal", "can", &id, "--journal", "journal.sqlite"]);
    assert!(can.status.success());
    let can = String::from_utf8_lossy(&can.stdout).trim().to_owned();
    let out = permitkit(&[
        "card",
        "read",
        "--reader",
        &format!("pcsc:{glob}"),
        "--can",
        &can,
        "--csca",
        "pki/csca.pem",
        "--out",
        "read-back",
        "--wait",
        "10",
    ]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("passive authentication: VALID"), "{report}");
    // The card holds exactly the files the enrolment's manifest lists.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("chip-image")
                .join(&id)
                .join("manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let listed = manifest["files"].as_array().unwrap();
    let read = permitkit_lds::ChipImage::load_dir(&dir.path().join("read-back")).unwrap();
    assert_eq!(read.files().count(), listed.len());
    for (ef, bytes) in read.files() {
        use sha2::Digest;
        let entry = listed.iter().find(|f| f["name"] == ef.name()).unwrap();
        assert_eq!(
            entry["sha256"],
            hex::encode(sha2::Sha256::digest(bytes)),
            "{ef}"
        );
    }
}

fn inside_the_stack() {
    let glob = std::env::var("PERMITKIT_PCSC_READER").unwrap();
    let readers = list_readers().unwrap();
    assert!(
        readers.iter().any(|r| r.name.starts_with("Virtual PCD")),
        "{readers:?}"
    );
    let registry = Registry::builtin().unwrap();
    let chip = registry.chip("permitkit-virtual").unwrap().clone();

    let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
    let reader_profile = registry
        .reader_for_name(card.reader_name())
        .unwrap()
        .clone();
    assert_eq!(reader_profile.id, "vsmartcard-vpcd");
    assert!(chip.matches_atr(card.atr()), "ATR {:02X?}", card.atr());
    assert_eq!(card.uid().unwrap(), VIRTUAL_UID);

    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 20_000, 24_000);
    let journal_dir = tempfile::tempdir().unwrap();
    let mut journal = FileJournal::open(journal_dir.path()).unwrap();
    let options = PersoOptions {
        dialect: chip.dialect,
        chip_serial: chip.chip_serial,
        limits: PersoLimits::from_profiles(&chip, Some(&reader_profile)),
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    };
    let report =
        perso::personalize(&mut card, &input, &options, &mut journal, &mut |_| {}).unwrap();
    assert!(report.locked);
    assert!(
        report.stats.commands <= report.minimum_apdus * 11 / 10,
        "{} APDUs, minimum {}",
        report.stats.commands,
        report.minimum_apdus
    );
    println!(
        "pcscd+vpcd personalization: {} APDUs (minimum {}), {:.3} s",
        report.stats.commands,
        report.minimum_apdus,
        report.wall.as_secs_f64()
    );

    card.reset().unwrap();
    let contents = reader::read(
        &mut card,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        options.limits.read,
    )
    .unwrap();
    assert!(matches!(contents.protocol, AccessProtocol::Pace(_)));
    for (ef, data) in &input.files {
        let got = contents.files.iter().find(|(e, _)| e == ef).unwrap();
        assert_eq!(&got.1, data, "{ef}");
    }
    drop(card);

    // The command-line reader through the same stack.
    let out = Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args([
            "card",
            "read",
            "--reader",
            &format!("pcsc:{glob}"),
            "--mrz",
            "I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406236UTO<<<<<<<<<<<2ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
            "--json",
            "--wait",
            "10",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["protocol"].as_str().unwrap().starts_with("PACE"),
        "{json}"
    );
    let names: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for ef in [Ef::Com, Ef::DG1, Ef::DG2, Ef::DG3, Ef::Sod] {
        assert!(names.contains(&ef.name().as_str()), "{names:?}");
    }
}
