//! MPEG-4 Part 2 Visual (ISO/IEC 14496-2): an encoder for rectangular video
//! object planes with motion estimation, video packets and rate control, and
//! a decoder that reproduces the encoder's reconstruction bit-exactly.

pub mod bits;
pub(crate) mod block;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod es;
pub mod header;
pub mod mb;
pub mod mc;
pub mod picture;
pub mod pred;
pub mod quant;
pub mod recon;
pub mod shape;
pub mod tables;
pub mod vlc;

pub use error::{Error, Result};
