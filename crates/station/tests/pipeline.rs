//! L1: whole enrolments in process, on the `simulated` station with a device factory of
//! scripted devices injected (as probe-rs tests whole sessions on its fake probe): the happy
//! path ending issued, and each fault drill of issue 6 — a camera that only yields bad frames,
//! an unplugged scanner, a card pulled mid-write, a crash between steps — asserted on the events
//! and on the typed error values, then resumed from the journal. Then issuance you can trust:
//! each enrolment in its own folder, no biometrics or keys in clear once the card is issued,
//! abandoning a stuck enrolment, and a lost journal key. The CLI runs the same drills end to
//! end in `tests/enroll.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{
    cell::RefCell,
    collections::BTreeMap,
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
    rc::Rc,
    time::Duration,
};

use permitkit_biometrics::FingerPosition;
use permitkit_chip::{
    ChipError, TransportError,
    perso::PersoLimits,
    reader::{self, AccessKey},
};
use permitkit_devices::{
    CaptureError,
    camera::Camera,
    camera_sim::SimCamera,
    card_reader::{CardReader, CardReaderError},
    factory::{
        CameraSlot, CardReaderSlot, DeviceFactory, ScannerSlot, SelectorFactory, SignaturePadSlot,
    },
    scanner::FingerprintScanner,
    scanner_sim::{SimEvent, SimScanner},
    signature_pad::{EndRule, SignaturePad},
    signature_sim::SimPad,
};
use permitkit_lds::Ef;
use permitkit_model::profiles::{Registry, builtin, signature_pad::SignaturePadProfile};
use permitkit_model::secret::SecretString;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::finger_selection::{SelectionError, SkipReason};
use permitkit_station::journal::{EnrolmentState, JournalError, StepState};
use permitkit_station::pipeline::{
    self, EnrolError, EnrolRequest, Event, FingersRecord, PhotoVerdict, RestoreError,
    SignatureRecord, Station, Step, StepError, Summary, card_access_number, is_biometric,
    photo::LiveCaptureError,
};
use permitkit_synth::Condition;

const APPLICANT: &str =
    include_str!("../../../testdata/applicants/temporary-foreign-national.toml");

/// A station folder: PKI, applicant, journal, the virtual card's state file.
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

    /// The `simulated` station on this desk, its devices opened by `devices`.
    fn station(&self, devices: Devices) -> Station {
        Station::open(
            Registry::builtin().unwrap(),
            "simulated",
            &self.path("pki"),
            Some(&self.path("journal.sqlite")),
            Box::new(devices),
        )
        .unwrap()
    }

    fn request(&self, resume: Option<&str>) -> EnrolRequest {
        self.request_for("applicant.toml", resume)
    }

    fn request_for(&self, applicant: &str, resume: Option<&str>) -> EnrolRequest {
        EnrolRequest {
            applicant: self.path(applicant),
            out: self.path("enrolments"),
            operator: "test".into(),
            missing_fingers: Vec::new(),
            // Only a locked card is issued.
            lock: true,
            resume: resume.map(str::to_owned),
        }
    }
}

/// What the scripted camera shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CameraScript {
    /// Well placed after two frames.
    Good,
    /// Under-exposed forever.
    BadFrames,
}

/// What the scripted scanner does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScannerScript {
    /// Every finger normal.
    Good,
    /// Unplugged before the first capture.
    Unplugged,
    /// No finger ever on the platen for this position; the others normal.
    Empty(FingerPosition),
}

/// What the factory was asked to open, for assertions.
#[derive(Debug, Default)]
struct Opened {
    cameras: u32,
    scanners: u32,
    pad_end_rules: Vec<EndRule>,
    card_readers: u32,
}

/// The injected device factory: scripted simulators for the capture devices, and the virtual
/// chip (with its state file on the desk, so a card survives between runs) for the reader.
struct Devices {
    camera: CameraScript,
    scanner: ScannerScript,
    pull_card_after: Option<u64>,
    card: SelectorFactory,
    opened: Rc<RefCell<Opened>>,
}

impl Devices {
    fn new(desk: &Desk) -> Self {
        Self {
            camera: CameraScript::Good,
            scanner: ScannerScript::Good,
            pull_card_after: None,
            card: SelectorFactory::new(Registry::builtin().unwrap())
                .with_card_state(Some(desk.path("card.json"))),
            opened: Rc::default(),
        }
    }

