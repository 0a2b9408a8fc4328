//! The TD1 layout: three lines of 30 characters (ICAO Doc 9303-5 §4.2.2 and §4.2.4), the
//! layout of ID-1 identity cards and residence permits.
//!
//! ```text
//! line 1: 1–2 document code, 3–5 issuing State, 6–14 document number, 15 check digit,
//!         16–30 optional data
//! line 2: 1–6 date of birth, 7 check digit, 8 sex, 9–14 date of expiry, 15 check digit,
//!         16–18 nationality, 19–29 optional data, 30 composite check digit
//! line 3: 1–30 name
//! ```
//!
//! Long document numbers (9303-5 note j): a number of more than 9 characters has its first 9
//! in positions 6–14, a filler in 15 instead of the check digit, and the rest at the start of
//! the optional data (positions 16–28), followed by the check digit of the whole number and a
//! filler. The composite check digit covers line 1 positions 6–30 and line 2 positions 1–7, 9–15
//! and 19–29.

use super::check_digit::{self, to_char};
use super::text::{Line, check_alphabet, pad};
use super::{Field, FieldError, Mrz, MrzError, MrzFields, MrzFormat};

/// Characters of a line.
const LINE: usize = 30;
/// Longest document number: 9 in positions 6–14 and 13 in positions 16–28.
pub(super) const MAX_DOCUMENT_NUMBER: usize = 22;
/// Optional data positions of line 1 and line 2.
const OPTIONAL_1: usize = 15;
const OPTIONAL_2: usize = 11;

/// The field at a 1-based line and position, for error messages.
pub(super) fn field_at(line: usize, pos: usize) -> Field {
    match (line, pos) {
        (1, 1..=2) => Field::DocumentCode,
        (1, 3..=5) => Field::IssuingState,
        (1, 6..=15) => Field::DocumentNumber,
        (1, _) => Field::OptionalData1,
        (2, 1..=7) => Field::DateOfBirth,
        (2, 8) => Field::Sex,
        (2, 9..=15) => Field::DateOfExpiry,
        (2, 16..=18) => Field::Nationality,
        (2, 19..=29) => Field::OptionalData2,
        (2, _) => Field::Composite,
        _ => Field::Name,
    }
}

/// Lays out validated fields (see [`Mrz::new`] for the checks common to all formats).
pub(super) fn encode(f: &MrzFields) -> Result<Vec<String>, FieldError> {
    let number = f.document_number.as_str();
    if number.len() > MAX_DOCUMENT_NUMBER {
        return Err(FieldError::TooLong {
            field: Field::DocumentNumber,
            length: number.len(),
            capacity: MAX_DOCUMENT_NUMBER,
        });
    }
    if number.get(9..).is_some_and(|rest| rest.contains('<')) {
        return Err(FieldError::DocumentNumber(
            "a number longer than 9 characters cannot hold fillers after its 9th",
        ));
    }
    check_alphabet(&f.optional_data, Field::OptionalData1)?;
    check_alphabet(&f.optional_data_2, Field::OptionalData2)?;
    let number_cd = to_char(check_digit::of_bytes([number.as_bytes()]));
    let (head, optional) = if number.len() <= 9 {
        (format!("{}{number_cd}", pad(number, 9)), String::new())
    } else {
        let (first, rest) = number.split_at_checked(9).unwrap_or((number, ""));
        (format!("{first}<"), format!("{rest}{number_cd}<"))
    };
    let capacity = OPTIONAL_1 - optional.len();
    let optional_len = f.optional_data.trim_end_matches('<').len();
    if optional_len > capacity {
        return Err(FieldError::TooLong {
            field: Field::OptionalData1,
            length: optional_len,
            capacity,
        });
    }
    let optional_2_len = f.optional_data_2.trim_end_matches('<').len();
    if optional_2_len > OPTIONAL_2 {
        return Err(FieldError::TooLong {
            field: Field::OptionalData2,
            length: optional_2_len,
            capacity: OPTIONAL_2,
        });
    }
    let line1 = format!(
        "{}{}{head}{}",
        f.document_code,
        f.issuing_state,
        pad(
            &(optional + f.optional_data.trim_end_matches('<')),
            OPTIONAL_1
        )
    );
    let dob = super::date::MrzDate::from(f.date_of_birth).to_mrz();
    let doe = f.date_of_expiry.to_mrz();
    let dob_cd = to_char(check_digit::of_bytes([dob.as_bytes()]));
    let doe_cd = to_char(check_digit::of_bytes([doe.as_bytes()]));
    let mut line2 = format!(
        "{dob}{dob_cd}{}{doe}{doe_cd}{}{}",
        f.sex.to_mrz(),
        f.nationality,
        pad(f.optional_data_2.trim_end_matches('<'), OPTIONAL_2)
    );
    line2.push(to_char(composite(line1.as_bytes(), line2.as_bytes())));
    let line3 = f.name.to_field(MrzFormat::Td1).as_str().to_owned();
    Ok(vec![line1, line2, line3])
}

