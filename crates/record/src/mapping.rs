//! The one place where Rust values meet XML names: every element name of schema v1, and
//! the writer and the reader of each block side by side. To adopt the Ministry's official
//! names (annex 1 of CV 115/BGDĐT-GDTrH), change the constants in [`names`] and the XSD.
//!
//! Value formats:
//!
//! - input scores (ĐĐGtx, ĐĐGgk, ĐĐGck, re-assessment): shortest form, `8`, `8.5`, `10`
//!   (a score entered as `8.0` is the same value and is written `8`);
//! - computed averages (ĐTBmhk, ĐTBmcn): always one decimal, `8.0`, `10.0`;
//! - dates ISO `YYYY-MM-DD`; school year `2025-2026`; labels the exact Vietnamese words.
//!
//! The parser accepts only these canonical forms, so a parsed record written again gives
//! the same bytes.

use std::fmt::Display;
use std::num::NonZeroU32;
use std::str::FromStr;

use domain::tt22::{Comment, Rating, Title};
use domain::{
    Date, Grade, Level, PersonalId, RuleVersion, SchoolYear, Score, Sex, StudentCode, Tenths,
};
use roxmltree::{Document, Node};

use crate::error::ParseError;
use domain::tt27::{
    Competence, Mastery, Overall, Quality, SubjectLevel, TestScore, Title as PrimaryTitle,
};

use crate::labels::Promotion;
use crate::model::{
    Absences, Class, CommentedSubject, Dated, PrimaryPeriod, PrimaryResults, PrimarySubject, Rated,
    Record, Results, School, ScoredSemester, ScoredSubject, SecondaryResults, SecondarySubject,
    Student, SubjectAssessment, Supersedes, Terms,
};
use crate::text::{Code, RecordId, Sha256Digest, Text};
use crate::xml::{
    Children, Out, attribute_name, display_name, is_xml_whitespace, leaf_text, no_attributes,
    path_of,
};
use crate::{DATA_ID, NAMESPACE, SCHEMA_VERSION, XMLDSIG_NAMESPACE};

/// Element names of schema v1 (PascalCase Vietnamese without diacritics).
pub mod names {
    /// Root: học bạ.
    pub const ROOT: &str = "HocBa";
    /// First child of the root; carries `Id="data"`; everything signed lives here.
    pub const DATA: &str = "DuLieu";
    /// Second child of the root: the `ds:Signature` elements, in signing order.
    pub const SIGNATURES: &str = "ChuKySo";
    pub(crate) const SCHEMA_VERSION: &str = "PhienBanLuocDo";
    pub(crate) const RECORD_ID: &str = "MaDinhDanhHocBa";
    pub(crate) const VERSION: &str = "PhienBan";
    pub(crate) const CREATED: &str = "NgayLap";
    pub(crate) const SUPERSEDES: &str = "ThayThe";
    pub(crate) const DIGEST: &str = "MaBamSHA256";

    pub(crate) const STUDENT: &str = "HocSinh";
    pub(crate) const STUDENT_CODE: &str = "MaHocSinh";
    pub(crate) const PERSONAL_ID: &str = "SoDinhDanhCaNhan";
    pub(crate) const NAME: &str = "HoVaTen";
    pub(crate) const SEX: &str = "GioiTinh";
    pub(crate) const BORN: &str = "NgaySinh";
    pub(crate) const ETHNICITY: &str = "DanToc";
    pub(crate) const NATIONALITY: &str = "QuocTich";
    pub(crate) const BIRTHPLACE: &str = "NoiSinh";
    pub(crate) const RESIDENCE: &str = "NoiCuTru";

    pub(crate) const SCHOOL: &str = "TruongHoc";
    pub(crate) const DEPARTMENT_CODE: &str = "MaSoGD";
    pub(crate) const SCHOOL_CODE: &str = "MaTruong";
    pub(crate) const SCHOOL_NAME: &str = "TenTruong";
    pub(crate) const LEVEL: &str = "CapHoc";

    pub(crate) const CLASS: &str = "LopHoc";
    pub(crate) const YEAR: &str = "NamHoc";
    pub(crate) const GRADE: &str = "MaKhoi";
    pub(crate) const CLASS_NAME: &str = "TenLop";
    pub(crate) const HOMEROOM_TEACHER: &str = "GiaoVienChuNhiem";

