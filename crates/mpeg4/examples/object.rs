//! Encodes one object of a generated scene as a shaped layer.
//!
//! `cargo run --release --example object -- W H FRAMES SEED OBJECT QP THRESHOLD OUT.m4v`
//! writes the stream, `OUT.seg` (the input masks, scene size, one byte per
//! sample), `OUT.rseg` (the encoder's reconstructed masks, the same way) and `OUT.rec.yuv` (the encoder's reconstruction placed in the
//! scene: 4:2:0, luma 0 and chroma 128 outside the decoded shape, as the
//! MPEG-4 reference decoder writes it), and prints bits and frames/s.

use std::time::Instant;

use tessera_core::scene::{Scene, SceneSpec};
use tessera_core::{ChromaFormat, Frame, Rational};
use tessera_mpeg4::encoder::{Encoder, EncoderConfig, RateControl};
use tessera_mpeg4::header::Shape;
use tessera_mpeg4::shape::vop::draw;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize| a[i].parse::<u64>().expect("number");
    let spec = SceneSpec {
        width: n(0) as usize,
        height: n(1) as usize,
        frames: n(2) as u32,
        rate: Rational::integer(25),
        objects: 3,
        seed: n(3),
    };
    let object = n(4) as usize;
    let scene = Scene::new(spec).unwrap();
    let mut cfg = EncoderConfig::new(spec.width, spec.height, spec.rate);
    cfg.shape = if std::env::var("BINARY_ONLY").is_ok() {
        Shape::BinaryOnly
    } else {
        Shape::Binary
    };
    cfg.rate = RateControl::Qp(n(5) as u8);
    cfg.alpha_threshold = n(6) as u32;
    cfg.object_id = object as u8;
    cfg.gop = std::env::var("GOP").map_or(12, |g| g.parse().unwrap());
    let mut enc = Encoder::new(cfg).unwrap();
    let mut out = enc.headers();
    let (mut seg, mut rec, mut rseg) = (Vec::new(), Vec::new(), Vec::new());
    let (w, h) = (spec.width, spec.height);
    let (mut shape_bits, mut secs) = (0u64, 0f64);
    for f in scene.frames() {
        let mask = &f.masks[object - 1];
        let t = Instant::now();
        let vop = enc.encode_object(&f.frame, mask).unwrap();
        secs += t.elapsed().as_secs_f64();
        out.extend_from_slice(&vop.data);
        seg.extend_from_slice(&mask.data);
        if std::env::var("VERBOSE").is_ok() {
            let p = vop.psnr(w, h);
            println!(
                "{:?} {} bytes psnr {:.2} {:.2} {:.2}",
                vop.kind,
                vop.data.len(),
                p[0],
                p[1],
                p[2]
            );
        }
        let s = vop.shape.unwrap();
        shape_bits += s.shape_bits;
        let mut scene = Frame::filled(w, h, ChromaFormat::Yuv420, [0, 128, 128]);
        let mut placed = Frame::filled(w, h, ChromaFormat::Yuv420, [0, 128, 128]);
        if let Some(r) = s.rect {
            draw(&mut scene, Some(&enc.reconstruction()), &r, &s.alpha);
            draw(&mut placed, None, &r, &s.alpha);
        }
        rec.extend_from_slice(&scene.to_planar_bytes());
        rseg.extend_from_slice(&placed.planes[0].to_packed());
    }
    let path = &a[7];
    std::fs::write(path, &out).unwrap();
    std::fs::write(format!("{path}.seg"), &seg).unwrap();
    std::fs::write(format!("{path}.rec.yuv"), &rec).unwrap();
    std::fs::write(format!("{path}.rseg"), &rseg).unwrap();
    println!(
        "{} bytes, shape {} bits, {:.1} frames/s",
        out.len(),
        shape_bits,
        f64::from(spec.frames) / secs
    );
}
