//! A ChipImage exported for a separate personalization desk, sealed: the single-file package
//! (`ChipImage::to_package` / `from_package`) and the CMS envelope around it, through the
//! command line as a station and a desk would run it — `pki desk init`, `lds build --seal-to`,
//! `card personalize --image image.p7m --desk-key … --desk-cert …`, `card read` with the CAN
//! from the sealed image, `lds seal`, `lds unseal` — on the virtual chip. OpenSSL opens what we
//! seal (byte for byte our package) and seals what we open. A wrong desk key, a flipped byte, a
//! truncated file, a certificate that is not P-256: each a clear error, nothing written to the
//! card. OpenSSL is installed by `.ci/install-deps`; these tests fail without it.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::Output,
};

use permitkit_devices::chip_image_dir;
use permitkit_lds::{ChipImage, ChipImageError, Ef, chip_image::PackageError};
use permitkit_pki::{desk::DeskKeyPair, envelope};
use sha2::Digest as _;

#[path = "support/cli.rs"]
mod cli;
use cli::{data, error, ok, openssl, permitkit, s};

fn openssl_ok(dir: &Path, args: &[&str]) {
    let out = openssl("the independent CMS implementation")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test PKI, a desk key pair, two synthetic fingers and the foreign-national applicant.
struct Station {
    dir: tempfile::TempDir,
}

impl Station {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::copy(
            data("applicants/temporary-foreign-national.toml"),
            d.join("applicant.toml"),
        )
        .unwrap();
        ok(&permitkit(&["pki", "init", "--out", s(&d.join("pki"))]));
        ok(&permitkit(&[
            "pki",
            "desk",
            "init",
            "--out",
            s(&d.join("desk")),
        ]));
        for (seed, name) in [("21", "ri.png"), ("22", "li.png")] {
            ok(&permitkit(&[
                "finger",
                "synth",
                "--seed",
                seed,
                "--out",
                s(&d.join(name)),
            ]));
        }
        Self { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `lds build` for the applicant, with `out_args` (`--out DIR` or `--seal-to … --out F`).
    fn build(&self, out_args: &[&str]) -> Output {
        let ri = format!("right-index={}", s(&self.path("ri.png")));
        let li = format!("left-index={}", s(&self.path("li.png")));
        let applicant = self.path("applicant.toml");
        let pki = self.path("pki");
        let face = data("lds/face.jpg");
        let signature = data("lds/signature.png");
        let mut args = vec![
            "lds",
            "build",
            "--applicant",
            s(&applicant),
            "--photo",
            &face,
            "--eyes",
            "184,155,119,152",
            "--finger",
            &ri,
            "--finger",
            &li,
            "--signature",
            &signature,
            "--pki",
            s(&pki),
        ];
        args.extend_from_slice(out_args);
        permitkit(&args)
    }

    fn desk_args(&self) -> [String; 4] {
        [
            "--desk-key".into(),
            self.path("desk/desk-key.pem").display().to_string(),
            "--desk-cert".into(),
            self.path("desk/desk.pem").display().to_string(),
        ]
    }

    /// `card personalize` of `image` onto the virtual chip `state`, with `extra` arguments.
    fn personalize(&self, image: &Path, state: &str, journal: &str, extra: &[&str]) -> Output {
        let csca = self.path("pki/csca.pem");
        let state = self.path(state);
        let journal = self.path(journal);
        let mut args = vec![
            "card",
            "personalize",
            "--reader",
            "sim",
            "--json",
            "--image",
            s(image),
            "--state",
            s(&state),
            "--journal",
            s(&journal),
            "--csca",
            s(&csca),
        ];
        args.extend_from_slice(extra);
        permitkit(&args)
    }
}

#[test]
fn sealed_build_personalizes_and_reads_back_with_the_can_from_the_package() {
    let st = Station::new();
    let sealed = st.path("image.p7m");
    let desk_cert = st.path("desk/desk.pem");
    let out = ok(&st.build(&["--seal-to", s(&desk_cert), "--out", s(&sealed)]));
    assert!(out.contains("nothing was written in clear"), "{out}");
    assert!(out.contains("In clear: only"), "{out}");
    // The image never touched the disk in clear: the only new file is the sealed one, 0600.
    let mut names: Vec<String> = std::fs::read_dir(st.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "applicant.toml",
            "desk",
            "image.p7m",
            "li.png",
            "pki",
            "ri.png"
        ]
    );
    let mode = std::fs::metadata(&sealed).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The same output twice is refused: it may be another card's image.
    assert!(
        error(&st.build(&["--seal-to", s(&desk_cert), "--out", s(&sealed)])).contains("exists")
    );

    let desk = st.desk_args();
    let desk: Vec<&str> = desk.iter().map(String::as_str).collect();
    let report = ok(&st.personalize(&sealed, "card.json", "journal", &desk));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["locked"], true);
    assert!(report["protocol"].as_str().unwrap().starts_with("PACE"));

    // The desk reads the card back with the CAN the sealed image carries.
    let (state, csca, read_back) = (
        st.path("card.json"),
        st.path("pki/csca.pem"),
        st.path("read-back"),
    );
    let mut args = vec![
        "card",
        "read",
        "--reader",
        "sim",
        "--json",
        "--state",
        s(&state),
        "--chip-keys",
        s(&sealed),
        "--csca",
        s(&csca),
        "--out",
        s(&read_back),
    ];
    args.extend_from_slice(&desk);
    let read: serde_json::Value = serde_json::from_str(&ok(&permitkit(&args))).unwrap();
    assert_eq!(read["valid"], true, "{read}");
    assert!(
        read["protocol"].as_str().unwrap().contains("PACE"),
        "{read}"
    );
    assert_eq!(read["active_authentication"]["status"], "valid", "{read}");

    // Unsealed for inspection: the same files as read from the card, every file 0600.
    let unsealed_dir = st.path("unsealed");
    let mut args = vec![
        "lds",
        "unseal",
        "--image",
        s(&sealed),
        "--out",
        s(&unsealed_dir),
    ];
    args.extend_from_slice(&desk);
    ok(&permitkit(&args));
    let unsealed = chip_image_dir::load(&st.path("unsealed")).unwrap();
    let refused: Vec<&str> = read["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for ef in [Ef::DG1, Ef::DG2, Ef::DG3, Ef::DG7, Ef::DG15, Ef::Sod] {
        match std::fs::read(read_back.join(format!("{}.bin", ef.name()))) {
            Ok(bytes) => assert_eq!(Some(bytes.as_slice()), unsealed.file(ef), "{ef}"),
            // DG3 needs Terminal Authentication: reported as not read, never missing silently.
            Err(_) => assert!(
                refused.contains(&ef.name().as_str()),
                "{ef} neither read nor refused"
            ),
        }
    }
    for f in std::fs::read_dir(st.path("unsealed")).unwrap() {
        let mode = f.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let can = unsealed.keys().can.as_ref().unwrap().expose().to_owned();
    assert!(!can.is_empty());

    // Nothing of the image is in the sealed file in clear.
    let sealed_bytes = std::fs::read(&sealed).unwrap();
    for clear in [
        unsealed.file(Ef::DG1).unwrap(),
        &unsealed.file(Ef::DG2).unwrap()[..64],
        unsealed.keys().aa_private_key.as_ref().unwrap().expose(),
    ] {
        assert!(!sealed_bytes.windows(clear.len()).any(|w| w == clear));
    }

    // OpenSSL opens it into exactly our package…
    let d = st.dir.path();
    openssl_ok(
        d,
        &[
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            "image.p7m",
            "-inkey",
            "desk/desk-key.pem",
            "-recip",
            "desk/desk.pem",
            "-out",
            "package.der",
        ],
    );
    let package = std::fs::read(d.join("package.der")).unwrap();
    assert_eq!(package, unsealed.to_package().as_slice());
    assert_eq!(ChipImage::from_package(&package).unwrap(), unsealed);
    // …and a package OpenSSL seals opens and personalizes another card.
    openssl_ok(
        d,
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-outform",
            "DER",
            "-aes256",
            "-in",
            "package.der",
            "-out",
            "openssl.p7m",
            "-recip",
            "desk/desk.pem",
            "-keyopt",
            "ecdh_kdf_md:sha256",
        ],
    );
    let report = ok(&st.personalize(&d.join("openssl.p7m"), "card2.json", "journal2", &desk));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["locked"], true);
}

