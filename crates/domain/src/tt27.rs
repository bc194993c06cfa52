//! Assessment of primary pupils under Thông tư 27/2020/TT-BGDĐT.
//!
//! Article numbers as we read the circular (verify): art. 7 (periodic assessment: subject
//! levels and periodic tests), art. 9 (year-end overall result, evaluated top-down),
//! art. 15 (titles). The rules themselves follow DOMAIN.md.
//!
//! Each subject ends the year at a level (Hoàn thành tốt / Hoàn thành / Chưa hoàn
//! thành); some subjects also have a year-end periodic test scored 1–10 (integers only);
//! each quality and competence is rated Tốt / Đạt / Cần cố gắng. The overall result
//! combines them; "Học sinh Tiêu biểu" is recognised by the class and is an input flag.

use std::fmt;
use std::str::FromStr;

use crate::catalogue::{self, PeriodicTests, Subject};
use crate::tt22::UnknownLabel;
use crate::{Grade, Level, RuleVersion};

/// Mức đạt được of a subject or activity (TT27 art. 7 §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectLevel {
    /// Chưa hoàn thành.
    ChuaHoanThanh,
    /// Hoàn thành.
    HoanThanh,
    /// Hoàn thành tốt.
    HoanThanhTot,
}

impl SubjectLevel {
    /// Every level, best first.
    pub const ALL: [SubjectLevel; 3] = [
        SubjectLevel::HoanThanhTot,
        SubjectLevel::HoanThanh,
        SubjectLevel::ChuaHoanThanh,
    ];

    /// The Vietnamese label (NFC).
    pub const fn label(self) -> &'static str {
        match self {
            SubjectLevel::HoanThanhTot => "Hoàn thành tốt",
            SubjectLevel::HoanThanh => "Hoàn thành",
            SubjectLevel::ChuaHoanThanh => "Chưa hoàn thành",
        }
    }
}

impl FromStr for SubjectLevel {
    type Err = UnknownLabel;

    /// Parses the exact NFC label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubjectLevel::ALL
            .into_iter()
            .find(|l| l.label() == s)
            .ok_or_else(|| UnknownLabel {
                found: s.to_string(),
                expected: r#""Hoàn thành tốt", "Hoàn thành", "Chưa hoàn thành""#,
            })
    }
}

impl fmt::Display for SubjectLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Thời điểm đánh giá định kì (TT27 art. 7): the four checkpoints at which each subject
/// gets a level, and tested subjects a periodic test (see
/// [`PeriodicTests::at`](crate::catalogue::PeriodicTests::at)). The overall result
/// ([`evaluate`]) uses the year-end checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checkpoint {
    /// Giữa học kì I.
    MidSemester1,
    /// Cuối học kì I.
    EndSemester1,
    /// Giữa học kì II.
    MidSemester2,
    /// Cuối năm học.
    EndOfYear,
}

impl Checkpoint {
    /// All four, in order.
    pub const ALL: [Checkpoint; 4] = [
        Checkpoint::MidSemester1,
        Checkpoint::EndSemester1,
        Checkpoint::MidSemester2,
        Checkpoint::EndOfYear,
    ];

    /// The key used in files: `giua_hk1`, `cuoi_hk1`, `giua_hk2`, `cuoi_nam`.
    pub const fn key(self) -> &'static str {
        match self {
            Checkpoint::MidSemester1 => "giua_hk1",
            Checkpoint::EndSemester1 => "cuoi_hk1",
            Checkpoint::MidSemester2 => "giua_hk2",
            Checkpoint::EndOfYear => "cuoi_nam",
        }
    }

    /// The Vietnamese name (NFC).
    pub const fn name_vi(self) -> &'static str {
        match self {
            Checkpoint::MidSemester1 => "Giữa học kì I",
            Checkpoint::EndSemester1 => "Cuối học kì I",
            Checkpoint::MidSemester2 => "Giữa học kì II",
            Checkpoint::EndOfYear => "Cuối năm học",
        }
    }
}