    fn with_camera(mut self, script: CameraScript) -> Self {
        self.camera = script;
        self
    }

    fn with_scanner(mut self, script: ScannerScript) -> Self {
        self.scanner = script;
        self
    }

    fn with_card_pulled_after(mut self, commands: u64) -> Self {
        self.pull_card_after = Some(commands);
        self
    }

    /// Another card (its state in `file`) in the reader.
    fn with_card(mut self, file: PathBuf) -> Self {
        self.card = SelectorFactory::new(Registry::builtin().unwrap()).with_card_state(Some(file));
        self
    }
}

impl DeviceFactory for Devices {
    fn camera(&mut self, _slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError> {
        self.opened.borrow_mut().cameras += 1;
        Ok(Box::new(match self.camera {
            CameraScript::Good => SimCamera::open("fake", "good")?,
            CameraScript::BadFrames => SimCamera::open("fake", "bad")?,
        }))
    }

    fn scanner(&mut self, slot: &ScannerSlot) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
        self.opened.borrow_mut().scanners += 1;
        let mut scanner = SimScanner::new(7).with_timeout(slot.timeout);
        match self.scanner {
            ScannerScript::Good => {}
            ScannerScript::Unplugged => scanner.push(SimEvent::Disconnect),
            ScannerScript::Empty(finger) => {
                scanner = scanner.with_finger_condition(finger, Condition::Empty);
            }
        }
        Ok(Box::new(scanner))
    }

    fn signature_pad(
        &mut self,
        slot: &SignaturePadSlot,
    ) -> Result<Box<dyn SignaturePad>, CaptureError> {
        self.opened.borrow_mut().pad_end_rules.push(slot.end_rule());
        Ok(Box::new(SimPad::new(3)))
    }

    fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError> {
        self.opened.borrow_mut().card_readers += 1;
        let mut reader = self.card.card_reader(slot)?;
        if let Some(n) = self.pull_card_after.take() {
            reader
                .as_sim_card()
                .expect("the virtual chip offers its fault drills")
                .faults_mut()
                .drop_after(n);
        }
        Ok(reader)
    }
}

/// Runs `enroll`, recording every event.
fn enroll(
    station: &mut Station,
    request: &EnrolRequest,
) -> (Result<Summary, EnrolError>, Vec<Event>) {
    let mut events = Vec::new();
    let mut record = |e: &Event| events.push(e.clone());
    let outcome = pipeline::enroll(station, request, &mut record);
    (outcome, events)
}

fn journal_id(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::Begin { id, .. } => Some(id.clone()),
            _ => None,
        })
        .expect("a begin event")
}

fn skipped(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepSkipped { step, .. } => Some(*step),
            _ => None,
        })
        .collect()
}

fn done(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepDone { step, .. } => Some(*step),
            _ => None,
        })
        .collect()
}

fn failed(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepFailed { step, .. } => Some(*step),
            _ => None,
        })
        .collect()
}

fn issued(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Issued { .. }))
}

fn presented(events: &[Event], finger: FingerPosition) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::PresentFinger { finger: f } if *f == finger))
        .count()
}

fn step_state(station: &Station, id: &str, step: Step) -> Option<StepState> {
    station.journal.step(id, step).unwrap().map(|s| s.state)
}

