//! A small top-down layout engine: text lines, wrapped paragraphs, ruled tables and page
//! breaks on A4, written as PDF content streams.

use pdf_writer::{Content, Name, Str};

use crate::font::{Font, Weight};

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 36.0;
/// Space kept free at the bottom of each page for the page footer.
const BOTTOM: f32 = MARGIN + 14.0;
pub const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
/// Line height of table cells, in multiples of the font size.
const LEAD: f32 = 1.22;
/// Vertical padding of table cells.
const PAD: f32 = 2.4;

/// Horizontal alignment inside a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// One table column: header, width, alignment.
pub struct Column<'a> {
    pub header: &'a str,
    pub width: f32,
    pub align: Align,
}

pub struct Doc {
    regular: Font,
    bold: Font,
    /// The pages of the current copy, without their footers yet.
    done: Vec<Content>,
    /// Finished pages of the copies already ended, footers included.
    out: Vec<Vec<u8>>,
    /// Per ended copy: the index in `out` of its first page.
    starts: Vec<usize>,
    page: Content,
    /// The baseline cursor: the top of the free space on the current page.
    pub y: f32,
    /// Printed at the bottom of every page (left), with "Trang i/n" at the right.
    pub footer: String,
}

impl Doc {
    pub fn new(regular: Font, bold: Font) -> Doc {
        Doc {
            regular,
            bold,
            done: Vec::new(),
            out: Vec::new(),
            starts: Vec::new(),
            page: Content::new(),
            y: PAGE_H - MARGIN,
            footer: String::new(),
        }
    }

    fn font(&mut self, w: Weight) -> &mut Font {
        match w {
            Weight::Regular => &mut self.regular,
            Weight::Bold => &mut self.bold,
        }
    }

