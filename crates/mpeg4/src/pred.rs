//! Prediction state shared by the encoder and the decoder: intra DC and AC
//! prediction (7.4.3) and motion vector prediction (7.6.5). A neighbour is
//! usable only inside the VOP and the same video packet, which is what lets
//! packets be coded independently.

use crate::quant::round_div;

/// No packet: the macroblock is not coded yet in this VOP.
const NONE: u32 = u32::MAX;

/// Default predictor of an unusable DC neighbour: 2^(bits_per_pixel + 2).
pub const DC_DEFAULT: i32 = 1024;

/// Stored first row and first column of an intra block's quantised
/// coefficients (positions 1..8 of row 0, then of column 0).
type AcEdges = [i16; 14];

/// Direction intra prediction takes for a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the block above (C): the first row is predicted.
    Vertical,
    /// From the block to the left (A): the first column is predicted.
    Horizontal,
}

/// The intra prediction of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntraPred {
    /// Dequantised DC predictor (`F` of the chosen neighbour).
    pub dc: i32,
    pub direction: Direction,
    /// Predictor of the first row (vertical) or column (horizontal),
    /// already rescaled to the current quantiser; zeros if unusable.
    pub ac: [i16; 7],
}

#[derive(Debug, Clone)]
pub struct PredState {
    pub mb_w: usize,
    pub mb_h: usize,
    packet: Vec<u32>,
    intra: Vec<bool>,
    qp: Vec<u8>,
    /// Dequantised DC per block: luma grid (2 mb_w x 2 mb_h), then Cb, Cr
    /// grids (mb_w x mb_h).
    dc: [Vec<i32>; 3],
    ac: [Vec<AcEdges>; 3],
    /// Luma vectors per 8x8 block in half samples.
    mv: Vec<[i16; 2]>,
    /// Transparent blocks per macroblock of a shaped VOP, bits as in the
    /// coded block pattern (`0x20 >> b`); `0x3f` is a transparent
    /// macroblock. Zero in rectangular VOPs.
    transparent: Vec<u8>,
}

impl PredState {
    pub fn new(mb_w: usize, mb_h: usize) -> PredState {
        let n = mb_w * mb_h;
        PredState {
            mb_w,
            mb_h,
            packet: vec![NONE; n],
            intra: vec![false; n],
            qp: vec![1; n],
            dc: [vec![0; 4 * n], vec![0; n], vec![0; n]],
            ac: [vec![[0; 14]; 4 * n], vec![[0; 14]; n], vec![[0; 14]; n]],
            mv: vec![[0, 0]; 4 * n],
            transparent: vec![0; n],
        }
    }

    /// Forgets every macroblock (start of a VOP).
    pub fn reset(&mut self) {
        self.packet.fill(NONE);
        self.transparent.fill(0);
    }

    /// Records which blocks of a macroblock of a shaped VOP are
    /// transparent (bits `0x20 >> b`), before the macroblock is coded:
    /// transparent blocks are no intra predictors, transparent macroblocks
    /// no vector predictors.
    pub fn set_transparent(&mut self, mbx: usize, mby: usize, blocks: u8) {
        self.transparent[mby * self.mb_w + mbx] = blocks;
    }

    /// The transparent blocks of a macroblock.
    pub fn transparent(&self, mbx: usize, mby: usize) -> u8 {
        self.transparent[mby * self.mb_w + mbx]
    }

    /// Marks a macroblock as being coded in `packet` with quantiser `qp`.
    pub fn begin_mb(&mut self, mbx: usize, mby: usize, packet: u32, intra: bool, qp: u8) {
        let i = mby * self.mb_w + mbx;
        self.packet[i] = packet;
        self.intra[i] = intra;
        self.qp[i] = qp;
        if intra {
            self.set_mv_all(mbx, mby, [0, 0]);
        }
    }

    fn usable(&self, mbx: isize, mby: isize, packet: u32) -> Option<usize> {
        if mbx < 0 || mby < 0 || mbx as usize >= self.mb_w || mby as usize >= self.mb_h {
            return None;
        }
        let i = mby as usize * self.mb_w + mbx as usize;
        (self.packet[i] == packet).then_some(i)
    }

    /// Block grid geometry: (grid width, block x, block y) of block `b`
    /// (0..6) of macroblock (mbx, mby), and its plane index.
    fn block_pos(&self, mbx: usize, mby: usize, b: usize) -> (usize, isize, isize) {
        if b < 4 {
            (
                0,
                (2 * mbx + (b & 1)) as isize,
                (2 * mby + (b >> 1)) as isize,
            )
        } else {
            (b - 3, mbx as isize, mby as isize)
        }
    }

