//! "Quản trị" (STORIES #1–#4): the school admin's pages through HTTP. Only the admin of
//! the school opens them or posts to them; first-login passwords are shown once and
//! stored hashed; bad input changes nothing; every change is in the audit log.

use super::*;

/// Every admin page (GET).
const PAGES: [&str; 6] = [
    "/admin",
    "/admin/accounts",
    "/admin/teaching",
    "/admin/signing-chain",
    "/admin/personal-ids",
    "/admin/years",
];

async fn teacher(app: &TestApp, username: &str) -> store::Teacher {
    app.store
        .teacher_by_username(username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {username}"))
}

/// Every audit entry, oldest first.
async fn all_audit(app: &TestApp) -> Vec<store::AuditEntry> {
    let mut entries = app.store.audit_latest(10_000).await.unwrap();
    entries.reverse();
    entries
}

/// The clear passwords on an "In mật khẩu lần đầu" page, in row order.
fn passwords_in(body: &str) -> Vec<String> {
    let marker = r#"<code class="password">"#;
    body.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            let end = body[start..].find('<').unwrap() + start;
            body[start..end].to_owned()
        })
        .collect()
}

/// Logs in with a just-issued password: it works and leads to "Đổi mật khẩu" first.
async fn first_login(app: &TestApp, username: &str, password: &str) -> Browser {
    let r = app.try_login(username, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/password"));
    let cookie = cookie_pair(&r.set_cookies, school::SESSION_COOKIE).unwrap();
    let mut b = Browser {
        cookie,
        csrf: String::new(),
    };
    let home = app.get(Some(&b), "/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/password"));
    b.csrf = csrf_in(&app.get(Some(&b), "/password").await.body).unwrap();
    b
}

