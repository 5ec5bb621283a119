//! The receiving side: RTP/MP4V-ES packets, in sequence order, become
//! access units (RFC 6416 section 5).
//!
//! An access unit is the payloads of consecutive packets with one
//! timestamp; it ends with the packet that has the marker bit, or before
//! the first packet of another timestamp (for senders that leave the
//! marker out). It must start with a start code: a packet that does not
//! begins in the middle of a VOP whose start was not received.
//!
//! Loss is seen in the sequence numbers. The access unit in progress when
//! a packet goes missing is dropped, and so are the packets of its
//! timestamp after the gap; an access unit whose first packet after a gap
//! does not start with a start code is dropped too. What is delivered is
//! therefore always whole from its first received header to its end; a
//! gap just before an access unit that starts with a header cannot tell
//! whether header-only packets of that unit were lost, and its
//! [`AccessUnit::loss`] says packets were.

use std::collections::VecDeque;

use super::{AccessUnit, Mp4vDepayStats, Mp4vDepayloaderConfig};
use crate::packet::RtpHeader;

/// The access unit being assembled.
#[derive(Debug)]
struct Current {
    timestamp: u32,
    data: Vec<u8>,
    packets: u64,
}

/// Joins RTP/MP4V-ES packets into access units; see the module
/// documentation. Memory is bounded by `max_access_unit` for the unit in
/// progress and by `max_queued` units waiting to be popped.
#[derive(Debug)]
pub struct Mp4vDepayloader {
    config: Mp4vDepayloaderConfig,
    /// The SSRC followed and the sequence number expected next.
    source: Option<(u32, u16)>,
    current: Option<Current>,
    /// Packets of this timestamp belong to a dropped access unit.
    skipping: Option<u32>,
    /// Packets lost since the last access unit delivered.
    loss: u64,
    ready: VecDeque<AccessUnit>,
    stats: Mp4vDepayStats,
}

impl Default for Mp4vDepayloader {
    fn default() -> Self {
        Self::new(Mp4vDepayloaderConfig::default())
    }
}

