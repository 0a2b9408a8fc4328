//! What every device reports about itself, and how captures fail.

pub use permitkit_model::device::DeviceInfo;
use permitkit_model::selector::SelectorError;

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

impl From<SelectorError> for CaptureError {
    fn from(e: SelectorError) -> Self {
        CaptureError::BadSelector {
            selector: e.selector,
            reason: e.reason,
        }
    }
}
