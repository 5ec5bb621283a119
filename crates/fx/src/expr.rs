//! Values that may change per frame: numeric expressions over the time
//! `t`, the frame number and the effect's parameters; colours and texts
//! that are constant or come from a parameter.
//!
//! These are what the compiler leaves in the operator graph and what the
//! processors evaluate once per frame, so they are serializable.

use serde::{Deserialize, Serialize};

/// A numeric expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Const(f64),
    /// Seconds since the first output frame (`frame / rate`).
    Time,
    /// The output frame number, from 0.
    Frame,
    /// A numeric parameter, by index into [`crate::graph::Graph::params`].
    Param(usize),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Built-in numeric functions of the effect language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Func {
    Min,
    Max,
    /// `clamp(x, lo, hi)`
    Clamp,
    Abs,
    Sin,
    Cos,
    Sqrt,
    Floor,
    /// `ramp(t0, t1)`: 0 before `t0`, 1 after `t1`, linear between (on `t`).
    Ramp,
    /// `lerp(a, b, x)` = a + (b - a) x
    Lerp,
    /// Easing of x in [0, 1] (clamped): quadratic in, out, in-out.
    EaseIn,
    EaseOut,
    EaseInOut,
    /// `smoothstep(x)` = 3x^2 - 2x^3 on x clamped to [0, 1].
    Smoothstep,
}

impl Func {
    /// Name in the effect language.
    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Clamp => "clamp",
            Func::Abs => "abs",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Sqrt => "sqrt",
            Func::Floor => "floor",
            Func::Ramp => "ramp",
            Func::Lerp => "lerp",
            Func::EaseIn => "ease_in",
            Func::EaseOut => "ease_out",
            Func::EaseInOut => "ease_in_out",
            Func::Smoothstep => "smoothstep",
        }
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            Func::Abs
            | Func::Sin
            | Func::Cos
            | Func::Sqrt
            | Func::Floor
            | Func::EaseIn
            | Func::EaseOut
            | Func::EaseInOut
            | Func::Smoothstep => 1,
            Func::Min | Func::Max | Func::Ramp => 2,
            Func::Clamp | Func::Lerp => 3,
        }
    }

    pub const ALL: [Func; 14] = [
        Func::Min,
        Func::Max,
        Func::Clamp,
        Func::Abs,
        Func::Sin,
        Func::Cos,
        Func::Sqrt,
        Func::Floor,
        Func::Ramp,
        Func::Lerp,
        Func::EaseIn,
        Func::EaseOut,
        Func::EaseInOut,
        Func::Smoothstep,
    ];

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// An RGBA colour: red, green, blue in 0..=255, alpha in 0..=1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rgba {
    pub r: f64,
    pub g: f64,
    pub b: f64,
    pub a: f64,
}

impl Rgba {
    pub const BLACK: Rgba = Rgba::opaque(0.0, 0.0, 0.0);
    pub const TRANSPARENT: Rgba = Rgba {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        a: 0.0,
    };

    pub const fn opaque(r: f64, g: f64, b: f64) -> Rgba {
        Rgba { r, g, b, a: 1.0 }
    }

    /// Parses `#rrggbb` or `#rrggbbaa`.
    pub fn parse_hex(text: &str) -> Option<Rgba> {
        let hex = text.strip_prefix('#')?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(f64::from);
        Some(Rgba {
            r: byte(0)?,
            g: byte(2)?,
            b: byte(4)?,
            a: if hex.len() == 8 {
                byte(6)? / 255.0
            } else {
                1.0
            },
        })
    }

    /// BT.601 full-range YCbCr (as JPEG uses), each in 0..=255, unrounded.
    pub fn to_ycbcr(self) -> [f64; 3] {
        let (r, g, b) = (self.r, self.g, self.b);
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        let cb = 128.0 - 0.168_735_891_6 * r - 0.331_264_108_4 * g + 0.5 * b;
        let cr = 128.0 + 0.5 * r - 0.418_687_589_2 * g - 0.081_312_410_8 * b;
        [y, cb, cr]
    }
}

/// A colour operand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ColorExpr {
    Const(Rgba),
    /// A colour parameter, by index.
    Param(usize),
    /// `rgb(r, g, b)` / `rgba(r, g, b, a)` from numeric expressions.
    Rgba(Box<[Expr; 4]>),
}

/// A text operand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TextExpr {
    Const(String),
    /// A text parameter, by index.
    Param(usize),
}

/// The current value of a parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ParamValue {
    Number(f64),
    Color(Rgba),
    Text(String),
}

/// What a frame's operands are evaluated against.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    pub frame: u64,
    /// Seconds: `frame / rate`.
    pub t: f64,
    pub params: &'a [ParamValue],
}

impl Expr {
    /// Value in `env`. Parameters of the wrong kind read as 0 (the
    /// compiler's type check rules that out). Non-finite results become 0
    /// so that no operator ever sees NaN.
    pub fn eval(&self, env: &Env<'_>) -> f64 {
        let v = self.eval_raw(env);
        if v.is_finite() { v } else { 0.0 }
    }

