//! Sequence-level and VOP-level headers (ISO/IEC 14496-2 clause 6.2):
//! visual object sequence, visual object, video object layer, group of VOPs,
//! VOP and video packet headers — written by the encoder, parsed by the
//! decoder, with the same structs on both sides.

use crate::bits::{BitReader, BitWriter};
use crate::error::{Error, Result};
use crate::es::code;

/// Shape of a video object layer (`video_object_layer_shape`, Table 6-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Rectangular,
    Binary,
    BinaryOnly,
}

impl Shape {
    fn bits(self) -> u32 {
        match self {
            Shape::Rectangular => 0,
            Shape::Binary => 1,
            Shape::BinaryOnly => 2,
        }
    }
}

/// Inverse quantisation method (`quant_type`, 7.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantType {
    /// The first (H.263) method.
    H263,
    /// The second (MPEG) method with weighting matrices in raster order.
    Mpeg { intra: [u8; 64], inter: [u8; 64] },
}

/// VBV parameters of the VOL control parameters (6.3.3, Annex D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VbvParams {
    /// Bit rate in units of 400 bit/s (30 bits).
    pub bit_rate_400: u32,
    /// VBV buffer size in units of 16384 bits (18 bits).
    pub buffer_size_16k: u32,
    /// Initial occupancy in units of 64 bits (26 bits).
    pub occupancy_64: u32,
}

/// The fields of a video object layer header that this codec uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vol {
    /// `video_object_id` (0..=31) of the enclosing video object.
    pub object_id: u8,
    /// `video_object_layer_id` (0..=15).
    pub layer_id: u8,
    /// `video_object_type_indication` (Table 6-10): 1 simple, 3 core.
    pub object_type: u8,
    pub vbv: Option<VbvParams>,
    pub shape: Shape,
    pub time_resolution: u16,
    /// `fixed_vop_time_increment` when the rate is fixed.
    pub fixed_increment: Option<u16>,
    /// `video_object_layer_width/height` (rectangular layers only).
    pub width: u16,
    pub height: u16,
    pub quant: QuantType,
    pub resync_marker_disable: bool,
    pub data_partitioned: bool,
    pub reversible_vlc: bool,
}

impl Vol {
    /// Bits of `vop_time_increment`: enough for `time_resolution - 1`, at
    /// least 1 (6.3.3).
    pub fn time_increment_bits(&self) -> u32 {
        let r = u32::from(self.time_resolution.max(1)) - 1;
        (32 - r.leading_zeros()).max(1)
    }

    pub fn mb_width(&self) -> usize {
        usize::from(self.width).div_ceil(16)
    }

    pub fn mb_height(&self) -> usize {
        usize::from(self.height).div_ceil(16)
    }

    pub fn write(&self, w: &mut BitWriter) {
        w.put(32, 0x100 | u32::from(self.object_id & 0x1f));
        w.put(32, 0x120 | u32::from(self.layer_id & 0xf));
        w.put(1, 0); // random_accessible_vol
        w.put(8, u32::from(self.object_type));
        w.put(1, 0); // is_object_layer_identifier
        w.put(4, 1); // aspect_ratio_info: square pixels
        w.put(1, 1); // vol_control_parameters
        w.put(2, 1); // chroma_format 4:2:0
        w.put(1, 1); // low_delay: no B-VOPs
        match self.vbv {
            Some(v) => {
                w.put(1, 1);
                w.put(15, v.bit_rate_400 >> 15);
                w.marker();
                w.put(15, v.bit_rate_400 & 0x7fff);
                w.marker();
                w.put(15, v.buffer_size_16k >> 3);
                w.marker();
                w.put(3, v.buffer_size_16k & 7);
                w.put(11, v.occupancy_64 >> 15);
                w.marker();
                w.put(15, v.occupancy_64 & 0x7fff);
                w.marker();
            }
            None => w.put(1, 0),
        }
        w.put(2, self.shape.bits());
        w.marker();
        w.put(16, u32::from(self.time_resolution));
        w.marker();
        match self.fixed_increment {
            Some(inc) => {
                w.put(1, 1);
                w.put(self.time_increment_bits(), u32::from(inc));
            }
            None => w.put(1, 0),
        }
        if self.shape == Shape::BinaryOnly {
            // Nothing of texture: only the resync flag remains.
            w.put_bit(self.resync_marker_disable);
            w.stuff_to_byte();
            return;
        }
        if self.shape == Shape::Rectangular {
            w.marker();
            w.put(13, u32::from(self.width));
            w.marker();
            w.put(13, u32::from(self.height));
            w.marker();
        }
        w.put(1, 0); // interlaced
        w.put(1, 1); // obmc_disable
        w.put(1, 0); // sprite_enable (verid 1)
        w.put(1, 0); // not_8_bit
        match &self.quant {
            QuantType::H263 => w.put(1, 0),
            QuantType::Mpeg { intra, inter } => {
                w.put(1, 1);
                for m in [intra, inter] {
                    w.put(1, 1); // load_*_quant_mat
                    // All 64 values in zigzag order; no early terminator.
                    for &pos in crate::tables::ZIGZAG.iter() {
                        w.put(8, u32::from(m[usize::from(pos)]));
                    }
                }
            }
        }
        w.put(1, 1); // complexity_estimation_disable
        w.put_bit(self.resync_marker_disable);
        w.put_bit(self.data_partitioned);
        if self.data_partitioned {
            w.put_bit(self.reversible_vlc);
        }
        w.put(1, 0); // scalability
        w.stuff_to_byte();
    }

