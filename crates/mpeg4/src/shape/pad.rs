//! Padding of arbitrarily shaped VOPs.
//!
//! - [`pad_reference`]: the normative padding of a reconstructed VOP before
//!   it serves as a motion-compensation reference (7.6.1): repetitive
//!   padding of boundary macroblocks (horizontal, then vertical), extended
//!   padding of exterior macroblocks from their boundary neighbours, and the
//!   mid-grey value for the rest. Encoder and decoder run the same code, so
//!   their references stay identical.
//! - [`pad_lpe`]: the encoder's padding of an intra boundary block before
//!   its DCT (not normative), low-pass extrapolation: transparent samples
//!   take the mean of the opaque ones, then are smoothed towards their
//!   neighbours, which keeps the block's high frequencies, and its bits,
//!   low.

use super::vop::chroma_alpha;
use crate::picture::{Padded, Picture};

/// Pads a reconstructed VOP (every plane, chroma after the chroma shape)
/// after its luma shape `alpha` (the picture's macroblock-aligned size),
/// for use as a reference. Encoder and decoder both call this.
pub fn pad_vop(pic: &mut Picture, alpha: &[u8]) {
    let (w, h) = (pic.planes[0].width, pic.planes[0].height);
    let calpha = chroma_alpha(alpha, w, h);
    pad_reference(&mut pic.planes[0], alpha, 16);
    pad_reference(&mut pic.planes[1], &calpha, 8);
    pad_reference(&mut pic.planes[2], &calpha, 8);
}

