//! Fingerprint scanners (ARCHITECTURE.md §4): the [`FingerprintScanner`] trait, the
//! [`FingerImage`] every backend delivers, and device selectors.
//!
//! A capture is an 8-bit grey plain impression at 500 ppi (ISO/IEC 19794-4:2005 §7.1: image
//! acquisition at 500 ppi, 8-bit pixel depth; impression type "live-scan plain", code 0).
//! Selectors: `sim` (simulator, seed 0), `sim:<seed>`, `libfprint:<n>` (the n-th device
//! libfprint lists, from 0; feature `libfprint`).

use std::time::Duration;

use super::{CaptureError, DeviceInfo};
use permitkit_biometrics::FingerPosition;
pub use permitkit_model::finger_image::{FingerImage, ImpressionType, SCANNER_PPI};
pub use permitkit_model::selector::ScannerSelector;

/// A fingerprint scanner: one finger per capture.
pub trait FingerprintScanner: Send {
    /// Which device this is.
    fn info(&self) -> &DeviceInfo;

    /// Captures one impression of `finger`, waiting at most the scanner's configured timeout
    /// for the finger to be placed.
    fn capture(&mut self, finger: FingerPosition) -> Result<FingerImage, CaptureError>;
}

/// Default time to wait for a finger before a capture gives up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

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
            assert_eq!(e.selector, bad, "{bad}: {e}");
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn debug_never_prints_pixels() {
        let img = FingerImage {
            image: image::GrayImage::from_pixel(3, 2, image::Luma([7])),
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
