//! MPEG-4 Visual over RTP (RFC 6416, MP4V-ES) at the CLI's edges: the
//! paced sender behind `tessera encode --output rtp://...` and the
//! receiver behind `tessera decode rtp://...` (or an SDP file).
//!
//! The sender puts the configuration headers (VOS, VO, VOL) in the SDP's
//! `config` and in front of every I-VOP, so receivers may join late; each
//! VOP's packets are cut where its video packets start, sent when the
//! VOP's presentation time comes and paced over half a frame interval.
//! RTCP sender reports go to port + 1 about once a second, and a BYE ends
//! the stream: ffmpeg takes it as the end of input (and then outputs the
//! last frame, which its parser otherwise holds until the next VOP), and
//! so does [`Mp4vReceiver`].

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tessera_core::Rational;
use tessera_mpeg4::encoder::{EncodedVop, Encoder};
use tessera_rtp::jitter::{FrameStart, JitterBuffer, JitterConfig};
use tessera_rtp::mp4v::{
    AccessUnit, Mp4vDepayloader, Mp4vDepayloaderConfig, Mp4vFormat, Mp4vPayloader,
    Mp4vPayloaderConfig, parse_mp4v_sdp, starts_frame, write_mp4v_sdp,
};
use tessera_rtp::rtcp::{RtcpPacket, SenderReportState};
use tessera_rtp::sdp::SdpStream;
use tessera_udp::{Pacer, Receiver, RtpUrl, open_receiver, open_sender};

use crate::rtp::{ntp_now, rtcp_url, stop_flag};

/// How long the sender waits after the last packet before its BYE, so
/// that receivers have read every packet first (ffmpeg reads RTCP before
/// RTP when both are waiting).
const BYE_DELAY: Duration = Duration::from_millis(500);

/// Sender settings.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    /// Write the SDP here when the stream opens.
    pub sdp: Option<PathBuf>,
    /// Largest packet in bytes, RTP header included.
    pub max_packet: usize,
}

/// The frame rate the encoder codes, as the SDP's `a=framerate`.
fn coded_rate(enc: &Encoder) -> Option<Rational> {
    let (ticks_per_second, ticks_per_frame) = enc.time_base();
    Rational::new(ticks_per_second, ticks_per_frame)
}

/// The SDP of the stream `enc` makes, sent to `url`.
pub fn sdp_text(url: &RtpUrl, enc: &Encoder) -> String {
    let mut stream = SdpStream::mp4v(url.address.ip(), url.address.port());
    stream.ttl = url.is_multicast().then_some(url.ttl.min(255) as u8);
    write_mp4v_sdp(
        "tessera",
        &stream,
        &Mp4vFormat::from_config(&enc.headers()),
        coded_rate(enc),
    )
}

