//! L2: the whole issuance through the real PC/SC stack: pcscd with vsmartcard's vpcd driver,
//! our virtual chips served by `permitkit sim serve --vpcd --feeder`, and our PC/SC backend.
//! The card feeder puts cards on the virtual reader the way an operator would
//! (`permitkit_devices::card_feeder`: a blank card, a card of the tray, a drill card, or the
//! card pulled after N APDUs): every testdata applicant and both partial dates of birth enrol
//! and read back VALID, and a representative part of the personalize fault matrix runs through
//! pcscd (a card pulled mid-write, a foreign card, an issued card, a blank replacement).
//!
//! The test runs itself inside `.ci/pcsc-stack`, which starts pcscd and the simulator in
//! private network and mount namespaces (loopback only, private /run/pcscd) and stops them
//! afterwards. It needs root and the packages `.ci/install-deps` installs (pcscd,
//! vsmartcard-vpcd, iproute2); without them it fails and says so.
#![cfg(feature = "pcsc")]
#![expect(
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
use permitkit_chip::identity::{CardLife, ChipSerial};
use permitkit_chip::perso::{self, FileAccessRules, LockPermission, PersoLimits, PersoOptions};
use permitkit_chip::reader::{self, AccessKey, AccessProtocol};
use permitkit_devices::card_feeder::{CardDrill, FeederRequest, Present};
use permitkit_devices::chip_image_dir;
use permitkit_devices::file_journal::FileJournal;
use permitkit_devices::reader_pcsc::{PcscCard, list_readers};
use permitkit_lds::Ef;
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretString;
use permitkit_simulator::card::VIRTUAL_UID;
use permitkit_simulator::sample::{self, SAMPLE_CAN};

