//! "Tổng hợp kết quả": the homeroom teacher's class summary, computed live by the rule
//! engine (TT22, or TT43 at a GDTX school; TT27 for primary classes, see `crate::primary`), with the
//! conduct ("Kết quả rèn luyện") and absences ("Số ngày nghỉ") inputs.
//!
//! Saving follows the score grid's rule: a student's row (conduct of both semesters and
//! absences) is saved only if all its cells are valid; other rows are saved regardless,
//! in one transaction with an audit entry per value that changes. Each row links to the
//! student's "Lịch sử thay đổi".
//! Choosing "—" in a conduct select clears the stored conduct (audited: old → empty).
//! The store refuses, in the save's own transaction, any change to a student whose record
//! is locked; the check before saving only gives the friendlier message first.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, State};
use domain::catalogue::{self, Subject};
use domain::tt22::{self, Mark, Rating, YearOutcome};
use domain::{Level, tt43};
use store::convert::{Missing, rating_from_store};
use store::{
    Absences, Class, ClassId, ClassMember, ConductRating, EnrolmentKey, HomeroomRow, Semester,
    SubjectCode, ValueEdit, YearInputs,
};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::grades::{level_of, subject_name};
use crate::html::{Page, csrf_field, esc, page, tenths};
use crate::permission::{Permission, allows, require};

/// Shown on an absence cell that is not a whole number of days in 0–366.
const BAD_DAYS: &str = "Số ngày nghỉ phải là số nguyên từ 0 đến 366";
/// Shown on a conduct select with an unknown value.
const BAD_CONDUCT: &str = "Kết quả rèn luyện phải là Tốt, Khá, Đạt hoặc Chưa đạt";

/// `GET /classes`: the user's homeroom classes. Only homeroom teachers.
pub async fn classes(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ListOwnHomeroomClasses).await?;
    let mut rows = String::new();
    for c in app.store().homeroom_classes(user.teacher.id).await? {
        if c.school != user.teacher.school {
            continue;
        }
        let _ = write!(
            rows,
            r#"<tr><td><a href="/classes/{}/summary">Lớp {}</a></td><td>{}</td><td>{}</td></tr>"#,
            c.id,
            esc(&c.name),
            c.grade,
            c.year
        );
    }
    let body = if rows.is_empty() {
        "<p>Bạn chưa được phân công chủ nhiệm lớp nào.</p>".to_owned()
    } else {
        format!(
            r#"<table class="list"><thead><tr><th>Lớp</th><th>Khối</th><th>Năm học</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    Ok(page(&user, app.config().demo, "Tổng hợp kết quả", &body))
}

/// `GET /classes/{class}/summary`: the summary; editable for the class's homeroom
/// teacher, read-only for the principal and admin of the school.
pub async fn summary(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::ViewClassSummary { class }).await?;
    let class = grant_class(&app, grant.class, class).await?;
    render(&app, &user, &class, &HashMap::new(), None).await
}

