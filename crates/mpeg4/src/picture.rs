//! Pictures with replicated borders: reference VOPs for unrestricted motion
//! compensation (7.6.4 takes samples outside a rectangular VOP from its
//! nearest edge) and edge-extended sources for the encoder.

use tessera_core::{ChromaFormat, Frame, Plane};

/// Border of luma planes in samples; chroma planes get half. Motion vectors
/// that reach further are served by clamped fetches (`Padded::fetch`).
pub const BORDER: usize = 48;

/// One plane with `border` samples of edge replication on every side.
#[derive(Clone)]
pub struct Padded {
    pub data: Vec<u8>,
    pub stride: usize,
    pub border: usize,
    /// Allocated size inside the border (macroblock aligned).
    pub width: usize,
    pub height: usize,
    /// The true size: samples at or past these edges are replicas.
    pub edge_w: usize,
    pub edge_h: usize,
}

impl std::fmt::Debug for Padded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Padded {}x{} (edges {}x{}, border {})",
            self.width, self.height, self.edge_w, self.edge_h, self.border
        )
    }
}

impl Padded {
    pub fn new(width: usize, height: usize, edge_w: usize, edge_h: usize, border: usize) -> Padded {
        let stride = width + 2 * border;
        Padded {
            data: vec![128; stride * (height + 2 * border)],
            stride,
            border,
            width,
            height,
            edge_w,
            edge_h,
        }
    }

    /// Index of sample (x, y) relative to the plane's origin.
    #[inline]
    pub fn index(&self, x: isize, y: isize) -> usize {
        ((y + self.border as isize) as usize) * self.stride + (x + self.border as isize) as usize
    }

    pub fn row(&self, y: usize) -> &[u8] {
        let start = self.index(0, y as isize);
        &self.data[start..start + self.width]
    }

    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        let start = self.index(0, y as isize);
        &mut self.data[start..start + self.width]
    }

    /// Replicates the samples at the true edges over everything outside
    /// `edge_w x edge_h`, including the macroblock alignment area.
    pub fn extend_edges(&mut self) {
        let (ew, eh, b, stride) = (self.edge_w, self.edge_h, self.border as isize, self.stride);
        let right = (self.width + self.border) as isize - ew as isize;
        for y in 0..eh {
            let base = self.index(0, y as isize);
            let first = self.data[base];
            let last = self.data[base + ew - 1];
            self.data[base - self.border..base].fill(first);
            self.data[base + ew..base + ew + right as usize].fill(last);
        }
        let top = self.index(-b, 0);
        let bottom = self.index(-b, eh as isize - 1);
        for y in -b..0 {
            let dst = self.index(-b, y);
            self.data.copy_within(top..top + stride, dst);
        }
        for y in eh as isize..(self.height as isize + b) {
            let dst = self.index(-b, y);
            self.data.copy_within(bottom..bottom + stride, dst);
        }
    }

    /// Whether a `w x h` read at (x, y) lies inside the allocated area.
    #[inline]
    pub fn contains(&self, x: isize, y: isize, w: usize, h: usize) -> bool {
        let b = self.border as isize;
        x >= -b
            && y >= -b
            && x + w as isize <= (self.width + self.border) as isize
            && y + h as isize <= (self.height + self.border) as isize
    }

    /// Copies a `w x h` area at (x, y), clamping coordinates to the true
    /// edges, into `out` (row stride `w`). Used where a vector points past
    /// the border.
    pub fn fetch(&self, x: isize, y: isize, w: usize, h: usize, out: &mut [u8]) {
        for j in 0..h {
            let sy = (y + j as isize).clamp(0, self.edge_h as isize - 1);
            for i in 0..w {
                let sx = (x + i as isize).clamp(0, self.edge_w as isize - 1);
                out[j * w + i] = self.data[self.index(sx, sy)];
            }
        }
    }
}

/// A 4:2:0 picture on the macroblock grid with replicated borders.
#[derive(Debug, Clone)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub planes: [Padded; 3],
}

