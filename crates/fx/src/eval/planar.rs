//! The planar path: a warp of a decoded picture, optionally framed by a
//! border and composited over another decoded picture, computed on 8-bit
//! planes, each at its own resolution.
//!
//! It renders the graphs whose output is, with `S` and `B` DCT-domain
//! nodes (sources of the output's size and chroma format, or mixes of
//! them), one of
//!
//! ```text
//! Warp(S)    Border(Warp(S))    Over(Warp(S), B)    Over(Border(Warp(S)), B)
//! ```
//!
//! (`affine` alone; `pip`, and any warped inset over a background), in
//! place of the general pixel path, which keeps `S` whole as `f32` RGBA
//! and samples all four channels at every luma pixel. Here:
//!
//! * `S` is inverse-DCT'd, over the rectangle the region reads, into 8-bit
//!   Y, Cb and Cr planes at their own resolution ([`Picture`]). When the
//!   warp shrinks the picture 2^L times or more along both of the
//!   output's axes (L = 1, 2, 3), each plane is then reduced to 1/2^L of
//!   that, every sample the mean of a 2^L x 2^L cell (a mipmap level),
//!   so that the sampling below averages what it skips instead of
//!   aliasing it, as an area-averaging scaler does.
//! * Each sample of each output plane (luma at luma resolution, chroma at
//!   chroma resolution) maps its own centre back through the inverse
//!   matrix. When that point lies inside the frame, the same plane of the
//!   decoded `S` is sampled bilinearly there (neighbours past the edges
//!   repeating them) and rounded to 8 bits, by
//!   [`tessera_dsp::bilinear_line`] at 16.16 fixed-point positions
//!   stepped along the line from anchors every [`SEGMENT`] samples, which
//!   are computed in `f64`; otherwise the sample gets the `outside` colour
//!   composited over `B` (black without one). The inside test is the
//!   general path's, in `f64`.
//! * A border paints, over that, the samples whose centres lie within its
//!   width of the edges of the warp's extent.
//! * With a transparent `outside`, the output blocks that the warped
//!   picture's bounding box misses are `B`'s coefficients, copied (or
//!   combined, for a mix) as on the DCT path. Only the other blocks are
//!   inverse-transformed, composited and transformed back.
//!
//! A sample's value depends only on its position and the inputs: anchors
//! sit at fixed sample positions, and which blocks are copied depends only
//! on the frame's parameters. So regions render the same blocks whole or
//! in bands.

use tessera_dsp::Plane;
use tessera_sc::{FrameGeometry, PlaneKind, Region, ScImage};

use crate::analysis::{Analysis, Domain};
use crate::graph::{Graph, Op};

use super::Span;
use super::dct::{Blocks, Combo, PLANES};
use super::encode::to_u8;
use super::params::FrameOp;
use super::rows::{Area, Px, over_px};
use super::warp;

/// Samples between `f64` anchors of the fixed-point positions: the 16-bit
/// fraction of the step is off by at most 2^-17 pixel, so a sample's
/// position is off by at most 2^-11 pixel.
pub(crate) const SEGMENT: i64 = 64;

/// One in 16.16 fixed point.
const ONE: f64 = 65536.0;

/// The dequantizer of coefficients that are already dequantized.
const ONES: [u16; 64] = [1; 64];

/// The nodes of a graph the planar path renders (indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    warp: usize,
    /// The warp's source, a DCT-domain node.
    pub src: usize,
    border: Option<usize>,
    /// What the warp is composited over, a DCT-domain node.
    pub base: Option<usize>,
}

impl Shape {
    /// The planar shape of `graph`'s output, if it has one.
    pub(crate) fn detect(graph: &Graph, analysis: &Analysis) -> Option<Shape> {
        let dct = |i: usize| analysis.domain.get(i) == Some(&Domain::Dct);
        let out = graph.output;
        let (fg, base) = match &graph.nodes.get(out.index())?.op {
            Op::Over { fg, bg } if dct(bg.index()) => (*fg, Some(bg.index())),
            _ => (out, None),
        };
        let (warp, border) = match &graph.node(fg).op {
            Op::Border { src, .. } => (*src, Some(fg.index())),
            _ => (fg, None),
        };
        match &graph.node(warp).op {
            Op::Warp { src, .. } if dct(src.index()) => Some(Shape {
                warp: warp.index(),
                src: src.index(),
                border,
                base,
            }),
            _ => None,
        }
    }

