//! "Quản trị": the school admin's pages (STORIES #1–#4).
//!
//! - "Tài khoản giáo viên" ([`accounts`]): the school's accounts and roles; creating an
//!   account or resetting passwords issues random first-login passwords, shown once on
//!   "In mật khẩu lần đầu" and stored only as argon2id hashes; the account must change
//!   the password at its next login; "Khóa tài khoản" removes an account's password.
//! - "Phân công giảng dạy" ([`teaching`]): per class, the homeroom teacher and the teacher
//!   of each subject of the class's programme.
//! - "Quy trình ký" ([`chain`]): the signing chain the server enforces, per level.
//! - "Chưa có mã định danh" ([`personal_ids`]): students without a personal ID, with a
//!   form to enter it.
//! - "Năm học" ([`years`]): the school years, and creating the next one.
//!
//! The index also links to "Nhập danh sách lớp" (`crate::excel`), the admin's import.
//!
//! Invariant: every handler calls [`crate::require`] first, GET and POST alike, with a
//! permission only the school admin holds, for their own school; every change is written
//! with its audit entries in one transaction by a `*_audited` store function; a refused or
//! invalid request changes nothing.

mod accounts;
mod chain;
mod personal_ids;
mod teaching;
mod years;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, page};
use crate::permission::{Menu, Permission, require};

/// The routes of this module; `crate::router` merges them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route(
            "/admin/accounts",
            get(accounts::list).post(accounts::create),
        )
        .route("/admin/accounts/reset", post(accounts::reset))
        .route("/admin/accounts/lock", post(accounts::lock))
        .route("/admin/accounts/{id}", get(accounts::account))
        .route("/admin/accounts/{id}/roles", post(accounts::set_roles))
        .route("/admin/teaching", get(teaching::classes))
        .route(
            "/admin/teaching/{class}",
            get(teaching::class_page).post(teaching::save),
        )
        .route("/admin/signing-chain", get(chain::chain))
        .route(
            "/admin/personal-ids",
            get(personal_ids::list).post(personal_ids::save),
        )
        .route("/admin/years", get(years::list).post(years::create))
}

/// The admin's sections: (href, label, what it is for).
const SECTIONS: &[(&str, &str, &str)] = &[
    (
        "/admin/accounts",
        "Tài khoản giáo viên",
        "Tạo tài khoản, giao vai trò, cấp lại mật khẩu và in mật khẩu lần đầu.",
    ),
    (
        "/students/import",
        "Nhập danh sách lớp",
        "Nhập danh sách học sinh từ Excel: xem trước các dòng lỗi, rồi nhập tất cả hoặc không nhập gì.",
    ),
    (
        "/admin/teaching",
        "Phân công giảng dạy",
        "Giáo viên chủ nhiệm và giáo viên bộ môn của từng lớp.",
    ),
    (
        "/admin/signing-chain",
        "Quy trình ký",
        "Thứ tự ký học bạ số theo cấp học: GVCN → Hiệu trưởng (Giám đốc) → Dấu đơn vị.",
    ),
    (
        "/admin/personal-ids",
        "Chưa có mã định danh",
        "Học sinh chưa có số định danh cá nhân (chưa ký được học bạ); nhập số cho từng em.",
    ),
    (
        "/admin/years",
        "Năm học",
        "Các năm học và tạo năm học tiếp theo.",
    ),
    (
        "/school/audit",
        "Nhật ký thay đổi của trường",
        "Mọi thay đổi tại trường: tài khoản, vai trò, phân công, điểm, học bạ, năm học — ai làm, khi nào.",
    ),
];

/// `GET /admin`: one card per admin section.
async fn index(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageAccounts).await?;
    let mut body = String::from(r#"<div class="cards">"#);
    for (href, label, blurb) in SECTIONS {
        body.push_str(&format!(
            r#"<a class="card" href="{href}"><strong>{label}</strong><span>{blurb}</span></a>"#
        ));
    }
    body.push_str("</div>");
    Ok(page(&user, app.config().demo, Menu::Admin.label(), &body))
}

/// The fields of an `application/x-www-form-urlencoded` body in order, repeated names
/// kept (check boxes); [`AppError::BadRequest`] when the body is not such a form.
fn form_pairs(body: &Bytes) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("Biểu mẫu gửi lên không hợp lệ.".to_owned()))
}

/// The first value of field `name`, if present.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A link back to the admin home, for the end of each page.
fn back() -> &'static str {
    r#"<p><a href="/admin">← Quản trị</a></p>"#
}
