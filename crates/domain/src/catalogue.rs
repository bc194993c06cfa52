//! The 2018 general-education curriculum (Chương trình GDPT 2018, Thông tư 32/2018/TT-BGDĐT)
//! and the GDTX programme: which subjects each grade studies, how many periods a year,
//! how each is assessed, and what that implies for the number of assessments.
//!
//! Subject codes are ASCII upper snake case and stable (they are stored in records):
//!
//! | code | subject | where |
//! |---|---|---|
//! | `TIENG_VIET` | Tiếng Việt | primary |
//! | `TOAN` | Toán | all |
//! | `NGU_VAN` | Ngữ văn | THCS, THPT, GDTX |
//! | `NGOAI_NGU_1` | Ngoại ngữ 1 (alias accepted on input: `TIENG_ANH`) | all |
//! | `NGOAI_NGU_2` | Ngoại ngữ 2 (optional) | THCS, THPT |
//! | `TIENG_DAN_TOC` | Tiếng dân tộc thiểu số (optional) | THCS, THPT |
//! | `DAO_DUC` | Đạo đức | primary |
//! | `TU_NHIEN_XA_HOI` | Tự nhiên và Xã hội | primary 1–3 |
//! | `KHOA_HOC` | Khoa học | primary 4–5 |
//! | `LICH_SU_DIA_LI` | Lịch sử và Địa lí | primary 4–5, THCS |
//! | `TIN_HOC_CONG_NGHE` | Tin học và Công nghệ | primary 3–5 |
//! | `GDTC` | Giáo dục thể chất | primary, THCS, THPT |
//! | `AM_NHAC`, `MI_THUAT` | Âm nhạc, Mĩ thuật | primary, THPT (elective) |
//! | `NGHE_THUAT` | Nghệ thuật | THCS |
//! | `HOAT_DONG_TRAI_NGHIEM` | Hoạt động trải nghiệm | primary |
//! | `HDTN_HN` | Hoạt động trải nghiệm, hướng nghiệp | THCS, THPT, GDTX |
//! | `GDDP` | Nội dung giáo dục của địa phương | THCS, THPT, GDTX |
//! | `KHTN` | Khoa học tự nhiên | THCS |
//! | `CONG_NGHE`, `TIN_HOC` | Công nghệ, Tin học | THCS, THPT (elective) |
//! | `GDCD` | Giáo dục công dân | THCS |
//! | `GDKT_PL` | Giáo dục kinh tế và pháp luật | THPT (elective) |
//! | `VAT_LI`, `HOA_HOC`, `SINH_HOC`, `DIA_LI` | Vật lí, Hoá học, Sinh học, Địa lí | THPT (elective) |
//! | `LICH_SU` | Lịch sử | THPT |
//! | `GDQP_AN` | Giáo dục quốc phòng và an ninh | THPT |
//!
//! Periods per year are those of the 2018 programme (35 school weeks). Primary Nghệ thuật
//! (70 periods) is recorded as Âm nhạc and Mĩ thuật, 35 periods each, as the primary
//! record book lists them separately (verify). THPT subjects that have chuyên đề học tập
//! (35 periods a year) carry them in [`Offering::topic_periods`].
//!
//! The GDTX programme (Thông tư 12/2021/TT-BGDĐT, assessed under TT43) is transcribed from
//! memory, not from the source text: its subject list and periods are marked (verify).

use crate::tt27::Checkpoint;
use crate::{Grade, Level};

