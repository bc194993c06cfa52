//! Complete, valid example records for tests, demos and other crates' fixtures (xmldsig,
//! cli, store). Every computed value comes from the domain engine. Each example is a
//! builder with valid defaults: change a field, then call [`Record::to_xml`].
//!
//! The data are invented; names and places use Vietnamese with diacritics on purpose.

use std::fmt::Debug;
use std::num::NonZeroU32;

use domain::tt22::{Comment, Rating, SemesterScores};
use domain::tt27::{Competence, Mastery, Quality, SubjectLevel, TestScore};
use domain::{Date, Grade, Level, RuleVersion, SchoolYear, Score, Sex};

use crate::build::{InputMarks, PrimaryInput, SecondaryInput, SubjectInput};
use crate::labels::Promotion;
use crate::model::{
    Absences, Class, Dated, PrimaryPeriod, PrimarySubject, Rated, Record, Results, School, Student,
    Supersedes,
};
use crate::text::{Code, RecordId, Sha256Digest, Text};

/// Invariant for every `fixed` call below: the arguments are literals of this module,
/// checked by the unit tests at the bottom, so they always parse.
fn fixed<T, E: Debug>(value: Result<T, E>) -> T {
    match value {
        Ok(v) => v,
        Err(e) => unreachable!("example literal rejected: {e:?}"),
    }
}

fn text(s: &str) -> Text {
    fixed(Text::new(s))
}

fn code(s: &str) -> Code {
    fixed(s.parse())
}

fn date(s: &str) -> Date {
    fixed(s.parse())
}

fn score(s: &str) -> Score {
    fixed(s.parse())
}

fn sem(regular: &[&str], midterm: &str, final_term: &str) -> SemesterScores {
    SemesterScores {
        regular: regular.iter().map(|s| score(s)).collect(),
        midterm: score(midterm),
        final_term: score(final_term),
    }
}

fn scored(c: &str, name: &str, hk1: SemesterScores, hk2: SemesterScores) -> SubjectInput {
    SubjectInput {
        code: code(c),
        name: text(name),
        marks: InputMarks::Scored {
            hk1,
            hk2,
            retake: None,
        },
        teacher_comment: None,
    }
}

fn commented(c: &str, name: &str, hk1: Comment, hk2: Comment) -> SubjectInput {
    SubjectInput {
        code: code(c),
        name: text(name),
        marks: InputMarks::Commented {
            hk1,
            hk2,
            retake: None,
        },
        teacher_comment: None,
    }
}

fn student(name: &str, sex: Sex, born: &str, personal_id: &str) -> Student {
    Student {
        code: fixed("79000012345678901234".parse()),
        personal_id: Some(fixed(personal_id.parse())),
        name: text(name),
        sex,
        born: date(born),
        ethnicity: text("Kinh"),
        nationality: text("Việt Nam"),
        birthplace: text("Phường Bến Thành, Thành phố Hồ Chí Minh"),
        residence: text("Số 12 đường Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh"),
    }
}

fn record(n: u8, student: Student, school: School, class: Class, results: Results) -> Record {
    Record {
        id: RecordId::from_bytes([n; 16]),
        version: NonZeroU32::MIN,
        created: date("2026-05-30"),
        supersedes: None,
        student,
        school,
        class,
        results,
    }
}

fn school(level: Level, code_: &str, name: &str) -> School {
    School {
        department_code: code("79"),
        code: code(code_),
        name: text(name),
        level,
    }
}

fn class(grade: u8, name: &str, teacher: &str) -> Class {
    Class {
        year: fixed(SchoolYear::starting(2025)),
        grade: fixed(Grade::new(grade)),
        name: text(name),
        homeroom_teacher: text(teacher),
    }
}

