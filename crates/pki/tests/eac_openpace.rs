//! OpenPACE, an independent CV certificate implementation (Debian package `openpace`), checks
//! the EAC PKI both ways:
//! - `cvc-print --cvc FILE --cvc-dir DIR` decodes and verifies every certificate `EacPki`
//!   writes (what `permitkit pki eac init` and `pki eac link` write), on every curve, CVCA
//!   rollover link certificates included: it looks each CAR up as a file named after it in DIR,
//!   up to a CVCA, and checks signatures and (for all but CVCA certificates) today's validity;
//! - certificates `cvc-create` makes (CVCA, DV, IS, keys from `openssl genpkey`) decode and
//!   verify with `permitkit-cvc`, and its PKCS#8 keys load as our file keys.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::Path;
use std::process::Command;

use permitkit_cvc::{Curve, CvCertificate, CvDate, CvSigner, Role};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};
use permitkit_pki::eac::{EacPki, EacPkiOptions, read_certificate, read_key};

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("--help").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{name} (Debian package openpace, or openssl) is needed as the independent CV \
         certificate implementation: run .ci/install-deps"
    );
    Command::new(name)
}

/// `cvc-print`'s verdict on `cert`, with the certificates of `trusted` as its lookup folder
/// (each stored under its CHR, as OpenPACE's `CVC_default_lookup` expects).
fn cvc_print(cert: &Path, trusted: &[&CvCertificate]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    for c in trusted {
        std::fs::write(
            dir.path().join(c.holder().to_string()),
            c.to_bytes().unwrap(),
        )
        .unwrap();
    }
    let out = tool("cvc-print")
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

#[test]
fn cvc_print_verifies_every_certificate_the_eac_pki_writes() {
    let today = CvDate::today().unwrap();
    for curve in [
        Curve::BrainpoolP256r1,
        Curve::P256,
        Curve::BrainpoolP384r1,
        Curve::P384,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = EacPkiOptions::new(today);
        opts.curve = curve;
        let pki = EacPki::generate(&opts).unwrap();
        pki.write_dir(dir.path()).unwrap();
        let trusted = [&pki.cvca.certificate, &pki.dv.certificate];
        for name in ["cvca", "dv", "is"] {
            let file = dir.path().join(format!("{name}.cvcert"));
            let (ok, text) = cvc_print(&file, &trusted);
            assert!(ok, "{curve} {name}: {text}");
            let cert = read_certificate(&file).unwrap();
            assert!(text.contains(&format!("CHR: {}", cert.holder())), "{text}");
        }
        // The rollover: the link certificate verifies with the old CVCA, the new DV and IS
        // with the new CVCA.
        let next = pki.rollover(&opts).unwrap();
        let dir2 = tempfile::tempdir().unwrap();
        next.write_dir(dir2.path()).unwrap();
        let trusted2 = [
            &pki.cvca.certificate,
            &next.cvca.certificate,
            &next.dv.certificate,
        ];
        for name in ["link", "cvca", "dv", "is"] {
            let (ok, text) = cvc_print(&dir2.path().join(format!("{name}.cvcert")), &trusted2);
            assert!(ok, "{curve} rollover {name}: {text}");
        }
        // A changed byte in the IS's body: OpenPACE refuses it too.
        let mut bytes = next.is.certificate.to_bytes().unwrap();
        let at = bytes.len() - next.is.certificate.signature().len() - 10;
        bytes[at] ^= 0x01;
        let tampered = dir2.path().join("tampered.cvcert");
        std::fs::write(&tampered, &bytes).unwrap();
        let (ok, text) = cvc_print(&tampered, &trusted2);
        assert!(!ok, "a tampered certificate verified: {text}");
    }
}

#[test]
fn certificates_cvc_create_makes_verify_with_our_crate() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f);
    for k in ["cvca", "dv", "is"] {
        let out = tool("openssl")
            .args(["genpkey", "-algorithm", "EC", "-pkeyopt"])
            .arg("ec_paramgen_curve:brainpoolP256r1")
            .args(["-outform", "DER", "-out"])
            .arg(p(&format!("{k}.sec1")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // OpenSSL 3.0 writes EC keys in SEC1 form here; PKCS#8 is what both sides exchange.
        let out = tool("openssl")
            .args([
                "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER", "-in",
            ])
            .arg(p(&format!("{k}.sec1")))
            .arg("-out")
            .arg(p(&format!("{k}.pkcs8")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let today = CvDate::today().unwrap();
    let yymmdd = |d: CvDate| {
        d.to_bcd()
            .iter()
            .map(|b| char::from(b'0' + b))
            .collect::<String>()
    };
    let create = |args: &[String]| {
        let out = tool("cvc-create").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "cvc-create {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = |x: &Path| x.display().to_string();
    create(&[
        "--role=cvca".into(),
        "--type=is".into(),
        "--chr=UAOPCVCA00001".into(),
        format!("--expires={}", yymmdd(today.add_days(365).unwrap())),
        format!("--sign-with={}", s(&p("cvca.pkcs8"))),
        "--scheme=ECDSA_SHA_256".into(),
        "--read-finger".into(),
        format!("--out-cert={}", s(&p("cvca.cvcert"))),
    ]);
    create(&[
        "--role=dv_domestic".into(),
        "--chr=UAOPDV00001".into(),
        format!("--expires={}", yymmdd(today.add_days(90).unwrap())),
        format!("--sign-with={}", s(&p("cvca.pkcs8"))),
        format!("--sign-as={}", s(&p("cvca.cvcert"))),
        format!("--key={}", s(&p("dv.pkcs8"))),
        "--scheme=ECDSA_SHA_256".into(),
        "--read-finger".into(),
        format!("--out-cert={}", s(&p("dv.cvcert"))),
    ]);
    create(&[
        "--role=terminal".into(),
        "--chr=UAOPIS00001".into(),
        format!("--expires={}", yymmdd(today.add_days(30).unwrap())),
        format!("--sign-with={}", s(&p("dv.pkcs8"))),
        format!("--sign-as={}", s(&p("dv.cvcert"))),
        format!("--key={}", s(&p("is.pkcs8"))),
        "--scheme=ECDSA_SHA_256".into(),
        "--read-finger".into(),
        format!("--out-cert={}", s(&p("is.cvcert"))),
    ]);
    let cvca = read_certificate(&p("cvca.cvcert")).unwrap();
    let dv = read_certificate(&p("dv.cvcert")).unwrap();
    let is = read_certificate(&p("is.cvcert")).unwrap();
    // Our encoder writes OpenPACE's certificates back byte for byte.
    for (c, f) in [(&cvca, "cvca"), (&dv, "dv"), (&is, "is")] {
        assert_eq!(
            c.to_bytes().unwrap(),
            std::fs::read(p(&format!("{f}.cvcert"))).unwrap()
        );
    }
    let tp = TrustPoint::from_certificate(&cvca).unwrap();
    assert_eq!(tp.as_verified().curve, Curve::BrainpoolP256r1);
    tp.as_verified()
        .verify_signature(cvca.body_bytes(), cvca.signature())
        .unwrap();
    let end = verify_chain(&[tp], &[dv, is], today, DatePolicy::Validity).unwrap();
    assert_eq!(end.role, Role::Terminal);
    assert!(end.effective_chat.reads_dg3() && !end.effective_chat.reads_dg4());
    // OpenPACE's PKCS#8 keys are our file keys; the IS key is the certificate's.
    let key = read_key(&p("is.pkcs8")).unwrap();
    assert_eq!(key.public_point(), end.key.point().unwrap());
}
