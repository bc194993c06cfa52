#![doc = include_str!("../README.md")]

mod font;
mod icc;
mod layout;
mod pdfa;
mod sections;

use std::io::Write as _;

use pdf_writer::types::{
    AssociationKind, CidFontType, FontFlags, OutputIntentSubtype, SystemInfo, UnicodeCmap,
};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use font::{Font, Weight};
use layout::Doc;

pub use pdfa::{InvalidMoment, Moment};

/// What a paper copy says about itself besides the record: how to look the original up,
/// who converted it and when, and who signed the electronic record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperCopyInfo {
    /// The address a reader opens (or scans from the QR code) to verify the original.
    pub lookup_url: String,
    /// The code to type on the lookup page (mã tra cứu).
    pub lookup_code: String,
    /// Who converted the electronic record to paper (the clerk's name).
    pub converted_by: String,
    /// When, as the text to print (e.g. `25/11/2026 19:40 UTC`).
    pub converted_at: String,
    /// The signatures of the electronic record, in chain order.
    pub signers: Vec<Signer>,
}

/// One signature of the electronic record, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The role in Vietnamese (e.g. `Giáo viên chủ nhiệm`).
    pub role: String,
    /// Who signed.
    pub name: String,
    /// When, as the text to print.
    pub time: String,
}

/// Why a paper copy could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The embedded font could not be read or subset (a build defect).
    #[error("font: {0}")]
    Font(String),
    /// The lookup URL does not fit in a QR code.
    #[error("the lookup URL cannot be encoded as a QR code: {0}")]
    Qr(String),
    /// The lookup URL is empty.
    #[error("the lookup URL is empty")]
    NoLookupUrl,
    /// Two copies of one file would attach their XML under the same name.
    #[error("two copies have the attachment name {0:?}")]
    DuplicateAttachment(String),
}

/// The name of the attached signed XML inside a single copy's PDF.
pub const ATTACHMENT_NAME: &str = "hocba.xml";

/// The Info `/Subject` and XMP `dc:description` of every paper copy.
const SUBJECT: &str = "Bản sao chuyển đổi từ học bạ điện tử";
/// The Info `/Producer`, XMP `pdf:Producer` and `xmp:CreatorTool`.
const PRODUCER: &str = "Hocba";

/// One student's copy inside a class's file ([`class_copies`]).
#[derive(Debug, Clone)]
pub struct ClassCopy<'a> {
    /// The record printed (the content of `signed_xml`).
    pub record: &'a record::Record,
    /// The signed document, attached unchanged.
    pub signed_xml: &'a [u8],
    /// Lookup, converter and signers of this copy.
    pub info: PaperCopyInfo,
    /// The attachment's name in the PDF (e.g. `<student code>.xml`); distinct per copy.
    pub attachment: String,
}

/// The first page of a class's file: its title, who converted it and when, the students
/// whose copies follow (in that order) and those left out with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// E.g. `Lớp 6A — năm học 2025-2026`; also the PDF's title.
    pub title: String,
    /// The school's name.
    pub school: String,
    /// Who converted the records.
    pub converted_by: String,
    /// When, as the text to print.
    pub converted_at: String,
    /// The students whose copies are in the file, in the file's order.
    pub included: Vec<CoverLine>,
    /// The students without a copy in the file, each with the reason (in Vietnamese).
    pub skipped: Vec<(CoverLine, String)>,
}

/// One student on the cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverLine {
    /// Roll number in the class (STT).
    pub roll: String,
    /// Student code (mã học sinh); included students' attachments are `<code>.xml`.
    pub code: String,
    /// Full name.
    pub name: String,
}

/// Renders the paper copy (bản sao giấy) of `record`: an A4 PDF laid out like the paper
/// học bạ, with DejaVu Sans embedded (every Vietnamese letter), the mark "Bản sao chuyển
/// đổi từ học bạ điện tử", who converted it and when, the lookup code and URL and a QR
/// code of the URL. `signed_xml` is attached unchanged as `hocba.xml`
/// (`application/xml`, `/AFRelationship /Source`, in the `/EmbeddedFiles` name tree and
/// the catalog's `/AF`). The file is PDF/A-3b (XMP metadata, sRGB output intent, document
/// ID), without a creation date; [`paper_copy_at`] adds one.
///
/// The record is printed as given: the caller is responsible for `record` being the
/// content of `signed_xml` (parse it with [`record::parse_document`]).
pub fn paper_copy(
    record: &record::Record,
    signed_xml: &[u8],
    info: &PaperCopyInfo,
) -> Result<Vec<u8>, RenderError> {
    single(record, signed_xml, info, None)
}

/// [`paper_copy`], dated: `at` is the PDF's creation and modification date (Info and
/// XMP) and the attachment's `/ModDate`.
pub fn paper_copy_at(
    record: &record::Record,
    signed_xml: &[u8],
    info: &PaperCopyInfo,
    at: Moment,
) -> Result<Vec<u8>, RenderError> {
    single(record, signed_xml, info, Some(at))
}

