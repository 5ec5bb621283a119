//! `tessera demo`: the main job on a generated clip, with no input files.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tessera_container::y4m::{Y4mHeader, Y4mReader, Y4mWriter};
use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits, Rational};

use crate::transcode::{Options, transcode};

fn parse_size(size: &str) -> Result<(usize, usize)> {
    let parsed = size
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) if (1..=16384).contains(&w) && (1..=16384).contains(&h) => Ok((w, h)),
        _ => bail!("invalid size {size:?}: expected WIDTHxHEIGHT, e.g. 1280x720"),
    }
}

/// Generates a clip, encodes it to Motion-JPEG, remuxes to AVI, decodes
/// back, and prints what each step did and the end-to-end quality.
pub fn run(dir: &Path, frames: u32, size: &str, quality: u8) -> Result<()> {
    let (width, height) = parse_size(size)?;
    if frames == 0 {
        bail!("--frames must be at least 1");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rate = Rational::new(30000, 1001).expect("valid rate");
    let source = dir.join("demo.y4m");
    let start = Instant::now();
    {
        let file = std::fs::File::create(&source)
            .with_context(|| format!("cannot create {}", source.display()))?;
        let header = Y4mHeader::new(width, height, rate, ChromaFormat::Yuv420);
        let mut writer = Y4mWriter::new(std::io::BufWriter::new(file), &header)?;
        for i in 0..frames {
            writer.write_frame(&moving_pattern(width, height, ChromaFormat::Yuv420, i))?;
        }
        use std::io::Write;
        writer.into_inner()?.flush()?;
    }
    println!(
        "generated {} ({frames} frames {width}x{height} 4:2:0 at {rate} fps) in {:.2} s",
        source.display(),
        start.elapsed().as_secs_f64()
    );
    println!("kernels: {}", tessera_dsp::active_kernels());
    let mjpeg = dir.join("demo.mjpeg");
    let avi = dir.join("demo.avi");
    let decoded = dir.join("demo-decoded.y4m");
    let encode = Options {
        quality: Some(quality),
        ..Options::default()
    };
    println!("{}", transcode(&source, &mjpeg, &encode)?);
    // Raw Motion-JPEG records no rate; carry the clip's into the AVI.
    let remux = Options {
        fps: rate,
        ..Options::default()
    };
    println!("{}", transcode(&mjpeg, &avi, &remux)?);
    println!("{}", transcode(&avi, &decoded, &Options::default())?);

    // End to end: the decoded clip against the generated one.
    let open = |p: &Path| -> Result<Y4mReader<std::io::BufReader<std::fs::File>>> {
        let file =
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
        Ok(Y4mReader::new(
            std::io::BufReader::new(file),
            Limits::default(),
        )?)
    };
    let (mut a, mut b) = (open(&source)?, open(&decoded)?);
    let (mut sse, mut samples, mut count) = (0u64, 0u64, 0u32);
    while let (Some(x), Some(y)) = (a.read_frame()?, b.read_frame()?) {
        for (p, q) in x.planes.iter().zip(&y.planes) {
            for (r, s) in p.rows().zip(q.rows()) {
                for (&u, &v) in r.iter().zip(s) {
                    let d = i64::from(u) - i64::from(v);
                    sse += (d * d) as u64;
                }
                samples += r.len() as u64;
            }
        }
        count += 1;
    }
    if count != frames {
        bail!("decoded {count} frames, expected {frames}");
    }
    let mse = sse as f64 / samples.max(1) as f64;
    let psnr = if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    };
    let raw = std::fs::metadata(&source)?.len();
    let coded = std::fs::metadata(&mjpeg)?.len();
    println!(
        "round trip: {count} frames, PSNR {psnr:.2} dB over all planes, compression {:.1}:1 ({raw} -> {coded} bytes)",
        raw as f64 / coded.max(1) as f64
    );
    println!("try: tessera probe {}", avi.display());
    Ok(())
}
