#![doc = include_str!("../README.md")]

mod assess;
mod names;
mod rng;

use domain::catalogue::{self, Offering, Status, Subject};
use domain::tt22::StudentYear;
use domain::tt27::PupilYear;
use domain::{Date, Grade, Level, PersonalId, SchoolYear, Sex, StudentCode};

pub use assess::{PrimaryEarlier, Profile, classify_primary, classify_secondary};
pub use rng::Rng;

/// The seed `scripts/demo` uses.
pub const DEFAULT_SEED: u64 = 2025;

/// Everything the demo creates.
#[derive(Debug, Clone)]
pub struct DemoData {
    /// The school year of every class.
    pub year: SchoolYear,
    /// One primary school, one THCS, one THPT, one GDTX centre.
    pub schools: Vec<School>,
}

/// A school (or GDTX centre) with its staff and classes.
#[derive(Debug, Clone)]
pub struct School {
    /// Mã trường, unique nationally.
    pub code: String,
    /// Tên trường, e.g. "Trường THCS Lê Quý Đôn".
    pub name: String,
    /// The level it teaches.
    pub level: Level,
    /// Mã Sở GDĐT (province code).
    pub department_code: String,
    /// Tên Sở GDĐT.
    pub department_name: String,
    /// The supervising authority: the ward's Phòng Văn hóa - Xã hội for primary and THCS,
    /// the Sở for THPT and GDTX.
    pub supervisor: String,
    /// Địa chỉ.
    pub address: String,
    /// Every account of the school.
    pub staff: Vec<Staff>,
    /// Every class of the year.
    pub classes: Vec<Class>,
}

/// A role of a school account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Quản trị trường.
    Admin,
    /// Hiệu trưởng, or Giám đốc trung tâm for GDTX.
    Principal,
    /// Giáo viên chủ nhiệm.
    Homeroom,
    /// Giáo viên bộ môn.
    SubjectTeacher,
    /// Văn thư.
    Clerk,
}

/// A school account.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Login name, unique within the installation.
    pub username: String,
    /// Họ và tên.
    pub full_name: String,
    /// The roles held.
    pub roles: Vec<Role>,
}

/// A class of the year with its students and teaching assignments.
#[derive(Debug, Clone)]
pub struct Class {
    /// Tên lớp, e.g. "6A1".
    pub name: String,
    /// Khối.
    pub grade: Grade,
    /// Username of the homeroom teacher.
    pub homeroom: String,
    /// Phân công giảng dạy: subject code and the teacher's username.
    pub assignments: Vec<(String, String)>,
    /// Students in roll order.
    pub students: Vec<Student>,
}

/// A student (or GDTX learner) with the year's assessment inputs.
#[derive(Debug, Clone)]
pub struct Student {
    /// Mã định danh học sinh.
    pub code: StudentCode,
    /// Số định danh cá nhân; `None` for the few who have none yet.
    pub personal_id: Option<PersonalId>,
    /// Họ và tên.
    pub full_name: String,
    /// Giới tính.
    pub sex: Sex,
    /// Ngày sinh.
    pub born: Date,
    /// Dân tộc.
    pub ethnicity: String,
    /// Quốc tịch.
    pub nationality: String,
    /// Nơi sinh.
    pub birthplace: String,
    /// Nơi cư trú.
    pub residence: String,
    /// The outcome this student was drawn to have.
    pub profile: Profile,
    /// The year's assessment inputs.
    pub year: Year,
    /// Primary pupils: the checkpoints before the year end; `None` otherwise.
    pub primary_earlier: Option<PrimaryEarlier>,
}

/// The assessment inputs of one student's year.
#[derive(Debug, Clone)]
pub enum Year {
    /// THCS, THPT, GDTX (TT22 / TT43).
    Secondary(StudentYear),
    /// Primary (TT27).
    Primary(PupilYear),
}

