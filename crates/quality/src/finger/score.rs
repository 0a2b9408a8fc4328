//! Combining the measures into a 0–100 score and actionable flags.
//!
//! NFIQ 2 maps its feature vector to a score with a trained random forest. This crate keeps the
//! mapping transparent instead: every measure is mapped linearly onto 0–1 between a "poor" and a
//! "good" anchor, a weighted mean of the structural measures gives the ridge quality, and three
//! factors scale it for contrast, sharpness and foreground area:
//!
//! ```text
//! ridge    = 0.30·LCS' + 0.20·OCL' + 0.20·FDA' + 0.15·(1 − RVU') + 0.15·(1 − OF')
//! balance  = 1 − 0.6·clamp(|ln(ridge/valley width ratio)| / ln 2.5)
//! score    = 100 · ridge · balance · contrast' · sharpness' · area'
//! ```
//!
//! The anchors were calibrated on generated prints (`synth`, 40 seeds × every condition): the
//! "good" anchor sits near the 10th percentile of clean prints and the "poor" anchor near the
//! median of the degraded ones, so that each degradation lowers the score of the print it was
//! applied to. The flags are separate threshold tests on single measures so that the operator
//! is told what to fix.

use serde::Serialize;

/// Measures of a whole image (means or medians over foreground blocks).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FingerMeasures {
    /// Mean orientation certainty level (0–1, higher is better).
    pub ocl: f64,
    /// Mean local clarity score (0–1, higher is better).
    pub lcs: f64,
    /// Mean frequency-domain analysis score (0–1, higher is better).
    pub fda: f64,
    /// Mean ridge-valley uniformity (standard deviation of width ratios; lower is better).
    pub rvu: f64,
    /// Mean orientation flow (0–1; lower is better).
    pub of: f64,
    /// Median harmonic-to-fundamental ratio of the ridge profile (low: blurred).
    pub sharpness: f64,
    /// Median peak-to-peak ridge contrast (grey levels).
    pub contrast: f64,
    /// Median ridge width over valley width (above 1: wet, below 1: dry).
    pub ridge_valley_ratio: f64,
    /// Median ridge period (pixels; about 9 at 500 ppi).
    pub ridge_period: f64,
    /// Mean grey level of the foreground blocks (NFIQ 2 "MMB").
    pub mean_brightness: f64,
    /// Mean grey level of the whole image (NFIQ 2 "Mu").
    pub mean: f64,
    /// Foreground area in square millimetres.
    pub foreground_mm2: f64,
    /// Foreground share of the image, 0–1.
    pub foreground_fraction: f64,
    /// Number of foreground blocks.
    pub foreground_blocks: usize,
}

/// An actionable finding about a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FingerFlag {
    /// No finger on the image.
    Empty,
    /// Too little finger area for reliable comparison.
    TooLittleForeground,
    /// Ridges too faint.
    LowContrast,
    /// Blurred ridges (finger moved, or the platen is smeared).
    Blurred,
    /// Wet or oily skin: ridges merge into smudges.
    Smudged,
    /// Dry skin: thin, broken ridges.
    TooDry,
}

impl FingerFlag {
    /// Kebab-case name, as in JSON reports.
    pub fn name(self) -> &'static str {
        match self {
            FingerFlag::Empty => "empty",
            FingerFlag::TooLittleForeground => "too-little-foreground",
            FingerFlag::LowContrast => "low-contrast",
            FingerFlag::Blurred => "blurred",
            FingerFlag::Smudged => "smudged",
            FingerFlag::TooDry => "too-dry",
        }
    }

    /// What the operator should do.
    pub fn advice(self) -> &'static str {
        match self {
            FingerFlag::Empty => "no finger detected: place the finger flat on the platen",
            FingerFlag::TooLittleForeground => {
                "too little of the finger was captured: centre the finger and press it flat"
            }
            FingerFlag::LowContrast => {
                "ridges too faint: clean the platen and press a little harder"
            }
            FingerFlag::Blurred => "blurred: keep the finger still until the capture ends",
            FingerFlag::Smudged => "smudged: dry the finger and clean the platen",
            FingerFlag::TooDry => {
                "skin too dry: moisten the finger slightly (breathe on it) and retry"
            }
        }
    }

    /// Whether this flag alone makes a capture unusable, whatever the score.
    pub fn is_blocking(self) -> bool {
        matches!(self, FingerFlag::Empty | FingerFlag::TooLittleForeground)
    }
}

