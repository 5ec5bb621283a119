//! The DCT-domain path: a tree of `Mix` nodes over aligned sources and
//! opaque solids, flattened per frame into one weighted sum of input
//! blocks plus a DC constant per plane, computed block by block on the
//! coefficients (no inverse or forward DCT).
//!
//! The weights become 14-bit fixed point (`i16`) so the inner loop is a
//! widening multiply-add over 64 `i16` coefficients, which the compiler
//! vectorizes; extreme weights (|w| >= 2, from mix amounts far outside
//! 0..1) take a scalar `f64` loop instead. Either way each coefficient is
//! rounded to nearest and clamped to -2048..2047.
//!
//! Whole frames finished as JPEG ([`quantizing_mixes`]) run the
//! fixed-point combination through `tessera_dsp`'s fused kernel, which
//! dequantizes the inputs' blocks, mixes and quantizes in one pass with
//! the same integer steps (so the bytes equal mixing SC blocks here and
//! quantizing them).

use tessera_dsp::mix::{MAX_DC, MAX_TERMS, Mix, MixTerm, WEIGHT_SHIFT, round_weighted};
use tessera_sc::{FrameGeometry, PlaneKind, Region, ScImage};

use crate::graph::{Graph, NodeId, Op};

use super::params::FrameOp;

/// Fixed-point fraction bits of the weights.
const SHIFT: u32 = WEIGHT_SHIFT;
const ONE: f64 = (1 << SHIFT) as f64;

/// Terms beyond this take the scalar path (keeps the i32 sums in range).
const MAX_FAST_TERMS: usize = MAX_TERMS;

/// SC planes in address order.
pub(crate) const PLANES: [PlaneKind; 3] = [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb];

/// A DCT-domain node for one frame: `sum(w_i * input_i) + dc` where `dc`
/// only touches coefficient 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Combo {
    /// Input index and weight; inputs appear once, zero weights dropped.
    pub terms: Vec<(usize, f64)>,
    /// Added to the DC coefficient, per plane in [`PLANES`] order.
    pub dc: [f64; 3],
}

/// How a [`Combo`] is computed this frame.
#[derive(Clone, Debug, PartialEq)]
enum Kernel {
    /// Q14 weights and Q14 DC terms per plane.
    Fixed {
        weights: Vec<i16>,
        dc: [i32; 3],
    },
    Float,
}

impl Combo {
    /// Flattens the DCT-domain subtree at `node`, with this frame's
    /// operator parameters `ops`. `node` must be in the DCT domain (a
    /// `Source`, an opaque constant `Solid`, or a `Mix` of those).
    pub(crate) fn flatten(graph: &Graph, ops: &[FrameOp], node: NodeId) -> Combo {
        let mut combo = Combo::default();
        combo.add(graph, ops, node, 1.0);
        combo.terms.retain(|&(_, w)| w != 0.0);
        combo
    }

    fn add(&mut self, graph: &Graph, ops: &[FrameOp], node: NodeId, weight: f64) {
        match (&graph.node(node).op, &ops[node.index()]) {
            (Op::Source { input }, _) => match self.terms.iter_mut().find(|t| t.0 == *input) {
                Some(t) => t.1 += weight,
                None => self.terms.push((*input, weight)),
            },
            (Op::Solid { .. }, FrameOp::Solid(px)) => {
                let [y, cb, cr, _] = px.map(f64::from);
                // A flat block of value v has DC 8 (v - 128).
                for (dc, v) in self.dc.iter_mut().zip([y, cr, cb]) {
                    *dc += weight * 8.0 * (v - 128.0);
                }
            }
            (Op::Mix { a, b, .. }, FrameOp::Mix { t }) => {
                self.add(graph, ops, *a, weight * (1.0 - t));
                self.add(graph, ops, *b, weight * t);
            }
            // Not DCT-domain: the analysis never hands these here.
            _ => {}
        }
    }

