//! Names, types and lowering: statements to the operator graph.
//!
//! Every expression evaluates, at compile time, to a [`Value`]: numbers,
//! colours and texts become the per-frame operand expressions of
//! [`crate::expr`] (constants folded), videos become graph nodes. A
//! let-binding stores its value, so a video bound once is one node
//! however often it is used, and a numeric binding is substituted where
//! it is used.

use std::collections::HashMap;

use super::ast::{self, ExprKind, Name, Stmt};
use super::effects::{self, ArgValue, Args, EffectSpec, Kind};
use super::suggest;
use super::{Fault, LineIndex, MAX_EXPR_DEPTH, MAX_GRAPH_BYTES, Span};
use crate::expr::{BinOp, ColorExpr, Env, Expr, Func, ParamValue, Rgba, TextExpr};
use crate::graph::{Graph, Node, NodeId, Op, ParamDecl};
use crate::print::{Field, fields};

/// What an expression of the language evaluates to at compile time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Number(Expr),
    Color(ColorExpr),
    Text(TextExpr),
    /// Two numbers or more; two make a point.
    Tuple(Vec<Expr>),
    Video(NodeId),
    /// `none`.
    Nothing,
}

impl Value {
    /// The type, with its article, for messages.
    fn kind(&self) -> String {
        match self {
            Value::Number(_) => "a number".into(),
            Value::Color(_) => "a colour".into(),
            Value::Text(_) => "a text".into(),
            Value::Tuple(items) if items.len() == 2 => "a point".into(),
            Value::Tuple(items) => format!("a {}-tuple", items.len()),
            Value::Video(_) => "a video".into(),
            Value::Nothing => "`none`".into(),
        }
    }

    /// The type, saying so when a number, colour or text is not
    /// constant (where a constant is needed).
    fn kind_constness(&self) -> String {
        let constant = match self {
            Value::Number(e) => e.is_constant(),
            Value::Color(c) => c.is_constant(),
            Value::Text(t) => matches!(t, TextExpr::Const(_)),
            _ => true,
        };
        if constant {
            self.kind()
        } else {
            format!("{} that is not constant", self.kind())
        }
    }

    /// Roughly what a copy of the value allocates.
    fn bytes(&self) -> usize {
        let expr = size_of::<Expr>();
        match self {
            Value::Number(e) => terms(e) * expr,
            Value::Color(c) => color_terms(c) * expr,
            Value::Text(TextExpr::Const(s)) => s.len(),
            Value::Tuple(items) => items.iter().map(terms).sum::<usize>() * expr,
            Value::Text(TextExpr::Param(_)) | Value::Video(_) | Value::Nothing => 0,
        }
    }
}

/// Builds the node list and keeps the allocation budget.
#[derive(Debug)]
pub(crate) struct Builder {
    nodes: Vec<Node>,
    lines: LineIndex,
    /// Bytes allocated so far, against [`MAX_GRAPH_BYTES`].
    spent: usize,
}

