//! Hostile inputs kept as files: what the `mpeg4_decode` fuzz target found
//! (`*-fuzz-*`) and hand-made cases. See `regression/README.md`.
//!
//! Every file goes through the calls the fuzz target makes: `decode_stream`,
//! and `push_unit` on every start-code unit going on after errors. None may
//! panic. A name starting with `err-` must be refused by `decode_stream`;
//! one starting with `ok-` must decode, every unit without error.

use std::path::PathBuf;

use tessera_core::Limits;
use tessera_mpeg4::decoder::Decoder;
use tessera_mpeg4::es;

/// The fuzz target's limits.
const LIMITS: Limits = Limits {
    max_dimension: 4096,
    max_pixels: 1 << 20,
    max_bytes: 1 << 20,
};

/// `(file name, bytes)` of every input whose name starts with `prefix`.
fn inputs(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regression");
    tessera_testkit::regression_inputs(&dir, "m4v", prefix)
}

/// Feeds every unit, going on after errors; returns (VOPs, errors).
fn push_all(data: &[u8]) -> (usize, usize) {
    let mut decoder = Decoder::new(LIMITS);
    let (mut vops, mut errors) = (0, 0);
    for unit in es::units(data) {
        match decoder.push_unit(unit) {
            Ok(Some(_)) => vops += 1,
            Ok(None) => {}
            Err(_) => errors += 1,
        }
    }
    (vops, errors)
}

#[test]
fn regression_err_inputs_are_refused() {
    for (name, data) in inputs("err-") {
        let (vops, errors) = push_all(&data);
        let err = Decoder::new(LIMITS)
            .decode_stream(&data)
            .err()
            .unwrap_or_else(|| panic!("{name}: decode_stream accepted it"));
        // Say what the decoder answered so a changed message is easy to
        // review.
        eprintln!("{name}: {err}; unit by unit {vops} VOPs, {errors} errors");
    }
}

#[test]
fn regression_ok_inputs_decode() {
    for (name, data) in inputs("ok-") {
        let decoded = Decoder::new(LIMITS)
            .decode_stream(&data)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!decoded.is_empty(), "{name}: no VOPs");
        assert_eq!(
            push_all(&data),
            (decoded.len(), 0),
            "{name}: unit by unit (VOPs, errors)"
        );
    }
}
