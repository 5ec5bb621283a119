//! The effect language: a small declarative language in which an effect
//! names its inputs and live parameters, binds intermediate values and
//! says what the output is. [`compile`] lexes, parses, checks names and
//! types and lowers the result to the operator graph ([`crate::graph`]).
//!
//! The language is described for users in `docs/effects.md`; the grammar
//! is in [`parser`], the effects and their arguments in [`effects`].
//!
//! ```
//! let graph = tessera_fx::lang::compile(
//!     "input a, b;\n\
//!      param mix = 0.5 in 0..1;\n\
//!      output dissolve(a, b, mix);",
//! )
//! .unwrap();
//! assert_eq!(graph.inputs, ["a", "b"]);
//! assert_eq!(graph.node(graph.output).op.name(), "mix");
//! ```
//!
//! Hostile source is refused with an error, never a panic: above
//! [`MAX_SOURCE_BYTES`], nesting deeper than [`MAX_DEPTH`], operands that
//! grow past [`MAX_EXPR_DEPTH`] levels or the size budget once
//! let-bindings are expanded.

mod ast;
pub mod effects;
mod lexer;
mod lower;
mod parser;
mod suggest;

use crate::error::SpecError;
use crate::graph::{Graph, Pos};

/// The largest source accepted.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// Deepest nesting of an expression in the source (parentheses, calls,
/// unary minus, chains of operators).
pub const MAX_DEPTH: u32 = 200;

/// Deepest numeric expression left in the graph for an operand, after
/// let-bindings are substituted and constants folded. It keeps the
/// operators' recursive evaluation shallow and the graph within the
/// nesting serde_json accepts when a graph is sent as JSON.
pub const MAX_EXPR_DEPTH: u32 = 32;

/// Budget for everything lowering allocates (expression terms, texts and
/// nodes, roughly in bytes): let-bindings are substituted where they are
/// used, so a short source could otherwise ask for a huge graph.
pub const MAX_GRAPH_BYTES: usize = 64 << 20;

/// Compiles effect source text to an operator graph.
///
/// The graph holds only nodes the output depends on, in topological
/// order; each input used is one `source` node and each let-bound video
/// one node however often it is used.
pub fn compile(source: &str) -> Result<Graph, SpecError> {
    compile_inner(source).map_err(|fault| fault.locate(source))
}

fn compile_inner(source: &str) -> Result<Graph, Fault> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Fault::new(
            Span::new(0, 0),
            format!(
                "the effect source is too large ({} bytes; the limit is {} MiB)",
                source.len(),
                MAX_SOURCE_BYTES >> 20
            ),
        ));
    }
    let tokens = lexer::tokenize(source)?;
    let stmts = parser::parse(source, &tokens)?;
    lower::lower(&stmts, source)
}

/// A byte range of the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end.max(self.start))
    }
}

/// An error with its place as a byte span, before it is turned into
/// lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub span: Span,
    pub message: String,
}

impl Fault {
    pub fn new(span: Span, message: impl Into<String>) -> Fault {
        Fault {
            span,
            message: message.into(),
        }
    }

    /// Line, column (in characters, 1-based), width (in characters, cut
    /// at the end of the line) and the line's text.
    fn locate(self, source: &str) -> SpecError {
        let start = floor_char_boundary(source, self.span.start);
        let end = floor_char_boundary(source, self.span.end.max(start));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].bytes().filter(|&b| b == b'\n').count() + 1;
        let col = source[line_start..start].chars().count() + 1;
        let width = source[start..end.min(line_end)].chars().count().max(1);
        let line_text = source[line_start..line_end].trim_end_matches('\r');
        SpecError {
            pos: Pos {
                line: saturate(line),
                col: saturate(col),
            },
            width: saturate(width),
            message: self.message,
            line_text: line_text.to_string(),
        }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn floor_char_boundary(source: &str, mut i: usize) -> usize {
    i = i.min(source.len());
    while !source.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Lines and columns of byte offsets, found in logarithmic time (every
/// node records where it came from).
#[derive(Debug)]
pub(crate) struct LineIndex {
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// Characters before each byte offset (one more entry than bytes).
    chars_before: Vec<u32>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut line_starts = vec![0];
        let mut chars_before = Vec::with_capacity(source.len() + 1);
        let mut chars = 0u32;
        for (i, b) in source.bytes().enumerate() {
            chars_before.push(chars);
            // Count characters at their first byte.
            if (b as i8) >= -0x40 {
                chars += 1;
            }
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        chars_before.push(chars);
        LineIndex {
            line_starts,
            chars_before,
        }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.chars_before.len() - 1);
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        Pos {
            line: saturate(line),
            col: self.chars_before[offset] - self.chars_before[start] + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let source = "ab\né€x\r\n\nz";
        let lines = LineIndex::new(source);
        assert_eq!(lines.pos(0), Pos { line: 1, col: 1 });
        assert_eq!(lines.pos(3), Pos { line: 2, col: 1 });
        // `x` after two multi-byte characters.
        let x = source.find('x').unwrap();
        assert_eq!(lines.pos(x), Pos { line: 2, col: 3 });
        assert_eq!(lines.pos(source.len()), Pos { line: 4, col: 2 });
        let e = Fault::new(Span::new(x, x + 1), "m").locate(source);
        assert_eq!(
            (e.pos, e.width, e.line_text.as_str()),
            (Pos { line: 2, col: 3 }, 1, "é€x")
        );
        // A span running past its line is cut at the line's end.
        let e = Fault::new(Span::new(0, source.len()), "m").locate(source);
        assert_eq!(e.width, 2);
    }
}
