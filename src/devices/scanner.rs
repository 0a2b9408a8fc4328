//! Fingerprint scanners (ARCHITECTURE.md §4): the [`FingerprintScanner`] trait, the
//! [`FingerImage`] every backend delivers, and device selectors.
//!
//! A capture is an 8-bit grey plain impression at 500 ppi (ISO/IEC 19794-4:2005 §7.1: image
//! acquisition at 500 ppi, 8-bit pixel depth; impression type "live-scan plain", code 0).
//! Selectors: `sim` (simulator, seed 0), `sim:<seed>`, `libfprint:<n>` (the n-th device
//! libfprint lists, from 0; feature `libfprint`).

use std::{fmt, str::FromStr, time::Duration};

use image::GrayImage;

use super::{CaptureError, DeviceInfo};
use crate::biometrics::FingerPosition;

/// A fingerprint scanner: one finger per capture.
pub trait FingerprintScanner: Send {
    /// Which device this is.
    fn info(&self) -> &DeviceInfo;

    /// Captures one impression of `finger`, waiting at most the scanner's configured timeout
    /// for the finger to be placed.
    fn capture(&mut self, finger: FingerPosition) -> Result<FingerImage, CaptureError>;
}

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

/// Resolution every backend in this crate delivers.
pub const SCANNER_PPI: u16 = 500;

/// Default time to wait for a finger before a capture gives up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A parsed scanner selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannerSelector {
    /// The simulator with a seed (`sim` is seed 0).
    Sim {
        /// Seed of the simulated person's fingers.
        seed: u64,
    },
    /// A simulated scanner that is unplugged: every capture fails with a device error
    /// (`sim:unplugged`, for fault drills).
    SimUnplugged,
    /// The n-th device libfprint enumerates.
    Libfprint {
        /// Index in libfprint's device list, from 0.
        index: usize,
    },
}

impl FromStr for ScannerSelector {
    type Err = CaptureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| CaptureError::BadSelector {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        match (kind, arg) {
            ("sim", None) => Ok(ScannerSelector::Sim { seed: 0 }),
            ("sim", Some("unplugged")) => Ok(ScannerSelector::SimUnplugged),
            ("sim", Some(a)) => a
                .parse()
                .map(|seed| ScannerSelector::Sim { seed })
                .map_err(|_| bad("expected sim:<seed> (an unsigned integer) or sim:unplugged")),
            ("libfprint", Some(a)) => a
                .parse()
                .map(|index| ScannerSelector::Libfprint { index })
                .map_err(|_| bad("libfprint devices are chosen by index (libfprint:0)")),
            ("libfprint", None) => Err(bad("give a device index, e.g. libfprint:0")),
            _ => Err(bad("expected sim, sim:<seed> or libfprint:<n>")),
        }
    }
}

impl fmt::Display for ScannerSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScannerSelector::Sim { seed } => write!(f, "sim:{seed}"),
            ScannerSelector::SimUnplugged => f.write_str("sim:unplugged"),
            ScannerSelector::Libfprint { index } => write!(f, "libfprint:{index}"),
        }
    }
}

/// Opens the scanner named by `selector`, waiting at most `timeout` per capture.
pub fn open(
    selector: &str,
    timeout: Duration,
) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
    match selector.parse()? {
        ScannerSelector::Sim { seed } => Ok(Box::new(
            super::scanner_sim::SimScanner::new(seed).with_timeout(timeout),
        )),
        ScannerSelector::SimUnplugged => {
            let mut sim = super::scanner_sim::SimScanner::new(0).with_timeout(timeout);
            sim.push(super::scanner_sim::SimEvent::Disconnect);
            Ok(Box::new(sim))
        }
        #[cfg(feature = "libfprint")]
        ScannerSelector::Libfprint { index } => Ok(Box::new(
            super::scanner_libfprint::LibfprintScanner::open(index, timeout)?,
        )),
        #[cfg(not(feature = "libfprint"))]
        ScannerSelector::Libfprint { .. } => Err(CaptureError::NotCompiled {
            backend: "libfprint",
            feature: "libfprint",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print() {
        assert_eq!(
            "sim".parse::<ScannerSelector>().unwrap(),
            ScannerSelector::Sim { seed: 0 }
        );
        assert_eq!(
            "sim:42".parse::<ScannerSelector>().unwrap(),
            ScannerSelector::Sim { seed: 42 }
        );
        assert_eq!(
            "libfprint:1".parse::<ScannerSelector>().unwrap(),
            ScannerSelector::Libfprint { index: 1 }
        );
        assert_eq!(ScannerSelector::Sim { seed: 7 }.to_string(), "sim:7");
        assert_eq!(
            "sim:unplugged".parse::<ScannerSelector>().unwrap(),
            ScannerSelector::SimUnplugged
        );
        for bad in ["sim:x", "libfprint", "libfprint:-1", "v4l:0", "", "sim:1:2"] {
            let e = bad.parse::<ScannerSelector>().unwrap_err();
            assert!(matches!(e, CaptureError::BadSelector { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn debug_never_prints_pixels() {
        let img = FingerImage {
            image: GrayImage::from_pixel(3, 2, image::Luma([7])),
            ppi: 500,
            position: FingerPosition::LeftIndex,
            impression: ImpressionType::LivePlain,
            device: DeviceInfo::default(),
        };
        let s = format!("{img:?}");
        assert!(s.contains("width: 3") && s.contains("LeftIndex"), "{s}");
        assert!(!s.contains("[7"), "{s}");
    }
}
