//! Test images and the labelled variants derived from them.

use std::path::PathBuf;

use image::{Rgb, RgbImage, imageops};
use permitkit_quality::face::{ImageLimits, decode};

/// Path of a file in `testdata/images`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/images")
        .join(name)
}

/// Decodes a file of `testdata/images`.
pub fn load(name: &str) -> RgbImage {
    let bytes = std::fs::read(path(name)).unwrap();
    decode(&bytes, ImageLimits::default()).unwrap()
}

/// The reference portrait: the neutral public-domain portrait the simulated camera shows
/// (testdata/sim/portrait-neutral.jpg, see its SOURCES), enlarged 3× onto a plain grey
/// 1280×960 frame exactly as `crates/devices/src/camera_sim.rs` composes its good frames
/// (inter-eye distance ≈ 129 px). Its only findings are warnings: the head is turned about 10°.
pub fn portrait() -> RgbImage {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sim/portrait-neutral.jpg"),
    )
    .unwrap();
    let head = decode(&bytes, ImageLimits::default()).unwrap();
    let (w, h) = head.dimensions();
    let big = imageops::resize(&head, w * 3, h * 3, imageops::FilterType::Triangle);
    let mut frame = RgbImage::from_pixel(1280, 960, Rgb([200, 200, 200]));
    imageops::overlay(&mut frame, &big, 340, 120);
    frame
}

/// scikit-image's astronaut (Eileen Collins, public domain) enlarged 2.5× with Lanczos-3, so
/// that its inter-eye distance (≈ 107 px) is above the 90 px minimum; she smiles with parted
/// lips, so it fails the mouth and expression checks.
pub fn astronaut_large() -> RgbImage {
    let a = load("astronaut.png");
    imageops::resize(&a, 1280, 1280, imageops::FilterType::Lanczos3)
}

/// Maps every pixel through `f`.
pub fn map(img: &RgbImage, f: impl Fn(u32, u32, [f32; 3]) -> [f32; 3]) -> RgbImage {
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let c = p.0.map(f32::from);
        let r = f(x, y, c);
        p.0 = r.map(|v| v.round().clamp(0.0, 255.0) as u8);
    }
    out
}

/// Rotates about the image centre by `degrees` (counter-clockwise on screen), bilinear,
/// edges repeated.
pub fn rotate(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (s, c) = degrees.to_radians().sin_cos();
    let sample = |x: f32, y: f32, ch: usize| {
        let x = x.clamp(0.0, w as f32 - 1.0);
        let y = y.clamp(0.0, h as f32 - 1.0);
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let g = |x, y| f32::from(img.get_pixel(x, y).0[ch]);
        (g(x0, y0) * (1.0 - fx) + g(x1, y0) * fx) * (1.0 - fy)
            + (g(x0, y1) * (1.0 - fx) + g(x1, y1) * fx) * fy
    };
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        // inverse rotation (screen y points down)
        let sx = cx + dx * c - dy * s;
        let sy = cy + dx * s + dy * c;
        Rgb([0, 1, 2].map(|ch| sample(sx, sy, ch).round() as u8))
    })
}

/// Round trip through JPEG at `quality`.
pub fn jpeg(img: &RgbImage, quality: u8) -> RgbImage {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(img)
        .unwrap();
    decode(&buf, ImageLimits::default()).unwrap()
}

/// A PNG whose header claims `w × h` pixels but whose data is tiny (a decompression bomb's
/// header): the IHDR of a real 1×1 PNG with the size patched and its CRC recomputed.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut png = Vec::new();
    RgbImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // signature (8) + length (4) + "IHDR" (4) → width at 16, height at 20, CRC at 29.
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// CRC-32 (ISO-HDLC, as PNG uses), bitwise.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
