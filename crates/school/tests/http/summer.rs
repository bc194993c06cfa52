//! "Kết quả kiểm tra lại / rèn luyện hè" (STORIES #16) and the summary's conduct "—".

use axum::http::StatusCode;
use domain::StudentCode;
use store::{
    CommentResult, ConductEntry, ConductRating, RecordState, RetakeResult, Semester, SubjectScores,
};

use super::{
    TestApp, audit_row, audit_rows, key, personal_id, score, spawn_app, spawn_signing_app, subject,
};

/// The six scored subjects of grade 6 a year needs for a learning result, with their
/// regular-score counts, and GDTC (comment).
const SCORED: [(&str, usize); 6] = [
    ("TOAN", 4),
    ("NGU_VAN", 4),
    ("NGOAI_NGU_1", 4),
    ("LICH_SU_DIA_LI", 4),
    ("KHTN", 4),
    ("TIN_HOC", 2),
];

/// A complete year for `s` in 6A1: every scored subject 8 except Toán at `toan`
/// (every score), GDTC `gdtc`, conduct Tốt in HK I and `hk2` in HK II.
async fn year(app: &TestApp, s: &StudentCode, toan: &str, gdtc: bool, hk2: ConductRating) {
    let k = key(app.class_a1, s);
    for sem in [Semester::First, Semester::Second] {
        for (code, n) in SCORED {
            let v = if code == "TOAN" { toan } else { "8" };
            app.store
                .set_subject_scores(
                    &k,
                    &SubjectScores {
                        subject: subject(code),
                        semester: sem,
                        regular: vec![score(v); n],
                        midterm: Some(score(v)),
                        final_exam: Some(score(v)),
                    },
                )
                .await
                .unwrap();
        }
        app.store
            .set_comment_result(
                &k,
                &CommentResult {
                    subject: subject("GDTC"),
                    semester: sem,
                    passed: gdtc,
                },
            )
            .await
            .unwrap();
        let rating = match sem {
            Semester::First => ConductRating::Good,
            Semester::Second => hk2,
        };
        app.store
            .set_conduct(
                &k,
                ConductEntry {
                    semester: sem,
                    rating,
                },
            )
            .await
            .unwrap();
    }
}

/// 6A1: s0 re-assesses Toán (4.0) and GDTC (Chưa đạt); s1 does summer training
/// (conduct Chưa đạt in HK II); s2 is promoted. All three have a personal ID.
async fn summer_class(app: &TestApp) -> [StudentCode; 3] {
    let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
    for (i, s) in [&s0, &s1, &s2].into_iter().enumerate() {
        app.store
            .set_personal_id(s, Some(&personal_id(i as u32 + 1)))
            .await
            .unwrap();
    }
    year(app, &s0, "4", false, ConductRating::Good).await;
    year(app, &s1, "8", true, ConductRating::Fail).await;
    year(app, &s2, "8", true, ConductRating::Good).await;
    [s0, s1, s2]
}

/// The `<tr>` of `s` on a page, or the section of `s` on the summer page.
fn block<'a>(body: &'a str, s: &StudentCode) -> &'a str {
    let marker = format!(r#"data-student="{s}""#);
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("{s} not on the page"));
    let rest = &body[start..];
    let end = rest
        .find("</tr>")
        .into_iter()
        .chain(rest.find("</section>"))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// An audit stamp of the fixture's account `username`, for writes made through the store.
async fn stamp(app: &TestApp, username: &str) -> store::AuditStamp {
    let t = app
        .store
        .teacher_by_username(username)
        .await
        .unwrap()
        .expect("account");
    store::AuditStamp {
        actor: store::Actor {
            teacher: t.id,
            username: t.username.clone(),
            full_name: t.full_name.clone(),
            school: t.school,
        },
        at: store::AuditTime::from_unix(1_782_000_000),
        reason: None,
    }
}

async fn entries(app: &TestApp) -> i64 {
    app.store
        .verify_audit_chain()
        .await
        .unwrap()
        .unwrap()
        .entries
}

