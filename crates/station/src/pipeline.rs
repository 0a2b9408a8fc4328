//! Enrollment orchestration: one run from an applicant file to an issued, verified card
//! (ARCHITECTURE.md §3), journaled step by step so that nothing is lost and nothing is reported
//! as issued unless it is.
//!
//! Seven [`Step`]s, one module each, each recorded in the [`Journal`](crate::journal::Journal)
//! with its typed result before its effect is reported:
//!
//! 1. [`applicant`]: the applicant file validated against its document profile;
//! 2. [`photo`]: live capture with guidance and auto-capture, prepared for DG2;
//! 3. [`fingers`]: the document profile's fingers, best of N with substitutes, by the scanner
//!    profile's policy — only with the holder's written consent where the profile requires it;
//! 4. [`signature`]: the signature pad (ended by its profile's rule), prepared for DG7;
//! 5. [`chip_image`]: the LDS built and signed, kept encrypted in the journal until verified;
//!    the enrolment's folder receives the files without biometrics; then the
//!    [`card_review`]: the operator's word on what goes on the chip, every file against the
//!    chip's budget, before anything is written;
//! 6. [`personalize`]: written to the chip, read back byte for byte, passive authentication,
//!    LOCK when asked;
//! 7. [`verify`]: the card read again independently (PACE with the printed CAN), every file
//!    compared with the ChipImage, passive authentication and Active Authentication.
//!
//! Only after `verify` is the enrolment `issued`; the encrypted captures are then purged from
//! the journal. `resume` restores the results of the steps recorded done — typed, and a record
//! that does not restore is an error, never a default — and repeats the rest; an interrupted
//! personalization continues where the chip's journal says it stopped.
//!
//! Devices are opened only when a step needs them, by the station's
//! [`DeviceFactory`](permitkit_devices::factory::DeviceFactory), from the device slots resolved
//! when the station opened.

pub mod applicant;
pub mod card_review;
mod cause;
pub mod chip_image;
mod chip_phase;
mod error;
mod event;
pub mod fingers;
mod perso_journal;
pub mod personalize;
pub mod photo;
pub mod signature;
mod station;
mod step_result;
pub mod verify;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Instant, SystemTime},
};

use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::applicant::{Applicant, Captures, Issuance, IssuedNumbers};
use crate::finger_selection::MissingFinger;
use crate::journal::{EnrolmentState, JournalError, NewEnrolment, StepState};
use permitkit_lds::Ef;
use permitkit_model::secret::SecretBytes;
use permitkit_pki::{passive_auth::verify_files_trusted, trust::TrustStore};

pub use crate::cause::Cause;
pub use crate::step::{Step, UnknownStep};
pub use applicant::ApplicantRecord;
pub use card_review::{CardDecision, CardReview};
pub use chip_image::{ChipImageRecord, card_access_number, is_biometric};
pub use chip_phase::ChipPhase;
pub use error::{EnrolError, RestoreError, StepError};
pub use event::{Event, Observer, PortraitReview, SkipReason};
pub use fingers::{FingerRecord, FingersRecord, NoFingers, rule_for};
pub use perso_journal::StationPersoJournal;
pub use personalize::PersonalizeRecord;
pub use photo::{PhotoRecord, PhotoVerdict, PreviewFrame};
pub use signature::SignatureRecord;
pub use station::Station;
pub use step_result::StepResult;
pub use verify::VerifyRecord;

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct EnrolRequest {
    /// The applicant file.
    pub applicant: PathBuf,
    /// The folder under which each enrolment gets its own folder, named by its journal id.
    pub out: PathBuf,
    /// Operator id, for the journal.
    pub operator: String,
    /// Fingers the operator declares missing (amputation, bandage), with the cause and the
    /// approving supervisor when the station asks for them (`FingerPosition::into()` for a
    /// bare declaration).
    pub missing_fingers: Vec<MissingFinger>,
    /// LOCK the chip after a verified read-back (irreversible; only a locked card is issued).
    pub lock: bool,
    /// Continue this journal enrolment instead of starting a new one.
    pub resume: Option<String>,
}

