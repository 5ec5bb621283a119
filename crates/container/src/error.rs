//! The crate's one error type, grouped by who is at fault.

use std::fmt;

use tessera_core::LimitError;

use crate::ContainerKind;

/// Where in the input a malformed structure was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Byte offset from the start of the stream, where known.
    pub offset: Option<u64>,
    /// Index of the frame or image being read (0-based), where known.
    pub frame: Option<u64>,
}

impl Position {
    /// A byte offset with no frame index.
    pub const fn at(offset: u64) -> Position {
        Position {
            offset: Some(offset),
            frame: None,
        }
    }

    /// A byte offset inside frame (or image) `frame`.
    pub const fn in_frame(offset: u64, frame: u64) -> Position {
        Position {
            offset: Some(offset),
            frame: Some(frame),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.frame, self.offset) {
            (Some(frame), Some(offset)) => write!(f, "frame {frame}, byte {offset}"),
            (Some(frame), None) => write!(f, "frame {frame}"),
            (None, Some(offset)) => write!(f, "byte {offset}"),
            (None, None) => f.write_str("unknown position"),
        }
    }
}

/// Everything that can go wrong reading or writing a container.
///
/// The variants say who is at fault: the input ([`Error::Malformed`]), this
/// crate's coverage of the format ([`Error::Unsupported`]), the caller's
/// [`Limits`](tessera_core::Limits) ([`Error::LimitExceeded`]), the caller's
/// arguments ([`Error::InvalidArgument`]) or the operating system
/// ([`Error::Io`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks the format's rules (or ends early).
    #[error("malformed {kind} input at {position}: {reason}")]
    Malformed {
        kind: ContainerKind,
        position: Position,
        reason: String,
    },

    /// The input is valid but uses a feature this crate does not handle.
    #[error("unsupported {kind} feature: {what}")]
    Unsupported { kind: ContainerKind, what: String },

    /// A header asked for more than the caller's limits allow.
    #[error(transparent)]
    LimitExceeded(#[from] LimitError),

    /// The caller asked to write something the format cannot hold.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A packet capture file is malformed.
    #[error("malformed pcap capture: {0}")]
    Pcap(String),

    /// An MP4 file breaks the ISO base media file format's rules (or ends
    /// early); `offset` is where the offending box or field starts. (MP4 is
    /// not a [`ContainerKind`]: only [`crate::mp4`] reads it so far.)
    #[error("malformed MP4 input at byte {offset}: {reason}")]
    MalformedMp4 { offset: u64, reason: String },

    /// An MP4 file is valid but holds something [`crate::mp4`] does not
    /// read (no MPEG-4 Visual track, several sample descriptions, ...).
    #[error("unsupported MP4 feature: {0}")]
    UnsupportedMp4(String),

    /// A binary PGM image breaks the Netpbm rules (or ends early);
    /// `offset` is where the problem was found. (PGM is not a
    /// [`ContainerKind`]: only [`crate::pgm`] reads it.)
    #[error("malformed PGM input at byte {offset}: {reason}")]
    MalformedPgm { offset: u64, reason: String },

    /// A scene input (video, mask or label map, see [`crate::scene`])
    /// cannot be read or does not fit the scene: `path` is the file at
    /// fault and `frame` the frame (0-based) where known.
    #[error("{}: {reason}", SceneAt(path, *frame))]
    Scene {
        path: std::path::PathBuf,
        frame: Option<u64>,
        reason: String,
    },

    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn malformed(
        kind: ContainerKind,
        position: Position,
        reason: impl Into<String>,
    ) -> Error {
        Error::Malformed {
            kind,
            position,
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(kind: ContainerKind, what: impl Into<String>) -> Error {
        Error::Unsupported {
            kind,
            what: what.into(),
        }
    }

    pub(crate) fn malformed_mp4(offset: u64, reason: impl Into<String>) -> Error {
        Error::MalformedMp4 {
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed_pgm(offset: u64, reason: impl Into<String>) -> Error {
        Error::MalformedPgm {
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn scene(
        path: &std::path::Path,
        frame: Option<u64>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Scene {
            path: path.to_path_buf(),
            frame,
            reason: reason.into(),
        }
    }

    /// True for [`Error::Malformed`], [`Error::MalformedMp4`] and
    /// [`Error::MalformedPgm`].
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Error::Malformed { .. } | Error::MalformedMp4 { .. } | Error::MalformedPgm { .. }
        )
    }
}

/// `PATH` or `PATH, frame N` for [`Error::Scene`] messages.
struct SceneAt<'a>(&'a std::path::Path, Option<u64>);

impl fmt::Display for SceneAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.display())?;
        if let Some(frame) = self.1 {
            write!(f, ", frame {frame}")?;
        }
        Ok(())
    }
}
