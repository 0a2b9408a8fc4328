//! The applicant file: the testdata applicants validate into the MRZ, DG11 and DG12 they should,
//! and every kind of bad input is refused with the field named and the reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_model::profiles::Registry;
use permitkit_station::applicant::Applicant;

const FOREIGN: &str = include_str!("../testdata/applicants/temporary-foreign-national.toml");
const STATELESS: &str = include_str!("../testdata/applicants/permanent-stateless.toml");

fn parse(text: &str) -> Result<Applicant, permitkit_station::applicant::ApplicantError> {
    Applicant::parse("applicant.toml", text, &Registry::builtin().unwrap())
}

fn refused(text: &str) -> (String, String) {
    let e = parse(text).unwrap_err();
    assert_eq!(e.file, "applicant.toml");
    (e.field, e.reason)
}

#[test]
fn foreign_national_temporary_permit() {
    let a = parse(FOREIGN).unwrap();
    // Check digits recomputed independently (7-3-1 weights, ICAO 9303-3 §4.9).
    assert_eq!(
        a.mrz.lines(),
        vec![
            "IRUKRFT42112075<<<<<<<<<<<<<<<",
            "9102273F2711195KAZ<<<<<<<<<<<8",
            "AKHMETOVA<<AIGERIM<<<<<<<<<<<<",
        ]
    );
    assert_eq!(a.dg11.full_name.as_deref(), Some("АХМЕТОВА<<АЙГЕРІМ"));
    assert_eq!(a.dg11.full_date_of_birth.as_deref(), Some("19910227"));
    assert_eq!(a.dg11.place_of_birth.as_deref(), Some("АЛМАТИ<КАЗАХСТАН"));
    assert_eq!(a.dg12.date_of_issue.as_deref(), Some("20261120"));
    assert_eq!(a.dg12.issuing_authority.as_deref(), Some("ДМС 8041"));
    assert!(a.writes_fingerprints());
}

#[test]
fn stateless_person_permanent_permit() {
    let a = parse(STATELESS).unwrap();
    assert_eq!(
        a.mrz.lines(),
        vec![
            "IRUKRPR0087745319790500<00877<",
            "7905<<1M3611199XXA<<<<<<<<<<<1",
            "KUZNETSOV<<ANDREI<NIKOLAEVICH<",
        ]
    );
    // Unknown day: `<<` in the MRZ (counted as 0 by the check digit), `00` in DG11.
    assert_eq!(a.dg11.full_date_of_birth.as_deref(), Some("19790500"));
    assert_eq!(
        a.dg11.full_name.as_deref(),
        Some("КУЗНЄЦОВ<<АНДРІЙ<МИКОЛАЙОВИЧ")
    );
    // Default term of the permanent permit: 10 years less a day.
    assert_eq!(a.date_of_expiry.to_string(), "2036-11-19");
    assert!(!a.writes_fingerprints(), "no written consent, no DG3");
}

#[test]
fn impossible_dates_are_named() {
    let (field, reason) = refused(&FOREIGN.replace("1991-02-27", "1991-02-31"));
    assert_eq!(field, "holder.date_of_birth");
    assert_eq!(reason, "day 31 does not exist in February");
    let (field, reason) = refused(&FOREIGN.replace("1991-02-27", "1991-02-29"));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        (
            "holder.date_of_birth",
            "day 29 does not exist in February 1991"
        )
    );
    let (field, _) = refused(&FOREIGN.replace("2026-11-20", "2026-13-20"));
    assert_eq!(field, "document.date_of_issue");
    let (field, reason) = refused(&FOREIGN.replace("2027-11-19", "2031-11-19"));
    assert_eq!(field, "document.date_of_expiry");
    assert!(reason.contains("3-year maximum"), "{reason}");
    let (field, reason) = refused(&FOREIGN.replace("1991-02-27", "2027-01-01"));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("holder.date_of_birth", "is after the date of issue")
    );
}

#[test]
fn names_codes_and_structure_are_named() {
    let (field, reason) = refused(&FOREIGN.replace("\"AKHMETOVA\"", "\"AKHMETOVA3\""));
    assert_eq!(field, "holder.surname");
    assert!(reason.contains('3'), "{reason}");
    let (field, _) = refused(&FOREIGN.replace("\"AKHMETOVA\"", "\"Ахметова\""));
    assert_eq!(
        field, "holder.surname",
        "Cyrillic under name_script = latin"
    );
    let (field, _) = refused(&FOREIGN.replace("\"KAZ\"", "\"KZX\""));
    assert_eq!(field, "holder.nationality");
    let (field, _) = refused(&FOREIGN.replace("sex = \"F\"", "sex = \"Q\""));
    assert_eq!(field, "holder.sex");
    let (field, reason) = refused(&FOREIGN.replace("sex = \"F\"", "sex = \"F\"\nsexx = \"F\""));
    assert_eq!(field, "holder.sexx");
    assert!(reason.contains("unknown field"), "{reason}");
    let (field, _) =
        refused(&FOREIGN.replace("date_of_birth = \"1991-02-27\"", "date_of_birth = 1991"));
    assert_eq!(field, "holder.date_of_birth");
    let (field, _) = refused(&FOREIGN.replace("ua-temporary-residence-permit", "xx-visa"));
    assert_eq!(field, "document_profile");
    let (field, _) = refused(&FOREIGN.replace("\"FT4211207\"", "\"FT-4211207\""));
    assert_eq!(field, "document.number");
    let (field, reason) =
        refused(&FOREIGN.replace("reference = \"заява № 4211/26 від 20.11.2026\"", ""));
    assert_eq!(field, "consent.reference");
    assert!(reason.contains("written statement"));
}

#[test]
fn an_over_long_name_is_truncated_not_refused() {
    let long = FOREIGN
        .replace("\"AKHMETOVA\"", "\"AKHMETOVA-KASYMZHANOVA\"")
        .replace("\"AIGERIM\"", "\"AIGERIM NURSULTANOVNA\"");
    let a = parse(&long).unwrap();
    let line3 = &a.mrz.lines()[2];
    assert_eq!(line3.len(), 30);
    assert!(line3.starts_with("AKHMETOVA<KASYMZHANOVA<<"), "{line3}");
    assert!(
        line3.ends_with(|c: char| c.is_ascii_uppercase()),
        "a truncated field ends in a letter: {line3}"
    );
    assert!(a.mrz.name_possibly_truncated());
    // DG11 keeps the full name.
    assert_eq!(a.dg11.full_name.as_deref(), Some("АХМЕТОВА<<АЙГЕРІМ"));
}

#[test]
fn register_number_must_match_the_birth_date() {
    let text = FOREIGN.replace(
        "sex = \"F\"",
        "sex = \"F\"\npersonal_number = \"19910228-01234\"",
    );
    let (field, reason) = refused(&text);
    assert_eq!(field, "holder.personal_number");
    assert!(reason.contains("differs from the date of birth"));
    let ok = FOREIGN.replace(
        "sex = \"F\"",
        "sex = \"F\"\npersonal_number = \"19910227-01234\"",
    );
    let a = parse(&ok).unwrap();
    assert!(a.mrz.lines()[0].starts_with("IRUKRFT42112075"));
    assert_eq!(&a.mrz.lines()[0][15..29], "19910227<01234");
}
