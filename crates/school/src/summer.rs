//! "Kết quả kiểm tra lại / rèn luyện hè" (STORIES #16, TT22 art. 13–14): after the
//! summer, the homeroom teacher of a class or the principal of its school enters, for
//! each student the year-end evaluation sent to re-assessment ("Kiểm tra lại") or to
//! summer conduct training ("Rèn luyện trong hè"), the new result of every subject to
//! re-assess (a score 0–10, or Đạt / Chưa đạt for a comment subject) or the retrained
//! conduct, and the date. The engine then decides "Lên lớp" / "Ở lại lớp".
//!
//! Each student is saved on their own, all or nothing, with an audit entry per value
//! that changes, in one transaction (`Store::save_summer_results_audited`). A student
//! whose current record is locked (being signed or signed) is refused by the store in
//! that same transaction: the principal unlocks it ("Mở khóa", a new draft version),
//! the results are entered, and the record is reviewed and signed again as usual.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::tt22::{Comment, Mark, YearOutcome};
use domain::{Date, Level, Score, ScoreError, StudentCode, tt43};
use store::convert::rating_from_store;
use store::{
    Class, ClassId, ConductRating, EnrolmentKey, RetakeResult, RetrainedConduct, SubjectCode,
    SummerRetake, YearInputs,
};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::grades::{MALFORMED, OUT_OF_RANGE, level_of, subject_name};
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Shown on a Đạt / Chưa đạt select left empty or with an unknown value.
const BAD_RESULT: &str = "Kết quả phải là Đạt hoặc Chưa đạt";
/// Shown on a conduct select left empty or with an unknown value.
const BAD_CONDUCT: &str = "Kết quả rèn luyện phải là Tốt, Khá, Đạt hoặc Chưa đạt";
/// Shown on an empty score cell.
const NO_SCORE: &str = "Chưa nhập điểm kiểm tra lại";

