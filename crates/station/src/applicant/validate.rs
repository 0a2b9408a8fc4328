//! From the applicant file to typed, checked data: the MRZ (ICAO Doc 9303-3/-5), DG11 and
//! DG12 contents, the validity term (document profile), the fingerprint consent.
//!
//! Everything is checked before anything is built or signed, each problem naming its field:
//! - dates against today and each other: the date of issue is not in the future, the date of
//!   expiry follows it, has not passed and lies within the profile's maximum term; the date of
//!   birth is neither in the future nor after the date of issue (9303-3 §4.2 dates; the
//!   profile's national validity rules);
//! - the document number is not one already issued ([`Issuance::issued`]) unless the
//!   application declares the card a replacement under the same number (`document.replaces`);
//! - every text field within the document profile's limits (`[limits]`), so that no input makes
//!   an oversize DG11 or DG12;
//! - the profile's issuing State and its alpha-2 code agree (the Document Signer's country is
//!   compared with the latter, 9303-12 §7.1).

use std::{fmt, time::SystemTime};

use crate::applicant::file::{ApplicantFile, error_field};
use crate::applicant::issued::{IssuedNumbers, normalize};
use permitkit_lds::{
    Dg11, Dg12,
    mrz::{
        CountryCode, Date, DocumentCode, Field, FieldError, Mrz, MrzError, MrzFields, MrzFormat,
        MrzName, PartialDate, Script, Sex,
    },
};
use permitkit_model::profiles::{
    DocumentProfile, Registry,
    document::{FieldLimits, MrzFormatName},
};

/// What an application is checked against besides its document profile: the date it is
/// issued on and the numbers issued before.
#[derive(Debug, Clone, Copy)]
pub struct Issuance<'a> {
    /// Today (UTC): no date of issue after it, no date of expiry before it.
    pub today: Date,
    /// Document numbers already issued; `None` when the caller has no register of them (then
    /// a duplicate number cannot be noticed).
    pub issued: Option<&'a IssuedNumbers>,
}

impl Issuance<'_> {
    /// Today by the system clock, with no register of issued numbers.
    pub fn today() -> Self {
        Self {
            today: Date::from_system_time(SystemTime::now()).unwrap_or(Date::UNIX_EPOCH),
            issued: None,
        }
    }
}

/// A problem with the applicant file: which file, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {reason}")]
pub struct ApplicantError {
    /// The applicant file.
    pub file: String,
    /// Dotted field name (`holder.date_of_birth`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// A validated application.
#[derive(Clone)]
pub struct Applicant {
    /// Application identifier.
    pub application: String,
    /// The document profile it is issued under.
    pub document_profile: DocumentProfile,
    /// The number of the document this card replaces (`document.replaces`).
    pub replaces: Option<String>,
    /// The MRZ, check digits computed, name transliterated and truncated as needed.
    pub mrz: Mrz,
    /// Date of issue.
    pub date_of_issue: Date,
    /// Date of expiry.
    pub date_of_expiry: Date,
    /// Date of birth (possibly partly unknown), consistent between the MRZ and DG11.
    pub date_of_birth: PartialDate,
    /// DG11 contents.
    pub dg11: Dg11,
    /// DG12 contents (personalization fields are added at build time).
    pub dg12: Dg12,
    /// The holder asked in writing for fingerprints on the chip.
    pub fingerprints_consent: bool,
    /// Reference of that written statement.
    pub consent_reference: Option<String>,
}

impl fmt::Debug for Applicant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Applicant")
            .field("application", &self.application)
            .field("document_profile", &self.document_profile.id)
            .field("fingerprints_consent", &self.fingerprints_consent)
            .finish_non_exhaustive()
    }
}

impl Applicant {
    /// Parses and validates the applicant file `file` (its text is `text`) against the
    /// document profiles in `profiles`, as of today by the system clock and without a
    /// register of issued numbers ([`Issuance::today`]); see [`Applicant::parse_for`].
    pub fn parse(file: &str, text: &str, profiles: &Registry) -> Result<Self, ApplicantError> {
        Self::parse_for(file, text, profiles, &Issuance::today())
    }

