//! "Phân công giảng dạy" (STORIES #2): per class of the school, the homeroom teacher and
//! the teacher of each subject of the class's programme (the 2018 curriculum catalogue of
//! the class's level and grade, plus any subject already assigned outside it).
//!
//! Only accounts of the same school can be chosen, a homeroom teacher must hold the
//! "Giáo viên chủ nhiệm" role and a subject teacher the "Giáo viên bộ môn" role; the server
//! checks all of it again on POST and saves the whole class or nothing.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::catalogue;
use store::{Class, ClassId, ClassTeaching, Role, SubjectCode, Teacher, TeacherId};

use super::{back, field, form_pairs};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::grades::{level_of, subject_name};
use crate::history::stamp;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// `GET /admin/teaching`: the classes of the latest school year with their homeroom
/// teacher and how many subjects of their programme have a teacher.
pub async fn classes(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ManageTeaching).await?;
    let store = app.store();
    let Some(year) = store.list_school_years().await?.last().map(|y| y.year) else {
        return Ok(page(
            &user,
            app.config().demo,
            "Phân công giảng dạy",
            "<p>Chưa có năm học nào. Hãy tạo năm học ở mục «Năm học».</p>",
        ));
    };
    let names: HashMap<TeacherId, String> = store
        .teachers_of_school(user.teacher.school)
        .await?
        .into_iter()
        .map(|t| (t.id, t.full_name))
        .collect();
    let mut body = format!(
        r#"<p>Năm học {year}. Chọn một lớp để phân công giáo viên chủ nhiệm và giáo viên bộ môn.</p>
<table class="list"><thead><tr><th>Lớp</th><th>Khối</th><th>Giáo viên chủ nhiệm</th><th>Môn đã phân công</th></tr></thead><tbody>"#
    );
    let classes = store.classes_of_school(user.teacher.school, year).await?;
    for c in &classes {
        let assigned: BTreeSet<SubjectCode> = store
            .assignments_of_class(c.id)
            .await?
            .into_iter()
            .map(|a| a.subject)
            .collect();
        let subjects = class_subjects(&user, c, &assigned);
        let done = subjects.iter().filter(|s| assigned.contains(*s)).count();
        let homeroom = c
            .homeroom_teacher
            .and_then(|t| names.get(&t))
            .map_or_else(|| "<em>chưa có</em>".to_owned(), |n| esc(n));
        let _ = write!(
            body,
            r#"<tr><td><a href="/admin/teaching/{id}">{name}</a></td><td>{grade}</td><td>{homeroom}</td><td>{done}/{total}</td></tr>"#,
            id = c.id,
            name = esc(&c.name),
            grade = c.grade,
            total = subjects.len(),
        );
    }
    body.push_str("</tbody></table>");
    if classes.is_empty() {
        body.push_str("<p>Năm học này chưa có lớp nào.</p>");
    }
    body.push_str(back());
    Ok(page(&user, app.config().demo, "Phân công giảng dạy", &body))
}

/// `GET /admin/teaching/{class}`: the form of one class of the school.
pub async fn class_page(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<i64>,
) -> Result<Page, AppError> {
    let grant = require(
        app.store(),
        &user,
        Permission::AssignTeaching {
            class: ClassId(class),
        },
    )
    .await?;
    let class = granted(grant.class)?;
    let view = View::load(&app, &user, &class).await?;
    Ok(view.render(&app, &user, &class, Outcome::Show, None))
}

