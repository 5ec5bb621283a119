//! The DCT-domain linear combination of quantized JPEG blocks: dequantize
//! each input block, sum them with fixed-point weights plus a DC offset,
//! round, and quantize the result with the output table, in one pass over
//! the block.
//!
//! Each step is integer arithmetic, fixed here so that every kernel gives
//! the same bytes (and so that the result equals dequantizing into the
//! semicompressed format, mixing there and quantizing that):
//!
//! 1. dequantize: `d = clamp(c * q, -2048, 2047)`, the quantized
//!    coefficient `c` times the input's table entry `q` (0 stays 0),
//!    clamped to the 12-bit range of the semicompressed format;
//! 2. mix: `s = sum(w_i * d_i)` in `i32`, weights `w_i` in Q14 fixed point
//!    ([`WEIGHT_SHIFT`]), plus the Q14 DC offset on coefficient 0;
//! 3. round: [`round_weighted`], to nearest with ties to even, clamped to
//!    -2048..=2047;
//! 4. quantize with the output table as [`crate::quant::quantize`] does
//!    (ties away from zero), through [`QuantRecip`].
//!
//! [`mix_quantize`] is the portable reference; the AVX2 kernel computes
//! the same steps eight or sixteen lanes at a time (the quantizing
//! division in `f32`, exact here: see `OutputLanes`) and skips the rows of
//! coefficients that are zero in every input (most blocks of real
//! pictures end in zeros; flat ones have only a DC term), whose result is
//! zero. `tests/simd_matches_scalar.rs` checks that the two agree.

use crate::quant::QuantRecip;

/// Fraction bits of the weights and of the DC offset.
pub const WEIGHT_SHIFT: u32 = 14;

/// The most terms a [`Mix`] takes: with `|w| <= 2^15` and `|d| <= 2^11`
/// sixteen products and the DC offset still fit an `i32`.
pub const MAX_TERMS: usize = 16;

/// Largest magnitude of the DC offset (Q14): `2^15` coefficient units,
/// far past the clamp.
pub const MAX_DC: i32 = 1 << 29;

/// Smallest and largest coefficient of the 12-bit dequantized range.
const COEFF_MIN: i32 = -2048;
const COEFF_MAX: i32 = 2047;

/// One input of a [`Mix`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MixTerm {
    /// The input's quantization table (natural order). Entries above
    /// 2048 act as 2048: any non-zero coefficient then saturates either
    /// way.
    pub quant: [u16; 64],
    /// Q14 weight.
    pub weight: i16,
}

/// A linear combination of quantized blocks, prepared once for many
/// blocks (a plane of a frame): the terms, the DC offset and the output
/// quantization table, with the tables each kernel reads.
#[derive(Clone, Debug)]
pub struct Mix {
    pub(crate) terms: Vec<Term>,
    /// Q14, added to coefficient 0.
    pub(crate) dc: i32,
    pub(crate) quant: QuantRecip,
    /// The output table for the AVX2 kernel (see [`OutputLanes`]).
    pub(crate) lanes: OutputLanes,
    /// The weights of terms `2i` and `2i + 1` as one `madd` operand: the
    /// first in the low 16 bits (0 for a missing second term).
    pub(crate) pair_weights: Vec<i32>,
}

/// One term, with the tables the kernels read.
#[derive(Clone, Debug)]
pub(crate) struct Term {
    /// `min(q, 2048)`.
    pub(crate) step: [i16; 64],
    /// `2048 / step + 1` (0 for a step of 0): clamping a coefficient to
    /// `-limit..=limit` first leaves `c * step` within 16 bits and its
    /// clamp to 12 bits unchanged.
    pub(crate) limit: [i16; 64],
    pub(crate) neg_limit: [i16; 64],
    pub(crate) weight: i16,
}