    /// Parses and validates the applicant file `file` (its text is `text`) against the
    /// document profiles in `profiles`, for a document issued on `issuance.today` after the
    /// numbers `issuance.issued`.
    pub fn parse_for(
        file: &str,
        text: &str,
        profiles: &Registry,
        issuance: &Issuance<'_>,
    ) -> Result<Self, ApplicantError> {
        let err = |field: &str, reason: String| ApplicantError {
            file: file.to_owned(),
            field: field.to_owned(),
            reason,
        };
        let raw: ApplicantFile = toml::from_str(text).map_err(|e| {
            let field = error_field(&e, text).unwrap_or_else(|| "(file)".into());
            err(&field, e.message().to_owned())
        })?;
        if raw.application.trim().is_empty() {
            return Err(err("application", "must not be empty".into()));
        }
        let profile = profiles
            .document(&raw.document_profile)
            .map_err(|e| err("document_profile", e.reason))?
            .clone();
        check_limits(&raw, &profile.limits).map_err(|(field, reason)| err(&field, reason))?;

        // Dates: against today, against each other, against the profile's term.
        let today = issuance.today;
        let date_of_issue = match &raw.document.date_of_issue {
            Some(d) => Date::parse(d).map_err(|e| err("document.date_of_issue", e.to_string()))?,
            None => today,
        };
        if date_of_issue > today {
            return Err(err(
                "document.date_of_issue",
                format!("{date_of_issue} is in the future (today is {today})"),
            ));
        }
        let date_of_expiry = match &raw.document.date_of_expiry {
            Some(d) => Date::parse(d).map_err(|e| err("document.date_of_expiry", e.to_string()))?,
            None => add_years_minus_a_day(date_of_issue, profile.validity.default_years)
                .ok_or_else(|| err("document.date_of_issue", "out of range".into()))?,
        };
        if date_of_expiry <= date_of_issue {
            return Err(err(
                "document.date_of_expiry",
                "must be after the date of issue".into(),
            ));
        }
        let latest = add_years_minus_a_day(date_of_issue, profile.validity.max_years)
            .ok_or_else(|| err("document.date_of_issue", "out of range".into()))?;
        if latest < today {
            return Err(err(
                "document.date_of_issue",
                format!(
                    "{date_of_issue} is too long ago: a document of {} issued then expired on \
                     {latest} at the latest (today is {today})",
                    profile.id
                ),
            ));
        }
        if date_of_expiry > latest {
            return Err(err(
                "document.date_of_expiry",
                format!(
                    "{} exceeds the {}-year maximum term of {} (last allowed {})",
                    date_of_expiry, profile.validity.max_years, profile.id, latest
                ),
            ));
        }
        if date_of_expiry < today {
            return Err(match raw.document.date_of_expiry {
                Some(_) => err(
                    "document.date_of_expiry",
                    format!(
                        "{date_of_expiry} has passed (today is {today}): the document would be \
                         issued expired"
                    ),
                ),
                None => err(
                    "document.date_of_issue",
                    format!(
                        "{date_of_issue} is too long ago: with the {}-year term of {} the \
                         document expired on {date_of_expiry} (today is {today})",
                        profile.validity.default_years, profile.id
                    ),
                ),
            });
        }
        let date_of_birth = PartialDate::parse(&raw.holder.date_of_birth)
            .map_err(|e| err("holder.date_of_birth", e.to_string()))?;
        if let Some(y) = date_of_birth.year() {
            if later_than(date_of_birth, today) {
                return Err(err(
                    "holder.date_of_birth",
                    format!("is in the future (today is {today})"),
                ));
            }
            if later_than(date_of_birth, date_of_issue) {
                return Err(err(
                    "holder.date_of_birth",
                    "is after the date of issue".into(),
                ));
            }
            if date_of_issue.year().saturating_sub(y) > 130 {
                return Err(err(
                    "holder.date_of_birth",
                    "is more than 130 years before the date of issue".into(),
                ));
            }
        }

        // Names, codes, sex.
        let script = script(&raw.holder.name_script)
            .ok_or_else(|| err("holder.name_script", format!(
                "{:?} is not one of latin, ukrainian, ukrainian-kmu55, russian, belarusian, bulgarian, serbian, macedonian, cyrillic",
                raw.holder.name_script
            )))?;
        let name = MrzName::new(&raw.holder.surname, &raw.holder.given_names, script)
            .map_err(|e| err(name_field(&e), e.to_string()))?;
        let nationality = CountryCode::new(&raw.holder.nationality)
            .map_err(|e| err("holder.nationality", e.to_string()))?;
        let issuing_state = CountryCode::new(&profile.issuing_state)
            .map_err(|e| err("document_profile", format!("issuing state: {e}")))?;
        if issuing_state.alpha2() != Some(profile.issuing_state_alpha2.as_str()) {
            return Err(err(
                "document_profile",
                format!(
                    "{}: issuing_state_alpha2 {} is not the ISO 3166-1 alpha-2 code of {} ({})",
                    profile.id,
                    profile.issuing_state_alpha2,
                    issuing_state,
                    issuing_state.alpha2().unwrap_or("none")
                ),
            ));
        }
        let document_code = DocumentCode::new(&profile.document_code)
            .map_err(|e| err("document_profile", format!("document code: {e}")))?;
        let sex = match raw.holder.sex.trim() {
            "M" | "m" => Sex::Male,
            "F" | "f" => Sex::Female,
            "X" | "x" | "<" => Sex::Unspecified,
            other => return Err(err("holder.sex", format!("{other:?} is not M, F or X"))),
        };

        // Personal number: DG11, and the MRZ optional data (hyphens and spaces become fillers).
        let personal_number = raw
            .holder
            .personal_number
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let optional_data = match personal_number {
            Some(p) => {
                let mrz: String = p
                    .chars()
                    .map(|c| {
                        if c == '-' || c == ' ' {
                            '<'
                        } else {
                            c.to_ascii_uppercase()
                        }
                    })
                    .collect();
                if !mrz
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<')
                {
                    return Err(err(
                        "holder.personal_number",
                        "only letters A-Z, digits, spaces and hyphens can go into the MRZ".into(),
                    ));
                }
                check_register_number(p, date_of_birth)
                    .map_err(|r| err("holder.personal_number", r))?;
                mrz
            }
            None => String::new(),
        };

        let number = raw.document.number.trim().to_ascii_uppercase();
        let mrz = Mrz::new(MrzFields {
            format: match profile.format {
                MrzFormatName::Td1 => MrzFormat::Td1,
                MrzFormatName::Td3 => MrzFormat::Td3,
            },
            document_code,
            issuing_state,
            document_number: number,
            name: name.clone(),
            nationality,
            date_of_birth,
            sex,
            date_of_expiry,
            optional_data,
            optional_data_2: String::new(),
        })
        .map_err(|e| err(mrz_field(&e), e.to_string()))?;

        // A number already issued needs a declared replacement under the same number.
        let replaces = match &raw.document.replaces {
            Some(r) => {
                let r = normalize(r);
                if r.is_empty()
                    || !r
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    return Err(err(
                        "document.replaces",
                        format!("{r:?} is not a document number (letters A-Z and digits)"),
                    ));
                }
                Some(r)
            }
            None => None,
        };
        let number = mrz.document_number();
        if let Some(by) = issuance.issued.and_then(|i| i.issued_by(number))
            && replaces.as_deref() != Some(number)
        {
            return Err(err(
                "document.number",
                format!(
                    "{number} was already issued ({by}); a new card under the same number must \
                     declare document.replaces = \"{number}\""
                ),
            ));
        }

