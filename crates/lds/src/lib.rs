//! The Logical Data Structure of an eMRTD chip (ICAO Doc 9303-10, LDS 1.7): the elementary
//! files, their encoders and tolerant parsers, and the signed [`ChipImage`] hand-off.

pub mod build;
pub mod card_access;
pub mod card_security;
pub mod chip_image;
pub mod com;
pub mod describe;
pub mod dg1;
pub mod dg11;
pub mod dg12;
pub mod dg14;
pub mod dg15;
pub mod dg2;
pub mod dg3;
pub mod dg7;
pub mod ef;
mod error;
pub mod mrz;
pub mod security_infos;
pub mod sod;
mod tagged;

pub use build::{Enrolment, build};
pub use card_access::CardAccess;
pub use card_security::CardSecurity;
pub use chip_image::{ChipImage, ChipImageError, ChipKeys};
pub use com::Com;
pub use dg1::Dg1;
pub use dg2::Dg2;
pub use dg3::Dg3;
pub use dg7::Dg7;
pub use dg11::Dg11;
pub use dg12::Dg12;
pub use dg14::Dg14;
pub use dg15::Dg15;
pub use ef::{DgNumber, EMRTD_AID, Ef};
pub use error::{LdsError, LdsErrorKind, SourceError};
pub use security_infos::{SecurityInfo, SecurityInfos};
