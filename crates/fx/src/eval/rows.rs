//! Scratch rows of pixels and the per-pixel operators that work on them.
//!
//! A [`Rows`] holds one run of pixels in four `f32` channels, Y, Cb, Cr
//! (0..255 scale, 4:4:4) and alpha (0..1), each channel contiguous so the
//! loops vectorize. Every operator here computes a pixel from the same
//! pixel of its operands and from its position alone, so a pixel's value
//! never depends on which run it was computed in.

use crate::graph::WipeShape;

/// A pixel: Y, Cb, Cr, alpha.
pub(crate) type Px = [f32; 4];

/// The transparent pixel that stands for "nothing here" (black, alpha 0).
pub(crate) const CLEAR: Px = [0.0, 128.0, 128.0, 0.0];

/// A run of pixels, channel by channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rows {
    data: Vec<f32>,
    len: usize,
}

impl Rows {
    /// Makes room for `len` pixels (contents unspecified).
    pub(crate) fn set_len(&mut self, len: usize) {
        self.len = len;
        if self.data.len() < 4 * len {
            self.data.resize(4 * len, 0.0);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn ch(&self) -> [&[f32]; 4] {
        let n = self.len;
        let (y, rest) = self.data[..4 * n].split_at(n);
        let (cb, rest) = rest.split_at(n);
        let (cr, a) = rest.split_at(n);
        [y, cb, cr, a]
    }

    pub(crate) fn ch_mut(&mut self) -> [&mut [f32]; 4] {
        let n = self.len;
        let (y, rest) = self.data[..4 * n].split_at_mut(n);
        let (cb, rest) = rest.split_at_mut(n);
        let (cr, a) = rest.split_at_mut(n);
        [y, cb, cr, a]
    }

    pub(crate) fn fill(&mut self, px: Px) {
        for (c, v) in self.ch_mut().into_iter().zip(px) {
            c.fill(v);
        }
    }

    pub(crate) fn copy_from(&mut self, src: &Rows) {
        let n = self.len.min(src.len);
        for (d, s) in self.ch_mut().into_iter().zip(src.ch()) {
            d[..n].copy_from_slice(&s[..n]);
        }
    }

    /// Pixel `i`.
    pub(crate) fn get(&self, i: usize) -> Px {
        let n = self.len;
        [
            self.data[i],
            self.data[n + i],
            self.data[2 * n + i],
            self.data[3 * n + i],
        ]
    }

    pub(crate) fn set(&mut self, i: usize, px: Px) {
        let n = self.len;
        for (c, v) in px.into_iter().enumerate() {
            self.data[c * n + i] = v;
        }
    }
}

/// Porter-Duff over of two non-premultiplied pixels.
#[inline]
pub(crate) fn over_px(f: Px, b: Px) -> Px {
    let af = f[3];
    let wb = b[3] * (1.0 - af);
    let a = af + wb;
    if a <= 0.0 {
        return b;
    }
    let inv = 1.0 / a;
    [
        (f[0] * af + b[0] * wb) * inv,
        (f[1] * af + b[1] * wb) * inv,
        (f[2] * af + b[2] * wb) * inv,
        a,
    ]
}

/// `a (1 - t) + b t` on every channel; alpha kept in 0..1 (amounts
/// outside 0..1 extrapolate colour).
pub(crate) fn mix(a: &Rows, b: &Rows, t: f32, out: &mut Rows) {
    let s = 1.0 - t;
    let (ca, cb) = (a.ch(), b.ch());
    for (c, o) in out.ch_mut().into_iter().enumerate() {
        for ((o, &x), &y) in o.iter_mut().zip(ca[c]).zip(cb[c]) {
            *o = x * s + y * t;
        }
    }
    for o in out.ch_mut()[3].iter_mut() {
        *o = o.clamp(0.0, 1.0);
    }
}

/// `fg` over `bg`, pixel by pixel.
pub(crate) fn over(fg: &Rows, bg: &Rows, out: &mut Rows) {
    let (f, b) = (fg.ch(), bg.ch());
    let [oy, ocb, ocr, oa] = out.ch_mut();
    for i in 0..oa.len() {
        let af = f[3][i];
        let wb = b[3][i] * (1.0 - af);
        let a = af + wb;
        let inv = if a > 0.0 { 1.0 / a } else { 0.0 };
        let blend = |cf: f32, cb: f32| {
            if a > 0.0 {
                (cf * af + cb * wb) * inv
            } else {
                cb
            }
        };
        oy[i] = blend(f[0][i], b[0][i]);
        ocb[i] = blend(f[1][i], b[1][i]);
        ocr[i] = blend(f[2][i], b[2][i]);
        oa[i] = a;
    }
}

/// Brightness, contrast and saturation (see [`crate::graph::Op::Adjust`]).
pub(crate) fn adjust(src: &Rows, brightness: f32, contrast: f32, saturation: f32, out: &mut Rows) {
    let s = src.ch();
    let [oy, ocb, ocr, oa] = out.ch_mut();
    let lift = 128.0 + 255.0 * brightness;
    for (o, &v) in oy.iter_mut().zip(s[0]) {
        *o = (v - 128.0) * contrast + lift;
    }
    for (o, &v) in ocb.iter_mut().zip(s[1]) {
        *o = (v - 128.0) * saturation + 128.0;
    }
    for (o, &v) in ocr.iter_mut().zip(s[2]) {
        *o = (v - 128.0) * saturation + 128.0;
    }
    oa.copy_from_slice(&s[3][..oa.len()]);
}

/// A rectangle in continuous frame coordinates (pixel `x` covers
/// `x..x + 1`); a pixel is inside when its centre is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Area {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Area {
    /// Columns `[first, end)` of pixels in `x0..x0 + n` whose centres lie
    /// in `lo..hi`, as offsets into the run.
    pub(crate) fn columns(lo: f64, hi: f64, x0: u32, n: usize) -> (usize, usize) {
        // Centre c = x + 0.5 inside [lo, hi)  <=>  x in [ceil(lo - 0.5), ceil(hi - 0.5)).
        let first = (lo - 0.5).ceil() - f64::from(x0);
        let end = (hi - 0.5).ceil() - f64::from(x0);
        let clip = |v: f64| v.clamp(0.0, n as f64) as usize;
        let (first, end) = (clip(first), clip(end));
        (first, end.max(first))
    }

    fn has_row(&self, y: u32) -> bool {
        let c = f64::from(y) + 0.5;
        c >= self.y0 && c < self.y1
    }
}

/// Keeps `area` of `src`; the rest becomes transparent.
pub(crate) fn crop(src: &Rows, area: &Area, y: u32, x0: u32, out: &mut Rows) {
    out.copy_from(src);
    let n = out.len();
    let alpha = &mut out.ch_mut()[3];
    if !area.has_row(y) {
        alpha.fill(0.0);
        return;
    }
    let (first, end) = Area::columns(area.x0, area.x1, x0, n);
    alpha[..first].fill(0.0);
    alpha[end..].fill(0.0);
}

/// Paints `color` over the pixels of `src` within `width` of the edges of
/// `extent`.
pub(crate) fn border(
    src: &Rows,
    extent: &Area,
    width: f64,
    color: Px,
    y: u32,
    x0: u32,
    out: &mut Rows,
) {
    out.copy_from(src);
    if width <= 0.0 || !extent.has_row(y) {
        return;
    }
    let n = out.len();
    let cy = f64::from(y) + 0.5;
    let whole_row = cy - extent.y0 < width || extent.y1 - cy < width;
    let mut paint = |first: usize, end: usize| {
        for i in first..end {
            let px = over_px(color, out.get(i));
            out.set(i, px);
        }
    };
    let (first, end) = Area::columns(extent.x0, extent.x1, x0, n);
    if whole_row {
        paint(first, end);
    } else {
        let (l_first, l_end) = Area::columns(extent.x0, extent.x0 + width, x0, n);
        let (r_first, r_end) =
            Area::columns((extent.x1 - width).max(extent.x0 + width), extent.x1, x0, n);
        paint(l_first.max(first), l_end.min(end));
        paint(r_first.max(first), r_end.min(end));
    }
}

/// A wipe's mask for one frame: how much of `b` shows at a pixel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WipeMask {
    pub shape: WipeShape,
    /// Output frame size.
    pub width: f64,
    pub height: f64,
    /// Where the edge is along the wipe's axis, in pixels: `progress
    /// (L + S)`.
    pub edge: f64,
    /// Soft edge width in pixels (0: hard edge).
    pub soft: f64,
}

