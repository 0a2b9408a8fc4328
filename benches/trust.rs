//! Passive authentication against trust stores of 10, 100 and 500 CSCAs (goal: the cost of
//! finding the anchor does not grow with the store). The store holds the card's CSCA, its CRL
//! and N-1 other CSCAs; the card is DG1, DG2, EF.COM and EF.SOD (ECDSA P-256).
//!
//! - `trust/pa/N`: the whole passive authentication (`verify_trusted`);
//! - `trust/lookup/N`: finding the anchor the Document Signer's authorityKeyIdentifier names
//!   (`TrustStore::issuer_of`, a `HashMap` lookup);
//! - `trust/linear-scan/N`: for comparison, what the single-CSCA code did per CSCA — decode
//!   each certificate and compare its subject with the DS's issuer — over the whole store,
//!   the card's CSCA last.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "benchmark code: an unexpected value fails loudly"
)]

use std::{
    collections::BTreeMap,
    hint::black_box,
    time::{Duration, SystemTime},
};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use permitkit_lds::{
    Dg1, Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject},
};
use permitkit_pki::{
    crl::{self, CrlOptions},
    csca::{self, CscaOptions},
    ds_issue::{self, DsOptions},
    files::new_file_key,
    passive_auth::verify_trusted,
    profile::{DAY, NameParts, spki_of, unix_seconds},
    signer::FileKeySignature,
    trust::{IssuerLookup, TrustStore, TrustStoreBuilder},
};
use x509_parser::{certificate::X509Certificate, prelude::FromDer};

const MRZ: &str = concat!(
    "IRUKRFT12345675<<<<<<<<<<<<<<<",
    "8803141M2711198USA<<<<<<<<<<<6",
    "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
);
const COUNTRIES: &[&str] = &["DE", "FR", "PL", "NL", "IT", "ES", "SE", "FI", "CZ", "SK"];

struct Fixture {
    files: BTreeMap<Ef, Vec<u8>>,
    cscas: Vec<Vec<u8>>,
    crl: Vec<u8>,
    ds: Vec<u8>,
}

fn fixture(max: usize) -> Fixture {
    let key = new_file_key().unwrap();
    let csca =
        csca::issue_root::<_, FileKeySignature>(&key, &CscaOptions::test_only("UA")).unwrap();
    let ds_key = new_file_key().unwrap();
    let ds = ds_issue::issue::<_, FileKeySignature>(
        &csca,
        &key,
        &NameParts::test_only("UA", "Document Signer")
            .to_name()
            .unwrap(),
        spki_of(ds_key.verifying_key()).unwrap(),
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap();
    let now = SystemTime::now();
    let crl = crl::issue::<_, FileKeySignature>(
        &csca,
        &key,
        &CrlOptions {
            number: 1,
            this_update: now - Duration::from_secs(60),
            next_update: now + 90 * DAY,
            revoked: Vec::new(),
        },
    )
    .unwrap();
    let mut files = BTreeMap::from([
        (Ef::DG1, Dg1::new(MRZ).unwrap().encode().unwrap()),
        (Ef::DG2, vec![0x75, 0x03, 0x01, 0x02, 0x03]),
    ]);
    let lso = LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    );
    let sod = sod::sign::<_, FileKeySignature>(&lso, &ds, &ds_key, now).unwrap();
    files.insert(Ef::Sod, sod);
    files.insert(
        Ef::Com,
        hex::decode("60145F0104303130375F36063034303030305C026175").unwrap(),
    );
    let mut cscas: Vec<Vec<u8>> = (1..max)
        .map(|i| {
            let k = new_file_key().unwrap();
            csca::issue_root::<_, FileKeySignature>(
                &k,
                &CscaOptions::test_only(COUNTRIES[i % COUNTRIES.len()]),
            )
            .unwrap()
        })
        .collect();
    cscas.push(csca);
    Fixture {
        files,
        cscas,
        crl,
        ds,
    }
}

fn store(f: &Fixture, n: usize) -> TrustStore {
    let mut b = TrustStoreBuilder::new();
    // The card's CSCA last.
    for der in f.cscas[f.cscas.len() - n..].iter() {
        b.add_certificate(der.clone(), "bench");
    }
    b.add_bytes("bench.crl", &f.crl).unwrap();
    b.build(unix_seconds(SystemTime::now())).unwrap()
}

fn bench(c: &mut Criterion) {
    let sizes = [10, 100, 500];
    let f = fixture(500);
    let (_, ds) = X509Certificate::from_der(&f.ds).unwrap();
    let now = unix_seconds(SystemTime::now());
    let mut group = c.benchmark_group("trust");
    for n in sizes {
        let store = store(&f, n);
        assert_eq!(store.anchors().len(), n);
        let report = verify_trusted(&f.files[&Ef::Sod], &f.files, &store, now);
        assert!(report.is_valid(), "{report:#?}");
        group.bench_with_input(BenchmarkId::new("pa", n), &n, |b, _| {
            b.iter(|| black_box(verify_trusted(&f.files[&Ef::Sod], &f.files, &store, now)));
        });
        group.bench_with_input(BenchmarkId::new("lookup", n), &n, |b, _| {
            b.iter(|| {
                let found = store.issuer_of(black_box(&ds));
                assert!(matches!(found, IssuerLookup::Candidates(ref c) if c.len() == 1));
                found
            });
        });
        let slice = &f.cscas[f.cscas.len() - n..];
        group.bench_with_input(BenchmarkId::new("linear-scan", n), &n, |b, _| {
            b.iter(|| {
                slice.iter().find(|der| {
                    X509Certificate::from_der(der)
                        .is_ok_and(|(_, c)| c.subject().as_raw() == ds.issuer().as_raw())
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
