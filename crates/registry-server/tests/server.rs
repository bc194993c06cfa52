//! The registry server through HTTP, in process (`Router::oneshot`), on a fresh SQLite
//! file per test (one test also on PostgreSQL through `HOCBA_TEST_PG_URL`): ingest with
//! receipts, idempotency by digest under concurrency, every rejection, authentication,
//! the verify page and API, the OpenAPI document.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use registry::RegistryKey;
use registry_server::{AppState, Config, SchoolEntry};
use serde_json::Value;
use sqlx::Connection;
use store::Store;
use tower::ServiceExt;
use xmldsig::{SignatureProperties, SoftwareSigner, sign_next};

const NOW: i64 = 1_780_000_000;

// ---------------------------------------------------------------------------------------
// Fixture.

struct TestApp {
    router: Router,
    store: Store,
    key_hex: String,
    token: String,
    other_token: String,
    pki: Arc<pki::DemoPki>,
    _dir: Option<tempfile::TempDir>,
}

fn demo_pki() -> Arc<pki::DemoPki> {
    static PKI: std::sync::OnceLock<Arc<pki::DemoPki>> = std::sync::OnceLock::new();
    PKI.get_or_init(|| Arc::new(pki::demo_pki(NOW - 86_400).expect("demo PKI")))
        .clone()
}

fn thpt_school() -> SchoolEntry {
    let r = record::examples::thpt();
    SchoolEntry {
        code: r.school.code.to_string(),
        name: r.school.name.to_string(),
        level: r.school.level,
        authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
    }
}

fn other_school() -> SchoolEntry {
    SchoolEntry {
        code: "79000101".to_owned(),
        name: "Trường Tiểu học Nguyễn Bỉnh Khiêm".to_owned(),
        level: domain::Level::Primary,
        authority: "Phòng Văn hóa - Xã hội, Ủy ban nhân dân phường Sài Gòn".to_owned(),
    }
}

async fn sqlite_app(approve: bool) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.sqlite3").display()
    );
    let store = Store::open(&url).await.expect("open store");
    app_on(store, Some(dir), approve).await
}

async fn app_on(store: Store, dir: Option<tempfile::TempDir>, approve: bool) -> TestApp {
    let pki = demo_pki();
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).expect("trust");
    let key = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
    let key_hex = key.public_hex();
    let token = registry_server::add_school(&store, &thpt_school(), NOW)
        .await
        .unwrap();
    let other_token = registry_server::add_school(&store, &other_school(), NOW)
        .await
        .unwrap();
    if approve {
        registry_server::approve_seal(
            &store,
            &thpt_school().code,
            &pki.seal.cert_der,
            "Sở GDĐT TP.HCM",
            NOW,
        )
        .await
        .unwrap();
    }
    let config = Config {
        clock: Arc::new(|| NOW + 1000),
        ..Config::default()
    };
    let state = AppState::new(store.clone(), key, trust, config);
    TestApp {
        router: registry_server::router(state),
        store,
        key_hex,
        token,
        other_token,
        pki,
        _dir: dir,
    }
}

fn sign(doc: &[u8], id: &pki::DemoIdentity, role: &str, at: i64) -> Vec<u8> {
    let signer = SoftwareSigner::from_parts(&id.key_pkcs8_der, id.chain.clone()).unwrap();
    let props = SignatureProperties {
        signing_time: at,
        role: role.into(),
        signer_name: None,
    };
    sign_next(doc, &registry::layout(), &signer, &props).unwrap()
}

/// A record signed GVCN → HT → DAU with the demo PKI.
fn signed(pki: &pki::DemoPki, r: &record::Record) -> Vec<u8> {
    let xml = r.to_xml();
    let s1 = sign(&xml, &pki.gvcn, "GVCN", NOW);
    let s2 = sign(&s1, &pki.ht, "HT", NOW + 60);
    sign(&s2, &pki.seal, "DAU", NOW + 120)
}

fn thpt_doc(pki: &pki::DemoPki) -> Vec<u8> {
    signed(pki, &record::examples::thpt())
}

