//! The portrait quality report: one finding per check, each with its measured value, verdict
//! and an operator message that says what to do (ARCHITECTURE.md §3: findings are data).
//! Check ids follow ISO/IEC 29794-5 components where one exists (see [`CheckId::component`]).

use serde::Serialize;

use super::advice::Advice;
use super::eyes::Point;
use crate::Verdict;

/// The checks, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// Exactly one face in the image.
    SingleFace,
    /// Inter-eye distance in pixels.
    InterEyeDistance,
    /// Eye-line angle.
    Roll,
    /// Left–right head rotation.
    Yaw,
    /// Up–down head rotation.
    Pitch,
    /// Horizontal position of the face.
    Centring,
    /// Head size and full-frontal crop margins.
    HeadSize,
    /// Both eyes open.
    EyesOpen,
    /// Eyes not hidden by dark lenses, frames, hair or reflections.
    EyesVisible,
    /// No reflections on glasses, no tinted lenses, no glasses where the profile forbids them.
    Glasses,
    /// Mouth closed.
    MouthClosed,
    /// Neutral expression (no smile).
    Expression,
    /// No head covering.
    HeadCovering,
    /// Light balance between the face halves.
    Illumination,
    /// Luminance mean and spread, under- and over-exposure.
    Exposure,
    /// Entropy of the face luminance.
    DynamicRange,
    /// Focus.
    Sharpness,
    /// Plain, light background.
    Background,
    /// Natural colour.
    Colour,
    /// JPEG block artefacts.
    Compression,
    /// Image size.
    Resolution,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 21] = [
        CheckId::SingleFace,
        CheckId::InterEyeDistance,
        CheckId::Roll,
        CheckId::Yaw,
        CheckId::Pitch,
        CheckId::Centring,
        CheckId::HeadSize,
        CheckId::EyesOpen,
        CheckId::EyesVisible,
        CheckId::Glasses,
        CheckId::MouthClosed,
        CheckId::Expression,
        CheckId::HeadCovering,
        CheckId::Illumination,
        CheckId::Exposure,
        CheckId::DynamicRange,
        CheckId::Sharpness,
        CheckId::Background,
        CheckId::Colour,
        CheckId::Compression,
        CheckId::Resolution,
    ];

    /// The id as written in reports and profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::SingleFace => "single-face",
            CheckId::InterEyeDistance => "inter-eye-distance",
            CheckId::Roll => "roll",
            CheckId::Yaw => "yaw",
            CheckId::Pitch => "pitch",
            CheckId::EyesOpen => "eyes-open",
            CheckId::EyesVisible => "eyes-visible",
            CheckId::Glasses => "glasses",
            CheckId::MouthClosed => "mouth-closed",
            CheckId::Expression => "expression",
            CheckId::HeadCovering => "head-covering",
            CheckId::Centring => "centring",
            CheckId::HeadSize => "head-size",
            CheckId::Illumination => "illumination",
            CheckId::Exposure => "exposure",
            CheckId::DynamicRange => "dynamic-range",
            CheckId::Sharpness => "sharpness",
            CheckId::Background => "background",
            CheckId::Colour => "colour",
            CheckId::Compression => "compression",
            CheckId::Resolution => "resolution",
        }
    }

    /// The ISO/IEC 29794-5 quality component(s) this check corresponds to (OFIQ ids), if any.
    pub fn component(self) -> &'static [u8] {
        match self {
            CheckId::SingleFace => &[0x4C],
            CheckId::InterEyeDistance => &[0x52],
            CheckId::Roll => &[0x5A],
            CheckId::Yaw => &[0x58],
            CheckId::Pitch => &[0x59],
            CheckId::EyesOpen => &[0x4D],
            CheckId::EyesVisible => &[0x4F],
            // No component of its own: ICAO Doc 9303-3's rules on glasses.
            CheckId::Glasses => &[],
            CheckId::MouthClosed => &[0x4E, 0x50],
            CheckId::Expression => &[0x5B],
            CheckId::HeadCovering => &[0x5C],
            CheckId::Centring => &[0x54, 0x55],
            CheckId::HeadSize => &[0x53, 0x54, 0x55, 0x56, 0x57],
            CheckId::Illumination => &[0x43],
            CheckId::Exposure => &[0x44, 0x45, 0x46, 0x47],
            CheckId::DynamicRange => &[0x48],
            CheckId::Sharpness => &[0x49],
            CheckId::Background => &[0x42],
            CheckId::Colour => &[0x4B],
            CheckId::Compression => &[0x4A],
            CheckId::Resolution => &[],
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// The measured value (unit per check, see the profile).
    pub value: f64,
    /// Pass, warn or fail.
    pub verdict: Verdict,
    /// What the operator should do (or what was found right), in English: `advice`'s text.
    pub message: String,
    /// What the operator should do, as data, for a screen in another language.
    pub advice: Advice,
}

impl Check {
    /// A finding; its message is the advice's English text.
    pub fn new(id: CheckId, value: f64, verdict: Verdict, advice: Advice) -> Self {
        Self {
            id,
            value: round3(value),
            verdict,
            message: advice.to_string(),
            advice,
        }
    }
}

/// A detected face with its eye centres, in input-image pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectedFace {
    /// `[x, y, width, height]` of the detector's face box.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// Detector score.
    pub score: f64,
    /// The subject's left eye centre (on the image's right), `[x, y]`.
    #[serde(serialize_with = "point_pair")]
    pub left_eye: Point,
    /// The subject's right eye centre (on the image's left), `[x, y]`.
    #[serde(serialize_with = "point_pair")]
    pub right_eye: Point,
}

fn point_pair<S: serde::Serializer>(p: &Point, s: S) -> Result<S::Ok, S::Error> {
    [round1(p.x), round1(p.y)].serialize(s)
}

/// The full portrait quality report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceReport {
    /// Worst verdict over all checks.
    pub verdict: Verdict,
    /// Profile id that set the thresholds.
    pub profile: String,
    /// Profile version.
    pub profile_version: u32,
    /// Input image width in pixels.
    pub width: u32,
    /// Input image height in pixels.
    pub height: u32,
    /// Every face found, the subject (largest) first.
    pub faces: Vec<DetectedFace>,
    /// Inter-eye distance of the subject in pixels (absent without a face).
    pub inter_eye_distance: Option<f64>,
    /// Eye-line angle in degrees; positive when the eye on the image's right is lower.
    pub roll_degrees: Option<f64>,
    /// Yaw estimate in degrees; positive when the subject turns towards the image's right.
    pub yaw_degrees: Option<f64>,
    /// Pitch estimate in degrees; positive when the subject raises the chin (absent without
    /// landmarks).
    pub pitch_degrees: Option<f64>,
    /// The findings, in [`CheckId::ALL`] order (checks that need a face are absent without one).
    pub checks: Vec<Check>,
    /// Time the assessment took (not part of the decision).
    pub elapsed_ms: f64,
}

impl FaceReport {
    /// The finding of one check, if it ran.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Findings that are not a pass, worst first.
    pub fn problems(&self) -> Vec<&Check> {
        let mut out: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.verdict != Verdict::Pass)
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.verdict));
        out
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Rounds to 3 decimals for stable, readable reports.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn round1(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}
