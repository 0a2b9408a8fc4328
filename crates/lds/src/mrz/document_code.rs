//! The document code (ICAO Doc 9303-4 §4.2.2.1 note on positions 1–2, 9303-5 §4.2.2.3 note k).
//!
//! - TD3 (passports): the first character is `P`; the second is the issuer's choice or `<`.
//! - TD1 (identity cards, residence permits): the first character is `A`, `C` or `I`; the second
//!   is the issuer's choice or `<`, except that `V` is never used, `AI` is not allowed and `AC` is
//!   reserved for crew member certificates (9303-5 Appendix C, accepted here). Residence permits
//!   use e.g. `IR` (UK, France, Portugal), `AR` (Germany), `IT` (Netherlands) and `I<`.
//!
//! Codes of issuers that break these rules (Estonia's `RP` residence permit) are refused.

use std::{fmt, str::FromStr};

use zeroize::Zeroize;

use super::{FieldError, MrzError, MrzFormat};

/// A document code: a letter and a letter or filler (`IR`, `I<`, `P<`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Zeroize)]
pub struct DocumentCode([u8; 2]);

impl DocumentCode {
    /// A code from one or two characters (`"I"` is padded to `I<`). The rules of the layout are
    /// checked when the MRZ is built, since they depend on the format.
    pub fn new(code: &str) -> Result<Self, MrzError> {
        let invalid = |reason| {
            MrzError::Field(FieldError::DocumentCode {
                code: code.to_owned(),
                reason,
            })
        };
        let (first, second) = match code.as_bytes() {
            [a] => (*a, b'<'),
            [a, b] => (*a, *b),
            _ => return Err(invalid("must be one or two characters")),
        };
        Self::from_mrz([first, second]).map_err(invalid)
    }

    /// Checks the two MRZ characters: an upper-case letter, then a letter or `<`.
    pub(crate) fn from_mrz(code: [u8; 2]) -> Result<Self, &'static str> {
        let [first, second] = code;
        if !first.is_ascii_uppercase() {
            return Err("must start with a letter A–Z");
        }
        if !(second.is_ascii_uppercase() || second == b'<') {
            return Err("must end with a letter A–Z or <");
        }
        Ok(Self(code))
    }

    /// Checks the rules of `format`; the error names the rule broken.
    pub(crate) fn check_format(self, format: MrzFormat) -> Result<(), &'static str> {
        let [first, second] = self.0;
        match format {
            MrzFormat::Td3 if first != b'P' => Err("is not a TD3 code: it must start with P"),
            MrzFormat::Td3 => Ok(()),
            MrzFormat::Td1 if !matches!(first, b'A' | b'C' | b'I') => {
                Err("is not a TD1 code: it must start with A, C or I (9303-5 note k)")
            }
            MrzFormat::Td1 if second == b'V' => {
                Err("is not allowed: V is never the second character (9303-5 note k)")
            }
            MrzFormat::Td1 if first == b'A' && second == b'I' => {
                Err("is not allowed (9303-5 note k)")
            }
            MrzFormat::Td1 => Ok(()),
        }
    }

    /// The two MRZ characters (`I<`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("<<")
    }
}

impl fmt::Display for DocumentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for DocumentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentCode({})", self.as_str())
    }
}

impl FromStr for DocumentCode {
    type Err = MrzError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residence_permit_codes_are_td1_codes() {
        for code in ["IR", "AR", "I<", "I", "IT", "AC", "CR", "ID", "IP"] {
            let c = DocumentCode::new(code).unwrap();
            assert_eq!(c.check_format(MrzFormat::Td1), Ok(()), "{code}");
            assert!(c.check_format(MrzFormat::Td3).is_err());
        }
        assert_eq!(DocumentCode::new("I").unwrap().as_str(), "I<");
    }

    #[test]
    fn note_k_exclusions_are_refused() {
        for code in ["IV", "AV", "AI", "RP", "P<", "V<"] {
            let c = DocumentCode::new(code).unwrap();
            assert!(c.check_format(MrzFormat::Td1).is_err(), "{code}");
        }
        assert!(
            DocumentCode::new("P<")
                .unwrap()
                .check_format(MrzFormat::Td3)
                .is_ok()
        );
        assert!(
            DocumentCode::new("PO")
                .unwrap()
                .check_format(MrzFormat::Td3)
                .is_ok()
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        for code in ["", "IRX", "<I", "i", "1R", "I1", "É"] {
            assert!(DocumentCode::new(code).is_err(), "{code}");
        }
        assert_eq!(
            DocumentCode::new("1R").unwrap_err().to_string(),
            "document-code: \"1R\" must start with a letter A–Z"
        );
    }
}
