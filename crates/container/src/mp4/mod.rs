//! MP4 files (the ISO base media file format) holding one MPEG-4 Part 2
//! Visual video track: a writer for what our MPEG-4 encoder makes, and a
//! reader that gives the samples back.
//!
//! References: ISO/IEC 14496-12 (ISO base media file format: boxes, sample
//! tables, `VisualSampleEntry`), ISO/IEC 14496-14 (MP4 file format: the
//! `mp4v` sample entry and its `esds` box) and ISO/IEC 14496-1 (systems:
//! `ES_Descriptor`, `DecoderConfigDescriptor`, `SLConfigDescriptor`, the
//! expandable descriptor size). All integers are big-endian.
//!
//! # Boxes
//!
//! ```text
//!  0               4               8              16
//! +---------------+---------------+---------------+--------------------
//! | size (u32)    | type (FOURCC) | largesize u64 | body ...
//! +---------------+---------------+---------------+--------------------
//!   size counts the whole box; size 1: the u64 largesize follows the type;
//!   size 0: the box runs to the end of the file. A "full box" starts its
//!   body with version (u8) and flags (u24).
//! ```
//!
//! # File layout written
//!
//! ```text
//! ftyp  major 'isom', compatible isom iso2 mp41
//! free  8 bytes: room for a 64-bit mdat header if the data passes 4 GiB
//! mdat  the samples, one after another, in decoding order
//! moov
//!   mvhd              timescale and duration (the track's own timescale)
//!   iods              InitialObjectDescriptor: visual profile/level
//!   trak
//!     tkhd            track 1, enabled, width and height as 16.16
//!     mdia
//!       mdhd          timescale, duration, language 'und'
//!       hdlr          'vide'
//!       minf
//!         vmhd
//!         dinf { dref { 'url ' self-contained } }
//!         stbl
//!           stsd { mp4v VisualSampleEntry { esds ES_Descriptor } }
//!           stts      sample durations, run-length coded
//!           stss      sync samples (left out when every sample is one)
//!           stsc      samples per chunk, run-length coded
//!           stsz      sample sizes
//!           stco      chunk offsets (co64 once an offset passes 4 GiB)
//! ```
//!
//! # The `esds` descriptors (ISO/IEC 14496-1 7.2.6)
//!
//! ```text
//! 03 len  ES_Descriptor: ES_ID (u16) = 0, flags (u8) = 0
//!   04 len  DecoderConfigDescriptor: objectTypeIndication 0x20 (Visual),
//!           streamType 4 << 2 | reserved 1, bufferSizeDB (u24),
//!           maxBitrate (u32), avgBitrate (u32)
//!     05 len  DecoderSpecificInfo: the VOS, VO and VOL headers
//!   06 01 02  SLConfigDescriptor, predefined 2 (MP4 files)
//! ```
//!
//! Each `len` is the expandable size: 7 bits a byte, high bit set on every
//! byte but the last.
//!
//! ```
//! use std::io::Cursor;
//! use tessera_container::mp4::{Mp4VideoConfig, Mp4Writer, read_mp4_video};
//! use tessera_core::Limits;
//!
//! let config = Mp4VideoConfig {
//!     width: 176,
//!     height: 144,
//!     timescale: 25,
//!     // VOS, VO and VOL headers as the encoder wrote them (shortened here).
//!     decoder_config: vec![0, 0, 1, 0xb0, 0x01, 0, 0, 1, 0xb5, 0x09],
//!     profile_level: 0x01,
//!     avg_bitrate: 0,
//!     max_bitrate: 0,
//!     buffer_size: 0,
//! };
//! let mut writer = Mp4Writer::new(Cursor::new(Vec::new()), config.clone())?;
//! writer.write_sample(&[0, 0, 1, 0xb6, 0x10], 1, true)?;
//! writer.write_sample(&[0, 0, 1, 0xb6, 0x50], 1, false)?;
//! let file = writer.finish()?.into_inner();
//!
//! let video = read_mp4_video(&file, Limits::default())?;
//! assert_eq!(video.config, config);
//! assert_eq!(video.samples[1].data, [0, 0, 1, 0xb6, 0x50]);
//! assert!(!video.samples[1].sync);
//! # Ok::<(), tessera_container::Error>(())
//! ```

mod reader;
mod writer;

pub use reader::read_mp4_video;
pub use writer::{MAX_SAMPLES, Mp4Writer};

/// `objectTypeIndication` of MPEG-4 Visual (ISO/IEC 14496-2) in a
/// `DecoderConfigDescriptor` (ISO/IEC 14496-1 Table 5).
pub const OBJECT_TYPE_MPEG4_VISUAL: u8 = 0x20;

/// `streamType` of visual streams (ISO/IEC 14496-1 Table 6).
const STREAM_TYPE_VISUAL: u8 = 0x04;

/// Descriptor tags (ISO/IEC 14496-1 Table 1).
mod tag {
    pub const INITIAL_OBJECT: u8 = 0x02;
    pub const ES: u8 = 0x03;
    pub const DECODER_CONFIG: u8 = 0x04;
    pub const DECODER_SPECIFIC_INFO: u8 = 0x05;
    pub const SL_CONFIG: u8 = 0x06;
    pub const ES_ID_INC: u8 = 0x0e;
    /// `MP4_IOD_Tag` of ISO/IEC 14496-14 3.1.1, used in the `iods` box.
    pub const MP4_IOD: u8 = 0x10;
}

/// Largest `decoder_config` the writer accepts: configuration headers are
/// tens of bytes, and this keeps every descriptor size within 28 bits.
pub const MAX_DECODER_CONFIG: usize = 1 << 20;

/// What the sample entry of an MPEG-4 Visual track says: the picture size,
/// the clock, and the decoder configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4VideoConfig {
    /// Picture width in pixels (`VisualSampleEntry.width`, `tkhd`).
    pub width: u16,
    /// Picture height in pixels.
    pub height: u16,
    /// Ticks per second of the sample durations (`mdhd`, also used for
    /// `mvhd`). 25 for 25 fps with a duration of 1 per frame; 90000 for
    /// RTP-style clocks.
    pub timescale: u32,
    /// `DecoderSpecificInfo`: the configuration headers of the elementary
    /// stream (visual object sequence, visual object and video object layer
    /// headers, with any user data), everything before the first VOP.
    pub decoder_config: Vec<u8>,
    /// `profile_and_level_indication` (ISO/IEC 14496-2 Table G-1), written
    /// as the visual profile of the `iods` box. When reading a file without
    /// `iods`, the one of the VOS header in `decoder_config`, else 0xFF (no
    /// profile given).
    pub profile_level: u8,
    /// Average bit rate in bits per second (0: unknown).
    pub avg_bitrate: u32,
    /// Peak bit rate over any one-second window, in bits per second (0:
    /// unknown).
    pub max_bitrate: u32,
    /// Decoding buffer size in bytes (`bufferSizeDB`, 24 bits).
    pub buffer_size: u32,
}

/// One sample (access unit: a VOP with any GOV header before it) read back
/// from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4Sample {
    pub data: Vec<u8>,
    /// Duration in [`Mp4VideoConfig::timescale`] ticks (`stts`).
    pub duration: u32,
    /// True for sync samples (`stss`, or every sample when it is absent):
    /// VOPs a decoder can start from.
    pub sync: bool,
}

/// An MP4 file's MPEG-4 Visual track, as [`read_mp4_video`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mp4Video {
    pub config: Mp4VideoConfig,
    /// The samples in decoding order.
    pub samples: Vec<Mp4Sample>,
}
