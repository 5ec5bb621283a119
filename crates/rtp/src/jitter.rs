//! A reorder and jitter buffer for RTP video, without I/O and without a
//! clock: packets go in with the time they arrived, whole frames come out
//! in timestamp order (RFC 3550 sections 5.1 and 6.4.1, Appendix A.1, A.3
//! and A.8).
//!
//! Each SSRC has its own state. A frame is the packets of one timestamp;
//! it is complete when its sequence numbers run without a gap from its
//! first packet to its last, where
//!
//! - the first packet is the one after the previous frame's last (known
//!   once that frame was released or dropped with its marker), or one the
//!   payload format says starts a frame (RTP/JPEG: fragment offset 0, see
//!   [`FrameStart`]); so with a generic payload the stream's first frame,
//!   whose start nothing tells, is dropped;
//! - the last packet carries the marker bit, or is followed by a packet of
//!   another timestamp.
//!
//! The oldest frame is released as soon as it is complete and nothing
//! older can still come (the packets before it are accounted for). A frame
//! that is not complete `latency` after its first packet arrived is
//! dropped and counted, never released with a hole; so is a complete frame
//! that waited that long for older packets that never came, unless the
//! payload format says where it starts. Packets for frames already
//! released or dropped are counted as late and discarded.
//!
//! A sequence number more than `restart_gap` away from the stream's, when
//! the packet after it follows on, is a sender restart: what is complete is
//! released, the rest dropped, and the source starts afresh. Memory is
//! bounded by `max_packets` and `max_bytes` (the oldest frame goes first)
//! and by `max_sources`.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::packet::RtpHeader;
use crate::rtcp::{ReceptionStats, ReportBlock};
use crate::seq::{SeqExtender, TimestampExtender};

/// How the buffer tells where a frame starts, beyond the previous frame's
/// marker.
#[derive(Clone, Copy, Debug, Default)]
pub enum FrameStart {
    /// RTP/JPEG rules for payload type 26, [`Generic`](Self::Generic) for
    /// others.
    #[default]
    Auto,
    /// Only the previous frame's marker (or a timestamp change) tells.
    Generic,
    /// RTP/JPEG: a fragment offset of 0 starts a frame.
    Jpeg,
    /// A function of the payload: `Some(true)` starts a frame,
    /// `Some(false)` does not, `None` cannot tell.
    Custom(fn(&[u8]) -> Option<bool>),
}

impl FrameStart {
    fn check(self, payload_type: u8, payload: &[u8]) -> Option<bool> {
        match self {
            FrameStart::Auto if payload_type == crate::jpeg::PAYLOAD_TYPE => {
                crate::jpeg::starts_frame(payload)
            }
            FrameStart::Auto | FrameStart::Generic => None,
            FrameStart::Jpeg => crate::jpeg::starts_frame(payload),
            FrameStart::Custom(f) => f(payload),
        }
    }
}

/// Jitter buffer settings.
#[derive(Clone, Debug)]
pub struct JitterConfig {
    /// How long an incomplete frame may wait for its packets (default
    /// 200 ms).
    pub latency: Duration,
    /// RTP clock of the payload (90000 for video).
    pub clock_rate: u32,
    /// Packets held at most, over all sources (default 20000).
    pub max_packets: usize,
    /// Bytes held at most (default 64 MiB).
    pub max_bytes: usize,
    /// A sequence jump larger than this is a sender restart (default 3000).
    pub restart_gap: u16,
    /// SSRCs tracked at once (default 8); the least recently heard is
    /// forgotten for a new one.
    pub max_sources: usize,
    /// Accept only this payload type (default: any).
    pub payload_type: Option<u8>,
    /// Frame start detection (default: by payload type).
    pub frame_start: FrameStart,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            latency: Duration::from_millis(200),
            clock_rate: 90_000,
            max_packets: 20_000,
            max_bytes: 64 << 20,
            restart_gap: 3000,
            max_sources: 8,
            payload_type: None,
            frame_start: FrameStart::Auto,
        }
    }
}

