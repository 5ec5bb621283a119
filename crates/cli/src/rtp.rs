//! `tessera rtp`: Motion-JPEG over RTP (RFC 2435) at the edges. `recv`
//! takes a stream from ffmpeg, GStreamer or a camera into a file, `send`
//! plays a file out (paced, with an SDP for players), `relay` checks and
//! re-sends a stream.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tessera_core::{Limits, Rational};
use tessera_rtp::jitter::{JitterBuffer, JitterConfig, ReleasedFrame};
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_udp::{Pacer, RtpUrl, open_receiver, open_sender};

use crate::media::{Input, Output, Picture};

/// Set by Ctrl-C (SIGINT) or SIGTERM; loops stop and flush their files.
pub fn stop_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&flag);
        // Failing to install the handler leaves the default (exit at once).
        let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

/// Disturbances applied between the socket and the jitter buffer, to show
/// what the receiver does with a bad network (`--simulate`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Simulation {
    pub loss: f64,
    pub reorder: f64,
    pub duplicate: f64,
    pub delay: Duration,
    pub seed: u64,
}

impl std::str::FromStr for Simulation {
    type Err = String;

    /// `loss=0.05,reorder=0.1,duplicate=0.02,delay=30,seed=7` (delay in ms,
    /// the others probabilities per packet).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut sim = Simulation {
            seed: 1,
            ..Simulation::default()
        };
        for item in s.split(',').filter(|i| !i.is_empty()) {
            let (k, v) = item
                .split_once('=')
                .ok_or(format!("{item:?}: expected KEY=VALUE"))?;
            let number: f64 = v.parse().map_err(|_| format!("{item:?}: not a number"))?;
            let probability = || {
                if (0.0..=1.0).contains(&number) {
                    Ok(number)
                } else {
                    Err(format!("{item:?}: a probability is 0-1"))
                }
            };
            match k {
                "loss" => sim.loss = probability()?,
                "reorder" => sim.reorder = probability()?,
                "duplicate" => sim.duplicate = probability()?,
                "delay" if (0.0..=10_000.0).contains(&number) => {
                    sim.delay = Duration::from_secs_f64(number / 1000.0)
                }
                "seed" => sim.seed = number as u64,
                _ => {
                    return Err(format!(
                        "{item:?}: keys are loss, reorder, duplicate, delay (ms), seed"
                    ));
                }
            }
        }
        Ok(sim)
    }
}

/// The shim: decides per packet what the "network" does.
struct Shim {
    sim: Simulation,
    state: u64,
    /// Packets held back: (release time, bytes).
    held: Vec<(Duration, Vec<u8>)>,
    pub dropped: u64,
    pub reordered: u64,
    pub duplicated: u64,
}

impl Shim {
    fn new(sim: Simulation) -> Shim {
        Shim {
            state: sim.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            sim,
            held: Vec::new(),
            dropped: 0,
            reordered: 0,
            duplicated: 0,
        }
    }

