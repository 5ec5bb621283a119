//! The receiving side: RTP/SC packets from many senders, in any order, with
//! duplicates and losses, become complete frames (`docs/sc-format.md`
//! sections 2, 4 and 5).
//!
//! Written without I/O and without a clock: the caller pushes packets and
//! gets back the frames they complete. A frame for timestamp T completes
//! once every known sender is done with T, i.e. has sent T's marker or any
//! packet of a later timestamp. A sender that goes quiet cannot stall the
//! stream: when more than `max_pending_frames` frames wait, the oldest is
//! completed anyway (counted as forced) and the senders that were not done
//! with it are forgotten until they send again.
//!
//! Blocks keep their values between frames: a block no packet describes for
//! a timestamp keeps its previous value (conditional replenishment), and a
//! lost packet leaves its blocks as they were.

use std::collections::{HashMap, HashSet};

use tessera_core::Limits;

use crate::blockdata::walk;
use crate::error::Invalid;
use crate::geometry::FrameGeometry;
use crate::header::{HEADER_LEN, ScHeader};
use crate::image::ScImage;

/// Assembler settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblerConfig {
    /// Accept only this payload type; `None` accepts any.
    pub payload_type: Option<u8>,
    /// Frames that may wait for late senders before the oldest is forced.
    pub max_pending_frames: usize,
    /// Bytes of packets that may wait, at most.
    pub max_pending_bytes: usize,
    /// Largest parent frame accepted.
    pub limits: Limits,
    /// Senders tracked at once; packets from more are dropped.
    pub max_sources: usize,
}

impl Default for AssemblerConfig {
    fn default() -> Self {
        AssemblerConfig {
            payload_type: Some(crate::packetizer::DEFAULT_PAYLOAD_TYPE),
            max_pending_frames: 4,
            max_pending_bytes: 64 << 20,
            limits: Limits::default(),
            max_sources: 1024,
        }
    }
}

/// A completed frame.
#[derive(Clone, Debug)]
pub struct AssembledFrame {
    pub timestamp: u32,
    /// Every block's current value.
    pub image: ScImage,
    /// The valid packets that described this frame, in arrival order.
    pub packets: Vec<Vec<u8>>,
    /// Blocks described for this timestamp.
    pub blocks_updated: usize,
    /// Completed because later frames piled up, not because every sender
    /// was done with it.
    pub forced: bool,
}

/// Counters of an assembler.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssemblerStats {
    pub packets: u64,
    pub bytes: u64,
    pub frames: u64,
    pub forced_frames: u64,
    pub duplicates: u64,
    /// Packets for a frame already completed.
    pub late: u64,
    /// Packets whose parent frame is over the limits, or from one sender
    /// too many.
    pub over_limits: u64,
    /// Invalid packets by reason, indexed by [`Invalid::index`].
    pub invalid: [u64; Invalid::ALL.len()],
    /// Times the parent geometry changed (the block state restarts).
    pub geometry_changes: u64,
}

impl AssemblerStats {
    /// Invalid packets of one reason.
    pub fn invalid(&self, reason: Invalid) -> u64 {
        self.invalid[reason.index()]
    }

    /// All invalid packets.
    pub fn invalid_total(&self) -> u64 {
        self.invalid.iter().sum()
    }
}

#[derive(Clone, Copy, Debug)]
struct Source {
    latest: u32,
    marked: Option<u32>,
}

#[derive(Debug)]
struct Pending {
    timestamp: u32,
    /// Packet, first block, block data range in the packet.
    packets: Vec<(Vec<u8>, u32, std::ops::Range<usize>)>,
    seen: HashSet<(u32, u16)>,
}

