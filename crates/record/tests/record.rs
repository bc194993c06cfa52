//! The record crate's integration tests: round trips, golden bytes, XSD sync (xmllint),
//! strict-parser rejections, recomputation, property tests.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::Command;

use domain::tt22::{Comment, Rating, Title};
use domain::tt27::{
    Competence, Mastery, Overall, Quality, SubjectLevel, TestScore, Title as PrimaryTitle,
};
use domain::{Date, Grade, Level, RuleVersion, SchoolYear, Score, Sex, Tenths};
use proptest::prelude::*;
use record::{
    Absences, Class, Code, CommentedSubject, Dated, Mismatch, ParseError, PrimaryPeriod,
    PrimaryResults, PrimarySubject, Promotion, Rated, Record, RecordId, Results, School,
    ScoredSemester, ScoredSubject, SecondaryResults, SecondarySubject, Sha256Digest,
    SigningBlocker, Student, SubjectAssessment, Supersedes, Terms, Text, examples, parse_document,
    recompute_check,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/hocba-v1.xsd")
}

fn thpt_xml() -> String {
    String::from_utf8(examples::thpt().to_xml()).expect("writer emits UTF-8")
}

/// Parses `xml` and returns the error, failing the test if it parses.
fn reject(xml: &str) -> ParseError {
    match Record::from_xml(xml.as_bytes()) {
        Ok(_) => panic!("document was accepted:\n{xml}"),
        Err(e) => e,
    }
}

/// `xml` with the first occurrence of `from` replaced (which must exist).
fn edit(xml: &str, from: &str, to: &str) -> String {
    assert!(xml.contains(from), "fixture lacks {from:?}");
    xml.replacen(from, to, 1)
}

// =======================================================================================
// Round trip, determinism, golden bytes

#[test]
fn every_example_round_trips_and_rewrites_to_the_same_bytes() {
    for (name, r) in examples::all() {
        let bytes = r.to_xml();
        let parsed = Record::from_xml(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed, r, "{name}");
        assert_eq!(parsed.to_xml(), bytes, "{name}: rewrite differs");
        assert_eq!(r.to_xml(), bytes, "{name}: output not deterministic");
        let text = std::str::from_utf8(&bytes).expect("UTF-8");
        assert!(
            unicode_normalization::is_nfc(text),
            "{name}: output not NFC"
        );
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HocBa xmlns=\"urn:hocba:record:1\">\n  <DuLieu Id=\"data\">\n"));
        assert!(
            text.ends_with("  </DuLieu>\n  <ChuKySo/>\n</HocBa>\n"),
            "{name}: layout contract"
        );
    }
}

/// The exact bytes of the THPT example. Regenerate after an intended change with
/// `HOCBA_BLESS=1 cargo test -p record --test record golden` and review the diff.
#[test]
fn golden_thpt_document_bytes() {
    let path = fixtures().join("thpt-grade10.xml");
    let actual = examples::thpt().to_xml();
    if std::env::var_os("HOCBA_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
    }
    let expected =
        std::fs::read(&path).expect("golden file exists (run with HOCBA_BLESS=1 to create)");
    assert!(
        expected == actual,
        "THPT document bytes changed; diff {} against the output:\n{}",
        path.display(),
        String::from_utf8_lossy(&actual)
    );
}

#[test]
fn scores_are_written_as_entered_and_averages_with_one_decimal() {
    let xml = thpt_xml();
    assert!(xml.contains("<DiemDanhGiaThuongXuyen>8</DiemDanhGiaThuongXuyen>"));
    assert!(xml.contains("<DiemDanhGiaThuongXuyen>7.5</DiemDanhGiaThuongXuyen>"));
    assert!(xml.contains("<DiemCuoiKy>10</DiemCuoiKy>"));
    assert!(xml.contains("<DiemTrungBinhCaNam>9.5</DiemTrungBinhCaNam>"));
    assert!(!xml.contains("<DiemGiuaKy>8.0</DiemGiuaKy>"));
    assert!(xml.contains("<TenMonHoc>Toán</TenMonHoc>"));
    // Markup characters in text are escaped, and the text survives the round trip.
    assert!(xml.contains("trình bày rõ ràng &amp; cẩn thận."));
}

#[test]
fn text_is_normalised_to_nfc_when_built() {
    let mut r = examples::thpt();
    r.student.name = Text::new("Nguye\u{302}\u{303}n Va\u{306}n A").expect("valid");
    let xml = String::from_utf8(r.to_xml()).expect("UTF-8");
    assert!(xml.contains("<HoVaTen>Nguyễn Văn A</HoVaTen>"));
}

// =======================================================================================
// XSD sync (xmllint must be installed: scripts/test installs libxml2-utils)

fn xmllint(document: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, document).expect("write document");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&file)
        .output()
        .expect("xmllint is required for the XSD tests: apt-get install libxml2-utils");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn xsd_validates_every_generated_document() {
    // THPT, THPT with re-assessment, THCS with summer training, GDTX, primary, and a
    // version with a ThayThe link.
    for (name, r) in examples::all() {
        let (ok, log) = xmllint(&r.to_xml());
        assert!(ok, "{name} does not validate against the XSD:\n{log}");
    }
}

#[test]
fn xsd_validates_a_record_without_personal_id_and_optional_parts() {
    let mut r = examples::thcs_with_summer_training();
    r.student.personal_id = None;
    let (ok, log) = xmllint(&r.to_xml());
    assert!(ok, "{log}");
}