#[test]
fn a_simulated_enrolment_runs_every_step_in_order_and_ends_issued() {
    let desk = Desk::new();
    let devices = Devices::new(&desk);
    let opened = Rc::clone(&devices.opened);
    let mut station = desk.station(devices);
    // The pad's profile decides when a signature ends.
    let wacom = builtin::load::<SignaturePadProfile>("wacom-one-by-wacom-s").unwrap();
    station.devices.signature_pad.profile = Some(wacom.clone());

    let (outcome, events) = enroll(&mut station, &desk.request(None));
    let summary = outcome.unwrap();
    assert_eq!(done(&events), Step::ALL);
    assert!(skipped(&events).is_empty() && failed(&events).is_empty());
    assert!(matches!(
        events.first(),
        Some(Event::Begin { resumed: false, .. })
    ));
    assert!(matches!(events.last(), Some(Event::Issued { id }) if *id == summary.id));
    assert!(events.iter().any(|e| matches!(e, Event::FrameGood { .. })));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ChipProgress { .. }))
    );

    // Every step's typed result.
    let records = &summary.records;
    assert_eq!(records.applicant.application, "TRP-2026-004211");
    assert!(records.applicant.fingerprints_on_chip);
    assert_eq!(records.photo.verdict, PhotoVerdict::Warn);
    assert_eq!(records.photo.colour_space, 1);
    let FingersRecord::Captured { fingers, .. } = &records.fingers else {
        panic!("fingers were captured: {:?}", records.fingers);
    };
    let captured: Vec<_> = fingers.iter().map(|f| f.captured).collect();
    assert_eq!(
        captured,
        [FingerPosition::RightIndex, FingerPosition::LeftIndex]
    );
    assert!(fingers.iter().all(|f| f.ppi == 500 && f.quality >= 55));
    assert!(matches!(records.signature, SignatureRecord::Captured { strokes, .. } if strokes > 0));
    // EF.CardAccess, EF.CardSecurity (PACE-CAM), EF.COM, DG1, DG2, DG3, DG7, DG11, DG12, DG14,
    // DG15, EF.SOD.
    assert_eq!(records.chip_image.manifest.files.len(), 12);
    assert!(!records.personalize.resumed);
    assert!(records.verify.active_authentication);
    assert!(records.verify.chip_authentication);
    assert_eq!(records.verify.files, 12);
    // DG3 is behind Extended Access Control: refused without Terminal Authentication, read
    // and identical with the station's inspection system.
    assert!(records.verify.locked);
    assert_eq!(records.verify.eac_protected, ["DG3"]);
    assert_eq!(records.verify.terminal.as_deref(), Some("UATESTIS00001"));
    assert!(summary.steps.iter().all(|s| s.millis.is_some()));

    // The devices were opened once each, the pad with its profile's end rule.
    let opened = opened.borrow();
    assert_eq!(
        (opened.cameras, opened.scanners, opened.card_readers),
        (1, 1, 1)
    );
    assert_eq!(opened.pad_end_rules, [wacom.end_rule()]);
    assert_ne!(wacom.end_rule(), EndRule::default());

    // The journal: issued, captures, ChipImage and keys purged but for the CAN, the results
    // recorded as the steps' types.
    let record = station.journal.record(&summary.id).unwrap();
    assert_eq!(record.state, EnrolmentState::Issued);
    assert_eq!(record.blobs, ["can"], "everything else purged");
    let photo = station
        .journal
        .step(&summary.id, Step::Photo)
        .unwrap()
        .unwrap();
    assert_eq!(
        photo.result.unwrap(),
        serde_json::to_value(&records.photo).unwrap()
    );

    // An issued enrolment is not resumed, and the error says so rather than to resume.
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&summary.id)));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Applicant);
    assert!(
        matches!(*e.source, StepError::AlreadyIssued),
        "{}",
        e.report()
    );
    assert!(!e.resumable() && e.source.is_finished());
    assert!(e.source.to_string().contains("nothing to resume"));
    assert!(events.is_empty());
    assert_eq!(
        station.journal.record(&summary.id).unwrap().state,
        EnrolmentState::Issued,
        "nothing was done to it"
    );
}

#[test]
fn a_camera_with_only_bad_frames_fails_the_photo_step_and_the_enrolment_resumes() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_camera(CameraScript::BadFrames));
    let timeout = station.devices.camera.timeout;
    station.devices.camera.timeout = Duration::from_secs(1);

    let (outcome, events) = enroll(&mut station, &desk.request(None));
    let e = outcome.unwrap_err();
    let id = journal_id(&events);
    assert_eq!(e.step, Step::Photo);
    assert_eq!(e.id.as_deref(), Some(id.as_str()));
    assert!(
        matches!(
            &*e.source,
            StepError::LiveCapture(LiveCaptureError::Timeout { frames, .. }) if *frames > 0
        ),
        "{}",
        e.report()
    );
    assert!(
        e.report()
            .starts_with("photo: live capture: no acceptable portrait within 1")
    );
    assert!(events.iter().any(|e| matches!(e, Event::Guidance { .. })));
    assert!(!events.iter().any(|e| matches!(e, Event::FrameGood { .. })));
    assert_eq!(done(&events), [Step::Applicant]);
    assert_eq!(failed(&events), [Step::Photo]);
    assert_eq!(
        step_state(&station, &id, Step::Photo),
        Some(StepState::Failed)
    );
    assert!(!desk.path("enrolments").exists(), "nothing was built");

    // With a working camera, the same enrolment completes.
    station.factory = Box::new(Devices::new(&desk));
    station.devices.camera.timeout = timeout;
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&id)));
    let summary = outcome.unwrap();
    assert_eq!(summary.id, id);
    assert!(matches!(
        events.first(),
        Some(Event::Begin { resumed: true, .. })
    ));
    assert_eq!(skipped(&events), [Step::Applicant]);
    assert!(issued(&events));
    assert_eq!(summary.steps[0].millis, None, "restored, not run again");
}

