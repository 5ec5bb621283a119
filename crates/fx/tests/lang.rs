//! The effect language end to end: every effect lowers to the expected
//! operators, names are shared nodes, each class of error is located
//! and worded as documented, hostile input never panics, the printers
//! show what they should, and the shipped examples and the examples in
//! `docs/effects.md` compile.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tessera_fx::analysis::{Analysis, Domain, analyze};
use tessera_fx::expr::{BinOp, Func};
use tessera_fx::graph::WipeShape;
use tessera_fx::lang::effects::EFFECTS;
use tessera_fx::lang::{MAX_SOURCE_BYTES, compile};
use tessera_fx::print::{to_dot, to_text};
use tessera_fx::{ColorExpr, Expr, Graph, NodeId, Op, ParamValue, Pos, Rgba, SpecError, TextExpr};

fn ok(source: &str) -> Graph {
    match compile(source) {
        Ok(graph) => graph,
        Err(e) => panic!("{source}\n{e}"),
    }
}

fn err(source: &str) -> SpecError {
    match compile(source) {
        Ok(graph) => panic!("{source}\ncompiled: {graph:?}"),
        Err(e) => e,
    }
}

fn ops(graph: &Graph) -> Vec<Op> {
    graph.nodes.iter().map(|n| n.op.clone()).collect()
}

fn n(i: u32) -> NodeId {
    NodeId(i)
}

fn c(v: f64) -> Expr {
    Expr::Const(v)
}

fn colour(hex: &str) -> ColorExpr {
    ColorExpr::Const(Rgba::parse_hex(hex).unwrap())
}

fn mul(a: Expr, b: Expr) -> Expr {
    Expr::Bin(BinOp::Mul, Box::new(a), Box::new(b))
}

fn src(input: usize) -> Op {
    Op::Source { input }
}

// ---------------------------------------------------------------------
// Effects and their lowering

#[test]
fn dissolve_is_a_mix() {
    let g = ok("input a, b;\nparam mix = 0.5 in 0..1;\noutput dissolve(a, b, mix);");
    assert_eq!(g.inputs, ["a", "b"]);
    assert_eq!(g.params.len(), 1);
    assert_eq!(g.params[0].default, ParamValue::Number(0.5));
    assert_eq!(g.params[0].range, Some((0.0, 1.0)));
    assert_eq!(
        ops(&g),
        [
            src(0),
            src(1),
            Op::Mix {
                a: n(0),
                b: n(1),
                amount: Expr::Param(0)
            }
        ]
    );
    assert_eq!(g.output, n(2));
    let node = &g.nodes[2];
    assert_eq!(node.origin, "dissolve");
    assert_eq!(node.pos, Pos { line: 3, col: 8 });
    assert_eq!(g.nodes[0].origin, "input");
    assert_eq!(g.nodes[1].pos, Pos { line: 1, col: 10 });
}

#[test]
fn fade_mixes_towards_a_solid() {
    let g = ok("input a; output fade(a, ramp(1, 2));");
    assert_eq!(
        ops(&g),
        [
            src(0),
            Op::Solid {
                color: ColorExpr::Const(Rgba::BLACK)
            },
            Op::Mix {
                a: n(0),
                b: n(1),
                amount: Expr::Call(Func::Ramp, vec![c(1.0), c(2.0)])
            }
        ]
    );
    assert!(g.nodes.iter().skip(1).all(|n| n.origin == "fade"));
    let g = ok("input a; output fade(a, 1, color: #ff000080);");
    assert_eq!(
        g.nodes[1].op,
        Op::Solid {
            color: colour("#ff000080")
        }
    );
}

#[test]
fn wipe_directions_by_name_or_string() {
    let g = ok("input a, b; output wipe(a, b, 0.5);");
    assert_eq!(
        g.nodes[2].op,
        Op::Wipe {
            a: n(0),
            b: n(1),
            shape: WipeShape::Left,
            progress: c(0.5),
            softness: c(0.02)
        }
    );
    for (name, expected) in [
        ("right", WipeShape::Right),
        ("up", WipeShape::Up),
        ("down", WipeShape::Down),
        ("diagonal", WipeShape::Diagonal),
        ("circle", WipeShape::Circle),
    ] {
        for arg in [name.to_string(), format!("\"{name}\"")] {
            let g = ok(&format!(
                "input a, b; output wipe(a, b, t / 4, direction: {arg}, softness: 0.1);"
            ));
            let Op::Wipe {
                shape,
                progress,
                softness,
                ..
            } = &g.nodes[2].op
            else {
                panic!("{:?}", g.nodes[2].op)
            };
            assert_eq!(*shape, expected);
            assert_eq!(*softness, c(0.1));
            assert_eq!(
                *progress,
                Expr::Bin(BinOp::Div, Box::new(Expr::Time), Box::new(c(4.0)))
            );
        }
    }
    let g = ok("input a, b; let d = \"up\"; output wipe(a, b, 1, direction: d);");
    assert!(matches!(
        g.nodes[2].op,
        Op::Wipe {
            shape: WipeShape::Up,
            ..
        }
    ));
}

fn warp_matrix(g: &Graph) -> [Expr; 6] {
    match &g.node(g.output).op {
        Op::Warp { matrix, .. } => (**matrix).clone(),
        other => panic!("not a warp: {other:?}"),
    }
}

