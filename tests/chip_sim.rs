//! L1: the whole issuance in-process against the virtual chip: personalize → read back →
//! lock → read as an inspection system, over BAC and over PACE (P-256 and brainpoolP256r1, MRZ
//! and CAN); and the ways it goes wrong: wrong MRZ or CAN, a tampered MAC, plain reads, writes
//! after LOCK, a card pulled mid-write and resumed, a corrupted write caught by read-back.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_chip::channel::{CardChannel, Counting, TransportError};
use permitkit_chip::crypto::Cipher;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::{CardLife, ChipSerialSource};
use permitkit_chip::journal::{Journal, MemoryJournal, PersoState};
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
    PersoReport,
};
use permitkit_chip::reader::{self, AccessKey, AccessProtocol};
use permitkit_chip::sm::SmError;
use permitkit_chip::{ChipError, Unsupported, bac};
use permitkit_devices::chip_image_dir;
use permitkit_devices::file_journal::FileJournal;
use permitkit_devices::sim_state;
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_lds::Ef;
use permitkit_model::secret::{SecretBytes, SecretString};
use permitkit_simulator::sample::{self, SAMPLE_CAN, SAMPLE_MRZ_INFORMATION};
use permitkit_simulator::{Card, CardConfig, SimError, state};

fn limits() -> PersoLimits {
    PersoLimits::new(65_535, 65_536, 65_535)
}

fn options(lock: bool) -> PersoOptions<'static> {
    PersoOptions {
        dialect: Dialect::PermitkitV1,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits: limits(),
        lock: lock.then(LockPermission::irreversible),
        verifier: None,
    }
}

