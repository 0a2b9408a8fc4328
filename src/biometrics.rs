//! Biometric records as they go onto the chip: CBEFF wrapping (ISO/IEC 19785-3 / 7816-11),
//! ISO/IEC 19794-5 face records, ISO/IEC 19794-4 finger image records,
//! and the WSQ fingerprint image codec ([`wsq`]).

pub mod cbeff;
mod cursor;
pub mod face_record;
pub mod finger_position;
pub mod finger_record;
pub mod signature;

pub use cursor::Truncated;
pub mod finger_selection;
pub mod wsq;

pub use finger_position::FingerPosition;
