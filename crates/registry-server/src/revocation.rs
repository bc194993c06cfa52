//! "Đề nghị thu hồi" and "Phê duyệt thu hồi" (STORIES #15, #20), and the rule ingest
//! applies to a corrected version (`ThayThe`).
//!
//! - `POST /api/v1/revocations` (school bearer token, JSON `{"record_id","reason"}`):
//!   201 `{"status":"pending","id",…}`; 404 `not-found` when the school has no such
//!   current record; 409 `revocation-pending` / `already-revoked`; 422 `reason-required`.
//! - `GET /api/v1/revocations/{id}` (the same school's token): the request, its decision
//!   and the record's lineage.
//! - The supervising authority decides with [`decide_revocation`] (today from the
//!   operator CLI `hocba registry approve-revocation` / `reject-revocation`, until the
//!   supervisor pages carry their own login). On approval the record is revoked in the
//!   same transaction: still stored and retrievable, with the reason and date.
//! - Ingest accepts a version whose `ThayThe` names a record the registry holds only when
//!   that record was revoked and the digest matches ([`check_supersedes`]).

// Helpers answer early with the finished `Response` as their error (as in `api`).
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use store::{NewRevocation, RegistryRecord, RegistryStatus, Revocation, RevocationStatus, Store};

use crate::AppState;
use crate::admin::token_sha256;
use crate::api::{authenticate, internal, json_response};
use crate::html::{esc, page};
use crate::verify::time_vi;

/// The longest reason or comment kept, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// `POST /api/v1/revocations`.
pub(crate) async fn request(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let school = match authenticate(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Nội dung đề nghị phải là JSON {\"record_id\", \"reason\"}.",
        );
    };
    let record_id = v["record_id"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let reason = v["reason"].as_str().unwrap_or("").trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason-required",
            "Phải ghi lý do đề nghị thu hồi (tối đa 2000 ký tự).",
        );
    }
    let found = match app.store().find_registry_record(&record_id).await {
        Ok(f) => f.filter(|r| r.school_code == school.code),
        Err(e) => return internal(&e),
    };
    let Some(stored) = found else {
        return refusal(
            StatusCode::NOT_FOUND,
            "not-found",
            "Không tìm thấy học bạ có mã này của trường trong CSDL học bạ số.",
        );
    };
    if stored.status == RegistryStatus::Revoked {
        return refusal(
            StatusCode::CONFLICT,
            "already-revoked",
            "Học bạ này đã bị thu hồi; hãy nộp phiên bản thay thế.",
        );
    }
    let new = NewRevocation {
        student_code: stored.student_code.clone(),
        record_id: stored.record_id.clone(),
        school_code: school.code.clone(),
        reason,
        requested_at: app.now(),
    };
    match app.store().insert_revocation(&new).await {
        Ok(id) => {
            tracing::info!(school = %school.code, record = %new.record_id, id, "revocation requested");
            json_response(
                StatusCode::CREATED,
                json!({
                    "status": "pending",
                    "id": id,
                    "record_id": new.record_id,
                    "message_vi": "Đã gửi đề nghị thu hồi; chờ cơ quan quản lý phê duyệt.",
                }),
            )
        }
        Err(store::Error::Conflict { .. }) => refusal(
            StatusCode::CONFLICT,
            "revocation-pending",
            "Đã có đề nghị thu hồi học bạ này đang chờ phê duyệt.",
        ),
        Err(store::Error::NotFound { .. }) => refusal(
            StatusCode::CONFLICT,
            "already-revoked",
            "Học bạ này đã bị thu hồi; hãy nộp phiên bản thay thế.",
        ),
        Err(e) => internal(&e),
    }
}