    /// Parses a VOL from just after its start code (`r` at the first bit
    /// of `random_accessible_vol`).
    pub fn parse(r: &mut BitReader<'_>, object_id: u8, layer_id: u8) -> Result<Vol> {
        r.skip(1)?; // random_accessible_vol
        let object_type = r.get(8)? as u8;
        let mut verid = 1;
        if r.get_bit()? {
            verid = r.get(4)?;
            r.skip(3)?; // priority
        }
        if r.get(4)? == 15 {
            r.skip(16)?; // extended PAR
        }
        let mut vbv = None;
        if r.get_bit()? {
            let chroma = r.get(2)?;
            if chroma != 1 {
                return Err(Error::Unsupported(format!(
                    "chroma_format {chroma} (only 4:2:0)"
                )));
            }
            let low_delay = r.get_bit()?;
            if !low_delay {
                // B-VOPs may follow; the decoder rejects them when met.
            }
            if r.get_bit()? {
                let hi = r.get(15)?;
                r.marker("vbv bit rate")?;
                let lo = r.get(15)?;
                r.marker("vbv bit rate")?;
                let bhi = r.get(15)?;
                r.marker("vbv buffer size")?;
                let blo = r.get(3)?;
                let ohi = r.get(11)?;
                r.marker("vbv occupancy")?;
                let olo = r.get(15)?;
                r.marker("vbv occupancy")?;
                vbv = Some(VbvParams {
                    bit_rate_400: hi << 15 | lo,
                    buffer_size_16k: bhi << 3 | blo,
                    occupancy_64: ohi << 15 | olo,
                });
            }
        }
        let shape = match r.get(2)? {
            0 => Shape::Rectangular,
            1 => Shape::Binary,
            2 => Shape::BinaryOnly,
            s => {
                return Err(Error::Unsupported(format!(
                    "video_object_layer_shape {s} (grayscale)"
                )));
            }
        };
        r.marker("before vop_time_increment_resolution")?;
        let time_resolution = r.get(16)? as u16;
        if time_resolution == 0 {
            return Err(syntax(r, "vop_time_increment_resolution", "zero"));
        }
        r.marker("after vop_time_increment_resolution")?;
        let mut vol = Vol {
            object_id,
            layer_id,
            object_type,
            vbv,
            shape,
            time_resolution,
            fixed_increment: None,
            width: 0,
            height: 0,
            quant: QuantType::H263,
            resync_marker_disable: false,
            data_partitioned: false,
            reversible_vlc: false,
        };
        if r.get_bit()? {
            vol.fixed_increment = Some(r.get(vol.time_increment_bits())? as u16);
        }
        if shape == Shape::BinaryOnly {
            if verid != 1 && r.get_bit()? {
                return Err(Error::Unsupported("scalability".into()));
            }
            vol.resync_marker_disable = r.get_bit()?;
            return Ok(vol);
        }
        if shape == Shape::Rectangular {
            r.marker("before video_object_layer_width")?;
            vol.width = r.get(13)? as u16;
            r.marker("before video_object_layer_height")?;
            vol.height = r.get(13)? as u16;
            r.marker("after video_object_layer_height")?;
            if vol.width == 0 || vol.height == 0 {
                return Err(syntax(r, "video object layer size", "zero width or height"));
            }
        }
        if r.get_bit()? {
            return Err(Error::Unsupported("interlaced video object layers".into()));
        }
        if !r.get_bit()? {
            return Err(Error::Unsupported(
                "overlapped block motion compensation".into(),
            ));
        }
        let sprite = r.get(if verid == 1 { 1 } else { 2 })?;
        if sprite != 0 {
            return Err(Error::Unsupported("sprites".into()));
        }
        if r.get_bit()? {
            return Err(Error::Unsupported("not_8_bit video".into()));
        }
        if r.get_bit()? {
            let mut intra = crate::tables::DEFAULT_INTRA_QMAT;
            let mut inter = crate::tables::DEFAULT_NON_INTRA_QMAT;
            for m in [&mut intra, &mut inter] {
                if r.get_bit()? {
                    read_matrix(r, m)?;
                }
            }
            vol.quant = QuantType::Mpeg { intra, inter };
        }
        if verid != 1 && r.get_bit()? {
            return Err(Error::Unsupported(
                "quarter-sample motion compensation".into(),
            ));
        }
        if !r.get_bit()? {
            return Err(Error::Unsupported("complexity estimation headers".into()));
        }
        vol.resync_marker_disable = r.get_bit()?;
        vol.data_partitioned = r.get_bit()?;
        if vol.data_partitioned {
            vol.reversible_vlc = r.get_bit()?;
            if vol.reversible_vlc {
                return Err(Error::Unsupported("reversible VLC".into()));
            }
        }
        if verid != 1 {
            if r.get_bit()? {
                return Err(Error::Unsupported("newpred".into()));
            }
            if r.get_bit()? {
                return Err(Error::Unsupported("reduced resolution VOPs".into()));
            }
        }
        if r.get_bit()? {
            return Err(Error::Unsupported("scalability".into()));
        }
        Ok(vol)
    }
}