impl Mp4vDepayloader {
    pub fn new(config: Mp4vDepayloaderConfig) -> Self {
        Mp4vDepayloader {
            config,
            source: None,
            current: None,
            skipping: None,
            loss: 0,
            ready: VecDeque::new(),
            stats: Mp4vDepayStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &Mp4vDepayStats {
        &self.stats
    }

    /// Takes one packet (RTP header included), the next in sequence order
    /// (a jitter buffer's output, or a socket's on a network that keeps
    /// order). Packets behind the sequence are discarded and counted;
    /// invalid ones are counted. Completed access units wait for
    /// [`pop`](Self::pop).
    pub fn push(&mut self, packet: &[u8]) {
        self.stats.packets += 1;
        let Ok(header) = RtpHeader::parse(packet) else {
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
        match self.source {
            Some((ssrc, expected)) if ssrc == header.ssrc => {
                let ahead = header.sequence.wrapping_sub(expected);
                if ahead >= 0x8000 {
                    self.stats.late += 1;
                    return;
                }
                if ahead > 0 {
                    self.stats.lost += u64::from(ahead);
                    self.loss += u64::from(ahead);
                    if let Some(current) = self.current.take() {
                        self.drop_unit(current.packets, false);
                        self.skipping = Some(current.timestamp);
                    }
                }
            }
            other => {
                if other.is_some() {
                    self.stats.source_changes += 1;
                }
                if let Some(current) = self.current.take() {
                    self.drop_unit(current.packets, false);
                }
                self.skipping = None;
                self.loss = 0;
            }
        }
        self.source = Some((header.ssrc, header.sequence.wrapping_add(1)));
        let payload = &packet[header.payload.clone()];
        let timestamp = header.timestamp;

        // A new timestamp ends the unit in progress (no marker was sent).
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.timestamp != timestamp)
            && let Some(current) = self.current.take()
        {
            self.deliver(header.ssrc, current);
        }
        if self.skipping.is_some_and(|t| t != timestamp) {
            self.skipping = None;
        }
        if self.skipping.is_some() {
            self.stats.discarded_packets += 1;
            if header.marker {
                self.skipping = None;
            }
            return;
        }
        let current = match self.current.as_mut() {
            Some(current) => current,
            None => {
                if !payload.starts_with(&[0, 0, 1]) {
                    // The middle of a VOP whose start was not received.
                    self.drop_unit(1, false);
                    self.skipping = (!header.marker).then_some(timestamp);
                    return;
                }
                self.current.insert(Current {
                    timestamp,
                    data: Vec::new(),
                    packets: 0,
                })
            }
        };
        current.packets += 1;
        if current.data.len() + payload.len() > self.config.max_access_unit {
            let packets = current.packets;
            self.current = None;
            self.drop_unit(packets, true);
            self.skipping = (!header.marker).then_some(timestamp);
            return;
        }
        current.data.extend_from_slice(payload);
        if header.marker
            && let Some(current) = self.current.take()
        {
            self.deliver(header.ssrc, current);
        }
    }

    /// The next access unit completed, oldest first.
    pub fn pop(&mut self) -> Option<AccessUnit> {
        self.ready.pop_front()
    }

    /// End of stream: an access unit still waiting for its marker is
    /// dropped (counted); those completed stay for [`pop`](Self::pop).
    /// The next packet starts afresh.
    pub fn flush(&mut self) {
        if let Some(current) = self.current.take() {
            self.drop_unit(current.packets, false);
        }
        self.source = None;
        self.skipping = None;
        self.loss = 0;
    }

    fn drop_unit(&mut self, packets: u64, oversized: bool) {
        self.stats.dropped += 1;
        self.stats.discarded_packets += packets;
        if oversized {
            self.stats.oversized += 1;
        }
    }

    fn deliver(&mut self, ssrc: u32, current: Current) {
        if self.ready.len() >= self.config.max_queued.max(1)
            && let Some(old) = self.ready.pop_front()
        {
            self.stats.access_units -= 1;
            self.stats.bytes -= old.data.len() as u64;
            self.stats.overflow += 1;
            self.drop_unit(0, false);
        }
        self.stats.access_units += 1;
        self.stats.bytes += current.data.len() as u64;
        self.ready.push_back(AccessUnit {
            ssrc,
            timestamp: current.timestamp,
            data: current.data,
            loss: std::mem::take(&mut self.loss),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Mp4vPayloader, Mp4vPayloaderConfig};
    use super::*;
    use crate::packet::build;

    fn packet(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
        build(96, marker, seq, ts, 7, payload).unwrap()
    }

    fn drain(d: &mut Mp4vDepayloader) -> Vec<AccessUnit> {
        std::iter::from_fn(|| d.pop()).collect()
    }

    const VOP: [u8; 6] = [0, 0, 1, 0xb6, 0x50, 9];

    #[test]
    fn joins_fragments_until_the_marker() {
        let mut d = Mp4vDepayloader::default();
        d.push(&packet(65535, 100, false, &VOP));
        d.push(&packet(0, 100, false, &[1, 2]));
        assert!(d.pop().is_none());
        d.push(&packet(1, 100, true, &[3]));
        let au = d.pop().unwrap();
        assert_eq!(au.data, [&VOP[..], &[1, 2, 3]].concat());
        assert_eq!((au.timestamp, au.ssrc, au.loss), (100, 7, 0));
        assert_eq!(d.stats().access_units, 1);
    }

    #[test]
    fn timestamp_change_ends_an_unmarked_unit() {
        let mut d = Mp4vDepayloader::default();
        d.push(&packet(1, 0, false, &VOP));
        d.push(&packet(2, 3600, false, &VOP));
        assert_eq!(drain(&mut d).len(), 1);
        // flush drops the one without its end.
        d.flush();
        assert!(d.pop().is_none());
        assert_eq!(d.stats().dropped, 1);
    }

    #[test]
    fn loss_drops_the_unit_and_only_it() {
        let mut d = Mp4vDepayloader::default();
        // Unit 0: seq 10, 11 (lost), 12.
        d.push(&packet(10, 0, false, &VOP));
        d.push(&packet(12, 0, true, &[0, 0, 1, 0xb6, 1]));
        // Unit 1 whole; unit 2 loses its first packet (seq 15).
        d.push(&packet(13, 3600, false, &VOP));
        d.push(&packet(14, 3600, true, &[4]));
        d.push(&packet(16, 7200, false, &[0, 0, 0x81, 1]));
        d.push(&packet(17, 7200, true, &[5]));
        // Unit 3 whole.
        d.push(&packet(18, 10800, true, &VOP));
        let aus = drain(&mut d);
        assert_eq!(aus.len(), 2);
        assert_eq!((aus[0].timestamp, aus[0].loss), (3600, 1));
        assert_eq!((aus[1].timestamp, aus[1].loss), (10800, 1));
        let s = d.stats();
        assert_eq!((s.lost, s.dropped, s.discarded_packets), (2, 2, 4));
    }

    #[test]
    fn late_duplicate_and_foreign_packets() {
        let mut d = Mp4vDepayloader::new(Mp4vDepayloaderConfig {
            payload_type: Some(96),
            ..Mp4vDepayloaderConfig::default()
        });
        d.push(&packet(5, 0, false, &VOP));
        d.push(&packet(5, 0, false, &VOP));
        d.push(&packet(4, 0, false, &VOP));
        d.push(&build(97, true, 6, 0, 7, &[1]).unwrap());
        d.push(&[0x80, 1]);
        d.push(&packet(6, 0, true, &[1]));
        assert_eq!(drain(&mut d)[0].data, [&VOP[..], &[1]].concat());
        assert_eq!((d.stats().late, d.stats().invalid), (2, 2));
        // A new SSRC drops what the old one left unfinished.
        d.push(&packet(7, 1, false, &VOP));
        d.push(&build(96, true, 500, 2, 8, &VOP).unwrap());
        let aus = drain(&mut d);
        assert_eq!((aus.len(), aus[0].ssrc), (1, 8));
        assert_eq!((d.stats().source_changes, d.stats().dropped), (1, 1));
    }

    #[test]
    fn bounded_unit_and_queue() {
        let mut d = Mp4vDepayloader::new(Mp4vDepayloaderConfig {
            max_access_unit: 10,
            max_queued: 2,
            ..Mp4vDepayloaderConfig::default()
        });
        d.push(&packet(0, 0, false, &VOP));
        d.push(&packet(1, 0, false, &VOP));
        d.push(&packet(2, 0, true, &[1]));
        assert!(d.pop().is_none());
        assert_eq!((d.stats().oversized, d.stats().discarded_packets), (1, 3));
        for i in 0..4u16 {
            d.push(&packet(3 + i, u32::from(i) + 1, true, &VOP));
        }
        let aus = drain(&mut d);
        assert_eq!(aus.iter().map(|a| a.timestamp).collect::<Vec<_>>(), [3, 4]);
        let s = d.stats();
        assert_eq!((s.access_units, s.overflow, s.dropped), (2, 2, 3));
    }

    #[test]
    fn round_trip_with_the_payloader() {
        let mut pay = Mp4vPayloader::new(Mp4vPayloaderConfig {
            max_packet: 40,
            ..Mp4vPayloaderConfig::new(7)
        })
        .unwrap();
        let mut d = Mp4vDepayloader::default();
        let aus: Vec<Vec<u8>> = (0..5u8)
            .map(|n| [&VOP[..], &vec![n + 1; 30 * usize::from(n)]].concat())
            .collect();
        for (i, au) in aus.iter().enumerate() {
            for p in pay.packetize(au, i as u32 * 3600).unwrap() {
                d.push(&p);
            }
        }
        let got: Vec<Vec<u8>> = drain(&mut d).into_iter().map(|a| a.data).collect();
        assert_eq!(got, aus);
    }
}
