//! A whole frame of SC coefficients, and conversions to and from JPEG
//! coefficient images and pixels.

use tessera_core::{Frame, Limits};
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
        let format = image.chroma_format().ok_or_else(|| {
            ScError::Unsupported("JPEG sampling factors without a planar chroma format".into())
        })?;
        let geometry = FrameGeometry::for_format(image.width, image.height, format)?;
        let mut out = ScImage::zeroed(geometry);
        for plane in [PlaneKind::Y, PlaneKind::Cr, PlaneKind::Cb] {
            let ci = component_of(plane);
            let comp = &image.components[ci];
            let quant = image.quant_table(ci)?.0;
            let (w, h) = geometry.plane_blocks(plane);
            // The JPEG grid can be larger (ffmpeg codes 4:4:4 as 1x2
            // factors); the SC grid is always inside it.
            if comp.blocks_wide < w as usize || comp.blocks_high < h as usize {
                return Err(ScError::Unsupported(format!(
                    "JPEG component grid {}x{} smaller than SC's {w}x{h}",
                    comp.blocks_wide, comp.blocks_high
                )));
            }
            for by in 0..h {
                for bx in 0..w {
                    let src = comp.block(bx as usize, by as usize);
                    let dst = &mut out.blocks[geometry.address(plane, bx, by) as usize];
                    for k in 0..64 {
                        let v = i32::from(src[k]) * i32::from(quant[k]);
                        dst[k] = v.clamp(i32::from(COEFF_MIN), i32::from(COEFF_MAX)) as i16;
                    }
                }
            }
        }
        Ok(out)
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
        let luma_q = Quantizer::new(&luma.0);
        let chroma_q = Quantizer::new(&chroma.0);
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
    /// Huffman tables: the DCT-domain transcode (no inverse DCT).
    pub fn to_jpeg_bytes(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
    ) -> Result<Vec<u8>, ScError> {
        self.to_jpeg_bytes_with(luma, chroma, &mut None)
    }

    /// [`ScImage::to_jpeg_bytes`] for a stream of frames: the coefficient
    /// image is kept in `scratch` between calls instead of being allocated
    /// per frame.
    pub fn to_jpeg_bytes_with(
        &self,
        luma: &QuantTable,
        chroma: &QuantTable,
        scratch: &mut Option<CoefficientImage>,
    ) -> Result<Vec<u8>, ScError> {
        let image = match scratch {
            Some(image) => {
                self.to_jpeg_into(luma, chroma, image)?;
                image
            }
            None => scratch.insert(self.to_jpeg(luma, chroma)?),
        };
        let options = tessera_jpeg::EncodeOptions {
            huffman: tessera_jpeg::HuffmanMode::Standard,
            ..tessera_jpeg::EncodeOptions::default()
        };
        Ok(tessera_jpeg::encode_coefficients(image, &options)?)
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

/// Quantization by one table with the results of
/// `tessera_dsp::quant::quantize` (`sign(c) * ((|c| + q/2) / q)`, 0 read
/// as 1) in a form the compiler vectorizes with the baseline x86-64 SSE2
/// (`tessera_dsp::quant::QuantRecip` needs 64-bit products and stays
/// scalar: about 4x slower here).
///
/// Division by `q >= 2` is a 32x32->64-bit multiply by
/// `m = floor(2^32 / q) + 1` and a shift, exact for dividends below 2^16
/// (see `QuantRecip`); `|c| + q/2 <= 32768 + 32767` is. For `q = 1`, `m`
/// would not fit 32 bits, so `(|c| + 1) * (2^32 - 1) >> 32` gives `|c|`
/// instead. Signs are applied without branches: SC coefficients of
/// natural images have unpredictable signs.
struct Quantizer {
    half: [u32; 64],
    mul: [u32; 64],
}

impl Quantizer {
    fn new(quant: &[u16; 64]) -> Quantizer {
        Quantizer {
            half: quant.map(|q| if q <= 1 { 1 } else { u32::from(q) / 2 }),
            mul: quant.map(|q| {
                if q <= 1 {
                    u32::MAX
                } else {
                    ((1u64 << 32) / u64::from(q) + 1) as u32
                }
            }),
        }
    }

    #[inline]
    fn quantize(&self, coeffs: &[i16; 64], out: &mut [i16; 64]) {
        for i in 0..64 {
            let c = i32::from(coeffs[i]);
            // All ones for negative coefficients, else zero.
            let sign = c >> 31;
            let magnitude = ((c ^ sign) - sign) as u32 + self.half[i];
            let m = ((u64::from(magnitude) * u64::from(self.mul[i])) >> 32) as i32;
            out[i] = ((m ^ sign) - sign) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `i16` coefficient against the reference division for table
    /// entries 0-300 (every 8-bit baseline entry), powers of two and their
    /// neighbours, and the 16-bit extremes; then tables mixing them.
    #[test]
    fn quantizer_matches_the_reference_for_every_coefficient() {
        let mut divisors: Vec<u16> = (0..=300).collect();
        for bit in 9..16 {
            let p = 1u16 << bit;
            divisors.extend([p - 1, p, p + 1]);
        }
        divisors.extend([1000, 4095, 4097, 12345, 65534, 65535]);
        let coeffs: Vec<i16> = (i16::MIN..=i16::MAX).collect();
        let check = |table: &[u16; 64]| {
            let q = Quantizer::new(table);
            for block in coeffs.chunks_exact(64) {
                let block: &[i16; 64] = block.try_into().expect("64 coefficients");
                let (mut fast, mut reference) = ([0; 64], [0; 64]);
                q.quantize(block, &mut fast);
                tessera_dsp::quant::quantize(block, table, &mut reference);
                assert_eq!(fast, reference, "table {table:?}");
            }
        };
        for &d in &divisors {
            check(&[d; 64]);
        }
        for chunk in divisors.chunks(64) {
            let mut table = [1u16; 64];
            table[..chunk.len()].copy_from_slice(chunk);
            table.reverse();
            check(&table);
        }
    }

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
        let mut scratch = None;
        for sc in [&a, &b, &small] {
            assert_eq!(
                sc.to_jpeg_bytes_with(&luma, &chroma, &mut scratch)
                    .expect("bytes"),
                sc.to_jpeg_bytes(&luma, &chroma).expect("bytes")
            );
        }
    }
}
