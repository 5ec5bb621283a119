//! Integer 8-point DCT butterflies (Loeffler–Ligtenberg–Moschytz, 12
//! multiplies per 1-D transform), written once, generic over [`Lanes`].
//!
//! Fixed point: rotation constants carry [`CONST_BITS`] fraction bits; the
//! intermediate between the two 1-D passes keeps [`PASS1_BITS`] extra bits.
//! Each pass computes one 1-D transform on eight independent lanes; the 2-D
//! transforms are pass, transpose, pass. Everything is wrapping `i32`, so no
//! input can panic; inputs far outside the ranges documented on the public
//! functions give meaningless (but deterministic) output.

use super::lanes::Lanes;

/// Fraction bits of the rotation constants.
pub(crate) const CONST_BITS: i32 = 13;
/// Extra precision kept between the two passes.
pub(crate) const PASS1_BITS: i32 = 2;

// round(x * 2^13) for the cosine combinations the LLM flow graph needs
// (x = sqrt(2) * cos(k*pi/16) sums, see T.81 A.3.3 for the transform itself).
const FIX_0_298631336: i32 = 2446;
const FIX_0_390180644: i32 = 3196;
const FIX_0_541196100: i32 = 4433;
const FIX_0_765366865: i32 = 6270;
const FIX_0_899976223: i32 = 7373;
const FIX_1_175875602: i32 = 9633;
const FIX_1_501321110: i32 = 12299;
const FIX_1_847759065: i32 = 15137;
const FIX_1_961570560: i32 = 16069;
const FIX_2_053119869: i32 = 16819;
const FIX_2_562915447: i32 = 20995;
const FIX_3_072711026: i32 = 25172;

/// Right shift after the first inverse pass.
pub(crate) const IDCT_SHIFT1: i32 = CONST_BITS - PASS1_BITS;
/// Right shift after the second inverse pass (the extra 3 is the 1/8 of the
/// 2-D normalisation).
pub(crate) const IDCT_SHIFT2: i32 = CONST_BITS + PASS1_BITS + 3;
/// Rounding bias of the first inverse pass.
pub(crate) const IDCT_BIAS1: i32 = 1 << (IDCT_SHIFT1 - 1);
/// Rounding bias of the second inverse pass, output level-shifted samples.
pub(crate) const IDCT_BIAS2: i32 = 1 << (IDCT_SHIFT2 - 1);
/// Rounding bias of the second inverse pass with the +128 level shift of
/// T.81 A.3.1 folded in.
pub(crate) const IDCT_BIAS2_PUT: i32 = IDCT_BIAS2 + (128 << IDCT_SHIFT2);

/// The odd half shared by both directions: the rotations of the four
/// odd-indexed terms. Returns `(a, b, c, d)` as named in the callers.
#[inline(always)]
fn odd_part<L: Lanes>(t0: L, t1: L, t2: L, t3: L, bias: L) -> (L, L, L, L) {
    let z1 = t0 + t3;
    let z2 = t1 + t2;
    let z3 = t0 + t2;
    let z4 = t1 + t3;
    let z5 = (z3 + z4).mul_c(FIX_1_175875602);

    let t0 = t0.mul_c(FIX_0_298631336);
    let t1 = t1.mul_c(FIX_2_053119869);
    let t2 = t2.mul_c(FIX_3_072711026);
    let t3 = t3.mul_c(FIX_1_501321110);
    // The bias rides on z1 and z2: each output below uses exactly one of them.
    let z1 = z1.mul_c(-FIX_0_899976223) + bias;
    let z2 = z2.mul_c(-FIX_2_562915447) + bias;
    let z3 = z3.mul_c(-FIX_1_961570560) + z5;
    let z4 = z4.mul_c(-FIX_0_390180644) + z5;

    (t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4)
}

/// One 1-D inverse DCT on eight lanes: `d[k]` holds coefficient `k`, the
/// result holds sample `k`, times `2^(CONST_BITS - SHIFT)` (before rounding),
/// with `bias` added before the final shift.
#[inline(always)]
pub(crate) fn idct_1d<L: Lanes, const SHIFT: i32>(d: [L; 8], bias: i32) -> [L; 8] {
    let zero = d[0].splat(0);
    // Even part.
    let z1 = (d[2] + d[6]).mul_c(FIX_0_541196100);
    let e2 = z1 + d[6].mul_c(-FIX_1_847759065);
    let e3 = z1 + d[2].mul_c(FIX_0_765366865);
    let base = d[0].shl::<CONST_BITS>() + d[0].splat(bias);
    let d4 = d[4].shl::<CONST_BITS>();
    let e0 = base + d4;
    let e1 = base - d4;
    let t10 = e0 + e3;
    let t13 = e0 - e3;
    let t11 = e1 + e2;
    let t12 = e1 - e2;
    // Odd part (rounding already in the even part).
    let (o0, o1, o2, o3) = odd_part(d[7], d[5], d[3], d[1], zero);
    [
        (t10 + o3).sra::<SHIFT>(),
        (t11 + o2).sra::<SHIFT>(),
        (t12 + o1).sra::<SHIFT>(),
        (t13 + o0).sra::<SHIFT>(),
        (t13 - o0).sra::<SHIFT>(),
        (t12 - o1).sra::<SHIFT>(),
        (t11 - o2).sra::<SHIFT>(),
        (t10 - o3).sra::<SHIFT>(),
    ]
}

