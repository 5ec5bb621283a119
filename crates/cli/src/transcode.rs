//! `tessera transcode`: between Y4M, raw Motion-JPEG and AVI.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_container::ContainerKind;
use tessera_core::{ChromaFormat, Limits, Rational};

use tessera_jpeg::{EncodeOptions, HuffmanMode};

use crate::media::{Input, Output, Picture};

/// Default JPEG quality when encoding from raw frames.
pub const DEFAULT_QUALITY: u8 = 90;

/// Transcode settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Encode (or requantize) at this quality; `None` copies JPEG images.
    pub quality: Option<u8>,
    /// Rate for inputs without one.
    pub fps: Rational,
    pub standard_huffman: bool,
    pub restart_interval: Option<u16>,
    pub max_frames: Option<u64>,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Frames processed in parallel (each frame on one thread).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quality: None,
            fps: Rational::integer(25),
            standard_huffman: false,
            restart_interval: None,
            max_frames: None,
            progress: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// What a transcode did to each frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Raw frames copied (Y4M to Y4M).
    CopyFrames,
    /// Pixels encoded to JPEG at a quality.
    Encode(u8),
    /// JPEG decoded to pixels.
    Decode,
    /// JPEG images copied byte for byte into another container.
    Remux,
    /// JPEG requantized in the DCT domain to a quality.
    Requantize(u8),
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::CopyFrames => write!(f, "copied raw frames"),
            Mode::Encode(q) => write!(f, "encoded to JPEG at quality {q}"),
            Mode::Decode => write!(f, "decoded JPEG to raw frames"),
            Mode::Remux => write!(f, "copied JPEG images unchanged"),
            Mode::Requantize(q) => {
                write!(f, "requantized JPEG to quality {q} in the DCT domain")
            }
        }
    }
}

/// The outcome of a transcode.
#[derive(Clone, Debug)]
pub struct Summary {
    pub input: PathBuf,
    pub output: PathBuf,
    pub mode: Mode,
    pub frames: u64,
    pub width: usize,
    pub height: usize,
    pub format: ChromaFormat,
    pub rate: Rational,
    pub seconds: f64,
    pub output_bytes: u64,
    pub threads: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fps = self.frames as f64 / self.seconds.max(1e-9);
        write!(
            f,
            "{} -> {}: {} frames {}x{} {} at {} fps, {}; {:.2} s on {} threads ({:.1} frames/s); {} bytes written",
            self.input.display(),
            self.output.display(),
            self.frames,
            self.width,
            self.height,
            self.format,
            self.rate,
            self.mode,
            self.seconds,
            self.threads,
            fps,
            self.output_bytes
        )
    }
}

fn is_jpeg(kind: ContainerKind) -> bool {
    matches!(kind, ContainerKind::Mjpeg | ContainerKind::Avi)
}

/// A picture ready for the output container.
enum Processed {
    Frame(tessera_core::Frame),
    Jpeg {
        bytes: Vec<u8>,
        width: usize,
        height: usize,
        format: ChromaFormat,
    },
}

/// What one frame goes through.
fn process(
    picture: Picture,
    mode: Mode,
    limits: &Limits,
    encode_options: &EncodeOptions,
) -> Result<Processed> {
    Ok(match (picture, mode) {
        (Picture::Raw(frame), Mode::CopyFrames) => Processed::Frame(frame),
        (Picture::Raw(frame), Mode::Encode(q)) => Processed::Jpeg {
            bytes: tessera_jpeg::encode_frame(&frame, q, encode_options)?,
            width: frame.width,
            height: frame.height,
            format: frame.format,
        },
        (Picture::Jpeg(bytes), Mode::Decode) => {
            Processed::Frame(tessera_jpeg::decode_frame(&bytes, limits)?)
        }
        (Picture::Jpeg(bytes), Mode::Remux) => {
            // Copied unchanged, but only once its headers parse.
            let info = tessera_jpeg::read_info(&bytes, limits)?;
            Processed::Jpeg {
                format: info.chroma_format.unwrap_or(ChromaFormat::Yuv420),
                width: info.width,
                height: info.height,
                bytes,
            }
        }
        (Picture::Jpeg(bytes), Mode::Requantize(q)) => {
            let image = tessera_jpeg::decode_coefficients(&bytes, limits)?;
            let (luma, chroma) = tessera_jpeg::quality::tables_for_quality(q);
            let requantized = tessera_jpeg::requantize(&image, &luma, &chroma)?;
            Processed::Jpeg {
                bytes: tessera_jpeg::encode_coefficients(&requantized, encode_options)?,
                width: image.width,
                height: image.height,
                format: image.chroma_format().unwrap_or(ChromaFormat::Yuv420),
            }
        }
        (_, mode) => bail!("internal: picture kind does not fit mode {mode}"),
    })
}

