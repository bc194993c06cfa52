//! "Tải bản sao giấy cả lớp": a class's paper copies as one PDF or a zip, for the clerk
//! and the principal of the school only, every copy logged, skipped students listed.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;

use super::*;

/// Status, content type and raw bytes of a form POST (a PDF or zip is not UTF-8).
async fn post_raw(
    app: &TestApp,
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Vec<u8>) {
    let body = serde_urlencoded::to_string(fields).expect("form");
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &b.cookie)
        .body(Body::from(body))
        .expect("request");
    let d = app.send_raw(req).await;
    (d.status, d.content_type, d.bytes)
}

async fn download(app: &TestApp, b: &Browser, format: &str) -> (StatusCode, String, Vec<u8>) {
    post_raw(
        app,
        b,
        &format!("/classes/{}/records/paper", app.class_a1),
        &[("format", format), (school::CSRF_FIELD, &b.csrf)],
    )
    .await
}

/// The `record.print` audit entries, oldest first.
async fn prints(app: &TestApp) -> Vec<store::AuditEntry> {
    let mut all: Vec<_> = app
        .store
        .audit_latest(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == store::AuditAction::RecordPrint)
        .collect();
    all.reverse();
    all
}

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let mut cmd = Command::new(name);
    cmd.args(args).arg(file);
    if name == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{name} (apt-get install poppler-utils qpdf): {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The attachment number `n` (1-based) of `pdf`.
fn detach(pdf: &Path, n: usize) -> Vec<u8> {
    let out = pdf.with_extension(format!("{n}.xml"));
    tool(
        "pdfdetach",
        &["-save", &n.to_string(), "-o", out.to_str().unwrap()],
        pdf,
    );
    std::fs::read(out).unwrap()
}

/// Signs class 6A1 through the whole chain: the two students with a personal ID are
/// sealed, the third (no personal ID) has no record.
async fn sealed_class(app: &TestApp, homeroom_only: bool) {
    let gvcn = reviewed_class(app).await;
    homeroom_signs(app, &gvcn, app.class_a1).await;
    if homeroom_only {
        return;
    }
    let r = principal_signs_then_seal(app, app.class_a1, "ht.a", "vt.a").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn nothing_sealed_yet_means_no_class_copies_and_nothing_logged() {
    let app = spawn_signing_app().await;
    sealed_class(&app, true).await;
    let vt = app.login("vt.a").await;
    let page = app
        .get(Some(&vt), &format!("/classes/{}/records", app.class_a1))
        .await;
    assert!(
        page.body.contains("Tải bản sao giấy cả lớp"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"data-paper-count="0""#),
        "{}",
        page.body
    );
    let (status, _, body) = download(&app, &vt, "zip").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&body).contains("chưa có học bạ nào đã ký"));
    assert!(prints(&app).await.is_empty());
}

#[tokio::test]
async fn clerk_and_principal_download_the_class_as_zip_or_one_pdf_and_each_copy_is_logged() {
    let app = spawn_signing_app().await;
    sealed_class(&app, false).await;
    let [s0, s1, s2] = [0, 1, 2].map(|i| app.students_a1[i].clone());
    let current = app.current().await;
    let stored = |s: &StudentCode| current.iter().find(|r| &r.student == s).unwrap().clone();
    let (r0, r1) = (stored(&s0), stored(&s1));
    assert_eq!(r0.state, store::RecordState::Signed);
    assert!(current.iter().all(|r| r.student != s2));
    let vt = app.login("vt.a").await;
    let ht = app.login("ht.a").await;
    let action = format!("/classes/{}/records/paper", app.class_a1);

    // The class page shows the form and the count to the clerk and the principal only.
    for (user, shown) in [("vt.a", true), ("ht.a", true), ("gvcn.a1", false)] {
        let b = app.login(user).await;
        let page = app
            .get(Some(&b), &format!("/classes/{}/records", app.class_a1))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body.contains(&action), shown, "{user}: {}", page.body);
        if shown {
            assert!(
                page.body.contains(r#"data-paper-count="2""#),
                "{}",
                page.body
            );
            assert!(page.body.contains("2/3 học sinh"), "{}", page.body);
        }
    }

    // Refused: other roles of the school, another school's principal; a forged or
    // missing CSRF token; an unknown format. None of them logs anything.
    for user in ["gvcn.a1", "gv.toan", "admin.a", "ht.b"] {
        let b = app.login(user).await;
        let (status, _, _) = download(&app, &b, "pdf").await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{user}: {status}"
        );
    }
    let (status, _, _) = post_raw(&app, &vt, &action, &[("format", "pdf")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, _, _) = post_raw(
        &app,
        &vt,
        &action,
        &[("format", "pdf"), (school::CSRF_FIELD, &"x".repeat(64))],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "wrong CSRF token");
    let (status, _, body) = download(&app, &vt, "docx").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("Hãy chọn tải"));
    assert!(prints(&app).await.is_empty(), "a refusal logs nothing");

    let dir = tempfile::tempdir().unwrap();

    // The clerk's zip: the list first, then one PDF per signed student in roll order.
    let (status, content_type, zip) = download(&app, &vt, "zip").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&zip));
    assert_eq!(content_type, "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut names_in_order = Vec::new();
    for i in 0..archive.len() {
        names_in_order.push(archive.by_index(i).unwrap().name().unwrap().into_owned());
    }
    assert_eq!(
        names_in_order,
        [
            "DANH_SACH.txt".to_owned(),
            format!("{s0}_nguyen-thi-anh.pdf"),
            format!("{s1}_tran-van-binh.pdf"),
        ]
    );
    let mut list = String::new();
    archive
        .by_name("DANH_SACH.txt")
        .unwrap()
        .read_to_string(&mut list)
        .unwrap();
    assert!(list.contains("Có bản sao (2 học sinh)"), "{list}");
    assert!(list.contains("Không có bản sao (1 học sinh)"), "{list}");
    assert!(
        list.contains(&format!("3\t{s2}\tLê Hoàng Chi\tChưa có mã định danh")),
        "{list}"
    );
    for (s, r, slug) in [(&s0, &r0, "nguyen-thi-anh"), (&s1, &r1, "tran-van-binh")] {
        let mut pdf = Vec::new();
        archive
            .by_name(&format!("{s}_{slug}.pdf"))
            .unwrap()
            .read_to_end(&mut pdf)
            .unwrap();
        let file = dir.path().join(format!("{s}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        assert_eq!(detach(&file, 1), r.xml.as_deref().unwrap().as_bytes());
        let text = tool("pdftotext", &["-raw"], &file);
        assert!(text.contains(&r.id), "lookup code of {s}");
        assert!(tool("pdfinfo", &["-meta"], &file).contains("<pdfaid:part>3</pdfaid:part>"));
    }
    let logged = prints(&app).await;
    assert_eq!(logged.len(), 2, "one entry per copy");
    for (e, (s, r)) in logged.iter().zip([(&s0, &r0), (&s1, &r1)]) {
        assert_eq!(e.student.as_ref(), Some(s));
        assert_eq!(e.actor_username, "vt.a");
        assert_eq!(e.new.as_deref(), Some(format!("{} v1", r.id).as_str()));
    }

    // The principal's single PDF: cover, both copies, both XMLs named by student code.
    let (status, content_type, pdf) = download(&app, &ht, "pdf").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(content_type, "application/pdf");
    let file = dir.path().join("class.pdf");
    std::fs::write(&file, &pdf).unwrap();
    assert!(tool("qpdf", &["--check"], &file).contains("No syntax or stream encoding errors"));
    let attached = tool("pdfdetach", &["-list"], &file);
    assert!(attached.contains("2 embedded files"), "{attached}");
    assert!(attached.contains(&format!("1: {s0}.xml")), "{attached}");
    assert!(attached.contains(&format!("2: {s1}.xml")), "{attached}");
    assert_eq!(detach(&file, 1), r0.xml.as_deref().unwrap().as_bytes());
    assert_eq!(detach(&file, 2), r1.xml.as_deref().unwrap().as_bytes());
    let text = tool("pdftotext", &["-raw"], &file);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "BẢN SAO GIẤY HỌC BẠ",
        "Nguyễn Thị Ánh",
        "Trần Văn Bình",
        "Lê Hoàng Chi",
        "Chưa có mã định danh",
        "Người chuyển đổi: Giáo viên ht.a",
        &format!("Mã tra cứu: {}", r0.id),
        &format!("Mã tra cứu: {}", r1.id),
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let logged = prints(&app).await;
    assert_eq!(logged.len(), 4);
    assert!(logged[2..].iter().all(|e| e.actor_username == "ht.a"));
}
