//! The typed dataflow graph the FX compiler produces: primitive video
//! operators over per-frame operands ([`crate::expr`]).
//!
//! Every node yields a *video*: YCbCr colour plus alpha, at the output
//! frame's size. Nodes are stored in topological order (a node's inputs
//! always have smaller ids), which makes the graph acyclic by
//! construction and lets evaluators walk it front to back.

use serde::{Deserialize, Serialize};

use crate::expr::{ColorExpr, Expr, ParamValue, Rgba, TextExpr};

/// Index of a node in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A place in the effect source: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A declared parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamDecl {
    pub name: String,
    pub default: ParamValue,
    /// Allowed range of a numeric parameter (inclusive).
    pub range: Option<(f64, f64)>,
}

impl ParamDecl {
    /// Checks a new value against the declaration's kind and range.
    pub fn check(&self, value: &ParamValue) -> Result<(), String> {
        match (&self.default, value) {
            (ParamValue::Number(_), ParamValue::Number(v)) => match self.range {
                Some((lo, hi)) if !(lo..=hi).contains(v) => Err(format!(
                    "parameter `{}` = {v} is outside its range {lo}..{hi}",
                    self.name
                )),
                _ if !v.is_finite() => Err(format!("parameter `{}` must be finite", self.name)),
                _ => Ok(()),
            },
            (ParamValue::Color(_), ParamValue::Color(_))
            | (ParamValue::Text(_), ParamValue::Text(_)) => Ok(()),
            (expected, _) => Err(format!(
                "parameter `{}` takes a {}",
                self.name,
                kind_name(expected)
            )),
        }
    }

    /// Parses the text form of a value of this parameter's kind (a
    /// number, `#rrggbb[aa]`, or any text) and checks it.
    pub fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let value =
            match &self.default {
                ParamValue::Number(_) => ParamValue::Number(text.trim().parse().map_err(|_| {
                    format!("parameter `{}` takes a number, not `{text}`", self.name)
                })?),
                ParamValue::Color(_) => {
                    ParamValue::Color(Rgba::parse_hex(text.trim()).ok_or_else(|| {
                        format!(
                            "parameter `{}` takes a colour #rrggbb or #rrggbbaa, not `{text}`",
                            self.name
                        )
                    })?)
                }
                ParamValue::Text(_) => ParamValue::Text(text.to_string()),
            };
        self.check(&value)?;
        Ok(value)
    }
}

fn kind_name(value: &ParamValue) -> &'static str {
    match value {
        ParamValue::Number(_) => "number",
        ParamValue::Color(_) => "colour",
        ParamValue::Text(_) => "text",
    }
}

/// Direction of a wipe: where the incoming picture enters from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WipeShape {
    /// B enters from the left edge, moving right.
    Left,
    Right,
    Up,
    Down,
    /// From the top-left corner to the bottom-right.
    Diagonal,
    /// A circle growing from the centre.
    Circle,
}

