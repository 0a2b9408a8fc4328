//! The foundation's command line as station scripts call it: `pki init`, `lds build`,
//! `lds verify`, `lds show`, `card read`, with their exit codes; and the ChipImage folder it
//! writes, loaded back with every hash re-checked. Verification must be complete (every file
//! listed is there, or the check fails naming it), must refuse a Document Signer that may not
//! sign the document, and must give one verdict in text and JSON.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::{Path, PathBuf};

use permitkit_devices::chip_image_dir::{self, ChipImageDirError};
use permitkit_lds::{ChipImage, ChipImageError, Ef};

#[path = "support/cli.rs"]
mod cli;
use cli::{data, ok, permitkit};

/// The foreign-national applicant (its file leaves the dates to the builder: issued today for
/// the profile's default term), copied into `dir`.
fn fresh_applicant(dir: &Path) -> PathBuf {
    let path = dir.join("applicant.toml");
    std::fs::copy(data("applicants/temporary-foreign-national.toml"), &path).unwrap();
    path
}

/// A test PKI and a card for the foreign-national applicant, in a temporary folder.
fn card(dir: &Path) -> (PathBuf, PathBuf) {
    let pki = dir.join("pki");
    let card = dir.join("card");
    let applicant = fresh_applicant(dir);
    ok(&permitkit(&["pki", "init", "--out", pki.to_str().unwrap()]));
    for (seed, name) in [("21", "ri.png"), ("22", "li.png")] {
        ok(&permitkit(&[
            "finger",
            "synth",
            "--seed",
            seed,
            "--out",
            dir.join(name).to_str().unwrap(),
        ]));
    }
    ok(&permitkit(&[
        "lds",
        "build",
        "--applicant",
        applicant.to_str().unwrap(),
        "--photo",
        &data("lds/face.jpg"),
        "--eyes",
        "184,155,119,152",
        "--finger",
        &format!("right-index={}", dir.join("ri.png").display()),
        "--finger",
        &format!("left-index={}", dir.join("li.png").display()),
        "--signature",
        &data("lds/signature.png"),
        "--pki",
        pki.to_str().unwrap(),
        "--out",
        card.to_str().unwrap(),
    ]));
    (pki, card)
}

