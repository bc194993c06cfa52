//! "Xác thực học bạ" (STORIES #24): anyone uploads a record and sees the verdict — valid,
//! invalid with the reason, or revoked / replaced — with the issuing school, year, class,
//! signers with roles and signing times, and **nothing else personal**: no student name,
//! personal ID, student code or birth date, on the page or in the JSON.
//!
//! A record is valid when it passes the same `registry::check_record` as ingest (seal
//! approvals of the record's school loaded from the store). The registry then says
//! whether it holds these exact bytes, and whether they were revoked or replaced.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use registry::ApprovedSeals;
use serde_json::{Value, json};
use store::RegistryStatus;

use crate::html::{esc, page};
use crate::{AppState, ServerError};

/// The verdict shown to a verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// "Hợp lệ": every check passes and the record was not revoked or replaced.
    Valid,
    /// "Không hợp lệ": a check failed (the reason says which).
    Invalid,
    /// "Đã thu hồi / đã được thay thế": the signatures hold, but the registry revoked
    /// this version or holds a newer version that replaces it.
    Revoked,
}

impl Verdict {
    /// Stable code in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Revoked => "revoked",
        }
    }

    /// What the page says.
    pub fn label_vi(self) -> &'static str {
        match self {
            Verdict::Valid => "Học bạ hợp lệ",
            Verdict::Invalid => "Học bạ không hợp lệ",
            Verdict::Revoked => "Học bạ đã bị thu hồi hoặc đã được thay thế",
        }
    }
}

/// The outcome of verifying one document: only what a verifier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The verdict.
    pub verdict: Verdict,
    /// For an invalid record: the rejection code and its Vietnamese sentence.
    pub reason: Option<(String, String)>,
    /// For a record whose checks pass: what it is and who signed it.
    pub details: Option<Details>,
    /// What the registry holds about these bytes.
    pub registry: Option<RegistryInfo>,
}

/// The non-personal facts of a verified record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// `MaDinhDanhHocBa`.
    pub record_id: String,
    /// `PhienBan`.
    pub version: u32,
    /// SHA-256 of the uploaded bytes.
    pub digest: String,
    /// `MaTruong`.
    pub school_code: String,
    /// Tên trường.
    pub school_name: String,
    /// Cấp học code (`TH`, `THCS`, `THPT`, `GDTX`).
    pub level: domain::Level,
    /// Năm học, `2025-2026`.
    pub school_year: String,
    /// Khối.
    pub grade: u8,
    /// Tên lớp.
    pub class_name: String,
    /// Signers in signing order.
    pub signers: Vec<SignerView>,
}

/// One signature as shown: role, the signer's name (common name of the certificate),
/// signing time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerView {
    /// `GVCN`, `HT`, `GD`, `DAU`.
    pub role: String,
    /// The signer's name from the certificate.
    pub name: String,
    /// Signing time (Unix seconds).
    pub signing_time: i64,
}

/// What the registry holds about the uploaded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryInfo {
    /// The registry stores exactly these bytes.
    pub stored: bool,
    /// When they were stored.
    pub received_at: Option<i64>,
    /// Revoked: when and why.
    pub revoked: Option<(i64, String)>,
    /// The newer version that replaces this one: id and version.
    pub replaced_by: Option<(String, u32)>,
}