#[test]
fn affine_composes_about_rotate_shear_scale_translate() {
    // A quarter turn clockwise about (10, 20): x' = 30 - y, y' = x + 10.
    let g = ok("input a; output affine(a, rotate: 90, about: (10, 20));");
    assert_eq!(
        warp_matrix(&g),
        [c(0.0), c(-1.0), c(30.0), c(1.0), c(0.0), c(10.0)]
    );
    let Op::Warp { src, outside, .. } = &g.nodes[1].op else {
        panic!()
    };
    assert_eq!(
        (*src, outside),
        (n(0), &ColorExpr::Const(Rgba::TRANSPARENT))
    );

    let g = ok("input a; output affine(a, scale: (2, 3), translate: (5, 6), outside: black);");
    assert_eq!(
        warp_matrix(&g),
        [c(2.0), c(0.0), c(5.0), c(0.0), c(3.0), c(6.0)]
    );

    // Scale, then shear: x' = 2x + 0.5 (2y).
    let g = ok("input a; output affine(a, scale: 2, shear: (0.5, 0));");
    assert_eq!(
        warp_matrix(&g),
        [c(2.0), c(1.0), c(0.0), c(0.0), c(2.0), c(0.0)]
    );

    // Half size about (100, 50): the centre stays put.
    let g = ok("input a; output affine(a, scale: 0.5, about: (100, 50));");
    assert_eq!(
        warp_matrix(&g),
        [c(0.5), c(0.0), c(50.0), c(0.0), c(0.5), c(25.0)]
    );

    let g = ok("input a; output affine(a, matrix: (1, 0.5, 5, 0, 1, 6));");
    assert_eq!(
        warp_matrix(&g),
        [c(1.0), c(0.5), c(5.0), c(0.0), c(1.0), c(6.0)]
    );
}

#[test]
fn affine_with_a_moving_angle() {
    let g = ok("input a; output affine(a, rotate: 45 * t);");
    let r = mul(c(45.0 * (PI / 180.0)), Expr::Time);
    let cos = Expr::Call(Func::Cos, vec![r.clone()]);
    let sin = Expr::Call(Func::Sin, vec![r]);
    assert_eq!(
        warp_matrix(&g),
        [
            cos.clone(),
            Expr::Neg(Box::new(sin.clone())),
            c(0.0),
            sin,
            cos,
            c(0.0)
        ]
    );
}

#[test]
fn affine_matrix_agrees_with_the_documented_composition() {
    // x' = about + R H S (x - about) + translate, checked numerically.
    let (sx, sy, deg, ax, ay, tx, ty, hx, hy) = (1.5, 0.75, 30.0, 64.0, 48.0, 7.0, -3.0, 0.2, 0.1);
    let g = ok(&format!(
        "input a; output affine(a, scale: ({sx}, {sy}), rotate: {deg}, about: ({ax}, {ay}), \
         translate: ({tx}, {ty}), shear: ({hx}, {hy}));"
    ));
    let m: Vec<f64> = warp_matrix(&g)
        .iter()
        .map(|e| match e {
            Expr::Const(v) => *v,
            other => panic!("not folded: {other:?}"),
        })
        .collect();
    let (s, co) = (f64::to_radians(deg).sin(), f64::to_radians(deg).cos());
    for (x, y) in [(0.0, 0.0), (10.0, 20.0), (-5.0, 100.0)] {
        let (px, py) = ((x - ax) * sx, (y - ay) * sy);
        let (px, py) = (px + hx * py, hy * px + py);
        let (px, py) = (co * px - s * py, s * px + co * py);
        let want = (px + ax + tx, py + ay + ty);
        let got = (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]);
        assert!(
            (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9,
            "{got:?} {want:?}"
        );
    }
}

#[test]
fn chromakey_over_and_defaults() {
    let g = ok("input fg, bg; output over(chromakey(fg), bg);");
    assert_eq!(
        ops(&g),
        [
            src(0),
            src(1),
            Op::Key {
                src: n(0),
                color: colour("#00ff00"),
                tolerance: c(0.2),
                softness: c(0.1),
                spill: c(0.5)
            },
            Op::Over { fg: n(2), bg: n(1) }
        ]
    );
    assert_eq!(g.nodes[2].origin, "chromakey");
    assert_eq!(g.nodes[3].origin, "over");
    let g = ok(
        "input a; param key = #0000ff; output chromakey(a, color: key, tolerance: 0.3, \
         softness: 0, spill: 1);",
    );
    assert_eq!(
        g.nodes[1].op,
        Op::Key {
            src: n(0),
            color: ColorExpr::Param(0),
            tolerance: c(0.3),
            softness: c(0.0),
            spill: c(1.0)
        }
    );
}

#[test]
fn pip_scales_frames_and_places_the_inset() {
    let g = ok("input main, inset; output pip(main, inset, 100, 50);");
    assert_eq!(
        ops(&g),
        [
            src(0),
            src(1),
            Op::Warp {
                src: n(1),
                matrix: Box::new([c(0.25), c(0.0), c(100.0), c(0.0), c(0.25), c(50.0)]),
                outside: ColorExpr::Const(Rgba::TRANSPARENT)
            },
            Op::Over { fg: n(2), bg: n(0) }
        ]
    );
    assert!(g.nodes[2..].iter().all(|n| n.origin == "pip"));

    let g = ok(
        "input main, inset; output pip(main, inset, 10, 20, scale: 0.5, border: 4, \
         border_color: red);",
    );
    // The border is drawn after the warp, in output pixels.
    assert!(matches!(g.nodes[2].op, Op::Warp { src, .. } if src == n(1)));
    assert_eq!(
        g.nodes[3].op,
        Op::Border {
            src: n(2),
            width: c(4.0),
            color: colour("#ff0000")
        }
    );
    assert_eq!(g.nodes[4].op, Op::Over { fg: n(3), bg: n(0) });

    // A moving scale is kept in range, since only the matrix sees it.
    let g = ok("input m, i; param s = 0.3 in 0..1; output pip(m, i, 0, 0, scale: s);");
    let clamped = Expr::Call(Func::Clamp, vec![Expr::Param(0), c(0.01), c(1.0)]);
    assert_eq!(warp_matrix_at(&g, 2)[0], clamped);
}

fn warp_matrix_at(g: &Graph, i: usize) -> [Expr; 6] {
    match &g.nodes[i].op {
        Op::Warp { matrix, .. } => (**matrix).clone(),
        other => panic!("not a warp: {other:?}"),
    }
}

