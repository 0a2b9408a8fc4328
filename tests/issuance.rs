//! L1/L3: issuance you can trust, on the simulated station — in process (the station pipeline
//! with the simulated devices and the card feeder) and through the command line:
//!
//! - every testdata applicant, and the two partial dates of birth (unknown day; unknown day and
//!   month, ICAO 9303-3 §4.8), enrols end to end and reads back with passive authentication
//!   VALID (the MRZ password carries the `<` of the printed MRZ);
//! - the fault matrix of the personalize step: the card pulled after N APDUs (or torn away
//!   mid-command) for several N, a blank replacement card, a foreign card, an issued card,
//!   another enrolment's half-written card, the wrong card at verification. Each outcome is an
//!   issued card on the right card or a typed refusal with a way forward — never an issued card
//!   modified, a key lost, or a card reported issued that is not locked and verified;
//! - the regressions of the numbered defects on the command line: an issued card is
//!   never overwritten by the next enrolment (1), LOCK is the default and `--no-lock` is
//!   "personalized, not issued" (2), partial dates of birth (3), a blank replacement card after
//!   a card pull (4). Defect 5 (a ChipImage without keys) is in `tests/chip_sim.rs`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Output;

use permitkit_chip::ChipError;
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerial;
use permitkit_chip::reader::{self, AccessKey};
use permitkit_devices::CaptureError;
use permitkit_devices::camera::Camera;
use permitkit_devices::card_feeder::{CardDrill, CardFeeder, Present};
use permitkit_devices::card_reader::{CardReader, CardReaderError};
use permitkit_devices::factory::{
    CameraSlot, CardReaderSlot, DeviceFactory, ScannerSlot, SelectorFactory, SignaturePadSlot,
};
use permitkit_devices::scanner::FingerprintScanner;
use permitkit_devices::signature_pad::SignaturePad;
use permitkit_devices::sim_state;
use permitkit_lds::Ef;
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretString;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_simulator::{Card, CardConfig};
use permitkit_station::journal::EnrolmentState;
use permitkit_station::pipeline::{
    self, EnrolError, EnrolRequest, Event, Station, Step, StepError, Summary, card_access_number,
};

#[path = "support/cli.rs"]
mod cli;
use cli::{permitkit_in as permitkit, text};

/// The testdata applicants: (file, MRZ date of birth).
const APPLICANTS: [(&str, &str); 4] = [
    ("temporary-foreign-national.toml", "910227"),
    ("permanent-stateless.toml", "7905<<"),
    ("temporary-unknown-birth-day.toml", "9102<<"),
    ("permanent-unknown-birth-month.toml", "79<<<<"),
];

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/applicants")
        .join(name)
}

/// A fault armed on the virtual card when the station opens the card reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    None,
    /// The card leaves the field after N commands.
    PullAfter(u64),
    /// The N-th command takes effect, then the card leaves the field before answering.
    TearAt(u64),
}

/// The simulated station's devices, with a fault armed on the card.
struct ArmedFactory {
    inner: SelectorFactory,
    arm: Arm,
}

impl DeviceFactory for ArmedFactory {
    fn camera(&mut self, slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError> {
        self.inner.camera(slot)
    }
    fn scanner(&mut self, slot: &ScannerSlot) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
        self.inner.scanner(slot)
    }
    fn signature_pad(
        &mut self,
        slot: &SignaturePadSlot,
    ) -> Result<Box<dyn SignaturePad>, CaptureError> {
        self.inner.signature_pad(slot)
    }
    fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError> {
        let mut reader = self.inner.card_reader(slot)?;
        let card = reader.as_sim_card().unwrap();
        match std::mem::replace(&mut self.arm, Arm::None) {
            Arm::None => {}
            Arm::PullAfter(n) => card.faults_mut().drop_after(n),
            Arm::TearAt(n) => card.faults_mut().tear_at(n),
        }
        Ok(reader)
    }
}

