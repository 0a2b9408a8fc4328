//! CMS EnvelopedData to a P-256 desk (`permitkit_pki::envelope`, docs/spec/cms-envelope.md):
//! our seal against our open, and against OpenSSL both ways — `openssl cms -decrypt` opens what
//! we seal, and we open what `openssl cms -encrypt` makes, with every KDF, key wrap and AES-CBC
//! size it produces. Every failure is the typed error that names it; nothing panics.
//!
//! OpenSSL is the independent implementation (installed by `.ci/install-deps`); these tests fail
//! when it is missing.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use cms::{
    content_info::ContentInfo,
    enveloped_data::{EnvelopedData, RecipientInfo},
};
use der::{Decode, Encode};
use permitkit_pki::{
    desk::{self, DeskKeyPair},
    envelope::{self, EnvelopeError},
};

fn openssl() -> Command {
    let probe = Command::new("openssl").arg("version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "OpenSSL is needed as the independent CMS implementation: run .ci/install-deps"
    );
    Command::new("openssl")
}

/// Runs OpenSSL with `args` in `dir`, failing the test with its message when it fails.
fn run_openssl(dir: &Path, args: &[&str]) {
    let out = openssl().current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A desk made by `pki desk init`'s code, written to a new folder.
fn our_desk() -> (tempfile::TempDir, DeskKeyPair) {
    let dir = tempfile::tempdir().unwrap();
    let desk = DeskKeyPair::generate("test desk").unwrap();
    desk.write_dir(dir.path()).unwrap();
    (dir, desk)
}

/// A P-256 key and a self-signed certificate made by OpenSSL alone: `key` is `sec1` (`openssl
/// ecparam -genkey`, EC PRIVATE KEY) or `pkcs8` (`openssl genpkey`); `extra` adds to `req`.
fn openssl_desk(dir: &Path, key: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let key_file = format!("{key}-key.pem");
    match key {
        "sec1" => run_openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &key_file,
            ],
        ),
        _ => run_openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key_file,
            ],
        ),
    }
    let cert_file = format!("{key}-cert.pem");
    let mut args = vec![
        "req",
        "-new",
        "-x509",
        "-key",
        &key_file,
        "-subj",
        "/CN=openssl desk",
        "-days",
        "2",
        "-out",
        &cert_file,
    ];
    args.extend_from_slice(extra);
    run_openssl(dir, &args);
    (dir.join(cert_file), dir.join(key_file))
}

fn content(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7 + 3) % 256).unwrap())
        .collect()
}

#[test]
fn what_we_seal_opens_with_the_desk_key_for_every_content_length() {
    let (_dir, desk) = our_desk();
    for len in [0, 1, 15, 16, 17, 1000, 100_000] {
        let plain = content(len);
        let sealed = envelope::seal(&plain, desk.certificate_der()).unwrap();
        let opened = envelope::open(&sealed, desk.key(), desk.certificate_der()).unwrap();
        assert_eq!(opened.as_slice(), plain.as_slice(), "length {len}");
    }
}

#[test]
fn the_desk_files_say_test_only_and_the_key_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, desk) = our_desk();
    let cert = std::fs::read_to_string(dir.path().join(desk::CERTIFICATE_FILE)).unwrap();
    assert!(cert.starts_with("TEST ONLY"), "{cert}");
    let key_meta = std::fs::metadata(dir.path().join(desk::KEY_FILE)).unwrap();
    assert_eq!(key_meta.permissions().mode() & 0o777, 0o600);
    let (_, parsed) = x509_parser::parse_x509_certificate(desk.certificate_der()).unwrap();
    assert!(parsed.subject().to_string().contains("TEST ONLY"));
    let usage = parsed.key_usage().unwrap().unwrap();
    assert!(usage.critical);
    assert!(usage.value.key_agreement());
    assert!(!usage.value.digital_signature());
    // Loading what was written gives the same pair; existing files are never replaced.
    let again = DeskKeyPair::load(
        &dir.path().join(desk::CERTIFICATE_FILE),
        &dir.path().join(desk::KEY_FILE),
    )
    .unwrap();
    assert_eq!(again.certificate_der(), desk.certificate_der());
    assert!(
        DeskKeyPair::generate("other")
            .unwrap()
            .write_dir(dir.path())
            .is_err()
    );
    assert_eq!(
        DeskKeyPair::load(
            &dir.path().join(desk::CERTIFICATE_FILE),
            &dir.path().join(desk::KEY_FILE)
        )
        .unwrap()
        .certificate_der(),
        desk.certificate_der()
    );
}

