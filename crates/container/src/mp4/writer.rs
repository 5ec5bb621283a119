//! Writing an MP4 file with one MPEG-4 Visual track: the samples go into
//! `mdat` as they come, the sample tables are kept in memory and written as
//! `moov` at the end.

use std::io::{Seek, SeekFrom, Write};

use super::{
    MAX_DECODER_CONFIG, Mp4VideoConfig, OBJECT_TYPE_MPEG4_VISUAL, STREAM_TYPE_VISUAL, tag,
};
use crate::error::{Error, Result};

/// Most samples one file may hold. Each costs at most 36 bytes of sample
/// tables, so `moov` stays well under 4 GiB (13 days at 60 fps).
pub const MAX_SAMPLES: u32 = 1 << 26;

/// A new chunk starts once the current one holds this many bytes. Samples
/// are contiguous whatever the chunking; chunks only bound the offsets.
const CHUNK_BYTES: u64 = 1 << 20;

/// Shown by players as the tool that wrote the track.
const COMPRESSOR_NAME: &[u8] = b"tessera MPEG-4";

const TRACK_ID: u32 = 1;

/// `ftyp`, the `free` placeholder and the `mdat` header, in that order.
const FTYP: &[u8] = &[
    0, 0, 0, 28, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 2, 0, b'i', b's', b'o',
    b'm', b'i', b's', b'o', b'2', b'm', b'p', b'4', b'1',
];

/// Writes an MP4 file holding one MPEG-4 Part 2 video track.
///
/// [`new`](Self::new) writes `ftyp` and the `mdat` header,
/// [`write_sample`](Self::write_sample) appends one access unit (a VOP, with
/// any GOV header before it) to `mdat`, and [`finish`](Self::finish) fixes
/// the `mdat` size and writes `moov`. Without `finish` the file has no
/// `moov` and no player can read it. Wrap files in a
/// [`std::io::BufWriter`].
///
/// The sample tables stay in memory until `finish`: about 5 bytes a sample.
#[derive(Debug)]
pub struct Mp4Writer<W: Write + Seek> {
    out: W,
    config: Mp4VideoConfig,
    /// Offset of the `free` placeholder; `mdat` follows it.
    free_at: u64,
    /// Offset of the next byte written.
    pos: u64,
    /// `stsz`: one size per sample.
    sizes: Vec<u32>,
    /// `stts`: (sample count, duration) runs.
    durations: Vec<(u32, u32)>,
    /// `stss`: 1-based numbers of the sync samples.
    sync: Vec<u32>,
    /// One (offset, sample count) per chunk.
    chunks: Vec<(u64, u32)>,
    chunk_bytes: u64,
    total_duration: u64,
    /// Set when a write failed part way: the file is no longer consistent.
    failed: bool,
}

impl<W: Write + Seek> Mp4Writer<W> {
    /// Checks `config` and writes `ftyp` and the start of `mdat`. The
    /// output must be at offset 0 (a fresh file): chunk offsets count from
    /// there.
    pub fn new(mut out: W, config: Mp4VideoConfig) -> Result<Self> {
        let Mp4VideoConfig {
            width,
            height,
            timescale,
            ref decoder_config,
            buffer_size,
            ..
        } = config;
        if width == 0 || height == 0 {
            return Err(invalid(format!("picture size {width}x{height}")));
        }
        if timescale == 0 {
            return Err(invalid("a timescale of 0"));
        }
        if decoder_config.is_empty() || decoder_config.len() > MAX_DECODER_CONFIG {
            return Err(invalid(format!(
                "a decoder configuration of {} bytes (1..={MAX_DECODER_CONFIG})",
                decoder_config.len()
            )));
        }
        if buffer_size >= 1 << 24 {
            return Err(invalid(format!(
                "a buffer size of {buffer_size} bytes (bufferSizeDB has 24 bits)"
            )));
        }
        if out.stream_position()? != 0 {
            return Err(Error::InvalidArgument(
                "an MP4 writer must start at offset 0 of its output".into(),
            ));
        }
        let mut head = FTYP.to_vec();
        let free_at = head.len() as u64;
        head.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        head.extend_from_slice(&[0, 0, 0, 0, b'm', b'd', b'a', b't']);
        out.write_all(&head)?;
        Ok(Mp4Writer {
            out,
            config,
            free_at,
            pos: head.len() as u64,
            sizes: Vec::new(),
            durations: Vec::new(),
            sync: Vec::new(),
            chunks: Vec::new(),
            chunk_bytes: 0,
            total_duration: 0,
            failed: false,
        })
    }

