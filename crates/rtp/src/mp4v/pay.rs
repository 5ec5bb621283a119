//! The sending side: access units become RTP packets (RFC 6416 sections
//! 5.1 and 5.2).
//!
//! Section 5.2's rules, as followed here: headers (configuration, GOV, VOP)
//! start a packet or follow the header above them in the same packet;
//! a packet starts at a header or at a video packet where it can; a video
//! packet is cut only when it is larger than a packet; different VOPs go
//! in different packets (one access unit per call).

use super::{Mp4vPayStats, Mp4vPayloaderConfig, config_headers, intra_and_config, start_codes};
use crate::error::{Result, RtpError};

/// RTP fixed header without CSRCs or extension (RFC 3550 section 5.1).
const RTP_HEADER_LEN: usize = 12;
/// Smallest `max_packet` accepted: the RTP header and 20 bytes of payload.
pub const MIN_PACKET: usize = RTP_HEADER_LEN + 20;

/// Turns MPEG-4 Visual access units into RTP/MP4V-ES packets.
#[derive(Debug)]
pub struct Mp4vPayloader {
    config: Mp4vPayloaderConfig,
    sequence: u16,
    stats: Mp4vPayStats,
}

impl Mp4vPayloader {
    /// Checks the configuration: `max_packet` from [`MIN_PACKET`] to
    /// 65535, a payload type below 128, a configuration to repeat when
    /// `repeat_config` is set.
    pub fn new(mut config: Mp4vPayloaderConfig) -> Result<Self> {
        if !(MIN_PACKET..=65535).contains(&config.max_packet) {
            return Err(RtpError::InvalidArgument(format!(
                "max_packet {} (must be {MIN_PACKET}-65535)",
                config.max_packet
            )));
        }
        if config.payload_type >= 128 {
            return Err(RtpError::InvalidArgument(format!(
                "payload type {} (7 bits)",
                config.payload_type
            )));
        }
        if config.repeat_config && config_headers(&config.config).is_empty() {
            return Err(RtpError::InvalidArgument(
                "repeat_config without configuration headers to repeat".into(),
            ));
        }
        let headers = config_headers(&config.config).len();
        config.config.truncate(headers);
        Ok(Mp4vPayloader {
            sequence: config.initial_sequence,
            config,
            stats: Mp4vPayStats::default(),
        })
    }

    /// The sequence number the next packet will carry.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// Counters so far.
    pub fn stats(&self) -> &Mp4vPayStats {
        &self.stats
    }

    /// The packets (RTP header included) of one access unit, all with
    /// `timestamp` (90 kHz: the VOP's presentation time), the last one
    /// with the marker bit. Cut at start codes and the size limit; see
    /// [`packetize_video_packets`](Self::packetize_video_packets) to cut
    /// at video packets too.
    pub fn packetize(&mut self, access_unit: &[u8], timestamp: u32) -> Result<Vec<Vec<u8>>> {
        self.packetize_video_packets(access_unit, timestamp, &[])
    }

    /// [`packetize`](Self::packetize), told where the access unit's video
    /// packets start (byte offsets into `access_unit`, at their resync
    /// markers, in any order), so that packets start there where they can.
    pub fn packetize_video_packets(
        &mut self,
        access_unit: &[u8],
        timestamp: u32,
        video_packets: &[usize],
    ) -> Result<Vec<Vec<u8>>> {
        if access_unit.is_empty() {
            return Err(RtpError::InvalidArgument("empty access unit".into()));
        }
        if let Some(&bad) = video_packets.iter().find(|&&o| o > access_unit.len()) {
            return Err(RtpError::InvalidArgument(format!(
                "video packet offset {bad} beyond the {}-byte access unit",
                access_unit.len()
            )));
        }
        let prefix: &[u8] = match intra_and_config(access_unit) {
            (true, false) if self.config.repeat_config => &self.config.config,
            _ => &[],
        };
        let data: std::borrow::Cow<'_, [u8]> = if prefix.is_empty() {
            access_unit.into()
        } else {
            [prefix, access_unit].concat().into()
        };
        // Where a packet may start: headers and video packets.
        let mut boundaries: Vec<usize> = start_codes(&data)
            .chain(video_packets.iter().map(|&o| o + prefix.len()))
            .chain([prefix.len()])
            .filter(|&o| o > 0 && o < data.len())
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();

