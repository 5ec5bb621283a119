//! AVX2 kernel of the DCT-domain mix ([`crate::mix`]): the steps of
//! [`crate::mix::mix_quantize`], sixteen coefficients (two rows) at a
//! time.
//!
//! Per 16-coefficient chunk: each input's coefficients are clamped to the
//! term's `limit` so that the 16-bit product with the step is exact and
//! clamps to 12 bits as the 32-bit one does; pairs of terms are
//! interleaved and multiplied by their weights with `madd` (16x16 -> 32
//! bits, two terms a lane); the Q14 sums are rounded and clamped in `i32`,
//! quantized in `f32` (exact for these magnitudes, see `OutputLanes`), and
//! packed back to `i16` in natural order. Chunks after the last one that
//! is non-zero in some input are zero in the result, so they are only
//! stored.

use core::arch::x86_64::*;

use crate::mix::{Mix, Term};

/// Safe entry point: private to the crate and only handed out inside the
/// `Kernels` value built by `avx2::kernels()` after AVX2 was detected.
pub(crate) fn mix_quantize(mix: &Mix, blocks: &[&[i16; 64]], out: &mut [i16; 64]) {
    // SAFETY: only reachable through `kernels()`, which checked for AVX2.
    unsafe { mix_quantize_avx2(mix, blocks, out) }
}

/// The 16 coefficients `16 * j..16 * j + 16` of a 64-element table.
#[target_feature(enable = "avx2")]
fn load_chunk(table: &[i16; 64], j: usize) -> __m256i {
    assert!(j < 4);
    // SAFETY: j < 4, so the 32 bytes at element 16j are inside `table`;
    // `loadu` has no alignment requirement.
    unsafe { _mm256_loadu_si256(table.as_ptr().add(16 * j).cast()) }
}

#[target_feature(enable = "avx2")]
fn load_f32x8(lanes: &[f32; 8]) -> __m256 {
    // SAFETY: `lanes` is 32 bytes; `loadu` has no alignment requirement.
    unsafe { _mm256_loadu_ps(lanes.as_ptr()) }
}

#[target_feature(enable = "avx2")]
fn mix_quantize_avx2(mix: &Mix, blocks: &[&[i16; 64]], out: &mut [i16; 64]) {
    let n = mix.terms.len().min(blocks.len());
    let (terms, blocks) = (&mix.terms[..n], &blocks[..n]);
    // Chunks up to the last one with a non-zero coefficient in some input;
    // chunk 0 always (it carries the DC offset).
    let mut any = [_mm256_setzero_si256(); 4];
    for block in blocks {
        for (j, a) in any.iter_mut().enumerate() {
            *a = _mm256_or_si256(*a, load_chunk(block, j));
        }
    }
    let chunks = (1..4)
        .rev()
        .find(|&j| _mm256_testz_si256(any[j], any[j]) == 0)
        .map_or(1, |j| j + 1);
    let mut result = [_mm256_setzero_si256(); 4];
    for (j, r) in result.iter_mut().enumerate().take(chunks) {
        *r = chunk(mix, terms, blocks, j);
    }
    // Four stores, the zero chunks too (a loop of only those becomes a
    // call to memset).
    for (j, r) in result.into_iter().enumerate() {
        // SAFETY: j < 4, so the 32 bytes at element 16j are inside `out`.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(16 * j).cast(), r) };
    }
}

/// Chunk `j` of the result, quantized, natural order.
#[target_feature(enable = "avx2")]
fn chunk(mix: &Mix, terms: &[Term], blocks: &[&[i16; 64]], j: usize) -> __m256i {
    // Q14 sums of coefficients 16j + [0-3, 8-11] (lo) and [4-7, 12-15] (hi).
    let mut lo = if j == 0 {
        _mm256_setr_epi32(mix.dc, 0, 0, 0, 0, 0, 0, 0)
    } else {
        _mm256_setzero_si256()
    };
    let mut hi = _mm256_setzero_si256();
    let pairs = terms.chunks(2).zip(blocks.chunks(2));
    for ((pair, pair_blocks), &w) in pairs.zip(&mix.pair_weights) {
        let d0 = dequantize(&pair[0], pair_blocks[0], j);
        // A missing second term (odd count, or fewer blocks than terms)
        // adds zero.
        let d1 = match (pair.get(1), pair_blocks.get(1)) {
            (Some(t), Some(b)) => dequantize(t, b, j),
            _ => _mm256_setzero_si256(),
        };
        let w = _mm256_set1_epi32(w);
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(d0, d1), w));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(d0, d1), w));
    }
    let lanes = &mix.lanes;
    let (a, b) = (2 * j, 2 * j + 1);
    let qlo = quantize(round(lo), &lanes.bias[a], &lanes.recip[a]);
    let qhi = quantize(round(hi), &lanes.bias[b], &lanes.recip[b]);
    // Per 128-bit half: lo's four then hi's four, which is natural order.
    _mm256_packs_epi32(qlo, qhi)
}

/// Chunk `j` of `block` dequantized by `term`: `clamp(c * step, -2048,
/// 2047)`, computed as `clamp(clamp(c, -limit, limit) * step, ...)` in 16
/// bits (exact: see `Term::limit`).
#[target_feature(enable = "avx2")]
fn dequantize(term: &Term, block: &[i16; 64], j: usize) -> __m256i {
    let c = load_chunk(block, j);
    let c = _mm256_min_epi16(
        _mm256_max_epi16(c, load_chunk(&term.neg_limit, j)),
        load_chunk(&term.limit, j),
    );
    let d = _mm256_mullo_epi16(c, load_chunk(&term.step, j));
    _mm256_min_epi16(
        _mm256_max_epi16(d, _mm256_set1_epi16(-2048)),
        _mm256_set1_epi16(2047),
    )
}

/// `round_weighted` on eight lanes: to nearest, ties to even, clamped to
/// -2048..=2047.
#[target_feature(enable = "avx2")]
fn round(s: __m256i) -> __m256i {
    let odd = _mm256_and_si256(_mm256_srai_epi32::<14>(s), _mm256_set1_epi32(1));
    let half = _mm256_set1_epi32((1 << 13) - 1);
    let v = _mm256_srai_epi32::<14>(_mm256_add_epi32(_mm256_add_epi32(s, half), odd));
    _mm256_min_epi32(
        _mm256_max_epi32(v, _mm256_set1_epi32(-2048)),
        _mm256_set1_epi32(2047),
    )
}

/// `QuantRecip::quantize` on eight lanes of `|v| <= 2048`: `sign(v) *
/// trunc((|v| + bias) * recip)` in `f32`, exact (see `OutputLanes`).
#[target_feature(enable = "avx2")]
fn quantize(v: __m256i, bias: &[f32; 8], recip: &[f32; 8]) -> __m256i {
    let magnitude = _mm256_cvtepi32_ps(_mm256_abs_epi32(v));
    let quotient = _mm256_mul_ps(
        _mm256_add_ps(magnitude, load_f32x8(bias)),
        load_f32x8(recip),
    );
    // Negated where v < 0; where v is 0, the quotient is 0 too.
    _mm256_sign_epi32(_mm256_cvttps_epi32(quotient), v)
}
