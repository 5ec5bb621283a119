//! The effects of the language (functions that return a video): their
//! signatures, and how each lowers to primitive operators.
//!
//! The signatures are data ([`EFFECTS`]) so that argument binding, type
//! checking, range checks, error messages and the documentation's tables
//! (`docs/effects.md`, checked by a test) all come from one place.

use super::lower::{Builder, fold, fold_neg};
use super::{Fault, Span};
use crate::expr::{BinOp, ColorExpr, Expr, Func, Rgba, TextExpr};
use crate::graph::{NodeId, Op, WipeShape};

/// What an argument takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Video,
    Number,
    Color,
    Text,
    /// `(x, y)`.
    Point,
    /// A number `s` (meaning `(s, s)`) or a point.
    NumberOrPoint,
    /// A wipe shape: a bare name or a string.
    Direction,
    /// Six numbers `(m0, m1, m2, m3, m4, m5)`.
    Matrix,
    /// A colour or `none`.
    OptionalColor,
}

impl Kind {
    /// How the kind reads in messages and signatures.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Video => "video",
            Kind::Number => "number",
            Kind::Color => "colour",
            Kind::Text => "text",
            Kind::Point => "point",
            Kind::NumberOrPoint => "number or point",
            Kind::Direction => "direction",
            Kind::Matrix => "matrix",
            Kind::OptionalColor => "colour or none",
        }
    }
}

/// An argument's value when it is not given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArgDefault {
    Required,
    Number(f64),
    Color(Rgba),
    Point(f64, f64),
    Direction(WipeShape),
    /// Absent (`none`): the effect does without.
    Nothing,
}

/// One argument of an effect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArgSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: ArgDefault,
    /// Allowed values of a number (inclusive; `hi` may be infinite).
    pub range: Option<(f64, f64)>,
}

/// An effect: its name and arguments in positional order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectSpec {
    pub name: &'static str,
    pub args: &'static [ArgSpec],
    /// One line on what it does.
    pub summary: &'static str,
}

const UNIT: Option<(f64, f64)> = Some((0.0, 1.0));
const NON_NEGATIVE: Option<(f64, f64)> = Some((0.0, f64::INFINITY));
const WHITE: Rgba = Rgba::opaque(255.0, 255.0, 255.0);

const fn arg(name: &'static str, kind: Kind, default: ArgDefault) -> ArgSpec {
    ArgSpec {
        name,
        kind,
        default,
        range: None,
    }
}

const fn video(name: &'static str) -> ArgSpec {
    arg(name, Kind::Video, ArgDefault::Required)
}

const fn number(name: &'static str, default: ArgDefault, range: Option<(f64, f64)>) -> ArgSpec {
    ArgSpec {
        name,
        kind: Kind::Number,
        default,
        range,
    }
}

const fn point(name: &'static str) -> ArgSpec {
    arg(name, Kind::Point, ArgDefault::Point(0.0, 0.0))
}

const REQUIRED: ArgDefault = ArgDefault::Required;

