//! Errors of the MRZ module: what is wrong, in which field, and where in the MRZ text.
//!
//! Messages name the field and, when parsing, the line and character position (both 1-based,
//! as in the ICAO Doc 9303-4/-5 data-structure tables): "line 2 position 7: date-of-birth check
//! digit is 3, computed 2". They never repeat a whole field (document number, name, date), because
//! the MRZ is personal data; at most the offending character or code is shown.

use std::fmt;

use super::date::DateError;
use super::names::NameError;

/// An MRZ data element, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// Document code (TD1 and TD3 line 1 positions 1–2).
    DocumentCode,
    /// Issuing State or organization (line 1 positions 3–5).
    IssuingState,
    /// Document number, with its check digit.
    DocumentNumber,
    /// TD1 optional data elements of line 1 (positions 16–30).
    OptionalData1,
    /// TD1 optional data elements of line 2 (positions 19–29).
    OptionalData2,
    /// TD3 personal number or other optional data (line 2 positions 29–42), with its check digit.
    PersonalNumber,
    /// Date of birth, with its check digit.
    DateOfBirth,
    /// Sex.
    Sex,
    /// Date of expiry, with its check digit.
    DateOfExpiry,
    /// Nationality of the holder.
    Nationality,
    /// The composite check digit.
    Composite,
    /// The name of the holder (primary and secondary identifiers).
    Name,
    /// A country code outside any particular field (from [`super::CountryCode::new`]).
    CountryCode,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DocumentCode => "document-code",
            Self::IssuingState => "issuing-state",
            Self::DocumentNumber => "document-number",
            Self::OptionalData1 => "optional-data-1",
            Self::OptionalData2 => "optional-data-2",
            Self::PersonalNumber => "personal-number",
            Self::DateOfBirth => "date-of-birth",
            Self::Sex => "sex",
            Self::DateOfExpiry => "date-of-expiry",
            Self::Nationality => "nationality",
            Self::Composite => "composite",
            Self::Name => "name",
            Self::CountryCode => "country-code",
        })
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A check digit that does not match the data it protects.
    #[error("{field} check digit is {found}, computed {computed}")]
    CheckDigit {
        /// The field the check digit protects.
        field: Field,
        /// The character found in the check-digit position.
        found: char,
        /// The check digit computed from the data.
        computed: u8,
    },
    /// A character the field does not allow.
    #[error("{field}: character {found:?} is not allowed here ({allowed})")]
    Character {
        /// The field.
        field: Field,
        /// The character found.
        found: char,
        /// What the field allows.
        allowed: &'static str,
    },
    /// A three-letter code that is neither ISO 3166-1 alpha-3 nor an ICAO 9303-3 §5 code.
    #[error(
        "{field}: {code:?} is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code"
    )]
    UnknownCountry {
        /// The field.
        field: Field,
        /// The code as found (MRZ form, fillers included).
        code: String,
    },
    /// A document code the format does not allow (9303-4 note on the document code, 9303-5 note k).
    #[error("document-code: {code:?} {reason}")]
    DocumentCode {
        /// The code as found.
        code: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// An impossible or badly written date.
    #[error("{field}: {error}")]
    Date {
        /// The field.
        field: Field,
        /// What is wrong with the date.
        error: DateError,
    },
    /// A sex other than `M`, `F`, `X` or `<`.
    #[error("sex: {found:?} is not M, F, X or <")]
    Sex {
        /// The character found.
        found: char,
    },
    /// More characters than the field holds.
    #[error("{field}: {length} characters do not fit in the {capacity} available")]
    TooLong {
        /// The field.
        field: Field,
        /// Characters given.
        length: usize,
        /// Characters available.
        capacity: usize,
    },
    /// A mandatory field that is empty.
    #[error("{field} is empty")]
    Empty {
        /// The field.
        field: Field,
    },
    /// A field the format does not have (TD3 has no second optional-data field).
    #[error("{field}: the {format} layout has no such field")]
    NotInFormat {
        /// The field.
        field: Field,
        /// The format.
        format: super::MrzFormat,
    },
    /// A badly placed filler in a document number.
    #[error("document-number: {0}")]
    DocumentNumber(&'static str),
    /// A malformed name field.
    #[error("name: {0}")]
    Name(NameError),
    /// A date of birth later than the date of expiry.
    #[error("date-of-birth is later than date-of-expiry")]
    BirthAfterExpiry,
}

/// Any error of the MRZ module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrzError {
    /// A field problem found while parsing, with its place in the MRZ text.
    #[error("line {line} position {position}: {error}")]
    At {
        /// Line, 1-based.
        line: usize,
        /// Character position within the line, 1-based.
        position: usize,
        /// What is wrong.
        error: FieldError,
    },
    /// A field problem found while building an MRZ from fields.
    #[error("{0}")]
    Field(FieldError),
    /// More text than any MRZ.
    #[error("MRZ text of {0} bytes is too long (at most {max} are read)", max = super::MAX_TEXT_BYTES)]
    TooLong(usize),
    /// The number of lines matches no supported format.
    #[error("found {0} lines; a TD1 MRZ has 3 lines of 30 characters and a TD3 MRZ 2 lines of 44")]
    LineCount(usize),
    /// A line of the wrong length.
    #[error("line {line} has {length} characters; {format} lines have {expected}")]
    LineLength {
        /// Line, 1-based.
        line: usize,
        /// Characters found.
        length: usize,
        /// The format the line count points to.
        format: super::MrzFormat,
        /// Characters a line of that format has.
        expected: usize,
    },
    /// A single line whose length matches no supported format.
    #[error("MRZ of {0} characters on one line; expected 90 (TD1, 3 × 30) or 88 (TD3, 2 × 44)")]
    JoinedLength(usize),
    /// A layout this module does not implement.
    #[error("{0} is not supported (TD1 and TD3 are)")]
    UnsupportedFormat(&'static str),
    /// A character outside the MRZ alphabet given to [`super::check_digit`].
    #[error("character {found:?} at position {position} is not an MRZ character (A–Z, 0–9, <)")]
    NotMrzCharacter {
        /// Position in the input, 1-based.
        position: usize,
        /// The character.
        found: char,
    },
    /// A name that cannot be written in the MRZ.
    #[error("name: {0}")]
    Name(NameError),
    /// An impossible or badly written date.
    #[error("date: {0}")]
    Date(DateError),
}

// Written out rather than `#[from]`, which would also make the inner error the `source()` and
// print its message twice in error chains.
impl From<NameError> for MrzError {
    fn from(error: NameError) -> Self {
        Self::Name(error)
    }
}

impl From<DateError> for MrzError {
    fn from(error: DateError) -> Self {
        Self::Date(error)
    }
}

impl MrzError {
    pub(crate) fn at(line: usize, position: usize, error: FieldError) -> Self {
        Self::At {
            line,
            position,
            error,
        }
    }

    /// The field problem, when the error is about one field.
    pub fn field_error(&self) -> Option<&FieldError> {
        match self {
            Self::At { error, .. } | Self::Field(error) => Some(error),
            _ => None,
        }
    }
}

impl From<FieldError> for MrzError {
    fn from(error: FieldError) -> Self {
        Self::Field(error)
    }
}