/// The THPT grade-10 inputs of [`thpt`]: nine scored subjects (regular-score counts as
/// the catalogue requires) and three comment subjects.
pub fn thpt_input() -> SecondaryInput {
    use Comment::Dat;
    let mut subjects = vec![
        scored(
            "NGU_VAN",
            "Ngữ văn",
            sem(&["8", "7.5", "9", "8"], "8", "8.5"),
            sem(&["9", "8", "8.5", "9"], "8.5", "9"),
        ),
        scored(
            "TOAN",
            "Toán",
            sem(&["9", "10", "8.5", "9"], "9", "9.5"),
            sem(&["10", "9", "9.5", "10"], "9.5", "10"),
        ),
        scored(
            "NGOAI_NGU_1",
            "Ngoại ngữ 1",
            sem(&["7", "8", "8", "9"], "8", "8"),
            sem(&["8", "8.5", "9", "9"], "8.5", "9"),
        ),
        scored(
            "LICH_SU",
            "Lịch sử",
            sem(&["9", "9", "9"], "9", "9.5"),
            sem(&["9", "9", "9"], "9", "9.5"),
        ),
        scored(
            "GDQP_AN",
            "Giáo dục quốc phòng và an ninh",
            sem(&["9", "9"], "9", "9"),
            sem(&["9", "10"], "9", "9.5"),
        ),
        scored(
            "VAT_LI",
            "Vật lí",
            sem(&["8", "9", "9"], "9", "9"),
            sem(&["9", "9.5", "10"], "9", "9.5"),
        ),
        scored(
            "HOA_HOC",
            "Hoá học",
            sem(&["9", "9", "9.5"], "9", "9.5"),
            sem(&["9", "9", "9.5"], "9", "9.5"),
        ),
        scored(
            "SINH_HOC",
            "Sinh học",
            sem(&["7", "8", "8"], "7.5", "8"),
            sem(&["8", "8", "9"], "8", "8.5"),
        ),
        scored(
            "TIN_HOC",
            "Tin học",
            sem(&["10", "9", "9"], "9", "10"),
            sem(&["10", "10", "9"], "9.5", "10"),
        ),
        commented("GDTC", "Giáo dục thể chất", Dat, Dat),
        commented("HDTN_HN", "Hoạt động trải nghiệm, hướng nghiệp", Dat, Dat),
        commented("GDDP", "Nội dung giáo dục của địa phương", Dat, Dat),
    ];
    subjects[1].teacher_comment = Some(text("Tư duy tốt, trình bày rõ ràng & cẩn thận."));
    SecondaryInput {
        rule: RuleVersion::Tt22V1,
        subjects,
        conduct_hk1: Rating::Tot,
        conduct_hk2: Rating::Tot,
        absences: Absences {
            excused: 2,
            unexcused: 0,
        },
        conduct_retraining: None,
        homeroom_comment: Some(text(
            "Chăm ngoan, học tốt, tích cực tham gia hoạt động của lớp.",
        )),
    }
}

/// A THPT grade-10 record (TT22), Học sinh Xuất sắc, without summer results.
pub fn thpt() -> Record {
    let results = fixed(thpt_input().evaluate(fixed(Grade::new(10))));
    record(
        0x10,
        student(
            "Nguyễn Thị Ánh Dương",
            Sex::Female,
            "2010-03-15",
            "079310012345",
        ),
        school(
            Level::UpperSecondary,
            "79000701",
            "Trường THPT Nguyễn Thị Minh Khai",
        ),
        class(10, "10A1", "Trần Văn Hùng"),
        Results::Secondary(results),
    )
}

/// A THPT grade-11 record whose learning result was Chưa đạt (Toán below 3.5) and who
/// re-took Toán in summer: re-assessment value and date, recomputed learning, promoted.
pub fn thpt_with_retake() -> Record {
    let mut input = thpt_input();
    input.subjects[1] = scored(
        "TOAN",
        "Toán",
        sem(&["3", "2", "4", "3"], "3", "2.5"),
        sem(&["3", "3.5", "2", "3"], "3", "3"),
    );
    input.subjects[0] = scored(
        "NGU_VAN",
        "Ngữ văn",
        sem(&["5", "6", "5", "6"], "5.5", "6"),
        sem(&["6", "5", "6", "6"], "6", "6"),
    );
    input.conduct_hk1 = Rating::Kha;
    input.conduct_hk2 = Rating::Kha;
    if let InputMarks::Scored { retake, .. } = &mut input.subjects[1].marks {
        *retake = Some(Dated {
            value: score("6"),
            date: date("2026-07-20"),
        });
    }
    let results = fixed(input.evaluate(fixed(Grade::new(11))));
    record(
        0x11,
        student("Lê Hoàng Phúc", Sex::Male, "2009-11-02", "079209004321"),
        school(
            Level::UpperSecondary,
            "79000701",
            "Trường THPT Nguyễn Thị Minh Khai",
        ),
        class(11, "11A3", "Phạm Thị Thuỷ"),
        Results::Secondary(results),
    )
}

