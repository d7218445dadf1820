//! A small PDF writer for statements: an A4 document with a title, lines under it,
//! label/value facts, one table that runs over as many pages as it needs, and small
//! print. Texts arrive translated; any of them may mix Tamil with Latin letters, digits
//! and ₹, and each run of a script gets a font that has it.
//!
//! Text is shaped here with rustybuzz rather than through krilla's `draw_text`: the
//! layout needs widths to wrap lines and align columns, and Tamil needs the care
//! described at `pieces` for its text to come back out of the PDF.

use std::collections::HashMap;
use std::ops::Range;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document, SerializeSettings};

/// What a statement says, in the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfDocument {
    /// The heading of the first page, also printed at the foot of every page.
    pub title: String,
    /// Lines under the title: owner, farm, period.
    pub subtitle: Vec<String>,
    /// Label and value pairs; values are already formatted ("₹ 12,345.67").
    pub facts: Vec<(String, String)>,
    pub table: Option<PdfTable>,
    /// Small print after everything else.
    pub footer: Vec<String>,
}

/// A table whose header row repeats on every page it runs onto. Rows may be shorter than
/// the header; the missing cells are blank. A column whose cells are all amounts or counts
/// is right-aligned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// Lays out and writes `doc` as an A4 PDF. Long texts wrap, a "\n" in one starts a new
/// line, and text runs left to right (no right-to-left scripts).
pub fn render(doc: &PdfDocument) -> Result<Vec<u8>, PdfError> {
    let shaper = Shaper::new()?;
    let mut layout = Layout::new(&shaper);
    if !doc.title.is_empty() {
        layout.block(&doc.title, TITLE);
        layout.y += 4.0;
    }
    for line in &doc.subtitle {
        layout.block(line, SUBTITLE);
    }
    if !doc.facts.is_empty() {
        layout.y += 14.0;
        layout.facts(&doc.facts);
    }
    if let Some(table) = &doc.table {
        layout.y += 14.0;
        layout.table(table);
    }
    if !doc.footer.is_empty() {
        layout.y += 16.0;
        for line in &doc.footer {
            layout.block(line, SMALL);
        }
    }
    let (texts, pages) = layout.finish(&doc.title);

    let mut document = Document::new_with(SerializeSettings {
        // No structure tree is built, so there is nothing to tag.
        enable_tagging: false,
        ..SerializeSettings::default()
    });
    // Screen readers choose their voice by the document's language, which the title is in.
    let language = if doc.title.chars().any(is_tamil) { "ta" } else { "en" };
    document.set_metadata(Metadata::new().title(doc.title.clone()).language(language.to_owned()));
    let mut fonts = Fonts::default();
    for items in &pages {
        let settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("bad page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for item in items {
            match item {
                Item::Rect { x, y, w, h, color } => fill_rect(&mut surface, *x, *y, *w, *h, *color),
                Item::Text { line, x, baseline, style } => {
                    draw_line(&mut surface, &mut fonts, &texts[line.text], line, Point::from_xy(*x, *baseline), *style)?
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Write(e.to_string()))
}

// A4 in points, and the page's furniture.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 48.0;
const MARGIN_TOP: f32 = 52.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const CONTENT_BOTTOM: f32 = PAGE_H - 64.0;
const PAGE_FOOT_BASELINE: f32 = PAGE_H - 36.0;
// Line height and the baseline's depth in the line, in ems. Noto's ascender (1.069) and
// descender (0.293) fit in 1.4 with Tamil's vowel signs above and below.
const LINE: f32 = 1.4;
const BASELINE: f32 = 1.09;
const CELL_PAD_X: f32 = 5.0;
const CELL_PAD_Y: f32 = 4.0;
const FACT_GAP: f32 = 16.0;

type Rgb = (u8, u8, u8);
const INK: Rgb = (26, 26, 26);
const MUTED: Rgb = (90, 90, 90);
const RULE: Rgb = (208, 208, 208);
const HEADER_FILL: Rgb = (238, 241, 238);

#[derive(Debug, Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    color: Rgb,
}

const TITLE: Style = Style { size: 17.0, bold: true, color: INK };
const SUBTITLE: Style = Style { size: 10.5, bold: false, color: MUTED };
const LABEL: Style = Style { size: 10.0, bold: false, color: MUTED };
const VALUE: Style = Style { size: 10.0, bold: true, color: INK };
const HEADER: Style = Style { size: 9.0, bold: true, color: INK };
const CELL: Style = Style { size: 9.0, bold: false, color: INK };
const SMALL: Style = Style { size: 8.0, bold: false, color: MUTED };

fn line_height(size: f32) -> f32 {
    size * LINE
}

// The fonts, subset to what statements use (server/fonts/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Face {
    Latin,
    LatinBold,
    Tamil,
    TamilBold,
}

impl Face {
    const ALL: [Face; 4] = [Face::Latin, Face::LatinBold, Face::Tamil, Face::TamilBold];

    fn data(self) -> &'static [u8] {
        match self {
            Face::Latin => include_bytes!("../../fonts/NotoSans-Regular.ttf"),
            Face::LatinBold => include_bytes!("../../fonts/NotoSans-Bold.ttf"),
            Face::Tamil => include_bytes!("../../fonts/NotoSansTamil-Regular.ttf"),
            Face::TamilBold => include_bytes!("../../fonts/NotoSansTamil-Bold.ttf"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Face::Latin => "NotoSans-Regular",
            Face::LatinBold => "NotoSans-Bold",
            Face::Tamil => "NotoSansTamil-Regular",
            Face::TamilBold => "NotoSansTamil-Bold",
        }
    }

    fn latin(bold: bool) -> Face {
        if bold { Face::LatinBold } else { Face::Latin }
    }

    fn tamil(bold: bool) -> Face {
        if bold { Face::TamilBold } else { Face::Tamil }
    }
}

fn is_tamil(c: char) -> bool {
    ('\u{0B80}'..='\u{0BFF}').contains(&c)
}

/// Characters that take the font of the text around them: spaces between Tamil words stay
/// in the Tamil run, and joiners and combining marks stay with what they join or mark.
fn takes_neighbours_font(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{0300}'..='\u{036F}' | '\u{FE00}'..='\u{FE0F}')
}

/// The text as it is shaped and as the PDF gives it back. Tamil's two-part vowel signs
/// (ொ ோ ௌ) are drawn as two glyphs on either side of their consonant, and each glyph
/// must read back as at least one character (see [`pieces`]), so they are written as
/// their canonical decompositions (ொ is ெ + ா): the same text under Unicode
/// normalisation, which readers' search applies.
fn logical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{0BCA}' => out.push_str("\u{0BC6}\u{0BBE}"),
            '\u{0BCB}' => out.push_str("\u{0BC7}\u{0BBE}"),
            '\u{0BCC}' => out.push_str("\u{0BC6}\u{0BD7}"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One paragraph shaped: glyphs in drawing order (left to right), each knowing the slice
/// of `text` it reads back as. The slices follow one another and cover `text`.
struct Shaped {
    text: String,
    glyphs: Vec<Glyph>,
}

#[derive(Debug, Clone)]
struct Glyph {
    face: Face,
    id: u32,
    // In ems.
    advance: f32,
    x_offset: f32,
    y_offset: f32,
    text: Range<usize>,
    /// A line may start here: the glyph begins a syllable, not the middle of one.
    breakable: bool,
    space: bool,
}

fn advance(glyphs: &[Glyph]) -> f32 {
    glyphs.iter().map(|g| g.advance).sum()
}

struct Shaper {
    faces: Vec<rustybuzz::Face<'static>>,
}

impl Shaper {
    fn new() -> Result<Shaper, PdfError> {
        let faces = Face::ALL
            .iter()
            .map(|&f| rustybuzz::Face::from_slice(f.data(), 0).ok_or(PdfError::Font(f.name())))
            .collect::<Result<_, _>>()?;
        Ok(Shaper { faces })
    }

    fn face(&self, face: Face) -> &rustybuzz::Face<'static> {
        &self.faces[face as usize]
    }

    /// Tamil goes to the Tamil font and everything else to the Latin one (which has ₹),
    /// unless only the other font has the character.
    fn face_for(&self, c: char, bold: bool) -> Face {
        let (preferred, other) =
            if is_tamil(c) { (Face::tamil(bold), Face::latin(bold)) } else { (Face::latin(bold), Face::tamil(bold)) };
        let has = |f: Face| self.face(f).glyph_index(c).is_some();
        if !has(preferred) && has(other) { other } else { preferred }
    }

    fn shape(&self, s: &str, bold: bool) -> Shaped {
        let text = logical_text(s);
        let mut glyphs = Vec::new();
        for (face, range) in self.runs(&text, bold) {
            self.shape_run(&text, range, face, &mut glyphs);
        }
        Shaped { text, glyphs }
    }

    /// `text` cut where the font changes. Letters choose the font; digits, punctuation
    /// and signs go with the letters they are written against ("(" with the word after it,
    /// ":" with the word before it) when that font has them, so that a line changes font
    /// only where its script does.
    fn runs(&self, text: &str, bold: bool) -> Vec<(Face, Range<usize>)> {
        let letter = |c: char| is_tamil(c) || c.is_alphabetic();
        let has = |face: Face, c: char| self.face(face).glyph_index(c).is_some();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        // The font of the letter that the signs at each position lead straight into.
        let mut leads_into = vec![None; chars.len()];
        let mut next = None;
        for (k, &(_, c)) in chars.iter().enumerate().rev() {
            if letter(c) {
                next = Some(self.face_for(c, bold));
            } else if c.is_whitespace() {
                next = None;
            }
            leads_into[k] = next;
        }
        let first = chars
            .iter()
            .map(|&(_, c)| c)
            .find(|&c| letter(c))
            .or_else(|| chars.iter().map(|&(_, c)| c).find(|&c| !takes_neighbours_font(c)));
        let mut current = first.map_or(Face::latin(bold), |c| self.face_for(c, bold));
        let mut runs: Vec<(Face, Range<usize>)> = Vec::new();
        for (k, &(i, c)) in chars.iter().enumerate() {
            if letter(c) {
                current = self.face_for(c, bold);
            } else if !takes_neighbours_font(c) {
                match leads_into[k] {
                    Some(face) if has(face, c) => current = face,
                    _ if !has(current, c) => current = self.face_for(c, bold),
                    _ => {}
                }
            }
            let end = i + c.len_utf8();
            match runs.last_mut() {
                Some((face, range)) if *face == current => range.end = end,
                _ => runs.push((current, i..end)),
            }
        }
        runs
    }

    fn shape_run(&self, text: &str, range: Range<usize>, face: Face, out: &mut Vec<Glyph>) {
        let font = self.face(face);
        let run = &text[range.clone()];
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(run);
        // Keeps each glyph's cluster at its own character even when the shaper moves it
        // in front of its consonant; the default level would merge the syllable.
        buffer.set_cluster_level(rustybuzz::BufferClusterLevel::Characters);
        buffer.guess_segment_properties();
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let shaped = rustybuzz::shape(font, &[], buffer);
        let upem = font.units_per_em() as f32;
        let starts: Vec<usize> = shaped.glyph_infos().iter().map(|g| g.cluster as usize).collect();
        let pieces = pieces(&starts, run);
        for ((info, pos), (piece, breakable)) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()).zip(pieces) {
            let read = &run[piece.clone()];
            let glyph = Glyph {
                face,
                id: info.glyph_id,
                advance: pos.x_advance as f32 / upem,
                x_offset: pos.x_offset as f32 / upem,
                y_offset: pos.y_offset as f32 / upem,
                text: range.start + piece.start..range.start + piece.end,
                breakable,
                space: !read.is_empty() && read.chars().all(char::is_whitespace),
            };
            // pdf.js takes a glyph whose text has a non-spacing mark in it for a zero-width
            // mark and does not advance past it. A consonant with ் is one wide glyph, so
            // pdf.js fell behind by its width and, at the next change of font, read a space
            // into the word. The glyph reads as the text before the mark, and an invisible
            // zero-width glyph drawn after it reads as the rest.
            let mark = read.char_indices().find(|&(i, c)| i > 0 && is_nonspacing_mark(c)).map(|(i, _)| i);
            let carrier = mark.and_then(|at| self.carrier(face, &read[at..]));
            match (mark, carrier) {
                (Some(at), Some(carrier)) if glyph.advance > 0.0 => {
                    let split = glyph.text.start + at;
                    let rest = split..glyph.text.end;
                    out.push(Glyph { text: glyph.text.start..split, ..glyph });
                    out.push(Glyph {
                        face,
                        id: carrier,
                        advance: 0.0,
                        x_offset: 0.0,
                        y_offset: 0.0,
                        text: rest,
                        breakable: false,
                        space: false,
                    });
                }
                _ => out.push(glyph),
            }
        }
    }

    /// An empty, zero-width glyph of `face` to read as `marks`: one for ் and another for
    /// the rest, so that the commonest case needs no copy of the font.
    fn carrier(&self, face: Face, marks: &str) -> Option<u32> {
        let empty = if marks.contains('\u{0BCD}') { '\u{200B}' } else { '\u{0000}' };
        self.face(face).glyph_index(empty).map(|g| u32::from(g.0))
    }
}

