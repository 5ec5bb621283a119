//! VOP formation: where an object's VOP lies in the scene and what of the
//! scene's pictures and masks it covers.
//!
//! A VOP is the object's bounding rectangle on the macroblock grid: its
//! top-left corner is the tight bounding box's, rounded down to even
//! coordinates (4:2:0 chroma stays aligned), and its size is rounded up to
//! whole macroblocks. It may reach past the scene's right and bottom edges
//! (the samples there are transparent).

use tessera_core::{Frame, Plane};

/// A VOP's rectangle in scene coordinates (`vop_horizontal_mc_spatial_ref`,
/// `vop_vertical_mc_spatial_ref`, `vop_width`, `vop_height`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VopRect {
    pub x: i32,
    pub y: i32,
    pub width: usize,
    pub height: usize,
}

impl VopRect {
    pub fn mb_width(&self) -> usize {
        self.width / 16
    }

    pub fn mb_height(&self) -> usize {
        self.height / 16
    }

    /// The VOP around the opaque (nonzero) samples of `mask`, `None` when
    /// there are none (the object is absent from the frame).
    pub fn around(mask: &Plane) -> Option<VopRect> {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for (y, row) in mask.rows().enumerate() {
            let Some(first) = row.iter().position(|&v| v != 0) else {
                continue;
            };
            let last = row.iter().rposition(|&v| v != 0).unwrap_or(first);
            x0 = x0.min(first);
            x1 = x1.max(last);
            y0 = y0.min(y);
            y1 = y;
        }
        if x0 == usize::MAX {
            return None;
        }
        let (x, y) = (x0 & !1, y0 & !1);
        Some(VopRect {
            x: x as i32,
            y: y as i32,
            width: (x1 + 1 - x).div_ceil(16) * 16,
            height: (y1 + 1 - y).div_ceil(16) * 16,
        })
    }

    /// The whole scene as one rectangle (macroblock aligned).
    pub fn scene(width: usize, height: usize) -> VopRect {
        VopRect {
            x: 0,
            y: 0,
            width: width.div_ceil(16) * 16,
            height: height.div_ceil(16) * 16,
        }
    }
}

/// The part of a scene plane under `rect` (scaled by `shift` for chroma:
/// 1 halves the rectangle), `fill` where it reaches past the plane.
pub fn crop(plane: &Plane, rect: &VopRect, shift: u32, fill: u8) -> Vec<u8> {
    let (w, h) = (rect.width >> shift, rect.height >> shift);
    let (x0, y0) = (rect.x >> shift, rect.y >> shift);
    let mut out = vec![fill; w * h];
    for j in 0..h {
        let sy = y0 + j as i32;
        if sy < 0 || sy as usize >= plane.height {
            continue;
        }
        let row = plane.row(sy as usize);
        for i in 0..w {
            let sx = x0 + i as i32;
            if sx >= 0 && (sx as usize) < plane.width {
                out[j * w + i] = row[sx as usize];
            }
        }
    }
    out
}

/// The chroma shape of a 4:2:0 VOP from its luma shape (`width` x
/// `height`, even): a chroma sample is opaque when any of the four luma
/// samples it covers is (7.6.1.1's chroma padding rule).
pub fn chroma_alpha(alpha: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; (width / 2) * (height / 2)];
    chroma_alpha_into(alpha, width, height, &mut out);
    out
}

/// [`chroma_alpha`] into `out` (`width / 2 x height / 2`).
pub fn chroma_alpha_into(alpha: &[u8], width: usize, height: usize, out: &mut [u8]) {
    let (cw, ch) = (width / 2, height / 2);
    for y in 0..ch {
        let (a, b) = (&alpha[2 * y * width..], &alpha[(2 * y + 1) * width..]);
        for x in 0..cw {
            let any = a[2 * x] | a[2 * x + 1] | b[2 * x] | b[2 * x + 1];
            out[y * cw + x] = if any != 0 { 255 } else { 0 };
        }
    }
}

/// Draws a decoded VOP into a 4:2:0 scene picture: `texture` (the VOP's
/// size) where `alpha` is opaque, chroma at the chroma samples those luma
/// samples fall in; with `texture` `None`, the shape itself (luma 255).
/// Parts outside the scene are left out.
pub fn draw(scene: &mut Frame, texture: Option<&Frame>, rect: &VopRect, alpha: &[u8]) {
    let (w, h) = (scene.width as i32, scene.height as i32);
    for y in 0..rect.height {
        let sy = rect.y + y as i32;
        if sy < 0 || sy >= h {
            continue;
        }
        let sy = sy as usize;
        for x in 0..rect.width {
            let sx = rect.x + x as i32;
            if sx < 0 || sx >= w || alpha[y * rect.width + x] == 0 {
                continue;
            }
            let sx = sx as usize;
            let Some(tex) = texture else {
                scene.planes[0].row_mut(sy)[sx] = 255;
                continue;
            };
            scene.planes[0].row_mut(sy)[sx] = tex.planes[0].row(y)[x];
            for p in 1..3 {
                let (cw, ch) = (scene.planes[p].width, scene.planes[p].height);
                if sx / 2 < cw && sy / 2 < ch {
                    scene.planes[p].row_mut(sy / 2)[sx / 2] = tex.planes[p].row(y / 2)[x / 2];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vop_around_a_shape() {
        let mut m = Plane::filled(64, 48, 0);
        assert_eq!(VopRect::around(&m), None);
        for y in 7..20 {
            for x in 13..30 {
                m.row_mut(y)[x] = 255;
            }
        }
        let r = VopRect::around(&m).unwrap();
        assert_eq!(
            r,
            VopRect {
                x: 12,
                y: 6,
                width: 32,
                height: 16
            }
        );
        // Reaching past the plane: the crop fills.
        m.row_mut(47)[63] = 255;
        let r = VopRect::around(&m).unwrap();
        assert_eq!((r.x, r.y, r.width, r.height), (12, 6, 64, 48));
        let c = crop(&m, &r, 0, 9);
        assert_eq!(c.len(), 64 * 48);
        assert_eq!(c[41 * 64 + 51], 255);
        assert_eq!(c[0], 0);
        assert_eq!(c[47 * 64 + 63], 9);
    }

    #[test]
    fn chroma_shape_is_any_of_four() {
        let mut a = vec![0u8; 4 * 4];
        a[5] = 255;
        let c = chroma_alpha(&a, 4, 4);
        assert_eq!(c, vec![255, 0, 0, 0]);
    }
}
