//! `tessera encode`: video files to MPEG-4 Part 2 (ISO/IEC 14496-2) Simple
//! Profile, as a raw elementary stream (`.m4v`), an MP4 file (`.mp4`) or
//! RTP/MP4V-ES (RFC 6416) sent in real time to `rtp://HOST:PORT`.
//!
//! ```text
//!  .y4m ---------------------------\
//!  .mjpeg/.avi --JPEG decode-------+--> Frame --Encoder--> VOPs --+--> .m4v (VOS/VO/VOL headers, then GOV+VOP ...)
//!                                              |                   +--> .mp4 (headers as esds, one sample per VOP)
//!                                              |                   \--> RTP/MP4V-ES, paced (+ SDP, RTCP)
//!                                              \--reconstruction--> PSNR against the input
//! ```

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_container::mp4::{Mp4VideoConfig, Mp4Writer};
use tessera_core::{Frame, Limits, Rational};
use tessera_mpeg4::encoder::{EncodedVop, Encoder, EncoderConfig, Packets, RateControl};
use tessera_mpeg4::header::{QuantType, VopType};
use tessera_udp::RtpUrl;

use crate::media::{Input, Picture};
use crate::mpeg4_rtp::{Mp4vSender, SenderOptions};

/// Where the stream goes, from the `--output` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A raw elementary stream.
    M4v(PathBuf),
    /// An MP4 file with one `mp4v` track.
    Mp4(PathBuf),
    /// RTP/MP4V-ES to this address, paced in real time.
    Rtp(RtpUrl),
}

impl Destination {
    /// `.m4v` (or `.cmp`, `.mpg4`), `.mp4` or `rtp://HOST:PORT`.
    pub fn parse(arg: &str) -> Result<Destination> {
        if arg.starts_with("rtp://") || arg.starts_with("udp://") {
            return Ok(Destination::Rtp(arg.parse()?));
        }
        let path = PathBuf::from(arg);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("m4v" | "cmp" | "mpg4") => Ok(Destination::M4v(path)),
            Some("mp4" | "m4p") => Ok(Destination::Mp4(path)),
            _ => bail!(
                "{arg}: cannot tell the output format from the extension (use .m4v, .mp4 or rtp://HOST:PORT)"
            ),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::M4v(p) | Destination::Mp4(p) => write!(f, "{}", p.display()),
            Destination::Rtp(url) => write!(f, "{url}"),
        }
    }
}

/// Parses a bit rate: bits per second, or with a `k` (1000) or `M`
/// (1000000) suffix: `800000`, `800k`, `1.5M`.
pub fn parse_bitrate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'm' | 'M')) => (&t[..i], 1e6),
        _ => (t, 1.0),
    };
    let value = number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| (v * scale).round())
        .ok_or_else(|| {
            format!("--bitrate {text:?}: expected bits per second such as 800000, 800k or 2M")
        })?;
    if !(1000.0..=1e10).contains(&value) {
        return Err(format!(
            "--bitrate {text}: {value} bit/s is outside 1k-10000M"
        ));
    }
    Ok(value as u64)
}

/// `encode` settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Constant quantiser 1-31 (when no bit rate is given).
    pub qp: Option<u8>,
    /// Target bits per second.
    pub bitrate: Option<u64>,
    /// Distance between I-VOPs; 0 = only the first.
    pub gop: u32,
    pub search_range: u32,
    pub packets: Packets,
    pub data_partitioned: bool,
    pub mpeg_quant: bool,
    pub four_mv: bool,
    /// Periodic intra refresh after this many inter codings (0: never).
    pub intra_refresh: u32,
    /// Slices of each VOP coded in parallel (each starts a video packet).
    pub threads: usize,
    pub max_frames: Option<u64>,
    /// Rate for inputs that record none (raw Motion-JPEG).
    pub fps: Rational,
    /// RTP output: write the SDP here.
    pub sdp: Option<PathBuf>,
    /// RTP output: largest packet in bytes, RTP header included.
    pub max_packet: usize,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
}

/// Quantiser used when neither `--qp` nor `--bitrate` is given.
pub const DEFAULT_QP: u8 = 5;

impl Default for Options {
    fn default() -> Self {
        Options {
            qp: None,
            bitrate: None,
            gop: 300,
            search_range: 16,
            packets: Packets::Off,
            data_partitioned: false,
            mpeg_quant: false,
            four_mv: true,
            intra_refresh: 0,
            threads: 1,
            max_frames: None,
            fps: Rational::integer(25),
            sdp: None,
            max_packet: 1400,
            progress: false,
        }
    }
}

