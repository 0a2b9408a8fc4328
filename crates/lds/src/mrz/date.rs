//! Dates of the MRZ and of the applicant file (ICAO Doc 9303-3 §4.8, 9303-10 DG11 `5F2B`).
//!
//! - [`Date`]: a full Gregorian calendar date (date of expiry, date of issue).
//! - [`PartialDate`]: a date of birth of which the day, the month or everything may be unknown.
//!   9303-3 §4.8: unknown positions of the MRZ date of birth are written as fillers
//!   (`7408<<`), and the check digit counts them as 0; DG11 `5F2B` writes unknown parts as zeros
//!   (`19740800`, unknown year `0000`).
//! - [`MrzDate`]: what the six MRZ characters `YYMMDD` carry: a two-digit year, so the century
//!   is unknown until a reference year resolves it ([`expand_two_digit_year`]).
//!
//! Unknown parts nest: an unknown month implies an unknown day, and an unknown year an unknown
//! month. Dates are validated against the proleptic Gregorian calendar (leap years every 4 years,
//! except centuries not divisible by 400).
//!
//! A date of birth is personal data: the `Debug` output of [`PartialDate`] and [`MrzDate`] shows
//! which parts are known, not their values; `Display` and the `to_*` methods are explicit.

use std::{fmt, str::FromStr, time::SystemTime};

use zeroize::Zeroize;

/// What is wrong with a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Text that is not in an accepted form.
    #[error("expected {expected}")]
    Format {
        /// The accepted forms.
        expected: &'static str,
    },
    /// A year outside 1–9999.
    #[error("year {0} is out of range (1 to 9999)")]
    Year(u32),
    /// A month outside 1–12.
    #[error("month {0} does not exist")]
    Month(u8),
    /// A day that no month of that name has (or day 0, or a day above 31).
    #[error("{}", no_such_day(*day, *month))]
    NoSuchDay {
        /// The day.
        day: u8,
        /// The month, 1–12.
        month: u8,
    },
    /// 29 February in a year that is not a leap year.
    #[error("day 29 does not exist in February {0}")]
    NotLeapYear(u16),
    /// 29 February in an MRZ year `YY` that is not a leap year in either century.
    #[error("day 29 does not exist in February of a year ending in {0:02}")]
    NotLeapYearInCentury(u8),
    /// A day given with an unknown month, or a month given with an unknown year.
    #[error("the {known} is given but the {unknown} is unknown")]
    UnknownParent {
        /// The part that is given.
        known: &'static str,
        /// The larger part that is unknown.
        unknown: &'static str,
    },
    /// An MRZ date part that mixes digits and fillers, or holds other characters.
    #[error("the {0} must be two digits, or << when unknown")]
    MrzPart(&'static str),
    /// An unknown part where the field needs a complete date (the date of expiry).
    #[error("the date must be complete (year, month and day)")]
    Incomplete,
}

fn no_such_day(day: u8, month: u8) -> String {
    match MONTH_NAMES.get(usize::from(month).wrapping_sub(1)) {
        Some(name) if (1..=31).contains(&day) => format!("day {day} does not exist in {name}"),
        _ => format!("day {day} does not exist"),
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Gregorian leap year.
pub(crate) fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Days in `month` (1–12) in a leap or common year.
fn days_in_month(month: u8, leap: bool) -> u8 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn check_month(month: u8) -> Result<(), DateError> {
    if (1..=12).contains(&month) {
        Ok(())
    } else {
        Err(DateError::Month(month))
    }
}

/// Checks `day` in `month` of a year whose leap-ness is `leap` (`None`: the year is unknown,
/// so 29 February is allowed).
fn check_day(day: u8, month: u8, leap: Option<bool>) -> Result<(), DateError> {
    if day == 0 || day > days_in_month(month, true) {
        return Err(DateError::NoSuchDay { day, month });
    }
    if month == 2 && day == 29 && leap == Some(false) {
        // The caller turns this into the message naming the year.
        return Err(DateError::NotLeapYear(0));
    }
    Ok(())
}

fn check_year(year: u16) -> Result<(), DateError> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(DateError::Year(u32::from(year)))
    }
}

