//! RTCP sender and receiver reports (RFC 3550 section 6.4), with the
//! reception arithmetic of Appendix A.3 (packets expected and lost,
//! fraction lost per interval) and A.8 (interarrival jitter).
//!
//! Packets are parsed and written through `rtcp-types`; every report is
//! sent as a compound packet with an SDES CNAME (section 6.1). Report
//! block layout (section 6.4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! |                 SSRC_1 (SSRC of first source)                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | fraction lost |       cumulative number of packets lost       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           extended highest sequence number received           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      interarrival jitter                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         last SR (LSR)                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   delay since last SR (DLSR)                  |
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! ```
//!
//! Time comes in as a [`Duration`] since any fixed epoch (for jitter and
//! DLSR) and, for sender reports, as a 64-bit NTP timestamp the caller
//! reads from its wall clock ([`ntp_from_unix`] converts).

use std::time::Duration;

use rtcp_types::{
    Compound, CompoundBuilder, Packet, ReceiverReport, ReportBlockBuilder, RtcpPacketWriterExt,
    SdesChunk, SdesItem, SenderReport,
};

use crate::error::{Result, RtpError};
use crate::packet::RtpHeader;
use crate::seq::SeqExtender;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The 64-bit NTP timestamp (32.32 fixed point seconds since 1900) of a
/// time given as a duration since the Unix epoch.
pub fn ntp_from_unix(since_unix: Duration) -> u64 {
    let secs = since_unix.as_secs().wrapping_add(NTP_UNIX_OFFSET);
    let frac = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    secs << 32 | frac
}

/// Reception statistics of one source: A.1 sequence extension, A.3 loss
/// and A.8 jitter.
#[derive(Clone, Debug)]
pub struct ReceptionStats {
    clock_rate: u32,
    seq: SeqExtender,
    base: Option<u64>,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// A.8: the last packet's relative transit time, in timestamp units.
    transit: Option<f64>,
    jitter: f64,
}

impl ReceptionStats {
    /// Statistics for a stream with the given RTP clock (90000 for video).
    pub fn new(clock_rate: u32) -> Self {
        ReceptionStats {
            clock_rate: clock_rate.max(1),
            seq: SeqExtender::new(),
            base: None,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
        }
    }

    /// Records one packet; returns its extended sequence number.
    pub fn on_packet(&mut self, seq: u16, timestamp: u32, arrival: Duration) -> u64 {
        let ext = self.seq.extend(seq);
        self.base = Some(self.base.map_or(ext, |b| b.min(ext)));
        self.received += 1;
        // A.8: D(i, j) = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16, with
        // arrival times in timestamp units. Timestamps are taken modulo
        // 2^32 through a wrapping difference.
        let arrival_units = arrival.as_secs_f64() * f64::from(self.clock_rate);
        let transit = arrival_units - f64::from(timestamp);
        if let Some(prev) = self.transit {
            let mut d = (transit - prev).abs();
            // A timestamp wrap shows as a 2^32 step; fold it back.
            let wrap = 4_294_967_296.0;
            if d > wrap / 2.0 {
                d = (d - wrap).abs();
            }
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
        ext
    }

    /// Packets received (duplicates included, as A.3 counts them).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Highest extended sequence number seen.
    pub fn highest(&self) -> Option<u64> {
        self.seq.highest()
    }

    /// A.3: highest - base + 1.
    pub fn expected(&self) -> u64 {
        match (self.base, self.seq.highest()) {
            (Some(b), Some(h)) => h - b + 1,
            _ => 0,
        }
    }

    /// A.3: expected - received, which duplicates can make negative.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// A.8 interarrival jitter in timestamp units.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter * 1000.0 / f64::from(self.clock_rate)
    }

    /// The 32-bit "extended highest sequence number received": cycles in
    /// the high 16 bits, counted from the first packet.
    pub fn extended_highest(&self) -> u32 {
        self.seq
            .highest()
            .map_or(0, |h| h.wrapping_sub(1 << 32) as u32)
    }

    /// A report block for `ssrc`, starting a new reporting interval for
    /// the fraction lost. `lsr`/`dlsr` are 0 when no SR was received.
    pub fn report_block(&mut self, ssrc: u32, lsr: u32, dlsr: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_seq: self.extended_highest(),
            jitter: self.jitter.min(f64::from(u32::MAX)) as u32,
            last_sr: lsr,
            delay_since_last_sr: dlsr,
        }
    }
}

/// One report block, as sent or received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Lost / expected in the last interval, in 1/256.
    pub fraction_lost: u8,
    /// 24-bit signed.
    pub cumulative_lost: i32,
    pub extended_highest_seq: u32,
    /// Timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from this
    /// source.
    pub last_sr: u32,
    /// 1/65536 s since that SR arrived.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn builder(&self) -> ReportBlockBuilder {
        ReportBlockBuilder::new(self.ssrc)
            .fraction_lost(self.fraction_lost)
            .cumulative_lost(self.cumulative_lost as u32 & 0xff_ffff)
            .extended_sequence_number(self.extended_highest_seq)
            .interarrival_jitter(self.jitter)
            .last_sender_report_timestamp(self.last_sr)
            .delay_since_last_sender_report_timestamp(self.delay_since_last_sr)
    }

    fn from_parsed(b: &rtcp_types::ReportBlock<'_>) -> ReportBlock {
        let lost = b.cumulative_lost() & 0xff_ffff;
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: b.ssrc(),
            fraction_lost: b.fraction_lost(),
            cumulative_lost,
            extended_highest_seq: b.extended_sequence_number(),
            jitter: b.interarrival_jitter(),
            last_sr: b.last_sender_report_timestamp(),
            delay_since_last_sr: b.delay_since_last_sender_report_timestamp(),
        }
    }
}

/// One RTCP packet of a compound packet, as far as this crate reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpPacket {
    SenderReport {
        ssrc: u32,
        ntp_timestamp: u64,
        rtp_timestamp: u32,
        packet_count: u32,
        octet_count: u32,
        blocks: Vec<ReportBlock>,
    },
    ReceiverReport {
        ssrc: u32,
        blocks: Vec<ReportBlock>,
    },
    /// CNAMEs by SSRC.
    Sdes {
        cnames: Vec<(u32, String)>,
    },
    Bye {
        ssrcs: Vec<u32>,
    },
    /// Any other packet type (APP, feedback, ...).
    Other {
        packet_type: u8,
    },
}

/// Parses a compound RTCP packet.
pub fn parse(data: &[u8]) -> Result<Vec<RtcpPacket>> {
    let malformed = |e: rtcp_types::RtcpParseError| RtpError::malformed(format!("RTCP: {e}"));
    let compound = Compound::parse(data).map_err(malformed)?;
    let mut out = Vec::new();
    for packet in compound {
        let packet = packet.map_err(malformed)?;
        out.push(match &packet {
            Packet::Sr(sr) => RtcpPacket::SenderReport {
                ssrc: sr.ssrc(),
                ntp_timestamp: sr.ntp_timestamp(),
                rtp_timestamp: sr.rtp_timestamp(),
                packet_count: sr.packet_count(),
                octet_count: sr.octet_count(),
                blocks: sr
                    .report_blocks()
                    .map(|b| ReportBlock::from_parsed(&b))
                    .collect(),
            },
            Packet::Rr(rr) => RtcpPacket::ReceiverReport {
                ssrc: rr.ssrc(),
                blocks: rr
                    .report_blocks()
                    .map(|b| ReportBlock::from_parsed(&b))
                    .collect(),
            },
            Packet::Sdes(sdes) => RtcpPacket::Sdes {
                cnames: sdes
                    .chunks()
                    .flat_map(|c| {
                        c.items()
                            .filter(|i| i.type_() == SdesItem::CNAME)
                            .map(|i| (c.ssrc(), String::from_utf8_lossy(i.value()).into_owned()))
                    })
                    .collect(),
            },
            Packet::Bye(bye) => RtcpPacket::Bye {
                ssrcs: bye.ssrcs().collect(),
            },
            Packet::App(_) => RtcpPacket::Other { packet_type: 204 },
            Packet::TransportFeedback(_) => RtcpPacket::Other { packet_type: 205 },
            Packet::PayloadFeedback(_) => RtcpPacket::Other { packet_type: 206 },
            Packet::Unknown(u) => RtcpPacket::Other {
                packet_type: u.data().get(1).copied().unwrap_or(0),
            },
        });
    }
    Ok(out)
}

fn write(builder: CompoundBuilder<'_>) -> Result<Vec<u8>> {
    use rtcp_types::RtcpPacketWriter;
    let size = builder
        .calculate_size()
        .map_err(|e| RtpError::InvalidArgument(format!("RTCP: {e}")))?;
    let mut out = vec![0u8; size];
    let n = builder
        .write_into(&mut out)
        .map_err(|e| RtpError::InvalidArgument(format!("RTCP: {e}")))?;
    out.truncate(n);
    Ok(out)
}

fn check_blocks(blocks: &[ReportBlock]) -> Result<()> {
    if blocks.len() > 31 {
        return Err(RtpError::InvalidArgument(format!(
            "{} report blocks (at most 31 per report)",
            blocks.len()
        )));
    }
    Ok(())
}

/// A compound packet: SR with `blocks`, then SDES with `cname`.
#[allow(clippy::too_many_arguments)]
pub fn build_sender_report(
    ssrc: u32,
    ntp_timestamp: u64,
    rtp_timestamp: u32,
    packet_count: u32,
    octet_count: u32,
    blocks: &[ReportBlock],
    cname: &str,
) -> Result<Vec<u8>> {
    check_blocks(blocks)?;
    let mut sr = SenderReport::builder(ssrc)
        .ntp_timestamp(ntp_timestamp)
        .rtp_timestamp(rtp_timestamp)
        .packet_count(packet_count)
        .octet_count(octet_count);
    for b in blocks {
        sr = sr.add_report_block(b.builder());
    }
    let sdes = rtcp_types::Sdes::builder()
        .add_chunk(SdesChunk::builder(ssrc).add_item(SdesItem::builder(SdesItem::CNAME, cname)));
    write(CompoundBuilder::default().add_packet(sr).add_packet(sdes))
}

/// A compound packet: RR with `blocks`, then SDES with `cname`.
pub fn build_receiver_report(ssrc: u32, blocks: &[ReportBlock], cname: &str) -> Result<Vec<u8>> {
    check_blocks(blocks)?;
    let mut rr = ReceiverReport::builder(ssrc);
    for b in blocks {
        rr = rr.add_report_block(b.builder());
    }
    let sdes = rtcp_types::Sdes::builder()
        .add_chunk(SdesChunk::builder(ssrc).add_item(SdesItem::builder(SdesItem::CNAME, cname)));
    write(CompoundBuilder::default().add_packet(rr).add_packet(sdes))
}

/// What a sender counts for its reports.
#[derive(Clone, Debug)]
pub struct SenderReportState {
    pub ssrc: u32,
    pub cname: String,
    /// Packets sent (wraps, as the SR field does).
    pub packet_count: u32,
    /// Payload octets sent, RTP headers and padding excluded (wraps).
    pub octet_count: u32,
}

impl SenderReportState {
    pub fn new(ssrc: u32, cname: impl Into<String>) -> Self {
        SenderReportState {
            ssrc,
            cname: cname.into(),
            packet_count: 0,
            octet_count: 0,
        }
    }

    /// Counts one packet about to be sent (RTP header included).
    pub fn on_sent(&mut self, packet: &[u8]) {
        let payload = RtpHeader::parse(packet).map_or(0, |h| h.payload.len());
        self.packet_count = self.packet_count.wrapping_add(1);
        self.octet_count = self.octet_count.wrapping_add(payload as u32);
    }

    /// A compound SR + SDES for `ntp_timestamp` (wall clock) and the RTP
    /// timestamp of the same instant.
    pub fn build(&self, ntp_timestamp: u64, rtp_timestamp: u32) -> Result<Vec<u8>> {
        build_sender_report(
            self.ssrc,
            ntp_timestamp,
            rtp_timestamp,
            self.packet_count,
            self.octet_count,
            &[],
            &self.cname,
        )
    }
}

/// One remote sender as a receiver sees it.
#[derive(Clone, Debug)]
struct Remote {
    ssrc: u32,
    stats: ReceptionStats,
    /// Middle 32 bits of the last SR's NTP timestamp and when it came.
    last_sr: Option<(u32, Duration)>,
    last_seen: Duration,
}

/// What a receiver counts for its reports: reception statistics per
/// remote SSRC (at most `max_sources`; the least recently heard is
/// forgotten beyond that) and the last SR of each.
#[derive(Clone, Debug)]
pub struct ReceiverReportState {
    pub ssrc: u32,
    pub cname: String,
    clock_rate: u32,
    max_sources: usize,
    remotes: Vec<Remote>,
}

impl ReceiverReportState {
    pub fn new(ssrc: u32, cname: impl Into<String>, clock_rate: u32) -> Self {
        ReceiverReportState {
            ssrc,
            cname: cname.into(),
            clock_rate,
            max_sources: 31,
            remotes: Vec::new(),
        }
    }

    fn remote(&mut self, ssrc: u32, now: Duration) -> &mut Remote {
        if let Some(i) = self.remotes.iter().position(|r| r.ssrc == ssrc) {
            let r = &mut self.remotes[i];
            r.last_seen = now;
            return r;
        }
        if self.remotes.len() >= self.max_sources
            && let Some(oldest) = self
                .remotes
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.last_seen)
                .map(|(i, _)| i)
        {
            self.remotes.swap_remove(oldest);
        }
        self.remotes.push(Remote {
            ssrc,
            stats: ReceptionStats::new(self.clock_rate),
            last_sr: None,
            last_seen: now,
        });
        let last = self.remotes.len() - 1;
        &mut self.remotes[last]
    }

    /// Records one received RTP packet. Invalid packets are ignored.
    pub fn on_rtp(&mut self, packet: &[u8], now: Duration) {
        if let Ok(h) = RtpHeader::parse(packet) {
            self.remote(h.ssrc, now)
                .stats
                .on_packet(h.sequence, h.timestamp, now);
        }
    }

    /// Records the sender reports in a received compound RTCP packet.
    pub fn on_rtcp(&mut self, data: &[u8], now: Duration) -> Result<Vec<RtcpPacket>> {
        let packets = parse(data)?;
        for p in &packets {
            if let RtcpPacket::SenderReport {
                ssrc,
                ntp_timestamp,
                ..
            } = p
            {
                self.remote(*ssrc, now).last_sr = Some(((ntp_timestamp >> 16) as u32, now));
            }
        }
        Ok(packets)
    }

    /// Reception statistics of one remote sender.
    pub fn stats(&self, ssrc: u32) -> Option<&ReceptionStats> {
        self.remotes
            .iter()
            .find(|r| r.ssrc == ssrc)
            .map(|r| &r.stats)
    }

    /// Report blocks for every sender heard, starting a new interval.
    pub fn report_blocks(&mut self, now: Duration) -> Vec<ReportBlock> {
        self.remotes
            .iter_mut()
            .filter(|r| r.stats.received() > 0)
            .map(|r| {
                let (lsr, dlsr) = r.last_sr.map_or((0, 0), |(lsr, at)| {
                    let delay = now.saturating_sub(at);
                    let units = (delay.as_nanos() << 16) / 1_000_000_000;
                    (lsr, units.min(u128::from(u32::MAX)) as u32)
                });
                r.stats.report_block(r.ssrc, lsr, dlsr)
            })
            .collect()
    }

    /// A compound RR + SDES.
    pub fn build(&mut self, now: Duration) -> Result<Vec<u8>> {
        let blocks = self.report_blocks(now);
        build_receiver_report(self.ssrc, &blocks, &self.cname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_epoch() {
        assert_eq!(ntp_from_unix(Duration::ZERO), NTP_UNIX_OFFSET << 32);
        assert_eq!(
            ntp_from_unix(Duration::from_millis(1500)) & 0xffff_ffff,
            1 << 31
        );
    }

    #[test]
    fn loss_and_fraction_follow_a3() {
        let mut s = ReceptionStats::new(90_000);
        // 10 packets expected, 2 and 5 lost.
        for seq in (65530u16..=65535).chain(0..4) {
            if seq == 65532 || seq == 1 {
                continue;
            }
            s.on_packet(seq, 0, Duration::ZERO);
        }
        assert_eq!(s.expected(), 10);
        assert_eq!(s.lost(), 2);
        let b = s.report_block(7, 0, 0);
        assert_eq!(b.fraction_lost, ((2u32 << 8) / 10) as u8);
        assert_eq!(b.cumulative_lost, 2);
        // One wrap: cycles = 1, seq 3.
        assert_eq!(b.extended_highest_seq, (1 << 16) | 3);
        // A new interval with no loss.
        s.on_packet(4, 0, Duration::ZERO);
        assert_eq!(s.report_block(7, 0, 0).fraction_lost, 0);
        // Duplicates make the loss negative, which the block keeps.
        s.on_packet(4, 0, Duration::ZERO);
        s.on_packet(4, 0, Duration::ZERO);
        s.on_packet(4, 0, Duration::ZERO);
        assert_eq!(s.report_block(7, 0, 0).cumulative_lost, -1);
    }

    #[test]
    fn jitter_follows_a8() {
        let mut s = ReceptionStats::new(90_000);
        // Constant transit: no jitter.
        for i in 0..10u32 {
            s.on_packet(i as u16, i * 2700, Duration::from_millis(u64::from(i) * 30));
        }
        assert!(s.jitter() < 0.01, "{}", s.jitter());
        // One packet 10 ms late (900 units): J = 900 / 16, then the next on
        // time: another |D| = 900.
        s.on_packet(10, 27_000, Duration::from_millis(300 + 10));
        let j = s.jitter();
        assert!((j - 900.0 / 16.0).abs() < 0.1, "{j}");
        s.on_packet(11, 29_700, Duration::from_millis(330));
        assert!((s.jitter() - (j + (900.0 - j) / 16.0)).abs() < 0.1);
        assert!((s.jitter_ms() - s.jitter() / 90.0).abs() < 1e-9);
    }

    #[test]
    fn reports_round_trip() {
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost: 12,
            cumulative_lost: -3,
            extended_highest_seq: 70_000,
            jitter: 55,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        };
        let sr = build_sender_report(1, 0x0102_0304_0506_0708, 90_000, 10, 1000, &[block], "me@x")
            .unwrap();
        let parsed = parse(&sr).unwrap();
        assert_eq!(
            parsed[0],
            RtcpPacket::SenderReport {
                ssrc: 1,
                ntp_timestamp: 0x0102_0304_0506_0708,
                rtp_timestamp: 90_000,
                packet_count: 10,
                octet_count: 1000,
                blocks: vec![block],
            }
        );
        assert_eq!(
            parsed[1],
            RtcpPacket::Sdes {
                cnames: vec![(1, "me@x".into())]
            }
        );
        let rr = build_receiver_report(2, &[block], "r").unwrap();
        assert_eq!(
            parse(&rr).unwrap()[0],
            RtcpPacket::ReceiverReport {
                ssrc: 2,
                blocks: vec![block]
            }
        );
        assert!(parse(&rr[..rr.len() - 1]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn receiver_state_reports_lsr_and_loss() {
        let mut sender = SenderReportState::new(0x55, "sender");
        let mut receiver = ReceiverReportState::new(0x66, "receiver", 90_000);
        for seq in 0..20u16 {
            let p = crate::packet::build(26, false, seq, u32::from(seq) * 3000, 0x55, &[0; 100])
                .unwrap();
            sender.on_sent(&p);
            if seq != 7 {
                receiver.on_rtp(&p, Duration::from_millis(u64::from(seq) * 33));
            }
        }
        assert_eq!((sender.packet_count, sender.octet_count), (20, 2000));
        let ntp = ntp_from_unix(Duration::from_secs(1_700_000_000));
        let sr = sender.build(ntp, 60_000).unwrap();
        receiver.on_rtcp(&sr, Duration::from_secs(1)).unwrap();
        let rr = receiver.build(Duration::from_millis(1500)).unwrap();
        let RtcpPacket::ReceiverReport { ssrc, blocks } = &parse(&rr).unwrap()[0] else {
            panic!("not an RR");
        };
        assert_eq!(*ssrc, 0x66);
        assert_eq!(blocks.len(), 1);
        let b = blocks[0];
        assert_eq!(b.ssrc, 0x55);
        assert_eq!(b.cumulative_lost, 1);
        assert_eq!(b.fraction_lost, ((1u32 << 8) / 20) as u8);
        assert_eq!(b.extended_highest_seq, 19);
        assert_eq!(b.last_sr, (ntp >> 16) as u32);
        assert_eq!(b.delay_since_last_sr, 32768);
    }
}