#[tokio::test]
async fn admin_pages_are_for_the_school_admin_only() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let home = app.get(Some(&admin), "/").await;
    assert!(home.body.contains(r#"<a href="/admin">Quản trị</a>"#));
    for path in PAGES {
        let r = app.get(Some(&admin), path).await;
        assert_eq!(r.status, StatusCode::OK, "admin.a GET {path}: {}", r.body);
    }
    let a1 = format!("/admin/teaching/{}", app.class_a1);
    assert_eq!(app.get(Some(&admin), &a1).await.status, StatusCode::OK);
    // Another school's class, by URL and by form.
    let b1 = format!("/admin/teaching/{}", app.class_b1);
    assert_eq!(
        app.get(Some(&admin), &b1).await.status,
        StatusCode::FORBIDDEN
    );

    let gv_van = teacher(&app, "gv.van").await;
    let van_id = gv_van.id.0.to_string();
    let a1_id = app.class_a1.to_string();
    let student = app.students_a1[0].as_str().to_owned();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/accounts".to_owned(),
            vec![
                ("full_name", "Người Lạ"),
                ("username", "nguoi.la"),
                ("role", "admin"),
            ],
        ),
        (
            "/admin/accounts/reset".to_owned(),
            vec![("teacher", &van_id)],
        ),
        (
            "/admin/accounts/lock".to_owned(),
            vec![("teacher", &van_id)],
        ),
        (
            format!("/admin/accounts/{van_id}/roles"),
            vec![("role", "admin")],
        ),
        (a1.clone(), vec![("homeroom", ""), ("subject_TOAN", "")]),
        (
            "/admin/personal-ids".to_owned(),
            vec![
                ("class", &a1_id),
                ("student", &student),
                ("personal_id", "079314000001"),
            ],
        ),
        (
            "/admin/years".to_owned(),
            vec![
                ("year", "2026"),
                ("starts_on", "2026-09-05"),
                ("ends_on", "2027-05-31"),
            ],
        ),
    ];
    for user in ["ht.a", "vt.a", "gvcn.a1", "gv.toan", "ht.b"] {
        let b = app.login(user).await;
        let home = app.get(Some(&b), "/").await;
        assert!(!home.body.contains(r#"href="/admin""#), "{user} menu");
        for path in PAGES.iter().copied().chain([a1.as_str()]) {
            let r = app.get(Some(&b), path).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} GET {path}");
            assert!(r.body.contains("Bạn không có quyền"), "{user} GET {path}");
        }
        for (path, fields) in &posts {
            let r = app.post(&b, path, fields).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} POST {path}");
        }
    }
    // The admin without the CSRF token: refused the same way.
    for (path, fields) in &posts {
        let r = app.post_form(Some(&admin.cookie), path, fields, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF: POST {path}");
    }
    // Nothing of all that changed anything.
    assert!(
        app.store
            .teacher_by_username("nguoi.la")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(teacher(&app, "gv.van").await, gv_van);
    assert_eq!(app.store.list_school_years().await.unwrap().len(), 1);
    let s = app.store.student(&app.students_a1[0]).await.unwrap();
    assert_eq!(s.personal_id, None);
    assert_eq!(
        app.store
            .assignments_of_class(app.class_a1)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(all_audit(&app).await.is_empty());
}

#[tokio::test]
async fn a_new_account_gets_a_first_login_password_shown_once_stored_hashed_and_to_be_changed() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let r = app
        .post(
            &admin,
            "/admin/accounts",
            &[
                ("full_name", "  Nguyễn Thị Hoa "),
                ("username", "GV.Hoa"),
                ("role", "subject_teacher"),
                ("role", "homeroom"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("In mật khẩu lần đầu"));
    assert!(r.body.contains("Nguyễn Thị Hoa"));
    let passwords = passwords_in(&r.body);
    assert_eq!(passwords.len(), 1);
    let password = &passwords[0];
    assert!(password.chars().count() >= 10, "{password}");

    let hoa = teacher(&app, "gv.hoa").await;
    assert_eq!(hoa.full_name, "Nguyễn Thị Hoa");
    assert_eq!(hoa.roles, vec![Role::Homeroom, Role::SubjectTeacher]);
    let hash = hoa.password_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(password.as_str()));
    assert!(school::verify_password(password, &hash));

    // Never shown again: not on the list, not on the account's page.
    let list = app.get(Some(&admin), "/admin/accounts").await;
    assert!(list.body.contains("gv.hoa"));
    assert!(list.body.contains("Chưa đổi mật khẩu lần đầu"));
    assert!(!list.body.contains(password.as_str()));
    let own = app
        .get(Some(&admin), &format!("/admin/accounts/{}", hoa.id.0))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.body.contains(password.as_str()));

    // The log says what happened, never the password.
    let entries = all_audit(&app).await;
    let got: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.action.code(),
                e.field.as_str(),
                e.new.as_deref(),
                e.actor_username.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "account.create",
                "account/gv.hoa",
                Some("homeroom,subject_teacher"),
                "admin.a"
            ),
            ("password.issue", "account/gv.hoa/password", None, "admin.a"),
        ]
    );
    for e in &entries {
        let text = format!("{e:?}");
        assert!(!text.contains(password.as_str()) && !text.contains(&hash));
    }

    // First login: the password works and must be changed before anything else.
    let b = first_login(&app, "gv.hoa", password).await;
    let new = "mat-khau-rieng-cua-hoa";
    let done = app
        .post(
            &b,
            "/password",
            &[("current", password), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(!app.store.must_change_password(hoa.id).await.unwrap());
    let again = app.try_login("gv.hoa", new).await;
    assert_eq!(again.location.as_deref(), Some("/"));
    let list = app.get(Some(&admin), "/admin/accounts").await;
    assert!(!list.body.contains("Chưa đổi mật khẩu lần đầu"));
    assert!(app.store.verify_audit_chain().await.unwrap().is_ok());
}

#[tokio::test]
async fn bad_account_input_is_refused_in_vietnamese_and_creates_nothing() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let before = app
        .store
        .teachers_of_school(teacher(&app, "admin.a").await.school)
        .await
        .unwrap();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("full_name", "Trùng Tên"),
                ("username", "gv.toan"),
                ("role", "homeroom"),
            ],
            "đã có người dùng",
        ),
        (
            // Taken at another school: usernames are unique on the server.
            &[
                ("full_name", "Trùng Tên"),
                ("username", "ht.b"),
                ("role", "homeroom"),
            ],
            "đã có người dùng",
        ),
        (
            &[
                ("full_name", "Có Dấu"),
                ("username", "nguyễn"),
                ("role", "homeroom"),
            ],
            "Tên đăng nhập «nguyễn» không hợp lệ",
        ),
        (
            &[
                ("full_name", "Không Vai Trò"),
                ("username", "khong.vai.tro"),
            ],
            "Hãy chọn ít nhất một vai trò",
        ),
        (
            &[
                ("full_name", "   "),
                ("username", "khong.ten"),
                ("role", "clerk"),
            ],
            "Hãy nhập họ và tên",
        ),
    ];
    for (fields, message) in cases {
        let r = app.post(&admin, "/admin/accounts", fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message), "{fields:?}: {}", r.body);
        assert!(passwords_in(&r.body).is_empty());
    }
    let after = app
        .store
        .teachers_of_school(before[0].school)
        .await
        .unwrap();
    assert_eq!(before, after);
    assert!(all_audit(&app).await.is_empty());
}

