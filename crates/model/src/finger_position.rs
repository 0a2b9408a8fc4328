//! Finger positions: ISO/IEC 19794-4:2005 Table 2 (finger position codes, shared with
//! ANSI/NIST-ITL), and the CBEFF biometric subtype the same finger takes in a DG3 header
//! (ISO/IEC 19785-3 / ICAO 9303-10 §4.7.3: bits 1–2 right `01` / left `10`, bits 3–5 thumb 1 …
//! little 5).

use std::{fmt, str::FromStr};

/// One finger (or the unknown position), by its ISO/IEC 19794-4 code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum FingerPosition {
    /// 0: unknown finger.
    Unknown,
    /// 1: right thumb.
    RightThumb,
    /// 2: right index finger.
    RightIndex,
    /// 3: right middle finger.
    RightMiddle,
    /// 4: right ring finger.
    RightRing,
    /// 5: right little finger.
    RightLittle,
    /// 6: left thumb.
    LeftThumb,
    /// 7: left index finger.
    LeftIndex,
    /// 8: left middle finger.
    LeftMiddle,
    /// 9: left ring finger.
    LeftRing,
    /// 10: left little finger.
    LeftLittle,
}

/// The hand a finger is on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Hand {
    /// Positions 1 to 5.
    Right,
    /// Positions 6 to 10.
    Left,
}

const ALL: [(FingerPosition, &str); 11] = [
    (FingerPosition::Unknown, "unknown"),
    (FingerPosition::RightThumb, "right-thumb"),
    (FingerPosition::RightIndex, "right-index"),
    (FingerPosition::RightMiddle, "right-middle"),
    (FingerPosition::RightRing, "right-ring"),
    (FingerPosition::RightLittle, "right-little"),
    (FingerPosition::LeftThumb, "left-thumb"),
    (FingerPosition::LeftIndex, "left-index"),
    (FingerPosition::LeftMiddle, "left-middle"),
    (FingerPosition::LeftRing, "left-ring"),
    (FingerPosition::LeftLittle, "left-little"),
];

impl FingerPosition {
    /// Every position, in code order.
    pub fn all() -> impl Iterator<Item = FingerPosition> {
        ALL.iter().map(|(p, _)| *p)
    }

    /// The ISO/IEC 19794-4 finger position code, 0 to 10.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The position for a code 0 to 10.
    pub fn from_code(code: u8) -> Option<Self> {
        ALL.get(usize::from(code)).map(|(p, _)| *p)
    }

    /// The hand the finger is on; `None` for the unknown position.
    pub const fn hand(self) -> Option<Hand> {
        match self {
            FingerPosition::Unknown => None,
            FingerPosition::RightThumb
            | FingerPosition::RightIndex
            | FingerPosition::RightMiddle
            | FingerPosition::RightRing
            | FingerPosition::RightLittle => Some(Hand::Right),
            FingerPosition::LeftThumb
            | FingerPosition::LeftIndex
            | FingerPosition::LeftMiddle
            | FingerPosition::LeftRing
            | FingerPosition::LeftLittle => Some(Hand::Left),
        }
    }

    /// The CBEFF biometric subtype for DG3 headers (`82 01 ss`): right `01`/left `02` in bits
    /// 1–2, finger (thumb 1 … little 5) in bits 3–5; `00` for the unknown position.
    pub const fn cbeff_subtype(self) -> u8 {
        let code = self.code();
        match self.hand() {
            None => 0,
            Some(Hand::Right) => (code << 2) | 0x01,
            Some(Hand::Left) => ((code - 5) << 2) | 0x02,
        }
    }

    /// The kebab-case name used on the command line and in profiles (`right-index`).
    pub fn name(self) -> &'static str {
        ALL.get(usize::from(self.code()))
            .map_or("unknown", |(_, n)| n)
    }
}

impl fmt::Display for FingerPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown finger name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finger position {0:?} (expected e.g. right-index, left-thumb)")]
pub struct UnknownFinger(pub String);

impl FromStr for FingerPosition {
    type Err = UnknownFinger;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        ALL.iter()
            .find(|(_, n)| *n == wanted)
            .map(|(p, _)| *p)
            .ok_or_else(|| UnknownFinger(s.to_owned()))
    }
}

impl serde::Serialize for FingerPosition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for FingerPosition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbeff_subtypes_match_9303_10() {
        // docs/spec/lds.md §5: R-index 09, L-index 0A, R thumb 05, L thumb 06.
        assert_eq!(FingerPosition::RightIndex.cbeff_subtype(), 0x09);
        assert_eq!(FingerPosition::LeftIndex.cbeff_subtype(), 0x0A);
        assert_eq!(FingerPosition::RightThumb.cbeff_subtype(), 0x05);
        assert_eq!(FingerPosition::LeftThumb.cbeff_subtype(), 0x06);
        assert_eq!(FingerPosition::LeftLittle.cbeff_subtype(), 0x16);
    }

    #[test]
    fn hands_follow_the_position_codes() {
        assert_eq!(FingerPosition::Unknown.hand(), None);
        for p in FingerPosition::all().skip(1) {
            let want = if p.code() <= 5 {
                Hand::Right
            } else {
                Hand::Left
            };
            assert_eq!(p.hand(), Some(want), "{p}");
        }
    }

    #[test]
    fn codes_and_names_round_trip() {
        for p in FingerPosition::all() {
            assert_eq!(FingerPosition::from_code(p.code()), Some(p));
            assert_eq!(p.name().parse::<FingerPosition>().unwrap(), p);
        }
        assert_eq!(FingerPosition::RightIndex.code(), 2);
        assert_eq!(FingerPosition::LeftIndex.code(), 7);
        assert_eq!(FingerPosition::from_code(11), None);
        assert_eq!(
            "Right_Index".parse::<FingerPosition>().unwrap(),
            FingerPosition::RightIndex
        );
        assert!("right-toe".parse::<FingerPosition>().is_err());
    }
}
