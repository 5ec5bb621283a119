//! Macroblock layer syntax (6.2.6, 6.2.7): what one macroblock carries, and
//! writing/reading it in the plain order or data partitioned (6.2.6.x,
//! `data_partitioned`), the two layouts sharing one description.

use crate::bits::{BitReader, BitWriter};
use crate::error::{Error, Result};
use crate::header::VopType;
use crate::vlc;

/// `mb_type` (Tables B-6, B-7 numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MbType {
    Inter,
    InterQ,
    Inter4V,
    Intra,
    IntraQ,
}

impl MbType {
    pub fn code(self) -> u8 {
        match self {
            MbType::Inter => 0,
            MbType::InterQ => 1,
            MbType::Inter4V => 2,
            MbType::Intra => 3,
            MbType::IntraQ => 4,
        }
    }

    pub fn from_code(code: u8) -> Option<MbType> {
        Some(match code {
            0 => MbType::Inter,
            1 => MbType::InterQ,
            2 => MbType::Inter4V,
            3 => MbType::Intra,
            4 => MbType::IntraQ,
            _ => return None,
        })
    }

    pub fn is_intra(self) -> bool {
        matches!(self, MbType::Intra | MbType::IntraQ)
    }

    pub fn has_dquant(self) -> bool {
        matches!(self, MbType::InterQ | MbType::IntraQ)
    }

    /// Number of coded motion vectors.
    pub fn vectors(self) -> usize {
        match self {
            MbType::Inter | MbType::InterQ => 1,
            MbType::Inter4V => 4,
            _ => 0,
        }
    }
}

/// Everything one macroblock carries in the bitstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MbCode {
    /// P-VOPs: `not_coded` (the macroblock copies the reference at vector 0).
    pub not_coded: bool,
    pub mb_type: MbType,
    pub ac_pred: bool,
    /// Coded block pattern: bit 5 is block 0 (top-left luma) ... bit 0 is
    /// block 5 (Cr).
    pub cbp: u8,
    /// `dquant` in -2..=2 (only for the `*Q` types).
    pub dquant: i8,
    /// Range-wrapped vector differences in half samples, one per vector.
    pub mvd: [[i32; 2]; 4],
    /// Intra DC differentials (`dct_dc_differential`).
    pub dc_diff: [i32; 6],
    /// Levels in coding (scan) order; for intra blocks index 0 is unused
    /// because the DC travels separately.
    pub levels: [[i16; 64]; 6],
    /// Transparent blocks of a macroblock of a shaped VOP (bits as in
    /// `cbp`), known from its shape before the texture: they carry no
    /// `cbpy` bit, no vector (four-vector macroblocks) and no data.
    pub transparent: u8,
}

impl MbCode {
    pub fn new(mb_type: MbType) -> MbCode {
        MbCode {
            not_coded: false,
            mb_type,
            ac_pred: false,
            cbp: 0,
            dquant: 0,
            mvd: [[0; 2]; 4],
            dc_diff: [0; 6],
            levels: [[0; 64]; 6],
            transparent: 0,
        }
    }

    /// Resets every field but the levels to those of `new(mb_type)`:
    /// encoders reuse one `MbCode` and overwrite the levels of each block
    /// they code (readers look only at coded blocks, and at every block of
    /// an intra macroblock).
    pub fn reset(&mut self, mb_type: MbType) {
        self.not_coded = false;
        self.mb_type = mb_type;
        self.ac_pred = false;
        self.cbp = 0;
        self.dquant = 0;
        self.mvd = [[0; 2]; 4];
        self.dc_diff = [0; 6];
        self.transparent = 0;
    }

    pub fn skipped() -> MbCode {
        MbCode {
            not_coded: true,
            ..MbCode::new(MbType::Inter)
        }
    }

    fn cbpc(&self) -> u8 {
        self.cbp & 3
    }

    fn cbpy(&self) -> u8 {
        self.cbp >> 2
    }

    /// Whether block `b` is transparent.
    pub fn block_transparent(&self, b: usize) -> bool {
        self.transparent & (0x20 >> b) != 0
    }