/// Pads `plane`'s `width x height` area (macroblock aligned: `block` is 16
/// for luma, 8 for chroma) in place after its `alpha` (same size, row
/// stride `width`, nonzero opaque).
pub fn pad_reference(plane: &mut Padded, alpha: &[u8], block: usize) {
    let (w, h) = (plane.width, plane.height);
    debug_assert_eq!(alpha.len(), w * h);
    let (bw, bh) = (w / block, h / block);
    // Per block: 0 exterior (all transparent), 1 boundary or opaque.
    let mut kind = vec![Block::Exterior; bw * bh];
    for by in 0..bh {
        for bx in 0..bw {
            let mut opaque = 0;
            for y in by * block..(by + 1) * block {
                opaque += alpha[y * w + bx * block..y * w + (bx + 1) * block]
                    .iter()
                    .filter(|&&a| a != 0)
                    .count();
            }
            kind[by * bw + bx] = match opaque {
                0 => Block::Exterior,
                n if n == block * block => Block::Opaque,
                _ => {
                    repetitive(plane, alpha, bx * block, by * block, block);
                    Block::Boundary
                }
            };
        }
    }
    // Extended padding: an exterior block next to a boundary or opaque
    // block copies that block's adjacent edge samples, taking the left
    // neighbour first, then above, right and below; the others are grey.
    for by in 0..bh {
        for bx in 0..bw {
            if kind[by * bw + bx] != Block::Exterior {
                continue;
            }
            let inside = |x: usize, y: usize| kind[y * bw + x] != Block::Exterior;
            let (x0, y0) = (bx * block, by * block);
            let (x0i, y0i) = (x0 as isize, y0 as isize);
            if bx > 0 && inside(bx - 1, by) {
                for y in 0..block {
                    let v = plane.data[plane.index(x0i - 1, y0i + y as isize)];
                    let i = plane.index(x0i, y0i + y as isize);
                    plane.data[i..i + block].fill(v);
                }
            } else if by > 0 && inside(bx, by - 1) {
                let src = plane.index(x0i, y0i - 1);
                for y in 0..block {
                    let i = plane.index(x0i, y0i + y as isize);
                    plane.data.copy_within(src..src + block, i);
                }
            } else if bx + 1 < bw && inside(bx + 1, by) {
                for y in 0..block {
                    let v = plane.data[plane.index(x0i + block as isize, y0i + y as isize)];
                    let i = plane.index(x0i, y0i + y as isize);
                    plane.data[i..i + block].fill(v);
                }
            } else if by + 1 < bh && inside(bx, by + 1) {
                let src = plane.index(x0i, y0i + block as isize);
                for y in 0..block {
                    let i = plane.index(x0i, y0i + y as isize);
                    plane.data.copy_within(src..src + block, i);
                }
            } else {
                for y in 0..block {
                    let i = plane.index(x0i, y0i + y as isize);
                    plane.data[i..i + block].fill(128);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Exterior,
    Boundary,
    Opaque,
}

/// Repetitive padding of one boundary block at (x0, y0): each transparent
/// sample of a row takes its nearest opaque neighbour in the row, or the
/// rounded mean of the two when there is one on each side; rows without opaque
/// samples then take the nearest padded row above or below the same way.
fn repetitive(plane: &mut Padded, alpha: &[u8], x0: usize, y0: usize, block: usize) {
    let aw = plane.width;
    let mut filled = [false; 16];
    for (y, row_filled) in filled.iter_mut().enumerate().take(block) {
        let a = &alpha[(y0 + y) * aw + x0..(y0 + y) * aw + x0 + block];
        let base = plane.index(x0 as isize, (y0 + y) as isize);
        let row = &mut plane.data[base..base + block];
        let mut last: Option<usize> = None;
        let mut x = 0;
        while x < block {
            if a[x] != 0 {
                last = Some(x);
                x += 1;
                continue;
            }
            // A run of transparent samples [x, end).
            let end = (x..block).find(|&i| a[i] != 0).unwrap_or(block);
            let value = match (last.map(|l| row[l]), (end < block).then(|| row[end])) {
                (Some(l), Some(r)) => ((u16::from(l) + u16::from(r) + 1) >> 1) as u8,
                (Some(l), None) => l,
                (None, Some(r)) => r,
                (None, None) => break,
            };
            row[x..end].fill(value);
            x = end;
        }
        *row_filled = last.is_some();
    }
    for y in 0..block {
        if filled[y] {
            continue;
        }
        let up = (0..y).rev().find(|&j| filled[j]);
        let down = (y + 1..block).find(|&j| filled[j]);
        for x in 0..block {
            let at = |j: usize| plane.data[plane.index((x0 + x) as isize, (y0 + j) as isize)];
            let v = match (up.map(at), down.map(at)) {
                (Some(u), Some(d)) => ((u16::from(u) + u16::from(d) + 1) >> 1) as u8,
                (Some(u), None) => u,
                (None, Some(d)) => d,
                (None, None) => 128,
            };
            let i = plane.index((x0 + x) as isize, (y0 + y) as isize);
            plane.data[i] = v;
        }
    }
}

/// Low-pass extrapolation of an 8x8 block (`stride` apart) for intra
/// coding: the transparent samples (`alpha` 0, row stride `astride`) first
/// take the mean of the opaque ones, then, in raster order, the mean of
/// their four neighbours inside the block (as they stand by then), which
/// smooths the step at the shape's edge. A block without opaque samples,
/// or without transparent ones, is left as it is.
pub fn pad_lpe(block: &mut [u8], stride: usize, alpha: &[u8], astride: usize) {
    let (mut sum, mut n) = (0u32, 0u32);
    for y in 0..8 {
        for x in 0..8 {
            if alpha[y * astride + x] != 0 {
                sum += u32::from(block[y * stride + x]);
                n += 1;
            }
        }
    }
    if n == 0 || n == 64 {
        return;
    }
    let mean = ((sum + n / 2) / n) as u8;
    for y in 0..8 {
        for x in 0..8 {
            if alpha[y * astride + x] == 0 {
                block[y * stride + x] = mean;
            }
        }
    }
    for y in 0..8 {
        for x in 0..8 {
            if alpha[y * astride + x] != 0 {
                continue;
            }
            let (mut s, mut c) = (0u32, 0u32);
            for (dx, dy) in [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)] {
                let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                if (0..8).contains(&nx) && (0..8).contains(&ny) {
                    s += u32::from(block[ny as usize * stride + nx as usize]);
                    c += 1;
                }
            }
            block[y * stride + x] = ((s + c / 2) / c) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Padded {
        let mut p = Padded::new(w, h, w, h, 8);
        for y in 0..h {
            for x in 0..w {
                let i = p.index(x as isize, y as isize);
                p.data[i] = f(x, y);
            }
        }
        p
    }

    fn at(p: &Padded, x: usize, y: usize) -> u8 {
        p.data[p.index(x as isize, y as isize)]
    }

    #[test]
    fn repetitive_padding_of_a_boundary_block() {
        // 16x16, one block: opaque samples at columns 4 and 10 of row 3
        // and column 6 of row 9.
        let mut p = plane(16, 16, |x, y| (x + 16 * y) as u8);
        let mut alpha = vec![0u8; 256];
        for &(x, y) in &[(4, 3), (10, 3), (6, 9)] {
            alpha[y * 16 + x] = 255;
        }
        pad_reference(&mut p, &alpha, 16);
        let (a, b, c) = (4 + 48, 10 + 48, 6 + 144);
        // Row 3: left of 4 copies it, between takes the mean, right copies 10.
        assert_eq!(at(&p, 0, 3), a);
        assert_eq!(at(&p, 7, 3), (a as u16 + b as u16).div_ceil(2) as u8);
        assert_eq!(at(&p, 15, 3), b);
        // Row 9 is constant.
        assert!((0..16).all(|x| at(&p, x, 9) == c));
        // Rows above 3 copy row 3, rows between take the mean, below copy 9.
        assert_eq!(at(&p, 0, 0), a);
        assert_eq!(at(&p, 0, 5), (a as u16 + c as u16).div_ceil(2) as u8);
        assert_eq!(at(&p, 15, 15), c);
        // Opaque samples are untouched.
        assert_eq!(at(&p, 4, 3), a);
    }

    #[test]
    fn extended_padding_prefers_left_then_above() {
        // 3x2 blocks of 8: block (1,0) opaque, the rest exterior.
        let mut p = plane(24, 16, |x, y| (x * 8 + y) as u8);
        let mut alpha = vec![0u8; 24 * 16];
        for y in 0..8 {
            for x in 8..16 {
                alpha[y * 24 + x] = 255;
            }
        }
        pad_reference(&mut p, &alpha, 8);
        // Block (2,0): its left neighbour is opaque: rows replicate x = 15.
        assert_eq!(at(&p, 20, 3), at(&p, 15, 3));
        // Block (0,0): its right neighbour: rows replicate x = 8.
        assert_eq!(at(&p, 2, 5), at(&p, 8, 5));
        // Block (1,1): above is opaque: columns replicate y = 7.
        assert_eq!(at(&p, 12, 14), at(&p, 12, 7));
        // Block (0,1): left none, above exterior (padded, but exterior),
        // right exterior, no neighbour below: grey.
        assert_eq!(at(&p, 0, 12), 128);
    }

    #[test]
    fn low_pass_extrapolation() {
        let mut b = [10u8; 64];
        b[0] = 200;
        let mut a = [0u8; 64];
        a[0] = 255;
        a[1] = 255;
        pad_lpe(&mut b, 8, &a, 8);
        // Opaque samples stay; the mean (105) fills the rest, then each
        // transparent sample averages its neighbours in raster order:
        // (2,0) sees 10, 105 and 105 below: 73.
        assert_eq!((b[0], b[1]), (200, 10));
        assert_eq!(b[2], 73);
        // Far from the opaque samples the block stays at the mean.
        assert_eq!(b[63], 105);
        // Nothing opaque, or nothing transparent: untouched.
        let mut c = [7u8; 64];
        pad_lpe(&mut c, 8, &[0; 64], 8);
        assert_eq!(c, [7; 64]);
    }
}