    /// This frame's parameters, or `None` when the planar path cannot
    /// render it (a frame over 2^14 pixels a side, a matrix whose steps
    /// 16.16 positions cannot represent) and the general path must.
    pub(crate) fn frame(&self, ops: &[FrameOp], g: &FrameGeometry) -> Option<Frame> {
        const MAX_SIZE: u16 = 1 << 14;
        const MAX_STEP: f64 = 4096.0;
        if g.true_width > MAX_SIZE || g.true_height > MAX_SIZE {
            return None;
        }
        let FrameOp::Warp {
            inverse, outside, ..
        } = &ops[self.warp]
        else {
            return None;
        };
        let sane = |m: &[f64; 6]| [m[0], m[1], m[3], m[4]].iter().all(|v| v.abs() <= MAX_STEP);
        if inverse.as_ref().is_some_and(|m| !sane(m)) {
            return None;
        }
        let border = match self.border.map(|b| &ops[b]) {
            Some(FrameOp::Border {
                extent,
                width,
                color,
            }) if *width > 0.0 => Some(Border {
                extent: *extent,
                width: *width,
                color: *color,
            }),
            _ => None,
        };
        let (w, h) = (i64::from(g.true_width), i64::from(g.true_height));
        let frame = Span::new(0, 0, w, h);
        // Where the warped picture can differ from `B`: its bounding box
        // (which holds the border's extent), with a pixel to spare.
        let footprint = if self.base.is_none() || outside[3] > 0.0 {
            frame
        } else {
            let whole = Area {
                x0: 0.0,
                y0: 0.0,
                x1: w as f64,
                y1: h as f64,
            };
            match inverse.and_then(warp::invert) {
                None => Span::EMPTY,
                Some(fwd) => warp::extent(&fwd, &whole).map_or(frame, |b| {
                    let cell = |v: f64| v.floor().clamp(-1.0, 1e9) as i64;
                    Span::new(
                        cell(b.x0) - 1,
                        cell(b.y0) - 1,
                        cell(b.x1) + 2,
                        cell(b.y1) + 2,
                    )
                    .intersect(frame)
                }),
            }
        };
        // Source pixels per output pixel along the output's axes.
        let level = inverse.map_or(0, |m| {
            let shrink = m[0].hypot(m[3]).min(m[1].hypot(m[4]));
            (0..3).take_while(|l| shrink >= f64::from(2 << l)).count() as u32
        });
        Some(Frame {
            inverse: *inverse,
            outside: *outside,
            border,
            footprint,
            level,
        })
    }

    /// Per input: the pixels rendering `region` (true pixels) reads.
    pub(crate) fn demand(
        &self,
        frame: &Frame,
        combos: &[Option<Combo>],
        inputs: &[FrameGeometry],
        region: Span,
    ) -> Vec<Span> {
        let mut need = vec![Span::EMPTY; inputs.len()];
        let g = &inputs[0];
        let mut read = |node: usize, span: Span| {
            for &(i, _) in combos[node].iter().flat_map(|c| &c.terms) {
                need[i] = need[i].union(span);
            }
        };
        if let Some(base) = self.base {
            read(base, region);
        }
        read(self.src, frame.source_span(region, g));
        need
    }
}

/// A border for one frame.
#[derive(Clone, Copy, Debug)]
struct Border {
    extent: Area,
    width: f64,
    color: Px,
}

/// The planar path's parameters for one frame.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    /// Output-to-source matrix; `None`: everything is outside.
    inverse: Option<[f64; 6]>,
    outside: Px,
    border: Option<Border>,
    /// The pixels the warped picture (and its border) may touch; blocks
    /// outside it are `B`'s.
    footprint: Span,
    /// `S` is decoded at 1/2^level of its resolution.
    level: u32,
}

