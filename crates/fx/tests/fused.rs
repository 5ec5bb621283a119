//! The fused decode-mix-encode path gives the same JPEG bytes as
//! rendering dequantized coefficients and encoding them.

use std::sync::Arc;

use tessera_core::{ChromaFormat, Limits, pattern::moving_pattern};
use tessera_fx::eval::Renderer;
use tessera_fx::{Env, lang};
use tessera_jpeg::{CoefficientImage, EncodeOptions, HuffmanMode, quality::tables_for_quality};
use tessera_sc::{FrameGeometry, ScImage};

fn jpeg(format: ChromaFormat, index: u32, quality: u8) -> CoefficientImage {
    let frame = moving_pattern(200, 120, format, index);
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        ..EncodeOptions::default()
    };
    let bytes = tessera_jpeg::encode_frame(&frame, quality, &options).unwrap();
    tessera_jpeg::decode_coefficients(&bytes, &Limits::default()).unwrap()
}

#[test]
fn fused_path_equals_render_then_encode() {
    let effects = [
        "input a, b; output dissolve(a, b, 0.37);",
        "input a, b; output dissolve(a, b, t);",
        "input a; output fade(a, 0.6, color: #3080c0);",
        "input a, b, c; output dissolve(dissolve(a, b, 0.5), fade(c, 0.25), 0.7);",
        "input a, b; output dissolve(a, b, t * 40 - 10);",
        "input a, b; output dissolve(a, b, 0);",
    ];
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ] {
        // Inputs at different qualities: different tables to fold in.
        let inputs = [
            jpeg(format, 3, 90),
            jpeg(format, 40, 50),
            jpeg(format, 77, 20),
        ];
        let (luma, chroma) = tables_for_quality(80);
        for source in effects {
            let graph = Arc::new(lang::compile(source).unwrap());
            let n = graph.inputs.len();
            let images: Vec<ScImage> = inputs[..n]
                .iter()
                .map(|c| ScImage::from_jpeg(c).unwrap())
                .collect();
            let geometries: Vec<FrameGeometry> = images.iter().map(|i| i.geometry).collect();
            let mut renderer = Renderer::new(graph, &geometries).unwrap();
            assert!(renderer.output_is_dct(), "{source}");
            let params = [];
            for frame in [0u64, 12, 25] {
                let env = Env {
                    frame,
                    t: frame as f64 / 25.0,
                    params: &params,
                };
                let refs: Vec<&ScImage> = images.iter().collect();
                let mut out = ScImage::zeroed(geometries[0]);
                renderer
                    .render(&env, &refs, geometries[0].full_region(), &mut out)
                    .unwrap();
                let want = out.to_jpeg_bytes(&luma, &chroma).unwrap();
                let coefficient_refs: Vec<&CoefficientImage> = inputs[..n].iter().collect();
                let got = renderer
                    .dct_jpeg(&env, &coefficient_refs, &luma, &chroma)
                    .unwrap()
                    .expect("a DCT-domain effect");
                assert!(got == want, "{source} {format} frame {frame}");
            }
        }
    }
    // A pixel-domain effect declines.
    let graph = Arc::new(lang::compile("input a; output adjust(a, brightness: 0.1);").unwrap());
    let image = ScImage::from_jpeg(&inputs_one()).unwrap();
    let mut renderer = Renderer::new(graph, &[image.geometry]).unwrap();
    let (luma, chroma) = tables_for_quality(80);
    let env = Env {
        frame: 0,
        t: 0.0,
        params: &[],
    };
    assert!(!renderer.output_is_dct());
    assert!(
        renderer
            .dct_jpeg(&env, &[&inputs_one()], &luma, &chroma)
            .unwrap()
            .is_none()
    );
}

fn inputs_one() -> CoefficientImage {
    jpeg(ChromaFormat::Yuv420, 1, 90)
}

/// The fused planar path (a warp straight from the coefficients, the
/// background's blocks computed as the encoder asks) gives the bytes of
/// rendering the SC images and encoding them.
#[test]
fn fused_planar_path_equals_render_then_encode() {
    let effects = [
        "input a; output affine(a, rotate: 45 * t, about: (100, 60), outside: black);",
        "input a; output affine(a, rotate: -20, scale: 0.4, about: (100, 60));",
        "input a, b; output pip(a, b, 120, 20, scale: 0.33, border: 4, border_color: white);",
        "input a, b; output pip(dissolve(a, b, 0.3), a, 17.5, 61.2, scale: 0.7, border: 2.5, \
         border_color: #ff000080);",
        "input a, b, c; output over(affine(dissolve(b, c, t), rotate: 30, scale: 0.2, \
         translate: (40, 30), outside: #0000ff60), a);",
        "input a; output affine(fade(a, 0.4, color: #204060), rotate: 10, scale: 0.9, \
         about: (100, 60));",
    ];
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ] {
        let inputs = [
            jpeg(format, 3, 90),
            jpeg(format, 40, 50),
            jpeg(format, 77, 20),
        ];
        let (luma, chroma) = tables_for_quality(80);
        for source in effects {
            let graph = Arc::new(lang::compile(source).unwrap());
            let n = graph.inputs.len();
            let images: Vec<ScImage> = inputs[..n]
                .iter()
                .map(|c| ScImage::from_jpeg(c).unwrap())
                .collect();
            let geometries: Vec<FrameGeometry> = images.iter().map(|i| i.geometry).collect();
            let mut renderer = Renderer::new(graph, &geometries).unwrap();
            assert!(renderer.is_planar(), "{source}");
            for frame in [0u64, 12, 25] {
                let env = Env {
                    frame,
                    t: frame as f64 / 25.0,
                    params: &[],
                };
                let refs: Vec<&ScImage> = images.iter().collect();
                let mut out = ScImage::zeroed(geometries[0]);
                renderer
                    .render(&env, &refs, geometries[0].full_region(), &mut out)
                    .unwrap();
                let want = out.to_jpeg_bytes(&luma, &chroma).unwrap();
                let coefficient_refs: Vec<&CoefficientImage> = inputs[..n].iter().collect();
                let got = renderer
                    .planar_jpeg(&env, &coefficient_refs, &luma, &chroma)
                    .unwrap()
                    .expect("a planar effect");
                assert!(got == want, "{source} {format} frame {frame}");
            }
            // Inputs that are not what the renderer was made for are
            // errors, not panics.
            let other = jpeg(ChromaFormat::Yuv411, 5, 90);
            let wrong: Vec<&CoefficientImage> = (0..n).map(|_| &other).collect();
            let env = Env {
                frame: 0,
                t: 0.0,
                params: &[],
            };
            assert!(renderer.planar_jpeg(&env, &wrong, &luma, &chroma).is_err());
            assert!(renderer.planar_jpeg(&env, &[], &luma, &chroma).is_err());
        }
    }
    // Other effects decline.
    let graph = Arc::new(lang::compile("input a; output adjust(a, brightness: 0.1);").unwrap());
    let image = ScImage::from_jpeg(&inputs_one()).unwrap();
    let mut renderer = Renderer::new(graph, &[image.geometry]).unwrap();
    let (luma, chroma) = tables_for_quality(80);
    let env = Env {
        frame: 0,
        t: 0.0,
        params: &[],
    };
    assert!(!renderer.is_planar());
    assert!(
        renderer
            .planar_jpeg(&env, &[&inputs_one()], &luma, &chroma)
            .unwrap()
            .is_none()
    );
}