/// A complete frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleasedFrame {
    pub ssrc: u32,
    pub timestamp: u32,
    /// Gap-free, in sequence order; the last has the marker bit (or is
    /// followed by another timestamp).
    pub packets: Vec<Vec<u8>>,
}

/// Counters of a jitter buffer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JitterStats {
    /// Packets pushed, valid or not.
    pub packets: u64,
    pub bytes: u64,
    /// Not RTP version 2, or another payload type than configured.
    pub invalid: u64,
    pub duplicates: u64,
    /// Packets that arrived after one with a higher sequence number.
    pub reordered: u64,
    /// Packets for frames already released or dropped.
    pub late: u64,
    /// RFC 3550 A.3 cumulative loss (expected - received, at least 0),
    /// summed over sources and restarts.
    pub lost: u64,
    /// Frames released.
    pub frames: u64,
    /// Frames dropped: incomplete when their time ran out, at a restart or
    /// a flush, or pushed out by the memory bounds.
    pub frames_dropped: u64,
    /// Of `frames_dropped`, those pushed out by `max_packets`/`max_bytes`.
    pub overflow_drops: u64,
    /// Sequence jumps over `restart_gap`, and new SSRCs after the first.
    pub restarts: u64,
    /// SSRCs seen.
    pub sources: u64,
    /// Packets whose sequence number jumped and were not followed on
    /// (discarded).
    pub out_of_range: u64,
    /// RFC 3550 A.8 interarrival jitter of the latest packet's source, in
    /// timestamp units.
    pub jitter: f64,
    /// The same in milliseconds.
    pub jitter_ms: f64,
}

#[derive(Debug)]
struct Packet {
    ext_ts: u64,
    marker: bool,
    starts: Option<bool>,
    data: Vec<u8>,
}

#[derive(Debug)]
struct Pending {
    timestamp: u32,
    first_arrival: Duration,
    lowest: u64,
    highest: u64,
    count: u64,
}

/// Where the next frame starts, from what was released or dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Boundary {
    /// Nothing yet.
    Start,
    /// The previous frame ended with a marker: the next starts here.
    Known(u64),
    /// The previous frame's packets went up to here; where it ended is
    /// not known.
    After(u64),
}

#[derive(Debug)]
struct Source {
    ssrc: u32,
    seq: SeqExtender,
    ts: TimestampExtender,
    reception: ReceptionStats,
    /// Lost packets of earlier epochs of this SSRC (before restarts).
    lost_before: u64,
    packets: BTreeMap<u64, Packet>,
    frames: BTreeMap<u64, Pending>,
    boundary: Boundary,
    released_seq: Option<u64>,
    released_ts: Option<u64>,
    /// A packet whose sequence number jumped, waiting for its successor.
    probation: Option<(Vec<u8>, Duration)>,
    last_seen: Duration,
}

impl Source {
    fn new(ssrc: u32, clock_rate: u32, now: Duration) -> Source {
        Source {
            ssrc,
            seq: SeqExtender::new(),
            ts: TimestampExtender::new(),
            reception: ReceptionStats::new(clock_rate),
            lost_before: 0,
            packets: BTreeMap::new(),
            frames: BTreeMap::new(),
            boundary: Boundary::Start,
            released_seq: None,
            released_ts: None,
            probation: None,
            last_seen: now,
        }
    }

    fn lost(&self) -> u64 {
        self.lost_before + self.reception.lost().max(0) as u64
    }
}

/// What to do with a source's oldest frame.
enum Head {
    Release,
    Drop,
    Wait(Duration),
}

/// A per-SSRC reorder and jitter buffer; see the module documentation.
#[derive(Debug)]
pub struct JitterBuffer {
    config: JitterConfig,
    sources: Vec<Source>,
    ready: VecDeque<ReleasedFrame>,
    held_packets: usize,
    held_bytes: usize,
    stats: JitterStats,
    /// Lost packets of forgotten sources.
    lost_retired: u64,
}

