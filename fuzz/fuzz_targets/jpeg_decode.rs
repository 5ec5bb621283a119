//! JPEG parser and decoder on arbitrary bytes.
//!
//! Every entry point must return without panicking. When coefficient
//! decoding succeeds, the encoder is the oracle: re-encoding the image must
//! succeed and decode back to the very same coefficients, geometry and
//! quantization tables.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::Limits;
use tessera_jpeg::{
    CoefficientImage, EncodeOptions, HuffmanMode, decode_coefficients, decode_frame,
    encode_coefficients, read_info,
};

/// Small enough that the fuzzer spends its time on parsing, not on
/// legitimately huge pictures.
const LIMITS: Limits = Limits {
    max_dimension: 4096,
    max_pixels: 4 << 20,
    max_bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let _ = read_info(data, &LIMITS);
    let _ = decode_frame(data, &LIMITS);
    let Ok(image) = decode_coefficients(data, &LIMITS) else {
        return;
    };
    // Alternate the Huffman mode on the input length so both encoder
    // paths are checked.
    let huffman = if data.len().is_multiple_of(2) {
        HuffmanMode::Optimized
    } else {
        HuffmanMode::Standard
    };
    let options = EncodeOptions {
        huffman,
        ..EncodeOptions::default()
    };
    let encoded = encode_coefficients(&image, &options)
        .unwrap_or_else(|e| panic!("a decoded image does not re-encode: {e}"));
    let again = decode_coefficients(&encoded, &Limits::default())
        .unwrap_or_else(|e| panic!("a re-encoded image does not decode: {e}"));
    assert_same(&image, &again);
});

fn assert_same(a: &CoefficientImage, b: &CoefficientImage) {
    assert_eq!((a.width, a.height), (b.width, b.height), "size");
    assert_eq!(a.restart_interval, b.restart_interval, "restart interval");
    assert_eq!(a.components.len(), b.components.len(), "component count");
    for (ca, cb) in a.components.iter().zip(&b.components) {
        assert_eq!(
            (ca.id, ca.h, ca.v, ca.quant_index),
            (cb.id, cb.h, cb.v, cb.quant_index),
            "component header"
        );
        assert_eq!(
            a.quant_tables[usize::from(ca.quant_index)],
            b.quant_tables[usize::from(cb.quant_index)],
            "quantization table of component {}",
            ca.id
        );
        assert_eq!(
            (ca.blocks_wide, ca.blocks_high),
            (cb.blocks_wide, cb.blocks_high),
            "block grid of component {}",
            ca.id
        );
        if let Some(i) = (0..ca.blocks.len()).find(|&i| ca.blocks[i] != cb.blocks[i]) {
            panic!(
                "component {} block {i} changed in the round trip:\n{:?}\n{:?}",
                ca.id, ca.blocks[i], cb.blocks[i]
            );
        }
    }
}
