//! `permitkit profiles list` and `permitkit profiles check` as an operator runs them on a
//! profiles folder: every problem as `file: field: reason`, exit 0 clean, 2 with problems,
//! 1 when the folder cannot be read.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{fs, path::Path};

use permitkit_model::profiles::builtin::BUILTIN;

#[path = "support/cli.rs"]
mod cli;
use cli::{permitkit, stdout};

fn builtin_text(kind: &str, file: &str) -> &'static str {
    BUILTIN
        .iter()
        .find(|(k, f, _)| *k == kind && *f == file)
        .map(|(_, _, t)| *t)
        .unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) -> String {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn list_shows_every_kind_with_origin_and_unverified_fields() {
    let o = permitkit(&["profiles", "list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("built-in")).collect();
    assert_eq!(rows.len(), BUILTIN.len(), "{out}");
    for kind in [
        "documents",
        "cameras",
        "quality",
        "scanners",
        "signature-pads",
        "stations",
    ] {
        assert!(
            rows.iter().any(|r| r.starts_with(kind)),
            "{kind} missing:\n{out}"
        );
    }
    let wacom = out
        .lines()
        .position(|l| l.contains("wacom-one-by-wacom-s"))
        .unwrap();
    assert!(
        out.lines().nth(wacom + 1).unwrap().contains("UNVERIFIED:"),
        "{out}"
    );

    // A user folder adds a profile and overrides a built-in; the origin says which file.
    let dir = tempfile::tempdir().unwrap();
    let pad = builtin_text("signature-pads", "simulator.toml");
    let added = write(
        dir.path(),
        "signature-pads/counter-pad.toml",
        &pad.replace("id = \"simulator\"", "id = \"counter-pad\""),
    );
    let overridden = write(dir.path(), "signature-pads/simulator.toml", pad);
    let o = permitkit(&[
        "profiles",
        "list",
        "--profiles",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    for (id, file) in [("counter-pad", &added), ("simulator ", &overridden)] {
        let row = out
            .lines()
            .find(|l| l.starts_with("signature-pads") && l.contains(id))
            .unwrap();
        assert!(row.ends_with(file.as_str()), "{row}");
    }
}

#[test]
fn check_is_clean_for_the_built_ins() {
    let o = permitkit(&["profiles", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("no problems"));
}

#[test]
fn check_reports_every_broken_field_as_file_field_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Two broken fields in one file, each reported.
    let pad = write(
        dir.path(),
        "signature-pads/wacom-one-by-wacom-s.toml",
        &builtin_text("signature-pads", "wacom-one-by-wacom-s.toml")
            .replace("usb_ids = [\"056a:037a\"]", "usb_ids = [\"56a:37a\"]")
            .replace("idle_end_seconds = 3.0", "idle_end_seconds = 0.0"),
    );
    // A file that does not parse: its line names the field.
    let scanner = write(
        dir.path(),
        "scanners/simulator.toml",
        &builtin_text("scanners", "simulator.toml").replace("ppi = 500", "ppi = \"high\""),
    );
    // A typo in a key.
    let camera = write(
        dir.path(),
        "cameras/still-replay.toml",
        &format!(
            "{}\nmin_fase_px = 3\n",
            builtin_text("cameras", "still-replay.toml")
        ),
    );
    let o = permitkit(&["profiles", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    for expected in [
        format!("{pad}: usb_ids[0]: expected vvvv:pppp in lower-case hexadecimal"),
        format!(
            "{pad}: capture.idle_end_seconds: must be 0.5 to 30 seconds (shorter cuts a signer off between words)"
        ),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "missing {expected:?} in\n{out}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{scanner}: ppi: "))),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{camera}: ")) && l.contains("min_fase_px")),
        "{out}"
    );
    assert_eq!(lines.len(), 4, "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 problems"));
}

#[test]
fn check_reports_dangling_references_of_a_station() {
    let dir = tempfile::tempdir().unwrap();
    let station = write(
        dir.path(),
        "stations/counter-3.toml",
        &builtin_text("stations", "front-office-example.toml")
            .replace("id = \"front-office-example\"", "id = \"counter-3\"")
            .replace(
                "documents = [\"ua-temporary-residence-permit\", \"ua-permanent-residence-permit\"]",
                "documents = [\"ua-temporary-residence-permit\", \"de-residence-permit\"]",
            )
            .replace("quality_profile = \"icao-portrait\"", "quality_profile = \"strict\"")
            .replace("profile = \"logitech-c920\"", "profile = \"still-replay\""),
    );
    let o = permitkit(&["profiles", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    let fields: Vec<&str> = out
        .lines()
        .map(|l| {
            let rest = l
                .strip_prefix(&format!("{station}: "))
                .unwrap_or_else(|| panic!("{l}"));
            rest.split(": ").next().unwrap()
        })
        .collect();
    assert_eq!(
        fields,
        ["documents[1]", "quality_profile", "camera.profile"],
        "{out}"
    );
    assert!(
        out.contains("no documents profile \"de-residence-permit\""),
        "{out}"
    );
    assert!(out.contains("replay camera"), "{out}");

    // The same station with its references fixed is clean.
    fs::write(
        &station,
        builtin_text("stations", "front-office-example.toml")
            .replace("id = \"front-office-example\"", "id = \"counter-3\""),
    )
    .unwrap();
    let o = permitkit(&["profiles", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn check_of_a_missing_folder_is_an_error() {
    let o = permitkit(&["profiles", "check", "/nonexistent/permitkit-profiles"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/permitkit-profiles"));
}