impl Frame {
    /// The pixels of the source that the samples of `region` (true
    /// pixels) read: the general path's demand, widened by two of the
    /// decoded picture's chroma samples a side for chroma samples'
    /// neighbours.
    fn source_span(&self, region: Span, g: &FrameGeometry) -> Span {
        let Some(m) = &self.inverse else {
            return Span::EMPTY;
        };
        let (w, h) = (u32::from(g.true_width), u32::from(g.true_height));
        let s = warp::source_span(m, region, w, h);
        if s.is_empty() {
            return s;
        }
        let (mx, my) = (
            i64::from(g.h_sub) << (self.level + 1),
            i64::from(g.v_sub) << (self.level + 1),
        );
        Span::new(s.x0 - mx, s.y0 - my, s.x1 + mx, s.y1 + my).intersect(Span::frame(g))
    }
}

/// A picture as 8-bit planes, decoded over whole MCUs (MCU columns
/// `c0..c1` and rows `r0..r1`) at 1/2^level of its resolution.
#[derive(Clone, Debug, Default)]
struct Picture {
    level: u32,
    c0: u32,
    c1: u32,
    r0: u32,
    r1: u32,
    /// Y, Cb, Cr (the pixel channel order), each with 4 bytes of slack
    /// past its last row for the sampler's gathers.
    planes: [Vec<u8>; 3],
    strides: [usize; 3],
    /// A block row at full resolution, to reduce.
    strip: Vec<u8>,
}

/// Subsampling of plane `ch` (Y, Cb, Cr) of `g`.
fn subsampling(g: &FrameGeometry, ch: usize) -> (u32, u32) {
    if ch == 0 {
        (1, 1)
    } else {
        (u32::from(g.h_sub), u32::from(g.v_sub))
    }
}

/// The channel (Y, Cb, Cr) of SC plane `p` ([`PLANES`] order: Y, Cr, Cb).
const CHANNEL_OF: [usize; 3] = [0, 2, 1];

/// Inverse-DCTs blocks `addr..addr + n` of SC plane `p` of `src`, side by
/// side, into `buf` from `off` (rows `stride` apart).
fn decode_blocks(
    src: &impl Blocks,
    (p, addr, n): (usize, usize, usize),
    scratch: &mut Vec<[i16; 64]>,
    buf: &mut [u8],
    off: usize,
    stride: usize,
) {
    if scratch.len() < n {
        scratch.resize(n, [0; 64]);
    }
    for (b, block) in src.blocks(p, addr, n, scratch).iter().enumerate() {
        tessera_dsp::dequant_idct_put(block, &ONES, &mut buf[off + 8 * b..], stride);
    }
}

/// The means of the `F` x `F` cells of the `rows` x `width` samples of
/// `src` (rows `stride` apart; `rows` and `width` multiples of `F`), into
/// `out` (rows `out_stride` apart), rounded half up.
fn reduce<const F: usize>(
    src: &[u8],
    stride: usize,
    rows: usize,
    out: &mut [u8],
    out_stride: usize,
) {
    let width = out_stride.min(stride / F);
    let half = (F * F / 2) as u16;
    let shift = (F * F).trailing_zeros();
    for y in 0..rows / F {
        let lines: [&[u8]; F] = std::array::from_fn(|r| &src[(y * F + r) * stride..][..width * F]);
        let out = &mut out[y * out_stride..][..width];
        if F == 2 {
            // Pairs of pairs, in a form that vectorizes.
            let (top, bottom) = (lines[0].chunks_exact(2), lines[1].chunks_exact(2));
            for ((o, t), b) in out.iter_mut().zip(top).zip(bottom) {
                let sum = u16::from(t[0]) + u16::from(t[1]) + u16::from(b[0]) + u16::from(b[1]);
                *o = ((sum + half) >> shift) as u8;
            }
            continue;
        }
        for (x, o) in out.iter_mut().enumerate() {
            let mut sum = 0u16;
            for line in &lines {
                for &v in &line[x * F..x * F + F] {
                    sum += u16::from(v);
                }
            }
            *o = ((sum + half) >> shift) as u8;
        }
    }
}

