//! Quantization (T.81 A.3.4) and dequantization (T.81 A.3.5) of 8x8
//! coefficient blocks, natural order.
//!
//! Quantization rounds to nearest with ties away from zero, as libjpeg does:
//! `sign(c) * ((|c| + q/2) / q)`. A quantizer of 0 (invalid in a stream) is
//! read as 1 everywhere, so hostile tables cannot cause a division by zero.

/// Quantizer value with 0 read as 1.
#[inline(always)]
fn q1(q: u16) -> u32 {
    u32::from(q.max(1))
}

/// Quantizes `coeffs` by `quant`: `sign(c) * ((|c| + q/2) / q)` (exact
/// integer division; ties away from zero).
pub fn quantize(coeffs: &[i16; 64], quant: &[u16; 64], out: &mut [i16; 64]) {
    for ((o, &c), &q) in out.iter_mut().zip(coeffs).zip(quant) {
        let q = q1(q);
        let mag = (c.unsigned_abs() as u32 + q / 2) / q;
        *o = signed(c, mag);
    }
}

/// Dequantizes: `coeffs[i] * max(quant[i], 1)`, saturated to `i16`.
pub fn dequantize(coeffs: &[i16; 64], quant: &[u16; 64], out: &mut [i16; 64]) {
    for ((o, &c), &q) in out.iter_mut().zip(coeffs).zip(quant) {
        let v = i64::from(c) * i64::from(q1(q));
        *o = v.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16;
    }
}

/// `mag` with the sign of `c`. `mag <= 32768`, and 32768 only for
/// `c = -32768`, so the result always fits.
#[inline(always)]
fn signed(c: i16, mag: u32) -> i16 {
    let m = mag as i32;
    (if c < 0 { -m } else { m }) as i16
}

/// A quantization table with a reciprocal per entry, so that quantizing is
/// a multiply and a shift instead of a division. Gives exactly the results
/// of [`quantize`].
///
/// For a divisor `d >= 2` it stores `m = floor(2^32 / d) + 1`, which fits
/// 32 bits; for any dividend `x < 2^16`, `floor(x * m / 2^32) =
/// floor(x / d)` because the excess `x * (m*d - 2^32) / (d * 2^32) < 2^-16
/// < 1/d` cannot carry into the next integer (the round-up method of
/// Granlund and Montgomery, "Division by invariant integers using
/// multiplication", 1994). Here `x = |c| + d/2 <= 32768 + 32767 < 2^16`.
/// For `d = 1` the method would need 33 bits, so it stores `half = 1`,
/// `m = 2^32 - 1`: `floor((|c| + 1) * (2^32 - 1) / 2^32) = |c|`.
///
/// Everything is 32x32->64-bit unsigned multiplies and branch-free signs,
/// which the compiler vectorizes with the baseline x86-64 instruction set
/// (natural images have unpredictable coefficient signs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantRecip {
    pub(crate) half: [u32; 64],
    pub(crate) mul: [u32; 64],
}

impl QuantRecip {
    /// Precomputes reciprocals of `quant` (0 read as 1).
    pub fn new(quant: &[u16; 64]) -> QuantRecip {
        QuantRecip {
            half: quant.map(|q| if q <= 1 { 1 } else { u32::from(q) / 2 }),
            mul: quant.map(|q| {
                if q <= 1 {
                    u32::MAX
                } else {
                    ((1u64 << 32) / u64::from(q) + 1) as u32
                }
            }),
        }
    }