/// `POST /admin/teaching/{class}`: saves the homeroom teacher (`homeroom`) and the
/// teacher of each subject (`subject_CODE`, empty for nobody) of the class in one
/// transaction with its audit entries. Any invalid choice re-shows the form (422) with
/// every problem and saves nothing.
pub async fn save(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<i64>,
    body: Bytes,
) -> Result<Page, AppError> {
    let grant = require(
        app.store(),
        &user,
        Permission::AssignTeaching {
            class: ClassId(class),
        },
    )
    .await?;
    let class = granted(grant.class)?;
    let pairs = form_pairs(&body)?;
    let view = View::load(&app, &user, &class).await?;
    let mut problems = Vec::new();
    let homeroom = view.choice(
        field(&pairs, "homeroom").unwrap_or_default(),
        Role::Homeroom,
        "Giáo viên chủ nhiệm",
        &mut problems,
    );
    let mut subjects = Vec::new();
    for (key, value) in &pairs {
        let Some(code) = key.strip_prefix("subject_") else {
            continue;
        };
        let Some(subject) = view.subjects.iter().find(|s| s.as_str() == code) else {
            problems.push(format!(
                "Môn «{code}» không thuộc chương trình của lớp {}.",
                class.name
            ));
            continue;
        };
        if subjects.iter().any(|(s, _)| s == subject) {
            problems.push(format!("Môn {} được gửi hai lần.", subject_name(subject)));
            continue;
        }
        let what = format!("Môn {}", subject_name(subject));
        let teacher = view.choice(value, Role::SubjectTeacher, &what, &mut problems);
        subjects.push((subject.clone(), teacher));
    }
    if !problems.is_empty() {
        return Ok(view.render(
            &app,
            &user,
            &class,
            Outcome::Refused(&problems),
            Some(&pairs),
        ));
    }
    let teaching = ClassTeaching { homeroom, subjects };
    app.store()
        .save_class_teaching_audited(class.id, &teaching, &stamp(&user))
        .await?;
    let class = app.store().class(class.id).await?;
    let view = View::load(&app, &user, &class).await?;
    Ok(view.render(&app, &user, &class, Outcome::Saved, None))
}

/// What the form page says above the form.
enum Outcome<'a> {
    /// Nothing (a GET).
    Show,
    /// "Đã lưu" after a successful POST.
    Saved,
    /// Why a POST saved nothing (422).
    Refused(&'a [String]),
}

/// What the form of one class shows: the school's staff, the class's subjects and who
/// teaches them now.
struct View {
    staff: Vec<Teacher>,
    subjects: Vec<SubjectCode>,
    assigned: HashMap<SubjectCode, Vec<TeacherId>>,
}

impl View {
    async fn load(app: &AppState, user: &CurrentUser, class: &Class) -> Result<View, AppError> {
        let store = app.store();
        let staff = store.teachers_of_school(user.teacher.school).await?;
        let mut assigned: HashMap<SubjectCode, Vec<TeacherId>> = HashMap::new();
        for a in store.assignments_of_class(class.id).await? {
            assigned.entry(a.subject).or_default().push(a.teacher);
        }
        let codes: BTreeSet<SubjectCode> = assigned.keys().cloned().collect();
        let subjects = class_subjects(user, class, &codes);
        Ok(View {
            staff,
            subjects,
            assigned,
        })
    }

