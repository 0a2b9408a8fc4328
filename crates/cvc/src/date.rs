//! Certificate dates (BSI TR-03110-3 Appendix A.6.2 / D.2.1.3): `YYMMDD` as six unpacked BCD
//! digits, one per byte (`01 00 00 09 03 00` is 2010-09-30), years 2000–2099, GMT.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::FieldError;

/// A calendar date of a CV certificate or of a chip's current date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CvDate {
    year: u16,
    month: u8,
    day: u8,
}

impl CvDate {
    /// A date that exists, 2000-01-01 to 2099-12-31.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if !(2000..=2099).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        (day <= days_in_month(year, month)).then_some(Self { year, month, day })
    }

    /// Decodes six unpacked BCD digits.
    pub fn from_bcd(bytes: &[u8]) -> Result<Self, FieldError> {
        let [y1, y2, m1, m2, d1, d2] = bytes else {
            return Err(FieldError::Length {
                len: bytes.len(),
                allowed: "a date has 6 digits",
            });
        };
        let mut digits = [0u8; 6];
        for (d, &b) in digits.iter_mut().zip([*y1, *y2, *m1, *m2, *d1, *d2].iter()) {
            if b > 9 {
                return Err(FieldError::DateDigit(b));
            }
            *d = b;
        }
        let [a, b, c, d, e, f] = digits;
        let (yy, month, day) = (a * 10 + b, c * 10 + d, e * 10 + f);
        Self::new(2000 + u16::from(yy), month, day).ok_or(FieldError::NoSuchDate {
            year: yy,
            month,
            day,
        })
    }

    /// The six unpacked BCD digits.
    pub fn to_bcd(self) -> [u8; 6] {
        let yy = u8::try_from(self.year % 100).unwrap_or(0);
        [
            yy / 10,
            yy % 10,
            self.month / 10,
            self.month % 10,
            self.day / 10,
            self.day % 10,
        ]
    }

    /// Today (UTC) from the system clock; `None` outside 2000–2099.
    pub fn today() -> Option<Self> {
        Self::from_system_time(SystemTime::now())
    }

    /// The UTC calendar date of `time`.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Self::from_days_since_epoch(i64::try_from(secs / 86_400).ok()?)
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian calendar).
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        // Civil-from-days over 400-year eras (146 097 days each).
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
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
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// This date plus `days` (negative: earlier); `None` outside 2000–2099.
    pub fn add_days(self, days: i64) -> Option<Self> {
        Self::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// Year (2000–2099).
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month (1–12).
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month.
    pub fn day(self) -> u8 {
        self.day
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for CvDate {
    /// ISO 8601 (`2010-09-30`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for CvDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CvDate({self})")
    }
}

impl std::str::FromStr for CvDate {
    type Err = String;

    /// `YYYY-MM-DD` or `YYMMDD`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a date YYYY-MM-DD (2000-2099) or YYMMDD");
        let digits: Vec<u8> = s
            .bytes()
            .filter(|b| *b != b'-')
            .map(|b| b.wrapping_sub(b'0'))
            .collect();
        match digits.as_slice() {
            [2, 0, rest @ ..] if rest.len() == 6 && s.len() == 10 => {
                Self::from_bcd(rest).map_err(|_| bad())
            }
            d if d.len() == 6 && s.len() == 6 => Self::from_bcd(d).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacked_bcd_round_trips() {
        // docs/spec/security-protocols.md §6: 5F25 06 000900050108 is 2009-05-18.
        let d = CvDate::from_bcd(&[0, 9, 0, 5, 1, 8]).unwrap();
        assert_eq!(d.to_string(), "2009-05-18");
        assert_eq!(d.to_bcd(), [0, 9, 0, 5, 1, 8]);
        assert_eq!(
            "2024-02-29".parse::<CvDate>().unwrap().to_bcd(),
            [2, 4, 0, 2, 2, 9]
        );
        assert_eq!("240229".parse::<CvDate>().unwrap().day(), 29);
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(
            CvDate::from_bcd(&[2, 3, 0, 2, 2, 9]),
            Err(FieldError::NoSuchDate {
                year: 23,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            CvDate::from_bcd(&[0x32, 0, 0, 1, 0, 1]),
            Err(FieldError::DateDigit(0x32))
        );
        assert!(CvDate::from_bcd(&[1, 3, 0, 0, 1]).is_err());
        assert!("2101-01-01".parse::<CvDate>().is_err());
    }

    #[test]
    fn days_since_epoch_agree_with_the_calendar() {
        let d = CvDate::new(2000, 3, 1).unwrap();
        assert_eq!(d.days_since_epoch(), 11_017);
        assert_eq!(CvDate::from_days_since_epoch(11_017), Some(d));
        assert_eq!(d.add_days(-1), CvDate::new(2000, 2, 29));
        let end = CvDate::new(2099, 12, 31).unwrap();
        assert_eq!(end.add_days(1), None);
        for n in (10_957..47_482).step_by(97) {
            let d = CvDate::from_days_since_epoch(n).unwrap();
            assert_eq!(d.days_since_epoch(), n);
        }
    }
}
