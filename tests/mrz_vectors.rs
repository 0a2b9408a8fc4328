//! L0: the MRZ module against the worked examples of ICAO Doc 9303 (as collected and recomputed
//! in docs/spec/lds.md §4 and docs/spec/mrz-names.md), generation ↔ parsing round trips over
//! random valid fields, and labelled negative cases.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_lds::mrz::{
    CenturyRule, CountryCode, Date, DocumentCode, Mrz, MrzError, MrzFields, MrzFormat, MrzName,
    PartialDate, Script, Sex, check_digit,
};
use proptest::prelude::*;

// ICAO Doc 9303-4 Appendix (TD3 specimen), 9303-5 Appendix (TD1 specimen) and the TD1 long
// document number example; verified against gmrtd mrz_test.go in docs/spec/lds.md §4.
const TD3: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];
const TD1: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];
const TD1_LONG: [&str; 3] = [
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
];

fn name(primary: &str, secondary: &str) -> MrzName {
    MrzName::new(primary, secondary, Script::Latin).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn birth(text: &str) -> PartialDate {
    PartialDate::parse(text).unwrap()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per MRZ field of the specimen table"
)]
fn fields(
    format: MrzFormat,
    code: &str,
    number: &str,
    name: MrzName,
    dob: PartialDate,
    sex: Sex,
    doe: Date,
    optional: &str,
) -> MrzFields {
    MrzFields {
        format,
        document_code: DocumentCode::new(code).unwrap(),
        issuing_state: CountryCode::UTOPIA,
        document_number: number.into(),
        name,
        nationality: CountryCode::UTOPIA,
        date_of_birth: dob,
        sex,
        date_of_expiry: doe,
        optional_data: optional.into(),
        optional_data_2: String::new(),
    }
}

#[test]
fn check_digits_match_the_lds_md_table() {
    for (input, cd) in [
        ("L898902C3", 6),
        ("740812", 2),
        ("120415", 9),
        ("ZE184226B<<<<<", 1),
        ("D23145890734", 9),
        ("D23145890", 7),
        // composite of the TD3 specimen
        ("L898902C3674081221204159ZE184226B<<<<<1", 0),
        // partial dates of birth (mrz-names.md §6)
        ("7408<<", 7),
        ("74<<<<", 1),
        ("<<<<<<", 0),
    ] {
        assert_eq!(check_digit(input).unwrap(), cd, "{input}");
    }
}

#[test]
fn td3_specimen_parses_and_is_generated_byte_for_byte() {
    let parsed = Mrz::parse(&TD3.join("\n")).unwrap();
    assert_eq!(parsed.format(), MrzFormat::Td3);
    assert_eq!(parsed.document_code().as_str(), "P<");
    assert_eq!(parsed.issuing_state().as_str(), "UTO");
    assert_eq!(parsed.document_number(), "L898902C3");
    assert_eq!(parsed.nationality().as_str(), "UTO");
    assert_eq!(parsed.date_of_birth().to_mrz(), "740812");
    assert_eq!(parsed.sex(), Sex::Female);
    assert_eq!(parsed.date_of_expiry().to_mrz(), "120415");
    assert_eq!(parsed.optional_data(), "ZE184226B");
    assert_eq!(parsed.name().primary(), ["ERIKSSON"]);
    assert_eq!(parsed.name().secondary(), ["ANNA", "MARIA"]);
    assert!(!parsed.name_possibly_truncated());
    assert_eq!(parsed.to_dg1_string(), TD3.concat());
    assert_eq!(parsed.to_dg1_string().len(), 88);
    assert_eq!(
        parsed.mrz_information().expose(),
        "L898902C3674081221204159"
    );
    let made = Mrz::new(fields(
        MrzFormat::Td3,
        "P",
        "L898902C3",
        name("Eriksson", "Anna Maria"),
        birth("1974-08-12"),
        Sex::Female,
        date("2012-04-15"),
        "ZE184226B",
    ))
    .unwrap();
    assert_eq!(made.lines(), TD3);
    assert_eq!(made, parsed);
}

