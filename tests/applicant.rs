//! The applicant file: the testdata applicants validate into the MRZ, DG11 and DG12 they should,
//! and every kind of bad input is refused with the field named and the reason.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::sync::LazyLock;

use permitkit_lds::mrz::Date;
use permitkit_model::profiles::Registry;
use permitkit_station::applicant::{Applicant, ApplicantError, Issuance, IssuedNumbers};

/// The testdata files leave the dates to the station (issued today, the profile's term); the
/// tests give them fixed ones so that nothing depends on the clock.
static FOREIGN: LazyLock<String> = LazyLock::new(|| {
    dated(
        include_str!("../testdata/applicants/temporary-foreign-national.toml"),
        "date_of_issue = \"2026-11-20\"\ndate_of_expiry = \"2027-11-19\"\n",
    )
});
static STATELESS: LazyLock<String> = LazyLock::new(|| {
    dated(
        include_str!("../testdata/applicants/permanent-stateless.toml"),
        "date_of_issue = \"2026-11-20\"\n",
    )
});

/// `text` with `dates` after the `[document]` section's number.
fn dated(text: &str, dates: &str) -> String {
    let at = text.find("issuing_authority").unwrap();
    format!("{}{dates}{}", &text[..at], &text[at..])
}

/// The day the testdata applications are validated on (two days after their date of issue),
/// so that no test depends on the clock.
fn today() -> Date {
    Date::new(2026, 11, 22).unwrap()
}

fn parse(text: &str) -> Result<Applicant, ApplicantError> {
    parse_on(text, today(), None)
}

fn parse_on(
    text: &str,
    today: Date,
    issued: Option<&IssuedNumbers>,
) -> Result<Applicant, ApplicantError> {
    Applicant::parse_for(
        "applicant.toml",
        text,
        &Registry::builtin().unwrap(),
        &Issuance { today, issued },
    )
}

fn refused(text: &str) -> (String, String) {
    refused_on(text, today(), None)
}

fn refused_on(text: &str, today: Date, issued: Option<&IssuedNumbers>) -> (String, String) {
    let e = parse_on(text, today, issued).unwrap_err();
    assert_eq!(e.file, "applicant.toml");
    (e.field, e.reason)
}

#[test]
fn foreign_national_temporary_permit() {
    let a = parse(&FOREIGN).unwrap();
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
    let a = parse(&STATELESS).unwrap();
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
        (
            "holder.date_of_birth",
            "is in the future (today is 2026-11-22)"
        )
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

#[test]
fn dates_are_checked_against_today() {
    // Issued in the future.
    let (field, reason) = refused(&FOREIGN.replace("2026-11-20", "2026-11-23"));
    assert_eq!(field, "document.date_of_issue");
    assert_eq!(reason, "2026-11-23 is in the future (today is 2026-11-22)");
    // Already expired: an explicit expiry in the past.
    let expired = FOREIGN
        .replace("2026-11-20", "2024-11-20")
        .replace("2027-11-19", "2025-11-19");
    let (field, reason) = refused(&expired);
    assert_eq!(field, "document.date_of_expiry");
    assert!(
        reason.starts_with("2025-11-19 has passed (today is 2026-11-22)"),
        "{reason}"
    );
    // Expiry exactly today is still valid today.
    let last_day = FOREIGN
        .replace("2026-11-20", "2025-11-23")
        .replace("2027-11-19", "2026-11-22");
    assert!(parse(&last_day).is_ok());
    // An issue date in 2001, with and without a stated expiry: the issue date is named.
    for text in [
        FOREIGN.replace("2026-11-20", "2001-05-14"),
        FOREIGN
            .replace("2026-11-20", "2001-05-14")
            .replace("date_of_expiry = \"2027-11-19\"\n", ""),
        STATELESS.replace("2026-11-20", "2001-05-14"),
    ] {
        let (field, reason) = refused(&text);
        assert_eq!(field, "document.date_of_issue", "{reason}");
        assert!(reason.contains("is too long ago"), "{reason}");
    }
    // Born in the future, born after the date of issue (a month-only date too).
    let (field, reason) = refused(&FOREIGN.replace("1991-02-27", "2026-12-01"));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        (
            "holder.date_of_birth",
            "is in the future (today is 2026-11-22)"
        )
    );
    let (field, reason) = refused(&FOREIGN.replace("1991-02-27", "2026-11-21"));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("holder.date_of_birth", "is after the date of issue")
    );
    let (field, _) = refused(&FOREIGN.replace("1991-02-27", "2026-12"));
    assert_eq!(field, "holder.date_of_birth");
    assert!(parse(&FOREIGN.replace("1991-02-27", "2026-11")).is_ok());
}