#[test]
fn openssl_decrypts_exactly_what_we_seal() {
    let (dir, desk) = our_desk();
    let plain = content(50_000);
    let sealed = envelope::seal(&plain, desk.certificate_der()).unwrap();
    std::fs::write(dir.path().join("image.p7m"), &sealed).unwrap();
    run_openssl(
        dir.path(),
        &[
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            "image.p7m",
            "-inkey",
            desk::KEY_FILE,
            "-recip",
            desk::CERTIFICATE_FILE,
            "-out",
            "plain.bin",
        ],
    );
    assert_eq!(std::fs::read(dir.path().join("plain.bin")).unwrap(), plain);
}

#[test]
fn openssl_made_desks_work_both_ways_with_sec1_and_pkcs8_keys() {
    let dir = tempfile::tempdir().unwrap();
    for key in ["sec1", "pkcs8"] {
        let (cert, key_path) = openssl_desk(dir.path(), key, &[]);
        let desk = DeskKeyPair::load(&cert, &key_path).unwrap();
        let plain = content(777);
        let sealed = envelope::seal(&plain, desk.certificate_der()).unwrap();
        std::fs::write(dir.path().join("ours.p7m"), &sealed).unwrap();
        run_openssl(
            dir.path(),
            &[
                "cms",
                "-decrypt",
                "-inform",
                "DER",
                "-in",
                "ours.p7m",
                "-inkey",
                key_path.to_str().unwrap(),
                "-recip",
                cert.to_str().unwrap(),
                "-out",
                "ours.bin",
            ],
        );
        assert_eq!(std::fs::read(dir.path().join("ours.bin")).unwrap(), plain);
    }
}

#[test]
fn we_open_what_openssl_encrypts_with_each_kdf_wrap_and_cipher() {
    let (dir, desk) = our_desk();
    let plain = content(4321);
    std::fs::write(dir.path().join("plain.bin"), &plain).unwrap();
    // OpenSSL wraps the content key with the AES key wrap of the content cipher's size.
    for (cipher, kdf) in [
        ("-aes256", "sha256"),
        ("-aes128", "sha256"),
        ("-aes192", "sha384"),
        ("-aes128", "sha384"),
        ("-aes256", "sha512"),
        ("-aes256", "sha224"),
    ] {
        let kdf_opt = format!("ecdh_kdf_md:{kdf}");
        run_openssl(
            dir.path(),
            &[
                "cms",
                "-encrypt",
                "-binary",
                "-outform",
                "DER",
                cipher,
                "-in",
                "plain.bin",
                "-out",
                "theirs.p7m",
                "-recip",
                desk::CERTIFICATE_FILE,
                "-keyopt",
                &kdf_opt,
            ],
        );
        let sealed = std::fs::read(dir.path().join("theirs.p7m")).unwrap();
        let opened = envelope::open(&sealed, desk.key(), desk.certificate_der())
            .unwrap_or_else(|e| panic!("{cipher} {kdf}: {e}"));
        assert_eq!(opened.as_slice(), plain.as_slice(), "{cipher} {kdf}");
    }
    // PEM output is read too; S/MIME is refused saying how to make DER.
    run_openssl(
        dir.path(),
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-outform",
            "PEM",
            "-aes256",
            "-in",
            "plain.bin",
            "-out",
            "theirs.pem",
            "-recip",
            desk::CERTIFICATE_FILE,
            "-keyopt",
            "ecdh_kdf_md:sha256",
        ],
    );
    let pem = std::fs::read(dir.path().join("theirs.pem")).unwrap();
    let der = envelope::der_of_file(&pem).unwrap();
    let opened = envelope::open(&der, desk.key(), desk.certificate_der()).unwrap();
    assert_eq!(opened.as_slice(), plain.as_slice());
    run_openssl(
        dir.path(),
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-aes256",
            "-in",
            "plain.bin",
            "-out",
            "theirs.smime",
            "-recip",
            desk::CERTIFICATE_FILE,
            "-keyopt",
            "ecdh_kdf_md:sha256",
        ],
    );
    let smime = std::fs::read(dir.path().join("theirs.smime")).unwrap();
    assert!(matches!(
        envelope::der_of_file(&smime),
        Err(EnvelopeError::NotDer("S/MIME"))
    ));
}

