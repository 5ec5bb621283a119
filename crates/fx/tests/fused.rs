//! The fused decode-mix-encode path gives the same JPEG bytes as
//! rendering dequantized coefficients and encoding them.

use std::sync::Arc;

use tessera_core::{ChromaFormat, Limits, pattern::moving_pattern};
use tessera_fx::eval::Renderer;
use tessera_fx::{Env, lang};
use tessera_jpeg::{
    CoefficientImage, ComponentSpec, EncodeOptions, HuffmanMode, quality::tables_for_quality,
};
use tessera_sc::{FrameGeometry, ScImage};

fn jpeg_bytes(format: ChromaFormat, index: u32, quality: u8, restart: u16) -> Vec<u8> {
    let frame = moving_pattern(200, 120, format, index);
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        restart_interval: Some(restart),
        ..EncodeOptions::default()
    };
    tessera_jpeg::encode_frame(&frame, quality, &options).unwrap()
}

fn jpeg(format: ChromaFormat, index: u32, quality: u8) -> CoefficientImage {
    decode(&jpeg_bytes(format, index, quality, 0))
}

fn decode(bytes: &[u8]) -> CoefficientImage {
    tessera_jpeg::decode_coefficients(bytes, &Limits::default()).unwrap()
}

/// The same picture coded with every component at 2x1 sampling (still
/// 4:4:4, but MCUs of 16x8 pixels, which the output's 8x8 MCUs are not).
fn coded_2x1(image: &CoefficientImage) -> Vec<u8> {
    let specs: Vec<ComponentSpec> = image
        .specs()
        .into_iter()
        .map(|s| ComponentSpec { h: 2, v: 1, ..s })
        .collect();
    let mut wide = CoefficientImage::new(
        image.width,
        image.height,
        &specs,
        image.quant_tables,
        &Limits::default(),
    )
    .unwrap();
    for (to, from) in wide.components.iter_mut().zip(&image.components) {
        for by in 0..from.blocks_high.min(to.blocks_high) {
            for bx in 0..from.blocks_wide.min(to.blocks_wide) {
                *to.block_mut(bx, by) = *from.block(bx, by);
            }
        }
    }
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        ..EncodeOptions::default()
    };
    tessera_jpeg::encode_coefficients(&wide, &options).unwrap()
}

/// The streaming path from `bytes` gives `want`.
fn check_streaming(
    renderer: &mut Renderer,
    env: &Env<'_>,
    bytes: &[Vec<u8>],
    want: &[u8],
    label: &str,
) {
    let (luma, chroma) = tables_for_quality(80);
    let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let got = renderer
        .dct_jpeg_streaming(env, &refs, &Limits::default(), &luma, &chroma)
        .unwrap()
        .expect("a DCT-domain effect");
    assert!(got == want, "streaming: {label}");
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
        // Inputs at different qualities: different tables to fold in; the
        // second with restart markers.
        let bytes = [
            jpeg_bytes(format, 3, 90, 0),
            jpeg_bytes(format, 40, 50, 2),
            jpeg_bytes(format, 77, 20, 0),
        ];
        let inputs = bytes.each_ref().map(|b| decode(b));
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
                let label = format!("{source} {format} frame {frame}");
                check_streaming(&mut renderer, &env, &bytes[..n], &want, &label);
                // An input whose MCUs are not the output's is decoded
                // whole, with the same result.
                if format == ChromaFormat::Yuv444 {
                    let mut other = bytes[..n].to_vec();
                    other[0] = coded_2x1(&inputs[0]);
                    assert_eq!(decode(&other[0]).chroma_format(), Some(format));
                    check_streaming(&mut renderer, &env, &other, &want, &label);
                }
                // Corrupt inputs are an error, as their decodes are.
                let mut cut = bytes[..n].to_vec();
                for b in &mut cut {
                    b.truncate(b.len() / 2);
                }
                let refs: Vec<&[u8]> = cut.iter().map(Vec::as_slice).collect();
                let result =
                    renderer.dct_jpeg_streaming(&env, &refs, &Limits::default(), &luma, &chroma);
                assert!(result.is_err(), "{label}: cut input");
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
