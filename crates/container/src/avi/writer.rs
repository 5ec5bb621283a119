//! Writing motion JPEG AVI files, OpenDML past the first segment.

use std::io::{Seek, SeekFrom, Write};

use tessera_core::Rational;

use super::headers::{
    AVIF_HASINDEX, AVIF_ISINTERLEAVED, AVIIF_KEYFRAME, BitmapInfoHeader, DMLH_SIZE, MainHeader,
    OLD_INDEX_ENTRY, STD_INDEX_ENTRY, STD_INDEX_HEADER, SUPER_INDEX_ENTRY, SUPER_INDEX_HEADER,
    StreamHeader, put32,
};
use crate::ContainerKind;
use crate::error::{Error, Result};
use crate::mjpeg::check_jpeg_ends;

/// Largest RIFF segment written by default: 1 GiB, the limit OpenDML
/// recommends for compatibility with AVI 1.0 readers.
pub const DEFAULT_MAX_RIFF_SIZE: u64 = 1 << 30;

/// Slots reserved in the `indx` super index: one per RIFF segment, so
/// files up to about 256 GiB at the default segment size.
const SUPER_INDEX_SLOTS: usize = 256;

const VIDEO_CHUNK: [u8; 4] = *b"00dc";

/// Writes a RIFF AVI file with one motion JPEG video stream.
///
/// The first segment is a plain AVI 1.0 file with an `idx1` index. When it
/// would pass the segment size (1 GiB by default), the writer continues in
/// OpenDML `RIFF AVIX` segments, each with an `ix00` standard index, and
/// [`finish`](Self::finish) fills in the `indx` super index reserved in the
/// header. Call `finish`: without it the sizes and counts stay zero.
#[derive(Debug)]
pub struct AviWriter<W: Write + Seek> {
    writer: W,
    width: u32,
    height: u32,
    rate: Rational,
    max_riff: u64,
    /// Absolute offset of the next byte written.
    pos: u64,
    avih_at: u64,
    strh_at: u64,
    indx_at: u64,
    dmlh_at: u64,
    /// Current segment: its RIFF and `LIST movi` headers' offsets, and its
    /// video chunks as (chunk header offset, data size).
    riff_at: u64,
    movi_at: u64,
    segment: Vec<(u64, u32)>,
    first_segment_frames: u32,
    /// Closed segments' standard indexes: (offset, size, frames).
    super_index: Vec<(u64, u32, u32)>,
    total_frames: u32,
    max_chunk: u32,
}

impl<W: Write + Seek> AviWriter<W> {
    /// Writes the headers of a `width` x `height` stream at `rate` frames
    /// per second. The writer must be at offset 0 (a fresh file).
    pub fn new(writer: W, width: u32, height: u32, rate: Rational) -> Result<Self> {
        Self::with_max_riff_size(writer, width, height, rate, DEFAULT_MAX_RIFF_SIZE)
    }

