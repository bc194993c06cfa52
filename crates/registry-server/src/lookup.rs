//! "Tra cứu học bạ" (STORIES #22, #23): a student or parent proves who they are with
//! personal ID + student code + date of birth and sees every record of that student
//! across schools and years (current and revoked, with lineage), downloads each as the
//! signed XML or the PDF paper copy, and creates or revokes share codes. No account.
//!
//! Every action is a POST that carries the three facts again (hidden fields of the
//! result page) and proves them again: there is no session to steal. The proof is
//! checked against the personal ID and birth date inside the newest stored record of the
//! student code. Answers never tell which fact was wrong ("Không tìm thấy"), and the
//! work is about the same either way (a missing student still costs one parse of a
//! record). Failed proofs count per client address and per student code: after
//! [`MAX_FAILURES`] in [`WINDOW_SECS`] every attempt is refused with 429 until the window
//! passes, right or wrong.

// Helpers answer early with the finished `Response` as their error (as in `api`).
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Extension, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Date, PersonalId, StudentCode};
use serde::Deserialize;
use store::{RegistryRecord, RegistryStatus, ShareCode};

use crate::AppState;
use crate::html::{esc, page};
use crate::revocation::lineage;
use crate::share;
use crate::verify::time_vi;

/// Failed proofs allowed per client address and per student code within the window.
pub const MAX_FAILURES: i64 = 10;
/// The rate-limit window: 15 minutes.
pub const WINDOW_SECS: i64 = 15 * 60;
/// The expiries a student may choose for a share code, in days.
pub const SHARE_DAYS: [i64; 3] = [7, 30, 90];

/// The fields of every lookup form; the action decides which are used.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LookupForm {
    #[serde(default)]
    personal_id: String,
    #[serde(default)]
    student_code: String,
    #[serde(default)]
    born: String,
    /// Download: which record.
    #[serde(default)]
    record_id: String,
    /// Download: `xml` or `pdf`.
    #[serde(default)]
    format: String,
    /// Share: a record id or `all`.
    #[serde(default)]
    scope: String,
    /// Share: 7, 30 or 90.
    #[serde(default)]
    days: String,
    /// Revoke a share code: its id.
    #[serde(default)]
    share_id: String,
}

/// The client address as the server saw it, when the server was started with connect
/// info (`hocba registry` is).
pub(crate) type Client = Option<Extension<ConnectInfo<SocketAddr>>>;

/// A proven student: their records and what the result page shows.
struct Proven {
    student: StudentCode,
    name: String,
    records: Vec<RegistryRecord>,
}

/// `GET /tra-cuu`: the form.
pub(crate) async fn form_page(State(app): State<AppState>) -> Response {
    page(
        StatusCode::OK,
        "Tra cứu học bạ",
        app.config().demo,
        &form_html(""),
    )
}

/// `POST /tra-cuu`: the result page, or the generic "Không tìm thấy".
pub(crate) async fn submit(
    State(app): State<AppState>,
    client: Client,
    Form(form): Form<LookupForm>,
) -> Response {
    match prove(&app, &form, &client).await {
        Ok(p) => result_page(&app, &form, &p, "").await,
        Err(r) => r,
    }
}

/// `POST /tra-cuu/tai-ve`: one record as the signed XML or the PDF paper copy.
pub(crate) async fn download(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<LookupForm>,
) -> Response {
    let p = match prove(&app, &form, &client).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = form.record_id.trim();
    let Some(rec) = p.records.iter().find(|r| r.record_id == id) else {
        return not_found(&app);
    };
    share::deliver(&app, rec, &form.format, &headers).await
}