    fn kernel(&self) -> Kernel {
        let fits = self.terms.len() <= MAX_FAST_TERMS
            && self.terms.iter().all(|&(_, w)| w.abs() < 2.0 - 1.0 / ONE);
        if !fits {
            return Kernel::Float;
        }
        // Beyond +-2^15 coefficient units the result saturates anyway;
        // clamping keeps the i32 sum from overflowing.
        let dc_limit = f64::from(MAX_DC);
        Kernel::Fixed {
            weights: self
                .terms
                .iter()
                .map(|&(_, w)| (w * ONE).round() as i16)
                .collect(),
            dc: self
                .dc
                .map(|d| (d * ONE).round().clamp(-dc_limit, dc_limit) as i32),
        }
    }

    /// Whether the combination is one input, unchanged.
    fn is_identity(&self) -> Option<usize> {
        match (&self.terms[..], self.dc) {
            ([(input, w)], [0.0, 0.0, 0.0]) if *w == 1.0 => Some(*input),
            _ => None,
        }
    }
}

/// Where the planar path reads a DCT-domain node's blocks (dequantized
/// coefficients, by SC address).
pub(crate) trait Blocks {
    /// Blocks `addr..addr + n` of plane `p` (in [`PLANES`] order) into
    /// `out[..n]`.
    fn run(&self, p: usize, addr: usize, n: usize, out: &mut [[i16; 64]]);

    /// The same blocks, borrowed where they need no computing.
    fn blocks<'s>(
        &'s self,
        p: usize,
        addr: usize,
        n: usize,
        scratch: &'s mut [[i16; 64]],
    ) -> &'s [[i16; 64]] {
        self.run(p, addr, n, scratch);
        &scratch[..n]
    }
}

/// A [`Combo`] ready to compute blocks of one frame.
#[derive(Debug)]
pub(crate) struct Prepared<'a> {
    inputs: Vec<&'a [[i16; 64]]>,
    kernel: Kernel,
    combo: &'a Combo,
    identity: Option<&'a [[i16; 64]]>,
}

impl<'a> Prepared<'a> {
    /// `images` are all the renderer's inputs; those the combo reads must
    /// have `geometry` (the analysis guarantees it, the renderer checks).
    pub(crate) fn new(combo: &'a Combo, images: &[&'a ScImage]) -> Prepared<'a> {
        let inputs = combo
            .terms
            .iter()
            .map(|&(i, _)| images[i].blocks.as_slice())
            .collect();
        Prepared {
            inputs,
            kernel: combo.kernel(),
            combo,
            identity: combo.is_identity().map(|i| images[i].blocks.as_slice()),
        }
    }

    /// The block at `addr` (plane index `p` in [`PLANES`] order) into
    /// `out`.
    #[cfg(test)]
    pub(crate) fn block(&self, p: usize, addr: usize, out: &mut [i16; 64]) {
        self.run(p, addr, 1, std::slice::from_mut(out));
    }

    /// Blocks `addr..addr + n` of plane `p`: the input's own when the
    /// combination is one input unchanged, else computed into `scratch`.
    pub(crate) fn blocks<'s>(
        &'s self,
        p: usize,
        addr: usize,
        n: usize,
        scratch: &'s mut [[i16; 64]],
    ) -> &'s [[i16; 64]] {
        match self.identity {
            Some(src) => &src[addr..addr + n],
            None => {
                self.run(p, addr, n, scratch);
                &scratch[..n]
            }
        }
    }

    /// Blocks `addr..addr + n` of plane `p` into `out[..n]`.
    pub(crate) fn run(&self, p: usize, addr: usize, n: usize, out: &mut [[i16; 64]]) {
        let out = &mut out[..n];
        if let Some(src) = self.identity {
            out.copy_from_slice(&src[addr..addr + n]);
            return;
        }
        match &self.kernel {
            Kernel::Fixed { weights, dc } => match (&self.inputs[..], &weights[..]) {
                ([], []) => {
                    let mut flat = [0i16; 64];
                    flat[0] = finish(dc[p]);
                    out.fill(flat);
                }
                ([a], [wa]) => {
                    for (o, a) in out.iter_mut().zip(&a[addr..addr + n]) {
                        fixed1(a, *wa, dc[p], o);
                    }
                }
                ([a, b], [wa, wb]) => {
                    let (a, b) = (&a[addr..addr + n], &b[addr..addr + n]);
                    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
                        fixed2(a, *wa, b, *wb, dc[p], o);
                    }
                }
                (inputs, weights) => {
                    for (j, o) in out.iter_mut().enumerate() {
                        let mut acc = [0i32; 64];
                        for (src, &w) in inputs.iter().zip(weights) {
                            for (s, &c) in acc.iter_mut().zip(&src[addr + j]) {
                                *s += i32::from(c) * i32::from(w);
                            }
                        }
                        acc[0] += dc[p];
                        for (o, s) in o.iter_mut().zip(acc) {
                            *o = finish(s);
                        }
                    }
                }
            },
            Kernel::Float => {
                for (j, o) in out.iter_mut().enumerate() {
                    let mut acc = [0f64; 64];
                    acc[0] = self.combo.dc[p];
                    for (src, &(_, w)) in self.inputs.iter().zip(&self.combo.terms) {
                        for (s, &c) in acc.iter_mut().zip(&src[addr + j]) {
                            *s += f64::from(c) * w;
                        }
                    }
                    for (o, s) in o.iter_mut().zip(acc) {
                        *o = s.round_ties_even().clamp(-2048.0, 2047.0) as i16;
                    }
                }
            }
        }
    }
}

