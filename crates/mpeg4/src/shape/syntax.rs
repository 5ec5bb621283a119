//! The variable-length coded elements of `binary_shape()` (6.2.6.1 / 6.3.6):
//! `bab_type` in I- and P-VOPs, the shape motion vector difference `mvds_x`
//! / `mvds_y`, and `conv_ratio`. The arithmetic-coded BAB data and
//! `scan_type` are in [`super::bab`].
//!
//! The tables are tiny (at most 17 codewords), so decoding tries each
//! codeword of the table in turn.

use super::tables::{BAB_TYPE_I_LEN, BAB_TYPE_P, CONV_RATIO, MVDS, MVDS_Y_ONLY, Vlc};
use crate::bits::{BitReader, BitWriter};
use crate::error::Result;
use crate::vlc::{get_listed, put_vlc};

/// `bab_type` (6.3.6, the table of BAB types), numbered as the standard
/// numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BabType {
    /// 0: the motion-compensated BAB, shape MV = prediction (MVDs == 0).
    MvdZeroNoUpdate = 0,
    /// 1: the motion-compensated BAB, with a coded MVDs.
    MvdNonZeroNoUpdate = 1,
    /// 2: all pixels transparent.
    Transparent = 2,
    /// 3: all pixels opaque.
    Opaque = 3,
    /// 4: intra CAE.
    IntraCae = 4,
    /// 5: inter CAE, MVDs == 0.
    InterCaeMvdZero = 5,
    /// 6: inter CAE with a coded MVDs.
    InterCaeMvdNonZero = 6,
}

impl BabType {
    pub const ALL: [BabType; 7] = [
        BabType::MvdZeroNoUpdate,
        BabType::MvdNonZeroNoUpdate,
        BabType::Transparent,
        BabType::Opaque,
        BabType::IntraCae,
        BabType::InterCaeMvdZero,
        BabType::InterCaeMvdNonZero,
    ];

    pub fn from_index(i: usize) -> Option<BabType> {
        BabType::ALL.get(i).copied()
    }

    /// Whether `mvds_x`/`mvds_y` follow the type.
    pub fn has_mvds(self) -> bool {
        matches!(
            self,
            BabType::MvdNonZeroNoUpdate | BabType::InterCaeMvdNonZero
        )
    }

    /// Whether the BAB uses a shape motion vector (types 0, 1, 5, 6).
    pub fn uses_motion(self) -> bool {
        matches!(
            self,
            BabType::MvdZeroNoUpdate
                | BabType::MvdNonZeroNoUpdate
                | BabType::InterCaeMvdZero
                | BabType::InterCaeMvdNonZero
        )
    }

    /// Whether arithmetic-coded data (conv_ratio, scan_type, CAE) follows.
    pub fn is_cae(self) -> bool {
        matches!(
            self,
            BabType::IntraCae | BabType::InterCaeMvdZero | BabType::InterCaeMvdNonZero
        )
    }

    /// Whether the type may appear in an I-VOP (2, 3, 4).
    pub fn is_intra(self) -> bool {
        matches!(
            self,
            BabType::Transparent | BabType::Opaque | BabType::IntraCae
        )
    }
}

/// The context of `bab_type` in an I-VOP: the types of the top-left, top,
/// top-right and left BABs. Neighbours outside the VOP or the video packet
/// are [`BabType::Transparent`]. All four must be I-VOP types (2, 3, 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntraBabTypeContext {
    pub top_left: BabType,
    pub top: BabType,
    pub top_right: BabType,
    pub left: BabType,
}

impl IntraBabTypeContext {
    /// All neighbours transparent (e.g. the first BAB of a VOP).
    pub const TRANSPARENT: IntraBabTypeContext = IntraBabTypeContext {
        top_left: BabType::Transparent,
        top: BabType::Transparent,
        top_right: BabType::Transparent,
        left: BabType::Transparent,
    };

    /// Row of [`BAB_TYPE_I_LEN`]; non-intra neighbours (a caller error) are
    /// treated as transparent.
    fn index(&self) -> usize {
        let d = |t: BabType| if t.is_intra() { t as usize - 2 } else { 0 };
        27 * d(self.top_left) + 9 * d(self.top) + 3 * d(self.top_right) + d(self.left)
    }
}

/// The I-VOP `bab_type` codeword of `t` (2, 3 or 4) in context `ctx`.
pub fn bab_type_i_code(ctx: &IntraBabTypeContext, t: BabType) -> Vlc {
    assert!(t.is_intra(), "bab_type {t:?} in an I-VOP");
    let len = BAB_TYPE_I_LEN[ctx.index()][t as usize - 2];
    Vlc { code: 1, len }
}

