//! Writing and reading the variable-length coded syntax elements of
//! ISO/IEC 14496-2: `mcbpc`, `cbpy`, the intra DC differential, motion
//! vector components and transform coefficient (TCOEF) events.
//!
//! Every table of [`crate::tables`] is turned into lookup arrays at compile
//! time (`const` evaluation, so nothing is built or allocated at run time):
//!
//! * decoding peeks a fixed number of bits (the table's longest codeword)
//!   and indexes an array whose entries hold the symbol and the codeword
//!   length; a codeword that matches nothing is an [`Error::Syntax`] at its
//!   bit position (or [`Error::Truncated`] when the data ran out first);
//! * encoding indexes arrays by the value, e.g. TCOEF by
//!   `[intra][last][run][|level|]`, and `*_bits` give exact costs from the
//!   same arrays without a writer, for rate-distortion decisions.
//!
//! # TCOEF escapes (7.4.1.3)
//!
//! An event `(last, run, level)` is written with the first of these that
//! applies, in the order 7.4.1.3 lists them:
//!
//! 1. its own codeword from Table B-16 (intra) or B-17 (inter), then the
//!    sign bit;
//! 2. escape mode 1, `ESC 0`: the codeword of
//!    `(last, run, |level| - LMAX(last, run))` and the sign, when `run` has
//!    an LMAX (Tables B-19/B-20) and the reduced level is in the table;
//! 3. escape mode 2, `ESC 10`: the codeword of
//!    `(last, run - RMAX(last, |level|) - 1, |level|)` and the sign, when
//!    `|level|` has an RMAX (Tables B-21/B-22) and the reduced run is in the
//!    table;
//! 4. escape mode 3, `ESC 11` and fixed-length fields (Table B-18):
//!    `last` (1), `run` (6), marker, `level` (12, two's complement),
//!    marker: 30 bits in all.
//!
//! Modes 1 and 2 reach levels up to twice the table's largest level and
//! runs up to about twice its longest run; everything else takes mode 3.
//! The decoder accepts each mode for any event, as the standard allows.
//! The H.263-style escape of `short_video_header` streams is not handled
//! here.

use crate::bits::{BitReader, BitWriter};
use crate::error::{Error, Result};
use crate::tables::{
    CBPY, CBPY_PARTIAL, DC_SIZE_CHROMA, DC_SIZE_LUMA, EscapeRange, INTER_LMAX, INTER_RMAX,
    INTRA_LMAX, INTRA_RMAX, MCBPC_I, MCBPC_I_STUFFING, MCBPC_P, MCBPC_P_STUFFING, MOTION_CODE,
    TCOEF_ESCAPE, TCOEF_INTER, TCOEF_INTRA, Tcoef, Vlc,
};

// ---------------------------------------------------------------------------
// Lookup construction (compile time)
// ---------------------------------------------------------------------------

/// Fills the decoding entries of codeword `v` in a `bits`-bit lookup: every
/// index that starts with the codeword gets `entry`. Panics (a compile
/// error for the statics below) if two codewords claim the same index,
/// i.e. if the table is not prefix-free.
const fn fill16(lut: &mut [u16], bits: u32, v: Vlc, entry: u16) {
    assert!(v.len as u32 <= bits);
    let shift = bits - v.len as u32;
    let first = (v.code as usize) << shift;
    let mut i = 0;
    while i < 1 << shift {
        assert!(lut[first + i] == 0, "overlapping codewords");
        lut[first + i] = entry;
        i += 1;
    }
}

/// A 16-bit decoding entry: `(symbol << 4) | codeword length`; 0 means no
/// codeword starts with these bits.
const fn entry16(symbol: u16, v: Vlc) -> u16 {
    assert!(symbol < 1 << 12 && v.len < 16);
    (symbol << 4) | v.len as u16
}

/// A `bits`-bit lookup (`N` = 2^bits entries) whose symbols are the
/// codewords' indices in `table`.
const fn index_lut<const N: usize>(table: &[Vlc], bits: u32) -> [u16; N] {
    assert!(N == 1 << bits);
    let mut lut = [0; N];
    let mut i = 0;
    while i < table.len() {
        fill16(&mut lut, bits, table[i], entry16(i as u16, table[i]));
        i += 1;
    }
    lut
}

/// Looks up the next codeword of a table built by [`fill16`], consumes it
/// and returns its symbol.
#[inline]
fn lookup(r: &mut BitReader<'_>, lut: &[u16], bits: u32, what: &'static str) -> Result<u16> {
    let e = lut[r.peek(bits) as usize];
    let len = u32::from(e & 15);
    if len == 0 {
        return Err(no_codeword(r, bits, what));
    }
    r.skip(len)?;
    Ok(e >> 4)
}

#[cold]
fn no_codeword(r: &BitReader<'_>, bits: u32, what: &'static str) -> Error {
    if r.bits_left() < bits as usize {
        // The zero padding past the end is part of what failed to match.
        return Error::Truncated { bit: r.position() };
    }
    Error::Syntax {
        bit: r.position(),
        what,
        detail: format!(
            "no codeword starts with {:0w$b}",
            r.peek(bits),
            w = bits as usize
        ),
    }
}

#[inline]
pub(crate) fn put_vlc(w: &mut BitWriter, v: Vlc) {
    w.put(u32::from(v.len), v.code);
}

// ---------------------------------------------------------------------------
// mcbpc (Tables B-6, B-7)
// ---------------------------------------------------------------------------

const MCBPC_BITS: u32 = 9;
/// Symbol of the stuffing codeword in the mcbpc lookups.
const MCBPC_STUFFING: u16 = 0xfff;

const fn mcbpc_lut(rows: &[(u8, u8, Vlc)], stuffing: Vlc) -> [u16; 1 << MCBPC_BITS] {
    let mut lut = [0; 1 << MCBPC_BITS];
    let mut i = 0;
    while i < rows.len() {
        let (mb_type, cbpc, v) = rows[i];
        fill16(
            &mut lut,
            MCBPC_BITS,
            v,
            entry16(((mb_type as u16) << 2) | cbpc as u16, v),
        );
        i += 1;
    }
    fill16(
        &mut lut,
        MCBPC_BITS,
        stuffing,
        entry16(MCBPC_STUFFING, stuffing),
    );
    lut
}

/// `[mb_type][cbpc]`; rows of types a table lacks stay empty (length 0).
const fn mcbpc_enc(rows: &[(u8, u8, Vlc)]) -> [[Vlc; 4]; 5] {
    let mut out = [[Vlc { code: 0, len: 0 }; 4]; 5];
    let mut i = 0;
    while i < rows.len() {
        let (mb_type, cbpc, v) = rows[i];
        out[mb_type as usize][cbpc as usize] = v;
        i += 1;
    }
    out
}

