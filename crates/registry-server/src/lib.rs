#![doc = include_str!("../README.md")]

mod admin;
mod api;
mod html;
mod lookup;
mod multipart;
mod revocation;
mod share;
mod supervisor;
mod trust_cache;
mod verify;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use registry::RegistryKey;
use store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

pub use admin::{
    AdminError, ApprovedSeal, SchoolEntry, add_school, approve_seal, new_api_token, seed_demo,
    token_sha256,
};
pub use api::ingest_record;
pub use lookup::{MAX_FAILURES as LOOKUP_MAX_FAILURES, WINDOW_SECS as LOOKUP_WINDOW_SECS};
pub use revocation::{decide_revocation, lineage, pending_revocations};
pub use share::code_sha256 as share_code_sha256;
pub use supervisor::{
    DEMO_SUPERVISOR_PASSWORD, Progress, ProgressRow, add_supervisor, hash_password, progress,
    progress_xlsx, seed_demo_supervisors, verify_password,
};
pub use trust_cache::{MAX_CACHED_CHAINS, TrustCache};
pub use verify::{
    Details, RegistryInfo, SignerView, Verdict, Verification, verify_by_code, verify_document,
};

/// A failure of the server itself (never a verdict about a document).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The store failed.
    #[error("store")]
    Store(#[from] store::Error),
    /// A verification task panicked or was cancelled.
    #[error("verification task")]
    Task(#[from] tokio::task::JoinError),
}

/// The largest record the ingest and verify endpoints take: 2 MiB.
pub const MAX_RECORD_BYTES: usize = 2 * 1024 * 1024;

/// A source of the current time (Unix seconds). The server asks it once per stored
/// record; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Settings of the registry server, each documented once here.
#[derive(Clone)]
pub struct Config {
    /// The registry's name, written into every receipt (default "CSDL học bạ số").
    pub registry_name: String,
    /// Demo mode: a banner on the pages says the data is simulated.
    pub demo: bool,
    /// Where "now" comes from (default: the system clock).
    pub clock: Clock,
    /// Accepted records are stored in batches, one statement and one commit for every
    /// record waiting (default `true`); `false`: one insert per request.
    pub group_commit: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("registry_name", &self.registry_name)
            .field("demo", &self.demo)
            .field("group_commit", &self.group_commit)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            registry_name: "CSDL học bạ số".to_owned(),
            demo: false,
            clock: Arc::new(system_now),
            group_commit: true,
        }
    }
}

/// Everything a handler needs: the store, the receipt key, the trust list of root CAs (with
/// its cache of validated chains), the configuration, and the ingest path's caches and
/// group-commit queue. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    key: RegistryKey,
    trust: Arc<TrustCache>,
    config: Config,
    /// Schools by the SHA-256 of their API token. Only hits are kept: a token never
    /// changes school and schools are never removed, so an entry cannot go stale.
    schools_by_token: RwLock<HashMap<String, store::RegistrySchool>>,
    /// Seal approvals per school code, loaded on first use and forgotten when a
    /// supervisor decides on a certificate. Never the last word: the insert itself
    /// checks the approval in the database (see `api`), and a refusal reloads.
    approvals: RwLock<HashMap<String, Arc<registry::ApprovedSeals>>>,
    /// The group-commit queue of accepted records, started on first use (see `api`).
    ingest_queue: OnceLock<api::IngestQueue>,
}

