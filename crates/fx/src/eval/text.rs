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
//! The coverage mask is rasterized once, relative to the text box, and
//! cached while the text and size stay the same (a moving title only
//! moves it). A text too large for that (over 4 Mpixels with margins) is
//! rasterized clipped to the frame, skipping glyphs outside it, and cached
//! while its position stays the same too. Either way the whole mask is
//! made at once, so every region of a frame sees the same coverage.

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

/// Masks up to this many pixels are kept whole, relative to the text
/// box, so a moving title is not rasterized again every frame; larger
/// texts are rasterized clipped to the frame at their position.
const MAX_WHOLE_MASK: i64 = 1 << 22;

/// Rendered coverage of a text.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextMask {
    key: Option<MaskKey>,
    /// Where `coverage` lies: relative to the text box's top-left corner,
    /// or (`clipped`) in frame coordinates.
    span: Span,
    clipped: bool,
    coverage: Vec<f32>,
    /// The text box's size; 0 x 0 for empty text.
    box_size: (i64, i64),
}

/// What a mask was made for.
#[derive(Clone, Debug, PartialEq)]
struct MaskKey {
    text: String,
    /// `f32` bits.
    size: u32,
    /// The position, when the mask is clipped to the frame.
    at: Option<(i64, i64)>,
}

/// A glyph placed relative to the text box's top-left corner.
type Placed = (ab_glyph::GlyphId, f32, f32);

impl TextMask {
    /// Makes the mask hold `op`'s text in a `width` x `height` frame,
    /// reusing the last one when nothing it depends on changed.
    pub(crate) fn update(&mut self, op: &TextOp, width: u32, height: u32) {
        if let Some(k) = &self.key
            && k.text == op.text
            && k.size == op.size.to_bits()
            && k.at.is_none_or(|p| p == (op.x, op.y))
        {
            return;
        }
        self.rasterize(op, width, height);
    }

    /// Lays out `op.text`: glyphs relative to the box, and the box size.
    fn layout(op: &TextOp) -> (Vec<Placed>, f32, f32) {
        let f = font();
        let sf = f.as_scaled(em_scale(op.size));
        let line_height = sf.ascent() - sf.descent() + sf.line_gap();
        let mut glyphs = Vec::new();
        let (mut widest, mut lines) = (0f32, 0usize);
        for (li, line) in op.text.split('\n').enumerate() {
            lines = li + 1;
            let baseline = sf.ascent() + li as f32 * line_height;
            let (mut caret, mut prev) = (0f32, None);
            for ch in line.chars().filter(|c| !c.is_control()) {
                let id = f.glyph_id(ch);
                if let Some(p) = prev {
                    caret += sf.kern(p, id);
                }
                prev = Some(id);
                glyphs.push((id, caret, baseline));
                caret += sf.h_advance(id);
            }
            widest = widest.max(caret);
        }
        (glyphs, widest, lines as f32 * line_height - sf.line_gap())
    }

