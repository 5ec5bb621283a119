//! A whole frame of SC coefficients, and conversions to and from JPEG
//! coefficient images and pixels.

use tessera_core::{Frame, Limits};
use tessera_dsp::quant::QuantRecip;
use tessera_jpeg::{CoefficientImage, ComponentSpec, QuantTable};

use crate::blockdata::{COEFF_MAX, COEFF_MIN};
use crate::error::ScError;
use crate::geometry::{FrameGeometry, PlaneKind};

/// Unquantized DCT coefficients (JPEG scaling, 12-bit) of a whole parent
/// frame, indexed by SC block address: all Y blocks, then Cr, then Cb.
#[derive(Clone, PartialEq, Eq)]
pub struct ScImage {
    pub geometry: FrameGeometry,
    pub blocks: Vec<[i16; 64]>,
}

impl std::fmt::Debug for ScImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScImage")
            .field("geometry", &self.geometry)
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

/// JPEG component index of an SC plane (Y, Cb, Cr order).
fn component_of(plane: PlaneKind) -> usize {
    match plane {
        PlaneKind::Y => 0,
        PlaneKind::Cb => 1,
        PlaneKind::Cr => 2,
    }
}

impl ScImage {
    /// All-zero coefficients (a mid-grey frame).
    pub fn zeroed(geometry: FrameGeometry) -> ScImage {
        ScImage {
            geometry,
            blocks: vec![[0; 64]; geometry.total_blocks() as usize],
        }
    }

    /// Dequantizes a JPEG coefficient image (a dequantized JPEG
    /// coefficient is an SC coefficient, section 5). The JPEG must be
    /// 3-component with one of the chroma formats SC carries.
    pub fn from_jpeg(image: &CoefficientImage) -> Result<ScImage, ScError> {
        let mut out = ScImage {
            geometry: FrameGeometry::new(1, 1, 1, 1)?,
            blocks: Vec::new(),
        };
        out.set_from_jpeg(image)?;
        Ok(out)
    }

    /// [`ScImage::from_jpeg`] into this image, reusing its blocks (a
    /// stream of frames of one geometry then allocates nothing).
    pub fn set_from_jpeg(&mut self, image: &CoefficientImage) -> Result<(), ScError> {
        if image.colour == tessera_jpeg::Colour::Rgb {
            return Err(ScError::Unsupported(
                "an RGB-coded JPEG (SC carries Y, Cb and Cr)".into(),
            ));
        }
        let format = image.chroma_format().ok_or_else(|| {
            ScError::Unsupported("JPEG sampling factors without a planar chroma format".into())
        })?;
        let geometry = FrameGeometry::for_format(image.width, image.height, format)?;
        // Every block is written below, so stale contents need no zeroing.
        self.blocks
            .resize(geometry.total_blocks() as usize, [0; 64]);
        self.geometry = geometry;
        for plane in [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb] {
            let ci = component_of(plane);
            let comp = &image.components[ci];
            let quant = image.quant_table(ci)?;
            let (w, h) = geometry.plane_blocks(plane);
            let (w, h) = (w as usize, h as usize);
            // The JPEG grid can be larger (ffmpeg codes 4:4:4 as 1x2
            // factors); the SC grid is always inside it.
            if comp.blocks_wide < w || comp.blocks_high < h {
                return Err(ScError::Unsupported(format!(
                    "JPEG component grid {}x{} smaller than SC's {w}x{h}",
                    comp.blocks_wide, comp.blocks_high
                )));
            }
            let q = dequantize_table(quant);
            let base = geometry.plane_base(plane) as usize;
            for by in 0..h {
                let src = &comp.blocks[by * comp.blocks_wide..][..w];
                let dst = &mut self.blocks[base + by * w..][..w];
                for (d, s) in dst.iter_mut().zip(src) {
                    dequantize(s, &q, d);
                }
            }
        }
        Ok(())
    }

