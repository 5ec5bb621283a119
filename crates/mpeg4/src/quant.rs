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
            // floor(a / step) as a multiply: with a < 2^15 and step < 64 the
            // rounded-up reciprocal in 2^-20 units is exact.
            let recip = ((1 << 20) + step - 1) / step;
            for c in &mut block[start..] {
                let a = (i32::from(*c).abs() + offset).max(0);
                let level = ((a * recip) >> 20).min(2047);
                let v = if *c < 0 { -level } else { level };
                *c = v as i16;
                any |= v;
            }
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
            for c in &mut block[start..] {
                let l = i32::from(*c);
                if l != 0 {
                    let m = (2 * l.abs() + 1) * q - odd_fix;
                    *c = (if l < 0 { -m } else { m }).clamp(-2048, 2047) as i16;
                }
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
