//! Class-wide reads and writes for the school server's entry grids that the
//! per-enrolment API does not cover.

use domain::StudentCode;

use crate::assessment::{check_regular, tenths};
use crate::row::{self, RowExt};
use crate::{ClassId, Error, Result, ScoreSheetRow, Semester, Store, SubjectCode, Term, dispatch};

/// The marks of one subject sheet (one class, subject and semester).
#[derive(Debug, Clone, Copy)]
pub enum SheetMarks<'a> {
    /// A scored subject: the rows that make up the whole sheet.
    Scores(&'a [ScoreSheetRow]),
    /// A comment-only subject: every student's Đạt (`true`) / Chưa đạt result.
    Results(&'a [(StudentCode, bool)]),
}

/// The comment term of a semester.
pub fn semester_term(semester: Semester) -> Term {
    match semester {
        Semester::First => Term::First,
        Semester::Second => Term::Second,
    }
}

impl Store {
    /// The subject comments (nhận xét) of one subject and term in a class, in roll order;
    /// students without a comment are absent from the list.
    pub async fn subject_comment_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        term: Term,
    ) -> Result<Vec<(StudentCode, String)>> {
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT x.student_code, x.body FROM subject_comments x \
                 JOIN enrolments e ON e.student_code = x.student_code AND e.class_id = x.class_id \
                 WHERE x.class_id = $1 AND x.subject_code = $2 AND x.term = $3 \
                 ORDER BY e.roll_no, x.student_code",
            )
            .bind(class.0)
            .bind(subject.as_str())
            .bind(term.code())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        row::parse(&r.text("student_code")?, "student code")?,
                        r.text("body")?,
                    ))
                })
                .collect()
        })
    }
}

impl Store {
    /// Saves one subject sheet of a class in **one transaction**: the marks replace the
    /// whole sheet of that subject and semester (as [`Store::replace_score_sheet`] or
    /// [`Store::replace_comment_sheet`] do), and each `(student, text)` of `comments`
    /// is written (or overwritten) as the student's comment for the semester's term.
    /// All or nothing: [`Error::NotFound`] when the class does not exist or a student is
    /// not enrolled in it, [`Error::Invalid`] for too many regular scores or a comment
    /// over 2000 characters; nothing changes then.
    pub async fn save_subject_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        marks: SheetMarks<'_>,
        comments: &[(StudentCode, String)],
    ) -> Result<()> {
        if let SheetMarks::Scores(rows) = marks {
            for r in rows {
                check_regular(r.regular.len())?;
            }
        }
        let term = semester_term(semester).code();
        let (subject, semester) = (subject.as_str(), semester.number());
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let found = sqlx::query("SELECT id FROM classes WHERE id = $1")
                .bind(class.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Error::not_found(format!("class {class}")));
            }
            match marks {
                SheetMarks::Scores(rows) => {
                    sqlx::query(
                        "DELETE FROM subject_scores WHERE class_id = $1 AND subject_code = $2 \
                         AND semester = $3",
                    )
                    .bind(class.0)
                    .bind(subject)
                    .bind(semester)
                    .execute(&mut *tx)
                    .await?;
                    for r in rows {
                        sqlx::query(
                            "INSERT INTO subject_scores \
                             (student_code, class_id, subject_code, semester, midterm, final) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(r.student.as_str())
                        .bind(class.0)
                        .bind(subject)
                        .bind(semester)
                        .bind(r.midterm.map(tenths))
                        .bind(r.final_exam.map(tenths))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| not_enrolled(e, &r.student, class))?;
                        for (i, s) in r.regular.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO regular_scores (student_code, class_id, \
                                 subject_code, semester, ordinal, tenths) \
                                 VALUES ($1, $2, $3, $4, $5, $6)",
                            )
                            .bind(r.student.as_str())
                            .bind(class.0)
                            .bind(subject)
                            .bind(semester)
                            // i < MAX_REGULAR_SCORES (20), checked above.
                            .bind(i as i16 + 1)
                            .bind(tenths(*s))
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                SheetMarks::Results(rows) => {
                    sqlx::query(
                        "DELETE FROM comment_results WHERE class_id = $1 AND subject_code = $2 \
                         AND semester = $3",
                    )
                    .bind(class.0)
                    .bind(subject)
                    .bind(semester)
                    .execute(&mut *tx)
                    .await?;
                    for (student, passed) in rows {
                        sqlx::query(
                            "INSERT INTO comment_results \
                             (student_code, class_id, subject_code, semester, passed) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(student.as_str())
                        .bind(class.0)
                        .bind(subject)
                        .bind(semester)
                        .bind(*passed)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| not_enrolled(e, student, class))?;
                    }
                }
            }
            for (student, body) in comments {
                sqlx::query(
                    "INSERT INTO subject_comments \
                     (student_code, class_id, subject_code, term, body) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (student_code, class_id, subject_code, term) \
                     DO UPDATE SET body = excluded.body",
                )
                .bind(student.as_str())
                .bind(class.0)
                .bind(subject)
                .bind(term)
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(|e| not_enrolled(e, student, class))?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// A foreign-key failure on an enrolment means the student is not in the class.
fn not_enrolled(e: sqlx::Error, student: &StudentCode, class: ClassId) -> Error {
    match Error::from(e) {
        Error::NotFound { .. } => Error::not_found(format!("student {student} in class {class}")),
        other => other,
    }
}
