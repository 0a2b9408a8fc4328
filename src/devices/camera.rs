//! Cameras (ARCHITECTURE.md §4): the [`Camera`] trait, the [`Frame`] it yields, and the selector
//! strings that open one: `sim[:scenario]` (the simulated camera), `still:<file or folder>` (the
//! replay camera, always built) and
//! `v4l:<id>` (a webcam through nokhwa, feature `camera`), where `<id>` is a stable
//! `/dev/v4l/by-id/…` name (or path), a `/dev/videoN` path, or a bare index.

use std::path::PathBuf;
use std::str::FromStr;

use image::RgbImage;

use super::{CaptureError, DeviceInfo};
use crate::profiles::camera::CameraProfile;

/// A camera: yields frames one at a time.
pub trait Camera: Send {
    /// What the device is.
    fn info(&self) -> &DeviceInfo;
    /// The next frame (blocking until one arrives).
    fn capture(&mut self) -> Result<Frame, CaptureError>;
}

/// One captured frame, decoded to 8-bit RGB. Its pixels are a biometric sample: `Debug`
/// prints only the size.
#[derive(Clone)]
pub struct Frame {
    /// The picture.
    pub image: RgbImage,
    /// Frame counter since the camera was opened, from 0.
    pub sequence: u64,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("sequence", &self.sequence)
            .finish()
    }
}

/// A parsed camera selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSelector {
    /// `sim` or `sim:<scenario>`: the simulated camera.
    Sim(String),
    /// `still:<path>`: replay an image file or every image in a folder.
    Still(PathBuf),
    /// `v4l:<id>`: a V4L2 webcam by stable id, device path or index.
    V4l(String),
}

impl FromStr for CameraSelector {
    type Err = CaptureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| CaptureError::BadSelector {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s == "sim" {
            return Ok(CameraSelector::Sim(String::new()));
        }
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| bad("expected sim, still:<path> or v4l:<id>"))?;
        if rest.is_empty() {
            return Err(bad("nothing after the colon"));
        }
        match kind {
            "sim" => Ok(CameraSelector::Sim(rest.to_owned())),
            "still" => Ok(CameraSelector::Still(PathBuf::from(rest))),
            "v4l" => {
                if rest.chars().any(char::is_control) {
                    return Err(bad("control characters in the device id"));
                }
                Ok(CameraSelector::V4l(rest.to_owned()))
            }
            other => Err(bad(&format!(
                "unknown camera kind {other:?} (expected sim, still or v4l)"
            ))),
        }
    }
}

impl std::fmt::Display for CameraSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CameraSelector::Sim(s) if s.is_empty() => f.write_str("sim"),
            CameraSelector::Sim(s) => write!(f, "sim:{s}"),
            CameraSelector::Still(p) => write!(f, "still:{}", p.display()),
            CameraSelector::V4l(id) => write!(f, "v4l:{id}"),
        }
    }
}

/// Opens the camera a selector names. `profile` sets the mode and controls of a webcam; without
/// one, the built-in profile matching the webcam's USB id is used when there is one.
pub fn open(
    selector: &str,
    profile: Option<&CameraProfile>,
) -> Result<Box<dyn Camera>, CaptureError> {
    match selector.parse::<CameraSelector>()? {
        CameraSelector::Sim(scenario) => Ok(Box::new(super::camera_sim::SimCamera::open(
            selector, &scenario,
        )?)),
        CameraSelector::Still(path) => Ok(Box::new(super::still::StillCamera::open(
            &path,
            crate::quality::face::ImageLimits::default(),
        )?)),
        CameraSelector::V4l(id) => open_v4l(&id, profile),
    }
}

#[cfg(feature = "camera")]
fn open_v4l(id: &str, profile: Option<&CameraProfile>) -> Result<Box<dyn Camera>, CaptureError> {
    Ok(Box::new(super::camera_nokhwa::NokhwaCamera::open(
        id, profile,
    )?))
}

#[cfg(not(feature = "camera"))]
fn open_v4l(_id: &str, _profile: Option<&CameraProfile>) -> Result<Box<dyn Camera>, CaptureError> {
    Err(CaptureError::NotCompiled {
        backend: "V4L2 webcam",
        feature: "camera",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print_back() {
        for s in ["still:testdata/images", "v4l:0", "v4l:/dev/video2"] {
            assert_eq!(s.parse::<CameraSelector>().unwrap().to_string(), s);
        }
        assert_eq!(
            "v4l:usb-046d_HD_Pro_Webcam_C920_ABC-video-index0"
                .parse::<CameraSelector>()
                .unwrap(),
            CameraSelector::V4l("usb-046d_HD_Pro_Webcam_C920_ABC-video-index0".into())
        );
    }

    #[test]
    fn bad_selectors_say_why() {
        for s in ["", "still", "still:", "usb:1", "v4l:a\u{7}b"] {
            let e = s.parse::<CameraSelector>().unwrap_err();
            assert!(matches!(e, CaptureError::BadSelector { .. }), "{s}: {e}");
        }
    }
}
