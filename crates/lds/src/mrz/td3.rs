//! The TD3 layout: two lines of 44 characters (ICAO Doc 9303-4 §4.2.2 and §4.2.4), the
//! passport layout.
//!
//! ```text
//! line 1: 1–2 document code, 3–5 issuing State, 6–44 name
//! line 2: 1–9 document number, 10 check digit, 11–13 nationality, 14–19 date of birth,
//!         20 check digit, 21 sex, 22–27 date of expiry, 28 check digit,
//!         29–42 personal number, 43 check digit, 44 composite check digit
//! ```
//!
//! The personal-number check digit may be `<` or `0` when the field is all fillers; we write `<`
//! and read both. The composite check digit covers line 2 positions 1–10, 14–20 and 22–43.
//! TD3 has no long-document-number rule: numbers have at most 9 characters.

use super::check_digit::{self, to_char};
use super::text::{Line, check_alphabet, pad};
use super::{Field, FieldError, Mrz, MrzError, MrzFields, MrzFormat};

/// Characters of a line.
const LINE: usize = 44;
/// Personal number positions.
const PERSONAL: usize = 14;

/// The field at a 1-based line and position, for error messages.
pub(super) fn field_at(line: usize, pos: usize) -> Field {
    match (line, pos) {
        (1, 1..=2) => Field::DocumentCode,
        (1, 3..=5) => Field::IssuingState,
        (1, _) => Field::Name,
        (2, 1..=10) => Field::DocumentNumber,
        (2, 11..=13) => Field::Nationality,
        (2, 14..=20) => Field::DateOfBirth,
        (2, 21) => Field::Sex,
        (2, 22..=28) => Field::DateOfExpiry,
        (2, 29..=43) => Field::PersonalNumber,
        _ => Field::Composite,
    }
}

/// Lays out validated fields (see [`Mrz::new`] for the checks common to all formats).
pub(super) fn encode(f: &MrzFields) -> Result<Vec<String>, FieldError> {
    let number = f.document_number.as_str();
    if number.len() > 9 {
        return Err(FieldError::TooLong {
            field: Field::DocumentNumber,
            length: number.len(),
            capacity: 9,
        });
    }
    if !f.optional_data_2.is_empty() {
        return Err(FieldError::NotInFormat {
            field: Field::OptionalData2,
            format: MrzFormat::Td3,
        });
    }
    check_alphabet(&f.optional_data, Field::PersonalNumber)?;
    let personal = f.optional_data.trim_end_matches('<');
    if personal.len() > PERSONAL {
        return Err(FieldError::TooLong {
            field: Field::PersonalNumber,
            length: personal.len(),
            capacity: PERSONAL,
        });
    }
    let line1 = format!(
        "{}{}{}",
        f.document_code,
        f.issuing_state,
        f.name.to_field(MrzFormat::Td3).as_str()
    );
    let number = pad(number, 9);
    let dob = super::date::MrzDate::from(f.date_of_birth).to_mrz();
    let doe = f.date_of_expiry.to_mrz();
    let personal = pad(personal, PERSONAL);
    let personal_cd = if personal.bytes().all(|b| b == b'<') {
        '<'
    } else {
        to_char(check_digit::of_bytes([personal.as_bytes()]))
    };
    let cd = |s: &str| to_char(check_digit::of_bytes([s.as_bytes()]));
    let mut line2 = format!(
        "{number}{}{}{dob}{}{}{doe}{}{personal}{personal_cd}",
        cd(&number),
        f.nationality,
        cd(&dob),
        f.sex.to_mrz(),
        cd(&doe),
    );
    line2.push(to_char(composite(line2.as_bytes())));
    Ok(vec![line1, line2])
}

/// The composite check digit over line 2 positions 1–10, 14–20 and 22–43.
fn composite(line2: &[u8]) -> u8 {
    let l2 = Line {
        number: 2,
        bytes: line2,
    };
    check_digit::of_bytes([l2.span(1, 10), l2.span(14, 7), l2.span(22, 22)])
}

/// Decodes and verifies two lines of 44 MRZ characters.
pub(super) fn decode(lines: Vec<String>) -> Result<Mrz, MrzError> {
    let [t1, t2] = <[String; 2]>::try_from(lines).map_err(|l| MrzError::LineCount(l.len()))?;
    let (l1, l2) = (Line::new(1, &t1), Line::new(2, &t2));
    let document_code = l1.document_code(1, MrzFormat::Td3)?;
    let issuing_state = l1.country(3, Field::IssuingState)?;
    let name = l1.name(6, LINE - 5)?;
    let name_possibly_truncated = l1.char_at(LINE).is_ascii_uppercase();
    let document_number = l2.document_number(1, 9)?;
    l2.checked(1, 9, 10, Field::DocumentNumber)?;
    let nationality = l2.country(11, Field::Nationality)?;
    let date_of_birth = l2.date(14, Field::DateOfBirth, true)?;
    let sex = l2.sex(21)?;
    let date_of_expiry = l2.date(22, Field::DateOfExpiry, false)?;
    let personal = l2.optional(29, PERSONAL);
    if !(personal.is_empty() && matches!(l2.char_at(43), '<' | '0')) {
        l2.checked(29, PERSONAL, 43, Field::PersonalNumber)?;
    }
    l2.check_digit(44, Field::Composite, composite(l2.bytes))?;
    Ok(Mrz {
        format: MrzFormat::Td3,
        document_code,
        issuing_state,
        document_number,
        date_of_birth,
        sex,
        date_of_expiry,
        nationality,
        optional_data: personal,
        optional_data_2: String::new(),
        name,
        name_possibly_truncated,
        lines: vec![t1, t2],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_name_their_fields() {
        assert_eq!(field_at(1, 44), Field::Name);
        assert_eq!(field_at(2, 10), Field::DocumentNumber);
        assert_eq!(field_at(2, 43), Field::PersonalNumber);
        assert_eq!(field_at(2, 44), Field::Composite);
    }
}
