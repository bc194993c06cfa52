//! The school ↔ registry link against a **real registry** (`registry_server::router` on
//! its own SQLite database, served on 127.0.0.1:0): per-school registry tokens ("Kết nối
//! CSDL"), certificate submission and its decision ("Chứng thư số", STORIES #3), and
//! "Đề nghị thu hồi" → approval → "Lập phiên bản thay thế" → the new version accepted
//! with `ThayThe` (STORIES #15); refusals for wrong roles, other schools, a missing reason;
//! and pages that stay up when the registry is down.

use std::sync::Arc;

use school::sync::{RegistryConfig, RoundReport, Sender, SystemClock};
use store::{OutboxState, RecordState};

use super::*;

const REGISTRY_SCHOOL_A: &str = "79000001";
const REGISTRY_SCHOOL_B: &str = "79000002";

/// A registry served for the test, its tokens and the handle that stops it.
struct Registry {
    store: Store,
    url: String,
    key_hex: String,
    token_a: String,
    token_b: String,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// Starts a registry that knows both fixture schools, trusts the test PKI's root and has
/// approved the seal certificate for both.
async fn start_registry() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.sqlite3").display()
    );
    let store = Store::open(&url).await.unwrap();
    let pki = test_pki();
    let key = registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8().unwrap())
        .unwrap();
    let key_hex = key.public_hex();
    let mut tokens = Vec::new();
    for (code, name) in [
        (REGISTRY_SCHOOL_A, "Trường THCS Lê Quý Đôn"),
        (REGISTRY_SCHOOL_B, "Trường THCS Nguyễn Du"),
    ] {
        let entry = registry_server::SchoolEntry {
            code: code.to_owned(),
            name: name.to_owned(),
            level: Level::LowerSecondary,
            authority: "Sở GD&ĐT TP. Hồ Chí Minh".to_owned(),
        };
        tokens.push(
            registry_server::add_school(&store, &entry, now())
                .await
                .unwrap(),
        );
        registry_server::approve_seal(&store, code, &pki.seal.cert_der, "test", now())
            .await
            .unwrap();
    }
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
    let state = registry_server::AppState::new(
        store.clone(),
        key,
        trust,
        registry_server::Config::default(),
    );
    let app = registry_server::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Registry {
        store,
        url: format!("http://{addr}"),
        key_hex,
        token_b: tokens.pop().unwrap(),
        token_a: tokens.pop().unwrap(),
        server,
        _dir: dir,
    }
}

impl Registry {
    /// Stops the registry: new connections are refused from now on.
    async fn stop(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }
}

fn config(reg: &Registry, default_token: Option<&str>) -> school::Config {
    let pki = test_pki();
    school::Config {
        trust_roots_pem: Some(pki.root_pem().into_bytes()),
        seal: Some(school::SealKey::Pkcs12 {
            p12: p12(&pki.seal),
            password: pki::DEMO_P12_PASSWORD.to_owned(),
        }),
        registry: Some(RegistryConfig {
            url: reg.url.clone(),
            token: default_token.map(str::to_owned),
            school_tokens: Default::default(),
            public_key_hex: reg.key_hex.clone(),
            backoff: school::sync::Backoff::default(),
            lease_secs: 300,
        }),
        ..school::Config::default()
    }
}

/// The sender `hocba serve` would start for `config`.
fn sender(app: &TestApp, config: &school::Config) -> Sender {
    let registry = config.registry.as_ref().unwrap();
    let mut sender = Sender::new(
        app.store.clone(),
        Arc::new(registry.transport().unwrap()),
        Arc::new(SystemClock),
        &registry.public_key_hex,
    )
    .unwrap();
    sender.only_linked_schools = registry.token.is_none();
    sender
}

/// The school code each of `student`'s records arrived under at the registry.
async fn arrived_under(reg: &Registry, student: &StudentCode) -> Vec<String> {
    reg.store
        .registry_records_of_student(student)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.school_code)
        .collect()
}