    /// Forward DCT of a frame's pixels (edges padded by repetition).
    pub fn from_frame(frame: &Frame) -> Result<ScImage, ScError> {
        // Quantizing with all-ones tables keeps the unquantized values.
        let ones = QuantTable([1; 64]);
        let image = tessera_jpeg::frame_to_coefficients(frame, &ones, &ones)?;
        ScImage::from_jpeg(&image)
    }

    /// Quantizes to a JPEG coefficient image: luma with `luma` (table 0),
    /// chroma with `chroma` (table 1), rounding to nearest. No inverse DCT.
    pub fn to_jpeg(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
    ) -> Result<CoefficientImage, ScError> {
        let mut image = self.empty_jpeg(luma, chroma)?;
        self.quantize_into(&mut image, luma, chroma);
        Ok(image)
    }

    /// [`ScImage::to_jpeg`] into `out`, reusing its blocks when it already
    /// has this image's geometry (a stream of frames then allocates once
    /// instead of zeroing 6.3 MB per 1920x1080 frame).
    /// Anything else in `out` is replaced.
    pub fn to_jpeg_into(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
        out: &mut CoefficientImage,
    ) -> Result<(), ScError> {
        let g = &self.geometry;
        let fits = out.width == usize::from(g.true_width)
            && out.height == usize::from(g.true_height)
            && out.specs() == component_specs(g)
            && out
                .components
                .iter()
                .all(|c| c.blocks.len() == c.blocks_wide * c.blocks_high);
        if fits {
            out.quant_tables = [Some(*luma), Some(*chroma), None, None];
            out.process = tessera_jpeg::Process::Baseline;
            out.restart_interval = 0;
        } else {
            *out = self.empty_jpeg(luma, chroma)?;
        }
        self.quantize_into(out, luma, chroma);
        Ok(())
    }

    /// An all-zero JPEG coefficient image of this geometry.
    fn empty_jpeg(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
    ) -> Result<CoefficientImage, ScError> {
        let g = &self.geometry;
        Ok(CoefficientImage::new(
            usize::from(g.true_width),
            usize::from(g.true_height),
            &component_specs(g),
            [Some(*luma), Some(*chroma), None, None],
            &Limits::unlimited(),
        )?)
    }

    /// Overwrites every block of `image` (this geometry's) with the
    /// quantized blocks of `self`.
    fn quantize_into(&self, image: &mut CoefficientImage, luma: &QuantTable, chroma: &QuantTable) {
        let g = &self.geometry;
        let luma_q = QuantRecip::new(&luma.0);
        let chroma_q = QuantRecip::new(&chroma.0);
        for plane in [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb] {
            let comp = &mut image.components[component_of(plane)];
            let q = if plane == PlaneKind::Y {
                &luma_q
            } else {
                &chroma_q
            };
            let base = g.plane_base(plane) as usize;
            let n = comp.blocks.len();
            debug_assert_eq!(
                (g.plane_blocks(plane).0 * g.plane_blocks(plane).1) as usize,
                n
            );
            for (dst, src) in comp.blocks.iter_mut().zip(&self.blocks[base..base + n]) {
                q.quantize(src, dst);
            }
        }
    }

    /// Pixels, through the inverse DCT (for previews and tests).
    pub fn to_frame(&self) -> Result<Frame, ScError> {
        let ones = QuantTable([1; 64]);
        let image = self.to_jpeg(&ones, &ones)?;
        Ok(tessera_jpeg::coefficients_to_frame(&image)?)
    }

    /// Encodes as a baseline JPEG with the given tables and the Annex K
    /// Huffman tables: the DCT-domain transcode (no inverse DCT). Each
    /// block is quantized as the encoder reaches it, so no quantized copy
    /// of the frame is ever stored.
    pub fn to_jpeg_bytes(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
    ) -> Result<Vec<u8>, ScError> {
        let g = &self.geometry;
        // JPEG component order: Y, Cb, Cr.
        let planes = [PlaneKind::Y, PlaneKind::Cb, PlaneKind::Cr];
        let mut source = Quantizing {
            blocks: &self.blocks,
            tables: [QuantRecip::new(&luma.0), QuantRecip::new(&chroma.0)],
            bases: planes.map(|p| g.plane_base(p) as usize),
            widths: planes.map(|p| g.plane_blocks(p).0 as usize),
            scratch: [0; 64],
        };
        encode_quantized(g, luma, chroma, &mut source)
    }
}

