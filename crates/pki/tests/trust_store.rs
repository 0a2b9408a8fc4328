//! Passive authentication against a trust store (ICAO Doc 9303-12 §6.1, Appendix D): the anchor
//! found by the Document Signer's authorityKeyIdentifier and named in the report, link
//! certificates as anchors, master lists accepted only when their signature verifies, CRLs
//! (signature, currency, revocation) and the CSCA's country against the document — and each
//! refusal failing the check that names it.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, SystemTime},
};

use permitkit_lds::{
    Dg1, Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject},
};
use permitkit_pki::{
    CheckStatus, PaReport,
    crl::{self, CrlOptions, Revocation},
    csca::{self, CscaOptions},
    deviation_list::DeviationList,
    ds_issue::{self, DsOptions},
    files::{new_file_key, test_only_note, write_pem, write_public},
    master_list,
    master_list_signer::{self, ListSignerOptions},
    passive_auth::verify_trusted,
    profile::{
        CertificateParts, DAY, ID_ICAO_DEVIATION_LIST, Lifetime, MONTH, NameParts, Role, YEAR,
        extensions as ext, issue_certificate, key_identifier, serial_of, spki_of, unix_seconds,
    },
    signed_data::{SignedListError, sign::sign_list},
    signer::{FileKey, FileKeySignature},
    trust::{TrustError, TrustStore, TrustStoreBuilder},
};

type Sig = FileKeySignature;

/// A Ukrainian temporary residence permit's MRZ (the specimen of the passive authentication
/// unit tests, check digits computed).
const MRZ: &str = concat!(
    "IRUKRFT12345675<<<<<<<<<<<<<<<",
    "8803141M2711198USA<<<<<<<<<<<6",
    "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
);
/// EF.COM (LDS 1.7, Unicode 4.0.0) listing DG1 and DG2 (docs/spec/lds.md §3).
const COM: &str = "60145F0104303130375F36063034303030305C026175";

struct Ca {
    der: Vec<u8>,
    key: FileKey,
}

fn ca_at(country: &str, not_before: SystemTime) -> Ca {
    let key = new_file_key().unwrap();
    let der = csca::issue_root::<_, Sig>(
        &key,
        &CscaOptions {
            not_before,
            ..CscaOptions::test_only(country)
        },
    )
    .unwrap();
    Ca { der, key }
}

fn ca(country: &str) -> Ca {
    ca_at(country, SystemTime::now() - Duration::from_secs(3600))
}

struct Ds {
    der: Vec<u8>,
    key: FileKey,
}

fn ds(ca: &Ca, country: &str) -> Ds {
    let key = new_file_key().unwrap();
    let der = ds_issue::issue::<_, Sig>(
        &ca.der,
        &ca.key,
        &NameParts::test_only(country, "Document Signer")
            .to_name()
            .unwrap(),
        spki_of(key.verifying_key()).unwrap(),
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap();
    Ds { der, key }
}

/// DG1, DG2, EF.COM and EF.SOD signed by `ds`.
fn card(ds: &Ds) -> BTreeMap<Ef, Vec<u8>> {
    let mut files = BTreeMap::from([
        (Ef::DG1, Dg1::new(MRZ).unwrap().encode().unwrap()),
        (Ef::DG2, vec![0x75, 0x03, 0x01, 0x02, 0x03]),
    ]);
    let lso = LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    );
    let sod = sod::sign::<_, Sig>(&lso, &ds.der, &ds.key, SystemTime::now()).unwrap();
    files.insert(Ef::Sod, sod);
    files.insert(Ef::Com, hex::decode(COM).unwrap());
    files
}

fn now() -> i64 {
    unix_seconds(SystemTime::now())
}

fn pa(files: &BTreeMap<Ef, Vec<u8>>, store: &TrustStore) -> PaReport {
    verify_trusted(&files[&Ef::Sod], files, store, now())
}

fn check<'r>(r: &'r PaReport, id: &str) -> &'r permitkit_pki::Check {
    r.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {r:#?}"))
}

fn failures(r: &PaReport) -> Vec<&str> {
    r.failures().map(|c| c.id.as_str()).collect()
}

fn crl_for(
    ca: &Ca,
    revoked: &[&[u8]],
    this_update: SystemTime,
    next_update: SystemTime,
) -> Vec<u8> {
    crl::issue::<_, Sig>(
        &ca.der,
        &ca.key,
        &CrlOptions {
            number: 1,
            this_update,
            next_update,
            revoked: revoked
                .iter()
                .map(|s| Revocation {
                    serial: s.to_vec(),
                    date: this_update,
                })
                .collect(),
        },
    )
    .unwrap()
}

