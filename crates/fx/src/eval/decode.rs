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
        for (p, plane) in PLANES.into_iter().enumerate() {
            let (per_x, per_y) = if p == 0 {
                (u32::from(g.h_sub), u32::from(g.v_sub))
            } else {
                (1, 1)
            };
            let n = (cols * per_x) as usize;
            let stride = 8 * n;
            let buf = match p {
                0 => &mut self.luma,
                // PLANES is Y, Cr, Cb; chroma[0] is Cb.
                1 => &mut self.chroma[1],
                _ => &mut self.chroma[0],
            };
            for j in 0..per_y {
                let addr = g.address(plane, self.c0 * per_x, mcu_row * per_y + j) as usize;
                src.run(p, addr, n, &mut self.blocks);
                for (b, block) in self.blocks[..n].iter().enumerate() {
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
        let (hs, vs) = (g.h_sub.trailing_zeros(), g.v_sub.trailing_zeros());
        let cstride = (self.c1 - self.c0) as usize * 8;
        let cline = line >> vs;
        let cbase = (self.c0 * 8) as usize;
        for (o, plane) in [&mut *ocb, &mut *ocr].into_iter().zip(&self.chroma) {
            let row = &plane[cline * cstride..(cline + 1) * cstride];
            for (i, o) in o[skip..skip + len].iter_mut().enumerate() {
                *o = f32::from(row[((from as usize + i) >> hs) - cbase]);
            }
        }
    }
}