    pub(crate) const SECONDARY: &str = "KetQuaTrungHoc";
    pub(crate) const PRIMARY: &str = "KetQuaTieuHoc";
    pub(crate) const RULE: &str = "PhienBanQuyTac";
    pub(crate) const SUBJECT: &str = "MonHoc";
    pub(crate) const SUBJECT_CODE: &str = "MaMonHoc";
    pub(crate) const SUBJECT_NAME: &str = "TenMonHoc";
    pub(crate) const SCORED: &str = "DanhGiaBangDiem";
    pub(crate) const COMMENTED: &str = "DanhGiaBangNhanXet";
    pub(crate) const HK1: &str = "HocKy1";
    pub(crate) const HK2: &str = "HocKy2";
    pub(crate) const REGULAR: &str = "DiemDanhGiaThuongXuyen";
    pub(crate) const MIDTERM: &str = "DiemGiuaKy";
    pub(crate) const FINAL_TERM: &str = "DiemCuoiKy";
    pub(crate) const SEMESTER_AVERAGE: &str = "DiemTrungBinhHocKy";
    pub(crate) const YEAR_AVERAGE: &str = "DiemTrungBinhCaNam";
    pub(crate) const RETAKE: &str = "KiemTraLai";
    pub(crate) const RETAKE_SCORE: &str = "DiemKiemTraLai";
    pub(crate) const RETAKE_RESULT: &str = "KetQuaKiemTraLai";
    pub(crate) const RETAKE_DATE: &str = "NgayKiemTraLai";
    pub(crate) const RESULT_HK1: &str = "KetQuaHocKy1";
    pub(crate) const RESULT_HK2: &str = "KetQuaHocKy2";
    pub(crate) const RESULT_YEAR: &str = "KetQuaCaNam";
    pub(crate) const COMMENT: &str = "NhanXet";
    pub(crate) const SUMMARY_HK1: &str = "TongKetHocKy1";
    pub(crate) const SUMMARY_HK2: &str = "TongKetHocKy2";
    pub(crate) const SUMMARY_YEAR: &str = "TongKetCaNam";
    pub(crate) const LEARNING: &str = "KetQuaHocTap";
    pub(crate) const CONDUCT: &str = "KetQuaRenLuyen";
    pub(crate) const ABSENCES: &str = "SoNgayNghi";
    pub(crate) const EXCUSED: &str = "CoPhep";
    pub(crate) const UNEXCUSED: &str = "KhongPhep";
    pub(crate) const RETRAINING: &str = "RenLuyenTrongHe";
    pub(crate) const RETRAINED_CONDUCT: &str = "KetQuaRenLuyenLai";
    pub(crate) const RETRAINING_DATE: &str = "NgayDanhGiaLai";
    pub(crate) const LEARNING_AFTER_RETAKE: &str = "KetQuaHocTapSauKiemTraLai";
    pub(crate) const PROMOTION: &str = "LenLop";
    pub(crate) const TITLE: &str = "DanhHieu";
    pub(crate) const HOMEROOM_COMMENT: &str = "NhanXetGiaoVienChuNhiem";

    pub(crate) const MID_HK1: &str = "GiuaHocKy1";
    pub(crate) const END_HK1: &str = "CuoiHocKy1";
    pub(crate) const MID_HK2: &str = "GiuaHocKy2";
    pub(crate) const END_YEAR: &str = "CuoiNam";
    pub(crate) const LEVEL_REACHED: &str = "MucDat";
    pub(crate) const TEST_SCORE: &str = "DiemKiemTra";
    pub(crate) const QUALITY: &str = "PhamChat";
    pub(crate) const COMPETENCE: &str = "NangLuc";
    pub(crate) const ATTRIBUTE_CODE: &str = "Ma";
    pub(crate) const OVERALL: &str = "KetQuaCuoiNam";
    pub(crate) const OUTSTANDING: &str = "HocSinhTieuBieu";
}

use names as n;

/// The most regular scores (ĐĐGtx) one semester may hold in a document; the exact count
/// per subject is a domain rule (TT22 art. 7) checked by [`crate::recompute_check`].
pub const MAX_REGULAR_SCORES: usize = 8;

// =======================================================================================
// Writing

/// Writes the unsigned document: `<HocBa><DuLieu Id="data">…</DuLieu><ChuKySo/></HocBa>`.
pub(crate) fn write_record(record: &Record) -> Vec<u8> {
    let mut out = Out::new();
    out.open_with(n::ROOT, &[("xmlns", NAMESPACE)]);
    out.open_with(n::DATA, &[("Id", DATA_ID)]);
    out.leaf(n::SCHEMA_VERSION, SCHEMA_VERSION);
    out.leaf(n::RECORD_ID, &record.id.to_string());
    out.leaf(n::VERSION, &record.version.to_string());
    out.leaf(n::CREATED, &record.created.to_string());
    if let Some(s) = &record.supersedes {
        out.open(n::SUPERSEDES);
        out.leaf(n::RECORD_ID, &s.id.to_string());
        out.leaf(n::DIGEST, &s.digest.to_string());
        out.close(n::SUPERSEDES);
    }
    write_student(&mut out, &record.student);
    write_school(&mut out, &record.school);
    write_class(&mut out, &record.class);
    match &record.results {
        Results::Secondary(r) => write_secondary(&mut out, r),
        Results::Primary(r) => write_primary(&mut out, r),
    }
    out.close(n::DATA);
    out.empty(n::SIGNATURES);
    out.close(n::ROOT);
    out.finish()
}

fn write_student(out: &mut Out, s: &Student) {
    out.open(n::STUDENT);
    out.leaf(n::STUDENT_CODE, s.code.as_str());
    if let Some(id) = &s.personal_id {
        out.leaf(n::PERSONAL_ID, id.as_str());
    }
    out.leaf(n::NAME, s.name.as_str());
    out.leaf(n::SEX, s.sex.label());
    out.leaf(n::BORN, &s.born.to_string());
    out.leaf(n::ETHNICITY, s.ethnicity.as_str());
    out.leaf(n::NATIONALITY, s.nationality.as_str());
    out.leaf(n::BIRTHPLACE, s.birthplace.as_str());
    out.leaf(n::RESIDENCE, s.residence.as_str());
    out.close(n::STUDENT);
}

fn write_school(out: &mut Out, s: &School) {
    out.open(n::SCHOOL);
    out.leaf(n::DEPARTMENT_CODE, s.department_code.as_str());
    out.leaf(n::SCHOOL_CODE, s.code.as_str());
    out.leaf(n::SCHOOL_NAME, s.name.as_str());
    out.leaf(n::LEVEL, s.level.code());
    out.close(n::SCHOOL);
}