/// A primitive operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Input stream `input` (index into [`Graph::inputs`]); opaque.
    Source { input: usize },
    /// A plain colour (alpha from the colour).
    Solid { color: ColorExpr },
    /// Linear combination `a * (1 - amount) + b * amount` of colour and
    /// alpha: multiply by constants and add. Runs on DCT coefficients when
    /// both operands do.
    Mix { a: NodeId, b: NodeId, amount: Expr },
    /// Per-pixel choice between `a` and `b` by a moving mask: `b` covers
    /// the fraction `progress` (0..1) of the frame, with a soft edge of
    /// `softness` (fraction of the frame's width, or of its half-diagonal
    /// for circles).
    Wipe {
        a: NodeId,
        b: NodeId,
        shape: WipeShape,
        progress: Expr,
        softness: Expr,
    },
    /// Affine warp with bilinear sampling. `matrix` maps source
    /// coordinates to output coordinates: `x' = m0 x + m1 y + m2`,
    /// `y' = m3 x + m4 y + m5` (pixel centres at +0.5). Output pixels whose
    /// preimage falls outside the source get `outside`.
    Warp {
        src: NodeId,
        matrix: Box<[Expr; 6]>,
        outside: ColorExpr,
    },
    /// Chroma key: alpha from the distance of each pixel's chroma to the
    /// key colour's; `tolerance` and `softness` in 0..1 of the chroma
    /// range; `spill` 0..1 pulls the key's chroma out of kept pixels.
    Key {
        src: NodeId,
        color: ColorExpr,
        tolerance: Expr,
        softness: Expr,
        spill: Expr,
    },
    /// `fg` over `bg` by `fg`'s alpha (Porter-Duff over).
    Over { fg: NodeId, bg: NodeId },
    /// Paints the outer `width` pixels of `src`'s extent with `color`: the
    /// pixels whose centres lie inside it, within `width` of its edges. A
    /// source's extent is its frame, a crop's its rectangle, a warp's the
    /// bounding box of its source's extent mapped; per-pixel operators keep
    /// their operand's, others have the output frame. (The border of a
    /// picture-in-picture inset, drawn after its warp.)
    Border {
        src: NodeId,
        width: Expr,
        color: ColorExpr,
    },
    /// Text rendered with the bundled DejaVu Sans over `src`: pixel `size`
    /// (em height), top-left corner of the text's box at (`x`, `y`),
    /// optional background box with `padding` pixels around the text.
    Text {
        src: NodeId,
        text: TextExpr,
        size: Expr,
        color: ColorExpr,
        x: Expr,
        y: Expr,
        background: Option<ColorExpr>,
        padding: Expr,
    },
    /// Keeps the rectangle (`x`, `y`, `width`, `height`) of `src`; outside
    /// it is transparent.
    Crop {
        src: NodeId,
        x: Expr,
        y: Expr,
        width: Expr,
        height: Expr,
    },
    /// Colour adjust: `brightness` -1..1 added to luma (x255), `contrast`
    /// >= 0 scales luma about mid-grey, `saturation` >= 0 scales chroma.
    Adjust {
        src: NodeId,
        brightness: Expr,
        contrast: Expr,
        saturation: Expr,
    },
}

impl Op {
    /// Short operator name for printing.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Source { .. } => "source",
            Op::Solid { .. } => "solid",
            Op::Mix { .. } => "mix",
            Op::Wipe { .. } => "wipe",
            Op::Warp { .. } => "warp",
            Op::Key { .. } => "key",
            Op::Over { .. } => "over",
            Op::Border { .. } => "border",
            Op::Text { .. } => "text",
            Op::Crop { .. } => "crop",
            Op::Adjust { .. } => "adjust",
        }
    }

    /// The video operands, in order.
    pub fn operands(&self) -> Vec<NodeId> {
        match self {
            Op::Source { .. } | Op::Solid { .. } => vec![],
            Op::Mix { a, b, .. } | Op::Wipe { a, b, .. } => vec![*a, *b],
            Op::Over { fg, bg } => vec![*fg, *bg],
            Op::Warp { src, .. }
            | Op::Key { src, .. }
            | Op::Border { src, .. }
            | Op::Text { src, .. }
            | Op::Crop { src, .. }
            | Op::Adjust { src, .. } => vec![*src],
        }
    }
}

/// A node: an operator and where in the source it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub op: Op,
    /// The effect call that produced this node (for printing and errors).
    pub origin: String,
    pub pos: Pos,
}

/// A compiled effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Input names, in declaration order; the first sets the output's
    /// size, chroma format and frame rate.
    pub inputs: Vec<String>,
    pub params: Vec<ParamDecl>,
    /// Topologically ordered.
    pub nodes: Vec<Node>,
    pub output: NodeId,
}

impl Graph {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// Default values of the parameters, in order.
    pub fn default_params(&self) -> Vec<ParamValue> {
        self.params.iter().map(|p| p.default.clone()).collect()
    }

    /// Checks the structural invariants a deserialized graph must hold
    /// before it is evaluated: operands come earlier, indices are in
    /// range, there is at least one input.
    pub fn validate(&self) -> Result<(), String> {
        if self.inputs.is_empty() {
            return Err("an effect needs at least one input".into());
        }
        if self.output.index() >= self.nodes.len() {
            return Err("output node out of range".into());
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if node.op.operands().iter().any(|o| o.index() >= i) {
                return Err(format!("node {i} reads a later node"));
            }
            if let Op::Source { input } = node.op
                && input >= self.inputs.len()
            {
                return Err(format!(
                    "node {i} reads input {input} of {}",
                    self.inputs.len()
                ));
            }
        }
        Ok(())
    }
}
