//! Affine warp: inverse mapping and bilinear sampling of a materialized
//! picture.
//!
//! Pixel `(x, y)` covers the square `x..x+1, y..y+1`; its centre is
//! `(x + 0.5, y + 0.5)`. The graph's matrix maps source coordinates to
//! output coordinates; each output pixel's centre is mapped back through
//! the inverse, and when that point lies inside the frame the source is
//! sampled there bilinearly between the four nearest pixel centres
//! (neighbours past the edge repeat the edge pixel), else the pixel gets
//! the warp's `outside` colour. Colour is interpolated premultiplied by
//! alpha, so transparent neighbours do not bleed their colour in.

use super::Span;
use super::rows::{Area, Px, Rows};

/// Inverse of `x' = m0 x + m1 y + m2, y' = m3 x + m4 y + m5`, or `None`
/// when it is singular or not representable.
pub(crate) fn invert(m: [f64; 6]) -> Option<[f64; 6]> {
    let det = m[0] * m[4] - m[1] * m[3];
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let r = 1.0 / det;
    let (a, b, c, d) = (m[4] * r, -m[1] * r, -m[3] * r, m[0] * r);
    let inv = [a, b, -(a * m[2] + b * m[5]), c, d, -(c * m[2] + d * m[5])];
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

/// The bounding box of `area` mapped by `m` (source to output), or
/// `None` when not finite.
pub(crate) fn extent(m: &[f64; 6], area: &Area) -> Option<Area> {
    let mut b = Area {
        x0: f64::INFINITY,
        y0: f64::INFINITY,
        x1: f64::NEG_INFINITY,
        y1: f64::NEG_INFINITY,
    };
    for (x, y) in [
        (area.x0, area.y0),
        (area.x1, area.y0),
        (area.x0, area.y1),
        (area.x1, area.y1),
    ] {
        let (px, py) = (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]);
        b = Area {
            x0: b.x0.min(px),
            y0: b.y0.min(py),
            x1: b.x1.max(px),
            y1: b.y1.max(py),
        };
    }
    [b.x0, b.y0, b.x1, b.y1]
        .iter()
        .all(|v| v.is_finite())
        .then_some(b)
}