#[test]
fn an_unplugged_scanner_fails_the_fingers_step_and_keeps_the_photo() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_scanner(ScannerScript::Unplugged));

    let (outcome, events) = enroll(&mut station, &desk.request(None));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Fingers);
    assert!(
        matches!(
            &*e.source,
            StepError::FingerSelection(SelectionError::Device(CaptureError::Disconnected { .. }))
        ),
        "{}",
        e.report()
    );
    assert_eq!(failed(&events), [Step::Fingers]);
    let id = journal_id(&events);
    let record = station.journal.record(&id).unwrap();
    assert_eq!(record.blobs, ["portrait.jpg"], "the portrait is kept");
    let fingers = station.journal.step(&id, Step::Fingers).unwrap().unwrap();
    assert!(fingers.result.is_none());
    assert!(fingers.error.unwrap().contains("device disconnected"));

    station.factory = Box::new(Devices::new(&desk));
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&id)));
    let summary = outcome.unwrap();
    assert_eq!(
        skipped(&events),
        [Step::Applicant, Step::Photo],
        "the photo is not retaken"
    );
    assert!(issued(&events));
    assert_eq!(summary.records.photo.verdict, PhotoVerdict::Warn);
}

#[test]
fn a_card_pulled_mid_write_is_never_reported_issued_and_resumes_on_the_same_card() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_card_pulled_after(20));

    let (outcome, events) = enroll(&mut station, &desk.request(None));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Personalize);
    assert!(
        matches!(
            &*e.source,
            StepError::CardInterrupted(ChipError::Transport(TransportError::CardRemoved))
        ),
        "{}",
        e.report()
    );
    assert!(e.report().contains("NOT done"), "{}", e.report());
    assert!(!issued(&events));
    assert_eq!(failed(&events), [Step::Personalize]);
    let id = journal_id(&events);
    assert_eq!(
        step_state(&station, &id, Step::ChipImage),
        Some(StepState::Done)
    );
    assert_eq!(step_state(&station, &id, Step::Verify), None);
    assert_eq!(
        station.journal.record(&id).unwrap().state,
        EnrolmentState::InProgress
    );

    // The same card presented again: personalization continues where it stopped.
    station.factory = Box::new(Devices::new(&desk));
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&id)));
    let summary = outcome.unwrap();
    assert_eq!(
        skipped(&events),
        [
            Step::Applicant,
            Step::Photo,
            Step::Fingers,
            Step::Signature,
            Step::ChipImage
        ]
    );
    assert!(summary.records.personalize.resumed);
    assert!(issued(&events));
}

#[test]
fn a_crash_between_steps_loses_nothing() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk));
    let mut events = Vec::new();
    // The process dies right after `fingers` is recorded done, as a power cut would.
    let crash = catch_unwind(AssertUnwindSafe(|| {
        let mut observer = |e: &Event| {
            events.push(e.clone());
            if matches!(
                e,
                Event::StepDone {
                    step: Step::Fingers,
                    ..
                }
            ) {
                panic!("power cut");
            }
        };
        pipeline::enroll(&mut station, &desk.request(None), &mut observer)
    }));
    assert!(crash.is_err());
    drop(station);
    let id = journal_id(&events);

    // A new process opens the same journal and card and resumes.
    let mut station = desk.station(Devices::new(&desk));
    assert_eq!(
        step_state(&station, &id, Step::Fingers),
        Some(StepState::Done)
    );
    assert_eq!(step_state(&station, &id, Step::Signature), None);
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&id)));
    let summary = outcome.unwrap();
    assert_eq!(
        skipped(&events),
        [Step::Applicant, Step::Photo, Step::Fingers]
    );
    assert_eq!(
        done(&events),
        [
            Step::Signature,
            Step::ChipImage,
            Step::Personalize,
            Step::Verify
        ]
    );
    assert!(issued(&events));
    assert!(
        matches!(summary.records.fingers, FingersRecord::Captured { ref fingers, .. } if fingers.len() == 2)
    );
}

