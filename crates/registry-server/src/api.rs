//! The JSON API: ingest (`POST /api/v1/records`), the registry key, verification.
//!
//! The ingest contract (the school sender is written against it; do not change it):
//! `Authorization: Bearer <token>`, `Content-Type: application/xml`, the signed record
//! as the body (at most [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES)).
//! - 200 `{"status":"accepted","receipt":{…},"duplicate":false|true}`: the receipt
//!   document exactly as `RegistryKey::sign` produced it, parsed; the same bytes sent
//!   again get the same stored receipt with `"duplicate":true`.
//! - 422 `{"status":"rejected","code","message_vi","detail"}`: `code` is
//!   `registry::Rejection::code()`, or `wrong-school` (the record's `MaTruong` is not the
//!   authenticated school), or `record-id-conflict` (another document with the same
//!   `MaDinhDanhHocBa` is stored already).
//! - 401 `{"status":"unauthorized"}`, 413 `{"status":"too-large"}`, 400
//!   `{"status":"bad-request"}` (content type not XML), 500 `{"status":"error"}`.

// Helpers answer early with the finished `Response` as their error: it is built once and
// returned as is, so boxing it would only add an allocation to the refusal path.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::StudentCode;
use registry::{ApprovedSeals, Receipt, Rejection};
use serde_json::{Value, json};
use store::{BatchIngested, Ingested, NewRegistryRecord, RegistrySchool, SealUse};
use tokio::sync::{mpsc, oneshot};

use crate::AppState;
use crate::admin::token_sha256;
use crate::verify::{self, load_approvals};

/// `POST /api/v1/records`.
pub(crate) async fn ingest(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match body {
        Ok(body) => ingest_record(&app, &headers, body).await,
        Err(e) => match authenticate(&app, &headers)
            .await
            .and_then(|_| xml_content_type(&headers))
        {
            Ok(()) => body_rejection(&e),
            Err(r) => r,
        },
    }
}

/// What `POST /api/v1/records` does once the body is read: the whole ingest contract
/// (module documentation) for one request's headers and body. Public so that the
/// benchmark (`hocba bench ingest`) measures the server's own path minus HTTP.
pub async fn ingest_record(app: &AppState, headers: &HeaderMap, body: Bytes) -> Response {
    match ingest_inner(app, headers, body).await {
        Ok(r) | Err(r) => r,
    }
}

/// `GET /api/v1/registry-key`: the public key that signs receipts, for schools to pin.
pub(crate) async fn registry_key(State(app): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "public_key": app.key().public_hex() }),
    )
}

/// `POST /api/v1/verify`: the verify page's verdict as JSON, for other systems.
pub(crate) async fn verify_json(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = xml_content_type(&headers) {
        return r;
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_rejection(&e),
    };
    match verify::verify_document(&app, &body).await {
        Ok(v) => json_response(StatusCode::OK, v.to_json()),
        Err(e) => internal(&e),
    }
}

/// `GET /api/v1/verify?code=…`: the verdict on the record stored under that code, as
/// JSON; 404 `{"status":"not-found"}` when none is.
pub(crate) async fn verify_code_json(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let code = query
        .get("code")
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match verify::verify_by_code(&app, &code).await {
        Ok(Some(v)) => json_response(StatusCode::OK, v.to_json()),
        Ok(None) => json_response(StatusCode::NOT_FOUND, json!({ "status": "not-found" })),
        Err(e) => internal(&e),
    }
}

type Answer = Result<Response, Response>;