impl WipeMask {
    /// `progress` and `softness` as in [`crate::graph::Op::Wipe`]. The
    /// mask at a pixel whose centre is at distance `d` from where `b`
    /// enters is `clamp((edge - d) / S, 0, 1)` with `edge = progress (L +
    /// S)`, `L` the extent of the frame along the wipe (width, height,
    /// `width + height` for the diagonal, the half-diagonal for circles) and
    /// `S` the soft edge in pixels; so progress 0 shows only `a`, 1 only
    /// `b`, and with no soft edge `b` covers exactly `progress L`.
    pub(crate) fn new(
        shape: WipeShape,
        width: f64,
        height: f64,
        progress: f64,
        softness: f64,
    ) -> WipeMask {
        let half_diag = 0.5 * width.hypot(height);
        let extent = match shape {
            WipeShape::Left | WipeShape::Right => width,
            WipeShape::Up | WipeShape::Down => height,
            WipeShape::Diagonal => width + height,
            WipeShape::Circle => half_diag,
        };
        let unit = if shape == WipeShape::Circle {
            half_diag
        } else {
            width
        };
        let soft = (softness.clamp(0.0, 1.0) * unit).max(0.0);
        WipeMask {
            shape,
            width,
            height,
            edge: progress.clamp(0.0, 1.0) * (extent + soft),
            soft,
        }
    }
}

