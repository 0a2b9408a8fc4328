//! EF.SOD against an independent implementation: OpenSSL verifies our CMS SignedData with the
//! test CSCA as its only trust anchor and extracts the LDSSecurityObject, which must equal ours
//! byte for byte. Passive authentication (x509-parser) must agree, and must name what breaks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{collections::BTreeMap, process::Command, time::SystemTime};

use permitkit_lds::{
    Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject, ParsedSod},
};
use permitkit_pki::{
    CheckStatus, passive_authentication,
    signer::FileKeySignature,
    test_pki::{TestPki, TestPkiOptions},
};

fn files() -> BTreeMap<Ef, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert(
        Ef::DG1,
        hex::decode(concat!(
            "615D5F1F5A",
            "493C55544F443233313435383930373C3C3C3C3C3C3C3C3C3C3C3C3C3C3C",
            "3734303831323246313230343135395554",
            "4F3C3C3C3C3C3C3C3C3C3C3C36",
            "4552494B53534F4E3C3C414E4E413C4D415249413C3C3C3C3C3C3C3C3C3C"
        ))
        .unwrap(),
    );
    f.insert(Ef::DG2, vec![0x75, 0x03, 0x01, 0x02, 0x03]);
    f.insert(Ef::DG14, vec![0x6E, 0x02, 0x31, 0x00]);
    f
}

fn signed(pki: &TestPki, files: &BTreeMap<Ef, Vec<u8>>) -> Vec<u8> {
    let lso = LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    );
    sod::sign::<_, FileKeySignature>(&lso, &pki.ds_der, &pki.ds_key, SystemTime::now()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

fn openssl() -> Command {
    let probe = Command::new("openssl").arg("version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "OpenSSL is needed as the independent CMS verifier: run .ci/install-deps"
    );
    Command::new("openssl")
}

#[test]
fn openssl_verifies_our_sod_and_extracts_the_same_lds_security_object() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let files = files();
    let sod = signed(&pki, &files);
    let dir = tempfile::tempdir().unwrap();
    pki.write_dir(dir.path()).unwrap();
    // The recipe: strip the 77 wrapper, DER input, -binary, the CSCA as the only CA.
    let parsed =
        permitkit_iso7816::tlv::parse_single(&sod, permitkit_iso7816::tlv::Tag::new(0x77)).unwrap();
    std::fs::write(dir.path().join("sod.der"), parsed.value()).unwrap();
    let out = openssl()
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-in"])
        .arg(dir.path().join("sod.der"))
        .arg("-CAfile")
        .arg(dir.path().join("csca.pem"))
        .arg("-out")
        .arg(dir.path().join("lso.der"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let extracted = std::fs::read(dir.path().join("lso.der")).unwrap();
    let ours = ParsedSod::parse(&sod).unwrap();
    assert_eq!(extracted, ours.econtent);
    let lso = LdsSecurityObject::from_der(&extracted).unwrap();
    assert_eq!(
        lso.hash_of(Ef::DG1).unwrap(),
        HashAlgorithm::Sha256.digest(&files[&Ef::DG1])
    );

    // A different CSCA is not trusted by OpenSSL either.
    let other = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    other.write_dir(other_dir.path()).unwrap();
    let out = openssl()
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-in"])
        .arg(dir.path().join("sod.der"))
        .arg("-CAfile")
        .arg(other_dir.path().join("csca.pem"))
        .arg("-out")
        .arg(other_dir.path().join("lso.der"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn signer_identifier_copies_the_certificate_issuer_bytes() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let sod = signed(&pki, &files());
    let parsed = ParsedSod::parse(&sod).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&pki.ds_der).unwrap();
    match &parsed.signers[0].sid {
        sod::SignerId::IssuerAndSerial { issuer, serial } => {
            assert_eq!(issuer.as_slice(), cert.issuer().as_raw());
            assert_eq!(serial.as_slice(), cert.tbs_certificate.raw_serial());
        }
        other => panic!("unexpected sid {other:?}"),
    }
    assert_eq!(parsed.certificates, vec![pki.ds_der.clone()]);
    assert_eq!(parsed.signers[0].version, 1);
    assert!(parsed.signers[0].signing_time.is_some());
    assert!(parsed.signers[0].content_type.is_some());
}

#[test]
fn passive_authentication_passes_and_names_every_tampering() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let files = files();
    let sod = signed(&pki, &files);
    let csca = vec![pki.csca_der.clone()];
    let report = passive_authentication(&sod, &files, &csca, now());
    assert!(report.is_valid(), "{report:#?}");

    // A flipped byte in any data group names that data group.
    for ef in files.keys() {
        let mut bad = files.clone();
        let last = bad.get_mut(ef).unwrap().last_mut().unwrap();
        *last ^= 0x01;
        let r = passive_authentication(&sod, &bad, &csca, now());
        assert!(!r.is_valid());
        let failed: Vec<_> = r.failures().map(|c| c.id.clone()).collect();
        assert_eq!(failed, vec![format!("hash:{}", ef.name())]);
    }

    // A flipped byte in the signature.
    let parsed = ParsedSod::parse(&sod).unwrap();
    let sig = &parsed.signers[0].signature;
    let at = sod
        .windows(sig.len())
        .position(|w| w == sig.as_slice())
        .unwrap();
    let mut bad_sig = sod.clone();
    bad_sig[at + sig.len() / 2] ^= 0x40;
    let r = passive_authentication(&bad_sig, &files, &csca, now());
    let failed: Vec<_> = r.failures().map(|c| c.id.as_str()).collect();
    assert!(failed.contains(&"signature"), "{failed:?}");

    // A wrong CSCA.
    let other = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let r = passive_authentication(&sod, &files, std::slice::from_ref(&other.csca_der), now());
    let failed: Vec<_> = r.failures().map(|c| c.id.as_str()).collect();
    assert_eq!(failed, vec!["certificate-chain"]);

    // Truncated and garbage SODs.
    for broken in [
        &sod[..sod.len() / 2],
        &[0x77, 0x03, 0x30, 0x01, 0x00][..],
        b"not a sod",
    ] {
        let r = passive_authentication(broken, &files, &csca, now());
        assert_eq!(r.checks.len(), 1);
        assert_eq!(r.checks[0].id, "sod-structure");
        assert_eq!(r.checks[0].status, CheckStatus::Fail);
    }

    // A data group the SOD does not list.
    let mut extra = files.clone();
    extra.insert(Ef::DG15, vec![0x6F, 0x00]);
    let r = passive_authentication(&sod, &extra, &csca, now());
    assert_eq!(
        r.failures().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec!["hash:DG15"]
    );
}
