//! RIFF AVI files holding one motion JPEG video stream, as cameras and
//! `ffmpeg -c:v mjpeg out.avi` write them, including OpenDML (AVI 2.0)
//! files over 1 GiB.
//!
//! References: Microsoft, *AVI RIFF File Reference* (Windows SDK docs,
//! "AVI RIFF File Reference", `AVIMAINHEADER`, `AVISTREAMHEADER`,
//! `BITMAPINFOHEADER`, `AVIOLDINDEX`), and Matrox/OpenDML AVI File Format
//! Extensions 1.02 (`AVISUPERINDEX`, `AVISTDINDEX`, `dmlh`). All integers
//! are little-endian.
//!
//! # RIFF chunks
//!
//! ```text
//!  0               4               8              12
//! +---------------+---------------+---------------+-----------------
//! | ckID (FOURCC) | ckSize (u32)  | ckData: ckSize bytes, then one pad
//! +---------------+---------------+ byte if ckSize is odd
//!
//! +---------------+---------------+---------------+-----------------
//! | 'RIFF'/'LIST' | size (u32)    | form/list type| sub-chunks ...
//! +---------------+---------------+---------------+-----------------
//!                  size counts the type and the sub-chunks
//! ```
//!
//! # File layout
//!
//! ```text
//! RIFF 'AVI '                       first segment, at most ~1 GiB
//!   LIST 'hdrl'
//!     'avih' AVIMAINHEADER (56 bytes)
//!     LIST 'strl'                   one per stream, in stream order
//!       'strh' AVISTREAMHEADER (56 bytes)
//!       'strf' BITMAPINFOHEADER (40 bytes) for video
//!       'indx' AVISUPERINDEX        (OpenDML; a JUNK placeholder otherwise)
//!     LIST 'odml' { 'dmlh' total frame count }           (OpenDML)
//!   LIST 'movi'
//!     '00dc' JPEG image             stream 00, compressed video
//!     '01wb' audio                  other streams' chunks are skipped
//!     LIST 'rec ' { ... }           optional grouping of chunks
//!     'ix00' AVISTDINDEX            (OpenDML, when there are AVIX segments)
//!   'idx1' AVIOLDINDEX              index of the first segment
//! RIFF 'AVIX'                       OpenDML continuation segments
//!   LIST 'movi' { '00dc' ... 'ix00' }
//! ```
//!
//! The reader walks `movi` lists in file order and never needs an index;
//! the writer writes `idx1`, and for files past one segment the OpenDML
//! indexes too.

mod headers;
mod reader;
mod writer;

pub use reader::{AviInfo, AviReader};
pub use writer::{AviWriter, DEFAULT_MAX_RIFF_SIZE};

/// Video compression FOURCCs (in `biCompression`) whose frames are JPEG
/// images: Microsoft's `MJPG`, Avid's `AVRn`/`AVDJ`, Matrox `dmb1`, and the
/// lossless-JPEG `LJPG`/`JPGL`. Compared case-insensitively.
pub const MJPEG_FOURCCS: [&[u8; 4]; 6] = [b"MJPG", b"AVRN", b"AVDJ", b"DMB1", b"LJPG", b"JPGL"];

/// True if `fourcc` names a motion JPEG codec (see [`MJPEG_FOURCCS`]).
pub fn is_mjpeg_fourcc(fourcc: [u8; 4]) -> bool {
    let upper = fourcc.map(|b| b.to_ascii_uppercase());
    MJPEG_FOURCCS.iter().any(|f| **f == upper)
}
