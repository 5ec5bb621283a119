//! `tessera demo`: the main job on generated clips, with no input files:
//! an effect run across four FX processors.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Frame, Rational};
use tessera_fx::mapper::Mode;

use crate::fx;
use crate::media::Output;

fn parse_size(size: &str) -> Result<(usize, usize)> {
    let parsed = size
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) if (1..=16384).contains(&w) && (1..=16384).contains(&h) => Ok((w, h)),
        _ => bail!("invalid size {size:?}: expected WIDTHxHEIGHT, e.g. 1280x720"),
    }
}

/// A second generated scene: a sky-like vertical gradient with a sun
/// drifting across and rolling hills, so the dissolve has something to
/// reveal.
fn scene(width: usize, height: usize, index: u32) -> Frame {
    let mut frame = Frame::grey(width, height, ChromaFormat::Yuv420);
    let t = f64::from(index);
    let (sun_x, sun_y) = (
        (0.15 + 0.01 * t).rem_euclid(1.0) * width as f64,
        0.3 * height as f64,
    );
    let radius = 0.08 * height as f64;
    // What lies at luma position (x, y), and its height in the frame.
    enum Part {
        Sun,
        Ground,
        Sky,
    }
    let part = |x: usize, y: usize| {
        let fy = y as f64 / height as f64;
        let ground = 0.7 + 0.05 * ((x as f64 / width as f64) * 9.0 + t * 0.05).sin();
        let (dx, dy) = (x as f64 - sun_x, y as f64 - sun_y);
        let part = if dx * dx + dy * dy < radius * radius {
            Part::Sun
        } else if fy > ground {
            Part::Ground
        } else {
            Part::Sky
        };
        (part, fy, ground)
    };
    for y in 0..height {
        for x in 0..width {
            let v = match part(x, y) {
                (Part::Sun, ..) => 235.0,
                (Part::Ground, fy, ground) => 70.0 + 40.0 * (fy - ground),
                (Part::Sky, fy, _) => 120.0 + 90.0 * fy,
            };
            frame.planes[0].row_mut(y)[x] = v as u8;
        }
    }
    for cy in 0..frame.planes[1].height {
        for cx in 0..frame.planes[1].width {
            let (cb, cr) = match part(2 * cx, 2 * cy) {
                (Part::Sun, ..) => (110.0, 140.0),
                (Part::Ground, ..) => (100.0, 110.0),
                (Part::Sky, fy, _) => (170.0 - 40.0 * fy, 115.0),
            };
            frame.planes[1].row_mut(cy)[cx] = cb as u8;
            frame.planes[2].row_mut(cy)[cx] = cr as u8;
        }
    }
    frame
}

/// The demo effect for a `width` x `height` output.
fn effect(width: usize, height: usize) -> String {
    let size = (height / 18).max(8);
    let inset_x = width - width / 4 - width / 32;
    format!(
        "# The tessera demo: dissolve from `a` to `b` over two seconds, a caption,\n\
         # and `a` again as a picture in picture with a border.\n\
         input a, b;\n\
         param label = \"tessera: dissolve + title + picture in picture\";\n\
         let mix = ease_in_out(ramp(0.4, 1.6));\n\
         let captioned = title(dissolve(a, b, mix), text: label, size: {size}, color: white,\n\
         \x20                     x: {x}, y: {y}, box: #00000080);\n\
         output pip(captioned, a, {inset_x}, {top}, scale: 0.25, border: 3);\n",
        x = width / 32,
        y = height - 2 * size - height / 24,
        top = height / 24,
    )
}

/// Generates two clips, writes the demo effect next to them and runs it
/// across four processors (two groups of two: temporal and spatial
/// parallelism at once), writing `demo.avi` and printing the summary.
pub fn run(dir: &Path, frames: u32, size: &str, quality: u8) -> Result<()> {
    let (width, height) = parse_size(size)?;
    if frames == 0 {
        bail!("--frames must be at least 1");
    }
    if width < 64 || height < 64 {
        bail!("--size must be at least 64x64 for the demo effect");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rate = Rational::integer(25);
    let start = Instant::now();
    let options = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    let clips = [dir.join("a.avi"), dir.join("b.avi")];
    for (k, path) in clips.iter().enumerate() {
        let mut out = Output::new(path, rate)?;
        for i in 0..frames {
            let frame = if k == 0 {
                moving_pattern(width, height, ChromaFormat::Yuv420, i)
            } else {
                scene(width, height, i)
            };
            let jpeg = tessera_jpeg::encode_frame(&frame, quality, &options)?;
            out.write_jpeg(&jpeg, width, height, ChromaFormat::Yuv420)?;
        }
        out.finish()?;
    }
    println!(
        "generated {} and {} ({frames} frames {width}x{height} 4:2:0 Motion-JPEG at {rate} fps, quality {quality}) in {:.2} s",
        clips[0].display(),
        clips[1].display(),
        start.elapsed().as_secs_f64()
    );
    println!("kernels: {}", tessera_dsp::active_kernels());
    let effect_path = dir.join("demo.fx");
    std::fs::write(&effect_path, effect(width, height))
        .with_context(|| format!("cannot write {}", effect_path.display()))?;
    let output = dir.join("demo.avi");
    let options = fx::RunOptions {
        inputs: vec![
            ("a".into(), clips[0].display().to_string()),
            ("b".into(), clips[1].display().to_string()),
        ],
        output: output.display().to_string(),
        processors: 4,
        mode: Mode::Hybrid { groups: Some(2) },
        sets: Vec::new(),
        quality,
        fps: rate,
        frames: None,
        input_quality: 95,
        stdin_control: false,
        progress: false,
        latency: std::time::Duration::from_millis(100),
        duration: None,
    };
    println!(
        "running {} on 4 FX processors (in-process zenoh session):",
        effect_path.display()
    );
    println!("{}", fx::run(&effect_path, &options)?);
    println!(
        "try: tessera fx graph {} ; tessera fx run {} --input a={} --input b={} --output mine.avi --mode spatial",
        effect_path.display(),
        effect_path.display(),
        clips[0].display(),
        clips[1].display()
    );
    Ok(())
}
