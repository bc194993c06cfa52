//! Building the results block from the domain engine, and checking a stored record against
//! a fresh run of it, so that the numbers in the XML are always the engine's.

use std::fmt::Display;

use domain::tt22::{
    self, Comment, Mark, Note, Rating, Retake, SemesterScores, StudentYear, Summer, YearOutcome,
};
use domain::tt27::{self, Competence, PupilOutcome, PupilYear, Quality};
use domain::{Grade, RuleVersion, Score};

use crate::labels::Promotion;
use crate::mapping::names as n;
use crate::model::{
    Absences, CommentedSubject, Dated, PrimaryResults, PrimarySubject, Rated, Record, Results,
    ScoredSemester, ScoredSubject, SecondaryResults, SecondarySubject, SubjectAssessment,
};
use crate::text::{Code, Text};

/// What the school enters for a THCS/THPT (TT22) or GDTX (TT43) year; everything else in
/// [`SecondaryResults`] is computed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryInput {
    /// The rule version to evaluate with.
    pub rule: RuleVersion,
    /// Every subject, in record-book order.
    pub subjects: Vec<SubjectInput>,
    /// Kết quả rèn luyện học kì I.
    pub conduct_hk1: Rating,
    /// Kết quả rèn luyện học kì II.
    pub conduct_hk2: Rating,
    /// Days absent in the year.
    pub absences: Absences,
    /// Conduct re-assessed after summer training, with its date.
    pub conduct_retraining: Option<Dated<Rating>>,
    /// Nhận xét của giáo viên chủ nhiệm.
    pub homeroom_comment: Option<Text>,
}

/// One subject as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectInput {
    /// `MaMonHoc`.
    pub code: Code,
    /// `TenMonHoc`.
    pub name: Text,
    /// Scores or comment results, with the summer re-assessment if any.
    pub marks: InputMarks,
    /// Nhận xét of the subject teacher.
    pub teacher_comment: Option<Text>,
}

/// The entered assessments of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputMarks {
    /// A scored subject.
    Scored {
        /// Semester I scores.
        hk1: SemesterScores,
        /// Semester II scores.
        hk2: SemesterScores,
        /// Điểm kiểm tra lại and its date.
        retake: Option<Dated<Score>>,
    },
    /// A comment-only subject.
    Commented {
        /// Semester I result.
        hk1: Comment,
        /// Semester II result.
        hk2: Comment,
        /// Kết quả đánh giá lại and its date.
        retake: Option<Dated<Comment>>,
    },
}

/// Why a results block could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The domain engine rejected the input (every problem at once).
    #[error("the rule engine rejected the input: {}", join(.0))]
    Engine(Vec<tt22::Problem>),
    /// A summer result was given that the rules do not use (e.g. a re-assessment of a
    /// subject that was not due); a record never stores a value that was not applied.
    #[error("summer results not applicable: {}", join(.0))]
    NotApplicable(Vec<Note>),
    /// The TT27 engine rejected the input (every problem at once).
    #[error("the rule engine rejected the input: {}", join(.0))]
    PrimaryEngine(Vec<tt27::Problem>),
    /// The outcome passed to [`build_secondary`] is not the evaluation of the input.
    #[error("the outcome does not belong to the input: {0}")]
    OutcomeMismatch(&'static str),
}

fn join<T: Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SecondaryInput {
    /// The engine's view of this input.
    pub fn to_student_year(&self, grade: Grade) -> StudentYear {
        let mut retakes = Vec::new();
        let subjects = self
            .subjects
            .iter()
            .map(|s| {
                let marks = match &s.marks {
                    InputMarks::Scored { hk1, hk2, retake } => {
                        if let Some(r) = retake {
                            retakes.push((s.code.to_string(), Retake::Score(r.value)));
                        }
                        tt22::SubjectMarks::Scored {
                            hk1: hk1.clone(),
                            hk2: hk2.clone(),
                        }
                    }
                    InputMarks::Commented { hk1, hk2, retake } => {
                        if let Some(r) = retake {
                            retakes.push((s.code.to_string(), Retake::Comment(r.value)));
                        }
                        tt22::SubjectMarks::Commented {
                            hk1: *hk1,
                            hk2: *hk2,
                        }
                    }
                };
                tt22::SubjectEntry {
                    code: s.code.to_string(),
                    marks,
                }
            })
            .collect();
        StudentYear {
            grade: Some(grade),
            subjects,
            conduct_hk1: self.conduct_hk1,
            conduct_hk2: self.conduct_hk2,
            absent_days: self.absences.total(),
            summer: Summer {
                retakes,
                conduct_retrained: self.conduct_retraining.map(|d| d.value),
            },
        }
    }

    /// Runs the domain engine (`domain::tt22::evaluate_with`) and builds the results
    /// block from its outcome.
    pub fn evaluate(&self, grade: Grade) -> Result<SecondaryResults, BuildError> {
        let outcome = tt22::evaluate_with(self.rule, &self.to_student_year(grade))
            .map_err(BuildError::Engine)?;
        build_secondary(self, &outcome)
    }
}

