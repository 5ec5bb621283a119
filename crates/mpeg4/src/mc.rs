//! Half-sample motion compensation (7.6.2) and the block distortion
//! measures motion estimation uses.

use crate::picture::Padded;

/// Predicts a `w x h` block (w, h <= 16) at full-sample position (x, y)
/// displaced by a half-sample vector (mvx, mvy), with the bilinear
/// interpolation and `rounding_control` of 7.6.2.1, into `out` (row stride
/// `out_stride`). Vectors may point anywhere: areas past the reference's
/// border are fetched with clamped coordinates, which is what edge
/// replication means.
#[allow(clippy::too_many_arguments)]
pub fn predict(
    reference: &Padded,
    x: isize,
    y: isize,
    mvx: i32,
    mvy: i32,
    w: usize,
    h: usize,
    rounding: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    let ix = x + (mvx >> 1) as isize;
    let iy = y + (mvy >> 1) as isize;
    let (hx, hy) = (mvx & 1 != 0, mvy & 1 != 0);
    let mut tmp = [0u8; 17 * 17];
    let (src, stride): (&[u8], usize) = if reference.contains(ix, iy, w + 1, h + 1) {
        (&reference.data[reference.index(ix, iy)..], reference.stride)
    } else {
        reference.fetch(ix, iy, w + 1, h + 1, &mut tmp);
        (&tmp[..], w + 1)
    };
    interpolate(src, stride, hx, hy, w, h, rounding, out, out_stride);
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn interpolate(
    src: &[u8],
    stride: usize,
    hx: bool,
    hy: bool,
    w: usize,
    h: usize,
    rounding: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    match w {
        16 => interpolate_w::<16>(src, stride, hx, hy, h, rounding, out, out_stride),
        8 => interpolate_w::<8>(src, stride, hx, hy, h, rounding, out, out_stride),
        _ => {
            let rc = u16::from(rounding);
            for j in 0..h {
                for i in 0..w {
                    let at = |dx: usize, dy: usize| u16::from(src[(j + dy) * stride + i + dx]);
                    out[j * out_stride + i] = match (hx, hy) {
                        (false, false) => at(0, 0) as u8,
                        (true, false) => ((at(0, 0) + at(1, 0) + 1 - rc) >> 1) as u8,
                        (false, true) => ((at(0, 0) + at(0, 1) + 1 - rc) >> 1) as u8,
                        (true, true) => {
                            ((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2 - rc) >> 2) as u8
                        }
                    };
                }
            }
        }
    }
}

/// `interpolate` for a fixed width (8 or 16): SSE2 lanes on x86_64, the
/// scalar loops elsewhere.
#[allow(clippy::too_many_arguments)]
#[inline]
fn interpolate_w<const W: usize>(
    src: &[u8],
    stride: usize,
    hx: bool,
    hy: bool,
    h: usize,
    rounding: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if h > 0 {
        return interpolate_sse2::<W>(src, stride, hx, hy, h, rounding, out, out_stride);
    }
    interpolate_w_scalar::<W>(src, stride, hx, hy, h, rounding, out, out_stride);
}

/// Scalar reference of `interpolate_w`: one loop per half-sample case,
/// over slices of known length.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn interpolate_w_scalar<const W: usize>(
    src: &[u8],
    stride: usize,
    hx: bool,
    hy: bool,
    h: usize,
    rounding: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    let rc = u16::from(rounding);
    let row = |j: usize| &src[j * stride..j * stride + W + 1];
    for j in 0..h {
        let o = &mut out[j * out_stride..j * out_stride + W];
        let a = row(j);
        match (hx, hy) {
            (false, false) => o.copy_from_slice(&a[..W]),
            (true, false) => {
                for (i, o) in o.iter_mut().enumerate() {
                    *o = ((u16::from(a[i]) + u16::from(a[i + 1]) + 1 - rc) >> 1) as u8;
                }
            }
            (false, true) => {
                let b = row(j + 1);
                for (i, o) in o.iter_mut().enumerate() {
                    *o = ((u16::from(a[i]) + u16::from(b[i]) + 1 - rc) >> 1) as u8;
                }
            }
            (true, true) => {
                let b = row(j + 1);
                for (i, o) in o.iter_mut().enumerate() {
                    let s = u16::from(a[i])
                        + u16::from(a[i + 1])
                        + u16::from(b[i])
                        + u16::from(b[i + 1]);
                    *o = ((s + 2 - rc) >> 2) as u8;
                }
            }
        }
    }
}