/// Every effect, in the order the documentation lists them.
pub const EFFECTS: &[EffectSpec] = &[
    EffectSpec {
        name: "dissolve",
        summary: "cross-dissolve: `a` at mix 0, `b` at mix 1",
        args: &[video("a"), video("b"), number("mix", REQUIRED, UNIT)],
    },
    EffectSpec {
        name: "fade",
        summary: "fade `src` to a colour: `src` at amount 0, the colour at 1",
        args: &[
            video("src"),
            number("amount", REQUIRED, UNIT),
            arg("color", Kind::Color, ArgDefault::Color(Rgba::BLACK)),
        ],
    },
    EffectSpec {
        name: "wipe",
        summary: "`b` wipes over `a`, covering the fraction `progress` of the frame",
        args: &[
            video("a"),
            video("b"),
            number("progress", REQUIRED, UNIT),
            arg(
                "direction",
                Kind::Direction,
                ArgDefault::Direction(WipeShape::Left),
            ),
            number("softness", ArgDefault::Number(0.02), UNIT),
        ],
    },
    EffectSpec {
        name: "affine",
        summary: "scale, rotate, shear and move `src` (bilinear)",
        args: &[
            video("src"),
            arg("scale", Kind::NumberOrPoint, ArgDefault::Number(1.0)),
            arg("rotate", Kind::Number, ArgDefault::Number(0.0)),
            point("about"),
            point("translate"),
            point("shear"),
            arg("matrix", Kind::Matrix, ArgDefault::Nothing),
            arg("outside", Kind::Color, ArgDefault::Color(Rgba::TRANSPARENT)),
        ],
    },
    EffectSpec {
        name: "chromakey",
        summary: "make pixels near a colour transparent",
        args: &[
            video("src"),
            arg(
                "color",
                Kind::Color,
                ArgDefault::Color(Rgba::opaque(0.0, 255.0, 0.0)),
            ),
            number("tolerance", ArgDefault::Number(0.2), UNIT),
            number("softness", ArgDefault::Number(0.1), UNIT),
            number("spill", ArgDefault::Number(0.5), UNIT),
        ],
    },
    EffectSpec {
        name: "over",
        summary: "`fg` over `bg` by `fg`'s alpha",
        args: &[video("fg"), video("bg")],
    },
    EffectSpec {
        name: "pip",
        summary: "picture in picture: `inset` scaled, framed and placed over `main`",
        args: &[
            video("main"),
            video("inset"),
            number("x", REQUIRED, None),
            number("y", REQUIRED, None),
            number("scale", ArgDefault::Number(0.25), Some((0.01, 1.0))),
            number("border", ArgDefault::Number(0.0), NON_NEGATIVE),
            arg("border_color", Kind::Color, ArgDefault::Color(WHITE)),
        ],
    },
    EffectSpec {
        name: "title",
        summary: "text over `src`, optionally on a box",
        args: &[
            video("src"),
            arg("text", Kind::Text, REQUIRED),
            number("size", ArgDefault::Number(48.0), Some((1.0, 4096.0))),
            arg("color", Kind::Color, ArgDefault::Color(WHITE)),
            number("x", ArgDefault::Number(0.0), None),
            number("y", ArgDefault::Number(0.0), None),
            arg("box", Kind::OptionalColor, ArgDefault::Nothing),
            number("padding", ArgDefault::Number(8.0), NON_NEGATIVE),
        ],
    },
    EffectSpec {
        name: "crop",
        summary: "keep a rectangle of `src`; the rest is transparent",
        args: &[
            video("src"),
            number("x", REQUIRED, None),
            number("y", REQUIRED, None),
            number("width", REQUIRED, NON_NEGATIVE),
            number("height", REQUIRED, NON_NEGATIVE),
        ],
    },
    EffectSpec {
        name: "adjust",
        summary: "brightness, contrast and saturation",
        args: &[
            video("src"),
            number("brightness", ArgDefault::Number(0.0), Some((-1.0, 1.0))),
            number("contrast", ArgDefault::Number(1.0), NON_NEGATIVE),
            number("saturation", ArgDefault::Number(1.0), NON_NEGATIVE),
        ],
    },
    EffectSpec {
        name: "solid",
        summary: "a plain colour",
        args: &[arg("color", Kind::Color, REQUIRED)],
    },
];

/// The effect called `name`.
pub fn find(name: &str) -> Option<&'static EffectSpec> {
    EFFECTS.iter().find(|e| e.name == name)
}

/// Wipe shapes by their names in the language.
pub const DIRECTIONS: [(&str, WipeShape); 6] = [
    ("left", WipeShape::Left),
    ("right", WipeShape::Right),
    ("up", WipeShape::Up),
    ("down", WipeShape::Down),
    ("diagonal", WipeShape::Diagonal),
    ("circle", WipeShape::Circle),
];

pub fn direction(name: &str) -> Option<WipeShape> {
    DIRECTIONS.iter().find(|(n, _)| *n == name).map(|&(_, s)| s)
}

pub fn direction_name(shape: WipeShape) -> &'static str {
    DIRECTIONS
        .iter()
        .find(|&&(_, s)| s == shape)
        .map_or("?", |&(n, _)| n)
}

/// A range as the language writes it: `0..1`, or `0..` when unbounded
/// above.
pub fn range_text((lo, hi): (f64, f64)) -> String {
    if hi.is_infinite() {
        format!("{lo}..")
    } else {
        format!("{lo}..{hi}")
    }
}

