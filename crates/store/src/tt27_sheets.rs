//! Class-wide reads and audited, all-or-nothing writes of the primary (TT27) sheets of
//! the school server: a subject at one checkpoint ("Nhập đánh giá"), and the homeroom
//! teacher's qualities, competences and "Học sinh Tiêu biểu" flags.
//!
//! Each save runs in **one transaction** with one audit entry per cell whose value
//! changes (see [`crate::AuditAction`]: `tt27.level.set`, `tt27.test.set`,
//! `comment.set`, `tt27.rating.set`, `tt27.outstanding.set`); a refused save changes
//! nothing and logs nothing. Students not given are left as they are.

use std::collections::BTreeMap;

use domain::StudentCode;

use crate::assessment::{days, locked_in_class, refuse_locked};
use crate::audit::{AuditAction, AuditChange, AuditStamp, append_audit};
use crate::row::{self, RowExt};
use crate::{
    Absences, ClassId, Error, QualityItem, QualityRating, Result, Store, SubjectCode, Tt27Level,
    Tt27Period, dispatch,
};

/// Longest TT27 comment or "tiêu biểu" note, in characters (the tables' CHECK).
pub const MAX_TT27_TEXT_CHARS: usize = 2000;

/// One student's line of a TT27 subject sheet (one class, subject and checkpoint). A
/// line with no level, no test and no comment (empty) is stored as no row at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tt27SheetRow {
    /// The student.
    pub student: StudentCode,
    /// Mức đạt được, if set.
    pub level: Option<Tt27Level>,
    /// Bài kiểm tra định kì, an integer 1–10, if taken.
    pub test_score: Option<u8>,
    /// Nhận xét; empty for none.
    pub comment: String,
}

/// One student's line of the homeroom teacher's TT27 sheet: every quality and
/// competence at one period (`None`: not rated), and the "Học sinh Tiêu biểu" note
/// (`None`: not recognised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tt27RatingsRow {
    /// The student.
    pub student: StudentCode,
    /// The ratings given; items not listed are left as they are.
    pub ratings: Vec<(QualityItem, Option<QualityRating>)>,
    /// `Some(note)` flags the student as tiêu biểu; `None` removes the flag. `Some("")`
    /// is a flag without a note.
    pub outstanding: Option<String>,
    /// Số ngày nghỉ of the year; `None` leaves what is stored as it is.
    pub absences: Option<Absences>,
}

/// Refuses ([`Error::NotFound`]) a class that does not exist, on an open transaction.
macro_rules! class_exists {
    ($tx:ident, $class:expr) => {
        if sqlx::query("SELECT id FROM classes WHERE id = $1")
            .bind($class.0)
            .fetch_optional(&mut *$tx)
            .await?
            .is_none()
        {
            return Err(Error::not_found(format!("class {}", $class)));
        }
    };
}

/// Refuses ([`Error::NotFound`]) a student not enrolled in the class.
macro_rules! enrolled {
    ($tx:ident, $student:expr, $class:expr) => {
        if sqlx::query("SELECT class_id FROM enrolments WHERE student_code = $1 AND class_id = $2")
            .bind($student.as_str())
            .bind($class.0)
            .fetch_optional(&mut *$tx)
            .await?
            .is_none()
        {
            return Err(Error::not_found(format!(
                "student {} in class {}",
                $student, $class
            )));
        }
    };
}

