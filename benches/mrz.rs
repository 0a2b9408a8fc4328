//! MRZ generation, parsing and name transliteration (ICAO Doc 9303-3/-4/-5).
//!
//! `cargo bench --bench mrz`
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use permitkit_lds::mrz::{
    CountryCode, Date, DocumentCode, Mrz, MrzFields, MrzFormat, MrzName, PartialDate, Script, Sex,
    check_digit,
};

const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<\n\
                   7408122F1204159UTO<<<<<<<<<<<6\n\
                   ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

fn fields() -> MrzFields {
    MrzFields {
        format: MrzFormat::Td1,
        document_code: DocumentCode::new("IR").unwrap(),
        issuing_state: CountryCode::new("UKR").unwrap(),
        document_number: "D23145890734".into(),
        name: MrzName::new(
            "Nilavadhanananda",
            "Chayapa Dejthamrong Krasuang",
            Script::Latin,
        )
        .unwrap(),
        nationality: CountryCode::new("THA").unwrap(),
        date_of_birth: PartialDate::parse("1974-08").unwrap(),
        sex: Sex::Female,
        date_of_expiry: Date::new(2031, 4, 15).unwrap(),
        optional_data: "19740800".into(),
        optional_data_2: "12345".into(),
    }
}

fn bench(c: &mut Criterion) {
    c.bench_function("mrz_parse_td1", |b| {
        b.iter(|| Mrz::parse(black_box(TD1)).unwrap())
    });
    let f = fields();
    c.bench_function("mrz_new_td1_long_number_truncated_name", |b| {
        b.iter(|| Mrz::new(black_box(f.clone())).unwrap())
    });
    c.bench_function("mrz_name_ukrainian_kmu55", |b| {
        b.iter(|| {
            MrzName::new(
                black_box("Лук'яненко"),
                black_box("Марія-Єва"),
                Script::UkrainianKmu55,
            )
            .unwrap()
        })
    });
    c.bench_function("mrz_check_digit_30_chars", |b| {
        b.iter(|| check_digit(black_box("D231458907<<<<<<<<<<<<<<<7408122")).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
