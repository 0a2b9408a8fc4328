//! The `photo` step: the portrait for DG2 (ICAO Doc 9303-10 §4.7.2; ISO/IEC 19794-5 full or
//! token frontal image), by live capture.
//!
//! Live capture: frames from a camera are assessed on a downscaled preview (guidance for the
//! operator), confirmed at full resolution, and the still is taken once every check passes on
//! the quality profile's number of consecutive frames — or the capture gives up at the timeout,
//! having captured nothing. Each frame, with its assessment, is offered to a live view
//! ([`LiveView::preview`], the enrolment's [`Observer::preview`](super::Observer::preview)),
//! never to the journal. Used by `capture photo` and by the enrollment, which keeps the
//! prepared JPEG in the journal (encrypted) and records the figures of the portrait
//! ([`PhotoRecord`]) that the DG2 record needs.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{EnrolError, Event, PortraitReview, Run, StepError, StepOutput};
use crate::applicant::{Applicant, Portrait};
use crate::step::Step;
use image::RgbImage;
use permitkit_devices::camera::Camera;
use permitkit_model::profiles::station::SlotKind;
use permitkit_quality::{
    Accepted, Verdict,
    face::{
        Advice, Assessment, Check, CheckId, FaceAssessor, FaceReport, PortraitRequest,
        PreparedPortrait,
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
        /// The first problem, as an instruction in English (the advice's text).
        message: String,
        /// The first problem, as data, for a screen in another language.
        advice: Advice,
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

/// One frame of a live capture as it was assessed, for a live view: the image assessed (the
/// downscaled preview, or the frame itself when it is no wider than the preview), its
/// assessment (face boxes, eyes, the crop, in that image's pixels) and what the capture made of
/// it. A biometric sample: `Debug` shows its size only.
pub struct PreviewFrame<'a> {
    /// Frame number.
    pub frame: u64,
    /// The image assessed.
    pub image: &'a RgbImage,
    /// Its assessment.
    pub assessment: &'a Assessment,
    /// The first problem to fix, as an instruction; `None` for a good frame.
    pub problem: Option<&'a str>,
    /// Consecutive good frames, this one included (0 when it has a problem).
    pub streak: u32,
    /// Good frames needed for the capture.
    pub needed: u32,
}

impl std::fmt::Debug for PreviewFrame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewFrame")
            .field("frame", &self.frame)
            .field("image", &self.image.dimensions())
            .field("problem", &self.problem)
            .field("streak", &self.streak)
            .field("needed", &self.needed)
            .finish_non_exhaustive()
    }
}

/// What watches a live capture: every frame's outcome, and optionally the frames themselves.
/// A closure taking a [`FrameOutcome`] is one that ignores the frames.
pub trait LiveView {
    /// Called with each frame's outcome when there is something new to say: the guidance
    /// when it changes (or comes back after good frames), every good frame.
    fn outcome(&mut self, outcome: &FrameOutcome);

    /// Called for every frame assessed, before its outcome. The default ignores it.
    fn preview(&mut self, _frame: &PreviewFrame<'_>) {}
}

impl<F: FnMut(&FrameOutcome)> LiveView for F {
    fn outcome(&mut self, outcome: &FrameOutcome) {
        self(outcome);
    }
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
    /// The operator neither kept nor discarded the portrait taken.
    #[error("the portrait taken was not reviewed: {reason}; nothing was kept")]
    NotReviewed {
        /// Why.
        reason: String,
    },
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
    run.observer.portrait(&jpeg);
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
    // Frames of the portraits the operator discarded.
    let mut discarded = 0u64;
    let capture = loop {
        let capture = live_capture(
            camera.as_mut(),
            &mut gate,
            &request,
            slot.timeout,
            slot.min_face_px(),
            &mut StepView(&mut **observer),
        )
        .map_err(StepError::LiveCapture)?;
        match observer.review_portrait(&capture.portrait.sample().jpeg) {
            PortraitReview::Keep => break capture,
            PortraitReview::Retake => discarded += capture.frames,
            PortraitReview::Undecided { reason } => {
                return Err(StepError::LiveCapture(LiveCaptureError::NotReviewed {
                    reason,
                }));
            }
        }
    };
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
        frames: discarded + capture.frames,
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

/// The enrolment's observer as the live capture's view: outcomes become events, frames go to
/// its preview.
struct StepView<'a>(&'a mut dyn super::Observer);

impl LiveView for StepView<'_> {
    fn outcome(&mut self, o: &FrameOutcome) {
        self.0.event(&match o {
            FrameOutcome::Guidance {
                frame,
                message,
                advice,
            } => Event::Guidance {
                frame: *frame,
                message: message.clone(),
                advice: advice.clone(),
            },
            FrameOutcome::Good {
                frame,
                streak,
                needed,
            } => Event::FrameGood {
                frame: *frame,
                streak: *streak,
                needed: *needed,
            },
        });
    }

