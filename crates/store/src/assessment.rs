//! Assessment inputs: TT22 / TT43 scores and comments, conduct, absences, summer results,
//! TT27 evaluations; per-enrolment writes, all-or-nothing class sheets, and the one-call
//! read of everything a student's year needs.
//!
//! The per-enrolment `set_*` writers are for seeding and tools: they neither write the
//! audit log nor check locks. The school application saves through the `*_audited`
//! functions, which append their audit entries and refuse to change a student whose
//! current record is locked ([`Error::Locked`]), both in the save's own transaction.

use std::collections::{BTreeMap, BTreeSet};

use domain::{Score, StudentCode};

use crate::audit::{AuditAction, AuditChange, AuditStamp, append_audit, score_text};
use crate::row::{self, RowExt, class_columns, student_columns};
use crate::sheets::SheetMarks;
use crate::{
    Absences, ClassId, CommentResult, ConductEntry, ConductRating, EnrolmentKey, Error,
    QualityItem, QualityRating, RecordState, Result, RetakeResult, RetrainedConduct, ScoreSheetRow,
    Semester, Store, SubjectCode, SubjectComment, SubjectScores, SummerRetake, Term, Tt27Level,
    Tt27Period, Tt27Quality, Tt27SubjectEvaluation, YearInputs, dispatch,
};

/// The most regular scores one subject may have in one semester.
pub const MAX_REGULAR_SCORES: usize = 20;

pub(crate) fn tenths(s: Score) -> i16 {
    // A Score is at most 100 tenths, which fits in i16.
    s.tenths() as i16
}

pub(crate) fn check_regular(n: usize) -> Result<()> {
    if n > MAX_REGULAR_SCORES {
        return Err(Error::invalid(format!(
            "{n} regular scores, at most {MAX_REGULAR_SCORES} allowed"
        )));
    }
    Ok(())
}

impl Store {
    /// Writes (or overwrites) the scores of one scored subject in one semester for one
    /// enrolment, regular scores included, in one transaction. [`Error::NotFound`] when
    /// the student is not enrolled in the class.
    pub async fn set_subject_scores(
        &self,
        key: &EnrolmentKey,
        scores: &SubjectScores,
    ) -> Result<()> {
        check_regular(scores.regular.len())?;
        let (student, class) = (key.student.as_str(), key.class.0);
        let (subject, semester) = (scores.subject.as_str(), scores.semester.number());
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(
                "DELETE FROM subject_scores WHERE student_code = $1 AND class_id = $2 \
                 AND subject_code = $3 AND semester = $4",
            )
            .bind(student)
            .bind(class)
            .bind(subject)
            .bind(semester)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO subject_scores \
                 (student_code, class_id, subject_code, semester, midterm, final) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(student)
            .bind(class)
            .bind(subject)
            .bind(semester)
            .bind(scores.midterm.map(tenths))
            .bind(scores.final_exam.map(tenths))
            .execute(&mut *tx)
            .await?;
            for (i, s) in scores.regular.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO regular_scores \
                     (student_code, class_id, subject_code, semester, ordinal, tenths) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(student)
                .bind(class)
                .bind(subject)
                .bind(semester)
                // i < MAX_REGULAR_SCORES (20), checked above.
                .bind(i as i16 + 1)
                .bind(tenths(*s))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces the whole score sheet of one subject and semester in a class: every
    /// existing row of that sheet is deleted and `rows` are written, all or nothing. If
    /// any row fails (a student not enrolled in the class: [`Error::NotFound`]; too many
    /// regular scores: [`Error::Invalid`]; a change to a student whose record is locked:
    /// [`Error::Locked`]) nothing changes.
    pub async fn replace_score_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        rows: &[ScoreSheetRow],
    ) -> Result<()> {
        self.save_subject_sheet(class, subject, semester, SheetMarks::Scores(rows), &[])
            .await
    }

