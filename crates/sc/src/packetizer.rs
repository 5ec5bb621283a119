//! From coefficients to RTP/SC packets, with the optional rate limiting of
//! `docs/sc-format.md` section 7.

use tessera_jpeg::QuantTable;

use crate::blockdata::{block_size, encode_block};
use crate::error::ScError;
use crate::geometry::{FrameGeometry, Region};
use crate::header::{HEADER_LEN, ScHeader};
use crate::image::ScImage;

/// RTP fixed header bytes (RFC 3550, no CSRC, no extension).
pub const RTP_HEADER_LEN: usize = 12;
/// Default largest packet, RTP header included (section 1).
pub const DEFAULT_MAX_PACKET: usize = 1400;
/// Default dynamic payload type (section 2).
pub const DEFAULT_PAYLOAD_TYPE: u8 = 100;
/// Largest coded block: DC, 63 short AC words, a long end of block.
const MAX_BLOCK_BYTES: usize = 2 + 63 * 2 + 4;
/// The smallest `max_packet` that always fits one block.
pub const MIN_MAX_PACKET: usize = RTP_HEADER_LEN + HEADER_LEN + MAX_BLOCK_BYTES;

/// Sender-side rate limiting; the stream stays valid SC whatever is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Zero every coefficient that would quantize to zero under this table
    /// (the receiver's likely target table).
    pub zero_below: Option<QuantTable>,
    /// Drop AC coefficients at (u, v) with `u + v` above this (0-14).
    pub frequency_cutoff: Option<u8>,
    /// Conditional replenishment: do not send a block whose coefficients
    /// all differ by at most this much from the block last sent at that
    /// address (`Some(0)`: skip only unchanged blocks).
    pub replenish_threshold: Option<u16>,
}

impl RateLimit {
    /// Applies the coefficient-level limits to one block.
    fn limit(&self, block: &[i16; 64]) -> [i16; 64] {
        let mut out = *block;
        if let Some(table) = &self.zero_below {
            for (c, &q) in out.iter_mut().zip(&table.0) {
                let q = i32::from(q.max(1));
                // Rounds to zero exactly when |c| + q/2 < q.
                if i32::from(*c).abs() + q / 2 < q {
                    *c = 0;
                }
            }
        }
        if let Some(cutoff) = self.frequency_cutoff {
            for (k, c) in out.iter_mut().enumerate().skip(1) {
                if (k % 8 + k / 8) as u8 > cutoff {
                    *c = 0;
                }
            }
        }
        out
    }
}

/// Packetizer settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketizerConfig {
    /// Largest packet in bytes, RTP header included.
    pub max_packet: usize,
    pub payload_type: u8,
    pub ssrc: u32,
    /// First sequence number.
    pub initial_sequence: u16,
    pub rate_limit: RateLimit,
}

impl PacketizerConfig {
    pub fn new(ssrc: u32) -> PacketizerConfig {
        PacketizerConfig {
            max_packet: DEFAULT_MAX_PACKET,
            payload_type: DEFAULT_PAYLOAD_TYPE,
            ssrc,
            initial_sequence: 0,
            rate_limit: RateLimit::default(),
        }
    }
}

/// Counters of a packetizer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketizerStats {
    pub frames: u64,
    pub packets: u64,
    pub bytes: u64,
    pub blocks_sent: u64,
    /// Blocks not sent because conditional replenishment found them
    /// unchanged.
    pub blocks_skipped: u64,
}

/// Turns one subregion of successive frames into RTP/SC packets for one
/// SSRC. Holds the sequence number and, for conditional replenishment,
/// the blocks last sent.
#[derive(Debug)]
pub struct Packetizer {
    config: PacketizerConfig,
    sequence: u16,
    last_sent: Option<(FrameGeometry, Vec<Option<[i16; 64]>>)>,
    stats: PacketizerStats,
}

impl Packetizer {
    pub fn new(config: PacketizerConfig) -> Result<Packetizer, ScError> {
        if config.max_packet < MIN_MAX_PACKET {
            return Err(ScError::InvalidArgument(format!(
                "maximum packet size {} is below {MIN_MAX_PACKET}, the size one block can need",
                config.max_packet
            )));
        }
        if config.payload_type > 127 {
            return Err(ScError::InvalidArgument("payload type over 127".into()));
        }
        Ok(Packetizer {
            sequence: config.initial_sequence,
            config,
            last_sent: None,
            stats: PacketizerStats::default(),
        })
    }

