//! `pki lint` flags what the ICAO 9303-12 profile forbids: certificates broken on purpose, one
//! fault each, each flagged with the finding that names it; and the issuers' own certificates
//! pass.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    str::FromStr,
    time::{Duration, SystemTime},
};

use der::Encode;
use x509_cert::{
    ext::{
        Extension,
        pkix::{BasicConstraints, KeyUsage, KeyUsages},
    },
    name::Name,
};

use permitkit_pki::{
    csca::{self, CscaOptions},
    files::new_file_key,
    lint::{LintOptions, LintReport, Severity, lint},
    profile::{
        CertificateParts, ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY, Lifetime, MONTH, NameParts, Role,
        YEAR, extensions as ext, issue_certificate, key_identifier, spki_of,
    },
    signer::{FileKey, FileKeySignature},
};

type Sig = FileKeySignature;

struct Ca {
    der: Vec<u8>,
    key: FileKey,
    key_id: Vec<u8>,
    name: Name,
}

fn ca() -> Ca {
    let key = new_file_key().unwrap();
    let der = csca::issue_root::<_, Sig>(&key, &CscaOptions::test_only("UA")).unwrap();
    Ca {
        der,
        key_id: key_identifier(&spki_of(key.verifying_key()).unwrap()),
        key,
        name: NameParts::test_only("UA", "TEST ONLY CSCA - not for production documents")
            .to_name()
            .unwrap(),
    }
}

/// The extensions of a conforming Document Signer, for the key `spki`.
fn ds_extensions(
    ca: &Ca,
    spki: &spki::SubjectPublicKeyInfoOwned,
    start: SystemTime,
) -> Vec<Extension> {
    vec![
        ext::signer_key_usage().unwrap(),
        ext::authority_key_identifier(&ca.key_id).unwrap(),
        ext::subject_key_identifier(spki).unwrap(),
        ext::usage_period(start, 3 * MONTH).unwrap(),
        ext::crl_distribution_point("http://pki.test.invalid/UA/csca.crl").unwrap(),
        ext::subject_alt_name(ext::alt_names("UKR", "http://pki.test.invalid/UA/").unwrap())
            .unwrap(),
        ext::issuer_alt_name(ext::alt_names("UKR", "http://pki.test.invalid/UA/").unwrap())
            .unwrap(),
        ext::document_type_list(&["IR".into()]).unwrap(),
    ]
}

/// A certificate signed by `ca` for a new key, with `subject` and the extensions `edit` makes
/// of a conforming Document Signer's.
fn signed(
    ca: &Ca,
    subject: Name,
    lifetime: Option<Lifetime>,
    edit: impl FnOnce(&mut Vec<Extension>),
) -> Vec<u8> {
    let key = new_file_key().unwrap();
    let spki = spki_of(key.verifying_key()).unwrap();
    let start = SystemTime::now() - Duration::from_secs(3600);
    let mut extensions = ds_extensions(ca, &spki, start);
    edit(&mut extensions);
    issue_certificate::<_, Sig>(
        &ca.key,
        CertificateParts {
            subject,
            issuer: ca.name.clone(),
            spki,
            lifetime: lifetime.unwrap_or(Lifetime {
                not_before: start,
                not_after: start + 3 * MONTH + 10 * YEAR,
            }),
            extensions,
        },
    )
    .unwrap()
}

fn ds_name() -> Name {
    NameParts::test_only("UA", "a Document Signer")
        .to_name()
        .unwrap()
}

fn report(der: &[u8], role: Option<Role>) -> LintReport {
    lint(der, &LintOptions { role, issuer: None }).unwrap()
}

/// The errors' ids.
fn errors(r: &LintReport) -> Vec<&'static str> {
    r.errors().map(|f| f.id).collect()
}

fn replace(extensions: &mut [Extension], oid: &str, with: Extension) {
    let at = extensions
        .iter()
        .position(|e| e.extn_id.to_string() == oid)
        .unwrap();
    extensions[at] = with;
}

fn remove(extensions: &mut Vec<Extension>, oid: &str) {
    extensions.retain(|e| e.extn_id.to_string() != oid);
}

