//! "Nhập đánh giá": a subject teacher's TT27 grid for one primary class × subject and
//! one checkpoint (giữa HK I, cuối HK I, giữa HK II, cuối năm).
//!
//! Per student: the level (Hoàn thành tốt / Hoàn thành / Chưa hoàn thành), the
//! periodic test (an integer 1–10) **only where the catalogue has a test at that
//! checkpoint** for the grade and subject, and a comment. Saving follows the TT22 grid:
//! a row is saved whole or not at all; a row with an invalid cell keeps what was stored
//! and comes back with the cell in red; the other rows are saved, in one transaction
//! with one audit entry per changed cell (`Store::save_tt27_subject_sheet_audited`).
//!
//! A test value posted for a checkpoint without a test (a forged or stale form) is
//! **ignored**: no input is shown for it, nothing is stored or logged for it, and the
//! rest of the row is saved as usual.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, Query, State};
use domain::tt27::Checkpoint;
use domain::{Level, tt27};
use serde::Deserialize;
use store::{Class, ClassId, ClassMember, SubjectCode, Tt27Level, Tt27SheetRow};
use unicode_normalization::UnicodeNormalization;

use super::input::{level_from_store, subject_name, takes_test};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Shown on a test cell that is not an integer from 1 to 10.
pub const TEST_INVALID: &str = "Điểm kiểm tra là số nguyên từ 1 đến 10";
/// Shown on a level select with an unknown value.
const BAD_LEVEL: &str = "Mức đạt được phải là Hoàn thành tốt, Hoàn thành hoặc Chưa hoàn thành";
/// Shown on a comment longer than the store allows.
const COMMENT_TOO_LONG: &str = "Nhận xét tối đa 2000 kí tự";

/// `?cp=gk1|ck1|gk2|cn` (default `gk1`).
#[derive(Debug, Deserialize)]
pub struct CheckpointQuery {
    cp: Option<String>,
}

/// `GET /assessments/{class}/{subject}?cp=…`: the grid, with what is stored.
pub async fn sheet(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<CheckpointQuery>,
) -> Result<Page, AppError> {
    let grid = Grid::load(&app, &user, &class, &subject, &q).await?;
    let rows = grid.stored_rows(&app).await?;
    Ok(grid.render(&app, &user, &rows, None))
}

/// `POST /assessments/{class}/{subject}?cp=…`: validates every cell, saves the valid
/// rows that changed (see the module doc), shows the grid again.
pub async fn save(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<CheckpointQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    let grid = Grid::load(&app, &user, &class, &subject, &q).await?;
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    if let Some(code) = crate::workflow::locked_in_form(fields.keys(), &grid.locked) {
        let name = grid
            .members
            .iter()
            .find(|m| m.student.code.as_str() == code)
            .map_or(code.clone(), |m| m.student.full_name.clone());
        return Err(AppError::Conflict(crate::workflow::locked_message(&name)));
    }
    let stored = grid.stored_rows(&app).await?;
    let mut shown = Vec::with_capacity(stored.len());
    let mut changed = Vec::new();
    let (mut saved, mut refused) = (0usize, 0usize);
    for old in stored {
        let code = old.member.student.code.as_str();
        if grid.locked.contains(code) || !fields.keys().any(|k| field_of(k) == Some(code)) {
            shown.push(old);
            continue;
        }
        let new = grid.parse_row(&old, &fields);
        if new.is_valid() {
            saved += 1;
            let row = new.to_store();
            if row != old.to_store() {
                changed.push(row);
            }
            shown.push(new.normalised());
        } else {
            refused += 1;
            shown.push(new);
        }
    }
    app.store()
        .save_tt27_subject_sheet_audited(
            grid.class.id,
            &grid.subject,
            store::convert::checkpoint_period(grid.checkpoint),
            &changed,
            &crate::history::stamp(&user),
        )
        .await
        .map_err(|e| crate::summary::locked_error(e, &grid.members))?;
    tracing::info!(
        teacher = %user.teacher.username,
        class = %grid.class.id,
        subject = %grid.subject,
        checkpoint = grid.checkpoint.key(),
        saved,
        refused,
        "TT27 sheet saved"
    );
    let notice = crate::grades::saved_notice("đánh giá", saved, refused);
    Ok(grid.render(&app, &user, &shown, Some(&notice)))
}