/// A subject or educational activity (môn học / hoạt động giáo dục) of the 2018 curriculum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// Tiếng Việt (primary).
    TiengViet,
    /// Toán.
    Toan,
    /// Ngữ văn (THCS, THPT).
    NguVan,
    /// Ngoại ngữ 1 (usually English).
    NgoaiNgu1,
    /// Ngoại ngữ 2 (optional subject, THCS and THPT).
    NgoaiNgu2,
    /// Tiếng dân tộc thiểu số (optional subject, THCS and THPT).
    TiengDanToc,
    /// Đạo đức (primary).
    DaoDuc,
    /// Tự nhiên và Xã hội (primary grades 1–3).
    TuNhienXaHoi,
    /// Khoa học (primary grades 4–5).
    KhoaHoc,
    /// Lịch sử và Địa lí (primary grades 4–5, THCS).
    LichSuDiaLi,
    /// Tin học và Công nghệ (primary grades 3–5).
    TinHocCongNghe,
    /// Giáo dục thể chất.
    Gdtc,
    /// Nghệ thuật (THCS: music and fine arts in one subject).
    NgheThuat,
    /// Âm nhạc (primary; THPT elective).
    AmNhac,
    /// Mĩ thuật (primary; THPT elective).
    MiThuat,
    /// Hoạt động trải nghiệm (primary).
    HoatDongTraiNghiem,
    /// Hoạt động trải nghiệm, hướng nghiệp (THCS, THPT, GDTX).
    HdtnHn,
    /// Nội dung giáo dục của địa phương (THCS, THPT, GDTX).
    Gddp,
    /// Khoa học tự nhiên (THCS).
    Khtn,
    /// Công nghệ (THCS; THPT elective).
    CongNghe,
    /// Tin học (THCS; THPT elective).
    TinHoc,
    /// Giáo dục công dân (THCS).
    Gdcd,
    /// Giáo dục kinh tế và pháp luật (THPT elective).
    GdktPl,
    /// Vật lí (THPT elective).
    VatLi,
    /// Hoá học (THPT elective).
    HoaHoc,
    /// Sinh học (THPT elective).
    SinhHoc,
    /// Lịch sử (THPT).
    LichSu,
    /// Địa lí (THPT elective).
    DiaLi,
    /// Giáo dục quốc phòng và an ninh (THPT).
    GdqpAn,
}

impl Subject {
    /// Every subject of the catalogue.
    pub const ALL: [Subject; 29] = [
        Subject::TiengViet,
        Subject::Toan,
        Subject::NguVan,
        Subject::NgoaiNgu1,
        Subject::NgoaiNgu2,
        Subject::TiengDanToc,
        Subject::DaoDuc,
        Subject::TuNhienXaHoi,
        Subject::KhoaHoc,
        Subject::LichSuDiaLi,
        Subject::TinHocCongNghe,
        Subject::Gdtc,
        Subject::NgheThuat,
        Subject::AmNhac,
        Subject::MiThuat,
        Subject::HoatDongTraiNghiem,
        Subject::HdtnHn,
        Subject::Gddp,
        Subject::Khtn,
        Subject::CongNghe,
        Subject::TinHoc,
        Subject::Gdcd,
        Subject::GdktPl,
        Subject::VatLi,
        Subject::HoaHoc,
        Subject::SinhHoc,
        Subject::LichSu,
        Subject::DiaLi,
        Subject::GdqpAn,
    ];

