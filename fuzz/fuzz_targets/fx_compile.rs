//! Effect specifications: any text either compiles to a graph that passes
//! its own validation, survives a JSON round trip and renders a small
//! frame under every processor split without panicking, or gives a
//! located error.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tessera_core::{ChromaFormat, Frame};
use tessera_fx::eval::Renderer;
use tessera_fx::{Env, lang};
use tessera_sc::{FrameGeometry, ScImage};

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let graph = match lang::compile(&source) {
        Ok(graph) => graph,
        Err(e) => {
            // Located: a real line and column, and a caret to show.
            assert!(e.pos.line >= 1 && e.pos.col >= 1, "{e}");
            assert!(e.to_string().contains('^'));
            return;
        }
    };
    graph.validate().expect("compiled graphs are valid");
    let json = serde_json::to_string(&graph).expect("serializes");
    let back: tessera_fx::Graph = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, graph);
    if graph.inputs.len() > 4 {
        return;
    }
    let geometry = FrameGeometry::for_format(48, 32, ChromaFormat::Yuv420).expect("geometry");
    let inputs: Vec<ScImage> = (0..graph.inputs.len())
        .map(|i| {
            let shade = 40 + 60 * i as u8;
            ScImage::from_frame(&Frame::filled(48, 32, ChromaFormat::Yuv420, [shade, 90, 160]))
                .expect("frame")
        })
        .collect();
    let refs: Vec<&ScImage> = inputs.iter().collect();
    let params = graph.default_params();
    let mut renderer =
        Renderer::new(Arc::new(graph), &vec![geometry; refs.len()]).expect("renderer");
    let mut whole = ScImage::zeroed(geometry);
    let mut banded = ScImage::zeroed(geometry);
    for frame in [0u64, 7, 100_000] {
        let env = Env {
            frame,
            t: frame as f64 / 25.0,
            params: &params,
        };
        renderer
            .render(&env, &refs, geometry.full_region(), &mut whole)
            .expect("render");
        for band in geometry.bands(2) {
            renderer.render(&env, &refs, band, &mut banded).expect("render band");
        }
        assert!(whole == banded, "bands differ from the whole frame");
    }
});
