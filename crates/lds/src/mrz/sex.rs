//! Sex of the holder (ICAO Doc 9303-4 §4.2.2.2 and 9303-5 §4.2.2.2, note f).
//!
//! The MRZ carries `F`, `M` or `<` (unspecified; the VIZ then shows `X`). The 8th-edition tables
//! list no `X` in the MRZ, but some issuers print it, so it is read as unspecified and never
//! written.

use std::fmt;

/// Sex as recorded in the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
    /// `<` in the MRZ, `X` in the VIZ.
    Unspecified,
}

impl Sex {
    /// The MRZ character: `M`, `F` or `<`.
    pub fn to_mrz(self) -> char {
        match self {
            Self::Male => 'M',
            Self::Female => 'F',
            Self::Unspecified => '<',
        }
    }

    /// The VIZ letter: `M`, `F` or `X`.
    pub fn to_viz(self) -> char {
        match self {
            Self::Male => 'M',
            Self::Female => 'F',
            Self::Unspecified => 'X',
        }
    }

    /// Reads the MRZ character: `M`, `F`, and `<` or `X` as unspecified.
    pub fn from_mrz(c: char) -> Option<Self> {
        match c {
            'M' => Some(Self::Male),
            'F' => Some(Self::Female),
            '<' | 'X' => Some(Self::Unspecified),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    /// The VIZ letter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_viz())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_is_read_as_unspecified_and_written_as_filler() {
        assert_eq!(Sex::from_mrz('X'), Some(Sex::Unspecified));
        assert_eq!(Sex::from_mrz('<'), Some(Sex::Unspecified));
        assert_eq!(Sex::Unspecified.to_mrz(), '<');
        assert_eq!(Sex::Unspecified.to_viz(), 'X');
        assert_eq!(Sex::from_mrz('m'), None);
        for s in [Sex::Male, Sex::Female, Sex::Unspecified] {
            assert_eq!(Sex::from_mrz(s.to_mrz()), Some(s));
        }
    }
}