async fn ingest_inner(app: &AppState, headers: &HeaderMap, body: Bytes) -> Answer {
    let school = authenticate(app, headers).await?;
    xml_content_type(headers)?;
    let digest = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body));

    // One blocking task parses the record once and checks it: a record of another school
    // is refused before any signature is checked. Bytes stored before are answered from
    // the store with their first receipt (idempotency holds even if approvals changed
    // since): a replacing version is looked up before its lineage is checked, any other
    // record only if the check refuses it; otherwise the insert finds the duplicate.
    let mut approvals = approvals_of(app, &school.code, false)
        .await
        .map_err(|e| internal(&e))?;
    let mut examined = examine(app, &body, &school.code, Arc::clone(&approvals)).await?;
    if let Some(facts) = &examined.facts
        && facts.school != school.code
    {
        return Err(wrong_school(&school.code, &facts.school));
    }
    if matches!(
        examined.checked,
        Some(Err(Rejection::SealNotApproved { .. }))
    ) {
        // The cached approvals may predate an approval given since: ask the database.
        let fresh = approvals_of(app, &school.code, true)
            .await
            .map_err(|e| internal(&e))?;
        if *fresh != *approvals {
            approvals = fresh;
            examined = examine(app, &body, &school.code, Arc::clone(&approvals)).await?;
        }
    }
    drop(approvals);
    let Examined { facts, checked } = examined;
    let supersedes = facts.as_ref().and_then(|f| f.supersedes);
    let year_grade = facts.as_ref().map(|f| f.year_grade);
    if let Some(f) = &facts
        && f.supersedes.is_some()
    {
        stored_duplicate(app, &f.student, &digest).await?;
    }
    let checked = checked.unwrap_or_else(|| {
        // Not checked only when of another school, answered above.
        Err(Rejection::NotSignable(
            "the record's school was not checked".to_owned(),
        ))
    });
    let accepted_record = match checked {
        Ok(a) => a,
        Err(rejection) => {
            if let Some(f) = &facts {
                stored_duplicate(app, &f.student, &digest).await?;
            }
            tracing::info!(code = rejection.code(), detail = %rejection, "record rejected");
            return Err(refuse(app, &school.code, &digest, year_grade, &rejection).await);
        }
    };
    if accepted_record.school_code != school.code {
        return Err(wrong_school(&school.code, &accepted_record.school_code));
    }
    if let Some(old) = &supersedes {
        crate::revocation::check_supersedes(
            app,
            &accepted_record.student,
            old,
            &accepted_record.record_id.to_string(),
        )
        .await?;
    }
    let Ok(xml) = String::from_utf8(body.to_vec()) else {
        // The strict parser accepts UTF-8 only, so this does not happen; refuse anyway.
        return Err(rejected(&Rejection::Malformed {
            code: "encoding",
            detail: "the record is not UTF-8".to_owned(),
        }));
    };
    // `check_record` accepts a record only when its last signature is the seal's.
    let Some(seal) = accepted_record.signers.last() else {
        return Err(internal(&std::io::Error::other(
            "accepted record without a seal",
        )));
    };
    let seal = SealUse {
        fingerprint: seal.fingerprint.clone(),
        signed_at: seal.signing_time,
    };
    let received_at = app.now();
    let receipt = app.key().sign(&Receipt {
        registry: app.config().registry_name.clone(),
        record_id: accepted_record.record_id.to_string(),
        version: accepted_record.version,
        digest: accepted_record.digest.clone(),
        received_at,
    });
    let new = NewRegistryRecord {
        student_code: accepted_record.student.clone(),
        record_id: accepted_record.record_id.to_string(),
        version: accepted_record.version,
        digest: accepted_record.digest.clone(),
        school_code: accepted_record.school_code.clone(),
        year: accepted_record.year,
        grade: accepted_record.grade,
        supersedes_id: accepted_record.supersedes.map(|s| s.to_string()),
        xml,
        received_at,
        receipt: receipt.clone(),
    };
    let supersedes_id = new.supersedes_id.clone();
    let (record_id, version) = (new.record_id.clone(), new.version);
    match insert(app, new, seal.clone()).await {
        Ok(BatchIngested::Done(Ingested::Stored)) => {
            tracing::info!(
                school = %school.code,
                record = %record_id,
                version,
                %digest,
                "record stored"
            );
            Ok(accepted(&receipt, false))
        }
        Ok(BatchIngested::Done(Ingested::Duplicate(row))) => Ok(accepted(&row.receipt, true)),
        Ok(BatchIngested::Done(Ingested::RecordIdTaken { stored_digest })) => {
            tracing::info!(
                school = %school.code,
                record = %record_id,
                %stored_digest,
                "record id taken by another document"
            );
            Err(json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "status": "rejected",
                    "code": "record-id-conflict",
                    "message_vi": "Mã học bạ này đã được nộp với nội dung khác. Học bạ đã ký \
                                   không được sửa: hãy lập phiên bản thay thế.",
                    "detail": format!(
                        "record {record_id} is stored with digest {stored_digest}; a signed \
                         record is never replaced in place, send a new version that \
                         supersedes it"
                    ),
                }),
            ))
        }
        Ok(BatchIngested::SealNotApproved) => {
            // The approval was withdrawn after the cached copy was loaded.
            app.forget_seal_approvals(&school.code);
            let rejection = Rejection::SealNotApproved {
                school: school.code.clone(),
                fingerprint: seal.fingerprint,
            };
            tracing::info!(code = rejection.code(), detail = %rejection, "record rejected");
            Err(refuse(app, &school.code, &digest, year_grade, &rejection).await)
        }
        // The only unique key left is one successor per replaced version: another
        // corrected version won a race with this one.
        Err(store::Error::Conflict { .. }) if supersedes_id.is_some() => Err(json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "status": "rejected",
                "code": "supersedes-already-replaced",
                "message_vi": "Học bạ bị thay thế đã có phiên bản thay thế khác.",
                "detail": "another version replacing the same record was stored first",
            }),
        )),
        Err(e) => Err(internal(&e)),
    }
}