        // DG11 and DG12. Without national given names, DG11 keeps the given names as written:
        // the full name holds both identifiers (9303-10 §4.7.11).
        let national = match (
            &raw.holder.national_surname,
            &raw.holder.national_given_names,
        ) {
            (Some(s), Some(g)) => Some(dg11_name(s, g)),
            (Some(s), None) => Some(dg11_name(s, &raw.holder.given_names)),
            (None, Some(_)) => {
                return Err(err(
                    "holder.national_surname",
                    "is required with national_given_names".into(),
                ));
            }
            (None, None) => None,
        };
        let joined = |v: &[String]| {
            let parts: Vec<&str> = v
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join("<"))
        };
        let dg11 = Dg11 {
            full_name: Some(national.unwrap_or_else(|| name.to_dg11())),
            other_names: raw
                .holder
                .other_names
                .iter()
                .map(|n| match n.split_once(',') {
                    Some((s, g)) => dg11_name(s, g),
                    None => dg11_name(n, ""),
                })
                .collect(),
            personal_number: personal_number.map(str::to_owned),
            full_date_of_birth: Some(date_of_birth.to_dg11()),
            place_of_birth: joined(&raw.holder.place_of_birth),
            permanent_address: joined(&raw.holder.address),
            ..Dg11::default()
        };
        let dg12 = Dg12 {
            issuing_authority: raw.document.issuing_authority.clone(),
            date_of_issue: Some(date_of_issue.to_yyyymmdd()),
            endorsements: raw.document.endorsements.clone(),
            ..Dg12::default()
        };
        if raw.consent.fingerprints_on_chip && raw.consent.reference.is_none() {
            return Err(err(
                "consent.reference",
                "record the written statement that asks for fingerprints on the chip".into(),
            ));
        }
        Ok(Self {
            application: raw.application,
            document_profile: profile,
            replaces,
            mrz,
            date_of_issue,
            date_of_expiry,
            date_of_birth,
            dg11,
            dg12,
            fingerprints_consent: raw.consent.fingerprints_on_chip,
            consent_reference: raw.consent.reference,
        })
    }

    /// Whether DG3 may be written: the profile wants it and, where the profile requires it, the
    /// holder consented in writing.
    pub fn writes_fingerprints(&self) -> bool {
        self.document_profile.data_groups.contains(&3)
            && (self.fingerprints_consent || !self.document_profile.fingers.require_written_consent)
    }
}

