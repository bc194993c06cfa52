//! "Xuất Excel" and "Nhập từ Excel" of the score grid (story 6): one class × subject ×
//! semester, one row per student in roll order.
//!
//! Layout (what the export writes and the import reads): a title line naming subject,
//! class, semester and year; the school; a help line; then the header row
//! `STT | Mã học sinh | Họ và tên | ĐĐGtx 1 … ĐĐGtx n | ĐĐGgk | ĐĐGck | ĐTBmhk | Nhận xét`
//! (`Kết quả` instead of the scores for a subject assessed by comment). Only the score,
//! result and comment cells are editable; ĐTBmhk is computed and read-only.
//!
//! The import finds the header row by its "Mã học sinh" cell and the columns by their
//! header, so an extra column or a moved one does not matter. It checks **every** row
//! and writes **nothing** unless all are valid: a score outside 0–10 ("Điểm phải từ 0
//! đến 10"), a malformed score, a code not in the class, a name that does not match the
//! class list, a student twice, more ĐĐGtx than the programme allows — or, once the
//! final score (ĐĐGck) is in, a number of ĐĐGtx the programme does not accept. A title
//! naming another class, subject or semester refuses the whole file. The valid sheet is
//! saved with `Store::save_subject_sheet_audited`, as the grid saves (one audit entry
//! per changed cell); students of the class who are not in the file keep what is
//! stored, and a student whose record is locked (being signed or signed) may appear
//! only unchanged.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::{Score, ScoreError, Tenths, tt22};
use rust_xlsxwriter::{Color, Format, FormatAlign, ProtectionOptions, Workbook};
use serde::Deserialize;
use store::{
    Class, ClassId, ClassMember, ScoreSheetRow, Semester, SheetMarks, SubjectCode, semester_term,
};

use super::read::{self, Row, Value, header_key};
use super::{upload, upload_form, xlsx_download, xlsx_error};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::grades::{Kind, MALFORMED, OUT_OF_RANGE, kind, roman, subject_name};
use crate::html::{Page, esc, page};
use crate::permission::{Permission, require};

/// Rows read at most from a score sheet (a class has at most 999 students).
const MAX_SHEET_ROWS: usize = 1_100;
/// Shown on a changed row of a student whose record is locked.
const LOCKED: &str = "Học bạ của học sinh này đã khóa (đang ký hoặc đã ký): không sửa được điểm";
/// Longest comment, in characters (the store's CHECK).
const MAX_COMMENT_CHARS: usize = 2000;

/// `?hk=1` or `?hk=2` (default 1).
#[derive(Debug, Deserialize)]
pub struct SemesterQuery {
    hk: Option<String>,
}

/// `GET /scores/{class}/{subject}/export?hk=N`: the sheet as .xlsx.
pub async fn export(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<SemesterQuery>,
) -> Result<Response, AppError> {
    let t = Target::load(&app, &user, &class, &subject, &q).await?;
    let stored = t.stored(&app).await?;
    let bytes = t.workbook(&user, &stored).map_err(xlsx_error)?;
    tracing::info!(
        teacher = %user.teacher.username,
        class = %t.class.id,
        subject = %t.subject,
        semester = t.semester.number(),
        "score sheet exported"
    );
    let name = format!(
        "Bảng điểm {} {} HK{}.xlsx",
        subject_name(&t.subject),
        t.class.name,
        t.semester.number()
    );
    Ok(xlsx_download(&name, bytes))
}

/// `GET /scores/{class}/{subject}/import?hk=N`: the upload form.
pub async fn import_page(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<SemesterQuery>,
) -> Result<Page, AppError> {
    let t = Target::load(&app, &user, &class, &subject, &q).await?;
    Ok(t.page(&app, &user, StatusCode::OK, ""))
}

