//! Ridge-frequency map. At 500 ppi the mean inter-ridge distance of adult fingers is about 9
//! pixels (≈ 0.46 mm; Maltoni et al., *Handbook of Fingerprint Recognition*, 3rd ed., §3.6,
//! "ridge frequency … typically 1/9 at 500 dpi"); it varies smoothly over the finger, is larger
//! towards the finger's base and below the deltas, and smaller near the tip, as in SFinGe's
//! density maps (Cappelli et al., ICPR 2000).

use super::rng::{Rng, ValueNoise};

/// Smallest and largest ridge period the generator produces (pixels at 500 ppi).
pub(crate) const PERIOD_RANGE: (f64, f64) = (6.5, 13.0);

/// Ridge period (pixels) as a smooth function of position.
#[derive(Debug, Clone)]
pub(crate) struct DensityMap {
    base: f64,
    noise: ValueNoise,
    amplitude: f64,
    top: f64,
    height: f64,
}

impl DensityMap {
    /// A map for a finger spanning rows `top .. top + height`, with a mean period drawn from
    /// 8.3–10.0 px (`scale` multiplies it, e.g. for a child's finger).
    pub(crate) fn new(
        rng: &mut Rng,
        width: usize,
        height_px: usize,
        top: f64,
        height: f64,
    ) -> Self {
        let base = rng.range(8.3, 10.0);
        let noise = ValueNoise::new(rng, width, height_px, 90.0);
        Self {
            base,
            noise,
            amplitude: rng.range(0.4, 0.9),
            top,
            height: height.max(1.0),
        }
    }

    /// The ridge period at `(x, y)`, clamped to [`PERIOD_RANGE`].
    pub(crate) fn period(&self, x: f64, y: f64) -> f64 {
        // Linear trend: −0.6 px at the tip, +0.9 px at the base.
        let t = ((y - self.top) / self.height).clamp(0.0, 1.0);
        let trend = -0.6 + 1.5 * t;
        let p = self.base + trend + self.amplitude * self.noise.sample(x, y);
        p.clamp(PERIOD_RANGE.0, PERIOD_RANGE.1)
    }
}
