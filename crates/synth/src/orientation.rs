//! Orientation field from singular points: the zero-pole model of Sherlock and Monro ("A model
//! for interpreting fingerprint topology", Pattern Recognition 26(7), 1993), as used by SFinGe
//! (Cappelli, Maio, Maltoni, "Synthetic fingerprint-image generation", ICPR 2000):
//!
//! `θ(z) = θ₀ + ½ · (Σ arg(z − cₖ) − Σ arg(z − dₖ))`
//!
//! for cores `cₖ` and deltas `dₖ`. Plain arches have no singular point and use an analytic
//! arch-shaped flow instead. Angles are ridge directions in image coordinates (x right, y down),
//! modulo π.

use super::{FingerClass, rng::Rng};

/// A core or a delta, in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingularPoint {
    /// Horizontal position (pixels from the left).
    pub x: f64,
    /// Vertical position (pixels from the top).
    pub y: f64,
}

/// Singular points and parameters that define one finger's ridge flow.
#[derive(Debug, Clone)]
pub(crate) struct FlowModel {
    pub(crate) class: FingerClass,
    pub(crate) cores: Vec<SingularPoint>,
    pub(crate) deltas: Vec<SingularPoint>,
    /// Plain arch: horizontal centre, width scale, bulge height and top of the arch.
    arch: (f64, f64, f64, f64),
    /// Global rotation of the flow (radians).
    rotation: f64,
}

impl FlowModel {
    /// Places singular points for `class` inside a finger centred at `(cx, cy)` with half-width
    /// `hw` and half-height `hh` (pixels).
    pub(crate) fn new(
        class: FingerClass,
        rng: &mut Rng,
        cx: f64,
        cy: f64,
        hw: f64,
        hh: f64,
    ) -> Self {
        let jx = |r: &mut Rng, s: f64| r.range(-s, s) * hw;
        let jy = |r: &mut Rng, s: f64| r.range(-s, s) * hh;
        let mut cores = Vec::new();
        let mut deltas = Vec::new();
        // Positions as fractions of the half-sizes; spreads follow the typical layouts of
        // NIST SD4-style plain impressions (core near the centre, deltas in the lower half).
        match class {
            FingerClass::Arch => {}
            FingerClass::TentedArch => {
                let x = cx + jx(rng, 0.12);
                let y = cy - 0.05 * hh + jy(rng, 0.08);
                cores.push(SingularPoint { x, y });
                deltas.push(SingularPoint {
                    x: x + jx(rng, 0.05),
                    y: y + rng.range(0.30, 0.42) * hh,
                });
            }
            FingerClass::LeftLoop | FingerClass::RightLoop => {
                // Left loop: ridges enter and leave on the left, the delta lies right of the core.
                let side = if class == FingerClass::LeftLoop {
                    1.0
                } else {
                    -1.0
                };
                let x = cx - side * 0.08 * hw + jx(rng, 0.10);
                let y = cy - 0.10 * hh + jy(rng, 0.10);
                cores.push(SingularPoint { x, y });
                deltas.push(SingularPoint {
                    x: x + side * rng.range(0.45, 0.70) * hw,
                    y: y + rng.range(0.45, 0.65) * hh,
                });
            }
            FingerClass::Whorl => {
                let x = cx + jx(rng, 0.08);
                let y = cy - 0.08 * hh + jy(rng, 0.08);
                let sep = rng.range(0.06, 0.14) * hh;
                let tilt = rng.range(-0.08, 0.08) * hw;
                cores.push(SingularPoint {
                    x: x - tilt,
                    y: y - sep,
                });
                cores.push(SingularPoint {
                    x: x + tilt,
                    y: y + sep,
                });
                let dy = rng.range(0.50, 0.65) * hh;
                deltas.push(SingularPoint {
                    x: x - rng.range(0.55, 0.75) * hw,
                    y: y + dy + jy(rng, 0.06),
                });
                deltas.push(SingularPoint {
                    x: x + rng.range(0.55, 0.75) * hw,
                    y: y + dy + jy(rng, 0.06),
                });
            }
        }
        let arch = (
            cx + jx(rng, 0.10),
            hw * rng.range(0.55, 0.80),
            hh * rng.range(0.18, 0.30),
            cy - hh * rng.range(0.25, 0.40),
        );
        let rotation = rng.range(-0.10, 0.10);
        Self {
            class,
            cores,
            deltas,
            arch,
            rotation,
        }
    }

    /// Ridge direction at `(x, y)` in radians (modulo π).
    pub(crate) fn angle(&self, x: f64, y: f64) -> f64 {
        if self.class == FingerClass::Arch {
            return self.arch_angle(x, y) + self.rotation;
        }
        let mut sum = 0.0;
        for c in &self.cores {
            sum += libm::atan2(y - c.y, x - c.x);
        }
        for d in &self.deltas {
            sum -= libm::atan2(y - d.y, x - d.x);
        }
        0.5 * sum + self.rotation
    }

    /// Plain arch: ridges follow `y = y₀ − A(y₀)·exp(−(x − x₀)² / 2s²)`; the bulge `A` fades
    /// towards the finger's base so that lower ridges run almost straight across.
    fn arch_angle(&self, x: f64, y: f64) -> f64 {
        let (x0, s, amp, top) = self.arch;
        let u = (x - x0) / s;
        let bell = libm::exp(-0.5 * u * u);
        // Bulge height shrinks linearly with depth below the top of the arch.
        let depth = ((y - top) / (amp * 6.0)).clamp(0.0, 1.0);
        let a = amp * (1.0 - 0.8 * depth);
        // dy/dx of the ridge curve.
        let slope = a * u / s * bell;
        libm::atan(slope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_flow_turns_half_a_circle_around_the_core() {
        // Walking a small circle around a core, the ridge direction turns by +π: Poincaré
        // index +½ (a delta has −½).
        let mut rng = Rng::new(1);
        let m = FlowModel::new(FingerClass::LeftLoop, &mut rng, 200.0, 250.0, 160.0, 220.0);
        let c = m.cores[0];
        let mut total = 0.0;
        let n = 64;
        let mut prev = m.angle(c.x + 5.0, c.y);
        for i in 1..=n {
            let t = core::f64::consts::TAU * i as f64 / n as f64;
            let a = m.angle(c.x + 5.0 * libm::cos(t), c.y + 5.0 * libm::sin(t));
            let mut d = a - prev;
            while d > core::f64::consts::FRAC_PI_2 {
                d -= core::f64::consts::PI;
            }
            while d < -core::f64::consts::FRAC_PI_2 {
                d += core::f64::consts::PI;
            }
            total += d;
            prev = a;
        }
        assert!((total - core::f64::consts::PI).abs() < 0.05, "{total}");
    }

    #[test]
    fn arch_flow_is_horizontal_far_from_the_centre() {
        let mut rng = Rng::new(2);
        let m = FlowModel::new(FingerClass::Arch, &mut rng, 200.0, 250.0, 160.0, 220.0);
        let a = m.angle(200.0 + 10_000.0, 250.0) - m.rotation;
        assert!(a.abs() < 0.01, "{a}");
    }
}