impl Blocks for Prepared<'_> {
    fn run(&self, p: usize, addr: usize, n: usize, out: &mut [[i16; 64]]) {
        Prepared::run(self, p, addr, n, out)
    }

    fn blocks<'s>(
        &'s self,
        p: usize,
        addr: usize,
        n: usize,
        scratch: &'s mut [[i16; 64]],
    ) -> &'s [[i16; 64]] {
        Prepared::blocks(self, p, addr, n, scratch)
    }
}

/// A [`Combo`] computing one block at a time from input blocks handed in
/// (the fused decode-mix-encode path), with exactly [`Prepared::run`]'s
/// arithmetic.
#[derive(Debug)]
pub(crate) struct BlockKernel {
    kernel: Kernel,
    combo: Combo,
    identity: bool,
}

impl BlockKernel {
    pub(crate) fn new(combo: &Combo) -> BlockKernel {
        BlockKernel {
            kernel: combo.kernel(),
            identity: combo.is_identity().is_some(),
            combo: combo.clone(),
        }
    }

    /// Input indices whose blocks [`BlockKernel::block`] takes, in order.
    pub(crate) fn inputs(&self) -> impl Iterator<Item = usize> + '_ {
        self.combo.terms.iter().map(|&(i, _)| i)
    }

    /// The block of plane `p` ([`PLANES`] order) from the blocks of
    /// [`BlockKernel::inputs`] at the same address.
    #[inline]
    pub(crate) fn block(&self, p: usize, inputs: &[&[i16; 64]], out: &mut [i16; 64]) {
        if self.identity {
            *out = *inputs[0];
            return;
        }
        match &self.kernel {
            Kernel::Fixed { weights, dc } => match (inputs, &weights[..]) {
                ([], []) => {
                    *out = [0; 64];
                    out[0] = finish(dc[p]);
                }
                ([a], [wa]) => fixed1(a, *wa, dc[p], out),
                ([a, b], [wa, wb]) => fixed2(a, *wa, b, *wb, dc[p], out),
                (inputs, weights) => {
                    let mut acc = [0i32; 64];
                    for (src, &w) in inputs.iter().zip(weights) {
                        for (s, &c) in acc.iter_mut().zip(src.iter()) {
                            *s += i32::from(c) * i32::from(w);
                        }
                    }
                    acc[0] += dc[p];
                    for (o, s) in out.iter_mut().zip(acc) {
                        *o = finish(s);
                    }
                }
            },
            Kernel::Float => {
                let mut acc = [0f64; 64];
                acc[0] = self.combo.dc[p];
                for (src, &(_, w)) in inputs.iter().zip(&self.combo.terms) {
                    for (s, &c) in acc.iter_mut().zip(src.iter()) {
                        *s += f64::from(c) * w;
                    }
                }
                for (o, s) in out.iter_mut().zip(acc) {
                    *o = s.round_ties_even().clamp(-2048.0, 2047.0) as i16;
                }
            }
        }
    }
}

