//! Extended Access Control of DG3 end to end (ICAO Doc 9303-11 §7.1; BSI TR-03110-1/-3): a card
//! personalized from a signed ChipImage whose chip keys carry the trust point (PUT DATA `64`),
//! LOCKED, then read by the reader of `permitkit-chip` — PACE-CAM, Chip Authentication with the
//! DG14 key, Terminal Authentication — in process against the virtual chip, and through the real
//! PC/SC stack (pcscd + vsmartcard's vpcd + `permitkit sim serve`, see `tests/pcsc_stack.rs`).
//!
//! The same checks run on both channels: DG3 without Terminal Authentication (`6982`, passive
//! authentication VALID for what was read), with it (identical to the image), an inspection
//! system without the DG3 bit, a DV and an IS expired relative to the chip's date, a chain to another
//! CVCA (another State's, and the same name with another key), a replayed terminal signature;
//! and a chip personalized with a CVCA made by OpenPACE's `cvc-create` accepts the DV and IS
//! `cvc-create` made (Debian package `openpace`).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use permitkit_chip::ChipError;
use permitkit_chip::channel::{CardChannel, Counting};
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
};
use permitkit_chip::reader::{self, AccessKey, CaOutcome, CardContents, TaOutcome};
use permitkit_chip::ta::{TaError, Terminal};
use permitkit_cvc::{
    CertificateBody, Chat, CvCertificate, CvDate, CvSigner, FileKey, PublicKey, Reference, Role,
    SignError,
};
use permitkit_devices::chip_image_dir;
use permitkit_iso7816::apdu::StatusWord;
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::secret::SecretString;
use permitkit_pki::eac::{EacPki, EacPkiOptions, issue};
use permitkit_pki::passive_auth::verify_read_trusted;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_pki::trust::TrustStore;
use permitkit_simulator::{Card, CardConfig};

#[path = "support/eac_ta.rs"]
mod eac_image;
#[cfg(feature = "pcsc")]
#[path = "support/pcsc_stack.rs"]
mod pcsc_stack;
use eac_image::{CAN, image};

fn today() -> CvDate {
    CvDate::today().unwrap()
}

/// Writes `image` onto the blank card behind `channel` and LOCKs it.
fn personalize(channel: &mut dyn CardChannel, image: &ChipImage, limits: PersoLimits) {
    let input = PersoInput::try_from(image).unwrap();
    assert!(input.trust_point.is_some());
    let options = PersoOptions {
        dialect: Dialect::PermitkitV1,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits,
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    };
    let report = perso::personalize(
        channel,
        &input,
        &options,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.locked);
    // PUT DATA 64 and the EF.CVCA read-back are in the count.
    assert!(report.stats.commands >= report.minimum_apdus, "{report:?}");
}

/// A signer that records its last signature, or replays one it was given.
struct Recording {
    key: FileKey,
    last: Arc<Mutex<Vec<u8>>>,
    replay: Option<Vec<u8>>,
}

impl CvSigner for Recording {
    fn curve(&self) -> permitkit_cvc::Curve {
        self.key.curve()
    }
    fn public_point(&self) -> Vec<u8> {
        self.key.public_point()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        if let Some(old) = &self.replay {
            return Ok(old.clone());
        }
        let sig = self.key.sign(message)?;
        *self.last.lock().unwrap() = sig.clone();
        Ok(sig)
    }
}

fn copy_key(key: &FileKey) -> FileKey {
    FileKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap()
}

/// Issues a certificate for `holder_key` under `issuer`.
#[expect(clippy::too_many_arguments, reason = "one certificate's fields")]
fn certificate(
    issuer: &dyn CvSigner,
    car: &Reference,
    holder_key: &FileKey,
    chr: &str,
    role: Role,
    dg3: bool,
    from: CvDate,
    to: CvDate,
) -> CvCertificate {
    issue(
        issuer,
        CertificateBody {
            profile_identifier: 0,
            authority: car.clone(),
            public_key: PublicKey::ecdsa(
                holder_key.curve().default_algorithm(),
                None,
                holder_key.public_point(),
            ),
            holder: Reference::from_bytes(chr.as_bytes()).unwrap(),
            chat: Chat::inspection_system(role, dg3, true),
            effective: from,
            expiration: to,
            extensions: Vec::new(),
        },
    )
    .unwrap()
}

