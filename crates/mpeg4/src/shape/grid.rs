//! Pixel grids of binary shape coding: a coded block (16x16, 8x8 or 4x4)
//! with its 2-pixel border, the motion-compensated prediction with its
//! 1-pixel border, the conversions between conversion ratios (7.5.4) and
//! the borders taken from neighbouring BABs (7.5.3).
//!
//! Inside this module pixels are 0 (transparent) or 1 (opaque).

use super::tables::UPSAMPLE_THRESHOLD;
use super::{BAB_SIZE, Bab, BabBorder, PredBab};

/// A coded block of side `n` (16, 8 or 4) with a 2-pixel border on every
/// side: coordinates `-2..n+2` in both directions.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Grid {
    pub n: usize,
    px: [u8; 20 * 20],
}

impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.n as isize;
        for y in -2..s + 2 {
            let row: String = (-2..s + 2)
                .map(|x| if self.at(y, x) != 0 { '#' } else { '.' })
                .collect();
            writeln!(f, "{row}")?;
        }
        Ok(())
    }
}

impl Grid {
    pub fn new(n: usize) -> Grid {
        debug_assert!(n == 16 || n == 8 || n == 4);
        Grid { n, px: [0; 400] }
    }

    #[inline]
    fn idx(&self, y: isize, x: isize) -> usize {
        let s = self.n + 4;
        debug_assert!(y >= -2 && x >= -2 && y < self.n as isize + 2 && x < self.n as isize + 2);
        (y + 2) as usize * s + (x + 2) as usize
    }

    #[inline]
    pub fn at(&self, y: isize, x: isize) -> u8 {
        self.px[self.idx(y, x)]
    }

    #[inline]
    pub fn set(&mut self, y: isize, x: isize, v: u8) {
        let i = self.idx(y, x);
        self.px[i] = v;
    }

    /// The grid mirrored about its main diagonal (borders included).
    pub fn transposed(&self) -> Grid {
        let mut t = Grid::new(self.n);
        let s = self.n as isize;
        for y in -2..s + 2 {
            for x in -2..s + 2 {
                t.set(x, y, self.at(y, x));
            }
        }
        t
    }

    /// The interior as a 16x16 BAB (n must be 16), 0/255.
    pub fn to_bab(&self) -> Bab {
        debug_assert_eq!(self.n, BAB_SIZE);
        let mut b = [0; 256];
        for y in 0..16 {
            for x in 0..16 {
                b[y * 16 + x] = self.at(y as isize, x as isize) * 255;
            }
        }
        b
    }

    /// Fills the right border of row `y` from its last pixel (done as each
    /// row is coded, 7.5.3: pixels right of the BAB repeat its last one).
    pub fn extend_row(&mut self, y: isize) {
        let s = self.n as isize;
        let v = self.at(y, s - 1);
        self.set(y, s, v);
        self.set(y, s + 1, v);
    }
}

/// The motion-compensated prediction of side `n` with a 1-pixel border:
/// coordinates `-1..=n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PredGrid {
    pub n: usize,
    px: [u8; 18 * 18],
}

impl PredGrid {
    fn new(n: usize) -> PredGrid {
        PredGrid { n, px: [0; 324] }
    }

    #[inline]
    fn idx(&self, y: isize, x: isize) -> usize {
        (y + 1) as usize * (self.n + 2) + (x + 1) as usize
    }

    #[inline]
    pub fn at(&self, y: isize, x: isize) -> u8 {
        self.px[self.idx(y, x)]
    }

    #[inline]
    fn set(&mut self, y: isize, x: isize, v: u8) {
        let i = self.idx(y, x);
        self.px[i] = v;
    }

    pub fn from_pred(p: &PredBab) -> PredGrid {
        let mut g = PredGrid::new(16);
        for y in -1..=16 {
            for x in -1..=16 {
                g.set(y, x, p.at(y, x));
            }
        }
        g
    }

    pub fn transposed(&self) -> PredGrid {
        let mut t = PredGrid::new(self.n);
        let s = self.n as isize;
        for y in -1..=s {
            for x in -1..=s {
                t.set(x, y, self.at(y, x));
            }
        }
        t
    }

