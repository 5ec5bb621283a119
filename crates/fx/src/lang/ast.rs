//! The syntax tree the parser builds and the lowering reads.

use super::Span;
use crate::expr::{BinOp, Rgba};

/// A name where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Name {
    pub text: String,
    pub span: Span,
}

// A source has few statements: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stmt {
    /// `input a, b;`
    Input(Vec<Name>),
    /// `param name = default [in lo..hi];`
    Param {
        name: Name,
        default: Expr,
        range: Option<(Expr, Expr)>,
    },
    /// `let name = value;`
    Let { name: Name, value: Expr },
    /// `output value;` (`keyword` is the span of the word `output`).
    Output { keyword: Span, value: Expr },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    /// From the first to the last character of the expression.
    pub span: Span,
    /// Levels of nesting: 1 for a leaf. The parser refuses trees higher
    /// than [`super::MAX_DEPTH`], so walking a tree recursively is safe.
    pub height: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    Number(f64),
    Str(String),
    Color(Rgba),
    /// A name: a declaration, a built-in value (`t`, `frame`, a colour
    /// name, `none`) or, as a `direction`, a wipe shape.
    Name(String),
    /// `(x, y, ...)`, two elements or more.
    Tuple(Vec<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Call),
}

/// `name(positional..., named: value...)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub name: Name,
    pub positional: Vec<Expr>,
    pub named: Vec<(Name, Expr)>,
}

impl Expr {
    pub fn leaf(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            span,
            height: 1,
        }
    }

    /// The height of a node over `children`: one above the highest.
    pub fn height_over<'a>(children: impl IntoIterator<Item = &'a Expr>) -> u32 {
        1 + children.into_iter().map(|c| c.height).max().unwrap_or(0)
    }
}

impl Call {
    /// The argument expressions, positional then named.
    pub fn args(&self) -> impl Iterator<Item = &Expr> {
        self.positional
            .iter()
            .chain(self.named.iter().map(|(_, e)| e))
    }
}