    /// The intra neighbour at block position (bx, by) of `plane`, if usable:
    /// returns (block index in the grid, macroblock index).
    fn intra_neighbour(
        &self,
        plane: usize,
        bx: isize,
        by: isize,
        packet: u32,
    ) -> Option<(usize, usize)> {
        let shift = if plane == 0 { 1 } else { 0 };
        if bx < 0 || by < 0 {
            return None;
        }
        let mb = self.usable(bx >> shift, by >> shift, packet)?;
        if !self.intra[mb] {
            return None;
        }
        let b = if plane == 0 {
            (by as usize & 1) * 2 + (bx as usize & 1)
        } else {
            plane + 3
        };
        if self.transparent[mb] & (0x20 >> b) != 0 {
            return None;
        }
        let grid_w = self.mb_w << shift;
        Some((by as usize * grid_w + bx as usize, mb))
    }

    /// DC and AC prediction for intra block `b` of a macroblock coded with
    /// quantiser `qp` in `packet` (7.4.3.1-7.4.3.3).
    pub fn intra_pred(&self, mbx: usize, mby: usize, b: usize, packet: u32, qp: u8) -> IntraPred {
        let (plane, bx, by) = self.block_pos(mbx, mby, b);
        let a = self.intra_neighbour(plane, bx - 1, by, packet);
        let bb = self.intra_neighbour(plane, bx - 1, by - 1, packet);
        let c = self.intra_neighbour(plane, bx, by - 1, packet);
        let dc_of = |n: Option<(usize, usize)>| n.map_or(DC_DEFAULT, |(i, _)| self.dc[plane][i]);
        let (fa, fb, fc) = (dc_of(a), dc_of(bb), dc_of(c));
        let (direction, source, dc) = if (fa - fb).abs() < (fb - fc).abs() {
            (Direction::Vertical, c, fc)
        } else {
            (Direction::Horizontal, a, fa)
        };
        let mut ac = [0i16; 7];
        if let Some((i, mb)) = source {
            let edges = &self.ac[plane][i];
            let part = match direction {
                Direction::Vertical => &edges[..7],
                Direction::Horizontal => &edges[7..],
            };
            let (qn, qc) = (i32::from(self.qp[mb]), i32::from(qp));
            for (p, &v) in ac.iter_mut().zip(part) {
                *p = if qn == qc {
                    v
                } else {
                    round_div(i32::from(v) * qn, qc) as i16
                };
            }
        }
        IntraPred { dc, direction, ac }
    }

    /// Records an intra block's reconstructed DC (dequantised) and its
    /// quantised coefficients (natural order) for later prediction.
    pub fn store_intra(&mut self, mbx: usize, mby: usize, b: usize, dc: i32, qf: &[i16; 64]) {
        let (plane, bx, by) = self.block_pos(mbx, mby, b);
        let grid_w = if plane == 0 { 2 * self.mb_w } else { self.mb_w };
        let i = by as usize * grid_w + bx as usize;
        self.dc[plane][i] = dc;
        let e = &mut self.ac[plane][i];
        for k in 0..7 {
            e[k] = qf[1 + k];
            e[7 + k] = qf[8 * (1 + k)];
        }
    }

    /// Motion vector predictor of luma block `b` (0..4) of a macroblock
    /// (7.6.5): median of left, above and above-right candidates, with
    /// unusable candidates handled as the standard says.
    pub fn mv_pred(&self, mbx: usize, mby: usize, b: usize, packet: u32) -> [i32; 2] {
        let (bx, by) = ((2 * mbx + (b & 1)) as isize, (2 * mby + (b >> 1)) as isize);
        let (c1, c2, c3) = match b {
            0 => ((bx - 1, by), (bx, by - 1), (bx + 2, by - 1)),
            1 => ((bx - 1, by), (bx, by - 1), (bx + 1, by - 1)),
            2 => ((bx - 1, by), (bx, by - 1), (bx + 1, by - 1)),
            _ => ((bx - 1, by), (bx, by - 1), (bx - 1, by - 1)),
        };
        // Candidates are never below this macroblock's row: only the left,
        // top and right edges and the packet can rule them out.
        let get = |(x, y): (isize, isize)| -> Option<[i32; 2]> {
            if x < 0 || y < 0 || (x >> 1) as usize >= self.mb_w {
                return None;
            }
            let (cx, cy) = ((x >> 1) as usize, (y >> 1) as usize);
            let mb = cy * self.mb_w + cx;
            if self.packet[mb] != packet {
                return None;
            }
            let t = self.transparent[mb];
            // A transparent macroblock has no vector; inside a neighbour a
            // transparent block holds its padded vector, inside this
            // macroblock it is no candidate.
            if t != 0 {
                let own = cx == mbx && cy == mby;
                let blk = ((y & 1) * 2 + (x & 1)) as usize;
                if t == 0x3f || (own && t & (0x20 >> blk) != 0) {
                    return None;
                }
            }
            let v = self.mv[y as usize * 2 * self.mb_w + x as usize];
            Some([i32::from(v[0]), i32::from(v[1])])
        };
        match (get(c1), get(c2), get(c3)) {
            (None, None, None) => [0, 0],
            (Some(v), None, None) | (None, Some(v), None) | (None, None, Some(v)) => v,
            (a, b, c) => {
                let [a, b, c] = [a, b, c].map(|c| c.unwrap_or([0, 0]));
                [median(a[0], b[0], c[0]), median(a[1], b[1], c[1])]
            }
        }
    }