/// `Err` with the first receipt when these bytes are stored already.
async fn stored_duplicate(
    app: &AppState,
    student: &StudentCode,
    digest: &str,
) -> Result<(), Response> {
    let stored = app
        .store()
        .registry_record_by_digest(student, digest)
        .await
        .map_err(|e| internal(&e))?;
    match stored {
        Some(row) => Err(accepted(&row.receipt, true)),
        None => Ok(()),
    }
}

/// The 422 for a refused record, counted for the supervisor's dashboard ("Bị từ chối").
async fn refuse(
    app: &AppState,
    school: &str,
    digest: &str,
    year_grade: Option<(u16, u8)>,
    rejection: &Rejection,
) -> Response {
    let r = rejected(rejection);
    crate::supervisor::note_rejection(
        app,
        school,
        digest,
        year_grade,
        rejection.code(),
        r.status(),
    )
    .await;
    r
}

/// What the registry read from a record before deciding on it.
struct Facts {
    /// `MaTruong`.
    school: String,
    /// `MaHocSinh`.
    student: StudentCode,
    /// The version it replaces.
    supersedes: Option<record::Supersedes>,
    /// School year (start) and grade, for the dashboard's rejection counts.
    year_grade: (u16, u8),
}

/// The outcome of [`examine`]: the facts when the record parses, and the verdict unless
/// the record is of another school than `expected_school`.
struct Examined {
    facts: Option<Facts>,
    checked: Option<Result<registry::Accepted, Rejection>>,
}

/// Parses the record once and runs the full check on it, on a blocking thread (parsing
/// and signature verification are CPU work). `Err` only when the task itself failed.
async fn examine(
    app: &AppState,
    body: &Bytes,
    expected_school: &str,
    approvals: Arc<ApprovedSeals>,
) -> Result<Examined, Response> {
    let trust = app.trust();
    let (body, expected_school) = (body.clone(), expected_school.to_owned());
    tokio::task::spawn_blocking(move || {
        let doc = match registry::parse(&body) {
            Ok(doc) => doc,
            Err(rejection) => {
                return Examined {
                    facts: None,
                    checked: Some(Err(rejection)),
                };
            }
        };
        let r = &doc.record;
        let facts = Facts {
            school: r.school.code.to_string(),
            student: r.student.code.clone(),
            supersedes: r.supersedes,
            year_grade: (r.class.year.start(), r.class.grade.get()),
        };
        let checked = (facts.school == expected_school)
            .then(|| registry::check_parsed(&body, &doc, &*trust, &*approvals));
        Examined {
            facts: Some(facts),
            checked,
        }
    })
    .await
    .map_err(|e| internal(&e))
}

