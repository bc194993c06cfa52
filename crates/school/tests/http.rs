//! The school server through HTTP, in process (`Router::oneshot`), on a fresh SQLite file
//! per test: login, rate limiting, CSRF, the score grid's partial save, permissions of
//! every role on every page, the homeroom summary.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::{Date, Grade, Level, SchoolYear, Score, Sex, StudentCode};
use store::{
    ClassId, ConductRating, EnrolmentKey, NewClass, NewSchool, NewTeacher, Role, SchoolId,
    SchoolYearInfo, ScoreSheetRow, Semester, Store, Student, SubjectAssignment, SubjectCode,
    SubjectScores, TeacherId,
};
use tower::ServiceExt;

const PASSWORD: &str = "mat-khau-dung-1";

// ---------------------------------------------------------------------------------------
// Fixture: two schools, one role per account, three classes.

/// A running app on its own database, and the ids the tests refer to.
struct TestApp {
    router: Router,
    store: Store,
    class_a1: ClassId,
    class_a2: ClassId,
    class_b1: ClassId,
    students_a1: Vec<StudentCode>,
    _dir: tempfile::TempDir,
}

/// The accounts of the fixture: (username, roles). School A unless the name ends in `.b`.
const ACCOUNTS: &[(&str, &[Role])] = &[
    ("admin.a", &[Role::Admin]),
    ("ht.a", &[Role::Principal]),
    ("vt.a", &[Role::Clerk]),
    ("gvcn.a1", &[Role::Homeroom]),
    ("gvcn.a2", &[Role::Homeroom]),
    ("gv.toan", &[Role::SubjectTeacher]),
    ("gv.van", &[Role::SubjectTeacher]),
    ("gv.toan.b", &[Role::SubjectTeacher]),
    ("gvcn.b1", &[Role::Homeroom]),
    ("ht.b", &[Role::Principal]),
];

/// One argon2id hash for every account: hashing is slow on purpose.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| school::hash_password(PASSWORD).expect("hash"))
        .clone()
}

fn subject(code: &str) -> SubjectCode {
    code.parse().expect("subject code")
}

fn score(s: &str) -> Score {
    s.parse().expect("score")
}

async fn spawn_app() -> TestApp {
    spawn_app_with(school::Config::default()).await
}

async fn spawn_app_with(config: school::Config) -> TestApp {
    spawn_app_at(config, Level::LowerSecondary).await
}

/// The fixture at schools of `level`: grade 6 classes (Toán, Ngữ văn, GDTC) for lower
/// secondary; grade 4 classes (Toán, Tiếng Việt, Đạo đức, same teachers) for primary.
async fn spawn_app_at(config: school::Config, level: Level) -> TestApp {
    let primary = level == Level::Primary;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hocba.sqlite3").display()
    );
    let store = Store::open(&url).await.expect("open store");
    let year = SchoolYear::starting(2025).expect("year");
    store
        .insert_school_year(&SchoolYearInfo {
            year,
            starts_on: date("2025-09-05"),
            ends_on: date("2026-05-31"),
        })
        .await
        .expect("year");
    let school_a = insert_school(&store, "79000001", "Trường THCS Lê Quý Đôn", level).await;
    let school_b = insert_school(&store, "79000002", "Trường THCS Nguyễn Du", level).await;
    let mut ids = std::collections::HashMap::new();
    for (username, roles) in ACCOUNTS {
        let school = if username.ends_with(".b") || username.ends_with(".b1") {
            school_b
        } else {
            school_a
        };
        let id = store
            .insert_teacher(&NewTeacher {
                school,
                full_name: format!("Giáo viên {username}"),
                username: (*username).to_owned(),
                roles: roles.to_vec(),
                password_hash: Some(password_hash()),
            })
            .await
            .expect("teacher");
        ids.insert(*username, id);
    }
    let class = |school: SchoolId, name: &str, homeroom: TeacherId| NewClass {
        school,
        year,
        grade: Grade::new(if primary { 4 } else { 6 }).expect("grade"),
        name: name.to_owned(),
        homeroom_teacher: Some(homeroom),
    };
    let class_a1 = store
        .insert_class(&class(school_a, "6A1", ids["gvcn.a1"]))
        .await
        .expect("class");
    let class_a2 = store
        .insert_class(&class(school_a, "6A2", ids["gvcn.a2"]))
        .await
        .expect("class");
    let class_b1 = store
        .insert_class(&class(school_b, "6B1", ids["gvcn.b1"]))
        .await
        .expect("class");
    let (second, third) = if primary {
        ("TIENG_VIET", "DAO_DUC")
    } else {
        ("NGU_VAN", "GDTC")
    };
    for (class, subject_code, teacher) in [
        (class_a1, "TOAN", "gv.toan"),
        (class_a2, "TOAN", "gv.toan"),
        (class_a1, second, "gv.van"),
        (class_a1, third, "gv.van"),
        (class_b1, "TOAN", "gv.toan.b"),
    ] {
        store
            .assign_subject(&SubjectAssignment {
                class,
                subject: subject(subject_code),
                teacher: ids[teacher],
            })
            .await
            .expect("assignment");
    }
    let names = ["Nguyễn Thị Ánh", "Trần Văn Bình", "Lê Hoàng Chi"];
    let mut students_a1 = Vec::new();
    for (i, name) in names.iter().enumerate() {
        students_a1.push(enrol(&store, class_a1, 1 + i as u32, name).await);
    }
    enrol(&store, class_a2, 10, "Phạm Minh Đức").await;
    enrol(&store, class_b1, 20, "Võ Thị Em").await;
    let state = school::AppState::new(store.clone(), config).expect("state");
    TestApp {
        router: school::router(state),
        store,
        class_a1,
        class_a2,
        class_b1,
        students_a1,
        _dir: dir,
    }
}

/// Seconds since 1970-01-01T00:00:00Z by the system clock.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

async fn insert_school(store: &Store, code: &str, name: &str, level: Level) -> SchoolId {
    store
        .insert_school(&NewSchool {
            code: code.to_owned(),
            name: name.to_owned(),
            levels: vec![level],
            department_code: "79".to_owned(),
            authority_name: "UBND phường Bến Thành".to_owned(),
            address: "12 Lê Lợi".to_owned(),
        })
        .await
        .expect("school")
}

async fn enrol(store: &Store, class: ClassId, n: u32, name: &str) -> StudentCode {
    let code: StudentCode = format!("79{n:018}").parse().expect("student code");
    store
        .insert_student(&Student {
            code: code.clone(),
            personal_id: None,
            full_name: name.to_owned(),
            sex: Sex::Female,
            born_on: date("2014-03-14"),
            ethnicity: "Kinh".to_owned(),
            nationality: "Việt Nam".to_owned(),
            place_of_birth: "TP. Hồ Chí Minh".to_owned(),
            residence: "TP. Hồ Chí Minh".to_owned(),
        })
        .await
        .expect("student");
    store.enrol(&code, class, None).await.expect("enrol");
    code
}

// ---------------------------------------------------------------------------------------
// HTTP helpers.