fn issue(card: &mut Card, input: &PersoInput, lock: bool) -> PersoReport {
    perso::personalize(
        card,
        input,
        &options(lock),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap()
}

fn mrz() -> AccessKey {
    AccessKey::Mrz(SecretBytes::from_slice(SAMPLE_MRZ_INFORMATION))
}

fn assert_same_files(input: &PersoInput, read: &[(Ef, Vec<u8>)]) {
    for (ef, data) in &input.files {
        let got = read
            .iter()
            .find(|(e, _)| e == ef)
            .unwrap_or_else(|| panic!("{ef} not read"));
        assert_eq!(&got.1, data, "{ef} differs");
    }
    assert_eq!(read.len(), input.files.len());
}

#[test]
fn issue_then_read_over_bac() {
    let input = sample::sample_input(None, 20_000, 24_000);
    let mut card = Card::new(CardConfig::default());
    let report = issue(&mut card, &input, true);
    assert!(report.locked && card.is_locked());
    assert_eq!(report.protocol, "BAC");
    assert!(
        report.stats.commands <= report.minimum_apdus * 11 / 10,
        "{report:?}"
    );
    let contents = reader::read(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
    assert_eq!(contents.protocol, AccessProtocol::Bac);
    assert!(contents.refused.is_empty());
    assert_same_files(&input, &contents.files);
}

#[test]
fn issue_then_read_over_pace_on_both_curves_with_mrz_and_can() {
    for (cipher, param) in [
        (Cipher::Aes128, 12),
        (Cipher::Aes128, 13),
        (Cipher::Aes256, 12),
        (Cipher::Tdes, 13),
    ] {
        let input = sample::sample_input(Some(sample::pace_info(cipher, param)), 3_000, 0);
        let mut card = Card::new(CardConfig::default());
        let report = issue(&mut card, &input, true);
        assert!(report.protocol.starts_with("PACE"), "{}", report.protocol);
        for key in [mrz(), AccessKey::Can(SecretString::from(SAMPLE_CAN))] {
            let contents = reader::read(&mut card, &key, ReadLimits::SHORT).unwrap();
            let AccessProtocol::Pace(info) = contents.protocol else {
                panic!("expected PACE")
            };
            assert_eq!(info.pace_protocol().unwrap().cipher, cipher);
            assert_eq!(info.parameter_id, Some(param));
            assert_same_files(&input, &contents.files);
        }
    }
}

#[test]
fn wrong_mrz_or_can_is_a_clear_access_error() {
    let wrong_mrz = AccessKey::Mrz(SecretBytes::from_slice(b"L898902C<369080619406244"));
    let mut bac_card = Card::new(CardConfig::default());
    issue(&mut bac_card, &sample::sample_input(None, 1_000, 0), true);
    let e = reader::read(&mut bac_card, &wrong_mrz, ReadLimits::SHORT).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::AccessDenied {
                protocol: "BAC",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("wrong MRZ"), "{e}");

    let mut pace_card = Card::new(CardConfig::default());
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 1_000, 0);
    issue(&mut pace_card, &input, true);
    for key in [wrong_mrz, AccessKey::Can(SecretString::from("654321"))] {
        let e = reader::read(&mut pace_card, &key, ReadLimits::SHORT).unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::AccessDenied {
                    protocol: "PACE",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("wrong MRZ or CAN"), "{e}");
    }
    // A CAN cannot open a BAC-only chip.
    let e = reader::read(
        &mut bac_card,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        ReadLimits::SHORT,
    )
    .unwrap_err();
    assert!(
        matches!(e, ChipError::Unsupported(Unsupported::CanWithoutPace)),
        "{e}"
    );
}

#[test]
fn plain_read_binary_is_refused_and_card_access_is_not() {
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 12)), 1_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    // EF.CardAccess in the master file: plain, by SFI.
    card.reset().unwrap();
    let r = card
        .transmit(&CommandApdu::new(0x00, 0xB0, 0x9C, 0x00).with_le(4).unwrap())
        .unwrap();
    assert!(r.is_success());
    assert_eq!(r.data()[0], 0x31);
    // DG1 in the application: refused in plain.
    let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
        .with_data(permitkit_lds::EMRTD_AID.to_vec())
        .unwrap();
    assert!(card.transmit(&select).unwrap().is_success());
    let r = card
        .transmit(&CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(4).unwrap())
        .unwrap();
    assert_eq!(r.sw(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    let r = card
        .transmit(
            &CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
                .with_data(vec![0x01, 0x01])
                .unwrap(),
        )
        .unwrap();
    assert_eq!(r.sw(), StatusWord::SECURITY_STATUS_NOT_SATISFIED);
}

#[test]
fn tampered_mac_ends_the_session_on_both_sides() {
    let input = sample::sample_input(None, 1_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    // Reader side: a response whose MAC does not verify is an error and closes the session.
    {
        let mut s = reader::open(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
        s.channel.inner_mut().faults_mut().corrupt_response(1);
        let e = s
            .channel
            .transmit(&CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(4).unwrap())
            .unwrap_err();
        assert!(
            matches!(e, TransportError::SecureMessaging(SmError::WrongMac)),
            "{e}"
        );
        assert!(!s.channel.is_open());
    }
    // Chip side: a command with a wrong MAC ends the session with plain 6988.
    card.reset().unwrap();
    let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
        .with_data(permitkit_lds::EMRTD_AID.to_vec())
        .unwrap();
    card.transmit(&select).unwrap();
    let mut s = bac::authenticate(&mut card, SAMPLE_MRZ_INFORMATION).unwrap();
    assert!(s.is_open());
    let inner = s.inner_mut();
    let mut bogus =
        CommandApdu::parse(&hex::decode("0CB081000D9701048E080000000000000000").unwrap()).unwrap();
    bogus = bogus.with_le(256).unwrap();
    let r = inner.transmit(&bogus).unwrap();
    assert_eq!(r.sw(), StatusWord::SM_DATA_OBJECTS_INCORRECT);
    assert!(r.data().is_empty());
    // The session is gone: the next properly protected command is refused in plain too.
    let e = s
        .transmit(&CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(4).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            e,
            TransportError::SecureMessaging(SmError::SessionEnded(
                StatusWord::SM_DATA_OBJECTS_INCORRECT
            ))
        ),
        "{e}"
    );
}

#[test]
fn writes_after_lock_are_refused() {
    let input = sample::sample_input(None, 1_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    // Plain and under secure messaging.
    card.reset().unwrap();
    let create = CommandApdu::new(0x00, 0xE0, 0x00, 0x00)
        .with_data(hex::decode("630400100107").unwrap())
        .unwrap();
    assert_eq!(
        card.transmit(&create).unwrap().sw(),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    {
        let mut s = reader::open(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
        let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
            .with_data(vec![0x01, 0x01])
            .unwrap();
        assert!(s.channel.transmit(&select).unwrap().is_success());
        let update = CommandApdu::new(0x00, 0xD6, 0x00, 0x00)
            .with_data(vec![0x61])
            .unwrap();
        assert_eq!(
            s.channel.transmit(&update).unwrap().sw(),
            StatusWord::CONDITIONS_NOT_SATISFIED
        );
    }
    // A second personalization attempt on the locked card refuses it before any write.
    let other = sample::sample_input(None, 900, 0);
    let e = perso::personalize(
        &mut card,
        &other,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChipError::CardIssued { serial } if *serial == card.serial()),
        "{e}"
    );
}

#[test]
fn card_pulled_mid_write_is_reported_then_resumed_and_verified() {
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 20_000, 24_000);
    let dir = tempfile::tempdir().unwrap();
    let mut journal = FileJournal::open(dir.path()).unwrap();
    // Small chunks so the card leaves in the middle of DG2.
    let mut opts = options(true);
    opts.limits = PersoLimits::SHORT;
    let mut card = Card::new(CardConfig::default());
    card.faults_mut().drop_after(30);
    let e = perso::personalize(&mut card, &input, &opts, &mut journal, &mut |_| {}).unwrap_err();
    assert!(
        matches!(e, ChipError::Transport(TransportError::CardRemoved)),
        "{e}"
    );
    let entry = journal
        .load(&input.journal_key(&journal).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, PersoState::Writing);
    assert!(entry.last_error.unwrap().contains("removed"));
    let dg2 = &entry.files["DG2"];
    assert!(dg2.written > 0 && dg2.written < dg2.size, "{dg2:?}");

    card.reinsert();
    let mut steps = Vec::new();
    let report = perso::personalize(&mut card, &input, &opts, &mut journal, &mut |p| {
        steps.push(p.clone())
    })
    .unwrap();
    assert!(report.resumed && report.locked);
    assert!(matches!(steps[0], perso::Progress::Resuming { attempt: 2 }));
    // Only what was missing was written again.
    let total: usize = input.files.iter().map(|(_, d)| d.len()).sum();
    assert!(report.bytes_written < total as u64);
    assert!(report.bytes_written >= (total - dg2.written) as u64 - 255 * 30);
    assert_eq!(
        journal
            .load(&input.journal_key(&journal).unwrap())
            .unwrap()
            .unwrap()
            .state,
        PersoState::Locked
    );
    let contents = reader::read(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
    assert_same_files(&input, &contents.files);
}

#[test]
fn corrupted_write_is_caught_by_read_back_and_not_locked() {
    let input = sample::sample_input(None, 5_000, 0);
    let mut card = Card::new(CardConfig::default());
    let mut journal = MemoryJournal::new();
    card.faults_mut().corrupt_next_write();
    let e = perso::personalize(&mut card, &input, &options(true), &mut journal, &mut |_| {})
        .unwrap_err();
    let ChipError::ReadbackMismatch { ef, .. } = e else {
        panic!("{e}")
    };
    assert_eq!(ef, Ef::Com, "the first file written is EF.COM");
    assert!(!card.is_locked());
    let entry = journal
        .load(&input.journal_key(&journal).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, PersoState::Failed);
    // The next attempt rewrites the damaged file and succeeds.
    let report =
        perso::personalize(&mut card, &input, &options(true), &mut journal, &mut |_| {}).unwrap();
    assert!(report.locked);
}

#[test]
fn a_failing_verifier_stops_before_lock() {
    let input = sample::sample_input(None, 1_000, 0);
    let mut card = Card::new(CardConfig::default());
    let verifier =
        |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            assert!(files.iter().any(|(e, _)| *e == Ef::Sod));
            Err("DS certificate not trusted".into())
        };
    let mut opts = options(true);
    opts.verifier = Some(&verifier);
    let e = perso::personalize(
        &mut card,
        &input,
        &opts,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::Verification(_)), "{e}");
    assert_eq!(e.to_string(), "DS certificate not trusted");
    assert!(!card.is_locked());
}

#[test]
fn saved_state_reloads_a_personalized_card() {
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes256, 13)), 4_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    sim_state::save(&card, &path).unwrap();
    let mut again = sim_state::load(&path, CardConfig::default()).unwrap();
    assert!(again.is_locked());
    let contents = reader::read(
        &mut again,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        ReadLimits::SHORT,
    )
    .unwrap();
    assert_same_files(&input, &contents.files);
    // A smaller EF limit refuses the state instead of allocating.
    let small = CardConfig {
        max_ef_size: 1_000,
        ..CardConfig::default()
    };
    let e = sim_state::load(&path, small).unwrap_err();
    assert!(
        matches!(&e, SimError::State { at, source: None, .. } if at.starts_with("files[")),
        "{e}"
    );
}