#[test]
fn xsd_accepts_signatures_laxly_and_rejects_broken_documents() {
    let signed = edit(&thpt_xml(), "<ChuKySo/>", SIGNED_CHUKYSO);
    let (ok, log) = xmllint(signed.as_bytes());
    assert!(ok, "signed layout should validate:\n{log}");

    let broken = [
        edit(
            &thpt_xml(),
            "<DiemGiuaKy>8</DiemGiuaKy>",
            "<DiemGiuaKy>11</DiemGiuaKy>",
        ),
        edit(
            &thpt_xml(),
            "<GioiTinh>Nữ</GioiTinh>",
            "<GioiTinh>N</GioiTinh>",
        ),
        edit(&thpt_xml(), "<ChuKySo/>", "<ChuKySo><Khac/></ChuKySo>"),
        edit(&thpt_xml(), "<NgaySinh>2010-03-15</NgaySinh>", ""),
        edit(&thpt_xml(), "<DuLieu Id=\"data\">", "<DuLieu Id=\"other\">"),
    ];
    for doc in broken {
        let (ok, _) = xmllint(doc.as_bytes());
        assert!(!ok, "xmllint accepted a broken document:\n{doc}");
        assert!(
            Record::from_xml(doc.as_bytes()).is_err(),
            "parser accepted a broken document"
        );
    }
}

// =======================================================================================
// The ChuKySo contract with the xmldsig crate

const SIGNED_CHUKYSO: &str = r##"<ChuKySo>
    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig1"><ds:SignedInfo><ds:Reference URI="#data"/></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>
    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="sig2"><ds:SignedInfo/></ds:Signature>
  </ChuKySo>"##;

#[test]
fn signatures_are_accepted_as_opaque_ds_signature_elements() {
    let signed = edit(&thpt_xml(), "<ChuKySo/>", SIGNED_CHUKYSO);
    let doc = parse_document(signed.as_bytes()).expect("signed document parses");
    assert_eq!(doc.record, examples::thpt());
    let ids: Vec<_> = doc.signatures.iter().map(|s| s.id.as_deref()).collect();
    assert_eq!(ids, [Some("sig1"), Some("sig2")]);
    assert!(
        parse_document(thpt_xml().as_bytes())
            .expect("unsigned")
            .signatures
            .is_empty()
    );
}

#[test]
fn stray_content_in_chukyso_is_rejected() {
    for stray in [
        "<ChuKySo><Khac/></ChuKySo>",
        "<ChuKySo>văn bản</ChuKySo>",
        "<ChuKySo><Signature/></ChuKySo>",
        "<ChuKySo><ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></ChuKySo>",
    ] {
        let e = reject(&edit(&thpt_xml(), "<ChuKySo/>", stray));
        assert!(
            matches!(e, ParseError::StraySignatureContent { .. }),
            "{stray}: {e:?}"
        );
        assert_eq!(e.code(), "stray-signature-content");
    }
}

#[test]
fn layout_of_root_is_fixed() {
    let xml = thpt_xml();
    let swapped = edit(
        &edit(&xml, "  <ChuKySo/>\n", ""),
        "  <DuLieu Id=\"data\">",
        "  <ChuKySo/>\n  <DuLieu Id=\"data\">",
    );
    assert!(matches!(
        reject(&swapped),
        ParseError::UnexpectedElement { .. }
    ));
    assert!(
        matches!(reject(&edit(&xml, "  <ChuKySo/>\n", "")), ParseError::MissingElement { path } if path == "/HocBa/ChuKySo")
    );
    assert!(matches!(
        reject(&edit(&xml, "<ChuKySo/>", "<ChuKySo/><ChuKySo/>")),
        ParseError::UnexpectedElement { .. }
    ));
    assert!(matches!(
        reject(&edit(&xml, "<DuLieu Id=\"data\">", "<DuLieu Id=\"data2\">")),
        ParseError::InvalidValue { path, .. } if path == "/HocBa/DuLieu/@Id"
    ));
    assert!(matches!(
        reject(&edit(&xml, "<DuLieu Id=\"data\">", "<DuLieu>")),
        ParseError::MissingAttribute { name: "Id", .. }
    ));
    assert!(matches!(
        reject(&edit(&xml, "<DuLieu Id=\"data\">", "<DuLieu Id=\"data\" Khac=\"1\">")),
        ParseError::UnknownAttribute { name, .. } if name == "Khac"
    ));
    assert!(matches!(
        reject(&edit(
            &xml,
            "<HocBa xmlns=\"urn:hocba:record:1\">",
            "<HocBa xmlns=\"urn:hocba:record:2\">"
        )),
        ParseError::WrongRoot { .. }
    ));
    assert!(matches!(
        reject(&edit(&xml, "  <ChuKySo/>", "  văn bản\n  <ChuKySo/>")),
        ParseError::UnexpectedText { .. }
    ));
}

// =======================================================================================
// Strict parser: one test per rule, asserting the variant

#[test]
fn rejects_a_dtd() {
    let xml = edit(&thpt_xml(), "?>\n", "?>\n<!DOCTYPE HocBa>\n");
    assert_eq!(reject(&xml), ParseError::Dtd);
}

