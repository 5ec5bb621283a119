//! Baseline and extended sequential JPEG (ITU-T T.81 | ISO/IEC 10918-1),
//! DCT domain first.
//!
//! The central type is [`CoefficientImage`]: quantized DCT coefficients per
//! component with the tables and geometry that give them meaning.
//!
//! - [`decode_coefficients`] turns bytes into a coefficient image without
//!   any inverse DCT ([`decode_coefficients_into`] reuses one image's
//!   buffers frame after frame, and [`McuStream`] hands out the blocks MCU
//!   by MCU, storing none); [`decode_frame`] goes on to planar pixels, and
//!   [`decode_rgb`] to interleaved RGB.
//! - [`encode_coefficients`] writes a coefficient image back to bytes with
//!   the typical Huffman tables of T.81 Annex K (as RTP/JPEG requires) or
//!   with tables optimized for the image; [`encode_frame`] quantizes pixels
//!   first with IJG-style quality scaling of the Annex K tables.
//!
//! Supported: SOF0 and SOF1 with 8-bit samples, 1 or 3 components, any
//! sampling factors 1-4 (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 map to planar
//! frames), restart intervals, tables in any order, APPn/COM skipped.
//! Progressive, lossless, hierarchical and arithmetic-coded files are
//! refused with [`JpegError::Unsupported`]. Every parser honours a
//! [`Limits`](tessera_core::Limits) before allocating.
#![forbid(unsafe_code)]

mod bitreader;
mod bitwriter;
mod coeffs;
mod decode;
mod encode;
mod error;
pub mod huffman;
mod markers;
mod pixels;
pub mod quality;
mod stream;
pub mod tables;

pub use coeffs::{
    CoefficientImage, Colour, Component, ComponentSpec, Process, QuantTable, sampling_for,
};
pub use decode::{
    JpegInfo, decode_coefficients, decode_coefficients_into, decode_frame, read_info,
};
pub use encode::{
    BlockSource, EncodeOptions, HuffmanMode, encode_coefficients, encode_frame, encode_with_source,
};
pub use error::{JpegError, Result};
pub use pixels::{RgbImage, coefficients_to_frame, decode_rgb, frame_to_coefficients, requantize};
pub use stream::McuStream;