impl Options {
    /// The encoder settings for a `width` x `height` input at `rate`.
    pub fn encoder_config(&self, width: usize, height: usize, rate: Rational) -> EncoderConfig {
        let mut cfg = EncoderConfig::new(width, height, rate);
        cfg.rate = match self.bitrate {
            Some(bits_per_second) => RateControl::Bitrate { bits_per_second },
            None => RateControl::Qp(self.qp.unwrap_or(DEFAULT_QP)),
        };
        cfg.gop = self.gop;
        cfg.search_range = self.search_range;
        cfg.packets = self.packets;
        cfg.data_partitioned = self.data_partitioned;
        if self.mpeg_quant {
            cfg.quant = QuantType::Mpeg {
                intra: tessera_mpeg4::tables::DEFAULT_INTRA_QMAT,
                inter: tessera_mpeg4::tables::DEFAULT_NON_INTRA_QMAT,
            };
        }
        cfg.four_mv = self.four_mv;
        cfg.intra_refresh = self.intra_refresh;
        cfg.threads = self.threads.max(1);
        cfg
    }

    fn check(&self, destination: &Destination) -> Result<()> {
        if let Some(q) = self.qp
            && !(1..=31).contains(&q)
        {
            bail!("--qp {q}: the quantiser is 1-31");
        }
        if self.qp.is_some() && self.bitrate.is_some() {
            bail!("--qp and --bitrate exclude each other");
        }
        match self.packets {
            Packets::Bits(0) => bail!("--packet-size 0: give a size in bits"),
            Packets::Macroblocks(0) => bail!("--packet-mbs 0: give a number of macroblocks"),
            _ => {}
        }
        if !matches!(destination, Destination::Rtp(_)) && self.sdp.is_some() {
            bail!("--sdp goes with an rtp:// output");
        }
        Ok(())
    }
}

/// What an encode did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub input: PathBuf,
    pub output: String,
    pub frames: u64,
    pub width: usize,
    pub height: usize,
    pub rate: Rational,
    pub profile_level: u8,
    pub i_vops: u64,
    pub p_vops: u64,
    /// Smallest and largest quantiser used.
    pub qp: (u8, u8),
    /// Elementary stream bits: configuration headers and every VOP.
    pub bits: u64,
    /// Mean PSNR (dB, 100 for identical planes) of the reconstruction
    /// against the input (in 4:2:0), for Y, U and V.
    pub psnr: [f64; 3],
    pub seconds: f64,
    pub threads: usize,
    /// RTP packets and bytes, RTP headers included (RTP output only).
    pub rtp: Option<(u64, u64)>,
}

impl Summary {
    /// Average bit rate of the elementary stream, in bits per second.
    pub fn bits_per_second(&self) -> f64 {
        let duration = self.frames as f64 / self.rate.as_f64();
        self.bits as f64 / duration.max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {}: {} frames {}x{} at {} fps, {} ({} I, {} P, qp {}-{}); {} bits, {:.1} kbit/s; \
             PSNR Y {:.2} U {:.2} V {:.2} dB (average); {:.2} s on {} threads ({:.1} frames/s)",
            self.input.display(),
            self.output,
            self.frames,
            self.width,
            self.height,
            self.rate,
            profile_name(self.profile_level),
            self.i_vops,
            self.p_vops,
            self.qp.0,
            self.qp.1,
            self.bits,
            self.bits_per_second() / 1000.0,
            self.psnr[0],
            self.psnr[1],
            self.psnr[2],
            self.seconds,
            self.threads,
            self.frames as f64 / self.seconds.max(1e-9),
        )?;
        if let Some((packets, bytes)) = self.rtp {
            write!(f, "; {packets} RTP packets, {bytes} bytes")?;
        }
        Ok(())
    }
}

/// `profile_and_level_indication` in words (ISO/IEC 14496-2 Table G-1,
/// Simple Profile).
pub fn profile_name(indication: u8) -> String {
    match indication {
        0x01..=0x03 | 0x05 | 0x06 => format!("Simple Profile level {indication}"),
        0x04 => "Simple Profile level 4a".into(),
        0x08 => "Simple Profile level 0".into(),
        other => format!("profile and level 0x{other:02X}"),
    }
}