impl std::fmt::Display for FingerFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Flag thresholds (calibrated with the anchors; see the module documentation).
pub(crate) mod limits {
    /// Foreground below this many mm² is empty.
    pub(crate) const EMPTY_MM2: f64 = 12.0;
    /// Foreground below this many mm² is too little (≈ 12 × 12 mm; a plain index finger
    /// impression covers 200–350 mm²).
    pub(crate) const MIN_FOREGROUND_MM2: f64 = 150.0;
    /// Median ridge contrast below this (grey levels) is low.
    pub(crate) const MIN_CONTRAST: f64 = 60.0;
    /// Median harmonic ratio below this is blurred.
    pub(crate) const MIN_SHARPNESS: f64 = 0.02;
    /// Ridge/valley width ratio above this is smudged (wet).
    pub(crate) const MAX_RATIO: f64 = 1.2;
    /// Ridge/valley width ratio below this is too dry.
    pub(crate) const MIN_RATIO: f64 = 0.7;
    /// Foreground darker than this with unclear ridges is smudged.
    pub(crate) const SMUDGE_BRIGHTNESS: f64 = 145.0;
    /// Foreground brighter than this with unclear ridges is too dry.
    pub(crate) const DRY_BRIGHTNESS: f64 = 200.0;
    /// Local clarity below this counts as unclear for the wet and dry tests.
    pub(crate) const UNCLEAR_LCS: f64 = 0.87;
}

/// Linear map of `v` from `[poor, good]` onto `[0, 1]`, clamped (works for either order).
fn ramp(v: f64, poor: f64, good: f64) -> f64 {
    ((v - poor) / (good - poor)).clamp(0.0, 1.0)
}

/// The 0–100 score for `m`.
pub(crate) fn score(m: &FingerMeasures) -> u8 {
    if m.foreground_blocks == 0 {
        return 0;
    }
    let ridge = 0.30 * ramp(m.lcs, 0.55, 0.92)
        + 0.20 * ramp(m.ocl, 0.30, 0.80)
        + 0.20 * ramp(m.fda, 0.30, 0.60)
        + 0.15 * ramp(m.rvu, 0.60, 0.10)
        + 0.15 * ramp(m.of, 0.30, 0.06);
    let imbalance = if m.ridge_valley_ratio > 0.0 {
        libm::log(m.ridge_valley_ratio).abs() / libm::log(2.5)
    } else {
        1.0
    };
    let balance = 1.0 - 0.6 * imbalance.clamp(0.0, 1.0);
    let contrast = 0.25 + 0.75 * ramp(m.contrast, 25.0, 110.0);
    let sharpness = 0.30 + 0.70 * ramp(m.sharpness, 0.005, 0.06);
    let area = ramp(m.foreground_mm2, 40.0, 200.0);
    let s = 100.0 * ridge * balance * contrast * sharpness * area;
    s.round().clamp(0.0, 100.0) as u8
}

/// The flags raised by `m`, in a stable order. A faint image is reported as the most specific
/// cause: blur, wet or dry skin before plain low contrast.
pub(crate) fn flags(m: &FingerMeasures) -> Vec<FingerFlag> {
    use limits::*;
    let mut out = Vec::new();
    if m.foreground_mm2 < EMPTY_MM2 {
        out.push(FingerFlag::Empty);
        return out;
    }
    if m.foreground_mm2 < MIN_FOREGROUND_MM2 {
        out.push(FingerFlag::TooLittleForeground);
    }
    let unclear = m.lcs < UNCLEAR_LCS;
    let blurred = m.sharpness < MIN_SHARPNESS;
    let smudged =
        m.ridge_valley_ratio > MAX_RATIO || (unclear && m.mean_brightness < SMUDGE_BRIGHTNESS);
    let dry = (m.ridge_valley_ratio > 0.0 && m.ridge_valley_ratio < MIN_RATIO)
        || (unclear && m.mean_brightness > DRY_BRIGHTNESS);
    if m.contrast < MIN_CONTRAST && !blurred && !smudged && !dry {
        out.push(FingerFlag::LowContrast);
    }
    if blurred {
        out.push(FingerFlag::Blurred);
    }
    if smudged {
        out.push(FingerFlag::Smudged);
    }
    if dry {
        out.push(FingerFlag::TooDry);
    }
    out
}