    pub fn width(&mut self, w: Weight, size: f32, text: &str) -> f32 {
        self.font(w).width(text, size)
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    pub fn new_page(&mut self) {
        let page = std::mem::replace(&mut self.page, Content::new());
        self.done.push(page);
        self.y = PAGE_H - MARGIN;
    }

    /// Moves the cursor down.
    pub fn down(&mut self, by: f32) {
        self.y -= by;
    }

    /// Writes one line of text with its baseline at `y`.
    pub fn text_at(&mut self, x: f32, y: f32, w: Weight, size: f32, text: &str) {
        let name = self.font(w).resource_name();
        let glyphs = self.font(w).encode(text);
        self.page
            .begin_text()
            .set_font(Name(name), size)
            .next_line(x, y)
            .show(Str(&glyphs))
            .end_text();
    }

    /// Writes one line centred on `cx`.
    pub fn text_centered(&mut self, cx: f32, y: f32, w: Weight, size: f32, text: &str) {
        let width = self.width(w, size, text);
        self.text_at(cx - width / 2.0, y, w, size, text);
    }

    /// Writes a centred line at the cursor and moves down.
    pub fn centered_line(&mut self, w: Weight, size: f32, text: &str) {
        self.ensure(size * 1.4);
        self.y -= size * 1.2;
        self.text_centered(PAGE_W / 2.0, self.y, w, size, text);
        self.y -= size * 0.2;
    }

    /// Section heading.
    pub fn heading(&mut self, text: &str) {
        self.ensure(40.0);
        self.y -= 13.0;
        self.text_at(MARGIN, self.y, Weight::Bold, 10.5, text);
        self.y -= 4.0;
    }

    /// `label` in bold followed by `value`, wrapped to the text width at `x`..`x+width`.
    pub fn field(&mut self, x: f32, width: f32, label: &str, value: &str) {
        let size = 9.5;
        let lead = size * 1.3;
        let label_w = self.width(Weight::Bold, size, label) + 4.0;
        let lines = self.wrap(Weight::Regular, size, value, width - label_w);
        self.ensure(lead * lines.len() as f32);
        self.y -= lead;
        self.text_at(x, self.y, Weight::Bold, size, label);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                self.y -= lead;
            }
            self.text_at(x + label_w, self.y, Weight::Regular, size, line);
        }
        self.y -= 1.5;
    }

    /// Greedy word wrap of `text` into lines no wider than `width` (a word longer than
    /// the width gets a line of its own). Always at least one line.
    pub fn wrap(&mut self, w: Weight, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                // A word wider than the line (a URL, a long code) is cut between characters.
                if self.width(w, size, word) > width {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    for c in word.chars() {
                        line.push(c);
                        if self.width(w, size, &line) > width && line.chars().count() > 1 {
                            line.pop();
                            lines.push(std::mem::take(&mut line));
                            line.push(c);
                        }
                    }
                    continue;
                }
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if !line.is_empty() && self.width(w, size, &candidate) > width {
                    lines.push(std::mem::take(&mut line));
                    line = word.to_owned();
                } else {
                    line = candidate;
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// `text`, cut and ended with `…` if it is wider than `width`.
    fn fit(&mut self, w: Weight, size: f32, text: &str, width: f32) -> String {
        if self.width(w, size, text) <= width {
            return text.to_owned();
        }
        let mut out: String = text.to_owned();
        while !out.is_empty() && self.width(w, size, &format!("{out}…")) > width {
            out.pop();
        }
        format!("{}…", out.trim_end())
    }

    /// A ruled table with a shaded bold header row; cells wrap; the header repeats after a
    /// page break.
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>], size: f32) {
        let lead = size * LEAD;
        let pad = PAD;
        let header: Vec<String> = columns.iter().map(|c| c.header.to_owned()).collect();
        let header_lines = self.cell_lines(columns, &header, Weight::Bold, size);
        let header_h =
            header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
        let mut need_header = true;
        for row in rows {
            let lines = self.cell_lines(columns, row, Weight::Regular, size);
            let h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
            if self.y - h - if need_header { header_h } else { 0.0 } < BOTTOM {
                self.new_page();
                need_header = true;
            }
            if need_header {
                self.row(columns, &header_lines, header_h, Weight::Bold, size, true);
                need_header = false;
            }
            self.row(columns, &lines, h, Weight::Regular, size, false);
        }
        self.y -= 4.0;
    }

    fn cell_lines(
        &mut self,
        columns: &[Column<'_>],
        cells: &[String],
        w: Weight,
        size: f32,
    ) -> Vec<Vec<String>> {
        columns
            .iter()
            .zip(cells)
            .map(|(c, text)| self.wrap(w, size, text, c.width - 6.0))
            .collect()
    }

    fn row(
        &mut self,
        columns: &[Column<'_>],
        lines: &[Vec<String>],
        h: f32,
        w: Weight,
        size: f32,
        shaded: bool,
    ) {
        let lead = size * LEAD;
        let top = self.y;
        let total: f32 = columns.iter().map(|c| c.width).sum();
        if shaded {
            self.page
                .set_fill_gray(0.88)
                .rect(MARGIN, top - h, total, h)
                .fill_nonzero()
                .set_fill_gray(0.0);
        }
        let mut x = MARGIN;
        for (col, cell) in columns.iter().zip(lines) {
            self.page
                .set_line_width(0.5)
                .rect(x, top - h, col.width, h)
                .stroke();
            for (i, line) in cell.iter().enumerate() {
                let baseline = top - PAD - size * 0.9 - i as f32 * lead;
                match col.align {
                    Align::Left => self.text_at(x + 3.0, baseline, w, size, line),
                    Align::Center => {
                        self.text_centered(x + col.width / 2.0, baseline, w, size, line)
                    }
                }
            }
            x += col.width;
        }
        self.y = top - h;
    }

    /// A stroked rectangle from the cursor down `h` points over the text width.
    pub fn frame(&mut self, h: f32, line_width: f32) {
        self.page
            .set_line_width(line_width)
            .rect(MARGIN, self.y - h, WIDTH, h)
            .stroke();
    }

    /// Fills the dark `modules` of a `width`-module QR code in a `side`-point square whose
    /// top-left corner is (`x`, `top`), with a 4-module white quiet zone inside it.
    pub fn qr(&mut self, x: f32, top: f32, side: f32, width: usize, modules: &[bool]) {
        let cell = side / (width + 8) as f32;
        self.page.set_fill_gray(0.0);
        for (i, &dark) in modules.iter().enumerate() {
            if dark {
                let (r, c) = (i / width, i % width);
                self.page.rect(
                    x + (c + 4) as f32 * cell,
                    top - (r + 5) as f32 * cell,
                    cell,
                    cell,
                );
            }
        }
        self.page.fill_nonzero();
    }

    /// Ends the current copy: its last page is closed and every page of the copy gets the
    /// footer (`footer` at the left, "Trang i/n" counted within the copy at the right).
    /// The next text starts a new page of the next copy.
    pub fn end_copy(&mut self) {
        self.new_page();
        let pages = std::mem::take(&mut self.done);
        let n = pages.len();
        let footer = self.footer.clone();
        self.starts.push(self.out.len());
        for (i, mut page) in pages.into_iter().enumerate() {
            std::mem::swap(&mut self.page, &mut page);
            let y = MARGIN - 6.0;
            self.page
                .set_line_width(0.4)
                .move_to(MARGIN, MARGIN + 6.0)
                .line_to(PAGE_W - MARGIN, MARGIN + 6.0)
                .stroke();
            let label = format!("Trang {}/{}", i + 1, n);
            let w = self.width(Weight::Regular, 7.5, &label);
            let left = self.fit(Weight::Regular, 7.5, &footer, WIDTH - w - 12.0);
            self.text_at(MARGIN, y, Weight::Regular, 7.5, &left);
            self.text_at(PAGE_W - MARGIN - w, y, Weight::Regular, 7.5, &label);
            let page = std::mem::replace(&mut self.page, Content::new());
            self.out.push(page.finish().into_vec());
        }
    }

    /// The finished pages of every ended copy (call [`Doc::end_copy`] after each), the
    /// index of each copy's first page, and the two fonts with the glyphs they used.
    pub fn finish(self) -> (Vec<Vec<u8>>, Vec<usize>, Vec<Font>) {
        (self.out, self.starts, vec![self.regular, self.bold])
    }
}
