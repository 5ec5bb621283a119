//! The operators, end to end on SC images: the DCT-domain path against
//! the pixel path, exact results of warps, crops and keys on inputs whose
//! decode is known, titles against ab_glyph's own coverage, input demand,
//! determinism across band splits, and hostile parameters.

use std::sync::Arc;

use ab_glyph::{Font, PxScale, ScaleFont, point};
use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Frame, Plane};
use tessera_fx::analysis::Domain;
use tessera_fx::eval::{Rect, Renderer, input_demand};
use tessera_fx::expr::{ColorExpr, Env, Expr, ParamValue, Rgba, TextExpr};
use tessera_fx::graph::{Graph, Node, NodeId, Op, WipeShape};
use tessera_sc::{FrameGeometry, Region, ScImage};

// ---------------------------------------------------------------- helpers

fn c(v: f64) -> Expr {
    Expr::Const(v)
}

fn colour(r: f64, g: f64, b: f64, a: f64) -> ColorExpr {
    ColorExpr::Const(Rgba { r, g, b, a })
}

fn id(i: u32) -> NodeId {
    NodeId(i)
}

/// A graph of `inputs` inputs whose output is the last node.
fn graph(inputs: usize, ops: Vec<Op>) -> Arc<Graph> {
    let g = Graph {
        inputs: (0..inputs).map(|i| format!("in{i}")).collect(),
        params: vec![],
        output: NodeId(ops.len() as u32 - 1),
        nodes: ops
            .into_iter()
            .map(|op| Node {
                op,
                origin: "test".into(),
                pos: Default::default(),
            })
            .collect(),
    };
    g.validate().expect("test graph is valid");
    Arc::new(g)
}

fn env(t: f64) -> Env<'static> {
    Env {
        frame: (t * 25.0) as u64,
        t,
        params: &[],
    }
}

fn matrix(m: [f64; 6]) -> Box<[Expr; 6]> {
    Box::new(m.map(Expr::Const))
}

fn sc(frame: &Frame) -> ScImage {
    ScImage::from_frame(frame).expect("frame to SC")
}

fn decode(image: &ScImage) -> Frame {
    image.to_frame().expect("SC to frame")
}

/// Renders `regions` of a frame, each with a fresh renderer (as separate
/// processors would), into one image.
fn render_regions(
    graph: &Arc<Graph>,
    inputs: &[&ScImage],
    env: &Env<'_>,
    regions: &[Region],
) -> ScImage {
    let geoms: Vec<FrameGeometry> = inputs.iter().map(|i| i.geometry).collect();
    let mut out = ScImage::zeroed(geoms[0]);
    for &region in regions {
        let mut r = Renderer::new(graph.clone(), &geoms).expect("renderer");
        r.render(env, inputs, region, &mut out).expect("render");
    }
    out
}

fn render(graph: &Arc<Graph>, inputs: &[&ScImage], env: &Env<'_>) -> ScImage {
    let region = inputs[0].geometry.full_region();
    render_regions(graph, inputs, env, &[region])
}

fn max_diff(a: &Plane, b: &Plane) -> u8 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    a.rows()
        .zip(b.rows())
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| p.abs_diff(*q)))
        .max()
        .unwrap_or(0)
}

/// The largest difference and how many samples differ by more than 1.
fn diff_stats(a: &Plane, b: &Plane) -> (u8, usize) {
    let over = a
        .rows()
        .zip(b.rows())
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| p.abs_diff(*q)))
        .filter(|&d| d > 1)
        .count();
    (max_diff(a, b), over)
}

/// A frame with every plane given by a function of its own coordinates.
fn frame_from(
    w: usize,
    h: usize,
    format: ChromaFormat,
    f: impl Fn(usize, usize, usize) -> u8,
) -> Frame {
    let mut frame = Frame::grey(w, h, format);
    for (p, plane) in frame.planes.iter_mut().enumerate() {
        for y in 0..plane.height {
            for x in 0..plane.width {
                plane.row_mut(y)[x] = f(p, x, y);
            }
        }
    }
    frame
}

fn ycbcr(r: f64, g: f64, b: f64) -> [u8; 3] {
    Rgba::opaque(r, g, b).to_ycbcr().map(|v| v.round() as u8)
}

// ------------------------------------------------------- the DCT domain

fn dissolve(pixel_path: bool) -> Arc<Graph> {
    let mut ops = vec![Op::Source { input: 0 }, Op::Source { input: 1 }];
    if pixel_path {
        // An identity adjust moves the operands into the pixel domain.
        for i in 0..2 {
            ops.push(Op::Adjust {
                src: id(i),
                brightness: c(0.0),
                contrast: c(1.0),
                saturation: c(1.0),
            });
        }
    }
    let n = ops.len() as u32;
    ops.push(Op::Mix {
        a: id(n - 2),
        b: id(n - 1),
        amount: Expr::Time,
    });
    graph(2, ops)
}

#[test]
fn dct_dissolve_matches_pixel_dissolve() {
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ] {
        let a = sc(&moving_pattern(96, 64, format, 0));
        let b = sc(&moving_pattern(96, 64, format, 40));
        let (dct, pixel) = (dissolve(false), dissolve(true));
        let geoms = [a.geometry, b.geometry];
        let r = Renderer::new(dct.clone(), &geoms).unwrap();
        assert!(r.analysis().output_is_dct(&dct));
        let r = Renderer::new(pixel.clone(), &geoms).unwrap();
        assert!(!r.analysis().output_is_dct(&pixel));
        for t in [0.0, 0.3, 0.5, 1.0] {
            let fast = decode(&render(&dct, &[&a, &b], &env(t)));
            let slow = decode(&render(&pixel, &[&a, &b], &env(t)));
            for (p, (x, y)) in fast.planes.iter().zip(&slow.planes).enumerate() {
                // Each path rounds once where the other does not (the DCT
                // path the mixed coefficients; the pixel path the mixed
                // pixels and then its forward DCT's coefficients), so each
                // is within 1.5 of the exact mix of the decoded inputs and
                // they agree within 1 except for a few pixels at 2 (on this
                // noisy pattern at t = 0.5, 2%; a bare forward and inverse
                // DCT round trip already moves 3% of its pixels by 1).
                let (d, over) = diff_stats(x, y);
                assert!(d <= 2, "{format} t={t} plane {p}: differ by {d}");
                assert!(
                    over * 33 <= x.width * x.height,
                    "{format} t={t} plane {p}: {over} pixels differ by 2"
                );
            }
        }
        // The ends are the inputs themselves.
        assert_eq!(render(&dct, &[&a, &b], &env(0.0)), a);
        assert_eq!(render(&dct, &[&a, &b], &env(1.0)), b);
    }
}

#[test]
fn fade_to_black_is_black() {
    let g = graph(
        1,
        vec![
            Op::Source { input: 0 },
            Op::Solid {
                color: colour(0.0, 0.0, 0.0, 1.0),
            },
            Op::Mix {
                a: id(0),
                b: id(1),
                amount: Expr::Time,
            },
        ],
    );
    let a = sc(&moving_pattern(80, 48, ChromaFormat::Yuv420, 3));
    let r = Renderer::new(g.clone(), &[a.geometry]).unwrap();
    assert_eq!(r.analysis().domain, vec![Domain::Dct; 3]);
    let black = decode(&render(&g, &[&a], &env(1.0)));
    assert!(black.planes[0].data.iter().all(|&v| v == 0));
    assert!(
        black.planes[1..]
            .iter()
            .all(|p| p.data.iter().all(|&v| v == 128))
    );
    let half = decode(&render(&g, &[&a], &env(0.5)));
    let src = decode(&a);
    for y in 0..48 {
        for x in 0..80 {
            let want = f64::from(src.planes[0].row(y)[x]) * 0.5;
            let got = f64::from(half.planes[0].row(y)[x]);
            assert!((want - got).abs() <= 2.0, "({x},{y}) {want} {got}");
        }
    }
}