impl Builder {
    fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Fault> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > MAX_GRAPH_BYTES {
            return Err(Fault::new(
                span,
                format!(
                    "the effect is too large once let-bindings are substituted \
                     (over {} MiB of graph)",
                    MAX_GRAPH_BYTES >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Appends a node made by the call at `span`. Its operands are
    /// earlier nodes, which keeps the list in topological order.
    pub fn push(&mut self, op: Op, origin: &str, span: Span) -> Result<NodeId, Fault> {
        let deepest = fields(&op)
            .iter()
            .map(|(_, field)| match field {
                Field::Number(e) => depth(e),
                Field::Color(c) => color_depth(c),
                Field::OptionalColor(c) => c.map_or(0, color_depth),
                Field::Matrix(m) => m.iter().map(depth).max().unwrap_or(0),
                Field::Node(_) | Field::Text(_) | Field::Shape(_) | Field::Input(_) => 0,
            })
            .max()
            .unwrap_or(0);
        if deepest > MAX_EXPR_DEPTH {
            return Err(too_deep(span));
        }
        self.charge(size_of::<Node>() + origin.len(), span)?;
        let id = NodeId(
            u32::try_from(self.nodes.len())
                .map_err(|_| Fault::new(span, "the effect has too many nodes"))?,
        );
        self.nodes.push(Node {
            op,
            origin: origin.to_string(),
            pos: self.lines.pos(span.start),
        });
        Ok(id)
    }
}

fn too_deep(span: Span) -> Fault {
    Fault::new(
        span,
        format!(
            "this expression nests more than {MAX_EXPR_DEPTH} levels deep \
             once let-bindings are substituted"
        ),
    )
}

struct Binding {
    value: Value,
    /// The declared name.
    span: Span,
}

struct Lowerer {
    b: Builder,
    names: HashMap<String, Binding>,
    inputs: Vec<String>,
    params: Vec<ParamDecl>,
    /// The output node and the `output` keyword.
    output: Option<(NodeId, Span)>,
}

/// Names with a built-in meaning, which declarations cannot take.
fn is_builtin(name: &str) -> bool {
    matches!(name, "t" | "frame" | "none" | "rgb" | "rgba")
        || effects::COLOR_NAMES.iter().any(|(n, _)| *n == name)
        || Func::from_name(name).is_some()
        || effects::find(name).is_some()
}

/// Built-in names that denote values (for suggestions).
fn builtin_values() -> Vec<&'static str> {
    ["t", "frame", "none"]
        .into_iter()
        .chain(effects::COLOR_NAMES.iter().map(|(n, _)| *n))
        .collect()
}

/// Callable names (for suggestions).
fn callables() -> impl Iterator<Item = &'static str> {
    effects::EFFECTS
        .iter()
        .map(|e| e.name)
        .chain(Func::ALL.iter().map(|f| f.name()))
        .chain(["rgb", "rgba"])
}

pub(crate) fn lower(stmts: &[Stmt], source: &str) -> Result<Graph, Fault> {
    let mut l = Lowerer {
        b: Builder {
            nodes: Vec::new(),
            lines: LineIndex::new(source),
            spent: 0,
        },
        names: HashMap::new(),
        inputs: Vec::new(),
        params: Vec::new(),
        output: None,
    };
    for stmt in stmts {
        l.stmt(stmt)?;
    }
    let end = source.trim_end().len();
    let (output, keyword) = l.output.ok_or_else(|| {
        Fault::new(
            Span::new(end, end),
            "the effect has no `output` statement (end it with `output <video>;`)",
        )
    })?;
    if l.inputs.is_empty() {
        return Err(Fault::new(
            keyword,
            "the effect declares no `input` (the first input sets the output's size and rate)",
        ));
    }
    let (nodes, output) = prune(l.b.nodes, output);
    let graph = Graph {
        inputs: l.inputs,
        params: l.params,
        nodes,
        output,
    };
    graph
        .validate()
        .map_err(|e| Fault::new(keyword, format!("internal error: {e}")))?;
    Ok(graph)
}

/// Keeps the nodes `output` depends on, renumbered in the same order.
fn prune(nodes: Vec<Node>, output: NodeId) -> (Vec<Node>, NodeId) {
    let mut keep = vec![false; nodes.len()];
    keep[output.index()] = true;
    for i in (0..=output.index()).rev() {
        if keep[i] {
            for o in nodes[i].op.operands() {
                keep[o.index()] = true;
            }
        }
    }
    let mut renumber = vec![NodeId(0); nodes.len()];
    let mut kept = Vec::new();
    for (i, mut node) in nodes.into_iter().enumerate() {
        if keep[i] {
            remap(&mut node.op, &renumber);
            renumber[i] = NodeId(kept.len() as u32);
            kept.push(node);
        }
    }
    let output = renumber[output.index()];
    (kept, output)
}

fn remap(op: &mut Op, renumber: &[NodeId]) {
    let r = |id: &mut NodeId| *id = renumber[id.index()];
    match op {
        Op::Source { .. } | Op::Solid { .. } => {}
        Op::Mix { a, b, .. } | Op::Wipe { a, b, .. } => {
            r(a);
            r(b);
        }
        Op::Over { fg, bg } => {
            r(fg);
            r(bg);
        }
        Op::Warp { src, .. }
        | Op::Key { src, .. }
        | Op::Border { src, .. }
        | Op::Text { src, .. }
        | Op::Crop { src, .. }
        | Op::Adjust { src, .. } => r(src),
    }
}

impl Lowerer {
    fn stmt(&mut self, stmt: &Stmt) -> Result<(), Fault> {
        match stmt {
            Stmt::Input(names) => {
                for name in names {
                    self.check_new(name)?;
                    let input = self.inputs.len();
                    self.inputs.push(name.text.clone());
                    let id = self.b.push(Op::Source { input }, "input", name.span)?;
                    self.declare(name, Value::Video(id));
                }
            }
            Stmt::Param {
                name,
                default,
                range,
            } => self.param(name, default, range.as_ref())?,
            Stmt::Let { name, value } => {
                self.check_new(name)?;
                let value = self.expr(value)?;
                self.declare(name, value);
            }
            Stmt::Output { keyword, value } => {
                if let Some((_, first)) = self.output {
                    let at = self.b.lines.pos(first.start);
                    return Err(Fault::new(
                        *keyword,
                        format!(
                            "a second `output`: an effect has exactly one, and it already \
                             has one at line {}, column {}",
                            at.line, at.col
                        ),
                    ));
                }
                match self.expr(value)? {
                    Value::Video(id) => self.output = Some((id, *keyword)),
                    other => {
                        return Err(Fault::new(
                            value.span,
                            format!("the output must be a video, found {}", other.kind()),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Refuses built-in and already declared names.
    fn check_new(&self, name: &Name) -> Result<(), Fault> {
        if is_builtin(&name.text) {
            return Err(Fault::new(
                name.span,
                format!("`{}` is a built-in name; choose another", name.text),
            ));
        }
        if let Some(earlier) = self.names.get(&name.text) {
            let at = self.b.lines.pos(earlier.span.start);
            return Err(Fault::new(
                name.span,
                format!(
                    "`{}` is already declared at line {}, column {}",
                    name.text, at.line, at.col
                ),
            ));
        }
        Ok(())
    }

    fn declare(&mut self, name: &Name, value: Value) {
        self.names.insert(
            name.text.clone(),
            Binding {
                value,
                span: name.span,
            },
        );
    }

    fn param(
        &mut self,
        name: &Name,
        default: &ast::Expr,
        range: Option<&(ast::Expr, ast::Expr)>,
    ) -> Result<(), Fault> {
        self.check_new(name)?;
        let index = self.params.len();
        let (default_value, value) = match self.expr(default)? {
            Value::Number(Expr::Const(v)) => {
                (ParamValue::Number(v), Value::Number(Expr::Param(index)))
            }
            Value::Color(ColorExpr::Const(c)) => {
                (ParamValue::Color(c), Value::Color(ColorExpr::Param(index)))
            }
            Value::Text(TextExpr::Const(s)) => {
                (ParamValue::Text(s), Value::Text(TextExpr::Param(index)))
            }
            other => {
                return Err(Fault::new(
                    default.span,
                    format!(
                        "a parameter's default must be a constant number, colour or text, \
                         found {}",
                        other.kind_constness()
                    ),
                ));
            }
        };
        let range = match (range, &default_value) {
            (None, _) => None,
            (Some((lo, hi)), ParamValue::Number(v)) => {
                let lo_value = self.constant_number(lo, "a range's lower bound")?;
                let hi_value = self.constant_number(hi, "a range's upper bound")?;
                if lo_value > hi_value {
                    return Err(Fault::new(
                        lo.span.to(hi.span),
                        format!("empty range: {lo_value} is above {hi_value}"),
                    ));
                }
                if !(lo_value..=hi_value).contains(v) {
                    return Err(Fault::new(
                        default.span,
                        format!(
                            "the default {v} of `{}` is outside its range {lo_value}..{hi_value}",
                            name.text
                        ),
                    ));
                }
                Some((lo_value, hi_value))
            }
            (Some((lo, hi)), _) => {
                return Err(Fault::new(
                    lo.span.to(hi.span),
                    "only numeric parameters take a range",
                ));
            }
        };
        self.params.push(ParamDecl {
            name: name.text.clone(),
            default: default_value,
            range,
        });
        self.declare(name, value);
        Ok(())
    }

    fn constant_number(&mut self, expr: &ast::Expr, what: &str) -> Result<f64, Fault> {
        match self.expr(expr)? {
            Value::Number(Expr::Const(v)) => Ok(v),
            other => Err(Fault::new(
                expr.span,
                format!(
                    "{what} must be a constant number, found {}",
                    other.kind_constness()
                ),
            )),
        }
    }

    fn expr(&mut self, expr: &ast::Expr) -> Result<Value, Fault> {
        let span = expr.span;
        let at = |message: String| Fault::new(span, message);
        Ok(match &expr.kind {
            ExprKind::Number(v) => Value::Number(Expr::Const(*v)),
            ExprKind::Str(s) => Value::Text(TextExpr::Const(s.clone())),
            ExprKind::Color(c) => Value::Color(ColorExpr::Const(*c)),
            ExprKind::Name(name) => self.name(name, span)?,
            ExprKind::Tuple(items) => {
                let mut numbers = Vec::with_capacity(items.len());
                for item in items {
                    numbers.push(self.number(item, "an element of a tuple")?);
                }
                Value::Tuple(numbers)
            }
            ExprKind::Neg(operand) => match self.expr(operand)? {
                Value::Number(e) => Value::Number(self.checked(fold_neg(e).map_err(at)?, span)?),
                Value::Tuple(items) => Value::Tuple(
                    items
                        .into_iter()
                        .map(|e| fold_neg(e).map_err(at))
                        .collect::<Result<_, _>>()?,
                ),
                other => {
                    return Err(at(format!(
                        "`-` takes a number or a point, found {}",
                        other.kind()
                    )));
                }
            },
            ExprKind::Bin(op, lhs, rhs) => self.binary(*op, lhs, rhs, span)?,
            ExprKind::Call(call) => self.call(call, span)?,
        })
    }

    /// A numeric expression, or a type error naming `what` it is.
    fn number(&mut self, expr: &ast::Expr, what: &str) -> Result<Expr, Fault> {
        match self.expr(expr)? {
            Value::Number(e) => Ok(e),
            other => Err(Fault::new(
                expr.span,
                format!("{what} must be a number, found {}", other.kind()),
            )),
        }
    }

    fn checked(&self, e: Expr, span: Span) -> Result<Expr, Fault> {
        if depth(&e) > MAX_EXPR_DEPTH {
            Err(too_deep(span))
        } else {
            Ok(e)
        }
    }

    fn name(&mut self, name: &str, span: Span) -> Result<Value, Fault> {
        if let Some(binding) = self.names.get(name) {
            let value = binding.value.clone();
            self.b.charge(value.bytes(), span)?;
            return Ok(value);
        }
        if let Some((_, c)) = effects::COLOR_NAMES.iter().find(|(n, _)| *n == name) {
            return Ok(Value::Color(ColorExpr::Const(*c)));
        }
        let message = match name {
            "t" => return Ok(Value::Number(Expr::Time)),
            "frame" => return Ok(Value::Number(Expr::Frame)),
            "none" => return Ok(Value::Nothing),
            _ if effects::direction(name).is_some() => format!(
                "`{name}` is a wipe direction; it names one only as the `direction` of `wipe`"
            ),
            _ if effects::find(name).is_some() => {
                format!("`{name}` is an effect; call it with its arguments: `{name}(...)`")
            }
            _ if is_builtin(name) => {
                format!("`{name}` is a function; call it with its arguments: `{name}(...)`")
            }
            _ => {
                let declared = self.names.keys().map(String::as_str);
                let hint = suggest::hint(name, declared.chain(builtin_values()));
                format!("unknown name `{name}`{hint}")
            }
        };
        Err(Fault::new(span, message))
    }

    fn binary(
        &mut self,
        op: BinOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Result<Value, Fault> {
        let symbol = match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        };
        let operand = |this: &mut Self, e: &ast::Expr| match this.expr(e)? {
            v @ (Value::Number(_) | Value::Tuple(_)) => Ok(v),
            other => Err(Fault::new(
                e.span,
                format!("`{symbol}` takes numbers or points, found {}", other.kind()),
            )),
        };
        let a = operand(self, lhs)?;
        let b = operand(self, rhs)?;
        let at = |message: String| Fault::new(span, message);
        let value = match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                Value::Number(self.checked(fold(op, x, y).map_err(at)?, span)?)
            }
            (Value::Tuple(xs), Value::Tuple(ys))
                if matches!(op, BinOp::Add | BinOp::Sub) && xs.len() == ys.len() =>
            {
                let mut out = Vec::with_capacity(xs.len());
                for (x, y) in xs.into_iter().zip(ys) {
                    out.push(self.checked(fold(op, x, y).map_err(at)?, span)?);
                }
                Value::Tuple(out)
            }
            (Value::Number(k), Value::Tuple(ys)) if op == BinOp::Mul => {
                let mut out = Vec::with_capacity(ys.len());
                for y in ys {
                    out.push(self.checked(fold(op, k.clone(), y).map_err(at)?, span)?);
                }
                Value::Tuple(out)
            }
            (Value::Tuple(xs), Value::Number(k)) if matches!(op, BinOp::Mul | BinOp::Div) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    out.push(self.checked(fold(op, x, k.clone()).map_err(at)?, span)?);
                }
                Value::Tuple(out)
            }
            (a, b) => {
                return Err(at(format!(
                    "cannot apply `{symbol}` to {} and {} (points add and subtract \
                     elementwise and scale by numbers)",
                    a.kind(),
                    b.kind()
                )));
            }
        };
        Ok(value)
    }

    fn call(&mut self, call: &ast::Call, span: Span) -> Result<Value, Fault> {
        let name = call.name.text.as_str();
        if let Some(effect) = effects::find(name) {
            return Ok(Value::Video(self.effect(effect, call, span)?));
        }
        if let Some(func) = Func::from_name(name) {
            let args = self.plain_args(call, func.arity(), span)?;
            return Ok(Value::Number(self.checked(fold_call(func, args), span)?));
        }
        if matches!(name, "rgb" | "rgba") {
            return self.rgba(call, span);
        }
        let message = if self.names.contains_key(name) {
            format!("`{name}` is not a function or effect")
        } else {
            let candidates = callables();
            match suggest::closest(name, candidates) {
                Some(c) if effects::find(c).is_some() => {
                    format!("unknown effect `{name}`; did you mean `{c}`?")
                }
                Some(c) => format!("unknown function `{name}`; did you mean `{c}`?"),
                None => format!("unknown effect or function `{name}`"),
            }
        };
        Err(Fault::new(call.name.span, message))
    }

    /// The numeric arguments of a built-in function: positional only,
    /// exactly `arity` of them.
    fn plain_args(
        &mut self,
        call: &ast::Call,
        arity: usize,
        span: Span,
    ) -> Result<Vec<Expr>, Fault> {
        let name = &call.name.text;
        if let Some((arg, _)) = call.named.first() {
            return Err(Fault::new(
                arg.span,
                format!("`{name}` takes no named arguments"),
            ));
        }
        if call.positional.len() != arity {
            let plural = if arity == 1 { "" } else { "s" };
            return Err(Fault::new(
                span,
                format!(
                    "`{name}` takes {arity} argument{plural}, found {}",
                    call.positional.len()
                ),
            ));
        }
        let mut args = Vec::with_capacity(arity);
        for (i, arg) in call.positional.iter().enumerate() {
            args.push(self.number(arg, &format!("argument {} of `{name}`", i + 1))?);
        }
        Ok(args)
    }

    /// `rgb(r, g, b)` and `rgba(r, g, b, a)`: components 0..255, alpha
    /// 0..1; constant when all parts are.
    fn rgba(&mut self, call: &ast::Call, span: Span) -> Result<Value, Fault> {
        let arity = if call.name.text == "rgb" { 3 } else { 4 };
        let mut parts = self.plain_args(call, arity, span)?;
        for (i, part) in parts.iter().enumerate() {
            let hi = if i == 3 { 1.0 } else { 255.0 };
            if let Expr::Const(v) = part
                && !(0.0..=hi).contains(v)
            {
                return Err(Fault::new(
                    call.positional[i].span,
                    format!(
                        "argument {} of `{}` must be in 0..{hi}, found {v}",
                        i + 1,
                        call.name.text
                    ),
                ));
            }
        }
        if arity == 3 {
            parts.push(Expr::Const(1.0));
        }
        let constant: Option<Vec<f64>> = parts
            .iter()
            .map(|p| match p {
                Expr::Const(v) => Some(*v),
                _ => None,
            })
            .collect();
        let color = match (constant.as_deref(), <[Expr; 4]>::try_from(parts)) {
            (Some(&[r, g, b, a]), _) => ColorExpr::Const(Rgba { r, g, b, a }),
            (_, Ok(parts)) => ColorExpr::Rgba(Box::new(parts)),
            (_, Err(_)) => return Err(Fault::new(span, "internal error: colour parts")),
        };
        Ok(Value::Color(color))
    }

    /// Binds a call's arguments to `effect`'s, checks them and lowers it.
    fn effect(
        &mut self,
        effect: &EffectSpec,
        call: &ast::Call,
        span: Span,
    ) -> Result<NodeId, Fault> {
        let name = effect.name;
        let count = effect.args.len();
        if let Some(extra) = call.positional.get(count) {
            let plural = if count == 1 { "" } else { "s" };
            return Err(Fault::new(
                extra.span,
                format!(
                    "`{name}` takes at most {count} positional argument{plural}, found {}",
                    call.positional.len()
                ),
            ));
        }
        let mut given: Vec<Option<(&ast::Expr, Span)>> = vec![None; count];
        for (i, arg) in call.positional.iter().enumerate() {
            given[i] = Some((arg, arg.span));
        }
        for (arg_name, arg) in &call.named {
            let Some(i) = effect.arg_index(&arg_name.text) else {
                let names = effect.args.iter().map(|a| a.name);
                let message = match suggest::closest(&arg_name.text, names) {
                    Some(c) => format!(
                        "`{name}` has no argument `{}`; did you mean `{c}`?",
                        arg_name.text
                    ),
                    None => {
                        let all: Vec<&str> = effect.args.iter().map(|a| a.name).collect();
                        format!(
                            "`{name}` has no argument `{}` (its arguments are {})",
                            arg_name.text,
                            all.join(", ")
                        )
                    }
                };
                return Err(Fault::new(arg_name.span, message));
            };
            if given[i].is_some() {
                return Err(Fault::new(
                    arg_name.span,
                    format!("argument `{}` of `{name}` is given twice", arg_name.text),
                ));
            }
            given[i] = Some((arg, arg_name.span.to(arg.span)));
        }
        for (spec, g) in effect.args.iter().zip(&given) {
            if g.is_none() && spec.default == effects::ArgDefault::Required {
                return Err(Fault::new(
                    call.name.span,
                    format!("`{name}` is missing its argument `{}`", spec.name),
                ));
            }
        }
        let mut args = Args {
            values: Vec::with_capacity(count),
            given: given.iter().map(|g| g.map(|(_, s)| s)).collect(),
            span,
        };
        for (spec, g) in effect.args.iter().zip(&given) {
            let value = match g {
                Some((arg, _)) => self.arg(effect, spec, arg)?,
                None => ArgValue::default_of(spec),
            };
            args.values.push(value);
        }
        effects::lower(effect, &args, &mut self.b)
    }

    /// One argument checked against its kind and range.
    fn arg(
        &mut self,
        effect: &EffectSpec,
        spec: &effects::ArgSpec,
        expr: &ast::Expr,
    ) -> Result<ArgValue, Fault> {
        if spec.kind == Kind::Direction {
            return self.direction(spec, expr);
        }
        let value = self.expr(expr)?;
        let mismatch = |value: &Value| {
            Fault::new(
                expr.span,
                format!(
                    "`{}` of {} takes a {}, found {}",
                    spec.name,
                    effect.name,
                    spec.kind.name(),
                    value.kind()
                ),
            )
        };
        Ok(match (spec.kind, value) {
            (Kind::Video, Value::Video(id)) => ArgValue::Video(id),
            (Kind::Number, Value::Number(e)) => {
                if let Expr::Const(v) = e
                    && let Some(message) = spec.range_fault(v)
                {
                    return Err(Fault::new(expr.span, message));
                }
                ArgValue::Number(e)
            }
            (Kind::NumberOrPoint, Value::Number(e)) => ArgValue::Point(e.clone(), e),
            (Kind::Point | Kind::NumberOrPoint, Value::Tuple(items)) if items.len() == 2 => {
                let [x, y] =
                    <[Expr; 2]>::try_from(items).map_err(|v| mismatch(&Value::Tuple(v)))?;
                ArgValue::Point(x, y)
            }
            (Kind::Matrix, Value::Tuple(items)) if items.len() == 6 => ArgValue::Matrix(Box::new(
                <[Expr; 6]>::try_from(items).map_err(|v| mismatch(&Value::Tuple(v)))?,
            )),
            (Kind::Color | Kind::OptionalColor, Value::Color(c)) => ArgValue::Color(c),
            (Kind::OptionalColor | Kind::Matrix, Value::Nothing) => ArgValue::Nothing,
            (Kind::Text, Value::Text(t)) => ArgValue::Text(t),
            (_, other) => return Err(mismatch(&other)),
        })
    }

    /// A wipe shape: a bare direction name or a constant string.
    fn direction(&mut self, spec: &effects::ArgSpec, expr: &ast::Expr) -> Result<ArgValue, Fault> {
        if let ExprKind::Name(name) = &expr.kind
            && let Some(shape) = effects::direction(name)
        {
            return Ok(ArgValue::Shape(shape));
        }
        let names: Vec<&str> = effects::DIRECTIONS.iter().map(|(n, _)| *n).collect();
        let message = match self.expr(expr)? {
            Value::Text(TextExpr::Const(s)) => match effects::direction(&s) {
                Some(shape) => return Ok(ArgValue::Shape(shape)),
                None => format!(
                    "unknown direction `{s}`{} (directions: {})",
                    suggest::hint(&s, names.iter().copied()),
                    names.join(", ")
                ),
            },
            Value::Text(TextExpr::Param(_)) => format!(
                "`{}` must be a constant: one of {}",
                spec.name,
                names.join(", ")
            ),
            other => format!(
                "`{}` of wipe takes a direction ({}), found {}",
                spec.name,
                names.join(", "),
                other.kind()
            ),
        };
        Err(Fault::new(expr.span, message))
    }
}

/// `a op b`, folded when both are constant, and simplified where an
/// operand is the constant 0 or 1. A constant result must be finite;
/// division by a constant 0 is an error.
pub(crate) fn fold(op: BinOp, a: Expr, b: Expr) -> Result<Expr, String> {
    use Expr::Const;
    if op == BinOp::Div && b == Const(0.0) {
        return Err("division by zero".into());
    }
    if op == BinOp::Mul {
        // k1 * (k2 * e) and (k2 * e) * k1 become (k1 k2) * e.
        let scaled = match (&a, &b) {
            (Const(k), other) | (other, Const(k)) => Some((*k, other)),
            _ => None,
        };
        if let Some((k, Expr::Bin(BinOp::Mul, inner, e))) = scaled
            && let Const(j) = **inner
        {
            return fold(BinOp::Mul, Const(k * j), (**e).clone());
        }
    }
    Ok(match (op, &a, &b) {
        (_, Const(x), Const(y)) => {
            let v = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
            };
            if !v.is_finite() {
                return Err("the value of this expression is not a finite number".into());
            }
            // + 0.0 turns -0 into 0.
            Const(v + 0.0)
        }
        (BinOp::Add, Const(z), _) if *z == 0.0 => b,
        (BinOp::Add | BinOp::Sub, _, Const(z)) if *z == 0.0 => a,
        (BinOp::Sub, Const(z), _) if *z == 0.0 => fold_neg(b)?,
        (BinOp::Mul, Const(z), _) | (BinOp::Mul, _, Const(z)) if *z == 0.0 => Const(0.0),
        (BinOp::Mul, Const(one), _) if *one == 1.0 => b,
        (BinOp::Mul | BinOp::Div, _, Const(one)) if *one == 1.0 => a,
        _ => Expr::Bin(op, Box::new(a), Box::new(b)),
    })
}

/// `-e`, folded.
pub(crate) fn fold_neg(e: Expr) -> Result<Expr, String> {
    Ok(match e {
        Expr::Const(v) => Expr::Const(-v + 0.0),
        Expr::Neg(inner) => *inner,
        e => Expr::Neg(Box::new(e)),
    })
}

/// A call of a built-in function, folded when its arguments are
/// constant (`ramp` reads the time, so it never is).
fn fold_call(func: Func, args: Vec<Expr>) -> Expr {
    let call = Expr::Call(func, args);
    if call.is_constant() {
        let env = Env {
            frame: 0,
            t: 0.0,
            params: &[],
        };
        Expr::Const(call.eval(&env) + 0.0)
    } else {
        call
    }
}

/// Levels of an expression tree (1 for a leaf).
pub(crate) fn depth(e: &Expr) -> u32 {
    match e {
        Expr::Const(_) | Expr::Time | Expr::Frame | Expr::Param(_) => 1,
        Expr::Neg(inner) => 1 + depth(inner),
        Expr::Bin(_, a, b) => 1 + depth(a).max(depth(b)),
        Expr::Call(_, args) => 1 + args.iter().map(depth).max().unwrap_or(0),
    }
}

fn color_depth(c: &ColorExpr) -> u32 {
    match c {
        ColorExpr::Const(_) | ColorExpr::Param(_) => 1,
        ColorExpr::Rgba(parts) => 1 + parts.iter().map(depth).max().unwrap_or(0),
    }
}

/// Terms of an expression tree.
fn terms(e: &Expr) -> usize {
    match e {
        Expr::Const(_) | Expr::Time | Expr::Frame | Expr::Param(_) => 1,
        Expr::Neg(inner) => 1 + terms(inner),
        Expr::Bin(_, a, b) => 1 + terms(a) + terms(b),
        Expr::Call(_, args) => 1 + args.iter().map(terms).sum::<usize>(),
    }
}

fn color_terms(c: &ColorExpr) -> usize {
    match c {
        ColorExpr::Const(_) | ColorExpr::Param(_) => 1,
        ColorExpr::Rgba(parts) => 1 + parts.iter().map(terms).sum::<usize>(),
    }
}