/// A THCS grade-8 record (TT22) whose semester-II conduct was Chưa đạt, with the conduct
/// re-assessed after summer training.
pub fn thcs_with_summer_training() -> Record {
    use Comment::Dat;
    let s = |c, n, r: &[&str]| scored(c, n, sem(r, "7", "7.5"), sem(r, "7.5", "7"));
    let input = SecondaryInput {
        rule: RuleVersion::Tt22V1,
        subjects: vec![
            s("NGU_VAN", "Ngữ văn", &["7", "7", "8", "6.5"]),
            s("TOAN", "Toán", &["6", "7", "8", "7"]),
            s("NGOAI_NGU_1", "Ngoại ngữ 1", &["7", "7", "7", "7"]),
            s("GDCD", "Giáo dục công dân", &["8", "8"]),
            s("LICH_SU_DIA_LI", "Lịch sử và Địa lí", &["7", "8", "7", "7"]),
            s("KHTN", "Khoa học tự nhiên", &["6.5", "7", "7", "7"]),
            s("CONG_NGHE", "Công nghệ", &["7", "7", "8"]),
            s("TIN_HOC", "Tin học", &["8", "9"]),
            commented("GDTC", "Giáo dục thể chất", Dat, Dat),
            commented("NGHE_THUAT", "Nghệ thuật", Dat, Dat),
            commented("HDTN_HN", "Hoạt động trải nghiệm, hướng nghiệp", Dat, Dat),
            commented("GDDP", "Nội dung giáo dục của địa phương", Dat, Dat),
        ],
        conduct_hk1: Rating::Dat,
        conduct_hk2: Rating::ChuaDat,
        absences: Absences {
            excused: 5,
            unexcused: 3,
        },
        conduct_retraining: Some(Dated {
            value: Rating::Dat,
            date: date("2026-08-05"),
        }),
        homeroom_comment: None,
    };
    let results = fixed(input.evaluate(fixed(Grade::new(8))));
    record(
        0x08,
        student("Đặng Quốc Bảo", Sex::Male, "2012-01-20", "079212000777"),
        school(Level::LowerSecondary, "79000301", "Trường THCS Lê Quý Đôn"),
        class(8, "8/4", "Võ Thị Ngọc Hân"),
        Results::Secondary(results),
    )
}

/// A GDTX (TT43) grade-11 learner's record.
pub fn gdtx() -> Record {
    use Comment::Dat;
    let s = |c, n, r: &[&str]| scored(c, n, sem(r, "6.5", "7"), sem(r, "7", "7.5"));
    let input = SecondaryInput {
        rule: RuleVersion::Tt43V1,
        subjects: vec![
            s("NGU_VAN", "Ngữ văn", &["6", "7", "7", "6"]),
            s("TOAN", "Toán", &["7", "6", "7", "8"]),
            s("LICH_SU", "Lịch sử", &["7", "7", "6"]),
            s("GDQP_AN", "Giáo dục quốc phòng và an ninh", &["8", "8"]),
            s("DIA_LI", "Địa lí", &["7", "7", "7"]),
            s("GDKT_PL", "Giáo dục kinh tế và pháp luật", &["8", "7", "7"]),
            s("TIN_HOC", "Tin học", &["7", "8", "7"]),
            s("CONG_NGHE", "Công nghệ", &["6.5", "7", "7"]),
            commented("HDTN_HN", "Hoạt động trải nghiệm, hướng nghiệp", Dat, Dat),
            commented("GDDP", "Nội dung giáo dục của địa phương", Dat, Dat),
        ],
        conduct_hk1: Rating::Kha,
        conduct_hk2: Rating::Tot,
        absences: Absences::default(),
        conduct_retraining: None,
        homeroom_comment: Some(text("Học viên có tiến bộ.")),
    };
    let results = fixed(input.evaluate(fixed(Grade::new(11))));
    record(
        0x43,
        student("Hồ Thị Mỹ Duyên", Sex::Female, "2005-07-09", "079305000123"),
        school(Level::Continuing, "79000901", "Trung tâm GDNN-GDTX Quận 1"),
        class(11, "11GDTX2", "Nguyễn Văn Tâm"),
        Results::Secondary(results),
    )
}

fn period(level: SubjectLevel, test: Option<u8>, comment: Option<&str>) -> PrimaryPeriod {
    PrimaryPeriod {
        level,
        test: test.map(|t| fixed(TestScore::new(t))),
        comment: comment.map(text),
    }
}

fn primary_subject(c: &str, name: &str, mid_test: Option<u8>, test: Option<u8>) -> PrimarySubject {
    use SubjectLevel::HoanThanhTot as T;
    PrimarySubject {
        code: code(c),
        name: text(name),
        mid_hk1: period(T, mid_test, None),
        end_hk1: period(T, test, Some("Hoàn thành tốt nội dung học kì I.")),
        mid_hk2: period(T, mid_test, None),
        end_year: period(T, test, Some("Nắm vững kiến thức, vận dụng tốt.")),
    }
}