    /// As [`new`](Self::new), with segments of at most `max_riff_size`
    /// bytes (at least 64 KiB, at most 2 GiB); small values let tests
    /// exercise OpenDML without writing gigabytes.
    pub fn with_max_riff_size(
        mut writer: W,
        width: u32,
        height: u32,
        rate: Rational,
        max_riff_size: u64,
    ) -> Result<Self> {
        if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
            return Err(Error::InvalidArgument(format!(
                "AVI picture size {width}x{height} is out of range"
            )));
        }
        if rate.num == 0 || rate.den == 0 {
            return Err(Error::InvalidArgument("AVI frame rate is zero".into()));
        }
        if !(64 << 10..=2 << 30).contains(&max_riff_size) {
            return Err(Error::InvalidArgument(format!(
                "AVI segment size {max_riff_size} is outside 64 KiB..2 GiB"
            )));
        }
        if writer.stream_position()? != 0 {
            return Err(Error::InvalidArgument(
                "an AVI writer must start at offset 0 of its output".into(),
            ));
        }
        let mut h = Vec::with_capacity(8192);
        let riff = begin_list(&mut h, b"RIFF", b"AVI ");
        let hdrl = begin_list(&mut h, b"LIST", b"hdrl");
        let avih_at = put_chunk(&mut h, b"avih", &[0; MainHeader::SIZE]);
        let strl = begin_list(&mut h, b"LIST", b"strl");
        let strh_at = put_chunk(&mut h, b"strh", &[0; StreamHeader::SIZE]);
        let bih = BitmapInfoHeader {
            width: width as i32,
            height: height as i32,
            bit_count: 24,
            compression: *b"MJPG",
            size_image: width.saturating_mul(height).saturating_mul(3),
        };
        put_chunk(&mut h, b"strf", &bih.to_bytes());
        let indx_len = SUPER_INDEX_HEADER + SUPER_INDEX_ENTRY * SUPER_INDEX_SLOTS;
        let indx_at = put_chunk(&mut h, b"JUNK", &vec![0; indx_len]) - 8;
        end_list(&mut h, strl);
        let odml = begin_list(&mut h, b"LIST", b"odml");
        let dmlh_at = put_chunk(&mut h, b"dmlh", &[0; DMLH_SIZE]);
        end_list(&mut h, odml);
        end_list(&mut h, hdrl);
        let movi_at = begin_list(&mut h, b"LIST", b"movi");
        debug_assert_eq!(riff, 0);