#[test]
fn td1_specimen_parses_and_is_generated_byte_for_byte() {
    let parsed = Mrz::parse(&TD1.concat()).unwrap();
    assert_eq!(parsed.format(), MrzFormat::Td1);
    assert_eq!(parsed.document_code().as_str(), "I<");
    assert_eq!(parsed.document_number(), "D23145890");
    assert_eq!(parsed.optional_data(), "");
    assert_eq!(parsed.optional_data_2(), "");
    assert_eq!(parsed.to_string(), TD1.join("\n"));
    assert_eq!(parsed.to_dg1_string().len(), 90);
    assert_eq!(
        parsed.mrz_information().expose(),
        "D23145890774081221204159"
    );
    let made = Mrz::new(fields(
        MrzFormat::Td1,
        "I",
        "D23145890",
        name("ERIKSSON", "ANNA MARIA"),
        birth("1974-08-12"),
        Sex::Female,
        date("2012-04-15"),
        "",
    ))
    .unwrap();
    assert_eq!(made.lines(), TD1);
}

#[test]
fn td1_long_document_number_both_directions() {
    let parsed = Mrz::parse(&TD1_LONG.join("\r\n")).unwrap();
    assert_eq!(parsed.document_number(), "D23145890734");
    assert_eq!(parsed.optional_data(), "");
    assert_eq!(parsed.sex(), Sex::Male);
    assert_eq!(
        parsed.mrz_information().expose(),
        "D23145890734934071279507122"
    );
    let made = Mrz::new(fields(
        MrzFormat::Td1,
        "I<",
        "D23145890734",
        name("Stevenson", "Peter John"),
        birth("1934-07-12"),
        Sex::Male,
        date("1995-07-12"),
        "",
    ))
    .unwrap();
    assert_eq!(made.lines(), TD1_LONG);
    // Optional data after a long number follows the remainder, its check digit and a filler.
    let with_data = Mrz::new(fields(
        MrzFormat::Td1,
        "IR",
        "D23145890734",
        name("Stevenson", "Peter John"),
        birth("1934-07-12"),
        Sex::Male,
        date("1995-07-12"),
        "ABC12",
    ))
    .unwrap();
    assert!(with_data.lines()[0].starts_with("IRUTOD23145890<7349<ABC12<"));
    let back = Mrz::parse(&with_data.to_dg1_string()).unwrap();
    assert_eq!(back.document_number(), "D23145890734");
    assert_eq!(back.optional_data(), "ABC12");
}

#[test]
fn bac_mrz_information_matches_the_9303_11_example() {
    // 9303-11 Appendix D.2: document number L898902C<, born 1969-08-06, expiring 1994-06-23.
    let m = Mrz::new(fields(
        MrzFormat::Td3,
        "P",
        "L898902C",
        name("Smith", "John"),
        birth("1969-08-06"),
        Sex::Male,
        date("1994-06-23"),
        "",
    ))
    .unwrap();
    assert_eq!(m.mrz_information().expose(), "L898902C<369080619406236");
}

#[test]
fn partial_dates_of_birth_in_the_mrz() {
    for (dob, written) in [("1974-08", "7408<<7"), ("1974", "74<<<<1")] {
        let m = Mrz::new(fields(
            MrzFormat::Td1,
            "IR",
            "D23145890",
            name("Eriksson", "Anna"),
            birth(dob),
            Sex::Female,
            date("2030-01-01"),
            "",
        ))
        .unwrap();
        assert_eq!(&m.lines()[1][..7], written);
        assert_eq!(
            birth(dob).to_dg11(),
            format!("{:0<8}", dob.replace('-', ""))
        );
        let resolved = m.date_of_birth().resolve(2025, CenturyRule::Past).unwrap();
        assert_eq!(resolved, birth(dob));
    }
    let unknown = Mrz::new(fields(
        MrzFormat::Td1,
        "IR",
        "D23145890",
        name("Eriksson", "Anna"),
        PartialDate::UNKNOWN,
        Sex::Female,
        date("2030-01-01"),
        "",
    ))
    .unwrap();
    assert_eq!(&unknown.lines()[1][..7], "<<<<<<0");
}

