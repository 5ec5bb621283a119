//! Titles: text laid out and rasterized with `ab_glyph` in the bundled
//! DejaVu Sans, drawn over a picture.
//!
//! Layout: `size` is the em height in pixels; lines split at `'\n'`; each
//! line advances glyph by glyph with kerning; the text box's top-left
//! corner is at (`x`, `y`) rounded to whole pixels, the first baseline one
//! ascent below it, further lines one line height (ascent - descent + line
//! gap) apart. The box is as wide as the widest line and as tall as the
//! lines (without the last line gap). The optional background fills the
//! box grown by `padding` on every side; then the glyph coverage, times
//! the colour's alpha, blends the colour over it.
//!
//! The coverage mask is computed for the whole frame at once (glyphs
//! outside it are skipped) and cached until the text, size or position
//! changes, so every region of a frame sees the same coverage.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::Span;
use super::params::TextOp;
use super::rows::{Rows, over_px};

/// The bundled font.
pub fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        FontRef::try_from_slice(include_bytes!("../../fonts/DejaVuSans.ttf"))
            .expect("the bundled DejaVu Sans parses")
    })
}

/// The `ab_glyph` scale that makes one em `size` pixels.
pub fn em_scale(size: f32) -> PxScale {
    let f = font();
    let upem = f.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * f.height_unscaled() / upem)
}

/// Rendered coverage of a text at a position, clipped to the frame.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextMask {
    key: Option<(String, u32, i64, i64)>,
    /// Pixels the coverage covers (in the frame).
    span: Span,
    coverage: Vec<f32>,
    /// The text box (unclipped); empty for empty text.
    text_box: Span,
}

impl TextMask {
    /// Makes the mask hold `op`'s text in a `width` x `height` frame,
    /// reusing the last one when nothing changed.
    pub(crate) fn update(&mut self, op: &TextOp, width: u32, height: u32) {
        let key = (op.text.clone(), op.size.to_bits(), op.x, op.y);
        if self.key.as_ref() == Some(&key) {
            return;
        }
        self.rasterize(op, width, height);
        self.key = Some(key);
    }

    fn rasterize(&mut self, op: &TextOp, width: u32, height: u32) {
        let frame = Span::new(0, 0, i64::from(width), i64::from(height));
        self.span = Span::EMPTY;
        self.text_box = Span::EMPTY;
        self.coverage.clear();
        if op.text.is_empty() || op.size.is_nan() || op.size <= 0.0 {
            return;
        }
        let f = font();
        let scale = em_scale(op.size);
        let sf = f.as_scaled(scale);
        let line_height = sf.ascent() - sf.descent() + sf.line_gap();
        let mut visible = Vec::new();
        let mut widest = 0f32;
        let mut lines = 0usize;
        for (li, line) in op.text.split('\n').enumerate() {
            lines = li + 1;
            let baseline = sf.ascent() + li as f32 * line_height;
            let mut caret = 0f32;
            let mut prev = None;
            for ch in line.chars().filter(|c| !c.is_control()) {
                let id = f.glyph_id(ch);
                if let Some(p) = prev {
                    caret += sf.kern(p, id);
                }
                prev = Some(id);
                let glyph = id.with_scale_and_position(scale, point(caret, baseline));
                caret += sf.h_advance(id);
                // Cheap test around the pen position (outlines stay well
                // within 8 em of it) before outlining.
                let (gx, gy) = (glyph.position.x as i64, glyph.position.y as i64);
                let em = op.size.ceil() as i64 + 1;
                let near = Span::new(
                    op.x.saturating_add(gx - 8 * em),
                    op.y.saturating_add(gy - 2 * em),
                    op.x.saturating_add(gx + 8 * em),
                    op.y.saturating_add(gy + 2 * em),
                );
                if near.intersect(frame).is_empty() {
                    continue;
                }
                let Some(outlined) = f.outline_glyph(glyph) else {
                    continue;
                };
                let b = outlined.px_bounds();
                let rect = Span::new(
                    op.x.saturating_add(b.min.x as i64),
                    op.y.saturating_add(b.min.y as i64),
                    op.x.saturating_add(b.max.x as i64),
                    op.y.saturating_add(b.max.y as i64),
                );
                if !rect.intersect(frame).is_empty() {
                    visible.push((rect, outlined));
                }
            }
            widest = widest.max(caret);
        }
        let text_height = lines as f32 * line_height - sf.line_gap();
        self.text_box = Span::new(
            op.x,
            op.y,
            op.x.saturating_add(widest.ceil() as i64),
            op.y.saturating_add(text_height.ceil() as i64),
        );
        let span = visible
            .iter()
            .fold(Span::EMPTY, |acc, (r, _)| acc.union(*r))
            .intersect(frame);
        if span.is_empty() {
            return;
        }
        self.span = span;
        self.coverage.resize(span.area(), 0.0);
        let stride = span.width();
        for (rect, outlined) in &visible {
            outlined.draw(|gx, gy, c| {
                let (x, y) = (rect.x0 + i64::from(gx), rect.y0 + i64::from(gy));
                if span.contains(x, y) {
                    let i = ((y - span.y0) * stride + (x - span.x0)) as usize;
                    self.coverage[i] = (self.coverage[i] + c).min(1.0);
                }
            });
        }
    }

    /// Coverage at a frame pixel (0 outside the mask).
    pub(crate) fn coverage_at(&self, x: i64, y: i64) -> f32 {
        if self.span.contains(x, y) {
            self.coverage[((y - self.span.y0) * self.span.width() + (x - self.span.x0)) as usize]
        } else {
            0.0
        }
    }
}

/// Row `y`, pixels `x0..x0 + out.len()`, of `op`'s title over `src`.
pub(crate) fn text_row(src: &Rows, op: &TextOp, mask: &TextMask, y: u32, x0: u32, out: &mut Rows) {
    out.copy_from(src);
    let (y, x0) = (i64::from(y), i64::from(x0));
    let run = Span::new(x0, y, x0 + out.len() as i64, y + 1);
    if let (Some(bg), false) = (op.background, mask.text_box.is_empty()) {
        let p = op.padding;
        let b = mask.text_box;
        let area = Span::new(
            b.x0.saturating_sub(p),
            b.y0.saturating_sub(p),
            b.x1.saturating_add(p),
            b.y1.saturating_add(p),
        )
        .intersect(run);
        for x in area.x0..area.x1 {
            let i = (x - x0) as usize;
            out.set(i, over_px(bg, out.get(i)));
        }
    }
    let glyphs = mask.span.intersect(run);
    let [cy, cb, cr, ca] = op.color;
    for x in glyphs.x0..glyphs.x1 {
        let a = mask.coverage_at(x, y) * ca;
        if a > 0.0 {
            let i = (x - x0) as usize;
            out.set(i, over_px([cy, cb, cr, a], out.get(i)));
        }
    }
}