#[tokio::test]
async fn summer_page_is_for_the_homeroom_teacher_and_the_principal_only() {
    let app = spawn_app().await;
    let [s0, s1, s2] = summer_class(&app).await;
    let page = format!("/classes/{}/summer", app.class_a1);
    for who in ["gvcn.a1", "ht.a"] {
        let b = app.login(who).await;
        let r = app.get(Some(&b), &page).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        assert!(r.body.contains("Kết quả kiểm tra lại / rèn luyện hè"));
        // Only the students with summer work are listed.
        assert!(block(&r.body, &s0).contains(r#"name="ktl_TOAN""#));
        assert!(block(&r.body, &s0).contains(r#"name="kq_GDTC""#));
        assert!(block(&r.body, &s1).contains(r#"name="rl""#));
        assert!(!r.body.contains(&format!(r#"data-student="{s2}""#)));
    }
    let before = entries(&app).await;
    let post = format!("/classes/{}/summer/{s0}", app.class_a1);
    let fields = [
        ("ktl_TOAN", "6.5"),
        ("kq_GDTC", "dat"),
        ("ngay", "2026-07-20"),
    ];
    for who in ["gvcn.a2", "gv.toan", "admin.a", "vt.a", "ht.b", "gvcn.b1"] {
        let b = app.login(who).await;
        assert_eq!(
            app.get(Some(&b), &page).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        let r = app.post(&b, &post, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert!(r.body.contains("Bạn không có quyền"), "{}", r.body);
    }
    // Without the CSRF token.
    let b = app.login("gvcn.a1").await;
    let r = app.post_form(Some(&b.cookie), &post, &fields, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A student without summer work.
    let r = app
        .post(
            &b,
            &format!("/classes/{}/summer/{s2}", app.class_a1),
            &[("ngay", "2026-07-20")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("không thuộc diện kiểm tra lại"),
        "{}",
        r.body
    );
    for s in [&s0, &s2] {
        let i = app.store.year_inputs(&key(app.class_a1, s)).await.unwrap();
        assert!(i.summer_retakes.is_empty() && i.retrained_conduct.is_none());
    }
    assert_eq!(entries(&app).await, before);
}

#[tokio::test]
async fn invalid_summer_results_are_refused_whole_and_save_nothing() {
    let app = spawn_app().await;
    let [s0, s1, _] = summer_class(&app).await;
    let b = app.login("gvcn.a1").await;
    let before = entries(&app).await;
    let post = format!("/classes/{}/summer/{s0}", app.class_a1);
    for (fields, message) in [
        (
            [
                ("ktl_TOAN", "11"),
                ("kq_GDTC", "dat"),
                ("ngay", "2026-07-20"),
            ],
            "Điểm phải từ 0 đến 10",
        ),
        (
            [
                ("ktl_TOAN", "6.5"),
                ("kq_GDTC", "x"),
                ("ngay", "2026-07-20"),
            ],
            "Kết quả phải là Đạt hoặc Chưa đạt",
        ),
        (
            [
                ("ktl_TOAN", "6.5"),
                ("kq_GDTC", "dat"),
                ("ngay", "2024-07-20"),
            ],
            "phải thuộc năm 2026",
        ),
        (
            [("ktl_TOAN", "6.5"), ("kq_GDTC", "dat"), ("ngay", "")],
            "Ngày kiểm tra, đánh giá lại phải có dạng ngày/tháng/năm",
        ),
        (
            [("ktl_TOAN", ""), ("kq_GDTC", "dat"), ("ngay", "2026-07-20")],
            "Chưa nhập điểm kiểm tra lại",
        ),
    ] {
        let r = app.post(&b, &post, &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains(message), "{message}: {}", r.body);
        assert!(r.body.contains("Không có gì được lưu"));
        // The typed values are shown again, the bad cell marked.
        assert!(block(&r.body, &s0).contains(r#"aria-invalid="true""#));
    }
    let r = app
        .post(
            &b,
            &format!("/classes/{}/summer/{s1}", app.class_a1),
            &[("rl", "gioi"), ("ngay", "2026-07-20")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body
            .contains("Kết quả rèn luyện phải là Tốt, Khá, Đạt hoặc Chưa đạt")
    );
    for s in [&s0, &s1] {
        let i = app.store.year_inputs(&key(app.class_a1, s)).await.unwrap();
        assert!(i.summer_retakes.is_empty() && i.retrained_conduct.is_none());
    }
    assert_eq!(entries(&app).await, before);
}

#[tokio::test]
async fn summer_results_decide_promotion_are_audited_and_go_into_the_rebuilt_record() {
    let app = spawn_signing_app().await;
    let [s0, s1, s2] = summer_class(&app).await;
    let cn = app.login("gvcn.a1").await;
    let summary = format!("/classes/{}/summary", app.class_a1);
    let page = app.get(Some(&cn), &summary).await;
    assert!(
        block(&page.body, &s0).contains("Kiểm tra lại: Giáo dục thể chất, Toán"),
        "{}",
        block(&page.body, &s0)
    );
    assert!(!block(&page.body, &s0).contains("Lên lớp"));
    assert!(page.body.contains("Kết quả kiểm tra lại / rèn luyện hè"));

    // Reviewed, then s0's record is signed by the homeroom teacher: locked.
    let r = app
        .post(&cn, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v1 = app
        .current()
        .await
        .into_iter()
        .find(|r| r.student == s0)
        .unwrap();
    app.store
        .add_signature(
            &store::NewSignature {
                student: s0.clone(),
                id: v1.id.clone(),
                from: RecordState::Reviewed,
                signatures_before: 0,
                xml: v1.xml.clone().unwrap(),
                sha256: v1.sha256.clone().unwrap(),
                to: RecordState::Signing,
                signer: store::SignerEntry {
                    role: "GVCN".to_owned(),
                    name: "Giáo viên gvcn.a1".to_owned(),
                    at: "2026-06-01T08:00:00Z".to_owned(),
                },
                inputs_as_of: None,
            },
            &stamp(&app, "gvcn.a1").await,
        )
        .await
        .unwrap();
    let post0 = format!("/classes/{}/summer/{s0}", app.class_a1);
    let fields0 = [
        ("ktl_TOAN", "6,5"),
        ("kq_GDTC", "dat"),
        ("ngay", "2026-07-20"),
    ];
    let before = entries(&app).await;
    let ht = app.login("ht.a").await;
    let r = app.post(&ht, &post0, &fields0).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Mở khóa"), "{}", r.body);
    assert!(r.body.contains("Không có gì được lưu"));
    assert!(
        app.store
            .year_inputs(&key(app.class_a1, &s0))
            .await
            .unwrap()
            .summer_retakes
            .is_empty()
    );
    assert_eq!(entries(&app).await, before);
    let page = app
        .get(Some(&ht), &format!("/classes/{}/summer", app.class_a1))
        .await;
    assert!(block(&page.body, &s0).contains("Mở khóa"));
    assert!(!block(&page.body, &s0).contains("<form"));

    // The principal unlocks ("Mở khóa"): the new draft version accepts the results.
    let r = app
        .post(
            &ht,
            &format!("/students/{s0}/records/{}/unlock", v1.id),
            &[("reason", "Nhập kết quả kiểm tra lại")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post(&ht, &post0, &fields0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã lưu kết quả hè"), "{}", r.body);
    assert!(r.body.contains("Lên lớp"), "{}", r.body);
    let i0 = app
        .store
        .year_inputs(&key(app.class_a1, &s0))
        .await
        .unwrap();
    let retakes: Vec<(String, RetakeResult)> = i0
        .summer_retakes
        .iter()
        .map(|r| (r.subject.as_str().to_owned(), r.result))
        .collect();
    assert_eq!(
        retakes,
        vec![
            ("GDTC".to_owned(), RetakeResult::Passed(true)),
            ("TOAN".to_owned(), RetakeResult::Score(score("6.5"))),
        ]
    );
    let rows = audit_rows(&app, &s0).await;
    assert!(rows.contains(&audit_row(
        "score.set",
        "TOAN/he/ktl",
        "",
        "6.5 2026-07-20",
        "ht.a"
    )));
    assert!(rows.contains(&audit_row(
        "result.set",
        "GDTC/he/kq",
        "",
        "dat 2026-07-20",
        "ht.a"
    )));
    // Saving the same values again logs nothing.
    let n = entries(&app).await;
    assert_eq!(app.post(&ht, &post0, &fields0).await.status, StatusCode::OK);
    assert_eq!(entries(&app).await, n);

    // Summer training, by the homeroom teacher.
    let r = app
        .post(
            &cn,
            &format!("/classes/{}/summer/{s1}", app.class_a1),
            &[("rl", "dat"), ("ngay", "20/07/2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(audit_rows(&app, &s1).await.contains(&audit_row(
        "conduct.set",
        "he/rl",
        "",
        "dat 2026-07-20",
        "gvcn.a1"
    )));

    // The summary shows the final decision.
    let page = app.get(Some(&cn), &summary).await;
    assert!(
        block(&page.body, &s0).contains("Kiểm tra lại: Giáo dục thể chất, Toán → Lên lớp"),
        "{}",
        block(&page.body, &s0)
    );
    assert!(block(&page.body, &s1).contains("Rèn luyện trong hè → Lên lớp"));
    assert!(block(&page.body, &s2).contains("Lên lớp"));
    let records = app
        .get(Some(&cn), &format!("/classes/{}/records", app.class_a1))
        .await;
    assert!(
        block(&records.body, &s0).contains("Kiểm tra lại: Giáo dục thể chất, Toán → Lên lớp"),
        "{}",
        records.body
    );
    assert!(block(&records.body, &s1).contains("Rèn luyện trong hè → Lên lớp"));

    // Reviewed again: the new version carries the retakes and the decision, and
    // recomputes.
    let r = app
        .post(&cn, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let current = app.current().await;
    for (s, version) in [(&s0, 2), (&s1, 1)] {
        let stored = current.iter().find(|r| &r.student == s).unwrap();
        assert_eq!(stored.state, RecordState::Reviewed);
        assert_eq!(stored.version, version);
        let xml = stored.xml.clone().unwrap();
        let doc = record::parse_document(xml.as_bytes()).unwrap();
        assert_eq!(record::recompute_check(&doc.record), Ok(()));
        let record::Results::Secondary(results) = &doc.record.results else {
            panic!("secondary results expected");
        };
        assert_eq!(results.promotion, record::Promotion::Promoted);
        if s == &s0 {
            assert!(doc.record.supersedes.is_some());
            let toan = results
                .subjects
                .iter()
                .find(|x| x.code.as_str() == "TOAN")
                .unwrap();
            let record::SubjectAssessment::Scored(scored) = &toan.assessment else {
                panic!("Toán is scored");
            };
            let retake = scored.retake.expect("the retake is in the record");
            assert_eq!(retake.value, score("6.5"));
            assert_eq!(retake.date.to_string(), "2026-07-20");
            assert!(results.learning_after_reassessment.is_some());
        } else {
            let retrained = results.conduct_retraining.expect("retraining recorded");
            assert_eq!(retrained.date.to_string(), "2026-07-20");
        }
    }
}

#[tokio::test]
async fn choosing_the_dash_clears_a_stored_conduct_and_is_logged() {
    let app = spawn_app().await;
    let s0 = app.students_a1[0].clone();
    let cn = app.login("gvcn.a1").await;
    let path = format!("/classes/{}/summary", app.class_a1);
    let (rl1, rl2) = (format!("rl1_{s0}"), format!("rl2_{s0}"));
    let r = app
        .post(&cn, &path, &[(rl1.as_str(), "tot"), (rl2.as_str(), "kha")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(&cn, &path, &[(rl1.as_str(), ""), (rl2.as_str(), "kha")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let i0 = app
        .store
        .year_inputs(&key(app.class_a1, &s0))
        .await
        .unwrap();
    assert_eq!(
        i0.conduct
            .iter()
            .map(|c| (c.semester, c.rating))
            .collect::<Vec<_>>(),
        vec![(Semester::Second, ConductRating::Fair)]
    );
    let rows = audit_rows(&app, &s0).await;
    assert_eq!(
        rows[0],
        audit_row("conduct.set", "HK1/rl", "tot", "", "gvcn.a1")
    );
    assert_eq!(rows.len(), 3);
    // The page shows "—" selected for HK I now.
    let page = app.get(Some(&cn), &path).await;
    let row = block(&page.body, &s0);
    let hk1 = &row[row.find(&format!(r#"name="{rl1}""#)).unwrap()..];
    let hk1 = &hk1[..hk1.find("</select>").unwrap()];
    assert!(!hk1.contains("selected"), "{hk1}");
}
