//! Container formats for tessera: YUV4MPEG2 raw video, raw motion JPEG
//! streams, RIFF AVI files holding motion JPEG, and MP4 files holding
//! MPEG-4 Part 2 video.
//!
//! This crate moves bytes and frames in and out of files; it never decodes
//! JPEG or MPEG-4. The readers hand out [`tessera_core::Frame`]s (Y4M),
//! whole JPEG images as bytes (MJPEG, AVI) or MPEG-4 access units (MP4) for
//! a codec crate to decode.
//!
//! | module    | reads                      | writes                    |
//! |-----------|----------------------------|---------------------------|
//! | [`y4m`]   | [`y4m::Y4mReader`] frames  | [`y4m::Y4mWriter`]        |
//! | [`mjpeg`] | [`mjpeg::MjpegReader`] JPEG images | [`mjpeg::MjpegWriter`] |
//! | [`avi`]   | [`avi::AviReader`] JPEG images (incl. OpenDML) | [`avi::AviWriter`] (OpenDML past 1 GiB) |
//! | [`mp4`]   | [`mp4::read_mp4_video`] MPEG-4 Visual samples | [`mp4::Mp4Writer`] (`mp4v` + `esds`, 64-bit past 4 GiB) |
//! | [`pgm`]   | [`pgm::read_pgm`] binary (P5) greyscale images | [`pgm::write_pgm`] |
//! | [`scene`] | [`scene::SceneReader`]: a Y4M video with per-object masks (Y4M, PGM sequences) or a label map, checked against each other | - |
//!
//! Every reader takes a [`tessera_core::Limits`] and checks header fields
//! against it before sizing any buffer from them; no input makes a reader
//! panic. [`ContainerKind`] picks a format from a file name or its first
//! bytes (MP4 is not among its kinds yet).
//!
//! ```
//! use tessera_container::y4m::{Y4mHeader, Y4mReader, Y4mWriter};
//! use tessera_core::{ChromaFormat, Frame, Limits, Rational};
//!
//! let header = Y4mHeader::new(16, 8, Rational::new(30000, 1001).unwrap(), ChromaFormat::Yuv420);
//! let mut writer = Y4mWriter::new(Vec::new(), &header)?;
//! writer.write_frame(&Frame::grey(16, 8, ChromaFormat::Yuv420))?;
//! let bytes = writer.into_inner()?;
//!
//! let mut reader = Y4mReader::new(&bytes[..], Limits::default())?;
//! assert_eq!(reader.header().rate.to_string(), "30000/1001");
//! let frame = reader.read_frame()?.expect("one frame");
//! assert_eq!(frame.planes[1].width, 8);
//! # Ok::<(), tessera_container::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod avi;
mod detect;
mod error;
mod io_util;
pub mod mjpeg;
pub mod mp4;
pub mod pcap;
pub mod pgm;
pub mod scene;
pub mod y4m;

pub use detect::ContainerKind;
pub use error::{Error, Position, Result};
