//! The ICAO 9303-12 certificate life cycle on the command line, checked by OpenSSL as the
//! independent implementation: `pki csca init`, `pki ds issue` from a request OpenSSL made,
//! `pki crl issue`, `pki ml-signer issue`, `pki master-list sign|show`, `pki lint`, and passive
//! authentication with `lds verify --trust`, `card personalize|read --trust` and
//! `enroll --trust`. OpenSSL reads the extensions (`x509 -text`), verifies the chain and the CRL
//! (`verify -crl_check`, `crl -verify`), verifies the master list against the CSCA
//! (`cms -verify`) and shows its eContentType (`cms -cmsout -print`, `asn1parse`).
#![expect(
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use permitkit_pki::{
    files::read_der,
    lint::{LintOptions, lint},
    master_list::MasterList,
};

#[path = "support/cli.rs"]
mod cli;
use cli::{all_output, data, ok, openssl, permitkit, run, s};

/// `pki csca init --country <country> --out <out>`; its output.
fn csca_init(country: &str, out: &Path) -> String {
    ok(&permitkit(&[
        "pki",
        "csca",
        "init",
        "--country",
        country,
        "--out",
        s(out),
    ]))
}

/// `pki crl issue --csca <csca> [--revoke <cert>] --out <out>`; its output.
fn crl_issue(csca: &Path, revoke: Option<&Path>, out: &Path) -> String {
    let mut args = vec!["pki", "crl", "issue", "--csca", s(csca), "--out", s(out)];
    if let Some(cert) = revoke {
        args.extend(["--revoke", s(cert)]);
    }
    ok(&permitkit(&args))
}

/// A P-256 key and a PKCS#10 request made by OpenSSL, for `subject`.
fn openssl_request(dir: &Path, name: &str, subject: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}-key.pem"));
    let csr = dir.join(format!("{name}.csr"));
    ok(&run(openssl("the independent verifier").args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        s(&key),
        "-subj",
        subject,
        "-out",
        s(&csr),
    ])));
    (key, csr)
}

struct Pki {
    ca: PathBuf,
    ds: PathBuf,
    ds_key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let ca = dir.join("ca");
    let out = csca_init("UA", &ca);
    assert!(out.contains("lint: clean"), "{out}");
    let (ds_key, csr) = openssl_request(dir, "ds", "/C=UA/O=TEST ONLY/CN=Document Signer 7");
    let ds = dir.join("ds.pem");
    let out = ok(&permitkit(&[
        "pki",
        "ds",
        "issue",
        "--csca",
        s(&ca),
        "--csr",
        s(&csr),
        "--document-types",
        "IR,IP",
        "--out",
        s(&ds),
    ]));
    assert!(out.contains("lint: clean"), "{out}");
    Pki { ca, ds, ds_key }
}

