//! The shape of one VOP as its macroblocks are coded, shared by the encoder
//! and the decoder: the reconstructed alpha so far, each BAB's type and
//! shape vector, and from them the contexts the next BAB is coded in
//! (border, `bab_type` context, co-located BAB of the previous VOP, shape
//! vector predictor, motion-compensated BAB).

use super::vop::{VopRect, chroma_alpha_into};
use super::{Bab, BabBorder, BabType, IntraBabTypeContext, PredBab, ShapeMv};
use crate::recon::MbPixels;

/// A VOP's shape.
#[derive(Debug, Clone)]
pub struct ShapeLayer {
    pub rect: VopRect,
    pub mb_w: usize,
    pub mb_h: usize,
    /// Reconstructed alpha, `rect.width x rect.height`, 0 or 255.
    pub alpha: Vec<u8>,
    /// `bab_type` per macroblock (transparent until coded).
    pub types: Vec<BabType>,
    /// Shape vector per macroblock, for types that have one.
    pub mvs: Vec<Option<ShapeMv>>,
}

impl ShapeLayer {
    pub fn new(rect: VopRect) -> ShapeLayer {
        let (mb_w, mb_h) = (rect.mb_width(), rect.mb_height());
        ShapeLayer {
            rect,
            mb_w,
            mb_h,
            alpha: vec![0; rect.width * rect.height],
            types: vec![BabType::Transparent; mb_w * mb_h],
            mvs: vec![None; mb_w * mb_h],
        }
    }

    fn inside(&self, mbx: isize, mby: isize) -> Option<usize> {
        (mbx >= 0 && mby >= 0 && (mbx as usize) < self.mb_w && (mby as usize) < self.mb_h)
            .then(|| mby as usize * self.mb_w + mbx as usize)
    }

    /// The reconstructed shape around BAB (mbx, mby): neighbours outside the
    /// VOP are transparent.
    pub fn border(&self, mbx: usize, mby: usize) -> BabBorder {
        BabBorder::from_plane(
            &self.alpha,
            self.rect.width,
            self.rect.width,
            self.rect.height,
            (mbx * 16) as i32,
            (mby * 16) as i32,
        )
    }

    /// The `bab_type` context of an I-VOP BAB: its neighbours' types,
    /// transparent outside the VOP.
    pub fn intra_context(&self, mbx: usize, mby: usize) -> IntraBabTypeContext {
        let t = |dx: isize, dy: isize| {
            self.inside(mbx as isize + dx, mby as isize + dy)
                .map_or(BabType::Transparent, |i| self.types[i])
        };
        IntraBabTypeContext {
            top_left: t(-1, -1),
            top: t(0, -1),
            top_right: t(1, -1),
            left: t(-1, 0),
        }
    }

    /// The type of the BAB of `prev` (the reference VOP) co-located with
    /// BAB (mbx, mby) of this VOP, the context of its P-VOP `bab_type`: the
    /// BAB with the same macroblock indices in `prev`'s grid, clamped to its
    /// last column and row (the reference software's rule; the spatial
    /// references play no part).
    pub fn colocated(&self, prev: &ShapeLayer, mbx: usize, mby: usize) -> BabType {
        let x = mbx.min(prev.mb_w.saturating_sub(1));
        let y = mby.min(prev.mb_h.saturating_sub(1));
        prev.types
            .get(y * prev.mb_w + x)
            .copied()
            .unwrap_or(BabType::Transparent)
    }

    /// The shape vector predictor of BAB (mbx, mby) (7.5.2.1): the first
    /// available of the shape vectors of the left, above and above-right
    /// BABs, then the texture vectors of the adjacent 8x8 blocks of those
    /// macroblocks (`texture(mbx, mby, block)` gives a macroblock's block
    /// vector in half samples when it is an inter macroblock of this VOP).
    pub fn mv_predictor(
        &self,
        mbx: usize,
        mby: usize,
        texture: impl Fn(isize, isize, usize) -> Option<[i32; 2]>,
    ) -> ShapeMv {
        let (x, y) = (mbx as isize, mby as isize);
        // (macroblock, its 8x8 block adjacent to this one)
        let neighbours = [(x - 1, y, 1usize), (x, y - 1, 2), (x + 1, y - 1, 2)];
        let shape = neighbours.map(|(nx, ny, _)| self.inside(nx, ny).and_then(|i| self.mvs[i]));
        let tex = neighbours.map(|(nx, ny, b)| {
            self.inside(nx, ny)?;
            texture(nx, ny, b).map(|v| ShapeMv::from_half_pel(v[0], v[1]))
        });
        ShapeMv::predict([shape[0], shape[1], shape[2], tex[0], tex[1], tex[2]])
    }

    /// The motion-compensated BAB from `prev` for BAB (mbx, mby) of this
    /// VOP at shape vector `mv`, in scene coordinates; outside `prev`'s
    /// VOP the reference is transparent.
    pub fn predicted(&self, prev: &ShapeLayer, mbx: usize, mby: usize, mv: ShapeMv) -> PredBab {
        PredBab::from_plane(
            &prev.alpha,
            prev.rect.width,
            prev.rect.width,
            prev.rect.height,
            self.rect.x + (mbx * 16) as i32 - prev.rect.x,
            self.rect.y + (mby * 16) as i32 - prev.rect.y,
            mv,
        )
    }

    /// Records a coded BAB.
    pub fn store(&mut self, mbx: usize, mby: usize, bab: &Bab, t: BabType, mv: Option<ShapeMv>) {
        let i = mby * self.mb_w + mbx;
        self.types[i] = t;
        self.mvs[i] = mv;
        let w = self.rect.width;
        for y in 0..16 {
            let row = (mby * 16 + y) * w + mbx * 16;
            self.alpha[row..row + 16].copy_from_slice(&bab[y * 16..y * 16 + 16]);
        }
    }

    /// Macroblock (mbx, mby)'s alpha in [`MbPixels`] layout (luma, then the
    /// chroma shape for Cb and again for Cr) and its transparent blocks
    /// (bits `0x20 >> b`; `0x3f` when the whole macroblock is).
    pub fn mb_alpha(&self, mbx: usize, mby: usize) -> (MbPixels, u8) {
        let mut a = [0u8; 384];
        let w = self.rect.width;
        for y in 0..16 {
            let row = (mby * 16 + y) * w + mbx * 16;
            a[y * 16..y * 16 + 16].copy_from_slice(&self.alpha[row..row + 16]);
        }
        let (luma, chroma) = a.split_at_mut(256);
        chroma_alpha_into(luma, 16, 16, &mut chroma[..64]);
        chroma.copy_within(..64, 64);
        let mut transparent = 0u8;
        for b in 0..6 {
            let (off, stride) = crate::recon::block_layout(b);
            let empty = (0..8).all(|r| {
                a[off + r * stride..off + r * stride + 8]
                    .iter()
                    .all(|&v| v == 0)
            });
            if empty {
                transparent |= 0x20 >> b;
            }
        }
        (a, transparent)
    }
}
