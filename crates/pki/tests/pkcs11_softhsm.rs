//! The PKCS #11 signer against a real token: SoftHSM2 (Debian `softhsm2`, installed by
//! `.ci/install-deps`). Each test makes its own token store and runs in a process of its own
//! (`SoftHsm::run_test_in_child`: SoftHSM2 reads its configuration once per process, and the
//! toolkit initializes a module once per process). The Document Signer key is generated on the
//! token by our code; OpenSSL (`openssl cms -verify`) and our passive authentication verify the
//! EF.SOD it signs. Without SoftHSM2 or OpenSSL these tests fail; they never skip.
#![cfg(all(feature = "pkcs11", feature = "test-util"))]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    collections::BTreeMap,
    process::Command,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use permitkit_lds::{
    Ef,
    sod::{self, HashAlgorithm, LdsSecurityObject},
};
use permitkit_pki::{
    CheckStatus, DocumentSigner, DsKey,
    ds_key::EcdsaSignature,
    ds_request::{self, DsSubject},
    passive_authentication,
    pkcs11::{self, Curve, Module, Pin, PinSource, Pkcs11Error, Pkcs11Key, Pkcs11Uri},
    signer::FileKeySignature,
    softhsm::SoftHsm,
    test_pki::{TestPki, TestPkiOptions},
};
use signature::{Keypair, Signer};
use zeroize::Zeroizing;

const PIN: &str = "246813";
const SO_PIN: &str = "13572468";
const TOKEN: &str = "permitkit-ds";

