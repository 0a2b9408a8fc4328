//! The `iso7816-9` personalization dialect end to end, in process: the writer creates every
//! file with the ISO/IEC 7816-9:2004 §6.1 CREATE FILE (FCP template `62` of ISO/IEC 7816-4:2005
//! §5.3.3, access conditions from the chip profile `hardware-profiles/chips/iso7816-9-fcp.toml`)
//! and writes with UPDATE BINARY; the virtual chip, configured from that profile, speaks that
//! dialect only. A full personalization with DG3 behind Terminal Authentication is read back,
//! LOCKED and read with PACE; the FCP of DG3's CREATE FILE is checked byte for byte; malformed
//! or unsupported FCPs are refused with the ISO/IEC 7816-4 status words.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_chip::ChipError;
use permitkit_chip::channel::{CardChannel, TransportError};
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
};
use permitkit_chip::reader::{self, AccessKey, CardContents};
use permitkit_chip::ta::Terminal;
use permitkit_cvc::FileKey;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::{ChipImage, EMRTD_AID, Ef};
use permitkit_model::profiles::{ChipProfile, Profile};
use permitkit_model::secret::SecretString;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_simulator::{Card, CardConfig};

#[path = "support/eac_ta.rs"]
mod eac_image;
use eac_image::{CAN, image};

const ISO_PROFILE: &str = include_str!("../hardware-profiles/chips/iso7816-9-fcp.toml");
const VIRTUAL_PROFILE: &str = include_str!("../hardware-profiles/chips/permitkit-virtual.toml");

fn profile(text: &str) -> ChipProfile {
    let chip: ChipProfile = toml::from_str(text).unwrap();
    assert!(chip.validate().is_empty(), "{:?}", chip.validate());
    chip
}

/// The virtual chip behind a recorder of every command it is sent (plain commands are
/// readable; the CREATE FILEs of personalization are plain).
struct Recorder {
    card: Card,
    commands: Vec<Vec<u8>>,
}

impl CardChannel for Recorder {
    fn atr(&self) -> &[u8] {
        self.card.atr()
    }
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        self.commands.push(command.to_bytes());
        self.card.transmit(command)
    }
    fn reset(&mut self) -> Result<(), TransportError> {
        self.card.reset()
    }
}

fn options(chip: &ChipProfile) -> PersoOptions<'static> {
    PersoOptions {
        dialect: chip.dialect,
        file_access: chip.file_access.unwrap_or(FileAccessRules::EMRTD),
        chip_serial: ChipSerialSource::GpCplc,
        limits: PersoLimits::SHORT,
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    }
}

fn file(contents: &CardContents, ef: Ef) -> Option<&[u8]> {
    contents
        .files
        .iter()
        .find(|(e, _)| *e == ef)
        .map(|(_, d)| d.as_slice())
}

fn image_and_pki() -> (TestPki, ChipImage) {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let img = image(&pki, &pki.eac.as_ref().unwrap().cvca.certificate);
    (pki, img)
}

