//! Reading the first worksheet of an uploaded .xlsx into rows of plain values, bounded.
//!
//! The cells are streamed (calamine's cell reader), never laid out as a dense range, so
//! a file with one cell in A1 and one in XFD1048576 costs two cells, not seventeen
//! billion. Reading stops with an error past [`MAX_CELLS`] cells or past the caller's row
//! limit. It runs on a blocking thread; a panic inside the reader (a bug on some
//! malformed file) is caught there and reported as an unreadable file.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use domain::Date;
use unicode_normalization::{UnicodeNormalization, is_nfc};

/// Cells read at most, whatever their position.
const MAX_CELLS: usize = 200_000;
/// Bytes the workbook's parts may declare once unzipped, in total. The zip reader stops
/// at each part's declared size, so this bounds what a small "zip bomb" can expand to.
const MAX_UNZIPPED_BYTES: u64 = 64 * 1024 * 1024;
/// Columns looked at; cells further right are ignored.
pub const MAX_COLUMNS: u32 = 64;

/// A cell's value, as far as an import cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing (or only spaces).
    Empty,
    /// Text, trimmed, in NFC; `normalised` when the file's text was not NFC.
    Text {
        /// The text.
        text: String,
        /// The file held another Unicode form of it.
        normalised: bool,
    },
    /// A number cell.
    Number(f64),
    /// A date cell (a number with a date format).
    Date(Option<Date>),
    /// A boolean or an error cell (`#N/A`, …): never what an import wants.
    Other(String),
}

impl Value {
    /// The cell as text, the way a person reads it: numbers without a trailing `.0`.
    pub fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text { text, .. } => text.clone(),
            Value::Number(n) => number_text(*n),
            Value::Date(Some(d)) => d.to_vietnamese(),
            Value::Date(None) => "(ngày không hợp lệ)".to_owned(),
            Value::Other(s) => s.clone(),
        }
    }

    /// Whether the cell is empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// Whether the file held this text in another Unicode form than NFC.
    pub fn was_normalised(&self) -> bool {
        matches!(
            self,
            Value::Text {
                normalised: true,
                ..
            }
        )
    }
}

/// One non-empty row: its row number as Excel shows it (1-based) and its cells from
/// column A.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row number shown by Excel.
    pub number: u32,
    /// Cells from column A; missing cells are [`Value::Empty`].
    pub cells: Vec<Value>,
}

impl Row {
    /// Cell `column` (0-based), empty when absent.
    pub fn get(&self, column: usize) -> &Value {
        self.cells.get(column).unwrap_or(&Value::Empty)
    }
}

/// Why an upload could not be read; each has the Vietnamese sentence shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not an .xlsx file at all.
    #[error(
        "Tệp tải lên không phải bảng tính Excel .xlsx. Hãy mở tệp bằng Excel, chọn \"Lưu thành\" (Save As) kiểu \"Excel Workbook (*.xlsx)\" rồi tải lên lại."
    )]
    NotXlsx,
    /// An old binary .xls file.
    #[error(
        "Tệp .xls (Excel 97–2003) chưa được hỗ trợ. Hãy mở tệp bằng Excel, chọn \"Lưu thành\" (Save As) kiểu \"Excel Workbook (*.xlsx)\" rồi tải lên lại."
    )]
    OldXls,
    /// A zip file whose workbook could not be read.
    #[error(
        "Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx. Hãy mở lại tệp bằng Excel, lưu lại rồi tải lên."
    )]
    Unreadable,
    /// The workbook has no worksheet, or the first one is empty.
    #[error("Trang tính đầu tiên của tệp không có dữ liệu.")]
    Empty,
    /// More rows than allowed.
    #[error("Tệp có quá nhiều dòng: tối đa {0} dòng dữ liệu mỗi lần nhập.")]
    TooManyRows(usize),
    /// Parts that would unzip to more than allowed.
    #[error(
        "Tệp Excel chứa quá nhiều dữ liệu (quá 64 MB sau khi giải nén); hãy chỉ để lại bảng cần nhập."
    )]
    TooMuchData,
    /// More cells than allowed.
    #[error("Tệp có quá nhiều ô dữ liệu; hãy chỉ để lại bảng cần nhập trong trang tính đầu tiên.")]
    TooManyCells,
    /// No file was chosen.
    #[error("Chưa chọn tệp. Hãy chọn tệp .xlsx rồi bấm \"Tải lên\".")]
    NoFile,
}

