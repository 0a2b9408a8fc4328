//! The machine-readable zone (ICAO Doc 9303 Parts 3, 4 and 5; 9303-10 §4.7.1 DG1).
//!
//! An [`Mrz`] is built only by [`Mrz::new`] (from typed [`MrzFields`]) or [`Mrz::parse`] (from
//! text); both compute or verify every check digit, so an `Mrz` in hand is always consistent.
//! Two layouts are supported: TD1 (3 × 30, ID-1 cards and residence permits, 9303-5) and TD3
//! (2 × 44, passports, 9303-4).
//!
//! - Check digits: [`check_digit`] (9303-3 §4.9).
//! - Names: [`MrzName`] transliterates VIZ names (Latin with diacritics, Cyrillic by
//!   [`Script`]) and truncates them to the field (9303-3 §4.6, §6; 9303-5 §4.2.3).
//! - Dates: [`PartialDate`] for dates of birth with unknown parts, [`Date`] for expiry, and
//!   [`MrzDate`] for what the MRZ carries (two-digit years).
//! - Codes: [`DocumentCode`], [`CountryCode`] (ISO 3166-1 alpha-3 and 9303-3 §5), [`Sex`].
//!
//! The MRZ is personal data: `Debug` of [`Mrz`], [`MrzFields`] and [`MrzName`] shows the format
//! and lengths only; [`Mrz::lines`], [`Mrz::to_dg1_string`] and `Display` are the explicit ways
//! to the text, and [`Mrz::mrz_information`] returns a [`SecretString`].

mod check_digit;
mod country;
mod country_codes;
mod date;
mod document_code;
mod error;
mod names;
mod sex;
mod td1;
mod td3;
mod text;
mod transliterate;
pub mod truncation;

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use permitkit_model::secret::SecretString;

pub use check_digit::check_digit;
pub use country::{CountryCode, CountryCodeKind};
pub use date::{CenturyRule, Date, DateError, MrzDate, PartialDate, expand_two_digit_year};
pub use document_code::DocumentCode;
pub use error::{Field, FieldError, MrzError};
pub use names::{Identifier, MAX_IDENTIFIER_CHARS, MrzName, NameError, NameField};
pub use sex::Sex;
pub use transliterate::Script;

/// Longest text [`Mrz::parse`] reads, in bytes (an MRZ is at most 90 characters; this leaves
/// room for line breaks and surrounding whitespace).
pub const MAX_TEXT_BYTES: usize = 512;

/// The MRZ layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MrzFormat {
    /// Three lines of 30 characters (9303-5): ID-1 cards, residence permits.
    Td1,
    /// Two lines of 44 characters (9303-4): passports.
    Td3,
}

impl MrzFormat {
    /// Number of lines.
    pub const fn line_count(self) -> usize {
        match self {
            Self::Td1 => 3,
            Self::Td3 => 2,
        }
    }

    /// Characters per line.
    pub const fn line_len(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td3 => 44,
        }
    }

    /// Width of the name field: TD1 line 3 (30), TD3 line 1 positions 6–44 (39).
    pub const fn name_width(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td3 => 39,
        }
    }
}

impl fmt::Display for MrzFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Td1 => "TD1",
            Self::Td3 => "TD3",
        })
    }
}

/// The data an MRZ is made from.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MrzFields {
    /// The layout.
    #[zeroize(skip)]
    pub format: MrzFormat,
    /// Document code (`IR`, `AR`, `I<` for residence permits; `P<` for passports).
    pub document_code: DocumentCode,
    /// Issuing State or organization.
    pub issuing_state: CountryCode,
    /// Document number: `A`–`Z`, `0`–`9`, with fillers only between characters (spaces in the
    /// VIZ number). TD3: at most 9 characters; TD1: at most 22, numbers of more than 9 using the
    /// long-number rule of 9303-5 note j.
    pub document_number: String,
    /// The holder's name (truncated to the field when needed).
    pub name: MrzName,
    /// Nationality of the holder.
    pub nationality: CountryCode,
    /// Date of birth, possibly partly unknown.
    pub date_of_birth: PartialDate,
    /// Sex.
    #[zeroize(skip)]
    pub sex: Sex,
    /// Date of expiry.
    pub date_of_expiry: Date,
    /// TD1: optional data of line 1 (15 positions, less `number length − 7` for a long document
    /// number). TD3: the personal number (14 positions). MRZ characters; empty when unused.
    pub optional_data: String,
    /// TD1: optional data of line 2 (11 positions). Must be empty for TD3.
    pub optional_data_2: String,
}