    /// Down-sampling of the prediction for conversion ratio `1/f` (7.5.4.1
    /// as the inter CAE of a reduced BAB needs it): a pixel of the interior
    /// is opaque when more than `f*f/4` (f = 2) or `f*f/2 - 1` (f = 4) of
    /// its `f x f` pixels are; a border pixel when more than 0 (f = 2) or 1
    /// (f = 4) of its `f` border pixels are; the corners are kept.
    pub fn downsampled(&self, f: usize) -> PredGrid {
        debug_assert_eq!(self.n, 16);
        if f == 1 {
            return self.clone();
        }
        let n = 16 / f;
        let (inner, edge) = if f == 2 { (1, 0) } else { (7, 1) };
        let mut g = PredGrid::new(n);
        let (fi, ni) = (f as isize, n as isize);
        for k in 0..ni {
            for j in 0..ni {
                let mut c = 0;
                for dy in 0..fi {
                    for dx in 0..fi {
                        c += u32::from(self.at(k * fi + dy, j * fi + dx));
                    }
                }
                g.set(k, j, u8::from(c > inner));
            }
            let (mut l, mut r, mut t, mut b) = (0, 0, 0, 0);
            for p in 0..fi {
                l += u32::from(self.at(k * fi + p, -1));
                r += u32::from(self.at(k * fi + p, 16));
                t += u32::from(self.at(-1, k * fi + p));
                b += u32::from(self.at(16, k * fi + p));
            }
            g.set(k, -1, u8::from(l > edge));
            g.set(k, ni, u8::from(r > edge));
            g.set(-1, k, u8::from(t > edge));
            g.set(ni, k, u8::from(b > edge));
        }
        g.set(-1, -1, self.at(-1, -1));
        g.set(-1, ni, self.at(-1, 16));
        g.set(ni, -1, self.at(16, -1));
        g.set(ni, ni, self.at(16, 16));
        g
    }
}

/// The coding grid of side `16 / f` with its top and left borders from the
/// neighbouring BABs (7.5.3): at full size the border pixels themselves; at
/// reduced size each border pixel is opaque when more than 0 (f = 2) or 1
/// (f = 4) of the `f` full-size pixels it covers are, while the two corner
/// pixels at each end of the top rows are taken as they are. The left
/// border's two rows below the BAB repeat its last row. The interior is
/// left transparent.
pub(crate) fn border_grid(border: &BabBorder, f: usize) -> Grid {
    let n = 16 / f;
    let ni = n as isize;
    let mut g = Grid::new(n);
    for t in 0..2 {
        let y = t as isize - 2;
        g.set(y, -2, border.top[t][0]);
        g.set(y, -1, border.top[t][1]);
        g.set(y, ni, border.top[t][18]);
        g.set(y, ni + 1, border.top[t][19]);
    }
    if f == 1 {
        for t in 0..2 {
            for x in 0..16 {
                g.set(t as isize - 2, x as isize, border.top[t][x + 2]);
            }
        }
        for y in 0..16 {
            for c in 0..2 {
                g.set(y as isize, c as isize - 2, border.left[y][c]);
            }
        }
    } else {
        let thr = if f == 2 { 0 } else { 1 };
        for k in 0..n {
            for t in 0..2 {
                let c: u32 = (0..f)
                    .map(|p| u32::from(border.top[t][2 + k * f + p]))
                    .sum();
                g.set(t as isize - 2, k as isize, u8::from(c > thr));
                let c: u32 = (0..f).map(|p| u32::from(border.left[k * f + p][t])).sum();
                g.set(k as isize, t as isize - 2, u8::from(c > thr));
            }
        }
    }
    for c in [-2, -1] {
        let v = g.at(ni - 1, c);
        g.set(ni, c, v);
        g.set(ni + 1, c, v);
    }
    g
}

/// Encoder down-sampling of a BAB to side `16 / f` (not normative): a pixel
/// is opaque when at least half (f = 4) or two of the four (f = 2) of the
/// pixels it covers are.
pub(crate) fn downsample_bab(bab: &Grid, f: usize, into: &mut Grid) {
    let n = 16 / f;
    let thr = if f == 2 { 1 } else { 7 };
    for k in 0..n {
        for j in 0..n {
            let mut c = 0u32;
            for dy in 0..f {
                for dx in 0..f {
                    c += u32::from(bab.at((k * f + dy) as isize, (j * f + dx) as isize));
                }
            }
            into.set(k as isize, j as isize, u8::from(c > thr));
        }
    }
}

