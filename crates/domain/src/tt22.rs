//! Assessment of THCS and THPT students under Thông tư 22/2021/TT-BGDĐT, and (with its own
//! rule version, see [`crate::tt43`]) of GDTX learners under Thông tư 43/2021/TT-BGDĐT.
//!
//! Article numbers are given as we read the circular: art. 5 (forms of assessment),
//! art. 7 (number of regular assessments), art. 8 (conduct), art. 9 (subject averages and
//! learning result), art. 12 (completing the grade: promotion), art. 13–14 (summer
//! training and re-assessment), art. 15 (titles). The source text was not at hand when
//! this was written: article numbers are (verify), the rules themselves follow DOMAIN.md.
//!
//! All arithmetic is exact on tenths; averages are rounded half up to one decimal.
//!
//! # Summer results
//!
//! The year-end values ([`YearOutcome::learning`], [`YearOutcome::conduct`], each
//! subject's [`SubjectOutcome::year`]) are always the ones computed from the two
//! semesters and are never overwritten. Summer results are kept beside them:
//! [`SubjectOutcome::retake`], [`YearOutcome::learning_after_retake`] and
//! [`YearOutcome::conduct_after_training`]. Promotion uses the values after summer;
//! titles use the year-end values (they are awarded at the end of the school year).

use std::fmt;
use std::str::FromStr;

use crate::catalogue::{self, AssessmentForm, Subject};
use crate::{Grade, Level, RuleVersion, Score, Tenths};

/// Mức đánh giá of a learning or conduct result (kết quả học tập / kết quả rèn luyện,
/// TT22 art. 8–9): Tốt, Khá, Đạt, Chưa đạt. Ordered from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// Chưa đạt.
    ChuaDat,
    /// Đạt.
    Dat,
    /// Khá.
    Kha,
    /// Tốt.
    Tot,
}

impl Rating {
    /// Every rating, best first.
    pub const ALL: [Rating; 4] = [Rating::Tot, Rating::Kha, Rating::Dat, Rating::ChuaDat];

    /// The Vietnamese label (NFC): `Tốt`, `Khá`, `Đạt`, `Chưa đạt`.
    pub const fn label(self) -> &'static str {
        match self {
            Rating::Tot => "Tốt",
            Rating::Kha => "Khá",
            Rating::Dat => "Đạt",
            Rating::ChuaDat => "Chưa đạt",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A text that is not one of the expected Vietnamese labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label {found:?}: expected one of {expected}")]
pub struct UnknownLabel {
    /// The text found.
    pub found: String,
    /// The accepted labels, quoted and comma-separated.
    pub expected: &'static str,
}

impl FromStr for Rating {
    type Err = UnknownLabel;

    /// Parses the exact NFC label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rating::ALL
            .into_iter()
            .find(|r| r.label() == s)
            .ok_or_else(|| UnknownLabel {
                found: s.to_string(),
                expected: r#""Tốt", "Khá", "Đạt", "Chưa đạt""#,
            })
    }
}

/// Result of a subject assessed by comment only (TT22 art. 5 §1, art. 9 §1): Đạt or Chưa
/// đạt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Comment {
    /// Chưa đạt.
    ChuaDat,
    /// Đạt.
    Dat,
}

impl Comment {
    /// The Vietnamese label (NFC): `Đạt` or `Chưa đạt`.
    pub const fn label(self) -> &'static str {
        match self {
            Comment::Dat => "Đạt",
            Comment::ChuaDat => "Chưa đạt",
        }
    }
}

impl fmt::Display for Comment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Comment {
    type Err = UnknownLabel;

    /// Parses the exact NFC label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Comment::Dat, Comment::ChuaDat]
            .into_iter()
            .find(|c| c.label() == s)
            .ok_or_else(|| UnknownLabel {
                found: s.to_string(),
                expected: r#""Đạt", "Chưa đạt""#,
            })
    }
}

/// Học kì I or II.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Semester {
    /// Học kì I.
    First,
    /// Học kì II.
    Second,
}

impl Semester {
    /// `hk1` or `hk2`, the key used in files.
    pub const fn key(self) -> &'static str {
        match self {
            Semester::First => "hk1",
            Semester::Second => "hk2",
        }
    }
}

/// The scores of one scored subject in one semester (TT22 art. 7): the regular scores
/// ĐĐGtx, the mid-term score ĐĐGgk and the end-of-term score ĐĐGck.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemesterScores {
    /// Điểm đánh giá thường xuyên (ĐĐGtx), in the order taken.
    pub regular: Vec<Score>,
    /// Điểm đánh giá giữa kì (ĐĐGgk).
    pub midterm: Score,
    /// Điểm đánh giá cuối kì (ĐĐGck).
    pub final_term: Score,
}

/// Điểm trung bình môn học kì (TT22 art. 9 §2a):
/// ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (number of ĐĐGtx + 5), rounded half up to one
/// decimal. Always within 0–10.
pub fn semester_average(scores: &SemesterScores) -> Tenths {
    let regular: u64 = scores.regular.iter().map(|s| u64::from(s.tenths())).sum();
    let numerator = regular
        + 2 * u64::from(scores.midterm.tenths())
        + 3 * u64::from(scores.final_term.tenths());
    let denominator = scores.regular.len() as u64 + 5;
    round_mean(numerator, denominator)
}

/// Điểm trung bình môn cả năm (TT22 art. 9 §2b): ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3,
/// computed from the rounded semester averages and rounded half up to one decimal.
pub fn year_average(hk1: Tenths, hk2: Tenths) -> Tenths {
    round_mean(u64::from(hk1.tenths()) + 2 * u64::from(hk2.tenths()), 3)
}

/// The result of one subject for a period: an average (scored subjects) or a comment
/// result (comment-only subjects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// ĐTBmhk or ĐTBmcn, in tenths.
    Average(Tenths),
    /// Đạt / Chưa đạt.
    Comment(Comment),
}

impl fmt::Display for Mark {
    /// `8.0` for an average (always one decimal), the label for a comment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mark::Average(t) => t.fmt(f),
            Mark::Comment(c) => c.fmt(f),
        }
    }
}

/// The number of subjects the learning result and the Xuất sắc title count ("ít nhất 06
/// môn học", TT22 art. 9 §3 and art. 15).
pub const AT_LEAST_SUBJECTS: usize = 6;

/// Kết quả học tập for a semester (on ĐTBmhk) or the year (on ĐTBmcn), TT22 art. 9 §3:
///
/// - Tốt: every comment subject Đạt; every scored subject ≥ 6.5 and at least 6 ≥ 8.0.
/// - Khá: every comment subject Đạt; every scored subject ≥ 5.0 and at least 6 ≥ 6.5.
/// - Đạt: at most one comment subject Chưa đạt; at least 6 scored subjects ≥ 5.0; none
///   below 3.5.
/// - Chưa đạt: otherwise.
pub fn learning_result(marks: &[Mark]) -> Rating {
    let averages: Vec<u32> = marks
        .iter()
        .filter_map(|m| match m {
            Mark::Average(t) => Some(t.tenths()),
            Mark::Comment(_) => None,
        })
        .collect();
    let comments_failed = marks
        .iter()
        .filter(|m| matches!(m, Mark::Comment(Comment::ChuaDat)))
        .count();
    let all_at_least = |tenths: u32| averages.iter().all(|&a| a >= tenths);
    let count_at_least = |tenths: u32| averages.iter().filter(|&&a| a >= tenths).count();

    if comments_failed == 0 && all_at_least(65) && count_at_least(80) >= AT_LEAST_SUBJECTS {
        Rating::Tot
    } else if comments_failed == 0 && all_at_least(50) && count_at_least(65) >= AT_LEAST_SUBJECTS {
        Rating::Kha
    } else if comments_failed <= 1 && count_at_least(50) >= AT_LEAST_SUBJECTS && all_at_least(35) {
        Rating::Dat
    } else {
        Rating::ChuaDat
    }
}