    /// The non-transparent luma blocks, in order.
    fn opaque_luma(&self) -> impl Iterator<Item = usize> + '_ {
        (0..4).filter(|&b| !self.block_transparent(b))
    }

    /// `cbpy` over the non-transparent luma blocks and their number.
    fn cbpy_partial(&self) -> (u8, u32) {
        let mut v = 0u8;
        let mut n = 0;
        for b in self.opaque_luma() {
            v = v << 1 | u8::from(self.block_coded(b));
            n += 1;
        }
        (v, n)
    }

    /// Sets the luma bits of `cbp` from a pattern over the non-transparent
    /// blocks (see [`MbCode::cbpy_partial`]).
    fn set_cbpy_partial(&mut self, v: u8, n: u32) {
        let blocks: Vec<usize> = self.opaque_luma().collect();
        for (k, b) in blocks.into_iter().enumerate() {
            if v >> (n - 1 - k as u32) & 1 != 0 {
                self.cbp |= 0x20 >> b;
            }
        }
    }

    /// The blocks whose vectors are coded: one for 1MV, the
    /// non-transparent luma blocks for four-vector macroblocks.
    pub fn coded_vectors(&self) -> impl Iterator<Item = usize> + '_ {
        let four = self.mb_type.vectors() == 4;
        (0..self.mb_type.vectors()).filter(move |&b| !four || !self.block_transparent(b))
    }

    pub fn block_coded(&self, b: usize) -> bool {
        self.cbp & (0x20 >> b) != 0
    }
}

fn dquant_code(d: i8) -> u32 {
    match d {
        -1 => 0,
        -2 => 1,
        1 => 2,
        _ => 3,
    }
}

fn dquant_value(code: u32) -> i8 {
    [-1, -2, 1, 2][code as usize & 3]
}

/// `dc_marker` (6.3.6): separates the DC partition of an I-VOP packet.
pub const DC_MARKER: (u32, u32) = (19, 0b110_1011_0000_0000_0001);
/// `motion_marker` (6.3.6): separates the motion partition of a P-VOP packet.
pub const MOTION_MARKER: (u32, u32) = (17, 0b1_1111_0000_0000_0001);

fn write_header_part(w: &mut BitWriter, m: &MbCode, kind: VopType) {
    match kind {
        VopType::I => vlc::put_mcbpc_i(w, m.mb_type.code(), m.cbpc()),
        VopType::P => {
            w.put_bit(m.not_coded);
            if m.not_coded {
                return;
            }
            vlc::put_mcbpc_p(w, m.mb_type.code(), m.cbpc());
        }
    }
}

fn write_mvs(w: &mut BitWriter, m: &MbCode, fcode: u8) {
    for v in m.coded_vectors().map(|b| m.mvd[b]) {
        vlc::put_mv_component(w, v[0], fcode);
        vlc::put_mv_component(w, v[1], fcode);
    }
}

fn write_dcs(w: &mut BitWriter, m: &MbCode) {
    for (b, &d) in m.dc_diff.iter().enumerate() {
        if m.block_transparent(b) {
            continue;
        }
        vlc::put_intra_dc(w, d, b < 4);
    }
}

/// Writes the coefficient events of every coded block; with `with_dc` each
/// intra block's DC differential goes first (the plain order, 6.2.8).
fn write_blocks(w: &mut BitWriter, m: &MbCode, with_dc: bool) {
    let intra = m.mb_type.is_intra();
    let start = usize::from(intra);
    for (b, levels) in m.levels.iter().enumerate() {
        if m.block_transparent(b) {
            continue;
        }
        if with_dc && intra {
            vlc::put_intra_dc(w, m.dc_diff[b], b < 4);
        }
        if !m.block_coded(b) {
            continue;
        }
        for_each_event(levels, start, |run, level, last| {
            vlc::put_tcoef(w, intra, last, run, level);
        });
    }
}

/// Calls `f(run, level, last)` for each (run, level) event of a block's
/// levels (scan order) from index `start` (1 for intra blocks, whose DC is
/// coded apart).
#[inline]
pub(crate) fn for_each_event(levels: &[i16; 64], start: usize, mut f: impl FnMut(u8, i32, bool)) {
    let mut nz = tessera_dsp::scan::nonzero_mask(levels) >> start;
    let mut next = start;
    while nz != 0 {
        let skip = nz.trailing_zeros() as usize;
        let i = next + skip;
        nz >>= skip;
        nz >>= 1;
        f((i - next) as u8, i32::from(levels[i]), nz == 0);
        next = i + 1;
    }
}

