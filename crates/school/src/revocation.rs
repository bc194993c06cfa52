//! "Đề nghị thu hồi" and "Lập phiên bản thay thế" (STORIES #15).
//!
//! A record version the registry accepted (receipt stored, `synced`) is replaced only
//! through the registry: the principal sends a revocation request with a reason
//! (`POST /api/v1/revocations`), the supervising authority decides, and once approved the
//! principal makes a new draft version naming the old one and its digest (`ThayThe`),
//! which goes through the normal chain (GVCN → HT → seal) and the outbox; the registry's
//! ingest accepts it because the old record is revoked.
//!
//! The request is kept at the school (registry id, reason, who, when — audited); each
//! time the versions page opens, pending requests are read again from the registry
//! (`GET /api/v1/revocations/{id}`); when it cannot be reached the page says so and shows
//! the last known status.

use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::StudentCode;
use serde::Deserialize;
use serde_json::json;
use store::{LinkStatus, NewRevocationRequest, RecordState, RevocationRequest, StoredRecord};

use crate::AppState;
use crate::auth::{CurrentUser, unix_now};
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc};
use crate::permission::{Permission, allows, require};
use crate::records::iso_utc;
use crate::registry_link::{RegistryClient, registry_message, vn_datetime};
use crate::workflow::{parse_student, render_versions};

/// The revocation form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

/// `POST /students/{code}/records/{id}/revoke`: the principal asks the registry to revoke
/// a synced, current version.
pub async fn request(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> Result<Page, AppError> {
    let (code, record) = revocable(&app, &user, &code, &id).await?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return refused(
            &app,
            &user,
            &code,
            StatusCode::BAD_REQUEST,
            "Phải nhập lý do đề nghị thu hồi (tối đa 2000 kí tự). Chưa gửi đề nghị.",
        )
        .await;
    }
    if record.state != RecordState::Synced {
        return Err(AppError::Conflict(
            "Chỉ đề nghị thu hồi được học bạ đã gửi lên CSDL và có biên nhận. Không có gì thay đổi."
                .to_owned(),
        ));
    }
    let requests = app.store().revocation_requests_of_student(&code).await?;
    if requests
        .iter()
        .any(|r| r.request.record_id == record.id && r.status == LinkStatus::Pending)
    {
        return Err(AppError::Conflict(
            "Học bạ này đã có đề nghị thu hồi đang chờ phê duyệt. Không gửi thêm.".to_owned(),
        ));
    }
    if requests
        .iter()
        .any(|r| r.request.record_id == record.id && r.status == LinkStatus::Approved)
    {
        return Err(AppError::Conflict(
            "Học bạ này đã được phê duyệt thu hồi; hãy lập phiên bản thay thế.".to_owned(),
        ));
    }
    let client = match RegistryClient::for_school(&app, user.teacher.school).await? {
        Ok(c) => c,
        Err(unlinked) => return Err(AppError::Conflict(unlinked.message().to_owned())),
    };
    let answer = client
        .post_json(
            "/api/v1/revocations",
            &json!({ "record_id": record.id, "reason": reason }),
        )
        .await;
    let (status, v) = match answer {
        Ok(a) => a,
        Err(why) => {
            return refused(
                &app,
                &user,
                &code,
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("Không kết nối được CSDL học bạ số ({why}). Chưa gửi đề nghị thu hồi; hãy thử lại sau."),
            )
            .await;
        }
    };
    let registry_id = match (status, v["id"].as_i64()) {
        (201, Some(id)) => id,
        _ => {
            return refused(
                &app,
                &user,
                &code,
                StatusCode::CONFLICT,
                &format!(
                    "CSDL học bạ số không nhận đề nghị: {}",
                    registry_message(status, &v)
                ),
            )
            .await;
        }
    };
    let new = NewRevocationRequest {
        student: code.clone(),
        registry_id,
        record_id: record.id.clone(),
        class: record.class,
        reason: reason.to_owned(),
    };
    app.store()
        .add_revocation_request(&new, &crate::history::stamp(&user))
        .await?;
    tracing::info!(teacher = %user.teacher.username, record = %record.id, registry_id, "revocation requested");
    let notice = r#"<p class="ok">Đã gửi đề nghị thu hồi lên CSDL học bạ số; chờ cơ quan quản lý phê duyệt.</p>"#;
    render_versions(&app, &user, &code, Some(notice)).await
}

