//! Quantisation and inverse quantisation (ISO/IEC 14496-2 7.4.3, 7.4.4):
//! the DC scaler of intra blocks (Table 7-1), the first (H.263) method and
//! the second (MPEG, weighted with mismatch control) method.

use crate::header::QuantType;

/// `dc_scaler` for a quantiser (Table 7-1).
#[inline]
pub fn dc_scaler(qp: u8, luma: bool) -> i32 {
    let q = i32::from(qp);
    if luma {
        match q {
            ..=4 => 8,
            5..=8 => 2 * q,
            9..=24 => q + 8,
            _ => 2 * q - 16,
        }
    } else {
        match q {
            ..=4 => 8,
            5..=24 => (q + 13) / 2,
            _ => q - 6,
        }
    }
}

/// Integer division rounding to nearest, halves away from zero (the
/// standard's `//`).
#[inline]
pub fn round_div(a: i32, b: i32) -> i32 {
    debug_assert!(b > 0);
    if a >= 0 {
        (a + b / 2) / b
    } else {
        (a - b / 2) / b
    }
}

/// Quantised intra DC: the nearest level whose reconstruction stays inside
/// the 12-bit range.
#[inline]
pub fn quantize_intra_dc(dc: i32, scaler: i32) -> i32 {
    round_div(dc, scaler).clamp(0, 2047 / scaler)
}

/// How the encoder rounds levels. With `u` the coefficient in units of the
/// quantiser step (`|F| / 2q` for the H.263 method, `8 |F| / (W q)` for the
/// MPEG method), the level is `floor(u + bias / 16)`. Zero bias picks the
/// nearest non-zero reconstruction for H.263 and inter MPEG levels; negative
/// bias widens the dead zone, trading distortion for fewer coded levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    pub intra: i32,
    pub inter: i32,
}

impl Rounding {
    pub fn for_method(method: &QuantType) -> Rounding {
        match method {
            QuantType::H263 => Rounding {
                intra: 0,
                inter: -4,
            },
            QuantType::Mpeg { .. } => Rounding {
                intra: 6,
                inter: -4,
            },
        }
    }
}

/// Quantises the coefficients of a block (natural order) in place, skipping
/// the DC of intra blocks, which `quantize_intra_dc` handles. Returns
/// whether any quantised coefficient other than the intra DC is non-zero.
pub fn quantize_block(
    block: &mut [i16; 64],
    qp: u8,
    intra: bool,
    method: &QuantType,
    rounding: Rounding,
) -> bool {
    let q = i32::from(qp);
    let start = usize::from(intra);
    let bias = if intra {
        rounding.intra
    } else {
        rounding.inter
    };
    let mut any = 0i32;
    match method {
        QuantType::H263 => {
            let step = 2 * q;
            let offset = bias * step / 16;
            // floor(a / step) as a 16-bit multiply-high by the rounded-up
            // reciprocal (off by one only within 1/16 of a step of a level
            // boundary, for |F| < 4096): all 64 lanes in 16-bit arithmetic
            // vectorize with the x86-64 baseline. The intra DC is put back.
            // step >= 2, so the reciprocal fits 16 bits.
            let recip = 65536_u32.div_ceil(step as u32) as u16;
            let dc = block[0];
            quantize_h263_lanes(block, offset as i16, recip);
            if intra {
                block[0] = dc;
            }
            any = block[start..].iter().fold(0, |acc, &c| acc | i32::from(c));
        }
        QuantType::Mpeg {
            intra: wi,
            inter: wn,
        } => {
            let weights = if intra { wi } else { wn };
            for (i, c) in block.iter_mut().enumerate().skip(start) {
                // u = 8 |F| / (W q): F = 2 L W q / 16 (intra) or
                // (2 L + 1) W q / 16 (inter).
                let d = i32::from(weights[i]) * q;
                let level = ((i32::from(*c).abs() * 128 + d * bias).max(0) / (16 * d)).min(2047);
                let v = if *c < 0 { -level } else { level };
                *c = v as i16;
                any |= v;
            }
        }
    }
    any != 0
}

