//! The encoder: rectangular I- and P-VOPs with predictive motion search,
//! half-sample and four-vector motion, intra DC/AC prediction, video packets
//! (optionally data partitioned) and constant-quantiser or target-bitrate
//! rate control.
//!
//! A VOP is cut into *segments*, contiguous macroblock ranges that start a
//! video packet each, so they share no prediction and are coded in parallel
//! (one thread each) into packet bodies; the VOP is then assembled in order,
//! adding the stuffing and resync headers that depend on bit alignment.

mod me;
pub mod rc;
mod shape;

use std::ops::Range;

use tessera_core::{ChromaFormat, Frame, Plane, Rational};

use crate::bits::BitWriter;
use crate::error::{Error, Result};
use crate::header::{self, QuantType, Shape, VbvParams, Vol, VopHeader, VopType};
use crate::mb::{MbCode, MbType, PartitionedWriter, write_mb};
use crate::mc::HalfPlanes;
use crate::picture::Picture;
use crate::pred::{PredState, mv_range, wrap_mv};
use crate::quant::{Rounding, dc_scaler, quantize_block, quantize_intra_dc, round_div};
use crate::recon::{self, MbPixels, VopContext, block_layout, intra_scan, predict_mb_with};
use crate::shape::BabEncoder;
use crate::shape::layer::ShapeLayer;
use crate::shape::pad::{pad_lpe, pad_vop};
use crate::shape::vop::{VopRect, chroma_alpha, crop};
use crate::vlc;
use me::{MbMotion, Planes, Search};
pub use rc::RateControl;
use shape::{Coverage, ShapeEnc};

/// How VOPs are cut into video packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packets {
    /// One packet per VOP (resync markers disabled) unless threads need more.
    Off,
    /// A new packet once the current one reaches this many bits.
    Bits(u32),
    /// Packets of this many macroblocks.
    Macroblocks(u32),
}

/// Encoder settings.
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    pub width: usize,
    pub height: usize,
    pub frame_rate: Rational,
    pub rate: RateControl,
    /// Distance between I-VOPs (each starts a GOV); 0 = only the first.
    pub gop: u32,
    /// Motion search range in full samples.
    pub search_range: u32,
    pub packets: Packets,
    pub data_partitioned: bool,
    pub quant: QuantType,
    pub four_mv: bool,
    /// Code every macroblock intra again after this many inter codings
    /// (0 = never). H.263 mandates 132 to bound the drift between encoder
    /// and decoder inverse DCTs; MPEG-4 decoders conforming to IEEE 1180
    /// drift little (our stream decoded by ffmpeg stays above 50 dB after
    /// 300 P-VOPs), so it is off by default, as in ffmpeg.
    pub intra_refresh: u32,
    pub threads: usize,
    /// Text of the user data after the VOL.
    pub user_data: String,
    /// `video_object_layer_shape`: rectangular frames ([`Encoder::encode`])
    /// or an object with a binary shape, with or without texture
    /// ([`Encoder::encode_object`]).
    pub shape: Shape,
    /// Lossy shape: the largest sum of absolute differences (samples as
    /// 0/255) a BAB's reconstruction may have against the input in any
    /// 4x4 block; 0 codes shapes losslessly.
    pub alpha_threshold: u32,
    /// `video_object_id` (0..=31).
    pub object_id: u8,
}

impl EncoderConfig {
    pub fn new(width: usize, height: usize, frame_rate: Rational) -> EncoderConfig {
        EncoderConfig {
            width,
            height,
            frame_rate,
            rate: RateControl::Qp(5),
            gop: 12 * 25,
            search_range: 16,
            packets: Packets::Off,
            data_partitioned: false,
            quant: QuantType::H263,
            four_mv: true,
            intra_refresh: 0,
            threads: 1,
            user_data: format!("tessera {}", env!("CARGO_PKG_VERSION")),
            shape: Shape::Rectangular,
            alpha_threshold: 0,
            object_id: 0,
        }
    }
}

/// Simple Profile levels (Table N-1 of Annex N): (indication, max MBs per
/// VOP, max MBs per second, max bit rate).
const SIMPLE_LEVELS: [(u8, u32, u32, u64); 7] = [
    (0x01, 99, 1485, 64_000),
    (0x02, 396, 5940, 128_000),
    (0x03, 396, 11880, 384_000),
    (0x04, 1200, 36000, 4_000_000),
    (0x05, 1620, 40500, 8_000_000),
    (0x06, 3600, 108_000, 12_000_000),
    (0x08, 99, 1485, 64_000),
];

/// The smallest Simple Profile level whose limits hold the stream; streams
/// beyond level 6 are marked level 6 (no Simple level covers them).
pub fn simple_profile_level(width: usize, height: usize, fps: f64, bit_rate: u64) -> u8 {
    let mbs = (width.div_ceil(16) * height.div_ceil(16)) as u32;
    let rate = f64::from(mbs) * fps;
    SIMPLE_LEVELS[..6]
        .iter()
        .find(|&&(_, max_mbs, max_rate, max_bits)| {
            mbs <= max_mbs && rate <= f64::from(max_rate) && bit_rate <= max_bits
        })
        .map_or(0x06, |l| l.0)
}

/// Core Profile level of a shaped layer (Table G-1 codes: L1 0x21 for
/// scenes up to QCIF, L2 0x22 beyond).
pub fn core_profile_level(width: usize, height: usize) -> u8 {
    if width.div_ceil(16) * height.div_ceil(16) <= 99 {
        0x21
    } else {
        0x22
    }
}

/// Statistics of one coded VOP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VopStats {
    pub intra_mbs: u32,
    pub inter_mbs: u32,
    pub inter4v_mbs: u32,
    pub skipped_mbs: u32,
    pub packets: u32,
    pub motion_bits: u64,
}

/// One coded VOP.
#[derive(Debug, Clone)]
pub struct EncodedVop {
    /// The access unit: GOV header (before I-VOPs) and the VOP.
    pub data: Vec<u8>,
    pub kind: VopType,
    pub qp: u8,
    /// Presentation time in `vop_time_increment_resolution` ticks.
    pub time: u64,
    /// Byte offsets in `data` where video packets after the first start
    /// (their stuffing begins just before): RTP payloaders cut there.
    pub packet_offsets: Vec<usize>,
    pub stats: VopStats,
    /// Squared error of the reconstruction against the input per plane
    /// (Y, Cb, Cr) over the visible area (shaped VOPs: over the samples
    /// inside both the input and the reconstructed shape), for PSNR.
    pub sse: [u64; 3],
    /// Shaped layers: the VOP's shape and its figures.
    pub shape: Option<ShapeStats>,
}

/// What a shaped VOP holds and what its shape cost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShapeStats {
    /// The VOP in the scene; `None` for an absent object (VOP not coded).
    pub rect: Option<VopRect>,
    /// Bits of binary shape data (BAB types, shape vectors, CAE).
    pub shape_bits: u64,
    /// Samples per plane that `sse` covers.
    pub samples: [u64; 3],
    /// Luma samples whose decoded shape differs from the input shape.
    pub shape_errors: u64,
    /// Opaque luma samples of the input shape.
    pub opaque: u64,
    /// The reconstructed shape (`rect`'s size, 0/255).
    pub alpha: Vec<u8>,
}

