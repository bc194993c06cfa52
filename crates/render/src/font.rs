//! The embedded DejaVu Sans fonts: glyph lookup, text width, and a TrueType subset that
//! keeps only the glyphs a document uses.
//!
//! The subset keeps every glyph id as it is (unused glyphs become empty), so the PDF can
//! use `Identity-H` with `CIDToGIDMap /Identity`: the code written in the content stream
//! is the glyph id. This avoids a full font-subsetting dependency; the cost is a `loca`
//! and `hmtx` table sized for the whole font (≈ 50 KB before compression).

use std::collections::{BTreeMap, BTreeSet};

use crate::RenderError;

/// DejaVu Sans (Debian `fonts-dejavu-core`), see `fonts/README.md`.
const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold (Debian `fonts-dejavu-core`).
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Which of the two embedded faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One face as used by one document: its metrics and the glyphs written so far (with the
/// text each glyph stands for, for the ToUnicode map).
pub(crate) struct Font {
    pub weight: Weight,
    data: &'static [u8],
    units_per_em: f32,
    /// Advance width per glyph id, in font units.
    advances: Vec<u16>,
    cmap: BTreeMap<char, u16>,
    pub ascent: i16,
    pub descent: i16,
    pub cap_height: i16,
    pub bbox: [i16; 4],
    /// Glyph id -> the character it was written for.
    pub used: BTreeMap<u16, char>,
}

impl Font {
    pub fn load(weight: Weight) -> Result<Font, RenderError> {
        let data = match weight {
            Weight::Regular => REGULAR,
            Weight::Bold => BOLD,
        };
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| RenderError::Font(format!("cannot parse the embedded font: {e}")))?;
        let n = face.number_of_glyphs();
        let advances = (0..n)
            .map(|g| face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0))
            .collect();
        let mut cmap = BTreeMap::new();
        if let Some(table) = face.tables().cmap {
            for sub in table.subtables {
                if sub.is_unicode() {
                    sub.codepoints(|cp| {
                        if let (Some(c), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp)) {
                            cmap.entry(c).or_insert(g.0);
                        }
                    });
                }
            }
        }
        let b = face.global_bounding_box();
        Ok(Font {
            weight,
            data,
            units_per_em: f32::from(face.units_per_em()),
            advances,
            cmap,
            ascent: face.ascender(),
            descent: face.descender(),
            cap_height: face.capital_height().unwrap_or(face.ascender()),
            bbox: [b.x_min, b.y_min, b.x_max, b.y_max],
            used: BTreeMap::new(),
        })
    }

    /// The PDF resource name of the face.
    pub fn resource_name(&self) -> &'static [u8] {
        match self.weight {
            Weight::Regular => b"F1",
            Weight::Bold => b"F2",
        }
    }

    /// The PostScript name written in the PDF (with a subset tag).
    pub fn base_name(&self) -> &'static [u8] {
        match self.weight {
            Weight::Regular => b"HOCBAA+DejaVuSans",
            Weight::Bold => b"HOCBAB+DejaVuSans-Bold",
        }
    }

    fn glyph(&self, c: char) -> u16 {
        self.cmap.get(&c).copied().unwrap_or(0)
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                u32::from(
                    self.advances
                        .get(usize::from(self.glyph(c)))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .sum();
        units as f32 * size / self.units_per_em
    }

    /// Advance of glyph `g` in thousandths of an em (PDF glyph space).
    pub fn advance_1000(&self, g: u16) -> f32 {
        f32::from(self.advances.get(usize::from(g)).copied().unwrap_or(0)) * 1000.0
            / self.units_per_em
    }

    /// Converts font units to thousandths of an em.
    pub fn to_1000(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units_per_em
    }

    /// Encodes `text` as big-endian glyph ids and records the glyphs used.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let g = self.glyph(c);
            if g != 0 {
                self.used.entry(g).or_insert(c);
            }
            out.extend_from_slice(&g.to_be_bytes());
        }
        out
    }

    /// A TrueType font holding only the used glyphs (and the glyphs composite glyphs
    /// are built from), with every glyph id unchanged.
    pub fn subset(&self) -> Result<Vec<u8>, RenderError> {
        subset(self.data, self.used.keys().copied())
    }
}

/// Tables a PDF TrueType font program needs (ISO 32000 §9.9); `cmap` is not needed with
/// `CIDToGIDMap /Identity`, hinting tables are kept when present.
const KEPT: [&[u8; 4]; 9] = [
    b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep",
];