fn raw_ext<T: Encode + der::oid::AssociatedOid>(value: &T, critical: bool) -> Extension {
    Extension {
        extn_id: T::OID,
        critical,
        extn_value: der::asn1::OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

#[test]
fn a_conforming_document_signer_is_clean() {
    let ca = ca();
    let der = signed(&ca, ds_name(), None, |_| {});
    let r = lint(
        &der,
        &LintOptions {
            role: None,
            issuer: Some(ca.der.clone()),
        },
    )
    .unwrap();
    assert_eq!(r.role, Role::DocumentSigner);
    assert!(r.is_clean(), "{r:#?}");
}

#[test]
fn each_broken_extension_is_flagged_by_name() {
    let ca = ca();
    // keyUsage keyCertSign on a Document Signer.
    let der = signed(&ca, ds_name(), None, |e| {
        replace(
            e,
            "2.5.29.15",
            raw_ext(&KeyUsage(KeyUsages::KeyCertSign.into()), true),
        );
    });
    assert_eq!(errors(&report(&der, None)), vec!["key-usage"]);
    // keyUsage non-critical.
    let der = signed(&ca, ds_name(), None, |e| {
        replace(
            e,
            "2.5.29.15",
            raw_ext(&KeyUsage(KeyUsages::DigitalSignature.into()), false),
        );
    });
    let r = report(&der, None);
    assert_eq!(errors(&r), vec!["key-usage"]);
    assert!(r.findings[0].message.contains("must be critical"), "{r:#?}");
    // No documentTypeList.
    let der = signed(&ca, ds_name(), None, |e| remove(e, "2.23.136.1.1.6.2"));
    let r = report(&der, None);
    assert_eq!(errors(&r), vec!["document-type-list"]);
    assert_eq!(r.errors().next().unwrap().clause, "9303-12 §7.1.1.6");
    // basicConstraints on a Document Signer.
    let der = signed(&ca, ds_name(), None, |e| {
        e.push(raw_ext(
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
            true,
        ));
    });
    assert_eq!(errors(&report(&der, None)), vec!["basic-constraints"]);
    // No cRLDistributionPoints.
    let der = signed(&ca, ds_name(), None, |e| remove(e, "2.5.29.31"));
    assert_eq!(errors(&report(&der, None)), vec!["crl-distribution-points"]);
    // An unknown critical extension.
    let der = signed(&ca, ds_name(), None, |e| {
        e.push(Extension {
            extn_id: der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
            critical: true,
            extn_value: der::asn1::OctetString::new(vec![0x05, 0x00]).unwrap(),
        });
    });
    assert_eq!(
        errors(&report(&der, None)),
        vec!["unknown-critical-extension"]
    );
    // No alternative names: the earlier profile's way, a warning.
    let der = signed(&ca, ds_name(), None, |e| {
        remove(e, "2.5.29.17");
        remove(e, "2.5.29.18");
    });
    let r = report(&der, None);
    assert!(errors(&r).is_empty(), "{r:#?}");
    assert_eq!(r.count(Severity::Warning), 2, "{r:#?}");
}

#[test]
fn a_master_list_signer_without_its_extended_key_usage_is_flagged() {
    let ca = ca();
    let mls_name = NameParts::test_only("UA", "ML signer").to_name().unwrap();
    let der = signed(&ca, mls_name.clone(), None, |e| {
        remove(e, "2.23.136.1.1.6.2")
    });
    let r = report(&der, Some(Role::MasterListSigner));
    assert_eq!(errors(&r), vec!["extended-key-usage"], "{r:#?}");
    let der = signed(&ca, mls_name, None, |e| {
        remove(e, "2.23.136.1.1.6.2");
        e.push(ext::extended_key_usage(ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY).unwrap());
    });
    let r = report(&der, None);
    assert_eq!(r.role, Role::MasterListSigner);
    assert!(r.is_clean(), "{r:#?}");
}

#[test]
fn broken_names_and_periods_are_flagged() {
    let ca = ca();
    // The subject's country differs from the issuer's.
    let der = signed(
        &ca,
        NameParts::test_only("DE", "DS").to_name().unwrap(),
        None,
        |_| {},
    );
    assert_eq!(errors(&report(&der, None)), vec!["country-match"]);
    // A lower-case country and no commonName.
    let der = signed(
        &ca,
        Name::from_str("O=TEST ONLY,C=ua").unwrap(),
        None,
        |_| {},
    );
    assert_eq!(
        errors(&report(&der, None)),
        vec!["subject-country", "subject-common-name", "country-match"]
    );
    // The key may sign after the certificate expired.
    let start = SystemTime::now() - Duration::from_secs(3600);
    let der = signed(
        &ca,
        ds_name(),
        Some(Lifetime {
            not_before: start,
            not_after: start + MONTH,
        }),
        |_| {},
    );
    assert_eq!(errors(&report(&der, None)), vec!["usage-period-validity"]);
    // A Document Signer key that signs for a year: a warning (§4.1.1.2).
    let der = signed(&ca, ds_name(), None, |e| {
        replace(e, "2.5.29.16", ext::usage_period(start, YEAR).unwrap());
    });
    let r = report(&der, None);
    assert!(errors(&r).is_empty(), "{r:#?}");
    assert!(
        r.findings
            .iter()
            .any(|f| f.id == "usage-period-length" && f.severity == Severity::Warning),
        "{r:#?}"
    );
}

#[test]
fn a_csca_with_path_length_one_or_an_extended_key_usage_is_flagged() {
    let key = new_file_key().unwrap();
    let spki = spki_of(key.verifying_key()).unwrap();
    let name = NameParts::test_only("UA", "CSCA").to_name().unwrap();
    let start = SystemTime::now() - Duration::from_secs(3600);
    let alt = ext::alt_names("UKR", "http://pki.test.invalid/UA/").unwrap();
    let root = |edit: &dyn Fn(&mut Vec<Extension>)| {
        let mut extensions = vec![
            ext::ca_basic_constraints().unwrap(),
            ext::ca_key_usage().unwrap(),
            ext::subject_key_identifier(&spki).unwrap(),
            ext::usage_period(start, 5 * YEAR).unwrap(),
            ext::crl_distribution_point("http://pki.test.invalid/UA/csca.crl").unwrap(),
            ext::subject_alt_name(alt.clone()).unwrap(),
            ext::issuer_alt_name(alt.clone()).unwrap(),
        ];
        edit(&mut extensions);
        issue_certificate::<_, Sig>(
            &key,
            CertificateParts {
                subject: name.clone(),
                issuer: name.clone(),
                spki: spki.clone(),
                lifetime: Lifetime {
                    not_before: start,
                    not_after: start + 15 * YEAR,
                },
                extensions,
            },
        )
        .unwrap()
    };
    let clean = root(&|_| {});
    assert!(
        report(&clean, None).is_clean(),
        "{:#?}",
        report(&clean, None)
    );
    let der = root(&|e| {
        replace(
            e,
            "2.5.29.19",
            raw_ext(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(1),
                },
                true,
            ),
        );
    });
    let r = report(&der, None);
    assert_eq!(r.role, Role::CscaRoot);
    assert_eq!(errors(&r), vec!["basic-constraints"], "{r:#?}");
    let der =
        root(&|e| e.push(ext::extended_key_usage(ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY).unwrap()));
    assert_eq!(errors(&report(&der, None)), vec!["extended-key-usage"]);
    // A CSCA key that signs for 8 years: a warning (§4.1.4.2).
    let der = root(&|e| replace(e, "2.5.29.16", ext::usage_period(start, 8 * YEAR).unwrap()));
    let r = report(&der, None);
    assert!(errors(&r).is_empty(), "{r:#?}");
    assert_eq!(r.count(Severity::Warning), 1, "{r:#?}");
}

#[test]
fn checked_against_another_issuer_the_signature_and_key_identifier_fail() {
    let ca = ca();
    let der = signed(&ca, ds_name(), None, |_| {});
    let other = csca::issue_root::<_, Sig>(&new_file_key().unwrap(), &CscaOptions::test_only("UA"))
        .unwrap();
    let r = lint(
        &der,
        &LintOptions {
            role: None,
            issuer: Some(other),
        },
    )
    .unwrap();
    assert_eq!(
        errors(&r),
        vec!["issuer-signature", "authority-key-identifier"],
        "{r:#?}"
    );
}