fn write_class(out: &mut Out, c: &Class) {
    out.open(n::CLASS);
    out.leaf(n::YEAR, &c.year.to_string());
    out.leaf(n::GRADE, &c.grade.to_string());
    out.leaf(n::CLASS_NAME, c.name.as_str());
    out.leaf(n::HOMEROOM_TEACHER, c.homeroom_teacher.as_str());
    out.close(n::CLASS);
}

/// Input scores in their shortest form: `8`, `8.5`, `10`.
pub(crate) fn input_score_text(score: Score) -> String {
    let t = score.tenths();
    if t.is_multiple_of(10) {
        (t / 10).to_string()
    } else {
        format!("{}.{}", t / 10, t % 10)
    }
}

fn write_secondary(out: &mut Out, r: &SecondaryResults) {
    out.open(n::SECONDARY);
    out.leaf(n::RULE, r.rule.id());
    for s in &r.subjects {
        out.open(n::SUBJECT);
        out.leaf(n::SUBJECT_CODE, s.code.as_str());
        out.leaf(n::SUBJECT_NAME, s.name.as_str());
        match &s.assessment {
            SubjectAssessment::Scored(a) => {
                out.open(n::SCORED);
                for (name, sem) in [(n::HK1, &a.hk1), (n::HK2, &a.hk2)] {
                    out.open(name);
                    for score in &sem.regular {
                        out.leaf(n::REGULAR, &input_score_text(*score));
                    }
                    out.leaf(n::MIDTERM, &input_score_text(sem.midterm));
                    out.leaf(n::FINAL_TERM, &input_score_text(sem.final_term));
                    out.leaf(n::SEMESTER_AVERAGE, &sem.average.to_string());
                    out.close(name);
                }
                out.leaf(n::YEAR_AVERAGE, &a.year_average.to_string());
                if let Some(retake) = &a.retake {
                    out.open(n::RETAKE);
                    out.leaf(n::RETAKE_SCORE, &input_score_text(retake.value));
                    out.leaf(n::RETAKE_DATE, &retake.date.to_string());
                    out.close(n::RETAKE);
                }
                out.close(n::SCORED);
            }
            SubjectAssessment::Commented(a) => {
                out.open(n::COMMENTED);
                out.leaf(n::RESULT_HK1, a.hk1.label());
                out.leaf(n::RESULT_HK2, a.hk2.label());
                out.leaf(n::RESULT_YEAR, a.year.label());
                if let Some(retake) = &a.retake {
                    out.open(n::RETAKE);
                    out.leaf(n::RETAKE_RESULT, retake.value.label());
                    out.leaf(n::RETAKE_DATE, &retake.date.to_string());
                    out.close(n::RETAKE);
                }
                out.close(n::COMMENTED);
            }
        }
        if let Some(c) = &s.teacher_comment {
            out.leaf(n::COMMENT, c.as_str());
        }
        out.close(n::SUBJECT);
    }
    for (name, learning, conduct) in [
        (n::SUMMARY_HK1, r.learning.hk1, r.conduct.hk1),
        (n::SUMMARY_HK2, r.learning.hk2, r.conduct.hk2),
        (n::SUMMARY_YEAR, r.learning.year, r.conduct.year),
    ] {
        out.open(name);
        out.leaf(n::LEARNING, learning.label());
        out.leaf(n::CONDUCT, conduct.label());
        if name == n::SUMMARY_YEAR {
            write_absences(out, r.absences);
        }
        out.close(name);
    }
    if let Some(retraining) = &r.conduct_retraining {
        out.open(n::RETRAINING);
        out.leaf(n::RETRAINED_CONDUCT, retraining.value.label());
        out.leaf(n::RETRAINING_DATE, &retraining.date.to_string());
        out.close(n::RETRAINING);
    }
    if let Some(l) = r.learning_after_reassessment {
        out.leaf(n::LEARNING_AFTER_RETAKE, l.label());
    }
    out.leaf(n::PROMOTION, r.promotion.label());
    if let Some(t) = r.title {
        out.leaf(n::TITLE, t.label(r.rule));
    }
    if let Some(c) = &r.homeroom_comment {
        out.leaf(n::HOMEROOM_COMMENT, c.as_str());
    }
    out.close(n::SECONDARY);
}

fn write_absences(out: &mut Out, a: Absences) {
    out.open(n::ABSENCES);
    out.leaf(n::EXCUSED, &a.excused.to_string());
    out.leaf(n::UNEXCUSED, &a.unexcused.to_string());
    out.close(n::ABSENCES);
}

