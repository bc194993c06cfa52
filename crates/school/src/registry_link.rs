//! "Kết nối CSDL": the school's own token on the national registry, and the small JSON
//! client the school's other registry pages use (certificates, revocation requests).
//!
//! One installation can host several schools: each school may store its own registry
//! token (migration 0010). The sender ([`crate::sync::Sender`]) and the client here use
//! it; a school without one uses the server-wide default (`--registry-token-env`), if
//! any. The registry URL and its public key stay server-wide.
//!
//! The token is stored as given (the school presents it on every request) and never
//! shown again after it is saved: the page says "đã cấu hình" with its last 4 characters.

use std::fmt::Write;
use std::time::Duration;

use axum::extract::{Form, State};
use domain::date::{civil_from_days, days_from_civil};
use serde::Deserialize;
use serde_json::Value;
use store::SchoolId;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};
use crate::sync::{HttpTransport, SchoolToken, check_token, school_token};

/// How long a page waits for the registry before it shows what it last knew.
const PAGE_TIMEOUT: Duration = Duration::from_secs(5);

/// A JSON client to the configured registry with one school's token.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    transport: HttpTransport,
    token: String,
}

/// Why no client could be made for a school.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    /// The server has no registry URL (`--registry-url`).
    NoRegistry,
    /// Neither the school nor the server has a token.
    NoToken,
}

impl Unlinked {
    /// The sentence for a page.
    pub fn message(self) -> &'static str {
        match self {
            Unlinked::NoRegistry => {
                "Máy chủ chưa được cấu hình địa chỉ CSDL học bạ số (--registry-url); hãy báo quản trị hệ thống."
            }
            Unlinked::NoToken => {
                "Trường chưa có mã truy cập CSDL học bạ số: quản trị trường nhập mã ở trang Kết nối CSDL."
            }
        }
    }
}

impl RegistryClient {
    /// The client for `school`, with its token by the precedence of
    /// [`crate::sync::school_token`]: its own ("Kết nối CSDL"), else the one configured
    /// for its code, else the server's default.
    pub async fn for_school(
        app: &AppState,
        school: SchoolId,
    ) -> Result<Result<RegistryClient, Unlinked>, AppError> {
        let Some(config) = app.config().registry.as_ref() else {
            return Ok(Err(Unlinked::NoRegistry));
        };
        let token = match school_token(
            app.store(),
            &config.school_tokens,
            config.token.as_deref(),
            school,
        )
        .await?
        {
            Some(t) => t.token().to_owned(),
            None => return Ok(Err(Unlinked::NoToken)),
        };
        let mut transport =
            HttpTransport::without_token(&config.url).map_err(AppError::Internal)?;
        transport.timeout = PAGE_TIMEOUT;
        Ok(Ok(RegistryClient { transport, token }))
    }

    /// `GET {registry}{path}`: the status and the JSON body (`Null` when the body is not
    /// JSON). `Err` with a sentence when no answer came.
    pub async fn get_json(&self, path: &str) -> Result<(u16, Value), String> {
        let reply = self
            .transport
            .request(path, Some(&self.token), None)
            .await?;
        Ok((reply.status, parse(&reply.body)))
    }

    /// `POST {registry}{path}` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        self.post_bytes(path, "application/json", body.to_string().into_bytes())
            .await
    }

    /// `POST {registry}{path}` with `body` of `content_type`.
    pub async fn post_bytes(
        &self,
        path: &str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Result<(u16, Value), String> {
        let reply = self
            .transport
            .request(path, Some(&self.token), Some((content_type, body)))
            .await?;
        Ok((reply.status, parse(&reply.body)))
    }
}