#[test]
fn rejects_entity_declarations_and_references() {
    let declared = edit(
        &thpt_xml(),
        "?>\n",
        "?>\n<!DOCTYPE HocBa [<!ENTITY ten \"Nguyễn\">]>\n",
    );
    assert_eq!(reject(&declared), ParseError::Dtd);
    let billion = edit(
        &thpt_xml(),
        "?>\n",
        "?>\n<!DOCTYPE HocBa [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n",
    );
    assert_eq!(reject(&billion), ParseError::Dtd);
    let referenced = edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        "<DanToc>&ten;</DanToc>",
    );
    assert_eq!(
        reject(&referenced),
        ParseError::Entity { name: "ten".into() }
    );
    // Predefined entities and character references are plain XML and stay accepted.
    let predefined = edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        "<DanToc>&#x4B;inh</DanToc>",
    );
    assert_eq!(
        Record::from_xml(predefined.as_bytes()).map(|r| r.student.ethnicity.to_string()),
        Ok("Kinh".into())
    );
}

#[test]
fn rejects_text_that_is_not_nfc() {
    let xml = edit(
        &thpt_xml(),
        "<HoVaTen>Nguyễn",
        "<HoVaTen>Nguye\u{302}\u{303}n",
    );
    let e = reject(&xml);
    assert_eq!(
        e,
        ParseError::NotNfc {
            path: "/HocBa/DuLieu/HocSinh/HoVaTen".into()
        }
    );
    assert_eq!(e.code(), "not-nfc");
    let attr = edit(
        &thpt_xml(),
        "<ChuKySo/>",
        "<ChuKySo><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"e\u{301}\"/></ChuKySo>",
    );
    assert!(matches!(reject(&attr), ParseError::NotNfc { .. }));
}

#[test]
fn rejects_unknown_elements_and_attributes() {
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>",
        "<BietDanh>Bé</BietDanh><DanToc>",
    ));
    assert_eq!(
        e,
        ParseError::UnknownElement {
            path: "/HocBa/DuLieu/HocSinh/BietDanh".into()
        }
    );
    let e = reject(&edit(&thpt_xml(), "<HoVaTen>", "<HoVaTen lang=\"vi\">"));
    assert_eq!(
        e,
        ParseError::UnknownAttribute {
            path: "/HocBa/DuLieu/HocSinh/HoVaTen".into(),
            name: "lang".into()
        }
    );
    let e = reject(&edit(&thpt_xml(), "<HoVaTen>", "<HoVaTen xml:lang=\"vi\">"));
    assert!(matches!(e, ParseError::UnknownAttribute { .. }), "{e:?}");
    // An element of another namespace is unknown even with a known local name.
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        "<DanToc xmlns=\"urn:other\">Kinh</DanToc>",
    ));
    assert!(matches!(e, ParseError::UnknownElement { .. }), "{e:?}");
    // Children inside a leaf.
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        "<DanToc><HoVaTen>Kinh</HoVaTen></DanToc>",
    ));
    assert!(matches!(e, ParseError::UnknownElement { .. }), "{e:?}");
}

#[test]
fn rejects_missing_and_misplaced_elements() {
    let e = reject(&edit(&thpt_xml(), "<NgaySinh>2010-03-15</NgaySinh>", ""));
    assert_eq!(
        e,
        ParseError::MissingElement {
            path: "/HocBa/DuLieu/HocSinh/NgaySinh".into()
        }
    );
    assert_eq!(e.code(), "missing-element");
    let e = reject(&edit(&thpt_xml(), "<DiemGiuaKy>8</DiemGiuaKy>", ""));
    assert!(
        matches!(&e, ParseError::MissingElement { path } if path.ends_with("/MonHoc[1]/DanhGiaBangDiem/HocKy1/DiemGiuaKy")),
        "{e:?}"
    );
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        "<DanToc>Kinh</DanToc><DanToc>Kinh</DanToc>",
    ));
    assert!(
        matches!(
            e,
            ParseError::MissingElement { .. } | ParseError::UnexpectedElement { .. }
        ),
        "{e:?}"
    );
    let nine = "<DiemDanhGiaThuongXuyen>8</DiemDanhGiaThuongXuyen>".repeat(9);
    let e = reject(&edit(
        &thpt_xml(),
        "<DiemGiuaKy>8</DiemGiuaKy>",
        &format!("{nine}<DiemGiuaKy>8</DiemGiuaKy>"),
    ));
    assert!(matches!(e, ParseError::UnexpectedElement { .. }), "{e:?}");
}

#[test]
fn rejects_oversize_documents_before_parsing() {
    let mut bytes = examples::thpt().to_xml();
    bytes.resize(record::MAX_DOCUMENT_BYTES + 1, b' ');
    assert_eq!(
        Record::from_xml(&bytes),
        Err(ParseError::TooLarge {
            size: record::MAX_DOCUMENT_BYTES + 1,
            limit: record::MAX_DOCUMENT_BYTES
        })
    );
}

#[test]
fn rejects_overdeep_documents() {
    let deep = format!("{}x{}", "<a>".repeat(40), "</a>".repeat(40));
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        &format!("<DanToc>{deep}</DanToc>"),
    ));
    assert!(matches!(e, ParseError::TooDeep { limit: 32, .. }), "{e:?}");
    // Deep nesting of self-closing elements and far beyond any stack.
    let deeper = format!("{}<b/>{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let e = reject(&edit(
        &thpt_xml(),
        "<DanToc>Kinh</DanToc>",
        &format!("<DanToc>{deeper}</DanToc>"),
    ));
    assert!(matches!(e, ParseError::TooDeep { .. }), "{e:?}");
}