    fn chance(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Takes a packet arriving at `now`; returns what reaches the receiver
    /// by `now`.
    fn pass(&mut self, packet: Option<&[u8]>, now: Duration) -> Vec<Vec<u8>> {
        if let Some(p) = packet {
            if self.chance() < self.sim.loss {
                self.dropped += 1;
            } else {
                let mut at = now + self.sim.delay;
                if self.chance() < self.sim.reorder {
                    // Held back behind a few later packets.
                    at += Duration::from_millis(5);
                    self.reordered += 1;
                }
                self.held.push((at, p.to_vec()));
                if self.chance() < self.sim.duplicate {
                    self.held.push((at, p.to_vec()));
                    self.duplicated += 1;
                }
            }
        }
        self.held.sort_by_key(|(at, _)| *at);
        let ready = self.held.iter().take_while(|(at, _)| *at <= now).count();
        self.held.drain(..ready).map(|(_, p)| p).collect()
    }
}

/// Where to receive: an `rtp://` URL, or an SDP file describing the stream
/// (as ffmpeg's `-sdp_file` or a camera gives): unicast SDPs are received
/// on every local address at their port, multicast ones join the group.
pub fn receive_address(arg: &str) -> Result<RtpUrl> {
    if arg.starts_with("rtp://") || arg.starts_with("udp://") {
        return Ok(arg.parse()?);
    }
    let path = Path::new(arg);
    let text = std::fs::read(path)
        .with_context(|| format!("{arg} is neither an rtp:// URL nor a readable SDP file"))?;
    if text.len() > 64 * 1024 {
        bail!("{arg}: {} bytes is too large for an SDP file", text.len());
    }
    let sdp = tessera_rtp::sdp::parse_sdp(&String::from_utf8_lossy(&text))
        .with_context(|| arg.to_string())?;
    if !sdp.encoding.eq_ignore_ascii_case("JPEG") || sdp.clock_rate != 90_000 {
        bail!(
            "{arg}: the stream is {}/{} (payload type {}); rtp recv takes JPEG/90000 (RFC 2435)",
            sdp.encoding,
            sdp.clock_rate,
            sdp.payload_type
        );
    }
    let ip = match sdp.address {
        a if a.is_multicast() => a,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
    };
    Ok(format!("rtp://{}", std::net::SocketAddr::new(ip, sdp.port)).parse()?)
}

/// `rtp recv` settings.
#[derive(Debug, Clone)]
pub struct RecvOptions {
    pub frames: Option<u64>,
    pub duration: Option<Duration>,
    pub latency: Duration,
    pub fps: Option<Rational>,
    pub simulate: Option<Simulation>,
}

/// Receives RTP/JPEG from `url` into `output` (.mjpeg/.avi keep the JPEG
/// images as received; .y4m decodes them).
pub fn recv(url: &RtpUrl, output: &Path, options: &RecvOptions) -> Result<String> {
    let stop = stop_flag();
    let mut socket = open_receiver(url).with_context(|| format!("cannot receive on {url}"))?;
    eprintln!(
        "receiving on {url} (receive buffer {} bytes)",
        socket.rcvbuf
    );
    let mut out = Output::new(output, options.fps.unwrap_or(Rational::integer(25)))?;
    let y4m = matches!(out.kind, tessera_container::ContainerKind::Y4m);
    let mut jitter = JitterBuffer::new(JitterConfig {
        latency: options.latency,
        ..JitterConfig::default()
    });
    let mut depay = JpegDepayloader::new();
    let mut shim = options.simulate.clone().map(Shim::new);
    // RTCP on port + 1: sender reports in, receiver reports (loss, jitter)
    // back to whoever sent them, about once a second. Best effort.
    let mut rtcp = open_receiver(&rtcp_url(url)).ok();
    let mut reception = tessera_rtp::rtcp::ReceiverReportState::new(
        0x7E55_0000 ^ std::process::id(),
        "tessera@localhost",
        90_000,
    );
    let mut report_to: Option<std::net::SocketAddr> = None;
    let mut last_report = Instant::now();
    let (mut srs_in, mut rrs_out) = (0u64, 0u64);
    let limits = Limits::default();
    let start = Instant::now();
    let cpu_start = cpu_time();
    let mut first: Option<(u32, Vec<u8>)> = None;
    let mut rate_known = options.fps.is_some();
    let mut depay_errors = 0u64;
    let mut written = 0u64;
    let mut write = |frame: ReleasedFrame,
                     out: &mut Output,
                     first: &mut Option<(u32, Vec<u8>)>|
     -> Result<()> {
        let jpeg = match depay.depayload(&frame.packets) {
            Ok(j) => j,
            Err(_) => {
                depay_errors += 1;
                return Ok(());
            }
        };
        if !rate_known {
            // The rate from the first two timestamps.
            match first.take() {
                None => {
                    *first = Some((frame.timestamp, jpeg));
                    return Ok(());
                }
                Some((t0, j0)) => {
                    let delta = frame.timestamp.wrapping_sub(t0).max(1);
                    if let Some(rate) = Rational::from_f64(90_000.0 / f64::from(delta)) {
                        out.set_rate(rate)?;
                    }
                    rate_known = true;
                    put(out, &j0, y4m, &limits)?;
                    written += 1;
                }
            }
        }
        put(out, &jpeg, y4m, &limits)?;
        written += 1;
        Ok(())
    };
    loop {
        let now = start.elapsed();
        if stop.load(Ordering::SeqCst)
            || options.duration.is_some_and(|d| now >= d)
            || options
                .frames
                .is_some_and(|n| out.frames + u64::from(first.is_some()) >= n)
        {
            break;
        }
        let wait = jitter
            .next_deadline()
            .map_or(Duration::from_millis(50), |d| d.saturating_sub(now))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        let received = socket
            .recv(wait)
            .with_context(|| format!("receiving on {url}"))?;
        let now = start.elapsed();
        let packets = match (&mut shim, received) {
            (Some(s), r) => s.pass(r.map(|(p, _)| p), now),
            (None, Some((p, _))) => vec![p.to_vec()],
            (None, None) => Vec::new(),
        };
        for p in packets {
            reception.on_rtp(&p, now);
            jitter.push(p, now);
        }
        if let Some(rtcp) = &mut rtcp {
            if let Ok(Some((data, from))) = rtcp.try_recv() {
                let srs = reception.on_rtcp(data, now).map_or(0, |p| {
                    p.iter()
                        .filter(|p| matches!(p, tessera_rtp::rtcp::RtcpPacket::SenderReport { .. }))
                        .count()
                });
                if srs > 0 {
                    srs_in += srs as u64;
                    report_to = Some(from);
                }
            }
            if let Some(to) = report_to
                && last_report.elapsed() >= Duration::from_secs(1)
            {
                if let Ok(rr) = reception.build(now)
                    && rtcp.send_to(&rr, to).is_ok()
                {
                    rrs_out += 1;
                }
                last_report = Instant::now();
            }
        }
        while let Some(frame) = jitter.pop(now) {
            write(frame, &mut out, &mut first)?;
            if options.frames.is_some_and(|n| out.frames >= n) {
                break;
            }
        }
    }
    for frame in jitter.flush() {
        if options.frames.is_some_and(|n| out.frames >= n) {
            break;
        }
        write(frame, &mut out, &mut first)?;
    }
    if let Some((_, j0)) = first.take() {
        put(&mut out, &j0, y4m, &limits)?;
        written += 1;
    }
    let frames = out.frames;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_time().saturating_sub(cpu_start).as_secs_f64();
    if frames == 0 {
        bail!(
            "no complete frame received on {url} ({} datagrams)",
            socket.stats().datagrams
        );
    }
    out.finish()?;
    let s = jitter.stats();
    let mut report = format!(
        "{url} -> {}: {frames} frames in {elapsed:.2} s; {} packets ({} bytes), lost {}, reordered {}, late {}, duplicates {}, frames dropped {}, sender restarts {}, jitter {:.2} ms; depacketizer errors {depay_errors}; CPU {:.2} ms/frame",
        output.display(),
        s.packets,
        s.bytes,
        s.lost,
        s.reordered,
        s.late,
        s.duplicates,
        s.frames_dropped,
        s.restarts,
        s.jitter / 90.0,
        cpu * 1e3 / written.max(1) as f64,
    );
    report +=
        &format!("\n  RTCP: {srs_in} sender reports received, {rrs_out} receiver reports sent");
    if let Some(shim) = shim {
        report += &format!(
            "\n  simulated network: dropped {}, reordered {}, duplicated {}",
            shim.dropped, shim.reordered, shim.duplicated
        );
    }
    Ok(report)
}

fn put(out: &mut Output, jpeg: &[u8], y4m: bool, limits: &Limits) -> Result<()> {
    if y4m {
        out.write_frame(&tessera_jpeg::decode_frame(jpeg, limits)?)
    } else {
        let info = tessera_jpeg::read_info(jpeg, limits)?;
        let format = info
            .chroma_format
            .unwrap_or(tessera_core::ChromaFormat::Yuv420);
        out.write_jpeg(jpeg, info.width, info.height, format)
    }
}

/// This thread's CPU time (Linux), for per-frame cost reports.
fn cpu_time() -> Duration {
    // /proc/thread-self/stat fields 14 and 15: utime, stime in clock ticks.
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields after the command name: state is index 0, utime index 11.
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / 100.0)
}

