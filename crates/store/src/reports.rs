//! Counts for reports and dashboards.

use domain::SchoolYear;

use crate::row::{self, RowExt, class_columns};
use crate::schools::i16_year;
use crate::{Class, Result, SchoolId, Store, dispatch};

/// Head counts of one school in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchoolCounts {
    /// Classes of the year.
    pub classes: u64,
    /// Distinct students enrolled in those classes.
    pub students: u64,
    /// Of those, students without a personal ID (records that cannot be signed yet).
    pub students_without_personal_id: u64,
    /// Staff accounts of the school (any year).
    pub teachers: u64,
}

/// A class with its number of enrolled students.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSize {
    /// The class.
    pub class: Class,
    /// Enrolled students.
    pub students: u64,
}

/// Rows per table, for the seeder's summary and sanity checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableCounts {
    /// Schools.
    pub schools: u64,
    /// Classes.
    pub classes: u64,
    /// Teachers and staff.
    pub teachers: u64,
    /// Students.
    pub students: u64,
    /// Enrolments.
    pub enrolments: u64,
    /// TT22 / TT43 subject-semester score rows.
    pub subject_scores: u64,
    /// Regular scores.
    pub regular_scores: u64,
    /// Comment-only subject results.
    pub comment_results: u64,
    /// TT27 subject evaluations.
    pub tt27_subject_evaluations: u64,
}

fn count(n: i64) -> Result<u64> {
    row::narrow(n, "count")
}

impl Store {
    /// Head counts of a school in a year (an unknown school counts zero everywhere).
    pub async fn school_counts(&self, school: SchoolId, year: SchoolYear) -> Result<SchoolCounts> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM classes c WHERE c.school_id = $1 AND c.start_year = $2) \
                   AS classes, \
                 (SELECT COUNT(DISTINCT e.student_code) FROM enrolments e \
                   JOIN classes c ON c.id = e.class_id \
                   WHERE c.school_id = $1 AND c.start_year = $2) AS students, \
                 (SELECT COUNT(DISTINCT e.student_code) FROM enrolments e \
                   JOIN classes c ON c.id = e.class_id \
                   JOIN students s ON s.code = e.student_code \
                   WHERE c.school_id = $1 AND c.start_year = $2 AND s.personal_id IS NULL) \
                   AS without_id, \
                 (SELECT COUNT(*) FROM teachers t WHERE t.school_id = $1) AS teachers",
            )
            .bind(school.0)
            .bind(i16_year(year))
            .fetch_one(pool)
            .await?;
            Ok(SchoolCounts {
                classes: count(r.int("classes")?)?,
                students: count(r.int("students")?)?,
                students_without_personal_id: count(r.int("without_id")?)?,
                teachers: count(r.int("teachers")?)?,
            })
        })
    }

    /// Every class of a school in a year with its size, ordered by grade then name.
    pub async fn class_sizes(&self, school: SchoolId, year: SchoolYear) -> Result<Vec<ClassSize>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(concat!(
                "SELECT ",
                class_columns!(),
                ", (SELECT COUNT(*) FROM enrolments e WHERE e.class_id = c.id) AS students \
                 FROM classes c WHERE c.school_id = $1 AND c.start_year = $2 \
                 ORDER BY c.grade, c.name"
            ))
            .bind(school.0)
            .bind(i16_year(year))
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ClassSize {
                        class: row::class(r)?,
                        students: count(r.int("students")?)?,
                    })
                })
                .collect()
        })
    }

    /// Rows per main table.
    pub async fn table_counts(&self) -> Result<TableCounts> {
        dispatch!(self, |pool, _begin| {
            let r = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM schools) AS schools, \
                 (SELECT COUNT(*) FROM classes) AS classes, \
                 (SELECT COUNT(*) FROM teachers) AS teachers, \
                 (SELECT COUNT(*) FROM students) AS students, \
                 (SELECT COUNT(*) FROM enrolments) AS enrolments, \
                 (SELECT COUNT(*) FROM subject_scores) AS subject_scores, \
                 (SELECT COUNT(*) FROM regular_scores) AS regular_scores, \
                 (SELECT COUNT(*) FROM comment_results) AS comment_results, \
                 (SELECT COUNT(*) FROM tt27_subject_evaluations) AS tt27",
            )
            .fetch_one(pool)
            .await?;
            Ok(TableCounts {
                schools: count(r.int("schools")?)?,
                classes: count(r.int("classes")?)?,
                teachers: count(r.int("teachers")?)?,
                students: count(r.int("students")?)?,
                enrolments: count(r.int("enrolments")?)?,
                subject_scores: count(r.int("subject_scores")?)?,
                regular_scores: count(r.int("regular_scores")?)?,
                comment_results: count(r.int("comment_results")?)?,
                tt27_subject_evaluations: count(r.int("tt27")?)?,
            })
        })
    }
}