/// `POST /classes/{class}/summary`: saves conduct and absences of the valid rows; only
/// the class's homeroom teacher.
pub async fn save_summary(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::EditClassSummary { class }).await?;
    let class = grant_class(&app, grant.class, class).await?;
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    let store = app.store();
    let members = store.class_members(class.id).await?;
    // A locked student's row in the form: refuse the whole form, nothing saved.
    let locked = crate::workflow::locked_set(&app, class.id).await?;
    if let Some(code) = crate::workflow::locked_in_form(fields.keys(), &locked) {
        let name = members
            .iter()
            .find(|m| m.student.code.as_str() == code)
            .map_or(code.clone(), |m| m.student.full_name.clone());
        return Err(AppError::Conflict(crate::workflow::locked_message(&name)));
    }
    let mut invalid = HashMap::new();
    let mut saved = 0usize;
    let mut rows = Vec::new();
    let mut names = Vec::new();
    for m in members {
        let code = m.student.code.as_str().to_owned();
        let Some(input) = RowInput::parse(&code, &fields) else {
            continue;
        };
        if !input.is_valid() {
            invalid.insert(code, input);
            continue;
        }
        let absences = match (input.excused.0, input.unexcused.0) {
            (Some(excused_days), Some(unexcused_days)) => Some(Absences {
                excused_days,
                unexcused_days,
            }),
            _ => None,
        };
        let edit = |p: &str, typed: &Typed<ConductRating>| match (
            fields.get(&format!("{p}_{code}")),
            typed.0,
        ) {
            (None, _) => ValueEdit::Keep,
            (Some(_), Some(rating)) => ValueEdit::Set(rating),
            (Some(_), None) => ValueEdit::Clear,
        };
        rows.push(HomeroomRow {
            student: m.student.code.clone(),
            conduct: [edit("rl1", &input.conduct1), edit("rl2", &input.conduct2)],
            absences,
        });
        names.push(m);
        saved += 1;
    }
    // One transaction for the valid rows, with an audit entry per value that changes.
    store
        .save_homeroom_rows_audited(class.id, &rows, &crate::history::stamp(&user))
        .await
        .map_err(|e| locked_error(e, &names))?;
    tracing::info!(
        teacher = %user.teacher.username,
        class = %class.id,
        saved,
        refused = invalid.len(),
        "class summary saved"
    );
    let notice = if invalid.is_empty() {
        format!(r#"<p class="ok">Đã lưu {saved} học sinh.</p>"#)
    } else {
        format!(
            r#"<p class="error-message">Đã lưu {saved} học sinh. <strong>{} học sinh chưa được lưu</strong> vì có ô không hợp lệ (tô đỏ); các dòng này giữ nguyên như trước.</p>"#,
            invalid.len()
        )
    };
    render(&app, &user, &class, &invalid, Some(&notice)).await
}

/// The store's refusal of a change to a locked record ([`store::Error::Locked`]) as the
/// page's 409 naming the student (from `members`); any other error unchanged.
pub(crate) fn locked_error(e: store::Error, members: &[ClassMember]) -> AppError {
    match e {
        store::Error::Locked { student } => {
            let name = members
                .iter()
                .find(|m| m.student.code == student)
                .map_or_else(|| student.to_string(), |m| m.student.full_name.clone());
            AppError::Conflict(crate::workflow::locked_message(&name))
        }
        other => AppError::from(other),
    }
}

fn parse_class(text: &str) -> Result<ClassId, AppError> {
    Ok(ClassId(text.parse().map_err(|_| AppError::NotFound)?))
}

async fn grant_class(
    app: &AppState,
    granted: Option<Class>,
    id: ClassId,
) -> Result<Class, AppError> {
    match granted {
        Some(c) => Ok(c),
        None => Ok(app.store().class(id).await?),
    }
}