/// The RTCP address beside an RTP one (port + 1, RFC 3550 11).
pub(crate) fn rtcp_url(url: &RtpUrl) -> RtpUrl {
    let mut rtcp = url.clone();
    rtcp.address
        .set_port(url.address.port().wrapping_add(1).max(1));
    rtcp
}

/// Wall-clock time as an RTCP NTP timestamp.
pub(crate) fn ntp_now() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    tessera_rtp::rtcp::ntp_from_unix(since)
}

/// `rtp send` settings.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub fps: Option<Rational>,
    pub repeat: bool,
    pub sdp: Option<std::path::PathBuf>,
    pub pacing: bool,
    pub max_packet: usize,
    pub quality: u8,
    pub max_frames: Option<u64>,
}

/// The SDP describing what `send` emits to `url` (RTP/JPEG, payload type
/// 26, 90 kHz), for players to open before the stream starts.
pub fn sdp_for(url: &RtpUrl) -> String {
    let stream = tessera_rtp::sdp::SdpStream {
        address: url.address.ip(),
        port: url.address.port(),
        ttl: url.is_multicast().then_some(url.ttl.min(255) as u8),
        payload_type: 26,
        encoding: "JPEG".into(),
        clock_rate: 90_000,
    };
    tessera_rtp::sdp::write_sdp("tessera", &stream)
}