impl TestApp {
    async fn post_record(&self, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let mut req =
            Request::post("/api/v1/records").header(header::CONTENT_TYPE, "application/xml");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let (status, text) = self.send_text(req).await;
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, v)
    }

    async fn send_text(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn stored_rows(&self) -> usize {
        let r = record::examples::thpt();
        self.store
            .registry_records_of_student(&r.student.code)
            .await
            .unwrap()
            .len()
    }

    async fn verify_page(&self, doc: &[u8]) -> (StatusCode, String) {
        let mut body = b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"file\"; filename=\"hocba.xml\"\r\nContent-Type: text/xml\r\n\r\n".to_vec();
        body.extend_from_slice(doc);
        body.extend_from_slice(b"\r\n--BoUnDaRy--\r\n");
        self.send_text(
            Request::post("/verify")
                .header(
                    header::CONTENT_TYPE,
                    "multipart/form-data; boundary=BoUnDaRy",
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn verify_json(&self, doc: &[u8]) -> (StatusCode, Value) {
        self.send(
            Request::post("/api/v1/verify")
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from(doc.to_vec()))
                .unwrap(),
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Ingest.

#[tokio::test]
async fn an_approved_record_is_accepted_with_a_receipt_that_verifies() {
    let app = sqlite_app(true).await;
    let doc = thpt_doc(&app.pki);
    let (status, v) = app.post_record(Some(&app.token), doc.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["duplicate"], false);
    let receipt = registry::verify_receipt(&v["receipt"].to_string(), &app.key_hex).unwrap();
    let r = record::examples::thpt();
    assert_eq!(receipt.record_id, r.id.to_string());
    assert_eq!(receipt.version, 1);
    assert_eq!(receipt.received_at, NOW + 1000);
    assert_eq!(
        receipt.digest,
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &doc))
    );
    // Stored byte for byte, with the receipt.
    let stored = app
        .store
        .registry_record_xml(&r.student.code, &r.id.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.as_bytes(), doc.as_slice());

    // The key schools pin is the one that signed.
    let (status, k) = app
        .send(
            Request::get("/api/v1/registry-key")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(k["public_key"], app.key_hex.as_str());
}

#[tokio::test]
async fn the_same_bytes_twice_are_stored_once_with_the_same_receipt() {
    let app = sqlite_app(true).await;
    let doc = thpt_doc(&app.pki);
    let (_, first) = app.post_record(Some(&app.token), doc.clone()).await;
    let (status, second) = app.post_record(Some(&app.token), doc).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["receipt"], first["receipt"]);
    assert_eq!(app.stored_rows().await, 1);
}

#[tokio::test]
async fn concurrent_identical_posts_store_one_row_and_share_the_receipt() {
    let app = Arc::new(sqlite_app(true).await);
    let doc = thpt_doc(&app.pki);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let app = Arc::clone(&app);
        let doc = doc.clone();
        tasks.push(tokio::spawn(async move {
            app.post_record(Some(&app.token), doc).await
        }));
    }
    let mut receipts = Vec::new();
    let mut fresh = 0;
    for t in tasks {
        let (status, v) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{v}");
        if v["duplicate"] == false {
            fresh += 1;
        }
        receipts.push(v["receipt"].clone());
    }
    assert_eq!(fresh, 1);
    assert!(receipts.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(app.stored_rows().await, 1);
}

#[tokio::test]
async fn an_unapproved_seal_is_rejected_in_vietnamese() {
    let app = sqlite_app(false).await;
    let (status, v) = app.post_record(Some(&app.token), thpt_doc(&app.pki)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["code"], "seal-not-approved");
    assert!(
        v["message_vi"]
            .as_str()
            .unwrap()
            .contains("chưa được cơ quan quản lý phê duyệt"),
        "{v}"
    );
    assert!(v["detail"].as_str().is_some());
    assert_eq!(app.stored_rows().await, 0);
}

#[tokio::test]
async fn an_approval_withdrawn_before_the_seal_was_applied_does_not_count() {
    let app = sqlite_app(true).await;
    let school = thpt_school().code;
    let approval = app.store.seal_approvals(&school).await.unwrap()[0].id;
    // The seal signs at NOW + 120; the approval ends at NOW.
    app.store
        .withdraw_seal_approval(approval, NOW)
        .await
        .unwrap();
    let (status, v) = app.post_record(Some(&app.token), thpt_doc(&app.pki)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "seal-not-approved");
    let (_, v) = app.verify_json(&thpt_doc(&app.pki)).await;
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["code"], "seal-not-approved");
}

#[tokio::test]
async fn a_record_of_another_school_is_rejected() {
    let app = sqlite_app(true).await;
    let (status, v) = app
        .post_record(Some(&app.other_token), thpt_doc(&app.pki))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "wrong-school");
    assert!(!v["message_vi"].as_str().unwrap().is_empty());
    assert_eq!(app.stored_rows().await, 0);
}

#[tokio::test]
async fn a_tampered_record_is_rejected() {
    let app = sqlite_app(true).await;
    let text = String::from_utf8(thpt_doc(&app.pki)).unwrap();
    let at = text.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let tampered = format!("{}X{}", &text[..at], &text[at + 1..]);
    let (status, v) = app
        .post_record(Some(&app.token), tampered.into_bytes())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "signature");
    assert_eq!(app.stored_rows().await, 0);
}

