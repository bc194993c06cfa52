//! "Nhập điểm": a subject teacher's score grid for one of their class × subject
//! assignments and one semester.
//!
//! Saving, precisely: every cell is parsed with `Score::from_str` (decimal comma
//! accepted). A student's row is saved only if **all** its cells are valid; a row with
//! an invalid cell keeps what was stored before, entirely, and comes back with the
//! invalid cells in red. The saved rows and their comments are written in one
//! transaction (`Store::save_subject_sheet_audited`), with one audit entry per cell
//! that changes, so a database failure saves nothing and logs nothing. Empty
//! regular cells are skipped (the scores that are filled keep their
//! order); a row with every score cell empty has no scores.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, Query, State};
use domain::catalogue::{self, Subject};
use domain::{AssessmentForm, Grade, Level, Score, ScoreError, tt22};
use serde::Deserialize;
use store::{
    Class, ClassId, ClassMember, School, ScoreSheetRow, Semester, SheetMarks, SubjectCode,
    semester_term,
};
use unicode_normalization::UnicodeNormalization;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Shown on a cell whose value is a number outside 0–10.
pub const OUT_OF_RANGE: &str = "Điểm phải từ 0 đến 10";
/// Shown on a cell that is not a number with at most one decimal.
pub const MALFORMED: &str =
    "Điểm không hợp lệ (điểm phải từ 0 đến 10, tối đa một chữ số thập phân)";
/// Shown on a comment longer than the store allows.
const COMMENT_TOO_LONG: &str = "Nhận xét tối đa 2000 kí tự";
/// Shown on a Đạt / Chưa đạt select with an unknown value.
const BAD_RESULT: &str = "Kết quả phải là Đạt hoặc Chưa đạt";
/// Longest comment, in characters (the store's CHECK).
const MAX_COMMENT_CHARS: usize = 2000;

/// `?hk=1` or `?hk=2` (default 1).
#[derive(Debug, Deserialize)]
pub struct SemesterQuery {
    hk: Option<String>,
}

/// `GET /scores`: the user's own assignments (class × subject), each with a link per
/// semester. Only subject teachers.
pub async fn assignments(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ListOwnAssignments).await?;
    let store = app.store();
    let mut rows = String::new();
    for a in store.assignments_of_teacher(user.teacher.id).await? {
        let class = store.class(a.class).await?;
        if class.school != user.teacher.school {
            continue;
        }
        // Primary classes (TT27) are assessed at four checkpoints on "Nhập đánh giá".
        let links = if level_of(&user.school, class.grade) == Level::Primary {
            format!(
                r#"<a href="/assessments/{id}/{code}?cp=gk1">Giữa HK I</a> · <a href="/assessments/{id}/{code}?cp=ck1">Cuối HK I</a> · <a href="/assessments/{id}/{code}?cp=gk2">Giữa HK II</a> · <a href="/assessments/{id}/{code}?cp=cn">Cuối năm</a>"#,
                id = class.id,
                code = esc(a.subject.as_str()),
            )
        } else {
            format!(
                r#"<a href="/scores/{id}/{code}?hk=1">Học kì I</a> · <a href="/scores/{id}/{code}?hk=2">Học kì II</a>"#,
                id = class.id,
                code = esc(a.subject.as_str()),
            )
        };
        let _ = write!(
            rows,
            r#"<tr><td>{class}</td><td>{grade}</td><td>{year}</td><td>{subject}</td>
<td>{links}</td></tr>"#,
            class = esc(&class.name),
            grade = class.grade,
            year = class.year,
            subject = esc(&subject_name(&a.subject)),
        );
    }
    let body = if rows.is_empty() {
        "<p>Bạn chưa được phân công giảng dạy lớp nào.</p>".to_owned()
    } else {
        format!(
            r#"<p>Chọn lớp và môn bạn được phân công:</p>
<table class="list"><thead><tr><th>Lớp</th><th>Khối</th><th>Năm học</th><th>Môn học</th><th>Học kì</th></tr></thead>
<tbody>{rows}</tbody></table>"#
        )
    };
    Ok(page(&user, app.config().demo, "Nhập điểm", &body))
}

