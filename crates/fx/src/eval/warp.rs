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
use super::rows::{Px, Rows};

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

/// A materialized picture: the pixels of `span`, row-major, one `f32`
/// plane per channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stored {
    pub span: Span,
    data: Vec<f32>,
}

impl Stored {
    /// Makes it hold `span` (contents unspecified).
    pub(crate) fn reset(&mut self, span: Span) {
        self.span = span;
        let n = span.area();
        if self.data.len() < 4 * n {
            self.data.resize(4 * n, 0.0);
        }
    }

    fn plane_len(&self) -> usize {
        self.span.area()
    }

    /// Stores row `y` (inside the span) from `row`, which covers the
    /// span's columns.
    pub(crate) fn put_row(&mut self, y: i64, row: &Rows) {
        let (w, n) = (self.span.width() as usize, self.plane_len());
        let off = (y - self.span.y0) as usize * w;
        for (c, src) in row.ch().into_iter().enumerate() {
            self.data[c * n + off..c * n + off + w].copy_from_slice(&src[..w]);
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
        let (w, plane) = (s.width() as usize, self.plane_len());
        let src_off = (y - s.y0) as usize * w + (from - s.x0) as usize;
        let len = (to - from) as usize;
        let dst_off = (from - x0) as usize;
        for (c, dst) in out.ch_mut().into_iter().enumerate() {
            let base = c * plane + src_off;
            dst[dst_off..dst_off + len].copy_from_slice(&self.data[base..base + len]);
        }
    }

    #[inline]
    fn at(&self, x: i64, y: i64) -> Px {
        let s = self.span;
        let i = (y - s.y0) as usize * s.width() as usize + (x - s.x0) as usize;
        let n = self.plane_len();
        [
            self.data[i],
            self.data[n + i],
            self.data[2 * n + i],
            self.data[3 * n + i],
        ]
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
    let s = src.span;
    let cy = f64::from(y) + 0.5;
    let (row_x, row_y) = (m[1] * cy + m[2], m[4] * cy + m[5]);
    for i in 0..out.len() {
        let cx = f64::from(x0) + i as f64 + 0.5;
        let sx = m[0] * cx + row_x;
        let sy = m[3] * cx + row_y;
        if !(sx >= 0.0 && sx < w && sy >= 0.0 && sy < h) {
            out.set(i, outside);
            continue;
        }
        let (u, v) = (sx - 0.5, sy - 0.5);
        let (fu, fv) = (u.floor(), v.floor());
        let (tx, ty) = ((u - fu) as f32, (v - fv) as f32);
        // In the frame, repeating the edge; in the stored span (always,
        // unless rounding misjudged the demand).
        let col = |c: f64| {
            (c as i64)
                .clamp(0, i64::from(width) - 1)
                .clamp(s.x0, s.x1 - 1)
        };
        let row = |r: f64| {
            (r as i64)
                .clamp(0, i64::from(height) - 1)
                .clamp(s.y0, s.y1 - 1)
        };
        let (xa, xb, ya, yb) = (col(fu), col(fu + 1.0), row(fv), row(fv + 1.0));
        let taps = [
            (src.at(xa, ya), (1.0 - tx) * (1.0 - ty)),
            (src.at(xb, ya), tx * (1.0 - ty)),
            (src.at(xa, yb), (1.0 - tx) * ty),
            (src.at(xb, yb), tx * ty),
        ];
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
        let px = if acc[3] > 0.0 {
            let inv = 1.0 / acc[3];
            [acc[0] * inv, acc[1] * inv, acc[2] * inv, acc[3].min(1.0)]
        } else {
            [plain[0], plain[1], plain[2], 0.0]
        };
        out.set(i, px);
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
