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
    /// The JPEG of the last frame that decoded, when the fused path only
    /// streamed it (`streamed`): `coefficients` is then older, and this
    /// frame is decoded for real if it has to stand in.
    last_jpeg: Vec<u8>,
    streamed: bool,
    /// Its dequantized coefficients (a buffer reused frame after frame).
    sc: Option<Arc<ScImage>>,
}

impl InputState {
    /// Decodes `jpeg` as this input's current frame (`coefficients`); when
    /// it fails, the last frame that decoded stands in. An error only when
    /// there is none.
    fn decode(
        &mut self,
        jpeg: &[u8],
        limits: &Limits,
        stats: &mut ProcessorStats,
    ) -> Result<(), FxError> {
        match tessera_jpeg::decode_coefficients_into(jpeg, limits, &mut self.spare) {
            Ok(()) => {
                self.keep_spare();
                self.streamed = false;
                stats.decoded += 1;
            }
            Err(e) => {
                stats.decode_errors += 1;
                if std::mem::replace(&mut self.streamed, false)
                    && tessera_jpeg::decode_coefficients_into(
                        &self.last_jpeg,
                        limits,
                        &mut self.spare,
                    )
                    .is_ok()
                {
                    self.keep_spare();
                }
                if self.coefficients.is_none() {
                    return Err(FxError::Input(format!("first frame: {e}")));
                }
            }
        }
        Ok(())
    }

    /// Makes the frame just decoded into `spare` the current one.
    fn keep_spare(&mut self) {
        match self.coefficients.as_mut().and_then(Arc::get_mut) {
            Some(current) => std::mem::swap(current, &mut self.spare),
            None => self.coefficients = Some(Arc::new(std::mem::take(&mut self.spare))),
        }
    }