impl Picture {
    /// Decodes the MCUs of `src` (of geometry `g`) covering `span`, at
    /// 1/2^level resolution.
    fn decode(
        &mut self,
        src: &impl Blocks,
        g: &FrameGeometry,
        (span, level): (Span, u32),
        scratch: &mut Vec<[i16; 64]>,
    ) {
        self.level = level;
        let (mw, mh) = (i64::from(g.mcu_width()), i64::from(g.mcu_height()));
        self.c0 = (span.x0 / mw) as u32;
        self.c1 = (span.x1 + mw - 1).div_euclid(mw) as u32;
        self.r0 = (span.y0 / mh) as u32;
        self.r1 = (span.y1 + mh - 1).div_euclid(mh) as u32;
        let (cols, rows) = ((self.c1 - self.c0) as usize, (self.r1 - self.r0) as usize);
        for ch in 0..3 {
            let (hs, vs) = subsampling(g, ch);
            let stride = (cols * (mw as usize) / hs as usize) >> level;
            let height = (rows * (mh as usize) / vs as usize) >> level;
            self.strides[ch] = stride;
            self.planes[ch].resize(stride * height + 4, 0);
        }
        for r in self.r0..self.r1 {
            for (p, plane) in PLANES.into_iter().enumerate() {
                let ch = CHANNEL_OF[p];
                let (per_x, per_y) = match plane {
                    PlaneKind::Y => (u32::from(g.h_sub), u32::from(g.v_sub)),
                    _ => (1, 1),
                };
                let stride = self.strides[ch];
                for j in 0..per_y {
                    let line = ((r - self.r0) * per_y + j) as usize * (8 >> level);
                    let addr = g.address(plane, self.c0 * per_x, r * per_y + j) as usize;
                    let n = cols * per_x as usize;
                    let at = (p, addr, n);
                    let buf = &mut self.planes[ch][line * stride..];
                    if level == 0 {
                        decode_blocks(src, at, scratch, buf, 0, stride);
                        continue;
                    }
                    let full = 8 * n;
                    self.strip.resize(8 * full, 0);
                    decode_blocks(src, at, scratch, &mut self.strip, 0, full);
                    match level {
                        1 => reduce::<2>(&self.strip, full, 8, buf, stride),
                        2 => reduce::<4>(&self.strip, full, 8, buf, stride),
                        _ => reduce::<8>(&self.strip, full, 8, buf, stride),
                    }
                }
            }
        }
    }

    /// Plane `ch` as the sampler sees it, clipped to the plane's true
    /// size (so that neighbours past the frame's edge repeat it), and the
    /// plane position of its first sample.
    fn view(&self, g: &FrameGeometry, ch: usize) -> (Plane<'_>, (i64, i64)) {
        let (hs, vs) = subsampling(g, ch);
        let l = self.level;
        let (mw, mh) = ((g.mcu_width() / hs) >> l, (g.mcu_height() / vs) >> l);
        let (ox, oy) = (i64::from(self.c0 * mw), i64::from(self.r0 * mh));
        let true_w = i64::from(u32::from(g.true_width).div_ceil(hs << l));
        let true_h = i64::from(u32::from(g.true_height).div_ceil(vs << l));
        let stride = self.strides[ch];
        let rows = (self.planes[ch].len() - 4) / stride.max(1);
        let plane = Plane {
            data: &self.planes[ch],
            width: (true_w - ox).clamp(1, stride as i64) as usize,
            height: (true_h - oy).clamp(1, rows as i64) as usize,
            stride,
        };
        (plane, (ox, oy))
    }
}

/// Buffers kept between frames.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    source: Picture,
    /// One MCU row of the output over the columns being computed: Y, Cb,
    /// Cr.
    band: [Vec<u8>; 3],
    /// A line of `B` under a border.
    under: Vec<u8>,
    blocks: Vec<[i16; 64]>,
    /// Per MCU row of the frame: the MCU columns computed by the last
    /// render (the others are `B`'s blocks).
    pub touched: Vec<(u32, u32)>,
}

/// What one output line is composited from.
struct Layers<'a> {
    frame: &'a Frame,
    /// The source's plane of this line, and its origin.
    source: Option<(Plane<'a>, (i64, i64))>,
    has_base: bool,
    /// Frame size in luma pixels.
    size: (f64, f64),
}

