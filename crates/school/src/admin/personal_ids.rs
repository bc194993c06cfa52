//! "Chưa có mã định danh" (STORIES #4): the students of the school's classes in the
//! latest school year who have no personal ID (số định danh cá nhân) yet — their records
//! cannot be signed — with a form per student to enter the 12 digits.
//!
//! The ID is parsed with [`domain::PersonalId`] and checked against the student's sex
//! and birth year; an ID another student holds is refused; the save is audited
//! (`student.personal_id.set`).

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{PersonalId, PersonalIdError, StudentCode};
use store::{ClassId, Student};

use super::{back, field, form_pairs};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history::stamp;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// `GET /admin/personal-ids`: the students without a personal ID, per class.
pub async fn list(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ListMissingPersonalIds).await?;
    list_page(&app, &user, StatusCode::OK, None).await
}

/// `POST /admin/personal-ids` (`class`, `student`, `personal_id`): records the student's
/// personal ID. A malformed ID, one that contradicts the student's sex or birth year, or
/// one already held by another student re-shows the list (422) with a Vietnamese reason
/// and saves nothing.
pub async fn save(
    State(app): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ListMissingPersonalIds).await?;
    let pairs = form_pairs(&body)?;
    let bad = || AppError::BadRequest("Biểu mẫu gửi lên không hợp lệ.".to_owned());
    let class = field(&pairs, "class")
        .and_then(|c| c.trim().parse::<i64>().ok())
        .map(ClassId)
        .ok_or_else(bad)?;
    require(app.store(), &user, Permission::EnterPersonalId { class }).await?;
    let code: StudentCode = field(&pairs, "student")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(bad)?;
    let store = app.store();
    let Some(member) = store
        .class_members(class)
        .await?
        .into_iter()
        .find(|m| m.student.code == code)
    else {
        return Err(AppError::BadRequest(
            "Học sinh này không có trong lớp đã chọn; không có gì được lưu.".to_owned(),
        ));
    };
    let student = member.student;
    let text = field(&pairs, "personal_id")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let problem = match check(&student, &text) {
        Err(p) => Some(p),
        Ok(id) => {
            let taken = store.student_by_personal_id(&id).await?.is_some();
            if taken {
                Some(taken_message(&student, &id))
            } else {
                match store
                    .set_personal_id_audited(&student.code, class, &id, &stamp(&user))
                    .await
                {
                    Ok(()) => None,
                    Err(store::Error::Conflict { .. }) if student.personal_id.is_some() => Some(
                        format!("Học sinh {} đã có số định danh cá nhân.", student.full_name),
                    ),
                    Err(store::Error::Conflict { .. }) => Some(taken_message(&student, &id)),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    };
    match problem {
        Some(p) => {
            list_page(
                &app,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&p, false)),
            )
            .await
        }
        None => {
            let done = format!(
                "Đã lưu số định danh cá nhân của học sinh {}.",
                student.full_name
            );
            list_page(&app, &user, StatusCode::OK, Some((&done, true))).await
        }
    }
}

