//! Coding one binary alpha block (7.5): the CAE contexts, the scan
//! transposition, conversion ratios, and the encoder's choice of
//! `bab_type`.
//!
//! # The arithmetic-coded data (6.3.6, 7.5.3)
//!
//! After `bab_type` (and `mvds` for types 1 and 6), a CAE-coded BAB (types
//! 4, 5, 6) has `conv_ratio` (unless `change_conv_ratio_disable`), then
//! `scan_type` (1: rows; 0: the block is transposed, i.e. coded column by
//! column), then the arithmetic code of the `n x n` pixels (n = 16, 8 or 4
//! by the conversion ratio) in scan order. Each pixel is coded with a
//! context of already known pixels:
//!
//! ```text
//!  intra (10 pixels)        inter: current (4)    prediction (5)
//!
//!        c9 c8 c7
//!     c6 c5 c4 c3 c2              c3 c2 c1              c8
//!     c1 c0 X                     c0 X               c7 c6 c5
//!                                                       c4
//! ```
//!
//! with `context = sum(c_k << k)`, `c_k` 1 for opaque, the prediction
//! pixel `c6` at the position of `X` in the motion-compensated BAB (down-
//! sampled like the BAB for reduced ratios). Pixels above and left of the
//! block come from the neighbouring BABs ([`super::BabBorder`], subsampled
//! for reduced ratios); pixels right of the block repeat the last pixel of
//! their row as each row is completed. A transposed BAB is coded exactly
//! like the transposed block with transposed borders and prediction.
//!
//! A reduced BAB is up-sampled to 16x16 with the adaptive filter of 7.5.4.2
//! for the reconstruction.

use super::cae::{ArDecoder, ArEncoder};
use super::grid::{Grid, PredGrid, border_grid, downsample_bab, upsample};
use super::syntax::{
    BabType, ConvRatio, IntraBabTypeContext, MAX_MVDS, bab_type_p_bits, get_bab_type_i,
    get_bab_type_p, get_conv_ratio, get_mvds, put_bab_type_i, put_bab_type_p, put_conv_ratio,
    put_mvds,
};
use super::tables::{INTER_PROB, INTRA_PROB};
use super::{Bab, BabBorder, PredBab, ShapeMv, acceptable};
use crate::bits::{BitReader, BitWriter};
use crate::error::{Error, Result};

#[inline]
fn intra_context(g: &Grid, y: isize, x: isize) -> usize {
    let px = [
        g.at(y, x - 1),
        g.at(y, x - 2),
        g.at(y - 1, x + 2),
        g.at(y - 1, x + 1),
        g.at(y - 1, x),
        g.at(y - 1, x - 1),
        g.at(y - 1, x - 2),
        g.at(y - 2, x + 1),
        g.at(y - 2, x),
        g.at(y - 2, x - 1),
    ];
    px.iter()
        .enumerate()
        .map(|(k, &v)| usize::from(v) << k)
        .sum()
}

#[inline]
fn inter_context(g: &Grid, p: &PredGrid, y: isize, x: isize) -> usize {
    let px = [
        g.at(y, x - 1),
        g.at(y - 1, x + 1),
        g.at(y - 1, x),
        g.at(y - 1, x - 1),
        p.at(y + 1, x),
        p.at(y, x + 1),
        p.at(y, x),
        p.at(y, x - 1),
        p.at(y - 1, x),
    ];
    px.iter()
        .enumerate()
        .map(|(k, &v)| usize::from(v) << k)
        .sum()
}

#[inline]
fn probability(g: &Grid, pred: Option<&PredGrid>, y: isize, x: isize) -> u16 {
    match pred {
        None => INTRA_PROB[intra_context(g, y, x)],
        Some(p) => INTER_PROB[inter_context(g, p, y, x)],
    }
}

/// Arithmetic-codes the interior of `g` in raster order.
fn encode_cae(w: &mut BitWriter, g: &mut Grid, pred: Option<&PredGrid>) {
    let n = g.n as isize;
    let mut e = ArEncoder::new();
    for y in 0..n {
        for x in 0..n {
            let p0 = probability(g, pred, y, x);
            e.encode(w, g.at(y, x) != 0, p0);
        }
        g.extend_row(y);
    }
    e.finish(w);
}

/// Decodes the interior of `g` in raster order.
fn decode_cae(r: &mut BitReader<'_>, g: &mut Grid, pred: Option<&PredGrid>) -> Result<()> {
    let n = g.n as isize;
    let mut d = ArDecoder::new(r);
    for y in 0..n {
        for x in 0..n {
            let p0 = probability(g, pred, y, x);
            let bit = d.decode(r, p0)?;
            g.set(y, x, u8::from(bit));
        }
        g.extend_row(y);
    }
    d.finish(r)
}

