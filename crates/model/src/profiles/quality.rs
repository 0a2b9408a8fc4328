//! Portrait quality profiles: every threshold the face gate applies, versioned, each with the
//! document it comes from (ISO/IEC 19794-5:2005 §8 full frontal and §9 token frontal geometry,
//! ICAO Doc 9303 / ICAO portrait guidance, ISO/IEC 29794-5 component definitions as
//! implemented by OFIQ; see `docs/spec/biometric-formats.md` §1–3).
//!
//! A profile lives in `hardware-profiles/quality/<id>.toml`. A [`Limit`] turns one measured
//! value into pass / warn / fail; values inside `[fail_below, fail_above]` do not fail, values
//! inside `[warn_below, warn_above]` pass. Thresholds calibrated in this project (no standard
//! sets a number) say so in their `source`.

use serde::{Deserialize, Serialize};

use super::{FieldProblem, Profile};
use crate::verdict::Verdict;

/// The id of the default built-in profile.
pub const DEFAULT_ID: &str = "icao-portrait";

/// A portrait quality profile (kind `quality`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QualityProfile {
    /// Profile id, equal to the file stem.
    pub id: String,
    /// Version of this threshold set; reports carry it so a decision can be traced.
    pub version: u32,
    /// What the profile is for.
    pub description: String,
    /// Face detector settings.
    pub detection: Detection,
    /// Head-model constants used to estimate head extent from the eye centres.
    pub head_model: HeadModel,
    /// One limit (or a few) per check.
    pub checks: Checks,
    /// Geometry of the ICAO crops.
    pub crop: CropGeometry,
    /// JPEG output for DG2.
    pub output: Output,
    /// Live capture behaviour.
    pub capture: CaptureRules,
}

/// Face detector settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Smallest face searched for, as a fraction of the image's shorter side (the detector then
    /// runs on a frame downscaled so that this size maps to its 40 px window).
    pub min_face_fraction: f64,
    /// Never search for faces smaller than this many pixels of the input image.
    pub min_face_px: u32,
    /// SeetaFace classifier score a detection needs.
    pub score_threshold: f64,
    /// Face-presence probability the landmark (face mesh) model must give the subject's face
    /// for the landmark-based checks to run.
    pub landmark_presence: f64,
    /// Where these values come from.
    pub source: String,
}

/// Head-model constants in units of the inter-eye distance (IED).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeadModel {
    /// Crown to eye line.
    pub crown_above_eyes: f64,
    /// Eye line to chin.
    pub chin_below_eyes: f64,
    /// Head breadth.
    pub head_width: f64,
    /// Where these values come from.
    pub source: String,
}

/// A limit on one measured value, with its source.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Values below fail.
    pub fail_below: Option<f64>,
    /// Values below warn.
    pub warn_below: Option<f64>,
    /// Values above warn.
    pub warn_above: Option<f64>,
    /// Values above fail.
    pub fail_above: Option<f64>,
    /// The standard, guideline or calibration that sets these numbers.
    pub source: String,
}

impl Limit {
    /// The verdict for `value`. A NaN value fails.
    pub fn verdict(&self, value: f64) -> Verdict {
        if value.is_nan() {
            return Verdict::Fail;
        }
        let below = |b: Option<f64>| b.is_some_and(|b| value < b);
        let above = |b: Option<f64>| b.is_some_and(|b| value > b);
        if below(self.fail_below) || above(self.fail_above) {
            Verdict::Fail
        } else if below(self.warn_below) || above(self.warn_above) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    fn problems(&self, field: &str) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let bounds = [
            ("fail_below", self.fail_below),
            ("warn_below", self.warn_below),
            ("warn_above", self.warn_above),
            ("fail_above", self.fail_above),
        ];
        if bounds.iter().all(|(_, b)| b.is_none()) {
            out.push(FieldProblem::new(field, "needs at least one bound"));
        }
        for (name, b) in bounds {
            if b.is_some_and(|b| !b.is_finite()) {
                out.push(FieldProblem::new(
                    format!("{field}.{name}"),
                    "must be finite",
                ));
            }
        }
        let present: Vec<(&str, f64)> = bounds
            .iter()
            .filter_map(|(n, b)| b.map(|b| (*n, b)))
            .collect();
        for pair in present.windows(2) {
            if let [(n0, b0), (n1, b1)] = pair
                && b0 > b1
            {
                out.push(FieldProblem::new(
                    format!("{field}.{n1}"),
                    format!("must not be less than {n0} ({b0})"),
                ));
            }
        }
        if self.source.trim().is_empty() {
            out.push(FieldProblem::new(
                format!("{field}.source"),
                "every threshold needs its source",
            ));
        }
        out
    }
}