// docs/spec/mrz-names.md §1 (TD1 examples of 9303-5 §4.2.3, each 30 characters).
#[test]
fn td1_name_examples_of_9303_5_are_reproduced() {
    let td1 = |p: &str, s: &str| name(p, s).to_field(MrzFormat::Td1).as_str().to_owned();
    assert_eq!(
        td1("NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG KRASUANG"),
        "NILAVADHANANANDA<<CHAYAPA<DE<K"
    );
    assert_eq!(
        td1("NILAVADHANANANDA", "ARNPOL PETCH CHARONGUANG"),
        "NILAVADHANANANDA<<ARNPOL<PE<CH"
    );
    // The first of the three alternatives of §4.2.3.2; b) and c) are other strategies.
    assert_eq!(
        td1(
            "BENNELONG WOOLOOMOOLOO WARRANDYTE WARNAMBOOL",
            "DINGO POTOROO"
        ),
        "BENNELONG<WOOLOOMOOLOO<W<W<<DI"
    );
    assert_eq!(
        td1("VILARCHAO FERNANDEZ", "JOSE RAMON"),
        "VILARCHAO<FERNANDEZ<<JOSE<RAMO"
    );
    assert_eq!(
        td1("AL-BASRI", "HUDA MUHAMMAD JAWAD"),
        "AL<BASRI<<HUDA<MUHAMMAD<JAWAD<"
    );
    assert_eq!(
        td1("PAPANDROPOULOUS", "JONATHON ALEC"),
        "PAPANDROPOULOUS<<JONATHON<ALEC"
    );
    assert_eq!(
        name("VILARCHAO FERNANDEZ", "JOSE RAMON")
            .to_field(MrzFormat::Td3)
            .as_str(),
        "VILARCHAO<FERNANDEZ<<JOSE<RAMON<<<<<<<<"
    );
}

#[test]
fn a_truncated_name_round_trips_and_reports_possible_truncation() {
    let m = Mrz::new(fields(
        MrzFormat::Td1,
        "IR",
        "D23145890",
        name("NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG KRASUANG"),
        birth("1974-08-12"),
        Sex::Female,
        date("2030-01-01"),
        "",
    ))
    .unwrap();
    assert_eq!(m.lines()[2], "NILAVADHANANANDA<<CHAYAPA<DE<K");
    assert!(m.name_possibly_truncated());
    assert_eq!(m.name().secondary(), ["CHAYAPA", "DE", "K"]);
    assert_eq!(Mrz::parse(&m.to_dg1_string()).unwrap(), m);
}

