//! The homeroom teacher's side of the record workflow (DESIGN.md §5, STORIES #4, #10,
//! #11): "Học bạ lớp" lists the class's records; "Xác nhận tổng hợp" builds every
//! student's record once nothing is missing; "Ký số học bạ lớp" signs them as GVCN with a
//! PKCS#12 file uploaded in the form (held in memory for the request only). Also the
//! per-student version list with XML downloads.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Level, StudentCode};
use store::{
    Class, ClassId, ClassReview, EnrolmentKey, NewSignature, RecordState, ReviewedRecord,
    SignerEntry, StoredRecord, YearInputs,
};

use crate::AppState;
use crate::auth::{CurrentUser, unix_now};
use crate::error::AppError;
use crate::grades::level_of;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, allows, require};
use crate::records::{SignFailure, build_record, date_of, iso_utc, sha256_hex, sign_as_next};
use crate::registry_link::vn_datetime;
use crate::summary::missing_vi;

/// Shown for a student who cannot be signed for lack of a personal ID (STORIES #4).
pub const NO_PERSONAL_ID: &str = "Chưa có mã định danh";

/// `GET /records`: the user's homeroom classes, each with its records page.
pub async fn list(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ListOwnClassRecords).await?;
    let mut rows = String::new();
    for c in app.store().homeroom_classes(user.teacher.id).await? {
        if c.school != user.teacher.school {
            continue;
        }
        let reviewed = app.store().class_review(c.id).await?.is_some();
        let _ = write!(
            rows,
            r#"<tr><td><a href="/classes/{}/records">Lớp {}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            c.id,
            esc(&c.name),
            c.grade,
            c.year,
            if reviewed {
                "Đã xác nhận tổng hợp"
            } else {
                "Chưa xác nhận tổng hợp"
            }
        );
    }
    let body = if rows.is_empty() {
        "<p>Bạn chưa được phân công chủ nhiệm lớp nào.</p>".to_owned()
    } else {
        format!(
            r#"<table class="list"><thead><tr><th>Lớp</th><th>Khối</th><th>Năm học</th><th>Tình trạng</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    Ok(page(&user, app.config().demo, "Học bạ lớp", &body))
}

/// `GET /classes/{class}/records`: review and signing status of every student.
pub async fn class_records(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::ViewClassRecords { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    render_class(&app, &user, &class, None, StatusCode::OK).await
}

/// `POST /classes/{class}/review`: "Xác nhận tổng hợp". Refused (409, nothing stored)
/// while anything is missing for any student; otherwise builds every student's record
/// (students without a personal ID are listed as blocked and get none) and marks the
/// class reviewed, in one transaction.
pub async fn review(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::ReviewClass { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    let store = app.store();
    let level = level_of(&user.school, class.grade);
    let inputs = class_inputs(&app, &class).await?;
    let missing = missing_of_class(&app, &class, &inputs).await?;
    if !missing.is_empty() {
        let mut notice = String::from(
            r#"<div class="error-message"><p><strong>Chưa xác nhận được</strong>: lớp còn thiếu dữ liệu, không có gì được lưu. Hãy bổ sung rồi xác nhận lại.</p><ul>"#,
        );
        for (name, what) in &missing {
            let _ = write!(notice, "<li>{}: {}</li>", esc(name), esc(&what.join("; ")));
        }
        notice.push_str("</ul></div>");
        return render_class(&app, &user, &class, Some(&notice), StatusCode::CONFLICT).await;
    }
    let current: HashMap<String, StoredRecord> = store
        .current_records_of_class(class.id)
        .await?
        .into_iter()
        .map(|r| (r.student.as_str().to_owned(), r))
        .collect();
    let homeroom = user.teacher.full_name.clone();
    let now = unix_now();
    let mut records = Vec::new();
    let mut blocked = 0usize;
    for i in &inputs {
        let code = i.student.code.as_str();
        let mut replaces = None;
        let (version, supersedes) = match current.get(code) {
            None => (NonZeroU32::MIN, None),
            Some(r) if r.state == RecordState::Draft => (version_of(r), supersedes_of(r)?),
            Some(r) if r.state == RecordState::Reviewed && r.signatures == 0 => {
                // Reviewed earlier, not signed yet: rebuilt if the inputs changed since.
                if is_current(r, i, &user.school, level)? {
                    continue;
                }
                replaces = r.sha256.clone();
                (version_of(r), supersedes_of(r)?)
            }
            // Being signed or signed: locked, left as it is.
            Some(_) => continue,
        };
        let built = build_record(
            i,
            &user.school,
            &homeroom,
            level,
            date_of(now),
            version,
            supersedes,
        )
        .map_err(|e| AppError::Internal(format!("building the record of {code}: {e}")))?;
        if !built.signing_blockers().is_empty() {
            blocked += 1;
            continue;
        }
        let xml = built.to_xml();
        let xml = String::from_utf8(xml)
            .map_err(|_| AppError::Internal("record XML is not UTF-8".to_owned()))?;
        records.push(ReviewedRecord {
            id: built.id.to_string(),
            student: i.student.code.clone(),
            class: class.id,
            year: class.year,
            version: version.get(),
            sha256: sha256_hex(xml.as_bytes()),
            xml,
            replaces_sha256: replaces,
        });
    }
    let review = ClassReview {
        class: class.id,
        reviewed_by: user.teacher.id,
        reviewed_at: iso_utc(now),
    };
    match store
        .review_class(&review, &records, &crate::history::stamp(&user))
        .await
    {
        Ok(()) => {}
        Err(store::Error::Conflict { .. }) => {
            return Err(AppError::Conflict(
                "Học bạ của lớp vừa được thay đổi bởi thao tác khác; không có gì được lưu. Hãy tải lại trang rồi thử lại.".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        teacher = %user.teacher.username,
        class = %class.id,
        built = records.len(),
        blocked,
        "class reviewed"
    );
    let notice = format!(
        r#"<p class="ok">Đã xác nhận tổng hợp: lập {} học bạ.{}</p>"#,
        records.len(),
        if blocked > 0 {
            format!(
                " {blocked} học sinh chưa lập được học bạ để ký ({NO_PERSONAL_ID} hoặc mã định danh không khớp)."
            )
        } else {
            String::new()
        }
    );
    render_class(&app, &user, &class, Some(&notice), StatusCode::OK).await
}

/// `POST /classes/{class}/sign` (multipart: `p12`, `password`, `_csrf`): "Ký số học bạ
/// lớp" — signs every reviewed record of the class as GVCN with the uploaded key.
pub async fn sign_homeroom(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::SignAsHomeroom { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    let level = level_of(&user.school, class.grade);
    let upload = KeyUpload::from_request(&headers, &body)?;
    let now = unix_now();
    let stamp = crate::history::stamp(&user);
    let signer: Arc<dyn xmldsig::Signer> = match upload.open(&app, now) {
        Ok(s) => Arc::new(s),
        Err(message) => {
            return render_class(&app, &user, &class, Some(&message), StatusCode::BAD_REQUEST)
                .await;
        }
    };
    let mut done = 0usize;
    let mut failed = Vec::new();
    for r in app.store().current_records_of_class(class.id).await? {
        if r.state != RecordState::Reviewed || r.signatures != 0 {
            continue;
        }
        // What the teacher signs must still be what the inputs give. The last input
        // change is read first: one logged after it refuses the signature in the store.
        let as_of = app.store().last_input_change(&r.student, class.id).await?;
        let inputs = app
            .store()
            .year_inputs(&EnrolmentKey {
                student: r.student.clone(),
                class: class.id,
            })
            .await?;
        if !is_current(&r, &inputs, &user.school, level)? {
            failed.push((
                r.student.clone(),
                "điểm hoặc kết quả đã thay đổi sau khi xác nhận tổng hợp; hãy xác nhận tổng hợp lại rồi ký".to_owned(),
            ));
            continue;
        }
        match sign_stored(
            &app,
            &r,
            level,
            0,
            &signer,
            &user.teacher.full_name,
            now,
            &stamp,
            Some(as_of),
        )
        .await
        {
            Ok(()) => done += 1,
            Err(e) => failed.push((r.student.clone(), e)),
        }
    }
    tracing::info!(
        teacher = %user.teacher.username,
        class = %class.id,
        signed = done,
        failed = failed.len(),
        "class signed by homeroom teacher"
    );
    let notice = signed_notice(done, &failed);
    render_class(&app, &user, &class, Some(&notice), StatusCode::OK).await
}

/// `GET /students/{code}/records`: every version of the student's records at this school,
/// with state, digest, signers and a download of each version's XML.
pub async fn versions(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Page, AppError> {
    let code = parse_student(&code)?;
    render_versions(&app, &user, &code, None).await
}

/// The versions page of `code` with an optional notice (already HTML) above the table:
/// checks [`Permission::ViewStudentRecords`], reads pending revocation requests again
/// from the registry, then lists every version of the user's school with its signers
/// (Vietnam time), shortened digest, sync status and revocation state.
pub(crate) async fn render_versions(
    app: &AppState,
    user: &CurrentUser,
    code: &StudentCode,
    notice: Option<&str>,
) -> Result<Page, AppError> {
    require(
        app.store(),
        user,
        Permission::ViewStudentRecords { student: code },
    )
    .await?;
    let store = app.store();
    let student = store.student(code).await?;
    let classes: HashMap<ClassId, Class> = store
        .classes_of_student(code)
        .await?
        .into_iter()
        .map(|(c, _)| (c.id, c))
        .filter(|(_, c)| c.school == user.teacher.school)
        .collect();
    let records: Vec<StoredRecord> = store
        .records_of_student(code)
        .await?
        .into_iter()
        .filter(|r| classes.contains_key(&r.class))
        .collect();
    let mut body = notice.unwrap_or_default().to_owned();
    if let Some(note) = crate::revocation::refresh(app, user, code).await? {
        let _ = write!(body, r#"<p class="warning">{}</p>"#, esc(&note));
    }
    let requests: Vec<_> = store
        .revocation_requests_of_student(code)
        .await?
        .into_iter()
        .filter(|r| classes.contains_key(&r.request.class))
        .collect();
    let outbox = store.outbox_of_student(code).await?;
    let _ = write!(
        body,
        "<p>Học sinh: <strong>{}</strong> — mã định danh học sinh {}</p>",
        esc(&student.full_name),
        esc(code.as_str())
    );
    if records.is_empty() {
        body.push_str("<p>Chưa có học bạ nào được lập cho học sinh này.</p>");
    } else {
        body.push_str(r#"<table class="list"><thead><tr><th>Lớp</th><th>Năm học</th><th>Phiên bản</th><th>Trạng thái</th><th>Người ký (giờ Việt Nam)</th><th>Mã băm SHA-256</th><th>Thay thế</th><th>Lý do mở khóa</th><th>Đồng bộ CSDL</th><th>Tải về</th><th></th></tr></thead><tbody>"#);
        for r in &records {
            let class_name = classes.get(&r.class).map_or("", |c| c.name.as_str());
            let signers: Vec<String> = r
                .signers
                .iter()
                .map(|s| {
                    format!(
                        "{} ({}) {}",
                        esc(&s.name),
                        esc(role_name(&s.role)),
                        esc(&vn_datetime(&s.at))
                    )
                })
                .collect();
            let mut download = if r.xml.is_some() {
                format!(
                    r#"<a href="/students/{}/records/{}/xml">XML</a>"#,
                    esc(code.as_str()),
                    esc(&r.id)
                )
            } else {
                String::new()
            };
            if matches!(r.state, RecordState::Signed | RecordState::Synced)
                && allows(store, user, Permission::PrintPaperCopy { class: r.class }).await?
            {
                let _ = write!(
                    download,
                    r#"<br><a href="/students/{}/records/{}/pdf">In bản sao giấy</a>"#,
                    esc(code.as_str()),
                    esc(&r.id)
                );
            }
            // Only the newest version of a class can be unlocked (the server refuses the
            // others with 409), so an older, superseded version offers no link; nor does
            // a synced one (replaced through "Đề nghị thu hồi" only).
            let superseded = records
                .iter()
                .any(|o| o.class == r.class && o.version > r.version);
            let mut actions = if r.state.is_locked()
                && r.state != RecordState::Synced
                && !superseded
                && allows(store, user, Permission::UnlockRecord { class: r.class }).await?
            {
                format!(
                    r#"<a href="/students/{}/records/{}/unlock">Mở khóa</a>"#,
                    esc(code.as_str()),
                    esc(&r.id)
                )
            } else {
                String::new()
            };
            actions.push_str(&crate::revocation::cell(app, user, r, !superseded, &requests).await?);
            let revoked = requests
                .iter()
                .any(|q| q.request.record_id == r.id && q.status == store::LinkStatus::Approved);
            let _ = write!(
                body,
                r#"<tr data-version="{}"><td>{}</td><td>{}</td><td data-col="version">{}</td><td data-col="state">{}</td><td data-col="signers">{}</td><td>{}</td><td data-col="supersedes">{}</td><td data-col="unlock-reason">{}</td><td data-col="sync">{}</td><td>{download}</td><td>{actions}</td></tr>"#,
                r.version,
                esc(class_name),
                r.year,
                r.version,
                state_label(r),
                signers.join("<br>"),
                short_digest(r.sha256.as_deref().unwrap_or("")),
                r.supersedes
                    .as_ref()
                    .map_or(String::new(), |(id, d)| format!(
                        "{}<br>{}",
                        esc(id),
                        short_digest(d)
                    )),
                esc(r.unlock_reason.as_deref().unwrap_or("")),
                sync_status(r, &outbox, revoked),
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(page(user, app.config().demo, "Các phiên bản học bạ", &body))
}

/// A digest shortened to its first 12 hex digits, the whole value in `title`.
fn short_digest(digest: &str) -> String {
    match digest.get(..12) {
        Some(head) if digest.len() > 16 => {
            format!(r#"<code title="{}">{}…</code>"#, esc(digest), esc(head))
        }
        _ => format!("<code>{}</code>", esc(digest)),
    }
}

/// The version's sync status ("Đồng bộ CSDL" column): chưa gửi, đã gửi có biên nhận, bị
/// từ chối (with the reason) or đã thu hồi; empty before the seal.
fn sync_status(r: &StoredRecord, outbox: &[store::OutboxEntry], revoked: bool) -> String {
    if revoked {
        return "Đã thu hồi".to_owned();
    }
    let entry = outbox
        .iter()
        .rev()
        .find(|e| e.record_id == r.id && Some(&e.digest) == r.sha256.as_ref());
    match entry.map(|e| (e.state, e)) {
        Some((store::OutboxState::Accepted, _)) => "Đã gửi, có biên nhận".to_owned(),
        Some((store::OutboxState::Rejected, e)) => format!(
            "Bị từ chối: {}",
            esc(e.reject_message.as_deref().unwrap_or_default())
        ),
        Some(_) => "Chưa gửi".to_owned(),
        None if r.state == RecordState::Synced => "Đã gửi, có biên nhận".to_owned(),
        None if r.state == RecordState::Signed => "Chưa gửi".to_owned(),
        None => String::new(),
    }
}

/// `GET /students/{code}/records/{id}/xml`: the stored bytes of one version.
pub async fn download(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let code = parse_student(&code)?;
    require(
        app.store(),
        &user,
        Permission::ViewStudentRecords { student: &code },
    )
    .await?;
    let record = match app.store().record(&code, &id).await {
        Ok(r) => r,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let class = app.store().class(record.class).await?;
    if class.school != user.teacher.school {
        return Err(AppError::NotFound);
    }
    let Some(xml) = record.xml else {
        return Err(AppError::NotFound);
    };
    let disposition = format!(
        "attachment; filename=\"hocba-{}-v{}.xml\"",
        code.as_str(),
        record.version
    );
    let mut response = xml.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// Shared with the principal's pages.

/// A PKCS#12 upload: the file and its password, from a multipart form. Dropped at the
/// end of the request; never stored, never logged.
pub(crate) struct KeyUpload {
    p12: Vec<u8>,
    password: String,
    /// The other text fields of the form, in order.
    pub fields: Vec<(String, String)>,
}

impl KeyUpload {
    /// Reads the `p12` file and `password` fields of a multipart form.
    pub fn from_request(headers: &HeaderMap, body: &[u8]) -> Result<KeyUpload, AppError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let parts = crate::multipart::parse(content_type, body).ok_or_else(|| {
            AppError::BadRequest(
                "Biểu mẫu ký số không hợp lệ (cần gửi kèm tệp chứng thư số).".to_owned(),
            )
        })?;
        let mut upload = KeyUpload {
            p12: Vec::new(),
            password: String::new(),
            fields: Vec::new(),
        };
        for p in parts {
            match p.name.as_str() {
                "p12" => upload.p12 = p.data,
                "password" => upload.password = String::from_utf8(p.data).unwrap_or_default(),
                _ => {
                    if let Ok(text) = String::from_utf8(p.data) {
                        upload.fields.push((p.name, text));
                    }
                }
            }
        }
        Ok(upload)
    }

    /// Opens the key and checks its certificate against the trust store at `now`; on
    /// failure, the Vietnamese message to show (nothing has been signed).
    pub fn open(&self, app: &AppState, now: i64) -> Result<pki::Pkcs12Signer, String> {
        let fail = |text: &str| {
            format!(
                r#"<p class="error-message">{} Không có học bạ nào được ký.</p>"#,
                esc(text)
            )
        };
        if self.p12.is_empty() {
            return Err(fail("Hãy chọn tệp chứng thư số (.p12 hoặc .pfx)."));
        }
        let Some(trust) = app.trust() else {
            return Err(fail(
                "Máy chủ chưa được cấu hình danh sách chứng thư gốc tin cậy; hãy báo quản trị trường.",
            ));
        };
        let signer = match pki::Pkcs12Signer::from_pkcs12(&self.p12, &self.password) {
            Ok(s) => s,
            Err(pki::KeyError::WrongPassword) => {
                tracing::info!("PKCS#12 upload refused: wrong password");
                return Err(fail("Mật khẩu của tệp chứng thư số không đúng."));
            }
            Err(e) => {
                tracing::info!(error = %e, "PKCS#12 upload refused");
                return Err(fail(
                    "Không đọc được tệp chứng thư số: tệp phải là PKCS#12 (.p12 / .pfx) chứa khóa bí mật và chứng thư.",
                ));
            }
        };
        if let Err(e) = trust.validate(xmldsig::Signer::certificate_chain(&signer), now) {
            tracing::info!(error = %e, "PKCS#12 upload refused: untrusted certificate");
            return Err(fail(
                "Chứng thư số không hợp lệ: không do tổ chức cung cấp dịch vụ chứng thực tin cậy cấp, đã hết hạn hoặc bị thu hồi.",
            ));
        }
        Ok(signer)
    }
}

/// Signs one stored record as signature `position` of its chain and stores it with a
/// compare-and-set on the state and count that were read; a conflict (someone signed
/// first, or — with `inputs_as_of`, see [`store::NewSignature::inputs_as_of`] — an input
/// changed after the caller checked the document) or a broken chain is reported as a
/// Vietnamese reason.
/// The signing itself (verification of the chain so far, RSA / ECDSA) runs on the
/// blocking pool, not on the async workers.
// Each argument is a distinct fact of one signing act (who, what, as which signature,
// when, for the audit); bundling them would only move the list into a struct used once.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn sign_stored(
    app: &AppState,
    r: &StoredRecord,
    level: Level,
    position: usize,
    signer: &Arc<dyn xmldsig::Signer>,
    signer_name: &str,
    now: i64,
    stamp: &store::AuditStamp,
    inputs_as_of: Option<i64>,
) -> Result<(), String> {
    let Some(xml) = &r.xml else {
        return Err("chưa có văn bản học bạ".to_owned());
    };
    let (doc, state, signer, name) = (
        xml.clone().into_bytes(),
        app.clone(),
        Arc::clone(signer),
        signer_name.to_owned(),
    );
    let work = tokio::task::spawn_blocking(move || {
        let trust = state.trust().ok_or(SignFailure::NoTrust)?;
        sign_as_next(&doc, level, position, signer.as_ref(), trust, &name, now)
    });
    let signed = match work.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!(record = %r.id, error = %e, "record not signed");
            return Err("chuỗi chữ ký hiện có không hợp lệ hoặc chưa đến lượt ký".to_owned());
        }
        Err(e) => {
            tracing::error!(record = %r.id, error = %e, "signing task failed");
            return Err("lỗi hệ thống khi ký".to_owned());
        }
    };
    let signed = String::from_utf8(signed).map_err(|_| "văn bản không hợp lệ".to_owned())?;
    let chain = record::default_chain_codes(level);
    let last = position + 1 == chain.len();
    let sig = NewSignature {
        student: r.student.clone(),
        id: r.id.clone(),
        from: r.state,
        signatures_before: r.signatures,
        sha256: sha256_hex(signed.as_bytes()),
        xml: signed,
        to: if last {
            RecordState::Signed
        } else {
            RecordState::Signing
        },
        signer: SignerEntry {
            role: chain[position].to_owned(),
            name: signer_name.to_owned(),
            at: iso_utc(now),
        },
        inputs_as_of,
    };
    match app.store().add_signature(&sig, stamp).await {
        Ok(()) => Ok(()),
        Err(store::Error::Conflict { .. }) => {
            Err("học bạ vừa được thay đổi hoặc đã được ký bởi người khác".to_owned())
        }
        Err(e) => {
            tracing::error!(record = %r.id, error = %e, "storing a signature failed");
            Err("lỗi hệ thống khi lưu".to_owned())
        }
    }
}

/// "Đã ký N học bạ" plus the records that failed, with their reasons.
pub(crate) fn signed_notice(done: usize, failed: &[(StudentCode, String)]) -> String {
    let mut notice = format!(r#"<p class="ok">Đã ký {done} học bạ.</p>"#);
    if !failed.is_empty() {
        notice.push_str(r#"<div class="error-message"><p>Chưa ký được:</p><ul>"#);
        for (code, why) in failed {
            let _ = write!(notice, "<li>{}: {}</li>", esc(code.as_str()), esc(why));
        }
        notice.push_str("</ul></div>");
    }
    notice
}

/// The Vietnamese state of a record version, with its place in the chain.
pub(crate) fn state_label(r: &StoredRecord) -> &'static str {
    match (r.state, r.signatures) {
        (RecordState::Draft, _) => "Bản nháp (đã mở khóa, đang sửa)",
        (RecordState::Reviewed, _) => "Đã xác nhận tổng hợp, chờ GVCN ký",
        (RecordState::Signing, 1) => "GVCN đã ký, chờ hiệu trưởng ký",
        (RecordState::Signing, _) => "Hiệu trưởng đã ký, chờ đóng dấu",
        (RecordState::Signed, _) => "Đã ký và đóng dấu (đã khóa)",
        (RecordState::Synced, _) => "Đã đồng bộ",
    }
}

/// The Vietnamese name of a role code.
pub(crate) fn role_name(code: &str) -> &'static str {
    record::SignerRole::from_code(code).map_or("", record::SignerRole::name_vi)
}

pub(crate) fn no_trust() -> AppError {
    AppError::Internal("no trust roots configured".to_owned())
}

pub(crate) fn parse_class(text: &str) -> Result<ClassId, AppError> {
    Ok(ClassId(text.parse().map_err(|_| AppError::NotFound)?))
}

pub(crate) fn parse_student(text: &str) -> Result<StudentCode, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

pub(crate) async fn granted(
    app: &AppState,
    granted: Option<Class>,
    id: ClassId,
) -> Result<Class, AppError> {
    match granted {
        Some(c) => Ok(c),
        None => Ok(app.store().class(id).await?),
    }
}

/// The students of a class whose records are locked, by student code.
pub(crate) async fn locked_set(
    app: &AppState,
    class: ClassId,
) -> Result<HashSet<String>, AppError> {
    Ok(app
        .store()
        .locked_students(class)
        .await?
        .into_iter()
        .map(|c| c.as_str().to_owned())
        .collect())
}

/// The message refusing a change to a locked student's inputs.
pub(crate) fn locked_message(name: &str) -> String {
    format!(
        "Học bạ của học sinh {name} đang được ký hoặc đã ký nên đã khóa: không sửa được điểm, kết quả rèn luyện hay số ngày nghỉ. Không có gì được lưu. Muốn sửa, hiệu trưởng phải mở khóa học bạ."
    )
}

/// The first locked student who has a field in the form (`prefix_CODE`), if any.
pub(crate) fn locked_in_form<'a>(
    fields: impl IntoIterator<Item = &'a String>,
    locked: &HashSet<String>,
) -> Option<String> {
    fields.into_iter().find_map(|k| {
        k.rsplit('_')
            .find(|part| locked.contains(*part))
            .map(str::to_owned)
    })
}

fn version_of(r: &StoredRecord) -> NonZeroU32 {
    NonZeroU32::new(r.version).unwrap_or(NonZeroU32::MIN)
}

fn supersedes_of(r: &StoredRecord) -> Result<Option<record::Supersedes>, AppError> {
    let Some((id, digest)) = &r.supersedes else {
        return Ok(None);
    };
    Ok(Some(record::Supersedes {
        id: id
            .parse()
            .map_err(|e| AppError::Internal(format!("stored record id: {e}")))?,
        digest: digest
            .parse()
            .map_err(|e| AppError::Internal(format!("stored digest: {e}")))?,
    }))
}

/// Whether the stored unsigned document is exactly what the current inputs build (with
/// the stored creation date and homeroom teacher's name).
fn is_current(
    r: &StoredRecord,
    inputs: &YearInputs,
    school: &store::School,
    level: Level,
) -> Result<bool, AppError> {
    let Some(xml) = &r.xml else {
        return Ok(false);
    };
    let Ok(doc) = record::parse_document(xml.as_bytes()) else {
        return Ok(false);
    };
    let rebuilt = match build_record(
        inputs,
        school,
        doc.record.class.homeroom_teacher.as_str(),
        level,
        doc.record.created,
        version_of(r),
        supersedes_of(r)?,
    ) {
        Ok(b) => b,
        Err(_) => return Ok(false),
    };
    Ok(rebuilt.to_xml() == xml.as_bytes())
}

async fn class_inputs(app: &AppState, class: &Class) -> Result<Vec<YearInputs>, AppError> {
    let mut inputs = Vec::new();
    for m in app.store().class_members(class.id).await? {
        inputs.push(
            app.store()
                .year_inputs(&EnrolmentKey {
                    student: m.student.code.clone(),
                    class: class.id,
                })
                .await?,
        );
    }
    Ok(inputs)
}

/// Every student with something missing, and what (the summary's own wording).
async fn missing_of_class(
    app: &AppState,
    class: &Class,
    inputs: &[YearInputs],
) -> Result<Vec<(String, Vec<String>)>, AppError> {
    let assigned: Vec<store::SubjectCode> = app
        .store()
        .assignments_of_class(class.id)
        .await?
        .into_iter()
        .map(|a| a.subject)
        .collect();
    let mut out = Vec::new();
    for i in inputs {
        if i.is_primary() {
            let what = crate::primary::primary_gaps(i, &assigned);
            if !what.is_empty() {
                out.push((i.student.full_name.clone(), what));
            }
            continue;
        }
        let mut what: Vec<String> = match i.secondary_year() {
            Ok(_) => Vec::new(),
            Err(missing) => missing.iter().map(missing_vi).collect(),
        };
        for s in &assigned {
            let any = i.scores.iter().any(|x| &x.subject == s)
                || i.comment_results.iter().any(|x| &x.subject == s);
            if !any {
                what.push(format!("{}: chưa có điểm", crate::grades::subject_name(s)));
            }
        }
        if i.secondary_year().is_ok() && what.is_empty() && i.scores.is_empty() {
            what.push("chưa có điểm môn nào".to_owned());
        }
        if !what.is_empty() {
            out.push((i.student.full_name.clone(), what));
        }
    }
    Ok(out)
}

async fn render_class(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Page, AppError> {
    let store = app.store();
    let review = store.class_review(class.id).await?;
    let records: HashMap<String, StoredRecord> = store
        .current_records_of_class(class.id)
        .await?
        .into_iter()
        .map(|r| (r.student.as_str().to_owned(), r))
        .collect();
    let can_review = allows(store, user, Permission::ReviewClass { class: class.id }).await?;
    let can_sign = allows(store, user, Permission::SignAsHomeroom { class: class.id }).await?;
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(n);
    }
    let _ = write!(
        body,
        r#"<p class="tabs"><a href="/classes/{id}/summary">Tổng hợp kết quả</a></p><p>{}</p>"#,
        match &review {
            Some(r) => format!("Đã xác nhận tổng hợp lúc {}.", esc(&r.reviewed_at)),
            None => "Lớp chưa xác nhận tổng hợp.".to_owned(),
        },
        id = class.id
    );
    body.push_str(r#"<table class="list"><thead><tr><th>STT</th><th>Họ và tên</th><th>Trạng thái học bạ</th><th>Phiên bản</th><th>Số chữ ký</th><th>Kết quả cuối năm</th><th></th></tr></thead><tbody>"#);
    let decisions = crate::summer::decisions(app, user, class).await?;
    let mut waiting = 0usize;
    let mut drafts = 0usize;
    for m in store.class_members(class.id).await? {
        let code = m.student.code.as_str();
        let (state, version, signatures) = match records.get(code) {
            Some(r) => {
                if r.state == RecordState::Reviewed {
                    waiting += 1;
                }
                if r.state == RecordState::Draft {
                    drafts += 1;
                }
                (
                    state_label(r),
                    r.version.to_string(),
                    r.signatures.to_string(),
                )
            }
            None if m.student.personal_id.is_none() => (
                "Chưa có mã định danh — không lập được học bạ để ký",
                String::new(),
                String::new(),
            ),
            None if review.is_some() => (
                "Không lập được học bạ để ký (mã định danh không khớp giới tính / năm sinh)",
                String::new(),
                String::new(),
            ),
            None => ("Chưa lập", String::new(), String::new()),
        };
        let _ = write!(
            body,
            r#"<tr data-student="{}"><td>{}</td><td class="name">{}</td><td data-col="state">{}</td><td data-col="version">{}</td><td data-col="signatures">{}</td><td data-col="result">{}</td><td><a href="/students/{}/records">Các phiên bản</a></td></tr>"#,
            esc(code),
            m.roll_no,
            esc(&m.student.full_name),
            esc(state),
            version,
            signatures,
            esc(decisions.get(code).map_or("", String::as_str)),
            esc(code)
        );
    }
    body.push_str("</tbody></table>");
    if can_review && (review.is_none() || drafts > 0 || waiting > 0) {
        let _ = write!(
            body,
            r#"<form method="post" action="/classes/{}/review">{}<p class="help">Xác nhận khi đã đủ điểm mọi môn, kết quả rèn luyện và số ngày nghỉ của cả lớp. Học bạ của từng học sinh được lập từ kết quả tính theo quy chế; học sinh chưa có mã định danh không lập được học bạ để ký.</p><p><button type="submit">Xác nhận tổng hợp</button></p></form>"#,
            class.id,
            csrf_field(&user.session.csrf_token)
        );
    }
    if can_sign && waiting > 0 {
        let _ = write!(
            body,
            r#"<h2>Ký số học bạ lớp</h2><form method="post" action="/classes/{}/sign" enctype="multipart/form-data" class="stacked">{}<p>{waiting} học bạ chờ giáo viên chủ nhiệm ký.</p><label>Tệp chứng thư số (.p12, .pfx) <input type="file" name="p12" accept=".p12,.pfx" required></label><label>Mật khẩu của tệp <input type="password" name="password" autocomplete="off"></label><p class="help">Tệp và mật khẩu chỉ dùng để ký trong lần gửi này, không được lưu trên máy chủ.</p><p><button type="submit">Ký số học bạ lớp</button></p></form>"#,
            class.id,
            csrf_field(&user.session.csrf_token)
        );
    }
    body.push_str(&crate::paper::class_section(app, user, class, &records).await?);
    let title = format!("Học bạ lớp {} — Năm học {}", class.name, class.year);
    let mut p = page(user, app.config().demo, &title, &body);
    p.status = status;
    Ok(p)
}
