//! The values the store reads and writes. Identifiers and scores use the `domain` types,
//! so nothing read back from the database can hold an invalid value.

use std::fmt;
use std::str::FromStr;

use domain::{Date, Grade, Level, PersonalId, SchoolYear, Score, Sex, StudentCode};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Database id of a school (not its MaTruong code).
    SchoolId
);
id_type!(
    /// Database id of a class.
    ClassId
);
id_type!(
    /// Database id of a teacher or staff account.
    TeacherId
);

/// Declares a closed set of values stored as short ASCII codes.
macro_rules! code_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the database.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The value stored as `code`, if any.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

code_enum! {
    /// A staff role (vai trò) inside one school.
    pub enum Role {
        /// Quản trị: users, classes, imports.
        Admin = "admin",
        /// Hiệu trưởng (or Giám đốc of a GDTX centre).
        Principal = "principal",
        /// Giáo viên chủ nhiệm (GVCN).
        Homeroom = "homeroom",
        /// Giáo viên bộ môn (GVBM).
        SubjectTeacher = "subject_teacher",
        /// Văn thư.
        Clerk = "clerk",
    }
}

code_enum! {
    /// A semester (học kì) of the school year; stored as 1 or 2.
    pub enum Semester {
        /// Học kì I.
        First = "HK1",
        /// Học kì II.
        Second = "HK2",
    }
}

impl Semester {
    /// The number stored in the database: 1 or 2.
    pub const fn number(self) -> i16 {
        match self {
            Semester::First => 1,
            Semester::Second => 2,
        }
    }

    /// The semester stored as `n`, if `n` is 1 or 2.
    pub fn from_number(n: i64) -> Option<Semester> {
        match n {
            1 => Some(Semester::First),
            2 => Some(Semester::Second),
            _ => None,
        }
    }
}

code_enum! {
    /// The term a subject comment belongs to.
    pub enum Term {
        /// Học kì I.
        First = "HK1",
        /// Học kì II.
        Second = "HK2",
        /// Cả năm: the whole year.
        Year = "CN",
    }
}

code_enum! {
    /// Kết quả rèn luyện (TT22 art. 8): Tốt / Khá / Đạt / Chưa đạt.
    pub enum ConductRating {
        /// Tốt.
        Good = "tot",
        /// Khá.
        Fair = "kha",
        /// Đạt.
        Pass = "dat",
        /// Chưa đạt.
        Fail = "chua_dat",
    }
}

code_enum! {
    /// TT27 assessment period.
    pub enum Tt27Period {
        /// Giữa học kì I.
        MidFirst = "GK1",
        /// Cuối học kì I.
        EndFirst = "CK1",
        /// Giữa học kì II.
        MidSecond = "GK2",
        /// Cuối năm học.
        YearEnd = "CN",
    }
}

code_enum! {
    /// TT27 subject level (mức đạt được).
    pub enum Tt27Level {
        /// Hoàn thành tốt.
        Excellent = "htt",
        /// Hoàn thành.
        Completed = "ht",
        /// Chưa hoàn thành.
        NotCompleted = "cht",
    }
}

code_enum! {
    /// TT27 qualities (phẩm chất) and competences (năng lực); codes match the rules CLI.
    pub enum QualityItem {
        /// Yêu nước.
        Patriotism = "yeu_nuoc",
        /// Nhân ái.
        Kindness = "nhan_ai",
        /// Chăm chỉ.
        Diligence = "cham_chi",
        /// Trung thực.
        Honesty = "trung_thuc",
        /// Trách nhiệm.
        Responsibility = "trach_nhiem",
        /// Tự chủ và tự học.
        SelfLearning = "tu_chu_tu_hoc",
        /// Giao tiếp và hợp tác.
        Communication = "giao_tiep_hop_tac",
        /// Giải quyết vấn đề và sáng tạo.
        ProblemSolving = "giai_quyet_van_de_sang_tao",
        /// Ngôn ngữ.
        Language = "ngon_ngu",
        /// Tính toán.
        Numeracy = "tinh_toan",
        /// Khoa học.
        Science = "khoa_hoc",
        /// Công nghệ.
        Technology = "cong_nghe",
        /// Tin học.
        Informatics = "tin_hoc",
        /// Thẩm mĩ.
        Aesthetics = "tham_mi",
        /// Thể chất.
        Physical = "the_chat",
    }
}

code_enum! {
    /// TT27 rating of a quality or competence: Tốt / Đạt / Cần cố gắng.
    pub enum QualityRating {
        /// Tốt.
        Good = "tot",
        /// Đạt.
        Pass = "dat",
        /// Cần cố gắng.
        NeedsEffort = "can_co_gang",
    }
}