/// A step's typed result: what the journal records when the step is done, and what a resumed
/// enrolment reads back instead of running the step again.
pub trait StepOutput: Serialize + DeserializeOwned {
    /// The step this is the result of.
    const STEP: Step;

    /// One line for the operator.
    fn summary(&self) -> String;
}

/// The result of every step of an issued enrolment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecords {
    /// `applicant`.
    pub applicant: ApplicantRecord,
    /// `photo`.
    pub photo: PhotoRecord,
    /// `fingers`.
    pub fingers: FingersRecord,
    /// `signature`.
    pub signature: SignatureRecord,
    /// `chip-image`.
    pub chip_image: ChipImageRecord,
    /// `personalize`.
    pub personalize: PersonalizeRecord,
    /// `verify`.
    pub verify: VerifyRecord,
}

/// One step of a completed enrolment, for the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepTiming {
    /// The step.
    pub step: Step,
    /// Wall milliseconds in this run; `None` when restored from an earlier run.
    pub millis: Option<u64>,
    /// One line for the operator.
    pub summary: String,
}

/// The result of a completed enrolment, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Journal id.
    pub id: String,
    /// Application number.
    pub application: String,
    /// The card is issued (locked and verified); `false`: personalized, not issued
    /// (`--no-lock`).
    pub issued: bool,
    /// The enrolment's folder (`<out>/<journal id>`).
    pub out: PathBuf,
    /// Every step, in order.
    pub steps: Vec<StepTiming>,
    /// Every step's result.
    pub records: StepRecords,
    /// Total wall time of this run, milliseconds.
    pub total_millis: u64,
}

/// One enrolment in progress.
struct Run<'a> {
    station: &'a mut Station,
    id: String,
    observer: &'a mut dyn Observer,
    timings: BTreeMap<Step, u64>,
    /// The card, once a step opened the reader; kept open from `personalize` to `verify`.
    card: Option<personalize::OpenCard>,
}

impl Run<'_> {
    /// Runs the step `R` is the result of unless the journal has it done, in which case its
    /// recorded result is restored; records start, result or failure.
    fn step<R: StepOutput>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<R, StepError>,
    ) -> Result<R, EnrolError>
    where
        for<'r> StepResult: From<&'r R>,
    {
        let step = R::STEP;
        if let Some(done) = self.restore::<R>()? {
            self.observer.event(&Event::StepSkipped {
                step,
                reason: SkipReason::DoneEarlier,
            });
            return Ok(done);
        }
        self.station
            .journal
            .step_started(&self.id, step)
            .map_err(|e| self.error(step, StepError::Journal(e)))?;
        self.observer.event(&Event::StepStarted { step });
        let t = Instant::now();
        let outcome = body(self).and_then(|result| {
            self.station
                .journal
                .step_done(&self.id, step, &result)
                .map_err(StepError::Journal)?;
            Ok(result)
        });
        match outcome {
            Ok(result) => {
                let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.timings.insert(step, millis);
                self.observer.event(&Event::StepDone {
                    step,
                    millis,
                    summary: result.summary(),
                    result: Box::new(StepResult::from(&result)),
                });
                Ok(result)
            }
            Err(source) => {
                let message = error::chain(&source);
                let cause = source.cause();
                if let Err(e) =
                    self.station
                        .journal
                        .step_failed(&self.id, step, &message, Some(cause))
                {
                    tracing::error!("the journal did not record the failure of {step}: {e}");
                }
                self.observer.event(&Event::StepFailed {
                    step,
                    error: message,
                    cause,
                });
                Err(self.error(step, source))
            }
        }
    }

    /// The result of `R`'s step when the journal records it done.
    fn restore<R: StepOutput>(&self) -> Result<Option<R>, EnrolError> {
        let step = R::STEP;
        let record = self
            .station
            .journal
            .step(&self.id, step)
            .map_err(|e| self.error(step, StepError::Journal(e)))?;
        let Some(record) = record.filter(|r| r.state == StepState::Done) else {
            return Ok(None);
        };
        let restore = |e| self.error(step, StepError::Restore(e));
        let value = record
            .result
            .ok_or_else(|| restore(RestoreError::Missing))?;
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| restore(RestoreError::Malformed(e)))
    }

    /// The capture `name` that `step` kept in the journal.
    fn blob(&self, step: Step, name: &str) -> Result<SecretBytes, EnrolError> {
        self.station
            .journal
            .blob(&self.id, name)
            .map_err(|e| self.error(step, StepError::Journal(e)))?
            .ok_or_else(|| {
                self.error(
                    step,
                    StepError::Restore(RestoreError::MissingBlob {
                        name: name.to_owned(),
                    }),
                )
            })
    }

    fn error(&self, step: Step, source: StepError) -> EnrolError {
        EnrolError::new(Some(self.id.clone()), step, source)
    }
}

