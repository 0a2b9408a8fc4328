//! Unit tests of [`Mrz`]: generation, parsing and precise errors. The published vectors are in
//! `tests/mrz_vectors.rs`.

use super::*;

const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";

fn fields() -> MrzFields {
    MrzFields {
        format: MrzFormat::Td1,
        document_code: DocumentCode::new("I<").unwrap(),
        issuing_state: CountryCode::UTOPIA,
        document_number: "D23145890".into(),
        name: MrzName::new("Eriksson", "Anna Maria", Script::Latin).unwrap(),
        nationality: CountryCode::UTOPIA,
        date_of_birth: PartialDate::parse("1974-08-12").unwrap(),
        sex: Sex::Female,
        date_of_expiry: Date::new(2012, 4, 15).unwrap(),
        optional_data: String::new(),
        optional_data_2: String::new(),
    }
}

fn parse_err(text: &str) -> String {
    Mrz::parse(text).unwrap_err().to_string()
}

/// `TD1` with the character at 1-based `line`/`pos` replaced.
fn td1_with(line: usize, pos: usize, c: char) -> String {
    let mut lines: Vec<Vec<char>> = TD1.lines().map(|l| l.chars().collect()).collect();
    lines[line - 1][pos - 1] = c;
    lines
        .iter()
        .map(|l| l.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn new_and_parse_agree_on_the_specimen() {
    let made = Mrz::new(fields()).unwrap();
    assert_eq!(made.to_string(), TD1);
    assert_eq!(made, Mrz::parse(TD1).unwrap());
}

#[test]
fn wrong_check_digits_name_line_position_and_field() {
    assert_eq!(
        parse_err(&td1_with(1, 15, '8')),
        "line 1 position 15: document-number check digit is 8, computed 7"
    );
    assert_eq!(
        parse_err(&td1_with(2, 7, '3')),
        "line 2 position 7: date-of-birth check digit is 3, computed 2"
    );
    assert_eq!(
        parse_err(&td1_with(2, 15, '0')),
        "line 2 position 15: date-of-expiry check digit is 0, computed 9"
    );
    assert_eq!(
        parse_err(&td1_with(2, 30, '5')),
        "line 2 position 30: composite check digit is 5, computed 6"
    );
    // Optional data is protected by the composite digit only.
    let computed = check_digit("D231458907<<<<<<<<<<<<<<<74081221204159B<<<<<<<<<<").unwrap();
    assert_ne!(computed, 6);
    assert_eq!(
        parse_err(&td1_with(2, 19, 'B')),
        format!("line 2 position 30: composite check digit is 6, computed {computed}")
    );
}

#[test]
fn bad_field_values_are_refused_at_their_position() {
    assert_eq!(
        parse_err(&td1_with(2, 3, '1')),
        "line 2 position 3: date-of-birth: month 18 does not exist"
    );
    assert_eq!(
        parse_err(&td1_with(2, 8, 'Q')),
        "line 2 position 8: sex: 'Q' is not M, F, X or <"
    );
    assert_eq!(
        parse_err(&td1_with(2, 16, 'Q')),
        "line 2 position 16: nationality: \"QTO\" is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code"
    );
    assert_eq!(
        parse_err(&td1_with(1, 3, 'Q')),
        "line 1 position 3: issuing-state: \"QTO\" is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code"
    );
    assert_eq!(
        parse_err(&td1_with(1, 2, 'V')),
        "line 1 position 1: document-code: \"IV\" is not allowed: V is never the second character (9303-5 note k)"
    );
    assert_eq!(
        parse_err(&td1_with(1, 1, 'P')),
        "line 1 position 1: document-code: \"P<\" is not a TD1 code: it must start with A, C or I (9303-5 note k)"
    );
    assert_eq!(
        parse_err(&td1_with(2, 11, '<')),
        "line 2 position 11: date-of-expiry: the month must be two digits, or << when unknown"
    );
    let no_month = td1_with(2, 11, '<').replacen("12<415", "12<<15", 1);
    assert_eq!(
        parse_err(&no_month),
        "line 2 position 9: date-of-expiry: the date must be complete (year, month and day)"
    );
    assert_eq!(
        parse_err(&td1_with(2, 2, 'A')),
        "line 2 position 2: date-of-birth: character 'A' is not allowed here (digits 0–9 or <)"
    );
    assert_eq!(
        parse_err(&td1_with(3, 1, '<')),
        "line 3 position 1: name: the primary identifier is empty (the field starts with a filler)"
    );
    assert_eq!(
        parse_err(&td1_with(3, 3, '5')),
        "line 3 position 3: name: character '5' is not allowed here (A–Z and <)"
    );
    assert_eq!(
        parse_err(&td1_with(1, 6, '<')),
        "line 1 position 6: document-number is empty"
    );
}

#[test]
fn td1_fields_that_do_not_fit_are_refused() {
    let mut f = fields();
    f.optional_data = "A".repeat(16);
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "optional-data-1: 16 characters do not fit in the 15 available"
    );
    let mut f = fields();
    f.document_number = "D23145890734".into();
    f.optional_data = "A".repeat(11);
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "optional-data-1: 11 characters do not fit in the 10 available"
    );
    let mut f = fields();
    f.document_number = "A".repeat(23);
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "document-number: 23 characters do not fit in the 22 available"
    );
    let mut f = fields();
    f.document_number = "D2314589073<4".into();
    assert!(Mrz::new(f).is_err());
    let mut f = fields();
    f.document_number = "D2314 5890".into();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "document-number: character ' ' is not allowed here (A–Z, 0–9 and <)"
    );
    let mut f = fields();
    f.optional_data_2 = "é".into();
    assert!(
        Mrz::new(f)
            .unwrap_err()
            .to_string()
            .starts_with("optional-data-2: character 'é'")
    );
    let mut f = fields();
    f.document_number = String::new();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "document-number is empty"
    );
    let mut f = fields();
    f.document_code = DocumentCode::new("AI").unwrap();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "document-code: \"AI\" is not allowed (9303-5 note k)"
    );
    let mut f = fields();
    f.date_of_birth = PartialDate::parse("2013").unwrap();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "date-of-birth is later than date-of-expiry"
    );
}

