//! Biometric records as they go onto the chip: CBEFF wrapping (ISO/IEC 19785-3 / 7816-11),
//! ISO/IEC 19794-5 face records, ISO/IEC 19794-4 finger image records,
//! the WSQ fingerprint image codec ([`wsq`]), and the bounded PNG/JPEG decoder ([`image`]) that
//! every untrusted image goes through.
#![forbid(unsafe_code)]

pub mod cbeff;
mod cursor;
pub mod face_record;
pub mod finger_record;
pub mod image;
pub mod signature;

pub use cursor::Truncated;
pub mod wsq;

pub use permitkit_model::finger_position::{self, FingerPosition};
