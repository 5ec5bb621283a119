//! Coefficients into pixel rows: the inverse DCT of just the blocks a pass
//! reads, one MCU row at a time, read back as 4:4:4 rows with chroma
//! repeated over its subsampling cell (nearest-neighbour upsampling, so a
//! linear operator on the rows equals the same operator per plane).

use tessera_sc::FrameGeometry;

use super::dct::{PLANES, Prepared};
use super::rows::{CLEAR, Rows};

/// The decoder's quantizer: the coefficients are already dequantized.
const ONES: [u16; 64] = [1; 64];

/// The decoded pixels of one MCU row of a coefficient picture, over a
/// range of MCU columns.
#[derive(Clone, Debug, Default)]
pub(crate) struct BandDecoder {
    geometry: Option<FrameGeometry>,
    /// MCU columns `c0..c1` are decoded.
    c0: u32,
    c1: u32,
    /// The MCU row now decoded.
    row: Option<u32>,
    luma: Vec<u8>,
    chroma: [Vec<u8>; 2],
    blocks: Vec<[i16; 64]>,
}

impl BandDecoder {
    /// Prepares to read luma columns `x0..x1` (clipped to the frame) of a
    /// picture of `geometry`.
    pub(crate) fn reset(&mut self, geometry: FrameGeometry, x0: i64, x1: i64) {
        let width = i64::from(geometry.true_width);
        let (x0, x1) = (x0.clamp(0, width) as u32, x1.clamp(0, width) as u32);
        let mw = geometry.mcu_width();
        self.geometry = Some(geometry);
        self.c0 = x0 / mw;
        self.c1 = if x1 > x0 { x1.div_ceil(mw) } else { self.c0 };
        self.row = None;
        let cols = (self.c1 - self.c0) as usize;
        self.luma
            .resize(cols * mw as usize * geometry.mcu_height() as usize, 0);
        for c in &mut self.chroma {
            c.resize(cols * 64, 0);
        }
        self.blocks
            .resize(cols * usize::from(geometry.h_sub).max(1), [0; 64]);
    }

    fn decode(&mut self, src: &Prepared<'_>, g: &FrameGeometry, mcu_row: u32) {
        self.row = Some(mcu_row);
        let cols = self.c1 - self.c0;
        let BandDecoder {
            luma,
            chroma,
            blocks,
            c0,
            ..
        } = self;
        let [cb, cr] = chroma;
        for (p, plane) in PLANES.into_iter().enumerate() {
            let (per_x, per_y) = if p == 0 {
                (u32::from(g.h_sub), u32::from(g.v_sub))
            } else {
                (1, 1)
            };
            let n = (cols * per_x) as usize;
            let stride = 8 * n;
            // PLANES is Y, Cr, Cb.
            let buf = match p {
                0 => &mut *luma,
                1 => &mut *cr,
                _ => &mut *cb,
            };
            for j in 0..per_y {
                let addr = g.address(plane, *c0 * per_x, mcu_row * per_y + j) as usize;
                let row = src.blocks(p, addr, n, blocks);
                for (b, block) in row.iter().enumerate() {
                    let off = j as usize * 8 * stride + b * 8;
                    tessera_dsp::dequant_idct_put(block, &ONES, &mut buf[off..], stride);
                }
            }
        }
    }

    /// Row `y`, pixels `x0..x0 + out.len()` (frame coordinates); pixels
    /// outside the picture's true size are transparent.
    pub(crate) fn read(&mut self, src: &Prepared<'_>, y: u32, x0: u32, out: &mut Rows) {
        let Some(g) = self.geometry else {
            out.fill(CLEAR);
            return;
        };
        let (mw, mh) = (g.mcu_width(), g.mcu_height());
        let (from, to) = (
            x0.max(self.c0 * mw),
            (x0 + out.len() as u32)
                .min(self.c1 * mw)
                .min(u32::from(g.true_width)),
        );
        if y >= u32::from(g.true_height) || from >= to {
            out.fill(CLEAR);
            return;
        }
        let mcu_row = y / mh;
        if self.row != Some(mcu_row) {
            self.decode(src, &g, mcu_row);
        }
        let n = out.len();
        let (skip, len) = ((from - x0) as usize, (to - from) as usize);
        let [oy, ocb, ocr, oa] = out.ch_mut();
        for ch in [&mut *oy, &mut *ocb, &mut *ocr] {
            ch[..skip].fill(128.0);
            ch[skip + len..n].fill(128.0);
        }
        oy[..skip].fill(0.0);
        oy[skip + len..n].fill(0.0);
        oa[..skip].fill(0.0);
        oa[skip + len..n].fill(0.0);
        oa[skip..skip + len].fill(1.0);

        let line = (y - mcu_row * mh) as usize;
        let base = (self.c0 * mw) as usize;
        let stride = (self.c1 - self.c0) as usize * mw as usize;
        let row = &self.luma[line * stride..];
        for (o, &v) in oy[skip..skip + len]
            .iter_mut()
            .zip(&row[from as usize - base..])
        {
            *o = f32::from(v);
        }
        let cstride = (self.c1 - self.c0) as usize * 8;
        let cline = line >> g.v_sub.trailing_zeros();
        let cbase = (self.c0 * 8) as usize;
        for (o, plane) in [&mut *ocb, &mut *ocr].into_iter().zip(&self.chroma) {
            let row = &plane[cline * cstride..(cline + 1) * cstride];
            let o = &mut o[skip..skip + len];
            match g.h_sub {
                1 => upsample::<1>(o, row, from as usize - cbase),
                2 => upsample::<2>(o, row, from as usize - cbase * 2),
                _ => upsample::<4>(o, row, from as usize - cbase * 4),
            }
        }
    }
}

/// `dst[i] = src[(phase + i) / F]`: chroma repeated over its cell, run by
/// run so the loops vectorize.
#[inline(always)]
fn upsample<const F: usize>(dst: &mut [f32], src: &[u8], phase: usize) {
    let (first, lead) = (phase / F, (F - phase % F) % F);
    let lead = lead.min(dst.len());
    let (head, rest) = dst.split_at_mut(lead);
    head.fill(f32::from(src[first]));
    let start = first + usize::from(lead > 0);
    let last = start + rest.len() / F;
    let mut cells = rest.chunks_exact_mut(F);
    for (cell, &v) in (&mut cells).zip(&src[start..]) {
        cell.fill(f32::from(v));
    }
    let tail = cells.into_remainder();
    if !tail.is_empty() {
        tail.fill(f32::from(src[last]));
    }
}

#[cfg(test)]
mod tests {
    use super::upsample;

    #[test]
    fn upsampling_repeats_each_sample_over_its_cell() {
        let src: Vec<u8> = (0..20).collect();
        for phase in 0..9 {
            for len in 0..13 {
                let mut got = vec![-1.0; len];
                let mut want = vec![-1.0; len];
                upsample::<2>(&mut got, &src, phase);
                for (i, w) in want.iter_mut().enumerate() {
                    *w = f32::from(src[(phase + i) / 2]);
                }
                assert_eq!(got, want, "F=2 phase {phase} len {len}");
                upsample::<4>(&mut got, &src, phase);
                for (i, w) in want.iter_mut().enumerate() {
                    *w = f32::from(src[(phase + i) / 4]);
                }
                assert_eq!(got, want, "F=4 phase {phase} len {len}");
                upsample::<1>(&mut got, &src, phase);
                for (i, w) in want.iter_mut().enumerate() {
                    *w = f32::from(src[phase + i]);
                }
                assert_eq!(got, want, "F=1 phase {phase} len {len}");
            }
        }
    }
}