/// A cell as typed and what it parsed to.
#[derive(Clone, Debug, Default)]
struct Typed<T>(Option<T>, String, Option<&'static str>);

/// The editable cells of one row as typed.
#[derive(Clone, Debug)]
struct RowInput {
    conduct1: Typed<ConductRating>,
    conduct2: Typed<ConductRating>,
    excused: Typed<u16>,
    unexcused: Typed<u16>,
}

impl RowInput {
    /// The row of student `code`, or `None` when the form has no field for it.
    fn parse(code: &str, fields: &HashMap<String, String>) -> Option<RowInput> {
        let get = |p: &str| {
            fields
                .get(&format!("{p}_{code}"))
                .map(|v| v.trim().to_owned())
        };
        let any = ["rl1", "rl2", "np", "kp"].iter().any(|p| get(p).is_some());
        if !any {
            return None;
        }
        let conduct = |p: &str| {
            let text = get(p).unwrap_or_default();
            if text.is_empty() {
                return Typed(None, text, None);
            }
            match ConductRating::from_code(&text) {
                Some(r) => Typed(Some(r), text, None),
                None => Typed(None, text, Some(BAD_CONDUCT)),
            }
        };
        let days = |text: &str| -> Typed<u16> {
            match text.parse::<u16>() {
                Ok(n) if n <= 366 => Typed(Some(n), text.to_owned(), None),
                _ => Typed(None, text.to_owned(), Some(BAD_DAYS)),
            }
        };
        let (np, kp) = (get("np").unwrap_or_default(), get("kp").unwrap_or_default());
        // Both empty: absences are not entered. One empty: it counts as 0 days.
        let (excused, unexcused) = match (np.is_empty(), kp.is_empty()) {
            (true, true) => (Typed(None, np, None), Typed(None, kp, None)),
            (a, b) => (
                days(if a { "0" } else { &np }),
                days(if b { "0" } else { &kp }),
            ),
        };
        Some(RowInput {
            conduct1: conduct("rl1"),
            conduct2: conduct("rl2"),
            excused,
            unexcused,
        })
    }

    fn is_valid(&self) -> bool {
        self.conduct1.2.is_none()
            && self.conduct2.2.is_none()
            && self.excused.2.is_none()
            && self.unexcused.2.is_none()
    }
}

/// One subject's marks for HK1 / HK2 / year, as far as they can be computed.
#[derive(Default, Clone, Copy)]
pub(crate) struct SubjectMarks {
    pub(crate) hk1: Option<Mark>,
    pub(crate) hk2: Option<Mark>,
    pub(crate) year: Option<Mark>,
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
    overrides: &HashMap<String, RowInput>,
    notice: Option<&str>,
) -> Result<Page, AppError> {
    let store = app.store();
    let editable = allows(
        store,
        user,
        Permission::EditClassSummary { class: class.id },
    )
    .await?;
    let (level, subjects, inputs) = class_inputs(app, user, class).await?;
    let title = format!(
        "Tổng hợp kết quả — Lớp {} — Năm học {}",
        class.name, class.year
    );
    let mut body = String::new();
    if level != Level::Primary {
        let summer = allows(
            store,
            user,
            Permission::EnterSummerResults { class: class.id },
        )
        .await?;
        let _ = write!(
            body,
            r#"<p class="tabs"><a href="/classes/{id}/summary/export">Xuất Excel</a>{}</p>"#,
            if summer {
                format!(
                    r#" · <a href="/classes/{}/summer">Kết quả kiểm tra lại / rèn luyện hè</a>"#,
                    class.id
                )
            } else {
                String::new()
            },
            id = class.id
        );
    }
    if let Some(n) = notice {
        body.push_str(n);
    }
    let locked = crate::workflow::locked_set(app, class.id).await?;
    if level == Level::Primary {
        crate::primary::render_summary(&mut body, class.id, &subjects, &inputs);
    } else {
        render_secondary(
            &mut body, user, class, level, editable, &subjects, &inputs, overrides, &locked,
        );
    }
    Ok(page(user, app.config().demo, &title, &body))
}

/// The class's subjects: those assigned to a teacher and those with stored results, in
/// the catalogue's record-book order, others after by code.
fn class_subjects(
    level: Level,
    class: &Class,
    assigned: &[SubjectCode],
    inputs: &[YearInputs],
) -> Vec<SubjectCode> {
    let mut codes: BTreeSet<SubjectCode> = assigned.iter().cloned().collect();
    for i in inputs {
        codes.extend(i.scores.iter().map(|s| s.subject.clone()));
        codes.extend(i.comment_results.iter().map(|s| s.subject.clone()));
        codes.extend(i.tt27_subjects.iter().map(|s| s.subject.clone()));
    }
    let order: Vec<&'static str> = catalogue::programme(level, class.grade)
        .unwrap_or_default()
        .iter()
        .map(|o| o.subject.code())
        .collect();
    let mut list: Vec<SubjectCode> = codes.into_iter().collect();
    list.sort_by_cached_key(|c| {
        let code: &str = match Subject::from_code(c.as_str()) {
            Some(s) => s.code(),
            None => c.as_str(),
        };
        let position = order.iter().position(|o| *o == code).unwrap_or(usize::MAX);
        (position, c.clone())
    });
    list
}

#[allow(clippy::too_many_arguments)]
fn render_secondary(
    body: &mut String,
    user: &CurrentUser,
    class: &Class,
    level: Level,
    editable: bool,
    subjects: &[SubjectCode],
    inputs: &[YearInputs],
    overrides: &HashMap<String, RowInput>,
    locked: &std::collections::HashSet<String>,
) {
    let class_editable = editable;
    let rule = if level == Level::Continuing {
        "Thông tư 43"
    } else {
        "Thông tư 22"
    };
    let _ = write!(
        body,
        r#"<p class="help">Kết quả được tính trực tiếp theo {rule} từ điểm đã nhập. ĐTBmhk: điểm trung bình môn học kì; CN: cả năm. {edit}</p>"#,
        edit = if editable {
            "Nhập kết quả rèn luyện từng học kì và số ngày nghỉ rồi bấm \"Lưu\"; một học sinh chỉ được lưu khi mọi ô trên dòng đều hợp lệ."
        } else {
            "Chỉ xem: chỉ giáo viên chủ nhiệm của lớp được nhập."
        }
    );
    if editable {
        let _ = write!(
            body,
            r#"<form method="post" action="/classes/{}/summary">{}"#,
            class.id,
            csrf_field(&user.session.csrf_token)
        );
    }
    let tally_at = body.len();
    let mut tally = Tally::default();
    body.push_str(r#"<div class="scroll"><table class="grid summary"><thead><tr><th rowspan="2">STT</th><th rowspan="2">Họ và tên</th>"#);
    for s in subjects {
        let _ = write!(body, r#"<th colspan="3">{}</th>"#, esc(&subject_name(s)));
    }
    body.push_str(
        r#"<th colspan="3">Kết quả học tập</th><th colspan="3">Kết quả rèn luyện</th><th colspan="2">Số ngày nghỉ</th><th rowspan="2">Kết quả cuối năm</th><th rowspan="2">Danh hiệu</th><th rowspan="2">Còn thiếu / ghi chú</th></tr><tr>"#,
    );
    for _ in subjects {
        body.push_str("<th>HK I</th><th>HK II</th><th>CN</th>");
    }
    body.push_str("<th>HK I</th><th>HK II</th><th>CN</th><th>HK I</th><th>HK II</th><th>CN</th><th>Có phép</th><th>Không phép</th></tr></thead><tbody>\n");

    for i in inputs {
        let code = i.student.code.as_str();
        // A locked record's inputs are shown read-only.
        let editable = class_editable && !locked.contains(code);
        let marks: Vec<SubjectMarks> = subjects.iter().map(|s| subject_marks(i, s)).collect();
        let mut notes: Vec<String> = Vec::new();
        if locked.contains(code) {
            notes.push("Học bạ đã khóa (đang ký hoặc đã ký): không sửa được.".to_owned());
        }
        let (outcome, problems) = evaluate(i, level, subjects, &marks);
        notes.extend(problems);
        let override_row = overrides.get(code);
        let row_class = if override_row.is_some() {
            r#" class="invalid-row""#
        } else {
            ""
        };
        let _ = write!(
            body,
            r#"<tr{row_class} data-student="{}"><td>{}</td><td class="name">{} <a class="history" href="{}" title="Lịch sử thay đổi">Lịch sử</a></td>"#,
            esc(code),
            i.roll_no,
            esc(&i.student.full_name),
            esc(&crate::history::href(&i.student.code))
        );
        for m in &marks {
            for mark in [m.hk1, m.hk2, m.year] {
                let _ = write!(body, "<td>{}</td>", show_mark(mark));
            }
        }
        for l in learning(outcome.as_ref(), &marks) {
            let _ = write!(body, "<td>{}</td>", l.map_or("", Rating::label));
        }
        let stored = |sem: Semester| {
            i.conduct
                .iter()
                .find(|c| c.semester == sem)
                .map(|c| c.rating)
        };
        let mut errors = Vec::new();
        for (n, sem) in [(1, Semester::First), (2, Semester::Second)] {
            let typed = override_row.map(|r| if n == 1 { &r.conduct1 } else { &r.conduct2 });
            if let Some(e) = typed.and_then(|t| t.2) {
                errors.push(format!(
                    "Rèn luyện HK {}: {e}",
                    if n == 1 { "I" } else { "II" }
                ));
            }
            if editable {
                let value = typed.map_or_else(
                    || stored(sem).map_or(String::new(), |r| r.code().to_owned()),
                    |t| t.1.clone(),
                );
                conduct_select(
                    body,
                    &format!("rl{n}_{code}"),
                    &value,
                    typed.and_then(|t| t.2).is_some(),
                    &i.student.full_name,
                    n,
                );
            } else {
                let _ = write!(
                    body,
                    "<td>{}</td>",
                    stored(sem).map_or("", |r| rating_from_store(r).label())
                );
            }
        }
        let _ = write!(
            body,
            "<td>{}</td>",
            year_conduct(outcome.as_ref(), i).map_or("", Rating::label)
        );
        for (n, field) in [(0, "np"), (1, "kp")] {
            let typed = override_row.map(|r| if n == 0 { &r.excused } else { &r.unexcused });
            let stored_days = i.absences.map(|a| {
                if n == 0 {
                    a.excused_days
                } else {
                    a.unexcused_days
                }
            });
            let label = if n == 0 {
                "Nghỉ có phép"
            } else {
                "Nghỉ không phép"
            };
            if let Some(e) = typed.and_then(|t| t.2) {
                errors.push(format!("{label}: {e}"));
            }
            if editable {
                let value = typed.map_or_else(
                    || stored_days.map_or(String::new(), |d| d.to_string()),
                    |t| t.1.clone(),
                );
                let invalid = if typed.and_then(|t| t.2).is_some() {
                    r#" class="days invalid" aria-invalid="true""#
                } else {
                    r#" class="days""#
                };
                let _ = write!(
                    body,
                    r#"<td><input name="{field}_{code}" value="{}" inputmode="numeric" size="3" autocomplete="off" aria-label="{label} của {}"{invalid}></td>"#,
                    esc(&value),
                    esc(&i.student.full_name)
                );
            } else {
                let _ = write!(
                    body,
                    "<td>{}</td>",
                    stored_days.map_or(String::new(), |d| d.to_string())
                );
            }
        }
        tally.count(outcome.as_ref());
        let (result, title) = match &outcome {
            Some(o) => (year_result(o, i), o.title.map_or("", |t| t.label(o.rule))),
            None => (String::new(), ""),
        };
        let _ = write!(body, "<td>{}</td><td>{}</td>", esc(&result), esc(title));
        if !errors.is_empty() {
            errors.insert(0, "Chưa lưu dòng này.".to_owned());
        }
        errors.extend(notes);
        let _ = writeln!(
            body,
            r#"<td class="notes">{}</td></tr>"#,
            esc(&errors.join(" · "))
        );
    }
    body.push_str("</tbody></table></div>");
    body.insert_str(tally_at, &tally.html());
    if editable {
        body.push_str(r#"<p><button type="submit">Lưu</button></p></form>"#);
    }
}

/// The rules a class is assessed by, its subjects (in record-book order) and every
/// student's inputs in roll order: what the page and its Excel export compute from.
pub(crate) async fn class_inputs(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
) -> Result<(Level, Vec<SubjectCode>, Vec<YearInputs>), AppError> {
    let store = app.store();
    let level = level_of(&user.school, class.grade);
    let members = store.class_members(class.id).await?;
    let mut inputs = Vec::with_capacity(members.len());
    for m in &members {
        let key = EnrolmentKey {
            student: m.student.code.clone(),
            class: class.id,
        };
        inputs.push(store.year_inputs(&key).await?);
    }
    let assigned: Vec<SubjectCode> = store
        .assignments_of_class(class.id)
        .await?
        .into_iter()
        .map(|a| a.subject)
        .collect();
    let subjects = class_subjects(level, class, &assigned, &inputs);
    Ok((level, subjects, inputs))
}

/// The engine's outcome of a secondary student's year (TT22, or TT43 at a GDTX
/// school), or `None` with what is missing or wrong, in Vietnamese.
pub(crate) fn evaluate(
    i: &YearInputs,
    level: Level,
    subjects: &[SubjectCode],
    marks: &[SubjectMarks],
) -> (Option<YearOutcome>, Vec<String>) {
    let mut notes = Vec::new();
    let outcome = match i.secondary_year() {
        Ok(year) => {
            let evaluated = if level == Level::Continuing {
                tt43::evaluate(&year)
            } else {
                tt22::evaluate(&year)
            };
            match evaluated {
                Ok(o) => Some(o),
                Err(problems) => {
                    notes.extend(problems.iter().map(problem_vi));
                    None
                }
            }
        }
        Err(missing) => {
            notes.extend(missing.iter().map(missing_vi));
            None
        }
    };
    for (s, m) in subjects.iter().zip(marks) {
        if m.hk1.is_none() && m.hk2.is_none() && !has_any(i, s) {
            notes.push(format!("{}: chưa có điểm", subject_name(s)));
        }
    }
    (outcome, notes)
}

/// Learning result of HK I, HK II and the year: from the engine when the year is
/// complete, otherwise computed for a semester as soon as every subject has that
/// semester's mark.
pub(crate) fn learning(
    outcome: Option<&YearOutcome>,
    marks: &[SubjectMarks],
) -> [Option<Rating>; 3] {
    let semester_learning = |pick: fn(&SubjectMarks) -> Option<Mark>| -> Option<Rating> {
        let all: Option<Vec<Mark>> = marks.iter().map(pick).collect();
        all.filter(|v| !v.is_empty())
            .map(|v| tt22::learning_result(&v))
    };
    match outcome {
        Some(o) => [
            Some(o.learning.hk1),
            Some(o.learning.hk2),
            Some(o.learning.year),
        ],
        None => [
            semester_learning(|m| m.hk1),
            semester_learning(|m| m.hk2),
            None,
        ],
    }
}

/// The year's conduct: the engine's, or computed from both semesters once entered.
pub(crate) fn year_conduct(outcome: Option<&YearOutcome>, i: &YearInputs) -> Option<Rating> {
    let stored = |sem: Semester| {
        i.conduct
            .iter()
            .find(|c| c.semester == sem)
            .map(|c| c.rating)
    };
    match outcome {
        Some(o) => Some(o.conduct.year),
        None => match (stored(Semester::First), stored(Semester::Second)) {
            (Some(a), Some(b)) => Some(tt22::year_conduct(
                rating_from_store(a),
                rating_from_store(b),
            )),
            _ => None,
        },
    }
}

/// Head counts of the class for the line above the table.
#[derive(Default)]
struct Tally {
    students: usize,
    incomplete: usize,
    promoted: usize,
    reassessment: usize,
    summer_training: usize,
    retained: usize,
    titles: usize,
}

impl Tally {
    fn count(&mut self, outcome: Option<&YearOutcome>) {
        self.students += 1;
        let Some(o) = outcome else {
            self.incomplete += 1;
            return;
        };
        if !o.reassessment.is_empty() {
            self.reassessment += 1;
        }
        if o.summer_training {
            self.summer_training += 1;
        }
        if o.promoted() {
            self.promoted += 1;
        } else {
            self.retained += 1;
        }
        if o.title.is_some() {
            self.titles += 1;
        }
    }

    fn html(&self) -> String {
        format!(
            r#"<ul class="counts"><li><strong>{}</strong> học sinh</li><li><strong>{}</strong> còn thiếu dữ liệu</li><li><strong>{}</strong> lên lớp</li><li><strong>{}</strong> kiểm tra lại</li><li><strong>{}</strong> rèn luyện trong hè</li><li><strong>{}</strong> chưa được lên lớp</li><li><strong>{}</strong> có danh hiệu</li></ul>"#,
            self.students,
            self.incomplete,
            self.promoted,
            self.reassessment,
            self.summer_training,
            self.retained,
            self.titles
        )
    }
}

fn conduct_select(body: &mut String, name: &str, value: &str, invalid: bool, student: &str, n: u8) {
    let mut options = String::from(r#"<option value="">—</option>"#);
    for r in ConductRating::ALL {
        let selected = if r.code() == value { " selected" } else { "" };
        let _ = write!(
            options,
            r#"<option value="{}"{selected}>{}</option>"#,
            r.code(),
            rating_from_store(*r).label()
        );
    }
    let class = if invalid {
        r#" class="invalid" aria-invalid="true""#
    } else {
        ""
    };
    let _ = write!(
        body,
        r#"<td><select name="{name}" aria-label="Kết quả rèn luyện học kì {} của {}"{class}>{options}</select></td>"#,
        if n == 1 { "I" } else { "II" },
        esc(student)
    );
}

/// "Lên lớp", "Kiểm tra lại: …", "Rèn luyện trong hè", "Ở lại lớp (…)", after summer
/// results if any (TT22 art. 12–14).
pub(crate) fn year_result(o: &YearOutcome, i: &YearInputs) -> String {
    let mut parts = Vec::new();
    if o.summer_training {
        parts.push("Rèn luyện trong hè".to_owned());
    }
    if !o.reassessment.is_empty() {
        let names: Vec<String> = o
            .reassessment
            .iter()
            .map(|c| {
                c.parse::<SubjectCode>()
                    .map_or_else(|_| c.clone(), |s| subject_name(&s))
            })
            .collect();
        parts.push(format!("Kiểm tra lại: {}", names.join(", ")));
    }
    let summer_done = !i.summer_retakes.is_empty() || i.retrained_conduct.is_some();
    let pending = (o.summer_training || !o.reassessment.is_empty()) && !summer_done;
    if pending {
        // Summer results not entered yet: no final decision.
    } else if o.promoted() {
        parts.push("Lên lớp".to_owned());
    } else {
        let reasons: Vec<&str> = o
            .blockers
            .iter()
            .map(|b| match b {
                tt22::Blocker::Conduct => "rèn luyện chưa đạt",
                tt22::Blocker::Learning => "học tập chưa đạt",
                tt22::Blocker::Absence => "nghỉ quá 45 ngày",
            })
            .collect();
        parts.push(format!("Ở lại lớp ({})", reasons.join(", ")));
    }
    parts.join(" → ")
}

/// A subject's marks computed from what is stored, semester by semester.
pub(crate) fn subject_marks(i: &YearInputs, subject: &SubjectCode) -> SubjectMarks {
    let scored: Vec<_> = i.scores.iter().filter(|s| &s.subject == subject).collect();
    if !scored.is_empty() {
        let avg = |sem: Semester| {
            let s = scored.iter().find(|s| s.semester == sem)?;
            match (s.midterm, s.final_exam) {
                (Some(midterm), Some(final_term)) if !s.regular.is_empty() => {
                    Some(tt22::semester_average(&tt22::SemesterScores {
                        regular: s.regular.clone(),
                        midterm,
                        final_term,
                    }))
                }
                _ => None,
            }
        };
        let (a, b) = (avg(Semester::First), avg(Semester::Second));
        return SubjectMarks {
            hk1: a.map(Mark::Average),
            hk2: b.map(Mark::Average),
            year: a
                .zip(b)
                .map(|(a, b)| Mark::Average(tt22::year_average(a, b))),
        };
    }
    let result = |sem: Semester| {
        i.comment_results
            .iter()
            .find(|c| &c.subject == subject && c.semester == sem)
            .map(|c| {
                Mark::Comment(if c.passed {
                    tt22::Comment::Dat
                } else {
                    tt22::Comment::ChuaDat
                })
            })
    };
    let (a, b) = (result(Semester::First), result(Semester::Second));
    SubjectMarks {
        hk1: a,
        hk2: b,
        // TT22 art. 9 §1: the year result of a comment subject is the semester II result.
        year: a.and(b),
    }
}

fn has_any(i: &YearInputs, s: &SubjectCode) -> bool {
    i.scores.iter().any(|x| &x.subject == s) || i.comment_results.iter().any(|x| &x.subject == s)
}

fn show_mark(m: Option<Mark>) -> String {
    match m {
        Some(Mark::Average(t)) => tenths(t),
        Some(Mark::Comment(c)) => c.label().to_owned(),
        None => String::new(),
    }
}

fn code_name(code: &str) -> String {
    code.parse::<SubjectCode>()
        .map_or_else(|_| code.to_owned(), |s| subject_name(&s))
}

fn roman(n: i16) -> &'static str {
    if n == 1 { "I" } else { "II" }
}

/// What is missing, in Vietnamese.
pub(crate) fn missing_vi(m: &Missing) -> String {
    match m {
        Missing::Score {
            subject,
            semester,
            what,
        } => {
            let what = match *what {
                "scores" => "điểm",
                "regular scores" => "điểm đánh giá thường xuyên",
                "mid-term score" => "điểm giữa kì",
                "final score" => "điểm cuối kì",
                other => other,
            };
            format!(
                "{}: học kì {} chưa có {what}",
                code_name(subject),
                roman(*semester)
            )
        }
        Missing::CommentResult { subject, semester } => format!(
            "{}: học kì {} chưa có kết quả Đạt/Chưa đạt",
            code_name(subject),
            roman(*semester)
        ),
        Missing::Conduct(n) => format!("Chưa có kết quả rèn luyện học kì {}", roman(*n)),
        Missing::PrimaryLevel(s) => format!("{}: chưa có mức đạt được cuối năm", code_name(s)),
        Missing::PrimaryTest(s) => format!("{}: điểm kiểm tra định kì không hợp lệ", code_name(s)),
        other => other.to_string(),
    }
}

/// An input problem of the TT22/TT43 engine, in Vietnamese where it is common.
fn problem_vi(p: &tt22::Problem) -> String {
    match p {
        tt22::Problem::WrongRegularCount {
            code,
            semester,
            expected,
            actual,
            ..
        } => format!(
            "{}: học kì {} cần {expected} điểm đánh giá thường xuyên, đang có {actual}",
            code_name(code),
            match semester {
                tt22::Semester::First => "I",
                tt22::Semester::Second => "II",
            }
        ),
        tt22::Problem::NotInProgramme { code, .. } => {
            format!("{}: không thuộc chương trình của khối lớp", code_name(code))
        }
        tt22::Problem::WrongForm { code, .. } => {
            format!(
                "{}: sai hình thức đánh giá (điểm số / nhận xét)",
                code_name(code)
            )
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn a_store_refusal_of_a_locked_record_is_a_409_with_the_locked_message() {
        let code: domain::StudentCode = "79000000000000000001".parse().unwrap();
        let locked = || store::Error::Locked {
            student: code.clone(),
        };
        match locked_error(locked(), &[]) {
            AppError::Conflict(m) => {
                assert_eq!(m, crate::workflow::locked_message(code.as_str()))
            }
            other => panic!("{other:?}"),
        }
        // Where no handler names the student, the generic mapping still answers 409.
        let response = AppError::Store(locked()).into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let other = locked_error(
            store::Error::Conflict {
                what: "record".to_owned(),
            },
            &[],
        );
        assert!(matches!(other, AppError::Store(_)));
    }
}
