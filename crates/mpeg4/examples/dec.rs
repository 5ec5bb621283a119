//! Decodes a stream with our decoder to raw 4:2:0 (tuning aid).
use std::io::Write;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&a[1]).unwrap();
    let vops = tessera_mpeg4::decoder::Decoder::default()
        .decode_stream(&data)
        .unwrap();
    let mut out = std::fs::File::create(&a[2]).unwrap();
    for v in vops {
        out.write_all(&v.frame.to_planar_bytes()).unwrap();
    }
}
