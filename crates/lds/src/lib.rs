//! The Logical Data Structure of an eMRTD chip (ICAO Doc 9303-10, LDS 1.7): the elementary
//! files, their encoders and tolerant parsers, and the signed [`ChipImage`] hand-off.

pub mod build;
mod card_access;
pub mod card_security;
pub mod chip_image;
mod com;
pub mod describe;
mod dg1;
mod dg11;
mod dg12;
mod dg14;
mod dg15;
mod dg2;
mod dg3;
pub mod dg7;
mod ef;
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
pub use dg2::{Dg2, Dg2Face, FaceBdb};
pub use dg3::{Dg3, Dg3Finger};
pub use dg7::Dg7;
pub use dg11::Dg11;
pub use dg12::Dg12;
pub use dg14::Dg14;
pub use dg15::Dg15;
pub use ef::{DgNumber, EMRTD_AID, Ef};
pub use error::{LdsError, LdsErrorKind, SourceError};
pub use security_infos::{SecurityInfo, SecurityInfos};
