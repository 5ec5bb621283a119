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
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fps = self.frames as f64 / self.seconds.max(1e-9);
        write!(
            f,
            "{} -> {}: {} frames {}x{} {} at {} fps, {}; {:.2} s ({:.1} frames/s); {} bytes written",
            self.input.display(),
            self.output.display(),
            self.frames,
            self.width,
            self.height,
            self.format,
            self.rate,
            self.mode,
            self.seconds,
            fps,
            self.output_bytes
        )
    }
}

fn is_jpeg(kind: ContainerKind) -> bool {
    matches!(kind, ContainerKind::Mjpeg | ContainerKind::Avi)
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
    let mut geometry = (0, 0, ChromaFormat::Mono);
    let mut index = 0u64;
    while options.max_frames.is_none_or(|m| index < m) {
        let Some(picture) = reader.next_picture()? else {
            break;
        };
        let ctx = || format!("{}: frame {index}", input.display());
        match (picture, mode) {
            (Picture::Raw(frame), Mode::CopyFrames) => {
                geometry = (frame.width, frame.height, frame.format);
                writer.write_frame(&frame)?;
            }
            (Picture::Raw(frame), Mode::Encode(q)) => {
                geometry = (frame.width, frame.height, frame.format);
                let jpeg =
                    tessera_jpeg::encode_frame(&frame, q, &encode_options).with_context(ctx)?;
                writer.write_jpeg(&jpeg, frame.width, frame.height, frame.format)?;
            }
            (Picture::Jpeg(bytes), Mode::Decode) => {
                let frame = tessera_jpeg::decode_frame(&bytes, &limits).with_context(ctx)?;
                geometry = (frame.width, frame.height, frame.format);
                writer.write_frame(&frame)?;
            }
            (Picture::Jpeg(bytes), Mode::Remux) => {
                let info = tessera_jpeg::read_info(&bytes, &limits).with_context(ctx)?;
                let format = info.chroma_format.unwrap_or(ChromaFormat::Yuv420);
                geometry = (info.width, info.height, format);
                writer.write_jpeg(&bytes, info.width, info.height, format)?;
            }
            (Picture::Jpeg(bytes), Mode::Requantize(q)) => {
                let image = tessera_jpeg::decode_coefficients(&bytes, &limits).with_context(ctx)?;
                let (luma, chroma) = tessera_jpeg::quality::tables_for_quality(q);
                let requantized = tessera_jpeg::requantize(&image, &luma, &chroma)?;
                let jpeg = tessera_jpeg::encode_coefficients(&requantized, &encode_options)?;
                let format = image.chroma_format().unwrap_or(ChromaFormat::Yuv420);
                geometry = (image.width, image.height, format);
                writer.write_jpeg(&jpeg, image.width, image.height, format)?;
            }
            (_, mode) => bail!("internal: picture kind does not fit mode {mode}"),
        }
        index += 1;
        bar.inc(1);
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
    })
}