/// Writes `bab_type` of an I-VOP BAB (2, 3 or 4).
pub fn put_bab_type_i(w: &mut BitWriter, ctx: &IntraBabTypeContext, t: BabType) {
    put_vlc(w, bab_type_i_code(ctx, t));
}

/// Reads `bab_type` of an I-VOP BAB.
pub fn get_bab_type_i(r: &mut BitReader<'_>, ctx: &IntraBabTypeContext) -> Result<BabType> {
    let row =
        [BabType::Transparent, BabType::Opaque, BabType::IntraCae].map(|t| bab_type_i_code(ctx, t));
    let i = get_listed(r, &row, "bab_type (I-VOP)")?;
    Ok(BabType::from_index(i + 2).expect("three I-VOP types"))
}

/// Writes `bab_type` of a P-VOP BAB; `colocated` is the type of the BAB at
/// the same position in the previous VOP (transparent, type 2, where the
/// previous VOP has no BAB there). The context is that one BAB, not the
/// current VOP's neighbours.
pub fn put_bab_type_p(w: &mut BitWriter, colocated: BabType, t: BabType) {
    put_vlc(w, BAB_TYPE_P[colocated as usize][t as usize]);
}

/// Reads `bab_type` of a P-VOP BAB.
pub fn get_bab_type_p(r: &mut BitReader<'_>, colocated: BabType) -> Result<BabType> {
    let i = get_listed(r, &BAB_TYPE_P[colocated as usize], "bab_type (P-VOP)")?;
    Ok(BabType::from_index(i).expect("seven P-VOP types"))
}

/// Bits of the P-VOP `bab_type` codeword.
pub fn bab_type_p_bits(colocated: BabType, t: BabType) -> u32 {
    u32::from(BAB_TYPE_P[colocated as usize][t as usize].len)
}

/// The largest shape motion vector difference component, in pixels.
pub const MAX_MVDS: i32 = 16;

/// Writes `mvds_x`, `mvds_y` (integer pixels, each in -16..=16, not both
/// 0). Panics on a zero or out-of-range difference (a caller error).
pub fn put_mvds(w: &mut BitWriter, x: i32, y: i32) {
    assert!((x, y) != (0, 0), "mvds (0, 0) has no code");
    assert!(
        x.abs() <= MAX_MVDS && y.abs() <= MAX_MVDS,
        "mvds out of range"
    );
    put_vlc(w, MVDS[x.unsigned_abs() as usize]);
    if x != 0 {
        w.put_bit(x > 0);
        put_vlc(w, MVDS[y.unsigned_abs() as usize]);
    } else {
        put_vlc(w, MVDS_Y_ONLY[y.unsigned_abs() as usize - 1]);
    }
    if y != 0 {
        w.put_bit(y > 0);
    }
}

/// Bits [`put_mvds`] writes.
pub fn mvds_bits(x: i32, y: i32) -> u32 {
    let mx = x.unsigned_abs() as usize;
    let my = y.unsigned_abs() as usize;
    let mut n = u32::from(MVDS[mx].len) + u32::from(x != 0) + u32::from(y != 0);
    n += if x != 0 {
        u32::from(MVDS[my].len)
    } else {
        u32::from(MVDS_Y_ONLY[my - 1].len)
    };
    n
}

/// Reads `mvds_x`, `mvds_y`.
pub fn get_mvds(r: &mut BitReader<'_>) -> Result<(i32, i32)> {
    let mut x = get_listed(r, &MVDS, "mvds_x")? as i32;
    if x != 0 && !r.get_bit()? {
        x = -x;
    }
    let mut y = if x == 0 {
        get_listed(r, &MVDS_Y_ONLY, "mvds_y")? as i32 + 1
    } else {
        get_listed(r, &MVDS, "mvds_y")? as i32
    };
    if y != 0 && !r.get_bit()? {
        y = -y;
    }
    Ok((x, y))
}

/// The conversion ratio of a CAE-coded BAB: the BAB is coded at 16x16
/// (`One`), 8x8 (`Half`) or 4x4 (`Quarter`) and up-sampled (7.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConvRatio {
    One = 0,
    Half = 1,
    Quarter = 2,
}

impl ConvRatio {
    pub const ALL: [ConvRatio; 3] = [ConvRatio::One, ConvRatio::Half, ConvRatio::Quarter];

    /// Down-sampling factor: 1, 2 or 4.
    pub fn factor(self) -> usize {
        1 << self as usize
    }

    /// Side of the coded block: 16, 8 or 4.
    pub fn size(self) -> usize {
        16 / self.factor()
    }
}

pub fn put_conv_ratio(w: &mut BitWriter, cr: ConvRatio) {
    put_vlc(w, CONV_RATIO[cr as usize]);
}