/// Reads a quantiser matrix in zigzag order; a 0 ends it early and the last
/// value repeats (6.3.3).
fn read_matrix(r: &mut BitReader<'_>, m: &mut [u8; 64]) -> Result<()> {
    let mut last = 0u8;
    for (i, &pos) in crate::tables::ZIGZAG.iter().enumerate() {
        let v = r.get(8)? as u8;
        if v == 0 {
            if i == 0 {
                return Err(syntax(r, "quantiser matrix", "first value is zero"));
            }
            for &rest in &crate::tables::ZIGZAG[i..] {
                m[usize::from(rest)] = last;
            }
            return Ok(());
        }
        m[usize::from(pos)] = v;
        last = v;
    }
    Ok(())
}

fn syntax(r: &BitReader<'_>, what: &'static str, detail: &str) -> Error {
    Error::Syntax {
        bit: r.position(),
        what,
        detail: detail.to_string(),
    }
}

/// Writes the visual object sequence start, `profile_and_level_indication`,
/// and the visual object header (6.2.2) that precede a VOL.
pub fn write_sequence_start(w: &mut BitWriter, profile_level: u8) {
    w.put(32, 0x100 | u32::from(code::VISUAL_OBJECT_SEQUENCE));
    w.put(8, u32::from(profile_level));
    w.put(32, 0x100 | u32::from(code::VISUAL_OBJECT));
    w.put(1, 0); // is_visual_object_identifier
    w.put(4, 1); // visual_object_type: video
    w.put(1, 0); // video_signal_type
    w.stuff_to_byte();
}

/// Writes a user data unit; `text` must not contain 23 zero bits in a row
/// (it is ASCII, so it cannot).
pub fn write_user_data(w: &mut BitWriter, text: &str) {
    w.put(32, 0x100 | u32::from(code::USER_DATA));
    for b in text.bytes().filter(|&b| b != 0) {
        w.put(8, u32::from(b));
    }
}

/// Group of VOPs header (6.2.4): the time code of the next VOP in whole
/// seconds, which becomes the modulo time base's synchronisation point.
pub fn write_gov(w: &mut BitWriter, seconds: u32, closed: bool) {
    w.put(32, 0x100 | u32::from(code::GROUP_OF_VOP));
    let hours = (seconds / 3600) % 24;
    w.put(5, hours);
    w.put(6, (seconds / 60) % 60);
    w.marker();
    w.put(6, seconds % 60);
    w.put_bit(closed);
    w.put(1, 0); // broken_link
    w.stuff_to_byte();
}

/// Parses a GOV from after its start code; returns the time code seconds.
pub fn parse_gov(r: &mut BitReader<'_>) -> Result<u32> {
    let hours = r.get(5)?;
    let minutes = r.get(6)?;
    r.marker("in time_code")?;
    let seconds = r.get(6)?;
    r.skip(2)?; // closed_gov, broken_link
    Ok(hours * 3600 + minutes * 60 + seconds)
}