/// `POST /scores/{class}/{subject}/import?hk=N` (multipart, field `file`): checks every
/// row; saves the whole sheet only when all rows are valid.
pub async fn import(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<SemesterQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Page, AppError> {
    let t = Target::load(&app, &user, &class, &subject, &q).await?;
    let up = upload(&headers, &body)?;
    let refused = |message: String| {
        t.page(
            &app,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                r#"<p class="error-message">{} <strong>Không có gì được lưu.</strong></p>"#,
                esc(&message)
            ),
        )
    };
    let rows = match read::first_sheet(up.bytes, MAX_SHEET_ROWS).await {
        Ok(rows) => rows,
        Err(e) => return Ok(refused(e.to_string())),
    };
    let stored = t.stored(&app).await?;
    let checked = match t.check(&rows, &stored) {
        Ok(c) => c,
        Err(Refusal::File(message)) => return Ok(refused(message)),
        Err(Refusal::Rows(findings)) => {
            let mut html = format!(
                r#"<p class="error-message">Tệp «{}» có <strong>{} dòng sai</strong>. <strong>Không có gì được lưu.</strong> Sửa các dòng dưới đây trong tệp rồi tải lên lại.</p>
<table class="list"><thead><tr><th>Dòng</th><th>Mã học sinh</th><th>Họ và tên</th><th>Lỗi</th></tr></thead><tbody>"#,
                esc(&up.filename),
                findings.len()
            );
            for f in &findings {
                let _ = write!(
                    html,
                    r#"<tr class="invalid-row"><td>Dòng {}</td><td>{}</td><td>{}</td><td class="notes">{}</td></tr>"#,
                    f.row,
                    esc(&f.code),
                    esc(&f.name),
                    esc(&f.errors.join(" · "))
                );
            }
            html.push_str("</tbody></table>");
            return Ok(t.page(&app, &user, StatusCode::UNPROCESSABLE_ENTITY, &html));
        }
    };
    let (saved, kept) = t.save(&app, &user, &stored, &checked).await?;
    tracing::info!(
        teacher = %user.teacher.username,
        class = %t.class.id,
        subject = %t.subject,
        semester = t.semester.number(),
        saved,
        kept,
        "score sheet imported"
    );
    let mut notice = format!(
        r#"<p class="ok">Đã nhập điểm của {saved} học sinh từ tệp «{}».</p>"#,
        esc(&up.filename)
    );
    if kept > 0 {
        let _ = write!(
            notice,
            r#"<p class="help">{kept} học sinh của lớp không có trong tệp: giữ nguyên điểm đã lưu.</p>"#
        );
    }
    Ok(t.page(&app, &user, StatusCode::OK, &notice))
}

/// The sheet a request is about, after the permission check.
struct Target {
    class: Class,
    subject: SubjectCode,
    semester: Semester,
    kind: Kind,
    members: Vec<ClassMember>,
    /// Students whose record is being signed or signed: their marks cannot change.
    locked: HashSet<String>,
}

/// What is stored for the sheet, by student code.
struct Stored {
    scores: HashMap<String, ScoreSheetRow>,
    results: HashMap<String, bool>,
    comments: HashMap<String, String>,
}

impl Stored {
    /// Whether a row read from the file says what is stored for `m`.
    fn unchanged(
        &self,
        m: &ClassMember,
        regular: &[Score],
        midterm: Option<Score>,
        final_exam: Option<Score>,
        passed: Option<bool>,
        comment: &str,
    ) -> bool {
        let code = m.student.code.as_str();
        let row = self.scores.get(code);
        row.map_or(&[][..], |r| r.regular.as_slice()) == regular
            && row.and_then(|r| r.midterm) == midterm
            && row.and_then(|r| r.final_exam) == final_exam
            && self.results.get(code).copied() == passed
            && self.comments.get(code).map_or("", String::as_str) == comment
    }
}

/// One student's line read from the file.
struct FileRow {
    member: ClassMember,
    regular: Vec<Score>,
    midterm: Option<Score>,
    final_exam: Option<Score>,
    passed: Option<bool>,
    comment: String,
}

/// A wrong row: its number in the file and every reason.
struct Finding {
    row: u32,
    code: String,
    name: String,
    errors: Vec<String>,
}

enum Refusal {
    /// The file as a whole (wrong sheet, no header row, …).
    File(String),
    /// Some rows.
    Rows(Vec<Finding>),
}

/// Where each column is.
struct Columns {
    header_row: usize,
    code: usize,
    name: Option<usize>,
    regular: Vec<usize>,
    midterm: Option<usize>,
    final_exam: Option<usize>,
    result: Option<usize>,
    comment: Option<usize>,
}

