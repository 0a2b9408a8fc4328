//! Per-impression geometry: where the finger lands on the platen and how the skin stretches.
//!
//! Placement is a rigid translation and rotation. Skin elasticity follows the plastic-distortion
//! model of Cappelli, Maio and Maltoni ("Modelling plastic distortion in fingerprint images",
//! ICAPR 2001): a close-contact region around the centre does not move, an external region is
//! displaced by a small rigid motion (the finger dragged or twisted while pressed), and a
//! transition region between them blends the two smoothly.

use super::{rng::Rng, shape::Shape};

/// An output-pixel → master-pattern mapping for one impression.
#[derive(Debug, Clone)]
pub(crate) struct Distortion {
    /// Placement: output = R·(master − centre) + centre + shift.
    shift: (f64, f64),
    rot: (f64, f64),
    centre: (f64, f64),
    /// Plastic part: rigid motion of the external region, and the radii of the close-contact
    /// and transition regions.
    drag: (f64, f64),
    twist: (f64, f64),
    inner: f64,
    outer: f64,
}

impl Distortion {
    /// A random impression of a finger with silhouette `shape`; `strength` scales every
    /// displacement (0 = the master pattern exactly as generated).
    pub(crate) fn new(rng: &mut Rng, shape: &Shape, strength: f64) -> Self {
        let size = shape.half_width.min(shape.top);
        let shift = (
            strength * rng.range(-0.08, 0.08) * shape.half_width,
            strength * rng.range(-0.06, 0.06) * shape.top,
        );
        let angle = strength * rng.range(-0.14, 0.14);
        let twist = strength * rng.range(-0.05, 0.05);
        Self {
            shift,
            rot: (libm::cos(angle), libm::sin(angle)),
            centre: (shape.cx, shape.cy),
            drag: (
                strength * rng.range(-0.05, 0.05) * size,
                strength * rng.range(-0.05, 0.05) * size,
            ),
            twist: (libm::cos(twist), libm::sin(twist)),
            inner: size * rng.range(0.25, 0.40),
            outer: size * rng.range(0.85, 1.10),
        }
    }

    /// The identity mapping.
    #[cfg(test)]
    pub(crate) fn none(shape: &Shape) -> Self {
        Self {
            shift: (0.0, 0.0),
            rot: (1.0, 0.0),
            centre: (shape.cx, shape.cy),
            drag: (0.0, 0.0),
            twist: (1.0, 0.0),
            inner: 1.0,
            outer: 2.0,
        }
    }

    /// The master-pattern position seen at output pixel `(x, y)`.
    pub(crate) fn source(&self, x: f64, y: f64) -> (f64, f64) {
        // Undo placement: rotate back about the centre after removing the shift.
        let (cx, cy) = self.centre;
        let (px, py) = (x - self.shift.0 - cx, y - self.shift.1 - cy);
        let (c, s) = self.rot;
        let (mx, my) = (c * px + s * py, -s * px + c * py);
        // Plastic part, applied as an inverse displacement (small, so first order suffices).
        let r = libm::sqrt(mx * mx + my * my);
        let t = ((r - self.inner) / (self.outer - self.inner).max(1.0)).clamp(0.0, 1.0);
        let brake = t * t * (3.0 - 2.0 * t);
        let (tc, ts) = self.twist;
        let (ex, ey) = (
            tc * mx - ts * my + self.drag.0,
            ts * mx + tc * my + self.drag.1,
        );
        let (dx, dy) = ((ex - mx) * brake, (ey - my) * brake);
        (mx - dx + cx, my - dy + cy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_contact_region_moves_rigidly_and_outside_is_dragged() {
        let shape = Shape {
            cx: 200.0,
            cy: 250.0,
            half_width: 150.0,
            top: 200.0,
            bottom: 250.0,
        };
        let mut rng = Rng::new(5);
        let d = Distortion::new(&mut rng, &shape, 1.0);
        // Two points inside the close-contact region keep their distance.
        let a = d.source(200.0, 250.0);
        let b = d.source(210.0, 250.0);
        let dist = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        assert!((dist - 10.0).abs() < 1e-6, "{dist}");
        let id = Distortion::none(&shape);
        assert_eq!(id.source(17.0, 33.0), (17.0, 33.0));
    }
}
