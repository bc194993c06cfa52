//! "Tải bản sao giấy cả lớp" (issue 5 §7): the paper copies of a whole class at once,
//! as one PDF (a cover listing every student, then each signed student's copy with its
//! own QR code, lookup code and attached XML) or as a `.zip` with one PDF per student and
//! `DANH_SACH.txt`. Only a student's current version prints, and only when it is signed;
//! every other student is listed with the reason, never left out silently. Each copy
//! made is one `record.print` audit entry, all written in one transaction before the
//! file is sent.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use store::{Class, ClassMember, RecordState, StoredRecord};
use unicode_normalization::UnicodeNormalization;

use super::{copy_info, moment, print_change, verify_url};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::history::{stamp, vietnam_time};
use crate::html::{csrf_field, esc};
use crate::permission::{Permission, allows, require};
use crate::workflow::{granted, parse_class, state_label};

/// The name of the list inside the `.zip`.
pub const LIST_NAME: &str = "DANH_SACH.txt";

/// `POST /classes/{class}/records/paper` (`format=pdf|zip`, `_csrf`): the class's paper
/// copies, for the clerk or principal of the class's school. Refused (409, nothing
/// logged) when no student has a signed current version.
pub async fn class_paper_copies(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(class): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let class = parse_class(&class)?;
    let grant = require(app.store(), &user, Permission::PrintPaperCopy { class }).await?;
    let class = granted(&app, grant.class, class).await?;
    let format = match pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        Some("pdf") => Format::Pdf,
        Some("zip") => Format::Zip,
        _ => {
            return Err(AppError::BadRequest(
                "Hãy chọn tải một tệp PDF cho cả lớp hoặc một tệp .zip.".to_owned(),
            ));
        }
    };
    let store = app.store();
    let records = current_by_code(store.current_records_of_class(class.id).await?);
    let members = store.class_members(class.id).await?;
    let mut copies = Vec::new();
    let mut skipped = Vec::new();
    for m in members {
        match records.get(m.student.code.as_str()) {
            Some(r) if printable(r) => copies.push((m, r.clone())),
            r => {
                let reason = skip_reason(&m, r);
                skipped.push((m, reason));
            }
        }
    }
    if copies.is_empty() {
        return Err(AppError::Conflict(
            "Lớp chưa có học bạ nào đã ký và đóng dấu để in bản sao giấy.".to_owned(),
        ));
    }
    let stamp = stamp(&user);
    let at = moment(&stamp)?;
    let converted_at = format!("{} (giờ Việt Nam)", vietnam_time(&stamp.at));
    let title = format!("Lớp {} — năm học {}", class.name, class.year);
    let verify = verify_url(&app);
    let plan = Plan {
        title: title.clone(),
        school: user.school.name.clone(),
        converted_by: user.teacher.full_name.clone(),
        converted_at,
        copies: copies
            .iter()
            .map(|(m, r)| (m.clone(), r.clone(), copy_info(&verify, &user, r, &stamp)))
            .collect(),
        skipped,
    };
    let rendered = tokio::task::spawn_blocking(move || match format {
        Format::Pdf => plan.pdf(at),
        Format::Zip => plan.zip(at),
    })
    .await
    .map_err(|e| AppError::Internal(format!("paper copies task: {e}")))?
    .map_err(AppError::Internal)?;
    let changes: Vec<_> = copies.iter().map(|(_, r)| print_change(r)).collect();
    store.append_audit(&stamp, &changes).await?;
    tracing::info!(
        user = %user.teacher.username,
        class = %class.id,
        copies = changes.len(),
        format = format.extension(),
        "class paper copies printed"
    );
    let file = format!(
        "ban-sao-hoc-ba-lop-{}-{}.{}",
        slug(&class.name),
        class.year,
        format.extension()
    );
    let mut response = rendered.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.mime()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The "Tải bản sao giấy cả lớp" part of the class records page: how many students have