#[test]
fn build_verify_show_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, card) = card(dir.path());
    let csca = pki.join("csca.pem");
    let out = ok(&permitkit(&[
        "lds",
        "verify",
        card.to_str().unwrap(),
        "--csca",
        csca.to_str().unwrap(),
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], true);
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "signature",
        "certificate-chain",
        "hash:DG1",
        "hash:DG2",
        "hash:DG3",
        "hash:DG7",
        "hash:DG15",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }

    let shown: serde_json::Value = serde_json::from_str(&ok(&permitkit(&[
        "lds",
        "show",
        card.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert_eq!(shown["mrz"][2], "AKHMETOVA<<AIGERIM<<<<<<<<<<<<");
    assert_eq!(shown["faces"][0]["left_eye"], serde_json::json!([184, 155]));
    assert_eq!(shown["fingers"].as_array().unwrap().len(), 2);
    assert_eq!(shown["fingers"][1]["position"], "left-index");
    assert!(shown["problems"].is_null());

    // A second PKI's CSCA does not verify this card: exit 2.
    let other = dir.path().join("other");
    ok(&permitkit(&[
        "pki",
        "init",
        "--out",
        other.to_str().unwrap(),
    ]));
    let o = permitkit(&[
        "lds",
        "verify",
        card.to_str().unwrap(),
        "--csca",
        other.join("csca.pem").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL certificate-chain"));

    // pki init refuses to overwrite keys.
    let o = permitkit(&["pki", "init", "--out", pki.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing to replace keys"));

    // A malformed applicant file: exit 1 and the field named.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(fresh_applicant(dir.path()))
            .unwrap()
            .replace("1991-02-27", "1991-02-31"),
    )
    .unwrap();
    let o = permitkit(&[
        "lds",
        "build",
        "--applicant",
        bad.to_str().unwrap(),
        "--photo",
        &data("lds/face.jpg"),
        "--pki",
        pki.to_str().unwrap(),
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("holder.date_of_birth: day 31 does not exist in February"),
        "{err}"
    );
}

#[test]
fn a_chip_image_folder_loads_only_when_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (_, card) = card(dir.path());
    let image = chip_image_dir::load(&card).unwrap();
    assert!(
        image
            .keys()
            .can
            .as_ref()
            .is_some_and(|c| c.expose().len() == 6)
    );
    assert!(image.keys().aa_private_key.is_some());
    let order: Vec<Ef> = image.files().map(|(e, _)| e).collect();
    assert_eq!(order.first(), Some(&Ef::CardAccess));
    assert_eq!(order.last(), Some(&Ef::Sod), "SOD is written last");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(card.join("chip-keys.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "chip keys readable by others: {mode:o}");
    }

    // Saved again and reloaded: identical.
    let again = dir.path().join("again");
    chip_image_dir::save(&image, &again).unwrap();
    assert_eq!(chip_image_dir::load(&again).unwrap(), image);

    // A changed data group is refused on load, naming it.
    let mut dg2 = std::fs::read(again.join("DG2.bin")).unwrap();
    let last = dg2.len() - 3;
    dg2[last] ^= 0x10;
    std::fs::write(again.join("DG2.bin"), &dg2).unwrap();
    match chip_image_dir::load(&again) {
        Err(ChipImageDirError::Image(ChipImageError::HashMismatch(Ef::DG2))) => {}
        other => panic!("expected a DG2 hash mismatch, got {other:?}"),
    }

    // A missing data group that the SOD lists.
    chip_image_dir::save(&image, &again).unwrap();
    std::fs::remove_file(again.join("DG7.bin")).unwrap();
    let e = chip_image_dir::load(&again).unwrap_err();
    assert!(
        matches!(
            e,
            ChipImageDirError::Image(ChipImageError::Inconsistent(Ef::DG7, _))
        ),
        "{e}"
    );

    // EF.COM is not covered by the SOD, but the manifest records its hash.
    chip_image_dir::save(&image, &again).unwrap();
    let mut com = std::fs::read(again.join("COM.bin")).unwrap();
    com[5] = b'9'; // LDS version "0107" becomes "9107": still a valid EF.COM
    std::fs::write(again.join("COM.bin"), &com).unwrap();
    let e = chip_image_dir::load(&again).unwrap_err();
    assert!(
        matches!(
            &e,
            ChipImageDirError::Image(ChipImageError::Manifest { name, .. }) if name == "COM"
        ),
        "{e}"
    );
}

#[test]
fn without_eyes_the_face_gate_locates_them() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let card = dir.path().join("card");
    ok(&permitkit(&["pki", "init", "--out", pki.to_str().unwrap()]));
    ok(&permitkit(&[
        "lds",
        "build",
        "--applicant",
        &data("applicants/permanent-stateless.toml"),
        "--photo",
        &data("lds/face.jpg"),
        "--signature",
        &data("lds/signature.png"),
        "--pki",
        pki.to_str().unwrap(),
        "--out",
        card.to_str().unwrap(),
    ]));
    let shown: serde_json::Value = serde_json::from_str(&ok(&permitkit(&[
        "lds",
        "show",
        card.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    // Hand-measured in testdata/lds/SOURCES: left (184, 155), right (119, 152), ±2 px.
    let near = |v: &serde_json::Value, x: i64, y: i64| {
        (v[0].as_i64().unwrap() - x).abs() <= 3 && (v[1].as_i64().unwrap() - y).abs() <= 3
    };
    assert!(
        near(&shown["faces"][0]["left_eye"], 184, 155),
        "{}",
        shown["faces"][0]
    );
    assert!(
        near(&shown["faces"][0]["right_eye"], 119, 152),
        "{}",
        shown["faces"][0]
    );
    // No fingerprint consent: no DG3 even though the profile lists it.
    assert!(shown["fingers"].is_null());
    assert!(!card.join("DG3.bin").exists());
}

/// Copies the ChipImage folder `from` into a new folder `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// `lds verify` in text and in JSON: the exit code, the text report, the JSON report; the two
/// verdicts must agree with each other and with the exit code.
fn verify(folder: &Path, csca: &Path) -> (Option<i32>, String, serde_json::Value) {
    let args = [
        "lds",
        "verify",
        folder.to_str().unwrap(),
        "--csca",
        csca.to_str().unwrap(),
    ];
    let text = permitkit(&args);
    let json = permitkit(&[&args[..], &["--json"]].concat());
    assert_eq!(text.status.code(), json.status.code());
    let stdout = String::from_utf8_lossy(&text.stdout).into_owned();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let valid = report["valid"].as_bool().unwrap();
    assert_eq!(valid, text.status.code() == Some(0), "{stdout}");
    assert_eq!(
        valid,
        stdout.contains("passive authentication: VALID"),
        "{stdout}"
    );
    (text.status.code(), stdout, report)
}

fn failed_ids(report: &serde_json::Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn verify_fails_naming_every_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, card) = card(dir.path());
    let csca = pki.join("csca.pem");
    let (code, _, report) = verify(&card, &csca);
    assert_eq!(code, Some(0), "{report:#}");
    for id in [
        "ds-document-type",
        "ds-country",
        "ds-key-usage-period",
        "com",
        "card-access",
        "manifest",
    ] {
        let c = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from {report:#}"));
        assert_eq!(c["status"], "pass", "{c}");
    }
    for (file, id, detail) in [
        (
            "DG3.bin",
            "hash:DG3",
            "DG3, listed in EF.COM or EF.SOD, is missing",
        ),
        (
            "DG7.bin",
            "hash:DG7",
            "DG7, listed in EF.COM or EF.SOD, is missing",
        ),
        (
            "DG11.bin",
            "hash:DG11",
            "DG11, listed in EF.COM or EF.SOD, is missing",
        ),
        (
            "DG12.bin",
            "hash:DG12",
            "DG12, listed in EF.COM or EF.SOD, is missing",
        ),
        (
            "DG14.bin",
            "hash:DG14",
            "DG14, listed in EF.COM or EF.SOD, is missing",
        ),
        (
            "DG15.bin",
            "hash:DG15",
            "DG15, listed in EF.COM or EF.SOD, is missing",
        ),
        ("COM.bin", "com", "EF.COM (LDS 1.7) is missing"),
        (
            "CardAccess.bin",
            "card-access",
            "DG14 lists 2 PACEInfo(s) but EF.CardAccess is missing",
        ),
        (
            "manifest.json",
            "manifest",
            "manifest.json is missing: the sizes and SHA-256 of EF.COM and EF.CardAccess, which \
             EF.SOD does not cover, cannot be checked",
        ),
        (
            "DG1.bin",
            "hash:DG1",
            "DG1, which every eMRTD carries (9303-10 §4.7), is missing",
        ),
    ] {
        let folder = dir.path().join(format!("without-{file}"));
        copy_dir(&card, &folder);
        std::fs::remove_file(folder.join(file)).unwrap();
        let (code, text, report) = verify(&folder, &csca);
        assert_eq!(code, Some(2), "{file}: {text}");
        assert!(
            text.contains(&format!("FAIL {id:<20} {detail}")),
            "{file}: {text}"
        );
        assert!(
            failed_ids(&report).contains(&id.to_owned()),
            "{file}: {report:#}"
        );
        if file.ends_with(".bin") {
            let name = file.trim_end_matches(".bin");
            assert!(
                text.contains(&format!("listed in manifest.json but {file} is missing")),
                "{name}: {text}"
            );
        }
    }
}

#[test]
fn verify_fails_a_flipped_byte_in_the_files_the_sod_does_not_cover() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, card) = card(dir.path());
    let csca = pki.join("csca.pem");
    let flipped = |file: &str, edit: &dyn Fn(&mut Vec<u8>)| {
        let folder = dir.path().join(format!("flipped-{file}-{}", rand_suffix()));
        copy_dir(&card, &folder);
        let mut bytes = std::fs::read(folder.join(file)).unwrap();
        edit(&mut bytes);
        std::fs::write(folder.join(file), &bytes).unwrap();
        let (code, text, report) = verify(&folder, &csca);
        assert_eq!(code, Some(2), "{file}: {text}");
        failed_ids(&report)
    };
    // EF.COM: the LDS version "0107" becomes "0106", still well-formed: the manifest catches it.
    assert_eq!(
        flipped("COM.bin", &|b| b[5] = b'6'),
        vec!["manifest:COM".to_owned()]
    );
    // EF.COM: its last tag, DG15's 6F, becomes 6E (DG14 twice): refused by the strict parse too.
    assert_eq!(
        flipped("COM.bin", &|b| *b.last_mut().unwrap() ^= 0x01),
        vec!["com".to_owned(), "manifest:COM".to_owned()]
    );
    // EF.CardAccess: the PACE parameter id 13 becomes 12, unlike the PACEInfo DG14 and
    // EF.CardSecurity sign.
    assert_eq!(
        flipped("CardAccess.bin", &|b| *b.last_mut().unwrap() = 12),
        vec![
            "card-access".to_owned(),
            "card-security".to_owned(),
            "manifest:CardAccess".to_owned()
        ]
    );
}

/// A distinct folder name per call.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn a_signer_that_may_not_sign_the_permit_signs_nothing_and_verifies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let build = |pki: &Path, out: &str| {
        permitkit(&[
            "lds",
            "build",
            "--applicant",
            &data("applicants/permanent-stateless.toml"),
            "--photo",
            &data("lds/face.jpg"),
            "--eyes",
            "184,155,119,152",
            "--signature",
            &data("lds/signature.png"),
            "--pki",
            pki.to_str().unwrap(),
            "--out",
            dir.path().join(out).to_str().unwrap(),
        ])
    };
    // The States' EAC PKI (the fingerprints' trust point) stays Ukraine's in every case, so
    // only the Document Signer differs from what the document profile expects.
    let ua = dir.path().join("pki-ua");
    ok(&permitkit(&["pki", "init", "--out", ua.to_str().unwrap()]));
    for (args, expected) in [
        (
            &["--document-types", "P"][..],
            "EF.SOD: Document Signer: document code \"IR\" is not in the Document Signer's \
             documentTypeList [P]",
        ),
        (
            &["--country", "DE"][..],
            "EF.SOD: Document Signer: the document's issuing State UKR (UA) is not the Document \
             Signer's country DE",
        ),
    ] {
        let pki = dir.path().join(format!("pki{}", rand_suffix()));
        ok(&permitkit(
            &[&["pki", "init", "--out", pki.to_str().unwrap()][..], args].concat(),
        ));
        std::fs::remove_dir_all(pki.join("eac")).unwrap();
        copy_dir(&ua.join("eac"), &pki.join("eac"));
        let o = build(&pki, &format!("card{}", rand_suffix()));
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{err}");
    }
    let o = permitkit(&[
        "pki",
        "init",
        "--out",
        dir.path().join("zz").to_str().unwrap(),
        "--country",
        "ZZ",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not an ISO 3166-1 alpha-2 code"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A card signed anyway by a passport-only Document Signer fails verification, named.
    let good = dir.path().join("good-pki");
    ok(&permitkit(&[
        "pki",
        "init",
        "--out",
        good.to_str().unwrap(),
    ]));
    ok(&build(&good, "good-card"));
    let passports = permitkit_pki::TestPki::generate(&permitkit_pki::test_pki::TestPkiOptions {
        document_types: vec!["P".into()],
        ..Default::default()
    })
    .unwrap();
    let image = chip_image_dir::load(&dir.path().join("good-card")).unwrap();
    let mut files = image.file_map().clone();
    let lso = permitkit_lds::sod::LdsSecurityObject::new(
        permitkit_lds::sod::HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    );
    let sod = permitkit_lds::sod::sign::<_, permitkit_pki::signer::FileKeySignature>(
        &lso,
        &passports.ds_der,
        &passports.ds_key,
        std::time::SystemTime::now(),
    )
    .unwrap();
    files.insert(Ef::Sod, sod);
    let resigned = dir.path().join("resigned");
    chip_image_dir::save(&ChipImage::from_card_files(files).unwrap(), &resigned).unwrap();
    let other = dir.path().join("passport-pki");
    passports.write_dir(&other).unwrap();
    let (code, text, report) = verify(&resigned, &other.join("csca.pem"));
    assert_eq!(code, Some(2), "{text}");
    // EF.CardSecurity keeps the permit Document Signer's signature, which the passport CSCA
    // does not vouch for: it fails too, on its own line.
    assert_eq!(
        failed_ids(&report),
        vec!["ds-document-type".to_owned(), "card-security".to_owned()]
    );
    assert!(text.contains("FAIL card-security"), "{text}");
    assert!(
        text.contains(
            "FAIL ds-document-type     document code \"IR\" is not in the Document Signer's \
             documentTypeList [P]"
        ),
        "{text}"
    );
}

#[test]
fn an_oversize_field_is_refused_before_anything_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    ok(&permitkit(&["pki", "init", "--out", pki.to_str().unwrap()]));
    let applicant = dir.path().join("huge.toml");
    std::fs::write(
        &applicant,
        std::fs::read_to_string(data("applicants/permanent-stateless.toml"))
            .unwrap()
            .replace("ДМС 8041", &"A".repeat(10 << 20)),
    )
    .unwrap();
    let out = dir.path().join("card");
    let o = permitkit(&[
        "lds",
        "build",
        "--applicant",
        applicant.to_str().unwrap(),
        "--photo",
        &data("lds/face.jpg"),
        "--eyes",
        "184,155,119,152",
        "--pki",
        pki.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "document.issuing_authority: 10485760 characters; the document profile allows at \
             most 64"
        ),
        "{}",
        err.get(..400).unwrap_or(&err)
    );
    assert!(!out.join("DG12.bin").exists());
}

#[test]
fn card_read_of_a_missing_state_file_says_so_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("missing.json");
    let can = dir.path().join("can.txt");
    std::fs::write(&can, "123456\n").unwrap();
    let o = permitkit(&[
        "card",
        "read",
        "--reader",
        "sim",
        "--state",
        state.to_str().unwrap(),
        "--can-file",
        can.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "the virtual chip's state file {} does not exist",
            state.display()
        )),
        "{err}"
    );
    assert!(!err.contains("PACE"), "{err}");
    assert!(!state.exists(), "card read created the state file");
}

#[test]
fn card_read_keeps_what_it_read_when_only_active_authentication_fails() {
    use p256::pkcs8::EncodePrivateKey;
    let dir = tempfile::tempdir().unwrap();
    let (pki, card) = card(dir.path());
    let csca = pki.join("csca.pem");
    // The chip gets another Active Authentication key than the one DG15 publishes.
    let keys_path = card.join("chip-keys.json");
    let mut keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys_path).unwrap()).unwrap();
    let wrong = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
    keys["aa_private_key"] = hex::encode(wrong.to_pkcs8_der().unwrap().as_bytes()).into();
    std::fs::write(&keys_path, keys.to_string()).unwrap();
    let state = dir.path().join("card.json");
    let perso = permitkit(&[
        "card",
        "personalize",
        "--reader",
        "sim",
        "--image",
        card.to_str().unwrap(),
        "--no-lock",
        "--state",
        state.to_str().unwrap(),
        "--journal",
        dir.path().join("journal").to_str().unwrap(),
    ]);
    assert!(
        state.exists(),
        "{}{}",
        String::from_utf8_lossy(&perso.stdout),
        String::from_utf8_lossy(&perso.stderr)
    );
    let read = |out: &Path, json: bool| {
        let mut args = vec![
            "card",
            "read",
            "--reader",
            "sim",
            "--state",
            state.to_str().unwrap(),
            "--chip-keys",
            keys_path.to_str().unwrap(),
            "--csca",
            csca.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        permitkit(&args)
    };
    let o = read(&dir.path().join("read-json"), true);
    assert_eq!(o.status.code(), Some(2), "a check said no");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        report["passive_authentication"]["valid"], true,
        "{report:#}"
    );
    assert_eq!(
        report["active_authentication"]["status"], "failed",
        "{report:#}"
    );
    assert_eq!(report["valid"], false);
    assert_eq!(
        report["verdict"],
        "passive authentication VALID, active authentication FAILED, chip authenticated"
    );
    assert_eq!(
        report["chip_authentication"]["status"], "authenticated",
        "{report:#}"
    );
    let o = read(&dir.path().join("read-text"), false);
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("passive authentication: VALID"), "{text}");
    assert!(text.contains("active authentication: FAILED"), "{text}");
    assert!(
        text.contains(
            "card: passive authentication VALID, active authentication FAILED, chip authenticated"
        ),
        "{text}"
    );
    // What was read and verified is kept.
    for out in ["read-json", "read-text"] {
        let image = chip_image_dir::load(&dir.path().join(out)).unwrap();
        assert_eq!(
            image.file(Ef::DG1),
            chip_image_dir::load(&card).unwrap().file(Ef::DG1)
        );
    }
}
