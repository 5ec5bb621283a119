//! The speed goal: SC -> JPEG transcode of 1920x1080 4:2:0 on one thread,
//! against ffmpeg decoding and re-encoding the same M-JPEG frames with one
//! thread, in the same run.

use std::path::Path;
use std::time::Instant;

use tessera_jpeg::CoefficientImage;
use tessera_sc::{Packetizer, PacketizerConfig};

use crate::frames::{Feed, output_tables, prepare};
use crate::inputs::Coded;
use crate::timing::{ffmpeg_cpu_seconds, thread_cpu};

/// ffmpeg's re-encode qualities tried: the one whose output is closest in
/// size to our quality-75 transcode is timed (Huffman coding costs more
/// the more it writes).
const FFMPEG_QS: [u8; 4] = [3, 4, 5, 6];

#[derive(Clone, Debug)]
pub struct SpeedRow {
    pub source: &'static str,
    pub frames: usize,
    pub mjpeg_bytes: f64,
    pub sc_bytes: f64,
    pub out_bytes: f64,
    pub ffmpeg_out_bytes: f64,
    /// The `-q:v` ffmpeg re-encoded with.
    pub ffmpeg_q: u8,
    /// ms/frame: fastest wall time per frame, averaged over the frames.
    pub transcode_wall: f64,
    /// ms/frame, fastest wall time: the two halves of the transcode,
    /// quantizing (`to_jpeg_into`) and Huffman coding
    /// (`tessera_jpeg::encode_coefficients`).
    pub quantize_wall: f64,
    pub huffman_wall: f64,
    /// ms/frame of thread CPU time over `passes` passes.
    pub transcode_cpu: f64,
    /// ms/frame, CPU: packets through the assembler, then the transcode.
    pub receive_cpu: f64,
    /// ms/frame, ffmpeg's CPU time (user + system), start-up excluded.
    pub ffmpeg_cpu: f64,
}

/// Per source, over all its 1080p frames.
pub fn measure(dir: &Path, inputs: &[Coded], passes: usize, with_ffmpeg: bool) -> Vec<SpeedRow> {
    let (luma, chroma) = output_tables();
    let mut sources: Vec<&'static str> = inputs.iter().map(|c| c.source).collect();
    sources.dedup();
    sources
        .into_iter()
        .map(|source| {
            let coded: Vec<&Coded> = inputs.iter().filter(|c| c.source == source).collect();
            let n = coded.len();
            let mut packetizer =
                Packetizer::new(PacketizerConfig::new(0x5C00_0003)).expect("packetizer");
            let mut prepared: Vec<_> = coded.iter().map(|c| prepare(c, &mut packetizer)).collect();
            let mut scratch: Option<CoefficientImage> = None;
            let mut out_bytes = 0usize;
            let mut fastest = vec![f64::INFINITY; n];
            let cpu0 = thread_cpu();
            for _ in 0..passes {
                out_bytes = 0;
                for (p, best) in prepared.iter().zip(&mut fastest) {
                    let t = Instant::now();
                    let jpeg = p.image.to_jpeg_bytes(&luma, &chroma).expect("transcode");
                    *best = best.min(t.elapsed().as_secs_f64());
                    out_bytes += jpeg.len();
                }
            }
            let cpu1 = thread_cpu();
            let mut feed = Feed::new();
            for _ in 0..passes {
                for p in &mut prepared {
                    let frame = feed.assemble(&mut p.packets);
                    std::hint::black_box(
                        frame
                            .image
                            .to_jpeg_bytes(&luma, &chroma)
                            .expect("transcode"),
                    );
                }
            }
            let cpu2 = thread_cpu();
            let mut halves = vec![(f64::INFINITY, f64::INFINITY); n];
            let options = tessera_jpeg::EncodeOptions {
                huffman: tessera_jpeg::HuffmanMode::Standard,
                ..tessera_jpeg::EncodeOptions::default()
            };
            for _ in 0..passes {
                for (p, (quantize, huffman)) in prepared.iter().zip(&mut halves) {
                    let image = scratch
                        .get_or_insert_with(|| p.image.to_jpeg(&luma, &chroma).expect("quantize"));
                    let t = Instant::now();
                    p.image
                        .to_jpeg_into(&luma, &chroma, image)
                        .expect("quantize");
                    let t1 = Instant::now();
                    std::hint::black_box(
                        tessera_jpeg::encode_coefficients(image, &options).expect("encode"),
                    );
                    *huffman = huffman.min(t1.elapsed().as_secs_f64());
                    *quantize = quantize.min((t1 - t).as_secs_f64());
                }
            }
            let per_frame_ms =
                |a: Option<std::time::Duration>, b: Option<std::time::Duration>| match (a, b) {
                    (Some(a), Some(b)) => (b - a).as_secs_f64() * 1e3 / (passes * n) as f64,
                    _ => f64::NAN,
                };
            let (ffmpeg_cpu, ffmpeg_out_bytes, ffmpeg_q) = if with_ffmpeg {
                ffmpeg_reencode(dir, source, &coded, out_bytes as f64 / n as f64)
            } else {
                (f64::NAN, f64::NAN, 0)
            };
            let mean = |f: &dyn Fn(usize) -> usize| (0..n).map(f).sum::<usize>() as f64 / n as f64;
            SpeedRow {
                source,
                frames: n,
                mjpeg_bytes: mean(&|i| coded[i].jpeg.len()),
                sc_bytes: mean(&|i| prepared[i].packets.iter().map(Vec::len).sum()),
                out_bytes: out_bytes as f64 / n as f64,
                ffmpeg_out_bytes,
                ffmpeg_q,
                transcode_wall: fastest.iter().sum::<f64>() * 1e3 / n as f64,
                quantize_wall: halves.iter().map(|h| h.0).sum::<f64>() * 1e3 / n as f64,
                huffman_wall: halves.iter().map(|h| h.1).sum::<f64>() * 1e3 / n as f64,
                transcode_cpu: per_frame_ms(cpu0, cpu1),
                receive_cpu: per_frame_ms(cpu1, cpu2),
                ffmpeg_cpu,
            }
        })
        .collect()
}

