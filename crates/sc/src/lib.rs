//! The semicompressed (SC) RTP payload, after Mayer-Patel & Rowe: 8x8
//! blocks of DCT coefficients for a subregion of a frame, so that many
//! processors can each compute one region and one reconstructor can merge
//! them and transcode to Motion-JPEG without an inverse DCT.
//!
//! The wire format is normative and byte exact: `docs/sc-format.md` in this
//! repository (section numbers in the code refer to it).
//!
//! - [`ScImage`]: a whole frame of coefficients by SC block address, with
//!   conversions from and to JPEG coefficient images and pixels.
//! - [`Packetizer`]: a subregion of successive frames to RTP/SC packets,
//!   with the rate limiting of section 7 ([`RateLimit`]).
//! - [`Assembler`]: packets from many senders, in any order, with losses
//!   and duplicates, to complete frames; invalid packets counted by reason.
//! - [`Merger`]: several subregion streams to one parent stream by header
//!   rewriting (section 6).
//! - [`ScImage::to_jpeg_bytes`]: the DCT-domain transcode to JPEG.
#![forbid(unsafe_code)]

pub mod assembler;
pub mod blockdata;
mod error;
pub mod geometry;
pub mod header;
mod image;
mod merge;
pub mod packetizer;

pub use assembler::{AssembledFrame, Assembler, AssemblerConfig, AssemblerStats};
pub use error::{Invalid, ScError};
pub use geometry::{FrameGeometry, PlaneKind, Region};
pub use header::ScHeader;
pub use image::{
    ScImage, dequantize, dequantize_table, jpeg_from_blocks, jpeg_from_quantized_blocks,
};
pub use merge::Merger;
pub use packetizer::{Packetizer, PacketizerConfig, PacketizerStats, RateLimit};