#[test]
fn a_record_that_does_not_restore_is_a_typed_error_never_a_default() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_scanner(ScannerScript::Unplugged));
    let (outcome, events) = enroll(&mut station, &desk.request(None));
    assert_eq!(outcome.unwrap_err().step, Step::Fingers);
    let id = journal_id(&events);
    let photo = station
        .journal
        .step(&id, Step::Photo)
        .unwrap()
        .unwrap()
        .result
        .unwrap();
    station.factory = Box::new(Devices::new(&desk));
    let resume = desk.request(Some(&id));

    // A photo record without its colour space and eyes: not read as colour space 1.
    let mut partial = photo.clone();
    for key in ["colour_space", "left_eye", "right_eye"] {
        partial.as_object_mut().unwrap().remove(key);
    }
    rewrite(&mut station, &id, Step::Photo, &partial);
    let (outcome, events) = enroll(&mut station, &resume);
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Photo);
    assert!(
        matches!(&*e.source, StepError::Restore(RestoreError::Malformed(_))),
        "{}",
        e.report()
    );
    assert_eq!(skipped(&events), [Step::Applicant]);
    assert!(
        done(&events).is_empty(),
        "the photo is not silently retaken"
    );

    // Recorded done without a result.
    let db = rusqlite::Connection::open(desk.path("journal.sqlite")).unwrap();
    db.execute("UPDATE steps SET result = NULL WHERE step = 'photo'", [])
        .unwrap();
    let e = enroll(&mut station, &resume).0.unwrap_err();
    assert!(
        matches!(&*e.source, StepError::Restore(RestoreError::Missing)),
        "{}",
        e.report()
    );

    // The record is back, but the encrypted portrait is gone.
    rewrite(&mut station, &id, Step::Photo, &photo);
    station.journal.purge_blobs(&id).unwrap();
    let e = enroll(&mut station, &resume).0.unwrap_err();
    assert_eq!(e.step, Step::Photo);
    assert!(
        matches!(&*e.source, StepError::Restore(RestoreError::MissingBlob { name }) if name == "portrait.jpg"),
        "{}",
        e.report()
    );
}

/// Records `result` as the result of `step`, as a tampered or older journal would hold it.
fn rewrite(station: &mut Station, id: &str, step: Step, result: &serde_json::Value) {
    station.journal.step_started(id, step).unwrap();
    station.journal.step_done(id, step, result).unwrap();
}

#[test]
fn the_scanner_profile_sets_attempts_threshold_and_resolution_of_finger_capture() {
    let desk = Desk::new();
    let mut station = desk.station(
        Devices::new(&desk).with_scanner(ScannerScript::Empty(FingerPosition::RightIndex)),
    );
    let mut profile = station.devices.scanner.profile.clone().unwrap();
    profile.quality.attempts = 4;
    station.devices.scanner.profile = Some(profile.clone());

    let (outcome, events) = enroll(&mut station, &desk.request(None));
    let summary = outcome.unwrap();
    assert_eq!(
        presented(&events, FingerPosition::RightIndex),
        4,
        "best of the scanner profile's 4 attempts before a substitute"
    );
    let FingersRecord::Captured { fingers, .. } = &summary.records.fingers else {
        panic!("{:?}", summary.records.fingers);
    };
    assert_eq!(fingers[0].wanted, FingerPosition::RightIndex);
    assert_eq!(fingers[0].captured, FingerPosition::RightMiddle);
    assert_eq!(fingers[0].skipped[0].finger, FingerPosition::RightIndex);

    // A scanner whose profile says 1000 ppi: its images are not enrolled as 500 ppi ones.
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk));
    profile.ppi = 1000;
    station.devices.scanner.profile = Some(profile);
    let (outcome, _) = enroll(&mut station, &desk.request(None));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Fingers);
    let StepError::FingerSelection(SelectionError::NoUsableFinger { skipped, .. }) = &*e.source
    else {
        panic!("{}", e.report());
    };
    assert!(
        skipped.iter().all(|s| matches!(
            &s.reason,
            SkipReason::CaptureFailed { message } if message.contains("1000 ppi")
        )),
        "{skipped:?}"
    );
}