/// An input of the fused JPEG paths: its quantized coefficients and the
/// dequantization table of each component (JPEG order Y, Cb, Cr).
pub(crate) type JpegInput<'a> = (&'a tessera_jpeg::CoefficientImage, [[i16; 64]; 3]);

/// A [`Combo`] computed from the inputs' quantized JPEG coefficients,
/// dequantized block by block as they are read (as
/// [`tessera_sc::ScImage::set_from_jpeg`] does), with [`BlockKernel`]'s
/// arithmetic: the same blocks as [`Prepared`] over the SC images of the
/// same JPEGs, with no frame of coefficients stored.
pub(crate) struct JpegBlocks<'a> {
    kernel: BlockKernel,
    /// Per term of the combination.
    inputs: Vec<JpegInput<'a>>,
    geometry: FrameGeometry,
}

/// The JPEG component (Y, Cb, Cr) of each SC plane in [`PLANES`] order.
pub(crate) const COMPONENT_OF: [usize; 3] = [0, 2, 1];

impl<'a> JpegBlocks<'a> {
    /// `inputs` are the combination's terms' inputs, in the order of
    /// [`BlockKernel::inputs`] of `kernel`.
    pub(crate) fn new(
        kernel: BlockKernel,
        inputs: Vec<JpegInput<'a>>,
        geometry: FrameGeometry,
    ) -> JpegBlocks<'a> {
        JpegBlocks {
            kernel,
            inputs,
            geometry,
        }
    }
}

impl Blocks for JpegBlocks<'_> {
    fn run(&self, p: usize, addr: usize, n: usize, out: &mut [[i16; 64]]) {
        if let Some((_, bx, by)) = self.geometry.locate(addr as u32) {
            self.run_at(p, (bx as usize, by as usize), &mut out[..n]);
        }
    }
}

impl JpegBlocks<'_> {
    /// Blocks `(bx, by)..(bx + out.len(), by)` of plane `p` (in [`PLANES`]
    /// order) into `out`.
    pub(crate) fn run_at(&self, p: usize, (bx, by): (usize, usize), out: &mut [[i16; 64]]) {
        let comp = COMPONENT_OF[p];
        let zero = [0i16; 64];
        let read = |(image, tables): &JpegInput<'_>, k: usize, block: &mut [i16; 64]| {
            let c = &image.components[comp];
            let x = bx + k;
            let src = if x < c.blocks_wide && by < c.blocks_high {
                c.block(x, by)
            } else {
                &zero
            };
            tessera_sc::dequantize(src, &tables[comp], block);
        };
        for (k, o) in out.iter_mut().enumerate() {
            match &self.inputs[..] {
                [] => self.kernel.block(p, &[], o),
                // One input unchanged: dequantized in place.
                [a] if self.kernel.identity => read(a, k, o),
                [a] => {
                    let mut x = [0i16; 64];
                    read(a, k, &mut x);
                    self.kernel.block(p, &[&x], o);
                }
                [a, b] => {
                    let (mut x, mut y) = ([0i16; 64], [0i16; 64]);
                    read(a, k, &mut x);
                    read(b, k, &mut y);
                    self.kernel.block(p, &[&x, &y], o);
                }
                many => {
                    let mut blocks = vec![[0i16; 64]; many.len()];
                    for (input, block) in many.iter().zip(&mut blocks) {
                        read(input, k, block);
                    }
                    let refs: Vec<&[i16; 64]> = blocks.iter().collect();
                    self.kernel.block(p, &refs, o);
                }
            }
        }
    }
}

