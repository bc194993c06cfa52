//! The principal's (centre director's) and clerk's side of the record workflow (STORIES
//! #12–14): the dashboard per grade and class, "Ký hàng loạt" of a class or a grade after
//! a summary screen with per-student exclusion, "Đóng dấu số" with the school's seal key
//! configured on the server, and "Mở khóa" of a locked record with a mandatory reason.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use store::{Class, ClassId, RecordState, StoredRecord, Unlock};

use crate::AppState;
use crate::auth::{CurrentUser, unix_now};
use crate::error::AppError;
use crate::grades::level_of;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, allows, require};
use crate::records::{iso_utc, record_id};
use crate::workflow::{
    KeyUpload, granted, no_trust, parse_class, parse_student, sign_stored, signed_notice,
    state_label,
};

/// The school seal's key, configured on the server ("Đóng dấu số"). The password or PIN
/// stays in memory for the life of the process and is never logged.
#[derive(Clone)]
pub enum SealKey {
    /// A PKCS#12 file's bytes and its password.
    Pkcs12 {
        /// The file's bytes.
        p12: Vec<u8>,
        /// Its password.
        password: String,
    },
    /// A key on a PKCS#11 token (USB token, HSM) and its certificate chain (DER, signer
    /// first).
    Pkcs11 {
        /// Module, token, PIN and key label.
        config: pki::Pkcs11Config,
        /// The certificate chain to put in the signature.
        chain_der: Vec<Vec<u8>>,
    },
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealKey::Pkcs12 { p12, .. } => f
                .debug_struct("SealKey::Pkcs12")
                .field("bytes", &p12.len())
                .finish_non_exhaustive(),
            SealKey::Pkcs11 { config, .. } => f
                .debug_struct("SealKey::Pkcs11")
                .field("config", config)
                .finish_non_exhaustive(),
        }
    }
}

impl SealKey {
    /// Opens the key.
    ///
    /// # Errors
    /// The key store's error (wrong password or PIN, damaged file, token missing).
    pub fn open(&self) -> Result<Box<dyn xmldsig::Signer>, pki::KeyError> {
        Ok(match self {
            SealKey::Pkcs12 { p12, password } => {
                Box::new(pki::Pkcs12Signer::from_pkcs12(p12, password)?)
            }
            SealKey::Pkcs11 { config, chain_der } => {
                Box::new(pki::Pkcs11Signer::open(config, chain_der.clone())?)
            }
        })
    }

    /// The subject of the seal certificate (RFC 4514 style), for the clerk to see which
    /// seal will be applied. A PKCS#12 file is opened to read it; a PKCS#11 key is not
    /// touched (its chain is configured beside it). `None` if the certificate cannot be
    /// read (the seal itself then fails with its own message).
    pub fn subject(&self) -> Option<String> {
        use xmldsig::Signer as _;
        let der = match self {
            SealKey::Pkcs12 { p12, password } => pki::Pkcs12Signer::from_pkcs12(p12, password)
                .ok()?
                .certificate_chain()
                .first()?
                .clone(),
            SealKey::Pkcs11 { chain_der, .. } => chain_der.first()?.clone(),
        };
        pki::CertInfo::from_der(&der).ok().map(|c| c.subject)
    }
}

/// The seal key `school` seals with: its own (`Config::seals`, by school code), else the
/// server's default (`Config::seal`); `None` when neither is configured, and "Đóng dấu
/// số" is then refused.
pub fn seal_key_for<'a>(app: &'a AppState, school: &store::School) -> Option<&'a SealKey> {
    let config = app.config();
    config.seals.get(&school.code).or(config.seal.as_ref())
}

/// "Đóng dấu số" refused because the school has no seal key (nothing is sealed).
const NO_SEAL: &str = "Máy chủ chưa được cấu hình chứng thư số dấu của đơn vị; hãy báo quản trị trường. Không có học bạ nào được đóng dấu.";