        let room = self.config.max_packet - RTP_HEADER_LEN;
        let mut packets = Vec::with_capacity(data.len().div_ceil(room));
        let mut pos = 0;
        while pos < data.len() {
            let limit = pos + room;
            // The first boundary after `pos`.
            let next = boundaries.partition_point(|&b| b <= pos);
            let mid_piece = pos > 0 && boundaries.get(next.wrapping_sub(1)) != Some(&pos);
            let end = if mid_piece {
                // The rest of a piece cut at the size limit goes on its
                // own, so that the next packet starts at a boundary.
                let piece_end = boundaries.get(next).copied().unwrap_or(data.len());
                if piece_end <= limit {
                    piece_end
                } else {
                    self.stats.forced_cuts += 1;
                    limit
                }
            } else if limit >= data.len() {
                data.len()
            } else {
                // As many whole pieces as fit, else the size limit.
                match boundaries.partition_point(|&b| b <= limit) {
                    i if i > next => boundaries[i - 1],
                    _ => {
                        self.stats.forced_cuts += 1;
                        limit
                    }
                }
            };
            let packet = crate::packet::build(
                self.config.payload_type,
                end == data.len(),
                self.sequence,
                timestamp,
                self.config.ssrc,
                &data[pos..end],
            )?;
            debug_assert!(packet.len() <= self.config.max_packet);
            self.sequence = self.sequence.wrapping_add(1);
            self.stats.packets += 1;
            self.stats.bytes += packet.len() as u64;
            packets.push(packet);
            pos = end;
        }
        self.stats.access_units += 1;
        if packets.len() > 1 {
            self.stats.fragmented += 1;
        }
        if !prefix.is_empty() {
            self.stats.config_repeats += 1;
        }
        Ok(packets)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mp4vPayloaderConfig;
    use super::*;
    use crate::packet::RtpHeader;

    const CONFIG: [u8; 12] = [0, 0, 1, 0xb0, 1, 0, 0, 1, 0x20, 0x08, 0xc4, 0x8d];

    fn payloader(max_packet: usize, repeat: bool) -> Mp4vPayloader {
        Mp4vPayloader::new(Mp4vPayloaderConfig {
            max_packet,
            initial_sequence: 65534,
            config: CONFIG.to_vec(),
            repeat_config: repeat,
            ..Mp4vPayloaderConfig::new(0x1234)
        })
        .unwrap()
    }

    /// A VOP of `len` bytes (I when `intra`) with no start code but its
    /// own and video packets at `resyncs`.
    fn vop(len: usize, intra: bool, resyncs: &[usize]) -> Vec<u8> {
        let mut v: Vec<u8> = (0..len).map(|i| (i % 251) as u8 | 0x40).collect();
        v[..5].copy_from_slice(&[0, 0, 1, 0xb6, if intra { 0x10 } else { 0x50 }]);
        for &r in resyncs {
            v[r..r + 3].copy_from_slice(&[0, 0, 0x81]);
        }
        v
    }

    fn parse(packets: &[Vec<u8>]) -> Vec<(RtpHeader, &[u8])> {
        packets
            .iter()
            .map(|p| {
                let h = RtpHeader::parse(p).unwrap();
                let payload = &p[h.payload.clone()];
                (h, payload)
            })
            .collect()
    }

    #[test]
    fn small_access_unit_is_one_marked_packet() {
        let mut pay = payloader(1400, false);
        let au = vop(300, false, &[]);
        let packets = pay.packetize(&au, 3600).unwrap();
        let parsed = parse(&packets);
        assert_eq!(parsed.len(), 1);
        let (h, payload) = &parsed[0];
        assert_eq!(
            (h.marker, h.timestamp, h.sequence, h.payload_type),
            (true, 3600, 65534, 96)
        );
        assert_eq!(*payload, &au[..]);
        assert_eq!(pay.sequence(), 65535);
        assert_eq!(pay.stats().fragmented, 0);
    }