/// The output quantization table in the lane order of the AVX2 kernel:
/// for each 16-coefficient chunk `j`, vector `2j` holds coefficients
/// `16j + [0, 1, 2, 3, 8, 9, 10, 11]` and vector `2j + 1` holds `16j + [4,
/// 5, 6, 7, 12, 13, 14, 15]` (the order of a 256-bit unpack of 16-bit
/// lanes).
///
/// The kernel quantizes in `f32`: `trunc((|v| + bias) * recip)` with
/// `bias = floor(q / 2) + 1/2` and `recip = 1/q` rounded, for `q >= 2`
/// (`bias = 1/2`, `recip = 1` for a step of 0 or 1, read as 1). That is
/// exactly `floor((|v| + floor(q / 2)) / q)`, the quotient of
/// [`QuantRecip`], for every `|v| <= 2048`: with `x = |v| + floor(q / 2)`
/// the exact value `(x + 1/2) / q = (2x + 1) / 2q` is at least `1 / 2q`
/// away from any integer (an odd numerator), while the two roundings (of
/// `1/q` and of the product; `x + 1/2 < 2^17` is exact) err by at most
/// `2^-23` of it, which is below `1 / 2q` for `x + 1/2 < 2^22`. So the
/// truncation lands on `floor((x + 1/2) / q)`, which is `floor(x / q)` as
/// no multiple of `q` lies in `(x, x + 1/2]`.
#[derive(Clone, Debug)]
pub(crate) struct OutputLanes {
    pub(crate) bias: [[f32; 8]; 8],
    pub(crate) recip: [[f32; 8]; 8],
}

impl Mix {
    /// A mix of `terms` (at most [`MAX_TERMS`]; `None` beyond) plus `dc`
    /// (Q14, clamped to `-MAX_DC..=MAX_DC`) on coefficient 0, quantized
    /// with `out_quant` (natural order, 0 read as 1).
    pub fn new(terms: &[MixTerm], dc: i32, out_quant: &[u16; 64]) -> Option<Mix> {
        if terms.len() > MAX_TERMS {
            return None;
        }
        let quant = QuantRecip::new(out_quant);
        let mut lanes = OutputLanes {
            bias: [[0.5; 8]; 8],
            recip: [[1.0; 8]; 8],
        };
        for (v, k) in LANE_ORDER.iter().enumerate() {
            for (lane, &k) in k.iter().enumerate() {
                let q = out_quant[k];
                if q >= 2 {
                    lanes.bias[v][lane] = f32::from(q / 2) + 0.5;
                    lanes.recip[v][lane] = 1.0 / f32::from(q);
                }
            }
        }
        let pair_weights = terms
            .chunks(2)
            .map(|pair| {
                let second = pair.get(1).map_or(0, |t| t.weight);
                i32::from(pair[0].weight as u16) | (i32::from(second) << 16)
            })
            .collect();
        Some(Mix {
            terms: terms
                .iter()
                .map(|t| {
                    let step = t.quant.map(|q| q.min(2048) as i16);
                    let limit = step.map(|s| if s == 0 { 0 } else { 2048 / s + 1 });
                    Term {
                        step,
                        limit,
                        neg_limit: limit.map(|l| -l),
                        weight: t.weight,
                    }
                })
                .collect(),
            dc: dc.clamp(-MAX_DC, MAX_DC),
            quant,
            lanes,
            pair_weights,
        })
    }