/// `interpolate_w` in 16-bit SSE2 lanes (the x86_64 baseline), eight or
/// sixteen samples a row.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
#[inline]
fn interpolate_sse2<const W: usize>(
    src: &[u8],
    stride: usize,
    hx: bool,
    hy: bool,
    h: usize,
    rounding: bool,
    out: &mut [u8],
    out_stride: usize,
) {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi16, _mm_loadl_epi64, _mm_loadu_si128, _mm_packus_epi16, _mm_set1_epi16,
        _mm_setzero_si128, _mm_srli_epi16, _mm_storel_epi64, _mm_storeu_si128, _mm_unpackhi_epi8,
        _mm_unpacklo_epi8,
    };
    assert!(W == 8 || W == 16, "8 or 16 samples a row");
    let rows = h - 1 + usize::from(hy);
    assert!(
        src.len() >= rows * stride + W + usize::from(hx) && out.len() >= (h - 1) * out_stride + W,
        "interpolation block out of bounds"
    );
    // SAFETY: SSE2 is always enabled on x86_64. Every load reads W bytes
    // at row j (or j + 1 with hy) and column 0 (or 1 with hx), inside
    // `src` by the assert; every store writes W bytes of row j of `out`.
    unsafe {
        let zero = _mm_setzero_si128();
        let rc = i16::from(rounding);
        let (one, two) = (_mm_set1_epi16(1 - rc), _mm_set1_epi16(2 - rc));
        // Row `j` from column `dx` as 16-bit lanes (low, high halves).
        let load = |j: usize, dx: usize| -> (__m128i, __m128i) {
            let p = src.as_ptr().add(j * stride + dx).cast::<__m128i>();
            if W == 16 {
                let v = _mm_loadu_si128(p);
                (_mm_unpacklo_epi8(v, zero), _mm_unpackhi_epi8(v, zero))
            } else {
                (_mm_unpacklo_epi8(_mm_loadl_epi64(p), zero), zero)
            }
        };
        let add = |a: (__m128i, __m128i), b: (__m128i, __m128i)| {
            (_mm_add_epi16(a.0, b.0), _mm_add_epi16(a.1, b.1))
        };
        for j in 0..h {
            let v = match (hx, hy) {
                (false, false) => load(j, 0),
                (true, false) => {
                    let s = add(add(load(j, 0), load(j, 1)), (one, one));
                    (_mm_srli_epi16(s.0, 1), _mm_srli_epi16(s.1, 1))
                }
                (false, true) => {
                    let s = add(add(load(j, 0), load(j + 1, 0)), (one, one));
                    (_mm_srli_epi16(s.0, 1), _mm_srli_epi16(s.1, 1))
                }
                (true, true) => {
                    let top = add(load(j, 0), load(j, 1));
                    let bottom = add(load(j + 1, 0), load(j + 1, 1));
                    let s = add(add(top, bottom), (two, two));
                    (_mm_srli_epi16(s.0, 2), _mm_srli_epi16(s.1, 2))
                }
            };
            let packed = _mm_packus_epi16(v.0, v.1);
            let at = out.as_mut_ptr().add(j * out_stride).cast::<__m128i>();
            if W == 16 {
                _mm_storeu_si128(at, packed);
            } else {
                _mm_storel_epi64(at, packed);
            }
        }
    }
}

/// Chrominance vector of a one-vector macroblock (7.6.2.2): the luma vector
/// halved, quarter positions rounded to the half position.
#[inline]
pub fn chroma_mv_1(v: i32) -> i32 {
    (v >> 1) | (v & 1)
}