/// The limits of every check (ids as in reports).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Checks {
    /// Number of faces found.
    pub single_face: Limit,
    /// Inter-eye distance in input pixels.
    pub inter_eye_distance: Limit,
    /// Absolute roll (eye-line angle) in degrees.
    pub roll: Limit,
    /// Absolute yaw estimate in degrees.
    pub yaw: Limit,
    /// Absolute pitch estimate in degrees (from the face mesh).
    pub pitch: Limit,
    /// Horizontal offset of the eye midpoint from the image centre, fraction of the width.
    pub centring: Limit,
    /// Estimated chin-to-crown height as a fraction of the image height.
    pub head_size: Limit,
    /// Luminance difference between the face halves, fraction of the brighter half.
    pub illumination: Limit,
    /// Exposure: four values.
    pub exposure: Exposure,
    /// Entropy of the face luminance histogram, bits.
    pub dynamic_range: Limit,
    /// Normalised gradient energy of the face (see `quality::face::sharpness`).
    pub sharpness: Limit,
    /// Background: two values.
    pub background: Background,
    /// Face colour: mean CIELAB a* and b*.
    pub colour: Colour,
    /// JPEG blockiness ratio.
    pub compression: Limit,
    /// Opening of the less open eye (per eye the smaller of the eyelid distance and the height
    /// of the dark iris band between the lids), fraction of the inter-eye distance.
    pub eyes_open: Limit,
    /// Gap between the inner lips, fraction of the inter-eye distance.
    pub mouth_closed: Limit,
    /// Smile: mouth width and corner lift (see `quality::face::expression`), fraction of the
    /// inter-eye distance.
    pub expression: Limit,
    /// Eye occlusion (dark lenses, frames, hair, reflections), 0 (clear) to 1.
    pub eyes_visible: Limit,
    /// Head covering: share of the band above the forehead that is covered (a colour that is
    /// neither skin, background nor hair, or hair-coloured but smooth like cloth), 0–1.
    pub head_covering: Limit,
    /// Glasses: frames, reflections on the lenses, tinted lenses.
    pub glasses: Glasses,
    /// Shorter image side in pixels.
    pub resolution: Limit,
}

/// Exposure limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// Mean face luminance, 0–1.
    pub mean: Limit,
    /// Standard deviation of face luminance, 0–1.
    pub spread: Limit,
    /// Fraction of face pixels at or below `dark_level`.
    pub under: Limit,
    /// Fraction of face pixels at or above `bright_level`.
    pub over: Limit,
    /// 8-bit luminance counted as crushed black.
    pub dark_level: u8,
    /// 8-bit luminance counted as clipped white.
    pub bright_level: u8,
}

/// Glasses limits (ICAO Doc 9303-3 photograph guidance: eyes clearly visible through clear
/// lenses, no reflection on the lenses, no tinted lenses, frames not covering the eyes; many
/// issuers forbid glasses altogether).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Glasses {
    /// Whether clear glasses may be worn. When `false`, frames found fail the check; when
    /// `true`, they only warn (ICAO recommends taking glasses off).
    pub clear_allowed: bool,
    /// Frame evidence: mean strength of the three strongest thin dark lines at the nose bridge
    /// and around the eyes, as a share of the skin's luma.
    pub frames: Limit,
    /// Share of the lens areas (outside the pupils) that is clipped white, beyond the share on
    /// the cheeks.
    pub reflection: Limit,
    /// Darkening of the skin seen through the lenses (below the eyes) against the cheeks,
    /// 1 − ratio of their luma.
    pub tint: Limit,
}

/// Background limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    /// Local texture of the background: upper quartile of the luma steps between neighbouring
    /// samples, 8-bit levels.
    pub texture: Limit,
    /// Mean background luminance, 0–1 (ICAO: plain and light).
    pub luminance: Limit,
    /// Colour spread of the background (median CIELAB distance from its median colour).
    pub colour: Limit,
}

