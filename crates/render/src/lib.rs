#![doc = include_str!("../README.md")]

mod font;
mod layout;
mod sections;

use std::io::Write as _;

use pdf_writer::types::{AssociationKind, CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use font::{Font, Weight};
use layout::Doc;

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
}

/// The name of the attached signed XML inside the PDF.
pub const ATTACHMENT_NAME: &str = "hocba.xml";

/// Renders the paper copy (bản sao giấy) of `record`: an A4 PDF laid out like the paper
/// học bạ, with DejaVu Sans embedded (every Vietnamese letter), the mark "Bản sao chuyển
/// đổi từ học bạ điện tử", who converted it and when, the lookup code and URL and a QR
/// code of the URL. `signed_xml` is attached unchanged as `hocba.xml`
/// (`application/xml`, in the `/EmbeddedFiles` name tree and the catalog's `/AF`).
///
/// The record is printed as given: the caller is responsible for `record` being the
/// content of `signed_xml` (parse it with [`record::parse_document`]).
pub fn paper_copy(
    record: &record::Record,
    signed_xml: &[u8],
    info: &PaperCopyInfo,
) -> Result<Vec<u8>, RenderError> {
    if info.lookup_url.trim().is_empty() {
        return Err(RenderError::NoLookupUrl);
    }
    let qr = qr_modules(&info.lookup_url)?;
    let mut doc = Doc::new(Font::load(Weight::Regular)?, Font::load(Weight::Bold)?);
    sections::write(&mut doc, record, info, &qr);
    let title = format!(
        "Học bạ {} — {} — năm học {}",
        record.student.name, record.class.name, record.class.year
    );
    assemble(doc, signed_xml, &title)
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

/// Writes the PDF objects: pages, the two fonts (subset, ToUnicode), the attachment.
fn assemble(doc: Doc, signed_xml: &[u8], title: &str) -> Result<Vec<u8>, RenderError> {
    let (pages, fonts) = doc.finish();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let pages_id = alloc();
    let info_id = alloc();
    let xml_id = alloc();
    let spec_id = alloc();
    let font_ids: Vec<[Ref; 5]> = fonts
        .iter()
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    {
        let mut catalog = pdf.catalog(catalog_id);
        catalog.pages(pages_id);
        catalog.lang(TextStr("vi"));
        catalog
            .names()
            .embedded_files()
            .names()
            .insert(Str(ATTACHMENT_NAME.as_bytes()), spec_id);
        catalog.insert(Name(b"AF")).array().item(spec_id);
    }
    pdf.document_info(info_id)
        .title(TextStr(title))
        .subject(TextStr("Bản sao chuyển đổi từ học bạ điện tử"))
        .producer(TextStr("Hocba"));

    // The signed XML, byte for byte (compressed in the file, inflated by any reader).
    let xml_z = deflate(signed_xml);
    {
        let mut ef = pdf.embedded_file(xml_id, &xml_z);
        ef.filter(Filter::FlateDecode);
        ef.subtype(Name(b"application/xml"));
        ef.params()
            .size(i32::try_from(signed_xml.len()).unwrap_or(i32::MAX));
    }
    pdf.file_spec(spec_id)
        .path(Str(ATTACHMENT_NAME.as_bytes()))
        .unic_file(TextStr(ATTACHMENT_NAME))
        .description(TextStr("Học bạ điện tử đã ký số (XML gốc)"))
        .embedded_file_with_unicode(xml_id)
        .association_kind(AssociationKind::Source);

    let a4 = Rect::new(0.0, 0.0, layout::PAGE_W, layout::PAGE_H);
    pdf.pages(pages_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    for ((page_id, content_id), content) in page_ids.iter().zip(&pages) {
        let mut page = pdf.page(*page_id);
        page.media_box(a4).parent(pages_id).contents(*content_id);
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

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}