/// Chrominance vector of a four-vector macroblock from the sum of its four
/// luma vectors (7.6.2.2, rounding of Table 7-9 in sixteenths).
#[inline]
pub fn chroma_mv_4(sum: i32) -> i32 {
    const ROUND16: [i32; 16] = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2];
    let a = sum.abs();
    let v = (a >> 4) * 2 + ROUND16[(a & 15) as usize];
    if sum < 0 { -v } else { v }
}

/// Chrominance vector of a four-vector macroblock of a shaped VOP from
/// the sum of the vectors of its `n` (1..=4) non-transparent luma blocks:
/// the sum over 4n, rounded with the tables for 16, 12, 8 and 4 (7.6.2.2).
#[inline]
pub fn chroma_mv_n(sum: i32, n: usize) -> i32 {
    const ROUND12: [i32; 12] = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2];
    const ROUND8: [i32; 8] = [0, 0, 1, 1, 1, 1, 1, 2];
    const ROUND4: [i32; 4] = [0, 1, 1, 1];
    let a = sum.abs();
    let v = match n {
        3 => (a / 12) * 2 + ROUND12[(a % 12) as usize],
        2 => (a / 8) * 2 + ROUND8[(a % 8) as usize],
        1 => (a / 4) * 2 + ROUND4[(a % 4) as usize],
        _ => return chroma_mv_4(sum),
    };
    if sum < 0 { -v } else { v }
}

/// Sum of absolute differences of a `w x h` block.
#[inline]
pub fn sad(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, w: usize, h: usize) -> u32 {
    match w {
        16 => sad_rows::<16>(a, a_stride, b, b_stride, h, u32::MAX),
        8 => sad_rows::<8>(a, a_stride, b, b_stride, h, u32::MAX),
        _ => sad_scalar(a, a_stride, b, b_stride, w, h),
    }
}

/// Scalar reference of `sad`.
pub fn sad_scalar(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, w: usize, h: usize) -> u32 {
    let mut total = 0u32;
    for j in 0..h {
        let ra = &a[j * a_stride..j * a_stride + w];
        let rb = &b[j * b_stride..j * b_stride + w];
        total += ra
            .iter()
            .zip(rb)
            .map(|(&x, &y)| u32::from(x.abs_diff(y)))
            .sum::<u32>();
    }
    total
}

/// SAD of a 16x16 block that gives up once it passes `limit` (checked every
/// four rows): motion search calls it for candidates that mostly lose.
#[inline]
pub fn sad16_limited(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, limit: u32) -> u32 {
    sad_rows::<16>(a, a_stride, b, b_stride, 16, limit)
}

/// SAD of `h` rows of `W` (8 or 16) bytes, stopping early past `limit`.
#[inline]
fn sad_rows<const W: usize>(
    a: &[u8],
    a_stride: usize,
    b: &[u8],
    b_stride: usize,
    h: usize,
    limit: u32,
) -> u32 {
    assert!(
        h >= 1 && a.len() >= (h - 1) * a_stride + W && b.len() >= (h - 1) * b_stride + W,
        "SAD block out of bounds"
    );
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of the x86_64 baseline: no run-time detection needed.
        use std::arch::x86_64::{
            __m128i, _mm_add_epi64, _mm_cvtsi128_si64, _mm_loadl_epi64, _mm_loadu_si128,
            _mm_sad_epu8, _mm_setzero_si128, _mm_unpackhi_epi64,
        };
        // SAFETY: SSE2 is always enabled on x86_64, and the assert above keeps
        // every row's W bytes inside both slices (unaligned loads allowed).
        unsafe {
            let row = |k: usize| {
                let pa = a.as_ptr().add(k * a_stride);
                let pb = b.as_ptr().add(k * b_stride);
                let (x, y) = if W == 16 {
                    (
                        _mm_loadu_si128(pa.cast::<__m128i>()),
                        _mm_loadu_si128(pb.cast::<__m128i>()),
                    )
                } else {
                    (
                        _mm_loadl_epi64(pa.cast::<__m128i>()),
                        _mm_loadl_epi64(pb.cast::<__m128i>()),
                    )
                };
                _mm_sad_epu8(x, y)
            };
            let sum = |acc: __m128i| {
                (_mm_cvtsi128_si64(acc) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc))) as u32
            };
            let mut acc = _mm_setzero_si128();
            // Groups of four rows (a fixed count, so the loop unrolls), the
            // limit checked after each; then the rows left over.
            let mut j = 0;
            while j + 4 <= h {
                for k in j..j + 4 {
                    acc = _mm_add_epi64(acc, row(k));
                }
                j += 4;
                if j < h && sum(acc) > limit {
                    return sum(acc);
                }
            }
            for k in j..h {
                acc = _mm_add_epi64(acc, row(k));
            }
            sum(acc)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = limit;
        sad_scalar(a, a_stride, b, b_stride, W, h)
    }
}