/// `POST /students/{code}/records/{id}/reissue`: after an approved revocation, the
/// principal makes the replacing draft version (`ThayThe` = this version's id and
/// digest).
pub async fn reissue(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<Page, AppError> {
    let (code, record) = revocable(&app, &user, &code, &id).await?;
    // The latest decision, when the registry can be reached.
    refresh(&app, &user, &code).await?;
    let requests = app.store().revocation_requests_of_student(&code).await?;
    let Some(approved) = requests
        .iter()
        .rev()
        .find(|r| r.request.record_id == record.id && r.status == LinkStatus::Approved)
    else {
        return Err(AppError::Conflict(
            "Đề nghị thu hồi học bạ này chưa được cơ quan quản lý phê duyệt; chưa lập được phiên bản thay thế."
                .to_owned(),
        ));
    };
    let class = app.store().class(record.class).await?;
    let draft = crate::signing::unlock_next_version(
        &app,
        &user,
        &record,
        class.school,
        format!(
            "Thay thế học bạ đã thu hồi (đề nghị số {}): {}",
            approved.request.registry_id, approved.request.reason
        ),
        true,
        "Học bạ này đã có phiên bản mới hơn. Không có gì thay đổi.",
    )
    .await?;
    tracing::info!(teacher = %user.teacher.username, record = %record.id, new_record = %draft.id, "replacement version made");
    let notice = format!(
        r#"<p class="ok">Đã lập phiên bản {} (bản nháp) thay thế phiên bản {} đã thu hồi. Giáo viên chủ nhiệm sửa, xác nhận tổng hợp và ký lại; sau khi hiệu trưởng ký và đóng dấu, phiên bản mới được gửi lên CSDL.</p>"#,
        draft.version, record.version
    );
    render_versions(&app, &user, &code, Some(&notice)).await
}

/// Reads the registry's decision on each pending request of `student`'s records. A
/// sentence for the page when the registry could not be reached (the statuses shown are
/// then the last known).
pub(crate) async fn refresh(
    app: &AppState,
    user: &CurrentUser,
    student: &StudentCode,
) -> Result<Option<String>, AppError> {
    let requests = app.store().revocation_requests_of_student(student).await?;
    let pending: Vec<&RevocationRequest> = requests
        .iter()
        .filter(|r| r.status == LinkStatus::Pending)
        .collect();
    if pending.is_empty() {
        return Ok(None);
    }
    let client = match RegistryClient::for_school(app, user.teacher.school).await? {
        Ok(c) => c,
        Err(unlinked) => return Ok(Some(unlinked.message().to_owned())),
    };
    let now = iso_utc(unix_now());
    for r in pending {
        let path = format!("/api/v1/revocations/{}", r.request.registry_id);
        let (status, v) = match client.get_json(&path).await {
            Ok(a) => a,
            Err(why) => {
                return Ok(Some(format!(
                    "Không kết nối được CSDL học bạ số ({why}); trạng thái thu hồi dưới đây là trạng thái biết được lần gần nhất."
                )));
            }
        };
        if status != 200 {
            return Ok(Some(format!(
                "CSDL học bạ số chưa trả lời được trạng thái thu hồi ({}); trạng thái dưới đây là trạng thái biết được lần gần nhất.",
                registry_message(status, &v)
            )));
        }
        let Some(decided) = v["status"].as_str().and_then(LinkStatus::from_code) else {
            continue;
        };
        if decided == LinkStatus::Unsent {
            continue;
        }
        app.store()
            .set_revocation_request_status(
                student,
                r.request.registry_id,
                decided,
                v["comment"].as_str().filter(|c| !c.trim().is_empty()),
                &now,
            )
            .await?;
    }
    Ok(None)
}

/// The revocation cell of a version on the versions page: the request's state and, for
/// the principal, the form or the "Lập phiên bản thay thế" button. `current`: no newer
/// version exists in the record's class.
pub(crate) async fn cell(
    app: &AppState,
    user: &CurrentUser,
    record: &StoredRecord,
    current: bool,
    requests: &[RevocationRequest],
) -> Result<String, AppError> {
    let mine: Vec<&RevocationRequest> = requests
        .iter()
        .filter(|r| r.request.record_id == record.id)
        .collect();
    let mut html = String::new();
    for r in &mine {
        let what = match r.status {
            LinkStatus::Pending | LinkStatus::Unsent => "Đang chờ phê duyệt thu hồi",
            LinkStatus::Approved => "Đã phê duyệt thu hồi",
            LinkStatus::Rejected => "Đề nghị thu hồi bị từ chối",
        };
        let _ = write!(
            html,
            r#"<p data-col="revocation"><strong>{what}</strong><br><small>Lý do: {}<br>{} — {}</small>"#,
            esc(&r.request.reason),
            esc(&r.requested_by_name),
            esc(&vn_datetime(&r.requested_at)),
        );
        if let Some(c) = &r.comment {
            let _ = write!(
                html,
                "<br><small>Ý kiến cơ quan quản lý: {}</small>",
                esc(c)
            );
        }
        html.push_str("</p>");
    }
    if !current
        || record.state != RecordState::Synced
        || !allows(
            app.store(),
            user,
            Permission::RevokeRecord {
                class: record.class,
            },
        )
        .await?
    {
        return Ok(html);
    }
    let base = format!(
        "/students/{}/records/{}",
        esc(record.student.as_str()),
        esc(&record.id)
    );
    let csrf = csrf_field(&user.session.csrf_token);
    if mine.iter().any(|r| r.status == LinkStatus::Approved) {
        let _ = write!(
            html,
            r#"<form method="post" action="{base}/reissue" class="inline">{csrf}<button type="submit">Lập phiên bản thay thế</button></form>"#
        );
    } else if !mine.iter().any(|r| r.status == LinkStatus::Pending) {
        let _ = write!(
            html,
            r#"<form method="post" action="{base}/revoke" class="stacked">{csrf}<label>Lý do đề nghị thu hồi <textarea name="reason" required maxlength="2000" rows="2"></textarea></label><button type="submit">Đề nghị thu hồi</button></form>"#
        );
    }
    Ok(html)
}

/// The record behind a revocation action, once the principal's permission is checked.
async fn revocable(
    app: &AppState,
    user: &CurrentUser,
    code: &str,
    id: &str,
) -> Result<(StudentCode, StoredRecord), AppError> {
    let code = parse_student(code)?;
    let record = match app.store().record(&code, id).await {
        Ok(r) => r,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    require(
        app.store(),
        user,
        Permission::RevokeRecord {
            class: record.class,
        },
    )
    .await?;
    let newer = app
        .store()
        .records_of_student(&code)
        .await?
        .iter()
        .any(|r| r.class == record.class && r.version > record.version);
    if newer {
        return Err(AppError::Conflict(
            "Học bạ này đã có phiên bản mới hơn; chỉ thao tác được trên phiên bản hiện hành."
                .to_owned(),
        ));
    }
    Ok((code, record))
}

async fn refused(
    app: &AppState,
    user: &CurrentUser,
    code: &StudentCode,
    status: StatusCode,
    message: &str,
) -> Result<Page, AppError> {
    let notice = format!(r#"<p class="error-message">{}</p>"#, esc(message));
    let mut p = render_versions(app, user, code, Some(&notice)).await?;
    p.status = status;
    Ok(p)
}
