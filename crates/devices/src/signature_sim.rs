//! The simulated signature pad (selector `sim` or `sim:<seed>`): a handwritten-looking signature
//! per seed, as pen strokes sampled like a tablet samples them, and scriptable failures (pad
//! disconnected, no pen input before the timeout, a "signature" that is a single dot).
//!
//! The writing model is the oscillation theory of cursive handwriting (J. M. Hollerbach, "An
//! oscillation theory of handwriting", Biological Cybernetics 39, 1981): the pen moves right at
//! a steady speed while coupled horizontal and vertical oscillations draw the letters. Per
//! half-cycle letter targets (x-height letters, ascenders, descenders) change the vertical
//! amplitude and centre smoothly; where the horizontal oscillation outruns the drift the pen
//! moves backwards over the top of a letter and draws a loop, elsewhere an arch. A slant, a
//! slightly tilted baseline and a little tremor follow. Pressure rises as the pen lands, is
//! heavier on down-strokes, and falls as it lifts. A signature is a capital with a first name
//! or initial, a surname, and sometimes an underline flourish and an i-dot.
//!
//! Nothing here sleeps: a simulated timeout returns [`CaptureError::Timeout`] at once, reporting
//! the timeout asked for, so tests that exercise it run instantly.

use std::{collections::VecDeque, f64::consts::TAU, time::Duration};

use super::{
    CaptureError, DeviceInfo,
    signature_pad::{PadArea, PenPoint, SignatureCapture, SignaturePad, Stroke},
};

/// Active area of the simulated pad in millimetres (see `hardware-profiles/signature-pads/`).
pub const SIM_AREA_MM: (f32, f32) = (100.0, 50.0);
/// Sampling rate of the simulated pen, reports per second.
pub const SIM_RATE_HZ: f64 = 200.0;

/// What the next capture does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimPadEvent {
    /// The applicant signs.
    Sign,
    /// The pad disappears; every later capture fails until [`SimPad::reconnect`].
    Disconnect,
    /// Nobody touches the pad before the timeout.
    NoInput,
    /// The pen touches once and lifts: a single dot.
    Dot,
}

/// The simulated signature pad.
#[derive(Debug, Clone)]
pub struct SimPad {
    info: DeviceInfo,
    seed: u64,
    script: VecDeque<SimPadEvent>,
    connected: bool,
    captures: u32,
}

impl SimPad {
    /// A pad whose signer has seed `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            info: DeviceInfo {
                selector: format!("sim:{seed}"),
                name: "Simulated signature pad".into(),
                backend: "simulator".into(),
                usb_id: None,
                serial: Some(format!("SIM-PAD-{seed:016X}")),
            },
            seed,
            script: VecDeque::new(),
            connected: true,
            captures: 0,
        }
    }

    /// Queues `event` for a future capture; queued events are used first, in order.
    pub fn push(&mut self, event: SimPadEvent) {
        self.script.push_back(event);
    }

    /// Plugs the pad back in after a simulated disconnect.
    pub fn reconnect(&mut self) {
        self.connected = true;
    }
}

impl SignaturePad for SimPad {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn capture(&mut self, timeout: Duration) -> Result<SignatureCapture, CaptureError> {
        let device = self.info.selector.clone();
        if !self.connected {
            return Err(CaptureError::Disconnected { device });
        }
        let event = self.script.pop_front().unwrap_or(SimPadEvent::Sign);
        let strokes = match event {
            SimPadEvent::Disconnect => {
                self.connected = false;
                return Err(CaptureError::Disconnected { device });
            }
            SimPadEvent::NoInput => {
                return Err(CaptureError::Timeout {
                    device,
                    seconds: timeout.as_secs_f64(),
                });
            }
            SimPadEvent::Dot => vec![dot(self.seed)],
            SimPadEvent::Sign => {
                // The same signer writes a slightly different signature each time.
                let s = signature(self.seed, self.captures);
                self.captures = self.captures.wrapping_add(1);
                s
            }
        };
        Ok(SignatureCapture {
            strokes,
            area: Some(PadArea {
                width: SIM_AREA_MM.0,
                height: SIM_AREA_MM.1,
                units_per_mm: Some(1.0),
            }),
            image: None,
            device: self.info.clone(),
        })
    }
}