// docs/spec/mrz-names.md §4 (KMU 55 → MRZ and ICAO 8th edition, verified there).
#[test]
fn transliteration_examples_table() {
    let rows = [
        (
            "Ткаченко",
            "Мар'яна",
            "TKACHENKO<<MARIANA",
            "TKACHENKO<<MARIANA",
        ),
        ("Яременко", "Юрій", "YAREMENKO<<YURII", "YAREMENKO<<YURII"),
        (
            "Згурський",
            "Євген",
            "ZGHURSKYI<<YEVHEN",
            "ZHURSKYI<<YEVHEN",
        ),
        (
            "Їжакевич",
            "Йосип",
            "YIZHAKEVYCH<<YOSYP",
            "YIZHAKEVYCH<<YOSYP",
        ),
        (
            "Лук'яненко",
            "Марія-Єва",
            "LUKIANENKO<<MARIIA<YEVA",
            "LUKIANENKO<<MARIIA<YEVA",
        ),
    ];
    for (p, s, kmu, icao) in rows {
        let n = MrzName::new(p, s, Script::UkrainianKmu55).unwrap();
        assert_eq!(n.to_dg11(), kmu);
        assert_eq!(
            n.to_field(MrzFormat::Td1).as_str(),
            format!("{kmu:<<30}"),
            "{p}"
        );
        assert_eq!(
            MrzName::new(p, s, Script::Ukrainian).unwrap().to_dg11(),
            icao
        );
    }
    // 9303-3 §4.6 punctuation examples.
    assert_eq!(name("D'ARTAGNAN", "").to_dg11(), "DARTAGNAN");
    assert_eq!(name("X", "MARIE-ELISE").to_dg11(), "X<<MARIE<ELISE");
    assert_eq!(
        name("ERIKSSON", "ANNA, MARIA").to_dg11(),
        "ERIKSSON<<ANNA<MARIA"
    );
    assert_eq!(name("VAN DER MUELLEN", "").to_dg11(), "VAN<DER<MUELLEN");
}

#[test]
fn negative_cases_have_precise_errors() {
    let td1 = TD1.join("\n");
    let cases: Vec<(String, &str)> = vec![
        (
            td1.replacen("7408122", "7408123", 1),
            "line 2 position 7: date-of-birth check digit is 3, computed 2",
        ),
        (
            td1.replacen("UTO<<<<<<<<<<<6", "UTO<<<<<<<<<<<7", 1),
            "line 2 position 30: composite check digit is 7, computed 6",
        ),
        (
            td1.replacen("<<<<<<<<<<<<<<<\n", "<<<<<<<<<<<<<<\n", 1),
            "line 1 has 29 characters; TD1 lines have 30",
        ),
        (
            td1.replacen("ANNA", "ANNa", 1),
            "line 3 position 14: name: character 'a' is not allowed here (the MRZ alphabet A–Z, 0–9 and <)",
        ),
        (
            td1.replacen("740812", "740231", 1),
            "line 2 position 5: date-of-birth: day 31 does not exist in February",
        ),
        (
            td1.replacen("740812", "230229", 1),
            "line 2 position 5: date-of-birth: day 29 does not exist in February of a year ending in 23",
        ),
        (
            td1.replacen("I<UTO", "I<ABC", 1),
            "line 1 position 3: issuing-state: \"ABC\" is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code",
        ),
        (
            td1.replacen("F1204159UTO", "F1204159ZZZ", 1),
            "line 2 position 16: nationality: \"ZZZ\" is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code",
        ),
        (
            TD3.join("\n")
                .replacen("ZE184226B<<<<<1", "ZE184226B<<<<<2", 1),
            "line 2 position 43: personal-number check digit is 2, computed 1",
        ),
        (
            TD1_LONG.join("\n").replacen("7349<", "7348<", 1),
            "line 1 position 19: document-number check digit is 8, computed 9",
        ),
        (
            TD1_LONG
                .join("\n")
                .replacen("7349<<<<<<<<<<<", "734999999999999", 1),
            "line 1 position 16: document-number: long number: no filler after its check digit",
        ),
        (
            "I<UTO\nERIKSSON".to_owned(),
            "line 1 has 5 characters; TD3 lines have 44",
        ),
        (
            "X".repeat(40),
            "MRZ of 40 characters on one line; expected 90 (TD1, 3 × 30) or 88 (TD3, 2 × 44)",
        ),
    ];
    for (text, message) in cases {
        let err = Mrz::parse(&text).unwrap_err();
        assert_eq!(err.to_string(), message, "{text}");
        // Every parse error folds into the crate error unchanged.
        assert_eq!(permitkit_station::Error::from(err).to_string(), message);
    }
    assert!(matches!(
        Mrz::parse(&TD1.join("\n").replacen("7408122", "7408123", 1)),
        Err(MrzError::At {
            line: 2,
            position: 7,
            ..
        })
    ));
}