/// A plane's subsampling: luma pixels per output sample (`hs`, `vs`) and
/// per sample of the decoded source (`hs`, `vs` times `2^level`).
#[derive(Clone, Copy)]
struct Sub {
    hs: f64,
    vs: f64,
    level: f64,
}

/// The samples `first..end` of `i0..i1` (sample indices on a line whose
/// centre row is `cy`, luma coordinates) whose centres map inside the
/// frame: the general path's test, in `f64`, run on the few samples
/// around the ends of the interval the matrix gives.
fn inside_run(m: &[f64; 6], sub: Sub, cy: f64, (w, h): (f64, f64), i0: i64, i1: i64) -> (i64, i64) {
    let (row_x, row_y) = (m[1] * cy + m[2], m[4] * cy + m[5]);
    let test = |i: i64| {
        let cx = (i as f64 + 0.5) * sub.hs;
        let (sx, sy) = (m[0] * cx + row_x, m[3] * cx + row_y);
        sx >= 0.0 && sx < w && sy >= 0.0 && sy < h
    };
    let (lo_a, hi_a) = warp::inside(m[0] * sub.hs, m[0] * 0.5 * sub.hs + row_x, w);
    let (lo_b, hi_b) = warp::inside(m[3] * sub.hs, m[3] * 0.5 * sub.hs + row_y, h);
    let (lo, hi) = (lo_a.max(lo_b), hi_a.min(hi_b));
    let clip = |v: f64| v.clamp(i0 as f64, i1 as f64) as i64;
    let (c0, c1) = (clip(lo.floor() - 2.0), clip(hi.ceil() + 2.0));
    match (c0..c1).find(|&i| test(i)) {
        Some(first) => {
            let last = (first..c1).rev().find(|&i| test(i)).unwrap_or(first);
            (first, last + 1)
        }
        None => (i0, i0),
    }
}

/// Output samples `i0..i0 + row.len()` of plane `ch` (subsampling `sub`)
/// on plane line `line`; `row` holds `B`'s samples when there is a base.
fn compose_line(
    layers: &Layers<'_>,
    ch: usize,
    sub: Sub,
    line: i64,
    i0: i64,
    row: &mut [u8],
    under: &mut Vec<u8>,
) {
    let frame = layers.frame;
    let n = row.len() as i64;
    let cy = (line as f64 + 0.5) * sub.vs;
    let (first, end) = match (&frame.inverse, &layers.source) {
        (Some(m), Some(_)) => inside_run(m, sub, cy, layers.size, i0, i0 + n),
        _ => (i0, i0),
    };
    // The border's columns on this line, as offsets into `row`.
    let border = frame.border.and_then(|b| {
        let e = &b.extent;
        if !(cy >= e.y0 && cy < e.y1) {
            return None;
        }
        let cols = |lo: f64, hi: f64| Area::columns(lo / sub.hs, hi / sub.hs, i0 as u32, row.len());
        let (first, end) = cols(e.x0, e.x1);
        let spans = if cy - e.y0 < b.width || e.y1 - cy < b.width {
            [(first, end), (0, 0)]
        } else {
            let (l0, l1) = cols(e.x0, e.x0 + b.width);
            let (r0, r1) = cols((e.x1 - b.width).max(e.x0 + b.width), e.x1);
            [(l0.max(first), l1.min(end)), (r0.max(first), r1.min(end))]
        };
        Some((b, spans))
    });
    if border.is_some() && layers.has_base {
        under.clear();
        under.extend_from_slice(row);
    }
    let outside = frame.outside;
    let (c, a) = (outside[ch], outside[3].clamp(0.0, 1.0));
    // Outside: the outside colour over the base (or black).
    let fill = |row: &mut [u8]| {
        if a <= 0.0 && layers.has_base {
            return;
        }
        if a >= 1.0 {
            row.fill(to_u8(c));
        } else if layers.has_base {
            for v in row.iter_mut() {
                *v = to_u8(c * a + f32::from(*v) * (1.0 - a));
            }
        } else {
            let black = if ch == 0 { 0.0 } else { 128.0 };
            row.fill(to_u8(c * a + black * (1.0 - a)));
        }
    };
    let (lead, trail) = ((first - i0) as usize, (end - i0) as usize);
    fill(&mut row[..lead]);
    fill(&mut row[trail..]);
    if let (Some(m), Some((plane, (ox, oy)))) = (&frame.inverse, &layers.source) {
        sample_run(m, sub, cy, plane, (*ox, *oy), (first, end), i0, row);
    }
    if let Some((b, spans)) = border {
        let (bc, ba) = (b.color[ch], b.color[3]);
        let zero = if ch == 0 { 0.0 } else { 128.0 };
        for (s0, s1) in spans {
            for k in s0..s1 {
                let i = i0 + k as i64;
                let fg = if (first..end).contains(&i) {
                    (f32::from(row[k]), 1.0)
                } else {
                    (c, a)
                };
                let p = over_px([bc, 0.0, 0.0, ba], [fg.0, 0.0, 0.0, fg.1]);
                let back = if layers.has_base {
                    f32::from(under[k])
                } else {
                    zero
                };
                row[k] = to_u8(p[0] * p[3] + back * (1.0 - p[3]));
            }
        }
    }
}