/// The composite check digit over line 1 positions 6–30 and line 2 positions 1–7, 9–15, 19–29.
fn composite(line1: &[u8], line2: &[u8]) -> u8 {
    let l1 = Line {
        number: 1,
        bytes: line1,
    };
    let l2 = Line {
        number: 2,
        bytes: line2,
    };
    check_digit::of_bytes([
        l1.span(6, 25),
        l2.span(1, 7),
        l2.span(9, 7),
        l2.span(19, 11),
    ])
}

/// Decodes and verifies three lines of 30 MRZ characters.
pub(super) fn decode(lines: Vec<String>) -> Result<Mrz, MrzError> {
    let [t1, t2, t3] = <[String; 3]>::try_from(lines).map_err(|l| MrzError::LineCount(l.len()))?;
    let (l1, l2, l3) = (Line::new(1, &t1), Line::new(2, &t2), Line::new(3, &t3));
    let document_code = l1.document_code(1, MrzFormat::Td1)?;
    let issuing_state = l1.country(3, Field::IssuingState)?;
    let (document_number, optional_data) = if l1.char_at(15) == '<' {
        long_number(&l1)?
    } else {
        let number = l1.document_number(6, 9)?;
        l1.checked(6, 9, 15, Field::DocumentNumber)?;
        (number, l1.optional(16, OPTIONAL_1))
    };
    let date_of_birth = l2.date(1, Field::DateOfBirth, true)?;
    let sex = l2.sex(8)?;
    let date_of_expiry = l2.date(9, Field::DateOfExpiry, false)?;
    let nationality = l2.country(16, Field::Nationality)?;
    let optional_data_2 = l2.optional(19, OPTIONAL_2);
    l2.check_digit(30, Field::Composite, composite(l1.bytes, l2.bytes))?;
    let name = l3.name(1, LINE)?;
    let name_possibly_truncated = l3.char_at(LINE).is_ascii_uppercase();
    Ok(Mrz {
        format: MrzFormat::Td1,
        document_code,
        issuing_state,
        document_number,
        date_of_birth,
        sex,
        date_of_expiry,
        nationality,
        optional_data,
        optional_data_2,
        name,
        name_possibly_truncated,
        lines: vec![t1, t2, t3],
    })
}

/// Reads a long document number (position 15 is a filler): its remainder, check digit and
/// filler at the start of positions 16–30, then the optional data proper.
fn long_number(l1: &Line<'_>) -> Result<(String, String), MrzError> {
    let head = l1.span(6, 9);
    if head.first() == Some(&b'<') {
        return Err(l1.err(
            6,
            FieldError::Empty {
                field: Field::DocumentNumber,
            },
        ));
    }
    let region = l1.span(16, OPTIONAL_1);
    let Some(filler) = region.iter().position(|&b| b == b'<') else {
        return Err(l1.err(
            16,
            FieldError::DocumentNumber("long number: no filler after its check digit"),
        ));
    };
    if filler < 2 {
        return Err(l1.err(
            16,
            FieldError::DocumentNumber(
                "filler in position 15 but no remainder and check digit in positions 16–30",
            ),
        ));
    }
    let rest = region.get(..filler - 1).unwrap_or_default();
    let cd_pos = 16 + filler - 1;
    l1.check_digit(
        cd_pos,
        Field::DocumentNumber,
        check_digit::of_bytes([head, rest]),
    )?;
    let number = String::from_utf8_lossy(&[head, rest].concat()).into_owned();
    let optional = super::text::trim_fillers(region.get(filler + 1..).unwrap_or_default());
    Ok((number, optional))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_name_their_fields() {
        assert_eq!(field_at(1, 15), Field::DocumentNumber);
        assert_eq!(field_at(1, 16), Field::OptionalData1);
        assert_eq!(field_at(2, 7), Field::DateOfBirth);
        assert_eq!(field_at(2, 30), Field::Composite);
        assert_eq!(field_at(3, 1), Field::Name);
    }
}