/// The non-empty rows of the first worksheet of `bytes`, in order, at most `max_rows`
/// of them. Runs on a blocking thread.
pub async fn first_sheet(bytes: Vec<u8>, max_rows: usize) -> Result<Vec<Row>, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::NoFile);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ReadError::OldXls);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(ReadError::NotXlsx);
    }
    match unzipped_size(&bytes) {
        None => return Err(ReadError::Unreadable),
        Some(n) if n > MAX_UNZIPPED_BYTES => return Err(ReadError::TooMuchData),
        Some(_) => {}
    }
    match tokio::task::spawn_blocking(move || read(bytes, max_rows)).await {
        Ok(result) => result,
        Err(e) => {
            tracing::warn!(error = %e, "the xlsx reader failed on an upload");
            Err(ReadError::Unreadable)
        }
    }
}

fn read(bytes: Vec<u8>, max_rows: usize) -> Result<Vec<Row>, ReadError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        tracing::info!(error = %e, "unreadable xlsx upload");
        ReadError::Unreadable
    })?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Err(ReadError::Empty);
    };
    let mut cells = book.worksheet_cells_reader(&first).map_err(|e| {
        tracing::info!(error = %e, "unreadable xlsx worksheet");
        ReadError::Unreadable
    })?;
    let mut rows: BTreeMap<u32, Vec<Value>> = BTreeMap::new();
    let mut seen = 0usize;
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(error = %e, "unreadable xlsx cell");
                return Err(ReadError::Unreadable);
            }
        };
        seen += 1;
        if seen > MAX_CELLS {
            return Err(ReadError::TooManyCells);
        }
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let value = value(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let row = rows.entry(r).or_default();
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, Value::Empty);
        }
        row[c] = value;
        if rows.len() > max_rows {
            return Err(ReadError::TooManyRows(max_rows));
        }
    }
    if rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(rows
        .into_iter()
        .map(|(r, cells)| Row {
            number: r.saturating_add(1),
            cells,
        })
        .collect())
}

/// The total of the uncompressed sizes declared in the zip's central directory, or
/// `None` when there is no readable central directory. ZIP64 archives (over 4 GB, or
/// over 65,535 parts) count as too large.
fn unzipped_size(bytes: &[u8]) -> Option<u64> {
    const END: [u8; 4] = [0x50, 0x4B, 0x05, 0x06];
    const ENTRY: [u8; 4] = [0x50, 0x4B, 0x01, 0x02];
    let le16 = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at.checked_add(2)?)?;
        Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let le32 = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    // The end record is 22 bytes plus a comment of at most 65,535.
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(65_535);
    let end = (first..=last)
        .rev()
        .find(|&i| bytes[i..].starts_with(&END))?;
    let entries = le16(end + 10)?;
    let offset = le32(end + 16)?;
    if entries == 0xFFFF || offset == 0xFFFF_FFFF {
        return Some(u64::MAX);
    }
    let mut at = usize::try_from(offset).ok()?;
    let mut total: u64 = 0;
    for _ in 0..entries {
        if !bytes.get(at..)?.starts_with(&ENTRY) {
            return None;
        }
        let size = le32(at + 24)?;
        if size == 0xFFFF_FFFF {
            return Some(u64::MAX);
        }
        total = total.saturating_add(size);
        let variable = le16(at + 28)? + le16(at + 30)? + le16(at + 32)?;
        at = at.checked_add(46 + usize::try_from(variable).ok()?)?;
    }
    Some(total)
}

