//! Encoding: a [`CoefficientImage`] to JPEG bytes (T.81 Annex F.1.2 and the
//! syntax of Annex B), and pixels to JPEG via the coefficient image.

use tessera_core::Frame;

use crate::bitwriter::BitWriter;
use crate::coeffs::{CoefficientImage, Process};
use crate::error::{JpegError, Result};
use crate::huffman::{EncodeTable, HuffmanSpec, StdTable, optimal_spec};
use crate::markers;
use tessera_dsp::scan::{ZIGZAG, ZIGZAG_INDEX, nonzero_mask};

/// Which Huffman tables the encoder writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HuffmanMode {
    /// The typical tables of T.81 Annex K.3 (what RTP/JPEG, RFC 2435,
    /// assumes).
    Standard,
    /// Tables built for this image's statistics (T.81 K.2): smaller files,
    /// one extra pass over the coefficients.
    #[default]
    Optimized,
}

/// Encoder settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    pub huffman: HuffmanMode,
    /// MCUs between restart markers; 0 writes none. Overrides the
    /// coefficient image's own interval when `Some`.
    pub restart_interval: Option<u16>,
    /// Write a JFIF APP0 segment.
    pub jfif: bool,
    /// Text for a COM segment.
    pub comment: Option<String>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            huffman: HuffmanMode::Optimized,
            restart_interval: None,
            jfif: true,
            comment: None,
        }
    }
}

/// Largest quantized AC magnitude baseline 8-bit JPEG can code (category 10).
const AC_LIMIT: i32 = 1023;