/// A station folder: PKI, applicants, journal, card feeder.
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
        for (name, _) in APPLICANTS {
            std::fs::copy(testdata(name), dir.path().join(name)).unwrap();
        }
        Self { dir }
    }

    /// A copy of this desk (journal, cards, folders), to run one case of a matrix on.
    fn copy(&self) -> Self {
        fn copy_dir(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).unwrap();
            for entry in std::fs::read_dir(from).unwrap() {
                let entry = entry.unwrap();
                let target = to.join(entry.file_name());
                if entry.file_type().unwrap().is_dir() {
                    copy_dir(&entry.path(), &target);
                } else {
                    std::fs::copy(entry.path(), target).unwrap();
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        copy_dir(self.dir.path(), dir.path());
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn feeder(&self) -> CardFeeder {
        CardFeeder::open(&self.path("virtual-cards")).unwrap()
    }

    fn station(&self, first: Present, arm: Arm) -> Station {
        let registry = Registry::builtin().unwrap();
        let factory = ArmedFactory {
            inner: SelectorFactory::new(registry.clone()).with_card_feeder(self.feeder(), first),
            arm,
        };
        Station::open(
            registry,
            "simulated",
            &self.path("pki"),
            Some(&self.path("journal.sqlite")),
            Box::new(factory),
        )
        .unwrap()
    }

    fn request(&self, applicant: &str, resume: Option<&str>) -> EnrolRequest {
        EnrolRequest {
            applicant: self.path(applicant),
            out: self.path("enrolments"),
            operator: "test".into(),
            missing_fingers: Vec::new(),
            lock: true,
            resume: resume.map(str::to_owned),
        }
    }

    /// Runs (or resumes) one enrolment with `first` presented by the feeder.
    fn enroll(
        &self,
        applicant: &str,
        resume: Option<&str>,
        first: Present,
        arm: Arm,
    ) -> (Result<Summary, EnrolError>, Vec<Event>) {
        let mut station = self.station(first, arm);
        let mut events = Vec::new();
        let outcome = pipeline::enroll(
            &mut station,
            &self.request(applicant, resume),
            &mut |e: &Event| events.push(e.clone()),
        );
        (outcome, events)
    }

    /// Starts an enrolment of `applicant` on a fresh blank card and stops the process right
    /// after `step` is recorded done (a power cut); returns the journal id.
    fn enroll_until(&self, applicant: &str, step: Step) -> String {
        let mut station = self.station(Present::Blank, Arm::None);
        let mut id = None;
        let crash = catch_unwind(AssertUnwindSafe(|| {
            let mut observer = |e: &Event| match e {
                Event::Begin { id: i, .. } => id = Some(i.clone()),
                Event::StepDone { step: s, .. } if *s == step => panic!("power cut"),
                _ => {}
            };
            pipeline::enroll(&mut station, &self.request(applicant, None), &mut observer)
        }));
        assert!(crash.is_err(), "the enrolment stopped after {step}");
        id.unwrap()
    }

    /// The state file of a card of the feeder, as text (to compare before and after).
    fn card_text(&self, serial: &ChipSerial) -> String {
        std::fs::read_to_string(self.feeder().card_path(serial)).unwrap()
    }

    fn card(&self, serial: &ChipSerial) -> Card {
        sim_state::load(&self.feeder().card_path(serial), CardConfig::default()).unwrap()
    }

    fn in_reader(&self) -> ChipSerial {
        self.feeder().in_reader().unwrap().unwrap()
    }

    /// The issued card of `summary`, checked independently: the card personalize wrote is the
    /// card verify read, it is locked, it opens with the journal's CAN, Active Authentication
    /// proves its DG15 key, passive authentication is VALID, and the journal says issued.
    /// Returns the card's serial and its files.
    fn assert_issued(&self, summary: &Summary) -> (ChipSerial, BTreeMap<Ef, Vec<u8>>) {
        let records = &summary.records;
        assert!(summary.issued);
        assert!(records.personalize.locked && records.verify.locked);
        let serial = records.personalize.chip_serial.clone().unwrap();
        assert_eq!(records.verify.chip_serial.as_ref(), Some(&serial));
        let mut card = self.card(&serial);
        assert!(card.is_locked(), "an issued card is locked");
        let station = self.station(Present::Same, Arm::None);
        assert_eq!(
            station.journal.record(&summary.id).unwrap().state,
            EnrolmentState::Issued
        );
        let can = card_access_number(&station.journal, &summary.id)
            .unwrap()
            .unwrap();
        // Read as an inspection system would: the fingerprints are behind Terminal
        // Authentication once the card is locked with its trust point.
        let terminal = permitkit_station::eac::load_terminal(&self.path("pki/eac")).unwrap();
        let contents = reader::read_with_terminal(
            &mut card,
            &AccessKey::Can(can),
            ReadLimits::SHORT,
            Some(&terminal),
        )
        .unwrap();
        assert!(
            contents.terminal_authentication.is_granted(),
            "{}",
            contents.terminal_authentication
        );
        assert!(
            contents.active_authentication.is_verified(),
            "AA key not lost: {}",
            contents.active_authentication
        );
        let files: BTreeMap<Ef, Vec<u8>> = contents.files.into_iter().collect();
        let csca = permitkit_pki::signer::read_certificate(&self.path("pki/csca.pem")).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let pa = permitkit_pki::passive_authentication(&files[&Ef::Sod], &files, &[csca], now);
        assert!(pa.is_valid(), "{:?}", pa.failures().collect::<Vec<_>>());
        (serial, files)
    }
}

/// The TD1 MRZ that DG1 holds (tag 5F1F), as text.
fn dg1_mrz(files: &BTreeMap<Ef, Vec<u8>>) -> String {
    let dg1 = &files[&Ef::DG1];
    let at = dg1.windows(2).position(|w| w == [0x5F, 0x1F]).unwrap();
    String::from_utf8_lossy(&dg1[at + 3..]).into_owned()
}

fn refusal(e: &EnrolError) -> &ChipError {
    assert_eq!(e.step, Step::Personalize, "{}", e.report());
    match &*e.source {
        StepError::CardRefused(c) => c,
        other => panic!("not a refusal: {other}"),
    }
}

#[test]
fn every_applicant_and_partial_birth_dates_enrol_in_process_and_read_back_valid() {
    let desk = Desk::new();
    let mut serials = Vec::new();
    for (name, dob) in APPLICANTS {
        let (outcome, _) = desk.enroll(name, None, Present::Blank, Arm::None);
        let summary = outcome.unwrap_or_else(|e| panic!("{name}: {}", e.report()));
        let (serial, files) = desk.assert_issued(&summary);
        // DG1 holds the MRZ as printed: the date of birth with its `<` fillers.
        let mrz = dg1_mrz(&files);
        assert_eq!(&mrz[30..36], dob, "{name}: {mrz}");
        // The MRZ password as printed opens the card too (PACE with the MRZ).
        let info = permitkit_chip::perso::mrz_information(&mrz).unwrap();
        let mut card = desk.card(&serial);
        let contents = reader::read(&mut card, &AccessKey::Mrz(info), ReadLimits::SHORT).unwrap();
        assert!(contents.protocol.to_string().starts_with("PACE"), "{name}");
        serials.push(serial);
    }
    serials.sort();
    serials.dedup();
    assert_eq!(
        serials.len(),
        APPLICANTS.len(),
        "every enrolment took its own card"
    );
}

/// The fault matrix of the personalize step, in process. The base: an enrolment stopped right
/// after its ChipImage was signed, its card claimed and its Active Authentication key made on
/// that card. Each case runs on a copy of it.
#[test]
fn fault_matrix_of_the_personalize_step() {
    let applicant = "permanent-stateless.toml";
    let base = Desk::new();
    let id = base.enroll_until(applicant, Step::ChipImage);
    let x = base.in_reader();
    let resume =
        |desk: &Desk, first: Present, arm: Arm| desk.enroll(applicant, Some(&id), first, arm).0;

    // Undisturbed: how many APDUs the card sees on resume.
    let clean = base.copy();
    let summary = resume(&clean, Present::Same, Arm::None).unwrap();
    let (serial, _) = clean.assert_issued(&summary);
    assert_eq!(serial, x, "the card the key was made on");
    let total = summary.records.personalize.apdus + 4;

    // The card pulled, or torn away mid-command, after N APDUs; then the same card again.
    let step = (total / 9).max(1);
    for n in (1..=total).step_by(usize::try_from(step).unwrap()) {
        for arm in [Arm::PullAfter(n), Arm::TearAt(n)] {
            let desk = base.copy();
            let what = format!("{arm:?}");
            let summary = match resume(&desk, Present::Same, arm) {
                Ok(summary) => summary,
                Err(e) => {
                    assert!(
                        matches!(&*e.source, StepError::CardInterrupted(_)),
                        "{what}: {}",
                        e.report()
                    );
                    assert!(e.report().contains("present the same card"), "{what}");
                    resume(&desk, Present::Same, Arm::None)
                        .unwrap_or_else(|e| panic!("{what}: {}", e.report()))
                }
            };
            let (serial, _) = desk.assert_issued(&summary);
            assert_eq!(serial, x, "{what}");
        }
    }

    // Pulled mid-write, then a blank replacement card: the ChipImage is signed again for the
    // new chip's own AA key, the new card is issued, the spoilt one is recorded.
    let desk = base.copy();
    let e = resume(&desk, Present::Same, Arm::PullAfter(total / 2)).unwrap_err();
    assert!(
        matches!(&*e.source, StepError::CardInterrupted(_)),
        "{}",
        e.report()
    );
    let summary = resume(
        &desk,
        Present::Drill(CardDrill::BlankReplacement),
        Arm::None,
    )
    .unwrap();
    let (y, _) = desk.assert_issued(&summary);
    assert_ne!(y, x);
    assert_eq!(
        summary.records.personalize.spoilt_cards,
        std::slice::from_ref(&x)
    );
    assert!(
        summary
            .steps
            .iter()
            .any(|s| s.step == Step::ChipImage && s.millis.is_some())
    );
    assert!(
        !desk.card(&x).is_locked(),
        "the spoilt card was never issued"
    );

    // A foreign card (another personalization's half-written card) and an issued card are
    // refused before a single write; this enrolment's own card then completes.
    for (drill, issued) in [(CardDrill::Foreign, false), (CardDrill::Issued, true)] {
        let desk = base.copy();
        let e = resume(&desk, Present::Drill(drill), Arm::None).unwrap_err();
        let presented = desk.in_reader();
        match (refusal(&e), issued) {
            (ChipError::CardIssued { serial }, true) | (ChipError::CardInUse { serial }, false) => {
                assert_eq!(*serial, presented);
            }
            (other, _) => panic!("{drill:?}: {other}"),
        }
        assert!(e.report().contains("nothing was written"), "{}", e.report());
        let before = desk.card_text(&presented);
        // Presented again, it is refused again, unchanged.
        let e = resume(&desk, Present::Card(presented.clone()), Arm::None).unwrap_err();
        refusal(&e);
        assert_eq!(desk.card_text(&presented), before, "{drill:?}");
        let summary = resume(&desk, Present::Card(x.clone()), Arm::None).unwrap();
        assert_eq!(desk.assert_issued(&summary).0, x);
        assert!(summary.records.personalize.spoilt_cards.is_empty());
        assert_eq!(desk.card_text(&presented), before, "{drill:?}");
    }

    // Another enrolment's half-written card: refused; both enrolments then complete, each on
    // its own card, and the issued cards are never written again.
    let desk = base.copy();
    let other = "temporary-foreign-national.toml";
    let (outcome, events) = desk.enroll(other, None, Present::Blank, Arm::PullAfter(25));
    let e = outcome.unwrap_err();
    assert!(
        matches!(&*e.source, StepError::CardInterrupted(_)),
        "{}",
        e.report()
    );
    let other_id = events
        .iter()
        .find_map(|e| match e {
            Event::Begin { id, .. } => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    let z = desk.in_reader();
    assert_ne!(z, x);
    let before = desk.card_text(&z);
    let e = resume(&desk, Present::Card(z.clone()), Arm::None).unwrap_err();
    assert!(matches!(refusal(&e), ChipError::CardInUse { serial } if *serial == z));
    assert_eq!(desk.card_text(&z), before);
    let summary = resume(&desk, Present::Card(x.clone()), Arm::None).unwrap();
    assert_eq!(desk.assert_issued(&summary).0, x);
    let x_issued = desk.card_text(&x);
    // The other enrolment, presented the first one's issued card, refuses it…
    let (outcome, _) = desk.enroll(other, Some(&other_id), Present::Card(x.clone()), Arm::None);
    assert!(matches!(
        refusal(&outcome.unwrap_err()),
        ChipError::CardIssued { .. }
    ));
    assert_eq!(
        desk.card_text(&x),
        x_issued,
        "an issued card is never modified"
    );
    // …and completes on its own card.
    let (outcome, _) = desk.enroll(other, Some(&other_id), Present::Card(z.clone()), Arm::None);
    let summary = outcome.unwrap();
    assert_eq!(desk.assert_issued(&summary).0, z);
    assert_eq!(desk.card_text(&x), x_issued);

    // The wrong card at verification (the card personalized was taken away before verify).
    let desk = base.copy();
    let mut station = desk.station(Present::Same, Arm::None);
    let crash = catch_unwind(AssertUnwindSafe(|| {
        let mut observer = |e: &Event| {
            if matches!(
                e,
                Event::StepDone {
                    step: Step::Personalize,
                    ..
                }
            ) {
                panic!("power cut");
            }
        };
        pipeline::enroll(
            &mut station,
            &desk.request(applicant, Some(&id)),
            &mut observer,
        )
    }));
    assert!(crash.is_err());
    drop(station);
    let e = resume(&desk, Present::Drill(CardDrill::Issued), Arm::None).unwrap_err();
    assert_eq!(e.step, Step::Verify);
    assert!(
        matches!(&*e.source, StepError::WrongCard { expected, .. } if *expected == x),
        "{}",
        e.report()
    );
    let summary = resume(&desk, Present::Card(x.clone()), Arm::None).unwrap();
    assert_eq!(desk.assert_issued(&summary).0, x);

    // Without LOCK: personalized, not issued — reported, journaled, and the card unlocked.
    let desk = base.copy();
    let mut station = desk.station(Present::Same, Arm::None);
    let mut request = desk.request(applicant, Some(&id));
    request.lock = false;
    let mut events = Vec::new();
    let summary = pipeline::enroll(&mut station, &request, &mut |e: &Event| {
        events.push(e.clone())
    })
    .unwrap();
    assert!(!summary.issued && !summary.records.personalize.locked);
    assert!(!summary.records.verify.locked);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::PersonalizedNotIssued { .. }))
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Issued { .. })));
    assert_eq!(
        station.journal.record(&id).unwrap().state,
        EnrolmentState::Personalized
    );
    assert!(!desk.card(&x).is_locked());
}