/// `GET /scores/{class}/{subject}?hk=N`: the grid, with what is stored.
pub async fn sheet(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<SemesterQuery>,
) -> Result<Page, AppError> {
    let sheet = Sheet::load(&app, &user, &class, &subject, &q).await?;
    let rows = match &sheet.kind {
        Kind::Primary => Vec::new(),
        _ => sheet.stored_rows(&app).await?,
    };
    Ok(sheet.render(&app, &user, &rows, None))
}

/// `POST /scores/{class}/{subject}?hk=N`: validates every cell, saves the valid rows
/// (see the module doc) and shows the grid again with the invalid cells marked.
pub async fn save_sheet(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<SemesterQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Page, AppError> {
    let sheet = Sheet::load(&app, &user, &class, &subject, &q).await?;
    if matches!(sheet.kind, Kind::Primary) {
        return Err(AppError::BadRequest(
            "Lớp tiểu học được đánh giá theo Thông tư 27: hãy nhập ở \"Nhập đánh giá\".".to_owned(),
        ));
    }
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    // A locked student's row in the form: refuse the whole form, nothing saved.
    if let Some(code) = crate::workflow::locked_in_form(fields.keys(), &sheet.locked) {
        let name = sheet
            .members
            .iter()
            .find(|m| m.student.code.as_str() == code)
            .map_or(code.clone(), |m| m.student.full_name.clone());
        return Err(AppError::Conflict(crate::workflow::locked_message(&name)));
    }
    let stored = sheet.stored_rows(&app).await?;
    let mut shown = Vec::with_capacity(stored.len());
    let mut scores = Vec::new();
    let mut results = Vec::new();
    let mut comments = Vec::new();
    let (mut saved, mut refused) = (0usize, 0usize);
    for old in stored {
        if sheet.locked.contains(old.member.student.code.as_str()) {
            // Kept exactly as stored: the sheet is replaced whole.
            match &sheet.kind {
                Kind::Scored { .. } => scores.extend(old.score_row()),
                Kind::Commented => {
                    if let Some(passed) = old.passed {
                        results.push((old.member.student.code.clone(), passed));
                    }
                }
                Kind::Primary => {}
            }
            shown.push(old);
            continue;
        }
        let new = sheet.parse_row(&old, &fields);
        if new.is_valid() {
            saved += 1;
            match &sheet.kind {
                Kind::Scored { .. } => {
                    if let Some(row) = new.score_row() {
                        scores.push(row);
                    }
                }
                Kind::Commented => {
                    if let Some(passed) = new.passed {
                        results.push((new.member.student.code.clone(), passed));
                    }
                }
                Kind::Primary => {}
            }
            if new.comment != old.comment {
                comments.push((new.member.student.code.clone(), new.comment.clone()));
            }
            shown.push(new.normalised());
        } else {
            refused += 1;
            match &sheet.kind {
                Kind::Scored { .. } => scores.extend(old.score_row()),
                Kind::Commented => {
                    if let Some(passed) = old.passed {
                        results.push((old.member.student.code.clone(), passed));
                    }
                }
                Kind::Primary => {}
            }
            shown.push(new);
        }
    }
    let marks = match &sheet.kind {
        Kind::Commented => SheetMarks::Results(&results),
        _ => SheetMarks::Scores(&scores),
    };
    app.store()
        .save_subject_sheet_audited(
            sheet.class.id,
            &sheet.subject,
            sheet.semester,
            marks,
            &comments,
            &crate::history::stamp(&user),
        )
        .await
        .map_err(|e| crate::summary::locked_error(e, &sheet.members))?;
    tracing::info!(
        teacher = %user.teacher.username,
        class = %sheet.class.id,
        subject = %sheet.subject,
        semester = sheet.semester.number(),
        saved,
        refused,
        "score sheet saved"
    );
    let notice = saved_notice("điểm", saved, refused);
    Ok(sheet.render(&app, &user, &shown, Some(&notice)))
}

/// The notice after saving a grid: how many rows were saved, and, when some were not,
/// that their red cells kept the whole row unchanged (a row saves whole or not at all).
/// `what` names what was saved ("điểm", "đánh giá").
pub(crate) fn saved_notice(what: &str, saved: usize, refused: usize) -> String {
    if refused == 0 {
        format!(r#"<p class="ok">Đã lưu {what} của {saved} học sinh.</p>"#)
    } else {
        format!(
            r#"<p class="error-message">Đã lưu {saved} học sinh. <strong>{refused} học sinh chưa được lưu</strong> vì có ô không hợp lệ (tô đỏ): cả dòng của các học sinh này giữ nguyên như trước khi lưu. Sửa các ô đỏ rồi bấm "Lưu" lần nữa.</p>"#
        )
    }
}

/// How the subject is entered.
pub(crate) enum Kind {
    /// Scores: `columns` regular-score inputs; `expected` the accepted counts (catalogue).
    Scored {
        columns: usize,
        expected: Vec<usize>,
    },
    /// Đạt / Chưa đạt per semester.
    Commented,
    /// A primary class (TT27): not entered here in this version.
    Primary,
}

/// One grid: a class × subject × semester the user may enter.
struct Sheet {
    class: Class,
    subject: SubjectCode,
    semester: Semester,
    kind: Kind,
    members: Vec<ClassMember>,
    /// Students whose record is being signed or signed: shown read-only, never saved.
    locked: std::collections::HashSet<String>,
}

/// One student's line as stored or as typed, with per-cell errors.
#[derive(Clone)]
struct RowView {
    member: ClassMember,
    regular: Vec<Cell>,
    midterm: Cell,
    final_exam: Cell,
    passed: Option<bool>,
    passed_text: String,
    passed_error: Option<&'static str>,
    comment: String,
    comment_error: Option<&'static str>,
}

#[derive(Clone, Default)]
struct Cell {
    text: String,
    score: Option<Score>,
    error: Option<&'static str>,
}

impl Cell {
    fn stored(score: Option<Score>) -> Cell {
        Cell {
            text: score.map(show_score).unwrap_or_default(),
            score,
            error: None,
        }
    }

    fn typed(text: &str) -> Cell {
        let t = text.trim();
        if t.is_empty() {
            return Cell::default();
        }
        match t.parse::<Score>() {
            Ok(s) => Cell {
                text: t.to_owned(),
                score: Some(s),
                error: None,
            },
            Err(e) => Cell {
                text: t.to_owned(),
                score: None,
                error: Some(match e {
                    ScoreError::OutOfRange(_) => OUT_OF_RANGE,
                    _ => MALFORMED,
                }),
            },
        }
    }
}

impl RowView {
    fn is_valid(&self) -> bool {
        self.regular.iter().all(|c| c.error.is_none())
            && self.midterm.error.is_none()
            && self.final_exam.error.is_none()
            && self.passed_error.is_none()
            && self.comment_error.is_none()
    }

    /// The row to store, or `None` when every score cell is empty.
    fn score_row(&self) -> Option<ScoreSheetRow> {
        let regular: Vec<Score> = self.regular.iter().filter_map(|c| c.score).collect();
        if regular.is_empty() && self.midterm.score.is_none() && self.final_exam.score.is_none() {
            return None;
        }
        Some(ScoreSheetRow {
            student: self.member.student.code.clone(),
            regular,
            midterm: self.midterm.score,
            final_exam: self.final_exam.score,
        })
    }

    /// The row as it reads back after saving: regular scores closed up, numbers in the
    /// stored format.
    fn normalised(mut self) -> RowView {
        let columns = self.regular.len();
        let mut regular: Vec<Cell> = self
            .regular
            .iter()
            .filter(|c| c.score.is_some())
            .map(|c| Cell::stored(c.score))
            .collect();
        regular.resize(columns, Cell::default());
        self.regular = regular;
        self.midterm = Cell::stored(self.midterm.score);
        self.final_exam = Cell::stored(self.final_exam.score);
        self
    }

    /// ĐTBmhk (TT22 art. 9 §2a) when the row has regular, mid-term and final scores.
    fn average(&self) -> Option<domain::Tenths> {
        let regular: Vec<Score> = self.regular.iter().filter_map(|c| c.score).collect();
        match (self.midterm.score, self.final_exam.score) {
            (Some(midterm), Some(final_term)) if !regular.is_empty() && self.is_valid() => {
                Some(tt22::semester_average(&tt22::SemesterScores {
                    regular,
                    midterm,
                    final_term,
                }))
            }
            _ => None,
        }
    }
}

impl Sheet {
    /// Parses the address, checks the permission, and loads the class list.
    async fn load(
        app: &AppState,
        user: &CurrentUser,
        class: &str,
        subject: &str,
        q: &SemesterQuery,
    ) -> Result<Sheet, AppError> {
        let class_id = ClassId(class.parse().map_err(|_| AppError::NotFound)?);
        let subject: SubjectCode = subject.parse().map_err(|_| AppError::NotFound)?;
        let semester = match q.hk.as_deref() {
            None | Some("1") => Semester::First,
            Some("2") => Semester::Second,
            Some(_) => {
                return Err(AppError::BadRequest("Học kì phải là 1 hoặc 2.".to_owned()));
            }
        };
        let grant = require(
            app.store(),
            user,
            Permission::EnterScores {
                class: class_id,
                subject: &subject,
            },
        )
        .await?;
        let class = match grant.class {
            Some(c) => c,
            None => app.store().class(class_id).await?,
        };
        let members = app.store().class_members(class_id).await?;
        let kind = kind(&user.school, class.grade, &subject);
        let locked = crate::workflow::locked_set(app, class_id).await?;
        Ok(Sheet {
            class,
            subject,
            semester,
            kind,
            members,
            locked,
        })
    }

    /// Every member's row as stored.
    async fn stored_rows(&self, app: &AppState) -> Result<Vec<RowView>, AppError> {
        let store = app.store();
        let scores: HashMap<String, ScoreSheetRow> = match self.kind {
            Kind::Scored { .. } => store
                .score_sheet(self.class.id, &self.subject, self.semester)
                .await?
                .into_iter()
                .map(|r| (r.student.as_str().to_owned(), r))
                .collect(),
            _ => HashMap::new(),
        };
        let results: HashMap<String, bool> = match self.kind {
            Kind::Commented => store
                .comment_sheet(self.class.id, &self.subject, self.semester)
                .await?
                .into_iter()
                .map(|(s, p)| (s.as_str().to_owned(), p))
                .collect(),
            _ => HashMap::new(),
        };
        let comments: HashMap<String, String> = store
            .subject_comment_sheet(self.class.id, &self.subject, semester_term(self.semester))
            .await?
            .into_iter()
            .map(|(s, b)| (s.as_str().to_owned(), b))
            .collect();
        let columns = self.columns(scores.values().map(|r| r.regular.len()).max());
        Ok(self
            .members
            .iter()
            .map(|m| {
                let code = m.student.code.as_str();
                let row = scores.get(code);
                let mut regular: Vec<Cell> = row
                    .map(|r| r.regular.iter().map(|s| Cell::stored(Some(*s))).collect())
                    .unwrap_or_default();
                regular.resize(columns, Cell::default());
                let passed = results.get(code).copied();
                RowView {
                    member: m.clone(),
                    regular,
                    midterm: Cell::stored(row.and_then(|r| r.midterm)),
                    final_exam: Cell::stored(row.and_then(|r| r.final_exam)),
                    passed,
                    passed_text: passed_code(passed).to_owned(),
                    passed_error: None,
                    comment: comments.get(code).cloned().unwrap_or_default(),
                    comment_error: None,
                }
            })
            .collect())
    }

    /// The number of regular-score columns: the catalogue's count (with chuyên đề when
    /// the subject has them), widened to what is already stored.
    fn columns(&self, stored_max: Option<usize>) -> usize {
        let base = match &self.kind {
            Kind::Scored { columns, .. } => *columns,
            _ => 0,
        };
        base.max(stored_max.unwrap_or(0))
            .min(store::MAX_REGULAR_SCORES)
    }

    /// The row as typed in the form, cell by cell.
    fn parse_row(&self, old: &RowView, fields: &HashMap<String, String>) -> RowView {
        let code = old.member.student.code.as_str();
        let get = |name: String| fields.get(&name).map(String::as_str).unwrap_or("");
        let regular = (1..=old.regular.len())
            .map(|i| Cell::typed(get(format!("tx_{code}_{i}"))))
            .collect();
        let passed_text = get(format!("kq_{code}")).to_owned();
        let (passed, passed_error) = match passed_text.as_str() {
            "" => (None, None),
            "dat" => (Some(true), None),
            "chua_dat" => (Some(false), None),
            _ => (None, Some(BAD_RESULT)),
        };
        let comment: String = get(format!("nx_{code}")).trim().nfc().collect();
        let comment_error =
            (comment.chars().count() > MAX_COMMENT_CHARS).then_some(COMMENT_TOO_LONG);
        RowView {
            member: old.member.clone(),
            regular,
            midterm: Cell::typed(get(format!("gk_{code}"))),
            final_exam: Cell::typed(get(format!("ck_{code}"))),
            passed,
            passed_text,
            passed_error,
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
            "Nhập điểm — {} — Lớp {} — Học kì {}",
            subject_name(&self.subject),
            self.class.name,
            roman(self.semester)
        );
        let mut body = String::new();
        let other = match self.semester {
            Semester::First => 2,
            Semester::Second => 1,
        };
        let _ = write!(
            body,
            r#"<p class="tabs"><a href="/scores">← Danh sách lớp, môn</a> · <a href="/scores/{id}/{code}?hk=1"{a1}>Học kì I</a> · <a href="/scores/{id}/{code}?hk=2"{a2}>Học kì II</a></p>"#,
            id = self.class.id,
            code = esc(self.subject.as_str()),
            a1 = if other == 2 {
                r#" class="current""#
            } else {
                ""
            },
            a2 = if other == 1 {
                r#" class="current""#
            } else {
                ""
            },
        );
        if !matches!(self.kind, Kind::Primary) {
            let _ = write!(
                body,
                r#"<p class="tabs"><a href="/scores/{id}/{code}/export?hk={hk}">Xuất Excel</a> · <a href="/scores/{id}/{code}/import?hk={hk}">Nhập từ Excel</a></p>"#,
                id = self.class.id,
                code = esc(self.subject.as_str()),
                hk = self.semester.number(),
            );
        }
        if let Some(n) = notice {
            body.push_str(n);
        }
        match &self.kind {
            Kind::Primary => {
                body.push_str(
                    "<p>Lớp tiểu học được đánh giá theo Thông tư 27 (mức đạt được, bài kiểm tra định kì, nhận xét) trong \"Nhập đánh giá\": chọn thời điểm đánh giá ở danh sách lớp, môn.</p>",
                );
            }
            Kind::Scored { expected, .. } => {
                let counts: Vec<String> = expected.iter().map(usize::to_string).collect();
                let _ = write!(
                    body,
                    r#"<p class="help">Gõ điểm từ 0 đến 10, tối đa một chữ số thập phân (8,5 hoặc 8.5). Tab / Enter để sang ô kế tiếp. Số điểm đánh giá thường xuyên (ĐĐGtx) mỗi học kì theo chương trình: {}. <strong>Khi lưu, một học sinh chỉ được lưu khi mọi ô trên dòng đều hợp lệ</strong>; dòng có ô sai (tô đỏ) giữ nguyên như trước, các dòng khác vẫn được lưu. ĐTBmhk = (tổng ĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5) (Thông tư 22, Điều 9).</p>"#,
                    esc(&counts.join(" hoặc "))
                );
                self.render_table(&mut body, user, rows);
            }
            Kind::Commented => {
                body.push_str(
                    r#"<p class="help">Môn đánh giá bằng nhận xét: chọn Đạt hoặc Chưa đạt cho học kì. <strong>Một học sinh chỉ được lưu khi mọi ô trên dòng đều hợp lệ</strong>; các dòng khác vẫn được lưu.</p>"#,
                );
                self.render_table(&mut body, user, rows);
            }
        }
        page(user, app.config().demo, &title, &body)
    }

    fn render_table(&self, body: &mut String, user: &CurrentUser, rows: &[RowView]) {
        let columns = rows.first().map_or(0, |r| r.regular.len());
        let scored = matches!(self.kind, Kind::Scored { .. });
        let _ = write!(
            body,
            r#"<form method="post" action="/scores/{id}/{code}?hk={hk}">{csrf}
<table class="grid" id="grid"><thead><tr><th>STT</th><th>Họ và tên</th>"#,
            id = self.class.id,
            code = esc(self.subject.as_str()),
            hk = self.semester.number(),
            csrf = csrf_field(&user.session.csrf_token),
        );
        if scored {
            for i in 1..=columns {
                let _ = write!(body, "<th>ĐĐGtx {i}</th>");
            }
            body.push_str("<th>ĐĐGgk</th><th>ĐĐGck</th><th>ĐTBmhk</th>");
        } else {
            body.push_str("<th>Kết quả</th>");
        }
        body.push_str("<th>Nhận xét</th><th>Ghi chú</th></tr></thead><tbody>\n");
        for r in rows {
            let code = r.member.student.code.as_str();
            let name = esc(&r.member.student.full_name);
            if self.locked.contains(code) {
                let mut cells: Vec<String> = Vec::new();
                if scored {
                    cells.extend(r.regular.iter().map(|c| esc(&c.text)));
                    cells.push(esc(&r.midterm.text));
                    cells.push(esc(&r.final_exam.text));
                    cells.push(r.average().map(crate::html::tenths).unwrap_or_default());
                } else {
                    cells.push(esc(&r.passed_text));
                }
                cells.push(esc(&r.comment));
                let _ = write!(
                    body,
                    r#"<tr class="locked" data-student="{}"><td>{}</td><td class="name">{name}</td>"#,
                    esc(code),
                    r.member.roll_no
                );
                for c in cells {
                    let _ = write!(body, "<td>{c}</td>");
                }
                let _ = writeln!(
                    body,
                    r#"<td class="notes">Học bạ đã khóa (đang ký hoặc đã ký): không sửa được.</td></tr>"#
                );
                continue;
            }
            let mut notes: Vec<String> = Vec::new();
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
            if scored {
                for (i, c) in r.regular.iter().enumerate() {
                    let label = format!("ĐĐGtx {}", i + 1);
                    score_input(body, &format!("tx_{code}_{}", i + 1), c, &label, &name);
                    if let Some(e) = c.error {
                        notes.push(format!("{label}: {e}"));
                    }
                }
                for (field, c, label) in
                    [("gk", &r.midterm, "ĐĐGgk"), ("ck", &r.final_exam, "ĐĐGck")]
                {
                    score_input(body, &format!("{field}_{code}"), c, label, &name);
                    if let Some(e) = c.error {
                        notes.push(format!("{label}: {e}"));
                    }
                }
                let avg = r.average().map(crate::html::tenths).unwrap_or_default();
                let _ = write!(body, r#"<td class="avg"><output>{avg}</output></td>"#);
                if let Kind::Scored { expected, .. } = &self.kind {
                    let n = r.regular.iter().filter(|c| c.score.is_some()).count();
                    if n > 0 && r.is_valid() && !expected.contains(&n) {
                        notes.push(format!(
                            "Có {n} ĐĐGtx; chương trình yêu cầu {}",
                            expected
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(" hoặc ")
                        ));
                    }
                }
            } else {
                let opt = |value: &str, label: &str| {
                    let selected = if r.passed_text == value {
                        " selected"
                    } else {
                        ""
                    };
                    format!(r#"<option value="{value}"{selected}>{label}</option>"#)
                };
                let invalid = if r.passed_error.is_some() {
                    r#" class="invalid" aria-invalid="true""#
                } else {
                    ""
                };
                let _ = write!(
                    body,
                    r#"<td><select name="kq_{code}" aria-label="Kết quả của {name}"{invalid}>{}{}{}</select></td>"#,
                    opt("", "—"),
                    opt("dat", "Đạt"),
                    opt("chua_dat", "Chưa đạt"),
                );
                if let Some(e) = r.passed_error {
                    notes.push(e.to_owned());
                }
            }
            let invalid = if r.comment_error.is_some() {
                r#" class="invalid" aria-invalid="true""#
            } else {
                ""
            };
            let _ = write!(
                body,
                r#"<td><textarea name="nx_{code}" rows="1" aria-label="Nhận xét của {name}"{invalid}>{}</textarea></td>"#,
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
        body.push_str(r#"</tbody></table><p><button type="submit">Lưu</button></p></form>"#);
    }
}

fn score_input(body: &mut String, name: &str, cell: &Cell, label: &str, student: &str) {
    let (class, extra) = match cell.error {
        Some(e) => (
            "score invalid",
            format!(r#" aria-invalid="true" title="{}""#, esc(e)),
        ),
        None => ("score", String::new()),
    };
    let _ = write!(
        body,
        r#"<td><input name="{name}" value="{value}" class="{class}" inputmode="decimal" autocomplete="off" size="4" aria-label="{label} của {student}"{extra}></td>"#,
        value = esc(&cell.text),
    );
}

/// How `subject` is entered in a class of `grade` at `school`.
pub(crate) fn kind(school: &School, grade: Grade, subject: &SubjectCode) -> Kind {
    let level = level_of(school, grade);
    if level == Level::Primary {
        return Kind::Primary;
    }
    let known = Subject::from_code(subject.as_str());
    let offering = known.and_then(|s| catalogue::offering(level, grade, s));
    let form = offering
        .map(|o| o.form)
        .or_else(|| known.and_then(Subject::secondary_form))
        .unwrap_or(AssessmentForm::Score);
    match form {
        AssessmentForm::Comment => Kind::Commented,
        _ => {
            let mut expected = Vec::new();
            if let Some(o) = offering {
                expected.push(usize::from(o.regular_assessments()));
                expected.extend(o.regular_assessments_with_topics().map(usize::from));
            }
            let columns = expected.iter().copied().max().unwrap_or(2);
            Kind::Scored { columns, expected }
        }
    }
}

/// The level whose rules assess a class: GDTX schools use TT43 for every grade, others
/// the grade's general-education level.
pub fn level_of(school: &School, grade: Grade) -> Level {
    if school.levels.contains(&Level::Continuing) && grade.get() >= 6 {
        Level::Continuing
    } else {
        grade.school_level()
    }
}

/// The Vietnamese subject name from the catalogue, or the code for subjects outside it.
pub fn subject_name(code: &SubjectCode) -> String {
    Subject::from_code(code.as_str())
        .map_or_else(|| code.as_str().to_owned(), |s| s.name_vi().to_owned())
}

pub(crate) fn roman(semester: Semester) -> &'static str {
    match semester {
        Semester::First => "I",
        Semester::Second => "II",
    }
}

fn passed_code(passed: Option<bool>) -> &'static str {
    match passed {
        None => "",
        Some(true) => "dat",
        Some(false) => "chua_dat",
    }
}

/// A stored score as shown in a cell: `8,5`, `10`, `7` (no trailing `,0`).
fn show_score(s: Score) -> String {
    let t = s.tenths();
    if t.is_multiple_of(10) {
        (t / 10).to_string()
    } else {
        format!("{},{}", t / 10, t % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_say_why_they_are_invalid() {
        assert_eq!(Cell::typed("11").error, Some(OUT_OF_RANGE));
        assert_eq!(Cell::typed("8,5,").error, Some(MALFORMED));
        assert_eq!(Cell::typed("abc").error, Some(MALFORMED));
        assert_eq!(Cell::typed(" 8,5 ").score, Some("8.5".parse().unwrap()));
        assert!(Cell::typed("").score.is_none() && Cell::typed("").error.is_none());
    }

    #[test]
    fn stored_scores_show_with_the_decimal_comma() {
        assert_eq!(show_score("8.5".parse().unwrap()), "8,5");
        assert_eq!(show_score("10".parse().unwrap()), "10");
    }
}
