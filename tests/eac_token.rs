//! The EAC PKI's CVCA key on a PKCS #11 token (BSI TR-03110-3 §2), from the command line,
//! against SoftHSM2 (Debian `softhsm2`, installed by `.ci/install-deps`):
//!
//! - `pki eac init --token-uri` generates the CVCA key pair on the token and signs the CVCA and
//!   DV certificates there; the folder records the key's URI (no key file, no PIN), and the key
//!   on the token is sensitive, never extractable, sign only;
//! - OpenPACE's `cvc-print` (Debian `openpace`, the independent CV certificate implementation,
//!   as in `crates/pki/tests/eac_openpace.rs`) decodes and verifies the CVCA → DV → IS chain, on
//!   brainpoolP256r1, P-256 (with the DV key on the token too) and P-384;
//! - `pki eac link` signs the link certificate with the old CVCA key on the token and makes the
//!   new key there; `cvc-print` verifies it against the old CVCA;
//! - a card personalized with the token CVCA as its trust point grants Terminal Authentication
//!   to the folder's inspection system (DG3 read), and a card that trusts the old CVCA grants
//!   it to the new inspection system through the link certificate.
//!
//! The test has its own token store and runs in a process of its own (SoftHSM2 reads
//! `SOFTHSM2_CONF` once per process). Without SoftHSM2 or OpenPACE it fails; it never skips.
#![cfg(feature = "pkcs11")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use permitkit_chip::channel::CardChannel;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
};
use permitkit_chip::reader::{self, AccessKey, TaOutcome};
use permitkit_cvc::{CvCertificate, CvSigner};
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::secret::SecretString;
use permitkit_pki::PkiError;
use permitkit_pki::eac::{EacPki, TokenEacKey, read_certificate};
use permitkit_pki::pkcs11::{Module, Pin, Pkcs11Uri};
use permitkit_pki::softhsm::SoftHsm;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_simulator::{Card, CardConfig};
use zeroize::Zeroizing;

#[path = "support/cli.rs"]
mod cli;
#[path = "support/eac_ta.rs"]
mod eac_image;
use cli::text;
use eac_image::{CAN, image};

const PIN: &str = "246813";
const SO_PIN: &str = "13572468";
const TOKEN: &str = "permitkit-eac";

/// Runs `body` in a child process with a fresh token store holding one token, [`TOKEN`].
fn on_a_fresh_token(name: &str, body: fn(&SoftHsm)) {
    if let Some(hsm) = SoftHsm::of_child() {
        body(&hsm);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hsm = SoftHsm::new(dir.path());
    hsm.init_token(TOKEN, SO_PIN, PIN);
    hsm.run_test_in_child(name);
}

/// A working folder with the token's PIN file, and the permitkit binary run in it.
struct Desk<'a> {
    dir: tempfile::TempDir,
    hsm: &'a SoftHsm,
}

