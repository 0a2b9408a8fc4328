//! What every device reports about itself, and how captures fail.

use permitkit_biometrics::image::DecodeError;
pub use permitkit_model::device::DeviceInfo;
use permitkit_model::selector::SelectorError;
use permitkit_quality::face::FaceError;
use permitkit_synth::SynthError;

/// Why a captured (or simulated) image is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The bytes do not decode, or exceed the decoding limits.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The portrait decoder refused the bytes.
    #[error(transparent)]
    Face(#[from] FaceError),
    /// The synthetic finger cannot be made at this size.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// Width or height outside the limits.
    #[error("{width}×{height} outside 1..={max} pixels per side")]
    Size {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest side allowed.
        max: u32,
    },
    /// A pixel buffer whose length does not match the size.
    #[error("{len} bytes for a {width}×{height} {format} image")]
    Buffer {
        /// Bytes received.
        len: usize,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The pixel format (`gray`, `RGB`, `YUYV`).
        format: &'static str,
    },
    /// A file larger than allowed.
    #[error("file of {len} bytes exceeds the {max}-byte limit")]
    FileTooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A pixel format the backend does not convert.
    #[error("pixel format {0} is not supported")]
    PixelFormat(String),
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
    #[error("{device}: unusable image")]
    Image {
        /// Which device.
        device: String,
        /// What is wrong with the image.
        #[source]
        source: ImageError,
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