/// The terminals of the checks, all from `eac` unless said otherwise.
struct Terminals {
    good: Terminal,
    last_signature: Arc<Mutex<Vec<u8>>>,
    replaying: Box<dyn Fn(Vec<u8>) -> Terminal>,
    no_dg3: Terminal,
    expired_dv: Terminal,
    expired_is: Terminal,
    other_state: Terminal,
    same_name_other_key: Terminal,
}

fn terminals(eac: &EacPki) -> Terminals {
    let last = Arc::new(Mutex::new(Vec::new()));
    let chain = eac.terminal_chain(false);
    let good = Terminal {
        certificates: chain.clone(),
        signer: Box::new(Recording {
            key: copy_key(&eac.is.key),
            last: last.clone(),
            replay: None,
        }),
    };
    let is_der = eac.is.key.to_pkcs8_der().unwrap().to_vec();
    let replaying = Box::new(move |old: Vec<u8>| Terminal {
        certificates: chain.clone(),
        signer: Box::new(Recording {
            key: FileKey::from_pkcs8_der(&is_der).unwrap(),
            last: Arc::new(Mutex::new(Vec::new())),
            replay: Some(old),
        }),
    });
    let curve = eac.cvca.key.curve();
    let (t0, t1) = (today(), today().add_days(60).unwrap());
    // An inspection system of the same DV whose certificate grants DG4 but not DG3.
    let is_key = FileKey::generate(curve).unwrap();
    let no_dg3 = Terminal {
        certificates: vec![
            eac.dv.certificate.clone(),
            certificate(
                &eac.dv.key,
                eac.dv.certificate.holder(),
                &is_key,
                "UATESTIS00077",
                Role::Terminal,
                false,
                t0,
                t1,
            ),
        ],
        signer: Box::new(is_key),
    };
    // A DV of the chip's CVCA that expired before the chip's current date (the CVCA's
    // effective date, today), with a valid-looking IS under it.
    let dv_key = FileKey::generate(curve).unwrap();
    let dv = certificate(
        &eac.cvca.key,
        eac.cvca.certificate.holder(),
        &dv_key,
        "UATESTDV00066",
        Role::DvDomestic,
        true,
        today().add_days(-400).unwrap(),
        today().add_days(-35).unwrap(),
    );
    let is_key = FileKey::generate(curve).unwrap();
    let is = certificate(
        &dv_key,
        dv.holder(),
        &is_key,
        "UATESTIS00066",
        Role::Terminal,
        true,
        today().add_days(-40).unwrap(),
        today().add_days(-36).unwrap(),
    );
    let expired_dv = Terminal {
        certificates: vec![dv, is],
        signer: Box::new(is_key),
    };
    // An inspection system of the chip's DV whose certificate expired before the chip's date.
    let is_key = FileKey::generate(curve).unwrap();
    let expired_is = Terminal {
        certificates: vec![
            eac.dv.certificate.clone(),
            certificate(
                &eac.dv.key,
                eac.dv.certificate.holder(),
                &is_key,
                "UATESTIS00055",
                Role::Terminal,
                true,
                today().add_days(-40).unwrap(),
                today().add_days(-36).unwrap(),
            ),
        ],
        signer: Box::new(is_key),
    };
    let other = |country: &str| {
        let mut opts = EacPkiOptions::new(today());
        opts.country = country.into();
        let p = EacPki::generate(&opts).unwrap();
        Terminal {
            certificates: p.terminal_chain(false),
            signer: Box::new(p.is.key),
        }
    };
    Terminals {
        good,
        last_signature: last,
        replaying,
        no_dg3,
        expired_dv,
        expired_is,
        other_state: other("PL"),
        same_name_other_key: other("UA"),
    }
}

fn dg3_refusal(contents: &CardContents) -> Option<StatusWord> {
    contents
        .refused
        .iter()
        .find(|(ef, _)| *ef == Ef::DG3)
        .map(|(_, sw)| *sw)
}

fn file(contents: &CardContents, ef: Ef) -> Option<&[u8]> {
    contents
        .files
        .iter()
        .find(|(e, _)| *e == ef)
        .map(|(_, d)| d.as_slice())
}