/// Which way [`expand_two_digit_year`] looks from the reference year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CenturyRule {
    /// The latest year not after the reference year: dates of birth (pass the current year).
    Past,
    /// The earliest year not before the reference year: dates of expiry. Pass the year before
    /// which no document you handle can have expired (e.g. the current year − 10 for documents
    /// valid at most 10 years, when reading expired documents too).
    Future,
}

/// The four-digit year that ends in `yy` (0–99), chosen relative to `reference_year` by `rule`;
/// `None` when `yy` is above 99 or the year would fall outside 1–9999.
///
/// ```
/// use permitkit_lds::mrz::{expand_two_digit_year, CenturyRule};
/// assert_eq!(expand_two_digit_year(74, 2025, CenturyRule::Past), Some(1974));
/// assert_eq!(expand_two_digit_year(25, 2025, CenturyRule::Past), Some(2025));
/// assert_eq!(expand_two_digit_year(12, 2025, CenturyRule::Future), Some(2112));
/// assert_eq!(expand_two_digit_year(31, 2025, CenturyRule::Future), Some(2031));
/// ```
pub fn expand_two_digit_year(yy: u8, reference_year: u16, rule: CenturyRule) -> Option<u16> {
    if yy > 99 {
        return None;
    }
    let yy = u16::from(yy);
    let r = reference_year % 100;
    let year = match rule {
        CenturyRule::Past => reference_year.checked_sub((r + 100 - yy) % 100)?,
        CenturyRule::Future => reference_year.checked_add((yy + 100 - r) % 100)?,
    };
    (1..=9999).contains(&year).then_some(year)
}

/// A full calendar date (date of expiry, date of issue).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Zeroize)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// 1970-01-01, the Unix epoch.
    pub const UNIX_EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };

    /// A date, checked against the Gregorian calendar; `year` is 1–9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        check_year(year)?;
        check_month(month)?;
        check_day(day, month, Some(is_leap_year(year))).map_err(|e| match e {
            DateError::NotLeapYear(_) => DateError::NotLeapYear(year),
            other => other,
        })?;
        Ok(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        const EXPECTED: &str = "a date written YYYY-MM-DD";
        let p = PartialDate::parse(text).map_err(|e| match e {
            DateError::Format { .. } => DateError::Format { expected: EXPECTED },
            other => other,
        })?;
        p.to_date().ok_or(DateError::Format { expected: EXPECTED })
    }

    /// The year, 1–9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The MRZ form `YYMMDD`.
    pub fn to_mrz(self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }

    /// The LDS form `YYYYMMDD` (DG11 `5F2B`, DG12 `5F26`).
    pub fn to_yyyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// The UTC calendar date of `t` (what "today" is for the checks against the clock);
    /// `None` before 0001-01-01 or after 9999-12-31.
    pub fn from_system_time(t: SystemTime) -> Option<Self> {
        let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok()?,
            Err(e) => i64::try_from(e.duration().as_secs()).ok()?.checked_neg()?,
        };
        Self::from_unix_days(secs.div_euclid(86_400))
    }

    /// The date `days` days after 1970-01-01 (civil-from-days, H. Hinnant's algorithm).
    pub fn from_unix_days(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
        .ok()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A date of birth of which the day, the month and the day, or everything may be unknown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Zeroize)]
pub struct PartialDate {
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

impl PartialDate {
    /// A fully unknown date (`<<<<<<` in the MRZ, `00000000` in DG11).
    pub const UNKNOWN: PartialDate = PartialDate {
        year: None,
        month: None,
        day: None,
    };

