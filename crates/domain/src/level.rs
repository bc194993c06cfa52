//! Cấp học, khối lớp and năm học.

use std::fmt;
use std::str::FromStr;

/// Cấp học / loại hình: which regulation assesses the student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Tiểu học, grades 1–5, assessed under TT27/2020.
    Primary,
    /// Trung học cơ sở, grades 6–9, assessed under TT22/2021.
    LowerSecondary,
    /// Trung học phổ thông, grades 10–12, assessed under TT22/2021.
    UpperSecondary,
    /// Giáo dục thường xuyên (THCS/THPT programme), grades 6–12, assessed under TT43/2021.
    Continuing,
}

impl Level {
    /// Every level, in school order.
    pub const ALL: [Level; 4] = [
        Level::Primary,
        Level::LowerSecondary,
        Level::UpperSecondary,
        Level::Continuing,
    ];

    /// Short code used in files and URLs: `TH`, `THCS`, `THPT`, `GDTX`.
    pub const fn code(self) -> &'static str {
        match self {
            Level::Primary => "TH",
            Level::LowerSecondary => "THCS",
            Level::UpperSecondary => "THPT",
            Level::Continuing => "GDTX",
        }
    }

    /// Vietnamese name.
    pub const fn name_vi(self) -> &'static str {
        match self {
            Level::Primary => "Tiểu học",
            Level::LowerSecondary => "Trung học cơ sở",
            Level::UpperSecondary => "Trung học phổ thông",
            Level::Continuing => "Giáo dục thường xuyên",
        }
    }

    /// The grades this level teaches.
    pub const fn grades(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Level::Primary => 1..=5,
            Level::LowerSecondary => 6..=9,
            Level::UpperSecondary => 10..=12,
            Level::Continuing => 6..=12,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that names no level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {0:?}: expected TH, THCS, THPT or GDTX")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| UnknownLevel(s.to_string()))
    }
}

/// Khối lớp: a grade from 1 to 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grade(u8);

/// A number that is not a grade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grade must be 1 to 12, got {0}")]
pub struct InvalidGrade(pub i64);

impl Grade {
    /// Builds a grade; fails outside 1–12.
    pub fn new(n: u8) -> Result<Self, InvalidGrade> {
        if (1..=12).contains(&n) {
            Ok(Grade(n))
        } else {
            Err(InvalidGrade(i64::from(n)))
        }
    }

    /// The number 1–12.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The general-education level of this grade (never [`Level::Continuing`]).
    pub const fn school_level(self) -> Level {
        match self.0 {
            1..=5 => Level::Primary,
            6..=9 => Level::LowerSecondary,
            _ => Level::UpperSecondary,
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Năm học, named by its first calendar year (`2025` is "2025-2026").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchoolYear(u16);

/// A text that is not a school year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("school year must look like 2025-2026, got {0:?}")]
pub struct InvalidSchoolYear(pub String);

impl SchoolYear {
    /// Builds the year starting in `start` (2000–2199).
    pub fn starting(start: u16) -> Result<Self, InvalidSchoolYear> {
        if (2000..=2199).contains(&start) {
            Ok(SchoolYear(start))
        } else {
            Err(InvalidSchoolYear(start.to_string()))
        }
    }

    /// The calendar year in which the school year starts.
    pub const fn start(self) -> u16 {
        self.0
    }

    /// The calendar year in which the school year ends.
    pub const fn end(self) -> u16 {
        self.0 + 1
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

impl FromStr for SchoolYear {
    type Err = InvalidSchoolYear;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidSchoolYear(s.to_string());
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let a: u16 = a.parse().map_err(|_| bad())?;
        let b: u16 = b.parse().map_err(|_| bad())?;
        if b != a + 1 {
            return Err(bad());
        }
        SchoolYear::starting(a).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_year_parses_consecutive_years_only() {
        assert_eq!(
            "2025-2026".parse::<SchoolYear>().map(|y| y.start()),
            Ok(2025)
        );
        assert!("2025-2027".parse::<SchoolYear>().is_err());
        assert!("2025".parse::<SchoolYear>().is_err());
    }

    #[test]
    fn grade_maps_to_school_level() {
        let level = |n| Grade::new(n).map(Grade::school_level);
        assert_eq!(level(1), Ok(Level::Primary));
        assert_eq!(level(5), Ok(Level::Primary));
        assert_eq!(level(6), Ok(Level::LowerSecondary));
        assert_eq!(level(9), Ok(Level::LowerSecondary));
        assert_eq!(level(10), Ok(Level::UpperSecondary));
        assert_eq!(level(12), Ok(Level::UpperSecondary));
        assert!(Grade::new(0).is_err());
        assert!(Grade::new(13).is_err());
    }

    #[test]
    fn level_codes_round_trip() {
        for l in Level::ALL {
            assert_eq!(l.code().parse::<Level>(), Ok(l));
        }
        assert!("THPT ".parse::<Level>().is_err());
    }
}
