//! The `tessera` command line, as a library so it can be tested in process
//! and its commands reused.
//!
//! Commands: `probe`, `transcode`, `demo`. `main.rs` only parses arguments
//! and prints errors.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tessera_core::Rational;

pub mod demo;
pub mod media;
pub mod probe;
pub mod transcode;

/// tessera: a software-only parallel video system.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a video file: format, size, sampling, frames, rate, JPEG quality.
    Probe {
        /// A .y4m, .mjpeg (or .jpg) or .avi file.
        file: PathBuf,
    },
    /// Convert between .y4m, .mjpeg and .avi.
    ///
    /// Y4M to Motion-JPEG encodes at --quality (default 90). Motion-JPEG to
    /// Motion-JPEG copies the JPEG images unchanged, or with --quality
    /// requantizes them in the DCT domain (no inverse DCT). Motion-JPEG to
    /// Y4M decodes.
    Transcode {
        input: PathBuf,
        output: PathBuf,
        /// JPEG quality 1-100 (IJG scaling of the T.81 Annex K tables).
        #[arg(short, long, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: Option<u8>,
        /// Frame rate for inputs that do not record one (raw Motion-JPEG).
        #[arg(long, default_value = "25")]
        fps: Rational,
        /// Write the typical Annex K Huffman tables instead of optimized ones.
        #[arg(long)]
        standard_huffman: bool,
        /// Restart interval in MCUs for encoded JPEG (0 = none).
        #[arg(long)]
        restart_interval: Option<u16>,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
        /// Worker threads, each coding whole frames (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run the main job on a generated clip: encode, remux, decode, and
    /// report sizes, speed and quality.
    Demo {
        /// Folder for the files the demo writes.
        #[arg(long, default_value = "out")]
        output_dir: PathBuf,
        /// Frames in the generated clip.
        #[arg(long, default_value_t = 60)]
        frames: u32,
        /// Picture size WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720")]
        size: String,
        /// JPEG quality 1-100.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Probe { file } => probe::run(&file),
        Command::Transcode {
            input,
            output,
            quality,
            fps,
            standard_huffman,
            restart_interval,
            frames,
            threads,
        } => {
            let defaults = transcode::Options::default();
            let options = transcode::Options {
                quality,
                fps,
                standard_huffman,
                restart_interval,
                max_frames: frames,
                progress: true,
                threads: threads.unwrap_or(defaults.threads),
            };
            let summary = transcode::transcode(&input, &output, &options)?;
            println!("{summary}");
            Ok(())
        }
        Command::Demo {
            output_dir,
            frames,
            size,
            quality,
        } => demo::run(&output_dir, frames, &size, quality),
    }
}