fn subset(data: &[u8], used: impl Iterator<Item = u16>) -> Result<Vec<u8>, RenderError> {
    let bad = |what: &str| RenderError::Font(format!("embedded font: {what}"));
    let tables = table_directory(data).ok_or_else(|| bad("table directory"))?;
    let table = |tag: &[u8; 4]| tables.get(tag).map(|&(o, l)| &data[o..o + l]);
    let head = table(b"head").ok_or_else(|| bad("no head"))?;
    let maxp = table(b"maxp").ok_or_else(|| bad("no maxp"))?;
    let loca = table(b"loca").ok_or_else(|| bad("no loca"))?;
    let glyf = table(b"glyf").ok_or_else(|| bad("no glyf"))?;
    let long_loca = read_u16(head, 50).ok_or_else(|| bad("head"))? == 1;
    let num_glyphs = usize::from(read_u16(maxp, 4).ok_or_else(|| bad("maxp"))?);
    let offset = |g: usize| -> Option<usize> {
        if long_loca {
            read_u32(loca, g * 4).map(|v| v as usize)
        } else {
            read_u16(loca, g * 2).map(|v| usize::from(v) * 2)
        }
    };
    let glyph_data = |g: usize| -> Option<&[u8]> {
        let (a, b) = (offset(g)?, offset(g + 1)?);
        glyf.get(a..b)
    };

    // Close the set over composite components.
    let mut keep: BTreeSet<usize> = BTreeSet::new();
    let mut todo: Vec<usize> = std::iter::once(0).chain(used.map(usize::from)).collect();
    while let Some(g) = todo.pop() {
        if g >= num_glyphs || !keep.insert(g) {
            continue;
        }
        let d = glyph_data(g).ok_or_else(|| bad("loca out of range"))?;
        todo.extend(components(d).into_iter().filter(|c| !keep.contains(c)));
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((num_glyphs + 1) * 4);
    for g in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if keep.contains(&g) {
            new_glyf.extend_from_slice(glyph_data(g).ok_or_else(|| bad("loca out of range"))?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment: not recomputed
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca

    let mut out_tables: Vec<(&[u8; 4], Vec<u8>)> = Vec::new();
    for tag in KEPT {
        let body = match tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            _ => match table(tag) {
                Some(t) => t.to_vec(),
                None => continue,
            },
        };
        out_tables.push((tag, body));
    }
    Ok(write_font(&out_tables))
}

/// Glyph ids a composite glyph refers to (empty for a simple glyph).
fn components(glyph: &[u8]) -> Vec<usize> {
    const ARG_WORDS: u16 = 0x0001;
    const SCALE: u16 = 0x0008;
    const MORE: u16 = 0x0020;
    const XY_SCALE: u16 = 0x0040;
    const TWO_BY_TWO: u16 = 0x0080;
    let mut out = Vec::new();
    let Some(contours) = read_u16(glyph, 0) else {
        return out;
    };
    if (contours as i16) >= 0 {
        return out;
    }
    let mut at = 10;
    while let (Some(flags), Some(id)) = (read_u16(glyph, at), read_u16(glyph, at + 2)) {
        out.push(usize::from(id));
        at += 4 + if flags & ARG_WORDS != 0 { 4 } else { 2 };
        at += if flags & SCALE != 0 {
            2
        } else if flags & XY_SCALE != 0 {
            4
        } else if flags & TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        if flags & MORE == 0 {
            break;
        }
    }
    out
}

fn table_directory(data: &[u8]) -> Option<BTreeMap<[u8; 4], (usize, usize)>> {
    let n = usize::from(read_u16(data, 4)?);
    let mut out = BTreeMap::new();
    for i in 0..n {
        let rec = 12 + i * 16;
        let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
        let offset = read_u32(data, rec + 8)? as usize;
        let length = read_u32(data, rec + 12)? as usize;
        data.get(offset..offset.checked_add(length)?)?;
        out.insert(tag, (offset, length));
    }
    Some(out)
}

fn write_font(tables: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    for (tag, body) in tables {
        out.extend_from_slice(&tag[..]);
        out.extend_from_slice(&checksum(body).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        offset += body.len().div_ceil(4) * 4;
    }
    for (_, body) in tables {
        out.extend_from_slice(body);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

fn checksum(body: &[u8]) -> u32 {
    body.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

fn read_u16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vietnamese_letter_has_a_glyph_in_both_faces() {
        let letters = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợ\
                       pqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        for weight in [Weight::Regular, Weight::Bold] {
            let font = Font::load(weight).unwrap();
            for c in letters
                .chars()
                .flat_map(|c| [c, c.to_uppercase().next().unwrap()])
            {
                assert_ne!(font.glyph(c), 0, "{c} missing in {weight:?}");
            }
        }
    }

    #[test]
    fn subset_keeps_used_glyphs_and_their_components_and_parses() {
        let mut font = Font::load(Weight::Regular).unwrap();
        font.encode("Trường Nguyễn Thị Ánh");
        let sub = font.subset().unwrap();
        assert!(
            sub.len() < REGULAR.len() / 4,
            "subset is {} bytes",
            sub.len()
        );
        let face = ttf_parser::Face::parse(&sub, 0).unwrap();
        let original = ttf_parser::Face::parse(REGULAR, 0).unwrap();
        for (&g, &c) in &font.used {
            let id = ttf_parser::GlyphId(g);
            assert_eq!(
                face.outline_glyph(id, &mut Sink),
                original.outline_glyph(id, &mut Sink),
                "glyph of {c:?}"
            );
        }
    }

    struct Sink;
    impl ttf_parser::OutlineBuilder for Sink {
        fn move_to(&mut self, _: f32, _: f32) {}
        fn line_to(&mut self, _: f32, _: f32) {}
        fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {}
        fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {}
        fn close(&mut self) {}
    }
}