/// The ratings and notes of a class at a period, per student (on a connection or an
/// open transaction `$c`); evaluates to the map, `?` on errors.
macro_rules! read_ratings {
    ($c:ident, $class:expr, $period:expr) => {{
        let mut out: BTreeMap<StudentCode, Tt27RatingsRow> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT student_code, item, rating FROM tt27_qualities \
             WHERE class_id = $1 AND period = $2 ORDER BY student_code, item",
        )
        .bind($class.0)
        .bind($period.code())
        .fetch_all(&mut *$c)
        .await?
        {
            let student: StudentCode = row::parse(&r.text("student_code")?, "student code")?;
            let item = QualityItem::from_code(&r.text("item")?)
                .ok_or_else(|| Error::invalid("stored quality item"))?;
            let rating = QualityRating::from_code(&r.text("rating")?)
                .ok_or_else(|| Error::invalid("stored quality rating"))?;
            out.entry(student.clone())
                .or_insert_with(|| empty_ratings(student))
                .ratings
                .push((item, Some(rating)));
        }
        for r in sqlx::query("SELECT student_code, note FROM tt27_outstanding WHERE class_id = $1")
            .bind($class.0)
            .fetch_all(&mut *$c)
            .await?
        {
            let student: StudentCode = row::parse(&r.text("student_code")?, "student code")?;
            out.entry(student.clone())
                .or_insert_with(|| empty_ratings(student))
                .outstanding = Some(r.text("note")?);
        }
        for r in sqlx::query(
            "SELECT student_code, excused_days, unexcused_days FROM absences WHERE class_id = $1",
        )
        .bind($class.0)
        .fetch_all(&mut *$c)
        .await?
        {
            let student: StudentCode = row::parse(&r.text("student_code")?, "student code")?;
            let day = |col: &str| -> Result<u16> {
                u16::try_from(r.int(col)?).map_err(|_| Error::invalid("stored absences"))
            };
            let absences = Absences {
                excused_days: day("excused_days")?,
                unexcused_days: day("unexcused_days")?,
            };
            out.entry(student.clone())
                .or_insert_with(|| empty_ratings(student))
                .absences = Some(absences);
        }
        out
    }};
}