    fn eval_raw(&self, env: &Env<'_>) -> f64 {
        match self {
            Expr::Const(v) => *v,
            Expr::Time => env.t,
            Expr::Frame => env.frame as f64,
            Expr::Param(i) => match env.params.get(*i) {
                Some(ParamValue::Number(v)) => *v,
                _ => 0.0,
            },
            Expr::Neg(e) => -e.eval_raw(env),
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval_raw(env), b.eval_raw(env));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                }
            }
            Expr::Call(f, args) => {
                let arg = |i: usize| args.get(i).map_or(0.0, |e| e.eval_raw(env));
                let unit = |x: f64| x.clamp(0.0, 1.0);
                match f {
                    Func::Min => arg(0).min(arg(1)),
                    Func::Max => arg(0).max(arg(1)),
                    Func::Clamp => {
                        let (x, lo, hi) = (arg(0), arg(1), arg(2));
                        x.max(lo).min(hi)
                    }
                    Func::Abs => arg(0).abs(),
                    Func::Sin => arg(0).sin(),
                    Func::Cos => arg(0).cos(),
                    Func::Sqrt => arg(0).max(0.0).sqrt(),
                    Func::Floor => arg(0).floor(),
                    Func::Ramp => {
                        let (t0, t1) = (arg(0), arg(1));
                        if t1 <= t0 {
                            if env.t >= t1 { 1.0 } else { 0.0 }
                        } else {
                            unit((env.t - t0) / (t1 - t0))
                        }
                    }
                    Func::Lerp => {
                        let (a, b, x) = (arg(0), arg(1), arg(2));
                        a + (b - a) * x
                    }
                    Func::EaseIn => {
                        let x = unit(arg(0));
                        x * x
                    }
                    Func::EaseOut => {
                        let x = unit(arg(0));
                        1.0 - (1.0 - x) * (1.0 - x)
                    }
                    Func::EaseInOut => {
                        let x = unit(arg(0));
                        if x < 0.5 {
                            2.0 * x * x
                        } else {
                            1.0 - 2.0 * (1.0 - x) * (1.0 - x)
                        }
                    }
                    Func::Smoothstep => {
                        let x = unit(arg(0));
                        x * x * (3.0 - 2.0 * x)
                    }
                }
            }
        }
    }

    /// Whether the value is the same for every frame and parameter value.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Const(_) => true,
            Expr::Time | Expr::Frame | Expr::Param(_) => false,
            Expr::Neg(e) => e.is_constant(),
            Expr::Bin(_, a, b) => a.is_constant() && b.is_constant(),
            // `ramp` reads the time itself.
            Expr::Call(Func::Ramp, _) => false,
            Expr::Call(_, args) => args.iter().all(Expr::is_constant),
        }
    }
}

impl ColorExpr {
    pub fn eval(&self, env: &Env<'_>) -> Rgba {
        match self {
            ColorExpr::Const(c) => *c,
            ColorExpr::Param(i) => match env.params.get(*i) {
                Some(ParamValue::Color(c)) => *c,
                _ => Rgba::BLACK,
            },
            ColorExpr::Rgba(parts) => Rgba {
                r: parts[0].eval(env).clamp(0.0, 255.0),
                g: parts[1].eval(env).clamp(0.0, 255.0),
                b: parts[2].eval(env).clamp(0.0, 255.0),
                a: parts[3].eval(env).clamp(0.0, 1.0),
            },
        }
    }

    pub fn is_constant(&self) -> bool {
        match self {
            ColorExpr::Const(_) => true,
            ColorExpr::Param(_) => false,
            ColorExpr::Rgba(parts) => parts.iter().all(Expr::is_constant),
        }
    }
}

impl TextExpr {
    pub fn eval<'a>(&'a self, env: &Env<'a>) -> &'a str {
        match self {
            TextExpr::Const(s) => s,
            TextExpr::Param(i) => match env.params.get(*i) {
                Some(ParamValue::Text(s)) => s,
                _ => "",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(t: f64, params: &[ParamValue]) -> Env<'_> {
        Env {
            frame: (t * 25.0) as u64,
            t,
            params,
        }
    }

    #[test]
    fn ramps_and_easing() {
        let ramp = Expr::Call(Func::Ramp, vec![Expr::Const(1.0), Expr::Const(3.0)]);
        assert_eq!(ramp.eval(&env(0.0, &[])), 0.0);
        assert_eq!(ramp.eval(&env(2.0, &[])), 0.5);
        assert_eq!(ramp.eval(&env(9.0, &[])), 1.0);
        let ease = Expr::Call(Func::EaseInOut, vec![Expr::Const(0.25)]);
        assert_eq!(ease.eval(&env(0.0, &[])), 0.125);
        assert!(!ramp.is_constant());
        assert!(ease.is_constant());
    }

    #[test]
    fn params_and_division_by_zero() {
        let p = [ParamValue::Number(0.7)];
        let e = Expr::Bin(
            BinOp::Div,
            Box::new(Expr::Param(0)),
            Box::new(Expr::Const(0.0)),
        );
        assert_eq!(e.eval(&env(0.0, &p)), 0.0);
        assert_eq!(Expr::Param(0).eval(&env(0.0, &p)), 0.7);
    }

    #[test]
    fn hex_colours() {
        assert_eq!(
            Rgba::parse_hex("#00ff00"),
            Some(Rgba::opaque(0.0, 255.0, 0.0))
        );
        assert_eq!(
            Rgba::parse_hex("#00000080").map(|c| c.a),
            Some(128.0 / 255.0)
        );
        assert_eq!(Rgba::parse_hex("#12345"), None);
        let [y, cb, cr] = Rgba::opaque(255.0, 255.0, 255.0).to_ycbcr();
        assert!((y - 255.0).abs() < 1e-6 && (cb - 128.0).abs() < 1e-6 && (cr - 128.0).abs() < 1e-6);
    }
}
