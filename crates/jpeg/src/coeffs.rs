//! The coefficient image: a JPEG picture held as quantized DCT blocks.
//!
//! This is the crate's central type. Decoding stops here unless pixels are
//! asked for, and encoding starts here, so DCT-domain operations (effects,
//! the SC format, transcoding) never pay for an inverse DCT.

use tessera_core::{ChromaFormat, Limits};

use crate::error::{JpegError, Result};

/// A quantization table in natural (row-major) order. Values are 1-255 for
/// 8-bit tables and up to 65535 for 16-bit ones (T.81 B.2.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuantTable(pub [u16; 64]);

impl QuantTable {
    /// True if every entry fits the 8-bit DQT form (and so baseline JPEG).
    pub fn is_8bit(&self) -> bool {
        self.0.iter().all(|&q| q <= 255)
    }
}

/// Which coding process the frame header declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Process {
    /// SOF0: 8-bit, Huffman, at most two tables of each kind.
    #[default]
    Baseline,
    /// SOF1: extended sequential, Huffman, 8-bit samples here.
    ExtendedSequential,
}

impl Process {
    pub fn name(self) -> &'static str {
        match self {
            Process::Baseline => "baseline",
            Process::ExtendedSequential => "extended sequential",
        }
    }
}

/// One colour component and its blocks.
#[derive(Clone, PartialEq, Eq)]
pub struct Component {
    /// Component identifier from the frame header (C_i).
    pub id: u8,
    /// Horizontal sampling factor (H_i, 1-4).
    pub h: u8,
    /// Vertical sampling factor (V_i, 1-4).
    pub v: u8,
    /// Quantization table selector (Tq_i, 0-3).
    pub quant_index: u8,
    /// Samples per line of this component: ceil(X * H_i / Hmax).
    pub width: usize,
    /// Lines of this component: ceil(Y * V_i / Vmax).
    pub height: usize,
    /// Block columns stored, padded to whole MCUs.
    pub blocks_wide: usize,
    /// Block rows stored, padded to whole MCUs.
    pub blocks_high: usize,
    /// Quantized coefficients, natural order, block rows top to bottom.
    pub blocks: Vec<[i16; 64]>,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("id", &self.id)
            .field("h", &self.h)
            .field("v", &self.v)
            .field("quant_index", &self.quant_index)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("blocks_wide", &self.blocks_wide)
            .field("blocks_high", &self.blocks_high)
            .finish_non_exhaustive()
    }
}

impl Component {
    /// The block at block column `bx`, block row `by`.
    #[inline]
    pub fn block(&self, bx: usize, by: usize) -> &[i16; 64] {
        &self.blocks[by * self.blocks_wide + bx]
    }

    /// The block at block column `bx`, block row `by`, mutably.
    #[inline]
    pub fn block_mut(&mut self, bx: usize, by: usize) -> &mut [i16; 64] {
        &mut self.blocks[by * self.blocks_wide + bx]
    }

    /// Block columns that hold image samples (the rest is MCU padding).
    pub fn visible_blocks_wide(&self) -> usize {
        self.width.div_ceil(8)
    }

    /// Block rows that hold image samples.
    pub fn visible_blocks_high(&self) -> usize {
        self.height.div_ceil(8)
    }
}

/// What a frame header declares for one component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComponentSpec {
    pub id: u8,
    pub h: u8,
    pub v: u8,
    pub quant_index: u8,
}

/// What the three components of a colour JPEG hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Y, Cb, Cr (JFIF), or a single grey component.
    #[default]
    YCbCr,
    /// R, G, B coded directly: an Adobe APP14 segment with transform 0, or
    /// component identifiers 'R', 'G', 'B' without one.
    Rgb,
}

/// A whole JPEG picture as quantized DCT coefficients plus the tables that
/// give them meaning.
///
/// The default value is empty (no size, no components): a buffer for
/// [`decode_coefficients_into`](crate::decode_coefficients_into) to fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoefficientImage {
    pub width: usize,
    pub height: usize,
    pub process: Process,
    /// Quantization tables by selector; every component's selector is set.
    pub quant_tables: [Option<QuantTable>; 4],
    pub components: Vec<Component>,
    /// MCUs between restart markers, 0 for none.
    pub restart_interval: u16,
    /// What the components hold; the encoder writes an Adobe APP14
    /// segment for [`Colour::Rgb`].
    pub colour: Colour,
}