    fn preview(&mut self, frame: &PreviewFrame<'_>) {
        self.0.preview(frame);
    }
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
/// camera profile. `view` sees every frame's outcome (a closure taking a [`FrameOutcome`]
/// will do) and, if it wants them, the frames.
pub fn live_capture(
    camera: &mut dyn Camera,
    gate: &mut FaceAssessor,
    request: &PortraitRequest,
    timeout: Duration,
    min_face_px: f32,
    view: &mut dyn LiveView,
) -> Result<LiveCapture, LiveCaptureError> {
    let rules = gate.profile().capture.clone();
    let start = Instant::now();
    let mut streak = 0u32;
    let mut frames = 0u64;
    let mut last = String::from("none seen");
    // The guidance last said since the last good frame: said again only when it changes.
    let mut said: Option<String> = None;
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
        let shown = preview.as_ref().unwrap_or(&frame.image);
        let assessment = match (&preview, min_face_px > 0.0) {
            (Some(p), true) => gate.assess_with_min_face(p, min_face_px * scale),
            (Some(p), false) => gate.assess(p),
            (None, true) => gate.assess_with_min_face(&frame.image, min_face_px),
            (None, false) => gate.assess(&frame.image),
        };
        let preview_report = &assessment.report;
        let blocking = preview_report
            .problems()
            .into_iter()
            .find(|c| c.verdict == Verdict::Fail && !resolution_bound(c.id))
            .cloned();
        let problem = match (blocking, &preview) {
            (Some(c), _) => Some(c),
            // The preview was the frame itself: its report is the full-resolution one.
            (None, None) => (preview_report.verdict == Verdict::Fail)
                .then(|| preview_report.problems().first().copied().cloned())
                .flatten(),
            (None, Some(_)) => {
                let full = gate.assess(&frame.image).report;
                (full.verdict == Verdict::Fail)
                    .then(|| full.problems().first().copied().cloned())
                    .flatten()
            }
        };
        view.preview(&PreviewFrame {
            frame: frame.sequence,
            image: shown,
            assessment: &assessment,
            problem: problem.as_ref().map(|c| c.message.as_str()),
            streak: if problem.is_some() { 0 } else { streak + 1 },
            needed: rules.stable_frames,
        });
        if let Some(Check {
            message, advice, ..
        }) = problem
        {
            streak = 0;
            if said.as_ref() != Some(&message) {
                view.outcome(&FrameOutcome::Guidance {
                    frame: frame.sequence,
                    message: message.clone(),
                    advice,
                });
                said = Some(message.clone());
            }
            last = message;
            continue;
        }
        said = None;
        streak += 1;
        view.outcome(&FrameOutcome::Good {
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "test code: an unexpected value fails the test loudly"
    )]

    use super::*;
    use permitkit_devices::camera::Frame;
    use permitkit_devices::camera_sim::SimCamera;
    use permitkit_devices::{CaptureError, DeviceInfo};
    use permitkit_model::profiles::quality::QualityProfile;

    /// A camera that plays the given frames in order.
    struct Script {
        info: DeviceInfo,
        frames: std::collections::VecDeque<RgbImage>,
        sequence: u64,
    }

    impl Camera for Script {
        fn info(&self) -> &DeviceInfo {
            &self.info
        }

        fn capture(&mut self) -> Result<Frame, CaptureError> {
            let image = self.frames.pop_front().ok_or(CaptureError::NotFound {
                selector: "script".into(),
            })?;
            self.sequence += 1;
            Ok(Frame {
                image,
                sequence: self.sequence,
            })
        }
    }

    /// One frame as a live view saw it: its size, problem, streak, and whether the subject
    /// was found.
    type FrameSeen = ((u32, u32), Option<String>, u32, bool);

    /// What a live view saw: every frame and every outcome.
    #[derive(Default)]
    struct Seen {
        previews: Vec<FrameSeen>,
        outcomes: Vec<FrameOutcome>,
    }

    impl LiveView for Seen {
        fn outcome(&mut self, o: &FrameOutcome) {
            self.outcomes.push(o.clone());
        }

        fn preview(&mut self, f: &PreviewFrame<'_>) {
            self.previews.push((
                f.image.dimensions(),
                f.problem.map(str::to_owned),
                f.streak,
                f.assessment.subject.is_some(),
            ));
        }
    }

    fn sim(selector: &str, scenario: &str, nth: usize) -> RgbImage {
        let mut cam = SimCamera::open(selector, scenario).unwrap();
        (0..=nth)
            .map(|_| cam.capture().unwrap().image)
            .last()
            .unwrap()
    }

    #[test]
    fn every_frame_reaches_the_live_view_and_guidance_comes_back_after_good_frames() {
        let (good, dark) = (sim("sim", "", 2), sim("sim:bad", "bad", 0));
        let mut frames: Vec<RgbImage> = vec![dark.clone(), good.clone(), good.clone(), dark];
        frames.extend(std::iter::repeat_n(good, 5));
        let n = frames.len();
        let mut camera = Script {
            info: DeviceInfo {
                selector: "script".into(),
                name: "script".into(),
                backend: "test".into(),
                usb_id: None,
                serial: None,
            },
            frames: frames.into(),
            sequence: 0,
        };
        let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
        let mut seen = Seen::default();
        let capture = live_capture(
            &mut camera,
            &mut gate,
            &PortraitRequest::default(),
            Duration::from_secs(600),
            0.0,
            &mut seen,
        )
        .unwrap();
        assert_eq!(capture.frames, n as u64);
        // Every frame, as the downscaled preview (1280×960 to the profile's 640), with the
        // subject found for the overlay.
        assert_eq!(seen.previews.len(), n);
        assert!(seen.previews.iter().all(|p| p.0 == (640, 480) && p.3));
        let streaks: Vec<u32> = seen.previews.iter().map(|p| p.2).collect();
        assert_eq!(streaks, [0, 1, 2, 0, 1, 2, 3, 4, 5]);
        assert!(seen.previews[0].1.as_deref().unwrap().contains("add light"));
        assert_eq!(seen.previews[0].1, seen.previews[3].1, "the same problem");
        // The same problem is said again once good frames came between.
        let guidance: Vec<&str> = seen
            .outcomes
            .iter()
            .filter_map(|o| match o {
                FrameOutcome::Guidance {
                    message, advice, ..
                } => {
                    assert_eq!(*message, advice.to_string(), "the message is the advice's");
                    Some(message.as_str())
                }
                FrameOutcome::Good { .. } => None,
            })
            .collect();
        assert_eq!(guidance.len(), 2, "{guidance:?}");
        assert_eq!(guidance[0], guidance[1]);
        let good = seen
            .outcomes
            .iter()
            .filter(|o| matches!(o, FrameOutcome::Good { .. }))
            .count();
        assert_eq!(good, 7);
    }
}