/// Characters that pdf.js counts as non-spacing marks (`\p{Mn}`), among those statements
/// write: Tamil's ஂ, ீ and ், and the Latin combining accents.
fn is_nonspacing_mark(c: char) -> bool {
    matches!(c, '\u{0B82}' | '\u{0BC0}' | '\u{0BCD}' | '\u{0300}'..='\u{036F}')
}

/// Which slice of `text` each glyph reads back as, for glyphs in drawing order that came
/// from the characters at byte offsets `starts`; and whether each begins a syllable.
///
/// A ToUnicode map gives each glyph its characters, and most readers (pdf.js, text
/// extractors) read glyphs in the order they are drawn and ignore /ActualText. Tamil draws
/// the vowel signs ெ ே ை before the consonant they follow, so "கை" is drawn ை, க; mapped
/// glyph by glyph it would read back "ைக". Instead the glyphs of such a syllable take the
/// syllable's characters in order: ை reads "க" and க reads "ை". Glyphs drawn in logical
/// order keep their own characters. The same glyph can therefore mean different things in
/// one document, which a font's map cannot say; [`Fonts`] gives each meaning its own copy
/// of the font.
fn pieces(starts: &[usize], text: &str) -> Vec<(Range<usize>, bool)> {
    let mut bounds: Vec<usize> = starts.to_vec();
    bounds.push(text.len());
    bounds.sort_unstable();
    bounds.dedup();
    let own = |start: usize| {
        let end = bounds.iter().copied().find(|&b| b > start).unwrap_or(text.len());
        start..end
    };
    let mut min_after = vec![usize::MAX; starts.len() + 1];
    for i in (0..starts.len()).rev() {
        min_after[i] = min_after[i + 1].min(starts[i]);
    }
    let mut out = Vec::with_capacity(starts.len());
    let mut group_start = 0;
    let mut group_end = 0;
    for i in 0..starts.len() {
        group_end = group_end.max(own(starts[i]).end);
        // A syllable ends where nothing drawn after it comes from text before its end.
        if group_end <= min_after[i + 1] {
            let group: Vec<Range<usize>> = starts[group_start..=i].iter().map(|&s| own(s)).collect();
            let from = group.iter().map(|r| r.start).min().unwrap_or(group_end);
            for (k, piece) in syllable_pieces(&group, from..group_end, text).into_iter().enumerate() {
                out.push((piece, k == 0));
            }
            group_start = i + 1;
            group_end = 0;
        }
    }
    out
}