/// The school's seal approvals: the cached copy, or (when `fresh` or none is cached)
/// the database's, which is then cached.
async fn approvals_of(
    app: &AppState,
    school: &str,
    fresh: bool,
) -> Result<Arc<ApprovedSeals>, store::Error> {
    if !fresh && let Some(a) = crate::read(&app.0.approvals).get(school) {
        return Ok(Arc::clone(a));
    }
    let loaded = Arc::new(load_approvals(app, school).await?);
    let mut cache = crate::write(&app.0.approvals);
    if cache.len() >= crate::MAX_CACHED {
        cache.clear();
    }
    cache.insert(school.to_owned(), Arc::clone(&loaded));
    Ok(loaded)
}

// --- Group commit ------------------------------------------------------------------------

/// Records in one multi-row insert at most.
const MAX_BATCH: usize = 64;
/// Batches written at once (each is one transaction on its own connection).
const WRITERS: usize = 2;

type Job = (
    NewRegistryRecord,
    SealUse,
    oneshot::Sender<store::Result<BatchIngested>>,
);

/// The group-commit queue: concurrent requests put their accepted record in, a writer
/// takes every record waiting (up to [`MAX_BATCH`]) and stores them with one statement
/// and one commit ([`store::Store::insert_registry_records`]), then answers each request
/// with its own outcome. Nothing is answered before its batch is committed.
pub(crate) struct IngestQueue {
    jobs: mpsc::Sender<Job>,
}

impl IngestQueue {
    /// Starts the writers on the current runtime.
    fn start(store: &store::Store) -> IngestQueue {
        let (jobs, rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..WRITERS {
            let (rx, store) = (Arc::clone(&rx), store.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        batch.push(first);
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    let (rows, answers): (Vec<_>, Vec<_>) = batch
                        .into_iter()
                        .map(|(record, seal, answer)| ((record, seal), answer))
                        .unzip();
                    let outcomes = store.insert_registry_records(&rows).await;
                    for (answer, outcome) in answers.into_iter().zip(outcomes) {
                        // The request may have gone (client disconnected): nothing to tell.
                        let _ = answer.send(outcome);
                    }
                }
            });
        }
        IngestQueue { jobs }
    }
}

/// Stores an accepted record through the group-commit queue; directly if the queue is
/// gone (its runtime shut down).
async fn insert(
    app: &AppState,
    record: NewRegistryRecord,
    seal: SealUse,
) -> store::Result<BatchIngested> {
    if !app.config().group_commit {
        return direct_insert(app, record, seal).await;
    }
    let queue = app
        .0
        .ingest_queue
        .get_or_init(|| IngestQueue::start(app.store()));
    let (tx, rx) = oneshot::channel();
    match queue.jobs.send((record, seal, tx)).await {
        Ok(()) => match rx.await {
            Ok(outcome) => outcome,
            Err(_) => Err(store::Error::Conflict {
                what: "the ingest writer stopped before answering".to_owned(),
            }),
        },
        Err(mpsc::error::SendError((record, seal, _))) => direct_insert(app, record, seal).await,
    }
}

async fn direct_insert(
    app: &AppState,
    record: NewRegistryRecord,
    seal: SealUse,
) -> store::Result<BatchIngested> {
    let mut out = app.store().insert_registry_records(&[(record, seal)]).await;
    out.pop().unwrap_or_else(|| {
        Err(store::Error::Conflict {
            what: "no answer for the record".to_owned(),
        })
    })
}

/// The school whose bearer token this is, or a 401. Schools found are remembered by
/// token hash.
pub(crate) async fn authenticate(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<RegistrySchool, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized());
    };
    let token_sha = token_sha256(token);
    if let Some(school) = crate::read(&app.0.schools_by_token).get(&token_sha) {
        return Ok(school.clone());
    }
    match app.store().registry_school_by_token(&token_sha).await {
        Ok(Some(school)) => {
            let mut cache = crate::write(&app.0.schools_by_token);
            if cache.len() >= crate::MAX_CACHED {
                cache.clear();
            }
            cache.insert(token_sha, school.clone());
            Ok(school)
        }
        Ok(None) => Err(unauthorized()),
        Err(e) => Err(internal(&e)),
    }
}

/// `application/xml` or `text/xml` (parameters such as `charset` allowed), or a 400.
pub(crate) fn xml_content_type(headers: &HeaderMap) -> Result<(), Response> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match essence.as_deref() {
        Some("application/xml" | "text/xml") => Ok(()),
        _ => Err(json_response(
            StatusCode::BAD_REQUEST,
            json!({
                "status": "bad-request",
                "detail": "Content-Type must be application/xml",
            }),
        )),
    }
}

