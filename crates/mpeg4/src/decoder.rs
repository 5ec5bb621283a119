//! The decoder: parses what the encoder writes (and rectangular Simple
//! Profile streams in general) and reconstructs VOPs with the same code the
//! encoder uses, so its output equals the encoder's reconstruction bit for
//! bit. Hostile input gets an error, never a panic: sizes are checked
//! against limits before allocating and every read is bounds checked.

use tessera_core::{Frame, Limits};

use crate::bits::BitReader;
use crate::error::{Error, Result};
use crate::es::{self, code};
use crate::header::{self, Shape, Vol, VopHeader, VopType};
use crate::mb::{self, MbCode};
use crate::picture::Picture;
use crate::pred::PredState;
use crate::recon::{self, VopContext};
use crate::shape::layer::ShapeLayer;
use crate::shape::pad::pad_vop;
use crate::shape::vop::VopRect;
use crate::shape::{BabType, decode_bab_i, decode_bab_p};

/// One decoded VOP.
#[derive(Debug, Clone)]
pub struct DecodedVop {
    pub frame: Frame,
    pub kind: VopType,
    /// False for a `vop_coded = 0` VOP, which repeats the reference.
    pub coded: bool,
    /// Presentation time in `vop_time_increment_resolution` ticks.
    pub time: u64,
    pub qp: u8,
    pub packets: u32,
    /// Shaped layers: where the VOP lies and its decoded shape; `frame` is
    /// then the VOP's texture (`rect`'s size, padded outside the shape).
    pub shape: Option<DecodedShape>,
}

/// The shape of a decoded VOP of a binary-shape layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedShape {
    /// The VOP's rectangle in the scene; `None` when the VOP is not coded
    /// (the object is absent: wholly transparent; `frame` is then a 16x16
    /// grey placeholder).
    pub rect: Option<VopRect>,
    /// `rect.width x rect.height` samples, 0 transparent, 255 opaque.
    pub alpha: Vec<u8>,
}

#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    profile_level: Option<u8>,
    vol: Option<Vol>,
    state: Option<PredState>,
    reference: Option<Picture>,
    current: Option<Picture>,
    /// Shaped layers: the reference VOP's shape (the last coded VOP).
    shape_ref: Option<ShapeLayer>,
    /// Whole seconds of the modulo time base's synchronisation point.
    sync_seconds: u64,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new(Limits::default())
    }
}