/// Generates the whole demo deterministically from `seed`.
pub fn generate(seed: u64) -> DemoData {
    let year = SchoolYear::starting(2025).unwrap_or_else(|_| unreachable!("2025 is in range"));
    let mut rng = Rng::new(seed);
    let plans = [
        SchoolPlan {
            code: "79000101",
            name: "Trường Tiểu học Nguyễn Bỉnh Khiêm",
            level: Level::Primary,
            ward: "phường Sài Gòn",
            grades: &[1, 2, 3, 4, 5],
            classes_per_grade: 1,
            per_class: 24,
        },
        SchoolPlan {
            code: "79000202",
            name: "Trường THCS Lê Quý Đôn",
            level: Level::LowerSecondary,
            ward: "phường Xuân Hòa",
            grades: &[6, 7, 8, 9],
            classes_per_grade: 1,
            per_class: 30,
        },
        SchoolPlan {
            code: "79000303",
            name: "Trường THPT Chu Văn An",
            level: Level::UpperSecondary,
            ward: "phường Bàn Cờ",
            grades: &[10, 11, 12],
            classes_per_grade: 1,
            per_class: 32,
        },
        SchoolPlan {
            code: "79000404",
            name: "Trung tâm GDNN-GDTX phường Chợ Quán",
            level: Level::Continuing,
            ward: "phường Chợ Quán",
            grades: &[10, 11, 12],
            classes_per_grade: 1,
            per_class: 20,
        },
    ];
    let schools = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let mut school_rng = rng.fork(i as u64 + 1);
            plan.build(&mut school_rng, year, i as u32)
        })
        .collect();
    DemoData { year, schools }
}

/// One THPT school of about `students` students (three grades, classes of at most 40),
/// for benchmarks of a school's year end. Deterministic from `seed`; the school code
/// differs from the demo schools'.
pub fn large_school(seed: u64, students: usize) -> DemoData {
    let year = SchoolYear::starting(2025).unwrap_or_else(|_| unreachable!("2025 is in range"));
    let classes_per_grade = students.div_ceil(3 * 40).max(1);
    let plan = SchoolPlan {
        code: "79000909",
        name: "Trường THPT Lê Hồng Phong",
        level: Level::UpperSecondary,
        ward: "phường Chợ Quán",
        grades: &[10, 11, 12],
        classes_per_grade,
        per_class: students.div_ceil(3 * classes_per_grade).max(7),
    };
    let school = plan.build(&mut Rng::new(seed), year, 9);
    DemoData {
        year,
        schools: vec![school],
    }
}

struct SchoolPlan {
    code: &'static str,
    name: &'static str,
    level: Level,
    ward: &'static str,
    grades: &'static [u8],
    classes_per_grade: usize,
    per_class: usize,
}

const CITY: &str = "Thành phố Hồ Chí Minh";