#[test]
fn a_card_is_personalized_locked_and_read_through_the_iso7816_9_dialect() {
    let chip = profile(ISO_PROFILE);
    assert_eq!(chip.dialect, Dialect::Iso7816_9);
    let (pki, img) = image_and_pki();
    let input = PersoInput::try_from(&img).unwrap();
    let mut rec = Recorder {
        card: Card::new(CardConfig::from_profile(&chip)),
        commands: Vec::new(),
    };
    let report = perso::personalize(
        &mut rec,
        &input,
        &options(&chip),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.locked);
    assert!(report.protocol.starts_with("PACE"), "{}", report.protocol);
    assert!(rec.card.is_locked());

    // Every CREATE FILE carried an FCP template, one per file.
    let creates: Vec<&Vec<u8>> = rec
        .commands
        .iter()
        .filter(|c| c.get(..4) == Some(&[0x00, 0xE0, 0x00, 0x00]))
        .collect();
    assert_eq!(creates.len(), img.files().count());
    assert!(creates.iter().all(|c| c.get(5) == Some(&0x62)));

    // DG3's CREATE FILE, byte for byte, against a command built by hand.
    let size = u16::try_from(img.file(Ef::DG3).unwrap().len()).unwrap();
    let [s1, s2] = size.to_be_bytes();
    let expected: Vec<u8> = vec![
        0x00, 0xE0, 0x00, 0x00, // CLA INS P1 P2: CREATE FILE (ISO/IEC 7816-9 §6.1)
        0x18, // Lc: 24 bytes
        0x62, 0x16, // FCP template, 22 bytes (ISO/IEC 7816-4 §5.3.3)
        0x80, 0x02, s1, s2, // 80: number of data bytes in the file
        0x82, 0x01, 0x01, // 82: file descriptor: working EF, transparent
        0x83, 0x02, 0x01, 0x03, // 83: file identifier 0103 (DG3, ICAO 9303-10)
        0x88, 0x01, 0x18, // 88: short EF identifier 3, in bits 8 to 4
        0x8A, 0x01, 0x05, // 8A: life cycle status: operational, activated
        0x8C, 0x03, // 8C: security attributes, compact format, 3 bytes
        0x03, // access mode: UPDATE BINARY (bit 2) and READ BINARY (bit 1)
        0x00, // UPDATE BINARY: always (until LOCK)
        0xE0, // READ BINARY: all of secure messaging and external authentication (TA)
    ];
    let dg3_create = creates
        .iter()
        .find(|c| c.get(16..18) == Some(&[0x01, 0x03]))
        .unwrap();
    assert_eq!(hex::encode_upper(dg3_create), hex::encode_upper(&expected));
    // EF.CardAccess is open, EF.COM under secure messaging.
    let read_condition = |fid: [u8; 2]| {
        let c = creates
            .iter()
            .find(|c| c.get(16..18) == Some(&fid))
            .unwrap();
        *c.last().unwrap()
    };
    assert_eq!(read_condition([0x01, 0x1C]), 0x00);
    assert_eq!(read_condition([0x01, 0x1E]), 0x40);

    // PACE with the CAN, no terminal: everything but DG3, which is behind TA (6982).
    let mut card = rec.card;
    let key = AccessKey::Can(SecretString::from(CAN));
    card.reset().unwrap();
    let plain = reader::read(&mut card, &key, ReadLimits::SHORT).unwrap();
    assert!(plain.protocol.to_string().starts_with("PACE"));
    assert!(
        plain
            .refused
            .contains(&(Ef::DG3, StatusWord::SECURITY_STATUS_NOT_SATISFIED)),
        "{:?}",
        plain.refused
    );
    assert_eq!(file(&plain, Ef::DG2), img.file(Ef::DG2));
    // With the inspection system's certificates: DG3 as written.
    let eac = pki.eac.as_ref().unwrap();
    let terminal = Terminal {
        certificates: eac.terminal_chain(false),
        signer: Box::new(FileKey::from_pkcs8_der(&eac.is.key.to_pkcs8_der().unwrap()).unwrap()),
    };
    card.reset().unwrap();
    let full =
        reader::read_with_terminal(&mut card, &key, ReadLimits::SHORT, Some(&terminal)).unwrap();
    assert!(full.refused.is_empty(), "{:?}", full.refused);
    for (ef, data) in img.files() {
        assert_eq!(file(&full, ef), Some(data), "{ef}");
    }
    // Locked: CREATE FILE is refused.
    card.reset().unwrap();
    assert_eq!(card.process(dg3_create.as_slice()), [0x69, 0x85]);
}

#[test]
fn the_writer_and_a_chip_of_another_dialect_do_not_understand_each_other() {
    // The iso7816-9 writer against the permitkit-v1 virtual chip: its first CREATE FILE is
    // refused (6A80) and nothing is claimed written.
    let iso = profile(ISO_PROFILE);
    let virt = profile(VIRTUAL_PROFILE);
    let (_pki, img) = image_and_pki();
    let input = PersoInput::try_from(&img).unwrap();
    let mut card = Card::new(CardConfig::from_profile(&virt));
    let e = perso::personalize(
        &mut card,
        &input,
        &options(&iso),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::Status {
                command: "CREATE FILE",
                sw: StatusWord::WRONG_DATA
            }
        ),
        "{e}"
    );
    assert!(card.filesystem().files().next().is_none());
}

#[test]
fn fingerprints_without_a_trust_point_are_refused_before_the_first_command() {
    // DG3 on an ISO/IEC 7816-9 card opens only to Terminal Authentication: without the CVCA
    // trust point no inspection system could ever read it, so the writer sends nothing.
    let chip = profile(ISO_PROFILE);
    let (_pki, img) = image_and_pki();
    let mut input = PersoInput::try_from(&img).unwrap();
    assert!(input.files.iter().any(|(ef, _)| *ef == Ef::DG3));
    input.trust_point = None;
    let mut rec = Recorder {
        card: Card::new(CardConfig::from_profile(&chip)),
        commands: Vec::new(),
    };
    let e = perso::personalize(
        &mut rec,
        &input,
        &options(&chip),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::MissingKey(permitkit_chip::MissingKey::TrustPoint { ef: Ef::DG3 })
        ),
        "{e}"
    );
    assert!(rec.commands.is_empty(), "no APDU was sent");
}

