//! Class-wide reads and writes for the school server's entry grids that the
//! per-enrolment API does not cover.

use std::collections::BTreeMap;

use domain::StudentCode;

use crate::assessment::{check_regular, locked_in_class, refuse_locked, tenths};
use crate::audit::{AuditAction, AuditChange, AuditStamp, append_audit, score_text};
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
    /// over 2000 characters, [`Error::Locked`] when a value of a student whose current
    /// record is locked would change (a locked student's row may be given unchanged:
    /// the sheet is replaced whole); nothing changes then. The lock is checked in the
    /// same transaction as the write.
    ///
    /// Writes no audit entry: the school application uses
    /// [`Store::save_subject_sheet_audited`].
    pub async fn save_subject_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        marks: SheetMarks<'_>,
        comments: &[(StudentCode, String)],
    ) -> Result<()> {
        self.save_sheet(class, subject, semester, marks, comments, None)
            .await
    }

    /// [`Store::save_subject_sheet`], and in the same transaction one audit entry per
    /// cell whose value changes (ĐĐGtx *n*, ĐĐGgk, ĐĐGck, Đạt / Chưa đạt, nhận xét),
    /// stamped with `stamp`: nothing for cells saved unchanged. See [`crate::AuditAction`]
    /// for the fields and values.
    pub async fn save_subject_sheet_audited(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        marks: SheetMarks<'_>,
        comments: &[(StudentCode, String)],
        stamp: &AuditStamp,
    ) -> Result<()> {
        self.save_sheet(class, subject, semester, marks, comments, Some(stamp))
            .await
    }

    async fn save_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        marks: SheetMarks<'_>,
        comments: &[(StudentCode, String)],
        stamp: Option<&AuditStamp>,
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
            let locked = locked_in_class!(tx, class)?;
            // What the sheet holds before the change: the audit entries and the lock
            // check compare the new values with it.
            let before = {
                let mut cells = SheetCells::default();
                let heads = sqlx::query(
                    "SELECT student_code, midterm, final FROM subject_scores \
                         WHERE class_id = $1 AND subject_code = $2 AND semester = $3",
                )
                .bind(class.0)
                .bind(subject)
                .bind(semester)
                .fetch_all(&mut *tx)
                .await?;
                for h in &heads {
                    let row = cells.scores.entry(h.text("student_code")?).or_default();
                    row.midterm = h.opt_int("midterm")?;
                    row.final_exam = h.opt_int("final")?;
                }
                let regular = sqlx::query(
                    "SELECT student_code, tenths FROM regular_scores \
                         WHERE class_id = $1 AND subject_code = $2 AND semester = $3 \
                         ORDER BY student_code, ordinal",
                )
                .bind(class.0)
                .bind(subject)
                .bind(semester)
                .fetch_all(&mut *tx)
                .await?;
                for r in &regular {
                    cells
                        .scores
                        .entry(r.text("student_code")?)
                        .or_default()
                        .regular
                        .push(r.int("tenths")?);
                }
                let results = sqlx::query(
                    "SELECT student_code, passed FROM comment_results \
                         WHERE class_id = $1 AND subject_code = $2 AND semester = $3",
                )
                .bind(class.0)
                .bind(subject)
                .bind(semester)
                .fetch_all(&mut *tx)
                .await?;
                for r in &results {
                    cells
                        .results
                        .insert(r.text("student_code")?, r.boolean("passed")?);
                }
                let bodies = sqlx::query(
                    "SELECT student_code, body FROM subject_comments \
                         WHERE class_id = $1 AND subject_code = $2 AND term = $3",
                )
                .bind(class.0)
                .bind(subject)
                .bind(term)
                .fetch_all(&mut *tx)
                .await?;
                for r in &bodies {
                    cells
                        .comments
                        .insert(r.text("student_code")?, r.text("body")?);
                }
                cells
            };
            let changes = sheet_changes(class, subject, semester, term, &before, marks, comments);
            refuse_locked(&changes, &locked)?;
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
            if let Some(stamp) = stamp {
                append_audit!(tx, stamp, &changes)?;
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

/// A sheet's stored cells, keyed by student code (scores in tenths).
#[derive(Default)]
struct SheetCells {
    scores: BTreeMap<String, StoredScores>,
    results: BTreeMap<String, bool>,
    comments: BTreeMap<String, String>,
}

#[derive(Default)]
struct StoredScores {
    regular: Vec<i64>,
    midterm: Option<i64>,
    final_exam: Option<i64>,
}

/// One audit change per cell that differs between `before` and what the save writes:
/// the marks replace the whole sheet, comments are written only for the students given
/// (an empty comment counts as none).
fn sheet_changes(
    class: ClassId,
    subject: &str,
    semester: i16,
    term: &str,
    before: &SheetCells,
    marks: SheetMarks<'_>,
    comments: &[(StudentCode, String)],
) -> Vec<AuditChange> {
    let mut changes = Vec::new();
    let mut push = |student: &str,
                    action: AuditAction,
                    field: String,
                    old: Option<String>,
                    new: Option<String>| {
        if old != new {
            changes.push(AuditChange {
                // The code was read from the database or given typed; it parses.
                student: student.parse().ok(),
                class: Some(class),
                action,
                field,
                old,
                new,
            });
        }
    };
    let prefix = format!("{subject}/HK{semester}");
    match marks {
        SheetMarks::Scores(rows) => {
            let empty = StoredScores::default();
            let mut after: BTreeMap<&str, StoredScores> = BTreeMap::new();
            for r in rows {
                after.insert(
                    r.student.as_str(),
                    StoredScores {
                        regular: r.regular.iter().map(|s| i64::from(tenths(*s))).collect(),
                        midterm: r.midterm.map(|s| i64::from(tenths(s))),
                        final_exam: r.final_exam.map(|s| i64::from(tenths(s))),
                    },
                );
            }
            let mut students: Vec<&str> = after.keys().copied().collect();
            students.extend(before.scores.keys().map(String::as_str));
            students.sort_unstable();
            students.dedup();
            for student in students {
                let old = before.scores.get(student).unwrap_or(&empty);
                let new = after.get(student).unwrap_or(&empty);
                let n = old.regular.len().max(new.regular.len());
                for i in 0..n {
                    push(
                        student,
                        AuditAction::ScoreSet,
                        format!("{prefix}/tx{}", i + 1),
                        old.regular.get(i).map(|t| score_text(*t)),
                        new.regular.get(i).map(|t| score_text(*t)),
                    );
                }
                push(
                    student,
                    AuditAction::ScoreSet,
                    format!("{prefix}/gk"),
                    old.midterm.map(score_text),
                    new.midterm.map(score_text),
                );
                push(
                    student,
                    AuditAction::ScoreSet,
                    format!("{prefix}/ck"),
                    old.final_exam.map(score_text),
                    new.final_exam.map(score_text),
                );
            }
        }
        SheetMarks::Results(rows) => {
            let after: BTreeMap<&str, bool> = rows.iter().map(|(s, p)| (s.as_str(), *p)).collect();
            let mut students: Vec<&str> = after.keys().copied().collect();
            students.extend(before.results.keys().map(String::as_str));
            students.sort_unstable();
            students.dedup();
            let code = |p: bool| if p { "dat" } else { "chua_dat" }.to_owned();
            for student in students {
                push(
                    student,
                    AuditAction::ResultSet,
                    format!("{prefix}/kq"),
                    before.results.get(student).copied().map(code),
                    after.get(student).copied().map(code),
                );
            }
        }
    }
    for (student, body) in comments {
        let old = before
            .comments
            .get(student.as_str())
            .filter(|b| !b.is_empty());
        let new = Some(body).filter(|b| !b.is_empty());
        push(
            student.as_str(),
            AuditAction::CommentSet,
            format!("{subject}/{term}/nx"),
            old.cloned(),
            new.cloned(),
        );
    }
    changes
}