/// The strokes of signer `seed`'s signature, written for the `take`-th time (0 first), in
/// millimetres on the simulated pad.
pub fn signature(seed: u64, take: u32) -> Vec<Stroke> {
    let mut style = Rng::new(seed);
    let mut variation = Rng::new(seed ^ 0x5EED_0F51_6100).fork(u64::from(take));
    let hand = Hand::new(&mut style);
    let mut strokes = Vec::new();
    // Capital and first name (or a lone initial), then the surname a little further right.
    let first_letters = 1 + style.below(5);
    let surname_letters = 5 + style.below(5);
    let mut x = 0.0;
    for (letters, capital) in [(first_letters, true), (surname_letters, true)] {
        let plan = LetterPlan::new(&mut style, letters, capital);
        let stroke = hand.cursive(&plan, x, &mut variation);
        x = stroke.iter().map(|p| p.x).fold(x, f64::max) + hand.x_height * style.range(0.9, 1.6);
        strokes.push(stroke);
    }
    if style.unit() < 0.5 {
        strokes.push(hand.underline(&strokes, &mut variation));
    }
    if style.unit() < 0.4
        && let Some(surname) = strokes.get(1)
    {
        strokes.push(hand.dot_above(surname, &mut style));
    }
    place(strokes, &hand, &mut variation)
}

/// A single touch at the pad centre.
fn dot(seed: u64) -> Stroke {
    let mut r = Rng::new(seed);
    let (w, h) = SIM_AREA_MM;
    let x = w / 2.0 + to_f32(r.range(-2.0, 2.0));
    let y = h / 2.0 + to_f32(r.range(-2.0, 2.0));
    Stroke {
        points: vec![
            PenPoint {
                x,
                y,
                pressure: 0.3,
                t_ms: 0,
            },
            PenPoint {
                x,
                y,
                pressure: 0.2,
                t_ms: 5,
            },
        ],
    }
}

/// A raw sample: position in millimetres (y up), pressure, time in seconds from the start of
/// the stroke.
#[derive(Debug, Clone, Copy)]
struct Sample {
    x: f64,
    y: f64,
    pressure: f64,
    t: f64,
}

/// The signer's habits, fixed by the seed.
#[derive(Debug, Clone)]
struct Hand {
    /// Height of small letters, mm.
    x_height: f64,
    /// Oscillation frequency, Hz.
    frequency: f64,
    /// Horizontal advance per letter, mm.
    advance: f64,
    /// Horizontal oscillation as a share of the vertical amplitude (loops when large).
    loopiness: f64,
    /// Shear of the writing (tan of the slant angle).
    slant: f64,
    /// Baseline tilt, radians.
    tilt: f64,
    /// Typical pressure.
    pressure: f64,
}

impl Hand {
    fn new(r: &mut Rng) -> Self {
        Self {
            x_height: r.range(3.5, 6.0),
            frequency: r.range(3.5, 5.5),
            advance: r.range(2.6, 4.2),
            loopiness: r.range(0.35, 0.7),
            slant: r.range(0.1, 0.45),
            tilt: r.range(-0.06, 0.06),
            pressure: r.range(0.4, 0.7),
        }
    }

    /// One connected cursive stroke for `plan`, starting at `x0`.
    fn cursive(&self, plan: &LetterPlan, x0: f64, r: &mut Rng) -> Vec<Sample> {
        let dt = 1.0 / SIM_RATE_HZ;
        let omega = TAU * self.frequency * r.range(0.95, 1.05);
        let cycles = plan.letters.len() as f64;
        let duration = cycles / self.frequency + 0.5 / self.frequency;
        let speed = self.advance * self.frequency * r.range(0.95, 1.05);
        let mut wobble = Noise1::new(r, 16);
        let mut out = Vec::new();
        let steps = count(duration / dt);
        for i in 0..=steps {
            let t = i as f64 * dt;
            let phase = omega * t;
            let cycle = phase / TAU;
            let (centre, amplitude, loop_gain) = plan.at(cycle);
            let h = self.x_height;
            let y = h * (centre - amplitude * libm::cos(phase));
            let b = loop_gain * self.loopiness * h * amplitude;
            let x = x0 + speed * t + b * libm::sin(phase) + 0.3 * wobble.at(cycle * 2.0);
            out.push(Sample {
                x,
                y,
                pressure: 0.0,
                t,
            });
        }
        self.press(&mut out, r);
        out
    }

