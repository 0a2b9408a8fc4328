//! L3: `permitkit enroll` end to end on the simulated station, checked independently, and the
//! fault drills of issue 6: a camera that only yields bad frames, a scanner that fails, a card
//! pulled mid-write, a crash between steps, a broken profile file, bad applicant data. Each
//! must end with a clear message and nothing lost: the enrolment resumes from the journal and
//! the card is only reported issued once it reads back and verifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use permitkit_lds::ChipImage;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use serde_json::Value;

const APPLICANT: &str = include_str!("../testdata/applicants/temporary-foreign-national.toml");
const STATION: &str = include_str!("../hardware-profiles/stations/simulated.toml");

/// A station folder: PKI, applicant, journal, virtual card.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        TestPki::generate(&TestPkiOptions::default())
            .unwrap()
            .write_dir(&dir.path().join("pki"))
            .unwrap();
        std::fs::write(dir.path().join("applicant.toml"), APPLICANT).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a station profile like the simulated one with `edits` (`section.key` → TOML
    /// value) applied, and returns its path.
    fn station(&self, id: &str, edits: &[(&str, &str)]) -> PathBuf {
        let mut section = String::new();
        let mut text = String::new();
        for line in STATION.lines() {
            let mut line = line.to_owned();
            if line.starts_with('[') {
                section = line.trim_matches(['[', ']']).to_owned();
            } else if let Some((key, _)) = line.clone().split_once(" = ") {
                let full = if section.is_empty() {
                    key.to_owned()
                } else {
                    format!("{section}.{key}")
                };
                if full == "id" {
                    line = format!("id = \"{id}\"");
                }
                if let Some((_, v)) = edits.iter().find(|(k, _)| *k == full) {
                    line = format!("{key} = {v}");
                }
            }
            text.push_str(&line);
            text.push('\n');
        }
        let path = self.path(&format!("{id}.toml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn permitkit(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_permitkit"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// `enroll` with the desk's files and `extra` arguments.
    fn enroll(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "enroll",
            "--pki",
            "pki",
            "--journal",
            "journal.sqlite",
            "--card-state",
            "card.json",
            "--out",
            "chip-image",
        ];
        args.extend_from_slice(extra);
        if !extra.contains(&"--resume") && !extra.contains(&"--applicant") {
            args.extend_from_slice(&["--applicant", "applicant.toml"]);
        }
        self.permitkit(&args)
    }

    fn enroll_json(&self, extra: &[&str]) -> (Output, Vec<Value>) {
        let mut args = extra.to_vec();
        args.push("--json");
        let out = self.enroll(&args);
        let events = String::from_utf8(out.stdout.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (out, events)
    }

    fn journal_show(&self, id: &str) -> Value {
        let out = self.permitkit(&[
            "journal",
            "show",
            id,
            "--journal",
            "journal.sqlite",
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Reads the virtual card back with `card read`, a separate process, using the CAN from
    /// the ChipImage; returns (success, stdout).
    fn read_card(&self) -> (bool, String) {
        let out = self.permitkit(&[
            "card",
            "read",
            "--reader",
            "sim",
            "--state",
            "card.json",
            "--chip-keys",
            "chip-image/chip-keys.json",
            "--csca",
            "pki/csca.pem",
            "--out",
            "read-back",
        ]);
        (out.status.success(), text(&out.stdout) + &text(&out.stderr))
    }

    /// The card, read independently, holds exactly the ChipImage's files and verifies.
    fn assert_card_issued(&self) {
        let (ok, report) = self.read_card();
        assert!(ok, "{report}");
        assert!(report.contains("passive authentication: VALID"), "{report}");
        let written = ChipImage::load_dir(&self.path("chip-image")).unwrap();
        let read = ChipImage::load_dir(&self.path("read-back")).unwrap();
        let a: Vec<_> = written.files().collect();
        let b: Vec<_> = read.files().collect();
        assert_eq!(a.len(), 11, "EF.COM, EF.CardAccess, SOD and 8 data groups");
        assert_eq!(a, b, "the card holds exactly the ChipImage");
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn step<'a>(record: &'a Value, name: &str) -> &'a Value {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {record:#}"))
}

fn journal_id(events: &[Value]) -> String {
    events
        .iter()
        .find(|e| e["event"] == "begin")
        .and_then(|e| e["id"].as_str())
        .expect("a begin event")
        .to_owned()
}

/// The steps named by events of `kind` (`step-done`, `step-skipped`), in order.
fn steps_with(events: &[Value], kind: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == kind)
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect()
}

fn done_steps(events: &[Value]) -> Vec<String> {
    steps_with(events, "step-done")
}

fn skipped_steps(events: &[Value]) -> Vec<String> {
    steps_with(events, "step-skipped")
}

#[test]
fn simulated_enrolment_issues_a_card_that_reads_back_independently() {
    let desk = Desk::new();
    let out = desk.enroll(&[]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The summary has every step with its figures.
    assert!(
        stdout.contains("Card issued: application TRP-2026-004211"),
        "{stdout}"
    );
    for needle in [
        "photo",
        "frames",
        "JPEG",
        "right-index",
        "APDUs (minimum",
        "passive authentication valid",
        "Active Authentication valid",
        "total",
    ] {
        assert!(
            stdout.contains(needle),
            "summary lacks {needle:?}:\n{stdout}"
        );
    }
    desk.assert_card_issued();
    // DG3 holds the two index fingers (consent given), DG7 the signature.
    let image = ChipImage::load_dir(&desk.path("chip-image")).unwrap();
    let efs: Vec<String> = image.files().map(|(ef, _)| ef.to_string()).collect();
    for dg in ["DG1", "DG2", "DG3", "DG7", "DG11", "DG12", "DG14", "DG15"] {
        assert!(
            efs.iter().any(|e| e.contains(dg)),
            "{dg} missing from {efs:?}"
        );
    }
    // The journal: issued, every step done, captures purged.
    let list = desk.permitkit(&["journal", "list", "--journal", "journal.sqlite", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let record = &list[0];
    assert_eq!(record["state"], "issued");
    assert_eq!(
        record["blobs"].as_array().unwrap().len(),
        0,
        "captures purged"
    );
    for s in [
        "applicant",
        "photo",
        "fingers",
        "signature",
        "chip-image",
        "personalize",
        "verify",
    ] {
        assert_eq!(step(record, s)["state"], "done", "{s}");
    }
    assert_eq!(step(record, "photo")["result"]["verdict"], "warn");
    assert_eq!(
        step(record, "fingers")["result"]["fingers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Nothing secret in the journal's clear-text results.
    let dump = serde_json::to_string(record).unwrap();
    let keys = std::fs::read_to_string(desk.path("chip-image/chip-keys.json")).unwrap();
    let keys: Value = serde_json::from_str(&keys).unwrap();
    let can = keys["can"].as_str().unwrap();
    assert!(!dump.contains(can), "the CAN leaked into the journal");
    assert!(
        !dump.contains("AKHMETOVA"),
        "the name leaked into the journal"
    );
}

#[test]
fn json_events_narrate_the_enrolment() {
    let desk = Desk::new();
    let (out, events) = desk.enroll_json(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        done_steps(&events),
        [
            "applicant",
            "photo",
            "fingers",
            "signature",
            "chip-image",
            "personalize",
            "verify"
        ]
    );
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for k in [
        "begin",
        "step-started",
        "frame-good",
        "present-finger",
        "chip-progress",
        "issued",
    ] {
        assert!(kinds.contains(&k), "no {k} event in {kinds:?}");
    }
    let last = events.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["steps"].as_array().unwrap().len(), 7);
    // Chip progress reaches its total.
    let progress: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "chip-progress")
        .collect();
    let last_progress = progress.last().unwrap();
    assert_eq!(last_progress["done"], last_progress["total"]);
}

#[test]
fn a_camera_with_only_bad_frames_guides_then_times_out_and_the_enrolment_resumes() {
    let desk = Desk::new();
    let bad = desk.station(
        "bad-camera",
        &[
            ("camera.selector", "\"sim:bad\""),
            ("camera.timeout_seconds", "2.0"),
        ],
    );
    let (out, events) = desk.enroll_json(&["--station", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let guidance: Vec<_> = events.iter().filter(|e| e["event"] == "guidance").collect();
    assert!(!guidance.is_empty(), "guidance was shown");
    assert!(
        !events.iter().any(|e| e["event"] == "frame-good"),
        "no frame was good"
    );
    let error = events.last().unwrap();
    assert_eq!(error["event"], "error");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("photo: "), "{message}");
    assert!(
        message.contains("no acceptable portrait within 2"),
        "{message}"
    );
    assert!(message.contains("--resume"), "{message}");
    assert!(!desk.path("chip-image").exists(), "nothing was built");
    let id = journal_id(&events);
    let record = desk.journal_show(&id);
    assert_eq!(record["state"], "in-progress");
    assert_eq!(step(&record, "applicant")["state"], "done");
    assert_eq!(step(&record, "photo")["state"], "failed");

    // With the camera fixed (the simulated station), the same enrolment completes.
    let (out, events) = desk.enroll_json(&["--resume", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(skipped_steps(&events), ["applicant"]);
    assert_eq!(journal_id(&events), id);
    desk.assert_card_issued();
}

#[test]
fn a_failing_scanner_stops_the_enrolment_and_keeps_the_photo() {
    let desk = Desk::new();
    let unplugged = desk.station(
        "unplugged-scanner",
        &[("scanner.selector", "\"sim:unplugged\"")],
    );
    let out = desk.enroll(&["--station", unplugged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("✗ fingers"), "{stderr}");
    assert!(stderr.contains("disconnected"), "{stderr}");
    let id = stderr
        .split("--resume ")
        .nth(1)
        .and_then(|s| s.split(['`', ')']).next())
        .expect("the error names the id to resume")
        .to_owned();
    let record = desk.journal_show(&id);
    assert_eq!(step(&record, "photo")["state"], "done");
    assert_eq!(step(&record, "fingers")["state"], "failed");
    let recorded = step(&record, "fingers")["error"].as_str().unwrap();
    assert!(recorded.contains("disconnected"), "{recorded}");
    assert!(step(&record, "fingers")["result"].is_null());
    assert_eq!(
        record["blobs"],
        serde_json::json!(["portrait.jpg"]),
        "the portrait is kept"
    );

    let (out, events) = desk.enroll_json(&["--resume", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        skipped_steps(&events),
        ["applicant", "photo"],
        "the photo is not retaken"
    );
    desk.assert_card_issued();
}

#[test]
fn a_card_pulled_mid_write_is_never_reported_issued_and_resumes() {
    let desk = Desk::new();
    let (out, events) = desk.enroll_json(&["--drill-card-pull-after", "20"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!events.iter().any(|e| e["event"] == "issued"));
    let message = events.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("personalize: "), "{message}");
    assert!(message.contains("NOT done"), "{message}");
    let id = journal_id(&events);
    let record = desk.journal_show(&id);
    assert_eq!(record["state"], "in-progress");
    assert_eq!(step(&record, "personalize")["state"], "failed");
    assert!(step(&record, "chip-image")["state"] == "done");
    // The half-written card does not pass for an issued one.
    let (ok, report) = desk.read_card();
    assert!(!ok, "a half-written card must not read as valid:\n{report}");

    // The same card presented again: personalization continues where it stopped.
    let (out, events) = desk.enroll_json(&["--resume", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        skipped_steps(&events),
        ["applicant", "photo", "fingers", "signature", "chip-image"]
    );
    let perso = events
        .iter()
        .find(|e| e["event"] == "step-done" && e["step"] == "personalize")
        .unwrap();
    assert!(
        perso["summary"].as_str().unwrap().contains("resumed"),
        "{perso}"
    );
    desk.assert_card_issued();
}

#[test]
fn a_crash_between_steps_loses_nothing() {
    for after in ["fingers", "personalize"] {
        let desk = Desk::new();
        let (out, events) = desk.enroll_json(&["--drill-crash-after", after]);
        assert!(!out.status.success(), "the drill aborts the process");
        assert_eq!(
            out.status.code(),
            None,
            "killed by a signal, like a power cut"
        );
        let id = journal_id(&events);
        let record = desk.journal_show(&id);
        assert_eq!(record["state"], "in-progress");
        assert_eq!(step(&record, after)["state"], "done");

        let (out, events) = desk.enroll_json(&["--resume", &id]);
        assert!(out.status.success(), "after {after}: {}", text(&out.stderr));
        let skipped = skipped_steps(&events);
        assert_eq!(
            skipped.last().map(String::as_str),
            Some(after),
            "{skipped:?}"
        );
        desk.assert_card_issued();
        assert_eq!(desk.journal_show(&id)["state"], "issued");
        // An issued enrolment is not resumed again.
        let again = desk.enroll(&["--resume", &id]);
        assert_eq!(again.status.code(), Some(1));
        assert!(text(&again.stderr).contains("already issued"));
    }
}

#[test]
fn a_broken_profile_file_is_named_with_its_field() {
    let desk = Desk::new();
    let broken = desk.station("broken", &[("scanner.timeout_seconds", "\"soon\"")]);
    let out = desk.enroll(&["--station", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("broken.toml"), "{stderr}");
    assert!(stderr.contains("scanner.timeout_seconds"), "{stderr}");
    assert!(!desk.path("journal.sqlite").exists(), "nothing was started");

    let dangling = desk.station("dangling", &[("quality_profile", "\"no-such-quality\"")]);
    let out = desk.enroll(&["--station", dangling.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("quality_profile") && stderr.contains("no-such-quality"),
        "{stderr}"
    );

    // A broken document profile in a --profiles folder.
    let profiles = desk.path("profiles/documents");
    std::fs::create_dir_all(&profiles).unwrap();
    let doc = include_str!("../hardware-profiles/documents/ua-temporary-residence-permit.toml")
        .replace("max_years = ", "max_years = -");
    std::fs::write(profiles.join("ua-temporary-residence-permit.toml"), doc).unwrap();
    let out = desk.enroll(&["--profiles", "profiles"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("ua-temporary-residence-permit.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("max_years"), "{stderr}");
}

#[test]
fn bad_applicant_data_is_refused_before_anything_starts() {
    let desk = Desk::new();
    std::fs::write(
        desk.path("wrong-date.toml"),
        APPLICANT.replace("1991-02-27", "1991-02-30"),
    )
    .unwrap();
    let out = desk.enroll(&["--applicant", "wrong-date.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("wrong-date.toml"), "{stderr}");
    assert!(stderr.contains("holder.date_of_birth"), "{stderr}");
    assert!(
        stderr.contains("day 30 does not exist in February"),
        "{stderr}"
    );
    assert!(!desk.path("chip-image").exists());

    std::fs::write(
        desk.path("empty-name.toml"),
        APPLICANT.replace("surname = \"AKHMETOVA\"", "surname = \"\""),
    )
    .unwrap();
    let out = desk.enroll(&["--applicant", "empty-name.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("holder.surname"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_over_long_name_is_issued_with_the_truncation_stated() {
    let desk = Desk::new();
    std::fs::write(
        desk.path("long-name.toml"),
        APPLICANT
            .replace("\"AKHMETOVA\"", "\"AKHMETOVA-KASYMZHANOVA\"")
            .replace("\"AIGERIM\"", "\"AIGERIM NURSULTANOVNA\""),
    )
    .unwrap();
    let (out, events) = desk.enroll_json(&["--applicant", "long-name.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let applicant = events
        .iter()
        .find(|e| e["event"] == "step-done" && e["step"] == "applicant")
        .unwrap();
    let summary = applicant["summary"].as_str().unwrap();
    assert!(summary.contains("may be truncated"), "{summary}");
    assert!(summary.contains("DG11 carries it in full"), "{summary}");
    desk.assert_card_issued();
}

#[test]
fn demo_runs_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args(["demo", "--dir", "here"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Card issued"), "{stdout}");
    assert!(Path::new(&dir.path().join("here/chip-image/SOD.bin")).is_file());
    // A folder that is not a demo folder is refused.
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args(["demo", "--dir", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not made by `permitkit demo`"));
}

#[test]
fn a_replacement_card_for_the_same_document_starts_from_a_blank_chip() {
    let desk = Desk::new();
    let out = desk.enroll(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The first card leaves the station; a new blank card is presented for the same person
    // and document (a spoilt print, say) and enrolled again in the same journal.
    std::fs::rename(desk.path("card.json"), desk.path("first-card.json")).unwrap();
    let (out, events) = desk.enroll_json(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let perso = events
        .iter()
        .find(|e| e["event"] == "step-done" && e["step"] == "personalize")
        .unwrap();
    assert!(
        !perso["summary"].as_str().unwrap().contains("resumed"),
        "{perso}"
    );
    desk.assert_card_issued();
}
