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

const AT: &str = "2026-11-25T19:40:00Z";

fn qpdf_check(pdf: &Path) {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(pdf)
        .output()
        .expect("qpdf (apt-get install qpdf)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("No syntax or stream encoding errors"),
        "{text}"
    );
}

fn pdfinfo(args: &[&str], pdf: &Path) -> String {
    let out = Command::new("pdfinfo")
        .args(args)
        .arg(pdf)
        .output()
        .expect("pdfinfo (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The decoded data of the stream that `key` (e.g. `/DestOutputProfile`) refers to.
fn referenced_stream(pdf: &Path, bytes: &[u8], key: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let at = text
        .find(&format!("{key} "))
        .unwrap_or_else(|| panic!("no {key}"));
    let num: String = text[at + key.len() + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let out = Command::new("qpdf")
        .arg(format!("--show-object={num}"))
        .arg("--filtered-stream-data")
        .arg(pdf)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// ISO 19005-3 (PDF/A-3b) structures: XMP with part 3 / conformance B and the same
/// title and dates as Info, an sRGB output intent with an embedded ICC profile, a
/// document ID, the attachment's relationship, MIME type and modification date.
#[test]
fn dated_copy_has_the_pdfa_3b_structures() {
    let dir = tempfile::tempdir().unwrap();
    let record = record::examples::thpt();
    let xml = record.to_xml();
    let pdf = render::paper_copy_at(&record, &xml, &info(), AT.parse().unwrap()).unwrap();
    let path = write(dir.path(), "a.pdf", &pdf);
    qpdf_check(&path);
    assert!(pdf.starts_with(b"%PDF-1.7\n%"));

    let meta: String = pdfinfo(&["-meta"], &path).nfc().collect();
    for needle in [
        "<pdfaid:part>3</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "<xmp:CreateDate>2026-11-25T19:40:00Z</xmp:CreateDate>",
        "<xmp:ModifyDate>2026-11-25T19:40:00Z</xmp:ModifyDate>",
        "<pdf:Producer>Hocba</pdf:Producer>",
        "Học bạ Nguyễn Thị Ánh Dương",
    ] {
        assert!(meta.contains(needle), "{needle:?} not in\n{meta}");
    }
    let infod: String = pdfinfo(&["-isodates"], &path).nfc().collect();
    let infod = infod.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        infod.contains("CreationDate: 2026-11-25T19:40:00Z"),
        "{infod}"
    );
    assert!(infod.contains("ModDate: 2026-11-25T19:40:00Z"), "{infod}");
    assert!(
        infod.contains("Title: Học bạ Nguyễn Thị Ánh Dương"),
        "{infod}"
    );
    assert!(infod.contains("Producer: Hocba"), "{infod}");

    let raw = String::from_utf8_lossy(&pdf);
    for needle in [
        "/Metadata ",
        "/OutputIntents [",
        "/S /GTS_PDFA1",
        "/OutputConditionIdentifier (sRGB IEC61966-2.1)",
        "/AF [",
        "/AFRelationship /Source",
        "/Subtype /application#2Fxml",
        "/ModDate (D:20261125194000Z)",
        "/ID [<",
    ] {
        assert!(raw.contains(needle), "{needle:?} not in the file");
    }
    assert!(!raw.contains("/Encrypt"));
    assert!(
        !raw.contains("/SMask") && !raw.contains("/CA "),
        "transparency"
    );
    let icc = referenced_stream(&path, &pdf, "/DestOutputProfile");
    assert_eq!(&icc[12..20], b"mntrRGB ");
    assert_eq!(&icc[36..40], b"acsp");
    assert!(raw.contains("/N 3"));
    assert_eq!(detach(&path, dir.path()), xml);
}

#[test]
fn class_file_holds_every_copy_with_its_own_attachment_and_cover() {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        record::examples::thpt(),
        record::examples::primary(),
        record::examples::gdtx(),
    ];
    let xmls: Vec<Vec<u8>> = records.iter().map(record::Record::to_xml).collect();
    let codes = ["HS0001", "HS0002", "HS0003"];
    let copies: Vec<render::ClassCopy<'_>> = records
        .iter()
        .zip(&xmls)
        .zip(codes)
        .map(|((r, x), code)| {
            let mut i = info();
            i.lookup_code = format!("LK-{code}");
            i.lookup_url = format!("{URL}-{code}");
            render::ClassCopy {
                record: r,
                signed_xml: x,
                info: i,
                attachment: format!("{code}.xml"),
            }
        })
        .collect();
    let line = |roll: &str, code: &str, name: &str| render::CoverLine {
        roll: roll.to_owned(),
        code: code.to_owned(),
        name: name.to_owned(),
    };
    let cover = render::Cover {
        title: "Lớp 10A1 — năm học 2025-2026".to_owned(),
        school: "Trường THPT Chu Văn An".to_owned(),
        converted_by: "Đặng Thị Hồng Nhung".to_owned(),
        converted_at: "25/11/2026 19:40".to_owned(),
        included: codes.iter().map(|c| line("1", c, "Ai Đó")).collect(),
        skipped: vec![(
            line("4", "HS0004", "Lê Văn Bỏ Sót"),
            "Chưa có phiên bản đã ký".to_owned(),
        )],
    };
    let pdf = render::class_copies(&cover, &copies, AT.parse().unwrap()).unwrap();
    let path = write(dir.path(), "class.pdf", &pdf);
    if std::env::var_os("RENDER_KEEP").is_some() {
        std::fs::write("/tmp/rt/class.pdf", &pdf).unwrap();
    }
    qpdf_check(&path);
    let meta = pdfinfo(&["-meta"], &path);
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");

    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("3 embedded files"), "{list}");
    for (i, (code, xml)) in codes.iter().zip(&xmls).enumerate() {
        assert!(list.contains(&format!("{code}.xml")), "{list}");
        let out = dir.path().join(format!("{code}.out"));
        let st = Command::new("pdfdetach")
            .args(["-save", &(i + 1).to_string(), "-o"])
            .arg(&out)
            .arg(&path)
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(&std::fs::read(out).unwrap(), xml, "{code}");
    }
    let text = pdftotext(&path);
    for needle in [
        "BẢN SAO GIẤY HỌC BẠ",
        "Lớp 10A1 — năm học 2025-2026",
        "Lê Văn Bỏ Sót",
        "Chưa có phiên bản đã ký",
        "LK-HS0001",
        "LK-HS0003",
        "(HS0002.xml)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    for r in &records {
        let name: String = r.student.name.as_str().nfc().collect();
        assert!(text.contains(&name), "{name}");
    }
    // The cover and each copy count their own pages.
    let pages = pdfinfo(&[], &path);
    let n: usize = pages
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(text.matches("Trang 1/").count(), 4);
    assert!(n >= 4);
    // The file's structure: every attachment in /AF, one /AF per copy's first page.
    let raw = String::from_utf8_lossy(&pdf);
    assert_eq!(raw.matches("/AFRelationship /Source").count(), 3);
    assert_eq!(raw.matches("/AF [").count(), 4);
}

#[test]
fn class_file_refuses_two_copies_under_one_name() {
    let r = record::examples::primary();
    let xml = r.to_xml();
    let copy = render::ClassCopy {
        record: &r,
        signed_xml: &xml,
        info: info(),
        attachment: "HS1.xml".to_owned(),
    };
    let cover = render::Cover {
        title: "t".to_owned(),
        school: "s".to_owned(),
        converted_by: "c".to_owned(),
        converted_at: "a".to_owned(),
        included: Vec::new(),
        skipped: Vec::new(),
    };
    assert_eq!(
        render::class_copies(&cover, &[copy.clone(), copy], AT.parse().unwrap()),
        Err(render::RenderError::DuplicateAttachment(
            "HS1.xml".to_owned()
        ))
    );
}

/// A full class (60 students) in one file: 60 attachments, each copy on its own pages.
#[test]
fn a_class_of_sixty_fits_in_one_file_with_sixty_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let examples: Vec<(record::Record, Vec<u8>)> = record::examples::all()
        .into_iter()
        .map(|(_, r)| {
            let x = r.to_xml();
            (r, x)
        })
        .collect();
    let copies: Vec<render::ClassCopy<'_>> = (0..60)
        .map(|i| {
            let (r, x) = &examples[i % examples.len()];
            render::ClassCopy {
                record: r,
                signed_xml: x,
                info: info(),
                attachment: format!("HS{i:04}.xml"),
            }
        })
        .collect();
    let cover = render::Cover {
        title: "Lớp 6A1 — năm học 2025-2026".to_owned(),
        school: "Trường THCS Lê Quý Đôn".to_owned(),
        converted_by: "Đặng Thị Hồng Nhung".to_owned(),
        converted_at: "25/11/2026 19:40".to_owned(),
        included: Vec::new(),
        skipped: Vec::new(),
    };
    let pdf = render::class_copies(&cover, &copies, AT.parse().unwrap()).unwrap();
    let path = write(dir.path(), "sixty.pdf", &pdf);
    qpdf_check(&path);
    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("60 embedded files"), "{list}");
    assert!(list.contains("HS0000.xml") && list.contains("HS0059.xml"));
    let text = pdftotext(&path);
    assert_eq!(text.matches("Trang 1/").count(), 61);
}

