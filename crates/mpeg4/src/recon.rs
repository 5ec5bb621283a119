//! Macroblock reconstruction shared by the encoder and the decoder: from an
//! `MbCode` and the prediction state to the macroblock's samples. Sharing it
//! is what makes the decoder reproduce the encoder's reconstruction bit for
//! bit.

use crate::block::{add_residual, put_clamped};
use crate::error::{Error, Result};
use crate::header::{QuantType, VopType};
use crate::mb::MbCode;
use crate::mc::{self, HalfPlanes, chroma_mv_1, chroma_mv_n};
use crate::picture::Picture;
use crate::pred::{Direction, PredState, wrap_mv};
use crate::quant::{dc_scaler, dequantize_block, round_div};
use crate::tables::{ALTERNATE_HORIZONTAL, ALTERNATE_VERTICAL, ZIGZAG};
use tessera_dsp::scan::nonzero_mask;

/// Samples of one macroblock: 16x16 luma, then 8x8 Cb and 8x8 Cr.
pub type MbPixels = [u8; 384];

/// Offset of block `b` in `MbPixels` and its row stride.
#[inline]
pub fn block_layout(b: usize) -> (usize, usize) {
    match b {
        0..=3 => ((b >> 1) * 128 + (b & 1) * 8, 16),
        4 => (256, 8),
        _ => (320, 8),
    }
}

/// Where an inter macroblock's motion-compensated prediction comes from
/// in `reconstruct_mb`.
#[derive(Debug, Clone, Copy)]
pub enum Prediction {
    /// Form it from the reference (decoders).
    Compute,
    /// The output buffer holds it already (what `predict_mb_with` gives
    /// for the macroblock's vectors), and the prediction state holds the
    /// vectors: an encoder, which formed both.
    InOut,
}

/// What a VOP's macroblocks share.
#[derive(Debug, Clone, Copy)]
pub struct VopContext<'a> {
    pub kind: VopType,
    pub quant: &'a QuantType,
    pub rounding: bool,
    pub fcode: u8,
    pub reference: Option<&'a Picture>,
}

/// The scan an intra block uses (7.4.2): zigzag without AC prediction,
/// otherwise the alternate scan across the prediction direction.
#[inline]
pub fn intra_scan(ac_pred: bool, direction: Direction) -> &'static [u8; 64] {
    match (ac_pred, direction) {
        (false, _) => &ZIGZAG,
        (true, Direction::Vertical) => &ALTERNATE_HORIZONTAL,
        (true, Direction::Horizontal) => &ALTERNATE_VERTICAL,
    }
}

/// The motion vectors of an inter macroblock from its differentials:
/// luma vectors per block, recorded in `state` as they are formed.
#[allow(clippy::needless_range_loop)]
pub fn decode_vectors(
    state: &mut PredState,
    mbx: usize,
    mby: usize,
    packet: u32,
    m: &MbCode,
    fcode: u8,
) -> [[i32; 2]; 4] {
    let mut mvs = [[0i32; 2]; 4];
    if m.not_coded || m.mb_type.is_intra() {
        state.set_mv_all(mbx, mby, [0, 0]);
        return mvs;
    }
    if m.mb_type.vectors() == 1 {
        let p = state.mv_pred(mbx, mby, 0, packet);
        let v = [
            wrap_mv(p[0] + m.mvd[0][0], fcode),
            wrap_mv(p[1] + m.mvd[0][1], fcode),
        ];
        state.set_mv_all(mbx, mby, v);
        mvs = [v; 4];
    } else {
        for b in 0..4 {
            if m.block_transparent(b) {
                continue;
            }
            let p = state.mv_pred(mbx, mby, b, packet);
            let v = [
                wrap_mv(p[0] + m.mvd[b][0], fcode),
                wrap_mv(p[1] + m.mvd[b][1], fcode),
            ];
            state.set_mv(mbx, mby, b, v);
            mvs[b] = v;
        }
        if m.transparent & 0x3c != 0 {
            // Transparent blocks take a sibling's vector (the reference
            // software's order), for their prediction and for later
            // macroblocks' vector predictors.
            const SIBLINGS: [[usize; 3]; 4] = [[1, 2, 3], [0, 3, 2], [3, 0, 1], [2, 1, 0]];
            for b in 0..4 {
                if m.block_transparent(b)
                    && let Some(&s) = SIBLINGS[b].iter().find(|&&s| !m.block_transparent(s))
                {
                    mvs[b] = mvs[s];
                    state.set_mv(mbx, mby, b, mvs[b]);
                }
            }
        }
    }
    mvs
}