#[test]
fn a_device_that_does_not_open_fails_its_step_with_the_device_error() {
    struct NoCamera(Devices);
    impl DeviceFactory for NoCamera {
        fn camera(&mut self, slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError> {
            Err(CaptureError::NotFound {
                selector: slot.selector.to_string(),
            })
        }
        fn scanner(
            &mut self,
            slot: &ScannerSlot,
        ) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
            self.0.scanner(slot)
        }
        fn signature_pad(
            &mut self,
            slot: &SignaturePadSlot,
        ) -> Result<Box<dyn SignaturePad>, CaptureError> {
            self.0.signature_pad(slot)
        }
        fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError> {
            self.0.card_reader(slot)
        }
    }
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk));
    station.factory = Box::new(NoCamera(Devices::new(&desk)));
    let (outcome, _) = enroll(&mut station, &desk.request(None));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::Photo);
    assert!(
        matches!(
            &*e.source,
            StepError::OpenDevice {
                source: CaptureError::NotFound { .. },
                ..
            }
        ),
        "{}",
        e.report()
    );
    assert_eq!(
        e.report(),
        "photo: opening the camera sim: no device matches \"sim\""
    );
}

/// Another applicant: another application and document number.
fn next_applicant() -> String {
    APPLICANT
        .replace("TRP-2026-004211", "TRP-2026-004212")
        .replace("FT4211207", "FT4211208")
}

/// Every file under `dir`, by path relative to it, with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for path in walk(dir) {
        let bytes = std::fs::read(&path).unwrap();
        files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
    }
    files
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

/// Reads the card whose state is `card` independently, opening it with `can` (PACE), as the
/// station's inspection system (DG3 is behind Extended Access Control: Terminal
/// Authentication with the terminal of the PKI folder's `eac/`).
fn read_card(
    station: &mut Station,
    card: PathBuf,
    can: &SecretString,
) -> Result<Vec<(Ef, Vec<u8>)>, ChipError> {
    let mut factory =
        SelectorFactory::new(Registry::builtin().unwrap()).with_card_state(Some(card));
    let mut reader = factory.card_reader(&station.devices.card_reader).unwrap();
    let limits = PersoLimits::from_profiles(&station.chip, reader.reader_profile());
    let terminal = permitkit_station::eac::load_terminal(&station.pki.join("eac")).unwrap();
    let contents = reader::read_with_terminal(
        reader.channel(),
        &AccessKey::Can(can.clone()),
        limits.read,
        Some(&terminal),
    )?;
    assert!(contents.terminal_authentication.is_granted());
    Ok(contents.files)
}

fn can_of(station: &Station, id: &str) -> SecretString {
    card_access_number(&station.journal, id)
        .unwrap()
        .expect("the journal keeps the CAN")
}

