//! Revocation and reissue (STORIES #15, #20), "Tra cứu học bạ" (#22) and share codes
//! (#23), through HTTP in process (`Router::oneshot`) on a fresh SQLite file per test,
//! with records signed by the demo PKI.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use registry::RegistryKey;
use registry_server::{AppState, Config, SchoolEntry};
use serde_json::{Value, json};
use store::Store;
use tower::ServiceExt;

use super::{NOW, signed};

struct TestApp {
    router: Router,
    store: Store,
    token: String,
    other_token: String,
    pki: Arc<pki::DemoPki>,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

fn demo_pki() -> Arc<pki::DemoPki> {
    static PKI: std::sync::OnceLock<Arc<pki::DemoPki>> = std::sync::OnceLock::new();
    PKI.get_or_init(|| Arc::new(pki::demo_pki(NOW - 86_400).expect("demo PKI")))
        .clone()
}

async fn app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.sqlite3").display()
    );
    let store = Store::open(&url).await.expect("open store");
    let pki = demo_pki();
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).expect("trust");
    let key = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
    let r = record::examples::thpt();
    let school = SchoolEntry {
        code: r.school.code.to_string(),
        name: r.school.name.to_string(),
        level: r.school.level,
        authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
    };
    let token = registry_server::add_school(&store, &school, NOW)
        .await
        .unwrap();
    let other = SchoolEntry {
        code: "79000101".to_owned(),
        name: "Trường Tiểu học Nguyễn Bỉnh Khiêm".to_owned(),
        level: domain::Level::Primary,
        authority: "Phòng Văn hóa - Xã hội".to_owned(),
    };
    let other_token = registry_server::add_school(&store, &other, NOW)
        .await
        .unwrap();
    registry_server::approve_seal(&store, &school.code, &pki.seal.cert_der, "Sở GDĐT", NOW)
        .await
        .unwrap();
    let clock = Arc::new(AtomicI64::new(NOW + 1000));
    let c = Arc::clone(&clock);
    let config = Config {
        clock: Arc::new(move || c.load(Ordering::SeqCst)),
        ..Config::default()
    };
    let state = AppState::new(store.clone(), key, trust, config);
    TestApp {
        router: registry_server::router(state),
        store,
        token,
        other_token,
        pki,
        clock,
        _dir: dir,
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
        .as_ref()
        .try_into()
        .unwrap()
}

/// Another student of the same school, with a record of their own.
fn other_student() -> record::Record {
    let mut r = record::examples::thpt();
    r.id = record::RecordId::from_bytes([0x55; 16]);
    r.student.code = "79000000000000009999".parse().unwrap();
    let pid = r.student.personal_id.as_ref().unwrap().to_string();
    r.student.personal_id = Some(format!("{}009999", &pid[..6]).parse().unwrap());
    r.student.name = record::Text::new("Phạm Minh Khôi").unwrap();
    r
}

fn triple(r: &record::Record) -> Vec<(&'static str, String)> {
    vec![
        (
            "personal_id",
            r.student.personal_id.as_ref().unwrap().to_string(),
        ),
        ("student_code", r.student.code.to_string()),
        ("born", r.student.born.to_string()),
    ]
}