fn accepted(receipt: &str, duplicate: bool) -> Response {
    // The receipt was produced by `RegistryKey::sign` (or stored from it): valid JSON.
    let receipt: Value = serde_json::from_str(receipt).unwrap_or(Value::Null);
    json_response(
        StatusCode::OK,
        json!({ "status": "accepted", "receipt": receipt, "duplicate": duplicate }),
    )
}

fn rejected(r: &Rejection) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "status": "rejected",
            "code": r.code(),
            "message_vi": r.message_vi(),
            "detail": r.to_string(),
        }),
    )
}

fn wrong_school(authenticated: &str, record: &str) -> Response {
    tracing::info!(authenticated, record, "record of another school refused");
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "status": "rejected",
            "code": "wrong-school",
            "message_vi": format!(
                "Học bạ thuộc trường {record}, không phải trường {authenticated} đang gửi; \
                 mỗi trường chỉ được nộp học bạ của trường mình."
            ),
            "detail": format!(
                "the record's MaTruong is {record}, the token belongs to school {authenticated}"
            ),
        }),
    )
}

fn unauthorized() -> Response {
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        json!({ "status": "unauthorized" }),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"hocba-registry\""),
    );
    r
}

pub(crate) fn body_rejection(e: &BytesRejection) -> Response {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        json_response(
            status,
            json!({ "status": "too-large", "detail": "the record is larger than 2 MiB" }),
        )
    } else {
        json_response(
            status,
            json!({ "status": "bad-request", "detail": e.body_text() }),
        )
    }
}

