//! Chroma key, modelled on ffmpeg's `chromakey` filter.
//!
//! The distance of a pixel's chroma to the key colour's is normalized so
//! that the whole Cb/Cr plane spans 0..1:
//!
//! ```text
//! d = sqrt((Cb - Kcb)^2 + (Cr - Kcr)^2) / (255 sqrt 2)
//! ```
//!
//! and the key's alpha is `clamp((d - tolerance) / softness, 0, 1)`, or
//! a hard step `d > tolerance` when `softness` is 0 (below 0.0001, as in
//! ffmpeg). That is `chromakey=color:similarity=tolerance:blend=softness`,
//! with two differences: ffmpeg averages `d` over the 3x3 chroma
//! neighbourhood of the sample (we key each pixel alone, so only edges of
//! keyed areas differ) and rounds the key colour's chroma to integers.
//! The key's alpha multiplies the source's.
//!
//! Spill suppression (which ffmpeg's filter does not do): a kept pixel's
//! chroma, as a vector from neutral grey, loses `spill` times its
//! component along the key colour's chroma direction (when positive), so
//! a green fringe turns grey instead of green.

use crate::expr::Rgba;

use super::params::pixel_of;
use super::rows::Rows;

/// ffmpeg's threshold below which `blend` means a hard key.
const HARD: f32 = 0.0001;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct KeyParams {
    cb: f32,
    cr: f32,
    tolerance: f32,
    softness: f32,
    spill: f32,
    /// Unit vector of the key's chroma from grey, (0, 0) for a grey key.
    dir: (f32, f32),
}

impl KeyParams {
    pub(crate) fn new(color: Rgba, tolerance: f64, softness: f64, spill: f64) -> KeyParams {
        let [_, cb, cr, _] = pixel_of(color);
        let (dx, dy) = (cb - 128.0, cr - 128.0);
        let len = dx.hypot(dy);
        KeyParams {
            cb,
            cr,
            tolerance: tolerance.clamp(-1.0, 2.0) as f32,
            softness: softness.clamp(0.0, 1.0) as f32,
            spill: spill.clamp(0.0, 1.0) as f32,
            dir: if len > 1e-3 {
                (dx / len, dy / len)
            } else {
                (0.0, 0.0)
            },
        }
    }
}

/// Keys `src` into `out`.
pub(crate) fn key(src: &Rows, p: &KeyParams, out: &mut Rows) {
    let s = src.ch();
    let [oy, ocb, ocr, oa] = out.ch_mut();
    oy.copy_from_slice(&s[0][..oy.len()]);
    let norm = 1.0 / (255.0 * std::f32::consts::SQRT_2);
    let inv_soft = if p.softness > HARD {
        1.0 / p.softness
    } else {
        0.0
    };
    for i in 0..oa.len() {
        let (cb, cr) = (s[1][i], s[2][i]);
        let (du, dv) = (cb - p.cb, cr - p.cr);
        let d = (du * du + dv * dv).sqrt() * norm;
        let k = if p.softness > HARD {
            ((d - p.tolerance) * inv_soft).clamp(0.0, 1.0)
        } else if d > p.tolerance {
            1.0
        } else {
            0.0
        };
        oa[i] = s[3][i] * k;
        // Spill: remove part of the chroma's component along the key's.
        let along = ((cb - 128.0) * p.dir.0 + (cr - 128.0) * p.dir.1).max(0.0) * p.spill;
        ocb[i] = cb - along * p.dir.0;
        ocr[i] = cr - along * p.dir.1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_the_colour_and_keeps_others() {
        let green = Rgba::opaque(0.0, 255.0, 0.0);
        let p = KeyParams::new(green, 0.1, 0.05, 0.0);
        let mut src = Rows::default();
        src.set_len(3);
        src.set(0, pixel_of(green));
        src.set(1, pixel_of(Rgba::opaque(255.0, 0.0, 0.0)));
        src.set(2, pixel_of(Rgba::opaque(128.0, 128.0, 128.0)));
        let mut out = Rows::default();
        out.set_len(3);
        key(&src, &p, &mut out);
        assert_eq!(out.get(0)[3], 0.0);
        assert_eq!(out.get(1)[3], 1.0);
        assert_eq!(out.get(2)[3], 1.0);
        assert_eq!(out.get(1), src.get(1));
    }

    #[test]
    fn spill_pulls_greenish_towards_grey() {
        let green = Rgba::opaque(0.0, 255.0, 0.0);
        let p = KeyParams::new(green, 0.0, 0.0, 1.0);
        let mut src = Rows::default();
        src.set_len(1);
        let greenish = pixel_of(Rgba::opaque(100.0, 160.0, 100.0));
        src.set(0, greenish);
        let mut out = Rows::default();
        out.set_len(1);
        key(&src, &p, &mut out);
        let px = out.get(0);
        let before = (greenish[1] - 128.0).hypot(greenish[2] - 128.0);
        let after = (px[1] - 128.0).hypot(px[2] - 128.0);
        assert!(after < 0.2 * before, "{before} {after}");
    }
}
