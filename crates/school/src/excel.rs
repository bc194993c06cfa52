//! Excel (.xlsx) import and export (issue 5 item 6):
//!
//! - "Nhập danh sách lớp" (school admin, story 1): a class list is uploaded, every row is
//!   checked and shown in a preview with its errors by row number, and "Nhập" writes all
//!   rows in one transaction or nothing ([`students`]);
//! - "Xuất Excel" / "Nhập từ Excel" on the score grid (subject teacher, story 6): the
//!   class × subject × semester sheet in the teachers' layout, and its import, all rows
//!   valid or nothing written, saved through the grid's own path ([`scores`]);
//! - "Xuất Excel" on "Tổng hợp kết quả" (homeroom teacher): the class summary as the
//!   engine computes it for the page ([`summary`]).
//!
//! Uploads are bounded: the session layer refuses a multipart body over
//! [`MAX_REQUEST_BYTES`] (and checks its CSRF field like any form, see
//! [`crate::multipart`]), a file over
//! [`MAX_UPLOAD_BYTES`] or with more than the import's row limit is refused with a
//! Vietnamese sentence, and anything that is not an .xlsx workbook is named as such.
//! Reading never panics the server ([`read`]).
//!
//! Invariant: every handler calls [`crate::require`] first, for GET and POST alike; a
//! refused or failed import has written nothing.

mod pending;
mod read;
mod scores;
mod students;
mod summary;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::AppError;

/// Largest accepted .xlsx file (5 MiB): a whole school's class list is well under 1 MiB.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Largest accepted multipart request: the file plus the form's other fields.
pub const MAX_REQUEST_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;
/// Shown when an upload is over [`MAX_UPLOAD_BYTES`].
pub const TOO_LARGE: &str = "Tệp tải lên quá lớn: tối đa 5 MB. Không có gì được lưu.";

const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The routes of this module; `crate::router` merges them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/students/import",
            get(students::import_page).post(students::preview),
        )
        .route(
            "/students/import/template",
            get(students::template_download),
        )
        .route(
            "/students/import/confirm",
            axum::routing::post(students::confirm),
        )
        .route("/scores/{class}/{subject}/export", get(scores::export))
        .route(
            "/scores/{class}/{subject}/import",
            get(scores::import_page).post(scores::import),
        )
        .route("/classes/{class}/summary/export", get(summary::export))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
}

/// An uploaded file.
struct Upload {
    filename: String,
    bytes: Vec<u8>,
}

/// The file field `file` of a multipart POST.
fn upload(headers: &HeaderMap, body: &[u8]) -> Result<Upload, AppError> {
    let not_upload = || {
        AppError::BadRequest(
            "Hãy chọn tệp .xlsx bằng nút \"Chọn tệp\" của biểu mẫu rồi bấm \"Tải lên\".".to_owned(),
        )
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let parts = crate::multipart::parse(content_type, body).ok_or_else(not_upload)?;
    let (filename, data) = parts
        .into_iter()
        .find_map(|p| match p.filename {
            Some(name) if p.name == "file" => Some((name, p.data)),
            _ => None,
        })
        .ok_or_else(not_upload)?;
    if data.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::BadRequest(TOO_LARGE.to_owned()));
    }
    Ok(Upload {
        filename,
        bytes: data,
    })
}

/// An .xlsx download named `filename` (UTF-8 allowed; an ASCII fallback is sent too).
fn xlsx_download(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(XLSX_CONTENT_TYPE),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A workbook that could not be written: an internal error (500), nothing was changed.
fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// The upload form of an import page: the CSRF field, a file input and a button.
fn upload_form(action: &str, csrf: &str, button: &str) -> String {
    format!(
        r#"<form method="post" action="{action}" enctype="multipart/form-data" class="upload">{csrf}
<p><label>Tệp Excel (.xlsx, tối đa 5 MB): <input type="file" name="file" accept=".xlsx,{XLSX_CONTENT_TYPE}" required></label></p>
<p><button type="submit">{button}</button></p></form>"#,
        action = crate::html::esc(action),
        csrf = crate::html::csrf_field(csrf),
        button = crate::html::esc(button),
    )
}
