//! Enrollment orchestration: one run from an applicant file to an issued, verified card
//! (ARCHITECTURE.md §3), journaled step by step so that nothing is lost and nothing is reported
//! as issued unless it is.
//!
//! Steps, each recorded in the [`Journal`] before its effect is reported:
//!
//! 1. `applicant`: the applicant file validated against its document profile;
//! 2. `photo`: live capture with guidance and auto-capture, prepared for DG2;
//! 3. `fingers`: the document profile's fingers, best of N with substitutes — only with the
//!    holder's written consent where the profile requires it;
//! 4. `signature`: the signature pad, prepared for DG7;
//! 5. `chip-image`: the LDS built and signed into the ChipImage folder;
//! 6. `personalize`: written to the chip, read back byte for byte, passive authentication,
//!    LOCK when asked;
//! 7. `verify`: the card read again independently (PACE with the printed CAN), every file
//!    compared with the ChipImage, passive authentication and Active Authentication.
//!
//! Only after `verify` is the enrolment `issued`; the encrypted captures are then purged from
//! the journal. `resume` skips the steps recorded done (restoring their results from the
//! journal) and repeats the rest; an interrupted personalization continues where the chip's
//! journal says it stopped.
//!
//! Devices are opened only when a step needs them, from the station profile's selectors.

mod fingers;
mod perso_journal;
pub mod photo;
mod station;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime},
};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::applicant::{self, Applicant, Captures, ChipSecrets, Portrait};
use crate::finger_selection;
use crate::journal::{EnrolmentState, NewEnrolment};
use permitkit_biometrics::{FingerPosition, signature};
use permitkit_chip::{
    perso::{self, LockPermission, PersoInput, PersoLimits, PersoOptions, Progress},
    reader::{self, AccessKey},
};
use permitkit_devices::{card_reader::CardReader, scanner, signature_pad};
use permitkit_lds::{self as lds, ChipImage, Ef};
use permitkit_model::profiles::ChipProfile;
use permitkit_model::secret::SecretBytes;
use permitkit_pki::{DocumentSigner, signer::FileKeySignature, verify_files};
use permitkit_quality::face::{FaceAssessor, FaceImageType, PortraitRequest};

pub use fingers::{FingerRecord, rule_for};
pub use perso_journal::StationPersoJournal;
pub use station::Station;

/// Step names, in order.
pub const STEPS: [&str; 7] = [
    "applicant",
    "photo",
    "fingers",
    "signature",
    "chip-image",
    "personalize",
    "verify",
];

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct EnrolRequest {
    /// The applicant file.
    pub applicant: PathBuf,
    /// ChipImage output folder.
    pub out: PathBuf,
    /// Operator id, for the journal.
    pub operator: String,
    /// Fingers the operator declares missing (amputation, bandage).
    pub missing_fingers: Vec<FingerPosition>,
    /// LOCK the chip after a verified read-back (irreversible).
    pub lock: bool,
    /// Continue this journal enrolment instead of starting a new one.
    pub resume: Option<String>,
}

/// Something the operator should see, as it happens. Serialized as one JSON object per line
/// by `enroll --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The enrolment began or resumed.
    Begin {
        /// Journal id (for `--resume`).
        id: String,
        /// Application number.
        application: String,
        /// True when resuming.
        resumed: bool,
    },
    /// A step started.
    StepStarted {
        /// Step name.
        step: &'static str,
    },
    /// A step was already done (resume) or does not apply.
    StepSkipped {
        /// Step name.
        step: &'static str,
        /// Why.
        reason: String,
    },
    /// A step finished.
    StepDone {
        /// Step name.
        step: &'static str,
        /// Wall time in milliseconds.
        millis: u64,
        /// One line for the operator.
        summary: String,
    },
    /// A step failed; the enrolment can be resumed.
    StepFailed {
        /// Step name.
        step: &'static str,
        /// What went wrong and what to do.
        error: String,
    },
    /// Guidance for the applicant while framing.
    Guidance {
        /// Frame number.
        frame: u64,
        /// The instruction.
        message: String,
    },
    /// A good frame.
    FrameGood {
        /// Frame number.
        frame: u64,
        /// Consecutive good frames.
        streak: u32,
        /// Good frames needed.
        needed: u32,
    },
    /// The operator should present a finger.
    PresentFinger {
        /// Which finger.
        finger: FingerPosition,
    },
    /// Write or read-back progress of the chip.
    ChipProgress {
        /// What is happening.
        message: String,
        /// Bytes done.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// The card is issued.
    Issued {
        /// Journal id.
        id: String,
    },
}

