//! The operators: evaluating a graph for one region of one output frame.
//! (Placeholder.)

use std::sync::Arc;

use tessera_sc::{FrameGeometry, Region, ScImage};

use crate::analysis::{Analysis, analyze};
use crate::error::FxError;
use crate::expr::Env;
use crate::graph::Graph;

/// A rectangle in luma pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Evaluates a graph frame after frame, keeping its scratch buffers and
/// caches (rendered text) between frames.
#[derive(Debug)]
pub struct Renderer {
    graph: Arc<Graph>,
    output: FrameGeometry,
    analysis: Analysis,
}

impl Renderer {
    /// A renderer for inputs of these geometries; the output takes the
    /// first input's.
    pub fn new(graph: Arc<Graph>, inputs: &[FrameGeometry]) -> Result<Renderer, FxError> {
        let output = *inputs
            .first()
            .ok_or_else(|| FxError::Input("no inputs".into()))?;
        let analysis = analyze(&graph, Some(inputs));
        Ok(Renderer {
            graph,
            output,
            analysis,
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
        let _ = (env, inputs, region, out);
        Err(FxError::Input("operators not built yet".into()))
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
    let _ = (graph, env, region);
    vec![None; inputs.len()]
}