impl EncodedVop {
    /// PSNR of each plane in dB (100 for a perfect plane) given the frame
    /// size the encoder was configured with; shaped VOPs: inside the
    /// shape.
    pub fn psnr(&self, width: usize, height: usize) -> [f64; 3] {
        let luma = (width * height) as f64;
        let chroma = ((width / 2).max(1) * (height / 2).max(1)) as f64;
        [0, 1, 2].map(|p| {
            let n = match &self.shape {
                Some(s) => s.samples[p] as f64,
                None if p == 0 => luma,
                None => chroma,
            };
            if self.sse[p] == 0 || n == 0.0 {
                100.0
            } else {
                10.0 * (255.0 * 255.0 * n / self.sse[p] as f64).log10()
            }
        })
    }
}

/// The MPEG-4 Part 2 encoder.
#[derive(Debug)]
pub struct Encoder {
    cfg: EncoderConfig,
    vol: Vol,
    profile_level: u8,
    increment: u32,
    src: Picture,
    recon: Picture,
    reference: Picture,
    frames: u64,
    /// Whole seconds of the modulo time base's synchronisation point.
    sync_seconds: u64,
    rounding: bool,
    prev_mvs: Vec<[i32; 2]>,
    /// Per macroblock: inter codings since its last intra coding (IDCT
    /// mismatch control, see `REFRESH_PERIOD`).
    refresh: Vec<u16>,
    rc: rc::RateController,
    states: Vec<PredState>,
    half: HalfPlanes,
    /// Buffers kept between VOPs: motion per macroblock, reconstructed
    /// macroblocks per segment, the bitstream being written.
    motion: Vec<MbMotion>,
    pixels: Vec<Vec<MbPixels>>,
    writer: BitWriter,
    /// The current VOP's macroblock grid.
    mb_w: usize,
    mb_h: usize,
    /// Shaped layers: the VOP being coded, the last coded VOP's shape (the
    /// reference's), and whether the next VOP must be intra (the first,
    /// or after an absence).
    shape: Option<ShapeEnc>,
    shape_ref: Option<ShapeLayer>,
    force_intra: bool,
}

impl Encoder {
    pub fn new(cfg: EncoderConfig) -> Result<Encoder> {
        if cfg.width == 0 || cfg.height == 0 || cfg.width > 8191 || cfg.height > 8191 {
            return Err(Error::Config(format!(
                "size {}x{} (1..=8191 each)",
                cfg.width, cfg.height
            )));
        }
        if cfg.search_range == 0 || cfg.search_range > 1024 {
            return Err(Error::Config(format!(
                "search range {} (1..=1024)",
                cfg.search_range
            )));
        }
        let (num, den) = (cfg.frame_rate.num, cfg.frame_rate.den);
        if num == 0 || den == 0 {
            return Err(Error::Config(format!("frame rate {num}/{den}")));
        }
        // vop_time_increment_resolution = numerator (reduced to 16 bits).
        let (mut res, mut inc) = (u64::from(num), u64::from(den));
        let g = gcd(res, inc);
        res /= g;
        inc /= g;
        while res > 65535 {
            res = res.div_ceil(2);
            inc = inc.div_ceil(2).max(1);
        }
        let fps = res as f64 / inc as f64;
        let bit_rate = cfg.rate.bit_rate().unwrap_or(0);
        let vbv = cfg.rate.bit_rate().map(|b| {
            let buffer = rc::vbv_buffer_bits(b);
            VbvParams {
                bit_rate_400: (b.div_ceil(400)).min((1 << 30) - 1) as u32,
                buffer_size_16k: (buffer.div_ceil(16384)).min((1 << 18) - 1) as u32,
                occupancy_64: ((buffer * 3 / 4) / 64).min((1 << 26) - 1) as u32,
            }
        });
        let shaped = cfg.shape != Shape::Rectangular;
        if shaped && (cfg.data_partitioned || cfg.packets != Packets::Off) {
            return Err(Error::Config(
                "shaped objects are coded without video packets or data partitioning".into(),
            ));
        }
        if cfg.object_id > 31 {
            return Err(Error::Config(format!(
                "object id {} (0..=31)",
                cfg.object_id
            )));
        }
        let vol = Vol {
            object_id: cfg.object_id,
            layer_id: 0,
            object_type: if shaped { 3 } else { 1 },
            vbv,
            shape: cfg.shape,
            time_resolution: res as u16,
            fixed_increment: Some(inc as u16),
            width: cfg.width as u16,
            height: cfg.height as u16,
            quant: cfg.quant.clone(),
            resync_marker_disable: shaped
                || (cfg.packets == Packets::Off && cfg.threads <= 1 && !cfg.data_partitioned),
            data_partitioned: cfg.data_partitioned,
            reversible_vlc: false,
        };
        let profile_level = if shaped {
            core_profile_level(cfg.width, cfg.height)
        } else {
            simple_profile_level(cfg.width, cfg.height, fps, bit_rate)
        };
        let mbs = vol.mb_width() * vol.mb_height();
        let rc = rc::RateController::new(&cfg.rate, fps, mbs);
        Ok(Encoder {
            src: Picture::new(cfg.width, cfg.height),
            recon: Picture::new(cfg.width, cfg.height),
            reference: Picture::new(cfg.width, cfg.height),
            prev_mvs: vec![[0, 0]; mbs],
            // Staggered so the forced intra macroblocks spread over VOPs.
            refresh: (0..mbs)
                .map(|i| refresh_offset(i, cfg.intra_refresh))
                .collect(),
            states: Vec::new(),
            half: HalfPlanes::default(),
            motion: Vec::new(),
            pixels: Vec::new(),
            writer: BitWriter::new(),
            mb_w: vol.mb_width(),
            mb_h: vol.mb_height(),
            shape: None,
            shape_ref: None,
            force_intra: true,
            increment: inc as u32,
            vol,
            profile_level,
            frames: 0,
            sync_seconds: 0,
            rounding: false,
            rc,
            cfg,
        })
    }

    pub fn vol(&self) -> &Vol {
        &self.vol
    }

    pub fn profile_level(&self) -> u8 {
        self.profile_level
    }

    /// The configuration headers: visual object sequence, visual object,
    /// video object layer and user data (MP4 decoder specific info, SDP
    /// `config`, and the start of a `.m4v` file).
    pub fn headers(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        header::write_sequence_start(&mut w, self.profile_level);
        self.vol.write(&mut w);
        header::write_user_data(&mut w, &self.cfg.user_data);
        w.into_bytes()
    }

    /// The reconstruction of the last coded VOP (what decoders show).
    pub fn reconstruction(&self) -> Frame {
        self.reference.to_frame()
    }

    /// Frame rate as coded (ticks per second, ticks per frame).
    pub fn time_base(&self) -> (u32, u32) {
        (u32::from(self.vol.time_resolution), self.increment)
    }

    fn check_size(&self, width: usize, height: usize) -> Result<()> {
        if width != self.cfg.width || height != self.cfg.height {
            return Err(Error::FrameSize {
                got_w: width as u32,
                got_h: height as u32,
                want_w: self.cfg.width as u32,
                want_h: self.cfg.height as u32,
            });
        }
        Ok(())
    }

