//! Small per-block kernels on the encoder's and decoder's hot paths:
//! storing an inverse transform's output into a macroblock's samples.
//! SSE2 (the x86_64 baseline) with portable references that the tests hold
//! them to.

/// Adds an 8x8 residual to the prediction at `out[off..]` (row stride
/// `stride`), clamping to 0..=255.
#[inline]
pub fn add_residual(out: &mut [u8], off: usize, stride: usize, res: &[i16; 64]) {
    assert!(out.len() >= off + 7 * stride + 8, "block out of bounds");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_adds_epi16, _mm_loadl_epi64, _mm_loadu_si128, _mm_packus_epi16,
            _mm_setzero_si128, _mm_storel_epi64, _mm_unpacklo_epi8,
        };
        // SAFETY: SSE2 is always enabled on x86_64; the assert keeps every
        // row's 8 bytes inside `out`. A saturating add only differs from
        // the exact sum beyond the i16 range, which clamps alike.
        unsafe {
            let zero = _mm_setzero_si128();
            for r in 0..8 {
                let at = out.as_mut_ptr().add(off + r * stride).cast::<__m128i>();
                let p = _mm_unpacklo_epi8(_mm_loadl_epi64(at), zero);
                let d = _mm_loadu_si128(res.as_ptr().add(8 * r).cast::<__m128i>());
                let s = _mm_adds_epi16(p, d);
                _mm_storel_epi64(at, _mm_packus_epi16(s, s));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    add_residual_scalar(out, off, stride, res);
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn add_residual_scalar(out: &mut [u8], off: usize, stride: usize, res: &[i16; 64]) {
    for r in 0..8 {
        for c in 0..8 {
            let p = &mut out[off + r * stride + c];
            *p = (i32::from(*p) + i32::from(res[r * 8 + c])).clamp(0, 255) as u8;
        }
    }
}

/// Stores an 8x8 block of samples at `out[off..]` (row stride `stride`),
/// clamped to 0..=255.
#[inline]
pub fn put_clamped(out: &mut [u8], off: usize, stride: usize, px: &[i16; 64]) {
    assert!(out.len() >= off + 7 * stride + 8, "block out of bounds");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_packus_epi16, _mm_storel_epi64};
        // SAFETY: SSE2 is always enabled on x86_64; the assert keeps every
        // row's 8 bytes inside `out`.
        unsafe {
            for r in 0..8 {
                let v = _mm_loadu_si128(px.as_ptr().add(8 * r).cast::<__m128i>());
                let at = out.as_mut_ptr().add(off + r * stride).cast::<__m128i>();
                _mm_storel_epi64(at, _mm_packus_epi16(v, v));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    put_clamped_scalar(out, off, stride, px);
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn put_clamped_scalar(out: &mut [u8], off: usize, stride: usize, px: &[i16; 64]) {
    for r in 0..8 {
        for c in 0..8 {
            out[off + r * stride + c] = px[r * 8 + c].clamp(0, 255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values across the whole i16 range, with zeros and the clamping
    /// edges well represented.
    fn block(seed: u32) -> [i16; 64] {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        std::array::from_fn(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            match (s >> 28) % 6 {
                0 | 1 => 0,
                2 => (s % 600) as i16 - 300,
                3 => [i16::MIN, i16::MAX, -256, 255, -1, 1][(s % 6) as usize],
                4 => (s >> 8) as i16,
                _ => i as i16 - 32,
            }
        })
    }

    #[test]
    fn stores_match_scalar() {
        for seed in 0..500 {
            let res = block(seed);
            let base: Vec<u8> = (0..20 * 9)
                .map(|i| (i * 37 + seed as usize) as u8)
                .collect();
            let (mut a, mut b) = (base.clone(), base.clone());
            add_residual(&mut a, 3, 20, &res);
            add_residual_scalar(&mut b, 3, 20, &res);
            assert_eq!(a, b);
            let (mut a, mut b) = (base.clone(), base);
            put_clamped(&mut a, 5, 20, &res);
            put_clamped_scalar(&mut b, 5, 20, &res);
            assert_eq!(a, b);
        }
    }
}
