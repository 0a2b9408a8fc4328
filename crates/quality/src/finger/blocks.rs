//! Block analysis shared by every measure: the 32 × 32 pixel block grid NFIQ 2 uses at 500 ppi
//! (ISO/IEC 29794-4:2024 §6 "local quality features … computed on blocks of 32 × 32 pixels"),
//! foreground segmentation by local grey-level spread, the gradient structure tensor of each
//! block (ridge direction and orientation certainty), and the oriented block signature: the
//! block resampled in a frame aligned with the ridges (32 samples across, 16 along), from which
//! the frequency, clarity and uniformity measures are taken.

use image::GrayImage;

/// Block edge length in pixels at 500 ppi.
pub(crate) const BLOCK: usize = 32;
/// Samples across the ridges in the oriented window.
pub(crate) const ACROSS: usize = 32;
/// Samples along the ridges in the oriented window.
pub(crate) const ALONG: usize = 16;
/// A block whose grey-level standard deviation is below this is background (no ridges).
pub(crate) const FOREGROUND_STD: f64 = 9.0;

/// One foreground block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Block column and row in the grid.
    pub(crate) col: usize,
    pub(crate) row: usize,
    /// Mean grey level.
    pub(crate) mean: f64,
    /// Ridge direction (radians, modulo π).
    pub(crate) direction: f64,
    /// Orientation certainty level: 1 − λmin/λmax of the gradient covariance.
    pub(crate) ocl: f64,
    /// The oriented window, `ALONG` rows of `ACROSS` samples.
    pub(crate) window: Vec<f64>,
}

impl Block {
    /// The signature: the window averaged along the ridges.
    pub(crate) fn signature(&self) -> [f64; ACROSS] {
        let mut sig = [0.0; ACROSS];
        for row in self.window.chunks_exact(ACROSS) {
            for (s, v) in sig.iter_mut().zip(row) {
                *s += v;
            }
        }
        for s in &mut sig {
            *s /= ALONG as f64;
        }
        sig
    }

    /// Variance of the window about its signature: sensor noise plus whatever varies along
    /// the ridges (breaks, pores, curvature).
    pub(crate) fn residual_variance(&self, sig: &[f64; ACROSS]) -> f64 {
        let mut sum = 0.0;
        for row in self.window.chunks_exact(ACROSS) {
            for (s, v) in sig.iter().zip(row) {
                sum += (v - s) * (v - s);
            }
        }
        sum / self.window.len().max(1) as f64
    }
}

/// The block grid of an image.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    pub(crate) cols: usize,
    pub(crate) rows: usize,
    /// Foreground blocks, in row-major order.
    pub(crate) blocks: Vec<Block>,
    /// For every grid cell, the index into `blocks`, if foreground.
    pub(crate) index: Vec<Option<usize>>,
}

impl Grid {
    /// Segments `image` and analyses every foreground block.
    pub(crate) fn analyse(image: &GrayImage) -> Self {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let px: Vec<f64> = image.as_raw().iter().map(|&v| f64::from(v)).collect();
        let at = |x: usize, y: usize| px.get(y * w + x).copied().unwrap_or(0.0);
        let cols = w / BLOCK;
        let rows = h / BLOCK;
        // Centre the grid so that equal margins are left on both sides.
        let (ox, oy) = ((w - cols * BLOCK) / 2, (h - rows * BLOCK) / 2);
        let mut blocks = Vec::new();
        let mut index = vec![None; cols * rows];
        for row in 0..rows {
            for col in 0..cols {
                let (x0, y0) = (ox + col * BLOCK, oy + row * BLOCK);
                let (mut sum, mut sq) = (0.0, 0.0);
                for y in y0..y0 + BLOCK {
                    for x in x0..x0 + BLOCK {
                        let v = at(x, y);
                        sum += v;
                        sq += v * v;
                    }
                }
                let n = (BLOCK * BLOCK) as f64;
                let mean = sum / n;
                let std = (sq / n - mean * mean).max(0.0).sqrt();
                if std < FOREGROUND_STD {
                    continue;
                }
                // Gradient covariance with central differences (pixels on the image border use
                // the nearest inside neighbour).
                let (mut gxx, mut gyy, mut gxy) = (0.0, 0.0, 0.0);
                for y in y0..y0 + BLOCK {
                    for x in x0..x0 + BLOCK {
                        let gx = at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y);
                        let gy = at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1));
                        gxx += gx * gx;
                        gyy += gy * gy;
                        gxy += gx * gy;
                    }
                }
                let trace = gxx + gyy;
                let root = ((gxx - gyy) * (gxx - gyy) + 4.0 * gxy * gxy).sqrt();
                let (lmax, lmin) = (0.5 * (trace + root), 0.5 * (trace - root));
                let ocl = if lmax > 0.0 { 1.0 - lmin / lmax } else { 0.0 };
                // Dominant gradient direction; ridges run perpendicular to it.
                let gradient = 0.5 * libm::atan2(2.0 * gxy, gxx - gyy);
                let direction =
                    (gradient + core::f64::consts::FRAC_PI_2).rem_euclid(core::f64::consts::PI);
                let window = oriented_window(
                    &px,
                    w,
                    h,
                    (
                        x0 as f64 + BLOCK as f64 / 2.0,
                        y0 as f64 + BLOCK as f64 / 2.0,
                    ),
                    direction,
                );
                if let Some(slot) = index.get_mut(row * cols + col) {
                    *slot = Some(blocks.len());
                }
                blocks.push(Block {
                    col,
                    row,
                    mean,
                    direction,
                    ocl,
                    window,
                });
            }
        }
        Self {
            cols,
            rows,
            blocks,
            index,
        }
    }

    /// The foreground block at grid cell `(col, row)`, if any.
    pub(crate) fn at(&self, col: isize, row: isize) -> Option<&Block> {
        if col < 0 || row < 0 || col as usize >= self.cols || row as usize >= self.rows {
            return None;
        }
        let i = (*self.index.get(row as usize * self.cols + col as usize)?)?;
        self.blocks.get(i)
    }
}

/// Bilinear samples of a window centred at `centre`, rows along the ridge `direction`, columns
/// across it.
fn oriented_window(px: &[f64], w: usize, h: usize, centre: (f64, f64), direction: f64) -> Vec<f64> {
    let (c, s) = (libm::cos(direction), libm::sin(direction));
    let mut out = Vec::with_capacity(ACROSS * ALONG);
    for j in 0..ALONG {
        let v = j as f64 - (ALONG as f64 - 1.0) / 2.0;
        for i in 0..ACROSS {
            let u = i as f64 - (ACROSS as f64 - 1.0) / 2.0;
            // u runs along the normal (−sin, cos), v along the ridge (cos, sin).
            let x = centre.0 + v * c - u * s;
            let y = centre.1 + v * s + u * c;
            out.push(bilinear(px, w, h, x, y));
        }
    }
    out
}

fn bilinear(px: &[f64], w: usize, h: usize, x: f64, y: f64) -> f64 {
    let x = x.clamp(0.0, (w - 1) as f64);
    let y = y.clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let p = |xx: usize, yy: usize| px.get(yy * w + xx).copied().unwrap_or(0.0);
    let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
    let bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
    top + (bottom - top) * fy
}