/// `POST /tra-cuu/chia-se`: a new share code, shown once.
pub(crate) async fn create_share(
    State(app): State<AppState>,
    client: Client,
    Form(form): Form<LookupForm>,
) -> Response {
    let p = match prove(&app, &form, &client).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let demo = app.config().demo;
    let scope = form.scope.trim();
    let record_id = if scope == "all" {
        None
    } else if p.records.iter().any(|r| r.record_id == scope) {
        Some(scope.to_owned())
    } else {
        return result_page(&app, &form, &p, "Hãy chọn học bạ cần chia sẻ.").await;
    };
    let Some(days) = form
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| SHARE_DAYS.contains(d))
    else {
        return result_page(&app, &form, &p, "Thời hạn phải là 7, 30 hoặc 90 ngày.").await;
    };
    let now = app.now();
    let code = match share::create(&app, &p.student, record_id.clone(), now, days).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let what = match &record_id {
        Some(id) => format!("học bạ mã {}", esc(id)),
        None => "tất cả học bạ".to_owned(),
    };
    page(
        StatusCode::OK,
        "Mã chia sẻ học bạ",
        demo,
        &format!(
            "<p>Mã chia sẻ {what}, có hiệu lực đến {}:</p>\
             <p class=\"verdict valid\"><code>{code}</code></p>\
             <p>Mã chỉ hiển thị <strong>một lần</strong>; hãy chép lại và gửi cho nơi nhận. \
             Nơi nhận mở <a href=\"/chia-se/{code}\">/chia-se/{code}</a> (hoặc API \
             <code>/api/v1/shared/{code}</code>) để xem và xác thực.</p>{}",
            esc(&time_vi(now + days * 86_400)),
            back_form(&form),
            code = esc(&code),
        ),
    )
}

/// `POST /tra-cuu/huy-chia-se`: revokes one of the student's share codes.
pub(crate) async fn revoke_share(
    State(app): State<AppState>,
    client: Client,
    Form(form): Form<LookupForm>,
) -> Response {
    let p = match prove(&app, &form, &client).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = form.share_id.trim().parse::<i64>() else {
        return result_page(&app, &form, &p, "Không tìm thấy mã chia sẻ này.").await;
    };
    let message = match app
        .store()
        .revoke_share_code(&p.student, id, app.now())
        .await
    {
        Ok(()) => "Đã thu hồi mã chia sẻ.",
        Err(store::Error::NotFound { .. }) => "Không tìm thấy mã chia sẻ này.",
        Err(e) => return system_error(&app, &e),
    };
    result_page(&app, &form, &p, message).await
}

/// Checks the three facts, with the rate limit. `Err` is the finished answer.
async fn prove(app: &AppState, form: &LookupForm, client: &Client) -> Result<Proven, Response> {
    let now = app.now();
    let addr = client
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.0.ip().to_string());
    let code_text: String = form
        .student_code
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(40)
        .collect();
    let ip_bucket = format!("ip:{addr}");
    let student_bucket = format!("student:{code_text}");
    let buckets = [ip_bucket.as_str(), student_bucket.as_str()];
    let failures = app
        .store()
        .lookup_failures(&buckets, now - WINDOW_SECS)
        .await
        .map_err(|e| system_error(app, &e))?;
    if failures.iter().any(|&n| n >= MAX_FAILURES) {
        tracing::info!(client = %addr, "lookup rate limit");
        return Err(too_many(app));
    }

    let student: Option<StudentCode> = code_text.parse().ok();
    let personal_id: Option<PersonalId> = form.personal_id.trim().parse().ok();
    let born: Option<Date> = form.born.trim().parse().ok();
    let records = match &student {
        Some(s) => app
            .store()
            .registry_records_of_student(s)
            .await
            .map_err(|e| system_error(app, &e))?,
        None => Vec::new(),
    };
    let newest = records.iter().max_by_key(|r| (r.received_at, r.version));
    let xml = match (&student, newest) {
        (Some(s), Some(r)) => app
            .store()
            .registry_record_xml(s, &r.record_id)
            .await
            .map_err(|e| system_error(app, &e))?,
        _ => None,
    };
    // Parse a stand-in when the student is unknown, so that a wrong code costs about as
    // much as a wrong birth date.
    let parsed = match &xml {
        Some(x) => record::parse_document(x.as_bytes()).ok(),
        None => {
            let _ = record::parse_document(stand_in());
            None
        }
    };
    let matched = parsed.filter(|d| {
        let st = &d.record.student;
        personal_id.is_some()
            && st.personal_id == personal_id
            && born.is_some_and(|b| st.born == b)
            && student.as_ref() == Some(&st.code)
    });
    match (matched, student) {
        (Some(doc), Some(student)) => Ok(Proven {
            student,
            name: doc.record.student.name.to_string(),
            records,
        }),
        _ => {
            app.store()
                .record_lookup_failure(&buckets, now, now - WINDOW_SECS)
                .await
                .map_err(|e| system_error(app, &e))?;
            Err(not_found(app))
        }
    }
}

