//! Cameras (ARCHITECTURE.md §4): the [`Camera`] trait, the [`Frame`] it yields, and the selector
//! strings that open one: `sim[:scenario]` (the simulated camera), `still:<file or folder>` (the
//! replay camera, always built) and
//! `v4l:<id>` (a webcam through nokhwa, feature `camera`), where `<id>` is a stable
//! `/dev/v4l/by-id/…` name (or path), a `/dev/videoN` path, or a bare index.

use image::RgbImage;

use super::{CaptureError, DeviceInfo};
use permitkit_model::profiles::camera::CameraProfile;
pub use permitkit_model::selector::CameraSelector;

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
            permitkit_quality::face::ImageLimits::default(),
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
            assert_eq!(e.selector, s, "{s}: {e}");
            assert!(!e.reason.is_empty());
        }
    }
}
