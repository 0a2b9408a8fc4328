//! Reading MRZ text: splitting it into lines and decoding the fields the layouts share
//! (ICAO Doc 9303-3 §4.3 alphabet, §4.7 codes, §4.8 dates, §4.9 check digits).
//!
//! Accepted input: the lines joined (DG1 form, 90 or 88 characters) or separated by `\n` or
//! `\r\n`; whitespace around the text and around each line, and blank lines, are ignored.

use super::check_digit::{self, is_mrz_char};
use super::date::MrzDate;
use super::{
    CountryCode, DocumentCode, Field, FieldError, MAX_TEXT_BYTES, MrzError, MrzFormat, MrzName,
    Sex, td1, td3,
};

/// Splits `text` into the lines of a TD1 or TD3 MRZ, checking line lengths and the alphabet.
pub(super) fn split(text: &str) -> Result<(MrzFormat, Vec<String>), MrzError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(MrzError::TooLong(text.len()));
    }
    let raw: Vec<Vec<char>> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().collect())
        .collect();
    let lines = match raw.as_slice() {
        [one] => {
            let format = match one.len() {
                90 => MrzFormat::Td1,
                88 => MrzFormat::Td3,
                72 => {
                    return Err(MrzError::UnsupportedFormat(
                        "TD2 (2 lines of 36 characters)",
                    ));
                }
                n => return Err(MrzError::JoinedLength(n)),
            };
            one.chunks(format.line_len())
                .map(<[char]>::to_vec)
                .collect()
        }
        _ => raw,
    };
    let format = match lines.len() {
        3 => MrzFormat::Td1,
        2 if lines.iter().all(|l| l.len() == 36) => {
            return Err(MrzError::UnsupportedFormat(
                "TD2 (2 lines of 36 characters)",
            ));
        }
        2 => MrzFormat::Td3,
        n => return Err(MrzError::LineCount(n)),
    };
    for (i, line) in lines.iter().enumerate() {
        if line.len() != format.line_len() {
            return Err(MrzError::LineLength {
                line: i + 1,
                length: line.len(),
                format,
                expected: format.line_len(),
            });
        }
        if let Some(p) = line.iter().position(|c| !is_mrz_char(*c)) {
            let found = line.get(p).copied().unwrap_or('?');
            let field = match format {
                MrzFormat::Td1 => td1::field_at(i + 1, p + 1),
                MrzFormat::Td3 => td3::field_at(i + 1, p + 1),
            };
            return Err(MrzError::at(
                i + 1,
                p + 1,
                FieldError::Character {
                    field,
                    found,
                    allowed: "the MRZ alphabet A–Z, 0–9 and <",
                },
            ));
        }
    }
    Ok((format, lines.into_iter().map(String::from_iter).collect()))
}

/// One line of MRZ characters (already checked to be `A`–`Z`, `0`–`9`, `<`), addressed with the
/// 1-based positions of the 9303 tables.
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    pub number: usize,
    pub bytes: &'a [u8],
}

impl<'a> Line<'a> {
    pub fn new(number: usize, text: &'a str) -> Self {
        Self {
            number,
            bytes: text.as_bytes(),
        }
    }

    /// Positions `start ..= start + len − 1`.
    pub fn span(&self, start: usize, len: usize) -> &'a [u8] {
        let from = start.saturating_sub(1);
        self.bytes.get(from..from + len).unwrap_or_default()
    }

    /// The character at `pos`.
    pub fn char_at(&self, pos: usize) -> char {
        self.span(pos, 1).first().map_or('?', |b| char::from(*b))
    }

    pub fn err(&self, pos: usize, error: FieldError) -> MrzError {
        MrzError::at(self.number, pos, error)
    }

    /// The first position in `start..start+len` holding a byte outside `allowed`.
    fn check_chars(
        &self,
        start: usize,
        len: usize,
        field: Field,
        allowed: (&'static str, fn(u8) -> bool),
    ) -> Result<(), MrzError> {
        let (what, ok) = allowed;
        match self.span(start, len).iter().position(|b| !ok(*b)) {
            Some(i) => Err(self.err(
                start + i,
                FieldError::Character {
                    field,
                    found: self.char_at(start + i),
                    allowed: what,
                },
            )),
            None => Ok(()),
        }
    }

    /// The document code at `pos` (2 characters), checked against `format`.
    pub fn document_code(&self, pos: usize, format: MrzFormat) -> Result<DocumentCode, MrzError> {
        let raw = self.span(pos, 2);
        let bytes: [u8; 2] = raw.try_into().unwrap_or(*b"<<");
        let invalid = |reason| {
            self.err(
                pos,
                FieldError::DocumentCode {
                    code: String::from_utf8_lossy(raw).into_owned(),
                    reason,
                },
            )
        };
        let code = DocumentCode::from_mrz(bytes).map_err(invalid)?;
        code.check_format(format).map_err(invalid)?;
        Ok(code)
    }

    /// A three-letter code at `pos`.
    pub fn country(&self, pos: usize, field: Field) -> Result<CountryCode, MrzError> {
        self.check_chars(pos, 3, field, LETTERS)?;
        let raw = self.span(pos, 3);
        let bytes: [u8; 3] = raw.try_into().unwrap_or(*b"<<<");
        CountryCode::from_mrz(bytes).ok_or_else(|| {
            self.err(
                pos,
                FieldError::UnknownCountry {
                    field,
                    code: String::from_utf8_lossy(raw).into_owned(),
                },
            )
        })
    }

    /// Checks the check digit at `pos` against `computed`.
    pub fn check_digit(&self, pos: usize, field: Field, computed: u8) -> Result<(), MrzError> {
        let found = self.char_at(pos);
        if found == check_digit::to_char(computed) {
            Ok(())
        } else {
            Err(self.err(
                pos,
                FieldError::CheckDigit {
                    field,
                    found,
                    computed,
                },
            ))
        }
    }

    /// The check digit of positions `start..start+len` checked against the digit at `cd_pos`.
    pub fn checked(
        &self,
        start: usize,
        len: usize,
        cd_pos: usize,
        field: Field,
    ) -> Result<(), MrzError> {
        self.check_digit(
            cd_pos,
            field,
            check_digit::of_bytes([self.span(start, len)]),
        )
    }

    /// A date of six characters at `pos`, followed by its check digit.
    pub fn date(&self, pos: usize, field: Field, allow_unknown: bool) -> Result<MrzDate, MrzError> {
        self.check_chars(pos, 6, field, DIGITS)?;
        let date = MrzDate::parse_mrz(self.span(pos, 6), allow_unknown)
            .map_err(|(offset, error)| self.err(pos + offset, FieldError::Date { field, error }))?;
        self.checked(pos, 6, pos + 6, field)?;
        Ok(date)
    }

    /// The sex at `pos`.
    pub fn sex(&self, pos: usize) -> Result<Sex, MrzError> {
        let found = self.char_at(pos);
        Sex::from_mrz(found).ok_or_else(|| self.err(pos, FieldError::Sex { found }))
    }

    /// A document number of `len` positions at `pos`: alphanumerics, fillers only inside (for
    /// spaces, 9303-5 §4.2.2.1) or as trailing padding.
    pub fn document_number(&self, pos: usize, len: usize) -> Result<String, MrzError> {
        let raw = self.span(pos, len);
        if raw.first() == Some(&b'<') {
            return Err(self.err(
                pos,
                FieldError::Empty {
                    field: Field::DocumentNumber,
                },
            ));
        }
        Ok(trim_fillers(raw))
    }

    /// Optional data: any MRZ characters, trailing fillers removed.
    pub fn optional(&self, pos: usize, len: usize) -> String {
        trim_fillers(self.span(pos, len))
    }

    /// The name field of `len` positions at `pos`.
    pub fn name(&self, pos: usize, len: usize) -> Result<MrzName, MrzError> {
        MrzName::from_field(self.span(pos, len)).map_err(|(offset, e)| self.err(pos + offset, e))
    }
}