    /// A date with optional parts; a known day needs a known month, a known month a known year.
    pub fn new(year: Option<u16>, month: Option<u8>, day: Option<u8>) -> Result<Self, DateError> {
        if let Some(y) = year {
            check_year(y)?;
        }
        if let Some(m) = month {
            if year.is_none() {
                return Err(DateError::UnknownParent {
                    known: "month",
                    unknown: "year",
                });
            }
            check_month(m)?;
        }
        if let Some(d) = day {
            let Some(m) = month else {
                return Err(DateError::UnknownParent {
                    known: "day",
                    unknown: "month",
                });
            };
            check_day(d, m, year.map(is_leap_year)).map_err(|e| match (e, year) {
                (DateError::NotLeapYear(_), Some(y)) => DateError::NotLeapYear(y),
                (other, _) => other,
            })?;
        }
        Ok(Self { year, month, day })
    }

    /// Parses the applicant-file forms: `YYYY-MM-DD` (complete), `YYYY-MM` (unknown day) and
    /// `YYYY` (unknown day and month). Surrounding whitespace is ignored. A fully unknown date
    /// has no text form: use [`PartialDate::UNKNOWN`].
    pub fn parse(text: &str) -> Result<Self, DateError> {
        const EXPECTED: &str = "a date written YYYY-MM-DD, YYYY-MM or YYYY";
        let format = DateError::Format { expected: EXPECTED };
        let text = text.trim();
        if text.len() > 10 {
            return Err(format);
        }
        let mut parts = text.split('-');
        let year = parts
            .next()
            .and_then(|y| digits(y, 4))
            .ok_or(format.clone())?;
        let month = match parts.next() {
            None => None,
            Some(m) => Some(digits(m, 2).ok_or(format.clone())?),
        };
        let day = match parts.next() {
            None => None,
            Some(d) => Some(digits(d, 2).ok_or(format.clone())?),
        };
        if parts.next().is_some() {
            return Err(format);
        }
        let year = u16::try_from(year).map_err(|_| DateError::Year(year))?;
        let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
        Self::new(Some(year), month.map(narrow), day.map(narrow))
    }

    /// Parses the DG11 `5F2B` form `YYYYMMDD`, where `00` marks an unknown month or day and
    /// `0000` an unknown year (9303-10 Table 71 note).
    pub fn from_dg11(text: &str) -> Result<Self, DateError> {
        let format = DateError::Format {
            expected: "eight digits YYYYMMDD",
        };
        let all = digits(text, 8).ok_or(format)?;
        let (y, m, d) = (all / 10_000, all / 100 % 100, all % 100);
        let known = |v: u32| (v != 0).then_some(v);
        let year = known(y).map(|y| u16::try_from(y).unwrap_or(u16::MAX));
        let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
        Self::new(year, known(m).map(narrow), known(d).map(narrow))
    }

    /// The year, when known.
    pub fn year(self) -> Option<u16> {
        self.year
    }

    /// The month, when known.
    pub fn month(self) -> Option<u8> {
        self.month
    }

    /// The day, when known.
    pub fn day(self) -> Option<u8> {
        self.day
    }

    /// True when year, month and day are all known.
    pub fn is_complete(self) -> bool {
        self.day.is_some()
    }

    /// The full date, when complete.
    pub fn to_date(self) -> Option<Date> {
        Some(Date {
            year: self.year?,
            month: self.month?,
            day: self.day?,
        })
    }

    /// The MRZ form: `YYMMDD` with `<<` for each unknown part (`7408<<`, `74<<<<`, `<<<<<<`).
    pub fn to_mrz(self) -> String {
        MrzDate::from(self).to_mrz()
    }

    /// The DG11 `5F2B` form `YYYYMMDD` with `00` for an unknown month or day and `0000` for an
    /// unknown year (`19740800`).
    pub fn to_dg11(self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.year.unwrap_or(0),
            self.month.unwrap_or(0),
            self.day.unwrap_or(0)
        )
    }
}

impl From<Date> for PartialDate {
    fn from(d: Date) -> Self {
        Self {
            year: Some(d.year),
            month: Some(d.month),
            day: Some(d.day),
        }
    }
}

impl fmt::Display for PartialDate {
    /// `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or `unknown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => write!(f, "{y:04}-{m:02}-{d:02}"),
            (Some(y), Some(m), None) => write!(f, "{y:04}-{m:02}"),
            (Some(y), None, _) => write!(f, "{y:04}"),
            _ => f.write_str("unknown"),
        }
    }
}

