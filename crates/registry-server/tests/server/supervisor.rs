//! The supervising authority (STORIES #3, #19, #21): login, certificates submitted by a
//! school and approved or rejected by its supervisor only, records sealed with an
//! approved certificate then accepted, the deadline dashboard and its Excel export.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use registry::RegistryKey;
use registry_server::{AppState, Config};
use serde_json::Value;
use store::Store;
use tower::ServiceExt;

use super::{NOW, demo_pki, other_school, sign, thpt_school};

const SO: &str = "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh";
const PHONG: &str = "Phòng Văn hóa - Xã hội, Ủy ban nhân dân phường Sài Gòn";

struct App {
    router: Router,
    store: Store,
    clock: Arc<AtomicI64>,
    thpt_token: String,
    other_token: String,
    /// Password of `so.hcm` (supervises the THPT school).
    so_password: String,
    /// Password of `phong.saigon` (supervises the primary school only).
    phong_password: String,
    pki: Arc<pki::DemoPki>,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.sqlite3").display()
    );
    let store = Store::open(&url).await.unwrap();
    let pki = demo_pki();
    let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
    let key = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
    let thpt_token = registry_server::add_school(&store, &thpt_school(), NOW)
        .await
        .unwrap();
    let other_token = registry_server::add_school(&store, &other_school(), NOW)
        .await
        .unwrap();
    let so_password =
        registry_server::add_supervisor(&store, "so.hcm", SO, &[thpt_school().code], NOW)
            .await
            .unwrap();
    let phong_password =
        registry_server::add_supervisor(&store, "phong.saigon", PHONG, &[other_school().code], NOW)
            .await
            .unwrap();
    let clock = Arc::new(AtomicI64::new(NOW + 1000));
    let c = Arc::clone(&clock);
    let config = Config {
        clock: Arc::new(move || c.load(Ordering::SeqCst)),
        ..Config::default()
    };
    App {
        router: registry_server::router(AppState::new(store.clone(), key, trust, config)),
        store,
        clock,
        thpt_token,
        other_token,
        so_password,
        phong_password,
        pki,
        _dir: dir,
    }
}