        let mut this = AviWriter {
            writer,
            width,
            height,
            rate,
            max_riff: max_riff_size,
            pos: h.len() as u64,
            avih_at: avih_at as u64,
            strh_at: strh_at as u64,
            indx_at: indx_at as u64,
            dmlh_at: dmlh_at as u64,
            riff_at: 0,
            movi_at: movi_at as u64,
            segment: Vec::new(),
            first_segment_frames: 0,
            super_index: Vec::new(),
            total_frames: 0,
            max_chunk: 0,
        };
        let avih = this.main_header().to_bytes();
        let strh = this.stream_header().to_bytes();
        h[avih_at..avih_at + MainHeader::SIZE].copy_from_slice(&avih);
        h[strh_at..strh_at + StreamHeader::SIZE].copy_from_slice(&strh);
        this.writer.write_all(&h)?;
        Ok(this)
    }

    /// Appends one JPEG image as a video frame. It must start with SOI and
    /// end with EOI, and fit in a segment.
    pub fn write_image(&mut self, jpeg: &[u8]) -> Result<()> {
        check_jpeg_ends(jpeg)?;
        // Room for the RIFF, movi and index headers of a fresh segment.
        let overhead = 1024;
        let len = u32::try_from(jpeg.len())
            .ok()
            .filter(|&l| u64::from(l) + overhead <= self.max_riff && l < 1 << 31)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "a {}-byte image does not fit in an AVI segment of {} bytes",
                    jpeg.len(),
                    self.max_riff
                ))
            })?;
        if self.total_frames == u32::MAX {
            return Err(Error::unsupported(
                ContainerKind::Avi,
                "more than 2^32-1 frames",
            ));
        }
        let chunk = 8 + u64::from(len) + u64::from(len & 1);
        let entries = self.segment.len() as u64 + 1;
        let index_cost = 8
            + (OLD_INDEX_ENTRY as u64 + STD_INDEX_ENTRY as u64) * entries
            + 8
            + STD_INDEX_HEADER as u64;
        if !self.segment.is_empty() && self.pos - self.riff_at + chunk + index_cost > self.max_riff
        {
            self.next_segment()?;
        }
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&VIDEO_CHUNK);
        put32(&mut head, 4, len);
        self.writer.write_all(&head)?;
        self.writer.write_all(jpeg)?;
        if len & 1 == 1 {
            self.writer.write_all(&[0])?;
        }
        self.segment.push((self.pos, len));
        self.pos += chunk;
        self.total_frames += 1;
        self.max_chunk = self.max_chunk.max(len);
        Ok(())
    }

    /// How many images have been written.
    pub fn frames_written(&self) -> u64 {
        u64::from(self.total_frames)
    }

    /// Closes the last segment, writes the indexes, fills in the sizes and
    /// frame counts in the headers, flushes, and gives back the writer
    /// (positioned at the end of the file).
    pub fn finish(mut self) -> Result<W> {
        let open_dml = !self.super_index.is_empty();
        self.close_segment(open_dml)?;
        let avih = self.main_header().to_bytes();
        let strh = self.stream_header().to_bytes();
        self.patch(self.avih_at, &avih)?;
        self.patch(self.strh_at, &strh)?;
        self.patch(self.dmlh_at, &self.total_frames.to_le_bytes())?;
        if open_dml {
            let mut indx = Vec::with_capacity(8 + SUPER_INDEX_HEADER);
            indx.extend_from_slice(b"indx");
            let size = SUPER_INDEX_HEADER + SUPER_INDEX_ENTRY * SUPER_INDEX_SLOTS;
            indx.extend_from_slice(&(size as u32).to_le_bytes());
            indx.extend_from_slice(&4u16.to_le_bytes()); // wLongsPerEntry
            indx.extend_from_slice(&[0, 0]); // sub-type, AVI_INDEX_OF_INDEXES
            indx.extend_from_slice(&(self.super_index.len() as u32).to_le_bytes());
            indx.extend_from_slice(&VIDEO_CHUNK);
            indx.extend_from_slice(&[0; 12]);
            for &(offset, size, frames) in &self.super_index {
                indx.extend_from_slice(&offset.to_le_bytes());
                indx.extend_from_slice(&size.to_le_bytes());
                indx.extend_from_slice(&frames.to_le_bytes());
            }
            self.patch(self.indx_at, &indx)?;
        }
        self.writer.flush()?;
        Ok(self.writer)
    }

    fn main_header(&self) -> MainHeader {
        let (num, den) = (u64::from(self.rate.num), u64::from(self.rate.den));
        let period = (1_000_000 * den + num / 2) / num;
        let bytes_per_sec = u64::from(self.max_chunk) * num.div_ceil(den);
        MainHeader {
            micro_sec_per_frame: u32::try_from(period).unwrap_or(u32::MAX),
            max_bytes_per_sec: u32::try_from(bytes_per_sec).unwrap_or(u32::MAX),
            flags: AVIF_HASINDEX | AVIF_ISINTERLEAVED,
            total_frames: self.first_segment_frames,
            streams: 1,
            suggested_buffer_size: self.max_chunk.saturating_add(8),
            width: self.width,
            height: self.height,
        }
    }

    fn stream_header(&self) -> StreamHeader {
        StreamHeader {
            fcc_type: *b"vids",
            handler: *b"MJPG",
            scale: self.rate.den,
            rate: self.rate.num,
            length: self.total_frames,
            suggested_buffer_size: self.max_chunk.saturating_add(8),
            quality: u32::MAX,
            frame_size: (
                u16::try_from(self.width).unwrap_or(u16::MAX),
                u16::try_from(self.height).unwrap_or(u16::MAX),
            ),
        }
    }

    /// Closes the current segment and opens an `AVIX` one.
    fn next_segment(&mut self) -> Result<()> {
        if self.super_index.len() + 2 > SUPER_INDEX_SLOTS {
            return Err(Error::unsupported(
                ContainerKind::Avi,
                format!(
                    "files of more than {SUPER_INDEX_SLOTS} segments of {} bytes",
                    self.max_riff
                ),
            ));
        }
        self.close_segment(true)?;
        let mut h = Vec::with_capacity(24);
        begin_list(&mut h, b"RIFF", b"AVIX");
        let movi = begin_list(&mut h, b"LIST", b"movi");
        self.writer.write_all(&h)?;
        self.riff_at = self.pos;
        self.movi_at = self.pos + movi as u64;
        self.pos += h.len() as u64;
        Ok(())
    }

    /// Ends the current segment: its `ix00` (if `std_index`), the movi
    /// size, `idx1` for the first segment, and the RIFF size.
    fn close_segment(&mut self, std_index: bool) -> Result<()> {
        let frames = self.segment.len() as u32;
        if std_index {
            let mut ix =
                Vec::with_capacity(8 + STD_INDEX_HEADER + STD_INDEX_ENTRY * self.segment.len());
            let size = STD_INDEX_HEADER + STD_INDEX_ENTRY * self.segment.len();
            ix.extend_from_slice(b"ix00");
            ix.extend_from_slice(&(size as u32).to_le_bytes());
            ix.extend_from_slice(&2u16.to_le_bytes()); // wLongsPerEntry
            ix.extend_from_slice(&[0, 1]); // sub-type, AVI_INDEX_OF_CHUNKS
            ix.extend_from_slice(&frames.to_le_bytes());
            ix.extend_from_slice(&VIDEO_CHUNK);
            ix.extend_from_slice(&self.movi_at.to_le_bytes()); // qwBaseOffset
            ix.extend_from_slice(&[0; 4]);
            for &(at, len) in &self.segment {
                // Offsets point at the chunk data; all frames are key frames.
                let offset = at + 8 - self.movi_at;
                ix.extend_from_slice(&(offset as u32).to_le_bytes());
                ix.extend_from_slice(&len.to_le_bytes());
            }
            self.super_index.push((self.pos, ix.len() as u32, frames));
            self.writer.write_all(&ix)?;
            self.pos += ix.len() as u64;
        }
        let movi_size = self.pos - self.movi_at - 8;
        self.patch(self.movi_at + 4, &(movi_size as u32).to_le_bytes())?;
        if self.riff_at == 0 {
            let mut idx1 = Vec::with_capacity(8 + OLD_INDEX_ENTRY * self.segment.len());
            idx1.extend_from_slice(b"idx1");
            idx1.extend_from_slice(&((OLD_INDEX_ENTRY * self.segment.len()) as u32).to_le_bytes());
            for &(at, len) in &self.segment {
                // Offsets count from the 'movi' list type.
                let offset = at - (self.movi_at + 8);
                idx1.extend_from_slice(&VIDEO_CHUNK);
                idx1.extend_from_slice(&AVIIF_KEYFRAME.to_le_bytes());
                idx1.extend_from_slice(&(offset as u32).to_le_bytes());
                idx1.extend_from_slice(&len.to_le_bytes());
            }
            self.writer.write_all(&idx1)?;
            self.pos += idx1.len() as u64;
            self.first_segment_frames = frames;
        }
        let riff_size = self.pos - self.riff_at - 8;
        self.patch(self.riff_at + 4, &(riff_size as u32).to_le_bytes())?;
        self.segment.clear();
        Ok(())
    }

    /// Overwrites bytes at `at`, then returns to the end.
    fn patch(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.writer.seek(SeekFrom::Start(at))?;
        self.writer.write_all(bytes)?;
        self.writer.seek(SeekFrom::Start(self.pos))?;
        Ok(())
    }
}

/// Appends a RIFF or LIST header with a zero size; returns its offset.
fn begin_list(h: &mut Vec<u8>, id: &[u8; 4], kind: &[u8; 4]) -> usize {
    let at = h.len();
    h.extend_from_slice(id);
    h.extend_from_slice(&[0; 4]);
    h.extend_from_slice(kind);
    at
}

/// Fills in the size of the list begun at `at`, which ends here.
fn end_list(h: &mut [u8], at: usize) {
    let size = (h.len() - at - 8) as u32;
    put32(h, at + 4, size);
}

/// Appends a chunk (with padding); returns the offset of its data.
fn put_chunk(h: &mut Vec<u8>, id: &[u8; 4], data: &[u8]) -> usize {
    h.extend_from_slice(id);
    h.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let at = h.len();
    h.extend_from_slice(data);
    if data.len() % 2 == 1 {
        h.push(0);
    }
    at
}
