//! Pen strokes to a grey image: ink as a ballpoint pen lays it down, a line whose width follows
//! the pen pressure, anti-aliased, dark on white.
//!
//! Each segment between two samples is drawn as a capsule whose radius goes linearly from the
//! first sample's to the second's; a pixel's ink coverage is how far its centre lies inside
//! the capsule, clamped to one pixel (a box-filter estimate of the covered area). Overlapping
//! capsules keep the darker value, so joints and crossings do not darken twice, as with real
//! ink. The image keeps the pad's aspect ratio; the signature is cropped and scaled later by
//! [`permitkit_biometrics::signature::prepare`].

use image::{GrayImage, Luma};

use super::signature_pad::{PadArea, PenPoint, Stroke};

/// How strokes are rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Output resolution in pixels per millimetre of the pad (8 px/mm is about 200 ppi).
    pub px_per_mm: f32,
    /// Largest side of the output in pixels; a larger pad is rendered at a lower resolution.
    pub max_side: u32,
    /// Line width in millimetres at the lightest pressure.
    pub min_width_mm: f32,
    /// Line width in millimetres at full pressure.
    pub max_width_mm: f32,
    /// Pad size assumed for the long side when the device does not report its resolution.
    pub assumed_long_side_mm: f32,
    /// Grey level of full ink coverage (0 black, 255 white).
    pub ink: u8,
}

impl Default for RenderOptions {
    /// A ballpoint-like line from 0.3 mm (light touch) to 0.9 mm (full pressure) at 8 px/mm;
    /// a pad with unknown resolution is taken to be 150 mm wide (a small pen tablet).
    fn default() -> Self {
        Self {
            px_per_mm: 8.0,
            max_side: 2400,
            min_width_mm: 0.3,
            max_width_mm: 0.9,
            assumed_long_side_mm: 150.0,
            ink: 16,
        }
    }
}

/// Renders `strokes` written on `area` into a white image of the area's aspect ratio.
/// Non-finite samples are skipped and samples outside the area are clamped onto its edge.
pub fn render(strokes: &[Stroke], area: PadArea, options: &RenderOptions) -> GrayImage {
    let area = if area.is_valid() {
        area
    } else {
        PadArea {
            width: 1.0,
            height: 1.0,
            units_per_mm: None,
        }
    };
    let long = area.width.max(area.height);
    let units_per_mm = area
        .units_per_mm
        .unwrap_or(long / positive_or(options.assumed_long_side_mm, 150.0));
    let max_side = options.max_side.clamp(1, 16_384) as f32;
    let mut px_per_unit = positive_or(options.px_per_mm, 8.0) / units_per_mm;
    if long * px_per_unit > max_side {
        px_per_unit = max_side / long;
    }
    let width = side(area.width * px_per_unit);
    let height = side(area.height * px_per_unit);
    let px_per_mm = px_per_unit * units_per_mm;
    let radius = |pressure: f32| {
        let p = if pressure.is_finite() {
            pressure.clamp(0.0, 1.0)
        } else {
            0.5
        };
        0.5 * px_per_mm * (options.min_width_mm + (options.max_width_mm - options.min_width_mm) * p)
    };
    let mut canvas = Coverage::new(width, height);
    let place = |p: &PenPoint| -> Option<(f32, f32, f32)> {
        if !(p.x.is_finite() && p.y.is_finite()) {
            return None;
        }
        Some((
            p.x.clamp(0.0, area.width) * px_per_unit,
            p.y.clamp(0.0, area.height) * px_per_unit,
            radius(p.pressure).max(0.35),
        ))
    };
    for stroke in strokes {
        let mut previous: Option<(f32, f32, f32)> = None;
        for point in &stroke.points {
            let Some(here) = place(point) else {
                continue;
            };
            canvas.capsule(previous.unwrap_or(here), here);
            previous = Some(here);
        }
    }
    canvas.into_image(options.ink)
}

fn positive_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        fallback
    }
}

/// A side length in whole pixels, at least 1.
#[expect(
    clippy::cast_possible_truncation,
    reason = "rounded up and clamped to 1..=16 384 first; NaN becomes 0"
)]
fn side(v: f32) -> u32 {
    v.ceil().clamp(1.0, 16_384.0) as u32
}

/// Ink coverage per pixel, 0–255.
struct Coverage {
    width: u32,
    height: u32,
    cells: Vec<u8>,
}

impl Coverage {
    fn new(width: u32, height: u32) -> Self {
        let n = usize::try_from(u64::from(width) * u64::from(height)).unwrap_or(0);
        Self {
            width,
            height,
            cells: vec![0; n],
        }
    }

    /// Inks the capsule from `a` to `b`, each `(x, y, radius)` in pixels. A long segment is
    /// drawn as consecutive shorter capsules (the same shape, since the radius is linear along
    /// it), so that the pixels visited stay proportional to the inked area rather than to the
    /// segment's bounding box.
    fn capsule(&mut self, a: (f32, f32, f32), b: (f32, f32, f32)) {
        const PIECE: f32 = 16.0;
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        if len.is_finite() && len > PIECE {
            let pieces = (len / PIECE).ceil().min(4096.0);
            let at = |t: f32| {
                (
                    a.0 + (b.0 - a.0) * t,
                    a.1 + (b.1 - a.1) * t,
                    a.2 + (b.2 - a.2) * t,
                )
            };
            let mut i = 0.0;
            while i < pieces {
                self.piece(at(i / pieces), at((i + 1.0) / pieces));
                i += 1.0;
            }
        } else {
            self.piece(a, b);
        }
    }