/// A pixel of the up-sampling filter's input (7.5.4.2): inside the block
/// or in its top/left border as stored, else (right and bottom) the
/// nearest pixel of the block.
#[inline]
fn us_ref(g: &Grid, y: isize, x: isize) -> u32 {
    let n = g.n as isize;
    let inside = (0..n).contains(&y) && (0..n).contains(&x);
    let v = if inside || y < 0 || (x < 0 && y < n) {
        g.at(y, x)
    } else {
        g.at(y.clamp(0, n - 1), x.clamp(0, n - 1))
    };
    u32::from(v)
}

/// One pass of the adaptive up-sampling filter (7.5.4.2): side `n` to `2n`
/// (interior only; the result's borders are transparent).
fn upsample_pass(g: &Grid) -> Grid {
    let n = g.n as isize;
    let mut out = Grid::new(2 * g.n);
    for oy in 0..2 * n {
        let j = (oy - 1).div_euclid(2);
        let py = oy - 1 - 2 * j;
        for ox in 0..2 * n {
            let i = (ox - 1).div_euclid(2);
            let px = ox - 1 - 2 * i;
            // The 12 neighbours of the output pixel's 2x2 cell:
            //      4  5
            //   6  0  1  7
            //   8  2  3  9
            //     10 11
            let v = [
                us_ref(g, j, i),
                us_ref(g, j, i + 1),
                us_ref(g, j + 1, i),
                us_ref(g, j + 1, i + 1),
                us_ref(g, j - 1, i),
                us_ref(g, j - 1, i + 1),
                us_ref(g, j, i - 1),
                us_ref(g, j, i + 2),
                us_ref(g, j + 1, i - 1),
                us_ref(g, j + 1, i + 2),
                us_ref(g, j + 2, i),
                us_ref(g, j + 2, i + 1),
            ];
            let outer = v[4] + v[5] + v[6] + v[7] + v[8] + v[9] + v[10] + v[11];
            // The context lists the eight outer neighbours starting next to
            // the output pixel's corner and going round; the near core pixel
            // weighs 4, the other three 2, the outer ones 1.
            let (order, near) = match (py, px) {
                (0, 0) => ([5, 4, 6, 8, 10, 11, 9, 7], 0),
                (0, _) => ([9, 7, 5, 4, 6, 8, 10, 11], 1),
                (_, 0) => ([6, 8, 10, 11, 9, 7, 5, 4], 2),
                _ => ([10, 11, 9, 7, 5, 4, 6, 8], 3),
            };
            let ctx: usize = order
                .iter()
                .enumerate()
                .map(|(k, &m)| (v[m] as usize) << k)
                .sum();
            let core = v[0] + v[1] + v[2] + v[3];
            let value = 2 * v[near] + 2 * core + outer;
            let th = u32::from(UPSAMPLE_THRESHOLD[ctx]);
            out.set(oy, ox, u8::from(value > th));
        }
    }
    out
}

