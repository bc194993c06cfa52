//! `hocba demo seed` and `hocba demo report`: create the demo schools in a database and
//! show every student's computed outcome, read back from that database.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use demo::{DemoData, Profile, Year};
use domain::tt27::Checkpoint;
use domain::vi_order;
use domain::{Date, Level, tt22, tt27, tt43};
use store::convert::{primary_rows, secondary_rows, tt27_rating_rows, tt27_subject_row};
use store::{Batch, EnrolmentKey, NewClass, NewSchool, NewTeacher, SchoolYearInfo, Store};

/// `hocba demo …`
#[derive(Subcommand)]
pub enum Command {
    /// Create the demo schools, staff, classes, students and a full year of assessments.
    Seed(SeedArgs),
    /// Evaluate every student in the database and count them per outcome.
    Report(ReportArgs),
}

/// Options of `hocba demo seed`.
#[derive(Args)]
pub struct SeedArgs {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://…`.
    #[arg(long)]
    db: String,
    /// Seed of the generator; the same seed always gives the same data.
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    seed: u64,
}

/// Options of `hocba demo report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    #[arg(long)]
    db: String,
}

/// Runs a `demo` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match cmd {
            Command::Seed(args) => seed(args).await,
            Command::Report(args) => report(args).await,
        }
    })
}

fn sqlite_url(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    }
}