#[test]
fn openssl_default_sha1_kdf_and_triple_des_are_refused_by_oid() {
    let (dir, desk) = our_desk();
    std::fs::write(dir.path().join("plain.bin"), b"x").unwrap();
    // No -keyopt: OpenSSL 3 uses dhSinglePass-stdDH-sha1kdf-scheme.
    run_openssl(
        dir.path(),
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-outform",
            "DER",
            "-aes256",
            "-in",
            "plain.bin",
            "-out",
            "sha1.p7m",
            "-recip",
            desk::CERTIFICATE_FILE,
        ],
    );
    let sealed = std::fs::read(dir.path().join("sha1.p7m")).unwrap();
    let err = envelope::open(&sealed, desk.key(), desk.certificate_der()).unwrap_err();
    match &err {
        EnvelopeError::UnsupportedAlgorithm { what, oid, .. } => {
            assert_eq!(*what, "key agreement");
            assert_eq!(oid.to_string(), "1.3.133.16.840.63.0.2");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("ecdh_kdf_md:sha256"), "{err}");
    run_openssl(
        dir.path(),
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-outform",
            "DER",
            "-des3",
            "-in",
            "plain.bin",
            "-out",
            "des3.p7m",
            "-recip",
            desk::CERTIFICATE_FILE,
            "-keyopt",
            "ecdh_kdf_md:sha256",
        ],
    );
    let sealed = std::fs::read(dir.path().join("des3.p7m")).unwrap();
    match envelope::open(&sealed, desk.key(), desk.certificate_der()) {
        Err(EnvelopeError::UnsupportedAlgorithm { what, oid, .. }) => {
            // des-ede3-cbc (RFC 3370 §5.1); its 3DES wrap is refused first or the cipher is.
            assert!(
                ["content encryption", "key wrap"].contains(&what),
                "{what} {oid}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn certificates_that_cannot_receive_are_refused_before_sealing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<&str>); 3] = [
        (
            "p384",
            vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
        ),
        (
            "rsa",
            vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        ),
        ("ed25519", vec!["genpkey", "-algorithm", "ED25519"]),
    ];
    for (name, keygen) in cases {
        let key = format!("{name}-key.pem");
        let cert = format!("{name}.pem");
        let mut args = keygen.clone();
        args.extend_from_slice(&["-out", &key]);
        run_openssl(dir.path(), &args);
        run_openssl(
            dir.path(),
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                &key,
                "-subj",
                "/CN=not p256",
                "-days",
                "2",
                "-out",
                &cert,
            ],
        );
        let der = desk::read_certificate(&dir.path().join(&cert)).unwrap();
        let err = envelope::seal(b"x", &der).unwrap_err();
        assert!(matches!(err, EnvelopeError::NotP256(_)), "{name}: {err:?}");
    }
    let (cert, _) = openssl_desk(
        dir.path(),
        "pkcs8",
        &["-addext", "keyUsage=critical,digitalSignature"],
    );
    let der = desk::read_certificate(&cert).unwrap();
    let err = envelope::seal(b"x", &der).unwrap_err();
    assert!(matches!(err, EnvelopeError::NoKeyAgreement(_)), "{err:?}");
    assert!(err.to_string().contains("DigitalSignature"), "{err}");
    assert!(matches!(
        envelope::seal(b"x", b"not a certificate"),
        Err(EnvelopeError::Certificate { .. })
    ));
}

#[test]
fn a_wrong_desk_key_is_named_for_what_it_is() {
    let (_a, desk) = our_desk();
    let (_b, other) = our_desk();
    let sealed = envelope::seal(b"for desk A only", desk.certificate_der()).unwrap();
    // Another desk entirely: the envelope names someone else.
    let err = envelope::open(&sealed, other.key(), other.certificate_der()).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::WrongRecipient { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("TEST ONLY personalization desk"),
        "{err}"
    );
    // The right certificate with another key.
    assert!(matches!(
        envelope::open(&sealed, other.key(), desk.certificate_der()),
        Err(EnvelopeError::KeyMismatch)
    ));
    // A key whose certificate has the same issuer and serial number: found, does not unwrap.
    let dir = tempfile::tempdir().unwrap();
    let (cert1, key1) = openssl_desk(dir.path(), "sec1", &["-set_serial", "7"]);
    let (cert2, key2) = openssl_desk(dir.path(), "pkcs8", &["-set_serial", "7"]);
    let one = DeskKeyPair::load(&cert1, &key1).unwrap();
    let two = DeskKeyPair::load(&cert2, &key2).unwrap();
    let sealed = envelope::seal(b"for one", one.certificate_der()).unwrap();
    assert!(matches!(
        envelope::open(&sealed, two.key(), two.certificate_der()),
        Err(EnvelopeError::UnwrapFailed)
    ));
    // A key file that is not the certificate's key, when loading the pair.
    assert!(matches!(
        DeskKeyPair::load(&cert1, &key2),
        Err(permitkit_pki::PkiError::KeyMismatch(_))
    ));
}