    /// A quick flourish under the words, from the end of the surname back to the left.
    fn underline(&self, strokes: &[Vec<Sample>], r: &mut Rng) -> Vec<Sample> {
        let all = strokes.iter().flatten();
        let (x_min, x_max) = all.clone().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.x), hi.max(p.x))
        });
        let y_min = all.fold(f64::MAX, |lo, p| lo.min(p.y));
        let h = self.x_height;
        let start = (x_max + h * 0.3, y_min + h * r.range(0.2, 0.8));
        let end = (
            x_min + (x_max - x_min) * r.range(0.0, 0.25),
            y_min - h * r.range(0.6, 1.2),
        );
        let bulge = (
            (start.0 + end.0) / 2.0,
            end.1.min(start.1) - h * r.range(0.3, 0.9),
        );
        let duration = r.range(0.25, 0.45);
        let n = count(duration * SIM_RATE_HZ);
        let mut out = Vec::new();
        for i in 0..=n {
            // Quadratic Bézier, eased so the pen accelerates and slows down.
            let u = i as f64 / n.max(1) as f64;
            let s = u * u * (3.0 - 2.0 * u);
            let a = (1.0 - s) * (1.0 - s);
            let b = 2.0 * s * (1.0 - s);
            let c = s * s;
            out.push(Sample {
                x: a * start.0 + b * bulge.0 + c * end.0,
                y: a * start.1 + b * bulge.1 + c * end.1,
                pressure: 0.0,
                t: u * duration,
            });
        }
        self.press(&mut out, r);
        out
    }

    /// An i-dot: a short tap above a letter of `word`.
    fn dot_above(&self, word: &[Sample], r: &mut Rng) -> Vec<Sample> {
        let anchor = word
            .get(r.below(word.len()).max(word.len() / 3))
            .copied()
            .unwrap_or(Sample {
                x: 0.0,
                y: 0.0,
                pressure: 0.0,
                t: 0.0,
            });
        let (x, y) = (
            anchor.x + r.range(-0.5, 0.5),
            self.x_height * r.range(1.5, 1.9),
        );
        let mut out: Vec<Sample> = (0..5)
            .map(|i| Sample {
                x: x + 0.12 * f64::from(i),
                y: y - 0.05 * f64::from(i),
                pressure: 0.0,
                t: f64::from(i) / SIM_RATE_HZ,
            })
            .collect();
        self.press(&mut out, r);
        out
    }

    /// Pressure along a stroke: landing and lifting ramps, heavier on down-strokes, and a slow
    /// random drift.
    fn press(&self, samples: &mut [Sample], r: &mut Rng) {
        let n = samples.len();
        let total = samples.last().map_or(0.0, |s| s.t);
        let mut drift = Noise1::new(r, 8);
        let velocities: Vec<f64> = (0..n)
            .map(|i| {
                let a = samples.get(i.saturating_sub(1)).map_or(0.0, |s| s.y);
                let b = samples
                    .get((i + 1).min(n.saturating_sub(1)))
                    .map_or(0.0, |s| s.y);
                b - a
            })
            .collect();
        let peak = velocities.iter().fold(1e-9, |m: f64, v| m.max(v.abs()));
        for (i, s) in samples.iter_mut().enumerate() {
            let down = -velocities.get(i).copied().unwrap_or(0.0) / peak;
            let land = ramp(s.t / 0.05);
            let lift = ramp((total - s.t) / 0.07);
            let u = if total > 0.0 { s.t / total } else { 0.0 };
            let p = (self.pressure + 0.18 * down + 0.12 * drift.at(u * 6.0)) * land.min(lift);
            s.pressure = p.clamp(0.02, 1.0);
        }
    }
}

