//! The operators: evaluating a graph for one region of one output frame.
//!
//! # Data flow
//!
//! At the start of every [`Renderer::render`] call the graph's expressions
//! are evaluated once for the frame ([`params`]). Then:
//!
//! * **DCT path.** When the output node is in the DCT domain (see
//!   [`crate::analysis`]) its `Mix` tree is flattened into one weighted sum
//!   of input blocks plus a DC constant ([`dct`]) and each output block is
//!   computed from the input blocks at the same address. No inverse or
//!   forward DCT.
//! * **Pixel path.** Otherwise the analysis' passes run in order. A pass
//!   computes its nodes *fused*, one row at a time through a scratch row
//!   per node ([`rows`]); its DCT-domain leaves and sources are inverse
//!   DCT'd one MCU row at a time, only over the columns the pass needs
//!   ([`decode`]). A materialized pass stores its root's rows over the
//!   rectangle its readers demand ([`warp::Stored`]), which warps then
//!   sample anywhere. The output pass feeds its rows, one MCU row band at a
//!   time, to [`encode`], which subsamples chroma and runs the forward DCT
//!   straight into the output blocks.
//! * **Planar path.** A warp of a DCT-domain node, optionally bordered,
//!   optionally over another DCT-domain node (`affine`, `pip`) skips the
//!   passes: [`planar`] decodes the warp's source to 8-bit planes and
//!   computes each output plane at its own resolution, straight into the
//!   output blocks; blocks the inset cannot touch are copied as on the DCT
//!   path.
//!
//! Pixels are `f32` Y, Cb, Cr (4:4:4, 0..255 scale) and alpha (0..1). A
//! pixel's value is a function of its position and the inputs only, never
//! of the region being rendered, so rendering a frame whole or in bands
//! gives identical blocks.
//!
//! What each region reads of each input ([`input_demand`]) is computed by
//! the same code the renderer uses to decide what to decode: per-pixel
//! operators read their operands at the same pixels; a warp reads the
//! bounding box of its output rectangle mapped back through the matrix,
//! widened for bilinear sampling.

mod dct;
mod decode;
mod encode;
mod fused;
mod key;
mod params;
mod planar;
mod rows;
mod text;
mod warp;

use std::sync::Arc;

use tessera_sc::{FrameGeometry, PlaneKind, Region, ScImage};

use crate::analysis::{Analysis, Domain, analyze};
use crate::error::FxError;
use crate::expr::Env;
use crate::graph::{Graph, NodeId, Op};

use dct::{Combo, JpegBlocks, Prepared};
use decode::BandDecoder;
use encode::BandEncoder;
use params::{FrameOp, resolve};
use rows::{CLEAR, Rows};
use text::TextMask;
use warp::Stored;

/// A rectangle in luma pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// A half-open rectangle `x0..x1, y0..y1` in luma pixels, possibly empty
/// or outside the frame (for arithmetic on demands).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Span {
    pub(crate) const EMPTY: Span = Span {
        x0: 0,
        y0: 0,
        x1: 0,
        y1: 0,
    };

    pub(crate) fn new(x0: i64, y0: i64, x1: i64, y1: i64) -> Span {
        let s = Span { x0, y0, x1, y1 };
        if s.is_empty() { Span::EMPTY } else { s }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }

    pub(crate) fn width(&self) -> i64 {
        self.x1 - self.x0
    }

    pub(crate) fn area(&self) -> usize {
        if self.is_empty() {
            0
        } else {
            (self.width() * (self.y1 - self.y0)) as usize
        }
    }

    pub(crate) fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    pub(crate) fn intersect(self, o: Span) -> Span {
        Span::new(
            self.x0.max(o.x0),
            self.y0.max(o.y0),
            self.x1.min(o.x1),
            self.y1.min(o.y1),
        )
    }

    /// The bounding box of both.
    pub(crate) fn union(self, o: Span) -> Span {
        match (self.is_empty(), o.is_empty()) {
            (true, _) => o,
            (_, true) => self,
            _ => Span::new(
                self.x0.min(o.x0),
                self.y0.min(o.y0),
                self.x1.max(o.x1),
                self.y1.max(o.y1),
            ),
        }
    }

    fn frame(g: &FrameGeometry) -> Span {
        Span::new(0, 0, i64::from(g.true_width), i64::from(g.true_height))
    }

    fn to_rect(self) -> Option<Rect> {
        (!self.is_empty()).then(|| Rect {
            x: self.x0 as u32,
            y: self.y0 as u32,
            width: self.width() as u32,
            height: (self.y1 - self.y0) as u32,
        })
    }
}

