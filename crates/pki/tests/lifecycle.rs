//! The 9303-12 certificate life cycle in process: a CSCA, a Document Signer from a PKCS#10
//! request, a Master List Signer, a link certificate at rollover, CRLs and master lists — each
//! certificate linted clean against the profile, each list read back and verified, and every
//! refusal naming its check.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::time::{Duration, SystemTime};

use der::{Decode, Encode};
use x509_cert::{builder::Builder, name::Name, request::RequestBuilder};
use x509_parser::prelude::FromDer as _;

use permitkit_pki::{
    PkiError,
    crl::{self, Crl, CrlOptions, Revocation},
    csca::{self, CscaOptions},
    ds_issue::{self, DsOptions},
    files::new_file_key,
    lint::{LintOptions, Severity, lint},
    master_list::{self, MasterList},
    master_list_signer::{self, ListSignerOptions},
    profile::{NameParts, Role, spki_of},
    signed_data::SignedListError,
    signer::{FileKey, FileKeySignature},
    trust::TrustStore,
};

type Sig = FileKeySignature;

struct Csca {
    der: Vec<u8>,
    key: FileKey,
}

fn csca(country: &str) -> Csca {
    let key = new_file_key().unwrap();
    let der = csca::issue_root::<_, Sig>(&key, &CscaOptions::test_only(country)).unwrap();
    Csca { der, key }
}

fn csr(key: &FileKey, country: &str, cn: &str) -> Vec<u8> {
    let subject = NameParts::test_only(country, cn).to_name().unwrap();
    let req = RequestBuilder::new(subject)
        .unwrap()
        .build::<_, Sig>(key)
        .unwrap();
    req.to_der().unwrap()
}

fn assert_clean(der: &[u8], role: Role) {
    let report = lint(der, &LintOptions::default()).unwrap();
    assert_eq!(report.role, role, "{report:#?}");
    assert!(report.is_clean(), "{report:#?}");
}

fn ml_signer(ca: &Csca) -> (Vec<u8>, FileKey) {
    let key = new_file_key().unwrap();
    let der = master_list_signer::issue::<_, Sig>(
        &ca.der,
        &ca.key,
        None,
        spki_of(key.verifying_key()).unwrap(),
        &ListSignerOptions::master_list(),
    )
    .unwrap();
    (der, key)
}

