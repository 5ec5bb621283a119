//! Between coefficients and pixels: inverse DCT to planes, forward DCT and
//! quantization from planes, and interleaved RGB on request.

use tessera_core::{ChromaFormat, Frame, Limits, Plane};

use crate::coeffs::{
    CoefficientImage, Colour, ComponentSpec, QuantTable, chroma_format_of, sampling_for,
};
use crate::error::{JpegError, Result};

/// Runs the inverse DCT over every visible block and returns the planes.
///
/// RGB-coded images are refused: a [`Frame`] holds YCbCr.
pub fn coefficients_to_frame(image: &CoefficientImage) -> Result<Frame> {
    if image.colour == Colour::Rgb {
        return Err(crate::decode::rgb_is_not_ycbcr());
    }
    planes_of(image)
}

/// Inverse DCT of every visible block into planes, whatever they hold.
pub(crate) fn planes_of(image: &CoefficientImage) -> Result<Frame> {
    let format = chroma_format_of(&image.components).ok_or_else(|| {
        JpegError::Unsupported(format!(
            "sampling factors {} cannot be held as a planar frame",
            crate::decode::sampling_string(&image.components)
        ))
    })?;
    let mut planes = Vec::with_capacity(image.components.len());
    for (i, c) in image.components.iter().enumerate() {
        let quant = image.quant_table(i)?.0;
        let (bw, bh) = (c.visible_blocks_wide(), c.visible_blocks_high());
        let stride = bw * 8;
        let mut data = vec![0u8; stride * bh * 8];
        for by in 0..bh {
            for bx in 0..bw {
                tessera_dsp::dequant_idct_put(
                    c.block(bx, by),
                    &quant,
                    &mut data[by * 8 * stride + bx * 8..],
                    stride,
                );
            }
        }
        planes.push(Plane {
            width: c.width,
            height: c.height,
            stride,
            data,
        });
    }
    Ok(Frame {
        width: image.width,
        height: image.height,
        format,
        planes,
    })
}

/// Forward DCT and quantization of a frame: luma with `luma` (table 0),
/// chroma with `chroma` (table 1). Edge blocks are padded by repeating the
/// last column and row, as libjpeg does.
pub fn frame_to_coefficients(
    frame: &Frame,
    luma: &QuantTable,
    chroma: &QuantTable,
) -> Result<CoefficientImage> {
    if !frame.is_consistent() {
        return Err(JpegError::InvalidInput(
            "frame planes do not match its size and format".into(),
        ));
    }
    if frame.width > 65535 || frame.height > 65535 || frame.width == 0 || frame.height == 0 {
        return Err(JpegError::InvalidInput(format!(
            "frame size {}x{} (JPEG allows 1-65535)",
            frame.width, frame.height
        )));
    }
    let (h, v) = sampling_for(frame.format);
    let mut specs = vec![ComponentSpec {
        id: 1,
        h,
        v,
        quant_index: 0,
    }];
    if frame.format != ChromaFormat::Mono {
        for id in [2, 3] {
            specs.push(ComponentSpec {
                id,
                h: 1,
                v: 1,
                quant_index: 1,
            });
        }
    }
    let tables = [Some(*luma), Some(*chroma), None, None];
    let mut image = CoefficientImage::new(
        frame.width,
        frame.height,
        &specs,
        tables,
        &Limits::unlimited(),
    )?;
    for (ci, (comp, plane)) in image.components.iter_mut().zip(&frame.planes).enumerate() {
        debug_assert_eq!((comp.width, comp.height), (plane.width, plane.height));
        // A reciprocal table: quantizing by multiplication, same results.
        let quant = tessera_dsp::quant::QuantRecip::new(if ci == 0 { &luma.0 } else { &chroma.0 });
        let mut coeffs = [0i16; 64];
        let mut padded = [0u8; 64];
        let full_w = plane.width / 8;
        let full_h = plane.height / 8;
        for by in 0..comp.blocks_high {
            for bx in 0..comp.blocks_wide {
                if bx < full_w && by < full_h {
                    let offset = by * 8 * plane.stride + bx * 8;
                    tessera_dsp::fdct_8x8_u8(&plane.data[offset..], plane.stride, &mut coeffs);
                } else {
                    for y in 0..8 {
                        let sy = (by * 8 + y).min(plane.height - 1);
                        let row = plane.row(sy);
                        for x in 0..8 {
                            padded[y * 8 + x] = row[(bx * 8 + x).min(plane.width - 1)];
                        }
                    }
                    tessera_dsp::fdct_8x8_u8(&padded, 8, &mut coeffs);
                }
                quant.quantize(&coeffs, comp.block_mut(bx, by));
            }
        }
    }
    Ok(image)
}

/// An interleaved 8-bit RGB picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    /// `width * height * 3` bytes, R, G, B.
    pub data: Vec<u8>,
}

/// Decodes to interleaved RGB (BT.601 full range as JFIF defines;
/// chroma upsampled by sample repetition; greyscale gives R=G=B).
pub fn decode_rgb(data: &[u8], limits: &Limits) -> Result<RgbImage> {
    let (frame, colour) = crate::decode::decode_planes(data, limits)?;
    Ok(match colour {
        Colour::YCbCr => frame_to_rgb(&frame),
        Colour::Rgb => rgb_planes_to_rgb(&frame),
    })
}

