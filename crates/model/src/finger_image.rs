//! One captured finger image and how it was taken: ISO/IEC 19794-4:2005 §7 (finger image
//! record: impression type, resolution, finger position). The scanners produce it, the quality
//! gate judges it, the finger record encodes it.

use std::fmt;

use image::GrayImage;

use crate::{device::DeviceInfo, finger_position::FingerPosition};

/// ISO/IEC 19794-4:2005 Table 5 impression types that scanners in this crate produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ImpressionType {
    /// 0: live-scan plain (flat) impression.
    LivePlain,
    /// 1: live-scan rolled impression.
    LiveRolled,
    /// 8: swipe (sensor assembles strips).
    Swipe,
}

impl ImpressionType {
    /// The ISO/IEC 19794-4 impression type code.
    pub const fn code(self) -> u8 {
        match self {
            ImpressionType::LivePlain => 0,
            ImpressionType::LiveRolled => 1,
            ImpressionType::Swipe => 8,
        }
    }
}

/// One captured finger image.
///
/// Biometric data: `Debug` prints the dimensions and metadata, never pixels.
#[derive(Clone)]
pub struct FingerImage {
    /// 8-bit grey pixels, dark ridges on a light background.
    pub image: GrayImage,
    /// Resolution in pixels per inch (both axes).
    pub ppi: u16,
    /// Which finger this is meant to be.
    pub position: FingerPosition,
    /// How it was captured.
    pub impression: ImpressionType,
    /// The device that captured it.
    pub device: DeviceInfo,
}

impl fmt::Debug for FingerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FingerImage")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("ppi", &self.ppi)
            .field("position", &self.position)
            .field("impression", &self.impression)
            .field("device", &self.device.selector)
            .finish_non_exhaustive()
    }
}

/// Resolution every scanner backend delivers (ISO/IEC 19794-4 Annex A: 500 ppi class).
pub const SCANNER_PPI: u16 = 500;
