//! The supervising authority's side of the registry (STORIES #19, #21): supervisor
//! accounts with argon2id passwords and database sessions ("Đăng nhập"), certificates
//! submitted by schools and their approval ("Phê duyệt chứng thư số"), and the deadline
//! dashboard ("Tiến độ nộp học bạ") with its Excel export. Schools submit certificates
//! through `POST /api/v1/certificates` with their bearer token.
//!
//! Every handler checks the permission on the server: a supervisor sees and decides only
//! for the schools bound to their account (the store's queries join that binding too),
//! another school's certificate or dashboard answers 403 and nothing changes. Every POST
//! carries the session's CSRF token (the login form a double-submit cookie).

// Helpers answer early with the finished `Response` as their error (as in `api`).
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use web::cookie;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::date::{civil_from_days, days_from_civil};
use serde_json::json;
use store::{
    CertificateStatus, Decision, NewCertificate, NewSupervisor, NewSupervisorSession,
    RegistrySchool, Store, Submitted, SubmittedCertificate, Supervisor, SupervisorSession,
};

use crate::AppState;
use crate::admin::{AdminError, token_sha256};
use crate::api::{internal, json_response};
use crate::html::{esc, page};

/// The session cookie of a supervisor (32 random bytes in hex; the store keeps its
/// SHA-256).
pub const SESSION_COOKIE: &str = "hocba_supervisor";
/// The login form's double-submit CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "hocba_supervisor_login";
/// The hidden form field with the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// How long a session lasts: 8 hours.
pub const SESSION_SECS: i64 = 8 * 3600;
/// The largest certificate file accepted by the API (a PEM is a few kilobytes).
pub const MAX_CERT_BYTES: usize = 64 * 1024;

const VN_OFFSET: i64 = 7 * 3600;

// ---------------------------------------------------------------------------------------
// Accounts (CLI).

/// Creates a supervisor account of `authority` for `schools` and returns its first
/// password (shown once; the store keeps only the argon2id hash).
pub async fn add_supervisor(
    store: &Store,
    username: &str,
    authority: &str,
    schools: &[String],
    now: i64,
) -> Result<String, AdminError> {
    for code in schools {
        if store.registry_school(code).await?.is_none() {
            return Err(AdminError::Store(store::Error::NotFound {
                what: format!("registry school {code}"),
            }));
        }
    }
    let password = random_hex(12).ok_or(AdminError::Random)?;
    let hash = {
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| AdminError::Random)?
            .ok_or(AdminError::Random)?
    };
    store
        .insert_supervisor(&NewSupervisor {
            username: username.to_owned(),
            authority: authority.to_owned(),
            password_hash: hash,
            schools: schools.to_vec(),
            created_at: now,
        })
        .await?;
    Ok(password)
}

/// The password of every demo supervisor account (demo mode only).
pub const DEMO_SUPERVISOR_PASSWORD: &str = "hocba-demo";

/// Demo only: one supervisor account per distinct authority of `schools` (named
/// `giamsat1`, `giamsat2`, … in order of first appearance, password
/// [`DEMO_SUPERVISOR_PASSWORD`]) supervising that authority's schools. Accounts that exist
/// are left as they are. Returns `(username, authority)` of every demo account.
pub async fn seed_demo_supervisors(
    store: &Store,
    schools: &[crate::SchoolEntry],
    now: i64,
) -> Result<Vec<(String, String)>, AdminError> {
    let mut authorities: Vec<(&str, Vec<String>)> = Vec::new();
    for s in schools {
        match authorities.iter_mut().find(|(a, _)| *a == s.authority) {
            Some((_, codes)) => codes.push(s.code.clone()),
            None => authorities.push((&s.authority, vec![s.code.clone()])),
        }
    }
    let mut out = Vec::new();
    for (n, (authority, codes)) in authorities.into_iter().enumerate() {
        let username = format!("giamsat{}", n + 1);
        if store.supervisor_by_username(&username).await?.is_none() {
            let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_SUPERVISOR_PASSWORD))
                .await
                .map_err(|_| AdminError::Random)?
                .ok_or(AdminError::Random)?;
            store
                .insert_supervisor(&NewSupervisor {
                    username: username.clone(),
                    authority: authority.to_owned(),
                    password_hash: hash,
                    schools: codes,
                    created_at: now,
                })
                .await?;
        }
        out.push((username, authority.to_owned()));
    }
    Ok(out)
}

/// Hashes `password` with argon2id and a fresh salt (`web::hash_password`, the same
/// scheme as the school server): the PHC string; `None` if the random source fails.
pub fn hash_password(password: &str) -> Option<String> {
    web::hash_password(password).ok()
}

pub use web::verify_password;

// ---------------------------------------------------------------------------------------
// School API: submit a certificate.

