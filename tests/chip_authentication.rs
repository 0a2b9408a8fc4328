//! L1: Chip Authentication (ICAO Doc 9303-11 §6.2) and PACE with the integrated and chip
//! authentication mappings (§4.4) in process, both sides ours: signed images personalized onto
//! the virtual chip (the Chip Authentication key stored by PUT DATA or made on the chip),
//! then read by the inspection flow of `permitkit_chip::reader`.
//!
//! What must hold: CA with 3DES (MSE:Set KAT) and AES-128/192/256 (MSE:Set AT + GENERAL
//! AUTHENTICATE) on P-256 and brainpoolP256r1 restarts secure messaging with the CA keys and the
//! whole card reads under them; a chip without the DG14 key is refused and still read; a bad
//! point is an error status, never a panic; PACE-IM and PACE-CAM open the card and read it;
//! PACE-CAM with a chip whose key is not EF.CardSecurity's, or with a forged EF.CardSecurity, is
//! refused; a DG14 that is not the signed one is not used.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

#[path = "support/eac.rs"]
mod eac;

use std::collections::BTreeMap;
use std::time::SystemTime;

use eac::{CAN, EacCard};
use permitkit_chip::ca::{self, CaKeyPair};
use permitkit_chip::channel::CardChannel;
use permitkit_chip::crypto::Cipher;
use permitkit_chip::ec::Domain;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{self, ClaimOptions, Dialect, PersoInput, PersoLimits};
use permitkit_chip::random::OsRandom;
use permitkit_chip::reader::{self, AccessKey, CaOutcome, CardContents};
use permitkit_chip::{ChipError, Denial};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::PaceMapping;
use permitkit_lds::{CardSecurity, ChipImage, Ef};
use permitkit_model::secret::SecretString;
use permitkit_pki::signer::FileKeySignature;
use permitkit_simulator::{Card, CardConfig};

fn limits() -> PersoLimits {
    PersoLimits::new(65_535, 65_536, 65_535)
}

fn personalize(card: &mut Card, input: &PersoInput) {
    perso::personalize(
        card,
        input,
        &eac::options(limits(), true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
}

/// A virtual chip with `image` personalized onto it.
fn personalized(image: &ChipImage) -> Card {
    let mut card = Card::new(CardConfig::default());
    personalize(&mut card, &eac::input(image));
    card
}

fn can() -> AccessKey {
    AccessKey::Can(SecretString::from(CAN))
}

fn read(card: &mut Card) -> CardContents {
    reader::read(card, &can(), ReadLimits::SHORT).unwrap()
}

fn passive_authentication(contents: &CardContents, pki: &permitkit_pki::TestPki) -> bool {
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    permitkit_pki::passive_authentication(
        &map[&Ef::Sod],
        &map,
        std::slice::from_ref(&pki.csca_der),
        i64::try_from(now).unwrap(),
    )
    .is_valid()
}

#[test]
fn chip_authentication_with_every_cipher_on_both_curves_restarts_secure_messaging() {
    let pki = eac::pki();
    for domain in [Domain::P256, Domain::BrainpoolP256r1] {
        for cipher in [Cipher::Tdes, Cipher::Aes128, Cipher::Aes192, Cipher::Aes256] {
            let image = eac::image(&pki, &EacCard::ca(cipher, domain), None);
            let mut card = personalized(&image);
            let contents = read(&mut card);
            let CaOutcome::Authenticated(a) = &contents.chip_authentication else {
                panic!("{domain} {cipher}: {}", contents.chip_authentication);
            };
            assert_eq!((a.cipher, a.domain), (cipher, domain));
            assert_eq!(a.compressed_terminal_key().len(), 32);
            // Every file was read, DG2 after CA, under the new keys.
            for (ef, data) in image.files() {
                let got = contents.files.iter().find(|(e, _)| *e == ef).unwrap();
                assert_eq!(got.1, data, "{ef}");
            }
            assert!(passive_authentication(&contents, &pki));
        }
    }
}

#[test]
fn chip_authentication_apdus_are_those_of_9303_11() {
    // 3DES: MSE:Set KAT 00 22 41 A6 {91 PK}; AES: MSE:Set AT 00 22 41 A4 {80 OID} + GENERAL
    // AUTHENTICATE 00 86 00 00 {7C {80 PK}}; each followed by the SELECT proving the new keys.
    struct Log<'a>(&'a mut Card, Vec<[u8; 4]>);
    impl CardChannel for Log<'_> {
        fn atr(&self) -> &[u8] {
            self.0.atr()
        }
        fn transmit(
            &mut self,
            c: &CommandApdu,
        ) -> Result<permitkit_iso7816::apdu::ResponseApdu, permitkit_chip::TransportError> {
            self.1.push(c.header());
            self.0.transmit(c)
        }
        fn reset(&mut self) -> Result<(), permitkit_chip::TransportError> {
            self.0.reset()
        }
    }
    let pki = eac::pki();
    for (cipher, expected) in [
        (
            Cipher::Tdes,
            vec![[0x0C, 0x22, 0x41, 0xA6], [0x0C, 0xA4, 0x04, 0x0C]],
        ),
        (
            Cipher::Aes256,
            vec![
                [0x0C, 0x22, 0x41, 0xA4],
                [0x0C, 0x86, 0x00, 0x00],
                [0x0C, 0xA4, 0x04, 0x0C],
            ],
        ),
    ] {
        let image = eac::image(&pki, &EacCard::ca(cipher, Domain::P256), None);
        let mut card = personalized(&image);
        let mut log = Log(&mut card, Vec::new());
        let contents = reader::read(&mut log, &can(), ReadLimits::SHORT).unwrap();
        assert!(contents.chip_authentication.is_authenticated());
        let at = log
            .1
            .iter()
            .position(|h| h[1] == 0x22 && h[2] == 0x41)
            .unwrap();
        assert_eq!(log.1[at..at + expected.len()], expected[..], "{cipher}");
    }
}