fn store_of(dir: &Path) -> Result<TrustStore, TrustError> {
    let mut b = TrustStoreBuilder::new();
    b.add_path(dir)?;
    b.build(now())
}

fn pem(dir: &Path, name: &str, der: &[u8]) {
    write_pem(&dir.join(name), "CERTIFICATE", der, &test_only_note(name)).unwrap();
}

#[test]
fn a_card_verifies_against_a_folder_naming_the_anchor_and_every_check() {
    let ua = ca("UA");
    let signer = ds(&ua, "UA");
    let files = card(&signer);
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "ua-csca.pem", &ua.der);
    let t = SystemTime::now() - Duration::from_secs(60);
    write_public(
        &dir.path().join("ua.crl"),
        &crl_for(&ua, &[], t, t + 90 * DAY),
    )
    .unwrap();
    // 20 other States' CSCAs beside it.
    for i in 0..20 {
        pem(
            dir.path(),
            &format!("other-{i:02}.pem"),
            &ca(["DE", "FR", "PL", "NL"][i % 4]).der,
        );
    }
    let store = store_of(dir.path()).unwrap();
    assert_eq!(store.anchors().len(), 21);
    let r = pa(&files, &store);
    assert!(r.is_valid(), "{r:#?}");
    let chain = check(&r, "certificate-chain");
    assert!(
        chain.detail.contains("CSCA root") && chain.detail.contains("ua-csca.pem"),
        "{chain:?}"
    );
    for id in [
        "csca-country",
        "crl-signature",
        "crl-validity",
        "ds-revocation",
    ] {
        assert_eq!(check(&r, id).status, CheckStatus::Pass, "{id}: {r:#?}");
    }
    assert!(check(&r, "csca-country").detail.contains("UKR"), "{r:#?}");
}

#[test]
fn a_document_signer_revoked_by_the_crl_fails_ds_revocation() {
    let ua = ca("UA");
    let signer = ds(&ua, "UA");
    let files = card(&signer);
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "csca.pem", &ua.der);
    let serial = serial_of(&signer.der).unwrap();
    let t = SystemTime::now() - Duration::from_secs(60);
    write_public(
        &dir.path().join("ua.crl"),
        &crl_for(&ua, &[&serial], t, t + 90 * DAY),
    )
    .unwrap();
    let r = pa(&files, &store_of(dir.path()).unwrap());
    assert!(!r.is_valid());
    assert_eq!(failures(&r), vec!["ds-revocation"], "{r:#?}");
    assert!(
        check(&r, "ds-revocation").detail.contains("was revoked"),
        "{r:#?}"
    );
}

#[test]
fn an_expired_crl_fails_crl_validity() {
    // A CSCA of 200 days, a CRL issued 120 days ago whose nextUpdate passed 30 days ago.
    let ua = ca_at("UA", SystemTime::now() - 200 * DAY);
    let signer = ds(&ua, "UA");
    let files = card(&signer);
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "csca.pem", &ua.der);
    let then = SystemTime::now() - 120 * DAY;
    write_public(
        &dir.path().join("old.crl"),
        &crl_for(&ua, &[], then, then + 90 * DAY),
    )
    .unwrap();
    let r = pa(&files, &store_of(dir.path()).unwrap());
    assert!(!r.is_valid());
    assert_eq!(failures(&r), vec!["crl-validity"]);
    assert!(
        check(&r, "crl-validity").detail.contains("expired"),
        "{r:#?}"
    );
    assert_eq!(check(&r, "ds-revocation").status, CheckStatus::NotChecked);
}

