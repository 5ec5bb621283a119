//! An FX processor: depayloads every input from the feed, decodes the
//! frames its subprogram computes, renders its band and packetizes it as
//! RTP/SC.

use std::collections::BTreeMap;
use std::sync::Arc;

use tessera_core::Limits;
use tessera_fx::eval::Renderer;
use tessera_fx::mapper::Subprogram;
use tessera_fx::{Env, FxError, Graph};
use tessera_jpeg::{CoefficientImage, QuantTable};
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_sc::{FrameGeometry, Packetizer, PacketizerConfig, ScImage};

use crate::clock::FrameClock;
use crate::collect::FrameCollector;
use crate::params::{ParamChange, ParamTimeline};

/// Counters of a processor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessorStats {
    /// Frames rendered.
    pub frames: u64,
    /// Input frames decoded.
    pub decoded: u64,
    /// Input frames that failed to decode (the input's previous frame, or
    /// grey, stood in).
    pub decode_errors: u64,
    /// Feed packets dropped: not RTP, off the frame grid, or part of a
    /// frame that could not be rebuilt.
    pub dropped_packets: u64,
    pub sc_packets: u64,
    pub sc_bytes: u64,
}

/// What a processor sends for each frame it renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Emit {
    /// Its band as RTP/SC, for the reconstructor to merge and encode.
    Sc,
    /// A processor that owns whole frames (temporal mapping) finishes them:
    /// JPEG at the output's IJG `quality`, as RTP/JPEG. The reconstructor
    /// only puts frames back in order, and its own encoder and the
    /// processors' give identical bytes.
    Jpeg { quality: u8 },
}

#[derive(Debug)]
struct InputState {
    depay: JpegDepayloader,
    current: FrameCollector,
    /// The last frame decoded, standing in when a frame fails to decode.
    coefficients: Option<Arc<CoefficientImage>>,
    /// What the next frame is decoded into: the frame before the last
    /// one, whose buffers are reused (swapped with `coefficients` once a
    /// frame decodes).
    spare: CoefficientImage,
    /// Its dequantized coefficients (a buffer reused frame after frame).
    sc: Option<Arc<ScImage>>,
}

/// Frames waiting for all their inputs, at most.
const MAX_PENDING_FRAMES: usize = 64;

/// A processor. Feed it the session's input packets and control messages
/// in the order they were published; it returns RTP/SC packets for each
/// frame its subprogram computes.
#[derive(Debug)]
pub struct Processor {
    sub: Subprogram,
    graph: Arc<Graph>,
    clock: FrameClock,
    inputs: Vec<InputState>,
    /// Frames of ours with the JPEG of each input received so far.
    pending: BTreeMap<u64, Vec<Option<Vec<u8>>>>,
    /// Frame number last seen, to unwrap timestamps.
    near: u64,
    params: ParamTimeline,
    renderer: Option<(Vec<FrameGeometry>, Renderer)>,
    out: Option<ScImage>,
    packetizer: Packetizer,
    /// Set when this processor finishes frames itself.
    finisher: Option<Finisher>,
    limits: Limits,
    stats: ProcessorStats,
}

/// JPEG encoding and RTP/JPEG framing of whole frames.
#[derive(Debug)]
struct Finisher {
    luma: QuantTable,
    chroma: QuantTable,
    payloader: JpegPayloader,
}

