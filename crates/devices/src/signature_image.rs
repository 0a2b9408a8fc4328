//! A scanned signature (selector `image:<file>`): the applicant signed on paper, the form was
//! scanned, and the signature box is imported as a PNG or JPEG. The file is decoded once by the
//! bounded decoder of [`permitkit_biometrics::image`] under [`SIGNATURE_IMAGE_LIMITS`] (a
//! decompression bomb is refused before its pixels are allocated), and converted to 8-bit grey;
//! every capture returns it.

use std::{path::Path, time::Duration};

use image::GrayImage;

use super::{
    CaptureError, DeviceInfo, ImageError,
    signature_pad::{SignatureCapture, SignaturePad},
};
use permitkit_biometrics::image::{DecodeError, ImageLimits};

/// Limits for scanned signatures: a signature box scanned at 600 ppi is well under 4096 pixels
/// on its long side; 64 MiB covers the decoder's buffers for that size in any pixel format.
pub const SIGNATURE_IMAGE_LIMITS: ImageLimits = ImageLimits {
    max_side: 4096,
    max_alloc: 64 << 20,
};

/// Largest file read (a 4096-pixel PNG of a signature is a few hundred kilobytes).
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// A scanned signature image.
#[derive(Clone)]
pub struct ImagePad {
    info: DeviceInfo,
    image: GrayImage,
}

impl std::fmt::Debug for ImagePad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagePad")
            .field("info", &self.info)
            .field("size", &self.image.dimensions())
            .finish()
    }
}

impl ImagePad {
    /// Reads and decodes `path`.
    pub fn open(path: &Path, limits: ImageLimits) -> Result<Self, CaptureError> {
        let selector = format!("image:{}", path.display());
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CaptureError::NotFound {
                selector: selector.clone(),
            },
            _ => CaptureError::Device {
                device: selector.clone(),
                message: e.to_string(),
            },
        })?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(CaptureError::Image {
                device: selector,
                source: ImageError::FileTooLarge {
                    len: meta.len(),
                    max: MAX_FILE_BYTES,
                },
            });
        }
        let bytes = std::fs::read(path).map_err(|e| CaptureError::Device {
            device: selector.clone(),
            message: e.to_string(),
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_bytes(&bytes, &selector, &name, limits)
    }

    /// Decodes an image held in memory; `selector` and `name` label the device.
    pub fn from_bytes(
        bytes: &[u8],
        selector: &str,
        name: &str,
        limits: ImageLimits,
    ) -> Result<Self, CaptureError> {
        let image = decode_gray(bytes, limits).map_err(|e| CaptureError::Image {
            device: selector.to_owned(),
            source: e.into(),
        })?;
        Ok(Self {
            info: DeviceInfo {
                selector: selector.to_owned(),
                name: format!("Scanned signature {name}"),
                backend: "image".into(),
                usb_id: None,
                serial: None,
            },
            image,
        })
    }
}

impl SignaturePad for ImagePad {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, _timeout: Duration) -> Result<SignatureCapture, CaptureError> {
        Ok(SignatureCapture {
            strokes: Vec::new(),
            area: None,
            image: Some(self.image.clone()),
            device: self.info.clone(),
        })
    }
}

/// Decodes a PNG or JPEG to 8-bit grey (alpha composited over white paper) within `limits`.
pub fn decode_gray(bytes: &[u8], limits: ImageLimits) -> Result<GrayImage, DecodeError> {
    let decoded = permitkit_biometrics::image::decode(bytes, &limits)?;
    if !decoded.color().has_alpha() {
        return Ok(decoded.into_luma8());
    }
    // Transparent pixels are paper, not ink: composite over white.
    let la = decoded.into_luma_alpha8();
    Ok(GrayImage::from_fn(la.width(), la.height(), |x, y| {
        let [l, a] = la.get_pixel(x, y).0;
        let (l, a) = (u16::from(l), u16::from(a));
        let v = (l * a + 255 * (255 - a) + 127) / 255;
        image::Luma([u8::try_from(v).unwrap_or(u8::MAX)])
    }))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn png(img: &image::DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_grey_rgb_and_transparent_images() {
        let grey =
            image::DynamicImage::ImageLuma8(GrayImage::from_pixel(30, 10, image::Luma([90])));
        let pad =
            ImagePad::from_bytes(&png(&grey), "image:x", "x", SIGNATURE_IMAGE_LIMITS).unwrap();
        assert_eq!(pad.image.get_pixel(0, 0).0, [90]);
        let clear = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            4,
            4,
            image::Rgba([0, 0, 0, 0]),
        ));
        let g = decode_gray(&png(&clear), SIGNATURE_IMAGE_LIMITS).unwrap();
        assert_eq!(g.get_pixel(1, 1).0, [255], "transparent is paper");
    }

    #[test]
    fn refuses_other_formats_and_garbage() {
        assert_eq!(
            decode_gray(b"GIF89a......", SIGNATURE_IMAGE_LIMITS),
            Err(DecodeError::NotAccepted(image::ImageFormat::Gif))
        );
        assert_eq!(
            decode_gray(b"hello", SIGNATURE_IMAGE_LIMITS),
            Err(DecodeError::UnknownFormat)
        );
        let e =
            ImagePad::open(Path::new("/nonexistent/sig.png"), SIGNATURE_IMAGE_LIMITS).unwrap_err();
        assert!(matches!(e, CaptureError::NotFound { .. }), "{e}");
    }
}