#[tokio::test]
async fn unknown_or_missing_tokens_wrong_types_and_oversize_bodies_are_refused() {
    let app = sqlite_app(true).await;
    let doc = thpt_doc(&app.pki);
    for token in [None, Some("hocba_0000"), Some("")] {
        let (status, v) = app.post_record(token, doc.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(v, serde_json::json!({"status": "unauthorized"}));
    }
    let (status, _) = app
        .send(
            Request::post("/api/v1/records")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.token))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(doc.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, v) = app
        .post_record(Some(&app.token), vec![b' '; 2 * 1024 * 1024 + 1])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["status"], "too-large");
    // Not a record at all.
    let (status, v) = app
        .post_record(Some(&app.token), b"<HocBa/>".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["code"], "malformed");
    assert_eq!(app.stored_rows().await, 0);
}

#[tokio::test]
async fn another_document_under_a_stored_record_id_is_refused() {
    let app = sqlite_app(true).await;
    let r = record::examples::thpt();
    let first = thpt_doc(&app.pki);
    // The same record signed again later: other bytes, same MaDinhDanhHocBa.
    let xml = r.to_xml();
    let s1 = sign(&xml, &app.pki.gvcn, "GVCN", NOW + 500);
    let s2 = sign(&s1, &app.pki.ht, "HT", NOW + 560);
    let second = sign(&s2, &app.pki.seal, "DAU", NOW + 620);
    assert_ne!(first, second);
    assert_eq!(
        app.post_record(Some(&app.token), first).await.0,
        StatusCode::OK
    );
    let (status, v) = app.post_record(Some(&app.token), second).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "record-id-conflict");
    assert_eq!(app.stored_rows().await, 1);
}

