//! `hocba pdf`: demo PKI → sign the fixture record GVCN, HT, DAU → paper copy; the PDF
//! carries the signed XML and the verified signers; an incomplete chain is refused.
//! Reads the PDF with poppler's `pdftotext` / `pdfdetach` (scripts/test installs
//! `poppler-utils`).

use std::path::Path;
use std::process::{Command, Output};

use crate::support::hocba;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../record/tests/fixtures/thpt-grade10.xml"
);

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sign(dir: &Path, input: &str, role: &str, key: &str, name: Option<&str>, out: &str) {
    let pki = |f: &str| dir.join("pki").join(f).to_str().unwrap().to_owned();
    let mut args = vec![
        "sign".to_owned(),
        input.to_owned(),
        "--role".into(),
        role.into(),
        "--key".into(),
        pki(&format!("{key}.key.pem")),
        "--cert".into(),
        pki(&format!("{key}.cert.pem")),
        "--chain".into(),
        pki(&format!("{key}.chain.pem")),
        "--trust".into(),
        pki("root.pem"),
        "-o".into(),
        out.to_owned(),
    ];
    if let Some(n) = name {
        args.extend(["--name".to_owned(), n.to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&hocba(&args));
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pdf_of_a_signed_record_attaches_it_and_prints_signers_lookup_and_converter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    ok(&hocba(&["keys", "demo-pki", &p("pki")]));
    sign(
        dir,
        FIXTURE,
        "GVCN",
        "gvcn",
        Some("Trần Văn Hùng"),
        &p("s1.xml"),
    );
    sign(
        dir,
        &p("s1.xml"),
        "HT",
        "ht",
        Some("Lê Thị Mai Phương"),
        &p("s2.xml"),
    );
    let trust = p("pki/root.pem");

    // Two signatures of three: not printable.
    let out = hocba(&["pdf", &p("s2.xml"), "-o", &p("s2.pdf"), "--trust", &trust]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("không in được"));
    assert!(!dir.join("s2.pdf").exists());

    sign(dir, &p("s2.xml"), "DAU", "seal", None, &p("s3.xml"));
    // Default lookup URL: the demo placeholder, said so on stderr.
    let out = hocba(&[
        "pdf",
        &p("s3.xml"),
        "-o",
        &p("copy.pdf"),
        "--trust",
        &trust,
        "--by",
        "Đặng Thị Hồng Nhung",
    ]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("demo placeholder")
            && stderr.contains("http://127.0.0.1:8090/verify?code=")
    );
    let pdf = std::fs::read(dir.join("copy.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    poppler(
        "pdfdetach",
        &["-save", "1", "-o", &p("back.xml"), &p("copy.pdf")],
    );
    assert_eq!(
        std::fs::read(dir.join("back.xml")).unwrap(),
        std::fs::read(dir.join("s3.xml")).unwrap()
    );
    // PDF/A-3b: the XMP names the part and conformance and dates the conversion.
    let meta = poppler("pdfinfo", &["-meta", &p("copy.pdf")]);
    assert!(
        meta.contains("<pdfaid:part>3</pdfaid:part>")
            && meta.contains("<pdfaid:conformance>B</pdfaid:conformance>")
            && meta.contains("<xmp:CreateDate>20"),
        "{meta}"
    );
    let text = poppler("pdftotext", &["-raw", &p("copy.pdf"), "-"]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Trường THPT",
        "Nguyễn Thị Ánh Dương",
        "Bản sao chuyển đổi từ học bạ điện tử",
        "Người chuyển đổi: Đặng Thị Hồng Nhung",
        "Giáo viên chủ nhiệm Trần Văn Hùng",
        "Hiệu trưởng Lê Thị Mai Phương",
        "Dấu đơn vị",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }

    // A given lookup URL is used as is.
    let url = "https://tra-cuu.example.test/v?c=ABC";
    ok(&hocba(&[
        "pdf",
        &p("s3.xml"),
        "-o",
        &p("copy2.pdf"),
        "--trust",
        &trust,
        "--lookup-url",
        url,
        "--lookup-code",
        "ABC",
    ]));
    let text = poppler("pdftotext", &["-raw", &p("copy2.pdf"), "-"]);
    assert!(
        text.contains(url) && text.contains("Mã tra cứu: ABC"),
        "{text}"
    );

    // Several records make one file: the verified ones as copies (XML attached under the
    // student code), the others listed on the cover and on stderr, exit 1.
    let out = hocba(&[
        "pdf",
        &p("s3.xml"),
        &p("s2.xml"),
        "-o",
        &p("class.pdf"),
        "--trust",
        &trust,
        "--title",
        "Lớp 10A1 — năm học 2025-2026",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s2.xml: không in được"));
    let list = poppler("pdfdetach", &["-list", &p("class.pdf")]);
    assert!(list.contains("1 embedded files"), "{list}");
    let code = std::fs::read_to_string(dir.join("s3.xml")).unwrap();
    let code = code
        .split("<MaHocSinh>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(list.contains(&format!("1: {code}.xml")), "{list}");
    let text = poppler("pdftotext", &["-raw", &p("class.pdf"), "-"]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "BẢN SAO GIẤY HỌC BẠ",
        "Lớp 10A1 — năm học 2025-2026",
        "s2.xml",
        "chữ ký số của học bạ không hợp lệ hoặc chưa đủ",
        "Nguyễn Thị Ánh Dương",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let meta = poppler("pdfinfo", &["-meta", &p("class.pdf")]);
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");
}