    /// Encodes the next frame (4:2:0 of the configured size) of a
    /// rectangular layer.
    pub fn encode(&mut self, frame: &Frame) -> Result<EncodedVop> {
        if self.vol.shape != Shape::Rectangular {
            return Err(Error::Config(
                "a shaped layer codes objects: use encode_object".into(),
            ));
        }
        self.check_size(frame.width, frame.height)?;
        if frame.format == ChromaFormat::Yuv420 {
            self.src.load(frame);
        } else {
            self.src.load(&frame.with_format(ChromaFormat::Yuv420));
        }
        let kind = self.next_kind();
        self.encode_loaded(kind)
    }

    /// I-VOPs start the stream and every GOP (and, for objects, follow an
    /// absence).
    fn next_kind(&self) -> VopType {
        if self.frames == 0
            || self.force_intra
            || (self.cfg.gop > 0 && self.frames.is_multiple_of(u64::from(self.cfg.gop)))
        {
            VopType::I
        } else {
            VopType::P
        }
    }

    /// Encodes the next frame of a shaped layer: the object is where
    /// `mask` (luma size, nonzero inside) says. The VOP is the mask's
    /// bounding rectangle on the macroblock grid; an empty mask gives a
    /// VOP that is not coded (the object is absent) and makes the next
    /// VOP intra.
    pub fn encode_object(&mut self, frame: &Frame, mask: &Plane) -> Result<EncodedVop> {
        if self.vol.shape == Shape::Rectangular {
            return Err(Error::Config(
                "a rectangular layer codes frames: use encode".into(),
            ));
        }
        self.check_size(frame.width, frame.height)?;
        self.check_size(mask.width, mask.height)?;
        let Some(rect) = VopRect::around(mask) else {
            return Ok(self.absent());
        };
        let frame = if frame.format == ChromaFormat::Yuv420 {
            std::borrow::Cow::Borrowed(frame)
        } else {
            std::borrow::Cow::Owned(frame.with_format(ChromaFormat::Yuv420))
        };
        let mut input = crop(mask, &rect, 0, 0);
        for a in &mut input {
            *a = if *a != 0 { 255 } else { 0 };
        }
        let kind = self.next_kind();
        // The source over the VOP; intra boundary blocks are coded with
        // their transparent samples extrapolated from the opaque ones.
        let mut src = Picture::new(rect.width, rect.height);
        let calpha = chroma_alpha(&input, rect.width, rect.height);
        for (k, (dst, plane)) in src.planes.iter_mut().zip(&frame.planes).enumerate() {
            let shift = u32::from(k > 0);
            let data = crop(plane, &rect, shift, 128);
            let w = rect.width >> shift;
            for (y, row) in data.chunks_exact(w).enumerate() {
                dst.row_mut(y)[..w].copy_from_slice(row);
            }
            let alpha = if k == 0 { &input } else { &calpha };
            for by in (0..rect.height >> shift).step_by(8) {
                for bx in (0..w).step_by(8) {
                    let i = dst.index(bx as isize, by as isize);
                    let stride = dst.stride;
                    pad_lpe(&mut dst.data[i..], stride, &alpha[by * w + bx..], w);
                }
            }
            dst.extend_edges();
        }
        self.src = src;
        let prev = match kind {
            VopType::P => self.shape_ref.take(),
            VopType::I => None,
        };
        if let Some(p) = &prev {
            self.reference = self.reference.translated(
                (rect.x - p.rect.x) as isize,
                (rect.y - p.rect.y) as isize,
                rect.width,
                rect.height,
            );
        }
        self.recon = Picture::new(rect.width, rect.height);
        let bab = BabEncoder {
            alpha_threshold: self.cfg.alpha_threshold,
            change_conv_ratio_disable: false,
        };
        self.shape = Some(ShapeEnc::new(
            bab,
            rect,
            input,
            prev,
            self.vol.shape != Shape::BinaryOnly,
        ));
        self.set_grid(rect.mb_width(), rect.mb_height());
        self.encode_loaded(kind)
    }

    /// Sizes the per-macroblock state for a VOP's grid.
    fn set_grid(&mut self, mb_w: usize, mb_h: usize) {
        if (mb_w, mb_h) != (self.mb_w, self.mb_h) {
            self.mb_w = mb_w;
            self.mb_h = mb_h;
            self.states.clear();
            self.prev_mvs = vec![[0, 0]; mb_w * mb_h];
            self.refresh = (0..mb_w * mb_h)
                .map(|i| refresh_offset(i, self.cfg.intra_refresh))
                .collect();
        }
    }

    /// The next VOP's time in ticks, its whole seconds and its
    /// `vop_time_increment` within the second.
    fn clock(&self) -> (u64, u64, u32) {
        let time = self.frames * u64::from(self.increment);
        let res = u64::from(self.vol.time_resolution);
        (time, time / res, (time % res) as u32)
    }

    /// A VOP with `vop_coded = 0` for an object absent from the frame.
    fn absent(&mut self) -> EncodedVop {
        let kind = if self.shape_ref.is_some() {
            VopType::P
        } else {
            VopType::I
        };
        let (time, seconds, increment) = self.clock();
        let mut w = BitWriter::new();
        VopHeader {
            kind,
            modulo_time_base: (seconds - self.sync_seconds) as u32,
            time_increment: increment,
            coded: false,
            rounding: false,
            shape: None,
            quant: 1,
            fcode: 1,
        }
        .write(&mut w, &self.vol);
        self.sync_seconds = seconds;
        self.frames += 1;
        self.force_intra = true;
        EncodedVop {
            data: w.into_bytes(),
            kind,
            qp: 0,
            time,
            packet_offsets: Vec::new(),
            stats: VopStats::default(),
            sse: [0; 3],
            shape: Some(ShapeStats::default()),
        }
    }

    /// Codes the loaded source as a VOP of type `kind`.
    fn encode_loaded(&mut self, kind: VopType) -> Result<EncodedVop> {
        let qp = self.rc.qp(kind);
        let (time, seconds, increment) = self.clock();
        let mut w = std::mem::take(&mut self.writer);
        w.clear();
        if kind == VopType::I {
            header::write_gov(&mut w, seconds as u32, true);
            self.sync_seconds = seconds;
        }
        if kind == VopType::P {
            self.rounding = !self.rounding;
        }
        let vop_start = w.bit_len();
        let (mut packets, fcode, stats, mut sse) = self.code_vop(kind, qp)?;
        let vop_shape = self.shape.as_ref().map(|s| header::VopShape {
            width: s.layer.rect.width as u16,
            height: s.layer.rect.height as u16,
            horizontal_ref: s.layer.rect.x as i16,
            vertical_ref: s.layer.rect.y as i16,
            change_conv_ratio_disable: false,
            inter_shape: true,
        });
        let h = VopHeader {
            kind,
            modulo_time_base: (seconds - self.sync_seconds) as u32,
            time_increment: increment,
            coded: true,
            rounding: kind == VopType::P && self.rounding,
            shape: vop_shape,
            quant: qp,
            fcode,
        };
        self.sync_seconds = seconds;
        h.write(&mut w, &self.vol);
        let mb_count = self.mb_w * self.mb_h;
        let mut packet_offsets = Vec::new();
        for (i, p) in packets.iter_mut().enumerate() {
            if i > 0 {
                packet_offsets
                    .push(w.bit_len().div_ceil(8) as usize - usize::from(w.is_byte_aligned()));
                header::write_packet_header(&mut w, kind, fcode, mb_count, p.first_mb, p.qp);
            }
            match &mut p.body {
                Body::Plain(b) => w.append(b),
                Body::Partitioned(b) => b.finish(&mut w, kind),
            }
        }
        w.stuff_to_byte();
        let bits = w.bit_len() - vop_start;
        self.rc.update(kind, qp, bits);
        let shape_stats = match self.shape.take() {
            Some(sh) => {
                let (stats, inside_sse) = self.finish_shape(&sh);
                sse = inside_sse;
                self.shape_ref = Some(sh.layer);
                Some(stats)
            }
            None => None,
        };
        std::mem::swap(&mut self.reference, &mut self.recon);
        self.reference.extend_edges();
        self.frames += 1;
        self.force_intra = false;
        let data = w.as_bytes().to_vec();
        self.writer = w;
        Ok(EncodedVop {
            data,
            kind,
            qp,
            time,
            packet_offsets,
            stats,
            sse,
            shape: shape_stats,
        })
    }