/// The grid of `bab` coded at ratio `cr` with its borders.
fn coding_grid(bab: &Bab, border: &BabBorder, cr: ConvRatio) -> Grid {
    let f = cr.factor();
    let mut g = border_grid(border, f);
    if f == 1 {
        for y in 0..16 {
            for x in 0..16 {
                g.set(y as isize, x as isize, u8::from(bab[y * 16 + x] != 0));
            }
        }
    } else {
        let mut full = Grid::new(16);
        for y in 0..16 {
            for x in 0..16 {
                full.set(y as isize, x as isize, u8::from(bab[y * 16 + x] != 0));
            }
        }
        downsample_bab(&full, f, &mut g);
    }
    g
}

/// The reconstructed BAB of a coding grid (up-sampled when reduced).
fn reconstruct(g: &Grid) -> Bab {
    if g.n == 16 {
        g.to_bab()
    } else {
        upsample(g).to_bab()
    }
}

/// The reconstruction `bab` gets when coded at ratio `cr` (whatever the
/// scan and the intra/inter choice).
pub fn reconstruction_at(bab: &Bab, border: &BabBorder, cr: ConvRatio) -> Bab {
    reconstruct(&coding_grid(bab, border, cr))
}

fn all(v: u8) -> Bab {
    [v; 256]
}

/// Writes the data of a BAB that follows `bab_type` and `mvds`: nothing
/// for types 0 to 3, else `conv_ratio` (unless
/// `change_conv_ratio_disable`, when `cr` must be [`ConvRatio::One`]),
/// `scan_type` and the arithmetic code. `pred` is needed for types 0, 1, 5
/// and 6. Returns the reconstructed BAB, which [`decode_bab_data`]
/// reproduces.
#[allow(clippy::too_many_arguments)]
pub fn encode_bab_data(
    w: &mut BitWriter,
    bab_type: BabType,
    cr: ConvRatio,
    transposed: bool,
    bab: &Bab,
    border: &BabBorder,
    pred: Option<&PredBab>,
    change_conv_ratio_disable: bool,
) -> Bab {
    let pred_of = || pred.expect("an inter bab_type needs the motion-compensated BAB");
    match bab_type {
        BabType::Transparent => return all(0),
        BabType::Opaque => return all(255),
        BabType::MvdZeroNoUpdate | BabType::MvdNonZeroNoUpdate => return pred_of().interior(),
        _ => {}
    }
    assert!(
        !change_conv_ratio_disable || cr == ConvRatio::One,
        "conv_ratio is disabled"
    );
    if !change_conv_ratio_disable {
        put_conv_ratio(w, cr);
    }
    w.put_bit(!transposed);
    let g = coding_grid(bab, border, cr);
    let p = (bab_type != BabType::IntraCae)
        .then(|| PredGrid::from_pred(pred_of()).downsampled(cr.factor()));
    if transposed {
        let mut t = g.transposed();
        encode_cae(w, &mut t, p.map(|p| p.transposed()).as_ref());
    } else {
        encode_cae(w, &mut g.clone(), p.as_ref());
    }
    reconstruct(&g)
}

/// Reads the data of a BAB that follows `bab_type` and `mvds` (see
/// [`encode_bab_data`]) and returns the reconstructed BAB. `pred` must be
/// given for types 0, 1, 5 and 6; without it they are an error.
pub fn decode_bab_data(
    r: &mut BitReader<'_>,
    bab_type: BabType,
    border: &BabBorder,
    pred: Option<&PredBab>,
    change_conv_ratio_disable: bool,
) -> Result<Bab> {
    let need_pred = || {
        pred.ok_or_else(|| Error::Syntax {
            bit: r.position(),
            what: "bab_type",
            detail: format!("{bab_type:?} without a reference shape"),
        })
    };
    match bab_type {
        BabType::Transparent => return Ok(all(0)),
        BabType::Opaque => return Ok(all(255)),
        BabType::MvdZeroNoUpdate | BabType::MvdNonZeroNoUpdate => {
            return Ok(need_pred()?.interior());
        }
        _ => {}
    }
    let pred = if bab_type == BabType::IntraCae {
        None
    } else {
        Some(need_pred()?)
    };
    let cr = if change_conv_ratio_disable {
        ConvRatio::One
    } else {
        get_conv_ratio(r)?
    };
    let transposed = !r.get_bit()?;
    let mut g = border_grid(border, cr.factor());
    let p = pred.map(|p| PredGrid::from_pred(p).downsampled(cr.factor()));
    if transposed {
        let mut t = g.transposed();
        decode_cae(r, &mut t, p.map(|p| p.transposed()).as_ref())?;
        g = t.transposed();
    } else {
        decode_cae(r, &mut g, p.as_ref())?;
    }
    Ok(reconstruct(&g))
}

