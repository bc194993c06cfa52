//! Accounts and sessions: argon2id passwords, database sessions behind an HttpOnly
//! cookie, the CSRF check on every POST, login rate limiting, logout and "Đổi mật khẩu".
//!
//! Every request passes through [`session_layer`]: it resolves the session cookie into a
//! [`CurrentUser`] request extension and, for every POST, checks the form's `_csrf`
//! field against the session's token (against the login cookie's token for `/login`)
//! before any handler runs. Handlers then take [`CurrentUser`] as an extractor, which
//! redirects to the login page when there is no session.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::{NewSession, School, Session, Teacher};

use crate::AppState;
use crate::error::{AppError, redirect};
use crate::html::{Page, bare_page, csrf_field, esc, page};

/// The password of every seeded account in demo mode. Outside demo mode an account that
/// logs in with it must change it before doing anything else.
pub const DEMO_PASSWORD: &str = "hocba-demo";

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// The session cookie. Its value is 32 random bytes in hex; the database keeps only the
/// SHA-256 of it.
pub const SESSION_COOKIE: &str = "hocba_session";

/// The cookie holding the login form's CSRF token (double-submit: no session exists yet).
pub const LOGIN_CSRF_COOKIE: &str = "hocba_login_csrf";

/// Shortest accepted new password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Largest accepted POST body (a class score sheet is a few tens of kilobytes).
const MAX_FORM_BYTES: usize = 1 << 20;

/// How often `last_seen_at` is written at most, to spare the database a write per request.
const TOUCH_EVERY_SECS: i64 = 60;

/// Hashes `password` with argon2id and a fresh salt (`web::hash_password`); returns the
/// PHC string stored in `teachers.password_hash`. Slow on purpose (tens of milliseconds):
/// call it off the async runtime.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    web::hash_password(password).map_err(|e| AppError::Internal(e.to_string()))
}

pub use web::verify_password;

/// The logged-in user of a request: the account, its school and its session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account, with its roles.
    pub teacher: Teacher,
    /// The account's school.
    pub school: School,
    /// The session (holds the CSRF token).
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    /// The user resolved by [`session_layer`]; [`AppError::LoginRequired`] without one,
    /// [`AppError::PasswordChangeRequired`] while the session must change its password
    /// (except on the password and logout pages).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user = parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::LoginRequired)?;
        if user.session.must_change_password && !matches!(parts.uri.path(), "/password" | "/logout")
        {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(user)
    }
}