#[test]
fn analysis_marks_dissolve_dct_and_title_partly() {
    let g = dissolve(false);
    let a = tessera_fx::analysis::analyze(&g, None);
    assert_eq!(a.domain, vec![Domain::Dct; 3]);
    assert!(a.passes.is_empty());

    let mut ops: Vec<Op> = g.nodes.iter().map(|n| n.op.clone()).collect();
    ops.push(Op::Text {
        src: id(2),
        text: TextExpr::Const("Title".into()),
        size: c(20.0),
        color: colour(255.0, 255.0, 255.0, 1.0),
        x: c(4.0),
        y: c(4.0),
        background: None,
        padding: c(0.0),
    });
    let g = graph(2, ops);
    let a = tessera_fx::analysis::analyze(&g, None);
    assert_eq!(
        a.domain,
        vec![Domain::Dct, Domain::Dct, Domain::Dct, Domain::Pixel]
    );
    assert_eq!(a.passes.len(), 1);
    assert_eq!(a.passes[0].nodes, vec![id(2), id(3)]);

    // A source of another size is not in the DCT domain.
    let small = FrameGeometry::new(32, 32, 2, 2).unwrap();
    let big = FrameGeometry::new(64, 32, 2, 2).unwrap();
    let a = tessera_fx::analysis::analyze(&g, Some(&[big, small]));
    assert_eq!(a.domain[..3], [Domain::Dct, Domain::Pixel, Domain::Pixel]);
}

// ------------------------------------------------------------- warps

#[test]
fn identity_warp_is_the_source() {
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv444,
        ChromaFormat::Yuv422,
    ] {
        let g = graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Warp {
                    src: id(0),
                    matrix: matrix([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
                    outside: colour(255.0, 0.0, 0.0, 1.0),
                },
            ],
        );
        let a = sc(&moving_pattern(70, 38, format, 5));
        let out = render(&g, &[&a], &env(0.0));
        // Exactly the pixels of the input's decode, encoded again.
        assert_eq!(out, sc(&decode(&a)), "{format}");
        let (x, y) = (decode(&out), decode(&a));
        for (p, q) in x.planes.iter().zip(&y.planes) {
            assert!(max_diff(p, q) <= 1);
        }
    }
}

#[test]
fn rotation_by_90_degrees_is_exact() {
    for format in [ChromaFormat::Yuv444, ChromaFormat::Yuv420] {
        let n = 32;
        let src = frame_from(n, n, format, |p, x, y| {
            ((x * 7 + y * 13 + p * 50) % 200 + (x ^ y) % 40) as u8
        });
        let a = sc(&src);
        // About the centre: x' = n - y, y' = x (pixel centres at +0.5).
        let m = [0.0, -1.0, n as f64, 1.0, 0.0, 0.0];
        let g = graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Warp {
                    src: id(0),
                    matrix: matrix(m),
                    outside: colour(0.0, 0.0, 0.0, 1.0),
                },
            ],
        );
        let out = render(&g, &[&a], &env(0.0));
        // Output (X, Y) shows source (Y, n - 1 - X) of the decoded input.
        let d = decode(&a);
        let mut want = d.clone();
        for (pw, pd) in want.planes.iter_mut().zip(&d.planes) {
            let m = pw.width;
            for y in 0..m {
                for x in 0..m {
                    pw.row_mut(y)[x] = pd.row(m - 1 - x)[y];
                }
            }
        }
        assert_eq!(out, sc(&want), "{format}");
    }
}

#[test]
fn demand_of_a_scaled_down_warp() {
    let (w, h) = (128, 64);
    let g = graph(
        2,
        vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Warp {
                src: id(1),
                matrix: matrix([0.5, 0.0, 0.0, 0.0, 0.5, 0.0]),
                outside: colour(0.0, 0.0, 0.0, 0.0),
            },
            Op::Over {
                fg: id(2),
                bg: id(0),
            },
        ],
    );
    let geo = FrameGeometry::for_format(w, h, ChromaFormat::Yuv420).unwrap();
    let band = Region {
        x: 0,
        y: 16,
        width: 128,
        height: 16,
    };
    let demand = input_demand(&g, &[geo, geo], &env(0.0), band);
    assert_eq!(
        demand[0],
        Some(Rect {
            x: 0,
            y: 16,
            width: 128,
            height: 16
        })
    );
    // Output rows 16..32 come from source rows 32..64, read with one
    // bilinear neighbour and a pixel of margin (30..), widened for the
    // neighbours of chroma samples by two chroma samples of the picture
    // the warp samples (halved, since it halves: 8 rows), clipped to the
    // frame.
    assert_eq!(
        demand[1],
        Some(Rect {
            x: 0,
            y: 22,
            width: 128,
            height: 42
        })
    );
    let right = Region {
        x: 64,
        y: 0,
        width: 64,
        height: 64,
    };
    let demand = input_demand(&g, &[geo, geo], &env(0.0), right);
    assert_eq!(
        demand[1], None,
        "the shrunk picture is not in the right half"
    );
    assert_eq!(
        demand[0],
        Some(Rect {
            x: 64,
            y: 0,
            width: 64,
            height: 64
        })
    );

    // Rendering just that band reads only what the demand says: inputs
    // blanked elsewhere give the same blocks.
    let a = sc(&moving_pattern(w, h, ChromaFormat::Yuv420, 1));
    let b = sc(&moving_pattern(w, h, ChromaFormat::Yuv420, 9));
    let whole = render(&g, &[&a, &b], &env(0.0));
    let blank_outside = |img: &ScImage, rect: Rect| {
        let g = img.geometry;
        let mut out = img.clone();
        let (x0, y0) = (rect.x / 8 * 8, rect.y / 8 * 8);
        let keep = Region {
            x: (x0 / g.mcu_width() * g.mcu_width()) as u16,
            y: (y0 / g.mcu_height() * g.mcu_height()) as u16,
            width: 0,
            height: 0,
        };
        let x1 = (rect.x + rect.width).div_ceil(g.mcu_width()) * g.mcu_width();
        let y1 = (rect.y + rect.height).div_ceil(g.mcu_height()) * g.mcu_height();
        let keep = Region {
            width: (x1 - u32::from(keep.x)) as u16,
            height: (y1 - u32::from(keep.y)) as u16,
            ..keep
        };
        for addr in 0..g.total_blocks() {
            if !keep.contains(&g, addr) {
                out.blocks[addr as usize] = [0; 64];
            }
        }
        out
    };
    let demand = input_demand(&g, &[geo, geo], &env(0.0), band);
    let (a2, b2) = (
        blank_outside(&a, demand[0].unwrap()),
        blank_outside(&b, demand[1].unwrap()),
    );
    let part = render_regions(&g, &[&a2, &b2], &env(0.0), &[band]);
    for addr in band.addresses(&geo) {
        assert_eq!(part.blocks[addr as usize], whole.blocks[addr as usize]);
    }
}

// --------------------------------------------------------- band splits

