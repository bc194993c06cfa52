//! "Đồng bộ CSDL": sending sealed records to the national registry (DESIGN.md §6,
//! STORIES #18).
//!
//! The seal queues each record in the store's outbox in its own transaction; the
//! [`Sender`] (a background task started by `hocba serve --registry-url …`) claims due
//! entries, POSTs each signed document to `{registry}/api/v1/records` and settles it:
//!
//! - **200** with a receipt that verifies with the pinned registry key and names the
//!   SHA-256 of exactly the bytes sent → receipt stored and record `synced` (one
//!   transaction);
//! - **422** → rejected with the registry's code and Vietnamese reason, never retried
//!   automatically ("Gửi lại" on the page once the cause is corrected);
//! - anything else (401, 5xx, a timeout, a refused connection, a receipt that does not
//!   check) → retried with exponential backoff ([`Backoff`]); the last error is shown on
//!   the page, nothing is dropped.
//!
//! The transport ([`Transport`]) and the clock ([`Clock`]) are traits so that tests plug
//! an in-process registry and a manual clock. The real transport ([`HttpTransport`]) is
//! HTTP/1.1 over TCP with hyper, to the configured URL only.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, State};
use domain::date::{civil_from_days, days_from_civil};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::{ClaimedEntry, OutboxEntry, OutboxReject, OutboxState, Store};

use crate::AppState;
use crate::auth::{CurrentUser, random_hex, unix_now};
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Where and how to reach the registry (`hocba serve --registry-url URL
/// --registry-token-env VAR --registry-key HEX`).
#[derive(Clone)]
pub struct RegistryConfig {
    /// Base URL of the registry, `http://host[:port][/prefix]`; records go to
    /// `{url}/api/v1/records`.
    pub url: String,
    /// The default bearer token (`--registry-token-env`), used for every school that has
    /// no token of its own ("Kết nối CSDL"). `None`: only schools with their own token
    /// sync; the others' sealed records wait in the outbox.
    pub token: Option<String>,
    /// Tokens from the server's configuration, by school code (`--registry-school-token
    /// CODE=VAR`): a school without its own token in the database uses the one named by
    /// its code here, before the default token (see [`school_token`]). A code of no
    /// school of this server is never used.
    pub school_tokens: BTreeMap<String, String>,
    /// The registry's Ed25519 public key (hex): receipts signed by any other key are
    /// refused.
    pub public_key_hex: String,
    /// Retry policy after a transient failure (`--registry-retry-secs` sets its first
    /// delay).
    pub backoff: Backoff,
    /// How long a claim holds before the entry may be sent again (`--registry-lease-secs`):
    /// after a crash mid-send, the entries in flight wait this long.
    pub lease_secs: i64,
}

impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryConfig")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field(
                "school_tokens",
                &self.school_tokens.keys().collect::<Vec<_>>(),
            )
            .field("public_key_hex", &self.public_key_hex)
            .field("backoff", &self.backoff)
            .field("lease_secs", &self.lease_secs)
            .finish()
    }
}

/// The registry's answer as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response body.
    pub body: Vec<u8>,
}

/// A boxed, sendable future (the transport trait stays object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a signed document reaches the registry. `Err` is a failure to get any answer
/// (connection refused, timeout, broken response), with a sentence for the page.
pub trait Transport: Send + Sync + 'static {
    /// POSTs `xml` to the ingest endpoint and returns the answer.
    fn post_record(&self, xml: String) -> BoxFuture<'_, Result<Reply, String>>;

    /// POSTs `xml` with the bearer token of the record's school. A transport that holds
    /// no per-request credentials (a test double bound to one registry) answers as
    /// [`Transport::post_record`].
    fn post_record_as<'a>(
        &'a self,
        token: &'a str,
        xml: String,
    ) -> BoxFuture<'a, Result<Reply, String>> {
        let _ = token;
        self.post_record(xml)
    }
}

/// The time, in Unix seconds.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        unix_now()
    }
}

/// Exponential backoff: `base_secs` after the first failure, doubling with each attempt
/// up to `max_secs`, plus a jitter of up to a tenth of the delay derived from the digest
/// and the attempt (so entries that failed together do not all come back together, and
/// tests can predict the bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay (default 5 s).
    pub base_secs: i64,
    /// Longest delay before jitter (default 1 h).
    pub max_secs: i64,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base_secs: 5,
            max_secs: 3600,
        }
    }
}

impl Backoff {
    /// The delay after attempt number `attempts` (1 = the first request) failed.
    pub fn delay(&self, attempts: u32, digest: &str) -> i64 {
        let doublings = attempts.saturating_sub(1).min(30);
        let delay = self
            .base_secs
            .max(1)
            .saturating_mul(1_i64 << doublings)
            .min(self.max_secs.max(1));
        let spread = delay / 10;
        if spread == 0 {
            return delay;
        }
        let h = Sha256::digest(format!("{digest}/{attempts}").as_bytes());
        let n = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
        // `spread` is positive here, so the cast and the modulo are in range.
        delay + (n % (spread as u64 + 1)) as i64
    }
}