    /// After a shaped VOP: its figures (the squared error inside the input
    /// and the reconstructed shape), then the reconstruction padded for use
    /// as the next reference.
    fn finish_shape(&mut self, sh: &ShapeEnc) -> (ShapeStats, [u64; 3]) {
        let rect = sh.layer.rect;
        let recon_alpha = &sh.layer.alpha;
        let both: Vec<u8> = sh
            .input
            .iter()
            .zip(recon_alpha)
            .map(|(&a, &b)| a & b)
            .collect();
        let both_c = chroma_alpha(&both, rect.width, rect.height);
        let mut sse = [0u64; 3];
        let mut samples = [0u64; 3];
        for k in 0..3 {
            let (alpha, w) = if k == 0 {
                (&both, rect.width)
            } else {
                (&both_c, rect.width / 2)
            };
            let (s, r) = (&self.src.planes[k], &self.recon.planes[k]);
            for (y, arow) in alpha.chunks_exact(w).enumerate() {
                let (srow, rrow) = (s.row(y), r.row(y));
                for x in 0..w {
                    if arow[x] != 0 {
                        let d = i64::from(srow[x]) - i64::from(rrow[x]);
                        sse[k] += (d * d) as u64;
                        samples[k] += 1;
                    }
                }
            }
        }
        let shape_errors = sh
            .input
            .iter()
            .zip(recon_alpha)
            .filter(|(a, b)| a != b)
            .count() as u64;
        let opaque = sh.input.iter().filter(|&&a| a != 0).count() as u64;
        if self.vol.shape != Shape::BinaryOnly {
            pad_vop(&mut self.recon, recon_alpha);
        }
        let stats = ShapeStats {
            rect: Some(rect),
            shape_bits: sh.bits,
            samples,
            shape_errors,
            opaque,
            alpha: recon_alpha.clone(),
        };
        (stats, sse)
    }

    /// The segments (macroblock ranges coded independently) of a VOP.
    fn segments(&self) -> Vec<Range<usize>> {
        let (mbw, mbh) = (self.mb_w, self.mb_h);
        let total = mbw * mbh;
        if self.shape.is_some() {
            return std::iter::once(0..total).collect();
        }
        match self.cfg.packets {
            Packets::Macroblocks(n) => {
                let n = (n as usize).max(1);
                (0..total)
                    .step_by(n)
                    .map(|s| s..(s + n).min(total))
                    .collect()
            }
            _ => {
                let parts = self.cfg.threads.clamp(1, mbh);
                (0..parts)
                    .map(|i| (i * mbh / parts) * mbw..((i + 1) * mbh / parts) * mbw)
                    .collect()
            }
        }
    }

