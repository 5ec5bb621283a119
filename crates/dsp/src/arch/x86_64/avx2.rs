//! AVX2 DCT kernels.
//!
//! These run the generic butterflies of `dct::llm` on [`V8`], one `__m256i`
//! of eight `i32` lanes per value, so they compute exactly what the portable
//! kernels in [`crate::dct`] compute (every lane operation is the wrapping
//! `i32` operation). Only loads, stores, the transposes and the final
//! saturation are written here by hand, and their portable counterparts are
//! plain saturating conversions. `tests/simd_matches_scalar.rs` checks
//! bit-exactness on many blocks.

use core::arch::x86_64::*;
use core::ops::{Add, Sub};

use crate::Kernels;
use crate::bilinear::{self, FRAC_SCALE, Plane};
use crate::dct::lanes::Lanes;
use crate::dct::llm::{self, IDCT_BIAS2, IDCT_BIAS2_PUT};
use crate::dct::{check_block_len, dc_only_put};

/// The AVX2 kernels, or `None` if this CPU lacks AVX2.
pub(crate) fn kernels() -> Option<Kernels> {
    if !is_x86_feature_detected!("avx2") {
        return None;
    }
    Some(Kernels {
        name: "avx2",
        fdct_8x8,
        idct_8x8,
        dequant_idct_put,
        fdct_8x8_u8,
        bilinear_line,
        mix_quantize: super::avx2_mix::mix_quantize,
    })
}

// Safe entry points. They are private and only handed out inside the
// `Kernels` value built by `kernels()` after AVX2 was detected.

fn fdct_8x8(input: &[i16; 64], out: &mut [i16; 64]) {
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { fdct_8x8_avx2(input, out) }
}

fn fdct_8x8_u8(src: &[u8], stride: usize, out: &mut [i16; 64]) {
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { fdct_8x8_u8_avx2(src, stride, out) }
}

fn idct_8x8(input: &[i16; 64], out: &mut [i16; 64]) {
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { idct_8x8_avx2(input, out) }
}

fn dequant_idct_put(coeffs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { dequant_idct_put_avx2(coeffs, quant, out, stride) }
}

fn bilinear_line(plane: &Plane<'_>, u: i32, v: i32, du: i32, dv: i32, out: &mut [u8]) {
    plane.check();
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { bilinear_line_avx2(plane, (u, v, du, dv), out) }
}

/// Eight `i32` lanes in a ymm register.
///
/// Invariant: a `V8` is only ever created inside a function compiled with
/// `#[target_feature(enable = "avx2")]`, which in turn is only called once
/// AVX2 was detected. The existence of a value therefore proves that AVX2
/// instructions may run, which is what makes the safe methods below sound.
#[derive(Clone, Copy)]
struct V8(__m256i);

impl Add for V8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: a `V8` exists, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_add_epi32(self.0, o.0) })
    }
}

impl Sub for V8 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: a `V8` exists, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_sub_epi32(self.0, o.0) })
    }
}