impl Target {
    /// Parses the address, checks the permission (the grid's own: the assigned subject
    /// teacher only), and loads the class list.
    async fn load(
        app: &AppState,
        user: &CurrentUser,
        class: &str,
        subject: &str,
        q: &SemesterQuery,
    ) -> Result<Target, AppError> {
        let class_id = ClassId(class.parse().map_err(|_| AppError::NotFound)?);
        let subject: SubjectCode = subject.parse().map_err(|_| AppError::NotFound)?;
        let grant = require(
            app.store(),
            user,
            Permission::EnterScores {
                class: class_id,
                subject: &subject,
            },
        )
        .await?;
        let semester = match q.hk.as_deref() {
            None | Some("1") => Semester::First,
            Some("2") => Semester::Second,
            Some(_) => {
                return Err(AppError::BadRequest("Học kì phải là 1 hoặc 2.".to_owned()));
            }
        };
        let class = match grant.class {
            Some(c) => c,
            None => app.store().class(class_id).await?,
        };
        let kind = kind(&user.school, class.grade, &subject);
        if matches!(kind, Kind::Primary) {
            return Err(AppError::BadRequest(
                "Lớp tiểu học được đánh giá theo Thông tư 27; bảng điểm Excel này chưa hỗ trợ."
                    .to_owned(),
            ));
        }
        let members = app.store().class_members(class_id).await?;
        let locked = crate::workflow::locked_set(app, class_id).await?;
        Ok(Target {
            class,
            subject,
            semester,
            kind,
            members,
            locked,
        })
    }

    fn scored(&self) -> bool {
        matches!(self.kind, Kind::Scored { .. })
    }

    async fn stored(&self, app: &AppState) -> Result<Stored, AppError> {
        let store = app.store();
        let scores = if self.scored() {
            store
                .score_sheet(self.class.id, &self.subject, self.semester)
                .await?
                .into_iter()
                .map(|r| (r.student.as_str().to_owned(), r))
                .collect()
        } else {
            HashMap::new()
        };
        let results = if self.scored() {
            HashMap::new()
        } else {
            store
                .comment_sheet(self.class.id, &self.subject, self.semester)
                .await?
                .into_iter()
                .map(|(s, p)| (s.as_str().to_owned(), p))
                .collect()
        };
        let comments = store
            .subject_comment_sheet(self.class.id, &self.subject, semester_term(self.semester))
            .await?
            .into_iter()
            .map(|(s, b)| (s.as_str().to_owned(), b))
            .collect();
        Ok(Stored {
            scores,
            results,
            comments,
        })
    }

    /// "BẢNG ĐIỂM MÔN Toán — LỚP 6A1 — HỌC KÌ I — NĂM HỌC 2025-2026": the export's first
    /// line, which the import compares.
    fn title(&self) -> String {
        format!(
            "BẢNG ĐIỂM MÔN {} — LỚP {} — HỌC KÌ {} — NĂM HỌC {}",
            subject_name(&self.subject),
            self.class.name,
            roman(self.semester),
            self.class.year
        )
    }

    fn base_path(&self) -> String {
        format!("/scores/{}/{}", self.class.id, self.subject.as_str())
    }

    /// The import page with `notice` (HTML) above the form.
    fn page(&self, app: &AppState, user: &CurrentUser, status: StatusCode, notice: &str) -> Page {
        let hk = self.semester.number();
        let base = self.base_path();
        let title = format!(
            "Nhập từ Excel — {} — Lớp {} — Học kì {}",
            subject_name(&self.subject),
            self.class.name,
            roman(self.semester)
        );
        let body = format!(
            r#"<p class="tabs"><a href="{base}?hk={hk}">← Bảng nhập điểm</a> · <a href="{base}/export?hk={hk}">Xuất Excel</a></p>
{notice}
<p class="help">Tải lên bảng điểm đã xuất bằng nút "Xuất Excel" của lớp, môn và học kì này (cùng bố cục: mỗi học sinh một dòng, cột Mã học sinh, Họ và tên, ĐĐGtx, ĐĐGgk, ĐĐGck, Nhận xét). Điểm từ 0 đến 10, tối đa một chữ số thập phân. <strong>Mọi dòng được kiểm tra trước; nếu có một dòng sai thì không có gì được lưu</strong> và các dòng sai được liệt kê theo số dòng trong tệp. Học sinh không có trong tệp giữ nguyên điểm đã lưu.</p>
{form}"#,
            base = esc(&base),
            form = upload_form(
                &format!("{base}/import?hk={hk}"),
                &user.session.csrf_token,
                "Tải lên và nhập điểm"
            ),
        );
        let mut p = page(user, app.config().demo, &title, &body);
        p.status = status;
        p
    }