fn write_primary(out: &mut Out, r: &PrimaryResults) {
    out.open(n::PRIMARY);
    out.leaf(n::RULE, r.rule.id());
    for s in &r.subjects {
        out.open(n::SUBJECT);
        out.leaf(n::SUBJECT_CODE, s.code.as_str());
        out.leaf(n::SUBJECT_NAME, s.name.as_str());
        for (name, p) in [
            (n::MID_HK1, &s.mid_hk1),
            (n::END_HK1, &s.end_hk1),
            (n::MID_HK2, &s.mid_hk2),
            (n::END_YEAR, &s.end_year),
        ] {
            out.open(name);
            out.leaf(n::LEVEL_REACHED, p.level.label());
            if let Some(t) = p.test {
                out.leaf(n::TEST_SCORE, &t.get().to_string());
            }
            if let Some(c) = &p.comment {
                out.leaf(n::COMMENT, c.as_str());
            }
            out.close(name);
        }
        out.close(n::SUBJECT);
    }
    let qualities = r
        .qualities
        .iter()
        .map(|q| (n::QUALITY, q.key.key(), q.hk1, q.year));
    let competences = r
        .competences
        .iter()
        .map(|c| (n::COMPETENCE, c.key.key(), c.hk1, c.year));
    for (name, key, hk1, year) in qualities.chain(competences) {
        out.open(name);
        out.leaf(n::ATTRIBUTE_CODE, key);
        out.leaf(n::END_HK1, hk1.label());
        out.leaf(n::END_YEAR, year.label());
        out.close(name);
    }
    out.leaf(n::OVERALL, r.overall.label());
    write_absences(out, r.absences);
    out.leaf(n::PROMOTION, r.promotion.label());
    if let Some(t) = r.title {
        out.leaf(n::TITLE, t.label());
    }
    out.leaf(n::OUTSTANDING, if r.exemplary { "true" } else { "false" });
    if let Some(c) = &r.homeroom_comment {
        out.leaf(n::HOMEROOM_COMMENT, c.as_str());
    }
    out.close(n::PRIMARY);
}

// =======================================================================================
// Reading

/// What the parser found inside `ChuKySo`: one entry per `ds:Signature`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureSlot {
    /// The signature's `Id` attribute, if any (the xmldsig crate checks it).
    pub id: Option<String>,
}

/// Maps the checked tree to a record and the signature slots.
pub(crate) fn read_document(
    doc: &Document<'_>,
) -> Result<(Record, Vec<SignatureSlot>), ParseError> {
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(NAMESPACE) || root.tag_name().name() != n::ROOT {
        return Err(ParseError::WrongRoot {
            found: display_name(root),
        });
    }
    no_attributes(root)?;
    let mut elements = Vec::new();
    for child in root.children() {
        match child.node_type() {
            roxmltree::NodeType::Text if !is_xml_whitespace(child.text().unwrap_or_default()) => {
                return Err(ParseError::UnexpectedText {
                    path: path_of(root),
                });
            }
            roxmltree::NodeType::Element => elements.push(child),
            _ => {}
        }
    }
    let is = |node: Node<'_, '_>, name: &str| {
        node.tag_name().namespace() == Some(NAMESPACE) && node.tag_name().name() == name
    };
    let misplaced = |node: Node<'_, '_>| {
        if is(node, n::DATA) || is(node, n::SIGNATURES) {
            ParseError::UnexpectedElement {
                path: path_of(node),
            }
        } else {
            ParseError::UnknownElement {
                path: path_of(node),
            }
        }
    };
    let missing = |name: &str| ParseError::MissingElement {
        path: format!("/{}/{name}", n::ROOT),
    };
    let mut it = elements.into_iter();
    let data = match it.next() {
        Some(e) if is(e, n::DATA) => e,
        Some(e) => return Err(misplaced(e)),
        None => return Err(missing(n::DATA)),
    };
    let signatures = match it.next() {
        Some(e) if is(e, n::SIGNATURES) => e,
        Some(e) => return Err(misplaced(e)),
        None => return Err(missing(n::SIGNATURES)),
    };
    if let Some(extra) = it.next() {
        return Err(misplaced(extra));
    }
    check_data_id(data)?;
    no_attributes(signatures)?;
    let record = read_data(data)?;
    let slots = read_signatures(signatures)?;
    Ok((record, slots))
}

/// `DuLieu` carries exactly one attribute, `Id="data"`: the xmldsig references point at it.
fn check_data_id(data: Node<'_, '_>) -> Result<(), ParseError> {
    let mut id = None;
    for attr in data.attributes() {
        if attr.namespace().is_none() && attr.name() == "Id" {
            id = Some(attr.value());
        } else {
            return Err(ParseError::UnknownAttribute {
                path: path_of(data),
                name: attribute_name(&attr),
            });
        }
    }
    match id {
        None => Err(ParseError::MissingAttribute {
            path: path_of(data),
            name: "Id",
        }),
        Some(DATA_ID) => Ok(()),
        Some(other) => Err(ParseError::InvalidValue {
            path: format!("{}/@Id", path_of(data)),
            value: other.to_string(),
            reason: format!("the data element's Id must be {DATA_ID:?}"),
        }),
    }
}

/// `ChuKySo` holds only `ds:Signature` elements (opaque here; the xmldsig crate verifies
/// them) and whitespace.
fn read_signatures(node: Node<'_, '_>) -> Result<Vec<SignatureSlot>, ParseError> {
    let mut slots = Vec::new();
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Text if !is_xml_whitespace(child.text().unwrap_or_default()) => {
                return Err(ParseError::StraySignatureContent {
                    path: path_of(node),
                    found: "text".to_string(),
                });
            }
            roxmltree::NodeType::Element => {
                let tag = child.tag_name();
                if tag.namespace() != Some(XMLDSIG_NAMESPACE) || tag.name() != "Signature" {
                    return Err(ParseError::StraySignatureContent {
                        path: path_of(child),
                        found: display_name(child),
                    });
                }
                slots.push(SignatureSlot {
                    id: child.attribute("Id").map(str::to_string),
                });
            }
            _ => {}
        }
    }
    Ok(slots)
}