/// Builds the TT22/TT43 results block from the entered values and the engine's outcome
/// for them: every computed value in the record is taken from `outcome`.
pub fn build_secondary(
    input: &SecondaryInput,
    outcome: &YearOutcome,
) -> Result<SecondaryResults, BuildError> {
    if outcome.rule != input.rule {
        return Err(BuildError::OutcomeMismatch("rule version differs"));
    }
    if !outcome.notes.is_empty() {
        return Err(BuildError::NotApplicable(outcome.notes.clone()));
    }
    if outcome.subjects.len() != input.subjects.len() {
        return Err(BuildError::OutcomeMismatch("number of subjects differs"));
    }
    let mut subjects = Vec::with_capacity(input.subjects.len());
    for (s, o) in input.subjects.iter().zip(&outcome.subjects) {
        if o.code != s.code.as_str() {
            return Err(BuildError::OutcomeMismatch("subject codes differ"));
        }
        let assessment = match (&s.marks, o.marks.hk1, o.marks.hk2, o.marks.year) {
            (
                InputMarks::Scored { hk1, hk2, retake },
                Mark::Average(a1),
                Mark::Average(a2),
                Mark::Average(ay),
            ) => SubjectAssessment::Scored(ScoredSubject {
                hk1: semester(hk1, a1),
                hk2: semester(hk2, a2),
                year_average: ay,
                retake: *retake,
            }),
            (
                InputMarks::Commented { hk1, hk2, retake },
                Mark::Comment(_),
                Mark::Comment(_),
                Mark::Comment(year),
            ) => SubjectAssessment::Commented(CommentedSubject {
                hk1: *hk1,
                hk2: *hk2,
                year,
                retake: *retake,
            }),
            _ => return Err(BuildError::OutcomeMismatch("assessment form differs")),
        };
        subjects.push(SecondarySubject {
            code: s.code.clone(),
            name: s.name.clone(),
            assessment,
            teacher_comment: s.teacher_comment.clone(),
        });
    }
    Ok(SecondaryResults {
        rule: outcome.rule,
        subjects,
        learning: outcome.learning,
        conduct: outcome.conduct,
        absences: input.absences,
        conduct_retraining: outcome.conduct_after_training.and(input.conduct_retraining),
        learning_after_reassessment: outcome.learning_after_retake,
        promotion: promotion(outcome),
        title: outcome.title,
        homeroom_comment: input.homeroom_comment.clone(),
    })
}

fn semester(scores: &SemesterScores, average: domain::Tenths) -> ScoredSemester {
    ScoredSemester {
        regular: scores.regular.clone(),
        midterm: scores.midterm,
        final_term: scores.final_term,
        average,
    }
}

/// The record's `LenLop` from the engine's blockers: promoted; retained for absences;
/// waiting for summer training or re-assessment while those results are missing;
/// retained otherwise.
pub fn promotion(outcome: &YearOutcome) -> Promotion {
    if outcome.promoted() {
        Promotion::Promoted
    } else if outcome.blockers.contains(&tt22::Blocker::Absence) {
        Promotion::Retained
    } else if outcome.summer_training && outcome.conduct_after_training.is_none() {
        Promotion::SummerTraining
    } else if !outcome.reassessment.is_empty() && outcome.learning_after_retake.is_none() {
        Promotion::Reassessment
    } else {
        Promotion::Retained
    }
}

impl SecondaryResults {
    /// The entered values of this block (the computed ones dropped).
    pub fn to_input(&self) -> SecondaryInput {
        SecondaryInput {
            rule: self.rule,
            subjects: self
                .subjects
                .iter()
                .map(|s| SubjectInput {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    marks: match &s.assessment {
                        SubjectAssessment::Scored(a) => InputMarks::Scored {
                            hk1: scores(&a.hk1),
                            hk2: scores(&a.hk2),
                            retake: a.retake,
                        },
                        SubjectAssessment::Commented(a) => InputMarks::Commented {
                            hk1: a.hk1,
                            hk2: a.hk2,
                            retake: a.retake,
                        },
                    },
                    teacher_comment: s.teacher_comment.clone(),
                })
                .collect(),
            conduct_hk1: self.conduct.hk1,
            conduct_hk2: self.conduct.hk2,
            absences: self.absences,
            conduct_retraining: self.conduct_retraining,
            homeroom_comment: self.homeroom_comment.clone(),
        }
    }
}

fn scores(s: &ScoredSemester) -> SemesterScores {
    SemesterScores {
        regular: s.regular.clone(),
        midterm: s.midterm,
        final_term: s.final_term,
    }
}