/// True when (the known part of) `d` falls after `limit`: a year after its year, or the same
/// year and a month after its month, or a full date after it.
fn later_than(d: PartialDate, limit: Date) -> bool {
    match (d.year(), d.month(), d.to_date()) {
        (_, _, Some(full)) => full > limit,
        (Some(y), Some(m), None) => (y, m) > (limit.year(), limit.month()),
        (Some(y), None, None) => y > limit.year(),
        (None, _, _) => false,
    }
}

/// Every text field against the profile's limits, in characters; `Err((field, reason))`.
fn check_limits(raw: &ApplicantFile, limits: &FieldLimits) -> Result<(), (String, String)> {
    let joined = |v: &[String]| v.iter().map(|s| s.trim()).collect::<Vec<_>>().join("<");
    let h = &raw.holder;
    let d = &raw.document;
    let mut fields: Vec<(String, String, u16)> = vec![
        ("holder.surname".into(), h.surname.clone(), limits.name),
        (
            "holder.given_names".into(),
            h.given_names.clone(),
            limits.name,
        ),
        (
            "holder.place_of_birth".into(),
            joined(&h.place_of_birth),
            limits.place_of_birth,
        ),
        ("holder.address".into(), joined(&h.address), limits.address),
    ];
    let optional = [
        ("holder.national_surname", &h.national_surname, limits.name),
        (
            "holder.national_given_names",
            &h.national_given_names,
            limits.name,
        ),
        (
            "holder.personal_number",
            &h.personal_number,
            limits.personal_number,
        ),
        (
            "document.issuing_authority",
            &d.issuing_authority,
            limits.issuing_authority,
        ),
        (
            "document.endorsements",
            &d.endorsements,
            limits.endorsements,
        ),
    ];
    for (field, value, max) in optional {
        if let Some(v) = value {
            fields.push((field.into(), v.clone(), max));
        }
    }
    if h.other_names.len() > usize::from(limits.other_names) {
        return Err((
            "holder.other_names".into(),
            format!(
                "{} names; the document profile allows at most {}",
                h.other_names.len(),
                limits.other_names
            ),
        ));
    }
    for (i, n) in h.other_names.iter().enumerate() {
        fields.push((format!("holder.other_names[{i}]"), n.clone(), limits.name));
    }
    for (field, value, max) in fields {
        let chars = value.chars().count();
        if chars > usize::from(max) {
            return Err((
                field,
                format!(
                    "{chars} characters; the document profile allows at most {max} \
                     ([limits] in its file)"
                ),
            ));
        }
    }
    Ok(())
}