async fn result_page(app: &AppState, form: &LookupForm, p: &Proven, message: &str) -> Response {
    let demo = app.config().demo;
    let now = app.now();
    let shares = match app.store().share_codes_of_student(&p.student).await {
        Ok(s) => s,
        Err(e) => return system_error(app, &e),
    };
    let mut schools = BTreeMap::new();
    for r in &p.records {
        if !schools.contains_key(&r.school_code) {
            let name = match app.store().registry_school(&r.school_code).await {
                Ok(s) => s.map_or_else(|| r.school_code.clone(), |s| s.name),
                Err(e) => return system_error(app, &e),
            };
            schools.insert(r.school_code.clone(), name);
        }
    }
    let mut body = String::new();
    if !message.is_empty() {
        body.push_str(&format!(
            "<p class=\"verdict revoked\">{}</p>",
            esc(message)
        ));
    }
    body.push_str(&format!(
        "<p>Học sinh: <strong>{}</strong> <span class=\"note\">(mã học sinh {})</span></p>",
        esc(&p.name),
        esc(p.student.as_str())
    ));
    body.push_str(
        "<table><tr><th>Năm học</th><th>Khối</th><th>Trường</th><th>Mã học bạ</th>\
         <th>Tình trạng</th><th>Tải về</th></tr>",
    );
    let mut ordered: Vec<&RegistryRecord> = p.records.iter().collect();
    ordered.sort_by(|a, b| {
        (b.year.start(), b.grade.get(), b.version).cmp(&(a.year.start(), a.grade.get(), a.version))
    });
    for r in &ordered {
        let status = status_html(r, &p.records);
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} <span class=\"note\">(phiên bản {})\
             </span></td><td>{status}</td><td>{}{}</td></tr>",
            esc(&r.year.to_string()),
            r.grade.get(),
            esc(schools.get(&r.school_code).unwrap_or(&r.school_code)),
            esc(&r.record_id),
            r.version,
            action_form(
                form,
                "/tra-cuu/tai-ve",
                "Tải XML",
                &[("record_id", &r.record_id), ("format", "xml")]
            ),
            action_form(
                form,
                "/tra-cuu/tai-ve",
                "Tải PDF",
                &[("record_id", &r.record_id), ("format", "pdf")]
            ),
        ));
    }
    body.push_str("</table>");

    body.push_str("<h2>Chia sẻ học bạ</h2><form method=\"post\" action=\"/tra-cuu/chia-se\">");
    body.push_str(&hidden_triple(form));
    body.push_str(
        "<p><label>Học bạ: <select name=\"scope\"><option value=\"all\">Tất cả học bạ</option>",
    );
    for r in &ordered {
        body.push_str(&format!(
            "<option value=\"{id}\">Năm học {} — khối {} — {id}</option>",
            esc(&r.year.to_string()),
            r.grade.get(),
            id = esc(&r.record_id)
        ));
    }
    body.push_str("</select></label> <label>Thời hạn: <select name=\"days\">");
    for d in SHARE_DAYS {
        body.push_str(&format!("<option value=\"{d}\">{d} ngày</option>"));
    }
    body.push_str("</select></label> <button type=\"submit\">Tạo mã chia sẻ</button></p></form>");
    if !shares.is_empty() {
        body.push_str(
            "<table><tr><th>Tạo lúc</th><th>Học bạ</th><th>Hết hạn</th><th>Tình trạng</th>\
             <th></th></tr>",
        );
        for s in &shares {
            body.push_str(&share_row(form, s, now));
        }
        body.push_str("</table>");
    }
    body.push_str("<p><a href=\"/tra-cuu\">Tra cứu khác</a></p>");
    page(StatusCode::OK, "Học bạ của học sinh", demo, &body)
}

fn status_html(r: &RegistryRecord, all: &[RegistryRecord]) -> String {
    let mut s = match r.status {
        RegistryStatus::Current => "Hiện hành".to_owned(),
        RegistryStatus::Revoked => format!(
            "<strong>Đã thu hồi</strong> lúc {}. Lý do: {}",
            esc(&time_vi(r.revoked_at.unwrap_or_default())),
            esc(r.revoked_reason.as_deref().unwrap_or(""))
        ),
    };
    let chain = lineage(all, &r.record_id);
    let pos = chain.iter().position(|c| c.record_id == r.record_id);
    if let Some(prev) = pos
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| chain.get(i))
    {
        s.push_str(&format!(
            "<br><span class=\"note\">Thay thế phiên bản {} (mã {})</span>",
            prev.version,
            esc(&prev.record_id)
        ));
    }
    if let Some(next) = pos.and_then(|i| chain.get(i + 1)) {
        s.push_str(&format!(
            "<br><span class=\"note\">Được thay thế bởi phiên bản {} (mã {})</span>",
            next.version,
            esc(&next.record_id)
        ));
    }
    s
}