async fn list_page(
    app: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<(&str, bool)>,
) -> Result<Page, AppError> {
    let store = app.store();
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        let class = if ok { "ok" } else { "error-message" };
        let _ = write!(body, r#"<p class="{class}">{}</p>"#, esc(text));
    }
    let Some(year) = store.list_school_years().await?.last().map(|y| y.year) else {
        body.push_str("<p>Chưa có năm học nào.</p>");
        body.push_str(back());
        return Ok(titled(app, user, status, &body));
    };
    let csrf = csrf_field(&user.session.csrf_token);
    let mut total = 0;
    let mut tables = String::new();
    for class in store.classes_of_school(user.teacher.school, year).await? {
        let missing: Vec<_> = store
            .class_members(class.id)
            .await?
            .into_iter()
            .filter(|m| m.student.personal_id.is_none())
            .collect();
        if missing.is_empty() {
            continue;
        }
        total += missing.len();
        let _ = write!(
            tables,
            r#"<h2>Lớp {name} ({n})</h2>
<table class="list"><thead><tr><th>STT</th><th>Họ và tên</th><th>Ngày sinh</th><th>Giới tính</th><th>Mã học sinh</th><th>Số định danh cá nhân</th></tr></thead><tbody>"#,
            name = esc(&class.name),
            n = missing.len(),
        );
        for m in &missing {
            let s = &m.student;
            let _ = write!(
                tables,
                r#"<tr><td>{roll}</td><td>{name}</td><td>{born}</td><td>{sex}</td><td>{code}</td><td><form method="post" action="/admin/personal-ids" class="inline">{csrf}<input type="hidden" name="class" value="{class}"><input type="hidden" name="student" value="{code}"><input name="personal_id" inputmode="numeric" pattern="[0-9]{{12}}" maxlength="12" size="14" aria-label="Số định danh cá nhân của {name}" required> <button type="submit">Lưu</button></form></td></tr>"#,
                roll = m.roll_no,
                name = esc(&s.full_name),
                born = esc(&s.born_on.to_vietnamese()),
                sex = s.sex.label(),
                code = esc(s.code.as_str()),
                class = class.id,
            );
        }
        tables.push_str("</tbody></table>");
    }
    if total == 0 {
        let _ = write!(
            body,
            "<p>Năm học {year}: mọi học sinh đều đã có số định danh cá nhân.</p>"
        );
    } else {
        let _ = write!(
            body,
            "<p>Năm học {year}: <strong>{total}</strong> học sinh chưa có số định danh cá nhân. Học bạ của các em chưa ký được cho đến khi nhập đủ 12 chữ số.</p>{tables}"
        );
    }
    body.push_str(back());
    Ok(titled(app, user, status, &body))
}

fn titled(app: &AppState, user: &CurrentUser, status: StatusCode, body: &str) -> Page {
    let mut p = page(user, app.config().demo, "Chưa có mã định danh", body);
    p.status = status;
    p
}

/// The personal ID typed for `student`, or why it is refused (Vietnamese).
fn check(student: &Student, text: &str) -> Result<PersonalId, String> {
    let id: PersonalId = text.parse().map_err(|e| problem(&e, text, student))?;
    id.check_consistency(student.sex, student.born_on)
        .map_err(|e| problem(&e, text, student))?;
    Ok(id)
}

fn problem(e: &PersonalIdError, text: &str, student: &Student) -> String {
    let who = &student.full_name;
    match e {
        PersonalIdError::Malformed(_) => format!(
            "Số định danh cá nhân «{text}» của học sinh {who} không hợp lệ: phải gồm đúng 12 chữ số. Chưa lưu."
        ),
        PersonalIdError::Century(_) => format!(
            "Số định danh cá nhân «{text}» của học sinh {who} không hợp lệ: chữ số thứ 4 (mã thế kỉ và giới tính) phải từ 0 đến 5. Chưa lưu."
        ),
        PersonalIdError::SexMismatch { encoded, declared } => format!(
            "Số định danh cá nhân {text} ứng với giới tính {encoded}, nhưng học sinh {who} được ghi giới tính {declared}. Chưa lưu."
        ),
        PersonalIdError::BirthYearMismatch { encoded, declared } => format!(
            "Số định danh cá nhân {text} ứng với năm sinh {encoded}, nhưng học sinh {who} sinh năm {declared}. Chưa lưu."
        ),
        other => format!(
            "Số định danh cá nhân «{text}» của học sinh {who} không hợp lệ ({other}). Chưa lưu."
        ),
    }
}

fn taken_message(student: &Student, id: &PersonalId) -> String {
    format!(
        "Số định danh cá nhân {} đã được ghi cho một học sinh khác; không lưu cho học sinh {}. Hãy kiểm tra lại giấy tờ.",
        id.as_str(),
        student.full_name
    )
}
