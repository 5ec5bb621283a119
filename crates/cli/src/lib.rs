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
pub mod sc;
pub mod transcode;

/// tessera: a software-only parallel video system.
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "tessera: a software-only parallel video system (DCT-domain JPEG, SC regions, Motion-JPEG files)",
    propagate_version = true
)]
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
    /// The semicompressed (SC) format: encode to RTP/SC in a pcap, decode, stats.
    #[command(subcommand)]
    Sc(ScCommand),
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

#[derive(Debug, Subcommand)]
pub enum ScCommand {
    /// Encode a video to RTP/SC packets (UDP in a pcap capture, one SSRC per region).
    Encode {
        /// A .y4m, .mjpeg or .avi file (JPEG input stays in the DCT domain).
        input: PathBuf,
        /// The capture to write.
        #[arg(long)]
        pcap: PathBuf,
        /// Split each frame into N horizontal bands, one stream each.
        #[arg(long, conflicts_with = "region")]
        regions: Option<usize>,
        /// A subregion X,Y,W,H on the MCU grid (repeatable), one stream each.
        #[arg(long, value_parser = sc::parse_region)]
        region: Vec<tessera_sc::Region>,
        /// Largest packet in bytes, RTP header included.
        #[arg(long, default_value_t = 1400)]
        max_packet: usize,
        /// Rate limiting: comma-separated quality=Q (zero what quantizes to
        /// zero at IJG quality Q), cutoff=N (drop AC with u+v > N),
        /// replenish=T (skip blocks changed by at most T).
        #[arg(long)]
        rate_limit: Vec<String>,
        /// Frame rate for inputs that record none.
        #[arg(long, default_value = "25")]
        fps: Rational,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
    },
    /// Reassemble, merge and transcode an RTP/SC capture to .y4m or Motion-JPEG.
    Decode {
        /// A pcap capture of RTP/SC over UDP.
        pcap: PathBuf,
        /// .y4m, .mjpeg or .avi.
        #[arg(long)]
        output: PathBuf,
        /// JPEG quality 1-100 for Motion-JPEG output.
        #[arg(short, long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Output frame rate (default: from the RTP timestamps).
        #[arg(long)]
        fps: Option<Rational>,
    },
    /// Print SC size against JPEG size per frame, for a video or a capture.
    Stats {
        input: PathBuf,
        /// JPEG quality for frames that are not JPEG already.
        #[arg(short, long, default_value_t = 75, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Largest SC packet in bytes.
        #[arg(long, default_value_t = 1400)]
        max_packet: usize,
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
        Command::Sc(ScCommand::Encode {
            input,
            pcap,
            regions,
            region,
            max_packet,
            rate_limit,
            fps,
            frames,
        }) => {
            let options = sc::EncodeOptions {
                regions,
                region,
                max_packet,
                rate_limit: sc::parse_rate_limit(&rate_limit)?,
                fps,
                max_frames: frames,
            };
            println!("{}", sc::encode(&input, &pcap, &options)?);
            Ok(())
        }
        Command::Sc(ScCommand::Decode {
            pcap,
            output,
            quality,
            fps,
        }) => {
            println!("{}", sc::decode(&pcap, &output, quality, fps)?);
            Ok(())
        }
        Command::Sc(ScCommand::Stats {
            input,
            quality,
            max_packet,
        }) => {
            println!("{}", sc::stats(&input, quality, max_packet)?);
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