static MCBPC_I_LUT: [u16; 1 << MCBPC_BITS] = mcbpc_lut(&MCBPC_I, MCBPC_I_STUFFING);
static MCBPC_P_LUT: [u16; 1 << MCBPC_BITS] = mcbpc_lut(&MCBPC_P, MCBPC_P_STUFFING);
static MCBPC_I_ENC: [[Vlc; 4]; 5] = mcbpc_enc(&MCBPC_I);
static MCBPC_P_ENC: [[Vlc; 4]; 5] = mcbpc_enc(&MCBPC_P);

fn mcbpc_code(table: &[[Vlc; 4]; 5], mb_type: u8, cbpc: u8, vop: &str) -> Vlc {
    let v = table[usize::from(mb_type)][usize::from(cbpc)];
    assert!(v.len != 0, "mb_type {mb_type} has no mcbpc in {vop}-VOPs");
    v
}

/// Writes `mcbpc` of an I-VOP macroblock (Table B-6): `mb_type` 3 (intra)
/// or 4 (intra with dquant), `cbpc` 0..=3 (bit 1 = Cb, bit 0 = Cr).
pub fn put_mcbpc_i(w: &mut BitWriter, mb_type: u8, cbpc: u8) {
    put_vlc(w, mcbpc_code(&MCBPC_I_ENC, mb_type, cbpc, "I"));
}

/// Reads `mcbpc` of an I-VOP macroblock: `Some((mb_type, cbpc))`, or `None`
/// for the stuffing codeword (the caller reads the next `mcbpc`).
pub fn get_mcbpc_i(r: &mut BitReader<'_>) -> Result<Option<(u8, u8)>> {
    mcbpc_symbol(lookup(r, &MCBPC_I_LUT, MCBPC_BITS, "mcbpc (I-VOP)")?)
}

/// Writes `mcbpc` of a P-VOP macroblock (Table B-7): `mb_type` 0 inter, 1
/// inter with dquant, 2 inter with four vectors, 3 intra, 4 intra with
/// dquant. The `not_coded` bit before it is the caller's.
pub fn put_mcbpc_p(w: &mut BitWriter, mb_type: u8, cbpc: u8) {
    put_vlc(w, mcbpc_code(&MCBPC_P_ENC, mb_type, cbpc, "P"));
}

/// Reads `mcbpc` of a P-VOP macroblock: `Some((mb_type, cbpc))`, or `None`
/// for the stuffing codeword.
pub fn get_mcbpc_p(r: &mut BitReader<'_>) -> Result<Option<(u8, u8)>> {
    mcbpc_symbol(lookup(r, &MCBPC_P_LUT, MCBPC_BITS, "mcbpc (P-VOP)")?)
}

fn mcbpc_symbol(symbol: u16) -> Result<Option<(u8, u8)>> {
    Ok(if symbol == MCBPC_STUFFING {
        None
    } else {
        Some(((symbol >> 2) as u8, (symbol & 3) as u8))
    })
}

/// Bits [`put_mcbpc_i`] writes.
pub fn mcbpc_i_bits(mb_type: u8, cbpc: u8) -> u32 {
    u32::from(mcbpc_code(&MCBPC_I_ENC, mb_type, cbpc, "I").len)
}

/// Bits [`put_mcbpc_p`] writes.
pub fn mcbpc_p_bits(mb_type: u8, cbpc: u8) -> u32 {
    u32::from(mcbpc_code(&MCBPC_P_ENC, mb_type, cbpc, "P").len)
}

// ---------------------------------------------------------------------------
// cbpy (Table B-8)
// ---------------------------------------------------------------------------

const CBPY_BITS: u32 = 6;

static CBPY_LUT: [u16; 1 << CBPY_BITS] = index_lut(&CBPY, CBPY_BITS);

/// The Table B-8 row of a luma pattern: intra macroblocks use the CBPY(I)
/// column, inter macroblocks CBPY(P), its complement.
fn cbpy_row(cbpy: u8, intra: bool) -> usize {
    usize::from(if intra { cbpy } else { cbpy ^ 15 })
}

/// Writes `cbpy`: bit 3 = luma block 0 (top left), bit 2 = block 1, bit 1 =
/// block 2, bit 0 = block 3 (bottom right); a set bit means coded. For
/// inter macroblocks (`intra == false`) the codeword is that of the
/// complemented pattern, as Table B-8's CBPY(P) column says.
pub fn put_cbpy(w: &mut BitWriter, cbpy: u8, intra: bool) {
    put_vlc(w, CBPY[cbpy_row(cbpy, intra)]);
}

/// Reads `cbpy`, returning the pattern as [`put_cbpy`] takes it.
pub fn get_cbpy(r: &mut BitReader<'_>, intra: bool) -> Result<u8> {
    let row = lookup(r, &CBPY_LUT, CBPY_BITS, "cbpy")? as u8;
    Ok(if intra { row } else { row ^ 15 })
}

/// Writes `cbpy` of a macroblock with `n` (1..=4) non-transparent luma
/// blocks: `pattern` holds their coded flags, the first such block in bit
/// `n - 1`.
pub fn put_cbpy_partial(w: &mut BitWriter, pattern: u8, n: u32, intra: bool) {
    if n >= 4 {
        return put_cbpy(w, pattern, intra);
    }
    let mask = (1u8 << n) - 1;
    let row = if intra { pattern } else { pattern ^ mask };
    put_vlc(w, CBPY_PARTIAL[n as usize - 1][usize::from(row & mask)]);
}

/// Reads what [`put_cbpy_partial`] writes.
pub fn get_cbpy_partial(r: &mut BitReader<'_>, n: u32, intra: bool) -> Result<u8> {
    if n >= 4 {
        return get_cbpy(r, intra);
    }
    let mask = (1u8 << n) - 1;
    let row = get_listed(r, CBPY_PARTIAL[n as usize - 1], "cbpy")? as u8;
    Ok(if intra { row } else { row ^ mask })
}

/// Index of the codeword of a small `table` (tried one by one) that comes
/// next; consumes it.
pub(crate) fn get_listed(
    r: &mut BitReader<'_>,
    table: &[Vlc],
    what: &'static str,
) -> Result<usize> {
    for (i, v) in table.iter().enumerate() {
        let len = u32::from(v.len);
        if r.bits_left() >= len as usize && r.peek(len) == v.code {
            r.skip(len)?;
            return Ok(i);
        }
    }
    let longest = table.iter().map(|v| v.len as usize).max().unwrap_or(0);
    if r.bits_left() < longest {
        return Err(Error::Truncated { bit: r.position() });
    }
    Err(Error::Syntax {
        bit: r.position(),
        what,
        detail: format!(
            "no codeword starts with {:0w$b}",
            r.peek(longest as u32),
            w = longest
        ),
    })
}