fn share_row(form: &LookupForm, s: &ShareCode, now: i64) -> String {
    let state = if s.revoked_at.is_some() {
        "Đã thu hồi"
    } else if now >= s.expires_at {
        "Hết hạn"
    } else {
        "Còn hiệu lực"
    };
    let revoke = if s.is_active(now) {
        action_form(
            form,
            "/tra-cuu/huy-chia-se",
            "Thu hồi mã",
            &[("share_id", &s.id.to_string())],
        )
    } else {
        String::new()
    };
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{revoke}</td></tr>",
        esc(&time_vi(s.created_at)),
        esc(s.record_id.as_deref().unwrap_or("Tất cả")),
        esc(&time_vi(s.expires_at)),
    )
}

fn hidden_triple(form: &LookupForm) -> String {
    format!(
        "<input type=\"hidden\" name=\"personal_id\" value=\"{}\">\
         <input type=\"hidden\" name=\"student_code\" value=\"{}\">\
         <input type=\"hidden\" name=\"born\" value=\"{}\">",
        esc(form.personal_id.trim()),
        esc(form.student_code.trim()),
        esc(form.born.trim())
    )
}

fn action_form(form: &LookupForm, action: &str, label: &str, fields: &[(&str, &str)]) -> String {
    let mut s = format!(
        "<form method=\"post\" action=\"{action}\" style=\"display:inline;border:0;padding:0\">{}",
        hidden_triple(form)
    );
    for (name, value) in fields {
        s.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            esc(value)
        ));
    }
    s.push_str(&format!(
        "<button type=\"submit\">{}</button></form>",
        esc(label)
    ));
    s
}

fn back_form(form: &LookupForm) -> String {
    format!(
        "<form method=\"post\" action=\"/tra-cuu\">{}<button type=\"submit\">Quay lại danh sách \
         học bạ</button></form>",
        hidden_triple(form)
    )
}

fn form_html(message: &str) -> String {
    let message = if message.is_empty() {
        String::new()
    } else {
        format!("<p class=\"verdict invalid\">{}</p>", esc(message))
    };
    format!(
        "{message}<p>Nhập đủ ba thông tin để xem mọi học bạ của học sinh tại mọi trường, mọi \
         năm học; tải bản điện tử (XML có chữ ký số) hoặc bản sao giấy (PDF); tạo mã chia sẻ. \
         Không cần tài khoản.</p>\
         <form method=\"post\" action=\"/tra-cuu\">\
         <p><label>Số định danh cá nhân: <input name=\"personal_id\" inputmode=\"numeric\" \
         autocomplete=\"off\" required></label></p>\
         <p><label>Mã định danh học sinh: <input name=\"student_code\" autocomplete=\"off\" \
         required></label></p>\
         <p><label>Ngày sinh: <input name=\"born\" type=\"date\" required></label></p>\
         <p><button type=\"submit\">Tra cứu</button></p></form>"
    )
}

fn not_found(app: &AppState) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Tra cứu học bạ",
        app.config().demo,
        &form_html(
            "Không tìm thấy học bạ với thông tin đã nhập. Hãy kiểm tra lại số định danh cá \
             nhân, mã học sinh và ngày sinh.",
        ),
    )
}

fn too_many(app: &AppState) -> Response {
    let mut r = page(
        StatusCode::TOO_MANY_REQUESTS,
        "Tra cứu học bạ",
        app.config().demo,
        "<p class=\"verdict invalid\">Đã tra cứu sai quá nhiều lần. Vui lòng thử lại sau 15 \
         phút.</p>",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
    r
}

pub(crate) fn system_error(app: &AppState, e: &dyn std::error::Error) -> Response {
    crate::api::internal(e);
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Lỗi hệ thống",
        app.config().demo,
        "<p>Đã có lỗi hệ thống; vui lòng thử lại sau.</p>",
    )
    .into_response()
}

/// An unsigned example record, parsed when the student code is unknown.
fn stand_in() -> &'static [u8] {
    static XML: OnceLock<Vec<u8>> = OnceLock::new();
    XML.get_or_init(|| record::examples::thpt().to_xml())
}