#[test]
fn a_csca_of_another_state_than_the_document_fails_csca_country() {
    // A German CSCA that certified a Document Signer calling itself Ukrainian: the DS's own
    // country matches the document, the anchor's does not.
    let de = ca("DE");
    let key = new_file_key().unwrap();
    let spki = spki_of(key.verifying_key()).unwrap();
    let start = SystemTime::now() - Duration::from_secs(3600);
    let de_key_id = key_identifier(&spki_of(de.key.verifying_key()).unwrap());
    let der = issue_certificate::<_, Sig>(
        &de.key,
        CertificateParts {
            subject: NameParts::test_only("UA", "DS").to_name().unwrap(),
            issuer: NameParts::test_only("DE", "TEST ONLY CSCA - not for production documents")
                .to_name()
                .unwrap(),
            spki: spki.clone(),
            lifetime: Lifetime {
                not_before: start,
                not_after: start + 3 * MONTH + 10 * YEAR,
            },
            extensions: vec![
                ext::signer_key_usage().unwrap(),
                ext::authority_key_identifier(&de_key_id).unwrap(),
                ext::subject_key_identifier(&spki).unwrap(),
                ext::usage_period(start, 3 * MONTH).unwrap(),
                ext::document_type_list(&["IR".into()]).unwrap(),
            ],
        },
    )
    .unwrap();
    let files = card(&Ds { der, key });
    let store = TrustStore::from_certificates(std::slice::from_ref(&de.der));
    let r = pa(&files, &store);
    assert!(!r.is_valid());
    assert_eq!(failures(&r), vec!["csca-country"], "{r:#?}");
    assert!(
        check(&r, "csca-country")
            .detail
            .contains("issuing State UKR is not the CSCA's D"),
        "{r:#?}"
    );
}

#[test]
fn a_document_signer_whose_csca_is_not_in_the_store_fails_certificate_chain() {
    let ua = ca("UA");
    let files = card(&ds(&ua, "UA"));
    let others: Vec<Vec<u8>> = (0..50).map(|_| ca("UA").der).collect();
    let r = pa(&files, &TrustStore::from_certificates(&others));
    assert!(!r.is_valid());
    assert_eq!(failures(&r), vec!["certificate-chain"]);
    let detail = &check(&r, "certificate-chain").detail;
    assert!(
        detail.contains("no CSCA in the trust store (50 anchor(s)) holds the key")
            && detail.contains("50 anchor(s) have its issuer's name"),
        "{detail}"
    );
}

#[test]
fn a_link_certificate_is_an_anchor_for_the_new_key() {
    let old = ca("UA");
    let new = ca("UA");
    let link = csca::issue_link::<_, Sig>(
        &old.der,
        &old.key,
        &new.der,
        SystemTime::now() - Duration::from_secs(3600),
    )
    .unwrap();
    let files = card(&ds(&new, "UA"));
    // The store knows the old root and the link, not the new root.
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "old.pem", &old.der);
    pem(dir.path(), "link.pem", &link);
    let store = store_of(dir.path()).unwrap();
    let r = pa(&files, &store);
    assert!(r.is_valid(), "{r:#?}");
    assert!(
        check(&r, "certificate-chain").detail.contains("CSCA link"),
        "{r:#?}"
    );
    // Without the link, the new key is unknown.
    let r = pa(
        &files,
        &TrustStore::from_certificates(std::slice::from_ref(&old.der)),
    );
    assert_eq!(failures(&r), vec!["certificate-chain"]);
}

