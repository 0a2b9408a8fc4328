//! Signature pads (ARCHITECTURE.md §4): the [`SignaturePad`] trait, the [`SignatureCapture`]
//! every backend delivers, and the selectors that open one.
//!
//! A capture holds the pen strokes as time series of the channels ISO/IEC 19794-7 names for
//! on-line signatures (X and Y position, pen pressure F, time T), an image (a scanned paper
//! signature), or both. Either way it renders to an 8-bit grey image with dark ink on white,
//! which [`permitkit_biometrics::signature::prepare`] turns into the displayed signature of DG7
//! (ICAO Doc 9303-10 §4.7.7). DG7 stores only that image; the strokes never leave the station.
//!
//! Selectors: `sim` (simulator, seed 0), `sim:<seed>`, `image:<file>` (a scanned PNG or JPEG),
//! `evdev:<path or name>` (a Linux input device: a `/dev/input/…` path, or a device name such
//! as `Wacom One by Wacom S Pen`; feature `evdev`).

use std::{fmt, time::Duration};

use image::GrayImage;

use super::{CaptureError, DeviceInfo, signature_ink};
pub use permitkit_model::profiles::signature_pad::{DEFAULT_IDLE_END, DEFAULT_TIMEOUT, EndRule};
pub use permitkit_model::selector::PadSelector;

/// A signature pad: one signature per capture.
pub trait SignaturePad: Send {
    /// Which device this is.
    fn info(&self) -> &DeviceInfo;

    /// Captures one signature, waiting at most `timeout` for the pen to touch the pad. Once
    /// the applicant has started, the backend's end rule (an idle time after the last stroke,
    /// or a button) decides when the signature is complete.
    fn capture(&mut self, timeout: Duration) -> Result<SignatureCapture, CaptureError>;
}

/// At most this many strokes are kept from one capture (a signature has a handful; a device
/// that sends endless pen-up/pen-down flicker is cut off here).
pub const MAX_STROKES: usize = 1000;
/// At most this many points are kept from one capture (about 8 minutes at 200 Hz).
pub const MAX_POINTS: usize = 100_000;

/// One sample of the pen on the pad (ISO/IEC 19794-7 channels X, Y, F and T).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PenPoint {
    /// Horizontal position from the left edge of the active area, in pad units.
    pub x: f32,
    /// Vertical position from the top edge of the active area (downwards), in pad units.
    pub y: f32,
    /// Pen pressure, 0 (touching lightly) to 1 (the device's maximum).
    pub pressure: f32,
    /// Milliseconds since the first event of the capture.
    pub t_ms: u32,
}

/// The points from one pen-down to the next pen-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stroke {
    /// Samples in time order.
    pub points: Vec<PenPoint>,
}

impl Stroke {
    /// Length of the pen path in pad units.
    pub fn length(&self) -> f32 {
        self.points
            .windows(2)
            .map(|w| match w {
                [a, b] => (b.x - a.x).hypot(b.y - a.y),
                _ => 0.0,
            })
            .sum()
    }
}

/// The writing surface the points refer to. Pad units are square (one unit is the same length
/// on both axes); `units_per_mm` says how long a unit is, when the device reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PadArea {
    /// Width of the active area in pad units.
    pub width: f32,
    /// Height of the active area in pad units.
    pub height: f32,
    /// Pad units per millimetre, when known.
    pub units_per_mm: Option<f32>,
}

impl PadArea {
    /// Whether the area has a usable, finite, positive size.
    pub fn is_valid(&self) -> bool {
        self.width.is_finite()
            && self.height.is_finite()
            && self.width > 0.0
            && self.height > 0.0
            && self.units_per_mm.is_none_or(|u| u.is_finite() && u > 0.0)
    }
}

/// One captured signature.
///
/// Biometric data: `Debug` prints counts and sizes, never coordinates or pixels.
#[derive(Clone)]
pub struct SignatureCapture {
    /// Pen strokes, in the order they were written (empty for a scanned image).
    pub strokes: Vec<Stroke>,
    /// The surface the strokes were written on (`None` when there are no strokes).
    pub area: Option<PadArea>,
    /// A scanned or device-rendered image, dark ink on a light background.
    pub image: Option<GrayImage>,
    /// The device that captured it.
    pub device: DeviceInfo,
}

