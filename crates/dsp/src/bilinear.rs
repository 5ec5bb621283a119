//! Bilinear sampling of an 8-bit plane along a line: the inner loop of an
//! affine warp. The portable reference kernel.
//!
//! # Definition
//!
//! Sample `k` of a run is taken at the plane position `(u + k du, v + k
//! dv) / 2^16` ([`FRAC_BITS`] fraction bits), pixel centres at integers.
//! With `x = floor(u')`, `y = floor(v')` and the fractions `fx`, `fy`
//! (multiples of 2^-16, exact in `f32`), the four neighbours `a = p(x,
//! y)`, `b = p(x + 1, y)`, `c = p(x, y + 1)`, `d = p(x + 1, y + 1)` (a
//! neighbour past an edge of the plane repeats that edge) give, in `f32`
//! and in this order,
//!
//! ```text
//! top = a + (b - a) fx;  bottom = c + (d - c) fx;  s = top + (bottom - top) fy
//! ```
//!
//! rounded to the nearest integer, ties to even. Every operation is an
//! IEEE `f32` operation (no fused multiply-add), so the AVX2 kernel, which
//! runs the same operations eight lanes at a time, gives the same bytes.
//!
//! Positions are stepped exactly in integers, so a sample's value depends
//! only on its own position, never on where the run started.

/// Fraction bits of sample positions.
pub const FRAC_BITS: u32 = 16;

/// An 8-bit plane: `width` x `height` samples, row `r` at
/// `data[r * stride..]`.
#[derive(Clone, Copy, Debug)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub width: usize,
    pub height: usize,
    pub stride: usize,
}

impl Plane<'_> {
    /// Panics unless the plane is non-empty and `data` holds it.
    pub(crate) fn check(&self) {
        assert!(
            self.width > 0 && self.height > 0,
            "an empty plane has no samples"
        );
        assert!(self.stride >= self.width, "stride shorter than a row");
        let need = (self.height - 1)
            .checked_mul(self.stride)
            .and_then(|n| n.checked_add(self.width));
        assert!(
            need.is_some_and(|n| n <= self.data.len()),
            "plane data shorter than its rows"
        );
    }

    #[inline(always)]
    fn at(&self, x: usize, y: usize) -> f32 {
        f32::from(self.data[y * self.stride + x])
    }
}

/// 1 / 2^16: a position's fraction bits as an `f32` in 0..1 (exact).
pub(crate) const FRAC_SCALE: f32 = 1.0 / (1u32 << FRAC_BITS) as f32;

/// Rounds `s` (in 0..=255) to the nearest integer, ties to even: adding
/// 2^23 leaves the rounded integer in the low mantissa bits (the default
/// rounding mode, as `cvtps2dq` rounds).
#[inline(always)]
pub(crate) fn round_u8(s: f32) -> u8 {
    (s.clamp(0.0, 255.0) + 8_388_608.0).to_bits() as u8
}

/// The interpolation of the definition, from the four neighbours and the
/// two fraction fields.
#[inline(always)]
pub(crate) fn lerp2(a: f32, b: f32, c: f32, d: f32, fx: i64, fy: i64) -> u8 {
    let fx = fx as f32 * FRAC_SCALE;
    let fy = fy as f32 * FRAC_SCALE;
    let top = a + (b - a) * fx;
    let bottom = c + (d - c) * fx;
    round_u8(top + (bottom - top) * fy)
}

/// One sample at fixed-point position `(u, v)`, neighbours clamped to the
/// plane.
#[inline(always)]
pub(crate) fn sample_clamped(plane: &Plane<'_>, u: i64, v: i64) -> u8 {
    const MASK: i64 = (1 << FRAC_BITS) - 1;
    let (x, y) = (u >> FRAC_BITS, v >> FRAC_BITS);
    let (last_x, last_y) = (plane.width as i64 - 1, plane.height as i64 - 1);
    let x0 = x.clamp(0, last_x) as usize;
    let x1 = (x + 1).clamp(0, last_x) as usize;
    let y0 = y.clamp(0, last_y) as usize;
    let y1 = (y + 1).clamp(0, last_y) as usize;
    lerp2(
        plane.at(x0, y0),
        plane.at(x1, y0),
        plane.at(x0, y1),
        plane.at(x1, y1),
        u & MASK,
        v & MASK,
    )
}

/// Writes samples `k` in `range` of the run (see [`bilinear_line`]),
/// neighbours clamped.
pub(crate) fn clamped_samples(
    plane: &Plane<'_>,
    (u, v, du, dv): (i32, i32, i32, i32),
    range: core::ops::Range<usize>,
    out: &mut [u8],
) {
    let (u, v, du, dv) = (i64::from(u), i64::from(v), i64::from(du), i64::from(dv));
    for k in range {
        let step = k as i64;
        out[k] = sample_clamped(plane, u + step * du, v + step * dv);
    }
}