/// The checkpoint of `?cp=`.
pub(crate) fn checkpoint_of(cp: Option<&str>) -> Result<Checkpoint, AppError> {
    match cp {
        None | Some("gk1") => Ok(Checkpoint::MidSemester1),
        Some("ck1") => Ok(Checkpoint::EndSemester1),
        Some("gk2") => Ok(Checkpoint::MidSemester2),
        Some("cn") => Ok(Checkpoint::EndOfYear),
        Some(_) => Err(AppError::BadRequest(
            "Thời điểm đánh giá phải là gk1, ck1, gk2 hoặc cn.".to_owned(),
        )),
    }
}

/// The `?cp=` value of a checkpoint.
pub(crate) fn cp_code(cp: Checkpoint) -> &'static str {
    match cp {
        Checkpoint::MidSemester1 => "gk1",
        Checkpoint::EndSemester1 => "ck1",
        Checkpoint::MidSemester2 => "gk2",
        Checkpoint::EndOfYear => "cn",
    }
}

/// The student code a field `muc_CODE`, `kt_CODE` or `nx_CODE` is about.
fn field_of(name: &str) -> Option<&str> {
    let (prefix, code) = name.split_once('_')?;
    matches!(prefix, "muc" | "kt" | "nx").then_some(code)
}

struct Grid {
    class: Class,
    subject: SubjectCode,
    checkpoint: Checkpoint,
    /// Whether the catalogue has a periodic test here.
    tested: bool,
    members: Vec<ClassMember>,
    locked: std::collections::HashSet<String>,
}

#[derive(Clone)]
struct RowView {
    member: ClassMember,
    level_text: String,
    level: Option<Tt27Level>,
    level_error: Option<&'static str>,
    test_text: String,
    test: Option<u8>,
    test_error: Option<&'static str>,
    comment: String,
    comment_error: Option<&'static str>,
}

impl RowView {
    fn is_valid(&self) -> bool {
        self.level_error.is_none() && self.test_error.is_none() && self.comment_error.is_none()
    }

    fn to_store(&self) -> Tt27SheetRow {
        Tt27SheetRow {
            student: self.member.student.code.clone(),
            level: self.level,
            test_score: self.test,
            comment: self.comment.clone(),
        }
    }

    fn normalised(mut self) -> RowView {
        self.test_text = self.test.map(|t| t.to_string()).unwrap_or_default();
        self
    }
}

impl Grid {
    async fn load(
        app: &AppState,
        user: &CurrentUser,
        class: &str,
        subject: &str,
        q: &CheckpointQuery,
    ) -> Result<Grid, AppError> {
        let class_id = ClassId(class.parse().map_err(|_| AppError::NotFound)?);
        let subject: SubjectCode = subject.parse().map_err(|_| AppError::NotFound)?;
        let checkpoint = checkpoint_of(q.cp.as_deref())?;
        let grant = require(
            app.store(),
            user,
            Permission::EnterPrimaryAssessment {
                class: class_id,
                subject: &subject,
            },
        )
        .await?;
        let class = match grant.class {
            Some(c) => c,
            None => app.store().class(class_id).await?,
        };
        if crate::grades::level_of(&user.school, class.grade) != Level::Primary {
            return Err(AppError::BadRequest(
                "Lớp này không phải lớp tiểu học: hãy dùng \"Nhập điểm\".".to_owned(),
            ));
        }
        let members = app.store().class_members(class_id).await?;
        let locked = crate::workflow::locked_set(app, class_id).await?;
        let tested = takes_test(class.grade, subject.as_str(), checkpoint);
        Ok(Grid {
            class,
            subject,
            checkpoint,
            tested,
            members,
            locked,
        })
    }

