//! Synthetic fingerprints for tests, demonstrations and the scanner simulator: realistic plain
//! impressions at 500 ppi, generated from a seed, after the SFinGe method (R. Cappelli, D. Maio,
//! D. Maltoni, "Synthetic fingerprint-image generation", ICPR 2000; Maltoni et al., *Handbook of
//! Fingerprint Recognition*, 3rd ed., ch. 6). Written from the published description.
//!
//! A *master fingerprint* depends only on the seed (and the class, if given):
//! 1. a fingertip silhouette ([`shape`](self)),
//! 2. singular points for the class and the zero-pole orientation field (`orientation`),
//! 3. a smoothly varying ridge-period map around 9 px (`density`),
//! 4. a ridge pattern grown from random seed dots by iterated Gabor filtering (`ridges`).
//!
//! An *impression* of it then adds placement and elastic skin distortion (`distortion`) and
//! renders contact, pressure, skin condition, optics and sensor noise (`render`): the same seed
//! with different [`FingerprintSpec::impression`] numbers gives different captures of the same
//! finger, the way repeated captures at an enrolment station do.
//!
//! Output is deterministic: the generator's own SplitMix64 stream and the pure-Rust `libm`
//! make a seed give the same bytes on every machine.

#![expect(
    clippy::cast_possible_truncation,
    reason = "DSP code: float-to-integer `as` casts saturate, and every one here quantises a \
              bounded pixel, grid or kernel coordinate or a value already clamped to the target range"
)]

mod condition;
mod density;
mod distortion;
mod orientation;
mod render;
mod ridges;
mod rng;
mod shape;

use std::{fmt, str::FromStr};

use image::GrayImage;

pub use condition::{Condition, UnknownCondition};
pub use orientation::SingularPoint;

/// Largest image the generator makes (pixels): 800 × 750 (40.6 × 38.1 mm at 500 ppi, larger than
/// any single-finger platen).
pub const MAX_SIZE: (u32, u32) = (800, 750);
/// Smallest image the generator makes (pixels).
pub const MIN_SIZE: (u32, u32) = (96, 96);
/// Resolution of every generated image (pixels per inch).
pub const PPI: u16 = 500;

/// Henry classes the generator draws ridge flow for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FingerClass {
    /// Plain arch: no core, no delta.
    Arch,
    /// Tented arch: one core directly above one delta.
    TentedArch,
    /// Left loop: one core, one delta to the right of it; ridges enter and leave on the left.
    LeftLoop,
    /// Right loop: one core, one delta to the left of it.
    RightLoop,
    /// Whorl: two cores, two deltas.
    Whorl,
}

const CLASS_NAMES: [(FingerClass, &str); 5] = [
    (FingerClass::Arch, "arch"),
    (FingerClass::TentedArch, "tented-arch"),
    (FingerClass::LeftLoop, "left-loop"),
    (FingerClass::RightLoop, "right-loop"),
    (FingerClass::Whorl, "whorl"),
];

impl FingerClass {
    /// Kebab-case name (`left-loop`).
    pub fn name(self) -> &'static str {
        CLASS_NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("arch", |(_, n)| n)
    }

    /// Every class.
    pub fn all() -> impl Iterator<Item = FingerClass> {
        CLASS_NAMES.iter().map(|(c, _)| *c)
    }

    /// Draws a class with the frequencies observed in the general population (Wilson, Candela
    /// and Watson, "Neural network fingerprint classification", J. Artificial Neural Networks
    /// 1(2), 1994, as quoted in the *Handbook* §5.1: arch 3.7 %, tented arch 2.9 %, left loop
    /// 33.8 %, right loop 31.7 %, whorl 27.9 %).
    fn draw(rng: &mut rng::Rng) -> Self {
        let u = rng.unit() * 100.0;
        match u {
            u if u < 3.7 => FingerClass::Arch,
            u if u < 6.6 => FingerClass::TentedArch,
            u if u < 40.4 => FingerClass::LeftLoop,
            u if u < 72.1 => FingerClass::RightLoop,
            _ => FingerClass::Whorl,
        }
    }
}

impl fmt::Display for FingerClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FingerClass {
    type Err = SynthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        CLASS_NAMES
            .iter()
            .find(|(_, n)| *n == wanted)
            .map(|(c, _)| *c)
            .ok_or_else(|| SynthError::UnknownClass(s.to_owned()))
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintSpec {
    /// Identity of the finger: the same seed always gives the same master fingerprint.
    pub seed: u64,
    /// Henry class; `None` draws one from the population frequencies.
    pub class: Option<FingerClass>,
    /// Image width in pixels (500 ppi).
    pub width: u32,
    /// Image height in pixels (500 ppi).
    pub height: u32,
    /// Skin and capture condition.
    pub condition: Condition,
    /// Which capture of the finger: placement, distortion and noise differ per impression.
    pub impression: u32,
}

impl FingerprintSpec {
    /// A normal 400 × 500 capture (impression 0) of finger `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            class: None,
            width: 400,
            height: 500,
            condition: Condition::Normal,
            impression: 0,
        }
    }

    /// The same spec with another condition.
    pub fn with_condition(mut self, condition: Condition) -> Self {
        self.condition = condition;
        self
    }

    /// The same spec with another size.
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }
}

impl Default for FingerprintSpec {
    fn default() -> Self {
        Self::new(0)
    }
}

/// A generated print with its ground truth.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The 8-bit grey image, dark ridges on a light background, 500 ppi.
    pub image: GrayImage,
    /// The class the ridge flow was drawn for.
    pub class: FingerClass,
    /// Cores, in master-fingerprint coordinates (before placement and skin distortion).
    pub cores: Vec<SingularPoint>,
    /// Deltas, in master-fingerprint coordinates.
    pub deltas: Vec<SingularPoint>,
}