#[test]
fn rejects_scores_out_of_range_or_not_canonical() {
    for (bad, note) in [
        ("11", "above 10"),
        ("10.5", "above 10"),
        ("8.0", "input scores are written in shortest form"),
        ("8,5", "decimal comma"),
        ("8.55", "two decimals"),
        (" 8", "spaces"),
        ("-1", "sign"),
        ("", "empty"),
        ("08", "leading zero"),
    ] {
        let e = reject(&edit(
            &thpt_xml(),
            "<DiemGiuaKy>8</DiemGiuaKy>",
            &format!("<DiemGiuaKy>{bad}</DiemGiuaKy>"),
        ));
        assert!(
            matches!(e, ParseError::InvalidScore { .. }),
            "{bad:?} ({note}): {e:?}"
        );
        assert_eq!(e.code(), "invalid-score");
    }
    for bad in ["8", "11.0", "8.25", "08.5"] {
        let e = reject(&edit(
            &thpt_xml(),
            "<DiemTrungBinhCaNam>8.5</DiemTrungBinhCaNam>",
            &format!("<DiemTrungBinhCaNam>{bad}</DiemTrungBinhCaNam>"),
        ));
        assert!(
            matches!(e, ParseError::InvalidScore { .. }),
            "{bad:?}: {e:?}"
        );
    }
    let primary = String::from_utf8(examples::primary().to_xml()).expect("UTF-8");
    for bad in ["0", "11", "9.5"] {
        let e = reject(&edit(
            &primary,
            "<DiemKiemTra>10</DiemKiemTra>",
            &format!("<DiemKiemTra>{bad}</DiemKiemTra>"),
        ));
        assert!(
            matches!(e, ParseError::InvalidScore { .. }),
            "{bad:?}: {e:?}"
        );
    }
}

#[test]
fn rejects_a_declared_encoding_other_than_utf8_and_non_utf8_bytes() {
    let xml = edit(&thpt_xml(), "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    assert_eq!(
        reject(&xml),
        ParseError::WrongEncoding {
            declared: "ISO-8859-1".into()
        }
    );
    let lower = edit(&thpt_xml(), "encoding=\"UTF-8\"", "encoding=\"utf-8\"");
    assert!(Record::from_xml(lower.as_bytes()).is_ok());
    let mut latin1 = thpt_xml().into_bytes();
    latin1.extend_from_slice(b"\xff");
    assert!(matches!(
        Record::from_xml(&latin1),
        Err(ParseError::NotUtf8 { .. })
    ));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(thpt_xml().as_bytes());
    assert_eq!(Record::from_xml(&bom), Err(ParseError::ByteOrderMark));
}

#[test]
fn rejects_processing_instructions_and_comments() {
    let e = reject(&edit(
        &thpt_xml(),
        "<HocSinh>",
        "<?xml-stylesheet href=\"x.xsl\"?><HocSinh>",
    ));
    assert_eq!(
        e,
        ParseError::ProcessingInstruction {
            path: "/HocBa/DuLieu".into()
        }
    );
    let e = reject(&edit(&thpt_xml(), "<HocBa ", "<?php echo 1 ?>\n<HocBa "));
    assert!(
        matches!(e, ParseError::ProcessingInstruction { .. }),
        "{e:?}"
    );
    let e = reject(&edit(&thpt_xml(), "<HoVaTen>", "<!-- x --><HoVaTen>"));
    assert_eq!(
        e,
        ParseError::Comment {
            path: "/HocBa/DuLieu/HocSinh".into()
        }
    );
}

#[test]
fn rejects_malformed_xml() {
    let e = reject(&edit(&thpt_xml(), "</HoVaTen>", "</HoVaTenX>"));
    assert!(matches!(e, ParseError::Malformed { .. }), "{e:?}");
    assert!(matches!(reject(""), ParseError::Malformed { .. }));
}

#[test]
fn rejects_values_that_do_not_parse_into_domain_types() {
    for (from, to) in [
        (
            "<NgaySinh>2010-03-15</NgaySinh>",
            "<NgaySinh>2010-02-30</NgaySinh>",
        ),
        (
            "<NgaySinh>2010-03-15</NgaySinh>",
            "<NgaySinh>15/03/2010</NgaySinh>",
        ),
        (
            "<SoDinhDanhCaNhan>079310012345</SoDinhDanhCaNhan>",
            "<SoDinhDanhCaNhan>07931001234</SoDinhDanhCaNhan>",
        ),
        (
            "<MaHocSinh>79000012345678901234</MaHocSinh>",
            "<MaHocSinh>7900001234567890123a</MaHocSinh>",
        ),
        ("<GioiTinh>Nữ</GioiTinh>", "<GioiTinh>nữ</GioiTinh>"),
        ("<NamHoc>2025-2026</NamHoc>", "<NamHoc>2025-2027</NamHoc>"),
        ("<MaKhoi>10</MaKhoi>", "<MaKhoi>13</MaKhoi>"),
        ("<MaKhoi>10</MaKhoi>", "<MaKhoi>010</MaKhoi>"),
        ("<CapHoc>THPT</CapHoc>", "<CapHoc>thpt</CapHoc>"),
        (
            "<HoVaTen>Nguyễn Thị Ánh Dương</HoVaTen>",
            "<HoVaTen> </HoVaTen>",
        ),
        ("<HoVaTen>Nguyễn Thị Ánh Dương</HoVaTen>", "<HoVaTen/>"),
        (
            "<KetQuaHocTap>Tốt</KetQuaHocTap>",
            "<KetQuaHocTap>Gioi</KetQuaHocTap>",
        ),
        ("<LenLop>Lên lớp</LenLop>", "<LenLop>Len lop</LenLop>"),
        (
            "<DanhHieu>Học sinh Xuất sắc</DanhHieu>",
            "<DanhHieu>Học viên Xuất sắc</DanhHieu>",
        ),
        (
            "<PhienBanQuyTac>TT22-2021/v1</PhienBanQuyTac>",
            "<PhienBanQuyTac>TT22</PhienBanQuyTac>",
        ),
        ("<PhienBan>1</PhienBan>", "<PhienBan>0</PhienBan>"),
        (
            "<PhienBanLuocDo>1</PhienBanLuocDo>",
            "<PhienBanLuocDo>2</PhienBanLuocDo>",
        ),
        ("<MaDinhDanhHocBa>10101010", "<MaDinhDanhHocBa>1010101G"),
        ("<CoPhep>2</CoPhep>", "<CoPhep>-2</CoPhep>"),
        (
            "<KetQuaHocKy1>Đạt</KetQuaHocKy1>",
            "<KetQuaHocKy1>Khá</KetQuaHocKy1>",
        ),
    ] {
        let e = reject(&edit(&thpt_xml(), from, to));
        assert!(matches!(e, ParseError::InvalidValue { .. }), "{to}: {e:?}");
        assert_eq!(e.code(), "invalid-value");
    }
}