    /// The stable code stored in records (see the module table).
    pub const fn code(self) -> &'static str {
        match self {
            Subject::TiengViet => "TIENG_VIET",
            Subject::Toan => "TOAN",
            Subject::NguVan => "NGU_VAN",
            Subject::NgoaiNgu1 => "NGOAI_NGU_1",
            Subject::NgoaiNgu2 => "NGOAI_NGU_2",
            Subject::TiengDanToc => "TIENG_DAN_TOC",
            Subject::DaoDuc => "DAO_DUC",
            Subject::TuNhienXaHoi => "TU_NHIEN_XA_HOI",
            Subject::KhoaHoc => "KHOA_HOC",
            Subject::LichSuDiaLi => "LICH_SU_DIA_LI",
            Subject::TinHocCongNghe => "TIN_HOC_CONG_NGHE",
            Subject::Gdtc => "GDTC",
            Subject::NgheThuat => "NGHE_THUAT",
            Subject::AmNhac => "AM_NHAC",
            Subject::MiThuat => "MI_THUAT",
            Subject::HoatDongTraiNghiem => "HOAT_DONG_TRAI_NGHIEM",
            Subject::HdtnHn => "HDTN_HN",
            Subject::Gddp => "GDDP",
            Subject::Khtn => "KHTN",
            Subject::CongNghe => "CONG_NGHE",
            Subject::TinHoc => "TIN_HOC",
            Subject::Gdcd => "GDCD",
            Subject::GdktPl => "GDKT_PL",
            Subject::VatLi => "VAT_LI",
            Subject::HoaHoc => "HOA_HOC",
            Subject::SinhHoc => "SINH_HOC",
            Subject::LichSu => "LICH_SU",
            Subject::DiaLi => "DIA_LI",
            Subject::GdqpAn => "GDQP_AN",
        }
    }

    /// The Vietnamese name (NFC) as printed in the record book.
    pub const fn name_vi(self) -> &'static str {
        match self {
            Subject::TiengViet => "Tiếng Việt",
            Subject::Toan => "Toán",
            Subject::NguVan => "Ngữ văn",
            Subject::NgoaiNgu1 => "Ngoại ngữ 1",
            Subject::NgoaiNgu2 => "Ngoại ngữ 2",
            Subject::TiengDanToc => "Tiếng dân tộc thiểu số",
            Subject::DaoDuc => "Đạo đức",
            Subject::TuNhienXaHoi => "Tự nhiên và Xã hội",
            Subject::KhoaHoc => "Khoa học",
            Subject::LichSuDiaLi => "Lịch sử và Địa lí",
            Subject::TinHocCongNghe => "Tin học và Công nghệ",
            Subject::Gdtc => "Giáo dục thể chất",
            Subject::NgheThuat => "Nghệ thuật",
            Subject::AmNhac => "Âm nhạc",
            Subject::MiThuat => "Mĩ thuật",
            Subject::HoatDongTraiNghiem => "Hoạt động trải nghiệm",
            Subject::HdtnHn => "Hoạt động trải nghiệm, hướng nghiệp",
            Subject::Gddp => "Nội dung giáo dục của địa phương",
            Subject::Khtn => "Khoa học tự nhiên",
            Subject::CongNghe => "Công nghệ",
            Subject::TinHoc => "Tin học",
            Subject::Gdcd => "Giáo dục công dân",
            Subject::GdktPl => "Giáo dục kinh tế và pháp luật",
            Subject::VatLi => "Vật lí",
            Subject::HoaHoc => "Hoá học",
            Subject::SinhHoc => "Sinh học",
            Subject::LichSu => "Lịch sử",
            Subject::DiaLi => "Địa lí",
            Subject::GdqpAn => "Giáo dục quốc phòng và an ninh",
        }
    }

    /// Looks a code up. Besides the codes of the module table, `TIENG_ANH` is accepted as
    /// an alias of `NGOAI_NGU_1`. Unknown codes give `None`: callers decide whether to
    /// accept subjects outside the catalogue.
    pub fn from_code(code: &str) -> Option<Subject> {
        if code == "TIENG_ANH" {
            return Some(Subject::NgoaiNgu1);
        }
        Subject::ALL.into_iter().find(|s| s.code() == code)
    }

    /// How the subject is assessed in THCS/THPT/GDTX (TT22 art. 5, TT43): by comment only
    /// (Giáo dục thể chất, Nghệ thuật, Âm nhạc, Mĩ thuật, Nội dung giáo dục của địa
    /// phương, Hoạt động trải nghiệm hướng nghiệp) or by comment and score (all others).
    /// `None` for subjects taught only in primary school.
    pub const fn secondary_form(self) -> Option<AssessmentForm> {
        match self {
            Subject::Gdtc
            | Subject::NgheThuat
            | Subject::AmNhac
            | Subject::MiThuat
            | Subject::HdtnHn
            | Subject::Gddp => Some(AssessmentForm::Comment),
            Subject::TiengViet
            | Subject::DaoDuc
            | Subject::TuNhienXaHoi
            | Subject::KhoaHoc
            | Subject::TinHocCongNghe
            | Subject::HoatDongTraiNghiem => None,
            _ => Some(AssessmentForm::Score),
        }
    }
}