/// A subject code (mã môn học) such as `TOAN`: 1 to 32 characters `A-Z`, `0-9`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubjectCode(String);

/// The text is not a subject code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject code must be 1 to 32 characters A-Z, 0-9 or _, got {0:?}")]
pub struct InvalidSubjectCode(pub String);

impl SubjectCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SubjectCode {
    type Err = InvalidSubjectCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(SubjectCode(s.to_owned()))
        } else {
            Err(InvalidSubjectCode(s.to_owned()))
        }
    }
}

impl fmt::Display for SubjectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A school to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchool {
    /// Mã trường (MaTruong): 1–20 characters `0-9 A-Z a-z _ . -`, unique.
    pub code: String,
    /// Tên trường, NFC.
    pub name: String,
    /// The levels the school teaches (a "liên cấp" school has several); at least one.
    pub levels: Vec<Level>,
    /// Mã Sở GDĐT (MaSoGD), the province's education department code.
    pub department_code: String,
    /// Name of the supervising authority (Phòng VH-XH of the UBND, or the Sở).
    pub authority_name: String,
    /// Postal address.
    pub address: String,
}

/// A stored school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    /// Database id.
    pub id: SchoolId,
    /// Mã trường (MaTruong).
    pub code: String,
    /// Tên trường.
    pub name: String,
    /// Levels taught, in [`Level`] order.
    pub levels: Vec<Level>,
    /// Mã Sở GDĐT.
    pub department_code: String,
    /// Supervising authority.
    pub authority_name: String,
    /// Postal address.
    pub address: String,
}

/// A school year (năm học) with its first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchoolYearInfo {
    /// The year, e.g. 2025-2026.
    pub year: SchoolYear,
    /// First day of the year.
    pub starts_on: Date,
    /// Last day of the year; after `starts_on`.
    pub ends_on: Date,
}

/// A class to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClass {
    /// The school.
    pub school: SchoolId,
    /// The school year; must exist.
    pub year: SchoolYear,
    /// Khối.
    pub grade: Grade,
    /// Tên lớp, e.g. `6A1`; unique per school and year.
    pub name: String,
    /// Giáo viên chủ nhiệm; must work at the same school.
    pub homeroom_teacher: Option<TeacherId>,
}

/// A stored class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Database id.
    pub id: ClassId,
    /// The school.
    pub school: SchoolId,
    /// The school year.
    pub year: SchoolYear,
    /// Khối.
    pub grade: Grade,
    /// Tên lớp.
    pub name: String,
    /// Giáo viên chủ nhiệm.
    pub homeroom_teacher: Option<TeacherId>,
}

/// A teacher or staff account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeacher {
    /// The school the person works at.
    pub school: SchoolId,
    /// Họ và tên, NFC.
    pub full_name: String,
    /// Login name, unique across the installation.
    pub username: String,
    /// Roles in the school; may be empty.
    pub roles: Vec<Role>,
    /// Password hash (argon2 PHC string), absent until a password is set.
    pub password_hash: Option<String>,
}

/// A stored teacher or staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teacher {
    /// Database id.
    pub id: TeacherId,
    /// The school.
    pub school: SchoolId,
    /// Họ và tên.
    pub full_name: String,
    /// Login name.
    pub username: String,
    /// Roles, in [`Role`] order.
    pub roles: Vec<Role>,
    /// Password hash, if set.
    pub password_hash: Option<String>,
}

/// A subject assignment: this teacher teaches this subject in this class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubjectAssignment {
    /// The class.
    pub class: ClassId,
    /// The subject.
    pub subject: SubjectCode,
    /// The teacher.
    pub teacher: TeacherId,
}

/// A student (học sinh / học viên); the same value is written and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// Mã định danh học sinh: 20 characters, the primary key.
    pub code: StudentCode,
    /// Số định danh cá nhân; `None` until the student has one.
    pub personal_id: Option<PersonalId>,
    /// Họ và tên, NFC.
    pub full_name: String,
    /// Giới tính.
    pub sex: Sex,
    /// Ngày sinh.
    pub born_on: Date,
    /// Dân tộc.
    pub ethnicity: String,
    /// Quốc tịch.
    pub nationality: String,
    /// Nơi sinh.
    pub place_of_birth: String,
    /// Nơi cư trú.
    pub residence: String,
}

/// Identifies one enrolment: a student in a class (hence in one school year).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnrolmentKey {
    /// The student.
    pub student: StudentCode,
    /// The class.
    pub class: ClassId,
}

/// An enrolment with its roll number (số thứ tự) in the class list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Which student in which class.
    pub key: EnrolmentKey,
    /// Position in the class list, 1–999, unique in the class.
    pub roll_no: u16,
}