/// What one round of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Entries claimed.
    pub claimed: usize,
    /// Accepted with a valid receipt.
    pub accepted: usize,
    /// Rejected by the registry.
    pub rejected: usize,
    /// Scheduled for another attempt.
    pub retried: usize,
}

/// The background sender. Several may run against one database (two servers): each
/// entry is claimed by one of them at a time.
pub struct Sender {
    store: Store,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    registry_key: String,
    worker: String,
    /// Retry policy.
    pub backoff: Backoff,
    /// How long a claim holds before another sender may take the entry again.
    pub lease_secs: i64,
    /// Entries claimed per round.
    pub batch: u32,
    /// Claim only the entries of schools that have a registry token of their own, in the
    /// database or in [`Sender::school_tokens`] (set when the server has no default
    /// token, so the other schools' entries wait untouched).
    pub only_linked_schools: bool,
    /// Configured tokens by school code ([`RegistryConfig::school_tokens`]).
    pub school_tokens: BTreeMap<String, String>,
}

impl Sender {
    /// A sender on `store` that reaches the registry through `transport` and accepts
    /// receipts signed by `registry_key_hex` only.
    pub fn new(
        store: Store,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        registry_key_hex: &str,
    ) -> Result<Sender, AppError> {
        Ok(Sender {
            store,
            transport,
            clock,
            registry_key: registry_key_hex.to_ascii_lowercase(),
            worker: format!("sender-{}", random_hex(8)?),
            backoff: Backoff::default(),
            lease_secs: 300,
            batch: 50,
            only_linked_schools: false,
            school_tokens: BTreeMap::new(),
        })
    }