/// What the school enters for a primary (TT27) year; `overall` and `title` of
/// [`PrimaryResults`] are computed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryInput {
    /// Every subject and activity with its four periodic assessments.
    pub subjects: Vec<PrimarySubject>,
    /// The five qualities.
    pub qualities: Vec<Rated<Quality>>,
    /// The competences.
    pub competences: Vec<Rated<Competence>>,
    /// Days absent.
    pub absences: Absences,
    /// Lên lớp / ở lại lớp as decided by the school.
    pub promotion: Promotion,
    /// Recognised by the class as tiêu biểu.
    pub exemplary: bool,
    /// Nhận xét của giáo viên chủ nhiệm.
    pub homeroom_comment: Option<Text>,
}

impl PrimaryInput {
    /// The engine's view of this input: the year-end level and test of each subject and
    /// the year-end rating of each quality and competence.
    pub fn to_pupil_year(&self, grade: Grade) -> PupilYear {
        PupilYear {
            grade: Some(grade),
            subjects: self
                .subjects
                .iter()
                .map(|s| tt27::PrimarySubject {
                    code: s.code.to_string(),
                    level: s.end_year.level,
                    test: s.end_year.test,
                })
                .collect(),
            qualities: self.qualities.iter().map(|q| (q.key, q.year)).collect(),
            competences: self.competences.iter().map(|c| (c.key, c.year)).collect(),
            exemplary: self.exemplary,
        }
    }

    /// Runs the domain engine (`domain::tt27::evaluate`) and builds the results block.
    pub fn evaluate(&self, grade: Grade) -> Result<PrimaryResults, BuildError> {
        let outcome =
            tt27::evaluate(&self.to_pupil_year(grade)).map_err(BuildError::PrimaryEngine)?;
        Ok(build_primary(self, &outcome))
    }
}

/// Builds the TT27 results block from the entered values and the engine's outcome.
pub fn build_primary(input: &PrimaryInput, outcome: &PupilOutcome) -> PrimaryResults {
    PrimaryResults {
        rule: outcome.rule,
        subjects: input.subjects.clone(),
        qualities: input.qualities.clone(),
        competences: input.competences.clone(),
        overall: outcome.overall,
        absences: input.absences,
        promotion: input.promotion,
        title: outcome.title,
        exemplary: input.exemplary,
        homeroom_comment: input.homeroom_comment.clone(),
    }
}

impl PrimaryResults {
    /// The entered values of this block (the computed ones dropped).
    pub fn to_input(&self) -> PrimaryInput {
        PrimaryInput {
            subjects: self.subjects.clone(),
            qualities: self.qualities.clone(),
            competences: self.competences.clone(),
            absences: self.absences,
            promotion: self.promotion,
            exemplary: self.exemplary,
            homeroom_comment: self.homeroom_comment.clone(),
        }
    }
}

/// A difference between a stored record and a fresh evaluation of its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// A computed value differs.
    #[error("{path}: stored {stored}, engine computes {computed}")]
    Value {
        /// The element, relative to `DuLieu`.
        path: String,
        /// The stored value as written in the document.
        stored: String,
        /// The engine's value.
        computed: String,
    },
    /// The engine rejects the stored inputs (wrong number of regular scores, a subject
    /// outside the grade's programme, …).
    #[error("the rule engine rejects the stored inputs: {0}")]
    Rejected(String),
    /// The record stores a summer result the rules do not use.
    #[error("stored summer result not applicable: {0}")]
    NotApplicable(String),
    /// No engine computes this rule version.
    #[error("no rule engine for {rule}: the stored values cannot be recomputed")]
    NoEngine {
        /// The record's rule version.
        rule: RuleVersion,
    },
}

/// Re-runs the domain engine on the record's stored inputs and compares every computed
/// value with the stored one. `Ok` means the record's numbers are exactly the engine's.
/// A rule version without an engine gives [`Mismatch::NoEngine`].
pub fn recompute_check(record: &Record) -> Result<(), Vec<Mismatch>> {
    let stored = match &record.results {
        Results::Secondary(r) => r,
        Results::Primary(r) => return recompute_primary(r, record.class.grade),
    };
    let input = stored.to_input();
    let outcome = match tt22::evaluate_with(stored.rule, &input.to_student_year(record.class.grade))
    {
        Ok(o) => o,
        Err(problems) => {
            return Err(problems
                .iter()
                .map(|p| Mismatch::Rejected(p.to_string()))
                .collect());
        }
    };
    if !outcome.notes.is_empty() {
        return Err(outcome
            .notes
            .iter()
            .map(|x| Mismatch::NotApplicable(x.to_string()))
            .collect());
    }
    let computed = match build_secondary(&input, &outcome) {
        Ok(c) => c,
        Err(e) => return Err(vec![Mismatch::Rejected(e.to_string())]),
    };
    let mut found = Vec::new();
    diff(stored, &computed, &mut found);
    if found.is_empty() { Ok(()) } else { Err(found) }
}