/// `image` personalized onto a virtual chip whose Chip Authentication key is then swapped for
/// a new one (key id `key_id`, on `domain`), read with the CAN.
fn read_with_another_key(image: &ChipImage, key_id: Option<u32>, domain: Domain) -> CardContents {
    let mut card = personalized(image);
    card.secrets_mut().ca_keys = vec![CaKeyPair::generate(key_id, domain, &mut OsRandom).unwrap()];
    read(&mut card)
}

/// Why the terminal refused the chip in Chip Authentication (the test fails if it did not).
fn ca_denial(contents: &CardContents) -> Denial {
    let CaOutcome::Failed(e) = &contents.chip_authentication else {
        panic!("{}", contents.chip_authentication);
    };
    match **e {
        ChipError::AccessDenied { reason, .. } => reason,
        _ => panic!("not an access denial: {e}"),
    }
}

#[test]
fn a_chip_without_the_dg14_key_is_refused_and_still_read() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::ca(Cipher::Aes128, Domain::P256), None);
    // The chip's key swapped for another on the same curve: a clone that copied the files.
    let contents = read_with_another_key(&image, None, Domain::P256);
    assert_eq!(ca_denial(&contents), Denial::ChipAuthenticationFailed);
    // The card was opened again and read all the same; the data is still genuine.
    assert_eq!(contents.files.len(), image.files().count());
    assert!(passive_authentication(&contents, &pki));
}

#[test]
fn a_point_off_the_curve_is_an_error_status_not_a_panic() {
    let pki = eac::pki();
    let image = eac::image(
        &pki,
        &EacCard::ca(Cipher::Tdes, Domain::BrainpoolP256r1),
        None,
    );
    let mut card = personalized(&image);
    let mut session = reader::open(&mut card, &can(), ReadLimits::SHORT).unwrap();
    let good = card_public_point(&image);
    for bad in [
        {
            let mut p = good.clone();
            p[40] ^= 0x01;
            p
        },
        vec![0x04; 65],
        vec![0x02; 33],
        Vec::new(),
    ] {
        let mut w = tlv::Writer::new();
        w.primitive(Tag::new(0x91), &bad);
        let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA6)
            .with_data(w.finish().unwrap())
            .unwrap();
        let r = session.channel.transmit(&cmd).unwrap();
        assert_eq!(r.sw(), StatusWord::WRONG_DATA, "{}", hex::encode(&bad));
    }
    // The session the terminal had is untouched: the chip still answers under it.
    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
        .with_data(vec![0x01, 0x1E])
        .unwrap();
    assert!(session.channel.transmit(&select).unwrap().is_success());
    // An unknown key id is "referenced data not found".
    let mut w = tlv::Writer::new();
    w.primitive(Tag::new(0x91), &good);
    w.primitive(Tag::new(0x84), &[7]);
    let cmd = CommandApdu::new(0x00, 0x22, 0x41, 0xA6)
        .with_data(w.finish().unwrap())
        .unwrap();
    assert_eq!(
        session.channel.transmit(&cmd).unwrap().sw(),
        StatusWord::REFERENCE_DATA_NOT_FOUND
    );
}