#[test]
fn jmrtd_dialect_selects_after_create_and_short_apdus_count() {
    let input = sample::sample_input(None, 20_000, 24_000);
    let mut card = Card::new(CardConfig::default());
    let opts = PersoOptions {
        dialect: Dialect::JmrtdApplet,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits: PersoLimits::SHORT,
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    };
    let mut counting = Counting::new(&mut card);
    let report = perso::personalize(
        &mut counting,
        &input,
        &opts,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.stats, counting.stats());
    assert!(
        report.stats.commands <= report.minimum_apdus * 11 / 10,
        "{report:?}"
    );
    // A CAN (PACE, so EF.CardAccess in the master file) needs the extension dialect.
    let with_can = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 1_000, 0);
    let e = perso::personalize(
        &mut Card::new(CardConfig::default()),
        &with_can,
        &opts,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::Unsupported(Unsupported::NoMasterFile {
                ef: Ef::CardAccess,
                dialect: Dialect::JmrtdApplet
            })
        ),
        "{e}"
    );
}

/// The sample files with a real EF.SOD signed by a fresh test PKI, as a checked ChipImage.
fn signed_image(
    pace: Option<permitkit_lds::security_infos::PaceInfo>,
) -> (permitkit_lds::ChipImage, permitkit_pki::TestPki) {
    use permitkit_lds::sod::{self, HashAlgorithm, LdsSecurityObject};
    use permitkit_pki::signer::FileKeySignature;
    use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
    use std::collections::BTreeMap;
    // The sample MRZ is an `I<` document of Utopia.
    let pki = TestPki::generate(&TestPkiOptions {
        document_types: vec!["I".into()],
        ..TestPkiOptions::default()
    })
    .unwrap();
    let input = sample::sample_input(pace, 20_000, 24_000);
    let mut files: BTreeMap<Ef, Vec<u8>> = input.files.into_iter().collect();
    files.remove(&Ef::Sod);
    let lso = LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files
            .iter()
            .filter(|(e, _)| matches!(e, Ef::Dg(_)))
            .map(|(e, b)| (*e, b.as_slice())),
    );
    let sod = sod::sign::<_, FileKeySignature>(
        &lso,
        &pki.ds_der,
        &pki.ds_key,
        std::time::SystemTime::now(),
    )
    .unwrap();
    files.insert(Ef::Sod, sod);
    (
        permitkit_lds::ChipImage::from_card_files(files).unwrap(),
        pki,
    )
}