/// A graph with every operator (and a source of another size and chroma
/// format, a warp of a DCT-domain node and of a pixel pass, a title).
fn everything(w: f64, h: f64) -> Arc<Graph> {
    let rot = (17.0f64).to_radians();
    let (s, co) = (0.6 * rot.sin(), 0.6 * rot.cos());
    graph(
        3,
        vec![
            Op::Source { input: 0 }, // 0
            Op::Source { input: 1 }, // 1
            Op::Source { input: 2 }, // 2 (other size)
            Op::Solid {
                color: colour(20.0, 40.0, 200.0, 0.8),
            }, // 3
            Op::Mix {
                a: id(0),
                b: id(1),
                amount: c(0.4),
            }, // 4 (DCT)
            Op::Adjust {
                src: id(2),
                brightness: c(0.1),
                contrast: c(1.2),
                saturation: c(0.8),
            }, // 5
            Op::Border {
                src: id(5),
                width: c(3.0),
                color: colour(255.0, 255.0, 0.0, 1.0),
            }, // 6
            Op::Crop {
                src: id(6),
                x: c(2.3),
                y: c(1.7),
                width: c(w * 0.4),
                height: c(h * 0.4),
            }, // 7
            Op::Warp {
                src: id(7),
                matrix: matrix([co, -s, 0.3 * w, s, co, 0.1 * h]),
                outside: colour(0.0, 0.0, 0.0, 0.0),
            }, // 8
            Op::Key {
                src: id(1),
                color: colour(30.0, 160.0, 60.0, 1.0),
                tolerance: c(0.08),
                softness: c(0.1),
                spill: c(0.5),
            }, // 9
            Op::Over {
                fg: id(9),
                bg: id(3),
            }, // 10
            Op::Warp {
                src: id(4),
                matrix: matrix([0.5, 0.1, 0.25 * w, -0.1, 0.5, 0.25 * h]),
                outside: colour(200.0, 0.0, 0.0, 1.0),
            }, // 11
            Op::Wipe {
                a: id(11),
                b: id(10),
                shape: WipeShape::Circle,
                progress: c(0.6),
                softness: c(0.1),
            }, // 12
            Op::Over {
                fg: id(8),
                bg: id(12),
            }, // 13
            Op::Wipe {
                a: id(13),
                b: id(4),
                shape: WipeShape::Diagonal,
                progress: c(0.2),
                softness: c(0.05),
            }, // 14
            Op::Text {
                src: id(14),
                text: TextExpr::Const("Tessera\nbands".into()),
                size: c(26.5),
                color: colour(255.0, 255.0, 255.0, 0.9),
                x: c(10.3),
                y: c(h - 70.0),
                background: Some(colour(0.0, 0.0, 80.0, 0.5)),
                padding: c(4.0),
            }, // 15
        ],
    )
}

/// Asserts that `g` renders the same blocks whole, in bands (each with a
/// fresh renderer, and with one renderer reused in reverse order) and in
/// rectangular tiles.
fn assert_splits_agree(g: &Arc<Graph>, inputs: &[&ScImage], label: &str) {
    let geo = inputs[0].geometry;
    let whole = render(g, inputs, &env(0.0));
    for n in [2, 4, 7] {
        let bands = render_regions(g, inputs, &env(0.0), &geo.bands(n));
        assert!(whole == bands, "{label}: whole != {n} bands");
    }
    // One renderer reused for every band, in reverse order.
    let geoms: Vec<FrameGeometry> = inputs.iter().map(|i| i.geometry).collect();
    let mut r = Renderer::new(g.clone(), &geoms).unwrap();
    let mut out = ScImage::zeroed(geo);
    for band in geo.bands(3).into_iter().rev() {
        r.render(&env(0.0), inputs, band, &mut out).unwrap();
    }
    assert!(whole == out, "{label}: reused renderer differs");
    // Rectangular tiles, too.
    let (mw, mh) = (geo.mcu_width() as u16, geo.mcu_height() as u16);
    let full = geo.full_region();
    let split_x = (full.width / mw / 2) * mw;
    let split_y = (full.height / mh / 3) * mh;
    let tiles = [
        Region {
            x: 0,
            y: 0,
            width: split_x,
            height: split_y,
        },
        Region {
            x: split_x,
            y: 0,
            width: full.width - split_x,
            height: split_y,
        },
        Region {
            x: 0,
            y: split_y,
            width: split_x,
            height: full.height - split_y,
        },
        Region {
            x: split_x,
            y: split_y,
            width: full.width - split_x,
            height: full.height - split_y,
        },
    ];
    let tiled = render_regions(g, inputs, &env(0.0), &tiles);
    assert!(whole == tiled, "{label}: tiles differ");
}

const FORMATS: [ChromaFormat; 5] = [
    ChromaFormat::Yuv420,
    ChromaFormat::Yuv422,
    ChromaFormat::Yuv444,
    ChromaFormat::Yuv440,
    ChromaFormat::Yuv411,
];

#[test]
fn bands_give_identical_blocks() {
    for (w, h) in [(350, 202), (128, 96)] {
        for format in FORMATS {
            let a = sc(&moving_pattern(w, h, format, 2));
            let b = sc(&moving_pattern(w, h, format, 30));
            let c = sc(&moving_pattern(
                w * 2 / 3,
                h / 2 + 3,
                ChromaFormat::Yuv422,
                60,
            ));
            let g = everything(w as f64, h as f64);
            assert_splits_agree(&g, &[&a, &b, &c], &format!("{w}x{h} {format}"));
        }
    }
}

// ------------------------------------------------------ the planar path

/// `x' = c + s R(deg) (x - c) + t` about the centre of a `w` x `h` frame.
fn turn(deg: f64, s: f64, (w, h): (f64, f64), (tx, ty): (f64, f64)) -> [f64; 6] {
    let (sin, cos) = deg.to_radians().sin_cos();
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (a, b, d, e) = (s * cos, -s * sin, s * sin, s * cos);
    [
        a,
        b,
        cx - a * cx - b * cy + tx,
        d,
        e,
        cy - d * cx - e * cy + ty,
    ]
}

/// Graphs the planar path renders (inputs 0 and 1 of the output's size):
/// turns over an opaque colour and over black; insets with borders over
/// a background, from a source and from mixes, at full resolution and
/// shrunk enough to be sampled from reduced pictures, with opaque and
/// translucent colours.
fn planar_graphs(w: f64, h: f64) -> Vec<(&'static str, Arc<Graph>)> {
    let size = (w, h);
    let warp = |src: u32, m: [f64; 6], outside: ColorExpr| Op::Warp {
        src: id(src),
        matrix: matrix(m),
        outside,
    };
    let clear = || colour(0.0, 0.0, 0.0, 0.0);
    let sources = || vec![Op::Source { input: 0 }, Op::Source { input: 1 }];
    let with = |mut ops: Vec<Op>, more: Vec<Op>| {
        ops.extend(more);
        graph(2, ops)
    };
    vec![
        (
            "turn over red",
            with(
                sources(),
                vec![warp(
                    0,
                    turn(23.0, 1.0, size, (0.0, 0.0)),
                    colour(200.0, 30.0, 60.0, 1.0),
                )],
            ),
        ),
        (
            "shrinking turn over black",
            with(
                sources(),
                vec![warp(1, turn(-71.0, 0.45, size, (3.0, -2.5)), clear())],
            ),
        ),
        (
            "inset with a border",
            with(
                sources(),
                vec![
                    warp(
                        1,
                        [0.7, 0.0, w * 0.25 + 0.3, 0.0, 0.7, h * 0.2 + 0.6],
                        clear(),
                    ),
                    Op::Border {
                        src: id(2),
                        width: c(3.5),
                        color: colour(255.0, 255.0, 0.0, 1.0),
                    },
                    Op::Over {
                        fg: id(3),
                        bg: id(0),
                    },
                ],
            ),
        ),
        (
            "small inset of a mix, translucent outside and border, over a mix",
            with(
                sources(),
                vec![
                    Op::Mix {
                        a: id(0),
                        b: id(1),
                        amount: c(0.3),
                    },
                    warp(
                        2,
                        turn(10.0, 0.12, size, (w * 0.1, 0.0)),
                        colour(0.0, 0.0, 255.0, 0.4),
                    ),
                    Op::Border {
                        src: id(3),
                        width: c(2.2),
                        color: colour(0.0, 255.0, 0.0, 0.5),
                    },
                    Op::Mix {
                        a: id(1),
                        b: id(0),
                        amount: c(0.6),
                    },
                    Op::Over {
                        fg: id(4),
                        bg: id(5),
                    },
                ],
            ),
        ),
        (
            "quarter inset turned a right angle",
            with(
                sources(),
                vec![
                    warp(0, turn(90.0, 0.25, size, (-w * 0.3, h * 0.2)), clear()),
                    Op::Over {
                        fg: id(2),
                        bg: id(1),
                    },
                ],
            ),
        ),
    ]
}

#[test]
fn planar_path_gives_identical_blocks_whole_or_split() {
    for (w, h) in [(350, 202), (128, 96)] {
        for format in FORMATS {
            let a = sc(&moving_pattern(w, h, format, 2));
            let b = sc(&moving_pattern(w, h, format, 30));
            for (name, g) in planar_graphs(w as f64, h as f64) {
                assert_splits_agree(&g, &[&a, &b], &format!("{name}, {w}x{h} {format}"));
            }
        }
    }
}

