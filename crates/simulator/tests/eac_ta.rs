//! Terminal Authentication end to end in process: the reader (`permitkit_chip::ta`) against the
//! virtual chip, over BAC secure messaging, with certificates from the test EAC PKI. DG3 of a
//! locked chip with a trust point is readable only after Terminal Authentication granted it.
//! Every session runs the real Chip Authentication first (`permitkit_chip::ca::authenticate`
//! against the chip's key stored by PUT DATA `6B`): the chip restarts secure messaging with its
//! keys and takes the terminal's ephemeral key for Terminal Authentication from it.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::sync::{Arc, Mutex};

use permitkit_chip::ca::{self, CaKeyPair, CaParams};
use permitkit_chip::channel::CardChannel;
use permitkit_chip::ec::Domain;
use permitkit_chip::files;
use permitkit_chip::random::OsRandom;
use permitkit_chip::ta::{self, TaError, TaRefusal, Terminal};
use permitkit_chip::{ChipError, bac};
use permitkit_cvc::ChainError;
use permitkit_cvc::{CvDate, CvSigner, FileKey, SignError};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_lds::security_infos::{CaProtocol, Cipher};
use permitkit_lds::{EMRTD_AID, Ef};
use permitkit_pki::eac::{EacPki, EacPkiOptions};
use permitkit_simulator::{Card, CardConfig};

const MRZ: &[u8] = b"L898902C<369080619406236";
const DG3: &[u8] = &[0x63, 0x04, 0x7F, 0x61, 0x01, 0x00];

fn send(card: &mut Card, cla_ins_p1_p2: [u8; 4], data: &[u8]) -> StatusWord {
    let [cla, ins, p1, p2] = cla_ins_p1_p2;
    let mut cmd = CommandApdu::new(cla, ins, p1, p2);
    if !data.is_empty() {
        cmd = cmd.with_data(data.to_vec()).unwrap();
    }
    card.transmit(&cmd).unwrap().sw()
}

/// The chip's Chip Authentication key (brainpoolP256r1, no key id): stored by PUT DATA `6B`,
/// and what the terminal runs Chip Authentication against.
fn ca_key() -> &'static CaKeyPair {
    static KEY: std::sync::OnceLock<CaKeyPair> = std::sync::OnceLock::new();
    KEY.get_or_init(|| CaKeyPair::generate(None, Domain::BrainpoolP256r1, &mut OsRandom).unwrap())
}

/// A locked chip with DG1, DG3, a Chip Authentication key and, when given, a trust point.
fn personalized(cvca: Option<&[u8]>) -> Card {
    let mut card = Card::new(CardConfig::default());
    assert!(send(&mut card, [0, 0xA4, 4, 0x0C], &EMRTD_AID).is_success());
    for (ef, data) in [(Ef::DG1, &[0x61, 0x00][..]), (Ef::DG3, DG3)] {
        let [f1, f2] = ef.fid().to_be_bytes();
        let size = u8::try_from(data.len()).unwrap();
        assert!(send(&mut card, [0, 0xE0, 0, 0], &[0x63, 4, 0, size, f1, f2]).is_success());
        assert!(send(&mut card, [0, 0xD6, 0, 0], data).is_success());
    }
    let seed = hex::decode("621B04094C383938393032433C04063639303830360406393430363233").unwrap();
    assert!(send(&mut card, [0, 0xDA, 0, 0x62], &seed).is_success());
    let key = ca::put_data_content(ca_key()).unwrap();
    assert!(send(&mut card, [0, 0xDA, 0, 0x6B], &key).is_success());
    if let Some(cvca) = cvca {
        assert!(send(&mut card, [0, 0xDA, 0, 0x64], cvca).is_success());
    }
    assert!(send(&mut card, [0, 0xDA, 0xDE, 0xAD], &[]).is_success());
    card.power_on();
    card
}