/// Receives events.
pub trait Observer {
    /// Called for every event, in order.
    fn event(&mut self, event: &Event);
}

impl<F: FnMut(&Event)> Observer for F {
    fn event(&mut self, event: &Event) {
        self(event);
    }
}

/// Why an enrolment stopped. Everything done so far is in the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolError {
    /// A step failed; resume with the id once the cause is fixed.
    #[error(
        "{step}: {message} (journal id {id}; fix the cause and run `permitkit enroll --resume {id}`)"
    )]
    Step {
        /// Journal id.
        id: String,
        /// Step name.
        step: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The applicant file is not valid: nothing was started.
    #[error(transparent)]
    Applicant(#[from] applicant::ApplicantError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// Anything else, before a step could be recorded.
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// The result of a completed enrolment, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Journal id.
    pub id: String,
    /// Application number.
    pub application: String,
    /// ChipImage folder.
    pub out: PathBuf,
    /// Per step: name, wall milliseconds in this run (0 when restored from the journal), and
    /// its recorded result.
    pub steps: Vec<(String, u64, serde_json::Value)>,
    /// Total wall time of this run, milliseconds.
    pub total_millis: u64,
}

struct Run<'a> {
    station: &'a mut Station,
    id: String,
    observer: &'a mut dyn Observer,
    timings: BTreeMap<&'static str, u64>,
}

impl Run<'_> {
    /// Runs `step` unless the journal has it done; records start, result or failure.
    fn step<T: Serialize>(
        &mut self,
        step: &'static str,
        body: impl FnOnce(&mut Self) -> Result<(T, String), String>,
    ) -> Result<Option<T>, EnrolError> {
        if self.station.journal.is_done(&self.id, step)? {
            self.observer.event(&Event::StepSkipped {
                step,
                reason: "done in an earlier run (from the journal)".into(),
            });
            return Ok(None);
        }
        self.station.journal.step_started(&self.id, step)?;
        self.observer.event(&Event::StepStarted { step });
        let t = Instant::now();
        match body(self) {
            Ok((detail, summary)) => {
                self.station.journal.step_done(&self.id, step, &detail)?;
                let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.timings.insert(step, millis);
                self.observer.event(&Event::StepDone {
                    step,
                    millis,
                    summary,
                });
                Ok(Some(detail))
            }
            Err(message) => {
                self.station.journal.step_failed(&self.id, step, &message)?;
                self.observer.event(&Event::StepFailed {
                    step,
                    error: message.clone(),
                });
                Err(EnrolError::Step {
                    id: self.id.clone(),
                    step,
                    message,
                })
            }
        }
    }

    fn detail(&self, step: &str) -> Result<serde_json::Value, EnrolError> {
        Ok(self
            .station
            .journal
            .step(&self.id, step)?
            .map(|s| s.detail)
            .unwrap_or_default())
    }

    fn blob(&self, name: &str) -> Result<Option<SecretBytes>, EnrolError> {
        Ok(self.station.journal.blob(&self.id, name)?)
    }
}

