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

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use registry::{ApprovedSeals, Receipt, Rejection};
use serde_json::{Value, json};
use store::{Ingested, NewRegistryRecord, RegistrySchool};

use crate::AppState;
use crate::admin::token_sha256;
use crate::verify::{self, load_approvals};

/// `POST /api/v1/records`.
pub(crate) async fn ingest(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match ingest_inner(&app, &headers, body).await {
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

async fn ingest_inner(
    app: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let school = authenticate(app, headers).await?;
    xml_content_type(headers)?;
    let body = body.map_err(|e| body_rejection(&e))?;
    let digest = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body));

    // A cheap parse first: a record of another school is refused before any signature
    // is checked, and bytes stored before are answered from the store (idempotency holds
    // even if approvals changed since).
    let mut supersedes = None;
    let mut year_grade = None;
    if let Ok(doc) = record::parse_document(&body) {
        supersedes = doc.record.supersedes;
        year_grade = Some((doc.record.class.year.start(), doc.record.class.grade.get()));
        let record_school = doc.record.school.code.to_string();
        if record_school != school.code {
            return Err(wrong_school(&school.code, &record_school));
        }
        let stored = app
            .store()
            .registry_record_by_digest(&doc.record.student.code, &digest)
            .await
            .map_err(|e| internal(&e))?;
        if let Some(row) = stored {
            return Ok(accepted(&row.receipt, true));
        }
    }

    let approvals = load_approvals(app, &school.code)
        .await
        .map_err(|e| internal(&e))?;
    let accepted_record = match check(app, body.clone(), approvals).await {
        Ok(a) => a,
        Err(r) => {
            // Counted for the supervisor's dashboard ("Bị từ chối").
            let status = r.status();
            crate::supervisor::note_rejection(app, &school.code, &digest, year_grade, status).await;
            return Err(r);
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
    match app.store().insert_registry_record(&new).await {
        Ok(Ingested::Stored) => {
            tracing::info!(
                school = %school.code,
                record = %new.record_id,
                version = new.version,
                digest = %new.digest,
                "record stored"
            );
            Ok(accepted(&receipt, false))
        }
        Ok(Ingested::Duplicate(row)) => Ok(accepted(&row.receipt, true)),
        Ok(Ingested::RecordIdTaken { stored_digest }) => {
            tracing::info!(
                school = %school.code,
                record = %new.record_id,
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
                        "record {} is stored with digest {stored_digest}; a signed record is \
                         never replaced in place, send a new version that supersedes it",
                        new.record_id
                    ),
                }),
            ))
        }
        // The only unique key left is one successor per replaced version: another
        // corrected version won a race with this one.
        Err(store::Error::Conflict { .. }) if new.supersedes_id.is_some() => Err(json_response(
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

/// Runs the full check on a blocking thread (signature verification is CPU work).
async fn check(
    app: &AppState,
    body: Bytes,
    approvals: ApprovedSeals,
) -> Result<registry::Accepted, Response> {
    let trust = app.trust();
    let outcome =
        tokio::task::spawn_blocking(move || registry::check_record(&body, &*trust, &approvals))
            .await;
    match outcome {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(rejection)) => {
            tracing::info!(code = rejection.code(), detail = %rejection, "record rejected");
            Err(rejected(&rejection))
        }
        Err(e) => Err(internal(&e)),
    }
}

/// The school whose bearer token this is, or a 401.
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
    match app
        .store()
        .registry_school_by_token(&token_sha256(token))
        .await
    {
        Ok(Some(school)) => Ok(school),
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