/// Every check on the locked card behind `channel`; `label` names the channel in messages.
/// Returns the APDU count and wall time of the full read with Terminal Authentication.
fn checks(
    channel: &mut dyn CardChannel,
    label: &str,
    pki: &TestPki,
    image: &ChipImage,
    t: &Terminals,
    limits: ReadLimits,
) -> (u64, std::time::Duration) {
    let key = AccessKey::Can(SecretString::from(CAN));
    let trust = TrustStore::from_certificates(std::slice::from_ref(&pki.csca_der));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap();

    // 1. No terminal: DG3 refused with 6982, everything else read, passive authentication
    //    VALID for what was read (DG3 reported not read, with the reason).
    channel.reset().unwrap();
    let plain = reader::read(&mut *channel, &key, limits).unwrap();
    assert!(matches!(
        plain.terminal_authentication,
        TaOutcome::NoTerminal
    ));
    assert!(
        matches!(
            plain.chip_authentication,
            CaOutcome::AuthenticatedByCam { key_id: Some(13) }
        ),
        "{label}: {}",
        plain.chip_authentication
    );
    assert_eq!(
        dg3_refusal(&plain),
        Some(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
        "{label}"
    );
    assert!(file(&plain, Ef::DG3).is_none());
    let map: BTreeMap<Ef, Vec<u8>> = plain.files.iter().cloned().collect();
    let not_read = BTreeMap::from([(Ef::DG3, "protected by EAC, not read".to_owned())]);
    let pa = verify_read_trusted(&map[&Ef::Sod], &map, &not_read, &trust, now);
    assert!(pa.is_valid(), "{label}: {pa:?}");

    // 2. The station's inspection system: DG3 read, identical to the image.
    channel.reset().unwrap();
    let started = Instant::now();
    let mut counting = Counting::new(&mut *channel);
    let full = reader::read_with_terminal(&mut counting, &key, limits, Some(&t.good)).unwrap();
    let apdus = counting.stats().commands;
    let wall = started.elapsed();
    assert!(
        full.terminal_authentication.is_granted(),
        "{label}: {}",
        full.terminal_authentication
    );
    assert_eq!(file(&full, Ef::DG3), image.file(Ef::DG3), "{label}");
    assert!(full.refused.is_empty(), "{label}: {:?}", full.refused);
    for (ef, data) in image.files() {
        assert_eq!(file(&full, ef), Some(data), "{label}: {ef}");
    }

    // 3. An inspection system without the DG3 bit: authenticated, DG3 still refused.
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&t.no_dg3)).unwrap();
    assert!(c.terminal_authentication.is_granted(), "{label}");
    assert_eq!(
        dg3_refusal(&c),
        Some(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
        "{label}"
    );

    // 4. A DV expired relative to the chip's date: PSO:Verify Certificate refused.
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&t.expired_dv)).unwrap();
    match &c.terminal_authentication {
        TaOutcome::Failed(e) => assert!(
            matches!(
                e.as_ref(),
                ChipError::TerminalAuthentication(TaError::CertificateRefused {
                    command: "PSO:Verify Certificate",
                    sw: StatusWord::WRONG_DATA,
                    ..
                })
            ),
            "{label}: {e}"
        ),
        other => panic!("{label}: an expired DV was accepted: {other}"),
    }
    assert!(dg3_refusal(&c).is_some(), "{label}");

    //    An IS expired relative to the chip's date: its PSO:Verify Certificate is refused.
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&t.expired_is)).unwrap();
    match &c.terminal_authentication {
        TaOutcome::Failed(e) => assert!(
            matches!(
                e.as_ref(),
                ChipError::TerminalAuthentication(TaError::CertificateRefused {
                    command: "PSO:Verify Certificate",
                    sw: StatusWord::WRONG_DATA,
                    holder,
                }) if holder.to_string() == "UATESTIS00055"
            ),
            "{label}: {e}"
        ),
        other => panic!("{label}: an expired IS was accepted: {other}"),
    }
    assert!(dg3_refusal(&c).is_some(), "{label}");

    // 5. Another State's CVCA: the terminal has no chain for this chip's EF.CVCA.
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&t.other_state)).unwrap();
    match &c.terminal_authentication {
        TaOutcome::Failed(e) => assert!(
            matches!(
                e.as_ref(),
                ChipError::TerminalAuthentication(TaError::NoChainForChip { .. })
            ),
            "{label}: {e}"
        ),
        other => panic!("{label}: {other}"),
    }
    assert!(dg3_refusal(&c).is_some(), "{label}");
    //    A CVCA under the chip's CVCA's name with another key: the DV's signature fails.
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&t.same_name_other_key))
        .unwrap();
    match &c.terminal_authentication {
        TaOutcome::Failed(e) => assert!(
            matches!(
                e.as_ref(),
                ChipError::TerminalAuthentication(TaError::CertificateRefused {
                    sw: StatusWord::AUTHENTICATION_FAILED,
                    ..
                })
            ),
            "{label}: {e}"
        ),
        other => panic!("{label}: {other}"),
    }
    assert!(dg3_refusal(&c).is_some(), "{label}");

    // 6. The signature of step 2 replayed in a new session (a fresh challenge): refused.
    let old = t.last_signature.lock().unwrap().clone();
    assert!(!old.is_empty());
    let replaying = (t.replaying)(old);
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, limits, Some(&replaying)).unwrap();
    match &c.terminal_authentication {
        TaOutcome::Failed(e) => assert!(
            matches!(
                e.as_ref(),
                ChipError::TerminalAuthentication(TaError::SignatureRefused(
                    StatusWord::AUTHENTICATION_FAILED
                ))
            ),
            "{label}: {e}"
        ),
        other => panic!("{label}: a replayed signature was accepted: {other}"),
    }
    assert!(dg3_refusal(&c).is_some(), "{label}");
    (apdus, wall)
}

