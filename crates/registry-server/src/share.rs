//! "Mã chia sẻ" (STORIES #23): a code a student creates from the lookup page, with an
//! expiry, for one record or all of theirs. The code has 130 random bits, is shown once
//! and stored only as its SHA-256. It opens a read-only view for the receiving school —
//! the verify verdict of each shared record and its download as signed XML or PDF — at
//! `GET /chia-se/{code}`, and the same as JSON at `GET /api/v1/shared/{code}`. An
//! unknown, expired or revoked code gets the same 404.

// Helpers answer early with the finished `Response` as their error (as in `api`).
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::StudentCode;
use serde_json::{Value, json};
use store::{NewShareCode, RegistryRecord, ShareCode};

use crate::AppState;
use crate::api::{internal, json_response};
use crate::html::{esc, page};
use crate::lookup::system_error;
use crate::revocation::record_json;
use crate::verify::{role_vi, time_vi, verify_document};

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a share code: 26 × 5 = 130 random bits.
pub const CODE_CHARS: usize = 26;

/// Makes and stores a share code; returns it (the only time it exists in clear).
pub(crate) async fn create(
    app: &AppState,
    student: &StudentCode,
    record_id: Option<String>,
    now: i64,
    days: i64,
) -> Result<String, Response> {
    let mut bytes = [0u8; CODE_CHARS];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return Err(system_error(app, &RandomFailed));
    }
    let code: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    let new = NewShareCode {
        code_sha256: code_sha256(&code),
        student_code: student.clone(),
        record_id,
        created_at: now,
        expires_at: now + days * 86_400,
    };
    app.store()
        .insert_share_code(&new)
        .await
        .map_err(|e| system_error(app, &e))?;
    tracing::info!(days, "share code created");
    Ok(code)
}

/// SHA-256 (lowercase hex) of a code after normalising it (upper case, no spaces or
/// dashes): what the store keeps and looks up.
pub fn code_sha256(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(digest::digest(&digest::SHA256, normal.as_bytes()))
}

/// `GET /chia-se/{code}`: the shared records' verdicts, read-only.
pub(crate) async fn view(State(app): State<AppState>, Path(code): Path<String>) -> Response {
    let demo = app.config().demo;
    let (share, records) = match open(&app, &code).await {
        Ok(Some(x)) => x,
        Ok(None) => return gone_page(demo),
        Err(r) => return r,
    };
    let mut body = format!(
        "<p class=\"note\">Học bạ được học sinh chia sẻ; mã có hiệu lực đến {}. Trang này chỉ để \
         xem và xác thực.</p>",
        esc(&time_vi(share.expires_at))
    );
    for r in &records {
        let Some(xml) = xml_of(&app, r).await else {
            continue;
        };
        let v = match verify_document(&app, xml.as_bytes()).await {
            Ok(v) => v,
            Err(e) => return system_error(&app, &e),
        };
        body.push_str(&format!(
            "<h2>Năm học {} — khối {}</h2>{}<p><a href=\"/chia-se/{c}/tai-ve/{id}?format=xml\">\
             Tải XML</a> · <a href=\"/chia-se/{c}/tai-ve/{id}?format=pdf\">Tải PDF</a></p>",
            esc(&r.year.to_string()),
            r.grade.get(),
            v.to_html(),
            c = esc(code.trim()),
            id = esc(&r.record_id),
        ));
    }
    page(StatusCode::OK, "Học bạ được chia sẻ", demo, &body)
}

/// `GET /chia-se/{code}/tai-ve/{record_id}?format=xml|pdf`.
pub(crate) async fn download(
    State(app): State<AppState>,
    Path((code, record_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let records = match open(&app, &code).await {
        Ok(Some((_, records))) => records,
        Ok(None) => return gone_page(app.config().demo),
        Err(r) => return r,
    };
    let Some(rec) = records.iter().find(|r| r.record_id == record_id) else {
        return gone_page(app.config().demo);
    };
    let format = query.get("format").map_or("xml", String::as_str);
    deliver(&app, rec, format, &headers).await
}

/// `GET /api/v1/shared/{code}`: the shared records as JSON, each with the verify verdict
/// and the registry's facts (no personal data beyond what the signed XML carries, which
/// is linked, not inlined).
pub(crate) async fn api(State(app): State<AppState>, Path(code): Path<String>) -> Response {
    let (share, records) = match open(&app, &code).await {
        Ok(Some(x)) => x,
        Ok(None) => return json_response(StatusCode::NOT_FOUND, json!({ "status": "not-found" })),
        Err(_) => {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "status": "error" }),
            );
        }
    };
    let mut out = Vec::new();
    for r in &records {
        let Some(xml) = xml_of(&app, r).await else {
            continue;
        };
        let v = match verify_document(&app, xml.as_bytes()).await {
            Ok(v) => v,
            Err(e) => return internal(&e),
        };
        out.push(json!({
            "registry_record": record_json(r),
            "verification": v.to_json(),
            "xml_url": format!("/chia-se/{}/tai-ve/{}?format=xml", code.trim(), r.record_id),
            "pdf_url": format!("/chia-se/{}/tai-ve/{}?format=pdf", code.trim(), r.record_id),
        }));
    }
    json_response(
        StatusCode::OK,
        json!({ "status": "ok", "expires_at": share.expires_at, "records": Value::Array(out) }),
    )
}

