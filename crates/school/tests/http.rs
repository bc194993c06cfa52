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
    let school_a = insert_school(&store, "79000001", "Trường THCS Lê Quý Đôn").await;
    let school_b = insert_school(&store, "79000002", "Trường THCS Nguyễn Du").await;
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
        grade: Grade::new(6).expect("grade"),
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
    for (class, subject_code, teacher) in [
        (class_a1, "TOAN", "gv.toan"),
        (class_a2, "TOAN", "gv.toan"),
        (class_a1, "NGU_VAN", "gv.van"),
        (class_a1, "GDTC", "gv.van"),
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

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

async fn insert_school(store: &Store, code: &str, name: &str) -> SchoolId {
    store
        .insert_school(&NewSchool {
            code: code.to_owned(),
            name: name.to_owned(),
            levels: vec![Level::LowerSecondary],
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
