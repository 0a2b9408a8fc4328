//! Face detection with the SeetaFace funnel-structured cascade (Wu et al., "Funnel-structured
//! cascade for multi-view face detection with alignment awareness", Neurocomputing 2017) as
//! ported to Rust by the `rustface` crate.
//!
//! # The model, and why it is committed
//! The detector needs `seeta_fd_frontal_v1.0.bin` (1.2 MB, BSD-2-Clause, © 2016 VIPL group,
//! ICT CAS), which the `rustface` crate ships in its source package but does not embed. We keep
//! a byte-identical copy in `models/seetaface/` with its licence and embed it with
//! `include_bytes!`, rather than copying it out of the unpacked dependency in a build script:
//! Cargo gives build scripts no supported way to locate another package's source directory
//! (it differs between registries, `cargo vendor`, and offline mirrors), and a committed copy
//! is reproducible, reviewable and verified by its SHA-256 in a test. Nothing is downloaded at
//! build or run time.
//!
//! # Speed
//! The detector always scans windows of 40 px. We therefore downscale the luminance so that the
//! smallest face of interest (profile `detection.min_face_fraction` / `min_face_px`) becomes
//! 40 px, which bounds the work by the image's size relative to that face, not by its pixel
//! count.

use std::sync::OnceLock;

use rustface::{Detector, ImageData, Model};

use super::raster::{Plane, round_u, u32_of};
use super::{FaceError, ModelError};

/// The SeetaFace frontal detection model, byte-identical to rustface 0.1.7's
/// `model/seeta_fd_frontal_v1.0.bin`.
pub const MODEL: &[u8] = include_bytes!("../../../../models/seetaface/seeta_fd_frontal_v1.0.bin");

/// SHA-256 of [`MODEL`] (`models/seetaface/SOURCES`).
pub const MODEL_SHA256: &str = "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d";

/// The detector's fixed window (rustface `FuStDetector`, `K_WND_SIZE`).
const WINDOW: f32 = 40.0;

/// Scale between the levels of the detector's image pyramid (rustface's default).
const PYRAMID_SCALE: f32 = 0.8;

/// Step in pixels between the windows the first cascade stage classifies, on every pyramid
/// level (rustface's default is 4, 10 % of the window). 6 px (15 %) classifies 44 % fewer
/// windows, which made detection about 40 % faster with the same faces found on the labelled
/// set (`crates/quality/examples/face_calibration.rs`); the face mesh then places the face
/// precisely, so the detector only needs a rough box.
const WINDOW_STEP: u32 = 6;

/// The first search looks for faces this many times the smallest face of interest.
pub const COARSE_FACTOR: f32 = 1.4;

/// Smallest side the detector is given: below the window size its scan loop underflows.
const MIN_DETECT_SIDE: usize = 48;

fn model() -> Result<&'static Model, FaceError> {
    static MODEL_CELL: OnceLock<Result<Model, ModelError>> = OnceLock::new();
    MODEL_CELL
        .get_or_init(|| {
            rustface::read_model(MODEL)
                .map_err(|e| ModelError::new("face detection model", "load", Some(Box::new(e))))
        })
        .as_ref()
        .map_err(|e| FaceError::Model(e.clone()))
}

/// A detected face in input-image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Classifier score.
    pub score: f64,
}

impl FaceBox {
    /// Area in square pixels.
    pub fn area(&self) -> f32 {
        self.w * self.h
    }

    /// Centre point.
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

/// A reusable face detector (the model is parsed once per process).
pub struct FaceDetector {
    inner: Box<dyn Detector>,
    score_threshold: f64,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector")
            .field("score_threshold", &self.score_threshold)
            .finish_non_exhaustive()
    }
}

impl FaceDetector {
    /// A detector with the given classifier score threshold (must be positive).
    pub fn new(score_threshold: f64) -> Result<Self, FaceError> {
        if !(score_threshold > 0.0 && score_threshold.is_finite()) {
            return Err(ModelError::new(
                "face detection model",
                format!("score threshold {score_threshold} must be positive"),
                None,
            )
            .into());
        }
        let mut inner = rustface::create_detector_with_model(model()?.clone());
        inner.set_score_thresh(score_threshold);
        inner.set_pyramid_scale_factor(PYRAMID_SCALE);
        inner.set_slide_window_step(WINDOW_STEP, WINDOW_STEP);
        inner.set_min_face_size(20);
        Ok(Self {
            inner,
            score_threshold,
        })
    }

    /// Faces in `luma` no smaller than `min_face` pixels, largest first, in `luma`'s pixels.
    ///
    /// The search runs first for faces of at least [`COARSE_FACTOR`] × `min_face` (on a frame
    /// half the area, about half the cost); only when that finds none does it search down to
    /// `min_face`. A subject close enough to be photographed is found in the first pass; a far
    /// subject still gets "move closer" rather than "no face". The cost: while the first pass
    /// finds a face, a second face smaller than [`COARSE_FACTOR`] × `min_face` is not counted.
    pub fn detect(&mut self, luma: &Plane, min_face: f32) -> Vec<FaceBox> {
        let coarse = self.detect_once(luma, min_face * COARSE_FACTOR);
        if coarse.is_empty() {
            self.detect_once(luma, min_face)
        } else {
            coarse
        }
    }

    /// One search for faces no smaller than `min_face` pixels.
    fn detect_once(&mut self, luma: &Plane, min_face: f32) -> Vec<FaceBox> {
        let min_face = min_face.max(WINDOW / 2.0);
        let scale = (WINDOW / min_face).min(1.0);
        let small = luma.downscale(scale);
        if small.width() < MIN_DETECT_SIDE || small.height() < MIN_DETECT_SIDE {
            return Vec::new();
        }
        let bytes = small.to_u8();
        let image = ImageData::new(&bytes, u32_of(small.width()), u32_of(small.height()));
        // Faces may fill the frame: allow windows up to the whole short side.
        let short = small.width().min(small.height());
        self.inner.set_max_face_size(u32_of(short));
        let sx = luma.width() as f32 / small.width() as f32;
        let sy = luma.height() as f32 / small.height() as f32;
        let mut faces: Vec<FaceBox> = self
            .inner
            .detect(&image)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox {
                    x: b.x() as f32 * sx,
                    y: b.y() as f32 * sy,
                    w: b.width() as f32 * sx,
                    h: b.height() as f32 * sy,
                    score: f.score(),
                }
            })
            .filter(|f| f.w >= min_face * 0.8)
            .collect();
        faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
        faces
    }
}

/// The smallest face to search for in an image of `width × height`, from the profile's
/// fraction of the shorter side and its pixel floor.
pub fn min_face_for(width: usize, height: usize, fraction: f64, floor_px: u32) -> f32 {
    let short = width.min(height) as f32;
    let by_fraction = short * super::raster::f32_of(fraction);
    by_fraction
        .max(floor_px as f32)
        .max(round_u(WINDOW / 2.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_is_the_published_one() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(MODEL);
        assert_eq!(hex::encode(digest), MODEL_SHA256);
        assert!(model().is_ok());
    }

    #[test]
    fn tiny_and_flat_frames_have_no_faces() {
        let mut d = FaceDetector::new(3.0).unwrap();
        assert!(d.detect(&Plane::filled(10, 10, 128.0), 20.0).is_empty());
        assert!(d.detect(&Plane::filled(200, 150, 128.0), 40.0).is_empty());
        assert!(FaceDetector::new(0.0).is_err());
    }
}