fn read_data(data: Node<'_, '_>) -> Result<Record, ParseError> {
    let mut c = Children::of(
        data,
        &[
            n::SCHEMA_VERSION,
            n::RECORD_ID,
            n::VERSION,
            n::CREATED,
            n::SUPERSEDES,
            n::STUDENT,
            n::SCHOOL,
            n::CLASS,
            n::SECONDARY,
            n::PRIMARY,
        ],
    )?;
    let schema = c.required(n::SCHEMA_VERSION)?;
    let schema_text = leaf_text(schema)?;
    if schema_text != SCHEMA_VERSION {
        return Err(invalid(
            schema,
            &schema_text,
            format!("this parser reads schema version {SCHEMA_VERSION}"),
        ));
    }
    let id: RecordId = canonical(c.required(n::RECORD_ID)?)?;
    let version: NonZeroU32 = canonical(c.required(n::VERSION)?)?;
    let created: Date = canonical(c.required(n::CREATED)?)?;
    let supersedes = match c.optional(n::SUPERSEDES) {
        None => None,
        Some(node) => {
            let mut s = Children::of(node, &[n::RECORD_ID, n::DIGEST])?;
            let id = canonical(s.required(n::RECORD_ID)?)?;
            let digest: Sha256Digest = canonical(s.required(n::DIGEST)?)?;
            s.finish()?;
            Some(Supersedes { id, digest })
        }
    };
    let student = read_student(c.required(n::STUDENT)?)?;
    let school = read_school(c.required(n::SCHOOL)?)?;
    let class = read_class(c.required(n::CLASS)?)?;
    let results = if let Some(node) = c.optional(n::SECONDARY) {
        Results::Secondary(read_secondary(node)?)
    } else if let Some(node) = c.optional(n::PRIMARY) {
        Results::Primary(read_primary(node)?)
    } else {
        return Err(ParseError::MissingElement {
            path: format!("{}/{}", path_of(data), n::SECONDARY),
        });
    };
    c.finish()?;
    let record = Record {
        id,
        version,
        created,
        supersedes,
        student,
        school,
        class,
        results,
    };
    if let Some(problem) = record.inconsistencies().into_iter().next() {
        return Err(ParseError::Inconsistent {
            path: format!("{}/{}", path_of(data), problem.element),
            reason: problem.reason,
        });
    }
    Ok(record)
}

fn read_student(node: Node<'_, '_>) -> Result<Student, ParseError> {
    let mut c = Children::of(
        node,
        &[
            n::STUDENT_CODE,
            n::PERSONAL_ID,
            n::NAME,
            n::SEX,
            n::BORN,
            n::ETHNICITY,
            n::NATIONALITY,
            n::BIRTHPLACE,
            n::RESIDENCE,
        ],
    )?;
    let code: StudentCode = canonical(c.required(n::STUDENT_CODE)?)?;
    let personal_id: Option<PersonalId> = c.optional(n::PERSONAL_ID).map(canonical).transpose()?;
    let name = text(c.required(n::NAME)?)?;
    let sex_node = c.required(n::SEX)?;
    let sex_text = leaf_text(sex_node)?;
    let sex = [Sex::Male, Sex::Female]
        .into_iter()
        .find(|s| s.label() == sex_text)
        .ok_or_else(|| {
            invalid(
                sex_node,
                &sex_text,
                "expected \"Nam\" or \"Nữ\"".to_string(),
            )
        })?;
    let student = Student {
        code,
        personal_id,
        name,
        sex,
        born: canonical(c.required(n::BORN)?)?,
        ethnicity: text(c.required(n::ETHNICITY)?)?,
        nationality: text(c.required(n::NATIONALITY)?)?,
        birthplace: text(c.required(n::BIRTHPLACE)?)?,
        residence: text(c.required(n::RESIDENCE)?)?,
    };
    c.finish()?;
    Ok(student)
}

fn read_school(node: Node<'_, '_>) -> Result<School, ParseError> {
    let mut c = Children::of(
        node,
        &[n::DEPARTMENT_CODE, n::SCHOOL_CODE, n::SCHOOL_NAME, n::LEVEL],
    )?;
    let school = School {
        department_code: canonical(c.required(n::DEPARTMENT_CODE)?)?,
        code: canonical(c.required(n::SCHOOL_CODE)?)?,
        name: text(c.required(n::SCHOOL_NAME)?)?,
        level: canonical::<Level>(c.required(n::LEVEL)?)?,
    };
    c.finish()?;
    Ok(school)
}

fn read_class(node: Node<'_, '_>) -> Result<Class, ParseError> {
    let mut c = Children::of(
        node,
        &[n::YEAR, n::GRADE, n::CLASS_NAME, n::HOMEROOM_TEACHER],
    )?;
    let year: SchoolYear = canonical(c.required(n::YEAR)?)?;
    let grade_node = c.required(n::GRADE)?;
    let number: u8 = canonical(grade_node)?;
    let grade =
        Grade::new(number).map_err(|e| invalid(grade_node, &number.to_string(), e.to_string()))?;
    let class = Class {
        year,
        grade,
        name: text(c.required(n::CLASS_NAME)?)?,
        homeroom_teacher: text(c.required(n::HOMEROOM_TEACHER)?)?,
    };
    c.finish()?;
    Ok(class)
}

