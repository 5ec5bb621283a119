//! `tessera decode`: MPEG-4 Part 2 video to Y4M, from a raw elementary
//! stream (`.m4v`), an MP4 file (`.mp4`), or RTP/MP4V-ES received on
//! `rtp://ADDRESS:PORT` or as an SDP file describes it.
//!
//! ```text
//!  .m4v --start-code units (read in chunks)--\
//!  .mp4 --decoder config, then samples-------+--> Decoder --> Frame --> .y4m
//!  RTP  --jitter buffer, depayloader---------/
//! ```

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_container::ContainerKind;
use tessera_core::{Limits, Rational};
use tessera_mpeg4::decoder::{DecodedVop, Decoder};
use tessera_mpeg4::es::{self, Unit};
use tessera_mpeg4::header::VopType;

use crate::media::Output;
use crate::mpeg4_rtp::{Mp4vReceiver, ReceiverOptions};

/// `decode` settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop after this many frames.
    pub max_frames: Option<u64>,
    /// Output frame rate (default: the stream's).
    pub fps: Option<Rational>,
    /// RTP input: stop after this long.
    pub duration: Option<Duration>,
    /// RTP input: jitter buffer latency.
    pub latency: Duration,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_frames: None,
            fps: None,
            duration: None,
            latency: Duration::from_millis(200),
            progress: false,
        }
    }
}

/// What a decode did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub input: String,
    pub output: PathBuf,
    pub frames: u64,
    pub width: usize,
    pub height: usize,
    pub rate: Rational,
    pub i_vops: u64,
    pub p_vops: u64,
    /// VOPs with `vop_coded = 0` (the previous picture repeated).
    pub not_coded: u64,
    /// RTP input: access units skipped (undecodable, or P-VOPs before the
    /// first I-VOP) and the reception counters.
    pub network: Option<(u64, String)>,
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {}: {} frames {}x{} at {} fps ({} I, {} P, {} not coded); {:.2} s ({:.1} frames/s)",
            self.input,
            self.output.display(),
            self.frames,
            self.width,
            self.height,
            self.rate,
            self.i_vops,
            self.p_vops,
            self.not_coded,
            self.seconds,
            self.frames as f64 / self.seconds.max(1e-9),
        )?;
        if let Some((skipped, report)) = &self.network {
            write!(f, "\n  {skipped} access units skipped; {report}")?;
        }
        Ok(())
    }
}

/// The decoder and the Y4M file it fills.
struct Decoding {
    decoder: Decoder,
    out: Output,
    /// The output rate when the stream's own is not known.
    rate: Option<Rational>,
    fallback_rate: Rational,
    max_frames: Option<u64>,
    /// Errors skip the access unit instead of ending the decode (RTP).
    lenient: bool,
    /// An I-VOP was decoded since the start or the last error.
    intra_seen: bool,
    skipped: u64,
    counts: [u64; 3],
    bar: ProgressBar,
}

impl Decoding {
    fn done(&self) -> bool {
        self.max_frames.is_some_and(|m| self.out.frames >= m)
    }

    /// The rate for the Y4M header: given, else the VOL's fixed rate,
    /// else the fallback.
    fn rate(&self) -> Rational {
        self.rate
            .or_else(|| {
                let vol = self.decoder.vol()?;
                Rational::new(
                    u32::from(vol.time_resolution),
                    u32::from(vol.fixed_increment?),
                )
            })
            .unwrap_or(self.fallback_rate)
    }

    /// Feeds one start-code unit; writes the frame it completes.
    fn push(&mut self, unit: Unit<'_>) -> Result<()> {
        if self.done() {
            return Ok(());
        }
        let vop = match self.decoder.push_unit(unit) {
            Ok(Some(vop)) => vop,
            Ok(None) => return Ok(()),
            Err(_) if self.lenient => {
                self.skipped += 1;
                self.intra_seen = false;
                return Ok(());
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "VOP {} (start code at byte {})",
                        self.out.frames, unit.offset
                    )
                });
            }
        };
        self.write(vop)
    }

    fn write(&mut self, vop: DecodedVop) -> Result<()> {
        if vop.shape.is_some() {
            anyhow::bail!(
                "this is an object with a binary shape (one stream of a scene): \
                 decode it with `tessera compose DIR/scene.json`"
            );
        }
        if self.lenient && !self.intra_seen && vop.kind != VopType::I {
            // Its reference was never received.
            self.skipped += 1;
            return Ok(());
        }
        self.intra_seen |= vop.kind == VopType::I;
        if self.out.frames == 0 {
            let rate = self.rate();
            self.out.set_rate(rate)?;
            self.rate = Some(rate);
        }
        self.out.write_frame(&vop.frame)?;
        let i = match (vop.coded, vop.kind) {
            (false, _) => 2,
            (true, VopType::I) => 0,
            (true, VopType::P) => 1,
        };
        self.counts[i] += 1;
        self.bar.inc(1);
        Ok(())
    }
}

/// Calls `f` on every start-code unit of the file at `path`, read in
/// chunks; a unit longer than `limits.max_bytes` is an error.
fn for_each_unit(
    path: &Path,
    limits: &Limits,
    bar: &ProgressBar,
    mut f: impl FnMut(Unit<'_>) -> Result<bool>,
) -> Result<()> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf: Vec<u8> = Vec::new();
    // Offset in the file of buf[0].
    let mut base = 0usize;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut chunk)
            .with_context(|| format!("reading {}", path.display()))?;
        buf.extend_from_slice(&chunk[..n]);
        bar.inc(n as u64);
        // Units are complete up to the last start code (all of them at
        // the end of the file).
        let complete = if n == 0 {
            buf.len()
        } else {
            let mut last = 0;
            let mut at = es::find_start_code(&buf, 1);
            while let Some(i) = at {
                last = i;
                at = es::find_start_code(&buf, i + 3);
            }
            last
        };
        if complete == 0 && buf.len() as u64 > limits.max_bytes {
            bail!(
                "{}: a unit at byte {base} is over {} bytes",
                path.display(),
                limits.max_bytes
            );
        }
        for unit in es::units(&buf[..complete]) {
            let unit = Unit {
                offset: unit.offset + base,
                ..unit
            };
            if !f(unit)? {
                return Ok(());
            }
        }
        buf.drain(..complete);
        base += complete;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Where the stream comes from, from the input argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    M4v,
    Mp4,
    /// `rtp://` or an SDP file.
    Rtp,
}