/// Writes [`sdp_text`] to `path`.
pub fn write_sdp_file(path: &Path, url: &RtpUrl, enc: &Encoder) -> Result<()> {
    std::fs::write(path, sdp_text(url, enc))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Sends an encoder's VOPs as RTP/MP4V-ES in real time.
#[derive(Debug)]
pub struct Mp4vSender {
    url: RtpUrl,
    socket: UdpSocket,
    rtcp: Option<UdpSocket>,
    payloader: Mp4vPayloader,
    reports: SenderReportState,
    last_report: Option<Instant>,
    pacer: Option<Pacer>,
    /// When the first VOP went out: VOP times count from here.
    start: Option<Instant>,
    ticks_per_second: u64,
    fps: f64,
    last_timestamp: u32,
    packets: u64,
    bytes: u64,
}

impl Mp4vSender {
    /// Opens the sockets (RTP, and RTCP on port + 1 where it can) and
    /// writes the SDP if asked.
    pub fn open(url: &RtpUrl, enc: &Encoder, options: &SenderOptions) -> Result<Mp4vSender> {
        let socket = open_sender(url).with_context(|| format!("cannot send to {url}"))?;
        if let Some(path) = &options.sdp {
            write_sdp_file(path, url, enc)?;
        }
        let ssrc = std::process::id().wrapping_mul(0x9E37_79B9) ^ 0x4D50_3456;
        let payloader = Mp4vPayloader::new(Mp4vPayloaderConfig {
            max_packet: options.max_packet,
            config: enc.headers(),
            repeat_config: true,
            ..Mp4vPayloaderConfig::new(ssrc)
        })
        .context("--max-packet")?;
        let (ticks_per_second, _) = enc.time_base();
        Ok(Mp4vSender {
            url: url.clone(),
            socket,
            // Best effort: a refused port does not stop the stream.
            rtcp: open_sender(&rtcp_url(url)).ok(),
            payloader,
            reports: SenderReportState::new(ssrc, "tessera@localhost"),
            last_report: None,
            pacer: None,
            start: None,
            ticks_per_second: u64::from(ticks_per_second.max(1)),
            fps: coded_rate(enc).map_or(25.0, Rational::as_f64),
            last_timestamp: 0,
            packets: 0,
            bytes: 0,
        })
    }

    /// Sends one VOP when its time comes (at once if late).
    pub fn send(&mut self, vop: &EncodedVop) -> Result<()> {
        let start = *self.start.get_or_insert_with(Instant::now);
        let timestamp = (u128::from(vop.time) * u128::from(tessera_rtp::mp4v::CLOCK_RATE)
            / u128::from(self.ticks_per_second)) as u32;
        let packets =
            self.payloader
                .packetize_video_packets(&vop.data, timestamp, &vop.packet_offsets)?;
        let due = Duration::from_secs_f64(vop.time as f64 / self.ticks_per_second as f64);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let frame_bytes: usize = packets.iter().map(Vec::len).sum();
        let pacer = self
            .pacer
            .get_or_insert_with(|| Pacer::for_video(frame_bytes, self.fps, 0.5, 16 * 1500));
        for packet in &packets {
            let wait = pacer.delay(packet.len(), start.elapsed());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            pacer.sent(packet.len(), start.elapsed());
            self.socket
                .send(packet)
                .with_context(|| format!("sending to {}", self.url))?;
            self.reports.on_sent(packet);
            self.packets += 1;
            self.bytes += packet.len() as u64;
        }
        self.last_timestamp = timestamp;
        if let Some(rtcp) = &self.rtcp
            && self
                .last_report
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            if let Ok(sr) = self.reports.build(ntp_now(), timestamp) {
                let _ = rtcp.send(&sr);
            }
            self.last_report = Some(Instant::now());
        }
        Ok(())
    }

    /// Ends the stream with an RTCP sender report and BYE; returns the
    /// packets and bytes sent.
    pub fn finish(self) -> Result<(u64, u64)> {
        if let Some(rtcp) = &self.rtcp {
            std::thread::sleep(BYE_DELAY);
            if let Ok(mut packet) = self.reports.build(ntp_now(), self.last_timestamp) {
                packet.extend_from_slice(&bye(self.reports.ssrc));
                let _ = rtcp.send(&packet);
            }
        }
        Ok((self.packets, self.bytes))
    }
}

/// An RTCP BYE for one source (RFC 3550 section 6.6), to end a compound
/// packet.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|   SC=1  |   PT=BYE=203  |          length = 1           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                             SSRC                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
fn bye(ssrc: u32) -> [u8; 8] {
    let s = ssrc.to_be_bytes();
    [0x81, 203, 0, 1, s[0], s[1], s[2], s[3]]
}

/// Receiver settings.
#[derive(Debug, Clone)]
pub struct ReceiverOptions {
    /// How long an incomplete frame waits for its packets.
    pub latency: Duration,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// Receives RTP/MP4V-ES: packets through the jitter buffer and the
/// depayloader into access units, until the sender's BYE, Ctrl-C or the
/// time limit.
#[derive(Debug)]
pub struct Mp4vReceiver {
    pub url: RtpUrl,
    /// The configuration headers from the SDP (empty without one).
    pub config: Vec<u8>,
    /// `a=framerate` of the SDP.
    pub framerate: Option<Rational>,
    socket: Receiver,
    rtcp: Option<Receiver>,
    jitter: JitterBuffer,
    depay: Mp4vDepayloader,
    options: ReceiverOptions,
    start: Instant,
    /// SSRCs that sent RTP.
    sources: Vec<u32>,
    ended: bool,
    byes: u64,
}

impl Mp4vReceiver {
    /// Opens `source`: an `rtp://ADDRESS:PORT` URL, or an SDP file (its
    /// port on every local address, or its multicast group).
    pub fn open(source: &str, options: ReceiverOptions) -> Result<Mp4vReceiver> {
        let (url, config, framerate, payload_type) =
            if source.starts_with("rtp://") || source.starts_with("udp://") {
                (source.parse::<RtpUrl>()?, Vec::new(), None, None)
            } else {
                let text = std::fs::read(source).with_context(|| {
                    format!("{source} is neither an rtp:// URL nor a readable SDP file")
                })?;
                if text.len() > 64 * 1024 {
                    bail!(
                        "{source}: {} bytes is too large for an SDP file",
                        text.len()
                    );
                }
                let sdp = parse_mp4v_sdp(&String::from_utf8_lossy(&text))
                    .with_context(|| source.to_string())?;
                let ip = match sdp.stream.address {
                    a if a.is_multicast() => a,
                    std::net::IpAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
                    std::net::IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
                };
                let url = format!("rtp://{}", std::net::SocketAddr::new(ip, sdp.stream.port));
                (
                    url.parse()?,
                    sdp.format.config,
                    sdp.framerate,
                    Some(sdp.stream.payload_type),
                )
            };
        let socket = open_receiver(&url).with_context(|| format!("cannot receive on {url}"))?;
        let rtcp = open_receiver(&rtcp_url(&url)).ok();
        let jitter = JitterBuffer::new(JitterConfig {
            latency: options.latency,
            payload_type,
            frame_start: FrameStart::Custom(starts_frame),
            ..JitterConfig::default()
        });
        let depay = Mp4vDepayloader::new(Mp4vDepayloaderConfig {
            payload_type,
            ..Mp4vDepayloaderConfig::default()
        });
        Ok(Mp4vReceiver {
            url,
            config,
            framerate,
            socket,
            rtcp,
            jitter,
            depay,
            options,
            start: Instant::now(),
            sources: Vec::new(),
            ended: false,
            byes: 0,
        })
    }