#[test]
fn title_with_and_without_a_box() {
    let g = ok("input a; output title(a, \"hi\");");
    assert_eq!(
        g.nodes[1].op,
        Op::Text {
            src: n(0),
            text: TextExpr::Const("hi".into()),
            size: c(48.0),
            color: ColorExpr::Const(Rgba::opaque(255.0, 255.0, 255.0)),
            x: c(0.0),
            y: c(0.0),
            background: None,
            padding: c(8.0)
        }
    );
    let g = ok("input a; param label = \"Breaking \\\"news\\\"\";\n\
         output title(a, text: label, size: 32, color: #ffff00, x: 40, y: 600, box: #00000080, \
         padding: 4);");
    assert_eq!(
        g.params[0].default,
        ParamValue::Text("Breaking \"news\"".into())
    );
    assert_eq!(
        g.nodes[1].op,
        Op::Text {
            src: n(0),
            text: TextExpr::Param(0),
            size: c(32.0),
            color: colour("#ffff00"),
            x: c(40.0),
            y: c(600.0),
            background: Some(colour("#00000080")),
            padding: c(4.0)
        }
    );
    let g = ok("input a; output title(a, \"x\", box: none);");
    assert!(matches!(
        g.nodes[1].op,
        Op::Text {
            background: None,
            ..
        }
    ));
}

#[test]
fn crop_adjust_solid() {
    let g = ok("input a;\nlet c = crop(a, 10, 20, 300, 200);\n\
         output over(adjust(c, brightness: -0.1, saturation: 0), solid(rgba(0, 0, 255, 0.5)));");
    assert_eq!(
        ops(&g),
        [
            src(0),
            Op::Crop {
                src: n(0),
                x: c(10.0),
                y: c(20.0),
                width: c(300.0),
                height: c(200.0)
            },
            Op::Adjust {
                src: n(1),
                brightness: c(-0.1),
                contrast: c(1.0),
                saturation: c(0.0)
            },
            Op::Solid {
                color: ColorExpr::Const(Rgba {
                    r: 0.0,
                    g: 0.0,
                    b: 255.0,
                    a: 0.5
                })
            },
            Op::Over { fg: n(2), bg: n(3) }
        ]
    );
    let origins: Vec<&str> = g.nodes.iter().map(|n| n.origin.as_str()).collect();
    assert_eq!(origins, ["input", "crop", "adjust", "solid", "over"]);
    assert_eq!(g.nodes[1].pos, Pos { line: 2, col: 9 });
}

#[test]
fn dynamic_colours_and_numeric_functions() {
    let g =
        ok("input a; param level = 128 in 0..255; output solid(rgb(level, 0, 255 * ramp(0, 1)));");
    assert_eq!(
        g.nodes[0].op,
        Op::Solid {
            color: ColorExpr::Rgba(Box::new([
                Expr::Param(0),
                c(0.0),
                mul(c(255.0), Expr::Call(Func::Ramp, vec![c(0.0), c(1.0)])),
                c(1.0)
            ]))
        }
    );
    // Every numeric function is callable; constant calls fold.
    for f in Func::ALL {
        let args = vec!["0.25"; f.arity()].join(", ");
        let g = ok(&format!(
            "input a; output dissolve(a, a, {}({args}));",
            f.name()
        ));
        let Op::Mix { amount, .. } = &g.nodes[1].op else {
            panic!()
        };
        assert_eq!(amount.is_constant(), f != Func::Ramp, "{f:?}: {amount:?}");
    }
}

#[test]
fn constant_folding() {
    let amount = |src: &str| {
        let g = ok(&format!(
            "input a; param p = 1; output dissolve(a, a, {src});"
        ));
        match &g.node(g.output).op {
            Op::Mix { amount, .. } => amount.clone(),
            _ => panic!(),
        }
    };
    assert_eq!(amount("1 - 2 * 0.25 + 1 / 4"), c(0.75));
    assert_eq!(amount("-(-(0.5))"), c(0.5));
    assert_eq!(amount("clamp(2, 0, 1) * ease_in(0.5)"), c(0.25));
    assert_eq!(amount("0 * t + 1 * frame"), Expr::Frame);
    assert_eq!(amount("2 * (3 * p)"), mul(c(6.0), Expr::Param(0)));
}

// ---------------------------------------------------------------------
// Names: shared nodes, pruning, lets of every type

#[test]
fn inputs_and_let_bound_videos_are_shared_nodes() {
    let g = ok("input a, b;\n\
         let base = dissolve(a, b, 0.5);\n\
         let keyed = chromakey(base);\n\
         output over(keyed, over(base, a));");
    let sources = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Source { .. }))
        .count();
    let mixes = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Mix { .. }))
        .count();
    assert_eq!((sources, mixes), (2, 1));
    assert_eq!(
        ops(&g),
        [
            src(0),
            src(1),
            Op::Mix {
                a: n(0),
                b: n(1),
                amount: c(0.5)
            },
            Op::Key {
                src: n(2),
                color: colour("#00ff00"),
                tolerance: c(0.2),
                softness: c(0.1),
                spill: c(0.5)
            },
            Op::Over { fg: n(2), bg: n(0) },
            Op::Over { fg: n(3), bg: n(4) }
        ]
    );
    assert_eq!(g.validate(), Ok(()));
}

#[test]
fn unused_inputs_and_lets_leave_no_nodes() {
    let g = ok("input a, b, c;\nlet unused = over(b, c);\noutput a;");
    assert_eq!(g.inputs, ["a", "b", "c"]);
    assert_eq!(ops(&g), [src(0)]);
    assert_eq!(g.output, n(0));
    let g = ok("input a, b; output b; let later = over(a, b);");
    assert_eq!(ops(&g), [src(1)]);
}