/// Verifies `doc` as the registry would ingest it, and looks up what the registry holds
/// about it. Store failures are errors; everything about the document is in the
/// [`Verification`].
pub async fn verify_document(app: &AppState, doc: &[u8]) -> Result<Verification, ServerError> {
    let parsed = match record::parse_document(doc) {
        Ok(p) => p,
        Err(e) => {
            return Ok(invalid(&registry::Rejection::Malformed {
                code: e.code(),
                detail: e.to_string(),
            }));
        }
    };
    let r = &parsed.record;
    let approvals = load_approvals(app, &r.school.code.to_string()).await?;
    let trust = app.trust();
    let bytes = Bytes::copy_from_slice(doc);
    let outcome =
        tokio::task::spawn_blocking(move || registry::check_record(&bytes, &*trust, &approvals))
            .await?;
    let accepted = match outcome {
        Ok(a) => a,
        Err(rejection) => return Ok(invalid(&rejection)),
    };
    let stored = app
        .store()
        .registry_record_by_digest(&accepted.student, &accepted.digest)
        .await?;
    let successor = app
        .store()
        .registry_successor(&accepted.student, &accepted.record_id.to_string())
        .await?;
    let info = RegistryInfo {
        stored: stored.is_some(),
        received_at: stored.as_ref().map(|s| s.received_at),
        revoked: stored.as_ref().and_then(|s| match s.status {
            RegistryStatus::Revoked => Some((
                s.revoked_at.unwrap_or_default(),
                s.revoked_reason.clone().unwrap_or_default(),
            )),
            RegistryStatus::Current => None,
        }),
        replaced_by: successor.map(|s| (s.record_id, s.version)),
    };
    let verdict = if info.revoked.is_some() || info.replaced_by.is_some() {
        Verdict::Revoked
    } else {
        Verdict::Valid
    };
    Ok(Verification {
        verdict,
        reason: None,
        details: Some(Details {
            record_id: accepted.record_id.to_string(),
            version: accepted.version,
            digest: accepted.digest.clone(),
            school_code: accepted.school_code.clone(),
            school_name: r.school.name.to_string(),
            level: accepted.level,
            school_year: accepted.year.to_string(),
            grade: accepted.grade.get(),
            class_name: r.class.name.to_string(),
            signers: accepted
                .signers
                .iter()
                .map(|s| SignerView {
                    role: s.role.clone(),
                    name: common_name(&s.subject),
                    signing_time: s.signing_time,
                })
                .collect(),
        }),
        registry: Some(info),
    })
}

impl Verification {
    /// The JSON of `POST /api/v1/verify` (see `openapi.json`).
    pub fn to_json(&self) -> Value {
        let (code, message_vi) = match &self.reason {
            Some((c, m)) => (json!(c), json!(m)),
            None => (Value::Null, Value::Null),
        };
        let record = self.details.as_ref().map_or(Value::Null, |d| {
            json!({
                "record_id": d.record_id,
                "version": d.version,
                "digest": d.digest,
                "school_code": d.school_code,
                "school_name": d.school_name,
                "level": d.level.code(),
                "school_year": d.school_year,
                "grade": d.grade,
                "class_name": d.class_name,
            })
        });
        let signers: Vec<Value> = self
            .details
            .iter()
            .flat_map(|d| &d.signers)
            .map(|s| {
                json!({
                    "role": s.role,
                    "role_vi": role_vi(&s.role),
                    "name": s.name,
                    "signing_time": s.signing_time,
                    "signing_time_vi": time_vi(s.signing_time),
                })
            })
            .collect();
        let registry = self.registry.as_ref().map_or(Value::Null, |i| {
            json!({
                "stored": i.stored,
                "received_at": i.received_at,
                "revoked": i.revoked.as_ref().map(|(at, reason)| json!({"at": at, "reason": reason})),
                "replaced_by": i.replaced_by.as_ref().map(|(id, v)| json!({"record_id": id, "version": v})),
            })
        });
        json!({
            "verdict": self.verdict.code(),
            "verdict_vi": self.verdict.label_vi(),
            "code": code,
            "message_vi": message_vi,
            "record": record,
            "signers": signers,
            "registry": registry,
        })
    }