impl AppState {
    /// A registry on `store` signing receipts with `key`, trusting signers that chain to
    /// `trust`.
    pub fn new(store: Store, key: RegistryKey, trust: pki::TrustStore, config: Config) -> Self {
        AppState(Arc::new(Inner {
            store,
            key,
            trust: Arc::new(TrustCache::new(trust)),
            config,
            schools_by_token: RwLock::new(HashMap::new()),
            approvals: RwLock::new(HashMap::new()),
            ingest_queue: OnceLock::new(),
        }))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The receipt key.
    pub fn key(&self) -> &RegistryKey {
        &self.0.key
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Installs a new trust store (other roots, newer CRLs): from now on every chain is
    /// validated against it; chains validated against the old one are forgotten.
    pub fn replace_trust(&self, trust: pki::TrustStore) {
        self.0.trust.replace(trust);
    }

    /// The trust store with its cache of validated chains.
    fn trust(&self) -> Arc<TrustCache> {
        Arc::clone(&self.0.trust)
    }

    /// Forgets the cached seal approvals of `school` (after a supervisor's decision).
    pub(crate) fn forget_seal_approvals(&self, school: &str) {
        write(&self.0.approvals).remove(school);
    }

    fn now(&self) -> i64 {
        (self.0.config.clock)()
    }
}

/// The registry application: the ingest API, the registry key, the verify page and API,
/// the OpenAPI document. No sessions and no cookies: schools authenticate each API call
/// with their bearer token; verification is public and read-only.
pub fn router(state: AppState) -> Router {
    // Multipart framing around an uploaded record needs a little more than the record.
    let form_limit = MAX_RECORD_BYTES + 64 * 1024;
    Router::new()
        .route("/", get(|| async { Redirect::to("/verify") }))
        .route(
            "/api/v1/records",
            post(api::ingest).layer(DefaultBodyLimit::max(MAX_RECORD_BYTES)),
        )
        .route(
            "/api/v1/certificates",
            get(supervisor::list_school_certificates)
                .post(supervisor::submit_certificate)
                .layer(DefaultBodyLimit::max(supervisor::MAX_CERT_BYTES)),
        )
        .route(
            "/api/v1/expected-counts",
            post(supervisor::report_expected_counts)
                .layer(DefaultBodyLimit::max(supervisor::MAX_CERT_BYTES)),
        )
        .route("/supervisor", get(supervisor::home))
        .route(
            "/supervisor/login",
            get(supervisor::login_page).post(supervisor::login),
        )
        .route("/supervisor/logout", post(supervisor::logout))
        .route(
            "/supervisor/certificates",
            get(supervisor::certificates_page),
        )
        .route(
            "/supervisor/certificates/{id}",
            get(supervisor::certificate_page),
        )
        .route(
            "/supervisor/certificates/{id}/approve",
            post(supervisor::approve),
        )
        .route(
            "/supervisor/certificates/{id}/reject",
            post(supervisor::reject),
        )
        .route("/supervisor/dashboard", get(supervisor::dashboard_page))
        .route(
            "/supervisor/dashboard.xlsx",
            get(supervisor::dashboard_xlsx),
        )
        .route("/api/v1/registry-key", get(api::registry_key))
        .route(
            "/api/v1/verify",
            get(api::verify_code_json)
                .post(api::verify_json)
                .layer(DefaultBodyLimit::max(MAX_RECORD_BYTES)),
        )
        .route(
            "/verify",
            get(verify::form_page)
                .post(verify::submit_form)
                .layer(DefaultBodyLimit::max(form_limit)),
        )
        .route("/api/openapi.json", get(openapi))
        // Revocation (STORIES #15, #20), lookup (#22) and share codes (#23).
        .route("/api/v1/revocations", post(revocation::request))
        .route("/api/v1/revocations/{id}", get(revocation::show))
        .route("/supervisor/revocations", get(revocation::supervisor_page))
        .route(
            "/supervisor/revocations/{id}/approve",
            post(revocation::supervisor_approve),
        )
        .route(
            "/supervisor/revocations/{id}/reject",
            post(revocation::supervisor_reject),
        )
        .route("/tra-cuu", get(lookup::form_page).post(lookup::submit))
        .route("/tra-cuu/tai-ve", post(lookup::download))
        .route("/tra-cuu/chia-se", post(lookup::create_share))
        .route("/tra-cuu/huy-chia-se", post(lookup::revoke_share))
        .route("/chia-se/{code}", get(share::view))
        .route("/chia-se/{code}/tai-ve/{record_id}", get(share::download))
        .route("/api/v1/shared/{code}", get(share::api))
        .fallback(|| async { html::not_found() })
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// The OpenAPI 3 description of the endpoints, written by hand.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        OPENAPI_JSON,
    )
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Caps every in-memory cache of the state: a full cache is emptied and refilled.
const MAX_CACHED: usize = 100_000;

// The caches' locks guard maps whose every change is one call (insert, remove, clear),
// so a lock poisoned by a panicking thread still holds a consistent map: used as is.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