/// Hình thức đánh giá: how a subject's results are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssessmentForm {
    /// Đánh giá bằng nhận xét kết hợp với đánh giá bằng điểm số (TT22 art. 5): scores 0–10.
    Score,
    /// Đánh giá bằng nhận xét (TT22 art. 5): Đạt / Chưa đạt.
    Comment,
    /// Primary (TT27 art. 6–7): Hoàn thành tốt / Hoàn thành / Chưa hoàn thành.
    CompletionLevel,
}

/// Whether every student of the grade studies the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Môn học bắt buộc / hoạt động giáo dục bắt buộc.
    Compulsory,
    /// Môn học lựa chọn (THPT: the student picks four).
    Elective,
    /// Môn học tự chọn (studied only where the school offers it and the student chooses it).
    Optional,
}

/// Periodic tests of a primary subject in one grade (TT27 art. 7 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodicTests {
    /// No written periodic test; the subject is assessed by level only.
    None,
    /// A test at the end of semester I and at the end of the year.
    EndOfSemester,
    /// Also tests at mid-semester I and II (grades 4–5, Tiếng Việt and Toán).
    MidAndEndOfSemester,
}

impl PeriodicTests {
    /// Whether a test is taken at `checkpoint`: end of semester I and end of year for
    /// every tested subject, also mid-semester I and II for [`Self::MidAndEndOfSemester`].
    pub const fn at(self, checkpoint: Checkpoint) -> bool {
        match self {
            PeriodicTests::None => false,
            PeriodicTests::EndOfSemester => {
                matches!(checkpoint, Checkpoint::EndSemester1 | Checkpoint::EndOfYear)
            }
            PeriodicTests::MidAndEndOfSemester => true,
        }
    }
}

/// One subject as a grade's programme offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Offering {
    /// The subject.
    pub subject: Subject,
    /// Compulsory, elective or optional in this grade.
    pub status: Status,
    /// Số tiết/năm học of the subject itself.
    pub periods: u16,
    /// Số tiết/năm học of the chuyên đề học tập attached to the subject (THPT), 0 if none.
    pub topic_periods: u16,
    /// How it is assessed at this level.
    pub form: AssessmentForm,
    /// Primary periodic tests; always [`PeriodicTests::None`] outside primary.
    pub tests: PeriodicTests,
}

impl Offering {
    /// Số lần đánh giá thường xuyên per semester for the subject alone (TT22 art. 7; see
    /// [`regular_assessment_count`]).
    pub const fn regular_assessments(&self) -> u8 {
        regular_assessment_count(self.periods)
    }

    /// The count when the student also studies the subject's chuyên đề học tập, whose
    /// periods TT22 adds to the subject's ("bao gồm cả chuyên đề học tập", verify);
    /// `None` when the subject has no chuyên đề.
    pub const fn regular_assessments_with_topics(&self) -> Option<u8> {
        if self.topic_periods == 0 {
            None
        } else {
            Some(regular_assessment_count(self.periods + self.topic_periods))
        }
    }

    /// Whether `n` regular scores in one semester is a valid count for this offering: the
    /// plain count, or the count with chuyên đề when the subject has them.
    pub const fn allows_regular_count(&self, n: usize) -> bool {
        if n == self.regular_assessments() as usize {
            return true;
        }
        match self.regular_assessments_with_topics() {
            Some(with_topics) => n == with_topics as usize,
            None => false,
        }
    }
}

/// Số lần đánh giá thường xuyên in each semester for a subject of `periods` periods a
/// year (TT22 art. 7 §1, TT43 likewise): up to 35 periods → 2; over 35 up to 70 → 3;
/// over 70 → 4.
pub const fn regular_assessment_count(periods: u16) -> u8 {
    if periods <= 35 {
        2
    } else if periods <= 70 {
        3
    } else {
        4
    }
}

