//! Decodes a stream with our decoder to raw 4:2:0 (tuning aid).
//!
//! `dec IN OUT.yuv` for rectangular layers; `dec IN OUT W H` for shaped
//! layers writes `OUT.yuv` and `OUT.seg` as the MPEG-4 reference decoder
//! does: the scene `W x H`, luma 0 and chroma 128 outside the shape, masks
//! one byte per sample.
use std::io::Write;

use tessera_core::{ChromaFormat, Frame};
use tessera_mpeg4::shape::vop::draw;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&a[1]).unwrap();
    let vops = tessera_mpeg4::decoder::Decoder::default()
        .decode_stream(&data)
        .unwrap();
    if a.len() < 5 {
        let mut out = std::fs::File::create(&a[2]).unwrap();
        for v in vops {
            out.write_all(&v.frame.to_planar_bytes()).unwrap();
        }
        return;
    }
    let (w, h): (usize, usize) = (a[3].parse().unwrap(), a[4].parse().unwrap());
    let mut yuv = std::fs::File::create(format!("{}.yuv", a[2])).unwrap();
    let mut seg = std::fs::File::create(format!("{}.seg", a[2])).unwrap();
    for v in vops {
        let s = v.shape.expect("a shaped layer");
        let mut scene = Frame::filled(w, h, ChromaFormat::Yuv420, [0, 128, 128]);
        let mut mask = Frame::filled(w, h, ChromaFormat::Yuv420, [0, 128, 128]);
        if let Some(r) = s.rect {
            draw(&mut scene, Some(&v.frame), &r, &s.alpha);
            draw(&mut mask, None, &r, &s.alpha);
        }
        yuv.write_all(&scene.to_planar_bytes()).unwrap();
        seg.write_all(&mask.planes[0].to_packed()).unwrap();
    }
}