/// Runs (or resumes) one enrolment on `station`.
pub fn enroll(
    station: &mut Station,
    request: &EnrolRequest,
    observer: &mut dyn Observer,
) -> Result<Summary, EnrolError> {
    let started = Instant::now();
    let (mut run, applicant, _, out) = start_run(station, request, observer)?;

    let (applicant_record, photo_record, fingers_record, signature_record, captures) =
        capture_steps(&mut run, &applicant, request)?;
    // The card is identified and claimed before the ChipImage is signed; a chip that makes its
    // own Active Authentication and Chip Authentication keys gives the public keys DG15 and
    // DG14 carry.
    let keys_on_chip = personalize::present(&mut run, &applicant)?;
    let (chip_image_record, held) =
        chip_image::run(&mut run, &applicant, &out, &captures, keys_on_chip)?;
    // Nothing is written before the operator has seen what goes on the chip (when the station
    // asks) and every file fits the chip.
    if let Err(e) = card_review::run(&mut run, &held, &applicant) {
        if let Some(Err(saved)) = run.card.take().map(|card| card.reader.finish()) {
            tracing::error!("the card's state was not saved: {saved}");
        }
        return Err(e);
    }
    let outcome = personalize::run(&mut run, &held, request.lock).and_then(|p| {
        verify::run(&mut run, &held, &p, &applicant.document_profile).map(|v| (p, v))
    });
    // The virtual chip's state is saved whatever happened, so a pulled card stays half-written.
    let saved = run.card.take().map(|card| card.reader.finish());
    let (personalize_record, verify_record) = outcome?;
    if let Some(Err(e)) = saved {
        return Err(run.error(Step::Verify, StepError::SaveCard(e)));
    }

    // Issued: the captures, the ChipImage and the chip keys leave the station; only the CAN,
    // printed on the card, stays (encrypted) so that the card can be opened later.
    let can = chip_image::can_blob(&held.keys);
    drop(held);
    // Issued means written, read back, LOCKED and verified by an independent read; a card left
    // unlocked (`--no-lock`) is personalized, not issued.
    let issued = personalize_record.locked && verify_record.locked;
    let keep = can.as_ref().map(|can| (chip_image::CAN_BLOB, can.expose()));
    let journal = &mut run.station.journal;
    let finished = if issued {
        journal.issue(&run.id, keep)
    } else {
        journal.personalized_not_issued(&run.id, keep)
    };
    finished.map_err(|e| run.error(Step::Verify, StepError::Journal(e)))?;
    run.observer.event(&if issued {
        Event::Issued { id: run.id.clone() }
    } else {
        Event::PersonalizedNotIssued { id: run.id.clone() }
    });
    let records = StepRecords {
        applicant: applicant_record,
        photo: photo_record,
        fingers: fingers_record,
        signature: signature_record,
        chip_image: chip_image_record,
        personalize: personalize_record,
        verify: verify_record,
    };
    let steps = Step::ALL
        .into_iter()
        .map(|step| StepTiming {
            step,
            millis: run.timings.get(&step).copied(),
            summary: records.summary(step),
        })
        .collect();
    Ok(Summary {
        id: run.id,
        application: applicant.application.clone(),
        issued,
        out,
        steps,
        records,
        total_millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// The first four steps' results and the captures they accepted.
type CaptureSteps = (
    ApplicantRecord,
    PhotoRecord,
    FingersRecord,
    SignatureRecord,
    Captures,
);

/// Steps 1 to 4: the applicant file, portrait, fingers and signature.
fn capture_steps(
    run: &mut Run<'_>,
    applicant: &Applicant,
    request: &EnrolRequest,
) -> Result<CaptureSteps, EnrolError> {
    let applicant_record = applicant::run(run, applicant)?;
    let (photo_record, portrait) = photo::run(run, applicant)?;
    let (fingers_record, fingers) = fingers::run(run, applicant, &request.missing_fingers)?;
    let (signature_record, signature_jpeg) = signature::run(run, applicant)?;
    Ok((
        applicant_record,
        photo_record,
        fingers_record,
        signature_record,
        Captures {
            portrait,
            fingers,
            signature_jpeg,
        },
    ))
}

/// What a station that hands its applications to the central bureau has once the captures
/// are done: the applicant file exactly as validated and the accepted captures, for the
/// application package (the bureau crate seals it and queues it in the journal's outbox,
/// [`crate::journal::outbox`]). `Debug` shows lengths only.
pub struct Captured {
    /// Journal id.
    pub id: String,
    /// Application number.
    pub application: String,
    /// The applicant file's text, as validated (personal data: zeroized on drop).
    pub applicant_file: zeroize::Zeroizing<String>,
    /// The accepted captures.
    pub captures: Captures,
}

impl std::fmt::Debug for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Captured({}, {}, applicant file <{} bytes>, {} finger(s))",
            self.id,
            self.application,
            self.applicant_file.len(),
            self.captures.fingers.len()
        )
    }
}