/// The subjects a grade studies at a level, in record-book order. `None` when the grade
/// is not taught at that level (grade 10 in THCS, grade 3 in GDTX, …).
///
/// For THPT (and GDTX THPT) the list holds every subject a student can take: the
/// compulsory ones, all electives and the optional ones; a student's record lists only
/// those the student studies.
pub fn programme(level: Level, grade: Grade) -> Option<Vec<Offering>> {
    let g = grade.get();
    if !level.grades().contains(&g) {
        return None;
    }
    Some(match level {
        Level::Primary => primary(g),
        Level::LowerSecondary => lower_secondary(g),
        Level::UpperSecondary => upper_secondary(),
        Level::Continuing if g <= 9 => continuing_lower_secondary(g),
        Level::Continuing => continuing_upper_secondary(),
    })
}

/// The offering of one subject in a grade at a level, if that grade studies it.
pub fn offering(level: Level, grade: Grade, subject: Subject) -> Option<Offering> {
    programme(level, grade)?
        .into_iter()
        .find(|o| o.subject == subject)
}

// ---------------------------------------------------------------------------------------
// The tables. Periods from the 2018 programme (Thông tư 32/2018/TT-BGDĐT, "Kế hoạch giáo
// dục"), 35 weeks a year.

const fn secondary(subject: Subject, status: Status, periods: u16, topic_periods: u16) -> Offering {
    let form = match subject.secondary_form() {
        Some(form) => form,
        // Only called with secondary subjects; a primary-only subject would be a bug in
        // the tables below, caught by the catalogue tests.
        None => AssessmentForm::CompletionLevel,
    };
    Offering {
        subject,
        status,
        periods,
        topic_periods,
        form,
        tests: PeriodicTests::None,
    }
}

const fn primary_subject(
    subject: Subject,
    status: Status,
    periods: u16,
    tests: PeriodicTests,
) -> Offering {
    Offering {
        subject,
        status,
        periods,
        topic_periods: 0,
        form: AssessmentForm::CompletionLevel,
        tests,
    }
}

/// Primary, TT27 art. 7 §2: periodic tests at the end of semester I and of the year in
/// Tiếng Việt, Toán, Ngoại ngữ 1, Lịch sử và Địa lí, Khoa học, Tin học và Công nghệ (in
/// the grades that study them); grades 4–5 also mid-semester tests in Tiếng Việt and
/// Toán. Ngoại ngữ 1 is optional in grades 1–2 (70 periods) and compulsory from grade 3
/// (140 periods); its optional-grade test is assumed like the compulsory one (verify).
fn primary(g: u8) -> Vec<Offering> {
    use PeriodicTests::{EndOfSemester, MidAndEndOfSemester, None as NoTest};
    use Status::{Compulsory, Optional};
    let core_tests = if g >= 4 {
        MidAndEndOfSemester
    } else {
        EndOfSemester
    };
    let (tieng_viet, toan) = match g {
        1 => (420, 105),
        2 => (350, 175),
        _ => (245, 175),
    };
    let mut list = vec![
        primary_subject(Subject::TiengViet, Compulsory, tieng_viet, core_tests),
        primary_subject(Subject::Toan, Compulsory, toan, core_tests),
    ];
    if g <= 2 {
        list.push(primary_subject(
            Subject::NgoaiNgu1,
            Optional,
            70,
            EndOfSemester,
        ));
    } else {
        list.push(primary_subject(
            Subject::NgoaiNgu1,
            Compulsory,
            140,
            EndOfSemester,
        ));
    }
    list.push(primary_subject(Subject::DaoDuc, Compulsory, 35, NoTest));
    if g <= 3 {
        list.push(primary_subject(
            Subject::TuNhienXaHoi,
            Compulsory,
            70,
            NoTest,
        ));
    } else {
        list.push(primary_subject(
            Subject::LichSuDiaLi,
            Compulsory,
            70,
            EndOfSemester,
        ));
        list.push(primary_subject(
            Subject::KhoaHoc,
            Compulsory,
            70,
            EndOfSemester,
        ));
    }
    if g >= 3 {
        list.push(primary_subject(
            Subject::TinHocCongNghe,
            Compulsory,
            70,
            EndOfSemester,
        ));
    }
    list.extend([
        primary_subject(Subject::Gdtc, Compulsory, 70, NoTest),
        primary_subject(Subject::AmNhac, Compulsory, 35, NoTest),
        primary_subject(Subject::MiThuat, Compulsory, 35, NoTest),
        primary_subject(Subject::HoatDongTraiNghiem, Compulsory, 105, NoTest),
    ]);
    list
}

