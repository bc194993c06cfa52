//! The boundary between stored rows and the rule engine's inputs: what the store holds
//! for one enrolment becomes a `domain` year to evaluate, and a `domain` year becomes the
//! rows to store. Both directions live here so they cannot drift apart.

use domain::tt22::{
    Comment, Rating, Retake, SemesterScores, StudentYear, SubjectEntry, SubjectMarks, Summer,
};
use domain::tt27::{
    Checkpoint, Competence, Mastery, PrimarySubject, PupilYear, Quality, SubjectLevel, TestScore,
};
use domain::{Date, Level};

use crate::{
    Absences, CommentResult, ConductEntry, ConductRating, QualityItem, QualityRating, RetakeResult,
    RetrainedConduct, Semester, SubjectCode, SubjectScores, SummerRetake, Tt27Level, Tt27Period,
    Tt27Quality, Tt27SubjectEvaluation, YearInputs,
};

/// Why stored inputs do not make a complete year for the rule engine. Every gap is
/// reported, so a homeroom teacher sees all that is missing at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Missing {
    /// A scored subject lacks a semester's mid-term or final score, or the semester.
    #[error("{subject}: semester {semester} has no {what}")]
    Score {
        /// Subject code.
        subject: String,
        /// 1 or 2.
        semester: i16,
        /// `scores`, `mid-term score` or `final score`.
        what: &'static str,
    },
    /// A comment subject lacks a semester's result.
    #[error("{subject}: semester {semester} has no Đạt/Chưa đạt result")]
    CommentResult {
        /// Subject code.
        subject: String,
        /// 1 or 2.
        semester: i16,
    },
    /// A semester's conduct is not entered.
    #[error("conduct of semester {0} is not entered")]
    Conduct(i16),
    /// A primary subject lacks its year-end level.
    #[error("{0}: no year-end level")]
    PrimaryLevel(String),
    /// A stored test score is outside 1–10.
    #[error("{0}: test score outside 1-10")]
    PrimaryTest(String),
}

/// Conduct and learning ratings map one to one.
pub fn rating_from_store(r: ConductRating) -> Rating {
    match r {
        ConductRating::Good => Rating::Tot,
        ConductRating::Fair => Rating::Kha,
        ConductRating::Pass => Rating::Dat,
        ConductRating::Fail => Rating::ChuaDat,
    }
}

/// The stored code of a rating.
pub fn rating_to_store(r: Rating) -> ConductRating {
    match r {
        Rating::Tot => ConductRating::Good,
        Rating::Kha => ConductRating::Fair,
        Rating::Dat => ConductRating::Pass,
        Rating::ChuaDat => ConductRating::Fail,
    }
}

fn level_from_store(l: Tt27Level) -> SubjectLevel {
    match l {
        Tt27Level::Excellent => SubjectLevel::HoanThanhTot,
        Tt27Level::Completed => SubjectLevel::HoanThanh,
        Tt27Level::NotCompleted => SubjectLevel::ChuaHoanThanh,
    }
}

fn level_to_store(l: SubjectLevel) -> Tt27Level {
    match l {
        SubjectLevel::HoanThanhTot => Tt27Level::Excellent,
        SubjectLevel::HoanThanh => Tt27Level::Completed,
        SubjectLevel::ChuaHoanThanh => Tt27Level::NotCompleted,
    }
}

fn mastery_from_store(r: QualityRating) -> Mastery {
    match r {
        QualityRating::Good => Mastery::Tot,
        QualityRating::Pass => Mastery::Dat,
        QualityRating::NeedsEffort => Mastery::CanCoGang,
    }
}

fn mastery_to_store(m: Mastery) -> QualityRating {
    match m {
        Mastery::Tot => QualityRating::Good,
        Mastery::Dat => QualityRating::Pass,
        Mastery::CanCoGang => QualityRating::NeedsEffort,
    }
}

fn subject_code(code: &str) -> SubjectCode {
    code.parse()
        .unwrap_or_else(|_| unreachable!("domain subject codes are upper snake case"))
}

