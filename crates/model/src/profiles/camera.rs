//! Camera profiles (ARCHITECTURE.md §5, kind `cameras`): how to recognise a webcam (USB vendor
//! and product id), which mode to open it in, how to hold exposure and white balance steady
//! for portraits, and the smallest face worth assessing at that resolution. Each value's source
//! is written next to it in the TOML file and summarised in `sources`.

use serde::{Deserialize, Serialize};

use super::{FieldProblem, Profile};

/// Pixel format of the capture mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelFormat {
    /// Motion JPEG: each frame a JPEG (the only full-HD mode at 30 fps over USB 2.0).
    Mjpeg,
    /// Packed YUV 4:2:2.
    Yuyv,
    /// Decoded images from files (replay camera).
    Still,
}

/// The capture mode to request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format.
    pub format: PixelFormat,
    /// Frames per second.
    pub fps: u32,
}

/// Exposure and white-balance hints applied when the device allows them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Controls {
    /// Switch automatic exposure off once the picture is set up, so that a frame does not
    /// change brightness between preview and still.
    pub lock_exposure: bool,
    /// Manual exposure time in the V4L2 unit (100 µs), if locking.
    pub exposure_time_100us: Option<i64>,
    /// Switch automatic white balance off.
    pub lock_white_balance: bool,
    /// White-balance temperature in kelvin, if locking.
    pub white_balance_kelvin: Option<i64>,
}

/// A camera profile.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CameraProfile {
    /// Profile id, equal to the file stem.
    pub id: String,
    /// Product name.
    pub name: String,
    /// USB vendor id (absent for the replay camera).
    pub usb_vendor: Option<u16>,
    /// USB product id.
    pub usb_product: Option<u16>,
    /// Preferred capture mode.
    pub mode: Mode,
    /// Exposure and white-balance hints.
    pub controls: Controls,
    /// Smallest face (detector box width, pixels at the capture resolution) worth assessing.
    pub min_face_px: u32,
    /// Where the values come from.
    pub sources: Vec<String>,
}

impl CameraProfile {
    /// A built-in profile by id.
    pub fn builtin(id: &str) -> Result<Self, super::ProfileError> {
        super::builtin::load(id)
    }

    /// The built-in profile for a USB device, if there is one.
    pub fn for_usb(vendor: u16, product: u16) -> Option<Self> {
        super::builtin::all::<CameraProfile>()
            .into_iter()
            .find(|p| p.usb_vendor == Some(vendor) && p.usb_product == Some(product))
    }
}

impl Profile for CameraProfile {
    const KIND: &'static str = "cameras";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if self.usb_vendor.is_some() != self.usb_product.is_some() {
            out.push(FieldProblem::new(
                "usb_product",
                "usb_vendor and usb_product go together",
            ));
        }
        let m = &self.mode;
        if !(160..=7680).contains(&m.width) || !(120..=4320).contains(&m.height) {
            out.push(FieldProblem::new(
                "mode.width",
                "mode must be between 160×120 and 7680×4320",
            ));
        }
        if !(1..=120).contains(&m.fps) {
            out.push(FieldProblem::new("mode.fps", "must be between 1 and 120"));
        }
        let c = &self.controls;
        if c.exposure_time_100us
            .is_some_and(|e| !(1..=10_000).contains(&e))
        {
            out.push(FieldProblem::new(
                "controls.exposure_time_100us",
                "must be between 1 and 10000 (0.1 ms to 1 s)",
            ));
        }
        if c.white_balance_kelvin
            .is_some_and(|k| !(2000..=10_000).contains(&k))
        {
            out.push(FieldProblem::new(
                "controls.white_balance_kelvin",
                "must be between 2000 and 10000 K",
            ));
        }
        if self.min_face_px < 20 || self.min_face_px > m.height {
            out.push(FieldProblem::new(
                "min_face_px",
                "must be at least 20 and at most the frame height",
            ));
        }
        if self.sources.iter().all(|s| s.trim().is_empty()) {
            out.push(FieldProblem::new(
                "sources",
                "name where the values come from",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usb_lookup_finds_the_c920() {
        let p = CameraProfile::for_usb(0x046d, 0x082d).unwrap();
        assert_eq!(p.id, "logitech-c920");
        assert_eq!((p.mode.width, p.mode.height), (1920, 1080));
        assert!(CameraProfile::for_usb(0xffff, 0xffff).is_none());
    }

    #[test]
    fn half_usb_ids_are_rejected() {
        let text = include_str!("../../../../hardware-profiles/cameras/logitech-c920.toml")
            .replace("usb_product = 0x082d\n", "");
        let e = super::super::parse::<CameraProfile>("logitech-c920.toml", &text).unwrap_err();
        assert_eq!(e.field, "usb_product");
    }
}