impl Picture {
    pub fn new(width: usize, height: usize) -> Picture {
        let (aw, ah) = (width.div_ceil(16) * 16, height.div_ceil(16) * 16);
        let chroma = || {
            Padded::new(
                aw / 2,
                ah / 2,
                (width / 2).max(1),
                (height / 2).max(1),
                BORDER / 2,
            )
        };
        Picture {
            width,
            height,
            planes: [
                Padded::new(aw, ah, width, height, BORDER),
                chroma(),
                chroma(),
            ],
        }
    }

    /// Loads a 4:2:0 frame of this picture's size as a source picture:
    /// its edges extended over the macroblock alignment area only (a
    /// source is read on the macroblock grid, never in its borders).
    pub fn load(&mut self, frame: &Frame) {
        debug_assert_eq!(frame.format, ChromaFormat::Yuv420);
        for (dst, src) in self.planes.iter_mut().zip(&frame.planes) {
            let w = src.width.min(dst.width);
            let h = src.height.min(dst.height);
            for y in 0..h {
                let row = dst.row_mut(y);
                row[..w].copy_from_slice(&src.row(y)[..w]);
                let last = row[w - 1];
                row[w..].fill(last);
            }
            for y in h..dst.height {
                let (from, to) = (dst.index(0, h as isize - 1), dst.index(0, y as isize));
                dst.data.copy_within(from..from + dst.width, to);
            }
        }
    }

    pub fn extend_edges(&mut self) {
        for p in &mut self.planes {
            p.extend_edges();
        }
    }

    /// The reference for a VOP `width x height` (macroblock aligned) whose
    /// scene position is (`dx`, `dy`) luma samples (even) from this
    /// picture's: every sample, borders included, is this picture's at the
    /// same scene position, clamped to this picture's edges (7.6.1's
    /// reference outside its bounding rectangle, for VOPs that move and
    /// change size).
    pub fn translated(&self, dx: isize, dy: isize, width: usize, height: usize) -> Picture {
        let mut out = Picture::new(width, height);
        for (k, (dst, src)) in out.planes.iter_mut().zip(&self.planes).enumerate() {
            let (ox, oy) = if k == 0 { (dx, dy) } else { (dx / 2, dy / 2) };
            let b = dst.border as isize;
            let (xs, ys) = (dst.width as isize + b, dst.height as isize + b);
            let clamp_x = |x: isize| (x + ox).clamp(0, src.edge_w as isize - 1);
            for y in -b..ys {
                let sy = (y + oy).clamp(0, src.edge_h as isize - 1);
                let srow = src.index(0, sy);
                let drow = dst.index(0, y);
                for x in -b..xs {
                    dst.data[(drow as isize + x) as usize] =
                        src.data[(srow as isize + clamp_x(x)) as usize];
                }
            }
        }
        out
    }

    /// The visible area as a 4:2:0 frame.
    pub fn to_frame(&self) -> Frame {
        let (cw, ch) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let sizes = [(self.width, self.height), (cw, ch), (cw, ch)];
        let planes = self
            .planes
            .iter()
            .zip(sizes)
            .map(|(p, (w, h))| {
                let mut data = Vec::with_capacity(w * h);
                for y in 0..h {
                    data.extend_from_slice(&p.row(y)[..w]);
                }
                Plane::from_packed(w, h, data)
            })
            .collect();
        Frame {
            width: self.width,
            height: self.height,
            format: ChromaFormat::Yuv420,
            planes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_replicate_the_true_edge() {
        let mut p = Padded::new(32, 16, 30, 13, 8);
        for y in 0..13 {
            for x in 0..30 {
                let i = p.index(x, y);
                p.data[i] = (x + 10 * y) as u8;
            }
        }
        p.extend_edges();
        assert_eq!(p.data[p.index(-8, -8)], 0);
        assert_eq!(p.data[p.index(31, 0)], 29);
        assert_eq!(p.data[p.index(39, 15)], 29 + 120);
        assert_eq!(p.data[p.index(5, 23)], 5 + 120);
        let mut out = [0u8; 4];
        p.fetch(-100, 200, 2, 2, &mut out);
        assert_eq!(out, [120, 120, 120, 120]);
    }
}