/// The true pixels of `region`.
fn region_span(region: Region, g: &FrameGeometry) -> Span {
    let (x, y) = (i64::from(region.x), i64::from(region.y));
    Span::new(
        x,
        y,
        x + i64::from(region.width),
        y + i64::from(region.height),
    )
    .intersect(Span::frame(g))
}

/// One step of a fused pass; step `i` writes scratch row `i`.
#[derive(Clone, Debug)]
enum Step {
    /// A source, or a DCT-domain node other than a solid: the inverse DCT
    /// of its (combined) blocks, through band decoder `decoder`.
    Coeffs { node: usize, decoder: usize },
    /// A materialized node read back from storage.
    Stored { node: usize },
    /// An operator on the rows of earlier steps (a warp reads storage).
    Op { node: usize, operands: [usize; 2] },
}

/// A pass as steps.
#[derive(Clone, Debug)]
struct Plan {
    root: usize,
    steps: Vec<Step>,
    decoders: usize,
}

impl Plan {
    fn new(graph: &Graph, analysis: &Analysis, pass: &crate::analysis::Pass) -> Plan {
        let mut slot_of = vec![usize::MAX; graph.nodes.len()];
        let mut steps = Vec::new();
        let mut decoders = 0;
        for &id in &pass.nodes {
            let i = id.index();
            let op = &graph.node(id).op;
            let coeffs = matches!(op, Op::Source { .. })
                || (analysis.domain[i] == Domain::Dct && !matches!(op, Op::Solid { .. }));
            if coeffs {
                steps.push(Step::Coeffs {
                    node: i,
                    decoder: decoders,
                });
                decoders += 1;
            } else {
                let mut operands = [usize::MAX; 2];
                if !matches!(op, Op::Warp { .. }) {
                    for (k, o) in op.operands().into_iter().enumerate() {
                        let o = o.index();
                        if slot_of[o] == usize::MAX {
                            // Not computed in this pass: materialized.
                            steps.push(Step::Stored { node: o });
                            slot_of[o] = steps.len() - 1;
                        }
                        operands[k] = slot_of[o];
                    }
                }
                steps.push(Step::Op { node: i, operands });
            }
            slot_of[i] = steps.len() - 1;
        }
        Plan {
            root: pass.root.index(),
            steps,
            decoders,
        }
    }
}

/// Buffers kept between frames.
#[derive(Debug, Default)]
struct Scratch {
    slots: Vec<Rows>,
    decoders: Vec<BandDecoder>,
    /// Per node (used for materialized ones).
    stored: Vec<Stored>,
    /// Per node (used for titles).
    texts: Vec<TextMask>,
    encoder: BandEncoder,
    planar: planar::Scratch,
    /// The output of the fused planar path (only the blocks it computes).
    planar_out: Option<ScImage>,
}

/// Evaluates a graph frame after frame, keeping its scratch buffers and
/// caches (rendered text) between frames.
#[derive(Debug)]
pub struct Renderer {
    graph: Arc<Graph>,
    inputs: Vec<FrameGeometry>,
    output: FrameGeometry,
    analysis: Analysis,
    plans: Vec<Plan>,
    /// The graph's shape when the planar path can render it.
    planar: Option<planar::Shape>,
    scratch: Scratch,
}

/// What one frame reads.
#[derive(Debug)]
struct Demand {
    /// Per analysis pass: the pixels it computes.
    passes: Vec<Span>,
    /// Per input: the pixels read.
    inputs: Vec<Span>,
}

/// The combination of nothing (a node no combination was made for).
static NONE: Combo = Combo {
    terms: Vec::new(),
    dc: [0.0; 3],
};

/// A block of zeros.
static ZERO_BLOCK: [i16; 64] = [0; 64];

/// The block of `image`'s component `comp` at (`bx`, `by`); zero past its
/// grid.
#[inline(always)]
fn block_of(
    image: &tessera_jpeg::CoefficientImage,
    comp: usize,
    bx: usize,
    by: usize,
) -> &[i16; 64] {
    let c = &image.components[comp];
    if bx < c.blocks_wide && by < c.blocks_high {
        c.block(bx, by)
    } else {
        &ZERO_BLOCK
    }
}

