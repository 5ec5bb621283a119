//! MPEG-4 Part 2 Visual (ISO/IEC 14496-2): an encoder for rectangular video
//! object planes with motion estimation, video packets and rate control, and
//! a decoder that reproduces the encoder's reconstruction bit-exactly.

pub mod bits;
pub mod error;
pub mod es;

pub use error::{Error, Result};