/// Kết quả rèn luyện cả năm from the two semesters (TT22 art. 8 §2):
///
/// - Tốt: II Tốt and I at least Khá.
/// - Khá: II Khá and I at least Đạt; or II Đạt and I Tốt; or II Tốt and I Đạt or Chưa đạt.
/// - Đạt: II Đạt and I Khá, Đạt or Chưa đạt; or II Khá and I Chưa đạt.
/// - Chưa đạt: otherwise, that is whenever II is Chưa đạt.
pub fn year_conduct(hk1: Rating, hk2: Rating) -> Rating {
    use Rating::{ChuaDat, Dat, Kha, Tot};
    match (hk2, hk1) {
        (Tot, Tot | Kha) => Tot,
        (Tot, Dat | ChuaDat) => Kha,
        (Kha, Tot | Kha | Dat) => Kha,
        (Kha, ChuaDat) => Dat,
        (Dat, Tot) => Kha,
        (Dat, Kha | Dat | ChuaDat) => Dat,
        (ChuaDat, _) => ChuaDat,
    }
}

/// The most days a student may be absent in a year (excused and unexcused, together) and
/// still complete the grade (TT22 art. 12 §1c). The circular counts "buổi" (school
/// sessions); Hocba records them as days (verify).
pub const MAX_ABSENT_DAYS: u32 = 45;

/// Why a student does not complete the grade (TT22 art. 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Blocker {
    /// Year conduct (after summer training, if any) is Chưa đạt.
    Conduct,
    /// Year learning result (after re-assessment, if any) is Chưa đạt.
    Learning,
    /// More than [`MAX_ABSENT_DAYS`] days absent.
    Absence,
}

impl Blocker {
    /// A short English key: `conduct`, `learning`, `absence`.
    pub const fn key(self) -> &'static str {
        match self {
            Blocker::Conduct => "conduct",
            Blocker::Learning => "learning",
            Blocker::Absence => "absence",
        }
    }
}

/// What stops a student from completing the grade (lên lớp / hoàn thành chương trình lớp
/// học, TT22 art. 12 §1): conduct below Đạt, learning below Đạt, more than 45 days absent.
/// Empty means promoted. Pass the values after summer training and re-assessment.
pub fn promotion_blockers(conduct: Rating, learning: Rating, absent_days: u32) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    if conduct < Rating::Dat {
        blockers.push(Blocker::Conduct);
    }
    if learning < Rating::Dat {
        blockers.push(Blocker::Learning);
    }
    if absent_days > MAX_ABSENT_DAYS {
        blockers.push(Blocker::Absence);
    }
    blockers
}

/// Danh hiệu khen thưởng at the end of the year (TT22 art. 15; TT43 likewise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Title {
    /// Học sinh Xuất sắc: conduct Tốt, learning Tốt, at least 6 scored subjects with
    /// ĐTBmcn ≥ 9.0.
    Excellent,
    /// Học sinh Giỏi: conduct Tốt and learning Tốt.
    Good,
}

impl Title {
    /// The Vietnamese title. Under TT43 the learner is a học viên, so the title reads
    /// `Học viên Xuất sắc` / `Học viên Giỏi` (verify); otherwise `Học sinh Xuất sắc` /
    /// `Học sinh Giỏi`.
    pub const fn label(self, rule: RuleVersion) -> &'static str {
        let learner_is_hoc_vien = matches!(rule, RuleVersion::Tt43V1);
        match (self, learner_is_hoc_vien) {
            (Title::Excellent, false) => "Học sinh Xuất sắc",
            (Title::Good, false) => "Học sinh Giỏi",
            (Title::Excellent, true) => "Học viên Xuất sắc",
            (Title::Good, true) => "Học viên Giỏi",
        }
    }
}

/// The title earned with year conduct `conduct`, year learning result `learning` and the
/// subjects' year results `year_marks` (TT22 art. 15), or `None`.
pub fn title(conduct: Rating, learning: Rating, year_marks: &[Mark]) -> Option<Title> {
    if conduct != Rating::Tot || learning != Rating::Tot {
        return None;
    }
    let at_least_nine = year_marks
        .iter()
        .filter(|m| matches!(m, Mark::Average(t) if t.tenths() >= 90))
        .count();
    if at_least_nine >= AT_LEAST_SUBJECTS {
        Some(Title::Excellent)
    } else {
        Some(Title::Good)
    }
}

/// Whether a year result must be re-assessed in summer when the learning result is Chưa
/// đạt (TT22 art. 14): a scored subject with ĐTBmcn below 5.0, a comment subject Chưa đạt.
pub fn needs_reassessment(year: Mark) -> bool {
    match year {
        Mark::Average(t) => t.tenths() < 50,
        Mark::Comment(c) => c == Comment::ChuaDat,
    }
}

// ---------------------------------------------------------------------------------------
// One student's year.

/// The assessments of one subject for the year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectMarks {
    /// A scored subject: the scores of each semester.
    Scored {
        /// Semester I.
        hk1: SemesterScores,
        /// Semester II.
        hk2: SemesterScores,
    },
    /// A comment-only subject: each semester's result.
    Commented {
        /// Semester I.
        hk1: Comment,
        /// Semester II.
        hk2: Comment,
    },
}

impl SubjectMarks {
    /// Score or comment.
    pub const fn form(&self) -> AssessmentForm {
        match self {
            SubjectMarks::Scored { .. } => AssessmentForm::Score,
            SubjectMarks::Commented { .. } => AssessmentForm::Comment,
        }
    }
}

/// One subject of a student's year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectEntry {
    /// The subject code. Codes of the [`catalogue`] are checked against it (form, number
    /// of regular scores); other codes are taken as given.
    pub code: String,
    /// The assessments.
    pub marks: SubjectMarks,
}

/// A re-assessment result (kết quả kiểm tra, đánh giá lại, TT22 art. 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retake {
    /// The new score of a scored subject; it replaces the subject's ĐTBmcn.
    Score(Score),
    /// The new result of a comment subject.
    Comment(Comment),
}

impl Retake {
    /// The retake as a year mark.
    pub const fn mark(self) -> Mark {
        match self {
            Retake::Score(s) => Mark::Average(s.value()),
            Retake::Comment(c) => Mark::Comment(c),
        }
    }
}

