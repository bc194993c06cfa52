//! A calendar date without a clock: the domain never reads the current time.

use std::fmt;
use std::str::FromStr;

/// A valid Gregorian calendar date (year 1900–2199).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not `YYYY-MM-DD` (or `DD/MM/YYYY`).
    #[error("date must be YYYY-MM-DD or DD/MM/YYYY, got {0:?}")]
    Malformed(String),
    /// The year, month or day does not exist.
    #[error("no such date: {0}")]
    NoSuchDate(String),
}

impl Date {
    /// Builds a date, checking month length and leap years.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        let bad = || DateError::NoSuchDate(format!("{year:04}-{month:02}-{day:02}"));
        if !(1900..=2199).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return Err(bad());
        }
        if day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// Formats as `DD/MM/YYYY`, the way Vietnamese forms write dates.
    pub fn to_vietnamese(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year`-`month`-`day` of the proleptic Gregorian calendar,
/// negative before it (H. Hinnant's `days_from_civil`). The caller checks that the date
/// exists: `month` 1–12, `day` within the month.
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = year - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year, month (1–12) and day (1–31) of the proleptic Gregorian calendar `days` after
/// 1970-01-01 (H. Hinnant's `civil_from_days`, the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // mp is 0–11 and doy 0–365, so m is 1–12 and d is 1–31.
    (y, m as u8, d as u8)
}

/// The year, month, day, hour, minute and second (UTC) of the instant `secs` seconds after
/// 1970-01-01T00:00:00Z; instants before 0000-01-01T00:00:00Z or after
/// 9999-12-31T23:59:59Z are clamped to those bounds (the inverse of
/// [`parse_utc_instant`] within them).
pub fn utc_from_unix(secs: i64) -> (u16, u8, u8, u8, u8, u8) {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let secs = secs.clamp(MIN, MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    // After the clamp the year is 0–9999 and rem is 0–86 399, so every field fits.
    (
        u16::try_from(year).unwrap_or(0),
        month,
        day,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
    )
}

/// The year, month, day, hour, minute and second of `s` when it is exactly a UTC instant
/// `YYYY-MM-DDTHH:MM:SSZ` (ASCII digits) naming a calendar date of the proleptic
/// Gregorian calendar (years 0000–9999) and a time 00:00:00–23:59:59; `None` otherwise.
pub fn parse_utc_instant(s: &str) -> Option<(u16, u8, u8, u8, u8, u8)> {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let year = s[0..4].parse::<u16>().ok()?;
    let (month, day) = (two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
    let ok = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 59;
    ok.then_some((year, month, day, hour, minute, second))
}

impl fmt::Display for Date {
    /// ISO 8601: `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Accepts ISO `YYYY-MM-DD` and Vietnamese `DD/MM/YYYY`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let malformed = || DateError::Malformed(s.to_string());
        let parts: Vec<&str> = if t.contains('-') {
            t.split('-').collect()
        } else {
            let mut p: Vec<&str> = t.split('/').collect();
            p.reverse();
            p
        };
        let [y, m, d] = parts.as_slice() else {
            return Err(malformed());
        };
        let digits = |x: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
            return Err(malformed());
        }
        let (y, m, d) = (
            y.parse().map_err(|_| malformed())?,
            m.parse().map_err(|_| malformed())?,
            d.parse().map_err(|_| malformed())?,
        );
        Date::new(y, m, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_around_leap_days_and_eras() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_782), (2026, 11, 25));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        for z in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn utc_instants_are_parsed_exactly() {
        assert_eq!(
            parse_utc_instant("2000-02-29T23:59:59Z"),
            Some((2000, 2, 29, 23, 59, 59))
        );
        assert_eq!(
            parse_utc_instant("0000-01-01T00:00:00Z"),
            Some((0, 1, 1, 0, 0, 0))
        );
        for bad in [
            "2025-11-25 19:02:24Z",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "2025-11-00T00:00:00Z",
            "2025-11-25T24:00:00Z",
            "2025-11-25T23:60:00Z",
            "2025-11-25T23:00:60Z",
            "2025-11-25T19:02:24",
            "2025-11-25T19:02:24z",
            "２025-11-25T19:02:24Z",
        ] {
            assert_eq!(parse_utc_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_seconds_become_utc_fields_clamped_to_four_digit_years() {
        assert_eq!(utc_from_unix(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc_from_unix(1_764_097_344), (2025, 11, 25, 19, 2, 24));
        assert_eq!(utc_from_unix(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(utc_from_unix(i64::MIN), (0, 1, 1, 0, 0, 0));
        assert_eq!(utc_from_unix(i64::MAX), (9999, 12, 31, 23, 59, 59));
        let (y, mo, d, h, mi, s) = utc_from_unix(951_782_399);
        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
        assert_eq!(parse_utc_instant(&text), Some((2000, 2, 28, 23, 59, 59)));
    }

    #[test]
    fn parses_iso_and_vietnamese_forms() {
        assert_eq!(
            "2010-02-28".parse::<Date>().map(|d| d.to_string()),
            Ok("2010-02-28".into())
        );
        assert_eq!(
            "5/9/2010".parse::<Date>().map(|d| d.to_string()),
            Ok("2010-09-05".into())
        );
        assert!("2010-02-29".parse::<Date>().is_err());
        assert!("2012-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("1900-02-29".parse::<Date>().is_err());
        assert!("2010-13-01".parse::<Date>().is_err());
        assert!("2010-1-1x".parse::<Date>().is_err());
        assert!("".parse::<Date>().is_err());
    }
}
