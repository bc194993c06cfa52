//! Reading columns the same way on both backends, and parsing stored values back into
//! domain types at the boundary.

use std::str::FromStr;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Row, TypeInfo};

use domain::{Date, Grade, SchoolYear, Score, Sex};

use crate::{Class, ClassId, Error, Result, SchoolId, Semester, Student, TeacherId};

/// Typed column access shared by [`SqliteRow`] and [`PgRow`]. Integers come back as `i64`
/// whatever their width (PostgreSQL `SMALLINT`/`INTEGER`/`BIGINT`, SQLite `INTEGER`).
pub(crate) trait RowExt {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn boolean(&self, col: &str) -> Result<bool>;
    fn opt_bool(&self, col: &str) -> Result<Option<bool>>;
}

impl RowExt for SqliteRow {
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn boolean(&self, col: &str) -> Result<bool> {
        Ok(self.try_get(col)?)
    }
    fn opt_bool(&self, col: &str) -> Result<Option<bool>> {
        Ok(self.try_get(col)?)
    }
}

impl RowExt for PgRow {
    fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?
            .ok_or_else(|| Error::invalid(format!("column {col} is NULL")))
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        let width = self.try_column(col)?.type_info().name().to_owned();
        Ok(match width.as_str() {
            "INT2" => self.try_get::<Option<i16>, _>(col)?.map(i64::from),
            "INT4" => self.try_get::<Option<i32>, _>(col)?.map(i64::from),
            _ => self.try_get::<Option<i64>, _>(col)?,
        })
    }
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn boolean(&self, col: &str) -> Result<bool> {
        Ok(self.try_get(col)?)
    }
    fn opt_bool(&self, col: &str) -> Result<Option<bool>> {
        Ok(self.try_get(col)?)
    }
}

/// Parses a stored text into a domain type, naming the column when it fails.
pub(crate) fn parse<T: FromStr>(text: &str, what: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| Error::invalid(format!("stored {what} {text:?}: {e}")))
}

/// Converts a stored integer into a narrower type, naming the column when it fails.
pub(crate) fn narrow<T: TryFrom<i64>>(n: i64, what: &str) -> Result<T> {
    T::try_from(n).map_err(|_| Error::invalid(format!("stored {what} {n} is out of range")))
}

/// A stored score in tenths.
pub(crate) fn score(tenths: i64, what: &str) -> Result<Score> {
    Score::from_tenths(narrow(tenths, what)?)
        .map_err(|e| Error::invalid(format!("stored {what}: {e}")))
}

pub(crate) fn opt_score(tenths: Option<i64>, what: &str) -> Result<Option<Score>> {
    tenths.map(|t| score(t, what)).transpose()
}

pub(crate) fn semester(n: i64) -> Result<Semester> {
    Semester::from_number(n).ok_or_else(|| Error::invalid(format!("stored semester {n}")))
}

pub(crate) fn date(text: &str, what: &str) -> Result<Date> {
    parse(text, what)
}

pub(crate) fn school_year(start: i64) -> Result<SchoolYear> {
    SchoolYear::starting(narrow(start, "school year")?)
        .map_err(|e| Error::invalid(format!("stored school year: {e}")))
}

/// Parses a stored code of one of the [`crate::model`] enums.
pub(crate) fn code<T>(text: &str, what: &str, from: fn(&str) -> Option<T>) -> Result<T> {
    from(text).ok_or_else(|| Error::invalid(format!("stored {what} {text:?}")))
}

pub(crate) fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "M",
        Sex::Female => "F",
    }
}

/// Columns: `code, personal_id, full_name, sex, born_on, ethnicity, nationality,
/// place_of_birth, residence`.
macro_rules! student_columns {
    () => {
        "s.code, s.personal_id, s.full_name, s.sex, s.born_on, s.ethnicity, s.nationality, \
         s.place_of_birth, s.residence"
    };
}
pub(crate) use student_columns;

pub(crate) fn student(r: &impl RowExt) -> Result<Student> {
    Ok(Student {
        code: parse(&r.text("code")?, "student code")?,
        personal_id: match r.opt_text("personal_id")? {
            Some(p) => Some(parse(&p, "personal ID")?),
            None => None,
        },
        full_name: r.text("full_name")?,
        sex: match r.text("sex")?.as_str() {
            "M" => Sex::Male,
            "F" => Sex::Female,
            other => return Err(Error::invalid(format!("stored sex {other:?}"))),
        },
        born_on: date(&r.text("born_on")?, "date of birth")?,
        ethnicity: r.text("ethnicity")?,
        nationality: r.text("nationality")?,
        place_of_birth: r.text("place_of_birth")?,
        residence: r.text("residence")?,
    })
}

/// Columns: `id, school_id, start_year, grade, name, homeroom_teacher_id` of `classes c`.
macro_rules! class_columns {
    () => {
        "c.id, c.school_id, c.start_year, c.grade, c.name, c.homeroom_teacher_id"
    };
}
pub(crate) use class_columns;

pub(crate) fn class(r: &impl RowExt) -> Result<Class> {
    Ok(Class {
        id: ClassId(r.int("id")?),
        school: SchoolId(r.int("school_id")?),
        year: school_year(r.int("start_year")?)?,
        grade: Grade::new(narrow(r.int("grade")?, "grade")?)
            .map_err(|e| Error::invalid(format!("stored grade: {e}")))?,
        name: r.text("name")?,
        homeroom_teacher: r.opt_int("homeroom_teacher_id")?.map(TeacherId),
    })
}
