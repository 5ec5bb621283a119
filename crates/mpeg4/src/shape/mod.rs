//! Binary shape coding of ISO/IEC 14496-2 (`video_object_layer_shape` =
//! binary, Core Profile): the 16x16 binary alpha blocks (BABs) of clause
//! 7.5 and the `binary_shape()` syntax of 6.2.6.1 / 6.3.6.
//!
//! | module | what |
//! | --- | --- |
//! | [`cae`] | the binary arithmetic coder of CAE (7.5.3), encoder and decoder |
//! | [`syntax`] | `bab_type` (I- and P-VOPs), `mvds_x`/`mvds_y`, `conv_ratio` |
//! | [`bab`] | a BAB's data: contexts, scan transposition, conversion ratios, the encoder's mode decision |
//! | [`tables`] | the standard's tables: CAE probabilities, shape VLCs, up-sampling thresholds |
//! | [`vop`] | VOP formation: the bounding rectangle on the macroblock grid, crops, chroma shape |
//! | [`pad`] | padding: the reference VOP's (normative) and intra boundary blocks' (encoder) |
//!
//! # Data layout
//!
//! A BAB ([`Bab`]) is 256 bytes, row-major 16x16, `0` transparent and
//! `255` opaque; on input any nonzero byte counts as opaque, on output
//! pixels are exactly 0 or 255. Coordinates in [`BabBorder`] and
//! [`PredBab`] are relative to the BAB's top-left pixel.
//!
//! # What the macroblock layer does
//!
//! Per macroblock, before the texture: build the [`BabBorder`] from the
//! current VOP's reconstructed alpha (neighbours outside the VOP or the
//! video packet are transparent); in P-VOPs form the shape motion vector
//! predictor with [`ShapeMv::predict`], and the motion-compensated
//! [`PredBab`] from the previous VOP's reconstructed alpha. Then
//! [`bab::BabEncoder`] or [`bab::decode_bab_i`] / [`bab::decode_bab_p`] do
//! the rest and return the reconstructed BAB, its `bab_type` (the
//! neighbours' and the next VOP's context) and the shape MV (the next
//! BABs' prediction candidates).

pub mod bab;
pub mod cae;
mod grid;
pub mod layer;
pub mod pad;
pub mod syntax;
pub mod tables;
pub mod vop;

pub use bab::{BabEncoder, CodedBab, DecodedBab, decode_bab_data, decode_bab_i, decode_bab_p};
pub use syntax::{BabType, ConvRatio, IntraBabTypeContext};

/// Side of a binary alpha block.
pub const BAB_SIZE: usize = 16;

/// A 16x16 binary alpha block, row-major, 0 transparent, 255 opaque.
pub type Bab = [u8; BAB_SIZE * BAB_SIZE];

/// The reconstructed shape around a BAB that its coding depends on (7.5.3):
/// two rows above it from two pixels left of it to two pixels right of it
/// (the top-left, top and top-right BABs), and two columns left of it (the
/// left BAB). Pixels are 0 (transparent) or 1 (opaque).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BabBorder {
    /// `top[t][x + 2]`: the pixel at row `t - 2`, column `x`, for `x` in
    /// `-2..18`.
    pub top: [[u8; 20]; 2],
    /// `left[y][c]`: the pixel at row `y`, column `c - 2`.
    pub left: [[u8; 2]; 16],
}

impl BabBorder {
    /// A border of transparent pixels (no neighbours).
    pub fn transparent() -> BabBorder {
        BabBorder {
            top: [[0; 20]; 2],
            left: [[0; 2]; 16],
        }
    }

    /// A border whose pixel at (x, y) (relative to the BAB) is `opaque(x, y)`.
    pub fn from_fn(mut opaque: impl FnMut(i32, i32) -> bool) -> BabBorder {
        let mut b = BabBorder::transparent();
        for t in 0..2 {
            for i in 0..20 {
                b.top[t][i] = u8::from(opaque(i as i32 - 2, t as i32 - 2));
            }
        }
        for y in 0..16 {
            for c in 0..2 {
                b.left[y][c] = u8::from(opaque(c as i32 - 2, y as i32));
            }
        }
        b
    }

    /// The border of the BAB at pixel (`x0`, `y0`) of an alpha plane
    /// (`width` x `height`, `stride` bytes a row, nonzero opaque); pixels
    /// outside the plane are transparent. Neighbouring BABs of another
    /// video packet must be made transparent by the caller (use
    /// [`BabBorder::from_fn`]).
    pub fn from_plane(
        alpha: &[u8],
        stride: usize,
        width: usize,
        height: usize,
        x0: i32,
        y0: i32,
    ) -> BabBorder {
        BabBorder::from_fn(|x, y| plane_px(alpha, stride, width, height, x0 + x, y0 + y) != 0)
    }
}