/// Summer results, entered after the year-end evaluation (TT22 art. 13–14).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Summer {
    /// Re-assessment results by subject code.
    pub retakes: Vec<(String, Retake)>,
    /// Conduct re-assessed after summer training (rèn luyện trong kì nghỉ hè).
    pub conduct_retrained: Option<Rating>,
}

/// Everything the year-end evaluation of one THCS/THPT student (or GDTX learner) needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StudentYear {
    /// The grade, when known: enables the catalogue checks (subject taught in the grade,
    /// number of regular scores).
    pub grade: Option<Grade>,
    /// Every subject studied.
    pub subjects: Vec<SubjectEntry>,
    /// Kết quả rèn luyện học kì I, set by the homeroom teacher.
    pub conduct_hk1: Rating,
    /// Kết quả rèn luyện học kì II.
    pub conduct_hk2: Rating,
    /// Days absent in the year, excused and unexcused.
    pub absent_days: u32,
    /// Summer results, if any.
    pub summer: Summer,
}

/// A value for each semester and the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Terms<T> {
    /// Học kì I.
    pub hk1: T,
    /// Học kì II.
    pub hk2: T,
    /// Cả năm.
    pub year: T,
}

/// The computed results of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectOutcome {
    /// The code as given.
    pub code: String,
    /// The catalogue subject, if the code is known.
    pub subject: Option<Subject>,
    /// ĐTBmhk I / II and ĐTBmcn, or the comment results (year = semester II).
    pub marks: Terms<Mark>,
    /// The re-assessment result that replaced the year mark for the recomputation, if
    /// one was taken. The year mark itself is kept unchanged.
    pub retake: Option<Mark>,
}

/// A summer result that the rules do not provide for and that was therefore not used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Note {
    /// A retake for a subject that was not due for re-assessment (the student's learning
    /// result is not Chưa đạt, conduct is Chưa đạt, or the subject passed).
    RetakeNotApplicable {
        /// The subject code.
        code: String,
    },
    /// Retrained conduct for a student whose year conduct was not Chưa đạt.
    RetrainingNotApplicable,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::RetakeNotApplicable { code } => {
                write!(
                    f,
                    "retake for {code} ignored: the subject was not due for re-assessment"
                )
            }
            Note::RetrainingNotApplicable => {
                f.write_str("conduct_retrained ignored: year conduct was not Chưa đạt")
            }
        }
    }
}

/// The year-end evaluation of one student.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct YearOutcome {
    /// The rule version that computed every value below.
    pub rule: RuleVersion,
    /// Each subject, in input order.
    pub subjects: Vec<SubjectOutcome>,
    /// Kết quả học tập per semester and for the year, before re-assessment.
    pub learning: Terms<Rating>,
    /// The year learning result recomputed with the re-assessment results, when at least
    /// one applied.
    pub learning_after_retake: Option<Rating>,
    /// Kết quả rèn luyện per semester and for the year (from the two semesters).
    pub conduct: Terms<Rating>,
    /// Conduct after summer training, when it applied (year conduct was Chưa đạt).
    pub conduct_after_training: Option<Rating>,
    /// Year conduct Chưa đạt: the student must do summer training (TT22 art. 13).
    pub summer_training: bool,
    /// Codes of the subjects to re-assess (learning Chưa đạt and conduct at least Đạt,
    /// TT22 art. 14), in input order; empty otherwise.
    pub reassessment: Vec<String>,
    /// Why the student does not complete the grade, after summer results; empty when
    /// promoted.
    pub blockers: Vec<Blocker>,
    /// The year-end title, from the year-end values.
    pub title: Option<Title>,
    /// Summer results given but not used.
    pub notes: Vec<Note>,
}

impl YearOutcome {
    /// Lên lớp / hoàn thành chương trình lớp học (TT22 art. 12), after summer results.
    pub fn promoted(&self) -> bool {
        self.blockers.is_empty()
    }

    /// The year conduct that counts for promotion: after summer training if any.
    pub fn final_conduct(&self) -> Rating {
        self.conduct_after_training.unwrap_or(self.conduct.year)
    }

    /// The year learning result that counts for promotion: after re-assessment if any.
    pub fn final_learning(&self) -> Rating {
        self.learning_after_retake.unwrap_or(self.learning.year)
    }
}

/// A problem with the input of [`evaluate`]. All problems are reported at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The rule version is not one this engine computes.
    #[error("rule {0} is not computed by the TT22/TT43 engine")]
    WrongRule(RuleVersion),
    /// The grade is not taught at the rule's level.
    #[error("grade {grade} is not assessed under {rule} (expected 6 to 12)")]
    GradeOutsideLevel {
        /// The grade given.
        grade: Grade,
        /// The rule version.
        rule: RuleVersion,
    },
    /// No subjects at all.
    #[error("no subjects")]
    NoSubjects,
    /// The same subject appears twice.
    #[error("subject {code} appears more than once")]
    DuplicateSubject {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
    },
    /// A catalogue subject that the grade (or the level, when no grade is given) does not
    /// study.
    #[error("subject {code} is not in the {programme} programme")]
    NotInProgramme {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// Which programme, e.g. `grade 10 THPT`.
        programme: String,
    },
    /// Scores given for a comment-only subject or comments for a scored one.
    #[error("subject {code} is assessed by {expected}")]
    WrongForm {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// `score` or `comment`.
        expected: &'static str,
    },
    /// The number of regular scores does not match the subject's periods (TT22 art. 7).
    #[error("subject {code} needs {expected} regular scores (ĐĐGtx) per semester, got {actual}")]
    WrongRegularCount {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// Which semester.
        semester: Semester,
        /// The accepted count(s), e.g. `3` or `3 or 4` (with chuyên đề).
        expected: String,
        /// The count given.
        actual: usize,
    },
    /// A retake for a subject the student does not have.
    #[error("retake for {code}: no such subject in the list")]
    RetakeUnknownSubject {
        /// The code.
        code: String,
    },
    /// A score retake for a comment subject, or a comment retake for a scored one.
    #[error("retake for {code}: the subject is assessed by {expected}")]
    RetakeWrongForm {
        /// The code.
        code: String,
        /// `score` or `comment`.
        expected: &'static str,
    },
    /// The same subject retaken twice.
    #[error("retake for {code} given more than once")]
    DuplicateRetake {
        /// The code.
        code: String,
    },
}

impl Problem {
    /// The position in [`StudentYear::subjects`] the problem is about, if any.
    pub fn subject_index(&self) -> Option<usize> {
        match self {
            Problem::DuplicateSubject { index, .. }
            | Problem::NotInProgramme { index, .. }
            | Problem::WrongForm { index, .. }
            | Problem::WrongRegularCount { index, .. } => Some(*index),
            _ => None,
        }
    }
}

/// Evaluates a year under TT22 ([`RuleVersion::Tt22V1`]).
pub fn evaluate(input: &StudentYear) -> Result<YearOutcome, Vec<Problem>> {
    evaluate_with(RuleVersion::Tt22V1, input)
}