impl JitterBuffer {
    pub fn new(config: JitterConfig) -> Self {
        JitterBuffer {
            config,
            sources: Vec::new(),
            ready: VecDeque::new(),
            held_packets: 0,
            held_bytes: 0,
            stats: JitterStats::default(),
            lost_retired: 0,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &JitterStats {
        &self.stats
    }

    /// Packets held (waiting or released but not yet popped).
    pub fn held_packets(&self) -> usize {
        self.held_packets
    }

    /// Reception statistics of one SSRC (A.3, A.8), for RTCP.
    pub fn reception(&self, ssrc: u32) -> Option<&ReceptionStats> {
        self.sources
            .iter()
            .find(|s| s.ssrc == ssrc)
            .map(|s| &s.reception)
    }

    /// RTCP report blocks for every source, starting a new interval.
    pub fn report_blocks(&mut self) -> Vec<ReportBlock> {
        self.sources
            .iter_mut()
            .map(|s| s.reception.report_block(s.ssrc, 0, 0))
            .collect()
    }

    /// Takes one packet (RTP header included) that arrived at `now`.
    /// Invalid packets are counted, not returned.
    pub fn push(&mut self, packet: Vec<u8>, now: Duration) {
        self.stats.packets += 1;
        self.stats.bytes += packet.len() as u64;
        let Ok(header) = RtpHeader::parse(&packet) else {
            self.stats.invalid += 1;
            return;
        };
        if self
            .config
            .payload_type
            .is_some_and(|pt| pt != header.payload_type)
        {
            self.stats.invalid += 1;
            return;
        }
        let index = self.source_index(header.ssrc, now);
        let source = &mut self.sources[index];
        source.last_seen = now;
        if let Some(highest) = source.seq.highest() {
            let ext = source.seq.peek(header.sequence);
            let gap = ext.abs_diff(highest);
            if gap > u64::from(self.config.restart_gap) {
                match source.probation.take() {
                    Some((held, held_at))
                        if RtpHeader::parse(&held)
                            .is_ok_and(|h| h.sequence.wrapping_add(1) == header.sequence) =>
                    {
                        self.restart(index);
                        self.insert(index, held, held_at);
                        self.insert(index, packet, now);
                    }
                    previous => {
                        if previous.is_some() {
                            self.stats.out_of_range += 1;
                        }
                        self.sources[index].probation = Some((packet, now));
                    }
                }
                self.enforce_bounds();
                return;
            }
        }
        if source.probation.take().is_some() {
            self.stats.out_of_range += 1;
        }
        self.insert(index, packet, now);
        self.enforce_bounds();
    }

    fn source_index(&mut self, ssrc: u32, now: Duration) -> usize {
        if let Some(i) = self.sources.iter().position(|s| s.ssrc == ssrc) {
            return i;
        }
        if self.stats.sources > 0 {
            self.stats.restarts += 1;
        }
        self.stats.sources += 1;
        if self.sources.len() >= self.config.max_sources.max(1)
            && let Some(oldest) = self
                .sources
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(i, _)| i)
        {
            self.finish_source(oldest);
            let gone = self.sources.swap_remove(oldest);
            self.lost_retired += gone.lost();
        }
        self.sources
            .push(Source::new(ssrc, self.config.clock_rate, now));
        self.sources.len() - 1
    }

    /// A sender restart: settle what is there, then start afresh.
    fn restart(&mut self, index: usize) {
        self.stats.restarts += 1;
        self.finish_source(index);
        let s = &mut self.sources[index];
        let lost_before = s.lost();
        *s = Source::new(s.ssrc, self.config.clock_rate, s.last_seen);
        s.lost_before = lost_before;
    }

    fn insert(&mut self, index: usize, packet: Vec<u8>, now: Duration) {
        let Ok(header) = RtpHeader::parse(&packet) else {
            self.stats.invalid += 1;
            return;
        };
        let starts = self
            .config
            .frame_start
            .check(header.payload_type, &packet[header.payload.clone()]);
        let s = &mut self.sources[index];
        let highest_before = s.seq.highest();
        let ext_seq = s.seq.extend(header.sequence);
        if s.packets.contains_key(&ext_seq) {
            self.stats.duplicates += 1;
            return;
        }
        let lost_before = s.lost();
        s.reception
            .on_packet(header.sequence, header.timestamp, now);
        let ext_ts = s.ts.extend(header.timestamp);
        self.stats.jitter = s.reception.jitter();
        self.stats.jitter_ms = s.reception.jitter_ms();
        let lost_after = s.lost();
        self.stats.lost = (self.stats.lost + lost_after).saturating_sub(lost_before);
        if highest_before.is_some_and(|h| ext_seq < h) {
            self.stats.reordered += 1;
        }
        if s.released_seq.is_some_and(|r| ext_seq <= r)
            || s.released_ts.is_some_and(|r| ext_ts <= r)
        {
            self.stats.late += 1;
            return;
        }
        let len = packet.len();
        s.packets.insert(
            ext_seq,
            Packet {
                ext_ts,
                marker: header.marker,
                starts,
                data: packet,
            },
        );
        let frame = s.frames.entry(ext_ts).or_insert(Pending {
            timestamp: header.timestamp,
            first_arrival: now,
            lowest: ext_seq,
            highest: ext_seq,
            count: 0,
        });
        frame.lowest = frame.lowest.min(ext_seq);
        frame.highest = frame.highest.max(ext_seq);
        frame.count += 1;
        self.held_packets += 1;
        self.held_bytes += len;
    }

    /// Drops the oldest frames until the bounds hold again.
    fn enforce_bounds(&mut self) {
        while self.held_packets > self.config.max_packets || self.held_bytes > self.config.max_bytes
        {
            if let Some(frame) = self.ready.pop_front() {
                self.unhold(&frame);
                self.stats.frames -= 1;
                self.stats.frames_dropped += 1;
                self.stats.overflow_drops += 1;
                continue;
            }
            let oldest = self
                .sources
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    s.frames
                        .first_key_value()
                        .map(|(_, f)| (i, f.first_arrival))
                })
                .min_by_key(|&(_, t)| t)
                .map(|(i, _)| i);
            let Some(i) = oldest else { break };
            self.take_head(i, false);
            self.stats.overflow_drops += 1;
        }
    }

    fn unhold(&mut self, frame: &ReleasedFrame) {
        self.held_packets -= frame.packets.len();
        self.held_bytes -= frame.packets.iter().map(Vec::len).sum::<usize>();
    }

    /// Decides about source `i`'s oldest frame at `now` (`None`: as if
    /// its time had run out, for flushing).
    fn head(&self, i: usize, now: Option<Duration>) -> Option<Head> {
        let s = &self.sources[i];
        let (&ext_ts, frame) = s.frames.first_key_value()?;
        let deadline = frame.first_arrival + self.config.latency;
        let expired = now.is_none_or(|now| now >= deadline);
        let contiguous = frame.highest - frame.lowest + 1 == frame.count;
        let last = s.packets.get(&frame.highest);
        let end_known = last.is_some_and(|p| p.marker)
            || s.packets
                .get(&(frame.highest + 1))
                .is_some_and(|p| p.ext_ts != ext_ts);
        let starts = s.packets.get(&frame.lowest).and_then(|p| p.starts);
        let (start_ok, settled) = match s.boundary {
            Boundary::Known(next) => (frame.lowest == next, frame.lowest == next),
            Boundary::After(h) => (frame.lowest == h + 1, frame.lowest == h + 1),
            // Nothing is known before the first frame: only the payload
            // format can say it is whole.
            Boundary::Start => (false, false),
        };
        let start_ok = starts != Some(false) && (start_ok || starts == Some(true));
        let complete = contiguous && end_known && start_ok;
        Some(if complete && (settled || expired) {
            Head::Release
        } else if expired {
            Head::Drop
        } else {
            // Incomplete, or complete but older packets may still come.
            Head::Wait(deadline)
        })
    }

    /// Removes source `i`'s oldest frame, releasing it or dropping it.
    fn take_head(&mut self, i: usize, release: bool) -> Option<ReleasedFrame> {
        let s = &mut self.sources[i];
        let (ext_ts, frame) = s.frames.pop_first()?;
        let mut packets = Vec::with_capacity(frame.count as usize);
        let mut marker = false;
        let seqs: Vec<u64> = s
            .packets
            .range(frame.lowest..=frame.highest)
            .filter(|(_, p)| p.ext_ts == ext_ts)
            .map(|(&k, _)| k)
            .collect();
        for k in seqs {
            if let Some(p) = s.packets.remove(&k) {
                marker = p.marker;
                packets.push(p.data);
            }
        }
        s.released_seq = Some(
            s.released_seq
                .map_or(frame.highest, |r| r.max(frame.highest)),
        );
        s.released_ts = Some(ext_ts);
        s.boundary = if marker {
            Boundary::Known(frame.highest + 1)
        } else {
            Boundary::After(frame.highest)
        };
        let released = ReleasedFrame {
            ssrc: s.ssrc,
            timestamp: frame.timestamp,
            packets,
        };
        if release {
            self.stats.frames += 1;
            Some(released)
        } else {
            self.stats.frames_dropped += 1;
            self.unhold(&released);
            None
        }
    }

    /// Releases what is complete of source `i` into the ready queue and
    /// drops the rest.
    fn finish_source(&mut self, i: usize) {
        while let Some(head) = self.head(i, None) {
            let release = matches!(head, Head::Release);
            if let Some(frame) = self.take_head(i, release) {
                self.ready.push_back(frame);
            }
        }
        if self.sources[i].probation.take().is_some() {
            self.stats.out_of_range += 1;
        }
    }

    /// The next complete frame whose time has come, oldest first; frames
    /// whose packets did not all arrive within the latency are dropped on
    /// the way (counted).
    pub fn pop(&mut self, now: Duration) -> Option<ReleasedFrame> {
        if let Some(frame) = self.ready.pop_front() {
            self.unhold(&frame);
            return Some(frame);
        }
        // The source whose head frame is oldest goes first.
        let mut order: Vec<(Duration, usize)> = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.frames
                    .first_key_value()
                    .map(|(_, f)| (f.first_arrival, i))
            })
            .collect();
        order.sort_unstable();
        for (_, i) in order {
            loop {
                match self.head(i, Some(now)) {
                    Some(Head::Release) => {
                        let frame = self.take_head(i, true)?;
                        self.unhold(&frame);
                        return Some(frame);
                    }
                    Some(Head::Drop) => {
                        self.take_head(i, false);
                    }
                    Some(Head::Wait(_)) | None => break,
                }
            }
        }
        None
    }

    /// End of stream: every complete frame in order, the rest dropped
    /// (counted).
    pub fn flush(&mut self) -> Vec<ReleasedFrame> {
        for i in 0..self.sources.len() {
            self.finish_source(i);
        }
        let out: Vec<ReleasedFrame> = self.ready.drain(..).collect();
        for frame in &out {
            self.held_packets -= frame.packets.len();
            self.held_bytes -= frame.packets.iter().map(Vec::len).sum::<usize>();
        }
        out
    }

    /// When [`pop`](Self::pop) may next return a frame or drop one: a time
    /// at or before now means at once. `None` when nothing waits.
    pub fn next_deadline(&self) -> Option<Duration> {
        if !self.ready.is_empty() {
            return Some(Duration::ZERO);
        }
        (0..self.sources.len())
            .filter_map(|i| {
                let arrival = self.sources[i].frames.first_key_value()?.1.first_arrival;
                match self.head(i, Some(arrival))? {
                    // Complete and settled: ready now.
                    Head::Release => Some(arrival),
                    Head::Wait(deadline) => Some(deadline),
                    Head::Drop => Some(arrival),
                }
            })
            .min()
    }
}
