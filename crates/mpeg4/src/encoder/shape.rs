//! The encoder's side of binary shape: per macroblock, the BAB is chosen
//! and written before the texture, and its reconstruction tells the
//! texture coder which blocks are transparent.

use super::me::MbMotion;
use crate::bits::BitWriter;
use crate::header::VopType;
use crate::pred::PredState;
use crate::recon::MbPixels;
use crate::shape::layer::ShapeLayer;
use crate::shape::vop::VopRect;
use crate::shape::{Bab, BabEncoder, ShapeMv};

/// Coverage of a macroblock by the input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Transparent,
    Boundary,
    Opaque,
}

/// Shape coding state of one VOP.
#[derive(Debug, Clone)]
pub struct ShapeEnc {
    pub bab: BabEncoder,
    /// The input shape over the VOP (`layer.rect`), 0 or 255.
    pub input: Vec<u8>,
    /// Per macroblock, how the input shape covers it.
    pub coverage: Vec<Coverage>,
    /// The reconstructed shape as it is coded.
    pub layer: ShapeLayer,
    /// The previous VOP's reconstructed shape (P-VOPs).
    pub prev: Option<ShapeLayer>,
    /// Bits of shape data written this VOP.
    pub bits: u64,
    /// Whether the layer has texture (not binary-only): texture vectors
    /// are then shape vector candidates.
    pub texture: bool,
}

impl ShapeEnc {
    /// Starts a VOP over `rect` whose input shape is `input`.
    pub fn new(
        bab: BabEncoder,
        rect: VopRect,
        input: Vec<u8>,
        prev: Option<ShapeLayer>,
        texture: bool,
    ) -> ShapeEnc {
        let (mbw, mbh) = (rect.mb_width(), rect.mb_height());
        let mut coverage = Vec::with_capacity(mbw * mbh);
        for mby in 0..mbh {
            for mbx in 0..mbw {
                let mut opaque = 0;
                for y in 0..16 {
                    let row = (mby * 16 + y) * rect.width + mbx * 16;
                    opaque += input[row..row + 16].iter().filter(|&&a| a != 0).count();
                }
                coverage.push(match opaque {
                    0 => Coverage::Transparent,
                    256 => Coverage::Opaque,
                    _ => Coverage::Boundary,
                });
            }
        }
        ShapeEnc {
            bab,
            input,
            coverage,
            layer: ShapeLayer::new(rect),
            prev,
            bits: 0,
            texture,
        }
    }

    fn input_bab(&self, mbx: usize, mby: usize) -> Bab {
        let w = self.layer.rect.width;
        let mut b = [0u8; 256];
        for y in 0..16 {
            let row = (mby * 16 + y) * w + mbx * 16;
            b[y * 16..y * 16 + 16].copy_from_slice(&self.input[row..row + 16]);
        }
        b
    }

    /// Codes macroblock (mbx, mby)'s BAB into `w`; returns the
    /// macroblock's reconstructed alpha and transparent blocks (see
    /// [`ShapeLayer::mb_alpha`]). `state` holds the texture vectors of the
    /// macroblocks coded so far, `motion` the texture search's result for
    /// this one (a shape vector candidate).
    #[allow(clippy::too_many_arguments)]
    pub fn code_mb(
        &mut self,
        w: &mut BitWriter,
        kind: VopType,
        mbx: usize,
        mby: usize,
        state: &PredState,
        packet: u32,
        motion: &MbMotion,
    ) -> (MbPixels, u8) {
        let bab = self.input_bab(mbx, mby);
        let border = self.layer.border(mbx, mby);
        let coded = match (kind, &self.prev) {
            (VopType::P, Some(prev)) => {
                let colocated = self.layer.colocated(prev, mbx, mby);
                let mvp = self.layer.mv_predictor(mbx, mby, |x, y, b| {
                    self.texture
                        .then(|| state.inter_mv(x, y, b, packet))
                        .flatten()
                });
                // The shape vector: the candidate whose prediction misses
                // the fewest samples (the predictor first, so it wins ties).
                let texture = ShapeMv::from_half_pel(motion.mv[0], motion.mv[1]);
                let mut best = (u32::MAX, mvp);
                for mv in [mvp, texture, ShapeMv::ZERO] {
                    let p = self.layer.predicted(prev, mbx, mby, mv).interior();
                    let miss = p.iter().zip(&bab).filter(|(a, b)| a != b).count() as u32;
                    if miss < best.0 {
                        best = (miss, mv);
                    }
                }
                let mv = best.1;
                let pred = self.layer.predicted(prev, mbx, mby, mv);
                self.bab
                    .encode_p(w, &bab, &border, colocated, mvp, mv, &pred)
            }
            _ => self
                .bab
                .encode_i(w, &bab, &border, &self.layer.intra_context(mbx, mby)),
        };
        self.bits += coded.bits;
        self.layer
            .store(mbx, mby, &coded.recon, coded.bab_type, coded.mv);
        self.layer.mb_alpha(mbx, mby)
    }
}