/// 2-D inverse DCT. `rows[v]` lane `u` holds coefficient (v, u). Returns
/// `out[x]` lane `y` = sample (y, x) (column-major: callers store it in
/// whatever way is cheapest), rounded with `bias2` before the last shift.
#[inline(always)]
pub(crate) fn idct_2d<L: Lanes>(rows: [L; 8], bias2: i32) -> [L; 8] {
    let w = idct_1d::<L, IDCT_SHIFT1>(rows, IDCT_BIAS1);
    idct_1d::<L, IDCT_SHIFT2>(L::transpose(w), bias2)
}

/// The value every sample of a DC-only block takes in [`idct_2d`] with
/// `bias2`: the same operations the full transform does when every other
/// input is zero (x + 0 and 0 * c are exact), so the shortcut is exact even
/// for wrapped hostile input.
#[inline]
pub(crate) fn idct_dc_only(dc: i32, bias2: i32) -> i32 {
    let w = dc.wrapping_shl(CONST_BITS as u32).wrapping_add(IDCT_BIAS1) >> IDCT_SHIFT1;
    w.wrapping_shl(CONST_BITS as u32).wrapping_add(bias2) >> IDCT_SHIFT2
}

/// The stages both forward passes share: sums and differences of mirrored
/// samples, then the even part's second stage. Returns `(t10, t11, t12,
/// t13, [t4, t5, t6, t7])` in the LLM flow graph's names.
#[inline(always)]
fn fdct_butterflies<L: Lanes>(s: &[L; 8]) -> (L, L, L, L, [L; 4]) {
    let (t0, t7) = (s[0] + s[7], s[0] - s[7]);
    let (t1, t6) = (s[1] + s[6], s[1] - s[6]);
    let (t2, t5) = (s[2] + s[5], s[2] - s[5]);
    let (t3, t4) = (s[3] + s[4], s[3] - s[4]);
    (t0 + t3, t1 + t2, t1 - t2, t0 - t3, [t4, t5, t6, t7])
}

/// One 1-D forward DCT on eight lanes, first pass: output `k` is the
/// 8-point DCT-II term `k` scaled so that after [`fdct_pass2`] the 2-D result
/// has T.81 A.3.3 scaling, times `2^PASS1_BITS`.
#[inline(always)]
fn fdct_pass1<L: Lanes>(s: [L; 8]) -> [L; 8] {
    const SHIFT: i32 = CONST_BITS - PASS1_BITS;
    let bias = s[0].splat(1 << (SHIFT - 1));
    let (t10, t11, t12, t13, [t4, t5, t6, t7]) = fdct_butterflies(&s);
    let z1 = (t12 + t13).mul_c(FIX_0_541196100) + bias;
    let (o7, o5, o3, o1) = odd_part(t4, t5, t6, t7, bias);
    [
        (t10 + t11).shl::<PASS1_BITS>(),
        o1.sra::<SHIFT>(),
        (z1 + t13.mul_c(FIX_0_765366865)).sra::<SHIFT>(),
        o3.sra::<SHIFT>(),
        (t10 - t11).shl::<PASS1_BITS>(),
        o5.sra::<SHIFT>(),
        (z1 + t12.mul_c(-FIX_1_847759065)).sra::<SHIFT>(),
        o7.sra::<SHIFT>(),
    ]
}

/// Second forward pass: removes the `PASS1_BITS`, the fixed-point scale
/// and the 1/8 that brings the LLM flow graph to T.81 A.3.3 scaling, with
/// rounding half up.
#[inline(always)]
fn fdct_pass2<L: Lanes>(s: [L; 8]) -> [L; 8] {
    const SHIFT: i32 = CONST_BITS + PASS1_BITS + 3;
    const DC_SHIFT: i32 = PASS1_BITS + 3;
    let bias = s[0].splat(1 << (SHIFT - 1));
    let (t10, t11, t12, t13, [t4, t5, t6, t7]) = fdct_butterflies(&s);
    // Rounds the two outputs that only shift (DC and position 4).
    let t10 = t10 + s[0].splat(1 << (DC_SHIFT - 1));
    let z1 = (t12 + t13).mul_c(FIX_0_541196100) + bias;
    let (o7, o5, o3, o1) = odd_part(t4, t5, t6, t7, bias);
    [
        (t10 + t11).sra::<DC_SHIFT>(),
        o1.sra::<SHIFT>(),
        (z1 + t13.mul_c(FIX_0_765366865)).sra::<SHIFT>(),
        o3.sra::<SHIFT>(),
        (t10 - t11).sra::<DC_SHIFT>(),
        o5.sra::<SHIFT>(),
        (z1 + t12.mul_c(-FIX_1_847759065)).sra::<SHIFT>(),
        o7.sra::<SHIFT>(),
    ]
}

/// 2-D forward DCT. `rows[y]` lane `x` holds sample (y, x) (level-shifted).
/// Returns `out[v]` lane `u` = coefficient (v, u), T.81 A.3.3 scaling.
#[inline(always)]
pub(crate) fn fdct_2d<L: Lanes>(rows: [L; 8]) -> [L; 8] {
    let a = fdct_pass1(rows);
    let b = fdct_pass2(L::transpose(a));
    L::transpose(b)
}