/// Per node: the flattened coefficient combination of sources and
/// DCT-domain nodes, for the frame whose parameters are `ops`.
fn combos(graph: &Graph, analysis: &Analysis, ops: &[FrameOp]) -> Vec<Option<Combo>> {
    graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let wanted = analysis.live[i]
                && (analysis.domain[i] == Domain::Dct || matches!(node.op, Op::Source { .. }));
            wanted.then(|| Combo::flatten(graph, ops, NodeId(i as u32)))
        })
        .collect()
}

/// What rendering `region` reads: the same walk the renderer does.
fn demand(
    graph: &Graph,
    analysis: &Analysis,
    ops: &[FrameOp],
    combos: &[Option<Combo>],
    inputs: &[FrameGeometry],
    region: Region,
) -> Demand {
    let out = inputs[0];
    let region = region_span(region, &out);
    let mut input_need = vec![Span::EMPTY; inputs.len()];
    let read_coeffs = |node: usize, span: Span, need: &mut Vec<Span>| {
        if let Some(combo) = &combos[node] {
            for &(i, _) in &combo.terms {
                need[i] = need[i].union(span.intersect(Span::frame(&inputs[i])));
            }
        }
    };
    let mut passes = vec![Span::EMPTY; analysis.passes.len()];
    if analysis.output_is_dct(graph) {
        read_coeffs(graph.output.index(), region, &mut input_need);
    }
    let mut stored_need = vec![Span::EMPTY; graph.nodes.len()];
    for (p, pass) in analysis.passes.iter().enumerate().rev() {
        let root = pass.root.index();
        let span = if pass.root == graph.output {
            region
        } else {
            stored_need[root]
        };
        passes[p] = span;
        if span.is_empty() {
            continue;
        }
        for &id in &pass.nodes {
            let i = id.index();
            let op = &graph.node(id).op;
            if matches!(op, Op::Source { .. }) || analysis.domain[i] == Domain::Dct {
                read_coeffs(i, span, &mut input_need);
            } else if let FrameOp::Warp {
                src,
                inverse: Some(inv),
                ..
            } = &ops[i]
            {
                let s = warp::source_span(inv, span, out.true_width.into(), out.true_height.into());
                stored_need[*src] = stored_need[*src].union(s);
            } else if !matches!(op, Op::Warp { .. }) {
                for o in op.operands() {
                    if analysis.materialized[o.index()] {
                        stored_need[o.index()] = stored_need[o.index()].union(span);
                    }
                }
            }
        }
    }
    Demand {
        passes,
        inputs: input_need,
    }
}

/// Whether `render` can run this graph on these inputs.
fn check_graph(graph: &Graph, inputs: &[FrameGeometry]) -> Result<(), FxError> {
    graph
        .validate()
        .map_err(|e| FxError::Input(format!("invalid effect graph: {e}")))?;
    if inputs.len() != graph.inputs.len() {
        return Err(FxError::Input(format!(
            "the effect takes {} inputs, {} given",
            graph.inputs.len(),
            inputs.len()
        )));
    }
    Ok(())
}

impl Renderer {
    /// A renderer for inputs of these geometries; the output takes the
    /// first input's.
    pub fn new(graph: Arc<Graph>, inputs: &[FrameGeometry]) -> Result<Renderer, FxError> {
        let output = *inputs
            .first()
            .ok_or_else(|| FxError::Input("no inputs".into()))?;
        check_graph(&graph, inputs)?;
        let analysis = analyze(&graph, Some(inputs));
        let plans = analysis
            .passes
            .iter()
            .map(|p| Plan::new(&graph, &analysis, p))
            .collect();
        let planar = planar::Shape::detect(&graph, &analysis);
        let n = graph.nodes.len();
        let scratch = Scratch {
            stored: vec![Stored::default(); n],
            texts: vec![TextMask::default(); n],
            ..Scratch::default()
        };
        Ok(Renderer {
            graph,
            inputs: inputs.to_vec(),
            output,
            analysis,
            plans,
            planar,
            scratch,
        })
    }

    pub fn output_geometry(&self) -> FrameGeometry {
        self.output
    }

    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    /// Whether the graph has a shape the planar path renders (a warp of a
    /// decoded picture, optionally bordered, optionally over another; see
    /// the module documentation). A frame whose matrix it cannot
    /// represent still takes the general path.
    pub fn is_planar(&self) -> bool {
        self.planar.is_some()
    }