#[test]
fn lets_of_every_type() {
    let g = ok("input a;\n\
         let k = 0.25 * 2;\n\
         let colour = #ff0000;\n\
         let words = \"hello\";\n\
         let at = (10, 20) * 2;\n\
         let nothing = none;\n\
         output title(a, words, color: colour, x: 5, size: 100 * k, box: nothing);");
    let Op::Text {
        text,
        color,
        size,
        background,
        ..
    } = &g.nodes[1].op
    else {
        panic!()
    };
    assert_eq!(text, &TextExpr::Const("hello".into()));
    assert_eq!(color, &colour("#ff0000"));
    assert_eq!(size, &c(50.0));
    assert_eq!(background, &None);
    // `x` takes a number: a point is refused.
    let e = err("input a; let at = (1, 2); output title(a, \"x\", x: at);");
    assert_eq!(e.message, "`x` of title takes a number, found a point");
    // Points from a tuple and arithmetic.
    let g = ok("input a; let p = (1, 2) * 3 - (1, 1) / 1; output affine(a, translate: -p);");
    assert_eq!(warp_matrix(&g)[2], c(-2.0));
    assert_eq!(warp_matrix(&g)[5], c(-5.0));
}

#[test]
fn params_of_every_kind() {
    let g = ok("input a;\n\
         param amount = -0.5 in -1..1;\n\
         param tint = rgb(10, 20, 30);\n\
         param label = \"x\";\n\
         param free = 1e3;\n\
         output title(adjust(a, brightness: amount, contrast: free / 1000), label, color: tint);");
    let kinds: Vec<_> = g
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.default.clone(), p.range))
        .collect();
    assert_eq!(
        kinds,
        [
            ("amount", ParamValue::Number(-0.5), Some((-1.0, 1.0))),
            (
                "tint",
                ParamValue::Color(Rgba::opaque(10.0, 20.0, 30.0)),
                None
            ),
            ("label", ParamValue::Text("x".into()), None),
            ("free", ParamValue::Number(1000.0), None),
        ]
    );
    assert_eq!(g.param_index("label"), Some(2));
}

#[test]
fn comments_whitespace_and_trailing_commas() {
    let g = ok(
        "# a comment\n#\n#!/usr/bin/env tessera\ninput a, # the only input\n  b ;\r\n\
         output dissolve(a, b, 0.5,); # done\n",
    );
    assert_eq!(g.inputs, ["a", "b"]);
}

// ---------------------------------------------------------------------
// Errors: line, column, width, message