/// Why a print cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// The requested size is outside [`MIN_SIZE`] ..= [`MAX_SIZE`].
    #[error(
        "image size {width}×{height} outside {}×{} ..= {}×{}",
        MIN_SIZE.0, MIN_SIZE.1, MAX_SIZE.0, MAX_SIZE.1
    )]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// A class name that is not known.
    #[error(
        "unknown fingerprint class {0:?} (expected arch, tented-arch, left-loop, right-loop or whorl)"
    )]
    UnknownClass(String),
}

/// Generates the image described by `spec`.
pub fn generate(spec: &FingerprintSpec) -> Result<GrayImage, SynthError> {
    generate_detailed(spec).map(|s| s.image)
}

/// Generates the image described by `spec`, with its class and singular points.
pub fn generate_detailed(spec: &FingerprintSpec) -> Result<Synthetic, SynthError> {
    let master = MasterFinger::new(spec.seed, spec.class, spec.width, spec.height)?;
    Ok(Synthetic {
        image: master.impression(spec.condition, spec.impression),
        class: master.class,
        cores: master.flow.cores.clone(),
        deltas: master.flow.deltas.clone(),
    })
}

/// A master fingerprint: everything that depends on the seed only (silhouette, ridge flow,
/// ridge pattern). Growing it is the expensive step; rendering impressions of it is cheap, so
/// keep one to render several captures of the same finger.
#[derive(Debug, Clone)]
pub struct MasterFinger {
    seed: u64,
    width: u32,
    height: u32,
    class: FingerClass,
    shape: shape::Shape,
    flow: orientation::FlowModel,
    field: ridges::RidgeField,
}

impl MasterFinger {
    /// Grows finger `seed` (of `class`, or a drawn class) for `width` × `height` images.
    pub fn new(
        seed: u64,
        class: Option<FingerClass>,
        width: u32,
        height: u32,
    ) -> Result<Self, SynthError> {
        if !(MIN_SIZE.0..=MAX_SIZE.0).contains(&width)
            || !(MIN_SIZE.1..=MAX_SIZE.1).contains(&height)
        {
            return Err(SynthError::Size { width, height });
        }
        let (w, h) = (f64::from(width), f64::from(height));
        let mut master = rng::Rng::new(seed).fork(1);
        let class = match class {
            Some(c) => c,
            None => FingerClass::draw(&mut master),
        };
        // An adult index finger's plain impression is ~14–17 mm wide (half-width 135–165 px
        // at 500 ppi) and ~20 mm from the tip to the first crease; the silhouette keeps its
        // physical size whatever the image size (a small sensor sees part of the finger, a
        // large platen shows background around it).
        let half_width = master.range(135.0, 165.0);
        let top = master.range(170.0, 205.0);
        let bottom = master.range(230.0, 280.0);
        let cx = w / 2.0 + master.range(-0.03, 0.03) * w;
        let cy = (h / 2.0 + master.range(-0.02, 0.04) * h).max(top * 0.5);
        let shape = shape::Shape {
            cx,
            cy,
            half_width,
            top,
            bottom,
        };
        let flow = orientation::FlowModel::new(
            class,
            &mut master.fork(2),
            cx,
            cy,
            half_width,
            0.5 * (top + bottom),
        );
        let density = density::DensityMap::new(
            &mut master.fork(3),
            width as usize,
            height as usize,
            cy - top,
            top + bottom,
        );
        let margin = 40.0;
        let origin = (cx - half_width - margin, cy - top - margin);
        let extent = (2.0 * (half_width + margin), top + bottom + 2.0 * margin);
        let field = ridges::grow(&mut master.fork(4), &flow, &density, &shape, origin, extent);
        Ok(Self {
            seed,
            width,
            height,
            class,
            shape,
            flow,
            field,
        })
    }

    /// The class the ridge flow was drawn for.
    pub fn class(&self) -> FingerClass {
        self.class
    }

    /// Renders capture number `impression` of this finger in `condition`.
    pub fn impression(&self, condition: Condition, impression: u32) -> GrayImage {
        let mut rng = rng::Rng::new(self.seed).fork(0x1000 + u64::from(impression));
        // The first impression is a careful placement; later ones move and stretch more.
        let strength = if impression == 0 { 0.5 } else { 1.0 };
        let distortion = distortion::Distortion::new(&mut rng, &self.shape, strength);
        let scene = render::Scene {
            ridges: &self.field,
            shape: &self.shape,
            distortion: &distortion,
            look: condition::Look::of(condition),
        };
        render::render(&scene, &mut rng, self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_sizes_outside_the_limits() {
        let spec = FingerprintSpec::new(1).with_size(801, 500);
        assert_eq!(
            generate(&spec).unwrap_err(),
            SynthError::Size {
                width: 801,
                height: 500
            }
        );
        assert!(generate(&FingerprintSpec::new(1).with_size(95, 200)).is_err());
    }

    #[test]
    fn class_names_round_trip() {
        for c in FingerClass::all() {
            assert_eq!(c.name().parse::<FingerClass>().unwrap(), c);
        }
        assert!("loopy".parse::<FingerClass>().is_err());
    }

    #[test]
    fn class_draw_follows_population_frequencies() {
        let mut rng = rng::Rng::new(11);
        let n = 10_000;
        let whorls = (0..n)
            .filter(|_| FingerClass::draw(&mut rng) == FingerClass::Whorl)
            .count();
        let share = whorls as f64 / f64::from(n);
        assert!((share - 0.279).abs() < 0.02, "{share}");
    }
}