    /// The number of ĐĐGtx columns: the programme's count, widened to what is stored.
    fn regular_columns(&self, stored: &Stored) -> usize {
        let base = match &self.kind {
            Kind::Scored { columns, .. } => *columns,
            _ => 0,
        };
        let stored_max = stored
            .scores
            .values()
            .map(|r| r.regular.len())
            .max()
            .unwrap_or(0);
        base.max(stored_max).min(store::MAX_REGULAR_SCORES)
    }

    fn workbook(
        &self,
        user: &CurrentUser,
        stored: &Stored,
    ) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let scored = self.scored();
        let n = if scored {
            self.regular_columns(stored)
        } else {
            0
        };
        let mut headers: Vec<String> = vec!["STT".into(), "Mã học sinh".into(), "Họ và tên".into()];
        if scored {
            headers.extend((1..=n).map(|i| format!("ĐĐGtx {i}")));
            headers.extend(["ĐĐGgk", "ĐĐGck", "ĐTBmhk"].map(String::from));
        } else {
            headers.push("Kết quả".into());
        }
        headers.push("Nhận xét".into());
        let last = (headers.len() - 1) as u16;

        let bold = Format::new().set_bold();
        let header = Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(rust_xlsxwriter::FormatBorder::Thin);
        let locked = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);
        let input = Format::new()
            .set_unlocked()
            .set_border(rust_xlsxwriter::FormatBorder::Thin);
        let text_input = input.clone().set_num_format("@").set_text_wrap();
        let computed = Format::new()
            .set_num_format("0.0")
            .set_background_color(Color::RGB(0xEEEEEE))
            .set_border(rust_xlsxwriter::FormatBorder::Thin);

        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name("Bảng điểm")?;
        ws.merge_range(0, 0, 0, last, &self.title(), &bold)?;
        ws.write_string(
            1,
            0,
            format!(
                "{} — Giáo viên: {}",
                user.school.name, user.teacher.full_name
            ),
        )?;
        let help = if scored {
            "Điểm từ 0 đến 10, tối đa một chữ số thập phân. Cột ĐTBmhk do phần mềm tính, không nhập. Không thêm, bớt hay đổi thứ tự học sinh."
        } else {
            "Cột Kết quả: Đạt hoặc Chưa đạt. Không thêm, bớt hay đổi thứ tự học sinh."
        };
        ws.write_string(2, 0, help)?;
        const HEADER_ROW: u32 = 3;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(HEADER_ROW, c as u16, h, &header)?;
        }
        for (i, m) in self.members.iter().enumerate() {
            let r = HEADER_ROW + 1 + i as u32;
            let code = m.student.code.as_str();
            ws.write_number_with_format(r, 0, f64::from(m.roll_no), &locked)?;
            ws.write_string_with_format(r, 1, code, &locked)?;
            ws.write_string_with_format(r, 2, &m.student.full_name, &locked)?;
            let mut c: u16 = 3;
            if scored {
                let row = stored.scores.get(code);
                let regular = row.map(|r| r.regular.as_slice()).unwrap_or_default();
                for k in 0..n {
                    write_score(ws, r, c, regular.get(k).copied(), &input)?;
                    c += 1;
                }
                write_score(ws, r, c, row.and_then(|r| r.midterm), &input)?;
                write_score(ws, r, c + 1, row.and_then(|r| r.final_exam), &input)?;
                match row.and_then(average) {
                    Some(avg) => {
                        ws.write_number_with_format(r, c + 2, tenths_f64(avg), &computed)?
                    }
                    None => ws.write_blank(r, c + 2, &computed)?,
                };
                c += 3;
            } else {
                let text = match stored.results.get(code) {
                    Some(true) => "Đạt",
                    Some(false) => "Chưa đạt",
                    None => "",
                };
                ws.write_string_with_format(r, c, text, &text_input)?;
                c += 1;
            }
            let comment = stored.comments.get(code).map_or("", String::as_str);
            ws.write_string_with_format(r, c, comment, &text_input)?;
        }
        ws.set_column_width(0, 5)?;
        ws.set_column_width(1, 24)?;
        ws.set_column_width(2, 28)?;
        for c in 3..last {
            ws.set_column_width(c, 8)?;
        }
        ws.set_column_width(last, 40)?;
        ws.set_freeze_panes(HEADER_ROW + 1, 3)?;
        ws.protect_with_options(&ProtectionOptions {
            format_columns: true,
            format_rows: true,
            ..ProtectionOptions::default()
        });
        book.save_to_buffer()
    }

    /// Every row checked; `Ok` only when all are valid.
    fn check(&self, rows: &[Row], stored: &Stored) -> Result<Vec<FileRow>, Refusal> {
        let cols = self.columns(rows)?;
        let by_code: HashMap<&str, &ClassMember> = self
            .members
            .iter()
            .map(|m| (m.student.code.as_str(), m))
            .collect();
        let mut seen: HashMap<String, u32> = HashMap::new();
        let mut out = Vec::new();
        let mut findings = Vec::new();
        let expected: &[usize] = match &self.kind {
            Kind::Scored { expected, .. } => expected,
            _ => &[],
        };
        for row in &rows[cols.header_row + 1..] {
            let code_text = row.get(cols.code).text();
            let name_text = cols.name.map(|c| row.get(c).text()).unwrap_or_default();
            let mut errors = Vec::new();
            let data_cells = cols
                .regular
                .iter()
                .chain(cols.midterm.iter())
                .chain(cols.final_exam.iter())
                .chain(cols.result.iter())
                .chain(cols.comment.iter())
                .any(|&c| !row.get(c).is_empty());
            if code_text.is_empty() {
                if data_cells || !name_text.is_empty() {
                    errors.push("Thiếu mã học sinh".to_owned());
                    findings.push(Finding {
                        row: row.number,
                        code: code_text,
                        name: name_text,
                        errors,
                    });
                }
                continue;
            }
            let member = by_code.get(code_text.as_str()).copied();
            match member {
                None => errors.push(format!(
                    "Học sinh không có trong danh sách lớp {}",
                    self.class.name
                )),
                Some(m) => {
                    if !name_text.is_empty()
                        && header_key(&name_text) != header_key(&m.student.full_name)
                    {
                        errors.push(format!(
                            "Họ và tên «{name_text}» khác với danh sách lớp («{}»)",
                            m.student.full_name
                        ));
                    }
                }
            }
            if let Some(first) = seen.get(&code_text) {
                errors.push(format!("Học sinh này đã có ở dòng {first}"));
            } else {
                seen.insert(code_text.clone(), row.number);
            }
            let mut cell = |c: Option<usize>, label: &str| -> Option<Score> {
                let c = c?;
                match score(row.get(c)) {
                    Ok(s) => s,
                    Err(e) => {
                        errors.push(format!("{label} (ô {}{}): {e}", column_name(c), row.number));
                        None
                    }
                }
            };
            let mut regular = Vec::new();
            for (k, &c) in cols.regular.iter().enumerate() {
                if let Some(s) = cell(Some(c), &format!("ĐĐGtx {}", k + 1)) {
                    regular.push(s);
                }
            }
            let midterm = cell(cols.midterm, "ĐĐGgk");
            let final_exam = cell(cols.final_exam, "ĐĐGck");
            let mut passed = None;
            if let Some(c) = cols.result {
                let v = row.get(c);
                match header_key(&v.text()).as_str() {
                    "" => {}
                    "đạt" => passed = Some(true),
                    "chưa đạt" => passed = Some(false),
                    _ => errors.push(format!(
                        "Kết quả (ô {}{}): Kết quả phải là Đạt hoặc Chưa đạt",
                        column_name(c),
                        row.number
                    )),
                }
            }
            let comment = cols.comment.map(|c| row.get(c).text()).unwrap_or_default();
            if comment.chars().count() > MAX_COMMENT_CHARS {
                errors.push(format!("Nhận xét tối đa {MAX_COMMENT_CHARS} kí tự"));
            }
            if let Some(&most) = expected.iter().max() {
                let count = regular.len();
                let wanted = || {
                    expected
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(" hoặc ")
                };
                if count > most {
                    errors.push(format!(
                        "Có {count} ĐĐGtx; chương trình cho phép tối đa {most}"
                    ));
                } else if final_exam.is_some() && !expected.contains(&count) {
                    errors.push(format!(
                        "Sai số điểm đánh giá thường xuyên: có {count} ĐĐGtx, chương trình yêu cầu {} khi đã có ĐĐGck",
                        wanted()
                    ));
                }
            }
            if let Some(m) = member
                && self.locked.contains(m.student.code.as_str())
                && errors.is_empty()
                && !stored.unchanged(m, &regular, midterm, final_exam, passed, &comment)
            {
                errors.push(LOCKED.to_owned());
            }
            match (member, errors.is_empty()) {
                (Some(m), true) => out.push(FileRow {
                    member: m.clone(),
                    regular,
                    midterm,
                    final_exam,
                    passed,
                    comment,
                }),
                _ => findings.push(Finding {
                    row: row.number,
                    code: code_text,
                    name: name_text,
                    errors,
                }),
            }
        }
        if !findings.is_empty() {
            return Err(Refusal::Rows(findings));
        }
        if out.is_empty() {
            return Err(Refusal::File(
                "Tệp không có dòng học sinh nào dưới dòng tiêu đề.".to_owned(),
            ));
        }
        Ok(out)
    }

    /// Finds the header row and the columns; checks the title when there is one.
    fn columns(&self, rows: &[Row]) -> Result<Columns, Refusal> {
        let code_key = header_key("Mã học sinh");
        let Some(header_row) = rows
            .iter()
            .take(20)
            .position(|r| r.cells.iter().any(|v| header_key(&v.text()) == code_key))
        else {
            return Err(Refusal::File(
                "Không tìm thấy dòng tiêu đề có cột «Mã học sinh». Hãy dùng tệp xuất bằng nút \"Xuất Excel\" của trang Nhập điểm.".to_owned(),
            ));
        };
        let expected_title = self.title();
        for r in &rows[..header_row] {
            for v in &r.cells {
                let text = v.text();
                if header_key(&text).starts_with("bảng điểm")
                    && header_key(&text) != header_key(&expected_title)
                {
                    return Err(Refusal::File(format!(
                        "Tệp này là «{text}», không phải «{expected_title}». Hãy tải lên đúng bảng điểm của lớp, môn và học kì này."
                    )));
                }
            }
        }
        let mut cols = Columns {
            header_row,
            code: 0,
            name: None,
            regular: Vec::new(),
            midterm: None,
            final_exam: None,
            result: None,
            comment: None,
        };
        let mut regular: Vec<(u32, usize)> = Vec::new();
        for (c, v) in rows[header_row].cells.iter().enumerate() {
            let key = header_key(&v.text());
            match key.as_str() {
                k if k == code_key => cols.code = c,
                "họ và tên" | "họ tên" => cols.name = Some(c),
                "đđggk" => cols.midterm = Some(c),
                "đđgck" => cols.final_exam = Some(c),
                "kết quả" => cols.result = Some(c),
                "nhận xét" => cols.comment = Some(c),
                k => {
                    if let Some(n) = k.strip_prefix("đđgtx") {
                        let n = n.trim().parse::<u32>().map_err(|_| {
                            Refusal::File(format!(
                                "Cột «{}» (ô {}{}) không rõ là ĐĐGtx thứ mấy.",
                                v.text(),
                                column_name(c),
                                rows[header_row].number
                            ))
                        })?;
                        regular.push((n, c));
                    }
                }
            }
        }
        regular.sort_unstable();
        cols.regular = regular.into_iter().map(|(_, c)| c).collect();
        let missing = |what: &str| {
            Refusal::File(format!(
                "Thiếu cột «{what}» ở dòng tiêu đề (dòng {}).",
                rows[header_row].number
            ))
        };
        if self.scored() {
            if cols.midterm.is_none() {
                return Err(missing("ĐĐGgk"));
            }
            if cols.final_exam.is_none() {
                return Err(missing("ĐĐGck"));
            }
            if cols.regular.len() > store::MAX_REGULAR_SCORES {
                return Err(Refusal::File(format!(
                    "Tệp có {} cột ĐĐGtx; tối đa {}.",
                    cols.regular.len(),
                    store::MAX_REGULAR_SCORES
                )));
            }
        } else if cols.result.is_none() {
            return Err(missing("Kết quả"));
        }
        Ok(cols)
    }

    /// Saves the checked rows over the stored sheet in one transaction; returns how many
    /// students came from the file and how many kept their stored marks.
    async fn save(
        &self,
        app: &AppState,
        user: &CurrentUser,
        stored: &Stored,
        rows: &[FileRow],
    ) -> Result<(usize, usize), AppError> {
        let from_file: HashMap<&str, &FileRow> = rows
            .iter()
            .map(|r| (r.member.student.code.as_str(), r))
            .collect();
        let mut scores = Vec::new();
        let mut results = Vec::new();
        let mut comments = Vec::new();
        let mut kept = 0;
        for m in &self.members {
            let code = m.student.code.as_str();
            match from_file.get(code) {
                Some(r) => {
                    if r.regular.is_empty() && r.midterm.is_none() && r.final_exam.is_none() {
                        // Every score cell empty: no scores, as on the grid.
                    } else {
                        scores.push(ScoreSheetRow {
                            student: m.student.code.clone(),
                            regular: r.regular.clone(),
                            midterm: r.midterm,
                            final_exam: r.final_exam,
                        });
                    }
                    if let Some(p) = r.passed {
                        results.push((m.student.code.clone(), p));
                    }
                    let old = stored.comments.get(code).map_or("", String::as_str);
                    if r.comment != old {
                        comments.push((m.student.code.clone(), r.comment.clone()));
                    }
                }
                None => {
                    kept += 1;
                    if let Some(s) = stored.scores.get(code) {
                        scores.push(s.clone());
                    }
                    if let Some(p) = stored.results.get(code) {
                        results.push((m.student.code.clone(), *p));
                    }
                }
            }
        }
        let marks = if self.scored() {
            SheetMarks::Scores(&scores)
        } else {
            SheetMarks::Results(&results)
        };
        app.store()
            .save_subject_sheet_audited(
                self.class.id,
                &self.subject,
                self.semester,
                marks,
                &comments,
                &crate::history::stamp(user),
            )
            .await?;
        Ok((rows.len(), kept))
    }
}