pub fn get_conv_ratio(r: &mut BitReader<'_>) -> Result<ConvRatio> {
    let i = get_listed(r, &CONV_RATIO, "conv_ratio")?;
    Ok(ConvRatio::ALL[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use proptest::prelude::*;

    fn prefix_free(table: &[Vlc], name: &str) {
        for (i, a) in table.iter().enumerate() {
            for (j, b) in table.iter().enumerate() {
                if i == j {
                    continue;
                }
                if a.len <= b.len {
                    let top = b.code >> (b.len - a.len);
                    assert_ne!(top, a.code, "{name}: {i} is a prefix of {j}");
                }
            }
        }
    }

    /// Kraft sum in units of 2^-max.
    fn kraft(table: &[Vlc]) -> (u64, u64) {
        let max = table.iter().map(|v| v.len).max().unwrap();
        let sum = table.iter().map(|v| 1u64 << (max - v.len)).sum();
        (sum, 1u64 << max)
    }

    #[test]
    fn tables_are_prefix_free() {
        for (i, row) in BAB_TYPE_P.iter().enumerate() {
            prefix_free(row, &format!("bab_type P row {i}"));
            let (s, full) = kraft(row);
            // Each row leaves exactly the all-zero codeword of its longest
            // length unused.
            assert_eq!(s + 1, full, "row {i}");
        }
        prefix_free(&MVDS, "mvds");
        prefix_free(&MVDS_Y_ONLY, "mvds (x = 0)");
        prefix_free(&CONV_RATIO, "conv_ratio");
        assert_eq!(kraft(&CONV_RATIO), (4, 4));
        for (c, row) in BAB_TYPE_I_LEN.iter().enumerate() {
            let mut lens = *row;
            lens.sort_unstable();
            assert_eq!(lens, [1, 2, 3], "I-VOP bab_type context {c}");
        }
    }

    #[test]
    fn bab_type_i_round_trips() {
        let types = [BabType::Transparent, BabType::Opaque, BabType::IntraCae];
        let mut w = BitWriter::new();
        let mut sent = Vec::new();
        for c in 0..81 {
            let ctx = IntraBabTypeContext {
                top_left: types[c / 27],
                top: types[(c / 9) % 3],
                top_right: types[(c / 3) % 3],
                left: types[c % 3],
            };
            assert_eq!(ctx.index(), c);
            for t in types {
                put_bab_type_i(&mut w, &ctx, t);
                sent.push((ctx, t));
            }
        }
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for (ctx, t) in sent {
            assert_eq!(get_bab_type_i(&mut r, &ctx).unwrap(), t);
        }
        // "000" is no codeword.
        let mut r = BitReader::new(&[0x00, 0xff]);
        assert!(matches!(
            get_bab_type_i(&mut r, &IntraBabTypeContext::TRANSPARENT),
            Err(Error::Syntax { .. })
        ));
    }

    #[test]
    fn bab_type_p_round_trips() {
        let mut w = BitWriter::new();
        for prev in BabType::ALL {
            for t in BabType::ALL {
                put_bab_type_p(&mut w, prev, t);
            }
        }
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for prev in BabType::ALL {
            for t in BabType::ALL {
                assert_eq!(get_bab_type_p(&mut r, prev).unwrap(), t);
            }
        }
    }

    #[test]
    fn mvds_round_trip_all() {
        let mut w = BitWriter::new();
        let mut bits = 0;
        for x in -16..=16 {
            for y in -16..=16 {
                if (x, y) != (0, 0) {
                    put_mvds(&mut w, x, y);
                    bits += u64::from(mvds_bits(x, y));
                    assert_eq!(w.bit_len(), bits);
                }
            }
        }
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for x in -16..=16 {
            for y in -16..=16 {
                if (x, y) != (0, 0) {
                    assert_eq!(get_mvds(&mut r).unwrap(), (x, y));
                }
            }
        }
    }

    #[test]
    fn conv_ratio_round_trips() {
        let mut w = BitWriter::new();
        for cr in ConvRatio::ALL {
            put_conv_ratio(&mut w, cr);
        }
        w.align_zero();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for cr in ConvRatio::ALL {
            assert_eq!(get_conv_ratio(&mut r).unwrap(), cr);
        }
        assert_eq!(ConvRatio::Quarter.size(), 4);
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..8)) {
            for prev in BabType::ALL {
                let _ = get_bab_type_p(&mut BitReader::new(&data), prev);
            }
            let _ = get_bab_type_i(&mut BitReader::new(&data), &IntraBabTypeContext::TRANSPARENT);
            let _ = get_mvds(&mut BitReader::new(&data));
            let _ = get_conv_ratio(&mut BitReader::new(&data));
        }
    }
}
