//! The one error type of the JPEG crate, grouped by who is at fault.

use tessera_core::LimitError;

/// Everything that can go wrong reading or writing JPEG.
#[derive(Debug, thiserror::Error)]
pub enum JpegError {
    /// The bytes break a rule of T.81; `offset` is where in the input.
    #[error("malformed JPEG at byte {offset}: {reason}")]
    Malformed { offset: usize, reason: String },
    /// The data ended before the image was complete.
    #[error("truncated JPEG: {0}")]
    Truncated(&'static str),
    /// Valid JPEG that this codec does not implement (progressive,
    /// arithmetic coding, lossless, 12-bit samples, ...).
    #[error("unsupported JPEG: {0}")]
    Unsupported(String),
    /// A header asks for more than the caller's limits allow.
    #[error("JPEG over limits: {0}")]
    Limit(#[from] LimitError),
    /// The caller asked for something inconsistent (encoder side).
    #[error("invalid encoder input: {0}")]
    InvalidInput(String),
}

impl JpegError {
    pub(crate) fn malformed(offset: usize, reason: impl Into<String>) -> JpegError {
        JpegError::Malformed {
            offset,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = JpegError> = std::result::Result<T, E>;