/// The source pixels that bilinear sampling reads for output pixels in
/// `span`: the bounding box of the span's corners mapped back, widened by
/// the bilinear neighbour and one pixel against rounding, clipped to the
/// `width` x `height` frame. Empty when nothing maps inside.
pub(crate) fn source_span(inverse: &[f64; 6], span: Span, width: u32, height: u32) -> Span {
    if span.is_empty() {
        return Span::EMPTY;
    }
    let frame = Span::new(0, 0, i64::from(width), i64::from(height));
    let (mut lo_x, mut lo_y, mut hi_x, mut hi_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in [
        (span.x0, span.y0),
        (span.x1, span.y0),
        (span.x0, span.y1),
        (span.x1, span.y1),
    ] {
        let (x, y) = (x as f64, y as f64);
        let sx = inverse[0] * x + inverse[1] * y + inverse[2];
        let sy = inverse[3] * x + inverse[4] * y + inverse[5];
        if !(sx.is_finite() && sy.is_finite()) {
            return frame;
        }
        lo_x = lo_x.min(sx);
        hi_x = hi_x.max(sx);
        lo_y = lo_y.min(sy);
        hi_y = hi_y.max(sy);
    }
    // Centres that map inside lie within [0, size): if the box misses the
    // frame, nothing is read.
    if hi_x < 0.0 || hi_y < 0.0 || lo_x >= f64::from(width) || lo_y >= f64::from(height) {
        return Span::EMPTY;
    }
    let cell = |v: f64| (v - 0.5).floor().clamp(-2.0, 1e15) as i64;
    Span::new(
        cell(lo_x) - 1,
        cell(lo_y) - 1,
        cell(hi_x) + 3,
        cell(hi_y) + 3,
    )
    .intersect(frame)
}

/// A materialized picture: the pixels of `span`, row-major, channels
/// interleaved (a bilinear tap is then one 16-byte load, not four).
#[derive(Clone, Debug, Default)]
pub(crate) struct Stored {
    pub span: Span,
    data: Vec<Px>,
}

impl Stored {
    /// Makes it hold `span` (contents unspecified).
    pub(crate) fn reset(&mut self, span: Span) {
        self.span = span;
        let n = span.area();
        if self.data.len() < n {
            self.data.resize(n, [0.0; 4]);
        }
    }

    /// Stores row `y` (inside the span) from `row`, which covers the
    /// span's columns.
    pub(crate) fn put_row(&mut self, y: i64, row: &Rows) {
        let w = self.span.width() as usize;
        let off = (y - self.span.y0) as usize * w;
        let [cy, cb, cr, ca] = row.ch();
        let dst = &mut self.data[off..off + w];
        for (i, d) in dst.iter_mut().enumerate() {
            *d = [cy[i], cb[i], cr[i], ca[i]];
        }
    }

    /// Copies pixels `x0..x0 + out.len()` of row `y` into `out`;
    /// pixels outside the span are transparent.
    pub(crate) fn read_row(&self, y: i64, x0: i64, out: &mut Rows) {
        out.fill(super::rows::CLEAR);
        let s = self.span;
        if y < s.y0 || y >= s.y1 {
            return;
        }
        let n = out.len() as i64;
        let (from, to) = (x0.max(s.x0), (x0 + n).min(s.x1));
        if from >= to {
            return;
        }
        let src_off = (y - s.y0) as usize * s.width() as usize + (from - s.x0) as usize;
        let src = &self.data[src_off..src_off + (to - from) as usize];
        let dst_off = (from - x0) as usize;
        let [oy, ocb, ocr, oa] = out.ch_mut();
        for (i, px) in src.iter().enumerate() {
            let j = dst_off + i;
            oy[j] = px[0];
            ocb[j] = px[1];
            ocr[j] = px[2];
            oa[j] = px[3];
        }
    }

    #[inline]
    fn at(&self, x: i64, y: i64) -> Px {
        let s = self.span;
        self.data[(y - s.y0) as usize * s.width() as usize + (x - s.x0) as usize]
    }
}

/// Output row `y`, pixels `x0..x0 + out.len()`, of a warp of `src` (a
/// picture of the `width` x `height` frame, stored over the part the
/// warp reads).
pub(crate) fn warp_row(
    inverse: Option<&[f64; 6]>,
    src: &Stored,
    outside: Px,
    (width, height): (u32, u32),
    y: u32,
    x0: u32,
    out: &mut Rows,
) {
    let Some(m) = inverse.filter(|_| !src.span.is_empty()) else {
        out.fill(outside);
        return;
    };
    let (w, h) = (f64::from(width), f64::from(height));
    let cy = f64::from(y) + 0.5;
    let (row_x, row_y) = (m[1] * cy + m[2], m[4] * cy + m[5]);
    // The pixels whose preimage can be inside: an interval (the map is
    // affine), widened against rounding; each pixel in it is still tested
    // exactly, so this only skips work.
    let n = out.len();
    let first_x = f64::from(x0) + 0.5;
    let (lo_a, hi_a) = inside(m[0], m[0] * first_x + row_x, w);
    let (lo_b, hi_b) = inside(m[3], m[3] * first_x + row_y, h);
    let (lo, hi) = (lo_a.max(lo_b), hi_a.min(hi_b));
    let clip = |v: f64| v.clamp(0.0, n as f64) as usize;
    let (first, end) = if lo < hi {
        (clip(lo.floor() - 2.0), clip(hi.ceil() + 2.0))
    } else {
        (0, 0)
    };
    let end = end.max(first);
    let [oy, ocb, ocr, oa] = out.ch_mut();
    for (ch, v) in [&mut *oy, &mut *ocb, &mut *ocr, &mut *oa]
        .into_iter()
        .zip(outside)
    {
        ch[..first].fill(v);
        ch[end..].fill(v);
    }
    let (last_col, last_row) = (i64::from(width) - 1, i64::from(height) - 1);
    for i in first..end {
        let cx = f64::from(x0) + i as f64 + 0.5;
        let sx = m[0] * cx + row_x;
        let sy = m[3] * cx + row_y;
        let px = if sx >= 0.0 && sx < w && sy >= 0.0 && sy < h {
            bilinear(src, sx - 0.5, sy - 0.5, last_col, last_row)
        } else {
            outside
        };
        oy[i] = px[0];
        ocb[i] = px[1];
        ocr[i] = px[2];
        oa[i] = px[3];
    }
}

/// The range of `i` (real) where `a i + b` lies in `0..limit`; everything
/// when that cannot be told (a non-finite bound).
pub(crate) fn inside(a: f64, b: f64, limit: f64) -> (f64, f64) {
    let all = (f64::NEG_INFINITY, f64::INFINITY);
    if a == 0.0 {
        return if b >= 0.0 && b < limit {
            all
        } else {
            (0.0, 0.0)
        };
    }
    let (p, q) = ((0.0 - b) / a, (limit - b) / a);
    let (lo, hi) = if p < q { (p, q) } else { (q, p) };
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        all
    }
}