#[test]
fn every_certificate_the_issuers_write_lints_clean() {
    let ca = csca("UA");
    assert_clean(&ca.der, Role::CscaRoot);

    let ds_key = new_file_key().unwrap();
    let ds = ds_issue::issue_from_request::<_, Sig>(
        &ca.der,
        &ca.key,
        &csr(&ds_key, "UA", "Document Signer 1"),
        &DsOptions::new(vec!["IR".into(), "IP".into()]),
    )
    .unwrap();
    assert_clean(&ds, Role::DocumentSigner);
    let with_issuer = lint(
        &ds,
        &LintOptions {
            issuer: Some(ca.der.clone()),
            ..LintOptions::default()
        },
    )
    .unwrap();
    assert!(with_issuer.is_clean(), "{with_issuer:#?}");
    // Named curves are noted, never an error.
    assert!(
        with_issuer
            .findings
            .iter()
            .all(|f| f.severity == Severity::Info && f.id == "ec-parameters"),
        "{with_issuer:#?}"
    );

    let (mls, _) = ml_signer(&ca);
    assert_clean(&mls, Role::MasterListSigner);

    let new = csca("UA");
    let link = csca::issue_link::<_, Sig>(&ca.der, &ca.key, &new.der, SystemTime::now()).unwrap();
    let report = lint(
        &link,
        &LintOptions {
            issuer: Some(ca.der.clone()),
            ..LintOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.role, Role::CscaLink);
    // The link starts now, the new key's usage period an hour ago: a warning, nothing else.
    assert_eq!(report.count(Severity::Error), 0, "{report:#?}");

    let test_pki = permitkit_pki::TestPki::generate(&Default::default()).unwrap();
    assert_clean(&test_pki.csca_der, Role::CscaRoot);
    assert_clean(&test_pki.ds_der, Role::DocumentSigner);
}

#[test]
fn a_document_signer_is_issued_only_from_a_request_that_proves_its_key() {
    let ca = csca("UA");
    let key = new_file_key().unwrap();
    let mut request = csr(&key, "UA", "DS");
    // The signature is the request's last bytes: flip one.
    let last = request.len() - 3;
    request[last] ^= 0x01;
    let err = ds_issue::issue_from_request::<_, Sig>(
        &ca.der,
        &ca.key,
        &request,
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not verify with its own public key"),
        "{err}"
    );

    let german = csr(&key, "DE", "DS");
    let err = ds_issue::issue_from_request::<_, Sig>(
        &ca.der,
        &ca.key,
        &german,
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("subject country DE is not the CSCA's UA"),
        "{err}"
    );

    // Another key than the CSCA's cannot sign as the CSCA.
    let err = ds_issue::issue_from_request::<_, Sig>(
        &ca.der,
        &key,
        &csr(&new_file_key().unwrap(), "UA", "DS"),
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch(_)), "{err}");

    // A DS that would outlive the CSCA certificate is refused.
    let err = ds_issue::issue_from_request::<_, Sig>(
        &ca.der,
        &ca.key,
        &csr(&new_file_key().unwrap(), "UA", "DS"),
        &DsOptions {
            document_validity: Duration::from_secs(40 * 365 * 86_400),
            ..DsOptions::new(vec!["IR".into()])
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("after the CSCA certificate"),
        "{err}"
    );
}

#[test]
fn a_crl_lists_every_revocation_with_its_number_and_verifies() {
    let ca = csca("UA");
    let now = SystemTime::now();
    let der = crl::issue::<_, Sig>(
        &ca.der,
        &ca.key,
        &CrlOptions {
            number: 7,
            this_update: now,
            next_update: now + Duration::from_secs(90 * 86_400),
            revoked: vec![Revocation {
                serial: vec![0x01, 0x23, 0xFF],
                date: now,
            }],
        },
    )
    .unwrap();
    let parsed = Crl::parse(&der).unwrap();
    assert_eq!(parsed.number_text(), "7");
    assert_eq!(parsed.country.as_deref(), Some("UA"));
    assert!(parsed.revoked_at(&[0x01, 0x23, 0xFF]).is_some());
    assert!(parsed.revoked_at(&[0x00, 0x01, 0x23, 0xFF]).is_some());
    assert!(parsed.revoked_at(&[0x01, 0x23]).is_none());
    parsed.verify_signature(&ca.der).unwrap();
    assert!(parsed.verify_signature(&csca("UA").der).is_err());
    let unix = permitkit_pki::profile::unix_seconds(now);
    parsed.currency(unix).unwrap();
    let later = unix + 91 * 86_400;
    assert!(parsed.currency(later).unwrap_err().contains("expired"));
}

#[test]
fn a_master_list_reads_back_with_its_certificates_and_its_signer_verified() {
    let ca = csca("UA");
    let (mls, mls_key) = ml_signer(&ca);
    let foreign: Vec<Vec<u8>> = ["DE", "FR", "PL"].iter().map(|c| csca(c).der).collect();
    let mut listed = foreign.clone();
    listed.push(ca.der.clone());
    let der =
        master_list::sign::<_, Sig>(&mls, &mls_key, Some(&ca.der), &listed, SystemTime::now())
            .unwrap();
    let ml = MasterList::parse(&der).unwrap();
    let mut got = ml.certificates.clone();
    got.sort();
    let mut want = listed.clone();
    want.sort();
    assert_eq!(got, want, "the certList is the certificates given");
    assert!(ml.signed.certificates.contains(&mls));
    assert!(ml.signed.certificates.contains(&ca.der));

    let store = TrustStore::from_certificates(std::slice::from_ref(&ca.der));
    let now = permitkit_pki::profile::unix_seconds(SystemTime::now());
    let issuers = |c: &x509_parser::certificate::X509Certificate<'_>| {
        store
            .with_key_id(&authority_key_id(c))
            .into_iter()
            .map(|a| (a.der.clone(), a.describe()))
            .collect()
    };
    let signer = ml.verify(&[], &issuers, now).unwrap();
    assert!(signer.subject.contains("Master List Signer"), "{signer:?}");

    // A flipped byte in the signature: `signature`.
    let sig = &ml.signed.signers[0].signature;
    let at = der
        .windows(sig.len())
        .position(|w| w == sig.as_slice())
        .unwrap();
    let mut bad = der.clone();
    bad[at + 10] ^= 0x01;
    let err = MasterList::parse(&bad)
        .unwrap()
        .verify(&[], &issuers, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            SignedListError::Check {
                check: "signature",
                ..
            }
        ),
        "{err}"
    );
    // A flipped byte in a listed certificate: `message-digest`.
    let cert_at = der
        .windows(foreign[0].len())
        .position(|w| w == foreign[0].as_slice())
        .unwrap();
    let mut bad = der.clone();
    bad[cert_at + 40] ^= 0x01;
    let err = MasterList::parse(&bad)
        .unwrap()
        .verify(&[], &issuers, now)
        .unwrap_err();
    assert!(
        matches!(
            err,
            SignedListError::Check {
                check: "message-digest",
                ..
            }
        ),
        "{err}"
    );
    // A store without the CSCA that issued the signer: `signer-chain`.
    let err = ml.verify(&[], &|_| Vec::new(), now).unwrap_err();
    assert!(
        matches!(
            err,
            SignedListError::Check {
                check: "signer-chain",
                ..
            }
        ),
        "{err}"
    );
    // A CSCA signing its own master list is refused (9303-12 §5.3).
    let err = master_list::sign::<_, Sig>(&ca.der, &ca.key, None, &listed, SystemTime::now())
        .unwrap_err();
    assert!(
        err.to_string().contains("not a Master List Signer"),
        "{err}"
    );
}

fn authority_key_id(c: &x509_parser::certificate::X509Certificate<'_>) -> Vec<u8> {
    c.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_link_certificate_certifies_the_new_key_with_the_old() {
    let old = csca("UA");
    let new = csca("UA");
    let link = csca::issue_link::<_, Sig>(&old.der, &old.key, &new.der, SystemTime::now()).unwrap();
    let (_, l) = x509_parser::certificate::X509Certificate::from_der(&link).unwrap();
    let (_, o) = x509_parser::certificate::X509Certificate::from_der(&old.der).unwrap();
    let (_, n) = x509_parser::certificate::X509Certificate::from_der(&new.der).unwrap();
    l.verify_signature(Some(o.public_key())).unwrap();
    assert_eq!(l.public_key().raw, n.public_key().raw);
    assert!(l.is_ca());
    // Linking a key to itself, or across States, is refused.
    assert!(csca::issue_link::<_, Sig>(&old.der, &old.key, &old.der, SystemTime::now()).is_err());
    let german = csca("DE");
    let err =
        csca::issue_link::<_, Sig>(&old.der, &old.key, &german.der, SystemTime::now()).unwrap_err();
    assert!(err.to_string().contains("differ"), "{err}");
}

#[test]
fn names_built_from_parts_decode_as_x509_names() {
    let name = NameParts::test_only("UA", "x").to_name().unwrap();
    let again = Name::from_der(&name.to_der().unwrap()).unwrap();
    assert_eq!(name, again);
}
