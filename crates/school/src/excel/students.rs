//! "Nhập danh sách lớp" (story 1): the school admin uploads a class list, sees every row
//! with its errors by row number, and "Nhập" writes all rows in one transaction or
//! nothing.
//!
//! Columns (found by their header, in any order): STT, Mã học sinh, Số định danh cá
//! nhân (may be empty), Họ và tên, Giới tính (Nam / Nữ), Ngày sinh (DD/MM/YYYY or a
//! date cell), Dân tộc, Quốc tịch, Nơi sinh, Nơi cư trú, Lớp. The classes are those of
//! the school in the latest school year.
//!
//! The preview writes nothing. It keeps the rows read from the file server-side under a
//! random token bound to the session ([`super::pending`]); "Nhập" sends only the token,
//! and the rows are checked again — against the database as it is then — before
//! `Store::insert_batch` writes the students and their enrolments, all or nothing. New
//! students join the end of their class list, in Vietnamese alphabetical order.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Form;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::{Date, PersonalId, PersonalIdError, SchoolYear, Sex, StudentCode, vi_order};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
use serde::Deserialize;
use store::{Batch, Class, ClassId, Enrolment, EnrolmentKey, Student};

use super::read::{self, Row, Value, header_key};
use super::scores::column_name;
use super::{pending, upload, upload_form, xlsx_download, xlsx_error};
use crate::AppState;
use crate::auth::{CurrentUser, random_hex};
use crate::error::AppError;
use crate::html::{Page, csrf_field, esc, page};
use crate::permission::{Permission, require};

/// Data rows accepted per file (a whole school of 2,000 students fits).
pub const MAX_STUDENT_ROWS: usize = 3_000;

/// The columns, as the template names them.
const COLUMNS: [&str; 11] = [
    "STT",
    "Mã học sinh",
    "Số định danh cá nhân",
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Dân tộc",
    "Quốc tịch",
    "Nơi sinh",
    "Nơi cư trú",
    "Lớp",
];
/// Columns that must be present in the header row.
const REQUIRED: [Col; 5] = [Col::Code, Col::Name, Col::Sex, Col::Born, Col::Class];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Stt,
    Code,
    PersonalId,
    Name,
    Sex,
    Born,
    Ethnicity,
    Nationality,
    PlaceOfBirth,
    Residence,
    Class,
}

const COLS: [Col; 11] = [
    Col::Stt,
    Col::Code,
    Col::PersonalId,
    Col::Name,
    Col::Sex,
    Col::Born,
    Col::Ethnicity,
    Col::Nationality,
    Col::PlaceOfBirth,
    Col::Residence,
    Col::Class,
];

impl Col {
    fn label(self) -> &'static str {
        let i = COLS.iter().position(|c| *c == self).unwrap_or(0);
        COLUMNS[i]
    }
}

/// `GET /students/import`: explanation, the template link and the upload form.
pub async fn import_page(State(app): State<AppState>, user: CurrentUser) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ImportClassList).await?;
    let year = latest_year(&app).await?;
    Ok(form_page(&app, &user, year, StatusCode::OK, ""))
}

/// `GET /students/import/template`: an empty class list with the right columns.
pub async fn template_download(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    require(app.store(), &user, Permission::ImportClassList).await?;
    let bytes = template().map_err(xlsx_error)?;
    Ok(xlsx_download("Mẫu danh sách lớp.xlsx", bytes))
}