pub(crate) fn internal(e: &dyn std::error::Error) -> Response {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %text, "request failed");
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "status": "error" }),
    )
}

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    //! The ingest path's caches (trust, approvals, schools) never accept what the
    //! uncached path would refuse. Driven through [`ingest_record`] on SQLite.

    use super::*;
    use crate::{Config, SchoolEntry};

    const NOW: i64 = 1_780_000_000;

    struct Fixture {
        app: AppState,
        pki: pki::DemoPki,
        trust: pki::TrustStore,
        tokens: [String; 2],
        _dir: tempfile::TempDir,
    }

    fn school(code: &str) -> SchoolEntry {
        SchoolEntry {
            code: code.to_owned(),
            name: "Trường THPT Chu Văn An".to_owned(),
            level: domain::Level::UpperSecondary,
            authority: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh".to_owned(),
        }
    }

    /// The example THPT school (seal approved when `approve`) and a second THPT school
    /// whose seal is never approved.
    async fn fixture(approve: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("r.sqlite3").display()
        );
        let store = store::Store::open(&url).await.unwrap();
        let pki = pki::demo_pki(NOW - 86_400).unwrap();
        let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
        let code = record::examples::thpt().school.code.to_string();
        let tokens = [
            crate::add_school(&store, &school(&code), NOW)
                .await
                .unwrap(),
            crate::add_school(&store, &school("79000999"), NOW)
                .await
                .unwrap(),
        ];
        if approve {
            crate::approve_seal(&store, &code, &pki.seal.cert_der, "Sở", NOW)
                .await
                .unwrap();
        }
        let key =
            registry::RegistryKey::from_pkcs8(&registry::RegistryKey::generate_pkcs8().unwrap())
                .unwrap();
        let config = Config {
            clock: Arc::new(|| NOW + 1_000),
            ..Config::default()
        };
        let app = AppState::new(store, key, trust.clone(), config);
        Fixture {
            app,
            pki,
            trust,
            tokens,
            _dir: dir,
        }
    }

    /// Record `n` of the example school (or `school`), the seal applied at `seal_at`.
    fn doc(f: &Fixture, n: u64, school: Option<&str>, seal_at: i64) -> Bytes {
        let mut r = record::examples::thpt();
        r.student.code = format!("79{n:018}").parse().unwrap();
        let mut id = [7u8; 16];
        id[..8].copy_from_slice(&n.to_be_bytes());
        r.id = record::RecordId::from_bytes(id);
        if let Some(code) = school {
            r.school.code = code.parse().unwrap();
        }
        let mut xml = r.to_xml();
        for (who, role, at) in [
            (&f.pki.gvcn, "GVCN", NOW),
            (&f.pki.ht, "HT", NOW + 60),
            (&f.pki.seal, "DAU", seal_at),
        ] {
            let signer =
                xmldsig::SoftwareSigner::from_parts(&who.key_pkcs8_der, who.chain.clone()).unwrap();
            let props = xmldsig::SignatureProperties {
                signing_time: at,
                role: role.to_owned(),
                signer_name: None,
            };
            xml = xmldsig::sign_next(&xml, &registry::layout(), &signer, &props).unwrap();
        }
        Bytes::from(xml)
    }

    async fn post(f: &Fixture, token: &str, body: Bytes) -> (StatusCode, Value) {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        let answer = ingest_record(&f.app, &headers, body).await;
        let status = answer.status();
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn stored(f: &Fixture, n: u64) -> usize {
        let code: StudentCode = format!("79{n:018}").parse().unwrap();
        f.app
            .store()
            .registry_records_of_student(&code)
            .await
            .unwrap()
            .len()
    }

    #[tokio::test]
    async fn a_cached_seal_chain_is_refused_once_a_newer_crl_revokes_it() {
        let f = fixture(true).await;
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 1, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert!(!f.app.trust().is_empty(), "the chains are cached");

        let mut revoked = f.trust.clone();
        revoked
            .add_crls(&crate::trust_cache::tests::crl(
                &f.pki.school_ca,
                &f.pki.seal.cert_der,
            ))
            .unwrap();
        f.app.replace_trust(revoked);
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 2, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "signature");
        assert!(v["detail"].as_str().unwrap().contains("revoked"), "{v}");
        assert_eq!(stored(&f, 2).await, 0);
    }

    #[tokio::test]
    async fn a_cached_seal_chain_is_refused_for_a_seal_applied_after_the_certificate_expired() {
        let f = fixture(true).await;
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 1, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let not_after = pki::CertInfo::from_der(&f.pki.seal.cert_der)
            .unwrap()
            .not_after;
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 2, None, not_after + 1)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "signature");
        assert!(v["detail"].as_str().unwrap().contains("not valid"), "{v}");
        assert_eq!(stored(&f, 2).await, 0);
    }

    #[tokio::test]
    async fn a_cached_seal_chain_is_refused_for_a_school_it_is_not_approved_for() {
        let f = fixture(true).await;
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 1, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let (status, v) = post(&f, &f.tokens[1], doc(&f, 2, Some("79000999"), NOW + 120)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "seal-not-approved");
        assert_eq!(stored(&f, 2).await, 0);
    }

    #[tokio::test]
    async fn an_approval_withdrawn_after_it_was_cached_refuses_later_seals() {
        let f = fixture(true).await;
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 1, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        // Withdrawn behind the server's back (as `hocba registry withdraw-seal` does).
        let code = record::examples::thpt().school.code.to_string();
        let approval = f.app.store().seal_approvals(&code).await.unwrap()[0].id;
        f.app
            .store()
            .withdraw_seal_approval(approval, NOW + 200)
            .await
            .unwrap();
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 2, None, NOW + 300)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "seal-not-approved");
        assert_eq!(stored(&f, 2).await, 0);
        // A seal applied before the withdrawal still counts.
        let (status, v) = post(&f, &f.tokens[0], doc(&f, 3, None, NOW + 120)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }

    #[tokio::test]
    async fn an_approval_given_after_a_refusal_is_seen_at_once() {
        let f = fixture(false).await;
        let one = doc(&f, 1, None, NOW + 120);
        let (status, v) = post(&f, &f.tokens[0], one.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "seal-not-approved");
        let code = record::examples::thpt().school.code.to_string();
        crate::approve_seal(f.app.store(), &code, &f.pki.seal.cert_der, "Sở", NOW)
            .await
            .unwrap();
        let (status, v) = post(&f, &f.tokens[0], one.clone()).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["duplicate"], false);
        let (status, v) = post(&f, &f.tokens[0], one).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["duplicate"], true);
    }
}
