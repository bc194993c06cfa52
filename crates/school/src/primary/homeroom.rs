//! The homeroom teacher's TT27 page of a primary class ("Phẩm chất, năng lực"): the five
//! qualities, the three general and the specific competences at the end of semester I
//! and at the end of the year (Tốt / Đạt / Cần cố gắng), the "Học sinh Tiêu biểu"
//! flag with a note, and the year's absences (year-end page); plus the primary part of "Tổng hợp kết quả" (the year-end result
//! computed live by the engine, and what is still missing per student).
//!
//! Saving follows the grids: a student's row is saved whole or not at all, the other
//! rows are saved, in one transaction with one audit entry per changed cell
//! (`Store::save_tt27_ratings_audited`); locked students' rows refuse the form.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, Query, State};
use domain::Level;
use domain::tt27::{self, Competence, Quality};
use serde::Deserialize;
use store::{
    Class, ClassId, ClassMember, QualityItem, QualityRating, SubjectCode, Tt27Period,
    Tt27RatingsRow, YearInputs,
};
use unicode_normalization::UnicodeNormalization;

use super::input::{mastery_from_store, period_name, primary_gaps};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Shown on a rating select with an unknown value.
const BAD_RATING: &str = "Mức phải là Tốt, Đạt hoặc Cần cố gắng";
/// Shown on a note longer than the store allows.
const NOTE_TOO_LONG: &str = "Ghi chú tối đa 2000 kí tự";
/// Shown on an absences cell that is not a whole number of days.
const BAD_DAYS: &str = "Số ngày nghỉ phải là số nguyên từ 0 đến 366";

/// `?p=ck1|cn` (default `ck1`).
#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    p: Option<String>,
}