    async fn stored_rows(&self, app: &AppState) -> Result<Vec<RowView>, AppError> {
        let stored: HashMap<String, Tt27SheetRow> = app
            .store()
            .tt27_subject_sheet(
                self.class.id,
                &self.subject,
                store::convert::checkpoint_period(self.checkpoint),
            )
            .await?
            .into_iter()
            .map(|r| (r.student.as_str().to_owned(), r))
            .collect();
        Ok(self
            .members
            .iter()
            .map(|m| {
                let row = stored.get(m.student.code.as_str());
                let level = row.and_then(|r| r.level);
                let test = row.and_then(|r| r.test_score);
                RowView {
                    member: m.clone(),
                    level_text: level.map(|l| l.code().to_owned()).unwrap_or_default(),
                    level,
                    level_error: None,
                    test_text: test.map(|t| t.to_string()).unwrap_or_default(),
                    test,
                    test_error: None,
                    comment: row.map(|r| r.comment.clone()).unwrap_or_default(),
                    comment_error: None,
                }
            })
            .collect())
    }

    fn parse_row(&self, old: &RowView, fields: &HashMap<String, String>) -> RowView {
        let code = old.member.student.code.as_str();
        let get = |name: String| fields.get(&name).map(|s| s.trim()).unwrap_or("");
        let level_text = get(format!("muc_{code}")).to_owned();
        let (level, level_error) = match level_text.as_str() {
            "" => (None, None),
            c => match Tt27Level::from_code(c) {
                Some(l) => (Some(l), None),
                None => (None, Some(BAD_LEVEL)),
            },
        };
        // No test here: whatever was posted for it is ignored (module doc); a test stored
        // earlier for this checkpoint is kept as it is.
        let (test_text, test, test_error) = if self.tested {
            let t = get(format!("kt_{code}")).to_owned();
            match parse_test(&t) {
                Ok(v) => (t, v, None),
                Err(e) => (t, None, Some(e)),
            }
        } else {
            (old.test_text.clone(), old.test, None)
        };
        let comment: String = get(format!("nx_{code}")).nfc().collect();
        let comment_error =
            (comment.chars().count() > store::MAX_TT27_TEXT_CHARS).then_some(COMMENT_TOO_LONG);
        RowView {
            member: old.member.clone(),
            level_text,
            level,
            level_error,
            test_text,
            test,
            test_error,
            comment,
            comment_error,
        }
    }