fn write_score(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    score: Option<Score>,
    format: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match score {
        Some(s) => ws.write_number_with_format(row, col, f64::from(s.tenths()) / 10.0, format)?,
        None => ws.write_blank(row, col, format)?,
    };
    Ok(())
}

/// ĐTBmhk (TT22 art. 9 §2a) of a stored row, when it has every kind of score.
fn average(r: &ScoreSheetRow) -> Option<Tenths> {
    match (r.midterm, r.final_exam) {
        (Some(midterm), Some(final_term)) if !r.regular.is_empty() => {
            Some(tt22::semester_average(&tt22::SemesterScores {
                regular: r.regular.clone(),
                midterm,
                final_term,
            }))
        }
        _ => None,
    }
}

fn tenths_f64(t: Tenths) -> f64 {
    f64::from(t.tenths()) / 10.0
}

/// A score cell: empty, a number cell, or text such as `8,5` (decimal comma accepted).
fn score(v: &Value) -> Result<Option<Score>, &'static str> {
    match v {
        Value::Empty => Ok(None),
        Value::Number(n) => {
            if !(0.0..=10.0).contains(n) {
                return Err(OUT_OF_RANGE);
            }
            let t = n * 10.0;
            if (t - t.round()).abs() > 1e-6 {
                return Err(MALFORMED);
            }
            // In 0..=100 after the range check above.
            Score::from_tenths(t.round() as u32)
                .map(Some)
                .map_err(|_| OUT_OF_RANGE)
        }
        Value::Text { text, .. } => match text.parse::<Score>() {
            Ok(s) => Ok(Some(s)),
            Err(ScoreError::OutOfRange(_)) => Err(OUT_OF_RANGE),
            Err(_) => Err(MALFORMED),
        },
        Value::Date(_) | Value::Other(_) => Err(MALFORMED),
    }
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column.
pub(super) fn column_name(c: usize) -> String {
    let mut n = c + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_cells_read_numbers_and_text_like_the_grid() {
        let text = |s: &str| Value::Text {
            text: s.to_owned(),
            normalised: false,
        };
        assert_eq!(score(&Value::Number(8.5)), Ok(Some("8.5".parse().unwrap())));
        assert_eq!(score(&Value::Number(11.0)), Err(OUT_OF_RANGE));
        assert_eq!(score(&Value::Number(-1.0)), Err(OUT_OF_RANGE));
        assert_eq!(score(&Value::Number(8.25)), Err(MALFORMED));
        assert_eq!(score(&text("8,5")), Ok(Some("8.5".parse().unwrap())));
        assert_eq!(score(&text("8,5,")), Err(MALFORMED));
        assert_eq!(score(&text("11")), Err(OUT_OF_RANGE));
        assert_eq!(score(&Value::Empty), Ok(None));
    }

    #[test]
    fn column_names_are_excel_letters() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
    }
}
