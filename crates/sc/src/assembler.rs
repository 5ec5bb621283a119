//! The receiving side: RTP/SC packets from many senders, in any order, with
//! duplicates and losses, become complete frames (`docs/sc-format.md`
//! sections 2, 4 and 5).
//!
//! Written without I/O and without a clock: the caller pushes packets and
//! gets back the frames they complete. A frame for timestamp T completes
//! once the known senders' subregions cover the whole frame and every one
//! of them is done with T. A sender is done with T when it has sent a
//! packet of a later timestamp, or when T's marker packet has arrived
//! together with every packet before it: the sequence numbers from the
//! sender's previous marker (or from the packet that starts its
//! subregion) up to T's marker are all present, so reordering inside a
//! frame never completes it early. A sender that goes quiet cannot stall
//! the stream: when more than `max_pending_frames` frames wait, the oldest
//! is completed anyway (counted as forced) and the senders that were not
//! done with it are forgotten until they send again.
//!
//! Blocks keep their values between frames: a block no packet describes for
//! a timestamp keeps its previous value (conditional replenishment), and a
//! lost packet leaves its blocks as they were.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tessera_core::Limits;

use crate::blockdata::walk;
use crate::error::Invalid;
use crate::geometry::{FrameGeometry, Region};
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
    /// Wait until the senders' subregions cover the whole frame before
    /// completing it (turn off when senders cover only part on purpose;
    /// such frames otherwise complete only when forced).
    pub require_full_coverage: bool,
}

impl Default for AssemblerConfig {
    fn default() -> Self {
        AssemblerConfig {
            payload_type: Some(crate::packetizer::DEFAULT_PAYLOAD_TYPE),
            max_pending_frames: 4,
            max_pending_bytes: 64 << 20,
            limits: Limits::default(),
            max_sources: 1024,
            require_full_coverage: true,
        }
    }
}

/// A completed frame.
#[derive(Clone, Debug)]
pub struct AssembledFrame {
    pub timestamp: u32,
    /// Every block's current value. Shared with the assembler's block state:
    /// dropping it before the next frame completes lets the assembler
    /// update the blocks in place; holding it costs one copy of the frame.
    pub image: Arc<ScImage>,
    /// The valid packets that described this frame, in arrival order.
    pub packets: Vec<Vec<u8>>,
    /// Blocks described for this timestamp.
    pub blocks_updated: usize,
    /// Completed because later frames piled up (or the stream was
    /// flushed), not because every sender was done with it.
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

/// What the assembler knows of one sender (SSRC).
#[derive(Clone, Copy, Debug)]
struct Source {
    /// Latest timestamp it sent.
    latest: u32,
    /// Its subregion (from its latest packet).
    region: Region,
    /// Sequence number of the marker packet of its previous frame.
    prev_end: Option<u16>,
}

/// One sender's packets for one waiting frame.
#[derive(Clone, Debug, Default)]
struct FrameSource {
    seqs: HashSet<u16>,
    marker: Option<u16>,
    /// Sequence number of the packet that starts the subregion.
    start: Option<u16>,
}

#[derive(Debug)]
struct Pending {
    timestamp: u32,
    /// Packet, first block, block data range in the packet.
    packets: Vec<(Vec<u8>, u32, std::ops::Range<usize>)>,
    sources: HashMap<u32, FrameSource>,
}

/// `a` is later than `b` in RTP timestamp order (wrap-aware).
fn later(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Whether a sender has sent everything it will send for `frame`.
fn source_done(ssrc: u32, source: &Source, frame: &Pending) -> bool {
    if later(source.latest, frame.timestamp) {
        return true;
    }
    let Some(fs) = frame.sources.get(&ssrc) else {
        return false;
    };
    let start = source.prev_end.map(|p| p.wrapping_add(1)).or(fs.start);
    let (Some(end), Some(start)) = (fs.marker, start) else {
        return false;
    };
    let span = usize::from(end.wrapping_sub(start)) + 1;
    span <= fs.seqs.len() && (0..span).all(|i| fs.seqs.contains(&start.wrapping_add(i as u16)))
}

/// Reassembles SC streams into frames. See the module documentation.
#[derive(Debug)]
pub struct Assembler {
    config: AssemblerConfig,
    stats: AssemblerStats,
    state: Option<Arc<ScImage>>,
    sources: HashMap<u32, Source>,
    /// Waiting frames, oldest first.
    pending: Vec<Pending>,
    pending_bytes: usize,
    last_emitted: Option<u32>,
    /// Cached answer of [`Assembler::covered`].
    coverage: Option<bool>,
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
            coverage: None,
        }
    }

    pub fn stats(&self) -> &AssemblerStats {
        &self.stats
    }

    /// The current block state, if any packet was accepted.
    pub fn state(&self) -> Option<&ScImage> {
        self.state.as_deref()
    }