/// Bits [`put_cbpy`] writes.
pub fn cbpy_bits(cbpy: u8, intra: bool) -> u32 {
    u32::from(CBPY[cbpy_row(cbpy, intra)].len)
}

// ---------------------------------------------------------------------------
// Intra DC (Tables B-13, B-14)
// ---------------------------------------------------------------------------

const DC_BITS: u32 = 12;
/// Largest `dct_dc_size`.
const DC_MAX_SIZE: u32 = 12;

/// `[luma]`.
static DC_LUT: [[u16; 1 << DC_BITS]; 2] = [
    index_lut(&DC_SIZE_CHROMA, DC_BITS),
    index_lut(&DC_SIZE_LUMA, DC_BITS),
];

fn dc_sizes(luma: bool) -> &'static [Vlc; 13] {
    if luma { &DC_SIZE_LUMA } else { &DC_SIZE_CHROMA }
}

/// `dct_dc_size`: the number of bits of `|diff|`.
fn dc_size(diff: i32) -> u32 {
    32 - diff.unsigned_abs().leading_zeros()
}

/// Writes an intra DC differential: `dct_dc_size_luminance` (Table B-13)
/// or `dct_dc_size_chrominance` (Table B-14), then `dct_dc_differential`
/// (`size` bits; a negative value is sent as `diff + 2^size - 1`, so its
/// first bit is 0), then a marker bit when the size exceeds 8. `diff` must
/// lie in -4095..=4095 (sizes up to 12).
pub fn put_intra_dc(w: &mut BitWriter, diff: i32, luma: bool) {
    let size = dc_size(diff);
    assert!(
        size <= DC_MAX_SIZE,
        "intra DC differential {diff} out of range"
    );
    let prefix = dc_sizes(luma)[size as usize];
    let value = if diff >= 0 {
        diff as u32
    } else {
        (diff + (1 << size) - 1) as u32
    };
    let marker = u32::from(size > 8);
    let len = u32::from(prefix.len) + size + marker;
    w.put(len, (((prefix.code << size) | value) << marker) | marker);
}

/// Reads an intra DC differential written by [`put_intra_dc`].
pub fn get_intra_dc(r: &mut BitReader<'_>, luma: bool) -> Result<i32> {
    let size = u32::from(lookup(
        r,
        &DC_LUT[usize::from(luma)],
        DC_BITS,
        "dct_dc_size",
    )?);
    if size == 0 {
        return Ok(0);
    }
    let value = r.get(size)? as i32;
    let diff = if value >> (size - 1) != 0 {
        value
    } else {
        value - ((1 << size) - 1)
    };
    if size > 8 {
        r.marker("after dct_dc_differential")?;
    }
    Ok(diff)
}

/// Bits [`put_intra_dc`] writes.
pub fn dc_bits(diff: i32, luma: bool) -> u32 {
    let size = dc_size(diff);
    u32::from(dc_sizes(luma)[size as usize].len) + size + u32::from(size > 8)
}

// ---------------------------------------------------------------------------
// Motion vectors (Table B-12, 7.6.3)
// ---------------------------------------------------------------------------

const MV_BITS: u32 = 13;

static MV_LUT: [u16; 1 << MV_BITS] = index_lut(&MOTION_CODE, MV_BITS);

/// `motion_code + 32` and `motion_residual` of a wrapped vector difference.
#[inline]
fn mv_parts(diff: i32, r_size: u32) -> (usize, u32) {
    if diff == 0 {
        return (32, 0);
    }
    let a = diff.unsigned_abs() - 1;
    let code = (a >> r_size) as usize + 1;
    let index = if diff < 0 {
        32usize.wrapping_sub(code)
    } else {
        32 + code
    };
    (index, a & ((1 << r_size) - 1))
}

fn r_size(f_code: u8) -> u32 {
    assert!((1..=7).contains(&f_code), "f_code {f_code} outside 1..=7");
    u32::from(f_code - 1)
}

/// Writes one motion vector difference component: `motion_code` (Table
/// B-12) and, when `f_code > 1` and the code is not 0, `motion_residual`
/// (`f_code - 1` bits), per 7.6.3.1. `diff` is the difference in half
/// samples after wrapping into `-32 * f..=32 * f - 1`, `f = 1 << (f_code - 1)`.
pub fn put_mv_component(w: &mut BitWriter, diff: i32, f_code: u8) {
    let r_size = r_size(f_code);
    debug_assert!(
        (-32 << r_size..32 << r_size).contains(&diff),
        "motion vector difference {diff} outside the range of f_code {f_code}"
    );
    let (index, residual) = mv_parts(diff, r_size);
    let v = MOTION_CODE[index];
    if index == 32 {
        put_vlc(w, v);
    } else {
        w.put(u32::from(v.len) + r_size, (v.code << r_size) | residual);
    }
}

/// Reads one motion vector difference component written by
/// [`put_mv_component`]. The result lies in `-32 * f..=32 * f`; the
/// caller adds the predictor and wraps the sum into range (7.6.3.1), which
/// also maps a stream's `32 * f` to `-32 * f`.
pub fn get_mv_component(r: &mut BitReader<'_>, f_code: u8) -> Result<i32> {
    if !(1..=7).contains(&f_code) {
        return Err(Error::Syntax {
            bit: r.position(),
            what: "motion vector",
            detail: format!("f_code {f_code} outside 1..=7"),
        });
    }
    let r_size = u32::from(f_code - 1);
    let code = i32::from(lookup(r, &MV_LUT, MV_BITS, "motion_code")?) - 32;
    if code == 0 || r_size == 0 {
        return Ok(code);
    }
    let residual = r.get(r_size)? as i32;
    let magnitude = ((code.abs() - 1) << r_size) + residual + 1;
    Ok(if code < 0 { -magnitude } else { magnitude })
}

/// Bits [`put_mv_component`] writes.
pub fn mv_component_bits(diff: i32, f_code: u8) -> u32 {
    let r_size = r_size(f_code);
    let (index, _) = mv_parts(diff, r_size);
    let len = u32::from(MOTION_CODE[index].len);
    if index == 32 { len } else { len + r_size }
}

// ---------------------------------------------------------------------------
// TCOEF (Tables B-16 to B-22)
// ---------------------------------------------------------------------------

/// Decoding lookup width: the longest TCOEF codeword.
const TCOEF_BITS: u32 = 12;
/// Decoding entry fields: `len` in bits 0-3, `level` 4-9, `run` 10-15,
/// `last` 16, and this flag for the escape codeword. 0 = no codeword.
const T_ESCAPE: u32 = 1 << 17;