#[tokio::test]
async fn resetting_passwords_issues_new_ones_once_and_ends_sessions_in_own_school_only() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let toan_session = app.login("gv.toan").await;
    let toan = teacher(&app, "gv.toan").await;
    let van = teacher(&app, "gv.van").await;
    let toan_b = teacher(&app, "gv.toan.b").await;
    let me = teacher(&app, "admin.a").await;

    // Another school's account, alone or among own accounts: refused whole.
    for ids in [vec![toan_b.id.0], vec![toan.id.0, toan_b.id.0]] {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        let fields: Vec<(&str, &str)> = ids.iter().map(|i| ("teacher", i.as_str())).collect();
        let r = app.post(&admin, "/admin/accounts/reset", &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{ids:?}");
        assert!(passwords_in(&r.body).is_empty());
    }
    // Nobody chosen, or oneself: a reason, nothing done.
    let none = app.post(&admin, "/admin/accounts/reset", &[]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let me_id = me.id.0.to_string();
    let own = app
        .post(&admin, "/admin/accounts/reset", &[("teacher", &me_id)])
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.body.contains("Đổi mật khẩu"));
    assert_eq!(teacher(&app, "gv.toan.b").await, toan_b);
    assert_eq!(teacher(&app, "gv.toan").await, toan);
    assert_eq!(teacher(&app, "admin.a").await, me);
    assert!(all_audit(&app).await.is_empty());
    assert_eq!(
        app.get(Some(&toan_session), "/scores").await.status,
        StatusCode::OK
    );

    let toan_id = toan.id.0.to_string();
    let van_id = van.id.0.to_string();
    let r = app
        .post(
            &admin,
            "/admin/accounts/reset",
            &[("teacher", &toan_id), ("teacher", &van_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let passwords = passwords_in(&r.body);
    assert_eq!(passwords.len(), 2);
    assert_ne!(passwords[0], passwords[1]);
    // Sorted as the school's list: Giáo viên gv.toan, then Giáo viên gv.van.
    let toan_pw = &passwords[0];
    let van_pw = &passwords[1];

    // The old session is over, the old password no longer works.
    let r = app.get(Some(&toan_session), "/scores").await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let old = app.try_login("gv.toan", PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    first_login(&app, "gv.toan", toan_pw).await;
    first_login(&app, "gv.van", van_pw).await;
    let stored = teacher(&app, "gv.van").await.password_hash.unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(van_pw.as_str()));

    let entries = all_audit(&app).await;
    let got: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.action.code(),
                e.field.as_str(),
                e.old.clone(),
                e.new.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("password.issue", "account/gv.toan/password", None, None),
            ("password.issue", "account/gv.van/password", None, None),
        ]
    );
    // The list never shows them again.
    let list = app.get(Some(&admin), "/admin/accounts").await;
    assert!(!list.body.contains(toan_pw.as_str()) && !list.body.contains(van_pw.as_str()));
}

#[tokio::test]
async fn roles_are_changed_with_an_audit_entry_and_the_admin_keeps_their_own() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let vt = teacher(&app, "vt.a").await;
    let path = format!("/admin/accounts/{}/roles", vt.id.0);
    let r = app
        .post(&admin, &path, &[("role", "clerk"), ("role", "homeroom")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã lưu vai trò"));
    assert_eq!(
        teacher(&app, "vt.a").await.roles,
        vec![Role::Homeroom, Role::Clerk]
    );
    let none = app.post(&admin, &path, &[]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let me = teacher(&app, "admin.a").await;
    let mine = format!("/admin/accounts/{}/roles", me.id.0);
    let r = app.post(&admin, &mine, &[("role", "principal")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Quản trị trường của chính mình"));
    assert_eq!(teacher(&app, "admin.a").await.roles, vec![Role::Admin]);
    // Another school's account: refused, unchanged.
    let ht_b = teacher(&app, "ht.b").await;
    let theirs = format!("/admin/accounts/{}/roles", ht_b.id.0);
    let r = app.post(&admin, &theirs, &[("role", "clerk")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get(Some(&admin), &format!("/admin/accounts/{}", ht_b.id.0))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(teacher(&app, "ht.b").await, ht_b);

    let entries = all_audit(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action.code(), "account.roles");
    assert_eq!(entries[0].field, "account/vt.a/roles");
    assert_eq!(entries[0].old.as_deref(), Some("clerk"));
    assert_eq!(entries[0].new.as_deref(), Some("homeroom,clerk"));
}

#[tokio::test]
async fn teaching_assignments_are_saved_whole_audited_and_open_the_grid_to_the_new_teacher() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let a1 = format!("/admin/teaching/{}", app.class_a1);
    let page = app.get(Some(&admin), &a1).await;
    assert!(page.body.contains("Phân công giảng dạy — lớp 6A1"));
    // The grade 6 programme of the catalogue, not only what is assigned.
    for name in ["Toán", "Ngữ văn", "Lịch sử và Địa lí", "Khoa học tự nhiên"] {
        assert!(page.body.contains(name), "{name}");
    }
    assert!(page.body.contains(r#"name="subject_KHTN""#));
    let gvcn_a2 = teacher(&app, "gvcn.a2").await.id.0.to_string();
    let gv_van = teacher(&app, "gv.van").await.id.0.to_string();
    let gv_toan_b = teacher(&app, "gv.toan.b").await.id.0.to_string();
    let vt = teacher(&app, "vt.a").await.id.0.to_string();
    let before = app.store.assignments_of_class(app.class_a1).await.unwrap();
    let class_before = app.store.class(app.class_a1).await.unwrap();

    // Another school's teacher, a teacher without the role, a subject outside the
    // programme: all reported at once, nothing saved.
    let r = app
        .post(
            &admin,
            &a1,
            &[
                ("homeroom", &vt),
                ("subject_TOAN", &gv_toan_b),
                ("subject_NGU_VAN", &gv_van),
                ("subject_TRIET_HOC", &gv_van),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("chưa có vai trò «Giáo viên chủ nhiệm»"),
        "{}",
        r.body
    );
    assert!(r.body.contains("không thuộc trường của bạn"));
    assert!(r.body.contains("TRIET_HOC"));
    assert_eq!(
        app.store.assignments_of_class(app.class_a1).await.unwrap(),
        before
    );
    assert_eq!(app.store.class(app.class_a1).await.unwrap(), class_before);
    assert!(all_audit(&app).await.is_empty());

    // A class of another school, even with valid teachers: refused.
    let b1 = format!("/admin/teaching/{}", app.class_b1);
    let r = app.post(&admin, &b1, &[("homeroom", &gvcn_a2)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // gv.van takes Toán of 6A1 from gv.toan, gvcn.a2 becomes homeroom teacher.
    let r = app
        .post(
            &admin,
            &a1,
            &[
                ("homeroom", &gvcn_a2),
                ("subject_TOAN", &gv_van),
                ("subject_NGU_VAN", &gv_van),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã lưu phân công giảng dạy"));
    let class = app.store.class(app.class_a1).await.unwrap();
    assert_eq!(
        class.homeroom_teacher,
        Some(teacher(&app, "gvcn.a2").await.id)
    );
    let toan: Vec<_> = app
        .store
        .assignments_of_class(app.class_a1)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.subject.as_str() == "TOAN")
        .map(|a| a.teacher)
        .collect();
    assert_eq!(toan, vec![teacher(&app, "gv.van").await.id]);
    let entries = all_audit(&app).await;
    let got: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.action.code(),
                e.class,
                e.field.as_str(),
                e.old.as_deref(),
                e.new.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "class.homeroom.set",
                Some(app.class_a1),
                "gvcn",
                Some("gvcn.a1"),
                Some("gvcn.a2")
            ),
            (
                "class.assignment.set",
                Some(app.class_a1),
                "TOAN/gv",
                Some("gv.toan"),
                Some("gv.van")
            ),
        ]
    );
    // The permission checks follow: the grid is gv.van's now, not gv.toan's.
    let grid = format!("/scores/{}/TOAN?hk=1", app.class_a1);
    let van = app.login("gv.van").await;
    assert_eq!(app.get(Some(&van), &grid).await.status, StatusCode::OK);
    let toan_b = app.login("gv.toan").await;
    assert_eq!(
        app.get(Some(&toan_b), &grid).await.status,
        StatusCode::FORBIDDEN
    );
    let summary = format!("/classes/{}/summary", app.class_a1);
    let gvcn = app.login("gvcn.a2").await;
    assert_eq!(app.get(Some(&gvcn), &summary).await.status, StatusCode::OK);

    // Clearing a subject removes its teacher.
    let r = app
        .post(&admin, &a1, &[("homeroom", &gvcn_a2), ("subject_TOAN", "")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        app.store
            .assignments_of_class(app.class_a1)
            .await
            .unwrap()
            .iter()
            .all(|a| a.subject.as_str() != "TOAN")
    );
    assert!(app.store.verify_audit_chain().await.unwrap().is_ok());
}

#[tokio::test]
async fn the_signing_chain_page_states_the_enforced_order() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let r = app.get(Some(&admin), "/admin/signing-chain").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = &r.body;
    assert!(body.contains("Trung học cơ sở"));
    let gvcn = body.find("<code>GVCN</code>").unwrap();
    let ht = body.find("<code>HT</code>").unwrap();
    let dau = body.find("<code>DAU</code>").unwrap();
    assert!(gvcn < ht && ht < dau);
    assert!(body.contains("Giáo viên ht.a (ht.a)"));
    assert!(body.contains("máy chủ chưa được cấu hình"));
}

#[tokio::test]
async fn personal_ids_are_entered_checked_unique_and_audited() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let list = app.get(Some(&admin), "/admin/personal-ids").await;
    assert_eq!(list.status, StatusCode::OK);
    for name in ["Nguyễn Thị Ánh", "Trần Văn Bình", "Phạm Minh Đức"] {
        assert!(list.body.contains(name), "{name}");
    }
    // School B's student is not listed.
    assert!(!list.body.contains("Võ Thị Em"));
    assert!(list.body.contains("<strong>4</strong> học sinh chưa có"));

    let a1 = app.class_a1.to_string();
    let first = app.students_a1[0].as_str().to_owned();
    let second = app.students_a1[1].as_str().to_owned();
    // Fixture students are girls born in 2014: digit 4 is 3 (female, 2000s), then 14.
    let bad: [(&str, &str); 4] = [
        ("12345", "phải gồm đúng 12 chữ số"),
        ("07931400000x", "phải gồm đúng 12 chữ số"),
        ("079214000001", "ứng với giới tính Nam"),
        ("079315000001", "ứng với năm sinh 2015"),
    ];
    for (id, message) in bad {
        let r = app
            .post(
                &admin,
                "/admin/personal-ids",
                &[("class", &a1), ("student", &first), ("personal_id", id)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        assert!(r.body.contains(message), "{id}: {}", r.body);
    }
    assert!(all_audit(&app).await.is_empty());

    let ok = app
        .post(
            &admin,
            "/admin/personal-ids",
            &[
                ("class", &a1),
                ("student", &first),
                ("personal_id", "079314000001"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(
        ok.body
            .contains("Đã lưu số định danh cá nhân của học sinh Nguyễn Thị Ánh")
    );
    assert!(ok.body.contains("<strong>3</strong> học sinh chưa có"));
    let s = app.store.student(&app.students_a1[0]).await.unwrap();
    assert_eq!(s.personal_id.unwrap().as_str(), "079314000001");

    // The same ID for another student: refused.
    let dup = app
        .post(
            &admin,
            "/admin/personal-ids",
            &[
                ("class", &a1),
                ("student", &second),
                ("personal_id", "079314000001"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("đã được ghi cho một học sinh khác"));
    assert_eq!(
        app.store
            .student(&app.students_a1[1])
            .await
            .unwrap()
            .personal_id,
        None
    );

    // A student of another class than the one named: refused; another school's class: 403.
    let a2_student = app.store.class_members(app.class_a2).await.unwrap()[0]
        .student
        .code
        .as_str()
        .to_owned();
    let r = app
        .post(
            &admin,
            "/admin/personal-ids",
            &[
                ("class", &a1),
                ("student", &a2_student),
                ("personal_id", "079314000002"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let b1_student = app.store.class_members(app.class_b1).await.unwrap()[0]
        .student
        .code
        .as_str()
        .to_owned();
    let b1 = app.class_b1.to_string();
    let r = app
        .post(
            &admin,
            "/admin/personal-ids",
            &[
                ("class", &b1),
                ("student", &b1_student),
                ("personal_id", "079314000003"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let entries = all_audit(&app).await;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.action.code(), "student.personal_id.set");
    assert_eq!(e.student.as_ref(), Some(&app.students_a1[0]));
    assert_eq!(e.class, Some(app.class_a1));
    assert_eq!(e.new.as_deref(), Some("079314000001"));
    // The student's "Lịch sử thay đổi" shows it.
    let history = app
        .get(Some(&admin), &format!("/students/{first}/history"))
        .await;
    assert!(history.body.contains("079314000001"));
}

#[tokio::test]
async fn only_the_next_school_year_can_be_created() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let skip = app
        .post(
            &admin,
            "/admin/years",
            &[
                ("year", "2027"),
                ("starts_on", "2027-09-05"),
                ("ends_on", "2028-05-31"),
            ],
        )
        .await;
    assert_eq!(skip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        skip.body
            .contains("Chỉ tạo được năm học tiếp theo (2026-2027)")
    );
    let backwards = app
        .post(
            &admin,
            "/admin/years",
            &[
                ("year", "2026"),
                ("starts_on", "2026-09-05"),
                ("ends_on", "2026-05-31"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.list_school_years().await.unwrap().len(), 1);
    assert!(all_audit(&app).await.is_empty());
    let ok = app
        .post(
            &admin,
            "/admin/years",
            &[
                ("year", "2026"),
                ("starts_on", "2026-09-05"),
                ("ends_on", "2027-05-31"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.contains("Đã tạo năm học 2026-2027"));
    let years = app.store.list_school_years().await.unwrap();
    assert_eq!(years.len(), 2);
    assert_eq!(years[1].starts_on.to_string(), "2026-09-05");
    let entries = all_audit(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action.code(), "school_year.create");
    assert_eq!(
        entries[0].new.as_deref(),
        Some("2026-2027 2026-09-05 2027-05-31")
    );
}

#[tokio::test]
async fn locking_an_account_stops_its_logins_keeps_its_data_and_a_reset_opens_it_again() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let session = app.login("gv.toan").await;
    let toan = teacher(&app, "gv.toan").await;
    let id = toan.id.0.to_string();
    let toan_b = teacher(&app, "gv.toan.b").await.id.0.to_string();
    let me = teacher(&app, "admin.a").await.id.0.to_string();
    // Another school's account, or oneself: refused, nothing changed.
    let r = app
        .post(&admin, "/admin/accounts/lock", &[("teacher", &toan_b)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&admin, "/admin/accounts/lock", &[("teacher", &me)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Bạn không thể tự khóa tài khoản của mình"));
    assert!(all_audit(&app).await.is_empty());
    assert!(teacher(&app, "gv.toan.b").await.password_hash.is_some());

    let r = app
        .post(&admin, "/admin/accounts/lock", &[("teacher", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã khóa 1 tài khoản"));
    assert!(r.body.contains("Đã khóa (không có mật khẩu)"));
    let locked = teacher(&app, "gv.toan").await;
    assert_eq!(locked.password_hash, None);
    assert_eq!(locked.roles, toan.roles);
    assert_eq!(
        app.store
            .assignments_of_teacher(toan.id)
            .await
            .unwrap()
            .len(),
        2
    );
    let r = app.get(Some(&session), "/scores").await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(
        app.try_login("gv.toan", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let entries = all_audit(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action.code(), "account.lock");
    assert_eq!(entries[0].field, "account/gv.toan/password");

    // A new first-login password opens it again.
    let r = app
        .post(&admin, "/admin/accounts/reset", &[("teacher", &id)])
        .await;
    let password = passwords_in(&r.body).pop().unwrap();
    first_login(&app, "gv.toan", &password).await;
}