impl Lanes for V8 {
    #[inline(always)]
    fn splat(self, c: i32) -> Self {
        // SAFETY: `self` is a `V8`, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_set1_epi32(c) })
    }
    #[inline(always)]
    fn mul_c(self, c: i32) -> Self {
        // SAFETY: a `V8` exists, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_mullo_epi32(self.0, _mm256_set1_epi32(c)) })
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        // SAFETY: a `V8` exists, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_slli_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn sra<const N: i32>(self) -> Self {
        // SAFETY: a `V8` exists, so AVX2 is available (type invariant).
        Self(unsafe { _mm256_srai_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn transpose(m: [Self; 8]) -> [Self; 8] {
        // SAFETY: values of `V8` exist, so AVX2 is available (type invariant).
        unsafe { transpose8(m) }
    }
}

/// 8x8 `i32` transpose: pairs, then quads within 128-bit halves, then halves.
#[target_feature(enable = "avx2")]
fn transpose8(m: [V8; 8]) -> [V8; 8] {
    let r = m.map(|v| v.0);
    let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
    let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
    let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
    let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
    let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    let u0 = _mm256_unpacklo_epi64(t0, t2);
    let u1 = _mm256_unpackhi_epi64(t0, t2);
    let u2 = _mm256_unpacklo_epi64(t1, t3);
    let u3 = _mm256_unpackhi_epi64(t1, t3);
    let u4 = _mm256_unpacklo_epi64(t4, t6);
    let u5 = _mm256_unpackhi_epi64(t4, t6);
    let u6 = _mm256_unpacklo_epi64(t5, t7);
    let u7 = _mm256_unpackhi_epi64(t5, t7);
    [
        V8(_mm256_permute2x128_si256::<0x20>(u0, u4)),
        V8(_mm256_permute2x128_si256::<0x20>(u1, u5)),
        V8(_mm256_permute2x128_si256::<0x20>(u2, u6)),
        V8(_mm256_permute2x128_si256::<0x20>(u3, u7)),
        V8(_mm256_permute2x128_si256::<0x31>(u0, u4)),
        V8(_mm256_permute2x128_si256::<0x31>(u1, u5)),
        V8(_mm256_permute2x128_si256::<0x31>(u2, u6)),
        V8(_mm256_permute2x128_si256::<0x31>(u3, u7)),
    ]
}

/// Sign-extends the 8 `i16` of row `r` of a block.
#[target_feature(enable = "avx2")]
fn load_row_i16(block: &[i16; 64], r: usize) -> V8 {
    assert!(r < 8);
    // SAFETY: r < 8, so the 8 elements r*8..r*8+8 (16 bytes) are inside
    // `block`; `loadu` has no alignment requirement.
    V8(_mm256_cvtepi16_epi32(unsafe {
        _mm_loadu_si128(block.as_ptr().add(r * 8).cast())
    }))
}

/// Saturates rows to `i16` and stores them row-major.
#[target_feature(enable = "avx2")]
fn store_rows_i16(rows: [V8; 8], out: &mut [i16; 64]) {
    for k in 0..4 {
        // packs works per 128-bit half: [r0 0-3, r1 0-3 | r0 4-7, r1 4-7];
        // the qword permute restores [r0 0-7 | r1 0-7].
        let p = _mm256_packs_epi32(rows[2 * k].0, rows[2 * k + 1].0);
        let p = _mm256_permute4x64_epi64::<0b11_01_10_00>(p);
        // SAFETY: k < 4, so elements 16k..16k+16 (32 bytes) are inside
        // `out`; `storeu` has no alignment requirement.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(16 * k).cast(), p) };
    }
}

#[target_feature(enable = "avx2")]
fn fdct_8x8_avx2(input: &[i16; 64], out: &mut [i16; 64]) {
    let mut rows = [V8(_mm256_setzero_si256()); 8];
    for (r, row) in rows.iter_mut().enumerate() {
        *row = load_row_i16(input, r);
    }
    store_rows_i16(llm::fdct_2d(rows), out);
}

#[target_feature(enable = "avx2")]
fn fdct_8x8_u8_avx2(src: &[u8], stride: usize, out: &mut [i16; 64]) {
    check_block_len(src.len(), stride);
    let shift = _mm256_set1_epi32(128);
    let mut rows = [V8(_mm256_setzero_si256()); 8];
    for (y, row) in rows.iter_mut().enumerate() {
        // SAFETY: check_block_len guarantees y*stride + 8 <= src.len() for
        // y < 8, so the 8-byte load stays inside `src`.
        let px = unsafe { _mm_loadl_epi64(src.as_ptr().add(y * stride).cast()) };
        *row = V8(_mm256_sub_epi32(_mm256_cvtepu8_epi32(px), shift));
    }
    store_rows_i16(llm::fdct_2d(rows), out);
}

#[target_feature(enable = "avx2")]
fn idct_8x8_avx2(input: &[i16; 64], out: &mut [i16; 64]) {
    let mut rows = [V8(_mm256_setzero_si256()); 8];
    for (r, row) in rows.iter_mut().enumerate() {
        *row = load_row_i16(input, r);
    }
    let cols = llm::idct_2d(rows, IDCT_BIAS2);
    store_rows_i16(transpose8(cols), out);
}

#[target_feature(enable = "avx2")]
fn dequant_idct_put_avx2(coeffs: &[i16; 64], quant: &[u16; 64], out: &mut [u8], stride: usize) {
    check_block_len(out.len(), stride);
    let cp = coeffs.as_ptr();

    // DC-only blocks (very common) take the shared scalar shortcut.
    // SAFETY: the four 32-byte loads cover exactly the 128 bytes of `coeffs`.
    let (c0, c1, c2, c3) = unsafe {
        (
            _mm256_loadu_si256(cp.cast()),
            _mm256_loadu_si256(cp.add(16).cast()),
            _mm256_loadu_si256(cp.add(32).cast()),
            _mm256_loadu_si256(cp.add(48).cast()),
        )
    };
    // (Not blend_epi16: its mask repeats per 128-bit half.)
    let ac_mask = _mm256_setr_epi16(
        0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    );
    let ac0 = _mm256_and_si256(c0, ac_mask);
    let any = _mm256_or_si256(_mm256_or_si256(ac0, c1), _mm256_or_si256(c2, c3));
    if _mm256_testz_si256(any, any) != 0 {
        let v = _mm_set1_epi8(dc_only_put(coeffs[0], quant[0]) as i8);
        for y in 0..8 {
            // SAFETY: check_block_len guarantees y*stride + 8 <= out.len().
            unsafe { _mm_storel_epi64(out.as_mut_ptr().add(y * stride).cast(), v) };
        }
        return;
    }

    // Blocks whose coefficient rows 4..8 are all zero (most blocks of real
    // images) skip those loads, and the first pass shrinks: with literal
    // zero inputs the compiler drops the `* c` and `+ 0` terms, which are
    // exact, so the result is the same as the full transform.
    let high = _mm256_or_si256(c2, c3);
    let cols = if _mm256_testz_si256(high, high) != 0 {
        let mut rows = [V8(_mm256_setzero_si256()); 8];
        for (v, row) in rows.iter_mut().enumerate().take(4) {
            *row = dequant_row(coeffs, quant, v);
        }
        llm::idct_2d(rows, IDCT_BIAS2_PUT)
    } else {
        let mut rows = [V8(_mm256_setzero_si256()); 8];
        for (v, row) in rows.iter_mut().enumerate() {
            *row = dequant_row(coeffs, quant, v);
        }
        llm::idct_2d(rows, IDCT_BIAS2_PUT)
    };
    put_cols_u8(cols, out, stride);
}

/// Row `v` of the block, dequantized: `c * max(q, 1)` in `i32` (exact, as
/// |c| <= 2^15 and q < 2^16).
#[target_feature(enable = "avx2")]
fn dequant_row(coeffs: &[i16; 64], quant: &[u16; 64], v: usize) -> V8 {
    assert!(v < 8);
    // SAFETY: v < 8, so the 16-byte loads at element 8v stay inside the
    // 64-element arrays; `loadu` has no alignment requirement.
    let (c, q) = unsafe {
        (
            _mm_loadu_si128(coeffs.as_ptr().add(v * 8).cast()),
            _mm_loadu_si128(quant.as_ptr().add(v * 8).cast()),
        )
    };
    let q = _mm256_max_epi32(_mm256_cvtepu16_epi32(q), _mm256_set1_epi32(1));
    V8(_mm256_mullo_epi32(_mm256_cvtepi16_epi32(c), q))
}

/// Stores `cols[x]` lane `y` as byte (y, x), clamped to 0..=255.
///
/// Packing first and transposing bytes is far cheaper than an `i32`
/// transpose: `i32 -> i16 -> u8` saturation leaves, in each 128-bit half,
/// a 4x4 byte matrix `[x][y]`; one shuffle transposes it and two unpacks
/// join the `x < 4` and `x >= 4` halves of each row.
#[target_feature(enable = "avx2")]
fn put_cols_u8(cols: [V8; 8], out: &mut [u8], stride: usize) {
    check_block_len(out.len(), stride);
    let p01 = _mm256_packs_epi32(cols[0].0, cols[1].0);
    let p23 = _mm256_packs_epi32(cols[2].0, cols[3].0);
    let p45 = _mm256_packs_epi32(cols[4].0, cols[5].0);
    let p67 = _mm256_packs_epi32(cols[6].0, cols[7].0);
    // Half h of b_lo: byte 4x + j = sample (4h + j, x) for x in 0..4.
    let b_lo = _mm256_packus_epi16(p01, p23);
    let b_hi = _mm256_packus_epi16(p45, p67);
    let t = _mm256_setr_epi8(
        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, //
        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
    );
    // Half h: dword j = row 4h + j, columns 0..4 (resp. 4..8).
    let c_lo = _mm256_shuffle_epi8(b_lo, t);
    let c_hi = _mm256_shuffle_epi8(b_hi, t);
    // Half h of d01: rows 4h, 4h+1 (8 bytes each); d23: rows 4h+2, 4h+3.
    let d01 = _mm256_unpacklo_epi32(c_lo, c_hi);
    let d23 = _mm256_unpackhi_epi32(c_lo, c_hi);
    let halves = [
        _mm256_castsi256_si128(d01),
        _mm256_castsi256_si128(d23),
        _mm256_extracti128_si256::<1>(d01),
        _mm256_extracti128_si256::<1>(d23),
    ];
    let p = out.as_mut_ptr();
    for (k, h) in halves.into_iter().enumerate() {
        // SAFETY: rows 2k and 2k+1 are < 8 and check_block_len guarantees
        // y*stride + 8 <= out.len() for every y < 8.
        unsafe {
            _mm_storel_epi64(p.add(2 * k * stride).cast(), h);
            _mm_storeh_pd(p.add((2 * k + 1) * stride).cast(), _mm_castsi128_pd(h));
        }
    }
}

/// [`bilinear::bilinear_line`] with the samples whose neighbours need no
/// clamping gathered eight at a time: two 4-byte gathers (at each left
/// neighbour, in its row and the next) fetch all four neighbours, then the
/// same `f32` operations as the scalar kernel, lane by lane. The rest
/// (the run's ends at the plane's edges) go through the scalar code.
#[target_feature(enable = "avx2")]
fn bilinear_line_avx2(plane: &Plane<'_>, run: (i32, i32, i32, i32), out: &mut [u8]) {
    let n = out.len();
    // A gather reads 4 bytes from each left neighbour: up to 2 past the
    // last sample of the last row. Offsets are `i32`, and so are the
    // positions of interior samples (below 2^15 pixels).
    let gatherable = plane.data.len() >= (plane.height - 1) * plane.stride + plane.width + 2
        && plane.data.len() <= i32::MAX as usize
        && plane.width <= 1 << 15
        && plane.height <= 1 << 15;
    let (lo, hi) = if gatherable {
        bilinear::interior(plane, run, n)
    } else {
        (0, 0)
    };
    let end = lo + (hi - lo) / 8 * 8;
    bilinear::clamped_samples(plane, run, 0..lo, out);
    if end > lo {
        let (u, v, du, dv) = run;
        // Lane offsets: within a chunk of interior samples every lane's
        // position fits in i32, so these (differences of two of them) do.
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let lane_du = _mm256_mullo_epi32(lanes, _mm256_set1_epi32(du));
        let lane_dv = _mm256_mullo_epi32(lanes, _mm256_set1_epi32(dv));
        let frac = _mm256_set1_epi32((1 << bilinear::FRAC_BITS) - 1);
        let byte = _mm256_set1_epi32(0xff);
        let scale = _mm256_set1_ps(FRAC_SCALE);
        let stride = _mm256_set1_epi32(plane.stride as i32);
        let row0 = plane.data.as_ptr();
        let row1 = row0.wrapping_add(plane.stride);
        for k in (lo..end).step_by(8) {
            let step = k as i64;
            let pu = (i64::from(u) + step * i64::from(du)) as i32;
            let pv = (i64::from(v) + step * i64::from(dv)) as i32;
            let uu = _mm256_add_epi32(_mm256_set1_epi32(pu), lane_du);
            let vv = _mm256_add_epi32(_mm256_set1_epi32(pv), lane_dv);
            let x = _mm256_srai_epi32::<16>(uu);
            let y = _mm256_srai_epi32::<16>(vv);
            let fx = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(uu, frac)), scale);
            let fy = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(vv, frac)), scale);
            let at = _mm256_add_epi32(_mm256_mullo_epi32(y, stride), x);
            // SAFETY: every lane is an interior sample: 0 <= x <= width - 2
            // and 0 <= y <= height - 2, so the 4 bytes at y * stride + x
            // and (y + 1) * stride + x end at most at (height - 1) * stride
            // + width + 2 <= data.len() (checked above), which is below
            // 2^31, so the offsets did not wrap.
            let (g0, g1) = unsafe {
                (
                    _mm256_i32gather_epi32::<1>(row0.cast(), at),
                    _mm256_i32gather_epi32::<1>(row1.cast(), at),
                )
            };
            let left = |g| _mm256_cvtepi32_ps(_mm256_and_si256(g, byte));
            let right = |g| _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32::<8>(g), byte));
            let (a, b, c, d) = (left(g0), right(g0), left(g1), right(g1));
            let top = _mm256_add_ps(a, _mm256_mul_ps(_mm256_sub_ps(b, a), fx));
            let bottom = _mm256_add_ps(c, _mm256_mul_ps(_mm256_sub_ps(d, c), fx));
            let s = _mm256_add_ps(top, _mm256_mul_ps(_mm256_sub_ps(bottom, top), fy));
            // Round to nearest even (the default mode), saturate to bytes
            // (as the scalar clamp does), and join the halves' 4 bytes.
            let r = _mm256_cvtps_epi32(s);
            let p = _mm256_packus_epi16(_mm256_packus_epi32(r, r), _mm256_setzero_si256());
            let bytes =
                _mm_unpacklo_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256::<1>(p));
            assert!(k + 8 <= n);
            // SAFETY: k + 8 <= n = out.len(), so the 8-byte store is inside.
            unsafe { _mm_storel_epi64(out.as_mut_ptr().add(k).cast(), bytes) };
        }
    }
    bilinear::clamped_samples(plane, run, end..n, out);
}