    fn check(&self, inputs: &[&ScImage], region: Region, out: &ScImage) -> Result<(), FxError> {
        if inputs.len() != self.inputs.len() {
            return Err(FxError::Input(format!(
                "{} input frames for a renderer made for {}",
                inputs.len(),
                self.inputs.len()
            )));
        }
        for (i, (image, g)) in inputs.iter().zip(&self.inputs).enumerate() {
            if image.geometry != *g || image.blocks.len() != g.total_blocks() as usize {
                return Err(FxError::Input(format!(
                    "input {i} is {:?} with {} blocks, the renderer was made for {g:?}",
                    image.geometry,
                    image.blocks.len()
                )));
            }
        }
        let g = &self.output;
        if out.geometry != *g || out.blocks.len() != g.total_blocks() as usize {
            return Err(FxError::Input(format!(
                "output frame is {:?}, the effect makes {g:?}",
                out.geometry
            )));
        }
        region
            .check(g)
            .map_err(|e| FxError::Mapping(format!("region {region:?}: {e:?}")))
    }

    /// Whether the whole effect runs on DCT coefficients for these inputs
    /// (then [`Renderer::dct_jpeg`] can finish frames in one pass).
    pub fn output_is_dct(&self) -> bool {
        self.analysis.output_is_dct(&self.graph)
    }

    /// The fused decode-mix-encode path of an effect whose output is in
    /// the DCT domain: output frame `env` as a baseline JPEG (Annex K
    /// Huffman tables, `luma`/`chroma` quantization), computed block by
    /// block as the encoder asks, straight from the inputs' *quantized*
    /// coefficients — no frame of coefficients is stored between decoding
    /// and encoding. The bytes equal rendering the whole frame with
    /// [`Renderer::render`] from [`ScImage::from_jpeg`] of the same inputs
    /// and [`ScImage::to_jpeg_bytes`]. `Ok(None)` when the output is not
    /// in the DCT domain.
    pub fn dct_jpeg(
        &mut self,
        env: &Env<'_>,
        inputs: &[&tessera_jpeg::CoefficientImage],
        luma: &tessera_jpeg::QuantTable,
        chroma: &tessera_jpeg::QuantTable,
    ) -> Result<Option<Vec<u8>>, FxError> {
        if !self.output_is_dct() {
            return Ok(None);
        }
        self.check_count(inputs.len())?;
        let Some(combo) = self.output_combo(env) else {
            return Ok(None);
        };
        let sources = combo
            .terms
            .iter()
            .map(|&(i, _)| fused::Source::Stored(inputs[i]))
            .collect();
        fused::encode(&combo, sources, &self.inputs, &self.output, luma, chroma).map(Some)
    }

    /// [`Renderer::dct_jpeg`] from the inputs' JPEG bytes: each input the
    /// frame reads ([`Renderer::dct_terms`]) is decoded MCU by MCU as the
    /// encoder reaches it, storing nothing (when its MCUs are the
    /// output's; otherwise it is decoded whole first); the others are not
    /// decoded at all. Same bytes as decoding the inputs with
    /// `decode_coefficients` and calling [`Renderer::dct_jpeg`], and an
    /// error where any of those decodes fails.
    pub fn dct_jpeg_streaming(
        &mut self,
        env: &Env<'_>,
        jpegs: &[&[u8]],
        limits: &tessera_core::Limits,
        luma: &tessera_jpeg::QuantTable,
        chroma: &tessera_jpeg::QuantTable,
    ) -> Result<Option<Vec<u8>>, FxError> {
        if !self.output_is_dct() {
            return Ok(None);
        }
        self.check_count(jpegs.len())?;
        let Some(combo) = self.output_combo(env) else {
            return Ok(None);
        };
        let sources = combo
            .terms
            .iter()
            .map(|&(i, _)| fused::Source::open(i, jpegs[i], limits, &self.output))
            .collect::<Result<Vec<_>, FxError>>()?;
        fused::encode(&combo, sources, &self.inputs, &self.output, luma, chroma).map(Some)
    }