#[test]
fn openssl_reads_the_profile_and_verifies_the_chain_and_the_crl() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(dir.path());
    let csca = p.ca.join("csca.pem");

    let ca_text = ok(&run(openssl("the independent verifier").args([
        "x509",
        "-noout",
        "-text",
        "-in",
        s(&csca),
    ])));
    for want in [
        "X509v3 Basic Constraints: critical",
        "CA:TRUE, pathlen:0",
        "X509v3 Key Usage: critical",
        "Certificate Sign, CRL Sign",
        "X509v3 Subject Key Identifier",
        "X509v3 Private Key Usage Period",
        "X509v3 CRL Distribution Points",
        "DirName:/L=UKR",
    ] {
        assert!(ca_text.contains(want), "CSCA: {want} missing:\n{ca_text}");
    }
    let ds_text = ok(&run(openssl("the independent verifier").args([
        "x509",
        "-noout",
        "-text",
        "-in",
        s(&p.ds),
    ])));
    for want in [
        "X509v3 Key Usage: critical",
        "Digital Signature",
        "X509v3 Authority Key Identifier",
        "X509v3 Subject Key Identifier",
        "X509v3 Private Key Usage Period",
        "X509v3 CRL Distribution Points",
        "URI:http://pki.test.invalid/UA/csca.crl",
        "2.23.136.1.1.6.2",
        "Subject: C = UA, O = TEST ONLY, CN = Document Signer 7",
    ] {
        assert!(ds_text.contains(want), "DS: {want} missing:\n{ds_text}");
    }
    assert!(!ds_text.contains("CA:TRUE"), "{ds_text}");
    ok(&run(openssl("the independent verifier").args([
        "verify",
        "-CAfile",
        s(&csca),
        s(&p.ds),
    ])));

    // A CRL revoking nothing, then one revoking the DS: OpenSSL verifies both CRLs' signatures
    // and sees the revocation.
    let empty = dir.path().join("empty.crl");
    crl_issue(&p.ca, None, &empty);
    let revoked = dir.path().join("revoked.crl");
    let out = crl_issue(&p.ca, Some(&p.ds), &revoked);
    assert!(out.contains("CRL number 2"), "{out}");
    for (crl, pem) in [(&empty, "empty-crl.pem"), (&revoked, "revoked-crl.pem")] {
        let o = run(openssl("the independent verifier").args([
            "crl",
            "-inform",
            "DER",
            "-in",
            s(crl),
            "-CAfile",
            s(&csca),
            "-noout",
        ]));
        assert!(
            o.status.success() && all_output(&o).contains("verify OK"),
            "{}",
            all_output(&o)
        );
        ok(&run(openssl("the independent verifier").args([
            "crl",
            "-inform",
            "DER",
            "-in",
            s(crl),
            "-out",
            s(&dir.path().join(pem)),
        ])));
    }
    let crl_text = ok(&run(openssl("the independent verifier").args([
        "crl",
        "-inform",
        "DER",
        "-in",
        s(&revoked),
        "-noout",
        "-text",
    ])));
    for want in [
        "Version 2",
        "X509v3 CRL Number",
        "X509v3 Authority Key Identifier",
        "Next Update",
    ] {
        assert!(crl_text.contains(want), "{want}:\n{crl_text}");
    }
    assert!(
        !crl_text.contains("CRL Reason Code"),
        "entry extensions are 'x' in Table 10"
    );
    ok(&run(openssl("the independent verifier").args([
        "verify",
        "-crl_check",
        "-CAfile",
        s(&csca),
        "-CRLfile",
        s(&dir.path().join("empty-crl.pem")),
        s(&p.ds),
    ])));
    let o = run(openssl("the independent verifier").args([
        "verify",
        "-crl_check",
        "-CAfile",
        s(&csca),
        "-CRLfile",
        s(&dir.path().join("revoked-crl.pem")),
        s(&p.ds),
    ]));
    assert!(
        !o.status.success() && all_output(&o).contains("certificate revoked"),
        "{}",
        all_output(&o)
    );

    // The linter is clean on all of it.
    let o = permitkit(&["pki", "lint", s(&csca), s(&p.ds), "--json"]);
    let out = ok(&o);
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        reports
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["clean"] == true),
        "{out}"
    );
}