/// `POST /api/v1/certificates`: the school (bearer token) submits a certificate (PEM or
/// DER body) for its supervisor's approval. 201 `{"status":"pending","id",…}` for a new
/// submission, 200 with the existing row when the same certificate is already pending or
/// approved; 422 `{"status":"rejected","code":"certificate"}` when the body holds no
/// certificate; 401 without a valid token.
pub(crate) async fn submit_certificate(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let school = match school_of_token(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return crate::api::body_rejection(&e),
    };
    let Ok((der, info)) = pki::CertInfo::from_pem_or_der(&body) else {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "status": "rejected",
                "code": "certificate",
                "message_vi": "Tệp gửi lên không chứa chứng thư số hợp lệ (PEM hoặc DER).",
            }),
        );
    };
    let fingerprint = info.sha256_fingerprint.to_ascii_lowercase();
    let new = NewCertificate {
        school_code: school.code.clone(),
        fingerprint: fingerprint.clone(),
        subject: info.subject.clone(),
        issuer: info.issuer.clone(),
        not_before: info.not_before,
        not_after: info.not_after,
        pem: pki::pem::encode("CERTIFICATE", &der),
        submitted_at: app.now(),
    };
    let (status, id) = match app.store().submit_certificate(&new).await {
        Ok(Submitted::New(id)) => (StatusCode::CREATED, id),
        Ok(Submitted::Existing(id)) => (StatusCode::OK, id),
        Err(e) => return internal(&e),
    };
    let state = match app.store().certificate(id).await {
        Ok(Some(c)) => c.status,
        Ok(None) => CertificateStatus::Pending,
        Err(e) => return internal(&e),
    };
    tracing::info!(school = %school.code, %fingerprint, id, "certificate submitted");
    json_response(
        status,
        json!({
            "status": status_code(state),
            "status_vi": status_vi(state),
            "id": id,
            "fingerprint": fingerprint,
            "subject": info.subject,
            "issuer": info.issuer,
        }),
    )
}

/// `GET /api/v1/certificates`: the school's submissions and their decisions.
pub(crate) async fn list_school_certificates(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let school = match school_of_token(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match app.store().certificates_of_school(&school.code).await {
        Ok(list) => json_response(
            StatusCode::OK,
            json!({
                "certificates": list.iter().map(|c| json!({
                    "id": c.id,
                    "fingerprint": c.fingerprint,
                    "subject": c.subject,
                    "status": status_code(c.status),
                    "status_vi": status_vi(c.status),
                    "comment": c.comment,
                    "decided_at": c.decided_at,
                })).collect::<Vec<_>>()
            }),
        ),
        Err(e) => internal(&e),
    }
}

/// `POST /api/v1/expected-counts`: the school (bearer token) reports how many records it
/// expects to send per grade for a school year, as JSON
/// `{"year": 2025, "counts": [{"grade": 10, "expected": 120}, …]}`; a later report
/// replaces the earlier one grade by grade. 200 `{"status":"stored"}`, 400 for a body
/// that does not say that (nothing stored then), 401 without a valid token.
pub(crate) async fn report_expected_counts(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let school = match school_of_token(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return crate::api::body_rejection(&e),
    };
    let Some((year, counts)) = parse_expected(&body, school.level) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({
                "status": "bad-request",
                "detail": "expected {\"year\": 2000..2198, \"counts\": [{\"grade\": \
                           a grade of the school's level, \"expected\": 0..100000}]}",
                "message_vi": "Số liệu dự kiến không hợp lệ: cần năm học, khối lớp của cấp học \
                               và số học bạ dự kiến (không âm).",
            }),
        );
    };
    let now = app.now();
    for (grade, expected) in counts {
        if let Err(e) = app
            .store()
            .set_expected_count(&school.code, year, grade, expected, now)
            .await
        {
            return internal(&e);
        }
    }
    json_response(StatusCode::OK, json!({ "status": "stored" }))
}

/// The year and `(grade, expected)` pairs of a report, or `None` if any part is wrong.
fn parse_expected(body: &[u8], level: domain::Level) -> Option<(u16, Vec<(u8, i64)>)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let year = u16::try_from(v.get("year")?.as_u64()?)
        .ok()
        .filter(|y| (2000..=2198).contains(y))?;
    let grades = school_grades(level);
    let counts = v
        .get("counts")?
        .as_array()?
        .iter()
        .map(|c| {
            let grade = u8::try_from(c.get("grade")?.as_u64()?).ok()?;
            let expected = i64::try_from(c.get("expected")?.as_u64()?)
                .ok()
                .filter(|n| *n <= 100_000)?;
            // GDTX centres teach grades 6–12; other schools only their level's grades.
            let ok = grades.contains(&grade)
                || (level == domain::Level::Continuing && (6..=12).contains(&grade));
            ok.then_some((grade, expected))
        })
        .collect::<Option<Vec<_>>>()?;
    (!counts.is_empty()).then_some((year, counts))
}

