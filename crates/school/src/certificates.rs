//! "Chứng thư số" (STORIES #3): the school admin or principal uploads the school's
//! certificates (seal or personal, PEM or DER); the school keeps a row (subject, issuer,
//! validity, fingerprint) and submits the certificate to the registry
//! (`POST /api/v1/certificates`), whose supervising authority approves or rejects it.
//!
//! Each time the page opens, the registry's decisions are read again
//! (`GET /api/v1/certificates`) and certificates the registry has not received yet are
//! submitted again. When the registry cannot be reached the page shows the last known
//! status and says so; it never fails because of the registry.

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use store::{CertificateKind, LinkStatus, NewSchoolCertificate, SchoolCertificate};

use crate::AppState;
use crate::auth::{CurrentUser, unix_now};
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::multipart;
use crate::permission::{Permission, require};
use crate::records::iso_utc;
use crate::registry_link::{RegistryClient, registry_message, vn_datetime, vn_unix};

/// The largest certificate file taken (the registry's limit too).
pub const MAX_CERT_BYTES: usize = 64 * 1024;

const TITLE: &str = "Chứng thư số";

/// `GET /certificates`: the school's certificates with the registry's decisions, read
/// again now, and the upload form.
pub async fn certificates_page(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageCertificates).await?;
    let note = refresh(&app, &user).await?;
    render(&app, &user, note.as_deref(), StatusCode::OK).await
}

/// `POST /certificates` (multipart: `kind` = `seal` | `personal`, `certificate` the
/// file, `_csrf`): keeps the certificate (audited) and submits it to the registry. A file
/// that holds no certificate is refused in Vietnamese and nothing changes.
pub async fn upload(
    State(app): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageCertificates).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let parts = multipart::parse(content_type, &body)
        .ok_or_else(|| AppError::BadRequest("Biểu mẫu gửi lên không hợp lệ.".to_owned()))?;
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let kind = field("kind")
        .and_then(|p| std::str::from_utf8(&p.data).ok())
        .and_then(CertificateKind::from_code);
    let file = field("certificate").map(|p| p.data.as_slice());
    let Some(kind) = kind else {
        return refuse(
            &app,
            &user,
            "Hãy chọn loại chứng thư số (dấu của trường hay cá nhân). Không có gì thay đổi.",
        )
        .await;
    };
    let file = match file {
        Some(f) if !f.is_empty() => f,
        _ => {
            return refuse(
                &app,
                &user,
                "Chưa chọn tệp chứng thư số. Không có gì thay đổi.",
            )
            .await;
        }
    };
    if file.len() > MAX_CERT_BYTES {
        return refuse(
            &app,
            &user,
            "Tệp quá lớn: chứng thư số (PEM hoặc DER) không quá 64 KB. Không có gì thay đổi.",
        )
        .await;
    }
    let Ok((der, info)) = pki::CertInfo::from_pem_or_der(file) else {
        return refuse(
            &app,
            &user,
            "Tệp không chứa chứng thư số hợp lệ (X.509, dạng PEM hoặc DER). Không có gì thay đổi.",
        )
        .await;
    };
    let new = NewSchoolCertificate {
        school: user.teacher.school,
        kind,
        fingerprint: info.sha256_fingerprint.to_ascii_lowercase(),
        subject: info.subject.chars().take(2000).collect(),
        issuer: info.issuer.chars().take(2000).collect(),
        not_before: info.not_before,
        not_after: info.not_after,
        pem: pki::pem::encode("CERTIFICATE", &der),
    };
    let (kept, created) = app
        .store()
        .add_school_certificate(&new, &crate::history::stamp(&user))
        .await?;
    tracing::info!(teacher = %user.teacher.username, fingerprint = %new.fingerprint, created, "certificate uploaded");
    let mut notice = if created {
        format!(
            r#"<p class="ok">Đã lưu chứng thư số {}.</p>"#,
            esc(&new.subject)
        )
    } else {
        r#"<p class="notice">Chứng thư số này đã có trong danh sách của trường.</p>"#.to_owned()
    };
    match RegistryClient::for_school(&app, user.teacher.school).await? {
        Ok(client) => match submit(&app, &client, &kept).await? {
            Ok(status) => {
                let _ = write!(
                    notice,
                    r#"<p class="ok">Đã gửi lên CSDL học bạ số: {}.</p>"#,
                    status_label(status)
                );
            }
            Err(why) => {
                let _ = write!(
                    notice,
                    r#"<p class="warning">Chưa gửi được lên CSDL học bạ số ({}); chứng thư số sẽ được gửi lại khi mở trang này.</p>"#,
                    esc(&why)
                );
            }
        },
        Err(unlinked) => {
            let _ = write!(
                notice,
                r#"<p class="warning">{}</p>"#,
                esc(unlinked.message())
            );
        }
    }
    render(&app, &user, Some(&notice), StatusCode::OK).await
}