/// Per-letter shape targets along a stroke: for letter `k`, the vertical centre and
/// amplitude (in x-heights) and the loop gain.
#[derive(Debug, Clone)]
struct LetterPlan {
    letters: Vec<(f64, f64, f64)>,
}

impl LetterPlan {
    fn new(r: &mut Rng, count: usize, capital: bool) -> Self {
        let mut letters = Vec::with_capacity(count + 1);
        for k in 0..count {
            let shape = if k == 0 && capital {
                // A capital: tall, with a big loop.
                (r.range(1.1, 1.5), r.range(1.1, 1.5), r.range(1.2, 1.8))
            } else {
                match r.below(20) {
                    // Ascender (l, h, k, b, d, t, f).
                    0..=4 => (r.range(0.95, 1.25), r.range(0.95, 1.25), r.range(1.1, 1.6)),
                    // Descender (g, j, p, y).
                    5..=7 => (r.range(-0.15, 0.1), r.range(0.95, 1.25), r.range(0.8, 1.3)),
                    // x-height letter (a, c, e, m, n, o, r, s, u, …): an arch or small loop.
                    _ => (0.5, r.range(0.42, 0.55), r.range(0.0, 0.9)),
                }
            };
            letters.push(shape);
        }
        // The exit stroke ends at mid height.
        letters.push((0.5, 0.45, 0.3));
        Self { letters }
    }

    /// Shape at cycle position `c` (letter index plus fraction), blended smoothly between
    /// neighbouring letters around each letter's lowest point.
    fn at(&self, c: f64) -> (f64, f64, f64) {
        let c = c.max(0.0);
        let k = count(c.floor());
        let f = ramp(c - c.floor());
        let last = self.letters.len().saturating_sub(1);
        let a = self
            .letters
            .get(k.min(last))
            .copied()
            .unwrap_or((0.5, 0.5, 0.5));
        let b = self
            .letters
            .get((k + 1).min(last))
            .copied()
            .unwrap_or((0.5, 0.5, 0.5));
        // Blend over the second half of a letter only, so each letter reaches its own height.
        let w = ramp((f - 0.5) * 2.0);
        (
            a.0 + (b.0 - a.0) * w,
            a.1 + (b.1 - a.1) * w,
            a.2 + (b.2 - a.2) * w,
        )
    }
}

/// Slant, tilt, tremor; then fits the signature into the pad (y down, millimetres) and lays
/// the strokes out in time with pen-up pauses between them.
fn place(strokes: Vec<Vec<Sample>>, hand: &Hand, r: &mut Rng) -> Vec<Stroke> {
    let (cos, sin) = (libm::cos(hand.tilt), libm::sin(hand.tilt));
    let mut tremor = Noise1::new(r, 64);
    let shaped: Vec<Vec<Sample>> = strokes
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|p| {
                    let x = p.x + hand.slant * p.y;
                    let (x, y) = (x * cos - p.y * sin, x * sin + p.y * cos);
                    let j = 0.04 * tremor.at(p.t * 40.0);
                    Sample {
                        x: x + j,
                        y: y - j,
                        ..p
                    }
                })
                .collect()
        })
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in shaped.iter().flatten() {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    let (w, h) = (f64::from(SIM_AREA_MM.0), f64::from(SIM_AREA_MM.1));
    let scale = (0.85 * w / (x1 - x0).max(1e-6))
        .min(0.85 * h / (y1 - y0).max(1e-6))
        .min(1.0);
    let free_x = w - (x1 - x0) * scale;
    let free_y = h - (y1 - y0) * scale;
    let left = free_x * r.range(0.35, 0.65);
    let top = free_y * r.range(0.35, 0.65);
    let mut clock_ms = 0.0;
    let mut out = Vec::with_capacity(shaped.len());
    for s in shaped {
        let start = clock_ms;
        let points: Vec<PenPoint> = s
            .iter()
            .map(|p| PenPoint {
                x: to_f32(left + (p.x - x0) * scale),
                // y up → y down.
                y: to_f32(top + (y1 - p.y) * scale),
                pressure: to_f32(p.pressure),
                t_ms: ms(start + p.t * 1000.0),
            })
            .collect();
        clock_ms = start + s.last().map_or(0.0, |p| p.t) * 1000.0 + r.range(120.0, 450.0);
        out.push(Stroke { points });
    }
    out
}