impl Decoder {
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            limits,
            profile_level: None,
            vol: None,
            state: None,
            reference: None,
            current: None,
            shape_ref: None,
            sync_seconds: 0,
        }
    }

    pub fn vol(&self) -> Option<&Vol> {
        self.vol.as_ref()
    }

    pub fn profile_level(&self) -> Option<u8> {
        self.profile_level
    }

    /// Decodes a whole elementary stream.
    pub fn decode_stream(&mut self, data: &[u8]) -> Result<Vec<DecodedVop>> {
        let mut out = Vec::new();
        for unit in es::units(data) {
            if let Some(v) = self.push_unit(unit)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Feeds one start-code unit (as `es::units` yields them).
    pub fn push_unit(&mut self, unit: es::Unit<'_>) -> Result<Option<DecodedVop>> {
        let body = &unit.data[4.min(unit.data.len())..];
        let mut r = BitReader::new(body);
        match unit.code {
            code::VISUAL_OBJECT_SEQUENCE => {
                self.profile_level = body.first().copied();
                Ok(None)
            }
            code::VOL_FIRST..=code::VOL_LAST => {
                let vol = Vol::parse(&mut r, 0, unit.code & 0xf)?;
                if vol.shape != Shape::Rectangular {
                    if vol.data_partitioned {
                        return Err(Error::Unsupported(
                            "data partitioning with binary shape".into(),
                        ));
                    }
                    self.state = None;
                    self.reference = None;
                    self.current = None;
                    self.shape_ref = None;
                    self.vol = Some(vol);
                    return Ok(None);
                }
                let pixels = u64::from(vol.width) * u64::from(vol.height);
                let side = u32::from(vol.width.max(vol.height));
                if pixels > self.limits.max_pixels || side > self.limits.max_dimension {
                    return Err(Error::Limits(format!("{}x{}", vol.width, vol.height)));
                }
                let (w, h) = (usize::from(vol.width), usize::from(vol.height));
                self.state = Some(PredState::new(vol.mb_width(), vol.mb_height()));
                self.reference = Some(Picture::new(w, h));
                self.current = Some(Picture::new(w, h));
                self.vol = Some(vol);
                Ok(None)
            }
            code::GROUP_OF_VOP => {
                self.sync_seconds = u64::from(header::parse_gov(&mut r)?);
                Ok(None)
            }
            code::VOP => self.decode_vop(body).map(Some),
            _ => Ok(None),
        }
    }

    fn decode_vop(&mut self, body: &[u8]) -> Result<DecodedVop> {
        if self
            .vol
            .as_ref()
            .is_some_and(|v| v.shape != Shape::Rectangular)
        {
            return self.decode_shaped_vop(body);
        }
        let (Some(vol), Some(state), Some(reference), Some(current)) = (
            self.vol.as_ref(),
            self.state.as_mut(),
            self.reference.as_mut(),
            self.current.as_mut(),
        ) else {
            return Err(Error::Syntax {
                bit: 0,
                what: "VOP",
                detail: "VOP before any video object layer".into(),
            });
        };
        let mut r = BitReader::new(body);
        let h = VopHeader::parse(&mut r, vol)?;
        let time = vop_time(&mut self.sync_seconds, vol, &h);
        if !h.coded {
            return Ok(DecodedVop {
                frame: reference.to_frame(),
                kind: h.kind,
                coded: false,
                time,
                qp: 0,
                packets: 0,
                shape: None,
            });
        }
        let (mbw, mbh) = (vol.mb_width(), vol.mb_height());
        let total = mbw * mbh;
        state.reset();
        let ctx = VopContext {
            kind: h.kind,
            quant: &vol.quant,
            rounding: h.rounding,
            fcode: h.fcode,
            reference: (h.kind == VopType::P).then_some(&*reference),
        };
        let zeros = header::resync_zeros(h.kind, h.fcode);
        let mut mb = 0usize;
        let mut qp = h.quant;
        let mut packet = 0u32;
        let mut packets = 1u32;
        let mut px = [0u8; 384];
        while mb < total {
            let codes: Vec<MbCode> = if vol.data_partitioned {
                mb::read_partitioned(&mut r, h.kind, h.fcode, total - mb)?
            } else {
                vec![mb::read_mb(&mut r, h.kind, h.fcode, 0)?]
            };
            for m in &codes {
                if m.mb_type.has_dquant() && !m.not_coded {
                    qp = (i32::from(qp) + i32::from(m.dquant)).clamp(1, 31) as u8;
                }
                recon::reconstruct_mb(
                    state,
                    &ctx,
                    mb % mbw,
                    mb / mbw,
                    packet,
                    qp,
                    m,
                    recon::Prediction::Compute,
                    &mut px,
                )?;
                recon::store_mb(current, mb % mbw, mb / mbw, &px);
                mb += 1;
            }
            if mb < total && !vol.resync_marker_disable && at_resync(&r, zeros) {
                r.skip_stuffing()?;
                r.skip(zeros + 1)?;
                let number = r.get(header::mb_number_bits(total))? as usize;
                if number != mb {
                    return Err(Error::Syntax {
                        bit: r.position(),
                        what: "video packet header",
                        detail: format!(
                            "macroblock_number {number}, expected {mb} (lost packets are not concealed)"
                        ),
                    });
                }
                qp = r.get(5)? as u8;
                if qp == 0 {
                    return Err(Error::Syntax {
                        bit: r.position(),
                        what: "quant_scale",
                        detail: "zero".into(),
                    });
                }
                if r.get_bit()? {
                    skip_header_extension(&mut r, vol, h.kind)?;
                }
                packet += 1;
                packets += 1;
            } else if vol.data_partitioned && mb < total {
                return Err(Error::Syntax {
                    bit: r.position(),
                    what: "video packet",
                    detail: "no resync marker after a partition".into(),
                });
            }
        }
        std::mem::swap(reference, current);
        reference.extend_edges();
        Ok(DecodedVop {
            frame: reference.to_frame(),
            kind: h.kind,
            coded: true,
            time,
            qp: h.quant,
            packets,
            shape: None,
        })
    }

    /// Decodes a VOP of a binary or binary-only shape layer.
    fn decode_shaped_vop(&mut self, body: &[u8]) -> Result<DecodedVop> {
        let vol = self.vol.as_ref().expect("checked by the caller");
        let mut r = BitReader::new(body);
        let h = VopHeader::parse(&mut r, vol)?;
        let time = vop_time(&mut self.sync_seconds, vol, &h);
        let Some(vs) = h.shape.filter(|_| h.coded) else {
            // Not coded: the object is absent at this time; the reference
            // stays the last coded VOP.
            return Ok(DecodedVop {
                frame: Frame::grey(16, 16, tessera_core::ChromaFormat::Yuv420),
                kind: h.kind,
                coded: false,
                time,
                qp: 0,
                packets: 0,
                shape: Some(DecodedShape {
                    rect: None,
                    alpha: Vec::new(),
                }),
            });
        };
        let bad = |detail: String| Error::Syntax {
            bit: r.position(),
            what: "VOP shape header",
            detail,
        };
        if vs.width == 0 || vs.height == 0 {
            return Err(bad(format!("VOP size {}x{}", vs.width, vs.height)));
        }
        if vs.horizontal_ref & 1 != 0 || vs.vertical_ref & 1 != 0 {
            return Err(bad(format!(
                "odd spatial reference ({}, {})",
                vs.horizontal_ref, vs.vertical_ref
            )));
        }
        let rect = VopRect {
            x: i32::from(vs.horizontal_ref),
            y: i32::from(vs.vertical_ref),
            width: usize::from(vs.width).div_ceil(16) * 16,
            height: usize::from(vs.height).div_ceil(16) * 16,
        };
        let pixels = (rect.width * rect.height) as u64;
        let side = rect.width.max(rect.height) as u32;
        if pixels > self.limits.max_pixels || side > self.limits.max_dimension {
            return Err(Error::Limits(format!("VOP {}x{}", rect.width, rect.height)));
        }
        let (mbw, mbh) = (rect.mb_width(), rect.mb_height());
        let reference = match (h.kind, &self.reference, &self.shape_ref) {
            (VopType::I, _, _) => None,
            (VopType::P, Some(pic), Some(prev)) => Some((
                pic.translated(
                    (rect.x - prev.rect.x) as isize,
                    (rect.y - prev.rect.y) as isize,
                    rect.width,
                    rect.height,
                ),
                prev,
            )),
            (VopType::P, _, _) => {
                return Err(Error::Syntax {
                    bit: r.position(),
                    what: "P-VOP",
                    detail: "no reference VOP before it".into(),
                });
            }
        };
        let texture = vol.shape != Shape::BinaryOnly;
        let mut current = Picture::new(rect.width, rect.height);
        let mut layer = ShapeLayer::new(rect);
        let mut state = PredState::new(mbw, mbh);
        let ctx = VopContext {
            kind: h.kind,
            quant: &vol.quant,
            rounding: h.rounding,
            fcode: h.fcode,
            reference: reference.as_ref().map(|(p, _)| p),
        };
        let zeros = header::resync_zeros(h.kind, h.fcode);
        let mut qp = h.quant;
        let mut px = [128u8; 384];
        for mb in 0..mbw * mbh {
            let (mbx, mby) = (mb % mbw, mb / mbw);
            if mb > 0 && !vol.resync_marker_disable && at_resync(&r, zeros) {
                return Err(Error::Unsupported("video packets in shaped VOPs".into()));
            }
            let border = layer.border(mbx, mby);
            let decoded = match &reference {
                Some((_, prev)) if vs.inter_shape || !texture => {
                    let colocated = layer.colocated(prev, mbx, mby);
                    let mvp = layer.mv_predictor(mbx, mby, |x, y, b| {
                        texture.then(|| state.inter_mv(x, y, b, 0)).flatten()
                    });
                    decode_bab_p(
                        &mut r,
                        colocated,
                        &border,
                        mvp,
                        vs.change_conv_ratio_disable,
                        |mv| layer.predicted(prev, mbx, mby, mv),
                    )?
                }
                _ => decode_bab_i(
                    &mut r,
                    &layer.intra_context(mbx, mby),
                    &border,
                    vs.change_conv_ratio_disable,
                )?,
            };
            layer.store(mbx, mby, &decoded.bab, decoded.bab_type, decoded.mv);
            if !texture {
                continue;
            }
            let (_, transparent) = layer.mb_alpha(mbx, mby);
            state.set_transparent(mbx, mby, transparent);
            if decoded.bab_type == BabType::Transparent || transparent == 0x3f {
                state.begin_mb(mbx, mby, 0, false, qp);
                state.set_mv_all(mbx, mby, [0, 0]);
                continue;
            }
            let m = mb::read_mb(&mut r, h.kind, h.fcode, transparent)?;
            if m.mb_type.has_dquant() && !m.not_coded {
                qp = (i32::from(qp) + i32::from(m.dquant)).clamp(1, 31) as u8;
            }
            recon::reconstruct_mb(
                &mut state,
                &ctx,
                mbx,
                mby,
                0,
                qp,
                &m,
                recon::Prediction::Compute,
                &mut px,
            )?;
            recon::store_mb(&mut current, mbx, mby, &px);
        }
        if texture {
            pad_vop(&mut current, &layer.alpha);
            current.extend_edges();
        }
        let frame = current.to_frame();
        let alpha = layer.alpha.clone();
        self.reference = Some(current);
        self.shape_ref = Some(layer);
        Ok(DecodedVop {
            frame,
            kind: h.kind,
            coded: true,
            time,
            qp: h.quant,
            packets: 1,
            shape: Some(DecodedShape {
                rect: Some(rect),
                alpha,
            }),
        })
    }
}

/// A VOP's presentation time in ticks; its modulo time base moves the
/// synchronisation point (whole seconds) on.
fn vop_time(sync_seconds: &mut u64, vol: &Vol, h: &VopHeader) -> u64 {
    *sync_seconds += u64::from(h.modulo_time_base);
    *sync_seconds * u64::from(vol.time_resolution) + u64::from(h.time_increment)
}

/// Whether valid stuffing then a resync marker follow.
fn at_resync(r: &BitReader<'_>, zeros: u32) -> bool {
    if !r.at_valid_stuffing() {
        return false;
    }
    let mut t = r.clone();
    t.skip_stuffing().is_ok() && t.bits_left() > zeros as usize && t.peek(zeros + 1) == 1
}

/// Skips the header extension of a video packet header (6.2.5.2).
fn skip_header_extension(r: &mut BitReader<'_>, vol: &Vol, kind: VopType) -> Result<()> {
    while r.get_bit()? {}
    r.marker("header extension")?;
    r.skip(vol.time_increment_bits())?;
    r.marker("header extension")?;
    r.skip(2)?; // vop_coding_type
    r.skip(3)?; // intra_dc_vlc_thr
    if kind == VopType::P {
        r.skip(3)?;
    }
    Ok(())
}