async fn seed(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&sqlite_url(&args.db))
        .await
        .with_context(|| format!("opening {}", args.db))?;
    if !store.list_schools().await?.is_empty() {
        anyhow::bail!("the database already holds schools; seed an empty database");
    }
    let data = demo::generate(args.seed);
    // One argon2id hash of the demo password for every account: hashing is slow on
    // purpose, and every demo account shares the password anyway.
    let password_hash = school::hash_password(school::DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let counts = write(&store, &data, &password_hash).await?;
    println!(
        "seeded {} schools, {} staff accounts, {} classes, {} students ({} rows) for {}",
        data.schools.len(),
        counts.staff,
        counts.classes,
        counts.students,
        counts.rows,
        data.year
    );
    print_logins(&data);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// One login per role of the THCS school (every account's password is the demo one).
fn print_logins(data: &DemoData) {
    let Some(school) = data
        .schools
        .iter()
        .find(|s| s.level == Level::LowerSecondary)
        .or(data.schools.first())
    else {
        return;
    };
    println!(
        "logins at {} (password for every account: {}; start with `hocba serve --demo`):",
        school.name,
        school::DEMO_PASSWORD
    );
    let roles = [
        (demo::Role::Admin, "admin"),
        (demo::Role::Principal, "principal"),
        (demo::Role::Homeroom, "homeroom"),
        (demo::Role::SubjectTeacher, "subject_teacher"),
        (demo::Role::Clerk, "clerk"),
    ];
    for (role, label) in roles {
        // A plain subject teacher is clearer than a homeroom teacher who also teaches.
        let account = school
            .staff
            .iter()
            .find(|s| s.roles == [role])
            .or_else(|| school.staff.iter().find(|s| s.roles.contains(&role)));
        if let Some(s) = account {
            println!("  {label:<16} {}", s.username);
        }
    }
}

pub(crate) struct Written {
    staff: usize,
    classes: usize,
    students: u64,
    rows: u64,
}

/// Writes the demo data: schools, staff and classes one by one (they need ids), then
/// every student and assessment in one batch transaction. Every account gets
/// `password_hash` (the PHC string of the demo password).
pub(crate) async fn write(
    store: &Store,
    data: &DemoData,
    password_hash: &str,
) -> anyhow::Result<Written> {
    let year = data.year;
    store
        .insert_school_year(&SchoolYearInfo {
            year,
            starts_on: Date::new(year.start(), 9, 5)?,
            ends_on: Date::new(year.end(), 5, 31)?,
        })
        .await?;
    let summer_date = Date::new(year.end(), 7, 15)?;
    let mut batch = Batch::default();
    let (mut staff_count, mut class_count) = (0, 0);
    for school in &data.schools {
        let school_id = store
            .insert_school(&NewSchool {
                code: school.code.clone(),
                name: school.name.clone(),
                levels: vec![school.level],
                department_code: school.department_code.clone(),
                authority_name: school.supervisor.clone(),
                address: school.address.clone(),
            })
            .await?;
        let mut ids = BTreeMap::new();
        for s in &school.staff {
            let id = store
                .insert_teacher(&NewTeacher {
                    school: school_id,
                    full_name: s.full_name.clone(),
                    username: s.username.clone(),
                    roles: s.roles.iter().map(|r| role(*r)).collect(),
                    password_hash: Some(password_hash.to_owned()),
                })
                .await?;
            ids.insert(s.username.as_str(), id);
            staff_count += 1;
        }
        for class in &school.classes {
            let class_id = store
                .insert_class(&NewClass {
                    school: school_id,
                    year,
                    grade: class.grade,
                    name: class.name.clone(),
                    homeroom_teacher: ids.get(class.homeroom.as_str()).copied(),
                })
                .await?;
            class_count += 1;
            for (subject, teacher) in &class.assignments {
                batch.subject_assignments.push(store::SubjectAssignment {
                    class: class_id,
                    subject: subject.parse()?,
                    teacher: ids[teacher.as_str()],
                });
            }
            // Roll numbers follow Vietnamese alphabetical order of the names.
            let mut students: Vec<&demo::Student> = class.students.iter().collect();
            students.sort_by(|a, b| vi_order::compare_names(&a.full_name, &b.full_name));
            for (i, s) in students.into_iter().enumerate() {
                add_student(&mut batch, class_id, i, s, summer_date);
            }
        }
    }
    let counts = store.insert_batch(&batch).await?;
    Ok(Written {
        staff: staff_count,
        classes: class_count,
        students: counts.students,
        rows: counts.students + counts.enrolments + counts.other_rows,
    })
}

fn role(r: demo::Role) -> store::Role {
    match r {
        demo::Role::Admin => store::Role::Admin,
        demo::Role::Principal => store::Role::Principal,
        demo::Role::Homeroom => store::Role::Homeroom,
        demo::Role::SubjectTeacher => store::Role::SubjectTeacher,
        demo::Role::Clerk => store::Role::Clerk,
    }
}

fn add_student(
    batch: &mut Batch,
    class: store::ClassId,
    index: usize,
    s: &demo::Student,
    summer_date: Date,
) {
    batch.students.push(store::Student {
        code: s.code.clone(),
        personal_id: s.personal_id.clone(),
        full_name: s.full_name.clone(),
        sex: s.sex,
        born_on: s.born,
        ethnicity: s.ethnicity.clone(),
        nationality: s.nationality.clone(),
        place_of_birth: s.birthplace.clone(),
        residence: s.residence.clone(),
    });
    let key = EnrolmentKey {
        student: s.code.clone(),
        class,
    };
    batch.enrolments.push(store::Enrolment {
        key: key.clone(),
        roll_no: u16::try_from(index + 1).unwrap_or(u16::MAX),
    });
    match &s.year {
        Year::Secondary(y) => {
            let rows = secondary_rows(y, summer_date);
            batch.scores.extend(keyed(&key, rows.scores));
            batch
                .comment_results
                .extend(keyed(&key, rows.comment_results));
            batch.conduct.extend(keyed(&key, rows.conduct));
            batch.absences.push((key.clone(), rows.absences));
            batch.summer_retakes.extend(keyed(&key, rows.retakes));
            batch
                .retrained_conduct
                .extend(rows.retrained.map(|r| (key.clone(), r)));
        }
        Year::Primary(y) => {
            let (subjects, qualities) = primary_rows(y);
            batch
                .tt27_subjects
                .extend(subjects.into_iter().map(|r| (key.clone(), r)));
            batch
                .tt27_qualities
                .extend(qualities.into_iter().map(|r| (key.clone(), r)));
            if let Some(earlier) = &s.primary_earlier {
                for (code, marks) in &earlier.subjects {
                    for (checkpoint, level, test) in marks {
                        batch.tt27_subjects.push((
                            key.clone(),
                            tt27_subject_row(code, *checkpoint, *level, *test),
                        ));
                    }
                }
                let ratings = tt27_rating_rows(
                    Checkpoint::EndSemester1,
                    &earlier.qualities_hk1,
                    &earlier.competences_hk1,
                );
                batch
                    .tt27_qualities
                    .extend(ratings.into_iter().map(|r| (key.clone(), r)));
            }
            if y.exemplary {
                batch.outstanding.push((
                    key.clone(),
                    "Tiến bộ vượt bậc, được tập thể lớp công nhận".to_string(),
                ));
            }
        }
    }
}

/// Pairs every row with the enrolment it belongs to.
fn keyed<'k, T: 'k>(
    key: &'k EnrolmentKey,
    rows: Vec<T>,
) -> impl Iterator<Item = (EnrolmentKey, T)> + 'k {
    rows.into_iter().map(move |r| (key.clone(), r))
}