/// Mức đạt được of a quality or competence (TT27 art. 7 §2): Tốt / Đạt / Cần cố gắng.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mastery {
    /// Cần cố gắng.
    CanCoGang,
    /// Đạt.
    Dat,
    /// Tốt.
    Tot,
}

impl Mastery {
    /// Every rating, best first.
    pub const ALL: [Mastery; 3] = [Mastery::Tot, Mastery::Dat, Mastery::CanCoGang];

    /// The Vietnamese label (NFC).
    pub const fn label(self) -> &'static str {
        match self {
            Mastery::Tot => "Tốt",
            Mastery::Dat => "Đạt",
            Mastery::CanCoGang => "Cần cố gắng",
        }
    }
}

impl FromStr for Mastery {
    type Err = UnknownLabel;

    /// Parses the exact NFC label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mastery::ALL
            .into_iter()
            .find(|m| m.label() == s)
            .ok_or_else(|| UnknownLabel {
                found: s.to_string(),
                expected: r#""Tốt", "Đạt", "Cần cố gắng""#,
            })
    }
}

impl fmt::Display for Mastery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Phẩm chất chủ yếu (the five main qualities of the 2018 programme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    /// Yêu nước.
    YeuNuoc,
    /// Nhân ái.
    NhanAi,
    /// Chăm chỉ.
    ChamChi,
    /// Trung thực.
    TrungThuc,
    /// Trách nhiệm.
    TrachNhiem,
}

impl Quality {
    /// All five, in record-book order.
    pub const ALL: [Quality; 5] = [
        Quality::YeuNuoc,
        Quality::NhanAi,
        Quality::ChamChi,
        Quality::TrungThuc,
        Quality::TrachNhiem,
    ];

    /// The key used in files: `yeu_nuoc`, `nhan_ai`, `cham_chi`, `trung_thuc`, `trach_nhiem`.
    pub const fn key(self) -> &'static str {
        match self {
            Quality::YeuNuoc => "yeu_nuoc",
            Quality::NhanAi => "nhan_ai",
            Quality::ChamChi => "cham_chi",
            Quality::TrungThuc => "trung_thuc",
            Quality::TrachNhiem => "trach_nhiem",
        }
    }

    /// The Vietnamese name (NFC).
    pub const fn name_vi(self) -> &'static str {
        match self {
            Quality::YeuNuoc => "Yêu nước",
            Quality::NhanAi => "Nhân ái",
            Quality::ChamChi => "Chăm chỉ",
            Quality::TrungThuc => "Trung thực",
            Quality::TrachNhiem => "Trách nhiệm",
        }
    }

    /// Looks a key up.
    pub fn from_key(key: &str) -> Option<Quality> {
        Quality::ALL.into_iter().find(|q| q.key() == key)
    }
}

/// Năng lực: the three general competences (năng lực chung) and seven specific ones
/// (năng lực đặc thù) of the 2018 programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Competence {
    /// Tự chủ và tự học (general).
    TuChuTuHoc,
    /// Giao tiếp và hợp tác (general).
    GiaoTiepHopTac,
    /// Giải quyết vấn đề và sáng tạo (general).
    GiaiQuyetVanDeSangTao,
    /// Ngôn ngữ (specific).
    NgonNgu,
    /// Tính toán (specific).
    TinhToan,
    /// Khoa học (specific).
    KhoaHoc,
    /// Công nghệ (specific).
    CongNghe,
    /// Tin học (specific).
    TinHoc,
    /// Thẩm mĩ (specific).
    ThamMi,
    /// Thể chất (specific).
    TheChat,
}

impl Competence {
    /// All ten, general first, in record-book order.
    pub const ALL: [Competence; 10] = [
        Competence::TuChuTuHoc,
        Competence::GiaoTiepHopTac,
        Competence::GiaiQuyetVanDeSangTao,
        Competence::NgonNgu,
        Competence::TinhToan,
        Competence::KhoaHoc,
        Competence::CongNghe,
        Competence::TinHoc,
        Competence::ThamMi,
        Competence::TheChat,
    ];