/// Natural-colour limits (CIELAB, D65).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Colour {
    /// Mean a* of the face.
    pub a: Limit,
    /// Mean b* of the face.
    pub b: Limit,
    /// Mean chroma of the face; a greyscale image has about 0.
    pub chroma: Limit,
}

/// Geometry of the ICAO crops.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CropGeometry {
    /// Full frontal: height / width of the output.
    pub full_frontal_aspect: f64,
    /// Full frontal: eye line from the top, fraction of the output height.
    pub full_frontal_eye_line: f64,
    /// Full frontal: chin-to-crown height as a fraction of the output height.
    pub full_frontal_head_height: f64,
    /// Token frontal: minimum output width (19794-5 §9: 240 px, IED 60 px).
    pub token_min_width: u32,
    /// Where these values come from.
    pub source: String,
}

/// JPEG output for DG2.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Default byte budget of the JPEG (overridden by the document profile).
    pub max_bytes: u32,
    /// The output is scaled down (never up) so that its IED is at most this.
    pub target_ied: f64,
    /// Lowest JPEG quality the budget search may use; below it the budget is an error.
    pub min_jpeg_quality: u8,
    /// Where these values come from.
    pub source: String,
}

/// Live capture behaviour.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureRules {
    /// Consecutive preview frames on which every check must pass before the still is taken.
    pub stable_frames: u32,
    /// Give up after this many seconds.
    pub timeout_seconds: f64,
    /// Preview frames are downscaled to this width before assessment.
    pub preview_width: u32,
}

impl QualityProfile {
    /// The default built-in profile.
    pub fn builtin_default() -> Result<Self, super::ProfileError> {
        Self::builtin(DEFAULT_ID)
    }

    /// A built-in profile by id.
    pub fn builtin(id: &str) -> Result<Self, super::ProfileError> {
        super::builtin::load(id)
    }
}

