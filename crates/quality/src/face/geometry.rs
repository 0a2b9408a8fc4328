//! Head geometry from the eye centres: inter-eye distance, roll, a yaw estimate, horizontal
//! centring, head size and the ISO/IEC 19794-5:2005 §8.3 full-frontal crop with its margins.
//!
//! Without facial landmarks beyond the eyes, head extent is modelled in units of the
//! inter-eye distance (profile `head_model`, adult anthropometric means), corrected for yaw as
//! OFIQ corrects IED (`IED / cos(yaw)`).
//!
//! Yaw is an estimate: the head is modelled as a vertical cylinder of radius `R = head_width/2`
//! (in IED) with the eyes on its front at `±½ IED`, i.e. at angles `±φ`, `sin φ = 0.5/R`. When
//! the head turns by θ the projected eye midpoint moves `R·sin θ·cos φ` from the silhouette's
//! axis while the projected IED becomes `2R·cos θ·sin φ`, so
//! `θ = atan(2·tan φ · d / IED)` where `d` is the eye midpoint's offset from the centre of the
//! detector's face box, taken as the silhouette's axis. The detector box is only roughly
//! centred on the head, so the yaw limits allow for that error (see the profile's `source`).

use super::advice::{Advice, Margin, Side};
use super::detect::FaceBox;
use super::eyes::{EyePair, Point};
use super::report::{Check, CheckId};
use crate::Verdict;
use permitkit_model::profiles::quality::QualityProfile;

/// An axis-aligned rectangle in input pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
}

/// Head geometry of one face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// The eye centres.
    pub eyes: EyePair,
    /// Projected inter-eye distance in pixels.
    pub ied: f32,
    /// Eye-line angle in degrees, positive when the eye on the image's right is lower.
    pub roll_degrees: f32,
    /// Yaw estimate in degrees, positive when the subject turns towards the image's right.
    pub yaw_degrees: f32,
    /// Pitch in degrees, positive when the chin is raised (0 without landmarks).
    pub pitch_degrees: f32,
    /// Midpoint of the eyes.
    pub mid: Point,
    /// Estimated chin-to-crown height in pixels.
    pub head_height: f32,
    /// Estimated head width in pixels.
    pub head_width: f32,
    /// Estimated crown (top of the head) y.
    pub crown_y: f32,
    /// Estimated chin y.
    pub chin_y: f32,
    /// The full-frontal crop (19794-5 §8.3), possibly outside the image.
    pub full_frontal: Rect,
}

/// Measures the geometry of a face from its eyes and detector box.
pub fn measure(eyes: EyePair, face: &FaceBox, profile: &QualityProfile) -> Geometry {
    let hm = &profile.head_model;
    let f = |v: f64| super::raster::f32_of(v);
    let ied = eyes.left.distance(eyes.right).max(1.0);
    let roll = (eyes.left.y - eyes.right.y)
        .atan2(eyes.left.x - eyes.right.x)
        .to_degrees();
    let mid = eyes.left.midpoint(eyes.right);
    let radius = f(hm.head_width / 2.0).max(0.51);
    let sin_phi = 0.5 / radius;
    let tan_phi = sin_phi / (1.0 - sin_phi * sin_phi).sqrt();
    let (box_cx, _) = face.centre();
    let yaw = (2.0 * tan_phi * (mid.x - box_cx) / ied).atan().to_degrees();
    let ied_true = ied / yaw.to_radians().cos().max(0.2);
    let crown_y = mid.y - f(hm.crown_above_eyes) * ied_true;
    let chin_y = mid.y + f(hm.chin_below_eyes) * ied_true;
    let head_height = chin_y - crown_y;
    let head_width = f(hm.head_width) * ied_true;
    let g = &profile.crop;
    let crop_h = head_height / f(g.full_frontal_head_height);
    let crop_w = crop_h / f(g.full_frontal_aspect);
    let full_frontal = Rect {
        x: mid.x - crop_w / 2.0,
        y: mid.y - f(g.full_frontal_eye_line) * crop_h,
        w: crop_w,
        h: crop_h,
    };
    Geometry {
        eyes,
        ied,
        roll_degrees: roll,
        yaw_degrees: yaw,
        pitch_degrees: 0.0,
        mid,
        head_height,
        head_width,
        crown_y,
        chin_y,
        full_frontal,
    }
}

