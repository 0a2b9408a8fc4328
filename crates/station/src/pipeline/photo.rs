//! The `photo` step: the portrait for DG2 (ICAO Doc 9303-10 §4.7.2; ISO/IEC 19794-5 full or
//! token frontal image), by live capture.
//!
//! Live capture: frames from a camera are assessed on a downscaled preview (guidance for the
//! operator), confirmed at full resolution, and the still is taken once every check passes on
//! the quality profile's number of consecutive frames — or the capture gives up at the timeout,
//! having captured nothing. Used by `capture photo` and by the enrollment, which keeps the
//! prepared JPEG in the journal (encrypted) and records the figures of the portrait
//! ([`PhotoRecord`]) that the DG2 record needs.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{EnrolError, Event, Run, StepError, StepOutput};
use crate::applicant::{Applicant, Portrait};
use crate::step::Step;
use permitkit_devices::camera::Camera;
use permitkit_model::profiles::station::SlotKind;
use permitkit_quality::{
    Accepted, Verdict,
    face::{
        CheckId, FaceAssessor, FaceReport, PortraitRequest, PreparedPortrait,
        raster::{round_u, u32_of},
    },
};

/// What happened on one frame, for the operator.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameOutcome {
    /// The frame fails a check: the message says what to change.
    Guidance {
        /// Frame number.
        frame: u64,
        /// The first problem, as an instruction.
        message: String,
    },
    /// The frame passes; `streak` of `needed` consecutive good frames so far.
    Good {
        /// Frame number.
        frame: u64,
        /// Consecutive good frames.
        streak: u32,
        /// Good frames needed.
        needed: u32,
    },
}

/// Why a live capture ended without a portrait.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveCaptureError {
    /// No acceptable portrait before the timeout.
    #[error(
        "no acceptable portrait within {seconds:.0} s after {frames} frames (last problem: {last}); nothing was captured"
    )]
    Timeout {
        /// The timeout.
        seconds: f64,
        /// Frames assessed.
        frames: u64,
        /// The last guidance given.
        last: String,
    },
    /// The camera failed.
    #[error(transparent)]
    Camera(#[from] permitkit_devices::CaptureError),
    /// The accepted frame could not be prepared for DG2.
    #[error(transparent)]
    Face(#[from] permitkit_quality::face::FaceError),
}

/// A successful live capture: the prepared portrait and how many frames it took.
#[derive(Debug)]
pub struct LiveCapture {
    /// The portrait, admitted by the gate.
    pub portrait: Accepted<PreparedPortrait, FaceReport>,
    /// Frames assessed.
    pub frames: u64,
}

/// The name of the encrypted portrait JPEG in the journal.
const PORTRAIT_BLOB: &str = "portrait.jpg";

/// The quality verdict of an admitted portrait: it passed, or passed with warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PhotoVerdict {
    /// Every check passed.
    Pass,
    /// Admitted; the warnings say what could be better.
    Warn,
}

impl std::fmt::Display for PhotoVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhotoVerdict::Pass => "pass",
            PhotoVerdict::Warn => "warn",
        })
    }
}

/// The result of the `photo` step: how the portrait was admitted and what the DG2 record
/// needs about it (the JPEG itself is in the journal, encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRecord {
    /// The quality verdict.
    pub verdict: PhotoVerdict,
    /// The checks that warned, as instructions.
    pub warnings: Vec<String>,
    /// Frames assessed before the portrait was taken.
    pub frames: u64,
    /// Width of the prepared portrait, pixels.
    pub width: u16,
    /// Height of the prepared portrait, pixels.
    pub height: u16,
    /// ISO/IEC 19794-5 colour space code of the JPEG.
    pub colour_space: u8,
    /// The subject's left eye centre (x, y), pixels.
    pub left_eye: [u16; 2],
    /// The subject's right eye centre (x, y), pixels.
    pub right_eye: [u16; 2],
    /// JPEG size, bytes.
    pub jpeg_bytes: usize,
    /// JPEG quality the byte budget settled on.
    pub jpeg_quality: u8,
}

impl PhotoRecord {
    /// The portrait for the chip: this record with the JPEG restored from the journal.
    fn portrait(&self, jpeg: Vec<u8>) -> Portrait {
        let [lx, ly] = self.left_eye;
        let [rx, ry] = self.right_eye;
        Portrait {
            jpeg,
            width: self.width,
            height: self.height,
            colour_space: self.colour_space,
            left_eye: Some((lx, ly)),
            right_eye: Some((rx, ry)),
        }
    }
}

impl StepOutput for PhotoRecord {
    const STEP: Step = Step::Photo;

    fn summary(&self) -> String {
        format!(
            "{} after {} frames, {}x{} JPEG {} bytes (quality {})",
            self.verdict, self.frames, self.width, self.height, self.jpeg_bytes, self.jpeg_quality
        )
    }
}

/// Runs (or restores) the step and returns its record with the portrait for DG2.
pub(super) fn run(
    run: &mut Run<'_>,
    applicant: &Applicant,
) -> Result<(PhotoRecord, Portrait), EnrolError> {
    let record = run.step(|run| capture(run, applicant))?;
    let jpeg = run.blob(Step::Photo, PORTRAIT_BLOB)?;
    let portrait = record.portrait(jpeg.expose().to_vec());
    Ok((record, portrait))
}