/// Where VOPs are written.
enum Sink {
    M4v(BufWriter<File>),
    Mp4 {
        writer: Box<Mp4Writer<BufWriter<File>>>,
        ticks_per_frame: u32,
    },
    Rtp(Box<Mp4vSender>),
}

impl Sink {
    fn open(destination: &Destination, enc: &Encoder, options: &Options) -> Result<Sink> {
        let create = |path: &Path| -> Result<BufWriter<File>> {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Ok(BufWriter::with_capacity(1 << 20, file))
        };
        Ok(match destination {
            Destination::M4v(path) => {
                let mut out = create(path)?;
                out.write_all(&enc.headers())
                    .with_context(|| format!("writing {}", path.display()))?;
                Sink::M4v(out)
            }
            Destination::Mp4(path) => {
                let (timescale, ticks_per_frame) = enc.time_base();
                let vol = enc.vol();
                let bitrate = vol.vbv.map_or(0, |v| v.bit_rate_400.saturating_mul(400));
                let config = Mp4VideoConfig {
                    width: vol.width,
                    height: vol.height,
                    timescale,
                    decoder_config: enc.headers(),
                    profile_level: enc.profile_level(),
                    avg_bitrate: bitrate,
                    max_bitrate: 0,
                    buffer_size: vol
                        .vbv
                        .map_or(0, |v| (v.buffer_size_16k * 2048).min((1 << 24) - 1)),
                };
                let writer = Mp4Writer::new(create(path)?, config)
                    .with_context(|| format!("writing {}", path.display()))?;
                Sink::Mp4 {
                    writer: Box::new(writer),
                    ticks_per_frame,
                }
            }
            Destination::Rtp(url) => Sink::Rtp(Box::new(Mp4vSender::open(
                url,
                enc,
                &SenderOptions {
                    sdp: options.sdp.clone(),
                    max_packet: options.max_packet,
                },
            )?)),
        })
    }

    fn write(&mut self, vop: &EncodedVop) -> Result<()> {
        match self {
            Sink::M4v(out) => out.write_all(&vop.data)?,
            Sink::Mp4 {
                writer,
                ticks_per_frame,
            } => writer.write_sample(&vop.data, *ticks_per_frame, vop.kind == VopType::I)?,
            Sink::Rtp(sender) => sender.send(vop)?,
        }
        Ok(())
    }

    /// Finishes the file (MP4 `moov`) or the stream (RTCP BYE); RTP
    /// packets and bytes sent.
    fn finish(self) -> Result<Option<(u64, u64)>> {
        match self {
            Sink::M4v(mut out) => out.flush()?,
            Sink::Mp4 { writer, .. } => {
                writer.finish()?.flush()?;
            }
            Sink::Rtp(sender) => return sender.finish().map(Some),
        }
        Ok(None)
    }
}

/// Sums of per-frame PSNR, per plane.
#[derive(Debug, Default)]
struct PsnrSums {
    sums: [f64; 3],
    frames: u64,
}

impl PsnrSums {
    fn add(&mut self, psnr: [f64; 3]) {
        for (sum, p) in self.sums.iter_mut().zip(psnr) {
            *sum += p;
        }
        self.frames += 1;
    }

    fn mean(&self) -> [f64; 3] {
        self.sums.map(|s| s / self.frames.max(1) as f64)
    }
}

/// Pixels of one input picture (JPEG decoded).
fn pixels(picture: Picture, limits: &Limits) -> Result<Frame> {
    Ok(match picture {
        Picture::Raw(frame) => frame,
        Picture::Jpeg(bytes) => tessera_jpeg::decode_frame(&bytes, limits)?,
    })
}

/// The input opened, its first frame read and the encoder made for it.
fn open(input: &Path, options: &Options) -> Result<(Input, Frame, Encoder, Rational)> {
    let limits = Limits::default();
    let mut reader = Input::open(input, limits)?;
    let rate = reader.rate.unwrap_or(options.fps);
    let Some(first) = reader.next_picture()? else {
        bail!("{}: no frames", input.display());
    };
    let first = pixels(first, &limits).with_context(|| format!("{}: frame 0", input.display()))?;
    let cfg = options.encoder_config(first.width, first.height, rate);
    let enc = Encoder::new(cfg).with_context(|| input.display().to_string())?;
    Ok((reader, first, enc, rate))
}