/// The signer of the inspection system, recording its last signature (to replay it).
struct Recording {
    key: FileKey,
    last: Arc<Mutex<Vec<u8>>>,
}

impl CvSigner for Recording {
    fn curve(&self) -> permitkit_cvc::Curve {
        self.key.curve()
    }
    fn public_point(&self) -> Vec<u8> {
        self.key.public_point()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let sig = self.key.sign(message)?;
        *self.last.lock().unwrap() = sig.clone();
        Ok(sig)
    }
}

fn terminal(pki: EacPki, with_link: bool) -> (Terminal, Arc<Mutex<Vec<u8>>>) {
    let last = Arc::new(Mutex::new(Vec::new()));
    let certificates = pki.terminal_chain(with_link);
    (
        Terminal {
            certificates,
            signer: Box::new(Recording {
                key: pki.is.key,
                last: last.clone(),
            }),
        },
        last,
    )
}

fn date(s: &str) -> CvDate {
    s.parse().unwrap()
}

fn pki(effective: &str, dg3: bool) -> EacPki {
    let mut opts = EacPkiOptions::new(date(effective));
    opts.is_reads_dg3 = dg3;
    opts.is_reads_dg4 = false;
    EacPki::generate(&opts).unwrap()
}

/// BAC, then Chip Authentication (AES-128) with the chip's key: secure messaging restarts with
/// its keys. Returns the secured channel and Comp(PK_PCD), the terminal's ephemeral CA key.
fn open(card: &mut Card) -> (permitkit_chip::secured::Secured<&mut Card>, Vec<u8>) {
    files::select_application(card).unwrap();
    let mut s = bac::authenticate(card, MRZ).unwrap();
    let params = CaParams {
        protocol: CaProtocol {
            ecdh: true,
            cipher: Cipher::Aes128,
        }
        .oid()
        .unwrap(),
        cipher: Cipher::Aes128,
        key_id: None,
        public_key: ca_key().public_key().unwrap(),
    };
    let done = ca::authenticate(&mut s, &params, &mut OsRandom).unwrap();
    let comp = done.compressed_terminal_key().to_vec();
    assert_eq!(comp.len(), 32);
    (s, comp)
}

fn read_dg3(s: &mut dyn CardChannel) -> Result<Vec<u8>, ChipError> {
    files::select_ef(s, Ef::DG3.fid())?;
    files::read_binary(s, None, 0, DG3.len())
}

fn refusal(card: &Card) -> TaRefusal {
    card.eac().last_refusal().cloned().expect("a refusal")
}

#[test]
fn dg3_is_read_only_after_terminal_authentication_granting_it() {
    let pki = pki("2026-01-10", true);
    let cvca = pki.cvca.certificate.to_bytes().unwrap();
    let mut card = personalized(Some(&cvca));
    let (mut s, comp) = open(&mut card);
    // Without Terminal Authentication: 6982.
    let e = read_dg3(&mut s).unwrap_err();
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
    let (t, last) = terminal(pki, false);
    ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).unwrap();
    assert_eq!(read_dg3(&mut s).unwrap(), DG3);
    // Replaying the signature: with no fresh challenge, then with another challenge.
    let sig = last.lock().unwrap().clone();
    let ext = CommandApdu::new(0, 0x82, 0, 0).with_data(sig).unwrap();
    let is_chr = t.certificates.last().unwrap().holder().as_bytes().to_vec();
    let mut set_at = vec![0x83, u8::try_from(is_chr.len()).unwrap()];
    set_at.extend_from_slice(&is_chr);
    let mse = CommandApdu::new(0, 0x22, 0x81, 0xA4)
        .with_data(set_at)
        .unwrap();
    assert!(s.transmit(&mse).unwrap().is_success());
    assert_eq!(
        s.transmit(&ext).unwrap().sw(),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    let challenge = CommandApdu::new(0, 0x84, 0, 0).with_le(8).unwrap();
    assert!(s.transmit(&challenge).unwrap().is_success());
    assert_eq!(
        s.transmit(&ext).unwrap().sw(),
        StatusWord::AUTHENTICATION_FAILED
    );
    drop(s);
    assert_eq!(refusal(&card), TaRefusal::SignatureMismatch);
    // A new session starts without the right.
    card.power_on();
    let (mut s, _) = open(&mut card);
    assert!(read_dg3(&mut s).is_err());
}

