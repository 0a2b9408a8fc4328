//! Eyes open (ISO/IEC 29794-5 component 4D), mouth closed (4E) and expression neutrality (5B)
//! from the face mesh (ICAO / ISO/IEC 19794-5:2005 §7.2: neutral expression, both eyes open,
//! mouth closed; `docs/spec/biometric-formats.md` §2–3).
//!
//! Every measure is a distance between landmarks divided by the inter-eye distance (IED), as
//! OFIQ normalises its eye-openness measure, and is taken in the frame of the eye line so that
//! roll does not change it:
//! - eye opening: mean distance between facing points of the upper and lower lid, of the less
//!   open eye;
//! - mouth opening: largest gap between facing points of the inner lip contours;
//! - smile: mouth corners raised above the midline of the lips (corner lift) plus mouth width
//!   beyond its neutral share of the IED ([`NEUTRAL_MOUTH_WIDTH`]); a neutral face gives about
//!   0, a broad smile widens the mouth and lifts the corners.

use super::eyes::Point;
use super::landmarks::{Landmarks, index};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Mouth width (corner to corner) of a neutral face, in IED (calibrated on the neutral
/// portraits of `testdata/images`).
pub const NEUTRAL_MOUTH_WIDTH: f32 = 0.85;

/// The raw measures, in IED.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measures {
    /// Eyelid opening of the subject's right and left eye.
    pub eye_opening: [f32; 2],
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
}

/// Measures `lm` in units of `ied`.
pub fn measure(lm: &Landmarks, ied: f32) -> Measures {
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
    Measures {
        eye_opening,
        mouth_opening,
        mouth_width,
        corner_lift,
    }
}

/// The eyes-open, mouth-closed and expression checks.
pub fn checks(m: &Measures, profile: &QualityProfile) -> [Check; 3] {
    let c = &profile.checks;
    let least = m.eye_opening[0].min(m.eye_opening[1]);
    let v = c.eyes_open.verdict(f64::from(least));
    let msg = match v {
        Verdict::Pass => "both eyes open".to_owned(),
        _ => {
            let which = if (m.eye_opening[0] - m.eye_opening[1]).abs() < 0.02 {
                "the eyes look closed or half closed"
            } else if m.eye_opening[0] < m.eye_opening[1] {
                "the subject's right eye (image left) looks closed or half closed"
            } else {
                "the subject's left eye (image right) looks closed or half closed"
            };
            format!("{which}: ask the applicant to open both eyes and look into the camera")
        }
    };
    let eyes = Check::new(CheckId::EyesOpen, f64::from(least), v, msg);

    let v = c.mouth_closed.verdict(f64::from(m.mouth_opening));
    let msg = match v {
        Verdict::Pass => "mouth closed".to_owned(),
        _ => "mouth open: ask the applicant to close the mouth and relax the face".to_owned(),
    };
    let mouth = Check::new(CheckId::MouthClosed, f64::from(m.mouth_opening), v, msg);

    let smile = m.smile();
    let v = c.expression.verdict(f64::from(smile));
    let msg = match v {
        Verdict::Pass => "neutral expression".to_owned(),
        _ => {
            "smiling: ask the applicant for a neutral expression, mouth closed, no smile".to_owned()
        }
    };
    let expr = Check::new(CheckId::Expression, f64::from(smile), v, msg);
    [eyes, mouth, expr]
}
