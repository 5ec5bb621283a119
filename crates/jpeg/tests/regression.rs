//! Hostile inputs kept as files: what the `jpeg_decode` fuzz target found
//! (`*-fuzz-*`) and hand-made nasty cases. See `regression/README.md`.
//!
//! Every file goes through the same calls as the fuzz target: none may
//! panic. A name starting with `err-` must be refused by every entry point;
//! one starting with `ok-` must decode, and its coefficients must survive a
//! re-encode unchanged.

use std::path::PathBuf;

use tessera_core::Limits;
use tessera_jpeg::{
    CoefficientImage, EncodeOptions, HuffmanMode, decode_coefficients, decode_frame,
    encode_coefficients, read_info,
};

/// The fuzz target's limits.
const LIMITS: Limits = Limits {
    max_dimension: 4096,
    max_pixels: 4 << 20,
    max_bytes: 1 << 20,
};

/// `(file name, bytes)` of every input whose name starts with `prefix`.
fn inputs(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regression");
    tessera_testkit::regression_inputs(&dir, "jpg", prefix)
}

#[test]
fn regression_err_inputs_are_refused() {
    for (name, data) in inputs("err-") {
        let info = read_info(&data, &LIMITS);
        let coefficients = decode_coefficients(&data, &LIMITS);
        let frame = decode_frame(&data, &LIMITS);
        assert!(
            coefficients.is_err(),
            "{name}: decode_coefficients accepted it"
        );
        assert!(frame.is_err(), "{name}: decode_frame accepted it");
        // Headers may be fine when only the scan is broken; say what the
        // decoders answered so a changed message is easy to review.
        eprintln!(
            "{name}: read_info {}; decode: {}",
            if info.is_ok() { "ok" } else { "refused" },
            coefficients.unwrap_err()
        );
    }
}

#[test]
fn regression_ok_inputs_decode_and_round_trip() {
    for (name, data) in inputs("ok-") {
        read_info(&data, &LIMITS).unwrap_or_else(|e| panic!("{name}: read_info: {e}"));
        decode_frame(&data, &LIMITS).unwrap_or_else(|e| panic!("{name}: decode_frame: {e}"));
        let image = decode_coefficients(&data, &LIMITS)
            .unwrap_or_else(|e| panic!("{name}: decode_coefficients: {e}"));
        for huffman in [HuffmanMode::Optimized, HuffmanMode::Standard] {
            let options = EncodeOptions {
                huffman,
                ..EncodeOptions::default()
            };
            let encoded = encode_coefficients(&image, &options)
                .unwrap_or_else(|e| panic!("{name}: re-encode ({huffman:?}): {e}"));
            let again = decode_coefficients(&encoded, &LIMITS)
                .unwrap_or_else(|e| panic!("{name}: decode of the re-encode ({huffman:?}): {e}"));
            assert_same(&name, &image, &again);
        }
    }
}

fn assert_same(name: &str, a: &CoefficientImage, b: &CoefficientImage) {
    assert_eq!((a.width, a.height), (b.width, b.height), "{name}: size");
    assert_eq!(a.components.len(), b.components.len(), "{name}: components");
    for (i, (ca, cb)) in a.components.iter().zip(&b.components).enumerate() {
        assert_eq!(
            a.quant_table(i).ok(),
            b.quant_table(i).ok(),
            "{name}: quantization table of component {i}"
        );
        assert!(ca == cb, "{name}: component {i} changed in the round trip");
    }
}