/// The outcome categories the report counts, in display order.
const CATEGORIES: [&str; 10] = [
    "Học sinh Xuất sắc",
    "Học sinh Giỏi",
    "Học sinh Tiêu biểu",
    "Lên lớp (không danh hiệu)",
    "Kiểm tra lại → lên lớp",
    "Rèn luyện hè → lên lớp",
    "Ở lại lớp",
    "Nghỉ quá 45 ngày",
    "Chưa có số định danh",
    "Thiếu dữ liệu",
];
const NO_PERSONAL_ID: usize = 8;
const MISSING: usize = 9;

async fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&sqlite_url(&args.db))
        .await
        .with_context(|| format!("opening {}", args.db))?;
    let years = store.list_school_years().await?;
    for school in store.list_schools().await? {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        let mut total = 0;
        for info in &years {
            for class in store.classes_of_school(school.id, info.year).await? {
                for member in store.class_members(class.id).await? {
                    total += 1;
                    if member.student.personal_id.is_none() {
                        *counts.entry(NO_PERSONAL_ID).or_default() += 1;
                    }
                    let key = EnrolmentKey {
                        student: member.student.code.clone(),
                        class: class.id,
                    };
                    let inputs = store.year_inputs(&key).await?;
                    let category = category(&inputs, &school.levels);
                    *counts.entry(category).or_default() += 1;
                }
            }
        }
        println!("{} ({}) — {total} học sinh", school.name, school.code);
        for (i, label) in CATEGORIES.iter().enumerate() {
            println!("  {label:<28} {:>4}", counts.get(&i).copied().unwrap_or(0));
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The index in [`CATEGORIES`] of one enrolment's computed outcome.
fn category(inputs: &store::YearInputs, levels: &[Level]) -> usize {
    if inputs.is_primary() {
        let Ok(Ok(outcome)) = inputs.primary_year().map(|y| tt27::evaluate(&y)) else {
            return MISSING;
        };
        return match (outcome.title, outcome.overall) {
            (Some(tt27::Title::Excellent), _) => 0,
            (Some(tt27::Title::Exemplary), _) => 2,
            (None, tt27::Overall::ChuaHoanThanh) => 6,
            (None, _) => 3,
        };
    }
    let Ok(year) = inputs.secondary_year() else {
        return MISSING;
    };
    let outcome = if levels.contains(&Level::Continuing) {
        tt43::evaluate(&year)
    } else {
        tt22::evaluate(&year)
    };
    match outcome.map(|o| demo::classify_secondary(&o)) {
        Ok(Profile::Excellent) => 0,
        Ok(Profile::Good) => 1,
        Ok(Profile::Fair | Profile::Pass | Profile::NoPersonalId) => 3,
        Ok(Profile::Reassessed) => 4,
        Ok(Profile::SummerTraining) => 5,
        Ok(Profile::Retained) => 6,
        Ok(Profile::Absent) => 7,
        Err(_) => MISSING,
    }
}