fn put_cbpy(w: &mut BitWriter, m: &MbCode, intra: bool) {
    if m.transparent == 0 {
        vlc::put_cbpy(w, m.cbpy(), intra);
    } else {
        let (v, n) = m.cbpy_partial();
        vlc::put_cbpy_partial(w, v, n, intra);
    }
}

/// Writes a macroblock in the plain (not partitioned) order.
pub fn write_mb(w: &mut BitWriter, m: &MbCode, kind: VopType, fcode: u8) {
    write_header_part(w, m, kind);
    if m.not_coded {
        return;
    }
    let intra = m.mb_type.is_intra();
    if intra {
        w.put_bit(m.ac_pred);
    }
    put_cbpy(w, m, intra);
    if m.mb_type.has_dquant() {
        w.put(2, dquant_code(m.dquant));
    }
    write_mvs(w, m, fcode);
    write_blocks(w, m, true);
}

/// Collects a data-partitioned video packet's three parts as macroblocks
/// arrive, so the encoder can watch the packet's size.
#[derive(Debug, Default)]
pub struct PartitionedWriter {
    first: BitWriter,
    second: BitWriter,
    texture: BitWriter,
}

impl PartitionedWriter {
    pub fn new() -> PartitionedWriter {
        PartitionedWriter::default()
    }

    pub fn push(&mut self, m: &MbCode, kind: VopType, fcode: u8) {
        write_header_part(&mut self.first, m, kind);
        if m.not_coded {
            return;
        }
        let intra = m.mb_type.is_intra();
        match kind {
            VopType::I => {
                if m.mb_type.has_dquant() {
                    self.first.put(2, dquant_code(m.dquant));
                }
                write_dcs(&mut self.first, m);
                self.second.put_bit(m.ac_pred);
                put_cbpy(&mut self.second, m, true);
            }
            VopType::P => {
                write_mvs(&mut self.first, m, fcode);
                if intra {
                    self.second.put_bit(m.ac_pred);
                }
                put_cbpy(&mut self.second, m, intra);
                if m.mb_type.has_dquant() {
                    self.second.put(2, dquant_code(m.dquant));
                }
                if intra {
                    write_dcs(&mut self.second, m);
                }
            }
        }
        write_blocks(&mut self.texture, m, false);
    }

    /// Bits the packet would take with its marker.
    pub fn bit_len(&self) -> u64 {
        self.first.bit_len() + 19 + self.second.bit_len() + self.texture.bit_len()
    }

    /// Appends the packet (first part, marker, second part, texture).
    pub fn finish(&mut self, w: &mut BitWriter, kind: VopType) {
        w.append(&self.first);
        let (n, v) = if kind == VopType::I {
            DC_MARKER
        } else {
            MOTION_MARKER
        };
        w.put(n, v);
        w.append(&self.second);
        w.append(&self.texture);
        self.first.clear();
        self.second.clear();
        self.texture.clear();
    }
}

fn syntax(r: &BitReader<'_>, what: &'static str, detail: String) -> Error {
    Error::Syntax {
        bit: r.position(),
        what,
        detail,
    }
}

fn read_header_part(r: &mut BitReader<'_>, kind: VopType) -> Result<MbCode> {
    match kind {
        VopType::I => loop {
            if let Some((t, cbpc)) = vlc::get_mcbpc_i(r)? {
                let mb_type = MbType::from_code(t).filter(|t| t.is_intra());
                let mb_type = mb_type
                    .ok_or_else(|| syntax(r, "mcbpc", format!("mb_type {t} in an I-VOP")))?;
                let mut m = MbCode::new(mb_type);
                m.cbp = cbpc;
                return Ok(m);
            }
        },
        VopType::P => loop {
            if r.get_bit()? {
                return Ok(MbCode::skipped());
            }
            if let Some((t, cbpc)) = vlc::get_mcbpc_p(r)? {
                let mb_type = MbType::from_code(t)
                    .ok_or_else(|| syntax(r, "mcbpc", format!("mb_type {t}")))?;
                let mut m = MbCode::new(mb_type);
                m.cbp = cbpc;
                return Ok(m);
            }
        },
    }
}

