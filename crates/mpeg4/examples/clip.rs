//! Tuning aid: `cargo run --release --example clip -- IN.y4m QP OUT.m4v [gop] [recon.yuv]`
//! prints frames/s, bytes and PSNR of the reconstruction.
use std::io::Write;
use tessera_mpeg4::encoder::{Encoder, EncoderConfig, RateControl};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let file = std::fs::File::open(&a[1]).unwrap();
    let mut reader =
        tessera_container::y4m::Y4mReader::new(std::io::BufReader::new(file), Default::default())
            .unwrap();
    let hdr = reader.header().clone();
    let mut frames = Vec::new();
    while let Some(f) = reader.read_frame().unwrap() {
        frames.push(f);
    }
    let mut cfg = EncoderConfig::new(hdr.width, hdr.height, hdr.rate);
    cfg.rate = RateControl::Qp(a[2].parse().unwrap());
    cfg.gop = a.get(4).map_or(300, |g| g.parse().unwrap());
    if std::env::var("MPEGQ").is_ok() {
        cfg.quant = tessera_mpeg4::header::QuantType::Mpeg {
            intra: tessera_mpeg4::tables::DEFAULT_INTRA_QMAT,
            inter: tessera_mpeg4::tables::DEFAULT_NON_INTRA_QMAT,
        };
    }
    if let Ok(b) = std::env::var("BITRATE") {
        cfg.rate = RateControl::Bitrate {
            bits_per_second: b.parse().unwrap(),
        };
    }
    if std::env::var("NO4MV").is_ok() {
        cfg.four_mv = false;
    }
    if let Ok(t) = std::env::var("THREADS") {
        cfg.threads = t.parse().unwrap();
    }
    let mut enc = Encoder::new(cfg).unwrap();
    let mut out = enc.headers();
    let mut rec = a.get(5).map(|p| std::fs::File::create(p).unwrap());
    let t = std::time::Instant::now();
    let mut se = 0f64;
    let mut count = 0usize;
    let mut stats = [0u32; 4];
    for f in &frames {
        let v = enc.encode(f).unwrap();
        stats[0] += v.stats.intra_mbs;
        stats[1] += v.stats.inter_mbs;
        stats[2] += v.stats.inter4v_mbs;
        stats[3] += v.stats.skipped_mbs;
        out.extend(&v.data);
        if std::env::var("VERBOSE").is_ok() {
            eprint!("{}:{} ", v.qp, v.data.len() * 8);
        }
        se += v.sse[0] as f64;
        count += f.width * f.height;
        if let Some(w) = rec.as_mut() {
            w.write_all(&enc.reconstruction().to_planar_bytes())
                .unwrap();
        }
    }
    let el = t.elapsed().as_secs_f64();
    let psnr = 10.0 * (255.0f64 * 255.0 * count as f64 / se).log10();
    println!(
        "{} frames {:.1} fps bytes {} psnr_y {:.3} intra/inter/4v/skip {:?}",
        frames.len(),
        frames.len() as f64 / el,
        out.len(),
        psnr,
        stats
    );
    std::fs::write(&a[3], out).unwrap();
}