#[test]
fn rejects_inconsistent_records() {
    for (from, to, element) in [
        (
            "<CapHoc>THPT</CapHoc>",
            "<CapHoc>THCS</CapHoc>",
            "LopHoc/MaKhoi",
        ),
        (
            "<CapHoc>THPT</CapHoc>",
            "<CapHoc>TH</CapHoc>",
            "LopHoc/MaKhoi",
        ),
        (
            "<MaMonHoc>TOAN</MaMonHoc>",
            "<MaMonHoc>NGU_VAN</MaMonHoc>",
            "KetQuaTrungHoc/MonHoc[2]",
        ),
    ] {
        let e = reject(&edit(&thpt_xml(), from, to));
        assert_eq!(e.code(), "inconsistent", "{to}: {e:?}");
        assert_eq!(
            e.path(),
            Some(format!("/HocBa/DuLieu/{element}").as_str()),
            "{to}"
        );
    }
    let gdtx = String::from_utf8(examples::gdtx().to_xml()).expect("UTF-8");
    let e = reject(&edit(
        &gdtx,
        "<PhienBanQuyTac>TT43-2021/v1</PhienBanQuyTac>",
        "<PhienBanQuyTac>TT22-2021/v1</PhienBanQuyTac>",
    ));
    assert_eq!(
        e.path(),
        Some("/HocBa/DuLieu/KetQuaTrungHoc/PhienBanQuyTac"),
        "{e:?}"
    );
    let v1_with_link = edit(
        &thpt_xml(),
        "<HocSinh>",
        &format!(
            "<ThayThe><MaDinhDanhHocBa>20202020-2020-8020-a020-202020202020</MaDinhDanhHocBa><MaBamSHA256>{}</MaBamSHA256></ThayThe><HocSinh>",
            "ab".repeat(32)
        ),
    );
    assert!(matches!(
        reject(&v1_with_link),
        ParseError::Inconsistent { .. }
    ));
}