    fn rasterize(&mut self, op: &TextOp, width: u32, height: u32) {
        self.span = Span::EMPTY;
        self.coverage.clear();
        self.box_size = (0, 0);
        self.clipped = false;
        self.key = Some(MaskKey {
            text: op.text.clone(),
            size: op.size.to_bits(),
            at: None,
        });
        if op.text.is_empty() || op.size.is_nan() || op.size <= 0.0 {
            return;
        }
        let f = font();
        let scale = em_scale(op.size);
        let (glyphs, widest, tall) = Self::layout(op);
        self.box_size = (widest.ceil() as i64, tall.ceil() as i64);
        // Outlines stay well within 8 em of their pen position.
        let em = op.size.ceil() as i64 + 1;
        let reach =
            |(gx, gy): (i64, i64)| Span::new(gx - 8 * em, gy - 2 * em, gx + 8 * em, gy + 2 * em);
        let whole = Span::new(0, 0, self.box_size.0, self.box_size.1.max(1));
        let estimate = Span::new(
            whole.x0 - 8 * em,
            whole.y0 - 2 * em,
            whole.x1 + 8 * em,
            whole.y1 + 2 * em,
        );
        // Relative to the box, or clipped to the frame at the position.
        let (origin, clip) = if (estimate.width() as f64) * ((estimate.y1 - estimate.y0) as f64)
            <= MAX_WHOLE_MASK as f64
        {
            ((0, 0), None)
        } else {
            self.clipped = true;
            if let Some(k) = &mut self.key {
                k.at = Some((op.x, op.y));
            }
            (
                (op.x, op.y),
                Some(Span::new(0, 0, i64::from(width), i64::from(height))),
            )
        };
        let mut outlined = Vec::new();
        for &(id, caret, baseline) in &glyphs {
            let pen = (
                origin.0.saturating_add(caret as i64),
                origin.1.saturating_add(baseline as i64),
            );
            if clip.is_some_and(|c| reach(pen).intersect(c).is_empty()) {
                continue;
            }
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            let Some(o) = f.outline_glyph(glyph) else {
                continue;
            };
            let b = o.px_bounds();
            let rect = Span::new(
                origin.0.saturating_add(b.min.x as i64),
                origin.1.saturating_add(b.min.y as i64),
                origin.0.saturating_add(b.max.x as i64),
                origin.1.saturating_add(b.max.y as i64),
            );
            if clip.is_none_or(|c| !rect.intersect(c).is_empty()) {
                outlined.push((rect, o));
            }
        }
        let mut span = outlined
            .iter()
            .fold(Span::EMPTY, |acc, (r, _)| acc.union(*r));
        if let Some(c) = clip {
            span = span.intersect(c);
        }
        if span.is_empty() {
            return;
        }
        self.span = span;
        self.coverage.resize(span.area(), 0.0);
        let stride = span.width();
        for (rect, o) in &outlined {
            o.draw(|gx, gy, c| {
                let (x, y) = (rect.x0 + i64::from(gx), rect.y0 + i64::from(gy));
                if span.contains(x, y) {
                    let i = ((y - span.y0) * stride + (x - span.x0)) as usize;
                    self.coverage[i] = (self.coverage[i] + c).min(1.0);
                }
            });
        }
    }

    /// The mask's pixels in frame coordinates for a text at `(x, y)`.
    fn frame_span(&self, x: i64, y: i64) -> Span {
        if self.clipped {
            return self.span;
        }
        let s = self.span;
        Span::new(
            s.x0.saturating_add(x),
            s.y0.saturating_add(y),
            s.x1.saturating_add(x),
            s.y1.saturating_add(y),
        )
    }

    /// Coverage at frame pixel `(x, y)` of a text at `at` (0 outside the
    /// mask).
    pub(crate) fn coverage_at(&self, at: (i64, i64), x: i64, y: i64) -> f32 {
        let (x, y) = if self.clipped {
            (x, y)
        } else {
            (x.saturating_sub(at.0), y.saturating_sub(at.1))
        };
        let s = self.span;
        if s.contains(x, y) {
            self.coverage[((y - s.y0) * s.width() + (x - s.x0)) as usize]
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
    let (w, h) = mask.box_size;
    if let (Some(bg), true) = (op.background, w > 0 || h > 0) {
        let p = op.padding;
        let area = Span::new(
            op.x.saturating_sub(p),
            op.y.saturating_sub(p),
            op.x.saturating_add(w).saturating_add(p),
            op.y.saturating_add(h).saturating_add(p),
        )
        .intersect(run);
        for x in area.x0..area.x1 {
            let i = (x - x0) as usize;
            out.set(i, over_px(bg, out.get(i)));
        }
    }
    let glyphs = mask.frame_span(op.x, op.y).intersect(run);
    let [cy, cb, cr, ca] = op.color;
    for x in glyphs.x0..glyphs.x1 {
        let a = mask.coverage_at((op.x, op.y), x, y) * ca;
        if a > 0.0 {
            let i = (x - x0) as usize;
            out.set(i, over_px([cy, cb, cr, a], out.get(i)));
        }
    }
}
