//! Motion estimation: a predictive search (EPZS-style candidates, then a
//! small diamond) at full samples, half-sample refinement, and per-block
//! refinement for four-vector macroblocks. Costs are SAD plus lambda times
//! the bits of the vector difference.

use crate::mc::{HalfPlanes, sad, sad16_limited};
use crate::picture::Padded;
use crate::vlc::mv_component_bits;

/// What the search found for one macroblock (vectors in half samples).
#[derive(Debug, Clone, Copy, Default)]
pub struct MbMotion {
    pub mv: [i32; 2],
    /// SAD of the 16x16 prediction at `mv`.
    pub sad: u32,
    /// Whether the four-vector search ran (`mv4`, `sad4` are meaningful).
    pub searched4: bool,
    /// The zero vector leaves every block under the all-zero bound: the
    /// macroblock is `not_coded` and no search ran.
    pub skip: bool,
    pub mv4: [[i32; 2]; 4],
    pub sad4: [u32; 4],
    /// Sum of |x - mean| of the source macroblock's luma (intra cost).
    pub intra_sad: u32,
}

/// Parameters of a search.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    /// Largest vector component in full samples.
    pub range: i32,
    /// Cost of one bit of vector data in SAD units.
    pub lambda: u32,
    /// `f_code` used to price vector differences.
    pub fcode: u8,
    pub four_mv: bool,
    /// Residual absolute sum under which a block quantises to zeros (0
    /// disables the skip test).
    pub zero_block_sum: u32,
    /// lambda times the bits of a vector difference component `d` (half
    /// samples) at `f_code`, at index `d + MV_COST_SPAN`; see `mv_costs`.
    pub costs: &'a [u32],
}

/// Differences priced by the table: vectors reach 2 range + 1 half samples
/// (plus one of margin) each way, so differences reach twice that.
pub fn mv_cost_span(range: i32) -> i32 {
    4 * range + 4
}

/// The table `Search::costs` reads.
pub fn mv_costs(range: i32, lambda: u32, fcode: u8) -> Vec<u32> {
    let span = mv_cost_span(range);
    (-span..=span)
        .map(|d| lambda * mv_component_bits(wrap(d, fcode), fcode))
        .collect()
}

/// Whether the zero vector predicts every block of the macroblock within
/// the all-zero bound (so `not_coded` codes it exactly as coding it would).
fn zero_vector_skips(planes: &Planes<'_>, mbx: usize, mby: usize, bound: u32) -> bool {
    let (x, y) = ((mbx * 16) as isize, (mby * 16) as isize);
    let s = &planes.src.data[planes.src.index(x, y)..];
    let r = &planes.reference.data[planes.reference.index(x, y)..];
    let (ss, rs) = (planes.src.stride, planes.reference.stride);
    for (dx, dy) in [(0, 0), (8, 0), (0, 8), (8, 8)] {
        let d = match planes.mask {
            Some((m, ms)) => {
                let m = &m[(y as usize + dy) * ms + x as usize + dx..];
                masked_sad(
                    &s[dy * ss + dx..],
                    ss,
                    &r[dy * rs + dx..],
                    rs,
                    (m, ms),
                    8,
                    8,
                )
            }
            None => sad(&s[dy * ss + dx..], ss, &r[dy * rs + dx..], rs, 8, 8),
        };
        if d >= bound {
            return false;
        }
    }
    planes
        .src_chroma
        .iter()
        .zip(planes.reference_chroma)
        .all(|(sp, rp)| {
            let s = &sp.data[sp.index(x / 2, y / 2)..];
            let r = &rp.data[rp.index(x / 2, y / 2)..];
            sad(s, sp.stride, r, rp.stride, 8, 8) < bound
        })
}

