//! The 2-D discrete wavelet transform over the WSQ decomposition tree.
//!
//! FBI IAFIS-IC-0110 (v3) Annex A: each node of the tree ([`super::tree`]) is split by a 1-D
//! analysis along its rows, then along its columns; synthesis undoes the nodes in reverse order,
//! columns first. The 1-D transform of `n` samples produces `ceil(n/2)` low-pass outputs centred
//! on the even samples and `floor(n/2)` high-pass outputs centred on the odd samples, with the
//! signal extended by whole-sample symmetric reflection at both ends (`x[-i] = x[i]`,
//! `x[n-1+i] = x[n-1-i]`), which is the extension the reference implementation uses for
//! odd-length filters. Because reflection keeps the parity of a position, the synthesis sees the
//! low-pass samples on even and the high-pass samples on odd positions of the same extended
//! line, and the inverse is the polyphase filtering described in [`super::filters`].
//!
//! Rows are filtered from a reflected copy of each line; columns are filtered a whole row at a
//! time (`out_row = Σ tap · in_row`), which keeps memory access sequential and lets the compiler
//! vectorise the inner loops.

use super::filters::{Analysis, Synthesis};
use super::tree::{Geometry, Node, Rect};

/// Position of sample `i` of a line of `n` samples after whole-sample symmetric extension.
pub(crate) fn mirror(i: isize, n: usize) -> usize {
    let Ok(n_signed) = isize::try_from(n) else {
        return 0;
    };
    if n_signed <= 1 {
        return 0;
    }
    let period = 2 * (n_signed - 1);
    let m = i.rem_euclid(period);
    let folded = if m < n_signed { m } else { period - m };
    usize::try_from(folded).unwrap_or(0)
}

fn signed(v: usize) -> isize {
    isize::try_from(v).unwrap_or(isize::MAX)
}

/// Buffers reused across lines and nodes.
#[derive(Default)]
struct Workspace {
    line: Vec<f32>,
    region: Vec<f32>,
    even: Vec<f32>,
    odd: Vec<f32>,
}

/// Applies the forward transform of every node, in place, to a plane of `stride` columns.
pub(crate) fn forward(plane: &mut [f32], stride: usize, geometry: &Geometry, bank: &Analysis) {
    let mut ws = Workspace::default();
    for node in &geometry.nodes {
        rows_forward(plane, stride, node, bank, &mut ws);
        columns_forward(plane, stride, node, bank, &mut ws);
    }
}

/// Applies the inverse transform of every node, in place.
pub(crate) fn inverse(plane: &mut [f32], stride: usize, geometry: &Geometry, bank: &Synthesis) {
    let mut ws = Workspace::default();
    for node in geometry.nodes.iter().rev() {
        columns_inverse(plane, stride, node, bank, &mut ws);
        rows_inverse(plane, stride, node, bank, &mut ws);
    }
}

/// The rows of `rect`, each cut to the rectangle's columns.
fn region_rows_mut(
    plane: &mut [f32],
    stride: usize,
    rect: Rect,
) -> impl Iterator<Item = &mut [f32]> {
    plane
        .chunks_exact_mut(stride.max(1))
        .skip(rect.y)
        .take(rect.height)
        .filter_map(move |row| row.get_mut(rect.x..rect.x + rect.width))
}

fn copy_region(plane: &mut [f32], stride: usize, rect: Rect, out: &mut Vec<f32>) {
    out.clear();
    for row in region_rows_mut(plane, stride, rect) {
        out.extend_from_slice(row);
    }
}

/// `out[k] = taps[0]·x[c] + Σ_{j≥1} taps[j]·(x[c−j] + x[c+j])` with `c = first + 2k`.
///
/// `taps` is a symmetric filter from its centre outwards; `x` must extend at least
/// `taps.len() − 1` samples beyond every centre.
fn fir_decimate(x: &[f32], taps: &[f32], first: usize, out: &mut [f32]) {
    let Some((&centre, sides)) = taps.split_first() else {
        return;
    };
    let reach = sides.len();
    let Some(source) = first.checked_sub(reach).and_then(|start| x.get(start..)) else {
        return;
    };
    match (centre, sides) {
        // The standard 9-tap and 7-tap filters, unrolled.
        (t0, &[t1, t2, t3, t4]) => {
            for (o, w) in out.iter_mut().zip(source.windows(9).step_by(2)) {
                if let &[a0, a1, a2, a3, a4, a5, a6, a7, a8] = w {
                    *o =
                        t0 * a4 + t1 * (a3 + a5) + t2 * (a2 + a6) + t3 * (a1 + a7) + t4 * (a0 + a8);
                }
            }
        }
        (t0, &[t1, t2, t3]) => {
            for (o, w) in out.iter_mut().zip(source.windows(7).step_by(2)) {
                if let &[a0, a1, a2, a3, a4, a5, a6] = w {
                    *o = t0 * a3 + t1 * (a2 + a4) + t2 * (a1 + a5) + t3 * (a0 + a6);
                }
            }
        }
        _ => {
            for (o, w) in out.iter_mut().zip(source.windows(2 * reach + 1).step_by(2)) {
                let Some((left, rest)) = w.split_at_checked(reach) else {
                    continue;
                };
                let Some((&mid, right)) = rest.split_first() else {
                    continue;
                };
                *o = sides
                    .iter()
                    .zip(left.iter().rev().zip(right))
                    .fold(centre * mid, |acc, (t, (a, b))| acc + t * (a + b));
            }
        }
    }
}