fn parse(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The registry's Vietnamese message in a JSON answer, or a generic sentence with the
/// status.
pub fn registry_message(status: u16, v: &Value) -> String {
    match v["message_vi"].as_str() {
        Some(m) if !m.trim().is_empty() => m.to_owned(),
        _ if status == 401 => {
            "CSDL không chấp nhận mã truy cập của trường (401); hãy kiểm tra trang Kết nối CSDL."
                .to_owned()
        }
        _ => format!("CSDL trả lời HTTP {status}."),
    }
}

/// `dd/mm/yyyy HH:MM` in Vietnam time (UTC+7) of an ISO 8601 UTC time
/// (`YYYY-MM-DDTHH:MM[:SS…]Z`); the text unchanged when it is not one.
pub fn vn_datetime(iso: &str) -> String {
    parse_iso(iso).map_or_else(|| iso.to_owned(), vn_unix)
}

/// `dd/mm/yyyy HH:MM` in Vietnam time of Unix seconds.
pub fn vn_unix(unix: i64) -> String {
    let t = unix + 7 * 3600;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!(
        "{d:02}/{m:02}/{y} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

fn parse_iso(iso: &str) -> Option<i64> {
    let b = iso.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| iso.get(r)?.parse::<i64>().ok();
    let (y, m, d, h, min) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 {
        return None;
    }
    let sec = if b.len() >= 19 && b[16] == b':' {
        num(17..19)?
    } else {
        0
    };
    // `m` and `d` were checked to be in 1..=31 above.
    Some(days_from_civil(y, m as u8, d as u8) * 86_400 + h * 3600 + min * 60 + sec)
}

// ---------------------------------------------------------------------------------------
// The "Kết nối CSDL" page.

/// `GET /registry`: the registry URL, whether the school has its own token, the form.
pub async fn link_page(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageRegistryLink).await?;
    render(&app, &user, None).await
}

/// The token form.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// `POST /registry`: sets or replaces the school's token (audited).
pub async fn set_token(
    State(app): State<AppState>,
    user: CurrentUser,
    Form(form): Form<TokenForm>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageRegistryLink).await?;
    let token = form.token.trim();
    if check_token(token).is_err() || token.len() > store::MAX_REGISTRY_TOKEN {
        let notice = r#"<p class="error-message">Mã truy cập không hợp lệ: phải là chuỗi 1–512 kí tự ASCII in được, không có dấu cách. Không có gì thay đổi.</p>"#;
        let mut p = render(&app, &user, Some(notice)).await?;
        p.status = axum::http::StatusCode::BAD_REQUEST;
        return Ok(p);
    }
    app.store()
        .set_registry_token(user.teacher.school, token, &crate::history::stamp(&user))
        .await?;
    tracing::info!(teacher = %user.teacher.username, school = user.teacher.school.0, "registry token set");
    let notice = r#"<p class="ok">Đã lưu mã truy cập CSDL của trường. Học bạ đã đóng dấu của trường được gửi bằng mã này.</p>"#;
    render(&app, &user, Some(notice)).await
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    notice: Option<&str>,
) -> Result<Page, AppError> {
    let mut body = notice.unwrap_or_default().to_owned();
    let registry = app.config().registry.as_ref();
    match registry {
        Some(r) => {
            let _ = write!(
                body,
                "<p>Địa chỉ CSDL học bạ số (cấu hình chung của máy chủ): <code>{}</code></p>",
                esc(&r.url)
            );
        }
        None => {
            let _ = write!(
                body,
                r#"<p class="warning">{}</p>"#,
                Unlinked::NoRegistry.message()
            );
        }
    }
    let own = app.store().registry_token(user.teacher.school).await?;
    let token = match registry {
        Some(r) => {
            school_token(
                app.store(),
                &r.school_tokens,
                r.token.as_deref(),
                user.teacher.school,
            )
            .await?
        }
        None => own.clone().map(SchoolToken::Own),
    };
    let state = match &token {
        Some(SchoolToken::Own(t)) => format!(
            "<strong>đã cấu hình</strong> (kết thúc bằng <code>{}</code>)",
            esc(&store::token_hint(t))
        ),
        Some(SchoolToken::Configured(_)) => {
            "chưa có mã riêng; đang dùng mã cấu hình cho trường trên máy chủ".to_owned()
        }
        Some(SchoolToken::Default(_)) => {
            "chưa có mã riêng; đang dùng mã mặc định của máy chủ".to_owned()
        }
        None => {
            "<strong>chưa cấu hình</strong>: học bạ đã đóng dấu chờ trong hàng đợi, chưa gửi được"
                .to_owned()
        }
    };
    let _ = write!(
        body,
        r#"<p>Mã truy cập của trường: {state}.</p>
<form method="post" action="/registry" class="stacked">{}<label>Mã truy cập mới (do CSDL học bạ số cấp cho trường) <input type="password" name="token" autocomplete="off" required maxlength="512"></label><p class="help">Mã được lưu trên máy chủ của trường để gửi học bạ và chứng thư số; sau khi lưu sẽ không hiển thị lại.</p><p><button type="submit">{}</button></p></form>"#,
        csrf_field(&user.session.csrf_token),
        if own.is_some() {
            "Thay mã truy cập"
        } else {
            "Lưu mã truy cập"
        }
    );
    Ok(page(user, app.config().demo, "Kết nối CSDL", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_vietnam_time() {
        assert_eq!(vn_datetime("2026-06-24T17:00:00Z"), "25/06/2026 00:00");
        assert_eq!(vn_datetime("2026-01-01T03:05:59Z"), "01/01/2026 10:05");
        assert_eq!(vn_datetime("2026-01-01T03:05Z"), "01/01/2026 10:05");
        assert_eq!(vn_datetime("hôm qua"), "hôm qua");
        assert_eq!(vn_datetime("2026-13-01T03:05:00Z"), "2026-13-01T03:05:00Z");
        assert_eq!(vn_unix(0), "01/01/1970 07:00");
    }
}
