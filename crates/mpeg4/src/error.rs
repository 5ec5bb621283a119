//! Errors of the MPEG-4 Visual encoder and decoder.

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("bitstream ends early at bit {bit}")]
    Truncated { bit: usize },
    #[error("bad {what} at bit {bit}: {detail}")]
    Syntax {
        bit: usize,
        what: &'static str,
        detail: String,
    },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("invalid encoder setting: {0}")]
    Config(String),
    #[error("frame is {got_w}x{got_h}, the stream is {want_w}x{want_h}")]
    FrameSize {
        got_w: u32,
        got_h: u32,
        want_w: u32,
        want_h: u32,
    },
    #[error("{0} exceeds the decoder's limits")]
    Limits(String),
}
