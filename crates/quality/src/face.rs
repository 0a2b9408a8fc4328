//! Portrait quality for DG2: ICAO Doc 9303-3 photo requirements and the ISO/IEC 19794-5:2005
//! full-frontal (§8) and token-frontal (§9) geometry, with checks named after the ISO/IEC
//! 29794-5 quality components (spec digest `biometric-formats.md` §1–3).
//!
//! No model is downloaded; every model is embedded:
//! 1. [`detect`]: SeetaFace face detection (pure Rust, model embedded, see its module doc)
//!    on a frame downscaled so that the smallest face of interest fills the detector window;
//! 2. [`eyes`]: eye centres by the gradient method of Timm & Barth (2011), coarse in eye
//!    windows placed from the face box, refined at full resolution (for every face);
//! 3. [`landmarks`]: the subject's 468 facial landmarks from MediaPipe's face mesh run by
//!    tract ([`models`]), its eye centres refined by the gradient method; they give the pose
//!    ([`pose`]), the eye and mouth measures ([`expression`], with the eyelids' appearance of
//!    [`eyelids`]), the occlusion measures ([`occlusion`]), the glasses measures ([`glasses`])
//!    and the head mask of [`background`];
//! 4. [`geometry`], [`pose`], [`expression`], [`occlusion`], [`glasses`], [`photometric`],
//!    [`sharpness`], [`background`], [`colour`], [`compression`]: twenty-one checks, each with its measured value,
//!    a threshold from the versioned
//!    [`QualityProfile`](permitkit_model::profiles::quality::QualityProfile), a verdict and an
//!    [`Advice`] that tells the operator what to do (its English text is the message);
//! 5. [`crop`] and [`encode`]: the ICAO crop (full or token frontal), re-encoded as JPEG within
//!    the document's byte budget, with the eye centres in output pixels for DG2 feature points
//!    12.1 / 12.2. Only [`FaceAssessor::prepare`] makes a [`PreparedPortrait`], wrapped in
//!    [`Accepted`].
//!
//! When the face mesh does not confirm the detected face, the landmark checks fail with a
//! message saying so, and the geometry falls back to the gradient eye finder and head model.

pub mod advice;
pub mod annotate;
pub mod background;
pub mod colour;
pub mod compression;
pub mod crop;
pub mod detect;
pub mod encode;
pub mod expression;
pub mod eyelids;
pub mod eyes;
mod font;
pub mod geometry;
pub mod glasses;
pub mod landmarks;
pub mod models;
pub mod occlusion;
pub mod photometric;
pub mod pose;
pub mod raster;
pub mod region;
pub mod report;
pub mod sharpness;

use std::time::Instant;

use image::RgbImage;

pub use advice::{
    Advice, BackgroundFigures, BlueYellow, ColourFigures, CoveringFigures, ExposureFigures,
    EyeFigures, Eyes, GlassesFigures, Margin, RedGreen, Side,
};
pub use detect::{FaceBox, FaceDetector};
pub use eyes::{EyePair, Point};
pub use geometry::Geometry;
pub use landmarks::Landmarks;
pub use models::ModelSet;
pub use permitkit_biometrics::face_record::ColourSpace;
pub use permitkit_biometrics::image::{DecodeError, ImageLimits};
pub use permitkit_model::face_image_type::PortraitType;
pub use raster::decode;
pub use report::{Check, CheckId, DetectedFace, FaceReport};

use crate::{Accepted, Verdict};
use permitkit_model::profiles::quality::QualityProfile;
use permitkit_model::secret::SecretBytes;

/// Why a portrait could not be assessed or prepared. A portrait that fails its checks is not
/// an error of assessment ([`FaceReport`] says why); it becomes [`FaceError::Rejected`] only
/// when a DG2 portrait is asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// The bytes are not a decodable PNG or JPEG.
    #[error(transparent)]
    Decode(DecodeError),
    /// The image exceeds the decoding limits (a decompression bomb, or simply too large); always
    /// [`DecodeError::TooLarge`].
    #[error(transparent)]
    TooLarge(DecodeError),
    /// A face model (the detector or the landmark mesh) did not load or run.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The portrait failed its quality checks.
    #[error("portrait rejected: {}", first_failure(.0))]
    Rejected(Box<FaceReport>),
    /// The JPEG cannot be made to fit the byte budget at an acceptable quality and size.
    #[error(
        "cannot fit the portrait in {max_bytes} bytes (smallest acceptable encoding is {smallest} bytes)"
    )]
    Budget {
        /// The byte budget.
        max_bytes: usize,
        /// The smallest encoding tried.
        smallest: usize,
    },
    /// JPEG or PNG encoding failed.
    #[error("image encoding")]
    Encode(#[source] image::ImageError),
}

/// A face model that did not load or run: which model, at which stage, and the runtime's error
/// when there is one. Cloned when the process-wide model cell hands out its load failure again.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{model}: {stage}")]
pub struct ModelError {
    /// The model: "face detection model" or "face mesh model".
    pub model: &'static str,
    /// What failed (loading, the input tensor, the run, an output).
    pub stage: String,
    #[source]
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl ModelError {
    /// The failure of `model` at `stage`, caused by `source` when given.
    pub(crate) fn new(
        model: &'static str,
        stage: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            model,
            stage: stage.into(),
            source: source.map(std::sync::Arc::from),
        }
    }
}