/// Evaluates a year under a score-and-comment rule version (TT22 or TT43): checks the
/// input (every problem at once), then computes subject averages, learning and conduct
/// results, summer obligations, summer results, promotion and title.
pub fn evaluate_with(rule: RuleVersion, input: &StudentYear) -> Result<YearOutcome, Vec<Problem>> {
    let problems = check(rule, input);
    if !problems.is_empty() {
        return Err(problems);
    }

    let subjects: Vec<SubjectOutcome> = input
        .subjects
        .iter()
        .map(|entry| SubjectOutcome {
            code: entry.code.clone(),
            subject: Subject::from_code(&entry.code),
            marks: subject_marks(&entry.marks),
            retake: None,
        })
        .collect();
    let marks_of = |pick: fn(&Terms<Mark>) -> Mark| -> Vec<Mark> {
        subjects.iter().map(|s| pick(&s.marks)).collect()
    };
    let learning = Terms {
        hk1: learning_result(&marks_of(|t| t.hk1)),
        hk2: learning_result(&marks_of(|t| t.hk2)),
        year: learning_result(&marks_of(|t| t.year)),
    };
    let conduct = Terms {
        hk1: input.conduct_hk1,
        hk2: input.conduct_hk2,
        year: year_conduct(input.conduct_hk1, input.conduct_hk2),
    };
    let year_marks = marks_of(|t| t.year);
    let title = title(conduct.year, learning.year, &year_marks);

    let summer_training = conduct.year == Rating::ChuaDat;
    let reassessment_due = learning.year == Rating::ChuaDat && conduct.year >= Rating::Dat;
    let reassessment: Vec<String> = if reassessment_due {
        subjects
            .iter()
            .filter(|s| needs_reassessment(s.marks.year))
            .map(|s| s.code.clone())
            .collect()
    } else {
        Vec::new()
    };

    let mut notes = Vec::new();
    let mut subjects = subjects;
    let mut retook = false;
    for (code, retake) in &input.summer.retakes {
        let key = subject_key(code);
        let target = subjects
            .iter_mut()
            .find(|s| subject_key(&s.code) == key && reassessment.contains(&s.code));
        match target {
            Some(s) => {
                s.retake = Some(retake.mark());
                retook = true;
            }
            None => notes.push(Note::RetakeNotApplicable { code: code.clone() }),
        }
    }
    let learning_after_retake = retook.then(|| {
        let marks: Vec<Mark> = subjects
            .iter()
            .map(|s| s.retake.unwrap_or(s.marks.year))
            .collect();
        learning_result(&marks)
    });

    let conduct_after_training = match input.summer.conduct_retrained {
        Some(r) if summer_training => Some(r),
        Some(_) => {
            notes.push(Note::RetrainingNotApplicable);
            None
        }
        None => None,
    };

    let blockers = promotion_blockers(
        conduct_after_training.unwrap_or(conduct.year),
        learning_after_retake.unwrap_or(learning.year),
        input.absent_days,
    );

    Ok(YearOutcome {
        rule,
        subjects,
        learning,
        learning_after_retake,
        conduct,
        conduct_after_training,
        summer_training,
        reassessment,
        blockers,
        title,
        notes,
    })
}

/// Rounds the exact mean `numerator / denominator` (in tenths) half up to a tenth.
/// Callers pass a weighted mean of scores of at most 10.0 with a denominator of at least
/// 3, so the quotient is at most 100 and fits a `u32`.
fn round_mean(numerator: u64, denominator: u64) -> Tenths {
    let rounded = (2 * numerator + denominator) / (2 * denominator);
    Tenths::from_tenths(u32::try_from(rounded).unwrap_or(u32::MAX))
}

fn subject_marks(marks: &SubjectMarks) -> Terms<Mark> {
    match marks {
        SubjectMarks::Scored { hk1, hk2 } => {
            let a1 = semester_average(hk1);
            let a2 = semester_average(hk2);
            Terms {
                hk1: Mark::Average(a1),
                hk2: Mark::Average(a2),
                year: Mark::Average(year_average(a1, a2)),
            }
        }
        // TT22 art. 9 §1b: the year result of a comment subject is the semester II result.
        SubjectMarks::Commented { hk1, hk2 } => Terms {
            hk1: Mark::Comment(*hk1),
            hk2: Mark::Comment(*hk2),
            year: Mark::Comment(*hk2),
        },
    }
}

/// Codes compare through the catalogue so that an alias (`TIENG_ANH`) and its code
/// (`NGOAI_NGU_1`) name the same subject.
fn subject_key(code: &str) -> &str {
    Subject::from_code(code).map_or(code, |s| s.code())
}

fn form_word(form: AssessmentForm) -> &'static str {
    match form {
        AssessmentForm::Score => "score",
        AssessmentForm::Comment => "comment",
        AssessmentForm::CompletionLevel => "completion level",
    }
}