fn capture(run: &mut Run<'_>, applicant: &Applicant) -> Result<PhotoRecord, StepError> {
    let Run {
        station,
        observer,
        id,
        ..
    } = run;
    let slot = &station.devices.camera;
    let mut camera = station
        .factory
        .camera(slot)
        .map_err(|source| StepError::OpenDevice {
            device: SlotKind::Camera,
            selector: slot.selector.to_string(),
            source,
        })?;
    let mut gate = FaceAssessor::new(station.quality.clone()).map_err(StepError::QualityProfile)?;
    let portrait = &applicant.document_profile.portrait;
    let request = PortraitRequest {
        image_type: portrait.image_type,
        max_bytes: Some(portrait.max_bytes),
    };
    let mut on_frame = |o: &FrameOutcome| match o {
        FrameOutcome::Guidance { frame, message } => observer.event(&Event::Guidance {
            frame: *frame,
            message: message.clone(),
        }),
        FrameOutcome::Good {
            frame,
            streak,
            needed,
        } => observer.event(&Event::FrameGood {
            frame: *frame,
            streak: *streak,
            needed: *needed,
        }),
    };
    let capture = live_capture(
        camera.as_mut(),
        &mut gate,
        &request,
        slot.timeout,
        slot.min_face_px(),
        &mut on_frame,
    )
    .map_err(StepError::LiveCapture)?;
    let p = capture.portrait.sample();
    let report = capture.portrait.report();
    let too_large = || StepError::PortraitSize {
        width: p.width,
        height: p.height,
    };
    let px = |v: f32| u16::try_from(round_u(v)).map_err(|_| too_large());
    let record = PhotoRecord {
        verdict: match report.verdict {
            Verdict::Pass => PhotoVerdict::Pass,
            Verdict::Warn => PhotoVerdict::Warn,
            Verdict::Fail => return Err(StepError::Inadmissible),
        },
        warnings: report
            .problems()
            .iter()
            .map(|c| c.message.clone())
            .collect(),
        frames: capture.frames,
        width: u16::try_from(p.width).map_err(|_| too_large())?,
        height: u16::try_from(p.height).map_err(|_| too_large())?,
        colour_space: p.colour_space.code(),
        left_eye: [px(p.left_eye.x)?, px(p.left_eye.y)?],
        right_eye: [px(p.right_eye.x)?, px(p.right_eye.y)?],
        jpeg_bytes: p.jpeg.len(),
        jpeg_quality: p.jpeg_quality,
    };
    station
        .journal
        .put_blob(id, PORTRAIT_BLOB, p.jpeg.expose())
        .map_err(StepError::Journal)?;
    Ok(record)
}

/// Checks that depend on the full-resolution frame and are not judged on the preview.
fn resolution_bound(id: CheckId) -> bool {
    matches!(
        id,
        CheckId::InterEyeDistance | CheckId::Resolution | CheckId::Compression
    )
}

/// Runs the capture loop on `camera` with `gate` until a portrait is accepted or `timeout`
/// passes. `min_face_px` (full-resolution pixels, 0 for the profile's default) comes from the
/// camera profile. `on_frame` sees every frame's outcome.
pub fn live_capture(
    camera: &mut dyn Camera,
    gate: &mut FaceAssessor,
    request: &PortraitRequest,
    timeout: Duration,
    min_face_px: f32,
    on_frame: &mut dyn FnMut(&FrameOutcome),
) -> Result<LiveCapture, LiveCaptureError> {
    let rules = gate.profile().capture.clone();
    let start = Instant::now();
    let mut streak = 0u32;
    let mut frames = 0u64;
    let mut last = String::from("none seen");
    loop {
        if start.elapsed() > timeout {
            return Err(LiveCaptureError::Timeout {
                seconds: timeout.as_secs_f64(),
                frames,
                last,
            });
        }
        let frame = camera.capture()?;
        frames += 1;
        let (w, h) = frame.image.dimensions();
        let scale = (rules.preview_width as f32 / w as f32).min(1.0);
        let preview = (scale < 1.0).then(|| {
            image::imageops::resize(
                &frame.image,
                u32_of(round_u(w as f32 * scale)).max(1),
                u32_of(round_u(h as f32 * scale)).max(1),
                image::imageops::FilterType::Triangle,
            )
        });
        let preview_report = match (&preview, min_face_px > 0.0) {
            (Some(p), true) => gate.assess_with_min_face(p, min_face_px * scale).report,
            (Some(p), false) => gate.assess(p).report,
            (None, true) => gate.assess_with_min_face(&frame.image, min_face_px).report,
            (None, false) => gate.assess(&frame.image).report,
        };
        let blocking = preview_report
            .problems()
            .into_iter()
            .find(|c| c.verdict == Verdict::Fail && !resolution_bound(c.id))
            .map(|c| c.message.clone());
        let problem = match (blocking, &preview) {
            (Some(m), _) => Some(m),
            // The preview was the frame itself: its report is the full-resolution one.
            (None, None) => (preview_report.verdict == Verdict::Fail)
                .then(|| preview_report.problems().first().map(|c| c.message.clone()))
                .flatten(),
            (None, Some(_)) => {
                let full = gate.assess(&frame.image).report;
                (full.verdict == Verdict::Fail)
                    .then(|| full.problems().first().map(|c| c.message.clone()))
                    .flatten()
            }
        };
        if let Some(message) = problem {
            streak = 0;
            if message != last {
                on_frame(&FrameOutcome::Guidance {
                    frame: frame.sequence,
                    message: message.clone(),
                });
                last = message;
            }
            continue;
        }
        streak += 1;
        on_frame(&FrameOutcome::Good {
            frame: frame.sequence,
            streak,
            needed: rules.stable_frames,
        });
        if streak >= rules.stable_frames {
            let portrait = gate.prepare(&frame.image, request)?;
            return Ok(LiveCapture { portrait, frames });
        }
    }
}