/// ffmpeg `-threads 1` MJPEG decode + MJPEG encode of the same frames, at
/// the `-q:v` whose output size is closest to `our_size`: CPU ms/frame as
/// the difference between a stream of the frames repeated five times and
/// the frames once (start-up drops out), best of three; its mean output
/// size; the `-q:v`.
fn ffmpeg_reencode(dir: &Path, source: &str, coded: &[&Coded], our_size: f64) -> (f64, f64, u8) {
    const REPEAT: usize = 5;
    let once: Vec<u8> = coded.iter().flat_map(|c| c.jpeg.iter().copied()).collect();
    let stem = dir.join(format!("speed-{}", source.replace('+', "_")));
    let short = stem.with_extension("1.mjpeg");
    let long = stem.with_extension("5.mjpeg");
    std::fs::write(&short, &once).expect("write MJPEG stream");
    std::fs::write(&long, once.repeat(REPEAT)).expect("write MJPEG stream");
    let args = |input: &Path, output: &str, format: &str, q: u8| -> Vec<String> {
        [
            "-threads",
            "1",
            "-f",
            "mjpeg",
            "-i",
            input.to_str().expect("utf-8 path"),
            "-threads",
            "1",
            "-c:v",
            "mjpeg",
            "-huffman",
            "default",
            "-q:v",
            &q.to_string(),
            "-f",
            format,
            output,
        ]
        .map(String::from)
        .to_vec()
    };
    let n = coded.len();
    let out = stem.with_extension("out.mjpeg");
    let (size, q) = FFMPEG_QS
        .iter()
        .map(|&q| {
            ffmpeg_cpu_seconds(&args(&short, out.to_str().expect("utf-8 path"), "mjpeg", q));
            let size = std::fs::metadata(&out).expect("ffmpeg's output").len() as f64 / n as f64;
            (size, q)
        })
        .min_by(|a, b| (a.0 - our_size).abs().total_cmp(&(b.0 - our_size).abs()))
        .expect("qualities to try");
    let cpu = (0..3)
        .map(|_| {
            let long = ffmpeg_cpu_seconds(&args(&long, "-", "null", q));
            let short = ffmpeg_cpu_seconds(&args(&short, "-", "null", q));
            (long - short) * 1e3 / ((REPEAT - 1) * n) as f64
        })
        .fold(f64::INFINITY, f64::min);
    (cpu, size, q)
}