/// A non-negative count from a float, rounded up and capped at 100 000 (stroke sample counts
/// and indices here are far below it).
#[expect(
    clippy::cast_possible_truncation,
    reason = "finite, rounded up and clamped to 0..=100 000 first"
)]
fn count(v: f64) -> usize {
    if v.is_finite() {
        v.ceil().clamp(0.0, 100_000.0) as usize
    } else {
        0
    }
}

/// Smoothstep of `t` clamped to `[0, 1]`.
fn ramp(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "millimetres on a pad: f32 precision is ample"
)]
fn to_f32(v: f64) -> f32 {
    v as f32
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "rounded and clamped into the u32 range first; NaN becomes 0"
)]
fn ms(v: f64) -> u32 {
    v.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): our own generator, so a seed gives the same
/// signature on every platform and release.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn fork(&self, label: u64) -> Self {
        let mut r = Rng(self.0 ^ label.wrapping_mul(0xD134_2543_DE82_EF95));
        let _ = r.next_u64();
        r
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }
}

/// Smooth 1-D random function on `[0, knots)`, values in `[-1, 1]`, smoothstep-interpolated;
/// positions past the last knot wrap around.
#[derive(Debug, Clone)]
struct Noise1 {
    knots: Vec<f64>,
}

impl Noise1 {
    fn new(r: &mut Rng, knots: usize) -> Self {
        Self {
            knots: (0..knots.max(2)).map(|_| r.range(-1.0, 1.0)).collect(),
        }
    }

    fn at(&mut self, u: f64) -> f64 {
        let n = self.knots.len();
        let u = if u.is_finite() { u.abs() } else { 0.0 };
        let i = count(u.floor());
        let f = ramp(u - u.floor());
        let a = self.knots.get(i % n).copied().unwrap_or(0.0);
        let b = self.knots.get((i + 1) % n).copied().unwrap_or(0.0);
        a + (b - a) * f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signer_is_consistent_but_not_identical() {
        let a = signature(7, 0);
        let b = signature(7, 0);
        assert_eq!(a, b, "same seed, same take: identical");
        let c = signature(7, 1);
        assert_eq!(a.len(), c.len(), "same signer: same strokes");
        assert_ne!(a, c, "a second take differs a little");
        let other = signature(8, 0);
        assert_ne!(a, other);
    }

    #[test]
    fn everything_lies_on_the_pad_in_time_order() {
        for seed in 0..30 {
            let s = signature(seed, 0);
            let mut last = 0;
            for p in s.iter().flat_map(|s| &s.points) {
                assert!(p.x >= 0.0 && p.x <= SIM_AREA_MM.0, "seed {seed}: x {}", p.x);
                assert!(p.y >= 0.0 && p.y <= SIM_AREA_MM.1, "seed {seed}: y {}", p.y);
                assert!((0.0..=1.0).contains(&p.pressure));
                assert!(p.t_ms >= last, "seed {seed}: time goes back");
                last = p.t_ms;
            }
        }
    }

    #[test]
    fn scripted_failures() {
        let mut pad = SimPad::new(3);
        pad.push(SimPadEvent::NoInput);
        pad.push(SimPadEvent::Dot);
        pad.push(SimPadEvent::Disconnect);
        let t = Duration::from_secs(30);
        match pad.capture(t) {
            Err(CaptureError::Timeout { seconds, .. }) => assert_eq!(seconds, 30.0),
            other => panic!("{other:?}"),
        }
        let dot = pad.capture(t).unwrap();
        assert_eq!(dot.strokes.len(), 1);
        assert!(dot.strokes[0].length() < 0.01);
        assert!(matches!(
            pad.capture(t),
            Err(CaptureError::Disconnected { .. })
        ));
        assert!(matches!(
            pad.capture(t),
            Err(CaptureError::Disconnected { .. })
        ));
        pad.reconnect();
        assert!(pad.capture(t).unwrap().strokes.len() >= 2);
    }
}
