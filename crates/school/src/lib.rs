#![doc = include_str!("../README.md")]

mod admin;
mod audit_page;
mod auth;
mod certificates;
mod error;
mod excel;
mod grades;
mod history;
mod html;
mod multipart;
mod overview;
mod paper;
mod permission;
pub mod primary;
pub mod records;
mod registry_link;
mod revocation;
mod signing;
mod summary;
mod summer;
pub mod sync;
mod workflow;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

pub use auth::{
    CSRF_FIELD, CurrentUser, DEMO_PASSWORD, LOGIN_CSRF_COOKIE, LoginLimiter, SESSION_COOKIE,
    hash_password, verify_password,
};
pub use error::AppError;
pub use permission::{Grant, Menu, Permission, allows, require};
pub use signing::SealKey;

/// Settings of the school server. Build it with [`Config::default`] and adjust; every
/// field is documented once here.
#[derive(Debug, Clone)]
pub struct Config {
    /// Demo mode: a banner on every page, and logging in with [`DEMO_PASSWORD`] does not
    /// force a password change. Never on a real school's data.
    pub demo: bool,
    /// Adds `Secure` to the cookies; turn it on whenever the server is reached over HTTPS
    /// (behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// A session ends this long after login, whatever happens (default 12 hours).
    pub session_ttl: Duration,
    /// A session ends after this long without a request (default 2 hours).
    pub idle_timeout: Duration,
    /// Failed logins allowed per username and client address within
    /// `login_failure_window` before further attempts are refused (default 5).
    pub max_login_failures: usize,
    /// The window of `max_login_failures` (default 15 minutes).
    pub login_failure_window: Duration,
    /// Root CA certificates (PEM bundle) that signers' certificates must chain to, for
    /// every signature made on the server (`hocba serve --trust PATH`). `None`: signing is
    /// refused.
    pub trust_roots_pem: Option<Vec<u8>>,
    /// The school seal's key for "Đóng dấu số" (`hocba serve --seal-p12 PATH
    /// --seal-password-env VAR`): the default for every school without its own key in
    /// `seals`. `None`: such a school's seal is refused.
    pub seal: Option<SealKey>,
    /// Per-school seal keys by school code (`hocba serve --school-seal-p12 CODE=PATH`), for
    /// installations hosting several schools: a school listed here seals with its own
    /// key, never with `seal` (see `signing::seal_key_for`). Empty by default.
    pub seals: std::collections::BTreeMap<String, SealKey>,
    /// The national registry to send sealed records to (`hocba serve --registry-url URL
    /// --registry-token-env VAR --registry-key HEX`): URL and key are server-wide; each
    /// school may store its own token ("Kết nối CSDL"), the configured token is the
    /// default for the others. `None`: sealed records wait in the outbox and the "Đồng bộ
    /// CSDL" page says sync is not configured.
    pub registry: Option<sync::RegistryConfig>,
    /// The registry's public verify page printed (and QR-encoded) on paper copies, the
    /// record id appended as `?code=` (`hocba serve --verify-url URL`). `None`:
    /// `{registry url}/verify` when a registry is configured, else the local demo
    /// registry's address.
    pub verify_url: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            demo: false,
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            idle_timeout: Duration::from_secs(2 * 3600),
            max_login_failures: 5,
            login_failure_window: Duration::from_secs(15 * 60),
            trust_roots_pem: None,
            seal: None,
            seals: std::collections::BTreeMap::new(),
            registry: None,
            verify_url: None,
        }
    }
}

/// Everything a handler needs: the store, the configuration and the login limiter.
/// Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    config: Config,
    limiter: LoginLimiter,
    dummy_hash: String,
    trust: Option<pki::TrustStore>,
}

