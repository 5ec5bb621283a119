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
}

#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    profile_level: Option<u8>,
    vol: Option<Vol>,
    state: Option<PredState>,
    reference: Option<Picture>,
    current: Option<Picture>,
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
                    return Err(Error::Unsupported(
                        "non-rectangular video object layers".into(),
                    ));
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
        let seconds = self.sync_seconds + u64::from(h.modulo_time_base);
        self.sync_seconds = seconds;
        let time = seconds * u64::from(vol.time_resolution) + u64::from(h.time_increment);
        if !h.coded {
            return Ok(DecodedVop {
                frame: reference.to_frame(),
                kind: h.kind,
                coded: false,
                time,
                qp: 0,
                packets: 0,
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
                vec![mb::read_mb(&mut r, h.kind, h.fcode)?]
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
        })
    }
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