fn read_secondary(node: Node<'_, '_>) -> Result<SecondaryResults, ParseError> {
    let mut c = Children::of(
        node,
        &[
            n::RULE,
            n::SUBJECT,
            n::SUMMARY_HK1,
            n::SUMMARY_HK2,
            n::SUMMARY_YEAR,
            n::RETRAINING,
            n::LEARNING_AFTER_RETAKE,
            n::PROMOTION,
            n::TITLE,
            n::HOMEROOM_COMMENT,
        ],
    )?;
    let rule: RuleVersion = canonical(c.required(n::RULE)?)?;
    let subjects = c
        .repeated(n::SUBJECT)
        .into_iter()
        .map(read_secondary_subject)
        .collect::<Result<Vec<_>, _>>()?;
    if subjects.is_empty() {
        return Err(ParseError::MissingElement {
            path: format!("{}/{}", path_of(node), n::SUBJECT),
        });
    }
    let (l1, c1) = read_term_summary(c.required(n::SUMMARY_HK1)?)?;
    let (l2, c2) = read_term_summary(c.required(n::SUMMARY_HK2)?)?;
    let (ly, cy, absences) = read_year_summary(c.required(n::SUMMARY_YEAR)?)?;
    let conduct_retraining = match c.optional(n::RETRAINING) {
        None => None,
        Some(r) => {
            let mut rc = Children::of(r, &[n::RETRAINED_CONDUCT, n::RETRAINING_DATE])?;
            let value: Rating = canonical(rc.required(n::RETRAINED_CONDUCT)?)?;
            let date: Date = canonical(rc.required(n::RETRAINING_DATE)?)?;
            rc.finish()?;
            Some(Dated { value, date })
        }
    };
    let learning_after_reassessment = c
        .optional(n::LEARNING_AFTER_RETAKE)
        .map(canonical::<Rating>)
        .transpose()?;
    let promotion: Promotion = canonical(c.required(n::PROMOTION)?)?;
    let title = match c.optional(n::TITLE) {
        None => None,
        Some(t) => {
            let found = leaf_text(t)?;
            let title = [Title::Excellent, Title::Good]
                .into_iter()
                .find(|v| v.label(rule) == found)
                .ok_or_else(|| {
                    invalid(
                        t,
                        &found,
                        format!(
                            "expected {:?} or {:?} under {rule}",
                            Title::Excellent.label(rule),
                            Title::Good.label(rule)
                        ),
                    )
                })?;
            Some(title)
        }
    };
    let homeroom_comment = c.optional(n::HOMEROOM_COMMENT).map(text).transpose()?;
    c.finish()?;
    Ok(SecondaryResults {
        rule,
        subjects,
        learning: Terms {
            hk1: l1,
            hk2: l2,
            year: ly,
        },
        conduct: Terms {
            hk1: c1,
            hk2: c2,
            year: cy,
        },
        absences,
        conduct_retraining,
        learning_after_reassessment,
        promotion,
        title,
        homeroom_comment,
    })
}

fn read_term_summary(node: Node<'_, '_>) -> Result<(Rating, Rating), ParseError> {
    let mut c = Children::of(node, &[n::LEARNING, n::CONDUCT])?;
    let learning = canonical(c.required(n::LEARNING)?)?;
    let conduct = canonical(c.required(n::CONDUCT)?)?;
    c.finish()?;
    Ok((learning, conduct))
}

fn read_year_summary(node: Node<'_, '_>) -> Result<(Rating, Rating, Absences), ParseError> {
    let mut c = Children::of(node, &[n::LEARNING, n::CONDUCT, n::ABSENCES])?;
    let learning = canonical(c.required(n::LEARNING)?)?;
    let conduct = canonical(c.required(n::CONDUCT)?)?;
    let absences = read_absences(c.required(n::ABSENCES)?)?;
    c.finish()?;
    Ok((learning, conduct, absences))
}

fn read_absences(node: Node<'_, '_>) -> Result<Absences, ParseError> {
    let mut c = Children::of(node, &[n::EXCUSED, n::UNEXCUSED])?;
    let absences = Absences {
        excused: canonical(c.required(n::EXCUSED)?)?,
        unexcused: canonical(c.required(n::UNEXCUSED)?)?,
    };
    c.finish()?;
    Ok(absences)
}

fn read_secondary_subject(node: Node<'_, '_>) -> Result<SecondarySubject, ParseError> {
    let mut c = Children::of(
        node,
        &[
            n::SUBJECT_CODE,
            n::SUBJECT_NAME,
            n::SCORED,
            n::COMMENTED,
            n::COMMENT,
        ],
    )?;
    let code: Code = canonical(c.required(n::SUBJECT_CODE)?)?;
    let name = text(c.required(n::SUBJECT_NAME)?)?;
    let assessment = if let Some(s) = c.optional(n::SCORED) {
        SubjectAssessment::Scored(read_scored(s)?)
    } else if let Some(s) = c.optional(n::COMMENTED) {
        SubjectAssessment::Commented(read_commented(s)?)
    } else {
        return Err(ParseError::MissingElement {
            path: format!("{}/{}", path_of(node), n::SCORED),
        });
    };
    let teacher_comment = c.optional(n::COMMENT).map(text).transpose()?;
    c.finish()?;
    Ok(SecondarySubject {
        code,
        name,
        assessment,
        teacher_comment,
    })
}

fn read_scored(node: Node<'_, '_>) -> Result<ScoredSubject, ParseError> {
    let mut c = Children::of(node, &[n::HK1, n::HK2, n::YEAR_AVERAGE, n::RETAKE])?;
    let hk1 = read_scored_semester(c.required(n::HK1)?)?;
    let hk2 = read_scored_semester(c.required(n::HK2)?)?;
    let year_average = computed(c.required(n::YEAR_AVERAGE)?)?;
    let retake = match c.optional(n::RETAKE) {
        None => None,
        Some(r) => {
            let mut rc = Children::of(r, &[n::RETAKE_SCORE, n::RETAKE_DATE])?;
            let value = input_score(rc.required(n::RETAKE_SCORE)?)?;
            let date = canonical(rc.required(n::RETAKE_DATE)?)?;
            rc.finish()?;
            Some(Dated { value, date })
        }
    };
    c.finish()?;
    Ok(ScoredSubject {
        hk1,
        hk2,
        year_average,
        retake,
    })
}

