//! Errors of the effects crate.

use crate::graph::Pos;

/// A fault in an effect specification, located in its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub pos: Pos,
    /// Columns the fault spans (at least 1), for the carets.
    pub width: u32,
    pub message: String,
    /// The source line the fault is on (for the caret display).
    pub line_text: String,
}

impl std::fmt::Display for SpecError {
    /// `line L, column C: message`, then the line and carets under the
    /// fault.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "line {}, column {}: {}",
            self.pos.line, self.pos.col, self.message
        )?;
        writeln!(f, "  | {}", self.line_text)?;
        // Tabs keep their width so the caret lines up under them.
        let lead: String = self
            .line_text
            .chars()
            .take(self.pos.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "  | {lead}{}", "^".repeat(self.width.max(1) as usize))
    }
}

impl std::error::Error for SpecError {}

#[derive(Debug, thiserror::Error)]
pub enum FxError {
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// An input frame the graph cannot use (no planes, wrong count, ...).
    #[error("input: {0}")]
    Input(String),
    /// Processors, modes or regions that cannot be mapped.
    #[error("mapping: {0}")]
    Mapping(String),
    #[error("parameter: {0}")]
    Param(String),
    #[error(transparent)]
    Sc(#[from] tessera_sc::ScError),
}
