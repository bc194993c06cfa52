//! "Xuất Excel" of "Tổng hợp kết quả": the homeroom class summary as a workbook, one row
//! per student in roll order, computed by the same functions as the page
//! (`summary::class_inputs`, `summary::evaluate`, …): every subject's year result
//! (ĐTBmcn, or Đạt / Chưa đạt), learning and conduct of the year, absences, the
//! year-end outcome, the title, and what is missing.

use axum::extract::{Path, State};
use axum::response::Response;
use domain::Level;
use domain::tt22::{Mark, Rating};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
use store::{Class, ClassId, SubjectCode, YearInputs};

use super::{xlsx_download, xlsx_error};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::grades::subject_name;
use crate::permission::{Permission, require};
use crate::summary::{
    SubjectMarks, class_inputs, evaluate, learning, subject_marks, year_conduct, year_result,
};

/// `GET /classes/{class}/summary/export`: whoever may read the summary page (its
/// homeroom teacher, the principal and admin of the school).
pub async fn export(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
) -> Result<Response, AppError> {
    let id = ClassId(class.parse().map_err(|_| AppError::NotFound)?);
    let grant = require(
        app.store(),
        &user,
        Permission::ViewClassSummary { class: id },
    )
    .await?;
    let class = match grant.class {
        Some(c) => c,
        None => app.store().class(id).await?,
    };
    let (level, subjects, inputs) = class_inputs(&app, &user, &class).await?;
    if level == Level::Primary {
        return Err(AppError::BadRequest(
            "Lớp tiểu học (Thông tư 27): xuất Excel tổng hợp chưa có trong phiên bản này."
                .to_owned(),
        ));
    }
    let bytes = workbook(&user, &class, level, &subjects, &inputs).map_err(xlsx_error)?;
    tracing::info!(
        user = %user.teacher.username,
        class = %class.id,
        "class summary exported"
    );
    Ok(xlsx_download(
        &format!("Tổng hợp kết quả {} {}.xlsx", class.name, class.year),
        bytes,
    ))
}

fn workbook(
    user: &CurrentUser,
    class: &Class,
    level: Level,
    subjects: &[SubjectCode],
    inputs: &[YearInputs],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut headers: Vec<String> = vec!["STT".into(), "Mã học sinh".into(), "Họ và tên".into()];
    headers.extend(subjects.iter().map(subject_name));
    headers.extend(
        [
            "Kết quả học tập",
            "Kết quả rèn luyện",
            "Nghỉ có phép",
            "Nghỉ không phép",
            "Kết quả cuối năm",
            "Danh hiệu",
            "Còn thiếu / ghi chú",
        ]
        .map(String::from),
    );
    let last = (headers.len() - 1) as u16;
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let average = cell.clone().set_num_format("0.0");

    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Tổng hợp")?;
    let rule = if level == Level::Continuing {
        "Thông tư 43"
    } else {
        "Thông tư 22"
    };
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!(
            "TỔNG HỢP KẾT QUẢ CẢ NĂM — LỚP {} — NĂM HỌC {}",
            class.name, class.year
        ),
        &bold,
    )?;
    ws.write_string(
        1,
        0,
        format!(
            "{} — tính theo {rule}; môn học: điểm trung bình cả năm (ĐTBmcn) hoặc Đạt / Chưa đạt.",
            user.school.name
        ),
    )?;
    const HEADER_ROW: u32 = 3;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, h, &header)?;
    }
    for (n, i) in inputs.iter().enumerate() {
        let r = HEADER_ROW + 1 + n as u32;
        let marks: Vec<SubjectMarks> = subjects.iter().map(|s| subject_marks(i, s)).collect();
        let (outcome, notes) = evaluate(i, level, subjects, &marks);
        ws.write_number_with_format(r, 0, f64::from(i.roll_no), &cell)?;
        ws.write_string_with_format(r, 1, i.student.code.as_str(), &cell)?;
        ws.write_string_with_format(r, 2, &i.student.full_name, &cell)?;
        let mut c: u16 = 3;
        for m in &marks {
            match m.year {
                Some(Mark::Average(t)) => {
                    ws.write_number_with_format(r, c, f64::from(t.tenths()) / 10.0, &average)?
                }
                Some(Mark::Comment(v)) => ws.write_string_with_format(r, c, v.label(), &cell)?,
                None => ws.write_blank(r, c, &cell)?,
            };
            c += 1;
        }
        let [_, _, learning_year] = learning(outcome.as_ref(), &marks);
        let text = |x: Option<Rating>| x.map_or("", Rating::label);
        ws.write_string_with_format(r, c, text(learning_year), &cell)?;
        ws.write_string_with_format(r, c + 1, text(year_conduct(outcome.as_ref(), i)), &cell)?;
        match i.absences {
            Some(a) => {
                ws.write_number_with_format(r, c + 2, f64::from(a.excused_days), &cell)?;
                ws.write_number_with_format(r, c + 3, f64::from(a.unexcused_days), &cell)?;
            }
            None => {
                ws.write_blank(r, c + 2, &cell)?;
                ws.write_blank(r, c + 3, &cell)?;
            }
        }
        let (result, title) = match &outcome {
            Some(o) => (year_result(o, i), o.title.map_or("", |t| t.label(o.rule))),
            None => (String::new(), ""),
        };
        ws.write_string_with_format(r, c + 4, &result, &cell)?;
        ws.write_string_with_format(r, c + 5, title, &cell)?;
        ws.write_string_with_format(r, c + 6, notes.join(" · "), &cell)?;
    }
    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 28)?;
    for c in 3..last {
        ws.set_column_width(c, 11)?;
    }
    ws.set_column_width(last, 48)?;
    ws.set_row_height(HEADER_ROW, 32)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 3)?;
    book.save_to_buffer()
}