#[test]
fn every_error_has_a_distinct_stable_code() {
    let errors = [
        ParseError::TooLarge { size: 0, limit: 0 },
        ParseError::TooDeep {
            limit: 0,
            offset: 0,
        },
        ParseError::TooManyNodes { limit: 0 },
        ParseError::NotUtf8 { offset: 0 },
        ParseError::ByteOrderMark,
        ParseError::WrongEncoding {
            declared: String::new(),
        },
        ParseError::Dtd,
        ParseError::Entity {
            name: String::new(),
        },
        ParseError::ProcessingInstruction {
            path: String::new(),
        },
        ParseError::Comment {
            path: String::new(),
        },
        ParseError::Malformed {
            message: String::new(),
        },
        ParseError::NotNfc {
            path: String::new(),
        },
        ParseError::WrongRoot {
            found: String::new(),
        },
        ParseError::UnknownElement {
            path: String::new(),
        },
        ParseError::UnexpectedElement {
            path: String::new(),
        },
        ParseError::MissingElement {
            path: String::new(),
        },
        ParseError::UnknownAttribute {
            path: String::new(),
            name: String::new(),
        },
        ParseError::MissingAttribute {
            path: String::new(),
            name: "Id",
        },
        ParseError::UnexpectedText {
            path: String::new(),
        },
        ParseError::StraySignatureContent {
            path: String::new(),
            found: String::new(),
        },
        ParseError::InvalidScore {
            path: String::new(),
            value: String::new(),
            reason: String::new(),
        },
        ParseError::InvalidValue {
            path: String::new(),
            value: String::new(),
            reason: String::new(),
        },
        ParseError::Inconsistent {
            path: String::new(),
            reason: String::new(),
        },
    ];
    let mut codes: Vec<_> = errors.iter().map(ParseError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
}

// =======================================================================================
// Signing blockers and recomputation

#[test]
fn a_record_without_personal_id_is_valid_but_cannot_be_signed() {
    let mut r = examples::thpt();
    r.student.personal_id = None;
    let parsed = Record::from_xml(&r.to_xml()).expect("parses without SoDinhDanhCaNhan");
    assert_eq!(parsed.student.personal_id, None);
    assert_eq!(
        parsed.signing_blockers(),
        vec![SigningBlocker::MissingPersonalId]
    );

    let mut wrong_sex = examples::thpt();
    wrong_sex.student.sex = Sex::Male;
    assert!(
        matches!(wrong_sex.check_signable(), Err(b) if matches!(b[..], [SigningBlocker::PersonalIdMismatch(_)]))
    );
    assert_eq!(examples::thpt().check_signable(), Ok(()));
}

#[test]
fn recompute_check_accepts_engine_numbers_and_reports_each_tampered_value() {
    for (name, r) in examples::all() {
        let parsed = Record::from_xml(&r.to_xml()).expect("parses");
        assert_eq!(recompute_check(&parsed), Ok(()), "{name}");
    }
    // Change a stored average and the title in the XML, as a forger would.
    let xml = edit(
        &thpt_xml(),
        "<DiemTrungBinhCaNam>9.5</DiemTrungBinhCaNam>",
        "<DiemTrungBinhCaNam>9.6</DiemTrungBinhCaNam>",
    );
    let xml = edit(
        &xml,
        "<DanhHieu>Học sinh Xuất sắc</DanhHieu>",
        "<DanhHieu>Học sinh Giỏi</DanhHieu>",
    );
    let tampered = Record::from_xml(xml.as_bytes()).expect("still schema-valid");
    let mismatches = recompute_check(&tampered).expect_err("tampering detected");
    assert_eq!(
        mismatches,
        vec![
            Mismatch::Value {
                path: "KetQuaTrungHoc/MonHoc[MaMonHoc=TOAN]/DanhGiaBangDiem/DiemTrungBinhCaNam"
                    .into(),
                stored: "9.6".into(),
                computed: "9.5".into(),
            },
            Mismatch::Value {
                path: "KetQuaTrungHoc/DanhHieu".into(),
                stored: "Học sinh Giỏi".into(),
                computed: "Học sinh Xuất sắc".into(),
            },
        ]
    );
    // Changing an input score changes what the engine computes.
    let xml = edit(
        &thpt_xml(),
        "<DiemCuoiKy>9.5</DiemCuoiKy>",
        "<DiemCuoiKy>2</DiemCuoiKy>",
    );
    let changed = Record::from_xml(xml.as_bytes()).expect("schema-valid");
    assert!(recompute_check(&changed).is_err());
    // A primary record whose overall result was raised.
    let xml = String::from_utf8(examples::primary().to_xml()).expect("UTF-8");
    let xml = edit(
        &xml,
        "<DiemKiemTra>10</DiemKiemTra>\n          <NhanXet>Nắm vững",
        "<DiemKiemTra>6</DiemKiemTra>\n          <NhanXet>Nắm vững",
    );
    let raised = Record::from_xml(xml.as_bytes()).expect("schema-valid");
    assert!(
        matches!(&recompute_check(&raised).expect_err("detected")[0], Mismatch::Value { path, .. } if path == "KetQuaTieuHoc/KetQuaCuoiNam")
    );
}

#[test]
fn recompute_check_reports_inputs_the_engine_rejects() {
    // Three regular scores where TT22 art. 7 requires four for Toán.
    let xml = edit(
        &thpt_xml(),
        "<DiemDanhGiaThuongXuyen>10</DiemDanhGiaThuongXuyen>\n            <DiemDanhGiaThuongXuyen>8.5</DiemDanhGiaThuongXuyen>",
        "<DiemDanhGiaThuongXuyen>10</DiemDanhGiaThuongXuyen>",
    );
    let r = Record::from_xml(xml.as_bytes()).expect("schema-valid");
    assert!(matches!(
        &recompute_check(&r).expect_err("rejected")[..],
        [Mismatch::Rejected(_), ..]
    ));
}

// =======================================================================================
// Property tests

const SYLLABLES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Thị", "Văn", "Hữu", "Ngọc", "Minh", "Thanh", "Quốc", "Gia", "Bảo", "Khánh",
    "Phương", "Thuỳ", "Tuấn", "Anh", "Ánh", "Hạnh", "Hương", "Dũng", "Đức", "Nghĩa", "Yến", "Trâm",
    "Quỳnh", "Uyên", "Ưng", "Ỷ",
];

fn vietnamese_name() -> impl Strategy<Value = Text> {
    prop::collection::vec(prop::sample::select(SYLLABLES), 2..5)
        .prop_map(|parts| Text::new(&parts.join(" ")).expect("valid name"))
}

/// Arbitrary free text: Vietnamese letters (some decomposed, normalised by `Text::new`),
/// markup characters, line feeds.
fn free_text() -> impl Strategy<Value = Text> {
    "[a-zA-Z0-9àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐƯƠ <>&'\"\n,.;:()\u{301}\u{303}\u{323}-]{1,60}"
        .prop_filter_map("not valid text", |s| Text::new(&s).ok())
}

fn code() -> impl Strategy<Value = Code> {
    "[A-Z][A-Z0-9_]{0,15}".prop_map(|s| s.parse().expect("valid code"))
}

fn score() -> impl Strategy<Value = Score> {
    (0u32..=100).prop_map(|t| Score::from_tenths(t).expect("0..=100"))
}

fn tenths() -> impl Strategy<Value = Tenths> {
    (0u32..=100).prop_map(Tenths::from_tenths)
}

fn date() -> impl Strategy<Value = Date> {
    (1990u16..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).expect("valid day"))
}