/// The encoder's view of the order in which blocks are coded: for each
/// coded unit the `(component, bx, by)` of its blocks, MCU by MCU.
fn for_each_block(image: &CoefficientImage, restart_interval: u16, mut visit: impl FnMut(Unit)) {
    let restart = usize::from(restart_interval);
    let mut count = 0usize;
    let boundary = |count: &mut usize, visit: &mut dyn FnMut(Unit)| {
        if restart > 0 && *count > 0 && (*count).is_multiple_of(restart) {
            visit(Unit::Restart(((*count / restart - 1) & 7) as u8));
        }
        *count += 1;
    };
    if let [c] = image.components.as_slice() {
        for by in 0..c.visible_blocks_high() {
            for bx in 0..c.visible_blocks_wide() {
                boundary(&mut count, &mut visit);
                visit(Unit::Block(0, bx, by));
            }
        }
        return;
    }
    let (mcus_wide, mcus_high) = image.mcus();
    for my in 0..mcus_high {
        for mx in 0..mcus_wide {
            boundary(&mut count, &mut visit);
            for (ci, c) in image.components.iter().enumerate() {
                let (h, v) = (usize::from(c.h), usize::from(c.v));
                for y in 0..v {
                    for x in 0..h {
                        visit(Unit::Block(ci, mx * h + x, my * v + y));
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Block(usize, usize, usize),
    Restart(u8),
}

/// Magnitude category and the bits that follow it (T.81 F.1.2.1).
#[inline(always)]
fn category(v: i32) -> (u32, u32) {
    let cat = 32 - v.unsigned_abs().leading_zeros();
    let bits = if v < 0 { v - 1 } else { v } as u32 & ((1u32 << cat) - 1);
    (cat, bits)
}

/// Receives the Huffman symbols of a block, with the magnitude bits that
/// follow each (`bits`, `size` of them).
trait SymbolSink {
    fn dc(&mut self, symbol: u8, bits: u32, size: u32);
    fn ac(&mut self, symbol: u8, bits: u32, size: u32);
}

/// Counts symbols for optimized tables.
struct Frequencies<'a> {
    dc: &'a mut [u64; 256],
    ac: &'a mut [u64; 256],
}

impl SymbolSink for Frequencies<'_> {
    #[inline(always)]
    fn dc(&mut self, symbol: u8, _: u32, _: u32) {
        self.dc[usize::from(symbol)] += 1;
    }

    #[inline(always)]
    fn ac(&mut self, symbol: u8, _: u32, _: u32) {
        self.ac[usize::from(symbol)] += 1;
    }
}

/// Writes symbols with their codes.
struct Coder<'w, 'o> {
    writer: &'w mut BitWriter<'o>,
    dc: &'w EncodeTable,
    ac: &'w EncodeTable,
}

impl Coder<'_, '_> {
    #[inline(always)]
    fn put(&mut self, table_is_dc: bool, symbol: u8, bits: u32, size: u32) {
        let t = if table_is_dc { self.dc } else { self.ac };
        let s = usize::from(symbol);
        debug_assert!(t.size[s] > 0, "symbol {symbol:#x} missing from table");
        // The code and its magnitude bits in one put (at most 27 bits);
        // `category` masks `bits`, and canonical codes fit their length.
        self.writer.put_exact(
            (u32::from(t.code[s]) << size) | bits,
            u32::from(t.size[s]) + size,
        );
    }
}

impl SymbolSink for Coder<'_, '_> {
    #[inline(always)]
    fn dc(&mut self, symbol: u8, bits: u32, size: u32) {
        self.put(true, symbol, bits, size);
    }

    #[inline(always)]
    fn ac(&mut self, symbol: u8, bits: u32, size: u32) {
        self.put(false, symbol, bits, size);
    }
}

/// Above this many non-zero AC coefficients, a block is put in zig-zag
/// order whole (64 moves and a vector compare) rather than bit by bit.
const SPARSE_AC: u32 = 20;

/// Passes each Huffman symbol of one block to `sink` (T.81 F.1.2.1 and
/// F.1.2.2).
///
/// A 64-bit mask of the non-zero AC coefficients in zig-zag order drives
/// the scan, so zero runs cost one `trailing_zeros` instead of a test per
/// coefficient. The mask comes from the natural-order one, bit by bit for
/// sparse blocks (most blocks: a few moves instead of reordering all 64
/// coefficients), or from a zig-zag copy of dense ones.
#[inline(always)]
fn block_symbols(block: &[i16; 64], pred: &mut i32, sink: &mut impl SymbolSink) {
    let dc = i32::from(block[0]).clamp(-1024, 1023);
    let (cat, bits) = category(dc - *pred);
    *pred = dc;
    sink.dc(cat as u8, bits, cat);
    // Position 0 is the DC coefficient, coded above.
    let natural = nonzero_mask(block) & !1;
    // Blocks with no AC coefficient (flat areas) need no zig-zag pass.
    if natural == 0 {
        sink.ac(0x00, 0, 0);
        return;
    }
    let mut mask = if natural.count_ones() <= SPARSE_AC {
        let (mut bits, mut zz) = (natural, 0u64);
        while bits != 0 {
            zz |= 1 << ZIGZAG_INDEX[bits.trailing_zeros() as usize];
            bits &= bits - 1;
        }
        zz
    } else {
        let mut zigzag = [0i16; 64];
        for (z, &n) in zigzag.iter_mut().zip(&ZIGZAG) {
            *z = block[usize::from(n)];
        }
        nonzero_mask(&zigzag) & !1
    };
    let mut last = 0u32;
    while mask != 0 {
        let k = mask.trailing_zeros();
        mask &= mask - 1;
        let mut run = k - last - 1;
        while run > 15 {
            sink.ac(0xF0, 0, 0);
            run -= 16;
        }
        let v = i32::from(block[usize::from(ZIGZAG[k as usize])]).clamp(-AC_LIMIT, AC_LIMIT);
        let (cat, bits) = category(v);
        sink.ac(((run << 4) | cat) as u8, bits, cat);
        last = k;
    }
    if last != 63 {
        sink.ac(0x00, 0, 0);
    }
}

/// Huffman table selector for component `index`: luma 0, chroma 1.
fn table_id(index: usize) -> usize {
    usize::from(index > 0)
}

/// Supplies quantized blocks to [`encode_with_source`] as it codes them, so
/// a caller that computes or quantizes blocks on the fly never stores a
/// whole coefficient image.
pub trait BlockSource {
    /// The quantized block (natural order) of component `comp` at block
    /// column `bx`, row `by` of that component's grid.
    fn block(&mut self, comp: usize, bx: usize, by: usize) -> &[i16; 64];
}

/// The blocks of a stored coefficient image.
struct Stored<'a>(&'a CoefficientImage);

impl BlockSource for Stored<'_> {
    #[inline(always)]
    fn block(&mut self, comp: usize, bx: usize, by: usize) -> &[i16; 64] {
        self.0.components[comp].block(bx, by)
    }
}

/// Encodes a coefficient image to a complete JPEG file.
pub fn encode_coefficients(image: &CoefficientImage, options: &EncodeOptions) -> Result<Vec<u8>> {
    validate(image, true)?;
    encode(image, &mut Stored(image), options)
}

/// Encodes the picture `layout` describes (size, components, sampling,
/// quantization tables, restart interval; its blocks are not read and may
/// be empty, see [`CoefficientImage::layout`]) with blocks asked from
/// `source` in coding order. With [`HuffmanMode::Optimized`] every block is
/// asked for twice (statistics, then coding).
pub fn encode_with_source(
    layout: &CoefficientImage,
    source: &mut impl BlockSource,
    options: &EncodeOptions,
) -> Result<Vec<u8>> {
    validate(layout, false)?;
    encode(layout, source, options)
}

fn encode(
    image: &CoefficientImage,
    source: &mut impl BlockSource,
    options: &EncodeOptions,
) -> Result<Vec<u8>> {
    let restart = options.restart_interval.unwrap_or(image.restart_interval);
    let table_count = if image.components.len() == 1 { 1 } else { 2 };
    let specs: Vec<(HuffmanSpec, HuffmanSpec)> = match options.huffman {
        HuffmanMode::Standard => [
            (StdTable::DcLuma, StdTable::AcLuma),
            (StdTable::DcChroma, StdTable::AcChroma),
        ][..table_count]
            .iter()
            .map(|&(dc, ac)| (HuffmanSpec::standard(dc), HuffmanSpec::standard(ac)))
            .collect(),
        HuffmanMode::Optimized => {
            let mut freq = vec![([0u64; 256], [0u64; 256]); table_count];
            let mut preds = [0i32; 4];
            for_each_block(image, restart, |unit| match unit {
                Unit::Restart(_) => preds = [0; 4],
                Unit::Block(ci, bx, by) => {
                    let (dc, ac) = &mut freq[table_id(ci)];
                    let block = source.block(ci, bx, by);
                    block_symbols(block, &mut preds[ci], &mut Frequencies { dc, ac });
                }
            });
            freq.iter()
                .map(|(dc, ac)| (optimal_spec(dc), optimal_spec(ac)))
                .collect()
        }
    };
    let tables: Vec<(EncodeTable, EncodeTable)> = specs
        .iter()
        .map(|(dc, ac)| Ok((EncodeTable::new(dc)?, EncodeTable::new(ac)?)))
        .collect::<Result<_>>()?;

    let blocks: usize = image
        .components
        .iter()
        .map(|c| c.blocks_wide * c.blocks_high)
        .sum();
    let mut out = Vec::with_capacity(1024 + blocks * 24);
    write_headers(&mut out, image, options, &specs, restart);
    let mut writer = BitWriter::new(&mut out);
    let mut preds = [0i32; 4];
    for_each_block(image, restart, |unit| match unit {
        Unit::Restart(n) => {
            writer.marker(markers::RST0 + n);
            preds = [0; 4];
        }
        Unit::Block(ci, bx, by) => {
            let (dc, ac) = &tables[table_id(ci)];
            let block = source.block(ci, bx, by);
            let pred = &mut preds[ci];
            writer.scoped(|writer| block_symbols(block, pred, &mut Coder { writer, dc, ac }));
        }
    });
    writer.flush();
    out.extend_from_slice(&[0xFF, markers::EOI]);
    Ok(out)
}

/// Checks that `image` can be coded; `stored` also checks its blocks.
fn validate(image: &CoefficientImage, stored: bool) -> Result<()> {
    let n = image.components.len();
    if n != 1 && n != 3 {
        return Err(JpegError::InvalidInput(format!(
            "{n} components (1 or 3 can be encoded)"
        )));
    }
    if image.width == 0 || image.height == 0 || image.width > 65535 || image.height > 65535 {
        return Err(JpegError::InvalidInput(format!(
            "image size {}x{} (JPEG allows 1-65535)",
            image.width, image.height
        )));
    }
    let (mcus_wide, mcus_high) = image.mcus();
    let mcu_blocks: usize = image
        .components
        .iter()
        .map(|c| usize::from(c.h) * usize::from(c.v))
        .sum();
    if n > 1 && mcu_blocks > 10 {
        return Err(JpegError::InvalidInput(format!(
            "an MCU of {mcu_blocks} blocks (at most 10)"
        )));
    }
    for (i, c) in image.components.iter().enumerate() {
        image.quant_table(i).map_err(|_| {
            JpegError::InvalidInput(format!(
                "component {} uses quantization table {} which is not set",
                c.id, c.quant_index
            ))
        })?;
        if c.blocks_wide != mcus_wide * usize::from(c.h)
            || c.blocks_high != mcus_high * usize::from(c.v)
            || (stored && c.blocks.len() != c.blocks_wide * c.blocks_high)
        {
            return Err(JpegError::InvalidInput(format!(
                "component {} has a block grid that does not match the image geometry",
                c.id
            )));
        }
    }
    Ok(())
}

fn write_segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn write_headers(
    out: &mut Vec<u8>,
    image: &CoefficientImage,
    options: &EncodeOptions,
    specs: &[(HuffmanSpec, HuffmanSpec)],
    restart: u16,
) {
    out.extend_from_slice(&[0xFF, markers::SOI]);
    if image.colour == crate::coeffs::Colour::Rgb {
        // Adobe APP14: version 100, no flags, transform 0 (RGB). JFIF
        // would claim YCbCr, so it is not written for these.
        write_segment(
            out,
            markers::APP14,
            &[b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, 0],
        );
    } else if options.jfif {
        // JFIF 1.01, no density units, 1:1 aspect, no thumbnail.
        write_segment(
            out,
            markers::APP0,
            &[b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
        );
    }
    if let Some(text) = &options.comment {
        let bytes = text.as_bytes();
        write_segment(out, markers::COM, &bytes[..bytes.len().min(65533)]);
    }
    // DQT: every table a component uses, 8-bit when it fits.
    let mut body = Vec::new();
    let mut all_8bit = true;
    for (id, table) in image.quant_tables.iter().enumerate() {
        let Some(table) = table else { continue };
        if !image
            .components
            .iter()
            .any(|c| usize::from(c.quant_index) == id)
        {
            continue;
        }
        if table.is_8bit() {
            body.push(id as u8);
            body.extend(ZIGZAG.iter().map(|&z| table.0[usize::from(z)] as u8));
        } else {
            all_8bit = false;
            body.push(0x10 | id as u8);
            for &z in &ZIGZAG {
                body.extend_from_slice(&table.0[usize::from(z)].to_be_bytes());
            }
        }
    }
    write_segment(out, markers::DQT, &body);
    // SOF0 when baseline allows it (8-bit tables), SOF1 otherwise.
    let process = if all_8bit && image.process == Process::Baseline {
        markers::SOF0
    } else {
        markers::SOF1
    };
    let mut body = vec![8];
    body.extend_from_slice(&(image.height as u16).to_be_bytes());
    body.extend_from_slice(&(image.width as u16).to_be_bytes());
    body.push(image.components.len() as u8);
    for c in &image.components {
        body.extend_from_slice(&[c.id, c.h << 4 | c.v, c.quant_index]);
    }
    write_segment(out, process, &body);
    let mut body = Vec::new();
    for (id, (dc, ac)) in specs.iter().enumerate() {
        for (class, spec) in [(0u8, dc), (1u8, ac)] {
            body.push(class << 4 | id as u8);
            body.extend_from_slice(&spec.bits);
            body.extend_from_slice(&spec.values);
        }
    }
    write_segment(out, markers::DHT, &body);
    if restart > 0 {
        write_segment(out, markers::DRI, &restart.to_be_bytes());
    }
    let mut body = vec![image.components.len() as u8];
    for (i, c) in image.components.iter().enumerate() {
        let t = table_id(i) as u8;
        body.extend_from_slice(&[c.id, t << 4 | t]);
    }
    body.extend_from_slice(&[0, 63, 0]);
    write_segment(out, markers::SOS, &body);
}

/// Quantizes `frame` with the IJG tables for `quality` (1-100) and encodes it.
pub fn encode_frame(frame: &Frame, quality: u8, options: &EncodeOptions) -> Result<Vec<u8>> {
    let (luma, chroma) = crate::quality::tables_for_quality(quality);
    let image = crate::pixels::frame_to_coefficients(frame, &luma, &chroma)?;
    encode_coefficients(&image, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records symbols and magnitude bits.
    #[derive(Default, PartialEq, Debug)]
    struct Recorder(Vec<(bool, u8, u32, u32)>);

    impl SymbolSink for Recorder {
        fn dc(&mut self, symbol: u8, bits: u32, size: u32) {
            self.0.push((true, symbol, bits, size));
        }
        fn ac(&mut self, symbol: u8, bits: u32, size: u32) {
            self.0.push((false, symbol, bits, size));
        }
    }

    /// T.81 F.1.2.2 written out coefficient by coefficient (Figure F.2).
    fn reference_symbols(block: &[i16; 64], pred: &mut i32, sink: &mut Recorder) {
        let dc = i32::from(block[0]).clamp(-1024, 1023);
        let (cat, bits) = category(dc - *pred);
        *pred = dc;
        sink.dc(cat as u8, bits, cat);
        let mut run = 0u32;
        for k in 1..64 {
            let v = i32::from(block[usize::from(ZIGZAG[k])]).clamp(-AC_LIMIT, AC_LIMIT);
            if v == 0 {
                run += 1;
                continue;
            }
            while run > 15 {
                sink.ac(0xF0, 0, 0);
                run -= 16;
            }
            let (cat, bits) = category(v);
            sink.ac(((run << 4) | cat) as u8, bits, cat);
            run = 0;
        }
        if run > 0 {
            sink.ac(0x00, 0, 0);
        }
    }

    /// Sparse blocks (mask built bit by bit) and dense ones (zig-zag copy)
    /// give the symbols of the plain scan, at every count of non-zero AC
    /// coefficients.
    #[test]
    fn block_symbols_match_the_plain_scan() {
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        for round in 0..3000 {
            let count = round % 64;
            let mut block = [0i16; 64];
            block[0] = (next() % 2048) as i16 - 1024;
            for _ in 0..count {
                let i = 1 + (next() % 63) as usize;
                block[i] = match next() % 3 {
                    0 => (next() % 5) as i16 - 2,
                    1 => (next() % 4000) as i16 - 2000,
                    _ => next() as i16,
                };
            }
            let (mut p1, mut p2) = (5, 5);
            let (mut got, mut want) = (Recorder::default(), Recorder::default());
            block_symbols(&block, &mut p1, &mut got);
            reference_symbols(&block, &mut p2, &mut want);
            assert_eq!(got, want, "{block:?}");
        }
    }
}