impl From<DecodeError> for FaceError {
    /// Limits refusals become [`FaceError::TooLarge`], every other refusal [`FaceError::Decode`].
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::TooLarge(_) => FaceError::TooLarge(e),
            _ => FaceError::Decode(e),
        }
    }
}

fn first_failure(report: &FaceReport) -> String {
    report
        .problems()
        .first()
        .map(|c| format!("{}: {}", c.id, c.message))
        .unwrap_or_else(|| "no failing check".into())
}

/// A portrait ready for DG2: the JPEG and everything the 19794-5 record needs about it.
/// Made only by [`FaceAssessor::prepare`].
#[derive(Clone)]
pub struct PreparedPortrait {
    /// The JPEG (a biometric sample: never printed).
    pub jpeg: SecretBytes,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Full or token frontal.
    pub image_type: PortraitType,
    /// Colour space of the JPEG.
    pub colour_space: ColourSpace,
    /// The subject's left eye centre in output pixels (feature point 12.1).
    pub left_eye: Point,
    /// The subject's right eye centre in output pixels (feature point 12.2).
    pub right_eye: Point,
    /// JPEG quality the budget search settled on.
    pub jpeg_quality: u8,
    /// The report that admitted the portrait.
    pub quality_report: FaceReport,
}

impl std::fmt::Debug for PreparedPortrait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedPortrait")
            .field("jpeg", &self.jpeg)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("image_type", &self.image_type)
            .field("left_eye", &self.left_eye)
            .field("right_eye", &self.right_eye)
            .field("jpeg_quality", &self.jpeg_quality)
            .field("verdict", &self.quality_report.verdict)
            .finish()
    }
}

/// What to prepare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PortraitRequest {
    /// Full or token frontal.
    pub image_type: PortraitType,
    /// Byte budget of the JPEG (from the document profile; `None` uses the quality profile's).
    pub max_bytes: Option<usize>,
}

impl Default for PortraitRequest {
    fn default() -> Self {
        Self {
            image_type: PortraitType::FullFrontal,
            max_bytes: None,
        }
    }
}

/// The subject's face and its geometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subject {
    /// The detector's face box.
    pub face: FaceBox,
    /// Eyes, pose, head extent and the full-frontal crop.
    pub geometry: Geometry,
}

/// One assessment: the report, and the subject's geometry (for crops and annotation).
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The findings.
    pub report: FaceReport,
    /// The subject (largest face), when there is one.
    pub subject: Option<Subject>,
    /// The subject's facial landmarks, when the mesh model found them.
    pub landmarks: Option<Landmarks>,
}

/// The portrait quality gate: a detector and the profile whose thresholds it applies.
#[derive(Debug)]
pub struct FaceAssessor {
    profile: QualityProfile,
    detector: FaceDetector,
    models: &'static ModelSet,
    /// Luma of the image being assessed, kept between calls so that its buffer is reused.
    luma: Scratch,
}

/// A reusable luma buffer. It holds biometric samples, so `Debug` shows only its size.
#[derive(Default)]
struct Scratch(raster::Plane);

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scratch({}×{})", self.0.width(), self.0.height())
    }
}

/// The landmark-based checks when the face mesh found no face where the detector did: each
/// fails, saying why.
fn no_landmarks() -> Vec<Check> {
    [
        CheckId::Pitch,
        CheckId::EyesOpen,
        CheckId::EyesVisible,
        CheckId::Glasses,
        CheckId::MouthClosed,
        CheckId::Expression,
        CheckId::HeadCovering,
    ]
    .into_iter()
    .map(|id| Check::new(id, f64::NAN, Verdict::Fail, Advice::FeaturesNotFound))
    .collect()
}

/// Eyes are located for at most this many faces (the subject and a few bystanders).
const MAX_FACES_WITH_EYES: usize = 8;

impl FaceAssessor {
    /// A gate applying `profile`.
    pub fn new(profile: QualityProfile) -> Result<Self, FaceError> {
        let detector = FaceDetector::new(profile.detection.score_threshold)?;
        let models = ModelSet::embedded()?;
        Ok(Self {
            profile,
            detector,
            models,
            luma: Scratch::default(),
        })
    }

    /// The profile in force.
    pub fn profile(&self) -> &QualityProfile {
        &self.profile
    }

    /// Assesses a still with the profile's minimum face size.
    pub fn assess(&mut self, image: &RgbImage) -> Assessment {
        let d = &self.profile.detection;
        let min_face = detect::min_face_for(
            image.width() as usize,
            image.height() as usize,
            d.min_face_fraction,
            d.min_face_px,
        );
        self.assess_with_min_face(image, min_face)
    }

