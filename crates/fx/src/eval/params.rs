//! Operator parameters for one frame: every expression of the graph
//! evaluated once, colours converted to YCbCr, matrices inverted.

use tessera_sc::FrameGeometry;

use crate::expr::{Env, Rgba};
use crate::graph::{Graph, Op};

use super::key::KeyParams;
use super::rows::{Area, Px, WipeMask};
use super::warp;

/// Text sizes are capped at this many pixels (a glyph is rasterized
/// whole, so an unbounded size would be an unbounded amount of work).
pub(crate) const MAX_TEXT_SIZE: f64 = 2048.0;

/// One node's operator with its operands' values for this frame.
#[derive(Clone, Debug)]
pub(crate) enum FrameOp {
    Source {
        input: usize,
    },
    Solid(Px),
    Mix {
        /// Finite, within +-1e9.
        t: f64,
    },
    Wipe {
        mask: WipeMask,
    },
    Warp {
        src: usize,
        /// Output-to-source matrix; `None` when the matrix is singular
        /// (every pixel is then `outside`).
        inverse: Option<[f64; 6]>,
        outside: Px,
    },
    Key(KeyParams),
    Over,
    Border {
        extent: Area,
        width: f64,
        color: Px,
    },
    Text(Box<TextOp>),
    Crop(Area),
    Adjust {
        brightness: f32,
        contrast: f32,
        saturation: f32,
    },
}

/// A title for one frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TextOp {
    pub text: String,
    /// Pixels per em, 0..=[`MAX_TEXT_SIZE`].
    pub size: f32,
    /// Top-left corner of the text box, rounded to whole pixels.
    pub x: i64,
    pub y: i64,
    pub color: Px,
    pub background: Option<Px>,
    /// Rounded to whole pixels, >= 0.
    pub padding: i64,
}

/// A colour with finite components in range.
fn sane(c: Rgba) -> Rgba {
    let f = |v: f64, hi: f64| if v.is_finite() { v.clamp(0.0, hi) } else { 0.0 };
    Rgba {
        r: f(c.r, 255.0),
        g: f(c.g, 255.0),
        b: f(c.b, 255.0),
        a: f(c.a, 1.0),
    }
}

/// A colour as a pixel (BT.601 full range, unrounded).
pub(crate) fn pixel_of(c: Rgba) -> Px {
    let c = sane(c);
    let [y, cb, cr] = c.to_ycbcr();
    [y as f32, cb as f32, cr as f32, c.a as f32]
}

/// A per-frame number as `f32`, kept finite (expressions are finite,
/// but a huge `f64` would overflow `f32`).
fn small(v: f64) -> f32 {
    v.clamp(-1e9, 1e9) as f32
}

/// Rounds to a whole pixel position, saturating far outside any frame.
fn whole(v: f64) -> i64 {
    v.round().clamp(-(1i64 << 40) as f64, (1i64 << 40) as f64) as i64
}

/// Evaluates every node's operands for the frame `env`. `inputs` are the
/// input geometries (the output has the first's size).
pub(crate) fn resolve(graph: &Graph, inputs: &[FrameGeometry], env: &Env<'_>) -> Vec<FrameOp> {
    let out = inputs[0];
    let (w, h) = (f64::from(out.true_width), f64::from(out.true_height));
    let frame = Area {
        x0: 0.0,
        y0: 0.0,
        x1: w,
        y1: h,
    };
    // The frame each node's picture occupies (for borders): a source's
    // own size, a crop's rectangle, a warp's source's extent mapped (its
    // bounding box), otherwise the output frame.
    let mut extents: Vec<Area> = Vec::with_capacity(graph.nodes.len());
    let mut ops = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let num = |e: &crate::expr::Expr| e.eval(env);
        let (op, extent) = match &node.op {
            Op::Source { input } => {
                let g = inputs.get(*input).copied().unwrap_or(out);
                let extent = Area {
                    x1: f64::from(g.true_width),
                    y1: f64::from(g.true_height),
                    ..frame
                };
                (FrameOp::Source { input: *input }, extent)
            }
            Op::Solid { color } => (FrameOp::Solid(pixel_of(color.eval(env))), frame),
            Op::Mix { amount, .. } => (
                FrameOp::Mix {
                    t: num(amount).clamp(-1e9, 1e9),
                },
                frame,
            ),
            Op::Wipe {
                shape,
                progress,
                softness,
                ..
            } => (
                FrameOp::Wipe {
                    mask: WipeMask::new(*shape, w, h, num(progress), num(softness)),
                },
                frame,
            ),
            Op::Warp {
                src,
                matrix,
                outside,
            } => {
                let m = matrix.each_ref().map(num);
                (
                    FrameOp::Warp {
                        src: src.index(),
                        inverse: warp::invert(m),
                        outside: pixel_of(outside.eval(env)),
                    },
                    warp::extent(&m, &extents[src.index()]).unwrap_or(frame),
                )
            }
            Op::Key {
                src,
                color,
                tolerance,
                softness,
                spill,
            } => (
                FrameOp::Key(KeyParams::new(
                    color.eval(env),
                    num(tolerance),
                    num(softness),
                    num(spill),
                )),
                extents[src.index()],
            ),
            Op::Over { .. } => (FrameOp::Over, frame),
            Op::Border { src, width, color } => (
                FrameOp::Border {
                    extent: extents[src.index()],
                    width: num(width).max(0.0),
                    color: pixel_of(color.eval(env)),
                },
                extents[src.index()],
            ),
            Op::Text {
                src,
                text,
                size,
                color,
                x,
                y,
                background,
                padding,
            } => (
                FrameOp::Text(Box::new(TextOp {
                    text: text.eval(env).to_owned(),
                    size: num(size).clamp(0.0, MAX_TEXT_SIZE) as f32,
                    x: whole(num(x)),
                    y: whole(num(y)),
                    color: pixel_of(color.eval(env)),
                    background: background.as_ref().map(|c| pixel_of(c.eval(env))),
                    padding: whole(num(padding).max(0.0)),
                })),
                extents[src.index()],
            ),
            Op::Crop {
                src,
                x,
                y,
                width,
                height,
            } => {
                let (x, y) = (num(x), num(y));
                let area = Area {
                    x0: x,
                    y0: y,
                    x1: x + num(width).max(0.0),
                    y1: y + num(height).max(0.0),
                };
                let e = extents[src.index()];
                let extent = Area {
                    x0: area.x0.max(e.x0),
                    y0: area.y0.max(e.y0),
                    x1: area.x1.min(e.x1),
                    y1: area.y1.min(e.y1),
                };
                (FrameOp::Crop(area), extent)
            }
            Op::Adjust {
                src,
                brightness,
                contrast,
                saturation,
            } => (
                FrameOp::Adjust {
                    brightness: small(num(brightness)),
                    contrast: small(num(contrast).max(0.0)),
                    saturation: small(num(saturation).max(0.0)),
                },
                extents[src.index()],
            ),
        };
        ops.push(op);
        extents.push(extent);
    }
    ops
}