/// `GET /api/v1/revocations/{id}`: only the school that asked sees it.
pub(crate) async fn show(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let school = match authenticate(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let found = match id.parse::<i64>() {
        Ok(id) => app.store().revocation(id).await,
        Err(_) => Ok(None),
    };
    let r = match found {
        Ok(Some(r)) if r.school_code == school.code => r,
        Ok(_) => {
            return refusal(
                StatusCode::NOT_FOUND,
                "not-found",
                "Không tìm thấy đề nghị thu hồi này.",
            );
        }
        Err(e) => return internal(&e),
    };
    let records = match app
        .store()
        .registry_records_of_student(&r.student_code)
        .await
    {
        Ok(all) => all,
        Err(e) => return internal(&e),
    };
    let mut body = revocation_json(&r);
    body["lineage"] = Value::Array(
        lineage(&records, &r.record_id)
            .iter()
            .map(|x| record_json(x))
            .collect(),
    );
    json_response(StatusCode::OK, body)
}

/// Decides a pending request for the supervising authority: approve (the record is
/// revoked now, with the request's reason) or reject with `comment`.
pub async fn decide_revocation(
    store: &Store,
    id: i64,
    approve: bool,
    by: &str,
    comment: &str,
    now: i64,
) -> Result<Revocation, store::Error> {
    let decided = store
        .decide_revocation(id, approve, by.trim(), comment, now)
        .await?;
    tracing::info!(id, approve, by, record = %decided.record_id, "revocation decided");
    Ok(decided)
}

/// Ingest's rule for `ThayThe` (DESIGN §5: a synced record is replaced only through an
/// approved revocation): when the registry holds the named record, it must be revoked,
/// its digest must be the one named, and no other version may replace it already. A
/// record the registry never received (unlocked at the school before sync) may be
/// replaced freely.
pub(crate) async fn check_supersedes(
    app: &AppState,
    student: &domain::StudentCode,
    supersedes: &record::Supersedes,
    new_record_id: &str,
) -> Result<(), Response> {
    let old_id = supersedes.id.to_string();
    let old = app
        .store()
        .registry_record(student, &old_id)
        .await
        .map_err(|e| internal(&e))?;
    let Some(old) = old else {
        return Ok(());
    };
    if old.status != RegistryStatus::Revoked {
        return Err(rejected(
            "supersedes-not-revoked",
            &format!(
                "Học bạ {old_id} đã có trong CSDL học bạ số và chưa bị thu hồi: phải gửi đề \
                 nghị thu hồi và được cơ quan quản lý phê duyệt trước khi nộp phiên bản thay thế."
            ),
            &format!("record {old_id} is stored and current; request its revocation first"),
        ));
    }
    let named = supersedes.digest.to_string().to_ascii_lowercase();
    if named != old.digest {
        return Err(rejected(
            "supersedes-digest-mismatch",
            "Mã băm của học bạ bị thay thế (ThayThe/MaBamSHA256) không khớp với bản đã lưu tại \
             CSDL học bạ số.",
            &format!(
                "ThayThe names digest {named}, the stored record has {}",
                old.digest
            ),
        ));
    }
    let successor = app
        .store()
        .registry_successor(student, &old_id)
        .await
        .map_err(|e| internal(&e))?;
    if let Some(s) = successor.filter(|s| s.record_id != new_record_id) {
        return Err(rejected(
            "supersedes-already-replaced",
            &format!(
                "Học bạ {old_id} đã được thay thế bởi phiên bản {} (mã {}).",
                s.version, s.record_id
            ),
            &format!("record {old_id} is already replaced by {}", s.record_id),
        ));
    }
    Ok(())
}

/// The chain of versions `record_id` belongs to, oldest first: every ancestor it
/// supersedes (transitively) and every descendant replacing it, among `records` (all
/// of one student).
pub fn lineage<'a>(records: &'a [RegistryRecord], record_id: &str) -> Vec<&'a RegistryRecord> {
    let by_id = |id: &str| records.iter().find(|r| r.record_id == id);
    let Some(start) = by_id(record_id) else {
        return Vec::new();
    };
    let mut chain = vec![start];
    let mut cur = start;
    while let Some(prev) = cur.supersedes_id.as_deref().and_then(by_id) {
        if chain.iter().any(|c| c.record_id == prev.record_id) {
            break;
        }
        chain.insert(0, prev);
        cur = prev;
    }
    let mut cur = start;
    while let Some(next) = records
        .iter()
        .filter(|r| r.supersedes_id.as_deref() == Some(cur.record_id.as_str()))
        .max_by_key(|r| r.version)
    {
        if chain.iter().any(|c| c.record_id == next.record_id) {
            break;
        }
        chain.push(next);
        cur = next;
    }
    chain
}