fn read_mvs(r: &mut BitReader<'_>, m: &mut MbCode, fcode: u8) -> Result<()> {
    let blocks: Vec<usize> = m.coded_vectors().collect();
    for v in blocks {
        m.mvd[v][0] = vlc::get_mv_component(r, fcode)?;
        m.mvd[v][1] = vlc::get_mv_component(r, fcode)?;
    }
    Ok(())
}

fn read_dcs(r: &mut BitReader<'_>, m: &mut MbCode) -> Result<()> {
    for b in 0..6 {
        if m.block_transparent(b) {
            continue;
        }
        m.dc_diff[b] = vlc::get_intra_dc(r, b < 4)?;
    }
    Ok(())
}

fn read_cbpy(r: &mut BitReader<'_>, m: &mut MbCode) -> Result<()> {
    if m.transparent == 0 {
        let cbpy = vlc::get_cbpy(r, m.mb_type.is_intra())?;
        m.cbp |= cbpy << 2;
    } else {
        let n = m.opaque_luma().count() as u32;
        let v = vlc::get_cbpy_partial(r, n, m.mb_type.is_intra())?;
        m.set_cbpy_partial(v, n);
    }
    Ok(())
}

fn read_blocks(r: &mut BitReader<'_>, m: &mut MbCode, with_dc: bool) -> Result<()> {
    let intra = m.mb_type.is_intra();
    for b in 0..6 {
        m.levels[b] = [0; 64];
        if m.block_transparent(b) {
            continue;
        }
        if with_dc && intra {
            m.dc_diff[b] = vlc::get_intra_dc(r, b < 4)?;
        }
        if !m.block_coded(b) {
            continue;
        }
        let mut pos = usize::from(intra);
        loop {
            let (last, run, level) = vlc::get_tcoef(r, intra)?;
            pos += usize::from(run);
            if pos >= 64 {
                return Err(syntax(
                    r,
                    "coefficients",
                    format!("run past the end of block {b}"),
                ));
            }
            m.levels[b][pos] = level as i16;
            pos += 1;
            if last {
                break;
            }
        }
    }
    Ok(())
}

/// Reads a macroblock in the plain order; `transparent` are its
/// transparent blocks (shaped VOPs, 0 otherwise; never all six).
pub fn read_mb(r: &mut BitReader<'_>, kind: VopType, fcode: u8, transparent: u8) -> Result<MbCode> {
    let mut m = read_header_part(r, kind)?;
    m.transparent = transparent;
    if m.not_coded {
        return Ok(m);
    }
    let intra = m.mb_type.is_intra();
    if intra {
        m.ac_pred = r.get_bit()?;
    }
    read_cbpy(r, &mut m)?;
    if m.mb_type.has_dquant() {
        m.dquant = dquant_value(r.get(2)?);
    }
    read_mvs(r, &mut m, fcode)?;
    read_blocks(r, &mut m, true)?;
    Ok(m)
}