impl<'a> Desk<'a> {
    fn new(hsm: &'a SoftHsm) -> Self {
        let dir = tempfile::tempdir().unwrap();
        permitkit_model::private_file::write(&dir.path().join("token.pin"), PIN.as_bytes())
            .unwrap();
        permitkit_model::private_file::write(&dir.path().join("wrong.pin"), b"999999").unwrap();
        Self { dir, hsm }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn module(&self) -> String {
        self.hsm.module().display().to_string()
    }

    fn permitkit(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_permitkit"));
        command.args(args).current_dir(self.dir.path());
        let out = self.hsm.env(&mut command).output().unwrap();
        // The PIN is never echoed.
        for stream in [&out.stdout, &out.stderr] {
            assert!(!text(stream).contains(PIN), "{}", text(stream));
        }
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.permitkit(args);
        assert!(
            out.status.success(),
            "permitkit {}: {}{}",
            args.join(" "),
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// The permitkit run fails; its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.permitkit(args);
        assert!(
            !out.status.success(),
            "permitkit {} succeeded: {}",
            args.join(" "),
            text(&out.stdout)
        );
        text(&out.stderr)
    }

    fn certificate(&self, file: &str) -> CvCertificate {
        read_certificate(&self.path(file)).unwrap()
    }
}

fn uri(object: &str) -> String {
    format!("pkcs11:token={TOKEN};object={object}")
}

/// `cvc-print`'s verdict on `cert`, with the certificates of `trusted` as its lookup folder
/// (each stored under its CHR, as OpenPACE's `CVC_default_lookup` expects). Fails the test
/// when OpenPACE is missing.
fn cvc_print(cert: &Path, trusted: &[&CvCertificate]) -> (bool, String) {
    let probe = Command::new("cvc-print").arg("--help").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "cvc-print (Debian package openpace) is needed as the independent CV certificate \
         implementation: run .ci/install-deps"
    );
    let dir = tempfile::tempdir().unwrap();
    for c in trusted {
        std::fs::write(
            dir.path().join(c.holder().to_string()),
            c.to_bytes().unwrap(),
        )
        .unwrap();
    }
    let out = Command::new("cvc-print")
        .arg(format!("--cvc={}", cert.display()))
        .arg(format!("--cvc-dir={}", dir.path().display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.success() && text.contains("certificate verified"),
        text,
    )
}

/// `cvc-print` verifies every certificate of the folder `dir` (the link certificate too, when
/// there is one), looking authorities up among `dir`'s CVCA and DV and `extra`.
fn cvc_print_verifies_folder(desk: &Desk<'_>, dir: &str, extra: &[&CvCertificate]) {
    let cvca = desk.certificate(&format!("{dir}/cvca.cvcert"));
    let dv = desk.certificate(&format!("{dir}/dv.cvcert"));
    let mut trusted = vec![&cvca, &dv];
    trusted.extend_from_slice(extra);
    let mut names = vec!["cvca", "dv", "is"];
    if desk.path(&format!("{dir}/link.cvcert")).exists() {
        names.push("link");
    }
    for name in names {
        let file = desk.path(&format!("{dir}/{name}.cvcert"));
        let (ok, out) = cvc_print(&file, &trusted);
        assert!(ok, "{dir}/{name}.cvcert: {out}");
        let cert = read_certificate(&file).unwrap();
        assert!(out.contains(&format!("CHR: {}", cert.holder())), "{out}");
    }
}

/// Writes `image` onto a blank simulated card and LOCKs it.
fn personalized(image: &ChipImage) -> Card {
    let mut card = Card::new(CardConfig::default());
    let input = PersoInput::try_from(image).unwrap();
    assert!(input.trust_point.is_some());
    let options = PersoOptions {
        dialect: Dialect::PermitkitV1,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits: PersoLimits::SHORT,
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    };
    let report = perso::personalize(
        &mut card,
        &input,
        &options,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.locked);
    card
}

/// The terminal of the folder `terminal_dir` reads DG3 from `card` after Terminal
/// Authentication; the inspection system it was granted to.
fn terminal_reads_dg3(card: &mut Card, image: &ChipImage, terminal_dir: &Path) -> String {
    let terminal = permitkit_station::eac::load_terminal(terminal_dir).unwrap();
    let key = AccessKey::Can(SecretString::from(CAN));
    card.reset().unwrap();
    let read =
        reader::read_with_terminal(&mut *card, &key, ReadLimits::SHORT, Some(&terminal)).unwrap();
    let granted = match &read.terminal_authentication {
        TaOutcome::Granted { terminal, chat } => {
            assert!(chat.reads_dg3(), "{chat}");
            terminal.to_string()
        }
        other => panic!(
            "{}: Terminal Authentication refused: {other}",
            terminal_dir.display()
        ),
    };
    let dg3 = read.files.iter().find(|(ef, _)| *ef == Ef::DG3);
    assert_eq!(dg3.map(|(_, d)| d.as_slice()), image.file(Ef::DG3));
    assert!(read.refused.is_empty(), "{:?}", read.refused);
    granted
}

#[test]
fn a_cvca_key_made_on_the_token_signs_the_eac_pki() {
    on_a_fresh_token("a_cvca_key_made_on_the_token_signs_the_eac_pki", |hsm| {
        let desk = Desk::new(hsm);
        let module = desk.module();
        let token = |object: &str| {
            [
                "--token-uri".to_owned(),
                uri(object),
                "--module".to_owned(),
                module.clone(),
                "--pin-file".to_owned(),
                "token.pin".to_owned(),
            ]
        };
        let joined = |base: &[&str], extra: &[String]| -> Vec<String> {
            let mut args: Vec<String> = base.iter().map(|a| (*a).to_owned()).collect();
            args.extend_from_slice(extra);
            args
        };
        let run = |base: &[&str], extra: &[String]| {
            let args = joined(base, extra);
            desk.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let refused = |base: &[&str], extra: &[String]| {
            let args = joined(base, extra);
            desk.fails(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };

        // 1. The CVCA key pair made on the token (brainpoolP256r1, the default curve).
        let stdout = run(&["pki", "eac", "init", "--out", "eac"], &token("cvca-1"));
        assert!(
            stdout.contains(
                "CKA_SENSITIVE true CKA_EXTRACTABLE false CKA_ALWAYS_SENSITIVE true \
                 CKA_NEVER_EXTRACTABLE true CKA_SIGN true"
            ),
            "{stdout}"
        );
        assert!(stdout.contains("cvca-key.uri"), "{stdout}");
        // The folder names the key and holds neither it nor the PIN; the DV and IS keep file
        // keys.
        assert!(!desk.path("eac/cvca.pkcs8").exists());
        let named = std::fs::read_to_string(desk.path("eac/cvca-key.uri")).unwrap();
        assert_eq!(
            named.trim(),
            format!("{}?module-path={module}", uri("cvca-1"))
        );
        assert!(!named.contains("pin"), "{named}");
        assert!(desk.path("eac/dv.pkcs8").exists() && desk.path("eac/is.pkcs8").exists());
        assert!(!desk.path("eac/dv-key.uri").exists());
        let cvca = desk.certificate("eac/cvca.cvcert");
        assert_eq!(cvca.holder().to_string(), "UATESTCVCA00001");
        assert_eq!(
            permitkit_cvc::Curve::identify(cvca.body().public_key.domain().unwrap()),
            Some(permitkit_cvc::Curve::BrainpoolP256r1)
        );
        // OpenPACE decodes and verifies the CVCA (signed on the token), the DV (signed on the
        // token) and the IS.
        cvc_print_verifies_folder(&desk, "eac", &[]);
        // And so does `pki eac show`, from the CVCA down.
        let shown = desk.ok(&[
            "pki",
            "eac",
            "show",
            "eac/is.cvcert",
            "--trust",
            "eac/cvca.cvcert",
            "--chain",
            "eac/dv.cvcert",
        ]);
        assert!(shown.contains("chain: VALID"), "{shown}");

        // 2. The same name twice is refused: the key stays the one certified.
        let err = refused(&["pki", "eac", "init", "--out", "again"], &token("cvca-1"));
        assert!(err.contains("already holds a key"), "{err}");
        assert!(!desk.path("again/cvca.cvcert").exists());
        // A curve the token code does not make keys on is refused before anything is made.
        let err = refused(
            &[
                "pki",
                "eac",
                "init",
                "--out",
                "bp384",
                "--curve",
                "brainpoolP384r1",
            ],
            &token("cvca-bp384"),
        );
        assert!(err.contains("not made on a PKCS #11 token"), "{err}");

        // 3. The rollover: the link certificate signed by the old CVCA key on the token, the
        //    new CVCA key made on the token.
        let stdout = run(
            &["pki", "eac", "link", "--old", "eac", "--out", "eac2"],
            &token("cvca-2"),
        );
        assert!(
            stdout.contains("UATESTCVCA00001 -> UATESTCVCA00002"),
            "{stdout}"
        );
        assert!(!desk.path("eac2/cvca.pkcs8").exists());
        let named2 = std::fs::read_to_string(desk.path("eac2/cvca-key.uri")).unwrap();
        assert!(named2.contains("object=cvca-2"), "{named2}");
        let link = desk.certificate("eac2/link.cvcert");
        assert_eq!(link.authority(), cvca.holder());
        cvc_print_verifies_folder(&desk, "eac2", &[&cvca]);
        let shown = desk.ok(&[
            "pki",
            "eac",
            "show",
            "eac2/is.cvcert",
            "--trust",
            "eac/cvca.cvcert",
            "--chain",
            "eac2/link.cvcert",
            "--chain",
            "eac2/dv.cvcert",
        ]);
        assert!(shown.contains("chain: VALID"), "{shown}");
        // A CVCA key on a token does not move to a file.
        let err = desk.fails(&[
            "pki",
            "eac",
            "link",
            "--old",
            "eac",
            "--out",
            "eac-file",
            "--old-pin-file",
            "token.pin",
        ]);
        assert!(
            err.contains("does not move from a token to a file"),
            "{err}"
        );
        assert!(!desk.path("eac-file/cvca.cvcert").exists());
        // A wrong PIN for the old key: a clear error, nothing written.
        let err = refused(
            &["pki", "eac", "link", "--old", "eac", "--out", "eac3"],
            &joined(&["--old-pin-file", "wrong.pin"], &token("cvca-3")),
        );
        assert!(err.contains("CKR_PIN_INCORRECT"), "{err}");
        assert!(!err.contains("999999"), "{err}");
        assert!(!desk.path("eac3/cvca.cvcert").exists());

        // 4. P-256 with the DV key on the token too, and P-384 (SHA-384 digests signed on the
        //    token): OpenPACE verifies both chains.
        let mut dv_too = token("cvca-p256").to_vec();
        dv_too.extend(["--dv-token-uri".to_owned(), uri("dv-p256")]);
        run(
            &["pki", "eac", "init", "--out", "p256", "--curve", "P-256"],
            &dv_too,
        );
        assert!(desk.path("p256/dv-key.uri").exists());
        assert!(!desk.path("p256/dv.pkcs8").exists() && !desk.path("p256/cvca.pkcs8").exists());
        cvc_print_verifies_folder(&desk, "p256", &[]);
        run(
            &["pki", "eac", "init", "--out", "p384", "--curve", "P-384"],
            &token("cvca-p384"),
        );
        cvc_print_verifies_folder(&desk, "p384", &[]);

        // 5. A card personalized with the token CVCA as its trust point grants Terminal
        //    Authentication to the folder's inspection system; a card that trusts the old CVCA
        //    grants it to the new inspection system through the link certificate.
        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        let img = image(&pki, &cvca);
        let mut card = personalized(&img);
        let granted = terminal_reads_dg3(&mut card, &img, &desk.path("eac"));
        assert_eq!(granted, "UATESTIS00001");
        let mut card = personalized(&img);
        let granted = terminal_reads_dg3(&mut card, &img, &desk.path("eac2"));
        assert_eq!(granted, "UATESTIS00002");

        // 6. On the token: the CVCA key is sensitive and was never extractable, and it is the
        //    certificate's key; a loader of file keys only says where the key is.
        let parsed = Pkcs11Uri::parse(named.trim()).unwrap();
        let pin = Pin::new(Zeroizing::new(PIN.to_owned())).unwrap();
        let key = TokenEacKey::open(
            Module::for_uri(None, &parsed).unwrap(),
            &parsed,
            &pin,
            named.trim(),
        )
        .unwrap();
        let a = key.attributes().unwrap();
        assert!(
            a.token && a.private && a.sensitive && a.always_sensitive,
            "{a:?}"
        );
        assert!(!a.extractable && a.never_extractable && a.sign, "{a:?}");
        assert_eq!(
            Some(key.public_point().as_slice()),
            cvca.body().public_key.point()
        );
        match EacPki::load_dir(&desk.path("eac")) {
            Err(PkiError::KeyOnToken { role, uri, .. }) => {
                assert_eq!(role, "CVCA");
                assert_eq!(uri, named.trim());
            }
            other => panic!("a token key loaded as a file key: {other:?}"),
        }
    });
}