fn recompute_primary(stored: &PrimaryResults, grade: Grade) -> Result<(), Vec<Mismatch>> {
    if stored.rule != RuleVersion::Tt27V1 {
        return Err(vec![Mismatch::NoEngine { rule: stored.rule }]);
    }
    let outcome = match tt27::evaluate(&stored.to_input().to_pupil_year(grade)) {
        Ok(o) => o,
        Err(problems) => {
            return Err(problems
                .iter()
                .map(|p| Mismatch::Rejected(p.to_string()))
                .collect());
        }
    };
    let mut found = Vec::new();
    let block = n::PRIMARY;
    if stored.overall != outcome.overall {
        found.push(Mismatch::Value {
            path: format!("{block}/{}", n::OVERALL),
            stored: stored.overall.to_string(),
            computed: outcome.overall.to_string(),
        });
    }
    if stored.title != outcome.title {
        let label = |t: Option<tt27::Title>| t.map_or("(none)", tt27::Title::label).to_string();
        found.push(Mismatch::Value {
            path: format!("{block}/{}", n::TITLE),
            stored: label(stored.title),
            computed: label(outcome.title),
        });
    }
    if found.is_empty() { Ok(()) } else { Err(found) }
}

fn diff(stored: &SecondaryResults, computed: &SecondaryResults, found: &mut Vec<Mismatch>) {
    let mut cmp = |path: String, a: String, b: String| {
        if a != b {
            found.push(Mismatch::Value {
                path,
                stored: a,
                computed: b,
            });
        }
    };
    let opt = |v: Option<Rating>| v.map_or_else(|| "(none)".to_string(), |r| r.label().to_string());
    let block = n::SECONDARY;
    for (s, c) in stored.subjects.iter().zip(&computed.subjects) {
        let at = format!("{block}/{}[{}={}]", n::SUBJECT, n::SUBJECT_CODE, s.code);
        match (&s.assessment, &c.assessment) {
            (SubjectAssessment::Scored(a), SubjectAssessment::Scored(b)) => {
                let sem = |name: &str| format!("{at}/{}/{name}/{}", n::SCORED, n::SEMESTER_AVERAGE);
                cmp(
                    sem(n::HK1),
                    a.hk1.average.to_string(),
                    b.hk1.average.to_string(),
                );
                cmp(
                    sem(n::HK2),
                    a.hk2.average.to_string(),
                    b.hk2.average.to_string(),
                );
                cmp(
                    format!("{at}/{}/{}", n::SCORED, n::YEAR_AVERAGE),
                    a.year_average.to_string(),
                    b.year_average.to_string(),
                );
            }
            (SubjectAssessment::Commented(a), SubjectAssessment::Commented(b)) => {
                cmp(
                    format!("{at}/{}/{}", n::COMMENTED, n::RESULT_YEAR),
                    a.year.to_string(),
                    b.year.to_string(),
                );
            }
            // Unreachable: `computed` was built from `stored`'s own inputs, form by form.
            _ => cmp(at, "assessment form".into(), "another form".into()),
        }
    }
    for (name, a, b) in [
        (n::SUMMARY_HK1, stored.learning.hk1, computed.learning.hk1),
        (n::SUMMARY_HK2, stored.learning.hk2, computed.learning.hk2),
        (
            n::SUMMARY_YEAR,
            stored.learning.year,
            computed.learning.year,
        ),
    ] {
        cmp(
            format!("{block}/{name}/{}", n::LEARNING),
            a.to_string(),
            b.to_string(),
        );
    }
    cmp(
        format!("{block}/{}/{}", n::SUMMARY_YEAR, n::CONDUCT),
        stored.conduct.year.to_string(),
        computed.conduct.year.to_string(),
    );
    cmp(
        format!("{block}/{}", n::RETRAINING),
        format!("{:?}", stored.conduct_retraining),
        format!("{:?}", computed.conduct_retraining),
    );
    cmp(
        format!("{block}/{}", n::LEARNING_AFTER_RETAKE),
        opt(stored.learning_after_reassessment),
        opt(computed.learning_after_reassessment),
    );
    cmp(
        format!("{block}/{}", n::PROMOTION),
        stored.promotion.to_string(),
        computed.promotion.to_string(),
    );
    let title = |t: Option<tt22::Title>| {
        t.map_or_else(
            || "(none)".to_string(),
            |t| t.label(stored.rule).to_string(),
        )
    };
    cmp(
        format!("{block}/{}", n::TITLE),
        title(stored.title),
        title(computed.title),
    );
}
