//! YUV4MPEG2 (`.y4m`): a text header line, then frames of raw planar
//! 8-bit samples, each after a `FRAME` line.
//!
//! ```text
//! YUV4MPEG2 W17 H13 F30000:1001 Ip A1:1 C420jpeg XCOLORRANGE=FULL\n
//! FRAME\n  <Y plane: W*H bytes> <Cb plane> <Cr plane>
//! FRAME Ixyz\n  <...>            (FRAME lines may carry parameters)
//! ```
//!
//! The format is described in the mjpegtools `yuv4mpeg(5)` manual page and
//! at <https://wiki.multimedia.cx/index.php/YUV4MPEG2>; the `X` extension
//! tags and the `C411`/`Cmono` names follow what ffmpeg's `yuv4mpegpipe`
//! muxer writes. `C440` is accepted and written for 4:4:0 although ffmpeg
//! 5.1 neither reads nor writes it. Chroma planes round up in size
//! (`(W+1)/2` for 4:2:0), as in ffmpeg.

mod header;
mod reader;
mod writer;

pub use header::{ChromaSiting, ColorRange, Interlace, Y4mHeader};
pub use reader::{Frames, Y4mReader};
pub use writer::Y4mWriter;
