//! A synced record is replaced only through revocation (DESIGN.md §5): "Mở khóa" of a
//! record the registry acknowledged is refused (form and POST, nothing changes, nothing
//! logged), while a sealed record still waiting in the outbox unlocks as before. And the
//! sender's per-school tokens from the server's configuration (`--registry-school-token`):
//! a school with only a configured token syncs under it; a token set on "Kết nối CSDL"
//! wins over it.

use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use school::sync::{RegistryConfig, RoundReport, Sender};
use sha2::{Digest, Sha256};
use store::{OutboxState, RecordState};

use super::*;

const SCHOOL_A: &str = "79000001";
const REFUSED: &str = "Học bạ này đã gửi lên CSDL học bạ số; chỉ thay thế được qua";

fn record_of(records: &[store::StoredRecord], s: &StudentCode) -> store::StoredRecord {
    records.iter().find(|r| &r.student == s).unwrap().clone()
}

#[tokio::test]
async fn a_synced_record_is_not_unlocked_but_a_sealed_unsent_one_is() {
    let app = spawn_signing_app().await;
    let sealed = sealed_pair(&app).await;
    // The registry acknowledges one of the two (the oldest due entry): it becomes synced.
    let claimed = app
        .store
        .claim_outbox("test-sender", now() + 60, 300, 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let e = &claimed[0].entry;
    app.store
        .outbox_accepted(&e.student, &e.digest, "test-sender", "{}", now())
        .await
        .unwrap();
    let synced = e.student.clone();
    let unsent = sealed.iter().find(|s| **s != synced).unwrap().clone();
    let before = app.current().await;
    let rec = record_of(&before, &synced);
    assert_eq!((rec.state, rec.version), (RecordState::Synced, 1));
    let audit_before = audit_rows(&app, &synced).await;

    let ht = app.login("ht.a").await;
    let unlock = format!("/students/{synced}/records/{}/unlock", rec.id);
    // The versions page offers no "Mở khóa" for it.
    let versions = app
        .get(Some(&ht), &format!("/students/{synced}/records"))
        .await;
    assert_eq!(versions.status, StatusCode::OK);
    assert!(
        !versions.body.contains(&format!("href=\"{unlock}\"")),
        "{}",
        versions.body
    );
    // The form's URL and the POST answer the refusal.
    let form = app.get(Some(&ht), &unlock).await;
    assert_eq!(form.status, StatusCode::CONFLICT, "{}", form.body);
    assert!(form.body.contains(REFUSED), "{}", form.body);
    assert!(form.body.contains("Đề nghị thu hồi"), "{}", form.body);
    let r = app
        .post(&ht, &unlock, &[("reason", "Sửa điểm Toán học kì II")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(REFUSED), "{}", r.body);
    // Nothing changed, nothing was logged.
    let after = app.current().await;
    let still = record_of(&after, &synced);
    assert_eq!(
        (still.id.as_str(), still.state, still.version),
        (rec.id.as_str(), RecordState::Synced, 1)
    );
    assert_eq!(audit_rows(&app, &synced).await, audit_before);
    assert!(
        !audit_before.iter().any(|r| r.0 == "record.unlock"),
        "{audit_before:?}"
    );

    // The sealed record not yet sent still offers and accepts "Mở khóa".
    let other = record_of(&after, &unsent);
    assert_eq!(other.state, RecordState::Signed);
    let unlock = format!("/students/{unsent}/records/{}/unlock", other.id);
    let versions = app
        .get(Some(&ht), &format!("/students/{unsent}/records"))
        .await;
    assert!(
        versions.body.contains(&format!("href=\"{unlock}\"")),
        "{}",
        versions.body
    );
    assert_eq!(app.get(Some(&ht), &unlock).await.status, StatusCode::OK);
    let r = app
        .post(&ht, &unlock, &[("reason", "Sửa điểm Toán học kì II")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let now_current = record_of(&app.current().await, &unsent);
    assert_eq!(
        (now_current.state, now_current.version),
        (RecordState::Draft, 2)
    );
    assert!(
        audit_rows(&app, &unsent)
            .await
            .iter()
            .any(|r| r.0 == "record.unlock" && r.4 == "ht.a")
    );
}

// ---------------------------------------------------------------------------------------
// Per-school tokens from the configuration.

/// A registry that accepts everything with a receipt signed by `key` and remembers the
/// `Authorization` header of each request.
struct Registry {
    key: registry::RegistryKey,
    authorizations: Mutex<Vec<String>>,
}

async fn ingest(
    AxState(reg): AxState<Arc<Registry>>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    reg.authorizations.lock().unwrap().push(authorization);
    let doc = reg.key.sign(&registry::Receipt {
        registry: "CSDL học bạ số (thử)".to_owned(),
        record_id: "00000000-0000-8000-8000-000000000001".to_owned(),
        version: 1,
        digest: hex::encode(Sha256::digest(body.as_bytes())),
        received_at: now(),
    });
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let json = serde_json::json!({"status": "accepted", "receipt": doc, "duplicate": false});
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json.to_string(),
    )
        .into_response()
}

async fn start_registry() -> (Arc<Registry>, String) {
    let reg = Arc::new(Registry {
        key: registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8().unwrap())
            .unwrap(),
        authorizations: Mutex::new(Vec::new()),
    });
    let router = axum::Router::new()
        .route("/api/v1/records", axum::routing::post(ingest))
        .with_state(reg.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (reg, format!("http://{addr}"))
}

/// The registry configuration of `hocba serve --registry-url URL --registry-key HEX`
/// with `--registry-school-token CODE=VAR` per pair and no default token.
fn config(reg: &Registry, url: &str, school_tokens: &[(&str, &str)]) -> RegistryConfig {
    RegistryConfig {
        url: url.to_owned(),
        token: None,
        school_tokens: school_tokens
            .iter()
            .map(|(c, t)| ((*c).to_owned(), (*t).to_owned()))
            .collect(),
        public_key_hex: reg.key.public_hex(),
        backoff: school::sync::Backoff::default(),
        lease_secs: 300,
    }
}

#[tokio::test]
async fn a_school_with_only_a_configured_token_syncs_under_it() {
    let app = spawn_signing_app().await;
    let sealed = sealed_pair(&app).await;
    let (reg, url) = start_registry().await;
    // A token configured for another school only: school A's entries wait untouched.
    let other = Sender::for_registry(
        app.store.clone(),
        &config(&reg, &url, &[("79000002", "token-b")]),
    )
    .unwrap();
    assert_eq!(other.run_once().await.unwrap(), RoundReport::default());
    let school = app.store.school_by_code(SCHOOL_A).await.unwrap().unwrap();
    for e in app.store.outbox_of_school(school.id).await.unwrap() {
        assert_eq!((e.state, e.attempts), (OutboxState::Pending, 0));
    }
    // With school A's own configured token: both sent under it, both synced.
    let sender = Sender::for_registry(
        app.store.clone(),
        &config(
            &reg,
            &url,
            &[("79000002", "token-b"), (SCHOOL_A, "token-a")],
        ),
    )
    .unwrap();
    let r = sender.run_once().await.unwrap();
    assert_eq!((r.claimed, r.accepted), (2, 2), "{r:?}");
    assert_eq!(
        *reg.authorizations.lock().unwrap(),
        ["Bearer token-a", "Bearer token-a"]
    );
    let current = app.current().await;
    for s in &sealed {
        assert_eq!(record_of(&current, s).state, RecordState::Synced);
    }
}

#[tokio::test]
async fn the_token_set_on_ket_noi_csdl_wins_over_the_configured_one() {
    let (reg, url) = start_registry().await;
    let registry = config(&reg, &url, &[(SCHOOL_A, "token-a-cau-hinh")]);
    let pki = test_pki();
    let app = spawn_app_with(school::Config {
        trust_roots_pem: Some(pki.root_pem().into_bytes()),
        seal: Some(school::SealKey::Pkcs12 {
            p12: p12(&pki.seal),
            password: pki::DEMO_P12_PASSWORD.to_owned(),
        }),
        registry: Some(registry.clone()),
        ..school::Config::default()
    })
    .await;
    sealed_pair(&app).await;
    // Before: "Kết nối CSDL" says the configured token is in use, "Đồng bộ CSDL" does not
    // warn about a missing token.
    let admin = app.login("admin.a").await;
    let page = app.get(Some(&admin), "/registry").await;
    assert!(
        page.body
            .contains("đang dùng mã cấu hình cho trường trên máy chủ"),
        "{}",
        page.body
    );
    let ht = app.login("ht.a").await;
    let sync = app.get(Some(&ht), "/sync").await;
    assert!(
        !sync.body.contains("Trường chưa có mã truy cập"),
        "{}",
        sync.body
    );
    let r = app
        .post(&admin, "/registry", &[("token", "token-a-rieng")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sender = Sender::for_registry(app.store.clone(), &registry).unwrap();
    let r = sender.run_once().await.unwrap();
    assert_eq!((r.claimed, r.accepted), (2, 2), "{r:?}");
    assert_eq!(
        *reg.authorizations.lock().unwrap(),
        ["Bearer token-a-rieng", "Bearer token-a-rieng"]
    );
}
