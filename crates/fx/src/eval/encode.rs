//! Pixel rows back into coefficients, one MCU row of the output at a
//! time: composite over black, round to 8-bit luma, average chroma over
//! each subsampling cell (a box filter), round, pad past the true frame
//! by repeating the last true sample of each plane (as the JPEG encoder
//! pads), then the forward DCT of every 8x8 block.

use tessera_sc::{FrameGeometry, PlaneKind, ScImage};

use super::rows::Rows;

/// Rounds to the nearest 8-bit sample, ties to even (unbiased: a mix at
/// one half makes a tie of every other pixel, and rounding them all up
/// would brighten the picture by a quarter level on average).
///
/// Adding 2^23 to an `f32` in 0..=255 rounds it to an integer in the
/// default rounding mode and leaves that integer in the low mantissa
/// bits, so the conversion is a bit cast, which vectorizes (a saturating
/// `as u8` does not).
#[inline(always)]
pub(crate) fn to_u8(v: f32) -> u8 {
    const MAGIC: f32 = 8_388_608.0;
    // (A NaN stays NaN, whose low mantissa bits are 0.)
    (v.clamp(0.0, 255.0) + MAGIC).to_bits() as u8
}

/// Composite over black: a chroma sample at alpha `a` (clamped to 0..1).
#[inline(always)]
fn chroma_over_black(c: f32, a: f32) -> f32 {
    (c - 128.0) * a.clamp(0.0, 1.0) + 128.0
}

/// Sums each run of `F` composited chroma samples of `c` (alpha `a`) into
/// `out`; a last partial run repeats its last sample (the frame's edge).
#[inline(always)]
fn cell_sums<const F: usize>(c: &[f32], a: &[f32], out: &mut [f32]) {
    let full = c.len() / F;
    for ((cell, alpha), o) in c
        .chunks_exact(F)
        .zip(a.chunks_exact(F))
        .zip(&mut out[..full])
    {
        let mut sum = 0.0;
        for (&c, &a) in cell.iter().zip(alpha) {
            sum += chroma_over_black(c, a);
        }
        *o = sum;
    }
    let rest = c.len() - full * F;
    if rest > 0 {
        let mut sum = 0.0;
        for i in full * F..c.len() {
            sum += chroma_over_black(c[i], a[i]);
        }
        let last = chroma_over_black(c[c.len() - 1], a[c.len() - 1]);
        for _ in rest..F {
            sum += last;
        }
        out[full] = sum;
    }
}

/// One MCU row of the output being assembled.
#[derive(Clone, Debug, Default)]
pub(crate) struct BandEncoder {
    /// First luma column and row of the band.
    x0: u32,
    y0: u32,
    /// Columns in the band (whole MCUs) and columns inside the frame.
    width: usize,
    true_cols: usize,
    /// Chroma subsampling factors.
    hs: usize,
    vs: usize,
    luma: Vec<u8>,
    /// Per line, composited Cb and Cr summed over each chroma cell's
    /// columns (`width / hs` per line).
    cells: [Vec<f32>; 2],
    /// Subsampled Cb and Cr.
    sub: [Vec<u8>; 2],
}

impl BandEncoder {
    /// Starts the band of columns `x0..x1` (on the MCU grid) whose first
    /// line is `y0`; `true_cols` of them are inside the frame.
    pub(crate) fn begin(&mut self, g: &FrameGeometry, x0: u32, x1: u32, y0: u32, true_cols: usize) {
        let mh = g.mcu_height() as usize;
        self.x0 = x0;
        self.y0 = y0;
        self.width = (x1 - x0) as usize;
        self.true_cols = true_cols.clamp(1, self.width);
        self.hs = usize::from(g.h_sub);
        self.vs = usize::from(g.v_sub);
        self.luma.resize(self.width * mh, 0);
        let cw = self.width / self.hs;
        for c in &mut self.cells {
            c.resize(cw * mh, 0.0);
        }
        for s in &mut self.sub {
            s.resize(cw * 8, 0);
        }
    }