    fn code_vop(
        &mut self,
        kind: VopType,
        qp: u8,
    ) -> Result<(Vec<PacketOut>, u8, VopStats, [u64; 3])> {
        let (mbw, mbh) = (self.mb_w, self.mb_h);
        let segments = self.segments();
        let texture = self.vol.shape != Shape::BinaryOnly;
        while self.states.len() < segments.len() {
            self.states.push(PredState::new(mbw, mbh));
        }
        let threads = self.cfg.threads.max(1);
        // Cost of a bit of vector data in SAD units: the quantiser, which
        // measured best against ffmpeg's curves with the rate-distortion
        // block decisions (scripts/mpeg4-bench).
        let lambda = u32::from(qp).max(1);
        // Motion search over all macroblocks first so f_code fits the
        // vectors found.
        let rounding = Rounding::for_method(&self.cfg.quant);
        let zero_sum = zero_block_sum(&self.cfg.quant, qp, rounding);
        let mut motion = std::mem::take(&mut self.motion);
        motion.clear();
        motion.resize(mbw * mbh, MbMotion::default());
        let mut fcode = 1u8;
        if kind == VopType::P && texture {
            let search_fcode = fcode_for(2 * self.cfg.search_range as i32 + 1);
            let costs = me::mv_costs(self.cfg.search_range as i32, lambda, search_fcode);
            let search = Search {
                range: self.cfg.search_range as i32,
                lambda,
                costs: &costs,
                fcode: search_fcode,
                four_mv: self.cfg.four_mv,
                zero_block_sum: zero_sum.max(0) as u32,
            };
            self.half.build(&self.reference.planes[0], self.rounding);
            let planes = Planes {
                src: &self.src.planes[0],
                reference: &self.reference.planes[0],
                src_chroma: [&self.src.planes[1], &self.src.planes[2]],
                reference_chroma: [&self.reference.planes[1], &self.reference.planes[2]],
                half: &self.half,
                mask: None,
            };
            let coverage = self.shape.as_ref().map(|s| (&s.coverage, &s.input[..]));
            let prev = &self.prev_mvs;
            let mut chunks: Vec<(&Range<usize>, &mut [MbMotion])> = Vec::new();
            let mut rest: &mut [MbMotion] = &mut motion;
            for seg in &segments {
                let (head, tail) = rest.split_at_mut(seg.len());
                chunks.push((seg, head));
                rest = tail;
            }
            run_parallel(threads, chunks, |(seg, out)| {
                for (k, mb) in seg.clone().enumerate() {
                    let (mbx, mby) = (mb % mbw, mb / mbw);
                    let local = |i: usize| -> Option<[i32; 2]> {
                        (i >= seg.start && i < mb).then(|| out[i - seg.start].mv)
                    };
                    let left = if mbx > 0 { local(mb - 1) } else { None };
                    let above = if mby > 0 { local(mb - mbw) } else { None };
                    let above_right = if mby > 0 && mbx + 1 < mbw {
                        local(mb - mbw + 1)
                    } else {
                        None
                    };
                    let pred = match (left, above, above_right) {
                        (Some(a), Some(b), Some(c)) => {
                            [median(a[0], b[0], c[0]), median(a[1], b[1], c[1])]
                        }
                        (Some(a), _, _) => a,
                        (None, Some(b), _) => b,
                        _ => [0, 0],
                    };
                    let mut cands = [[0i32; 2]; 4];
                    let mut n = 0;
                    for v in [left, above, above_right, Some(prev[mb])]
                        .into_iter()
                        .flatten()
                    {
                        cands[n] = [(v[0] + 1) >> 1, (v[1] + 1) >> 1];
                        n += 1;
                    }
                    out[k] = match coverage.map(|(c, input)| (c[mb], input)) {
                        None | Some((Coverage::Opaque, _)) => {
                            me::search_mb(&planes, mbx, mby, pred, &cands[..n], &search)
                        }
                        // Nothing of the object here (unless a lossy shape
                        // adds some): no search.
                        Some((Coverage::Transparent, _)) => MbMotion::default(),
                        Some((Coverage::Boundary, input)) => {
                            let masked = Planes {
                                mask: Some((input, mbw * 16)),
                                ..planes
                            };
                            me::search_mb(&masked, mbx, mby, pred, &cands[..n], &search)
                        }
                    };
                }
            });
            let mut hi = 0;
            for m in &motion {
                for v in std::iter::once(&m.mv).chain(m.mv4.iter()) {
                    hi = hi.max(v[0].max(v[1])).max(-1 - v[0].min(v[1]));
                }
            }
            fcode = fcode_for(hi + 1);
        }
        let quant = self.cfg.quant.clone();
        let ctx = VopContext {
            kind,
            quant: &quant,
            rounding: kind == VopType::P && self.rounding,
            fcode,
            reference: (kind == VopType::P).then_some(&self.reference),
        };
        let job = SegmentJob {
            ctx,
            half: &self.half,
            src: &self.src,
            motion: &motion,
            qp,
            lambda,
            mbw,
            packets: self.cfg.packets,
            partitioned: self.cfg.data_partitioned,
            rounding,
            zero_block_sum: zero_sum,
            refresh: &self.refresh,
            refresh_period: self.cfg.intra_refresh,
            // q^2 per bit measured best (0.5 q^2 and 1.5 q^2 lost 1-6%).
            lambda_rd: i64::from(qp) * i64::from(qp),
            four_mv: self.cfg.four_mv,
            texture,
        };
        let mut pixels = std::mem::take(&mut self.pixels);
        pixels.resize_with(segments.len(), Vec::new);
        let mut outs: Vec<SegmentOut> =
            (0..segments.len()).map(|_| SegmentOut::default()).collect();
        let work: Vec<_> = segments
            .iter()
            .zip(self.states.iter_mut())
            .zip(outs.iter_mut().zip(pixels.iter_mut()))
            .collect();
        let job_ref = &job;
        if let Some(sh) = self.shape.as_mut() {
            // One segment: the shape coder travels with it.
            for ((seg, state), (out, px)) in work {
                state.reset();
                *out = job_ref.code(seg.clone(), state, px, Some(&mut *sh));
            }
        } else {
            run_parallel(threads, work, |((seg, state), (out, px))| {
                *out = job_ref.code(seg.clone(), state, px, None);
            });
        }
        let mut packets = Vec::new();
        let mut stats = VopStats::default();
        let mut sse = [0u64; 3];
        let mut coded = Vec::with_capacity(mbw * mbh);
        for ((seg, out), px) in segments.iter().zip(outs).zip(&pixels) {
            if let Some(e) = out.error {
                return Err(e);
            }
            for (mb, px) in seg.clone().zip(px) {
                recon::store_mb(&mut self.recon, mb % mbw, mb / mbw, px);
            }
            stats.intra_mbs += out.stats.intra_mbs;
            stats.inter_mbs += out.stats.inter_mbs;
            stats.inter4v_mbs += out.stats.inter4v_mbs;
            stats.skipped_mbs += out.stats.skipped_mbs;
            stats.motion_bits += out.stats.motion_bits;
            for (t, s) in sse.iter_mut().zip(out.sse) {
                *t += s;
            }
            coded.extend_from_slice(&out.coded);
            packets.extend(out.packets);
        }
        stats.packets = packets.len() as u32;
        for (i, (count, coded)) in self.refresh.iter_mut().zip(&coded).enumerate() {
            *count = match coded {
                // After an I-VOP the refreshes stay staggered.
                Coded::Intra if kind == VopType::I => refresh_offset(i, self.cfg.intra_refresh),
                Coded::Intra => 0,
                Coded::Inter => count.saturating_add(1),
                Coded::Skipped => *count,
            };
        }
        for (dst, m) in self.prev_mvs.iter_mut().zip(&motion) {
            *dst = if kind == VopType::P { m.mv } else { [0, 0] };
        }
        self.motion = motion;
        self.pixels = pixels;
        Ok((packets, fcode, stats, sse))
    }
}

/// Starting count of macroblock `i` for a refresh period: staggered so the
/// forced intra macroblocks spread over VOPs instead of arriving together.
fn refresh_offset(i: usize, period: u32) -> u16 {
    if period == 0 {
        0
    } else {
        ((i * 37) % period as usize) as u16
    }
}

/// How a macroblock ended up coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coded {
    Intra,
    Inter,
    Skipped,
}

/// Smallest `f_code` whose range holds vectors with components in
/// [-hi, hi - 1] half samples.
fn fcode_for(hi: i32) -> u8 {
    (1u8..=7).find(|&f| mv_range(f).1 + 1 >= hi).unwrap_or(7)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[inline]
fn median(a: i32, b: i32, c: i32) -> i32 {
    a.max(b).min(a.min(b).max(c))
}

/// Runs `f` on every item, on up to `threads` threads.
fn run_parallel<T: Send, F: Fn(T) + Sync>(threads: usize, items: Vec<T>, f: F) {
    if threads <= 1 || items.len() <= 1 {
        items.into_iter().for_each(f);
        return;
    }
    let queue = std::sync::Mutex::new(items.into_iter());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    match next {
                        Some(item) => f(item),
                        None => break,
                    }
                }
            });
        }
    });
}

enum Body {
    Plain(BitWriter),
    Partitioned(PartitionedWriter),
}

struct PacketOut {
    first_mb: usize,
    qp: u8,
    body: Body,
}

#[derive(Default)]
struct SegmentOut {
    packets: Vec<PacketOut>,
    coded: Vec<Coded>,
    stats: VopStats,
    sse: [u64; 3],
    error: Option<Error>,
}

struct SegmentJob<'a> {
    ctx: VopContext<'a>,
    /// The reference luma's half-sample planes for this VOP's rounding
    /// (P-VOPs; stale and unused in I-VOPs).
    half: &'a HalfPlanes,
    src: &'a Picture,
    motion: &'a [MbMotion],
    qp: u8,
    lambda: u32,
    mbw: usize,
    packets: Packets,
    partitioned: bool,
    rounding: Rounding,
    four_mv: bool,
    /// Inter residual blocks whose absolute sum is below this quantise to
    /// all zeros (see `zero_block_sum`).
    zero_block_sum: i32,
    refresh: &'a [u16],
    refresh_period: u32,
    /// Lagrange multiplier of block decisions in squared error per bit.
    lambda_rd: i64,
    /// False for binary-only layers: shape without texture.
    texture: bool,
}