#[test]
fn a_master_list_brings_its_cscas_only_when_its_signature_verifies() {
    let ua = ca("UA");
    let de = ca("DE");
    let mls_key = new_file_key().unwrap();
    let mls = master_list_signer::issue::<_, Sig>(
        &ua.der,
        &ua.key,
        None,
        spki_of(mls_key.verifying_key()).unwrap(),
        &ListSignerOptions::master_list(),
    )
    .unwrap();
    let ml = master_list::sign::<_, Sig>(
        &mls,
        &mls_key,
        Some(&ua.der),
        &[de.der.clone(), ua.der.clone()],
        SystemTime::now(),
    )
    .unwrap();
    let files = card(&ds(&ua, "UA"));

    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "ua.pem", &ua.der);
    write_public(&dir.path().join("list.ml"), &ml).unwrap();
    let store = store_of(dir.path()).unwrap();
    assert_eq!(
        store.anchors().len(),
        2,
        "the German CSCA came from the master list"
    );
    assert!(
        store
            .anchors()
            .iter()
            .any(|a| a.der == de.der && a.source.contains("master list"))
    );
    assert!(pa(&files, &store).is_valid());

    // The master list alone: its signer's CSCA is in it, which proves nothing.
    let alone = tempfile::tempdir().unwrap();
    write_public(&alone.path().join("list.ml"), &ml).unwrap();
    let err = store_of(alone.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TrustError::MasterList {
                source: SignedListError::Check {
                    check: "signer-chain",
                    ..
                },
                ..
            }
        ),
        "{err}"
    );

    // A flipped byte in its signature: refused, naming the file and the check.
    let parsed = master_list::MasterList::parse(&ml).unwrap();
    let sig = &parsed.signed.signers[0].signature;
    let at = ml
        .windows(sig.len())
        .position(|w| w == sig.as_slice())
        .unwrap();
    let mut bad = ml.clone();
    bad[at + 8] ^= 0x01;
    write_public(&dir.path().join("list.ml"), &bad).unwrap();
    let err = store_of(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TrustError::MasterList {
                source: SignedListError::Check {
                    check: "signature",
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("master list ")
            && err.to_string().contains("list.ml: signature:"),
        "{err}"
    );
}

#[test]
fn a_crl_with_a_bad_signature_is_refused_and_one_nobody_can_verify_is_not_used() {
    let ua = ca("UA");
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "ua.pem", &ua.der);
    let t = SystemTime::now();
    let mut bad = crl_for(&ua, &[], t, t + 90 * DAY);
    let last = bad.len() - 5;
    bad[last] ^= 0x01;
    write_public(&dir.path().join("ua.crl"), &bad).unwrap();
    let err = store_of(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TrustError::Crl {
                check: "crl-signature",
                ..
            }
        ),
        "{err}"
    );
    // A CRL of a CSCA the store does not hold: listed, not used.
    let pl = ca("PL");
    write_public(
        &dir.path().join("ua.crl"),
        &crl_for(&pl, &[], t, t + 90 * DAY),
    )
    .unwrap();
    let store = store_of(dir.path()).unwrap();
    assert_eq!(store.crls().count(), 0);
    assert!(
        store
            .sources()
            .iter()
            .any(|s| s.kind == "crl" && s.detail.contains("NOT USED"))
    );
}

#[test]
fn a_deviation_list_is_verified_and_listed() {
    let ua = ca("UA");
    let key = new_file_key().unwrap();
    let signer = master_list_signer::issue::<_, Sig>(
        &ua.der,
        &ua.key,
        None,
        spki_of(key.verifying_key()).unwrap(),
        &ListSignerOptions {
            role: Role::DeviationListSigner,
            ..ListSignerOptions::master_list()
        },
    )
    .unwrap();
    // DeviationList { v0, { Deviation { documents { documentType [0] "IR" },
    //   descriptions { { "MRZ check digit", id-Deviation-MRZ-WrongCheckDigit } } } } }
    let content = hex::decode(concat!(
        "302C",
        "020100",
        "3127",
        "3025",
        "3004",
        "80024952",
        "311D",
        "301B",
        "130F",
        "4D525A20636865636B206469676974",
        "0608",
        "6781080101070302"
    ))
    .unwrap();
    let der = sign_list::<_, Sig>(
        ID_ICAO_DEVIATION_LIST,
        &content,
        &signer,
        &key,
        Some(&ua.der),
        SystemTime::now(),
    )
    .unwrap();
    let list = DeviationList::parse(&der).unwrap();
    assert_eq!(list.deviations.len(), 1);
    assert_eq!(list.deviations[0].document_type.as_deref(), Some("IR"));
    assert_eq!(
        list.deviations[0].descriptions,
        vec![(Some("MRZ check digit".into()), "2.23.136.1.1.7.3.2".into())]
    );
    let dir = tempfile::tempdir().unwrap();
    pem(dir.path(), "ua.pem", &ua.der);
    write_public(&dir.path().join("deviations.dvl"), &der).unwrap();
    let store = store_of(dir.path()).unwrap();
    assert_eq!(store.deviation_lists().len(), 1);
    // Signed by a Master List Signer instead: `signer-purpose`.
    let (mls_key, mls) = {
        let k = new_file_key().unwrap();
        let c = master_list_signer::issue::<_, Sig>(
            &ua.der,
            &ua.key,
            None,
            spki_of(k.verifying_key()).unwrap(),
            &ListSignerOptions::master_list(),
        )
        .unwrap();
        (k, c)
    };
    let wrong = sign_list::<_, Sig>(
        ID_ICAO_DEVIATION_LIST,
        &content,
        &mls,
        &mls_key,
        None,
        SystemTime::now(),
    )
    .unwrap();
    write_public(&dir.path().join("deviations.dvl"), &wrong).unwrap();
    let err = store_of(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TrustError::DeviationList {
                source: SignedListError::Check {
                    check: "signer-purpose",
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
}