#[test]
fn two_enrolments_in_a_row_keep_separate_folders_and_keys() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk));
    let first = enroll(&mut station, &desk.request(None)).0.unwrap();
    assert_eq!(first.out, desk.path("enrolments").join(&first.id));
    let first_files = snapshot(&first.out);
    assert!(first_files.contains_key(Path::new("SOD.bin")));
    let first_can = can_of(&station, &first.id);

    // The next applicant's card is pulled mid-write: a failed enrolment that got as far as
    // writing its own folder.
    std::fs::write(desk.path("next.toml"), next_applicant()).unwrap();
    station.factory = Box::new(
        Devices::new(&desk)
            .with_card(desk.path("card-2.json"))
            .with_card_pulled_after(20),
    );
    let (outcome, events) = enroll(&mut station, &desk.request_for("next.toml", None));
    assert_eq!(outcome.unwrap_err().step, Step::Personalize);
    let second = journal_id(&events);
    assert_eq!(
        snapshot(&first.out),
        first_files,
        "the first folder is untouched"
    );
    // Then it is resumed on the same card and issued.
    station.factory = Box::new(Devices::new(&desk).with_card(desk.path("card-2.json")));
    let summary = enroll(&mut station, &desk.request_for("next.toml", Some(&second)))
        .0
        .unwrap();
    assert_eq!(summary.out, desk.path("enrolments").join(&second));
    assert_ne!(summary.out, first.out);
    assert_eq!(
        snapshot(&first.out),
        first_files,
        "the first folder is untouched"
    );

    // Each card still opens with its own CAN, kept in the journal, and holds what its own
    // folder's manifest lists.
    let second_can = can_of(&station, &second);
    assert_eq!(can_of(&station, &first.id).expose(), first_can.expose());
    for (id, card, can) in [
        (&first.id, desk.path("card.json"), &first_can),
        (&second, desk.path("card-2.json"), &second_can),
    ] {
        let files = read_card(&mut station, card, can).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(desk.path("enrolments").join(id).join("manifest.json")).unwrap(),
        )
        .unwrap();
        let listed = manifest["files"].as_array().unwrap();
        assert_eq!(listed.len(), files.len());
        for (ef, bytes) in &files {
            let entry = listed.iter().find(|f| f["name"] == ef.name()).unwrap();
            assert_eq!(
                entry["sha256"],
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
            );
        }
    }
}

#[test]
fn after_issue_no_biometrics_or_keys_remain_in_clear() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk));
    let summary = enroll(&mut station, &desk.request(None)).0.unwrap();
    let can = can_of(&station, &summary.id);
    let on_card = read_card(&mut station, desk.path("card.json"), &can).unwrap();
    let biometrics: Vec<(Ef, &[u8])> = on_card
        .iter()
        .filter(|(ef, _)| is_biometric(*ef))
        .map(|(ef, b)| (*ef, b.as_slice()))
        .collect();
    assert_eq!(biometrics.len(), 3, "DG2, DG3 and DG7 on the card");

    // The output folder: the files without biometrics, owner-only, and no keys.
    let files = walk(&desk.path("enrolments"));
    let mut names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".permitkit-enrolment",
            "COM.bin",
            "CardAccess.bin",
            "CardSecurity.bin",
            "DG1.bin",
            "DG11.bin",
            "DG12.bin",
            "DG14.bin",
            "DG15.bin",
            "SOD.bin",
            "manifest.json"
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&summary.out), 0o700);
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
    }
    // Nothing biometric in clear anywhere on the desk but on the card itself: not in the
    // folder, not in the journal's database or log.
    let mut searched = files.clone();
    searched.extend(
        ["journal.sqlite", "journal.sqlite-wal"]
            .map(|f| desk.path(f))
            .into_iter()
            .filter(|p| p.exists()),
    );
    for path in &searched {
        let bytes = std::fs::read(path).unwrap();
        for (ef, data) in &biometrics {
            let middle = &data[data.len() / 2..data.len() / 2 + 64];
            assert!(
                !bytes.windows(64).any(|w| w == middle),
                "{} holds {ef} in clear",
                path.display()
            );
        }
        for marker in [&b"aa_private_key"[..], b"PRIVATE KEY"] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{} holds a private key",
                path.display()
            );
        }
    }
    // The journal keeps only the CAN; the captures, ChipImage and the AA private key are gone.
    assert_eq!(station.journal.record(&summary.id).unwrap().blobs, ["can"]);
    assert!(
        station
            .journal
            .blob(&summary.id, "chip-keys.json")
            .unwrap()
            .is_none()
    );
}