/// The address the request came from (the socket peer; no proxy headers are trusted).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Resolves the session cookie into a [`CurrentUser`] extension and checks the CSRF
/// token of every POST before the handler runs (403 [`AppError::Csrf`] otherwise, with
/// nothing read further and nothing changed).
pub async fn session_layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    match resolve(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn resolve(app: &AppState, mut req: Request) -> Result<Request, AppError> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    req.extensions_mut().insert(ClientIp(ip));

    let user = match cookie(req.headers(), SESSION_COOKIE) {
        Some(value) => load_user(app, &sha256_hex(value)).await?,
        None => None,
    };
    if let Some(u) = &user {
        req.extensions_mut().insert(u.clone());
    }
    if req.method() != Method::POST {
        return Ok(req);
    }

    let expected = if req.uri().path() == "/login" {
        cookie(req.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned)
    } else {
        user.map(|u| u.session.csrf_token)
    };
    let (parts, body) = req.into_parts();
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // An upload (a key file, an Excel sheet) is a multipart form and may be larger.
    let (limit, too_large) = if crate::multipart::is_multipart(content_type) {
        (crate::excel::MAX_REQUEST_BYTES, crate::excel::TOO_LARGE)
    } else {
        (MAX_FORM_BYTES, "Biểu mẫu quá lớn.")
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::BadRequest(too_large.to_owned()))?;
    let sent = if crate::multipart::is_multipart(content_type) {
        crate::multipart::text_field(content_type, &bytes, CSRF_FIELD)
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == CSRF_FIELD)
                    .map(|(_, v)| v)
            })
    };
    match (expected, sent) {
        (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()) => {}
        _ => return Err(AppError::Csrf),
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The user of a live session: not expired, not idle for longer than the idle timeout.
async fn load_user(app: &AppState, id_hash: &str) -> Result<Option<CurrentUser>, AppError> {
    let store = app.store();
    let now = unix_now();
    let Some(session) = store.session(id_hash, now).await? else {
        return Ok(None);
    };
    if now - session.last_seen_at > app.config().idle_timeout.as_secs() as i64 {
        store.delete_session(id_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_EVERY_SECS {
        store.touch_session(id_hash, now).await?;
    }
    let teacher = store.teacher(session.teacher).await?;
    let school = store.school(teacher.school).await?;
    Ok(Some(CurrentUser {
        teacher,
        school,
        session,
    }))
}

// ---------------------------------------------------------------------------------------
// Login, logout, password change.

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// `GET /login`: the "Đăng nhập" form, with a fresh login CSRF cookie.
pub async fn login_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if has_live_session(&app, &headers).await {
        return redirect("/");
    }
    login_form(&app, StatusCode::OK, None, "")
}

/// `POST /login`: checks the password (argon2id), refuses after too many failures for
/// this username and address, opens a session and redirects home — or to "Đổi mật khẩu"
/// when a seeded password is used outside demo mode.
pub async fn login(
    State(app): State<AppState>,
    axum::Extension(ClientIp(ip)): axum::Extension<ClientIp>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_owned();
    let key = (username.to_lowercase(), ip);
    if app.limiter().blocked(&key) {
        return Ok(login_form(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."),
            &username,
        ));
    }
    let teacher = app.store().teacher_by_username(&username).await?;
    // Unknown accounts are checked against a dummy hash so that timing does not tell
    // which usernames exist.
    let phc = teacher
        .as_ref()
        .and_then(|t| t.password_hash.clone())
        .unwrap_or_else(|| app.dummy_hash().to_owned());
    let password = form.password;
    let (ok, password) = tokio::task::spawn_blocking(move || {
        let ok = verify_password(&password, &phc);
        (ok, password)
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check task: {e}")))?;
    let teacher = match teacher {
        Some(t) if ok && t.password_hash.is_some() => t,
        _ => {
            app.limiter().fail(key);
            tracing::info!(username = %username, %ip, "failed login");
            return Ok(login_form(
                &app,
                StatusCode::UNAUTHORIZED,
                Some("Tên đăng nhập hoặc mật khẩu không đúng."),
                &username,
            ));
        }
    };
    app.limiter().clear(&key);
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        app.store().delete_session(&sha256_hex(old)).await?;
    }
    // A seeded password outside demo mode, or a first-login password the school admin
    // issued and the account has not changed yet.
    let must_change = (!app.config().demo && password == DEMO_PASSWORD)
        || app.store().must_change_password(teacher.id).await?;
    let id = random_hex(32)?;
    let now = unix_now();
    app.store()
        .insert_session(&NewSession {
            id_hash: sha256_hex(&id),
            teacher: teacher.id,
            csrf_token: random_hex(32)?,
            created_at: now,
            expires_at: now + app.config().session_ttl.as_secs() as i64,
            must_change_password: must_change,
        })
        .await?;
    tracing::info!(username = %username, %ip, "logged in");
    let mut response = redirect(if must_change { "/password" } else { "/" });
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        cookie_header(&format!(
            "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
            app.config().session_ttl.as_secs(),
            secure(&app)
        ))?,
    );
    cookies.append(
        header::SET_COOKIE,
        cookie_header(&format!(
            "{LOGIN_CSRF_COOKIE}=; HttpOnly; SameSite=Strict; Path=/login; Max-Age=0{}",
            secure(&app)
        ))?,
    );
    Ok(response)
}

/// `POST /logout`: ends the session and expires the cookie.
pub async fn logout(State(app): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    app.store().delete_session(&user.session.id_hash).await?;
    let mut response = redirect("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&format!(
            "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
            secure(&app)
        ))?,
    );
    Ok(response)
}