    fn piece(&mut self, a: (f32, f32, f32), b: (f32, f32, f32)) {
        let (ax, ay, ar) = a;
        let (bx, by, br) = b;
        let reach = ar.max(br) + 1.0;
        let x0 = pixel_floor(ax.min(bx) - reach, self.width);
        let x1 = pixel_floor(ax.max(bx) + reach, self.width);
        let y0 = pixel_floor(ay.min(by) - reach, self.height);
        let y1 = pixel_floor(ay.max(by) + reach, self.height);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let row = self.width as usize;
        for y in y0..=y1.min(self.height.saturating_sub(1)) {
            let cy = y as f32 + 0.5;
            for x in x0..=x1.min(self.width.saturating_sub(1)) {
                let cx = x as f32 + 0.5;
                let t = if len2 > 0.0 {
                    (((cx - ax) * dx + (cy - ay) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + t * dx, ay + t * dy);
                let r = ar + t * (br - ar);
                let d = (cx - px).hypot(cy - py);
                let cover = (r + 0.5 - d).clamp(0.0, 1.0);
                if cover <= 0.0 {
                    continue;
                }
                let level = unit_to_u8(cover);
                let i = y as usize * row + x as usize;
                if let Some(c) = self.cells.get_mut(i) {
                    *c = (*c).max(level);
                }
            }
        }
    }

    fn into_image(self, ink: u8) -> GrayImage {
        let span = u16::from(255 - ink);
        let mut pixels = Vec::with_capacity(self.cells.len());
        for c in &self.cells {
            // 255 − coverage × (255 − ink), in integers: coverage 255 gives `ink` exactly.
            let darkening = (u16::from(*c) * span + 127) / 255;
            pixels.push(u8::try_from(255 - darkening.min(255)).unwrap_or(0));
        }
        GrayImage::from_raw(self.width, self.height, pixels)
            .unwrap_or_else(|| GrayImage::from_pixel(self.width, self.height, Luma([255])))
    }
}

/// The pixel index containing coordinate `v`, clamped into `0..limit`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "finite, floored and clamped into 0..limit first"
)]
fn pixel_floor(v: f32, limit: u32) -> u32 {
    if !v.is_finite() {
        return 0;
    }
    v.floor().clamp(0.0, limit.saturating_sub(1) as f32) as u32
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "clamped to 0..=1 and scaled to 0..=255 first; NaN becomes 0"
)]
fn unit_to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f32, y: f32, pressure: f32) -> PenPoint {
        PenPoint {
            x,
            y,
            pressure,
            t_ms: 0,
        }
    }

    const AREA: PadArea = PadArea {
        width: 100.0,
        height: 50.0,
        units_per_mm: Some(1.0),
    };

    #[test]
    fn keeps_the_pad_aspect_ratio_and_resolution() {
        let img = render(&[], AREA, &RenderOptions::default());
        assert_eq!(img.dimensions(), (800, 400));
        assert!(img.pixels().all(|p| p.0[0] == 255));
        let big = PadArea {
            width: 15200.0,
            height: 9500.0,
            units_per_mm: Some(100.0),
        };
        assert_eq!(
            render(&[], big, &RenderOptions::default()).dimensions(),
            (1216, 760)
        );
        let unknown = PadArea {
            width: 3000.0,
            height: 1000.0,
            units_per_mm: None,
        };
        // 150 mm assumed for the long side at 8 px/mm.
        assert_eq!(
            render(&[], unknown, &RenderOptions::default()).dimensions(),
            (1200, 400)
        );
    }

    #[test]
    fn line_width_follows_pressure() {
        let light = Stroke {
            points: vec![pt(10.0, 10.0, 0.0), pt(90.0, 10.0, 0.0)],
        };
        let heavy = Stroke {
            points: vec![pt(10.0, 30.0, 1.0), pt(90.0, 30.0, 1.0)],
        };
        let img = render(&[light, heavy], AREA, &RenderOptions::default());
        let column = |y0: u32, y1: u32| {
            (y0..y1)
                .filter(|&y| img.get_pixel(400, y).0[0] < 128)
                .count()
        };
        // 0.3 mm and 0.9 mm at 8 px/mm: about 2.4 and 7.2 pixels across.
        let (thin, thick) = (column(60, 100), column(220, 260));
        assert!((2..=3).contains(&thin), "thin {thin}");
        assert!((7..=8).contains(&thick), "thick {thick}");
    }

    #[test]
    fn edges_are_anti_aliased_and_the_core_is_ink() {
        let s = Stroke {
            points: vec![pt(10.0, 10.3, 1.0), pt(90.0, 20.7, 1.0)],
        };
        let img = render(&[s], AREA, &RenderOptions::default());
        let greys = img.pixels().filter(|p| (40..220).contains(&p.0[0])).count();
        let ink = img.pixels().filter(|p| p.0[0] == 16).count();
        assert!(greys > 100, "partial coverage at the edges: {greys}");
        assert!(ink > 2000, "solid core: {ink}");
    }

    #[test]
    fn a_single_sample_is_a_dot_and_bad_samples_are_skipped() {
        let dot = Stroke {
            points: vec![pt(50.0, 25.0, 0.5)],
        };
        let img = render(&[dot], AREA, &RenderOptions::default());
        let ink = img.pixels().filter(|p| p.0[0] < 128).count();
        // A 0.6 mm dot at 8 px/mm: radius 2.4 px, area about 18 px.
        assert!((10..=30).contains(&ink), "{ink}");
        let wild = Stroke {
            points: vec![
                pt(f32::NAN, 1.0, 0.5),
                pt(-1e30, 1e30, f32::INFINITY),
                pt(1e30, -5.0, -3.0),
            ],
        };
        let img = render(&[wild], AREA, &RenderOptions::default());
        assert_eq!(img.dimensions(), (800, 400));
    }
}