impl fmt::Debug for SignatureCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureCapture")
            .field("strokes", &self.strokes.len())
            .field("points", &self.point_count())
            .field("image", &self.image.as_ref().map(GrayImage::dimensions))
            .field("device", &self.device.selector)
            .finish()
    }
}

impl SignatureCapture {
    /// Total number of pen samples.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(|s| s.points.len()).sum()
    }

    /// The signature as an 8-bit grey image (ink dark, paper white): the image when there is
    /// one, otherwise the strokes rendered with [`signature_ink::RenderOptions::default`].
    pub fn to_image(&self) -> GrayImage {
        self.to_image_with(&signature_ink::RenderOptions::default())
    }

    /// As [`Self::to_image`], rendering strokes with `options`.
    pub fn to_image_with(&self, options: &signature_ink::RenderOptions) -> GrayImage {
        if let Some(image) = &self.image {
            return image.clone();
        }
        match self.area {
            Some(area) => signature_ink::render(&self.strokes, area, options),
            None => signature_ink::render(
                &[],
                PadArea {
                    width: 1.0,
                    height: 1.0,
                    units_per_mm: None,
                },
                options,
            ),
        }
    }
}

/// Opens the signature pad named by `selector`.
pub fn open(selector: &str, end: EndRule) -> Result<Box<dyn SignaturePad>, CaptureError> {
    match selector.parse::<PadSelector>()? {
        PadSelector::Sim { seed } => Ok(Box::new(super::signature_sim::SimPad::new(seed))),
        PadSelector::Image(path) => Ok(Box::new(super::signature_image::ImagePad::open(
            &path,
            super::signature_image::SIGNATURE_IMAGE_LIMITS,
        )?)),
        PadSelector::Evdev(device) => open_evdev(&device, end),
    }
}

#[cfg(all(feature = "evdev", target_os = "linux"))]
fn open_evdev(device: &str, end: EndRule) -> Result<Box<dyn SignaturePad>, CaptureError> {
    Ok(Box::new(super::signature_evdev::EvdevPad::open(
        device, end,
    )?))
}

#[cfg(not(all(feature = "evdev", target_os = "linux")))]
fn open_evdev(_device: &str, _end: EndRule) -> Result<Box<dyn SignaturePad>, CaptureError> {
    Err(CaptureError::NotCompiled {
        backend: "Linux evdev signature pad",
        feature: "evdev",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print() {
        assert_eq!(
            "sim".parse::<PadSelector>().unwrap(),
            PadSelector::Sim { seed: 0 }
        );
        for s in [
            "sim:42",
            "image:scan.png",
            "evdev:/dev/input/event5",
            "evdev:Wacom One by Wacom S Pen",
        ] {
            assert_eq!(s.parse::<PadSelector>().unwrap().to_string(), s);
        }
        for bad in [
            "",
            "sim:x",
            "sim:-1",
            "image",
            "image:",
            "evdev",
            "evdev: ",
            "evdev:a\nb",
            "v4l:0",
        ] {
            let e = bad.parse::<PadSelector>().unwrap_err();
            assert_eq!(e.selector, bad, "{bad}: {e}");
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn debug_prints_counts_not_coordinates() {
        let c = SignatureCapture {
            strokes: vec![Stroke {
                points: vec![PenPoint {
                    x: 12.345,
                    y: 67.891,
                    pressure: 0.5,
                    t_ms: 7,
                }],
            }],
            area: None,
            image: None,
            device: DeviceInfo::default(),
        };
        let s = format!("{c:?}");
        assert!(s.contains("strokes: 1") && s.contains("points: 1"), "{s}");
        assert!(!s.contains("12.3") && !s.contains("67.8"), "{s}");
    }

    #[test]
    fn stroke_length_sums_segments() {
        let p = |x, y| PenPoint {
            x,
            y,
            pressure: 0.5,
            t_ms: 0,
        };
        let s = Stroke {
            points: vec![p(0.0, 0.0), p(3.0, 4.0), p(3.0, 10.0)],
        };
        assert!((s.length() - 11.0).abs() < 1e-6);
    }
}