/// A folder with a CVCA, DV and IS made by OpenPACE's `cvc-create` (keys by `openssl
/// genpkey`, PKCS#8), as `load_terminal` reads it: `cvca.cvcert`, `dv.cvcert`, `is.cvcert`,
/// `is.pkcs8`.
fn cvc_create_chain(dir: &Path) {
    let tool = |name: &str| {
        let probe = Command::new(name).arg("--help").output();
        assert!(
            probe.is_ok_and(|o| o.status.success()),
            "{name} (Debian packages openpace, openssl) is needed: run .ci/install-deps"
        );
        Command::new(name)
    };
    let succeeds = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p = |f: &str| dir.join(f).display().to_string();
    for k in ["cvca", "dv", "is"] {
        succeeds(
            tool("openssl")
                .args(["genpkey", "-algorithm", "EC", "-pkeyopt"])
                .arg("ec_paramgen_curve:brainpoolP256r1")
                .args(["-outform", "DER", "-out", &p(&format!("{k}.sec1"))]),
        );
        succeeds(
            tool("openssl")
                .args([
                    "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER",
                ])
                .args([
                    "-in",
                    &p(&format!("{k}.sec1")),
                    "-out",
                    &p(&format!("{k}.pkcs8")),
                ]),
        );
    }
    let yymmdd =
        |d: CvDate| -> String { d.to_bcd().iter().map(|b| char::from(b'0' + b)).collect() };
    let expires = |days| format!("--expires={}", yymmdd(today().add_days(days).unwrap()));
    // (role, holder, days valid, signing key, new key): the CVCA signs itself.
    for (role, chr, days, signer, key) in [
        ("cvca", "UAOPCVCA00001", 365, "cvca", "cvca"),
        ("dv_domestic", "UAOPDV00001", 90, "cvca", "dv"),
        ("terminal", "UAOPIS00001", 30, "dv", "is"),
    ] {
        let mut args = vec![
            format!("--role={role}"),
            format!("--chr={chr}"),
            expires(days),
            format!("--sign-with={}", p(&format!("{signer}.pkcs8"))),
            "--scheme=ECDSA_SHA_256".into(),
            "--read-finger".into(),
            format!("--out-cert={}", p(&format!("{key}.cvcert"))),
        ];
        if role == "cvca" {
            args.push("--type=is".into());
        } else {
            args.push(format!("--sign-as={}", p(&format!("{signer}.cvcert"))));
            args.push(format!("--key={}", p(&format!("{key}.pkcs8"))));
        }
        succeeds(tool("cvc-create").args(&args));
    }
}

/// The chip personalized with `cvc-create`'s CVCA accepts `cvc-create`'s DV and IS: DG3 read.
fn cvc_create_accepted(channel: &mut dyn CardChannel, label: &str, image: &ChipImage, dir: &Path) {
    let terminal = permitkit_station::eac::load_terminal(dir).unwrap();
    let key = AccessKey::Can(SecretString::from(CAN));
    channel.reset().unwrap();
    let c = reader::read_with_terminal(&mut *channel, &key, ReadLimits::SHORT, Some(&terminal))
        .unwrap();
    match &c.terminal_authentication {
        TaOutcome::Granted { terminal, chat } => {
            assert_eq!(terminal.to_string(), "UAOPIS00001");
            assert!(chat.reads_dg3() && !chat.reads_dg4(), "{chat}");
        }
        other => panic!("{label}: the cvc-create chain was refused: {other}"),
    }
    assert_eq!(file(&c, Ef::DG3), image.file(Ef::DG3), "{label}");
}

