//! Bulk insertion for seeders and imports: one transaction, multi-row `INSERT`s.

use crate::assessment::{check_regular, days, retake_columns, tenths};
use crate::row;
use crate::{
    Absences, CommentResult, ConductEntry, Enrolment, EnrolmentKey, Error, Result,
    RetrainedConduct, Store, Student, SubjectAssignment, SubjectComment, SubjectScores,
    SummerRetake, Tt27Level, Tt27Quality, Tt27SubjectEvaluation, dispatch,
};

/// Rows to insert together. Every list is insert-only: a row that already exists is an
/// [`Error::Conflict`] and the whole batch is rolled back.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// New students.
    pub students: Vec<Student>,
    /// New enrolments (students and classes must exist or be in this batch).
    pub enrolments: Vec<Enrolment>,
    /// New subject assignments.
    pub subject_assignments: Vec<SubjectAssignment>,
    /// TT22 / TT43 scores with their regular scores.
    pub scores: Vec<(EnrolmentKey, SubjectScores)>,
    /// Comment-only subject results.
    pub comment_results: Vec<(EnrolmentKey, CommentResult)>,
    /// Subject comments.
    pub comments: Vec<(EnrolmentKey, SubjectComment)>,
    /// Conduct per semester.
    pub conduct: Vec<(EnrolmentKey, ConductEntry)>,
    /// Absences of the year.
    pub absences: Vec<(EnrolmentKey, Absences)>,
    /// Summer re-assessments.
    pub summer_retakes: Vec<(EnrolmentKey, SummerRetake)>,
    /// Conduct after summer training.
    pub retrained_conduct: Vec<(EnrolmentKey, RetrainedConduct)>,
    /// TT27 subject evaluations.
    pub tt27_subjects: Vec<(EnrolmentKey, Tt27SubjectEvaluation)>,
    /// TT27 qualities and competences.
    pub tt27_qualities: Vec<(EnrolmentKey, Tt27Quality)>,
    /// TT27 "Học sinh tiêu biểu" flags with their notes.
    pub outstanding: Vec<(EnrolmentKey, String)>,
}

/// How many rows [`Store::insert_batch`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchCounts {
    /// Students.
    pub students: u64,
    /// Enrolments.
    pub enrolments: u64,
    /// Every other row (assignments, scores, regular scores, results, comments, …).
    pub other_rows: u64,
}

/// Bind parameters per statement, under SQLite's 32 766 and PostgreSQL's 65 535.
const MAX_PARAMS: usize = 30_000;
/// Rows per statement, whatever the width.
const MAX_ROWS: usize = 1_000;

/// Inserts `$rows` in chunks of multi-row `INSERT … VALUES (…), (…)` statements on
/// `$tx`, calling `$push` with a `Separated` builder and each row; adds the rows to
/// `$count`.
macro_rules! bulk {
    ($tx:ident, $count:expr, $head:literal, $width:literal, $rows:expr, |$b:ident, $r:ident| $push:block) => {{
        let rows = $rows;
        let per = (MAX_PARAMS / $width).min(MAX_ROWS);
        for chunk in rows.chunks(per) {
            let mut qb = sqlx::QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $r| $push);
            $count += qb.build().execute(&mut *$tx).await?.rows_affected();
        }
    }};
}