    /// The inputs output frame `env` reads when the whole effect runs on
    /// DCT coefficients (those with a non-zero weight in its combination);
    /// `None` when it does not.
    pub fn dct_terms(&self, env: &Env<'_>) -> Option<Vec<usize>> {
        let combo = self.output_combo(env)?;
        Some(combo.terms.iter().map(|&(i, _)| i).collect())
    }

    /// The flattened combination of output frame `env`, when the output is
    /// in the DCT domain.
    fn output_combo(&self, env: &Env<'_>) -> Option<Combo> {
        if !self.output_is_dct() {
            return None;
        }
        let graph = &*self.graph;
        let ops = resolve(graph, &self.inputs, env);
        combos(graph, &self.analysis, &ops)
            .into_iter()
            .nth(graph.output.index())
            .flatten()
    }

    fn check_count(&self, n: usize) -> Result<(), FxError> {
        if n != self.inputs.len() {
            return Err(FxError::Input(format!(
                "{n} input frames for a renderer made for {}",
                self.inputs.len()
            )));
        }
        Ok(())
    }

    /// The fused path of an effect the planar path renders (see
    /// [`Renderer::is_planar`]): output frame `env` as a baseline JPEG, as
    /// [`Renderer::dct_jpeg`] makes it, straight from the inputs'
    /// quantized coefficients: the warp's source and the background are
    /// dequantized block by block as they are read, the blocks the inset
    /// touches are computed first, and the others are the background's,
    /// computed as the encoder asks for them. No SC image of the inputs is
    /// made. The bytes equal rendering the whole frame with
    /// [`Renderer::render`] from [`ScImage::from_jpeg`] of the same inputs
    /// and [`ScImage::to_jpeg_bytes`]. `Ok(None)` when the planar path
    /// does not render this frame.
    pub fn planar_jpeg(
        &mut self,
        env: &Env<'_>,
        inputs: &[&tessera_jpeg::CoefficientImage],
        luma: &tessera_jpeg::QuantTable,
        chroma: &tessera_jpeg::QuantTable,
    ) -> Result<Option<Vec<u8>>, FxError> {
        let Some(shape) = &self.planar else {
            return Ok(None);
        };
        let g = self.output;
        let graph = &*self.graph;
        let ops = resolve(graph, &self.inputs, env);
        let Some(frame) = shape.frame(&ops, &g) else {
            return Ok(None);
        };
        let combos = combos(graph, &self.analysis, &ops);
        let blocks = |node: usize| -> Result<JpegBlocks<'_>, FxError> {
            let kernel = dct::BlockKernel::new(combos[node].as_ref().unwrap_or(&NONE));
            let terms = dct::jpeg_inputs(&self.inputs, inputs, kernel.inputs())?;
            Ok(JpegBlocks::new(kernel, terms, g))
        };
        let src = blocks(shape.src)?;
        let base = shape.base.map(blocks).transpose()?;
        let scratch = &mut self.scratch;
        let out = match &mut scratch.planar_out {
            Some(out) if out.geometry == g => out,
            slot => slot.insert(ScImage::zeroed(g)),
        };
        let region = g.full_region();
        planar::render(
            &mut scratch.planar,
            &frame,
            (&src, base.as_ref()),
            &g,
            (region, false),
            out,
        );
        let touched = &scratch.planar.touched;
        let (hs, vs) = (g.h_sub as usize, g.v_sub as usize);
        // SC plane index (Y, Cr, Cb) and plane of each JPEG component.
        const PLANE_OF: [(usize, PlaneKind); 3] =
            [(0, PlaneKind::Y), (2, PlaneKind::Cb), (1, PlaneKind::Cr)];
        // First address and block columns of each component's plane.
        let layout = PLANE_OF.map(|(_, plane)| {
            let first = g.plane_base(plane) as usize;
            (first, g.plane_blocks(plane).0 as usize)
        });
        let jpeg = tessera_sc::jpeg_from_blocks(&g, luma, chroma, |comp, bx, by, block| {
            let p = PLANE_OF[comp].0;
            let addr = layout[comp].0 + by * layout[comp].1 + bx;
            let (mx, my) = if comp == 0 {
                (bx / hs, by / vs)
            } else {
                (bx, by)
            };
            let mx = mx as u32;
            let (c0, c1) = touched[my];
            match &base {
                Some(base) if !(c0..c1).contains(&mx) => {
                    base.run_at(p, (bx, by), std::slice::from_mut(block))
                }
                _ => *block = out.blocks[addr],
            }
        })?;
        Ok(Some(jpeg))
    }

    /// Computes the blocks of `region` of the output frame described by
    /// `env` into `out` (which has the output geometry); blocks outside
    /// `region` are left as they are.
    pub fn render(
        &mut self,
        env: &Env<'_>,
        inputs: &[&ScImage],
        region: Region,
        out: &mut ScImage,
    ) -> Result<(), FxError> {
        self.check(inputs, region, out)?;
        let graph = &*self.graph;
        let g = self.output;
        // Every expression, once for this frame.
        let ops = resolve(graph, &self.inputs, env);
        let combos = combos(graph, &self.analysis, &ops);
        if self.analysis.output_is_dct(graph) {
            if let Some(combo) = &combos[graph.output.index()] {
                dct::render_region(&Prepared::new(combo, inputs), &g, region, out);
            }
            return Ok(());
        }
        if let Some((shape, frame)) = self
            .planar
            .as_ref()
            .and_then(|s| Some((s, s.frame(&ops, &g)?)))
        {
            let prepared =
                |node: usize| Prepared::new(combos[node].as_ref().unwrap_or(&NONE), inputs);
            let (src, base) = (prepared(shape.src), shape.base.map(prepared));
            let scratch = &mut self.scratch.planar;
            let blocks = (&src, base.as_ref());
            planar::render(scratch, &frame, blocks, &g, (region, true), out);
            return Ok(());
        }
        let demand = demand(graph, &self.analysis, &ops, &combos, &self.inputs, region);
        let (w, h) = (u32::from(g.true_width), u32::from(g.true_height));
        for (i, op) in ops.iter().enumerate() {
            if let (FrameOp::Text(t), true) = (op, self.analysis.live[i]) {
                self.scratch.texts[i].update(t, w, h);
            }
        }
        for (plan, &span) in self.plans.iter().zip(&demand.passes) {
            if span.is_empty() {
                // Nothing reads it this frame: drop last frame's pixels so
                // no warp can see them.
                self.scratch.stored[plan.root].reset(Span::EMPTY);
                continue;
            }
            let mut run = PassRun::new(
                plan,
                &ops,
                &combos,
                inputs,
                &self.inputs,
                span,
                &mut self.scratch,
            );
            if plan.root == graph.output.index() {
                run.encode(&g, region, out);
            } else {
                run.materialize(span);
            }
        }
        Ok(())
    }
}

