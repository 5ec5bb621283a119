//! The embedded engine end to end: every example effect gives bit-identical
//! output under every mapping, and live parameter changes apply from the
//! stated frame under every mapping.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tessera_cluster::{Engine, EngineConfig};
use tessera_core::{ChromaFormat, Rational, pattern::moving_pattern};
use tessera_fx::Graph;
use tessera_fx::mapper::Mode;
use tessera_runtime::AlignedFrame;
use tessera_sc::FrameGeometry;

const WIDTH: usize = 320;
const HEIGHT: usize = 176;
const FRAMES: u32 = 8;

/// `FRAMES` JPEG frames per input, each input a different pattern.
fn inputs(count: usize, format: ChromaFormat) -> Vec<Vec<Arc<Vec<u8>>>> {
    let options = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    (0..count)
        .map(|i| {
            (0..FRAMES)
                .map(|n| {
                    let mut frame = moving_pattern(WIDTH, HEIGHT, format, n * 3 + 40 * i as u32);
                    // A green band so chroma keys have something to key.
                    if i == 0 {
                        for y in 40..90 {
                            frame.planes[0].row_mut(y).fill(150);
                        }
                        let ch = frame.planes[1].height;
                        let (y0, y1) = (40 * ch / HEIGHT, 90 * ch / HEIGHT);
                        for y in y0..y1 {
                            frame.planes[1].row_mut(y).fill(44);
                            frame.planes[2].row_mut(y).fill(21);
                        }
                    }
                    let jpeg = Arc::new(tessera_jpeg::encode_frame(&frame, 90, &options).unwrap());
                    tessera_cluster::carriable_jpeg(jpeg).unwrap()
                })
                .collect()
        })
        .collect()
}

