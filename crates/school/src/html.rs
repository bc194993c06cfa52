//! Server-rendered HTML: escaping, the page layout and the menu.
//!
//! Pages are built with `format!` and `push_str` into a `String`. The rule that keeps
//! this safe: every value that did not come from a string literal in this crate goes
//! through [`esc`] (text and attribute values alike — it escapes quotes too).

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use store::Role;

use crate::auth::CurrentUser;
use crate::permission::Menu;

pub use web::esc;

/// A rendered page with its status code. Pages are never cached (they hold personal data).
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// The whole document.
    pub html: String,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The Vietnamese name of a role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Quản trị trường",
        Role::Principal => "Hiệu trưởng",
        Role::Homeroom => "Giáo viên chủ nhiệm",
        Role::SubjectTeacher => "Giáo viên bộ môn",
        Role::Clerk => "Văn thư",
    }
}

/// A full page for a logged-in user: header with school and user, the menu of what the
/// user's roles allow, a logout button (a POST form with the CSRF token), then `body`
/// (already HTML).
pub fn page(user: &CurrentUser, demo: bool, title: &str, body: &str) -> Page {
    let mut nav = String::new();
    for item in Menu::for_roles(&user.teacher.roles) {
        let _ = write!(
            nav,
            r#"<li><a href="{}">{}</a></li>"#,
            item.href(),
            item.label()
        );
    }
    let roles: Vec<&str> = user.teacher.roles.iter().map(|r| role_label(*r)).collect();
    let header = format!(
        r#"<header class="top">
<div class="brand"><a href="/">Học bạ số</a> <span class="school">{school}</span></div>
<nav><ul>{nav}<li><a href="/password">Đổi mật khẩu</a></li></ul></nav>
<div class="who"><span>{name}</span> <small>{roles}</small>
<form method="post" action="/logout" class="inline">{csrf}<button type="submit">Đăng xuất</button></form></div>
</header>"#,
        school = esc(&user.school.name),
        name = esc(&user.teacher.full_name),
        roles = esc(&roles.join(", ")),
        csrf = csrf_field(&user.session.csrf_token),
    );
    document(StatusCode::OK, title, demo, &header, body)
}

/// A page without the user header (login, errors).
pub fn bare_page(status: StatusCode, title: &str, demo: bool, body: &str) -> Page {
    let header =
        r#"<header class="top"><div class="brand"><a href="/">Học bạ số</a></div></header>"#;
    document(status, title, demo, header, body)
}

/// The hidden field carrying the CSRF token in every POST form.
pub fn csrf_field(token: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        crate::auth::CSRF_FIELD,
        esc(token)
    )
}

fn document(status: StatusCode, title: &str, demo: bool, header: &str, body: &str) -> Page {
    let banner = if demo {
        r#"<div class="demo">Chế độ trình diễn — dữ liệu giả lập, mật khẩu mọi tài khoản: <code>hocba-demo</code></div>"#
    } else {
        ""
    };
    let html = format!(
        r#"<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Học bạ số</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/grid.js" defer></script>
</head>
<body>
{banner}{header}
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = esc(title),
    );
    Page { status, html }
}

/// A number of tenths with the Vietnamese decimal comma: `7,8`, `10,0`.
pub fn tenths(t: domain::Tenths) -> String {
    t.to_string().replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("Nguyễn Thị Ánh"), "Nguyễn Thị Ánh");
    }

    #[test]
    fn tenths_use_the_decimal_comma() {
        assert_eq!(tenths(domain::Tenths::from_tenths(78)), "7,8");
        assert_eq!(tenths(domain::Tenths::from_tenths(100)), "10,0");
    }
}