#[test]
fn an_inspection_system_without_the_dg3_bit_authenticates_and_still_cannot_read_dg3() {
    let pki = pki("2026-01-10", false);
    let mut card = personalized(Some(&pki.cvca.certificate.to_bytes().unwrap()));
    let (mut s, comp) = open(&mut card);
    let (t, _) = terminal(pki, false);
    ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).unwrap();
    let e = read_dg3(&mut s).unwrap_err();
    assert!(matches!(
        e,
        ChipError::Status {
            sw: StatusWord::SECURITY_STATUS_NOT_SATISFIED,
            ..
        }
    ));
}

#[test]
fn a_chain_to_another_cvca_and_a_signature_for_another_chip_are_refused() {
    let ours = pki("2026-01-10", true);
    let mut card = personalized(Some(&ours.cvca.certificate.to_bytes().unwrap()));

    // Another State's CVCA: the terminal finds no chain for the chip's EF.CVCA.
    let mut opts = EacPkiOptions::new(date("2026-01-10"));
    opts.country = "PL".into();
    let foreign = EacPki::generate(&opts).unwrap();
    let (mut s, comp) = open(&mut card);
    let (t, _) = terminal(foreign, false);
    let e = ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::TerminalAuthentication(TaError::NoChainForChip { .. })
        ),
        "{e}"
    );
    // Sent anyway, the chip does not know the key: 6A88.
    let dv = &t.certificates[0];
    let mut car = vec![0x83, u8::try_from(dv.authority().as_bytes().len()).unwrap()];
    car.extend_from_slice(dv.authority().as_bytes());
    let mse = CommandApdu::new(0, 0x22, 0x81, 0xB6)
        .with_data(car)
        .unwrap();
    assert_eq!(
        s.transmit(&mse).unwrap().sw(),
        StatusWord::REFERENCE_DATA_NOT_FOUND
    );
    drop(s);

    // Another CVCA under the same name (another key): the chip refuses the DV's signature.
    card.power_on();
    let (mut s, comp) = open(&mut card);
    let (t, _) = terminal(pki("2026-01-10", true), false);
    let e = ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::TerminalAuthentication(TaError::CertificateRefused {
                sw: StatusWord::AUTHENTICATION_FAILED,
                ..
            })
        ),
        "{e}"
    );
    drop(s);
    assert!(matches!(
        refusal(&card),
        TaRefusal::Chain(ChainError::Signature { .. })
    ));

    // The right chain with a wrong ID_PICC (the signature covers another chip): refused.
    card.power_on();
    let (mut s, comp) = open(&mut card);
    let (t, _) = terminal(pki_clone(&ours), false);
    let e = ta::authenticate(&mut s, &t, b"X00000000", &comp).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::TerminalAuthentication(TaError::SignatureRefused(
                StatusWord::AUTHENTICATION_FAILED
            ))
        ),
        "{e}"
    );
    drop(s);

    // The chip's date stays the CVCA's effective date: nothing newer was presented.
    assert_eq!(card.eac().store().unwrap().current_date, date("2026-01-10"));
}

/// Loads a copy of a PKI through its folder (keys are not `Clone`).
fn pki_clone(p: &EacPki) -> EacPki {
    let dir = tempfile::tempdir().unwrap();
    p.write_dir(dir.path()).unwrap();
    EacPki::load_dir(dir.path()).unwrap()
}