/// What the encoder chose for a BAB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedBab {
    pub bab_type: BabType,
    /// The conversion ratio and whether the scan was transposed, for
    /// CAE-coded types.
    pub conv_ratio: Option<ConvRatio>,
    pub transposed: bool,
    /// The shape motion vector, for types 0, 1, 5 and 6.
    pub mv: Option<ShapeMv>,
    /// The reconstructed BAB (0/255), what the decoder will produce.
    pub recon: Bab,
    /// Bits written, `bab_type` included.
    pub bits: u64,
}

/// The encoder of BABs: chooses `bab_type`, the conversion ratio and the
/// scan, and writes the BAB.
///
/// The choice: all transparent or all opaque when that is acceptable (see
/// [`super::acceptable`]; both acceptable: the majority); in P-VOPs the
/// motion-compensated BAB without update when acceptable; else CAE at the
/// coarsest conversion ratio whose reconstruction is acceptable (1/4, 1/2,
/// then 1), with the scan (and in P-VOPs intra or inter CAE) that takes the
/// fewest bits. With `alpha_threshold` 0 the reconstruction is the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BabEncoder {
    /// The largest acceptable sum of absolute differences (pixels as 0/255)
    /// in a 4x4 block; 0 for lossless shape.
    pub alpha_threshold: u32,
    /// `change_conv_ratio_disable` of the VOP header: every BAB at ratio 1,
    /// no `conv_ratio` sent.
    pub change_conv_ratio_disable: bool,
}

/// A trial coding of a BAB into its own writer.
struct Trial {
    w: BitWriter,
    coded: CodedBab,
}

impl BabEncoder {
    /// The constant type (2 or 3) if acceptable.
    fn constant_type(&self, bab: &Bab) -> Option<BabType> {
        let opaque = bab.iter().filter(|&&v| v != 0).count();
        let t_ok = acceptable(bab, &all(0), self.alpha_threshold);
        let o_ok = acceptable(bab, &all(255), self.alpha_threshold);
        match (t_ok, o_ok) {
            (true, true) if opaque >= 128 => Some(BabType::Opaque),
            (true, _) => Some(BabType::Transparent),
            (false, true) => Some(BabType::Opaque),
            (false, false) => None,
        }
    }

    /// The coarsest acceptable conversion ratio.
    fn conv_ratio(&self, bab: &Bab, border: &BabBorder) -> ConvRatio {
        if self.change_conv_ratio_disable {
            return ConvRatio::One;
        }
        for cr in [ConvRatio::Quarter, ConvRatio::Half] {
            if acceptable(
                bab,
                &reconstruction_at(bab, border, cr),
                self.alpha_threshold,
            ) {
                return cr;
            }
        }
        ConvRatio::One
    }

    /// Codes `head` (bab_type and mvds) then the CAE data in both scans,
    /// keeping the shorter.
    #[allow(clippy::too_many_arguments)]
    fn cae_trials(
        &self,
        head: &BitWriter,
        bab_type: BabType,
        cr: ConvRatio,
        bab: &Bab,
        border: &BabBorder,
        pred: Option<&PredBab>,
        mv: Option<ShapeMv>,
    ) -> Trial {
        let mut best: Option<Trial> = None;
        for transposed in [false, true] {
            let mut w = head.clone();
            let recon = encode_bab_data(
                &mut w,
                bab_type,
                cr,
                transposed,
                bab,
                border,
                pred,
                self.change_conv_ratio_disable,
            );
            let bits = w.bit_len();
            if best.as_ref().is_none_or(|b| bits < b.coded.bits) {
                best = Some(Trial {
                    w,
                    coded: CodedBab {
                        bab_type,
                        conv_ratio: Some(cr),
                        transposed,
                        mv,
                        recon,
                        bits,
                    },
                });
            }
        }
        best.expect("two trials")
    }

    fn emit(w: &mut BitWriter, t: Trial) -> CodedBab {
        w.append(&t.w);
        t.coded
    }

    /// Encodes a BAB of an I-VOP. `ctx` holds the neighbours' types.
    pub fn encode_i(
        &self,
        w: &mut BitWriter,
        bab: &Bab,
        border: &BabBorder,
        ctx: &IntraBabTypeContext,
    ) -> CodedBab {
        if let Some(t) = self.constant_type(bab) {
            let start = w.bit_len();
            put_bab_type_i(w, ctx, t);
            return CodedBab {
                bab_type: t,
                conv_ratio: None,
                transposed: false,
                mv: None,
                recon: all(if t == BabType::Opaque { 255 } else { 0 }),
                bits: w.bit_len() - start,
            };
        }
        let cr = self.conv_ratio(bab, border);
        let mut head = BitWriter::new();
        put_bab_type_i(&mut head, ctx, BabType::IntraCae);
        let t = self.cae_trials(&head, BabType::IntraCae, cr, bab, border, None, None);
        BabEncoder::emit(w, t)
    }