/// Runs (or resumes) the station's part of an enrolment whose card the central bureau
/// personalizes: the applicant, photo, fingers and signature steps, journaled as in
/// [`enroll`]; no ChipImage is built and no card is touched here. The caller hands the result
/// to the bureau with [`Journal::queue_for_bureau`](crate::journal::Journal::queue_for_bureau),
/// which finishes the enrolment.
pub fn capture(
    station: &mut Station,
    request: &EnrolRequest,
    observer: &mut dyn Observer,
) -> Result<Captured, EnrolError> {
    let (mut run, applicant, text, _) = start_run(station, request, observer)?;
    let (_, _, _, _, captures) = capture_steps(&mut run, &applicant, request)?;
    Ok(Captured {
        id: run.id,
        application: applicant.application.clone(),
        applicant_file: zeroize::Zeroizing::new(text),
        captures,
    })
}

impl StepRecords {
    /// The operator's line for `step`.
    pub fn summary(&self, step: Step) -> String {
        match step {
            Step::Applicant => self.applicant.summary(),
            Step::Photo => self.photo.summary(),
            Step::Fingers => self.fingers.summary(),
            Step::Signature => self.signature.summary(),
            Step::ChipImage => self.chip_image.summary(),
            Step::Personalize => self.personalize.summary(),
            Step::Verify => self.verify.summary(),
        }
    }
}

/// Reads and validates the applicant file and records a new enrolment, or checks the one to
/// resume; returns the applicant, the file's text, the journal id and the enrolment's folder.
/// [`begin`], the `Begin` event, and the run that the steps then share.
fn start_run<'a>(
    station: &'a mut Station,
    request: &EnrolRequest,
    observer: &'a mut dyn Observer,
) -> Result<(Run<'a>, Applicant, String, PathBuf), EnrolError> {
    let (applicant, text, id, out) = begin(station, request)?;
    observer.event(&Event::Begin {
        id: id.clone(),
        application: applicant.application.clone(),
        resumed: request.resume.is_some(),
    });
    let run = Run {
        station,
        id,
        observer,
        timings: BTreeMap::new(),
        card: None,
    };
    Ok((run, applicant, text, out))
}