fn read_scored_semester(node: Node<'_, '_>) -> Result<ScoredSemester, ParseError> {
    let mut c = Children::of(
        node,
        &[n::REGULAR, n::MIDTERM, n::FINAL_TERM, n::SEMESTER_AVERAGE],
    )?;
    let regular_nodes = c.repeated(n::REGULAR);
    if regular_nodes.is_empty() {
        return Err(ParseError::MissingElement {
            path: format!("{}/{}", path_of(node), n::REGULAR),
        });
    }
    if let Some(extra) = regular_nodes.get(MAX_REGULAR_SCORES) {
        return Err(ParseError::UnexpectedElement {
            path: path_of(*extra),
        });
    }
    let regular = regular_nodes
        .into_iter()
        .map(input_score)
        .collect::<Result<Vec<_>, _>>()?;
    let semester = ScoredSemester {
        regular,
        midterm: input_score(c.required(n::MIDTERM)?)?,
        final_term: input_score(c.required(n::FINAL_TERM)?)?,
        average: computed(c.required(n::SEMESTER_AVERAGE)?)?,
    };
    c.finish()?;
    Ok(semester)
}

fn read_commented(node: Node<'_, '_>) -> Result<CommentedSubject, ParseError> {
    let mut c = Children::of(
        node,
        &[n::RESULT_HK1, n::RESULT_HK2, n::RESULT_YEAR, n::RETAKE],
    )?;
    let hk1: Comment = canonical(c.required(n::RESULT_HK1)?)?;
    let hk2: Comment = canonical(c.required(n::RESULT_HK2)?)?;
    let year: Comment = canonical(c.required(n::RESULT_YEAR)?)?;
    let retake = match c.optional(n::RETAKE) {
        None => None,
        Some(r) => {
            let mut rc = Children::of(r, &[n::RETAKE_RESULT, n::RETAKE_DATE])?;
            let value: Comment = canonical(rc.required(n::RETAKE_RESULT)?)?;
            let date = canonical(rc.required(n::RETAKE_DATE)?)?;
            rc.finish()?;
            Some(Dated { value, date })
        }
    };
    c.finish()?;
    Ok(CommentedSubject {
        hk1,
        hk2,
        year,
        retake,
    })
}

fn read_primary(node: Node<'_, '_>) -> Result<PrimaryResults, ParseError> {
    let mut c = Children::of(
        node,
        &[
            n::RULE,
            n::SUBJECT,
            n::QUALITY,
            n::COMPETENCE,
            n::OVERALL,
            n::ABSENCES,
            n::PROMOTION,
            n::TITLE,
            n::OUTSTANDING,
            n::HOMEROOM_COMMENT,
        ],
    )?;
    let rule: RuleVersion = canonical(c.required(n::RULE)?)?;
    let subjects = c
        .repeated(n::SUBJECT)
        .into_iter()
        .map(read_primary_subject)
        .collect::<Result<Vec<_>, _>>()?;
    if subjects.is_empty() {
        return Err(ParseError::MissingElement {
            path: format!("{}/{}", path_of(node), n::SUBJECT),
        });
    }
    let qualities = c
        .repeated(n::QUALITY)
        .into_iter()
        .map(|q| read_rated(q, Quality::from_key))
        .collect::<Result<Vec<_>, _>>()?;
    let competences = c
        .repeated(n::COMPETENCE)
        .into_iter()
        .map(|q| read_rated(q, Competence::from_key))
        .collect::<Result<Vec<_>, _>>()?;
    let overall_node = c.required(n::OVERALL)?;
    let overall_text = leaf_text(overall_node)?;
    let overall = OVERALLS
        .into_iter()
        .find(|o| o.label() == overall_text)
        .ok_or_else(|| {
            invalid(
                overall_node,
                &overall_text,
                "expected a kết quả giáo dục label".to_string(),
            )
        })?;
    let absences = read_absences(c.required(n::ABSENCES)?)?;
    let promotion: Promotion = canonical(c.required(n::PROMOTION)?)?;
    let title = match c.optional(n::TITLE) {
        None => None,
        Some(t) => {
            let found = leaf_text(t)?;
            let title = [PrimaryTitle::Excellent, PrimaryTitle::Exemplary]
                .into_iter()
                .find(|v| v.label() == found)
                .ok_or_else(|| {
                    invalid(
                        t,
                        &found,
                        "expected \"Học sinh Xuất sắc\" or \"Học sinh Tiêu biểu\"".to_string(),
                    )
                })?;
            Some(title)
        }
    };
    let flag = c.required(n::OUTSTANDING)?;
    let exemplary = match leaf_text(flag)?.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(invalid(
                flag,
                other,
                "expected \"true\" or \"false\"".to_string(),
            ));
        }
    };
    let homeroom_comment = c.optional(n::HOMEROOM_COMMENT).map(text).transpose()?;
    c.finish()?;
    Ok(PrimaryResults {
        rule,
        subjects,
        qualities,
        competences,
        overall,
        absences,
        promotion,
        title,
        exemplary,
        homeroom_comment,
    })
}