/// One execution of a pass over a span.
struct PassRun<'a> {
    plan: &'a Plan,
    ops: &'a [FrameOp],
    /// Per `Coeffs` step's decoder.
    prepared: Vec<Prepared<'a>>,
    scratch: &'a mut Scratch,
    frame: (u32, u32),
    x0: u32,
    n: usize,
}

impl<'a> PassRun<'a> {
    fn new(
        plan: &'a Plan,
        ops: &'a [FrameOp],
        combos: &'a [Option<Combo>],
        images: &[&'a ScImage],
        geometries: &[FrameGeometry],
        span: Span,
        scratch: &'a mut Scratch,
    ) -> PassRun<'a> {
        let out = geometries[0];
        let mut prepared = Vec::with_capacity(plan.decoders);
        scratch
            .decoders
            .resize_with(plan.decoders, BandDecoder::default);
        scratch.slots.resize_with(plan.steps.len(), Rows::default);
        for step in &plan.steps {
            if let Step::Coeffs { node, decoder } = *step {
                let combo = combos[node].as_ref().unwrap_or(&NONE);
                // A pixel-domain source keeps its own geometry.
                let g = match ops[node] {
                    FrameOp::Source { input } => geometries[input],
                    _ => out,
                };
                scratch.decoders[decoder].reset(g, span.x0, span.x1);
                prepared.push(Prepared::new(combo, images));
            }
        }
        let n = span.width() as usize;
        for slot in &mut scratch.slots {
            slot.set_len(n);
        }
        PassRun {
            plan,
            ops,
            prepared,
            scratch,
            frame: (out.true_width.into(), out.true_height.into()),
            x0: span.x0 as u32,
            n,
        }
    }

