//! L3: `permitkit enroll` end to end on the simulated station, checked independently, and the
//! fault drills of issue 6: a camera that only yields bad frames, a scanner that fails, a card
//! pulled mid-write, a crash between steps, a broken profile file, bad applicant data. Each
//! must end with a clear message and nothing lost: the enrolment resumes from the journal and
//! the card is only reported issued once it reads back and verifies. Then issuance you can
//! trust: each enrolment in its own folder, no biometrics or keys on disk in clear once the
//! card is issued, `--abandon`, `journal list`'s actions, a resume of a finished enrolment, a
//! lost journal key, and `lds build`'s owner-only folder.
#![expect(
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

use permitkit_devices::chip_image_dir;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use serde_json::Value;

#[path = "support/cli.rs"]
mod cli;
use cli::text;

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

    /// Declares in the applicant file that the next card replaces the one issued under the
    /// same number (`document.replaces`).
    fn declare_replacement(&self) {
        let text = APPLICANT.replace(
            "number = \"FT4211207\"",
            "number = \"FT4211207\"\nreplaces = \"FT4211207\"",
        );
        std::fs::write(self.path("applicant.toml"), text).unwrap();
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
            "enrolments",
        ];
        args.extend_from_slice(extra);
        if !["--resume", "--applicant", "--abandon"]
            .iter()
            .any(|a| extra.contains(a))
        {
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

    /// The CAN of enrolment `id`, from `journal can`.
    fn can(&self, id: &str) -> String {
        let out = self.permitkit(&["journal", "can", id, "--journal", "journal.sqlite"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let can = text(&out.stdout).trim().to_owned();
        assert!(
            can.len() == 6 && can.bytes().all(|b| b.is_ascii_digit()),
            "{can:?}"
        );
        can
    }

    /// The newest enrolment, as `journal list --json` shows it.
    fn newest(&self) -> Value {
        let out = self.permitkit(&["journal", "list", "--journal", "journal.sqlite", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        list[0].clone()
    }

    /// Reads the virtual card `card` back with `card read`, a separate process, opened with
    /// the CAN of enrolment `id` from the journal, into `out`; returns (success, report).
    fn read_card(&self, card: &str, id: &str, out: &Path) -> (bool, String) {
        let can = self.can(id);
        let can_file = out.with_extension("can");
        std::fs::write(&can_file, &can).unwrap();
        let out = self.permitkit(&[
            "card",
            "read",
            "--reader",
            "sim",
            "--state",
            card,
            "--can-file",
            can_file.to_str().unwrap(),
            "--csca",
            "pki/csca.pem",
            // DG3 is behind Extended Access Control: read as the PKI's inspection system.
            "--terminal",
            "pki/eac",
            "--out",
            out.to_str().unwrap(),
        ]);
        (out.status.success(), text(&out.stdout) + &text(&out.stderr))
    }

    /// The newest enrolment's card, read independently, verifies and holds exactly the files
    /// its folder's manifest lists; the folder holds those without biometrics, byte for byte.
    fn assert_card_issued(&self) {
        let record = self.newest();
        assert_eq!(record["state"], "issued", "{record:#}");
        let id = record["id"].as_str().unwrap();
        let read_back = tempfile::tempdir().unwrap();
        let (ok, report) = self.read_card("card.json", id, read_back.path());
        assert!(ok, "{report}");
        assert!(report.contains("passive authentication: VALID"), "{report}");
        let read = chip_image_dir::load(read_back.path()).unwrap();
        let folder = PathBuf::from(record["out_dir"].as_str().unwrap());
        assert_eq!(folder, self.path("enrolments").join(id));
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
        let listed = manifest["files"].as_array().unwrap();
        assert_eq!(
            listed.len(),
            12,
            "EF.COM, EF.CardAccess, EF.CardSecurity, SOD and 8 data groups"
        );
        assert!(
            report.contains("chip authentication: VALID"),
            "DG14's key proved (PACE-CAM) and vouched for: {report}"
        );
        assert_eq!(
            read.files().count(),
            12,
            "the card holds exactly the ChipImage"
        );
        for (ef, bytes) in read.files() {
            let entry = listed
                .iter()
                .find(|f| f["name"] == ef.name())
                .unwrap_or_else(|| panic!("{ef} not in the manifest"));
            assert_eq!(entry["sha256"], sha256(bytes), "{ef}");
            let file = folder.join(format!("{}.bin", ef.name()));
            if ["DG2", "DG3", "DG7"].contains(&ef.name().as_str()) {
                assert!(!file.exists(), "{} holds biometrics", file.display());
            } else {
                assert_eq!(std::fs::read(&file).unwrap(), bytes, "{ef}");
            }
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
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
    assert!(stdout.contains("permitkit journal can"), "{stdout}");
    // DG3 holds the two index fingers (consent given), DG7 the signature.
    let record = desk.newest();
    let id = record["id"].as_str().unwrap();
    let read_back = tempfile::tempdir().unwrap();
    assert!(desk.read_card("card.json", id, read_back.path()).0);
    let image = chip_image_dir::load(read_back.path()).unwrap();
    let efs: Vec<String> = image.files().map(|(ef, _)| ef.to_string()).collect();
    for dg in ["DG1", "DG2", "DG3", "DG7", "DG11", "DG12", "DG14", "DG15"] {
        assert!(
            efs.iter().any(|e| e.contains(dg)),
            "{dg} missing from {efs:?}"
        );
    }
    // The journal: issued, every step done, captures and keys purged but for the CAN.
    let record = &record;
    assert_eq!(record["state"], "issued");
    assert_eq!(record["status"], "issued");
    assert_eq!(record["actions"], serde_json::json!([]));
    assert_eq!(
        record["blobs"],
        serde_json::json!(["can"]),
        "captures and keys purged"
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
    let can = desk.can(id);
    assert!(!dump.contains(&can), "the CAN leaked into the journal");
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
        "fingers-planned",
        "finger-attempt",
        "finger-accepted",
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
    assert!(!desk.path("enrolments").exists(), "nothing was built");
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
    let read_back = tempfile::tempdir().unwrap();
    let (ok, report) = desk.read_card("card.json", &id, read_back.path());
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
        let stderr = text(&again.stderr);
        assert!(stderr.contains("already issued"), "{stderr}");
        assert!(!stderr.contains("--resume"), "{stderr}");
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
    assert!(!desk.path("enrolments").exists());

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
    assert!(stdout.contains("permitkit journal can"), "{stdout}");
    let folders: Vec<PathBuf> = std::fs::read_dir(dir.path().join("here/enrolments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert!(folders[0].join("SOD.bin").is_file());
    assert!(!folders[0].join("DG2.bin").exists());
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
    // and document (a spoilt print, say) and enrolled again in the same journal. The number is
    // issued already: without the declared replacement the application is refused.
    std::fs::rename(desk.path("card.json"), desk.path("first-card.json")).unwrap();
    let refused = desk.enroll(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("document.number: FT4211207 was already issued"),
        "{}",
        text(&refused.stderr)
    );
    desk.declare_replacement();
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

/// The journal id that a failed enrolment's error names.
fn id_to_resume(stderr: &str) -> String {
    stderr
        .split("--resume ")
        .nth(1)
        .and_then(|s| s.split(['`', ')']).next())
        .expect("the error names the id to resume")
        .to_owned()
}

#[test]
fn two_enrolments_in_a_row_keep_separate_folders_and_keys() {
    let desk = Desk::new();
    let out = desk.enroll(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = desk.newest();
    let first_id = first["id"].as_str().unwrap().to_owned();
    let first_folder = PathBuf::from(first["out_dir"].as_str().unwrap());
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = walk(dir)
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect();
        files.sort();
        files
    };
    let before = snapshot(&first_folder);
    let first_can = desk.can(&first_id);

    // The first card leaves; the next one (a replacement under the same number) is pulled
    // mid-write (a failed enrolment that wrote its folder), then resumed and issued — all with
    // the same --out.
    std::fs::rename(desk.path("card.json"), desk.path("first-card.json")).unwrap();
    desk.declare_replacement();
    let failed = desk.enroll(&["--drill-card-pull-after", "20"]);
    assert_eq!(failed.status.code(), Some(1));
    let second_id = id_to_resume(&text(&failed.stderr));
    assert_eq!(
        snapshot(&first_folder),
        before,
        "the first folder is untouched"
    );
    let out = desk.enroll(&["--resume", &second_id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    desk.assert_card_issued();
    assert_eq!(
        snapshot(&first_folder),
        before,
        "the first folder is untouched"
    );

    let mut folders: Vec<String> = std::fs::read_dir(desk.path("enrolments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut ids = vec![first_id.clone(), second_id.clone()];
    ids.sort();
    assert_eq!(
        folders, ids,
        "one folder per enrolment, named by its journal id"
    );
    // The first card still opens with its own CAN, kept in the journal.
    assert_eq!(desk.can(&first_id), first_can);
    let read_back = tempfile::tempdir().unwrap();
    let (ok, report) = desk.read_card("first-card.json", &first_id, read_back.path());
    assert!(ok, "{report}");
    assert!(report.contains("passive authentication: VALID"), "{report}");
}

#[test]
fn after_issue_no_biometrics_or_keys_remain_on_disk() {
    let desk = Desk::new();
    let out = desk.enroll(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = desk.newest()["id"].as_str().unwrap().to_owned();
    // What the card holds, read into a folder away from the desk.
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(desk.read_card("card.json", &id, elsewhere.path()).0);
    let biometrics: Vec<(&str, Vec<u8>)> = ["DG2", "DG3", "DG7"]
        .into_iter()
        .map(|dg| {
            let data = std::fs::read(elsewhere.path().join(format!("{dg}.bin"))).unwrap();
            (dg, data)
        })
        .collect();

    // Every file the station wrote (the card's own state file and the PKI aside).
    let station_files: Vec<PathBuf> = walk(desk.dir.path())
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "card.json" && !p.starts_with(desk.path("pki"))
        })
        .collect();
    for path in &station_files {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            !["DG2.bin", "DG3.bin", "DG7.bin", "chip-keys.json"].contains(&name.as_ref()),
            "{} is on disk",
            path.display()
        );
        let bytes = std::fs::read(path).unwrap();
        for (dg, data) in &biometrics {
            let middle = &data[data.len() / 2..data.len() / 2 + 64];
            assert!(
                !bytes.windows(64).any(|w| w == middle),
                "{} holds {dg} in clear",
                path.display()
            );
        }
        assert!(
            !bytes.windows(14).any(|w| w == b"aa_private_key"),
            "{} holds the AA private key",
            path.display()
        );
    }
    #[cfg(unix)]
    {
        let folder = desk.path("enrolments").join(&id);
        assert_eq!(mode(&folder), 0o700);
        for f in walk(&folder) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        assert_eq!(mode(&desk.path("journal.sqlite.key")), 0o600);
    }
}

#[test]
fn a_stuck_enrolment_is_listed_with_its_actions_abandoned_and_never_resumed() {
    let desk = Desk::new();
    let unplugged = desk.station(
        "unplugged-scanner",
        &[("scanner.selector", "\"sim:unplugged\"")],
    );
    let out = desk.enroll(&["--station", unplugged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let id = id_to_resume(&text(&out.stderr));

    // `journal list` shows it stuck, with what the operator can do.
    let list = desk.permitkit(&["journal", "list", "--journal", "journal.sqlite"]);
    let listed = text(&list.stdout);
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(
        line.contains("failed") && line.contains("fingers (failed)"),
        "{line}"
    );
    assert!(line.ends_with("resume, abandon"), "{line}");
    assert!(listed.contains("--abandon ID --reason"), "{listed}");
    assert_eq!(
        desk.newest()["actions"],
        serde_json::json!(["resume", "abandon"])
    );

    // --abandon needs a reason.
    let out = desk.enroll(&["--abandon", &id]);
    assert_eq!(out.status.code(), Some(64), "usage: {}", text(&out.stderr));
    let out = desk.enroll(&[
        "--abandon",
        &id,
        "--reason",
        "applicant left the desk",
        "--operator",
        "op-7",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("abandoned by op-7"),
        "{}",
        text(&out.stdout)
    );

    let record = desk.journal_show(&id);
    assert_eq!(record["state"], "abandoned");
    assert_eq!(
        record["blobs"],
        serde_json::json!([]),
        "the portrait is deleted"
    );
    let events = record["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "abandon" && e["message"] == "by op-7: applicant left the desk"),
        "{events:?}"
    );
    let list = desk.permitkit(&["journal", "list", "--journal", "journal.sqlite"]);
    let listed = text(&list.stdout);
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.contains("abandoned") && line.ends_with('-'), "{line}");

    // It is not resumed, and the message says why instead of suggesting --resume.
    let out = desk.enroll(&["--resume", &id]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("enrolment {id} is abandoned")),
        "{stderr}"
    );
    assert!(!stderr.contains("--resume"), "{stderr}");
    assert_eq!(
        desk.journal_show(&id)["events"].as_array().unwrap().len(),
        events.len()
    );
    // Nor abandoned again.
    let out = desk.enroll(&["--abandon", &id, "--reason", "again"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already abandoned"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn resuming_an_issued_enrolment_says_so_and_does_nothing() {
    let desk = Desk::new();
    let out = desk.enroll(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = desk.newest()["id"].as_str().unwrap().to_owned();
    let events = desk.journal_show(&id)["events"].as_array().unwrap().len();
    let card = std::fs::read(desk.path("card.json")).unwrap();

    let (out, lines) = desk.enroll_json(&["--resume", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines.len(), 1, "only the error: {lines:?}");
    let message = lines[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("enrolment {id} is already issued")),
        "{message}"
    );
    assert!(message.contains("nothing to resume"), "{message}");
    assert!(!message.contains("--resume"), "{message}");
    assert_eq!(
        desk.journal_show(&id)["events"].as_array().unwrap().len(),
        events
    );
    assert_eq!(std::fs::read(desk.path("card.json")).unwrap(), card);
    // An issued card is not abandoned either.
    let out = desk.enroll(&["--abandon", &id, "--reason", "mistake"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is issued"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(desk.newest()["state"], "issued");
}

#[test]
fn a_missing_journal_key_is_an_error_that_says_so_not_a_new_key() {
    let desk = Desk::new();
    let unplugged = desk.station(
        "unplugged-scanner",
        &[("scanner.selector", "\"sim:unplugged\"")],
    );
    let out = desk.enroll(&["--station", unplugged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let id = id_to_resume(&text(&out.stderr));
    std::fs::remove_file(desk.path("journal.sqlite.key")).unwrap();

    for args in [
        vec![
            "enroll",
            "--pki",
            "pki",
            "--journal",
            "journal.sqlite",
            "--resume",
            &id,
        ],
        vec!["journal", "list", "--journal", "journal.sqlite"],
    ] {
        let out = desk.permitkit(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("journal.sqlite.key is missing"), "{stderr}");
        assert!(stderr.contains("restore the key file"), "{stderr}");
        assert!(
            !desk.path("journal.sqlite.key").exists(),
            "no new key was made"
        );
    }
}

#[test]
fn lds_build_writes_an_owner_only_folder_and_never_over_another_card() {
    let desk = Desk::new();
    let data = |p: &str| format!("{}/testdata/{p}", env!("CARGO_MANIFEST_DIR"));
    let build = |out: &str| {
        desk.permitkit(&[
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
            "pki",
            "--out",
            out,
        ])
    };
    let out = build("card");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("biometrics"),
        "{}",
        text(&out.stdout)
    );
    let files = walk(&desk.path("card"));
    assert!(files.iter().any(|f| f.ends_with("chip-keys.json")));
    assert!(files.iter().any(|f| f.ends_with("DG2.bin")));
    #[cfg(unix)]
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let keys = std::fs::read(desk.path("card/chip-keys.json")).unwrap();

    // A second card into the same folder would replace the first card's keys: refused.
    let out = build("card");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(desk.path("card/chip-keys.json")).unwrap(),
        keys
    );
}