impl CoefficientImage {
    /// An all-zero coefficient image of the given geometry.
    ///
    /// Checks the geometry against `limits` before allocating. Sampling
    /// factors must be 1-4; there must be 1 or 3 components.
    pub fn new(
        width: usize,
        height: usize,
        specs: &[ComponentSpec],
        quant_tables: [Option<QuantTable>; 4],
        limits: &Limits,
    ) -> Result<CoefficientImage> {
        let mut image = CoefficientImage::empty(width, height, specs, quant_tables, limits)?;
        image.allocate();
        Ok(image)
    }

    /// The geometry a frame header describes, with no blocks allocated.
    pub(crate) fn geometry(frame: &crate::markers::FrameHeader) -> Result<CoefficientImage> {
        let mut image = CoefficientImage::empty(
            frame.width,
            frame.height,
            &frame.components,
            [None; 4],
            &Limits::unlimited(),
        )?;
        image.process = frame.process;
        Ok(image)
    }

    /// Allocates zeroed blocks for every component.
    pub(crate) fn allocate(&mut self) {
        for c in &mut self.components {
            c.blocks = vec![[0; 64]; c.blocks_wide * c.blocks_high];
        }
    }

    /// Whether `self` stores blocks for exactly the block grid of `other`:
    /// as many components, each with as many block columns and rows.
    pub(crate) fn same_grid(&self, other: &CoefficientImage) -> bool {
        self.components.len() == other.components.len()
            && self.components.iter().zip(&other.components).all(|(a, b)| {
                a.blocks_wide == b.blocks_wide
                    && a.blocks_high == b.blocks_high
                    && a.blocks.len() == a.blocks_wide * a.blocks_high
            })
    }

    /// Moves the block buffers of `self` into `other`, component by
    /// component (see [`same_grid`](Self::same_grid)).
    pub(crate) fn take_blocks_into(&mut self, other: &mut CoefficientImage) {
        for (from, to) in self.components.iter_mut().zip(&mut other.components) {
            to.blocks = std::mem::take(&mut from.blocks);
        }
    }

    /// The geometry and tables of an image with no blocks stored: a layout
    /// for [`encode_with_source`](crate::encode_with_source), which asks
    /// for blocks as it codes them.
    pub fn layout(
        width: usize,
        height: usize,
        specs: &[ComponentSpec],
        quant_tables: [Option<QuantTable>; 4],
        limits: &Limits,
    ) -> Result<CoefficientImage> {
        CoefficientImage::empty(width, height, specs, quant_tables, limits)
    }

    fn empty(
        width: usize,
        height: usize,
        specs: &[ComponentSpec],
        quant_tables: [Option<QuantTable>; 4],
        limits: &Limits,
    ) -> Result<CoefficientImage> {
        if width == 0 || height == 0 {
            return Err(JpegError::Unsupported(format!(
                "image size {width}x{height} (a zero height needs a DNL marker, which is not supported)"
            )));
        }
        limits.check_dimensions(width as u64, height as u64)?;
        if specs.len() != 1 && specs.len() != 3 {
            return Err(JpegError::Unsupported(format!(
                "{} components (only 1 and 3 are supported)",
                specs.len()
            )));
        }
        for spec in specs {
            if !(1..=4).contains(&spec.h) || !(1..=4).contains(&spec.v) {
                return Err(JpegError::malformed(
                    0,
                    format!(
                        "component {} has sampling factors {}x{}; each must be 1-4",
                        spec.id, spec.h, spec.v
                    ),
                ));
            }
            if spec.quant_index > 3 {
                return Err(JpegError::malformed(
                    0,
                    format!(
                        "component {} uses quantization table {}",
                        spec.id, spec.quant_index
                    ),
                ));
            }
        }
        let hmax = specs.iter().map(|s| usize::from(s.h)).max().unwrap_or(1);
        let vmax = specs.iter().map(|s| usize::from(s.v)).max().unwrap_or(1);
        let mcus_wide = width.div_ceil(8 * hmax);
        let mcus_high = height.div_ceil(8 * vmax);
        // The block count is bounded by the pixel limit times a constant
        // (sampling factors are at most 4), so allocating it is bounded.
        let components = specs
            .iter()
            .map(|s| {
                let (h, v) = (usize::from(s.h), usize::from(s.v));
                let blocks_wide = mcus_wide * h;
                let blocks_high = mcus_high * v;
                Component {
                    id: s.id,
                    h: s.h,
                    v: s.v,
                    quant_index: s.quant_index,
                    width: (width * h).div_ceil(hmax),
                    height: (height * v).div_ceil(vmax),
                    blocks_wide,
                    blocks_high,
                    blocks: Vec::new(),
                }
            })
            .collect();
        Ok(CoefficientImage {
            width,
            height,
            process: Process::Baseline,
            quant_tables,
            components,
            restart_interval: 0,
            colour: Colour::YCbCr,
        })
    }