    /// Same result as [`quantize`] with the table this was built from.
    #[inline]
    pub fn quantize(&self, coeffs: &[i16; 64], out: &mut [i16; 64]) {
        for i in 0..64 {
            let c = i32::from(coeffs[i]);
            // All ones for negative coefficients, else zero.
            let sign = c >> 31;
            let magnitude = ((c ^ sign) - sign) as u32 + self.half[i];
            let m = ((u64::from(magnitude) * u64::from(self.mul[i])) >> 32) as i32;
            out[i] = ((m ^ sign) - sign) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `i16` coefficient against exact division for table entries
    /// 0-300 (every 8-bit baseline entry), powers of two and their
    /// neighbours, and the 16-bit extremes; then tables mixing them.
    #[test]
    fn reciprocal_matches_division_for_every_coefficient() {
        let mut divisors: Vec<u16> = (0..=300).collect();
        for bit in 9..16 {
            let p = 1u16 << bit;
            divisors.extend([p - 1, p, p + 1]);
        }
        divisors.extend([1000, 4095, 4097, 12345, 65534, 65535]);
        let coeffs: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        let check = |table: &[u16; 64]| {
            let q = QuantRecip::new(table);
            for block in coeffs.chunks_exact(64) {
                let block: &[i16; 64] = block.try_into().expect("64 coefficients");
                let (mut fast, mut exact) = ([0; 64], [0; 64]);
                q.quantize(block, &mut fast);
                quantize(block, table, &mut exact);
                assert_eq!(fast, exact, "table {table:?}");
            }
        };
        for &d in &divisors {
            check(&[d; 64]);
        }
        for chunk in divisors.chunks(64) {
            let mut table = [1u16; 64];
            table[..chunk.len()].copy_from_slice(chunk);
            table.reverse();
            check(&table);
        }
    }

    /// SplitMix64: small deterministic generator for property tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    fn reference(c: i16, q: u16) -> i16 {
        let q = i64::from(q.max(1));
        let c = i64::from(c);
        let mag = (c.abs() + q / 2) / q;
        (if c < 0 { -mag } else { mag }) as i16
    }

    fn check_table(coeffs: &[i16; 64], quant: &[u16; 64]) {
        let mut a = [0; 64];
        let mut b = [0; 64];
        quantize(coeffs, quant, &mut a);
        QuantRecip::new(quant).quantize(coeffs, &mut b);
        for i in 0..64 {
            assert_eq!(
                a[i],
                reference(coeffs[i], quant[i]),
                "c {} q {}",
                coeffs[i],
                quant[i]
            );
        }
        assert_eq!(a, b, "recip differs for {coeffs:?} / {quant:?}");
    }

    #[test]
    fn rounding_ties_away_from_zero() {
        let mut q = [0u16; 64];
        q[..6].copy_from_slice(&[2, 2, 4, 4, 10, 0]);
        let mut c = [0i16; 64];
        c[..6].copy_from_slice(&[1, -1, 2, -2, -15, -7]);
        let mut out = [0; 64];
        quantize(&c, &q, &mut out);
        assert_eq!(&out[..6], &[1, -1, 1, -1, -2, -7]);
    }

    #[test]
    fn recip_equals_division_for_every_divisor_at_edges() {
        // Every divisor, with the dividends around each multiple boundary.
        for d in 1..=u16::MAX {
            let mut quant = [d; 64];
            quant[63] = 0;
            let di = i32::from(d);
            let probes = [
                0,
                1,
                di / 2 - 1,
                di / 2,
                di / 2 + 1,
                di - 1,
                di,
                di + 1,
                3 * di / 2,
                32767 - di / 2,
                32766,
                32767,
                -32768,
                -32767,
                -di / 2,
                -(di / 2) - 1,
            ];
            let mut coeffs = [0i16; 64];
            for (i, p) in probes.iter().enumerate() {
                coeffs[i] = (*p).clamp(-32768, 32767) as i16;
                coeffs[i + 32] = (-*p).clamp(-32768, 32767) as i16;
            }
            check_table(&coeffs, &quant);
        }
    }

    #[test]
    fn recip_equals_division_on_random_blocks() {
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let coeffs: [i16; 64] = core::array::from_fn(|_| rng.next() as i16);
            let quant: [u16; 64] = core::array::from_fn(|_| match rng.next() % 4 {
                0 => rng.next() as u16,
                1 => (rng.next() % 256) as u16,
                2 => (rng.next() % 16) as u16,
                _ => 1,
            });
            check_table(&coeffs, &quant);
        }
    }

    #[test]
    fn recip_exhaustive_dividends_for_some_divisors() {
        for d in [1u16, 2, 3, 5, 7, 255, 641, 32767, 32768, 65535] {
            let quant = [d; 64];
            for chunk in (i16::MIN..=i16::MAX).collect::<Vec<_>>().chunks_exact(64) {
                check_table(chunk.try_into().unwrap(), &quant);
            }
        }
    }

    #[test]
    fn dequantize_saturates() {
        let mut c = [0i16; 64];
        c[..4].copy_from_slice(&[i16::MAX, i16::MIN, -3, 5]);
        let mut q = [1u16; 64];
        q[..4].copy_from_slice(&[65535, 65535, 0, 7]);
        let mut out = [0; 64];
        dequantize(&c, &q, &mut out);
        assert_eq!(&out[..4], &[i16::MAX, i16::MIN, -3, 35]);
    }
}