/// The pieces for one syllable whose glyphs' own characters are `own`, covering `span`.
fn syllable_pieces(own: &[Range<usize>], span: Range<usize>, text: &str) -> Vec<Range<usize>> {
    let in_order = own.first().is_some_and(|r| r.start == span.start)
        && own.windows(2).all(|w| w[0].end == w[1].start)
        && own.last().is_some_and(|r| r.end == span.end);
    if in_order {
        return own.to_vec();
    }
    let mut pieces = own.to_vec();
    // Glyphs at either end that are where they belong keep their own characters; the
    // ones between share out the rest, a character each, the last taking what remains.
    let (mut lo, mut hi) = (0, own.len());
    let (mut from, mut to) = (span.start, span.end);
    while lo < hi && own[lo].start == from {
        from = own[lo].end;
        lo += 1;
    }
    while hi > lo && own[hi - 1].end == to && own[hi - 1].start >= from {
        to = own[hi - 1].start;
        hi -= 1;
    }
    let cuts: Vec<usize> = text[from..to].char_indices().map(|(i, _)| from + i).collect();
    for (k, piece) in pieces[lo..hi].iter_mut().enumerate() {
        let start = cuts.get(k).copied().unwrap_or(to);
        let end = if lo + k + 1 == hi { to } else { cuts.get(k + 1).copied().unwrap_or(to) };
        *piece = start..end;
    }
    pieces
}

/// A line of a shaped paragraph; `width` in points.
#[derive(Debug, Clone)]
struct Line {
    text: usize,
    glyphs: Range<usize>,
    width: f32,
}

#[derive(Debug)]
enum Item {
    Text { line: Line, x: f32, baseline: f32, style: Style },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
}

/// One cell of a row of text: its lines, and where they go across the page.
#[derive(Debug, Clone)]
struct Cell {
    lines: Vec<Line>,
    style: Style,
    x: f32,
    w: f32,
    align: Align,
}