/// A request as JSON.
pub(crate) fn revocation_json(r: &Revocation) -> Value {
    json!({
        "id": r.id,
        "record_id": r.record_id,
        "school_code": r.school_code,
        "reason": r.reason,
        "requested_at": r.requested_at,
        "status": r.status.code(),
        "status_vi": r.status.label_vi(),
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "comment": r.comment,
    })
}

/// A stored record's registry facts as JSON (no personal data).
pub(crate) fn record_json(r: &RegistryRecord) -> Value {
    json!({
        "record_id": r.record_id,
        "version": r.version,
        "digest": r.digest,
        "school_code": r.school_code,
        "school_year": r.year.to_string(),
        "grade": r.grade.get(),
        "supersedes": r.supersedes_id,
        "status": match r.status {
            RegistryStatus::Current => "current",
            RegistryStatus::Revoked => "revoked",
        },
        "revoked_at": r.revoked_at,
        "revoked_reason": r.revoked_reason,
        "received_at": r.received_at,
    })
}

/// Pending requests, for the supervisor's list.
pub async fn pending_revocations(store: &Store) -> Result<Vec<Revocation>, store::Error> {
    store.revocations(Some(RevocationStatus::Pending)).await
}

fn rejected(code: &str, message_vi: &str, detail: &str) -> Response {
    tracing::info!(code, detail, "record rejected");
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ "status": "rejected", "code": code, "message_vi": message_vi, "detail": detail }),
    )
}

fn refusal(status: StatusCode, code: &str, message_vi: &str) -> Response {
    json_response(
        status,
        json!({ "status": "refused", "code": code, "message_vi": message_vi }),
    )
}

// ---------------------------------------------------------------------------------------
// "Phê duyệt thu hồi": the supervisor's page, behind the supervisor login (session cookie
// and CSRF token of `supervisor.rs`), scoped to the supervisor's schools.

/// `GET /supervisor/revocations`: the requests of the supervisor's schools, pending
/// first, each pending one with its approve and reject forms.
pub(crate) async fn supervisor_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let (supervisor, csrf) = match supervisor_of(&app, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let all = match app.store().revocations(None).await {
        Ok(all) => all,
        Err(e) => return crate::lookup::system_error(&app, &e),
    };
    let mine: Vec<&Revocation> = all
        .iter()
        .filter(|r| supervisor.schools.contains(&r.school_code))
        .collect();
    let mut body = format!(
        "<p class=\"note\">{} — {}. <a href=\"/supervisor\">Trang quản lý</a></p>",
        esc(&supervisor.username),
        esc(&supervisor.authority)
    );
    let (pending, decided): (Vec<&Revocation>, Vec<&Revocation>) = mine
        .into_iter()
        .partition(|r| r.status == RevocationStatus::Pending);
    body.push_str("<h2>Chờ phê duyệt</h2>");
    if pending.is_empty() {
        body.push_str("<p>Không có đề nghị thu hồi nào đang chờ.</p>");
    }
    for r in pending {
        body.push_str(&format!(
            "<table><tr><th>Trường</th><td>{school}</td></tr>\
             <tr><th>Mã học bạ</th><td><a href=\"/verify?code={id}\">{id}</a></td></tr>\
             <tr><th>Lý do</th><td>{reason}</td></tr>\
             <tr><th>Ngày đề nghị</th><td>{at}</td></tr></table>\
             <form method=\"post\" action=\"/supervisor/revocations/{n}/approve\">\
             <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
             <p><label>Ý kiến: <input name=\"comment\" maxlength=\"2000\"></label> \
             <button type=\"submit\">Phê duyệt thu hồi</button></p></form>\
             <form method=\"post\" action=\"/supervisor/revocations/{n}/reject\">\
             <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
             <p><label>Lý do từ chối: <input name=\"comment\" maxlength=\"2000\" required>\
             </label> <button type=\"submit\">Từ chối</button></p></form>",
            school = esc(&r.school_code),
            id = esc(&r.record_id),
            reason = esc(&r.reason),
            at = esc(&time_vi(r.requested_at)),
            n = r.id,
            csrf = esc(&csrf),
        ));
    }
    body.push_str("<h2>Đã xử lý</h2>");
    if decided.is_empty() {
        body.push_str("<p>Chưa có.</p>");
    } else {
        body.push_str(
            "<table><tr><th>Trường</th><th>Mã học bạ</th><th>Lý do</th><th>Kết quả</th>\
             <th>Người xử lý</th><th>Ý kiến</th></tr>",
        );
        for r in decided {
            body.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"/verify?code={id}\">{id}</a></td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.school_code),
                esc(&r.reason),
                esc(&outcome_vi(r.status)),
                esc(r.decided_by.as_deref().unwrap_or("")),
                esc(r.comment.as_deref().unwrap_or("")),
                id = esc(&r.record_id),
            ));
        }
        body.push_str("</table>");
    }
    page(
        StatusCode::OK,
        "Phê duyệt thu hồi",
        app.config().demo,
        &body,
    )
}

