//! "Nhật ký thay đổi của trường" (`GET /school/audit`): every entry of the audit log made
//! in the user's school — also the changes that are not about one student (accounts and
//! roles, first-login passwords, locks, teaching assignments, school years, the registry
//! token, certificates) — newest first, [`PAGE_SIZE`] a page (`?before=SEQ`), filtered by
//! kind of change (`?kind=`) and by the actor's username (`?actor=`). For the school
//! admin and the principal of the school only.
//!
//! Entries are labelled with the labels of "Lịch sử thay đổi" (`crate::history`); the
//! school-level actions it does not name get theirs here. The log never holds a password
//! or a token (`password.*` and `account.lock` entries carry no value,
//! `registry.token.set` only its last 4 characters); this page still shows no value of a
//! password entry, whatever is stored.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Query, State};
use serde::Deserialize;
use store::{AuditAction, AuditEntry, AuditFilter};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history;
use crate::html::{Page, esc, page, role_label};
use crate::permission::{Permission, require};

/// Entries per page.
pub const PAGE_SIZE: u32 = 100;

/// The page's address.
pub const HREF: &str = "/school/audit";

/// The kinds of change the page filters by: (query value, label, actions). Every action
/// belongs to exactly one kind.
const KINDS: &[(&str, &str, &[AuditAction])] = &[
    (
        "accounts",
        "Tài khoản",
        &[
            AuditAction::AccountCreate,
            AuditAction::AccountRoles,
            AuditAction::PasswordIssue,
            AuditAction::AccountLock,
            AuditAction::PasswordChange,
        ],
    ),
    (
        "teaching",
        "Phân công giảng dạy",
        &[AuditAction::HomeroomSet, AuditAction::AssignmentSet],
    ),
    (
        "scores",
        "Điểm, đánh giá, rèn luyện",
        &[
            AuditAction::ScoreSet,
            AuditAction::ResultSet,
            AuditAction::CommentSet,
            AuditAction::ConductSet,
            AuditAction::AbsencesSet,
            AuditAction::Tt27LevelSet,
            AuditAction::Tt27TestSet,
            AuditAction::Tt27RatingSet,
            AuditAction::Tt27OutstandingSet,
        ],
    ),
    (
        "records",
        "Học bạ (xác nhận, ký, đồng bộ, in, thu hồi)",
        &[
            AuditAction::RecordReview,
            AuditAction::RecordSign,
            AuditAction::RecordUnlock,
            AuditAction::RecordSync,
            AuditAction::RecordResend,
            AuditAction::RecordPrint,
            AuditAction::RevocationRequest,
        ],
    ),
    ("students", "Hồ sơ học sinh", &[AuditAction::PersonalIdSet]),
    (
        "school",
        "Năm học, kết nối CSDL, chứng thư số",
        &[
            AuditAction::SchoolYearCreate,
            AuditAction::RegistryTokenSet,
            AuditAction::CertificateSubmit,
        ],
    ),
];

/// The query string: all optional.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    kind: Option<String>,
    actor: Option<String>,
    before: Option<String>,
}