/// Inverse of a 2x3 affine matrix.
fn inverse(m: [f64; 6]) -> [f64; 6] {
    let det = m[0] * m[4] - m[1] * m[3];
    let (a, b, c, d) = (m[4] / det, -m[1] / det, -m[3] / det, m[0] / det);
    [a, b, -(a * m[2] + b * m[5]), c, d, -(c * m[2] + d * m[5])]
}

/// A border for [`planar_reference`]: the bounding box `(x0, y0, x1, y1)`
/// it frames, its width and its (opaque) colour.
struct RefBorder {
    extent: (f64, f64, f64, f64),
    width: f64,
    color: [u8; 3],
}

/// The planar path as documented, computed here in `f64` from decoded
/// pictures: per plane, at the plane's own resolution, each sample's
/// centre mapped back through `inv`; inside the frame, the bilinear
/// sample (edges repeating) of the source's plane reduced `2^level` times
/// (each reduced sample the mean of its cell); outside, `main`'s sample
/// (black without a main: the outside colour is transparent); then an
/// opaque border over the samples within its width of its extent's edges.
/// Also returns, per plane, the samples within 1e-6 of an edge (inside
/// and outside may go either way there).
fn planar_reference(
    src: &Frame,
    main: Option<&Frame>,
    inv: [f64; 6],
    level: u32,
    border: Option<&RefBorder>,
) -> (Frame, Vec<Vec<bool>>) {
    let (w, h) = (src.width as f64, src.height as f64);
    let mut out = Frame::grey(src.width, src.height, src.format);
    let mut edgy = Vec::new();
    let (sx, sy) = src.format.chroma_shift();
    for (p, plane) in out.planes.iter_mut().enumerate() {
        let (fx, fy) = if p == 0 {
            (1.0, 1.0)
        } else {
            (f64::from(1u32 << sx), f64::from(1u32 << sy))
        };
        let source = &src.planes[p];
        let cell = 1usize << level;
        let (rw, rh) = (source.width.div_ceil(cell), source.height.div_ceil(cell));
        let reduced = |x: usize, y: usize| {
            let mut sum = 0.0;
            for j in 0..cell {
                for i in 0..cell {
                    let (c, r) = (
                        (x * cell + i).min(source.width - 1),
                        (y * cell + j).min(source.height - 1),
                    );
                    sum += f64::from(source.row(r)[c]);
                }
            }
            sum / (cell * cell) as f64
        };
        let mut near = vec![false; plane.width * plane.height];
        for y in 0..plane.height {
            for x in 0..plane.width {
                let (cx, cy) = ((x as f64 + 0.5) * fx, (y as f64 + 0.5) * fy);
                let (px, py) = (
                    inv[0] * cx + inv[1] * cy + inv[2],
                    inv[3] * cx + inv[4] * cy + inv[5],
                );
                let inside = (0.0..w).contains(&px) && (0.0..h).contains(&py);
                let mut edge = px
                    .abs()
                    .min((px - w).abs())
                    .min(py.abs())
                    .min((py - h).abs());
                let mut v = if inside {
                    let scale = (1u32 << level) as f64;
                    let (u, t) = (px / (fx * scale) - 0.5, py / (fy * scale) - 0.5);
                    let (u0, t0) = (u.floor(), t.floor());
                    let (a, b) = (u - u0, t - t0);
                    let col = |c: f64| c.clamp(0.0, (rw - 1) as f64) as usize;
                    let row = |r: f64| r.clamp(0.0, (rh - 1) as f64) as usize;
                    let (x0, x1, y0, y1) = (col(u0), col(u0 + 1.0), row(t0), row(t0 + 1.0));
                    (1.0 - b) * ((1.0 - a) * reduced(x0, y0) + a * reduced(x1, y0))
                        + b * ((1.0 - a) * reduced(x0, y1) + a * reduced(x1, y1))
                } else {
                    match main {
                        Some(m) => f64::from(m.planes[p].row(y)[x]),
                        None if p == 0 => 0.0,
                        None => 128.0,
                    }
                };
                if let Some(b) = border {
                    let (x0, y0, x1, y1) = b.extent;
                    if (x0..x1).contains(&cx) && (y0..y1).contains(&cy) {
                        let d = (cx - x0).min(x1 - cx).min(cy - y0).min(y1 - cy);
                        if d < b.width {
                            v = f64::from(b.color[p]);
                        }
                        edge = edge.min((d - b.width).abs());
                    }
                    let outer = (cx - x0)
                        .abs()
                        .min((cx - x1).abs())
                        .min((cy - y0).abs())
                        .min((cy - y1).abs());
                    edge = edge.min(outer);
                }
                near[y * plane.width + x] = edge < 1e-6;
                plane.row_mut(y)[x] = v.round() as u8;
            }
        }
        edgy.push(near);
    }
    (out, edgy)
}

/// Max difference per plane, skipping the samples `skip` marks.
fn max_diff_except(a: &Frame, b: &Frame, skip: &[Vec<bool>]) -> [u8; 3] {
    let mut worst = [0u8; 3];
    for (p, (x, y)) in a.planes.iter().zip(&b.planes).enumerate() {
        for r in 0..x.height {
            for c in 0..x.width {
                if !skip[p][r * x.width + c] {
                    worst[p] = worst[p].max(x.row(r)[c].abs_diff(y.row(r)[c]));
                }
            }
        }
    }
    worst
}

/// The planar path against [`planar_reference`]: an inset with a border
/// over a main picture at full resolution, a turn shrunk 2.2 times over
/// black (sampled from the half-size picture) and a quarter-size inset
/// (from the quarter-size one), in 4:2:0 and 4:2:2. The same sampling of
/// the same decoded pictures: our 16.16 positions and `f32` weights, and
/// the reduced pictures' means rounded to 8 bits, move a value by under a
/// level before it is rounded, and our output's round trip (integer
/// coefficients) adds one: within 2.
#[test]
fn planar_path_matches_its_definition() {
    let (w, h) = (256usize, 160usize);
    let size = (w as f64, h as f64);
    for format in [ChromaFormat::Yuv420, ChromaFormat::Yuv422] {
        let main = sc(&moving_pattern(w, h, format, 4));
        let inset = sc(&moving_pattern(w, h, format, 40));
        let (dm, di) = (decode(&main), decode(&inset));
        let yellow = ycbcr(255.0, 255.0, 0.0);
        let pip_m = [
            0.7,
            0.0,
            w as f64 * 0.25 + 0.3,
            0.0,
            0.7,
            h as f64 * 0.2 + 0.6,
        ];
        let quarter = [0.25, 0.0, 20.3, 0.0, 0.25, 100.6];
        let turn_m = turn(-71.0, 1.0 / 2.2, size, (3.0, -2.5));
        // Name, matrix, over the main picture, border, reduction level
        // (the shrink's power of two: 1/0.7, 2.2 and 4).
        let inset_border = RefBorder {
            extent: (
                pip_m[2],
                pip_m[5],
                pip_m[2] + 0.7 * size.0,
                pip_m[5] + 0.7 * size.1,
            ),
            width: 3.5,
            color: yellow,
        };
        let cases = [
            ("inset with a border", pip_m, true, Some(inset_border), 0),
            ("shrinking turn over black", turn_m, false, None, 1),
            ("quarter inset", quarter, true, None, 2),
        ];
        for (name, m, over, border, level) in cases {
            let mut ops = vec![
                Op::Source { input: 0 },
                Op::Source { input: 1 },
                Op::Warp {
                    src: id(1),
                    matrix: matrix(m),
                    outside: colour(0.0, 0.0, 0.0, 0.0),
                },
            ];
            if let Some(b) = &border {
                ops.push(Op::Border {
                    src: id(2),
                    width: c(b.width),
                    color: colour(255.0, 255.0, 0.0, 1.0),
                });
            }
            if over {
                let fg = id(ops.len() as u32 - 1);
                ops.push(Op::Over { fg, bg: id(0) });
            }
            let g = graph(2, ops);
            let r = Renderer::new(g.clone(), &[main.geometry, inset.geometry]).unwrap();
            assert!(r.is_planar(), "{name}");
            let ours = decode(&render(&g, &[&main, &inset], &env(0.0)));
            let main_decode = over.then_some(&dm);
            let (want, edgy) =
                planar_reference(&di, main_decode, inverse(m), level, border.as_ref());
            let worst = max_diff_except(&ours, &want, &edgy);
            assert!(worst.iter().all(|&d| d <= 2), "{name} {format}: {worst:?}");
        }
    }
}