    /// The score sheet of one subject and semester in a class, in roll order; students
    /// without scores for it are absent from the list.
    pub async fn score_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
    ) -> Result<Vec<ScoreSheetRow>> {
        let (subject, semester) = (subject.as_str(), semester.number());
        dispatch!(self, |pool, _begin| {
            let heads = sqlx::query(
                "SELECT x.student_code, x.midterm, x.final FROM subject_scores x \
                 JOIN enrolments e ON e.student_code = x.student_code AND e.class_id = x.class_id \
                 WHERE x.class_id = $1 AND x.subject_code = $2 AND x.semester = $3 \
                 ORDER BY e.roll_no",
            )
            .bind(class.0)
            .bind(subject)
            .bind(semester)
            .fetch_all(pool)
            .await?;
            let regular = sqlx::query(
                "SELECT student_code, tenths FROM regular_scores \
                 WHERE class_id = $1 AND subject_code = $2 AND semester = $3 \
                 ORDER BY student_code, ordinal",
            )
            .bind(class.0)
            .bind(subject)
            .bind(semester)
            .fetch_all(pool)
            .await?;
            let mut by_student: BTreeMap<String, Vec<Score>> = BTreeMap::new();
            for r in &regular {
                by_student
                    .entry(r.text("student_code")?)
                    .or_default()
                    .push(row::score(r.int("tenths")?, "regular score")?);
            }
            heads
                .iter()
                .map(|h| {
                    let code = h.text("student_code")?;
                    Ok(ScoreSheetRow {
                        regular: by_student.remove(&code).unwrap_or_default(),
                        student: row::parse(&code, "student code")?,
                        midterm: row::opt_score(h.opt_int("midterm")?, "mid-term score")?,
                        final_exam: row::opt_score(h.opt_int("final")?, "final score")?,
                    })
                })
                .collect()
        })
    }

    /// Writes the Đạt / Chưa đạt result of a comment-only subject for one enrolment.
    pub async fn set_comment_result(
        &self,
        key: &EnrolmentKey,
        result: &CommentResult,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO comment_results \
                 (student_code, class_id, subject_code, semester, passed) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (student_code, class_id, subject_code, semester) \
                 DO UPDATE SET passed = excluded.passed",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(result.subject.as_str())
            .bind(result.semester.number())
            .bind(result.passed)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Replaces the comment-only results of one subject and semester for a whole class,
    /// all or nothing (`true` is Đạt). [`Error::NotFound`] if a student is not enrolled,
    /// [`Error::Locked`] if a result of a student whose record is locked would change.
    pub async fn replace_comment_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
        rows: &[(StudentCode, bool)],
    ) -> Result<()> {
        self.save_subject_sheet(class, subject, semester, SheetMarks::Results(rows), &[])
            .await
    }

    /// The comment-only results of one subject and semester in a class, in roll order
    /// (`true` is Đạt); students without a result are absent from the list.
    pub async fn comment_sheet(
        &self,
        class: ClassId,
        subject: &SubjectCode,
        semester: Semester,
    ) -> Result<Vec<(StudentCode, bool)>> {
        let (subject, semester) = (subject.as_str(), semester.number());
        dispatch!(self, |pool, _begin| {
            let rows = sqlx::query(
                "SELECT x.student_code, x.passed FROM comment_results x \
                 JOIN enrolments e ON e.student_code = x.student_code AND e.class_id = x.class_id \
                 WHERE x.class_id = $1 AND x.subject_code = $2 AND x.semester = $3 \
                 ORDER BY e.roll_no",
            )
            .bind(class.0)
            .bind(subject)
            .bind(semester)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        row::parse(&r.text("student_code")?, "student code")?,
                        r.boolean("passed")?,
                    ))
                })
                .collect()
        })
    }

    /// Writes (or overwrites) a subject comment for one enrolment.
    pub async fn set_subject_comment(
        &self,
        key: &EnrolmentKey,
        comment: &SubjectComment,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO subject_comments (student_code, class_id, subject_code, term, body) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (student_code, class_id, subject_code, term) \
                 DO UPDATE SET body = excluded.body",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(comment.subject.as_str())
            .bind(comment.term.code())
            .bind(&comment.body)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) the conduct of one semester for one enrolment.
    pub async fn set_conduct(&self, key: &EnrolmentKey, entry: ConductEntry) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO conduct (student_code, class_id, semester, rating) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (student_code, class_id, semester) \
                 DO UPDATE SET rating = excluded.rating",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(entry.semester.number())
            .bind(entry.rating.code())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) the year's absences for one enrolment.
    pub async fn set_absences(&self, key: &EnrolmentKey, absences: Absences) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO absences (student_code, class_id, excused_days, unexcused_days) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (student_code, class_id) DO UPDATE SET \
                 excused_days = excluded.excused_days, unexcused_days = excluded.unexcused_days",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(days(absences.excused_days)?)
            .bind(days(absences.unexcused_days)?)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) the summer re-assessment of one subject.
    pub async fn set_summer_retake(&self, key: &EnrolmentKey, retake: &SummerRetake) -> Result<()> {
        let (score, passed) = retake_columns(retake.result);
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO summer_retakes \
                 (student_code, class_id, subject_code, tenths, passed, assessed_on) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (student_code, class_id, subject_code) DO UPDATE SET \
                 tenths = excluded.tenths, passed = excluded.passed, \
                 assessed_on = excluded.assessed_on",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(retake.subject.as_str())
            .bind(score)
            .bind(passed)
            .bind(retake.assessed_on.to_string())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) the conduct re-assessed after summer training.
    pub async fn set_retrained_conduct(
        &self,
        key: &EnrolmentKey,
        conduct: RetrainedConduct,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO summer_conduct (student_code, class_id, rating, assessed_on) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (student_code, class_id) DO UPDATE SET \
                 rating = excluded.rating, assessed_on = excluded.assessed_on",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(conduct.rating.code())
            .bind(conduct.assessed_on.to_string())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) a TT27 subject evaluation for one period.
    pub async fn set_tt27_subject(
        &self,
        key: &EnrolmentKey,
        eval: &Tt27SubjectEvaluation,
    ) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO tt27_subject_evaluations \
                 (student_code, class_id, subject_code, period, level, test_score, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (student_code, class_id, subject_code, period) DO UPDATE SET \
                 level = excluded.level, test_score = excluded.test_score, \
                 comment = excluded.comment",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(eval.subject.as_str())
            .bind(eval.period.code())
            .bind(eval.level.map(Tt27Level::code))
            .bind(eval.test_score.map(i16::from))
            .bind(eval.comment.as_deref())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Writes (or overwrites) a TT27 quality / competence rating for one period.
    pub async fn set_tt27_quality(&self, key: &EnrolmentKey, quality: Tt27Quality) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            sqlx::query(
                "INSERT INTO tt27_qualities (student_code, class_id, item, period, rating) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (student_code, class_id, item, period) \
                 DO UPDATE SET rating = excluded.rating",
            )
            .bind(key.student.as_str())
            .bind(key.class.0)
            .bind(quality.item.code())
            .bind(quality.period.code())
            .bind(quality.rating.code())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Flags the student as "Học sinh tiêu biểu" with a note (`Some`), or removes the
    /// flag (`None`).
    pub async fn set_outstanding(&self, key: &EnrolmentKey, note: Option<&str>) -> Result<()> {
        dispatch!(self, |pool, _begin| {
            match note {
                Some(note) => {
                    sqlx::query(
                        "INSERT INTO tt27_outstanding (student_code, class_id, note) \
                         VALUES ($1, $2, $3) \
                         ON CONFLICT (student_code, class_id) DO UPDATE SET note = excluded.note",
                    )
                    .bind(key.student.as_str())
                    .bind(key.class.0)
                    .bind(note)
                    .execute(pool)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM tt27_outstanding WHERE student_code = $1 AND class_id = $2",
                    )
                    .bind(key.student.as_str())
                    .bind(key.class.0)
                    .execute(pool)
                    .await?;
                }
            }
            Ok(())
        })
    }

    /// Every assessment input of one enrolment, read in one transaction so the parts
    /// are consistent with each other. [`Error::NotFound`] when the student is not
    /// enrolled in the class.
    pub async fn year_inputs(&self, key: &EnrolmentKey) -> Result<YearInputs> {
        let (student, class) = (key.student.as_str(), key.class.0);
        dispatch!(self, |pool, _begin| {
            let mut tx = pool.begin().await?;
            let head = sqlx::query(concat!(
                "SELECT e.roll_no, ",
                student_columns!(),
                ", ",
                class_columns!(),
                " FROM enrolments e JOIN students s ON s.code = e.student_code \
                 JOIN classes c ON c.id = e.class_id \
                 WHERE e.student_code = $1 AND e.class_id = $2"
            ))
            .bind(student)
            .bind(class)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!("student {} in class {}", key.student, key.class))
            })?;
            let class_row = row::class(&head)?;
            let mut school_levels = Vec::new();
            for r in sqlx::query("SELECT level FROM school_levels WHERE school_id = $1")
                .bind(class_row.school.0)
                .fetch_all(&mut *tx)
                .await?
            {
                school_levels.push(row::parse(&r.text("level")?, "level")?);
            }
            school_levels.sort();

            let regular = sqlx::query(
                "SELECT subject_code, semester, tenths FROM regular_scores \
                 WHERE student_code = $1 AND class_id = $2 \
                 ORDER BY subject_code, semester, ordinal",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?;
            let mut regular_by: BTreeMap<(String, i64), Vec<Score>> = BTreeMap::new();
            for r in &regular {
                regular_by
                    .entry((r.text("subject_code")?, r.int("semester")?))
                    .or_default()
                    .push(row::score(r.int("tenths")?, "regular score")?);
            }
            let mut scores = Vec::new();
            for r in sqlx::query(
                "SELECT subject_code, semester, midterm, final FROM subject_scores \
                 WHERE student_code = $1 AND class_id = $2 ORDER BY subject_code, semester",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                let (subject, semester) = (r.text("subject_code")?, r.int("semester")?);
                scores.push(SubjectScores {
                    regular: regular_by
                        .remove(&(subject.clone(), semester))
                        .unwrap_or_default(),
                    subject: row::parse(&subject, "subject")?,
                    semester: row::semester(semester)?,
                    midterm: row::opt_score(r.opt_int("midterm")?, "mid-term score")?,
                    final_exam: row::opt_score(r.opt_int("final")?, "final score")?,
                });
            }

            let mut comment_results = Vec::new();
            for r in sqlx::query(
                "SELECT subject_code, semester, passed FROM comment_results \
                 WHERE student_code = $1 AND class_id = $2 ORDER BY subject_code, semester",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                comment_results.push(CommentResult {
                    subject: row::parse(&r.text("subject_code")?, "subject")?,
                    semester: row::semester(r.int("semester")?)?,
                    passed: r.boolean("passed")?,
                });
            }

            let mut comments = Vec::new();
            for r in sqlx::query(
                "SELECT subject_code, term, body FROM subject_comments \
                 WHERE student_code = $1 AND class_id = $2 ORDER BY subject_code, term",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                comments.push(SubjectComment {
                    subject: row::parse(&r.text("subject_code")?, "subject")?,
                    term: row::code(&r.text("term")?, "term", Term::from_code)?,
                    body: r.text("body")?,
                });
            }
            comments.sort_by(|a, b| (&a.subject, a.term).cmp(&(&b.subject, b.term)));

            let mut conduct = Vec::new();
            for r in sqlx::query(
                "SELECT semester, rating FROM conduct \
                 WHERE student_code = $1 AND class_id = $2 ORDER BY semester",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                conduct.push(ConductEntry {
                    semester: row::semester(r.int("semester")?)?,
                    rating: row::code(&r.text("rating")?, "conduct", ConductRating::from_code)?,
                });
            }

            let absences = match sqlx::query(
                "SELECT excused_days, unexcused_days FROM absences \
                 WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class)
            .fetch_optional(&mut *tx)
            .await?
            {
                Some(r) => Some(Absences {
                    excused_days: row::narrow(r.int("excused_days")?, "excused days")?,
                    unexcused_days: row::narrow(r.int("unexcused_days")?, "unexcused days")?,
                }),
                None => None,
            };

            let mut summer_retakes = Vec::new();
            for r in sqlx::query(
                "SELECT subject_code, tenths, passed, assessed_on FROM summer_retakes \
                 WHERE student_code = $1 AND class_id = $2 ORDER BY subject_code",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                let result = match (r.opt_int("tenths")?, r.opt_bool("passed")?) {
                    (Some(t), None) => RetakeResult::Score(row::score(t, "retake score")?),
                    (None, Some(p)) => RetakeResult::Passed(p),
                    _ => return Err(Error::invalid("stored retake has both or neither result")),
                };
                summer_retakes.push(SummerRetake {
                    subject: row::parse(&r.text("subject_code")?, "subject")?,
                    result,
                    assessed_on: row::date(&r.text("assessed_on")?, "retake date")?,
                });
            }

            let retrained_conduct = match sqlx::query(
                "SELECT rating, assessed_on FROM summer_conduct \
                 WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class)
            .fetch_optional(&mut *tx)
            .await?
            {
                Some(r) => Some(RetrainedConduct {
                    rating: row::code(&r.text("rating")?, "conduct", ConductRating::from_code)?,
                    assessed_on: row::date(&r.text("assessed_on")?, "retraining date")?,
                }),
                None => None,
            };

            let mut tt27_subjects = Vec::new();
            for r in sqlx::query(
                "SELECT subject_code, period, level, test_score, comment \
                 FROM tt27_subject_evaluations WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                tt27_subjects.push(Tt27SubjectEvaluation {
                    subject: row::parse(&r.text("subject_code")?, "subject")?,
                    period: row::code(&r.text("period")?, "period", Tt27Period::from_code)?,
                    level: match r.opt_text("level")? {
                        Some(l) => Some(row::code(&l, "TT27 level", Tt27Level::from_code)?),
                        None => None,
                    },
                    test_score: r
                        .opt_int("test_score")?
                        .map(|t| row::narrow(t, "test score"))
                        .transpose()?,
                    comment: r.opt_text("comment")?,
                });
            }
            tt27_subjects.sort_by(|a, b| (&a.subject, a.period).cmp(&(&b.subject, b.period)));

            let mut tt27_qualities = Vec::new();
            for r in sqlx::query(
                "SELECT item, period, rating FROM tt27_qualities \
                 WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class)
            .fetch_all(&mut *tx)
            .await?
            {
                tt27_qualities.push(Tt27Quality {
                    item: row::code(&r.text("item")?, "quality", QualityItem::from_code)?,
                    period: row::code(&r.text("period")?, "period", Tt27Period::from_code)?,
                    rating: row::code(&r.text("rating")?, "rating", QualityRating::from_code)?,
                });
            }
            tt27_qualities.sort_by_key(|q| (q.item, q.period));

            let outstanding = sqlx::query(
                "SELECT note FROM tt27_outstanding WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.text("note"))
            .transpose()?;

            tx.commit().await?;
            Ok(YearInputs {
                student: row::student(&head)?,
                class: class_row,
                school_levels,
                roll_no: row::narrow(head.int("roll_no")?, "roll number")?,
                scores,
                comment_results,
                comments,
                conduct,
                absences,
                summer_retakes,
                retrained_conduct,
                tt27_subjects,
                tt27_qualities,
                outstanding,
            })
        })
    }
}