/// A logged-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl App {
    async fn call(&self, req: Request<Body>) -> (StatusCode, Vec<String>, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let cookies = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .map(|v| format!("Location: {}", v.to_str().unwrap()));
        let mut body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        if body.is_empty()
            && let Some(l) = location
        {
            body = l.into_bytes();
        }
        (status, cookies, body)
    }

    async fn login(&self, username: &str, password: &str) -> Result<Browser, (StatusCode, String)> {
        let (_, cookies, page) = self
            .call(
                Request::get("/supervisor/login")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let login_cookie = cookie_pair(&cookies, "hocba_supervisor_login");
        let token = hidden(&String::from_utf8(page).unwrap(), "_csrf");
        let form = serde_urlencoded::to_string([
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .unwrap();
        let (status, cookies, body) = self
            .call(
                Request::post("/supervisor/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, login_cookie)
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        if status != StatusCode::SEE_OTHER {
            return Err((status, String::from_utf8(body).unwrap()));
        }
        let cookie = cookie_pair(&cookies, "hocba_supervisor");
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let (_, page) = self.get(&b, "/supervisor/certificates").await;
        b.csrf = hidden(&page, "_csrf");
        Ok(b)
    }

    async fn get(&self, b: &Browser, path: &str) -> (StatusCode, String) {
        let (status, _, body) = self
            .call(
                Request::get(path)
                    .header(header::COOKIE, &b.cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn post(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut all = vec![("_csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        let (status, _, body) = self
            .call(
                Request::post(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, &b.cookie)
                    .body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
                    .unwrap(),
            )
            .await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn submit_cert(&self, token: &str, pem: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .call(
                Request::post("/api/v1/certificates")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/x-pem-file")
                    .body(Body::from(pem.to_owned()))
                    .unwrap(),
            )
            .await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn post_record(&self, doc: Vec<u8>) -> (StatusCode, Value) {
        let (status, _, body) = self
            .call(
                Request::post("/api/v1/records")
                    .header(header::AUTHORIZATION, format!("Bearer {}", self.thpt_token))
                    .header(header::CONTENT_TYPE, "application/xml")
                    .body(Body::from(doc))
                    .unwrap(),
            )
            .await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// The THPT example record for student `n`, signed GVCN → HT → DAU from `at`.
    fn record(&self, n: u8, at: i64) -> Vec<u8> {
        let mut r = record::examples::thpt();
        r.id = record::RecordId::from_bytes([n; 16]);
        r.student.code = format!("79{:018}", u32::from(n)).parse().unwrap();
        let xml = r.to_xml();
        let s1 = sign(&xml, &self.pki.gvcn, "GVCN", at);
        let s2 = sign(&s1, &self.pki.ht, "HT", at + 60);
        sign(&s2, &self.pki.seal, "DAU", at + 120)
    }

    fn seal_pem(&self) -> String {
        pem_of(&self.pki.seal.cert_der)
    }
}

fn pem_of(der: &[u8]) -> String {
    use std::fmt::Write as _;
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    let mut out = "-----BEGIN CERTIFICATE-----\n".to_owned();
    for line in s.as_bytes().chunks(64) {
        let _ = writeln!(out, "{}", std::str::from_utf8(line).unwrap());
    }
    out + "-----END CERTIFICATE-----\n"
}

fn cookie_pair(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .filter_map(|c| c.split(';').next())
        .find(|p| p.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {set_cookies:?}"))
        .to_owned()
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

async fn certificate_status(store: &Store, id: i64) -> store::SubmittedCertificate {
    store.certificate(id).await.unwrap().unwrap()
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn supervisor_logs_in_with_the_printed_password_and_out_again() {
    let app = app().await;
    let (status, _) = app.login("so.hcm", "wrong password").await.err().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.login("nobody", &app.so_password).await.err().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let b = app.login("so.hcm", &app.so_password).await.unwrap();
    let (status, page) = app.get(&b, "/supervisor/certificates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Phê duyệt chứng thư số"), "{page}");
    assert!(page.contains(SO));

    // Without a session: to the login page.
    let anon = Browser {
        cookie: "x=y".to_owned(),
        csrf: String::new(),
    };
    let (status, _) = app.get(&anon, "/supervisor/certificates").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A POST without the session's CSRF token is refused and logs nobody out.
    let forged = Browser {
        cookie: b.cookie.clone(),
        csrf: "0".repeat(64),
    };
    let (status, _) = app.post(&forged, "/supervisor/logout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&b, "/supervisor/certificates").await.0,
        StatusCode::OK
    );

    let (status, _) = app.post(&b, "/supervisor/logout", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        app.call(
            Request::get("/supervisor/certificates")
                .header(header::COOKIE, &b.cookie)
                .body(Body::empty())
                .unwrap()
        )
        .await
        .2
        .starts_with(b"Location: /supervisor/login")
    );
    assert_eq!(
        app.get(&b, "/supervisor/certificates").await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_school_submits_a_certificate_that_waits_for_approval() {
    let app = app().await;
    let (status, v) = app.submit_cert(&app.thpt_token, &app.seal_pem()).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["status_vi"], "Chờ phê duyệt");
    let info = pki::CertInfo::from_der(&app.pki.seal.cert_der).unwrap();
    assert_eq!(
        v["fingerprint"],
        info.sha256_fingerprint.to_ascii_lowercase()
    );
    // Sending it again gives the same pending row.
    let (status, again) = app.submit_cert(&app.thpt_token, &app.seal_pem()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], v["id"]);
    // No token, or not a certificate.
    let (status, _) = app.submit_cert("hocba_nope", &app.seal_pem()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = app.submit_cert(&app.thpt_token, "not a certificate").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn supervisor_sees_only_their_schools_and_another_authority_is_refused() {
    let app = app().await;
    let (_, thpt) = app.submit_cert(&app.thpt_token, &app.seal_pem()).await;
    let thpt_id = thpt["id"].as_i64().unwrap();
    let (_, primary) = app
        .submit_cert(&app.other_token, &pem_of(&app.pki.ht.cert_der))
        .await;
    let primary_id = primary["id"].as_i64().unwrap();
    let info = pki::CertInfo::from_der(&app.pki.seal.cert_der).unwrap();

    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    let (_, list) = app.get(&so, "/supervisor/certificates").await;
    assert!(
        list.contains(&format!("/supervisor/certificates/{thpt_id}")),
        "{list}"
    );
    assert!(
        !list.contains(&format!("/supervisor/certificates/{primary_id}")),
        "{list}"
    );
    assert!(list.contains(&info.sha256_fingerprint.to_ascii_lowercase()));
    assert!(list.contains("Chờ phê duyệt"));
    let (status, detail) = app
        .get(&so, &format!("/supervisor/certificates/{thpt_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for shown in [&info.subject, &info.issuer] {
        assert!(
            detail.contains(&shown.replace('"', "&quot;")),
            "{shown} in {detail}"
        );
    }

    // The ward's supervisor: 403 on GET and POST for the THPT certificate, nothing changes.
    let phong = app
        .login("phong.saigon", &app.phong_password)
        .await
        .unwrap();
    let (_, list) = app.get(&phong, "/supervisor/certificates").await;
    assert!(!list.contains(&format!("/supervisor/certificates/{thpt_id}")));
    assert!(list.contains(&format!("/supervisor/certificates/{primary_id}")));
    let path = format!("/supervisor/certificates/{thpt_id}");
    assert_eq!(app.get(&phong, &path).await.0, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&phong, &format!("{path}/approve"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&phong, &format!("{path}/reject"), &[("comment", "không")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let c = certificate_status(&app.store, thpt_id).await;
    assert_eq!(c.status, store::CertificateStatus::Pending);
    assert!(
        app.store
            .seal_approvals(&thpt_school().code)
            .await
            .unwrap()
            .is_empty()
    );
    // And the store refuses the decision on its own as well.
    let phong_id = app
        .store
        .supervisor_by_username("phong.saigon")
        .await
        .unwrap()
        .unwrap()
        .id;
    let err = app
        .store
        .decide_certificate(
            thpt_id,
            phong_id,
            &store::Decision::Reject {
                comment: "x".into(),
            },
            "phong.saigon",
            NOW,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, store::Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn an_approved_certificate_lets_ingest_accept_records_sealed_with_it() {
    let app = app().await;
    // Before approval the seal is unknown to the registry.
    let (status, v) = app.post_record(app.record(1, NOW + 2000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let (_, sub) = app.submit_cert(&app.thpt_token, &app.seal_pem()).await;
    let id = sub["id"].as_i64().unwrap();
    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    app.clock.store(NOW + 1500, Ordering::SeqCst);
    let (status, _) = app
        .post(
            &so,
            &format!("/supervisor/certificates/{id}/approve"),
            &[("comment", "Đúng con dấu của trường")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let c = certificate_status(&app.store, id).await;
    assert_eq!(c.status, store::CertificateStatus::Approved);
    assert!(c.decided_by.as_deref().unwrap().starts_with("so.hcm"));
    let approvals = app.store.seal_approvals(&thpt_school().code).await.unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0].approved_from, NOW + 1500);
    assert!(approvals[0].approved_by.starts_with("so.hcm"));
    assert_eq!(Some(approvals[0].id), c.approval_id);

    // A record sealed after the approval is accepted; one sealed before is not.
    app.clock.store(NOW + 3000, Ordering::SeqCst);
    let (status, v) = app.post_record(app.record(2, NOW + 1600)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    let (status, _) = app.post_record(app.record(3, NOW + 1000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Deciding twice changes nothing.
    let (status, _) = app
        .post(
            &so,
            &format!("/supervisor/certificates/{id}/reject"),
            &[("comment", "muộn")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        certificate_status(&app.store, id).await.status,
        store::CertificateStatus::Approved
    );
}

#[tokio::test]
async fn a_rejection_needs_a_comment_and_keeps_it() {
    let app = app().await;
    let (_, sub) = app.submit_cert(&app.thpt_token, &app.seal_pem()).await;
    let id = sub["id"].as_i64().unwrap();
    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    let path = format!("/supervisor/certificates/{id}/reject");
    let (status, page) = app.post(&so, &path, &[("comment", "  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("lý do"), "{page}");
    assert_eq!(
        certificate_status(&app.store, id).await.status,
        store::CertificateStatus::Pending
    );

    // An expired certificate cannot be approved.
    let info = pki::CertInfo::from_der(&app.pki.seal.cert_der).unwrap();
    app.clock.store(info.not_after + 1, Ordering::SeqCst);
    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    let (status, page) = app
        .post(&so, &format!("/supervisor/certificates/{id}/approve"), &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("hết hiệu lực"), "{page}");
    assert!(
        app.store
            .seal_approvals(&thpt_school().code)
            .await
            .unwrap()
            .is_empty()
    );
    app.clock.store(NOW + 1000, Ordering::SeqCst);

    let reason = "Chứng thư cấp cho cá nhân, không phải con dấu của trường";
    let (status, _) = app.post(&so, &path, &[("comment", reason)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let c = certificate_status(&app.store, id).await;
    assert_eq!(c.status, store::CertificateStatus::Rejected);
    assert_eq!(c.comment.as_deref(), Some(reason));
    assert!(
        app.store
            .seal_approvals(&thpt_school().code)
            .await
            .unwrap()
            .is_empty()
    );
    // The school sees the decision and the reason.
    let (_, _, body) = app
        .call(
            Request::get("/api/v1/certificates")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.thpt_token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["certificates"][0]["status_vi"], "Từ chối");
    assert_eq!(v["certificates"][0]["comment"], reason);
}

#[tokio::test]
async fn the_dashboard_counts_received_rejected_and_late_schools_and_exports_xlsx() {
    let app = app().await;
    registry_server::approve_seal(
        &app.store,
        &thpt_school().code,
        &app.pki.seal.cert_der,
        "test",
        NOW,
    )
    .await
    .unwrap();
    let r = record::examples::thpt();
    let year = r.class.year.start();
    let grade = r.class.grade.get();
    // The school reports what it expects (a grade outside its level: refused, nothing
    // stored).
    let report = |body: String| {
        Request::post("/api/v1/expected-counts")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.thpt_token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, _) = app
        .call(report(format!(
            r#"{{"year":{year},"counts":[{{"grade":{grade},"expected":3}},{{"grade":4,"expected":9}}]}}"#
        )))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        app.store
            .expected_counts(&thpt_school().code, year)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _, _) = app
        .call(report(format!(
            r#"{{"year":{year},"counts":[{{"grade":{grade},"expected":3}}]}}"#
        )))
        .await;
    assert_eq!(status, StatusCode::OK);
    for n in [1, 2] {
        let (status, v) = app.post_record(app.record(n, NOW + 100)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    // The same bytes again count once; a tampered record counts as rejected.
    let again = app.post_record(app.record(1, NOW + 100)).await;
    assert_eq!(again.0, StatusCode::OK);
    let text = String::from_utf8(app.record(3, NOW + 100)).unwrap();
    let at = text.find("<HoVaTen>").unwrap() + "<HoVaTen>".len();
    let bad = format!("{}X{}", &text[..at], &text[at + 1..]);
    let (status, v) = app.post_record(bad.into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    let (status, page) = app
        .get(&so, &format!("/supervisor/dashboard?year={year}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("25/06/"), "{page}");
    assert!(page.contains("Không có trường nào trễ hạn"), "{page}");

    let sup = app
        .store
        .supervisor_by_username("so.hcm")
        .await
        .unwrap()
        .unwrap();
    let p = registry_server::progress(&app.store, &sup, year, NOW + 1000)
        .await
        .unwrap();
    assert_eq!(p.rows.len(), 1, "{p:?}");
    let row = &p.rows[0];
    assert_eq!(
        (
            row.grade,
            row.expected,
            row.received,
            row.by_june,
            row.rejected
        ),
        (grade, Some(3), 2, 2, 1)
    );
    assert!(p.late.is_empty());
    // After 10 August with 2 of 3 received: late.
    let after = registry_server::progress(&app.store, &sup, year, NOW + 100 * 86_400)
        .await
        .unwrap();
    assert!(after.days_to_august < 0);
    assert_eq!(after.late, vec![thpt_school().code]);
    app.clock.store(NOW + 100 * 86_400, Ordering::SeqCst);
    let so = app.login("so.hcm", &app.so_password).await.unwrap();
    let (_, page) = app
        .get(&so, &format!("/supervisor/dashboard?year={year}"))
        .await;
    assert!(page.contains("Trễ hạn"), "{page}");

    // Without an expected count the received records per grade are shown and said so.
    let phong = app
        .login("phong.saigon", &app.phong_password)
        .await
        .unwrap();
    let (_, page) = app
        .get(&phong, &format!("/supervisor/dashboard?year={year}"))
        .await;
    assert!(page.contains("chưa báo"), "{page}");
    assert!(!page.contains(&thpt_school().code), "{page}");

    // Excel export parses back with the same numbers.
    let (status, _, bytes) = app
        .call(
            Request::get(format!("/supervisor/dashboard.xlsx?year={year}"))
                .header(header::COOKIE, &so.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Tiến độ").unwrap();
    let cell = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(cell(0, 0), "Mã trường");
    assert_eq!(cell(1, 0), thpt_school().code);
    assert_eq!(cell(1, 3), grade.to_string());
    assert_eq!(cell(1, 4), "3");
    assert_eq!(cell(1, 5), "2");
    assert_eq!(cell(1, 7), "1");
    assert_eq!(cell(1, 8), "Trễ hạn");
}

#[tokio::test]
async fn the_openapi_document_describes_the_school_endpoints_for_supervision() {
    let app = app().await;
    let (status, _, body) = app
        .call(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["paths"]["/api/v1/certificates"]["post"].is_object());
    assert!(v["paths"]["/api/v1/certificates"]["get"].is_object());
    assert!(v["paths"]["/api/v1/expected-counts"]["post"].is_object());
    assert!(v["components"]["schemas"]["CertificateSubmission"].is_object());
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_name_for_a_while() {
    let app = app().await;
    // A name used by no other test: the limiter is per process.
    let pw =
        registry_server::add_supervisor(&app.store, "so.ratelimit", SO, &[thpt_school().code], NOW)
            .await
            .unwrap();
    for _ in 0..10 {
        let (status, _) = app
            .login("so.ratelimit", "sai mật khẩu")
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, page) = app.login("so.ratelimit", &pw).await.err().unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("quá nhiều lần"), "{page}");
    // Other names are not affected.
    assert!(app.login("so.hcm", &app.so_password).await.is_ok());
}

#[tokio::test]
async fn demo_supervisors_are_seeded_once_per_authority() {
    let app = app().await;
    let schools = [thpt_school(), other_school()];
    let seeded = registry_server::seed_demo_supervisors(&app.store, &schools, NOW)
        .await
        .unwrap();
    assert_eq!(
        seeded,
        [
            ("giamsat1".to_owned(), SO.to_owned()),
            ("giamsat2".to_owned(), PHONG.to_owned())
        ]
    );
    let again = registry_server::seed_demo_supervisors(&app.store, &schools, NOW)
        .await
        .unwrap();
    assert_eq!(again, seeded);
    let b = app
        .login("giamsat2", registry_server::DEMO_SUPERVISOR_PASSWORD)
        .await
        .unwrap();
    let (_, page) = app.get(&b, "/supervisor/dashboard?year=2025").await;
    assert!(page.contains(&other_school().code), "{page}");
    assert!(!page.contains(&thpt_school().code), "{page}");
}
