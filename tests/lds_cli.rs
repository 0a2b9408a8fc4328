//! The foundation's command line as station scripts call it: `pki init`, `lds build`,
//! `lds verify`, `lds show`, with their exit codes; and the ChipImage folder it writes, loaded
//! back with every hash re-checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use permitkit_lds::{ChipImage, ChipImageError, Ef};

fn permitkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args(args)
        .output()
        .unwrap()
}

fn data(p: &str) -> String {
    format!("{}/testdata/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A test PKI and a card for the foreign-national applicant, in a temporary folder.
fn card(dir: &Path) -> (PathBuf, PathBuf) {
    let pki = dir.join("pki");
    let card = dir.join("card");
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
        &data("applicants/temporary-foreign-national.toml"),
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
        std::fs::read_to_string(data("applicants/temporary-foreign-national.toml"))
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
    let image = ChipImage::load_dir(&card).unwrap();
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
    image.save_dir(&again).unwrap();
    assert_eq!(ChipImage::load_dir(&again).unwrap(), image);

    // A changed data group is refused on load, naming it.
    let mut dg2 = std::fs::read(again.join("DG2.bin")).unwrap();
    let last = dg2.len() - 3;
    dg2[last] ^= 0x10;
    std::fs::write(again.join("DG2.bin"), &dg2).unwrap();
    match ChipImage::load_dir(&again) {
        Err(ChipImageError::HashMismatch(Ef::DG2)) => {}
        other => panic!("expected a DG2 hash mismatch, got {other:?}"),
    }

    // A missing data group that the SOD lists.
    image.save_dir(&again).unwrap();
    std::fs::remove_file(again.join("DG7.bin")).unwrap();
    let e = ChipImage::load_dir(&again).unwrap_err();
    assert!(
        e.to_string().contains("DG7: listed in EF.SOD but missing"),
        "{e}"
    );

    // EF.COM is not covered by the SOD, but the manifest records its hash.
    image.save_dir(&again).unwrap();
    let mut com = std::fs::read(again.join("COM.bin")).unwrap();
    com[5] = b'9'; // LDS version "0107" becomes "9107": still a valid EF.COM
    std::fs::write(again.join("COM.bin"), &com).unwrap();
    let e = ChipImage::load_dir(&again).unwrap_err();
    assert!(
        e.to_string().contains("COM: size or SHA-256 differs"),
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
