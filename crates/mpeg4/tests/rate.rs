//! The bit-rate mode lands within 5% of its target over 10 s clips.

mod common;

use common::*;
use tessera_mpeg4::encoder::{Encoder, RateControl};

fn achieved(width: usize, height: usize, target: u64) -> f64 {
    let frames = clip(width, height, 250);
    let mut cfg = config(width, height);
    cfg.rate = RateControl::Bitrate {
        bits_per_second: target,
    };
    cfg.gop = 50;
    let mut enc = Encoder::new(cfg).unwrap();
    let bits: usize = frames
        .iter()
        .map(|f| enc.encode(f).unwrap().data.len() * 8)
        .sum();
    bits as f64 / 10.0
}

#[test]
fn bitrate_within_five_percent() {
    for (w, h, target) in [
        (176, 144, 64_000u64),
        (176, 144, 200_000),
        (352, 288, 250_000),
        (352, 288, 700_000),
    ] {
        let got = achieved(w, h, target);
        let err = (got - target as f64) / target as f64;
        eprintln!("{w}x{h} at {target} bit/s: {got:.0} ({:+.2}%)", err * 100.0);
        assert!(
            err.abs() <= 0.05,
            "{w}x{h} at {target} bit/s: got {got:.0} ({:+.1}%)",
            err * 100.0
        );
    }
}