/// Days as stored (`SMALLINT`); the schema allows 0–366.
pub(crate) fn days(n: u16) -> Result<i16> {
    i16::try_from(n).map_err(|_| Error::invalid(format!("{n} days is out of range")))
}

/// `(tenths, passed)` columns of a retake: exactly one is set.
pub(crate) fn retake_columns(result: RetakeResult) -> (Option<i16>, Option<bool>) {
    match result {
        RetakeResult::Score(s) => (Some(tenths(s)), None),
        RetakeResult::Passed(p) => (None, Some(p)),
    }
}

// ---------------------------------------------------------------------------------------
// Locked records: the check every audited save makes inside its own transaction.

/// The statement that reads the record versions of a class inside a save's transaction.
///
/// SQLite: the save runs in `BEGIN IMMEDIATE`, so it holds the database's write lock
/// from its first statement; a signature (the only move into a locked state) cannot
/// commit between this read and the save's commit, a plain `SELECT` suffices.
///
/// PostgreSQL: `FOR SHARE` locks the rows read. A signature moves a record into a locked
/// state with a compare-and-set `UPDATE` of exactly such a row
/// ([`Store::add_signature`]), which needs the row exclusively: if the save read first,
/// the signature waits until the save commits (the save happened while the record was
/// open); if the signature updated first, this read waits for it to commit and then sees
/// the new state, and the save is refused. A share lock rather than `FOR UPDATE` lets
/// saves of the same class run side by side until they queue on the audit head.
pub(crate) trait LockingRead: sqlx::Database {
    /// `SELECT student_code, version, state FROM records WHERE class_id = $1 …`.
    const CLASS_RECORDS: &'static str;
}