/// Measures the geometry of a face from its landmarks: eyes from the iris centres, yaw and
/// pitch from the mesh ([`super::pose`]), the chin from the mesh, the crown from the head model
/// (the mean of its IED estimate and its eye-to-chin proportion applied to the measured chin),
/// the head width from the face oval at the cheekbones.
pub fn from_landmarks(
    lm: &super::landmarks::Landmarks,
    face: &FaceBox,
    profile: &QualityProfile,
) -> Geometry {
    use super::landmarks::index;
    let hm = &profile.head_model;
    let f = |v: f64| super::raster::f32_of(v);
    let mut g = measure(lm.eyes(), face, profile);
    let pose = super::pose::estimate(lm);
    g.yaw_degrees = pose.yaw;
    g.pitch_degrees = pose.pitch;
    let ied_true = g.ied / pose.yaw.to_radians().cos().max(0.2);
    let (sin, cos) = g.roll_degrees.to_radians().sin_cos();
    let chin = lm.at(index::CHIN);
    // Distance from the eye line to the chin along the face's vertical axis.
    let down = -(chin.x - g.mid.x) * sin + (chin.y - g.mid.y) * cos;
    let down = down.max(0.5 * g.ied);
    let by_ied = f(hm.crown_above_eyes) * ied_true;
    let by_chin = down * f(hm.crown_above_eyes / hm.chin_below_eyes);
    let up = 0.5 * (by_ied + by_chin);
    g.chin_y = g.mid.y + down * cos;
    g.crown_y = g.mid.y - up * cos;
    g.head_height = up + down;
    let [r, l] = index::CHEEKBONES.map(|i| lm.at(i));
    g.head_width = (r.distance(l) * 1.1).max(g.ied * 1.5);
    let c = &profile.crop;
    let crop_h = g.head_height / f(c.full_frontal_head_height);
    let crop_w = crop_h / f(c.full_frontal_aspect);
    g.full_frontal = Rect {
        x: g.mid.x - crop_w / 2.0,
        y: g.mid.y - f(c.full_frontal_eye_line) * crop_h,
        w: crop_w,
        h: crop_h,
    };
    g
}

/// The geometric checks: inter-eye distance, roll, yaw, and centring and head size in the frame
/// that goes on the chip ([`chip_frame`]): the eye midpoint's horizontal offset from that
/// frame's centre (19794-5 §8.3.2), the chin-to-crown height as a share of its height (§8.3.5,
/// ICAO 70–80 %), and whether the frame keeps the §8.3.1 proportions (otherwise there is not
/// enough room around the head for the crop).
pub fn checks(g: &Geometry, width: u32, height: u32, profile: &QualityProfile) -> Vec<Check> {
    let c = &profile.checks;
    let (w, h) = (width as f32, height as f32);
    let mut out = Vec::with_capacity(5);

    let ied = f64::from(g.ied);
    let v = c.inter_eye_distance.verdict(ied);
    let need = c
        .inter_eye_distance
        .fail_below
        .or(c.inter_eye_distance.warn_below)
        .unwrap_or(0.0);
    let want = c.inter_eye_distance.warn_below.unwrap_or(need);
    let msg = match v {
        Verdict::Pass => Advice::EyeDistance { pixels: ied },
        Verdict::Warn => Advice::FewPixelsBetweenEyes {
            pixels: ied,
            recommended: want,
        },
        Verdict::Fail => Advice::TooFewPixelsBetweenEyes {
            pixels: ied,
            needed: need,
        },
    };
    out.push(Check::new(CheckId::InterEyeDistance, ied, v, msg));

    let roll = f64::from(g.roll_degrees);
    let v = c.roll.verdict(roll.abs());
    let msg = match v {
        Verdict::Pass => Advice::EyeLineLevel {
            within: roll.abs().ceil(),
        },
        _ => Advice::HeadTilted {
            degrees: roll.abs(),
            towards: if roll > 0.0 { Side::Right } else { Side::Left },
        },
    };
    out.push(Check::new(CheckId::Roll, roll, v, msg));

    let yaw = f64::from(g.yaw_degrees);
    let v = c.yaw.verdict(yaw.abs());
    let msg = match v {
        Verdict::Pass => Advice::FacingCamera,
        _ => Advice::HeadTurned {
            degrees: yaw.abs(),
            towards: if yaw > 0.0 { Side::Right } else { Side::Left },
        },
    };
    out.push(Check::new(CheckId::Yaw, yaw, v, msg));

    let frame = chip_frame(g, w, h);
    let (aspect_lo, aspect_hi) = ASPECT;
    let offset = f64::from((g.mid.x - (frame.x + frame.w / 2.0)) / frame.w.max(1.0));
    let aspect = f64::from(frame.h / frame.w.max(1.0));
    let mut v = c.centring.verdict(offset.abs());
    let mut msg = match v {
        Verdict::Pass => Advice::FaceCentred,
        _ => Advice::FaceOffCentre {
            share: offset.abs(),
            towards: if offset > 0.0 {
                Side::Right
            } else {
                Side::Left
            },
        },
    };
    if aspect > aspect_hi {
        v = Verdict::Fail;
        msg = Advice::NoRoomBeside {
            side: if frame.x > g.full_frontal.x {
                Side::Left
            } else {
                Side::Right
            },
        };
    }
    out.push(Check::new(CheckId::Centring, offset, v, msg));

    let size = f64::from(g.head_height / frame.h.max(1.0));
    let mut v = c.head_size.verdict(size);
    let mut msg = match v {
        Verdict::Pass => Advice::HeadHeight { share: size },
        _ if size > c.head_size.warn_above.unwrap_or(f64::MAX) => {
            Advice::HeadTooLarge { share: size }
        }
        _ => Advice::HeadTooSmall { share: size },
    };
    let tol = 1.0;
    let above = g.crown_y < -tol || (aspect < aspect_lo && frame.y > g.full_frontal.y);
    let below =
        g.chin_y > h + tol || (aspect < aspect_lo && frame.bottom() < g.full_frontal.bottom());
    let missing = match (above, below) {
        (true, true) => Some(Margin::Both),
        (true, false) => Some(Margin::AboveHead),
        (false, true) => Some(Margin::BelowChin),
        (false, false) => None,
    };
    if let Some(missing) = missing {
        v = Verdict::Fail;
        msg = Advice::NoRoomAboveOrBelow { missing };
    }
    out.push(Check::new(CheckId::HeadSize, size, v, msg));
    out
}