/// With a transparent outside, the blocks of MCUs that the inset's
/// bounding box (and a pixel more) misses are the main picture's, exactly:
/// its coefficients, copied.
#[test]
fn planar_path_copies_the_blocks_the_inset_misses() {
    let (w, h) = (350usize, 202usize);
    let format = ChromaFormat::Yuv420;
    let a = sc(&moving_pattern(w, h, format, 2));
    let b = sc(&moving_pattern(w, h, format, 30));
    let (name, g) = planar_graphs(w as f64, h as f64).swap_remove(2);
    let out = render(&g, &[&a, &b], &env(0.0));
    // The inset: 0.7 of the frame from (w/4 + 0.3, h/5 + 0.6).
    let (x0, y0) = (w as f64 * 0.25 + 0.3, h as f64 * 0.2 + 0.6);
    let (x1, y1) = (x0 + 0.7 * w as f64, y0 + 0.7 * h as f64);
    let geo = a.geometry;
    let (mw, mh) = (f64::from(geo.mcu_width()), f64::from(geo.mcu_height()));
    let (mut copied, mut computed) = (0, 0);
    for addr in 0..geo.total_blocks() {
        let (plane, bx, by) = geo.locate(addr).unwrap();
        let (mx, my) = match plane {
            tessera_sc::PlaneKind::Y => (bx / u32::from(geo.h_sub), by / u32::from(geo.v_sub)),
            _ => (bx, by),
        };
        let (l, t) = (f64::from(mx) * mw, f64::from(my) * mh);
        let misses = l + mw <= x0 - 2.0 || l >= x1 + 2.0 || t + mh <= y0 - 2.0 || t >= y1 + 2.0;
        if misses {
            assert_eq!(
                out.blocks[addr as usize], a.blocks[addr as usize],
                "{name}: block {addr}"
            );
            copied += 1;
        } else {
            computed += 1;
        }
    }
    assert!(
        copied > 100 && computed > 100,
        "{copied} copied, {computed} computed"
    );
}

/// The planar path against the general path (the same graphs with an
/// identity adjust on top, which the planar path does not render), where
/// they define the same thing: luma, away from the warp's edges, is the
/// same bilinear sample of the same decode (within the round trips);
/// chroma, sampled per plane here and from chroma repeated over its cells
/// there, differs a little on a smooth picture.
#[test]
fn planar_path_agrees_with_the_general_path() {
    let (w, h) = (192usize, 128usize);
    let format = ChromaFormat::Yuv420;
    let smooth = |i: u32| {
        frame_from(w, h, format, move |p, x, y| {
            let (x, y) = (x as f64, y as f64);
            let v = 128.0 + 90.0 * ((x * 0.05 + f64::from(i)).sin() * (y * 0.04).cos());
            (v + 20.0 * p as f64).clamp(0.0, 255.0) as u8
        })
    };
    let (a, b) = (sc(&smooth(0)), sc(&smooth(3)));
    for (name, g) in planar_graphs(w as f64, h as f64) {
        if name.contains("small") || name.contains("quarter") || name.contains("shrinking") {
            // Sampled from reduced pictures here, not there.
            continue;
        }
        let mut ops: Vec<Op> = g.nodes.iter().map(|n| n.op.clone()).collect();
        ops.push(Op::Adjust {
            src: g.output,
            brightness: c(0.0),
            contrast: c(1.0),
            saturation: c(1.0),
        });
        let general = graph(2, ops);
        let geoms = [a.geometry, b.geometry];
        assert!(Renderer::new(g.clone(), &geoms).unwrap().is_planar());
        assert!(!Renderer::new(general.clone(), &geoms).unwrap().is_planar());
        let x = decode(&render(&g, &[&a, &b], &env(0.0)));
        let y = decode(&render(&general, &[&a, &b], &env(0.0)));
        for p in 0..3 {
            let (worst, over) = diff_stats(&x.planes[p], &y.planes[p]);
            let samples = x.planes[p].width * x.planes[p].height;
            // Luma: a few samples land a level further apart. Chroma: the
            // cells the warp's edges cross (about 100 here) differ by up
            // to the whole step, since here each chroma sample is inside
            // or outside by its own centre, there by each pixel's.
            let most = if p == 0 { 32 } else { samples / 40 };
            assert!(
                over < most,
                "{name} plane {p}: {over} of {samples} differ by more than 1 (max {worst})"
            );
        }
    }
}

// -------------------------------------------------- other-size sources

#[test]
fn smaller_source_sits_top_left_over_transparent() {
    let a = sc(&moving_pattern(64, 48, ChromaFormat::Yuv420, 0));
    let small = frame_from(24, 16, ChromaFormat::Yuv444, |p, _, _| [200, 90, 160][p]);
    let b = sc(&small);
    let g = graph(
        2,
        vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Over {
                fg: id(1),
                bg: id(0),
            },
        ],
    );
    let out = decode(&render(&g, &[&a, &b], &env(0.0)));
    let da = decode(&a);
    for y in 0..48 {
        for x in 0..64 {
            let got = out.planes[0].row(y)[x];
            if x < 24 && y < 16 {
                assert!(got.abs_diff(200) <= 1, "({x},{y}) {got}");
            } else if x >= 32 || y >= 24 {
                // Away from the chroma cells and blocks the edge touches.
                assert!(got.abs_diff(da.planes[0].row(y)[x]) <= 1, "({x},{y})");
            }
        }
    }
}

// ------------------------------------------------------------- keying

#[test]
fn key_removes_the_key_colour_and_keeps_others() {
    let (w, h) = (64, 32);
    let green = ycbcr(0.0, 255.0, 0.0);
    let red = ycbcr(220.0, 30.0, 30.0);
    // Left half pure key colour, right half red, on 8x8 block boundaries.
    let fg = frame_from(w, h, ChromaFormat::Yuv444, |p, x, _| {
        if x < 32 { green[p] } else { red[p] }
    });
    let bg = moving_pattern(w, h, ChromaFormat::Yuv444, 4);
    let (fa, ba) = (sc(&fg), sc(&bg));
    let g = graph(
        2,
        vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Key {
                src: id(1),
                color: colour(0.0, 255.0, 0.0, 1.0),
                tolerance: c(0.1),
                softness: c(0.05),
                spill: c(0.0),
            },
            Op::Over {
                fg: id(2),
                bg: id(0),
            },
        ],
    );
    let out = render(&g, &[&ba, &fa], &env(0.0));
    // The keyed half is the background's decode, the kept half the
    // foreground's, both encoded again: exactly.
    let (dbg, dfg) = (decode(&ba), decode(&fa));
    let want = frame_from(w, h, ChromaFormat::Yuv444, |p, x, y| {
        if x < 32 {
            dbg.planes[p].row(y)[x]
        } else {
            dfg.planes[p].row(y)[x]
        }
    });
    assert_eq!(out, sc(&want));
}