/// `dst = taps[0]·row(c) + Σ_{j≥1} taps[j]·(row(c−j) + row(c+j))`, rows reflected at the ends.
fn fir_columns(dst: &mut [f32], rows: &[&[f32]], taps: &[f32], centre: isize) {
    let n = rows.len();
    let row = |i: isize| rows.get(mirror(i, n)).copied().unwrap_or_default();
    let Some((&t0, sides)) = taps.split_first() else {
        return;
    };
    // The standard filters in one pass over the rows.
    if let &[t1, t2, t3] = sides {
        let (m3, m2, m1, c, p1, p2, p3) = (
            row(centre - 3),
            row(centre - 2),
            row(centre - 1),
            row(centre),
            row(centre + 1),
            row(centre + 2),
            row(centre + 3),
        );
        let sides = m3
            .iter()
            .zip(p3)
            .zip(m2.iter().zip(p2))
            .zip(m1.iter().zip(p1));
        for ((d, x), (((a3, b3), (a2, b2)), (a1, b1))) in dst.iter_mut().zip(c).zip(sides) {
            *d = t0 * x + t1 * (a1 + b1) + t2 * (a2 + b2) + t3 * (a3 + b3);
        }
        return;
    }
    if let &[t1, t2, t3, t4] = sides {
        let (m4, m3, m2, m1, c) = (
            row(centre - 4),
            row(centre - 3),
            row(centre - 2),
            row(centre - 1),
            row(centre),
        );
        let (p1, p2, p3, p4) = (
            row(centre + 1),
            row(centre + 2),
            row(centre + 3),
            row(centre + 4),
        );
        let outer = m4.iter().zip(p4).zip(m3.iter().zip(p3));
        let inner = m2.iter().zip(p2).zip(m1.iter().zip(p1));
        for ((d, x), (((a4, b4), (a3, b3)), ((a2, b2), (a1, b1)))) in
            dst.iter_mut().zip(c).zip(outer.zip(inner))
        {
            *d = t0 * x + t1 * (a1 + b1) + t2 * (a2 + b2) + t3 * (a3 + b3) + t4 * (a4 + b4);
        }
        return;
    }
    for (d, a) in dst.iter_mut().zip(row(centre)) {
        *d = t0 * a;
    }
    for (j, &t) in (1..).zip(sides) {
        if t == 0.0 {
            continue;
        }
        let (a, b) = (row(centre - j), row(centre + j));
        for (d, (x, y)) in dst.iter_mut().zip(a.iter().zip(b)) {
            *d += t * (x + y);
        }
    }
}

/// Copies `signal` into `line` with `margin` reflected samples on each side.
fn extend_line(line: &mut Vec<f32>, signal: &[f32], margin: usize) {
    let n = signal.len();
    let at = |i: isize| signal.get(mirror(i, n)).copied().unwrap_or(0.0);
    line.clear();
    line.extend((0..margin).map(|i| at(signal_index(i, margin))));
    line.extend_from_slice(signal);
    line.extend((0..margin).map(|i| at(signed(n) + signed(i))));
}

/// Signed position of margin sample `i` (of `margin`) on the left of a line.
fn signal_index(i: usize, margin: usize) -> isize {
    signed(i) - signed(margin)
}

fn rows_forward(
    plane: &mut [f32],
    stride: usize,
    node: &Node,
    bank: &Analysis,
    ws: &mut Workspace,
) {
    let n = node.rect.width;
    if n == 0 || node.rect.height == 0 {
        return;
    }
    let margin = bank.margin();
    let (first_len, _) = super::tree::halves(n, node.invert_rows);
    for row in region_rows_mut(plane, stride, node.rect) {
        extend_line(&mut ws.line, row, margin);
        let Some((first, second)) = row.split_at_mut_checked(first_len) else {
            continue;
        };
        let (lo, hi) = if node.invert_rows {
            (second, first)
        } else {
            (first, second)
        };
        fir_decimate(&ws.line, &bank.lowpass, margin, lo);
        fir_decimate(&ws.line, &bank.highpass, margin + 1, hi);
    }
}