/// `GET /signing`: records per grade and class, by state (STORIES #12).
pub async fn dashboard(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSigningDashboard).await?;
    let store = app.store();
    let Some(year) = store.list_school_years().await?.last().map(|y| y.year) else {
        return Ok(page(
            &user,
            app.config().demo,
            "Ký duyệt học bạ",
            "<p>Chưa có năm học nào.</p>",
        ));
    };
    let classes = store.classes_of_school(user.teacher.school, year).await?;
    let mut by_grade: BTreeMap<u8, Vec<(Class, Counts)>> = BTreeMap::new();
    for c in classes {
        let counts = Counts::of(&app, &c).await?;
        by_grade.entry(c.grade.get()).or_default().push((c, counts));
    }
    let mut body = format!(
        r#"<p>Năm học {year}. Thứ tự ký: giáo viên chủ nhiệm → hiệu trưởng (giám đốc trung tâm) → dấu đơn vị.</p><table class="list"><thead><tr><th>Khối / lớp</th><th>Sĩ số</th><th>Đã xác nhận, chờ GVCN ký</th><th>GVCN đã ký, chờ hiệu trưởng</th><th>Chờ đóng dấu</th><th>Đã đóng dấu</th><th>Đang sửa (mở khóa)</th><th>Không ký được</th><th></th></tr></thead><tbody>"#
    );
    let csrf = csrf_field(&user.session.csrf_token);
    let mut seal_offered = false;
    for (grade, classes) in &by_grade {
        let mut total = Counts::default();
        for (_, c) in classes {
            total.add(c);
        }
        let (grade_actions, offered) = actions(
            &app,
            &user,
            classes,
            &total,
            &format!("grade={grade}"),
            &csrf,
            &format!(r#"<input type="hidden" name="grade" value="{grade}">"#),
        )
        .await?;
        seal_offered |= offered;
        let _ = write!(
            body,
            r#"<tr class="grade"><th>Khối {grade}</th>{}<td>{grade_actions}</td></tr>"#,
            total.cells()
        );
        for (c, counts) in classes {
            let (class_actions, offered) = actions(
                &app,
                &user,
                std::slice::from_ref(&(c.clone(), counts.clone())),
                counts,
                &format!("class={}", c.id),
                &csrf,
                &format!(r#"<input type="hidden" name="class" value="{}">"#, c.id),
            )
            .await?;
            seal_offered |= offered;
            let _ = write!(
                body,
                r#"<tr><td><a href="/classes/{}/records">Lớp {}</a></td>{}<td>{class_actions}</td></tr>"#,
                c.id,
                esc(&c.name),
                counts.cells()
            );
        }
    }
    body.push_str("</tbody></table>");
    if seal_offered {
        body.push_str(&seal_note(&app, &user.school));
    }
    Ok(page(&user, app.config().demo, "Ký duyệt học bạ", &body))
}

/// Which classes a batch is about: `?class=ID` or `?grade=N` (latest school year).
#[derive(Deserialize)]
pub struct BatchQuery {
    class: Option<String>,
    grade: Option<String>,
}

/// `GET /signing/batch?class=ID|grade=N`: the summary screen of "Ký hàng loạt": what
/// will be signed, what is excluded and why, a checkbox per student to exclude, then
/// the key upload.
pub async fn batch_summary(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(q): Query<BatchQuery>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSigningDashboard).await?;
    let classes = batch_classes(&app, &user, q.class.as_deref(), q.grade.as_deref()).await?;
    render_batch(&app, &user, &classes, None, StatusCode::OK).await
}