    /// Largest horizontal and vertical sampling factors.
    pub fn max_sampling(&self) -> (usize, usize) {
        max_sampling(&self.components)
    }

    /// MCU columns and rows of an interleaved scan over all components.
    pub fn mcus(&self) -> (usize, usize) {
        let (hmax, vmax) = self.max_sampling();
        (
            self.width.div_ceil(8 * hmax),
            self.height.div_ceil(8 * vmax),
        )
    }

    /// The quantization table component `index` uses.
    pub fn quant_table(&self, index: usize) -> Result<&QuantTable> {
        let tq = self.components[index].quant_index;
        self.quant_tables[usize::from(tq)].as_ref().ok_or_else(|| {
            JpegError::malformed(
                0,
                format!("quantization table {tq} is used but never defined"),
            )
        })
    }

    /// The planar layout the sampling factors describe, if it is one of
    /// the common ones (the two chroma components sampled alike).
    pub fn chroma_format(&self) -> Option<ChromaFormat> {
        chroma_format_of(&self.components)
    }

    /// Component specs as a frame header lists them.
    pub fn specs(&self) -> Vec<ComponentSpec> {
        self.components
            .iter()
            .map(|c| ComponentSpec {
                id: c.id,
                h: c.h,
                v: c.v,
                quant_index: c.quant_index,
            })
            .collect()
    }
}

pub(crate) fn max_sampling(components: &[Component]) -> (usize, usize) {
    let hmax = components
        .iter()
        .map(|c| usize::from(c.h))
        .max()
        .unwrap_or(1);
    let vmax = components
        .iter()
        .map(|c| usize::from(c.v))
        .max()
        .unwrap_or(1);
    (hmax, vmax)
}

pub(crate) fn chroma_format_of(components: &[Component]) -> Option<ChromaFormat> {
    match components {
        [_] => Some(ChromaFormat::Mono),
        [y, cb, cr] => {
            if (cb.h, cb.v) != (cr.h, cr.v) || y.h % cb.h != 0 || y.v % cb.v != 0 {
                return None;
            }
            match (y.h / cb.h, y.v / cb.v) {
                (1, 1) => Some(ChromaFormat::Yuv444),
                (2, 1) => Some(ChromaFormat::Yuv422),
                (2, 2) => Some(ChromaFormat::Yuv420),
                (1, 2) => Some(ChromaFormat::Yuv440),
                (4, 1) => Some(ChromaFormat::Yuv411),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Luma sampling factors that give `format` when chroma is 1x1.
pub fn sampling_for(format: ChromaFormat) -> (u8, u8) {
    match format {
        ChromaFormat::Mono | ChromaFormat::Yuv444 => (1, 1),
        ChromaFormat::Yuv422 => (2, 1),
        ChromaFormat::Yuv420 => (2, 2),
        ChromaFormat::Yuv440 => (1, 2),
        ChromaFormat::Yuv411 => (4, 1),
    }
}