/// The samples `k` of a run of `n` (a range within `0..n`) whose four
/// neighbours all lie inside the plane: `0 <= x` and `x + 1 < width`, the
/// same for `y`. They need no clamping.
pub(crate) fn interior(
    plane: &Plane<'_>,
    (u, v, du, dv): (i32, i32, i32, i32),
    n: usize,
) -> (usize, usize) {
    // p + k d in 0..=limit for k in the returned range (linear in k).
    let axis = |p: i32, d: i32, size: usize| -> (i64, i64) {
        if size < 2 {
            return (0, 0);
        }
        let limit = ((size as i64 - 1) << FRAC_BITS) - 1;
        let (p, d) = (i64::from(p), i64::from(d));
        match d.cmp(&0) {
            core::cmp::Ordering::Equal => {
                if (0..=limit).contains(&p) {
                    (0, n as i64)
                } else {
                    (0, 0)
                }
            }
            // k >= ceil(-p / d), k <= floor((limit - p) / d).
            core::cmp::Ordering::Greater => (div_ceil(-p, d), (limit - p).div_euclid(d) + 1),
            // d < 0: k >= ceil((limit - p) / d), k <= floor(-p / d).
            core::cmp::Ordering::Less => (div_ceil(p - limit, -d), p.div_euclid(-d) + 1),
        }
    };
    let (a0, a1) = axis(u, du, plane.width);
    let (b0, b1) = axis(v, dv, plane.height);
    let lo = a0.max(b0).clamp(0, n as i64);
    let hi = a1.min(b1).clamp(lo, n as i64);
    (lo as usize, hi as usize)
}

/// `ceil(a / b)` for `b > 0`.
fn div_ceil(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// `out[k]` = the bilinear sample of `plane` at `(u + k du, v + k dv) /
/// 2^16` (see the module documentation), for every `k` in
/// `0..out.len()`. Portable kernel.
///
/// # Panics
///
/// If the plane is empty or `data` is shorter than its rows.
pub fn bilinear_line(plane: &Plane<'_>, u: i32, v: i32, du: i32, dv: i32, out: &mut [u8]) {
    plane.check();
    clamped_samples(plane, (u, v, du, dv), 0..out.len(), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(data: &[u8], width: usize, height: usize) -> Plane<'_> {
        Plane {
            data,
            width,
            height,
            stride: width,
        }
    }

    #[test]
    fn whole_positions_are_the_samples_and_halves_the_means() {
        let data: Vec<u8> = (0..20).map(|i| (i * 13 % 256) as u8).collect();
        let p = plane(&data, 5, 4);
        let one = 1 << FRAC_BITS;
        let mut out = [0u8; 5];
        bilinear_line(&p, 0, 2 * one, one, 0, &mut out);
        assert_eq!(out, data[10..15]);
        // Halfway between columns 1 and 2 of rows 1 and 2.
        bilinear_line(&p, one + one / 2, one + one / 2, 0, 0, &mut out[..1]);
        let mean =
            (f32::from(data[6]) + f32::from(data[7]) + f32::from(data[11]) + f32::from(data[12]))
                / 4.0;
        assert!((f32::from(out[0]) - mean).abs() <= 0.5);
    }

    #[test]
    fn edges_repeat() {
        let data = [10u8, 20, 30, 40];
        let p = plane(&data, 2, 2);
        let one = 1 << FRAC_BITS;
        let mut out = [0u8; 3];
        // Far left and above: the top-left sample; far right and below:
        // the bottom-right one.
        bilinear_line(&p, -5 * one, -one / 2, 10 * one, 10 * one, &mut out);
        assert_eq!(out, [10, 40, 40]);
    }

    #[test]
    fn interior_is_exactly_the_unclamped_samples() {
        let one = 1i32 << FRAC_BITS;
        let data = [0u8; 7 * 5];
        let p = plane(&data, 7, 5);
        for (u, du) in [
            (-3 * one, one / 3),
            (9 * one, -one / 2),
            (one, 0),
            (-7, 1234),
        ] {
            for (v, dv) in [(one / 2, 0), (-one, one / 5), (5 * one, -one / 7)] {
                let n = 40;
                let (lo, hi) = interior(&p, (u, v, du, dv), n);
                for k in 0..n {
                    let (x, y) = (
                        (i64::from(u) + k as i64 * i64::from(du)) >> FRAC_BITS,
                        (i64::from(v) + k as i64 * i64::from(dv)) >> FRAC_BITS,
                    );
                    let fits = x >= 0 && x + 1 < 7 && y >= 0 && y + 1 < 5;
                    assert_eq!(
                        fits,
                        (lo..hi).contains(&k),
                        "u {u} du {du} v {v} dv {dv} k {k}"
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "shorter than its rows")]
    fn short_plane_panics() {
        let data = [0u8; 5];
        bilinear_line(&plane(&data, 3, 2), 0, 0, 0, 0, &mut [0u8; 2]);
    }
}