/// ffmpeg's `chromakey=color:similarity:blend` + `overlay` on the same
/// pictures: equal within 2 levels except next to edges of keyed areas
/// (ffmpeg averages the distance over a 3x3 neighbourhood, we key each
/// pixel alone).
#[test]
fn key_matches_ffmpeg_chromakey_away_from_edges() {
    let (w, h) = (96, 64);
    let green = ycbcr(20.0, 200.0, 40.0);
    // A key-coloured field with a blue-ish disc and a soft greenish ramp.
    let fg = frame_from(w, h, ChromaFormat::Yuv444, |p, x, y| {
        let (dx, dy) = (x as f64 - 30.0, y as f64 - 30.0);
        if dx * dx + dy * dy < 300.0 {
            [90, 180, 100][p]
        } else if x >= 64 {
            // From key-ish to far from it: exercises the blend ramp.
            let t = (y as f64) / (h as f64);
            let px = ycbcr(20.0 + 200.0 * t, 200.0 - 100.0 * t, 40.0 + 100.0 * t);
            px[p]
        } else {
            green[p]
        }
    });
    let bg = moving_pattern(w, h, ChromaFormat::Yuv444, 8);
    let dir = tessera_testkit::temp_dir();
    let raw =
        |name: &str, f: &Frame| tessera_testkit::write_file(dir.path(), name, &f.to_planar_bytes());
    // Compare on the pictures our pipeline starts from: the SC decodes.
    let (fa, ba) = (sc(&fg), sc(&bg));
    let (dfg, dbg) = (decode(&fa), decode(&ba));
    let (fg_path, bg_path) = (raw("fg.yuv", &dfg), raw("bg.yuv", &dbg));
    let out_path = dir.path().join("out.yuv");
    let size = format!("{w}x{h}");
    let (sim, blend) = (0.12, 0.08);
    let filter = format!(
        "[1:v]chromakey=color=0x14C828:similarity={sim}:blend={blend}[k];[0:v][k]overlay=format=yuv444"
    );
    tessera_testkit::run_ffmpeg([
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv444p",
        "-s",
        &size,
        "-i",
        bg_path.to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv444p",
        "-s",
        &size,
        "-i",
        fg_path.to_str().unwrap(),
        "-filter_complex",
        &filter,
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv444p",
        out_path.to_str().unwrap(),
    ]);
    let theirs = Frame::from_planar_bytes(
        w,
        h,
        ChromaFormat::Yuv444,
        &std::fs::read(&out_path).unwrap(),
    )
    .expect("ffmpeg frame");

    let g = graph(
        2,
        vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Key {
                src: id(1),
                color: colour(20.0, 200.0, 40.0, 1.0),
                tolerance: c(sim),
                softness: c(blend),
                spill: c(0.0),
            },
            Op::Over {
                fg: id(2),
                bg: id(0),
            },
        ],
    );
    let ours = decode(&render(&g, &[&ba, &fa], &env(0.0)));
    // Pixels whose 3x3 neighbourhood has nearly one foreground chroma
    // (the gentle ramp passes: its 3x3 mean is its centre).
    let flat = |x: usize, y: usize| {
        let p = &dfg.planes;
        (x.saturating_sub(1)..(x + 2).min(w)).all(|i| {
            (y.saturating_sub(1)..(y + 2).min(h))
                .all(|j| (1..3).all(|k| p[k].row(j)[i].abs_diff(p[k].row(y)[x]) <= 6))
        })
    };
    let mut ramp = 0;
    let mut compared = 0;
    for y in 0..h {
        for x in 0..w {
            // ffmpeg's neighbourhood misreads the last rows of the frame
            // (keyed pixels there come out partly opaque).
            if !flat(x, y) || y + 3 >= h {
                continue;
            }
            compared += 1;
            ramp += usize::from(x >= 64);
            for k in 0..3 {
                let (a, b) = (ours.planes[k].row(y)[x], theirs.planes[k].row(y)[x]);
                assert!(
                    a.abs_diff(b) <= 3,
                    "plane {k} ({x},{y}): ours {a} ffmpeg {b}"
                );
            }
        }
    }
    assert!(compared > w * h / 2, "compared {compared} pixels");
    assert!(ramp > 32 * (h - 8), "compared {ramp} pixels of the ramp");
}

// --------------------------------------------------------------- text

/// ab_glyph's coverage of `text` laid out as the title operator documents.
fn coverage(text: &str, size: f32, x0: i64, y0: i64, w: usize, h: usize) -> Vec<f32> {
    let font =
        ab_glyph::FontRef::try_from_slice(include_bytes!("../fonts/DejaVuSans.ttf")).unwrap();
    let scale = PxScale::from(size * font.height_unscaled() / font.units_per_em().unwrap());
    let sf = font.as_scaled(scale);
    let mut cov = vec![0f32; w * h];
    let mut caret = 0.0;
    let mut prev = None;
    for ch in text.chars() {
        let gid = font.glyph_id(ch);
        if let Some(p) = prev {
            caret += sf.kern(p, gid);
        }
        prev = Some(gid);
        let glyph = gid.with_scale_and_position(scale, point(caret, sf.ascent()));
        caret += sf.h_advance(gid);
        if let Some(o) = font.outline_glyph(glyph) {
            let b = o.px_bounds();
            o.draw(|gx, gy, v| {
                let (x, y) = (
                    x0 + b.min.x as i64 + i64::from(gx),
                    y0 + b.min.y as i64 + i64::from(gy),
                );
                if (0..w as i64).contains(&x) && (0..h as i64).contains(&y) {
                    let i = y as usize * w + x as usize;
                    cov[i] = (cov[i] + v).min(1.0);
                }
            });
        }
    }
    cov
}

#[test]
fn title_draws_ab_glyph_coverage() {
    let (w, h) = (128, 48);
    let white = Frame::filled(w, h, ChromaFormat::Yuv444, [255, 128, 128]);
    let a = sc(&white);
    let g = graph(
        1,
        vec![
            Op::Source { input: 0 },
            Op::Text {
                src: id(0),
                text: TextExpr::Const("AVo Wj".into()),
                size: c(24.0),
                color: colour(0.0, 0.0, 0.0, 1.0),
                x: c(7.0),
                y: c(5.0),
                background: None,
                padding: c(0.0),
            },
        ],
    );
    let out = decode(&render(&g, &[&a], &env(0.0)));
    let cov = coverage("AVo Wj", 24.0, 7, 5, w, h);
    let mut dark = 0;
    for y in 0..h {
        for x in 0..w {
            let want = 255.0 * (1.0 - cov[y * w + x]);
            let got = f32::from(out.planes[0].row(y)[x]);
            assert!((want - got).abs() <= 1.5, "({x},{y}) want {want} got {got}");
            if got < 64.0 {
                dark += 1;
            }
        }
    }
    assert!(dark > 100, "{dark} dark pixels");

    // A background box: padding around the text box, drawn under it.
    let g = graph(
        1,
        vec![
            Op::Source { input: 0 },
            Op::Text {
                src: id(0),
                text: TextExpr::Const("Hi".into()),
                size: c(16.0),
                color: colour(255.0, 255.0, 255.0, 1.0),
                x: c(40.0),
                y: c(16.0),
                background: Some(colour(0.0, 0.0, 0.0, 1.0)),
                padding: c(8.0),
            },
        ],
    );
    let out = decode(&render(&g, &[&a], &env(0.0)));
    let y = &out.planes[0];
    assert!(y.row(10)[36] <= 1, "inside the padding");
    assert!(y.row(10)[30] >= 254, "left of the box");
    assert!(y.row(2)[45] >= 254, "above the box");
}

#[test]
fn text_cache_follows_parameter_changes() {
    let a = sc(&Frame::filled(64, 32, ChromaFormat::Yuv420, [0, 128, 128]));
    let g = Arc::new(Graph {
        params: vec![tessera_fx::graph::ParamDecl {
            name: "t".into(),
            default: ParamValue::Text("A".into()),
            range: None,
        }],
        ..(*graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Text {
                    src: id(0),
                    text: TextExpr::Param(0),
                    size: c(20.0),
                    color: colour(255.0, 255.0, 255.0, 1.0),
                    x: c(2.0),
                    y: c(2.0),
                    background: None,
                    padding: c(0.0),
                },
            ],
        ))
        .clone()
    });
    let mut r = Renderer::new(g.clone(), &[a.geometry]).unwrap();
    let region = a.geometry.full_region();
    let mut frames = vec![];
    for text in ["A", "B", "A", ""] {
        let params = [ParamValue::Text(text.into())];
        let e = Env {
            frame: 0,
            t: 0.0,
            params: &params,
        };
        let mut out = ScImage::zeroed(a.geometry);
        r.render(&e, &[&a], region, &mut out).unwrap();
        // A fresh renderer agrees (no stale cache).
        let mut fresh = Renderer::new(g.clone(), &[a.geometry]).unwrap();
        let mut again = ScImage::zeroed(a.geometry);
        fresh.render(&e, &[&a], region, &mut again).unwrap();
        assert_eq!(out, again, "{text}");
        frames.push(out);
    }
    assert_ne!(frames[0], frames[1]);
    assert_eq!(frames[0], frames[2]);
    assert_eq!(decode(&frames[3]), decode(&a));

    // A moving title (and a huge one, rasterized clipped to the frame):
    // the cached mask moves with it.
    for size in [20.0, 1500.0] {
        let moving = graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Text {
                    src: id(0),
                    text: TextExpr::Const("Wave".into()),
                    size: c(size),
                    color: colour(255.0, 255.0, 255.0, 1.0),
                    x: Expr::Bin(
                        tessera_fx::expr::BinOp::Mul,
                        Box::new(Expr::Time),
                        Box::new(c(-37.3)),
                    ),
                    y: c(-size / 3.0),
                    background: None,
                    padding: c(0.0),
                },
            ],
        );
        let mut r = Renderer::new(moving.clone(), &[a.geometry]).unwrap();
        for t in [0.0, 0.5, 1.0, 0.5, 3.0] {
            let mut out = ScImage::zeroed(a.geometry);
            r.render(&env(t), &[&a], region, &mut out).unwrap();
            assert_eq!(out, render(&moving, &[&a], &env(t)), "size {size} t {t}");
        }
    }
}