    /// Assesses an image, searching for faces of at least `min_face` pixels.
    pub fn assess_with_min_face(&mut self, image: &RgbImage, min_face: f32) -> Assessment {
        let start = Instant::now();
        let (width, height) = image.dimensions();
        self.luma.0.set_luma(image);
        let luma = &self.luma.0;
        let boxes = self.detector.detect(luma, min_face);
        let faces: Vec<(FaceBox, EyePair)> = boxes
            .iter()
            .take(MAX_FACES_WITH_EYES)
            .map(|b| (*b, eyes::locate(luma, b)))
            .collect();
        let p = &self.profile;
        let mut checks = Vec::with_capacity(CheckId::ALL.len());
        let count = boxes.len() as f64;
        let v = p.checks.single_face.verdict(count);
        let msg = match boxes.len() {
            0 => Advice::NoFace,
            1 => Advice::OneFace,
            count => Advice::SeveralFaces { count },
        };
        checks.push(Check::new(CheckId::SingleFace, count, v, msg));

        let presence = raster::f32_of(p.detection.landmark_presence);
        let landmarks = faces.first().and_then(|(face, pair)| {
            landmarks::locate(self.models, image, luma, face, *pair, presence)
                .ok()
                .flatten()
        });
        let subject = faces.first().map(|(face, pair)| Subject {
            face: *face,
            geometry: match &landmarks {
                Some(lm) => geometry::from_landmarks(lm, face, p),
                None => geometry::measure(*pair, face, p),
            },
        });
        if let Some(s) = &subject {
            let g = &s.geometry;
            checks.extend(geometry::checks(g, width, height, p));
            match &landmarks {
                Some(lm) => {
                    checks.push(pose::pitch_check(g, p));
                    checks.extend(expression::checks(&expression::measure(lm, luma, g.ied), p));
                    checks.push(occlusion::eyes_visible(image, lm, g.ied, p));
                    checks.push(glasses::check(&glasses::measure(luma, lm, g.ied), p));
                    checks.push(occlusion::head_covering(image, luma, lm, g, p));
                }
                None => checks.extend(no_landmarks()),
            }
            let region = region::FaceRegion::sample(image, g);
            checks.push(photometric::illumination(&region, p));
            checks.push(photometric::exposure(&region, p));
            checks.push(photometric::dynamic_range(&region, p));
            checks.push(sharpness::check(&region, p));
            checks.push(background::check(image, luma, g, landmarks.as_ref(), p));
            checks.push(colour::check(&region, p));
            checks.push(compression::check(luma, g, p));
        }
        let short = f64::from(width.min(height));
        let v = p.checks.resolution.verdict(short);
        let msg = match v {
            Verdict::Pass => Advice::ImageSize { width, height },
            _ => Advice::ImageTooSmall { width, height },
        };
        checks.push(Check::new(CheckId::Resolution, short, v, msg));
        checks.sort_by_key(|c| c.id);

        let verdict = checks
            .iter()
            .fold(Verdict::Pass, |acc, c| acc.worst(c.verdict));
        let g = subject.as_ref().map(|s| &s.geometry);
        let report = FaceReport {
            verdict,
            profile: p.id.clone(),
            profile_version: p.version,
            width,
            height,
            faces: faces
                .iter()
                .enumerate()
                .map(|(i, (b, e))| {
                    let e = match (i, &subject) {
                        (0, Some(s)) => &s.geometry.eyes,
                        _ => e,
                    };
                    DetectedFace {
                        bbox: [b.x, b.y, b.w, b.h],
                        score: report::round3(b.score),
                        left_eye: e.left,
                        right_eye: e.right,
                    }
                })
                .collect(),
            inter_eye_distance: g.map(|g| report::round3(f64::from(g.ied))),
            roll_degrees: g.map(|g| report::round3(f64::from(g.roll_degrees))),
            yaw_degrees: g.map(|g| report::round3(f64::from(g.yaw_degrees))),
            pitch_degrees: g
                .filter(|_| landmarks.is_some())
                .map(|g| report::round3(f64::from(g.pitch_degrees))),
            checks,
            elapsed_ms: report::round3(start.elapsed().as_secs_f64() * 1000.0),
        };
        Assessment {
            report,
            subject,
            landmarks,
        }
    }

    /// The quality gate for DG2: assesses `image` and, unless a check fails, crops it to the
    /// requested ICAO geometry and encodes it as JPEG within the byte budget.
    pub fn prepare(
        &mut self,
        image: &RgbImage,
        request: &PortraitRequest,
    ) -> Result<Accepted<PreparedPortrait, FaceReport>, FaceError> {
        let assessment = self.assess(image);
        let (report, subject) = match assessment {
            Assessment {
                report,
                subject: Some(subject),
                ..
            } if report.verdict != Verdict::Fail => (report, subject),
            Assessment { report, .. } => return Err(FaceError::Rejected(Box::new(report))),
        };
        let max_bytes = request
            .max_bytes
            .unwrap_or(self.profile.output.max_bytes as usize);
        let portrait = encode::to_budget(
            image,
            &subject.geometry,
            request.image_type,
            max_bytes,
            &self.profile,
            report.clone(),
        )?;
        Ok(Accepted::new(portrait, report))
    }
}