/// The H.263 levels of all 64 coefficients: `min(floor((|x| + offset) *
/// recip / 65536), 2047)` with the sign of `x` (|x| + offset saturating at
/// 0 and 65535). SSE2 on x86-64 (the multiply-high is `pmulhuw`), the same
/// arithmetic in scalar code elsewhere.
#[inline]
fn quantize_h263_lanes(block: &mut [i16; 64], offset: i16, recip: u16) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_adds_epu16, _mm_loadu_si128, _mm_min_epi16, _mm_mulhi_epu16,
            _mm_set1_epi16, _mm_srai_epi16, _mm_storeu_si128, _mm_sub_epi16, _mm_subs_epu16,
            _mm_xor_si128,
        };
        // SAFETY: SSE2 is always enabled on x86_64; the eight loads and
        // stores cover exactly the 64 lanes of `block`.
        unsafe {
            let up = _mm_set1_epi16(offset.max(0));
            let down = _mm_set1_epi16(offset.saturating_neg().max(0));
            let r = _mm_set1_epi16(recip as i16);
            let cap = _mm_set1_epi16(2047);
            for k in 0..8 {
                let p = block.as_mut_ptr().add(8 * k).cast::<__m128i>();
                let x = _mm_loadu_si128(p);
                let sign = _mm_srai_epi16(x, 15);
                let a = _mm_sub_epi16(_mm_xor_si128(x, sign), sign);
                let a = _mm_subs_epu16(_mm_adds_epu16(a, up), down);
                let level = _mm_min_epi16(_mm_mulhi_epu16(a, r), cap);
                _mm_storeu_si128(p, _mm_sub_epi16(_mm_xor_si128(level, sign), sign));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    quantize_h263_scalar(block, offset, recip);
}

/// Scalar reference of `quantize_h263_lanes`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn quantize_h263_scalar(block: &mut [i16; 64], offset: i16, recip: u16) {
    for c in block.iter_mut() {
        let x = *c;
        let a = x.unsigned_abs().saturating_add_signed(offset);
        let level = (((u32::from(a) * u32::from(recip)) >> 16) as u16).min(2047) as i16;
        *c = if x < 0 { -level } else { level };
    }
}

