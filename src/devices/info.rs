//! What every device reports about itself, and how captures fail.

use std::fmt;

/// Identity of an attached (or simulated) device, used to match hardware profiles and to record
/// which device took a capture.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// The selector that opens this device again (`sim`, `still:face.jpg`, `v4l:0`, …).
    pub selector: String,
    /// Human-readable name as the device or driver reports it.
    pub name: String,
    /// Driver or backend (`simulator`, `libfprint`, `v4l2`, `pcsc`).
    pub backend: String,
    /// USB vendor and product id, when known.
    pub usb_id: Option<(u16, u16)>,
    /// Serial number or other stable id, when the device reports one.
    pub serial: Option<String>,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.backend, self.selector)?;
        if let Some((v, p)) = self.usb_id {
            write!(f, " [{v:04x}:{p:04x}]")?;
        }
        Ok(())
    }
}

/// Why a capture failed. The operator sees the message, so it says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// No device matches the selector.
    #[error("no device matches {selector:?}")]
    NotFound {
        /// The selector that matched nothing.
        selector: String,
    },
    /// The selector is not understood.
    #[error("bad device selector {selector:?}: {reason}")]
    BadSelector {
        /// The selector given.
        selector: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The device went away (unplugged, driver reset).
    #[error("{device}: device disconnected")]
    Disconnected {
        /// Which device.
        device: String,
    },
    /// Nothing usable arrived in time.
    #[error("{device}: no capture within {seconds:.1} s")]
    Timeout {
        /// Which device.
        device: String,
        /// How long we waited.
        seconds: f64,
    },
    /// The device or its driver reported an error.
    #[error("{device}: {message}")]
    Device {
        /// Which device.
        device: String,
        /// The driver's message.
        message: String,
    },
    /// A captured image could not be decoded or is outside the limits.
    #[error("{device}: unusable image: {message}")]
    Image {
        /// Which device.
        device: String,
        /// What is wrong with the image.
        message: String,
    },
    /// The backend is not compiled in (its cargo feature is off).
    #[error("{backend} support is not compiled in (build with --features {feature})")]
    NotCompiled {
        /// The backend asked for.
        backend: &'static str,
        /// The cargo feature that brings it.
        feature: &'static str,
    },
}