const fn tcoef_lut(rows: &[Tcoef; 102]) -> [u32; 1 << TCOEF_BITS] {
    let mut lut = [0u32; 1 << TCOEF_BITS];
    let mut i = 0;
    while i <= rows.len() {
        let (v, entry) = if i < rows.len() {
            let t = rows[i];
            assert!(t.level < 64 && t.run < 64);
            let e = ((t.last as u32) << 16) | ((t.run as u32) << 10) | ((t.level as u32) << 4);
            (t.vlc, e | t.vlc.len as u32)
        } else {
            (TCOEF_ESCAPE, T_ESCAPE | TCOEF_ESCAPE.len as u32)
        };
        let shift = TCOEF_BITS - v.len as u32;
        let first = (v.code as usize) << shift;
        let mut j = 0;
        while j < 1 << shift {
            assert!(lut[first + j] == 0, "overlapping TCOEF codewords");
            lut[first + j] = entry;
            j += 1;
        }
        i += 1;
    }
    lut
}

/// `[intra]`.
static TCOEF_LUT: [[u32; 1 << TCOEF_BITS]; 2] = [tcoef_lut(&TCOEF_INTER), tcoef_lut(&TCOEF_INTRA)];

/// Marks "no LMAX/RMAX" in the expanded escape tables.
const NO_MAX: u8 = u8::MAX;

/// Expands a range table (B-19 to B-22) to `[last][argument]`.
const fn expand(rows: &[EscapeRange]) -> [[u8; 64]; 2] {
    let mut out = [[NO_MAX; 64]; 2];
    let mut i = 0;
    while i < rows.len() {
        let r = rows[i];
        let mut a = r.from;
        while a <= r.to {
            out[r.last as usize][a as usize] = r.value;
            a += 1;
        }
        i += 1;
    }
    out
}

/// LMAX `[intra][last][run]` (Tables B-19, B-20).
static LMAX: [[[u8; 64]; 2]; 2] = [expand(&INTER_LMAX), expand(&INTRA_LMAX)];
/// RMAX `[intra][last][level]` (Tables B-21, B-22).
static RMAX: [[[u8; 64]; 2]; 2] = [expand(&INTER_RMAX), expand(&INTRA_RMAX)];

/// Encoding entry: `(code << 5) | len` of the codeword without its sign
/// bit (direct, escape mode 1 or 2); 0 where only escape mode 3 works.
type TcoefEnc = [[[u32; 64]; 64]; 2];

/// The escape prefix plus the codeword of `entry`, as an encoding entry.
const fn escaped(prefix: u32, prefix_len: u32, entry: u32) -> u32 {
    let len = entry & 31;
    (((prefix << len) | (entry >> 5)) << 5) | (len + prefix_len)
}

const fn tcoef_enc(rows: &[Tcoef; 102], lmax: &[EscapeRange], rmax: &[EscapeRange]) -> TcoefEnc {
    let mut direct: TcoefEnc = [[[0; 64]; 64]; 2];
    let mut i = 0;
    while i < rows.len() {
        let t = rows[i];
        let slot = &mut direct[t.last as usize][t.run as usize][t.level as usize];
        assert!(*slot == 0, "event listed twice");
        *slot = (t.vlc.code << 5) | t.vlc.len as u32;
        i += 1;
    }
    let lmax = expand(lmax);
    let rmax = expand(rmax);
    let esc = TCOEF_ESCAPE.code;
    let esc_len = TCOEF_ESCAPE.len as u32;
    let mut out: TcoefEnc = [[[0; 64]; 64]; 2];
    let mut last = 0;
    while last < 2 {
        let mut run = 0;
        while run < 64 {
            let mut level = 1;
            while level < 64 {
                let lm = lmax[last][run] as usize;
                let rm = rmax[last][level] as usize;
                out[last][run][level] = if direct[last][run][level] != 0 {
                    direct[last][run][level]
                } else if lm != NO_MAX as usize && level > lm && direct[last][run][level - lm] != 0
                {
                    escaped(esc << 1, esc_len + 1, direct[last][run][level - lm])
                } else if rm != NO_MAX as usize
                    && run > rm
                    && direct[last][run - rm - 1][level] != 0
                {
                    escaped(
                        (esc << 2) | 0b10,
                        esc_len + 2,
                        direct[last][run - rm - 1][level],
                    )
                } else {
                    0
                };
                level += 1;
            }
            run += 1;
        }
        last += 1;
    }
    out
}

/// `[intra]`.
static TCOEF_ENC: [TcoefEnc; 2] = [
    tcoef_enc(&TCOEF_INTER, &INTER_LMAX, &INTER_RMAX),
    tcoef_enc(&TCOEF_INTRA, &INTRA_LMAX, &INTRA_RMAX),
];

/// Bits of an escape mode 3 event.
const ESCAPE3_BITS: u32 = 30;

/// The whole escape mode 3 code of an event: ESC, `11`, last, run, marker,
/// level, marker.
fn escape3(last: bool, run: u8, level: i32) -> u32 {
    (TCOEF_ESCAPE.code << 23)
        | (0b11 << 21)
        | (u32::from(last) << 20)
        | (u32::from(run) << 14)
        | (1 << 13)
        | ((level as u32 & 0xfff) << 1)
        | 1
}

/// The encoding entry of an event, 0 if it needs escape mode 3.
#[inline]
fn tcoef_entry(intra: bool, last: bool, run: u8, level: i32) -> u32 {
    let row = &TCOEF_ENC[usize::from(intra)][usize::from(last)][usize::from(run)];
    row.get(level.unsigned_abs() as usize).copied().unwrap_or(0)
}

/// Writes one TCOEF event with Table B-16 (`intra`) or B-17, escaping as
/// the module documentation describes. `run` is 0..=63 and `level` a
/// nonzero value in -2047..=2047.
pub fn put_tcoef(w: &mut BitWriter, intra: bool, last: bool, run: u8, level: i32) {
    debug_assert!(
        level != 0 && (-2047..=2047).contains(&level),
        "TCOEF level {level} outside ±1..=2047"
    );
    let e = tcoef_entry(intra, last, run, level);
    if e != 0 {
        w.put((e & 31) + 1, ((e >> 5) << 1) | u32::from(level < 0));
    } else {
        w.put(ESCAPE3_BITS, escape3(last, run, level));
    }
}

/// Bits [`put_tcoef`] writes for the event.
#[inline]
pub fn tcoef_bits(intra: bool, last: bool, run: u8, level: i32) -> u32 {
    let e = tcoef_entry(intra, last, run, level);
    if e != 0 { (e & 31) + 1 } else { ESCAPE3_BITS }
}

/// `(last, run, level)` of a decoding entry and its sign.
#[inline]
fn tcoef_event(e: u32, negative: bool) -> (bool, u8, i32) {
    let level = ((e >> 4) & 63) as i32;
    (
        e & (1 << 16) != 0,
        ((e >> 10) & 63) as u8,
        if negative { -level } else { level },
    )
}

