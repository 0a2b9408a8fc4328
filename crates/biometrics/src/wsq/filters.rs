//! The wavelet filter bank: the standard 9/7 analysis filters, and the synthesis filters a
//! decoder derives from whatever analysis bank the DTT carries.
//!
//! FBI IAFIS-IC-0110 (v3) Part 3 (encoder number one): a biorthogonal bank of a 9-tap low-pass
//! h0 and a 7-tap high-pass h1, both symmetric. The tap values are those of the specification
//! as listed in docs/spec/biometric-formats.md §6 (identical to NIST NBIS `globals.c`).
//!
//! Synthesis: the low-pass g0 is the high-pass h1 with alternating signs, g0[n] = (-1)^n h1[n],
//! and the high-pass g1 is g1[n] = (-1)^n h0[n] (n counted from the centre tap; this is how the
//! reference decoder expands a DTT). With low-pass samples sitting on even positions and
//! high-pass samples on odd positions, even outputs are filtered by `g0` on even offsets and
//! `g1` on odd offsets, odd outputs the other way round; [`Synthesis`] holds those two
//! polyphase filters.

use super::tables::TransformTable;

/// Analysis low-pass h0, centre tap first (h0[0], h0[±1], … h0[±4]).
pub(crate) const LOWPASS: [f64; 5] = [
    0.852_698_679_009_403_4,
    0.377_402_855_612_653_8,
    -0.110_624_404_418_423_42,
    -0.023_849_465_019_38,
    0.037_828_455_506_995_46,
];

/// Analysis high-pass h1, centre tap first (h1[0], h1[±1], … h1[±3]).
pub(crate) const HIGHPASS: [f64; 4] = [
    0.788_485_616_405_664_4,
    -0.418_092_273_222_212_2,
    -0.040_689_417_609_558_44,
    0.064_538_882_628_938_45,
];

/// A symmetric filter stored from its centre tap outwards.
pub(crate) type HalfFilter = Vec<f32>;

fn to_f32(taps: &[f64]) -> HalfFilter {
    // Filter taps are small numbers; f32 is the working precision of the transform.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "intentional rounding to the f32 working precision"
    )]
    taps.iter().map(|&t| t as f32).collect()
}

/// Analysis filters for the forward transform.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Analysis {
    pub(crate) lowpass: HalfFilter,
    pub(crate) highpass: HalfFilter,
}

impl Analysis {
    /// The standard 9/7 bank.
    pub(crate) fn standard() -> Self {
        Self {
            lowpass: to_f32(&LOWPASS),
            highpass: to_f32(&HIGHPASS),
        }
    }

    /// The DTT that announces this bank.
    pub(crate) fn standard_table() -> TransformTable {
        TransformTable {
            lowpass: LOWPASS.to_vec(),
            highpass: HIGHPASS.to_vec(),
        }
    }

    /// Samples of signal extension needed on each side.
    pub(crate) fn margin(&self) -> usize {
        // Low-pass outputs sit on even samples, high-pass outputs one sample further.
        self.lowpass
            .len()
            .saturating_sub(1)
            .max(self.highpass.len())
    }
}

/// Polyphase synthesis filters for the inverse transform.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Synthesis {
    /// Taps applied around an even output position (centre first).
    pub(crate) even: HalfFilter,
    /// Taps applied around an odd output position (centre first).
    pub(crate) odd: HalfFilter,
    /// The gain that maps a single low-pass sample back to the constant signal it came from:
    /// the sum of g0 over even offsets (used for one-sample lines).
    pub(crate) dc_gain: f32,
}

impl Synthesis {
    /// Derives the synthesis filters from a DTT's analysis bank.
    pub(crate) fn from_table(table: &TransformTable) -> Self {
        // g0[d] = (-1)^d h1[d]; g1[d] = (-1)^d h0[d]; zero outside each filter's support.
        let alternate = |half: &[f64], d: usize| -> f64 {
            let tap = half.get(d).copied().unwrap_or(0.0);
            if d.is_multiple_of(2) { tap } else { -tap }
        };
        let g0 = |d: usize| alternate(&table.highpass, d);
        let g1 = |d: usize| alternate(&table.lowpass, d);
        let span = table.lowpass.len().max(table.highpass.len());
        let even: Vec<f64> = (0..span)
            .map(|d| if d.is_multiple_of(2) { g0(d) } else { g1(d) })
            .collect();
        let odd: Vec<f64> = (0..span)
            .map(|d| if d.is_multiple_of(2) { g1(d) } else { g0(d) })
            .collect();
        let dc_gain: f64 = (0..span)
            .step_by(2)
            .map(|d| if d == 0 { g0(0) } else { 2.0 * g0(d) })
            .sum();
        #[expect(
            clippy::cast_possible_truncation,
            reason = "intentional rounding to the f32 working precision"
        )]
        let dc_gain = dc_gain as f32;
        Self {
            even: to_f32(&even),
            odd: to_f32(&odd),
            dc_gain,
        }
    }

    /// Samples of signal extension needed on each side.
    pub(crate) fn margin(&self) -> usize {
        self.even.len().max(self.odd.len()).saturating_sub(1)
    }
}