/// Coding type of a VOP (Table 6-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VopType {
    I,
    P,
}

/// Shape fields of a VOP header for non-rectangular layers (6.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VopShape {
    pub width: u16,
    pub height: u16,
    pub horizontal_ref: i16,
    pub vertical_ref: i16,
    pub change_conv_ratio_disable: bool,
    /// `vop_shape_coding_type` of P-VOPs: inter shape coding (BAB types of
    /// Table "bab_type in P-VOPs"); false codes every BAB as in an I-VOP.
    /// Binary-only layers have no such field and always code inter.
    pub inter_shape: bool,
}

/// The fields of a VOP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VopHeader {
    pub kind: VopType,
    /// Number of `1` bits of `modulo_time_base`: whole seconds since the
    /// synchronisation point.
    pub modulo_time_base: u32,
    pub time_increment: u32,
    pub coded: bool,
    /// `vop_rounding_type` (P-VOPs).
    pub rounding: bool,
    pub shape: Option<VopShape>,
    pub quant: u8,
    /// `vop_fcode_forward` (P-VOPs), 1..=7.
    pub fcode: u8,
}

impl VopHeader {
    pub fn write(&self, w: &mut BitWriter, vol: &Vol) {
        w.put(32, 0x100 | u32::from(code::VOP));
        w.put(2, if self.kind == VopType::I { 0 } else { 1 });
        for _ in 0..self.modulo_time_base {
            w.put(1, 1);
        }
        w.put(1, 0);
        w.marker();
        w.put(vol.time_increment_bits(), self.time_increment);
        w.marker();
        w.put_bit(self.coded);
        if !self.coded {
            w.stuff_to_byte();
            return;
        }
        if self.kind == VopType::P && vol.shape != Shape::BinaryOnly {
            w.put_bit(self.rounding);
        }
        if vol.shape != Shape::Rectangular {
            let s = self.shape.unwrap_or_default();
            w.put(13, u32::from(s.width));
            w.marker();
            w.put(13, u32::from(s.height));
            w.marker();
            w.put(13, (s.horizontal_ref as u32) & 0x1fff);
            w.marker();
            w.put(13, (s.vertical_ref as u32) & 0x1fff);
            w.marker();
            w.put_bit(s.change_conv_ratio_disable);
            w.put(1, 0); // vop_constant_alpha
        }
        if vol.shape == Shape::BinaryOnly {
            return;
        }
        w.put(3, 0); // intra_dc_vlc_thr: always the intra DC VLC
        w.put(5, u32::from(self.quant));
        if self.kind == VopType::P {
            w.put(3, u32::from(self.fcode));
            if vol.shape != Shape::Rectangular {
                w.put_bit(self.shape.is_none_or(|s| s.inter_shape));
            }
        }
    }

    /// Parses a VOP header from just after its start code.
    pub fn parse(r: &mut BitReader<'_>, vol: &Vol) -> Result<VopHeader> {
        let kind = match r.get(2)? {
            0 => VopType::I,
            1 => VopType::P,
            2 => return Err(Error::Unsupported("B-VOPs".into())),
            _ => return Err(Error::Unsupported("sprite (S) VOPs".into())),
        };
        let mut modulo_time_base = 0;
        while r.get_bit()? {
            modulo_time_base += 1;
            if modulo_time_base > 3600 {
                return Err(syntax(r, "modulo_time_base", "more than an hour"));
            }
        }
        r.marker("before vop_time_increment")?;
        let time_increment = r.get(vol.time_increment_bits())?;
        r.marker("after vop_time_increment")?;
        let mut h = VopHeader {
            kind,
            modulo_time_base,
            time_increment,
            coded: r.get_bit()?,
            rounding: false,
            shape: None,
            quant: 0,
            fcode: 0,
        };
        if !h.coded {
            return Ok(h);
        }
        if kind == VopType::P && vol.shape != Shape::BinaryOnly {
            h.rounding = r.get_bit()?;
        }
        if vol.shape != Shape::Rectangular {
            let width = r.get(13)? as u16;
            r.marker("after vop_width")?;
            let height = r.get(13)? as u16;
            r.marker("after vop_height")?;
            let horizontal_ref = sign_extend13(r.get(13)?);
            r.marker("after vop_horizontal_mc_spatial_ref")?;
            let vertical_ref = sign_extend13(r.get(13)?);
            r.marker("after vop_vertical_mc_spatial_ref")?;
            let change_conv_ratio_disable = r.get_bit()?;
            if r.get_bit()? {
                return Err(Error::Unsupported("vop_constant_alpha".into()));
            }
            h.shape = Some(VopShape {
                width,
                height,
                horizontal_ref,
                vertical_ref,
                change_conv_ratio_disable,
                inter_shape: true,
            });
        }
        if vol.shape == Shape::BinaryOnly {
            return Ok(h);
        }
        if r.get(3)? != 0 {
            return Err(Error::Unsupported("intra_dc_vlc_thr other than 0".into()));
        }
        h.quant = r.get(5)? as u8;
        if h.quant == 0 {
            return Err(syntax(r, "vop_quant", "zero"));
        }
        if kind == VopType::P {
            h.fcode = r.get(3)? as u8;
            if h.fcode == 0 {
                return Err(syntax(r, "vop_fcode_forward", "zero"));
            }
            if let Some(s) = h.shape.as_mut() {
                s.inter_shape = r.get_bit()?;
            }
        }
        Ok(h)
    }
}