/// Inputs `which` of `inputs` (the renderer's, made for `geometries`),
/// each with its components' dequantization tables (JPEG order Y, Cb,
/// Cr), checked against the geometry it was made for.
pub(crate) fn jpeg_inputs<'a>(
    geometries: &[FrameGeometry],
    inputs: &[&'a tessera_jpeg::CoefficientImage],
    which: impl Iterator<Item = usize>,
) -> Result<Vec<JpegInput<'a>>, crate::error::FxError> {
    use crate::error::FxError;
    if inputs.len() != geometries.len() {
        return Err(FxError::Input(format!(
            "{} input frames for a renderer made for {}",
            inputs.len(),
            geometries.len()
        )));
    }
    let mut terms = Vec::new();
    for i in which {
        let image = inputs[i];
        let tables = input_tables(i, image, &geometries[i])?.map(tessera_sc::dequantize_table);
        terms.push((image, tables));
    }
    Ok(terms)
}

/// The quantization tables (Y, Cb, Cr) of input `i`, once it is checked to
/// be the YCbCr picture of geometry `g` that the renderer was made for.
pub(crate) fn input_tables<'a>(
    i: usize,
    image: &'a tessera_jpeg::CoefficientImage,
    g: &FrameGeometry,
) -> Result<[&'a tessera_jpeg::QuantTable; 3], crate::error::FxError> {
    use crate::error::FxError;
    let matches = image.colour == tessera_jpeg::Colour::YCbCr
        && image.components.len() == 3
        && image.chroma_format() == Some(g.chroma_format())
        && image.width == usize::from(g.true_width)
        && image.height == usize::from(g.true_height);
    if !matches {
        return Err(FxError::Input(format!(
            "input {i} is not the {}x{} {} picture the renderer was made for",
            g.true_width,
            g.true_height,
            g.chroma_format()
        )));
    }
    let table = |c: usize| {
        image
            .quant_table(c)
            .map_err(|e| FxError::Input(format!("input {i}: {e}")))
    };
    Ok([table(0)?, table(1)?, table(2)?])
}

/// Q14 sum to a clamped coefficient, rounding to nearest, ties to even:
/// the fused kernel's own rounding.
#[inline(always)]
fn finish(s: i32) -> i16 {
    round_weighted(s)
}

/// The combination as one fused dequantize-mix-quantize kernel per JPEG
/// component (Y, Cb, Cr), when its weights are fixed point:
/// `tables[t][c]` is the quantization table of term `t`'s input for
/// component `c`, and the result is quantized with `luma` (component 0)
/// and `chroma`. `None` for the float kernel. The quantized blocks equal
/// [`BlockKernel::block`] on the dequantized inputs, quantized.
pub(crate) fn quantizing_mixes(
    combo: &Combo,
    tables: &[[[u16; 64]; 3]],
    luma: &[u16; 64],
    chroma: &[u16; 64],
) -> Option<[Mix; 3]> {
    let Kernel::Fixed { weights, dc } = combo.kernel() else {
        return None;
    };
    // SC plane index (Y, Cr, Cb) of each JPEG component.
    const PLANE_OF: [usize; 3] = [0, 2, 1];
    let mix = |c: usize| {
        let terms: Vec<MixTerm> = tables
            .iter()
            .zip(&weights)
            .map(|(t, &weight)| MixTerm {
                quant: t[c],
                weight,
            })
            .collect();
        Mix::new(&terms, dc[PLANE_OF[c]], if c == 0 { luma } else { chroma })
    };
    Some([mix(0)?, mix(1)?, mix(2)?])
}