/// `GET /classes/{class}/tt27?p=…`: the ratings as stored.
pub async fn ratings(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Page, AppError> {
    let sheet = RatingSheet::load(&app, &user, &class, &q).await?;
    let rows = sheet.stored_rows(&app).await?;
    Ok(sheet.render(&app, &user, &rows, None))
}

/// `POST /classes/{class}/tt27?p=…`: validates every row, saves the valid rows that
/// changed, shows the page again with the invalid cells marked.
pub async fn save_ratings(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
    Query(q): Query<PeriodQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    let sheet = RatingSheet::load(&app, &user, &class, &q).await?;
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    if let Some(code) = crate::workflow::locked_in_form(fields.keys(), &sheet.locked) {
        let name = sheet
            .members
            .iter()
            .find(|m| m.student.code.as_str() == code)
            .map_or(code.clone(), |m| m.student.full_name.clone());
        return Err(AppError::Conflict(crate::workflow::locked_message(&name)));
    }
    let stored = sheet.stored_rows(&app).await?;
    let (mut saved, mut refused) = (0usize, 0usize);
    let mut changed = Vec::new();
    let mut shown = Vec::with_capacity(stored.len());
    for old in stored {
        let code = old.member.student.code.as_str();
        let posted = fields
            .keys()
            .any(|k| k.rsplit_once('_').is_some_and(|(_, c)| c == code));
        if sheet.locked.contains(code) || !posted {
            shown.push(old);
            continue;
        }
        let year_end = sheet.period == Tt27Period::YearEnd;
        let new = parse_row(&old, &fields, year_end);
        if new.errors.is_empty() {
            saved += 1;
            let row = new.to_store(year_end);
            if row != old.to_store(year_end) {
                changed.push(row);
            }
        } else {
            refused += 1;
        }
        shown.push(new);
    }
    app.store()
        .save_tt27_ratings_audited(
            sheet.class.id,
            sheet.period,
            &changed,
            &crate::history::stamp(&user),
        )
        .await
        .map_err(|e| crate::summary::locked_error(e, &sheet.members))?;
    let notice = if refused == 0 {
        format!(r#"<p class="ok">Đã lưu phẩm chất, năng lực của {saved} học sinh.</p>"#)
    } else {
        format!(
            r#"<p class="error-message">Đã lưu {saved} học sinh. <strong>{refused} học sinh chưa được lưu</strong> vì có ô không hợp lệ (tô đỏ): cả dòng của các học sinh này giữ nguyên như trước khi lưu.</p>"#
        )
    };
    Ok(sheet.render(&app, &user, &shown, Some(&notice)))
}

/// The primary part of "Tổng hợp kết quả": year-end levels and tests per subject, the
/// overall result and title computed live by the engine (`domain::tt27::evaluate`) from
/// the year-end values, and everything the record still lacks per student.
pub(crate) fn render_summary(
    body: &mut String,
    class: ClassId,
    subjects: &[SubjectCode],
    inputs: &[YearInputs],
) {
    let _ = write!(
        body,
        r#"<p class="help">Lớp tiểu học, đánh giá theo Thông tư 27. Kết quả giáo dục và danh hiệu được tính ngay từ các đánh giá cuối năm. Giáo viên chủ nhiệm nhập <a href="/classes/{class}/tt27?p=ck1">phẩm chất, năng lực cuối học kì I</a> · <a href="/classes/{class}/tt27?p=cn">cuối năm học</a> và "Học sinh Tiêu biểu".</p>"#
    );
    body.push_str(r#"<div class="scroll"><table class="grid summary"><thead><tr><th>STT</th><th>Họ và tên</th>"#);
    for s in subjects {
        let _ = write!(
            body,
            "<th>{}</th>",
            esc(&super::input::subject_name(s.as_str()))
        );
    }
    body.push_str("<th>Kết quả giáo dục</th><th>Danh hiệu</th><th>Còn thiếu / ghi chú</th></tr></thead><tbody>\n");
    for i in inputs {
        let _ = write!(
            body,
            r#"<tr data-student="{}"><td>{}</td><td class="name">{} <a class="history" href="{}" title="Lịch sử thay đổi">Lịch sử</a></td>"#,
            esc(i.student.code.as_str()),
            i.roll_no,
            esc(&i.student.full_name),
            esc(&crate::history::href(&i.student.code))
        );
        for s in subjects {
            let e = i
                .tt27_subjects
                .iter()
                .find(|e| &e.subject == s && e.period == Tt27Period::YearEnd);
            let text = match e {
                Some(e) => {
                    let level = e
                        .level
                        .map_or("", |l| super::input::level_from_store(l).label());
                    match e.test_score {
                        Some(t) => format!("{level} ({t})"),
                        None => level.to_owned(),
                    }
                }
                None => String::new(),
            };
            let _ = write!(body, "<td>{}</td>", esc(&text));
        }
        let outcome = i.primary_year().ok().and_then(|y| tt27::evaluate(&y).ok());
        let (overall, title) = match &outcome {
            Some(o) => (o.overall.label(), o.title.map_or("", |t| t.label())),
            None => ("", ""),
        };
        let gaps = primary_gaps(i, subjects);
        let _ = writeln!(
            body,
            r#"<td class="overall">{}</td><td class="title">{}</td><td class="notes">{}</td></tr>"#,
            esc(overall),
            esc(title),
            esc(&gaps.join(" · "))
        );
    }
    body.push_str("</tbody></table></div>");
}

/// Every quality and competence, in the order of the record book.
fn items() -> Vec<(QualityItem, &'static str, bool)> {
    let q = Quality::ALL.iter().map(|q| (q.key(), q.name_vi(), true));
    let c = Competence::ALL
        .iter()
        .map(|c| (c.key(), c.name_vi(), c.is_general()));
    q.chain(c)
        .filter_map(|(k, n, required)| QualityItem::from_code(k).map(|i| (i, n, required)))
        .collect()
}

struct RatingSheet {
    class: Class,
    period: Tt27Period,
    members: Vec<ClassMember>,
    locked: std::collections::HashSet<String>,
}

#[derive(Clone)]
struct RowView {
    member: ClassMember,
    /// Per item: the text of the select.
    ratings: BTreeMap<QualityItem, String>,
    outstanding: bool,
    note: String,
    /// Số ngày nghỉ có phép / không phép as typed (year-end page only).
    np: String,
    kp: String,
    /// Field name → message.
    errors: BTreeMap<String, &'static str>,
}

impl RowView {
    /// The line to store; absences only on the year-end page and when typed.
    fn to_store(&self, year_end: bool) -> Tt27RatingsRow {
        Tt27RatingsRow {
            student: self.member.student.code.clone(),
            ratings: items()
                .into_iter()
                .map(|(item, _, _)| {
                    let r = self
                        .ratings
                        .get(&item)
                        .and_then(|t| QualityRating::from_code(t));
                    (item, r)
                })
                .collect(),
            outstanding: self.outstanding.then(|| self.note.clone()),
            absences: if year_end && !(self.np.is_empty() && self.kp.is_empty()) {
                match (parse_days(&self.np), parse_days(&self.kp)) {
                    (Some(np), Some(kp)) => Some(store::Absences {
                        excused_days: np,
                        unexcused_days: kp,
                    }),
                    _ => None,
                }
            } else {
                None
            },
        }
    }
}

/// A typed number of days: empty is 0.
fn parse_days(text: &str) -> Option<u16> {
    if text.is_empty() {
        return Some(0);
    }
    text.parse::<u16>().ok().filter(|d| *d <= 366)
}

fn parse_row(old: &RowView, fields: &HashMap<String, String>, year_end: bool) -> RowView {
    let code = old.member.student.code.as_str();
    let get = |name: String| fields.get(&name).map(|s| s.trim()).unwrap_or("");
    let mut errors = BTreeMap::new();
    let mut ratings = BTreeMap::new();
    for (item, _, _) in items() {
        let name = format!("r_{}_{code}", item.code());
        let t = get(name.clone()).to_owned();
        if !t.is_empty() && QualityRating::from_code(&t).is_none() {
            errors.insert(name, BAD_RATING);
        }
        ratings.insert(item, t);
    }
    let outstanding = !get(format!("tb_{code}")).is_empty();
    let note: String = get(format!("tbnote_{code}")).nfc().collect();
    if note.chars().count() > store::MAX_TT27_TEXT_CHARS {
        errors.insert(format!("tbnote_{code}"), NOTE_TOO_LONG);
    }
    let (np, kp) = if year_end {
        let np = get(format!("np_{code}")).to_owned();
        let kp = get(format!("kp_{code}")).to_owned();
        for (name, t) in [(format!("np_{code}"), &np), (format!("kp_{code}"), &kp)] {
            if parse_days(t).is_none() {
                errors.insert(name, BAD_DAYS);
            }
        }
        (np, kp)
    } else {
        (old.np.clone(), old.kp.clone())
    };
    RowView {
        member: old.member.clone(),
        ratings,
        outstanding,
        note: if outstanding { note } else { String::new() },
        np,
        kp,
        errors,
    }
}

impl RatingSheet {
    async fn load(
        app: &AppState,
        user: &CurrentUser,
        class: &str,
        q: &PeriodQuery,
    ) -> Result<RatingSheet, AppError> {
        let class_id = ClassId(class.parse().map_err(|_| AppError::NotFound)?);
        let period = match q.p.as_deref() {
            None | Some("ck1") => Tt27Period::EndFirst,
            Some("cn") => Tt27Period::YearEnd,
            Some(_) => {
                return Err(AppError::BadRequest(
                    "Thời điểm đánh giá phẩm chất, năng lực phải là ck1 hoặc cn.".to_owned(),
                ));
            }
        };
        let grant = require(
            app.store(),
            user,
            Permission::EditPrimaryRatings { class: class_id },
        )
        .await?;
        let class = match grant.class {
            Some(c) => c,
            None => app.store().class(class_id).await?,
        };
        if crate::grades::level_of(&user.school, class.grade) != Level::Primary {
            return Err(AppError::BadRequest(
                "Lớp này không phải lớp tiểu học.".to_owned(),
            ));
        }
        let members = app.store().class_members(class_id).await?;
        let locked = crate::workflow::locked_set(app, class_id).await?;
        Ok(RatingSheet {
            class,
            period,
            members,
            locked,
        })
    }

    async fn stored_rows(&self, app: &AppState) -> Result<Vec<RowView>, AppError> {
        let stored = app
            .store()
            .tt27_rating_sheet(self.class.id, self.period)
            .await?;
        Ok(self
            .members
            .iter()
            .map(|m| {
                let row = stored.get(&m.student.code);
                let ratings = row
                    .map(|r| {
                        r.ratings
                            .iter()
                            .filter_map(|(i, v)| v.map(|v| (*i, v.code().to_owned())))
                            .collect()
                    })
                    .unwrap_or_default();
                let note = row.and_then(|r| r.outstanding.clone());
                let absences = row.and_then(|r| r.absences);
                RowView {
                    member: m.clone(),
                    ratings,
                    outstanding: note.is_some(),
                    note: note.unwrap_or_default(),
                    np: absences.map_or(String::new(), |a| a.excused_days.to_string()),
                    kp: absences.map_or(String::new(), |a| a.unexcused_days.to_string()),
                    errors: BTreeMap::new(),
                }
            })
            .collect())
    }

    fn render(
        &self,
        app: &AppState,
        user: &CurrentUser,
        rows: &[RowView],
        notice: Option<&str>,
    ) -> Page {
        let p = match self.period {
            Tt27Period::YearEnd => "cn",
            _ => "ck1",
        };
        let title = format!(
            "Phẩm chất, năng lực — Lớp {} — {}",
            self.class.name,
            period_name(self.period)
        );
        let id = self.class.id;
        let mut body = format!(
            r#"<p class="tabs"><a href="/classes/{id}/summary">← Tổng hợp kết quả</a> · <a href="/classes/{id}/tt27?p=ck1"{a1}>Cuối học kì I</a> · <a href="/classes/{id}/tt27?p=cn"{a2}>Cuối năm học</a></p>"#,
            a1 = if p == "ck1" {
                r#" class="current""#
            } else {
                ""
            },
            a2 = if p == "cn" { r#" class="current""# } else { "" },
        );
        if let Some(n) = notice {
            body.push_str(n);
        }
        body.push_str(r#"<p class="help">Thông tư 27: mỗi phẩm chất và năng lực được đánh giá Tốt / Đạt / Cần cố gắng. Năm phẩm chất và ba năng lực chung là bắt buộc; năng lực đặc thù đánh giá khi có. "Học sinh Tiêu biểu" do tập thể lớp công nhận (chỉ có ý nghĩa khi kết quả giáo dục là Hoàn thành tốt). <strong>Một học sinh chỉ được lưu khi mọi ô trên dòng đều hợp lệ</strong>.</p>"#);
        let _ = write!(
            body,
            r#"<form method="post" action="/classes/{id}/tt27?p={p}">{csrf}
<div class="scroll"><table class="grid" id="grid"><thead><tr><th>STT</th><th>Họ và tên</th>"#,
            csrf = csrf_field(&user.session.csrf_token),
        );
        for (_, name, required) in items() {
            let mark = if required { "" } else { " (đặc thù)" };
            let _ = write!(body, "<th>{}{mark}</th>", esc(name));
        }
        let year_end = self.period == Tt27Period::YearEnd;
        if year_end {
            body.push_str("<th>Nghỉ có phép</th><th>Nghỉ không phép</th>");
        }
        body.push_str("<th>Học sinh Tiêu biểu</th><th>Ghi chú</th></tr></thead><tbody>\n");
        for r in rows {
            let code = r.member.student.code.as_str();
            let name = esc(&r.member.student.full_name);
            let locked = self.locked.contains(code);
            let row_class = if locked {
                r#" class="locked""#
            } else if r.errors.is_empty() {
                ""
            } else {
                r#" class="invalid-row""#
            };
            let _ = write!(
                body,
                r#"<tr{row_class} data-student="{}"><td>{}</td><td class="name">{name}</td>"#,
                esc(code),
                r.member.roll_no
            );
            for (item, label, _) in items() {
                let value = r.ratings.get(&item).map_or("", String::as_str);
                if locked {
                    let shown = QualityRating::from_code(value)
                        .map_or("", |v| mastery_from_store(v).label());
                    let _ = write!(body, "<td>{}</td>", esc(shown));
                    continue;
                }
                let field = format!("r_{}_{code}", item.code());
                let invalid = if r.errors.contains_key(&field) {
                    r#" class="invalid" aria-invalid="true""#
                } else {
                    ""
                };
                let mut options = String::new();
                let choices = [("", "—")].into_iter().chain(
                    [
                        QualityRating::Good,
                        QualityRating::Pass,
                        QualityRating::NeedsEffort,
                    ]
                    .map(|v| (v.code(), mastery_from_store(v).label())),
                );
                for (v, l) in choices {
                    let selected = if v == value { " selected" } else { "" };
                    let _ = write!(options, r#"<option value="{v}"{selected}>{l}</option>"#);
                }
                let _ = write!(
                    body,
                    r#"<td><select name="{field}" aria-label="{} của {name}"{invalid}>{options}</select></td>"#,
                    esc(label)
                );
            }
            if year_end {
                for (field, value, label) in [
                    ("np", &r.np, "Số ngày nghỉ có phép"),
                    ("kp", &r.kp, "Số ngày nghỉ không phép"),
                ] {
                    if locked {
                        let _ = write!(body, "<td>{}</td>", esc(value));
                        continue;
                    }
                    let name = format!("{field}_{code}");
                    let invalid = if r.errors.contains_key(&name) {
                        r#" class="score invalid" aria-invalid="true""#
                    } else {
                        r#" class="score""#
                    };
                    let _ = write!(
                        body,
                        r#"<td><input name="{name}" value="{}" inputmode="numeric" size="3" aria-label="{label} của {}"{invalid}></td>"#,
                        esc(value),
                        esc(&r.member.student.full_name),
                    );
                }
            }
            if locked {
                let _ = writeln!(
                    body,
                    r#"<td>{}</td><td class="notes">Học bạ đã khóa (đang ký hoặc đã ký): không sửa được.</td></tr>"#,
                    if r.outstanding { "Có" } else { "" }
                );
                continue;
            }
            let checked = if r.outstanding { " checked" } else { "" };
            let _ = write!(
                body,
                r#"<td><input type="checkbox" name="tb_{code}" value="1" aria-label="Học sinh Tiêu biểu: {name}"{checked}> <input name="tbnote_{code}" value="{}" size="24" aria-label="Lý do tiêu biểu của {name}" placeholder="Lý do"></td>"#,
                esc(&r.note)
            );
            let mut notes: Vec<String> = r.errors.values().map(|e| (*e).to_owned()).collect();
            notes.dedup();
            if !r.errors.is_empty() {
                notes.insert(0, "Chưa lưu dòng này.".to_owned());
            }
            let _ = writeln!(
                body,
                r#"<td class="notes">{}</td></tr>"#,
                esc(&notes.join(" · "))
            );
        }
        body.push_str(r#"</tbody></table></div><p><button type="submit">Lưu</button></p></form>"#);
        page(user, app.config().demo, &title, &body)
    }
}