/// The bilinear samples of `first..end` into `row` (which starts at
/// sample `i0`).
#[allow(clippy::too_many_arguments)]
fn sample_run(
    m: &[f64; 6],
    sub: Sub,
    cy: f64,
    plane: &Plane<'_>,
    (ox, oy): (i64, i64),
    (first, end): (i64, i64),
    i0: i64,
    row: &mut [u8],
) {
    let (row_x, row_y) = (m[1] * cy + m[2], m[4] * cy + m[5]);
    // Luma pixels per sample of the decoded source.
    let (sx, sy) = (sub.hs * sub.level, sub.vs * sub.level);
    // Per sample along the line, in samples of the decoded source.
    let du = (m[0] * sub.hs / sx * ONE).round() as i64;
    let dv = (m[3] * sub.hs / sy * ONE).round() as i64;
    let fit = |p: i64| p.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    let mut k = first;
    while k < end {
        let anchor = k.div_euclid(SEGMENT) * SEGMENT;
        let stop = (anchor + SEGMENT).min(end);
        let cx = (anchor as f64 + 0.5) * sub.hs;
        let u = ((m[0] * cx + row_x) / sx - 0.5) * ONE;
        let v = ((m[3] * cx + row_y) / sy - 0.5) * ONE;
        let u = u.round() as i64 + (k - anchor) * du - (ox << 16);
        let v = v.round() as i64 + (k - anchor) * dv - (oy << 16);
        let out = &mut row[(k - i0) as usize..(stop - i0) as usize];
        tessera_dsp::bilinear_line(plane, fit(u), fit(v), fit(du), fit(dv), out);
        k = stop;
    }
}