// ---- property tests ----------------------------------------------------------------------

fn letters(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z]{{1,{max}}}")).unwrap()
}

fn name_strategy() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    (
        proptest::collection::vec(letters(14), 1..4),
        proptest::collection::vec(letters(14), 0..4),
    )
}

fn mrz_chars(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("([A-Z0-9<]{{0,{max}}}[A-Z0-9])?")).unwrap()
}

prop_compose! {
    fn valid_fields()(
        td1 in any::<bool>(),
        second in proptest::sample::select(b"ABCDEFGHIJKLMNOPQRSTUWXYZ<".to_vec()),
        first in proptest::sample::select(b"ACI".to_vec()),
        state in proptest::sample::select(vec!["UTO", "D", "UKR", "XXA", "GBR", "EUE"]),
        nationality in proptest::sample::select(vec!["UTO", "D<<", "POL", "XXB", "UNO"]),
        number in proptest::string::string_regex("[A-Z0-9]([A-Z0-9<]{0,20}[A-Z0-9])?").unwrap(),
        (primary, secondary) in name_strategy(),
        dob in (1900u16..2030, proptest::option::of(1u8..=12), 1u8..=28, any::<bool>()),
        doe in (2031u16..2099, 1u8..=12, 1u8..=31),
        sex in proptest::sample::select(vec![Sex::Male, Sex::Female, Sex::Unspecified]),
        optional in mrz_chars(14),
        optional_2 in mrz_chars(10),
    ) -> MrzFields {
        let format = if td1 { MrzFormat::Td1 } else { MrzFormat::Td3 };
        let code = if td1 {
            let second = if first == b'A' && second == b'I' { b'R' } else { second };
            String::from_utf8(vec![first, second]).unwrap()
        } else {
            String::from_utf8(vec![b'P', second]).unwrap()
        };
        // Fillers (VIZ spaces) may stand inside a number, but not after the 9th character of a
        // long one, where the first filler ends the number.
        let mut number: String = number
            .char_indices()
            .map(|(i, c)| if i >= 9 && c == '<' { '0' } else { c })
            .collect();
        let mut optional = optional;
        if td1 {
            if number.len() > 9 {
                optional.truncate(15 - (number.len() - 9) - 2);
            }
        } else {
            number.truncate(9);
            number = number.trim_end_matches('<').to_owned();
            optional.truncate(14);
        }
        let optional = optional.trim_end_matches('<').to_owned();
        let (year, month, day, day_known) = dob;
        let dob = PartialDate::new(Some(year), month, month.filter(|_| day_known).map(|_| day)).unwrap();
        let (y, m, d) = doe;
        let doe = Date::new(y, m, d.min(28)).unwrap();
        MrzFields {
            format,
            document_code: DocumentCode::new(&code).unwrap(),
            issuing_state: CountryCode::new(state).unwrap(),
            document_number: number,
            name: MrzName::new(&primary.join(" "), &secondary.join(" "), Script::Latin).unwrap(),
            nationality: CountryCode::new(nationality).unwrap(),
            date_of_birth: dob,
            sex,
            date_of_expiry: doe,
            optional_data: optional,
            optional_data_2: if td1 { optional_2 } else { String::new() },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_mrzs_parse_back_to_the_same_fields(f in valid_fields()) {
        let m = Mrz::new(f.clone()).unwrap();
        let lines = m.lines();
        prop_assert_eq!(lines.len(), f.format.line_count());
        prop_assert!(lines.iter().all(|l| l.len() == f.format.line_len()));
        for text in [m.to_dg1_string(), m.to_string(), format!("  {}\r\n", lines.join("\r\n"))] {
            let back = Mrz::parse(&text).unwrap();
            prop_assert_eq!(&back, &m);
        }
        prop_assert_eq!(m.format(), f.format);
        prop_assert_eq!(m.document_code(), f.document_code);
        prop_assert_eq!(m.issuing_state(), f.issuing_state);
        prop_assert_eq!(m.nationality(), f.nationality);
        prop_assert_eq!(m.document_number(), f.document_number.as_str());
        prop_assert_eq!(m.sex(), f.sex);
        prop_assert_eq!(m.date_of_birth().to_mrz(), f.date_of_birth.to_mrz());
        prop_assert_eq!(m.date_of_expiry().to_mrz(), f.date_of_expiry.to_mrz());
        prop_assert_eq!(m.optional_data(), f.optional_data.as_str());
        prop_assert_eq!(m.optional_data_2(), f.optional_data_2.trim_end_matches('<'));
        let field = f.name.to_field(f.format);
        if !field.is_truncated() {
            prop_assert_eq!(m.name(), &f.name);
        }
        prop_assert_eq!(m.name_possibly_truncated(), field.is_possibly_truncated());
        let info = m.mrz_information();
        let number = format!("{:<<9}", f.document_number);
        prop_assert!(info.expose().starts_with(&number));
        prop_assert_eq!(info.len(), number.len() + 15);
    }

    #[test]
    fn any_digit_change_in_a_date_is_detected(f in valid_fields(), at in 0usize..6, digit in 0u8..10) {
        let m = Mrz::new(f).unwrap();
        let (line, start) = match m.format() { MrzFormat::Td1 => (1, 0), MrzFormat::Td3 => (1, 13) };
        let mut lines = m.lines();
        let bytes = with_digit(&lines[line], start + at, digit);
        prop_assume!(bytes != lines[line]);
        lines[line] = bytes;
        prop_assert!(Mrz::parse(&lines.join("\n")).is_err());
    }

    #[test]
    fn names_fill_their_field(
        (primary, secondary) in name_strategy(),
        td1 in any::<bool>(),
    ) {
        let format = if td1 { MrzFormat::Td1 } else { MrzFormat::Td3 };
        let name = MrzName::new(&primary.join(" "), &secondary.join("-"), Script::Latin).unwrap();
        let field = name.to_field(format);
        let text = field.as_str();
        prop_assert_eq!(text.len(), format.name_width());
        prop_assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b == b'<'));
        prop_assert_eq!(field.is_truncated(), name.full_len() > format.name_width());
        if field.is_truncated() {
            let all_initials = text.trim_end_matches('<').split('<').all(|c| c.len() <= 1);
            prop_assert!(text.ends_with(|c: char| c.is_ascii_uppercase()) || all_initials);
            if !secondary.is_empty() {
                prop_assert!(text.contains("<<"));
            }
        } else {
            prop_assert!(text.starts_with(&name.to_dg11()));
        }
    }

    #[test]
    fn arbitrary_names_transliterate_to_the_mrz_alphabet_or_fail(
        primary in "\\PC{0,40}",
        secondary in "\\PC{0,40}",
        script in proptest::sample::select(Script::ALL.to_vec()),
    ) {
        if let Ok(name) = MrzName::new(&primary, &secondary, script) {
            let full = name.to_dg11();
            prop_assert!(!full.is_empty());
            prop_assert!(full.bytes().all(|b| b.is_ascii_uppercase() || b == b'<'));
            prop_assert_eq!(name.to_field(MrzFormat::Td1).as_str().len(), 30);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[A-Z0-9<\\n]{0,100}") {
        let _ = Mrz::parse(&text);
    }
}

/// `line` with the byte at `index` (within the date field) replaced by `digit`.
fn with_digit(line: &str, index: usize, digit: u8) -> String {
    let mut bytes = line.as_bytes().to_vec();
    if bytes[index].is_ascii_digit() {
        bytes[index] = b'0' + digit;
    }
    String::from_utf8(bytes).unwrap()
}