/// One record as a download: the stored XML byte for byte, or the PDF paper copy
/// ("CSDL học bạ số" as converter, the record id as lookup code).
pub(crate) async fn deliver(
    app: &AppState,
    rec: &RegistryRecord,
    format: &str,
    headers: &HeaderMap,
) -> Response {
    let Some(xml) = xml_of(app, rec).await else {
        return system_error(app, &Missing);
    };
    match format {
        "pdf" => match paper_pdf(app, rec, &xml, headers).await {
            Ok(pdf) => attachment(
                pdf,
                "application/pdf",
                &format!("hocba-{}.pdf", rec.record_id),
            ),
            Err(r) => r,
        },
        _ => attachment(
            xml.into_bytes(),
            "application/xml; charset=utf-8",
            &format!("hocba-{}.xml", rec.record_id),
        ),
    }
}

async fn paper_pdf(
    app: &AppState,
    rec: &RegistryRecord,
    xml: &str,
    headers: &HeaderMap,
) -> Result<Vec<u8>, Response> {
    let Ok(doc) = record::parse_document(xml.as_bytes()) else {
        return Err(system_error(app, &Missing));
    };
    let v = verify_document(app, xml.as_bytes())
        .await
        .map_err(|e| system_error(app, &e))?;
    let signers = v
        .details
        .iter()
        .flat_map(|d| &d.signers)
        .map(|s| render::Signer {
            role: role_vi(&s.role).to_owned(),
            name: s.name.clone(),
            time: time_vi(s.signing_time),
        })
        .collect();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:8090");
    let info = render::PaperCopyInfo {
        lookup_url: format!("http://{host}/verify?code={}", rec.record_id),
        lookup_code: rec.record_id.clone(),
        converted_by: app.config().registry_name.clone(),
        converted_at: time_vi(app.now()),
        signers,
    };
    let bytes = xml.as_bytes().to_vec();
    let outcome =
        tokio::task::spawn_blocking(move || render::paper_copy(&doc.record, &bytes, &info)).await;
    match outcome {
        Ok(Ok(pdf)) => Ok(pdf),
        Ok(Err(e)) => Err(system_error(app, &e)),
        Err(e) => Err(system_error(app, &e)),
    }
}

/// The active share code and the records it opens, or `None` when the code is unknown,
/// expired or revoked.
async fn open(
    app: &AppState,
    code: &str,
) -> Result<Option<(ShareCode, Vec<RegistryRecord>)>, Response> {
    if code.trim().is_empty() || code.len() > 64 {
        return Ok(None);
    }
    let share = app
        .store()
        .share_code_by_hash(&code_sha256(code))
        .await
        .map_err(|e| system_error(app, &e))?;
    let Some(share) = share.filter(|s| s.is_active(app.now())) else {
        return Ok(None);
    };
    let all = app
        .store()
        .registry_records_of_student(&share.student_code)
        .await
        .map_err(|e| system_error(app, &e))?;
    let records = all
        .into_iter()
        .filter(|r| share.record_id.as_ref().is_none_or(|id| *id == r.record_id))
        .collect();
    Ok(Some((share, records)))
}

async fn xml_of(app: &AppState, r: &RegistryRecord) -> Option<String> {
    match app
        .store()
        .registry_record_xml(&r.student_code, &r.record_id)
        .await
    {
        Ok(x) => x,
        Err(e) => {
            internal(&e);
            None
        }
    }
}

fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn gone_page(demo: bool) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Học bạ được chia sẻ",
        demo,
        "<p class=\"verdict invalid\">Mã chia sẻ không tồn tại, đã hết hạn hoặc đã bị thu hồi.\
         </p>",
    )
}

#[derive(Debug, thiserror::Error)]
#[error("the system random generator failed")]
struct RandomFailed;

#[derive(Debug, thiserror::Error)]
#[error("a stored record's XML is missing or does not parse")]
struct Missing;