    fn render(
        &self,
        app: &AppState,
        user: &CurrentUser,
        rows: &[RowView],
        notice: Option<&str>,
    ) -> Page {
        let title = format!(
            "Nhập đánh giá — {} — Lớp {} — {}",
            subject_name(self.subject.as_str()),
            self.class.name,
            self.checkpoint.name_vi()
        );
        let mut body =
            String::from(r#"<p class="tabs"><a href="/scores">← Danh sách lớp, môn</a>"#);
        for cp in Checkpoint::ALL {
            let current = if cp == self.checkpoint {
                r#" class="current""#
            } else {
                ""
            };
            let _ = write!(
                body,
                r#" · <a href="/assessments/{id}/{code}?cp={c}"{current}>{name}</a>"#,
                id = self.class.id,
                code = esc(self.subject.as_str()),
                c = cp_code(cp),
                name = esc(cp.name_vi()),
            );
        }
        body.push_str("</p>");
        if let Some(n) = notice {
            body.push_str(n);
        }
        let test_help = if self.tested {
            "Điểm bài kiểm tra định kì là số nguyên từ 1 đến 10."
        } else {
            "Môn này không có bài kiểm tra định kì ở thời điểm này (Thông tư 27, Điều 7)."
        };
        let _ = write!(
            body,
            r#"<p class="help">Lớp tiểu học, đánh giá theo Thông tư 27: chọn mức đạt được (Hoàn thành tốt / Hoàn thành / Chưa hoàn thành) và ghi nhận xét. {test_help} <strong>Một học sinh chỉ được lưu khi mọi ô trên dòng đều hợp lệ</strong>; dòng có ô sai (tô đỏ) giữ nguyên như trước, các dòng khác vẫn được lưu.</p>"#
        );
        let _ = write!(
            body,
            r#"<form method="post" action="/assessments/{id}/{code}?cp={cp}">{csrf}
<table class="grid" id="grid"><thead><tr><th>STT</th><th>Họ và tên</th><th>Mức đạt được</th>{kt}<th>Nhận xét</th><th>Ghi chú</th></tr></thead><tbody>
"#,
            id = self.class.id,
            code = esc(self.subject.as_str()),
            cp = cp_code(self.checkpoint),
            csrf = csrf_field(&user.session.csrf_token),
            kt = if self.tested {
                "<th>Điểm KTĐK</th>"
            } else {
                ""
            },
        );
        for r in rows {
            self.render_row(&mut body, r);
        }
        body.push_str(r#"</tbody></table><p><button type="submit">Lưu</button></p></form>"#);
        page(user, app.config().demo, &title, &body)
    }

    fn render_row(&self, body: &mut String, r: &RowView) {
        let code = r.member.student.code.as_str();
        let name = esc(&r.member.student.full_name);
        let level_label = |t: &str| {
            Tt27Level::from_code(t)
                .map(|l| level_from_store(l).label())
                .unwrap_or("")
        };
        if self.locked.contains(code) {
            let _ = write!(
                body,
                r#"<tr class="locked" data-student="{}"><td>{}</td><td class="name">{name}</td><td>{}</td>"#,
                esc(code),
                r.member.roll_no,
                esc(level_label(&r.level_text)),
            );
            if self.tested {
                let _ = write!(body, "<td>{}</td>", esc(&r.test_text));
            }
            let _ = writeln!(
                body,
                r#"<td>{}</td><td class="notes">Học bạ đã khóa (đang ký hoặc đã ký): không sửa được.</td></tr>"#,
                esc(&r.comment)
            );
            return;
        }
        let mut notes = Vec::new();
        let row_class = if r.is_valid() {
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
        let invalid = |e: Option<&str>| {
            e.map_or(String::new(), |e| {
                format!(r#" class="invalid" aria-invalid="true" title="{}""#, esc(e))
            })
        };
        let mut options = String::new();
        let choices = [("", "—")].into_iter().chain(
            [
                Tt27Level::Excellent,
                Tt27Level::Completed,
                Tt27Level::NotCompleted,
            ]
            .map(|l| (l.code(), level_from_store(l).label())),
        );
        for (value, label) in choices {
            let selected = if r.level_text == value {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                options,
                r#"<option value="{value}"{selected}>{label}</option>"#
            );
        }
        let _ = write!(
            body,
            r#"<td><select name="muc_{code}" aria-label="Mức đạt được của {name}"{}>{options}</select></td>"#,
            invalid(r.level_error)
        );
        if let Some(e) = r.level_error {
            notes.push(e.to_owned());
        }
        if self.tested {
            let (class, extra) = match r.test_error {
                Some(e) => (
                    "score invalid",
                    format!(r#" aria-invalid="true" title="{}""#, esc(e)),
                ),
                None => ("score", String::new()),
            };
            let _ = write!(
                body,
                r#"<td><input name="kt_{code}" value="{value}" class="{class}" inputmode="numeric" autocomplete="off" size="3" aria-label="Điểm kiểm tra định kì của {name}"{extra}></td>"#,
                value = esc(&r.test_text),
            );
            if let Some(e) = r.test_error {
                notes.push(format!("Điểm KTĐK: {e}"));
            }
        }
        let _ = write!(
            body,
            r#"<td><textarea name="nx_{code}" rows="1" aria-label="Nhận xét của {name}"{}>{}</textarea></td>"#,
            invalid(r.comment_error),
            esc(&r.comment)
        );
        if let Some(e) = r.comment_error {
            notes.push(e.to_owned());
        }
        if !r.is_valid() {
            notes.insert(0, "Chưa lưu dòng này.".to_owned());
        }
        let _ = writeln!(
            body,
            r#"<td class="notes">{}</td></tr>"#,
            esc(&notes.join(" · "))
        );
    }
}

/// A typed test cell: empty is no test; otherwise an integer 1–10 (TT27 art. 7 §2).
fn parse_test(text: &str) -> Result<Option<u8>, &'static str> {
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 2 {
        return Err(TEST_INVALID);
    }
    let n: u8 = text.parse().map_err(|_| TEST_INVALID)?;
    tt27::TestScore::new(n).map_err(|_| TEST_INVALID)?;
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tt27_art7_test_scores_are_integers_1_to_10() {
        for ok in ["1", "7", "10", "09"] {
            assert!(parse_test(ok).unwrap().is_some(), "{ok}");
        }
        assert_eq!(parse_test(""), Ok(None));
        for bad in ["0", "11", "8.5", "8,5", "-1", "abc", "100"] {
            assert_eq!(parse_test(bad), Err(TEST_INVALID), "{bad}");
        }
    }
}