fn cvc_create_image(pki: &TestPki, dir: &Path) -> ChipImage {
    cvc_create_chain(dir);
    let cvca = permitkit_pki::eac::read_certificate(&dir.join("cvca.cvcert")).unwrap();
    image(pki, &cvca)
}

#[test]
fn eac_protects_dg3_in_process() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let eac = pki.eac.as_ref().unwrap();
    let img = image(&pki, &eac.cvca.certificate);
    let mut card = Card::new(CardConfig::default());
    personalize(&mut card, &img, PersoLimits::SHORT);
    let t = terminals(eac);
    let (apdus, _) = checks(&mut card, "in process", &pki, &img, &t, ReadLimits::SHORT);
    assert!(apdus > 0);
    // The chip's store: the trust point personalization gave, its date unchanged by the
    // refused certificates.
    let store = card.eac().store().unwrap();
    assert_eq!(
        store.cvca_certificates(),
        std::slice::from_ref(&eac.cvca.certificate)
    );
    assert_eq!(store.current_date, eac.cvca.certificate.body().effective);

    let dir = tempfile::tempdir().unwrap();
    let img = cvc_create_image(&pki, dir.path());
    let mut card = Card::new(CardConfig::default());
    personalize(&mut card, &img, PersoLimits::SHORT);
    cvc_create_accepted(&mut card, "in process", &img, dir.path());
}

#[test]
fn a_trust_point_that_is_not_a_cvca_is_refused_before_anything_is_written() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let eac = pki.eac.as_ref().unwrap();
    // The DV's certificate is not self-signed: refused when the input is made.
    let img = image(&pki, &eac.dv.certificate);
    let e = PersoInput::try_from(&img).unwrap_err();
    assert!(
        matches!(e, ChipError::TerminalAuthentication(TaError::TrustPoint(_))),
        "{e}"
    );
    // The JMRTD applet's dialect stores RSA trust points only.
    let img = image(&pki, &eac.cvca.certificate);
    let input = PersoInput::try_from(&img).unwrap();
    let mut card = Card::new(CardConfig::default());
    let options = PersoOptions {
        dialect: Dialect::JmrtdApplet,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits: PersoLimits::SHORT,
        lock: None,
        verifier: None,
    };
    let e = perso::personalize(
        &mut card,
        &input,
        &options,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("dialect"), "{e}");
    assert_eq!(card.life(), permitkit_chip::identity::CardLife::Blank);
}

#[cfg(feature = "pcsc")]
mod through_pcscd {
    use super::*;
    use crate::pcsc_stack::{blank_card, feeder, in_the_stack};
    use permitkit_model::profiles::Registry;

    #[test]
    fn eac_protects_dg3_through_pcscd_and_vpcd() {
        in_the_stack(
            "through_pcscd::eac_protects_dg3_through_pcscd_and_vpcd",
            inside,
        );
    }

    fn inside() {
        let feeder = feeder();
        let registry = Registry::builtin().unwrap();
        let chip = registry.chip("permitkit-virtual").unwrap().clone();
        let reader = registry.reader("vsmartcard-vpcd").unwrap().clone();
        let limits = PersoLimits::from_profiles(&chip, Some(&reader));

        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        let eac = pki.eac.as_ref().unwrap();
        let img = image(&pki, &eac.cvca.certificate);
        let mut card = blank_card(&feeder);
        personalize(&mut card, &img, limits);
        let t = terminals(eac);
        let (apdus, wall) = checks(&mut card, "pcscd+vpcd", &pki, &img, &t, limits.read);
        println!(
            "pcscd+vpcd full read with PACE-CAM + CA + TA + DG3: {apdus} APDUs, {:.1} ms",
            wall.as_secs_f64() * 1e3
        );
        drop(card);

        let dir = tempfile::tempdir().unwrap();
        let img = cvc_create_image(&pki, dir.path());
        let mut card = blank_card(&feeder);
        personalize(&mut card, &img, limits);
        cvc_create_accepted(&mut card, "pcscd+vpcd", &img, dir.path());
    }
}