fn rating() -> impl Strategy<Value = Rating> {
    prop::sample::select(Rating::ALL.to_vec())
}

fn comment() -> impl Strategy<Value = Comment> {
    prop::sample::select(vec![Comment::Dat, Comment::ChuaDat])
}

fn promotion() -> impl Strategy<Value = Promotion> {
    prop::sample::select(Promotion::ALL.to_vec())
}

fn record_id() -> impl Strategy<Value = RecordId> {
    any::<[u8; 16]>().prop_map(RecordId::from_bytes)
}

fn scored_semester() -> impl Strategy<Value = ScoredSemester> {
    (
        prop::collection::vec(score(), 1..=8),
        score(),
        score(),
        tenths(),
    )
        .prop_map(|(regular, midterm, final_term, average)| ScoredSemester {
            regular,
            midterm,
            final_term,
            average,
        })
}

fn assessment() -> impl Strategy<Value = SubjectAssessment> {
    prop_oneof![
        (
            scored_semester(),
            scored_semester(),
            tenths(),
            prop::option::of((score(), date()))
        )
            .prop_map(|(hk1, hk2, year_average, retake)| {
                SubjectAssessment::Scored(ScoredSubject {
                    hk1,
                    hk2,
                    year_average,
                    retake: retake.map(|(value, date)| Dated { value, date }),
                })
            }),
        (
            comment(),
            comment(),
            comment(),
            prop::option::of((comment(), date()))
        )
            .prop_map(|(hk1, hk2, year, retake)| {
                SubjectAssessment::Commented(CommentedSubject {
                    hk1,
                    hk2,
                    year,
                    retake: retake.map(|(value, date)| Dated { value, date }),
                })
            }),
    ]
}

fn secondary_results(rule: RuleVersion) -> impl Strategy<Value = SecondaryResults> {
    (
        prop::collection::btree_map(
            code(),
            (free_text(), assessment(), prop::option::of(free_text())),
            1..6,
        ),
        [rating(), rating(), rating()],
        [rating(), rating(), rating()],
        (any::<u16>(), any::<u16>()),
        prop::option::of((rating(), date())),
        prop::option::of(rating()),
        promotion(),
        prop::option::of(prop::sample::select(vec![Title::Excellent, Title::Good])),
        prop::option::of(free_text()),
    )
        .prop_map(
            move |(
                subjects,
                l,
                c,
                (excused, unexcused),
                retraining,
                after,
                promotion,
                title,
                homeroom,
            )| SecondaryResults {
                rule,
                subjects: subjects
                    .into_iter()
                    .map(
                        |(code, (name, assessment, teacher_comment))| SecondarySubject {
                            code,
                            name,
                            assessment,
                            teacher_comment,
                        },
                    )
                    .collect(),
                learning: Terms {
                    hk1: l[0],
                    hk2: l[1],
                    year: l[2],
                },
                conduct: Terms {
                    hk1: c[0],
                    hk2: c[1],
                    year: c[2],
                },
                absences: Absences { excused, unexcused },
                conduct_retraining: retraining.map(|(value, date)| Dated { value, date }),
                learning_after_reassessment: after,
                promotion,
                title,
                homeroom_comment: homeroom,
            },
        )
}

fn mastery() -> impl Strategy<Value = Mastery> {
    prop::sample::select(Mastery::ALL.to_vec())
}

fn period() -> impl Strategy<Value = PrimaryPeriod> {
    (
        prop::sample::select(SubjectLevel::ALL.to_vec()),
        prop::option::of(1u8..=10),
        prop::option::of(free_text()),
    )
        .prop_map(|(level, test, comment)| PrimaryPeriod {
            level,
            test: test.map(|t| TestScore::new(t).expect("1..=10")),
            comment,
        })
}

fn primary_results() -> impl Strategy<Value = PrimaryResults> {
    (
        prop::collection::btree_map(
            code(),
            (free_text(), [period(), period(), period(), period()]),
            1..5,
        ),
        prop::sample::subsequence(Quality::ALL.to_vec(), 0..=5),
        prop::sample::subsequence(Competence::ALL.to_vec(), 0..=10),
        prop::collection::vec((mastery(), mastery()), 15),
        prop::sample::select(vec![
            Overall::HoanThanhXuatSac,
            Overall::HoanThanhTot,
            Overall::HoanThanh,
            Overall::ChuaHoanThanh,
        ]),
        (any::<u16>(), any::<u16>(), promotion()),
        prop::option::of(prop::sample::select(vec![
            PrimaryTitle::Excellent,
            PrimaryTitle::Exemplary,
        ])),
        any::<bool>(),
        prop::option::of(free_text()),
    )
        .prop_map(
            |(
                subjects,
                qualities,
                competences,
                ratings,
                overall,
                (excused, unexcused, promotion),
                title,
                exemplary,
                homeroom,
            )| {
                PrimaryResults {
                    rule: RuleVersion::Tt27V1,
                    subjects: subjects
                        .into_iter()
                        .map(|(code, (name, [mid_hk1, end_hk1, mid_hk2, end_year]))| {
                            PrimarySubject {
                                code,
                                name,
                                mid_hk1,
                                end_hk1,
                                mid_hk2,
                                end_year,
                            }
                        })
                        .collect(),
                    qualities: qualities
                        .into_iter()
                        .zip(&ratings)
                        .map(|(key, &(hk1, year))| Rated { key, hk1, year })
                        .collect(),
                    competences: competences
                        .into_iter()
                        .zip(&ratings[5..])
                        .map(|(key, &(hk1, year))| Rated { key, hk1, year })
                        .collect(),
                    overall,
                    absences: Absences { excused, unexcused },
                    promotion,
                    title,
                    exemplary,
                    homeroom_comment: homeroom,
                }
            },
        )
}