    pub fn stats(&self) -> PacketizerStats {
        self.stats
    }

    /// Next sequence number to be used.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// Packets describing `region` of `image` at `timestamp`, the last with
    /// the marker bit. At least one block is always sent so that the frame
    /// is seen even when replenishment finds nothing changed.
    pub fn packetize(
        &mut self,
        image: &ScImage,
        region: Region,
        timestamp: u32,
    ) -> Result<Vec<Vec<u8>>, ScError> {
        let geometry = image.geometry;
        region
            .check(&geometry)
            .map_err(|e| ScError::InvalidArgument(format!("subregion {region:?}: {e}")))?;
        if image.blocks.len() != geometry.total_blocks() as usize {
            return Err(ScError::InvalidArgument(
                "image block count does not match its geometry".into(),
            ));
        }
        let limits = &self.config.rate_limit;
        let last = match &mut self.last_sent {
            Some((g, last)) if *g == geometry => last,
            slot => {
                let fresh = vec![None; geometry.total_blocks() as usize];
                &mut slot.insert((geometry, fresh)).1
            }
        };
        let mut chosen: Vec<(u32, [i16; 64])> = Vec::new();
        for addr in region.addresses(&geometry) {
            let block = limits.limit(&image.blocks[addr as usize]);
            if let (Some(threshold), Some(prev)) =
                (limits.replenish_threshold, &last[addr as usize])
            {
                let unchanged = block.iter().zip(prev).all(|(&a, &b)| {
                    (i32::from(a) - i32::from(b)).unsigned_abs() <= u32::from(threshold)
                });
                if unchanged {
                    self.stats.blocks_skipped += 1;
                    continue;
                }
            }
            last[addr as usize] = Some(block);
            chosen.push((addr, block));
        }
        if chosen.is_empty() {
            // Everything unchanged: resend the region's first block so the
            // receiver still sees this frame.
            let addr = region
                .addresses(&geometry)
                .next()
                .expect("regions are not empty");
            let block = last[addr as usize].expect("it was sent before");
            self.stats.blocks_skipped -= 1;
            chosen.push((addr, block));
        }
        self.stats.blocks_sent += chosen.len() as u64;

        // Greedy packing: a block joins the current packet if the packet
        // still fits once the previous block's end of block carries the
        // real increment.
        let budget = self.config.max_packet - RTP_HEADER_LEN - HEADER_LEN;
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        let mut start = 0usize;
        let mut size = block_size(&chosen[0].1, 0);
        for i in 1..chosen.len() {
            let (prev_addr, prev) = &chosen[i - 1];
            let increment = chosen[i].0 - prev_addr;
            let grown = size - block_size(prev, 0)
                + block_size(prev, increment)
                + block_size(&chosen[i].1, 0);
            if grown <= budget {
                size = grown;
            } else {
                groups.push(start..i);
                start = i;
                size = block_size(&chosen[i].1, 0);
            }
        }
        groups.push(start..chosen.len());

        let count = groups.len();
        let mut packets = Vec::with_capacity(count);
        let mut payload = Vec::with_capacity(self.config.max_packet);
        for (n, range) in groups.into_iter().enumerate() {
            payload.clear();
            let blocks = &chosen[range];
            ScHeader {
                region,
                geometry,
                first_block: blocks[0].0,
            }
            .write(&mut payload);
            for (i, (addr, block)) in blocks.iter().enumerate() {
                let increment = blocks.get(i + 1).map_or(0, |(next, _)| next - addr);
                encode_block(block, increment, &mut payload);
            }
            let packet = tessera_rtp::packet::build(
                self.config.payload_type,
                n + 1 == count,
                self.sequence,
                timestamp,
                self.config.ssrc,
                &payload,
            )
            .map_err(|e| ScError::InvalidArgument(e.to_string()))?;
            debug_assert!(packet.len() <= self.config.max_packet);
            self.sequence = self.sequence.wrapping_add(1);
            self.stats.packets += 1;
            self.stats.bytes += packet.len() as u64;
            packets.push(packet);
        }
        self.stats.frames += 1;
        Ok(packets)
    }
}