/// `POST /students/import` (multipart, field `file`): the preview. Writes nothing.
pub async fn preview(
    State(app): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ImportClassList).await?;
    let year = latest_year(&app).await?;
    let up = upload(&headers, &body)?;
    let rows = match read::first_sheet(up.bytes, MAX_STUDENT_ROWS + 20).await {
        Ok(rows) => rows,
        Err(e) => return Ok(refused(&app, &user, year, &e.to_string())),
    };
    let Some(year) = year else {
        return Ok(refused(&app, &user, year, NO_YEAR));
    };
    let checked = match check(&app, &user, year, &rows).await? {
        Ok(c) => c,
        Err(message) => return Ok(refused(&app, &user, Some(year), &message)),
    };
    let mut body = String::new();
    let errors = checked.error_rows();
    if errors == 0 {
        let token = random_hex(16)?;
        let _ = write!(
            body,
            r#"<p class="ok">Tệp «{file}»: {n} học sinh, không có lỗi. Kiểm tra lại bảng dưới đây rồi bấm "Nhập {n} học sinh". Chưa có gì được lưu.</p>
<form method="post" action="/students/import/confirm">{csrf}<input type="hidden" name="token" value="{token}"><p><button type="submit">Nhập {n} học sinh</button> <a href="/students/import">Hủy</a></p></form>"#,
            file = esc(&up.filename),
            n = checked.rows.len(),
            csrf = csrf_field(&user.session.csrf_token),
        );
        pending::put(token, &user.session.id_hash, &up.filename, rows);
    } else {
        let _ = write!(
            body,
            r#"<p class="error-message">Tệp «{}» có <strong>{errors} dòng lỗi</strong> (trong {} dòng). <strong>Chưa có gì được lưu</strong>: sửa các dòng lỗi trong tệp rồi tải lên lại; chỉ nhập được khi mọi dòng đều hợp lệ.</p>"#,
            esc(&up.filename),
            checked.rows.len()
        );
    }
    checked.table(&mut body);
    if errors > 0 {
        body.push_str(&upload_form(
            "/students/import",
            &user.session.csrf_token,
            "Tải lên tệp đã sửa",
        ));
    }
    let status = if errors == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut p = page(
        &user,
        app.config().demo,
        &format!("Nhập danh sách lớp — xem trước — năm học {year}"),
        &body,
    );
    p.status = status;
    Ok(p)
}

/// The confirm form's field.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    token: String,
}