impl fmt::Debug for MrzFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MrzFields({}, <personal data>)", self.format)
    }
}

/// A machine-readable zone whose check digits are all correct.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Mrz {
    #[zeroize(skip)]
    format: MrzFormat,
    document_code: DocumentCode,
    issuing_state: CountryCode,
    document_number: String,
    date_of_birth: MrzDate,
    #[zeroize(skip)]
    sex: Sex,
    date_of_expiry: MrzDate,
    nationality: CountryCode,
    optional_data: String,
    optional_data_2: String,
    name: MrzName,
    name_possibly_truncated: bool,
    lines: Vec<String>,
}

impl Mrz {
    /// Builds the MRZ from its fields, computing every check digit and truncating the name to
    /// the field if needed. Fails with the field at fault: a document code the layout does not
    /// allow, a document number or optional data that does not fit or holds other characters,
    /// a date of birth after the date of expiry.
    pub fn new(fields: MrzFields) -> Result<Self, MrzError> {
        let format = fields.format;
        fields
            .document_code
            .check_format(format)
            .map_err(|reason| FieldError::DocumentCode {
                code: fields.document_code.as_str().to_owned(),
                reason,
            })?;
        check_document_number(&fields.document_number)?;
        if birth_after_expiry(fields.date_of_birth, fields.date_of_expiry) {
            return Err(FieldError::BirthAfterExpiry.into());
        }
        let lines = match format {
            MrzFormat::Td1 => td1::encode(&fields)?,
            MrzFormat::Td3 => td3::encode(&fields)?,
        };
        Self::decode(format, lines)
    }

    /// Parses MRZ text: the lines joined (as in DG1) or separated by newlines (`\n` or `\r\n`),
    /// with whitespace around the text or the lines tolerated. Verifies every check digit, the
    /// dates, the codes and the name field; errors name the line, position and field.
    ///
    /// ```
    /// use permitkit_lds::mrz::{Mrz, MrzFormat};
    /// let mrz = Mrz::parse(
    ///     "I<UTOD231458907<<<<<<<<<<<<<<<\n\
    ///      7408122F1204159UTO<<<<<<<<<<<6\n\
    ///      ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    /// )
    /// .unwrap();
    /// assert_eq!(mrz.format(), MrzFormat::Td1);
    /// assert_eq!(mrz.document_number(), "D23145890");
    /// assert_eq!(mrz.name().to_dg11(), "ERIKSSON<<ANNA<MARIA");
    ///
    /// let bad = "I<UTOD231458907<<<<<<<<<<<<<<<7408123F1204159UTO<<<<<<<<<<<6\
    ///            ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    /// assert_eq!(
    ///     Mrz::parse(bad).unwrap_err().to_string(),
    ///     "line 2 position 7: date-of-birth check digit is 3, computed 2"
    /// );
    /// ```
    pub fn parse(text: &str) -> Result<Self, MrzError> {
        let (format, lines) = text::split(text)?;
        Self::decode(format, lines)
    }

    fn decode(format: MrzFormat, lines: Vec<String>) -> Result<Self, MrzError> {
        match format {
            MrzFormat::Td1 => td1::decode(lines),
            MrzFormat::Td3 => td3::decode(lines),
        }
    }

    /// The layout.
    pub fn format(&self) -> MrzFormat {
        self.format
    }