    /// The key used in files (`tu_chu_tu_hoc`, …, `the_chat`).
    pub const fn key(self) -> &'static str {
        match self {
            Competence::TuChuTuHoc => "tu_chu_tu_hoc",
            Competence::GiaoTiepHopTac => "giao_tiep_hop_tac",
            Competence::GiaiQuyetVanDeSangTao => "giai_quyet_van_de_sang_tao",
            Competence::NgonNgu => "ngon_ngu",
            Competence::TinhToan => "tinh_toan",
            Competence::KhoaHoc => "khoa_hoc",
            Competence::CongNghe => "cong_nghe",
            Competence::TinHoc => "tin_hoc",
            Competence::ThamMi => "tham_mi",
            Competence::TheChat => "the_chat",
        }
    }

    /// The Vietnamese name (NFC).
    pub const fn name_vi(self) -> &'static str {
        match self {
            Competence::TuChuTuHoc => "Tự chủ và tự học",
            Competence::GiaoTiepHopTac => "Giao tiếp và hợp tác",
            Competence::GiaiQuyetVanDeSangTao => "Giải quyết vấn đề và sáng tạo",
            Competence::NgonNgu => "Ngôn ngữ",
            Competence::TinhToan => "Tính toán",
            Competence::KhoaHoc => "Khoa học",
            Competence::CongNghe => "Công nghệ",
            Competence::TinHoc => "Tin học",
            Competence::ThamMi => "Thẩm mĩ",
            Competence::TheChat => "Thể chất",
        }
    }

    /// Năng lực chung (true) or năng lực đặc thù (false).
    pub const fn is_general(self) -> bool {
        matches!(
            self,
            Competence::TuChuTuHoc | Competence::GiaoTiepHopTac | Competence::GiaiQuyetVanDeSangTao
        )
    }

    /// Looks a key up.
    pub fn from_key(key: &str) -> Option<Competence> {
        Competence::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// A periodic test score (bài kiểm tra định kì, TT27 art. 7 §2): an integer from 1 to 10
/// ("không cho điểm 0 và điểm thập phân").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestScore(u8);

/// A number that is not a periodic test score.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("periodic test score must be an integer from 1 to 10, got {0}")]
pub struct InvalidTestScore(pub String);

impl TestScore {
    /// Builds a score; fails outside 1–10.
    pub fn new(n: u8) -> Result<Self, InvalidTestScore> {
        if (1..=10).contains(&n) {
            Ok(TestScore(n))
        } else {
            Err(InvalidTestScore(n.to_string()))
        }
    }

    /// The score, 1–10.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Kết quả giáo dục at the end of the year (TT27 art. 9), best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Overall {
    /// Chưa hoàn thành.
    ChuaHoanThanh,
    /// Hoàn thành.
    HoanThanh,
    /// Hoàn thành tốt.
    HoanThanhTot,
    /// Hoàn thành xuất sắc.
    HoanThanhXuatSac,
}

impl Overall {
    /// The Vietnamese label (NFC).
    pub const fn label(self) -> &'static str {
        match self {
            Overall::HoanThanhXuatSac => "Hoàn thành xuất sắc",
            Overall::HoanThanhTot => "Hoàn thành tốt",
            Overall::HoanThanh => "Hoàn thành",
            Overall::ChuaHoanThanh => "Chưa hoàn thành",
        }
    }
}