    /// The geometry of the stream, once known.
    pub fn geometry(&self) -> Option<FrameGeometry> {
        self.state.as_ref().map(|s| s.geometry)
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
        let (geometry, region) = (header.geometry, header.region);
        let (w, h) = (
            u64::from(geometry.true_width),
            u64::from(geometry.true_height),
        );
        if self.config.limits.check_dimensions(w, h).is_err() {
            self.stats.over_limits += 1;
            return Vec::new();
        }
        let total = geometry.total_blocks();
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
        if !self.sources.contains_key(&ssrc) && self.sources.len() >= self.config.max_sources {
            self.stats.over_limits += 1;
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
            self.coverage = None;
        }
        self.state
            .get_or_insert_with(|| Arc::new(ScImage::zeroed(geometry)));

        let at = self
            .pending
            .iter()
            .position(|p| !later(timestamp, p.timestamp));
        let index = match at {
            Some(i) if self.pending[i].timestamp == timestamp => i,
            _ => {
                let i = at.unwrap_or(self.pending.len());
                let frame = Pending {
                    timestamp,
                    packets: Vec::new(),
                    sources: HashMap::new(),
                };
                self.pending.insert(i, frame);
                i
            }
        };
        let starts_region = region.addresses(&geometry).next() == Some(header.first_block);
        let frame = &mut self.pending[index];
        let entry = frame.sources.entry(ssrc).or_default();
        if !entry.seqs.insert(seq) {
            self.stats.duplicates += 1;
            return completed;
        }
        if marker {
            entry.marker = Some(seq);
        }
        if starts_region {
            entry.start = Some(seq);
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
            region,
            prev_end: None,
        });
        if later(timestamp, source.latest) {
            source.latest = timestamp;
        }
        if source.region != region {
            source.region = region;
            self.coverage = None;
        }
        if self.sources.len() > 1 && self.coverage == Some(false) {
            // A new sender may complete the coverage.
            self.coverage = None;
        }
        self.complete_ready(&mut completed);
        completed
    }

    /// Completes every waiting frame, oldest first (end of stream).
    pub fn flush(&mut self) -> Vec<AssembledFrame> {
        let mut out = Vec::new();
        while !self.pending.is_empty() {
            let all_done = self.oldest_done();
            out.push(self.emit(!all_done));
        }
        out
    }

    fn oldest_done(&mut self) -> bool {
        let frame = &self.pending[0];
        let all_done = self
            .sources
            .iter()
            .all(|(&ssrc, source)| source_done(ssrc, source, frame));
        all_done && (!self.config.require_full_coverage || self.covered())
    }

    /// Whether the known senders' subregions cover the whole frame.
    fn covered(&mut self) -> bool {
        if let Some(c) = self.coverage {
            return c;
        }
        let Some(g) = self.geometry() else {
            return false;
        };
        let (mw, mh) = (g.mcu_width(), g.mcu_height());
        let cols = (g.bw() / u32::from(g.h_sub)) as usize;
        let rows = (g.bh() / u32::from(g.v_sub)) as usize;
        let mut mcus = vec![false; cols * rows];
        for s in self.sources.values() {
            let r = &s.region;
            let x0 = (u32::from(r.x) / mw) as usize;
            let y0 = (u32::from(r.y) / mh) as usize;
            let x1 = ((u32::from(r.x) + u32::from(r.width)) / mw) as usize;
            let y1 = ((u32::from(r.y) + u32::from(r.height)) / mh) as usize;
            for y in y0..y1.min(rows) {
                mcus[y * cols + x0.min(cols)..y * cols + x1.min(cols)].fill(true);
            }
        }
        let covered = mcus.iter().all(|&m| m);
        self.coverage = Some(covered);
        covered
    }

    fn complete_ready(&mut self, out: &mut Vec<AssembledFrame>) {
        while !self.pending.is_empty() {
            if self.oldest_done() {
                out.push(self.emit(false));
            } else if self.pending.len() > self.config.max_pending_frames
                || self.pending_bytes > self.config.max_pending_bytes
            {
                // Forget the senders that held this frame up.
                let frame = &self.pending[0];
                let keep: HashSet<u32> = self
                    .sources
                    .iter()
                    .filter(|&(&ssrc, source)| source_done(ssrc, source, frame))
                    .map(|(&ssrc, _)| ssrc)
                    .collect();
                self.sources.retain(|ssrc, _| keep.contains(ssrc));
                self.coverage = None;
                out.push(self.emit(true));
            } else {
                break;
            }
        }
    }

    /// Applies the oldest waiting frame to the block state and returns it.
    fn emit(&mut self, forced: bool) -> AssembledFrame {
        let frame = self.pending.remove(0);
        let shared = self.state.as_mut().expect("a frame implies a state");
        // Copies the blocks only if the previous frame is still held.
        let state = Arc::make_mut(shared);
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
        // Each sender's marker here starts the sequence range of its next
        // frame; without one, the next frame needs other evidence.
        for (ssrc, fs) in &frame.sources {
            if let Some(source) = self.sources.get_mut(ssrc) {
                source.prev_end = fs.marker;
            }
        }
        self.last_emitted = Some(frame.timestamp);
        self.stats.frames += 1;
        if forced {
            self.stats.forced_frames += 1;
        }
        AssembledFrame {
            timestamp: frame.timestamp,
            image: Arc::clone(shared),
            packets,
            blocks_updated: updated,
            forced,
        }
    }
}
