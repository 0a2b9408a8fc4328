//! L1: the whole issuance in-process against the virtual chip: personalize → read back →
//! lock → read as an inspection system, over BAC and over PACE (P-256 and brainpoolP256r1, MRZ
//! and CAN); and the ways it goes wrong: wrong MRZ or CAN, a tampered MAC, plain reads, writes
//! after LOCK, a card pulled mid-write and resumed, a corrupted write caught by read-back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_chip::channel::{CardChannel, Counting, TransportError};
use permitkit_chip::crypto::Cipher;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::journal::{Journal, MemoryJournal, PersoState};
use permitkit_chip::perso::{
    self, Dialect, LockPermission, PersoInput, PersoLimits, PersoOptions, PersoReport,
};
use permitkit_chip::reader::{self, AccessKey, AccessProtocol};
use permitkit_chip::sm::SmError;
use permitkit_chip::{ChipError, Unsupported, bac};
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
    // A second personalization attempt on the locked card reports it.
    let other = sample::sample_input(None, 900, 0);
    let e = perso::personalize(
        &mut card,
        &other,
        &options(true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::CardLocked), "{e}");
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
    let entry = journal.load(&input.journal_key()).unwrap().unwrap();
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
        journal.load(&input.journal_key()).unwrap().unwrap().state,
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
    let entry = journal.load(&input.journal_key()).unwrap().unwrap();
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
    assert!(matches!(e, SimError::State(_)), "{e}");
}

#[test]
fn jmrtd_dialect_selects_after_create_and_short_apdus_count() {
    let input = sample::sample_input(None, 20_000, 24_000);
    let mut card = Card::new(CardConfig::default());
    let opts = PersoOptions {
        dialect: Dialect::JmrtdApplet,
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
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
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
    image.save_dir(&image_dir).unwrap();
    pki.write_dir(&dir.path().join("pki")).unwrap();
    let csca = dir.path().join("pki/csca.pem");
    let state = dir.path().join("card.json");
    let bin = env!("CARGO_BIN_EXE_permitkit");
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim", "--lock", "--json"])
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
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--json", "--mrz"])
        .arg("I<UTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<2\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
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
    let back = permitkit_lds::ChipImage::load_dir(&dir.path().join("read")).unwrap();
    assert_eq!(back.file(Ef::DG2), image.file(Ef::DG2));

    // A second personalization of the same document is refused by the journal… and the card.
    let out = Command::new(bin)
        .args(["card", "personalize", "--reader", "sim", "--lock"])
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
    // A wrong MRZ is a clear error (the image carries no CAN, so the chip holds none).
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--can", "000000"])
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no CAN password"));
    let out = Command::new(bin)
        .args(["card", "read", "--reader", "sim", "--mrz"])
        .arg("I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406247UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
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
    assert_eq!(contents.active_authentication, Some(true));
    assert!(contents.files.iter().any(|(e, _)| *e == Ef::DG15));
    // The key survives a save and load of the virtual chip.
    let json = state::to_json(&card).unwrap();
    let mut again = state::from_json(&json, CardConfig::default()).unwrap();
    let contents = reader::read(&mut again, &mrz(), ReadLimits::SHORT).unwrap();
    assert_eq!(contents.active_authentication, Some(true));
    // A chip without the key (a clone of the files) fails Active Authentication.
    let mut clone_input = input.clone();
    clone_input.aa_private_key = None;
    let mut clone = Card::new(CardConfig::default());
    issue(&mut clone, &clone_input, true);
    let contents = reader::read(&mut clone, &mrz(), ReadLimits::SHORT).unwrap();
    assert_eq!(contents.active_authentication, Some(false));
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
