//! Assessment of GDTX learners (học viên) following the THCS or THPT programme at a
//! continuing-education centre, under Thông tư 43/2021/TT-BGDĐT.
//!
//! TT43 mirrors TT22 for scored and comment subjects, so this module reuses the
//! [`crate::tt22`] engine with its own rule version, [`RuleVersion::Tt43V1`], and the GDTX
//! programme of the [`crate::catalogue`]. What differs, and what was not verified against
//! the source text:
//!
//! - the subject list ([`crate::catalogue::programme`] with [`crate::Level::Continuing`]):
//!   no Giáo dục thể chất, Nghệ thuật, Âm nhạc, Mĩ thuật; Ngoại ngữ 1 elective in THPT
//!   (verify);
//! - periods per year, hence the number of regular scores, assumed equal to the general
//!   programme's (verify);
//! - learning-result thresholds, the year-conduct table, the 45-day absence cap, summer
//!   training and re-assessment assumed identical to TT22 (verify);
//! - titles read "Học viên Xuất sắc" / "Học viên Giỏi" with TT22's conditions (verify).
//!
//! When any of these is confirmed to differ, add a new rule version rather than changing
//! this one: records already computed under `TT43-2021/v1` must recompute identically.

use crate::RuleVersion;
use crate::tt22::{Problem, StudentYear, YearOutcome, evaluate_with};

/// Evaluates a learner's year under TT43 ([`RuleVersion::Tt43V1`]). The input and the
/// outcome have the shape of [`crate::tt22`]; the grade, when given, must be 6–12 and
/// selects the GDTX THCS (6–9) or THPT (10–12) programme.
pub fn evaluate(input: &StudentYear) -> Result<YearOutcome, Vec<Problem>> {
    evaluate_with(RuleVersion::Tt43V1, input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tt22::{Comment, Rating, SemesterScores, SubjectEntry, SubjectMarks, Summer, Title};
    use crate::{Grade, Score};

    fn sem(n: usize, v: &str) -> SemesterScores {
        let s: Score = v.parse().unwrap();
        SemesterScores {
            regular: vec![s; n],
            midterm: s,
            final_term: s,
        }
    }

    fn scored(code: &str, n: usize, v: &str) -> SubjectEntry {
        SubjectEntry {
            code: code.into(),
            marks: SubjectMarks::Scored {
                hk1: sem(n, v),
                hk2: sem(n, v),
            },
        }
    }

    fn learner() -> StudentYear {
        StudentYear {
            grade: Some(Grade::new(10).unwrap()),
            subjects: vec![
                scored("NGU_VAN", 4, "9"),
                scored("TOAN", 4, "9"),
                scored("LICH_SU", 3, "9"),
                scored("GDQP_AN", 2, "9"),
                scored("VAT_LI", 3, "9"),
                scored("HOA_HOC", 3, "9"),
                scored("SINH_HOC", 3, "8"),
                scored("TIN_HOC", 3, "8"),
                SubjectEntry {
                    code: "HDTN_HN".into(),
                    marks: SubjectMarks::Commented {
                        hk1: Comment::Dat,
                        hk2: Comment::Dat,
                    },
                },
                SubjectEntry {
                    code: "GDDP".into(),
                    marks: SubjectMarks::Commented {
                        hk1: Comment::Dat,
                        hk2: Comment::Dat,
                    },
                },
            ],
            conduct_hk1: Rating::Tot,
            conduct_hk2: Rating::Tot,
            absent_days: 0,
            summer: Summer::default(),
        }
    }

    #[test]
    fn tt43_has_its_own_rule_version_and_hoc_vien_titles() {
        let o = evaluate(&learner()).unwrap();
        assert_eq!(o.rule, RuleVersion::Tt43V1);
        assert_eq!(o.title, Some(Title::Excellent));
        assert_eq!(o.title.map(|t| t.label(o.rule)), Some("Học viên Xuất sắc"));
        assert!(o.promoted());
    }

    #[test]
    fn tt43_gdtx_programme_has_no_physical_education() {
        let mut l = learner();
        l.subjects.push(SubjectEntry {
            code: "GDTC".into(),
            marks: SubjectMarks::Commented {
                hk1: Comment::Dat,
                hk2: Comment::Dat,
            },
        });
        let problems = evaluate(&l).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "subject GDTC is not in the grade 10 GDTX programme"
        );
    }

    #[test]
    fn tt43_grade_below_six_is_rejected() {
        let mut l = learner();
        l.grade = Some(Grade::new(5).unwrap());
        assert_eq!(
            evaluate(&l).unwrap_err()[0].to_string(),
            "grade 5 is not assessed under TT43-2021/v1 (expected 6 to 12)"
        );
    }
}
