//! The bureau's package checks: the station's own validation and capture checks, refusing what
//! a station would refuse (no database needed).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::Path;

use permitkit_biometrics::face_record::COLOUR_SPACE_RGB24;
use permitkit_bureau::checks;
use permitkit_bureau::intake::Refusal;
use permitkit_bureau::package::{FingerPart, Package};
use permitkit_model::profiles::Registry;
use permitkit_station::applicant::{Captures, IssuedNumbers, Portrait};

fn testdata(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(path),
    )
    .unwrap()
}

fn applicant() -> String {
    String::from_utf8(testdata("applicants/temporary-foreign-national.toml"))
        .unwrap()
        .replace(
            "fingerprints_on_chip = true",
            "fingerprints_on_chip = false",
        )
}

fn package() -> Package {
    let captures = Captures {
        portrait: Portrait {
            jpeg: testdata("lds/face.jpg"),
            width: 300,
            height: 400,
            colour_space: COLOUR_SPACE_RGB24,
            left_eye: None,
            right_eye: None,
        },
        fingers: Vec::new(),
        signature_jpeg: None,
    };
    Package::new(applicant(), &captures)
}

fn check(p: &Package) -> Result<(), Refusal> {
    checks::check(p, &Registry::builtin().unwrap(), &IssuedNumbers::new()).map(|_| ())
}

#[test]
fn a_package_the_station_accepts_passes() {
    let checked = checks::check(
        &package(),
        &Registry::builtin().unwrap(),
        &IssuedNumbers::new(),
    )
    .unwrap();
    assert_eq!(checked.applicant.application, "TRP-2026-004211");
    assert_eq!(checked.captures.portrait.width, 300);
}

#[test]
fn an_applicant_file_the_station_refuses_is_refused_with_its_field() {
    let mut p = package();
    p.applicant = p.applicant.replace("sex = \"F\"", "sex = \"Q\"");
    match check(&p) {
        Err(Refusal::Applicant(e)) => assert_eq!(e.field, "holder.sex"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_document_number_already_held_needs_a_declared_replacement() {
    let mut issued = IssuedNumbers::new();
    issued.insert("FT4211207", "TRP-2026-000001");
    let registry = Registry::builtin().unwrap();
    let refused = checks::check(&package(), &registry, &issued).map(|_| ());
    assert!(
        matches!(&refused, Err(Refusal::Applicant(e)) if e.field.starts_with("document")),
        "{refused:?}"
    );
    let mut p = package();
    p.applicant = p.applicant.replace(
        "number = \"FT4211207\"",
        "number = \"FT4211207\"\nreplaces = \"FT4211207\"",
    );
    assert!(checks::check(&p, &registry, &issued).is_ok());
}

#[test]
fn a_portrait_whose_size_is_not_the_declared_one_is_refused() {
    let mut p = package();
    p.portrait.width = 301;
    assert!(matches!(check(&p), Err(Refusal::Capture { part, .. }) if part == "portrait"));
    let mut p = package();
    p.portrait.jpeg = hex::encode(b"not an image at all");
    assert!(matches!(check(&p), Err(Refusal::Capture { part, .. }) if part == "portrait"));
    let mut p = package();
    p.portrait.jpeg = "zz".into();
    assert!(matches!(check(&p), Err(Refusal::Format(_))));
}

#[test]
fn fingers_are_decoded_and_held_to_the_profile() {
    let wsq = testdata("wsq/ridges-96x96.wsq");
    let finger = |position: &str| FingerPart {
        position: position.into(),
        quality: 90,
        width: 96,
        height: 96,
        wsq: hex::encode(&wsq),
    };
    // A finger the document profile does not ask for.
    let mut p = package();
    p.fingers = vec![finger("left-little")];
    assert!(
        matches!(check(&p), Err(Refusal::Capture { part, reason }) if part == "fingers.left-little" && reason.contains("is not a finger the document profile asks for")),
    );
    // A WSQ stream cut short.
    let mut p = package();
    let mut cut = finger("right-index");
    cut.wsq = hex::encode(wsq.get(..wsq.len() / 2).unwrap());
    p.fingers = vec![cut];
    assert!(
        matches!(check(&p), Err(Refusal::Capture { part, .. }) if part == "fingers.right-index")
    );
    // An unknown finger name.
    let mut p = package();
    p.fingers = vec![finger("left-sixth")];
    assert!(matches!(check(&p), Err(Refusal::Format(_))));
}

#[test]
fn another_package_format_is_refused() {
    let mut p = package();
    p.format = 2;
    assert!(matches!(
        checks::applicant(&p, &Registry::builtin().unwrap()),
        Err(Refusal::Format(_))
    ));
}