/// `GET /school/audit`: the school's audit entries (module doc).
pub async fn school_audit(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSchoolAudit).await?;
    let kind = match q.kind.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        k => Some(
            KINDS
                .iter()
                .find(|(code, _, _)| *code == k)
                .ok_or_else(|| bad("Loại thay đổi không hợp lệ."))?,
        ),
    };
    let actor = q
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let before = match q.before.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("Số thứ tự trang không hợp lệ."))?,
        ),
    };
    let filter = AuditFilter {
        actions: kind
            .map(|(_, _, actions)| actions.to_vec())
            .unwrap_or_default(),
        actor_username: actor.clone(),
    };
    let store = app.store();
    let school = user.teacher.school;
    let mut entries = store
        .audit_of_school(school, &filter, before, PAGE_SIZE + 1)
        .await?;
    let more = entries.len() > PAGE_SIZE as usize;
    entries.truncate(PAGE_SIZE as usize);

    let mut classes: HashMap<i64, String> = HashMap::new();
    for class in entries.iter().filter_map(|e| e.class) {
        if classes.contains_key(&class.0) {
            continue;
        }
        let name = match store.class(class).await {
            Ok(c) if c.school == school => format!("{} ({})", c.name, c.year),
            Ok(_) | Err(store::Error::NotFound { .. }) => String::new(),
            Err(e) => return Err(e.into()),
        };
        classes.insert(class.0, name);
    }

    let mut body = String::from(
        r#"<p class="help">Mọi thay đổi được ghi lại tại trường — tài khoản, phân công giảng dạy, điểm và đánh giá, học bạ, năm học, kết nối CSDL, chứng thư số — mới nhất trước. Nhật ký chỉ được ghi thêm, không sửa hay xóa được; mật khẩu và mã truy cập không bao giờ được ghi.</p>"#,
    );
    filter_form(&mut body, kind.map(|(code, _, _)| *code), actor.as_deref());
    if entries.is_empty() && kind.is_none() && actor.is_none() && before.is_none() {
        body.push_str("<p>Chưa có thay đổi nào được ghi lại.</p>");
    } else if entries.is_empty() {
        body.push_str("<p>Không có thay đổi nào khớp với bộ lọc.</p>");
    } else {
        body.push_str(
            r#"<table class="list history audit"><thead><tr><th>Số</th><th>Thời gian</th><th>Người thực hiện</th><th>Lớp</th><th>Học sinh</th><th>Nội dung</th><th>Giá trị cũ</th><th>Giá trị mới</th><th>Lý do</th></tr></thead><tbody>"#,
        );
        for e in &entries {
            let class = e
                .class
                .and_then(|c| classes.get(&c.0).cloned())
                .unwrap_or_default();
            let student = e.student.as_ref().map_or_else(String::new, |s| {
                format!(
                    r#"<a href="{href}">{code}</a>"#,
                    href = esc(&history::href(s)),
                    code = esc(s.as_str()),
                )
            });
            let (old, new) = values(e);
            let _ = writeln!(
                body,
                r#"<tr><td>{seq}</td><td>{at}</td><td>{who}</td><td>{class}</td><td>{student}</td><td>{what}</td><td>{old}</td><td>{new}</td><td>{why}</td></tr>"#,
                seq = e.seq,
                at = esc(&history::vietnam_time(&e.at)),
                who = esc(&format!("{} ({})", e.actor_name, e.actor_username)),
                class = esc(&class),
                what = esc(&describe(e)),
                old = esc(&old),
                new = esc(&new),
                why = esc(e.reason.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</tbody></table>");
    }
    if more && let Some(last) = entries.last() {
        let mut next = format!("{HREF}?before={}", last.seq);
        if let Some((code, _, _)) = kind {
            let _ = write!(next, "&kind={code}");
        }
        if let Some(a) = &actor {
            let _ = write!(next, "&actor={}", query_escape(a));
        }
        let _ = write!(
            body,
            r#"<p><a class="next-page" href="{}">Trang sau (cũ hơn) →</a></p>"#,
            esc(&next)
        );
    }
    if before.is_some() {
        let _ = write!(body, r#"<p><a href="{HREF}">← Mới nhất</a></p>"#);
    }
    Ok(page(
        &user,
        app.config().demo,
        "Nhật ký thay đổi của trường",
        &body,
    ))
}

/// A 400 with a Vietnamese message.
fn bad(message: &str) -> AppError {
    AppError::BadRequest(message.to_owned())
}

/// The filter form (GET): kind of change and the actor's username.
fn filter_form(body: &mut String, kind: Option<&str>, actor: Option<&str>) {
    let mut options = String::from(r#"<option value="">Tất cả</option>"#);
    for (code, label, _) in KINDS {
        let selected = if kind == Some(*code) { " selected" } else { "" };
        let _ = write!(
            options,
            r#"<option value="{code}"{selected}>{label}</option>"#
        );
    }
    let _ = write!(
        body,
        r#"<form method="get" action="{HREF}" class="filters"><label>Loại thay đổi <select name="kind">{options}</select></label> <label>Tên đăng nhập người thực hiện <input name="actor" value="{actor}" autocomplete="off"></label> <button type="submit">Lọc</button></form>"#,
        actor = esc(actor.unwrap_or("")),
    );
}

/// What the entry did, in Vietnamese: the school-level actions named here, the rest as
/// "Lịch sử thay đổi" names them.
fn describe(e: &AuditEntry) -> String {
    let account = || {
        e.field
            .strip_prefix("account/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or(&e.field)
            .to_owned()
    };
    match e.action {
        AuditAction::AccountCreate => format!("Tạo tài khoản {}", account()),
        AuditAction::AccountRoles => format!("Đổi vai trò tài khoản {}", account()),
        AuditAction::PasswordIssue => format!("Cấp mật khẩu lần đầu cho {}", account()),
        AuditAction::AccountLock => format!("Khóa tài khoản {}", account()),
        AuditAction::HomeroomSet => "Phân công giáo viên chủ nhiệm".to_owned(),
        AuditAction::AssignmentSet => {
            let subject = e.field.strip_suffix("/gv").unwrap_or(&e.field);
            let name = subject
                .parse::<store::SubjectCode>()
                .map_or_else(|_| subject.to_owned(), |s| crate::grades::subject_name(&s));
            format!("Phân công giáo viên bộ môn {name}")
        }
        AuditAction::SchoolYearCreate => "Tạo năm học".to_owned(),
        AuditAction::RegistryTokenSet => "Đặt mã truy cập CSDL học bạ số".to_owned(),
        AuditAction::CertificateSubmit => format!(
            "Gửi chứng thư số ({})",
            e.field.strip_prefix("certificate/").unwrap_or(&e.field)
        ),
        AuditAction::RecordPrint => format!("In bản sao giấy {}", history::describe(e)),
        AuditAction::RevocationRequest => format!("Đề nghị thu hồi {}", history::describe(e)),
        _ => history::describe(e),
    }
}

/// Old and new value as shown: none ever for a password entry; role codes as role names;
/// the rest as "Lịch sử thay đổi" shows them.
fn values(e: &AuditEntry) -> (String, String) {
    let show = |v: Option<&str>| match e.action {
        AuditAction::PasswordChange | AuditAction::PasswordIssue | AuditAction::AccountLock => {
            String::new()
        }
        AuditAction::AccountCreate | AuditAction::AccountRoles => v.map_or_else(
            || "(trống)".to_owned(),
            |v| {
                v.split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| {
                        store::Role::from_code(r)
                            .map_or_else(|| r.to_owned(), |r| role_label(r).to_owned())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        _ => history::value_label(e.action, v),
    };
    (show(e.old.as_deref()), show(e.new.as_deref()))
}

/// `s` percent-encoded for a query string value.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_belongs_to_exactly_one_kind() {
        for action in AuditAction::ALL {
            let n = KINDS
                .iter()
                .filter(|(_, _, actions)| actions.contains(action))
                .count();
            assert_eq!(n, 1, "{action}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_escape("gv.hoa"), "gv.hoa");
        assert_eq!(query_escape("a&b c"), "a%26b%20c");
    }
}