/// Reads one TCOEF event: `(last, run, level)` with `run` in 0..=63 and
/// `level` nonzero in -2047..=2047.
#[inline]
pub fn get_tcoef(r: &mut BitReader<'_>, intra: bool) -> Result<(bool, u8, i32)> {
    let word = r.peek32();
    let e = TCOEF_LUT[usize::from(intra)][(word >> (32 - TCOEF_BITS)) as usize];
    if e & T_ESCAPE != 0 {
        return get_escaped(r, intra, word);
    }
    let len = e & 15;
    if len == 0 {
        return Err(no_codeword(r, TCOEF_BITS, "TCOEF"));
    }
    let negative = (word >> (31 - len)) & 1 != 0;
    r.skip(len + 1)?;
    Ok(tcoef_event(e, negative))
}

/// A table codeword and its sign after an escape prefix (modes 1 and 2):
/// `(last, run, |level|, negative)`.
fn get_table_event(r: &mut BitReader<'_>, intra: bool) -> Result<(bool, u8, i32, bool)> {
    let word = r.peek32();
    let e = TCOEF_LUT[usize::from(intra)][(word >> (32 - TCOEF_BITS)) as usize];
    if e & T_ESCAPE != 0 {
        return Err(Error::Syntax {
            bit: r.position(),
            what: "TCOEF",
            detail: "escape codeword after an escape".to_string(),
        });
    }
    let len = e & 15;
    if len == 0 {
        return Err(no_codeword(r, TCOEF_BITS, "TCOEF"));
    }
    let negative = (word >> (31 - len)) & 1 != 0;
    r.skip(len + 1)?;
    let (last, run, level) = tcoef_event(e, false);
    Ok((last, run, level, negative))
}