/// (source, line, column, width, message)
const ERRORS: &[(&str, u32, u32, u32, &str)] = &[
    // Syntax.
    (
        "input a;\noutput dissolve(a, a 0.5);",
        2,
        22,
        3,
        "expected `,` or `)`, found `0.5`",
    ),
    (
        "input a\noutput a;",
        1,
        8,
        1,
        "missing `;` at the end of the statement (found `output`)",
    ),
    (
        "input a;\noutput a",
        2,
        9,
        1,
        "missing `;` at the end of the statement (found the end of the input)",
    ),
    (
        "input a;\nlet s = \"abc;\noutput a;",
        2,
        9,
        1,
        "unterminated string (a string ends with `\"` on the same line)",
    ),
    (
        "input a;\nparam k = #00ff0;",
        2,
        11,
        6,
        "bad colour literal `#00ff0`: write #rrggbb or #rrggbbaa in hex \
         (a comment is `#` followed by a space)",
    ),
    (
        "input a;\nlet x = 3 +;",
        2,
        12,
        1,
        "expected an expression, found `;`",
    ),
    ("input a; let = 3;", 1, 14, 1, "expected a name, found `=`"),
    (
        "input a; let in = 3;",
        1,
        14,
        2,
        "expected a name, found the keyword `in`",
    ),
    (
        "output a; a = 3;",
        1,
        11,
        1,
        "expected a statement (`input`, `param`, `let` or `output`), found `a`",
    ),
    (
        "input a; output dissolve(a, mix: 1, a);",
        1,
        37,
        1,
        "positional argument after named arguments",
    ),
    (
        "input a; let x = 1 . 2;",
        1,
        20,
        1,
        "unexpected character `.` (write numbers as `0.5`, ranges as `0..1`)",
    ),
    ("input a; let x = 12px;", 1, 18, 4, "bad number `12px`"),
    (
        "input a; let s = \"\\q\";",
        1,
        19,
        2,
        "unknown escape `\\q` in a string (only `\\\"` and `\\\\` are escapes)",
    ),
    // Names.
    (
        "input a, b;\noutput disolve(a, b, 0.5);",
        2,
        8,
        7,
        "unknown effect `disolve`; did you mean `dissolve`?",
    ),
    (
        "input a; output fade(a, sine(t));",
        1,
        25,
        4,
        "unknown function `sine`; did you mean `sin`?",
    ),
    (
        "input a; output frobnicate(a);",
        1,
        17,
        10,
        "unknown effect or function `frobnicate`",
    ),
    (
        "input a;\nparam mix = 0.5;\noutput fade(a, mx);",
        3,
        16,
        2,
        "unknown name `mx`; did you mean `mix`?",
    ),
    (
        "input a; output fade(a, left);",
        1,
        25,
        4,
        "`left` is a wipe direction; it names one only as the `direction` of `wipe`",
    ),
    (
        "input a; output fade(a, dissolve);",
        1,
        25,
        8,
        "`dissolve` is an effect; call it with its arguments: `dissolve(...)`",
    ),
    (
        "input a; let k = 1; output fade(a, k(2));",
        1,
        36,
        1,
        "`k` is not a function or effect",
    ),
    (
        "input a;\nlet a = 1;",
        2,
        5,
        1,
        "`a` is already declared at line 1, column 7",
    ),
    (
        "input a, a;",
        1,
        10,
        1,
        "`a` is already declared at line 1, column 7",
    ),
    (
        "input t;",
        1,
        7,
        1,
        "`t` is a built-in name; choose another",
    ),
    (
        "input a; let red = 1;",
        1,
        14,
        3,
        "`red` is a built-in name; choose another",
    ),
    (
        "input a; param over = 1;",
        1,
        16,
        4,
        "`over` is a built-in name; choose another",
    ),
    (
        "input a; output b; input b;",
        1,
        17,
        1,
        "unknown name `b`; did you mean `a`?",
    ),
    (
        "input a; output fade(a, zzz);",
        1,
        25,
        3,
        "unknown name `zzz`",
    ),
    // Types and arguments.
    (
        "input a, b;\noutput dissolve(a, b, a);",
        2,
        23,
        1,
        "`mix` of dissolve takes a number, found a video",
    ),
    (
        "input a; output fade(a, 0.5, color: 3);",
        1,
        37,
        1,
        "`color` of fade takes a colour, found a number",
    ),
    (
        "input a; output title(a, 3);",
        1,
        26,
        1,
        "`text` of title takes a text, found a number",
    ),
    (
        "input a; output affine(a, about: 3);",
        1,
        34,
        1,
        "`about` of affine takes a point, found a number",
    ),
    (
        "input a; output affine(a, matrix: (1, 2, 3));",
        1,
        35,
        9,
        "`matrix` of affine takes a matrix, found a 3-tuple",
    ),
    (
        "input a; output over(\"a\", a);",
        1,
        22,
        3,
        "`fg` of over takes a video, found a text",
    ),
    (
        "input a, b;\noutput dissolve(a, b);",
        2,
        8,
        8,
        "`dissolve` is missing its argument `mix`",
    ),
    (
        "input a; output title(a, size: 3);",
        1,
        17,
        5,
        "`title` is missing its argument `text`",
    ),
    (
        "input a; output dissolve(a, a, 0.5, mix: 0.2);",
        1,
        37,
        3,
        "argument `mix` of `dissolve` is given twice",
    ),
    (
        "input a; output fade(a, 1, color: red, color: blue);",
        1,
        40,
        5,
        "argument `color` of `fade` is given twice",
    ),
    (
        "input a, b; output wipe(a, b, 0.5, softnes: 0.1);",
        1,
        36,
        7,
        "`wipe` has no argument `softnes`; did you mean `softness`?",
    ),
    (
        "input a; output over(a, a, zz: 1);",
        1,
        28,
        2,
        "`over` has no argument `zz` (its arguments are fg, bg)",
    ),
    (
        "input a, b; output over(a, b, a);",
        1,
        31,
        1,
        "`over` takes at most 2 positional arguments, found 3",
    ),
    (
        "input a; output fade(a, sin(1, 2));",
        1,
        25,
        9,
        "`sin` takes 1 argument, found 2",
    ),
    (
        "input a; output fade(a, ramp(1, x: 2));",
        1,
        33,
        1,
        "`ramp` takes no named arguments",
    ),
    (
        "input a; output fade(a, abs(a));",
        1,
        29,
        1,
        "argument 1 of `abs` must be a number, found a video",
    ),
    (
        "input a; output fade(a, a + 1);",
        1,
        25,
        1,
        "`+` takes numbers or points, found a video",
    ),
    (
        "input a; output affine(a, translate: (1, 2) + 3);",
        1,
        38,
        10,
        "cannot apply `+` to a point and a number (points add and subtract elementwise and scale by numbers)",
    ),
    (
        "input a; let p = (1, a);",
        1,
        22,
        1,
        "an element of a tuple must be a number, found a video",
    ),
    (
        "input a; let m = -\"x\";",
        1,
        18,
        4,
        "`-` takes a number or a point, found a text",
    ),
    (
        "input a, b; output wipe(a, b, 1, direction: sideways);",
        1,
        45,
        8,
        "unknown name `sideways`",
    ),
    (
        "input a, b; output wipe(a, b, 1, direction: \"lefft\");",
        1,
        45,
        7,
        "unknown direction `lefft`; did you mean `left`? (directions: left, right, up, down, diagonal, circle)",
    ),
    (
        "input a, b; output wipe(a, b, 1, direction: 3);",
        1,
        45,
        1,
        "`direction` of wipe takes a direction (left, right, up, down, diagonal, circle), found a number",
    ),
    (
        "input a; output affine(a, scale: 2, matrix: (1, 0, 0, 0, 1, 0));",
        1,
        27,
        8,
        "`matrix` replaces `scale`, `rotate`, `about`, `translate` and `shear`; give either the matrix or those",
    ),
    (
        "input a; output solid(rgb(300, 0, 0));",
        1,
        27,
        3,
        "argument 1 of `rgb` must be in 0..255, found 300",
    ),
    (
        "input a; output solid(rgba(0, 0, 0, 2));",
        1,
        37,
        1,
        "argument 4 of `rgba` must be in 0..1, found 2",
    ),
    // Constant ranges.
    (
        "input a;\noutput chromakey(a, tolerance: 1.5);",
        2,
        32,
        3,
        "`tolerance` must be in 0..1, found 1.5",
    ),
    (
        "input a; output dissolve(a, a, -0.5);",
        1,
        32,
        4,
        "`mix` must be in 0..1, found -0.5",
    ),
    (
        "input a; output pip(a, a, 0, 0, border: -1);",
        1,
        41,
        2,
        "`border` must be at least 0, found -1",
    ),
    (
        "input a; output pip(a, a, 0, 0, scale: 2);",
        1,
        40,
        1,
        "`scale` must be in 0.01..1, found 2",
    ),
    (
        "input a; output title(a, \"x\", size: 0);",
        1,
        37,
        1,
        "`size` must be in 1..4096, found 0",
    ),
    (
        "input a; output fade(a, 1 / 0);",
        1,
        25,
        5,
        "division by zero",
    ),
    (
        "input a; output fade(a, t / (1 - 1));",
        1,
        25,
        11,
        "division by zero",
    ),
    (
        "input a; output fade(a, 1e300 * 1e300);",
        1,
        25,
        13,
        "the value of this expression is not a finite number",
    ),
    // Parameters.
    (
        "input a; param mix = 2 in 0..1;",
        1,
        22,
        1,
        "the default 2 of `mix` is outside its range 0..1",
    ),
    (
        "input a; param mix = 0.5 in 1..0;",
        1,
        29,
        4,
        "empty range: 1 is above 0",
    ),
    (
        "input a; param c = red in 0..1;",
        1,
        27,
        4,
        "only numeric parameters take a range",
    ),
    (
        "input a; param m = t;",
        1,
        20,
        1,
        "a parameter's default must be a constant number, colour or text, found a number that is not constant",
    ),
    (
        "input a; param m = a;",
        1,
        20,
        1,
        "a parameter's default must be a constant number, colour or text, found a video",
    ),
    (
        "input a; param p = 1; param q = p;",
        1,
        33,
        1,
        "a parameter's default must be a constant number, colour or text, found a number that is not constant",
    ),
    (
        "input a; param m = 0.5 in 0..t;",
        1,
        30,
        1,
        "a range's upper bound must be a constant number, found a number that is not constant",
    ),
    // Output.
    (
        "input a;\nlet x = a; # nothing out\n",
        2,
        25,
        1,
        "the effect has no `output` statement (end it with `output <video>;`)",
    ),
    (
        "input a;\noutput a;\noutput a;",
        3,
        1,
        6,
        "a second `output`: an effect has exactly one, and it already has one at line 2, column 1",
    ),
    (
        "input a; output 3;",
        1,
        17,
        1,
        "the output must be a video, found a number",
    ),
    (
        "output solid(red);",
        1,
        1,
        6,
        "the effect declares no `input` (the first input sets the output's size and rate)",
    ),
];