/// `SURNAME<<GIVEN<NAMES` in the national script, upper-cased, components joined by `<`.
fn dg11_name(surname: &str, given: &str) -> String {
    let part = |s: &str| {
        s.split_whitespace()
            .map(str::to_uppercase)
            .collect::<Vec<_>>()
            .join("<")
    };
    let (s, g) = (part(surname), part(given));
    if g.is_empty() { s } else { format!("{s}<<{g}") }
}

fn script(name: &str) -> Option<Script> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "latin" => Script::Latin,
        "ukrainian" => Script::Ukrainian,
        "ukrainian-kmu55" => Script::UkrainianKmu55,
        "russian" => Script::Russian,
        "belarusian" => Script::Belarusian,
        "bulgarian" => Script::Bulgarian,
        "serbian" => Script::Serbian,
        "macedonian" => Script::Macedonian,
        "cyrillic" => Script::Cyrillic,
        _ => return None,
    })
}

fn name_field(e: &MrzError) -> &'static str {
    let text = e.to_string();
    if text.contains("secondary") {
        "holder.given_names"
    } else {
        "holder.surname"
    }
}

/// The applicant-file field an MRZ error is about. The MRZ is built from checked fields, so
/// these are the last line of defence; none is reported under a table name.
fn mrz_field(e: &MrzError) -> &'static str {
    let field = match e.field_error() {
        Some(FieldError::DocumentNumber(_)) => return "document.number",
        Some(FieldError::BirthAfterExpiry) => return "holder.date_of_birth",
        Some(FieldError::Sex { .. }) => return "holder.sex",
        Some(FieldError::Name(_)) => return "holder.surname",
        Some(FieldError::DocumentCode { .. }) => return "document_profile",
        Some(
            FieldError::TooLong { field, .. }
            | FieldError::Character { field, .. }
            | FieldError::Empty { field }
            | FieldError::Date { field, .. }
            | FieldError::CheckDigit { field, .. }
            | FieldError::UnknownCountry { field, .. }
            | FieldError::NotInFormat { field, .. },
        ) => *field,
        _ => return "(file)",
    };
    match field {
        Field::DocumentNumber | Field::Composite => "document.number",
        Field::OptionalData1 | Field::OptionalData2 | Field::PersonalNumber => {
            "holder.personal_number"
        }
        Field::DateOfBirth => "holder.date_of_birth",
        Field::DateOfExpiry => "document.date_of_expiry",
        Field::Nationality => "holder.nationality",
        Field::Sex => "holder.sex",
        Field::Name => "holder.surname",
        Field::DocumentCode | Field::IssuingState => "document_profile",
        _ => "(file)",
    }
}

/// The Ukrainian register number (УНЗР) is `YYYYMMDD-NNNNN`, its date the date of birth; other
/// personal numbers are only checked for MRZ characters.
fn check_register_number(p: &str, dob: PartialDate) -> Result<(), String> {
    let bytes = p.as_bytes();
    let looks_like_unzr = bytes.len() == 14 && bytes.get(8) == Some(&b'-');
    if !looks_like_unzr {
        return Ok(());
    }
    if !p
        .chars()
        .enumerate()
        .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() })
    {
        return Err("a register number must be YYYYMMDD-NNNNN".into());
    }
    if dob.is_complete() && p.get(..8) != Some(dob.to_dg11().as_str()) {
        return Err("the date in the register number differs from the date of birth".into());
    }
    Ok(())
}

/// `date` plus `years`, minus one day (29 February becomes 28 February in a common year).
fn add_years_minus_a_day(date: Date, years: u8) -> Option<Date> {
    let y = date.year().checked_add(u16::from(years))?;
    let (m, d) = (date.month(), date.day());
    let d = if m == 2 && d == 29 && Date::new(y, 2, 29).is_err() {
        28
    } else {
        d
    };
    let end = Date::new(y, m, d).ok()?;
    previous_day(end)
}

fn previous_day(d: Date) -> Option<Date> {
    if d.day() > 1 {
        return Date::new(d.year(), d.month(), d.day() - 1).ok();
    }
    let (y, m) = if d.month() == 1 {
        (d.year().checked_sub(1)?, 12)
    } else {
        (d.year(), d.month() - 1)
    };
    (28..=31).rev().find_map(|day| Date::new(y, m, day).ok())
}