/// Interpolates the leading multiple-of-16 part of a row (leaving one sample
/// of look-ahead) and returns where the scalar tail must start.
#[cfg(target_arch = "x86_64")]
fn interpolate_row_simd(
    row: &[u8],
    next: &[u8],
    h: &mut [u8],
    v: &mut [u8],
    hv: &mut [u8],
    rc: u16,
) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_avg_epu8, _mm_loadu_si128, _mm_or_si128, _mm_set1_epi8,
        _mm_storeu_si128, _mm_sub_epi8, _mm_xor_si128,
    };
    let n = row
        .len()
        .min(next.len())
        .min(h.len())
        .min(v.len())
        .min(hv.len());
    let mut x = 0;
    // Byte lanes throughout. PAVGB gives ceil((p + q) / 2); the rounded-down
    // mean is one less exactly when p + q is odd, i.e. when (p ^ q) & 1.
    // For the four-sample mean, with x = avg(a, b), y = avg(c, d) and
    // e = (a ^ b) | (c ^ d): floor((a + b + c + d + 2) / 4) is avg(x, y)
    // less one when x + y is odd and e & 1 (some pair was rounded up), and
    // floor((a + b + c + d + 1) / 4) is avg(x, y) less one when x + y is
    // odd or both pairs were rounded up. (Checked exhaustively over the
    // parities by the tests against the 16-bit formula.)
    //
    // SAFETY: SSE2 is always enabled on x86_64; every load reads 16 bytes at
    // x or x + 1 with x + 17 <= n, and every store writes 16 bytes at x with
    // x + 16 <= n, inside slices of at least n bytes.
    unsafe {
        let lsb = _mm_set1_epi8(1);
        let down = rc != 0;
        while x + 17 <= n {
            let load = |s: &[u8], at: usize| _mm_loadu_si128(s.as_ptr().add(at).cast::<__m128i>());
            let (a, b, c, d) = (
                load(row, x),
                load(row, x + 1),
                load(next, x),
                load(next, x + 1),
            );
            let (ab, cd) = (_mm_avg_epu8(a, b), _mm_avg_epu8(c, d));
            let (odd_ab, odd_cd) = (_mm_xor_si128(a, b), _mm_xor_si128(c, d));
            let odd_t = _mm_xor_si128(ab, cd);
            let (ho, vo, hvo) = if down {
                (
                    _mm_sub_epi8(ab, _mm_and_si128(odd_ab, lsb)),
                    _mm_sub_epi8(_mm_avg_epu8(a, c), _mm_and_si128(_mm_xor_si128(a, c), lsb)),
                    _mm_sub_epi8(
                        _mm_avg_epu8(ab, cd),
                        _mm_and_si128(_mm_or_si128(odd_t, _mm_and_si128(odd_ab, odd_cd)), lsb),
                    ),
                )
            } else {
                (
                    ab,
                    _mm_avg_epu8(a, c),
                    _mm_sub_epi8(
                        _mm_avg_epu8(ab, cd),
                        _mm_and_si128(_mm_and_si128(odd_t, _mm_or_si128(odd_ab, odd_cd)), lsb),
                    ),
                )
            };
            _mm_storeu_si128(h.as_mut_ptr().add(x).cast::<__m128i>(), ho);
            _mm_storeu_si128(v.as_mut_ptr().add(x).cast::<__m128i>(), vo);
            _mm_storeu_si128(hv.as_mut_ptr().add(x).cast::<__m128i>(), hvo);
            x += 16;
        }
    }
    x
}

