//! Eyes open (ISO/IEC 29794-5 component 4D), mouth closed (4E) and expression neutrality (5B)
//! from the face mesh (ICAO / ISO/IEC 19794-5:2005 §7.2: neutral expression, both eyes open,
//! mouth closed; `docs/spec/biometric-formats.md` §2–3).
//!
//! Every measure is a distance between landmarks divided by the inter-eye distance (IED), as
//! OFIQ normalises its eye-openness measure, and is taken in the frame of the eye line so that
//! roll does not change it:
//! - eye opening: per eye, the smaller of the mean distance between facing points of the upper
//!   and lower lid and the height of the dark iris band between the lids ([`super::eyelids`]:
//!   the mesh does not follow a shut lid, the band does); the check takes the less open eye;
//! - mouth opening: largest gap between facing points of the inner lip contours;
//! - smile: mouth corners raised above the midline of the lips (corner lift) plus mouth width
//!   beyond its neutral share of the IED ([`NEUTRAL_MOUTH_WIDTH`]); a neutral face gives about
//!   0, a broad smile widens the mouth and lifts the corners.

use super::advice::{Advice, EyeFigures, Eyes};
use super::eyelids;
use super::eyes::Point;
use super::landmarks::{Landmarks, index};
use super::raster::Plane;
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Mouth width (corner to corner) of a neutral face, in IED (calibrated on the neutral
/// portraits of `testdata/images`).
pub const NEUTRAL_MOUTH_WIDTH: f32 = 0.85;

/// The raw measures, in IED.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measures {
    /// Eyelid opening of the subject's right and left eye (the mesh's lid distance).
    pub eye_opening: [f32; 2],
    /// Height of the dark iris band between the lids of the subject's right and left eye.
    pub iris_band: [f32; 2],
    /// Largest gap between the inner lips.
    pub mouth_opening: f32,
    /// Corner-to-corner mouth width.
    pub mouth_width: f32,
    /// Height of the mouth corners above the lips' midline (negative when lower).
    pub corner_lift: f32,
}

impl Measures {
    /// The smile measure the expression check limits.
    pub fn smile(&self) -> f32 {
        self.corner_lift.max(0.0) + (self.mouth_width - NEUTRAL_MOUTH_WIDTH).max(0.0)
    }

    /// The opening of each eye the eyes-open check judges: the smaller of the lid distance and
    /// the iris band.
    pub fn openness(&self) -> [f32; 2] {
        [0, 1].map(|i| {
            let lid = self.eye_opening.get(i).copied().unwrap_or(0.0);
            let band = self.iris_band.get(i).copied().unwrap_or(0.0);
            lid.min(band)
        })
    }
}

/// Mesh points on the cheeks below the subject's right and left eye (the skin reference).
const CHEEKS: [usize; 2] = [50, 280];

/// Measures `lm` (and the eyes' appearance on `luma`) in units of `ied`.
pub fn measure(lm: &Landmarks, luma: &Plane, ied: f32) -> Measures {
    let ied = ied.max(1.0);
    let (sin, cos) = lm.eye_line_angle().sin_cos();
    // Coordinates in the eye-line frame (u along the eye line, v down the face).
    let frame = |p: Point| (p.x * cos + p.y * sin, -p.x * sin + p.y * cos);
    let gap = |a: usize, b: usize| {
        let (_, va) = frame(lm.at(a));
        let (_, vb) = frame(lm.at(b));
        (vb - va) / ied
    };
    let opening = |upper: [usize; 3], lower: [usize; 3]| {
        upper
            .iter()
            .zip(lower)
            .map(|(&u, l)| gap(u, l))
            .sum::<f32>()
            / 3.0
    };
    let eye_opening = [
        opening(index::RIGHT_EYE_UPPER, index::RIGHT_EYE_LOWER),
        opening(index::LEFT_EYE_UPPER, index::LEFT_EYE_LOWER),
    ];
    let mouth_opening = index::INNER_UPPER_LIP
        .iter()
        .zip(index::INNER_LOWER_LIP)
        .skip(2)
        .take(7)
        .map(|(&u, l)| gap(u, l))
        .fold(0.0f32, f32::max);
    let [rc, lc] = index::MOUTH_CORNERS.map(|i| frame(lm.at(i)));
    let mouth_width = (lc.0 - rc.0) / ied;
    let mid_v = index::INNER_LIPS
        .iter()
        .map(|&i| frame(lm.at(i)).1)
        .sum::<f32>()
        / 2.0;
    let corner_lift = (mid_v - (rc.1 + lc.1) / 2.0) / ied;
    let angle = lm.eye_line_angle();
    let iris_band = [(lm.right_eye, CHEEKS[0]), (lm.left_eye, CHEEKS[1])].map(|(eye, cheek)| {
        let skin = eyelids::disc_luma(luma, lm.at(cheek), 0.12 * ied);
        eyelids::band(luma, eye, angle, ied, skin).height
    });
    Measures {
        eye_opening,
        iris_band,
        mouth_opening,
        mouth_width,
        corner_lift,
    }
}

/// The eyes-open, mouth-closed and expression checks.
pub fn checks(m: &Measures, profile: &QualityProfile) -> [Check; 3] {
    let c = &profile.checks;
    let [right, left] = m.openness();
    let least = right.min(left);
    let v = c.eyes_open.verdict(f64::from(least));
    let figures = EyeFigures {
        lids: m.eye_opening,
        iris_band: m.iris_band,
    };
    let msg = match v {
        Verdict::Pass => Advice::EyesOpen { figures },
        _ => Advice::EyesClosed {
            which: if (right - left).abs() < 0.02 {
                Eyes::Both
            } else if right < left {
                Eyes::ImageLeft
            } else {
                Eyes::ImageRight
            },
            figures,
        },
    };
    let eyes = Check::new(CheckId::EyesOpen, f64::from(least), v, msg);

    let v = c.mouth_closed.verdict(f64::from(m.mouth_opening));
    let msg = match v {
        Verdict::Pass => Advice::MouthClosed,
        _ => Advice::MouthOpen,
    };
    let mouth = Check::new(CheckId::MouthClosed, f64::from(m.mouth_opening), v, msg);

    let smile = m.smile();
    let v = c.expression.verdict(f64::from(smile));
    let msg = match v {
        Verdict::Pass => Advice::NeutralExpression,
        _ => Advice::Smiling,
    };
    let expr = Check::new(CheckId::Expression, f64::from(smile), v, msg);
    [eyes, mouth, expr]
}