impl fmt::Display for Overall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The year-end overall result, evaluated top-down (TT27 art. 9):
///
/// - Hoàn thành xuất sắc: every subject Hoàn thành tốt, every quality and competence Tốt,
///   every year-end test ≥ 9.
/// - Hoàn thành tốt: the same with every test ≥ 7.
/// - Hoàn thành: every subject at least Hoàn thành, every quality and competence at least
///   Đạt, every test ≥ 5.
/// - Chưa hoàn thành: otherwise.
pub fn overall(subjects: &[SubjectLevel], tests: &[TestScore], ratings: &[Mastery]) -> Overall {
    let subjects_at_least = |l: SubjectLevel| subjects.iter().all(|&s| s >= l);
    let ratings_at_least = |m: Mastery| ratings.iter().all(|&r| r >= m);
    let tests_at_least = |n: u8| tests.iter().all(|t| t.get() >= n);
    let top = subjects_at_least(SubjectLevel::HoanThanhTot) && ratings_at_least(Mastery::Tot);
    if top && tests_at_least(9) {
        Overall::HoanThanhXuatSac
    } else if top && tests_at_least(7) {
        Overall::HoanThanhTot
    } else if subjects_at_least(SubjectLevel::HoanThanh)
        && ratings_at_least(Mastery::Dat)
        && tests_at_least(5)
    {
        Overall::HoanThanh
    } else {
        Overall::ChuaHoanThanh
    }
}

/// Danh hiệu khen thưởng of a primary pupil (TT27 art. 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Title {
    /// Học sinh Xuất sắc: overall Hoàn thành xuất sắc.
    Excellent,
    /// Học sinh Tiêu biểu (hoàn thành tốt trong học tập và rèn luyện): overall Hoàn thành
    /// tốt and recognised by the class for an outstanding subject or clear progress.
    Exemplary,
}

impl Title {
    /// The Vietnamese title: `Học sinh Xuất sắc` or `Học sinh Tiêu biểu`.
    pub const fn label(self) -> &'static str {
        match self {
            Title::Excellent => "Học sinh Xuất sắc",
            Title::Exemplary => "Học sinh Tiêu biểu",
        }
    }
}

/// One subject's year-end assessment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrimarySubject {
    /// The subject code; catalogue codes are checked (taught in the grade, test present
    /// exactly when the subject has one), other codes are taken as given.
    pub code: String,
    /// The year-end level.
    pub level: SubjectLevel,
    /// The year-end periodic test, for subjects that have one.
    pub test: Option<TestScore>,
}

/// Everything the year-end evaluation of one primary pupil needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PupilYear {
    /// The grade (1–5), when known: enables the catalogue checks.
    pub grade: Option<Grade>,
    /// Every subject and activity studied.
    pub subjects: Vec<PrimarySubject>,
    /// The five qualities; all are required.
    pub qualities: Vec<(Quality, Mastery)>,
    /// The competences: the three general ones are required; the specific ones are taken
    /// as given, since which of them a grade assesses depends on its subjects (verify).
    pub competences: Vec<(Competence, Mastery)>,
    /// Recognised by the class as Học sinh Tiêu biểu (only meaningful with overall Hoàn
    /// thành tốt).
    pub exemplary: bool,
}

/// The year-end result of one primary pupil.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PupilOutcome {
    /// The rule version that computed it.
    pub rule: RuleVersion,
    /// Kết quả giáo dục.
    pub overall: Overall,
    /// The title, if any.
    pub title: Option<Title>,
    /// The exemplary flag was set but the overall result is not Hoàn thành tốt, so it
    /// gave no title.
    pub exemplary_ignored: bool,
}

/// A problem with the input of [`evaluate`]. All problems are reported at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The grade is not a primary grade.
    #[error("grade {0} is not a primary grade (expected 1 to 5)")]
    GradeOutsideLevel(Grade),
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
    /// A catalogue subject the grade does not study.
    #[error("subject {code} is not in the grade {grade} programme")]
    NotInProgramme {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// The grade.
        grade: Grade,
    },
    /// A subject with a year-end periodic test in this grade but no test score.
    #[error("subject {code} has a year-end periodic test in grade {grade}: test score missing")]
    MissingTest {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// The grade.
        grade: Grade,
    },
    /// A test score for a subject without periodic tests in this grade.
    #[error("subject {code} has no periodic test in grade {grade}")]
    UnexpectedTest {
        /// Position in the subject list.
        index: usize,
        /// The code.
        code: String,
        /// The grade.
        grade: Grade,
    },
    /// A required quality or general competence is missing.
    #[error("{key} is missing")]
    Missing {
        /// The quality or competence key.
        key: &'static str,
    },
    /// A quality or competence rated twice.
    #[error("{key} is given more than once")]
    Duplicate {
        /// The quality or competence key.
        key: &'static str,
    },
}

