//! Eye opening from the image (ISO/IEC 29794-5 component 4D, eyes open; ICAO / ISO/IEC
//! 19794-5:2005 §7.2: both eyes open; `docs/spec/biometric-formats.md` §2–3).
//!
//! The face mesh places the lids of an open eye well, but it does not follow lids that are
//! shut: on a closed eye it still draws an opening of 0.05–0.10 IED. What a closed eye lacks
//! is the dark iris between the lids. This module measures, per eye, the height of the dark
//! band crossed by a vertical strip through the eye centre (in the eye-line frame, so roll does
//! not change it):
//! - the strip is 0.1 IED wide (about half an iris) and spans ±0.2 IED around the eye centre;
//!   its row profile is the strip's mean luma per row;
//! - the reference is the skin (the cheek's luma on the same side); the darkest row within
//!   ±0.12 IED of the centre is the iris (or, on a closed eye, the lash line);
//! - the band is the run of rows around that darkest row that are darker than halfway between
//!   it and the skin, and at most [`MAX_LEVEL`] of the skin (a flat, skin-coloured profile has
//!   no band at all).
//!
//! An open eye shows the iris and the lashes above it: a band of about the lid gap or more
//! (0.08–0.2 IED). A shut lid leaves the lash line, 0.02–0.05 IED. The eyes-open check takes,
//! per eye, the smaller of this band and the mesh's lid distance.

use super::eyes::Point;
use super::raster::Plane;

/// Half width of the strip, IED.
const HALF_WIDTH: f32 = 0.05;
/// Half height of the profile, IED.
const HALF_SPAN: f32 = 0.2;
/// The darkest row is searched within this distance of the eye centre, IED.
const SEARCH: f32 = 0.12;
/// Rows per IED in the profile.
const ROWS_PER_IED: f32 = 100.0;
/// A band row must be at most this share of the skin's luma.
const MAX_LEVEL: f32 = 0.8;
/// Columns averaged per row.
const COLUMNS: usize = 5;

/// The dark band of one eye.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Band {
    /// Height of the dark band, IED.
    pub height: f32,
    /// Darkest row's luma as a share of the skin's.
    pub darkest: f32,
}

/// Measures the dark band of the eye centred at `centre` on `luma`; `angle` is the eye line's
/// angle (radians), `skin` the skin luma beside the eye.
pub fn band(luma: &Plane, centre: Point, angle: f32, ied: f32, skin: f32) -> Band {
    let ied = ied.max(1.0);
    let (sin, cos) = angle.sin_cos();
    let step = ied / ROWS_PER_IED;
    let half_rows = super::raster::round_u(HALF_SPAN * ROWS_PER_IED);
    let rows = 2 * half_rows + 1;
    let mut profile = Vec::with_capacity(rows);
    for r in 0..rows {
        let v = (r as f32 - half_rows as f32) * step;
        let mut sum = 0.0;
        for c in 0..COLUMNS {
            let u = (c as f32 / (COLUMNS - 1) as f32 * 2.0 - 1.0) * HALF_WIDTH * ied;
            sum += luma.bilinear(centre.x + u * cos - v * sin, centre.y + u * sin + v * cos);
        }
        profile.push(sum / COLUMNS as f32);
    }
    let skin = skin.max(8.0);
    let search = super::raster::round_u(SEARCH * ROWS_PER_IED);
    let lo = half_rows.saturating_sub(search);
    let hi = (half_rows + search + 1).min(rows);
    let (mut at, mut dark) = (half_rows, f32::MAX);
    for (i, &p) in profile.iter().enumerate().take(hi).skip(lo) {
        if p < dark {
            (at, dark) = (i, p);
        }
    }
    let level = (dark + 0.5 * (skin - dark)).min(MAX_LEVEL * skin);
    let below = |i: usize| profile.get(i).is_some_and(|&p| p < level);
    let mut height = 0usize;
    if below(at) {
        let mut a = at;
        while a > 0 && below(a - 1) {
            a -= 1;
        }
        let mut b = at;
        while below(b + 1) {
            b += 1;
        }
        height = b - a + 1;
    }
    Band {
        height: height as f32 / ROWS_PER_IED,
        darkest: dark / skin,
    }
}

/// Mean luma of a disc of radius `r` around `c` (a 9 × 9 grid), the skin reference.
pub fn disc_luma(luma: &Plane, c: Point, r: f32) -> f32 {
    let mut sum = 0.0;
    let mut n = 0u32;
    for j in -4i8..=4 {
        for i in -4i8..=4 {
            let (u, v) = (f32::from(i) / 4.0, f32::from(j) / 4.0);
            if u * u + v * v <= 1.0 {
                sum += luma.bilinear(c.x + u * r, c.y + v * r);
                n += 1;
            }
        }
    }
    sum / n.max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skin at 180 with a dark horizontal band of `h` pixels centred at row 50.
    fn eye(h: f32) -> Plane {
        let mut p = Plane::filled(100, 100, 180.0);
        for y in 0..100 {
            for x in 0..100 {
                if (y as f32 - 50.0).abs() < h / 2.0 {
                    p.set(x, y, 40.0);
                }
            }
        }
        p
    }

    #[test]
    fn an_open_eye_has_a_tall_band_a_closed_one_a_thin_line() {
        let c = Point { x: 50.0, y: 50.0 };
        // IED 100 px: a 14 px band is 0.14 IED, a 3 px lash line 0.03 IED.
        let open = band(&eye(14.0), c, 0.0, 100.0, 180.0);
        assert!((open.height - 0.14).abs() <= 0.02, "{open:?}");
        let closed = band(&eye(3.0), c, 0.0, 100.0, 180.0);
        assert!(closed.height <= 0.04, "{closed:?}");
        // Rotated sampling of a level band still crosses it.
        let tilted = band(&eye(14.0), c, 0.2, 100.0, 180.0);
        assert!(tilted.height >= 0.12, "{tilted:?}");
    }

    #[test]
    fn skin_without_a_dark_band_has_none() {
        let flat = Plane::filled(100, 100, 170.0);
        let b = band(&flat, Point { x: 50.0, y: 50.0 }, 0.0, 100.0, 180.0);
        assert_eq!(b.height, 0.0);
        // Out of the image (edges repeated) or degenerate sizes do not panic.
        let b = band(&flat, Point { x: -500.0, y: 9e9 }, f32::NAN, 0.0, 0.0);
        assert!(b.height.is_finite());
    }
}