// Weights are `i16` so the products are 16x16 -> 32-bit multiplies.
#[inline(always)]
fn fixed1(a: &[i16; 64], wa: i16, dc: i32, out: &mut [i16; 64]) {
    let wa = i32::from(wa);
    for k in 0..64 {
        out[k] = finish(i32::from(a[k]) * wa);
    }
    out[0] = finish(i32::from(a[0]) * wa + dc);
}

#[inline(always)]
fn fixed2(a: &[i16; 64], wa: i16, b: &[i16; 64], wb: i16, dc: i32, out: &mut [i16; 64]) {
    let (wa, wb) = (i32::from(wa), i32::from(wb));
    for k in 0..64 {
        out[k] = finish(i32::from(a[k]) * wa + i32::from(b[k]) * wb);
    }
    out[0] = finish(i32::from(a[0]) * wa + i32::from(b[0]) * wb + dc);
}

/// Writes every block of `region` of `out` as the combination.
pub(crate) fn render_region(
    prepared: &Prepared<'_>,
    geometry: &FrameGeometry,
    region: Region,
    out: &mut ScImage,
) {
    for (p, plane) in PLANES.into_iter().enumerate() {
        let (bx0, by0, bx1, by1) = region.block_rect(geometry, plane);
        let n = (bx1 - bx0) as usize;
        for by in by0..by1 {
            let addr = geometry.address(plane, bx0, by) as usize;
            prepared.run(p, addr, n, &mut out.blocks[addr..addr + n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(seed: i32) -> ScImage {
        let g = FrameGeometry::new(32, 16, 2, 2).unwrap();
        let mut sc = ScImage::zeroed(g);
        for (i, b) in sc.blocks.iter_mut().enumerate() {
            for (k, c) in b.iter_mut().enumerate() {
                *c = ((i as i32 * 37 + k as i32 * 11 + seed) % 4095 - 2047) as i16;
            }
        }
        sc
    }

    /// The fixed-point kernels agree with the exact sum within rounding.
    #[test]
    fn fixed_point_matches_float() {
        let (a, b) = (image(3), image(900));
        let images = [&a, &b];
        for (wa, wb, dc) in [
            (0.5, 0.5, 0.0),
            (0.3, 0.7, 100.0),
            (1.0, 0.0, -3.0),
            (0.25, 0.0, 1.0),
        ] {
            let combo = Combo {
                terms: vec![(0, wa), (1, wb)]
                    .into_iter()
                    .filter(|t| t.1 != 0.0)
                    .collect(),
                dc: [dc, -dc, 2.0 * dc],
            };
            let prepared = Prepared::new(&combo, &images);
            assert!(matches!(prepared.kernel, Kernel::Fixed { .. }));
            let mut out = [0i16; 64];
            for p in 0..3 {
                for addr in [0usize, 5, 11] {
                    prepared.block(p, addr, &mut out);
                    for (k, &got) in out.iter().enumerate() {
                        let exact = f64::from(a.blocks[addr][k]) * wa
                            + f64::from(b.blocks[addr][k]) * wb
                            + if k == 0 { combo.dc[p] } else { 0.0 };
                        let want = exact.round_ties_even().clamp(-2048.0, 2047.0);
                        assert!((f64::from(got) - want).abs() <= 1.0, "{exact} {got}");
                    }
                }
            }
        }
        let wild = Combo {
            terms: vec![(0, 5.0), (1, -4.0)],
            dc: [0.0; 3],
        };
        let prepared = Prepared::new(&wild, &images);
        assert_eq!(prepared.kernel, Kernel::Float);
        let mut out = [0i16; 64];
        prepared.block(0, 1, &mut out);
        assert!(out.iter().all(|c| (-2048..=2047).contains(c)));
    }
}
