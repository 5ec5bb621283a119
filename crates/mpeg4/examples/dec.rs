//! Decodes a stream with our decoder to raw 4:2:0 (tuning aid).
//!
//! `dec IN OUT.yuv` for rectangular layers; `dec IN OUT W H` for shaped
//! layers writes `OUT.yuv` and `OUT.seg` as the MPEG-4 reference decoder
//! does: the scene `W x H`, luma 0 and chroma 128 outside the shape, masks
//! one byte per sample.
use std::io::Write;
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
        let mut planes = [
            vec![0u8; w * h],
            vec![128u8; w * h / 4],
            vec![128u8; w * h / 4],
        ];
        let mut mask = vec![0u8; w * h];
        if let Some(r) = s.rect {
            for y in 0..r.height {
                for x in 0..r.width {
                    let (sx, sy) = (r.x + x as i32, r.y + y as i32);
                    if s.alpha[y * r.width + x] == 0 || sx < 0 || sy < 0 {
                        continue;
                    }
                    let (sx, sy) = (sx as usize, sy as usize);
                    if sx >= w || sy >= h {
                        continue;
                    }
                    mask[sy * w + sx] = 255;
                    planes[0][sy * w + sx] = v.frame.planes[0].row(y)[x];
                    let c = sy / 2 * w / 2 + sx / 2;
                    planes[1][c] = v.frame.planes[1].row(y / 2)[x / 2];
                    planes[2][c] = v.frame.planes[2].row(y / 2)[x / 2];
                }
            }
        }
        for p in &planes {
            yuv.write_all(p).unwrap();
        }
        seg.write_all(&mask).unwrap();
    }
}