/// The "Đổi mật khẩu" form's fields.
#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// `GET /password`: the "Đổi mật khẩu" form.
pub async fn password_page(State(app): State<AppState>, user: CurrentUser) -> Page {
    password_form(&app, &user, StatusCode::OK, None)
}

/// `POST /password`: checks the current password and the new one (at least
/// [`MIN_PASSWORD_CHARS`] characters, not the demo password, typed twice the same),
/// stores its argon2id hash, lifts the "must change" mark and ends the account's other
/// sessions.
pub async fn change_password(
    State(app): State<AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Page, AppError> {
    let phc = user.teacher.password_hash.clone().unwrap_or_default();
    let current = form.current;
    let current_ok = tokio::task::spawn_blocking(move || verify_password(&current, &phc))
        .await
        .map_err(|e| AppError::Internal(format!("password check task: {e}")))?;
    let problem = if !current_ok {
        Some("Mật khẩu hiện tại không đúng.")
    } else if form.new.chars().count() < MIN_PASSWORD_CHARS || form.new.len() > 200 {
        Some("Mật khẩu mới phải có từ 10 kí tự trở lên.")
    } else if form.new == DEMO_PASSWORD || form.new == user.teacher.username {
        Some("Mật khẩu mới không được là mật khẩu trình diễn hay tên đăng nhập.")
    } else if form.new != form.confirm {
        Some("Hai lần nhập mật khẩu mới không giống nhau.")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Ok(password_form(
            &app,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(problem),
        ));
    }
    let new = form.new;
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|e| AppError::Internal(format!("password hash task: {e}")))??;
    let store = app.store();
    // The audit entry says that the password changed, never what it is.
    store
        .set_password_hash_audited(user.teacher.id, &hash, &crate::history::stamp(&user))
        .await?;
    store
        .set_session_must_change_password(&user.session.id_hash, false)
        .await?;
    store
        .delete_sessions_of_teacher(user.teacher.id, Some(&user.session.id_hash))
        .await?;
    tracing::info!(username = %user.teacher.username, "password changed");
    let mut user = user;
    user.session.must_change_password = false;
    Ok(page(
        &user,
        app.config().demo,
        "Đổi mật khẩu",
        r#"<p class="ok">Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã được đóng.</p><p><a href="/">Về trang chủ</a></p>"#,
    ))
}

