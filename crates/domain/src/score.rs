//! Exact decimal numbers in tenths, as the circulars use them.
//!
//! Scores are entered as integers or with one decimal (TT22 art. 6 §2: "điểm số nguyên
//! hoặc số thập phân được lấy đến chữ số thập phân thứ nhất"). Every computed average is
//! rounded half up to one decimal. Binary floats are never used.

use std::fmt;
use std::str::FromStr;

/// A non-negative decimal number with exactly one fractional digit, stored as an integer
/// count of tenths (`8.5` is `Tenths(85)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tenths(u32);

impl Tenths {
    /// Builds a value from a count of tenths.
    pub const fn from_tenths(tenths: u32) -> Self {
        Tenths(tenths)
    }

    /// The number of tenths (`8.5` → `85`).
    pub const fn tenths(self) -> u32 {
        self.0
    }

    /// Rounds the exact quotient `numerator / denominator` (both in tenths-scaled units,
    /// i.e. the result is in tenths) half up to the nearest tenth.
    ///
    /// `denominator` must not be zero; a zero denominator returns `None`.
    pub fn div_round_half_up(numerator: u64, denominator: u64) -> Option<Self> {
        if denominator == 0 {
            return None;
        }
        let rounded = (2 * numerator + denominator) / (2 * denominator);
        u32::try_from(rounded).ok().map(Tenths)
    }
}

impl fmt::Display for Tenths {
    /// Always one decimal: `8.0`, `10.0`, `0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// Why a text or number is not a valid score.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// The text is not a decimal number with at most one fractional digit.
    #[error("not a score with at most one decimal: {0:?}")]
    Malformed(String),
    /// The value lies outside 0–10.
    #[error("score must be between 0 and 10, got {0}")]
    OutOfRange(String),
}

/// Điểm đánh giá: a score between 0 and 10 with at most one decimal (TT22 art. 6 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(Tenths);

impl Score {
    /// The largest score, 10.
    pub const MAX: Score = Score(Tenths(100));

    /// Builds a score from tenths (`85` → 8.5); fails above 10.
    pub fn from_tenths(tenths: u32) -> Result<Self, ScoreError> {
        if tenths > 100 {
            return Err(ScoreError::OutOfRange(Tenths(tenths).to_string()));
        }
        Ok(Score(Tenths(tenths)))
    }

    /// The value in tenths.
    pub const fn tenths(self) -> u32 {
        self.0.0
    }

    /// The value as [`Tenths`].
    pub const fn value(self) -> Tenths {
        self.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Score {
    type Err = ScoreError;

    /// Accepts `8`, `8.5`, `8,5` (Vietnamese decimal comma), `10`, `0.0`. Rejects signs,
    /// exponents, more than one decimal, empty text and values above 10.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        let malformed = || ScoreError::Malformed(text.to_string());
        let (int_part, frac_part) = match t.find(['.', ',']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        if int_part.is_empty()
            || int_part.len() > 3
            || !int_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed());
        }
        let int: u32 = int_part.parse().map_err(|_| malformed())?;
        let frac = match frac_part {
            None => 0,
            Some(f) if f.len() == 1 && f.as_bytes()[0].is_ascii_digit() => {
                u32::from(f.as_bytes()[0] - b'0')
            }
            Some(_) => return Err(malformed()),
        };
        let tenths = int * 10 + frac;
        if tenths > 100 {
            return Err(ScoreError::OutOfRange(t.to_string()));
        }
        Ok(Score(Tenths(tenths)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(text: &str, expected: Option<u32>) {
        let got = text.parse::<Score>().ok().map(Score::tenths);
        assert_eq!(got, expected, "parsing {text:?}");
    }

    #[test]
    fn tt22_art6_scores_have_at_most_one_decimal_between_0_and_10() {
        check_parse("0", Some(0));
        check_parse("10", Some(100));
        check_parse("10.0", Some(100));
        check_parse("8.5", Some(85));
        check_parse("8,5", Some(85));
        check_parse(" 7 ", Some(70));
        check_parse("11", None);
        check_parse("10.1", None);
        check_parse("8,5,", None);
        check_parse("8.55", None);
        check_parse("-1", None);
        check_parse("", None);
        check_parse(".5", None);
        check_parse("5.", None);
        check_parse("1e1", None);
        check_parse("0010", None);
    }

    #[test]
    fn rounding_is_half_up_to_one_decimal() {
        let r = |n, d| Tenths::div_round_half_up(n, d).map(|t| t.to_string());
        assert_eq!(r(720, 9).as_deref(), Some("8.0"));
        assert_eq!(r(750, 9).as_deref(), Some("8.3"));
        assert_eq!(r(165, 2).as_deref(), Some("8.3")); // 8.25 -> 8.3
        assert_eq!(r(164, 2).as_deref(), Some("8.2"));
        assert_eq!(r(1, 0), None);
    }
}
