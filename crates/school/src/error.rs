//! The one error type of the web layer: the user sees a Vietnamese sentence, the log gets
//! the cause chain, the client never sees internals.

use std::error::Error as StdError;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::html::{bare_page, esc};

/// Why a request was not served. Every variant renders as a Vietnamese page (or a
/// redirect); none of them has changed anything in the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// Not logged in (or the session expired): redirect to the login page.
    #[error("login required")]
    LoginRequired,
    /// Logged in with a seeded password outside demo mode: redirect to "Đổi mật khẩu".
    #[error("password change required")]
    PasswordChangeRequired,
    /// The permission check refused; the text is the Vietnamese reason shown (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The POST carried no CSRF token or a wrong one (403).
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The address names nothing (404).
    #[error("not found")]
    NotFound,
    /// The request itself is malformed; the text is the Vietnamese reason shown (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request collides with the state of the data (a locked record, a record
    /// changed meanwhile); the text is the Vietnamese reason shown (409). Nothing saved.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many failed logins for this username from this address (429).
    #[error("too many failed logins")]
    TooManyAttempts,
    /// A database failure: logged with its cause chain, shown as a generic sentence (500).
    #[error("store")]
    Store(#[from] store::Error),
    /// Any other internal failure (500).
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A 403 whose page reads "Bạn không có quyền {what}.".
    pub fn forbidden(what: &str) -> AppError {
        AppError::Forbidden(format!("Bạn không có quyền {what}."))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::LoginRequired => return redirect("/login"),
            AppError::PasswordChangeRequired => return redirect("/password"),
            AppError::Forbidden(reason) => {
                tracing::info!(reason = %reason, "refused");
                (StatusCode::FORBIDDEN, "Không có quyền", reason.clone())
            }
            AppError::Csrf => {
                tracing::info!("refused a POST without a valid CSRF token");
                (
                    StatusCode::FORBIDDEN,
                    "Không có quyền",
                    "Bạn không có quyền gửi biểu mẫu này: phiên làm việc đã hết hạn hoặc \
                     biểu mẫu không hợp lệ. Không có gì được lưu. Hãy tải lại trang \
                     (hoặc đăng nhập lại) rồi thử lại."
                        .to_owned(),
                )
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Không tìm thấy",
                "Không tìm thấy trang này.".to_owned(),
            ),
            AppError::BadRequest(reason) => (
                StatusCode::BAD_REQUEST,
                "Yêu cầu không hợp lệ",
                reason.clone(),
            ),
            AppError::Conflict(reason) => {
                tracing::info!(reason = %reason, "conflict");
                (StatusCode::CONFLICT, "Không thể thực hiện", reason.clone())
            }
            AppError::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "Tạm khóa đăng nhập",
                "Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau 15 phút.".to_owned(),
            ),
            AppError::Store(store::Error::Locked { student }) => {
                tracing::info!(student = %student, "refused a change to a locked record");
                (
                    StatusCode::CONFLICT,
                    "Không thể thực hiện",
                    crate::workflow::locked_message(&format!("mã {student}")),
                )
            }
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %chain(&self), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Lỗi hệ thống",
                    "Đã có lỗi hệ thống; không có gì được lưu. Vui lòng thử lại sau hoặc báo \
                     cho quản trị trường."
                        .to_owned(),
                )
            }
        };
        let body = format!(
            r#"<p class="error-message">{}</p><p><a href="/">Về trang chủ</a></p>"#,
            esc(&message)
        );
        bare_page(status, title, false, &body).into_response()
    }
}

/// A 303 See Other to `to` (a path of this site).
pub fn redirect(to: &'static str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    r
}

/// `error: cause: cause…` for the log.
fn chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
