//! The fixed-size AVI header structures, parsed from and written to bytes.

use crate::io_util::{fourcc, u16_le, u32_le};

/// `avih`: `AVIMAINHEADER` without its chunk header.
///
/// ```text
/// offset  field                  notes
///  0      dwMicroSecPerFrame     frame period in microseconds
///  4      dwMaxBytesPerSec       approximate peak data rate
///  8      dwPaddingGranularity
/// 12      dwFlags                AVIF_HASINDEX 0x10, AVIF_ISINTERLEAVED 0x100
/// 16      dwTotalFrames          frames in the first RIFF segment
/// 20      dwInitialFrames
/// 24      dwStreams
/// 28      dwSuggestedBufferSize  largest chunk
/// 32      dwWidth
/// 36      dwHeight
/// 40      dwReserved[4]
/// 56
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MainHeader {
    pub micro_sec_per_frame: u32,
    pub max_bytes_per_sec: u32,
    pub flags: u32,
    pub total_frames: u32,
    pub streams: u32,
    pub suggested_buffer_size: u32,
    pub width: u32,
    pub height: u32,
}

pub(crate) const AVIF_HASINDEX: u32 = 0x10;
pub(crate) const AVIF_ISINTERLEAVED: u32 = 0x100;

impl MainHeader {
    pub const SIZE: usize = 56;

    pub fn parse(d: &[u8]) -> Option<MainHeader> {
        Some(MainHeader {
            micro_sec_per_frame: u32_le(d, 0)?,
            max_bytes_per_sec: u32_le(d, 4)?,
            flags: u32_le(d, 12)?,
            total_frames: u32_le(d, 16)?,
            streams: u32_le(d, 24)?,
            suggested_buffer_size: u32_le(d, 28)?,
            width: u32_le(d, 32)?,
            height: u32_le(d, 36)?,
        })
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        put32(&mut b, 0, self.micro_sec_per_frame);
        put32(&mut b, 4, self.max_bytes_per_sec);
        put32(&mut b, 12, self.flags);
        put32(&mut b, 16, self.total_frames);
        put32(&mut b, 24, self.streams);
        put32(&mut b, 28, self.suggested_buffer_size);
        put32(&mut b, 32, self.width);
        put32(&mut b, 36, self.height);
        b
    }
}

/// `strh`: `AVISTREAMHEADER` without its chunk header.
///
/// ```text
/// offset  field                  notes
///  0      fccType                'vids', 'auds', ...
///  4      fccHandler             codec, e.g. 'MJPG' (may be blank)
///  8      dwFlags
/// 12      wPriority, wLanguage   u16 each
/// 16      dwInitialFrames
/// 20      dwScale                rate = dwRate / dwScale per second
/// 24      dwRate
/// 28      dwStart
/// 32      dwLength               stream length in frames (all segments)
/// 36      dwSuggestedBufferSize
/// 40      dwQuality              -1 = default
/// 44      dwSampleSize           0 for video
/// 48      rcFrame                left, top, right, bottom: i16 each
/// 56                             (some old files stop at 48)
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamHeader {
    pub fcc_type: [u8; 4],
    pub handler: [u8; 4],
    pub scale: u32,
    pub rate: u32,
    pub length: u32,
    pub suggested_buffer_size: u32,
    pub quality: u32,
    /// rcFrame right and bottom.
    pub frame_size: (u16, u16),
}

impl StreamHeader {
    pub const SIZE: usize = 56;

    pub fn parse(d: &[u8]) -> Option<StreamHeader> {
        Some(StreamHeader {
            fcc_type: fourcc(d, 0)?,
            handler: fourcc(d, 4)?,
            scale: u32_le(d, 20)?,
            rate: u32_le(d, 24)?,
            length: u32_le(d, 32)?,
            suggested_buffer_size: u32_le(d, 36)?,
            quality: u32_le(d, 40)?,
            frame_size: (u16_le(d, 52).unwrap_or(0), u16_le(d, 54).unwrap_or(0)),
        })
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[0..4].copy_from_slice(&self.fcc_type);
        b[4..8].copy_from_slice(&self.handler);
        put32(&mut b, 20, self.scale);
        put32(&mut b, 24, self.rate);
        put32(&mut b, 32, self.length);
        put32(&mut b, 36, self.suggested_buffer_size);
        put32(&mut b, 40, self.quality);
        b[52..54].copy_from_slice(&self.frame_size.0.to_le_bytes());
        b[54..56].copy_from_slice(&self.frame_size.1.to_le_bytes());
        b
    }
}

