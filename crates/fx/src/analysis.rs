//! Which nodes run on DCT coefficients and which per-pixel operators fuse
//! into one pass.
//!
//! # Domains
//!
//! A node is in the [`Domain::Dct`] domain when its value is a linear
//! function of input coefficient blocks plus a constant:
//!
//! * a `Source` whose input has the output's size and chroma format (its
//!   blocks line up with the output's);
//! * a `Solid` of a constant, opaque colour (DC-only blocks,
//!   `DC = 8 (v - 128)` per plane);
//! * a `Mix` of two DCT-domain nodes (the DCT is linear).
//!
//! Everything else works on pixels ([`Domain::Pixel`]).
//!
//! # Passes
//!
//! Per-pixel operators are *fused*: the nodes of one [`Pass`] are computed
//! together one output row at a time, through a scratch row per node, with
//! no whole-frame intermediate. A pass ends where an operator needs its
//! operand at arbitrary positions: the source of a `Warp` is
//! *materialized* (its pass stores the whole demanded rectangle) and read
//! back by the warp. DCT-domain operands of a pass are its leaves: they
//! enter it through an inverse DCT of just the blocks the pass needs.

use serde::{Deserialize, Serialize};
use tessera_sc::FrameGeometry;

use crate::expr::{ColorExpr, Env};
use crate::graph::{Graph, NodeId, Op};

/// Where a node's values live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Domain {
    /// Dequantized DCT coefficients, block by block (no IDCT/DCT).
    Dct,
    /// YCbCr + alpha pixels.
    Pixel,
}

/// A fused pass: per-pixel nodes computed together row by row, with no
/// whole-frame intermediate between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// The node whose result the pass produces (the output, or a
    /// materialized node).
    pub root: NodeId,
    /// All nodes computed in the pass, in evaluation order (increasing
    /// id), the root last. DCT-domain nodes among them are leaves, read
    /// through an inverse DCT.
    pub nodes: Vec<NodeId>,
    /// Materialized nodes the pass reads from storage (warp sources and
    /// stored operands of per-pixel nodes).
    pub reads: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// Per node.
    pub domain: Vec<Domain>,
    /// Per node: whether its result is kept whole (it feeds a warp).
    pub materialized: Vec<bool>,
    /// Materialized nodes' passes in dependency order, then the output's
    /// pass (absent when the output is in the DCT domain).
    pub passes: Vec<Pass>,
    /// Per node: whether the output depends on it.
    pub live: Vec<bool>,
}

impl Analysis {
    /// Whether the output is computed on coefficients alone.
    pub fn output_is_dct(&self, graph: &Graph) -> bool {
        self.domain.get(graph.output.index()) == Some(&Domain::Dct)
    }
}

/// Whether a colour is the same every frame and opaque.
fn constant_opaque(color: &ColorExpr) -> bool {
    color.is_constant()
        && color
            .eval(&Env {
                frame: 0,
                t: 0.0,
                params: &[],
            })
            .a
            >= 1.0
}

/// Analyzes `graph` for inputs of the given geometries (`None`: assume
/// every input has the output's size and chroma format). A graph that
/// fails [`Graph::validate`] gets every node in the pixel domain and no
/// passes.
pub fn analyze(graph: &Graph, inputs: Option<&[FrameGeometry]>) -> Analysis {
    let n = graph.nodes.len();
    if graph.validate().is_err() {
        return Analysis {
            domain: vec![Domain::Pixel; n],
            materialized: vec![false; n],
            passes: vec![],
            live: vec![false; n],
        };
    }
    let aligned = |input: usize| match inputs {
        None => true,
        Some(geoms) => geoms.get(input).is_some() && geoms.get(input) == geoms.first(),
    };
    let mut domain = Vec::with_capacity(n);
    for node in &graph.nodes {
        let dct = match &node.op {
            Op::Source { input } => aligned(*input),
            Op::Solid { color } => constant_opaque(color),
            Op::Mix { a, b, .. } => {
                domain[a.index()] == Domain::Dct && domain[b.index()] == Domain::Dct
            }
            _ => false,
        };
        domain.push(if dct { Domain::Dct } else { Domain::Pixel });
    }

    let mut live = vec![false; n];
    live[graph.output.index()] = true;
    for i in (0..n).rev() {
        if live[i] {
            for o in graph.nodes[i].op.operands() {
                live[o.index()] = true;
            }
        }
    }

    let mut materialized = vec![false; n];
    for (i, node) in graph.nodes.iter().enumerate() {
        if let (true, Op::Warp { src, .. }) = (live[i], &node.op) {
            materialized[src.index()] = true;
        }
    }

    let mut roots: Vec<NodeId> = (0..n)
        .filter(|&i| materialized[i])
        .map(|i| NodeId(i as u32))
        .collect();
    if domain[graph.output.index()] == Domain::Pixel {
        roots.push(graph.output);
    }
    let passes = roots
        .into_iter()
        .map(|root| pass_of(graph, &domain, &materialized, root))
        .collect();
    Analysis {
        domain,
        materialized,
        passes,
        live,
    }
}