    /// Computes row `y` of every step; the root's is the last slot.
    fn row(&mut self, y: u32) {
        let Scratch {
            slots,
            decoders,
            stored,
            texts,
            ..
        } = &mut *self.scratch;
        let x0 = self.x0;
        for (s, step) in self.plan.steps.iter().enumerate() {
            let (done, rest) = slots.split_at_mut(s);
            let out = &mut rest[0];
            match *step {
                Step::Coeffs { decoder, .. } => {
                    decoders[decoder].read(&self.prepared[decoder], y, x0, out)
                }
                Step::Stored { node } => stored[node].read_row(i64::from(y), i64::from(x0), out),
                Step::Op { node, operands } => {
                    let arg = |k: usize| &done[operands[k]];
                    match &self.ops[node] {
                        FrameOp::Source { .. } => out.fill(CLEAR),
                        FrameOp::Solid(px) => out.fill(*px),
                        FrameOp::Mix { t } => rows::mix(arg(0), arg(1), *t as f32, out),
                        FrameOp::Wipe { mask, .. } => rows::wipe(arg(0), arg(1), mask, y, x0, out),
                        FrameOp::Warp {
                            src,
                            inverse,
                            outside,
                        } => warp::warp_row(
                            inverse.as_ref(),
                            &stored[*src],
                            *outside,
                            self.frame,
                            y,
                            x0,
                            out,
                        ),
                        FrameOp::Key(key) => key::key(arg(0), key, out),
                        FrameOp::Over => rows::over(arg(0), arg(1), out),
                        FrameOp::Border {
                            extent,
                            width,
                            color,
                        } => rows::border(arg(0), extent, *width, *color, y, x0, out),
                        FrameOp::Text(t) => text::text_row(arg(0), t, &texts[node], y, x0, out),
                        FrameOp::Crop(area) => rows::crop(arg(0), area, y, x0, out),
                        FrameOp::Adjust {
                            brightness,
                            contrast,
                            saturation,
                        } => rows::adjust(arg(0), *brightness, *contrast, *saturation, out),
                    }
                }
            }
        }
    }

    fn root_row(&self) -> &Rows {
        &self.scratch.slots[self.plan.steps.len() - 1]
    }

    /// Stores the root over `span`.
    fn materialize(&mut self, span: Span) {
        let root = self.plan.root;
        let mut stored = std::mem::take(&mut self.scratch.stored[root]);
        stored.reset(span);
        for y in span.y0..span.y1 {
            self.row(y as u32);
            stored.put_row(y, self.root_row());
        }
        self.scratch.stored[root] = stored;
    }

    /// Computes `region` of the output, band by band, into `out`.
    fn encode(&mut self, g: &FrameGeometry, region: Region, out: &mut ScImage) {
        let mh = g.mcu_height();
        let (x0, x1) = (
            u32::from(region.x),
            u32::from(region.x) + u32::from(region.width),
        );
        let (y0, y1) = (
            u32::from(region.y),
            u32::from(region.y) + u32::from(region.height),
        );
        let height = u32::from(g.true_height);
        let mut encoder = std::mem::take(&mut self.scratch.encoder);
        for band in (y0..y1).step_by(mh as usize) {
            encoder.begin(g, x0, x1, band, self.n);
            let last = (band + mh).min(height);
            for y in band..last {
                self.row(y);
                encoder.put_row((y - band) as usize, self.root_row());
            }
            encoder.finish(g, (last - band) as usize, out);
        }
        self.scratch.encoder = encoder;
    }
}

/// The rectangle of each input (clipped to it; `None` when unused) that
/// `region` of the output frame described by `env` reads.
pub fn input_demand(
    graph: &Graph,
    inputs: &[FrameGeometry],
    env: &Env<'_>,
    region: Region,
) -> Vec<Option<Rect>> {
    if inputs.is_empty() || check_graph(graph, inputs).is_err() {
        return vec![None; inputs.len()];
    }
    let analysis = analyze(graph, Some(inputs));
    let ops = resolve(graph, inputs, env);
    let combos = combos(graph, &analysis, &ops);
    let planar = planar::Shape::detect(graph, &analysis)
        .and_then(|shape| Some((shape.frame(&ops, &inputs[0])?, shape)));
    let need = match planar {
        Some((frame, shape)) => {
            let region = region_span(region, &inputs[0]);
            shape.demand(&frame, &combos, inputs, region)
        }
        None => demand(graph, &analysis, &ops, &combos, inputs, region).inputs,
    };
    need.into_iter().map(Span::to_rect).collect()
}