impl ArgSpec {
    /// `name: kind [range] [= default]`, as the documentation shows it.
    pub fn signature(&self) -> String {
        let mut s = format!("{}: {}", self.name, self.kind.name());
        if let Some(range) = self.range {
            s += &format!(" {}", range_text(range));
        }
        match self.default {
            ArgDefault::Required => {}
            ArgDefault::Number(v) => s += &format!(" = {v}"),
            ArgDefault::Color(c) => s += &format!(" = {}", color_name(c)),
            ArgDefault::Point(x, y) => s += &format!(" = ({x}, {y})"),
            ArgDefault::Direction(d) => s += &format!(" = {}", direction_name(d)),
            ArgDefault::Nothing => s += " = none",
        }
        s
    }

    /// The message for a constant outside the range, if it is.
    pub fn range_fault(&self, value: f64) -> Option<String> {
        let (lo, hi) = self.range?;
        if (lo..=hi).contains(&value) {
            return None;
        }
        Some(if hi.is_infinite() {
            format!("`{}` must be at least {lo}, found {value}", self.name)
        } else {
            format!(
                "`{}` must be in {}, found {value}",
                self.name,
                range_text((lo, hi))
            )
        })
    }
}

impl EffectSpec {
    /// `name(arg: kind ..., ...)`, as the documentation shows it.
    pub fn signature(&self) -> String {
        let args: Vec<String> = self.args.iter().map(ArgSpec::signature).collect();
        format!("{}({})", self.name, args.join(", "))
    }

    pub fn arg_index(&self, name: &str) -> Option<usize> {
        self.args.iter().position(|a| a.name == name)
    }
}

/// The named colours of the language.
pub const COLOR_NAMES: [(&str, Rgba); 6] = [
    ("black", Rgba::BLACK),
    ("white", WHITE),
    ("red", Rgba::opaque(255.0, 0.0, 0.0)),
    ("green", Rgba::opaque(0.0, 255.0, 0.0)),
    ("blue", Rgba::opaque(0.0, 0.0, 255.0)),
    ("transparent", Rgba::TRANSPARENT),
];

/// A colour's name, or its `#rrggbb[aa]` form.
pub fn color_name(c: Rgba) -> String {
    if let Some((name, _)) = COLOR_NAMES.iter().find(|(_, k)| *k == c) {
        return (*name).to_string();
    }
    let byte = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    let mut s = format!("#{:02x}{:02x}{:02x}", byte(c.r), byte(c.g), byte(c.b));
    if c.a != 1.0 {
        s += &format!("{:02x}", byte(c.a * 255.0));
    }
    s
}

/// An argument once bound and type-checked (or defaulted).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ArgValue {
    Video(NodeId),
    Number(Expr),
    Point(Expr, Expr),
    Color(ColorExpr),
    Text(TextExpr),
    Shape(WipeShape),
    Matrix(Box<[Expr; 6]>),
    Nothing,
}

impl ArgValue {
    pub fn default_of(spec: &ArgSpec) -> ArgValue {
        match spec.default {
            ArgDefault::Number(v) if spec.kind == Kind::NumberOrPoint => {
                ArgValue::Point(Expr::Const(v), Expr::Const(v))
            }
            ArgDefault::Number(v) => ArgValue::Number(Expr::Const(v)),
            ArgDefault::Color(c) => ArgValue::Color(ColorExpr::Const(c)),
            ArgDefault::Point(x, y) => ArgValue::Point(Expr::Const(x), Expr::Const(y)),
            ArgDefault::Direction(d) => ArgValue::Shape(d),
            ArgDefault::Required | ArgDefault::Nothing => ArgValue::Nothing,
        }
    }
}

/// The bound arguments of one call, in the effect's order.
#[derive(Debug)]
pub(crate) struct Args {
    pub values: Vec<ArgValue>,
    /// Where each given argument was written (`None`: defaulted).
    pub given: Vec<Option<Span>>,
    /// The call.
    pub span: Span,
}

impl Args {
    fn bug(&self, i: usize) -> Fault {
        Fault::new(
            self.span,
            format!("internal error: argument {i} has an unexpected kind"),
        )
    }