    #[test]
    fn cuts_at_video_packets_where_they_fit() {
        // Room 100: video packets at 90, 150, 180, 400.
        let mut pay = payloader(112, false);
        let au = vop(450, false, &[90, 150, 180, 400]);
        let packets = pay
            .packetize_video_packets(&au, 7, &[180, 90, 400, 150])
            .unwrap();
        let parsed = parse(&packets);
        let cuts: Vec<usize> = parsed
            .iter()
            .scan(0, |at, (_, p)| {
                *at += p.len();
                Some(*at)
            })
            .collect();
        // 0..90 (the next boundary, 150, is too far), 90..180, 180..280
        // (forced: 180..400 is larger than a packet), 280..380 (forced),
        // 380..400, 400..450.
        assert_eq!(cuts, [90, 180, 280, 380, 400, 450]);
        assert_eq!(pay.stats().forced_cuts, 2);
        assert_eq!(parsed.concat_payloads(), au);
        for (i, (h, _)) in parsed.iter().enumerate() {
            assert_eq!(h.marker, i + 1 == parsed.len());
            assert_eq!(h.timestamp, 7);
            assert_eq!(h.sequence, 65534u16.wrapping_add(i as u16));
            assert!(packets[i].len() <= 112);
        }
        // Without the offsets only the size limit cuts.
        let mut pay = payloader(112, false);
        let parsed_len: Vec<usize> = parse(&pay.packetize(&au, 7).unwrap())
            .iter()
            .map(|(_, p)| p.len())
            .collect();
        assert_eq!(parsed_len, [100, 100, 100, 100, 50]);
        assert!(
            pay.packetize_video_packets(&au, 7, &[451])
                .unwrap_err()
                .to_string()
                .contains("beyond")
        );
    }

    #[test]
    fn headers_start_packets() {
        // GOV then VOP: a packet starts at the VOP header when the first
        // piece (config + GOV) cannot share a packet with all of it.
        let gov = [0, 0, 1, 0xb3, 0, 0x10, 0x07];
        let au = [&CONFIG[..], &gov, &vop(200, true, &[])].concat();
        let mut pay = payloader(112, false);
        let parsed = parse(&pay.packetize(&au, 0).unwrap())
            .into_iter()
            .map(|(_, p)| p.to_vec())
            .collect::<Vec<_>>();
        assert_eq!(parsed[0], [&CONFIG[..], &gov].concat());
        assert!(parsed[1].starts_with(&[0, 0, 1, 0xb6]));
        assert_eq!(parsed.concat(), au);
    }

    #[test]
    fn repeats_config_before_intra_vops_only() {
        let mut pay = payloader(1400, true);
        let intra = vop(100, true, &[]);
        let p = pay.packetize(&intra, 0).unwrap();
        assert_eq!(parse(&p)[0].1, [&CONFIG[..], &intra].concat());
        // A P-VOP goes as it is.
        let inter = vop(100, false, &[]);
        assert_eq!(parse(&pay.packetize(&inter, 1).unwrap())[0].1, &inter[..]);
        // An I-VOP that brings its own VOL is not given a second one.
        let own = [&CONFIG[..], &intra].concat();
        assert_eq!(parse(&pay.packetize(&own, 2).unwrap())[0].1, &own[..]);
        assert_eq!(pay.stats().config_repeats, 1);
        // Offsets are into the access unit as given; the configuration
        // ends a piece of its own.
        let mut pay = payloader(12 + 60, true);
        let intra = vop(100, true, &[50]);
        let parsed = parse(&pay.packetize_video_packets(&intra, 0, &[50]).unwrap())
            .into_iter()
            .map(|(_, p)| p.len())
            .collect::<Vec<_>>();
        assert_eq!(parsed, [12, 50, 50]);
        // Without repetition the caller's bytes go as they are.
        let mut pay = payloader(1400, false);
        assert_eq!(parse(&pay.packetize(&intra, 0).unwrap())[0].1, &intra[..]);
    }

    #[test]
    fn rejects_bad_settings() {
        let base = Mp4vPayloaderConfig::new(1);
        let err = |c: Mp4vPayloaderConfig| Mp4vPayloader::new(c).unwrap_err().to_string();
        assert!(
            err(Mp4vPayloaderConfig {
                max_packet: MIN_PACKET - 1,
                ..base.clone()
            })
            .contains("max_packet")
        );
        assert!(
            err(Mp4vPayloaderConfig {
                payload_type: 128,
                ..base.clone()
            })
            .contains("payload type")
        );
        assert!(
            err(Mp4vPayloaderConfig {
                repeat_config: true,
                ..base.clone()
            })
            .contains("repeat_config")
        );
        let mut pay = Mp4vPayloader::new(base).unwrap();
        assert!(pay.packetize(&[], 0).is_err());
    }

    trait Concat {
        fn concat_payloads(&self) -> Vec<u8>;
    }

    impl Concat for Vec<(RtpHeader, &[u8])> {
        fn concat_payloads(&self) -> Vec<u8> {
            self.iter().flat_map(|(_, p)| p.iter().copied()).collect()
        }
    }
}
