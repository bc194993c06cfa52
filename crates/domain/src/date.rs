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