fn plane_px(alpha: &[u8], stride: usize, width: usize, height: usize, x: i32, y: i32) -> u8 {
    if x < 0 || y < 0 || x as usize >= width || y as usize >= height {
        return 0;
    }
    alpha
        .get(y as usize * stride + x as usize)
        .copied()
        .unwrap_or(0)
}

/// The motion-compensated BAB of inter shape coding (7.5.2): the 18x18
/// block of the previous VOP's shape at the shape motion vector, i.e. the
/// 16x16 prediction with a 1-pixel border. Pixels are 0 or 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredBab {
    px: [u8; 18 * 18],
}

impl PredBab {
    /// The prediction whose pixel at (x, y), for x, y in `-1..=16`, is
    /// `opaque(x, y)`.
    pub fn from_fn(mut opaque: impl FnMut(i32, i32) -> bool) -> PredBab {
        let mut px = [0; 324];
        for y in 0..18 {
            for x in 0..18 {
                px[y * 18 + x] = u8::from(opaque(x as i32 - 1, y as i32 - 1));
            }
        }
        PredBab { px }
    }

    /// The prediction for the BAB at (`x0`, `y0`) with shape motion vector
    /// `mv` from the reference alpha plane; pixels outside the plane are
    /// transparent.
    pub fn from_plane(
        reference: &[u8],
        stride: usize,
        width: usize,
        height: usize,
        x0: i32,
        y0: i32,
        mv: ShapeMv,
    ) -> PredBab {
        PredBab::from_fn(|x, y| {
            plane_px(
                reference,
                stride,
                width,
                height,
                x0 + mv.x + x,
                y0 + mv.y + y,
            ) != 0
        })
    }

    /// The pixel at (y, x), x and y in `-1..=16`.
    #[inline]
    pub fn at(&self, y: isize, x: isize) -> u8 {
        self.px[(y + 1) as usize * 18 + (x + 1) as usize]
    }

    /// The 16x16 prediction itself as a BAB (0/255): the reconstruction of
    /// the "no update" BAB types.
    pub fn interior(&self) -> Bab {
        let mut b = [0; 256];
        for y in 0..16 {
            for x in 0..16 {
                b[y * 16 + x] = self.at(y as isize, x as isize) * 255;
            }
        }
        b
    }
}

/// A shape motion vector in whole pixels (7.5.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ShapeMv {
    pub x: i32,
    pub y: i32,
}

impl ShapeMv {
    pub const ZERO: ShapeMv = ShapeMv { x: 0, y: 0 };

    pub fn new(x: i32, y: i32) -> ShapeMv {
        ShapeMv { x, y }
    }

    /// A texture motion vector in half-pel units as a shape prediction
    /// candidate: whole pixels, truncated toward zero (quarter-pel vectors
    /// are divided by 2 first the same way).
    pub fn from_half_pel(x: i32, y: i32) -> ShapeMv {
        ShapeMv { x: x / 2, y: y / 2 }
    }

    /// The shape motion vector predictor MVPs (7.5.2.1): the first
    /// available candidate in the standard's order `[MVs1, MVs2, MVs3, MV1,
    /// MV2, MV3]`: the shape vectors of the left, above and above-right
    /// BABs (available when that BAB has a shape vector, i.e. `bab_type`
    /// 0, 1, 5 or 6, and lies in the VOP and video packet), then the
    /// texture vectors of the adjacent 8x8 blocks of those macroblocks (see
    /// [`ShapeMv::from_half_pel`]; available for inter macroblocks of a
    /// P-VOP); (0, 0) when none is.
    pub fn predict(candidates: [Option<ShapeMv>; 6]) -> ShapeMv {
        candidates.into_iter().flatten().next().unwrap_or_default()
    }
}

/// Whether `recon` approximates `orig` acceptably for `alpha_threshold`:
/// in every 4x4 pixel block, the sum of absolute differences (pixels as
/// 0/255, nonzero input counting as 255) is at most the threshold. A
/// threshold of 0 demands an exact match.
pub fn acceptable(orig: &Bab, recon: &Bab, alpha_threshold: u32) -> bool {
    (0..16).all(|b| {
        let (by, bx) = (b / 4 * 4, b % 4 * 4);
        let mut sad = 0u32;
        for y in by..by + 4 {
            for x in bx..bx + 4 {
                let o = u32::from(orig[y * 16 + x] != 0) * 255;
                let r = u32::from(recon[y * 16 + x] != 0) * 255;
                sad += o.abs_diff(r);
            }
        }
        sad <= alpha_threshold
    })
}

#[cfg(test)]
mod tests;
