//! Errors of the WSQ codec: what is wrong and, for decoding, the byte offset where it was found.

/// A WSQ stream that cannot be decoded, or an image or option the encoder cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsqError {
    /// The data ends before a structure is complete.
    #[error("WSQ data truncated: {context} at byte {offset} runs past the end of the data")]
    Truncated {
        /// Absolute byte offset at which the incomplete structure was being read.
        offset: usize,
        /// What was being read.
        context: &'static str,
    },
    /// A structure is present but its content breaks the WSQ syntax.
    #[error("malformed WSQ data at byte {offset}: {reason}")]
    Malformed {
        /// Absolute byte offset of the offending byte or marker segment.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Valid WSQ syntax that this codec does not implement (for instance even-length filters).
    #[error("unsupported WSQ feature at byte {offset}: {feature}")]
    Unsupported {
        /// Absolute byte offset of the marker segment that uses the feature.
        offset: usize,
        /// The feature.
        feature: String,
    },
    /// The frame is larger than the decoder limits allow.
    #[error("WSQ image of {width}x{height} pixels exceeds the limit of {max_width}x{max_height}")]
    TooLarge {
        /// Width from the frame header.
        width: u32,
        /// Height from the frame header.
        height: u32,
        /// Largest accepted width.
        max_width: u32,
        /// Largest accepted height.
        max_height: u32,
    },
    /// The image handed to the encoder cannot be WSQ-encoded.
    #[error("cannot WSQ-encode this image: {0}")]
    InvalidImage(String),
    /// An encoder option is out of range.
    #[error("invalid WSQ encoder option: {0}")]
    InvalidOption(String),
}

impl WsqError {
    pub(crate) fn malformed(offset: usize, reason: impl Into<String>) -> Self {
        Self::Malformed {
            offset,
            reason: reason.into(),
        }
    }
}