/// Runs `body` in a child process with a fresh token store holding one token, [`TOKEN`].
fn on_a_fresh_token(name: &str, body: fn(&SoftHsm)) {
    if let Some(hsm) = SoftHsm::of_child() {
        body(&hsm);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hsm = SoftHsm::new(dir.path());
    hsm.init_token(TOKEN, SO_PIN, PIN);
    hsm.run_test_in_child(name);
}

fn pin() -> Pin {
    Pin::new(Zeroizing::new(PIN.to_owned())).unwrap()
}

fn uri(object: &str) -> Pkcs11Uri {
    Pkcs11Uri::parse(&format!("pkcs11:token={TOKEN};object={object}")).unwrap()
}

fn module(hsm: &SoftHsm) -> Arc<Module> {
    Module::load(&hsm.module()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// The Document Signer certificate for the token key: a PKCS #10 request signed on the token,
/// which `openssl req -verify` accepts, issued by the test CSCA. P-256 requests go through
/// `pki ds issue`'s request check; for the other curves (which that check's `ring` backend does
/// not verify with SHA-256) OpenSSL's check stands alone and the certificate is issued for the
/// request's subject and key.
fn issue_for(pki: &TestPki, key: &Pkcs11Key, document_types: &[&str]) -> Vec<u8> {
    let subject = DsSubject {
        country: "UA".into(),
        organization: Some("permitkit test".into()),
        common_name: "Document Signer on a token".into(),
    };
    let csr = ds_request::certification_request::<_, EcdsaSignature>(&subject, key).unwrap();
    openssl_req_verifies(&csr);
    let opts = permitkit_pki::ds_issue::DsOptions::new(
        document_types.iter().map(|s| (*s).to_owned()).collect(),
    );
    if key.curve() == Curve::P256 {
        return permitkit_pki::ds_issue::issue_from_request::<_, FileKeySignature>(
            &pki.csca_der,
            &pki.csca_key,
            &csr,
            &opts,
        )
        .unwrap();
    }
    let spki =
        <spki::SubjectPublicKeyInfoOwned as der::Decode>::from_der(key.verifying_key().as_der())
            .unwrap();
    permitkit_pki::ds_issue::issue::<_, FileKeySignature>(
        &pki.csca_der,
        &pki.csca_key,
        &subject.name().unwrap(),
        spki,
        &opts,
    )
    .unwrap()
}

/// `openssl req -verify` of a DER request.
fn openssl_req_verifies(csr: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ds.csr"), csr).unwrap();
    let out = Command::new("openssl")
        .args(["req", "-verify", "-noout", "-inform", "DER", "-in"])
        .arg(dir.path().join("ds.csr"))
        .output()
        .expect("OpenSSL is needed as the independent verifier: run .ci/install-deps");
    assert!(
        out.status.success(),
        "openssl req -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// EF.COM, DG1 (a TD1 MRZ of Utopia, document code `I`) and DG14, hashed into an LSO.
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
    f.insert(Ef::DG14, vec![0x6E, 0x02, 0x31, 0x00]);
    f.insert(
        Ef::Com,
        hex::decode("60155F0104303130375F36063034303030305C0361756E").unwrap(),
    );
    f
}

fn lso(files: &BTreeMap<Ef, Vec<u8>>) -> LdsSecurityObject {
    LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    )
}

/// `openssl cms -verify` of EF.SOD with the CSCA as the only trust anchor.
fn openssl_verifies(sod: &[u8], csca_der: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let content =
        permitkit_iso7816::tlv::parse_single(sod, permitkit_iso7816::tlv::Tag::new(0x77)).unwrap();
    std::fs::write(dir.path().join("sod.der"), content.value()).unwrap();
    std::fs::write(dir.path().join("csca.der"), csca_der).unwrap();
    let pem = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in"])
        .arg(dir.path().join("csca.der"))
        .arg("-out")
        .arg(dir.path().join("csca.pem"))
        .output()
        .expect("OpenSSL is needed as the independent verifier: run .ci/install-deps");
    assert!(pem.status.success());
    let out = Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-binary", "-in"])
        .arg(dir.path().join("sod.der"))
        .arg("-CAfile")
        .arg(dir.path().join("csca.pem"))
        .arg("-out")
        .arg(dir.path().join("lso.der"))
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn a_key_generated_on_the_token_never_leaves_it() {
    on_a_fresh_token("a_key_generated_on_the_token_never_leaves_it", |hsm| {
        let key = pkcs11::generate(module(hsm), &uri("ds-2026"), &pin(), Curve::P256).unwrap();
        let a = key.attributes().unwrap();
        assert!(a.token, "CKA_TOKEN");
        assert!(a.private, "CKA_PRIVATE");
        assert!(a.sensitive, "CKA_SENSITIVE");
        assert!(!a.extractable, "CKA_EXTRACTABLE");
        assert!(a.always_sensitive, "CKA_ALWAYS_SENSITIVE");
        assert!(a.never_extractable, "CKA_NEVER_EXTRACTABLE");
        assert!(a.sign, "CKA_SIGN");
        // Found again by its URI, by label and by the CKA_ID set from its key identifier.
        let again = Pkcs11Key::open(module(hsm), &uri("ds-2026"), &pin()).unwrap();
        assert_eq!(again.verifying_key(), key.verifying_key());
        let bits = key.verifying_key().subject_public_key().unwrap();
        let id = <sha1::Sha1 as sha1::Digest>::digest(&bits);
        let by_id = Pkcs11Uri::parse(&format!(
            "pkcs11:token={TOKEN};id={}",
            id.iter().map(|b| format!("%{b:02X}")).collect::<String>()
        ))
        .unwrap();
        let found = Pkcs11Key::open(module(hsm), &by_id, &pin()).unwrap();
        assert_eq!(found.verifying_key(), key.verifying_key());
        // A second key under the same name is refused.
        assert!(matches!(
            pkcs11::generate(module(hsm), &uri("ds-2026"), &pin(), Curve::P256),
            Err(Pkcs11Error::KeyExists { .. })
        ));
        // The token's signature verifies with the public key it gave.
        let sig: p256::ecdsa::DerSignature = key.try_sign(b"signed attributes").unwrap();
        let spki = key.verifying_key();
        let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(
            spki.as_der(),
        )
        .unwrap();
        signature::Verifier::verify(&vk, b"signed attributes", &sig).unwrap();
        // One context per module per process.
        assert!(Arc::ptr_eq(&module(hsm), &module(hsm)));
    });
}

#[test]
fn a_wrong_pin_is_a_typed_error() {
    on_a_fresh_token("a_wrong_pin_is_a_typed_error", |hsm| {
        let wrong = Pin::new(Zeroizing::new("000000".to_owned())).unwrap();
        assert!(matches!(
            pkcs11::generate(module(hsm), &uri("ds"), &wrong, Curve::P256),
            Err(Pkcs11Error::PinIncorrect)
        ));
        // The generated key is dropped with its session: the next open logs in afresh.
        pkcs11::generate(module(hsm), &uri("ds"), &pin(), Curve::P256).unwrap();
        let err = Pkcs11Key::open(module(hsm), &uri("ds"), &wrong);
        assert!(matches!(err, Err(Pkcs11Error::PinIncorrect)), "{err:?}");
        // A PIN file that others may read is refused before the token sees it.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pin");
        std::fs::write(&file, PIN).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
            assert!(matches!(
                PinSource::File(file.clone()).read(),
                Err(Pkcs11Error::PinSource { .. })
            ));
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let from_file = PinSource::File(file).read().unwrap();
        Pkcs11Key::open(module(hsm), &uri("ds"), &from_file).unwrap();
    });
}

#[test]
fn uris_that_name_no_key_are_typed_errors() {
    on_a_fresh_token("uris_that_name_no_key_are_typed_errors", |hsm| {
        pkcs11::generate(module(hsm), &uri("ds"), &pin(), Curve::P256).unwrap();
        let open =
            |text: &str| Pkcs11Key::open(module(hsm), &Pkcs11Uri::parse(text).unwrap(), &pin());
        assert!(matches!(
            open(&format!("pkcs11:token={TOKEN};object=absent")),
            Err(Pkcs11Error::KeyNotFound { .. })
        ));
        assert!(matches!(
            open("pkcs11:token=no-such-token;object=ds"),
            Err(Pkcs11Error::TokenNotFound { .. })
        ));
        // RFC 7512 §2.5: an attribute we do not know matches nothing.
        assert!(matches!(
            open(&format!("pkcs11:token={TOKEN};object=ds;x-vendor=1")),
            Err(Pkcs11Error::UnrecognizedAttribute(name)) if name == "x-vendor"
        ));
        assert!(matches!(
            open(&format!("pkcs11:token={TOKEN};object=ds;type=cert")),
            Err(Pkcs11Error::NotAPrivateKey("cert"))
        ));
        assert!(matches!(
            open(&format!("pkcs11:token={TOKEN};object=ds?pin-value={PIN}")),
            Err(Pkcs11Error::PinInUri)
        ));
        // The module path may come from the URI.
        let with_module = Pkcs11Uri::parse(&format!(
            "pkcs11:token={TOKEN};object=ds?module-path={}",
            hsm.module().display()
        ))
        .unwrap();
        let m = Module::for_uri(None, &with_module).unwrap();
        Pkcs11Key::open(m, &with_module, &pin()).unwrap();
        assert!(matches!(
            Module::for_uri(None, &uri("ds")),
            Err(Pkcs11Error::NoModule)
        ));
    });
}

#[test]
fn keys_a_token_should_not_hold_as_ds_keys_are_refused() {
    on_a_fresh_token(
        "keys_a_token_should_not_hold_as_ds_keys_are_refused",
        |hsm| {
            use cryptoki::{
                mechanism::Mechanism,
                object::{Attribute, KeyType},
                session::UserType,
            };
            let m = module(hsm);
            // The same library, through cryptoki directly: an extractable P-256 key and a P-521
            // key, both made without our generator.
            let raw = cryptoki::context::Pkcs11::new(hsm.module()).unwrap();
            let _ = raw.initialize(cryptoki::context::CInitializeArgs::new(
                cryptoki::context::CInitializeFlags::OS_LOCKING_OK,
            ));
            let slot = raw.get_slots_with_token().unwrap()[0];
            let session = raw.open_rw_session(slot).unwrap();
            let _ = session.login(UserType::User, Some(&PIN.to_owned().into()));
            for (label, params, extractable) in [
                ("loose", Curve::P256.ec_params(), true),
                ("p521", hex::decode("06052b81040023").unwrap(), false),
            ] {
                session
                    .generate_key_pair(
                        &Mechanism::EccKeyPairGen,
                        &[
                            Attribute::Token(true),
                            Attribute::KeyType(KeyType::EC),
                            Attribute::EcParams(params),
                            Attribute::Label(label.into()),
                            Attribute::Id(label.into()),
                        ],
                        &[
                            Attribute::Token(true),
                            Attribute::Private(true),
                            Attribute::Sensitive(true),
                            Attribute::Extractable(extractable),
                            Attribute::Sign(true),
                            Attribute::Label(label.into()),
                            Attribute::Id(label.into()),
                        ],
                    )
                    .unwrap();
            }
            assert!(matches!(
                Pkcs11Key::open(Arc::clone(&m), &uri("loose"), &pin()),
                Err(Pkcs11Error::UnsafeKey { reason, .. }) if reason.contains("CKA_EXTRACTABLE")
            ));
            let err = Pkcs11Key::open(m, &uri("p521"), &pin()).unwrap_err();
            assert!(
                matches!(&err, Pkcs11Error::UnsupportedCurve { params } if params == "1.3.132.0.35"),
                "{err}"
            );
        },
    );
}

#[test]
fn the_token_signs_an_sod_that_openssl_and_passive_authentication_verify() {
    on_a_fresh_token(
        "the_token_signs_an_sod_that_openssl_and_passive_authentication_verify",
        |hsm| {
            let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
            let key = pkcs11::generate(module(hsm), &uri("ds"), &pin(), Curve::P256).unwrap();
            let ds_der = issue_for(&pki, &key, &["I"]);
            let signer = DocumentSigner::new(ds_der.clone(), key).unwrap();
            let files = files();
            let sod = sod::sign::<_, p256::ecdsa::DerSignature>(
                &lso(&files),
                signer.certificate_der(),
                signer.signer(),
                SystemTime::now(),
            )
            .unwrap();
            openssl_verifies(&sod, &pki.csca_der).unwrap();
            let report =
                passive_authentication(&sod, &files, std::slice::from_ref(&pki.csca_der), now());
            for id in ["signature", "message-digest", "certificate-chain"] {
                let check = report.checks.iter().find(|c| c.id == id).unwrap();
                assert_eq!(check.status, CheckStatus::Pass, "{id}: {}", check.detail);
            }
            // Through the DsKey the station holds, the same.
            let ds = DocumentSigner::new(
                ds_der,
                DsKey::from(Pkcs11Key::open(module(hsm), &uri("ds"), &pin()).unwrap()),
            )
            .unwrap();
            let sod = sod::sign::<_, EcdsaSignature>(
                &lso(&files),
                ds.certificate_der(),
                ds.signer(),
                SystemTime::now(),
            )
            .unwrap();
            openssl_verifies(&sod, &pki.csca_der).unwrap();
            // Another CSCA is not trusted.
            let other = TestPki::generate(&TestPkiOptions::default()).unwrap();
            assert!(openssl_verifies(&sod, &other.csca_der).is_err());
        },
    );
}

#[test]
fn p384_and_brainpool_keys_sign_sods_openssl_verifies() {
    on_a_fresh_token(
        "p384_and_brainpool_keys_sign_sods_openssl_verifies",
        |hsm| {
            let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
            for curve in [Curve::P384, Curve::BrainpoolP256r1] {
                let key = pkcs11::generate(module(hsm), &uri(curve.name()), &pin(), curve).unwrap();
                assert_eq!(key.curve(), curve);
                // P-256's DER signature type refuses another curve by name.
                let p256: Result<p256::ecdsa::DerSignature, _> = key.try_sign(b"x");
                assert!(p256.is_err());
                let ds_der = issue_for(&pki, &key, &["I"]);
                let signer = DocumentSigner::new(ds_der, key).unwrap();
                let sod = sod::sign::<_, EcdsaSignature>(
                    &lso(&files()),
                    signer.certificate_der(),
                    signer.signer(),
                    SystemTime::now(),
                )
                .unwrap();
                openssl_verifies(&sod, &pki.csca_der).unwrap_or_else(|e| panic!("{curve}: {e}"));
            }
        },
    );
}

#[test]
fn threads_sign_at_once_through_one_context() {
    on_a_fresh_token("threads_sign_at_once_through_one_context", |hsm| {
        let key = Arc::new(pkcs11::generate(module(hsm), &uri("ds"), &pin(), Curve::P256).unwrap());
        let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(
            key.verifying_key().as_der(),
        )
        .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let key = Arc::clone(&key);
                let module_path = hsm.module();
                std::thread::spawn(move || {
                    // Every thread also asks the registry for the module: one context.
                    let m = Module::load(&module_path).unwrap();
                    let mut out = Vec::new();
                    for i in 0..25 {
                        let msg = format!("thread {t} message {i}");
                        let sig: p256::ecdsa::DerSignature = key.try_sign(msg.as_bytes()).unwrap();
                        out.push((msg, sig));
                    }
                    (m, out)
                })
            })
            .collect();
        let mut signed = 0;
        let first = module(hsm);
        for t in threads {
            let (m, out) = t.join().unwrap();
            assert!(Arc::ptr_eq(&m, &first));
            for (msg, sig) in out {
                signature::Verifier::verify(&vk, msg.as_bytes(), &sig).unwrap();
                signed += 1;
            }
        }
        assert_eq!(signed, 200);
    });
}

#[test]
fn eac_cvca_and_dv_keys_on_the_token_sign_cv_certificates_that_verify() {
    on_a_fresh_token(
        "eac_cvca_and_dv_keys_on_the_token_sign_cv_certificates_that_verify",
        |hsm| {
            use permitkit_cvc::{CvDate, CvSigner};
            use permitkit_pki::eac::{EacKey, EacPki, EacPkiOptions, TokenEacKey};
            let today = CvDate::today().unwrap();
            for curve in [
                permitkit_cvc::Curve::BrainpoolP256r1,
                permitkit_cvc::Curve::P256,
                permitkit_cvc::Curve::P384,
            ] {
                let short = match curve {
                    permitkit_cvc::Curve::P256 => "p256",
                    permitkit_cvc::Curve::P384 => "p384",
                    _ => "bp256",
                };
                let make = |role: &str| {
                    let u = uri(&format!("{role}-{short}"));
                    let recorded = u.to_string();
                    EacKey::Token(
                        TokenEacKey::generate(module(hsm), &u, &pin(), curve, recorded).unwrap(),
                    )
                };
                let mut opts = EacPkiOptions::new(today);
                opts.curve = curve;
                let pki = EacPki::generate_with(&opts, make("cvca"), Some(make("dv"))).unwrap();
                // The CVCA certificate carries the curve's explicit domain parameters and the
                // token key's point; the chain verifies with our verifier.
                let body = pki.cvca.certificate.body();
                assert_eq!(
                    permitkit_cvc::Curve::identify(body.public_key.domain().unwrap()),
                    Some(curve)
                );
                assert_eq!(
                    body.public_key.point(),
                    Some(pki.cvca.key.public_point().as_slice())
                );
                pki.check(None, today).unwrap();
                // The folder names the token keys; a file-key loader says where they are.
                let dir = tempfile::tempdir().unwrap();
                pki.write_dir(dir.path()).unwrap();
                assert!(!dir.path().join("cvca.pkcs8").exists());
                assert!(!dir.path().join("dv.pkcs8").exists());
                let recorded = std::fs::read_to_string(dir.path().join("cvca-key.uri")).unwrap();
                assert_eq!(Some(recorded.trim()), pki.cvca.key.token_uri());
                assert!(matches!(
                    EacPki::load_dir(dir.path()),
                    Err(permitkit_pki::PkiError::KeyOnToken { role: "CVCA", .. })
                ));
                // Loaded with a token opener, the old CVCA key on the token signs the link
                // certificate of a rollover onto a new token key.
                let loaded = EacPki::load_dir_with(
                    dir.path(),
                    |_, _, text| -> Result<EacKey, permitkit_pki::PkiError> {
                        let u = Pkcs11Uri::parse(text).unwrap();
                        Ok(EacKey::Token(TokenEacKey::open(
                            module(hsm),
                            &u,
                            &pin(),
                            text,
                        )?))
                    },
                )
                .unwrap();
                let next = loaded.rollover_with(&opts, make("next"), None).unwrap();
                next.check(Some(&pki.cvca.certificate), today).unwrap();
                next.check(None, today).unwrap();
                // A key on another curve than the PKI's is refused before anything is signed.
                let mut other = opts.clone();
                other.curve = if curve == permitkit_cvc::Curve::P256 {
                    permitkit_cvc::Curve::BrainpoolP256r1
                } else {
                    permitkit_cvc::Curve::P256
                };
                let e = EacPki::generate_with(&other, make("wrong"), None).unwrap_err();
                assert!(e.to_string().contains("curve"), "{e}");
            }
            // brainpoolP384r1 keys are not made on the token.
            let e = TokenEacKey::generate(
                module(hsm),
                &uri("bp384"),
                &pin(),
                permitkit_cvc::Curve::BrainpoolP384r1,
                "pkcs11:object=bp384",
            )
            .unwrap_err();
            assert!(
                matches!(e, permitkit_pki::PkiError::TokenCurve { .. }),
                "{e}"
            );
        },
    );
}
