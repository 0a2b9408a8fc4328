//! EF.SOD signatures per second: the Document Signer key in memory (a P-256 file key) against
//! the same signature through SoftHSM2 over PKCS #11 (one context, a pooled logged-in session),
//! and through the token behind the signing policy, whose audit record is synced to disk before
//! each signature is handed out. Each iteration signs one LDSSecurityObject of four data groups
//! into a complete EF.SOD (`permitkit_lds::sod::sign`), and one benchmark signs from four
//! threads at once through one context (25 signatures each).
//!
//! Needs SoftHSM2 (`.ci/install-deps`): the bench makes a token store of its own and runs
//! itself again with `SOFTHSM2_CONF` pointing at it. Run with
//! `cargo bench --features pkcs11 --bench sod_token`.
#![expect(
    clippy::unwrap_used,
    reason = "bench code: an unexpected value fails the bench loudly"
)]

use std::{hint::black_box, sync::Arc, time::SystemTime};

use criterion::{Criterion, Throughput};
use permitkit_lds::{
    Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject},
};
use permitkit_model::secret::SecretBytes;
use permitkit_pki::{
    DocumentSigner, DsKey, GuardedSigner, SigningPolicy,
    audit::{AuditKey, FileAuditLog},
    ds_issue::{DsOptions, issue},
    ds_key::EcdsaSignature,
    pkcs11::{self, Curve, Module, Pin, Pkcs11Key, Pkcs11Uri},
    signer::FileKeySignature,
    softhsm::SoftHsm,
    test_pki::{TestPki, TestPkiOptions},
};
use signature::Keypair;

const PIN: &str = "246813";

fn lso() -> LdsSecurityObject {
    let files: Vec<(Ef, Vec<u8>)> = (1u8..=4)
        .map(|n| (Ef::dg(n).unwrap(), vec![n; 1000]))
        .collect();
    LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    )
}

fn bench(c: &mut Criterion, hsm: &SoftHsm) {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let lso = lso();
    let now = SystemTime::now();

    let mut g = c.benchmark_group("sod_sign");
    g.throughput(Throughput::Elements(1));
    g.bench_function("file_key_p256", |b| {
        b.iter(|| {
            sod::sign::<_, FileKeySignature>(black_box(&lso), &pki.ds_der, &pki.ds_key, now)
                .unwrap()
        });
    });

    let module = Module::load(&hsm.module()).unwrap();
    let uri = Pkcs11Uri::parse("pkcs11:token=bench;object=ds").unwrap();
    let pin = || Pin::new(zeroize::Zeroizing::new(PIN.to_owned())).unwrap();
    let key = pkcs11::generate(Arc::clone(&module), &uri, &pin(), Curve::P256).unwrap();
    let spki =
        <spki::SubjectPublicKeyInfoOwned as der::Decode>::from_der(key.verifying_key().as_der())
            .unwrap();
    let subject = <x509_cert::Certificate as der::Decode>::from_der(&pki.ds_der)
        .unwrap()
        .tbs_certificate()
        .subject()
        .clone();
    let ds_der = issue::<_, FileKeySignature>(
        &pki.csca_der,
        &pki.csca_key,
        &subject,
        spki,
        &DsOptions::new(vec!["IR".into()]),
    )
    .unwrap();
    let token = DocumentSigner::new(ds_der.clone(), key).unwrap();
    g.bench_function("softhsm2_p256", |b| {
        b.iter(|| {
            sod::sign::<_, EcdsaSignature>(black_box(&lso), &ds_der, token.signer(), now).unwrap()
        });
    });

    let dir = tempfile::tempdir().unwrap();
    let guarded = GuardedSigner::new(
        DocumentSigner::new(
            ds_der.clone(),
            DsKey::from(Pkcs11Key::open(Arc::clone(&module), &uri, &pin()).unwrap()),
        )
        .unwrap(),
        SigningPolicy {
            max_documents: u64::MAX,
        },
        "BENCH",
        AuditKey::new(SecretBytes::from_slice(&[7; 32])),
        Box::new(FileAuditLog::open(&dir.path().join("audit.jsonl")).unwrap()),
    )
    .unwrap();
    g.bench_function("softhsm2_p256_policy_and_audit", |b| {
        b.iter(|| {
            let ticket = guarded.for_document("FT4211207");
            sod::sign::<_, EcdsaSignature>(black_box(&lso), &ds_der, &ticket, now).unwrap()
        });
    });

    // Four threads, 25 signatures each, through one key: the pooled sessions at work.
    g.throughput(Throughput::Elements(100));
    g.bench_function("softhsm2_p256_4_threads_x25", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..4 {
                    scope.spawn(|| {
                        for _ in 0..25 {
                            black_box(
                                sod::sign::<_, EcdsaSignature>(&lso, &ds_der, token.signer(), now)
                                    .unwrap(),
                            );
                        }
                    });
                }
            });
        });
    });
    g.finish();
}

fn main() {
    let Some(hsm) = SoftHsm::of_child() else {
        // The parent: a token store of its own, then this bench again inside it.
        let dir = tempfile::tempdir().unwrap();
        let hsm = SoftHsm::new(dir.path());
        hsm.init_token("bench", "13572468", PIN);
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command.args(std::env::args_os().skip(1));
        let status = hsm.env(&mut command).status().unwrap();
        std::process::exit(status.code().unwrap_or(1));
    };
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &hsm);
    c.final_summary();
}
