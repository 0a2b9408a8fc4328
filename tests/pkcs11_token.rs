//! The Document Signer on a PKCS #11 token, from the command line, against SoftHSM2 (Debian
//! `softhsm2`, installed by `.ci/install-deps`): `pki ds request` generates the key on the token
//! and writes a request `openssl req -verify` accepts, `pki ds issue` certifies it, and a whole
//! simulated enrollment (`permitkit enroll`, the default simulated station) signs EF.SOD through
//! the token — verified by `openssl cms -verify` against the CSCA and by the enrollment's own
//! read-back and passive authentication — with every signature in the audit log. Then the
//! station profile's `[document_signer]`, its document cap, `lds build` through the token, and
//! a wrong PIN; and a CSCA whose key pair is made on the token, issuing the Document Signer
//! and a CRL that OpenSSL verifies. Each test has its own token store (`SOFTHSM2_CONF`); without SoftHSM2 or
//! OpenSSL the tests fail, they never skip.
#![cfg(feature = "pkcs11")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use permitkit_pki::softhsm::SoftHsm;
use serde_json::Value;

#[path = "support/cli.rs"]
mod cli;
use cli::text;

const APPLICANT: &str = include_str!("../testdata/applicants/temporary-foreign-national.toml");
const STATION: &str = include_str!("../hardware-profiles/stations/simulated.toml");
const PIN: &str = "246813";
const TOKEN: &str = "permitkit-ds";

/// A desk with a token store, a TEST ONLY CSCA, and a Document Signer key on the token with
/// its certificate.
struct Desk {
    dir: tempfile::TempDir,
    hsm: SoftHsm,
}

impl Desk {
    /// The token initialized, the PIN file written, the CSCA made.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let hsm = SoftHsm::new(dir.path());
        hsm.init_token(TOKEN, "13572468", PIN);
        permitkit_model::private_file::write(&dir.path().join("token.pin"), PIN.as_bytes())
            .unwrap();
        std::fs::write(dir.path().join("applicant.toml"), APPLICANT).unwrap();
        let desk = Self { dir, hsm };
        desk.ok(&["pki", "csca", "init", "--country", "UA", "--out", "csca"]);
        // The documents' EAC trust point, which `enroll --pki csca` looks for beside the CSCA.
        desk.ok(&["pki", "eac", "init", "--out", "csca/eac"]);
        desk
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
        self.hsm.env(&mut command).output().unwrap()
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

    fn uri(object: &str) -> String {
        format!("pkcs11:token={TOKEN};object={object}")
    }

    /// `pki ds request` then `pki ds issue`: `<object>.csr` and `<object>.pem`.
    fn document_signer(&self, object: &str) {
        let csr = format!("{object}.csr");
        let stdout = self.ok(&[
            "pki",
            "ds",
            "request",
            "--token-uri",
            &Self::uri(object),
            "--module",
            &self.module(),
            "--pin-file",
            "token.pin",
            "--subject-country",
            "UA",
            "--subject-org",
            "State Migration Service (test)",
            "--out",
            &csr,
        ]);
        assert!(
            stdout.contains("CKA_SENSITIVE true CKA_EXTRACTABLE false"),
            "{stdout}"
        );
        openssl(&["req", "-verify", "-noout", "-in"], &[&self.path(&csr)]).unwrap();
        self.ok(&[
            "pki",
            "ds",
            "issue",
            "--csca",
            "csca",
            "--csr",
            &csr,
            "--document-types",
            "IR,IP",
            "--out",
            &format!("{object}.pem"),
        ]);
    }