impl Cell {
    fn height(cells: &[Cell], pad_y: f32) -> f32 {
        let line = cells.iter().map(|c| line_height(c.style.size)).fold(0f32, f32::max);
        let lines = cells.iter().map(|c| c.lines.len()).max().unwrap_or(0).max(1);
        lines as f32 * line + 2.0 * pad_y
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// Places everything on pages, top to bottom, before anything is written, so every page
/// can say how many there are.
struct Layout<'s> {
    shaper: &'s Shaper,
    texts: Vec<Shaped>,
    done: Vec<Vec<Item>>,
    page: Vec<Item>,
    y: f32,
}

impl<'s> Layout<'s> {
    fn new(shaper: &'s Shaper) -> Layout<'s> {
        Layout { shaper, texts: Vec::new(), done: Vec::new(), page: Vec::new(), y: MARGIN_TOP }
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.page));
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `height` fits on this one. A page that is still empty
    /// takes whatever comes, however tall.
    fn room(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    /// Shapes `s`, one paragraph per line of it; returns the paragraphs.
    fn shape(&mut self, s: &str, bold: bool) -> Vec<usize> {
        s.split('\n')
            .map(|paragraph| {
                self.texts.push(self.shaper.shape(paragraph, bold));
                self.texts.len() - 1
            })
            .collect()
    }

    fn wrap(&self, paragraphs: &[usize], size: f32, width: f32) -> Vec<Line> {
        let mut lines = Vec::new();
        for &text in paragraphs {
            let glyphs = &self.texts[text].glyphs;
            if glyphs.is_empty() {
                lines.push(Line { text, glyphs: 0..0, width: 0.0 });
            }
            let mut start = 0;
            while start < glyphs.len() {
                let (end, next) = line_end(glyphs, start, width / size);
                lines.push(Line { text, glyphs: start..end, width: advance(&glyphs[start..end]) * size });
                start = next;
            }
        }
        lines
    }

    /// The widest paragraph on one line, and the widest word.
    fn measure(&self, paragraphs: &[usize], size: f32) -> (f32, f32) {
        let (mut whole, mut word) = (0f32, 0f32);
        for &text in paragraphs {
            let glyphs = &self.texts[text].glyphs;
            whole = whole.max(advance(&glyphs[..trim_end(glyphs, 0, glyphs.len())]));
            for w in glyphs.split(|g| g.space) {
                word = word.max(advance(w));
            }
        }
        (whole * size, word * size)
    }

    fn place(&mut self, lines: &[Line], style: Style, x: f32, width: f32, top: f32, align: Align) {
        for (i, line) in lines.iter().enumerate() {
            let x = match align {
                Align::Left => x,
                Align::Right => x + width - line.width,
            };
            let baseline = top + i as f32 * line_height(style.size) + style.size * BASELINE;
            self.page.push(Item::Text { line: line.clone(), x, baseline, style });
        }
    }

    /// Text across the page, which may break onto the next page between lines.
    fn block(&mut self, s: &str, style: Style) {
        let paragraphs = self.shape(s, style.bold);
        for line in self.wrap(&paragraphs, style.size, CONTENT_W) {
            self.room(line_height(style.size));
            self.place(&[line], style, MARGIN_X, CONTENT_W, self.y, Align::Left);
            self.y += line_height(style.size);
        }
    }

    fn facts(&mut self, facts: &[(String, String)]) {
        let labels: Vec<Vec<usize>> = facts.iter().map(|(l, _)| self.shape(l, LABEL.bold)).collect();
        let values: Vec<Vec<usize>> = facts.iter().map(|(_, v)| self.shape(v, VALUE.bold)).collect();
        let label_w = labels.iter().map(|l| self.measure(l, LABEL.size).0).fold(0f32, f32::max).min(CONTENT_W * 0.4);
        let value_x = MARGIN_X + label_w + FACT_GAP;
        let value_w = CONTENT_W - label_w - FACT_GAP;
        for (label, value) in labels.iter().zip(&values) {
            let cells = [
                Cell {
                    lines: self.wrap(label, LABEL.size, label_w),
                    style: LABEL,
                    x: MARGIN_X,
                    w: label_w,
                    align: Align::Left,
                },
                Cell {
                    lines: self.wrap(value, VALUE.size, value_w),
                    style: VALUE,
                    x: value_x,
                    w: value_w,
                    align: Align::Left,
                },
            ];
            self.row(&cells, 0.0, 0.0, |_| {});
            self.y += 3.0;
        }
    }

    fn table(&mut self, table: &PdfTable) {
        let columns = table.rows.iter().map(Vec::len).fold(table.headers.len(), usize::max);
        if columns == 0 {
            return;
        }
        fn cell(row: &[String], c: usize) -> &str {
            row.get(c).map_or("", String::as_str)
        }
        let headers: Vec<Vec<usize>> = (0..columns).map(|c| self.shape(cell(&table.headers, c), HEADER.bold)).collect();
        let rows: Vec<Vec<Vec<usize>>> =
            table.rows.iter().map(|row| (0..columns).map(|c| self.shape(cell(row, c), CELL.bold)).collect()).collect();

        let pad = 2.0 * CELL_PAD_X;
        let mut natural = vec![0f32; columns];
        let mut least = vec![0f32; columns];
        let all = std::iter::once((&headers, HEADER)).chain(rows.iter().map(|r| (r, CELL)));
        for (row, style) in all {
            for (c, paragraphs) in row.iter().enumerate() {
                let (whole, word) = self.measure(paragraphs, style.size);
                natural[c] = natural[c].max(whole + pad);
                least[c] = least[c].max(word + pad);
            }
        }
        let widths = fit_columns(&natural, &least, CONTENT_W);
        let lefts: Vec<f32> = widths
            .iter()
            .scan(MARGIN_X, |x, w| {
                let left = *x;
                *x += w;
                Some(left)
            })
            .collect();
        let aligns: Vec<Align> = (0..columns)
            .map(|c| {
                let mut cells = table.rows.iter().map(|r| cell(r, c)).filter(|s| !s.trim().is_empty());
                let first = cells.next();
                if first.is_some_and(numeric) && cells.all(numeric) { Align::Right } else { Align::Left }
            })
            .collect();
        let cells = |layout: &Layout, row: &[Vec<usize>], style: Style| -> Vec<Cell> {
            row.iter()
                .enumerate()
                .map(|(c, paragraphs)| Cell {
                    lines: layout.wrap(paragraphs, style.size, widths[c] - pad),
                    style,
                    x: lefts[c] + CELL_PAD_X,
                    w: widths[c] - pad,
                    align: aligns[c],
                })
                .collect()
        };

        let header = cells(self, &headers, HEADER);
        let header_h = Cell::height(&header, CELL_PAD_Y);
        let draw_header = |layout: &mut Layout| {
            layout.page.push(Item::Rect { x: MARGIN_X, y: layout.y, w: CONTENT_W, h: header_h, color: HEADER_FILL });
            layout.chunk(&header, 0..usize::MAX, CELL_PAD_Y);
            layout.page.push(Item::Rect { x: MARGIN_X, y: layout.y - 0.8, w: CONTENT_W, h: 0.8, color: MUTED });
        };
        let first = rows.first().map(|row| cells(self, row, CELL));
        // The header goes with the first row, or as much of it as a page holds.
        let first_h = first.as_ref().map_or(0.0, |c| Cell::height(c, CELL_PAD_Y));
        self.room(header_h + first_h.min(CONTENT_BOTTOM - MARGIN_TOP - header_h));
        draw_header(self);
        for (i, row) in rows.iter().enumerate() {
            let row = match (i, &first) {
                (0, Some(first)) => first.clone(),
                _ => cells(self, row, CELL),
            };
            self.row(&row, CELL_PAD_Y, header_h, draw_header);
            self.page.push(Item::Rect { x: MARGIN_X, y: self.y - 0.5, w: CONTENT_W, h: 0.5, color: RULE });
        }
    }

    /// Places `cells` side by side from the current height. A row that does not fit goes
    /// to the next page whole if a page can hold it, else breaks between lines; `continued`
    /// starts each new page it goes onto (a table's header, `lead` points tall).
    fn row(&mut self, cells: &[Cell], pad_y: f32, lead: f32, continued: impl Fn(&mut Self)) {
        let line = cells.iter().map(|c| line_height(c.style.size)).fold(0f32, f32::max);
        let lines = cells.iter().map(|c| c.lines.len()).max().unwrap_or(0).max(1);
        let fit = |top: f32| ((CONTENT_BOTTOM - top - 2.0 * pad_y) / line).floor().max(0.0) as usize;
        let fresh = MARGIN_TOP + lead + 0.01;
        let mut from = 0;
        while from < lines {
            let left = lines - from;
            let here = fit(self.y);
            if left > here && self.y > fresh && (left <= fit(fresh) || here == 0) {
                self.new_page();
                continued(self);
                continue;
            }
            let to = from + left.min(here.max(1));
            self.chunk(cells, from..to, pad_y);
            from = to;
            if from < lines {
                self.new_page();
                continued(self);
            }
        }
    }

    /// Lines `range` of each of `cells`, from the current height down.
    fn chunk(&mut self, cells: &[Cell], range: Range<usize>, pad_y: f32) {
        for cell in cells {
            let lines = &cell.lines[range.start.min(cell.lines.len())..range.end.min(cell.lines.len())];
            self.place(lines, cell.style, cell.x, cell.w, self.y + pad_y, cell.align);
        }
        let most =
            cells.iter().map(|c| c.lines.len().min(range.end).saturating_sub(range.start)).max().unwrap_or(0).max(1);
        let line = cells.iter().map(|c| line_height(c.style.size)).fold(0f32, f32::max);
        self.y += most as f32 * line + 2.0 * pad_y;
    }

    /// Closes the last page and puts the title and "page / pages" at the foot of each.
    fn finish(mut self, title: &str) -> (Vec<Shaped>, Vec<Vec<Item>>) {
        self.new_page();
        let total = self.done.len();
        let title = self.shape(title, SMALL.bold);
        let running = self.wrap(&title, SMALL.size, CONTENT_W * 0.7).into_iter().next();
        let mut pages = std::mem::take(&mut self.done);
        for (i, page) in pages.iter_mut().enumerate() {
            let top = PAGE_FOOT_BASELINE - SMALL.size * BASELINE;
            if let Some(line) = &running {
                self.place(std::slice::from_ref(line), SMALL, MARGIN_X, CONTENT_W, top, Align::Left);
            }
            let number = self.shape(&format!("{} / {}", i + 1, total), SMALL.bold);
            let number = self.wrap(&number, SMALL.size, CONTENT_W);
            self.place(&number, SMALL, MARGIN_X, CONTENT_W, top, Align::Right);
            page.append(&mut self.page);
        }
        (self.texts, pages)
    }
}

/// Where the line that starts at glyph `start` ends (trailing spaces left out) and where
/// the next one starts. Lines break at spaces; a word longer than the line breaks
/// between syllables.
fn line_end(glyphs: &[Glyph], start: usize, max: f32) -> (usize, usize) {
    let mut width = 0.0;
    let mut space = None;
    for (i, g) in glyphs.iter().enumerate().skip(start) {
        if g.space {
            space = Some(i);
        } else if width + g.advance > max && i > start {
            if let Some(s) = space.filter(|&s| s > start) {
                return (trim_end(glyphs, start, s), skip_spaces(glyphs, s));
            }
            let cut = (start + 1..=i)
                .rev()
                .find(|&b| glyphs[b].breakable)
                .or_else(|| (i + 1..glyphs.len()).find(|&b| glyphs[b].breakable))
                .unwrap_or(glyphs.len());
            return (cut, cut);
        }
        width += g.advance;
    }
    (trim_end(glyphs, start, glyphs.len()), glyphs.len())
}

fn trim_end(glyphs: &[Glyph], start: usize, mut end: usize) -> usize {
    while end > start && glyphs[end - 1].space {
        end -= 1;
    }
    end
}

fn skip_spaces(glyphs: &[Glyph], mut i: usize) -> usize {
    while i < glyphs.len() && glyphs[i].space {
        i += 1;
    }
    i
}

/// Column widths filling `total`: each column's one-line width if they all fit, with the
/// room left shared out in proportion; otherwise each keeps its longest word and the room
/// left goes to the columns that have the most to wrap.
fn fit_columns(natural: &[f32], least: &[f32], total: f32) -> Vec<f32> {
    let sum_natural: f32 = natural.iter().sum();
    if sum_natural <= total {
        return natural.iter().map(|w| w * total / sum_natural).collect();
    }
    let sum_least: f32 = least.iter().sum();
    if sum_least >= total {
        return least.iter().map(|w| w * total / sum_least).collect();
    }
    let slack = sum_natural - sum_least;
    let spare = total - sum_least;
    natural.iter().zip(least).map(|(n, l)| l + (n - l) * spare / slack).collect()
}

/// Amounts and counts: digits with currency signs, separators and a sign. Dates and
/// times ("03/11/2026", "2026-11-03", "10:30") are not, and stay left-aligned.
fn numeric(s: &str) -> bool {
    let s = s.trim().trim_start_matches(['-', '−', '+']);
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "₹$€£.,%()".contains(c))
}

/// krilla fonts for the glyphs drawn so far, with what each glyph of each font reads back
/// as. A glyph that must read back as something else than it already does in a font (see
/// [`pieces`]) goes to a copy of that font, which the PDF embeds as a separate subset.
#[derive(Default)]
struct Fonts {
    faces: HashMap<Face, Vec<FontCopy>>,
}

struct FontCopy {
    font: Font,
    reads: HashMap<u32, String>,
}

// A document with more meanings for one glyph than this lets krilla fall back to
// /ActualText, which fewer readers understand.
const MAX_COPIES: usize = 64;

impl Fonts {
    /// The copy of `face` in which every one of `glyphs` reads as given, recording those
    /// readings; `None` if two of them need the same glyph to read differently.
    fn copy_for(&mut self, face: Face, glyphs: &[(u32, &str)]) -> Result<Option<usize>, PdfError> {
        let copies = self.faces.entry(face).or_default();
        if copies.is_empty() {
            copies.push(FontCopy::new(face, 0)?);
        }
        // .notdef stands for whatever was missing, and a glyph reading as nothing has no
        // map entry: neither decides the copy.
        let mut wanted: HashMap<u32, &str> = HashMap::new();
        for &(glyph, reads) in glyphs.iter().filter(|(g, r)| *g != 0 && !r.is_empty()) {
            if wanted.insert(glyph, reads).is_some_and(|other| other != reads) {
                return Ok(None);
            }
        }
        let fits =
            |copy: &FontCopy| wanted.iter().all(|(glyph, reads)| copy.reads.get(glyph).is_none_or(|r| r == reads));
        let index = match copies.iter().position(fits) {
            Some(i) => i,
            None if copies.len() < MAX_COPIES => {
                copies.push(FontCopy::new(face, copies.len())?);
                copies.len() - 1
            }
            None => 0,
        };
        for (glyph, reads) in wanted {
            copies[index].reads.entry(glyph).or_insert_with(|| reads.to_owned());
        }
        Ok(Some(index))
    }