#[test]
fn abandoning_a_stuck_enrolment_purges_its_captures_and_keys_and_refuses_resume() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_card_pulled_after(20));
    let (outcome, events) = enroll(&mut station, &desk.request(None));
    assert_eq!(outcome.unwrap_err().step, Step::Personalize);
    let id = journal_id(&events);
    let held = station.journal.record(&id).unwrap().blobs;
    for name in [
        "portrait.jpg",
        "signature.jpg",
        "chip-keys.json",
        "chip-image/DG2.bin",
    ] {
        assert!(held.iter().any(|b| b == name), "{name} not in {held:?}");
    }
    assert!(card_access_number(&station.journal, &id).unwrap().is_some());

    let deleted = station
        .journal
        .abandon(&id, "op-7", "applicant left the desk")
        .unwrap();
    assert_eq!(deleted, u64::try_from(held.len()).unwrap());
    let record = station.journal.record(&id).unwrap();
    assert_eq!(record.state, EnrolmentState::Abandoned);
    assert!(record.blobs.is_empty(), "{:?}", record.blobs);
    assert!(card_access_number(&station.journal, &id).unwrap().is_none());
    let events_logged = station.journal.events(&id).unwrap();
    assert!(
        events_logged
            .iter()
            .any(|(_, kind, m)| kind == "abandon" && m == "by op-7: applicant left the desk"),
        "{events_logged:?}"
    );

    // It can no longer be resumed, and nothing is done to it.
    station.factory = Box::new(Devices::new(&desk));
    let (outcome, events) = enroll(&mut station, &desk.request(Some(&id)));
    let e = outcome.unwrap_err();
    assert!(matches!(*e.source, StepError::Abandoned), "{}", e.report());
    assert!(!e.resumable());
    assert!(events.is_empty());
    assert_eq!(
        station
            .journal
            .step(&id, Step::Verify)
            .unwrap()
            .map(|s| s.state),
        None
    );
    // Nor abandoned twice.
    assert!(matches!(
        station.journal.abandon(&id, "op-7", "again"),
        Err(JournalError::Finished {
            state: EnrolmentState::Abandoned,
            ..
        })
    ));
}

#[test]
fn a_missing_journal_key_is_a_typed_error_never_a_new_key() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_scanner(ScannerScript::Unplugged));
    let (outcome, events) = enroll(&mut station, &desk.request(None));
    assert_eq!(outcome.unwrap_err().step, Step::Fingers);
    let id = journal_id(&events);
    drop(station);
    let key = desk.path("journal.sqlite.key");
    std::fs::remove_file(&key).unwrap();

    let e = Station::open(
        Registry::builtin().unwrap(),
        "simulated",
        &desk.path("pki"),
        Some(&desk.path("journal.sqlite")),
        Box::new(Devices::new(&desk)),
    )
    .unwrap_err();
    assert!(
        matches!(
            &e,
            permitkit_station::Error::Journal(JournalError::KeyMissing { key: k, blobs: 1, .. })
                if *k == key
        ),
        "{e}"
    );
    assert!(e.to_string().contains("is missing"), "{e}");
    assert!(!key.exists(), "no new key was made");
    // The portrait is still there, for the key once it is restored.
    let db = rusqlite::Connection::open(desk.path("journal.sqlite")).unwrap();
    let held: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM blobs WHERE enrolment = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(held, 1);
}

#[test]
fn a_folder_another_enrolment_owns_is_never_written_into() {
    let desk = Desk::new();
    let mut station = desk.station(Devices::new(&desk).with_camera(CameraScript::BadFrames));
    station.devices.camera.timeout = Duration::from_secs(1);
    let (outcome, events) = enroll(&mut station, &desk.request(None));
    assert_eq!(outcome.unwrap_err().step, Step::Photo);
    let id = journal_id(&events);
    // Someone else's folder stands where this enrolment's would go.
    let folder = desk.path("enrolments").join(&id);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join(".permitkit-enrolment"),
        "TRP-0000-000000-0011223344556677\n",
    )
    .unwrap();
    std::fs::write(folder.join("DG1.bin"), b"theirs").unwrap();

    station.factory = Box::new(Devices::new(&desk));
    station.devices.camera.timeout = Duration::from_secs(30);
    let (outcome, _) = enroll(&mut station, &desk.request(Some(&id)));
    let e = outcome.unwrap_err();
    assert_eq!(e.step, Step::ChipImage);
    assert!(
        matches!(&*e.source, StepError::OutputTaken { owner: Some(o), .. }
            if o == "TRP-0000-000000-0011223344556677"),
        "{}",
        e.report()
    );
    assert_eq!(std::fs::read(folder.join("DG1.bin")).unwrap(), b"theirs");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
    // No chip keys were made for a card that cannot get its folder.
    let blobs = station.journal.record(&id).unwrap().blobs;
    assert!(!blobs.iter().any(|b| b == "chip-keys.json"), "{blobs:?}");
}
