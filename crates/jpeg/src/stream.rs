//! Decoding a picture MCU by MCU as its blocks are used, storing none of
//! them: for one-pass consumers such as the effects' decode-mix-encode
//! path, which would otherwise write a whole coefficient image (6 MB at
//! 1080p, far past the caches) only to read it back once.

use tessera_core::Limits;

use crate::bitreader::BitReader;
use crate::coeffs::CoefficientImage;
use crate::decode::{Parser, Restarts, Step, coded_twice, decode_block};
use crate::error::{JpegError, Result};
use crate::huffman::DecodeTable;
use crate::markers::ScanComponent;

static ZERO_BLOCK: [i16; 64] = [0; 64];

/// The blocks of a picture coded in one interleaved scan, decoded an MCU
/// at a time in coding order (T.81 A.2.3).
///
/// Each MCU's blocks are those [`decode_coefficients`] would store, and a
/// stream that decodes every MCU and then [`finish`]es fails exactly where
/// `decode_coefficients` fails on the same data. Pictures with one
/// component or several scans do not stream: [`McuStream::new`] answers
/// `None` for them.
///
/// [`decode_coefficients`]: crate::decode_coefficients
/// [`finish`]: McuStream::finish
pub struct McuStream<'a> {
    parser: Parser<'a>,
    layout: CoefficientImage,
    reader: BitReader<'a>,
    scan: Vec<ScanComponent>,
    /// DC and AC tables of each scan component.
    tables: Vec<(DecodeTable, DecodeTable)>,
    restarts: Restarts,
    /// DC predictions, per scan component.
    preds: [i32; 4],
    /// MCU columns and rows.
    mcus: (usize, usize),
    /// MCUs decoded so far.
    decoded: usize,
    /// The current MCU's blocks: component `c`'s from `first[c]`, `h * v`
    /// of them, row by row.
    blocks: Vec<[i16; 64]>,
    first: Vec<usize>,
}

impl std::fmt::Debug for McuStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McuStream")
            .field("layout", &self.layout)
            .field("mcus", &self.mcus)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

impl<'a> McuStream<'a> {
    /// Reads the headers up to the first scan. `Ok(None)` when the picture
    /// does not stream (one component, or a first scan without every
    /// component): decode it whole instead. Errors are those
    /// `decode_coefficients` gives for the same headers.
    pub fn new(data: &'a [u8], limits: &'a Limits) -> Result<Option<McuStream<'a>>> {
        let mut parser = Parser::new(data, limits)?;
        let start = loop {
            match parser.next_segment()? {
                Step::Other => continue,
                Step::End => return Err(JpegError::Truncated("no scan in the data")),
                Step::Scan(start) => break start,
            }
        };
        let Some(frame) = parser.frame.as_ref() else {
            return Err(JpegError::malformed(start, "scan before the frame header"));
        };
        let mut layout = CoefficientImage::geometry(frame)?;
        if layout.components.len() < 2 || parser.scan.len() != layout.components.len() {
            return Ok(None);
        }
        for s in &parser.scan {
            parser.quant_for(&frame.components[s.index])?;
        }
        layout.quant_tables = parser.quant;
        layout.colour = parser.colour();
        layout.restart_interval = parser.restart_interval;
        let tables = parser
            .scan_tables()?
            .into_iter()
            .map(|(dc, ac)| (dc.clone(), ac.clone()))
            .collect();
        let mut first = Vec::with_capacity(layout.components.len());
        let mut n = 0;
        for c in &layout.components {
            first.push(n);
            n += usize::from(c.h) * usize::from(c.v);
        }
        Ok(Some(McuStream {
            reader: BitReader::new(data, start),
            scan: parser.scan.clone(),
            tables,
            restarts: Restarts::new(parser.restart_interval),
            preds: [0; 4],
            mcus: layout.mcus(),
            decoded: 0,
            blocks: vec![[0; 64]; n],
            first,
            layout,
            parser,
        }))
    }

    /// The picture's geometry and tables, with no blocks stored (a layout
    /// as [`CoefficientImage::layout`] makes).
    pub fn layout(&self) -> &CoefficientImage {
        &self.layout
    }

    /// MCU columns and rows.
    pub fn mcus(&self) -> (usize, usize) {
        self.mcus
    }

    /// MCUs decoded so far: the raster index of the next one.
    pub fn decoded(&self) -> usize {
        self.decoded
    }

    /// Decodes the next MCU, in raster order.
    pub fn next_mcu(&mut self) -> Result<()> {
        let (wide, high) = self.mcus;
        if self.decoded >= wide * high {
            return Err(JpegError::InvalidInput(
                "every MCU of the picture was already decoded".into(),
            ));
        }
        self.restarts
            .before_unit(&mut self.reader, &mut self.preds)?;
        for (i, s) in self.scan.iter().enumerate() {
            let c = &self.layout.components[s.index];
            let first = self.first[s.index];
            let (dc, ac) = &self.tables[i];
            let blocks = &mut self.blocks[first..first + usize::from(c.h) * usize::from(c.v)];
            for block in blocks {
                *block = [0; 64];
                decode_block(&mut self.reader, dc, ac, &mut self.preds[i], block)?;
            }
        }
        self.decoded += 1;
        if self.decoded.is_multiple_of(wide) && self.reader.overran() {
            return Err(JpegError::Truncated("entropy-coded data ended early"));
        }
        Ok(())
    }

    /// The current MCU's blocks in coding order: each component's `h * v`
    /// blocks row by row, components in frame order.
    #[inline]
    pub fn mcu_blocks(&self) -> &[[i16; 64]] {
        &self.blocks
    }

    /// Block (`x`, `y`) of component `comp` in the current MCU (`x` below
    /// the component's `h`, `y` below its `v`); zeros for any other.
    #[inline]
    pub fn block(&self, comp: usize, x: usize, y: usize) -> &[i16; 64] {
        match (self.layout.components.get(comp), self.first.get(comp)) {
            (Some(c), Some(&first)) if x < usize::from(c.h) && y < usize::from(c.v) => {
                &self.blocks[first + y * usize::from(c.h) + x]
            }
            _ => &ZERO_BLOCK,
        }
    }

    /// Once every MCU is decoded, reads the rest of the data as
    /// `decode_coefficients` does, failing where it would (another scan,
    /// a malformed segment).
    pub fn finish(self) -> Result<()> {
        let (wide, high) = self.mcus;
        if self.decoded < wide * high {
            return Err(JpegError::InvalidInput(format!(
                "finished after {} of {} MCUs",
                self.decoded,
                wide * high
            )));
        }
        let mut reader = self.reader;
        let mut parser = self.parser;
        parser.pos = reader.marker_position();
        loop {
            match parser.next_segment()? {
                Step::Other => continue,
                Step::End => return Ok(()),
                // The first scan coded every component.
                Step::Scan(start) => return Err(coded_twice(start)),
            }
        }
    }
}