/// THCS grades 6–9. Công nghệ has 35 periods in grades 6–7 and 52 in grades 8–9.
fn lower_secondary(g: u8) -> Vec<Offering> {
    use Status::{Compulsory, Optional};
    let cong_nghe = if g <= 7 { 35 } else { 52 };
    vec![
        secondary(Subject::NguVan, Compulsory, 140, 0),
        secondary(Subject::Toan, Compulsory, 140, 0),
        secondary(Subject::NgoaiNgu1, Compulsory, 105, 0),
        secondary(Subject::Gdcd, Compulsory, 35, 0),
        secondary(Subject::LichSuDiaLi, Compulsory, 105, 0),
        secondary(Subject::Khtn, Compulsory, 140, 0),
        secondary(Subject::CongNghe, Compulsory, cong_nghe, 0),
        secondary(Subject::TinHoc, Compulsory, 35, 0),
        secondary(Subject::Gdtc, Compulsory, 70, 0),
        secondary(Subject::NgheThuat, Compulsory, 70, 0),
        secondary(Subject::HdtnHn, Compulsory, 105, 0),
        secondary(Subject::Gddp, Compulsory, 35, 0),
        secondary(Subject::TiengDanToc, Optional, 105, 0),
        secondary(Subject::NgoaiNgu2, Optional, 105, 0),
    ]
}

/// THPT grades 10–12 (programme as amended by Thông tư 13/2022/TT-BGDĐT: four electives
/// chosen from nine). Chuyên đề học tập: 35 periods a year for Ngữ văn, Toán, Lịch sử and
/// every elective; Ngoại ngữ 1, Giáo dục thể chất and Giáo dục quốc phòng và an ninh have
/// none (verify).
fn upper_secondary() -> Vec<Offering> {
    use Status::{Compulsory, Elective, Optional};
    vec![
        secondary(Subject::NguVan, Compulsory, 105, 35),
        secondary(Subject::Toan, Compulsory, 105, 35),
        secondary(Subject::NgoaiNgu1, Compulsory, 105, 0),
        secondary(Subject::LichSu, Compulsory, 52, 35),
        secondary(Subject::Gdtc, Compulsory, 70, 0),
        secondary(Subject::GdqpAn, Compulsory, 35, 0),
        secondary(Subject::DiaLi, Elective, 70, 35),
        secondary(Subject::GdktPl, Elective, 70, 35),
        secondary(Subject::VatLi, Elective, 70, 35),
        secondary(Subject::HoaHoc, Elective, 70, 35),
        secondary(Subject::SinhHoc, Elective, 70, 35),
        secondary(Subject::CongNghe, Elective, 70, 35),
        secondary(Subject::TinHoc, Elective, 70, 35),
        secondary(Subject::AmNhac, Elective, 70, 35),
        secondary(Subject::MiThuat, Elective, 70, 35),
        secondary(Subject::HdtnHn, Compulsory, 105, 0),
        secondary(Subject::Gddp, Compulsory, 35, 0),
        secondary(Subject::TiengDanToc, Optional, 105, 0),
        secondary(Subject::NgoaiNgu2, Optional, 105, 0),
    ]
}

/// GDTX, THCS programme (verify): the THCS subjects without Giáo dục thể chất and Nghệ
/// thuật (and without optional subjects); periods assumed equal to the THCS programme's
/// (verify).
fn continuing_lower_secondary(g: u8) -> Vec<Offering> {
    lower_secondary(g)
        .into_iter()
        .filter(|o| {
            o.status == Status::Compulsory
                && !matches!(o.subject, Subject::Gdtc | Subject::NgheThuat)
        })
        .collect()
}