#[test]
fn truncated_and_altered_envelopes_are_typed_errors() {
    let (_dir, desk) = our_desk();
    let plain = content(3000);
    let sealed = envelope::seal(&plain, desk.certificate_der()).unwrap();
    for len in (0..sealed.len()).step_by(7).chain([sealed.len() - 1]) {
        let err = envelope::open(&sealed[..len], desk.key(), desk.certificate_der()).unwrap_err();
        assert!(
            matches!(err, EnvelopeError::Malformed { .. }),
            "{len}: {err:?}"
        );
    }
    // Every byte inverted: never a panic. Before the IV (structure, algorithms, recipient,
    // originator key, wrapped key) a change is refused or harmless (a version number); from the
    // IV on, CBC without integrity may decrypt to altered content: the ChipImage package's own
    // SHA-256 catches that (tests/chip_image_seal.rs).
    let enveloped: EnvelopedData = ContentInfo::from_der(&sealed)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let iv: der::asn1::OctetString = enveloped
        .encrypted_content
        .content_enc_alg
        .parameters
        .unwrap()
        .decode_as()
        .unwrap();
    let iv_start = sealed.windows(16).position(|w| w == iv.as_bytes()).unwrap();
    let mut refused = 0;
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0xFF;
        match envelope::open(&bad, desk.key(), desk.certificate_der()) {
            Err(_) => refused += 1,
            Ok(opened) if opened.as_slice() == plain.as_slice() => {}
            Ok(_) => assert!(
                i >= iv_start,
                "byte {i} (IV at {iv_start}) altered the content"
            ),
        }
    }
    assert!(refused > iv_start / 2, "{refused} refused");
    let too_big = vec![0x30; envelope::MAX_ENVELOPE_SIZE + 1];
    assert!(matches!(
        envelope::open(&too_big, desk.key(), desk.certificate_der()),
        Err(EnvelopeError::TooLarge { .. })
    ));
}

#[test]
fn the_encrypted_key_is_not_wrapped_under_a_zero_key() {
    // cms 0.3.0-rc.0's KeyAgreeRecipientInfoBuilder wraps under an all-zero KEK
    // (docs/spec/cms-envelope.md §7): ours must not.
    use aes_kw::KwAes256;
    use cipher::KeyInit;
    let (_dir, desk) = our_desk();
    let sealed = envelope::seal(b"secret", desk.certificate_der()).unwrap();
    let info = ContentInfo::from_der(&sealed).unwrap();
    let enveloped: EnvelopedData = info.content.decode_as().unwrap();
    let RecipientInfo::Kari(kari) = enveloped.recip_infos.0.iter().next().unwrap() else {
        panic!("not a kari");
    };
    let wrapped = kari.recipient_enc_keys[0].enc_key.as_bytes();
    assert_eq!(wrapped.len(), 40, "a wrapped AES-256 key");
    let zero = KwAes256::new_from_slice(&[0u8; 32]).unwrap();
    let mut out = [0u8; 32];
    assert!(zero.unwrap_key(wrapped, &mut out).is_err());
    // And the structure is the one the module documents.
    assert_eq!(kari.key_enc_alg.oid.to_string(), "1.3.132.1.11.1");
    assert_eq!(
        enveloped.encrypted_content.content_enc_alg.oid.to_string(),
        "2.16.840.1.101.3.4.1.42"
    );
    assert_eq!(info.to_der().unwrap(), sealed);
}

#[test]
fn a_committed_openssl_envelope_opens_to_its_text() {
    // testdata/envelope/SOURCES: made by OpenSSL 3.0.19 (AES-128-CBC, id-aes128-wrap, SHA-384
    // KDF) to the committed TEST ONLY desk; opened here without OpenSSL.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/envelope");
    let desk = DeskKeyPair::load(&root.join("desk.pem"), &root.join("desk-key.pem")).unwrap();
    let sealed = std::fs::read(root.join("openssl-aes128-sha384.p7m")).unwrap();
    let text = std::fs::read(root.join("openssl-aes128-sha384.txt")).unwrap();
    let opened = envelope::open(&sealed, desk.key(), desk.certificate_der()).unwrap();
    assert_eq!(opened.as_slice(), text.as_slice());
    // Any other desk: named as the wrong recipient.
    let (_dir, other) = our_desk();
    assert!(matches!(
        envelope::open(&sealed, other.key(), other.certificate_der()),
        Err(EnvelopeError::WrongRecipient { .. })
    ));
}