#[test]
fn td3_fields_that_do_not_fit_are_refused() {
    let mut f = fields();
    f.format = MrzFormat::Td3;
    f.document_code = DocumentCode::new("P").unwrap();
    f.document_number = "D23145890734".into();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "document-number: 12 characters do not fit in the 9 available"
    );
    let mut f = fields();
    f.format = MrzFormat::Td3;
    f.document_code = DocumentCode::new("P").unwrap();
    f.optional_data_2 = "X".into();
    assert_eq!(
        Mrz::new(f).unwrap_err().to_string(),
        "optional-data-2: the TD3 layout has no such field"
    );
    let mut f = fields();
    f.format = MrzFormat::Td3;
    assert!(
        Mrz::new(f)
            .unwrap_err()
            .to_string()
            .contains("must start with P")
    );
}

#[test]
fn partial_birth_dates_round_trip() {
    for (dob, mrz) in [("1974-08", "7408<<7"), ("1974", "74<<<<1")] {
        let mut f = fields();
        f.date_of_birth = PartialDate::parse(dob).unwrap();
        let m = Mrz::new(f).unwrap();
        assert!(m.lines()[1].starts_with(mrz), "{}", m.lines()[1]);
        assert_eq!(Mrz::parse(&m.to_dg1_string()).unwrap(), m);
        assert_eq!(m.date_of_birth().to_mrz(), &mrz[..6]);
    }
    let mut f = fields();
    f.date_of_birth = PartialDate::UNKNOWN;
    let m = Mrz::new(f).unwrap();
    assert!(m.lines()[1].starts_with("<<<<<<0"));
}

#[test]
fn sex_x_is_read_and_kept_as_printed() {
    let x = td1_with(2, 8, 'X');
    // X and < weigh nothing in the composite digit (position 8 is excluded).
    let m = Mrz::parse(&x).unwrap();
    assert_eq!(m.sex(), Sex::Unspecified);
    assert_eq!(m.lines()[1].as_bytes()[7], b'X');
    let mut f = fields();
    f.sex = Sex::Unspecified;
    assert_eq!(Mrz::new(f).unwrap().lines()[1].as_bytes()[7], b'<');
}

#[test]
fn debug_hides_the_mrz() {
    let m = Mrz::parse(TD1).unwrap();
    let shown = format!("{m:?} {:?}", fields());
    assert_eq!(
        shown,
        "Mrz(TD1, <3 × 30 characters>) MrzFields(TD1, <personal data>)"
    );
    assert_eq!(
        format!("{:?}", m.mrz_information()),
        "SecretString(<24 bytes>)"
    );
}

#[test]
fn document_numbers_may_hold_fillers_for_spaces() {
    for number in ["AB<12", "AB<1234567890", "ABCDEFGH<12"] {
        let mut f = fields();
        f.document_number = number.into();
        let m = Mrz::new(f).unwrap();
        let back = Mrz::parse(&m.to_dg1_string()).unwrap();
        assert_eq!(back.document_number(), number);
        assert!(back.mrz_information().expose().starts_with(number));
    }
    for number in ["<AB", "AB<"] {
        let mut f = fields();
        f.document_number = number.into();
        assert_eq!(
            Mrz::new(f).unwrap_err().to_string(),
            "document-number: fillers may only stand between characters"
        );
    }
}

#[test]
fn a_filler_in_position_15_needs_a_long_number() {
    let text = td1_with(1, 15, '<');
    assert_eq!(
        parse_err(&text),
        "line 1 position 16: document-number: filler in position 15 but no remainder and check digit in positions 16–30"
    );
}

#[test]
fn empty_td3_personal_number_check_digit_may_be_filler_or_zero() {
    let mut f = fields();
    f.format = MrzFormat::Td3;
    f.document_code = DocumentCode::new("P").unwrap();
    let m = Mrz::new(f).unwrap();
    let line2 = &m.lines()[1];
    assert_eq!(
        &line2[28..43],
        "<<<<<<<<<<<<<<<",
        "written with a filler check digit"
    );
    let zero = format!("{}\n{}0{}", m.lines()[0], &line2[..42], &line2[43..]);
    let read = Mrz::parse(&zero).unwrap();
    assert_eq!(read.optional_data(), "");
    assert!(
        read.lines()[1].ends_with(&format!("0{}", &line2[43..])),
        "kept as printed"
    );
    let one = format!("{}\n{}1{}", m.lines()[0], &line2[..42], &line2[43..]);
    assert_eq!(
        parse_err(&one),
        "line 2 position 43: personal-number check digit is 1, computed 0"
    );
}