    fn push(&mut self, packet: Vec<u8>) {
        if let Ok(h) = tessera_rtp::packet::RtpHeader::parse(&packet)
            && !self.sources.contains(&h.ssrc)
            && self.sources.len() < 64
        {
            self.sources.push(h.ssrc);
        }
        self.jitter.push(packet, self.start.elapsed());
    }

    /// Whether a BYE from a source heard came in on the RTCP port.
    fn bye_received(&mut self) -> bool {
        let Some(rtcp) = &mut self.rtcp else {
            return false;
        };
        while let Ok(Some((data, _))) = rtcp.try_recv() {
            let Ok(packets) = tessera_rtp::rtcp::parse(data) else {
                continue;
            };
            for p in packets {
                if let RtcpPacket::Bye { ssrcs } = p
                    && ssrcs.iter().any(|s| self.sources.contains(s))
                {
                    self.byes += 1;
                    return true;
                }
            }
        }
        false
    }

    /// The next access unit, or `None` at the end of the stream.
    pub fn next_access_unit(&mut self) -> Result<Option<AccessUnit>> {
        let stop = stop_flag();
        loop {
            if let Some(au) = self.depay.pop() {
                return Ok(Some(au));
            }
            if self.ended {
                return Ok(None);
            }
            let now = self.start.elapsed();
            let end = stop.load(Ordering::SeqCst)
                || self.options.duration.is_some_and(|d| now >= d)
                || self.bye_received();
            if end {
                // What is already in the socket came before the BYE.
                while let Ok(Some((p, _))) = self.socket.try_recv() {
                    let p = p.to_vec();
                    self.push(p);
                }
                for frame in self.jitter.flush() {
                    frame.packets.iter().for_each(|p| self.depay.push(p));
                }
                self.depay.flush();
                self.ended = true;
                continue;
            }
            let wait = self
                .jitter
                .next_deadline()
                .map_or(Duration::from_millis(20), |d| d.saturating_sub(now))
                .clamp(Duration::from_millis(1), Duration::from_millis(20));
            let received = self
                .socket
                .recv(wait)
                .with_context(|| format!("receiving on {}", self.url))?
                .map(|(p, _)| p.to_vec());
            if let Some(p) = received {
                self.push(p);
            }
            while let Some(frame) = self.jitter.pop(self.start.elapsed()) {
                frame.packets.iter().for_each(|p| self.depay.push(p));
            }
        }
    }

    /// Reception counters, for the summary.
    pub fn report(&self) -> String {
        let s = self.jitter.stats();
        let d = self.depay.stats();
        format!(
            "{} packets ({} bytes), lost {}, reordered {}, late {}, frames dropped {}; {} access units, {} dropped; {}",
            s.packets,
            s.bytes,
            s.lost,
            s.reordered,
            s.late,
            s.frames_dropped,
            d.access_units,
            d.dropped,
            if self.byes > 0 {
                "ended by the sender's RTCP BYE"
            } else {
                "no BYE received"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bye_parses_as_a_bye() {
        let packets = tessera_rtp::rtcp::parse(&bye(0x1234_5678)).unwrap();
        assert!(matches!(
            packets.as_slice(),
            [RtcpPacket::Bye { ssrcs }] if ssrcs == &[0x1234_5678]
        ));
    }
}