async fn school_of_token(app: &AppState, headers: &HeaderMap) -> Result<RegistrySchool, Response> {
    crate::api::authenticate(app, headers).await
}

/// Notes a refused ingest (422) of `school` under the rejection's stable `code` (the
/// dashboard's "Bị từ chối", `hocba registry stats`); a failure to note it is
/// logged and does not change the answer to the school.
pub(crate) async fn note_rejection(
    app: &AppState,
    school: &str,
    digest: &str,
    year_grade: Option<(u16, u8)>,
    code: &str,
    answer: StatusCode,
) {
    if answer != StatusCode::UNPROCESSABLE_ENTITY {
        return;
    }
    if let Err(e) = app
        .store()
        .record_rejection(school, digest, year_grade, code, app.now())
        .await
    {
        tracing::error!(error = %e, school, "could not count a rejection");
    }
}

// ---------------------------------------------------------------------------------------
// Login and sessions.

/// The logged-in supervisor of a request.
struct Current {
    supervisor: Supervisor,
    session: SupervisorSession,
}

/// `GET /supervisor`.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/supervisor/certificates")
}

/// `GET /supervisor/login`: the form, with a fresh double-submit CSRF token.
pub(crate) async fn login_page(State(app): State<AppState>) -> Response {
    login_form(&app, StatusCode::OK, "")
}