#[test]
fn the_trust_point_travels_with_the_image_in_a_folder_and_in_a_package() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let eac = pki.eac.as_ref().unwrap();
    let img = image(&pki, &eac.cvca.certificate);
    let want = eac.cvca.certificate.to_bytes().unwrap();
    let from_package = ChipImage::from_package(&img.to_package()).unwrap();
    assert_eq!(from_package.keys().trust_point.as_deref(), Some(&want[..]));
    let dir = tempfile::tempdir().unwrap();
    chip_image_dir::save(&img, &dir.path().join("image")).unwrap();
    let loaded = chip_image_dir::load(&dir.path().join("image")).unwrap();
    assert_eq!(loaded.keys().trust_point.as_deref(), Some(&want[..]));
    let input = PersoInput::try_from(&loaded).unwrap();
    assert_eq!(input.trust_point.as_ref(), Some(&eac.cvca.certificate));
    // Debug shows the trust point's holder, never key material.
    let text = format!("{input:?}");
    assert!(text.contains("UATESTCVCA00001"), "{text}");
}

/// `permitkit card read` of a locked EAC card: without `--terminal` DG3 is "protected by EAC,
/// not read" and passive authentication is VALID for what was read; with the `pki eac` folder
/// as terminal, Terminal Authentication is granted and DG3 is read. Text and `--json` agree.
#[test]
fn card_read_reports_dg3_behind_eac_and_reads_it_with_a_terminal() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let eac = pki.eac.as_ref().unwrap();
    let img = image(&pki, &eac.cvca.certificate);
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).display().to_string();
    pki.write_dir(&dir.path().join("pki")).unwrap();
    chip_image_dir::save(&img, &dir.path().join("chip-image")).unwrap();
    let permitkit = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_permitkit"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = permitkit(&[
        "card",
        "personalize",
        "--reader",
        "sim",
        "--state",
        &d("card.json"),
        "--image",
        &d("chip-image"),
        "--journal",
        &d("journal"),
        "--csca",
        &d("pki/csca.pem"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |terminal: Option<&str>, json: bool| {
        let mut args = vec![
            "card".to_owned(),
            "read".into(),
            "--reader".into(),
            "sim".into(),
            "--state".into(),
            d("card.json"),
            "--chip-keys".into(),
            d("chip-image/chip-keys.json"),
            "--csca".into(),
            d("pki/csca.pem"),
        ];
        if let Some(t) = terminal {
            args.extend(["--terminal".into(), t.to_owned()]);
        }
        if json {
            args.push("--json".into());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = permitkit(&refs);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = read(None, false);
    assert!(
        text.contains("DG3") && text.contains("protected by EAC, not read"),
        "{text}"
    );
    assert!(text.contains("passive authentication: VALID"), "{text}");
    assert!(text.contains("terminal authentication: not run"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&read(None, true)).unwrap();
    assert_eq!(json["valid"], true, "{json}");
    assert_eq!(json["refused"][0]["name"], "DG3", "{json}");
    assert!(
        json["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("protected by EAC, not read"),
        "{json}"
    );
    assert_eq!(json["terminal_authentication"]["status"], "not-run");

    let terminal = d("pki/eac");
    let text = read(Some(&terminal), false);
    assert!(text.contains("terminal authentication: GRANTED"), "{text}");
    assert!(!text.contains("not read"), "{text}");
    assert!(text.contains("passive authentication: VALID"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&read(Some(&terminal), true)).unwrap();
    assert_eq!(
        json["terminal_authentication"]["status"], "granted",
        "{json}"
    );
    assert_eq!(json["terminal_authentication"]["terminal"], "UATESTIS00001");
    assert!(json["refused"].as_array().unwrap().is_empty(), "{json}");
    let dg3 = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "DG3")
        .unwrap();
    assert_eq!(dg3["size"], img.file(Ef::DG3).unwrap().len());

    // A folder that is not a terminal is refused before the card is touched.
    let out = permitkit(&[
        "card",
        "read",
        "--reader",
        "sim",
        "--state",
        &d("card.json"),
        "--chip-keys",
        &d("chip-image/chip-keys.json"),
        "--terminal",
        &d("pki"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("dv.cvcert is missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
