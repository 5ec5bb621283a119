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
        let g = &self.geometry;
        let (h, v) = (g.h_sub, g.v_sub);
        let specs = [
            ComponentSpec {
                id: 1,
                h,
                v,
                quant_index: 0,
            },
            ComponentSpec {
                id: 2,
                h: 1,
                v: 1,
                quant_index: 1,
            },
            ComponentSpec {
                id: 3,
                h: 1,
                v: 1,
                quant_index: 1,
            },
        ];
        let mut image = CoefficientImage::new(
            usize::from(g.true_width),
            usize::from(g.true_height),
            &specs,
            [Some(*luma), Some(*chroma), None, None],
            &Limits::unlimited(),
        )?;
        let luma_q = tessera_dsp::quant::QuantRecip::new(&luma.0);
        let chroma_q = tessera_dsp::quant::QuantRecip::new(&chroma.0);
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
        Ok(image)
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
        let image = self.to_jpeg(luma, chroma)?;
        let options = tessera_jpeg::EncodeOptions {
            huffman: tessera_jpeg::HuffmanMode::Standard,
            ..tessera_jpeg::EncodeOptions::default()
        };
        Ok(tessera_jpeg::encode_coefficients(&image, &options)?)
    }
}