impl fmt::Debug for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PartialDate(<{}>)",
            known_parts(
                self.year.is_some(),
                self.month.is_some(),
                self.day.is_some()
            )
        )
    }
}

impl FromStr for PartialDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn known_parts(year: bool, month: bool, day: bool) -> &'static str {
    match (year, month, day) {
        (true, true, true) => "complete",
        (true, true, false) => "year and month",
        (true, false, _) => "year only",
        _ => "unknown",
    }
}

/// `text` as a number when it is exactly `len` ASCII digits.
fn digits(text: &str, len: usize) -> Option<u32> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A date as the MRZ writes it: `YYMMDD`, two-digit year, with `<<` for unknown parts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Zeroize)]
pub struct MrzDate {
    yy: Option<u8>,
    month: Option<u8>,
    day: Option<u8>,
}

impl MrzDate {
    /// Reads the six MRZ characters. `Err` carries the 0-based offset of the offending part and
    /// what is wrong with it. Partial dates are refused unless `allow_unknown`.
    pub(crate) fn parse_mrz(text: &[u8], allow_unknown: bool) -> Result<Self, (usize, DateError)> {
        let part = |offset: usize, name: &'static str| -> Result<Option<u8>, (usize, DateError)> {
            match text.get(offset..offset + 2) {
                Some(b"<<") => Ok(None),
                Some([a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => {
                    Ok(Some((a - b'0') * 10 + (b - b'0')))
                }
                _ => Err((offset, DateError::MrzPart(name))),
            }
        };
        if text.len() != 6 {
            return Err((0, DateError::MrzPart("date")));
        }
        let yy = part(0, "year")?;
        let month = part(2, "month")?;
        let day = part(4, "day")?;
        if !allow_unknown && (yy.is_none() || month.is_none() || day.is_none()) {
            return Err((0, DateError::Incomplete));
        }
        if let Some(m) = month {
            if yy.is_none() {
                return Err((
                    2,
                    DateError::UnknownParent {
                        known: "month",
                        unknown: "year",
                    },
                ));
            }
            check_month(m).map_err(|e| (2, e))?;
        }
        if let Some(d) = day {
            let Some(m) = month else {
                return Err((
                    4,
                    DateError::UnknownParent {
                        known: "day",
                        unknown: "month",
                    },
                ));
            };
            // 29 February is valid for YY when YY is a leap year in 1900–2099 (only 1900 is not,
            // and 2000 is): YY divisible by 4.
            let leap = yy.map(|y| y % 4 == 0);
            check_day(d, m, leap).map_err(|e| match (e, yy) {
                (DateError::NotLeapYear(_), Some(y)) => (4, DateError::NotLeapYearInCentury(y)),
                (other, _) => (4, other),
            })?;
        }
        Ok(Self { yy, month, day })
    }

    /// The two-digit year, when known.
    pub fn two_digit_year(self) -> Option<u8> {
        self.yy
    }

    /// The month, when known.
    pub fn month(self) -> Option<u8> {
        self.month
    }

    /// The day, when known.
    pub fn day(self) -> Option<u8> {
        self.day
    }

    /// True when year, month and day are all known.
    pub fn is_complete(self) -> bool {
        self.yy.is_some() && self.month.is_some() && self.day.is_some()
    }

    /// The six MRZ characters.
    pub fn to_mrz(self) -> String {
        let two = |v: Option<u8>| v.map_or_else(|| "<<".to_owned(), |v| format!("{v:02}"));
        format!("{}{}{}", two(self.yy), two(self.month), two(self.day))
    }

    /// The date with its century chosen by `rule` relative to `reference_year` (see
    /// [`expand_two_digit_year`]). `None` when the year falls outside 1–9999 or the day is
    /// 29 February of a year that turns out not to be a leap year (`00` read as 1900).
    pub fn resolve(self, reference_year: u16, rule: CenturyRule) -> Option<PartialDate> {
        let year = match self.yy {
            Some(yy) => Some(expand_two_digit_year(yy, reference_year, rule)?),
            None => None,
        };
        PartialDate::new(year, self.month, self.day).ok()
    }
}

impl From<PartialDate> for MrzDate {
    fn from(p: PartialDate) -> Self {
        Self {
            yy: p.year.map(|y| u8::try_from(y % 100).unwrap_or(0)),
            month: p.month,
            day: p.day,
        }
    }
}

impl From<Date> for MrzDate {
    fn from(d: Date) -> Self {
        PartialDate::from(d).into()
    }
}

impl fmt::Display for MrzDate {
    /// The MRZ form, `YYMMDD` with `<<` for unknown parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_mrz())
    }
}