fn card_public_point(image: &ChipImage) -> Vec<u8> {
    let dg14 = permitkit_lds::Dg14::parse(image.file(Ef::DG14).unwrap()).unwrap();
    let offer = &dg14.chip_authentication().unwrap()[0];
    ca::CaPublicKey::from_spki(&offer.public_key).unwrap().point
}

#[test]
fn the_chip_makes_its_own_key_and_the_card_authenticates() {
    let pki = eac::pki();
    let mut card = Card::new(CardConfig::default());
    let mut journal = MemoryJournal::new();
    let key = {
        let mrz = perso::mrz_information(eac::MRZ).unwrap();
        permitkit_chip::journal::Journal::document_key(&journal, &mrz).unwrap()
    };
    let claim = perso::claim(
        &mut card,
        &key,
        &ClaimOptions {
            chip_serial: ChipSerialSource::GpCplc,
            dialect: Dialect::PermitkitV1,
            generate_aa_key: false,
        },
        &mut journal,
        &mut |_| {},
    )
    .unwrap();
    let public = perso::generate_ca_keys(
        &mut card,
        &claim,
        &key,
        &[(Some(13), Domain::BrainpoolP256r1)],
        Dialect::PermitkitV1,
        &mut journal,
    )
    .unwrap()
    .pop()
    .unwrap();
    let image = eac::image(
        &pki,
        &EacCard::pace(PaceMapping::ChipAuthentication),
        Some(public),
    );
    assert!(
        image.keys().ca_private_key.is_none(),
        "no private key left the chip"
    );
    let mut input = eac::input(&image);
    assert!(input.ca_keys.is_empty());
    // Without saying the keys are on the chip, personalization refuses the image.
    let e = perso::personalize(
        &mut card,
        &input,
        &eac::options(limits(), true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("Chip Authentication key"), "{e}");
    input.ca_keys_on_chip = true;
    // The image on another blank card: the keys DG14 names are not there.
    let mut other = Card::new(CardConfig::default());
    let e = perso::personalize(
        &mut other,
        &input,
        &eac::options(limits(), true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::CaKeyOnAnotherChip { .. }), "{e}");
    assert!(
        other.filesystem().files().next().is_none(),
        "nothing written"
    );
    perso::personalize(
        &mut card,
        &input,
        &eac::options(limits(), true),
        &mut journal,
        &mut |_| {},
    )
    .unwrap();
    let contents = read(&mut card);
    assert!(matches!(
        contents.chip_authentication,
        CaOutcome::AuthenticatedByCam { key_id: Some(13) }
    ));
}

#[test]
fn pace_integrated_mapping_opens_and_reads_the_card() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::pace(PaceMapping::Integrated), None);
    let mut card = personalized(&image);
    assert!(card.is_locked());
    let contents = read(&mut card);
    assert_eq!(
        contents.protocol.to_string(),
        "PACE-ECDH-IM-AES-128 (parameter id 13)"
    );
    // After PACE-IM, Chip Authentication with DG14's key.
    assert!(matches!(
        contents.chip_authentication,
        CaOutcome::Authenticated(_)
    ));
    assert!(passive_authentication(&contents, &pki));
    // And with the MRZ password.
    let mrz = AccessKey::Mrz(perso::mrz_information(eac::MRZ).unwrap());
    assert!(reader::read(&mut card, &mrz, ReadLimits::SHORT).is_ok());
}

