//! Times a seeder-sized [`store::Batch`]: 4 schools × 10 classes × 35 students, each with
//! 10 scored subjects (4 regular + mid-term + final per semester), 4 comment subjects,
//! conduct, absences and a comment.
//!
//! ```text
//! cargo run --release -p store --example bulk_insert -- 'sqlite:///tmp/bulk.sqlite3?mode=rwc'
//! cargo run --release -p store --example bulk_insert -- postgres://postgres@127.0.0.1/hocba_bulk
//! ```
//! The database must be empty (a fresh file, or a freshly created PostgreSQL database).

use std::time::Instant;

use domain::{Grade, Level, SchoolYear, Sex};
use store::{
    Absences, Batch, CommentResult, ConductEntry, ConductRating, Enrolment, EnrolmentKey, NewClass,
    NewSchool, SchoolYearInfo, Semester, Store, Student, SubjectComment, SubjectScores, Term,
};

const SCORED: [&str; 10] = [
    "TOAN",
    "NGU_VAN",
    "TIENG_ANH",
    "KHTN",
    "LICH_SU_DIA_LI",
    "GDCD",
    "CONG_NGHE",
    "TIN_HOC",
    "HDTN_X",
    "NN2",
];
const COMMENTED: [&str; 4] = ["GDTC", "NGHE_THUAT", "GDDP", "HDTN"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://target/bulk_insert.sqlite3?mode=rwc".to_owned());
    let store = Store::open(&url).await?;
    let year = SchoolYear::starting(2025)?;
    store
        .insert_school_year(&SchoolYearInfo {
            year,
            starts_on: "2025-09-05".parse()?,
            ends_on: "2026-05-31".parse()?,
        })
        .await?;
    let mut batch = Batch::default();
    let mut n = 0u64;
    for s in 0..4 {
        let school = store
            .insert_school(&NewSchool {
                code: format!("7900{s:04}"),
                name: format!("Trường THCS Số {s}"),
                levels: vec![Level::LowerSecondary],
                department_code: "79".into(),
                authority_name: "UBND phường".into(),
                address: String::new(),
            })
            .await?;
        for c in 0..10u8 {
            let class = store
                .insert_class(&NewClass {
                    school,
                    year,
                    grade: Grade::new(6 + c % 4)?,
                    name: format!("{}A{c}", 6 + c % 4),
                    homeroom_teacher: None,
                })
                .await?;
            for roll in 1..=35u16 {
                n += 1;
                let student = Student {
                    code: format!("79{n:018}").parse()?,
                    personal_id: Some(format!("079313{:06}", n).parse()?),
                    full_name: format!("Nguyễn Văn {n}"),
                    sex: Sex::Female,
                    born_on: "2013-01-01".parse()?,
                    ethnicity: "Kinh".into(),
                    nationality: "Việt Nam".into(),
                    place_of_birth: "TP. Hồ Chí Minh".into(),
                    residence: "TP. Hồ Chí Minh".into(),
                };
                let key = EnrolmentKey {
                    student: student.code.clone(),
                    class,
                };
                batch.students.push(student);
                batch.enrolments.push(Enrolment {
                    key: key.clone(),
                    roll_no: roll,
                });
                for semester in [Semester::First, Semester::Second] {
                    for code in SCORED {
                        batch.scores.push((
                            key.clone(),
                            SubjectScores {
                                subject: code.parse()?,
                                semester,
                                regular: vec![
                                    "8".parse()?,
                                    "7.5".parse()?,
                                    "9".parse()?,
                                    "6".parse()?,
                                ],
                                midterm: Some("7".parse()?),
                                final_exam: Some("8.5".parse()?),
                            },
                        ));
                    }
                    for code in COMMENTED {
                        batch.comment_results.push((
                            key.clone(),
                            CommentResult {
                                subject: code.parse()?,
                                semester,
                                passed: true,
                            },
                        ));
                    }
                    batch.conduct.push((
                        key.clone(),
                        ConductEntry {
                            semester,
                            rating: ConductRating::Good,
                        },
                    ));
                }
                batch.absences.push((
                    key.clone(),
                    Absences {
                        excused_days: 2,
                        unexcused_days: 0,
                    },
                ));
                batch.comments.push((
                    key,
                    SubjectComment {
                        subject: "TOAN".parse()?,
                        term: Term::Year,
                        body: "Chăm chỉ.".into(),
                    },
                ));
            }
        }
    }
    let started = Instant::now();
    let counts = store.insert_batch(&batch).await?;
    let elapsed = started.elapsed();
    let total = counts.students + counts.enrolments + counts.other_rows;
    println!(
        "{:?}: {total} rows ({} students) in {elapsed:.2?} = {:.0} rows/s",
        store.backend(),
        counts.students,
        total as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
