//! # permitkit-model
//!
//! The standards' vocabulary that every layer shares, and the schema of every profile:
//!
//! - [`secret`]: containers for keys, MRZ data, passwords and biometric samples that never print
//!   their content and are zeroized on drop.
//! - [`random`]: the one place randomness is drawn from the operating system.
//! - [`private_file`]: the one writer of files that hold secrets or biometric data (0600,
//!   whole or not at all, durable).
//! - vocabulary: [`finger_position`] and [`finger_image`] (ISO/IEC 19794-4),
//!   [`face_image_type`] (ISO/IEC 19794-5), [`verdict`] of a quality check, personalization
//!   [`dialect`]s, device [`selector`]s and [`device`] identity, Linux [`input_codes`] for pen
//!   end buttons, the [`pkcs11_uri`] that names a key on a hardware token (RFC 7512).
//! - [`profiles`]: hardware, chip, document, quality and station profiles (TOML), loaded and
//!   validated once into typed values; [`toml_field`] names the field a TOML error is about.
//!
//! The model depends only on `permitkit-iso7816`; the mechanisms (lds, chip, pki, biometrics,
//! quality, simulator) and the station build on it, never the other way round.
#![forbid(unsafe_code)]

pub mod device;
pub mod dialect;
pub mod face_image_type;
pub mod finger_image;
pub mod finger_position;
pub mod input_codes;
pub mod pkcs11_uri;
pub mod private_file;
pub mod profiles;
pub mod random;
pub mod secret;
pub mod selector;
pub mod toml_field;
pub mod verdict;

pub use device::DeviceInfo;
pub use dialect::Dialect;
pub use face_image_type::{FaceImageType, PortraitType};
pub use finger_image::{FingerImage, ImpressionType};
pub use finger_position::FingerPosition;
pub use verdict::Verdict;