impl YearInputs {
    /// The TT22/TT43 year of this enrolment, or everything that is still missing.
    /// Subjects are taken in code order; a subject with neither scores nor comment
    /// results is not part of the year.
    pub fn secondary_year(&self) -> Result<StudentYear, Vec<Missing>> {
        let mut missing = Vec::new();
        let mut codes: Vec<&str> = self
            .scores
            .iter()
            .map(|s| s.subject.as_str())
            .chain(self.comment_results.iter().map(|c| c.subject.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let mut subjects = Vec::new();
        for code in codes {
            let scored: Vec<&SubjectScores> = self
                .scores
                .iter()
                .filter(|s| s.subject.as_str() == code)
                .collect();
            let marks = if scored.is_empty() {
                let result = |sem: Semester| {
                    self.comment_results
                        .iter()
                        .find(|c| c.subject.as_str() == code && c.semester == sem)
                        .map(|c| {
                            if c.passed {
                                Comment::Dat
                            } else {
                                Comment::ChuaDat
                            }
                        })
                };
                match (result(Semester::First), result(Semester::Second)) {
                    (Some(hk1), Some(hk2)) => SubjectMarks::Commented { hk1, hk2 },
                    (a, b) => {
                        for (sem, r) in [(1, a), (2, b)] {
                            if r.is_none() {
                                missing.push(Missing::CommentResult {
                                    subject: code.into(),
                                    semester: sem,
                                });
                            }
                        }
                        continue;
                    }
                }
            } else {
                let semester = |sem: Semester, missing: &mut Vec<Missing>| {
                    let Some(s) = scored.iter().find(|s| s.semester == sem) else {
                        missing.push(Missing::Score {
                            subject: code.into(),
                            semester: sem.number(),
                            what: "scores",
                        });
                        return None;
                    };
                    let mut gap = |what| {
                        missing.push(Missing::Score {
                            subject: code.into(),
                            semester: sem.number(),
                            what,
                        })
                    };
                    if s.regular.is_empty() {
                        gap("regular scores");
                    }
                    match (s.midterm, s.final_exam) {
                        (Some(midterm), Some(final_term)) if !s.regular.is_empty() => {
                            Some(SemesterScores {
                                regular: s.regular.clone(),
                                midterm,
                                final_term,
                            })
                        }
                        (m, f) => {
                            if m.is_none() {
                                gap("mid-term score");
                            }
                            if f.is_none() {
                                gap("final score");
                            }
                            None
                        }
                    }
                };
                match (
                    semester(Semester::First, &mut missing),
                    semester(Semester::Second, &mut missing),
                ) {
                    (Some(hk1), Some(hk2)) => SubjectMarks::Scored { hk1, hk2 },
                    _ => continue,
                }
            };
            subjects.push(SubjectEntry {
                code: code.to_string(),
                marks,
            });
        }
        let conduct = |sem: Semester, missing: &mut Vec<Missing>| {
            let r = self
                .conduct
                .iter()
                .find(|c| c.semester == sem)
                .map(|c| rating_from_store(c.rating));
            if r.is_none() {
                missing.push(Missing::Conduct(sem.number()));
            }
            r
        };
        let c1 = conduct(Semester::First, &mut missing);
        let c2 = conduct(Semester::Second, &mut missing);
        let (Some(conduct_hk1), Some(conduct_hk2)) = (c1, c2) else {
            return Err(missing);
        };
        if !missing.is_empty() {
            return Err(missing);
        }
        let retakes = self
            .summer_retakes
            .iter()
            .map(|r| {
                let retake = match r.result {
                    RetakeResult::Score(s) => Retake::Score(s),
                    RetakeResult::Passed(true) => Retake::Comment(Comment::Dat),
                    RetakeResult::Passed(false) => Retake::Comment(Comment::ChuaDat),
                };
                (r.subject.as_str().to_string(), retake)
            })
            .collect();
        Ok(StudentYear {
            grade: Some(self.class.grade),
            subjects,
            conduct_hk1,
            conduct_hk2,
            absent_days: self.absences.map(Absences::total).unwrap_or(0),
            summer: Summer {
                retakes,
                conduct_retrained: self.retrained_conduct.map(|r| rating_from_store(r.rating)),
            },
        })
    }

    /// The TT27 year of this enrolment (year-end values), or everything still missing.
    pub fn primary_year(&self) -> Result<PupilYear, Vec<Missing>> {
        let mut missing = Vec::new();
        let mut subjects = Vec::new();
        for e in self
            .tt27_subjects
            .iter()
            .filter(|e| e.period == Tt27Period::YearEnd)
        {
            let code = e.subject.as_str().to_string();
            let Some(level) = e.level else {
                missing.push(Missing::PrimaryLevel(code));
                continue;
            };
            let test = match e.test_score.map(TestScore::new) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(_)) => {
                    missing.push(Missing::PrimaryTest(code));
                    continue;
                }
            };
            subjects.push(PrimarySubject {
                code,
                level: level_from_store(level),
                test,
            });
        }
        let year_end = self
            .tt27_qualities
            .iter()
            .filter(|q| q.period == Tt27Period::YearEnd);
        let mut qualities = Vec::new();
        let mut competences = Vec::new();
        for q in year_end {
            let m = mastery_from_store(q.rating);
            if let Some(quality) = Quality::from_key(q.item.code()) {
                qualities.push((quality, m));
            } else if let Some(competence) = Competence::from_key(q.item.code()) {
                competences.push((competence, m));
            }
        }
        if !missing.is_empty() {
            return Err(missing);
        }
        Ok(PupilYear {
            grade: Some(self.class.grade),
            subjects,
            qualities,
            competences,
            exemplary: self.outstanding.is_some(),
        })
    }

    /// Whether this enrolment is assessed under TT27 (a primary class).
    pub fn is_primary(&self) -> bool {
        self.class.grade.school_level() == Level::Primary
            && self.school_levels.contains(&Level::Primary)
    }
}

