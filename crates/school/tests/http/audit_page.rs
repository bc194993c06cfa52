//! "Nhật ký thay đổi của trường" (`/school/audit`) through HTTP: the school admin and the
//! principal see every entry of their own school — also the changes about no student —
//! in Vietnamese, never a password; other roles are refused; paging and filters work.

use super::*;

use store::{Actor, AuditAction, AuditChange, AuditStamp, AuditTime};

/// A stamp of `username`'s account at its school.
async fn stamp_of(app: &TestApp, username: &str) -> AuditStamp {
    let t = app
        .store
        .teacher_by_username(username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {username}"));
    AuditStamp {
        actor: Actor {
            teacher: t.id,
            username: t.username,
            full_name: t.full_name,
            school: t.school,
        },
        at: AuditTime::from_unix(1_764_097_344),
        reason: None,
    }
}

/// The table rows of a page of the log.
fn rows(body: &str) -> usize {
    body.matches("<tr><td>").count()
}

/// The clear first-login passwords on an "In mật khẩu lần đầu" page.
fn issued_passwords(body: &str) -> Vec<String> {
    let marker = r#"<code class="password">"#;
    body.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            let end = body[start..].find('<').unwrap() + start;
            body[start..end].to_owned()
        })
        .collect()
}

/// The `href` of the "Trang sau" link, unescaped.
fn next_page(body: &str) -> Option<String> {
    let marker = r#"<a class="next-page" href=""#;
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn admin_and_principal_see_their_schools_log_and_no_one_else_does() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let created = app
        .post(
            &admin,
            "/admin/accounts",
            &[
                ("full_name", "Nguyễn Thị Hoa"),
                ("username", "gv.hoa"),
                ("role", "subject_teacher"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let passwords = issued_passwords(&created.body);
    assert_eq!(passwords.len(), 1, "{}", created.body);
    const TOKEN: &str = "tok-bi-mat-0123456789abcdefWXYZ";
    let r = app.post(&admin, "/registry", &[("token", TOKEN)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // An entry of the other school.
    let b = stamp_of(&app, "ht.b").await;
    app.store
        .append_audit(
            &b,
            &[AuditChange {
                student: None,
                class: None,
                action: AuditAction::HomeroomSet,
                field: "gvcn".to_owned(),
                old: None,
                new: Some("gvcn.truong.b".to_owned()),
            }],
        )
        .await
        .unwrap();

    for user in ["admin.a", "ht.a"] {
        let who = app.login(user).await;
        let r = app.get(Some(&who), "/school/audit").await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.body);
        assert!(r.body.contains("Nhật ký thay đổi của trường"), "{user}");
        assert!(
            r.body.contains("Tạo tài khoản gv.hoa"),
            "{user}: {}",
            r.body
        );
        assert!(
            r.body.contains("Giáo viên bộ môn"),
            "{user}: the role by name"
        );
        assert!(r.body.contains("Cấp mật khẩu lần đầu cho gv.hoa"), "{user}");
        assert!(
            r.body.contains("Giáo viên admin.a (admin.a)"),
            "{user}: who"
        );
        assert!(!r.body.contains(&passwords[0]), "{user}: never a password");
        assert!(r.body.contains("Đặt mã truy cập CSDL học bạ số"), "{user}");
        assert!(
            r.body.contains("WXYZ"),
            "{user}: the token's last characters"
        );
        assert!(!r.body.contains("0123456789"), "{user}: never the token");
        assert!(
            !r.body.contains("gvcn.truong.b"),
            "{user}: not school B's entry"
        );
        assert_eq!(rows(&r.body), 3, "{user}");
    }
    let ht_b = app.login("ht.b").await;
    let r = app.get(Some(&ht_b), "/school/audit").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("gvcn.truong.b"));
    assert!(r.body.contains("Phân công giáo viên chủ nhiệm"));
    assert!(!r.body.contains("gv.hoa"), "not school A's entries");

    for user in ["vt.a", "gvcn.a1", "gv.toan"] {
        let who = app.login(user).await;
        let r = app.get(Some(&who), "/school/audit").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        assert!(r.body.contains("Bạn không có quyền"), "{user}");
        assert!(!r.body.contains("gv.hoa"), "{user}");
    }
    let r = app.get(None, "/school/audit").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/login"));

    // The admin's "Quản trị" links to it; the principal's menu too.
    let r = app.get(Some(&admin), "/admin").await;
    assert!(r.body.contains(r#"href="/school/audit""#));
    let ht = app.login("ht.a").await;
    let r = app.get(Some(&ht), "/").await;
    assert!(r.body.contains(r#"href="/school/audit""#));
}

#[tokio::test]
async fn the_log_pages_by_100_and_filters_by_kind_and_actor() {
    let app = spawn_app().await;
    let admin = app.login("admin.a").await;
    let empty = app.get(Some(&admin), "/school/audit").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("Chưa có thay đổi nào được ghi lại."));
    let teacher = stamp_of(&app, "gv.toan").await;
    let student = &app.students_a1[0];
    let scores: Vec<AuditChange> = (0..105)
        .map(|i| AuditChange {
            student: Some(student.clone()),
            class: Some(app.class_a1),
            action: AuditAction::ScoreSet,
            field: "TOAN/HK1/tx1".to_owned(),
            old: None,
            new: Some(format!("{}.5", i % 10)),
        })
        .collect();
    app.store.append_audit(&teacher, &scores).await.unwrap();
    let admin_stamp = stamp_of(&app, "admin.a").await;
    app.store
        .append_audit(
            &admin_stamp,
            &[AuditChange {
                student: None,
                class: Some(app.class_a1),
                action: AuditAction::AccountRoles,
                field: "account/gv.toan/roles".to_owned(),
                old: Some("subject_teacher".to_owned()),
                new: Some("subject_teacher,homeroom".to_owned()),
            }],
        )
        .await
        .unwrap();

    // 106 entries: 100, then 6.
    let first = app.get(Some(&admin), "/school/audit").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first.body), 100);
    assert!(
        first.body.contains("Đổi vai trò tài khoản gv.toan"),
        "newest first"
    );
    assert!(first.body.contains("Toán HK I — ĐĐGtx 1"));
    assert!(first.body.contains("6A1 (2025-2026)"), "{}", first.body);
    assert!(
        first
            .body
            .contains(&format!(r#"href="/students/{}/history""#, student.as_str()))
    );
    let next = next_page(&first.body).expect("a next page");
    assert_eq!(next, "/school/audit?before=7");
    let second = app.get(Some(&admin), &next).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(rows(&second.body), 6);
    assert!(next_page(&second.body).is_none());
    assert!(!second.body.contains("Đổi vai trò"));

    // Kind: accounts only.
    let accounts = app.get(Some(&admin), "/school/audit?kind=accounts").await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert_eq!(rows(&accounts.body), 1);
    assert!(accounts.body.contains("Đổi vai trò tài khoản gv.toan"));
    assert!(
        accounts
            .body
            .contains("Giáo viên bộ môn, Giáo viên chủ nhiệm")
    );
    let scores = app.get(Some(&admin), "/school/audit?kind=scores").await;
    assert_eq!(rows(&scores.body), 100);
    assert!(!scores.body.contains("Đổi vai trò"));
    let next = next_page(&scores.body).expect("a next page of scores");
    assert_eq!(next, "/school/audit?before=6&kind=scores");
    assert_eq!(rows(&app.get(Some(&admin), &next).await.body), 5);
    let teaching = app.get(Some(&admin), "/school/audit?kind=teaching").await;
    assert_eq!(rows(&teaching.body), 0);
    assert!(
        teaching
            .body
            .contains("Không có thay đổi nào khớp với bộ lọc.")
    );

    // Actor: the username, trimmed.
    let by_admin = app.get(Some(&admin), "/school/audit?actor=+admin.a+").await;
    assert_eq!(rows(&by_admin.body), 1);
    let by_teacher = app
        .get(
            Some(&admin),
            "/school/audit?actor=gv.toan&kind=scores&before=50",
        )
        .await;
    assert_eq!(rows(&by_teacher.body), 49);
    let nobody = app.get(Some(&admin), "/school/audit?actor=ht.a").await;
    assert_eq!(rows(&nobody.body), 0);

    // Bad input: a clear message, no list.
    for (query, message) in [
        ("kind=diem-so", "Loại thay đổi không hợp lệ."),
        ("before=abc", "Số thứ tự trang không hợp lệ."),
        ("before=-3", "Số thứ tự trang không hợp lệ."),
    ] {
        let r = app
            .get(Some(&admin), &format!("/school/audit?{query}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(r.body.contains(message), "{query}: {}", r.body);
        assert_eq!(rows(&r.body), 0, "{query}");
    }
}
