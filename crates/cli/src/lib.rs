//! The `tessera` command line, as a library so it can be tested in process
//! and its commands reused.
//!
//! Commands: `probe`, `transcode`, `encode` and `decode` (MPEG-4 Part 2),
//! `demo`, `sc`, `rtp`, `fx`, `gen`. `main.rs` only parses arguments and prints
//! errors.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tessera_core::Rational;

pub mod decode;
pub mod demo;
pub mod encode;
pub mod fx;
// `gen` is a reserved word in Rust 2024.
#[path = "gen.rs"]
pub mod generate;
pub mod media;
pub mod mpeg4_rtp;
pub mod objects;
pub mod probe;
pub mod rtp;
pub mod sc;
pub mod transcode;

/// tessera: a software-only parallel video system.
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "tessera: a software-only parallel video system (DCT-domain JPEG, SC regions, Motion-JPEG files, MPEG-4 Part 2)",
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
    /// Encode to MPEG-4 Part 2 (Simple Profile): a .m4v elementary stream,
    /// an .mp4 file, or RTP/MP4V-ES (RFC 6416) sent in real time.
    ///
    /// Prints frames, bits and kbit/s, PSNR of the reconstruction against
    /// the input, and speed.
    ///
    /// With --object or --labels, encodes a scene object by object (Core
    /// Profile, binary shape) into --output DIR/: objectK.m4v per object
    /// (object 0 the rectangular background) and scene.json, with bits
    /// (shape/motion/texture), PSNR inside the shape and shape error per
    /// object; `tessera compose DIR/scene.json` puts them back together.
    Encode {
        /// A .y4m, .mjpeg or .avi file (a .y4m scene with --object/--labels).
        input: PathBuf,
        /// OUT.m4v, OUT.mp4 or rtp://HOST:PORT[?ttl=N&iface=NAME]; a folder
        /// with --object/--labels.
        #[arg(long)]
        output: String,
        /// Object K's mask: K=MASK.y4m (luma 0 outside, 255 inside) or
        /// K=mask_%03d.pgm (a PGM per frame); K is 1-31. Repeat per object.
        #[arg(long = "object", value_name = "K=MASK", value_parser = objects::parse_object, conflicts_with = "labels")]
        objects: Vec<(u8, tessera_container::scene::MaskSource)>,
        /// A label map .y4m whose luma is the object index at each sample
        /// (0 background, K object K, up to 31).
        #[arg(long, value_name = "LABELS.y4m")]
        labels: Option<PathBuf>,
        /// Objects: lossy shape, the largest error sum (samples as 0/255)
        /// allowed in a 4x4 block of each 16x16 shape block (0: lossless).
        #[arg(long, default_value_t = 0)]
        alpha_threshold: u32,
        /// Objects: code object K's shape only, without texture (repeat).
        #[arg(long, value_name = "K")]
        binary_only: Vec<u8>,
        /// Objects: leave out the background (object 0, the whole scene as
        /// a rectangle).
        #[arg(long)]
        no_background: bool,
        /// Constant quantiser 1-31 (default 5 unless --bitrate).
        #[arg(long, conflicts_with = "bitrate")]
        qp: Option<u8>,
        /// Target bit rate in bits/s: 800000, 800k, 2M.
        #[arg(long)]
        bitrate: Option<String>,
        /// Distance between I-VOPs in frames (0: only the first).
        #[arg(long, default_value_t = 300)]
        gop: u32,
        /// Motion search range in full samples (1-1024).
        #[arg(long, default_value_t = 16)]
        search_range: u32,
        /// Start a video packet (resync marker) every BITS bits.
        #[arg(long, value_name = "BITS", conflicts_with = "packet_mbs")]
        packet_size: Option<u32>,
        /// Video packets of N macroblocks each.
        #[arg(long, value_name = "N")]
        packet_mbs: Option<u32>,
        /// Data partitioning: motion apart from texture in each packet.
        #[arg(long)]
        data_partitioning: bool,
        /// MPEG quantisation with the default weighting matrices instead
        /// of H.263.
        #[arg(long)]
        mpeg_quant: bool,
        /// No four-vector (8x8) motion.
        #[arg(long)]
        no_4mv: bool,
        /// Code every macroblock intra again after N inter codings, bounding
        /// IDCT drift in long GOPs as H.263 does with 132 (0: never).
        #[arg(long, default_value_t = 0)]
        intra_refresh: u32,
        /// Code slices of each VOP on N threads (each slice starts a video
        /// packet, so the stream depends on N); default 1. With objects:
        /// code N objects at a time (default: every core).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
        /// Frame rate for inputs that record none (raw Motion-JPEG).
        #[arg(long, default_value = "25")]
        fps: Rational,
        /// RTP output: write the SDP describing the stream to this file.
        #[arg(long)]
        sdp: Option<PathBuf>,
        /// RTP output: write the --sdp file and exit without sending, so a
        /// receiver can be started before the stream.
        #[arg(long)]
        sdp_only: bool,
        /// RTP output: largest packet in bytes, RTP header included.
        #[arg(long, default_value_t = 1400)]
        max_packet: usize,
    },
    /// Decode the objects of a scene encoded with `encode --object` and
    /// compose them into a .y4m (background first, then by z-order).
    Compose {
        /// The scene.json the encode wrote.
        manifest: PathBuf,
        /// The .y4m to write.
        #[arg(long)]
        output: PathBuf,
        /// Only this object (over black).
        #[arg(long, value_name = "K")]
        object: Option<u8>,
        /// With --object: write its decoded mask instead (luma 0 or 255).
        #[arg(long, requires = "object")]
        alpha: bool,
    },
    /// Decode MPEG-4 Part 2 (.m4v, .mp4, or RTP/MP4V-ES) to .y4m.
    Decode {
        /// IN.m4v, IN.mp4, rtp://ADDRESS:PORT, or an SDP file.
        input: String,
        /// The .y4m to write.
        #[arg(long)]
        output: PathBuf,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
        /// Output frame rate (default: the stream's).
        #[arg(long)]
        fps: Option<Rational>,
        /// RTP input: stop after this many seconds (else at the sender's
        /// RTCP BYE or Ctrl-C).
        #[arg(long)]
        duration: Option<f64>,
        /// RTP input: jitter buffer latency in milliseconds.
        #[arg(long, default_value_t = 200)]
        latency_ms: u64,
    },
    /// The semicompressed (SC) format: encode to RTP/SC in a pcap, decode, stats.
    #[command(subcommand)]
    Sc(ScCommand),
    /// Motion-JPEG over RTP (RFC 2435): receive, send, relay.
    #[command(subcommand)]
    Rtp(RtpCommand),
    /// Effects: print an effect's operator graph, or run it on N processors.
    #[command(subcommand)]
    Fx(FxCommand),
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
    /// Generate test inputs.
    #[command(subcommand)]
    Gen(GenCommand),
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// A synthetic multi-object scene with exact masks: DIR/scene.y4m,
    /// DIR/object1.y4m ... (mask in luma: 0 or 255) and DIR/labels.y4m
    /// (luma: 0 background, K object K in front). Same seed, same bytes.
    Scene {
        /// Folder to write (created if missing).
        #[arg(long)]
        output: PathBuf,
        /// Picture size WIDTHxHEIGHT.
        #[arg(long, default_value = "352x288", value_parser = generate::parse_size)]
        size: (usize, usize),
        /// Number of frames.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
        frames: u32,
        /// Frame rate to record (motion is per frame).
        #[arg(long, default_value = "25")]
        fps: Rational,
        /// Number of objects (0-255); the last is in front.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(0..=255))]
        objects: u16,
        /// Seed for shapes, textures, colours and paths.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum FxCommand {
    /// Compile an effect and print its operator graph (domains, fused passes).
    Graph {
        /// The effect file (see docs/effects.md).
        effect: PathBuf,
        /// Also write the graph as Graphviz DOT to this file (`-`: stdout).
        #[arg(long)]
        dot: Option<PathBuf>,
    },
    /// Run an effect on Motion-JPEG inputs across N processors.
    ///
    /// While it runs, `set NAME=VALUE [@FRAME]` lines on stdin change
    /// parameters from the next frame (or FRAME) on.
    Run {
        /// The effect file (see docs/effects.md).
        effect: PathBuf,
        /// NAME=SOURCE for each input of the effect: a .mjpeg, .avi or .y4m
        /// file, or rtp://ADDRESS:PORT (RTP/JPEG). The first input sets the
        /// output's size and frame rate.
        #[arg(long = "input", value_parser = fx::parse_assignment, required = true)]
        inputs: Vec<(String, String)>,
        /// .mjpeg, .avi or .y4m file, or rtp://ADDRESS:PORT (RTP/JPEG).
        #[arg(long)]
        output: String,
        /// FX processors.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
        processors: u16,
        /// temporal, spatial, hybrid[:GROUPS] or auto.
        #[arg(long, default_value = "auto")]
        mode: tessera_fx::mapper::Mode,
        /// PARAM=VALUE: a parameter's value from the first frame (repeatable).
        #[arg(long = "set", value_parser = fx::parse_assignment)]
        sets: Vec<(String, String)>,
        /// Output JPEG quality 1-100.
        #[arg(short, long, default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Frame rate for inputs that record none (raw Motion-JPEG, RTP).
        #[arg(long, default_value = "25")]
        fps: Rational,
        /// Stop after this many output frames.
        #[arg(long)]
        frames: Option<u64>,
        /// Stop after this many seconds (live inputs).
        #[arg(long)]
        duration: Option<f64>,
        /// JPEG quality at which Y4M inputs are encoded on the way in.
        #[arg(long, default_value_t = 95, value_parser = clap::value_parser!(u8).range(1..=100))]
        input_quality: u8,
        /// Jitter buffer latency for RTP inputs, in milliseconds.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
        /// Do not read parameter changes from stdin.
        #[arg(long)]
        no_stdin: bool,
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

#[derive(Debug, Subcommand)]
pub enum RtpCommand {
    /// Receive RTP/JPEG into a file (.mjpeg/.avi keep the JPEG images, .y4m decodes).
    Recv {
        /// rtp://ADDRESS:PORT[?iface=NAME&rcvbuf=BYTES] (a multicast address
        /// joins the group), or an SDP file describing the stream.
        url: String,
        #[arg(long)]
        output: PathBuf,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<f64>,
        /// Jitter buffer latency in milliseconds.
        #[arg(long, default_value_t = 200)]
        latency_ms: u64,
        /// Frame rate to record (default: from the RTP timestamps).
        #[arg(long)]
        fps: Option<Rational>,
        /// Disturb packets between socket and depacketizer, e.g.
        /// loss=0.05,reorder=0.1,duplicate=0.02,delay=30,seed=7 (testing).
        #[arg(long)]
        simulate: Option<rtp::Simulation>,
    },
    /// Send a file as RTP/JPEG in real time.
    Send {
        /// .mjpeg, .avi or .y4m (Y4M is encoded at --quality).
        file: PathBuf,
        /// rtp://ADDRESS:PORT[?ttl=N&iface=NAME].
        url: tessera_udp::RtpUrl,
        /// Frame rate (default: the file's, or 25).
        #[arg(long)]
        fps: Option<Rational>,
        /// Start again at the end, until Ctrl-C.
        #[arg(long = "loop")]
        repeat: bool,
        /// Write an SDP describing the stream (for ffplay, VLC, GStreamer).
        #[arg(long)]
        sdp: Option<PathBuf>,
        /// Send each frame's packets back to back instead of paced.
        #[arg(long)]
        no_pacing: bool,
        /// Largest packet in bytes, RTP header included.
        #[arg(long, default_value_t = 1400)]
        max_packet: usize,
        /// JPEG quality for Y4M input.
        #[arg(short, long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
    },
    /// Print (or write) the SDP for a stream `send` would emit to URL.
    Sdp {
        url: tessera_udp::RtpUrl,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Receive, check (depacketize and parse) and re-send RTP/JPEG.
    Relay {
        input: tessera_udp::RtpUrl,
        output: tessera_udp::RtpUrl,
        /// Jitter buffer latency in milliseconds.
        #[arg(long, default_value_t = 200)]
        latency_ms: u64,
        /// Stop after this many frames.
        #[arg(long)]
        frames: Option<u64>,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Probe { file } => probe::run(&file),
        Command::Fx(FxCommand::Graph { effect, dot }) => fx::graph(&effect, dot.as_deref()),
        Command::Fx(FxCommand::Run {
            effect,
            inputs,
            output,
            processors,
            mode,
            sets,
            quality,
            fps,
            frames,
            duration,
            input_quality,
            latency_ms,
            no_stdin,
        }) => {
            use std::io::IsTerminal;
            let options = fx::RunOptions {
                inputs,
                output,
                processors: usize::from(processors),
                mode,
                sets,
                quality,
                fps,
                frames,
                input_quality,
                stdin_control: !no_stdin,
                progress: std::io::stderr().is_terminal(),
                latency: std::time::Duration::from_millis(latency_ms),
                duration: duration.map(std::time::Duration::from_secs_f64),
            };
            println!("{}", fx::run(&effect, &options)?);
            Ok(())
        }
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
        Command::Encode {
            input,
            output,
            objects: object_masks,
            labels,
            alpha_threshold,
            binary_only,
            no_background,
            qp,
            bitrate,
            gop,
            search_range,
            packet_size,
            packet_mbs,
            data_partitioning,
            mpeg_quant,
            no_4mv,
            intra_refresh,
            threads,
            frames,
            fps,
            sdp,
            sdp_only,
            max_packet,
        } => {
            use std::io::IsTerminal;
            use tessera_mpeg4::encoder::Packets;
            let scene_mode = !object_masks.is_empty() || labels.is_some();
            let options = encode::Options {
                qp,
                bitrate: bitrate
                    .as_deref()
                    .map(encode::parse_bitrate)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                gop,
                search_range,
                packets: match (packet_size, packet_mbs) {
                    (Some(bits), _) => Packets::Bits(bits),
                    (None, Some(mbs)) => Packets::Macroblocks(mbs),
                    (None, None) => Packets::Off,
                },
                data_partitioned: data_partitioning,
                mpeg_quant,
                four_mv: !no_4mv,
                intra_refresh,
                threads: usize::from(threads.unwrap_or(1)),
                max_frames: frames,
                fps,
                sdp: sdp.clone(),
                max_packet,
                progress: std::io::stderr().is_terminal(),
            };
            if scene_mode {
                if sdp.is_some() || sdp_only {
                    anyhow::bail!("--sdp goes with an rtp:// output, not with objects");
                }
                let shapes = match labels {
                    Some(path) => objects::ObjectShapes::Labels(path),
                    None => objects::ObjectShapes::Masks(object_masks),
                };
                let scene = objects::SceneOptions {
                    base: options,
                    alpha_threshold,
                    binary_only,
                    background: !no_background,
                    threads: threads.map_or_else(
                        || std::thread::available_parallelism().map_or(1, |n| n.get()),
                        usize::from,
                    ),
                };
                let dir = PathBuf::from(output.trim_end_matches('/'));
                println!("{}", objects::encode_scene(&input, &shapes, &dir, &scene)?);
                return Ok(());
            }
            if !binary_only.is_empty() || alpha_threshold != 0 || no_background {
                anyhow::bail!(
                    "--binary-only, --alpha-threshold and --no-background go with --object or --labels"
                );
            }
            let destination = encode::Destination::parse(&output)?;
            let summary = match (&destination, sdp_only, &sdp) {
                (_, false, _) => encode::encode(&input, &destination, &options)?.to_string(),
                (encode::Destination::Rtp(url), true, Some(sdp)) => {
                    encode::write_sdp_only(&input, url, sdp, &options)?
                }
                _ => anyhow::bail!("--sdp-only needs an rtp:// output and --sdp FILE"),
            };
            println!("{summary}");
            Ok(())
        }
        Command::Compose {
            manifest,
            output,
            object,
            alpha,
        } => {
            let what = match (object, alpha) {
                (None, _) => objects::ComposeOutput::Scene,
                (Some(k), false) => objects::ComposeOutput::Object(k),
                (Some(k), true) => objects::ComposeOutput::Alpha(k),
            };
            println!("{}", objects::compose(&manifest, &output, &what)?);
            Ok(())
        }
        Command::Decode {
            input,
            output,
            frames,
            fps,
            duration,
            latency_ms,
        } => {
            use std::io::IsTerminal;
            let options = decode::Options {
                max_frames: frames,
                fps,
                duration: duration.map(std::time::Duration::from_secs_f64),
                latency: std::time::Duration::from_millis(latency_ms),
                progress: std::io::stderr().is_terminal(),
            };
            println!("{}", decode::decode(&input, &output, &options)?);
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
        Command::Rtp(RtpCommand::Recv {
            url,
            output,
            frames,
            duration,
            latency_ms,
            fps,
            simulate,
        }) => {
            let options = rtp::RecvOptions {
                frames,
                duration: duration.map(std::time::Duration::from_secs_f64),
                latency: std::time::Duration::from_millis(latency_ms),
                fps,
                simulate,
            };
            let url = rtp::receive_address(&url)?;
            println!("{}", rtp::recv(&url, &output, &options)?);
            Ok(())
        }
        Command::Rtp(RtpCommand::Send {
            file,
            url,
            fps,
            repeat,
            sdp,
            no_pacing,
            max_packet,
            quality,
            frames,
        }) => {
            let options = rtp::SendOptions {
                fps,
                repeat,
                sdp,
                pacing: !no_pacing,
                max_packet,
                quality,
                max_frames: frames,
            };
            println!("{}", rtp::send(&file, &url, &options)?);
            Ok(())
        }
        Command::Rtp(RtpCommand::Sdp { url, output }) => {
            let text = rtp::sdp_for(&url);
            match output {
                Some(path) => std::fs::write(&path, text)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
        Command::Rtp(RtpCommand::Relay {
            input,
            output,
            latency_ms,
            frames,
        }) => {
            let latency = std::time::Duration::from_millis(latency_ms);
            println!("{}", rtp::relay(&input, &output, latency, frames)?);
            Ok(())
        }
        Command::Demo {
            output_dir,
            frames,
            size,
            quality,
        } => demo::run(&output_dir, frames, &size, quality),
        Command::Gen(GenCommand::Scene {
            output,
            size: (width, height),
            frames,
            fps,
            objects,
            seed,
        }) => {
            let spec = tessera_core::scene::SceneSpec {
                width,
                height,
                frames,
                rate: fps,
                objects: usize::from(objects),
                seed,
            };
            println!("{}", generate::scene(&output, &spec)?);
            Ok(())
        }
    }
}