    /// The teacher chosen in a select (`""` for nobody): an account of the school with
    /// `role`; otherwise a problem is pushed and `None` returned.
    fn choice(
        &self,
        value: &str,
        role: Role,
        what: &str,
        problems: &mut Vec<String>,
    ) -> Option<TeacherId> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let found = value
            .parse::<i64>()
            .ok()
            .and_then(|id| self.staff.iter().find(|t| t.id.0 == id));
        match found {
            None => {
                problems.push(format!(
                    "{what}: giáo viên được chọn không thuộc trường của bạn."
                ));
                None
            }
            Some(t) if !t.roles.contains(&role) => {
                problems.push(format!(
                    "{what}: {} chưa có vai trò «{}» (giao vai trò ở mục Tài khoản giáo viên).",
                    t.full_name,
                    crate::html::role_label(role)
                ));
                None
            }
            Some(t) => Some(t.id),
        }
    }

    /// The form; `posted` (after a refused POST) keeps the choices just made.
    fn render(
        &self,
        app: &AppState,
        user: &CurrentUser,
        class: &Class,
        outcome: Outcome<'_>,
        posted: Option<&[(String, String)]>,
    ) -> Page {
        let mut body = String::new();
        let status = match outcome {
            Outcome::Show => StatusCode::OK,
            Outcome::Saved => {
                body.push_str(r#"<p class="ok">Đã lưu phân công giảng dạy.</p>"#);
                StatusCode::OK
            }
            Outcome::Refused(problems) => {
                body.push_str(r#"<div class="error-message"><p>Chưa lưu gì, vì:</p><ul>"#);
                for p in problems {
                    let _ = write!(body, "<li>{}</li>", esc(p));
                }
                body.push_str("</ul></div>");
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        let posted_value =
            |name: &str| posted.map(|p| field(p, name).unwrap_or_default().to_owned());
        let homeroom = posted_value("homeroom").unwrap_or_else(|| {
            class
                .homeroom_teacher
                .map(|t| t.0.to_string())
                .unwrap_or_default()
        });
        let _ = write!(
            body,
            r#"<form method="post" action="/admin/teaching/{id}" class="stacked">{csrf}
<label>Giáo viên chủ nhiệm <select name="homeroom">{options}</select></label>
<table class="list"><thead><tr><th>Môn học</th><th>Giáo viên bộ môn</th></tr></thead><tbody>"#,
            id = class.id,
            csrf = csrf_field(&user.session.csrf_token),
            options = self.options(Role::Homeroom, &homeroom),
        );
        for s in &self.subjects {
            let now = self.assigned.get(s).cloned().unwrap_or_default();
            let chosen = posted_value(&format!("subject_{}", s.as_str()))
                .unwrap_or_else(|| now.first().map(|t| t.0.to_string()).unwrap_or_default());
            let several = if now.len() > 1 {
                let names: Vec<&str> = now
                    .iter()
                    .filter_map(|id| self.staff.iter().find(|t| t.id == *id))
                    .map(|t| t.full_name.as_str())
                    .collect();
                format!(
                    " <small>Hiện có {} giáo viên: {}; lưu sẽ chỉ giữ người được chọn.</small>",
                    now.len(),
                    esc(&names.join(", "))
                )
            } else {
                String::new()
            };
            let _ = write!(
                body,
                r#"<tr><td>{name}</td><td><select name="subject_{code}" aria-label="{name}">{options}</select>{several}</td></tr>"#,
                name = esc(&subject_name(s)),
                code = esc(s.as_str()),
                options = self.options(Role::SubjectTeacher, &chosen),
            );
        }
        body.push_str(
            r#"</tbody></table>
<button type="submit">Lưu phân công</button>
</form>
<p><a href="/admin/teaching">← Phân công giảng dạy</a></p>"#,
        );
        let title = format!("Phân công giảng dạy — lớp {}", class.name);
        let mut p = page(user, app.config().demo, &title, &body);
        p.status = status;
        p
    }

    /// `<option>`s: nobody, then the school's accounts holding `role`, plus the chosen
    /// account if it lacks the role (so the page shows the truth).
    fn options(&self, role: Role, chosen: &str) -> String {
        let mut out = String::from(r#"<option value="">— Chưa phân công —</option>"#);
        for t in &self.staff {
            let id = t.id.0.to_string();
            let selected = id == chosen;
            if !t.roles.contains(&role) && !selected {
                continue;
            }
            let _ = write!(
                out,
                r#"<option value="{id}"{sel}>{name} ({username})</option>"#,
                sel = if selected { " selected" } else { "" },
                name = esc(&t.full_name),
                username = esc(&t.username),
            );
        }
        out
    }
}

/// The class's subjects: its level and grade's programme in record-book order, then
/// subjects already assigned outside it, by code.
fn class_subjects(
    user: &CurrentUser,
    class: &Class,
    assigned: &BTreeSet<SubjectCode>,
) -> Vec<SubjectCode> {
    let level = level_of(&user.school, class.grade);
    let mut list: Vec<SubjectCode> = catalogue::programme(level, class.grade)
        .unwrap_or_default()
        .iter()
        .filter_map(|o| o.subject.code().parse().ok())
        .collect();
    for code in assigned {
        if !list.contains(code) {
            list.push(code.clone());
        }
    }
    list
}

/// The class a granted [`Permission::AssignTeaching`] found.
fn granted(class: Option<Class>) -> Result<Class, AppError> {
    class.ok_or_else(|| AppError::Internal("AssignTeaching granted without its class".to_owned()))
}