/// GDTX, THPT programme (verify): compulsory Ngữ văn, Toán, Lịch sử, Giáo dục quốc phòng
/// và an ninh, Hoạt động trải nghiệm hướng nghiệp, Nội dung giáo dục của địa phương;
/// electives Ngoại ngữ 1, Địa lí, Giáo dục kinh tế và pháp luật, Vật lí, Hoá học, Sinh
/// học, Công nghệ, Tin học. No Giáo dục thể chất, Âm nhạc or Mĩ thuật. Periods and
/// chuyên đề as in the THPT programme (verify).
fn continuing_upper_secondary() -> Vec<Offering> {
    upper_secondary()
        .into_iter()
        .filter(|o| {
            o.status != Status::Optional
                && !matches!(
                    o.subject,
                    Subject::Gdtc | Subject::AmNhac | Subject::MiThuat
                )
        })
        .map(|o| {
            if o.subject == Subject::NgoaiNgu1 {
                Offering {
                    status: Status::Elective,
                    ..o
                }
            } else {
                o
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade(n: u8) -> Grade {
        Grade::new(n).unwrap()
    }

    fn regular(level: Level, g: u8, s: Subject) -> (u8, Option<u8>) {
        let o = offering(level, grade(g), s).unwrap();
        (o.regular_assessments(), o.regular_assessments_with_topics())
    }

    #[test]
    fn tt22_art7_regular_count_by_periods() {
        for (periods, expected) in [
            (0, 2),
            (35, 2),
            (36, 3),
            (52, 3),
            (70, 3),
            (71, 4),
            (105, 4),
            (140, 4),
        ] {
            assert_eq!(
                regular_assessment_count(periods),
                expected,
                "{periods} periods"
            );
        }
    }

    #[test]
    fn tt22_art7_regular_count_per_subject_thcs() {
        use Level::LowerSecondary as L;
        assert_eq!(regular(L, 6, Subject::Toan), (4, None));
        assert_eq!(regular(L, 6, Subject::NguVan), (4, None));
        assert_eq!(regular(L, 6, Subject::NgoaiNgu1), (4, None));
        assert_eq!(regular(L, 6, Subject::LichSuDiaLi), (4, None));
        assert_eq!(regular(L, 6, Subject::Khtn), (4, None));
        assert_eq!(regular(L, 6, Subject::Gdcd), (2, None));
        assert_eq!(regular(L, 6, Subject::TinHoc), (2, None));
        assert_eq!(regular(L, 7, Subject::CongNghe), (2, None));
        assert_eq!(regular(L, 8, Subject::CongNghe), (3, None));
        assert_eq!(regular(L, 9, Subject::CongNghe), (3, None));
    }

    #[test]
    fn tt22_art7_regular_count_per_subject_thpt_with_topics() {
        use Level::UpperSecondary as L;
        assert_eq!(regular(L, 10, Subject::Toan), (4, Some(4)));
        assert_eq!(regular(L, 10, Subject::NgoaiNgu1), (4, None));
        assert_eq!(regular(L, 11, Subject::LichSu), (3, Some(4)));
        assert_eq!(regular(L, 12, Subject::VatLi), (3, Some(4)));
        assert_eq!(regular(L, 12, Subject::GdqpAn), (2, None));
        let physics = offering(L, grade(10), Subject::VatLi).unwrap();
        assert!(!physics.allows_regular_count(2));
        assert!(physics.allows_regular_count(3));
        assert!(physics.allows_regular_count(4));
        assert!(!physics.allows_regular_count(5));
    }

    #[test]
    fn tt22_art5_comment_subjects_per_level() {
        let comment = |level, g| -> Vec<&str> {
            programme(level, grade(g))
                .unwrap()
                .into_iter()
                .filter(|o| o.form == AssessmentForm::Comment)
                .map(|o| o.subject.code())
                .collect()
        };
        assert_eq!(
            comment(Level::LowerSecondary, 6),
            ["GDTC", "NGHE_THUAT", "HDTN_HN", "GDDP"]
        );
        assert_eq!(
            comment(Level::UpperSecondary, 10),
            ["GDTC", "AM_NHAC", "MI_THUAT", "HDTN_HN", "GDDP"]
        );
        assert_eq!(comment(Level::Continuing, 10), ["HDTN_HN", "GDDP"]);
    }

    #[test]
    fn thcs_has_eight_scored_subjects_so_six_is_reachable() {
        let scored = programme(Level::LowerSecondary, grade(8))
            .unwrap()
            .into_iter()
            .filter(|o| o.form == AssessmentForm::Score && o.status == Status::Compulsory)
            .count();
        assert_eq!(scored, 8);
    }

    #[test]
    fn tt27_art7_periodic_tests_by_grade() {
        let tested = |g| -> Vec<(&str, PeriodicTests)> {
            programme(Level::Primary, grade(g))
                .unwrap()
                .into_iter()
                .filter(|o| o.tests != PeriodicTests::None && o.status == Status::Compulsory)
                .map(|o| (o.subject.code(), o.tests))
                .collect()
        };
        use PeriodicTests::*;
        assert_eq!(
            tested(1),
            [("TIENG_VIET", EndOfSemester), ("TOAN", EndOfSemester)]
        );
        assert_eq!(
            tested(2),
            [("TIENG_VIET", EndOfSemester), ("TOAN", EndOfSemester)]
        );
        assert_eq!(
            tested(3),
            [
                ("TIENG_VIET", EndOfSemester),
                ("TOAN", EndOfSemester),
                ("NGOAI_NGU_1", EndOfSemester),
                ("TIN_HOC_CONG_NGHE", EndOfSemester)
            ]
        );
        for g in [4, 5] {
            assert_eq!(
                tested(g),
                [
                    ("TIENG_VIET", MidAndEndOfSemester),
                    ("TOAN", MidAndEndOfSemester),
                    ("NGOAI_NGU_1", EndOfSemester),
                    ("LICH_SU_DIA_LI", EndOfSemester),
                    ("KHOA_HOC", EndOfSemester),
                    ("TIN_HOC_CONG_NGHE", EndOfSemester)
                ]
            );
        }
    }

    #[test]
    fn programme_exists_only_for_the_levels_grades() {
        assert!(programme(Level::Primary, grade(6)).is_none());
        assert!(programme(Level::LowerSecondary, grade(10)).is_none());
        assert!(programme(Level::UpperSecondary, grade(9)).is_none());
        assert!(programme(Level::Continuing, grade(5)).is_none());
        for level in Level::ALL {
            for g in level.grades() {
                let list = programme(level, grade(g)).unwrap();
                assert!(!list.is_empty());
                for o in &list {
                    // Secondary tables never hold a primary-only subject.
                    if level != Level::Primary {
                        assert_eq!(
                            o.subject.secondary_form(),
                            Some(o.form),
                            "{level} {g} {:?}",
                            o.subject
                        );
                        assert_eq!(o.tests, PeriodicTests::None);
                    }
                }
                let mut codes: Vec<_> = list.iter().map(|o| o.subject).collect();
                codes.sort();
                codes.dedup();
                assert_eq!(
                    codes.len(),
                    list.len(),
                    "duplicate subject in {level} grade {g}"
                );
            }
        }
    }

    #[test]
    fn gdtx_has_no_physical_education_or_arts() {
        for g in 6..=12 {
            for o in programme(Level::Continuing, grade(g)).unwrap() {
                assert!(!matches!(
                    o.subject,
                    Subject::Gdtc | Subject::NgheThuat | Subject::AmNhac | Subject::MiThuat
                ));
            }
        }
    }

    #[test]
    fn codes_round_trip_names_are_nfc_and_ascii_codes() {
        for s in Subject::ALL {
            assert_eq!(Subject::from_code(s.code()), Some(s));
            assert!(
                s.code()
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            );
            // NFC Vietnamese has no combining marks: every letter has a precomposed form.
            assert!(
                !s.name_vi()
                    .chars()
                    .any(|c| ('\u{300}'..='\u{36f}').contains(&c)),
                "{}",
                s.name_vi()
            );
        }
        assert_eq!(Subject::from_code("TIENG_ANH"), Some(Subject::NgoaiNgu1));
        assert_eq!(Subject::from_code("toan"), None);
        assert_eq!(Subject::from_code("NHAC_CU"), None);
    }
}