fn login_form(app: &AppState, status: StatusCode, message: &str) -> Response {
    let Some(token) = random_hex(32) else {
        return server_error(app);
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(r#"<p class="verdict invalid">{}</p>"#, esc(message))
    };
    let body = format!(
        r#"{message}<form method="post" action="/supervisor/login">
<input type="hidden" name="{CSRF_FIELD}" value="{token}">
<p><label>Tên đăng nhập<br><input name="username" required autocomplete="username"></label></p>
<p><label>Mật khẩu<br><input name="password" type="password" required autocomplete="current-password"></label></p>
<p><button type="submit">Đăng nhập</button></p>
</form>
<p class="note">Dành cho cơ quan quản lý: Phòng Văn hóa - Xã hội (UBND phường, xã) và Sở Giáo dục và Đào tạo.</p>"#
    );
    let mut r = page(
        status,
        "Đăng nhập cơ quan quản lý",
        app.config().demo,
        &body,
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/supervisor; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `POST /supervisor/login`.
pub(crate) async fn login(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let csrf_ok = match (cookie(&headers, LOGIN_CSRF_COOKIE), form.get(CSRF_FIELD)) {
        (Some(c), Some(f)) => !c.is_empty() && c == f,
        _ => false,
    };
    if !csrf_ok {
        return forbidden(
            &app,
            "Phiên đăng nhập đã hết hạn, hãy tải lại trang đăng nhập.",
        );
    }
    let username = form.get("username").map(|s| s.trim()).unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    if login_blocked(username) {
        tracing::info!(username, "supervisor login rate-limited");
        return login_form(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút.",
        );
    }
    let found = match app.store().supervisor_by_username(username).await {
        Ok(f) => f,
        Err(e) => return internal_page(&app, &e),
    };
    // Verify against a real hash even for an unknown name, so timing does not tell
    // which names exist.
    let phc = found
        .as_ref()
        .map_or_else(dummy_hash, |s| s.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let Some(supervisor) = found.filter(|_| ok) else {
        tracing::info!(username, "supervisor login failed");
        login_failed(username);
        return login_form(
            &app,
            StatusCode::UNAUTHORIZED,
            "Tên đăng nhập hoặc mật khẩu không đúng.",
        );
    };
    let (Some(sid), Some(csrf)) = (random_hex(32), random_hex(32)) else {
        return server_error(&app);
    };
    let now = app.now();
    if let Err(e) = app
        .store()
        .insert_supervisor_session(&NewSupervisorSession {
            id_hash: token_sha256(&sid),
            supervisor_id: supervisor.id,
            csrf_token: csrf,
            created_at: now,
            expires_at: now + SESSION_SECS,
        })
        .await
    {
        return internal_page(&app, &e);
    }
    tracing::info!(username, "supervisor logged in");
    login_succeeded(username);
    let mut r = Redirect::to("/supervisor/certificates").into_response();
    for c in [
        format!(
            "{SESSION_COOKIE}={sid}; Path=/supervisor; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}"
        ),
        format!("{LOGIN_CSRF_COOKIE}=; Path=/supervisor; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// `POST /supervisor/logout`.
pub(crate) async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let current = match current_post(&app, &headers, &body).await {
        Ok((c, _)) => c,
        Err(r) => return r,
    };
    if let Err(e) = app
        .store()
        .delete_supervisor_session(&current.session.id_hash)
        .await
    {
        return internal_page(&app, &e);
    }
    let mut r = Redirect::to("/supervisor/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/supervisor; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Failed logins per account name within [`LOGIN_WINDOW`]; from [`MAX_LOGIN_FAILURES`]
/// on, the name is refused (even with the right password) until the window passes. Kept
/// in memory for the process: a restart forgets it, which only shortens a lock-out.
static LOGIN_FAILURES: std::sync::LazyLock<Mutex<HashMap<String, VecDeque<Instant>>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));
/// Failed logins allowed per name within [`LOGIN_WINDOW`].
const MAX_LOGIN_FAILURES: usize = 10;
/// The rate-limit window: 15 minutes.
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

fn login_blocked(username: &str) -> bool {
    let now = Instant::now();
    let mut map = LOGIN_FAILURES
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    map.get_mut(username).is_some_and(|times| {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= LOGIN_WINDOW)
        {
            times.pop_front();
        }
        times.len() >= MAX_LOGIN_FAILURES
    })
}

fn login_failed(username: &str) {
    let mut map = LOGIN_FAILURES
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    // Bound the memory an attacker can make us use with made-up names.
    if map.len() > 100_000 {
        map.clear();
    }
    map.entry(username.to_owned())
        .or_default()
        .push_back(Instant::now());
}

fn login_succeeded(username: &str) {
    LOGIN_FAILURES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(username);
}

/// The session's supervisor, or a redirect to the login page.
async fn current(app: &AppState, headers: &HeaderMap) -> Result<Current, Response> {
    let Some(sid) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/supervisor/login").into_response());
    };
    let session = app
        .store()
        .supervisor_session(&token_sha256(sid), app.now())
        .await
        .map_err(|e| internal_page(app, &e))?
        .ok_or_else(|| Redirect::to("/supervisor/login").into_response())?;
    let supervisor = app
        .store()
        .supervisor(session.supervisor_id)
        .await
        .map_err(|e| internal_page(app, &e))?
        .ok_or_else(|| Redirect::to("/supervisor/login").into_response())?;
    Ok(Current {
        supervisor,
        session,
    })
}

/// [`current`] plus the CSRF check of a POST; answers the parsed form.
async fn current_post(
    app: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Current, HashMap<String, String>), Response> {
    let current = current(app, headers).await?;
    let form = parse_form(body);
    if form.get(CSRF_FIELD) != Some(&current.session.csrf_token) {
        return Err(forbidden(
            app,
            "Biểu mẫu đã hết hạn hoặc không hợp lệ (CSRF). Hãy tải lại trang và thử lại.",
        ));
    }
    Ok((current, form))
}

// ---------------------------------------------------------------------------------------
// Certificates ("Phê duyệt chứng thư số").

/// `GET /supervisor/certificates`: pending certificates of the supervisor's schools,
/// then the decided ones.
pub(crate) async fn certificates_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let current = match current(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let list = match app
        .store()
        .certificates_for_supervisor(current.supervisor.id, None)
        .await
    {
        Ok(l) => l,
        Err(e) => return internal_page(&app, &e),
    };
    let (pending, decided): (Vec<_>, Vec<_>) = list
        .into_iter()
        .partition(|c| c.status == CertificateStatus::Pending);
    let mut body = nav(&current);
    body.push_str("<h2>Chờ phê duyệt</h2>");
    if pending.is_empty() {
        body.push_str("<p>Không có chứng thư số nào chờ phê duyệt.</p>");
    } else {
        body.push_str(CERT_HEAD);
        for c in &pending {
            cert_row(&mut body, c);
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("<h2>Đã xử lý</h2>");
    if decided.is_empty() {
        body.push_str("<p>Chưa có.</p>");
    } else {
        body.push_str(CERT_HEAD);
        for c in &decided {
            cert_row(&mut body, c);
        }
        body.push_str("</tbody></table>");
    }
    page(
        StatusCode::OK,
        "Phê duyệt chứng thư số",
        app.config().demo,
        &body,
    )
}

const CERT_HEAD: &str = "<table><thead><tr><th>Trường</th><th>Chủ thể</th><th>Tổ chức cấp</th>\
<th>Hiệu lực</th><th>Dấu vân tay SHA-256</th><th>Trạng thái</th></tr></thead><tbody>";

fn cert_row(body: &mut String, c: &SubmittedCertificate) {
    let _ = write!(
        body,
        r#"<tr><td>{}</td><td><a href="/supervisor/certificates/{}">{}</a></td><td>{}</td><td>{} – {}</td><td><code>{}</code></td><td>{}{}</td></tr>"#,
        esc(&c.school_code),
        c.id,
        esc(&c.subject),
        esc(&c.issuer),
        vn_date(c.not_before),
        vn_date(c.not_after),
        esc(&c.fingerprint),
        status_vi(c.status),
        c.comment
            .as_deref()
            .map(|m| format!("<br><span class=\"note\">{}</span>", esc(m)))
            .unwrap_or_default(),
    );
}

/// `GET /supervisor/certificates/{id}`: one certificate with the approve and reject
/// forms; 403 for a school the supervisor does not supervise.
pub(crate) async fn certificate_page(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let current = match current(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let c = match scoped_certificate(&app, &current, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut body = nav(&current);
    let _ = write!(
        body,
        r#"<table><tbody>
<tr><th>Trường</th><td>{school}</td></tr>
<tr><th>Chủ thể (Subject)</th><td>{subject}</td></tr>
<tr><th>Tổ chức cấp (Issuer)</th><td>{issuer}</td></tr>
<tr><th>Hiệu lực</th><td>từ {from} đến {to}</td></tr>
<tr><th>Dấu vân tay SHA-256</th><td><code>{fp}</code></td></tr>
<tr><th>Ngày gửi</th><td>{sent}</td></tr>
<tr><th>Trạng thái</th><td>{status}</td></tr>
{decided}</tbody></table>"#,
        school = esc(&c.school_code),
        subject = esc(&c.subject),
        issuer = esc(&c.issuer),
        from = vn_date(c.not_before),
        to = vn_date(c.not_after),
        fp = esc(&c.fingerprint),
        sent = vn_date(c.submitted_at),
        status = status_vi(c.status),
        decided = match (&c.decided_by, c.decided_at) {
            (Some(by), Some(at)) => format!(
                "<tr><th>Người xử lý</th><td>{} ({})</td></tr><tr><th>Ý kiến</th><td>{}</td></tr>",
                esc(by),
                vn_date(at),
                esc(c.comment.as_deref().unwrap_or("—"))
            ),
            _ => String::new(),
        },
    );
    let expired = c.not_after < app.now();
    if expired {
        body.push_str(
            r#"<p class="verdict invalid">Chứng thư số đã hết hiệu lực: không thể phê duyệt.</p>"#,
        );
    }
    if c.status == CertificateStatus::Pending {
        let csrf = esc(&current.session.csrf_token);
        let _ = write!(
            body,
            r#"<h2>Quyết định</h2>
<form method="post" action="/supervisor/certificates/{id}/approve">
<input type="hidden" name="{CSRF_FIELD}" value="{csrf}">
<p><label>Ý kiến (không bắt buộc)<br><input name="comment" maxlength="2000"></label></p>
<p><button type="submit">Phê duyệt</button> <span class="note">Học bạ đóng dấu bằng chứng thư này từ thời điểm phê duyệt sẽ được CSDL chấp nhận.</span></p>
</form>
<form method="post" action="/supervisor/certificates/{id}/reject">
<input type="hidden" name="{CSRF_FIELD}" value="{csrf}">
<p><label>Lý do từ chối (bắt buộc)<br><textarea name="comment" required maxlength="2000"></textarea></label></p>
<p><button type="submit">Từ chối</button></p>
</form>"#,
        );
    }
    page(StatusCode::OK, "Chứng thư số", app.config().demo, &body)
}

/// `POST /supervisor/certificates/{id}/approve`.
pub(crate) async fn approve(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    decide(&app, id, &headers, &body, true).await
}

/// `POST /supervisor/certificates/{id}/reject`.
pub(crate) async fn reject(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    decide(&app, id, &headers, &body, false).await
}

async fn decide(
    app: &AppState,
    id: i64,
    headers: &HeaderMap,
    body: &[u8],
    approve: bool,
) -> Response {
    let (current, form) = match current_post(app, headers, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let c = match scoped_certificate(app, &current, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if c.status != CertificateStatus::Pending {
        return message_page(
            app,
            StatusCode::CONFLICT,
            "Chứng thư số này đã được xử lý trước đó; không có gì thay đổi.",
        );
    }
    let comment = form
        .get("comment")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if comment.as_ref().is_some_and(|s| s.chars().count() > 2000) {
        return message_page(
            app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Ý kiến dài quá 2000 ký tự.",
        );
    }
    let now = app.now();
    if approve && c.not_after < now {
        return message_page(
            app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Chứng thư số đã hết hiệu lực: không thể phê duyệt. Hãy từ chối kèm lý do.",
        );
    }
    let decision = if approve {
        Decision::Approve {
            approved_from: now,
            comment,
        }
    } else {
        let Some(comment) = comment else {
            return message_page(
                app,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Hãy ghi lý do từ chối để trường biết cần sửa gì.",
            );
        };
        Decision::Reject { comment }
    };
    let by = format!(
        "{} ({})",
        current.supervisor.username, current.supervisor.authority
    );
    let by: String = by.chars().take(200).collect();
    match app
        .store()
        .decide_certificate(id, current.supervisor.id, &decision, &by, now)
        .await
    {
        Ok(()) => {
            app.forget_seal_approvals(&c.school_code);
            tracing::info!(
                id,
                school = %c.school_code,
                supervisor = %current.supervisor.username,
                approve,
                "certificate decided"
            );
            Redirect::to(&format!("/supervisor/certificates/{id}")).into_response()
        }
        Err(store::Error::NotFound { .. }) => message_page(
            app,
            StatusCode::CONFLICT,
            "Chứng thư số này đã được xử lý trước đó; không có gì thay đổi.",
        ),
        Err(e) => internal_page(app, &e),
    }
}

/// The certificate if it belongs to one of the supervisor's schools; 404 or 403.
async fn scoped_certificate(
    app: &AppState,
    current: &Current,
    id: i64,
) -> Result<SubmittedCertificate, Response> {
    let c = app
        .store()
        .certificate(id)
        .await
        .map_err(|e| internal_page(app, &e))?
        .ok_or_else(crate::html::not_found)?;
    if !current.supervisor.schools.contains(&c.school_code) {
        tracing::info!(
            id,
            supervisor = %current.supervisor.username,
            school = %c.school_code,
            "certificate of another authority refused"
        );
        return Err(forbidden(
            app,
            "Chứng thư số này thuộc trường không do cơ quan của bạn quản lý.",
        ));
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------------
// Dashboard ("Tiến độ nộp học bạ").

/// One row of the dashboard: a school and grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRow {
    /// `MaTruong`.
    pub school_code: String,
    /// Tên trường.
    pub school_name: String,
    /// Cấp học.
    pub level: domain::Level,
    /// Khối lớp.
    pub grade: u8,
    /// Records the school reported as expected; `None`: not reported.
    pub expected: Option<i64>,
    /// Students with an accepted record.
    pub received: i64,
    /// Of those, accepted by the end of 25 June.
    pub by_june: i64,
    /// Distinct documents refused.
    pub rejected: i64,
}

/// The dashboard of one supervisor for the school year starting in `start_year`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The school year's first calendar year.
    pub start_year: u16,
    /// Days until 25 June (negative: past).
    pub days_to_june: i64,
    /// Days until 10 August (negative: past).
    pub days_to_august: i64,
    /// Rows by school code, then grade.
    pub rows: Vec<ProgressRow>,
    /// Schools late against a passed deadline.
    pub late: Vec<String>,
}

impl ProgressRow {
    /// Whether this row is behind a deadline already passed at the [`Progress`]'s time:
    /// after 25 June fewer records than expected arrived by then; after 10 August fewer
    /// than expected at all. Without an expected count a school is late only when
    /// nothing at all arrived for the grade.
    pub fn late(&self, days_to_june: i64, days_to_august: i64) -> bool {
        let behind = |n: i64| match self.expected {
            Some(e) => n < e,
            None => n == 0,
        };
        (days_to_june < 0 && behind(self.by_june)) || (days_to_august < 0 && behind(self.received))
    }
}

/// Computes the dashboard of `supervisor` at `now`.
pub async fn progress(
    store: &Store,
    supervisor: &Supervisor,
    start_year: u16,
    now: i64,
) -> Result<Progress, store::Error> {
    let end = i64::from(start_year) + 1;
    let today = days_from_unix(now + VN_OFFSET);
    let june = days_from_civil(end, 6, 25);
    let august = days_from_civil(end, 8, 10);
    // The end of 25 June in Vietnam, as a Unix time.
    let june_end = (june + 1) * 86_400 - VN_OFFSET;
    let mut rows = Vec::new();
    let mut late = Vec::new();
    for code in &supervisor.schools {
        let Some(school) = store.registry_school(code).await? else {
            continue;
        };
        let expected = store.expected_counts(code, start_year).await?;
        let received = store.received_counts(code, start_year, june_end).await?;
        let rejected = store.rejected_counts(code, start_year).await?;
        let mut grades: Vec<u8> = expected
            .iter()
            .map(|e| e.grade)
            .chain(received.iter().map(|r| r.grade))
            .chain(rejected.iter().filter_map(|r| r.grade))
            .collect();
        if grades.is_empty() {
            grades = school_grades(school.level);
        }
        grades.sort_unstable();
        grades.dedup();
        let mut school_late = false;
        for grade in grades {
            let got = received.iter().find(|r| r.grade == grade);
            let row = ProgressRow {
                school_code: school.code.clone(),
                school_name: school.name.clone(),
                level: school.level,
                grade,
                expected: expected
                    .iter()
                    .find(|e| e.grade == grade)
                    .map(|e| e.expected),
                received: got.map_or(0, |r| r.received),
                by_june: got.map_or(0, |r| r.before_deadline),
                rejected: rejected
                    .iter()
                    .filter(|r| r.grade == Some(grade))
                    .map(|r| r.rejected)
                    .sum(),
            };
            school_late |= row.late(june - today, august - today);
            rows.push(row);
        }
        if school_late {
            late.push(school.code.clone());
        }
    }
    Ok(Progress {
        start_year,
        days_to_june: june - today,
        days_to_august: august - today,
        rows,
        late,
    })
}

/// `GET /supervisor/dashboard?year=2025`.
pub(crate) async fn dashboard_page(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let current = match current(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let year = match year_param(&app, &q) {
        Ok(y) => y,
        Err(r) => return r,
    };
    let p = match progress(app.store(), &current.supervisor, year, app.now()).await {
        Ok(p) => p,
        Err(e) => return internal_page(&app, &e),
    };
    let mut body = nav(&current);
    let left = |n: i64| match n {
        0 => "hôm nay là hạn cuối".to_owned(),
        n if n > 0 => format!("còn {n} ngày"),
        n => format!("đã quá hạn {} ngày", -n),
    };
    let _ = write!(
        body,
        r#"<p>Năm học {y}-{y1}. <a href="/supervisor/dashboard.xlsx?year={y}">Xuất Excel</a> · <a href="/supervisor/dashboard?year={y_1}">← Năm học {y_1}-{y}</a> · <a href="/supervisor/dashboard?year={y1}">Năm học {y1}-{y2} →</a></p>
<ul><li><strong>25/06/{y1}</strong> — học sinh hoàn thành chương trình lớp học: {june}.</li>
<li><strong>10/08/{y1}</strong> — các học sinh còn lại và học bạ bị từ chối đã sửa: {aug}.</li></ul>"#,
        y = p.start_year,
        y1 = p.start_year + 1,
        y2 = p.start_year + 2,
        y_1 = p.start_year - 1,
        june = left(p.days_to_june),
        aug = left(p.days_to_august),
    );
    if p.late.is_empty() {
        body.push_str("<p>Không có trường nào trễ hạn.</p>");
    } else {
        let _ = write!(
            body,
            r#"<p class="verdict invalid">Trễ hạn: {}</p>"#,
            esc(&p.late.join(", "))
        );
    }
    if p.rows.iter().any(|r| r.expected.is_none()) {
        body.push_str(
            r#"<p class="note">Trường chưa báo số học bạ dự kiến ở những dòng ghi "chưa báo": bảng chỉ cho biết số học bạ đã nhận theo khối lớp.</p>"#,
        );
    }
    body.push_str(
        "<table><thead><tr><th>Trường</th><th>Cấp học</th><th>Khối</th><th>Dự kiến</th>\
<th>Đã nhận (chấp nhận)</th><th>Nhận trước 25/06</th><th>Bị từ chối</th><th>Tiến độ</th>\
<th>Tình trạng</th></tr></thead><tbody>",
    );
    for r in &p.rows {
        let late = r.late(p.days_to_june, p.days_to_august);
        let _ = write!(
            body,
            r#"<tr{cls}><td>{code} — {name}</td><td>{level}</td><td>{grade}</td><td>{exp}</td><td>{rec}</td><td>{june}</td><td>{rej}</td><td>{pct}</td><td>{state}</td></tr>"#,
            cls = if late { r#" class="invalid""# } else { "" },
            code = esc(&r.school_code),
            name = esc(&r.school_name),
            level = r.level.name_vi(),
            grade = r.grade,
            exp = r
                .expected
                .map_or_else(|| "chưa báo".to_owned(), |e| e.to_string()),
            rec = r.received,
            june = r.by_june,
            rej = r.rejected,
            pct = percent(r).unwrap_or_else(|| "—".to_owned()),
            state = if late {
                "Trễ hạn"
            } else {
                "Đúng tiến độ"
            },
        );
    }
    body.push_str("</tbody></table>");
    page(
        StatusCode::OK,
        "Tiến độ nộp học bạ",
        app.config().demo,
        &body,
    )
}

/// `GET /supervisor/dashboard.xlsx?year=2025`: the same table as an Excel workbook.
pub(crate) async fn dashboard_xlsx(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let current = match current(&app, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let year = match year_param(&app, &q) {
        Ok(y) => y,
        Err(r) => return r,
    };
    let p = match progress(app.store(), &current.supervisor, year, app.now()).await {
        Ok(p) => p,
        Err(e) => return internal_page(&app, &e),
    };
    match progress_xlsx(&p) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"tien-do-hoc-ba-{year}.xlsx\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => internal_page(&app, &e),
    }
}

/// The dashboard as a workbook: one sheet "Tiến độ", a header row, one row per school
/// and grade (expected empty when not reported).
pub fn progress_xlsx(p: &Progress) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Tiến độ")?;
    let head = [
        "Mã trường",
        "Tên trường",
        "Cấp học",
        "Khối",
        "Dự kiến",
        "Đã nhận",
        "Nhận trước 25/06",
        "Bị từ chối",
        "Tình trạng",
    ];
    for (c, h) in (0u16..).zip(head) {
        sheet.write_string(0, c, h)?;
    }
    for (r, row) in (1u32..).zip(&p.rows) {
        sheet.write_string(r, 0, &row.school_code)?;
        sheet.write_string(r, 1, &row.school_name)?;
        sheet.write_string(r, 2, row.level.name_vi())?;
        sheet.write_number(r, 3, f64::from(row.grade))?;
        if let Some(e) = row.expected {
            sheet.write_number(r, 4, e as f64)?;
        } else {
            sheet.write_string(r, 4, "chưa báo")?;
        }
        sheet.write_number(r, 5, row.received as f64)?;
        sheet.write_number(r, 6, row.by_june as f64)?;
        sheet.write_number(r, 7, row.rejected as f64)?;
        let state = if row.late(p.days_to_june, p.days_to_august) {
            "Trễ hạn"
        } else {
            "Đúng tiến độ"
        };
        sheet.write_string(r, 8, state)?;
    }
    book.save_to_buffer()
}

fn percent(r: &ProgressRow) -> Option<String> {
    let e = r.expected.filter(|e| *e > 0)?;
    Some(format!("{}%", r.received * 100 / e))
}

fn school_grades(level: domain::Level) -> Vec<u8> {
    match level {
        domain::Level::Primary => (1..=5).collect(),
        domain::Level::LowerSecondary => (6..=9).collect(),
        _ => (10..=12).collect(),
    }
}

fn year_param(app: &AppState, q: &HashMap<String, String>) -> Result<u16, Response> {
    match q.get("year") {
        None => {
            // The school year runs September to August (Vietnam time).
            let days = days_from_unix(app.now() + VN_OFFSET);
            let (y, m, _) = civil_from_days(days);
            let start = if m >= 9 { y } else { y - 1 };
            Ok(u16::try_from(start).unwrap_or(2025))
        }
        Some(y) => y
            .parse::<u16>()
            .ok()
            .filter(|y| (2000..=2198).contains(y))
            .ok_or_else(|| message_page(app, StatusCode::BAD_REQUEST, "Năm học không hợp lệ.")),
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn nav(current: &Current) -> String {
    format!(
        r#"<p class="note">{user} — {authority} · <a href="/supervisor/certificates">Phê duyệt chứng thư số</a> · <a href="/supervisor/dashboard">Tiến độ nộp học bạ</a> · <a href="/supervisor/revocations">Phê duyệt thu hồi</a></p>
<form method="post" action="/supervisor/logout" style="padding:.3rem;display:inline"><input type="hidden" name="{CSRF_FIELD}" value="{csrf}"><button type="submit">Đăng xuất</button></form>"#,
        user = esc(&current.supervisor.username),
        authority = esc(&current.supervisor.authority),
        csrf = esc(&current.session.csrf_token),
    )
}

fn status_code(s: CertificateStatus) -> &'static str {
    match s {
        CertificateStatus::Pending => "pending",
        CertificateStatus::Approved => "approved",
        CertificateStatus::Rejected => "rejected",
    }
}

fn status_vi(s: CertificateStatus) -> &'static str {
    match s {
        CertificateStatus::Pending => "Chờ phê duyệt",
        CertificateStatus::Approved => "Đã phê duyệt",
        CertificateStatus::Rejected => "Từ chối",
    }
}

fn forbidden(app: &AppState, message: &str) -> Response {
    message_page(app, StatusCode::FORBIDDEN, message)
}

fn message_page(app: &AppState, status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Không thực hiện được",
        app.config().demo,
        &format!(
            r#"<p>{}</p><p><a href="/supervisor/certificates">Quay lại</a></p>"#,
            esc(message)
        ),
    )
}

fn server_error(app: &AppState) -> Response {
    message_page(
        app,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Hệ thống gặp lỗi, hãy thử lại sau.",
    )
}

fn internal_page(app: &AppState, e: &dyn std::error::Error) -> Response {
    let _ = internal(e); // logs the cause chain
    server_error(app)
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn random_hex(n: usize) -> Option<String> {
    web::random_hex(n).ok()
}

/// A valid argon2id hash of a random password, computed once: what an unknown username
/// is checked against.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_hex(16).unwrap_or_default()).unwrap_or_default())
        .clone()
}

fn vn_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(days_from_unix(unix + VN_OFFSET));
    format!("{d:02}/{m:02}/{y}")
}

fn days_from_unix(t: i64) -> i64 {
    t.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        for (y, m, d) in [(1970, 1, 1), (2026, 6, 25), (2000, 2, 29), (2099, 12, 31)] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 2), 1);
        // 2026-06-24T17:00:00Z is midnight of 25 June in Vietnam.
        assert_eq!(vn_date(1_782_320_400), "25/06/2026");
    }

    #[test]
    fn pem_round_trips() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = pki::pem::encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        let back = xmldsig::certificates_from_pem_or_der(pem.as_bytes()).unwrap();
        // Not a certificate, but the base64 framing must decode back to the same bytes.
        assert_eq!(back, vec![der]);
    }
}