/// Renders `region` of the output (geometry `g`) into `out`: the warp of
/// `src`'s blocks over `base`'s. The blocks of the MCUs the warped picture
/// misses are `base`'s, copied into `out` when `copy`, else left as they
/// are; either way `scratch.touched` tells which MCUs were computed.
pub(crate) fn render(
    scratch: &mut Scratch,
    frame: &Frame,
    (src, base): (&impl Blocks, Option<&impl Blocks>),
    g: &FrameGeometry,
    (region, copy): (Region, bool),
    out: &mut ScImage,
) {
    let Scratch {
        source,
        band,
        under,
        blocks,
        touched,
    } = scratch;
    touched.resize((g.bh() / u32::from(g.v_sub)) as usize, (0, 0));
    let true_region = super::region_span(region, g);
    let span = frame.source_span(true_region, g);
    let decoded = frame.inverse.is_some() && !span.is_empty();
    if decoded {
        source.decode(src, g, (span, frame.level), blocks);
    }
    let (mw, mh) = (g.mcu_width(), g.mcu_height());
    let (hs, vs) = (u32::from(g.h_sub), u32::from(g.v_sub));
    let (rc0, rc1) = (
        u32::from(region.x) / mw,
        (u32::from(region.x) + u32::from(region.width)) / mw,
    );
    let (rr0, rr1) = (
        u32::from(region.y) / mh,
        (u32::from(region.y) + u32::from(region.height)) / mh,
    );
    let fp = frame.footprint;
    let size = (f64::from(g.true_width), f64::from(g.true_height));
    for r in rr0..rr1 {
        let (y0, y1) = (i64::from(r * mh), i64::from((r + 1) * mh));
        // The MCU columns the warped picture touches on this row.
        let (tc0, tc1) = if fp.is_empty() || y1 <= fp.y0 || y0 >= fp.y1 {
            (rc0, rc0)
        } else {
            let c0 = (fp.x0 / i64::from(mw)) as u32;
            let c1 = (fp.x1 + i64::from(mw) - 1).div_euclid(i64::from(mw)) as u32;
            let (c0, c1) = (c0.clamp(rc0, rc1), c1.clamp(rc0, rc1));
            if c0 < c1 { (c0, c1) } else { (rc0, rc0) }
        };
        touched[r as usize] = (tc0, tc1);
        // The rest is the base's blocks.
        if let (Some(base), true) = (base, copy) {
            for (c0, c1) in [(rc0, tc0), (tc1, rc1)] {
                if c0 >= c1 {
                    continue;
                }
                for (p, plane) in PLANES.into_iter().enumerate() {
                    let (per_x, per_y) = match plane {
                        PlaneKind::Y => (hs, vs),
                        _ => (1, 1),
                    };
                    for j in 0..per_y {
                        let addr = g.address(plane, c0 * per_x, r * per_y + j) as usize;
                        let n = ((c1 - c0) * per_x) as usize;
                        base.run(p, addr, n, &mut out.blocks[addr..addr + n]);
                    }
                }
            }
        }
        if tc0 == tc1 {
            continue;
        }
        // The touched MCUs: base (or nothing) under the warped picture,
        // plane by plane, then the forward DCT.
        let cols = (tc1 - tc0) as usize;
        for (p, plane) in PLANES.into_iter().enumerate() {
            let ch = CHANNEL_OF[p];
            let (sh, sv) = subsampling(g, ch);
            let (per_x, per_y) = match plane {
                PlaneKind::Y => (hs, vs),
                _ => (1, 1),
            };
            let stride = cols * per_x as usize * 8;
            let lines = per_y as usize * 8;
            let buf = &mut band[ch];
            buf.resize(stride * lines, 0);
            if let Some(base) = base {
                for j in 0..per_y {
                    let addr = g.address(plane, tc0 * per_x, r * per_y + j) as usize;
                    let at = (p, addr, cols * per_x as usize);
                    decode_blocks(base, at, blocks, buf, j as usize * 8 * stride, stride);
                }
            }
            let view = decoded.then(|| source.view(g, ch));
            let layers = Layers {
                frame,
                source: view,
                has_base: base.is_some(),
                size,
            };
            let sub = Sub {
                hs: f64::from(sh),
                vs: f64::from(sv),
                level: f64::from(1u32 << frame.level),
            };
            // True samples and lines of the plane in these MCUs.
            let true_w = i64::from(u32::from(g.true_width).div_ceil(sh));
            let true_h = i64::from(u32::from(g.true_height).div_ceil(sv));
            let i0 = i64::from(tc0 * per_x * 8);
            let line0 = i64::from(r * per_y * 8);
            let n = (true_w - i0).clamp(1, stride as i64) as usize;
            let true_lines = (true_h - line0).clamp(1, lines as i64) as usize;
            for l in 0..true_lines {
                let row = &mut buf[l * stride..l * stride + n];
                compose_line(&layers, ch, sub, line0 + l as i64, i0, row, under);
                // Past the frame's right edge: the last true sample, as
                // the JPEG encoder pads.
                let last = buf[l * stride + n - 1];
                buf[l * stride + n..(l + 1) * stride].fill(last);
            }
            for l in true_lines..lines {
                buf.copy_within((true_lines - 1) * stride..true_lines * stride, l * stride);
            }
            for j in 0..per_y {
                let first = g.address(plane, tc0 * per_x, r * per_y + j) as usize;
                for b in 0..cols * per_x as usize {
                    let src = &buf[j as usize * 8 * stride + 8 * b..];
                    tessera_dsp::fdct_8x8_u8(src, stride, &mut out.blocks[first + b]);
                }
            }
        }
    }
}