    /// Encodes a BAB of a P-VOP: `colocated` is the type of the BAB at the
    /// same place in the previous VOP, `mvp` the shape MV predictor, `mv`
    /// the shape MV the caller's motion search chose and `pred` the
    /// motion-compensated BAB for `mv`. Motion is used only when `mv - mvp`
    /// is within ±16 in both components.
    #[allow(clippy::too_many_arguments)]
    pub fn encode_p(
        &self,
        w: &mut BitWriter,
        bab: &Bab,
        border: &BabBorder,
        colocated: BabType,
        mvp: ShapeMv,
        mv: ShapeMv,
        pred: &PredBab,
    ) -> CodedBab {
        let mvd = ShapeMv::new(mv.x - mvp.x, mv.y - mvp.y);
        let motion_ok = mvd.x.abs() <= MAX_MVDS && mvd.y.abs() <= MAX_MVDS;
        let head = |t: BabType| {
            let mut h = BitWriter::new();
            put_bab_type_p(&mut h, colocated, t);
            if t.has_mvds() {
                put_mvds(&mut h, mvd.x, mvd.y);
            }
            h
        };
        let simple = |t: BabType, recon: Bab| {
            let h = head(t);
            let bits = h.bit_len();
            Trial {
                w: h,
                coded: CodedBab {
                    bab_type: t,
                    conv_ratio: None,
                    transposed: false,
                    mv: t.uses_motion().then_some(mv),
                    recon,
                    bits,
                },
            }
        };
        if let Some(t) = self.constant_type(bab) {
            let v = if t == BabType::Opaque { 255 } else { 0 };
            return BabEncoder::emit(w, simple(t, all(v)));
        }
        let mvd_zero = mvd == ShapeMv::ZERO;
        if motion_ok && acceptable(bab, &pred.interior(), self.alpha_threshold) {
            let t = if mvd_zero {
                BabType::MvdZeroNoUpdate
            } else {
                BabType::MvdNonZeroNoUpdate
            };
            return BabEncoder::emit(w, simple(t, pred.interior()));
        }
        let cr = self.conv_ratio(bab, border);
        let intra = self.cae_trials(
            &head(BabType::IntraCae),
            BabType::IntraCae,
            cr,
            bab,
            border,
            None,
            None,
        );
        if !motion_ok {
            return BabEncoder::emit(w, intra);
        }
        let t = if mvd_zero {
            BabType::InterCaeMvdZero
        } else {
            BabType::InterCaeMvdNonZero
        };
        let inter = self.cae_trials(&head(t), t, cr, bab, border, Some(pred), Some(mv));
        debug_assert!(bab_type_p_bits(colocated, t) > 0);
        if inter.coded.bits < intra.coded.bits {
            BabEncoder::emit(w, inter)
        } else {
            BabEncoder::emit(w, intra)
        }
    }
}

/// A decoded BAB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBab {
    pub bab_type: BabType,
    /// The shape motion vector, for types 0, 1, 5 and 6.
    pub mv: Option<ShapeMv>,
    /// The reconstructed BAB (0/255).
    pub bab: Bab,
}

/// Decodes a BAB of an I-VOP: `bab_type` and its data.
pub fn decode_bab_i(
    r: &mut BitReader<'_>,
    ctx: &IntraBabTypeContext,
    border: &BabBorder,
    change_conv_ratio_disable: bool,
) -> Result<DecodedBab> {
    let bab_type = get_bab_type_i(r, ctx)?;
    let bab = decode_bab_data(r, bab_type, border, None, change_conv_ratio_disable)?;
    Ok(DecodedBab {
        bab_type,
        mv: None,
        bab,
    })
}

/// Decodes a BAB of a P-VOP: `bab_type`, `mvds`, and the data. `mc` makes
/// the motion-compensated BAB for a shape motion vector (e.g. with
/// [`PredBab::from_plane`]); it is called only for types that use motion.
pub fn decode_bab_p(
    r: &mut BitReader<'_>,
    colocated: BabType,
    border: &BabBorder,
    mvp: ShapeMv,
    change_conv_ratio_disable: bool,
    mc: impl FnOnce(ShapeMv) -> PredBab,
) -> Result<DecodedBab> {
    let bab_type = get_bab_type_p(r, colocated)?;
    let mvd = if bab_type.has_mvds() {
        get_mvds(r)?
    } else {
        (0, 0)
    };
    let (mv, pred) = if bab_type.uses_motion() {
        let mv = ShapeMv::new(mvp.x + mvd.0, mvp.y + mvd.1);
        (Some(mv), Some(mc(mv)))
    } else {
        (None, None)
    };
    let bab = decode_bab_data(
        r,
        bab_type,
        border,
        pred.as_ref(),
        change_conv_ratio_disable,
    )?;
    Ok(DecodedBab { bab_type, mv, bab })
}