#[test]
fn seal_an_existing_folder_and_refuse_what_is_wrong() {
    let st = Station::new();
    let folder = st.path("chip-image");
    ok(&st.build(&["--out", s(&folder)]));
    let sealed = st.path("image.p7m");
    let desk_cert = st.path("desk/desk.pem");
    let out = ok(&permitkit(&[
        "lds",
        "seal",
        "--image",
        s(&folder),
        "--to",
        s(&desk_cert),
        "--out",
        s(&sealed),
    ]));
    assert!(out.contains("still holds the image in clear"), "{out}");
    let desk = st.desk_args();
    let desk: Vec<&str> = desk.iter().map(String::as_str).collect();
    let state = "card.json";

    // Another desk's key pair: the image names someone else.
    ok(&permitkit(&[
        "pki",
        "desk",
        "init",
        "--out",
        s(&st.path("other")),
        "--name",
        "other",
    ]));
    let other_key = st.path("other/desk-key.pem");
    let other_cert = st.path("other/desk.pem");
    let stderr = error(&st.personalize(
        &sealed,
        state,
        "journal",
        &["--desk-key", s(&other_key), "--desk-cert", s(&other_cert)],
    ));
    assert!(stderr.contains("not for this certificate"), "{stderr}");
    // The other desk's key with this desk's certificate.
    let stderr = error(&st.personalize(
        &sealed,
        state,
        "journal",
        &["--desk-key", s(&other_key), "--desk-cert", s(&desk_cert)],
    ));
    assert!(stderr.contains("does not match"), "{stderr}");
    // A byte flipped in the middle of the ciphertext: the package's SHA-256 says so.
    let mut bytes = std::fs::read(&sealed).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    let flipped = st.path("flipped.p7m");
    std::fs::write(&flipped, &bytes).unwrap();
    let stderr = error(&st.personalize(&flipped, state, "journal", &desk));
    assert!(stderr.contains("altered"), "{stderr}");
    // Truncated.
    let bytes = std::fs::read(&sealed).unwrap();
    let truncated = st.path("truncated.p7m");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    let stderr = error(&st.personalize(&truncated, state, "journal", &desk));
    assert!(stderr.contains("not valid DER"), "{stderr}");
    // A sealed file without the desk key, a folder with one.
    let stderr = error(&st.personalize(&sealed, state, "journal", &[]));
    assert!(stderr.contains("--desk-key"), "{stderr}");
    let stderr = error(&st.personalize(&folder, state, "journal", &desk));
    assert!(stderr.contains("in clear"), "{stderr}");
    // None of these wrote anything to the card: it is still blank, and personalizes.
    let report = ok(&st.personalize(&sealed, state, "journal", &desk));
    assert!(report.contains("\"locked\": true"), "{report}");

    // A certificate that is not P-256 cannot receive an image.
    let d = st.dir.path();
    openssl_ok(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "p384.key",
        ],
    );
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "p384.key",
            "-subj",
            "/CN=p384 desk",
            "-days",
            "2",
            "-out",
            "p384.pem",
        ],
    );
    let stderr = error(&permitkit(&[
        "lds",
        "seal",
        "--image",
        s(&folder),
        "--to",
        s(&d.join("p384.pem")),
        "--out",
        s(&d.join("p384.p7m")),
    ]));
    assert!(stderr.contains("not EC P-256"), "{stderr}");
    assert!(!d.join("p384.p7m").exists());
    // And lds build checks the desk certificate before it builds anything.
    let stderr = error(&st.build(&[
        "--seal-to",
        s(&d.join("p384.pem")),
        "--out",
        s(&d.join("p384.p7m")),
    ]));
    assert!(stderr.contains("not EC P-256"), "{stderr}");
}

