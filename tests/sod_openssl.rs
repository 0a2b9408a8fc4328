//! EF.SOD against an independent implementation: OpenSSL verifies our CMS SignedData with the
//! test CSCA as its only trust anchor and extracts the LDSSecurityObject, which must equal ours
//! byte for byte. Passive authentication (x509-parser) must agree, and must name what breaks.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{collections::BTreeMap, time::SystemTime};

use permitkit_lds::{
    Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject, ParsedSod},
};
use permitkit_pki::{
    CheckStatus, passive_authentication,
    signer::FileKeySignature,
    test_pki::{TestPki, TestPkiOptions},
};

#[path = "support/cli.rs"]
mod cli;
use cli::openssl;

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
    // EF.COM listing DG1, DG2, DG14 (LDS 1.7, Unicode 4.0.0; docs/spec/lds.md §3).
    f.insert(
        Ef::Com,
        hex::decode("60155F0104303130375F36063034303030305C0361756E").unwrap(),
    );
    f
}

/// A test PKI whose Document Signer may sign the specimen above: document code `I` (`I<`
/// without its filler). Its country is Ukraine's; Utopia (`UTO`) has no ISO 3166-1 alpha-2
/// code, so passive authentication reports the country check as not made.
fn specimen_pki() -> TestPki {
    TestPki::generate(&TestPkiOptions {
        document_types: vec!["I".into()],
        ..TestPkiOptions::default()
    })
    .unwrap()
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
    let out = openssl("the independent CMS verifier")
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
    let out = openssl("the independent CMS verifier")
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
    let pki = specimen_pki();
    let files = files();
    let sod = signed(&pki, &files);
    let csca = vec![pki.csca_der.clone()];
    let report = passive_authentication(&sod, &files, &csca, now());
    assert!(report.is_valid(), "{report:#?}");
    let country = report.checks.iter().find(|c| c.id == "ds-country").unwrap();
    assert_eq!(country.status, CheckStatus::NotChecked, "{country:?}");

    // A flipped byte in any data group names that data group.
    for ef in files.keys().filter(|e| matches!(e, Ef::Dg(_))) {
        let mut bad = files.clone();
        let last = bad.get_mut(ef).unwrap().last_mut().unwrap();
        *last ^= 0x01;
        let r = passive_authentication(&sod, &bad, &csca, now());
        assert!(!r.is_valid());
        let failed: Vec<_> = r.failures().map(|c| c.id.clone()).collect();
        assert_eq!(failed, vec![format!("hash:{}", ef.name())]);
    }

    // A flipped byte in EF.COM (which EF.SOD does not cover): DG14's tag 6E becomes 6F.
    let mut bad = files.clone();
    *bad.get_mut(&Ef::Com).unwrap().last_mut().unwrap() ^= 0x01;
    let r = passive_authentication(&sod, &bad, &csca, now());
    let failed: Vec<_> = r.failures().map(|c| c.id.as_str()).collect();
    assert_eq!(failed, vec!["com", "hash:DG15"]);

    // The default test PKI signs only IR and IP: the specimen's I is not its to sign.
    let permits_only = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let r = passive_authentication(
        &signed(&permits_only, &files),
        &files,
        std::slice::from_ref(&permits_only.csca_der),
        now(),
    );
    assert_eq!(
        r.failures()
            .map(|c| (c.id.as_str(), c.detail.as_str()))
            .collect::<Vec<_>>(),
        vec![(
            "ds-document-type",
            "document code \"I\" is not in the Document Signer's documentTypeList [IP, IR]"
        )]
    );

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
    let other = specimen_pki();
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

/// OpenSSL reads the Document Signer certificate's private key usage period and
/// documentTypeList as our scope reader does (ICAO 9303-12 §7.1; RFC 3280 §4.2.1.4).
#[test]
fn openssl_reads_the_signer_scope_we_read() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write_dir(dir.path()).unwrap();
    let out = openssl("the independent CMS verifier")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.path().join("ds.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // "X509v3 Private Key Usage Period: \n Not Before: Dec  3 10:36:40 2026 GMT, Not After: …"
    let period = text
        .split("Private Key Usage Period:")
        .nth(1)
        .unwrap()
        .lines()
        .find(|l| l.contains("Not Before"))
        .unwrap()
        .trim()
        .to_owned();
    let stamp = |label: &str| -> i64 {
        let rest = period.split(label).nth(1).unwrap().trim();
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|m| *m == parts[0])
        .map(|i| u8::try_from(i + 1).unwrap())
        .unwrap();
        let day: u8 = parts[1].parse().unwrap();
        let hms: Vec<i64> = parts[2].split(':').map(|v| v.parse().unwrap()).collect();
        let year: u16 = parts[3].trim_end_matches(',').parse().unwrap();
        let date = permitkit_lds::mrz::Date::new(year, month, day).unwrap();
        let days = (0..100_000)
            .find(|d| permitkit_lds::mrz::Date::from_unix_days(*d) == Some(date))
            .unwrap();
        days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    };
    let scope = sod::SignerScope::from_certificate(&pki.ds_der).unwrap();
    let ours = scope.key_usage_period.unwrap();
    assert_eq!(ours.not_before, Some(stamp("Not Before:")), "{period}");
    assert_eq!(ours.not_after, Some(stamp("Not After:")), "{period}");
    assert_eq!(scope.country.as_deref(), Some("UA"));
    assert!(text.contains("C=UA") || text.contains("C = UA"), "{text}");
    // OpenSSL does not know the documentTypeList: it names the OID and dumps the value, in
    // which the two PrintableStrings stand out.
    assert!(text.contains("2.23.136.1.1.6.2"), "{text}");
    let after = text.split("2.23.136.1.1.6.2").nth(1).unwrap();
    let dump: String = after.lines().nth(1).unwrap().trim().to_owned();
    assert!(dump.contains("IP") && dump.contains("IR"), "{dump}");
    assert_eq!(
        scope.document_types,
        Some(vec!["IP".to_owned(), "IR".to_owned()]),
        "DER sorts the SET OF"
    );
}
