//! "Tổng quan nhà trường": the principal's, admin's and clerk's overview of the school's
//! classes in the latest school year.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::State;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, esc, page};
use crate::permission::{Permission, require};

/// `GET /school`: head counts and the class list with sizes and homeroom teachers; class
/// names link to their summary for the principal and admin.
pub async fn overview(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ViewSchoolOverview).await?;
    let store = app.store();
    let school = &user.school;
    let Some(year) = store.list_school_years().await?.last().map(|y| y.year) else {
        return Ok(page(
            &user,
            app.config().demo,
            "Tổng quan nhà trường",
            "<p>Chưa có năm học nào.</p>",
        ));
    };
    let counts = store.school_counts(school.id, year).await?;
    let names: HashMap<_, _> = store
        .teachers_of_school(school.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t.full_name))
        .collect();
    let links = user
        .teacher
        .roles
        .iter()
        .any(|r| matches!(r, store::Role::Principal | store::Role::Admin));
    let mut body = format!(
        r#"<p>{name} ({code}) — năm học {year}</p>
<ul class="counts"><li><strong>{classes}</strong> lớp</li><li><strong>{students}</strong> học sinh</li><li><strong>{no_id}</strong> học sinh chưa có mã định danh</li><li><strong>{teachers}</strong> tài khoản cán bộ, giáo viên</li></ul>
<table class="list"><thead><tr><th>Lớp</th><th>Khối</th><th>Giáo viên chủ nhiệm</th><th>Sĩ số</th></tr></thead><tbody>"#,
        name = esc(&school.name),
        code = esc(&school.code),
        classes = counts.classes,
        students = counts.students,
        no_id = counts.students_without_personal_id,
        teachers = counts.teachers,
    );
    for size in store.class_sizes(school.id, year).await? {
        let c = &size.class;
        let name = if links {
            format!(
                r#"<a href="/classes/{}/summary">{}</a>"#,
                c.id,
                esc(&c.name)
            )
        } else {
            esc(&c.name)
        };
        let homeroom = c
            .homeroom_teacher
            .and_then(|t| names.get(&t))
            .map_or(String::new(), |n| esc(n));
        let _ = write!(
            body,
            "<tr><td>{name}</td><td>{}</td><td>{homeroom}</td><td>{}</td></tr>",
            c.grade, size.students
        );
    }
    body.push_str("</tbody></table>");
    if user.teacher.roles.contains(&store::Role::Admin) {
        body.push_str(r#"<p><a href="/students/import">Nhập danh sách lớp từ Excel</a></p>"#);
    }
    Ok(page(
        &user,
        app.config().demo,
        "Tổng quan nhà trường",
        &body,
    ))
}
