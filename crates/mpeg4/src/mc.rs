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
    let rc = u16::from(rounding);
    for j in 0..h {
        let a = &src[j * stride..j * stride + w + 1];
        let o = &mut out[j * out_stride..j * out_stride + w];
        match (hx, hy) {
            (false, false) => o.copy_from_slice(&a[..w]),
            (true, false) => {
                for i in 0..w {
                    o[i] = ((u16::from(a[i]) + u16::from(a[i + 1]) + 1 - rc) >> 1) as u8;
                }
            }
            (false, true) => {
                let b = &src[(j + 1) * stride..(j + 1) * stride + w];
                for i in 0..w {
                    o[i] = ((u16::from(a[i]) + u16::from(b[i]) + 1 - rc) >> 1) as u8;
                }
            }
            (true, true) => {
                let b = &src[(j + 1) * stride..(j + 1) * stride + w + 1];
                for i in 0..w {
                    let s = u16::from(a[i])
                        + u16::from(a[i + 1])
                        + u16::from(b[i])
                        + u16::from(b[i + 1]);
                    o[i] = ((s + 2 - rc) >> 2) as u8;
                }
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

/// Sum of absolute differences of a `w x h` block.
#[inline]
pub fn sad(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, w: usize, h: usize) -> u32 {
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

/// SAD of a 16x16 block that gives up once it passes `limit` (checked per
/// row): motion search calls it for candidates that mostly lose.
#[inline]
pub fn sad16_limited(a: &[u8], a_stride: usize, b: &[u8], b_stride: usize, limit: u32) -> u32 {
    let mut total = 0u32;
    for j in 0..16 {
        let ra: &[u8; 16] = a[j * a_stride..j * a_stride + 16]
            .try_into()
            .unwrap_or(&[0; 16]);
        let rb: &[u8; 16] = b[j * b_stride..j * b_stride + 16]
            .try_into()
            .unwrap_or(&[0; 16]);
        let mut s = 0u32;
        for i in 0..16 {
            s += u32::from(ra[i].abs_diff(rb[i]));
        }
        total += s;
        if total > limit {
            return total;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

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