/// Interleaves planes that already hold R, G and B (upsampled by sample
/// repetition when the file subsamples them).
fn rgb_planes_to_rgb(frame: &Frame) -> RgbImage {
    let (w, h) = (frame.width, frame.height);
    let (sx, sy) = frame.format.chroma_shift();
    let mut data = vec![0u8; w * h * 3];
    for y in 0..h {
        let rows = [
            frame.planes[0].row(y),
            frame.planes[1].row(y >> sy),
            frame.planes[2].row(y >> sy),
        ];
        for (x, px) in data[y * w * 3..(y + 1) * w * 3]
            .chunks_exact_mut(3)
            .enumerate()
        {
            px[0] = rows[0][x];
            px[1] = rows[1][x >> sx];
            px[2] = rows[2][x >> sx];
        }
    }
    RgbImage {
        width: w,
        height: h,
        data,
    }
}

fn frame_to_rgb(frame: &Frame) -> RgbImage {
    let (w, h) = (frame.width, frame.height);
    let mut data = vec![0u8; w * h * 3];
    if frame.format == ChromaFormat::Mono {
        for y in 0..h {
            for (x, &l) in frame.planes[0].row(y).iter().enumerate() {
                data[(y * w + x) * 3..][..3].fill(l);
            }
        }
        return RgbImage {
            width: w,
            height: h,
            data,
        };
    }
    let (sx, sy) = frame.format.chroma_shift();
    let mut cb = vec![0u8; w];
    let mut cr = vec![0u8; w];
    for y in 0..h {
        // Upsample a chroma row once, for the first luma row that uses it.
        if y & ((1 << sy) - 1) == 0 {
            let c = y >> sy;
            upsample_row(frame.planes[1].row(c), sx, &mut cb);
            upsample_row(frame.planes[2].row(c), sx, &mut cr);
        }
        tessera_dsp::color::ycbcr_to_rgb_row(
            frame.planes[0].row(y),
            &cb,
            &cr,
            &mut data[y * w * 3..(y + 1) * w * 3],
        );
    }
    RgbImage {
        width: w,
        height: h,
        data,
    }
}

/// Nearest-neighbour horizontal upsampling by `2^shift` into `dst`.
fn upsample_row(src: &[u8], shift: u32, dst: &mut [u8]) {
    match shift {
        0 => dst.copy_from_slice(&src[..dst.len()]),
        1 => tessera_dsp::color::upsample_row_h2(src, dst),
        _ => {
            for (x, d) in dst.iter_mut().enumerate() {
                *d = src[x >> shift];
            }
        }
    }
}

/// Requantizes a coefficient image to new tables in the DCT domain (no
/// inverse DCT): each coefficient becomes `round(c * q_old / q_new)`, ties
/// away from zero. Component 0 takes `luma`, the others `chroma`; the
/// result uses tables 0 and 1.
pub fn requantize(
    image: &CoefficientImage,
    luma: &QuantTable,
    chroma: &QuantTable,
) -> Result<CoefficientImage> {
    let mut out = image.clone();
    out.quant_tables = [Some(*luma), Some(*chroma), None, None];
    for (i, comp) in out.components.iter_mut().enumerate() {
        let old = image.quant_table(i)?.0;
        let new = if i == 0 { &luma.0 } else { &chroma.0 };
        comp.quant_index = u8::from(i > 0);
        for block in &mut comp.blocks {
            for k in 0..64 {
                let value = i64::from(block[k]) * i64::from(old[k]);
                let q = i64::from(new[k].max(1));
                let r = (value.abs() + q / 2) / q;
                let r = if value < 0 { -r } else { r };
                block[k] = r.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every format and odd sizes: each RGB pixel is the conversion of its
    /// own luma sample and the chroma sample covering it.
    #[test]
    fn rgb_takes_the_chroma_sample_covering_each_pixel() {
        for format in ChromaFormat::ALL {
            for (w, h) in [(1, 1), (17, 13), (100, 37)] {
                let frame = tessera_core::pattern::moving_pattern(w, h, format, 3);
                let rgb = frame_to_rgb(&frame);
                let (sx, sy) = format.chroma_shift();
                for y in 0..h {
                    for x in 0..w {
                        let luma = frame.planes[0].row(y)[x];
                        let mut expected = [luma; 3];
                        if format != ChromaFormat::Mono {
                            let cb = frame.planes[1].row(y >> sy)[x >> sx];
                            let cr = frame.planes[2].row(y >> sy)[x >> sx];
                            tessera_dsp::color::ycbcr_to_rgb_row(
                                &[luma],
                                &[cb],
                                &[cr],
                                &mut expected,
                            );
                        }
                        let got = &rgb.data[(y * w + x) * 3..][..3];
                        assert_eq!(got, expected, "{format} {w}x{h} at ({x}, {y})");
                    }
                }
            }
        }
    }
}