/// The rows that store a TT22/TT43 year; summer results get `summer_date`.
#[derive(Debug, Clone, Default)]
pub struct SecondaryRows {
    /// Scores per subject and semester.
    pub scores: Vec<SubjectScores>,
    /// Comment-subject results.
    pub comment_results: Vec<CommentResult>,
    /// Conduct of both semesters.
    pub conduct: Vec<ConductEntry>,
    /// Absences, all counted as excused except a third.
    pub absences: Absences,
    /// Summer re-assessments.
    pub retakes: Vec<SummerRetake>,
    /// Summer training result.
    pub retrained: Option<RetrainedConduct>,
}

/// Splits a TT22/TT43 year into the rows that store it.
pub fn secondary_rows(year: &StudentYear, summer_date: Date) -> SecondaryRows {
    let mut rows = SecondaryRows::default();
    for s in &year.subjects {
        let code = subject_code(&s.code);
        match &s.marks {
            SubjectMarks::Scored { hk1, hk2 } => {
                for (semester, sc) in [(Semester::First, hk1), (Semester::Second, hk2)] {
                    rows.scores.push(SubjectScores {
                        subject: code.clone(),
                        semester,
                        regular: sc.regular.clone(),
                        midterm: Some(sc.midterm),
                        final_exam: Some(sc.final_term),
                    });
                }
            }
            SubjectMarks::Commented { hk1, hk2 } => {
                for (semester, c) in [(Semester::First, hk1), (Semester::Second, hk2)] {
                    rows.comment_results.push(CommentResult {
                        subject: code.clone(),
                        semester,
                        passed: *c == Comment::Dat,
                    });
                }
            }
        }
    }
    rows.conduct = vec![
        ConductEntry {
            semester: Semester::First,
            rating: rating_to_store(year.conduct_hk1),
        },
        ConductEntry {
            semester: Semester::Second,
            rating: rating_to_store(year.conduct_hk2),
        },
    ];
    let days = u16::try_from(year.absent_days).unwrap_or(u16::MAX);
    rows.absences = Absences {
        excused_days: days - days / 3,
        unexcused_days: days / 3,
    };
    rows.retakes = year
        .summer
        .retakes
        .iter()
        .map(|(code, r)| SummerRetake {
            subject: subject_code(code),
            result: match r {
                Retake::Score(s) => RetakeResult::Score(*s),
                Retake::Comment(c) => RetakeResult::Passed(*c == Comment::Dat),
            },
            assessed_on: summer_date,
        })
        .collect();
    rows.retrained = year.summer.conduct_retrained.map(|r| RetrainedConduct {
        rating: rating_to_store(r),
        assessed_on: summer_date,
    });
    rows
}

/// The stored period of a TT27 checkpoint.
pub fn checkpoint_period(checkpoint: Checkpoint) -> Tt27Period {
    match checkpoint {
        Checkpoint::MidSemester1 => Tt27Period::MidFirst,
        Checkpoint::EndSemester1 => Tt27Period::EndFirst,
        Checkpoint::MidSemester2 => Tt27Period::MidSecond,
        Checkpoint::EndOfYear => Tt27Period::YearEnd,
    }
}

/// The row of one primary subject at one checkpoint: its level and periodic test.
pub fn tt27_subject_row(
    code: &str,
    checkpoint: Checkpoint,
    level: SubjectLevel,
    test: Option<TestScore>,
) -> Tt27SubjectEvaluation {
    Tt27SubjectEvaluation {
        subject: subject_code(code),
        period: checkpoint_period(checkpoint),
        level: Some(level_to_store(level)),
        test_score: test.map(TestScore::get),
        comment: None,
    }
}

/// The rows of the qualities and competences rated at `checkpoint` (TT27 rates them at
/// the end of semester I and at the end of the year).
pub fn tt27_rating_rows(
    checkpoint: Checkpoint,
    qualities: &[(Quality, Mastery)],
    competences: &[(Competence, Mastery)],
) -> Vec<Tt27Quality> {
    let item = |key: &str| {
        QualityItem::from_code(key)
            .unwrap_or_else(|| unreachable!("store and domain share the quality keys"))
    };
    qualities
        .iter()
        .map(|(q, m)| (item(q.key()), *m))
        .chain(competences.iter().map(|(c, m)| (item(c.key()), *m)))
        .map(|(item, m)| Tt27Quality {
            item,
            period: checkpoint_period(checkpoint),
            rating: mastery_to_store(m),
        })
        .collect()
}

/// The rows that store a TT27 year (year-end checkpoint).
pub fn primary_rows(year: &PupilYear) -> (Vec<Tt27SubjectEvaluation>, Vec<Tt27Quality>) {
    let subjects = year
        .subjects
        .iter()
        .map(|s| tt27_subject_row(&s.code, Checkpoint::EndOfYear, s.level, s.test))
        .collect();
    let ratings = tt27_rating_rows(Checkpoint::EndOfYear, &year.qualities, &year.competences);
    (subjects, ratings)
}
