//! Printing a compiled graph, with its analysis, as text and as Graphviz
//! DOT: what `tessera fx --explain` shows and what a reader of the
//! compiler's output needs (which operator came from which effect call,
//! which nodes run on DCT coefficients, which fuse into one pass).
//!
//! The text form has one line per node,
//!
//! ```text
//! n3 = mix(n1, n2, amount=mix) [dct]  # dissolve at 4:8
//! ```
//!
//! operands printed the way the effect language writes them (`0.5 * t`,
//! `ramp(0, 2)`, parameters by name), then the output and the passes.

use std::fmt::Write as _;

use crate::analysis::{Analysis, Domain};
use crate::expr::{BinOp, ColorExpr, Expr, TextExpr};
use crate::graph::{Graph, NodeId, Op, ParamDecl, WipeShape};
use crate::lang::effects::{color_name, direction_name, range_text};

/// An operator's operand, for printing and checks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field<'a> {
    Node(NodeId),
    Input(usize),
    Number(&'a Expr),
    Color(&'a ColorExpr),
    OptionalColor(Option<&'a ColorExpr>),
    Text(&'a TextExpr),
    Shape(WipeShape),
    Matrix(&'a [Expr; 6]),
}

/// An operator's operands, named as in [`Op`], in declaration order.
pub(crate) fn fields(op: &Op) -> Vec<(&'static str, Field<'_>)> {
    use Field as F;
    match op {
        Op::Source { input } => vec![("input", F::Input(*input))],
        Op::Solid { color } => vec![("color", F::Color(color))],
        Op::Mix { a, b, amount } => vec![
            ("a", F::Node(*a)),
            ("b", F::Node(*b)),
            ("amount", F::Number(amount)),
        ],
        Op::Wipe {
            a,
            b,
            shape,
            progress,
            softness,
        } => vec![
            ("a", F::Node(*a)),
            ("b", F::Node(*b)),
            ("shape", F::Shape(*shape)),
            ("progress", F::Number(progress)),
            ("softness", F::Number(softness)),
        ],
        Op::Warp {
            src,
            matrix,
            outside,
        } => vec![
            ("src", F::Node(*src)),
            ("matrix", F::Matrix(matrix)),
            ("outside", F::Color(outside)),
        ],
        Op::Key {
            src,
            color,
            tolerance,
            softness,
            spill,
        } => vec![
            ("src", F::Node(*src)),
            ("color", F::Color(color)),
            ("tolerance", F::Number(tolerance)),
            ("softness", F::Number(softness)),
            ("spill", F::Number(spill)),
        ],
        Op::Over { fg, bg } => vec![("fg", F::Node(*fg)), ("bg", F::Node(*bg))],
        Op::Border { src, width, color } => vec![
            ("src", F::Node(*src)),
            ("width", F::Number(width)),
            ("color", F::Color(color)),
        ],
        Op::Text {
            src,
            text,
            size,
            color,
            x,
            y,
            background,
            padding,
        } => vec![
            ("src", F::Node(*src)),
            ("text", F::Text(text)),
            ("size", F::Number(size)),
            ("color", F::Color(color)),
            ("x", F::Number(x)),
            ("y", F::Number(y)),
            ("background", F::OptionalColor(background.as_ref())),
            ("padding", F::Number(padding)),
        ],
        Op::Crop {
            src,
            x,
            y,
            width,
            height,
        } => vec![
            ("src", F::Node(*src)),
            ("x", F::Number(x)),
            ("y", F::Number(y)),
            ("width", F::Number(width)),
            ("height", F::Number(height)),
        ],
        Op::Adjust {
            src,
            brightness,
            contrast,
            saturation,
        } => vec![
            ("src", F::Node(*src)),
            ("brightness", F::Number(brightness)),
            ("contrast", F::Number(contrast)),
            ("saturation", F::Number(saturation)),
        ],
    }
}

/// The graph as text: declarations, one line per node, the output, the
/// fused passes.
pub fn to_text(graph: &Graph, analysis: &Analysis) -> String {
    let mut out = String::new();
    if !graph.inputs.is_empty() {
        let _ = writeln!(out, "input {}", graph.inputs.join(", "));
    }
    for param in &graph.params {
        let _ = writeln!(out, "param {}", param_text(param));
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let _ = writeln!(
            out,
            "n{i} = {}({}) [{}]  # {} at {}:{}",
            node.op.name(),
            operands_text(graph, &node.op, true, ", ", "="),
            domain_text(analysis, i),
            node.origin,
            node.pos.line,
            node.pos.col
        );
    }
    let _ = writeln!(out, "output n{}", graph.output.0);
    for (i, pass) in analysis.passes.iter().enumerate() {
        let nodes: Vec<String> = pass.nodes.iter().map(|n| format!("n{}", n.0)).collect();
        let _ = write!(
            out,
            "pass {i} (root n{}): {}",
            pass.root.0,
            nodes.join(", ")
        );
        if !pass.reads.is_empty() {
            let reads: Vec<String> = pass.reads.iter().map(|n| format!("n{}", n.0)).collect();
            let _ = write!(out, "; reads {}", reads.join(", "));
        }
        out.push('\n');
    }
    out
}

/// The graph as Graphviz DOT: a box per node labelled with its operator,
/// operands, origin and domain (blue: DCT, yellow: pixel; a double
/// border: materialized), an edge per video operand, a dashed cluster per
/// fused pass.
pub fn to_dot(graph: &Graph, analysis: &Analysis) -> String {
    let mut out = String::from("digraph effect {\n");
    out += "  rankdir=TB;\n";
    out += "  label=\"blue: DCT domain, yellow: pixel domain, double border: materialized, \
            dashed box: a fused pass\";\n";
    out += "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n";
    let mut placed = vec![false; graph.nodes.len()];
    for (p, pass) in analysis.passes.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{p} {{");
        let _ = writeln!(
            out,
            "    label=\"pass {p} (root n{})\";\n    style=dashed;",
            pass.root.0
        );
        for id in &pass.nodes {
            let i = id.index();
            if i < graph.nodes.len() && !placed[i] {
                placed[i] = true;
                let _ = writeln!(out, "    {}", dot_node(graph, analysis, i));
            }
        }
        out += "  }\n";
    }
    for (i, done) in placed.iter().enumerate() {
        if !done {
            let _ = writeln!(out, "  {}", dot_node(graph, analysis, i));
        }
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        for (name, field) in fields(&node.op) {
            if let Field::Node(from) = field {
                let _ = writeln!(out, "  n{} -> n{i} [label=\"{name}\"];", from.0);
            }
        }
    }
    out += "  output [shape=plaintext, style=\"\"];\n";
    let _ = writeln!(out, "  n{} -> output;", graph.output.0);
    out += "}\n";
    out
}

fn dot_node(graph: &Graph, analysis: &Analysis, i: usize) -> String {
    let node = &graph.nodes[i];
    let mut label = format!("n{i} {}", node.op.name());
    let operands = operands_text(graph, &node.op, false, "\n", " = ");
    if !operands.is_empty() {
        label += "\n";
        label += &operands;
    }
    let domain = analysis.domain.get(i);
    label += &format!(
        "\n{} at {}:{}\n{}",
        node.origin,
        node.pos.line,
        node.pos.col,
        domain_text(analysis, i)
    );
    let passes: Vec<String> = analysis
        .passes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.nodes.iter().any(|n| n.index() == i))
        .map(|(p, _)| p.to_string())
        .collect();
    if !passes.is_empty() {
        let plural = if passes.len() == 1 { "" } else { "es" };
        label += &format!(", pass{plural} {}", passes.join(", "));
    }
    let fill = match domain {
        Some(Domain::Dct) => "#cfe2ff",
        Some(Domain::Pixel) => "#fff3bf",
        None => "#eeeeee",
    };
    let border = if analysis.materialized.get(i) == Some(&true) {
        ", peripheries=2"
    } else {
        ""
    };
    format!(
        "n{i} [label=\"{}\", fillcolor=\"{fill}\"{border}];",
        dot_escape(&label)
    )
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out += "\\\\",
            '"' => out += "\\\"",
            '\n' => out += "\\n",
            c => out.push(c),
        }
    }
    out
}

/// `dct` or `pixel`, with `, materialized` when the result is kept whole.
fn domain_text(analysis: &Analysis, i: usize) -> String {
    let mut s = match analysis.domain.get(i) {
        Some(Domain::Dct) => "dct".to_string(),
        Some(Domain::Pixel) => "pixel".to_string(),
        None => "?".to_string(),
    };
    if analysis.materialized.get(i) == Some(&true) {
        s += ", materialized";
    }
    s
}

/// Operands joined by `sep`: video operands as `nK` (only `with_videos`),
/// a source's input by name, the rest as `name<eq>value`.
fn operands_text(graph: &Graph, op: &Op, with_videos: bool, sep: &str, eq: &str) -> String {
    let params = &graph.params;
    let parts: Vec<String> = fields(op)
        .into_iter()
        .filter(|(_, f)| with_videos || !matches!(f, Field::Node(_)))
        .map(|(name, field)| match field {
            Field::Node(id) => format!("n{}", id.0),
            Field::Input(i) => graph
                .inputs
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("input{i}")),
            Field::Number(e) => format!("{name}{eq}{}", expr_text(e, params)),
            Field::Color(c) => format!("{name}{eq}{}", color_text(c, params)),
            Field::OptionalColor(c) => format!(
                "{name}{eq}{}",
                c.map_or("none".to_string(), |c| color_text(c, params))
            ),
            Field::Text(t) => format!("{name}{eq}{}", text_text(t, params)),
            Field::Shape(s) => format!("{name}{eq}{}", direction_name(s)),
            Field::Matrix(m) => {
                let items: Vec<String> = m.iter().map(|e| expr_text(e, params)).collect();
                format!("{name}{eq}({})", items.join(", "))
            }
        })
        .collect();
    parts.join(sep)
}

fn param_text(param: &ParamDecl) -> String {
    use crate::expr::ParamValue;
    let default = match &param.default {
        ParamValue::Number(v) => number_text(*v),
        ParamValue::Color(c) => color_name(*c),
        ParamValue::Text(s) => quote(s),
    };
    let range = param
        .range
        .map_or(String::new(), |r| format!(" in {}", range_text(r)));
    format!("{} = {default}{range}", param.name)
}

fn param_name(params: &[ParamDecl], i: usize) -> String {
    params
        .get(i)
        .map_or_else(|| format!("param{i}"), |p| p.name.clone())
}

/// A number as the language writes it: `0.5`, `2`, `1e-9`.
fn number_text(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// An expression as the effect language writes it, with parentheses
/// only where precedence needs them.
pub fn expr_text(e: &Expr, params: &[ParamDecl]) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, params);
    out
}

