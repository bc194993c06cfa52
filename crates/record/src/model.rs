//! The year record (học bạ năm học) as Rust values. Field docs name the XML element
//! (see [`crate::mapping`]) and the Vietnamese term.

use std::num::NonZeroU32;

use domain::tt22::{Comment, Rating, Title};
use domain::{
    Date, Grade, Level, PersonalId, RuleVersion, SchoolYear, Score, Sex, StudentCode, Tenths,
};

use domain::tt27::{
    Competence, Mastery, Overall, Quality, SubjectLevel, TestScore, Title as PrimaryTitle,
};

use crate::labels::Promotion;
use crate::text::{Code, RecordId, Sha256Digest, Text};

/// Học bạ: one student's record for one school year at one school, in one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `MaDinhDanhHocBa`: the id of this version of the record.
    pub id: RecordId,
    /// `PhienBan`: 1 for the first issue, +1 for each replacement.
    pub version: NonZeroU32,
    /// `NgayLap`: the day this version was drawn up.
    pub created: Date,
    /// `ThayThe`: the version this one replaces (only when `version` > 1).
    pub supersedes: Option<Supersedes>,
    /// `HocSinh`: who the record is about.
    pub student: Student,
    /// `TruongHoc`: the school that issues the record.
    pub school: School,
    /// `LopHoc`: school year, grade, class.
    pub class: Class,
    /// `KetQuaTrungHoc` or `KetQuaTieuHoc`: the assessment results.
    pub results: Results,
}

/// `ThayThe`: a link to the record version that this one replaces (after a correction or
/// a summer re-assessment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supersedes {
    /// `MaDinhDanhHocBa` of the replaced version.
    pub id: RecordId,
    /// `MaBamSHA256`: SHA-256 of the replaced version's document bytes as signed.
    pub digest: Sha256Digest,
}

/// `HocSinh`: the identity block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// `MaHocSinh`: mã định danh học sinh (20 characters).
    pub code: StudentCode,
    /// `SoDinhDanhCaNhan`: số định danh cá nhân. A record can be drawn up without it but
    /// cannot be signed ([`Record::signing_blockers`]).
    pub personal_id: Option<PersonalId>,
    /// `HoVaTen`: họ và tên.
    pub name: Text,
    /// `GioiTinh`: giới tính, written `Nam` / `Nữ`.
    pub sex: Sex,
    /// `NgaySinh`: ngày sinh, written `YYYY-MM-DD`.
    pub born: Date,
    /// `DanToc`: dân tộc.
    pub ethnicity: Text,
    /// `QuocTich`: quốc tịch.
    pub nationality: Text,
    /// `NoiSinh`: nơi sinh.
    pub birthplace: Text,
    /// `NoiCuTru`: nơi cư trú.
    pub residence: Text,
}

/// `TruongHoc`: the issuing school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    /// `MaSoGD`: mã Sở GDĐT.
    pub department_code: Code,
    /// `MaTruong`: mã trường (or trung tâm GDTX).
    pub code: Code,
    /// `TenTruong`: tên trường.
    pub name: Text,
    /// `CapHoc`: cấp học / loại hình (`TH`, `THCS`, `THPT`, `GDTX`).
    pub level: Level,
}

/// `LopHoc`: the class of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// `NamHoc`: năm học, written `2025-2026`.
    pub year: SchoolYear,
    /// `MaKhoi`: khối lớp 1–12.
    pub grade: Grade,
    /// `TenLop`: tên lớp.
    pub name: Text,
    /// `GiaoVienChuNhiem`: họ tên giáo viên chủ nhiệm.
    pub homeroom_teacher: Text,
}

/// The results block: its shape follows the school's level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Results {
    /// `KetQuaTrungHoc`: THCS, THPT (TT22) and GDTX (TT43).
    Secondary(SecondaryResults),
    /// `KetQuaTieuHoc`: primary (TT27).
    Primary(PrimaryResults),
}

impl Results {
    /// The rule version that computed the stored values.
    pub fn rule(&self) -> RuleVersion {
        match self {
            Results::Secondary(r) => r.rule,
            Results::Primary(r) => r.rule,
        }
    }
}

