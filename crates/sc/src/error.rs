//! Errors, and the reasons an SC packet is discarded.

/// Why a packet is invalid. Each maps to a rule of `docs/sc-format.md`;
/// receivers count them per reason and drop the packet whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Invalid {
    #[error("not an RTP version 2 packet (section 2)")]
    Rtp,
    #[error("unexpected payload type (section 2)")]
    PayloadType,
    #[error("payload shorter than the 18-byte SC header (section 3)")]
    ShortHeader,
    #[error("true_width or true_height is 0 (section 3)")]
    ZeroTrueSize,
    #[error("h_sub not 1, 2 or 4, or v_sub not 1 or 2 (section 3)")]
    Subsampling,
    #[error("subregion not on the MCU grid or empty (section 3)")]
    RegionOffGrid,
    #[error("subregion extends past the padded frame (section 3)")]
    RegionOutsideFrame,
    #[error("block data is not a whole number of 16-bit words (section 5)")]
    OddLength,
    #[error("no block data (section 5)")]
    Empty,
    #[error("DC word outside -2048..2047 (section 5)")]
    DcRange,
    #[error("AC coefficient of zero (section 5)")]
    ZeroCoefficient,
    #[error("AC position past 63 (section 5)")]
    PastEnd,
    #[error("escaped run outside 15..62 (section 5)")]
    EscapeRun,
    #[error("escaped coefficient outside -2048..2047 (section 5)")]
    EscapeValue,
    #[error("long end-of-block increment below 1023 (section 5)")]
    LongIncrement,
    #[error("reserved code 111111 (section 5)")]
    Reserved,
    #[error("block data ends inside a block (section 5)")]
    Truncated,
    #[error("block address outside the frame (section 4)")]
    BlockOutsideFrame,
    #[error("block outside the packet's subregion (section 4)")]
    BlockOutsideRegion,
    #[error("increment 0 before the end of the payload (section 5)")]
    EarlyZeroIncrement,
    #[error("last block's increment is not 0 (section 5)")]
    FinalIncrement,
    #[error("geometry differs from the other streams of this frame (section 6)")]
    GeometryMismatch,
}

impl Invalid {
    /// Every reason, in a stable order (the index of a reason's counter).
    pub const ALL: [Invalid; 22] = [
        Invalid::Rtp,
        Invalid::PayloadType,
        Invalid::ShortHeader,
        Invalid::ZeroTrueSize,
        Invalid::Subsampling,
        Invalid::RegionOffGrid,
        Invalid::RegionOutsideFrame,
        Invalid::OddLength,
        Invalid::Empty,
        Invalid::DcRange,
        Invalid::ZeroCoefficient,
        Invalid::PastEnd,
        Invalid::EscapeRun,
        Invalid::EscapeValue,
        Invalid::LongIncrement,
        Invalid::Reserved,
        Invalid::Truncated,
        Invalid::BlockOutsideFrame,
        Invalid::BlockOutsideRegion,
        Invalid::EarlyZeroIncrement,
        Invalid::FinalIncrement,
        Invalid::GeometryMismatch,
    ];

    /// Index into a counter array.
    pub fn index(self) -> usize {
        Invalid::ALL
            .iter()
            .position(|&r| r == self)
            .expect("every reason is listed")
    }
}

/// Errors of the SC crate.
#[derive(Debug, thiserror::Error)]
pub enum ScError {
    /// A packet broke a rule of the format.
    #[error("invalid SC packet: {0}")]
    Invalid(#[from] Invalid),
    /// Something the format cannot carry (monochrome, sizes over 16 bits).
    #[error("unsupported by SC: {0}")]
    Unsupported(String),
    /// The caller asked for something inconsistent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// From the JPEG side of a conversion.
    #[error(transparent)]
    Jpeg(#[from] tessera_jpeg::JpegError),
}
