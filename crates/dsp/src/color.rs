//! Colour conversion between interleaved RGB and Y'CbCr, BT.601 full range
//! as JFIF 1.02 (section 7) specifies for JPEG:
//!
//! ```text
//! Y  =  0.299 R + 0.587 G + 0.114 B
//! Cb = -0.168736 R - 0.331264 G + 0.5 B + 128
//! Cr =  0.5 R - 0.418688 G - 0.081312 B + 128
//! R  = Y + 1.402 (Cr - 128)
//! G  = Y - 0.344136 (Cb - 128) - 0.714136 (Cr - 128)
//! B  = Y + 1.772 (Cb - 128)
//! ```
//!
//! Fixed point with 16 fraction bits, rounded, clamped to 0..=255. The loops
//! are plain per-pixel code that the compiler vectorizes.

/// Fraction bits of the fixed-point weights.
const BITS: u32 = 16;
const HALF: i32 = 1 << (BITS - 1);

/// `round(x * 2^16)`.
const fn fix(x: f64) -> i32 {
    (x * (1 << BITS) as f64 + 0.5) as i32
}

// Y'CbCr -> RGB.
const CR_R: i32 = fix(1.402);
const CB_G: i32 = fix(0.344136);
const CR_G: i32 = fix(0.714136);
const CB_B: i32 = fix(1.772);

// RGB -> Y'CbCr. Rows sum to 2^16 (Y) and 0 (Cb, Cr) so that grey maps to
// exactly (Y, 128, 128).
const Y_R: i32 = fix(0.299);
const Y_G: i32 = fix(0.587);
const Y_B: i32 = (1 << BITS) - Y_R - Y_G;
const CB_R: i32 = fix(0.168736);
const CB_GN: i32 = (1 << (BITS - 1)) - CB_R;
const CR_GN: i32 = fix(0.418688);
const CR_B: i32 = (1 << (BITS - 1)) - CR_GN;
/// +128 offset for chroma with rounding; one less than half so that the
/// largest value, 255.5 before rounding, cannot reach 256.
const CHROMA_BIAS: i32 = (128 << BITS) + HALF - 1;

#[inline(always)]
fn clamp_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Converts one row of Y'CbCr (chroma already at full width) to interleaved
/// RGB. Converts `y.len()` pixels.
///
/// # Panics
///
/// If `cb` or `cr` is shorter than `y`, or `rgb` shorter than `3 * y.len()`.
pub fn ycbcr_to_rgb_row(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) {
    let n = y.len();
    let (cb, cr, rgb) = (&cb[..n], &cr[..n], &mut rgb[..3 * n]);
    for (((px, &y), &cb), &cr) in rgb.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let y = i32::from(y);
        let cb = i32::from(cb) - 128;
        let cr = i32::from(cr) - 128;
        px[0] = clamp_u8(y + ((CR_R * cr + HALF) >> BITS));
        px[1] = clamp_u8(y + ((-CB_G * cb - CR_G * cr + HALF) >> BITS));
        px[2] = clamp_u8(y + ((CB_B * cb + HALF) >> BITS));
    }
}

/// Converts one row of interleaved RGB to Y'CbCr. Converts `y.len()`
/// pixels.
///
/// # Panics
///
/// If `cb` or `cr` is shorter than `y`, or `rgb` shorter than `3 * y.len()`.
pub fn rgb_to_ycbcr_row(rgb: &[u8], y: &mut [u8], cb: &mut [u8], cr: &mut [u8]) {
    let n = y.len();
    let (cb, cr, rgb) = (&mut cb[..n], &mut cr[..n], &rgb[..3 * n]);
    for (((px, y), cb), cr) in rgb.chunks_exact(3).zip(y).zip(cb).zip(cr) {
        let (r, g, b) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
        *y = clamp_u8((Y_R * r + Y_G * g + Y_B * b + HALF) >> BITS);
        *cb = clamp_u8((-CB_R * r - CB_GN * g + (b << (BITS - 1)) + CHROMA_BIAS) >> BITS);
        *cr = clamp_u8(((r << (BITS - 1)) - CR_GN * g - CR_B * b + CHROMA_BIAS) >> BITS);
    }
}