/// `a` is later than `b` in RTP timestamp order (wrap-aware).
fn later(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Reassembles SC streams into frames. See the module documentation.
#[derive(Debug)]
pub struct Assembler {
    config: AssemblerConfig,
    stats: AssemblerStats,
    state: Option<ScImage>,
    sources: HashMap<u32, Source>,
    /// Waiting frames, oldest first.
    pending: Vec<Pending>,
    pending_bytes: usize,
    last_emitted: Option<u32>,
}

impl Assembler {
    pub fn new(config: AssemblerConfig) -> Assembler {
        Assembler {
            config,
            stats: AssemblerStats::default(),
            state: None,
            sources: HashMap::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            last_emitted: None,
        }
    }

    pub fn stats(&self) -> &AssemblerStats {
        &self.stats
    }

    /// The current block state, if any packet was accepted.
    pub fn state(&self) -> Option<&ScImage> {
        self.state.as_ref()
    }

    fn reject(&mut self, reason: Invalid) -> Vec<AssembledFrame> {
        self.stats.invalid[reason.index()] += 1;
        Vec::new()
    }

    /// Takes one packet (RTP header included) and returns the frames it
    /// completes, oldest first. Invalid packets are counted and dropped.
    pub fn push(&mut self, packet: &[u8]) -> Vec<AssembledFrame> {
        self.stats.packets += 1;
        self.stats.bytes += packet.len() as u64;
        let Ok(rtp) = rtp_types::RtpPacket::parse(packet) else {
            return self.reject(Invalid::Rtp);
        };
        if rtp.version() != 2 {
            return self.reject(Invalid::Rtp);
        }
        if self
            .config
            .payload_type
            .is_some_and(|pt| pt != rtp.payload_type())
        {
            return self.reject(Invalid::PayloadType);
        }
        let (ssrc, seq, timestamp, marker) = (
            rtp.ssrc(),
            rtp.sequence_number(),
            rtp.timestamp(),
            rtp.marker_bit(),
        );
        let payload = rtp.payload();
        let header = match ScHeader::parse(payload) {
            Ok(h) => h,
            Err(reason) => return self.reject(reason),
        };
        let geometry = header.geometry;
        if self
            .config
            .limits
            .check_dimensions(
                u64::from(geometry.true_width),
                u64::from(geometry.true_height),
            )
            .is_err()
        {
            self.stats.over_limits += 1;
            return Vec::new();
        }
        let total = geometry.total_blocks();
        let region = header.region;
        let check = walk(&payload[HEADER_LEN..], header.first_block, |addr, _| {
            if addr >= total {
                Err(Invalid::BlockOutsideFrame)
            } else if !region.contains(&geometry, addr) {
                Err(Invalid::BlockOutsideRegion)
            } else {
                Ok(())
            }
        });
        if let Err(reason) = check {
            return self.reject(reason);
        }
        if self.last_emitted.is_some_and(|t| !later(timestamp, t)) {
            self.stats.late += 1;
            return Vec::new();
        }

        let mut completed = Vec::new();
        if self.state.as_ref().is_some_and(|s| s.geometry != geometry) {
            // A new parent geometry: older frames cannot take these blocks.
            if self.pending.iter().any(|p| !later(timestamp, p.timestamp)) {
                return self.reject(Invalid::GeometryMismatch);
            }
            completed.extend(self.flush());
            self.stats.geometry_changes += 1;
            self.state = None;
            self.sources.clear();
        }
        self.state.get_or_insert_with(|| ScImage::zeroed(geometry));

        let index = match self
            .pending
            .iter()
            .position(|p| !later(timestamp, p.timestamp))
        {
            Some(i) if self.pending[i].timestamp == timestamp => i,
            at => {
                let i = at.unwrap_or(self.pending.len());
                self.pending.insert(
                    i,
                    Pending {
                        timestamp,
                        packets: Vec::new(),
                        seen: HashSet::new(),
                    },
                );
                i
            }
        };
        if !self.sources.contains_key(&ssrc) && self.sources.len() >= self.config.max_sources {
            self.stats.over_limits += 1;
            return completed;
        }
        let frame = &mut self.pending[index];
        if !frame.seen.insert((ssrc, seq)) {
            self.stats.duplicates += 1;
            return completed;
        }
        // Where the block data lies in the packet (padding excluded).
        let payload_start = payload.as_ptr() as usize - packet.as_ptr() as usize;
        let data = payload_start + HEADER_LEN..payload_start + payload.len();
        frame
            .packets
            .push((packet.to_vec(), header.first_block, data));
        self.pending_bytes += packet.len();
        let source = self.sources.entry(ssrc).or_insert(Source {
            latest: timestamp,
            marked: None,
        });
        if later(timestamp, source.latest) {
            source.latest = timestamp;
        }
        if marker {
            source.marked = Some(timestamp);
        }
        self.complete_ready(&mut completed);
        completed
    }

    /// Completes every waiting frame, oldest first (end of stream).
    pub fn flush(&mut self) -> Vec<AssembledFrame> {
        let mut out = Vec::new();
        while !self.pending.is_empty() {
            let all_done = self.done_with(self.pending[0].timestamp);
            out.push(self.emit(!all_done));
        }
        out
    }

    fn done_with(&self, timestamp: u32) -> bool {
        self.sources
            .values()
            .all(|s| later(s.latest, timestamp) || s.marked == Some(timestamp))
    }

    fn complete_ready(&mut self, out: &mut Vec<AssembledFrame>) {
        while let Some(oldest) = self.pending.first() {
            let ts = oldest.timestamp;
            if self.done_with(ts) {
                out.push(self.emit(false));
            } else if self.pending.len() > self.config.max_pending_frames
                || self.pending_bytes > self.config.max_pending_bytes
            {
                // Forget the senders that held this frame up.
                self.sources
                    .retain(|_, s| later(s.latest, ts) || s.marked == Some(ts));
                out.push(self.emit(true));
            } else {
                break;
            }
        }
    }

    /// Applies the oldest waiting frame to the block state and returns it.
    fn emit(&mut self, forced: bool) -> AssembledFrame {
        let frame = self.pending.remove(0);
        let state = self.state.as_mut().expect("a frame implies a state");
        let mut updated = 0usize;
        let mut packets = Vec::with_capacity(frame.packets.len());
        for (packet, first_block, data) in frame.packets {
            self.pending_bytes -= packet.len();
            let blocks = &mut state.blocks;
            // Validated on arrival: this cannot fail.
            let _ = walk(&packet[data], first_block, |addr, block| {
                blocks[addr as usize] = *block;
                updated += 1;
                Ok(())
            });
            packets.push(packet);
        }
        self.last_emitted = Some(frame.timestamp);
        self.stats.frames += 1;
        if forced {
            self.stats.forced_frames += 1;
        }
        AssembledFrame {
            timestamp: frame.timestamp,
            image: state.clone(),
            packets,
            blocks_updated: updated,
            forced,
        }
    }

    /// The geometry of the stream, once known.
    pub fn geometry(&self) -> Option<FrameGeometry> {
        self.state.as_ref().map(|s| s.geometry)
    }
}