impl Processor {
    /// A processor running `sub`, its SC stream with SSRC `ssrc`. Frame
    /// timestamps follow `clock`.
    pub fn new(
        sub: Subprogram,
        clock: FrameClock,
        ssrc: u32,
        emit: Emit,
    ) -> Result<Processor, FxError> {
        sub.graph.validate().map_err(FxError::Mapping)?;
        let graph = Arc::new(sub.graph.clone());
        let packetizer = Packetizer::new(PacketizerConfig::new(ssrc))?;
        let finisher = match emit {
            Emit::Sc => None,
            Emit::Jpeg { .. } if sub.per_group != 1 => {
                return Err(FxError::Mapping(
                    "only a processor that owns whole frames can finish them".into(),
                ));
            }
            Emit::Jpeg { quality } => {
                let (luma, chroma) =
                    tessera_jpeg::quality::tables_for_quality(quality.clamp(1, 100));
                let payloader = JpegPayloader::new(JpegPayloaderConfig::new(ssrc))
                    .map_err(|e| FxError::Mapping(e.to_string()))?;
                Some(Finisher {
                    luma,
                    chroma,
                    payloader,
                })
            }
        };
        Ok(Processor {
            inputs: (0..graph.inputs.len())
                .map(|_| InputState {
                    depay: JpegDepayloader::new(),
                    current: FrameCollector::default(),
                    coefficients: None,
                    spare: CoefficientImage::default(),
                    sc: None,
                })
                .collect(),
            params: ParamTimeline::new(&graph),
            graph,
            sub,
            clock,
            pending: BTreeMap::new(),
            near: 0,
            renderer: None,
            out: None,
            packetizer,
            finisher,
            limits: Limits::default(),
            stats: ProcessorStats::default(),
        })
    }

    pub fn subprogram(&self) -> &Subprogram {
        &self.sub
    }

    pub fn stats(&self) -> ProcessorStats {
        self.stats
    }

    /// A parameter change from the feed.
    pub fn on_param(&mut self, change: ParamChange) {
        self.params.push(change);
    }

    /// An RTP/JPEG packet of input `input` from the feed.
    pub fn on_input_packet(&mut self, input: usize, packet: &[u8]) {
        let Some(state) = self.inputs.get_mut(input) else {
            self.stats.dropped_packets += 1;
            return;
        };
        let Ok(rtp) = rtp_types::RtpPacket::parse(packet) else {
            self.stats.dropped_packets += 1;
            return;
        };
        let (timestamp, marker) = (rtp.timestamp(), rtp.marker_bit());
        let Some(frame) = self.clock.frame(timestamp, self.near) else {
            self.stats.dropped_packets += 1;
            return;
        };
        self.near = self.near.max(frame);
        if !self.sub.handles(frame) {
            // Another group's frame: not even buffered.
            return;
        }
        let (dropped, packets) = state.current.push(packet, timestamp, marker);
        self.stats.dropped_packets += dropped;
        let Some(packets) = packets else { return };
        match state.depay.depayload(&packets) {
            Ok(jpeg) => {
                let n = self.graph.inputs.len();
                if self.pending.len() >= MAX_PENDING_FRAMES && !self.pending.contains_key(&frame) {
                    // A frame whose other inputs never came: give it up.
                    if let Some((_, lost)) = self.pending.pop_first() {
                        self.stats.dropped_packets += lost.iter().flatten().count() as u64;
                    }
                }
                self.pending.entry(frame).or_insert_with(|| vec![None; n])[input] = Some(jpeg);
            }
            Err(_) => self.stats.dropped_packets += packets.len() as u64,
        }
    }

    /// The oldest frame whose inputs have all arrived, with them.
    pub fn take_ready(&mut self) -> Option<(u64, Vec<Vec<u8>>)> {
        let (&frame, inputs) = self.pending.first_key_value()?;
        if inputs.iter().any(Option::is_none) {
            return None;
        }
        let (_, inputs) = self.pending.pop_first()?;
        Some((frame, inputs.into_iter().flatten().collect()))
    }