fn form(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl TestApp {
    async fn raw(&self, mut req: Request<Body>, ip: [u8; 4]) -> (StatusCode, Vec<u8>, String) {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec(), ct)
    }

    async fn text(&self, req: Request<Body>) -> (StatusCode, String) {
        let (s, b, _) = self.raw(req, [10, 0, 0, 1]).await;
        (s, String::from_utf8(b).unwrap())
    }

    async fn json(&self, req: Request<Body>) -> (StatusCode, Value) {
        let (s, t) = self.text(req).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    async fn post_record(&self, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
        self.json(
            Request::post("/api/v1/records")
                .header(header::CONTENT_TYPE, "application/xml")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn request_revocation(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.json(
            Request::post("/api/v1/revocations")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn post_form_from(
        &self,
        path: &str,
        fields: &[(&str, String)],
        ip: [u8; 4],
    ) -> (StatusCode, Vec<u8>, String) {
        self.raw(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(fields)))
                .unwrap(),
            ip,
        )
        .await
    }

    async fn post_form(&self, path: &str, fields: &[(&str, String)]) -> (StatusCode, String) {
        let (s, b, _) = self.post_form_from(path, fields, [10, 0, 0, 1]).await;
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        self.text(Request::get(path).body(Body::empty()).unwrap())
            .await
    }
}

// ---------------------------------------------------------------------------------------
// Revocation and reissue.

#[tokio::test]
async fn revocation_request_approval_then_corrected_version_with_lineage() {
    let app = app().await;
    let old = record::examples::thpt();
    let old_doc = signed(&app.pki, &old);
    assert_eq!(
        app.post_record(&app.token, old_doc.clone()).await.0,
        StatusCode::OK
    );
    let old_id = old.id.to_string();

    // The corrected version is refused while the old one stands.
    let new = record::examples::superseding(
        &old,
        record::RecordId::from_bytes([7; 16]),
        record::Sha256Digest::from_bytes(sha256(&old_doc)),
    );
    let new_doc = signed(&app.pki, &new);
    let (status, v) = app.post_record(&app.token, new_doc.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "supersedes-not-revoked");
    assert!(
        v["message_vi"]
            .as_str()
            .unwrap()
            .contains("chưa bị thu hồi")
    );

    // Requests: a reason is required, another school cannot ask, one pending at a time.
    let (status, v) = app
        .request_revocation(&app.token, json!({ "record_id": old_id, "reason": "  " }))
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason-required"))
    );
    let (status, _) = app
        .request_revocation(
            &app.other_token,
            json!({ "record_id": old_id, "reason": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = app
        .request_revocation(
            &app.token,
            json!({ "record_id": old_id, "reason": "Nhập sai điểm Toán học kì II" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "pending");
    let id = v["id"].as_i64().unwrap();
    let (status, v) = app
        .request_revocation(
            &app.token,
            json!({ "record_id": old_id, "reason": "lần nữa" }),
        )
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("revocation-pending"))
    );

    // Still pending: still refused.
    assert_eq!(
        app.post_record(&app.token, new_doc.clone()).await.1["code"],
        "supersedes-not-revoked"
    );

    // The supervising authority approves.
    let decided = registry_server::decide_revocation(
        &app.store,
        id,
        true,
        "Sở GDĐT TP.HCM",
        "Đồng ý",
        NOW + 2000,
    )
    .await
    .unwrap();
    assert_eq!(decided.status, store::RevocationStatus::Approved);
    // Decided once only.
    assert!(
        registry_server::decide_revocation(&app.store, id, false, "x", "", NOW + 2001)
            .await
            .is_err()
    );

    // The old record is revoked, still retrievable, with reason and date.
    let (_, v) = app
        .json(
            Request::get(format!("/api/v1/verify?code={old_id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(v["verdict"], "revoked", "{v}");
    assert_eq!(v["registry"]["revoked"]["at"], NOW + 2000);
    assert_eq!(
        v["registry"]["revoked"]["reason"],
        "Nhập sai điểm Toán học kì II"
    );

    // A corrected version naming the wrong digest is refused; the right one is accepted.
    let wrong = record::examples::superseding(
        &old,
        record::RecordId::from_bytes([8; 16]),
        record::Sha256Digest::from_bytes([1; 32]),
    );
    let (_, v) = app.post_record(&app.token, signed(&app.pki, &wrong)).await;
    assert_eq!(v["code"], "supersedes-digest-mismatch", "{v}");
    let (status, v) = app.post_record(&app.token, new_doc.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // Verify shows "Đã thu hồi" with the date and the replacement.
    let (_, v) = app
        .json(
            Request::get(format!("/api/v1/verify?code={old_id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        v["registry"]["replaced_by"]["record_id"],
        new.id.to_string()
    );
    let (status, page) = app.get(&format!("/verify?code={old_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đã thu hồi lúc"), "{page}");
    assert!(page.contains(&new.id.to_string()), "{page}");

    // The school sees the request's decision and the lineage.
    let (status, v) = app
        .json(
            Request::get(format!("/api/v1/revocations/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let lineage: Vec<(String, String)> = v["lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lineage,
        [
            (old_id.clone(), "revoked".to_owned()),
            (new.id.to_string(), "current".to_owned())
        ]
    );
    let (status, _) = app
        .json(
            Request::get(format!("/api/v1/revocations/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {}", app.other_token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Lookup shows both versions with the lineage.
    let (status, page) = app.post_form("/tra-cuu", &triple(&old)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Đã thu hồi"), "{page}");
    assert!(page.contains("Được thay thế bởi phiên bản 2"), "{page}");
    assert!(page.contains("Thay thế phiên bản 1"), "{page}");
}

#[tokio::test]
async fn a_rejected_revocation_leaves_the_record_current() {
    let app = app().await;
    let old = record::examples::thpt();
    let old_doc = signed(&app.pki, &old);
    app.post_record(&app.token, old_doc.clone()).await;
    let (_, v) = app
        .request_revocation(
            &app.token,
            json!({ "record_id": old.id.to_string(), "reason": "Sai tên" }),
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    let decided = registry_server::decide_revocation(
        &app.store,
        id,
        false,
        "Sở GDĐT",
        "Tên đúng theo giấy khai sinh",
        NOW + 5,
    )
    .await
    .unwrap();
    assert_eq!(decided.status, store::RevocationStatus::Rejected);
    assert_eq!(
        decided.comment.as_deref(),
        Some("Tên đúng theo giấy khai sinh")
    );
    let stored = app
        .store
        .registry_record(&old.student.code, &old.id.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, store::RegistryStatus::Current);
    let new = record::examples::superseding(
        &old,
        record::RecordId::from_bytes([7; 16]),
        record::Sha256Digest::from_bytes(sha256(&old_doc)),
    );
    assert_eq!(
        app.post_record(&app.token, signed(&app.pki, &new)).await.1["code"],
        "supersedes-not-revoked"
    );
}

// ---------------------------------------------------------------------------------------
// Lookup.

#[tokio::test]
async fn lookup_with_the_right_triple_lists_records_and_downloads_xml_and_pdf() {
    let app = app().await;
    let r = record::examples::thpt();
    let doc = signed(&app.pki, &r);
    app.post_record(&app.token, doc.clone()).await;
    let other = other_student();
    let (status, v) = app.post_record(&app.token, signed(&app.pki, &other)).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let (status, page) = app.get("/tra-cuu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tra cứu học bạ"));

    let (status, page) = app.post_form("/tra-cuu", &triple(&r)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&r.id.to_string()));
    assert!(page.contains(&r.student.name.to_string()));
    assert!(page.contains("Hiện hành"));
    // No other student's data.
    assert!(!page.contains(&other.id.to_string()));
    assert!(!page.contains("Phạm Minh Khôi"));
    assert!(!page.contains("79000000000000009999"));

    let mut fields = triple(&r);
    fields.push(("record_id", r.id.to_string()));
    fields.push(("format", "xml".to_owned()));
    let (status, body, ct) = app
        .post_form_from("/tra-cuu/tai-ve", &fields, [10, 0, 0, 1])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/xml"));
    assert_eq!(body, doc, "the signed bytes, unchanged");

    fields.pop();
    fields.push(("format", "pdf".to_owned()));
    let (status, body, ct) = app
        .post_form_from("/tra-cuu/tai-ve", &fields, [10, 0, 0, 1])
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(ct, "application/pdf");
    assert!(body.starts_with(b"%PDF-"));

    // Another student's record id with this student's proof: not found.
    let mut fields = triple(&r);
    fields.push(("record_id", other.id.to_string()));
    fields.push(("format", "xml".to_owned()));
    let (status, body, _) = app
        .post_form_from("/tra-cuu/tai-ve", &fields, [10, 0, 0, 1])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("Phạm Minh Khôi"));
}

#[tokio::test]
async fn any_wrong_fact_gets_the_same_generic_not_found() {
    let app = app().await;
    let r = record::examples::thpt();
    app.post_record(&app.token, signed(&app.pki, &r)).await;
    let right = triple(&r);
    let mut pages = Vec::new();
    for (i, wrong) in [
        ("personal_id", "079309000000".to_owned()),
        ("student_code", "79000000000000000001".to_owned()),
        ("born", "2009-01-02".to_owned()),
        ("born", "not a date".to_owned()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut fields = right.clone();
        fields.retain(|(k, _)| *k != wrong.0);
        fields.push(wrong);
        let (status, page) = app.post_form("/tra-cuu", &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "case {i}");
        assert!(page.contains("Không tìm thấy học bạ với thông tin đã nhập"));
        assert!(!page.contains(&r.id.to_string()));
        pages.push(page);
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "the answers differ");
}

#[tokio::test]
async fn lookup_is_rate_limited_per_address_and_per_student() {
    let app = app().await;
    let r = record::examples::thpt();
    app.post_record(&app.token, signed(&app.pki, &r)).await;
    let mut wrong = triple(&r);
    wrong.retain(|(k, _)| *k != "born");
    wrong.push(("born", "2001-01-01".to_owned()));
    for _ in 0..10 {
        let (status, _, _) = app.post_form_from("/tra-cuu", &wrong, [10, 0, 0, 9]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Now even the right answer is refused, from that address and (per student) from
    // another address.
    let (status, _, _) = app
        .post_form_from("/tra-cuu", &triple(&r), [10, 0, 0, 9])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = app
        .post_form_from("/tra-cuu", &triple(&r), [10, 0, 0, 10])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The address limit covers other students too.
    let mut stranger = triple(&other_student());
    stranger.retain(|(k, _)| *k != "born");
    stranger.push(("born", "2001-01-01".to_owned()));
    let (status, _, _) = app
        .post_form_from("/tra-cuu", &stranger, [10, 0, 0, 9])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // After the window it works again.
    app.clock
        .fetch_add(registry_server::LOOKUP_WINDOW_SECS + 1, Ordering::SeqCst);
    let (status, _, _) = app
        .post_form_from("/tra-cuu", &triple(&r), [10, 0, 0, 9])
        .await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Share codes.

fn share_code_from(page: &str) -> String {
    let start = page.find("<code>").expect("a code on the page") + "<code>".len();
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].to_owned()
}

#[tokio::test]
async fn a_share_code_works_until_it_expires_or_is_revoked() {
    let app = app().await;
    let r = record::examples::thpt();
    let doc = signed(&app.pki, &r);
    app.post_record(&app.token, doc.clone()).await;
    let other = other_student();
    app.post_record(&app.token, signed(&app.pki, &other)).await;

    // Bad scope or expiry: refused with a message, no code.
    let mut fields = triple(&r);
    fields.push(("scope", other.id.to_string()));
    fields.push(("days", "7".to_owned()));
    let (_, page) = app.post_form("/tra-cuu/chia-se", &fields).await;
    assert!(page.contains("Hãy chọn học bạ cần chia sẻ"));
    let mut fields = triple(&r);
    fields.push(("scope", "all".to_owned()));
    fields.push(("days", "1000".to_owned()));
    let (_, page) = app.post_form("/tra-cuu/chia-se", &fields).await;
    assert!(page.contains("7, 30 hoặc 90"));

    let mut fields = triple(&r);
    fields.push(("scope", r.id.to_string()));
    fields.push(("days", "7".to_owned()));
    let (status, page) = app.post_form("/tra-cuu/chia-se", &fields).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let code = share_code_from(&page);
    assert_eq!(code.len(), 26);
    // Stored hashed only.
    let stored = app
        .store
        .share_code_by_hash(&registry_server::share_code_sha256(&code))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.record_id, Some(r.id.to_string()));

    let (status, view) = app.get(&format!("/chia-se/{code}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(view.contains("Học bạ hợp lệ"), "{view}");
    assert!(!view.contains(&other.id.to_string()));
    assert!(!view.contains("Phạm Minh Khôi"));
    let (status, v) = app
        .json(
            Request::get(format!("/api/v1/shared/{code}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["records"].as_array().unwrap().len(), 1);
    assert_eq!(v["records"][0]["verification"]["verdict"], "valid");
    let (status, body, _) = app
        .raw(
            Request::get(format!("/chia-se/{code}/tai-ve/{}?format=xml", r.id))
                .body(Body::empty())
                .unwrap(),
            [10, 0, 0, 1],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, doc.clone()));
    let (status, body, _) = app
        .raw(
            Request::get(format!("/chia-se/{code}/tai-ve/{}?format=pdf", r.id))
                .body(Body::empty())
                .unwrap(),
            [10, 0, 0, 1],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with(b"%PDF-"));
    // Not another student's record through this code.
    let (status, _, _) = app
        .raw(
            Request::get(format!("/chia-se/{code}/tai-ve/{}?format=xml", other.id))
                .body(Body::empty())
                .unwrap(),
            [10, 0, 0, 1],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Expired after 7 days.
    app.clock.fetch_add(7 * 86_400, Ordering::SeqCst);
    assert_eq!(
        app.get(&format!("/chia-se/{code}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, v) = app
        .json(
            Request::get(format!("/api/v1/shared/{code}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::NOT_FOUND, Some("not-found"))
    );

    // A code for all records, revoked by the student.
    let mut fields = triple(&r);
    fields.push(("scope", "all".to_owned()));
    fields.push(("days", "30".to_owned()));
    let (_, page) = app.post_form("/tra-cuu/chia-se", &fields).await;
    let code = share_code_from(&page);
    assert_eq!(app.get(&format!("/chia-se/{code}")).await.0, StatusCode::OK);
    let (_, page) = app.post_form("/tra-cuu", &triple(&r)).await;
    assert!(
        page.contains("Còn hiệu lực") && page.contains("Hết hạn"),
        "{page}"
    );
    let id = app
        .store
        .share_code_by_hash(&registry_server::share_code_sha256(&code))
        .await
        .unwrap()
        .unwrap()
        .id;
    // Another student cannot revoke it.
    let mut fields = triple(&other);
    fields.push(("share_id", id.to_string()));
    let (_, page) = app.post_form("/tra-cuu/huy-chia-se", &fields).await;
    assert!(page.contains("Không tìm thấy mã chia sẻ này"), "{page}");
    assert_eq!(app.get(&format!("/chia-se/{code}")).await.0, StatusCode::OK);
    let mut fields = triple(&r);
    fields.push(("share_id", id.to_string()));
    let (_, page) = app.post_form("/tra-cuu/huy-chia-se", &fields).await;
    assert!(page.contains("Đã thu hồi mã chia sẻ"), "{page}");
    assert_eq!(
        app.get(&format!("/chia-se/{code}")).await.0,
        StatusCode::NOT_FOUND
    );
    // A made-up code.
    assert_eq!(
        app.get("/chia-se/ABCDEFGHJKMNPQRSTVWXYZ0123").await.0,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------
// The supervisor's "Phê duyệt thu hồi" page.

/// A supervisor of `schools` with a session: the cookie header and the CSRF token.
async fn supervisor_session(app: &TestApp, username: &str, schools: &[&str]) -> (String, String) {
    let schools: Vec<String> = schools.iter().map(|s| (*s).to_owned()).collect();
    registry_server::add_supervisor(&app.store, username, "Sở GDĐT TP.HCM", &schools, NOW)
        .await
        .unwrap();
    let id = app
        .store
        .supervisor_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id;
    let sid = format!("{:064x}", id);
    let csrf = format!("{:0>40}", username.len());
    app.store
        .insert_supervisor_session(&store::NewSupervisorSession {
            id_hash: registry_server::token_sha256(&sid),
            supervisor_id: id,
            csrf_token: csrf.clone(),
            created_at: NOW,
            expires_at: NOW + 86_400,
        })
        .await
        .unwrap();
    (format!("hocba_supervisor={sid}"), csrf)
}

impl TestApp {
    async fn supervisor_post(
        &self,
        cookie: &str,
        path: &str,
        fields: &[(&str, String)],
    ) -> (StatusCode, String) {
        self.text(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie)
                .body(Body::from(form(fields)))
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn the_supervisor_approves_or_rejects_only_for_their_schools() {
    let app = app().await;
    let r = record::examples::thpt();
    app.post_record(&app.token, signed(&app.pki, &r)).await;
    let (_, v) = app
        .request_revocation(
            &app.token,
            json!({ "record_id": r.id.to_string(), "reason": "Sai điểm Hóa học" }),
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    let (own, own_csrf) = supervisor_session(&app, "so.hcm", &[&r.school.code.to_string()]).await;
    let (stranger, stranger_csrf) = supervisor_session(&app, "phong.vhxh", &["79000101"]).await;

    // Without a session: to the login page.
    let (status, _) = app.get("/supervisor/revocations").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Another authority does not see it and cannot decide it.
    let (status, page) = app
        .text(
            Request::get("/supervisor/revocations")
                .header(header::COOKIE, &stranger)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Sai điểm Hóa học"));
    let (status, _) = app
        .supervisor_post(
            &stranger,
            &format!("/supervisor/revocations/{id}/approve"),
            &[("_csrf", stranger_csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The right authority sees it; a missing CSRF token or a rejection without a comment
    // changes nothing.
    let (_, page) = app
        .text(
            Request::get("/supervisor/revocations")
                .header(header::COOKIE, &own)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(page.contains("Sai điểm Hóa học"), "{page}");
    let (status, _) = app
        .supervisor_post(&own, &format!("/supervisor/revocations/{id}/approve"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .supervisor_post(
            &own,
            &format!("/supervisor/revocations/{id}/reject"),
            &[("_csrf", own_csrf.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.revocation(id).await.unwrap().unwrap().status,
        store::RevocationStatus::Pending
    );

    let (status, page) = app
        .supervisor_post(
            &own,
            &format!("/supervisor/revocations/{id}/approve"),
            &[
                ("_csrf", own_csrf.clone()),
                ("comment", "Đồng ý".to_owned()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let decided = app.store.revocation(id).await.unwrap().unwrap();
    assert_eq!(decided.status, store::RevocationStatus::Approved);
    assert!(decided.decided_by.unwrap().starts_with("so.hcm"));
    let stored = app
        .store
        .registry_record(&r.student.code, &r.id.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, store::RegistryStatus::Revoked);
    // Twice: nothing changes.
    let (status, _) = app
        .supervisor_post(
            &own,
            &format!("/supervisor/revocations/{id}/reject"),
            &[("_csrf", own_csrf), ("comment", "x".to_owned())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_openapi_document_lists_revocation_and_sharing() {
    let app = app().await;
    let (status, v) = app
        .json(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/revocations",
        "/api/v1/revocations/{id}",
        "/api/v1/shared/{code}",
        "/tra-cuu",
    ] {
        assert!(v["paths"][path].is_object(), "{path} missing");
    }
    let codes = v["components"]["schemas"]["Rejected"]["properties"]["code"]["enum"].clone();
    for code in [
        "supersedes-not-revoked",
        "supersedes-digest-mismatch",
        "supersedes-already-replaced",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code}"
        );
    }
}
