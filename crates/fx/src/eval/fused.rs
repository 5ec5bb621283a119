//! The fused decode-mix-encode path of an effect whose output is in the
//! DCT domain: each output block is computed from the inputs' *quantized*
//! blocks as the JPEG encoder asks for it, and quantized and coded at
//! once; no frame of coefficients is stored between decoding and
//! encoding.
//!
//! An input's blocks come from a stored coefficient image, or straight
//! from its JPEG bytes through a [`McuStream`] that decodes an MCU each
//! time the encoder starts one (when the input's MCUs are the output's),
//! so that nothing but the MCU in hand is ever written or read: at 1080p
//! a stored picture is 6 MB, well past the caches, written once by the
//! decoder and read once here.

use tessera_core::Limits;
use tessera_jpeg::{CoefficientImage, McuStream, QuantTable};
use tessera_sc::FrameGeometry;

use super::dct::{self, BlockKernel, Combo};
use super::{ZERO_BLOCK, block_of};
use crate::error::FxError;

/// Where the blocks of one term of the combination come from.
pub(crate) enum Source<'a> {
    Stored(&'a CoefficientImage),
    /// Decoded whole: a picture whose MCUs are not the output's.
    Owned(Box<CoefficientImage>),
    Streamed(Box<McuStream<'a>>),
}

impl<'a> Source<'a> {
    /// Input `i`'s JPEG bytes as a source for an output of geometry
    /// `output`: streamed when the picture streams and its MCUs are the
    /// output's, else decoded whole.
    pub(crate) fn open(
        i: usize,
        jpeg: &'a [u8],
        limits: &'a Limits,
        output: &FrameGeometry,
    ) -> Result<Source<'a>, FxError> {
        let error = |e: tessera_jpeg::JpegError| FxError::Input(format!("input {i}: {e}"));
        if let Some(stream) = McuStream::new(jpeg, limits).map_err(error)?
            && same_mcus(stream.layout(), output)
        {
            return Ok(Source::Streamed(Box::new(stream)));
        }
        Ok(Source::Owned(Box::new(
            tessera_jpeg::decode_coefficients(jpeg, limits).map_err(error)?,
        )))
    }

    fn layout(&self) -> &CoefficientImage {
        match self {
            Source::Stored(image) => image,
            Source::Owned(image) => image,
            Source::Streamed(stream) => stream.layout(),
        }
    }
}

/// Whether `image` codes the MCUs the output's encoder writes: the same
/// size, and sampling factors `h_sub` x `v_sub` for luma, 1x1 for chroma.
fn same_mcus(image: &CoefficientImage, output: &FrameGeometry) -> bool {
    let sampling: Vec<(u8, u8)> = image.components.iter().map(|c| (c.h, c.v)).collect();
    sampling == [(output.h_sub, output.v_sub), (1, 1), (1, 1)]
        && image.width == usize::from(output.true_width)
        && image.height == usize::from(output.true_height)
}

/// The sources of a frame and the MCU the encoder is in.
struct Cursor<'a> {
    sources: Vec<Source<'a>>,
    /// Luma blocks per MCU, across and down (powers of two).
    unit: (usize, usize),
    mcus_wide: usize,
    /// Where the blocks of component 0, 1, 2 start in an MCU.
    first: [usize; 3],
    /// The first failure; blocks are zero after it.
    error: Option<FxError>,
}

