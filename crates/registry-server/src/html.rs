//! Server-rendered HTML: escaping and the page layout. Every value that did not come
//! from a string literal in this crate goes through [`esc`]. No external assets: the
//! style sheet is inline (allowed by the page's Content-Security-Policy), no script.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) use web::esc;

/// A whole page: `title` (text, escaped here) and `body` (already HTML).
pub(crate) fn page(status: StatusCode, title: &str, demo: bool, body: &str) -> Response {
    let banner = if demo {
        r#"<div class="demo">Chế độ trình diễn — dữ liệu giả lập, không có giá trị pháp lý.</div>"#
    } else {
        ""
    };
    let html = format!(
        r#"<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — CSDL học bạ số</title>
<style>{STYLE}</style>
</head>
<body>
{banner}
<header><a href="/verify">CSDL học bạ số</a></header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = esc(title),
    );
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// The 404 page.
pub(crate) fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Không tìm thấy",
        false,
        r#"<p>Không tìm thấy trang này. <a href="/verify">Xác thực học bạ</a></p>"#,
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9}\
header{background:#8b1a1a;padding:.6rem 1rem}header a{color:#fff;font-weight:600;text-decoration:none}\
main{max-width:48rem;margin:1rem auto;padding:0 1rem}\
.demo{background:#fff3bf;padding:.4rem 1rem;font-size:.9rem}\
.verdict{padding:.8rem 1rem;border-radius:.4rem;font-size:1.2rem;font-weight:600}\
.valid{background:#d3f9d8;color:#0b5d1e}.invalid{background:#ffe3e3;color:#8b1a1a}\
.revoked{background:#fff3bf;color:#7a4b00}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ddd;padding:.4rem;text-align:left}\
form{background:#fff;padding:1rem;border:1px solid #ddd;border-radius:.4rem}\
.note{color:#555;font-size:.9rem}";