fn session_name(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "test-{}-{tag}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs `graph` over `frames` with `processors` in `mode`, applying
/// `(name, value, frame)` changes, and returns the output JPEGs in order.
fn run(
    graph: &Graph,
    frames: &[Vec<Arc<Vec<u8>>>],
    processors: usize,
    mode: Mode,
    changes: &[(&str, &str, u64)],
) -> Vec<Vec<u8>> {
    let format_of = |j: &[u8]| {
        let info = tessera_jpeg::read_info(j, &tessera_core::Limits::default()).unwrap();
        FrameGeometry::for_format(info.width, info.height, info.chroma_format.unwrap()).unwrap()
    };
    let geometries: Vec<FrameGeometry> = frames.iter().map(|f| format_of(&f[0])).collect();
    let bytes: Vec<usize> = frames.iter().map(|f| f[0].len()).collect();
    let mut config = EngineConfig::new(graph.clone(), processors, mode, Rational::integer(25));
    config.session = session_name("run");
    let mut engine = Engine::start(config, &geometries, &bytes).unwrap();
    let control = engine.control();
    for (name, value, at) in changes {
        control.set(name, value, Some(*at)).unwrap();
    }
    let mut out = Vec::new();
    for n in 0..FRAMES as usize {
        let frame = AlignedFrame {
            frame: n as u64,
            time: n as f64 / 25.0,
            inputs: frames.iter().map(|f| f[n].clone()).collect(),
        };
        out.extend(engine.submit(&frame, Instant::now()).unwrap());
    }
    let (rest, summary) = engine.finish().unwrap();
    out.extend(rest);
    assert_eq!(summary.frames, u64::from(FRAMES));
    let r = &summary.reconstructor.stats;
    assert_eq!(
        (r.dropped_packets, r.incomplete_frames, r.missing_frames),
        (0, 0, 0)
    );
    assert_eq!(summary.processors().len(), processors);
    let numbers: Vec<u64> = out.iter().map(|f| f.frame).collect();
    assert_eq!(numbers, (0..u64::from(FRAMES)).collect::<Vec<_>>());
    out.into_iter().map(|f| f.jpeg).collect()
}

fn example(name: &str) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/effects")
        .join(name);
    let source = std::fs::read_to_string(&path).unwrap();
    tessera_fx::lang::compile(&source).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const MAPPINGS: [(usize, Mode); 3] = [
    (4, Mode::Temporal),
    (4, Mode::Spatial),
    (4, Mode::Hybrid { groups: Some(2) }),
];

#[test]
fn every_example_is_identical_under_every_mapping() {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/effects"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".fx"))
            .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    let all = inputs(3, ChromaFormat::Yuv420);
    for name in &names {
        let graph = example(name);
        // Parameters that place things for 1280x720 moved into this frame.
        let frames = &all[..graph.inputs.len()];
        let one = run(&graph, frames, 1, Mode::Temporal, &[]);
        for (processors, mode) in MAPPINGS {
            let other = run(&graph, frames, processors, mode, &[]);
            for (n, (a, b)) in one.iter().zip(&other).enumerate() {
                assert!(
                    a == b,
                    "{name}: frame {n} differs between 1 processor and {processors} {mode:?}"
                );
            }
        }
    }
}

#[test]
fn other_chroma_formats_are_identical_too() {
    let graph = example("demo.fx");
    // 4:4:4 travels as 4:2:0 (RTP/JPEG carries 4:2:0 and 4:2:2).
    for format in [ChromaFormat::Yuv422, ChromaFormat::Yuv444] {
        let frames = inputs(3, format);
        let one = run(&graph, &frames, 1, Mode::Temporal, &[]);
        let spatial = run(&graph, &frames, 3, Mode::Spatial, &[]);
        assert_eq!(one, spatial, "{format}");
    }
}

#[test]
fn a_live_change_applies_from_its_frame_under_every_mapping() {
    let graph = tessera_fx::lang::compile(
        "input a, b;\nparam mix = 0.2 in 0..1;\nparam label = \"one\";\n\
         output title(dissolve(a, b, mix), text: label, size: 24, x: 10, y: 10);",
    )
    .unwrap();
    let frames = inputs(2, ChromaFormat::Yuv420);
    let base = run(&graph, &frames, 1, Mode::Temporal, &[]);
    let changes = [("mix", "0.9", 5), ("label", "two", 6)];
    let changed = run(&graph, &frames, 1, Mode::Temporal, &changes);
    assert_eq!(
        base[..5],
        changed[..5],
        "frames before the change are untouched"
    );
    for n in 5..FRAMES as usize {
        assert_ne!(base[n], changed[n], "frame {n} shows the change");
    }
    for (processors, mode) in MAPPINGS {
        let other = run(&graph, &frames, processors, mode, &changes);
        assert!(other == changed, "{processors} {mode:?}");
    }
}

#[test]
fn bad_parameter_values_are_refused_by_the_handle() {
    let graph = tessera_fx::lang::compile(
        "input a, b;\nparam mix = 0.2 in 0..1;\noutput dissolve(a, b, mix);",
    )
    .unwrap();
    let frames = inputs(2, ChromaFormat::Yuv420);
    let geometries =
        vec![FrameGeometry::for_format(WIDTH, HEIGHT, ChromaFormat::Yuv420).unwrap(); 2];
    let mut config = EngineConfig::new(graph, 2, Mode::Spatial, Rational::integer(25));
    config.session = session_name("bad");
    let engine = Engine::start(config, &geometries, &[frames[0][0].len(); 2]).unwrap();
    let control = engine.control();
    let err = control.set("mix", "1.5", None).unwrap_err().to_string();
    assert!(err.contains("outside its range"), "{err}");
    let err = control.set("mxi", "0.5", None).unwrap_err().to_string();
    assert!(
        err.contains("no parameter `mxi`") && err.contains("mix"),
        "{err}"
    );
    let err = control.command("set mix").unwrap_err().to_string();
    assert!(err.contains("NAME=VALUE"), "{err}");
    let err = control.command("frobnicate").unwrap_err().to_string();
    assert!(err.contains("unknown command"), "{err}");
    control.command("set mix=0.5 @3").unwrap();
    let (rest, summary) = engine.finish().unwrap();
    assert!(rest.is_empty());
    assert_eq!(summary.frames, 0);
}