#[test]
fn errors_are_located_and_worded() {
    let mut failures = Vec::new();
    for &(source, line, col, width, message) in ERRORS {
        let e = err(source);
        let got = (e.pos.line, e.pos.col, e.width, e.message.as_str());
        if got != (line, col, width, message) {
            failures.push(format!(
                "{source:?}\n  want {:?}\n  got  {got:?}",
                (line, col, width, message)
            ));
        }
        let want_line = source.lines().nth(line as usize - 1).unwrap_or("");
        assert_eq!(e.line_text, want_line.trim_end_matches('\r'), "{source:?}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_display_puts_carets_under_the_fault() {
    let e = err("input a, b;\noutput disolve(a, b, 0.5);");
    assert_eq!(
        e.to_string(),
        "line 2, column 8: unknown effect `disolve`; did you mean `dissolve`?\n\
         \x20 | output disolve(a, b, 0.5);\n\
         \x20 |        ^^^^^^^"
    );
    let e = err("input a;\nparam tol = 0.2;\noutput chromakey(a, tolerance: tol, spill: 1.5);");
    assert_eq!(
        e.to_string(),
        "line 3, column 44: `spill` must be in 0..1, found 1.5\n\
         \x20 | output chromakey(a, tolerance: tol, spill: 1.5);\n\
         \x20 |                                            ^^^"
    );
    // Tabs before the fault keep the caret aligned; a missing `;` points
    // just past the statement.
    let e = err("input a;\n\tlet x = 1\noutput a;");
    assert_eq!(
        e.to_string(),
        "line 2, column 11: missing `;` at the end of the statement (found `output`)\n\
         \x20 | \tlet x = 1\n\
         \x20 | \t         ^"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = err("input a; let s = \"héllo\"; output fade(a, s);");
    assert_eq!((e.pos.col, e.width), (42, 1));
    assert_eq!(e.message, "`amount` of fade takes a number, found a text");
}

// ---------------------------------------------------------------------
// Hostile input

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for (open, close) in [("(", ")"), ("-", ""), ("sin(", ")"), ("(1, ", ")")] {
        let source = format!(
            "input a; output fade(a, {}t{});",
            open.repeat(5000),
            close.repeat(5000)
        );
        let e = err(&source);
        assert!(
            e.message.contains("nests too deeply"),
            "{open}: {}",
            e.message
        );
    }
    // Just inside the limit, nesting compiles (and folds).
    for (open, close) in [("(", ")"), ("-", ""), ("abs(", ")"), ("(1, ", ")")] {
        let depth = if open == "(1, " { 1 } else { 190 };
        let inner = format!("{}0.5{}", open.repeat(depth), close.repeat(depth));
        let source = if open == "(1, " {
            format!("input a; let p = {inner};\noutput a;")
        } else {
            format!("input a; output fade(a, {inner});")
        };
        ok(&source);
    }
    // A long chain of operators is as deep as it is long.
    let source = format!("input a; output fade(a, t{});", " + 1".repeat(100_000));
    assert!(err(&source).message.contains("nests too deeply"));
    // Within the parser's limit but too deep for an operand...
    let source = format!(
        "input a; output fade(a, {}t{});",
        "sin(".repeat(100),
        ")".repeat(100)
    );
    assert!(err(&source).message.contains("more than 32 levels deep"));
    // ...unless it folds to a constant.
    let source = format!(
        "input a; output fade(a, {}0.5{});",
        "sin(".repeat(150),
        ")".repeat(150)
    );
    ok(&source);
}

#[test]
fn let_chains_cannot_blow_up() {
    // Each let deepens the expression...
    let mut source = String::from("input a; let x0 = t;\n");
    for i in 1..40 {
        source += &format!("let x{i} = x{} * 2 + 1;\n", i - 1);
    }
    source += "output fade(a, x39);";
    let e = err(&source);
    assert!(e.message.contains("levels deep"), "{e}");
    // ...or doubles it...
    let mut source = String::from("input a; let x0 = t;\n");
    for i in 1..40 {
        source += &format!("let x{i} = (x{} + x{}) / 2;\n", i - 1, i - 1);
    }
    source += "output fade(a, x39);";
    let e = err(&source);
    assert!(
        e.message.contains("levels deep") || e.message.contains("too large"),
        "{e}"
    );
    // ...and many wide copies hit the size budget.
    let wide = vec!["sin(t)"; 2000].join(", ");
    let mut source = format!("input a; let m = ({wide});\n");
    for i in 0..20_000 {
        source += &format!("let c{i} = m;\n");
    }
    source += "output a;";
    assert!(
        err(&source)
            .message
            .contains("too large once let-bindings are substituted")
    );
}

#[test]
fn oversized_source_is_refused() {
    let mut source = String::from("input a; output a;\n");
    source += &"#".repeat(MAX_SOURCE_BYTES);
    let e = err(&source);
    assert_eq!((e.pos.line, e.pos.col), (1, 1));
    assert!(e.message.contains("too large"), "{}", e.message);
}

#[test]
fn many_statements_compile_quickly() {
    let mut source = String::from("input a, b;\nlet v0 = a;\n");
    for i in 1..20_000 {
        source += &format!(
            "let v{i} = dissolve(v{}, b, {});\n",
            i - 1,
            (i % 10) as f64 / 10.0
        );
    }
    source += "output v19999;";
    let start = std::time::Instant::now();
    let g = ok(&source);
    assert_eq!(g.nodes.len(), 20_001);
    assert!(start.elapsed().as_secs() < 10);
}

fn check_no_panic(source: &str) {
    match compile(source) {
        Ok(graph) => {
            assert_eq!(graph.validate(), Ok(()));
            let analysis = analyze(&graph, None);
            let _ = to_text(&graph, &analysis);
            let _ = to_dot(&graph, &analysis);
            let json = serde_json::to_string(&graph).unwrap();
            let back: Graph = serde_json::from_str(&json).unwrap();
            assert_eq!(back.nodes.len(), graph.nodes.len());
        }
        Err(e) => {
            assert!(e.pos.line >= 1 && e.pos.col >= 1 && e.width >= 1);
            let line = source.split('\n').nth(e.pos.line as usize - 1);
            assert_eq!(
                Some(e.line_text.as_str()),
                line.map(|l| l.trim_end_matches('\r'))
            );
            let _ = e.to_string();
        }
    }
}

fn example_sources() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/effects");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "fx"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

const VOCABULARY: &[&str] = &[
    "input",
    "param",
    "let",
    "output",
    "in",
    "a",
    "b",
    "t",
    "frame",
    "none",
    "red",
    "mix",
    "dissolve",
    "fade",
    "wipe",
    "affine",
    "chromakey",
    "over",
    "pip",
    "title",
    "crop",
    "adjust",
    "solid",
    "ramp",
    "sin",
    "rgb",
    "left",
    "circle",
    "direction",
    "(",
    ")",
    ",",
    ";",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "..",
    "0",
    "1",
    "0.5",
    "1e9",
    "#00ff00",
    "#0000",
    "\"s\"",
    "\"",
    "#",
    "\n",
    " ",
    "\t",
    "é",
    "\\",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..60)) {
        check_no_panic(&words.join(" "));
        check_no_panic(&words.concat());
    }

    #[test]
    fn mutated_examples_never_panic(
        which in 0usize..64,
        edits in prop::collection::vec((0u8..4, any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop::sample::select(VOCABULARY)), 1..6),
    ) {
        let examples = example_sources();
        let mut source = examples[which % examples.len()].1.clone();
        for (kind, at, len, word) in edits {
            let chars: Vec<char> = source.chars().collect();
            let i = at.index(chars.len() + 1);
            let j = (i + len.index(12)).min(chars.len());
            let mut out: Vec<char> = chars[..i].to_vec();
            match kind {
                0 => {}                                   // delete i..j
                1 => out.extend(word.chars()),            // replace with a word
                2 => out.extend(chars[i..j].iter().chain(chars[i..j].iter())), // duplicate
                _ => { out.extend(word.chars()); out.extend(&chars[i..j]); } // insert
            }
            out.extend(&chars[j..]);
            source = out.into_iter().collect();
        }
        check_no_panic(&source);
    }
}