#[test]
fn a_number_issued_before_is_refused_unless_a_replacement_is_declared() {
    let mut issued = IssuedNumbers::new();
    issued.insert("FT4211207", "TRP-2026-004211-0011223344556677");
    let (field, reason) = refused_on(&FOREIGN, today(), Some(&issued));
    assert_eq!(field, "document.number");
    assert_eq!(
        reason,
        "FT4211207 was already issued (TRP-2026-004211-0011223344556677); a new card under the \
         same number must declare document.replaces = \"FT4211207\""
    );
    let replacement = FOREIGN.replace(
        "number = \"FT4211207\"",
        "number = \"FT4211207\"\nreplaces = \"ft4211207\"",
    );
    let a = parse_on(&replacement, today(), Some(&issued)).unwrap();
    assert_eq!(a.replaces.as_deref(), Some("FT4211207"));
    // Replacing another document does not make this number reusable.
    let other = FOREIGN.replace(
        "number = \"FT4211207\"",
        "number = \"FT4211207\"\nreplaces = \"FT1000001\"",
    );
    let (field, _) = refused_on(&other, today(), Some(&issued));
    assert_eq!(field, "document.number");
    // A fresh number is fine; a malformed replaced number is named.
    assert!(
        parse_on(
            &FOREIGN.replace("FT4211207", "FT4211208"),
            today(),
            Some(&issued)
        )
        .is_ok()
    );
    let bad = FOREIGN.replace(
        "number = \"FT4211207\"",
        "number = \"FT4211207\"\nreplaces = \"FT-42\"",
    );
    assert_eq!(refused(&bad).0, "document.replaces");
}

#[test]
fn oversize_fields_are_refused_by_the_profile_limits_naming_the_field() {
    let huge = "Д".repeat(10 << 20);
    let (field, reason) = refused(&FOREIGN.replace("ДМС 8041", &huge));
    assert_eq!(field, "document.issuing_authority");
    assert_eq!(
        reason,
        "10485760 characters; the document profile allows at most 64 ([limits] in its file)"
    );
    let long_place = FOREIGN.replace("\"АЛМАТИ\"", &format!("\"{}\"", "А".repeat(95)));
    let (field, _) = refused(&long_place);
    assert_eq!(
        field, "holder.place_of_birth",
        "sub-fields joined exceed 100"
    );
    let (field, _) = refused(&FOREIGN.replace("\"Айгерім\"", &format!("\"{}\"", "й".repeat(65))));
    assert_eq!(field, "holder.national_given_names");
    let names = FOREIGN.replace(
        "sex = \"F\"",
        "sex = \"F\"\nother_names = [\"A, B\", \"C, D\", \"E, F\", \"G, H\", \"I, J\"]",
    );
    let (field, reason) = refused(&names);
    assert_eq!(field, "holder.other_names");
    assert!(reason.contains("at most 4"), "{reason}");
    // At the limit: accepted.
    assert!(parse(&FOREIGN.replace("ДМС 8041", &"Д".repeat(64))).is_ok());
}

#[test]
fn dg11_keeps_the_given_names_without_national_given_names() {
    // 9303-10 §4.7.11: the full name holds the primary and the secondary identifier.
    let a = parse(&FOREIGN.replace("national_given_names = \"Айгерім\"\n", "")).unwrap();
    assert_eq!(a.dg11.full_name.as_deref(), Some("АХМЕТОВА<<AIGERIM"));
    let a =
        parse(&STATELESS.replace("national_given_names = \"Андрій Миколайович\"\n", "")).unwrap();
    assert_eq!(
        a.dg11.full_name.as_deref(),
        Some("КУЗНЄЦОВ<<АНДРЕЙ<НИКОЛАЕВИЧ")
    );
}

#[test]
fn a_missing_key_is_named_with_its_table() {
    let (field, reason) = refused(&FOREIGN.replace("date_of_birth = \"1991-02-27\"\n", ""));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("holder.date_of_birth", "missing field `date_of_birth`")
    );
    // The file starts with a comment: the field is still `application`.
    assert!(FOREIGN.starts_with('#'));
    let (field, reason) = refused(&FOREIGN.replace("application = \"TRP-2026-004211\"\n", ""));
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("application", "missing field `application`")
    );
    let (field, _) = refused(&FOREIGN.replace("number = \"FT4211207\"\n", ""));
    assert_eq!(field, "document.number");
}