/// One line of a class list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMember {
    /// Position in the class list.
    pub roll_no: u16,
    /// The student.
    pub student: Student,
}

/// TT22 / TT43 scores of one scored subject in one semester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectScores {
    /// The subject.
    pub subject: SubjectCode,
    /// The semester.
    pub semester: Semester,
    /// ĐĐGtx in entry order (at most 20).
    pub regular: Vec<Score>,
    /// ĐĐGgk, if entered.
    pub midterm: Option<Score>,
    /// ĐĐGck, if entered.
    pub final_exam: Option<Score>,
}

/// One student's line of a class score sheet (one subject, one semester).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSheetRow {
    /// The student; must be enrolled in the class.
    pub student: StudentCode,
    /// ĐĐGtx in entry order (at most 20).
    pub regular: Vec<Score>,
    /// ĐĐGgk.
    pub midterm: Option<Score>,
    /// ĐĐGck.
    pub final_exam: Option<Score>,
}

/// Result of a subject assessed by comment only: Đạt (`passed`) or Chưa đạt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentResult {
    /// The subject.
    pub subject: SubjectCode,
    /// The semester.
    pub semester: Semester,
    /// `true` for Đạt.
    pub passed: bool,
}

/// A subject teacher's written comment (nhận xét).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectComment {
    /// The subject.
    pub subject: SubjectCode,
    /// Semester or whole year.
    pub term: Term,
    /// The comment, NFC, at most 2000 characters.
    pub body: String,
}

/// Conduct of one semester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConductEntry {
    /// The semester.
    pub semester: Semester,
    /// The rating set by the homeroom teacher.
    pub rating: ConductRating,
}

/// Days absent in the school year (each 0–366).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Absences {
    /// Có phép.
    pub excused_days: u16,
    /// Không phép.
    pub unexcused_days: u16,
}

impl Absences {
    /// Excused plus unexcused days, the number the 45-day rule looks at.
    pub fn total(self) -> u32 {
        u32::from(self.excused_days) + u32::from(self.unexcused_days)
    }
}

/// The new result of a subject re-assessed after the summer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetakeResult {
    /// A scored subject's new score.
    Score(Score),
    /// A comment subject's new result (`true` for Đạt).
    Passed(bool),
}

/// Summer re-assessment (kiểm tra lại) of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummerRetake {
    /// The subject.
    pub subject: SubjectCode,
    /// The new result.
    pub result: RetakeResult,
    /// When it was assessed.
    pub assessed_on: Date,
}

/// Conduct re-assessed after summer training (rèn luyện trong hè).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrainedConduct {
    /// The new conduct.
    pub rating: ConductRating,
    /// When it was assessed.
    pub assessed_on: Date,
}

/// TT27 evaluation of one subject in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tt27SubjectEvaluation {
    /// The subject.
    pub subject: SubjectCode,
    /// The period.
    pub period: Tt27Period,
    /// Mức đạt được, if set.
    pub level: Option<Tt27Level>,
    /// Periodic test score, an integer 1–10, for subjects with tests.
    pub test_score: Option<u8>,
    /// Nhận xét.
    pub comment: Option<String>,
}

/// TT27 rating of one quality or competence in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tt27Quality {
    /// The quality or competence.
    pub item: QualityItem,
    /// The period.
    pub period: Tt27Period,
    /// The rating.
    pub rating: QualityRating,
}

/// Every assessment input of one enrolment: what the rule engine needs to evaluate the
/// student's year. Lists are sorted by subject (or item), then semester / period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInputs {
    /// The student.
    pub student: Student,
    /// The class (school, year, grade).
    pub class: Class,
    /// The levels the school teaches.
    pub school_levels: Vec<Level>,
    /// Roll number in the class.
    pub roll_no: u16,
    /// TT22 / TT43 scored subjects.
    pub scores: Vec<SubjectScores>,
    /// TT22 / TT43 comment-only subjects.
    pub comment_results: Vec<CommentResult>,
    /// Subject comments.
    pub comments: Vec<SubjectComment>,
    /// Conduct per semester.
    pub conduct: Vec<ConductEntry>,
    /// Absences, if recorded.
    pub absences: Option<Absences>,
    /// Summer re-assessments.
    pub summer_retakes: Vec<SummerRetake>,
    /// Conduct after summer training, if any.
    pub retrained_conduct: Option<RetrainedConduct>,
    /// TT27 subject evaluations.
    pub tt27_subjects: Vec<Tt27SubjectEvaluation>,
    /// TT27 qualities and competences.
    pub tt27_qualities: Vec<Tt27Quality>,
    /// TT27 "Học sinh tiêu biểu" note, `Some` when the class recognised the student.
    pub outstanding: Option<String>,
}