/// Bytes with trailing fillers removed, as a string.
pub(super) fn trim_fillers(raw: &[u8]) -> String {
    let end = raw.iter().rposition(|&b| b != b'<').map_or(0, |i| i + 1);
    String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned()
}

/// Letters or fillers (codes).
const LETTERS: (&str, fn(u8) -> bool) = ("letters A–Z or <", |b| {
    b.is_ascii_uppercase() || b == b'<'
});
/// Digits or fillers (dates).
const DIGITS: (&str, fn(u8) -> bool) = ("digits 0–9 or <", |b| b.is_ascii_digit() || b == b'<');

/// `s` padded with fillers to `len` characters.
pub(super) fn pad(s: &str, len: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n('<', len.saturating_sub(s.len())));
    out
}

/// Checks that `value` is made of MRZ characters; `Err` names the first other one.
pub(super) fn check_alphabet(value: &str, field: Field) -> Result<(), FieldError> {
    match value.chars().find(|c| !is_mrz_char(*c)) {
        Some(found) => Err(FieldError::Character {
            field,
            found,
            allowed: "A–Z, 0–9 and <",
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];

    #[test]
    fn joined_and_separated_forms_split_alike() {
        let expected = (MrzFormat::Td3, TD3.map(str::to_owned).to_vec());
        for text in [
            TD3.concat(),
            TD3.join("\n"),
            TD3.join("\r\n"),
            format!("  \n{}\n\n{}  \r\n\n", TD3[0], TD3[1]),
        ] {
            assert_eq!(split(&text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn shapes_that_match_no_format_are_refused() {
        assert_eq!(
            split(&TD3[0][..40]).unwrap_err(),
            MrzError::JoinedLength(40)
        );
        assert_eq!(split("").unwrap_err(), MrzError::LineCount(0));
        assert_eq!(
            split(&format!("{}\n{}\n{}\n{}", TD3[0], TD3[0], TD3[0], TD3[0])).unwrap_err(),
            MrzError::LineCount(4)
        );
        assert_eq!(
            split(&format!("{}\n{}<", TD3[0], TD3[1])).unwrap_err(),
            MrzError::LineLength {
                line: 2,
                length: 45,
                format: MrzFormat::Td3,
                expected: 44
            }
        );
        assert!(matches!(
            split(&format!("{}\n{}", &TD3[0][..36], &TD3[1][..36])),
            Err(MrzError::UnsupportedFormat(_))
        ));
        assert_eq!(
            split(&"<".repeat(MAX_TEXT_BYTES + 1)).unwrap_err(),
            MrzError::TooLong(MAX_TEXT_BYTES + 1)
        );
    }

    #[test]
    fn characters_outside_the_alphabet_are_located() {
        let bad = format!("{}\n{}", TD3[0], TD3[1].replacen('F', "f", 1));
        assert_eq!(
            split(&bad).unwrap_err().to_string(),
            "line 2 position 21: sex: character 'f' is not allowed here (the MRZ alphabet A–Z, 0–9 and <)"
        );
        let accented = format!("{}\n{}", TD3[0].replacen("ANNA", "ANNÄ", 1), TD3[1]);
        assert_eq!(
            split(&accented).unwrap_err(),
            MrzError::at(
                1,
                19,
                FieldError::Character {
                    field: Field::Name,
                    found: 'Ä',
                    allowed: "the MRZ alphabet A–Z, 0–9 and <"
                }
            )
        );
    }
}
