//! Live portrait capture: frames from a camera are assessed on a downscaled preview (guidance
//! for the operator), confirmed at full resolution, and the still is taken once every check
//! passes on the quality profile's number of consecutive frames — or the capture gives up at
//! the timeout, having captured nothing. Used by `capture photo` and by the enrollment.

use std::time::{Duration, Instant};

use permitkit_devices::camera::Camera;
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