// ------------------------------------------------- crop, adjust, wipe

#[test]
fn crop_keeps_its_rectangle() {
    for format in [ChromaFormat::Yuv444, ChromaFormat::Yuv420] {
        let a = sc(&moving_pattern(64, 48, format, 11));
        let g = graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Crop {
                    src: id(0),
                    x: c(8.0),
                    y: c(16.0),
                    width: c(24.0),
                    height: c(14.0),
                },
            ],
        );
        let out = render(&g, &[&a], &env(0.0));
        let d = decode(&a);
        let (sx, sy) = format.chroma_shift();
        let want = frame_from(64, 48, format, |p, x, y| {
            let (lx, ly) = if p == 0 { (x, y) } else { (x << sx, y << sy) };
            let inside = (8..32).contains(&lx) && (16..30).contains(&ly);
            match (inside, p) {
                (true, _) => d.planes[p].row(y)[x],
                (false, 0) => 0,
                (false, _) => 128,
            }
        });
        assert_eq!(out, sc(&want), "{format}");
    }
}

#[test]
fn adjust_brightness_contrast_saturation() {
    let a = sc(&moving_pattern(48, 32, ChromaFormat::Yuv420, 6));
    let d = decode(&a);
    let adjust = |b: f64, k: f64, s: f64| {
        let g = graph(
            1,
            vec![
                Op::Source { input: 0 },
                Op::Adjust {
                    src: id(0),
                    brightness: c(b),
                    contrast: c(k),
                    saturation: c(s),
                },
            ],
        );
        decode(&render(&g, &[&a], &env(0.0)))
    };
    let bright = adjust(0.1, 1.0, 1.0);
    for (o, i) in bright.planes[0].data.iter().zip(&d.planes[0].data) {
        let want = (f64::from(*i) + 25.5).min(255.0);
        assert!((f64::from(*o) - want).abs() <= 1.5, "{o} {want}");
    }
    for (p, q) in bright.planes[1..].iter().zip(&d.planes[1..]) {
        assert!(max_diff(p, q) <= 1);
    }
    let flat = adjust(0.0, 0.0, 0.0);
    assert!(
        flat.planes
            .iter()
            .all(|p| p.data.iter().all(|&v| v.abs_diff(128) <= 1))
    );
}

#[test]
fn left_wipe_splits_the_frame() {
    let a = sc(&Frame::filled(64, 16, ChromaFormat::Yuv420, [20, 128, 128]));
    let b = sc(&Frame::filled(
        64,
        16,
        ChromaFormat::Yuv420,
        [220, 128, 128],
    ));
    let g = graph(
        2,
        vec![
            Op::Source { input: 0 },
            Op::Source { input: 1 },
            Op::Wipe {
                a: id(0),
                b: id(1),
                shape: WipeShape::Left,
                progress: Expr::Time,
                softness: c(0.0),
            },
        ],
    );
    let out = decode(&render(&g, &[&a, &b], &env(0.25)));
    let row = out.planes[0].row(5);
    assert!(row[..16].iter().all(|&v| v == 220));
    assert!(row[16..].iter().all(|&v| v == 20));
}

// ------------------------------------------------------ hostile input

#[test]
fn extreme_parameters_do_not_panic() {
    let warps = [
        [1e9, 0.0, 0.0, 0.0, 1e9, 0.0],
        [0.0; 6],
        [1e-9, 0.0, 3.0, 0.0, 1e-9, 3.0],
        [1.0, 0.0, 1e300, 0.0, 1.0, -1e300],
        [1e200, 1e200, 1.0, -1e200, 1e200, 0.0],
        [1e-200, 0.0, 0.0, 0.0, 1e200, 0.0],
    ];
    let texts = ["", "\n\n", "x", "far away", "\u{fffd}\u{1f600}\t\r"];
    for (w, h) in [(1, 1), (17, 9), (40, 24)] {
        for format in [
            ChromaFormat::Yuv420,
            ChromaFormat::Yuv444,
            ChromaFormat::Yuv411,
        ] {
            let a = sc(&moving_pattern(w, h, format, 1));
            let b = sc(&moving_pattern(h, w, ChromaFormat::Yuv422, 2));
            for (i, m) in warps.iter().enumerate() {
                let t = texts[i % texts.len()];
                let huge = if i % 2 == 0 { 1e9 } else { -1e9 };
                let g = graph(
                    2,
                    vec![
                        Op::Source { input: 0 },
                        Op::Source { input: 1 },
                        Op::Crop {
                            src: id(1),
                            x: c(huge),
                            y: c(0.0),
                            width: c(0.0),
                            height: c(huge),
                        },
                        Op::Warp {
                            src: id(2),
                            matrix: matrix(*m),
                            outside: colour(1e9, -5.0, 300.0, 7.0),
                        },
                        Op::Key {
                            src: id(3),
                            color: colour(0.0, 255.0, 0.0, 1.0),
                            tolerance: c(huge),
                            softness: c(0.0),
                            spill: c(-huge),
                        },
                        Op::Border {
                            src: id(4),
                            width: c(huge),
                            color: colour(0.0, 0.0, 0.0, 0.5),
                        },
                        Op::Text {
                            src: id(0),
                            text: TextExpr::Const(t.into()),
                            size: c(if i == 3 { 1e9 } else { 12.0 }),
                            color: colour(255.0, 0.0, 0.0, 1.0),
                            x: c(if i == 4 { huge } else { 0.0 }),
                            y: c(if i == 1 { -huge } else { 0.0 }),
                            background: Some(colour(0.0, 0.0, 0.0, 1.0)),
                            padding: c(huge.abs()),
                        },
                        Op::Wipe {
                            a: id(6),
                            b: id(5),
                            shape: [WipeShape::Circle, WipeShape::Up, WipeShape::Diagonal][i % 3],
                            progress: c(huge),
                            softness: c(-huge),
                        },
                        Op::Adjust {
                            src: id(7),
                            brightness: c(huge),
                            contrast: c(huge),
                            saturation: c(-huge),
                        },
                        Op::Mix {
                            a: id(8),
                            b: id(0),
                            amount: c(huge),
                        },
                        Op::Mix {
                            a: id(0),
                            b: id(0),
                            amount: c(-huge),
                        },
                        Op::Over {
                            fg: id(9),
                            bg: id(10),
                        },
                    ],
                );
                let geoms = [a.geometry, b.geometry];
                let mut r = Renderer::new(g.clone(), &geoms).unwrap();
                let mut out = ScImage::zeroed(a.geometry);
                for band in a.geometry.bands(3) {
                    r.render(&env(0.5), &[&a, &b], band, &mut out).unwrap();
                    let _ = input_demand(&g, &geoms, &env(0.5), band);
                }
                assert!(
                    out.blocks
                        .iter()
                        .flatten()
                        .all(|c| (-2048..=2047).contains(c))
                );
            }
        }
    }
}