    /// Number of terms: [`mix_quantize`] reads that many blocks.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the mix has no term (a flat block from the DC offset).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Natural-order coefficient of each lane of the AVX2 kernel's eight
/// 8-lane vectors (see [`Mix`]).
const LANE_ORDER: [[usize; 8]; 8] = {
    let mut order = [[0; 8]; 8];
    let mut j = 0;
    while j < 4 {
        let mut lane = 0;
        while lane < 8 {
            // Lanes 0-3 from the first 128-bit half, 4-7 from the second.
            let base = 16 * j + if lane < 4 { 0 } else { 8 };
            order[2 * j][lane] = base + lane % 4;
            order[2 * j + 1][lane] = base + 4 + lane % 4;
            lane += 1;
        }
        j += 1;
    }
    order
};

/// Rounds a Q14 sum to a coefficient: to nearest, ties to even, clamped
/// to -2048..=2047. (Ties are common: a weight of 1/2 makes one for every
/// odd coefficient, and rounding them all up would add a visible bias
/// where the basis functions agree in sign, as in a block's corners.)
#[inline(always)]
pub fn round_weighted(s: i32) -> i16 {
    let odd = (s >> WEIGHT_SHIFT) & 1;
    let v = (s + ((1 << (WEIGHT_SHIFT - 1)) - 1) + odd) >> WEIGHT_SHIFT;
    // Saturate to i16 first (one pack instruction), then clamp as i16
    // (SSE2 has 16-bit min/max, not 32-bit).
    (v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16).clamp(-2048, 2047)
}

/// One coefficient dequantized into the 12-bit range: `c * step` clamped.
#[inline(always)]
fn dequantize(c: i16, step: i16) -> i32 {
    (i32::from(c) * i32::from(step)).clamp(COEFF_MIN, COEFF_MAX)
}

/// The mix of `blocks` (quantized, natural order; `blocks[i]` is term
/// `i`'s, a missing one counts as zero and extra ones are ignored),
/// quantized with the mix's output table, into `out`. The portable
/// reference kernel.
pub fn mix_quantize(mix: &Mix, blocks: &[&[i16; 64]], out: &mut [i16; 64]) {
    let mut acc = [0i32; 64];
    acc[0] = mix.dc;
    for (term, block) in mix.terms.iter().zip(blocks) {
        let w = i32::from(term.weight);
        for k in 0..64 {
            acc[k] += w * dequantize(block[k], term.step[k]);
        }
    }
    let rounded = acc.map(round_weighted);
    mix.quant.quantize(&rounded, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_order_is_a_permutation() {
        let mut seen = [false; 64];
        for k in LANE_ORDER.iter().flatten() {
            assert!(!std::mem::replace(&mut seen[*k], true), "{k} twice");
        }
        assert_eq!(LANE_ORDER[0], [0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(LANE_ORDER[1], [4, 5, 6, 7, 12, 13, 14, 15]);
        assert_eq!(LANE_ORDER[7], [52, 53, 54, 55, 60, 61, 62, 63]);
    }

    /// The reference against the definition written out step by step with
    /// the crate's own `quantize`.
    #[test]
    fn reference_follows_the_steps() {
        let a: [i16; 64] = core::array::from_fn(|k| (k as i16 * 37 % 101) - 50);
        let b: [i16; 64] = core::array::from_fn(|k| if k < 10 { 3000 - k as i16 } else { -1 });
        let qa: [u16; 64] = core::array::from_fn(|k| 1 + k as u16 * 3);
        let qb: [u16; 64] = core::array::from_fn(|k| [0, 1, 2, 5000][k % 4]);
        let out_q: [u16; 64] = core::array::from_fn(|k| [0, 1, 16, 99][k % 4]);
        let (wa, wb, dc) = (6000i16, -9000i16, 123_456);
        let mix = Mix::new(
            &[
                MixTerm {
                    quant: qa,
                    weight: wa,
                },
                MixTerm {
                    quant: qb,
                    weight: wb,
                },
            ],
            dc,
            &out_q,
        )
        .unwrap();
        let mut got = [0; 64];
        mix_quantize(&mix, &[&a, &b], &mut got);
        let mut mixed = [0i16; 64];
        for k in 0..64 {
            let d = |c: i16, q: u16| (i64::from(c) * i64::from(q)).clamp(-2048, 2047);
            let s = i64::from(wa) * d(a[k], qa[k])
                + i64::from(wb) * d(b[k], qb[k])
                + if k == 0 { i64::from(dc) } else { 0 };
            // Round half to even by hand.
            let (q, r) = (s.div_euclid(1 << 14), s.rem_euclid(1 << 14));
            let v = match r.cmp(&(1 << 13)) {
                std::cmp::Ordering::Less => q,
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Equal => q + (q & 1),
            };
            mixed[k] = v.clamp(-2048, 2047) as i16;
        }
        let mut want = [0; 64];
        crate::quant::quantize(&mixed, &out_q, &mut want);
        assert_eq!(got, want);
    }

    #[test]
    fn too_many_terms_and_clamped_dc() {
        let term = MixTerm {
            quant: [1; 64],
            weight: 1 << 14,
        };
        assert!(Mix::new(&[term; MAX_TERMS + 1], 0, &[1; 64]).is_none());
        let mix = Mix::new(&[term; MAX_TERMS], i32::MAX, &[1; 64]).unwrap();
        assert_eq!(mix.dc, MAX_DC);
        assert_eq!(mix.len(), MAX_TERMS);
        // The extremes stay in range without overflow.
        let block = [i16::MAX; 64];
        let blocks = [&block; MAX_TERMS];
        let mut out = [0; 64];
        mix_quantize(&mix, &blocks, &mut out);
        assert_eq!(out, [2047; 64]);
        let flat = Mix::new(&[], -3 << 14, &[2; 64]).unwrap();
        assert!(flat.is_empty());
        mix_quantize(&flat, &[], &mut out);
        let mut want = [0; 64];
        want[0] = -2;
        assert_eq!(out, want);
    }
}