/// Bilinear sample at `(u, v)` (pixel centres at integers, `u, v >=
/// -0.5`), premultiplied by alpha; neighbours past the frame repeat its
/// edge, and stay in the stored span (always, unless rounding misjudged
/// the demand).
#[inline]
fn bilinear(src: &Stored, u: f64, v: f64, last_col: i64, last_row: i64) -> Px {
    let s = src.span;
    // `floor` is a library call without SSE4.1; u, v >= -0.5 here.
    let floor = |t: f64| if t < 0.0 { -1 } else { t as i64 };
    let (fu, fv) = (floor(u), floor(v));
    let (tx, ty) = ((u - fu as f64) as f32, (v - fv as f64) as f32);
    let col = |c: i64| c.clamp(0, last_col).clamp(s.x0, s.x1 - 1);
    let row = |r: i64| r.clamp(0, last_row).clamp(s.y0, s.y1 - 1);
    let (xa, xb, ya, yb) = (col(fu), col(fu + 1), row(fv), row(fv + 1));
    let taps = [
        (src.at(xa, ya), (1.0 - tx) * (1.0 - ty)),
        (src.at(xb, ya), tx * (1.0 - ty)),
        (src.at(xa, yb), (1.0 - tx) * ty),
        (src.at(xb, yb), tx * ty),
    ];
    if taps.iter().all(|(px, _)| px[3] >= 1.0) {
        // Opaque: no premultiplication needed.
        let mut acc = [0f32, 0.0, 0.0, 1.0];
        for (px, wt) in taps {
            for c in 0..3 {
                acc[c] += wt * px[c];
            }
        }
        return acc;
    }
    let mut acc = [0f32; 4];
    let mut plain = [0f32; 3];
    for (px, wt) in taps {
        let wa = wt * px[3];
        acc[3] += wa;
        for c in 0..3 {
            acc[c] += wa * px[c];
            plain[c] += wt * px[c];
        }
    }
    if acc[3] > 0.0 {
        let inv = 1.0 / acc[3];
        [acc[0] * inv, acc[1] * inv, acc[2] * inv, acc[3].min(1.0)]
    } else {
        [plain[0], plain[1], plain[2], 0.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_rotation_and_singular() {
        let rot = [0.0, -1.0, 16.0, 1.0, 0.0, 0.0];
        let inv = invert(rot).unwrap();
        assert_eq!(inv, [0.0, 1.0, 0.0, -1.0, 0.0, 16.0]);
        assert_eq!(invert([1.0, 2.0, 0.0, 2.0, 4.0, 0.0]), None);
        assert_eq!(invert([1e-300, 0.0, 0.0, 0.0, 1e-300, 0.0]), None);
    }

    #[test]
    fn demand_of_half_scale() {
        // x' = x / 2: output 0..32 reads source 0..64 (+ margins, clipped).
        let inv = invert([0.5, 0.0, 0.0, 0.0, 0.5, 0.0]).unwrap();
        let s = source_span(&inv, Span::new(0, 0, 16, 8), 128, 128);
        assert_eq!(s, Span::new(0, 0, 34, 18));
        let s = source_span(&inv, Span::new(16, 16, 32, 32), 128, 128);
        assert_eq!(s, Span::new(30, 30, 66, 66));
        assert!(source_span(&inv, Span::new(100, 0, 120, 8), 128, 128).is_empty());
    }
}