#[tokio::test]
async fn each_school_sends_with_its_own_token_and_a_school_without_one_waits() {
    let reg = start_registry().await;
    // No default token: every school needs its own.
    let config = config(&reg, None);
    let app = spawn_app_with(config.clone()).await;
    reviewed_class(&app).await;
    sign_and_seal(&app, app.class_a1, "gvcn.a1", "ht.a", "vt.a", 2).await;
    let b_student = reviewed_class_b(&app).await;
    sign_and_seal(&app, app.class_b1, "gvcn.b1", "ht.b", "ht.b", 1).await;
    let sender = sender(&app, &config);

    // No token anywhere: nothing is claimed, and the sync page says why.
    assert_eq!(sender.run_once().await.unwrap(), RoundReport::default());
    let vt = app.login("vt.a").await;
    let page = app.get(Some(&vt), "/sync").await;
    assert!(
        page.body
            .contains("Trường chưa có mã truy cập CSDL học bạ số"),
        "{}",
        page.body
    );

    // "Kết nối CSDL" is the school admin's: others are refused, a POST without the CSRF
    // token too, and a bad token changes nothing.
    for who in ["ht.a", "vt.a", "gvcn.a1"] {
        let b = app.login(who).await;
        assert_eq!(
            app.get(Some(&b), "/registry").await.status,
            StatusCode::FORBIDDEN
        );
        let r = app.post(&b, "/registry", &[("token", &reg.token_a)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    let admin = app.login("admin.a").await;
    let r = app
        .post_form(
            Some(&admin.cookie),
            "/registry",
            &[("token", &reg.token_a)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&admin, "/registry", &[("token", "có dấu cách")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Mã truy cập không hợp lệ"));
    let school_a = app.store.class(app.class_a1).await.unwrap().school;
    let school_b = app.store.class(app.class_b1).await.unwrap().school;
    assert_eq!(app.store.registry_token(school_a).await.unwrap(), None);

    let r = app
        .post(&admin, "/registry", &[("token", &reg.token_a)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã lưu mã truy cập"));
    let page = app.get(Some(&admin), "/registry").await;
    assert!(page.body.contains("đã cấu hình"), "{}", page.body);
    assert!(page.body.contains(&store::token_hint(&reg.token_a)));
    assert!(
        !page.body.contains(&reg.token_a),
        "the token is never shown again"
    );
    let audit = app.store.audit_latest(20).await.unwrap();
    let set = audit
        .iter()
        .find(|e| e.action == store::AuditAction::RegistryTokenSet)
        .unwrap();
    assert_eq!(
        (set.school, set.actor_username.as_str()),
        (school_a, "admin.a")
    );
    assert!(!set.new.as_deref().unwrap().contains(&reg.token_a));

    // Only school A is linked: its two records go, school B's waits.
    let report = sender.run_once().await.unwrap();
    assert_eq!((report.claimed, report.accepted), (2, 2), "{report:?}");
    for s in &app.students_a1[..2] {
        assert_eq!(arrived_under(&reg, s).await, vec![REGISTRY_SCHOOL_A]);
    }
    assert!(arrived_under(&reg, &b_student).await.is_empty());
    let b_entries = app.store.outbox_of_school(school_b).await.unwrap();
    assert_eq!(
        (b_entries.len(), b_entries[0].state, b_entries[0].attempts),
        (1, OutboxState::Pending, 0)
    );

    // School B's admin sets B's token (in the same installation): B's record goes under B.
    // School B has no admin in the fixture, so the token is set as the store would.
    let ht_b = app.login("ht.b").await;
    assert_eq!(
        app.get(Some(&ht_b), "/registry").await.status,
        StatusCode::FORBIDDEN
    );
    let admin_b = app
        .store
        .insert_teacher(&NewTeacher {
            school: school_b,
            full_name: "Quản trị trường B".to_owned(),
            username: "admin.b".to_owned(),
            roles: vec![Role::Admin],
            password_hash: Some(password_hash()),
        })
        .await
        .unwrap();
    assert!(admin_b.0 > 0);
    let admin_b = app.login("admin.b").await;
    let page = app.get(Some(&admin_b), "/registry").await;
    assert!(
        page.body.contains("chưa cấu hình"),
        "B sees its own state, not A's"
    );
    let r = app
        .post(&admin_b, "/registry", &[("token", &reg.token_b)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.store.registry_token(school_a).await.unwrap().as_deref(),
        Some(reg.token_a.as_str()),
        "B's admin changed B's token only"
    );
    let report = sender.run_once().await.unwrap();
    assert_eq!((report.claimed, report.accepted), (1, 1), "{report:?}");
    assert_eq!(
        arrived_under(&reg, &b_student).await,
        vec![REGISTRY_SCHOOL_B]
    );
    for r in app.store.records_of_student(&b_student).await.unwrap() {
        assert_eq!(r.state, RecordState::Synced);
    }
}

/// POSTs the certificate upload form (`kind`, file field `certificate`).
async fn upload(app: &TestApp, b: &Browser, kind: &str, file: &[u8]) -> Reply {
    let boundary = "----hocbaCertBoundary1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"cert.pem\"\r\nContent-Type: application/x-pem-file\r\n\r\n",
        school::CSRF_FIELD,
        b.csrf
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post("/certificates")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, &b.cookie)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// The status cell of the certificate row with `fingerprint`.
fn status_cell<'a>(body: &'a str, fingerprint: &str) -> &'a str {
    let row = body
        .find(&format!("data-fingerprint=\"{fingerprint}\""))
        .expect("certificate row");
    let start = row + body[row..].find("data-col=\"status\">").unwrap() + 18;
    let len = body[start..].find("</td>").unwrap();
    &body[start..start + len]
}

#[tokio::test]
async fn a_certificate_goes_pending_then_approved_and_the_page_survives_a_dead_registry() {
    let mut reg = start_registry().await;
    let app = spawn_app_with(config(&reg, None)).await;
    let pki = test_pki();
    let cert = pki.ht.cert_der.clone();
    let fingerprint = pki::CertInfo::from_der(&cert)
        .unwrap()
        .sha256_fingerprint
        .to_ascii_lowercase();
    let admin = app.login("admin.a").await;
    app.post(&admin, "/registry", &[("token", &reg.token_a)])
        .await;

    // Only the school admin and the principal.
    for who in ["vt.a", "gvcn.a1", "gv.toan"] {
        let b = app.login(who).await;
        assert_eq!(
            app.get(Some(&b), "/certificates").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            upload(&app, &b, "personal", &cert).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // A file that is not a certificate: a Vietnamese reason, nothing kept or sent.
    let ht = app.login("ht.a").await;
    let r = upload(&app, &ht, "personal", b"-----BEGIN CERTIFICATE-----\nabc\n").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("Tệp không chứa chứng thư số hợp lệ"),
        "{}",
        r.body
    );
    let r = upload(&app, &ht, "personal", &vec![b'0'; 70 * 1024]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = upload(&app, &ht, "khac", &cert).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let school_a = app.store.class(app.class_a1).await.unwrap().school;
    assert!(
        app.store
            .school_certificates(school_a)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        reg.store
            .certificates_of_school(REGISTRY_SCHOOL_A)
            .await
            .unwrap()
            .is_empty()
    );

    // The principal uploads it (DER): kept, submitted, pending at the registry.
    let r = upload(&app, &ht, "personal", &cert).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Đã gửi lên CSDL học bạ số: Chờ phê duyệt"),
        "{}",
        r.body
    );
    assert!(status_cell(&r.body, &fingerprint).starts_with("Chờ phê duyệt"));
    let at_registry = reg
        .store
        .certificates_of_school(REGISTRY_SCHOOL_A)
        .await
        .unwrap();
    assert_eq!(at_registry.len(), 1);
    assert_eq!(at_registry[0].fingerprint, fingerprint);
    let audit = app.store.audit_latest(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == store::AuditAction::CertificateSubmit
                && e.new.as_deref() == Some(fingerprint.as_str()))
    );
    // School B sees none of it.
    let ht_b = app.login("ht.b").await;
    let page = app.get(Some(&ht_b), "/certificates").await;
    assert!(!page.body.contains(&fingerprint));

    // The supervising authority approves; the page reads the decision when it opens.
    registry_server::add_supervisor(
        &reg.store,
        "so.hcm",
        "Sở GD&ĐT TP. Hồ Chí Minh",
        &[REGISTRY_SCHOOL_A.to_owned()],
        now(),
    )
    .await
    .unwrap();
    let supervisor = reg
        .store
        .supervisor_by_username("so.hcm")
        .await
        .unwrap()
        .unwrap();
    reg.store
        .decide_certificate(
            at_registry[0].id,
            supervisor.id,
            &store::Decision::Approve {
                approved_from: now() - 3600,
                comment: None,
            },
            "so.hcm",
            now(),
        )
        .await
        .unwrap();
    let page = app.get(Some(&admin), "/certificates").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        status_cell(&page.body, &fingerprint).starts_with("Đã phê duyệt"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Không kết nối được"));

    // The registry goes down: the page still opens, with the last known status and a
    // sentence saying the registry could not be reached; an upload is kept and waits.
    reg.stop().await;
    let page = app.get(Some(&admin), "/certificates").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Không kết nối được CSDL học bạ số"),
        "{}",
        page.body
    );
    assert!(status_cell(&page.body, &fingerprint).starts_with("Đã phê duyệt"));
    let seal = pki.seal.cert_der.clone();
    let r = upload(&app, &admin, "seal", &seal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Chưa gửi được lên CSDL học bạ số"),
        "{}",
        r.body
    );
    assert_eq!(
        app.store.school_certificates(school_a).await.unwrap().len(),
        2
    );
}

/// The `data-version="n"` row of the versions page.
fn version_row(body: &str, n: u32) -> &str {
    let start = body
        .find(&format!("<tr data-version=\"{n}\">"))
        .unwrap_or_else(|| panic!("version {n} row in {body}"));
    let len = body[start..].find("</tr>").unwrap();
    &body[start..start + len]
}

#[tokio::test]
async fn revocation_then_approval_then_a_replacement_version_the_registry_accepts() {
    let mut reg = start_registry().await;
    let config = config(&reg, None);
    let app = spawn_app_with(config.clone()).await;
    let admin = app.login("admin.a").await;
    app.post(&admin, "/registry", &[("token", &reg.token_a)])
        .await;
    reviewed_class(&app).await;
    sign_and_seal(&app, app.class_a1, "gvcn.a1", "ht.a", "vt.a", 2).await;
    let s0 = app.students_a1[0].clone();
    let versions = format!("/students/{s0}/records");
    let ht = app.login("ht.a").await;

    // Before sync: no revocation form (nothing to revoke at the registry yet).
    let page = app.get(Some(&ht), &versions).await;
    assert!(
        version_row(&page.body, 1).contains("Chưa gửi"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Đề nghị thu hồi"));
    let v1 = app.store.records_of_student(&s0).await.unwrap().remove(0);
    let revoke = format!("/students/{s0}/records/{}/revoke", v1.id);
    let reissue = format!("/students/{s0}/records/{}/reissue", v1.id);
    let r = app.post(&ht, &revoke, &[("reason", "Sai điểm Toán")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    let report = sender(&app, &config).run_once().await.unwrap();
    assert_eq!(report.accepted, 2);
    let page = app.get(Some(&ht), &versions).await;
    let row = version_row(&page.body, 1);
    assert!(row.contains("Đã gửi, có biên nhận"), "{row}");
    assert!(row.contains("Đề nghị thu hồi"), "{row}");
    // Rough edges: Vietnam time, short digest with the full value in a title.
    let digest = v1.sha256.clone().unwrap();
    assert!(row.contains(&format!(
        "<code title=\"{digest}\">{}…</code>",
        &digest[..12]
    )));
    assert!(!row.contains("T0") && !row.contains(":00Z"), "{row}");

    // Refusals: other roles and other schools, a missing reason; nothing is sent.
    for who in ["gvcn.a1", "vt.a", "admin.a", "ht.b"] {
        let b = app.login(who).await;
        let r = app.post(&b, &revoke, &[("reason", "Sai điểm Toán")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    let gvcn = app.login("gvcn.a1").await;
    let page = app.get(Some(&gvcn), &versions).await;
    assert!(
        !page.body.contains("action=\"/students"),
        "no revocation form for the GVCN"
    );
    let r = app.post(&ht, &revoke, &[("reason", "   ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Phải nhập lý do đề nghị thu hồi"));
    assert!(
        app.store
            .revocation_requests_of_student(&s0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        registry_server::pending_revocations(&reg.store)
            .await
            .unwrap()
            .is_empty()
    );
    let r = app.post(&ht, &reissue, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no approved revocation yet");

    // The principal asks: the registry has it pending, the school keeps it (audited).
    let r = app
        .post(&ht, &revoke, &[("reason", "Sai điểm giữa kì Toán HK I")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        version_row(&r.body, 1).contains("Đang chờ phê duyệt thu hồi"),
        "{}",
        r.body
    );
    let pending = registry_server::pending_revocations(&reg.store)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].record_id, v1.id);
    let kept = app.store.revocation_requests_of_student(&s0).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].request.registry_id, pending[0].id);
    let log = app
        .store
        .audit_of_student(app.store.class(app.class_a1).await.unwrap().school, &s0)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == store::AuditAction::RevocationRequest
                && e.reason.as_deref() == Some("Sai điểm giữa kì Toán HK I")
                && e.actor_username == "ht.a")
    );
    // A second request while one is pending: refused, nothing sent.
    let r = app.post(&ht, &revoke, &[("reason", "Lần nữa")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        registry_server::pending_revocations(&reg.store)
            .await
            .unwrap()
            .len(),
        1
    );

    // Approved at the registry: the page reads it and offers the replacement.
    registry_server::decide_revocation(&reg.store, pending[0].id, true, "so.hcm", "", now())
        .await
        .unwrap();
    let page = app.get(Some(&ht), &versions).await;
    let row = version_row(&page.body, 1);
    assert!(
        row.contains("Đã phê duyệt thu hồi") && row.contains("Đã thu hồi"),
        "{row}"
    );
    assert!(row.contains("Lập phiên bản thay thế"), "{row}");
    let b = app.login("ht.b").await;
    assert_eq!(
        app.post(&b, &reissue, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&ht, &reissue, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã lập phiên bản 2"), "{}", r.body);
    let all = app.store.records_of_student(&s0).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].state, RecordState::Draft);
    assert_eq!(all[1].supersedes, Some((v1.id.clone(), digest.clone())));
    assert_eq!(
        app.post(&ht, &reissue, &[]).await.status,
        StatusCode::CONFLICT
    );

    // The replacement goes through the normal chain and is accepted with ThayThe.
    let gvcn = app.login("gvcn.a1").await;
    let r = app
        .post(&gvcn, &format!("/classes/{}/review", app.class_a1), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    sign_and_seal(&app, app.class_a1, "gvcn.a1", "ht.a", "vt.a", 1).await;
    let v2 = app.store.records_of_student(&s0).await.unwrap().remove(1);
    assert!(
        v2.xml.as_deref().unwrap().contains(&v1.id),
        "ThayThe names version 1"
    );
    let report = sender(&app, &config).run_once().await.unwrap();
    assert_eq!((report.claimed, report.accepted), (1, 1), "{report:?}");
    let stored = reg.store.registry_records_of_student(&s0).await.unwrap();
    let new = stored.iter().find(|r| r.record_id == v2.id).unwrap();
    assert_eq!(new.supersedes_id.as_deref(), Some(v1.id.as_str()));
    assert_eq!(
        app.store.record(&s0, &v2.id).await.unwrap().state,
        RecordState::Synced
    );

    // Registry down: the versions page still opens, shows the last known status of a
    // pending request and says the registry could not be reached; a new request is not
    // kept when it cannot be sent.
    let s1 = app.students_a1[1].clone();
    let v1_s1 = app.store.records_of_student(&s1).await.unwrap().remove(0);
    let r = app
        .post(
            &ht,
            &format!("/students/{s1}/records/{}/revoke", v1_s1.id),
            &[("reason", "Sai tên")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    reg.stop().await;
    let page = app.get(Some(&ht), &format!("/students/{s1}/records")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Không kết nối được CSDL học bạ số"),
        "{}",
        page.body
    );
    assert!(version_row(&page.body, 1).contains("Đang chờ phê duyệt thu hồi"));
    let r = app
        .post(
            &ht,
            &format!("/students/{s0}/records/{}/revoke", v2.id),
            &[("reason", "Sai tên")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("Không kết nối được CSDL học bạ số"));
    assert_eq!(
        app.store
            .revocation_requests_of_student(&s0)
            .await
            .unwrap()
            .len(),
        1
    );
}
