//! The simulated camera (`sim`, `sim:<scenario>`): a front-office webcam session without a
//! webcam. Frames are 1280×960 RGB, composed from an embedded head-and-shoulders portrait
//! (testdata/sim/portrait-neutral.jpg: a neutral, mouth-closed public-domain portrait, see its
//! SOURCES) on a plain grey background, so the portrait quality gate sees what a real session
//! gives it:
//!
//! - `sim` (scenario `good`): the applicant first stands too far away and at the frame's left
//!   edge (no room for the ICAO crop), then steps into place; from the third frame on every
//!   frame is acceptable (a warning remains: the head is turned about 10°).
//! - `sim:bad`: the room light is off — every frame is badly under-exposed, so the gate keeps
//!   asking for light and a capture must time out.
//! - `sim:nobody`: an empty background.
//! - `sim:walk-in`: the applicant walks in from the frame's left edge over the first
//!   [`WALK_FRAMES`] frames (every frame a little further in, so a live view changes from frame
//!   to frame and the guidance with it), then stands where the `good` session ends.
//!
//! The scenario is deterministic; frames are produced at once (no sleeping), so tests measure
//! the assessment, not a frame rate.

use image::{Rgb, RgbImage, imageops};

use super::{CaptureError, DeviceInfo, camera::Camera, camera::Frame};
use permitkit_quality::face::{ImageLimits, decode};

const PORTRAIT: &[u8] = include_bytes!("../../../testdata/sim/portrait-neutral.jpg");
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 960;
const BACKGROUND: Rgb<u8> = Rgb([200, 200, 200]);
/// Frames the `walk-in` session takes to reach its place.
pub const WALK_FRAMES: u64 = 24;

/// What the simulated session shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Too far and off-centre for two frames, then well placed.
    Good,
    /// Under-exposed forever.
    Bad,
    /// Nobody in front of the camera.
    Nobody,
    /// Walks in from the left for [`WALK_FRAMES`] frames, then well placed.
    WalkIn,
}

/// The simulated camera.
#[derive(Debug)]
pub struct SimCamera {
    info: DeviceInfo,
    scenario: Scenario,
    head: RgbImage,
    sequence: u64,
}

impl SimCamera {
    /// Opens scenario `name` (`good`, `bad`, `nobody`, `walk-in`; empty means `good`).
    pub fn open(selector: &str, name: &str) -> Result<Self, CaptureError> {
        let scenario = match name {
            "" | "good" => Scenario::Good,
            "bad" => Scenario::Bad,
            "nobody" => Scenario::Nobody,
            "walk-in" => Scenario::WalkIn,
            other => {
                return Err(CaptureError::BadSelector {
                    selector: selector.to_owned(),
                    reason: format!("unknown scenario {other:?} (good, bad, nobody, walk-in)"),
                });
            }
        };
        let head = decode(PORTRAIT, ImageLimits::default()).map_err(|e| CaptureError::Image {
            device: selector.to_owned(),
            source: e.into(),
        })?;
        Ok(Self {
            info: DeviceInfo {
                selector: selector.to_owned(),
                name: format!("simulated camera ({scenario:?} session)"),
                backend: "simulator".into(),
                usb_id: None,
                serial: None,
            },
            scenario,
            head,
            sequence: 0,
        })
    }

    fn compose(&self, scale: u32, x: i64, y: i64, gain: f32) -> RgbImage {
        let mut frame = RgbImage::from_pixel(WIDTH, HEIGHT, BACKGROUND);
        let (w, h) = self.head.dimensions();
        let head = imageops::resize(
            &self.head,
            w * scale,
            h * scale,
            imageops::FilterType::Triangle,
        );
        imageops::overlay(&mut frame, &head, x, y);
        if gain != 1.0 {
            for p in frame.pixels_mut() {
                for c in &mut p.0 {
                    *c = permitkit_quality::face::raster::to_u8(f32::from(*c) * gain);
                }
            }
        }
        frame
    }
}