    /// Claims the entries due now, sends each once and settles it.
    pub async fn run_once(&self) -> Result<RoundReport, store::Error> {
        let now = self.clock.now();
        let claimed = if self.only_linked_schools {
            let mut claimed = self
                .store
                .claim_outbox_of_linked_schools(&self.worker, now, self.lease_secs, self.batch)
                .await?;
            // Then the schools whose token is configured; an entry already claimed above
            // is not claimed again (each claim is a compare-and-set).
            for code in self.school_tokens.keys() {
                let room = (self.batch as usize).saturating_sub(claimed.len());
                if room == 0 {
                    break;
                }
                let Some(school) = self.store.school_by_code(code).await? else {
                    continue;
                };
                claimed.extend(
                    self.store
                        .claim_outbox_of_school(
                            &self.worker,
                            now,
                            self.lease_secs,
                            u32::try_from(room).unwrap_or(self.batch),
                            school.id,
                        )
                        .await?,
                );
            }
            claimed
        } else {
            self.store
                .claim_outbox(&self.worker, now, self.lease_secs, self.batch)
                .await?
        };
        let mut report = RoundReport {
            claimed: claimed.len(),
            ..RoundReport::default()
        };
        for c in &claimed {
            match self.deliver(c).await {
                Ok(Settled::Accepted) => report.accepted += 1,
                Ok(Settled::Rejected) => report.rejected += 1,
                Ok(Settled::Retry) => report.retried += 1,
                // Our claim expired and another sender took the entry: it settles it.
                Err(store::Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Runs rounds forever: at once while there is more to send, otherwise when the next
    /// entry is due, and at least every 5 seconds (to pick up new seals).
    pub async fn run(self) {
        const POLL: i64 = 5;
        loop {
            let (full, idle) = match self.run_once().await {
                Ok(r) => {
                    if r.claimed > 0 {
                        tracing::info!(
                            accepted = r.accepted,
                            rejected = r.rejected,
                            retried = r.retried,
                            "registry sync round"
                        );
                    }
                    (r.claimed >= self.batch as usize, r.claimed == 0)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "registry sync round failed");
                    (false, false)
                }
            };
            if full {
                continue;
            }
            let now = self.clock.now();
            let wait = match self.store.outbox_next_due().await {
                // Due but not claimed: entries of a school without a token wait for one.
                Ok(Some(due)) if idle && due <= now => POLL,
                Ok(Some(due)) => (due - now).clamp(1, POLL),
                _ => POLL,
            };
            // `wait` is between 1 and POLL.
            tokio::time::sleep(Duration::from_secs(wait as u64)).await;
        }
    }

    async fn deliver(&self, c: &ClaimedEntry) -> Result<Settled, store::Error> {
        let e = &c.entry;
        let sent_digest = hex::encode(Sha256::digest(c.xml.as_bytes()));
        let verdict = if sent_digest != e.digest {
            // The stored bytes no longer match the queued digest: never send them.
            Verdict::Transient(
                "Nội dung học bạ lưu trong máy chủ không khớp mã băm khi đóng dấu; hãy báo quản trị."
                    .to_owned(),
            )
        } else {
            // The school's own or configured token, else the transport's default.
            let school = self.store.class(e.class).await?.school;
            let sent = match school_token(&self.store, &self.school_tokens, None, school).await? {
                Some(t) => {
                    self.transport
                        .post_record_as(t.token(), c.xml.clone())
                        .await
                }
                None => self.transport.post_record(c.xml.clone()).await,
            };
            match sent {
                Ok(reply) => judge(&reply, &self.registry_key, &sent_digest),
                Err(why) => Verdict::Transient(format!("Không kết nối được CSDL: {why}")),
            }
        };
        let now = self.clock.now();
        match verdict {
            Verdict::Accepted { receipt } => {
                self.store
                    .outbox_accepted(&e.student, &e.digest, &self.worker, &receipt, now)
                    .await?;
                Ok(Settled::Accepted)
            }
            Verdict::Rejected(reject) => {
                tracing::warn!(student = %e.student, code = %reject.code, "registry rejected a record");
                self.store
                    .outbox_rejected(&e.student, &e.digest, &self.worker, &reject, now)
                    .await?;
                Ok(Settled::Rejected)
            }
            Verdict::Transient(why) => {
                let next = now + self.backoff.delay(e.attempts, &e.digest);
                tracing::warn!(student = %e.student, attempts = e.attempts, error = %why, "registry sync will retry");
                self.store
                    .outbox_retry(&e.student, &e.digest, &self.worker, &why, next, now)
                    .await?;
                Ok(Settled::Retry)
            }
        }
    }
}

/// Starts the sender for `registry` as a background task (`hocba serve`). Fails when the
/// URL, default token or key is unusable. Without a default token only the schools with
/// a token of their own ("Kết nối CSDL", or configured for their code) are sent for.
pub fn spawn_sender(
    store: Store,
    registry: &RegistryConfig,
) -> Result<tokio::task::JoinHandle<()>, AppError> {
    Ok(tokio::spawn(Sender::for_registry(store, registry)?.run()))
}

impl Sender {
    /// The sender `hocba serve` runs for `registry`: its transport, key, retry policy,
    /// lease and tokens (see [`spawn_sender`]).
    pub fn for_registry(store: Store, registry: &RegistryConfig) -> Result<Sender, AppError> {
        check_key_hex(&registry.public_key_hex).map_err(AppError::Internal)?;
        let transport = registry.transport().map_err(AppError::Internal)?;
        let mut sender = Sender::new(
            store,
            Arc::new(transport),
            Arc::new(SystemClock),
            &registry.public_key_hex,
        )?;
        sender.backoff = registry.backoff;
        sender.lease_secs = registry.lease_secs;
        sender.only_linked_schools = registry.token.is_none();
        sender.school_tokens = registry.school_tokens.clone();
        Ok(sender)
    }
}

/// A school's registry token and where it comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SchoolToken {
    /// Its own, entered on "Kết nối CSDL" (database).
    Own(String),
    /// Configured for its code on the server (`--registry-school-token`).
    Configured(String),
    /// The server's default (`--registry-token-env`).
    Default(String),
}

impl SchoolToken {
    /// The bearer token.
    pub fn token(&self) -> &str {
        match self {
            SchoolToken::Own(t) | SchoolToken::Configured(t) | SchoolToken::Default(t) => t,
        }
    }
}

impl std::fmt::Debug for SchoolToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SchoolToken::Own(_) => "Own(<redacted>)",
            SchoolToken::Configured(_) => "Configured(<redacted>)",
            SchoolToken::Default(_) => "Default(<redacted>)",
        })
    }
}

/// The token `school` presents to the registry, by precedence: its own token in the
/// database ("Kết nối CSDL") → the one configured for its code (`configured`, by school
/// code) → `default`. `None` when it has none: its records wait in the outbox.
pub async fn school_token(
    store: &Store,
    configured: &BTreeMap<String, String>,
    default: Option<&str>,
    school: store::SchoolId,
) -> Result<Option<SchoolToken>, store::Error> {
    if let Some(own) = store.registry_token(school).await? {
        return Ok(Some(SchoolToken::Own(own)));
    }
    if !configured.is_empty()
        && let Some(t) = configured.get(&store.school(school).await?.code)
    {
        return Ok(Some(SchoolToken::Configured(t.clone())));
    }
    Ok(default.map(|t| SchoolToken::Default(t.to_owned())))
}

/// Checks that `hex` is a 32-byte Ed25519 public key in hex.
pub fn check_key_hex(hex: &str) -> Result<(), String> {
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err("the registry key must be 64 hex digits (its Ed25519 public key)".to_owned())
    }
}

impl RegistryConfig {
    /// The transport to this registry with the default token, if any.
    pub fn transport(&self) -> Result<HttpTransport, String> {
        match &self.token {
            Some(token) => HttpTransport::new(&self.url, token),
            None => HttpTransport::without_token(&self.url),
        }
    }
}

