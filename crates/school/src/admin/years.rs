//! "Năm học" (STORIES #1): the school years of the installation and creating the next
//! one (the year after the latest, or one starting in `year` when there is none), with
//! its first and last day. Audited (`school_year.create`).

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{Date, SchoolYear};
use store::SchoolYearInfo;

use super::{back, field, form_pairs};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history::stamp;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// `GET /admin/years`: the school years and the form for the next one.
pub async fn list(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageSchoolYears).await?;
    list_page(&app, &user, StatusCode::OK, None).await
}

/// `POST /admin/years` (`year`, `starts_on`, `ends_on`): creates the next school year.
/// Only the year after the latest one can be created; its first day must be in its first
/// calendar year and its last day in the second, after the first. Otherwise the list is
/// shown again (422) with the reason and nothing is created.
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageSchoolYears).await?;
    let pairs = form_pairs(&body)?;
    let next = next_year(&app).await?;
    let posted = field(&pairs, "year")
        .and_then(|y| y.trim().parse::<u16>().ok())
        .and_then(|y| SchoolYear::starting(y).ok());
    let starts: Option<Date> = field(&pairs, "starts_on").and_then(|d| d.parse().ok());
    let ends: Option<Date> = field(&pairs, "ends_on").and_then(|d| d.parse().ok());
    let result = match (posted, starts, ends) {
        (None, _, _) => Err("Năm học không hợp lệ (năm bắt đầu từ 2000 đến 2199).".to_owned()),
        (Some(y), _, _) if next.is_some_and(|n| n != y) => Err(format!(
            "Chỉ tạo được năm học tiếp theo ({}).",
            next.map(|n| n.to_string()).unwrap_or_default()
        )),
        (_, None, _) | (_, _, None) => {
            Err("Ngày bắt đầu và ngày kết thúc phải là ngày hợp lệ (ngày/tháng/năm).".to_owned())
        }
        (Some(y), Some(s), Some(e)) if s.year() != y.start() || e.year() != y.end() => {
            Err(format!(
                "Năm học {y} phải bắt đầu trong năm {} và kết thúc trong năm {}.",
                y.start(),
                y.end()
            ))
        }
        (Some(_), Some(s), Some(e)) if s >= e => {
            Err("Ngày kết thúc phải sau ngày bắt đầu.".to_owned())
        }
        (Some(year), Some(starts_on), Some(ends_on)) => Ok(SchoolYearInfo {
            year,
            starts_on,
            ends_on,
        }),
    };
    let info = match result {
        Ok(info) => info,
        Err(p) => {
            return list_page(
                &app,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&p, false)),
            )
            .await;
        }
    };
    match app
        .store()
        .create_school_year_audited(&info, &stamp(&user))
        .await
    {
        Ok(()) => {
            let done = format!("Đã tạo năm học {}.", info.year);
            list_page(&app, &user, StatusCode::OK, Some((&done, true))).await
        }
        Err(store::Error::Conflict { .. }) => {
            let p = format!("Năm học {} đã có.", info.year);
            list_page(
                &app,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&p, false)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The year after the latest, or `None` when there is none yet.
async fn next_year(app: &AppState) -> Result<Option<SchoolYear>, AppError> {
    match app.store().list_school_years().await?.last() {
        Some(last) => SchoolYear::starting(last.year.start() + 1)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("next school year: {e}"))),
        None => Ok(None),
    }
}

async fn list_page(
    app: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<(&str, bool)>,
) -> Result<Page, AppError> {
    let years = app.store().list_school_years().await?;
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        let class = if ok { "ok" } else { "error-message" };
        let _ = write!(body, r#"<p class="{class}">{}</p>"#, esc(text));
    }
    body.push_str(
        r#"<table class="list"><thead><tr><th>Năm học</th><th>Ngày bắt đầu</th><th>Ngày kết thúc</th></tr></thead><tbody>"#,
    );
    for y in &years {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            y.year,
            esc(&y.starts_on.to_vietnamese()),
            esc(&y.ends_on.to_vietnamese()),
        );
    }
    body.push_str("</tbody></table>");
    let next = match years.last() {
        Some(last) => last.year.start() + 1,
        None => 2025,
    };
    let _ = write!(
        body,
        r#"<h2>Tạo năm học {next}-{end}</h2>
<form method="post" action="/admin/years" class="stacked">{csrf}<input type="hidden" name="year" value="{next}">
<label>Ngày bắt đầu <input type="date" name="starts_on" value="{next}-09-05" required></label>
<label>Ngày kết thúc <input type="date" name="ends_on" value="{end}-05-31" required></label>
<button type="submit">Tạo năm học</button>
</form>
<p><small>Năm học dùng chung cho mọi trường trên máy chủ này.</small></p>{back}"#,
        end = next + 1,
        csrf = csrf_field(&user.session.csrf_token),
        back = back(),
    );
    let mut p = page(user, app.config().demo, "Năm học", &body);
    p.status = status;
    Ok(p)
}