    /// Line `line` of the band from the pass's root row (its first
    /// `true_cols` pixels).
    pub(crate) fn put_row(&mut self, line: usize, row: &Rows) {
        let (w, n) = (self.width, self.true_cols);
        let [y, cb, cr, a] = row.ch();
        let luma = &mut self.luma[line * w..(line + 1) * w];
        for ((o, &y), &a) in luma[..n].iter_mut().zip(&y[..n]).zip(&a[..n]) {
            *o = to_u8(y * a.clamp(0.0, 1.0));
        }
        let last = luma[n - 1];
        luma[n..].fill(last);
        let cw = w / self.hs;
        for (cells, c) in self.cells.iter_mut().zip([cb, cr]) {
            let out = &mut cells[line * cw..(line + 1) * cw];
            match self.hs {
                1 => cell_sums::<1>(&c[..n], &a[..n], out),
                2 => cell_sums::<2>(&c[..n], &a[..n], out),
                _ => cell_sums::<4>(&c[..n], &a[..n], out),
            }
        }
    }

    /// Finishes the band, `true_lines` lines of which were put, and writes
    /// its blocks into `out`.
    pub(crate) fn finish(&mut self, g: &FrameGeometry, true_lines: usize, out: &mut ScImage) {
        let (w, mh) = (self.width, g.mcu_height() as usize);
        let (hs, vs) = (self.hs, self.vs);
        let cw = w / hs;
        let true_lines = true_lines.clamp(1, mh);
        for line in true_lines..mh {
            self.luma
                .copy_within((true_lines - 1) * w..true_lines * w, line * w);
            for c in &mut self.cells {
                c.copy_within((true_lines - 1) * cw..true_lines * cw, line * cw);
            }
        }
        // Chroma: the box average of each cell inside the chroma plane's
        // true size; past it, the last true sample (the JPEG padding).
        let (x0c, y0c) = (self.x0 as usize / hs, self.y0 as usize / vs);
        let plane_w = usize::from(g.true_width).div_ceil(hs);
        let plane_h = usize::from(g.true_height).div_ceil(vs);
        let true_cw = plane_w.saturating_sub(x0c).clamp(1, cw);
        let true_ch = plane_h.saturating_sub(y0c).clamp(1, 8);
        let scale = 1.0 / (hs * vs) as f32;
        for (sub, cells) in self.sub.iter_mut().zip(&self.cells) {
            for cy in 0..true_ch {
                let dst = &mut sub[cy * cw..(cy + 1) * cw];
                let top = &cells[cy * vs * cw..][..true_cw];
                if vs == 2 {
                    let bottom = &cells[(cy * vs + 1) * cw..][..true_cw];
                    for ((d, &t), &b) in dst.iter_mut().zip(top).zip(bottom) {
                        *d = to_u8((t + b) * scale);
                    }
                } else {
                    for (d, &t) in dst.iter_mut().zip(top) {
                        *d = to_u8(t * scale);
                    }
                }
                let last = dst[true_cw - 1];
                dst[true_cw..].fill(last);
            }
            for cy in true_ch..8 {
                sub.copy_within((true_ch - 1) * cw..true_ch * cw, cy * cw);
            }
        }
        // Forward DCT.
        let (bx0, by0) = (self.x0 / 8, self.y0 / 8);
        for j in 0..vs {
            for b in 0..w / 8 {
                let addr = g.address(PlaneKind::Y, bx0 + b as u32, by0 + j as u32) as usize;
                let src = &self.luma[j * 8 * w + b * 8..];
                tessera_dsp::fdct_8x8_u8(src, w, &mut out.blocks[addr]);
            }
        }
        let (cbx0, cby) = (self.x0 / g.mcu_width(), self.y0 / g.mcu_height());
        for (plane, sub) in [(PlaneKind::Cb, &self.sub[0]), (PlaneKind::Cr, &self.sub[1])] {
            for b in 0..cw / 8 {
                let addr = g.address(plane, cbx0 + b as u32, cby) as usize;
                tessera_dsp::fdct_8x8_u8(&sub[b * 8..], cw, &mut out.blocks[addr]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_u8;

    #[test]
    fn rounding_is_to_nearest_even() {
        let cases = [
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (2.49, 2),
            (2.51, 3),
            (-3.0, 0),
            (254.5, 254),
            (300.0, 255),
            (f32::NAN, 0),
        ];
        for (v, want) in cases {
            assert_eq!(to_u8(v), want, "{v}");
        }
    }
}