/// `POST /students/import/confirm`: checks the previewed rows again and writes them all
/// in one transaction, or nothing.
pub async fn confirm(
    State(app): State<AppState>,
    user: CurrentUser,
    Form(form): Form<ConfirmForm>,
) -> Result<Page, AppError> {
    require(app.store(), &user, Permission::ImportClassList).await?;
    let year = latest_year(&app).await?;
    let Some(p) = pending::take(&form.token, &user.session.id_hash) else {
        return Ok(refused(
            &app,
            &user,
            year,
            "Bản xem trước đã hết hạn hoặc đã được nhập. Hãy tải tệp lên lại.",
        ));
    };
    let Some(year) = year else {
        return Ok(refused(&app, &user, year, NO_YEAR));
    };
    let checked = match check(&app, &user, year, &p.rows).await? {
        Ok(c) if c.error_rows() == 0 => c,
        Ok(c) => {
            let mut body = format!(
                r#"<p class="error-message">Dữ liệu đã thay đổi từ lúc xem trước: tệp «{}» nay có {} dòng lỗi. <strong>Không có gì được lưu.</strong></p>"#,
                esc(&p.filename),
                c.error_rows()
            );
            c.table(&mut body);
            body.push_str(&upload_form(
                "/students/import",
                &user.session.csrf_token,
                "Tải lên tệp đã sửa",
            ));
            let mut page = page(&user, app.config().demo, "Nhập danh sách lớp", &body);
            page.status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page);
        }
        Err(message) => return Ok(refused(&app, &user, Some(year), &message)),
    };
    let batch = checked.batch(&app).await?;
    let counts = match app.store().insert_batch(&batch).await {
        Ok(c) => c,
        Err(store::Error::Conflict { what }) => {
            tracing::info!(what = %what, "class list import refused by the database");
            return Ok(refused(
                &app,
                &user,
                Some(year),
                "Một học sinh trong tệp vừa được thêm vào cơ sở dữ liệu (trùng mã học sinh hoặc số định danh cá nhân). Hãy tải tệp lên lại để xem dòng nào.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        admin = %user.teacher.username,
        file = %p.filename,
        students = counts.students,
        enrolments = counts.enrolments,
        "class list imported"
    );
    let mut per_class: Vec<(String, usize)> = Vec::new();
    for r in &checked.rows {
        if let Some(c) = &r.class {
            match per_class.iter_mut().find(|(n, _)| *n == c.name) {
                Some(e) => e.1 += 1,
                None => per_class.push((c.name.clone(), 1)),
            }
        }
    }
    let list: Vec<String> = per_class
        .iter()
        .map(|(n, k)| format!("lớp {}: {k}", esc(n)))
        .collect();
    let body = format!(
        r#"<p class="ok">Đã nhập {} học sinh từ tệp «{}» ({}).</p><p><a href="/school">Tổng quan nhà trường</a> · <a href="/students/import">Nhập tệp khác</a></p>"#,
        counts.students,
        esc(&p.filename),
        list.join(", ")
    );
    Ok(page(&user, app.config().demo, "Nhập danh sách lớp", &body))
}

const NO_YEAR: &str = "Chưa có năm học nào: hãy tạo năm học và các lớp trước khi nhập danh sách.";

async fn latest_year(app: &AppState) -> Result<Option<SchoolYear>, AppError> {
    Ok(app
        .store()
        .list_school_years()
        .await?
        .last()
        .map(|y| y.year))
}

/// The import page with `notice` (HTML) above the explanation and the form.
fn form_page(
    app: &AppState,
    user: &CurrentUser,
    year: Option<SchoolYear>,
    status: StatusCode,
    notice: &str,
) -> Page {
    let year_text = year.map_or_else(|| "(chưa có)".to_owned(), |y| y.to_string());
    let body = format!(
        r#"{notice}<p class="help">Năm học: <strong>{year_text}</strong>. Mỗi học sinh một dòng, các cột: {cols}. Số định danh cá nhân có thể để trống; Giới tính là Nam hoặc Nữ; Ngày sinh dạng DD/MM/YYYY; Lớp là tên một lớp của trường trong năm học này. Hãy nhập Mã học sinh và Số định danh cá nhân dưới dạng văn bản (mẫu đã định dạng sẵn) để Excel không bỏ số 0 ở đầu.</p>
<p class="help">Sau khi tải lên, mọi dòng được kiểm tra và hiển thị để xem trước; <strong>chỉ khi không có dòng lỗi</strong> mới bấm được "Nhập", và cả danh sách được nhập một lần (hoặc không nhập gì).</p>
<p><a href="/students/import/template">Tải mẫu danh sách lớp (.xlsx)</a></p>
{form}"#,
        cols = esc(&COLUMNS.join(", ")),
        form = upload_form(
            "/students/import",
            &user.session.csrf_token,
            "Tải lên và xem trước"
        ),
    );
    let mut p = page(user, app.config().demo, "Nhập danh sách lớp", &body);
    p.status = status;
    p
}

fn refused(app: &AppState, user: &CurrentUser, year: Option<SchoolYear>, message: &str) -> Page {
    form_page(
        app,
        user,
        year,
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!(
            r#"<p class="error-message">{} <strong>Không có gì được lưu.</strong></p>"#,
            esc(message)
        ),
    )
}

/// The template: the header row, one example row, text format on the identifier columns.
fn template() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Danh sách lớp")?;
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header)?;
    }
    let widths = [
        5.0, 24.0, 20.0, 28.0, 10.0, 12.0, 10.0, 12.0, 24.0, 36.0, 8.0,
    ];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    // Identifiers and dates as text, so Excel keeps leading zeros and DD/MM/YYYY.
    for c in [1u16, 2, 5] {
        ws.set_column_format(c, &text)?;
    }
    ws.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// One row of the file, checked.
struct Checked {
    number: u32,
    student: Option<Student>,
    class: Option<Class>,
    /// Shown as read (after NFC).
    shown: HashMap<Col, String>,
    errors: Vec<String>,
    notes: Vec<String>,
}

struct CheckedFile {
    rows: Vec<Checked>,
}

impl CheckedFile {
    fn error_rows(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }

    fn table(&self, body: &mut String) {
        body.push_str(r#"<div class="scroll"><table class="list"><thead><tr><th>Dòng</th>"#);
        for c in [
            Col::Code,
            Col::PersonalId,
            Col::Name,
            Col::Sex,
            Col::Born,
            Col::Class,
        ] {
            let _ = write!(body, "<th>{}</th>", esc(c.label()));
        }
        body.push_str("<th>Kiểm tra</th></tr></thead><tbody>\n");
        for r in &self.rows {
            let class = if r.errors.is_empty() {
                ""
            } else {
                r#" class="invalid-row""#
            };
            let _ = write!(body, "<tr{class}><td>Dòng {}</td>", r.number);
            for c in [
                Col::Code,
                Col::PersonalId,
                Col::Name,
                Col::Sex,
                Col::Born,
                Col::Class,
            ] {
                let _ = write!(
                    body,
                    "<td>{}</td>",
                    esc(r.shown.get(&c).map_or("", String::as_str))
                );
            }
            let mut notes: Vec<String> = r.errors.clone();
            if notes.is_empty() {
                notes.push("Hợp lệ".to_owned());
            }
            notes.extend(r.notes.iter().cloned());
            let _ = writeln!(
                body,
                r#"<td class="notes">{}</td></tr>"#,
                esc(&notes.join(" · "))
            );
        }
        body.push_str("</tbody></table></div>");
    }

    /// The students and their enrolments: after each class's last roll number, in
    /// Vietnamese alphabetical order.
    async fn batch(&self, app: &AppState) -> Result<Batch, AppError> {
        let mut by_class: HashMap<ClassId, Vec<&Student>> = HashMap::new();
        let mut batch = Batch::default();
        for r in &self.rows {
            if let (Some(s), Some(c)) = (&r.student, &r.class) {
                batch.students.push(s.clone());
                by_class.entry(c.id).or_default().push(s);
            }
        }
        for (class, mut students) in by_class {
            let last = app
                .store()
                .class_members(class)
                .await?
                .iter()
                .map(|m| m.roll_no)
                .max()
                .unwrap_or(0);
            students.sort_by(|a, b| {
                vi_order::compare_names(&a.full_name, &b.full_name)
                    .then_with(|| a.code.cmp(&b.code))
            });
            for (i, s) in students.into_iter().enumerate() {
                let roll_no = u16::try_from(usize::from(last) + i + 1)
                    .map_err(|_| AppError::BadRequest("Lớp có quá nhiều học sinh.".to_owned()))?;
                batch.enrolments.push(Enrolment {
                    key: EnrolmentKey {
                        student: s.code.clone(),
                        class,
                    },
                    roll_no,
                });
            }
        }
        Ok(batch)
    }
}

/// Checks every row of the file against the file itself and the database. `Err` is a
/// problem of the whole file (no header row, a missing column).
async fn check(
    app: &AppState,
    user: &CurrentUser,
    year: SchoolYear,
    rows: &[Row],
) -> Result<Result<CheckedFile, String>, AppError> {
    let cols = match columns(rows) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let header_row = cols.0;
    let cols = cols.1;
    let data = &rows[header_row + 1..];
    if data.is_empty() {
        return Ok(Err(
            "Tệp không có dòng học sinh nào dưới dòng tiêu đề.".to_owned()
        ));
    }
    if data.len() > MAX_STUDENT_ROWS {
        return Ok(Err(format!(
            "Tệp có {} dòng học sinh; tối đa {MAX_STUDENT_ROWS} mỗi lần nhập.",
            data.len()
        )));
    }
    let store = app.store();
    let classes: Vec<Class> = store.classes_of_school(user.school.id, year).await?;
    let mut sizes: HashMap<ClassId, usize> = HashMap::new();
    let mut codes: HashMap<String, u32> = HashMap::new();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(data.len());
    for row in data {
        let get = |c: Col| cols.get(&c).map_or(&Value::Empty, |&i| row.get(i));
        let mut r = Checked {
            number: row.number,
            student: None,
            class: None,
            shown: HashMap::new(),
            errors: Vec::new(),
            notes: Vec::new(),
        };
        for c in COLS {
            let v = get(c);
            r.shown.insert(c, v.text());
            if v.was_normalised() {
                r.notes
                    .push(format!("{}: đã chuẩn hoá Unicode (NFC)", c.label()));
            }
        }
        let cell = |c: Col| {
            cols.get(&c).map_or_else(String::new, |&i| {
                format!(" (ô {}{})", column_name(i), row.number)
            })
        };
        // Mã học sinh.
        let code = match get(Col::Code) {
            Value::Empty => {
                r.errors
                    .push(format!("Thiếu Mã học sinh{}", cell(Col::Code)));
                None
            }
            Value::Text { text, .. } => match text.parse::<StudentCode>() {
                Ok(c) => Some(c),
                Err(_) => {
                    r.errors.push(format!(
                        "Mã học sinh «{text}» không hợp lệ: phải gồm đúng 20 kí tự chữ số hoặc chữ in hoa A–Z{}",
                        cell(Col::Code)
                    ));
                    None
                }
            },
            other => {
                r.errors.push(format!(
                    "Mã học sinh «{}» phải được nhập dạng văn bản (Excel làm mất chữ số của số dài){}",
                    other.text(),
                    cell(Col::Code)
                ));
                None
            }
        };
        if let Some(c) = &code {
            if let Some(first) = codes.get(c.as_str()) {
                r.errors
                    .push(format!("Mã học sinh {c} trùng với dòng {first} trong tệp"));
            } else {
                codes.insert(c.as_str().to_owned(), row.number);
                match store.student(c).await {
                    Ok(_) => r
                        .errors
                        .push(format!("Mã học sinh {c} đã có trong cơ sở dữ liệu")),
                    Err(store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        // Họ và tên.
        let name = get(Col::Name).text();
        if name.is_empty() {
            r.errors.push(format!("Thiếu Họ và tên{}", cell(Col::Name)));
        } else if name.chars().count() > 200 {
            r.errors.push("Họ và tên dài quá 200 kí tự".to_owned());
        }
        // Giới tính.
        let sex = match header_key(&get(Col::Sex).text()).as_str() {
            "nam" => Some(Sex::Male),
            "nữ" => Some(Sex::Female),
            "" => {
                r.errors
                    .push(format!("Thiếu Giới tính (Nam hoặc Nữ){}", cell(Col::Sex)));
                None
            }
            _ => {
                r.errors.push(format!(
                    "Giới tính «{}» không hợp lệ: phải là Nam hoặc Nữ{}",
                    get(Col::Sex).text(),
                    cell(Col::Sex)
                ));
                None
            }
        };
        // Ngày sinh.
        let born = match get(Col::Born) {
            Value::Date(Some(d)) => Some(*d),
            Value::Text { text, .. } if text.contains('/') || text.contains('-') => {
                match text.parse::<Date>() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        r.errors.push(format!(
                            "Ngày sinh «{text}» không hợp lệ: phải là một ngày có thật dạng DD/MM/YYYY{}",
                            cell(Col::Born)
                        ));
                        None
                    }
                }
            }
            Value::Empty => {
                r.errors.push(format!("Thiếu Ngày sinh{}", cell(Col::Born)));
                None
            }
            other => {
                r.errors.push(format!(
                    "Ngày sinh «{}» không hợp lệ: phải là một ngày có thật dạng DD/MM/YYYY{}",
                    other.text(),
                    cell(Col::Born)
                ));
                None
            }
        };
        if let Some(d) = born {
            r.shown.insert(Col::Born, d.to_vietnamese());
        }
        // Số định danh cá nhân.
        let personal_id = match get(Col::PersonalId) {
            Value::Empty => None,
            v => {
                let text = match v {
                    // A number cell lost its leading zeros: every personal ID has 12 digits.
                    Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e12 => {
                        format!("{:012}", *n as u64)
                    }
                    other => other.text(),
                };
                r.shown.insert(Col::PersonalId, text.clone());
                match text.parse::<PersonalId>() {
                    Ok(id) => Some(id),
                    Err(e) => {
                        r.errors.push(format!(
                            "{}{}",
                            personal_id_error(&e, &text),
                            cell(Col::PersonalId)
                        ));
                        None
                    }
                }
            }
        };
        if let Some(id) = &personal_id {
            if let (Some(sex), Some(born)) = (sex, born)
                && let Err(e) = id.check_consistency(sex, born)
            {
                r.errors.push(personal_id_error(&e, id.as_str()));
            }
            if let Some(first) = ids.get(id.as_str()) {
                r.errors.push(format!(
                    "Số định danh cá nhân {id} trùng với dòng {first} trong tệp"
                ));
            } else {
                ids.insert(id.as_str().to_owned(), row.number);
                if store.student_by_personal_id(id).await?.is_some() {
                    r.errors.push(format!(
                        "Số định danh cá nhân {id} đã có trong cơ sở dữ liệu"
                    ));
                }
            }
        }
        // Lớp.
        let class_text = get(Col::Class).text();
        let class = if class_text.is_empty() {
            r.errors.push(format!("Thiếu Lớp{}", cell(Col::Class)));
            None
        } else {
            let key = header_key(&class_text);
            match classes.iter().find(|c| header_key(&c.name) == key) {
                Some(c) => Some(c.clone()),
                None => {
                    r.errors.push(format!(
                        "Lớp «{class_text}» không có trong năm học {year} của trường"
                    ));
                    None
                }
            }
        };
        if let Some(c) = &class {
            *sizes.entry(c.id).or_default() += 1;
        }
        // The other text columns.
        let mut other = |c: Col, max: usize| {
            let t = get(c).text();
            if t.chars().count() > max {
                r.errors.push(format!("{} dài quá {max} kí tự", c.label()));
            }
            t
        };
        let ethnicity = other(Col::Ethnicity, 100);
        let nationality = other(Col::Nationality, 100);
        let place_of_birth = other(Col::PlaceOfBirth, 300);
        let residence = other(Col::Residence, 500);
        if r.errors.is_empty()
            && let (Some(code), Some(sex), Some(born)) = (code, sex, born)
        {
            r.student = Some(Student {
                code,
                personal_id,
                full_name: name,
                sex,
                born_on: born,
                ethnicity,
                nationality,
                place_of_birth,
                residence,
            });
        }
        r.class = class;
        out.push(r);
    }
    // Roll numbers go up to 999.
    for (class, n) in sizes {
        let existing = store.class_members(class).await?.len();
        if existing + n > 999 {
            let name = classes
                .iter()
                .find(|c| c.id == class)
                .map_or_else(String::new, |c| c.name.clone());
            return Ok(Err(format!(
                "Lớp {name} sẽ có {} học sinh; tối đa 999.",
                existing + n
            )));
        }
    }
    Ok(Ok(CheckedFile { rows: out }))
}

/// The header row's index among `rows` and where each known column is.
fn columns(rows: &[Row]) -> Result<(usize, HashMap<Col, usize>), String> {
    let code_key = header_key("Mã học sinh");
    let Some(header_row) = rows
        .iter()
        .take(20)
        .position(|r| r.cells.iter().any(|v| header_key(&v.text()) == code_key))
    else {
        return Err(
            "Không tìm thấy dòng tiêu đề có cột «Mã học sinh». Hãy dùng tệp mẫu (\"Tải mẫu danh sách lớp\")."
                .to_owned(),
        );
    };
    let mut map = HashMap::new();
    for (i, v) in rows[header_row].cells.iter().enumerate() {
        let key = header_key(&v.text());
        let col = match key.as_str() {
            "stt" => Some(Col::Stt),
            "số định danh cá nhân" | "số định danh" | "mã định danh cá nhân" => {
                Some(Col::PersonalId)
            }
            "họ và tên" | "họ tên" => Some(Col::Name),
            "giới tính" => Some(Col::Sex),
            "ngày sinh" => Some(Col::Born),
            "dân tộc" => Some(Col::Ethnicity),
            "quốc tịch" => Some(Col::Nationality),
            "nơi sinh" => Some(Col::PlaceOfBirth),
            "nơi cư trú" => Some(Col::Residence),
            "lớp" => Some(Col::Class),
            k if k == code_key => Some(Col::Code),
            _ => None,
        };
        if let Some(c) = col {
            map.entry(c).or_insert(i);
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !map.contains_key(c))
        .map(|c| c.label())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Dòng tiêu đề (dòng {}) thiếu cột: {}.",
            rows[header_row].number,
            missing.join(", ")
        ));
    }
    Ok((header_row, map))
}

/// A personal ID problem in Vietnamese.
fn personal_id_error(e: &PersonalIdError, text: &str) -> String {
    match e {
        PersonalIdError::Malformed(_) => {
            format!("Số định danh cá nhân «{text}» không hợp lệ: phải gồm đúng 12 chữ số")
        }
        PersonalIdError::Century(_) => format!(
            "Số định danh cá nhân «{text}» không hợp lệ: chữ số thứ 4 (mã thế kỉ và giới tính) phải từ 0 đến 5"
        ),
        PersonalIdError::SexMismatch { encoded, declared } => format!(
            "Số định danh cá nhân {text} ứng với giới tính {encoded}, nhưng cột Giới tính ghi {declared}"
        ),
        PersonalIdError::BirthYearMismatch { encoded, declared } => format!(
            "Số định danh cá nhân {text} ứng với năm sinh {encoded}, nhưng Ngày sinh ở năm {declared}"
        ),
        other => format!("Số định danh cá nhân «{text}» không hợp lệ ({other})"),
    }
}