    /// Decodes `jpegs` (one per input), renders this processor's band of
    /// output frame `frame` and returns its RTP/SC packets.
    pub fn render(&mut self, frame: u64, jpegs: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, FxError> {
        if jpegs.len() != self.inputs.len() {
            return Err(FxError::Input(format!(
                "{} input frames for {} inputs",
                jpegs.len(),
                self.inputs.len()
            )));
        }
        // Decode every input to quantized coefficients; a frame that fails
        // to decode is stood in for by the input's previous one.
        for (state, jpeg) in self.inputs.iter_mut().zip(jpegs) {
            match tessera_jpeg::decode_coefficients_into(jpeg, &self.limits, &mut state.spare) {
                Ok(()) => {
                    let current = state.coefficients.as_mut().and_then(Arc::get_mut);
                    match current {
                        Some(current) => std::mem::swap(current, &mut state.spare),
                        None => {
                            state.coefficients = Some(Arc::new(std::mem::take(&mut state.spare)))
                        }
                    }
                    self.stats.decoded += 1;
                }
                Err(e) => {
                    self.stats.decode_errors += 1;
                    if state.coefficients.is_none() {
                        return Err(FxError::Input(format!("first frame: {e}")));
                    }
                }
            }
        }
        let coefficients: Vec<Arc<CoefficientImage>> = self
            .inputs
            .iter()
            .map(|s| s.coefficients.clone().expect("set above"))
            .collect();
        let geometries = coefficients
            .iter()
            .map(|c| {
                let format = c.chroma_format().ok_or_else(|| {
                    FxError::Input("input sampling without a planar chroma format".into())
                })?;
                Ok(FrameGeometry::for_format(c.width, c.height, format)?)
            })
            .collect::<Result<Vec<FrameGeometry>, FxError>>()?;
        let renderer = match &mut self.renderer {
            Some((g, r)) if *g == geometries => r,
            slot => {
                let r = Renderer::new(self.graph.clone(), &geometries)?;
                &mut slot.insert((geometries, r)).1
            }
        };
        self.params.prune(frame);
        let params = self.params.at(frame);
        let env = Env {
            frame,
            t: self.clock.seconds(frame),
            params: &params,
        };
        let timestamp = self.clock.timestamp(frame);
        // A whole frame on coefficients only: decode, mix and encode in
        // one pass, block by block; or a warp (inset) on the planar path
        // straight from the coefficients.
        if let Some(f) = &mut self.finisher
            && (renderer.output_is_dct() || renderer.is_planar())
        {
            let refs: Vec<&CoefficientImage> = coefficients.iter().map(|c| c.as_ref()).collect();
            let jpeg = if renderer.output_is_dct() {
                renderer.dct_jpeg(&env, &refs, &f.luma, &f.chroma)?
            } else {
                renderer.planar_jpeg(&env, &refs, &f.luma, &f.chroma)?
            };
            if let Some(jpeg) = jpeg {
                let packets = f
                    .payloader
                    .packetize(&jpeg, timestamp)
                    .map_err(|e| FxError::Input(format!("framing frame {frame}: {e}")))?;
                return Ok(self.count(packets));
            }
        }
        let mut images = Vec::with_capacity(jpegs.len());
        for (state, c) in self.inputs.iter_mut().zip(&coefficients) {
            // The input's buffer is reused: it is shared only while a frame
            // renders.
            let slot = state.sc.get_or_insert_with(|| {
                Arc::new(ScImage {
                    geometry: coefficients_geometry(),
                    blocks: Vec::new(),
                })
            });
            Arc::make_mut(slot).set_from_jpeg(c)?;
            images.push(slot.clone());
        }
        let geometry = renderer.output_geometry();
        let out = match &mut self.out {
            Some(out) if out.geometry == geometry => out,
            slot => slot.insert(ScImage::zeroed(geometry)),
        };
        let refs: Vec<&ScImage> = images.iter().map(|i| i.as_ref()).collect();
        let region = self.sub.region();
        renderer.render(&env, &refs, region, out)?;
        let packets = match &mut self.finisher {
            Some(f) => {
                let jpeg = out.to_jpeg_bytes(&f.luma, &f.chroma)?;
                f.payloader
                    .packetize(&jpeg, timestamp)
                    .map_err(|e| FxError::Input(format!("framing frame {frame}: {e}")))?
            }
            None => self.packetizer.packetize(out, region, timestamp)?,
        };
        Ok(self.count(packets))
    }

    /// Counts a rendered frame's packets.
    fn count(&mut self, packets: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        self.stats.frames += 1;
        self.stats.sc_packets += packets.len() as u64;
        self.stats.sc_bytes += packets.iter().map(|p| p.len() as u64).sum::<u64>();
        packets
    }
}

/// A placeholder geometry for an input buffer before its first frame.
fn coefficients_geometry() -> FrameGeometry {
    FrameGeometry::new(16, 16, 2, 2).expect("a valid geometry")
}