/// a signed copy to print and how many will be listed as skipped, and the form (one PDF or
/// a `.zip`). Empty for users who may not print the class's copies.
pub async fn class_section(
    app: &AppState,
    user: &CurrentUser,
    class: &Class,
    records: &HashMap<String, StoredRecord>,
) -> Result<String, AppError> {
    let store = app.store();
    if !allows(store, user, Permission::PrintPaperCopy { class: class.id }).await? {
        return Ok(String::new());
    }
    let members = store.class_members(class.id).await?;
    let total = members.len();
    let signed = members
        .iter()
        .filter(|m| records.get(m.student.code.as_str()).is_some_and(printable))
        .count();
    let mut out = String::from(r#"<h2>Tải bản sao giấy cả lớp</h2>"#);
    if signed == 0 {
        out.push_str(r#"<p data-paper-count="0">Lớp chưa có học bạ nào đã ký và đóng dấu để in bản sao giấy.</p>"#);
        return Ok(out);
    }
    let _ = write!(
        out,
        r#"<form method="post" action="/classes/{id}/records/paper" class="stacked">{csrf}<p data-paper-count="{signed}">{signed}/{total} học sinh có học bạ đã ký sẽ có bản sao giấy{skipped}.</p><p><button type="submit" name="format" value="pdf">Tải một tệp PDF cho cả lớp</button> <button type="submit" name="format" value="zip">Tải tệp .zip (mỗi học sinh một PDF)</button></p><p class="help">Mỗi bản sao có mã QR, mã tra cứu và học bạ điện tử đã ký đính kèm, theo số thứ tự trong lớp. Mỗi bản sao được ghi vào nhật ký thay đổi.</p></form>"#,
        id = class.id,
        csrf = csrf_field(&user.session.csrf_token),
        skipped = match total - signed {
            0 => String::new(),
            n => format!(
                "; {n} học sinh chưa có bản đã ký được liệt kê trong tệp (trang đầu hoặc {}) và bỏ qua",
                esc(LIST_NAME)
            ),
        },
    );
    Ok(out)
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Pdf,
    Zip,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Zip => "zip",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Zip => "application/zip",
        }
    }
}

/// Everything the blocking render needs, owned.
struct Plan {
    title: String,
    school: String,
    converted_by: String,
    converted_at: String,
    /// In roll order.
    copies: Vec<(ClassMember, StoredRecord, render::PaperCopyInfo)>,
    skipped: Vec<(ClassMember, String)>,
}

impl Plan {
    /// One PDF: the cover, then every copy.
    fn pdf(&self, at: render::Moment) -> Result<Vec<u8>, String> {
        let parsed = self.parsed()?;
        let copies: Vec<render::ClassCopy<'_>> = self
            .copies
            .iter()
            .zip(&parsed)
            .map(|((m, _, info), (record, xml))| render::ClassCopy {
                record,
                signed_xml: xml,
                info: info.clone(),
                attachment: format!("{}.xml", m.student.code.as_str()),
            })
            .collect();
        let line = |m: &ClassMember| render::CoverLine {
            roll: m.roll_no.to_string(),
            code: m.student.code.as_str().to_owned(),
            name: m.student.full_name.clone(),
        };
        let cover = render::Cover {
            title: self.title.clone(),
            school: self.school.clone(),
            converted_by: self.converted_by.clone(),
            converted_at: self.converted_at.clone(),
            included: self.copies.iter().map(|(m, _, _)| line(m)).collect(),
            skipped: self
                .skipped
                .iter()
                .map(|(m, reason)| (line(m), reason.clone()))
                .collect(),
        };
        render::class_copies(&cover, &copies, at).map_err(|e| format!("class copies: {e}"))
    }