/// Motion-compensated prediction of a whole macroblock. With `half`, luma
/// blocks come from the reference's precomputed half-sample planes (built
/// for the same rounding) where the block lies inside them: a copy instead
/// of an interpolation, the same samples. `transparent` are the
/// macroblock's transparent blocks in a shaped VOP (bits as in `cbp`, 0
/// otherwise): a four-vector macroblock's chroma vector comes from its
/// non-transparent blocks' vectors only.
#[allow(clippy::too_many_arguments)]
pub fn predict_mb_with(
    reference: &Picture,
    half: Option<&HalfPlanes>,
    mbx: usize,
    mby: usize,
    mvs: &[[i32; 2]; 4],
    four: bool,
    transparent: u8,
    rounding: bool,
    out: &mut MbPixels,
) {
    let (x, y) = ((mbx * 16) as isize, (mby * 16) as isize);
    let luma = &reference.planes[0];
    let luma_block =
        |bx: isize, by: isize, v: [i32; 2], w: usize, out: &mut [u8], stride: usize| {
            let (ix, iy) = (bx + (v[0] >> 1) as isize, by + (v[1] >> 1) as isize);
            match half {
                Some(h) if luma.contains(ix, iy, w + 1, w + 1) => {
                    let k = ((v[0] & 1) | (v[1] & 1) << 1) as usize;
                    let plane: &[u8] = if k == 0 { &luma.data } else { &h.planes[k - 1] };
                    let base = luma.index(ix, iy);
                    if w == 16 {
                        copy_block::<16>(&plane[base..], luma.stride, out, stride);
                    } else {
                        copy_block::<8>(&plane[base..], luma.stride, out, stride);
                    }
                }
                _ => mc::predict(luma, bx, by, v[0], v[1], w, w, rounding, out, stride),
            }
        };
    if four {
        for (b, v) in mvs.iter().enumerate() {
            let (off, stride) = block_layout(b);
            let (bx, by) = (x + ((b & 1) * 8) as isize, y + ((b >> 1) * 8) as isize);
            luma_block(bx, by, *v, 8, &mut out[off..], stride);
        }
    } else {
        luma_block(x, y, mvs[0], 16, &mut out[..], 16);
    }
    let (cx, cy) = if four {
        let opaque = || (0..4).filter(|&b| transparent & (0x20 >> b) == 0);
        let n = opaque().count();
        let sx: i32 = opaque().map(|b| mvs[b][0]).sum();
        let sy: i32 = opaque().map(|b| mvs[b][1]).sum();
        (chroma_mv_n(sx, n), chroma_mv_n(sy, n))
    } else {
        (chroma_mv_1(mvs[0][0]), chroma_mv_1(mvs[0][1]))
    };
    for (plane, off) in [(1usize, 256usize), (2, 320)] {
        mc::predict(
            &reference.planes[plane],
            x / 2,
            y / 2,
            cx,
            cy,
            8,
            8,
            rounding,
            &mut out[off..],
            8,
        );
    }
}

/// Copies a `W x W` block (fixed-size row copies: a vector move each).
#[inline]
fn copy_block<const W: usize>(src: &[u8], src_stride: usize, out: &mut [u8], stride: usize) {
    for r in 0..W {
        let row: &[u8; W] = src[r * src_stride..][..W].try_into().expect("W samples");
        out[r * stride..][..W].copy_from_slice(row);
    }
}

/// Reconstructs one macroblock into `out`, updating the prediction state.
/// `qp` is the macroblock's quantiser (after `dquant`). An encoder that has
/// already formed an inter macroblock's motion-compensated `prediction`
/// passes it in; it must be what `predict_mb_with` gives for the macroblock's
/// vectors.
#[allow(clippy::too_many_arguments)]
pub fn reconstruct_mb(
    state: &mut PredState,
    ctx: &VopContext<'_>,
    mbx: usize,
    mby: usize,
    packet: u32,
    qp: u8,
    m: &MbCode,
    prediction: Prediction,
    out: &mut MbPixels,
) -> Result<()> {
    let intra = !m.not_coded && m.mb_type.is_intra();
    state.begin_mb(mbx, mby, packet, intra, qp);
    if intra {
        for b in 0..6 {
            if m.block_transparent(b) {
                continue;
            }
            let mut qf = intra_levels(state, mbx, mby, b, packet, qp, m);
            let luma = b < 4;
            let dc = qf[0] as i32 * dc_scaler(qp, luma);
            qf[0] = 0;
            state.store_intra(mbx, mby, b, dc, &qf);
            dequantize_block(&mut qf, qp, true, ctx.quant, dc);
            let mut px = [0i16; 64];
            tessera_dsp::idct_8x8(&qf, &mut px);
            let (off, stride) = block_layout(b);
            put_clamped(out, off, stride, &px);
        }
        return Ok(());
    }
    let reference = ctx.reference.ok_or_else(|| Error::Syntax {
        bit: 0,
        what: "macroblock",
        detail: "inter macroblock without a reference VOP".into(),
    })?;
    let four = !m.not_coded && m.mb_type.vectors() == 4;
    match prediction {
        Prediction::Compute => {
            let mvs = decode_vectors(state, mbx, mby, packet, m, ctx.fcode);
            predict_mb_with(
                reference,
                None,
                mbx,
                mby,
                &mvs,
                four,
                m.transparent,
                ctx.rounding,
                out,
            )
        }
        Prediction::InOut => {}
    }
    if m.not_coded {
        return Ok(());
    }
    for b in 0..6 {
        if !m.block_coded(b) {
            continue;
        }
        // Inter blocks hold few levels: place only the non-zero ones.
        let mut coef = [0i16; 64];
        let levels = &m.levels[b];
        let mut nz = nonzero_mask(levels);
        while nz != 0 {
            let i = nz.trailing_zeros() as usize;
            nz &= nz - 1;
            coef[usize::from(ZIGZAG[i])] = levels[i];
        }
        dequantize_block(&mut coef, qp, false, ctx.quant, 0);
        let mut res = [0i16; 64];
        tessera_dsp::idct_8x8(&coef, &mut res);
        let (off, stride) = block_layout(b);
        add_residual(out, off, stride, &res);
    }
    Ok(())
}