impl Store {
    /// Inserts everything in `batch` in one transaction, all or nothing, using
    /// multi-row statements (prepared once per shape). Meant for the demo seeder and
    /// imports: tens of thousands of rows per second on either backend.
    pub async fn insert_batch(&self, batch: &Batch) -> Result<BatchCounts> {
        for (_, s) in &batch.scores {
            check_regular(s.regular.len())?;
        }
        let regular: Vec<(&EnrolmentKey, &SubjectScores, i16, i16)> = batch
            .scores
            .iter()
            .flat_map(|(k, s)| {
                s.regular
                    .iter()
                    .enumerate()
                    // At most MAX_REGULAR_SCORES (20) entries, checked above.
                    .map(move |(i, r)| (k, s, i as i16 + 1, tenths(*r)))
            })
            .collect();
        let absences = batch
            .absences
            .iter()
            .map(|(k, a)| Ok((k, days(a.excused_days)?, days(a.unexcused_days)?)))
            .collect::<Result<Vec<_>>>()?;
        let enrolments = batch
            .enrolments
            .iter()
            .map(|e| {
                Ok((
                    &e.key,
                    row::narrow::<i16>(i64::from(e.roll_no), "roll number")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut counts = BatchCounts::default();
        dispatch!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            bulk!(
                tx,
                counts.students,
                "INSERT INTO students (code, personal_id, full_name, sex, born_on, ethnicity, \
                 nationality, place_of_birth, residence) ",
                9,
                &batch.students,
                |b, s| {
                    b.push_bind(s.code.as_str())
                        .push_bind(s.personal_id.as_ref().map(|p| p.as_str()))
                        .push_bind(s.full_name.as_str())
                        .push_bind(row::sex_code(s.sex))
                        .push_bind(s.born_on.to_string())
                        .push_bind(s.ethnicity.as_str())
                        .push_bind(s.nationality.as_str())
                        .push_bind(s.place_of_birth.as_str())
                        .push_bind(s.residence.as_str());
                }
            );
            bulk!(
                tx,
                counts.enrolments,
                "INSERT INTO enrolments (student_code, class_id, roll_no) ",
                3,
                &enrolments,
                |b, e| {
                    b.push_bind(e.0.student.as_str())
                        .push_bind(e.0.class.0)
                        .push_bind(e.1);
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO subject_assignments (class_id, subject_code, teacher_id) ",
                3,
                &batch.subject_assignments,
                |b, a| {
                    b.push_bind(a.class.0)
                        .push_bind(a.subject.as_str())
                        .push_bind(a.teacher.0);
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO subject_scores \
                 (student_code, class_id, subject_code, semester, midterm, final) ",
                6,
                &batch.scores,
                |b, x| {
                    let (k, s) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(s.subject.as_str())
                        .push_bind(s.semester.number())
                        .push_bind(s.midterm.map(tenths))
                        .push_bind(s.final_exam.map(tenths));
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO regular_scores \
                 (student_code, class_id, subject_code, semester, ordinal, tenths) ",
                6,
                &regular,
                |b, x| {
                    let (k, s, ordinal, t) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(s.subject.as_str())
                        .push_bind(s.semester.number())
                        .push_bind(*ordinal)
                        .push_bind(*t);
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO comment_results \
                 (student_code, class_id, subject_code, semester, passed) ",
                5,
                &batch.comment_results,
                |b, x| {
                    let (k, c) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(c.subject.as_str())
                        .push_bind(c.semester.number())
                        .push_bind(c.passed);
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO subject_comments (student_code, class_id, subject_code, term, body) ",
                5,
                &batch.comments,
                |b, x| {
                    let (k, c) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(c.subject.as_str())
                        .push_bind(c.term.code())
                        .push_bind(c.body.as_str());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO conduct (student_code, class_id, semester, rating) ",
                4,
                &batch.conduct,
                |b, x| {
                    let (k, c) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(c.semester.number())
                        .push_bind(c.rating.code());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO absences (student_code, class_id, excused_days, unexcused_days) ",
                4,
                &absences,
                |b, x| {
                    let (k, excused, unexcused) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(*excused)
                        .push_bind(*unexcused);
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO summer_retakes \
                 (student_code, class_id, subject_code, tenths, passed, assessed_on) ",
                6,
                &batch.summer_retakes,
                |b, x| {
                    let (k, r) = x;
                    let (score, passed) = retake_columns(r.result);
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(r.subject.as_str())
                        .push_bind(score)
                        .push_bind(passed)
                        .push_bind(r.assessed_on.to_string());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO summer_conduct (student_code, class_id, rating, assessed_on) ",
                4,
                &batch.retrained_conduct,
                |b, x| {
                    let (k, c) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(c.rating.code())
                        .push_bind(c.assessed_on.to_string());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO tt27_subject_evaluations \
                 (student_code, class_id, subject_code, period, level, test_score, comment) ",
                7,
                &batch.tt27_subjects,
                |b, x| {
                    let (k, e) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(e.subject.as_str())
                        .push_bind(e.period.code())
                        .push_bind(e.level.map(Tt27Level::code))
                        .push_bind(e.test_score.map(i16::from))
                        .push_bind(e.comment.as_deref());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO tt27_qualities (student_code, class_id, item, period, rating) ",
                5,
                &batch.tt27_qualities,
                |b, x| {
                    let (k, q) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(q.item.code())
                        .push_bind(q.period.code())
                        .push_bind(q.rating.code());
                }
            );
            bulk!(
                tx,
                counts.other_rows,
                "INSERT INTO tt27_outstanding (student_code, class_id, note) ",
                3,
                &batch.outstanding,
                |b, x| {
                    let (k, note) = x;
                    b.push_bind(k.student.as_str())
                        .push_bind(k.class.0)
                        .push_bind(note.as_str());
                }
            );
            tx.commit().await?;
            Ok::<_, Error>(())
        })?;
        Ok(counts)
    }
}