/// The baseline JPEG (Annex K Huffman tables) of a frame of `g` whose
/// quantized blocks `source` hands out.
fn encode_quantized(
    g: &FrameGeometry,
    luma: &QuantTable,
    chroma: &QuantTable,
    source: &mut impl tessera_jpeg::BlockSource,
) -> Result<Vec<u8>, ScError> {
    let layout = CoefficientImage::layout(
        usize::from(g.true_width),
        usize::from(g.true_height),
        &component_specs(g),
        [Some(*luma), Some(*chroma), None, None],
        &Limits::unlimited(),
    )?;
    let options = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    Ok(tessera_jpeg::encode_with_source(&layout, source, &options)?)
}

/// Encodes a frame of `geometry` whose unquantized SC blocks `block`
/// computes as the encoder asks for them (`block(component, bx, by, out)`,
/// JPEG component order Y, Cb, Cr), quantized exactly as
/// [`ScImage::to_jpeg_bytes`] does: the two give identical bytes for the
/// same blocks. No frame of coefficients is ever stored.
pub fn jpeg_from_blocks<F>(
    geometry: &FrameGeometry,
    luma: &QuantTable,
    chroma: &QuantTable,
    block: F,
) -> Result<Vec<u8>, ScError>
where
    F: FnMut(usize, usize, usize, &mut [i16; 64]),
{
    let mut source = Generated {
        block,
        tables: [QuantRecip::new(&luma.0), QuantRecip::new(&chroma.0)],
        unquantized: [0; 64],
        scratch: [0; 64],
    };
    encode_quantized(geometry, luma, chroma, &mut source)
}

/// Encodes a frame of `geometry` whose blocks `block` computes *already
/// quantized* with `luma` (component 0) and `chroma` (components 1 and 2)
/// as the encoder asks for them (`block(component, bx, by, out)`, JPEG
/// component order Y, Cb, Cr): for callers that fuse quantization into
/// their own kernel (the effects' DCT-domain mix). Baseline JPEG, Annex K
/// Huffman tables, as [`ScImage::to_jpeg_bytes`] writes. No frame of
/// coefficients is ever stored.
pub fn jpeg_from_quantized_blocks<F>(
    geometry: &FrameGeometry,
    luma: &QuantTable,
    chroma: &QuantTable,
    block: F,
) -> Result<Vec<u8>, ScError>
where
    F: FnMut(usize, usize, usize, &mut [i16; 64]),
{
    let mut source = Quantized {
        block,
        scratch: [0; 64],
    };
    encode_quantized(geometry, luma, chroma, &mut source)
}

/// Hands the encoder blocks its caller quantized.
struct Quantized<F> {
    block: F,
    scratch: [i16; 64],
}

impl<F: FnMut(usize, usize, usize, &mut [i16; 64])> tessera_jpeg::BlockSource for Quantized<F> {
    #[inline]
    fn block(&mut self, comp: usize, bx: usize, by: usize) -> &[i16; 64] {
        (self.block)(comp, bx, by, &mut self.scratch);
        &self.scratch
    }
}

/// Quantizes generated blocks as the JPEG encoder asks for them.
struct Generated<F> {
    block: F,
    tables: [QuantRecip; 2],
    unquantized: [i16; 64],
    scratch: [i16; 64],
}

impl<F: FnMut(usize, usize, usize, &mut [i16; 64])> tessera_jpeg::BlockSource for Generated<F> {
    #[inline]
    fn block(&mut self, comp: usize, bx: usize, by: usize) -> &[i16; 64] {
        (self.block)(comp, bx, by, &mut self.unquantized);
        self.tables[usize::from(comp > 0)].quantize(&self.unquantized, &mut self.scratch);
        &self.scratch
    }
}