#[test]
fn openssl_verifies_the_master_list_against_the_csca_and_finds_the_certificates_given() {
    let dir = tempfile::tempdir().unwrap();
    let ua = dir.path().join("ua");
    let de = dir.path().join("de");
    csca_init("UA", &ua);
    csca_init("DE", &de);
    let mls = dir.path().join("mls");
    let out = ok(&permitkit(&[
        "pki",
        "ml-signer",
        "issue",
        "--csca",
        s(&ua),
        "--out",
        s(&mls),
    ]));
    assert!(out.contains("lint: clean"), "{out}");
    let ml = dir.path().join("ml.der");
    ok(&permitkit(&[
        "pki",
        "master-list",
        "sign",
        "--signer",
        s(&mls),
        "--csca",
        s(&ua),
        "--csca",
        s(&de.join("csca.pem")),
        "--out",
        s(&ml),
    ]));

    let content = dir.path().join("content.der");
    let o = run(openssl("the independent verifier").args([
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-in",
        s(&ml),
        "-binary",
        "-CAfile",
        s(&ua.join("csca.pem")),
        "-purpose",
        "any",
        "-out",
        s(&content),
    ]));
    assert!(
        o.status.success(),
        "openssl cms -verify: {}",
        all_output(&o)
    );
    let parsed = MasterList::parse(&std::fs::read(&ml).unwrap()).unwrap();
    assert_eq!(std::fs::read(&content).unwrap(), parsed.signed.econtent);
    let mut listed = parsed.certificates.clone();
    listed.sort();
    let mut given = vec![
        read_der(&ua.join("csca.pem"), "CERTIFICATE").unwrap(),
        read_der(&de.join("csca.pem"), "CERTIFICATE").unwrap(),
    ];
    given.sort();
    assert_eq!(
        listed, given,
        "the master list holds exactly the certificates given"
    );
    // OpenSSL's own view of the content: CscaMasterList { version 0, certList of 2 }.
    let asn1 = ok(&run(openssl("the independent verifier").args([
        "asn1parse",
        "-inform",
        "DER",
        "-in",
        s(&content),
    ])));
    let zeros = asn1
        .lines()
        .filter(|l| l.contains("INTEGER") && l.trim_end().ends_with(":00"))
        .count();
    assert_eq!(zeros, 1, "version 0 and no other zero INTEGER:\n{asn1}");

    let printed = ok(&run(openssl("the independent verifier").args([
        "cms",
        "-cmsout",
        "-print",
        "-inform",
        "DER",
        "-in",
        s(&ml),
    ])));
    let econtent_type = printed
        .lines()
        .find(|l| l.contains("eContentType:"))
        .unwrap();
    assert!(
        econtent_type.contains("(2.23.136.1.1.2)"),
        "{econtent_type}"
    );
    let asn1 = ok(&run(openssl("the independent verifier").args([
        "asn1parse",
        "-inform",
        "DER",
        "-in",
        s(&ml),
    ])));
    assert!(asn1.contains(":2.23.136.1.1.2"), "{asn1}");

    // Against the other State's CSCA OpenSSL refuses it.
    let o = run(openssl("the independent verifier").args([
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-in",
        s(&ml),
        "-binary",
        "-CAfile",
        s(&de.join("csca.pem")),
        "-purpose",
        "any",
        "-out",
        s(&content),
    ]));
    assert!(!o.status.success(), "{}", all_output(&o));

    // `master-list show`: verified against a trust store, or flagged; a tampered list exits 2.
    let out = ok(&permitkit(&[
        "pki",
        "master-list",
        "show",
        s(&ml),
        "--trust",
        s(&ua.join("csca.pem")),
    ]));
    assert!(
        out.contains("signature: VALID") && out.contains(" DE "),
        "{out}"
    );
    let mut bad = std::fs::read(&ml).unwrap();
    let sig = &parsed.signed.signers[0].signature;
    let at = bad
        .windows(sig.len())
        .position(|w| w == sig.as_slice())
        .unwrap();
    bad[at + 12] ^= 0x01;
    let bad_ml = dir.path().join("bad.der");
    std::fs::write(&bad_ml, &bad).unwrap();
    let o = permitkit(&[
        "pki",
        "master-list",
        "show",
        s(&bad_ml),
        "--trust",
        s(&ua.join("csca.pem")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    assert!(
        all_output(&o).contains("signature: NOT VALID: signature:"),
        "{}",
        all_output(&o)
    );
    // As a trust store, the tampered list is refused, naming it and the check: exit 1.
    let o = permitkit(&["pki", "trust", "show", s(&ua.join("csca.pem")), s(&bad_ml)]);
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
    assert!(
        all_output(&o).contains("bad.der: signature:"),
        "{}",
        all_output(&o)
    );
    let o = permitkit(&["pki", "trust", "show", s(&ua.join("csca.pem")), s(&ml)]);
    let out = ok(&o);
    assert!(
        out.contains("master-list") && out.contains("2 anchor(s)"),
        "{out}"
    );

    // The ML signer certificate is clean; a self-signed certificate OpenSSL makes with its
    // defaults is not a CSCA by the profile.
    let report = lint(
        &read_der(&mls.join("ml-signer.pem"), "CERTIFICATE").unwrap(),
        &LintOptions::default(),
    )
    .unwrap();
    assert!(report.is_clean(), "{report:#?}");
    let plain = dir.path().join("plain.pem");
    ok(&run(openssl("the independent verifier").args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        s(&dir.path().join("plain-key.pem")),
        "-subj",
        "/C=UA/CN=plain",
        "-days",
        "30",
        "-out",
        s(&plain),
    ])));
    let o = permitkit(&["pki", "lint", s(&plain)]);
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    let out = all_output(&o);
    for id in [
        "key-usage",
        "private-key-usage-period",
        "crl-distribution-points",
    ] {
        assert!(out.contains(id), "{id} not flagged:\n{out}");
    }
}

/// A card signed by the Document Signer issued above, verified with `lds verify --trust`.
#[test]
fn lds_verify_with_a_trust_store_fails_a_revoked_document_signer_naming_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(dir.path());
    // The signing folder `lds build --pki` takes: the DS, its key (OpenSSL's), the CSCA.
    let signing = dir.path().join("signing");
    std::fs::create_dir_all(&signing).unwrap();
    std::fs::copy(&p.ds, signing.join("ds.pem")).unwrap();
    std::fs::copy(&p.ds_key, signing.join("ds-key.pem")).unwrap();
    std::fs::copy(p.ca.join("csca.pem"), signing.join("csca.pem")).unwrap();
    // The documents' chip profile names an EAC trust point: the TEST ONLY one `pki init` makes.
    ok(&permitkit(&[
        "pki",
        "eac",
        "init",
        "--out",
        s(&signing.join("eac")),
    ]));
    let applicant = dir.path().join("applicant.toml");
    std::fs::copy(
        data("applicants/temporary-foreign-national.toml"),
        &applicant,
    )
    .unwrap();
    for (seed, name) in [("21", "ri.png"), ("22", "li.png")] {
        ok(&permitkit(&[
            "finger",
            "synth",
            "--seed",
            seed,
            "--out",
            s(&dir.path().join(name)),
        ]));
    }
    let card = dir.path().join("card");
    ok(&permitkit(&[
        "lds",
        "build",
        "--applicant",
        s(&applicant),
        "--photo",
        &data("lds/face.jpg"),
        "--eyes",
        "184,155,119,152",
        "--finger",
        &format!("right-index={}", dir.path().join("ri.png").display()),
        "--finger",
        &format!("left-index={}", dir.path().join("li.png").display()),
        "--signature",
        &data("lds/signature.png"),
        "--pki",
        s(&signing),
        "--out",
        s(&card),
    ]));

    let trust = dir.path().join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(p.ca.join("csca.pem"), trust.join("ua-csca.pem")).unwrap();
    crl_issue(&p.ca, None, &trust.join("ua.crl"));
    let out = ok(&permitkit(&[
        "lds",
        "verify",
        s(&card),
        "--trust",
        s(&trust),
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], true, "{out}");
    let status = |r: &serde_json::Value, id: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| {
                (
                    c["status"].as_str().unwrap().to_owned(),
                    c["detail"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    assert_eq!(status(&report, "ds-revocation").0, "pass");
    assert_eq!(status(&report, "csca-country").0, "pass");
    assert!(
        status(&report, "certificate-chain")
            .1
            .contains("ua-csca.pem"),
        "{out}"
    );

    // The card: personalized with passive authentication against the store, then read.
    let state = dir.path().join("card.json");
    ok(&permitkit(&[
        "card",
        "personalize",
        "--reader",
        "sim",
        "--state",
        s(&state),
        "--image",
        s(&card),
        "--journal",
        s(&dir.path().join("perso-journal")),
        "--trust",
        s(&trust),
    ]));
    let read = |trust: &Path| {
        permitkit(&[
            "card",
            "read",
            "--reader",
            "sim",
            "--state",
            s(&state),
            "--chip-keys",
            s(&card.join("chip-keys.json")),
            "--trust",
            s(trust),
        ])
    };
    let out = ok(&read(&trust));
    assert!(
        out.contains("ok   ds-revocation") && out.contains("ok   csca-country"),
        "{out}"
    );

    // Revoked: the new CRL replaces the old one in the store (number 2).
    crl_issue(&p.ca, Some(&p.ds), &trust.join("ua.crl"));
    let o = permitkit(&["lds", "verify", s(&card), "--trust", s(&trust)]);
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    let out = all_output(&o);
    assert!(
        out.contains("FAIL ds-revocation") && out.contains("NOT VALID"),
        "{out}"
    );
    let o = permitkit(&["lds", "verify", s(&card), "--trust", s(&trust), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(status(&report, "ds-revocation").0, "fail");
    let o = read(&trust);
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    assert!(
        all_output(&o).contains("FAIL ds-revocation"),
        "{}",
        all_output(&o)
    );

    // The old option still works: no CRL, revocation not checked.
    let out = ok(&permitkit(&[
        "lds",
        "verify",
        s(&card),
        "--csca",
        s(&p.ca.join("csca.pem")),
    ]));
    assert!(
        out.contains("ds-revocation") && out.contains("VALID"),
        "{out}"
    );
    // A store without this CSCA: the chain fails, naming it.
    let other = dir.path().join("other");
    csca_init("UA", &other);
    let o = permitkit(&[
        "lds",
        "verify",
        s(&card),
        "--trust",
        s(&other.join("csca.pem")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        all_output(&o).contains("FAIL certificate-chain"),
        "{}",
        all_output(&o)
    );
}

/// The station: `enroll --trust` verifies the card it issues against the store given; a CRL
/// revoking its own Document Signer stops the card before it is locked, naming the check.
#[test]
fn enroll_with_a_trust_store_refuses_a_card_whose_document_signer_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    ok(&permitkit(&["pki", "init", "--out", s(&pki)]));
    let crl = dir.path().join("pki.crl");
    crl_issue(&pki, Some(&pki.join("ds.pem")), &crl);
    let o = Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args([
            "enroll",
            "--applicant",
            &data("applicants/temporary-foreign-national.toml"),
            "--pki",
            s(&pki),
            "--trust",
            s(&pki.join("csca.pem")),
            "--trust",
            s(&crl),
            "--journal",
            s(&dir.path().join("journal.sqlite")),
            "--out",
            s(&dir.path().join("enrolments")),
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
    let out = all_output(&o);
    assert!(
        out.contains("passive authentication failed: ds-revocation: the Document Signer"),
        "{out}"
    );
}