/// HTTP/1.1 over plain TCP to one configured registry. HTTPS is not built in: run a
/// TLS-terminating proxy on the school server's host (or a private network link).
#[derive(Clone)]
pub struct HttpTransport {
    host: String,
    port: u16,
    authority: String,
    /// The URL's path prefix, without a trailing `/` (`""` or `/prefix`).
    prefix: String,
    path: String,
    token: Option<String>,
    /// The whole exchange must finish within this (default 30 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("authority", &self.authority)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The largest answer read from the registry.
const MAX_REPLY: usize = 1 << 20;

impl HttpTransport {
    /// A transport to `{base_url}/api/v1/records` with `token`. `base_url` must be
    /// `http://host[:port][/prefix]` (no user info, query or fragment).
    pub fn new(base_url: &str, token: &str) -> Result<HttpTransport, String> {
        check_token(token)?;
        let mut t = HttpTransport::without_token(base_url)?;
        t.token = Some(token.to_owned());
        Ok(t)
    }

    /// A transport to `base_url` without a default token: every request names its token
    /// ([`Transport::post_record_as`], [`HttpTransport::request`]); a plain
    /// [`Transport::post_record`] goes without `Authorization` (the registry answers 401).
    pub fn without_token(base_url: &str) -> Result<HttpTransport, String> {
        let Some(rest) = base_url.strip_prefix("http://") else {
            return Err(format!(
                "the registry URL must start with http:// (HTTPS through a local TLS proxy), got {base_url:?}"
            ));
        };
        if rest.contains(['?', '#', '@']) {
            return Err("the registry URL must not carry user info, a query or a fragment".into());
        }
        let (authority, prefix) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or("bad IPv6 address in the registry URL")?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| "bad port in the registry URL")?,
                None if after.is_empty() => 80,
                None => return Err("bad registry URL".into()),
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_owned(),
                    p.parse().map_err(|_| "bad port in the registry URL")?,
                ),
                None => (authority.to_owned(), 80),
            }
        };
        if host.is_empty() {
            return Err("the registry URL has no host".into());
        }
        let prefix = prefix.trim_end_matches('/').to_owned();
        Ok(HttpTransport {
            host,
            port,
            authority: authority.to_owned(),
            path: format!("{prefix}/api/v1/records"),
            prefix,
            token: None,
            timeout: Duration::from_secs(30),
        })
    }

    /// One request to `{base_url}{path}` (`path` starts with `/`, e.g.
    /// `/api/v1/certificates`) with `token` (or the default token), within
    /// [`HttpTransport::timeout`]. `body` is sent with `content_type` when given; a
    /// request without a body is a GET.
    pub async fn request(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Reply, String> {
        let token = token.or(self.token.as_deref());
        let path = format!("{}{path}", self.prefix);
        match tokio::time::timeout(self.timeout, self.exchange(&path, token, body)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "quá {} giây không có trả lời",
                self.timeout.as_secs()
            )),
        }
    }

    async fn exchange(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Reply, String> {
        use http_body_util::{BodyExt, Full, Limited};
        use hyper::body::Bytes;
        use hyper::header;

        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("{}: {e}", self.authority))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("{}: {e}", self.authority))?;
        let conn = tokio::spawn(conn);
        let mut request = match &body {
            Some(_) => hyper::Request::post(path),
            None => hyper::Request::get(path),
        }
        .header(header::HOST, self.authority.as_str());
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some((content_type, bytes)) => request
                .header(header::CONTENT_TYPE, content_type)
                .body(Full::new(Bytes::from(bytes))),
            None => request.body(Full::new(Bytes::new())),
        }
        .map_err(|e| format!("request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{}: {e}", self.authority))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_REPLY)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        drop(sender);
        conn.abort();
        Ok(Reply {
            status,
            body: body.to_vec(),
        })
    }
}

impl Transport for HttpTransport {
    fn post_record(&self, xml: String) -> BoxFuture<'_, Result<Reply, String>> {
        Box::pin(async move {
            self.request(
                "/api/v1/records",
                None,
                Some(("application/xml", xml.into_bytes())),
            )
            .await
        })
    }

    fn post_record_as<'a>(
        &'a self,
        token: &'a str,
        xml: String,
    ) -> BoxFuture<'a, Result<Reply, String>> {
        Box::pin(async move {
            self.request(
                "/api/v1/records",
                Some(token),
                Some(("application/xml", xml.into_bytes())),
            )
            .await
        })
    }
}

/// Checks that `token` can go into an `Authorization` header.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the registry token must be non-empty printable ASCII".into());
    }
    Ok(())
}

enum Settled {
    Accepted,
    Rejected,
    Retry,
}

enum Verdict {
    Accepted { receipt: String },
    Rejected(OutboxReject),
    Transient(String),
}