// ---- the command line ----

/// `enroll --json` with the desk's PKI and journal; returns the output and the events.
fn enroll_json(desk: &Desk, extra: &[&str]) -> (Output, Vec<serde_json::Value>) {
    let mut args = vec![
        "enroll",
        "--pki",
        "pki",
        "--journal",
        "journal.sqlite",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = permitkit(desk.dir.path(), &args);
    let events = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out, events)
}

fn journal_id(events: &[serde_json::Value]) -> String {
    events
        .iter()
        .find(|e| e["event"] == "begin")
        .and_then(|e| e["id"].as_str())
        .unwrap()
        .to_owned()
}

fn summary(events: &[serde_json::Value]) -> &serde_json::Value {
    events.iter().find(|e| e["event"] == "summary").unwrap()
}

/// The serial of the card a summary's personalize step wrote.
fn card_of(events: &[serde_json::Value]) -> ChipSerial {
    summary(events)["records"]["personalize"]["chip_serial"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// `card read` of a feeder card with the enrolment's CAN; returns (success, report).
fn read_card(desk: &Desk, id: &str, serial: &ChipSerial) -> (bool, String) {
    let can = permitkit(
        desk.dir.path(),
        &["journal", "can", id, "--journal", "journal.sqlite"],
    );
    assert!(can.status.success(), "{}", text(&can.stderr));
    let can_file = desk.path("can.txt");
    std::fs::write(&can_file, text(&can.stdout).trim()).unwrap();
    let state = desk.feeder().card_path(serial);
    let out = permitkit(
        desk.dir.path(),
        &[
            "card",
            "read",
            "--reader",
            "sim",
            "--state",
            state.to_str().unwrap(),
            "--can-file",
            can_file.to_str().unwrap(),
            "--csca",
            "pki/csca.pem",
        ],
    );
    (out.status.success(), text(&out.stdout) + &text(&out.stderr))
}

/// Regression (defect 1): the next enrolment takes a fresh card; the first card still holds the
/// first applicant; presented again for the next enrolment, the issued card is refused.
/// Regression (defect 2): LOCK is the default; `--no-lock` ends "personalized, not issued".
#[test]
fn the_command_line_never_overwrites_an_issued_card_and_locks_by_default() {
    let desk = Desk::new();
    let (out, a) = enroll_json(&desk, &["--applicant", "temporary-foreign-national.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let a_card = card_of(&a);
    assert!(desk.card(&a_card).is_locked(), "LOCK is the default");
    assert_eq!(summary(&a)["issued"], true);
    let (out, b) = enroll_json(&desk, &["--applicant", "permanent-stateless.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let b_card = card_of(&b);
    assert_ne!(a_card, b_card, "every enrolment takes its own card");
    let (ok, report) = read_card(&desk, &journal_id(&a), &a_card);
    assert!(
        ok && report.contains("passive authentication: VALID"),
        "{report}"
    );
    let mut card = desk.card(&a_card);
    let can = permitkit(
        desk.dir.path(),
        &[
            "journal",
            "can",
            &journal_id(&a),
            "--journal",
            "journal.sqlite",
        ],
    );
    let contents = reader::read(
        &mut card,
        &AccessKey::Can(SecretString::new(text(&can.stdout).trim().to_owned())),
        ReadLimits::SHORT,
    )
    .unwrap();
    let files: BTreeMap<Ef, Vec<u8>> = contents.files.into_iter().collect();
    assert!(
        dg1_mrz(&files).contains("AKHMETOVA"),
        "A's card holds A's DG1"
    );

    // A's issued card presented to a third enrolment (the old single-card station).
    let before = desk.card_text(&a_card);
    let state = desk.feeder().card_path(&a_card);
    let (out, events) = enroll_json(
        &desk,
        &[
            "--applicant",
            "temporary-unknown-birth-day.toml",
            "--card-state",
            state.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let message = events.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("already issued (locked)"), "{message}");
    assert!(message.contains("nothing was written"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    assert_eq!(
        desk.card_text(&a_card),
        before,
        "the issued card is unchanged"
    );
    // The operator presents a blank card and resumes: issued.
    let id = journal_id(&events);
    let (out, events) = enroll_json(
        &desk,
        &["--resume", &id, "--drill-card", "blank-replacement"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(card_of(&events), a_card);

    // --no-lock: personalized, not issued.
    let (out, events) = enroll_json(
        &desk,
        &[
            "--applicant",
            "permanent-unknown-birth-month.toml",
            "--no-lock",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(summary(&events)["issued"], false);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "personalized-not-issued")
    );
    assert!(!events.iter().any(|e| e["event"] == "issued"));
    let card = card_of(&events);
    assert!(!desk.card(&card).is_locked());
    let list = permitkit(
        desk.dir.path(),
        &[
            "journal",
            "show",
            &journal_id(&events),
            "--journal",
            "journal.sqlite",
            "--json",
        ],
    );
    let record: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(record["state"], "personalized-not-issued", "{record}");
    // Another document (a number not issued yet), on the terminal.
    let other = std::fs::read_to_string(desk.path("temporary-foreign-national.toml"))
        .unwrap()
        .replace("FT4211207", "FT4211991")
        .replace("TRP-2026-004211", "TRP-2026-004299");
    std::fs::write(desk.path("development.toml"), other).unwrap();
    let out = permitkit(
        desk.dir.path(),
        &[
            "enroll",
            "--pki",
            "pki",
            "--journal",
            "journal.sqlite",
            "--applicant",
            "development.toml",
            "--no-lock",
        ],
    );
    assert!(
        text(&out.stdout).contains("Card personalized, NOT issued"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Regression (defect 4): after a card pull, a blank replacement card restarts personalization
/// (here with a new ChipImage for the new chip's own Active Authentication key) and the spoilt
/// card is recorded; a foreign card presented in between is refused.
#[test]
fn the_command_line_takes_a_blank_replacement_after_a_card_pull() {
    let desk = Desk::new();
    let (out, events) = enroll_json(
        &desk,
        &[
            "--applicant",
            "permanent-stateless.toml",
            "--drill-card-pull-after",
            "20",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let id = journal_id(&events);
    let pulled = desk.in_reader();
    let (out, events) = enroll_json(&desk, &["--resume", &id, "--drill-card", "foreign"]);
    assert_eq!(out.status.code(), Some(1));
    let message = events.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("holds another personalization"),
        "{message}"
    );
    let (out, events) = enroll_json(
        &desk,
        &["--resume", &id, "--drill-card", "blank-replacement"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let card = card_of(&events);
    assert_ne!(card, pulled);
    let record = &summary(&events)["records"]["personalize"];
    assert_eq!(record["spoilt_cards"], serde_json::json!([pulled.as_str()]));
    let done = events
        .iter()
        .find(|e| e["event"] == "step-done" && e["step"] == "personalize")
        .unwrap();
    assert!(
        done["summary"].as_str().unwrap().contains(pulled.as_str()),
        "{done}"
    );
    let (ok, report) = read_card(&desk, &id, &card);
    assert!(
        ok && report.contains("passive authentication: VALID"),
        "{report}"
    );
    assert!(!desk.card(&pulled).is_locked());
}