/// Reads a data-partitioned video packet of at most `max_mbs` macroblocks:
/// the first part up to its marker, then the second part and the texture
/// for as many macroblocks.
pub fn read_partitioned(
    r: &mut BitReader<'_>,
    kind: VopType,
    fcode: u8,
    max_mbs: usize,
) -> Result<Vec<MbCode>> {
    let (n, marker) = if kind == VopType::I {
        DC_MARKER
    } else {
        MOTION_MARKER
    };
    let mut mbs = Vec::new();
    while r.peek(n) != marker {
        if mbs.len() == max_mbs {
            return Err(syntax(
                r,
                "data partition",
                "no marker after the packet's macroblocks".into(),
            ));
        }
        let mut m = read_header_part(r, kind)?;
        if !m.not_coded {
            match kind {
                VopType::I => {
                    if m.mb_type.has_dquant() {
                        m.dquant = dquant_value(r.get(2)?);
                    }
                    read_dcs(r, &mut m)?;
                }
                VopType::P => read_mvs(r, &mut m, fcode)?,
            }
        }
        mbs.push(m);
    }
    r.skip(n)?;
    for m in mbs.iter_mut().filter(|m| !m.not_coded) {
        let intra = m.mb_type.is_intra();
        match kind {
            VopType::I => {
                m.ac_pred = r.get_bit()?;
                read_cbpy(r, m)?;
            }
            VopType::P => {
                if intra {
                    m.ac_pred = r.get_bit()?;
                }
                read_cbpy(r, m)?;
                if m.mb_type.has_dquant() {
                    m.dquant = dquant_value(r.get(2)?);
                }
                if intra {
                    read_dcs(r, m)?;
                }
            }
        }
    }
    for m in mbs.iter_mut().filter(|m| !m.not_coded) {
        read_blocks(r, m, false)?;
    }
    Ok(mbs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_mbs() -> Vec<MbCode> {
        let mut a = MbCode::new(MbType::IntraQ);
        a.ac_pred = true;
        a.cbp = 0b100101;
        a.dquant = -2;
        a.dc_diff = [3, -7, 0, 255, -1, 12];
        a.levels[0][1] = 5;
        a.levels[0][63] = -1;
        a.levels[3][2] = 300;
        a.levels[5][10] = -2;
        let mut b = MbCode::new(MbType::Inter4V);
        b.cbp = 0b010010;
        b.mvd = [[1, -1], [0, 31], [-32, 5], [7, 7]];
        b.levels[1][0] = -9;
        b.levels[4][5] = 1;
        let mut c = MbCode::new(MbType::InterQ);
        c.dquant = 1;
        c.mvd[0] = [-3, 2];
        vec![a, MbCode::skipped(), b, c]
    }

    #[test]
    fn plain_round_trip() {
        let mbs = sample_mbs();
        let mut w = BitWriter::new();
        for m in &mbs {
            write_mb(&mut w, m, VopType::P, 1);
        }
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for m in &mbs {
            assert_eq!(&read_mb(&mut r, VopType::P, 1, 0).unwrap(), m);
        }
    }

    #[test]
    fn transparent_blocks_round_trip() {
        // Every count of non-transparent luma blocks, intra and inter, with
        // each coded pattern over them.
        for transparent in [0b100000u8, 0b110000, 0b111000, 0b010100, 0b001000] {
            for mb_type in [MbType::Intra, MbType::Inter, MbType::Inter4V] {
                let mut mbs = Vec::new();
                for pattern in 0..64u8 {
                    let mut m = MbCode::new(mb_type);
                    m.transparent = transparent;
                    m.cbp = pattern & !transparent;
                    for b in 0..6 {
                        m.dc_diff[b] = if m.block_transparent(b) || !mb_type.is_intra() {
                            0
                        } else {
                            b as i32 - 2
                        };
                        if m.block_coded(b) {
                            m.levels[b][5] = 3;
                        }
                    }
                    for b in m.coded_vectors().collect::<Vec<_>>() {
                        m.mvd[b] = [b as i32 + 1, -(b as i32)];
                    }
                    mbs.push(m);
                }
                let kind = if mb_type.is_intra() {
                    VopType::I
                } else {
                    VopType::P
                };
                let mut w = BitWriter::new();
                for m in &mbs {
                    write_mb(&mut w, m, kind, 2);
                }
                w.stuff_to_byte();
                let bytes = w.into_bytes();
                let mut r = BitReader::new(&bytes);
                for m in &mbs {
                    assert_eq!(&read_mb(&mut r, kind, 2, transparent).unwrap(), m);
                }
            }
        }
    }

    #[test]
    fn partitioned_round_trip() {
        for kind in [VopType::I, VopType::P] {
            let mbs: Vec<MbCode> = sample_mbs()
                .into_iter()
                .filter(|m| kind == VopType::P || (m.mb_type.is_intra() && !m.not_coded))
                .collect();
            let mut p = PartitionedWriter::new();
            for m in &mbs {
                p.push(m, kind, 2);
            }
            let mut w = BitWriter::new();
            let expect = p.bit_len() - 19 + if kind == VopType::I { 19 } else { 17 };
            p.finish(&mut w, kind);
            assert_eq!(w.bit_len(), expect);
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            assert_eq!(read_partitioned(&mut r, kind, 2, 100).unwrap(), mbs);
        }
    }
}