impl SegmentJob<'_> {
    /// Codes a segment, with the AVX2 build of the same code where the
    /// processor has it (`tessera_dsp`'s dispatcher decides, and
    /// `TESSERA_CPU=scalar` forces the baseline build): the loops the
    /// compiler vectorizes run twice as wide; results are identical.
    fn code(
        &self,
        seg: Range<usize>,
        state: &mut PredState,
        pixels: &mut Vec<MbPixels>,
        shape: Option<&mut ShapeEnc>,
    ) -> SegmentOut {
        #[cfg(target_arch = "x86_64")]
        if tessera_dsp::active_kernels() == "avx2" {
            // SAFETY: the dispatcher chose AVX2 only after detecting it.
            return unsafe { self.code_avx2(seg, state, pixels, shape) };
        }
        self.code_body(seg, state, pixels, shape)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn code_avx2(
        &self,
        seg: Range<usize>,
        state: &mut PredState,
        pixels: &mut Vec<MbPixels>,
        shape: Option<&mut ShapeEnc>,
    ) -> SegmentOut {
        self.code_body(seg, state, pixels, shape)
    }

    #[inline(always)]
    fn code_body(
        &self,
        seg: Range<usize>,
        state: &mut PredState,
        pixels: &mut Vec<MbPixels>,
        mut shape: Option<&mut ShapeEnc>,
    ) -> SegmentOut {
        let mut out = SegmentOut::default();
        // One slot per macroblock, kept between VOPs: every sample of a
        // rectangular VOP's slot is written (prediction or intra blocks)
        // before it is read, so only shaped VOPs, whose transparent
        // blocks are left as they are, clear it.
        if pixels.len() != seg.len() {
            pixels.clear();
            pixels.resize(seg.len(), [0u8; 384]);
        }
        let kind = self.ctx.kind;
        let mut plain = BitWriter::new();
        let mut part = PartitionedWriter::new();
        let mut packet_start = seg.start;
        let mut code = MbCode::new(MbType::Intra);
        for mb in seg.clone() {
            let (mbx, mby) = (mb % self.mbw, mb / self.mbw);
            let packet = packet_start as u32;
            // The macroblock's samples: its prediction first (inter), then
            // its reconstruction, in place.
            let px = &mut pixels[mb - seg.start];
            if shape.is_some() {
                px.fill(0);
            }
            // Shaped VOPs: the BAB first; its reconstruction decides which
            // blocks carry texture.
            let mut alpha: Option<MbPixels> = None;
            let mut transparent = 0u8;
            if let Some(sh) = shape.as_deref_mut() {
                let (a, t) =
                    sh.code_mb(&mut plain, kind, mbx, mby, state, packet, &self.motion[mb]);
                transparent = t;
                state.set_transparent(mbx, mby, t);
                if t == 0x3f || !self.texture {
                    state.begin_mb(mbx, mby, packet, false, self.qp);
                    state.set_mv_all(mbx, mby, [0, 0]);
                    px.fill(128);
                    out.coded.push(Coded::Skipped);
                    if mb + 1 == seg.end {
                        out.packets.push(PacketOut {
                            first_mb: packet_start,
                            qp: self.qp,
                            body: Body::Plain(std::mem::take(&mut plain)),
                        });
                    }
                    continue;
                }
                if t != 0 || sh.coverage[mb] == Coverage::Boundary {
                    alpha = Some(a);
                }
            }
            let mut has_pred = false;
            match kind {
                VopType::I => self.intra_code(state, mbx, mby, packet, transparent, &mut code),
                VopType::P => {
                    self.p_code(
                        state,
                        mbx,
                        mby,
                        packet,
                        &self.motion[mb],
                        &mut out.stats,
                        px,
                        (alpha.as_ref(), transparent),
                        &mut code,
                    );
                    has_pred = code.not_coded || !code.mb_type.is_intra();
                }
            }
            if self.partitioned {
                part.push(&code, kind, self.ctx.fcode);
            } else {
                write_mb(&mut plain, &code, kind, self.ctx.fcode);
            }
            let prediction = if has_pred {
                recon::Prediction::InOut
            } else {
                recon::Prediction::Compute
            };
            if let Err(e) = recon::reconstruct_mb(
                state, &self.ctx, mbx, mby, packet, self.qp, &code, prediction, px,
            ) {
                out.error = Some(e);
                return out;
            }
            if shape.is_none() {
                self.add_sse(mbx, mby, px, &mut out.sse);
            }
            out.coded.push(if code.not_coded {
                Coded::Skipped
            } else if code.mb_type.is_intra() {
                Coded::Intra
            } else {
                Coded::Inter
            });
            if code.not_coded {
                out.stats.skipped_mbs += 1;
            } else if code.mb_type.is_intra() {
                out.stats.intra_mbs += 1;
            } else if code.mb_type == MbType::Inter4V {
                out.stats.inter4v_mbs += 1;
            } else {
                out.stats.inter_mbs += 1;
            }
            let bits = if self.partitioned {
                part.bit_len()
            } else {
                plain.bit_len()
            };
            let full = match self.packets {
                Packets::Bits(n) => bits >= u64::from(n),
                _ => false,
            };
            if full || mb + 1 == seg.end {
                let body = if self.partitioned {
                    Body::Partitioned(std::mem::take(&mut part))
                } else {
                    Body::Plain(std::mem::take(&mut plain))
                };
                out.packets.push(PacketOut {
                    first_mb: packet_start,
                    qp: self.qp,
                    body,
                });
                packet_start = mb + 1;
            }
        }
        out
    }

    /// Adds a reconstructed macroblock's squared error against the source,
    /// over the visible area only, to `sse` (Y, Cb, Cr).
    #[inline(always)]
    fn add_sse(&self, mbx: usize, mby: usize, px: &MbPixels, sse: &mut [u64; 3]) {
        for (plane, (off, size)) in [(0usize, 16usize), (256, 8), (320, 8)]
            .into_iter()
            .enumerate()
        {
            let p = &self.src.planes[plane];
            let (x0, y0) = (mbx * size, mby * size);
            let w = p.edge_w.saturating_sub(x0).min(size);
            let h = p.edge_h.saturating_sub(y0).min(size);
            let src = &p.data[p.index(x0 as isize, y0 as isize)..];
            let total = if h == 0 {
                0
            } else {
                crate::mc::ssd(src, p.stride, &px[off..], size, w, h)
            };
            sse[plane] += u64::from(total);
        }
    }

    /// Rate-distortion check of an inter block whose levels are all small:
    /// coding it must remove more squared error than `lambda_rd` times its
    /// bits (the DCT is orthonormal, so the error is measured on the
    /// coefficients). Blocks with a level above 2 are always coded.
    #[inline(always)]
    fn worth_coding(&self, original: &[i16; 64], levels: &[i16; 64], scan: &[i16; 64]) -> bool {
        if levels.iter().any(|&l| l.unsigned_abs() > 2) {
            return true;
        }
        // The gain f^2 - (f - r)^2 = r (2 f - r) is zero where r is.
        let mut gain = 0i64;
        if let QuantType::H263 = self.ctx.quant {
            // Only the levels' own coefficients reconstruct non-zero
            // (7.4.4.1, no saturation at |L| <= 2).
            let q = i64::from(self.qp);
            let even_fix = i64::from(self.qp.is_multiple_of(2));
            let mut nz = tessera_dsp::scan::nonzero_mask(levels);
            while nz != 0 {
                let i = nz.trailing_zeros() as usize;
                nz &= nz - 1;
                let (f, l) = (i64::from(original[i]), i64::from(levels[i]));
                let r = l.signum() * ((2 * l.abs() + 1) * q - even_fix);
                gain += r * (2 * f - r);
            }
        } else {
            // Mismatch control may make the last coefficient non-zero.
            let mut rec = *levels;
            crate::quant::dequantize_block(&mut rec, self.qp, false, self.ctx.quant, 0);
            for (&f, &r) in original.iter().zip(&rec) {
                let (f, r) = (i64::from(f), i64::from(r));
                gain += r * (2 * f - r);
            }
        }
        // One bit more for the coded block pattern.
        let bits = i64::from(block_bits(scan, false)) + 1;
        gain > self.lambda_rd * bits
    }

    /// Whether a macroblock is due its periodic intra refresh.
    fn refresh_due(&self, mbx: usize, mby: usize) -> bool {
        self.refresh_period > 0
            && u32::from(self.refresh[mby * self.mbw + mbx]) >= self.refresh_period
    }

    fn src_block(&self, mbx: usize, mby: usize, b: usize) -> (&[u8], usize) {
        let (plane, x, y) = if b < 4 {
            (0, mbx * 16 + (b & 1) * 8, mby * 16 + (b >> 1) * 8)
        } else {
            (b - 3, mbx * 8, mby * 8)
        };
        let p = &self.src.planes[plane];
        (&p.data[p.index(x as isize, y as isize)..], p.stride)
    }

    // Blocks index several per-block arrays at once.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn intra_code(
        &self,
        state: &mut PredState,
        mbx: usize,
        mby: usize,
        packet: u32,
        transparent: u8,
        m: &mut MbCode,
    ) {
        let qp = self.qp;
        state.begin_mb(mbx, mby, packet, true, qp);
        m.reset(MbType::Intra);
        m.transparent = transparent;
        let mut qfs = [[0i16; 64]; 6];
        let mut preds = Vec::with_capacity(6);
        for b in 0..6 {
            if m.block_transparent(b) {
                preds.push(state.intra_pred(mbx, mby, b, packet, qp));
                continue;
            }
            let (src, stride) = self.src_block(mbx, mby, b);
            let mut coef = [0i16; 64];
            tessera_dsp::fdct_8x8_u8(src, stride, &mut coef);
            let scaler = dc_scaler(qp, b < 4);
            let dc_level = quantize_intra_dc(i32::from(coef[0]) + 1024, scaler);
            quantize_block(&mut coef, qp, true, self.ctx.quant, self.rounding);
            coef[0] = dc_level as i16;
            let pred = state.intra_pred(mbx, mby, b, packet, qp);
            m.dc_diff[b] = dc_level - round_div(pred.dc, scaler);
            state.store_intra(mbx, mby, b, dc_level * scaler, &coef);
            qfs[b] = coef;
            preds.push(pred);
        }
        // AC prediction: take it when it saves bits and every predicted
        // level stays codable.
        let mut with = [[0i16; 64]; 6];
        let mut cost_with = 0u32;
        let mut cost_without = 0u32;
        let mut codable = true;
        for b in 0..6 {
            if m.block_transparent(b) {
                continue;
            }
            let mut resid = qfs[b];
            for (k, &p) in preds[b].ac.iter().enumerate() {
                let pos = match preds[b].direction {
                    crate::pred::Direction::Vertical => 1 + k,
                    crate::pred::Direction::Horizontal => 8 * (1 + k),
                };
                let r = i32::from(resid[pos]) - i32::from(p);
                codable &= (-2047..=2047).contains(&r);
                resid[pos] = r.clamp(-2047, 2047) as i16;
            }
            let scan_with = intra_scan(true, preds[b].direction);
            let zig = intra_scan(false, preds[b].direction);
            for i in 0..64 {
                with[b][i] = resid[usize::from(scan_with[i])];
            }
            cost_with += block_bits(&with[b], true);
            let mut plain = [0i16; 64];
            for i in 0..64 {
                plain[i] = qfs[b][usize::from(zig[i])];
            }
            cost_without += block_bits(&plain, true);
            m.levels[b] = plain;
        }
        if codable && cost_with < cost_without {
            m.ac_pred = true;
            m.levels = with;
        }
        for b in 0..6 {
            if m.block_transparent(b) {
                continue;
            }
            m.levels[b][0] = 0;
            if m.levels[b][1..].iter().any(|&l| l != 0) {
                m.cbp |= 0x20 >> b;
            }
        }
    }

    #[allow(clippy::needless_range_loop, clippy::too_many_arguments)]
    #[inline(always)]
    fn p_code(
        &self,
        state: &mut PredState,
        mbx: usize,
        mby: usize,
        packet: u32,
        motion: &MbMotion,
        stats: &mut VopStats,
        pred_px: &mut MbPixels,
        (alpha, transparent): (Option<&MbPixels>, u8),
        m: &mut MbCode,
    ) {
        let fcode = self.ctx.fcode;
        let lambda = self.lambda;
        state.begin_mb(mbx, mby, packet, false, self.qp);
        if motion.skip && !self.refresh_due(mbx, mby) {
            let reference = self.ctx.reference.expect("P-VOP has a reference");
            predict_mb_with(
                reference,
                Some(self.half),
                mbx,
                mby,
                &[[0, 0]; 4],
                false,
                0,
                self.ctx.rounding,
                pred_px,
            );
            state.set_mv_all(mbx, mby, [0, 0]);
            m.reset(MbType::Inter);
            m.transparent = transparent;
            m.not_coded = true;
            return;
        }
        let pred = state.mv_pred(mbx, mby, 0, packet);
        let bits1 = vlc::mv_component_bits(wrap_mv(motion.mv[0] - pred[0], fcode), fcode)
            + vlc::mv_component_bits(wrap_mv(motion.mv[1] - pred[1], fcode), fcode);
        let cost1 = motion.sad + lambda * bits1;
        let mut cost4 = u32::MAX;
        // Four vectors only where every luma block is opaque somewhere.
        if self.four_mv && motion.searched4 && transparent == 0 {
            // Price the four vectors with their real predictors.
            let mut bits = 0;
            for b in 0..4 {
                let p = state.mv_pred(mbx, mby, b, packet);
                let v = motion.mv4[b];
                bits += vlc::mv_component_bits(wrap_mv(v[0] - p[0], fcode), fcode)
                    + vlc::mv_component_bits(wrap_mv(v[1] - p[1], fcode), fcode);
                state.set_mv(mbx, mby, b, v);
            }
            cost4 = motion.sad4.iter().sum::<u32>() + lambda * (bits + 6);
            state.set_mv_all(mbx, mby, [0, 0]);
        }
        let inter_cost = cost1.min(cost4);
        if motion.intra_sad.saturating_add(500) < inter_cost || self.refresh_due(mbx, mby) {
            return self.intra_code(state, mbx, mby, packet, transparent, m);
        }
        let four = cost4 < cost1;
        m.reset(if four { MbType::Inter4V } else { MbType::Inter });
        m.transparent = transparent;
        let mvs = if four { motion.mv4 } else { [motion.mv; 4] };
        if four {
            for b in 0..4 {
                let p = state.mv_pred(mbx, mby, b, packet);
                m.mvd[b] = [
                    wrap_mv(mvs[b][0] - p[0], fcode),
                    wrap_mv(mvs[b][1] - p[1], fcode),
                ];
                state.set_mv(mbx, mby, b, mvs[b]);
            }
        } else {
            m.mvd[0] = [
                wrap_mv(mvs[0][0] - pred[0], fcode),
                wrap_mv(mvs[0][1] - pred[1], fcode),
            ];
            state.set_mv_all(mbx, mby, mvs[0]);
        }
        let reference = self.ctx.reference.expect("P-VOP has a reference");
        let px = pred_px;
        predict_mb_with(
            reference,
            Some(self.half),
            mbx,
            mby,
            &mvs,
            four,
            transparent,
            self.ctx.rounding,
            px,
        );
        // The search's SADs bound each luma block's residual sum (same
        // prediction): under the bound below, skip those blocks outright.
        let luma_sad = |b: usize| if four { motion.sad4[b] } else { motion.sad };
        for b in 0..6 {
            if m.block_transparent(b) || (b < 4 && (luma_sad(b) as i32) < 2 * self.zero_block_sum) {
                continue;
            }
            let (src, stride) = self.src_block(mbx, mby, b);
            let (off, pstride) = block_layout(b);
            let (mut resid, mut sum) = residual(src, stride, &px[off..], pstride);
            if let Some(a) = alpha {
                // Only the object's samples count: elsewhere the decoder
                // shows nothing and pads over what it reconstructs.
                sum = 0;
                for r in 0..8 {
                    for c in 0..8 {
                        if a[off + r * pstride + c] == 0 {
                            resid[r * 8 + c] = 0;
                        }
                        sum += i32::from(resid[r * 8 + c].abs());
                    }
                }
            }
            // Every coefficient is at most a quarter of the residual's
            // absolute sum: below `zero_block_sum` the block is all zeros.
            // Up to twice that it holds at most a few small levels, which
            // the rate-distortion test below dropped in every measured clip
            // (same BD-rate, 5% faster at 720p), so those skip the DCT too.
            if sum < 2 * self.zero_block_sum {
                continue;
            }
            let mut coef = [0i16; 64];
            tessera_dsp::fdct_8x8(&resid, &mut coef);
            let original = coef;
            if quantize_block(&mut coef, self.qp, false, self.ctx.quant, self.rounding) {
                // Few levels survive: place just those in scan order.
                let levels = &mut m.levels[b];
                *levels = [0; 64];
                let mut nz = tessera_dsp::scan::nonzero_mask(&coef);
                while nz != 0 {
                    let pos = nz.trailing_zeros() as usize;
                    nz &= nz - 1;
                    levels[usize::from(crate::tables::ZIGZAG_INDEX[pos])] = coef[pos];
                }
                if self.worth_coding(&original, &coef, &m.levels[b]) {
                    m.cbp |= 0x20 >> b;
                }
            }
        }
        if !four && mvs[0] == [0, 0] && m.cbp == 0 {
            state.set_mv_all(mbx, mby, [0, 0]);
            m.reset(MbType::Inter);
            m.transparent = transparent;
            m.not_coded = true;
            return;
        }
        let n = m.mb_type.vectors();
        stats.motion_bits += m.mvd[..n]
            .iter()
            .map(|d| {
                u64::from(vlc::mv_component_bits(d[0], fcode) + vlc::mv_component_bits(d[1], fcode))
            })
            .sum::<u64>();
    }
}