// ---------------------------------------------------------------------------------------
// TT22 / TT43

/// `KetQuaTrungHoc`: the year of a THCS/THPT student (TT22) or GDTX learner (TT43).
/// Values marked "computed" come from the domain engine ([`crate::SecondaryInput::evaluate`]) and are checked
/// by [`crate::recompute_check`]; the others are inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryResults {
    /// `PhienBanQuyTac`: the rule version that computed the values (e.g. `TT22-2021/v1`).
    pub rule: RuleVersion,
    /// `MonHoc`: every subject studied, in record-book order.
    pub subjects: Vec<SecondarySubject>,
    /// `TongKetHocKy1`, `TongKetHocKy2`, `TongKetCaNam` / `KetQuaHocTap`: kết quả học tập
    /// (computed).
    pub learning: Terms<Rating>,
    /// `…/KetQuaRenLuyen`: kết quả rèn luyện; semesters are inputs set by the homeroom
    /// teacher, the year is computed (TT22 art. 8).
    pub conduct: Terms<Rating>,
    /// `TongKetCaNam/SoNgayNghi`: days absent in the year.
    pub absences: Absences,
    /// `RenLuyenTrongHe`: conduct re-assessed after summer training, with its date
    /// (input; only when the year conduct is Chưa đạt).
    pub conduct_retraining: Option<Dated<Rating>>,
    /// `KetQuaHocTapSauKiemTraLai`: the year learning result recomputed with the
    /// re-assessment results (computed; present when at least one re-assessment applied).
    pub learning_after_reassessment: Option<Rating>,
    /// `LenLop`: kết quả lên lớp (computed from the engine's blockers).
    pub promotion: Promotion,
    /// `DanhHieu`: danh hiệu (computed).
    pub title: Option<Title>,
    /// `NhanXetGiaoVienChuNhiem`: nhận xét của giáo viên chủ nhiệm.
    pub homeroom_comment: Option<Text>,
}

/// A value for semester I (`hk1`), semester II (`hk2`) and the year.
pub use domain::tt22::Terms;

/// `SoNgayNghi`: số ngày nghỉ học in the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Absences {
    /// `CoPhep`: excused.
    pub excused: u16,
    /// `KhongPhep`: unexcused.
    pub unexcused: u16,
}

impl Absences {
    /// Excused and unexcused together, the number promotion counts (TT22 art. 12).
    pub fn total(self) -> u32 {
        u32::from(self.excused) + u32::from(self.unexcused)
    }
}

/// A summer result with the date it was given (ngày kiểm tra / đánh giá lại).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated<T> {
    /// The new value.
    pub value: T,
    /// When it was given.
    pub date: Date,
}

/// `MonHoc`: one subject of a THCS/THPT/GDTX year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondarySubject {
    /// `MaMonHoc`: the subject code (catalogue codes such as `TOAN`, see
    /// `domain::catalogue`).
    pub code: Code,
    /// `TenMonHoc`: the subject's name as printed.
    pub name: Text,
    /// `DanhGiaBangDiem` or `DanhGiaBangNhanXet`: the assessments; the variant is the
    /// hình thức đánh giá.
    pub assessment: SubjectAssessment,
    /// `NhanXet`: the subject teacher's comment.
    pub teacher_comment: Option<Text>,
}

/// Hình thức đánh giá of a subject and its values (TT22 art. 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectAssessment {
    /// `DanhGiaBangDiem`: nhận xét kết hợp điểm số.
    Scored(ScoredSubject),
    /// `DanhGiaBangNhanXet`: nhận xét (Đạt / Chưa đạt).
    Commented(CommentedSubject),
}

/// The scores of a scored subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredSubject {
    /// `HocKy1`.
    pub hk1: ScoredSemester,
    /// `HocKy2`.
    pub hk2: ScoredSemester,
    /// `DiemTrungBinhCaNam`: ĐTBmcn (computed, TT22 art. 9).
    pub year_average: Tenths,
    /// `KiemTraLai`: the re-assessment score (điểm kiểm tra lại) and its date (input); the
    /// original ĐTBmcn stays as it was.
    pub retake: Option<Dated<Score>>,
}