/// The page again with `message` as an error, status 400: nothing changed.
async fn refuse(app: &AppState, user: &CurrentUser, message: &str) -> Result<Page, AppError> {
    let notice = format!(r#"<p class="error-message">{}</p>"#, esc(message));
    render(app, user, Some(&notice), StatusCode::BAD_REQUEST).await
}

/// Submits one kept certificate; the registry's status, or why there is none.
async fn submit(
    app: &AppState,
    client: &RegistryClient,
    cert: &SchoolCertificate,
) -> Result<Result<LinkStatus, String>, AppError> {
    let answer = client
        .post_bytes(
            "/api/v1/certificates",
            "application/x-pem-file",
            cert.cert.pem.clone().into_bytes(),
        )
        .await;
    let (status, v) = match answer {
        Ok(a) => a,
        Err(why) => return Ok(Err(format!("không kết nối được: {why}"))),
    };
    if !matches!(status, 200 | 201) {
        return Ok(Err(registry_message(status, &v)));
    }
    let Some(link) = v["status"].as_str().and_then(LinkStatus::from_code) else {
        return Ok(Err("CSDL trả lời không rõ trạng thái".to_owned()));
    };
    app.store()
        .set_certificate_status(
            cert.cert.school,
            cert.id,
            v["id"].as_i64(),
            link,
            None,
            &iso_utc(unix_now()),
        )
        .await?;
    Ok(Ok(link))
}

/// Reads the registry's decisions and submits what it has not received; a sentence for
/// the page when the registry could not be reached or is not configured.
async fn refresh(app: &AppState, user: &CurrentUser) -> Result<Option<String>, AppError> {
    let school = user.teacher.school;
    let kept = app.store().school_certificates(school).await?;
    if kept.is_empty() {
        return Ok(None);
    }
    let client = match RegistryClient::for_school(app, school).await? {
        Ok(c) => c,
        Err(unlinked) => return Ok(Some(unlinked.message().to_owned())),
    };
    let unreachable = |why: &str| {
        Some(format!(
            "Không kết nối được CSDL học bạ số ({why}); trạng thái dưới đây là trạng thái biết được lần gần nhất."
        ))
    };
    for cert in kept.iter().filter(|c| c.status == LinkStatus::Unsent) {
        if let Err(why) = submit(app, &client, cert).await? {
            return Ok(unreachable(&why));
        }
    }
    let (status, v) = match client.get_json("/api/v1/certificates").await {
        Ok(a) => a,
        Err(why) => return Ok(unreachable(&why)),
    };
    if status != 200 {
        return Ok(unreachable(&registry_message(status, &v)));
    }
    let listed = v["certificates"].as_array().cloned().unwrap_or_default();
    let now = iso_utc(unix_now());
    for cert in &kept {
        let Some(found) = listed
            .iter()
            .find(|c| c["fingerprint"].as_str() == Some(cert.cert.fingerprint.as_str()))
        else {
            continue;
        };
        let Some(link) = found["status"].as_str().and_then(LinkStatus::from_code) else {
            continue;
        };
        app.store()
            .set_certificate_status(
                school,
                cert.id,
                found["id"].as_i64(),
                link,
                found["comment"].as_str().filter(|c| !c.trim().is_empty()),
                &now,
            )
            .await?;
    }
    Ok(None)
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Page, AppError> {
    let mut body = match notice {
        Some(n) if n.starts_with('<') => n.to_owned(),
        Some(n) => format!(r#"<p class="warning">{}</p>"#, esc(n)),
        None => String::new(),
    };
    body.push_str("<p>Chứng thư số của trường (dấu của trường, chữ ký số cá nhân của hiệu trưởng, giáo viên) phải được cơ quan quản lý phê duyệt trên CSDL học bạ số trước khi học bạ ký bằng chứng thư đó được CSDL chấp nhận.</p>");
    let kept = app.store().school_certificates(user.teacher.school).await?;
    if kept.is_empty() {
        body.push_str("<p>Trường chưa gửi chứng thư số nào.</p>");
    } else {
        body.push_str(r#"<table class="list"><thead><tr><th>Loại</th><th>Chủ thể</th><th>Tổ chức cấp</th><th>Hiệu lực</th><th>Dấu vân tay SHA-256</th><th>Trạng thái trên CSDL</th></tr></thead><tbody>"#);
        for c in &kept {
            let mut state = status_label(c.status).to_owned();
            if let Some(comment) = &c.comment {
                let _ = write!(
                    state,
                    "<br><small>Ý kiến cơ quan quản lý: {}</small>",
                    esc(comment)
                );
            }
            if let Some(at) = &c.checked_at {
                let _ = write!(
                    state,
                    "<br><small>cập nhật {}</small>",
                    esc(&vn_datetime(at))
                );
            }
            let _ = write!(
                body,
                r#"<tr data-fingerprint="{}"><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td><td><code title="{}">{}…</code></td><td data-col="status">{state}</td></tr>"#,
                esc(&c.cert.fingerprint),
                kind_label(c.cert.kind),
                esc(&c.cert.subject),
                esc(&c.cert.issuer),
                vn_unix(c.cert.not_before),
                vn_unix(c.cert.not_after),
                esc(&c.cert.fingerprint),
                esc(c.cert.fingerprint.get(..16).unwrap_or(&c.cert.fingerprint)),
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        r#"<h2>Gửi chứng thư số</h2><form method="post" action="/certificates" enctype="multipart/form-data" class="stacked">{}<label>Loại <select name="kind"><option value="seal">Dấu của trường</option><option value="personal">Cá nhân (hiệu trưởng, giáo viên)</option></select></label><label>Tệp chứng thư số (.cer, .crt, .pem; không phải tệp khóa) <input type="file" name="certificate" accept=".cer,.crt,.pem,.der" required></label><p><button type="submit">Gửi chứng thư số</button></p></form>"#,
        csrf_field(&user.session.csrf_token)
    );
    let mut p = page(user, app.config().demo, TITLE, &body);
    p.status = status;
    Ok(p)
}

/// What the page says for a status.
pub fn status_label(s: LinkStatus) -> &'static str {
    match s {
        LinkStatus::Unsent => "Chưa gửi được lên CSDL",
        LinkStatus::Pending => "Chờ phê duyệt",
        LinkStatus::Approved => "Đã phê duyệt",
        LinkStatus::Rejected => "Bị từ chối",
    }
}

fn kind_label(k: CertificateKind) -> &'static str {
    match k {
        CertificateKind::Seal => "Dấu của trường",
        CertificateKind::Personal => "Cá nhân",
    }
}

#[cfg(test)]
mod tests {
    /// The PEM stored with a submitted certificate is read back by the signature checker.
    #[test]
    fn pem_round_trips_through_the_parser() {
        let demo = pki::demo_pki(1_780_000_000).unwrap();
        let der = demo.seal.cert_der.clone();
        let pem = pki::pem::encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        let back = xmldsig::certificates_from_pem_or_der(pem.as_bytes()).unwrap();
        assert_eq!(back, vec![der]);
    }
}