/// One TLV with a one-byte tag and a DER length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap());
    } else {
        let digits: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(digits.len()).unwrap());
        out.extend_from_slice(&digits);
    }
    out.extend_from_slice(content);
    out
}

/// A package around `content` (the DER of PackageContent), with its SHA-256.
fn wrap(content: &[u8]) -> Vec<u8> {
    let digest = sha2::Sha256::digest(content);
    tlv(0x30, &[content.to_vec(), tlv(0x04, &digest)].concat())
}

/// PackageContent with `format`, `version`, the `files` (name, bytes) and the `keys` TLVs.
fn content(format: &str, version: u8, files: &[(&str, &[u8])], keys: &[u8]) -> Vec<u8> {
    let files: Vec<u8> = files
        .iter()
        .flat_map(|(name, bytes)| {
            tlv(
                0x30,
                &[tlv(0x0C, name.as_bytes()), tlv(0x04, bytes)].concat(),
            )
        })
        .collect();
    tlv(
        0x30,
        &[
            tlv(0x0C, format.as_bytes()),
            tlv(0x02, &[version]),
            tlv(0x30, &files),
            tlv(0x30, keys),
        ]
        .concat(),
    )
}

#[test]
fn package_round_trips_and_refuses_every_alteration() {
    let st = Station::new();
    let folder = st.path("chip-image");
    ok(&st.build(&["--out", s(&folder)]));
    let image = chip_image_dir::load(&folder).unwrap();
    let package = image.to_package();
    let again = ChipImage::from_package(&package).unwrap();
    assert_eq!(again, image);
    assert_eq!(again.keys(), image.keys());
    assert!(again.keys().can.is_some() && again.keys().aa_private_key.is_some());
    // The layout the module documents, rebuilt by hand, gives the same bytes.
    let files: Vec<(String, &[u8])> = image.files().map(|(ef, b)| (ef.name(), b)).collect();
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let k = image.keys();
    let keys: Vec<u8> = [
        (0x80, k.can.as_ref().map(|c| c.expose().as_bytes())),
        (0x81, k.aa_private_key.as_ref().map(|a| a.expose())),
        (0x82, k.ca_private_key.as_ref().map(|c| c.expose())),
        (0x83, k.trust_point.as_deref()),
    ]
    .into_iter()
    .filter_map(|(tag, v)| v.map(|v| tlv(tag, v)))
    .flatten()
    .collect();
    let by_hand = wrap(&content("permitkit-chip-image-package", 1, &files, &keys));
    assert_eq!(by_hand, package.as_slice());

    // Every byte inverted (all of the first and last 300, every 13th between): refused.
    let n = package.len();
    for i in (0..n).filter(|i| *i < 300 || *i >= n - 300 || i % 13 == 0) {
        let mut bad = package.to_vec();
        bad[i] ^= 0xFF;
        assert!(ChipImage::from_package(&bad).is_err(), "byte {i} of {n}");
    }
    for len in (0..n).step_by(97) {
        assert!(ChipImage::from_package(&package[..len]).is_err(), "{len}");
    }
    let mut trailing = package.to_vec();
    trailing.push(0);
    assert!(ChipImage::from_package(&trailing).is_err());

    // Well-formed packages with the right SHA-256 but the wrong content.
    let package_err = |bytes: &[u8]| match ChipImage::from_package(bytes) {
        Err(ChipImageError::Package(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        package_err(&wrap(&content("something-else", 1, &files, &keys))),
        PackageError::Format(f) if f == "something-else"
    ));
    assert!(matches!(
        package_err(&wrap(&content(
            "permitkit-chip-image-package",
            2,
            &files,
            &keys
        ))),
        PackageError::Version(2)
    ));
    let mut unknown = files.clone();
    unknown.push(("DG99", b"x"));
    assert!(matches!(
        package_err(&wrap(&content("permitkit-chip-image-package", 1, &unknown, &keys))),
        PackageError::UnknownFile(n) if n == "DG99"
    ));
    let mut twice = files.clone();
    twice.push(files[2]);
    assert!(matches!(
        package_err(&wrap(&content(
            "permitkit-chip-image-package",
            1,
            &twice,
            &keys
        ))),
        PackageError::Duplicate(_)
    ));
    let mut digest_wrong = package.to_vec();
    let last = digest_wrong.len() - 1;
    digest_wrong[last] ^= 1;
    assert!(matches!(package_err(&digest_wrong), PackageError::Digest));
    // A data group changed with a matching SHA-256: EF.SOD still says no.
    let dg2 = image.file(Ef::DG2).unwrap().to_vec();
    let mut altered_dg2 = dg2.clone();
    let last = altered_dg2.len() - 1;
    altered_dg2[last] ^= 1;
    let altered: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| {
            if *n == "DG2" {
                (*n, altered_dg2.as_slice())
            } else {
                (*n, *b)
            }
        })
        .collect();
    assert!(matches!(
        ChipImage::from_package(&wrap(&content(
            "permitkit-chip-image-package",
            1,
            &altered,
            &keys
        ))),
        Err(ChipImageError::HashMismatch(Ef::DG2))
    ));
    assert!(matches!(
        package_err(&vec![
            0u8;
            usize::try_from(
                permitkit_lds::chip_image::MAX_PACKAGE_SIZE
            )
            .unwrap()
                + 1
        ]),
        PackageError::TooLarge(_)
    ));
}

#[test]
fn a_sealed_image_never_opens_into_a_different_one() {
    // Every byte of the envelope's header and every 41st of its ciphertext inverted: open +
    // from_package refuses, or (a version number, say) gives back the very same image.
    let st = Station::new();
    let folder = st.path("chip-image");
    ok(&st.build(&["--out", s(&folder)]));
    let image = chip_image_dir::load(&folder).unwrap();
    let desk = DeskKeyPair::load(&st.path("desk/desk.pem"), &st.path("desk/desk-key.pem")).unwrap();
    let sealed = envelope::seal(&image.to_package(), desk.certificate_der()).unwrap();
    let mut refused = 0;
    for i in (0..sealed.len()).filter(|i| *i < 400 || i % 41 == 0 || *i >= sealed.len() - 48) {
        let mut bad = sealed.clone();
        bad[i] ^= 0xFF;
        match envelope::open(&bad, desk.key(), desk.certificate_der()) {
            Err(_) => refused += 1,
            Ok(package) => match ChipImage::from_package(&package) {
                Err(_) => refused += 1,
                Ok(opened) => assert_eq!(opened, image, "byte {i} changed the image"),
            },
        }
    }
    assert!(refused > 1000, "{refused}");
}