impl AppState {
    /// The state of a server on `store` with `config`. Hashes one dummy password (used to
    /// answer unknown usernames in the same time as known ones), so it takes a few tens
    /// of milliseconds.
    pub fn new(store: Store, config: Config) -> Result<AppState, AppError> {
        let dummy_hash = hash_password("hocba: no such account")?;
        let limiter = LoginLimiter::new(config.max_login_failures, config.login_failure_window);
        let trust = match &config.trust_roots_pem {
            Some(pem) => Some(
                pki::TrustStore::from_pem_bundle(pem)
                    .map_err(|e| AppError::Internal(format!("trust roots: {e}")))?,
            ),
            None => None,
        };
        Ok(AppState(Arc::new(Inner {
            store,
            config,
            limiter,
            dummy_hash,
            trust,
        })))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The trust store built from [`Config::trust_roots_pem`], if configured.
    pub fn trust(&self) -> Option<&pki::TrustStore> {
        self.0.trust.as_ref()
    }

    fn limiter(&self) -> &LoginLimiter {
        &self.0.limiter
    }

    fn dummy_hash(&self) -> &str {
        &self.0.dummy_hash
    }
}

/// The school application: every page and form, the session and CSRF layer, security
/// headers and the embedded assets. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that login rate limiting sees
/// client addresses (without it every client counts as `0.0.0.0`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/scores", get(grades::assignments))
        .route(
            "/scores/{class}/{subject}",
            get(grades::sheet).post(grades::save_sheet),
        )
        .route("/classes", get(summary::classes))
        .route(
            "/classes/{class}/summary",
            get(summary::summary).post(summary::save_summary),
        )
        .route("/school", get(overview::overview))
        .route(audit_page::HREF, get(audit_page::school_audit))
        .route("/classes/{class}/summer", get(summer::summer_page))
        .route(
            "/classes/{class}/summer/{student}",
            post(summer::save_summer),
        )
        .merge(excel::routes())
        .merge(primary::routes())
        .merge(admin::routes())
        .route("/records", get(workflow::list))
        .route("/classes/{class}/records", get(workflow::class_records))
        .route("/classes/{class}/review", post(workflow::review))
        .route("/classes/{class}/sign", post(workflow::sign_homeroom))
        .route("/students/{code}/records", get(workflow::versions))
        .route("/students/{code}/records/{id}/xml", get(workflow::download))
        .route("/students/{code}/records/{id}/pdf", get(paper::paper_copy))
        .route(
            "/classes/{class}/records/paper",
            post(paper::class_paper_copies),
        )
        .route(
            "/students/{code}/records/{id}/unlock",
            get(signing::unlock_page).post(signing::unlock),
        )
        .route("/signing", get(signing::dashboard))
        .route(
            "/signing/batch",
            get(signing::batch_summary).post(signing::batch_sign),
        )
        .route("/signing/seal", post(signing::seal))
        .route("/students/{code}/history", get(history::history))
        .route("/sync", get(sync::sync_page))
        .route("/sync/resend", post(sync::resend))
        .route(
            "/registry",
            get(registry_link::link_page).post(registry_link::set_token),
        )
        .route(
            "/certificates",
            get(certificates::certificates_page).post(certificates::upload),
        )
        .route(
            "/students/{code}/records/{id}/revoke",
            post(revocation::request),
        )
        .route(
            "/students/{code}/records/{id}/reissue",
            post(revocation::reissue),
        )
        .route("/assets/style.css", get(style_css))
        .route("/assets/grid.js", get(grid_js))
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// `GET /`: the home page of the user's roles: one card per menu entry.
async fn home(State(app): State<AppState>, user: CurrentUser) -> html::Page {
    let mut body = String::from(r#"<div class="cards">"#);
    let items = Menu::for_roles(&user.teacher.roles);
    for item in &items {
        body.push_str(&format!(
            r#"<a class="card" href="{}"><strong>{}</strong><span>{}</span></a>"#,
            item.href(),
            item.label(),
            item.blurb()
        ));
    }
    body.push_str("</div>");
    if items.is_empty() {
        body.push_str(
            "<p>Tài khoản của bạn chưa được giao vai trò nào. Hãy liên hệ quản trị trường.</p>",
        );
    }
    html::page(&user, app.config().demo, "Trang chủ", &body)
}

const STYLE_CSS: &str = include_str!("../assets/style.css");
const GRID_JS: &str = include_str!("../assets/grid.js");

async fn style_css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

async fn grid_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", GRID_JS)
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