fn value(v: &DataRef<'_>) -> Value {
    match v {
        DataRef::Empty => Value::Empty,
        DataRef::String(s) | DataRef::DateTimeIso(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) if f.is_finite() => Value::Number(*f),
        DataRef::Float(_) => Value::Other("(số không hợp lệ)".to_owned()),
        DataRef::DateTime(d) if d.is_datetime() => Value::Date(excel_date(d)),
        DataRef::DateTime(d) => Value::Number(d.as_f64()),
        DataRef::Bool(b) => Value::Other(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        DataRef::DurationIso(s) => Value::Other(s.clone()),
        DataRef::Error(e) => Value::Other(e.to_string()),
    }
}

fn text(s: &str) -> Value {
    let t = s.trim();
    if t.is_empty() {
        return Value::Empty;
    }
    let normalised = !is_nfc(t);
    Value::Text {
        text: if normalised {
            t.nfc().collect()
        } else {
            t.to_owned()
        },
        normalised,
    }
}

/// The calendar date of a date cell; `None` outside 1900–2199 or with a time part that
/// is not midnight-ish (a date of birth has no time).
fn excel_date(d: &calamine::ExcelDateTime) -> Option<Date> {
    let serial = d.as_f64();
    if !serial.is_finite() || !(1.0..3_000_000.0).contains(&serial) {
        return None;
    }
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    Date::new(y, m, day).ok()
}

/// A number as a person writes it: `8`, `8.5`, `7.25`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Header text compared loosely: NFC, lower case, single spaces.
pub fn header_key(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_way_people_write_them() {
        assert_eq!(number_text(8.0), "8");
        assert_eq!(number_text(8.5), "8.5");
        assert_eq!(number_text(79312345678.0), "79312345678");
    }

    #[test]
    fn text_is_trimmed_and_normalised_to_nfc() {
        // "Nguyễn" with a combining circumflex and tilde (NFD).
        let nfd: String = "  Nguyễn  ".nfd().collect();
        assert_eq!(
            text(&nfd),
            Value::Text {
                text: "Nguyễn".to_owned(),
                normalised: true
            }
        );
        assert_eq!(text("   "), Value::Empty);
    }

    #[test]
    fn declared_unzipped_sizes_are_summed_and_bounded() {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .write_string(0, 0, "Mã học sinh")
            .unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let total = unzipped_size(&bytes).unwrap();
        assert!(total > 0 && total < 100_000, "{total}");
        // Declare a part of 3 GB: refused before anything is decompressed.
        let entry = bytes
            .windows(4)
            .position(|w| w == [0x50, 0x4B, 0x01, 0x02])
            .unwrap();
        let mut bomb = bytes.clone();
        bomb[entry + 24..entry + 28].copy_from_slice(&3_000_000_000u32.to_le_bytes());
        assert!(unzipped_size(&bomb).unwrap() > MAX_UNZIPPED_BYTES);
        for n in 0..bytes.len() {
            let _ = unzipped_size(&bytes[..n]);
        }
        assert_eq!(unzipped_size(b"PK\x03\x04 not a zip"), None);
    }

    #[test]
    fn mangled_workbooks_are_errors_never_panics() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for r in 0..50u32 {
            ws.write_string(r, 0, "Mã học sinh").unwrap();
            ws.write_number(r, 1, f64::from(r) / 10.0).unwrap();
        }
        let good = book.save_to_buffer().unwrap();
        assert_eq!(read(good.clone(), 100).unwrap().len(), 50);
        assert_eq!(
            read(good.clone(), 10).err(),
            Some(ReadError::TooManyRows(10))
        );
        // xorshift: deterministic "random" damage.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300 {
            let mut bad = good.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bad.len() as u64) as usize;
                bad[at] = next() as u8;
            }
            let cut = bad.len() - (next() % 64) as usize;
            bad.truncate(cut);
            if unzipped_size(&bad).is_some_and(|n| n <= MAX_UNZIPPED_BYTES) {
                let _ = read(bad, 100);
            }
        }
    }

    #[test]
    fn headers_compare_loosely() {
        assert_eq!(header_key("  Mã  học sinh "), header_key("mã học sinh"));
    }
}