/// The pass rooted at `root`: the root and its operands, transitively,
/// stopping at materialized nodes (read from storage) and at DCT-domain
/// nodes (leaves).
fn pass_of(graph: &Graph, domain: &[Domain], materialized: &[bool], root: NodeId) -> Pass {
    let n = graph.nodes.len();
    let mut inside = vec![false; n];
    let mut read = vec![false; n];
    inside[root.index()] = true;
    for i in (0..=root.index()).rev() {
        if !inside[i] || domain[i] == Domain::Dct {
            continue;
        }
        let op = &graph.nodes[i].op;
        for o in op.operands() {
            let o = o.index();
            if materialized[o] {
                read[o] = true;
            } else if !matches!(op, Op::Warp { .. }) {
                inside[o] = true;
            }
        }
    }
    let ids = |set: &[bool]| -> Vec<NodeId> {
        (0..n)
            .filter(|&i| set[i])
            .map(|i| NodeId(i as u32))
            .collect()
    };
    Pass {
        root,
        nodes: ids(&inside),
        reads: ids(&read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Expr, Rgba, TextExpr};
    use crate::graph::Node;

    fn graph(ops: Vec<Op>) -> Graph {
        let output = NodeId(ops.len() as u32 - 1);
        Graph {
            inputs: vec!["a".into(), "b".into()],
            params: vec![],
            nodes: ops
                .into_iter()
                .map(|op| Node {
                    op,
                    origin: String::new(),
                    pos: Default::default(),
                })
                .collect(),
            output,
        }
    }

    #[test]
    fn dissolve_is_dct_and_title_splits() {
        let g = graph(vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Mix {
                a: NodeId(0),
                b: NodeId(1),
                amount: Expr::Time,
            },
            Op::Text {
                src: NodeId(2),
                text: TextExpr::Const("Hi".into()),
                size: Expr::Const(20.0),
                color: ColorExpr::Const(Rgba::opaque(255.0, 255.0, 255.0)),
                x: Expr::Const(0.0),
                y: Expr::Const(0.0),
                background: None,
                padding: Expr::Const(0.0),
            },
        ]);
        let a = analyze(&g, None);
        assert_eq!(&a.domain[..3], &[Domain::Dct; 3]);
        assert_eq!(a.domain[3], Domain::Pixel);
        assert_eq!(a.passes.len(), 1);
        assert_eq!(a.passes[0].nodes, vec![NodeId(2), NodeId(3)]);
        assert!(a.materialized.iter().all(|m| !m));
    }

    #[test]
    fn warp_source_is_materialized_and_mismatched_inputs_are_pixels() {
        let ident = || Box::new([1.0, 0.0, 0.0, 0.0, 1.0, 0.0].map(Expr::Const));
        let g = graph(vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Adjust {
                src: NodeId(1),
                brightness: Expr::Const(0.0),
                contrast: Expr::Const(1.0),
                saturation: Expr::Const(1.0),
            },
            Op::Warp {
                src: NodeId(2),
                matrix: ident(),
                outside: ColorExpr::Const(Rgba::TRANSPARENT),
            },
            Op::Over {
                fg: NodeId(3),
                bg: NodeId(0),
            },
        ]);
        let big = FrameGeometry::new(64, 48, 2, 2).unwrap();
        let small = FrameGeometry::new(32, 16, 2, 2).unwrap();
        let a = analyze(&g, Some(&[big, small]));
        assert_eq!(a.domain[0], Domain::Dct);
        assert_eq!(a.domain[1], Domain::Pixel);
        assert!(a.materialized[2] && !a.materialized[3]);
        assert_eq!(a.passes.len(), 2);
        assert_eq!(a.passes[0].root, NodeId(2));
        assert_eq!(a.passes[0].nodes, vec![NodeId(1), NodeId(2)]);
        assert_eq!(a.passes[1].nodes, vec![NodeId(0), NodeId(3), NodeId(4)]);
        assert_eq!(a.passes[1].reads, vec![NodeId(2)]);
    }
}