    /// The token options of `enroll` and `lds build`.
    fn token_args(&self, object: &str, pin_file: &str) -> Vec<String> {
        [
            "--token-uri",
            &Self::uri(object),
            "--module",
            &self.module(),
            "--pin-file",
            pin_file,
            "--ds-cert",
            &format!("{object}.pem"),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `enroll --json` on `station` with `extra` arguments; the events.
    fn enroll(&self, station: &str, extra: &[String]) -> (Output, Vec<Value>) {
        let mut args: Vec<String> = [
            "enroll",
            "--station",
            station,
            "--pki",
            "csca",
            "--journal",
            "journal.sqlite",
            "--card-feeder",
            "cards",
            "--out",
            "enrolments",
            "--applicant",
            "applicant.toml",
            "--json",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend_from_slice(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.permitkit(&refs);
        let events = text(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (out, events)
    }

    /// The EF.SOD of the one enrolment folder (or of `folder`).
    fn sod(&self, folder: &Path) -> Vec<u8> {
        std::fs::read(folder.join("SOD.bin")).unwrap()
    }

    fn enrolment_folders(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path("enrolments"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }

    /// The EF.SOD records of the audit (content type id-ldsSecurityObject): one per document.
    fn sod_records(&self, log: &str) -> Vec<Value> {
        self.audit(log)
            .into_iter()
            .filter(|r| r["content_type"] == "2.23.136.1.1.1")
            .collect()
    }

    /// The audit records (`pki audit export --json`).
    fn audit(&self, log: &str) -> Vec<Value> {
        self.ok(&["pki", "audit", "export", "--log", log, "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Runs `openssl` with `args` then `paths`; its stderr on failure.
fn openssl(args: &[&str], paths: &[&Path]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .args(paths)
        .output()
        .expect("OpenSSL is needed as the independent verifier: run .ci/install-deps");
    if out.status.success() {
        Ok(())
    } else {
        Err(text(&out.stderr))
    }
}

/// `openssl cms -verify` of EF.SOD (the `77` wrapper removed) with `csca` the only anchor.
fn openssl_verifies_sod(sod: &[u8], csca: &Path) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let content =
        permitkit_iso7816::tlv::parse_single(sod, permitkit_iso7816::tlv::Tag::new(0x77)).unwrap();
    let file = dir.path().join("sod.der");
    std::fs::write(&file, content.value()).unwrap();
    let o = Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-in"])
        .arg(&file)
        .arg("-CAfile")
        .arg(csca)
        .arg("-out")
        .arg(dir.path().join("lso.der"))
        .output()
        .expect("OpenSSL is needed as the independent verifier: run .ci/install-deps");
    if o.status.success() {
        Ok(())
    } else {
        Err(text(&o.stderr))
    }
}

fn event_kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_simulated_enrollment_signs_its_sod_through_the_token() {
    let desk = Desk::new();
    desk.document_signer("ds-2026");
    // The same name twice is refused: the key stays the one certified.
    let again = desk.permitkit(&[
        "pki",
        "ds",
        "request",
        "--token-uri",
        &Desk::uri("ds-2026"),
        "--module",
        &desk.module(),
        "--pin-file",
        "token.pin",
        "--subject-country",
        "UA",
        "--out",
        "again.csr",
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already holds a key"),
        "{}",
        text(&again.stderr)
    );

    let (out, events) = desk.enroll("simulated", &desk.token_args("ds-2026", "token.pin"));
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(event_kinds(&events).contains(&"summary".to_owned()));
    let folders = desk.enrolment_folders();
    assert_eq!(folders.len(), 1);
    let sod = desk.sod(&folders[0]);
    openssl_verifies_sod(&sod, &desk.path("csca/csca.pem")).unwrap();
    // The SOD carries the certificate issued for the token key.
    let ds_pem = std::fs::read_to_string(desk.path("ds-2026.pem")).unwrap();
    let parsed = permitkit_lds::sod::ParsedSod::parse(&sod).unwrap();
    let ds_der = permitkit_pki::signer::read_certificate(&desk.path("ds-2026.pem")).unwrap();
    assert!(ds_pem.contains("CERTIFICATE"));
    assert_eq!(parsed.certificates, [ds_der]);
    // Another CSCA is not trusted.
    desk.ok(&["pki", "csca", "init", "--country", "UA", "--out", "other"]);
    assert!(openssl_verifies_sod(&sod, &desk.path("other/csca.pem")).is_err());

    // One EF.SOD record (and one for EF.CardSecurity when the chip has one), beside the
    // journal, for one document, without its number in clear.
    let records = desk.audit("sod-audit.jsonl");
    let sods = desk.sod_records("sod-audit.jsonl");
    assert_eq!(sods.len(), 1, "{records:?}");
    assert!(records.len() <= 2, "{records:?}");
    for r in &records {
        assert_eq!(r["station"], "SIM-STATION-01");
        assert_eq!(r["document_hmac"], sods[0]["document_hmac"]);
    }
    // The record names the signature EF.SOD carries.
    let signature = &parsed.signers[0].signature;
    assert_eq!(
        sods[0]["signature_sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(signature))
    );
    let log = std::fs::read_to_string(desk.path("sod-audit.jsonl")).unwrap();
    assert!(!log.contains("FT4211207"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["sod-audit.jsonl", "sod-audit.key"] {
            let mode = std::fs::metadata(desk.path(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    let table = desk.ok(&["pki", "audit", "export", "--log", "sod-audit.jsonl"]);
    assert!(table.contains("1 document(s)"), "{table}");
}

#[test]
fn a_wrong_pin_stops_the_enrollment_with_a_clear_error() {
    let desk = Desk::new();
    desk.document_signer("ds");
    permitkit_model::private_file::write(&desk.path("wrong.pin"), b"999999").unwrap();
    let (out, _) = desk.enroll("simulated", &desk.token_args("ds", "wrong.pin"));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("CKR_PIN_INCORRECT"), "{err}");
    assert!(!err.contains("999999"));
    assert!(desk.audit_missing("sod-audit.jsonl"));
}

impl Desk {
    fn audit_missing(&self, log: &str) -> bool {
        !self.path(log).exists() || self.audit(log).is_empty()
    }
}

#[test]
fn the_station_profiles_document_signer_signs_until_its_cap() {
    let desk = Desk::new();
    desk.document_signer("ds");
    let section = format!(
        "\n[document_signer]\nmodule = \"{}\"\nkey_uri = \"{}\"\npin_file = \"token.pin\"\n\
         certificate = \"ds.pem\"\nmax_documents = 1\naudit_log = \"audit/sod.jsonl\"\n\
         audit_key = \"audit/sod.key\"\n",
        desk.module(),
        Desk::uri("ds")
    );
    std::fs::create_dir(desk.path("audit")).unwrap();
    let station = STATION.replace("id = \"simulated\"", "id = \"token-desk\"") + &section;
    std::fs::write(desk.path("token-desk.toml"), &station).unwrap();
    let (out, _) = desk.enroll("token-desk.toml", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let folders = desk.enrolment_folders();
    openssl_verifies_sod(&desk.sod(&folders[0]), &desk.path("csca/csca.pem")).unwrap();
    assert_eq!(desk.sod_records("audit/sod.jsonl").len(), 1);

    // The cap is 1: the next card is refused before anything is signed, and says why.
    std::fs::write(
        desk.path("applicant.toml"),
        APPLICANT.replace(
            "number = \"FT4211207\"",
            "number = \"FT4211207\"\nreplaces = \"FT4211207\"",
        ),
    )
    .unwrap();
    let (out, _) = desk.enroll("token-desk.toml", &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr) + &text(&out.stdout);
    assert!(err.contains("its cap is 1"), "{err}");
    assert_eq!(desk.sod_records("audit/sod.jsonl").len(), 1);

    // A broken section names the file and the field.
    let broken = station.replace("object=ds", "object=ds;x-vendor=1");
    std::fs::write(desk.path("token-desk.toml"), broken).unwrap();
    let (out, _) = desk.enroll("token-desk.toml", &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("token-desk.toml") && err.contains("document_signer.key_uri"),
        "{err}"
    );
}

#[test]
fn lds_build_signs_through_the_token() {
    let desk = Desk::new();
    desk.document_signer("ds");
    let data = |p: &str| format!("{}/testdata/{p}", env!("CARGO_MANIFEST_DIR"));
    let mut args: Vec<String> = [
        "lds",
        "build",
        "--applicant",
        &data("applicants/permanent-stateless.toml"),
        "--photo",
        &data("lds/face.jpg"),
        "--eyes",
        "184,155,119,152",
        "--signature",
        &data("lds/signature.png"),
        "--trust-point",
        "csca/eac/cvca.cvcert",
        "--out",
        "card",
        "--audit-log",
        "build-audit.jsonl",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(desk.token_args("ds", "token.pin"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    desk.ok(&refs);
    let sod = std::fs::read(desk.path("card/SOD.bin")).unwrap();
    openssl_verifies_sod(&sod, &desk.path("csca/csca.pem")).unwrap();
    let report = desk.ok(&["lds", "verify", "card", "--csca", "csca/csca.pem"]);
    assert!(report.contains("VALID"), "{report}");
    let records = desk.sod_records("build-audit.jsonl");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["station"], "permitkit");
}

#[test]
fn a_csca_key_made_on_the_token_issues_the_document_signer_and_the_crl() {
    let desk = Desk::new();
    let stdout = desk.ok(&[
        "pki",
        "csca",
        "init",
        "--country",
        "UA",
        "--out",
        "csca-hsm",
        "--token-uri",
        &Desk::uri("csca-2026"),
        "--module",
        &desk.module(),
        "--pin-file",
        "token.pin",
    ]);
    assert!(stdout.contains("sensitive, not extractable"), "{stdout}");
    // The folder names the key; it holds no key and no PIN.
    assert!(!desk.path("csca-hsm/csca-key.pem").exists());
    let named = std::fs::read_to_string(desk.path("csca-hsm/csca-key.uri")).unwrap();
    assert_eq!(
        named.trim(),
        format!("{}?module-path={}", Desk::uri("csca-2026"), desk.module())
    );
    assert!(!named.contains("pin"), "{named}");
    let csca = desk.path("csca-hsm/csca.pem");
    openssl(&["verify", "-check_ss_sig", "-CAfile"], &[&csca, &csca]).unwrap();
    let lint = desk.ok(&["pki", "lint", "csca-hsm/csca.pem"]);
    assert!(!lint.contains("ERROR"), "{lint}");

    // A Document Signer on the same token, certified by the CSCA key on the token.
    desk.ok(&[
        "pki",
        "ds",
        "request",
        "--token-uri",
        &Desk::uri("ds-hsm"),
        "--module",
        &desk.module(),
        "--pin-file",
        "token.pin",
        "--subject-country",
        "UA",
        "--out",
        "ds-hsm.csr",
    ]);
    desk.ok(&[
        "pki",
        "ds",
        "issue",
        "--csca",
        "csca-hsm",
        "--csr",
        "ds-hsm.csr",
        "--document-types",
        "IR",
        "--out",
        "ds-hsm.pem",
        "--pin-file",
        "token.pin",
    ]);
    openssl(&["verify", "-CAfile"], &[&csca, &desk.path("ds-hsm.pem")]).unwrap();
    // The CSCA on the token signs a CRL revoking it; OpenSSL checks the CRL's signature.
    desk.ok(&[
        "pki",
        "crl",
        "issue",
        "--csca",
        "csca-hsm",
        "--revoke",
        "ds-hsm.pem",
        "--out",
        "hsm.crl",
        "--pin-file",
        "token.pin",
    ]);
    let out = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(desk.path("hsm.crl"))
        .arg("-CAfile")
        .arg(&csca)
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out.stderr).contains("verify OK"),
        "{}",
        text(&out.stderr)
    );
    // Without the PIN the token key does not sign: a clear error, no CRL.
    let o = desk.permitkit(&[
        "pki",
        "crl",
        "issue",
        "--csca",
        "csca-hsm",
        "--out",
        "second.crl",
        "--pin-env",
        "PERMITKIT_TEST_NO_SUCH_PIN",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("PERMITKIT_TEST_NO_SUCH_PIN"),
        "{}",
        text(&o.stderr)
    );
    assert!(!desk.path("second.crl").exists());
}