/// The outcome column of a decided request: an approval says the record is now revoked
/// ("Đã thu hồi"), since that is what the supervisor's decision did to it.
fn outcome_vi(status: RevocationStatus) -> String {
    match status {
        RevocationStatus::Approved => format!("{} — học bạ đã thu hồi", status.label_vi()),
        other => other.label_vi().to_owned(),
    }
}

/// `POST /supervisor/revocations/{id}/approve`.
pub(crate) async fn supervisor_approve(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    supervisor_decide(&app, id, &headers, &body, true).await
}

/// `POST /supervisor/revocations/{id}/reject` (a comment is required).
pub(crate) async fn supervisor_reject(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    supervisor_decide(&app, id, &headers, &body, false).await
}

async fn supervisor_decide(
    app: &AppState,
    id: i64,
    headers: &HeaderMap,
    body: &[u8],
    approve: bool,
) -> Response {
    let (supervisor, csrf) = match supervisor_of(app, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form: std::collections::HashMap<String, String> =
        serde_urlencoded::from_bytes(body).unwrap_or_default();
    let demo = app.config().demo;
    let message = |status: StatusCode, text: &str| {
        page(
            status,
            "Phê duyệt thu hồi",
            demo,
            &format!(
                "<p>{}</p><p><a href=\"/supervisor/revocations\">Quay lại danh sách</a></p>",
                esc(text)
            ),
        )
    };
    if form.get(crate::supervisor::CSRF_FIELD) != Some(&csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "Biểu mẫu đã hết hạn hoặc không hợp lệ (CSRF). Hãy tải lại trang và thử lại.",
        );
    }
    let request = match app.store().revocation(id).await {
        Ok(r) => r,
        Err(e) => return crate::lookup::system_error(app, &e),
    };
    let Some(request) = request.filter(|r| supervisor.schools.contains(&r.school_code)) else {
        return message(
            StatusCode::FORBIDDEN,
            "Đề nghị thu hồi này không thuộc trường do đơn vị quản lý.",
        );
    };
    let comment = form.get("comment").map_or("", |c| c.trim());
    if comment.chars().count() > MAX_REASON_CHARS {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Ý kiến dài quá 2000 ký tự.",
        );
    }
    if !approve && comment.is_empty() {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Hãy ghi lý do từ chối để trường biết.",
        );
    }
    let by: String = format!("{} ({})", supervisor.username, supervisor.authority)
        .chars()
        .take(200)
        .collect();
    match decide_revocation(app.store(), request.id, approve, &by, comment, app.now()).await {
        Ok(r) => message(
            StatusCode::OK,
            &format!(
                "Đề nghị thu hồi học bạ {}: {}.",
                r.record_id,
                r.status.label_vi().to_lowercase()
            ),
        ),
        Err(store::Error::NotFound { .. }) => message(
            StatusCode::CONFLICT,
            "Đề nghị này đã được xử lý trước đó; không có gì thay đổi.",
        ),
        Err(e) => crate::lookup::system_error(app, &e),
    }
}

/// The logged-in supervisor and the session's CSRF token, or a redirect to the login.
async fn supervisor_of(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<(store::Supervisor, String), Response> {
    let login = || Redirect::to("/supervisor/login").into_response();
    let sid = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == crate::supervisor::SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
        .ok_or_else(login)?;
    let session = app
        .store()
        .supervisor_session(&token_sha256(&sid), app.now())
        .await
        .map_err(|e| crate::lookup::system_error(app, &e))?
        .ok_or_else(login)?;
    let supervisor = app
        .store()
        .supervisor(session.supervisor_id)
        .await
        .map_err(|e| crate::lookup::system_error(app, &e))?
        .ok_or_else(login)?;
    Ok((supervisor, session.csrf_token))
}