// ---------------------------------------------------------------------
// Examples, printing, serialization, documentation

#[test]
fn examples_compile() {
    let names: Vec<String> = example_sources()
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "dissolve.fx",
        "fade.fx",
        "wipe.fx",
        "rotate.fx",
        "chromakey.fx",
        "pip.fx",
        "title.fx",
        "demo.fx",
        "crop_adjust.fx",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "examples/effects/{want} is missing"
        );
    }
    for (path, source) in example_sources() {
        let graph = compile(&source).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        assert_eq!(graph.validate(), Ok(()), "{}", path.display());
    }
}

#[test]
fn demo_uses_dissolve_title_and_pip() {
    let (_, source) = example_sources()
        .into_iter()
        .find(|(p, _)| p.ends_with("demo.fx"))
        .unwrap();
    let g = ok(&source);
    let origins: Vec<&str> = g.nodes.iter().map(|n| n.origin.as_str()).collect();
    for effect in ["dissolve", "title", "pip"] {
        assert!(origins.contains(&effect), "{origins:?}");
    }
}

/// Whether two JSON trees are equal but for the last bit of numbers:
/// serde_json without its `float_roundtrip` feature may read a printed
/// f64 back one unit in the last place off.
fn nearly_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(1.0)
        }
        (V::Array(xs), V::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| nearly_equal(x, y))
        }
        (V::Object(xs), V::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| nearly_equal(x, y)))
        }
        _ => a == b,
    }
}

