//! Fingertip silhouette: the region a plain impression can cover. After SFinGe's shape model
//! (Cappelli et al., ICPR 2000: an elliptical tip above, a boxier lower part towards the first
//! crease), written here as two super-ellipse halves.

/// A fingertip silhouette in full-resolution pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) cx: f64,
    pub(crate) cy: f64,
    pub(crate) half_width: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
}

impl Shape {
    /// Approximate signed distance (pixels) from the silhouette's edge: positive inside.
    pub(crate) fn distance_inside(&self, x: f64, y: f64) -> f64 {
        let dx = (x - self.cx).abs() / self.half_width;
        let (dy, p, scale) = if y < self.cy {
            ((self.cy - y) / self.top, 2.0, self.half_width.min(self.top))
        } else {
            (
                (y - self.cy) / self.bottom,
                3.0,
                self.half_width.min(self.bottom),
            )
        };
        let r = libm::pow(libm::pow(dx, p) + libm::pow(dy, p), 1.0 / p);
        (1.0 - r) * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_inside_and_corners_outside() {
        let s = Shape {
            cx: 200.0,
            cy: 240.0,
            half_width: 150.0,
            top: 200.0,
            bottom: 260.0,
        };
        assert!(s.distance_inside(200.0, 240.0) > 100.0);
        assert!(s.distance_inside(0.0, 0.0) < 0.0);
        assert!(s.distance_inside(399.0, 499.0) < 0.0);
        assert!(s.distance_inside(200.0, 45.0) > 0.0);
        assert!(s.distance_inside(200.0, 35.0) < 0.0);
    }
}
