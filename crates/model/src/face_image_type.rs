//! Face image types: ISO/IEC 19794-5:2005 §5.7.1 (the face image type byte of a facial record),
//! and the two of them a portrait is prepared as (§8 full frontal, §9 token frontal), which
//! document profiles name and the portrait quality gate crops to.

use serde::{Deserialize, Serialize};

/// The face image type of a facial record, every code a record may hold (§5.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaceImageType {
    /// `00` basic.
    Basic,
    /// `01` full frontal.
    FullFrontal,
    /// `02` token frontal.
    TokenFrontal,
    /// Any other value read from a record.
    Other(u8),
}

impl FaceImageType {
    /// The encoded byte.
    pub fn code(self) -> u8 {
        match self {
            FaceImageType::Basic => 0,
            FaceImageType::FullFrontal => 1,
            FaceImageType::TokenFrontal => 2,
            FaceImageType::Other(v) => v,
        }
    }

    /// From the encoded byte.
    pub fn from_code(v: u8) -> Self {
        match v {
            0 => FaceImageType::Basic,
            1 => FaceImageType::FullFrontal,
            2 => FaceImageType::TokenFrontal,
            v => FaceImageType::Other(v),
        }
    }
}

/// The face image type a portrait is prepared as: `full-frontal` or `token-frontal` in profiles
/// and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortraitType {
    /// Full frontal (19794-5 §8).
    FullFrontal,
    /// Token frontal (19794-5 §9): fixed eye positions.
    TokenFrontal,
}

impl PortraitType {
    /// The 19794-5 face image type code.
    pub fn code(self) -> u8 {
        FaceImageType::from(self).code()
    }
}

impl From<PortraitType> for FaceImageType {
    fn from(p: PortraitType) -> Self {
        match p {
            PortraitType::FullFrontal => FaceImageType::FullFrontal,
            PortraitType::TokenFrontal => FaceImageType::TokenFrontal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portrait_types_carry_their_19794_5_codes() {
        assert_eq!(PortraitType::FullFrontal.code(), 0x01);
        assert_eq!(PortraitType::TokenFrontal.code(), 0x02);
        for code in 0..=u8::MAX {
            assert_eq!(FaceImageType::from_code(code).code(), code);
        }
    }
}