fn columns_forward(
    plane: &mut [f32],
    stride: usize,
    node: &Node,
    bank: &Analysis,
    ws: &mut Workspace,
) {
    let Rect { width, height, .. } = node.rect;
    if width == 0 || height == 0 {
        return;
    }
    copy_region(plane, stride, node.rect, &mut ws.region);
    let rows: Vec<&[f32]> = ws.region.chunks_exact(width).collect();
    let (low, high) = (height.div_ceil(2), height / 2);
    let (low_y, high_y) = if node.invert_columns {
        (node.rect.y + high, node.rect.y)
    } else {
        (node.rect.y, node.rect.y + low)
    };
    let band = |y, height| Rect {
        y,
        height,
        ..node.rect
    };
    for (k, dst) in (0..).zip(region_rows_mut(plane, stride, band(low_y, low))) {
        fir_columns(dst, &rows, &bank.lowpass, 2 * k);
    }
    for (k, dst) in (0..).zip(region_rows_mut(plane, stride, band(high_y, high))) {
        fir_columns(dst, &rows, &bank.highpass, 2 * k + 1);
    }
}

fn columns_inverse(
    plane: &mut [f32],
    stride: usize,
    node: &Node,
    bank: &Synthesis,
    ws: &mut Workspace,
) {
    let Rect { width, height, .. } = node.rect;
    if width == 0 || height == 0 {
        return;
    }
    copy_region(plane, stride, node.rect, &mut ws.region);
    let rows: Vec<&[f32]> = ws.region.chunks_exact(width).collect();
    let (first_len, _) = super::tree::halves(height, node.invert_columns);
    let (first, second) = rows.split_at(first_len.min(rows.len()));
    let (low, high) = if node.invert_columns {
        (second, first)
    } else {
        (first, second)
    };
    // Low-pass rows on even positions, high-pass rows on odd positions.
    let positions: Vec<&[f32]> = (0..height)
        .map(|p| {
            let band = if p.is_multiple_of(2) { low } else { high };
            band.get(p / 2).copied().unwrap_or_default()
        })
        .collect();
    for (i, dst) in (0..).zip(region_rows_mut(plane, stride, node.rect)) {
        if height == 1 {
            for (d, s) in dst
                .iter_mut()
                .zip(positions.first().copied().unwrap_or_default())
            {
                *d = bank.dc_gain * s;
            }
            continue;
        }
        let taps = if i % 2 == 0 { &bank.even } else { &bank.odd };
        fir_columns(dst, &positions, taps, i);
    }
}

fn rows_inverse(
    plane: &mut [f32],
    stride: usize,
    node: &Node,
    bank: &Synthesis,
    ws: &mut Workspace,
) {
    let n = node.rect.width;
    if n == 0 || node.rect.height == 0 {
        return;
    }
    let margin = bank.margin();
    let (first_len, _) = super::tree::halves(n, node.invert_rows);
    for row in region_rows_mut(plane, stride, node.rect) {
        if n == 1 {
            if let Some(x) = row.first_mut() {
                *x *= bank.dc_gain;
            }
            continue;
        }
        {
            let (first, second) = row.split_at(first_len.min(n));
            let (low, high) = if node.invert_rows {
                (second, first)
            } else {
                (first, second)
            };
            interleave_extended(&mut ws.line, low, high, margin);
        }
        if let ([e0, e1, e2, e3, e4], [o0, o1, o2, o3, o4], 4) =
            (bank.even.as_slice(), bank.odd.as_slice(), margin)
        {
            // The standard bank: both outputs of a pair from one window of the line.
            let (pairs, last) = row.as_chunks_mut::<2>();
            let windows = ws.line.windows(10).step_by(2);
            for (pair, w) in pairs.iter_mut().zip(windows) {
                if let (&[w0, w1, w2, w3, w4, w5, w6, w7, w8, w9], [x0, x1]) = (w, pair) {
                    *x0 =
                        e0 * w4 + e1 * (w3 + w5) + e2 * (w2 + w6) + e3 * (w1 + w7) + e4 * (w0 + w8);
                    *x1 =
                        o0 * w5 + o1 * (w4 + w6) + o2 * (w3 + w7) + o3 * (w2 + w8) + o4 * (w1 + w9);
                }
            }
            if let Some(x) = last.first_mut() {
                fir_decimate(
                    &ws.line,
                    &bank.even,
                    margin + n - 1,
                    std::slice::from_mut(x),
                );
            }
            continue;
        }
        ws.even.resize(n.div_ceil(2), 0.0);
        ws.odd.resize(n / 2, 0.0);
        fir_decimate(&ws.line, &bank.even, margin, &mut ws.even);
        fir_decimate(&ws.line, &bank.odd, margin + 1, &mut ws.odd);
        for (pair, (&e, o)) in row
            .chunks_mut(2)
            .zip(ws.even.iter().zip(ws.odd.iter().map(Some).chain([None])))
        {
            match (pair, o) {
                ([x0, x1], Some(&o)) => {
                    *x0 = e;
                    *x1 = o;
                }
                ([x0], _) | ([x0, _], None) => *x0 = e,
                _ => {}
            }
        }
    }
}