/// Reads the registry's answer under the ingest contract.
fn judge(reply: &Reply, registry_key: &str, sent_digest: &str) -> Verdict {
    let json = || serde_json::from_slice::<serde_json::Value>(&reply.body).ok();
    match reply.status {
        200 => {
            let Some(v) = json() else {
                return Verdict::Transient("CSDL trả lời 200 nhưng không phải JSON.".into());
            };
            if v["status"] != "accepted" || !v["receipt"].is_object() {
                return Verdict::Transient("CSDL trả lời 200 nhưng không kèm biên nhận.".into());
            }
            let receipt = v["receipt"].to_string();
            match registry::verify_receipt(&receipt, registry_key) {
                Ok(r) if r.digest.eq_ignore_ascii_case(sent_digest) => {
                    Verdict::Accepted { receipt }
                }
                Ok(r) => Verdict::Transient(format!(
                    "Biên nhận của CSDL ghi mã băm {} khác với học bạ đã gửi ({sent_digest}); không chấp nhận biên nhận.",
                    r.digest
                )),
                Err(e) => Verdict::Transient(format!(
                    "Biên nhận của CSDL không hợp lệ ({e}); không chấp nhận biên nhận."
                )),
            }
        }
        422 => {
            let Some(v) = json() else {
                return Verdict::Transient("CSDL từ chối (422) nhưng không nêu lý do.".into());
            };
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let message = match text("message_vi") {
                m if m.trim().is_empty() => "CSDL từ chối học bạ (không kèm lý do).".to_owned(),
                m => m,
            };
            Verdict::Rejected(OutboxReject {
                code: text("code"),
                message,
                detail: text("detail"),
            })
        }
        401 => Verdict::Transient(
            "CSDL không chấp nhận thông tin xác thực của trường (401); hãy kiểm tra mã truy cập."
                .into(),
        ),
        s => Verdict::Transient(format!("CSDL trả lời HTTP {s}.")),
    }
}

// ---------------------------------------------------------------------------------------
// The "Đồng bộ CSDL" page.

/// Counts of one class (or the whole school).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    waiting: usize,
    sent: usize,
    retrying: usize,
    accepted: usize,
    rejected: usize,
    superseded: usize,
    next_retry: Option<i64>,
}

impl Counts {
    fn add(&mut self, e: &OutboxEntry, superseded: bool) {
        match e.state {
            OutboxState::Pending | OutboxState::Sent if superseded => self.superseded += 1,
            OutboxState::Pending if e.attempts == 0 && e.resent == 0 => self.waiting += 1,
            OutboxState::Pending => {
                self.retrying += 1;
                self.next_retry = Some(
                    self.next_retry
                        .map_or(e.next_attempt_at, |t| t.min(e.next_attempt_at)),
                );
            }
            OutboxState::Sent => self.sent += 1,
            OutboxState::Accepted => self.accepted += 1,
            OutboxState::Rejected => self.rejected += 1,
        }
    }

    fn cells(&self) -> String {
        let retry = match (self.retrying, self.next_retry) {
            (0, _) | (_, None) => self.retrying.to_string(),
            (n, Some(t)) => format!("{n}<br><small>lần tới {}</small>", vn_time(t)),
        };
        format!(
            "<td>{}</td><td>{}</td><td>{retry}</td><td>{}</td><td>{}</td><td>{}</td>",
            self.waiting, self.sent, self.accepted, self.rejected, self.superseded
        )
    }
}

/// `GET /sync`: counts per class, the two deadlines, rejected and retrying records.
pub async fn sync_page(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSync).await?;
    render(&app, &user, None).await
}

/// The "Gửi lại" form.
#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    student: String,
    #[serde(default)]
    digest: String,
}