#[test]
fn the_chip_date_advances_with_a_domestic_dv_and_then_refuses_an_expired_is() {
    let pki = pki("2026-01-10", true);
    let mut card = personalized(Some(&pki.cvca.certificate.to_bytes().unwrap()));
    // A DV effective 2026-06-01 under the same CVCA, and an IS that expired 2026-03-01.
    let issue = |issuer: &dyn CvSigner,
                 car: &permitkit_cvc::Reference,
                 holder_key: &FileKey,
                 chr: &str,
                 role: permitkit_cvc::Role,
                 from: &str,
                 to: &str| {
        permitkit_pki::eac::issue(
            issuer,
            permitkit_cvc::CertificateBody {
                profile_identifier: 0,
                authority: car.clone(),
                public_key: permitkit_cvc::PublicKey::ecdsa(
                    holder_key.curve().default_algorithm(),
                    None,
                    holder_key.public_point(),
                ),
                holder: permitkit_cvc::Reference::from_bytes(chr.as_bytes()).unwrap(),
                chat: permitkit_cvc::Chat::inspection_system(role, true, true),
                effective: date(from),
                expiration: date(to),
                extensions: Vec::new(),
            },
        )
        .unwrap()
    };
    let dv_key = FileKey::generate(pki.cvca.key.curve()).unwrap();
    let is_key = FileKey::generate(pki.cvca.key.curve()).unwrap();
    let dv = issue(
        &pki.cvca.key,
        pki.cvca.certificate.holder(),
        &dv_key,
        "UATESTDV00002",
        permitkit_cvc::Role::DvDomestic,
        "2026-06-01",
        "2027-06-01",
    );
    let stale_is = issue(
        &dv_key,
        dv.holder(),
        &is_key,
        "UATESTIS00002",
        permitkit_cvc::Role::Terminal,
        "2026-01-10",
        "2026-03-01",
    );
    let (mut s, comp) = open(&mut card);
    let t = Terminal {
        certificates: vec![dv, stale_is],
        signer: Box::new(is_key),
    };
    let e = ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::TerminalAuthentication(TaError::CertificateRefused {
                command: "PSO:Verify Certificate",
                ..
            })
        ),
        "{e}"
    );
    drop(s);
    assert!(matches!(
        refusal(&card),
        TaRefusal::Chain(ChainError::Expired { .. })
    ));
    // The DV was accepted before the IS was refused: the chip's date moved on for good.
    assert_eq!(card.eac().store().unwrap().current_date, date("2026-06-01"));
    // The PKI's own IS (valid to 2026-04-09) is now expired for this chip too.
    card.power_on();
    let (mut s, comp) = open(&mut card);
    let (t, _) = terminal(pki, false);
    assert!(ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &comp).is_err());
}

#[test]
fn a_chip_without_a_trust_point_keeps_dg3_readable_after_bac() {
    let mut card = personalized(None);
    let (mut s, _) = open(&mut card);
    assert_eq!(read_dg3(&mut s).unwrap(), DG3);
}

#[test]
fn terminal_authentication_without_chip_authentication_is_refused() {
    let pki = pki("2026-01-10", true);
    let mut card = personalized(Some(&pki.cvca.certificate.to_bytes().unwrap()));
    files::select_application(&mut card).unwrap();
    let mut s = bac::authenticate(&mut card, MRZ).unwrap();
    let (t, _) = terminal(pki, false);
    // Any key: the chip has no Chip Authentication in this session to bind the signature to.
    let e = ta::authenticate(&mut s, &t, &ta::id_picc_bac(MRZ), &[0x11; 32]).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::TerminalAuthentication(TaError::CertificateRefused {
                sw: StatusWord::CONDITIONS_NOT_SATISFIED,
                ..
            })
        ),
        "{e}"
    );
    assert!(read_dg3(&mut s).is_err());
    drop(s);
    assert_eq!(refusal(&card), TaRefusal::NoChipAuthentication);
}