    fn video(&self, i: usize) -> Result<NodeId, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Video(id)) => Ok(*id),
            _ => Err(self.bug(i)),
        }
    }

    fn number(&self, i: usize) -> Result<Expr, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Number(e)) => Ok(e.clone()),
            _ => Err(self.bug(i)),
        }
    }

    fn point(&self, i: usize) -> Result<(Expr, Expr), Fault> {
        match self.values.get(i) {
            Some(ArgValue::Point(x, y)) => Ok((x.clone(), y.clone())),
            _ => Err(self.bug(i)),
        }
    }

    fn color(&self, i: usize) -> Result<ColorExpr, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Color(c)) => Ok(c.clone()),
            _ => Err(self.bug(i)),
        }
    }

    fn optional_color(&self, i: usize) -> Result<Option<ColorExpr>, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Color(c)) => Ok(Some(c.clone())),
            Some(ArgValue::Nothing) => Ok(None),
            _ => Err(self.bug(i)),
        }
    }

    fn text(&self, i: usize) -> Result<TextExpr, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Text(t)) => Ok(t.clone()),
            _ => Err(self.bug(i)),
        }
    }

    fn shape(&self, i: usize) -> Result<WipeShape, Fault> {
        match self.values.get(i) {
            Some(ArgValue::Shape(s)) => Ok(*s),
            _ => Err(self.bug(i)),
        }
    }
}

/// Lowers a call of `effect` with bound arguments to operator nodes;
/// returns the node that is the call's value.
pub(crate) fn lower(effect: &EffectSpec, args: &Args, b: &mut Builder) -> Result<NodeId, Fault> {
    let name = effect.name;
    let span = args.span;
    let op = match name {
        "dissolve" => Op::Mix {
            a: args.video(0)?,
            b: args.video(1)?,
            amount: args.number(2)?,
        },
        "fade" => {
            let solid = b.push(
                Op::Solid {
                    color: args.color(2)?,
                },
                name,
                span,
            )?;
            Op::Mix {
                a: args.video(0)?,
                b: solid,
                amount: args.number(1)?,
            }
        }
        "wipe" => Op::Wipe {
            a: args.video(0)?,
            b: args.video(1)?,
            shape: args.shape(3)?,
            progress: args.number(2)?,
            softness: args.number(4)?,
        },
        "affine" => Op::Warp {
            src: args.video(0)?,
            matrix: Box::new(affine_matrix(args)?),
            outside: args.color(7)?,
        },
        "chromakey" => Op::Key {
            src: args.video(0)?,
            color: args.color(1)?,
            tolerance: args.number(2)?,
            softness: args.number(3)?,
            spill: args.number(4)?,
        },
        "over" => Op::Over {
            fg: args.video(0)?,
            bg: args.video(1)?,
        },
        "pip" => return pip(args, b),
        "title" => Op::Text {
            src: args.video(0)?,
            text: args.text(1)?,
            size: args.number(2)?,
            color: args.color(3)?,
            x: args.number(4)?,
            y: args.number(5)?,
            background: args.optional_color(6)?,
            padding: args.number(7)?,
        },
        "crop" => Op::Crop {
            src: args.video(0)?,
            x: args.number(1)?,
            y: args.number(2)?,
            width: args.number(3)?,
            height: args.number(4)?,
        },
        "adjust" => Op::Adjust {
            src: args.video(0)?,
            brightness: args.number(1)?,
            contrast: args.number(2)?,
            saturation: args.number(3)?,
        },
        "solid" => Op::Solid {
            color: args.color(0)?,
        },
        _ => {
            return Err(Fault::new(
                span,
                format!("internal error: no lowering for `{name}`"),
            ));
        }
    };
    b.push(op, name, span)
}

/// `pip`: `inset` scaled by `scale` about its top-left corner, moved to
/// (`x`, `y`), framed by `border` output pixels along the edges of the
/// scaled picture, over `main`. The border is drawn after the warp, on
/// the inset's place in the output, so nothing but the inset is kept
/// whole.
fn pip(args: &Args, b: &mut Builder) -> Result<NodeId, Fault> {
    let span = args.span;
    let mut scale = args.number(4)?;
    if !scale.is_constant() {
        // Nothing downstream sees the scale itself: keep it in range here.
        scale = Expr::Call(
            Func::Clamp,
            vec![scale, Expr::Const(0.01), Expr::Const(1.0)],
        );
    }
    let zero = Expr::Const(0.0);
    let matrix = [
        scale.clone(),
        zero.clone(),
        args.number(2)?,
        zero,
        scale,
        args.number(3)?,
    ];
    let mut inset = b.push(
        Op::Warp {
            src: args.video(1)?,
            matrix: Box::new(matrix),
            outside: ColorExpr::Const(Rgba::TRANSPARENT),
        },
        "pip",
        span,
    )?;
    let border = args.number(5)?;
    if border != Expr::Const(0.0) {
        inset = b.push(
            Op::Border {
                src: inset,
                width: border,
                color: args.color(6)?,
            },
            "pip",
            span,
        )?;
    }
    b.push(
        Op::Over {
            fg: inset,
            bg: args.video(0)?,
        },
        "pip",
        span,
    )
}

