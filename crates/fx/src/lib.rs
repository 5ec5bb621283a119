//! Effects: the effect language ([`lang`]), the FX compiler that turns it
//! into a typed graph of primitive operators ([`graph`]), its analysis
//! (which nodes run on DCT coefficients, which per-pixel operators fuse
//! into one pass), the operators themselves ([`eval`]) and the FX mapper
//! that splits the work over processors ([`mapper`]).
//!
//! The effect language is described in `docs/effects.md`.

pub mod analysis;
pub mod error;
pub mod eval;
pub mod expr;
pub mod graph;
pub mod lang;
pub mod mapper;
pub mod print;

pub use error::{FxError, SpecError};
pub use expr::{ColorExpr, Env, Expr, ParamValue, Rgba, TextExpr};
pub use graph::{Graph, Node, NodeId, Op, ParamDecl, Pos};
