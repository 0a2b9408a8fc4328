//! Head pose from the face mesh (ISO/IEC 29794-5 components 58 yaw, 59 pitch, 5A roll;
//! `docs/spec/biometric-formats.md` §2: yaw and pitch within ±5°, roll within ±8°).
//!
//! The mesh model gives every landmark a depth in the same pixel scale as x and y. The head's
//! axes are taken from symmetric landmark pairs: its left–right axis from the outer and inner
//! eye corners, the cheekbones and the mouth corners (subject's right to left), its up–down
//! axis from the forehead to the chin and from the eyes to the mouth. After Gram–Schmidt the
//! third axis is their cross product, pointing into the head; the face looks along its
//! opposite. Yaw and pitch are that direction's angles from the camera axis. Roll comes from
//! the eye centres (as before, [`super::geometry`]).
//!
//! The forehead–chin line of an upright head is not perpendicular to the line of sight (the
//! forehead slopes back), so pitch is measured from [`PITCH_ZERO`], the mean raw pitch the
//! mesh gives the near-frontal portraits of `testdata/images` (astronaut −8.8°, hopper −2.6°,
//! biden 2.4°, obama 1.8°).

use super::advice::Advice;
use super::geometry::Geometry;
use super::landmarks::{Landmarks, index};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// Raw pitch, degrees, of a frontal upright head (calibrated, see the module doc).
pub const PITCH_ZERO: f32 = -1.8;

/// Yaw and pitch, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pose {
    /// Positive when the subject turns towards the image's right.
    pub yaw: f32,
    /// Positive when the subject raises the chin.
    pub pitch: f32,
}

type V3 = [f32; 3];

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn scale(a: V3, k: f32) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: V3) -> V3 {
    let n = dot(a, a).sqrt();
    if n > 1e-6 { scale(a, 1.0 / n) } else { a }
}

/// Yaw and pitch of the head whose mesh is `lm`.
pub fn estimate(lm: &Landmarks) -> Pose {
    let p = |i: usize| lm.at3(i);
    let mid = |a: usize, b: usize| scale(add(p(a), p(b)), 0.5);
    let lateral = [
        (index::RIGHT_EYE_OUTER, index::LEFT_EYE_OUTER),
        (index::RIGHT_EYE_INNER, index::LEFT_EYE_INNER),
        (index::CHEEKBONES[0], index::CHEEKBONES[1]),
        (index::MOUTH_CORNERS[0], index::MOUTH_CORNERS[1]),
    ]
    .iter()
    .fold([0.0; 3], |acc, &(r, l)| add(acc, sub(p(l), p(r))));
    let eyes = mid(index::RIGHT_EYE_OUTER, index::LEFT_EYE_OUTER);
    let mouth = mid(index::MOUTH_CORNERS[0], index::MOUTH_CORNERS[1]);
    let vertical = add(sub(p(index::CHIN), p(index::FOREHEAD)), sub(mouth, eyes));
    let x = unit(lateral);
    let y = unit(sub(vertical, scale(x, dot(vertical, x))));
    let z = cross(x, y); // into the head
    let yaw = (-z[0]).atan2(z[2]).to_degrees();
    let pitch = z[1].atan2(z[2]).to_degrees() - PITCH_ZERO;
    Pose { yaw, pitch }
}

/// The pitch check (yaw and roll are judged with the rest of the geometry).
pub fn pitch_check(g: &Geometry, profile: &QualityProfile) -> Check {
    let pitch = f64::from(g.pitch_degrees);
    let v = profile.checks.pitch.verdict(pitch.abs());
    let msg = match v {
        Verdict::Pass => Advice::HeadLevel,
        _ if pitch > 0.0 => Advice::ChinRaised {
            degrees: pitch.abs(),
        },
        _ => Advice::HeadBowed {
            degrees: pitch.abs(),
        },
    };
    Check::new(CheckId::Pitch, pitch, v, msg)
}