/// Binding strength: sums 1, products 2, unary minus 3, atoms 4.
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 1,
        Expr::Bin(BinOp::Mul | BinOp::Div, ..) => 2,
        Expr::Neg(_) => 3,
        Expr::Const(v) if v.is_sign_negative() => 3,
        _ => 4,
    }
}

fn write_expr(out: &mut String, e: &Expr, params: &[ParamDecl]) {
    let sub = |out: &mut String, e: &Expr, parens: bool| {
        if parens {
            out.push('(');
        }
        write_expr(out, e, params);
        if parens {
            out.push(')');
        }
    };
    match e {
        Expr::Const(v) => *out += &number_text(*v),
        Expr::Time => out.push('t'),
        Expr::Frame => *out += "frame",
        Expr::Param(i) => *out += &param_name(params, *i),
        Expr::Neg(inner) => {
            out.push('-');
            sub(out, inner, precedence(inner) <= 3);
        }
        Expr::Bin(op, a, b) => {
            let p = precedence(e);
            sub(out, a, precedence(a) < p);
            *out += match op {
                BinOp::Add => " + ",
                BinOp::Sub => " - ",
                BinOp::Mul => " * ",
                BinOp::Div => " / ",
            };
            sub(out, b, precedence(b) <= p);
        }
        Expr::Call(f, args) => {
            *out += f.name();
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    *out += ", ";
                }
                sub(out, arg, false);
            }
            out.push(')');
        }
    }
}

