//! The paper copy through the tools a reader uses: poppler's `pdftotext` and `pdfdetach`
//! (Debian `poppler-utils`, installed by `scripts/test`), and a QR decoder.

use std::path::Path;
use std::process::Command;

use render::{PaperCopyInfo, Signer, paper_copy, qr_modules};
use unicode_normalization::UnicodeNormalization;

const URL: &str = "http://127.0.0.1:8090/verify?code=HB-7Q2K-9XMD";

fn info() -> PaperCopyInfo {
    PaperCopyInfo {
        lookup_url: URL.to_owned(),
        lookup_code: "HB-7Q2K-9XMD".to_owned(),
        converted_by: "Đặng Thị Hồng Nhung".to_owned(),
        converted_at: "25/11/2026 19:40 UTC".to_owned(),
        signers: vec![
            Signer {
                role: "Giáo viên chủ nhiệm".to_owned(),
                name: "Nguyễn Văn Hùng".to_owned(),
                time: "2026-05-20T08:00:00Z".to_owned(),
            },
            Signer {
                role: "Hiệu trưởng".to_owned(),
                name: "Trần Thị Ánh Tuyết".to_owned(),
                time: "2026-05-21T09:30:00Z".to_owned(),
            },
        ],
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-raw"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One space between words, so that a phrase split by the layout still matches.
    let text: String = String::from_utf8(out.stdout).unwrap().nfc().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn detach(pdf: &Path, dir: &Path) -> Vec<u8> {
    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(pdf)
        .output()
        .expect("pdfdetach (apt-get install poppler-utils)");
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("1 embedded files"), "{list}");
    assert!(list.contains("hocba.xml"), "{list}");
    let out = dir.join("extracted.xml");
    let st = Command::new("pdfdetach")
        .args(["-save", "1", "-o"])
        .arg(&out)
        .arg(pdf)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(out).unwrap()
}

#[test]
fn every_example_renders_with_text_attachment_and_accents() {
    let dir = tempfile::tempdir().unwrap();
    for (name, record) in record::examples::all() {
        let xml = record.to_xml();
        let pdf = paper_copy(&record, &xml, &info()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{name}");
        let path = write(dir.path(), &format!("{name}.pdf"), &pdf);
        assert_eq!(detach(&path, dir.path()), xml, "{name}: attachment differs");
        let text = pdftotext(&path);
        let student: String = record.student.name.as_str().nfc().collect();
        for needle in [
            student.as_str(),
            record.school.name.as_str(),
            "HỌC BẠ",
            "Bản sao chuyển đổi từ học bạ điện tử",
            "Đặng Thị Hồng Nhung",
            "Trần Thị Ánh Tuyết",
            "HB-7Q2K-9XMD",
            URL,
        ] {
            assert!(text.contains(needle), "{name}: {needle:?} not in\n{text}");
        }
        for subject in subject_names(&record) {
            assert!(
                text.contains(&subject),
                "{name}: subject {subject:?} not in\n{text}"
            );
        }
        if std::env::var_os("RENDER_KEEP").is_some() {
            std::fs::write(format!("/tmp/rt/{name}.pdf"), &pdf).unwrap();
        }
    }
}

#[test]
fn thpt_copy_names_the_school_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    let record = record::examples::thpt();
    assert!(record.school.name.as_str().starts_with("Trường THPT"));
    let pdf = paper_copy(&record, &record.to_xml(), &info()).unwrap();
    let text = pdftotext(&write(dir.path(), "thpt.pdf", &pdf));
    assert!(text.contains("Trường THPT"), "{text}");
    assert!(text.contains("Kết quả rèn luyện"), "{text}");
    assert!(
        text.contains("Lên lớp") || text.contains("Ở lại lớp") || text.contains("Kiểm tra lại")
    );
}

#[test]
fn qr_code_decodes_to_the_lookup_url() {
    let (width, modules) = qr_modules(URL).unwrap();
    let scale = 4;
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx < width + quiet
            && my < width + quiet
            && modules[(my - quiet) * width + (mx - quiet)];
        if dark { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, URL);
}

#[test]
fn empty_lookup_url_is_refused() {
    let record = record::examples::primary();
    let mut i = info();
    i.lookup_url = " ".to_owned();
    assert_eq!(
        paper_copy(&record, b"<x/>", &i),
        Err(render::RenderError::NoLookupUrl)
    );
}

fn subject_names(r: &record::Record) -> Vec<String> {
    match &r.results {
        record::Results::Secondary(s) => s.subjects.iter().map(|x| x.name.to_string()).collect(),
        record::Results::Primary(p) => p.subjects.iter().map(|x| x.name.to_string()).collect(),
    }
}