impl Cursor<'_> {
    /// Called for every block the encoder asks for, in coding order:
    /// when it starts an MCU, each stream decodes that MCU.
    #[inline(always)]
    fn advance(&mut self, comp: usize, bx: usize, by: usize) {
        let (h, v) = self.unit;
        if comp != 0 || bx & (h - 1) != 0 || by & (v - 1) != 0 || self.error.is_some() {
            return;
        }
        let mcu = (by / v) * self.mcus_wide + bx / h;
        for (i, source) in self.sources.iter_mut().enumerate() {
            let Source::Streamed(stream) = source else {
                continue;
            };
            let result = if stream.decoded() != mcu {
                Err(format!(
                    "MCU {mcu} asked for after {} (out of coding order)",
                    stream.decoded()
                ))
            } else {
                stream.next_mcu().map_err(|e| e.to_string())
            };
            if let Err(e) = result {
                self.error = Some(FxError::Input(format!("input {i}: {e}")));
                return;
            }
        }
    }

    /// Term `i`'s block of component `comp` at (`bx`, `by`).
    #[inline(always)]
    fn block(&self, i: usize, comp: usize, bx: usize, by: usize) -> &[i16; 64] {
        if self.error.is_some() {
            return &ZERO_BLOCK;
        }
        match &self.sources[i] {
            Source::Stored(image) => block_of(image, comp, bx, by),
            Source::Owned(image) => block_of(image, comp, bx, by),
            Source::Streamed(stream) => {
                // A stream's MCUs are the output's (`same_mcus`): luma
                // blocks `h` x `v`, one block of each chroma component.
                let (h, v) = self.unit;
                let k = match comp {
                    0 => (by & (v - 1)) * h + (bx & (h - 1)),
                    _ => self.first[comp.min(2)],
                };
                stream.mcu_blocks().get(k).unwrap_or(&ZERO_BLOCK)
            }
        }
    }

    /// The first failure, or each stream's check of the rest of its data.
    fn finish(self) -> Result<(), FxError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for (i, source) in self.sources.into_iter().enumerate() {
            if let Source::Streamed(stream) = source {
                stream
                    .finish()
                    .map_err(|e| FxError::Input(format!("input {i}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// Output frame of geometry `output` as a baseline JPEG (Annex K Huffman
/// tables, `luma`/`chroma` quantization) from the combination `combo`,
/// whose term `t` reads `sources[t]`, an input of geometry
/// `inputs[combo.terms[t].0]`.
pub(crate) fn encode(
    combo: &Combo,
    sources: Vec<Source<'_>>,
    inputs: &[FrameGeometry],
    output: &FrameGeometry,
    luma: &QuantTable,
    chroma: &QuantTable,
) -> Result<Vec<u8>, FxError> {
    // Each term's quantization tables, in JPEG component order (Y, Cb, Cr).
    let mut quant = Vec::with_capacity(sources.len());
    for (&(i, _), source) in combo.terms.iter().zip(&sources) {
        let tables = dct::input_tables(i, source.layout(), &inputs[i])?;
        quant.push(tables.map(|q| q.0));
    }
    let (h, v) = (usize::from(output.h_sub), usize::from(output.v_sub));
    let mut cursor = Cursor {
        sources,
        unit: (h, v),
        mcus_wide: usize::from(output.true_width).div_ceil(8 * h),
        first: [0, h * v, h * v + 1],
        error: None,
    };
    let n = combo.terms.len();
    let jpeg = if let Some(mixes) = dct::quantizing_mixes(combo, &quant, &luma.0, &chroma.0) {
        let mix_quantize = tessera_dsp::kernels().mix_quantize;
        tessera_sc::jpeg_from_quantized_blocks(output, luma, chroma, |comp, bx, by, out| {
            cursor.advance(comp, bx, by);
            let mut refs = [&ZERO_BLOCK; tessera_dsp::mix::MAX_TERMS];
            for (i, r) in refs[..n].iter_mut().enumerate() {
                *r = cursor.block(i, comp, bx, by);
            }
            mix_quantize(&mixes[comp], &refs[..n], out);
        })?
    } else {
        // Float weights: dequantize, mix and quantize in three steps.
        let kernel = BlockKernel::new(combo);
        let tables: Vec<[[i16; 64]; 3]> = quant
            .iter()
            .map(|t| t.map(|q| tessera_sc::dequantize_table(&QuantTable(q))))
            .collect();
        // SC plane index (Y, Cr, Cb) of each JPEG component.
        const PLANE_OF: [usize; 3] = [0, 2, 1];
        let mut blocks = vec![[0i16; 64]; n];
        tessera_sc::jpeg_from_blocks(output, luma, chroma, |comp, bx, by, out| {
            cursor.advance(comp, bx, by);
            for (i, (tables, block)) in tables.iter().zip(blocks.iter_mut()).enumerate() {
                tessera_sc::dequantize(cursor.block(i, comp, bx, by), &tables[comp], block);
            }
            let p = PLANE_OF[comp];
            match &blocks[..] {
                [] => kernel.block(p, &[], out),
                [a] => kernel.block(p, &[a], out),
                [a, b] => kernel.block(p, &[a, b], out),
                many => kernel.block(p, &many.iter().collect::<Vec<_>>(), out),
            }
        })?
    };
    cursor.finish()?;
    Ok(jpeg)
}