    /// Appends one sample lasting `duration` ticks of the timescale; `sync`
    /// marks samples a decoder can start from (I-VOPs).
    pub fn write_sample(&mut self, data: &[u8], duration: u32, sync: bool) -> Result<()> {
        self.check_usable()?;
        if duration == 0 {
            return Err(invalid("a sample duration of 0"));
        }
        let size = u32::try_from(data.len())
            .map_err(|_| invalid(format!("a sample of {} bytes", data.len())))?;
        if self.sizes.len() >= MAX_SAMPLES as usize {
            return Err(invalid(format!("more than {MAX_SAMPLES} samples")));
        }
        self.failed = true;
        self.out.write_all(data)?;
        self.failed = false;

        let number = self.sizes.len() as u32 + 1;
        self.sizes.push(size);
        match self.durations.last_mut() {
            Some((count, d)) if *d == duration => *count += 1,
            _ => self.durations.push((1, duration)),
        }
        if sync {
            self.sync.push(number);
        }
        match self.chunks.last_mut() {
            Some((_, count)) if self.chunk_bytes < CHUNK_BYTES => {
                *count += 1;
                self.chunk_bytes += u64::from(size);
            }
            _ => {
                self.chunks.push((self.pos, 1));
                self.chunk_bytes = u64::from(size);
            }
        }
        self.pos += u64::from(size);
        self.total_duration += u64::from(duration);
        Ok(())
    }

    /// How many samples have been written.
    pub fn samples_written(&self) -> u32 {
        self.sizes.len() as u32
    }

    /// Sum of the durations written, in timescale ticks.
    pub fn duration(&self) -> u64 {
        self.total_duration
    }