/// Up-samples a reduced coding grid (side 8 or 4, with its borders) to the
/// 16x16 BAB (7.5.4.2). For side 4 the filter runs twice; the intermediate
/// 8x8 block's top and left borders repeat each border pixel of the 4x4
/// block twice along the edge, and its four corner pairs are the 4x4
/// block's.
pub(crate) fn upsample(g: &Grid) -> Grid {
    if g.n == 8 {
        return upsample_pass(g);
    }
    debug_assert_eq!(g.n, 4);
    let mut mid = upsample_pass(g);
    for t in [-2isize, -1] {
        mid.set(t, -2, g.at(t, -2));
        mid.set(t, -1, g.at(t, -1));
        mid.set(t, 8, g.at(t, 4));
        mid.set(t, 9, g.at(t, 5));
        for x in 0..8 {
            mid.set(t, x, g.at(t, x / 2));
            mid.set(x, t, g.at(x / 2, t));
        }
        let v = mid.at(7, t);
        mid.set(8, t, v);
        mid.set(9, t, v);
    }
    upsample_pass(&mid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{BabBorder, PredBab};

    /// A random 8x8 block with its borders (rows of 12 bits, border
    /// included) up-sampled by the reference software's filter (ISO/IEC
    /// 14496-5), computed outside this project: rows of the 16x16 result.
    #[test]
    fn upsampling_matches_reference() {
        let src: [u16; 12] = [
            0x956, 0xd47, 0xbc0, 0xb10, 0x6d5, 0x2d0, 0xb20, 0x392, 0x746, 0x890, 0x6a9, 0xc2d,
        ];
        let want: [u16; 16] = [
            0xff00, 0xff00, 0xf830, 0xf030, 0xef71, 0xcf7b, 0xcf30, 0xef20, 0xf480, 0xf860, 0xf820,
            0xfc00, 0xfa03, 0xf201, 0xec00, 0x0e30,
        ];
        let mut g = Grid::new(8);
        for (y, row) in src.iter().enumerate() {
            for x in 0..12 {
                g.set(
                    y as isize - 2,
                    x as isize - 2,
                    ((row >> (11 - x)) & 1) as u8,
                );
            }
        }
        let up = upsample(&g);
        for (y, &w) in want.iter().enumerate() {
            let got = (0..16).fold(0u16, |v, x| (v << 1) | u16::from(up.at(y as isize, x)));
            assert_eq!(got, w, "row {y}");
        }
    }

    fn rows_of(width: usize, rows: &[u32], f: impl Fn(isize, isize) -> u8) {
        for (y, &want) in rows.iter().enumerate() {
            let got = (0..width).fold(0u32, |v, x| (v << 1) | u32::from(f(y as isize, x as isize)));
            assert_eq!(got, want, "row {y}");
        }
    }

    /// Conversion ratio 1/4: a random 4x4 block with borders (rows of 8
    /// bits) up-sampled twice by the reference software (ISO/IEC 14496-5),
    /// computed outside this project.
    #[test]
    fn quarter_upsampling_matches_reference() {
        let src: [u8; 8] = [0x4e, 0xbe, 0x32, 0x69, 0x20, 0xdb, 0xa9, 0x01];
        let mut g = Grid::new(4);
        for (y, row) in src.iter().enumerate() {
            for x in 0..8 {
                g.set(y as isize - 2, x as isize - 2, (row >> (7 - x)) & 1);
            }
        }
        let up = upsample(&g);
        rows_of(
            16,
            &[
                0xfff8, 0xffe0, 0xff80, 0xff00, 0xfe80, 0xf840, 0xf800, 0xf000, 0xf000, 0xf800,
                0xf840, 0xfec0, 0x9fc0, 0x8fe0, 0x0fe0, 0x0ff0,
            ],
            |y, x| up.at(y, x),
        );
    }

    /// The motion-compensated BAB down-sampled for ratios 1/2 and 1/4, and
    /// the subsampled top/left borders, as the reference software computes
    /// them (ISO/IEC 14496-5), computed outside this project.
    #[test]
    fn down_sampling_matches_reference() {
        let p: [u32; 18] = [
            0x01b70, 0x3d00a, 0x024ac, 0x3e18a, 0x08251, 0x037f7, 0x29660, 0x04aa2, 0x26bad,
            0x24648, 0x00b61, 0x30930, 0x11a4a, 0x13357, 0x24204, 0x0a403, 0x02e24, 0x1e098,
        ];
        let pred = PredBab::from_fn(|x, y| (p[(y + 1) as usize] >> (16 - x)) & 1 == 1);
        let g = PredGrid::from_pred(&pred);
        let half = g.downsampled(2);
        rows_of(
            10,
            &[
                0x07c, 0x386, 0x395, 0x27b, 0x2fb, 0x229, 0x34c, 0x2a3, 0x0a3, 0x194,
            ],
            |y, x| half.at(y - 1, x - 1),
        );
        let quarter = g.downsampled(4);
        rows_of(6, &[0x00c, 0x030, 0x02d, 0x028, 0x001, 0x012], |y, x| {
            quarter.at(y - 1, x - 1)
        });

        let fr: [u32; 18] = [
            0xf2a9d, 0x000b6, 0xb2c50, 0x10414, 0xc1191, 0x36e26, 0x22024, 0x00a16, 0x3a119,
            0x845a8, 0x06941, 0x870c2, 0x5d316, 0xa54ac, 0xcb97b, 0x31a00, 0x8a046, 0x058c1,
        ];
        let border = BabBorder::from_fn(|x, y| (fr[(y + 2) as usize] >> (17 - x)) & 1 == 1);
        let g2 = border_grid(&border, 2);
        rows_of(
            12,
            &[
                0xefd, 0x01e, 0x800, 0xc00, 0x000, 0x800, 0x800, 0xc00, 0xc00, 0x800, 0x800, 0x800,
            ],
            |y, x| g2.at(y - 2, x - 2),
        );
        let g4 = border_grid(&border, 4);
        rows_of(
            8,
            &[0x0fd, 0x006, 0x080, 0x000, 0x080, 0x080, 0x080, 0x080],
            |y, x| g4.at(y - 2, x - 2),
        );
    }
}