/// The quantised coefficients (natural order) of intra block `b` with the
/// DC and AC predictions added back; `[0]` holds the DC level.
pub fn intra_levels(
    state: &PredState,
    mbx: usize,
    mby: usize,
    b: usize,
    packet: u32,
    qp: u8,
    m: &MbCode,
) -> [i16; 64] {
    let pred = state.intra_pred(mbx, mby, b, packet, qp);
    let scan = intra_scan(m.ac_pred, pred.direction);
    let mut qf = [0i16; 64];
    for i in 1..64 {
        qf[usize::from(scan[i])] = m.levels[b][i];
    }
    let scaler = dc_scaler(qp, b < 4);
    let dc_level = round_div(pred.dc, scaler) + m.dc_diff[b];
    qf[0] = dc_level.clamp(-2048, 2047) as i16;
    if m.ac_pred {
        for (k, &p) in pred.ac.iter().enumerate() {
            let pos = match pred.direction {
                Direction::Vertical => 1 + k,
                Direction::Horizontal => 8 * (1 + k),
            };
            qf[pos] = (i32::from(qf[pos]) + i32::from(p)).clamp(-2048, 2047) as i16;
        }
    }
    qf
}

/// Copies a macroblock's samples into a picture.
pub fn store_mb(pic: &mut Picture, mbx: usize, mby: usize, px: &MbPixels) {
    for r in 0..16 {
        let row = &mut pic.planes[0].row_mut(mby * 16 + r)[mbx * 16..mbx * 16 + 16];
        row.copy_from_slice(&px[r * 16..r * 16 + 16]);
    }
    for (plane, off) in [(1usize, 256usize), (2, 320)] {
        for r in 0..8 {
            let row = &mut pic.planes[plane].row_mut(mby * 8 + r)[mbx * 8..mbx * 8 + 8];
            row.copy_from_slice(&px[off + r * 8..off + r * 8 + 8]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mb::MbType;

    #[test]
    fn four_vectors_with_transparent_blocks() {
        // Macroblock (1, 0) of a 2x1 grid, block 0 (top left) transparent:
        // three vectors are coded, for blocks 1, 2 and 3.
        let mut state = PredState::new(2, 1);
        state.begin_mb(0, 0, 0, false, 5);
        state.set_mv_all(0, 0, [4, -2]);
        let mut m = MbCode::new(MbType::Inter4V);
        m.transparent = 0b100000;
        m.mvd = [[99, 99], [2, 0], [0, 2], [-2, -2]];
        state.set_transparent(1, 0, m.transparent);
        state.begin_mb(1, 0, 0, false, 5);
        let mvs = decode_vectors(&mut state, 1, 0, 0, &m, 1);
        // Block 1: its left candidate is transparent block 0 of this
        // macroblock (no candidate), above and above-right are outside:
        // predictor zero. Block 2: left is (0, 0)'s block 3 = (4, -2),
        // above is transparent block 0 (none), above-right block 1 =
        // (2, 0): median of (4, -2), (0, 0), (2, 0) = (2, 0).
        assert_eq!(mvs[1], [2, 0]);
        assert_eq!(mvs[2], [2, 2]);
        // Block 3: left block 2 (2, 2), above block 1 (2, 0), above-left
        // transparent block 0 (none): median with 0 = (2, 0), plus (-2, -2).
        assert_eq!(mvs[3], [0, -2]);
        // The transparent block takes block 1's vector (its first sibling).
        assert_eq!(mvs[0], mvs[1]);
        // Chroma from the three non-transparent vectors: sums 4 and 0 over
        // 12, rounded with the table for 12: 4 % 12 = 4 -> 1.
        assert_eq!(chroma_mv_n(4, 3), 1);
        assert_eq!(chroma_mv_n(-4, 3), -1);
        assert_eq!(chroma_mv_n(23, 3), 4);
        // Four blocks: the table for 16, as without shape.
        for s in -40..40 {
            assert_eq!(chroma_mv_n(s, 4), mc::chroma_mv_4(s));
        }
    }
}