impl Camera for SimCamera {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self) -> Result<Frame, CaptureError> {
        let n = self.sequence;
        self.sequence += 1;
        let image = match (self.scenario, n) {
            (Scenario::Nobody, _) => RgbImage::from_pixel(WIDTH, HEIGHT, BACKGROUND),
            // Too far away and at the left edge: small face, no room for the crop on the left.
            (Scenario::Good, 0 | 1) => self.compose(2, -70, 280, 1.0),
            (Scenario::Bad, _) => self.compose(3, 340, 120, 0.3),
            // From half out of the frame on the left to the place of the `good` session.
            (Scenario::WalkIn, n) if n < WALK_FRAMES => {
                let from = -300i64;
                let step = (340 - from) / i64::try_from(WALK_FRAMES).unwrap_or(1);
                let x = from + step * i64::try_from(n).unwrap_or(0);
                self.compose(3, x, 120, 1.0)
            }
            (Scenario::Good | Scenario::WalkIn, _) => self.compose(3, 340, 120, 1.0),
        };
        Ok(Frame { image, sequence: n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_model::profiles::quality::QualityProfile;
    use permitkit_quality::{
        Verdict,
        face::{CheckId, FaceAssessor},
    };

    fn verdicts(selector: &str, scenario: &str, frames: usize) -> Vec<(Verdict, Vec<CheckId>)> {
        let mut cam = SimCamera::open(selector, scenario).unwrap();
        let mut gate = FaceAssessor::new(QualityProfile::builtin_default().unwrap()).unwrap();
        (0..frames)
            .map(|_| {
                let report = gate.assess(&cam.capture().unwrap().image).report;
                let failed = report
                    .checks
                    .iter()
                    .filter(|c| c.verdict == Verdict::Fail)
                    .map(|c| c.id)
                    .collect();
                (report.verdict, failed)
            })
            .collect()
    }

    #[test]
    fn the_good_session_steps_into_place() {
        let v = verdicts("sim", "", 4);
        assert_eq!(v[0].0, Verdict::Fail, "too far and off-centre first");
        assert!(v[0].1.contains(&CheckId::Centring), "{:?}", v[0].1);
        assert!(
            v[2].0 != Verdict::Fail && v[3].0 != Verdict::Fail,
            "{:?}",
            &v[2..]
        );
    }

    #[test]
    fn the_bad_session_is_always_too_dark_and_nobody_is_no_face() {
        for (verdict, failed) in verdicts("sim:bad", "bad", 3) {
            assert_eq!(verdict, Verdict::Fail);
            assert!(failed.contains(&CheckId::Exposure), "{failed:?}");
        }
        let v = verdicts("sim:nobody", "nobody", 1);
        assert_eq!(v[0].1, vec![CheckId::SingleFace]);
        assert!(SimCamera::open("sim:xyz", "xyz").is_err());
    }

    #[test]
    fn the_walk_in_session_moves_every_frame_then_stands_in_place() {
        let mut cam = SimCamera::open("sim:walk-in", "walk-in").unwrap();
        let frames: Vec<RgbImage> = (0..WALK_FRAMES + 2)
            .map(|_| cam.capture().unwrap().image)
            .collect();
        for pair in frames
            .windows(2)
            .take(usize::try_from(WALK_FRAMES).unwrap())
        {
            assert_ne!(pair[0], pair[1], "the applicant moves");
        }
        let n = frames.len();
        assert_eq!(frames[n - 1], frames[n - 2], "then stands still");
        let mut good = SimCamera::open("sim", "").unwrap();
        let placed = (0..3)
            .map(|_| good.capture().unwrap().image)
            .last()
            .unwrap();
        assert_eq!(frames[n - 1], placed, "where the good session stands");
        let v = verdicts("sim:walk-in", "walk-in", 1);
        assert_eq!(v[0].0, Verdict::Fail, "half out of the frame first");
    }
}