/// Inverse quantisation of a block of levels (natural order) in place,
/// including saturation to [-2048, 2047] and, for the MPEG method, mismatch
/// control. For intra blocks `dc` is the already reconstructed DC
/// (`level * dc_scaler`).
pub fn dequantize_block(block: &mut [i16; 64], qp: u8, intra: bool, method: &QuantType, dc: i32) {
    let q = i32::from(qp);
    let start = usize::from(intra);
    if intra {
        block[0] = dc.clamp(-2048, 2047) as i16;
    }
    match method {
        QuantType::H263 => {
            let odd_fix = if q & 1 == 0 { 1 } else { 0 };
            let dc = block[0];
            // Branch-free over all 64 lanes in 16 bits: levels past 1024
            // saturate anyway, so capping them there keeps the product
            // within u16 ((2 * 1024 + 1) * 31 < 65536); zero levels stay zero.
            let (q16, fix16) = (q as u16, odd_fix as u16);
            for c in block.iter_mut() {
                let l = *c;
                let a = l.unsigned_abs().min(1024);
                let m = ((2 * a + 1) * q16 - fix16) * u16::from(l != 0);
                *c = if l < 0 {
                    -(m.min(2048) as i32) as i16
                } else {
                    m.min(2047) as i16
                };
            }
            if intra {
                block[0] = dc;
            }
        }
        QuantType::Mpeg {
            intra: wi,
            inter: wn,
        } => {
            let weights = if intra { wi } else { wn };
            let mut sum = i32::from(block[0]) * i32::from(intra);
            for (i, c) in block.iter_mut().enumerate().skip(start) {
                let l = i32::from(*c);
                if l != 0 {
                    let k = if intra { 0 } else { l.signum() };
                    // 7.4.4.2: ((2 QF + k) W q) / 16, truncating.
                    let v = ((2 * l + k) * i32::from(weights[i]) * q / 16).clamp(-2048, 2047);
                    *c = v as i16;
                    sum += v;
                }
            }
            if sum & 1 == 0 {
                let last = &mut block[63];
                *last = if *last & 1 != 0 { *last - 1 } else { *last + 1 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dc_scaler_table() {
        // Table 7-1 at the edges of each range.
        let luma: Vec<i32> = [1, 4, 5, 8, 9, 24, 25, 31]
            .iter()
            .map(|&q| dc_scaler(q, true))
            .collect();
        assert_eq!(luma, [8, 8, 10, 16, 17, 32, 34, 46]);
        let chroma: Vec<i32> = [1, 4, 5, 24, 25, 31]
            .iter()
            .map(|&q| dc_scaler(q, false))
            .collect();
        assert_eq!(chroma, [8, 8, 9, 18, 19, 25]);
    }

    #[test]
    fn round_div_halves_away_from_zero() {
        assert_eq!(round_div(3, 2), 2);
        assert_eq!(round_div(-3, 2), -2);
        assert_eq!(round_div(5, 4), 1);
        assert_eq!(round_div(-5, 4), -1);
    }

    #[test]
    fn h263_reconstruction_levels() {
        // 7.4.4.1: |F| = (2|L| + 1) q, minus 1 for even q.
        let mut b = [0i16; 64];
        b[1] = 1;
        b[2] = -2;
        b[3] = 2047;
        dequantize_block(&mut b, 7, false, &QuantType::H263, 0);
        assert_eq!(&b[..4], &[0, 21, -35, 2047]);
        let mut b = [0i16; 64];
        b[1] = 1;
        dequantize_block(&mut b, 8, true, &QuantType::H263, 800);
        assert_eq!(&b[..2], &[800, 23]);
    }

    #[test]
    fn quantize_then_dequantize_is_close() {
        for method in [
            QuantType::H263,
            QuantType::Mpeg {
                intra: [16; 64],
                inter: [16; 64],
            },
        ] {
            for qp in [1u8, 2, 5, 13, 31] {
                for intra in [false, true] {
                    let mut b = [0i16; 64];
                    for (i, c) in b.iter_mut().enumerate() {
                        *c = ((i as i32 * 97 % 801) - 400) as i16;
                    }
                    let orig = b;
                    quantize_block(&mut b, qp, intra, &method, Rounding { intra: 0, inter: 0 });
                    dequantize_block(&mut b, qp, intra, &method, i32::from(orig[0]));
                    for i in 1..63 {
                        let err = (i32::from(b[i]) - i32::from(orig[i])).abs();
                        assert!(
                            err <= 2 * i32::from(qp) + 1,
                            "{method:?} qp {qp} intra {intra} i {i}: {err}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn simd_levels_match_scalar() {
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut b = [0i16; 64];
            for c in b.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *c = ((seed >> 8) % 8192) as i16 - 4096;
            }
            b[3] = i16::MIN;
            b[4] = i16::MAX;
            let step = 2 + (seed >> 3) % 61;
            let recip = 65536_u32.div_ceil(step) as u16;
            let offset = ((seed >> 5) % 64) as i16 - 32;
            let (mut x, mut y) = (b, b);
            quantize_h263_lanes(&mut x, offset, recip);
            quantize_h263_scalar(&mut y, offset, recip);
            assert_eq!(x, y);
        }
    }

    #[test]
    fn h263_saturation_at_the_extremes() {
        for q in [1u8, 2, 31] {
            for l in [-2047i16, -1025, -1024, -1023, 1023, 1024, 2047] {
                let mut b = [0i16; 64];
                b[5] = l;
                dequantize_block(&mut b, q, false, &QuantType::H263, 0);
                let q = i32::from(q);
                let m = (2 * i32::from(l).abs() + 1) * q - i32::from(q % 2 == 0);
                let want = if l < 0 { -m } else { m }.clamp(-2048, 2047);
                assert_eq!(i32::from(b[5]), want, "level {l} q {q}");
            }
        }
    }

    #[test]
    fn mpeg_mismatch_control_makes_sum_odd() {
        let m = QuantType::Mpeg {
            intra: [16; 64],
            inter: [16; 64],
        };
        let mut b = [0i16; 64];
        b[5] = 2;
        dequantize_block(&mut b, 4, false, &m, 0);
        let sum: i32 = b.iter().map(|&c| i32::from(c)).sum();
        assert_eq!(sum & 1, 1);
    }
}