impl Profile for QualityProfile {
    const KIND: &'static str = "quality";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if self.version == 0 {
            out.push(FieldProblem::new("version", "must be at least 1"));
        }
        let d = &self.detection;
        if !(d.min_face_fraction > 0.0 && d.min_face_fraction <= 1.0) {
            out.push(FieldProblem::new(
                "detection.min_face_fraction",
                "must be in (0, 1]",
            ));
        }
        if d.min_face_px < 20 {
            out.push(FieldProblem::new(
                "detection.min_face_px",
                "the detector cannot find faces smaller than 20 px",
            ));
        }
        if !(d.score_threshold > 0.0 && d.score_threshold.is_finite()) {
            out.push(FieldProblem::new(
                "detection.score_threshold",
                "must be positive",
            ));
        }
        let h = &self.head_model;
        for (name, v) in [
            ("head_model.crown_above_eyes", h.crown_above_eyes),
            ("head_model.chin_below_eyes", h.chin_below_eyes),
            ("head_model.head_width", h.head_width),
        ] {
            if !(v > 0.5 && v < 5.0) {
                out.push(FieldProblem::new(name, "must be between 0.5 and 5 IED"));
            }
        }
        let c = &self.checks;
        if !(d.landmark_presence > 0.0 && d.landmark_presence < 1.0) {
            out.push(FieldProblem::new(
                "detection.landmark_presence",
                "must be in (0, 1)",
            ));
        }
        let limits: [(&str, &Limit); 30] = [
            ("checks.single-face", &c.single_face),
            ("checks.inter-eye-distance", &c.inter_eye_distance),
            ("checks.roll", &c.roll),
            ("checks.yaw", &c.yaw),
            ("checks.pitch", &c.pitch),
            ("checks.centring", &c.centring),
            ("checks.head-size", &c.head_size),
            ("checks.illumination", &c.illumination),
            ("checks.exposure.mean", &c.exposure.mean),
            ("checks.exposure.spread", &c.exposure.spread),
            ("checks.exposure.under", &c.exposure.under),
            ("checks.exposure.over", &c.exposure.over),
            ("checks.dynamic-range", &c.dynamic_range),
            ("checks.sharpness", &c.sharpness),
            ("checks.background.texture", &c.background.texture),
            ("checks.background.luminance", &c.background.luminance),
            ("checks.background.colour", &c.background.colour),
            ("checks.colour.a", &c.colour.a),
            ("checks.colour.b", &c.colour.b),
            ("checks.colour.chroma", &c.colour.chroma),
            ("checks.compression", &c.compression),
            ("checks.eyes-open", &c.eyes_open),
            ("checks.mouth-closed", &c.mouth_closed),
            ("checks.expression", &c.expression),
            ("checks.eyes-visible", &c.eyes_visible),
            ("checks.head-covering", &c.head_covering),
            ("checks.glasses.frames", &c.glasses.frames),
            ("checks.glasses.reflection", &c.glasses.reflection),
            ("checks.glasses.tint", &c.glasses.tint),
            ("checks.resolution", &c.resolution),
        ];
        for (field, limit) in limits {
            out.extend(limit.problems(field));
        }
        if c.exposure.dark_level >= c.exposure.bright_level {
            out.push(FieldProblem::new(
                "checks.exposure.dark_level",
                "must be below bright_level",
            ));
        }
        let g = &self.crop;
        if !(1.0..=2.0).contains(&g.full_frontal_aspect) {
            out.push(FieldProblem::new(
                "crop.full_frontal_aspect",
                "height / width must be between 1 and 2",
            ));
        }
        if !(0.2..=0.8).contains(&g.full_frontal_eye_line) {
            out.push(FieldProblem::new(
                "crop.full_frontal_eye_line",
                "must be between 0.2 and 0.8 of the height",
            ));
        }
        if !(0.3..=0.95).contains(&g.full_frontal_head_height) {
            out.push(FieldProblem::new(
                "crop.full_frontal_head_height",
                "must be between 0.3 and 0.95 of the height",
            ));
        }
        if g.token_min_width < 240 {
            out.push(FieldProblem::new(
                "crop.token_min_width",
                "ISO/IEC 19794-5 §9 requires at least 240 px",
            ));
        }
        let o = &self.output;
        if o.max_bytes < 1000 {
            out.push(FieldProblem::new(
                "output.max_bytes",
                "must be at least 1000",
            ));
        }
        if !(o.target_ied >= 60.0 && o.target_ied <= 1000.0) {
            out.push(FieldProblem::new(
                "output.target_ied",
                "must be between 60 and 1000 px",
            ));
        }
        if !(1..=100).contains(&o.min_jpeg_quality) {
            out.push(FieldProblem::new(
                "output.min_jpeg_quality",
                "must be between 1 and 100",
            ));
        }
        let k = &self.capture;
        if !(1..=100).contains(&k.stable_frames) {
            out.push(FieldProblem::new(
                "capture.stable_frames",
                "must be between 1 and 100",
            ));
        }
        if !(k.timeout_seconds > 0.0 && k.timeout_seconds <= 600.0) {
            out.push(FieldProblem::new(
                "capture.timeout_seconds",
                "must be in (0, 600]",
            ));
        }
        if !(160..=1920).contains(&k.preview_width) {
            out.push(FieldProblem::new(
                "capture.preview_width",
                "must be between 160 and 1920",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::parse;

    const ICAO: &str = include_str!("../../../../hardware-profiles/quality/icao-portrait.toml");

    #[test]
    fn the_default_profile_is_versioned() {
        let p = QualityProfile::builtin_default().unwrap();
        assert_eq!(p.id, DEFAULT_ID);
        assert!(p.version >= 1);
    }

    #[test]
    fn limit_bands() {
        let l = Limit {
            fail_below: Some(90.0),
            warn_below: Some(120.0),
            source: "x".into(),
            ..Limit::default()
        };
        assert_eq!(l.verdict(80.0), Verdict::Fail);
        assert_eq!(l.verdict(90.0), Verdict::Warn);
        assert_eq!(l.verdict(120.0), Verdict::Pass);
        assert_eq!(l.verdict(f64::NAN), Verdict::Fail);
    }

    #[test]
    fn unordered_or_unsourced_limits_are_rejected() {
        let text = ICAO.replacen("fail_below = 90.0", "fail_below = 130.0", 1);
        let e = parse::<QualityProfile>("icao-portrait.toml", &text).unwrap_err();
        assert_eq!(e.field, "checks.inter-eye-distance.warn_below", "{e}");
        let text = ICAO.replacen(
            "source = \"ISO/IEC 39794-5 Annex D / ICAO portrait quality guidance: IED >= 90 px minimum, >= 120 px recommended\"",
            "source = \" \"",
            1,
        );
        let e = parse::<QualityProfile>("icao-portrait.toml", &text).unwrap_err();
        assert_eq!(e.field, "checks.inter-eye-distance.source", "{e}");
    }
}
