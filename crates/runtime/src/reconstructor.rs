//! The reconstructor: assembles the processors' RTP/SC bands into whole
//! frames (one assembler per group of processors), puts the frames back
//! in order and transcodes them to JPEG in the DCT domain.

use std::collections::BTreeMap;
use std::sync::Arc;

use tessera_jpeg::QuantTable;
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_sc::{Assembler, AssemblerConfig, ScError, ScImage};

use crate::clock::FrameClock;
use crate::collect::FrameCollector;

/// Counters of a reconstructor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReconstructorStats {
    pub frames: u64,
    pub packets: u64,
    /// Packets the assemblers refused (invalid, late, duplicate, over limits).
    pub dropped_packets: u64,
    /// Frames completed without every band (forced by later frames or the
    /// end of the stream).
    pub incomplete_frames: u64,
    /// Frames never completed, skipped to keep the output moving.
    pub missing_frames: u64,
    pub jpeg_bytes: u64,
}

/// Output frames held for reordering, at most, before a missing one is
/// skipped.
const MAX_REORDER: usize = 64;

/// A finished output frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFrame {
    pub frame: u64,
    pub jpeg: Vec<u8>,
}

/// A frame waiting for its turn.
#[derive(Debug)]
enum Ready {
    /// Merged bands, to be encoded.
    Sc(Arc<ScImage>),
    /// Finished by a processor (RTP/JPEG, depayloaded).
    Jpeg(Vec<u8>),
}

#[derive(Debug)]
pub struct Reconstructor {
    groups: Vec<Assembler>,
    /// Per group: RTP/JPEG packets of the finished frame in progress.
    finished: Vec<FrameCollector>,
    depay: JpegDepayloader,
    /// Frames this reconstructor encodes take the same RTP/JPEG framing
    /// as processors' finished frames, so both give identical bytes.
    framing: JpegPayloader,
    clock: FrameClock,
    near: u64,
    next: u64,
    waiting: BTreeMap<u64, Ready>,
    luma: QuantTable,
    chroma: QuantTable,
    stats: ReconstructorStats,
}

impl Reconstructor {
    /// A reconstructor for `groups` groups whose output JPEGs use the IJG
    /// tables of `quality`.
    pub fn new(groups: usize, clock: FrameClock, quality: u8) -> Reconstructor {
        let (luma, chroma) = tessera_jpeg::quality::tables_for_quality(quality.clamp(1, 100));
        Reconstructor {
            finished: (0..groups.max(1))
                .map(|_| FrameCollector::default())
                .collect(),
            depay: JpegDepayloader::new(),
            framing: JpegPayloader::new(JpegPayloaderConfig::new(0))
                .expect("the default RTP/JPEG settings are valid"),
            groups: (0..groups.max(1))
                .map(|_| {
                    Assembler::new(AssemblerConfig {
                        // Frames of a group arrive in order; a few may wait
                        // for a slow band.
                        max_pending_frames: 8,
                        ..AssemblerConfig::default()
                    })
                })
                .collect(),
            clock,
            near: 0,
            next: 0,
            waiting: BTreeMap::new(),
            luma,
            chroma,
            stats: ReconstructorStats::default(),
        }
    }

    pub fn stats(&self) -> ReconstructorStats {
        let mut stats = self.stats;
        // Its own drops (finished frames that could not be rebuilt) plus
        // the assemblers'.
        stats.dropped_packets += self
            .groups
            .iter()
            .map(|a| {
                let s = a.stats();
                s.invalid_total() + s.late + s.duplicates + s.over_limits
            })
            .sum::<u64>();
        stats
    }

    /// Next output frame number due.
    pub fn next_frame(&self) -> u64 {
        self.next
    }

    /// An RTP/SC packet from a processor of group `group`; returns the
    /// frames that are now complete and in order, as JPEG.
    pub fn on_packet(&mut self, group: usize, packet: &[u8]) -> Result<Vec<OutputFrame>, ScError> {
        self.stats.packets += 1;
        let Some(assembler) = self.groups.get_mut(group) else {
            self.stats.dropped_packets += 1;
            return Ok(Vec::new());
        };
        let done = assembler.push(packet);
        self.accept(done);
        self.drain()
    }