    /// Records `jpeg` as the last frame that decoded, streamed without
    /// storing its coefficients (taken, not copied: `jpeg` gets the
    /// buffer it replaces).
    fn keep_streamed(&mut self, jpeg: &mut Vec<u8>) {
        std::mem::swap(&mut self.last_jpeg, jpeg);
        self.streamed = true;
    }
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
                    last_jpeg: Vec::new(),
                    streamed: false,
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
    /// output frame `frame` and returns its RTP/SC packets. The JPEGs are
    /// taken by value: the processor may keep them, to stand in for a
    /// later frame that fails to decode.
    pub fn render(&mut self, frame: u64, mut jpegs: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, FxError> {
        if jpegs.len() != self.inputs.len() {
            return Err(FxError::Input(format!(
                "{} input frames for {} inputs",
                jpegs.len(),
                self.inputs.len()
            )));
        }
        self.params.prune(frame);
        let params = self.params.at(frame);
        let env = Env {
            frame,
            t: self.clock.seconds(frame),
            params: &params,
        };
        let timestamp = self.clock.timestamp(frame);
        if let Some(packets) = self.render_streamed(&env, timestamp, &mut jpegs) {
            return packets;
        }
        // Decode every input to quantized coefficients; a frame that fails
        // to decode is stood in for by the input's previous one.
        for (state, jpeg) in self.inputs.iter_mut().zip(&jpegs) {
            state.decode(jpeg, &self.limits, &mut self.stats)?;
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
        let renderer = renderer_for(&mut self.renderer, &self.graph, geometries)?;
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

    /// The fused path straight from the JPEG bytes, for a processor that
    /// finishes whole frames of an effect that runs wholly on
    /// coefficients: the inputs are decoded MCU by MCU as the encoder asks
    /// for blocks, and none is stored. `None` when it does not apply (other
    /// effects, headers that do not parse, a frame that does not read
    /// every input) or an input fails to decode: the frame then takes the
    /// general path, which decodes every input whole and stands in for
    /// those that fail.
    fn render_streamed(
        &mut self,
        env: &Env<'_>,
        timestamp: u32,
        jpegs: &mut [Vec<u8>],
    ) -> Option<Result<Vec<Vec<u8>>, FxError>> {
        let f = self.finisher.as_mut()?;
        let geometries = jpegs
            .iter()
            .map(|jpeg| {
                let info = tessera_jpeg::read_info(jpeg, &self.limits).ok()?;
                FrameGeometry::for_format(info.width, info.height, info.chroma_format?).ok()
            })
            .collect::<Option<Vec<FrameGeometry>>>()?;
        let renderer = renderer_for(&mut self.renderer, &self.graph, geometries).ok()?;
        // (An input the frame does not read still gets decoded, as it may
        // have to stand in later: the general path does that.)
        if renderer.dct_terms(env)?.len() != jpegs.len() {
            return None;
        }
        let refs: Vec<&[u8]> = jpegs.iter().map(Vec::as_slice).collect();
        let jpeg = renderer
            .dct_jpeg_streaming(env, &refs, &self.limits, &f.luma, &f.chroma)
            .ok()??;
        for (state, bytes) in self.inputs.iter_mut().zip(jpegs.iter_mut()) {
            state.keep_streamed(bytes);
        }
        self.stats.decoded += jpegs.len() as u64;
        let packets = f
            .payloader
            .packetize(&jpeg, timestamp)
            .map_err(|e| FxError::Input(format!("framing frame {}: {e}", env.frame)));
        Some(packets.map(|p| self.count(p)))
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
/// The renderer for inputs of `geometries`: the one made last time when
/// they have not changed, else a new one kept in `slot`.
fn renderer_for<'r>(
    slot: &'r mut Option<(Vec<FrameGeometry>, Renderer)>,
    graph: &Arc<Graph>,
    geometries: Vec<FrameGeometry>,
) -> Result<&'r mut Renderer, FxError> {
    if !matches!(slot, Some((g, _)) if *g == geometries) {
        let r = Renderer::new(graph.clone(), &geometries)?;
        *slot = Some((geometries, r));
    }
    Ok(&mut slot.as_mut().expect("set above").1)
}

fn coefficients_geometry() -> FrameGeometry {
    FrameGeometry::new(16, 16, 2, 2).expect("a valid geometry")
}

#[cfg(test)]
mod tests {
    use tessera_core::pattern::moving_pattern;
    use tessera_core::{ChromaFormat, Rational};
    use tessera_jpeg::{EncodeOptions, HuffmanMode, decode_coefficients};
    use tessera_rtp::jpeg::JpegDepayloader;

    use super::*;

    fn jpeg(index: u32, quality: u8) -> Vec<u8> {
        let frame = moving_pattern(64, 48, ChromaFormat::Yuv420, index);
        let options = EncodeOptions {
            huffman: HuffmanMode::Standard,
            ..EncodeOptions::default()
        };
        tessera_jpeg::encode_frame(&frame, quality, &options).unwrap()
    }

    /// A processor that finishes whole frames of a dissolve whose amount
    /// is 0 at frame 0 (input b unread there) and grows by 0.2 a frame.
    fn dissolve_processor() -> (Processor, Arc<Graph>) {
        let graph = tessera_fx::lang::compile("input a, b; output dissolve(a, b, t * 5);").unwrap();
        let sub = Subprogram {
            processor: 0,
            group: 0,
            groups: 1,
            per_group: 1,
            region: [0, 0, 64, 48],
            input_regions: vec![None, None],
            graph: graph.clone(),
        };
        let clock = FrameClock::new(Rational { num: 25, den: 1 });
        let processor = Processor::new(sub, clock, 7, Emit::Jpeg { quality: 80 }).unwrap();
        (processor, Arc::new(graph))
    }

    /// Frames with corrupt inputs take the general path, which stands in
    /// the input's last frame that decoded, including one the fused path
    /// only streamed; every frame's output is the dissolve of the frames
    /// that stand for its inputs.
    #[test]
    fn corrupt_frames_are_stood_in_for_on_the_streamed_path() {
        let (mut processor, graph) = dissolve_processor();
        let a: Vec<Vec<u8>> = (0..5).map(|i| jpeg(i, 90)).collect();
        let b: Vec<Vec<u8>> = (0..5).map(|i| jpeg(100 + i, 60)).collect();
        let cut = |j: &Vec<u8>| j[..j.len() / 2].to_vec();
        // (inputs fed, inputs that stand for them)
        let frames = [
            ([&a[0], &b[0]], [&a[0], &b[0]]),
            ([&a[1], &b[1]], [&a[1], &b[1]]),
            ([&a[2], &cut(&b[2])], [&a[2], &b[1]]),
            ([&a[3], &b[3]], [&a[3], &b[3]]),
            ([&cut(&a[4]), &b[4]], [&a[3], &b[4]]),
        ];
        let geometry = FrameGeometry::for_format(64, 48, ChromaFormat::Yuv420).unwrap();
        let mut renderer = Renderer::new(graph, &[geometry, geometry]).unwrap();
        let (luma, chroma) = tessera_jpeg::quality::tables_for_quality(80);
        let limits = Limits::default();
        for (frame, (fed, standing)) in frames.iter().enumerate() {
            let fed: Vec<Vec<u8>> = fed.iter().map(|j| j.to_vec()).collect();
            let packets = processor.render(frame as u64, fed).unwrap();
            let got = JpegDepayloader::new().depayload(&packets).unwrap();
            let images: Vec<CoefficientImage> = standing
                .iter()
                .map(|j| decode_coefficients(j, &limits).unwrap())
                .collect();
            let refs: Vec<&CoefficientImage> = images.iter().collect();
            let env = Env {
                frame: frame as u64,
                t: frame as f64 / 25.0,
                params: &[],
            };
            let want = renderer
                .dct_jpeg(&env, &refs, &luma, &chroma)
                .unwrap()
                .unwrap();
            let (got, want) = (
                decode_coefficients(&got, &limits).unwrap(),
                decode_coefficients(&want, &limits).unwrap(),
            );
            assert_eq!(got.quant_tables, want.quant_tables, "frame {frame}");
            assert_eq!(got.components.len(), want.components.len());
            for (g, w) in got.components.iter().zip(&want.components) {
                assert_eq!(g.blocks.len(), w.blocks.len());
                for (i, (x, y)) in g.blocks.iter().zip(&w.blocks).enumerate() {
                    assert_eq!(x, y, "frame {frame} block {i}");
                }
            }
        }
        let stats = processor.stats();
        assert_eq!(
            (stats.frames, stats.decoded, stats.decode_errors),
            (5, 8, 2)
        );
    }

    #[test]
    fn a_corrupt_first_frame_is_an_error() {
        let (mut processor, _) = dissolve_processor();
        let good = jpeg(0, 90);
        let bad = good[..good.len() / 2].to_vec();
        assert!(processor.render(1, vec![good.clone(), bad]).is_err());
        assert!(processor.render(2, vec![good.clone(), good]).is_ok());
    }
}
