//! The effect language: lexer, parser, name and type checking, and
//! lowering to the operator graph. (Placeholder until the parser lands.)

use crate::error::SpecError;
use crate::graph::{Graph, Pos};

/// Compiles effect source text to an operator graph.
pub fn compile(source: &str) -> Result<Graph, SpecError> {
    Err(SpecError {
        pos: Pos { line: 1, col: 1 },
        width: 1,
        message: "the effect language is not built yet".into(),
        line_text: source.lines().next().unwrap_or("").into(),
    })
}
