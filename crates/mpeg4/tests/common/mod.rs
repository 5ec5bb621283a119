//! Helpers shared by the MPEG-4 integration tests.

#![allow(dead_code)]

use std::path::Path;

use tessera_core::{ChromaFormat, Frame, Rational};
use tessera_mpeg4::decoder::Decoder;
use tessera_mpeg4::encoder::{Encoder, EncoderConfig};

/// A moving test clip.
pub fn clip(width: usize, height: usize, frames: u32) -> Vec<Frame> {
    (0..frames)
        .map(|i| tessera_core::pattern::moving_pattern(width, height, ChromaFormat::Yuv420, i))
        .collect()
}

/// ffmpeg's `testsrc2` (a generated scene nobody here wrote) as a 4:2:0
/// Y4M in `dir`.
pub fn testsrc2(dir: &Path, width: usize, height: usize, frames: u32) -> std::path::PathBuf {
    let path = dir.join(format!("testsrc2-{width}x{height}.y4m"));
    tessera_testkit::ffmpeg_lavfi(
        &format!("testsrc2=size={width}x{height}:rate=25"),
        frames,
        &["-pix_fmt", "yuv420p"],
        &path,
    );
    path
}

/// Encodes `frames`; returns the stream and the encoder's reconstruction
/// of every frame.
pub fn encode(cfg: EncoderConfig, frames: &[Frame]) -> (Vec<u8>, Vec<Frame>) {
    let mut enc = Encoder::new(cfg).expect("encoder");
    let mut stream = enc.headers();
    let mut recon = Vec::new();
    for f in frames {
        let vop = enc.encode(f).expect("encode");
        stream.extend_from_slice(&vop.data);
        recon.push(enc.reconstruction());
    }
    // No visual_object_sequence_end_code: ffmpeg 5.1 reports a damaged
    // header for one at the end of a raw stream (its own streams too).
    (stream, recon)
}

pub fn config(width: usize, height: usize) -> EncoderConfig {
    EncoderConfig::new(width, height, Rational { num: 25, den: 1 })
}

/// Our decoder must give exactly the encoder's reconstruction.
pub fn check_own_decoder(stream: &[u8], recon: &[Frame]) {
    let decoded = Decoder::default().decode_stream(stream).expect("decode");
    assert_eq!(decoded.len(), recon.len(), "frame count");
    for (i, (d, r)) in decoded.iter().zip(recon).enumerate() {
        assert!(
            d.frame.planes == r.planes,
            "frame {i}: our decoder differs from the encoder's reconstruction"
        );
    }
}

/// ffmpeg's decode of a `.m4v` (yuv420p), asserting it printed nothing at
/// warning level.
pub fn ffmpeg_decode(path: &Path, width: usize, height: usize) -> Vec<Frame> {
    let raw = path.with_extension("yuv");
    let log = tessera_testkit::run_ffmpeg_warnings([
        // Named: tiny streams are below ffmpeg's probe confidence.
        "-f".as_ref(),
        "m4v".as_ref(),
        "-i".as_ref(),
        path.as_os_str(),
        "-f".as_ref(),
        "rawvideo".as_ref(),
        "-pix_fmt".as_ref(),
        "yuv420p".as_ref(),
        raw.as_os_str(),
    ]);
    assert!(
        log.trim().is_empty(),
        "ffmpeg warned decoding {}:\n{log}",
        path.display()
    );
    let bytes = std::fs::read(&raw).expect("ffmpeg output");
    tessera_testkit::split_rawvideo(&bytes, width, height, ChromaFormat::Yuv420)
}

/// Lowest per-plane PSNR between two frame lists.
pub fn min_psnr(a: &[Frame], b: &[Frame]) -> f64 {
    assert_eq!(a.len(), b.len(), "frame count");
    let mut worst = f64::INFINITY;
    for (x, y) in a.iter().zip(b) {
        for (p, q) in x.planes.iter().zip(&y.planes) {
            worst = worst.min(tessera_testkit::plane_psnr(p, q));
        }
    }
    worst
}