/// Renders a class's paper copies as one PDF/A-3b file: the cover first, then each copy
/// in the order given, each with its own pages ("Trang i/n" counted per copy), QR code
/// and lookup code, and its signed XML attached under its `attachment` name (all in the
/// `/EmbeddedFiles` name tree and the catalog's `/AF`, each also in the `/AF` of its copy's
/// first page). Fonts are embedded once for the whole file.
pub fn class_copies(
    cover: &Cover,
    copies: &[ClassCopy<'_>],
    at: Moment,
) -> Result<Vec<u8>, RenderError> {
    let mut names = std::collections::BTreeSet::new();
    for c in copies {
        if !names.insert(c.attachment.as_str()) {
            return Err(RenderError::DuplicateAttachment(c.attachment.clone()));
        }
    }
    let mut doc = Doc::new(Font::load(Weight::Regular)?, Font::load(Weight::Bold)?);
    sections::cover(&mut doc, cover);
    let mut attachments = Vec::with_capacity(copies.len());
    for (i, c) in copies.iter().enumerate() {
        if c.info.lookup_url.trim().is_empty() {
            return Err(RenderError::NoLookupUrl);
        }
        let qr = qr_modules(&c.info.lookup_url)?;
        sections::write(&mut doc, c.record, &c.info, &qr, &c.attachment);
        attachments.push(Attachment {
            name: &c.attachment,
            bytes: c.signed_xml,
            description: format!(
                "Học bạ điện tử đã ký số (XML gốc) — {} — mã học sinh {}",
                c.record.student.name, c.record.student.code
            ),
            // The cover is copy 0.
            copy: Some(i + 1),
        });
    }
    let title = format!("Bản sao giấy học bạ — {}", cover.title);
    assemble(doc, &attachments, &title, Some(at))
}

/// The QR code of `text` (error correction M) as `(width, dark modules row by row)`,
/// without the quiet zone. Public so that tests can decode what is printed.
pub fn qr_modules(text: &str) -> Result<(usize, Vec<bool>), RenderError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| RenderError::Qr(e.to_string()))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((width, dark))
}

fn single(
    record: &record::Record,
    signed_xml: &[u8],
    info: &PaperCopyInfo,
    at: Option<Moment>,
) -> Result<Vec<u8>, RenderError> {
    if info.lookup_url.trim().is_empty() {
        return Err(RenderError::NoLookupUrl);
    }
    let qr = qr_modules(&info.lookup_url)?;
    let mut doc = Doc::new(Font::load(Weight::Regular)?, Font::load(Weight::Bold)?);
    sections::write(&mut doc, record, info, &qr, ATTACHMENT_NAME);
    let title = format!(
        "Học bạ {} — {} — năm học {}",
        record.student.name, record.class.name, record.class.year
    );
    let attachment = Attachment {
        name: ATTACHMENT_NAME,
        bytes: signed_xml,
        description: "Học bạ điện tử đã ký số (XML gốc)".to_owned(),
        copy: None,
    };
    assemble(doc, &[attachment], &title, at)
}

/// A signed XML to attach.
struct Attachment<'a> {
    name: &'a str,
    bytes: &'a [u8],
    description: String,
    /// The copy (index of [`Doc::end_copy`] calls) whose first page it is associated with.
    copy: Option<usize>,
}