fn passive_auth(files: &[(Ef, Vec<u8>)], csca: &[u8]) -> permitkit_pki::PaReport {
    let map: std::collections::BTreeMap<Ef, Vec<u8>> = files.iter().cloned().collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    permitkit_pki::passive_authentication(&map[&Ef::Sod], &map, &[csca.to_vec()], now)
}

#[test]
fn signed_chip_image_is_issued_verified_by_passive_authentication_and_read_back() {
    for pace in [None, Some(sample::pace_info(Cipher::Aes128, 13))] {
        let (image, pki) = signed_image(pace);
        let input = PersoInput::try_from(&image).unwrap();
        assert_eq!(input.mrz_information.expose(), SAMPLE_MRZ_INFORMATION);
        let mut card = Card::new(CardConfig::default());
        let csca = pki.csca_der.clone();
        let verifier =
            move |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                let r = passive_auth(files, &csca);
                if r.is_valid() {
                    Ok(())
                } else {
                    Err(format!("{:?}", r.failures().collect::<Vec<_>>()).into())
                }
            };
        let mut opts = options(true);
        opts.verifier = Some(&verifier);
        let report = perso::personalize(
            &mut card,
            &input,
            &opts,
            &mut MemoryJournal::new(),
            &mut |_| {},
        )
        .unwrap();
        assert!(report.locked);
        let contents = reader::read(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
        assert!(passive_auth(&contents.files, &pki.csca_der).is_valid());
        // Another CSCA does not verify it.
        let other = permitkit_pki::TestPki::generate(&Default::default()).unwrap();
        assert!(!passive_auth(&contents.files, &other.csca_der).is_valid());
    }
}