#[tokio::test]
async fn ingest_works_on_postgresql_too() {
    let admin_url = std::env::var("HOCBA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!("this test needs PostgreSQL at {admin_url} (HOCBA_TEST_PG_URL): {e}")
        });
    let name = format!(
        "hocba_test_registry_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let url = with_database(&admin_url, &name);
    let outcome = tokio::spawn(async move {
        let store = Store::open(&url).await.expect("open PostgreSQL store");
        let app = Arc::new(app_on(store.clone(), None, true).await);
        let doc = thpt_doc(&app.pki);
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let app = Arc::clone(&app);
            let doc = doc.clone();
            tasks.push(tokio::spawn(async move {
                app.post_record(Some(&app.token), doc).await
            }));
        }
        let mut fresh = 0;
        for t in tasks {
            let (status, v) = t.await.unwrap();
            assert_eq!(status, StatusCode::OK, "{v}");
            registry::verify_receipt(&v["receipt"].to_string(), &app.key_hex).unwrap();
            if v["duplicate"] == false {
                fresh += 1;
            }
        }
        assert_eq!(fresh, 1);
        assert_eq!(app.stored_rows().await, 1);
        let (_, v) = app.verify_json(&doc).await;
        assert_eq!(v["verdict"], "valid");
        store.close().await;
    })
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `url` with its database name replaced by `name` (same as the store's contract suite).
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
// Verify.

#[tokio::test]
async fn the_verify_page_shows_the_verdict_and_no_personal_data() {
    let app = sqlite_app(true).await;
    let r = record::examples::thpt();
    let doc = thpt_doc(&app.pki);
    app.post_record(Some(&app.token), doc.clone()).await;

    let (status, form) = app
        .send_text(Request::get("/verify").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"enctype="multipart/form-data""#));

    let (status, html) = app.verify_page(&doc).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Học bạ hợp lệ"), "{html}");
    assert!(html.contains(&r.school.name.to_string()));
    assert!(html.contains("2025-2026"));
    assert!(html.contains(&r.class.name.to_string()));
    assert!(html.contains("Giáo viên chủ nhiệm") && html.contains("Dấu đơn vị"));
    assert!(html.contains("Đã nhận và lưu lúc"));
    let personal = [
        r.student.name.to_string(),
        r.student.code.to_string(),
        r.student.personal_id.as_ref().unwrap().to_string(),
        r.student.born.to_string(),
        {
            let b = r.student.born.to_string();
            format!("{}/{}/{}", &b[8..10], &b[5..7], &b[..4])
        },
        r.student.birthplace.to_string(),
        r.student.residence.to_string(),
    ];
    for p in &personal {
        assert!(!html.contains(p.as_str()), "the page shows {p:?}");
    }
    // The paper copy's QR code: /verify?code=<MaDinhDanhHocBa>.
    let (status, by_code) = app
        .send_text(
            Request::get(format!("/verify?code={}", r.id))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_code}");
    assert!(by_code.contains("Học bạ hợp lệ") && by_code.contains(&r.class.name.to_string()));
    for p in &personal {
        assert!(!by_code.contains(p.as_str()), "the page shows {p:?}");
    }
    let (status, html) = app
        .send_text(
            Request::get("/verify?code=00000000-0000-8000-8000-000000000000")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Không tìm thấy học bạ"));
    let (status, html) = app
        .send_text(
            Request::get("/verify?code=%3Cscript%3E")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    let (status, v) = app
        .send(
            Request::get(format!("/api/v1/verify?code={}", r.id))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["verdict"], "valid");
    let (status, v) = app
        .send(
            Request::get("/api/v1/verify?code=nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["status"], "not-found");

    let (status, v) = app.verify_json(&doc).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["verdict"], "valid");
    assert_eq!(v["registry"]["stored"], true);
    assert_eq!(v["signers"].as_array().unwrap().len(), 3);
    let json = v.to_string();
    for p in &personal {
        assert!(!json.contains(p.as_str()), "the JSON shows {p:?}");
    }
}

#[tokio::test]
async fn the_verify_page_says_why_a_record_is_invalid_or_revoked() {
    let app = sqlite_app(true).await;
    let r = record::examples::thpt();
    let doc = thpt_doc(&app.pki);
    let text = String::from_utf8(doc.clone()).unwrap();
    let at = text.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let tampered = format!("{}X{}", &text[..at], &text[at + 1..]);
    let (_, html) = app.verify_page(tampered.as_bytes()).await;
    assert!(html.contains("Học bạ không hợp lệ"), "{html}");
    assert!(html.contains("mã lỗi signature"));
    assert!(!html.contains(&r.school.name.to_string()));
    let (_, v) = app.verify_json(b"not xml").await;
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["code"], "malformed");

    // Valid but not sent yet: valid, and the page says it is not in the registry.
    let (_, v) = app.verify_json(&doc).await;
    assert_eq!(v["verdict"], "valid");
    assert_eq!(v["registry"]["stored"], false);

    app.post_record(Some(&app.token), doc.clone()).await;
    app.store
        .revoke_registry_record(
            &r.student.code,
            &r.id.to_string(),
            NOW + 5000,
            "Sửa điểm <Toán>",
        )
        .await
        .unwrap();
    let (_, html) = app.verify_page(&doc).await;
    assert!(html.contains("đã bị thu hồi"), "{html}");
    assert!(html.contains("Sửa điểm &lt;Toán&gt;"), "escaped: {html}");
    let (_, v) = app.verify_json(&doc).await;
    assert_eq!(v["verdict"], "revoked");
    assert_eq!(v["registry"]["revoked"]["reason"], "Sửa điểm <Toán>");

    // No file, a non-XML body to the API.
    let (status, _) = app
        .send_text(
            Request::post("/verify")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                .body(Body::from("--B--\r\n"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .send(
            Request::post("/api/v1/verify")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(doc))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_superseding_version_marks_the_old_one_replaced() {
    let app = sqlite_app(true).await;
    let old = record::examples::thpt();
    let old_doc = thpt_doc(&app.pki);
    assert_eq!(
        app.post_record(Some(&app.token), old_doc.clone()).await.0,
        StatusCode::OK
    );
    let digest: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &old_doc)
        .as_ref()
        .try_into()
        .unwrap();
    let new = record::examples::superseding(
        &old,
        record::RecordId::from_bytes([7; 16]),
        record::Sha256Digest::from_bytes(digest),
    );
    // A stored record is replaced only after an approved revocation (see
    // tests/revocation_lookup.rs for the refusals).
    let id = app
        .store
        .insert_revocation(&store::NewRevocation {
            student_code: old.student.code.clone(),
            record_id: old.id.to_string(),
            school_code: thpt_school().code,
            reason: "Sửa điểm".to_owned(),
            requested_at: NOW + 1,
        })
        .await
        .unwrap();
    registry_server::decide_revocation(&app.store, id, true, "Sở GDĐT", "", NOW + 2)
        .await
        .unwrap();
    let (status, v) = app
        .post_record(Some(&app.token), signed(&app.pki, &new))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, v) = app.verify_json(&old_doc).await;
    assert_eq!(v["verdict"], "revoked", "{v}");
    assert_eq!(v["registry"]["replaced_by"]["version"], 2);
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = sqlite_app(false).await;
    let (status, v) = app
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/records",
        "/api/v1/registry-key",
        "/api/v1/verify",
        "/verify",
        "/api/openapi.json",
    ] {
        assert!(v["paths"][path].is_object(), "{path} missing");
    }
    let codes = v["components"]["schemas"]["Rejected"]["properties"]["code"]["enum"].clone();
    for code in [
        "seal-not-approved",
        "wrong-school",
        "signature",
        "record-id-conflict",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code}"
        );
    }
}

#[path = "server/supervisor.rs"]
mod supervisor;

#[path = "server/revocation_lookup.rs"]
mod revocation_lookup;

#[path = "server/demo_seed.rs"]
mod demo_seed;