#[cfg(not(target_arch = "x86_64"))]
fn interpolate_row_simd(
    _: &[u8],
    _: &[u8],
    _: &mut [u8],
    _: &mut [u8],
    _: &mut [u8],
    _: u16,
) -> usize {
    0
}

/// Sum of squared differences of a `w x h` block (w = 16 or 8 takes SSE2 on
/// x86-64; other widths, and other targets, a scalar loop).
#[inline]
pub fn ssd(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, w: usize, h: usize) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if (w == 16 || w == 8) && h >= 1 {
        assert!(
            a.len() >= (h - 1) * a_stride + w && b.len() >= (h - 1) * b_stride + w,
            "SSD block out of bounds"
        );
        use std::arch::x86_64::{
            __m128i, _mm_add_epi32, _mm_cvtsi128_si32, _mm_loadl_epi64, _mm_loadu_si128,
            _mm_madd_epi16, _mm_setzero_si128, _mm_shuffle_epi32, _mm_sub_epi16, _mm_unpackhi_epi8,
            _mm_unpacklo_epi8,
        };
        // SAFETY: SSE2 is always enabled on x86_64; the assert keeps every
        // row's w bytes inside both slices.
        unsafe {
            let zero = _mm_setzero_si128();
            let mut acc = zero;
            for r in 0..h {
                let pa = a.as_ptr().add(r * a_stride).cast::<__m128i>();
                let pb = b.as_ptr().add(r * b_stride).cast::<__m128i>();
                let (x, y) = if w == 16 {
                    (_mm_loadu_si128(pa), _mm_loadu_si128(pb))
                } else {
                    (_mm_loadl_epi64(pa), _mm_loadl_epi64(pb))
                };
                let lo = _mm_sub_epi16(_mm_unpacklo_epi8(x, zero), _mm_unpacklo_epi8(y, zero));
                acc = _mm_add_epi32(acc, _mm_madd_epi16(lo, lo));
                if w == 16 {
                    let hi = _mm_sub_epi16(_mm_unpackhi_epi8(x, zero), _mm_unpackhi_epi8(y, zero));
                    acc = _mm_add_epi32(acc, _mm_madd_epi16(hi, hi));
                }
            }
            acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0b01_00_11_10));
            acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0b10_11_00_01));
            return _mm_cvtsi128_si32(acc) as u32;
        }
    }
    ssd_scalar(a, a_stride, b, b_stride, w, h)
}

/// Scalar reference of `ssd`.
pub fn ssd_scalar(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, w: usize, h: usize) -> u32 {
    let mut total = 0u32;
    for r in 0..h {
        for i in 0..w {
            let d = i32::from(a[r * a_stride + i]) - i32::from(b[r * b_stride + i]);
            total += (d * d) as u32;
        }
    }
    total
}

/// Half-sample interpolations of a whole reference plane for one rounding
/// type: `planes[k]` for k = 1 (horizontal), 2 (vertical), 3 (both) share the
/// reference's geometry, so the prediction at any half-sample vector is a
/// plain block of one of them (index `(mvx & 1) | (mvy & 1) << 1`, 0 being
/// the reference itself). Motion search reads these instead of
/// interpolating every candidate.
#[derive(Debug, Clone, Default)]
pub struct HalfPlanes {
    pub planes: [Vec<u8>; 3],
}