#[test]
fn graphs_round_trip_through_json() {
    for (path, source) in example_sources() {
        let graph = ok(&source);
        let json = serde_json::to_string_pretty(&graph).unwrap();
        let back: Graph = serde_json::from_str(&json).unwrap();
        if path.ends_with("demo.fx") {
            assert_eq!(back, graph);
        }
        let (a, b) = (
            serde_json::to_value(&graph).unwrap(),
            serde_json::to_value(&back).unwrap(),
        );
        assert!(nearly_equal(&a, &b), "{}", path.display());
    }
    // The deepest operand allowed still fits serde_json's nesting limit.
    let deep = format!(
        "input a; output fade(a, {}t{});",
        "sin(".repeat(31),
        ")".repeat(31)
    );
    let graph = ok(&deep);
    let json = serde_json::to_string(&graph).unwrap();
    assert_eq!(serde_json::from_str::<Graph>(&json).unwrap(), graph);
    let deep = format!(
        "input a; output solid(rgb({}t{}, 0, 0));",
        "sin(".repeat(30),
        ")".repeat(30)
    );
    let graph = ok(&deep);
    let json = serde_json::to_string(&graph).unwrap();
    assert_eq!(serde_json::from_str::<Graph>(&json).unwrap(), graph);
}

const DISSOLVE_TITLE: &str = "input a, b;\n\
    param mix = 0.5 in 0..1;\n\
    param label = \"Hi \\\"there\\\"\";\n\
    let base = dissolve(a, b, mix);\n\
    output title(base, text: label, x: 40 + 10 * t, y: ramp(0, 2), box: #00000080);";

/// The crate's analysis with domains, materialization and the pass set
/// by hand, so the printed form does not depend on the analysis' choices.
fn sample_analysis(g: &Graph) -> Analysis {
    let mut a = analyze(g, None);
    a.domain = vec![Domain::Dct, Domain::Dct, Domain::Dct, Domain::Pixel];
    a.materialized = vec![false, false, true, false];
    a.passes.truncate(1);
    let pass = a.passes.first_mut().expect("the output's pass");
    pass.root = n(3);
    pass.nodes = vec![n(2), n(3)];
    pass.reads = vec![];
    a
}

#[test]
fn text_form() {
    let g = ok(DISSOLVE_TITLE);
    let text = to_text(&g, &sample_analysis(&g));
    let want = "input a, b\n\
        param mix = 0.5 in 0..1\n\
        param label = \"Hi \\\"there\\\"\"\n\
        n0 = source(a) [dct]  # input at 1:7\n\
        n1 = source(b) [dct]  # input at 1:10\n\
        n2 = mix(n0, n1, amount=mix) [dct, materialized]  # dissolve at 4:12\n\
        n3 = text(n2, text=label, size=48, color=white, x=40 + 10 * t, y=ramp(0, 2), \
        background=#00000080, padding=8) [pixel]  # title at 5:8\n\
        output n3\n\
        pass 0 (root n3): n2, n3\n";
    assert_eq!(text, want);
    // With the crate's own analysis too.
    let text = to_text(&g, &analyze(&g, None));
    assert!(text.contains("n2 = mix(n0, n1, amount=mix) ["), "{text}");
}

#[test]
fn dot_form() {
    let g = ok(DISSOLVE_TITLE);
    let dot = to_dot(&g, &sample_analysis(&g));
    assert!(dot.starts_with("digraph effect {\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
    for line in [
        "  subgraph cluster_0 {",
        "    label=\"pass 0 (root n3)\";",
        "    n3 [label=\"n3 text\\ntext = label\\nsize = 48\\ncolor = white\\nx = 40 + 10 * t\\n\
         y = ramp(0, 2)\\nbackground = #00000080\\npadding = 8\\ntitle at 5:8\\npixel, pass 0\", \
         fillcolor=\"#fff3bf\"];",
        "  n0 [label=\"n0 source\\na\\ninput at 1:7\\ndct\", fillcolor=\"#cfe2ff\"];",
        "    n2 [label=\"n2 mix\\namount = mix\\ndissolve at 4:12\\ndct, materialized, pass 0\", \
         fillcolor=\"#cfe2ff\", peripheries=2];",
        "  n0 -> n2 [label=\"a\"];",
        "  n1 -> n2 [label=\"b\"];",
        "  n2 -> n3 [label=\"src\"];",
        "  n3 -> output;",
    ] {
        assert!(dot.lines().any(|l| l == line), "missing {line:?} in\n{dot}");
    }
    // Text constants are escaped for DOT.
    let g = ok("input a; output title(a, \"say \\\"hi\\\" \\\\ bye\");");
    let dot = to_dot(&g, &analyze(&g, None));
    assert!(
        dot.contains(r#"text = \"say \\\"hi\\\" \\\\ bye\""#),
        "{dot}"
    );
}

/// Fenced code blocks of `docs/effects.md`: ```fx must compile,
/// ```fx-error must not.
#[test]
fn documentation_examples_compile() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/effects.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let mut blocks = 0;
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let kind = line.trim();
        if kind != "```fx" && kind != "```fx-error" {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let source = body.join("\n");
        match (kind, compile(&source)) {
            ("```fx", Err(e)) => panic!("docs/effects.md block fails:\n{source}\n{e}"),
            ("```fx-error", Ok(_)) => panic!("docs/effects.md error block compiles:\n{source}"),
            _ => {}
        }
        blocks += 1;
    }
    assert!(blocks >= 10, "only {blocks} fx blocks in docs/effects.md");
}

/// Each effect's signature, as [`EFFECTS`] states it, is in the
/// documentation.
#[test]
fn documentation_lists_every_signature() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/effects.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    for effect in EFFECTS {
        let signature = effect.signature();
        assert!(
            doc.contains(&signature),
            "docs/effects.md lacks `{signature}`"
        );
    }
    for f in Func::ALL {
        assert!(
            doc.contains(&format!("`{}(", f.name())),
            "docs lack {}",
            f.name()
        );
    }
}
