//! Which nodes run on DCT coefficients and which per-pixel operators fuse
//! into one pass. (Placeholder.)

use serde::{Deserialize, Serialize};
use tessera_sc::FrameGeometry;

use crate::graph::{Graph, NodeId};

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
    /// The node whose result the pass produces.
    pub root: NodeId,
    /// All nodes computed in the pass, in evaluation order.
    pub nodes: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// Per node.
    pub domain: Vec<Domain>,
    /// Per node: whether its result is kept whole (it feeds a warp).
    pub materialized: Vec<bool>,
    pub passes: Vec<Pass>,
}

/// Analyzes `graph` for inputs of the given geometries (`None`: assume
/// every input has the output's size and chroma format).
pub fn analyze(graph: &Graph, inputs: Option<&[FrameGeometry]>) -> Analysis {
    let _ = inputs;
    let n = graph.nodes.len();
    Analysis {
        domain: vec![Domain::Pixel; n],
        materialized: vec![false; n],
        passes: vec![],
    }
}