/// Source minus prediction of an 8x8 block, and its absolute sum.
#[inline(always)]
fn residual(src: &[u8], stride: usize, pred: &[u8], pstride: usize) -> ([i16; 64], i32) {
    assert!(
        src.len() >= 7 * stride + 8 && pred.len() >= 7 * pstride + 8,
        "residual block out of bounds"
    );
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of the x86_64 baseline. The absolute sum comes from
        // PSADBW on the bytes, the differences from widening both rows.
        use std::arch::x86_64::{
            __m128i, _mm_add_epi64, _mm_cvtsi128_si32, _mm_loadl_epi64, _mm_sad_epu8,
            _mm_setzero_si128, _mm_storeu_si128, _mm_sub_epi16, _mm_unpacklo_epi8,
        };
        let mut resid = [0i16; 64];
        // SAFETY: the assert keeps each row's 8 bytes inside both slices;
        // each store writes one 8-sample row of `resid`.
        unsafe {
            let zero = _mm_setzero_si128();
            let mut acc = zero;
            for r in 0..8 {
                let s = _mm_loadl_epi64(src.as_ptr().add(r * stride).cast::<__m128i>());
                let p = _mm_loadl_epi64(pred.as_ptr().add(r * pstride).cast::<__m128i>());
                acc = _mm_add_epi64(acc, _mm_sad_epu8(s, p));
                let d = _mm_sub_epi16(_mm_unpacklo_epi8(s, zero), _mm_unpacklo_epi8(p, zero));
                _mm_storeu_si128(resid.as_mut_ptr().add(r * 8).cast::<__m128i>(), d);
            }
            (resid, _mm_cvtsi128_si32(acc))
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    residual_scalar(src, stride, pred, pstride)
}

/// The portable form of [`residual`] (its reference in tests).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn residual_scalar(src: &[u8], stride: usize, pred: &[u8], pstride: usize) -> ([i16; 64], i32) {
    let mut resid = [0i16; 64];
    let mut sum = 0i32;
    for (r, out) in resid.chunks_exact_mut(8).enumerate() {
        for c in 0..8 {
            let d = i16::from(src[r * stride + c]) - i16::from(pred[r * pstride + c]);
            out[c] = d;
            sum += i32::from(d.abs());
        }
    }
    (resid, sum)
}

