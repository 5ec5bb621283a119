//! The zig-zag scan of an 8x8 block, shared by JPEG (T.81 Figure A.6)
//! and MPEG-4 Visual (ISO/IEC 14496-2 7.4.2, the same scan), its inverse,
//! and the mask of a block's non-zero values that sparse scans walk.

/// `ZIGZAG[k]` is the natural (row-major) index of the k-th coefficient in
/// zig-zag order.
pub const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The inverse of [`ZIGZAG`]: the zig-zag position of each natural index.
pub const ZIGZAG_INDEX: [u8; 64] = {
    let mut inverse = [0u8; 64];
    let mut k = 0;
    while k < 64 {
        inverse[ZIGZAG[k] as usize] = k as u8;
        k += 1;
    }
    inverse
};

/// Bit `i` set when `values[i]` is not zero (SSE2 on x86_64, the x86_64
/// baseline; a portable loop elsewhere).
#[inline]
pub fn nonzero_mask(values: &[i16; 64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_packs_epi16,
            _mm_setzero_si128,
        };
        // SAFETY: SSE2 is always enabled on x86_64; the eight loads read
        // the 64 values of the array.
        unsafe {
            let p = values.as_ptr().cast::<__m128i>();
            let zero = _mm_setzero_si128();
            let mut mask = 0u64;
            for k in 0..4 {
                // Saturating packs keep zero and non-zero apart.
                let bytes = _mm_packs_epi16(
                    _mm_loadu_si128(p.add(2 * k)),
                    _mm_loadu_si128(p.add(2 * k + 1)),
                );
                let zeros = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, zero)) as u32;
                mask |= u64::from(!zeros & 0xffff) << (16 * k);
            }
            mask
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    nonzero_mask_scalar(values)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn nonzero_mask_scalar(values: &[i16; 64]) -> u64 {
    values
        .iter()
        .enumerate()
        .fold(0, |m, (i, &v)| m | (u64::from(v != 0) << i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_is_a_permutation_and_its_inverse_undoes_it() {
        for (k, &n) in ZIGZAG.iter().enumerate() {
            assert_eq!(usize::from(ZIGZAG_INDEX[usize::from(n)]), k);
        }
        // Walks the anti-diagonals: each step moves to a neighbour.
        for pair in ZIGZAG.windows(2) {
            let (a, b) = (i32::from(pair[0]), i32::from(pair[1]));
            assert!((a % 8 - b % 8).abs() <= 1 && (a / 8 - b / 8).abs() <= 1);
        }
    }

    #[test]
    fn nonzero_mask_sets_one_bit_per_nonzero_value() {
        let mut values = [0i16; 64];
        assert_eq!(nonzero_mask(&values), 0);
        // Every single position, the extremes, and random patterns.
        for i in 0..64 {
            for v in [-1, 1023, i16::MIN, i16::MAX] {
                values = [0; 64];
                values[i] = v;
                assert_eq!(nonzero_mask(&values), 1u64 << i);
            }
        }
        let mut state = 0x1234_5678_9ABC_DEF0u64;
        for _ in 0..1000 {
            let mut expected = 0u64;
            for (i, v) in values.iter_mut().enumerate() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *v = if state >> 62 == 0 {
                    (state >> 40) as i16 | 1
                } else {
                    0
                };
                expected |= u64::from(*v != 0) << i;
            }
            assert_eq!(nonzero_mask(&values), expected);
            assert_eq!(nonzero_mask_scalar(&values), expected);
        }
        assert_eq!(nonzero_mask(&[-1; 64]), u64::MAX);
    }
}