/// The primary grade-4 inputs of [`primary`].
pub fn primary_input() -> PrimaryInput {
    let q = |key: Quality| Rated {
        key,
        hk1: Mastery::Tot,
        year: Mastery::Tot,
    };
    let c = |key: Competence| Rated {
        key,
        hk1: Mastery::Tot,
        year: Mastery::Tot,
    };
    PrimaryInput {
        subjects: vec![
            primary_subject("TIENG_VIET", "Tiếng Việt", Some(9), Some(10)),
            primary_subject("TOAN", "Toán", Some(10), Some(10)),
            primary_subject("NGOAI_NGU_1", "Ngoại ngữ 1", None, Some(9)),
            primary_subject("DAO_DUC", "Đạo đức", None, None),
            primary_subject("LICH_SU_DIA_LI", "Lịch sử và Địa lí", None, Some(9)),
            primary_subject("KHOA_HOC", "Khoa học", None, Some(10)),
            primary_subject("TIN_HOC_CONG_NGHE", "Tin học và Công nghệ", None, Some(9)),
            primary_subject("GDTC", "Giáo dục thể chất", None, None),
            primary_subject("AM_NHAC", "Âm nhạc", None, None),
            primary_subject("MI_THUAT", "Mĩ thuật", None, None),
            primary_subject("HOAT_DONG_TRAI_NGHIEM", "Hoạt động trải nghiệm", None, None),
        ],
        qualities: Quality::ALL.into_iter().map(q).collect(),
        competences: Competence::ALL.into_iter().map(c).collect(),
        absences: Absences {
            excused: 1,
            unexcused: 0,
        },
        promotion: Promotion::Promoted,
        exemplary: false,
        homeroom_comment: Some(text("Em ngoan, lễ phép, học tập tiến bộ vượt bậc.")),
    }
}

/// A primary grade-4 record (TT27), Hoàn thành xuất sắc.
pub fn primary() -> Record {
    let results = fixed(primary_input().evaluate(fixed(Grade::new(4))));
    record(
        0x04,
        student(
            "Trương Ngọc Khánh Linh",
            Sex::Female,
            "2016-09-01",
            "079316000042",
        ),
        school(Level::Primary, "79000101", "Trường Tiểu học Kết Đoàn"),
        class(4, "4A", "Lý Thị Hoà"),
        Results::Primary(results),
    )
}

/// Version 2 of `old`: same content, a new id, and a `ThayThe` link to `old` with the
/// digest the caller computed over `old`'s signed bytes.
pub fn superseding(old: &Record, new_id: RecordId, old_digest: Sha256Digest) -> Record {
    let version = old.version.checked_add(1).unwrap_or(NonZeroU32::MAX);
    Record {
        id: new_id,
        version,
        created: date("2026-08-15"),
        supersedes: Some(Supersedes {
            id: old.id,
            digest: old_digest,
        }),
        ..old.clone()
    }
}

/// One of each: THPT, THPT with re-assessment, THCS with summer training, GDTX, primary,
/// and a superseding version.
pub fn all() -> Vec<(&'static str, Record)> {
    let thpt = thpt();
    let v2 = superseding(
        &thpt,
        RecordId::from_bytes([0x20; 16]),
        Sha256Digest::from_bytes([0xab; 32]),
    );
    vec![
        ("thpt", thpt),
        ("thpt-retake", thpt_with_retake()),
        ("thcs-summer-training", thcs_with_summer_training()),
        ("gdtx", gdtx()),
        ("primary", primary()),
        ("thpt-v2", v2),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Promotion;
    use domain::tt22::Title;

    fn secondary(r: &Record) -> &crate::SecondaryResults {
        match &r.results {
            Results::Secondary(s) => s,
            Results::Primary(_) => panic!("not secondary"),
        }
    }

    #[test]
    fn examples_build_and_are_consistent_and_signable() {
        for (name, r) in all() {
            assert_eq!(r.signing_blockers(), vec![], "{name}");
            assert_eq!(crate::recompute_check(&r), Ok(()), "{name}");
        }
    }

    #[test]
    fn examples_cover_the_cases_they_claim() {
        let thpt = thpt();
        assert_eq!(secondary(&thpt).title, Some(Title::Excellent));
        let retake = thpt_with_retake();
        let r = secondary(&retake);
        assert_eq!(r.learning.year, Rating::ChuaDat);
        assert_eq!(r.learning_after_reassessment, Some(Rating::Kha));
        assert_eq!(r.promotion, Promotion::Promoted);
        let training = thcs_with_summer_training();
        let t = secondary(&training);
        assert_eq!(t.conduct.year, Rating::ChuaDat);
        assert!(t.conduct_retraining.is_some());
        assert_eq!(t.promotion, Promotion::Promoted);
        assert_eq!(secondary(&gdtx()).rule, RuleVersion::Tt43V1);
        match primary().results {
            Results::Primary(p) => assert_eq!(p.overall, domain::tt27::Overall::HoanThanhXuatSac),
            Results::Secondary(_) => panic!("not primary"),
        }
    }
}