    /// Sets the `mdat` size (a 64-bit one, over the `free` placeholder,
    /// when the samples pass 4 GiB), writes `moov`, flushes, and gives back
    /// the output, positioned at the end of the file.
    pub fn finish(mut self) -> Result<W> {
        self.check_usable()?;
        let mdat_at = self.free_at + 8;
        let mdat_size = self.pos - mdat_at;
        if let Ok(size) = u32::try_from(mdat_size) {
            self.out.seek(SeekFrom::Start(mdat_at))?;
            self.out.write_all(&size.to_be_bytes())?;
        } else {
            // The placeholder and the 8-byte header become one 16-byte
            // header with a largesize: the samples stay where they are.
            let mut head = [0u8; 16];
            head[..8].copy_from_slice(&[0, 0, 0, 1, b'm', b'd', b'a', b't']);
            head[8..].copy_from_slice(&(mdat_size + 8).to_be_bytes());
            self.out.seek(SeekFrom::Start(self.free_at))?;
            self.out.write_all(&head)?;
        }
        self.out.seek(SeekFrom::Start(self.pos))?;
        let moov = self.moov();
        self.out.write_all(&moov)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn check_usable(&self) -> Result<()> {
        if self.failed {
            return Err(Error::InvalidArgument(
                "the MP4 writer failed earlier; its output is incomplete".into(),
            ));
        }
        Ok(())
    }

    /// The whole `moov` box.
    fn moov(&self) -> Vec<u8> {
        let c = &self.config;
        let long = self.total_duration > u64::from(u32::MAX);
        let version = u8::from(long);
        let mut b = Vec::with_capacity(1024 + self.sizes.len() * 8);
        put_box(&mut b, b"moov", |b| {
            put_full_box(b, b"mvhd", version, 0, |b| {
                put_times(b, long, c.timescale, self.total_duration);
                b.be32(0x0001_0000); // rate 1.0
                b.be16(0x0100); // volume 1.0
                b.extend_from_slice(&[0; 10]);
                put_matrix(b);
                b.extend_from_slice(&[0; 24]); // pre_defined
                b.be32(TRACK_ID + 1); // next_track_ID
            });
            put_full_box(b, b"iods", 0, 0, |b| self.put_iod(b));
            put_box(b, b"trak", |b| {
                // Flags: track_enabled | track_in_movie.
                put_full_box(b, b"tkhd", version, 3, |b| {
                    if long {
                        b.be64(0);
                        b.be64(0);
                    } else {
                        b.be32(0);
                        b.be32(0);
                    }
                    b.be32(TRACK_ID);
                    b.be32(0);
                    if long {
                        b.be64(self.total_duration);
                    } else {
                        b.be32(self.total_duration as u32);
                    }
                    // reserved, layer, alternate_group, volume, reserved.
                    b.extend_from_slice(&[0; 16]);
                    put_matrix(b);
                    b.be32(u32::from(c.width) << 16);
                    b.be32(u32::from(c.height) << 16);
                });
                put_box(b, b"mdia", |b| {
                    put_full_box(b, b"mdhd", version, 0, |b| {
                        put_times(b, long, c.timescale, self.total_duration);
                        b.be16(0x55c4); // 'und' as three 5-bit letters
                        b.be16(0);
                    });
                    put_full_box(b, b"hdlr", 0, 0, |b| {
                        b.be32(0);
                        b.extend_from_slice(b"vide");
                        b.extend_from_slice(&[0; 12]);
                        b.extend_from_slice(b"VideoHandler\0");
                    });
                    put_box(b, b"minf", |b| {
                        put_full_box(b, b"vmhd", 0, 1, |b| b.extend_from_slice(&[0; 8]));
                        put_box(b, b"dinf", |b| {
                            put_full_box(b, b"dref", 0, 0, |b| {
                                b.be32(1);
                                // Flag 1: the data is in this file.
                                put_full_box(b, b"url ", 0, 1, |_| {});
                            });
                        });
                        put_box(b, b"stbl", |b| self.put_sample_tables(b));
                    });
                });
            });
        });
        b
    }

    /// `iods`: an `MP4_IOD` naming the visual profile and the track
    /// (ISO/IEC 14496-14 3.1.1, ISO/IEC 14496-1 7.2.6.4).
    fn put_iod(&self, b: &mut Vec<u8>) {
        put_descriptor(b, tag::MP4_IOD, |b| {
            // ObjectDescriptorID 1, no URL, no inline profiles, reserved 1s.
            b.be16(1 << 6 | 0x0f);
            // OD, scene, audio, visual, graphics profile/level: 0xff is
            // "no capability required".
            b.extend_from_slice(&[0xff, 0xff, 0xff, self.config.profile_level, 0xff]);
            put_descriptor(b, tag::ES_ID_INC, |b| b.be32(TRACK_ID));
        });
    }

    fn put_sample_tables(&self, b: &mut Vec<u8>) {
        put_full_box(b, b"stsd", 0, 0, |b| {
            b.be32(1);
            put_box(b, b"mp4v", |b| self.put_visual_sample_entry(b));
        });
        put_full_box(b, b"stts", 0, 0, |b| {
            b.be32(self.durations.len() as u32);
            for &(count, duration) in &self.durations {
                b.be32(count);
                b.be32(duration);
            }
        });
        if self.sync.len() != self.sizes.len() {
            put_full_box(b, b"stss", 0, 0, |b| {
                b.be32(self.sync.len() as u32);
                for &n in &self.sync {
                    b.be32(n);
                }
            });
        }
        put_full_box(b, b"stsc", 0, 0, |b| {
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for (i, &(_, count)) in self.chunks.iter().enumerate() {
                if runs.last().is_none_or(|&(_, c)| c != count) {
                    runs.push((i as u32 + 1, count));
                }
            }
            b.be32(runs.len() as u32);
            for (first_chunk, count) in runs {
                b.be32(first_chunk);
                b.be32(count);
                b.be32(1); // sample_description_index
            }
        });
        put_full_box(b, b"stsz", 0, 0, |b| {
            b.be32(0); // sizes vary
            b.be32(self.sizes.len() as u32);
            for &size in &self.sizes {
                b.be32(size);
            }
        });
        let last = self.chunks.last().map_or(0, |&(offset, _)| offset);
        if last > u64::from(u32::MAX) {
            put_full_box(b, b"co64", 0, 0, |b| {
                b.be32(self.chunks.len() as u32);
                for &(offset, _) in &self.chunks {
                    b.be64(offset);
                }
            });
        } else {
            put_full_box(b, b"stco", 0, 0, |b| {
                b.be32(self.chunks.len() as u32);
                for &(offset, _) in &self.chunks {
                    b.be32(offset as u32);
                }
            });
        }
    }

    /// `mp4v`: a `VisualSampleEntry` (ISO/IEC 14496-12 12.1.3) with its
    /// `esds` (ISO/IEC 14496-14 5.6).
    fn put_visual_sample_entry(&self, b: &mut Vec<u8>) {
        let c = &self.config;
        b.extend_from_slice(&[0; 6]);
        b.be16(1); // data_reference_index
        b.extend_from_slice(&[0; 16]); // pre_defined, reserved
        b.be16(c.width);
        b.be16(c.height);
        b.be32(0x0048_0000); // 72 dpi
        b.be32(0x0048_0000);
        b.be32(0);
        b.be16(1); // frame_count
        let mut name = [0u8; 32];
        name[0] = COMPRESSOR_NAME.len() as u8;
        name[1..=COMPRESSOR_NAME.len()].copy_from_slice(COMPRESSOR_NAME);
        b.extend_from_slice(&name);
        b.be16(0x0018); // depth: colour, no alpha
        b.be16(0xffff); // pre_defined -1
        put_full_box(b, b"esds", 0, 0, |b| {
            put_descriptor(b, tag::ES, |b| {
                // ES_ID 0 (the track identifies the stream in a file), no
                // dependence, URL or OCR stream, priority 0.
                b.be16(0);
                b.push(0);
                put_descriptor(b, tag::DECODER_CONFIG, |b| {
                    b.push(OBJECT_TYPE_MPEG4_VISUAL);
                    // streamType, upStream 0, reserved 1.
                    b.push(STREAM_TYPE_VISUAL << 2 | 1);
                    b.extend_from_slice(&c.buffer_size.to_be_bytes()[1..]);
                    b.be32(c.max_bitrate);
                    b.be32(c.avg_bitrate);
                    put_descriptor(b, tag::DECODER_SPECIFIC_INFO, |b| {
                        b.extend_from_slice(&c.decoder_config);
                    });
                });
                // predefined 2: the SL settings of MP4 files.
                put_descriptor(b, tag::SL_CONFIG, |b| b.push(2));
            });
        });
    }
}

fn invalid(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("MP4 writer: {what}"))
}