    /// The vector of luma block `b` of macroblock (mbx, mby), a candidate
    /// of the shape vector predictor (7.5.2.1): available when that
    /// macroblock is coded in `packet` and not transparent; intra and
    /// not-coded macroblocks count, with the zero vector.
    pub fn inter_mv(&self, mbx: isize, mby: isize, b: usize, packet: u32) -> Option<[i32; 2]> {
        let mb = self.usable(mbx, mby, packet)?;
        if self.transparent[mb] == 0x3f {
            return None;
        }
        let (x, y) = (2 * mbx as usize + (b & 1), 2 * mby as usize + (b >> 1));
        let v = self.mv[y * 2 * self.mb_w + x];
        Some([i32::from(v[0]), i32::from(v[1])])
    }

    pub fn set_mv(&mut self, mbx: usize, mby: usize, b: usize, mv: [i32; 2]) {
        let i = (2 * mby + (b >> 1)) * 2 * self.mb_w + 2 * mbx + (b & 1);
        self.mv[i] = [mv[0] as i16, mv[1] as i16];
    }

    pub fn set_mv_all(&mut self, mbx: usize, mby: usize, mv: [i32; 2]) {
        for b in 0..4 {
            self.set_mv(mbx, mby, b, mv);
        }
    }
}

#[inline]
fn median(a: i32, b: i32, c: i32) -> i32 {
    a.max(b).min(a.min(b).max(c))
}

/// Range of vectors for an `f_code` (7.6.3.1): [-32 f, 32 f - 1] half samples.
#[inline]
pub fn mv_range(fcode: u8) -> (i32, i32) {
    let f = 1i32 << (fcode - 1);
    (-32 * f, 32 * f - 1)
}

/// Wraps a vector difference (or a reconstructed vector) into the range.
#[inline]
pub fn wrap_mv(v: i32, fcode: u8) -> i32 {
    let (low, high) = mv_range(fcode);
    let span = high - low + 1;
    if v < low {
        v + span
    } else if v > high {
        v - span
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(1, 2, 3), 2);
        assert_eq!(median(3, 1, 2), 2);
        assert_eq!(median(-5, 7, 7), 7);
    }

    #[test]
    fn mv_prediction_respects_packets() {
        let mut s = PredState::new(3, 2);
        s.begin_mb(0, 0, 0, false, 5);
        s.set_mv_all(0, 0, [4, 6]);
        s.begin_mb(1, 0, 0, false, 5);
        s.set_mv_all(1, 0, [8, -2]);
        s.begin_mb(2, 0, 1, false, 5);
        s.set_mv_all(2, 0, [100, 100]);
        // First row of the VOP: only the left candidate.
        assert_eq!(s.mv_pred(1, 0, 0, 0), [4, 6]);
        // (0,1) in packet 0: left outside counts as zero; above (0,0) and
        // above-right (1,0): median(0, 4, 8), median(0, 6, -2).
        assert_eq!(s.mv_pred(0, 1, 0, 0), [4, 0]);
        // (1,1) in packet 1: only above-right (2,0) is in packet 1.
        assert_eq!(s.mv_pred(1, 1, 0, 1), [100, 100]);
        // Nothing usable.
        assert_eq!(s.mv_pred(0, 0, 0, 0), [0, 0]);
    }

    #[test]
    fn dc_prediction_direction() {
        let mut s = PredState::new(2, 2);
        let mut qf = [0i16; 64];
        qf[1] = 3;
        qf[8] = -2;
        s.begin_mb(0, 0, 0, true, 4);
        for b in 0..6 {
            s.store_intra(0, 0, b, 800 + b as i32, &qf);
        }
        // Block 1: A = block 0 (800), B = above-left unusable (1024),
        // C = above unusable (1024): |800-1024| < |1024-1024| is false, so
        // predict from A (horizontal): DC 800 and the first column.
        let p = s.intra_pred(0, 0, 1, 0, 4);
        assert_eq!((p.dc, p.direction), (800, Direction::Horizontal));
        assert_eq!(p.ac[0], -2);
        // Block 2: A unusable (1024), B unusable (1024), C = block 0 (800):
        // |1024-1024| < |1024-800| so predict from C (vertical), first row.
        let p = s.intra_pred(0, 0, 2, 0, 8);
        assert_eq!((p.dc, p.direction), (800, Direction::Vertical));
        // Rescaled to the new quantiser: 3 * 4 // 8 = 2 (1.5 rounds up).
        assert_eq!(p.ac[0], 2);
    }
}