fn any_record() -> impl Strategy<Value = Record> {
    let level_grade = prop::sample::select(Level::ALL.to_vec())
        .prop_flat_map(|level| (Just(level), level.grades()))
        .prop_flat_map(|(level, grade)| {
            let results = match level {
                Level::Primary => primary_results().prop_map(Results::Primary).boxed(),
                Level::Continuing => secondary_results(RuleVersion::Tt43V1)
                    .prop_map(Results::Secondary)
                    .boxed(),
                _ => secondary_results(RuleVersion::Tt22V1)
                    .prop_map(Results::Secondary)
                    .boxed(),
            };
            (Just(level), Just(grade), results)
        });
    (
        (
            record_id(),
            1u32..5,
            date(),
            prop::option::of((record_id(), any::<[u8; 32]>())),
        ),
        (
            vietnamese_name(),
            prop::bool::ANY,
            date(),
            prop::option::of("[0-9]{3}[0-5][0-9]{8}"),
            free_text(),
            free_text(),
        ),
        (
            code(),
            code(),
            free_text(),
            2000u16..2190,
            free_text(),
            vietnamese_name(),
        ),
        level_grade,
    )
        .prop_map(
            |(
                (id, version, created, link),
                (name, male, born, pid, place, home),
                (dept, school_code, school_name, year, class_name, teacher),
                (level, grade, results),
            )| {
                // ThayThe only on later versions, never pointing at itself.
                let supersedes =
                    link.filter(|(old, _)| version > 1 && *old != id)
                        .map(|(old, digest)| Supersedes {
                            id: old,
                            digest: Sha256Digest::from_bytes(digest),
                        });
                Record {
                    id,
                    version: NonZeroU32::new(version).expect("1..5"),
                    created,
                    supersedes,
                    student: Student {
                        code: "HS000012345678901234".parse().expect("valid"),
                        personal_id: pid.map(|p| p.parse().expect("pattern is valid")),
                        name,
                        sex: if male { Sex::Male } else { Sex::Female },
                        born,
                        ethnicity: Text::new("Ê Đê").expect("valid"),
                        nationality: Text::new("Việt Nam").expect("valid"),
                        birthplace: place,
                        residence: home,
                    },
                    school: School {
                        department_code: dept,
                        code: school_code,
                        name: school_name,
                        level,
                    },
                    class: Class {
                        year: SchoolYear::starting(year).expect("2000..2190"),
                        grade: Grade::new(grade).expect("level grade"),
                        name: class_name,
                        homeroom_teacher: teacher,
                    },
                    results,
                }
            },
        )
}

/// The XSD and the parser agree on generated documents beyond the fixed examples: a batch
/// of arbitrary records (every optional part present or absent) validates in one xmllint
/// run.
#[test]
fn xsd_validates_arbitrary_generated_records() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(Config::default().rng_algorithm),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<PathBuf> = (0..64)
        .map(|i| {
            let r = any_record()
                .new_tree(&mut runner)
                .expect("strategy")
                .current();
            let file = dir.path().join(format!("r{i}.xml"));
            std::fs::write(&file, r.to_xml()).expect("write");
            file
        })
        .collect();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .args(&files)
        .output()
        .expect("xmllint is required for the XSD tests: apt-get install libxml2-utils");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_valid_records_round_trip(r in any_record()) {
        let bytes = r.to_xml();
        let parsed = Record::from_xml(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&r), "{}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(parsed.map(|p| p.to_xml()), Ok(bytes));
    }

    #[test]
    fn mutated_documents_never_panic_the_parser(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = examples::thpt().to_xml();
        let i = index.index(bytes.len());
        bytes[i] = byte;
        let _ = Record::from_xml(&bytes);
    }
}

#[test]
fn append_signature_changes_only_chukyso() {
    let unsigned = examples::thpt().to_xml();
    let sig = |id: &str| {
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="{id}"><ds:SignedInfo/></ds:Signature>"##
        )
    };
    let one = record::append_signature(&unsigned, &sig("sig1")).expect("first signature");
    let two = record::append_signature(&one, &sig("sig2")).expect("second signature");
    let text = String::from_utf8(two.clone()).expect("UTF-8");
    let data_end = text.find("</DuLieu>").expect("data element");
    assert_eq!(
        &text[..data_end],
        &String::from_utf8(unsigned).expect("UTF-8")[..data_end]
    );
    assert!(text.contains(&format!(
        "<ChuKySo>{}{}</ChuKySo>",
        sig("sig1"),
        sig("sig2")
    )));
    let doc = parse_document(&two).expect("parses");
    assert_eq!(
        doc.signatures
            .iter()
            .map(|s| s.id.as_deref())
            .collect::<Vec<_>>(),
        [Some("sig1"), Some("sig2")]
    );
    assert!(xmllint(&two).0, "signed document validates");
    // Anything but exactly one ds:Signature is refused.
    assert!(record::append_signature(&one, "<Khac/>").is_err());
    assert!(record::append_signature(&one, &format!("{}{}", sig("a"), sig("b"))).is_err());
    assert!(record::append_signature(&one, "").is_err());
}