/// A blank chip of the iso7816-9 profile with the eMRTD application selected.
fn blank_iso_card(max_files: usize) -> Card {
    let mut config = CardConfig::from_profile(&profile(ISO_PROFILE));
    config.max_files = max_files;
    let mut card = Card::new(config);
    let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
        .with_data(EMRTD_AID.to_vec())
        .unwrap();
    assert!(card.process_command(&select).is_success());
    card
}

/// CREATE FILE with `62 { children }`.
fn create(card: &mut Card, children: &[(u32, &str)]) -> StatusWord {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x62), |w| {
        for (tag, value) in children {
            w.primitive(Tag::new(*tag), &hex::decode(value).unwrap());
        }
    });
    create_raw(card, &w.finish().unwrap())
}

fn create_raw(card: &mut Card, data: &[u8]) -> StatusWord {
    let cmd = CommandApdu::new(0x00, 0xE0, 0x00, 0x00)
        .with_data(data.to_vec())
        .unwrap();
    card.process_command(&cmd).sw()
}

#[test]
fn the_virtual_chip_refuses_malformed_and_unsupported_fcps() {
    let mut card = blank_iso_card(2);
    let dg1 = |extra: &[(u32, &'static str)]| {
        let mut v = vec![(0x80, "0010"), (0x82, "01"), (0x83, "0101"), (0x88, "08")];
        v.extend_from_slice(extra);
        v.push((0x8C, "030040"));
        v
    };
    let wrong = StatusWord::WRONG_DATA;
    // The JMRTD form is not this chip's.
    assert_eq!(
        create_raw(&mut card, &hex::decode("630400100101").unwrap()),
        wrong
    );
    // Malformed templates.
    assert_eq!(create_raw(&mut card, &[0x62, 0x05, 0x80, 0x02]), wrong);
    assert_eq!(create_raw(&mut card, &[]), wrong);
    assert_eq!(create(&mut card, &[(0x82, "01"), (0x83, "0101")]), wrong);
    assert_eq!(create(&mut card, &[(0x80, "10"), (0x82, "01")]), wrong);
    assert_eq!(
        create(
            &mut card,
            &[(0x80, "10"), (0x80, "10"), (0x82, "01"), (0x83, "0101")]
        ),
        wrong
    );
    // Unsupported: a DF or record EF, expanded-format rules, other life cycle states, an SFI
    // that is not the file's, rules other than those the chip enforces, no rules.
    assert_eq!(
        create(&mut card, &[(0x80, "10"), (0x82, "38"), (0x83, "0101")]),
        wrong
    );
    assert_eq!(
        create(&mut card, &[(0x80, "10"), (0x82, "02"), (0x83, "0101")]),
        wrong
    );
    assert_eq!(create(&mut card, &dg1(&[(0xAB, "00")])), wrong);
    assert_eq!(create(&mut card, &dg1(&[(0x8A, "01")])), wrong);
    assert_eq!(
        create(
            &mut card,
            &[
                (0x80, "10"),
                (0x82, "01"),
                (0x83, "0101"),
                (0x88, "10"),
                (0x8C, "030040")
            ]
        ),
        wrong
    );
    for rules in ["030000", "0300FF", "010040", "4300FF0040", "03"] {
        assert_eq!(
            create(
                &mut card,
                &[
                    (0x80, "10"),
                    (0x82, "01"),
                    (0x83, "0101"),
                    (0x88, "08"),
                    (0x8C, rules)
                ]
            ),
            wrong,
            "{rules}"
        );
    }
    assert_eq!(
        create(&mut card, &[(0x80, "10"), (0x82, "01"), (0x83, "0101")]),
        wrong
    );
    assert!(
        card.filesystem().files().next().is_none(),
        "nothing created"
    );
    // Well formed: created; again: 6A89; past the chip's file count: 6A84.
    assert_eq!(create(&mut card, &dg1(&[])), StatusWord::SUCCESS);
    assert_eq!(
        create(&mut card, &dg1(&[])),
        StatusWord::FILE_ALREADY_EXISTS
    );
    let com = [
        (0x80, "0010"),
        (0x82, "01"),
        (0x83, "011E"),
        (0x88, "F0"),
        (0x8C, "030040"),
    ];
    assert_eq!(create(&mut card, &com), StatusWord::SUCCESS);
    let dg2 = [
        (0x80, "0010"),
        (0x82, "01"),
        (0x83, "0102"),
        (0x88, "10"),
        (0x8C, "030040"),
    ];
    assert_eq!(create(&mut card, &dg2), StatusWord::NOT_ENOUGH_MEMORY);
    // The created file is the current one: UPDATE BINARY without a SELECT writes it.
    let update = CommandApdu::new(0x00, 0xD6, 0x00, 0x00)
        .with_data(vec![0x61, 0x00])
        .unwrap();
    assert!(card.process_command(&update).is_success());
}