#[path = "support/pcsc_stack.rs"]
mod pcsc_stack;
use pcsc_stack::{ask, feeder, in_the_stack, pcsc_station_toml, present, reader_glob};

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
    let glob = reader_glob();
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
    std::fs::write(dir.path().join("pcsc-station.toml"), pcsc_station_toml()).unwrap();
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
    std::fs::write(
        dir.path().join("can.txt"),
        String::from_utf8_lossy(&can.stdout).trim(),
    )
    .unwrap();
    let out = permitkit(&[
        "card",
        "read",
        "--reader",
        &format!("pcsc:{glob}"),
        "--can-file",
        "can.txt",
        "--csca",
        "pki/csca.pem",
        "--terminal",
        "pki/eac",
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
    // DG3 is behind Extended Access Control: read as the PKI's inspection system.
    assert!(
        report.contains("terminal authentication: GRANTED"),
        "{report}"
    );
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
    let read = chip_image_dir::load(&dir.path().join("read-back")).unwrap();
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
    let glob = reader_glob();
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
        file_access: chip.file_access.unwrap_or(FileAccessRules::EMRTD),
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
            "--json",
            "--wait",
            "10",
        ])
        .env(
            "PERMITKIT_MRZ",
            "I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406236UTO<<<<<<<<<<<2ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        )
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

/// A folder with the TEST ONLY PKI, the testdata applicants and a station whose card reader is
/// the stack's PC/SC reader.
struct PcscDesk {
    dir: tempfile::TempDir,
    glob: String,
}

impl PcscDesk {
    fn new() -> Self {
        use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
        let glob = reader_glob();
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/applicants");
        for (name, _) in APPLICANTS {
            std::fs::copy(root.join(name), dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("pcsc-station.toml"), pcsc_station_toml()).unwrap();
        Self { dir, glob }
    }

    fn permitkit(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_permitkit"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// `enroll --json` on the PC/SC station; returns success, the journal id, the last event.
    fn enroll(&self, extra: &[&str]) -> (bool, String, serde_json::Value) {
        let mut args = vec![
            "enroll",
            "--station",
            "pcsc-station.toml",
            "--pki",
            "pki",
            "--journal",
            "journal.sqlite",
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = self.permitkit(&args);
        let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let id = events
            .iter()
            .find(|e| e["event"] == "begin")
            .and_then(|e| e["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        (
            out.status.success(),
            id,
            events.last().cloned().unwrap_or_default(),
        )
    }

    /// `card read` of the card on the reader with the enrolment's CAN, through pcscd; returns
    /// the report and the DG1 read.
    fn read_back(&self, id: &str) -> (String, Vec<u8>) {
        let can = self.permitkit(&["journal", "can", id, "--journal", "journal.sqlite"]);
        assert!(
            can.status.success(),
            "{}",
            String::from_utf8_lossy(&can.stderr)
        );
        let can_file = self.dir.path().join("can.txt");
        std::fs::write(&can_file, String::from_utf8_lossy(&can.stdout).trim()).unwrap();
        let out_dir = format!("read-back-{id}");
        let out = self.permitkit(&[
            "card",
            "read",
            "--reader",
            &format!("pcsc:{}", self.glob),
            "--can-file",
            "can.txt",
            "--csca",
            "pki/csca.pem",
            "--out",
            &out_dir,
            "--wait",
            "10",
        ]);
        let report = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}");
        let dg1 = std::fs::read(self.dir.path().join(out_dir).join("DG1.bin")).unwrap();
        (report, dg1)
    }
}

/// The testdata applicants: (file, MRZ date of birth).
const APPLICANTS: [(&str, &str); 4] = [
    ("temporary-foreign-national.toml", "910227"),
    ("permanent-stateless.toml", "7905<<"),
    ("temporary-unknown-birth-day.toml", "9102<<"),
    ("permanent-unknown-birth-month.toml", "79<<<<"),
];

/// Every testdata applicant, the partial dates of birth included, enrols on a blank card
/// through pcscd and vpcd, and a separate `card read` through the same stack finds passive
/// authentication VALID and the date of birth as printed.
#[test]
fn every_applicant_and_partial_birth_dates_enrol_through_pcscd_and_vpcd() {
    in_the_stack(
        "every_applicant_and_partial_birth_dates_enrol_through_pcscd_and_vpcd",
        every_applicant_inside_the_stack,
    );
}

fn every_applicant_inside_the_stack() {
    let feeder = feeder();
    let desk = PcscDesk::new();
    for (name, dob) in APPLICANTS {
        let card = present(&feeder, Present::Blank);
        let (ok, id, last) = desk.enroll(&["--applicant", name]);
        assert!(ok, "{name}: {last}");
        let serial = last["records"]["personalize"]["chip_serial"]
            .as_str()
            .unwrap();
        assert_eq!(serial, card.as_str(), "{name}");
        assert_eq!(last["issued"], true);
        let (report, dg1) = desk.read_back(&id);
        assert!(
            report.contains("passive authentication: VALID"),
            "{name}: {report}"
        );
        assert!(report.contains("active authentication: VALID"), "{report}");
        let mrz = String::from_utf8_lossy(&dg1[5..]).into_owned();
        assert_eq!(&mrz[30..36], dob, "{name}: {mrz}");
        println!("{name}: issued on card {card} through pcscd, read back VALID");
    }
}

/// A representative part of the personalize fault matrix through pcscd and vpcd: the card
/// pulled mid-write, then a foreign card (refused), then the same card again (issued); an
/// issued card presented to the next enrolment (refused, unchanged), then a blank replacement;
/// a card pulled mid-write replaced by a blank card (issued, the spoilt card recorded).
#[test]
fn fault_matrix_through_pcscd_and_vpcd() {
    in_the_stack(
        "fault_matrix_through_pcscd_and_vpcd",
        fault_matrix_inside_the_stack,
    );
}

fn fault_matrix_inside_the_stack() {
    let feeder = feeder();
    let desk = PcscDesk::new();
    let card_text = |s: &ChipSerial| std::fs::read_to_string(feeder.card_path(s)).unwrap();

    // Pulled mid-write, a foreign card, the same card again.
    let x = present(&feeder, Present::Blank);
    ask(&feeder, FeederRequest::PullAfter(20));
    let (ok, a, last) = desk.enroll(&["--applicant", "permanent-stateless.toml"]);
    assert!(!ok, "{last}");
    let message = last["message"].as_str().unwrap();
    assert!(message.contains("NOT done"), "{message}");
    let foreign = present(&feeder, Present::Drill(CardDrill::Foreign));
    let before = card_text(&foreign);
    let (ok, _, last) = desk.enroll(&["--resume", &a]);
    assert!(!ok);
    let message = last["message"].as_str().unwrap();
    assert!(
        message.contains("holds another personalization"),
        "{message}"
    );
    present(&feeder, Present::Card(x.clone()));
    assert_eq!(
        card_text(&foreign),
        before,
        "nothing was written to the foreign card"
    );
    let (ok, _, last) = desk.enroll(&["--resume", &a]);
    assert!(ok, "{last}");
    assert_eq!(last["records"]["personalize"]["chip_serial"], x.as_str());
    let (report, _) = desk.read_back(&a);
    assert!(report.contains("passive authentication: VALID"), "{report}");

    // The issued card presented to the next enrolment: refused and unchanged; a blank
    // replacement is then issued.
    present(&feeder, Present::Card(x.clone()));
    let issued = card_text(&x);
    let (ok, b, last) = desk.enroll(&["--applicant", "temporary-foreign-national.toml"]);
    assert!(!ok);
    let message = last["message"].as_str().unwrap();
    assert!(message.contains("already issued (locked)"), "{message}");
    let y = present(&feeder, Present::Drill(CardDrill::BlankReplacement));
    assert_eq!(card_text(&x), issued, "an issued card is never modified");
    let (ok, _, last) = desk.enroll(&["--resume", &b]);
    assert!(ok, "{last}");
    assert_eq!(last["records"]["personalize"]["chip_serial"], y.as_str());
    desk.read_back(&b);

    // Pulled mid-write, then a blank replacement: issued, the pulled card recorded spoilt.
    let z = present(&feeder, Present::Blank);
    ask(&feeder, FeederRequest::PullAfter(30));
    let (ok, c, _) = desk.enroll(&["--applicant", "temporary-unknown-birth-day.toml"]);
    assert!(!ok);
    let w = present(&feeder, Present::Drill(CardDrill::BlankReplacement));
    let (ok, _, last) = desk.enroll(&["--resume", &c]);
    assert!(ok, "{last}");
    let record = &last["records"]["personalize"];
    assert_eq!(record["chip_serial"], w.as_str());
    assert_eq!(record["spoilt_cards"], serde_json::json!([z.as_str()]));
    let (report, _) = desk.read_back(&c);
    assert!(report.contains("passive authentication: VALID"), "{report}");
    // The spoilt card was never locked; the issued ones are.
    let life = |s: &ChipSerial| {
        permitkit_devices::sim_state::load(
            &feeder.card_path(s),
            permitkit_simulator::CardConfig::default(),
        )
        .unwrap()
        .life()
    };
    assert_eq!(life(&z), CardLife::Started);
    for s in [&x, &y, &w] {
        assert_eq!(life(s), CardLife::Issued);
    }
}

#[path = "support/eac.rs"]
mod eac;

/// Chip Authentication (ICAO Doc 9303-11 §6.2) through pcscd + vpcd: 3DES (MSE:Set KAT) and
/// AES-128/192/256 (MSE:Set AT + GENERAL AUTHENTICATE) on both curves, each card personalized
/// through the stack and read back with the secure messaging restarted; then a chip whose key
/// is not DG14's, refused by the reader and by `permitkit card read`.
#[test]
fn chip_authentication_through_pcscd_and_vpcd() {
    in_the_stack(
        "chip_authentication_through_pcscd_and_vpcd",
        chip_authentication_inside_the_stack,
    );
}

/// Personalizes `input` onto a blank card the feeder presents, through the stack; the error of
/// personalization, if any, is returned (the card keeps what was written).
fn personalize_through_the_stack(
    input: &perso::PersoInput,
    lock: bool,
) -> (
    ChipSerial,
    Result<perso::PersoReport, permitkit_chip::ChipError>,
) {
    let feeder = feeder();
    let serial = present(&feeder, Present::Blank);
    let glob = reader_glob();
    let registry = Registry::builtin().unwrap();
    let chip = registry.chip("permitkit-virtual").unwrap().clone();
    let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
    let reader_profile = registry
        .reader_for_name(card.reader_name())
        .unwrap()
        .clone();
    let journal_dir = tempfile::tempdir().unwrap();
    let mut journal = FileJournal::open(journal_dir.path()).unwrap();
    let options = eac::options(
        PersoLimits::from_profiles(&chip, Some(&reader_profile)),
        lock,
    );
    let outcome = perso::personalize(&mut card, input, &options, &mut journal, &mut |_| {});
    (serial, outcome)
}

/// Reads the card on the stack's reader with the CAN.
fn read_through_the_stack() -> reader::CardContents {
    let glob = reader_glob();
    let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
    reader::read(
        &mut card,
        &AccessKey::Can(SecretString::from(eac::CAN)),
        permitkit_chip::files::ReadLimits::SHORT,
    )
    .unwrap()
}

/// `permitkit card read --json` of the card on the stack's reader, with the CSCA of `pki`.
fn cli_read_through_the_stack(pki: &permitkit_pki::TestPki) -> (bool, serde_json::Value) {
    let glob = reader_glob();
    let dir = tempfile::tempdir().unwrap();
    pki.write_dir(dir.path()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args([
            "card",
            "read",
            "--reader",
            &format!("pcsc:{glob}"),
            "--json",
            "--wait",
            "10",
            "--csca",
        ])
        .arg(dir.path().join("csca.pem"))
        .env("PERMITKIT_CAN", eac::CAN)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), json)
}

fn chip_authentication_inside_the_stack() {
    use permitkit_chip::ec::Domain;
    use permitkit_chip::reader::CaOutcome;
    let pki = eac::pki();
    for (cipher, domain) in [
        (Cipher::Tdes, Domain::BrainpoolP256r1),
        (Cipher::Aes128, Domain::P256),
        (Cipher::Aes192, Domain::BrainpoolP256r1),
        (Cipher::Aes256, Domain::P256),
    ] {
        let image = eac::image(&pki, &eac::EacCard::ca(cipher, domain), None);
        let (_, outcome) = personalize_through_the_stack(&eac::input(&image), true);
        assert!(outcome.unwrap().locked);
        let contents = read_through_the_stack();
        let CaOutcome::Authenticated(a) = &contents.chip_authentication else {
            panic!("{cipher} {domain}: {}", contents.chip_authentication);
        };
        assert_eq!((a.cipher, a.domain), (cipher, domain));
        for (ef, data) in image.files() {
            let got = contents.files.iter().find(|(e, _)| *e == ef).unwrap();
            assert_eq!(got.1, data, "{ef}");
        }
        let (ok, json) = cli_read_through_the_stack(&pki);
        assert!(ok, "{json}");
        assert_eq!(
            json["chip_authentication"]["status"], "authenticated",
            "{json}"
        );
        assert_eq!(json["chip_authentication"]["method"], "chip-authentication");
    }

    // A chip that does not hold DG14's key: personalized unlocked, then its key replaced.
    let image = eac::image(&pki, &eac::EacCard::ca(Cipher::Aes128, Domain::P256), None);
    let (_, outcome) = personalize_through_the_stack(&eac::input(&image), false);
    assert!(!outcome.unwrap().locked);
    let glob = reader_glob();
    {
        let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
        let other = permitkit_chip::ca::CaKeyPair::generate(
            None,
            Domain::P256,
            &mut permitkit_chip::random::OsRandom,
        )
        .unwrap();
        let data = permitkit_chip::ca::put_data_content(&other).unwrap();
        let cmd = permitkit_iso7816::apdu::CommandApdu::new(0x00, 0xDA, 0x00, 0x6B)
            .with_data(data.to_vec())
            .unwrap();
        assert!(card.transmit(&cmd).unwrap().is_success());
    }
    let contents = read_through_the_stack();
    assert!(
        contents.chip_authentication.is_failed(),
        "{}",
        contents.chip_authentication
    );
    assert_eq!(contents.files.len(), image.files().count());
    let (ok, json) = cli_read_through_the_stack(&pki);
    assert!(
        !ok,
        "a chip that fails Chip Authentication is not valid: {json}"
    );
    assert_eq!(json["chip_authentication"]["status"], "failed", "{json}");
    assert_eq!(json["passive_authentication"]["valid"], true, "{json}");
}

/// PACE with the integrated and the chip authentication mappings (9303-11 §4.4) through
/// pcscd and vpcd: each card personalized and read through the stack; PACE-CAM with a forged
/// EF.CardSecurity refused by the read-back, the reader and `permitkit card read`.
#[test]
fn pace_im_and_cam_through_pcscd_and_vpcd() {
    in_the_stack(
        "pace_im_and_cam_through_pcscd_and_vpcd",
        pace_im_and_cam_inside_the_stack,
    );
}

fn pace_im_and_cam_inside_the_stack() {
    use permitkit_chip::reader::CaOutcome;
    use permitkit_lds::security_infos::PaceMapping;
    let pki = eac::pki();

    let image = eac::image(&pki, &eac::EacCard::pace(PaceMapping::Integrated), None);
    personalize_through_the_stack(&eac::input(&image), true)
        .1
        .unwrap();
    let contents = read_through_the_stack();
    assert_eq!(
        contents.protocol.to_string(),
        "PACE-ECDH-IM-AES-128 (parameter id 13)"
    );
    assert!(matches!(
        contents.chip_authentication,
        CaOutcome::Authenticated(_)
    ));
    let (ok, json) = cli_read_through_the_stack(&pki);
    assert!(ok, "{json}");
    assert_eq!(json["chip_authentication"]["status"], "authenticated");

    let image = eac::image(
        &pki,
        &eac::EacCard::pace(PaceMapping::ChipAuthentication),
        None,
    );
    personalize_through_the_stack(&eac::input(&image), true)
        .1
        .unwrap();
    let contents = read_through_the_stack();
    assert_eq!(
        contents.protocol.to_string(),
        "PACE-ECDH-CAM-AES-128 (parameter id 13)"
    );
    assert!(matches!(
        contents.chip_authentication,
        CaOutcome::AuthenticatedByCam { key_id: Some(13) }
    ));
    let (ok, json) = cli_read_through_the_stack(&pki);
    assert!(ok, "{json}");
    assert_eq!(json["chip_authentication"]["method"], "pace-cam", "{json}");
    assert_eq!(json["chip_authentication"]["status"], "authenticated");
    let checks = json["passive_authentication"]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["id"] == "card-security" && c["status"] == "pass"),
        "{json}"
    );

    // EF.CardSecurity naming another key, signed by the same Document Signer.
    let mut infos = permitkit_lds::CardSecurity::parse(image.file(Ef::CardSecurity).unwrap())
        .unwrap()
        .infos;
    let forged_key = permitkit_chip::ca::CaKeyPair::generate(
        Some(13),
        permitkit_chip::ec::Domain::BrainpoolP256r1,
        &mut permitkit_chip::random::OsRandom,
    )
    .unwrap()
    .public_key()
    .unwrap()
    .to_spki()
    .unwrap();
    for info in &mut infos.0 {
        if let permitkit_lds::SecurityInfo::ChipAuthenticationPublicKey(k) = info {
            k.public_key = forged_key.clone();
        }
    }
    let forged = permitkit_lds::CardSecurity::sign::<_, permitkit_pki::signer::FileKeySignature>(
        &infos,
        &pki.ds_der,
        &pki.ds_key,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut input = eac::input(&image);
    for (ef, data) in &mut input.files {
        if *ef == Ef::CardSecurity {
            data.clone_from(&forged);
        }
    }
    let e = personalize_through_the_stack(&input, true).1.unwrap_err();
    assert!(e.to_string().contains("PACE-CAM"), "{e}");
    let contents = read_through_the_stack();
    assert!(contents.chip_authentication.is_failed());
    let (ok, json) = cli_read_through_the_stack(&pki);
    assert!(!ok, "{json}");
    assert_eq!(json["chip_authentication"]["status"], "failed", "{json}");
}