/// `POST /signing/batch` (multipart: `class` repeated, `exclude` repeated student codes,
/// `p12`, `password`, `_csrf`): signs as HT / GD every selected record whose chain
/// expects that role next.
pub async fn batch_sign(
    State(app): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSigningDashboard).await?;
    let upload = KeyUpload::from_request(&headers, &body)?;
    let mut classes = Vec::new();
    for (k, v) in &upload.fields {
        if k == "class" {
            let id = parse_class(v)?;
            let grant = require(app.store(), &user, Permission::BatchSign { class: id }).await?;
            classes.push(granted(&app, grant.class, id).await?);
        }
    }
    if classes.is_empty() {
        return Err(AppError::BadRequest("Chưa chọn lớp để ký.".to_owned()));
    }
    let excluded: Vec<&str> = upload
        .fields
        .iter()
        .filter(|(k, _)| k == "exclude")
        .map(|(_, v)| v.as_str())
        .collect();
    let now = unix_now();
    let stamp = crate::history::stamp(&user);
    let signer: Arc<dyn xmldsig::Signer> = match upload.open(&app, now) {
        Ok(s) => Arc::new(s),
        Err(message) => {
            return render_batch(
                &app,
                &user,
                &classes,
                Some(&message),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let (mut done, mut failed) = (0usize, Vec::new());
    for class in &classes {
        let level = level_of(&user.school, class.grade);
        for r in app.store().current_records_of_class(class.id).await? {
            if !awaits(&r, 1) || excluded.contains(&r.student.as_str()) {
                continue;
            }
            match sign_stored(
                &app,
                &r,
                level,
                1,
                &signer,
                &user.teacher.full_name,
                now,
                &stamp,
                None,
            )
            .await
            {
                Ok(()) => done += 1,
                Err(e) => failed.push((r.student.clone(), e)),
            }
        }
    }
    tracing::info!(
        teacher = %user.teacher.username,
        classes = classes.len(),
        signed = done,
        excluded = excluded.len(),
        failed = failed.len(),
        "batch signed by principal"
    );
    let notice = signed_notice(done, &failed);
    render_batch(&app, &user, &classes, Some(&notice), StatusCode::OK).await
}

/// `POST /signing/seal` (form: `class` or `grade`): "Đóng dấu số" with the server's seal
/// key on every record of the classes that waits for the seal → `signed` (locked).
pub async fn seal(
    State(app): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSigningDashboard).await?;
    let class = pairs
        .iter()
        .find(|(k, _)| k == "class")
        .map(|(_, v)| v.as_str());
    let grade = pairs
        .iter()
        .find(|(k, _)| k == "grade")
        .map(|(_, v)| v.as_str());
    let ids = class_ids(&app, &user, class, grade).await?;
    let mut classes = Vec::new();
    for id in ids {
        let grant = require(app.store(), &user, Permission::ApplySeal { class: id }).await?;
        classes.push(granted(&app, grant.class, id).await?);
    }
    let Some(key) = seal_key_for(&app, &user.school) else {
        return Err(AppError::Conflict(NO_SEAL.to_owned()));
    };
    let trust = app.trust().ok_or_else(no_trust)?;
    let signer: Arc<dyn xmldsig::Signer> = key
        .open()
        .map(Arc::from)
        .map_err(|e| AppError::Internal(format!("opening the configured seal key: {e}")))?;
    let now = unix_now();
    let stamp = crate::history::stamp(&user);
    if let Err(e) = trust.validate(signer.certificate_chain(), now) {
        tracing::error!(error = %e, "the configured seal certificate is not trusted");
        return Err(AppError::Conflict(
            "Chứng thư số dấu của đơn vị không hợp lệ (hết hạn, bị thu hồi hoặc không do tổ chức tin cậy cấp). Không có học bạ nào được đóng dấu.".to_owned(),
        ));
    }
    let seal_name = format!("Dấu {}", user.school.name);
    let (mut done, mut failed) = (0usize, Vec::new());
    for class in &classes {
        let level = level_of(&user.school, class.grade);
        for r in app.store().current_records_of_class(class.id).await? {
            if !awaits(&r, 2) {
                continue;
            }
            match sign_stored(&app, &r, level, 2, &signer, &seal_name, now, &stamp, None).await {
                Ok(()) => done += 1,
                Err(e) => failed.push((r.student.clone(), e)),
            }
        }
    }
    tracing::info!(
        teacher = %user.teacher.username,
        classes = classes.len(),
        sealed = done,
        failed = failed.len(),
        "seal applied"
    );
    let mut body = signed_notice(done, &failed).replace("Đã ký", "Đã đóng dấu");
    if let Some(info) = signer
        .certificate_chain()
        .first()
        .and_then(|der| pki::CertInfo::from_der(der).ok())
    {
        let _ = write!(
            body,
            "<p>Chứng thư số dấu đã dùng: <code>{}</code></p>",
            esc(&info.subject)
        );
    }
    body.push_str(r#"<p><a href="/signing">← Ký duyệt học bạ</a></p>"#);
    Ok(page(&user, app.config().demo, "Đóng dấu số", &body))
}

/// `GET /students/{code}/records/{id}/unlock`: the "Mở khóa" form.
pub async fn unlock_page(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> Result<Page, AppError> {
    let (record, _) = unlockable(&app, &user, &code, &id).await?;
    render_unlock(&app, &user, &record, None, StatusCode::OK)
}

/// The "Mở khóa" form's fields.
#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    reason: String,
}

/// The 409 answer to "Mở khóa" of a record the registry has acknowledged (`Synced`,
/// receipt stored): DESIGN.md §5, such a record is replaced only through a revocation
/// request approved by the supervising authority.
pub const SYNCED_UNLOCK_REFUSED: &str = "Học bạ này đã gửi lên CSDL học bạ số; chỉ thay thế được qua \"Đề nghị thu hồi\" khi cơ quan quản lý phê duyệt.";

/// `POST /students/{code}/records/{id}/unlock`: with a reason, makes version + 1 a draft
/// that supersedes the locked version (kept as it was); the student's inputs become
/// editable again.
///
/// Only a record not yet acknowledged by the registry can be unlocked (a synced one is
/// refused with 409 and nothing changes). When the unlocked version is sealed and still
/// waiting in the outbox, its entry stays there but is never sent: the sender claims
/// only entries of a student's current version ([`store::Store::claim_outbox`]), and
/// "Đồng bộ CSDL" counts it as superseded; the next version is queued when it is sealed.
pub async fn unlock(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
    Form(form): Form<UnlockForm>,
) -> Result<Page, AppError> {
    let (record, class) = unlockable(&app, &user, &code, &id).await?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        let notice = r#"<p class="error-message">Phải nhập lý do mở khóa (tối đa 2000 kí tự). Học bạ chưa được mở khóa.</p>"#;
        return render_unlock(&app, &user, &record, Some(notice), StatusCode::BAD_REQUEST);
    }
    let draft = unlock_next_version(
        &app,
        &user,
        &record,
        class.school,
        reason.to_owned(),
        false,
        "Học bạ này không còn ở trạng thái khóa hoặc đã có phiên bản mới hơn. Không có gì thay đổi.",
    )
    .await?;
    tracing::info!(
        teacher = %user.teacher.username,
        record = %record.id,
        new_record = %draft.id,
        version = draft.version,
        "record unlocked"
    );
    let body = format!(
        r#"<p class="ok">Đã mở khóa. Phiên bản {} (bản nháp) thay thế phiên bản {}; điểm và kết quả của học sinh sửa được trở lại. Phiên bản đã ký vẫn được lưu nguyên vẹn.</p><p><a href="/students/{}/records">Các phiên bản học bạ</a></p>"#,
        draft.version,
        record.version,
        esc(record.student.as_str())
    );
    Ok(page(&user, app.config().demo, "Mở khóa học bạ", &body))
}

// ---------------------------------------------------------------------------------------

/// Makes version + 1 of the locked `record` of `school` a draft that supersedes it,
/// audited as `user` ([`store::Store::unlock_record`]), with `reason` and
/// `replaces_revoked` as in [`Unlock`]; the new draft. A [`store::Error::Conflict`] (the
/// record is no longer locked, or a newer version exists) answers 409 with `conflict`
/// and changes nothing.
pub(crate) async fn unlock_next_version(
    app: &AppState,
    user: &CurrentUser,
    record: &StoredRecord,
    school: store::SchoolId,
    reason: String,
    replaces_revoked: bool,
    conflict: &str,
) -> Result<StoredRecord, AppError> {
    let school = app.store().school(school).await?;
    let next = NonZeroU32::new(record.version.saturating_add(1)).unwrap_or(NonZeroU32::MAX);
    let unlock = Unlock {
        student: record.student.clone(),
        id: record.id.clone(),
        sha256: record.sha256.clone().unwrap_or_default(),
        new_id: record_id(&record.student, &school.code, record.year, next).to_string(),
        reason,
        by: user.teacher.id,
        at: iso_utc(unix_now()),
        replaces_revoked,
    };
    match app
        .store()
        .unlock_record(&unlock, &crate::history::stamp(user))
        .await
    {
        Ok(d) => Ok(d),
        Err(store::Error::Conflict { .. }) => Err(AppError::Conflict(conflict.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// Head counts of a class's records by state.
#[derive(Debug, Default, Clone)]
struct Counts {
    members: usize,
    reviewed: usize,
    homeroom_signed: usize,
    principal_signed: usize,
    sealed: usize,
    drafts: usize,
    blocked: usize,
}

impl Counts {
    async fn of(app: &AppState, class: &Class) -> Result<Counts, AppError> {
        let store = app.store();
        let members = store.class_members(class.id).await?;
        let records = store.current_records_of_class(class.id).await?;
        let reviewed = store.class_review(class.id).await?.is_some();
        let mut c = Counts {
            members: members.len(),
            ..Counts::default()
        };
        for r in &records {
            match (r.state, r.signatures) {
                (RecordState::Draft, _) => c.drafts += 1,
                (RecordState::Reviewed, _) => c.reviewed += 1,
                (RecordState::Signing, 1) => c.homeroom_signed += 1,
                (RecordState::Signing, _) => c.principal_signed += 1,
                (RecordState::Signed | RecordState::Synced, _) => c.sealed += 1,
            }
        }
        c.blocked = members
            .iter()
            .filter(|m| !records.iter().any(|r| r.student == m.student.code))
            .filter(|m| reviewed || m.student.personal_id.is_none())
            .count();
        Ok(c)
    }

    fn add(&mut self, o: &Counts) {
        self.members += o.members;
        self.reviewed += o.reviewed;
        self.homeroom_signed += o.homeroom_signed;
        self.principal_signed += o.principal_signed;
        self.sealed += o.sealed;
        self.drafts += o.drafts;
        self.blocked += o.blocked;
    }

    fn cells(&self) -> String {
        format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            self.members,
            self.reviewed,
            self.homeroom_signed,
            self.principal_signed,
            self.sealed,
            self.drafts,
            self.blocked
        )
    }
}

/// The dashboard's action links and buttons for a class or grade, and whether "Đóng dấu
/// số" is among them.
async fn actions(
    app: &AppState,
    user: &CurrentUser,
    classes: &[(Class, Counts)],
    counts: &Counts,
    query: &str,
    csrf: &str,
    hidden: &str,
) -> Result<(String, bool), AppError> {
    let store = app.store();
    let mut out = String::new();
    let mut can_sign = !classes.is_empty();
    let mut can_seal = !classes.is_empty();
    for (c, _) in classes {
        can_sign &= allows(store, user, Permission::BatchSign { class: c.id }).await?;
        can_seal &= allows(store, user, Permission::ApplySeal { class: c.id }).await?;
    }
    if can_sign && counts.homeroom_signed > 0 {
        let _ = write!(out, r#"<a href="/signing/batch?{query}">Ký hàng loạt</a> "#);
    }
    let seal = can_seal && counts.principal_signed > 0;
    if seal {
        let _ = write!(
            out,
            r#"<form method="post" action="/signing/seal" class="inline">{csrf}{hidden}<button type="submit">Đóng dấu số</button></form>"#
        );
    }
    Ok((out, seal))
}

/// Which seal "Đóng dấu số" will apply for `school`, shown once under the dashboard: the
/// certificate subject, or that none is configured (the seal is then refused).
fn seal_note(app: &AppState, school: &store::School) -> String {
    match seal_key_for(app, school) {
        Some(key) => format!(
            r#"<p class="help">Chứng thư số dấu sẽ dùng khi «Đóng dấu số»: <code>{}</code></p>"#,
            esc(&key
                .subject()
                .unwrap_or_else(|| "không đọc được chứng thư".to_owned()))
        ),
        None => r#"<p class="warn">Máy chủ chưa có chứng thư số dấu của trường: chưa đóng dấu được.</p>"#.to_owned(),
    }
}

/// Whether a record waits for signature `position` (0-based) of its chain.
fn awaits(r: &StoredRecord, position: u32) -> bool {
    let state = if position == 0 {
        RecordState::Reviewed
    } else {
        RecordState::Signing
    };
    r.state == state && r.signatures == position
}

/// The classes of `?class=` or `?grade=` (in the latest school year), each checked for
/// "Ký hàng loạt".
async fn batch_classes(
    app: &AppState,
    user: &CurrentUser,
    class: Option<&str>,
    grade: Option<&str>,
) -> Result<Vec<Class>, AppError> {
    let mut out = Vec::new();
    for id in class_ids(app, user, class, grade).await? {
        let grant = require(app.store(), user, Permission::BatchSign { class: id }).await?;
        out.push(granted(app, grant.class, id).await?);
    }
    Ok(out)
}

/// The class ids named by a `class` or a `grade` parameter. A grade is looked up in the
/// user's own school only (after the dashboard permission); a class is checked by the
/// caller's own permission.
async fn class_ids(
    app: &AppState,
    user: &CurrentUser,
    class: Option<&str>,
    grade: Option<&str>,
) -> Result<Vec<ClassId>, AppError> {
    if let Some(c) = class {
        return Ok(vec![parse_class(c)?]);
    }
    let Some(g) = grade else {
        return Err(AppError::BadRequest(
            "Hãy chọn một lớp hoặc một khối.".to_owned(),
        ));
    };
    require(app.store(), user, Permission::ViewSigningDashboard).await?;
    let g: u8 = g
        .parse()
        .map_err(|_| AppError::BadRequest("Khối không hợp lệ.".to_owned()))?;
    let Some(year) = app
        .store()
        .list_school_years()
        .await?
        .last()
        .map(|y| y.year)
    else {
        return Ok(Vec::new());
    };
    let ids: Vec<ClassId> = app
        .store()
        .classes_of_school(user.teacher.school, year)
        .await?
        .into_iter()
        .filter(|c| c.grade.get() == g)
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(ids)
}

async fn render_batch(
    app: &AppState,
    user: &CurrentUser,
    classes: &[Class],
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Page, AppError> {
    let store = app.store();
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(n);
    }
    let mut rows = String::new();
    let mut excluded = String::new();
    let mut hidden = String::new();
    let mut ready = 0usize;
    for class in classes {
        let _ = write!(
            hidden,
            r#"<input type="hidden" name="class" value="{}">"#,
            class.id
        );
        let records = store.current_records_of_class(class.id).await?;
        for m in store.class_members(class.id).await? {
            let code = m.student.code.as_str();
            let name = esc(&m.student.full_name);
            match records.iter().find(|r| r.student.as_str() == code) {
                Some(r) if awaits(r, 1) => {
                    ready += 1;
                    let _ = write!(
                        rows,
                        r#"<tr data-student="{}"><td>{}</td><td>{}</td><td class="name">{name}</td><td data-col="state">{}</td><td><label><input type="checkbox" name="exclude" value="{}"> Loại khỏi lần ký này</label></td></tr>"#,
                        esc(code),
                        esc(&class.name),
                        class.year,
                        esc(state_label(r)),
                        esc(code)
                    );
                }
                Some(r) => {
                    let _ = write!(
                        excluded,
                        r#"<tr data-student="{}"><td>{}</td><td class="name">{name}</td><td data-col="reason">{}</td></tr>"#,
                        esc(code),
                        esc(&class.name),
                        esc(state_label(r))
                    );
                }
                None => {
                    let why = if m.student.personal_id.is_none() {
                        "Chưa có mã định danh"
                    } else {
                        "Chưa lập học bạ (lớp chưa xác nhận tổng hợp)"
                    };
                    let _ = write!(
                        excluded,
                        r#"<tr data-student="{}"><td>{}</td><td class="name">{name}</td><td data-col="reason">{why}</td></tr>"#,
                        esc(code),
                        esc(&class.name)
                    );
                }
            }
        }
    }
    let names: Vec<String> = classes.iter().map(|c| esc(&c.name)).collect();
    let year = classes
        .first()
        .map(|c| c.year.to_string())
        .unwrap_or_default();
    let _ = write!(
        body,
        r#"<p>Lớp: <strong>{}</strong> — năm học {year}. <strong>{ready}</strong> học bạ chờ hiệu trưởng ký.</p>"#,
        names.join(", ")
    );
    if ready > 0 {
        let _ = write!(
            body,
            r#"<form method="post" action="/signing/batch" enctype="multipart/form-data" class="stacked">{}{hidden}<table class="list"><thead><tr><th>Lớp</th><th>Năm học</th><th>Họ và tên</th><th>Trạng thái</th><th>Loại trừ</th></tr></thead><tbody>{rows}</tbody></table><label>Tệp chứng thư số (.p12, .pfx) <input type="file" name="p12" accept=".p12,.pfx" required></label><label>Mật khẩu của tệp <input type="password" name="password" autocomplete="off"></label><p class="help">Tệp và mật khẩu chỉ dùng để ký trong lần gửi này, không được lưu trên máy chủ.</p><p><button type="submit">Ký hàng loạt</button></p></form>"#,
            csrf_field(&user.session.csrf_token)
        );
    }
    if !excluded.is_empty() {
        let _ = write!(
            body,
            r#"<h2>Không ký trong lần này</h2><table class="list"><thead><tr><th>Lớp</th><th>Họ và tên</th><th>Lý do</th></tr></thead><tbody>{excluded}</tbody></table>"#
        );
    }
    body.push_str(r#"<p><a href="/signing">← Ký duyệt học bạ</a></p>"#);
    let mut p = page(user, app.config().demo, "Ký hàng loạt", &body);
    p.status = status;
    Ok(p)
}

/// The record, checked for "Mở khóa": principal of its class's school, record locked
/// and not yet synced (a synced record is refused with [`SYNCED_UNLOCK_REFUSED`]).
async fn unlockable(
    app: &AppState,
    user: &CurrentUser,
    code: &str,
    id: &str,
) -> Result<(StoredRecord, Class), AppError> {
    let code = parse_student(code)?;
    // Checked before reading the record, so that nobody learns which ids exist.
    require(
        app.store(),
        user,
        Permission::ViewStudentRecords { student: &code },
    )
    .await?;
    let record = match app.store().record(&code, id).await {
        Ok(r) => r,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let grant = require(
        app.store(),
        user,
        Permission::UnlockRecord {
            class: record.class,
        },
    )
    .await?;
    let class = granted(app, grant.class, record.class).await?;
    if !record.state.is_locked() {
        return Err(AppError::Conflict(
            "Học bạ này chưa khóa (chưa ký), không cần mở khóa.".to_owned(),
        ));
    }
    // DESIGN.md §5: once the registry holds it, only an approved revocation replaces it.
    if record.state == RecordState::Synced {
        return Err(AppError::Conflict(SYNCED_UNLOCK_REFUSED.to_owned()));
    }
    Ok((record, class))
}

fn render_unlock(
    app: &AppState,
    user: &CurrentUser,
    record: &StoredRecord,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Page, AppError> {
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(n);
    }
    let _ = write!(
        body,
        r#"<p>Học bạ phiên bản {} — {} — mã băm <code>{}</code>.</p><p class="help">Mở khóa tạo phiên bản {} (bản nháp) thay thế phiên bản này; phiên bản đã ký vẫn được lưu nguyên vẹn. Sau khi sửa, lớp phải xác nhận tổng hợp và ký lại.</p><form method="post" action="/students/{}/records/{}/unlock" class="stacked">{}<label>Lý do mở khóa (bắt buộc) <textarea name="reason" rows="3" required maxlength="2000"></textarea></label><p><button type="submit">Mở khóa</button></p></form>"#,
        record.version,
        esc(state_label(record)),
        esc(record.sha256.as_deref().unwrap_or("")),
        record.version + 1,
        esc(record.student.as_str()),
        esc(&record.id),
        csrf_field(&user.session.csrf_token)
    );
    let mut p = page(user, app.config().demo, "Mở khóa học bạ", &body);
    p.status = status;
    Ok(p)
}