/// A 2x3 affine matrix `[m0 m1 m2; m3 m4 m5]` of expressions.
type Matrix = [Expr; 6];

/// `affine`'s matrix: the explicit `matrix`, or
/// `T(translate) · T(about) · R(rotate) · H(shear) · S(scale) · T(-about)`.
fn affine_matrix(args: &Args) -> Result<Matrix, Fault> {
    let span = args.span;
    if let Some(ArgValue::Matrix(m)) = args.values.get(6) {
        if let Some(other) = (1..6).find_map(|i| args.given[i]) {
            return Err(Fault::new(
                other,
                "`matrix` replaces `scale`, `rotate`, `about`, `translate` and `shear`; \
                 give either the matrix or those",
            ));
        }
        return Ok((**m).clone());
    }
    let fault = |message: String| Fault::new(span, message);
    let (sx, sy) = args.point(1)?;
    let degrees = args.number(2)?;
    let (ax, ay) = args.point(3)?;
    let (tx, ty) = args.point(4)?;
    let (hx, hy) = args.point(5)?;
    let c = Expr::Const;

    let (cos, sin) = if let Expr::Const(d) = degrees {
        let (sin, cos) = sin_cos_degrees(d);
        (c(cos), c(sin))
    } else {
        let radians = fold(BinOp::Mul, degrees, c(std::f64::consts::PI / 180.0)).map_err(fault)?;
        (
            Expr::Call(Func::Cos, vec![radians.clone()]),
            Expr::Call(Func::Sin, vec![radians]),
        )
    };
    let neg = |e: Expr| fold_neg(e).map_err(fault);
    let steps: [Matrix; 5] = [
        translation(neg(ax.clone())?, neg(ay.clone())?),
        [sx, c(0.0), c(0.0), c(0.0), sy, c(0.0)],
        [c(1.0), hx, c(0.0), hy, c(1.0), c(0.0)],
        [cos.clone(), neg(sin.clone())?, c(0.0), sin, cos, c(0.0)],
        translation(ax, ay),
    ];
    let mut m = translation(c(0.0), c(0.0));
    for step in steps {
        m = then(&m, &step).map_err(fault)?;
    }
    then(&m, &translation(tx, ty)).map_err(fault)
}

/// Sine and cosine of an angle in degrees, exact at multiples of 90.
fn sin_cos_degrees(degrees: f64) -> (f64, f64) {
    let d = degrees.rem_euclid(360.0);
    match d {
        0.0 => (0.0, 1.0),
        90.0 => (1.0, 0.0),
        180.0 => (0.0, -1.0),
        270.0 => (-1.0, 0.0),
        _ => d.to_radians().sin_cos(),
    }
}

fn translation(x: Expr, y: Expr) -> Matrix {
    let c = Expr::Const;
    [c(1.0), c(0.0), x, c(0.0), c(1.0), y]
}

/// `b · a`: apply `a`, then `b`.
fn then(a: &Matrix, b: &Matrix) -> Result<Matrix, String> {
    let mul = |x: &Expr, y: &Expr| fold(BinOp::Mul, x.clone(), y.clone());
    let add = |x: Expr, y: Expr| fold(BinOp::Add, x, y);
    let dot = |r: usize, c: usize| add(mul(&b[r], &a[c])?, mul(&b[r + 1], &a[c + 3])?);
    Ok([
        dot(0, 0)?,
        dot(0, 1)?,
        add(dot(0, 2)?, b[2].clone())?,
        dot(3, 0)?,
        dot(3, 1)?,
        add(dot(3, 2)?, b[5].clone())?,
    ])
}