/// Writes the low-pass samples on even and the high-pass samples on odd positions of a line of
/// `low.len() + high.len()` samples, extended by `margin` reflected samples on each side.
fn interleave_extended(line: &mut Vec<f32>, low: &[f32], high: &[f32], margin: usize) {
    let n = low.len() + high.len();
    let at = |i: isize| {
        let p = mirror(i, n);
        let band = if p.is_multiple_of(2) { low } else { high };
        band.get(p / 2).copied().unwrap_or(0.0)
    };
    line.clear();
    line.extend((0..margin).map(|i| at(signal_index(i, margin))));
    for (l, h) in low.iter().zip(high) {
        line.push(*l);
        line.push(*h);
    }
    if low.len() > high.len() {
        line.extend(low.last());
    }
    line.extend((0..margin).map(|i| at(signed(n) + signed(i))));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsq::filters::{Analysis, Synthesis};

    fn pseudo_random_plane(width: usize, height: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..width * height)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 * 256.0 - 128.0
            })
            .collect()
    }

    #[test]
    fn mirror_reflects_about_the_end_samples() {
        let n = 5;
        let got: Vec<usize> = (-6..12).map(|i| mirror(i, n)).collect();
        assert_eq!(got, [2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3]);
        assert_eq!(mirror(-3, 1), 0);
        assert_eq!(mirror(-1, 2), 1);
        assert_eq!(mirror(2, 2), 0);
    }

    #[test]
    fn one_dimensional_analysis_matches_the_definition() {
        // Direct evaluation of the reference formula on a 6-sample line.
        let x = [3.0f32, -1.0, 4.0, 1.0, -5.0, 9.0];
        let bank = Analysis::standard();
        let m = bank.margin();
        let mut line = Vec::new();
        extend_line(&mut line, &x, m);
        let mut lo = [0.0f32; 3];
        let mut hi = [0.0f32; 3];
        fir_decimate(&line, &bank.lowpass, m, &mut lo);
        fir_decimate(&line, &bank.highpass, m + 1, &mut hi);
        let xs = |i: isize| f64::from(x[mirror(i, 6)]);
        for k in 0..3isize {
            let l: f64 = (-4..=4isize)
                .map(|d| crate::wsq::filters::LOWPASS[d.unsigned_abs()] * xs(2 * k + d))
                .sum();
            let h: f64 = (-3..=3isize)
                .map(|d| crate::wsq::filters::HIGHPASS[d.unsigned_abs()] * xs(2 * k + 1 + d))
                .sum();
            assert!((f64::from(lo[k as usize]) - l).abs() < 1e-4, "L[{k}]");
            assert!((f64::from(hi[k as usize]) - h).abs() < 1e-4, "H[{k}]");
        }
    }

    #[test]
    #[expect(
        clippy::cast_possible_truncation,
        reason = "seeds from sides of at most 500 pixels"
    )]
    fn synthesis_inverts_analysis_for_every_size() {
        let synthesis = Synthesis::from_table(&Analysis::standard_table());
        for (w, h) in [
            (500, 500),
            (357, 411),
            (64, 33),
            (32, 32),
            (17, 5),
            (2, 3),
            (1, 1),
        ] {
            let original = pseudo_random_plane(w, h, (w * 31 + h) as u32);
            let mut plane = original.clone();
            let geometry = Geometry::new(w, h);
            forward(&mut plane, w, &geometry, &Analysis::standard());
            assert!(
                plane
                    .iter()
                    .zip(&original)
                    .any(|(a, b)| (a - b).abs() > 1.0),
                "{w}x{h}: forward transform left the plane unchanged"
            );
            inverse(&mut plane, w, &geometry, &synthesis);
            let worst = plane
                .iter()
                .zip(&original)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 2e-3, "{w}x{h}: reconstruction error {worst}");
        }
    }

    #[test]
    fn constant_signal_has_no_high_pass_energy() {
        let (w, h) = (96, 80);
        let mut plane = vec![10.0f32; w * h];
        let geometry = Geometry::new(w, h);
        forward(&mut plane, w, &geometry, &Analysis::standard());
        for (k, rect) in geometry.subbands.iter().enumerate().skip(4) {
            for y in rect.y..rect.y + rect.height {
                for x in rect.x..rect.x + rect.width {
                    assert!(plane[y * w + x].abs() < 1e-3, "subband {k}");
                }
            }
        }
    }
}
