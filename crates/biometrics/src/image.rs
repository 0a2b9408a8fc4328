//! The one bounded decoder for untrusted PNG (ISO/IEC 15948) and JPEG (ISO/IEC 10918-1 / JFIF)
//! bytes: portraits from files and cameras, finger images, scanned signatures. Limits on the
//! side and on the decoder's allocations are set before the first pixel is decoded, so a
//! decompression bomb is refused from its header; every refusal says which limit or format.

use std::io::Cursor;

use ::image::{DynamicImage, ImageError, ImageFormat, ImageReader, Limits, error::LimitErrorKind};

/// The formats [`decode`] accepts.
pub const ACCEPTED_FORMATS: [ImageFormat; 2] = [ImageFormat::Png, ImageFormat::Jpeg];

/// Limits on an image decoded from untrusted bytes (decompression bombs stop here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest accepted width or height in pixels.
    pub max_side: u32,
    /// Largest decoder allocation in bytes.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// 8192 px per side and 256 MiB: more than any webcam or scanner portrait needs.
    fn default() -> Self {
        Self {
            max_side: 8192,
            max_alloc: 256 << 20,
        }
    }
}

/// The limit an image exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExceededLimit {
    /// Wider or higher than [`ImageLimits::max_side`].
    #[error("more than {max_side} pixels per side, beyond the decoding limits")]
    Side {
        /// The limit in force.
        max_side: u32,
    },
    /// Decoding needs more memory than [`ImageLimits::max_alloc`].
    #[error("needs more than {max_alloc} bytes to decode, beyond the decoding limits")]
    Alloc {
        /// The limit in force.
        max_alloc: u64,
    },
}

/// Why bytes did not decode into an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes start with no image signature the decoder knows.
    #[error("cannot decode the image: unknown format (expected PNG or JPEG)")]
    UnknownFormat,
    /// An image format other than PNG or JPEG.
    #[error(
        "cannot decode the image: {} is not accepted (expected PNG or JPEG)",
        format_name(*.0)
    )]
    NotAccepted(ImageFormat),
    /// The image exceeds a limit; refused before its pixels were allocated.
    #[error("image too large: {0}")]
    TooLarge(ExceededLimit),
    /// The decoder refused the data (corrupt, truncated, or a feature it lacks).
    #[error("cannot decode the {} image: {reason}", format_name(*.format))]
    Invalid {
        /// The format the bytes claim.
        format: ImageFormat,
        /// The decoder's message.
        reason: String,
    },
    /// The image has no pixels.
    #[error("cannot decode the image: it has no pixels")]
    Empty,
}

/// Decodes a PNG or JPEG held in memory, enforcing `limits`; the image keeps the colour type it
/// was stored in (callers convert).
pub fn decode(bytes: &[u8], limits: &ImageLimits) -> Result<DynamicImage, DecodeError> {
    // Guessing reads the signature from memory (no I/O error is possible); an unknown one
    // leaves the format unset.
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| DecodeError::UnknownFormat)?;
    let format = reader.format().ok_or(DecodeError::UnknownFormat)?;
    if !ACCEPTED_FORMATS.contains(&format) {
        return Err(DecodeError::NotAccepted(format));
    }
    let mut l = Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    reader.limits(l);
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(e) => match e.kind() {
            LimitErrorKind::DimensionError => DecodeError::TooLarge(ExceededLimit::Side {
                max_side: limits.max_side,
            }),
            LimitErrorKind::InsufficientMemory => DecodeError::TooLarge(ExceededLimit::Alloc {
                max_alloc: limits.max_alloc,
            }),
            // Strict limits this decoder cannot enforce (none are set here).
            _ => DecodeError::Invalid {
                format,
                reason: e.to_string(),
            },
        },
        other => DecodeError::Invalid {
            format,
            reason: other.to_string(),
        },
    })?;
    if image.width() == 0 || image.height() == 0 {
        return Err(DecodeError::Empty);
    }
    Ok(image)
}

/// `PNG`, `JPEG`, or the format's usual file extension in capitals.
fn format_name(format: ImageFormat) -> String {
    match format {
        ImageFormat::Png => "PNG".into(),
        ImageFormat::Jpeg => "JPEG".into(),
        other => other
            .extensions_str()
            .first()
            .map_or_else(|| format!("{other:?}"), |e| e.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{GrayImage, Luma};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        GrayImage::from_pixel(width, height, Luma([128]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_within_the_limits() {
        let image = decode(&png(40, 30), &ImageLimits::default()).unwrap();
        assert_eq!((image.width(), image.height()), (40, 30));
    }

    #[test]
    fn names_the_format_it_refuses() {
        assert_eq!(
            decode(b"not an image", &ImageLimits::default()),
            Err(DecodeError::UnknownFormat)
        );
        assert_eq!(
            decode(b"GIF89a......", &ImageLimits::default()),
            Err(DecodeError::NotAccepted(ImageFormat::Gif))
        );
        let e = decode(b"GIF89a......", &ImageLimits::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot decode the image: GIF is not accepted (expected PNG or JPEG)"
        );
        let bytes = png(40, 30);
        assert!(matches!(
            decode(
                bytes.get(..bytes.len() / 2).unwrap(),
                &ImageLimits::default()
            ),
            Err(DecodeError::Invalid {
                format: ImageFormat::Png,
                ..
            })
        ));
    }

    #[test]
    fn names_the_limit_exceeded() {
        let bytes = png(300, 20);
        let narrow = ImageLimits {
            max_side: 256,
            max_alloc: 1 << 20,
        };
        let e = decode(&bytes, &narrow).unwrap_err();
        assert_eq!(
            e,
            DecodeError::TooLarge(ExceededLimit::Side { max_side: 256 })
        );
        assert!(e.to_string().contains("limits"), "{e}");
        let small = ImageLimits {
            max_side: 4096,
            max_alloc: 1000,
        };
        assert_eq!(
            decode(&bytes, &small),
            Err(DecodeError::TooLarge(ExceededLimit::Alloc {
                max_alloc: 1000
            }))
        );
    }
}