/// Height / width of the portrait that ISO/IEC 19794-5:2005 §8.3.1 allows (1.25–1.34).
const ASPECT: (f64, f64) = (1.25, 1.34);

/// The frame that goes on the chip: the full-frontal crop clipped to the image, as
/// [`super::crop`] cuts it. Centring and head size are judged in it.
pub fn chip_frame(g: &Geometry, width: f32, height: f32) -> Rect {
    let r = &g.full_frontal;
    let x0 = r.x.clamp(0.0, width);
    let y0 = r.y.clamp(0.0, height);
    let x1 = r.right().clamp(x0, width);
    let y1 = r.bottom().clamp(y0, height);
    Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> QualityProfile {
        QualityProfile::builtin_default().unwrap()
    }

    fn face_at(cx: f32, cy: f32, w: f32) -> FaceBox {
        FaceBox {
            x: cx - w / 2.0,
            y: cy - w / 2.0,
            w,
            h: w,
            score: 5.0,
        }
    }

    #[test]
    fn roll_sign_and_ied() {
        let eyes = EyePair {
            right: Point { x: 100.0, y: 100.0 },
            left: Point { x: 200.0, y: 110.0 },
        };
        let g = measure(eyes, &face_at(150.0, 120.0, 250.0), &profile());
        assert!((g.ied - 100.5).abs() < 0.1);
        assert!((g.roll_degrees - 5.71).abs() < 0.05, "{}", g.roll_degrees);
        assert!(g.yaw_degrees.abs() < 0.01);
    }

    #[test]
    fn yaw_follows_the_eye_offset_in_the_face_box() {
        let eyes = EyePair {
            right: Point { x: 120.0, y: 100.0 },
            left: Point { x: 220.0, y: 100.0 },
        };
        let g = measure(eyes, &face_at(150.0, 120.0, 250.0), &profile());
        // d/IED = 0.2, R = 1.2 IED: θ = atan(2 · tan(asin(0.5/1.2)) · 0.2) = 10.4°.
        assert!((g.yaw_degrees - 10.4).abs() < 0.2, "{}", g.yaw_degrees);
    }

    #[test]
    fn centring_and_head_size_are_judged_in_the_chip_frame() {
        let p = profile();
        let find = |all: &[Check], id| all.iter().find(|c| c.id == id).unwrap().clone();
        // Off-centre in the image, but the crop fits: centred on the chip.
        let eyes = EyePair {
            right: Point { x: 400.0, y: 400.0 },
            left: Point { x: 520.0, y: 400.0 },
        };
        let all = checks(
            &measure(eyes, &face_at(460.0, 420.0, 300.0), &p),
            1920,
            1080,
            &p,
        );
        assert_eq!(find(&all, CheckId::Centring).verdict, Verdict::Pass);
        let head = find(&all, CheckId::HeadSize);
        assert_eq!(head.verdict, Verdict::Pass, "{}", head.message);
        assert!((head.value - 0.75).abs() < 0.01, "{}", head.value);
        // At the left edge: the crop is cut on the left.
        let eyes = EyePair {
            right: Point { x: 20.0, y: 300.0 },
            left: Point { x: 140.0, y: 300.0 },
        };
        let all = checks(
            &measure(eyes, &face_at(80.0, 320.0, 300.0), &p),
            1920,
            1080,
            &p,
        );
        let centring = find(&all, CheckId::Centring);
        assert_eq!(centring.verdict, Verdict::Fail);
        assert!(
            centring.message.contains("image's left"),
            "{}",
            centring.message
        );
        assert!(centring.value < -0.05, "{}", centring.value);
        // Near the top: no room above the head, the head fills the frame.
        let eyes = EyePair {
            right: Point { x: 900.0, y: 150.0 },
            left: Point {
                x: 1020.0,
                y: 150.0,
            },
        };
        let all = checks(
            &measure(eyes, &face_at(960.0, 170.0, 300.0), &p),
            1920,
            1080,
            &p,
        );
        let head = find(&all, CheckId::HeadSize);
        assert_eq!(head.verdict, Verdict::Fail);
        assert!(head.message.contains("above the head"), "{}", head.message);
        assert!(head.value > 0.8, "{}", head.value);
    }
}