fn check(rule: RuleVersion, input: &StudentYear) -> Vec<Problem> {
    let mut problems = Vec::new();
    let level = match rule {
        RuleVersion::Tt22V1 => input.grade.map(Grade::school_level),
        RuleVersion::Tt43V1 => Some(Level::Continuing),
        other => {
            problems.push(Problem::WrongRule(other));
            return problems;
        }
    };
    // Programme of the grade, when the grade is known and belongs to the rule's level.
    let mut programme = None;
    if let (Some(grade), Some(level)) = (input.grade, level) {
        if grade.get() < 6 {
            problems.push(Problem::GradeOutsideLevel { grade, rule });
        } else {
            programme = catalogue::programme(level, grade)
                .map(|p| (p, format!("grade {grade} {}", level.code())));
        }
    }
    if input.subjects.is_empty() {
        problems.push(Problem::NoSubjects);
    }

    let mut seen: Vec<&str> = Vec::new();
    for (index, entry) in input.subjects.iter().enumerate() {
        let key = subject_key(&entry.code);
        if seen.contains(&key) {
            problems.push(Problem::DuplicateSubject {
                index,
                code: entry.code.clone(),
            });
        }
        seen.push(key);

        let offering = match catalogue_offering(rule, programme.as_ref(), index, entry) {
            Ok(offering) => offering,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if let SubjectMarks::Scored { hk1, hk2 } = &entry.marks {
            for (semester, scores) in [(Semester::First, hk1), (Semester::Second, hk2)] {
                let n = scores.regular.len();
                let ok = match offering {
                    Some(o) => o.allows_regular_count(n),
                    None => n > 0,
                };
                if !ok {
                    problems.push(Problem::WrongRegularCount {
                        index,
                        code: entry.code.clone(),
                        semester,
                        expected: expected_counts(offering),
                        actual: n,
                    });
                }
            }
        }
    }

    let mut retaken: Vec<&str> = Vec::new();
    for (code, retake) in &input.summer.retakes {
        let key = subject_key(code);
        if retaken.contains(&key) {
            problems.push(Problem::DuplicateRetake { code: code.clone() });
            continue;
        }
        retaken.push(key);
        match input.subjects.iter().find(|s| subject_key(&s.code) == key) {
            None => problems.push(Problem::RetakeUnknownSubject { code: code.clone() }),
            Some(entry) => {
                let form = entry.marks.form();
                let retake_form = match retake {
                    Retake::Score(_) => AssessmentForm::Score,
                    Retake::Comment(_) => AssessmentForm::Comment,
                };
                if form != retake_form {
                    problems.push(Problem::RetakeWrongForm {
                        code: code.clone(),
                        expected: form_word(form),
                    });
                }
            }
        }
    }
    problems
}

/// The catalogue offering that governs a subject's checks: `Ok(Some)` when the grade's
/// programme is known and has the subject, `Ok(None)` when the subject is outside the
/// catalogue or no grade was given (any non-empty list of regular scores is accepted),
/// `Err` when the catalogue says the subject is not taught or is assessed otherwise.
fn catalogue_offering(
    rule: RuleVersion,
    programme: Option<&(Vec<catalogue::Offering>, String)>,
    index: usize,
    entry: &SubjectEntry,
) -> Result<Option<catalogue::Offering>, Problem> {
    let Some(subject) = Subject::from_code(&entry.code) else {
        return Ok(None);
    };
    let code = entry.code.clone();
    let (form, offering) = match programme {
        Some((list, name)) => match list.iter().find(|o| o.subject == subject) {
            Some(o) => (o.form, Some(*o)),
            None => {
                return Err(Problem::NotInProgramme {
                    index,
                    code,
                    programme: name.clone(),
                });
            }
        },
        None => match subject.secondary_form() {
            Some(form) => (form, None),
            None => {
                let name = if rule == RuleVersion::Tt43V1 {
                    "GDTX"
                } else {
                    "THCS/THPT"
                };
                return Err(Problem::NotInProgramme {
                    index,
                    code,
                    programme: name.to_string(),
                });
            }
        },
    };
    if form != entry.marks.form() {
        return Err(Problem::WrongForm {
            index,
            code,
            expected: form_word(form),
        });
    }
    Ok(offering)
}

/// The accepted number(s) of regular scores, for messages.
fn expected_counts(offering: Option<catalogue::Offering>) -> String {
    match offering {
        None => "at least 1".to_string(),
        Some(o) => match o.regular_assessments_with_topics() {
            Some(with) if with != o.regular_assessments() => {
                format!(
                    "{} (or {} with chuyên đề học tập)",
                    o.regular_assessments(),
                    with
                )
            }
            _ => o.regular_assessments().to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(text: &str) -> Tenths {
        text.parse::<Score>().unwrap().value()
    }

    fn s(text: &str) -> Score {
        text.parse().unwrap()
    }

    fn scores(tx: &[&str], gk: &str, ck: &str) -> SemesterScores {
        SemesterScores {
            regular: tx.iter().map(|x| s(x)).collect(),
            midterm: s(gk),
            final_term: s(ck),
        }
    }

    fn avg(text: &str) -> Mark {
        Mark::Average(t(text))
    }

    const DAT: Mark = Mark::Comment(Comment::Dat);
    const CHUA_DAT: Mark = Mark::Comment(Comment::ChuaDat);

    /// A mark list: the given averages followed by comment marks.
    fn marks(averages: &[&str], comments: &[Mark]) -> Vec<Mark> {
        averages
            .iter()
            .map(|a| avg(a))
            .chain(comments.iter().copied())
            .collect()
    }

    // --- art. 9 §2: averages ------------------------------------------------------------

    #[test]
    fn tt22_art9_semester_average_table() {
        let check = |tx: &[&str], gk, ck, expected: &str| {
            assert_eq!(
                semester_average(&scores(tx, gk, ck)).to_string(),
                expected,
                "tx {tx:?} gk {gk} ck {ck}"
            );
        };
        // The issue's example: (8+7.5+9+8 + 2·7 + 3·8.5) / 9 = 72 / 9 = 8.0.
        check(&["8", "7.5", "9", "8"], "7", "8.5", "8.0");
        // (9+8+8+7 + 16 + 27) / 9 = 75 / 9 = 8.333… → 8.3.
        check(&["9", "8", "8", "7"], "8", "9", "8.3");
        // Two regular scores: (7+8 + 2·6 + 3·7) / 7 = 48 / 7 = 6.857… → 6.9.
        check(&["7", "8"], "6", "7", "6.9");
        // Three regular scores: (5+6+7 + 2·5 + 3·5) / 8 = 43 / 8 = 5.375 → 5.4.
        check(&["5", "6", "7"], "5", "5", "5.4");
        // (8+8.5 + 2·8 + 3·8) / 7 = 56.5 / 7 = 8.071… → 8.1.
        check(&["8", "8.5"], "8", "8", "8.1");
        // (6+7+7.5 + 2·6 + 3·6) / 8 = 50.5 / 8 = 6.3125 → 6.3.
        check(&["6", "7", "7.5"], "6", "6", "6.3");
        // An exact half is rounded up: (8+8+8.4 + 2·8 + 3·8) / 8 = 64.4 / 8 = 8.05 → 8.1.
        check(&["8", "8", "8.4"], "8", "8", "8.1");
        // Just below the half: (8+8+8.2 + 2·8 + 3·8) / 8 = 64.2 / 8 = 8.025 → 8.0.
        check(&["8", "8", "8.2"], "8", "8", "8.0");
        // One regular score (denominator 6) can also halve: (8.3 + 2·8 + 3·8) / 6 = 48.3 / 6 = 8.05 → 8.1.
        check(&["8.3"], "8", "8", "8.1");
        check(&["0", "0"], "0", "0", "0.0");
        check(&["10", "10", "10", "10"], "10", "10", "10.0");
    }

    #[test]
    fn tt22_art9_year_average_from_rounded_semesters() {
        let check = |hk1, hk2, expected: &str| {
            assert_eq!(
                year_average(t(hk1), t(hk2)).to_string(),
                expected,
                "hk1 {hk1} hk2 {hk2}"
            );
        };
        check("8.0", "8.3", "8.2"); // 24.6 / 3 = 8.2
        check("6.0", "7.0", "6.7"); // 20 / 3 = 6.666…
        check("7.0", "6.0", "6.3"); // 19 / 3 = 6.333…
        check("6.4", "6.6", "6.5"); // 19.6 / 3 = 6.533…
        check("4.9", "5.0", "5.0"); // 14.9 / 3 = 4.966…
        check("3.4", "3.6", "3.5"); // 10.6 / 3 = 3.533…
        check("3.3", "3.6", "3.5"); // 10.5 / 3 = 3.5
        check("10.0", "10.0", "10.0");
        check("0.0", "0.0", "0.0");
    }

    #[test]
    fn tt22_art9_year_comment_is_semester_two() {
        let m = subject_marks(&SubjectMarks::Commented {
            hk1: Comment::ChuaDat,
            hk2: Comment::Dat,
        });
        assert_eq!(m.year, DAT);
        let m = subject_marks(&SubjectMarks::Commented {
            hk1: Comment::Dat,
            hk2: Comment::ChuaDat,
        });
        assert_eq!(m.year, CHUA_DAT);
    }

    // --- art. 9 §3: learning result -----------------------------------------------------

    fn check_learning(averages: &[&str], comments: &[Mark], expected: Rating) {
        assert_eq!(
            learning_result(&marks(averages, comments)),
            expected,
            "{averages:?} {comments:?}"
        );
    }

    #[test]
    fn tt22_art9_learning_tot_boundaries() {
        let c = [DAT, DAT, DAT, DAT];
        check_learning(
            &["8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.5"],
            &c,
            Rating::Tot,
        );
        // one subject 6.4 instead of 6.5 → not Tốt; all ≥ 5.0 and ≥ 6 at 6.5 → Khá
        check_learning(
            &["8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.4"],
            &c,
            Rating::Kha,
        );
        // only 5 subjects ≥ 8.0 → Khá
        check_learning(
            &["8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5", "6.5"],
            &c,
            Rating::Kha,
        );
        // a comment subject Chưa đạt forbids Tốt and Khá
        check_learning(
            &["9.0", "9.0", "9.0", "9.0", "9.0", "9.0", "9.0", "9.0"],
            &[DAT, CHUA_DAT],
            Rating::Dat,
        );
    }

    #[test]
    fn tt22_art9_learning_kha_boundaries() {
        let c = [DAT, DAT];
        check_learning(
            &["6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "5.0"],
            &c,
            Rating::Kha,
        );
        check_learning(
            &["6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0", "5.0"],
            &c,
            Rating::Dat,
        );
        check_learning(
            &["6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "4.9"],
            &c,
            Rating::Dat,
        );
    }

    #[test]
    fn tt22_art9_learning_dat_boundaries() {
        let c = [DAT, DAT];
        check_learning(
            &["5.0", "5.0", "5.0", "5.0", "5.0", "5.0", "3.5", "3.5"],
            &c,
            Rating::Dat,
        );
        // one subject below 3.5 → Chưa đạt
        check_learning(
            &["5.0", "5.0", "5.0", "5.0", "5.0", "5.0", "3.5", "3.4"],
            &c,
            Rating::ChuaDat,
        );
        // at least 6 subjects ≥ 5.0: 5 is not enough
        check_learning(
            &["5.0", "5.0", "5.0", "5.0", "5.0", "4.9", "4.0", "4.0"],
            &c,
            Rating::ChuaDat,
        );
        // one comment subject Chưa đạt is allowed for Đạt, two are not
        check_learning(
            &["9.0", "9.0", "9.0", "9.0", "9.0", "9.0"],
            &[CHUA_DAT, DAT],
            Rating::Dat,
        );
        check_learning(
            &["9.0", "9.0", "9.0", "9.0", "9.0", "9.0"],
            &[CHUA_DAT, CHUA_DAT],
            Rating::ChuaDat,
        );
    }

    #[test]
    fn tt22_art9_at_least_six_subjects_five_vs_six() {
        // Six scored subjects all 9.0: Tốt. Five: not even Đạt.
        check_learning(&["9.0"; 6], &[DAT], Rating::Tot);
        check_learning(&["9.0"; 5], &[DAT], Rating::ChuaDat);
        // Five ≥ 8.0 out of eight, the rest ≥ 6.5 and ≥ 6 at 6.5 → Khá, six → Tốt.
        check_learning(
            &["8.0", "8.0", "8.0", "8.0", "8.0", "7.0", "7.0", "7.0"],
            &[],
            Rating::Kha,
        );
        check_learning(
            &["8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "7.0", "7.0"],
            &[],
            Rating::Tot,
        );
        // Five ≥ 6.5 → Đạt, six → Khá.
        check_learning(
            &["6.5", "6.5", "6.5", "6.5", "6.5", "6.0", "6.0", "6.0"],
            &[],
            Rating::Dat,
        );
        check_learning(
            &["6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "6.0", "6.0"],
            &[],
            Rating::Kha,
        );
    }

    // --- art. 8 §2: year conduct, all 16 combinations ------------------------------------

    #[test]
    fn tt22_art8_year_conduct_all_sixteen_combinations() {
        use Rating::{ChuaDat as C, Dat as D, Kha as K, Tot as T};
        // (hk1, hk2, year)
        let table = [
            (T, T, T),
            (K, T, T),
            (D, T, K),
            (C, T, K),
            (T, K, K),
            (K, K, K),
            (D, K, K),
            (C, K, D),
            (T, D, K),
            (K, D, D),
            (D, D, D),
            (C, D, D),
            (T, C, C),
            (K, C, C),
            (D, C, C),
            (C, C, C),
        ];
        for (hk1, hk2, year) in table {
            assert_eq!(year_conduct(hk1, hk2), year, "hk1 {hk1} hk2 {hk2}");
        }
    }

    // --- art. 12: promotion ---------------------------------------------------------------

    #[test]
    fn tt22_art12_promotion_conduct_learning_and_45_days() {
        use Rating::*;
        assert_eq!(promotion_blockers(Dat, Dat, 45), []);
        assert_eq!(promotion_blockers(Dat, Dat, 46), [Blocker::Absence]);
        assert_eq!(promotion_blockers(ChuaDat, Tot, 0), [Blocker::Conduct]);
        assert_eq!(promotion_blockers(Tot, ChuaDat, 0), [Blocker::Learning]);
        assert_eq!(
            promotion_blockers(ChuaDat, ChuaDat, 50),
            [Blocker::Conduct, Blocker::Learning, Blocker::Absence]
        );
        assert_eq!(promotion_blockers(Tot, Tot, 0), []);
    }

    // --- art. 15: titles ------------------------------------------------------------------

    #[test]
    fn tt22_art15_titles_and_the_nine_boundary() {
        use Rating::*;
        let six_nines = marks(
            &["9.0", "9.0", "9.0", "9.0", "9.0", "9.0", "8.0", "8.0"],
            &[DAT],
        );
        let five_nines = marks(
            &["9.0", "9.0", "9.0", "9.0", "9.0", "8.9", "8.0", "8.0"],
            &[DAT],
        );
        assert_eq!(title(Tot, Tot, &six_nines), Some(Title::Excellent));
        assert_eq!(title(Tot, Tot, &five_nines), Some(Title::Good));
        assert_eq!(title(Kha, Tot, &six_nines), None);
        assert_eq!(title(Tot, Kha, &six_nines), None);
        assert_eq!(
            Title::Excellent.label(RuleVersion::Tt22V1),
            "Học sinh Xuất sắc"
        );
        assert_eq!(Title::Good.label(RuleVersion::Tt22V1), "Học sinh Giỏi");
        assert_eq!(Title::Good.label(RuleVersion::Tt43V1), "Học viên Giỏi");
    }

    // --- whole-year evaluation --------------------------------------------------------------

    /// A grade-8 THCS student with valid defaults: every scored subject 8.0 in both
    /// semesters, comment subjects Đạt, conduct Tốt/Tốt, no absence.
    struct StudentBuilder {
        year: StudentYear,
    }

    impl StudentBuilder {
        fn thcs() -> Self {
            let grade = Grade::new(8).unwrap();
            let subjects = catalogue::programme(Level::LowerSecondary, grade)
                .unwrap()
                .into_iter()
                .filter(|o| o.status == catalogue::Status::Compulsory)
                .map(|o| SubjectEntry {
                    code: o.subject.code().to_string(),
                    marks: match o.form {
                        AssessmentForm::Score => {
                            let n = o.regular_assessments() as usize;
                            let sem = SemesterScores {
                                regular: vec![s("8"); n],
                                midterm: s("8"),
                                final_term: s("8"),
                            };
                            SubjectMarks::Scored {
                                hk1: sem.clone(),
                                hk2: sem,
                            }
                        }
                        _ => SubjectMarks::Commented {
                            hk1: Comment::Dat,
                            hk2: Comment::Dat,
                        },
                    },
                })
                .collect();
            StudentBuilder {
                year: StudentYear {
                    grade: Some(grade),
                    subjects,
                    conduct_hk1: Rating::Tot,
                    conduct_hk2: Rating::Tot,
                    absent_days: 0,
                    summer: Summer::default(),
                },
            }
        }

        /// Sets every score of a scored subject to `value` (both semesters).
        fn all_scores(mut self, code: &str, value: &str) -> Self {
            for e in &mut self.year.subjects {
                if let (true, SubjectMarks::Scored { hk1, hk2 }) = (e.code == code, &mut e.marks) {
                    for sem in [hk1, hk2] {
                        sem.regular.iter_mut().for_each(|x| *x = s(value));
                        sem.midterm = s(value);
                        sem.final_term = s(value);
                    }
                }
            }
            self
        }

        fn comment(mut self, code: &str, hk1: Comment, hk2: Comment) -> Self {
            for e in &mut self.year.subjects {
                if e.code == code {
                    e.marks = SubjectMarks::Commented { hk1, hk2 };
                }
            }
            self
        }

        fn conduct(mut self, hk1: Rating, hk2: Rating) -> Self {
            self.year.conduct_hk1 = hk1;
            self.year.conduct_hk2 = hk2;
            self
        }

        fn absent(mut self, days: u32) -> Self {
            self.year.absent_days = days;
            self
        }

        fn retake(mut self, code: &str, r: Retake) -> Self {
            self.year.summer.retakes.push((code.to_string(), r));
            self
        }

        fn retrained(mut self, r: Rating) -> Self {
            self.year.summer.conduct_retrained = Some(r);
            self
        }

        fn eval(&self) -> YearOutcome {
            evaluate(&self.year).unwrap()
        }
    }

    #[test]
    fn tt22_art9_good_student_all_eights_is_hoc_sinh_gioi() {
        let o = StudentBuilder::thcs().eval();
        assert_eq!(o.rule, RuleVersion::Tt22V1);
        assert_eq!(
            o.learning,
            Terms {
                hk1: Rating::Tot,
                hk2: Rating::Tot,
                year: Rating::Tot
            }
        );
        assert_eq!(o.title, Some(Title::Good));
        assert!(o.promoted());
        assert!(!o.summer_training);
        assert!(o.reassessment.is_empty());
        assert!(o.notes.is_empty());
    }

    #[test]
    fn tt22_art15_six_subjects_at_nine_is_xuat_sac() {
        let mut b = StudentBuilder::thcs();
        for code in [
            "TOAN",
            "NGU_VAN",
            "NGOAI_NGU_1",
            "GDCD",
            "LICH_SU_DIA_LI",
            "KHTN",
        ] {
            b = b.all_scores(code, "9");
        }
        assert_eq!(b.eval().title, Some(Title::Excellent));
        let b = b.all_scores("KHTN", "8.9");
        assert_eq!(b.eval().title, Some(Title::Good));
    }

    #[test]
    fn tt22_art12_absence_45_promoted_46_not() {
        assert!(StudentBuilder::thcs().absent(45).eval().promoted());
        let o = StudentBuilder::thcs().absent(46).eval();
        assert!(!o.promoted());
        assert_eq!(o.blockers, [Blocker::Absence]);
        // The title is still awarded on year-end results.
        assert_eq!(o.title, Some(Title::Good));
    }

    #[test]
    fn tt22_art9_one_comment_subject_chua_dat_gives_dat() {
        let o = StudentBuilder::thcs()
            .comment("GDTC", Comment::Dat, Comment::ChuaDat)
            .eval();
        assert_eq!(o.learning.hk1, Rating::Tot);
        assert_eq!(o.learning.hk2, Rating::Dat);
        assert_eq!(o.learning.year, Rating::Dat);
        assert_eq!(o.title, None);
        assert!(o.promoted());
        assert!(o.reassessment.is_empty());
    }

    #[test]
    fn tt22_art14_reassessment_list_and_retake_replaces_the_year_average() {
        // Three subjects below 5.0: only 5 of 8 scored subjects reach 5.0 → Chưa đạt.
        let b = StudentBuilder::thcs()
            .all_scores("TOAN", "4")
            .all_scores("KHTN", "4.5")
            .all_scores("NGOAI_NGU_1", "3.5")
            .comment("NGHE_THUAT", Comment::Dat, Comment::ChuaDat);
        let o = b.eval();
        assert_eq!(o.learning.year, Rating::ChuaDat);
        assert_eq!(
            o.reassessment,
            ["TOAN", "NGOAI_NGU_1", "KHTN", "NGHE_THUAT"]
        );
        assert!(!o.promoted());
        assert_eq!(o.blockers, [Blocker::Learning]);

        // Retakes in two of the subjects bring six subjects to ≥ 5.0: Đạt.
        let o = b
            .clone_with(|b| {
                b.retake("TOAN", Retake::Score(s("6")))
                    .retake("KHTN", Retake::Score(s("5.0")))
            })
            .eval();
        let toan = o.subjects.iter().find(|x| x.code == "TOAN").unwrap();
        assert_eq!(toan.marks.year, avg("4.0"));
        assert_eq!(toan.retake, Some(avg("6.0")));
        assert_eq!(o.learning.year, Rating::ChuaDat);
        assert_eq!(o.learning_after_retake, Some(Rating::Dat));
        assert!(o.promoted());
        assert_eq!(o.final_learning(), Rating::Dat);

        // A retake that stays below 5.0 keeps the student at Chưa đạt.
        let o = b
            .clone_with(|b| b.retake("TOAN", Retake::Score(s("4.9"))))
            .eval();
        assert_eq!(o.learning_after_retake, Some(Rating::ChuaDat));
        assert!(!o.promoted());
    }

    #[test]
    fn tt22_art14_retake_of_a_passed_subject_is_noted_not_used() {
        let o = StudentBuilder::thcs()
            .retake("TOAN", Retake::Score(s("6")))
            .eval();
        assert_eq!(o.learning_after_retake, None);
        assert_eq!(
            o.notes,
            [Note::RetakeNotApplicable {
                code: "TOAN".into()
            }]
        );
        assert_eq!(o.subjects[1].retake, None);
    }

    #[test]
    fn tt22_art13_summer_training_then_retrained_conduct_replaces_year_conduct() {
        let b = StudentBuilder::thcs().conduct(Rating::Kha, Rating::ChuaDat);
        let o = b.eval();
        assert_eq!(o.conduct.year, Rating::ChuaDat);
        assert!(o.summer_training);
        assert!(!o.promoted());
        assert_eq!(o.title, None);

        let o = b.clone_with(|b| b.retrained(Rating::Dat)).eval();
        assert_eq!(o.conduct.year, Rating::ChuaDat);
        assert_eq!(o.conduct_after_training, Some(Rating::Dat));
        assert!(o.promoted());

        let o = b.clone_with(|b| b.retrained(Rating::ChuaDat)).eval();
        assert!(!o.promoted());
        assert_eq!(o.blockers, [Blocker::Conduct]);

        let o = StudentBuilder::thcs().retrained(Rating::Dat).eval();
        assert_eq!(o.conduct_after_training, None);
        assert_eq!(o.notes, [Note::RetrainingNotApplicable]);
    }

    #[test]
    fn tt22_art14_no_reassessment_when_conduct_is_chua_dat() {
        let o = StudentBuilder::thcs()
            .all_scores("TOAN", "2")
            .all_scores("KHTN", "2")
            .all_scores("GDCD", "2")
            .conduct(Rating::ChuaDat, Rating::ChuaDat)
            .eval();
        assert_eq!(o.learning.year, Rating::ChuaDat);
        assert!(o.summer_training);
        assert!(o.reassessment.is_empty());
    }

    #[test]
    fn tt22_art7_input_problems_are_all_reported() {
        let mut b = StudentBuilder::thcs();
        // TOAN (140 periods) needs 4 regular scores; give 3 in semester I and 5 in II.
        if let SubjectMarks::Scored { hk1, hk2 } = &mut b.year.subjects[1].marks {
            hk1.regular.pop();
            hk2.regular.push(s("5"));
        }
        // GDTC with scores, a primary-only subject, a duplicate, an unknown retake.
        b.year.subjects[8].marks = b.year.subjects[0].marks.clone();
        b.year.subjects.push(SubjectEntry {
            code: "TIENG_VIET".into(),
            marks: SubjectMarks::Commented {
                hk1: Comment::Dat,
                hk2: Comment::Dat,
            },
        });
        b.year.subjects.push(b.year.subjects[0].clone());
        b = b
            .retake("HOA_HOC", Retake::Score(s("5")))
            .retake("GDDP", Retake::Score(s("5")));
        let problems = evaluate(&b.year).unwrap_err();
        let texts: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            texts,
            [
                "subject TOAN needs 4 regular scores (ĐĐGtx) per semester, got 3",
                "subject TOAN needs 4 regular scores (ĐĐGtx) per semester, got 5",
                "subject GDTC is assessed by comment",
                "subject TIENG_VIET is not in the grade 8 THCS programme",
                "subject NGU_VAN appears more than once",
                "retake for HOA_HOC: no such subject in the list",
                "retake for GDDP: the subject is assessed by comment",
            ]
        );
        assert_eq!(problems[0].subject_index(), Some(1));
    }

    #[test]
    fn tt22_art7_thpt_accepts_counts_with_and_without_chuyen_de() {
        let sem = |n| SemesterScores {
            regular: vec![s("7"); n],
            midterm: s("7"),
            final_term: s("7"),
        };
        let input = |n| StudentYear {
            grade: Some(Grade::new(11).unwrap()),
            subjects: vec![SubjectEntry {
                code: "VAT_LI".into(),
                marks: SubjectMarks::Scored {
                    hk1: sem(n),
                    hk2: sem(n),
                },
            }],
            conduct_hk1: Rating::Tot,
            conduct_hk2: Rating::Tot,
            absent_days: 0,
            summer: Summer::default(),
        };
        assert!(evaluate(&input(3)).is_ok());
        assert!(evaluate(&input(4)).is_ok());
        let err = evaluate(&input(2)).unwrap_err();
        assert_eq!(
            err[0].to_string(),
            "subject VAT_LI needs 3 (or 4 with chuyên đề học tập) regular scores (ĐĐGtx) per semester, got 2"
        );
    }

    #[test]
    fn unknown_codes_are_accepted_with_any_nonempty_regular_list() {
        let sem = |n| SemesterScores {
            regular: vec![s("7"); n],
            midterm: s("7"),
            final_term: s("7"),
        };
        let mut input = StudentBuilder::thcs().year;
        input.subjects.push(SubjectEntry {
            code: "NHAC_CU".into(),
            marks: SubjectMarks::Scored {
                hk1: sem(7),
                hk2: sem(1),
            },
        });
        assert!(evaluate(&input).is_ok());
        input.subjects.push(SubjectEntry {
            code: "KHAC".into(),
            marks: SubjectMarks::Scored {
                hk1: sem(0),
                hk2: sem(1),
            },
        });
        assert_eq!(evaluate(&input).unwrap_err().len(), 1);
    }

    impl StudentBuilder {
        fn clone_with(&self, f: impl FnOnce(StudentBuilder) -> StudentBuilder) -> StudentBuilder {
            f(StudentBuilder {
                year: self.year.clone(),
            })
        }
    }

    // --- properties -----------------------------------------------------------------------

    fn score() -> impl Strategy<Value = Score> {
        (0u32..=100).prop_map(|t| Score::from_tenths(t).unwrap())
    }

    fn semester() -> impl Strategy<Value = SemesterScores> {
        (proptest::collection::vec(score(), 1..=4), score(), score()).prop_map(
            |(regular, midterm, final_term)| SemesterScores {
                regular,
                midterm,
                final_term,
            },
        )
    }

    proptest! {
        #[test]
        fn tt22_art9_averages_stay_within_0_and_10(a in semester(), b in semester()) {
            let a1 = semester_average(&a);
            let a2 = semester_average(&b);
            prop_assert!(a1.tenths() <= 100 && a2.tenths() <= 100);
            prop_assert!(year_average(a1, a2).tenths() <= 100);
        }

        #[test]
        fn tt22_art9_semester_average_is_monotonic_in_each_score(
            sem in semester(), which in 0usize..6, bump in 0u32..=100,
        ) {
            let before = semester_average(&sem);
            let mut raised = sem.clone();
            let slot = match which {
                0 => &mut raised.midterm,
                1 => &mut raised.final_term,
                i => {
                    let n = raised.regular.len();
                    &mut raised.regular[(i - 2) % n]
                }
            };
            *slot = Score::from_tenths((slot.tenths() + bump).min(100)).unwrap();
            prop_assert!(semester_average(&raised) >= before);
        }

        #[test]
        fn tt22_art9_year_average_is_monotonic(a in 0u32..=100, b in 0u32..=100, bump in 0u32..=100) {
            let y = year_average(Tenths::from_tenths(a), Tenths::from_tenths(b));
            let up1 = year_average(Tenths::from_tenths((a + bump).min(100)), Tenths::from_tenths(b));
            let up2 = year_average(Tenths::from_tenths(a), Tenths::from_tenths((b + bump).min(100)));
            prop_assert!(up1 >= y && up2 >= y);
        }

        #[test]
        fn tt22_art9_learning_result_is_monotonic(avgs in proptest::collection::vec(0u32..=100, 6..10), i in 0usize..10, bump in 0u32..=100) {
            let marks: Vec<Mark> = avgs.iter().map(|&a| Mark::Average(Tenths::from_tenths(a))).collect();
            let mut raised = marks.clone();
            let i = i % raised.len();
            raised[i] = Mark::Average(Tenths::from_tenths((avgs[i] + bump).min(100)));
            prop_assert!(learning_result(&raised) >= learning_result(&marks));
        }
    }
}