    pub(crate) fn to_html(&self) -> String {
        let class = self.verdict.code();
        let mut body = format!(
            r#"<p class="verdict {class}">{}</p>"#,
            esc(self.verdict.label_vi())
        );
        if let Some((code, message)) = &self.reason {
            body.push_str(&format!(
                r#"<p>Lý do: {} <span class="note">(mã lỗi {})</span></p>"#,
                esc(message),
                esc(code)
            ));
        }
        if let Some(d) = &self.details {
            body.push_str(&format!(
                "<table>\
                 <tr><th>Trường</th><td>{} <span class=\"note\">(mã {})</span></td></tr>\
                 <tr><th>Cấp học</th><td>{}</td></tr>\
                 <tr><th>Năm học</th><td>{}</td></tr>\
                 <tr><th>Lớp</th><td>{} <span class=\"note\">(khối {})</span></td></tr>\
                 <tr><th>Mã học bạ</th><td>{} <span class=\"note\">(phiên bản {})</span></td></tr>\
                 </table>",
                esc(&d.school_name),
                esc(&d.school_code),
                esc(d.level.name_vi()),
                esc(&d.school_year),
                esc(&d.class_name),
                d.grade,
                esc(&d.record_id),
                d.version,
            ));
            body.push_str(
                "<h2>Chữ ký số</h2><table><tr><th>Vai trò</th><th>Người ký / đơn vị</th>\
                 <th>Thời điểm ký</th></tr>",
            );
            for s in &d.signers {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(role_vi(&s.role)),
                    esc(&s.name),
                    esc(&time_vi(s.signing_time)),
                ));
            }
            body.push_str("</table>");
        }
        if let Some(i) = &self.registry {
            body.push_str("<h2>Tại CSDL học bạ số</h2>");
            match i.received_at {
                Some(at) => {
                    body.push_str(&format!("<p>Đã nhận và lưu lúc {}.</p>", esc(&time_vi(at))))
                }
                None => body.push_str(
                    "<p>Chưa có bản học bạ này trong CSDL học bạ số (trường chưa nộp, hoặc \
                     tệp khác với bản đã nộp). Chữ ký số vẫn được kiểm tra đầy đủ.</p>",
                ),
            }
            if let Some((at, reason)) = &i.revoked {
                body.push_str(&format!(
                    "<p>Đã thu hồi lúc {}. Lý do: {}</p>",
                    esc(&time_vi(*at)),
                    esc(reason)
                ));
            }
            if let Some((id, version)) = &i.replaced_by {
                body.push_str(&format!(
                    "<p>Đã được thay thế bởi phiên bản {version} (mã học bạ \
                     <a href=\"/verify?code={id}\">{id}</a>).</p>",
                    id = esc(id)
                ));
            }
        }
        body.push_str(r#"<p><a href="/verify">Xác thực học bạ khác</a></p>"#);
        body
    }
}

/// Verifies the record the registry stores under `code` (`MaDinhDanhHocBa`, the code
/// printed with the QR on a paper copy): `None` when no such record is stored.
pub async fn verify_by_code(
    app: &AppState,
    code: &str,
) -> Result<Option<Verification>, ServerError> {
    let well_formed = code.len() == 36
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-');
    if !well_formed {
        return Ok(None);
    }
    let Some(row) = app.store().find_registry_record(code).await? else {
        return Ok(None);
    };
    let Some(xml) = app
        .store()
        .registry_record_xml(&row.student_code, &row.record_id)
        .await?
    else {
        return Ok(None);
    };
    verify_document(app, xml.as_bytes()).await.map(Some)
}

/// `GET /verify`: the upload form; `GET /verify?code=…` (the paper copy's QR code): the
/// verdict on the record stored under that code.
pub(crate) async fn form_page(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let demo = app.config().demo;
    let Some(code) = query.get("code").map(|c| c.trim().to_ascii_lowercase()) else {
        return page(StatusCode::OK, "Xác thực học bạ", demo, FORM);
    };
    match verify_by_code(&app, &code).await {
        Ok(Some(v)) => page(
            StatusCode::OK,
            "Kết quả xác thực học bạ",
            demo,
            &format!(
                r#"<p class="note">Bản gốc điện tử lưu tại CSDL học bạ số, tra theo mã {}.</p>{}"#,
                esc(&code),
                v.to_html()
            ),
        ),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "Xác thực học bạ",
            demo,
            &format!(
                "<p class=\"verdict invalid\">Không tìm thấy học bạ có mã {} trong CSDL học bạ \
                 số.</p><p>Hãy kiểm tra lại mã, hoặc tải tệp học bạ (XML) lên để kiểm tra.</p>{FORM}",
                esc(&code)
            ),
        ),
        Err(e) => system_error(&e, demo),
    }
}