/// `POST /sync/resend`: a rejected record, still the student's current version, is
/// queued again (after its cause was corrected, e.g. the seal certificate approved).
pub async fn resend(
    State(app): State<AppState>,
    user: CurrentUser,
    Form(form): Form<ResendForm>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSync).await?;
    let student: domain::StudentCode = form
        .student
        .parse()
        .map_err(|_| AppError::BadRequest("Mã học sinh không hợp lệ.".to_owned()))?;
    let entry = match app.store().outbox_entry(&student, &form.digest).await {
        Ok(e) => e,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    require(
        app.store(),
        &user,
        Permission::ResendToRegistry { class: entry.class },
    )
    .await?;
    if entry.state != OutboxState::Rejected {
        return Err(AppError::Conflict(
            "Học bạ này không ở trạng thái bị từ chối; không cần gửi lại.".to_owned(),
        ));
    }
    if !is_current(app.store(), &entry).await? {
        return Err(AppError::Conflict(
            "Học bạ này đã có phiên bản sửa; phiên bản mới được gửi sau khi đóng dấu, không gửi lại bản cũ.".to_owned(),
        ));
    }
    match app
        .store()
        .outbox_resend(&student, &entry.digest, &crate::history::stamp(&user))
        .await
    {
        Ok(_) => {}
        Err(store::Error::Conflict { .. }) => {
            return Err(AppError::Conflict(
                "Học bạ này vừa được người khác gửi lại.".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(teacher = %user.teacher.username, student = %student, "record queued again for the registry");
    let name = app
        .store()
        .student(&student)
        .await
        .map(|s| s.full_name)
        .unwrap_or_default();
    let notice = format!(
        r#"<p class="notice">Đã đưa học bạ của {} ({}) vào hàng đợi gửi lại lên CSDL.</p>"#,
        esc(&name),
        esc(student.as_str())
    );
    render(&app, &user, Some(&notice)).await
}

/// Whether the entry's record version is still the student's latest in its class.
async fn is_current(store: &Store, entry: &OutboxEntry) -> Result<bool, AppError> {
    Ok(store
        .current_records_of_class(entry.class)
        .await?
        .iter()
        .any(|r| r.student == entry.student && r.id == entry.record_id))
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    notice: Option<&str>,
) -> Result<Page, AppError> {
    const TITLE: &str = "Đồng bộ CSDL";
    let store = app.store();
    let mut body = notice.unwrap_or_default().to_owned();
    if app.config().registry.is_none() {
        body.push_str(
            r#"<p class="warning">Máy chủ chưa được cấu hình địa chỉ CSDL học bạ số: học bạ đã đóng dấu được giữ trong hàng đợi và sẽ được gửi khi quản trị cấu hình (<code>--registry-url</code>).</p>"#,
        );
    }
    if let Some(r) = app.config().registry.as_ref()
        && school_token(
            store,
            &r.school_tokens,
            r.token.as_deref(),
            user.teacher.school,
        )
        .await?
        .is_none()
    {
        body.push_str(
            r#"<p class="warning">Trường chưa có mã truy cập CSDL học bạ số: học bạ đã đóng dấu được giữ trong hàng đợi và chỉ được gửi khi quản trị trường nhập mã ở trang <a href="/registry">Kết nối CSDL</a>.</p>"#,
        );
    }
    let Some(year) = store.list_school_years().await?.last().map(|y| y.year) else {
        body.push_str("<p>Chưa có năm học nào.</p>");
        return Ok(page(user, app.config().demo, TITLE, &body));
    };
    let entries = store.outbox_of_school(user.teacher.school).await?;
    let classes = store.classes_of_school(user.teacher.school, year).await?;
    let mut current: Current = HashMap::new();
    for c in &classes {
        current.insert(c.id, store.current_records_of_class(c.id).await?);
    }
    let mut per_class: HashMap<store::ClassId, Counts> = HashMap::new();
    let mut total = Counts::default();
    for e in &entries {
        let superseded = !is_latest(&current, e);
        per_class.entry(e.class).or_default().add(e, superseded);
        total.add(e, superseded);
    }
    let (june, august) = deadline_groups(&current, &entries);
    let today = days_from_unix(unix_now() + VN_OFFSET);
    let end = i64::from(year.start()) + 1;
    let deadline = |month: u8, day: u8, what: &str, group: Progress| {
        let left = days_from_civil(end, month, day) - today;
        let when = match left {
            0 => "hôm nay là hạn cuối".to_owned(),
            n if n > 0 => format!("còn {n} ngày"),
            n => format!("đã quá hạn {} ngày", -n),
        };
        format!(
            "<li><strong>{day:02}/{month:02}/{end}</strong> — {what}: <strong>{when}</strong>; đã được chấp nhận {} / {} học bạ, còn <strong>{}</strong>.</li>",
            group.accepted,
            group.total,
            group.total - group.accepted
        )
    };
    let _ = write!(
        body,
        r#"<p>Năm học {year}. Học bạ đã đóng dấu được tự động gửi lên CSDL học bạ số; CSDL trả biên nhận có chữ ký số cho mỗi học bạ được chấp nhận.</p>
<h2>Hạn đồng bộ</h2><ul class="deadlines">{}{}</ul>
<p>Chưa được CSDL chấp nhận: <strong>{}</strong> học bạ (chờ gửi {}, đang gửi {}, đang thử lại {}, bị từ chối {}).</p>"#,
        deadline(
            6,
            25,
            "học sinh được xác nhận hoàn thành chương trình lớp học",
            june
        ),
        deadline(
            8,
            10,
            "các học sinh còn lại và học bạ bị từ chối đã sửa",
            august
        ),
        total.waiting + total.sent + total.retrying + total.rejected,
        total.waiting,
        total.sent,
        total.retrying,
        total.rejected,
    );
    body.push_str(
        r#"<h2>Theo lớp</h2><table class="list"><thead><tr><th>Lớp</th><th>Đã đóng dấu, chờ gửi</th><th>Đang gửi</th><th>Đang thử lại</th><th>Đã được chấp nhận (có biên nhận)</th><th>Bị từ chối</th><th>Đã mở khóa để sửa (bản cũ không gửi)</th></tr></thead><tbody>"#,
    );
    let mut names: BTreeMap<store::ClassId, String> = BTreeMap::new();
    for c in &classes {
        names.insert(c.id, c.name.clone());
        let counts = per_class.get(&c.id).copied().unwrap_or_default();
        let _ = write!(
            body,
            r#"<tr><td>{}</td>{}</tr>"#,
            esc(&c.name),
            counts.cells()
        );
    }
    let _ = write!(
        body,
        r#"</tbody><tfoot><tr><th>Toàn trường</th>{}</tr></tfoot></table>"#,
        total.cells()
    );

    let rejected: Vec<&OutboxEntry> = entries
        .iter()
        .filter(|e| e.state == OutboxState::Rejected)
        .collect();
    if !rejected.is_empty() {
        body.push_str(
            r#"<h2>Bị từ chối</h2><p>CSDL từ chối các học bạ dưới đây. Khi nguyên nhân đã được khắc phục (ví dụ chứng thư số dấu đã được phê duyệt), bấm "Gửi lại"; nếu nội dung học bạ sai, hiệu trưởng mở khóa, sửa và ký lại — phiên bản mới được gửi tự động.</p><table class="list"><thead><tr><th>Lớp</th><th>Học sinh</th><th>Lý do</th><th>Mã lỗi</th><th></th></tr></thead><tbody>"#,
        );
        let csrf = csrf_field(&user.session.csrf_token);
        for e in rejected {
            if let std::collections::hash_map::Entry::Vacant(slot) = current.entry(e.class) {
                slot.insert(store.current_records_of_class(e.class).await?);
            }
            let action = if is_latest(&current, e) {
                format!(
                    r#"<form method="post" action="/sync/resend" class="inline">{csrf}<input type="hidden" name="student" value="{}"><input type="hidden" name="digest" value="{}"><button type="submit">Gửi lại</button></form>"#,
                    esc(e.student.as_str()),
                    esc(&e.digest)
                )
            } else {
                "Đã có phiên bản sửa".to_owned()
            };
            let _ = write!(
                body,
                r#"<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}{}</td><td><code>{}</code></td><td>{action}</td></tr>"#,
                esc(names.get(&e.class).map_or("", String::as_str)),
                esc(&student_name(store, &e.student).await),
                esc(e.student.as_str()),
                esc(e.reject_message.as_deref().unwrap_or_default()),
                match e.reject_detail.as_deref() {
                    Some(d) if !d.is_empty() => format!("<br><small>{}</small>", esc(d)),
                    _ => String::new(),
                },
                esc(e.reject_code.as_deref().unwrap_or_default()),
            );
        }
        body.push_str("</tbody></table>");
    }

    let retrying: Vec<&OutboxEntry> = entries
        .iter()
        .filter(|e| e.state == OutboxState::Pending && e.last_error.is_some())
        .collect();
    if !retrying.is_empty() {
        body.push_str(
            r#"<h2>Đang thử lại</h2><p>Các học bạ này chưa gửi được (mất kết nối, CSDL tạm ngừng…); máy chủ tự gửi lại, giãn dần thời gian chờ.</p><table class="list"><thead><tr><th>Lớp</th><th>Học sinh</th><th>Số lần đã gửi</th><th>Lần gửi tới</th><th>Lỗi gần nhất</th></tr></thead><tbody>"#,
        );
        for e in retrying {
            let _ = write!(
                body,
                r#"<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(names.get(&e.class).map_or("", String::as_str)),
                esc(&student_name(store, &e.student).await),
                esc(e.student.as_str()),
                e.attempts,
                vn_time(e.next_attempt_at),
                esc(e.last_error.as_deref().unwrap_or_default()),
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(page(user, app.config().demo, TITLE, &body))
}

/// Records of one deadline: how many, how many accepted.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    total: usize,
    accepted: usize,
}

/// Splits the latest queued version of each student's record in `classes` between the
/// two deadlines (DOMAIN.md): 25 June for a first version whose signed result is "Lên
/// lớp" and that was never rejected; 10 August for the others (retained, summer
/// re-assessment or retraining, corrected versions, rejects).
fn deadline_groups(current: &Current, entries: &[OutboxEntry]) -> (Progress, Progress) {
    let by_record: HashMap<(&domain::StudentCode, &str), &OutboxEntry> = entries
        .iter()
        .map(|e| ((&e.student, e.record_id.as_str()), e))
        .collect();
    let (mut june, mut august) = (Progress::default(), Progress::default());
    for records in current.values() {
        for record in records {
            let Some(e) = by_record.get(&(&record.student, record.id.as_str())) else {
                continue;
            };
            let promoted = record.xml.as_deref().and_then(promotion) == Some("Lên lớp");
            let rejected = e.resent > 0 || e.state == OutboxState::Rejected;
            let group = if promoted && record.version == 1 && !rejected {
                &mut june
            } else {
                &mut august
            };
            group.total += 1;
            group.accepted += usize::from(e.state == OutboxState::Accepted);
        }
    }
    (june, august)
}

/// The latest record version of each student, per class (the year shown, plus classes
/// of rejected entries looked up for the "Gửi lại" list).
type Current = HashMap<store::ClassId, Vec<store::StoredRecord>>;

/// Whether `e` is for the latest version of its student's record in its class. Entries
/// of classes not in `current` count as latest.
fn is_latest(current: &Current, e: &OutboxEntry) -> bool {
    current.get(&e.class).is_none_or(|records| {
        records
            .iter()
            .any(|r| r.student == e.student && r.id == e.record_id)
    })
}

/// The text of `<LenLop>` in a record this server built and signed (one occurrence, no
/// attributes, per the record mapping); `None` when absent (primary records before the
/// year's end).
fn promotion(xml: &str) -> Option<&str> {
    let start = xml.find("<LenLop>")? + "<LenLop>".len();
    let len = xml[start..].find("</LenLop>")?;
    Some(&xml[start..start + len])
}

async fn student_name(store: &Store, code: &domain::StudentCode) -> String {
    store
        .student(code)
        .await
        .map(|s| s.full_name)
        .unwrap_or_default()
}

/// Vietnam is UTC+7 all year.
const VN_OFFSET: i64 = 7 * 3600;

/// `HH:MM dd/mm/yyyy` in Vietnam time; "ngay" for times already past or 0.
fn vn_time(unix: i64) -> String {
    if unix <= 0 {
        return "ngay".to_owned();
    }
    let t = unix + VN_OFFSET;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!(
        "{:02}:{:02} {d:02}/{m:02}/{y}",
        secs / 3600,
        secs % 3600 / 60
    )
}

fn days_from_unix(unix: i64) -> i64 {
    unix.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_an_hour_with_bounded_jitter() {
        let b = Backoff::default();
        for (attempts, base) in [
            (1, 5),
            (2, 10),
            (3, 20),
            (4, 40),
            (10, 2560),
            (11, 3600),
            (40, 3600),
        ] {
            let d = b.delay(attempts, "ab");
            assert!(d >= base && d <= base + base / 10, "{attempts}: {d}");
        }
        assert_eq!(b.delay(3, "ab"), b.delay(3, "ab"));
    }

    #[test]
    fn calendar_round_trips_and_knows_the_deadlines() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2026, 6, 25) - days_from_civil(2026, 5, 31),
            25
        );
        for z in [0, 10_000, 20_629, 20_630, 25_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        // 2026-06-24T17:00:00Z is midnight of 25 June in Vietnam.
        assert_eq!(vn_time(1_782_320_400), "00:00 25/06/2026");
    }

    #[test]
    fn the_promotion_is_read_from_the_signed_record() {
        let xml = "<KetQuaTrungHoc><TongKetCaNam/><LenLop>Lên lớp</LenLop></KetQuaTrungHoc>";
        assert_eq!(promotion(xml), Some("Lên lớp"));
        assert_eq!(promotion("<LenLop>Ở lại lớp</LenLop>"), Some("Ở lại lớp"));
        assert_eq!(promotion("<KetQuaTieuHoc/>"), None);
        assert_eq!(promotion("<LenLop>cut"), None);
    }

    #[test]
    fn the_registry_url_is_http_to_one_host() {
        let t = HttpTransport::new("http://127.0.0.1:8443/csdl/", "tok").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8443));
        assert_eq!(t.path, "/csdl/api/v1/records");
        let t = HttpTransport::new("http://registry.local", "tok").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, "/api/v1/records"));
        let t = HttpTransport::new("http://[::1]:9000", "tok").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9000));
        assert!(HttpTransport::new("https://registry", "tok").is_err());
        assert!(HttpTransport::new("http://u:p@registry", "tok").is_err());
        assert!(HttpTransport::new("http://registry", "").is_err());
        assert!(HttpTransport::new("http://registry", "a b").is_err());
        // Without a default token: every request names its own; the prefix is kept for
        // the other endpoints.
        let t = HttpTransport::without_token("http://127.0.0.1:8443/csdl/").unwrap();
        assert_eq!((t.token.as_deref(), t.prefix.as_str()), (None, "/csdl"));
        let config = RegistryConfig {
            url: "http://registry.local".to_owned(),
            token: None,
            school_tokens: BTreeMap::from([("79000202".to_owned(), "rieng-thcs".to_owned())]),
            public_key_hex: "ab".repeat(32),
            backoff: Backoff::default(),
            lease_secs: 300,
        };
        assert_eq!(config.transport().unwrap().token, None);
        let config = RegistryConfig {
            token: Some("mac-dinh".to_owned()),
            ..config
        };
        assert_eq!(
            config.transport().unwrap().token.as_deref(),
            Some("mac-dinh")
        );
        let debug = format!("{config:?}");
        assert!(!debug.contains("mac-dinh") && !debug.contains("rieng-thcs"));
        assert!(debug.contains("79000202"));
    }
}