/// Every QR code printed in `pdf`, decoded from the pages as rendered by poppler's
/// `pdftoppm` (grey, 150 dpi).
fn printed_qr_codes(pdf: &Path, dir: &Path) -> Vec<String> {
    let prefix = dir.join("page");
    let st = Command::new("pdftoppm")
        .args(["-r", "150", "-gray"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(st.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    pages.sort();
    let mut found = Vec::new();
    for page in pages {
        let data = std::fs::read(&page).unwrap();
        // Binary PGM: "P5", width, height, maxval, one whitespace, then the pixels.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while data[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !data[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8(data[start..at].to_vec()).unwrap());
        }
        assert_eq!(fields[0], "P5");
        let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let pixels = &data[at + 1..];
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        for grid in img.detect_grids() {
            found.push(grid.decode().unwrap().1);
        }
    }
    found
}

#[test]
fn each_copy_of_a_class_file_prints_a_qr_code_of_its_own_lookup_url() {
    let dir = tempfile::tempdir().unwrap();
    let records = [record::examples::primary(), record::examples::thpt()];
    let xmls: Vec<Vec<u8>> = records.iter().map(record::Record::to_xml).collect();
    let urls = [format!("{URL}-A"), format!("{URL}-B")];
    let copies: Vec<render::ClassCopy<'_>> = records
        .iter()
        .zip(&xmls)
        .zip(&urls)
        .enumerate()
        .map(|(i, ((r, x), url))| {
            let mut copy_info = info();
            copy_info.lookup_url = url.clone();
            render::ClassCopy {
                record: r,
                signed_xml: x,
                info: copy_info,
                attachment: format!("HS{i}.xml"),
            }
        })
        .collect();
    let cover = render::Cover {
        title: "Lớp 6A1 — năm học 2025-2026".to_owned(),
        school: "Trường THCS Lê Quý Đôn".to_owned(),
        converted_by: "Đặng Thị Hồng Nhung".to_owned(),
        converted_at: "25/11/2026 19:40".to_owned(),
        included: Vec::new(),
        skipped: Vec::new(),
    };
    let pdf = render::class_copies(&cover, &copies, AT.parse().unwrap()).unwrap();
    let path = write(dir.path(), "class.pdf", &pdf);
    let pages = tempfile::tempdir().unwrap();
    assert_eq!(printed_qr_codes(&path, pages.path()), urls);
}