/// `strf` of a video stream: `BITMAPINFOHEADER`.
///
/// ```text
/// offset  field            notes
///  0      biSize           40 (more if codec data follows)
///  4      biWidth          i32
///  8      biHeight         i32; negative means top-down rows
/// 12      biPlanes         u16, 1
/// 14      biBitCount       u16, 24 for MJPG
/// 16      biCompression    FOURCC, 'MJPG'
/// 20      biSizeImage      width * height * 3
/// 24      biXPelsPerMeter  i32
/// 28      biYPelsPerMeter  i32
/// 32      biClrUsed
/// 36      biClrImportant
/// 40
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BitmapInfoHeader {
    pub width: i32,
    pub height: i32,
    pub bit_count: u16,
    pub compression: [u8; 4],
    pub size_image: u32,
}

impl BitmapInfoHeader {
    pub const SIZE: usize = 40;

    pub fn parse(d: &[u8]) -> Option<BitmapInfoHeader> {
        if d.len() < Self::SIZE {
            return None;
        }
        Some(BitmapInfoHeader {
            width: u32_le(d, 4)? as i32,
            height: u32_le(d, 8)? as i32,
            bit_count: u16_le(d, 14)?,
            compression: fourcc(d, 16)?,
            size_image: u32_le(d, 20)?,
        })
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        put32(&mut b, 0, Self::SIZE as u32);
        put32(&mut b, 4, self.width as u32);
        put32(&mut b, 8, self.height as u32);
        b[12..14].copy_from_slice(&1u16.to_le_bytes());
        b[14..16].copy_from_slice(&self.bit_count.to_le_bytes());
        b[16..20].copy_from_slice(&self.compression);
        put32(&mut b, 20, self.size_image);
        b
    }
}

/// `indx` (OpenDML `AVISUPERINDEX`) header fields, before the entries.
///
/// ```text
/// offset  field            notes
///  0      wLongsPerEntry   u16, 4
///  2      bIndexSubType    u8, 0
///  3      bIndexType       u8, 0 = AVI_INDEX_OF_INDEXES
///  4      nEntriesInUse
///  8      dwChunkId        '00dc'
/// 12      dwReserved[3]
/// 24      entries: qwOffset (u64, file offset of an 'ix##' chunk),
///                  dwSize (its size, header included), dwDuration (frames)
/// ```
pub(crate) const SUPER_INDEX_HEADER: usize = 24;
pub(crate) const SUPER_INDEX_ENTRY: usize = 16;

/// `ix##` (OpenDML `AVISTDINDEX`) header fields, before the entries.
///
/// ```text
/// offset  field            notes
///  0      wLongsPerEntry   u16, 2
///  2      bIndexSubType    u8, 0
///  3      bIndexType       u8, 1 = AVI_INDEX_OF_CHUNKS
///  4      nEntriesInUse
///  8      dwChunkId        '00dc'
/// 12      qwBaseOffset     u64
/// 20      dwReserved3
/// 24      entries: dwOffset (chunk data = qwBaseOffset + dwOffset),
///                  dwSize (bit 31 set = not a key frame)
/// ```
pub(crate) const STD_INDEX_HEADER: usize = 24;
pub(crate) const STD_INDEX_ENTRY: usize = 8;

/// `idx1` (`AVIOLDINDEX`) entry: dwChunkId, dwFlags (AVIIF_KEYFRAME 0x10),
/// dwOffset (of the chunk header, from the 'movi' list type), dwSize.
pub(crate) const OLD_INDEX_ENTRY: usize = 16;
pub(crate) const AVIIF_KEYFRAME: u32 = 0x10;

/// `dmlh` (OpenDML extended header): dwTotalFrames then reserved words;
/// 248 bytes as written by common muxers.
pub(crate) const DMLH_SIZE: usize = 248;

pub(crate) fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structures_round_trip() {
        let m = MainHeader {
            micro_sec_per_frame: 33367,
            max_bytes_per_sec: 1,
            flags: AVIF_HASINDEX,
            total_frames: 3,
            streams: 1,
            suggested_buffer_size: 4,
            width: 17,
            height: 13,
        };
        assert_eq!(MainHeader::parse(&m.to_bytes()), Some(m));
        let s = StreamHeader {
            fcc_type: *b"vids",
            handler: *b"MJPG",
            scale: 1001,
            rate: 30000,
            length: 3,
            suggested_buffer_size: 9,
            quality: u32::MAX,
            frame_size: (17, 13),
        };
        assert_eq!(StreamHeader::parse(&s.to_bytes()), Some(s.clone()));
        // An old 48-byte strh has no rcFrame.
        let short = StreamHeader::parse(&s.to_bytes()[..48]).unwrap();
        assert_eq!(short.frame_size, (0, 0));
        let b = BitmapInfoHeader {
            width: 17,
            height: -13,
            bit_count: 24,
            compression: *b"MJPG",
            size_image: 17 * 13 * 3,
        };
        assert_eq!(BitmapInfoHeader::parse(&b.to_bytes()), Some(b));
        assert_eq!(BitmapInfoHeader::parse(&[0; 39]), None);
        assert_eq!(MainHeader::parse(&[0; 39]), None);
    }
}
