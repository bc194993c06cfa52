//! "In bản sao giấy" (STORIES #17): the paper copy of a signed record version as a PDF,
//! made by the `render` crate, for the clerk or the principal of the record's school.
//! Every print is written to the audit log (`record.print`) and to the server log. The
//! files are PDF/A-3b, dated with the audit entry's time. A whole class at once ("Tải bản
//! sao giấy cả lớp", one PDF or a zip) is in `paper/batch.rs`.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use store::{AuditAction, AuditChange, AuditStamp, RecordState, StoredRecord};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history::{stamp, vietnam_time};
use crate::permission::{Permission, require};
use crate::workflow::{parse_student, role_name};

mod batch;

pub use batch::{class_paper_copies, class_section};

/// The verify page printed on paper copies when neither `--verify-url` nor a registry is
/// configured: the local demo registry's.
pub const DEMO_VERIFY_URL: &str = "http://127.0.0.1:8090/verify";

/// The registry's public verify page printed on paper copies (the record id is appended
/// as `?code=`): [`crate::Config::verify_url`], else `{registry url}/verify`, else
/// [`DEMO_VERIFY_URL`].
pub fn verify_url(app: &AppState) -> String {
    let config = app.config();
    if let Some(url) = &config.verify_url {
        return url.clone();
    }
    match &config.registry {
        Some(r) => format!("{}/verify", r.url.trim_end_matches('/')),
        None => DEMO_VERIFY_URL.to_owned(),
    }
}

/// `GET /students/{code}/records/{id}/pdf`: the paper copy of one signed version.
pub async fn paper_copy(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let code = parse_student(&code)?;
    let stored = match app.store().record(&code, &id).await {
        Ok(r) => r,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    // Checks the class is of the user's school and the role (clerk or principal).
    require(
        app.store(),
        &user,
        Permission::PrintPaperCopy {
            class: stored.class,
        },
    )
    .await?;
    let xml = match (&stored.state, &stored.xml) {
        (RecordState::Signed | RecordState::Synced, Some(xml)) => xml,
        _ => {
            return Err(AppError::Conflict(
                "Chỉ in được bản sao giấy của học bạ đã ký và đóng dấu.".to_owned(),
            ));
        }
    };
    let document = record::parse_document(xml.as_bytes())
        .map_err(|e| AppError::Internal(format!("stored record {id} does not parse: {e}")))?;
    let stamp = stamp(&user);
    let info = copy_info(&verify_url(&app), &user, &stored, &stamp);
    let pdf = render::paper_copy_at(&document.record, xml.as_bytes(), &info, moment(&stamp)?)
        .map_err(|e| AppError::Internal(format!("paper copy of {id}: {e}")))?;
    let change = print_change(&stored);
    app.store()
        .append_audit(&stamp, std::slice::from_ref(&change))
        .await?;
    tracing::info!(
        user = %user.teacher.username,
        student = %code.as_str(),
        record = %stored.id,
        version = stored.version,
        lookup = %info.lookup_url,
        "paper copy printed"
    );
    let disposition = format!(
        "attachment; filename=\"hocba-{}-v{}.pdf\"",
        code.as_str(),
        stored.version
    );
    let mut response = pdf.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// What a copy of `stored` printed now by `user` says about itself: the lookup code (the
/// record id) and URL, the converter and time, the signers in chain order.
fn copy_info(
    verify_url: &str,
    user: &CurrentUser,
    stored: &StoredRecord,
    stamp: &AuditStamp,
) -> render::PaperCopyInfo {
    let lookup_code = stored.id.clone();
    render::PaperCopyInfo {
        lookup_url: format!("{verify_url}?code={lookup_code}"),
        lookup_code,
        converted_by: user.teacher.full_name.clone(),
        converted_at: format!("{} (giờ Việt Nam)", vietnam_time(&stamp.at)),
        signers: stored
            .signers
            .iter()
            .map(|s| render::Signer {
                role: match role_name(&s.role) {
                    "" => s.role.clone(),
                    name => name.to_owned(),
                },
                name: s.name.clone(),
                time: s
                    .at
                    .parse::<store::AuditTime>()
                    .map_or_else(|_| s.at.clone(), |t| vietnam_time(&t)),
            })
            .collect(),
    }
}

/// The audit entry of one printed copy of `stored` (`record.print`).
fn print_change(stored: &StoredRecord) -> AuditChange {
    AuditChange {
        student: Some(stored.student.clone()),
        class: Some(stored.class),
        action: AuditAction::RecordPrint,
        field: "record".to_owned(),
        old: None,
        new: Some(format!("{} v{}", stored.id, stored.version)),
    }
}

/// The audit stamp's time as the PDF's date, so that the file and the log agree.
fn moment(stamp: &AuditStamp) -> Result<render::Moment, AppError> {
    stamp
        .at
        .to_string()
        .parse()
        .map_err(|e| AppError::Internal(format!("audit time: {e}")))
}