/// Runs (or resumes) one enrolment on `station`.
pub fn enroll(
    station: &mut Station,
    request: &EnrolRequest,
    observer: &mut dyn Observer,
) -> Result<Summary, EnrolError> {
    let started = Instant::now();
    let (id, applicant_path) = match &request.resume {
        Some(id) => {
            let rec = station.journal.record(id)?;
            if rec.state == EnrolmentState::Issued {
                return Err(EnrolError::Step {
                    id: id.clone(),
                    step: "applicant",
                    message: "this enrolment is already issued".into(),
                });
            }
            (id.clone(), PathBuf::from(rec.applicant_file))
        }
        None => (String::new(), request.applicant.clone()),
    };
    // Absolute paths in the journal, so that `--resume` works from any working directory.
    let applicant_path = std::path::absolute(&applicant_path).unwrap_or(applicant_path);
    let text = std::fs::read_to_string(&applicant_path)
        .map_err(|e| crate::Error::io(applicant_path.display().to_string(), e))?;
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let applicant = Applicant::parse(
        &applicant_path.display().to_string(),
        &text,
        &station.registry,
    )?;
    if !station
        .profile
        .documents
        .contains(&applicant.document_profile.id)
    {
        return Err(EnrolError::Other(crate::Error::Profile(
            permitkit_model::profiles::ProfileError {
                file: format!("stations/{}.toml", station.profile.id),
                field: "documents".into(),
                reason: format!(
                    "this station does not issue {}",
                    applicant.document_profile.id
                ),
            },
        )));
    }
    let id = if id.is_empty() {
        station.journal.begin(&NewEnrolment {
            application: &applicant.application,
            document_profile: &applicant.document_profile.id,
            station: &station.profile.station_id,
            operator: &request.operator,
            applicant_file: &applicant_path.display().to_string(),
            applicant_sha256: &sha,
            out_dir: &std::path::absolute(&request.out)
                .unwrap_or_else(|_| request.out.clone())
                .display()
                .to_string(),
        })?
    } else {
        let rec = station.journal.record(&id)?;
        if rec.applicant_sha256 != sha {
            return Err(EnrolError::Step {
                id,
                step: "applicant",
                message: format!(
                    "{} changed since this enrolment began; start a new enrolment",
                    applicant_path.display()
                ),
            });
        }
        id
    };
    observer.event(&Event::Begin {
        id: id.clone(),
        application: applicant.application.clone(),
        resumed: request.resume.is_some(),
    });
    let out = match &request.resume {
        Some(_) => PathBuf::from(station.journal.record(&id)?.out_dir),
        None => std::path::absolute(&request.out).unwrap_or_else(|_| request.out.clone()),
    };
    let mut run = Run {
        station,
        id: id.clone(),
        observer,
        timings: BTreeMap::new(),
    };

    run.step("applicant", |_| {
        let detail = serde_json::json!({
            "application": applicant.application,
            "document_profile": applicant.document_profile.id,
            "mrz_name_possibly_truncated": applicant.mrz.name_possibly_truncated(),
            "fingerprints_on_chip": applicant.writes_fingerprints(),
        });
        let summary = format!(
            "{} ({}), {}",
            applicant.application,
            applicant.document_profile.id,
            if applicant.mrz.name_possibly_truncated() {
                "the name fills the MRZ name field and may be truncated there \
                 (9303-5 §4.2.3.3); DG11 carries it in full"
            } else {
                "the name fits the MRZ"
            }
        );
        Ok((detail, summary))
    })?;

    let portrait = photo_step(&mut run, &applicant)?;
    let fingers = fingers_step(&mut run, &applicant, &request.missing_fingers)?;
    let signature_jpeg = signature_step(&mut run, &applicant)?;
    let image = chip_image_step(
        &mut run,
        &applicant,
        &out,
        Captures {
            portrait,
            fingers,
            signature_jpeg,
        },
    )?;
    let mut card = open_card(&mut run)?;
    let outcome = personalize_step(&mut run, &image, &mut card, request.lock)
        .and_then(|()| verify_step(&mut run, &image, &mut card));
    // The virtual chip's state is saved whatever happened, so a pulled card stays half-written.
    let saved = card.reader.finish();
    outcome?;
    saved.map_err(|e| EnrolError::Other(e.into()))?;

    run.station.journal.set_state(&id, EnrolmentState::Issued)?;
    run.station.journal.purge_blobs(&id)?;
    run.observer.event(&Event::Issued { id: id.clone() });
    let mut steps = Vec::new();
    for step in STEPS {
        let detail = run.detail(step)?;
        steps.push((
            step.to_owned(),
            run.timings.get(step).copied().unwrap_or(0),
            detail,
        ));
    }
    Ok(Summary {
        id,
        application: applicant.application.clone(),
        out,
        steps,
        total_millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn photo_step(run: &mut Run<'_>, applicant: &Applicant) -> Result<Portrait, EnrolError> {
    let profile = applicant.document_profile.clone();
    run.step("photo", |run| {
        let slot = run.station.profile.camera.clone();
        let quality = run
            .station
            .registry
            .quality(&run.station.profile.quality_profile)
            .map_err(|e| e.to_string())?
            .clone();
        let cam_profile = match &slot.profile {
            Some(id) => Some(
                run.station
                    .registry
                    .camera(id)
                    .map_err(|e| e.to_string())?
                    .clone(),
            ),
            None => None,
        };
        let mut camera = permitkit_devices::camera::open(&slot.selector, cam_profile.as_ref())
            .map_err(|e| e.to_string())?;
        let mut gate = FaceAssessor::new(quality).map_err(|e| e.to_string())?;
        let request = PortraitRequest {
            image_type: match profile.portrait.image_type {
                permitkit_model::profiles::document::PortraitType::FullFrontal => {
                    FaceImageType::FullFrontal
                }
                permitkit_model::profiles::document::PortraitType::TokenFrontal => {
                    FaceImageType::TokenFrontal
                }
            },
            max_bytes: Some(profile.portrait.max_bytes),
        };
        let observer = &mut run.observer;
        let mut on_frame = |o: &photo::FrameOutcome| match o {
            photo::FrameOutcome::Guidance { frame, message } => observer.event(&Event::Guidance {
                frame: *frame,
                message: message.clone(),
            }),
            photo::FrameOutcome::Good {
                frame,
                streak,
                needed,
            } => {
                observer.event(&Event::FrameGood {
                    frame: *frame,
                    streak: *streak,
                    needed: *needed,
                });
            }
        };
        let min_face = cam_profile.as_ref().map_or(0.0, |c| c.min_face_px as f32);
        let capture = photo::live_capture(
            camera.as_mut(),
            &mut gate,
            &request,
            seconds(slot.timeout_seconds),
            min_face,
            &mut on_frame,
        )
        .map_err(|e| e.to_string())?;
        let p = capture.portrait.sample();
        let report = capture.portrait.report();
        run.station
            .journal
            .put_blob(&run.id, "portrait.jpg", p.jpeg.expose())
            .map_err(|e| e.to_string())?;
        let px = |v: f32| permitkit_quality::face::raster::round_u(v);
        let detail = serde_json::json!({
            "verdict": report.verdict,
            "warnings": report.problems().iter().map(|c| c.message.clone()).collect::<Vec<_>>(),
            "frames": capture.frames,
            "width": p.width,
            "height": p.height,
            "colour_space": p.colour_space.code(),
            "left_eye": [px(p.left_eye.x), px(p.left_eye.y)],
            "right_eye": [px(p.right_eye.x), px(p.right_eye.y)],
            "jpeg_bytes": p.jpeg.len(),
            "jpeg_quality": p.jpeg_quality,
        });
        let summary = format!(
            "{} after {} frames, {}x{} JPEG {} bytes (quality {})",
            report.verdict,
            capture.frames,
            p.width,
            p.height,
            p.jpeg.len(),
            p.jpeg_quality
        );
        Ok((detail, summary))
    })?;
    // Done now or earlier: the portrait comes back from the journal.
    let d = run.detail("photo")?;
    let jpeg = run
        .blob("portrait.jpg")?
        .ok_or_else(|| not_in_journal(run, "photo", "portrait.jpg"))?;
    let num = |k: &str, i: usize| {
        at(&d, k)
            .get(i)
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| u16::try_from(v).ok())
    };
    let dim = |k: &str| {
        at(&d, k)
            .as_u64()
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(0)
    };
    Ok(Portrait {
        jpeg: jpeg.expose().to_vec(),
        width: dim("width"),
        height: dim("height"),
        colour_space: at(&d, "colour_space")
            .as_u64()
            .and_then(|v| u8::try_from(v).ok())
            .unwrap_or(1),
        left_eye: num("left_eye", 0).zip(num("left_eye", 1)),
        right_eye: num("right_eye", 0).zip(num("right_eye", 1)),
    })
}

fn fingers_step(
    run: &mut Run<'_>,
    applicant: &Applicant,
    missing: &[FingerPosition],
) -> Result<Vec<applicant::FingerCapture>, EnrolError> {
    if !applicant.writes_fingerprints() {
        run.step("fingers", |_| {
            let reason = if applicant.document_profile.data_groups.contains(&3) {
                "no written consent from the holder: DG3 is not written"
            } else {
                "the document carries no fingerprints"
            };
            Ok((serde_json::json!({ "skipped": reason }), reason.to_owned()))
        })?;
        return Ok(Vec::new());
    }
    let profile = applicant.document_profile.clone();
    run.step("fingers", |run| {
        let slot = run.station.profile.scanner.clone();
        let mut device = scanner::open(&slot.selector, seconds(slot.timeout_seconds))
            .map_err(|e| e.to_string())?;
        let rule = rule_for(&profile);
        let observer = &mut run.observer;
        let selected = finger_selection::select(&rule, missing, |finger| {
            observer.event(&Event::PresentFinger { finger });
            device.capture(finger)
        })
        .map_err(|e| e.to_string())?;
        let (captures, records) =
            fingers::compress(&selected, profile.fingers.wsq_bitrate).map_err(|e| e.to_string())?;
        for c in &captures {
            run.station
                .journal
                .put_blob(&run.id, &format!("finger-{}.wsq", c.position), &c.wsq)
                .map_err(|e| e.to_string())?;
        }
        let summary = records
            .iter()
            .map(|r| {
                if r.captured == r.wanted {
                    format!("{} {}", r.captured, r.quality)
                } else {
                    format!("{} {} (instead of {})", r.captured, r.quality, r.wanted)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok((serde_json::json!({ "fingers": records }), summary))
    })?;
    let d = run.detail("fingers")?;
    let mut out = Vec::new();
    for f in at(&d, "fingers").as_array().cloned().unwrap_or_default() {
        let position: FingerPosition = at(&f, "captured")
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| not_in_journal(run, "fingers", "finger position"))?;
        let name = format!("finger-{position}.wsq");
        let wsq = run
            .blob(&name)?
            .ok_or_else(|| not_in_journal(run, "fingers", &name))?;
        let info = permitkit_biometrics::wsq::inspect(wsq.expose())
            .map_err(|e| step_error(run, "fingers", e.to_string()))?;
        out.push(applicant::FingerCapture {
            position,
            quality: at(&f, "quality")
                .as_u64()
                .and_then(|q| u8::try_from(q).ok())
                .unwrap_or(0),
            width: u16::try_from(info.width)
                .map_err(|_| step_error(run, "fingers", format!("{name} is too wide")))?,
            height: u16::try_from(info.height)
                .map_err(|_| step_error(run, "fingers", format!("{name} is too tall")))?,
            wsq: wsq.expose().to_vec(),
        });
    }
    Ok(out)
}

fn signature_step(run: &mut Run<'_>, applicant: &Applicant) -> Result<Option<Vec<u8>>, EnrolError> {
    let profile = applicant.document_profile.clone();
    if !profile.data_groups.contains(&7) {
        run.step("signature", |_| {
            Ok((
                serde_json::json!({ "skipped": "no DG7" }),
                "not on this document".into(),
            ))
        })?;
        return Ok(None);
    }
    run.step("signature", |run| {
        let slot = run.station.profile.signature_pad.clone();
        let mut pad = signature_pad::open(&slot.selector, signature_pad::EndRule::default())
            .map_err(|e| e.to_string())?;
        let capture = pad
            .capture(seconds(slot.timeout_seconds))
            .map_err(|e| e.to_string())?;
        let s = &profile.signature;
        let prepared = signature::prepare(&capture.to_image(), s.width, s.height, s.max_bytes)
            .map_err(|e| e.to_string())?;
        run.station
            .journal
            .put_blob(&run.id, "signature.jpg", &prepared.jpeg)
            .map_err(|e| e.to_string())?;
        let detail = serde_json::json!({
            "strokes": capture.strokes.len(),
            "points": capture.point_count(),
            "jpeg_bytes": prepared.jpeg.len(),
            "jpeg_quality": prepared.quality,
        });
        let summary = format!(
            "{} strokes, {}x{} JPEG {} bytes",
            capture.strokes.len(),
            s.width,
            s.height,
            prepared.jpeg.len()
        );
        Ok((detail, summary))
    })?;
    Ok(Some(
        run.blob("signature.jpg")?
            .ok_or_else(|| not_in_journal(run, "signature", "signature.jpg"))?
            .expose()
            .to_vec(),
    ))
}

fn chip_image_step(
    run: &mut Run<'_>,
    applicant: &Applicant,
    out: &Path,
    captures: Captures,
) -> Result<ChipImage, EnrolError> {
    run.step("chip-image", |run| {
        let profile = &applicant.document_profile;
        let secrets =
            ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication)
                .map_err(|e| e.to_string())?;
        let now = SystemTime::now();
        let enrolment = applicant::enrolment(
            applicant,
            &captures,
            &secrets,
            Some((timestamp(now), run.station.profile.station_id.clone())),
        )
        .map_err(|e| e.to_string())?;
        let signer: &DocumentSigner = &run.station.signer;
        let image = lds::build::<_, FileKeySignature>(
            &enrolment,
            signer.certificate_der(),
            signer.signer(),
            now,
        )
        .map_err(|e| e.to_string())?;
        let manifest = image.save_dir(out).map_err(|e| e.to_string())?;
        let summary = format!(
            "{} files, {} bytes, signed and written to {}",
            manifest.files.len(),
            image.total_size(),
            out.display()
        );
        Ok((serde_json::json!({ "manifest": manifest }), summary))
    })?;
    // Built now or earlier: reload it, re-check it, and compare with what the journal recorded.
    let image =
        ChipImage::load_dir(out).map_err(|e| step_error(run, "chip-image", e.to_string()))?;
    let recorded = run.detail("chip-image")?;
    let expected: Vec<String> = at(at(&recorded, "manifest"), "files")
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| at(f, "sha256").as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let actual: Vec<String> = image
        .manifest()
        .files
        .into_iter()
        .map(|f| f.sha256)
        .collect();
    if expected != actual {
        return Err(step_error(
            run,
            "chip-image",
            format!(
                "{} differs from the ChipImage the journal recorded",
                out.display()
            ),
        ));
    }
    Ok(image)
}

/// The card on the station's reader, with the chip profile and the APDU limits that the
/// personalize and verify steps share.
struct Card {
    reader: CardReader,
    chip: ChipProfile,
    limits: PersoLimits,
}

fn open_card(run: &mut Run<'_>) -> Result<Card, EnrolError> {
    let slot = run.station.profile.card_reader.clone();
    let opened = CardReader::open(
        &slot.selector,
        run.station.card_state.as_deref(),
        &run.station.registry,
        seconds(slot.timeout_seconds),
    )
    .and_then(|mut reader| {
        if let (Some(n), Some(chip)) = (run.station.sim_card_pull_after, reader.sim_card_mut()) {
            chip.faults_mut().drop_after(n);
        }
        let chip = reader.chip_profile(
            &run.station.registry,
            Some(&run.station.profile.chip.profile),
        )?;
        let limits = PersoLimits::from_profiles(&chip, reader.reader_profile());
        Ok(Card {
            reader,
            chip,
            limits,
        })
    });
    opened.or_else(|e| {
        let message = format!("card reader: {e}");
        run.station
            .journal
            .step_failed(&run.id, "personalize", &message)?;
        run.observer.event(&Event::StepFailed {
            step: "personalize",
            error: message.clone(),
        });
        Err(step_error(run, "personalize", message))
    })
}

fn personalize_step(
    run: &mut Run<'_>,
    image: &ChipImage,
    card: &mut Card,
    lock: bool,
) -> Result<(), EnrolError> {
    let total: u64 = image.files().map(|(_, d)| d.len() as u64).sum::<u64>() * 2;
    run.step("personalize", |run| {
        let input = PersoInput::try_from(image).map_err(|e| e.to_string())?;
        let cscas = &run.station.cscas;
        let verifier = |files: &[(Ef, Vec<u8>)]| -> Result<(), String> { pa(files, cscas) };
        let options = PersoOptions {
            dialect: card.chip.dialect,
            limits: card.limits,
            lock: lock.then(LockPermission::irreversible),
            verifier: Some(&verifier),
        };
        let uid = card.reader.uid();
        let observer = &mut run.observer;
        let mut written: BTreeMap<Ef, u64> = BTreeMap::new();
        let mut read_back = 0u64;
        let mut progress = |p: &Progress| {
            let (message, done) = match p {
                Progress::Resuming { attempt } => (
                    format!("resuming an interrupted card (attempt {attempt})"),
                    0,
                ),
                Progress::Writing { ef, written: w, .. } => {
                    written.insert(*ef, *w as u64);
                    (format!("writing {ef}"), written.values().sum())
                }
                Progress::Keys => ("storing access keys".into(), written.values().sum()),
                Progress::Verified { ef, size } => {
                    read_back += *size as u64;
                    (
                        format!("read back {ef}"),
                        written.values().sum::<u64>() + read_back,
                    )
                }
                Progress::Verifying => ("passive authentication".into(), total),
                Progress::Locked => ("locked".into(), total),
            };
            observer.event(&Event::ChipProgress {
                message,
                done,
                total,
            });
        };
        let mut journal = StationPersoJournal {
            journal: &mut run.station.journal,
            enrolment: &run.id,
        };
        let outcome = perso::personalize(
            card.reader.channel(),
            &input,
            &options,
            &mut journal,
            &mut progress,
        );
        // What reached the chip stays there, whatever happens next (the virtual chip's file).
        card.reader
            .save()
            .map_err(|e| format!("saving the virtual chip's state: {e}"))?;
        let report = outcome.map_err(|e| match e {
            permitkit_chip::ChipError::Transport(t) => {
                format!("{t}: the card is NOT done; present the same card again and resume")
            }
            other => format!("the card is NOT done: {other}"),
        })?;
        let summary = format!(
            "{} APDUs (minimum {}), {} bytes out, {:.0} ms{}{}",
            report.stats.commands,
            report.minimum_apdus,
            report.stats.bytes_sent,
            report.wall.as_secs_f64() * 1000.0,
            if report.resumed { ", resumed" } else { "" },
            if report.locked { ", locked" } else { "" }
        );
        Ok((serde_json::json!({ "uid": uid, "report": report }), summary))
    })?;
    Ok(())
}

fn verify_step(run: &mut Run<'_>, image: &ChipImage, card: &mut Card) -> Result<(), EnrolError> {
    run.step("verify", |run| {
        let can = image
            .keys()
            .can
            .clone()
            .ok_or("the ChipImage holds no CAN to open the card with")?;
        let contents = reader::read(
            card.reader.channel(),
            &AccessKey::Can(can),
            card.limits.read,
        )
        .map_err(|e| format!("reading the card back: {e}"))?;
        let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
        for (ef, expected) in image.files() {
            match map.get(&ef) {
                Some(d) if d.as_slice() == expected => {}
                Some(_) => return Err(format!("{ef} on the card differs from the ChipImage")),
                None => return Err(format!("{ef} could not be read from the card")),
            }
        }
        pa(&contents.files, &run.station.cscas)?;
        if contents.active_authentication == Some(false) {
            return Err("Active Authentication failed: the chip does not hold the DG15 key".into());
        }
        let detail = serde_json::json!({
            "protocol": contents.protocol.to_string(),
            "files": map.len(),
            "passive_authentication": "valid",
            "active_authentication": contents.active_authentication,
        });
        let summary = format!(
            "read over {}: {} files identical, passive authentication valid{}",
            contents.protocol,
            map.len(),
            match contents.active_authentication {
                Some(true) => ", Active Authentication valid",
                _ => "",
            }
        );
        Ok((detail, summary))
    })?;
    Ok(())
}

fn pa(files: &[(Ef, Vec<u8>)], cscas: &[Vec<u8>]) -> Result<(), String> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    verify_files(files, cscas, now)
}

/// `value[key]`, or JSON null when absent.
fn at<'v>(value: &'v serde_json::Value, key: &str) -> &'v serde_json::Value {
    value.get(key).unwrap_or(&serde_json::Value::Null)
}

fn not_in_journal(run: &Run<'_>, step: &'static str, what: &str) -> EnrolError {
    step_error(run, step, format!("the journal has no {what}"))
}

fn step_error(run: &Run<'_>, step: &'static str, message: String) -> EnrolError {
    EnrolError::Step {
        id: run.id.clone(),
        step,
        message,
    }
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::from_secs(3600))
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