pub fn color_text(c: &ColorExpr, params: &[ParamDecl]) -> String {
    match c {
        ColorExpr::Const(c) => color_name(*c),
        ColorExpr::Param(i) => param_name(params, *i),
        ColorExpr::Rgba(parts) => {
            let parts: Vec<String> = parts.iter().map(|e| expr_text(e, params)).collect();
            format!("rgba({})", parts.join(", "))
        }
    }
}

pub fn text_text(t: &TextExpr, params: &[ParamDecl]) -> String {
    match t {
        TextExpr::Const(s) => quote(s),
        TextExpr::Param(i) => param_name(params, *i),
    }
}

/// A string literal of the language.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Func;

    fn c(v: f64) -> Box<Expr> {
        Box::new(Expr::Const(v))
    }

    #[test]
    fn expressions_print_with_minimal_parentheses() {
        let params = [ParamDecl {
            name: "mix".into(),
            default: crate::expr::ParamValue::Number(0.5),
            range: None,
        }];
        let t = || Box::new(Expr::Time);
        let e = Expr::Bin(BinOp::Mul, c(0.5), t());
        assert_eq!(expr_text(&e, &params), "0.5 * t");
        let sum = Expr::Bin(BinOp::Add, Box::new(Expr::Param(0)), c(1.0));
        let e = Expr::Bin(BinOp::Mul, Box::new(sum.clone()), t());
        assert_eq!(expr_text(&e, &params), "(mix + 1) * t");
        let e = Expr::Bin(BinOp::Sub, t(), Box::new(sum));
        assert_eq!(expr_text(&e, &params), "t - (mix + 1)");
        let e = Expr::Call(Func::Ramp, vec![Expr::Const(0.0), Expr::Const(2.0)]);
        assert_eq!(expr_text(&e, &params), "ramp(0, 2)");
        let e = Expr::Neg(Box::new(Expr::Bin(BinOp::Add, t(), c(-1.0))));
        assert_eq!(expr_text(&e, &params), "-(t + -1)");
        assert_eq!(expr_text(&Expr::Const(1e-9), &params), "1e-9");
        assert_eq!(quote("a \"b\" \\"), r#""a \"b\" \\""#);
    }
}