fn sign_extend13(v: u32) -> i16 {
    ((v << 19) as i32 >> 19) as i16
}

/// Length of the zero run of a resync marker (6.3.5.2): 16 for I-VOPs,
/// 15 + `vop_fcode_forward` for P-VOPs; a `1` follows.
pub fn resync_zeros(kind: VopType, fcode: u8) -> u32 {
    match kind {
        VopType::I => 16,
        VopType::P => 15 + u32::from(fcode),
    }
}

/// Bits of `macroblock_number`: enough for `mb_count - 1`, at least 1.
pub fn mb_number_bits(mb_count: usize) -> u32 {
    let m = mb_count.max(2) - 1;
    usize::BITS - m.leading_zeros()
}

/// Writes `next_resync_marker()` stuffing, a resync marker and a video
/// packet header without header extension (6.2.5.2).
pub fn write_packet_header(
    w: &mut BitWriter,
    kind: VopType,
    fcode: u8,
    mb_count: usize,
    first_mb: usize,
    quant: u8,
) {
    w.stuff_to_byte();
    w.put(resync_zeros(kind, fcode), 0);
    w.put(1, 1);
    w.put(mb_number_bits(mb_count), first_mb as u32);
    w.put(5, u32::from(quant));
    w.put(1, 0); // header_extension_code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol() -> Vol {
        Vol {
            object_id: 0,
            layer_id: 0,
            object_type: 1,
            vbv: Some(VbvParams {
                bit_rate_400: 2500,
                buffer_size_16k: 20,
                occupancy_64: 12345,
            }),
            shape: Shape::Rectangular,
            time_resolution: 30000,
            fixed_increment: Some(1001),
            width: 352,
            height: 288,
            quant: QuantType::H263,
            resync_marker_disable: false,
            data_partitioned: true,
            reversible_vlc: false,
        }
    }

    #[test]
    fn vol_round_trip() {
        for quant in [
            QuantType::H263,
            QuantType::Mpeg {
                intra: crate::tables::DEFAULT_INTRA_QMAT,
                inter: [16; 64],
            },
        ] {
            let v = Vol { quant, ..vol() };
            let mut w = BitWriter::new();
            v.write(&mut w);
            let bytes = w.into_bytes();
            assert_eq!(&bytes[..8], &[0, 0, 1, 0, 0, 0, 1, 0x20]);
            let mut r = BitReader::new(&bytes[8..]);
            assert_eq!(Vol::parse(&mut r, 0, 0).unwrap(), v);
            assert!(r.at_valid_stuffing());
        }
    }

    #[test]
    fn vop_round_trip() {
        let v = vol();
        assert_eq!(v.time_increment_bits(), 15);
        let h = VopHeader {
            kind: VopType::P,
            modulo_time_base: 2,
            time_increment: 29029,
            coded: true,
            rounding: true,
            shape: None,
            quant: 7,
            fcode: 3,
        };
        let mut w = BitWriter::new();
        h.write(&mut w, &v);
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes[4..]);
        assert_eq!(VopHeader::parse(&mut r, &v).unwrap(), h);
    }

    #[test]
    fn field_widths() {
        assert_eq!(mb_number_bits(1), 1);
        assert_eq!(mb_number_bits(2), 1);
        assert_eq!(mb_number_bits(3), 2);
        assert_eq!(mb_number_bits(99), 7);
        assert_eq!(mb_number_bits(396), 9);
        let one = Vol {
            time_resolution: 1,
            ..vol()
        };
        assert_eq!(one.time_increment_bits(), 1);
        let r25 = Vol {
            time_resolution: 25,
            ..vol()
        };
        assert_eq!(r25.time_increment_bits(), 5);
    }
}