/// Writes the PDF/A-3b objects: catalog with XMP metadata, output intent and `/AF`,
/// Info, pages, the two fonts (subset, ToUnicode), the attachments.
fn assemble(
    doc: Doc,
    attachments: &[Attachment<'_>],
    title: &str,
    at: Option<Moment>,
) -> Result<Vec<u8>, RenderError> {
    let (pages, starts, fonts) = doc.finish();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let pages_id = alloc();
    let info_id = alloc();
    let xmp_id = alloc();
    let icc_id = alloc();
    let files: Vec<(Ref, Ref)> = attachments.iter().map(|_| (alloc(), alloc())).collect();
    let font_ids: Vec<[Ref; 5]> = fonts
        .iter()
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    // The attachments associated with each page (a copy's first page).
    let mut page_af: Vec<Vec<Ref>> = vec![Vec::new(); pages.len()];
    for (a, (_, spec)) in attachments.iter().zip(&files) {
        if let Some(list) = a
            .copy
            .and_then(|c| starts.get(c))
            .and_then(|&first| page_af.get_mut(first))
        {
            list.push(*spec);
        }
    }

    let mut pdf = Pdf::new();
    pdf.set_file_id(file_id(attachments, title, at));
    {
        let mut catalog = pdf.catalog(catalog_id);
        catalog.pages(pages_id);
        catalog.lang(TextStr("vi"));
        catalog.metadata(xmp_id);
        catalog
            .output_intents()
            .push()
            .subtype(OutputIntentSubtype::PDFA)
            .output_condition_identifier(TextStr(icc::DESCRIPTION))
            .output_condition(TextStr(icc::DESCRIPTION))
            .info(TextStr(icc::DESCRIPTION))
            .dest_output_profile(icc_id);
        // A name tree's keys are sorted.
        let mut sorted: Vec<(&str, Ref)> = attachments
            .iter()
            .zip(&files)
            .map(|(a, (_, spec))| (a.name, *spec))
            .collect();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        {
            let mut names = catalog.names();
            let mut tree = names.embedded_files();
            let mut entries = tree.names();
            for (name, spec) in &sorted {
                entries.insert(Str(name.as_bytes()), *spec);
            }
        }
        catalog
            .insert(Name(b"AF"))
            .array()
            .items(files.iter().map(|(_, spec)| *spec));
    }
    {
        let mut info = pdf.document_info(info_id);
        info.title(TextStr(title))
            .subject(TextStr(SUBJECT))
            .creator(TextStr(PRODUCER))
            .producer(TextStr(PRODUCER));
        if let Some(at) = at {
            info.creation_date(at.pdf_date())
                .modified_date(at.pdf_date());
        }
    }
    let xmp = pdfa::xmp(&pdfa::DocMeta {
        title,
        subject: SUBJECT,
        producer: PRODUCER,
        at,
    });
    pdf.metadata(xmp_id, &xmp);
    let profile = icc::srgb();
    let profile_z = deflate(&profile);
    pdf.icc_profile(icc_id, &profile_z)
        .n(3)
        .filter(Filter::FlateDecode);

    for (a, (xml_id, spec_id)) in attachments.iter().zip(&files) {
        // The signed XML, byte for byte (compressed in the file, inflated by any reader).
        let xml_z = deflate(a.bytes);
        {
            let mut ef = pdf.embedded_file(*xml_id, &xml_z);
            ef.filter(Filter::FlateDecode);
            ef.subtype(Name(b"application/xml"));
            let mut params = ef.params();
            params.size(i32::try_from(a.bytes.len()).unwrap_or(i32::MAX));
            if let Some(at) = at {
                params.modification_date(at.pdf_date());
            }
        }
        pdf.file_spec(*spec_id)
            .path(Str(a.name.as_bytes()))
            .unic_file(TextStr(a.name))
            .description(TextStr(&a.description))
            .embedded_file_with_unicode(*xml_id)
            .association_kind(AssociationKind::Source);
    }

    let a4 = Rect::new(0.0, 0.0, layout::PAGE_W, layout::PAGE_H);
    pdf.pages(pages_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    for (((page_id, content_id), content), af) in page_ids.iter().zip(&pages).zip(&page_af) {
        let mut page = pdf.page(*page_id);
        page.media_box(a4).parent(pages_id).contents(*content_id);
        if !af.is_empty() {
            page.insert(Name(b"AF")).array().items(af.iter().copied());
        }
        let mut resources = page.resources();
        let mut f = resources.fonts();
        for (font, ids) in fonts.iter().zip(&font_ids) {
            f.pair(Name(font.resource_name()), ids[0]);
        }
        f.finish();
        resources.finish();
        page.finish();
        let z = deflate(content);
        pdf.stream(*content_id, &z).filter(Filter::FlateDecode);
    }

    for (font, [type0, cid, descriptor, cmap, file]) in fonts.iter().zip(font_ids) {
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0)
            .base_font(Name(font.base_name()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        {
            let mut c = pdf.cid_font(cid);
            c.subtype(CidFontType::Type2)
                .base_font(Name(font.base_name()))
                .system_info(system)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            let mut w = c.widths();
            for &g in font.used.keys() {
                w.consecutive(g, [font.advance_1000(g)]);
            }
        }
        let bbox = font.bbox.map(|v| font.to_1000(v));
        let mut flags = FontFlags::NON_SYMBOLIC;
        if font.weight == Weight::Bold {
            flags |= FontFlags::FORCE_BOLD;
        }
        pdf.font_descriptor(descriptor)
            .name(Name(font.base_name()))
            .flags(flags)
            .bbox(Rect::new(bbox[0], bbox[1], bbox[2], bbox[3]))
            .italic_angle(0.0)
            .ascent(font.to_1000(font.ascent))
            .descent(font.to_1000(font.descent))
            .cap_height(font.to_1000(font.cap_height))
            .stem_v(if font.weight == Weight::Bold {
                140.0
            } else {
                80.0
            })
            .font_file2(file);
        let mut map = UnicodeCmap::new(Name(b"Hocba-UTF16"), system);
        for (&g, &c) in &font.used {
            map.pair(g, c);
        }
        let map = map.finish();
        pdf.cmap(cmap, &map);
        let program = font.subset()?;
        let z = deflate(&program);
        pdf.stream(file, &z).filter(Filter::FlateDecode).pair(
            Name(b"Length1"),
            i32::try_from(program.len()).unwrap_or(i32::MAX),
        );
    }
    Ok(pdf.finish())
}

/// The trailer's `/ID`: a digest of what makes this file (both halves equal, as for a
/// file that was never updated).
fn file_id(attachments: &[Attachment<'_>], title: &str, at: Option<Moment>) -> (Vec<u8>, Vec<u8>) {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(title.as_bytes());
    h.update(at.map(|m| m.to_string()).unwrap_or_default().as_bytes());
    for a in attachments {
        h.update(a.name.as_bytes());
        h.update([0]);
        h.update(a.bytes);
    }
    let id = h.finalize()[..16].to_vec();
    (id.clone(), id)
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}