    /// The lines, without line breaks.
    pub fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }

    /// The lines joined without separators: the content of DG1 tag `5F1F` (9303-10 §4.7.1).
    pub fn to_dg1_string(&self) -> String {
        self.lines.concat()
    }

    /// The document code.
    pub fn document_code(&self) -> DocumentCode {
        self.document_code
    }

    /// The issuing State or organization.
    pub fn issuing_state(&self) -> CountryCode {
        self.issuing_state
    }

    /// The document number without padding fillers; a TD1 long number is given whole.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }

    /// The date of birth as written (two-digit year; unknown parts possible). Use
    /// [`MrzDate::resolve`] with [`CenturyRule::Past`] for the full year.
    pub fn date_of_birth(&self) -> MrzDate {
        self.date_of_birth
    }

    /// The date of expiry as written (always complete; two-digit year).
    pub fn date_of_expiry(&self) -> MrzDate {
        self.date_of_expiry
    }

    /// The sex (`X` in the MRZ reads as unspecified).
    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// The holder's nationality.
    pub fn nationality(&self) -> CountryCode {
        self.nationality
    }

    /// The name as the MRZ writes it (after any truncation). The full name for DG11 comes from
    /// the [`MrzName`] the MRZ was made from.
    pub fn name(&self) -> &MrzName {
        &self.name
    }

    /// True when the name field ends in a letter, so that readers must assume the name may be
    /// truncated (9303-5 §4.2.3.3).
    pub fn name_possibly_truncated(&self) -> bool {
        self.name_possibly_truncated
    }

    /// TD1 line 1 optional data (after a long document number's remainder), or the TD3
    /// personal number; trailing fillers removed.
    pub fn optional_data(&self) -> &str {
        &self.optional_data
    }

    /// TD1 line 2 optional data, trailing fillers removed; empty for TD3.
    pub fn optional_data_2(&self) -> &str {
        &self.optional_data_2
    }

    /// The "MRZ information" that seeds the BAC and PACE keys (9303-11 §4.3.2 / §9.7.3):
    /// document number (padded with fillers to at least 9 characters) and its check digit, date
    /// of birth and its check digit, date of expiry and its check digit.
    ///
    /// ```
    /// use permitkit_lds::mrz::Mrz;
    /// let mrz = Mrz::parse(
    ///     "I<UTOD23145890<7349<<<<<<<<<<<3407127M9507122UTO<<<<<<<<<<<2STEVENSON<<PETER<JOHN<<<<<<<<<",
    /// )
    /// .unwrap();
    /// assert_eq!(mrz.mrz_information().expose(), "D23145890734934071279507122");
    /// ```
    pub fn mrz_information(&self) -> SecretString {
        let number = text::pad(&self.document_number, 9);
        let cd = |s: &str| check_digit::to_char(check_digit::of_bytes([s.as_bytes()]));
        let dob = self.date_of_birth.to_mrz();
        let doe = self.date_of_expiry.to_mrz();
        SecretString::new(format!(
            "{number}{}{dob}{}{doe}{}",
            cd(&number),
            cd(&dob),
            cd(&doe)
        ))
    }
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Mrz({}, <{} × {} characters>)",
            self.format,
            self.format.line_count(),
            self.format.line_len()
        )
    }
}

impl fmt::Display for Mrz {
    /// The lines separated by newlines (the MRZ as printed). Personal data: display it only
    /// where the holder's data is meant to be shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

/// Document numbers: not empty, MRZ characters, fillers only between characters.
fn check_document_number(number: &str) -> Result<(), FieldError> {
    if number.is_empty() {
        return Err(FieldError::Empty {
            field: Field::DocumentNumber,
        });
    }
    text::check_alphabet(number, Field::DocumentNumber)?;
    if number.starts_with('<') || number.ends_with('<') {
        return Err(FieldError::DocumentNumber(
            "fillers may only stand between characters",
        ));
    }
    Ok(())
}

/// True when the known parts of the date of birth place it after the date of expiry.
fn birth_after_expiry(birth: PartialDate, expiry: Date) -> bool {
    let Some(year) = birth.year() else {
        return false;
    };
    let birth = (year, birth.month().unwrap_or(1), birth.day().unwrap_or(1));
    birth > (expiry.year(), expiry.month(), expiry.day())
}

#[cfg(test)]
mod tests;