impl LockingRead for sqlx::Sqlite {
    const CLASS_RECORDS: &'static str =
        "SELECT student_code, version, state FROM records WHERE class_id = $1";
}

impl LockingRead for sqlx::Postgres {
    const CLASS_RECORDS: &'static str =
        "SELECT student_code, version, state FROM records WHERE class_id = $1 FOR SHARE";
}

/// The backend's [`LockingRead::CLASS_RECORDS`], chosen by the transaction's type.
pub(crate) fn class_records_sql<DB: LockingRead>(_tx: &sqlx::Transaction<'_, DB>) -> &'static str {
    DB::CLASS_RECORDS
}

/// The students whose latest record version in the class is locked, per
/// [`crate::RecordState::is_locked`] (the one definition), from the rows of
/// [`LockingRead::CLASS_RECORDS`].
pub(crate) fn locked_of<R: RowExt>(rows: &[R]) -> Result<BTreeSet<String>> {
    let mut latest: BTreeMap<String, (i64, RecordState)> = BTreeMap::new();
    for r in rows {
        let version = r.int("version")?;
        let state = row::code(&r.text("state")?, "record state", RecordState::from_code)?;
        let entry = latest
            .entry(r.text("student_code")?)
            .or_insert((version, state));
        if version > entry.0 {
            *entry = (version, state);
        }
    }
    Ok(latest
        .into_iter()
        .filter(|(_, (_, state))| state.is_locked())
        .map(|(student, _)| student)
        .collect())
}

/// Reads, on the open transaction `$tx` (either backend), the students of class `$class`
/// whose current record is locked, locking the rows on PostgreSQL (see
/// [`LockingRead`]). Evaluates to `Result<BTreeSet<String>>` of student codes.
macro_rules! locked_in_class {
    ($tx:ident, $class:expr) => {
        async {
            let class: $crate::ClassId = $class;
            let sql = $crate::assessment::class_records_sql(&$tx);
            let rows = sqlx::query(sql).bind(class.0).fetch_all(&mut *$tx).await?;
            $crate::assessment::locked_of(&rows)
        }
        .await
    };
}
pub(crate) use locked_in_class;

/// [`Error::Locked`] for the first change about a student in `locked`: a save may
/// rewrite a locked student's values unchanged, never change them.
pub(crate) fn refuse_locked(changes: &[AuditChange], locked: &BTreeSet<String>) -> Result<()> {
    match changes
        .iter()
        .filter_map(|c| c.student.as_ref())
        .find(|s| locked.contains(s.as_str()))
    {
        Some(student) => Err(Error::Locked {
            student: student.clone(),
        }),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Audited saves of the homeroom teacher's pages.

/// What a save does with one stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueEdit<T> {
    /// Leave the stored value as it is.
    Keep,
    /// Remove the stored value.
    Clear,
    /// Store this value.
    Set(T),
}

/// One student's line of "Tổng hợp kết quả" to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeroomRow {
    /// The student (enrolled in the class).
    pub student: StudentCode,
    /// Conduct of HK I and HK II.
    pub conduct: [ValueEdit<ConductRating>; 2],
    /// Absences of the year; `None` leaves what is stored as it is.
    pub absences: Option<Absences>,
}

impl Store {
    /// Saves the homeroom summary rows of a class in **one transaction**: conduct is set,
    /// cleared or kept per [`ValueEdit`], absences set when given; only the values that
    /// change are written, each with its audit entry stamped with `stamp` (`conduct.set`
    /// on `HKn/rl`, old → new, new empty when cleared; `absences.set` on `np` / `kp`).
    /// All or nothing: [`Error::NotFound`] when a student is not enrolled in the class,
    /// [`Error::Locked`] when a value of a student whose current record is locked would
    /// change (checked in the same transaction, under a share lock on the class's record
    /// rows on PostgreSQL).
    pub async fn save_homeroom_rows_audited(
        &self,
        class: ClassId,
        rows: &[HomeroomRow],
        stamp: &AuditStamp,
    ) -> Result<()> {
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let locked = locked_in_class!(tx, class)?;
            let mut changes = Vec::new();
            for r in rows {
                let student = r.student.as_str();
                let enrolled = sqlx::query(
                    "SELECT 1 AS one FROM enrolments WHERE student_code = $1 AND class_id = $2",
                )
                .bind(student)
                .bind(class.0)
                .fetch_optional(&mut *tx)
                .await?;
                if enrolled.is_none() {
                    return Err(Error::not_found(format!(
                        "student {} in class {class}",
                        r.student
                    )));
                }
                let change =
                    |action, field: String, old: Option<String>, new: Option<String>| AuditChange {
                        student: Some(r.student.clone()),
                        class: Some(class),
                        action,
                        field,
                        old,
                        new,
                    };
                for (semester, edit) in [Semester::First, Semester::Second]
                    .into_iter()
                    .zip(r.conduct)
                {
                    if edit == ValueEdit::Keep {
                        continue;
                    }
                    let old = sqlx::query(
                        "SELECT rating FROM conduct \
                         WHERE student_code = $1 AND class_id = $2 AND semester = $3",
                    )
                    .bind(student)
                    .bind(class.0)
                    .bind(semester.number())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| row.text("rating"))
                    .transpose()?;
                    let new = match edit {
                        ValueEdit::Set(rating) => Some(rating.code().to_owned()),
                        ValueEdit::Clear | ValueEdit::Keep => None,
                    };
                    if old == new {
                        continue;
                    }
                    match &new {
                        Some(code) => {
                            sqlx::query(
                                "INSERT INTO conduct (student_code, class_id, semester, rating) \
                                 VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (student_code, class_id, semester) \
                                 DO UPDATE SET rating = excluded.rating",
                            )
                            .bind(student)
                            .bind(class.0)
                            .bind(semester.number())
                            .bind(code.as_str())
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => {
                            sqlx::query(
                                "DELETE FROM conduct \
                                 WHERE student_code = $1 AND class_id = $2 AND semester = $3",
                            )
                            .bind(student)
                            .bind(class.0)
                            .bind(semester.number())
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    changes.push(change(
                        AuditAction::ConductSet,
                        format!("HK{}/rl", semester.number()),
                        old,
                        new,
                    ));
                }
                let Some(new) = r.absences else { continue };
                let old = sqlx::query(
                    "SELECT excused_days, unexcused_days FROM absences \
                     WHERE student_code = $1 AND class_id = $2",
                )
                .bind(student)
                .bind(class.0)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| Ok::<_, Error>((row.int("excused_days")?, row.int("unexcused_days")?)))
                .transpose()?;
                let new_days = (i64::from(new.excused_days), i64::from(new.unexcused_days));
                if old == Some(new_days) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO absences (student_code, class_id, excused_days, unexcused_days) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (student_code, class_id) DO UPDATE SET \
                     excused_days = excluded.excused_days, \
                     unexcused_days = excluded.unexcused_days",
                )
                .bind(student)
                .bind(class.0)
                .bind(days(new.excused_days)?)
                .bind(days(new.unexcused_days)?)
                .execute(&mut *tx)
                .await?;
                for (field, before, after) in [
                    ("np", old.map(|o| o.0), new_days.0),
                    ("kp", old.map(|o| o.1), new_days.1),
                ] {
                    if before != Some(after) {
                        changes.push(change(
                            AuditAction::AbsencesSet,
                            field.to_owned(),
                            before.map(|d| d.to_string()),
                            Some(after.to_string()),
                        ));
                    }
                }
            }
            refuse_locked(&changes, &locked)?;
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Saves one student's summer results ("Kết quả kiểm tra lại / rèn luyện hè", TT22
    /// art. 13–14) in **one transaction**: each retake is written (or overwritten) for
    /// its subject, and the retrained conduct when given; other stored summer results are
    /// left as they are. One audit entry per value that changes, stamped with `stamp`:
    /// `score.set` on `SUBJECT/he/ktl` (values `6.5 2026-07-20`: score and date),
    /// `result.set` on `SUBJECT/he/kq` (`dat 2026-07-20` / `chua_dat …`), `conduct.set`
    /// on `he/rl` (`dat 2026-07-20`, …).
    ///
    /// All or nothing: [`Error::NotFound`] when the student is not enrolled in the class,
    /// [`Error::Invalid`] when a subject is given twice, [`Error::Locked`] when the
    /// student's current record in the class is locked (checked in the same transaction,
    /// under a share lock on the class's record rows on PostgreSQL).
    pub async fn save_summer_results_audited(
        &self,
        key: &EnrolmentKey,
        retakes: &[SummerRetake],
        retrained: Option<RetrainedConduct>,
        stamp: &AuditStamp,
    ) -> Result<()> {
        let mut subjects: Vec<&str> = retakes.iter().map(|r| r.subject.as_str()).collect();
        subjects.sort_unstable();
        if subjects.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::invalid("a subject retaken twice"));
        }
        let (student, class) = (key.student.as_str(), key.class);
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            let enrolled = sqlx::query(
                "SELECT 1 AS one FROM enrolments WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class.0)
            .fetch_optional(&mut *tx)
            .await?;
            if enrolled.is_none() {
                return Err(Error::not_found(format!(
                    "student {} in class {class}",
                    key.student
                )));
            }
            if locked_in_class!(tx, class)?.contains(student) {
                return Err(Error::Locked {
                    student: key.student.clone(),
                });
            }
            let mut changes = Vec::new();
            let change =
                |action, field: String, old: Option<String>, new: Option<String>| AuditChange {
                    student: Some(key.student.clone()),
                    class: Some(class),
                    action,
                    field,
                    old,
                    new,
                };
            let mut before: BTreeMap<String, String> = BTreeMap::new();
            for r in sqlx::query(
                "SELECT subject_code, tenths, passed, assessed_on FROM summer_retakes \
                 WHERE student_code = $1 AND class_id = $2",
            )
            .bind(student)
            .bind(class.0)
            .fetch_all(&mut *tx)
            .await?
            {
                let value = match (r.opt_int("tenths")?, r.opt_bool("passed")?) {
                    (Some(t), _) => score_text(t),
                    (None, Some(p)) => passed_code(p).to_owned(),
                    (None, None) => String::new(),
                };
                before.insert(
                    r.text("subject_code")?,
                    format!("{value} {}", r.text("assessed_on")?),
                );
            }
            for retake in retakes {
                let (score, passed) = retake_columns(retake.result);
                sqlx::query(
                    "INSERT INTO summer_retakes \
                     (student_code, class_id, subject_code, tenths, passed, assessed_on) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (student_code, class_id, subject_code) DO UPDATE SET \
                     tenths = excluded.tenths, passed = excluded.passed, \
                     assessed_on = excluded.assessed_on",
                )
                .bind(student)
                .bind(class.0)
                .bind(retake.subject.as_str())
                .bind(score)
                .bind(passed)
                .bind(retake.assessed_on.to_string())
                .execute(&mut *tx)
                .await?;
                let (action, field, value) = match retake.result {
                    RetakeResult::Score(s) => (
                        AuditAction::ScoreSet,
                        "ktl",
                        score_text(i64::from(tenths(s))),
                    ),
                    RetakeResult::Passed(p) => {
                        (AuditAction::ResultSet, "kq", passed_code(p).to_owned())
                    }
                };
                let new = format!("{value} {}", retake.assessed_on);
                let old = before.get(retake.subject.as_str()).cloned();
                if old.as_deref() != Some(new.as_str()) {
                    changes.push(change(
                        action,
                        format!("{}/he/{field}", retake.subject),
                        old,
                        Some(new),
                    ));
                }
            }
            if let Some(conduct) = retrained {
                let old = sqlx::query(
                    "SELECT rating, assessed_on FROM summer_conduct \
                     WHERE student_code = $1 AND class_id = $2",
                )
                .bind(student)
                .bind(class.0)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| {
                    Ok::<_, Error>(format!("{} {}", r.text("rating")?, r.text("assessed_on")?))
                })
                .transpose()?;
                sqlx::query(
                    "INSERT INTO summer_conduct (student_code, class_id, rating, assessed_on) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (student_code, class_id) DO UPDATE SET \
                     rating = excluded.rating, assessed_on = excluded.assessed_on",
                )
                .bind(student)
                .bind(class.0)
                .bind(conduct.rating.code())
                .bind(conduct.assessed_on.to_string())
                .execute(&mut *tx)
                .await?;
                let new = format!("{} {}", conduct.rating.code(), conduct.assessed_on);
                if old.as_deref() != Some(new.as_str()) {
                    changes.push(change(
                        AuditAction::ConductSet,
                        "he/rl".to_owned(),
                        old,
                        Some(new),
                    ));
                }
            }
            append_audit!(tx, stamp, &changes)?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// A comment result as the audit log writes it.
fn passed_code(passed: bool) -> &'static str {
    if passed { "dat" } else { "chua_dat" }
}
