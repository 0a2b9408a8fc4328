//! The replay camera (`still:<file or folder>`): yields the images of a file or of a folder
//! (PNG and JPEG, in file-name order), cycling, each decoded under [`ImageLimits`]. A folder
//! such as `01-too-far.jpg, 02-tilted.jpg, 03-good.jpg` simulates an applicant settling in
//! front of the camera; [`StillCamera::with_repeat`] holds each image for several frames.

use std::path::{Path, PathBuf};

use image::RgbImage;

use super::camera::{Camera, Frame};
use super::{CaptureError, DeviceInfo};
use permitkit_quality::face::{ImageLimits, decode};

/// At most this many images are loaded from a folder.
pub const MAX_IMAGES: usize = 256;

/// A camera replaying image files.
#[derive(Clone)]
pub struct StillCamera {
    info: DeviceInfo,
    frames: Vec<RgbImage>,
    repeat: u32,
    next: u64,
}

impl std::fmt::Debug for StillCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StillCamera")
            .field("info", &self.info)
            .field("images", &self.frames.len())
            .field("repeat", &self.repeat)
            .finish()
    }
}

impl StillCamera {
    /// Loads one image file, or every `.png`, `.jpg` and `.jpeg` file of a folder.
    pub fn open(path: &Path, limits: ImageLimits) -> Result<Self, CaptureError> {
        let device = format!("still:{}", path.display());
        let files = image_files(path).map_err(|e| CaptureError::Device {
            device: device.clone(),
            message: e.to_string(),
        })?;
        if files.is_empty() {
            return Err(CaptureError::NotFound { selector: device });
        }
        let mut frames = Vec::with_capacity(files.len());
        for file in files {
            let bytes = std::fs::read(&file).map_err(|e| CaptureError::Device {
                device: device.clone(),
                message: format!("{}: {e}", file.display()),
            })?;
            let image = decode(&bytes, limits).map_err(|e| CaptureError::Image {
                device: format!("{device} ({})", file.display()),
                source: e.into(),
            })?;
            frames.push(image);
        }
        Ok(Self::from_images(device, frames))
    }

    /// A replay camera over images already in memory.
    pub fn from_images(selector: impl Into<String>, frames: Vec<RgbImage>) -> Self {
        let selector = selector.into();
        Self {
            info: DeviceInfo {
                name: format!("replay of {selector}"),
                selector,
                backend: "still".into(),
                usb_id: None,
                serial: None,
            },
            frames,
            repeat: 1,
            next: 0,
        }
    }

    /// Yields each image `n` times in a row (at least once).
    pub fn with_repeat(mut self, n: u32) -> Self {
        self.repeat = n.max(1);
        self
    }

    /// Number of distinct images.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

impl Camera for StillCamera {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self) -> Result<Frame, CaptureError> {
        let n = self.frames.len() as u64;
        if n == 0 {
            return Err(CaptureError::Disconnected {
                device: self.info.selector.clone(),
            });
        }
        let sequence = self.next;
        self.next += 1;
        let index = (sequence / u64::from(self.repeat)) % n;
        let image = usize::try_from(index)
            .ok()
            .and_then(|i| self.frames.get(i))
            .cloned()
            .ok_or_else(|| CaptureError::Disconnected {
                device: self.info.selector.clone(),
            })?;
        Ok(Frame { image, sequence })
    }
}

fn image_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // A single file; reading it reports a missing path.
        std::fs::metadata(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    files.truncate(MAX_IMAGES);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageError;

    #[test]
    fn cycles_through_images_with_repeat() {
        let a = RgbImage::from_pixel(4, 4, image::Rgb([1, 1, 1]));
        let b = RgbImage::from_pixel(4, 4, image::Rgb([2, 2, 2]));
        let mut cam = StillCamera::from_images("still:mem", vec![a, b]).with_repeat(2);
        let seen: Vec<u8> = (0..6)
            .map(|_| cam.capture().unwrap().image.get_pixel(0, 0).0[0])
            .collect();
        assert_eq!(seen, [1, 1, 2, 2, 1, 1]);
    }

    #[test]
    fn missing_or_empty_paths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            StillCamera::open(dir.path(), ImageLimits::default()),
            Err(CaptureError::NotFound { .. })
        ));
        assert!(StillCamera::open(&dir.path().join("nope.png"), ImageLimits::default()).is_err());
        std::fs::write(dir.path().join("bad.png"), b"garbage").unwrap();
        assert!(matches!(
            StillCamera::open(dir.path(), ImageLimits::default()),
            Err(CaptureError::Image {
                source: ImageError::Face(_),
                ..
            })
        ));
    }
}
