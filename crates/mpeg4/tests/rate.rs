//! The bit-rate mode lands within 5% of its target over 10 s clips.

mod common;

use common::*;
use tessera_core::Frame;
use tessera_mpeg4::encoder::{Encoder, RateControl};

/// Bits per second of 250 frames (10 s at 25 fps), headers included.
fn achieved(frames: &[Frame], width: usize, height: usize, target: u64) -> f64 {
    let mut cfg = config(width, height);
    cfg.rate = RateControl::Bitrate {
        bits_per_second: target,
    };
    let mut enc = Encoder::new(cfg).unwrap();
    let mut bits = enc.headers().len() * 8;
    bits += frames
        .iter()
        .map(|f| enc.encode(f).unwrap().data.len() * 8)
        .sum::<usize>();
    bits as f64 / 10.0
}

#[test]
fn bitrate_within_five_percent() {
    // Our moving pattern, and ffmpeg's testsrc2 (mostly static, so the
    // quantiser goes low and neighbouring quantisers differ a lot in bits).
    let dir = tessera_testkit::temp_dir();
    let src = testsrc2(dir.path(), 176, 144, 250);
    let file = std::fs::File::open(&src).unwrap();
    let mut reader =
        tessera_container::y4m::Y4mReader::new(std::io::BufReader::new(file), Default::default())
            .unwrap();
    let mut testsrc = Vec::new();
    while let Some(f) = reader.read_frame().unwrap() {
        testsrc.push(f);
    }
    assert_eq!(testsrc.len(), 250);
    let (qcif, cif) = (clip(176, 144, 250), clip(352, 288, 250));
    let cases: [(&[Frame], usize, usize, u64); 7] = [
        (&qcif, 176, 144, 64_000),
        (&qcif, 176, 144, 200_000),
        (&cif, 352, 288, 250_000),
        (&cif, 352, 288, 700_000),
        (&testsrc, 176, 144, 64_000),
        (&testsrc, 176, 144, 200_000),
        (&testsrc, 176, 144, 1_000_000),
    ];
    for (frames, w, h, target) in cases {
        let got = achieved(frames, w, h, target);
        let err = (got - target as f64) / target as f64;
        eprintln!("{w}x{h} at {target} bit/s: {got:.0} ({:+.2}%)", err * 100.0);
        assert!(
            err.abs() <= 0.05,
            "{w}x{h} at {target} bit/s: got {got:.0} ({:+.1}%)",
            err * 100.0
        );
    }
}
