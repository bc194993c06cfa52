//! Test databases (a fresh one per test on each backend) and fixture builders with valid
//! defaults.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use domain::{Date, Grade, Level, PersonalId, SchoolYear, Sex, StudentCode};
use sqlx::Connection;
use store::{
    ClassId, NewClass, NewSchool, NewTeacher, Role, SchoolId, SchoolYearInfo, Store, Student,
    TeacherId,
};

/// Environment variable naming the PostgreSQL admin URL used to create test databases.
pub const PG_URL_VAR: &str = "HOCBA_TEST_PG_URL";
const PG_DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A store on a database that exists only for one test, and the URL that opens it again.
#[derive(Clone)]
pub struct TestDb {
    pub store: Store,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// Runs `test` on a fresh SQLite file in a temporary directory. The test runs as a
/// spawned task, which also proves the store's futures are `Send`.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("data/hocba.sqlite3").display()
    );
    let store = Store::open(&url).await.expect("open SQLite store");
    let outcome = tokio::spawn(test(TestDb {
        store: store.clone(),
        url,
    }))
    .await;
    store.close().await;
    drop(dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `test` on a PostgreSQL database created for it (`CREATE DATABASE
/// hocba_test_<unique>` through the admin URL in `HOCBA_TEST_PG_URL`) and dropped after,
/// even when the test panics. Panics, never skips, when the server is unreachable.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = std::env::var(PG_URL_VAR).unwrap_or_else(|_| PG_DEFAULT_URL.to_owned());
    let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL contract tests need a server: cannot connect to {admin_url} ({e}). \
             Start PostgreSQL or set {PG_URL_VAR} to an admin URL \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        ),
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("hocba_test_{}_{}_{}", std::process::id(), unique(), nanos);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
    )))
    .execute(&mut admin)
    .await
    .expect("CREATE DATABASE for the test");
    let url = with_database(&admin_url, &name);
    let outcome = match Store::open(&url).await {
        Ok(store) => {
            let outcome = tokio::spawn(test(TestDb {
                store: store.clone(),
                url,
            }))
            .await;
            store.close().await;
            outcome.map_err(|e| e.into_panic())
        }
        Err(e) => Err(Box::new(format!("open PostgreSQL store: {e:?}")) as Box<_>),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("DROP DATABASE after the test");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// `url` with its database name replaced by `name`, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

// ---------------------------------------------------------------------------------------
// Fixture builders.

pub fn year() -> SchoolYear {
    SchoolYear::starting(2025).expect("valid year")
}

pub fn date(s: &str) -> Date {
    s.parse().expect("valid date")
}

pub fn grade(n: u8) -> Grade {
    Grade::new(n).expect("valid grade")
}

pub fn subject(code: &str) -> store::SubjectCode {
    code.parse().expect("valid subject code")
}

pub fn score(s: &str) -> domain::Score {
    s.parse().expect("valid score")
}

/// 64 times `c`: a SHA-256 hex digest or token hash for the registry tables.
pub fn hex64(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

/// The registry fixtures' student `n`: `79` then `n` on 18 digits.
pub fn student(n: u32) -> StudentCode {
    format!("79{n:018}").parse().expect("student code")
}

/// The registry fixtures' record id `n`, a UUID-shaped string with `n` in hex.
pub fn record_id(n: u8) -> String {
    format!("{:08x}-0000-8000-8000-{:012x}", n, n)
}

/// Creates the 2025-2026 school year.
pub async fn insert_year(store: &Store) -> SchoolYear {
    store
        .insert_school_year(&SchoolYearInfo {
            year: year(),
            starts_on: date("2025-09-05"),
            ends_on: date("2026-05-31"),
        })
        .await
        .expect("insert school year");
    year()
}

pub struct SchoolBuilder(pub NewSchool);

impl SchoolBuilder {
    pub fn new() -> Self {
        let n = unique();
        SchoolBuilder(NewSchool {
            code: format!("79{n:06}"),
            name: format!("Trường THCS Nguyễn Du {n}"),
            levels: vec![Level::LowerSecondary],
            department_code: "79".into(),
            authority_name: "UBND phường Bến Thành — Phòng Văn hóa - Xã hội".into(),
            address: "12 Lê Lợi, phường Bến Thành, TP. Hồ Chí Minh".into(),
        })
    }
    pub fn code(mut self, code: &str) -> Self {
        self.0.code = code.into();
        self
    }
    pub fn name(mut self, name: &str) -> Self {
        self.0.name = name.into();
        self
    }
    pub fn levels(mut self, levels: &[Level]) -> Self {
        self.0.levels = levels.to_vec();
        self
    }
    pub async fn insert(self, store: &Store) -> SchoolId {
        store.insert_school(&self.0).await.expect("insert school")
    }
}

pub struct TeacherBuilder(pub NewTeacher);

impl TeacherBuilder {
    pub fn new(school: SchoolId) -> Self {
        let n = unique();
        TeacherBuilder(NewTeacher {
            school,
            full_name: format!("Trần Văn Bình {n}"),
            username: format!("gv{n}"),
            roles: vec![Role::SubjectTeacher],
            password_hash: None,
        })
    }
    pub fn username(mut self, username: &str) -> Self {
        self.0.username = username.into();
        self
    }
    pub fn roles(mut self, roles: &[Role]) -> Self {
        self.0.roles = roles.to_vec();
        self
    }
    pub async fn insert(self, store: &Store) -> TeacherId {
        store.insert_teacher(&self.0).await.expect("insert teacher")
    }
}

pub struct ClassBuilder(pub NewClass);

impl ClassBuilder {
    pub fn new(school: SchoolId) -> Self {
        ClassBuilder(NewClass {
            school,
            year: year(),
            grade: grade(6),
            name: format!("6A{}", unique()),
            homeroom_teacher: None,
        })
    }
    pub fn name(mut self, name: &str) -> Self {
        self.0.name = name.into();
        self
    }
    pub fn grade(mut self, n: u8) -> Self {
        self.0.grade = grade(n);
        self
    }
    pub fn homeroom(mut self, teacher: TeacherId) -> Self {
        self.0.homeroom_teacher = Some(teacher);
        self
    }
    pub async fn insert(self, store: &Store) -> ClassId {
        store.insert_class(&self.0).await.expect("insert class")
    }
}

pub struct StudentBuilder(pub Student);

impl StudentBuilder {
    /// A girl born in 2013 with a consistent personal ID.
    pub fn new() -> Self {
        let n = unique();
        StudentBuilder(Student {
            code: format!("79{n:018}")
                .parse::<StudentCode>()
                .expect("valid code"),
            personal_id: Some(
                format!("079313{:06}", n % 1_000_000)
                    .parse::<PersonalId>()
                    .expect("valid personal ID"),
            ),
            full_name: format!("Nguyễn Thị Ánh {n}"),
            sex: Sex::Female,
            born_on: date("2013-03-14"),
            ethnicity: "Kinh".into(),
            nationality: "Việt Nam".into(),
            place_of_birth: "Bệnh viện Từ Dũ, TP. Hồ Chí Minh".into(),
            residence: "45 Đường 3 Tháng 2, phường Hòa Hưng, TP. Hồ Chí Minh".into(),
        })
    }
    pub fn code(mut self, code: &str) -> Self {
        self.0.code = code.parse().expect("valid student code");
        self
    }
    pub fn name(mut self, name: &str) -> Self {
        self.0.full_name = name.into();
        self
    }
    pub fn personal_id(mut self, id: Option<&str>) -> Self {
        self.0.personal_id = id.map(|i| i.parse().expect("valid personal ID"));
        self
    }
    pub fn build(self) -> Student {
        self.0
    }
    pub async fn insert(self, store: &Store) -> Student {
        store.insert_student(&self.0).await.expect("insert student");
        self.0
    }
}

/// A school year, a THCS school, a homeroom teacher, one class and `n` enrolled
/// students (roll numbers 1..=n).
pub struct World {
    pub year: SchoolYear,
    pub school: SchoolId,
    pub teacher: TeacherId,
    pub class: ClassId,
    pub students: Vec<Student>,
}

impl World {
    pub async fn new(store: &Store, n: usize) -> World {
        let year = insert_year(store).await;
        let school = SchoolBuilder::new().insert(store).await;
        let teacher = TeacherBuilder::new(school)
            .roles(&[Role::Homeroom, Role::SubjectTeacher])
            .insert(store)
            .await;
        let class = ClassBuilder::new(school)
            .homeroom(teacher)
            .insert(store)
            .await;
        let mut students = Vec::new();
        for _ in 0..n {
            let s = StudentBuilder::new().insert(store).await;
            store.enrol(&s.code, class, None).await.expect("enrol");
            students.push(s);
        }
        World {
            year,
            school,
            teacher,
            class,
            students,
        }
    }

    pub fn key(&self, i: usize) -> store::EnrolmentKey {
        store::EnrolmentKey {
            student: self.students[i].code.clone(),
            class: self.class,
        }
    }
}

/// An audit entry as the tests compare it: `(action, field, old, new)`.
pub type Cell = (store::AuditAction, String, Option<String>, Option<String>);

/// The [`Cell`] of each of `entries`, in their order.
pub fn cells(entries: &[store::AuditEntry]) -> Vec<Cell> {
    entries
        .iter()
        .map(|e| (e.action, e.field.clone(), e.old.clone(), e.new.clone()))
        .collect()
}

/// The [`Cell`] an entry with these values compares equal to.
pub fn cell(action: store::AuditAction, field: &str, old: Option<&str>, new: Option<&str>) -> Cell {
    (
        action,
        field.to_owned(),
        old.map(str::to_owned),
        new.map(str::to_owned),
    )
}