/// Per-pixel choice between `a` and `b` by the wipe mask.
pub(crate) fn wipe(a: &Rows, b: &Rows, mask: &WipeMask, y: u32, x0: u32, out: &mut Rows) {
    let cy = (f64::from(y) + 0.5) as f32;
    let (w, h) = (mask.width as f32, mask.height as f32);
    let x0f = x0 as f32 + 0.5;
    match mask.shape {
        WipeShape::Left => wipe_by(a, b, out, mask, |i| x0f + i as f32),
        WipeShape::Right => wipe_by(a, b, out, mask, |i| w - (x0f + i as f32)),
        WipeShape::Up => wipe_by(a, b, out, mask, |_| cy),
        WipeShape::Down => wipe_by(a, b, out, mask, |_| h - cy),
        WipeShape::Diagonal => wipe_by(a, b, out, mask, |i| x0f + i as f32 + cy),
        WipeShape::Circle => {
            let (mx, my) = (0.5 * w, 0.5 * h);
            let dy = cy - my;
            wipe_by(a, b, out, mask, |i| {
                let dx = x0f + i as f32 - mx;
                (dx * dx + dy * dy).sqrt()
            })
        }
    }
}

#[inline(always)]
fn wipe_by(a: &Rows, b: &Rows, out: &mut Rows, mask: &WipeMask, dist: impl Fn(usize) -> f32) {
    let edge = mask.edge as f32;
    let soft = mask.soft as f32;
    let inv = if soft > 0.0 { 1.0 / soft } else { 0.0 };
    let (ca, cb) = (a.ch(), b.ch());
    let [oy, ocb, ocr, oa] = out.ch_mut();
    for i in 0..oa.len() {
        let d = dist(i);
        let m = if soft > 0.0 {
            ((edge - d) * inv).clamp(0.0, 1.0)
        } else if d < edge {
            1.0
        } else {
            0.0
        };
        let s = 1.0 - m;
        oy[i] = ca[0][i] * s + cb[0][i] * m;
        ocb[i] = ca[1][i] * s + cb[1][i] * m;
        ocr[i] = ca[2][i] * s + cb[2][i] * m;
        oa[i] = ca[3][i] * s + cb[3][i] * m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(px: &[Px]) -> Rows {
        let mut r = Rows::default();
        r.set_len(px.len());
        for (i, &p) in px.iter().enumerate() {
            r.set(i, p);
        }
        r
    }

    #[test]
    fn over_of_opaque_and_transparent() {
        let red = [76.0, 85.0, 255.0, 1.0];
        let grey = [128.0, 128.0, 128.0, 1.0];
        assert_eq!(over_px(red, grey), red);
        assert_eq!(over_px(CLEAR, grey), grey);
        let half = [200.0, 128.0, 128.0, 0.5];
        let r = over_px(half, [0.0, 128.0, 128.0, 1.0]);
        assert_eq!(r, [100.0, 128.0, 128.0, 1.0]);
        let mut out = Rows::default();
        out.set_len(2);
        over(
            &run(&[half, CLEAR]),
            &run(&[[0.0, 128.0, 128.0, 1.0], CLEAR]),
            &mut out,
        );
        assert_eq!(out.get(0), r);
        assert_eq!(out.get(1)[3], 0.0);
    }

    #[test]
    fn crop_columns_by_centre() {
        let src = run(&[[1.0, 2.0, 3.0, 1.0]; 8]);
        let mut out = Rows::default();
        out.set_len(8);
        let area = Area {
            x0: 2.4,
            y0: 0.0,
            x1: 5.6,
            y1: 1.0,
        };
        crop(&src, &area, 0, 0, &mut out);
        let alpha: Vec<f32> = (0..8).map(|i| out.get(i)[3]).collect();
        // Centres 2.5, 3.5, 4.5, 5.5 are inside.
        assert_eq!(alpha, [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        crop(&src, &area, 1, 0, &mut out);
        assert!((0..8).all(|i| out.get(i)[3] == 0.0));
    }

    #[test]
    fn wipe_ends_are_clean() {
        let a = run(&[[0.0, 128.0, 128.0, 1.0]; 16]);
        let b = run(&[[255.0, 128.0, 128.0, 1.0]; 16]);
        let mut out = Rows::default();
        out.set_len(16);
        for shape in [
            WipeShape::Left,
            WipeShape::Right,
            WipeShape::Up,
            WipeShape::Down,
            WipeShape::Diagonal,
            WipeShape::Circle,
        ] {
            for soft in [0.0, 0.3] {
                for y in [0, 7, 15] {
                    wipe(
                        &a,
                        &b,
                        &WipeMask::new(shape, 16.0, 16.0, 0.0, soft),
                        y,
                        0,
                        &mut out,
                    );
                    assert!((0..16).all(|i| out.get(i)[0] == 0.0), "{shape:?}");
                    wipe(
                        &a,
                        &b,
                        &WipeMask::new(shape, 16.0, 16.0, 1.0, soft),
                        y,
                        0,
                        &mut out,
                    );
                    assert!((0..16).all(|i| out.get(i)[0] == 255.0), "{shape:?}");
                }
            }
        }
        // Hard left wipe at 1/4: four columns of b.
        wipe(
            &a,
            &b,
            &WipeMask::new(WipeShape::Left, 16.0, 16.0, 0.25, 0.0),
            3,
            0,
            &mut out,
        );
        let ys: Vec<f32> = (0..16).map(|i| out.get(i)[0]).collect();
        assert_eq!(&ys[..5], &[255.0, 255.0, 255.0, 255.0, 0.0]);
    }
}