/// Nearest-neighbour horizontal 2x upsampling (for 4:2:x chroma):
/// `dst[2i] = dst[2i + 1] = src[i]`, for `i < dst.len() / 2`, plus a last
/// odd sample if `dst.len()` is odd.
///
/// # Panics
///
/// If `src` is shorter than `dst.len().div_ceil(2)`.
pub fn upsample_row_h2(src: &[u8], dst: &mut [u8]) {
    let src = &src[..dst.len().div_ceil(2)];
    let mut pairs = dst.chunks_exact_mut(2);
    for (d, &s) in (&mut pairs).zip(src) {
        d[0] = s;
        d[1] = s;
    }
    if let [last] = pairs.into_remainder() {
        *last = src[src.len() - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_to_rgb(y: u8, cb: u8, cr: u8) -> [f64; 3] {
        let (y, cb, cr) = (f64::from(y), f64::from(cb) - 128.0, f64::from(cr) - 128.0);
        [
            y + 1.402 * cr,
            y - 0.344136 * cb - 0.714136 * cr,
            y + 1.772 * cb,
        ]
    }

    #[test]
    fn ycbcr_to_rgb_matches_float_within_one_everywhere() {
        // Every (Y, Cb, Cr) triple, a row per (Cb, Cr) pair.
        let ys: Vec<u8> = (0..=255).collect();
        let mut rgb = vec![0u8; 3 * 256];
        for cb in 0..=255u8 {
            for cr in 0..=255u8 {
                ycbcr_to_rgb_row(&ys, &[cb; 256], &[cr; 256], &mut rgb);
                for (i, &y) in ys.iter().enumerate() {
                    let f = float_to_rgb(y, cb, cr);
                    for c in 0..3 {
                        let want = f[c].round().clamp(0.0, 255.0);
                        let got = f64::from(rgb[3 * i + c]);
                        assert!((got - want).abs() <= 1.0, "{y} {cb} {cr} ch {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn grey_is_neutral_and_exact() {
        for v in 0..=255u8 {
            let (mut y, mut cb, mut cr) = ([0u8], [0u8], [0u8]);
            rgb_to_ycbcr_row(&[v, v, v], &mut y, &mut cb, &mut cr);
            assert_eq!((y[0], cb[0], cr[0]), (v, 128, 128));
            let mut rgb = [0u8; 3];
            ycbcr_to_rgb_row(&y, &cb, &cr, &mut rgb);
            assert_eq!(rgb, [v; 3]);
        }
    }

    #[test]
    fn rgb_to_ycbcr_matches_float_and_round_trips() {
        let mut worst = 0;
        for r in (0..=255u8).step_by(3) {
            for g in (0..=255u8).step_by(5) {
                let rgb: Vec<u8> = (0..=255u8).flat_map(|b| [r, g, b]).collect();
                let (mut y, mut cb, mut cr) = ([0u8; 256], [0u8; 256], [0u8; 256]);
                rgb_to_ycbcr_row(&rgb, &mut y, &mut cb, &mut cr);
                for b in 0..256 {
                    let (rf, gf, bf) = (f64::from(r), f64::from(g), b as f64);
                    let yf = 0.299 * rf + 0.587 * gf + 0.114 * bf;
                    let cbf = -0.168736 * rf - 0.331264 * gf + 0.5 * bf + 128.0;
                    let crf = 0.5 * rf - 0.418688 * gf - 0.081312 * bf + 128.0;
                    assert!((f64::from(y[b]) - yf).abs() <= 0.51, "Y {r} {g} {b}");
                    assert!((f64::from(cb[b]) - cbf).abs() <= 0.51, "Cb {r} {g} {b}");
                    assert!((f64::from(cr[b]) - crf).abs() <= 0.51, "Cr {r} {g} {b}");
                }
                let mut back = vec![0u8; 3 * 256];
                ycbcr_to_rgb_row(&y, &cb, &cr, &mut back);
                for (a, b) in rgb.iter().zip(&back) {
                    worst = worst.max(a.abs_diff(*b));
                }
            }
        }
        // 8-bit Y'CbCr loses a little; the round trip stays within 3 levels.
        assert!(worst <= 3, "round trip error {worst}");
    }

    #[test]
    fn upsample_h2_nearest() {
        let mut dst = [0u8; 7];
        upsample_row_h2(&[1, 2, 3, 4], &mut dst);
        assert_eq!(dst, [1, 1, 2, 2, 3, 3, 4]);
        let mut dst = [0u8; 4];
        upsample_row_h2(&[9, 8], &mut dst);
        assert_eq!(dst, [9, 9, 8, 8]);
        upsample_row_h2(&[], &mut []);
    }
}