/// A bound on the absolute sum of an inter residual block below which
/// every quantised coefficient is zero: |F(u,v)| <= sum / 4 for the 8x8 DCT,
/// and a level is zero while |F| stays under the dead zone. Eight of margin
/// cover the integer transform's rounding.
fn zero_block_sum(method: &QuantType, qp: u8, rounding: Rounding) -> i32 {
    let q = i32::from(qp);
    // 16 |F| below which the level is 0: 2 q (16 - bias) for H.263 (a step
    // of 2q), 2 W q (16 - bias) / 16 for the MPEG method.
    let dead16 = match method {
        QuantType::H263 => 2 * q * (16 - rounding.inter),
        QuantType::Mpeg { inter, .. } => {
            let w = i32::from(inter.iter().copied().min().unwrap_or(16));
            2 * w * q * (16 - rounding.inter) / 16
        }
    };
    (4 * dead16 / 16 - 8).max(0)
}

/// Exact bits of a block's coefficient events (scan order, from index 1
/// for intra blocks).
fn block_bits(levels: &[i16; 64], intra: bool) -> u32 {
    let mut bits = 0;
    crate::mb::for_each_event(levels, usize::from(intra), |run, level, last| {
        bits += vlc::tcoef_bits(intra, last, run, level);
    });
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_matches_scalar() {
        let src: Vec<u8> = (0..24 * 9).map(|i| (i * 37 % 256) as u8).collect();
        let pred: Vec<u8> = (0..20 * 9).map(|i| (i * 91 % 253) as u8).collect();
        for (so, po) in [(0, 0), (3, 5), (17, 1)] {
            let fast = residual(&src[so..], 24, &pred[po..], 20);
            assert_eq!(fast, residual_scalar(&src[so..], 24, &pred[po..], 20));
        }
        // Extremes: every difference +255 or -255.
        let hi = [255u8; 64];
        let lo = [0u8; 64];
        assert_eq!(residual(&hi, 8, &lo, 8), ([255; 64], 255 * 64));
        assert_eq!(residual(&lo, 8, &hi, 8), ([-255; 64], 255 * 64));
    }
}
