//! Identifiers of people: số định danh cá nhân and mã định danh học sinh.

use std::fmt;
use std::str::FromStr;

use crate::Date;

/// Giới tính as recorded on the personal ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Sex {
    /// The Vietnamese label: `Nam` or `Nữ`.
    pub const fn label(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// Why a personal ID is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PersonalIdError {
    /// Not exactly 12 ASCII digits.
    #[error("personal ID must be exactly 12 digits, got {0:?}")]
    Malformed(String),
    /// Digit 4 encodes a century outside 1900–2199.
    #[error("digit 4 of the personal ID ({0}) does not encode a century from 1900 to 2199")]
    Century(char),
    /// Digit 4 encodes a different sex than the one declared.
    #[error("personal ID encodes sex {encoded}, but the student is recorded as {declared}")]
    SexMismatch {
        /// Sex encoded in digit 4.
        encoded: &'static str,
        /// Sex declared in the student record.
        declared: &'static str,
    },
    /// Digits 4–6 encode a different birth year than the date of birth.
    #[error("personal ID encodes birth year {encoded}, but the date of birth is in {declared}")]
    BirthYearMismatch {
        /// Year encoded by digits 4–6.
        encoded: u16,
        /// Year of the declared date of birth.
        declared: u16,
    },
}

/// Số định danh cá nhân: 12 digits. Digits 1–3 are the province of birth registration
/// (never checked against a list: codes survive province mergers), digit 4 the century
/// and sex (1900s: 0 male / 1 female; 2000s: 2 / 3; 2100s: 4 / 5), digits 5–6 the last
/// two digits of the birth year, digits 7–12 random (Nghị định 137/2015/NĐ-CP art. 7).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonalId(String);

impl PersonalId {
    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Province-of-birth-registration code (digits 1–3).
    pub fn province_code(&self) -> &str {
        &self.0[..3]
    }

    /// The sex encoded in digit 4.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[3] - b'0').is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The birth year encoded in digits 4–6.
    pub fn birth_year(&self) -> u16 {
        let b = self.0.as_bytes();
        let century = 1900 + 100 * u16::from((b[3] - b'0') / 2);
        century + u16::from(b[4] - b'0') * 10 + u16::from(b[5] - b'0')
    }

    /// Checks the ID against the declared sex and date of birth.
    pub fn check_consistency(&self, sex: Sex, born: Date) -> Result<(), PersonalIdError> {
        if self.sex() != sex {
            return Err(PersonalIdError::SexMismatch {
                encoded: self.sex().label(),
                declared: sex.label(),
            });
        }
        if self.birth_year() != born.year() {
            return Err(PersonalIdError::BirthYearMismatch {
                encoded: self.birth_year(),
                declared: born.year(),
            });
        }
        Ok(())
    }
}

impl FromStr for PersonalId {
    type Err = PersonalIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PersonalIdError::Malformed(s.to_string()));
        }
        let d4 = s.as_bytes()[3];
        if d4 > b'5' {
            return Err(PersonalIdError::Century(char::from(d4)));
        }
        Ok(PersonalId(s.to_string()))
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a student code is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StudentCodeError {
    /// Not exactly 20 characters from `0-9A-Z`.
    #[error("student code must be exactly 20 characters 0-9 or A-Z, got {0:?}")]
    Malformed(String),
}

/// Mã định danh học sinh: 20 characters assigned once by the sector database; it never
/// changes and follows the student across schools and levels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StudentCode(String);

impl StudentCode {
    /// The 20 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for StudentCode {
    type Err = StudentCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 20
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(StudentCodeError::Malformed(s.to_string()));
        }
        Ok(StudentCode(s.to_string()))
    }
}

impl fmt::Display for StudentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn personal_id_digit_4_encodes_century_and_sex() {
        let cases = [
            ("001090000001", Sex::Male, 1990),
            ("001190000001", Sex::Female, 1990),
            ("079212345678", Sex::Male, 2012),
            ("079312345678", Sex::Female, 2012),
            ("079400000001", Sex::Male, 2100),
            ("079500000001", Sex::Female, 2100),
        ];
        for (id, sex, year) in cases {
            let id: PersonalId = id.parse().unwrap();
            assert_eq!((id.sex(), id.birth_year()), (sex, year), "{id}");
        }
    }

    #[test]
    fn personal_id_rejects_bad_shapes() {
        for bad in [
            "",
            "07921234567",
            "0792123456789",
            "07921234567a",
            "079612345678",
            "079 12345678",
        ] {
            assert!(bad.parse::<PersonalId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn personal_id_accepts_province_codes_that_no_longer_exist() {
        // 999 is not a province; the number never changes after mergers.
        assert!("999212345678".parse::<PersonalId>().is_ok());
    }

    #[test]
    fn personal_id_must_match_sex_and_birth_year() {
        let id: PersonalId = "079312345678".parse().unwrap();
        assert_eq!(
            id.check_consistency(Sex::Female, date("2012-05-01")),
            Ok(())
        );
        assert!(matches!(
            id.check_consistency(Sex::Male, date("2012-05-01")),
            Err(PersonalIdError::SexMismatch { .. })
        ));
        assert_eq!(
            id.check_consistency(Sex::Female, date("2011-05-01")),
            Err(PersonalIdError::BirthYearMismatch {
                encoded: 2012,
                declared: 2011
            })
        );
    }

    #[test]
    fn student_code_is_20_characters() {
        assert!("79000012345678901234".parse::<StudentCode>().is_ok());
        assert!("HS000012345678901234".parse::<StudentCode>().is_ok());
        assert!("7900001234567890123".parse::<StudentCode>().is_err());
        assert!("790000123456789012345".parse::<StudentCode>().is_err());
        assert!("79000012345678901 34".parse::<StudentCode>().is_err());
        assert!("hs000012345678901234".parse::<StudentCode>().is_err());
    }
}