impl Problem {
    /// The position in [`PupilYear::subjects`] the problem is about, if any.
    pub fn subject_index(&self) -> Option<usize> {
        match self {
            Problem::DuplicateSubject { index, .. }
            | Problem::NotInProgramme { index, .. }
            | Problem::MissingTest { index, .. }
            | Problem::UnexpectedTest { index, .. } => Some(*index),
            _ => None,
        }
    }
}

/// Evaluates a primary pupil's year under TT27 ([`RuleVersion::Tt27V1`]): checks the
/// input (every problem at once), then computes the overall result and title.
pub fn evaluate(input: &PupilYear) -> Result<PupilOutcome, Vec<Problem>> {
    let problems = check(input);
    if !problems.is_empty() {
        return Err(problems);
    }
    let levels: Vec<SubjectLevel> = input.subjects.iter().map(|s| s.level).collect();
    let tests: Vec<TestScore> = input.subjects.iter().filter_map(|s| s.test).collect();
    let ratings: Vec<Mastery> = input
        .qualities
        .iter()
        .map(|q| q.1)
        .chain(input.competences.iter().map(|c| c.1))
        .collect();
    let overall = overall(&levels, &tests, &ratings);
    let title = match overall {
        Overall::HoanThanhXuatSac => Some(Title::Excellent),
        Overall::HoanThanhTot if input.exemplary => Some(Title::Exemplary),
        _ => None,
    };
    let exemplary_ignored = input.exemplary && overall != Overall::HoanThanhTot;
    Ok(PupilOutcome {
        rule: RuleVersion::Tt27V1,
        overall,
        title,
        exemplary_ignored,
    })
}

