//! The RTP payload format for JPEG-compressed video (RFC 2435).
//!
//! - [`JpegPayloader`] turns baseline JPEG files into packets: types 0
//!   (4:2:2) and 1 (4:2:0), 64 and 65 when the file has restart markers
//!   (section 3.1.7: packets hold whole restart intervals where they fit),
//!   Q 255 with the file's own tables in band (section 3.1.8, the default)
//!   or Q 1-99 when the file's tables are those of Appendix A.
//! - [`JpegDepayloader`] turns one frame's packets back into a complete
//!   JPEG file (Appendix B), checking that fragment offsets are contiguous
//!   so a frame with a hole is an error, never a corrupt picture. Tables
//!   sent in band for Q 128-254 are remembered for later frames that omit
//!   them (length 0).
//!
//! Payload type 26, 90 kHz clock (RFC 3551). Pictures are at most 2040
//! pixels a side (width and height travel as multiples of 8 in one byte
//! each); a size that is not a multiple of 8 arrives rounded up.

mod depay;
mod header;
mod pay;
pub mod qtables;
mod scan;

pub use depay::JpegDepayloader;
pub use header::{JpegPayload, MainHeader, QuantHeader, RestartHeader};
pub use pay::{JpegPayloader, MIN_PACKET};

/// The static payload type of JPEG (RFC 3551 section 6).
pub const PAYLOAD_TYPE: u8 = 26;
/// RTP/JPEG's timestamp clock.
pub const CLOCK_RATE: u32 = 90_000;
/// Largest width or height RTP/JPEG can describe.
pub const MAX_DIMENSION: usize = 2040;
/// Largest frame the depayloader rebuilds (the 24-bit fragment offset's
/// range plus headers).
pub const MAX_FRAME_BYTES: usize = (1 << 24) + (1 << 16);

/// How the payloader conveys quantization tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum JpegQ {
    /// Q 255: the file's own tables in every frame's first packet (exact
    /// for any 8-bit tables).
    #[default]
    InBand,
    /// Q 1-99: the receiver derives the tables (Appendix A); the file's
    /// tables must be exactly those.
    Standard(u8),
}

/// Payloader settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JpegPayloaderConfig {
    /// Largest packet, RTP header included (default 1400).
    pub max_packet: usize,
    /// Default 26.
    pub payload_type: u8,
    pub ssrc: u32,
    pub initial_sequence: u16,
    pub q: JpegQ,
}

impl JpegPayloaderConfig {
    /// Defaults for one sender: 1400-byte packets, payload type 26, tables
    /// in band, sequence numbers from 0.
    pub fn new(ssrc: u32) -> Self {
        JpegPayloaderConfig {
            max_packet: 1400,
            payload_type: PAYLOAD_TYPE,
            ssrc,
            initial_sequence: 0,
            q: JpegQ::InBand,
        }
    }
}

/// Payloader counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayStats {
    pub frames: u64,
    pub packets: u64,
    pub bytes: u64,
    /// Frames re-coded before sending (other Huffman tables or sampling
    /// factors than RTP/JPEG's).
    pub recoded_frames: u64,
}

/// Depayloader counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DepayStats {
    /// JPEG files rebuilt.
    pub frames: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Frames refused (an error was returned).
    pub errors: u64,
    /// Frames whose tables came in band.
    pub inband_tables: u64,
    /// Frames that used tables remembered from an earlier frame.
    pub cached_tables: u64,
}

/// Whether an RTP/JPEG payload starts a frame (fragment offset 0), for the
/// jitter buffer's frame boundaries; `None` if the payload is too short to
/// tell.
pub fn starts_frame(payload: &[u8]) -> Option<bool> {
    MainHeader::parse(payload)
        .ok()
        .map(|h| h.fragment_offset == 0)
}