/// Source and reference views for a search.
pub struct Planes<'a> {
    pub src: &'a Padded,
    pub reference: &'a Padded,
    /// Chroma source and reference planes (Cb, Cr), for the skip test.
    pub src_chroma: [&'a Padded; 2],
    pub reference_chroma: [&'a Padded; 2],
    /// The reference's half-sample interpolations for this VOP's rounding.
    pub half: &'a HalfPlanes,
    /// Shaped VOPs, boundary macroblocks: the source shape (row stride
    /// `.1`, VOP coordinates); SADs then count opaque samples only, so the
    /// search matches the object and not what lies around it.
    pub mask: Option<(&'a [u8], usize)>,
}

/// SAD of a `w x h` block over the samples where `mask` is nonzero.
fn masked_sad(
    a: &[u8],
    a_stride: usize,
    b: &[u8],
    b_stride: usize,
    (mask, m_stride): (&[u8], usize),
    w: usize,
    h: usize,
) -> u32 {
    let mut sum = 0u32;
    for y in 0..h {
        let (ra, rb, rm) = (
            &a[y * a_stride..],
            &b[y * b_stride..],
            &mask[y * m_stride..],
        );
        for x in 0..w {
            if rm[x] != 0 {
                sum += u32::from(ra[x].abs_diff(rb[x]));
            }
        }
    }
    sum
}

/// A block's position, with its sample offsets in the source and the
/// reference worked out once for all the vectors tried.
#[derive(Clone, Copy)]
struct At {
    x: isize,
    y: isize,
    src: usize,
    reference: isize,
}

impl Planes<'_> {
    fn at(&self, x: isize, y: isize) -> At {
        At {
            x,
            y,
            src: self.src.index(x, y),
            reference: self.reference.index(x, y) as isize,
        }
    }

    /// Offset in the reference of the block at `at` displaced by (dx, dy)
    /// full samples.
    #[inline(always)]
    fn displaced(&self, at: At, dx: i32, dy: i32) -> usize {
        (at.reference + dy as isize * self.reference.stride as isize + dx as isize) as usize
    }

    /// Full-sample 16x16 SAD of the source MB at `at` against the
    /// reference displaced by (dx, dy) full samples.
    #[inline]
    fn sad16(&self, at: At, dx: i32, dy: i32, limit: u32) -> u32 {
        let s = &self.src.data[at.src..];
        let r = &self.reference.data[self.displaced(at, dx, dy)..];
        let (x, y) = (at.x, at.y);
        if let Some((m, ms)) = self.mask {
            let m = &m[y as usize * ms + x as usize..];
            return masked_sad(
                s,
                self.src.stride,
                r,
                self.reference.stride,
                (m, ms),
                16,
                16,
            );
        }
        sad16_limited(s, self.src.stride, r, self.reference.stride, limit)
    }

    /// SAD of a `w x w` block at a half-sample vector (inside the padded
    /// area: callers keep vectors within their search windows).
    fn sad_half(&self, at: At, mv: [i32; 2], w: usize) -> u32 {
        let k = ((mv[0] & 1) | (mv[1] & 1) << 1) as usize;
        let plane: &[u8] = if k == 0 {
            &self.reference.data
        } else {
            &self.half.planes[k - 1]
        };
        let r = &plane[self.displaced(at, mv[0] >> 1, mv[1] >> 1)..];
        let s = &self.src.data[at.src..];
        let (x, y) = (at.x, at.y);
        if let Some((m, ms)) = self.mask {
            let m = &m[y as usize * ms + x as usize..];
            return masked_sad(s, self.src.stride, r, self.reference.stride, (m, ms), w, w);
        }
        sad(s, self.src.stride, r, self.reference.stride, w, w)
    }
}

/// lambda times the bits of the difference `mv - pred`: two table reads
/// (differences below the table wrap to huge indices and miss it too).
#[inline(always)]
fn mv_cost(mv: [i32; 2], pred: [i32; 2], s: &Search<'_>) -> u32 {
    let span = (s.costs.len() / 2) as i32;
    let one = |d: i32| match s.costs.get((d + span) as usize) {
        Some(&c) => c,
        None => mv_cost_outside(d, s),
    };
    one(mv[0] - pred[0]) + one(mv[1] - pred[1])
}

#[cold]
#[inline(never)]
fn mv_cost_outside(d: i32, s: &Search<'_>) -> u32 {
    s.lambda * mv_component_bits(wrap(d, s.fcode), s.fcode)
}

#[inline]
fn wrap(v: i32, fcode: u8) -> i32 {
    crate::pred::wrap_mv(v, fcode)
}

/// Limits of full-sample displacement so a 16x16 (+1 for half samples)
/// read at (x, y), and its half-sample neighbours, stay inside the padded
/// reference.
fn window(p: &Padded, x: isize, y: isize, range: i32) -> (i32, i32, i32, i32) {
    let b = p.border as isize;
    // One sample of margin each side for the half-sample neighbours.
    let min_x = (1 - b - x).max(-(range as isize)) as i32;
    let min_y = (1 - b - y).max(-(range as isize)) as i32;
    let max_x = ((p.width as isize + b - 18) - x).min(range as isize) as i32;
    let max_y = ((p.height as isize + b - 18) - y).min(range as isize) as i32;
    (min_x, min_y, max_x, max_y)
}

/// Searches macroblock (mbx, mby). `pred` is the vector predictor (half
/// samples) and `candidates` further starting vectors (neighbours, the
/// co-located vector of the previous VOP).
pub fn search_mb(
    planes: &Planes<'_>,
    mbx: usize,
    mby: usize,
    pred: [i32; 2],
    candidates: &[[i32; 2]],
    s: &Search<'_>,
) -> MbMotion {
    let (x, y) = ((mbx * 16) as isize, (mby * 16) as isize);
    if s.zero_block_sum > 0 && zero_vector_skips(planes, mbx, mby, s.zero_block_sum) {
        return MbMotion {
            skip: true,
            intra_sad: u32::MAX,
            ..MbMotion::default()
        };
    }
    let (min_x, min_y, max_x, max_y) = window(planes.reference, x, y, s.range);
    let clamp = |v: [i32; 2]| -> [i32; 2] { [v[0].clamp(min_x, max_x), v[1].clamp(min_y, max_y)] };
    let at = planes.at(x, y);
    let cost_of = |v: [i32; 2], limit: u32| -> u32 {
        let d = planes.sad16(at, v[0], v[1], limit);
        d.saturating_add(mv_cost([v[0] * 2, v[1] * 2], pred, s))
    };
    let mut best = [0i32; 2];
    let mut best_cost = cost_of(best, u32::MAX);
    let start = [(pred[0] + 1) >> 1, (pred[1] + 1) >> 1];
    // Neighbours often share a vector: each candidate is tried once.
    let mut tried = [[0i32; 2]; 8];
    let mut n_tried = 1;
    for &c in std::iter::once(&start).chain(candidates) {
        let v = clamp(c);
        if tried[..n_tried].contains(&v) {
            continue;
        }
        if n_tried < tried.len() {
            tried[n_tried] = v;
            n_tried += 1;
        }
        let cost = cost_of(v, best_cost);
        if cost < best_cost {
            best_cost = cost;
            best = v;
        }
    }
    // Small diamond until it stops improving, never stepping back to the
    // point it came from (already worse).
    let mut from: Option<[i32; 2]> = None;
    for _ in 0..(2 * s.range.max(1)) {
        let center = best;
        for d in [[-1, 0], [1, 0], [0, -1], [0, 1]] {
            let v = [center[0] + d[0], center[1] + d[1]];
            if v[0] < min_x || v[0] > max_x || v[1] < min_y || v[1] > max_y || from == Some(v) {
                continue;
            }
            let cost = cost_of(v, best_cost);
            if cost < best_cost {
                best_cost = cost;
                best = v;
            }
        }
        if best == center {
            break;
        }
        from = Some(center);
    }
    // Half-sample refinement around the best full-sample vector: the four
    // axial neighbours, then the one diagonal between the better
    // horizontal and the better vertical side (5 candidates, not 8). The
    // best full-sample cost came from a complete SAD (a cut-off one always
    // exceeds the best cost), so its SAD is the cost less the vector bits.
    let full = [best[0] * 2, best[1] * 2];
    let mut mv = full;
    let mut best_sad = best_cost - mv_cost(full, pred, s);
    let mut best_total = best_cost;
    let mut side = [[0u32; 2]; 2];
    for (axis, d) in [(0, -1), (0, 1), (1, -1), (1, 1)] {
        let mut v = full;
        v[axis] += d;
        let sd = planes.sad_half(at, v, 16);
        let total = sd + mv_cost(v, pred, s);
        side[axis][usize::from(d > 0)] = total;
        if total < best_total {
            best_total = total;
            best_sad = sd;
            mv = v;
        }
    }
    let dx = if side[0][1] < side[0][0] { 1 } else { -1 };
    let dy = if side[1][1] < side[1][0] { 1 } else { -1 };
    let v = [full[0] + dx, full[1] + dy];
    let sd = planes.sad_half(at, v, 16);
    let total = sd + mv_cost(v, pred, s);
    if total < best_total {
        best_sad = sd;
        mv = v;
    }
    let mut out = MbMotion {
        mv,
        sad: best_sad,
        searched4: false,
        skip: false,
        mv4: [mv; 4],
        sad4: [0; 4],
        intra_sad: intra_sad(planes.src, x, y),
    };
    // Four vectors rarely pay where one already predicts well.
    if s.four_mv && best_sad > FOUR_MV_MIN_SAD_PER_LAMBDA * s.lambda {
        out.searched4 = true;
        for b in 0..4 {
            let (bx, by) = (x + ((b & 1) * 8) as isize, y + ((b >> 1) * 8) as isize);
            let (v, sd) = refine_block(planes, bx, by, mv, s);
            out.mv4[b] = v;
            out.sad4[b] = sd;
        }
    }
    out
}

/// 16x16 SAD per unit of lambda under which four-vector search is skipped.
const FOUR_MV_MIN_SAD_PER_LAMBDA: u32 = 128;

/// Refines an 8x8 block around `start` (half samples) with a half-sample
/// small diamond. Prices vectors against `start`.
fn refine_block(
    planes: &Planes<'_>,
    x: isize,
    y: isize,
    start: [i32; 2],
    s: &Search<'_>,
) -> ([i32; 2], u32) {
    let limit = |v: [i32; 2]| {
        let ix = x + (v[0] >> 1) as isize;
        let iy = y + (v[1] >> 1) as isize;
        planes.reference.contains(ix, iy, 9, 9)
            && v[0].abs() <= 2 * s.range + 1
            && v[1].abs() <= 2 * s.range + 1
    };
    let at = planes.at(x, y);
    let cost = |v: [i32; 2]| planes.sad_half(at, v, 8) + mv_cost(v, start, s) / 2;
    let mut best = start;
    let mut best_cost = cost(start);
    for step in [1] {
        loop {
            let center = best;
            for d in [[-step, 0], [step, 0], [0, -step], [0, step]] {
                let v = [center[0] + d[0], center[1] + d[1]];
                if !limit(v) {
                    continue;
                }
                let c = cost(v);
                if c < best_cost {
                    best_cost = c;
                    best = v;
                }
            }
            if best == center {
                break;
            }
        }
    }
    (best, planes.sad_half(at, best, 8))
}

/// Sum of absolute deviations from the mean of a 16x16 luma block.
pub fn intra_sad(p: &Padded, x: isize, y: isize) -> u32 {
    let block = &p.data[p.index(x, y)..];
    // Sum as the SAD against zeros, deviation as the SAD against the mean.
    let zeros = [0u8; 16];
    let sum = sad(block, p.stride, &zeros, 0, 16, 16);
    let mean = [((sum + 128) >> 8) as u8; 16];
    sad(block, p.stride, &mean, 0, 16, 16)
}