/// Big-endian appends.
trait PutBe {
    fn be16(&mut self, v: u16);
    fn be32(&mut self, v: u32);
    fn be64(&mut self, v: u64);
}

impl PutBe for Vec<u8> {
    fn be16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn be32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn be64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends a box of type `kind` whose body `body` writes, then fills in
/// its size. [`MAX_SAMPLES`] keeps every box under 4 GiB.
fn put_box(b: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = b.len();
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(kind);
    body(b);
    let size = (b.len() - start) as u32;
    b[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// A box whose body starts with version and flags.
fn put_full_box(
    b: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    put_box(b, kind, |b| {
        b.be32(u32::from(version) << 24 | flags);
        body(b);
    });
}

/// Creation and modification times (0: unknown), timescale and duration
/// of `mvhd` and `mdhd`, in their version 1 (64-bit) form when `long`.
fn put_times(b: &mut Vec<u8>, long: bool, timescale: u32, duration: u64) {
    if long {
        b.be64(0);
        b.be64(0);
        b.be32(timescale);
        b.be64(duration);
    } else {
        b.be32(0);
        b.be32(0);
        b.be32(timescale);
        b.be32(duration as u32);
    }
}

/// The identity transformation matrix of `mvhd` and `tkhd`.
fn put_matrix(b: &mut Vec<u8>) {
    for v in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000u32] {
        b.be32(v);
    }
}

/// Appends a descriptor (ISO/IEC 14496-1 8.3.3): tag, expandable size,
/// body. Bodies stay under 2^28 bytes ([`MAX_DECODER_CONFIG`]).
fn put_descriptor(b: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    b.push(tag);
    put_expandable_size(b, inner.len() as u32);
    b.extend_from_slice(&inner);
}

/// The size of a descriptor in as few bytes as it needs, 7 bits each,
/// most significant first, the high bit set on all but the last.
fn put_expandable_size(b: &mut Vec<u8>, size: u32) {
    let mut shift = 21;
    while shift > 0 && size >> shift == 0 {
        shift -= 7;
    }
    while shift > 0 {
        b.push(0x80 | (size >> shift & 0x7f) as u8);
        shift -= 7;
    }
    b.push((size & 0x7f) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn config() -> Mp4VideoConfig {
        Mp4VideoConfig {
            width: 176,
            height: 144,
            timescale: 90000,
            decoder_config: vec![0, 0, 1, 0xb0, 3, 0, 0, 1, 0xb5],
            profile_level: 3,
            avg_bitrate: 64000,
            max_bitrate: 128000,
            buffer_size: 0x012345,
        }
    }

    /// (type, offset, size) of the boxes in `data[from..to]`.
    fn boxes(data: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize)> {
        let mut out = Vec::new();
        let mut at = from;
        while at < to {
            let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
            out.push((data[at + 4..at + 8].try_into().unwrap(), at, size));
            at += size;
        }
        assert_eq!(at, to, "boxes end where their parent does");
        out
    }

    fn child(
        data: &[u8],
        parent: ([u8; 4], usize, usize),
        skip: usize,
        kind: &[u8; 4],
    ) -> ([u8; 4], usize, usize) {
        let (_, at, size) = parent;
        *boxes(data, at + 8 + skip, at + size)
            .iter()
            .find(|b| &b.0 == kind)
            .unwrap_or_else(|| panic!("no {}", String::from_utf8_lossy(kind)))
    }

    #[test]
    fn expandable_sizes_use_as_few_bytes_as_needed() {
        for (size, bytes) in [
            (0, &[0x00][..]),
            (0x7f, &[0x7f]),
            (0x80, &[0x81, 0x00]),
            (0x3fff, &[0xff, 0x7f]),
            (0x4000, &[0x81, 0x80, 0x00]),
            ((1 << 28) - 1, &[0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut b = Vec::new();
            put_expandable_size(&mut b, size);
            assert_eq!(b, bytes, "{size:#x}");
        }
    }

    #[test]
    fn layout_of_a_small_file() {
        let mut w = Mp4Writer::new(Cursor::new(Vec::new()), config()).unwrap();
        for (i, d) in [3000, 3000, 4500, 3000].into_iter().enumerate() {
            w.write_sample(&[i as u8; 10], d, i == 0).unwrap();
        }
        assert_eq!((w.samples_written(), w.duration()), (4, 13500));
        let file = w.finish().unwrap().into_inner();

        let top = boxes(&file, 0, file.len());
        let kinds: Vec<_> = top.iter().map(|b| &b.0).collect();
        assert_eq!(kinds, [b"ftyp", b"free", b"mdat", b"moov"]);
        assert_eq!(&file[8..28], b"isom\0\0\x02\0isomiso2mp41");
        assert_eq!(top[2].2, 8 + 40, "mdat holds the four samples");
        assert_eq!(&file[top[2].1 + 8..top[2].1 + 18], &[0; 10]);

        let moov = top[3];
        let mvhd = child(&file, moov, 0, b"mvhd");
        let m = &file[mvhd.1 + 8..];
        assert_eq!(
            &m[12..20],
            &[0, 1, 0x5f, 0x90, 0, 0, 0x34, 0xbc],
            "timescale, duration"
        );
        let iods = child(&file, moov, 0, b"iods");
        assert_eq!(
            &file[iods.1 + 12..iods.1 + iods.2],
            &[
                0x10, 13, 0x00, 0x4f, 0xff, 0xff, 0xff, 3, 0xff, 0x0e, 4, 0, 0, 0, 1
            ]
        );
        let trak = child(&file, moov, 0, b"trak");
        let tkhd = child(&file, trak, 0, b"tkhd");
        let t = &file[tkhd.1 + 8..tkhd.1 + tkhd.2];
        assert_eq!(&t[..4], &[0, 0, 0, 3], "version 0, enabled and in movie");
        assert_eq!(&t[76..], &[0, 176, 0, 0, 0, 144, 0, 0], "16.16 size");
        let mdia = child(&file, trak, 0, b"mdia");
        let hdlr = child(&file, mdia, 0, b"hdlr");
        assert_eq!(&file[hdlr.1 + 16..hdlr.1 + 20], b"vide");
        let minf = child(&file, mdia, 0, b"minf");
        let dref = child(&file, child(&file, minf, 0, b"dinf"), 0, b"dref");
        assert_eq!(
            &file[dref.1 + 8..dref.1 + dref.2],
            &[
                0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 12, b'u', b'r', b'l', b' ', 0, 0, 0, 1
            ]
        );
        let stbl = child(&file, minf, 0, b"stbl");
        let body = |b: ([u8; 4], usize, usize)| &file[b.1 + 12..b.1 + b.2];

        let stsd = child(&file, stbl, 0, b"stsd");
        let mp4v = child(&file, stsd, 8, b"mp4v");
        let e = &file[mp4v.1 + 8..];
        assert_eq!(&e[6..8], &[0, 1], "data_reference_index");
        assert_eq!(&e[24..28], &[0, 176, 0, 144]);
        assert_eq!(e[42] as usize, COMPRESSOR_NAME.len());
        assert_eq!(&e[74..78], &[0, 0x18, 0xff, 0xff], "depth, pre_defined");
        let esds = child(&file, mp4v, 78, b"esds");
        let mut expected = vec![0x03, 32, 0, 0, 0, 0x04, 24, 0x20, 0x11, 0x01, 0x23, 0x45];
        expected.extend_from_slice(&128000u32.to_be_bytes());
        expected.extend_from_slice(&64000u32.to_be_bytes());
        expected.extend_from_slice(&[0x05, 9, 0, 0, 1, 0xb0, 3, 0, 0, 1, 0xb5]);
        expected.extend_from_slice(&[0x06, 1, 2]);
        assert_eq!(body(esds), expected);

        let words = |b: &[u8]| -> Vec<u32> {
            b.chunks(4)
                .map(|w| u32::from_be_bytes(w.try_into().unwrap()))
                .collect()
        };
        assert_eq!(
            words(body(child(&file, stbl, 0, b"stts"))),
            [3, 2, 3000, 1, 4500, 1, 3000]
        );
        assert_eq!(words(body(child(&file, stbl, 0, b"stss"))), [1, 1]);
        assert_eq!(words(body(child(&file, stbl, 0, b"stsc"))), [1, 1, 4, 1]);
        assert_eq!(
            words(body(child(&file, stbl, 0, b"stsz"))),
            [0, 4, 10, 10, 10, 10]
        );
        assert_eq!(
            words(body(child(&file, stbl, 0, b"stco"))),
            [1, top[2].1 as u32 + 8]
        );
    }

    #[test]
    fn stss_is_left_out_when_every_sample_is_sync() {
        let mut w = Mp4Writer::new(Cursor::new(Vec::new()), config()).unwrap();
        w.write_sample(b"a", 1, true).unwrap();
        w.write_sample(b"b", 1, true).unwrap();
        let file = w.finish().unwrap().into_inner();
        assert!(!file.windows(4).any(|w| w == b"stss"));
        assert!(file.windows(4).any(|w| w == b"stco"));
    }

    #[test]
    fn bad_arguments_are_refused() {
        let new = |c: Mp4VideoConfig| Mp4Writer::new(Cursor::new(Vec::new()), c).map(|_| ());
        let mut c = config();
        c.width = 0;
        assert!(matches!(new(c), Err(Error::InvalidArgument(_))));
        let mut c = config();
        c.timescale = 0;
        assert!(matches!(new(c), Err(Error::InvalidArgument(_))));
        let mut c = config();
        c.decoder_config.clear();
        assert!(matches!(new(c), Err(Error::InvalidArgument(_))));
        let mut c = config();
        c.buffer_size = 1 << 24;
        assert!(matches!(new(c), Err(Error::InvalidArgument(_))));
        let mut out = Cursor::new(vec![0; 4]);
        out.set_position(4);
        assert!(Mp4Writer::new(out, config()).is_err());

        let mut w = Mp4Writer::new(Cursor::new(Vec::new()), config()).unwrap();
        assert!(matches!(
            w.write_sample(b"x", 0, true),
            Err(Error::InvalidArgument(_))
        ));
    }

    /// Fails every write after the first `budget` bytes.
    #[derive(Debug)]
    struct Failing {
        inner: Cursor<Vec<u8>>,
        budget: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.inner.get_ref().len() + buf.len() > self.budget {
                return Err(std::io::Error::other("disk full"));
            }
            self.inner.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Failing {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    #[test]
    fn io_errors_are_returned_and_stick() {
        let out = Failing {
            inner: Cursor::new(Vec::new()),
            budget: 100,
        };
        let mut w = Mp4Writer::new(out, config()).unwrap();
        w.write_sample(&[1; 40], 1, true).unwrap();
        assert!(matches!(
            w.write_sample(&[1; 40], 1, true),
            Err(Error::Io(_))
        ));
        assert!(matches!(
            w.write_sample(b"x", 1, true),
            Err(Error::InvalidArgument(_))
        ));
        assert!(w.finish().is_err());

        let out = Failing {
            inner: Cursor::new(Vec::new()),
            budget: 10,
        };
        assert!(matches!(Mp4Writer::new(out, config()), Err(Error::Io(_))));
        let out = Failing {
            inner: Cursor::new(Vec::new()),
            budget: 200,
        };
        let mut w = Mp4Writer::new(out, config()).unwrap();
        w.write_sample(&[1; 40], 1, true).unwrap();
        assert!(matches!(w.finish(), Err(Error::Io(_))), "moov does not fit");
    }

    /// An output that keeps only writes within the first 1 KiB or past `tail_from`
    /// and throws the sample data in between away, so files over 4 GiB
    /// cost no memory.
    #[derive(Debug, Default)]
    struct Sparse {
        pos: u64,
        head: Vec<u8>,
        tail_from: u64,
        tail: Vec<u8>,
    }

    impl Write for Sparse {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let end = self.pos + buf.len() as u64;
            if end <= 1024 {
                let end = end as usize;
                if self.head.len() < end {
                    self.head.resize(end, 0);
                }
                self.head[self.pos as usize..end].copy_from_slice(buf);
            } else if self.pos >= self.tail_from {
                let at = (self.pos - self.tail_from) as usize;
                self.tail.truncate(at);
                self.tail.extend_from_slice(buf);
            }
            self.pos += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Sparse {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            match pos {
                SeekFrom::Start(p) => self.pos = p,
                SeekFrom::Current(0) => {}
                _ => return Err(std::io::Error::other("unexpected seek")),
            }
            Ok(self.pos)
        }
    }

    #[test]
    fn past_4_gib_mdat_gets_a_largesize_and_offsets_go_64_bit() {
        // Five 1 GiB samples (zeroed lazily by the allocator, never read).
        let sample = vec![0u8; 1 << 30];
        let mut w = Mp4Writer::new(Sparse::default(), config()).unwrap();
        let data_at = w.pos;
        let end = data_at + 5 * (1 << 30);
        w.out.tail_from = end;
        for i in 0..5 {
            w.write_sample(&sample, 3000, i == 0).unwrap();
        }
        let out = w.finish().unwrap();

        // free + mdat became one mdat header with a 64-bit size.
        let free_at = FTYP.len();
        assert_eq!(
            &out.head[free_at..free_at + 8],
            &[0, 0, 0, 1, b'm', b'd', b'a', b't']
        );
        let large = u64::from_be_bytes(out.head[free_at + 8..free_at + 16].try_into().unwrap());
        assert_eq!(free_at as u64 + large, end);
        assert_eq!(data_at, free_at as u64 + 16);

        let moov = &out.tail;
        assert_eq!(&moov[4..8], b"moov");
        assert_eq!(
            u32::from_be_bytes(moov[..4].try_into().unwrap()) as usize,
            moov.len()
        );
        assert!(!moov.windows(4).any(|w| w == b"stco"));
        let at = moov.windows(4).position(|w| w == b"co64").unwrap();
        let co64 = &moov[at + 8..];
        assert_eq!(&co64[..4], &[0, 0, 0, 5], "one chunk per 1 GiB sample");
        for i in 0..5 {
            let offset = u64::from_be_bytes(co64[4 + 8 * i..12 + 8 * i].try_into().unwrap());
            assert_eq!(offset, data_at + (i as u64) * (1 << 30));
        }
    }
}