/// Writes the SDP of the stream that `encode` would send to `url` for
/// `input` (its size and rate) and these options, and sends nothing.
pub fn write_sdp_only(input: &Path, url: &RtpUrl, sdp: &Path, options: &Options) -> Result<String> {
    options.check(&Destination::Rtp(url.clone()))?;
    let (_, first, enc, _) = open(input, options)?;
    crate::mpeg4_rtp::write_sdp_file(sdp, url, &enc)?;
    Ok(format!(
        "{}: SDP for {}x{} MPEG-4 ({}) to {url}",
        sdp.display(),
        first.width,
        first.height,
        profile_name(enc.profile_level())
    ))
}

/// Encodes `input` (.y4m, .mjpeg or .avi) to `destination`. Ctrl-C stops
/// at the next frame and finishes the output.
pub fn encode(input: &Path, destination: &Destination, options: &Options) -> Result<Summary> {
    options.check(destination)?;
    let limits = Limits::default();
    let stop = crate::rtp::stop_flag();
    let (mut reader, first, mut enc, rate) = open(input, options)?;
    let mut sink = Sink::open(destination, &enc, options)?;
    let bar = if options.progress {
        let total = reader.announced_frames.unwrap_or(0);
        let bar = ProgressBar::new(options.max_frames.map_or(total, |m| m.min(total)));
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} frames {per_sec} eta {eta} {msg}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let start = Instant::now();
    let mut bits = enc.headers().len() as u64 * 8;
    let (mut i_vops, mut p_vops) = (0u64, 0u64);
    let mut qp = (u8::MAX, 0u8);
    let mut psnr = PsnrSums::default();
    let mut frame = first;
    let mut index = 0u64;
    loop {
        let context = || format!("{}: frame {index}", input.display());
        let vop = enc.encode(&frame).with_context(context)?;
        sink.write(&vop).with_context(context)?;
        bits += vop.data.len() as u64 * 8;
        match vop.kind {
            VopType::I => i_vops += 1,
            VopType::P => p_vops += 1,
        }
        qp = (qp.0.min(vop.qp), qp.1.max(vop.qp));
        psnr.add(vop.psnr(frame.width, frame.height));
        index += 1;
        bar.inc(1);
        if index.is_multiple_of(8) {
            let seconds = index as f64 / rate.as_f64();
            bar.set_message(format!("{:.0} kbit/s", bits as f64 / seconds / 1000.0));
        }
        if options.max_frames.is_some_and(|m| index >= m) || stop.load(Ordering::SeqCst) {
            break;
        }
        if !reader.next_frame_into(&mut frame, &limits)? {
            break;
        }
    }
    bar.finish_and_clear();
    let rtp = sink.finish()?;
    Ok(Summary {
        input: input.to_owned(),
        output: destination.to_string(),
        frames: index,
        width: enc.vol().width.into(),
        height: enc.vol().height.into(),
        rate,
        profile_level: enc.profile_level(),
        i_vops,
        p_vops,
        qp,
        bits,
        psnr: psnr.mean(),
        seconds: start.elapsed().as_secs_f64(),
        threads: options.threads.max(1),
        rtp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rates_take_suffixes() {
        assert_eq!(parse_bitrate("800000"), Ok(800_000));
        assert_eq!(parse_bitrate("800k"), Ok(800_000));
        assert_eq!(parse_bitrate("800K"), Ok(800_000));
        assert_eq!(parse_bitrate("2M"), Ok(2_000_000));
        assert_eq!(parse_bitrate("1.5m"), Ok(1_500_000));
        assert!(parse_bitrate("fast").is_err());
        assert!(parse_bitrate("-3k").is_err());
        assert!(parse_bitrate("0").is_err());
        assert!(parse_bitrate("k").is_err());
    }

    #[test]
    fn outputs_by_extension_or_url() {
        assert!(matches!(
            Destination::parse("a.M4V"),
            Ok(Destination::M4v(_))
        ));
        assert!(matches!(
            Destination::parse("a.mp4"),
            Ok(Destination::Mp4(_))
        ));
        assert!(matches!(
            Destination::parse("rtp://127.0.0.1:5004"),
            Ok(Destination::Rtp(_))
        ));
        assert!(Destination::parse("a.mp3").is_err());
        assert!(Destination::parse("rtp://nowhere").is_err());
    }
}