#[test]
fn command_line_personalizes_and_reads_the_virtual_chip() {
    use std::process::Command;
    let (image, pki) = signed_image(Some(sample::pace_info(Cipher::Aes128, 12)));
    let dir = tempfile::tempdir().unwrap();
    let image_dir = dir.path().join("image");
    chip_image_dir::save(&image, &image_dir).unwrap();
    pki.write_dir(&dir.path().join("pki")).unwrap();
    let csca = dir.path().join("pki/csca.pem");
    let state = dir.path().join("card.json");
    let bin = env!("CARGO_BIN_EXE_permitkit");
    // Defect 5: without chip-keys.json the card would get no CAN and no AA key: refused, and
    // nothing is written to the card.
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim"])
        .arg("--image")
        .arg(&image_dir)
        .arg("--state")
        .arg(&state)
        .arg("--journal")
        .arg(dir.path().join("journal"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no chip keys"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    let blank = sim_state::load(&state, CardConfig::default()).unwrap();
    assert_eq!(blank.life(), CardLife::Blank);
    // A chip-keys.json without the CAN the image's PACE needs is refused too.
    std::fs::write(image_dir.join("chip-keys.json"), "{}").unwrap();
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim"])
        .arg("--image")
        .arg(&image_dir)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no chip keys"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        image_dir.join("chip-keys.json"),
        format!("{{\"can\": \"{SAMPLE_CAN}\"}}"),
    )
    .unwrap();
    // LOCK is the default (no --lock).
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim", "--json"])
        .arg("--image")
        .arg(&image_dir)
        .arg("--state")
        .arg(&state)
        .arg("--csca")
        .arg(&csca)
        .arg("--journal")
        .arg(dir.path().join("journal"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["locked"], true);
    assert!(report["protocol"].as_str().unwrap().starts_with("PACE"));
    assert_eq!(report["estimates"].as_array().unwrap().len(), 4);

    // The state file now holds a locked card; read it with the MRZ as printed and verify.
    let mrz_file = dir.path().join("mrz.txt");
    std::fs::write(
        &mrz_file,
        "I<UTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<2\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    .unwrap();
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--json", "--mrz-file"])
        .arg(&mrz_file)
        .arg("--state")
        .arg(&state)
        .arg("--csca")
        .arg(&csca)
        .arg("--out")
        .arg(dir.path().join("read"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passive_authentication"]["valid"], true, "{json}");
    let back = chip_image_dir::load(&dir.path().join("read")).unwrap();
    assert_eq!(back.file(Ef::DG2), image.file(Ef::DG2));

    // A second personalization of the same document is refused by the journal… and the card.
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim"])
        .arg("--image")
        .arg(&image_dir)
        .arg("--state")
        .arg(&state)
        .arg("--journal")
        .arg(dir.path().join("journal"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already personalized"));
    // With another journal, the card itself is refused: it is issued.
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim"])
        .arg("--image")
        .arg(&image_dir)
        .arg("--state")
        .arg(&state)
        .arg("--journal")
        .arg(dir.path().join("another-journal"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already issued (locked)"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    // A wrong CAN or MRZ is a clear error.
    let can_file = dir.path().join("can.txt");
    std::fs::write(&can_file, "000000").unwrap();
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--can-file"])
        .arg(&can_file)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong MRZ or CAN"));
    std::fs::write(
        &mrz_file,
        "I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406247UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    .unwrap();
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--mrz-file"])
        .arg(&mrz_file)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong MRZ or CAN"));
}

#[test]
fn pace_without_parameter_id_and_files_beyond_offset_32767() {
    use permitkit_chip::pace::{self, PacePassword};
    use permitkit_chip::random::OsRandom;
    // DG2 of 40 000 bytes: short APDUs reach offsets above 32767 with odd INS D7/B1.
    let info = sample::pace_info(Cipher::Aes192, 12);
    let input = sample::sample_input(Some(info), 40_000, 0);
    let mut card = Card::new(CardConfig::default());
    let opts = PersoOptions {
        limits: PersoLimits::SHORT,
        ..options(true)
    };
    perso::personalize(
        &mut card,
        &input,
        &opts,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    // MSE:Set AT without tag 84: the chip takes the domain from its EF.CardAccess.
    card.reset().unwrap();
    permitkit_chip::files::select_mf(&mut card).unwrap();
    let pwd = PacePassword::Can(SecretString::from(SAMPLE_CAN));
    let mut s = pace::authenticate_with(&mut card, &pwd, &info, false, &mut OsRandom).unwrap();
    permitkit_chip::files::select_application(&mut s).unwrap();
    let dg2 = permitkit_chip::files::read_ef(&mut s, Ef::DG2, true, ReadLimits::SHORT)
        .unwrap()
        .unwrap();
    assert_eq!(dg2.len(), 40_000);
    assert_eq!(
        &dg2,
        &input.files.iter().find(|(e, _)| *e == Ef::DG2).unwrap().1
    );
}

#[test]
fn active_authentication_proves_the_chip_holds_the_dg15_key() {
    let input = sample::sample_input_with_aa(Some(sample::pace_info(Cipher::Aes128, 12)), 2_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    let contents = reader::read(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
    assert!(
        contents.active_authentication.is_verified(),
        "{}",
        contents.active_authentication
    );
    assert!(contents.files.iter().any(|(e, _)| *e == Ef::DG15));
    // The key survives a save and load of the virtual chip.
    let json = state::to_json(&card).unwrap();
    let mut again = state::from_json(&json, CardConfig::default()).unwrap();
    let contents = reader::read(&mut again, &mrz(), ReadLimits::SHORT).unwrap();
    assert!(
        contents.active_authentication.is_verified(),
        "{}",
        contents.active_authentication
    );
    // A chip holding another key than DG15's (a substituted chip) fails Active
    // Authentication: the writer refuses to lock it, and a reader sees it fail.
    let mut clone_input = input.clone();
    let (other_key, _) =
        permitkit_chip::aa::chip_generate(&mut permitkit_chip::random::OsRandom).unwrap();
    clone_input.aa_private_key = Some(other_key);
    let mut clone = Card::new(CardConfig::default());
    let e = perso::personalize(
        &mut clone,
        &clone_input,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::AccessDenied {
                protocol: "Active Authentication",
                ..
            }
        ),
        "{e}"
    );
    assert!(!clone.is_locked());
    let contents = reader::read(&mut clone, &mrz(), ReadLimits::SHORT).unwrap();
    assert!(
        contents.active_authentication.is_failed(),
        "{}",
        contents.active_authentication
    );
    // DG15 without any key is refused before anything is written.
    let mut keyless = input.clone();
    keyless.aa_private_key = None;
    let mut blank = Card::new(CardConfig::default());
    let e = perso::personalize(
        &mut blank,
        &keyless,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::MissingKey(permitkit_chip::MissingKey::ActiveAuthentication)
        ),
        "{e}"
    );
    assert_eq!(blank.life(), CardLife::Blank);
    // Plain INTERNAL AUTHENTICATE is refused.
    card.reset().unwrap();
    let ia = CommandApdu::new(0x00, 0x88, 0x00, 0x00)
        .with_data(vec![1; 8])
        .unwrap()
        .with_le(256)
        .unwrap();
    assert_eq!(
        card.transmit(&ia).unwrap().sw(),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
}

#[test]
fn error_status_under_secure_messaging_keeps_both_counters_in_step() {
    let input = sample::sample_input(None, 1_000, 0);
    let mut card = Card::new(CardConfig::default());
    issue(&mut card, &input, true);
    let mut s = reader::open(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
    for _ in 0..3 {
        // DG9 does not exist: a protected 6A82, and the session goes on.
        let r = s
            .channel
            .transmit(
                &CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
                    .with_data(vec![0x01, 0x09])
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(r.sw(), StatusWord::FILE_NOT_FOUND);
        // Offset beyond the end: 6B00, still protected.
        let r = s
            .channel
            .transmit(&CommandApdu::new(0x00, 0xB0, 0x7F, 0x00).with_le(4).unwrap())
            .unwrap();
        assert!(!r.is_success());
        assert!(s.channel.is_open());
    }
    let dg1 = permitkit_chip::files::read_ef(&mut s.channel, Ef::DG1, true, ReadLimits::SHORT)
        .unwrap()
        .unwrap();
    assert_eq!(
        &dg1,
        &input.files.iter().find(|(e, _)| *e == Ef::DG1).unwrap().1
    );
}

/// MRZ information (document number, date of birth, date of expiry, each with its ICAO 9303-3
/// check digit), as printed.
fn mrz_information(doc: &str, dob: &str, doe: &str) -> SecretBytes {
    let cd = |f: &str| char::from(b'0' + permitkit_lds::mrz::check_digit(f).unwrap());
    SecretBytes::from_slice(format!("{doc}{}{dob}{}{doe}{}", cd(doc), cd(dob), cd(doe)).as_bytes())
}

/// Another person's document: other files (DG1 and DG2 differ) and another MRZ.
fn another_document(pace: Option<permitkit_lds::security_infos::PaceInfo>) -> PersoInput {
    let mut other = sample::sample_input(pace, 1_500, 0);
    for (ef, data) in &mut other.files {
        if *ef == Ef::DG1 {
            let at = data.len() - 3;
            data[at] = b'B';
        }
    }
    other.mrz_information = mrz_information("B00000001", "800101", "300101");
    other
}

/// Regression (defect 1): an issued card presented for the next document is refused before a
/// single write, by its chip serial; it still holds its own document.
#[test]
fn an_issued_card_is_never_written_by_the_next_personalization() {
    let a = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 2_000, 0);
    let mut card = Card::new(CardConfig::default());
    let report = issue(&mut card, &a, true);
    assert_eq!(report.chip_serial, card.serial());
    let before = state::to_json(&card).unwrap();
    let b = another_document(Some(sample::pace_info(Cipher::Aes128, 13)));
    let mut journal = MemoryJournal::new();
    let mut seen = Vec::new();
    let e = perso::personalize(&mut card, &b, &options(true), &mut journal, &mut |p| {
        seen.push(p.clone())
    })
    .unwrap_err();
    assert!(
        matches!(&e, ChipError::CardIssued { serial } if *serial == card.serial()),
        "{e}"
    );
    assert!(e.to_string().contains("never written again"), "{e}");
    assert!(matches!(&seen[..], [perso::Progress::Identified(id)] if id.life == CardLife::Issued));
    assert_eq!(
        state::to_json(&card).unwrap(),
        before,
        "the card is unchanged"
    );
    // The refusal leaves B's journal entry unbound: B's next blank card is welcome.
    let entry = journal
        .load(&b.journal_key(&journal).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.card_serial, None);
    let contents = reader::read(&mut card, &mrz(), ReadLimits::SHORT).unwrap();
    assert_same_files(&a, &contents.files);
}

/// A card another personalization started — finished but unlocked, or half-written — is
/// refused before a single write; its own personalization still completes it.
#[test]
fn a_card_another_personalization_started_is_refused() {
    let a = sample::sample_input(None, 3_000, 0);
    let b = another_document(None);
    // Unlocked (personalized, not issued).
    let mut card = Card::new(CardConfig::default());
    let report = issue(&mut card, &a, false);
    assert!(!report.locked && !card.is_locked());
    let before = state::to_json(&card).unwrap();
    let e = perso::personalize(
        &mut card,
        &b,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChipError::CardInUse { serial } if *serial == card.serial()),
        "{e}"
    );
    assert_eq!(state::to_json(&card).unwrap(), before);
    // Half-written: A's card pulled after a few writes.
    let mut half = Card::new(CardConfig::default());
    let mut a_journal = MemoryJournal::new();
    half.faults_mut().drop_after(6);
    let e =
        perso::personalize(&mut half, &a, &options(true), &mut a_journal, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ChipError::Transport(_)), "{e}");
    half.reinsert();
    assert_eq!(half.life(), CardLife::Started);
    let before = state::to_json(&half).unwrap();
    let e = perso::personalize(
        &mut half,
        &b,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::CardInUse { .. }), "{e}");
    assert_eq!(state::to_json(&half).unwrap(), before);
    // A's own journal resumes it.
    let report =
        perso::personalize(&mut half, &a, &options(true), &mut a_journal, &mut |_| {}).unwrap();
    assert!(report.resumed && report.locked);
    assert_eq!(report.chip_serial, half.serial());
}

/// Regression (defect 4): after a card pull, a blank replacement card restarts
/// personalization cleanly (PACE with the CAN included), and the spoilt card is recorded.
#[test]
fn a_blank_replacement_card_restarts_personalization_and_records_the_spoilt_card() {
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 20_000, 0);
    let mut opts = options(true);
    opts.limits = PersoLimits::SHORT;
    let mut journal = MemoryJournal::new();
    let mut first = Card::new(CardConfig::default());
    first.faults_mut().drop_after(30);
    let e = perso::personalize(&mut first, &input, &opts, &mut journal, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ChipError::Transport(_)), "{e}");
    let entry = journal
        .load(&input.journal_key(&journal).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.card_serial, Some(first.serial()));
    assert!(entry.files.values().any(|f| f.written > 0));

    let mut replacement = Card::new(CardConfig::default());
    let mut seen = Vec::new();
    let report = perso::personalize(&mut replacement, &input, &opts, &mut journal, &mut |p| {
        seen.push(p.clone())
    })
    .unwrap();
    assert!(report.locked && replacement.is_locked());
    assert_eq!(report.chip_serial, replacement.serial());
    assert_eq!(report.spoilt_cards, [first.serial()]);
    assert!(seen.contains(&perso::Progress::Replacing {
        spoilt: first.serial()
    }));
    let entry = journal
        .load(&input.journal_key(&journal).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(entry.spoilt_cards, [first.serial()]);
    assert_eq!(entry.card_serial, Some(replacement.serial()));
    let contents = reader::read(
        &mut replacement,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        ReadLimits::SHORT,
    )
    .unwrap();
    assert!(matches!(contents.protocol, AccessProtocol::Pace(_)));
    assert_same_files(&input, &contents.files);
    // The spoilt card is not issued and is never taken up again by this document.
    first.reinsert();
    assert!(!first.is_locked());
    let e = perso::personalize(&mut first, &input, &opts, &mut journal, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ChipError::AlreadyIssued), "{e}");
}

/// Regression (defect 3): a date of birth with an unknown day, or unknown day and month, goes
/// into the BAC seed with its `<` fillers (ICAO 9303-3 §4.8) and opens the chip over BAC and
/// over PACE with the MRZ password as printed.
#[test]
fn partial_dates_of_birth_open_the_chip_over_bac_and_pace() {
    for dob in ["7408<<", "74<<<<"] {
        for pace in [None, Some(sample::pace_info(Cipher::Aes128, 12))] {
            let mut input = sample::sample_input(pace, 1_000, 0);
            input.mrz_information = mrz_information("L898902C<", dob, "940623");
            let mut card = Card::new(CardConfig::default());
            let report = issue(&mut card, &input, true);
            assert_eq!(
                report.protocol.starts_with("PACE"),
                pace.is_some(),
                "{dob}: {}",
                report.protocol
            );
            let key = AccessKey::Mrz(input.mrz_information.clone());
            let contents = reader::read(&mut card, &key, ReadLimits::SHORT).unwrap();
            assert_same_files(&input, &contents.files);
            assert_eq!(
                card.secrets().mrz_information.as_ref().unwrap().expose(),
                input.mrz_information.expose(),
                "the chip derives its keys from the MRZ as printed"
            );
        }
    }
    assert_eq!(
        mrz_information("L898902C<", "7408<<", "940623").expose(),
        b"L898902C<37408<<79406236",
        "mrz-names.md §6: 7408<< has check digit 7"
    );
}

fn claim_options(generate_aa_key: bool) -> perso::ClaimOptions {
    perso::ClaimOptions {
        chip_serial: ChipSerialSource::GpCplc,
        dialect: Dialect::PermitkitV1,
        generate_aa_key,
    }
}

/// The sample files with DG15 carrying `spki` (a key the chip generated): nothing to inject.
fn input_with_chip_key(spki: &[u8]) -> PersoInput {
    let mut input =
        sample::sample_input_with_aa(Some(sample::pace_info(Cipher::Aes128, 13)), 2_000, 0);
    for (ef, data) in &mut input.files {
        if *ef == Ef::DG15 {
            *data = permitkit_iso7816::tlv::encode(permitkit_iso7816::tlv::Tag::new(0x6F), spki)
                .unwrap();
        }
    }
    input.aa_private_key = None;
    input.aa_key_on_chip = true;
    input
}

/// The chip makes its own Active Authentication key pair (GENERATE ASYMMETRIC KEY PAIR) after
/// it is identified and claimed; DG15 carries its public key; the chip proves it holds it; the
/// key is bound to that chip, so another card cannot take the image.
#[test]
fn the_chip_generates_its_aa_key_and_only_that_chip_takes_the_image() {
    let mut card = Card::new(CardConfig::default());
    let mut journal = MemoryJournal::new();
    let template = sample::sample_input(None, 10, 0);
    let key = template.journal_key(&journal).unwrap();
    let claim = perso::claim(
        &mut card,
        &key,
        &claim_options(true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(claim.identity.serial, card.serial());
    assert_eq!(claim.identity.life, CardLife::Blank);
    let spki = claim.aa_public_key.unwrap();
    assert!(
        card.secrets().aa_private_key.is_some(),
        "the key stays on the chip"
    );
    let entry = journal.load(&key).unwrap().unwrap();
    assert_eq!(entry.aa_key_card, Some(card.serial()));
    assert_eq!(entry.card_serial, Some(card.serial()));

    let input = input_with_chip_key(&spki);
    assert_eq!(input.journal_key(&journal).unwrap(), key);
    // Another blank card cannot take this image: DG15 names the first chip's key.
    let mut other = Card::new(CardConfig::default());
    let e = perso::personalize(
        &mut other,
        &input,
        &options(true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(&e, ChipError::AaKeyOnAnotherChip { key_chip, card: c }
            if *key_chip == card.serial() && *c == other.serial()),
        "{e}"
    );
    assert_eq!(other.life(), CardLife::Blank, "nothing was written to it");
    // The chip that made the key takes it, and proves it holds the key.
    let report =
        perso::personalize(&mut card, &input, &options(true), &mut journal, &mut |_| {}).unwrap();
    assert!(report.locked);
    let contents = reader::read(
        &mut card,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        ReadLimits::SHORT,
    )
    .unwrap();
    assert!(
        contents.active_authentication.is_verified(),
        "{}",
        contents.active_authentication
    );
    // A claim of an issued card generates nothing.
    let e = perso::claim(
        &mut Card::new(CardConfig::default()),
        &key,
        &claim_options(true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::AlreadyIssued), "{e}");
}

/// A LOCK that reached the chip but whose answer was lost: the next attempt finds its own card
/// locked, writes nothing, reads it back and reports it locked.
#[test]
fn a_lock_whose_answer_was_lost_is_found_locked_and_read_back() {
    let input = sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 12)), 3_000, 0);
    let commands = issue(&mut Card::new(CardConfig::default()), &input, true)
        .stats
        .commands;
    let mut card = Card::new(CardConfig::default());
    let mut journal = MemoryJournal::new();
    card.faults_mut().tear_at(commands);
    let e = perso::personalize(&mut card, &input, &options(true), &mut journal, &mut |_| {})
        .unwrap_err();
    assert!(matches!(e, ChipError::Transport(_)), "{e}");
    assert!(card.is_locked(), "the LOCK took effect");
    assert_eq!(
        journal
            .load(&input.journal_key(&journal).unwrap())
            .unwrap()
            .unwrap()
            .state,
        PersoState::Locking
    );
    card.reinsert();
    let report =
        perso::personalize(&mut card, &input, &options(true), &mut journal, &mut |_| {}).unwrap();
    assert!(report.locked);
    assert_eq!(report.bytes_written, 0);
    assert_eq!(
        journal
            .load(&input.journal_key(&journal).unwrap())
            .unwrap()
            .unwrap()
            .state,
        PersoState::Locked
    );
}

/// Is `card` issued with exactly `input` (locked, read back over PACE with the CAN, Active
/// Authentication with the DG15 key)?
fn assert_issued(card: &mut Card, input: &PersoInput, what: &str) {
    assert!(card.is_locked(), "{what}: not locked");
    let contents = reader::read(
        &mut *card,
        &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
        ReadLimits::SHORT,
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_same_files(input, &contents.files);
    assert!(
        contents.active_authentication.is_verified(),
        "{what}: {}",
        contents.active_authentication
    );
}

/// The fault matrix of the writer: the card pulled (or torn away mid-command) after every
/// possible number of APDUs, then the same card presented again or a blank replacement. The
/// outcome is always an issued card on the card the journal names — never a card reported
/// issued that is not locked and verified, never a lost key.
#[test]
fn fault_matrix_card_pulled_or_torn_after_every_apdu() {
    let input = sample::sample_input_with_aa(Some(sample::pace_info(Cipher::Aes128, 13)), 4_000, 0);
    let total = issue(&mut Card::new(CardConfig::default()), &input, true)
        .stats
        .commands;
    let mut cases = 0;
    for n in 0..=total {
        for tear in [false, true] {
            for replace in [false, true] {
                let what = format!("after {n} APDUs, tear {tear}, replacement {replace}");
                let mut card = Card::new(CardConfig::default());
                let mut journal = MemoryJournal::new();
                if tear {
                    card.faults_mut().tear_at(n + 1);
                } else {
                    card.faults_mut().drop_after(n);
                }
                match perso::personalize(
                    &mut card,
                    &input,
                    &options(true),
                    &mut journal,
                    &mut |_| {},
                ) {
                    Ok(report) => {
                        assert!(report.locked, "{what}");
                        // The card may leave the field right after; it is read back on the
                        // next presentation.
                        *card.faults_mut() = permitkit_simulator::faults::Faults::default();
                        card.reinsert();
                        assert_issued(&mut card, &input, &what);
                        continue;
                    }
                    Err(e) => assert!(
                        matches!(e, ChipError::Transport(TransportError::CardRemoved)),
                        "{what}: {e}"
                    ),
                }
                card.reinsert();
                let entry = journal
                    .load(&input.journal_key(&journal).unwrap())
                    .unwrap()
                    .unwrap();
                assert_ne!(entry.state, PersoState::Locked, "{what}");
                if !replace {
                    let report = perso::personalize(
                        &mut card,
                        &input,
                        &options(true),
                        &mut journal,
                        &mut |_| {},
                    )
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(
                        report.locked && report.chip_serial == card.serial(),
                        "{what}"
                    );
                    assert_issued(&mut card, &input, &what);
                } else {
                    let mut blank = Card::new(CardConfig::default());
                    let report = perso::personalize(
                        &mut blank,
                        &input,
                        &options(true),
                        &mut journal,
                        &mut |_| {},
                    )
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(
                        report.locked && report.chip_serial == blank.serial(),
                        "{what}"
                    );
                    assert_issued(&mut blank, &input, &what);
                    // The first card is recorded spoilt once the journal had claimed it.
                    assert_eq!(
                        report.spoilt_cards.contains(&card.serial()),
                        entry.card_serial == Some(card.serial()),
                        "{what}"
                    );
                    // The spoilt card is never written again for this document.
                    let before = state::to_json(&card).unwrap();
                    assert!(
                        perso::personalize(
                            &mut card,
                            &input,
                            &options(true),
                            &mut journal,
                            &mut |_| {}
                        )
                        .is_err(),
                        "{what}"
                    );
                    assert_eq!(state::to_json(&card).unwrap(), before, "{what}");
                }
                cases += 1;
            }
        }
    }
    assert!(
        cases > 4 * (usize::try_from(total).unwrap() - 2),
        "{cases} interrupted cases"
    );
}
