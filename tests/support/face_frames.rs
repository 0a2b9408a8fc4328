//! The benchmark frames of `benches/face.rs`, shared with `examples/face_profile.rs` so that
//! instruction counts and criterion times measure the same pixels: the public-domain astronaut
//! portrait from testdata/images on a plain background at webcam framing.

use image::{Rgb, RgbImage, imageops};
use permitkit_quality::face::{ImageLimits, decode};

/// A `width` × `height` frame with the portrait scaled to `portrait_side`, centred at the top.
pub fn frame(width: u32, height: u32, portrait_side: u32) -> RgbImage {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/images/astronaut.png"
    ))
    .unwrap();
    let a = decode(&bytes, ImageLimits::default()).unwrap();
    let a = imageops::resize(
        &a,
        portrait_side,
        portrait_side,
        imageops::FilterType::Lanczos3,
    );
    let mut f = RgbImage::from_pixel(width, height, Rgb([200, 200, 205]));
    let x = i64::from((width - portrait_side.min(width)) / 2);
    imageops::replace(&mut f, &a, x, 0);
    f
}