    /// An RTP/JPEG packet of a frame a processor of group `group` finished;
    /// returns the frames that are now complete and in order.
    pub fn on_jpeg_packet(
        &mut self,
        group: usize,
        packet: &[u8],
    ) -> Result<Vec<OutputFrame>, ScError> {
        self.stats.packets += 1;
        let (Some(state), Ok(rtp)) = (
            self.finished.get_mut(group),
            rtp_types::RtpPacket::parse(packet),
        ) else {
            self.stats.dropped_packets += 1;
            return Ok(Vec::new());
        };
        let (timestamp, marker) = (rtp.timestamp(), rtp.marker_bit());
        let (dropped, packets) = state.push(packet, timestamp, marker);
        self.stats.dropped_packets += dropped;
        let Some(packets) = packets else {
            return Ok(Vec::new());
        };
        let frame = self.clock.frame(timestamp, self.near);
        match (frame, self.depay.depayload(&packets)) {
            (Some(frame), Ok(jpeg)) if frame >= self.next => {
                self.near = self.near.max(frame);
                self.waiting.insert(frame, Ready::Jpeg(jpeg));
                self.bound_reorder();
            }
            (Some(_), Ok(_)) => {}
            _ => self.stats.dropped_packets += packets.len() as u64,
        }
        self.drain()
    }

    /// Completes whatever the assemblers hold (the stream has ended) and
    /// returns the remaining frames in order, skipping missing ones.
    pub fn finish(&mut self) -> Result<Vec<OutputFrame>, ScError> {
        let mut done = Vec::new();
        for a in &mut self.groups {
            done.extend(a.flush());
        }
        self.accept(done);
        let mut out = self.drain()?;
        while let Some((&frame, _)) = self.waiting.first_key_value() {
            self.stats.missing_frames += frame - self.next;
            self.next = frame;
            out.extend(self.drain()?);
        }
        Ok(out)
    }

    fn accept(&mut self, done: Vec<tessera_sc::AssembledFrame>) {
        for f in done {
            let Some(frame) = self.clock.frame(f.timestamp, self.near) else {
                self.stats.dropped_packets += 1;
                continue;
            };
            if frame < self.next {
                continue;
            }
            self.near = self.near.max(frame);
            if f.forced {
                self.stats.incomplete_frames += 1;
            }
            self.waiting.insert(frame, Ready::Sc(f.image));
        }
        self.bound_reorder();
    }

    /// Skips a missing frame when too many later ones wait.
    fn bound_reorder(&mut self) {
        if self.waiting.len() > MAX_REORDER
            && let Some((&first, _)) = self.waiting.first_key_value()
        {
            self.stats.missing_frames += first - self.next;
            self.next = first;
        }
    }

    fn drain(&mut self) -> Result<Vec<OutputFrame>, ScError> {
        let mut out = Vec::new();
        while let Some(ready) = self.waiting.remove(&self.next) {
            let jpeg = match ready {
                Ready::Jpeg(jpeg) => jpeg,
                Ready::Sc(image) => {
                    let encoded = image.to_jpeg_bytes(&self.luma, &self.chroma)?;
                    let timestamp = self.clock.timestamp(self.next);
                    let framed = self
                        .framing
                        .packetize(&encoded, timestamp)
                        .map_err(|e| ScError::InvalidArgument(e.to_string()))?;
                    self.depay
                        .depayload(&framed)
                        .map_err(|e| ScError::InvalidArgument(e.to_string()))?
                }
            };
            self.stats.frames += 1;
            self.stats.jpeg_bytes += jpeg.len() as u64;
            out.push(OutputFrame {
                frame: self.next,
                jpeg,
            });
            self.next += 1;
        }
        Ok(out)
    }
}