fn write_sdp(path: &Path, url: &RtpUrl) -> Result<()> {
    std::fs::write(path, sdp_for(url)).with_context(|| format!("cannot write {}", path.display()))
}

/// Sends `input` to `url` as RTP/JPEG in real time.
pub fn send(input: &Path, url: &RtpUrl, options: &SendOptions) -> Result<String> {
    let stop = stop_flag();
    let socket = open_sender(url).with_context(|| format!("cannot send to {url}"))?;
    if let Some(path) = &options.sdp {
        write_sdp(path, url)?;
    }
    let limits = Limits::default();
    let ssrc = std::process::id().wrapping_mul(0x9E37_79B9) ^ 0x7E55_E7A0;
    let mut config = JpegPayloaderConfig::new(ssrc);
    config.max_packet = options.max_packet;
    let mut payloader = JpegPayloader::new(config)?;
    // RTCP sender reports on port + 1, about once a second, so receivers
    // can map RTP time to wall-clock time (best effort: a refused port
    // does not stop the stream).
    let rtcp = open_sender(&rtcp_url(url)).ok();
    let mut reports = tessera_rtp::rtcp::SenderReportState::new(ssrc, "tessera@localhost");
    let mut last_report: Option<Instant> = None;
    let mut sender_reports = 0u64;
    let encode = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    let start = Instant::now();
    let (mut frames, mut packets, mut bytes) = (0u64, 0u64, 0u64);
    let mut pacer: Option<Pacer> = None;
    let mut rate = options.fps;
    'outer: loop {
        let mut reader = Input::open(input, limits)?;
        let fps = *rate.get_or_insert(reader.rate.unwrap_or(Rational::integer(25)));
        while let Some(picture) = reader.next_picture()? {
            if stop.load(Ordering::SeqCst) || options.max_frames.is_some_and(|m| frames >= m) {
                break 'outer;
            }
            let jpeg = match picture {
                Picture::Jpeg(bytes) => bytes,
                Picture::Raw(frame) => {
                    tessera_jpeg::encode_frame(&frame, options.quality, &encode)?
                }
            };
            let timestamp =
                (u128::from(frames) * 90_000 * u128::from(fps.den) / u128::from(fps.num)) as u32;
            let out = payloader
                .packetize(&jpeg, timestamp)
                .with_context(|| format!("{}: frame {frames}", input.display()))?;
            // Real time: frame n goes out at n / fps.
            let due = Duration::from_secs_f64(frames as f64 / fps.as_f64());
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            let frame_bytes: usize = out.iter().map(Vec::len).sum();
            let p = pacer
                .get_or_insert_with(|| Pacer::for_video(frame_bytes, fps.as_f64(), 0.5, 16 * 1500));
            for packet in &out {
                if options.pacing {
                    let wait = p.delay(packet.len(), start.elapsed());
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                    p.sent(packet.len(), start.elapsed());
                }
                socket
                    .send(packet)
                    .with_context(|| format!("sending to {url}"))?;
                reports.on_sent(packet);
                packets += 1;
                bytes += packet.len() as u64;
            }
            if let Some(rtcp) = &rtcp
                && last_report.is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                if let Ok(sr) = reports.build(ntp_now(), timestamp)
                    && rtcp.send(&sr).is_ok()
                {
                    sender_reports += 1;
                }
                last_report = Some(Instant::now());
            }
            frames += 1;
        }
        if !options.repeat || frames == 0 {
            break;
        }
    }
    if frames == 0 {
        bail!("{}: no frames", input.display());
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(format!(
        "{} -> {url}: {frames} frames, {packets} packets, {bytes} bytes in {elapsed:.2} s ({:.1} frames/s, pacing {}); {sender_reports} RTCP sender reports",
        input.display(),
        frames as f64 / elapsed.max(1e-9),
        if options.pacing { "on" } else { "off" }
    ))
}