    fn font(&self, face: Face, copy: usize) -> Option<Font> {
        Some(self.faces.get(&face)?.get(copy)?.font.clone())
    }
}

impl FontCopy {
    fn new(face: Face, n: usize) -> Result<FontCopy, PdfError> {
        let data: Data = if n == 0 {
            face.data().into()
        } else {
            // krilla tells fonts apart by what it reads from them, the data's length among
            // it; bytes past the last table change nothing else.
            let mut bytes = face.data().to_vec();
            bytes.resize(bytes.len() + 4 * n, 0);
            bytes.into()
        };
        let font = Font::new(data, 0).ok_or(PdfError::Font(face.name()))?;
        Ok(FontCopy { font, reads: HashMap::new() })
    }
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn fill_rect(surface: &mut Surface, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
    let Some(rect) = Rect::from_xywh(x, y, w, h) else { return };
    let mut path = PathBuilder::new();
    path.push_rect(rect);
    if let Some(path) = path.finish() {
        surface.set_fill(Some(fill(color)));
        surface.draw_path(&path);
    }
}

/// Draws a line from `origin` (on its baseline), one krilla call per run of glyphs that
/// share a font. A word keeps to one copy of its font where it can, so that copies change
/// between words, and seldom.
fn draw_line(
    surface: &mut Surface,
    fonts: &mut Fonts,
    shaped: &Shaped,
    line: &Line,
    origin: Point,
    style: Style,
) -> Result<(), PdfError> {
    let glyphs = &shaped.glyphs[line.glyphs.clone()];
    let reads = |g: &Glyph| (g.id, &shaped.text[g.text.clone()]);
    let mut copies: Vec<usize> = Vec::with_capacity(glyphs.len());
    let mut start = 0;
    while start < glyphs.len() {
        // A word, with the spaces after it, in one font.
        let face = glyphs[start].face;
        let mut end = start + 1;
        // A word ends where a space is followed by anything else.
        while end < glyphs.len() && glyphs[end].face == face && (glyphs[end].space || !glyphs[end - 1].space) {
            end += 1;
        }
        let word: Vec<(u32, &str)> = glyphs[start..end].iter().map(reads).collect();
        match fonts.copy_for(face, &word)? {
            Some(copy) => copies.extend(std::iter::repeat_n(copy, word.len())),
            None => {
                for g in &word {
                    copies.push(fonts.copy_for(face, std::slice::from_ref(g))?.unwrap_or(0));
                }
            }
        }
        start = end;
    }

    surface.set_fill(Some(fill(style.color)));
    let mut pen = origin.x;
    let mut start = 0;
    while start < glyphs.len() {
        let key = (glyphs[start].face, copies[start]);
        let end = (start..glyphs.len()).find(|&i| (glyphs[i].face, copies[i]) != key).unwrap_or(glyphs.len());
        let run: Vec<KrillaGlyph> = glyphs[start..end]
            .iter()
            .map(|g| KrillaGlyph::new(GlyphId::new(g.id), g.advance, g.x_offset, g.y_offset, 0.0, g.text.clone(), None))
            .collect();
        let font = fonts.font(key.0, key.1).ok_or(PdfError::Font(key.0.name()))?;
        surface.draw_glyphs(Point::from_xy(pen, origin.y), &run, font, &shaped.text, style.size, false);
        pen += advance(&glyphs[start..end]) * style.size;
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each page's text as a reader that trusts only the ToUnicode maps sees it: the
    /// strings in the order they are drawn, a new line where the baseline moves.
    fn pages_text(pdf: &[u8]) -> Vec<String> {
        let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        doc.get_pages()
            .values()
            .map(|&page| {
                let encodings: HashMap<Vec<u8>, lopdf::Encoding> = doc
                    .get_page_fonts(page)
                    .expect("the page's fonts")
                    .into_iter()
                    .map(|(name, font)| (name, font.get_font_encoding(&doc).expect("an encoding")))
                    .collect();
                let content = lopdf::content::Content::decode(&doc.get_page_content(page)).expect("the page's content");
                let mut text = String::new();
                let mut encoding = None;
                let mut baseline: Option<f32> = None;
                for op in &content.operations {
                    match op.operator.as_str() {
                        "Tf" => encoding = encodings.get(op.operands[0].as_name().expect("a font name")),
                        "Tm" => {
                            let y = op.operands[5].as_float().expect("a number");
                            if baseline.is_some_and(|b| (b - y).abs() > 0.5) {
                                text.push('\n');
                            }
                            baseline = Some(y);
                        }
                        "Tj" | "TJ" => {
                            let encoding = encoding.expect("a font is set");
                            let strings = op.operands.iter().flat_map(|o| match o {
                                lopdf::Object::Array(items) => items.clone(),
                                other => vec![other.clone()],
                            });
                            for s in strings {
                                if let lopdf::Object::String(bytes, _) = s {
                                    text.push_str(&encoding.bytes_to_string(&bytes).expect("decodes"));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                text
            })
            .collect()
    }

    /// Undoes [`logical_text`]'s decomposition of the two-part vowel signs, as NFC would.
    fn composed(s: &str) -> String {
        s.replace("\u{0BC6}\u{0BBE}", "\u{0BCA}")
            .replace("\u{0BC7}\u{0BBE}", "\u{0BCB}")
            .replace("\u{0BC6}\u{0BD7}", "\u{0BCC}")
    }

    fn all_strings(doc: &PdfDocument) -> Vec<&str> {
        let mut all = vec![doc.title.as_str()];
        all.extend(doc.subtitle.iter().map(String::as_str));
        all.extend(doc.facts.iter().flat_map(|(l, v)| [l.as_str(), v.as_str()]));
        if let Some(table) = &doc.table {
            all.extend(table.headers.iter().map(String::as_str));
            all.extend(table.rows.iter().flatten().map(String::as_str));
        }
        all.extend(doc.footer.iter().map(String::as_str));
        all
    }

    /// Writes the PDF where a person or the browser tests' helper can open it, when
    /// MANDI_WRITE_TEST_PDFS is set.
    fn keep(name: &str, pdf: &[u8]) {
        if std::env::var_os("MANDI_WRITE_TEST_PDFS").is_some() {
            let path = std::env::temp_dir().join(name);
            std::fs::write(&path, pdf).expect("the PDF is written");
            eprintln!("wrote {}", path.display());
        }
    }

    fn english() -> PdfDocument {
        PdfDocument {
            title: "Revenue statement".into(),
            subtitle: vec![
                "Owner: Murugan".into(),
                "Farm: Green Acres, Madurai".into(),
                "1 to 30 November 2026".into(),
            ],
            facts: vec![
                ("Total sales".into(), "₹ 12,345.67".into()),
                ("Market fees".into(), "₹ 617.28".into()),
                ("Net revenue".into(), "₹ 11,728.39".into()),
            ],
            table: Some(PdfTable {
                headers: vec!["Date".into(), "Produce".into(), "Quantity".into(), "Amount".into()],
                rows: vec![
                    vec!["03/11/2026".into(), "Tomatoes".into(), "120 kg".into(), "₹ 4,200.00".into()],
                    vec!["12/11/2026".into(), "Onions".into(), "80 kg".into(), "₹ 2,800.00".into()],
                    vec!["21/11/2026".into(), "Brinjal".into(), "95 kg".into(), "₹ 5,345.67".into()],
                ],
            }),
            footer: vec!["Amounts include all market days of the period.".into()],
        }
    }

    // Chosen so that the vowel signs drawn before their consonant (ெ ே ை, and ொ ோ with
    // their second half after it) come after several different consonants, which is what
    // breaks a glyph-by-glyph ToUnicode map.
    fn tamil() -> PdfDocument {
        PdfDocument {
            title: "வருவாய் அறிக்கை".into(),
            subtitle: vec![
                "உரிமையாளர்: முருகன் (Murugan)".into(),
                "பண்ணை: பசுமை வயல், மதுரை".into(),
                "1 முதல் 30 நவம்பர் 2026 வரை".into(),
            ],
            facts: vec![
                ("மொத்த விற்பனை".into(), "₹ 12,345.67".into()),
                ("சந்தைக் கட்டணம்".into(), "₹ 617.28".into()),
                ("நிகர வருவாய்".into(), "₹ 11,728.39".into()),
            ],
            table: Some(PdfTable {
                headers: vec!["தேதி".into(), "பொருள்".into(), "அளவு".into(), "தொகை".into()],
                rows: vec![
                    vec!["03/11/2026".into(), "தக்காளி".into(), "120 கிலோ".into(), "₹ 4,200.00".into()],
                    vec!["12/11/2026".into(), "வெங்காயம்".into(), "80 கிலோ".into(), "₹ 2,800.00".into()],
                    vec!["21/11/2026".into(), "கத்தரிக்காய்".into(), "95 கிலோ".into(), "₹ 5,345.67".into()],
                    vec!["28/11/2026".into(), "கொத்தமல்லி, சோளம், வெள்ளை பூண்டு".into(), "12 கட்டு".into(), "₹ 0.00".into()],
                ],
            }),
            footer: vec![
                "தொகைகள் இந்தக் காலத்தின் எல்லாச் சந்தை நாட்களையும் சேர்த்தவை.".into(),
                // கை and ளை in one word: the word needs two copies of the font.
                "விலைகள் சந்தைக் கொள்கைகளைப் பொறுத்தவை.".into(),
            ],
        }
    }

    #[test]
    fn english_statement_reads_back() {
        let doc = english();
        let pdf = render(&doc).expect("renders");
        keep("mandi-statement-en.pdf", &pdf);
        let pages = pages_text(&pdf);
        assert_eq!(pages.len(), 1);
        let text = &pages[0];
        for s in all_strings(&doc) {
            assert!(text.contains(s), "{s:?} is not in\n{text}");
        }
        assert!(!text.contains('\u{FFFD}'), "a glyph has no ToUnicode entry:\n{text}");
    }

    #[test]
    fn tamil_statement_reads_back_word_for_word() {
        let doc = tamil();
        let pdf = render(&doc).expect("renders");
        keep("mandi-statement-ta.pdf", &pdf);
        let pages = pages_text(&pdf);
        assert_eq!(pages.len(), 1);
        let text = composed(&pages[0]);
        for s in all_strings(&doc) {
            assert!(text.contains(s), "{s:?} is not in\n{text}");
        }
        for word in ["அறிக்கை", "முருகன்", "₹ 12,345.67"] {
            assert!(text.contains(word), "{word:?} is not in\n{text}");
        }
        assert!(!text.contains('\u{FFFD}'), "a glyph has no ToUnicode entry:\n{text}");
    }

    #[test]
    fn tamil_is_shaped() {
        let shaper = Shaper::new().expect("fonts");
        let shaped = shaper.shape("கை", false);
        let face = shaper.face(Face::Tamil);
        let id = |c| face.glyph_index(c).expect("the font has it").0 as u32;
        // ை is written after க and drawn before it.
        assert_eq!(shaped.glyphs.iter().map(|g| g.id).collect::<Vec<_>>(), [id('ை'), id('க')]);
        // ...and the glyphs still read back in the written order.
        let read: String = shaped.glyphs.iter().map(|g| &shaped.text[g.text.clone()]).collect();
        assert_eq!(read, "கை");
        // A consonant with ு becomes one glyph that is neither.
        let ku = shaper.shape("கு", false);
        assert_eq!(ku.glyphs.len(), 1);
        assert_ne!(ku.glyphs[0].id, id('க'));
    }

    /// pdf.js does not advance past a glyph whose text has a non-spacing mark in it, and
    /// reads a space where it falls behind; see `Shaper::shape_run`.
    #[test]
    fn no_wide_glyph_reads_as_a_mark() {
        let shaper = Shaper::new().expect("fonts");
        for s in all_strings(&tamil()) {
            let shaped = shaper.shape(s, false);
            for g in shaped.glyphs.iter().filter(|g| g.advance > 0.0) {
                let read = &shaped.text[g.text.clone()];
                assert!(!read.chars().any(is_nonspacing_mark), "a glyph {} wide reads {read:?} in {s:?}", g.advance);
            }
        }
    }

    #[test]
    fn mixed_text_takes_a_font_per_script() {
        let shaper = Shaper::new().expect("fonts");
        let shaped = shaper.shape("முருகன் (Murugan) ₹ 500", true);
        let faces: Vec<(Face, &str)> =
            shaper.runs(&shaped.text, true).into_iter().map(|(face, range)| (face, &shaped.text[range])).collect();
        assert_eq!(faces, [(Face::TamilBold, "முருகன் "), (Face::LatinBold, "(Murugan) ₹ 500")]);
        assert!(shaped.glyphs.iter().all(|g| g.id != 0), "a character has no glyph");
    }

    #[test]
    fn long_table_breaks_over_pages_with_its_header() {
        let rows: Vec<Vec<String>> =
            (1..=200).map(|n| vec![format!("Row {n}"), "Tomatoes".into(), format!("₹ {n},000.00")]).collect();
        let doc = PdfDocument {
            title: "Revenue statement".into(),
            table: Some(PdfTable { headers: vec!["Sale".into(), "Produce".into(), "Amount".into()], rows }),
            footer: vec!["End of statement".into()],
            ..PdfDocument::default()
        };
        let pdf = render(&doc).expect("renders");
        let pages = pages_text(&pdf);
        assert!(pages.len() > 1, "200 rows fit on one page");
        for (i, page) in pages.iter().enumerate() {
            assert!(page.contains("Produce"), "page {} has no header row:\n{page}", i + 1);
            assert!(page.contains(&format!("{} / {}", i + 1, pages.len())), "page {} is not numbered", i + 1);
        }
        let all = pages.join("\n");
        for n in 1..=200 {
            // The cells of a row share a baseline, so they read back run together.
            let row = format!("Row {n}Tomatoes");
            assert_eq!(all.matches(&row).count(), 1, "{row:?} is not there exactly once");
        }
        assert!(pages.last().is_some_and(|p| p.contains("End of statement")));
    }

    #[test]
    fn text_stays_inside_the_margins() {
        let long = "ஒரு மிக நீண்ட விளக்கம் கொண்ட பொருள் வரிசை ".repeat(6);
        let word = "Averyveryverylongwordwithoutanyspacesthatcannotfitinacolumn".repeat(2);
        let doc = PdfDocument {
            title: long.clone(),
            facts: vec![(long.clone(), word.clone())],
            table: Some(PdfTable {
                headers: vec!["A".into(), "B".into(), "C".into()],
                rows: vec![vec![long.clone(), word.clone(), "₹ 1.00".into()]; 40],
            }),
            ..PdfDocument::default()
        };
        let shaper = Shaper::new().expect("fonts");
        let mut layout = Layout::new(&shaper);
        layout.block(&doc.title, TITLE);
        layout.facts(&doc.facts);
        layout.table(doc.table.as_ref().expect("a table"));
        let (_, pages) = layout.finish(&doc.title);
        assert!(pages.len() > 1);
        for item in pages.iter().flatten() {
            if let Item::Text { line, x, baseline, style } = item {
                assert!(*x >= MARGIN_X - 0.01 && x + line.width <= PAGE_W - MARGIN_X + 0.01, "{item:?}");
                assert!(*baseline <= PAGE_H - 20.0 && *baseline >= MARGIN_TOP, "{item:?}");
                assert!(style.size > 0.0);
            }
        }
        render(&doc).expect("renders");
    }

    #[test]
    fn an_empty_document_is_one_numbered_page() {
        let pages = pages_text(&render(&PdfDocument::default()).expect("renders"));
        assert_eq!(pages, ["1 / 1"]);
    }
}