impl Store {
    /// The TT27 subject sheet of `subject` at `period` in a class, in roll order;
    /// students without a stored row are absent.
    pub async fn tt27_subject_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        period: Tt27Period,
    ) -> Result<Vec<Tt27SheetRow>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT x.student_code, x.level, x.test_score, x.comment \
                 FROM tt27_subject_evaluations x \
                 JOIN enrolments e ON e.student_code = x.student_code AND e.class_id = x.class_id \
                 WHERE x.class_id = $1 AND x.subject_code = $2 AND x.period = $3 \
                 ORDER BY e.roll_no, x.student_code",
            )
            .bind(class.0)
            .bind(subject.as_str())
            .bind(period.code())
            .fetch_all(pool)
            .await?;
            rows.iter().map(sheet_row).collect()
        })
    }

    /// Writes the given lines of a TT27 subject sheet and, in the same transaction, one
    /// audit entry per changed cell (`SUBJECT/PERIOD/muc`, `…/kt`, `…/nx`). All or
    /// nothing: [`Error::NotFound`] when the class does not exist or a student is not
    /// enrolled in it, [`Error::Invalid`] for a test outside 1–10 or a comment over
    /// 2000 characters, [`Error::Locked`] when a value of a student whose current record
    /// is locked would change (checked in the same transaction).
    pub async fn save_tt27_subject_sheet_audited(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        period: Tt27Period,
        rows: &[Tt27SheetRow],
        stamp: &AuditStamp,
    ) -> Result<()> {
        for r in rows {
            if r.test_score.is_some_and(|t| !(1..=10).contains(&t)) {
                return Err(Error::invalid(format!(
                    "test score of {} outside 1-10",
                    r.student
                )));
            }
            if r.comment.chars().count() > MAX_TT27_TEXT_CHARS {
                return Err(Error::invalid(format!("comment of {} too long", r.student)));
            }
        }
        let (subject, period) = (subject.as_str(), period.code());
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            class_exists!(tx, class);
            let locked = locked_in_class!(tx, class)?;
            let before: BTreeMap<String, Tt27SheetRow> = sqlx::query(
                "SELECT student_code, level, test_score, comment FROM tt27_subject_evaluations \
                 WHERE class_id = $1 AND subject_code = $2 AND period = $3",
            )
            .bind(class.0)
            .bind(subject)
            .bind(period)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| sheet_row(r).map(|row| (row.student.as_str().to_owned(), row)))
            .collect::<Result<_>>()?;
            let mut changes = Vec::new();
            for r in rows {
                let empty = r.level.is_none() && r.test_score.is_none() && r.comment.is_empty();
                if empty {
                    sqlx::query(
                        "DELETE FROM tt27_subject_evaluations WHERE student_code = $1 \
                         AND class_id = $2 AND subject_code = $3 AND period = $4",
                    )
                    .bind(r.student.as_str())
                    .bind(class.0)
                    .bind(subject)
                    .bind(period)
                    .execute(&mut *tx)
                    .await?;
                    // The student must still be in the class, as for any other line.
                    enrolled!(tx, &r.student, class);
                } else {
                    sqlx::query(
                        "INSERT INTO tt27_subject_evaluations \
                         (student_code, class_id, subject_code, period, level, test_score, comment) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (student_code, class_id, subject_code, period) DO UPDATE SET \
                         level = excluded.level, test_score = excluded.test_score, \
                         comment = excluded.comment",
                    )
                    .bind(r.student.as_str())
                    .bind(class.0)
                    .bind(subject)
                    .bind(period)
                    .bind(r.level.map(Tt27Level::code))
                    .bind(r.test_score.map(i16::from))
                    .bind(Some(r.comment.as_str()).filter(|c| !c.is_empty()))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| not_enrolled(e, &r.student, class))?;
                }
                let old = before.get(r.student.as_str());
                let mut push = |action, field: &str, old: Option<String>, new: Option<String>| {
                    if old != new {
                        changes.push(AuditChange {
                            student: Some(r.student.clone()),
                            class: Some(class),
                            action,
                            field: format!("{subject}/{period}/{field}"),
                            old,
                            new,
                        });
                    }
                };
                push(
                    AuditAction::Tt27LevelSet,
                    "muc",
                    old.and_then(|o| o.level).map(|l| l.code().to_owned()),
                    r.level.map(|l| l.code().to_owned()),
                );
                push(
                    AuditAction::Tt27TestSet,
                    "kt",
                    old.and_then(|o| o.test_score).map(|t| t.to_string()),
                    r.test_score.map(|t| t.to_string()),
                );
                push(
                    AuditAction::CommentSet,
                    "nx",
                    old.map(|o| o.comment.clone()).filter(|c| !c.is_empty()),
                    Some(r.comment.clone()).filter(|c| !c.is_empty()),
                );
            }
            refuse_locked(&changes, &locked)?;
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The ratings of qualities and competences at `period` in a class, the
    /// "Học sinh Tiêu biểu" notes and the absences, per student code.
    pub async fn tt27_rating_sheet(
        &self,
        class: ClassId,
        period: Tt27Period,
    ) -> Result<BTreeMap<StudentCode, Tt27RatingsRow>> {
        dispatch!(self, |pool, _begin| {
            let mut conn = pool.acquire().await?;
            Ok(read_ratings!(conn, class, period))
        })
    }

    /// Writes the given lines of the homeroom teacher's TT27 sheet at `period` (ratings,
    /// the tiêu biểu flag with its note, and absences when given) and, in the same
    /// transaction, one audit entry per changed cell (`PERIOD/ITEM` for ratings,
    /// `tieu_bieu` for the note, `np` / `kp` for absences). All
    /// or nothing: [`Error::NotFound`] when the class does not exist or a student is not
    /// enrolled in it, [`Error::Invalid`] for a note over 2000 characters,
    /// [`Error::Locked`] when a value of a student whose current record is locked would
    /// change (checked in the same transaction).
    pub async fn save_tt27_ratings_audited(
        &self,
        class: ClassId,
        period: Tt27Period,
        rows: &[Tt27RatingsRow],
        stamp: &AuditStamp,
    ) -> Result<()> {
        for r in rows {
            if r.outstanding
                .as_ref()
                .is_some_and(|n| n.chars().count() > MAX_TT27_TEXT_CHARS)
            {
                return Err(Error::invalid(format!("note of {} too long", r.student)));
            }
        }
        let p = period.code();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            class_exists!(tx, class);
            let locked = locked_in_class!(tx, class)?;
            // What the sheet holds before the change, read in the same transaction.
            let before = read_ratings!(tx, class, period);
            let mut changes = Vec::new();
            for r in rows {
                enrolled!(tx, &r.student, class);
                let old = before.get(&r.student);
                for (item, rating) in &r.ratings {
                    match rating {
                        Some(rating) => {
                            sqlx::query(
                                "INSERT INTO tt27_qualities \
                                 (student_code, class_id, item, period, rating) \
                                 VALUES ($1, $2, $3, $4, $5) \
                                 ON CONFLICT (student_code, class_id, item, period) \
                                 DO UPDATE SET rating = excluded.rating",
                            )
                            .bind(r.student.as_str())
                            .bind(class.0)
                            .bind(item.code())
                            .bind(p)
                            .bind(rating.code())
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => {
                            sqlx::query(
                                "DELETE FROM tt27_qualities WHERE student_code = $1 \
                                 AND class_id = $2 AND item = $3 AND period = $4",
                            )
                            .bind(r.student.as_str())
                            .bind(class.0)
                            .bind(item.code())
                            .bind(p)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    let was = old
                        .and_then(|o| o.ratings.iter().find(|(i, _)| i == item))
                        .and_then(|(_, v)| *v);
                    if was != *rating {
                        changes.push(AuditChange {
                            student: Some(r.student.clone()),
                            class: Some(class),
                            action: AuditAction::Tt27RatingSet,
                            field: format!("{p}/{}", item.code()),
                            old: was.map(|v| v.code().to_owned()),
                            new: rating.map(|v| v.code().to_owned()),
                        });
                    }
                }
                match &r.outstanding {
                    Some(note) => {
                        sqlx::query(
                            "INSERT INTO tt27_outstanding (student_code, class_id, note) \
                             VALUES ($1, $2, $3) \
                             ON CONFLICT (student_code, class_id) DO UPDATE SET note = excluded.note",
                        )
                        .bind(r.student.as_str())
                        .bind(class.0)
                        .bind(note)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query(
                            "DELETE FROM tt27_outstanding WHERE student_code = $1 AND class_id = $2",
                        )
                        .bind(r.student.as_str())
                        .bind(class.0)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                if let Some(new) = r.absences {
                    let was = old.and_then(|o| o.absences);
                    if was != Some(new) {
                        sqlx::query(
                            "INSERT INTO absences \
                             (student_code, class_id, excused_days, unexcused_days) \
                             VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (student_code, class_id) DO UPDATE SET \
                             excused_days = excluded.excused_days, \
                             unexcused_days = excluded.unexcused_days",
                        )
                        .bind(r.student.as_str())
                        .bind(class.0)
                        .bind(days(new.excused_days)?)
                        .bind(days(new.unexcused_days)?)
                        .execute(&mut *tx)
                        .await?;
                        for (field, before, after) in [
                            ("np", was.map(|a| a.excused_days), new.excused_days),
                            ("kp", was.map(|a| a.unexcused_days), new.unexcused_days),
                        ] {
                            if before != Some(after) {
                                changes.push(AuditChange {
                                    student: Some(r.student.clone()),
                                    class: Some(class),
                                    action: AuditAction::AbsencesSet,
                                    field: field.to_owned(),
                                    old: before.map(|d| d.to_string()),
                                    new: Some(after.to_string()),
                                });
                            }
                        }
                    }
                }
                let was = old.and_then(|o| o.outstanding.clone());
                if was != r.outstanding {
                    changes.push(AuditChange {
                        student: Some(r.student.clone()),
                        class: Some(class),
                        action: AuditAction::Tt27OutstandingSet,
                        field: "tieu_bieu".to_owned(),
                        old: was,
                        new: r.outstanding.clone(),
                    });
                }
            }
            refuse_locked(&changes, &locked)?;
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }
}

fn empty_ratings(student: StudentCode) -> Tt27RatingsRow {
    Tt27RatingsRow {
        student,
        ratings: Vec::new(),
        outstanding: None,
        absences: None,
    }
}

fn sheet_row<R: RowExt>(r: &R) -> Result<Tt27SheetRow> {
    let level = match r.opt_text("level")? {
        None => None,
        Some(code) => {
            Some(Tt27Level::from_code(&code).ok_or_else(|| Error::invalid("stored TT27 level"))?)
        }
    };
    let test_score = match r.opt_int("test_score")? {
        None => None,
        Some(n) => Some(u8::try_from(n).map_err(|_| Error::invalid("stored test score"))?),
    };
    Ok(Tt27SheetRow {
        student: row::parse(&r.text("student_code")?, "student code")?,
        level,
        test_score,
        comment: r.opt_text("comment")?.unwrap_or_default(),
    })
}

/// A foreign-key failure on an enrolment means the student is not in the class.
fn not_enrolled(e: sqlx::Error, student: &StudentCode, class: ClassId) -> Error {
    match Error::from(e) {
        Error::NotFound { .. } => Error::not_found(format!("student {student} in class {class}")),
        other => other,
    }
}