fn begin(
    station: &mut Station,
    request: &EnrolRequest,
) -> Result<(Applicant, String, String, PathBuf), EnrolError> {
    let fail =
        |id: Option<&str>, source| EnrolError::new(id.map(str::to_owned), Step::Applicant, source);
    let resumed = match &request.resume {
        Some(id) => {
            let record = station.journal.record(id).map_err(|e| {
                // An id the journal does not know names no enrolment to resume.
                let known = !matches!(e, JournalError::NotFound(_));
                fail(known.then_some(id.as_str()), StepError::Journal(e))
            })?;
            match record.state {
                EnrolmentState::InProgress => {}
                EnrolmentState::Issued => return Err(fail(Some(id), StepError::AlreadyIssued)),
                EnrolmentState::Abandoned => return Err(fail(Some(id), StepError::Abandoned)),
                EnrolmentState::Personalized => {
                    return Err(fail(Some(id), StepError::PersonalizedNotIssued));
                }
                EnrolmentState::ForBureau => return Err(fail(Some(id), StepError::ForBureau)),
            }
            Some(record)
        }
        None => None,
    };
    let resumed_id = resumed.as_ref().map(|r| r.id.as_str());
    let path = resumed.as_ref().map_or_else(
        || request.applicant.clone(),
        |r| r.applicant_file.clone().into(),
    );
    // Absolute paths in the journal, so that `--resume` works from any working directory.
    let path = std::path::absolute(&path).unwrap_or(path);
    let text = std::fs::read_to_string(&path).map_err(|source| {
        fail(
            resumed_id,
            StepError::ReadApplicant {
                path: path.clone(),
                source,
            },
        )
    })?;
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    // Validated as of today (a resumed enrolment: as of the day it began, so that a document
    // whose file leaves the date of issue to the station keeps the date its ChipImage was
    // signed with), against the numbers of the cards this station made before.
    let issued = IssuedNumbers::from_journal(&station.journal)
        .map_err(|e| fail(resumed_id, StepError::Journal(e)))?;
    let today = match &resumed {
        Some(record) => {
            let began = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(record.created_at).unwrap_or(0));
            permitkit_lds::mrz::Date::from_system_time(began)
                .unwrap_or(permitkit_lds::mrz::Date::UNIX_EPOCH)
        }
        None => Issuance::today().today,
    };
    let issuance = Issuance {
        issued: Some(&issued),
        today,
    };
    let applicant = Applicant::parse_for(
        &path.display().to_string(),
        &text,
        &station.registry,
        &issuance,
    )
    .map_err(|e| fail(resumed_id, StepError::Applicant(e)))?;
    let document = &applicant.document_profile.id;
    if !station.profile.documents.contains(document) {
        return Err(fail(
            resumed_id,
            StepError::NotIssuedHere {
                station: station.profile.id.clone(),
                document: document.clone(),
            },
        ));
    }
    if let Some(record) = resumed {
        if record.applicant_sha256 != sha {
            return Err(fail(Some(&record.id), StepError::ApplicantChanged { path }));
        }
        return Ok((applicant, text, record.id, record.out_dir.into()));
    }
    let out_root = std::path::absolute(&request.out).unwrap_or_else(|_| request.out.clone());
    let id = station
        .journal
        .begin(&NewEnrolment {
            application: &applicant.application,
            document_profile: document,
            station: &station.profile.station_id,
            operator: &request.operator,
            applicant_file: &path.display().to_string(),
            applicant_sha256: &sha,
            out_root: &out_root,
        })
        .map_err(|e| fail(None, StepError::Journal(e)))?;
    let out = station
        .journal
        .record(&id)
        .map_err(|e| fail(Some(&id), StepError::Journal(e)))?
        .out_dir
        .into();
    Ok((applicant, text, id, out))
}

/// Passive authentication of `files` against the station's trust store, now.
fn pa(files: &[(Ef, Vec<u8>)], trust: &TrustStore) -> Result<(), permitkit_pki::PaFailure> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    verify_files_trusted(files, trust, now)
}

/// `YYYYMMDDhhmmss` (UTC).
pub fn timestamp(t: SystemTime) -> String {
    der::DateTime::from_system_time(t).map_or_else(
        |_| "19700101000000".into(),
        |d| {
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minutes(),
                d.seconds()
            )
        },
    )
}