impl Source {
    /// `rtp://` and `.sdp` are RTP; a file that starts with an ISO BMFF
    /// `ftyp` box is MP4 whatever its name (ffmpeg writes `.m4v` as
    /// Apple's MP4 variant unless told `-f m4v`); otherwise the extension,
    /// or a start code at the beginning, says a raw elementary stream.
    fn of(input: &str) -> Result<Source> {
        if input.starts_with("rtp://") || input.starts_with("udp://") {
            return Ok(Source::Rtp);
        }
        let ext = Path::new(input)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let mut head = [0u8; 12];
        let n = File::open(input)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        let head = &head[..n];
        match ext.as_deref() {
            Some("sdp") => Ok(Source::Rtp),
            _ if head.get(4..8) == Some(b"ftyp") => Ok(Source::Mp4),
            Some("m4v" | "cmp" | "mpg4") => Ok(Source::M4v),
            Some("mp4" | "m4p" | "mov") => Ok(Source::Mp4),
            _ if head.starts_with(&[0, 0, 1]) => Ok(Source::M4v),
            _ => bail!(
                "{input}: cannot tell the input format (use .m4v, .mp4, .sdp or rtp://ADDRESS:PORT)"
            ),
        }
    }
}

/// Decodes `input` (.m4v, .mp4, `rtp://...` or an SDP file) to `output`
/// (.y4m).
pub fn decode(input: &str, output: &Path, options: &Options) -> Result<Summary> {
    let limits = Limits::default();
    let source = Source::of(input)?;
    let rtp = source == Source::Rtp;
    let out = Output::new(output, options.fps.unwrap_or(Rational::integer(25)))?;
    if out.kind != ContainerKind::Y4m {
        bail!(
            "{}: decode writes .y4m (transcode it to Motion-JPEG afterwards)",
            output.display()
        );
    }
    let bar = if options.progress && !rtp {
        let style = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} eta {eta}")
            .expect("valid template");
        let len = std::fs::metadata(input).map_or(0, |m| m.len());
        ProgressBar::new(len).with_style(style)
    } else {
        ProgressBar::hidden()
    };
    let mut d = Decoding {
        decoder: Decoder::new(limits),
        out,
        rate: options.fps,
        fallback_rate: Rational::integer(25),
        max_frames: options.max_frames,
        lenient: rtp,
        intra_seen: false,
        skipped: 0,
        counts: [0; 3],
        bar,
    };
    let start = Instant::now();
    let mut network = None;
    if rtp {
        let mut receiver = Mp4vReceiver::open(
            input,
            ReceiverOptions {
                latency: options.latency,
                duration: options.duration,
            },
        )?;
        eprintln!("receiving on {}", receiver.url);
        if d.rate.is_none() {
            d.rate = receiver.framerate;
        }
        for unit in es::units(&receiver.config) {
            d.push(unit).context("the SDP's config")?;
        }
        while !d.done() {
            let Some(au) = receiver.next_access_unit()? else {
                break;
            };
            for unit in es::units(&au.data) {
                d.push(unit)?;
            }
        }
        network = Some((d.skipped, receiver.report()));
    } else if source == Source::Mp4 {
        let bytes = std::fs::read(input).with_context(|| format!("cannot open {input}"))?;
        d.bar.inc(bytes.len() as u64);
        let video = tessera_container::mp4::read_mp4_video(&bytes, limits)
            .with_context(|| input.to_string())?;
        if let Some(first) = video.samples.first() {
            d.fallback_rate =
                Rational::new(video.config.timescale, first.duration).unwrap_or(d.fallback_rate);
        }
        for unit in es::units(&video.config.decoder_config) {
            d.push(unit)
                .with_context(|| format!("{input}: the decoder configuration"))?;
        }
        for (n, sample) in video.samples.iter().enumerate() {
            if d.done() {
                break;
            }
            for unit in es::units(&sample.data) {
                d.push(unit)
                    .with_context(|| format!("{input}: sample {n}"))?;
            }
        }
    } else {
        let path = Path::new(input);
        let bar = d.bar.clone();
        for_each_unit(path, &limits, &bar, |unit| {
            d.push(unit)?;
            Ok(!d.done())
        })
        .with_context(|| input.to_string())?;
    }
    d.bar.finish_and_clear();
    if d.out.frames == 0 {
        match network {
            Some((_, report)) => bail!("no frame decoded from {input} ({report})"),
            None => bail!("{input}: no VOPs (is it an MPEG-4 Part 2 stream?)"),
        }
    }
    let rate = d.rate();
    let (width, height) = d
        .decoder
        .vol()
        .map_or((0, 0), |v| (usize::from(v.width), usize::from(v.height)));
    let frames = d.out.frames;
    d.out.finish()?;
    Ok(Summary {
        input: input.to_string(),
        output: output.to_owned(),
        frames,
        width,
        height,
        rate,
        i_vops: d.counts[0],
        p_vops: d.counts[1],
        not_coded: d.counts[2],
        network,
        seconds: start.elapsed().as_secs_f64(),
    })
}