    /// A zip: `DANH_SACH.txt`, then one PDF per student in roll order.
    fn zip(&self, at: render::Moment) -> Result<Vec<u8>, String> {
        let parsed = self.parsed()?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip_time(at));
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut list = format!(
            "Bản sao giấy học bạ — {}\n{}\nNgười chuyển đổi: {}, lúc {}\n\nCó bản sao ({} học sinh):\n",
            self.title,
            self.school,
            self.converted_by,
            self.converted_at,
            self.copies.len()
        );
        let mut files = Vec::with_capacity(self.copies.len());
        for ((m, stored, info), (record, xml)) in self.copies.iter().zip(&parsed) {
            let name = file_name(m);
            let _ = writeln!(
                list,
                "{}\t{}\t{}\t{}",
                m.roll_no,
                m.student.code.as_str(),
                m.student.full_name,
                name
            );
            let pdf = render::paper_copy_at(record, xml, info, at)
                .map_err(|e| format!("paper copy of {}: {e}", stored.id))?;
            files.push((name, pdf));
        }
        let _ = write!(
            list,
            "\nKhông có bản sao ({} học sinh):\n",
            self.skipped.len()
        );
        for (m, reason) in &self.skipped {
            let _ = writeln!(
                list,
                "{}\t{}\t{}\t{}",
                m.roll_no,
                m.student.code.as_str(),
                m.student.full_name,
                reason
            );
        }
        let err = |e: &dyn std::fmt::Display| format!("zip: {e}");
        zip.start_file(LIST_NAME, options).map_err(|e| err(&e))?;
        zip.write_all(list.as_bytes()).map_err(|e| err(&e))?;
        for (name, pdf) in files {
            zip.start_file(name, options).map_err(|e| err(&e))?;
            zip.write_all(&pdf).map_err(|e| err(&e))?;
        }
        Ok(zip.finish().map_err(|e| err(&e))?.into_inner())
    }

    /// Every copy's stored XML, parsed (the bytes kept for the attachment).
    fn parsed(&self) -> Result<Vec<(record::Record, Vec<u8>)>, String> {
        self.copies
            .iter()
            .map(|(_, stored, _)| {
                let xml = stored.xml.clone().unwrap_or_default().into_bytes();
                let doc = record::parse_document(&xml)
                    .map_err(|e| format!("stored record {} does not parse: {e}", stored.id))?;
                Ok((doc.record, xml))
            })
            .collect()
    }
}

/// A version that prints: signed (or signed and synced), with its document.
fn printable(r: &StoredRecord) -> bool {
    matches!(r.state, RecordState::Signed | RecordState::Synced) && r.xml.is_some()
}

fn current_by_code(records: Vec<StoredRecord>) -> HashMap<String, StoredRecord> {
    records
        .into_iter()
        .map(|r| (r.student.as_str().to_owned(), r))
        .collect()
}

/// Why `m` has no copy in the file (in Vietnamese).
fn skip_reason(m: &ClassMember, current: Option<&StoredRecord>) -> String {
    match current {
        None if m.student.personal_id.is_none() => {
            "Chưa có mã định danh — chưa lập được học bạ".to_owned()
        }
        None => "Chưa lập học bạ".to_owned(),
        Some(r) => format!("Học bạ chưa ký và đóng dấu ({})", state_label(r)),
    }
}

/// `<MaHocSinh>_<ten-khong-dau>.pdf`, e.g. `HS0001_nguyen-van-an.pdf`.
fn file_name(m: &ClassMember) -> String {
    format!(
        "{}_{}.pdf",
        m.student.code.as_str(),
        slug(&m.student.full_name)
    )
}

/// `text` in lowercase ASCII without diacritics, words joined by `-` (`Đặng Thị Ánh` →
/// `dang-thi-anh`); other characters are dropped.
fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// The zip entries' time: the conversion time in Vietnam (UTC+7; zip times carry no
/// zone), to the zip format's two seconds.
fn zip_time(at: render::Moment) -> zip::DateTime {
    let l = render::Moment::from_unix(at.to_unix() + 7 * 3600);
    zip::DateTime::from_date_and_time(
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute(),
        l.second(),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_drops_vietnamese_diacritics() {
        assert_eq!(slug("Đặng Thị Ánh Dương"), "dang-thi-anh-duong");
        assert_eq!(slug("  Nguyễn   Văn  Ân "), "nguyen-van-an");
        assert_eq!(slug("6A1"), "6a1");
    }

    #[test]
    fn zip_time_is_vietnam_local_time() {
        let at: render::Moment = "2026-12-31T20:30:05Z".parse().unwrap();
        let t = zip_time(at);
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2027, 1, 1, 3, 30, 4)
        );
    }
}