/// Quantizes SC blocks as the JPEG encoder asks for them.
struct Quantizing<'a> {
    blocks: &'a [[i16; 64]],
    /// Luma, chroma.
    tables: [QuantRecip; 2],
    /// First SC address and block columns of JPEG components 0, 1, 2.
    bases: [usize; 3],
    widths: [usize; 3],
    scratch: [i16; 64],
}

impl tessera_jpeg::BlockSource for Quantizing<'_> {
    #[inline]
    fn block(&mut self, comp: usize, bx: usize, by: usize) -> &[i16; 64] {
        let addr = self.bases[comp] + by * self.widths[comp] + bx;
        self.tables[usize::from(comp > 0)].quantize(&self.blocks[addr], &mut self.scratch);
        &self.scratch
    }
}

/// The JPEG components of an SC geometry: Y with the subsampling factors,
/// then Cb and Cr at 1x1; luma table 0, chroma table 1.
fn component_specs(g: &FrameGeometry) -> [ComponentSpec; 3] {
    let spec = |id, h, v, quant_index| ComponentSpec {
        id,
        h,
        v,
        quant_index,
    };
    [
        spec(1, g.h_sub, g.v_sub, 0),
        spec(2, 1, 1, 1),
        spec(3, 1, 1, 1),
    ]
}

/// A JPEG quantization table as [`dequantize`] takes it: steps above 2048
/// take every non-zero coefficient past the clamp, as 2048 does, so `i16`
/// steps give the same result.
pub fn dequantize_table(table: &QuantTable) -> [i16; 64] {
    std::array::from_fn(|k| table.0[k].min(2048) as i16)
}

/// One block: quantized JPEG coefficients times the table, clamped to
/// SC's 12-bit range. Written as a saturation to `i16` (a pack) followed
/// by an `i16` clamp, which SSE2 has instructions for, so it vectorizes
/// eight lanes wide.
/// This is [`ScImage::from_jpeg`]'s conversion, block by block.
#[inline(always)]
pub fn dequantize(src: &[i16; 64], q: &[i16; 64], dst: &mut [i16; 64]) {
    for k in 0..64 {
        let wide = (i32::from(src[k]) * i32::from(q[k]))
            .clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        dst[k] = wide.clamp(COEFF_MIN, COEFF_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_jpeg_into_reuses_or_rebuilds_and_matches_to_jpeg() {
        let image = |w, h, seed: i32| {
            let geometry = FrameGeometry::for_format(w, h, tessera_core::ChromaFormat::Yuv420)
                .expect("geometry");
            let mut sc = ScImage::zeroed(geometry);
            for (i, block) in sc.blocks.iter_mut().enumerate() {
                for (k, c) in block.iter_mut().enumerate() {
                    let v = (i as i32 * 31 + k as i32 * 7 + seed) % 4095 - 2047;
                    *c = if k % 3 == 0 { v as i16 } else { 0 };
                }
            }
            sc
        };
        let (luma, chroma) = tessera_jpeg::quality::tables_for_quality(75);
        let (a, b, small) = (image(64, 48, 1), image(64, 48, 5), image(32, 16, 9));
        let mut out = small.to_jpeg(&chroma, &luma).expect("to_jpeg");
        for sc in [&a, &b, &small, &a] {
            sc.to_jpeg_into(&luma, &chroma, &mut out)
                .expect("to_jpeg_into");
            assert_eq!(out, sc.to_jpeg(&luma, &chroma).expect("to_jpeg"));
        }
        // Quantizing as the encoder goes gives the bytes of quantizing the
        // whole frame first.
        let options = tessera_jpeg::EncodeOptions {
            huffman: tessera_jpeg::HuffmanMode::Standard,
            ..tessera_jpeg::EncodeOptions::default()
        };
        for sc in [&a, &b, &small] {
            let stored = sc.to_jpeg(&luma, &chroma).expect("to_jpeg");
            assert_eq!(
                sc.to_jpeg_bytes(&luma, &chroma).expect("bytes"),
                tessera_jpeg::encode_coefficients(&stored, &options).expect("encode")
            );
        }
    }
}