impl SchoolPlan {
    fn build(&self, rng: &mut Rng, year: SchoolYear, school_index: u32) -> School {
        let short = self.code[4..].to_string();
        let account = |role: &str, n: usize| format!("{role}{n}.{short}");
        let mut staff = vec![
            Staff {
                username: format!("admin.{short}"),
                full_name: names::person(rng, Sex::Male),
                roles: vec![Role::Admin],
            },
            Staff {
                username: format!("hieutruong.{short}"),
                full_name: names::person(rng, Sex::Female),
                roles: vec![Role::Principal],
            },
            Staff {
                username: format!("vanthu.{short}"),
                full_name: names::person(rng, Sex::Female),
                roles: vec![Role::Clerk],
            },
        ];
        let mut classes = Vec::new();
        let mut student_seq = 0u32;
        let sections = self
            .grades
            .iter()
            .flat_map(|&g| (1..=self.classes_per_grade).map(move |k| (g, k)));
        for (ci, (g, k)) in sections.enumerate() {
            let grade = Grade::new(g).unwrap_or_else(|_| unreachable!("plans list grades 1-12"));
            let class_name = match (self.level, self.classes_per_grade) {
                (Level::Primary, 1) => format!("{g}A"),
                (Level::Primary, _) => format!("{g}A{k}"),
                (Level::Continuing, 1) => format!("{g}B"),
                (Level::Continuing, _) => format!("{g}B{k}"),
                _ => format!("{g}A{k}"),
            };
            let homeroom = account("gvcn", ci + 1);
            let sex = if rng.chance(70) {
                Sex::Female
            } else {
                Sex::Male
            };
            staff.push(Staff {
                username: homeroom.clone(),
                full_name: names::person(rng, sex),
                roles: vec![Role::Homeroom, Role::SubjectTeacher],
            });
            let offerings = subjects_for(self.level, grade);
            let assignments = offerings
                .iter()
                .map(|o| {
                    (
                        o.subject.code().to_string(),
                        teacher_for(&mut staff, rng, o.subject, &short),
                    )
                })
                .collect();
            let profiles = assess::profiles(rng, self.level, self.per_class);
            let students = profiles
                .into_iter()
                .map(|profile| {
                    student_seq += 1;
                    self.student(
                        rng,
                        year,
                        grade,
                        &offerings,
                        profile,
                        school_index,
                        student_seq,
                    )
                })
                .collect();
            classes.push(Class {
                name: class_name,
                grade,
                homeroom,
                assignments,
                students,
            });
        }
        School {
            code: self.code.to_string(),
            name: self.name.to_string(),
            level: self.level,
            department_code: "79".to_string(),
            department_name: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_string(),
            supervisor: match self.level {
                Level::Primary | Level::LowerSecondary => {
                    format!("Phòng Văn hóa - Xã hội, Ủy ban nhân dân {}", self.ward)
                }
                Level::UpperSecondary | Level::Continuing => {
                    "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_string()
                }
            },
            address: format!(
                "{} đường Nguyễn Du, {}, {CITY}",
                10 + school_index * 7,
                self.ward
            ),
            staff,
            classes,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn student(
        &self,
        rng: &mut Rng,
        year: SchoolYear,
        grade: Grade,
        offerings: &[Offering],
        profile: Profile,
        school_index: u32,
        seq: u32,
    ) -> Student {
        let sex = if rng.chance(50) {
            Sex::Female
        } else {
            Sex::Male
        };
        // Pupils enter grade 1 in the calendar year they turn 6; GDTX learners are often
        // a year or two older.
        let extra = if self.level == Level::Continuing {
            rng.range(0, 2) as u16
        } else {
            0
        };
        let birth_year = year.start() - 5 - u16::from(grade.get()) - extra;
        let born = random_date(rng, birth_year);
        let province = *rng.pick(&["079", "079", "079", "001", "048", "092", "075"]);
        let personal_id = if profile == Profile::NoPersonalId {
            None
        } else {
            Some(personal_id(rng, province, sex, birth_year))
        };
        let code = student_code(school_index, seq, rng);
        let birthplace = match province {
            "001" => "Thành phố Hà Nội",
            "048" => "Thành phố Đà Nẵng",
            "092" => "Thành phố Cần Thơ",
            "075" => "Tỉnh Đồng Nai",
            _ => CITY,
        };
        // Draw order matters for determinism: name, ethnicity, residence, then the year.
        let full_name = names::person(rng, sex);
        let ethnicity = rng.pick(names::ETHNICITIES).to_string();
        let residence = names::residence(rng, self.ward, CITY);
        let year = assess::year(rng, self.level, grade, offerings, profile);
        let primary_earlier = match &year {
            Year::Primary(y) => Some(assess::primary_earlier(rng, offerings, y)),
            Year::Secondary(_) => None,
        };
        Student {
            code,
            personal_id,
            full_name,
            sex,
            born,
            ethnicity,
            nationality: "Việt Nam".to_string(),
            birthplace: birthplace.to_string(),
            residence,
            profile,
            year,
            primary_earlier,
        }
    }
}

/// The subjects every student of the class studies: the compulsory ones, plus for THPT
/// the class's elective combination (khối tự nhiên: Vật lí, Hoá học, Sinh học, Tin học).
fn subjects_for(level: Level, grade: Grade) -> Vec<Offering> {
    let electives = [
        Subject::VatLi,
        Subject::HoaHoc,
        Subject::SinhHoc,
        Subject::TinHoc,
    ];
    catalogue::programme(level, grade)
        .unwrap_or_default()
        .into_iter()
        .filter(|o| {
            o.status == Status::Compulsory
                || (o.status == Status::Elective && electives.contains(&o.subject))
        })
        .collect()
}

/// The username of the teacher of `subject` at this school, creating one on first use.
fn teacher_for(staff: &mut Vec<Staff>, rng: &mut Rng, subject: Subject, short: &str) -> String {
    let username = format!(
        "gv.{}.{short}",
        subject.code().to_lowercase().replace('_', "")
    );
    if !staff.iter().any(|s| s.username == username) {
        let sex = if rng.chance(65) {
            Sex::Female
        } else {
            Sex::Male
        };
        staff.push(Staff {
            username: username.clone(),
            full_name: names::person(rng, sex),
            roles: vec![Role::SubjectTeacher],
        });
    }
    username
}

fn random_date(rng: &mut Rng, year: u16) -> Date {
    let month = rng.range(1, 12) as u8;
    let day = rng.range(1, 28) as u8;
    Date::new(year, month, day).unwrap_or_else(|_| unreachable!("day 1-28 exists in every month"))
}

/// A personal ID consistent with sex and birth year (Nghị định 137/2015 art. 7).
fn personal_id(rng: &mut Rng, province: &str, sex: Sex, birth_year: u16) -> PersonalId {
    let century = (birth_year / 100 - 19) * 2 + u16::from(sex == Sex::Female);
    let text = format!(
        "{province}{century}{:02}{:06}",
        birth_year % 100,
        rng.below(1_000_000)
    );
    text.parse()
        .unwrap_or_else(|_| unreachable!("12 digits with a valid century digit"))
}

/// A 20-digit student code: province 79, school index, sequence and random digits.
fn student_code(school_index: u32, seq: u32, rng: &mut Rng) -> StudentCode {
    let text = format!(
        "79{:03}{:06}{:09}",
        school_index + 1,
        seq,
        rng.below(1_000_000_000)
    );
    text.parse()
        .unwrap_or_else(|_| unreachable!("20 ASCII digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_ids_match_sex_and_birth_year() {
        let data = generate(DEFAULT_SEED);
        for s in data
            .schools
            .iter()
            .flat_map(|s| &s.classes)
            .flat_map(|c| &c.students)
        {
            if let Some(id) = &s.personal_id {
                assert_eq!(
                    id.check_consistency(s.sex, s.born),
                    Ok(()),
                    "{}",
                    s.full_name
                );
            }
        }
    }

    #[test]
    fn large_school_has_the_requested_size_and_unique_codes() {
        let data = large_school(3, 2000);
        let students: Vec<_> = data.schools[0]
            .classes
            .iter()
            .flat_map(|c| &c.students)
            .map(|s| s.code.clone())
            .collect();
        assert!(
            (2000..2000 + 3 * 40).contains(&students.len()),
            "{}",
            students.len()
        );
        let mut unique = students.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), students.len());
        assert_eq!(data.schools[0].classes[0].name, "10A1");
    }

    #[test]
    fn same_seed_gives_same_data() {
        let a = format!("{:?}", generate(7));
        let b = format!("{:?}", generate(7));
        assert_eq!(a, b);
        assert_ne!(a, format!("{:?}", generate(8)));
    }

    #[test]
    fn student_codes_are_unique() {
        let data = generate(DEFAULT_SEED);
        let mut codes: Vec<_> = data
            .schools
            .iter()
            .flat_map(|s| &s.classes)
            .flat_map(|c| &c.students)
            .map(|s| s.code.clone())
            .collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn text_is_nfc() {
        // Every name list is written precomposed; a decomposed combining mark would show
        // up as a character in U+0300–U+036F.
        let data = generate(DEFAULT_SEED);
        for s in data
            .schools
            .iter()
            .flat_map(|s| &s.classes)
            .flat_map(|c| &c.students)
        {
            for text in [&s.full_name, &s.residence, &s.birthplace, &s.ethnicity] {
                assert!(
                    !text.chars().any(|c| ('\u{300}'..='\u{36f}').contains(&c)),
                    "{text}"
                );
            }
        }
    }
}