/// `POST /verify` (multipart, field `file`): the verdict page.
pub(crate) async fn submit_form(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let demo = app.config().demo;
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Tệp quá lớn",
                demo,
                &format!("<p>Tệp học bạ không được lớn hơn 2 MiB.</p>{FORM}"),
            );
        }
        Err(_) => return bad_form(demo),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(file) = crate::multipart::parse(content_type, &body)
        .and_then(|parts| parts.into_iter().find(|p| p.name == "file"))
        .filter(|p| !p.data.is_empty())
    else {
        return bad_form(demo);
    };
    match verify_document(&app, &file.data).await {
        Ok(v) => page(
            StatusCode::OK,
            "Kết quả xác thực học bạ",
            demo,
            &v.to_html(),
        ),
        Err(e) => system_error(&e, demo),
    }
}

fn system_error(e: &ServerError, demo: bool) -> Response {
    crate::api::internal(e);
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Lỗi hệ thống",
        demo,
        "<p>Đã có lỗi hệ thống; vui lòng thử lại sau.</p>",
    )
}

/// The approvals of one school, from the store, for one check.
pub(crate) async fn load_approvals(
    app: &AppState,
    school: &str,
) -> Result<ApprovedSeals, store::Error> {
    let mut approvals = ApprovedSeals::new();
    for a in app.store().seal_approvals(school).await? {
        approvals.approve(school, &a.fingerprint, a.approved_from, a.approved_until);
    }
    Ok(approvals)
}

fn invalid(r: &registry::Rejection) -> Verification {
    Verification {
        verdict: Verdict::Invalid,
        reason: Some((r.code().to_owned(), r.message_vi())),
        details: None,
        registry: None,
    }
}

fn bad_form(demo: bool) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Xác thực học bạ",
        demo,
        &format!("<p>Hãy chọn tệp học bạ (XML) để tải lên.</p>{FORM}"),
    )
}

const FORM: &str = r#"<p>Tải lên tệp học bạ số (XML) để kiểm tra chữ ký số, chứng thư số của trường và
tình trạng tại CSDL học bạ số. Trang này chỉ hiển thị trường, năm học, lớp và người ký;
không hiển thị thông tin cá nhân của học sinh.</p>
<form method="post" action="/verify" enctype="multipart/form-data">
<p><label>Tệp học bạ (XML, tối đa 2 MiB): <input type="file" name="file" accept=".xml,application/xml,text/xml" required></label></p>
<p><button type="submit">Xác thực</button></p>
</form>"#;

/// The common name of a subject DN (`CN=Nguyễn Văn A, O=…`), or the whole DN.
fn common_name(subject: &str) -> String {
    subject
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject)
        .to_owned()
}

pub(crate) fn role_vi(code: &str) -> &'static str {
    record::SignerRole::from_code(code).map_or("Người ký", |r| r.name_vi())
}

/// `14:05:09 ngày 28/05/2026 (giờ Việt Nam)`.
pub(crate) fn time_vi(unix: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix.saturating_add(7 * 3600)) else {
        return unix.to_string();
    };
    format!(
        "{:02}:{:02}:{:02} ngày {:02}/{:02}/{} (giờ Việt Nam)",
        t.hour(),
        t.minute(),
        t.second(),
        t.day(),
        u8::from(t.month()),
        t.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_times_are_shown_the_vietnamese_way() {
        assert_eq!(
            common_name("CN=Nguyễn Văn A, O=THPT Chu Văn An, C=VN"),
            "Nguyễn Văn A"
        );
        assert_eq!(common_name("O=X"), "O=X");
        assert_eq!(time_vi(0), "07:00:00 ngày 01/01/1970 (giờ Việt Nam)");
        assert_eq!(role_vi("DAU"), "Dấu đơn vị");
    }
}