/// The planar shapes under hostile matrices (singular, huge, tiny, far
/// away: the planar path, or the general one where its positions cannot
/// represent the matrix), colours and border widths, on tiny frames.
#[test]
fn planar_path_survives_extreme_parameters() {
    let warps = [
        [1e9, 0.0, 0.0, 0.0, 1e9, 0.0],
        [0.0; 6],
        [1e-9, 0.0, 3.0, 0.0, 1e-9, 3.0],
        [1.0, 0.0, 1e300, 0.0, 1.0, -1e300],
        [1e200, 1e200, 1.0, -1e200, 1e200, 0.0],
        [1e-200, 0.0, 0.0, 0.0, 1e200, 0.0],
        [-1.0, 0.0, 5.0, 0.0, -1.0, 3.0],
        [1e-3, 2e-3, 0.5, -3e-3, 1e-3, 0.5],
    ];
    for (w, h) in [(1, 1), (17, 9), (40, 24)] {
        for format in [ChromaFormat::Yuv420, ChromaFormat::Yuv411] {
            let a = sc(&moving_pattern(w, h, format, 1));
            let b = sc(&moving_pattern(w, h, format, 2));
            for (i, m) in warps.iter().enumerate() {
                let huge = if i % 2 == 0 { 1e9 } else { -1e9 };
                let outside = [colour(1e9, -5.0, 300.0, 7.0), colour(0.0, 0.0, 0.0, 0.0)];
                for (k, outside) in outside.into_iter().enumerate() {
                    let inset = graph(
                        2,
                        vec![
                            Op::Source { input: 0 },
                            Op::Source { input: 1 },
                            Op::Warp {
                                src: id(1),
                                matrix: matrix(*m),
                                outside,
                            },
                            Op::Border {
                                src: id(2),
                                width: c(if k == 0 { huge } else { f64::NAN }),
                                color: colour(0.0, -1.0, 1e9, 0.5),
                            },
                            Op::Over {
                                fg: id(3),
                                bg: id(0),
                            },
                        ],
                    );
                    let alone = graph(
                        1,
                        vec![
                            Op::Source { input: 0 },
                            Op::Warp {
                                src: id(0),
                                matrix: matrix(*m),
                                outside: colour(0.0, 0.0, 0.0, f64::NAN),
                            },
                        ],
                    );
                    for (g, inputs) in [(inset, vec![&a, &b]), (alone, vec![&a])] {
                        let geoms: Vec<FrameGeometry> = inputs.iter().map(|i| i.geometry).collect();
                        let mut r = Renderer::new(g.clone(), &geoms).unwrap();
                        assert!(r.is_planar());
                        let mut out = ScImage::zeroed(a.geometry);
                        for band in a.geometry.bands(3) {
                            r.render(&env(0.5), &inputs, band, &mut out).unwrap();
                            let _ = input_demand(&g, &geoms, &env(0.5), band);
                        }
                        assert!(
                            out.blocks
                                .iter()
                                .flatten()
                                .all(|c| (-2048..=2047).contains(c))
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn mismatched_inputs_are_errors() {
    let g = dissolve(false);
    let a = sc(&moving_pattern(32, 16, ChromaFormat::Yuv420, 0));
    let b = sc(&moving_pattern(32, 16, ChromaFormat::Yuv444, 0));
    assert!(Renderer::new(g.clone(), &[a.geometry]).is_err());
    assert!(Renderer::new(g.clone(), &[]).is_err());
    let mut r = Renderer::new(g.clone(), &[a.geometry, a.geometry]).unwrap();
    let mut out = ScImage::zeroed(a.geometry);
    let full = a.geometry.full_region();
    assert!(r.render(&env(0.0), &[&a], full, &mut out).is_err());
    assert!(r.render(&env(0.0), &[&a, &b], full, &mut out).is_err());
    let off_grid = Region { x: 8, ..full };
    assert!(r.render(&env(0.0), &[&a, &a], off_grid, &mut out).is_err());
    let mut wrong = ScImage::zeroed(b.geometry);
    assert!(r.render(&env(0.0), &[&a, &a], full, &mut wrong).is_err());
    assert!(r.render(&env(0.0), &[&a, &a], full, &mut out).is_ok());
}

// --------------------------------------------------------------- speed

/// `cargo test --release -p tessera-fx --test ops -- --ignored --nocapture`
#[test]
#[ignore]
fn speed_1080p() {
    let format = ChromaFormat::Yuv420;
    let a = sc(&moving_pattern(1920, 1080, format, 0));
    let b = sc(&moving_pattern(1920, 1080, format, 50));
    let cases: Vec<(&str, Arc<Graph>)> = vec![
        ("dissolve (DCT path)", dissolve(false)),
        ("dissolve (pixel path)", dissolve(true)),
        (
            "wipe",
            graph(
                2,
                vec![
                    Op::Source { input: 0 },
                    Op::Source { input: 1 },
                    Op::Wipe {
                        a: id(0),
                        b: id(1),
                        shape: WipeShape::Circle,
                        progress: c(0.5),
                        softness: c(0.05),
                    },
                ],
            ),
        ),
        (
            "over+key",
            graph(
                2,
                vec![
                    Op::Source { input: 0 },
                    Op::Source { input: 1 },
                    Op::Key {
                        src: id(1),
                        color: colour(0.0, 255.0, 0.0, 1.0),
                        tolerance: c(0.1),
                        softness: c(0.05),
                        spill: c(0.3),
                    },
                    Op::Over {
                        fg: id(2),
                        bg: id(0),
                    },
                ],
            ),
        ),
        (
            "picture-in-picture (warp, border, over: planar path)",
            graph(
                2,
                vec![
                    Op::Source { input: 0 },
                    Op::Source { input: 1 },
                    Op::Warp {
                        src: id(1),
                        matrix: matrix([0.35, 0.0, 1200.0, 0.0, 0.35, 80.0]),
                        outside: colour(0.0, 0.0, 0.0, 0.0),
                    },
                    Op::Border {
                        src: id(2),
                        width: c(3.0),
                        color: colour(255.0, 255.0, 255.0, 1.0),
                    },
                    Op::Over {
                        fg: id(3),
                        bg: id(0),
                    },
                ],
            ),
        ),
        (
            "rotation by 30 degrees over black (warp: planar path)",
            graph(
                2,
                vec![
                    Op::Source { input: 0 },
                    Op::Warp {
                        src: id(0),
                        matrix: matrix(turn(30.0, 1.0, (1920.0, 1080.0), (0.0, 0.0))),
                        outside: colour(0.0, 0.0, 0.0, 1.0),
                    },
                ],
            ),
        ),
        ("title over dissolve", {
            let mut ops: Vec<Op> = dissolve(false).nodes.iter().map(|n| n.op.clone()).collect();
            ops.push(Op::Text {
                src: id(2),
                text: TextExpr::Const("Tessera: parallel video effects".into()),
                size: c(64.0),
                color: colour(255.0, 255.0, 255.0, 1.0),
                x: c(100.0),
                y: c(900.0),
                background: Some(colour(0.0, 0.0, 0.0, 0.5)),
                padding: c(12.0),
            });
            graph(2, ops)
        }),
    ];
    // `FX_SPEED_CASE=warp` runs only the cases whose name contains it.
    let only = std::env::var("FX_SPEED_CASE").unwrap_or_default();
    for (name, g) in cases.into_iter().filter(|(n, _)| n.contains(&only)) {
        let mut r = Renderer::new(g, &[a.geometry, b.geometry]).unwrap();
        let mut out = ScImage::zeroed(a.geometry);
        let region = a.geometry.full_region();
        r.render(&env(0.5), &[&a, &b], region, &mut out).unwrap();
        let n = 20;
        let start = std::time::Instant::now();
        for i in 0..n {
            r.render(&env(0.3 + 0.01 * f64::from(i)), &[&a, &b], region, &mut out)
                .unwrap();
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        println!(
            "{name}: {ms:.2} ms per 1920x1080 4:2:0 frame ({:.0} fps)",
            1000.0 / ms
        );
    }
}

#[test]
fn renderers_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Renderer>();
}