/// `HocKy1` / `HocKy2` of a scored subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredSemester {
    /// `DiemDanhGiaThuongXuyen` (repeated): ĐĐGtx in the order taken (input).
    pub regular: Vec<Score>,
    /// `DiemGiuaKy`: ĐĐGgk (input).
    pub midterm: Score,
    /// `DiemCuoiKy`: ĐĐGck (input).
    pub final_term: Score,
    /// `DiemTrungBinhHocKy`: ĐTBmhk (computed, TT22 art. 9).
    pub average: Tenths,
}

/// The results of a subject assessed by comment only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentedSubject {
    /// `KetQuaHocKy1` (input).
    pub hk1: Comment,
    /// `KetQuaHocKy2` (input).
    pub hk2: Comment,
    /// `KetQuaCaNam` (computed: the semester II result, TT22 art. 9).
    pub year: Comment,
    /// `KiemTraLai`: the re-assessment result and its date (input).
    pub retake: Option<Dated<Comment>>,
}

// ---------------------------------------------------------------------------------------
// TT27

/// `KetQuaTieuHoc`: the year of a primary pupil (TT27). `overall` and `title` are
/// computed by the domain engine (`domain::tt27`); the rest are inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryResults {
    /// `PhienBanQuyTac`: the rule version (`TT27-2020/v1`).
    pub rule: RuleVersion,
    /// `MonHoc`: each subject and educational activity.
    pub subjects: Vec<PrimarySubject>,
    /// `PhamChat` (repeated): the five phẩm chất.
    pub qualities: Vec<Rated<Quality>>,
    /// `NangLuc` (repeated): năng lực chung (all three) and năng lực đặc thù.
    pub competences: Vec<Rated<Competence>>,
    /// `KetQuaCuoiNam`: kết quả giáo dục cuối năm (computed, TT27 art. 9).
    pub overall: Overall,
    /// `SoNgayNghi`.
    pub absences: Absences,
    /// `LenLop` (input: for Chưa hoàn thành the school decides after support).
    pub promotion: Promotion,
    /// `DanhHieu`: Học sinh Xuất sắc / Học sinh Tiêu biểu (computed, TT27 art. 15).
    pub title: Option<PrimaryTitle>,
    /// `HocSinhTieuBieu`: recognised by the class as tiêu biểu (input flag).
    pub exemplary: bool,
    /// `NhanXetGiaoVienChuNhiem`.
    pub homeroom_comment: Option<Text>,
}

/// `MonHoc` of a primary year: the four periodic assessments (TT27 art. 6–7). The engine
/// uses the year-end one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimarySubject {
    /// `MaMonHoc`.
    pub code: Code,
    /// `TenMonHoc`.
    pub name: Text,
    /// `GiuaHocKy1`: giữa học kì I.
    pub mid_hk1: PrimaryPeriod,
    /// `CuoiHocKy1`: cuối học kì I.
    pub end_hk1: PrimaryPeriod,
    /// `GiuaHocKy2`: giữa học kì II.
    pub mid_hk2: PrimaryPeriod,
    /// `CuoiNam`: cuối năm học.
    pub end_year: PrimaryPeriod,
}

/// One periodic assessment of a primary subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryPeriod {
    /// `MucDat`: Hoàn thành tốt / Hoàn thành / Chưa hoàn thành.
    pub level: SubjectLevel,
    /// `DiemKiemTra`: bài kiểm tra định kì, an integer 1–10, when there is one.
    pub test: Option<TestScore>,
    /// `NhanXet`.
    pub comment: Option<Text>,
}

/// `PhamChat` / `NangLuc`: a quality or competence rated at the end of semester I and of
/// the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rated<K> {
    /// `Ma`: which one (the domain key, e.g. `yeu_nuoc`).
    pub key: K,
    /// `CuoiHocKy1`.
    pub hk1: Mastery,
    /// `CuoiNam`.
    pub year: Mastery,
}