fn password_form(
    app: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    problem: Option<&str>,
) -> Page {
    let notice = if user.session.must_change_password {
        r#"<p class="warn">Tài khoản đang dùng mật khẩu được cấp sẵn. Bạn cần đổi mật khẩu trước khi làm việc.</p>"#
    } else {
        ""
    };
    let problem = problem
        .map(|p| format!(r#"<p class="error-message">{}</p>"#, esc(p)))
        .unwrap_or_default();
    let body = format!(
        r#"{notice}{problem}
<form method="post" action="/password" class="stacked">{csrf}
<label>Mật khẩu hiện tại <input type="password" name="current" autocomplete="current-password" required></label>
<label>Mật khẩu mới (ít nhất 10 kí tự) <input type="password" name="new" autocomplete="new-password" minlength="10" required></label>
<label>Nhập lại mật khẩu mới <input type="password" name="confirm" autocomplete="new-password" minlength="10" required></label>
<button type="submit">Đổi mật khẩu</button>
</form>"#,
        csrf = csrf_field(&user.session.csrf_token),
    );
    let mut p = page(user, app.config().demo, "Đổi mật khẩu", &body);
    p.status = status;
    p
}

fn login_form(
    app: &AppState,
    status: StatusCode,
    problem: Option<&str>,
    username: &str,
) -> Response {
    let token = match random_hex(32) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let problem = problem
        .map(|p| format!(r#"<p class="error-message">{}</p>"#, esc(p)))
        .unwrap_or_default();
    let body = format!(
        r#"{problem}
<form method="post" action="/login" class="stacked">{csrf}
<label>Tên đăng nhập <input name="username" value="{username}" autocomplete="username" autofocus required></label>
<label>Mật khẩu <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Đăng nhập</button>
</form>"#,
        csrf = csrf_field(&token),
        username = esc(username),
    );
    let mut response = bare_page(status, "Đăng nhập", app.config().demo, &body).into_response();
    match cookie_header(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600{}",
        secure(app)
    )) {
        Ok(v) => {
            response.headers_mut().append(header::SET_COOKIE, v);
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn has_live_session(app: &AppState, headers: &HeaderMap) -> bool {
    match cookie(headers, SESSION_COOKIE) {
        Some(v) => matches!(load_user(app, &sha256_hex(v)).await, Ok(Some(_))),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------
// Login rate limiting.

/// Failed logins per (lower-cased username, client address), in memory: after
/// `max_failures` failures within `window`, further attempts are refused without checking
/// the password until the oldest failure leaves the window. A success clears the count.
#[derive(Debug)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<(String, IpAddr), VecDeque<Instant>>>,
    max_failures: usize,
    window: Duration,
}

/// Above this many tracked keys, keys without a failure inside the window are dropped.
const LIMITER_SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    /// A limiter allowing `max_failures` failures per key within `window`.
    pub fn new(max_failures: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
            max_failures,
            window,
        }
    }

    /// Whether the key has used up its failures.
    pub fn blocked(&self, key: &(String, IpAddr)) -> bool {
        let mut map = self.lock();
        let now = Instant::now();
        match map.get_mut(key) {
            Some(times) => {
                prune(times, now, self.window);
                times.len() >= self.max_failures
            }
            None => false,
        }
    }

    /// Counts one failure.
    pub fn fail(&self, key: (String, IpAddr)) {
        let mut map = self.lock();
        let now = Instant::now();
        if map.len() >= LIMITER_SWEEP_AT {
            let window = self.window;
            map.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
        }
        let times = map.entry(key).or_default();
        prune(times, now, self.window);
        times.push_back(now);
    }

    /// Forgets the key's failures (after a successful login).
    pub fn clear(&self, key: &(String, IpAddr)) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, IpAddr), VecDeque<Instant>>> {
        // A panic while holding the lock leaves a map that is still consistent (every
        // operation is a single insert/remove/prune), so a poisoned lock is used as is.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `n` random bytes from the operating system, in lowercase hex.
pub fn random_hex(n: usize) -> Result<String, AppError> {
    web::random_hex(n).map_err(|e| AppError::Internal(e.to_string()))
}

/// SHA-256 of `value`, lowercase hex: how a session id is stored.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

pub use web::cookie;

fn cookie_header(text: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(text).map_err(|e| AppError::Internal(format!("cookie header: {e}")))
}

fn secure(app: &AppState) -> &'static str {
    if app.config().secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_round_trips() {
        let phc = hash_password("mật khẩu dài").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài", &phc));
        assert!(!verify_password("mat khau dai", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn limiter_blocks_after_the_allowed_failures_per_key() {
        let l = LoginLimiter::new(2, Duration::from_secs(900));
        let a = ("gv.toan".to_owned(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let b = ("gv.van".to_owned(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        l.fail(a.clone());
        assert!(!l.blocked(&a));
        l.fail(a.clone());
        assert!(l.blocked(&a));
        assert!(!l.blocked(&b));
        l.clear(&a);
        assert!(!l.blocked(&a));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hocba_session=abc; b="),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(cookie(&h, "c"), None);
    }
}