#[cold]
fn get_escaped(r: &mut BitReader<'_>, intra: bool, word: u32) -> Result<(bool, u8, i32)> {
    let start = r.position();
    let i = usize::from(intra);
    if word & (1 << 24) == 0 {
        // Mode 1: the level is offset by LMAX.
        r.skip(TCOEF_ESCAPE.len as u32 + 1)?;
        let (last, run, level, negative) = get_table_event(r, intra)?;
        let level = level + i32::from(LMAX[i][usize::from(last)][usize::from(run)]);
        return Ok((last, run, if negative { -level } else { level }));
    }
    if word & (1 << 23) == 0 {
        // Mode 2: the run is offset by RMAX + 1.
        r.skip(TCOEF_ESCAPE.len as u32 + 2)?;
        let (last, run, level, negative) = get_table_event(r, intra)?;
        let run = u32::from(run) + u32::from(RMAX[i][usize::from(last)][level as usize]) + 1;
        if run > 63 {
            return Err(Error::Syntax {
                bit: start,
                what: "TCOEF escape mode 2",
                detail: format!("run {run} runs past the block"),
            });
        }
        return Ok((last, run as u8, if negative { -level } else { level }));
    }
    // Mode 3: fixed-length fields, all within `word`.
    r.skip(ESCAPE3_BITS)?;
    let mode3_error = |offset: usize, detail: String| Error::Syntax {
        bit: start + offset,
        what: "TCOEF escape mode 3",
        detail,
    };
    if (word >> 15) & 1 == 0 {
        return Err(mode3_error(16, "marker bit after run is 0".to_string()));
    }
    if (word >> 2) & 1 == 0 {
        return Err(mode3_error(29, "marker bit after level is 0".to_string()));
    }
    // Sign-extend the 12-bit level.
    let level = (((word >> 3) & 0xfff) as i32) << 20 >> 20;
    if level == 0 || level == -2048 {
        return Err(mode3_error(17, format!("level {level} is forbidden")));
    }
    Ok(((word >> 22) & 1 != 0, ((word >> 16) & 63) as u8, level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{TCOEF_INTER, TCOEF_INTRA};
    use proptest::prelude::*;

    /// The bits written by `f`, as a string of 0 and 1.
    fn bits_of(f: impl FnOnce(&mut BitWriter)) -> String {
        let mut w = BitWriter::new();
        f(&mut w);
        let n = w.bit_len() as usize;
        w.align_zero();
        let bytes = w.into_bytes();
        (0..n)
            .map(|i| {
                if bytes[i / 8] >> (7 - i % 8) & 1 == 1 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect()
    }

    /// A bit string as the standard prints it, without the spaces.
    fn s(bits: &str) -> String {
        bits.chars().filter(|c| *c != ' ').collect()
    }

    /// Bytes holding a bit string (zero padded).
    fn bytes_of(bits: &str) -> Vec<u8> {
        let bits = s(bits);
        let mut out = vec![0u8; bits.len().div_ceil(8)];
        for (i, c) in bits.chars().enumerate() {
            if c == '1' {
                out[i / 8] |= 0x80 >> (i % 8);
            }
        }
        out
    }

    // --- Spot checks against the standard ------------------------------
    // Each expectation is read from ISO/IEC 14496-2 Annex B (as printed in
    // public decoders' tables) or worked out by hand from the escape rules
    // of 7.4.1.3, not taken from this crate's tables.

    #[test]
    fn tcoef_codewords_from_the_standard() {
        let cases: &[(bool, bool, u8, i32, &str)] = &[
            // Table B-16 (intra).
            (true, false, 0, 1, "10 0"),
            (true, false, 0, -1, "10 1"),
            (true, false, 0, 2, "110 0"),
            (true, false, 1, 1, "1110 0"),
            (true, false, 0, 27, "0000 0101 0010 0"),
            (true, true, 0, 1, "0111 0"),
            (true, true, 20, 1, "0000 0101 1111 0"),
            // Table B-17 (inter).
            (false, false, 0, 1, "10 0"),
            (false, false, 1, 1, "110 0"),
            (false, false, 0, 12, "0000 0100 000 0"),
            (false, true, 0, 1, "0111 0"),
            (false, true, 40, -1, "0000 0101 1111 1"),
            // Escape mode 1: inter (0, 0, 13) = ESC 0 + (0, 0, 13 - 12 = 1).
            (false, false, 0, 13, "0000 011 0 10 0"),
            // Intra (0, 0, -28) = ESC 0 + (0, 0, 28 - 27 = 1), negative.
            (true, false, 0, -28, "0000 011 0 10 1"),
            // Escape mode 2: inter (0, 27, 1): run 27 has no LMAX;
            // RMAX(0, 1) = 26, so (0, 27 - 26 - 1 = 0, 1).
            (false, false, 27, 1, "0000 011 10 10 0"),
            // Inter (1, 41, -1): RMAX(1, 1) = 40 -> (1, 0, 1) = 0111.
            (false, true, 41, -1, "0000 011 10 0111 1"),
            // Escape mode 3: inter (0, 0, 25): 25 - 12 = 13 is not in the
            // table and level 25 has no RMAX.
            (false, false, 0, 25, "0000 011 11 0 000000 1 000000011001 1"),
            (
                true,
                true,
                63,
                -2047,
                "0000 011 11 1 111111 1 100000000001 1",
            ),
        ];
        for &(intra, last, run, level, want) in cases {
            let got = bits_of(|w| put_tcoef(w, intra, last, run, level));
            assert_eq!(
                got,
                s(want),
                "intra={intra} ({}, {run}, {level})",
                u8::from(last)
            );
            assert_eq!(tcoef_bits(intra, last, run, level) as usize, got.len());
        }
    }

    #[test]
    fn header_codewords_from_the_standard() {
        // Table B-6.
        assert_eq!(bits_of(|w| put_mcbpc_i(w, 3, 0)), "1");
        assert_eq!(bits_of(|w| put_mcbpc_i(w, 3, 3)), "011");
        assert_eq!(bits_of(|w| put_mcbpc_i(w, 4, 1)), "000001");
        // Table B-7.
        assert_eq!(bits_of(|w| put_mcbpc_p(w, 0, 0)), "1");
        assert_eq!(bits_of(|w| put_mcbpc_p(w, 2, 0)), "010");
        assert_eq!(bits_of(|w| put_mcbpc_p(w, 3, 0)), s("0001 1"));
        assert_eq!(bits_of(|w| put_mcbpc_p(w, 4, 3)), s("0000 0001 0"));
        // Table B-8: the all-coded intra pattern and the no-luma inter one
        // share "11"; intra 0000 is "0011".
        assert_eq!(bits_of(|w| put_cbpy(w, 15, true)), "11");
        assert_eq!(bits_of(|w| put_cbpy(w, 0, false)), "11");
        assert_eq!(bits_of(|w| put_cbpy(w, 0, true)), "0011");
        assert_eq!(bits_of(|w| put_cbpy(w, 15, false)), "0011");
        assert_eq!(bits_of(|w| put_cbpy(w, 0b0110, true)), s("0000 10"));
        // Table B-12.
        assert_eq!(bits_of(|w| put_mv_component(w, 0, 1)), "1");
        assert_eq!(bits_of(|w| put_mv_component(w, 1, 1)), "010");
        assert_eq!(bits_of(|w| put_mv_component(w, -1, 1)), "011");
        assert_eq!(
            bits_of(|w| put_mv_component(w, -32, 1)),
            s("0000 0000 0010 1")
        );
        // f_code 2: diff 3 -> motion_code 2 ("0010"), residual 0.
        assert_eq!(bits_of(|w| put_mv_component(w, 3, 2)), s("0010 0"));
        // f_code 3: diff -6 -> |diff| - 1 = 5 = (1 << 2) + 1 -> code -2
        // ("0011"), residual 01.
        assert_eq!(bits_of(|w| put_mv_component(w, -6, 3)), s("0011 01"));
        // Tables B-13/B-14 and the differential: 0, +1, -1, -2, +255.
        assert_eq!(bits_of(|w| put_intra_dc(w, 0, true)), "011");
        assert_eq!(bits_of(|w| put_intra_dc(w, 0, false)), "11");
        assert_eq!(bits_of(|w| put_intra_dc(w, 1, true)), "111");
        assert_eq!(bits_of(|w| put_intra_dc(w, -1, true)), "110");
        assert_eq!(bits_of(|w| put_intra_dc(w, -2, false)), "0101");
        // Size 8: "0000 001" and 8 bits, no marker.
        assert_eq!(
            bits_of(|w| put_intra_dc(w, 255, true)),
            s("0000 001 1111 1111")
        );
        // Size 9: "0000 0001", -256 + 511 = 255 in 9 bits, a marker.
        assert_eq!(
            bits_of(|w| put_intra_dc(w, -256, true)),
            s("0000 0001 011111111 1")
        );
        assert_eq!(
            bits_of(|w| put_intra_dc(w, 4095, false)),
            s("0000 0000 0001 1111 1111 1111 1")
        );
    }

    // --- Exhaustive round trips ---------------------------------------

    /// Which coding the event got: 0 direct, 1-3 the escape modes.
    fn mode_of(bits: &str) -> usize {
        if !bits.starts_with("0000011") {
            0
        } else if bits[7..].starts_with('0') {
            1
        } else if bits[7..].starts_with("10") {
            2
        } else {
            3
        }
    }

    #[test]
    fn tcoef_round_trip_every_event() {
        for intra in [false, true] {
            let mut w = BitWriter::new();
            let mut events = Vec::new();
            for last in [false, true] {
                for run in 0..=63u8 {
                    for level in (-2047..=2047).filter(|&l| l != 0) {
                        let before = w.bit_len();
                        put_tcoef(&mut w, intra, last, run, level);
                        let len = w.bit_len() - before;
                        assert_eq!(len, u64::from(tcoef_bits(intra, last, run, level)));
                        events.push((last, run, level));
                    }
                }
            }
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for &event in &events {
                assert_eq!(get_tcoef(&mut r, intra).unwrap(), event, "intra={intra}");
            }
            assert!(r.at_valid_stuffing());
        }
    }

    /// The escape rules applied to the raw tables by linear search: the
    /// coding `put_tcoef` must produce, as a bit string.
    fn reference_tcoef(intra: bool, last: bool, run: u8, level: i32) -> String {
        let (table, lmax, rmax) = if intra {
            (&TCOEF_INTRA, &INTRA_LMAX[..], &INTRA_RMAX[..])
        } else {
            (&TCOEF_INTER, &INTER_LMAX[..], &INTER_RMAX[..])
        };
        let code = |run: u8, mag: u32| {
            table
                .iter()
                .find(|t| t.last == last && t.run == run && u32::from(t.level) == mag)
                .map(|t| format!("{:0w$b}", t.vlc.code, w = usize::from(t.vlc.len)))
        };
        let lookup_range = |rows: &[EscapeRange], arg: u32| {
            rows.iter()
                .find(|e| e.last == last && (u32::from(e.from)..=u32::from(e.to)).contains(&arg))
                .map(|e| u32::from(e.value))
        };
        let sign = if level < 0 { "1" } else { "0" };
        let mag = level.unsigned_abs();
        if let Some(c) = code(run, mag) {
            return format!("{c}{sign}");
        }
        if let Some(lm) = lookup_range(lmax, u32::from(run))
            && let Some(c) = mag.checked_sub(lm).and_then(|m| code(run, m))
        {
            return format!("00000110{c}{sign}");
        }
        if let Some(rm) = lookup_range(rmax, mag)
            && let Some(c) = u32::from(run)
                .checked_sub(rm + 1)
                .and_then(|r| code(r as u8, mag))
        {
            return format!("000001110{c}{sign}");
        }
        format!(
            "000001111{}{:06b}1{:012b}1",
            u8::from(last),
            run,
            level as u32 & 0xfff
        )
    }

    #[test]
    fn tcoef_escape_choice_follows_the_rules() {
        let mut modes = [[0usize; 4]; 2];
        for intra in [false, true] {
            for last in [false, true] {
                for run in 0..=63u8 {
                    for mag in 1..=70 {
                        for level in [mag, -mag] {
                            let got = bits_of(|w| put_tcoef(w, intra, last, run, level));
                            assert_eq!(
                                got,
                                reference_tcoef(intra, last, run, level),
                                "intra={intra} ({}, {run}, {level})",
                                u8::from(last)
                            );
                            modes[usize::from(intra)][mode_of(&got)] += 1;
                        }
                    }
                }
            }
        }
        // Every coding is exercised for both tables.
        for m in modes {
            assert!(m.iter().all(|&n| n > 0), "{modes:?}");
        }
    }

    #[test]
    fn mcbpc_and_cbpy_round_trip() {
        let mut w = BitWriter::new();
        for cbpc in 0..4 {
            for mb_type in 3..=4 {
                put_mcbpc_i(&mut w, mb_type, cbpc);
            }
            for mb_type in 0..=4 {
                put_mcbpc_p(&mut w, mb_type, cbpc);
            }
        }
        put_vlc(&mut w, MCBPC_I_STUFFING);
        put_vlc(&mut w, MCBPC_P_STUFFING);
        for cbpy in 0..16 {
            put_cbpy(&mut w, cbpy, true);
            put_cbpy(&mut w, cbpy, false);
        }
        let total = w.bit_len();
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        let mut expected_bits = 0;
        for cbpc in 0..4 {
            for mb_type in 3..=4 {
                assert_eq!(get_mcbpc_i(&mut r).unwrap(), Some((mb_type, cbpc)));
                expected_bits += mcbpc_i_bits(mb_type, cbpc);
            }
            for mb_type in 0..=4 {
                assert_eq!(get_mcbpc_p(&mut r).unwrap(), Some((mb_type, cbpc)));
                expected_bits += mcbpc_p_bits(mb_type, cbpc);
            }
        }
        assert_eq!(get_mcbpc_i(&mut r).unwrap(), None);
        assert_eq!(get_mcbpc_p(&mut r).unwrap(), None);
        expected_bits += 18;
        for cbpy in 0..16 {
            assert_eq!(get_cbpy(&mut r, true).unwrap(), cbpy);
            assert_eq!(get_cbpy(&mut r, false).unwrap(), cbpy);
            expected_bits += cbpy_bits(cbpy, true) + cbpy_bits(cbpy, false);
        }
        assert_eq!(u64::from(expected_bits), total);
    }

    #[test]
    fn intra_dc_round_trip() {
        for luma in [false, true] {
            let mut w = BitWriter::new();
            for diff in -4095..=4095 {
                let before = w.bit_len();
                put_intra_dc(&mut w, diff, luma);
                assert_eq!(
                    w.bit_len() - before,
                    u64::from(dc_bits(diff, luma)),
                    "{diff}"
                );
            }
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for diff in -4095..=4095 {
                assert_eq!(get_intra_dc(&mut r, luma).unwrap(), diff, "luma={luma}");
            }
            assert!(r.at_valid_stuffing());
        }
    }

    #[test]
    fn mv_round_trip_every_f_code() {
        for f_code in 1..=7u8 {
            let f = 1i32 << (f_code - 1);
            let mut w = BitWriter::new();
            for diff in -32 * f..32 * f {
                let before = w.bit_len();
                put_mv_component(&mut w, diff, f_code);
                let len = w.bit_len() - before;
                assert_eq!(
                    len,
                    u64::from(mv_component_bits(diff, f_code)),
                    "{diff} f{f_code}"
                );
            }
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for diff in -32 * f..32 * f {
                assert_eq!(
                    get_mv_component(&mut r, f_code).unwrap(),
                    diff,
                    "f_code {f_code}"
                );
            }
            assert!(r.at_valid_stuffing());
        }
    }

    #[test]
    fn mv_largest_positive_code_decodes_to_32f() {
        // motion_code +32 with the largest residual is 32 * f; the caller's
        // wrap maps it to -32 * f.
        for f_code in 1..=7u8 {
            let r_size = u32::from(f_code - 1);
            let mut w = BitWriter::new();
            put_vlc(&mut w, MOTION_CODE[64]);
            w.put(r_size, (1 << r_size) - 1);
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let got = get_mv_component(&mut BitReader::new(&bytes), f_code).unwrap();
            assert_eq!(got, 32 << r_size);
        }
    }

    // --- Invalid input ------------------------------------------------

    fn syntax_at(e: Error) -> usize {
        match e {
            Error::Syntax { bit, .. } => bit,
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn escape3_rejects_forbidden_levels_and_missing_markers() {
        let ok = "0000 011 11 0 000101 1 000000000011 1 0";
        let bytes = bytes_of(ok);
        assert_eq!(
            get_tcoef(&mut BitReader::new(&bytes), false).unwrap(),
            (false, 5, 3)
        );
        let cases = [
            ("0000 011 11 0 000101 1 000000000000 1 0", 17), // level 0
            ("0000 011 11 0 000101 1 100000000000 1 0", 17), // level -2048
            ("0000 011 11 0 000101 0 000000000011 1 0", 16), // first marker
            ("0000 011 11 0 000101 1 000000000011 0 0", 29), // second marker
        ];
        for (bits, at) in cases {
            let bytes = bytes_of(&format!("1 {bits}"));
            let mut r = BitReader::new(&bytes);
            r.skip(1).unwrap();
            let e = get_tcoef(&mut r, true).unwrap_err();
            assert_eq!(syntax_at(e), 1 + at, "{bits}");
        }
    }

    #[test]
    fn escape2_run_past_the_block_is_an_error() {
        // Inter, ESC 10, (1, 40, 1): run 40 + RMAX(1, 1) 40 + 1 = 81.
        let bytes = bytes_of("0000 011 10 0000 0101 1111 0");
        assert_eq!(
            syntax_at(get_tcoef(&mut BitReader::new(&bytes), false).unwrap_err()),
            0
        );
        // Intra (1, 20, 1) after ESC 10 is run 20 + 20 + 1 = 41: fine.
        let bytes = bytes_of("0000 011 10 0000 0101 1111 0");
        assert_eq!(
            get_tcoef(&mut BitReader::new(&bytes), true).unwrap(),
            (true, 41, 1)
        );
    }

    #[test]
    fn invalid_codewords_are_syntax_errors() {
        let zeros = [0u8; 4];
        for intra in [false, true] {
            // An escape directly after an escape (mode 1).
            let bytes = bytes_of("0000 011 0 0000 011 0000 0000");
            let e = get_tcoef(&mut BitReader::new(&bytes), intra).unwrap_err();
            assert_eq!(syntax_at(e), 8);
            assert_eq!(
                syntax_at(get_tcoef(&mut BitReader::new(&zeros), intra).unwrap_err()),
                0
            );
        }
        assert_eq!(
            syntax_at(get_mcbpc_i(&mut BitReader::new(&zeros)).unwrap_err()),
            0
        );
        assert_eq!(
            syntax_at(get_mcbpc_p(&mut BitReader::new(&zeros)).unwrap_err()),
            0
        );
        assert_eq!(
            syntax_at(get_cbpy(&mut BitReader::new(&zeros), true).unwrap_err()),
            0
        );
        assert_eq!(
            syntax_at(get_intra_dc(&mut BitReader::new(&zeros), true).unwrap_err()),
            0
        );
        assert_eq!(
            syntax_at(get_intra_dc(&mut BitReader::new(&zeros), false).unwrap_err()),
            0
        );
        assert_eq!(
            syntax_at(get_mv_component(&mut BitReader::new(&zeros), 1).unwrap_err()),
            0
        );
        // A size-9 DC differential without its marker bit.
        let bytes = bytes_of("0000 0001 011111111 0 000000");
        assert_eq!(
            syntax_at(get_intra_dc(&mut BitReader::new(&bytes), true).unwrap_err()),
            17
        );
        assert!(get_mv_component(&mut BitReader::new(&[0xff]), 0).is_err());
    }

    #[test]
    fn short_input_is_truncated() {
        // The first bits of a 12-bit codeword, then the end.
        let bytes = bytes_of("0000 0101");
        assert!(matches!(
            get_tcoef(&mut BitReader::new(&bytes), true),
            Err(Error::Truncated { .. })
        ));
        // The last five bits "11110" hold intra (0, 0, 3) "1111" and its
        // sign; the last four "1110" hold (0, 1, 1) but not its sign.
        let bytes = bytes_of("1111 1110");
        let mut r = BitReader::new(&bytes);
        r.skip(3).unwrap();
        assert_eq!(get_tcoef(&mut r, true).unwrap(), (false, 0, 3));
        let mut r = BitReader::new(&bytes);
        r.skip(4).unwrap();
        assert!(matches!(
            get_tcoef(&mut r, true),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            get_mv_component(&mut BitReader::new(&[]), 1),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            get_intra_dc(&mut BitReader::new(&[]), true),
            Err(Error::Truncated { .. })
        ));
        // An escape mode 3 event cut short.
        let bytes = bytes_of("0000 0111 1000 0000 0000");
        assert!(matches!(
            get_tcoef(&mut BitReader::new(&bytes), false),
            Err(Error::Truncated { .. })
        ));
    }

    // --- Fuzz: arbitrary bytes never panic ----------------------------

    proptest! {
        #[test]
        fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..48), intra: bool, f_code in 0u8..9) {
            let mut r = BitReader::new(&data);
            while let Ok((_, run, level)) = get_tcoef(&mut r, intra) {
                prop_assert!(run < 64);
                prop_assert!(level != 0 && (-2047..=2047).contains(&level));
            }
            let mut r = BitReader::new(&data);
            while let Ok(diff) = get_mv_component(&mut r, f_code) {
                let f = 1i32 << (f_code - 1);
                prop_assert!((-32 * f..=32 * f).contains(&diff));
            }
            let mut r = BitReader::new(&data);
            while let Ok(diff) = get_intra_dc(&mut r, intra) {
                prop_assert!((-4095..=4095).contains(&diff));
            }
            let mut r = BitReader::new(&data);
            while let Ok(m) = get_mcbpc_i(&mut r) {
                if let Some((mb_type, cbpc)) = m {
                    prop_assert!((3..=4).contains(&mb_type) && cbpc < 4);
                }
            }
            let mut r = BitReader::new(&data);
            while let Ok(m) = get_mcbpc_p(&mut r) {
                if let Some((mb_type, cbpc)) = m {
                    prop_assert!(mb_type <= 4 && cbpc < 4);
                }
            }
            let mut r = BitReader::new(&data);
            while let Ok(cbpy) = get_cbpy(&mut r, intra) {
                prop_assert!(cbpy < 16);
            }
        }

        #[test]
        fn mixed_elements_round_trip(
            items in proptest::collection::vec((0u8..4, any::<bool>(), any::<bool>(), 0u8..64, -2047i32..=2047, 1u8..=7), 0..200)
        ) {
            let mut w = BitWriter::new();
            let mut expected_bits = 0u64;
            for &(kind, a, b, run, value, f_code) in &items {
                let f = 1i32 << (f_code - 1);
                match kind {
                    0 => {
                        let level = if value == 0 { 1 } else { value };
                        put_tcoef(&mut w, a, b, run, level);
                        expected_bits += u64::from(tcoef_bits(a, b, run, level));
                    }
                    1 => {
                        let diff = value.rem_euclid(64 * f) - 32 * f;
                        put_mv_component(&mut w, diff, f_code);
                        expected_bits += u64::from(mv_component_bits(diff, f_code));
                    }
                    2 => {
                        put_intra_dc(&mut w, value, a);
                        expected_bits += u64::from(dc_bits(value, a));
                    }
                    _ => {
                        put_cbpy(&mut w, run & 15, a);
                        expected_bits += u64::from(cbpy_bits(run & 15, a));
                    }
                }
            }
            prop_assert_eq!(w.bit_len(), expected_bits);
            w.stuff_to_byte();
            let bytes = w.into_bytes();
            let mut r = BitReader::new(&bytes);
            for &(kind, a, b, run, value, f_code) in &items {
                let f = 1i32 << (f_code - 1);
                match kind {
                    0 => {
                        let level = if value == 0 { 1 } else { value };
                        prop_assert_eq!(get_tcoef(&mut r, a).unwrap(), (b, run, level));
                    }
                    1 => {
                        let diff = value.rem_euclid(64 * f) - 32 * f;
                        prop_assert_eq!(get_mv_component(&mut r, f_code).unwrap(), diff);
                    }
                    2 => prop_assert_eq!(get_intra_dc(&mut r, a).unwrap(), value),
                    _ => prop_assert_eq!(get_cbpy(&mut r, a).unwrap(), run & 15),
                }
            }
            prop_assert!(r.at_valid_stuffing());
        }
    }
}