/// Sends `packets` on `socket` as fast as `pacer` allows, its clock
/// counting from `start`.
pub fn send_paced(
    socket: &std::net::UdpSocket,
    pacer: &mut Pacer,
    packets: &[Vec<u8>],
    start: Instant,
    to: &RtpUrl,
) -> Result<()> {
    for packet in packets {
        let wait = pacer.delay(packet.len(), start.elapsed());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        pacer.sent(packet.len(), start.elapsed());
        socket
            .send(packet)
            .with_context(|| format!("sending to {to}"))?;
    }
    Ok(())
}

/// Receives from `input`, checks each frame by depacketizing and parsing
/// it, and sends it on to `output` with a new SSRC and sequence (paced).
pub fn relay(
    input: &RtpUrl,
    output: &RtpUrl,
    latency: Duration,
    max_frames: Option<u64>,
) -> Result<String> {
    let stop = stop_flag();
    let mut socket = open_receiver(input).with_context(|| format!("cannot receive on {input}"))?;
    let sender = open_sender(output).with_context(|| format!("cannot send to {output}"))?;
    eprintln!("relaying {input} to {output}");
    let mut jitter = JitterBuffer::new(JitterConfig {
        latency,
        ..JitterConfig::default()
    });
    let mut depay = JpegDepayloader::new();
    let mut payloader =
        JpegPayloader::new(JpegPayloaderConfig::new(0x7E1A_7000 ^ std::process::id()))?;
    let limits = Limits::default();
    let start = Instant::now();
    let cpu_start = cpu_time();
    let (mut frames, mut rejected, mut packets_out) = (0u64, 0u64, 0u64);
    // Sends a checked frame on, paced over half the frame interval the
    // timestamps show; `Ok(None)` when it fails the check.
    let mut last_timestamp: Option<u32> = None;
    let mut forward = |frame: ReleasedFrame| -> Result<Option<u64>> {
        let checked = depay
            .depayload(&frame.packets)
            .map_err(anyhow::Error::from)
            .and_then(|jpeg| {
                tessera_jpeg::read_info(&jpeg, &limits)
                    .map(|_| jpeg)
                    .map_err(Into::into)
            });
        let Ok(jpeg) = checked else { return Ok(None) };
        let packets = payloader.packetize(&jpeg, frame.timestamp)?;
        let interval = last_timestamp
            .map(|t| f64::from(frame.timestamp.wrapping_sub(t)) / 90_000.0)
            .filter(|i| (0.001..=1.0).contains(i))
            .unwrap_or(1.0 / 30.0);
        last_timestamp = Some(frame.timestamp);
        let bytes: usize = packets.iter().map(Vec::len).sum();
        let mut pacer = Pacer::new(bytes as f64 / (0.5 * interval), 16 * 1500);
        send_paced(&sender, &mut pacer, &packets, Instant::now(), output)?;
        Ok(Some(packets.len() as u64))
    };
    let count =
        |sent: Option<u64>, frames: &mut u64, rejected: &mut u64, packets_out: &mut u64| match sent
        {
            Some(n) => {
                *frames += 1;
                *packets_out += n;
            }
            None => *rejected += 1,
        };
    while !stop.load(Ordering::SeqCst) && max_frames.is_none_or(|m| frames < m) {
        let now = start.elapsed();
        let wait = jitter
            .next_deadline()
            .map_or(Duration::from_millis(50), |d| d.saturating_sub(now))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        if let Some((p, _)) = socket.recv(wait)? {
            jitter.push(p.to_vec(), start.elapsed());
        }
        while let Some(frame) = jitter.pop(start.elapsed()) {
            count(
                forward(frame)?,
                &mut frames,
                &mut rejected,
                &mut packets_out,
            );
        }
    }
    for frame in jitter.flush() {
        count(
            forward(frame)?,
            &mut frames,
            &mut rejected,
            &mut packets_out,
        );
    }
    let s = jitter.stats();
    let cpu = cpu_time().saturating_sub(cpu_start).as_secs_f64();
    Ok(format!(
        "{input} -> {output}: {frames} frames relayed ({packets_out} packets), {rejected} rejected; in: {} packets, lost {}, reordered {}, duplicates {}, frames dropped {}; CPU {:.2} ms/frame",
        s.packets,
        s.lost,
        s.reordered,
        s.duplicates,
        s.frames_dropped,
        cpu * 1e3 / frames.max(1) as f64
    ))
}