fn check(input: &PupilYear) -> Vec<Problem> {
    let mut problems = Vec::new();
    let programme = match input.grade {
        Some(grade) => match catalogue::programme(Level::Primary, grade) {
            Some(list) => Some((grade, list)),
            None => {
                problems.push(Problem::GradeOutsideLevel(grade));
                None
            }
        },
        None => None,
    };
    if input.subjects.is_empty() {
        problems.push(Problem::NoSubjects);
    }
    let mut seen = Vec::new();
    for (index, s) in input.subjects.iter().enumerate() {
        let known = Subject::from_code(&s.code);
        let key = known.map_or(s.code.as_str(), |k| k.code());
        if seen.contains(&key) {
            problems.push(Problem::DuplicateSubject {
                index,
                code: s.code.clone(),
            });
        }
        seen.push(key);
        let (Some(subject), Some((grade, list))) = (known, &programme) else {
            continue;
        };
        let grade = *grade;
        let code = s.code.clone();
        match list.iter().find(|o| o.subject == subject) {
            None => problems.push(Problem::NotInProgramme { index, code, grade }),
            Some(o) => match (o.tests, s.test) {
                (PeriodicTests::None, Some(_)) => {
                    problems.push(Problem::UnexpectedTest { index, code, grade })
                }
                (PeriodicTests::EndOfSemester | PeriodicTests::MidAndEndOfSemester, None) => {
                    problems.push(Problem::MissingTest { index, code, grade })
                }
                _ => {}
            },
        }
    }
    for q in Quality::ALL {
        match input.qualities.iter().filter(|(k, _)| *k == q).count() {
            0 => problems.push(Problem::Missing { key: q.key() }),
            1 => {}
            _ => problems.push(Problem::Duplicate { key: q.key() }),
        }
    }
    for c in Competence::ALL {
        match input.competences.iter().filter(|(k, _)| *k == c).count() {
            0 if c.is_general() => problems.push(Problem::Missing { key: c.key() }),
            0 | 1 => {}
            _ => problems.push(Problem::Duplicate { key: c.key() }),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(n: u8) -> TestScore {
        TestScore::new(n).unwrap()
    }

    use Mastery::{CanCoGang, Dat, Tot};
    use SubjectLevel::{ChuaHoanThanh, HoanThanh, HoanThanhTot};

    fn check(subjects: &[SubjectLevel], tests: &[u8], ratings: &[Mastery], expected: Overall) {
        let tests: Vec<TestScore> = tests.iter().map(|&n| test(n)).collect();
        assert_eq!(
            overall(subjects, &tests, ratings),
            expected,
            "{subjects:?} {tests:?} {ratings:?}"
        );
    }

    #[test]
    fn tt27_art7_test_scores_are_integers_1_to_10() {
        assert!(TestScore::new(0).is_err());
        assert!(TestScore::new(1).is_ok());
        assert!(TestScore::new(10).is_ok());
        assert!(TestScore::new(11).is_err());
    }

    #[test]
    fn tt27_art9_overall_cascade_test_boundaries_9_7_5() {
        let all_top = [HoanThanhTot, HoanThanhTot];
        let all_tot = [Tot, Tot, Tot];
        check(&all_top, &[9, 10], &all_tot, Overall::HoanThanhXuatSac);
        check(&all_top, &[8, 10], &all_tot, Overall::HoanThanhTot);
        check(&all_top, &[7, 10], &all_tot, Overall::HoanThanhTot);
        check(&all_top, &[6, 10], &all_tot, Overall::HoanThanh);
        check(&all_top, &[5, 10], &all_tot, Overall::HoanThanh);
        check(&all_top, &[4, 10], &all_tot, Overall::ChuaHoanThanh);
        check(&all_top, &[], &all_tot, Overall::HoanThanhXuatSac);
    }

    #[test]
    fn tt27_art9_overall_cascade_levels_and_ratings() {
        check(
            &[HoanThanhTot, HoanThanh],
            &[10],
            &[Tot],
            Overall::HoanThanh,
        );
        check(&[HoanThanhTot], &[10], &[Tot, Dat], Overall::HoanThanh);
        check(&[HoanThanh], &[5], &[Dat], Overall::HoanThanh);
        check(
            &[HoanThanh, ChuaHoanThanh],
            &[10],
            &[Tot],
            Overall::ChuaHoanThanh,
        );
        check(
            &[HoanThanhTot],
            &[10],
            &[Tot, CanCoGang],
            Overall::ChuaHoanThanh,
        );
    }

    fn pupil(grade: u8) -> PupilYear {
        let g = Grade::new(grade).unwrap();
        let subjects = catalogue::programme(Level::Primary, g)
            .unwrap()
            .into_iter()
            .filter(|o| o.status == catalogue::Status::Compulsory)
            .map(|o| PrimarySubject {
                code: o.subject.code().into(),
                level: HoanThanhTot,
                test: (o.tests != PeriodicTests::None).then(|| test(10)),
            })
            .collect();
        PupilYear {
            grade: Some(g),
            subjects,
            qualities: Quality::ALL.iter().map(|&q| (q, Tot)).collect(),
            competences: Competence::ALL.iter().map(|&c| (c, Tot)).collect(),
            exemplary: false,
        }
    }

    #[test]
    fn tt27_art15_titles_xuat_sac_and_tieu_bieu_flag() {
        let p = pupil(4);
        let o = evaluate(&p).unwrap();
        assert_eq!(
            (o.overall, o.title, o.rule),
            (
                Overall::HoanThanhXuatSac,
                Some(Title::Excellent),
                RuleVersion::Tt27V1
            )
        );

        let mut p = pupil(4);
        p.subjects[0].test = Some(test(8));
        let o = evaluate(&p).unwrap();
        assert_eq!((o.overall, o.title), (Overall::HoanThanhTot, None));
        p.exemplary = true;
        let o = evaluate(&p).unwrap();
        assert_eq!(
            (o.overall, o.title, o.exemplary_ignored),
            (Overall::HoanThanhTot, Some(Title::Exemplary), false)
        );

        p.subjects[0].test = Some(test(6));
        let o = evaluate(&p).unwrap();
        assert_eq!(
            (o.overall, o.title, o.exemplary_ignored),
            (Overall::HoanThanh, None, true)
        );
    }

    #[test]
    fn tt27_art9_a_quality_at_can_co_gang_gives_chua_hoan_thanh() {
        let mut p = pupil(2);
        p.qualities[3].1 = CanCoGang;
        assert_eq!(evaluate(&p).unwrap().overall, Overall::ChuaHoanThanh);
    }

    #[test]
    fn tt27_art9_unknown_subject_test_counts() {
        let mut p = pupil(3);
        p.subjects.push(PrimarySubject {
            code: "TIENG_DAN_TOC_KHMER".into(),
            level: HoanThanhTot,
            test: Some(test(8)),
        });
        assert_eq!(evaluate(&p).unwrap().overall, Overall::HoanThanhTot);
    }

    #[test]
    fn tt27_art7_input_problems_are_all_reported() {
        let mut p = pupil(4);
        p.subjects[0].test = None; // TIENG_VIET needs a test
        p.subjects.push(PrimarySubject {
            code: "DAO_DUC".into(),
            level: HoanThanh,
            test: None,
        }); // duplicate
        p.subjects.push(PrimarySubject {
            code: "TU_NHIEN_XA_HOI".into(),
            level: HoanThanh,
            test: None,
        });
        let gdtc = p.subjects.iter_mut().find(|s| s.code == "GDTC").unwrap();
        gdtc.test = Some(test(9));
        p.qualities.pop();
        p.competences
            .retain(|(c, _)| *c != Competence::GiaoTiepHopTac && *c != Competence::TinHoc);
        p.competences.push((Competence::NgonNgu, Dat));
        let texts: Vec<String> = evaluate(&p)
            .unwrap_err()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            texts,
            [
                "subject TIENG_VIET has a year-end periodic test in grade 4: test score missing",
                "subject GDTC has no periodic test in grade 4",
                "subject DAO_DUC appears more than once",
                "subject TU_NHIEN_XA_HOI is not in the grade 4 programme",
                "trach_nhiem is missing",
                "giao_tiep_hop_tac is missing",
                "ngon_ngu is given more than once",
            ]
        );
    }

    #[test]
    fn tt27_art7_tests_at_each_checkpoint() {
        use Checkpoint::*;
        let at = |t: PeriodicTests| Checkpoint::ALL.map(|c| t.at(c));
        assert_eq!(at(PeriodicTests::None), [false, false, false, false]);
        assert_eq!(at(PeriodicTests::EndOfSemester), [false, true, false, true]);
        assert_eq!(
            at(PeriodicTests::MidAndEndOfSemester),
            [true, true, true, true]
        );
        assert_eq!(EndOfYear.key(), "cuoi_nam");
        assert_eq!(MidSemester1.name_vi(), "Giữa học kì I");
    }

    #[test]
    fn labels_parse_exactly() {
        assert_eq!("Hoàn thành tốt".parse(), Ok(HoanThanhTot));
        assert!("hoàn thành tốt".parse::<SubjectLevel>().is_err());
        assert_eq!("Cần cố gắng".parse(), Ok(CanCoGang));
        for q in Quality::ALL {
            assert_eq!(Quality::from_key(q.key()), Some(q));
        }
        for c in Competence::ALL {
            assert_eq!(Competence::from_key(c.key()), Some(c));
        }
        assert_eq!(Competence::ALL.iter().filter(|c| c.is_general()).count(), 3);
    }
}