/// A logged-in browser: its session cookie and the CSRF token of its pages.
#[derive(Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl TestApp {
    async fn send(&self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.expect("response");
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            location,
            set_cookies,
            body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
        }
    }

    /// Sends `req` and keeps the body as bytes (downloads are not UTF-8).
    async fn send_raw(&self, req: Request<Body>) -> Download {
        let response = self.router.clone().oneshot(req).await.expect("response");
        let h = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (status, content_type, disposition) = (
            response.status(),
            h(header::CONTENT_TYPE),
            h(header::CONTENT_DISPOSITION),
        );
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Download {
            status,
            content_type,
            disposition,
            bytes,
        }
    }

    /// GETs `path` as `b`, keeping the body as bytes.
    async fn download(&self, b: &Browser, path: &str) -> Download {
        let req = Request::get(path)
            .header(header::COOKIE, &b.cookie)
            .body(Body::empty())
            .expect("request");
        self.send_raw(req).await
    }

    async fn get(&self, browser: Option<&Browser>, path: &str) -> Reply {
        let mut req = Request::get(path);
        if let Some(b) = browser {
            req = req.header(header::COOKIE, &b.cookie);
        }
        self.send(req.body(Body::empty()).expect("request")).await
    }

    /// POSTs `fields` as a form; `csrf` is added as `_csrf` when given.
    async fn post_form(
        &self,
        cookie: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(token) = csrf {
            all.push((school::CSRF_FIELD, token));
        }
        let body = serde_urlencoded::to_string(&all).expect("form");
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).expect("request"))
            .await
    }

    async fn post(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_form(Some(&b.cookie), path, fields, Some(&b.csrf))
            .await
    }

    /// Opens the login page and submits the form; returns the reply to the POST.
    async fn try_login(&self, username: &str, password: &str) -> Reply {
        let page = self.get(None, "/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let cookie =
            cookie_pair(&page.set_cookies, school::LOGIN_CSRF_COOKIE).expect("login CSRF cookie");
        let token = csrf_in(&page.body).expect("CSRF field on the login form");
        self.post_form(
            Some(&cookie),
            "/login",
            &[("username", username), ("password", password)],
            Some(&token),
        )
        .await
    }

    async fn login(&self, username: &str) -> Browser {
        let reply = self.try_login(username, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let cookie =
            cookie_pair(&reply.set_cookies, school::SESSION_COOKIE).expect("session cookie");
        let home = self
            .get(
                Some(&Browser {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
                "/",
            )
            .await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        Browser {
            cookie,
            csrf: csrf_in(&home.body).expect("CSRF field on the home page"),
        }
    }
}

/// A response with its raw bytes and content type (downloads are not UTF-8).
struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

/// `name=value` of cookie `name` among Set-Cookie headers.
fn cookie_pair(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .filter_map(|c| c.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
        .map(str::to_owned)
}

/// The value of the first hidden `_csrf` field of a page.
fn csrf_in(body: &str) -> Option<String> {
    let marker = format!(r#"name="{}" value=""#, school::CSRF_FIELD);
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

fn key(class: ClassId, student: &StudentCode) -> EnrolmentKey {
    EnrolmentKey {
        student: student.clone(),
        class,
    }
}

// ---------------------------------------------------------------------------------------
// Login, logout, rate limit, forced password change.

#[tokio::test]
async fn login_with_the_right_password_opens_the_role_home_and_logout_closes_it() {
    let app = spawn_app().await;
    let wrong = app.try_login("gv.toan", "sai-mat-khau").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng")
    );
    assert!(cookie_pair(&wrong.set_cookies, school::SESSION_COOKIE).is_none());
    let unknown = app.try_login("khong.ton.tai", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    let ok = app.try_login("gv.toan", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some("/"));
    let set = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with(school::SESSION_COOKIE))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let b = app.login("gv.toan").await;
    let home = app.get(Some(&b), "/").await;
    assert!(home.body.contains("Nhập điểm"));
    assert!(!home.body.contains("Tổng hợp kết quả"));
    assert!(!home.body.contains("Tổng quan nhà trường"));

    let out = app.post(&b, "/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.get(Some(&b), "/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn five_failures_lock_the_username_for_this_address() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app.try_login("gv.van", "sai-mat-khau").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, without opening a session.
    let locked = app.try_login("gv.van", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("thử lại sau 15 phút"));
    assert!(cookie_pair(&locked.set_cookies, school::SESSION_COOKIE).is_none());
    // Another account from the same address is not affected.
    app.login("gv.toan").await;
}

#[tokio::test]
async fn login_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let r = app
        .post_form(
            None,
            "/login",
            &[("username", "gv.toan"), ("password", PASSWORD)],
            Some("forged"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(cookie_pair(&r.set_cookies, school::SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn the_demo_password_must_be_changed_outside_demo_mode() {
    let app = spawn_app().await;
    let demo_hash = school::hash_password(school::DEMO_PASSWORD).expect("hash");
    let t = app
        .store
        .teacher_by_username("gv.toan")
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_password_hash(t.id, Some(&demo_hash))
        .await
        .unwrap();

    let r = app.try_login("gv.toan", school::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/password"));
    let cookie = cookie_pair(&r.set_cookies, school::SESSION_COOKIE).unwrap();
    let mut b = Browser {
        cookie,
        csrf: String::new(),
    };
    // Every page sends the user to "Đổi mật khẩu" first.
    for path in ["/", "/scores"] {
        let r = app.get(Some(&b), path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location.as_deref(), Some("/password"));
    }
    let form = app.get(Some(&b), "/password").await;
    assert!(form.body.contains("Đổi mật khẩu"));
    b.csrf = csrf_in(&form.body).unwrap();
    let weak = app
        .post(
            &b,
            "/password",
            &[
                ("current", school::DEMO_PASSWORD),
                ("new", school::DEMO_PASSWORD),
                ("confirm", school::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new = "mot-mat-khau-moi-dai";
    let done = app
        .post(
            &b,
            "/password",
            &[
                ("current", school::DEMO_PASSWORD),
                ("new", new),
                ("confirm", new),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Đã đổi mật khẩu"));
    assert_eq!(app.get(Some(&b), "/scores").await.status, StatusCode::OK);
    let stored = app
        .store
        .teacher(t.id)
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(school::verify_password(new, &stored));
}

#[tokio::test]
async fn demo_mode_accepts_the_demo_password_without_a_change() {
    let app = spawn_app_with(school::Config {
        demo: true,
        ..school::Config::default()
    })
    .await;
    let demo_hash = school::hash_password(school::DEMO_PASSWORD).expect("hash");
    let t = app
        .store
        .teacher_by_username("ht.a")
        .await
        .unwrap()
        .unwrap();
    app.store
        .set_password_hash(t.id, Some(&demo_hash))
        .await
        .unwrap();
    let r = app.try_login("ht.a", school::DEMO_PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/"));
    assert!(r.status == StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------------
// Score grid.

fn grid_path(app: &TestApp, class: ClassId, subject: &str, hk: u8) -> String {
    let _ = app;
    format!("/scores/{class}/{subject}?hk={hk}")
}

#[tokio::test]
async fn a_post_without_csrf_token_is_403_and_saves_nothing() {
    let app = spawn_app().await;
    let b = app.login("gv.toan").await;
    let s = &app.students_a1[0];
    let field = format!("gk_{s}");
    let path = grid_path(&app, app.class_a1, "TOAN", 1);
    for token in [None, Some("0123456789abcdef0123456789abcdef")] {
        let r = app
            .post_form(Some(&b.cookie), &path, &[(field.as_str(), "8")], token)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Bạn không có quyền"), "{}", r.body);
    }
    let sheet = app
        .store
        .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
        .await
        .unwrap();
    assert!(sheet.is_empty());
}

#[tokio::test]
async fn a_grid_with_invalid_cells_saves_the_valid_rows_only() {
    let app = spawn_app().await;
    let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
    // s1 already has scores: a refused row must keep them untouched.
    let before = ScoreSheetRow {
        student: s1.clone(),
        regular: vec![score("5"), score("6")],
        midterm: Some(score("6")),
        final_exam: None,
    };
    app.store
        .replace_score_sheet(
            app.class_a1,
            &subject("TOAN"),
            Semester::First,
            std::slice::from_ref(&before),
        )
        .await
        .unwrap();
    let b = app.login("gv.toan").await;
    let path = grid_path(&app, app.class_a1, "TOAN", 1);
    let page = app.get(Some(&b), &path).await;
    assert_eq!(page.status, StatusCode::OK);
    // Grade 6 Toán has 140 periods a year: 4 regular scores per semester (TT22 art. 7).
    assert!(page.body.contains("ĐĐGtx 4"));
    assert!(!page.body.contains("ĐĐGtx 5"));
    assert!(page.body.contains("Nguyễn Thị Ánh"));

    let f = |p: &str, s: &StudentCode| format!("{p}_{s}");
    let owned: Vec<(String, String)> = vec![
        (f("tx", &s0) + "_1", "8".into()),
        (f("tx", &s0) + "_2", "7".into()),
        (f("tx", &s0) + "_3", "9".into()),
        (f("tx", &s0) + "_4", "6".into()),
        (f("gk", &s0), "7".into()),
        (f("ck", &s0), "8".into()),
        (f("nx", &s0), "Tiến bộ rõ <b>rệt</b>".into()),
        (f("tx", &s1) + "_1", "9".into()),
        (f("tx", &s1) + "_2", "11".into()),
        (f("gk", &s1), "9".into()),
        (f("tx", &s2) + "_1", "8,5".into()),
        (f("gk", &s2), "8,5,".into()),
        (f("ck", &s2), "9".into()),
    ];
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post(&b, &path, &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Điểm phải từ 0 đến 10"));
    assert!(r.body.contains("Điểm không hợp lệ"));
    assert!(r.body.contains("2 học sinh chưa được lưu"));
    // The invalid cells come back as typed, marked.
    assert!(r.body.contains(r#"value="11" class="score invalid""#));
    assert!(r.body.contains(r#"value="8,5," class="score invalid""#));
    // ĐTBmhk of the saved row: (8+7+9+6 + 2·7 + 3·8) / (4 + 5) = 68/9 = 7.56 → 7,6.
    assert!(r.body.contains("<output>7,6</output>"), "{}", r.body);
    // The comment is escaped, never markup.
    assert!(r.body.contains("Tiến bộ rõ &lt;b&gt;rệt&lt;/b&gt;"));

    let sheet = app
        .store
        .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
        .await
        .unwrap();
    assert_eq!(
        sheet,
        vec![
            ScoreSheetRow {
                student: s0.clone(),
                regular: ["8", "7", "9", "6"].map(score).to_vec(),
                midterm: Some(score("7")),
                final_exam: Some(score("8")),
            },
            before,
        ]
    );
    let comments = app
        .store
        .subject_comment_sheet(app.class_a1, &subject("TOAN"), store::Term::First)
        .await
        .unwrap();
    assert_eq!(
        comments,
        vec![(s0.clone(), "Tiến bộ rõ <b>rệt</b>".to_owned())]
    );
}

#[tokio::test]
async fn comment_subjects_take_dat_or_chua_dat() {
    let app = spawn_app().await;
    let b = app.login("gv.van").await;
    let path = grid_path(&app, app.class_a1, "GDTC", 2);
    let page = app.get(Some(&b), &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa đạt"));
    let [s0, s1] = [0, 1].map(|i| app.students_a1[i].clone());
    let (k0, k1) = (format!("kq_{s0}"), format!("kq_{s1}"));
    let r = app
        .post(&b, &path, &[(k0.as_str(), "dat"), (k1.as_str(), "gioi")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("1 học sinh chưa được lưu"));
    let sheet = app
        .store
        .comment_sheet(app.class_a1, &subject("GDTC"), Semester::Second)
        .await
        .unwrap();
    assert_eq!(sheet, vec![(s0, true)]);
}

#[tokio::test]
async fn a_subject_teacher_cannot_read_or_write_what_is_not_assigned() {
    let app = spawn_app().await;
    let b = app.login("gv.toan").await;
    // Only own assignments are listed.
    let list = app.get(Some(&b), "/scores").await;
    assert!(list.body.contains("6A1") && list.body.contains("6A2"));
    assert!(!list.body.contains("Ngữ văn"));
    assert!(!list.body.contains("6B1"));

    let s0 = app.students_a1[0].clone();
    let gk = format!("gk_{s0}");
    for (class, subj) in [
        (app.class_a1, "NGU_VAN"), // another teacher's subject
        (app.class_b1, "TOAN"),    // another school's class
        (ClassId(9999), "TOAN"),   // no such class
        (app.class_a1, "KHTN"),    // nobody's subject
    ] {
        let path = grid_path(&app, class, subj, 1);
        let r = app.get(Some(&b), &path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "GET {path}");
        assert!(r.body.contains("Bạn không có quyền"));
        let r = app.post(&b, &path, &[(gk.as_str(), "8")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    assert!(
        app.store
            .score_sheet(app.class_a1, &subject("NGU_VAN"), Semester::First)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .score_sheet(app.class_b1, &subject("TOAN"), Semester::First)
            .await
            .unwrap()
            .is_empty()
    );
    // The other teacher cannot open this teacher's subject either.
    let v = app.login("gv.van").await;
    let r = app
        .get(Some(&v), &grid_path(&app, app.class_a1, "TOAN", 1))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------
// Homeroom summary.

#[tokio::test]
async fn homeroom_sees_computed_results_enters_conduct_and_only_for_own_class() {
    let app = spawn_app().await;
    let [s0, s1] = [0, 1].map(|i| app.students_a1[i].clone());
    for sem in [Semester::First, Semester::Second] {
        app.store
            .set_subject_scores(
                &key(app.class_a1, &s0),
                &SubjectScores {
                    subject: subject("TOAN"),
                    semester: sem,
                    regular: ["8", "7", "9", "6"].map(score).to_vec(),
                    midterm: Some(score("7")),
                    final_exam: Some(score(if sem == Semester::First { "8" } else { "9" })),
                },
            )
            .await
            .unwrap();
    }
    let b = app.login("gvcn.a1").await;
    let path = format!("/classes/{}/summary", app.class_a1);
    let page = app.get(Some(&b), &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // HK I: 68/9 → 7,6; HK II: (30 + 14 + 27)/9 = 71/9 → 7,9; CN: (7,6 + 2·7,9)/3 = 7,8.
    for expected in ["<td>7,6</td><td>7,9</td><td>7,8</td>", "Toán", "Ngữ văn"] {
        assert!(page.body.contains(expected), "{expected}\n{}", page.body);
    }
    assert!(page.body.contains("Chưa có kết quả rèn luyện học kì I"));
    assert!(page.body.contains("Ngữ văn: chưa có điểm"));
    assert!(page.body.contains("<strong>3</strong> còn thiếu dữ liệu"));

    let (rl1_0, rl2_0, np0, kp0) = (
        format!("rl1_{s0}"),
        format!("rl2_{s0}"),
        format!("np_{s0}"),
        format!("kp_{s0}"),
    );
    let (rl1_1, np1) = (format!("rl1_{s1}"), format!("np_{s1}"));
    let r = app
        .post(
            &b,
            &path,
            &[
                (&rl1_0, "tot"),
                (&rl2_0, "kha"),
                (&np0, "2"),
                (&kp0, ""),
                (&rl1_1, "tot"),
                (&np1, "abc"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("1 học sinh chưa được lưu"));
    assert!(
        r.body
            .contains("Số ngày nghỉ phải là số nguyên từ 0 đến 366")
    );
    let i0 = app
        .store
        .year_inputs(&key(app.class_a1, &s0))
        .await
        .unwrap();
    assert_eq!(
        i0.conduct.iter().map(|c| c.rating).collect::<Vec<_>>(),
        vec![ConductRating::Good, ConductRating::Fair]
    );
    assert_eq!(
        i0.absences.map(|a| (a.excused_days, a.unexcused_days)),
        Some((2, 0))
    );
    let i1 = app
        .store
        .year_inputs(&key(app.class_a1, &s1))
        .await
        .unwrap();
    assert!(i1.conduct.is_empty() && i1.absences.is_none());

    // Another class: not readable, not writable.
    let other = format!("/classes/{}/summary", app.class_a2);
    assert_eq!(
        app.get(Some(&b), &other).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&b, &other, &[("rl1_x", "tot")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let foreign = format!("/classes/{}/summary", app.class_b1);
    assert_eq!(
        app.get(Some(&b), &foreign).await.status,
        StatusCode::FORBIDDEN
    );
}

// ---------------------------------------------------------------------------------------
// Every role on every page.

#[tokio::test]
async fn every_role_on_every_page_is_allowed_or_refused_by_the_server() {
    let app = spawn_app().await;
    let a1 = app.class_a1;
    let a2 = app.class_a2;
    let toan_a1 = format!("/scores/{a1}/TOAN?hk=1");
    let van_a1 = format!("/scores/{a1}/NGU_VAN?hk=1");
    let sum_a1 = format!("/classes/{a1}/summary");
    let sum_a2 = format!("/classes/{a2}/summary");
    let sum_b1 = format!("/classes/{}/summary", app.class_b1);
    let pages: [&str; 9] = [
        "/", "/scores", &toan_a1, &van_a1, "/classes", &sum_a1, &sum_a2, &sum_b1, "/school",
    ];
    use StatusCode as S;
    const OK: StatusCode = StatusCode::OK;
    const NO: StatusCode = StatusCode::FORBIDDEN;
    // One row per account, one column per page above.
    let matrix: [(&str, [S; 9]); 9] = [
        // /      /scores toan_a1 van_a1 /classes sum_a1 sum_a2 sum_b1 /school
        ("admin.a", [OK, NO, NO, NO, NO, OK, OK, NO, OK]),
        ("ht.a", [OK, NO, NO, NO, NO, OK, OK, NO, OK]),
        ("vt.a", [OK, NO, NO, NO, NO, NO, NO, NO, OK]),
        ("gvcn.a1", [OK, NO, NO, NO, OK, OK, NO, NO, NO]),
        ("gvcn.a2", [OK, NO, NO, NO, OK, NO, OK, NO, NO]),
        ("gv.toan", [OK, OK, OK, NO, NO, NO, NO, NO, NO]),
        ("gv.van", [OK, OK, NO, OK, NO, NO, NO, NO, NO]),
        ("gv.toan.b", [OK, OK, NO, NO, NO, NO, NO, NO, NO]),
        ("ht.b", [OK, NO, NO, NO, NO, NO, NO, OK, OK]),
    ];
    for (user, expected) in matrix {
        let b = app.login(user).await;
        for (path, want) in pages.iter().zip(expected) {
            let r = app.get(Some(&b), path).await;
            assert_eq!(r.status, want, "{user} GET {path}");
            if want == NO {
                assert!(r.body.contains("Bạn không có quyền"), "{user} {path}");
            }
        }
        // Writes: only gv.toan on the Toán grid, only gvcn.a1 on the 6A1 summary.
        let w = app.post(&b, &toan_a1, &[]).await.status;
        assert_eq!(w == OK, user == "gv.toan", "{user} POST {toan_a1}: {w}");
        let w = app.post(&b, &sum_a1, &[]).await.status;
        assert_eq!(w == OK, user == "gvcn.a1", "{user} POST {sum_a1}: {w}");
    }
    // Without a session every page sends to the login form.
    for path in pages {
        let r = app.get(None, path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location.as_deref(), Some("/login"));
    }
}

#[tokio::test]
async fn principal_overview_lists_the_classes_of_own_school_only() {
    let app = spawn_app().await;
    let b = app.login("ht.a").await;
    let r = app.get(Some(&b), "/school").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("6A1") && r.body.contains("6A2"));
    assert!(!r.body.contains("6B1"));
    assert!(r.body.contains("<strong>4</strong> học sinh"), "{}", r.body);
    // Read-only summary for the principal: no form.
    let s = app
        .get(Some(&b), &format!("/classes/{}/summary", app.class_a1))
        .await;
    assert!(s.body.contains("Chỉ xem"));
    assert!(!s.body.contains("<form method=\"post\" action=\"/classes"));
}

#[tokio::test]
async fn pages_send_security_headers_and_assets_are_embedded() {
    let app = spawn_app().await;
    let r = app
        .router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = r.headers();
    assert!(h.get(header::CONTENT_SECURITY_POLICY).is_some());
    assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(h.get(header::CACHE_CONTROL).unwrap(), "no-store");
    for asset in ["/assets/style.css", "/assets/grid.js"] {
        let r = app.get(None, asset).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.is_empty());
    }
    assert_eq!(app.get(None, "/nope").await.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// Audit log and "Lịch sử thay đổi".

/// `(action code, field, old, new, username)` of a student's entries, newest first.
async fn audit_rows(
    app: &TestApp,
    student: &StudentCode,
) -> Vec<(String, String, String, String, String)> {
    let school = app
        .store
        .school_by_code("79000001")
        .await
        .unwrap()
        .expect("school A");
    app.store
        .audit_of_student(school.id, student)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.action.code().to_owned(),
                e.field,
                e.old.unwrap_or_default(),
                e.new.unwrap_or_default(),
                e.actor_username,
            )
        })
        .collect()
}

fn audit_row(
    action: &str,
    field: &str,
    old: &str,
    new: &str,
    who: &str,
) -> (String, String, String, String, String) {
    (
        action.to_owned(),
        field.to_owned(),
        old.to_owned(),
        new.to_owned(),
        who.to_owned(),
    )
}

#[tokio::test]
async fn a_grid_save_logs_exactly_the_changed_cells_and_the_history_page_shows_them() {
    let app = spawn_app().await;
    let [s0, s1] = [0, 1].map(|i| app.students_a1[i].clone());
    let b = app.login("gv.toan").await;
    let path = grid_path(&app, app.class_a1, "TOAN", 1);
    let f = |p: &str, s: &StudentCode| format!("{p}_{s}");
    let (tx1, tx2, gk, nx) = (
        f("tx", &s0) + "_1",
        f("tx", &s0) + "_2",
        f("gk", &s0),
        f("nx", &s0),
    );
    let r = app
        .post(
            &b,
            &path,
            &[(&tx1, "8"), (&tx2, "7"), (&gk, "7,5"), (&nx, "Cố gắng")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = vec![
        audit_row("comment.set", "TOAN/HK1/nx", "", "Cố gắng", "gv.toan"),
        audit_row("score.set", "TOAN/HK1/gk", "", "7.5", "gv.toan"),
        audit_row("score.set", "TOAN/HK1/tx2", "", "7.0", "gv.toan"),
        audit_row("score.set", "TOAN/HK1/tx1", "", "8.0", "gv.toan"),
    ];
    assert_eq!(audit_rows(&app, &s0).await, first);
    assert!(
        audit_rows(&app, &s1).await.is_empty(),
        "untouched rows log nothing"
    );

    // Saving the same grid again logs nothing.
    let same = app
        .post(
            &b,
            &path,
            &[(&tx1, "8"), (&tx2, "7"), (&gk, "7,5"), (&nx, "Cố gắng")],
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(audit_rows(&app, &s0).await, first);

    // One cell changed: one entry, old → new.
    app.post(
        &b,
        &path,
        &[(&tx1, "8"), (&tx2, "9"), (&gk, "7,5"), (&nx, "Cố gắng")],
    )
    .await;
    let rows = audit_rows(&app, &s0).await;
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0],
        audit_row("score.set", "TOAN/HK1/tx2", "7.0", "9.0", "gv.toan")
    );
    // A refused row (invalid cell) changes nothing and logs nothing.
    app.post(
        &b,
        &path,
        &[(&tx1, "11"), (&tx2, "9"), (&gk, "7,5"), (&nx, "Cố gắng")],
    )
    .await;
    assert_eq!(audit_rows(&app, &s0).await.len(), 5);
    assert!(matches!(app.store.verify_audit_chain().await.unwrap(), Ok(c) if c.entries == 5));

    // The homeroom teacher reaches the history from the summary.
    let history = format!("/students/{s0}/history");
    let cn = app.login("gvcn.a1").await;
    let summary = app
        .get(Some(&cn), &format!("/classes/{}/summary", app.class_a1))
        .await;
    assert!(
        summary.body.contains(&format!(r#"href="{history}""#)),
        "{}",
        summary.body
    );
    let page = app.get(Some(&cn), &history).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Lịch sử thay đổi — Nguyễn Thị Ánh"));
    let newest = "<td>Toán HK I — ĐĐGtx 2</td><td>7</td><td>9</td>";
    let oldest = "<td>Toán HK I — ĐĐGtx 1</td><td>(trống)</td><td>8</td>";
    let (i, j) = (
        page.body.find(newest).expect(newest),
        page.body.find(oldest).expect(oldest),
    );
    assert!(i < j, "newest first");
    assert!(
        page.body
            .contains("<td>Toán HK I — ĐĐGgk</td><td>(trống)</td><td>7,5</td>")
    );
    assert!(page.body.contains("Giáo viên gv.toan (gv.toan)"));

    // Principal and admin of the school may read it; nobody else.
    for (user, status) in [
        ("ht.a", StatusCode::OK),
        ("admin.a", StatusCode::OK),
        ("gvcn.a2", StatusCode::FORBIDDEN),
        ("gv.toan", StatusCode::FORBIDDEN),
        ("vt.a", StatusCode::FORBIDDEN),
        ("ht.b", StatusCode::FORBIDDEN),
        ("gvcn.b1", StatusCode::FORBIDDEN),
    ] {
        let u = app.login(user).await;
        let r = app.get(Some(&u), &history).await;
        assert_eq!(r.status, status, "{user}");
        if status == StatusCode::FORBIDDEN {
            assert!(r.body.contains("Bạn không có quyền"), "{user}");
            assert!(!r.body.contains("ĐĐGtx"), "{user}");
        }
    }
    // An unknown student is refused like another school's; a malformed code is 404.
    let unknown = format!("/students/{}/history", "7".repeat(20));
    assert_eq!(
        app.get(Some(&cn), &unknown).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(Some(&cn), "/students/abc/history").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn conduct_absences_and_password_changes_are_logged() {
    let app = spawn_app().await;
    let s0 = app.students_a1[0].clone();
    let cn = app.login("gvcn.a1").await;
    let path = format!("/classes/{}/summary", app.class_a1);
    let (rl1, np, kp) = (format!("rl1_{s0}"), format!("np_{s0}"), format!("kp_{s0}"));
    let fields = [(rl1.as_str(), "tot"), (np.as_str(), "2"), (kp.as_str(), "")];
    assert_eq!(app.post(&cn, &path, &fields).await.status, StatusCode::OK);
    assert_eq!(app.post(&cn, &path, &fields).await.status, StatusCode::OK);
    assert_eq!(
        audit_rows(&app, &s0).await,
        vec![
            audit_row("absences.set", "kp", "", "0", "gvcn.a1"),
            audit_row("absences.set", "np", "", "2", "gvcn.a1"),
            audit_row("conduct.set", "HK1/rl", "", "tot", "gvcn.a1"),
        ]
    );
    let page = app.get(Some(&cn), &format!("/students/{s0}/history")).await;
    assert!(
        page.body
            .contains("<td>Kết quả rèn luyện HK I</td><td>(trống)</td><td>Tốt</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td>Số ngày nghỉ có phép</td><td>(trống)</td><td>2 ngày</td>")
    );

    let mut b = app.login("gv.van").await;
    let form = app.get(Some(&b), "/password").await;
    b.csrf = csrf_in(&form.body).unwrap();
    let new = "mot-mat-khau-moi-dai";
    let done = app
        .post(
            &b,
            "/password",
            &[("current", PASSWORD), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let last = app.store.audit_latest(1).await.unwrap().remove(0);
    assert_eq!(last.action, store::AuditAction::PasswordChange);
    assert_eq!(last.actor_username, "gv.van");
    assert_eq!((last.old, last.new, last.student), (None, None, None));
    let hash = app
        .store
        .teacher_by_username("gv.van")
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    for e in app.store.audit_latest(100).await.unwrap() {
        let text = format!("{e:?}");
        assert!(!text.contains(new) && !text.contains(&hash), "{text}");
    }
    assert!(matches!(app.store.verify_audit_chain().await.unwrap(), Ok(c) if c.entries == 4));
}

// ---------------------------------------------------------------------------------------
// Records: review, signing chain, batch signing, seal, lock, unlock, versions.

/// One demo PKI for the whole test binary (RSA key generation is slow).
fn test_pki() -> &'static pki::DemoPki {
    static PKI: OnceLock<pki::DemoPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        pki::demo_pki(now).expect("demo PKI")
    })
}

fn p12(id: &pki::DemoIdentity) -> Vec<u8> {
    test_pki().pkcs12(id).expect("p12")
}

/// An app that trusts the test PKI's root and seals with its seal key.
/// The sealed record from the school server verifies with the independent implementation
/// too: `xmlsec1` checks each of the three signatures against the demo root.
fn assert_verified_by_xmlsec1(xml: &str, pki: &pki::DemoPki) {
    let dir = tempfile::tempdir().unwrap();
    let (doc, root, ca) = (
        dir.path().join("record.xml"),
        dir.path().join("root.pem"),
        dir.path().join("school-ca.pem"),
    );
    std::fs::write(&doc, xml).unwrap();
    std::fs::write(&root, pki.root_pem()).unwrap();
    std::fs::write(
        &ca,
        pki::pem::encode("CERTIFICATE", &pki.school_ca.cert_der),
    )
    .unwrap();
    for k in 1..=3 {
        let out = std::process::Command::new("xmlsec1")
            .args([
                "--verify",
                "--id-attr:Id",
                "urn:hocba:record:1:DuLieu",
                "--id-attr:Id",
                "http://www.w3.org/2000/09/xmldsig#:Signature",
                "--id-attr:Id",
                "http://www.w3.org/2000/09/xmldsig#:Object",
                "--trusted-pem",
            ])
            .arg(&root)
            .arg("--untrusted-pem")
            .arg(&ca)
            .args(["--node-id", &format!("sig{k}")])
            .arg(&doc)
            .output()
            .expect("xmlsec1 is installed (scripts/test installs it)");
        assert!(
            out.status.success(),
            "xmlsec1 rejects sig{k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn spawn_signing_app() -> TestApp {
    let pki = test_pki();
    spawn_app_with(school::Config {
        trust_roots_pem: Some(pki.root_pem().into_bytes()),
        seal: Some(school::SealKey::Pkcs12 {
            p12: p12(&pki.seal),
            password: pki::DEMO_P12_PASSWORD.to_owned(),
        }),
        ..school::Config::default()
    })
    .await
}

/// Female, born 2014 (21st century, female → 3), province 079.
fn personal_id(n: u32) -> domain::PersonalId {
    format!("0793140{n:05}").parse().expect("personal id")
}

/// Everything class 6A1's year needs for student `s`: Toán and Ngữ văn scored both
/// semesters, GDTC Đạt both semesters, conduct Tốt both semesters.
async fn complete_year(app: &TestApp, s: &StudentCode) {
    complete_year_in(app, app.class_a1, s).await;
}

/// Class 6B1 (school B) complete and reviewed: the fixture's school B class lacks Ngữ văn
/// and GDTC teachers (assigned here); its one student gets a personal ID and a full year.
async fn reviewed_class_b(app: &TestApp) -> StudentCode {
    let teacher = app
        .store
        .teacher_by_username("gv.toan.b")
        .await
        .unwrap()
        .unwrap()
        .id;
    for code in ["NGU_VAN", "GDTC"] {
        app.store
            .assign_subject(&SubjectAssignment {
                class: app.class_b1,
                subject: subject(code),
                teacher,
            })
            .await
            .unwrap();
    }
    let s = app.store.class_members(app.class_b1).await.unwrap()[0]
        .student
        .code
        .clone();
    app.store
        .set_personal_id(&s, Some(&personal_id(9)))
        .await
        .unwrap();
    complete_year_in(app, app.class_b1, &s).await;
    let b = app.login("gvcn.b1").await;
    let r = app
        .post(&b, &format!("/classes/{}/review", app.class_b1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    s
}

/// [`complete_year`] for student `s` of `class`.
async fn complete_year_in(app: &TestApp, class: ClassId, s: &StudentCode) {
    let k = key(class, s);
    for sem in [Semester::First, Semester::Second] {
        for code in ["TOAN", "NGU_VAN"] {
            app.store
                .set_subject_scores(
                    &k,
                    &SubjectScores {
                        subject: subject(code),
                        semester: sem,
                        regular: ["8", "7", "9", "8"].map(score).to_vec(),
                        midterm: Some(score("8")),
                        final_exam: Some(score("9")),
                    },
                )
                .await
                .unwrap();
        }
        app.store
            .set_comment_result(
                &k,
                &store::CommentResult {
                    subject: subject("GDTC"),
                    semester: sem,
                    passed: true,
                },
            )
            .await
            .unwrap();
        app.store
            .set_conduct(
                &k,
                store::ConductEntry {
                    semester: sem,
                    rating: ConductRating::Good,
                },
            )
            .await
            .unwrap();
    }
}

impl TestApp {
    /// POSTs a `multipart/form-data` form with the CSRF token, text fields and a `p12`
    /// file (when given).
    async fn post_multipart(
        &self,
        b: &Browser,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<&[u8]>,
    ) -> Reply {
        let boundary = "----hocbaTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let mut all: Vec<(&str, &str)> = vec![(school::CSRF_FIELD, b.csrf.as_str())];
        all.extend_from_slice(fields);
        for (k, v) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some(bytes) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"p12\"; filename=\"key.p12\"\r\nContent-Type: application/x-pkcs12\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, &b.cookie)
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    async fn current(&self) -> Vec<store::StoredRecord> {
        self.store
            .current_records_of_class(self.class_a1)
            .await
            .unwrap()
    }
}

fn state_of(records: &[store::StoredRecord], s: &StudentCode) -> Option<(store::RecordState, u32)> {
    records
        .iter()
        .find(|r| &r.student == s)
        .map(|r| (r.state, r.signatures))
}

#[tokio::test]
async fn review_is_refused_while_anything_is_missing_then_builds_every_signable_record() {
    let app = spawn_signing_app().await;
    let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
    for (i, s) in [&s0, &s1].into_iter().enumerate() {
        app.store
            .set_personal_id(s, Some(&personal_id(i as u32 + 1)))
            .await
            .unwrap();
    }
    complete_year(&app, &s0).await;
    complete_year(&app, &s1).await;
    let b = app.login("gvcn.a1").await;
    let page = app
        .get(Some(&b), &format!("/classes/{}/records", app.class_a1))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Xác nhận tổng hợp"));
    assert!(page.body.contains("Chưa có mã định danh"));

    let review = format!("/classes/{}/review", app.class_a1);
    let r = app.post(&b, &review, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Chưa xác nhận được"), "{}", r.body);
    assert!(r.body.contains("Lê Hoàng Chi"));
    assert!(app.current().await.is_empty());
    assert_eq!(app.store.class_review(app.class_a1).await.unwrap(), None);

    complete_year(&app, &s2).await;
    let r = app.post(&b, &review, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("lập 2 học bạ"), "{}", r.body);
    assert!(r.body.contains("Chưa có mã định danh"));
    let current = app.current().await;
    assert_eq!(current.len(), 2);
    for s in [&s0, &s1] {
        assert_eq!(
            state_of(&current, s),
            Some((store::RecordState::Reviewed, 0))
        );
    }
    assert_eq!(state_of(&current, &s2), None);
    // The stored document is the record the engine computes, byte for byte checkable.
    let xml = current[0].xml.clone().unwrap();
    let doc = record::parse_document(xml.as_bytes()).unwrap();
    assert_eq!(record::recompute_check(&doc.record), Ok(()));
    assert_eq!(doc.record.version.get(), 1);
    assert_eq!(
        current[0].sha256.as_deref(),
        Some(school::records::sha256_hex(xml.as_bytes()).as_str())
    );
    assert!(
        app.store
            .class_review(app.class_a1)
            .await
            .unwrap()
            .is_some()
    );
}

/// Reviews class 6A1 with s0 and s1 signable and s2 without a personal ID.
async fn reviewed_class(app: &TestApp) -> Browser {
    for (i, s) in app.students_a1.iter().enumerate() {
        if i < 2 {
            app.store
                .set_personal_id(s, Some(&personal_id(i as u32 + 1)))
                .await
                .unwrap();
        }
        complete_year(app, s).await;
    }
    let b = app.login("gvcn.a1").await;
    let r = app
        .post(&b, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    b
}

/// The homeroom teacher `gvcn` signs every record of `class` awaiting it with the test
/// PKI's GVCN key; asserts the page answers 200.
async fn homeroom_signs(app: &TestApp, gvcn: &Browser, class: ClassId) {
    let pki = test_pki();
    let r = app
        .post_multipart(
            gvcn,
            &format!("/classes/{class}/sign"),
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&p12(&pki.gvcn)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The principal `ht` batch-signs `class` (asserting 200), then `sealer` seals it; the
/// answer to the seal.
async fn principal_signs_then_seal(app: &TestApp, class: ClassId, ht: &str, sealer: &str) -> Reply {
    let pki = test_pki();
    let ht = app.login(ht).await;
    let class_field = class.to_string();
    let r = app
        .post_multipart(
            &ht,
            "/signing/batch",
            &[
                ("class", &class_field),
                ("password", pki::DEMO_P12_PASSWORD),
            ],
            Some(&p12(&pki.ht)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sealer = app.login(sealer).await;
    app.post(&sealer, "/signing/seal", &[("class", &class_field)])
        .await
}

/// GVCN `gvcn` signs every record of `class` awaiting it, the principal `ht` batch-signs,
/// then `sealer` seals; asserts `n` records were sealed.
async fn sign_and_seal(
    app: &TestApp,
    class: ClassId,
    gvcn: &str,
    ht: &str,
    sealer: &str,
    n: usize,
) {
    let gvcn = app.login(gvcn).await;
    homeroom_signs(app, &gvcn, class).await;
    let r = principal_signs_then_seal(app, class, ht, sealer).await;
    assert!(
        r.body.contains(&format!("Đã đóng dấu {n} học bạ")),
        "{}",
        r.body
    );
}

/// Reviews 6A1, GVCN and HT sign s0 and s1, the clerk seals them; their codes.
async fn sealed_pair(app: &TestApp) -> Vec<StudentCode> {
    let gvcn = reviewed_class(app).await;
    homeroom_signs(app, &gvcn, app.class_a1).await;
    let r = principal_signs_then_seal(app, app.class_a1, "ht.a", "vt.a").await;
    assert!(r.body.contains("Đã đóng dấu 2 học bạ"), "{}", r.body);
    app.students_a1[..2].to_vec()
}

#[tokio::test]
async fn the_full_chain_homeroom_batch_with_exclusion_seal_verifies_and_locks() {
    let app = spawn_signing_app().await;
    let pki = test_pki();
    let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
    let gvcn = reviewed_class(&app).await;
    let sign = format!("/classes/{}/sign", app.class_a1);
    let gvcn_p12 = p12(&pki.gvcn);

    // Wrong password: a clear Vietnamese message, nothing signed.
    let r = app
        .post_multipart(
            &gvcn,
            &sign,
            &[("password", "sai-mat-khau")],
            Some(&gvcn_p12),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("Mật khẩu của tệp chứng thư số không đúng"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Không có học bạ nào được ký"));
    assert!(app.current().await.iter().all(|r| r.signatures == 0));
    // A multipart POST without the CSRF token is refused like any other.
    let mut forged = gvcn.clone();
    forged.csrf = "x".repeat(64);
    let r = app
        .post_multipart(
            &forged,
            &sign,
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&gvcn_p12),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.current().await.iter().all(|r| r.signatures == 0));

    let r = app
        .post_multipart(
            &gvcn,
            &sign,
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&gvcn_p12),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã ký 2 học bạ"), "{}", r.body);
    assert!(r.body.contains("GVCN đã ký, chờ hiệu trưởng ký"));
    let current = app.current().await;
    for s in [&s0, &s1] {
        assert_eq!(
            state_of(&current, s),
            Some((store::RecordState::Signing, 1))
        );
    }

    // Principal: dashboard, batch summary, batch sign with s1 excluded.
    let ht = app.login("ht.a").await;
    let dash = app.get(Some(&ht), "/signing").await;
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
    assert!(dash.body.contains("Khối 6") && dash.body.contains("Ký hàng loạt"));
    let summary = app
        .get(Some(&ht), &format!("/signing/batch?class={}", app.class_a1))
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert!(
        summary
            .body
            .contains("<strong>2</strong> học bạ chờ hiệu trưởng ký")
    );
    assert!(
        summary
            .body
            .contains(&format!(r#"name="exclude" value="{s1}""#))
    );
    assert!(summary.body.contains("Chưa có mã định danh"));
    let by_grade = app.get(Some(&ht), "/signing/batch?grade=6").await;
    assert_eq!(by_grade.status, StatusCode::OK, "{}", by_grade.body);
    let class_field = app.class_a1.to_string();
    let r = app
        .post_multipart(
            &ht,
            "/signing/batch",
            &[
                ("class", &class_field),
                ("exclude", s1.as_str()),
                ("password", pki::DEMO_P12_PASSWORD),
            ],
            Some(&p12(&pki.ht)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã ký 1 học bạ"), "{}", r.body);
    let current = app.current().await;
    assert_eq!(
        state_of(&current, &s0),
        Some((store::RecordState::Signing, 2))
    );
    assert_eq!(
        state_of(&current, &s1),
        Some((store::RecordState::Signing, 1))
    );

    // Clerk applies the seal with the server's key.
    let vt = app.login("vt.a").await;
    let r = app
        .post(&vt, "/signing/seal", &[("class", &class_field)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đóng dấu 1 học bạ"), "{}", r.body);
    let current = app.current().await;
    assert_eq!(
        state_of(&current, &s0),
        Some((store::RecordState::Signed, 3))
    );
    let sealed = current.iter().find(|r| r.student == s0).unwrap();
    let xml = sealed.xml.clone().unwrap();
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
    let report = xmldsig::verify_chain(
        xml.as_bytes(),
        &school::records::layout(),
        &trust,
        Some(&["GVCN", "HT", "DAU"]),
    )
    .expect("the sealed record verifies");
    assert_eq!(report.signatures.len(), 3);
    assert_eq!(
        report.signatures[0].signer_name.as_deref(),
        Some("Giáo viên gvcn.a1")
    );
    let doc = record::parse_document(xml.as_bytes()).unwrap();
    assert_eq!(record::recompute_check(&doc.record), Ok(()));
    assert_verified_by_xmlsec1(&xml, pki);
    assert_eq!(
        sealed
            .signers
            .iter()
            .map(|e| e.role.as_str())
            .collect::<Vec<_>>(),
        ["GVCN", "HT", "DAU"]
    );

    // Locked: s0 (signed) and s1 (signing) refuse changes; s2 (no record) still saves.
    let gv = app.login("gv.toan").await;
    let grid = grid_path(&app, app.class_a1, "TOAN", 1);
    let page = app.get(Some(&gv), &grid).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Học bạ đã khóa"));
    assert!(
        !page.body.contains(&format!("gk_{s0}")),
        "locked row has no inputs"
    );
    assert!(page.body.contains(&format!("gk_{s2}")));
    let gk0 = format!("gk_{s0}");
    let r = app.post(&gv, &grid, &[(&gk0, "2")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("đã khóa"), "{}", r.body);
    let toan = |rows: Vec<ScoreSheetRow>, s: &StudentCode| {
        rows.into_iter().find(|r| &r.student == s).unwrap().midterm
    };
    let sheet = app
        .store
        .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
        .await
        .unwrap();
    assert_eq!(toan(sheet, &s0), Some(score("8")));
    let f = |p: &str| format!("{p}_{s2}");
    let (t1, t2, t3, t4, gk, ck) = (
        f("tx") + "_1",
        f("tx") + "_2",
        f("tx") + "_3",
        f("tx") + "_4",
        f("gk"),
        f("ck"),
    );
    let r = app
        .post(
            &gv,
            &grid,
            &[
                (&t1, "8"),
                (&t2, "7"),
                (&t3, "9"),
                (&t4, "8"),
                (&gk, "6"),
                (&ck, "9"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sheet = app
        .store
        .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
        .await
        .unwrap();
    assert_eq!(toan(sheet.clone(), &s2), Some(score("6")));
    assert_eq!(
        toan(sheet, &s0),
        Some(score("8")),
        "the locked row is kept as stored"
    );

    let summary_path = format!("/classes/{}/summary", app.class_a1);
    let page = app.get(Some(&gvcn), &summary_path).await;
    assert!(page.body.contains("Học bạ đã khóa"));
    assert!(!page.body.contains(&format!("rl1_{s0}")));
    let rl0 = format!("rl1_{s0}");
    let r = app.post(&gvcn, &summary_path, &[(&rl0, "kha")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let inputs = app
        .store
        .year_inputs(&key(app.class_a1, &s0))
        .await
        .unwrap();
    assert!(
        inputs
            .conduct
            .iter()
            .all(|c| c.rating == ConductRating::Good)
    );
    let rl2 = format!("rl1_{s2}");
    let r = app.post(&gvcn, &summary_path, &[(&rl2, "kha")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let inputs = app
        .store
        .year_inputs(&key(app.class_a1, &s2))
        .await
        .unwrap();
    assert!(
        inputs
            .conduct
            .iter()
            .any(|c| c.rating == ConductRating::Fair)
    );

    // Versions page and download.
    let versions = app
        .get(Some(&gvcn), &format!("/students/{s0}/records"))
        .await;
    assert_eq!(versions.status, StatusCode::OK, "{}", versions.body);
    assert!(versions.body.contains("Đã ký và đóng dấu"));
    assert!(versions.body.contains(sealed.sha256.as_deref().unwrap()));
    let download = app
        .get(
            Some(&gvcn),
            &format!("/students/{s0}/records/{}/xml", sealed.id),
        )
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, xml);

    // Unlock: principal only, reason required; version 2 draft supersedes version 1.
    let unlock = format!("/students/{s0}/records/{}/unlock", sealed.id);
    assert_eq!(
        app.get(Some(&gvcn), &unlock).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&gvcn, &unlock, &[("reason", "Sửa điểm")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(Some(&ht), &unlock).await.status, StatusCode::OK);
    let r = app.post(&ht, &unlock, &[("reason", "   ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Phải nhập lý do mở khóa"));
    assert_eq!(app.store.records_of_student(&s0).await.unwrap().len(), 1);
    let r = app
        .post(&ht, &unlock, &[("reason", "Sửa điểm giữa kì Toán HK I")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let versions = app.store.records_of_student(&s0).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0], *sealed, "the signed version is kept as it was");
    let v2 = &versions[1];
    assert_eq!((v2.version, v2.state), (2, store::RecordState::Draft));
    assert_eq!(
        v2.supersedes,
        Some((sealed.id.clone(), sealed.sha256.clone().unwrap()))
    );
    assert_eq!(
        v2.unlock_reason.as_deref(),
        Some("Sửa điểm giữa kì Toán HK I")
    );
    // Unlocking the same version again: conflict, and the versions page no longer offers it.
    let r = app.post(&ht, &unlock, &[("reason", "Lần nữa")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let page = app.get(Some(&ht), &format!("/students/{s0}/records")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains(&format!("href=\"{unlock}\"")),
        "the superseded version 1 must not offer Mở khóa"
    );
    // s0 is editable again (the grid posts every editable row whole).
    let g = |p: &str, s: &StudentCode| format!("{p}_{s}");
    let mut full: Vec<(String, String)> = Vec::new();
    for s in [&s0, &s2] {
        for (i, v) in ["8", "7", "9", "8"].iter().enumerate() {
            full.push((format!("{}_{}", g("tx", s), i + 1), (*v).to_owned()));
        }
        full.push((g("gk", s), "7".to_owned()));
        full.push((g("ck", s), "9".to_owned()));
    }
    let full: Vec<(&str, &str)> = full.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post(&gv, &grid, &full).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sheet = app
        .store
        .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
        .await
        .unwrap();
    assert_eq!(toan(sheet, &s0), Some(score("7")));

    // Review again: version 2 is rebuilt, supersedes version 1 in the document itself.
    let r = app
        .post(&gvcn, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v2 = app.store.records_of_student(&s0).await.unwrap().remove(1);
    assert_eq!(v2.state, store::RecordState::Reviewed);
    let doc = record::parse_document(v2.xml.unwrap().as_bytes()).unwrap();
    assert_eq!(doc.record.version.get(), 2);
    assert_eq!(
        doc.record.supersedes.map(|s| s.id.to_string()),
        Some(sealed.id.clone())
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_nothing_is_signed() {
    let app = spawn_signing_app().await;
    let gvcn = reviewed_class(&app).await;
    // A PKI the server does not trust.
    let other = pki::demo_pki(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    )
    .unwrap();
    let r = app
        .post_multipart(
            &gvcn,
            &format!("/classes/{}/sign", app.class_a1),
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&other.pkcs12(&other.gvcn).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Chứng thư số không hợp lệ"), "{}", r.body);
    assert!(app.current().await.iter().all(|r| r.signatures == 0));
}

#[tokio::test]
async fn every_record_action_is_refused_to_other_roles_and_other_schools() {
    let app = spawn_signing_app().await;
    let pki = test_pki();
    let s0 = app.students_a1[0].clone();
    let _ = reviewed_class(&app).await;
    let a1 = app.class_a1;
    let class_field = a1.to_string();
    let record_id = app.current().await[0].id.clone();
    let gets = [
        format!("/classes/{a1}/records"),
        format!("/signing/batch?class={a1}"),
        format!("/students/{s0}/records"),
        format!("/students/{s0}/records/{record_id}/xml"),
        format!("/students/{s0}/records/{record_id}/unlock"),
        "/signing".to_owned(),
        "/records".to_owned(),
    ];
    // (account, which GETs of `gets` it may open)
    let expectations: &[(&str, [bool; 7])] = &[
        ("gv.toan", [false, false, false, false, false, false, false]),
        ("gvcn.a2", [false, false, false, false, false, false, true]),
        ("gvcn.b1", [false, false, false, false, false, false, true]),
        ("ht.b", [false, false, false, false, false, true, false]),
        ("admin.a", [true, false, true, true, false, false, false]),
        ("vt.a", [true, false, true, true, false, true, false]),
        ("gvcn.a1", [true, false, true, true, false, false, true]),
        ("ht.a", [true, true, true, true, false, true, false]),
    ];
    for (user, allowed) in expectations {
        let b = app.login(user).await;
        for (path, ok) in gets.iter().zip(allowed) {
            let r = app.get(Some(&b), path).await;
            if *ok {
                assert_eq!(r.status, StatusCode::OK, "{user} GET {path}: {}", r.body);
            } else {
                // The unlock page of a record that is not locked yet is a 409 for the
                // principal; everyone else must be refused before that.
                assert!(
                    r.status == StatusCode::FORBIDDEN
                        || (*user == "ht.a" && r.status == StatusCode::CONFLICT),
                    "{user} GET {path}: {}",
                    r.status
                );
            }
        }
        // No POST of the workflow goes through for anyone but the right role.
        if *user != "gvcn.a1" {
            let r = app.post(&b, &format!("/classes/{a1}/review"), &[]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} review");
            let r = app
                .post_multipart(
                    &b,
                    &format!("/classes/{a1}/sign"),
                    &[("password", pki::DEMO_P12_PASSWORD)],
                    Some(&p12(&pki.gvcn)),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} sign");
        }
        if *user != "ht.a" {
            let r = app
                .post_multipart(
                    &b,
                    "/signing/batch",
                    &[
                        ("class", &class_field),
                        ("password", pki::DEMO_P12_PASSWORD),
                    ],
                    Some(&p12(&pki.ht)),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} batch");
            let r = app
                .post(
                    &b,
                    &format!("/students/{s0}/records/{record_id}/unlock"),
                    &[("reason", "x")],
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} unlock");
        }
        if !["ht.a", "vt.a"].contains(user) {
            let r = app
                .post(&b, "/signing/seal", &[("class", &class_field)])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} seal");
        }
    }
    // Nothing was signed or unlocked by any refused request.
    assert!(
        app.current()
            .await
            .iter()
            .all(|r| r.signatures == 0 && r.version == 1)
    );
}

#[tokio::test]
async fn inputs_changed_after_review_are_not_signed_until_reviewed_again() {
    let app = spawn_signing_app().await;
    let pki = test_pki();
    let s0 = app.students_a1[0].clone();
    let gvcn = reviewed_class(&app).await;
    let before = app.current().await;
    // A score changes after the review (the record is not locked yet).
    app.store
        .set_subject_scores(
            &key(app.class_a1, &s0),
            &SubjectScores {
                subject: subject("TOAN"),
                semester: Semester::First,
                regular: ["5", "5", "5", "5"].map(score).to_vec(),
                midterm: Some(score("5")),
                final_exam: Some(score("5")),
            },
        )
        .await
        .unwrap();
    let sign = format!("/classes/{}/sign", app.class_a1);
    let r = app
        .post_multipart(
            &gvcn,
            &sign,
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&p12(&pki.gvcn)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã ký 1 học bạ"), "{}", r.body);
    assert!(
        r.body.contains("đã thay đổi sau khi xác nhận tổng hợp"),
        "{}",
        r.body
    );
    let current = app.current().await;
    assert_eq!(
        state_of(&current, &s0),
        Some((store::RecordState::Reviewed, 0))
    );
    // Reviewing again rebuilds that record only; then it can be signed.
    let r = app
        .post(&gvcn, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("lập 1 học bạ"), "{}", r.body);
    let rebuilt = app.current().await;
    let old = before.iter().find(|r| r.student == s0).unwrap();
    let new = rebuilt.iter().find(|r| r.student == s0).unwrap();
    assert_eq!((new.id.as_str(), new.version), (old.id.as_str(), 1));
    assert_ne!(new.sha256, old.sha256);
    let r = app
        .post_multipart(
            &gvcn,
            &sign,
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&p12(&pki.gvcn)),
        )
        .await;
    assert!(r.body.contains("Đã ký 1 học bạ"), "{}", r.body);
    assert_eq!(
        state_of(&app.current().await, &s0),
        Some((store::RecordState::Signing, 1))
    );
}

#[tokio::test]
async fn two_batch_signings_at_once_sign_each_record_exactly_once() {
    let app = spawn_signing_app().await;
    let pki = test_pki();
    let gvcn = reviewed_class(&app).await;
    let r = app
        .post_multipart(
            &gvcn,
            &format!("/classes/{}/sign", app.class_a1),
            &[("password", pki::DEMO_P12_PASSWORD)],
            Some(&p12(&pki.gvcn)),
        )
        .await;
    assert!(r.body.contains("Đã ký 2 học bạ"), "{}", r.body);
    // Two sessions of the principal submit the same batch at the same time.
    let (one, two) = (app.login("ht.a").await, app.login("ht.a").await);
    let class_field = app.class_a1.to_string();
    let ht_p12 = p12(&pki.ht);
    let fields = [
        ("class", class_field.as_str()),
        ("password", pki::DEMO_P12_PASSWORD),
    ];
    let (a, b) = tokio::join!(
        app.post_multipart(&one, "/signing/batch", &fields, Some(&ht_p12)),
        app.post_multipart(&two, "/signing/batch", &fields, Some(&ht_p12)),
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    let signed = |body: &str| {
        let start = body.find("Đã ký ").expect("notice") + "Đã ký ".len();
        body[start..]
            .split(' ')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(
        signed(&a.body) + signed(&b.body),
        2,
        "{}\n{}",
        a.body,
        b.body
    );
    for r in app.current().await {
        assert_eq!((r.state, r.signatures), (store::RecordState::Signing, 2));
        let doc = record::parse_document(r.xml.unwrap().as_bytes()).unwrap();
        assert_eq!(doc.signatures.len(), 2);
    }
}

// ---------------------------------------------------------------------------------------
// Excel: class lists, score sheets, summaries (issue 5 item 6, stories 1 and 6).

#[path = "http/admin.rs"]
mod admin;

#[path = "http/summer.rs"]
mod summer;

#[path = "http/audit_page.rs"]
mod audit_page;

mod excel {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    const HEADERS: [&str; 11] = [
        "STT",
        "Mã học sinh",
        "Số định danh cá nhân",
        "Họ và tên",
        "Giới tính",
        "Ngày sinh",
        "Dân tộc",
        "Quốc tịch",
        "Nơi sinh",
        "Nơi cư trú",
        "Lớp",
    ];

    impl TestApp {
        /// POSTs a multipart form as a browser does: `_csrf` (when given) then `file`.
        async fn upload(
            &self,
            b: &Browser,
            path: &str,
            filename: &str,
            file: &[u8],
            csrf: Option<&str>,
        ) -> Reply {
            let boundary = "----hocbaTestBoundary7MA4YWxkTrZu0gW";
            let mut body = Vec::new();
            if let Some(token) = csrf {
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{token}\r\n",
                        school::CSRF_FIELD
                    )
                    .as_bytes(),
                );
            }
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {XLSX}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let req = Request::post(path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header(header::COOKIE, &b.cookie)
                .body(Body::from(body))
                .expect("request");
            self.send(req).await
        }
    }

    /// The first worksheet of an .xlsx as text cells (row, column from 0).
    fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        let range = book.worksheet_range_at(0).expect("a sheet").expect("range");
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut out = vec![Vec::new(); r0 as usize];
        for row in range.rows() {
            let mut line = vec![String::new(); c0 as usize];
            line.extend(row.iter().map(|d| match d {
                Data::Empty => String::new(),
                Data::Float(f) => f.to_string(),
                other => other.to_string(),
            }));
            out.push(line);
        }
        out
    }

    /// An .xlsx with `rows` (strings; `None` leaves the cell empty) from A1.
    fn workbook(rows: &[Vec<Option<&str>>]) -> Vec<u8> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn class_list(rows: &[[&str; 11]]) -> Vec<u8> {
        let mut all = vec![HEADERS.iter().map(|h| Some(*h)).collect::<Vec<_>>()];
        for r in rows {
            all.push(r.iter().map(|v| (!v.is_empty()).then_some(*v)).collect());
        }
        workbook(&all)
    }

    fn code(n: u32) -> String {
        format!("79{n:018}")
    }

    async fn table_counts(app: &TestApp) -> store::TableCounts {
        app.store.table_counts().await.unwrap()
    }

    #[tokio::test]
    async fn excel_template_download_parses_back_with_the_class_list_columns() {
        let app = spawn_app().await;
        let b = app.login("admin.a").await;
        let page = app.get(Some(&b), "/students/import").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Tải mẫu"));
        assert!(page.body.contains(r#"enctype="multipart/form-data""#));
        let d = app.download(&b, "/students/import/template").await;
        assert_eq!(d.status, StatusCode::OK);
        assert_eq!(d.content_type, XLSX);
        assert!(
            d.disposition.starts_with("attachment;"),
            "{}",
            d.disposition
        );
        assert_eq!(cells(&d.bytes)[0], HEADERS.map(String::from).to_vec());
        // The school overview links to the import for the admin.
        let overview = app.get(Some(&b), "/school").await;
        assert!(overview.body.contains(r#"href="/students/import""#));
    }

    #[tokio::test]
    async fn excel_class_list_preview_lists_every_bad_row_by_number_and_writes_nothing() {
        let app = spawn_app().await;
        let b = app.login("admin.a").await;
        let before = table_counts(&app).await;
        let existing = app.students_a1[0].to_string();
        let (c1, c2, c3, c4, c5, c6) = (
            code(101),
            code(102),
            code(103),
            code(104),
            code(105),
            code(106),
        );
        let file = class_list(&[
            // Row 2: valid.
            [
                "1",
                &c1,
                "079312345678",
                "Đỗ Thị Hoa",
                "Nữ",
                "05/03/2012",
                "Kinh",
                "Việt Nam",
                "Hà Nội",
                "Hà Nội",
                "6A2",
            ],
            // Row 3: personal ID says male, the row says Nữ.
            [
                "2",
                &c2,
                "079212345679",
                "Ngô Thị Lan",
                "Nữ",
                "01/01/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A2",
            ],
            // Row 4: the same student code as row 2.
            [
                "3",
                &c1,
                "",
                "Bùi Văn Nam",
                "Nam",
                "02/02/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A2",
            ],
            // Row 5: a code already in the database.
            [
                "4",
                &existing,
                "",
                "Trần Văn Bình",
                "Nam",
                "02/02/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A1",
            ],
            // Row 6: no such date.
            [
                "5",
                &c3,
                "",
                "Lý Thị Mai",
                "Nữ",
                "31/02/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A2",
            ],
            // Row 7: a class the school does not have; a personal ID of 11 digits.
            [
                "6",
                &c4,
                "07931234567",
                "Hồ Văn Quý",
                "Nam",
                "03/04/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A9",
            ],
            // Row 8: no name.
            [
                "7",
                &c5,
                "",
                "",
                "Nam",
                "03/04/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A2",
            ],
            // Row 9: valid, but in another school's class name → unknown here.
            [
                "8",
                &c6,
                "",
                "Mai Văn Sơn",
                "Nam",
                "2012-04-03",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6B1",
            ],
        ]);
        let r = app
            .upload(&b, "/students/import", "Lớp 6A2.xlsx", &file, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for expected in [
            "7 dòng lỗi",
            "Chưa có gì được lưu",
            "Dòng 3",
            "ứng với giới tính Nam, nhưng cột Giới tính ghi Nữ",
            "Dòng 4",
            &format!("Mã học sinh {c1} trùng với dòng 2 trong tệp"),
            "Dòng 5",
            &format!("Mã học sinh {existing} đã có trong cơ sở dữ liệu"),
            "Dòng 6",
            "Ngày sinh «31/02/2012» không hợp lệ",
            "Dòng 7",
            "Lớp «6A9» không có trong năm học 2025-2026 của trường",
            "phải gồm đúng 12 chữ số",
            "Dòng 8",
            "Thiếu Họ và tên",
            "Lớp «6B1» không có",
        ] {
            assert!(
                r.body.contains(&esc_html(expected)),
                "{expected}\n{}",
                r.body
            );
        }
        // No "Nhập" button: nothing can be confirmed.
        assert!(!r.body.contains("/students/import/confirm"));
        assert_eq!(table_counts(&app).await, before);
    }

    fn esc_html(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }

    #[tokio::test]
    async fn excel_class_list_fixed_file_imports_all_rows_in_name_order_once() {
        let app = spawn_app().await;
        let b = app.login("admin.a").await;
        let (c1, c2, c3) = (code(201), code(202), code(203));
        // A date cell for one birth date, text for the others; a name in NFD.
        let nfd: String = {
            use unicode_normalization::UnicodeNormalization;
            "Đỗ Thị Hoa".nfd().collect()
        };
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let rows: [[&str; 11]; 3] = [
            [
                "1",
                &c1,
                "079312345678",
                &nfd,
                "Nữ",
                "",
                "Kinh",
                "Việt Nam",
                "Hà Nội",
                "Hà Nội",
                "6A2",
            ],
            [
                "2",
                &c2,
                "",
                "Bùi Văn An",
                "Nam",
                "02/02/2012",
                "Tày",
                "Việt Nam",
                "Cao Bằng",
                "Cao Bằng",
                "6a2",
            ],
            [
                "3",
                &c3,
                "",
                "Lê Thị Chi",
                "Nữ",
                "14/11/2012",
                "Kinh",
                "Việt Nam",
                "Huế",
                "Huế",
                "6A1",
            ],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
                }
            }
        }
        let date_format = Format::new().set_num_format("dd/mm/yyyy");
        ws.write_datetime_with_format(
            1,
            5,
            ExcelDateTime::from_ymd(2012, 3, 5).unwrap(),
            &date_format,
        )
        .unwrap();
        let file = book.save_to_buffer().unwrap();

        let before = table_counts(&app).await;
        let r = app
            .upload(&b, "/students/import", "ds.xlsx", &file, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("3 học sinh, không có lỗi"), "{}", r.body);
        assert!(r.body.contains("05/03/2012"));
        assert!(r.body.contains("đã chuẩn hoá Unicode (NFC)"));
        assert_eq!(
            table_counts(&app).await,
            before,
            "the preview writes nothing"
        );
        let token = {
            let marker = r#"name="token" value=""#;
            let start = r.body.find(marker).expect("token field") + marker.len();
            r.body[start..start + r.body[start..].find('"').unwrap()].to_owned()
        };
        // Another session cannot use the token.
        let other = app.login("admin.a").await;
        let stolen = app
            .post(&other, "/students/import/confirm", &[("token", &token)])
            .await;
        assert_eq!(stolen.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(table_counts(&app).await, before);

        let done = app
            .post(&b, "/students/import/confirm", &[("token", &token)])
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("Đã nhập 3 học sinh"), "{}", done.body);
        let hoa = app.store.student(&c1.parse().unwrap()).await.unwrap();
        assert_eq!(hoa.full_name, "Đỗ Thị Hoa", "stored in NFC");
        assert_eq!(hoa.born_on, date("2012-03-05"));
        assert_eq!(
            hoa.personal_id.map(|p| p.to_string()).as_deref(),
            Some("079312345678")
        );
        // 6A2 had Phạm Minh Đức at roll 1: An, then Hoa, follow in name order.
        let a2: Vec<(u16, String)> = app
            .store
            .class_members(app.class_a2)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.roll_no, m.student.full_name))
            .collect();
        assert_eq!(
            a2,
            vec![
                (1, "Phạm Minh Đức".to_owned()),
                (2, "Bùi Văn An".to_owned()),
                (3, "Đỗ Thị Hoa".to_owned()),
            ]
        );
        assert_eq!(
            app.store.class_members(app.class_a1).await.unwrap().len(),
            4
        );
        // A token is used once.
        let again = app
            .post(&b, "/students/import/confirm", &[("token", &token)])
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("đã hết hạn hoặc đã được nhập"));
    }

    #[tokio::test]
    async fn excel_class_list_import_is_for_the_school_admin_only() {
        let app = spawn_app().await;
        let file = class_list(&[[
            "1",
            &code(301),
            "",
            "Hà Văn Tú",
            "Nam",
            "01/01/2012",
            "",
            "",
            "",
            "",
            "6A1",
        ]]);
        for user in ["ht.a", "gv.toan", "gvcn.a1", "vt.a"] {
            let b = app.login(user).await;
            for path in ["/students/import", "/students/import/template"] {
                assert_eq!(
                    app.get(Some(&b), path).await.status,
                    StatusCode::FORBIDDEN,
                    "{user} {path}"
                );
            }
            let r = app
                .upload(&b, "/students/import", "x.xlsx", &file, Some(&b.csrf))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        }
        assert!(
            app.store
                .student(&code(301).parse().unwrap())
                .await
                .is_err()
        );
    }

    /// gv.toan's Toán sheet of 6A1, HK I, with scores and comments for two students.
    async fn seed_scores(app: &TestApp) -> (Vec<ScoreSheetRow>, Vec<(StudentCode, String)>) {
        let [s0, s1] = [0, 1].map(|i| app.students_a1[i].clone());
        let rows = vec![
            ScoreSheetRow {
                student: s0.clone(),
                regular: ["8", "7", "9", "6"].map(score).to_vec(),
                midterm: Some(score("7")),
                final_exam: Some(score("8")),
            },
            ScoreSheetRow {
                student: s1.clone(),
                regular: ["5.5", "6"].map(score).to_vec(),
                midterm: Some(score("6.5")),
                final_exam: None,
            },
        ];
        let comments = vec![(s0, "Chăm chỉ, tiến bộ".to_owned())];
        app.store
            .save_subject_sheet(
                app.class_a1,
                &subject("TOAN"),
                Semester::First,
                store::SheetMarks::Scores(&rows),
                &comments,
            )
            .await
            .unwrap();
        (rows, comments)
    }

    async fn toan_sheet(app: &TestApp) -> (Vec<ScoreSheetRow>, Vec<(StudentCode, String)>) {
        (
            app.store
                .score_sheet(app.class_a1, &subject("TOAN"), Semester::First)
                .await
                .unwrap(),
            app.store
                .subject_comment_sheet(app.class_a1, &subject("TOAN"), store::Term::First)
                .await
                .unwrap(),
        )
    }

    #[tokio::test]
    async fn excel_score_sheet_export_then_import_round_trips_unchanged() {
        let app = spawn_app().await;
        let seeded = seed_scores(&app).await;
        let b = app.login("gv.toan").await;
        let grid = app
            .get(Some(&b), &format!("/scores/{}/TOAN?hk=1", app.class_a1))
            .await;
        let export = format!("/scores/{}/TOAN/export?hk=1", app.class_a1);
        let import = format!("/scores/{}/TOAN/import?hk=1", app.class_a1);
        assert!(
            grid.body
                .contains(&format!(r#"href="{}""#, esc_html(&export))),
            "{}",
            grid.body
        );
        assert!(
            grid.body
                .contains(&format!(r#"href="{}""#, esc_html(&import)))
        );

        let d = app.download(&b, &export).await;
        assert_eq!(d.status, StatusCode::OK);
        assert_eq!(d.content_type, XLSX);
        let sheet = cells(&d.bytes);
        assert_eq!(
            sheet[0][0],
            "BẢNG ĐIỂM MÔN Toán — LỚP 6A1 — HỌC KÌ I — NĂM HỌC 2025-2026"
        );
        assert_eq!(
            sheet[3],
            [
                "STT",
                "Mã học sinh",
                "Họ và tên",
                "ĐĐGtx 1",
                "ĐĐGtx 2",
                "ĐĐGtx 3",
                "ĐĐGtx 4",
                "ĐĐGgk",
                "ĐĐGck",
                "ĐTBmhk",
                "Nhận xét"
            ]
            .map(String::from)
            .to_vec()
        );
        // Roll order; ĐTBmhk = 68/9 → 7.6 computed for the complete row only.
        assert_eq!(sheet[4][1], app.students_a1[0].to_string());
        assert_eq!(sheet[4][2], "Nguyễn Thị Ánh");
        assert_eq!(
            &sheet[4][3..11],
            ["8", "7", "9", "6", "7", "8", "7.6", "Chăm chỉ, tiến bộ"]
        );
        assert_eq!(&sheet[5][3..10], ["5.5", "6", "", "", "6.5", "", ""]);
        assert_eq!(sheet[6][2], "Lê Hoàng Chi");

        let r = app
            .upload(&b, &import, "Bảng điểm.xlsx", &d.bytes, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Đã nhập điểm của 3 học sinh"), "{}", r.body);
        assert_eq!(toan_sheet(&app).await, seeded);
    }

    #[tokio::test]
    async fn excel_score_sheet_with_bad_rows_lists_them_and_writes_nothing() {
        let app = spawn_app().await;
        let b = app.login("gv.toan").await;
        let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].to_string());
        let stranger = code(999);
        let header: Vec<Option<&str>> = [
            "STT",
            "Mã học sinh",
            "Họ và tên",
            "ĐĐGtx 1",
            "ĐĐGtx 2",
            "ĐĐGtx 3",
            "ĐĐGtx 4",
            "ĐĐGtx 5",
            "ĐĐGgk",
            "ĐĐGck",
            "Nhận xét",
        ]
        .map(Some)
        .to_vec();
        let row = |v: [&'static str; 11]| -> Vec<Option<&'static str>> {
            v.iter().map(|x| (!x.is_empty()).then_some(*x)).collect()
        };
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let file = workbook(&[
            header,
            // Row 2: valid.
            row([
                "1",
                leak(s0.clone()),
                "Nguyễn Thị Ánh",
                "8",
                "7",
                "9",
                "6",
                "",
                "7",
                "8",
                "Tốt",
            ]),
            // Row 3: 11 is out of range.
            row([
                "2",
                leak(s1.clone()),
                "Trần Văn Bình",
                "9",
                "11",
                "",
                "",
                "",
                "9",
                "",
                "",
            ]),
            // Row 4: malformed, and only 3 regular scores with a final score.
            row([
                "3",
                leak(s2.clone()),
                "Lê Hoàng Chi",
                "8,5",
                "7",
                "6",
                "",
                "",
                "8,5,",
                "9",
                "",
            ]),
            // Row 5: not in the class.
            row([
                "4",
                leak(stranger.clone()),
                "Người Lạ",
                "5",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]),
            // Row 6: five regular scores, one more than grade 6 Toán allows.
            row([
                "5",
                leak(s0.clone()),
                "Nguyễn Thị Ánh",
                "8",
                "7",
                "9",
                "6",
                "5",
                "7",
                "8",
                "",
            ]),
        ]);
        let path = format!("/scores/{}/TOAN/import?hk=1", app.class_a1);
        let r = app.upload(&b, &path, "bd.xlsx", &file, Some(&b.csrf)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for expected in [
            "4 dòng sai",
            "Không có gì được lưu",
            "Dòng 3",
            "ĐĐGtx 2 (ô E3): Điểm phải từ 0 đến 10",
            "Dòng 4",
            "ĐĐGgk (ô I4): Điểm không hợp lệ",
            "Sai số điểm đánh giá thường xuyên: có 3 ĐĐGtx",
            "Dòng 5",
            "Học sinh không có trong danh sách lớp 6A1",
            "Dòng 6",
            "Học sinh này đã có ở dòng 2",
            "Có 5 ĐĐGtx; chương trình cho phép tối đa 4",
        ] {
            assert!(r.body.contains(expected), "{expected}\n{}", r.body);
        }
        assert!(!r.body.contains("Dòng 2<"), "row 2 is valid");
        assert_eq!(toan_sheet(&app).await, (Vec::new(), Vec::new()));

        // A sheet of another semester is refused as a whole.
        let d = app
            .download(&b, &format!("/scores/{}/TOAN/export?hk=2", app.class_a1))
            .await;
        let r = app
            .upload(&b, &path, "hk2.xlsx", &d.bytes, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("HỌC KÌ II"), "{}", r.body);
        assert_eq!(toan_sheet(&app).await, (Vec::new(), Vec::new()));
    }

    #[tokio::test]
    async fn excel_score_sheets_of_another_teacher_are_refused_for_export_and_import() {
        let app = spawn_app().await;
        let seeded = seed_scores(&app).await;
        let owner = app.login("gv.toan").await;
        let good = app
            .download(
                &owner,
                &format!("/scores/{}/TOAN/export?hk=1", app.class_a1),
            )
            .await;
        assert_eq!(good.status, StatusCode::OK);
        for (user, class, subj) in [
            ("gv.van", app.class_a1, "TOAN"),     // another teacher's subject
            ("gv.toan.b", app.class_a1, "TOAN"),  // another school
            ("gvcn.a1", app.class_a1, "TOAN"),    // the homeroom teacher
            ("admin.a", app.class_a1, "TOAN"),    // the admin
            ("gv.toan", app.class_a1, "NGU_VAN"), // own class, another subject
            ("gv.toan", app.class_b1, "TOAN"),    // another school's class
        ] {
            let b = app.login(user).await;
            let base = format!("/scores/{class}/{subj}");
            let d = app.download(&b, &format!("{base}/export?hk=1")).await;
            assert_eq!(d.status, StatusCode::FORBIDDEN, "{user} export {base}");
            let r = app.get(Some(&b), &format!("{base}/import?hk=1")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} import page {base}");
            let r = app
                .upload(
                    &b,
                    &format!("{base}/import?hk=1"),
                    "x.xlsx",
                    &good.bytes,
                    Some(&b.csrf),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} import {base}");
            assert!(r.body.contains("Bạn không có quyền"));
        }
        assert_eq!(toan_sheet(&app).await, seeded);
        assert!(
            app.store
                .score_sheet(app.class_a1, &subject("NGU_VAN"), Semester::First)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn excel_garbage_and_truncated_uploads_are_refused_clearly_and_write_nothing() {
        let app = spawn_app().await;
        let seeded = seed_scores(&app).await;
        let teacher = app.login("gv.toan").await;
        let admin = app.login("admin.a").await;
        let scores = format!("/scores/{}/TOAN/import?hk=1", app.class_a1);
        let good = app
            .download(
                &teacher,
                &format!("/scores/{}/TOAN/export?hk=1", app.class_a1),
            )
            .await
            .bytes;
        let before = table_counts(&app).await;
        let mut files: Vec<(String, Vec<u8>, &str)> = vec![
            (
                "rác.xlsx".into(),
                b"this is not a spreadsheet".to_vec(),
                "không phải bảng tính Excel .xlsx",
            ),
            (
                "cu.xls".into(),
                [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1].repeat(64),
                "Excel 97–2003",
            ),
            ("rong.xlsx".into(), Vec::new(), "Chưa chọn tệp"),
            (
                "zip.xlsx".into(),
                b"PK\x03\x04garbage garbage garbage".to_vec(),
                "Không đọc được tệp Excel",
            ),
        ];
        // Truncations of a real workbook at many lengths, and a few bytes flipped.
        for n in (0..good.len()).step_by(good.len() / 23 + 1).skip(1) {
            files.push((format!("cut-{n}.xlsx"), good[..n].to_vec(), ""));
        }
        for (name, bytes, message) in &files {
            for (b, path) in [(&teacher, scores.as_str()), (&admin, "/students/import")] {
                let r = app.upload(b, path, name, bytes, Some(&b.csrf)).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{name} → {path}: {}",
                    r.body
                );
                assert!(r.body.contains(message), "{name}: {}", r.body);
                assert!(
                    r.body.contains("Không có gì được lưu"),
                    "{name}: {}",
                    r.body
                );
            }
        }
        // A byte flipped here and there: refused, or (when the byte is one the reader
        // does not use) the same sheet imported again; never a failure of the server.
        for at in (30..good.len()).step_by(good.len() / 17 + 1) {
            let mut bad = good.clone();
            bad[at] ^= 0xFF;
            let r = app
                .upload(&teacher, &scores, "flip.xlsx", &bad, Some(&teacher.csrf))
                .await;
            assert!(
                matches!(r.status, StatusCode::OK | StatusCode::UNPROCESSABLE_ENTITY),
                "flip at {at}: {}",
                r.status
            );
        }
        // Over 5 MB: refused before any handler reads it.
        let huge = vec![b'x'; 6 * 1024 * 1024];
        let r = app
            .upload(&teacher, &scores, "to.xlsx", &huge, Some(&teacher.csrf))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("quá lớn: tối đa 5 MB"), "{}", r.body);
        // An upload without the CSRF token is refused like any form.
        let r = app.upload(&teacher, &scores, "bd.xlsx", &good, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A file that is not a form upload at all.
        let r = app.post(&teacher, &scores, &[("file", "abc")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(toan_sheet(&app).await, seeded);
        assert_eq!(table_counts(&app).await, before);
    }

    #[tokio::test]
    async fn excel_class_summary_export_has_the_page_s_numbers_for_who_may_read_it() {
        let app = spawn_app().await;
        let s0 = app.students_a1[0].clone();
        for sem in [Semester::First, Semester::Second] {
            app.store
                .set_subject_scores(
                    &key(app.class_a1, &s0),
                    &SubjectScores {
                        subject: subject("TOAN"),
                        semester: sem,
                        regular: ["8", "7", "9", "6"].map(score).to_vec(),
                        midterm: Some(score("7")),
                        final_exam: Some(score(if sem == Semester::First { "8" } else { "9" })),
                    },
                )
                .await
                .unwrap();
        }
        app.store
            .set_absences(
                &key(app.class_a1, &s0),
                store::Absences {
                    excused_days: 2,
                    unexcused_days: 1,
                },
            )
            .await
            .unwrap();
        let b = app.login("gvcn.a1").await;
        let path = format!("/classes/{}/summary/export", app.class_a1);
        let page = app
            .get(Some(&b), &format!("/classes/{}/summary", app.class_a1))
            .await;
        assert!(page.body.contains(&format!(r#"href="{path}""#)));
        let d = app.download(&b, &path).await;
        assert_eq!(d.status, StatusCode::OK);
        assert_eq!(d.content_type, XLSX);
        let sheet = cells(&d.bytes);
        assert_eq!(
            sheet[0][0],
            "TỔNG HỢP KẾT QUẢ CẢ NĂM — LỚP 6A1 — NĂM HỌC 2025-2026"
        );
        let header = &sheet[3];
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name}: {header:?}"))
        };
        assert_eq!(&header[..3], ["STT", "Mã học sinh", "Họ và tên"]);
        let row = &sheet[4];
        assert_eq!(row[1], s0.to_string());
        // CN of Toán: (7,6 + 2·7,9) / 3 = 7,8, as on the page.
        assert_eq!(row[col("Toán")], "7.8");
        assert_eq!(row[col("Nghỉ có phép")], "2");
        assert_eq!(row[col("Nghỉ không phép")], "1");
        assert!(row[col("Còn thiếu / ghi chú")].contains("Chưa có kết quả rèn luyện học kì I"));
        assert_eq!(sheet.len(), 7, "one row per student");
        // The principal reads it too; nobody else.
        let ht = app.login("ht.a").await;
        assert_eq!(app.download(&ht, &path).await.status, StatusCode::OK);
        for user in ["gvcn.a2", "gv.toan", "vt.a", "ht.b"] {
            let u = app.login(user).await;
            assert_eq!(
                app.download(&u, &path).await.status,
                StatusCode::FORBIDDEN,
                "{user}"
            );
        }
    }

    #[tokio::test]
    async fn excel_score_import_cannot_change_a_locked_record() {
        let app = spawn_app().await;
        let seeded = seed_scores(&app).await;
        let s0 = app.students_a1[0].to_string();
        // s0's record is being signed: its inputs are locked.
        app.store
            .execute_raw_for_tests(&format!(
                "INSERT INTO records (student_code, id, class_id, start_year, version, state, \
                 xml, sha256, created_at, updated_at) VALUES ('{s0}', \
                 '00000000-0000-4000-8000-000000000001', {}, 2025, 1, 'signing', '<x/>', \
                 '{}', '2026-05-20T08:00:00Z', '2026-05-20T08:00:00Z')",
                app.class_a1,
                "a".repeat(64)
            ))
            .await
            .unwrap();
        let b = app.login("gv.toan").await;
        let path = format!("/scores/{}/TOAN/import?hk=1", app.class_a1);
        // The exported sheet, unchanged, imports: the locked row says what is stored.
        let d = app
            .download(&b, &format!("/scores/{}/TOAN/export?hk=1", app.class_a1))
            .await;
        let r = app
            .upload(&b, &path, "bd.xlsx", &d.bytes, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // A changed score of the locked student refuses the whole file.
        let header: Vec<Option<&str>> = [
            "Mã học sinh",
            "Họ và tên",
            "ĐĐGtx 1",
            "ĐĐGtx 2",
            "ĐĐGtx 3",
            "ĐĐGtx 4",
            "ĐĐGgk",
            "ĐĐGck",
            "Nhận xét",
        ]
        .map(Some)
        .to_vec();
        let row: Vec<Option<&str>> = [
            s0.as_str(),
            "Nguyễn Thị Ánh",
            "8",
            "7",
            "9",
            "6",
            "7",
            "9",
            "Chăm chỉ, tiến bộ",
        ]
        .map(Some)
        .to_vec();
        let r = app
            .upload(
                &b,
                &path,
                "sua.xlsx",
                &workbook(&[header, row]),
                Some(&b.csrf),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("Dòng 2") && r.body.contains("đã khóa"),
            "{}",
            r.body
        );
        assert_eq!(toan_sheet(&app).await, seeded);
    }

    #[tokio::test]
    async fn excel_comment_subject_sheet_round_trips_dat_and_chua_dat() {
        let app = spawn_app().await;
        let [s0, s1] = [0, 1].map(|i| app.students_a1[i].clone());
        let results = vec![(s0.clone(), true), (s1.clone(), false)];
        app.store
            .save_subject_sheet(
                app.class_a1,
                &subject("GDTC"),
                Semester::Second,
                store::SheetMarks::Results(&results),
                &[(s1.clone(), "Cần tập luyện thêm".to_owned())],
            )
            .await
            .unwrap();
        let b = app.login("gv.van").await;
        let d = app
            .download(&b, &format!("/scores/{}/GDTC/export?hk=2", app.class_a1))
            .await;
        assert_eq!(d.status, StatusCode::OK);
        let sheet = cells(&d.bytes);
        assert_eq!(
            sheet[3],
            ["STT", "Mã học sinh", "Họ và tên", "Kết quả", "Nhận xét"]
                .map(String::from)
                .to_vec()
        );
        assert_eq!(&sheet[4][3..], ["Đạt", ""]);
        assert_eq!(&sheet[5][3..], ["Chưa đạt", "Cần tập luyện thêm"]);
        let path = format!("/scores/{}/GDTC/import?hk=2", app.class_a1);
        let r = app
            .upload(&b, &path, "gdtc.xlsx", &d.bytes, Some(&b.csrf))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let stored = app
            .store
            .comment_sheet(app.class_a1, &subject("GDTC"), Semester::Second)
            .await
            .unwrap();
        assert_eq!(stored, results);
        // "Giỏi" is not a result of a comment subject.
        let file = workbook(&[
            ["Mã học sinh", "Kết quả"].map(Some).to_vec(),
            [Some(s0.as_str()), Some("Giỏi")].to_vec(),
        ]);
        let r = app.upload(&b, &path, "x.xlsx", &file, Some(&b.csrf)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Kết quả phải là Đạt hoặc Chưa đạt"),
            "{}",
            r.body
        );
        assert_eq!(
            app.store
                .comment_sheet(app.class_a1, &subject("GDTC"), Semester::Second)
                .await
                .unwrap(),
            results
        );
    }
}

// ---------------------------------------------------------------------------------------
// "Đồng bộ CSDL": the outbox filled by the seal, the sender against an in-process
// registry (a real HTTP server on 127.0.0.1:0 speaking the ingest contract), the page.

mod sync {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::extract::State as AxState;
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use school::sync::{Clock, HttpTransport, RoundReport, Sender};
    use sha2::{Digest, Sha256};
    use store::{OutboxState, RecordState};

    use super::*;

    const TOKEN: &str = "truong-a-token";
    const T0: i64 = 1_780_000_000;

    /// What the fake registry answers to the next request.
    #[derive(Clone, Copy, Debug)]
    enum Answer {
        /// 200 with a receipt signed by the registry's key over the bytes received.
        Accept,
        /// 200 with a receipt signed by another key.
        AcceptOtherKey,
        /// 200 with a receipt for other bytes.
        AcceptOtherDigest,
        /// 422 with a Vietnamese reason.
        Reject,
        /// This status with an empty body.
        Status(u16),
    }

    struct Seen {
        authorization: Option<String>,
        content_type: Option<String>,
        body: String,
    }

    struct Registry {
        key: registry::RegistryKey,
        other: registry::RegistryKey,
        script: Mutex<VecDeque<Answer>>,
        seen: Mutex<Vec<Seen>>,
    }

    fn key() -> registry::RegistryKey {
        registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8().unwrap())
            .unwrap()
    }

    async fn ingest(
        AxState(reg): AxState<Arc<Registry>>,
        headers: HeaderMap,
        body: String,
    ) -> axum::response::Response {
        let header_text = |h: header::HeaderName| {
            headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        reg.seen.lock().unwrap().push(Seen {
            authorization: header_text(header::AUTHORIZATION),
            content_type: header_text(header::CONTENT_TYPE),
            body: body.clone(),
        });
        let answer = reg
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Answer::Accept);
        let receipt = |k: &registry::RegistryKey, digest: String| {
            let doc = k.sign(&registry::Receipt {
                registry: "CSDL học bạ số (thử)".to_owned(),
                record_id: "00000000-0000-8000-8000-000000000001".to_owned(),
                version: 1,
                digest,
                received_at: T0,
            });
            let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
            serde_json::json!({"status": "accepted", "receipt": doc, "duplicate": false})
                .to_string()
        };
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        let json = |status: StatusCode, text: String| {
            (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
        };
        match answer {
            Answer::Accept => json(StatusCode::OK, receipt(&reg.key, digest)),
            Answer::AcceptOtherKey => json(StatusCode::OK, receipt(&reg.other, digest)),
            Answer::AcceptOtherDigest => json(StatusCode::OK, receipt(&reg.key, "0".repeat(64))),
            Answer::Reject => json(
                StatusCode::UNPROCESSABLE_ENTITY,
                serde_json::json!({
                    "status": "rejected",
                    "code": "seal_not_approved",
                    "message_vi": "Chứng thư số dấu của trường chưa được cơ quan quản lý phê duyệt.",
                    "detail": "seal fingerprint 3fa4…",
                })
                .to_string(),
            ),
            Answer::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        }
    }

    /// A fake registry served on 127.0.0.1:0 for the test's lifetime; its base URL.
    async fn fake_registry(script: &[Answer]) -> (Arc<Registry>, String) {
        let reg = Arc::new(Registry {
            key: key(),
            other: key(),
            script: Mutex::new(script.iter().copied().collect()),
            seen: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/api/v1/records", axum::routing::post(ingest))
            .with_state(reg.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (reg, format!("http://{addr}"))
    }

    struct TestClock(AtomicI64);

    impl Clock for TestClock {
        fn now(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn sender(app: &TestApp, reg: &Registry, url: &str) -> (Sender, Arc<TestClock>) {
        let clock = Arc::new(TestClock(AtomicI64::new(T0)));
        let sender = Sender::new(
            app.store.clone(),
            Arc::new(HttpTransport::new(url, TOKEN).unwrap()),
            clock.clone(),
            &reg.key.public_hex(),
        )
        .unwrap();
        (sender, clock)
    }

    /// The deadline item of the sync page for `day` (`dd/mm/yyyy`), without its `</li>`.
    fn deadline_line<'a>(body: &'a str, day: &str) -> &'a str {
        let start = body
            .find(&format!("<li><strong>{day}</strong>"))
            .expect(day);
        let len = body[start..].find("</li>").unwrap();
        &body[start..start + len]
    }

    async fn school_a(app: &TestApp) -> SchoolId {
        app.store.class(app.class_a1).await.unwrap().school
    }

    #[tokio::test]
    async fn sealing_queues_exactly_one_outbox_entry_per_record() {
        let app = spawn_signing_app().await;
        let sealed = sealed_pair(&app).await;
        let school = school_a(&app).await;
        let entries = app.store.outbox_of_school(school).await.unwrap();
        assert_eq!(entries.len(), 2);
        let current = app.current().await;
        for s in &sealed {
            let rec = current.iter().find(|r| &r.student == s).unwrap();
            assert_eq!(rec.state, RecordState::Signed);
            let mine: Vec<_> = entries.iter().filter(|e| &e.student == s).collect();
            assert_eq!(mine.len(), 1);
            assert_eq!(Some(&mine[0].digest), rec.sha256.as_ref());
            assert_eq!(mine[0].record_id, rec.id);
            assert_eq!((mine[0].state, mine[0].attempts), (OutboxState::Pending, 0));
        }
        // Sealing the class again seals nothing and queues nothing more.
        let vt = app.login("vt.a").await;
        let class_field = app.class_a1.to_string();
        app.post(&vt, "/signing/seal", &[("class", &class_field)])
            .await;
        assert_eq!(app.store.outbox_of_school(school).await.unwrap().len(), 2);
        // Before any send, the page counts them as waiting, and says sync is not set up.
        let page = app.get(Some(&vt), "/sync").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("chưa được cấu hình địa chỉ CSDL"));
        assert!(
            page.body.contains(
                "<td>6A1</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>"
            ),
            "{}",
            page.body
        );
        assert!(page.body.contains("25/06/2026") && page.body.contains("10/08/2026"));
    }

    #[tokio::test]
    async fn an_accepted_record_gets_its_verified_receipt_and_becomes_synced() {
        let app = spawn_signing_app().await;
        let sealed = sealed_pair(&app).await;
        let (reg, url) = fake_registry(&[Answer::Accept, Answer::Accept]).await;
        let (sender, _clock) = sender(&app, &reg, &url);
        let report = sender.run_once().await.unwrap();
        assert_eq!(
            report,
            RoundReport {
                claimed: 2,
                accepted: 2,
                rejected: 0,
                retried: 0
            }
        );
        let current = app.current().await;
        {
            let seen = reg.seen.lock().unwrap();
            assert_eq!(seen.len(), 2);
            for s in seen.iter() {
                assert_eq!(s.authorization.as_deref(), Some("Bearer truong-a-token"));
                assert_eq!(s.content_type.as_deref(), Some("application/xml"));
                assert!(
                    current
                        .iter()
                        .any(|r| r.xml.as_deref() == Some(s.body.as_str()))
                );
            }
        }
        for s in &sealed {
            let rec = current.iter().find(|r| &r.student == s).unwrap();
            assert_eq!(rec.state, RecordState::Synced);
            let e = app
                .store
                .outbox_entry(s, rec.sha256.as_deref().unwrap())
                .await
                .unwrap();
            assert_eq!((e.state, e.attempts), (OutboxState::Accepted, 1));
            let receipt =
                registry::verify_receipt(e.receipt.as_deref().unwrap(), &reg.key.public_hex())
                    .unwrap();
            assert_eq!(Some(&receipt.digest), rec.sha256.as_ref());
        }
        // Nothing more to send.
        assert_eq!(sender.run_once().await.unwrap().claimed, 0);
        let vt = app.login("vt.a").await;
        let page = app.get(Some(&vt), "/sync").await;
        assert!(
            page.body.contains(
                "<td>6A1</td><td>0</td><td>0</td><td>0</td><td>2</td><td>0</td><td>0</td></tr>"
            ),
            "{}",
            page.body
        );
        // The sync is in the student's history, by the sender.
        let ht = app.login("ht.a").await;
        let history = app
            .get(Some(&ht), &format!("/students/{}/history", sealed[0]))
            .await;
        assert!(
            history.body.contains("Đồng bộ CSDL (có biên nhận)")
                && history.body.contains("Hệ thống đồng bộ CSDL"),
            "{}",
            history.body
        );
        // The fixture's students are retained ("Ở lại lớp"): their deadline is 10 August.
        assert!(
            deadline_line(&page.body, "25/06/2026")
                .ends_with("đã được chấp nhận 0 / 0 học bạ, còn <strong>0</strong>.")
        );
        assert!(
            deadline_line(&page.body, "10/08/2026")
                .ends_with("đã được chấp nhận 2 / 2 học bạ, còn <strong>0</strong>.")
        );
    }

    #[tokio::test]
    async fn a_reject_is_shown_with_its_vietnamese_reason_and_can_be_sent_again() {
        let app = spawn_signing_app().await;
        let sealed = sealed_pair(&app).await;
        let (reg, url) = fake_registry(&[Answer::Reject, Answer::Accept]).await;
        let (mut sender, clock) = sender(&app, &reg, &url);
        sender.batch = 1;
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.rejected, r.accepted), (1, 0));
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.rejected, r.accepted), (0, 1));
        let school = school_a(&app).await;
        let entries = app.store.outbox_of_school(school).await.unwrap();
        let rejected = entries
            .iter()
            .find(|e| e.state == OutboxState::Rejected)
            .unwrap()
            .clone();
        assert_eq!(rejected.reject_code.as_deref(), Some("seal_not_approved"));
        let rec = app
            .store
            .record(&rejected.student, &rejected.record_id)
            .await
            .unwrap();
        assert_eq!(rec.state, RecordState::Signed);
        // Not retried by itself, however long we wait.
        clock.0.store(T0 + 86_400 * 30, Ordering::SeqCst);
        assert_eq!(sender.run_once().await.unwrap().claimed, 0);

        let ht = app.login("ht.a").await;
        let page = app.get(Some(&ht), "/sync").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Bị từ chối"));
        assert!(
            page.body
                .contains("Chứng thư số dấu của trường chưa được cơ quan quản lý phê duyệt.")
        );
        assert!(page.body.contains("seal_not_approved"));
        assert!(page.body.contains(r#"action="/sync/resend""#));
        // Both count against 10 August (retained students); one is still to be accepted.
        assert!(
            deadline_line(&page.body, "10/08/2026")
                .ends_with("đã được chấp nhận 1 / 2 học bạ, còn <strong>1</strong>."),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<td>1</td><td>1</td><td>0</td></tr>"),
            "{}",
            page.body
        );

        let fields = [
            ("student", rejected.student.as_str()),
            ("digest", rejected.digest.as_str()),
        ];
        // Other roles and other schools may not; a forged form is refused; nothing moves.
        for who in ["gvcn.a1", "admin.a", "ht.b"] {
            let b = app.login(who).await;
            let r = app.post(&b, "/sync/resend", &fields).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        }
        let mut forged = ht.clone();
        forged.csrf = "x".repeat(64);
        let r = app.post(&forged, "/sync/resend", &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.store
                .outbox_entry(&rejected.student, &rejected.digest)
                .await
                .unwrap()
                .state,
            OutboxState::Rejected
        );
        // The principal sends it again once the cause is fixed; the sender delivers it.
        let r = app.post(&ht, "/sync/resend", &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("vào hàng đợi gửi lại"), "{}", r.body);
        let r = app.post(&ht, "/sync/resend", &fields).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.claimed, r.accepted), (1, 1));
        let e = app
            .store
            .outbox_entry(&rejected.student, &rejected.digest)
            .await
            .unwrap();
        assert_eq!(
            (e.state, e.resent, e.attempts),
            (OutboxState::Accepted, 1, 2)
        );
        for s in &sealed {
            let rec = app
                .current()
                .await
                .into_iter()
                .find(|r| &r.student == s)
                .unwrap();
            assert_eq!(rec.state, RecordState::Synced);
        }
    }

    #[tokio::test]
    async fn transient_failures_back_off_and_the_record_is_accepted_after_retries() {
        let app = spawn_signing_app().await;
        let (reg, url) = fake_registry(&[
            Answer::Status(503),
            Answer::Accept,
            Answer::Status(503),
            Answer::Accept,
        ])
        .await;
        sealed_pair(&app).await;
        let school = school_a(&app).await;
        // One record per round, so that each answer goes to a known record.
        let (mut sender, clock) = sender(&app, &reg, &url);
        sender.batch = 1;
        assert_eq!(sender.run_once().await.unwrap().retried, 1);
        let tried = app.store.outbox_of_school(school).await.unwrap();
        let tried = tried.iter().find(|e| e.attempts == 1).unwrap();
        let (s, d) = (tried.student.clone(), tried.digest.clone());
        let e = app.store.outbox_entry(&s, &d).await.unwrap();
        assert_eq!(
            (e.state, e.attempts, e.next_attempt_at),
            (OutboxState::Pending, 1, T0 + 5)
        );
        assert!(
            e.last_error.as_deref().unwrap().contains("HTTP 503"),
            "{:?}",
            e.last_error
        );
        // The page shows it retrying, with the error and the next attempt.
        let vt = app.login("vt.a").await;
        let page = app.get(Some(&vt), "/sync").await;
        assert!(
            page.body.contains("Đang thử lại") && page.body.contains("CSDL trả lời HTTP 503."),
            "{}",
            page.body
        );

        // Not due yet: the other record goes (batch of one, accepted), this one waits.
        clock.0.store(T0 + 4, Ordering::SeqCst);
        let r = sender.run_once().await.unwrap();
        assert_eq!(r.claimed, 1);
        assert_eq!(app.store.outbox_entry(&s, &d).await.unwrap().attempts, 1);
        clock.0.store(T0 + 5, Ordering::SeqCst);
        assert_eq!(sender.run_once().await.unwrap().retried, 1);
        let e = app.store.outbox_entry(&s, &d).await.unwrap();
        assert_eq!(e.attempts, 2);
        assert!(
            (T0 + 15..=T0 + 16).contains(&e.next_attempt_at),
            "{}",
            e.next_attempt_at
        );
        clock.0.store(e.next_attempt_at - 1, Ordering::SeqCst);
        assert_eq!(sender.run_once().await.unwrap().claimed, 0);
        clock.0.store(e.next_attempt_at, Ordering::SeqCst);
        assert_eq!(sender.run_once().await.unwrap().accepted, 1);
        let e = app.store.outbox_entry(&s, &d).await.unwrap();
        assert_eq!((e.state, e.attempts), (OutboxState::Accepted, 3));
        assert_eq!(reg.seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_receipt_from_another_key_or_for_other_bytes_is_not_accepted() {
        let app = spawn_signing_app().await;
        sealed_pair(&app).await;
        let (reg, url) = fake_registry(&[
            Answer::AcceptOtherKey,
            Answer::AcceptOtherDigest,
            Answer::Status(401),
        ])
        .await;
        let (mut sender, clock) = sender(&app, &reg, &url);
        sender.batch = 1;
        let school = school_a(&app).await;
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.accepted, r.retried), (0, 1));
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.accepted, r.retried), (0, 1));
        let entries = app.store.outbox_of_school(school).await.unwrap();
        let errors: Vec<String> = entries
            .iter()
            .map(|e| e.last_error.clone().unwrap())
            .collect();
        assert!(
            errors.iter().any(|e| e.contains("unexpected key")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("mã băm")), "{errors:?}");
        for e in &entries {
            assert_eq!(
                (e.state, e.receipt.as_deref()),
                (OutboxState::Pending, None)
            );
        }
        assert!(
            app.current()
                .await
                .iter()
                .all(|r| r.state != RecordState::Synced)
        );
        // A 401 is retried too (the token may be fixed), never dropped.
        clock.0.store(T0 + 100, Ordering::SeqCst);
        let r = sender.run_once().await.unwrap();
        assert_eq!(r.retried, 1);
        let entries = app.store.outbox_of_school(school).await.unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.attempts == 2 && e.last_error.as_deref().unwrap().contains("401"))
        );
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_a_retry_not_a_loss() {
        let app = spawn_signing_app().await;
        sealed_pair(&app).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let (reg, _) = fake_registry(&[]).await;
        let (sender, _clock) = sender(&app, &reg, &url);
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.claimed, r.retried), (2, 2));
        for e in app
            .store
            .outbox_of_school(school_a(&app).await)
            .await
            .unwrap()
        {
            assert_eq!(e.state, OutboxState::Pending);
            assert!(e.last_error.unwrap().contains("Không kết nối được CSDL"));
        }
    }

    #[tokio::test]
    async fn a_record_unlocked_before_it_was_sent_is_not_sent() {
        let app = spawn_signing_app().await;
        let sealed = sealed_pair(&app).await;
        let rec = app
            .current()
            .await
            .into_iter()
            .find(|r| r.student == sealed[0])
            .unwrap();
        let ht = app.login("ht.a").await;
        let r = app
            .post(
                &ht,
                &format!("/students/{}/records/{}/unlock", sealed[0], rec.id),
                &[("reason", "Sửa điểm Toán học kì II")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (reg, url) = fake_registry(&[]).await;
        let (sender, _clock) = sender(&app, &reg, &url);
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.claimed, r.accepted), (1, 1));
        assert_eq!(reg.seen.lock().unwrap().len(), 1);
        let page = app.get(Some(&ht), "/sync").await;
        assert!(
            page.body.contains(
                "<td>6A1</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td><td>1</td></tr>"
            ),
            "{}",
            page.body
        );
    }

    #[tokio::test]
    async fn the_sync_page_is_for_the_principal_and_the_clerk_of_the_school() {
        let app = spawn_signing_app().await;
        sealed_pair(&app).await;
        for (who, allowed) in [
            ("ht.a", true),
            ("vt.a", true),
            ("admin.a", false),
            ("gvcn.a1", false),
            ("gv.toan", false),
            ("ht.b", true),
            ("gvcn.b1", false),
        ] {
            let b = app.login(who).await;
            let page = app.get(Some(&b), "/sync").await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(page.status, expected, "{who}: {}", page.body);
            if allowed {
                // Each school sees its own classes only.
                assert_eq!(page.body.contains("6A1"), who.ends_with(".a"), "{who}");
                let home = app.get(Some(&b), "/").await;
                assert!(home.body.contains(r#"href="/sync""#), "{who}");
            } else {
                assert!(
                    page.body
                        .contains("Bạn không có quyền xem tình hình đồng bộ CSDL")
                );
            }
        }
        // Anonymous: to the login page.
        let r = app.get(None, "/sync").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }

    /// The whole path with the real registry server (crate `registry-server`) on
    /// 127.0.0.1:0: an unapproved seal is rejected in Vietnamese, the supervisor approves
    /// it, the clerk sends again, the registry accepts with a receipt the school checks.
    #[tokio::test]
    async fn end_to_end_with_the_registry_server_reject_approve_resend_accept() {
        let app = spawn_signing_app().await;
        let sealed = sealed_pair(&app).await;
        let pki = test_pki();
        let dir = tempfile::tempdir().unwrap();
        let reg_store = Store::open(&format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("registry.sqlite3").display()
        ))
        .await
        .unwrap();
        let token = registry_server::add_school(
            &reg_store,
            &registry_server::SchoolEntry {
                code: "79000001".to_owned(),
                name: "Trường THCS Lê Quý Đôn".to_owned(),
                level: Level::LowerSecondary,
                authority: "Phòng Văn hóa - Xã hội phường Bến Thành".to_owned(),
            },
            T0,
        )
        .await
        .unwrap();
        let key = key();
        let key_hex = key.public_hex();
        let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
        let state = registry_server::AppState::new(
            reg_store.clone(),
            key,
            trust,
            registry_server::Config::default(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, registry_server::router(state))
                .await
                .unwrap();
        });
        let clock = Arc::new(TestClock(AtomicI64::new(T0)));
        let sender = Sender::new(
            app.store.clone(),
            Arc::new(HttpTransport::new(&url, &token).unwrap()),
            clock,
            &key_hex,
        )
        .unwrap();

        let r = sender.run_once().await.unwrap();
        assert_eq!((r.claimed, r.rejected), (2, 2), "{r:?}");
        let vt = app.login("vt.a").await;
        let page = app.get(Some(&vt), "/sync").await;
        assert!(page.body.contains("seal-not-approved"), "{}", page.body);

        registry_server::approve_seal(
            &reg_store,
            "79000001",
            &pki.seal.cert_der,
            "Phòng VH-XH",
            T0,
        )
        .await
        .unwrap();
        for e in app
            .store
            .outbox_of_school(school_a(&app).await)
            .await
            .unwrap()
        {
            let r = app
                .post(
                    &vt,
                    "/sync/resend",
                    &[
                        ("student", e.student.as_str()),
                        ("digest", e.digest.as_str()),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let r = sender.run_once().await.unwrap();
        assert_eq!((r.claimed, r.accepted), (2, 2), "{r:?}");
        for s in &sealed {
            let rec = app
                .current()
                .await
                .into_iter()
                .find(|r| &r.student == s)
                .unwrap();
            assert_eq!(rec.state, RecordState::Synced);
            let e = app
                .store
                .outbox_entry(s, rec.sha256.as_deref().unwrap())
                .await
                .unwrap();
            let receipt =
                registry::verify_receipt(e.receipt.as_deref().unwrap(), &key_hex).unwrap();
            assert_eq!(Some(&receipt.digest), rec.sha256.as_ref());
            assert_eq!(receipt.record_id, rec.id);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Primary classes (TT27): "Nhập đánh giá", qualities and competences, summary, records.

mod primary {
    use super::*;
    use domain::tt27::{Checkpoint, Competence, Mastery, Quality, SubjectLevel, TestScore};
    use store::convert::{tt27_rating_rows, tt27_subject_row};
    use store::{QualityItem, QualityRating, Tt27Level, Tt27Period, Tt27SheetRow};

    /// The fixture at primary schools: classes 4A… of grade 4, Toán (gv.toan), Tiếng Việt
    /// and Đạo đức (gv.van).
    async fn spawn_primary_app() -> TestApp {
        spawn_app_at(school::Config::default(), Level::Primary).await
    }

    async fn spawn_primary_signing_app() -> TestApp {
        let pki = test_pki();
        spawn_app_at(
            school::Config {
                trust_roots_pem: Some(pki.root_pem().into_bytes()),
                seal: Some(school::SealKey::Pkcs12 {
                    p12: p12(&pki.seal),
                    password: pki::DEMO_P12_PASSWORD.to_owned(),
                }),
                ..school::Config::default()
            },
            Level::Primary,
        )
        .await
    }

    fn grid(class: ClassId, subject: &str, cp: &str) -> String {
        format!("/assessments/{class}/{subject}?cp={cp}")
    }

    async fn sheet(app: &TestApp, subject_code: &str, period: Tt27Period) -> Vec<Tt27SheetRow> {
        app.store
            .tt27_subject_sheet(app.class_a1, &subject(subject_code), period)
            .await
            .unwrap()
    }

    fn owned(fields: &[(String, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| (k.clone(), (*v).to_owned()))
            .collect()
    }

    async fn post_owned(
        app: &TestApp,
        b: &Browser,
        path: &str,
        fields: &[(String, String)],
    ) -> Reply {
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        app.post(b, path, &f).await
    }

    /// Everything class 4A1's year needs for `s`: Toán, Tiếng Việt (tests at every
    /// checkpoint in grade 4) and Đạo đức (no test) Hoàn thành tốt at the four
    /// checkpoints with tests `test`, and every quality and general competence `rating`
    /// at the end of semester I and of the year.
    async fn complete_primary_year(app: &TestApp, s: &StudentCode, test: u8, rating: Mastery) {
        let k = key(app.class_a1, s);
        let grade = Grade::new(4).unwrap();
        for code in ["TOAN", "TIENG_VIET", "DAO_DUC"] {
            let tests = domain::catalogue::programme(Level::Primary, grade)
                .unwrap()
                .iter()
                .find(|o| o.subject.code() == code)
                .unwrap()
                .tests;
            for cp in Checkpoint::ALL {
                let t = tests.at(cp).then(|| TestScore::new(test).unwrap());
                app.store
                    .set_tt27_subject(
                        &k,
                        &tt27_subject_row(code, cp, SubjectLevel::HoanThanhTot, t),
                    )
                    .await
                    .unwrap();
            }
        }
        let qualities: Vec<_> = Quality::ALL.iter().map(|q| (*q, rating)).collect();
        let competences: Vec<_> = Competence::ALL
            .iter()
            .filter(|c| c.is_general())
            .map(|c| (*c, rating))
            .collect();
        for cp in [Checkpoint::EndSemester1, Checkpoint::EndOfYear] {
            for row in tt27_rating_rows(cp, &qualities, &competences) {
                app.store.set_tt27_quality(&k, row).await.unwrap();
            }
        }
    }

    #[tokio::test]
    async fn tt27_grid_saves_valid_rows_refuses_invalid_tests_and_audits_only_changed_cells() {
        let app = spawn_primary_app().await;
        let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
        // s1 already has a row: a refused row must keep it untouched.
        let before = Tt27SheetRow {
            student: s1.clone(),
            level: Some(Tt27Level::Completed),
            test_score: Some(6),
            comment: String::new(),
        };
        app.store
            .set_tt27_subject(
                &key(app.class_a1, &s1),
                &store::Tt27SubjectEvaluation {
                    subject: subject("TOAN"),
                    period: Tt27Period::EndFirst,
                    level: before.level,
                    test_score: before.test_score,
                    comment: None,
                },
            )
            .await
            .unwrap();
        let b = app.login("gv.toan").await;
        let list = app.get(Some(&b), "/scores").await;
        assert!(
            list.body.contains(&grid(app.class_a1, "TOAN", "ck1")),
            "{}",
            list.body
        );
        let path = grid(app.class_a1, "TOAN", "ck1");
        let page = app.get(Some(&b), &path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Nhập đánh giá"));
        assert!(page.body.contains("Điểm KTĐK"));
        assert!(page.body.contains("Hoàn thành tốt"));
        assert!(page.body.contains(&format!(r#"name="kt_{s0}""#)));

        let f = |p: &str, s: &StudentCode| format!("{p}_{s}");
        let fields = owned(&[
            (f("muc", &s0), "htt"),
            (f("kt", &s0), "9"),
            (f("nx", &s0), "Đọc tốt, tính nhanh <b>giỏi</b>"),
            (f("muc", &s1), "htt"),
            (f("kt", &s1), "11"),
            (f("nx", &s1), ""),
            (f("muc", &s2), "ht"),
            (f("kt", &s2), "8.5"),
            (f("nx", &s2), ""),
        ]);
        let r = post_owned(&app, &b, &path, &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains(school::primary::TEST_INVALID), "{}", r.body);
        assert!(r.body.contains("2 học sinh chưa được lưu"), "{}", r.body);
        assert!(r.body.contains(r#"value="11" class="score invalid""#));
        assert!(r.body.contains(r#"value="8.5" class="score invalid""#));
        assert!(
            r.body
                .contains("Đọc tốt, tính nhanh &lt;b&gt;giỏi&lt;/b&gt;")
        );
        assert_eq!(
            sheet(&app, "TOAN", Tt27Period::EndFirst).await,
            vec![
                Tt27SheetRow {
                    student: s0.clone(),
                    level: Some(Tt27Level::Excellent),
                    test_score: Some(9),
                    comment: "Đọc tốt, tính nhanh <b>giỏi</b>".to_owned(),
                },
                before.clone(),
            ]
        );
        // Test 0: refused the same way.
        let r = post_owned(
            &app,
            &b,
            &path,
            &owned(&[(f("muc", &s2), "ht"), (f("kt", &s2), "0")]),
        )
        .await;
        assert!(r.body.contains(school::primary::TEST_INVALID));
        assert_eq!(sheet(&app, "TOAN", Tt27Period::EndFirst).await.len(), 2);

        // Audit (newest first): exactly the three changed cells of s0, none for s1, s2.
        assert_eq!(
            audit_rows(&app, &s0).await,
            vec![
                audit_row(
                    "comment.set",
                    "TOAN/CK1/nx",
                    "",
                    "Đọc tốt, tính nhanh <b>giỏi</b>",
                    "gv.toan"
                ),
                audit_row("tt27.test.set", "TOAN/CK1/kt", "", "9", "gv.toan"),
                audit_row("tt27.level.set", "TOAN/CK1/muc", "", "htt", "gv.toan"),
            ]
        );
        assert!(audit_rows(&app, &s1).await.is_empty());
        assert!(audit_rows(&app, &s2).await.is_empty());
        // Saving the same again logs nothing; changing one cell logs one entry.
        let mut again = fields[..3].to_vec();
        let r = post_owned(&app, &b, &path, &again).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(audit_rows(&app, &s0).await.len(), 3);
        again[1].1 = "10".to_owned();
        post_owned(&app, &b, &path, &again).await;
        let log = audit_rows(&app, &s0).await;
        assert_eq!(log.len(), 4);
        assert_eq!(
            log[0],
            audit_row("tt27.test.set", "TOAN/CK1/kt", "9", "10", "gv.toan")
        );
        // Other checkpoints are untouched.
        assert!(sheet(&app, "TOAN", Tt27Period::YearEnd).await.is_empty());
    }

    #[tokio::test]
    async fn tt27_art7_no_test_cell_where_the_catalogue_has_no_test_and_a_posted_one_is_ignored() {
        let app = spawn_primary_app().await;
        let s0 = app.students_a1[0].clone();
        let b = app.login("gv.van").await;
        // Đạo đức has no periodic test.
        let path = grid(app.class_a1, "DAO_DUC", "cn");
        let page = app.get(Some(&b), &path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(!page.body.contains("Điểm KTĐK"));
        assert!(!page.body.contains(&format!("kt_{s0}")));
        assert!(page.body.contains("không có bài kiểm tra định kì"));
        let r = app
            .post(
                &b,
                &path,
                &[(&format!("muc_{s0}"), "htt"), (&format!("kt_{s0}"), "9")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            sheet(&app, "DAO_DUC", Tt27Period::YearEnd).await,
            vec![Tt27SheetRow {
                student: s0.clone(),
                level: Some(Tt27Level::Excellent),
                test_score: None,
                comment: String::new(),
            }]
        );
        assert_eq!(
            audit_rows(&app, &s0).await,
            vec![audit_row(
                "tt27.level.set",
                "DAO_DUC/CN/muc",
                "",
                "htt",
                "gv.van"
            )]
        );
        // Tiếng Việt in grade 4 has mid-semester tests too (TT27 art. 7 §2).
        let page = app
            .get(Some(&b), &grid(app.class_a1, "TIENG_VIET", "gk1"))
            .await;
        assert!(page.body.contains(&format!("kt_{s0}")));
    }

    #[tokio::test]
    async fn tt27_pages_are_refused_to_everyone_else_and_a_refusal_changes_nothing() {
        let app = spawn_primary_app().await;
        let s0 = app.students_a1[0].clone();
        let toan = grid(app.class_a1, "TOAN", "ck1");
        let ratings = format!("/classes/{}/tt27?p=cn", app.class_a1);
        let muc = format!("muc_{s0}");
        let yeu = format!("r_yeu_nuoc_{s0}");
        for (user, path, field) in [
            ("gv.van", toan.as_str(), muc.as_str()),
            ("gv.toan.b", toan.as_str(), muc.as_str()),
            ("gvcn.a1", toan.as_str(), muc.as_str()),
            ("ht.a", toan.as_str(), muc.as_str()),
            ("gv.toan", ratings.as_str(), yeu.as_str()),
            ("gvcn.a2", ratings.as_str(), yeu.as_str()),
            ("gvcn.b1", ratings.as_str(), yeu.as_str()),
            ("ht.a", ratings.as_str(), yeu.as_str()),
        ] {
            let b = app.login(user).await;
            assert_eq!(
                app.get(Some(&b), path).await.status,
                StatusCode::FORBIDDEN,
                "{user} GET {path}"
            );
            let value = if path == toan { "htt" } else { "tot" };
            let r = app.post(&b, path, &[(field, value)]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} POST {path}");
            assert!(r.body.contains("Bạn không có quyền"));
        }
        let inputs = app
            .store
            .year_inputs(&key(app.class_a1, &s0))
            .await
            .unwrap();
        assert!(inputs.tt27_subjects.is_empty() && inputs.tt27_qualities.is_empty());
        assert!(audit_rows(&app, &s0).await.is_empty());
        // Not logged in: to the login page.
        let r = app.get(None, &toan).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        // A secondary class has no TT27 pages.
        let secondary = spawn_app().await;
        let b = secondary.login("gv.toan").await;
        let r = secondary
            .get(Some(&b), &grid(secondary.class_a1, "TOAN", "ck1"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }

    #[tokio::test]
    async fn tt27_qualities_competences_and_tieu_bieu_save_audited_and_the_summary_computes_the_year()
     {
        let app = spawn_primary_app().await;
        let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
        let b = app.login("gvcn.a1").await;
        let path = format!("/classes/{}/tt27?p=cn", app.class_a1);
        let page = app.get(Some(&b), &path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Yêu nước") && page.body.contains("Tự chủ và tự học"));
        assert!(page.body.contains("Học sinh Tiêu biểu"));

        let mut fields: Vec<(String, String)> = Vec::new();
        for q in Quality::ALL {
            fields.push((format!("r_{}_{s0}", q.key()), "tot".into()));
            fields.push((format!("r_{}_{s1}", q.key()), "dat".into()));
        }
        fields.push((format!("r_tu_chu_tu_hoc_{s0}"), "tot".into()));
        fields.push((format!("tb_{s0}"), "1".into()));
        fields.push((format!("tbnote_{s0}"), "Tiến bộ vượt bậc môn Toán".into()));
        fields.push((format!("np_{s0}"), "2".into()));
        fields.push((format!("kp_{s0}"), "".into()));
        // s1: one bad value, the whole row is refused.
        fields.push((format!("r_tu_chu_tu_hoc_{s1}"), "xuat_sac".into()));
        let r = post_owned(&app, &b, &path, &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("1 học sinh chưa được lưu"), "{}", r.body);
        assert!(r.body.contains("Mức phải là Tốt, Đạt hoặc Cần cố gắng"));
        let i0 = app
            .store
            .year_inputs(&key(app.class_a1, &s0))
            .await
            .unwrap();
        assert_eq!(i0.tt27_qualities.len(), 6);
        assert!(
            i0.tt27_qualities
                .iter()
                .all(|q| q.period == Tt27Period::YearEnd && q.rating == QualityRating::Good)
        );
        assert_eq!(i0.outstanding.as_deref(), Some("Tiến bộ vượt bậc môn Toán"));
        assert_eq!(
            i0.absences,
            Some(store::Absences {
                excused_days: 2,
                unexcused_days: 0
            })
        );
        let i1 = app
            .store
            .year_inputs(&key(app.class_a1, &s1))
            .await
            .unwrap();
        assert!(i1.tt27_qualities.is_empty());
        let log = audit_rows(&app, &s0).await;
        assert_eq!(log.len(), 9, "{log:?}");
        assert!(log.contains(&audit_row("absences.set", "np", "", "2", "gvcn.a1")));
        assert!(log.contains(&audit_row(
            "tt27.rating.set",
            "CN/yeu_nuoc",
            "",
            "tot",
            "gvcn.a1"
        )));
        assert!(log.contains(&audit_row(
            "tt27.outstanding.set",
            "tieu_bieu",
            "",
            "Tiến bộ vượt bậc môn Toán",
            "gvcn.a1"
        )));
        assert!(audit_rows(&app, &s1).await.is_empty());
        let history = app.get(Some(&b), &format!("/students/{s0}/history")).await;
        assert_eq!(history.status, StatusCode::OK, "{}", history.body);
        assert!(
            history.body.contains("Yêu nước — Cả năm"),
            "{}",
            history.body
        );
        assert!(history.body.contains("Học sinh Tiêu biểu"));
        assert!(QualityItem::from_code("yeu_nuoc").is_some());

        // The summary computes the year live: s2 all Hoàn thành tốt, tests 9, all Tốt →
        // Hoàn thành xuất sắc, Học sinh Xuất sắc (TT27 art. 9, 15).
        complete_primary_year(&app, &s2, 9, Mastery::Tot).await;
        let summary = app
            .get(Some(&b), &format!("/classes/{}/summary", app.class_a1))
            .await;
        assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
        let row = summary
            .body
            .split("<tr>")
            .find(|r| r.contains("Lê Hoàng Chi"))
            .unwrap();
        assert!(
            row.contains(r#"<td class="overall">Hoàn thành xuất sắc</td>"#),
            "{row}"
        );
        assert!(
            row.contains(r#"<td class="title">Học sinh Xuất sắc</td>"#),
            "{row}"
        );
        assert!(row.contains(r#"<td class="notes"></td>"#), "{row}");
        // s0 lacks levels and semester I ratings: listed.
        let row = summary
            .body
            .split("<tr>")
            .find(|r| r.contains("Nguyễn Thị Ánh"))
            .unwrap();
        assert!(row.contains("Toán: chưa có mức đạt được"), "{row}");
        assert!(row.contains("chưa đánh giá"), "{row}");
    }

    #[tokio::test]
    async fn tt27_review_sign_seal_of_a_primary_class_verifies_and_locks_its_inputs() {
        let app = spawn_primary_signing_app().await;
        let pki = test_pki();
        let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
        for (i, s) in [&s0, &s1].into_iter().enumerate() {
            app.store
                .set_personal_id(s, Some(&personal_id(i as u32 + 1)))
                .await
                .unwrap();
        }
        complete_primary_year(&app, &s0, 9, Mastery::Tot).await;
        complete_primary_year(&app, &s1, 6, Mastery::Dat).await;
        let gvcn = app.login("gvcn.a1").await;
        let review = format!("/classes/{}/review", app.class_a1);
        let r = app.post(&gvcn, &review, &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.contains("Lê Hoàng Chi"));
        assert!(r.body.contains("chưa có mức đạt được"), "{}", r.body);
        assert!(app.current().await.is_empty());

        complete_primary_year(&app, &s2, 8, Mastery::Tot).await;
        let r = app.post(&gvcn, &review, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("lập 2 học bạ"), "{}", r.body);
        let current = app.current().await;
        let xml = current
            .iter()
            .find(|r| r.student == s0)
            .unwrap()
            .xml
            .clone()
            .unwrap();
        let doc = record::parse_document(xml.as_bytes()).unwrap();
        assert_eq!(record::recompute_check(&doc.record), Ok(()));
        let record::Results::Primary(results) = &doc.record.results else {
            panic!("a primary record");
        };
        assert_eq!(results.overall, domain::tt27::Overall::HoanThanhXuatSac);
        assert_eq!(results.promotion, record::Promotion::Promoted);
        assert_eq!(results.subjects.len(), 3);
        assert_eq!(
            results.subjects[0].mid_hk1.test.map(TestScore::get),
            Some(9)
        );
        assert_eq!(results.qualities.len(), 5);
        assert!(xml.contains("TT27-2020/v1"));

        // GVCN → HT → DAU.
        let class_field = app.class_a1.to_string();
        let r = app
            .post_multipart(
                &gvcn,
                &format!("/classes/{}/sign", app.class_a1),
                &[("password", pki::DEMO_P12_PASSWORD)],
                Some(&p12(&pki.gvcn)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Đã ký 2 học bạ"), "{}", r.body);
        let ht = app.login("ht.a").await;
        let r = app
            .post_multipart(
                &ht,
                "/signing/batch",
                &[
                    ("class", &class_field),
                    ("password", pki::DEMO_P12_PASSWORD),
                ],
                Some(&p12(&pki.ht)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Đã ký 2 học bạ"), "{}", r.body);
        let vt = app.login("vt.a").await;
        let r = app
            .post(&vt, "/signing/seal", &[("class", &class_field)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Đã đóng dấu 2 học bạ"), "{}", r.body);
        let current = app.current().await;
        assert_eq!(
            state_of(&current, &s0),
            Some((store::RecordState::Signed, 3))
        );
        let xml = current
            .iter()
            .find(|r| r.student == s0)
            .unwrap()
            .xml
            .clone()
            .unwrap();
        let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
        let chain = record::default_chain_codes(Level::Primary);
        xmldsig::verify_chain(
            xml.as_bytes(),
            &school::records::layout(),
            &trust,
            Some(&chain[..]),
        )
        .expect("the sealed primary record verifies");
        let doc = record::parse_document(xml.as_bytes()).unwrap();
        assert_eq!(record::recompute_check(&doc.record), Ok(()));

        // Locked: the grid and the ratings refuse s0's row, nothing changes.
        let gv = app.login("gv.toan").await;
        let path = grid(app.class_a1, "TOAN", "cn");
        let page = app.get(Some(&gv), &path).await;
        assert!(page.body.contains("Học bạ đã khóa"));
        assert!(!page.body.contains(&format!("muc_{s0}")));
        let r = app.post(&gv, &path, &[(&format!("muc_{s0}"), "cht")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = app
            .post(
                &gvcn,
                &format!("/classes/{}/tt27?p=cn", app.class_a1),
                &[(&format!("r_yeu_nuoc_{s0}"), "can_co_gang")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let i0 = app
            .store
            .year_inputs(&key(app.class_a1, &s0))
            .await
            .unwrap();
        assert!(
            i0.tt27_qualities
                .iter()
                .all(|q| q.rating == QualityRating::Good)
        );
        assert!(
            i0.tt27_subjects
                .iter()
                .all(|e| e.level == Some(Tt27Level::Excellent))
        );
    }
}

// ---------------------------------------------------------------------------------------
// Paper copy "In bản sao giấy" (STORIES #17, issue 5 item 7). Reads the PDF with
// poppler's `pdftotext` and `pdfdetach` (Debian `poppler-utils`, installed by
// scripts/test).

mod paper {
    use super::*;
    use std::process::Command;

    /// Status, content type and raw bytes of a GET (a PDF is not UTF-8).
    async fn fetch(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, String, Vec<u8>) {
        let d = app.download(b, path).await;
        (d.status, d.content_type, d.bytes)
    }

    fn poppler(tool: &str, args: &[&str], pdf: &std::path::Path) -> Vec<u8> {
        let out = Command::new(tool)
            .args(args)
            .arg(pdf)
            .args(if tool == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap_or_else(|e| panic!("{tool} (apt-get install poppler-utils): {e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    async fn prints(app: &TestApp) -> usize {
        app.store
            .audit_latest(1000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == store::AuditAction::RecordPrint)
            .count()
    }

    #[tokio::test]
    async fn clerk_and_principal_print_sealed_records_only_and_every_print_is_logged() {
        let app = spawn_signing_app().await;
        let pki = test_pki();
        let s0 = app.students_a1[0].clone();
        let class_field = app.class_a1.to_string();
        let gvcn = reviewed_class(&app).await;
        let r = app
            .post_multipart(
                &gvcn,
                &format!("/classes/{}/sign", app.class_a1),
                &[("password", pki::DEMO_P12_PASSWORD)],
                Some(&p12(&pki.gvcn)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let record = |records: Vec<store::StoredRecord>| {
            records.into_iter().find(|r| r.student == s0).unwrap()
        };
        let id = record(app.current().await).id;
        let path = format!("/students/{s0}/records/{id}/pdf");
        let vt = app.login("vt.a").await;
        let ht = app.login("ht.a").await;

        // Only the homeroom signature so far: not printable, for anyone.
        for b in [&vt, &ht] {
            assert_eq!(fetch(&app, b, &path).await.0, StatusCode::CONFLICT);
        }
        let versions = app.get(Some(&vt), &format!("/students/{s0}/records")).await;
        assert!(
            !versions.body.contains("In bản sao giấy"),
            "{}",
            versions.body
        );

        let r = app
            .post_multipart(
                &ht,
                "/signing/batch",
                &[
                    ("class", &class_field),
                    ("password", pki::DEMO_P12_PASSWORD),
                ],
                Some(&p12(&pki.ht)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .post(&vt, "/signing/seal", &[("class", &class_field)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let sealed = record(app.current().await);
        assert_eq!(sealed.state, store::RecordState::Signed);
        let xml = sealed.xml.clone().unwrap();

        // The versions page links the print for the clerk and the principal only.
        for (b, shown) in [(&vt, true), (&ht, true), (&gvcn, false)] {
            let page = app.get(Some(b), &format!("/students/{s0}/records")).await;
            assert_eq!(page.status, StatusCode::OK);
            assert_eq!(page.body.contains(&path), shown, "{}", page.body);
        }

        // Refused: other roles of the school, the principal of another school.
        assert_eq!(prints(&app).await, 0);
        for user in ["gvcn.a1", "gv.toan", "admin.a", "ht.b"] {
            let b = app.login(user).await;
            let (status, _, _) = fetch(&app, &b, &path).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{user}: {status}"
            );
        }
        assert_eq!(prints(&app).await, 0, "a refused print is not logged");

        // The clerk prints: a PDF with the signed XML attached byte for byte.
        let (status, content_type, pdf) = fetch(&app, &vt, &path).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(content_type, "application/pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("copy.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let saved = dir.path().join("hocba.xml");
        poppler(
            "pdfdetach",
            &["-save", "1", "-o", saved.to_str().unwrap()],
            &file,
        );
        assert_eq!(std::fs::read(&saved).unwrap(), xml.as_bytes());
        let text = String::from_utf8(poppler("pdftotext", &["-raw"], &file)).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "Nguyễn Thị Ánh",
            "Trường THCS Lê Quý Đôn",
            "Bản sao chuyển đổi từ học bạ điện tử",
            "Người chuyển đổi: Giáo viên vt.a",
            "Hiệu trưởng",
            "giờ Việt Nam",
        ] {
            assert!(text.contains(needle), "{needle:?} not in {text}");
        }
        assert!(text.contains(&format!("Mã tra cứu: {id}")), "{text}");
        assert_eq!(prints(&app).await, 1);

        // The principal prints too; each print is one audit entry naming the version.
        assert_eq!(fetch(&app, &ht, &path).await.0, StatusCode::OK);
        let entries = app.store.audit_latest(1000).await.unwrap();
        let printed: Vec<_> = entries
            .iter()
            .filter(|e| e.action == store::AuditAction::RecordPrint)
            .collect();
        assert_eq!(printed.len(), 2);
        assert!(printed.iter().all(|e| e.student.as_ref() == Some(&s0)
            && e.new.as_deref() == Some(format!("{id} v1").as_str())));
        let mut who: Vec<&str> = printed.iter().map(|e| e.actor_username.as_str()).collect();
        who.sort_unstable();
        assert_eq!(who, ["ht.a", "vt.a"]);
    }
}
#[path = "http/paper_batch.rs"]
mod paper_batch;
#[path = "http/registry_link.rs"]
mod registry_link;
#[path = "http/school_seals.rs"]
mod school_seals;
#[path = "http/unlock_synced.rs"]
mod unlock_synced;