/// Processes `batch` on up to `threads` scoped threads (frame
/// parallelism), returning results in input order.
fn process_batch(
    batch: &mut Vec<Picture>,
    mode: Mode,
    limits: &Limits,
    encode_options: &EncodeOptions,
    threads: usize,
) -> Vec<Result<Processed>> {
    let pictures: Vec<Picture> = std::mem::take(batch);
    if threads <= 1 || pictures.len() <= 1 {
        return pictures
            .into_iter()
            .map(|p| process(p, mode, limits, encode_options))
            .collect();
    }
    let per_thread = pictures.len().div_ceil(threads);
    let mut chunks: Vec<Vec<Picture>> = Vec::new();
    let mut rest = pictures.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(per_thread).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|p| process(p, mode, limits, encode_options))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(_) => vec![Err(anyhow::anyhow!("a worker thread panicked"))],
            })
            .collect()
    })
}

/// Converts `input` to `output`, the formats chosen by file name.
pub fn transcode(input: &Path, output: &Path, options: &Options) -> Result<Summary> {
    if input == output {
        bail!("input and output are the same file: {}", input.display());
    }
    let limits = Limits::default();
    let start = Instant::now();
    let mut reader = Input::open(input, limits)?;
    let rate = reader.rate.unwrap_or(options.fps);
    let mut writer = Output::new(output, rate)?;
    let mode = match (is_jpeg(reader.kind), is_jpeg(writer.kind), options.quality) {
        (false, false, _) => Mode::CopyFrames,
        (false, true, q) => Mode::Encode(q.unwrap_or(DEFAULT_QUALITY)),
        (true, false, _) => Mode::Decode,
        (true, true, None) => Mode::Remux,
        (true, true, Some(q)) => Mode::Requantize(q),
    };
    let encode_options = EncodeOptions {
        huffman: if options.standard_huffman {
            HuffmanMode::Standard
        } else {
            HuffmanMode::Optimized
        },
        restart_interval: options.restart_interval,
        ..EncodeOptions::default()
    };
    let bar = if options.progress {
        let total = reader.announced_frames.unwrap_or(0);
        let bar = ProgressBar::new(options.max_frames.map_or(total, |m| m.min(total)));
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} frames {per_sec} eta {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let threads = options.threads.max(1);
    let mut geometry = (0, 0, ChromaFormat::Mono);
    let mut index = 0u64;
    let mut batch = Vec::with_capacity(threads * 2);
    loop {
        // Read a batch (bounded: two pictures per worker), process it on
        // the workers, write it in order.
        batch.clear();
        while batch.len() < threads * 2
            && options
                .max_frames
                .is_none_or(|m| index + (batch.len() as u64) < m)
        {
            match reader.next_picture()? {
                Some(picture) => batch.push(picture),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let results = process_batch(&mut batch, mode, &limits, &encode_options, threads);
        for result in results {
            let processed =
                result.with_context(|| format!("{}: frame {index}", input.display()))?;
            match processed {
                Processed::Frame(frame) => {
                    geometry = (frame.width, frame.height, frame.format);
                    writer.write_frame(&frame)?;
                }
                Processed::Jpeg {
                    bytes,
                    width,
                    height,
                    format,
                } => {
                    geometry = (width, height, format);
                    writer.write_jpeg(&bytes, width, height, format)?;
                }
            }
            index += 1;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if index == 0 {
        bail!("{}: no frames", input.display());
    }
    let output_path = writer.path.clone();
    writer.finish()?;
    let output_bytes = std::fs::metadata(&output_path)
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(Summary {
        input: input.to_owned(),
        output: output_path,
        mode,
        frames: index,
        width: geometry.0,
        height: geometry.1,
        format: geometry.2,
        rate,
        seconds: start.elapsed().as_secs_f64(),
        output_bytes,
        threads,
    })
}