impl HalfPlanes {
    /// Interpolates `reference` (the last row and column of its padded area
    /// are left as copies).
    pub fn build(&mut self, reference: &Padded, rounding: bool) {
        let rc = u16::from(rounding);
        let (stride, rows) = (reference.stride, reference.data.len() / reference.stride);
        let r = &reference.data;
        for p in &mut self.planes {
            p.resize(r.len(), 0);
        }
        let [h, v, hv] = &mut self.planes;
        for y in 0..rows - 1 {
            let row = &r[y * stride..(y + 1) * stride];
            let next = &r[(y + 1) * stride..(y + 2) * stride];
            let ho = &mut h[y * stride..(y + 1) * stride];
            let vo = &mut v[y * stride..(y + 1) * stride];
            let hvo = &mut hv[y * stride..(y + 1) * stride];
            let x = interpolate_row_simd(row, next, ho, vo, hvo, rc);
            for i in x..stride {
                let (p, s) = (u16::from(row[i]), u16::from(next[i]));
                let (q, t) = if i + 1 < stride {
                    (u16::from(row[i + 1]), u16::from(next[i + 1]))
                } else {
                    (p, s)
                };
                ho[i] = ((p + q + 1 - rc) >> 1) as u8;
                vo[i] = ((p + s + 1 - rc) >> 1) as u8;
                hvo[i] = ((p + q + s + t + 2 - rc) >> 2) as u8;
            }
        }
        let last = (rows - 1) * stride;
        for p in [h, v, hv] {
            p[last..].copy_from_slice(&r[last..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_sad_matches_scalar() {
        let a: Vec<u8> = (0..40 * 20).map(|i| (i * 37 % 251) as u8).collect();
        let b: Vec<u8> = (0..40 * 20).map(|i| (i * 91 % 253) as u8).collect();
        for (w, h) in [(16, 16), (8, 8), (16, 3), (8, 1)] {
            assert_eq!(
                sad(&a[3..], 40, &b[5..], 40, w, h),
                sad_scalar(&a[3..], 40, &b[5..], 40, w, h)
            );
        }
        let full = sad_scalar(&a, 40, &b, 40, 16, 16);
        assert_eq!(sad16_limited(&a, 40, &b, 40, u32::MAX), full);
        assert!(sad16_limited(&a, 40, &b, 40, 10) <= full);
    }

    #[test]
    fn simd_ssd_matches_scalar() {
        let a: Vec<u8> = (0..40 * 20).map(|i| (i * 37 % 256) as u8).collect();
        let b: Vec<u8> = (0..40 * 20).map(|i| (i * 91 % 253) as u8).collect();
        for (w, h) in [(16, 16), (8, 8), (16, 5), (8, 1), (5, 3)] {
            assert_eq!(
                ssd(&a[3..], 40, &b[5..], 40, w, h),
                ssd_scalar(&a[3..], 40, &b[5..], 40, w, h)
            );
        }
        let full = [255u8; 16 * 16];
        let none = [0u8; 16 * 16];
        assert_eq!(ssd(&full, 16, &none, 16, 16, 16), 256 * 255 * 255);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn byte_lane_half_samples_match_the_formulas() {
        // Quadruples (a, b, c, d) = (row[i], row[i + 1], next[i],
        // next[i + 1]): every combination of edge values, then random ones.
        let edges = [0u8, 1, 2, 3, 127, 128, 254, 255];
        let mut quads: Vec<[u8; 4]> = Vec::new();
        for i in 0..edges.len().pow(4) {
            quads.push(std::array::from_fn(|k| {
                edges[i / edges.len().pow(k as u32) % 8]
            }));
        }
        let mut seed = 12345u32;
        for _ in 0..200_000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            quads.push(seed.to_le_bytes());
        }
        for rc in [0u16, 1] {
            // Lay each quadruple out as two 2-sample rows, 17 bytes apart
            // from the next so every lane position is exercised.
            for chunk in quads.chunks(16) {
                let (mut row, mut next) = ([0u8; 33], [0u8; 33]);
                for (i, q) in chunk.iter().enumerate() {
                    (row[2 * i], row[2 * i + 1], next[2 * i], next[2 * i + 1]) =
                        (q[0], q[1], q[2], q[3]);
                }
                let (mut h, mut v, mut hv) = ([0u8; 33], [0u8; 33], [0u8; 33]);
                assert_eq!(
                    interpolate_row_simd(&row, &next, &mut h, &mut v, &mut hv, rc),
                    32
                );
                for i in (0..2 * chunk.len()).step_by(2) {
                    let [a, b, c, d] = [row[i], row[i + 1], next[i], next[i + 1]].map(u16::from);
                    assert_eq!(u16::from(h[i]), (a + b + 1 - rc) >> 1);
                    assert_eq!(u16::from(v[i]), (a + c + 1 - rc) >> 1);
                    assert_eq!(
                        u16::from(hv[i]),
                        (a + b + c + d + 2 - rc) >> 2,
                        "{a} {b} {c} {d} {rc}"
                    );
                }
            }
        }
    }

    #[test]
    fn half_planes_equal_interpolation() {
        let mut p = Padded::new(16, 16, 13, 11, 8);
        for y in 0..11 {
            for x in 0..13 {
                let i = p.index(x, y);
                p.data[i] = (x * 17 + y * 5 + x * y) as u8;
            }
        }
        p.extend_edges();
        for rounding in [false, true] {
            let mut hp = HalfPlanes::default();
            hp.build(&p, rounding);
            for (mvx, mvy) in [(1, 0), (0, 1), (1, 1), (-3, 5)] {
                let mut out = [0u8; 64];
                predict(&p, 2, 3, mvx, mvy, 8, 8, rounding, &mut out, 8);
                let k = ((mvx & 1) | (mvy & 1) << 1) as usize;
                let base = p.index(2 + (mvx >> 1) as isize, 3 + (mvy >> 1) as isize);
                for j in 0..8 {
                    for i in 0..8 {
                        assert_eq!(hp.planes[k - 1][base + j * p.stride + i], out[j * 8 + i]);
                    }
                }
            }
        }
    }

    #[test]
    fn simd_interpolation_matches_scalar() {
        let src: Vec<u8> = (0..40 * 20).map(|i| (i * 37 % 256) as u8).collect();
        for rounding in [false, true] {
            for (hx, hy) in [(false, false), (true, false), (false, true), (true, true)] {
                for h in [1, 8, 16] {
                    let (mut a, mut b) = ([0u8; 16 * 40], [0u8; 16 * 40]);
                    interpolate_w::<16>(&src[3..], 40, hx, hy, h, rounding, &mut a, 40);
                    interpolate_w_scalar::<16>(&src[3..], 40, hx, hy, h, rounding, &mut b, 40);
                    assert_eq!(a, b);
                    interpolate_w::<8>(&src[5..], 40, hx, hy, h, rounding, &mut a, 17);
                    interpolate_w_scalar::<8>(&src[5..], 40, hx, hy, h, rounding, &mut b, 17);
                    assert_eq!(a, b);
                }
            }
        }
        // Extremes round as the standard says.
        let hi = [255u8; 18 * 2];
        let mut out = [0u8; 16];
        interpolate_w::<16>(&hi, 18, true, true, 1, false, &mut out, 16);
        assert_eq!(out, [255; 16]);
    }

    #[test]
    fn chroma_vectors() {
        // 1MV: 1/4 and 3/4 positions go to 1/2.
        assert_eq!(
            [0, 1, 2, 3, 4, -1, -2, -3].map(chroma_mv_1),
            [0, 1, 1, 1, 2, -1, -1, -1]
        );
        // 4MV: sum 16 is one chroma sample (2 half samples).
        assert_eq!(chroma_mv_4(16), 2);
        assert_eq!(chroma_mv_4(3), 1);
        assert_eq!(chroma_mv_4(-14), -2);
        assert_eq!(chroma_mv_4(2), 0);
    }

    #[test]
    fn interpolation_and_rounding() {
        let mut p = Padded::new(16, 16, 16, 16, 8);
        for y in 0..16 {
            for x in 0..16 {
                let i = p.index(x, y);
                p.data[i] = (x * 3 + y) as u8;
            }
        }
        p.extend_edges();
        let mut out = [0u8; 4];
        predict(&p, 2, 2, 1, 0, 2, 2, false, &mut out, 2);
        // (8 + 11 + 1) >> 1 = 10 and (11 + 14 + 1) >> 1 = 13.
        assert_eq!(out[..2], [10, 13]);
        predict(&p, 2, 2, 1, 1, 1, 1, true, &mut out, 1);
        // (8 + 11 + 9 + 12 + 2 - 1) >> 2 = 10.
        assert_eq!(out[0], 10);
        // Far outside: clamped to the corner.
        predict(&p, 0, 0, -400, -400, 2, 2, false, &mut out, 2);
        assert_eq!(out, [0, 0, 0, 0]);
    }
}