#[test]
fn pace_chip_authentication_mapping_authenticates_the_chip_with_card_security() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::pace(PaceMapping::ChipAuthentication), None);
    let mut card = personalized(&image);
    let contents = read(&mut card);
    assert_eq!(
        contents.protocol.to_string(),
        "PACE-ECDH-CAM-AES-128 (parameter id 13)"
    );
    assert!(matches!(
        contents.chip_authentication,
        CaOutcome::AuthenticatedByCam { key_id: Some(13) }
    ));
    let cs = contents
        .files
        .iter()
        .find(|(e, _)| *e == Ef::CardSecurity)
        .unwrap();
    assert_eq!(Some(cs.1.as_slice()), image.file(Ef::CardSecurity));
    assert!(passive_authentication(&contents, &pki));
    let pace = contents.pace.unwrap();
    assert!(pace.chip_authentication_data.is_some());
    assert_eq!(pace.compressed_chip_key().len(), 32);
    // EF.CardSecurity is not readable before PACE.
    card.power_on();
    let mut plain = card;
    permitkit_chip::files::select_mf(&mut plain).unwrap();
    let e = permitkit_chip::files::read_ef(&mut plain, Ef::CardSecurity, true, ReadLimits::SHORT)
        .unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::Status {
                sw: StatusWord::SECURITY_STATUS_NOT_SATISFIED,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn pace_cam_refuses_a_chip_whose_key_is_not_card_security_s() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::pace(PaceMapping::ChipAuthentication), None);
    let contents = read_with_another_key(&image, Some(13), Domain::BrainpoolP256r1);
    assert_eq!(
        ca_denial(&contents),
        Denial::ChipAuthenticationMappingMismatch
    );
}

#[test]
fn pace_cam_refuses_a_forged_card_security() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::pace(PaceMapping::ChipAuthentication), None);
    // EF.CardSecurity naming another key (signed by the same Document Signer): the chip's proof
    // does not verify with it.
    let mut infos = CardSecurity::parse(image.file(Ef::CardSecurity).unwrap())
        .unwrap()
        .infos;
    let forged_key = CaKeyPair::generate(Some(13), Domain::BrainpoolP256r1, &mut OsRandom)
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
    let forged = CardSecurity::sign::<_, FileKeySignature>(
        &infos,
        &pki.ds_der,
        &pki.ds_key,
        SystemTime::now(),
    )
    .unwrap();
    let mut input = eac::input(&image);
    for (ef, data) in &mut input.files {
        if *ef == Ef::CardSecurity {
            data.clone_from(&forged);
        }
    }
    let mut card = Card::new(CardConfig::default());
    // The read-back refuses it before LOCK.
    let e = perso::personalize(
        &mut card,
        &input,
        &eac::options(limits(), true),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("PACE-CAM"), "{e}");
    assert!(!card.is_locked());
    // An inspection system refuses it too.
    let contents = read(&mut card);
    assert!(contents.chip_authentication.is_failed());
    // A truncated EF.CardSecurity does not parse: refused, not a panic.
    let mut card = Card::new(CardConfig::default());
    let mut input = eac::input(&image);
    for (ef, data) in &mut input.files {
        if *ef == Ef::CardSecurity {
            data.truncate(data.len() / 2);
            data[1] = 0x81;
            data[2] = u8::try_from(data.len() - 3).unwrap_or(0x7F);
        }
    }
    let _ = perso::personalize(
        &mut card,
        &input,
        &eac::options(limits(), false),
        &mut MemoryJournal::new(),
        &mut |_| {},
    );
    let contents = read(&mut card);
    assert!(contents.chip_authentication.is_failed());
}

#[test]
fn a_dg14_that_is_not_the_signed_one_is_not_used() {
    let pki = eac::pki();
    let image = eac::image(&pki, &EacCard::ca(Cipher::Aes128, Domain::P256), None);
    let mut input = eac::input(&image);
    // A DG14 carrying an attacker's key: the chip holds that key, but EF.SOD does not sign it.
    let attacker = CaKeyPair::generate(None, Domain::P256, &mut OsRandom).unwrap();
    let other = eac::image(&pki, &EacCard::ca(Cipher::Aes128, Domain::P256), None);
    for (ef, data) in &mut input.files {
        if *ef == Ef::DG14 {
            let mut dg14 = permitkit_lds::Dg14::parse(other.file(Ef::DG14).unwrap()).unwrap();
            for info in &mut dg14.infos.0 {
                if let permitkit_lds::SecurityInfo::ChipAuthenticationPublicKey(k) = info {
                    k.public_key = attacker.public_key().unwrap().to_spki().unwrap();
                }
            }
            *data = dg14.encode().unwrap();
        }
    }
    input.ca_keys = vec![attacker];
    let mut card = Card::new(CardConfig::default());
    let _ = perso::personalize(
        &mut card,
        &input,
        &eac::options(limits(), false),
        &mut MemoryJournal::new(),
        &mut |_| {},
    );
    let contents = read(&mut card);
    let CaOutcome::NotRun(why) = &contents.chip_authentication else {
        panic!("{}", contents.chip_authentication);
    };
    assert!(why.contains("DG14 differs"), "{why}");
}