fn read_primary_subject(node: Node<'_, '_>) -> Result<PrimarySubject, ParseError> {
    let mut c = Children::of(
        node,
        &[
            n::SUBJECT_CODE,
            n::SUBJECT_NAME,
            n::MID_HK1,
            n::END_HK1,
            n::MID_HK2,
            n::END_YEAR,
        ],
    )?;
    let subject = PrimarySubject {
        code: canonical(c.required(n::SUBJECT_CODE)?)?,
        name: text(c.required(n::SUBJECT_NAME)?)?,
        mid_hk1: read_period(c.required(n::MID_HK1)?)?,
        end_hk1: read_period(c.required(n::END_HK1)?)?,
        mid_hk2: read_period(c.required(n::MID_HK2)?)?,
        end_year: read_period(c.required(n::END_YEAR)?)?,
    };
    c.finish()?;
    Ok(subject)
}

fn read_period(node: Node<'_, '_>) -> Result<PrimaryPeriod, ParseError> {
    let mut c = Children::of(node, &[n::LEVEL_REACHED, n::TEST_SCORE, n::COMMENT])?;
    let level: SubjectLevel = canonical(c.required(n::LEVEL_REACHED)?)?;
    let test = match c.optional(n::TEST_SCORE) {
        None => None,
        Some(t) => {
            let found = leaf_text(t)?;
            let bad = |reason: String| ParseError::InvalidScore {
                path: path_of(t),
                value: found.clone(),
                reason,
            };
            let number: u8 = match found.parse::<u8>() {
                Ok(v) if v.to_string() == found => v,
                _ => {
                    return Err(bad(
                        "a periodic test score is an integer from 1 to 10".to_string()
                    ));
                }
            };
            Some(TestScore::new(number).map_err(|e| bad(e.to_string()))?)
        }
    };
    let comment = c.optional(n::COMMENT).map(text).transpose()?;
    c.finish()?;
    Ok(PrimaryPeriod {
        level,
        test,
        comment,
    })
}

fn read_rated<K>(
    node: Node<'_, '_>,
    from_key: fn(&str) -> Option<K>,
) -> Result<Rated<K>, ParseError> {
    let mut c = Children::of(node, &[n::ATTRIBUTE_CODE, n::END_HK1, n::END_YEAR])?;
    let key_node = c.required(n::ATTRIBUTE_CODE)?;
    let key_text = leaf_text(key_node)?;
    let key = from_key(&key_text).ok_or_else(|| {
        invalid(
            key_node,
            &key_text,
            format!("not a key of a {}", display_name(node)),
        )
    })?;
    let hk1: Mastery = canonical(c.required(n::END_HK1)?)?;
    let year: Mastery = canonical(c.required(n::END_YEAR)?)?;
    c.finish()?;
    Ok(Rated { key, hk1, year })
}

/// Every kết quả giáo dục, for lookup by label.
const OVERALLS: [Overall; 4] = [
    Overall::HoanThanhXuatSac,
    Overall::HoanThanhTot,
    Overall::HoanThanh,
    Overall::ChuaHoanThanh,
];

// ---------------------------------------------------------------------------------------
// Leaf values

fn invalid(node: Node<'_, '_>, value: &str, reason: String) -> ParseError {
    ParseError::InvalidValue {
        path: path_of(node),
        value: value.to_string(),
        reason,
    }
}

/// A value that must be written exactly as its `Display` writes it (dates ISO, codes,
/// labels, numbers without leading zeros…).
fn canonical<T>(node: Node<'_, '_>) -> Result<T, ParseError>
where
    T: FromStr + Display,
    T::Err: Display,
{
    let found = leaf_text(node)?;
    let value = found
        .parse::<T>()
        .map_err(|e| invalid(node, &found, e.to_string()))?;
    let written = value.to_string();
    if written != found {
        return Err(invalid(
            node,
            &found,
            format!("not in canonical form (expected {written:?})"),
        ));
    }
    Ok(value)
}

/// Free text: NFC (never normalised here), not empty, no control characters.
fn text(node: Node<'_, '_>) -> Result<Text, ParseError> {
    let found = leaf_text(node)?;
    Text::parse_strict(&found).map_err(|e| match e {
        crate::text::TextError::NotNfc => ParseError::NotNfc {
            path: path_of(node),
        },
        other => invalid(node, &found, other.to_string()),
    })
}

/// An input score in its shortest form (`8`, `8.5`, `10`).
fn input_score(node: Node<'_, '_>) -> Result<Score, ParseError> {
    let found = leaf_text(node)?;
    let bad = |reason: String| ParseError::InvalidScore {
        path: path_of(node),
        value: found.clone(),
        reason,
    };
    let score = strict_score(&found).map_err(&bad)?;
    let written = input_score_text(score);
    if written != found {
        return Err(bad(format!("not in canonical form (expected {written:?})")));
    }
    Ok(score)
}

/// A computed average with exactly one decimal (`8.0`), 0.0–10.0.
fn computed(node: Node<'_, '_>) -> Result<Tenths, ParseError> {
    let found = leaf_text(node)?;
    let bad = |reason: String| ParseError::InvalidScore {
        path: path_of(node),
        value: found.clone(),
        reason,
    };
    let score = strict_score(&found).map_err(&bad)?;
    let written = score.value().to_string();
    if written != found {
        return Err(bad(format!("not in canonical form (expected {written:?})")));
    }
    Ok(score.value())
}

/// `Score::from_str` also accepts a decimal comma and surrounding spaces (for data
/// entry); a document may only hold ASCII digits and a full stop.
fn strict_score(found: &str) -> Result<Score, String> {
    if !found.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("a score holds only digits and one full stop".to_string());
    }
    found.parse::<Score>().map_err(|e| e.to_string())
}