/// `GET /classes/{class}/summer`: the students of the class with summer work, each with
/// the form of their results.
pub async fn summer_page(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::EnterSummerResults { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    render(&app, &user, &class, None, None).await
}

/// `POST /classes/{class}/summer/{student}`: saves one student's summer results, all or
/// nothing. Refused (nothing saved) for a student without summer work (409), for any
/// invalid value (400, the cells marked), and for a locked record (409).
pub async fn save_summer(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, student)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::EnterSummerResults { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    let student: StudentCode = student.parse().map_err(|_| AppError::NotFound)?;
    let key = EnrolmentKey {
        student: student.clone(),
        class: class.id,
    };
    let inputs = match app.store().year_inputs(&key).await {
        Ok(i) => i,
        Err(store::Error::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let level = level_of(&user.school, class.grade);
    let name = inputs.student.full_name.clone();
    let Some(outcome) = summer_outcome(&inputs, level) else {
        return Err(AppError::Conflict(format!(
            "Học sinh {name} không thuộc diện kiểm tra lại hay rèn luyện trong hè (hoặc chưa đủ kết quả cả năm). Không có gì được lưu."
        )));
    };
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    let form = Typed::parse(&outcome, &fields, class.year.end());
    let (retakes, retrained) = match form.values() {
        Some(values) => values,
        None => {
            let notice = format!(
                r#"<p class="error-message">Chưa lưu kết quả hè của {}: có ô không hợp lệ (tô đỏ). Không có gì được lưu; sửa rồi bấm "Lưu" lần nữa.</p>"#,
                esc(&name)
            );
            let mut p = render(&app, &user, &class, Some((&student, &form)), Some(&notice)).await?;
            p.status = StatusCode::BAD_REQUEST;
            return Ok(p);
        }
    };
    match app
        .store()
        .save_summer_results_audited(&key, &retakes, retrained, &crate::history::stamp(&user))
        .await
    {
        Ok(()) => {}
        Err(store::Error::Locked { .. }) => return Err(AppError::Conflict(locked_message(&name))),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        teacher = %user.teacher.username,
        class = %class.id,
        student = %student,
        retakes = retakes.len(),
        retrained = retrained.is_some(),
        "summer results saved"
    );
    let after = app.store().year_inputs(&key).await?;
    let decision = summer_outcome(&after, level)
        .map(|o| crate::summary::year_result(&o, &after))
        .unwrap_or_default();
    let notice = format!(
        r#"<p class="ok">Đã lưu kết quả hè của {}: {}. Học bạ cần được xác nhận tổng hợp và ký lại.</p>"#,
        esc(&name),
        esc(&decision)
    );
    render(&app, &user, &class, None, Some(&notice)).await
}

/// The refusal of summer results for a student whose record is locked.
pub(crate) fn locked_message(name: &str) -> String {
    format!(
        "Học bạ của học sinh {name} đang được ký hoặc đã ký nên đã khóa: không nhập được kết quả kiểm tra lại / rèn luyện hè. Không có gì được lưu. Hiệu trưởng cần \"Mở khóa\" học bạ (tạo phiên bản mới) trước, rồi nhập lại kết quả hè."
    )
}

/// The year outcome of a secondary student whose year sends them to summer
/// re-assessment or training; `None` for anyone else (or an incomplete year).
pub(crate) fn summer_outcome(i: &YearInputs, level: Level) -> Option<YearOutcome> {
    if level == Level::Primary || i.is_primary() {
        return None;
    }
    let year = i.secondary_year().ok()?;
    let outcome = if level == Level::Continuing {
        tt43::evaluate(&year)
    } else {
        domain::tt22::evaluate(&year)
    }
    .ok()?;
    (outcome.summer_training || !outcome.reassessment.is_empty()).then_some(outcome)
}

fn parse_class(text: &str) -> Result<ClassId, AppError> {
    Ok(ClassId(text.parse().map_err(|_| AppError::NotFound)?))
}

async fn granted(app: &AppState, granted: Option<Class>, id: ClassId) -> Result<Class, AppError> {
    match granted {
        Some(c) => Ok(c),
        None => Ok(app.store().class(id).await?),
    }
}

/// One subject to re-assess and how it is assessed.
struct Due {
    code: SubjectCode,
    scored: bool,
}

fn due_subjects(o: &YearOutcome) -> Vec<Due> {
    o.reassessment
        .iter()
        .filter_map(|code| {
            let scored = o
                .subjects
                .iter()
                .find(|s| &s.code == code)
                .is_some_and(|s| matches!(s.marks.year, Mark::Average(_)));
            Some(Due {
                code: code.parse().ok()?,
                scored,
            })
        })
        .collect()
}

/// The form of one student as typed: each cell's text and its error.
struct Typed {
    retakes: Vec<(Due, String, Result<RetakeResult, &'static str>)>,
    conduct: Option<(String, Result<ConductRating, &'static str>)>,
    date: (String, Result<Date, String>),
}

impl Typed {
    /// Reads the fields `ktl_SUBJECT` (score), `kq_SUBJECT` (`dat` / `chua_dat`), `rl`
    /// (conduct code) and `ngay` (the date, which must fall in `summer_year`).
    fn parse(o: &YearOutcome, fields: &HashMap<String, String>, summer_year: u16) -> Typed {
        let get = |k: &str| {
            fields
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let retakes = due_subjects(o)
            .into_iter()
            .map(|due| {
                if due.scored {
                    let text = get(&format!("ktl_{}", due.code));
                    let parsed = if text.is_empty() {
                        Err(NO_SCORE)
                    } else {
                        match text.replace(',', ".").parse::<Score>() {
                            Ok(s) => Ok(RetakeResult::Score(s)),
                            Err(ScoreError::OutOfRange(_)) => Err(OUT_OF_RANGE),
                            Err(_) => Err(MALFORMED),
                        }
                    };
                    (due, text, parsed)
                } else {
                    let text = get(&format!("kq_{}", due.code));
                    let parsed = match text.as_str() {
                        "dat" => Ok(RetakeResult::Passed(true)),
                        "chua_dat" => Ok(RetakeResult::Passed(false)),
                        _ => Err(BAD_RESULT),
                    };
                    (due, text, parsed)
                }
            })
            .collect();
        let conduct = o.summer_training.then(|| {
            let text = get("rl");
            let parsed = ConductRating::from_code(&text).ok_or(BAD_CONDUCT);
            (text, parsed)
        });
        let text = get("ngay");
        let date = match text.parse::<Date>() {
            Ok(d) if d.year() == summer_year => Ok(d),
            Ok(_) => Err(format!(
                "Ngày kiểm tra, đánh giá lại phải thuộc năm {summer_year} (hè cuối năm học)"
            )),
            Err(_) => Err("Ngày kiểm tra, đánh giá lại phải có dạng ngày/tháng/năm".to_owned()),
        };
        Typed {
            retakes,
            conduct,
            date: (text, date),
        }
    }

    /// What to store, when every cell is valid.
    fn values(&self) -> Option<(Vec<SummerRetake>, Option<RetrainedConduct>)> {
        let date = self.date.1.clone().ok()?;
        let mut retakes = Vec::new();
        for (due, _, parsed) in &self.retakes {
            retakes.push(SummerRetake {
                subject: due.code.clone(),
                result: (*parsed).ok()?,
                assessed_on: date,
            });
        }
        let retrained = match &self.conduct {
            Some((_, parsed)) => Some(RetrainedConduct {
                rating: (*parsed).ok()?,
                assessed_on: date,
            }),
            None => None,
        };
        Some((retakes, retrained))
    }
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
    typed: Option<(&StudentCode, &Typed)>,
    notice: Option<&str>,
) -> Result<Page, AppError> {
    let store = app.store();
    let level = level_of(&user.school, class.grade);
    let locked = crate::workflow::locked_set(app, class.id).await?;
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<p class="tabs"><a href="/classes/{id}/summary">Tổng hợp kết quả</a> · <a href="/classes/{id}/records">Học bạ lớp</a></p>"#,
        id = class.id
    );
    if let Some(n) = notice {
        body.push_str(n);
    }
    body.push_str(r#"<p class="help">Học sinh phải kiểm tra lại các môn chưa đạt hoặc rèn luyện trong hè (Thông tư 22, điều 13–14). Nhập kết quả và ngày kiểm tra, đánh giá lại rồi bấm "Lưu" cho từng học sinh; kết quả lên lớp được tính lại theo quy chế. Sau khi lưu, giáo viên chủ nhiệm xác nhận tổng hợp và học bạ được ký lại.</p>"#);
    let mut listed = 0usize;
    for m in store.class_members(class.id).await? {
        let key = EnrolmentKey {
            student: m.student.code.clone(),
            class: class.id,
        };
        let i = store.year_inputs(&key).await?;
        let Some(o) = summer_outcome(&i, level) else {
            continue;
        };
        listed += 1;
        let code = i.student.code.as_str();
        let typed = typed.filter(|(s, _)| s.as_str() == code).map(|(_, t)| t);
        let _ = write!(
            body,
            r#"<section class="summer" data-student="{}"><h2>{}. {}</h2><p data-col="result">Kết quả: {}</p>"#,
            esc(code),
            m.roll_no,
            esc(&i.student.full_name),
            esc(&crate::summary::year_result(&o, &i))
        );
        if locked.contains(code) {
            let _ = write!(
                body,
                r#"<p class="error-message">Học bạ đã khóa (đang ký hoặc đã ký): hiệu trưởng cần "Mở khóa" học bạ trước khi nhập kết quả hè.</p>{}</section>"#,
                stored_summary(&i)
            );
            continue;
        }
        let _ = write!(
            body,
            r#"<form method="post" action="/classes/{}/summer/{}" class="stacked">{}"#,
            class.id,
            esc(code),
            csrf_field(&user.session.csrf_token)
        );
        form_cells(&mut body, &o, &i, typed);
        body.push_str(r#"<p><button type="submit">Lưu</button></p></form></section>"#);
    }
    if listed == 0 {
        body.push_str(
            "<p>Lớp không có học sinh phải kiểm tra lại hay rèn luyện trong hè (hoặc chưa đủ kết quả cả năm).</p>",
        );
    }
    let title = format!(
        "Kết quả kiểm tra lại / rèn luyện hè — Lớp {} — Năm học {}",
        class.name, class.year
    );
    Ok(page(user, app.config().demo, &title, &body))
}

/// The inputs of one student's form: stored values, or what was typed with its errors.
fn form_cells(body: &mut String, o: &YearOutcome, i: &YearInputs, typed: Option<&Typed>) {
    let name = &i.student.full_name;
    let stored = |code: &SubjectCode| i.summer_retakes.iter().find(|r| &r.subject == code);
    let error = |e: Option<&str>| match e {
        Some(e) => format!(r#" class="invalid" aria-invalid="true" title="{}""#, esc(e)),
        None => String::new(),
    };
    let mut errors: Vec<String> = Vec::new();
    for (n, due) in due_subjects(o).into_iter().enumerate() {
        let cell = typed.and_then(|t| t.retakes.get(n));
        let subject = subject_name(&due.code);
        let e = cell.and_then(|c| c.2.err());
        if let Some(e) = e {
            errors.push(format!("{subject}: {e}"));
        }
        if due.scored {
            let value = cell.map_or_else(
                || match stored(&due.code).map(|r| r.result) {
                    Some(RetakeResult::Score(s)) => crate::html::tenths(s.value()),
                    _ => String::new(),
                },
                |c| c.1.clone(),
            );
            let _ = write!(
                body,
                r#"<label>{} — điểm kiểm tra lại <input name="ktl_{}" value="{}" inputmode="decimal" size="4" autocomplete="off" aria-label="Điểm kiểm tra lại môn {} của {}"{}></label>"#,
                esc(&subject),
                esc(due.code.as_str()),
                esc(&value),
                esc(&subject),
                esc(name),
                error(e)
            );
        } else {
            let value = cell.map_or_else(
                || match stored(&due.code).map(|r| r.result) {
                    Some(RetakeResult::Passed(true)) => "dat".to_owned(),
                    Some(RetakeResult::Passed(false)) => "chua_dat".to_owned(),
                    _ => String::new(),
                },
                |c| c.1.clone(),
            );
            let mut options = String::from(r#"<option value="">—</option>"#);
            for (v, label) in [("dat", Comment::Dat), ("chua_dat", Comment::ChuaDat)] {
                let selected = if v == value { " selected" } else { "" };
                let _ = write!(
                    options,
                    r#"<option value="{v}"{selected}>{}</option>"#,
                    label.label()
                );
            }
            let _ = write!(
                body,
                r#"<label>{} — kết quả đánh giá lại <select name="kq_{}" aria-label="Kết quả đánh giá lại môn {} của {}"{}>{options}</select></label>"#,
                esc(&subject),
                esc(due.code.as_str()),
                esc(&subject),
                esc(name),
                error(e)
            );
        }
    }
    if o.summer_training {
        let cell = typed.and_then(|t| t.conduct.as_ref());
        let e = cell.and_then(|c| c.1.err());
        if let Some(e) = e {
            errors.push(format!("Rèn luyện trong hè: {e}"));
        }
        let value = cell.map_or_else(
            || {
                i.retrained_conduct
                    .map_or(String::new(), |r| r.rating.code().to_owned())
            },
            |c| c.0.clone(),
        );
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
        let _ = write!(
            body,
            r#"<label>Kết quả rèn luyện sau hè <select name="rl" aria-label="Kết quả rèn luyện sau hè của {}"{}>{options}</select></label>"#,
            esc(name),
            error(e)
        );
    }
    let date_cell = typed.map(|t| &t.date);
    let e = date_cell.and_then(|d| d.1.as_ref().err());
    if let Some(e) = e {
        errors.push(e.clone());
    }
    let stored_date = i
        .summer_retakes
        .first()
        .map(|r| r.assessed_on)
        .or(i.retrained_conduct.map(|r| r.assessed_on));
    let value = date_cell.map_or_else(
        || stored_date.map_or(String::new(), |d| d.to_string()),
        |d| d.0.clone(),
    );
    let _ = write!(
        body,
        r#"<label>Ngày kiểm tra, đánh giá lại <input type="date" name="ngay" value="{}" aria-label="Ngày kiểm tra, đánh giá lại của {}"{}></label>"#,
        esc(&value),
        esc(name),
        error(e.map(String::as_str))
    );
    if !errors.is_empty() {
        let _ = write!(
            body,
            r#"<p class="error-message">{}</p>"#,
            esc(&errors.join(" · "))
        );
    }
}

/// The stored summer results of a locked student, read-only.
fn stored_summary(i: &YearInputs) -> String {
    let mut parts: Vec<String> = i
        .summer_retakes
        .iter()
        .map(|r| {
            let value = match r.result {
                RetakeResult::Score(s) => crate::html::tenths(s.value()),
                RetakeResult::Passed(true) => Comment::Dat.label().to_owned(),
                RetakeResult::Passed(false) => Comment::ChuaDat.label().to_owned(),
            };
            format!(
                "{}: {value} ({})",
                subject_name(&r.subject),
                r.assessed_on.to_vietnamese()
            )
        })
        .collect();
    if let Some(c) = i.retrained_conduct {
        parts.push(format!(
            "Rèn luyện sau hè: {} ({})",
            rating_from_store(c.rating).label(),
            c.assessed_on.to_vietnamese()
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<p>Đã nhập: {}</p>", esc(&parts.join("; ")))
    }
}

/// Each student's year decision as the summary shows it ("Lên lớp", "Kiểm tra lại: … →
/// Lên lớp", "Ở lại lớp (…)"), by student code; students of a primary class, or whose
/// year is incomplete, are absent.
pub(crate) async fn decisions(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
) -> Result<HashMap<String, String>, AppError> {
    let level = level_of(&user.school, class.grade);
    let mut out = HashMap::new();
    if level == Level::Primary {
        return Ok(out);
    }
    for m in app.store().class_members(class.id).await? {
        let key = EnrolmentKey {
            student: m.student.code.clone(),
            class: class.id,
        };
        let i = app.store().year_inputs(&key).await?;
        let Ok(year) = i.secondary_year() else {
            continue;
        };
        let evaluated = if level == Level::Continuing {
            tt43::evaluate(&year)
        } else {
            domain::tt22::evaluate(&year)
        };
        if let Ok(o) = evaluated {
            out.insert(
                m.student.code.as_str().to_owned(),
                crate::summary::year_result(&o, &i),
            );
        }
    }
    Ok(out)
}