impl fmt::Debug for MrzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MrzDate(<{}>)",
            known_parts(self.yy.is_some(), self.month.is_some(), self.day.is_some())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_the_clock() {
        assert_eq!(Date::from_unix_days(0), Date::new(1970, 1, 1).ok());
        // 2000-03-01 is day 11017 (951_868_800 s); 2026-11-22 is day 20779 (its noon is 1_795_348_800 s).
        assert_eq!(Date::from_unix_days(11_017), Date::new(2000, 3, 1).ok());
        assert_eq!(Date::from_unix_days(20_779), Date::new(2026, 11, 22).ok());
        assert_eq!(Date::from_unix_days(-1), Date::new(1969, 12, 31).ok());
        assert_eq!(Date::from_unix_days(i64::MAX), None);
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(20_779 * 86_400 + 86_399);
        assert_eq!(Date::from_system_time(t), Date::new(2026, 11, 22).ok());
    }

    #[test]
    fn partial_dates_have_9303_mrz_and_dg11_forms() {
        // docs/spec/mrz-names.md §6: unknown day in August 1974.
        let aug = PartialDate::parse("1974-08").unwrap();
        assert_eq!(aug.to_mrz(), "7408<<");
        assert_eq!(aug.to_dg11(), "19740800");
        let y = PartialDate::parse("1974").unwrap();
        assert_eq!(y.to_mrz(), "74<<<<");
        assert_eq!(y.to_dg11(), "19740000");
        assert_eq!(PartialDate::UNKNOWN.to_mrz(), "<<<<<<");
        assert_eq!(PartialDate::UNKNOWN.to_dg11(), "00000000");
        let full = PartialDate::parse("1974-08-12").unwrap();
        assert_eq!(full.to_mrz(), "740812");
        assert_eq!(full.to_dg11(), "19740812");
        assert_eq!(full.to_date(), Some(Date::new(1974, 8, 12).unwrap()));
        assert_eq!(aug.to_date(), None);
    }

    #[test]
    fn dg11_form_parses_back() {
        for text in ["19740812", "19740800", "19740000", "00000000"] {
            assert_eq!(PartialDate::from_dg11(text).unwrap().to_dg11(), text);
        }
        assert!(PartialDate::from_dg11("1974081").is_err());
        assert_eq!(
            PartialDate::from_dg11("00000812"),
            Err(DateError::UnknownParent {
                known: "month",
                unknown: "year"
            })
        );
    }

    #[test]
    fn impossible_dates_are_refused_with_field_level_messages() {
        let msg = |t: &str| PartialDate::parse(t).unwrap_err().to_string();
        assert_eq!(msg("1990-02-31"), "day 31 does not exist in February");
        assert_eq!(msg("2023-02-29"), "day 29 does not exist in February 2023");
        assert_eq!(msg("1900-02-29"), "day 29 does not exist in February 1900");
        assert_eq!(msg("1990-04-31"), "day 31 does not exist in April");
        assert_eq!(msg("1990-13-01"), "month 13 does not exist");
        assert_eq!(msg("1990-00"), "month 0 does not exist");
        assert_eq!(msg("1990-01-00"), "day 0 does not exist");
        assert_eq!(msg("0000-01-01"), "year 0 is out of range (1 to 9999)");
        assert!(PartialDate::parse("2024-02-29").is_ok());
        assert!(PartialDate::parse("2000-02-29").is_ok());
    }

    #[test]
    fn malformed_text_is_refused() {
        for t in [
            "",
            "74",
            "1974-8-12",
            "1974/08/12",
            "19740812",
            "1974-08-12-01",
            "１９７４",
        ] {
            assert!(
                matches!(PartialDate::parse(t), Err(DateError::Format { .. })),
                "{t:?}"
            );
        }
        assert!(matches!(
            Date::parse("1974-08"),
            Err(DateError::Format { .. })
        ));
        assert_eq!(Date::parse(" 2031-04-15 ").unwrap().to_mrz(), "310415");
    }

    #[test]
    fn full_dates_have_mrz_and_lds_forms() {
        let d = Date::new(2012, 4, 15).unwrap();
        assert_eq!(d.to_mrz(), "120415");
        assert_eq!(d.to_yyyymmdd(), "20120415");
        assert_eq!(d.to_string(), "2012-04-15");
        assert_eq!(Date::new(2023, 2, 29), Err(DateError::NotLeapYear(2023)));
    }

    #[test]
    fn mrz_dates_parse_with_partial_birth_dates() {
        let d = MrzDate::parse_mrz(b"7408<<", true).unwrap();
        assert_eq!(
            (d.two_digit_year(), d.month(), d.day()),
            (Some(74), Some(8), None)
        );
        assert_eq!(d.to_mrz(), "7408<<");
        assert_eq!(
            MrzDate::parse_mrz(b"<<<<<<", true).unwrap().to_mrz(),
            "<<<<<<"
        );
        assert_eq!(
            MrzDate::parse_mrz(b"7408<<", false),
            Err((0, DateError::Incomplete))
        );
        assert_eq!(
            MrzDate::parse_mrz(b"74<<12", true),
            Err((
                4,
                DateError::UnknownParent {
                    known: "day",
                    unknown: "month"
                }
            ))
        );
        assert_eq!(
            MrzDate::parse_mrz(b"7<0812", true),
            Err((0, DateError::MrzPart("year")))
        );
        assert_eq!(
            MrzDate::parse_mrz(b"230229", true)
                .unwrap_err()
                .1
                .to_string(),
            "day 29 does not exist in February of a year ending in 23"
        );
        assert!(MrzDate::parse_mrz(b"000229", true).is_ok());
        assert_eq!(
            MrzDate::parse_mrz(b"740231", true)
                .unwrap_err()
                .1
                .to_string(),
            "day 31 does not exist in February"
        );
    }

    #[test]
    fn centuries_resolve_relative_to_a_reference_year() {
        use CenturyRule::{Future, Past};
        assert_eq!(expand_two_digit_year(74, 2025, Past), Some(1974));
        assert_eq!(expand_two_digit_year(25, 2025, Past), Some(2025));
        assert_eq!(expand_two_digit_year(26, 2025, Past), Some(1926));
        assert_eq!(expand_two_digit_year(24, 2025, Future), Some(2124));
        assert_eq!(expand_two_digit_year(25, 2025, Future), Some(2025));
        assert_eq!(expand_two_digit_year(12, 2005, Future), Some(2012));
        assert_eq!(expand_two_digit_year(100, 2025, Past), None);
        assert_eq!(expand_two_digit_year(99, 50, Past), None);
        let d = MrzDate::parse_mrz(b"740812", true).unwrap();
        assert_eq!(
            d.resolve(2025, Past).unwrap().to_date(),
            Some(Date::new(1974, 8, 12).unwrap())
        );
        let leap = MrzDate::parse_mrz(b"000229", true).unwrap();
        assert!(leap.resolve(2025, Past).is_some());
        assert!(
            leap.resolve(1999, Past).is_none(),
            "1900 is not a leap year"
        );
    }

    #[test]
    fn debug_does_not_show_birth_dates() {
        let p = PartialDate::parse("1974-08-12").unwrap();
        assert_eq!(format!("{p:?}"), "PartialDate(<complete>)");
        let m = MrzDate::from(p);
        assert!(!format!("{m:?}").contains("74"));
    }
}
