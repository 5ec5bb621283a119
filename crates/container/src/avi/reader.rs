//! Reading the JPEG images of an AVI file's first video stream.

use std::io::{self, Read, Seek, SeekFrom};

use tessera_core::{Limits, Rational};

use super::headers::{BitmapInfoHeader, MainHeader, StreamHeader};
use super::is_mjpeg_fourcc;
use crate::ContainerKind;
use crate::error::{Error, Position, Result};
use crate::io_util::{fourcc, read_fill, read_up_to, u32_le};

/// What the headers of an AVI file say about its video stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AviInfo {
    pub width: u32,
    pub height: u32,
    /// Frames per second, from the stream header (`dwRate / dwScale`), or
    /// from `avih` when that is zero, or 25 when both are.
    pub rate: Rational,
    /// Frame count from the headers: OpenDML `dmlh` if present, else the
    /// stream's `dwLength`, else `avih`'s `dwTotalFrames`. Not checked
    /// against the chunks actually present.
    pub frame_count: u64,
    /// `biCompression` of the video stream, e.g. `*b"MJPG"`.
    pub fourcc: [u8; 4],
    /// `fccHandler` of the video stream's header (may be blank).
    pub handler: [u8; 4],
    /// Number of the video stream (its chunks are `NNdc`).
    pub stream_index: u32,
    /// Number of streams (`strl` lists) in the file.
    pub stream_count: u32,
    /// True if the video stream has an OpenDML `indx` super index, as files
    /// with `RIFF AVIX` segments do. (A `dmlh` total frame count alone,
    /// which ffmpeg writes in every file, does not count.)
    pub open_dml: bool,
    /// The largest chunk the headers announce.
    pub suggested_buffer_size: u32,
}

/// Where a container being walked ends, and what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    /// The file itself: holds RIFF segments.
    File,
    /// A RIFF segment: holds `LIST movi`, `idx1`, ...
    Riff,
    /// A `LIST movi` or `LIST rec `: holds stream chunks.
    Movi,
}

/// Deepest nesting of containers followed; deeper lists are skipped.
const MAX_DEPTH: usize = 16;

/// Reads the JPEG images of an AVI file's first video stream in file
/// order, following OpenDML `RIFF AVIX` segments, without using the index.
///
/// The reader seeks a lot; wrap files in a [`std::io::BufReader`] (its
/// `seek_relative` keeps the buffer for short skips).
#[derive(Debug)]
pub struct AviReader<R> {
    reader: R,
    limits: Limits,
    info: AviInfo,
    /// Chunk ids of the video stream: `NNdc` and `NNdb`.
    ids: [[u8; 4]; 2],
    file_len: u64,
    /// Offset of the next chunk header to look at.
    pos: u64,
    /// Offset the underlying reader is at.
    stream_pos: u64,
    stack: Vec<(u64, Level)>,
    images: u64,
    empty_chunks: u64,
    failed: bool,
}

impl<R: Read + Seek> AviReader<R> {
    /// Reads the headers up to the first `movi` list and picks the first
    /// video stream, which must be motion JPEG.
    pub fn new(mut reader: R, limits: Limits) -> Result<Self> {
        let file_len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let mut head = [0u8; 12];
        let got = read_fill(&mut reader, &mut head)?;
        if got < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"AVI " {
            return Err(malformed(0, "not a RIFF AVI file"));
        }
        let riff_end = container_end(0, u32_le(&head, 4).unwrap_or(0), file_len);

        let mut this = AviReader {
            reader,
            limits,
            info: AviInfo {
                width: 0,
                height: 0,
                rate: Rational::integer(25),
                frame_count: 0,
                fourcc: [0; 4],
                handler: [0; 4],
                stream_index: 0,
                stream_count: 0,
                open_dml: false,
                suggested_buffer_size: 0,
            },
            ids: [[0; 4]; 2],
            file_len,
            pos: 12,
            stream_pos: 12,
            stack: vec![(file_len, Level::File), (riff_end, Level::Riff)],
            images: 0,
            empty_chunks: 0,
            failed: false,
        };

        let mut have_headers = false;
        loop {
            let at = this.pos;
            let Some((id, size)) = this.chunk_header(at, riff_end)? else {
                return Err(malformed(at, "no 'LIST movi' in the first RIFF segment"));
            };
            let next = chunk_next(at, size);
            // A zero size is what an unfinished recording leaves.
            if &id == b"LIST" && (size >= 4 || size == 0) {
                let list_type = this.read_fourcc(at + 8)?;
                match &list_type {
                    b"hdrl" if size >= 4 => {
                        limits.check_bytes(u64::from(size))?;
                        let body = this.read_body(at + 12, u64::from(size) - 4)?;
                        this.parse_hdrl(&body, at + 12)?;
                        have_headers = true;
                    }
                    b"movi" => {
                        if !have_headers {
                            return Err(malformed(at, "'LIST movi' comes before 'LIST hdrl'"));
                        }
                        let end = container_end(at, size, riff_end);
                        this.stack.push((end, Level::Movi));
                        this.pos = at + 12;
                        return Ok(this);
                    }
                    _ => {}
                }
            }
            this.pos = next;
        }
    }

    /// The video stream's properties.
    pub fn info(&self) -> &AviInfo {
        &self.info
    }

    /// How many images have been returned.
    pub fn images_read(&self) -> u64 {
        self.images
    }

    /// How many zero-length video chunks were skipped. In AVI an empty
    /// chunk means "repeat the previous frame"; callers that need exact
    /// timing can count them here.
    pub fn empty_chunks(&self) -> u64 {
        self.empty_chunks
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The next JPEG image of the video stream, in file order, or `None`
    /// after the last segment. A chunk that runs past the end of the file
    /// is [`Error::Malformed`] naming the image index; after any error the
    /// reader returns `None`.
    pub fn next_image(&mut self) -> Result<Option<Vec<u8>>> {
        if self.failed {
            return Ok(None);
        }
        let result = self.next_image_inner();
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn next_image_inner(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let Some(&(end, level)) = self.stack.last() else {
                return Ok(None);
            };
            let at = self.pos;
            let Some((id, size)) = self.chunk_header(at, end)? else {
                self.stack.pop();
                self.pos = self.pos.max(end);
                continue;
            };
            let next = chunk_next(at, size);
            if (&id == b"LIST" || &id == b"RIFF") && (size >= 4 || size == 0) {
                let kind = self.read_fourcc(at + 8)?;
                let enter = match (level, &id, &kind) {
                    // Found inside another list only when that list's size
                    // was left unfinished (zero).
                    (_, b"RIFF", b"AVIX") => Some(Level::Riff),
                    (Level::Riff | Level::Movi, b"LIST", b"movi" | b"rec ") => Some(Level::Movi),
                    _ => None,
                };
                if let Some(inner) = enter.filter(|_| self.stack.len() < MAX_DEPTH) {
                    let inner_end = container_end(at, size, end);
                    self.stack.push((inner_end, inner));
                    self.pos = at + 12;
                    continue;
                }
            } else if level == Level::Movi && self.ids.contains(&id) {
                self.pos = next;
                if size == 0 {
                    self.empty_chunks += 1;
                    continue;
                }
                let index = self.images;
                self.limits.check_bytes(u64::from(size))?;
                let data_end = at + 8 + u64::from(size);
                if data_end > self.file_len {
                    return Err(Error::malformed(
                        ContainerKind::Avi,
                        Position::in_frame(at, index),
                        format!(
                            "truncated image: the {size}-byte chunk runs {} bytes past the end of the file",
                            data_end - self.file_len
                        ),
                    ));
                }
                let data = self.read_body(at + 8, u64::from(size))?;
                self.images += 1;
                return Ok(Some(data));
            }
            self.pos = next;
        }
    }

    /// Reads the 8-byte header of the chunk at `at` if one fits before
    /// `end`.
    fn chunk_header(&mut self, at: u64, end: u64) -> Result<Option<([u8; 4], u32)>> {
        if at.saturating_add(8) > end {
            return Ok(None);
        }
        let mut h = [0u8; 8];
        self.seek_to(at)?;
        let got = read_fill(&mut self.reader, &mut h)?;
        self.stream_pos += got as u64;
        if got < 8 {
            return Ok(None);
        }
        Ok(Some((
            fourcc(&h, 0).unwrap_or_default(),
            u32_le(&h, 4).unwrap_or(0),
        )))
    }

    fn read_fourcc(&mut self, at: u64) -> Result<[u8; 4]> {
        let mut b = [0u8; 4];
        self.seek_to(at)?;
        let got = read_fill(&mut self.reader, &mut b)?;
        self.stream_pos += got as u64;
        if got < 4 {
            return Err(malformed(at, "file ends inside a list header"));
        }
        Ok(b)
    }

    /// Reads `len` bytes at `at`; the caller has checked `len` against the
    /// limits.
    fn read_body(&mut self, at: u64, len: u64) -> Result<Vec<u8>> {
        self.seek_to(at)?;
        let want = usize::try_from(len).map_err(|_| malformed(at, "chunk too large"))?;
        let mut data = Vec::new();
        let got = read_up_to(&mut self.reader, want, &mut data)?;
        self.stream_pos += got as u64;
        if got < want {
            return Err(Error::malformed(
                ContainerKind::Avi,
                Position {
                    offset: Some(at),
                    frame: Some(self.images),
                },
                format!("file ends after {got} of {want} chunk bytes"),
            ));
        }
        Ok(data)
    }

    fn seek_to(&mut self, at: u64) -> io::Result<()> {
        if at != self.stream_pos {
            let delta = i128::from(at) - i128::from(self.stream_pos);
            match i64::try_from(delta) {
                Ok(d) => self.reader.seek_relative(d)?,
                Err(_) => {
                    self.reader.seek(SeekFrom::Start(at))?;
                }
            }
            self.stream_pos = at;
        }
        Ok(())
    }

    /// Parses the body of `LIST hdrl` (which starts at file offset `base`).
    fn parse_hdrl(&mut self, body: &[u8], base: u64) -> Result<()> {
        let mut main = None;
        let mut dmlh_frames = None;
        let mut streams: Vec<(Option<StreamHeader>, Option<Vec<u8>>)> = Vec::new();
        for (at, id, data) in sub_chunks(body) {
            let offset = base + at as u64;
            match (&id, fourcc(data, 0)) {
                (b"avih", _) => {
                    main = Some(
                        MainHeader::parse(data)
                            .ok_or_else(|| malformed(offset, "'avih' is too short"))?,
                    );
                }
                (b"LIST", Some(list)) if &list == b"strl" => {
                    let mut strh = None;
                    let mut strf = None;
                    for (_, id, data) in sub_chunks(&data[4..]) {
                        match &id {
                            b"strh" => strh = StreamHeader::parse(data),
                            b"strf" => strf = Some(data.to_vec()),
                            b"indx" => self.info.open_dml = true,
                            _ => {}
                        }
                    }
                    streams.push((strh, strf));
                }
                (b"LIST", Some(list)) if &list == b"odml" => {
                    for (_, id, data) in sub_chunks(&data[4..]) {
                        if &id == b"dmlh" {
                            dmlh_frames = u32_le(data, 0);
                        }
                    }
                }
                _ => {}
            }
        }
        let main = main.ok_or_else(|| malformed(base, "'LIST hdrl' has no 'avih'"))?;
        let (index, strh, strf) = streams
            .iter()
            .enumerate()
            .find_map(|(i, (strh, strf))| match strh {
                Some(h) if &h.fcc_type == b"vids" => Some((i, h, strf)),
                _ => None,
            })
            .ok_or_else(|| {
                Error::unsupported(ContainerKind::Avi, "the file has no video stream")
            })?;
        let bih = strf
            .as_deref()
            .and_then(BitmapInfoHeader::parse)
            .ok_or_else(|| malformed(base, "the video stream has no BITMAPINFOHEADER 'strf'"))?;
        if !is_mjpeg_fourcc(bih.compression) {
            return Err(Error::unsupported(
                ContainerKind::Avi,
                format!(
                    "video codec {}: only motion JPEG (MJPG) is supported",
                    fourcc_name(bih.compression)
                ),
            ));
        }
        if index > 99 {
            return Err(Error::unsupported(
                ContainerKind::Avi,
                "video stream number above 99",
            ));
        }
        let (width, height) = match (bih.width, bih.height) {
            (w, h) if w > 0 && h != 0 => (w.unsigned_abs(), h.unsigned_abs()),
            _ => (main.width, main.height),
        };
        if width == 0 || height == 0 {
            return Err(malformed(base, "the video stream has no picture size"));
        }
        self.limits
            .check_dimensions(u64::from(width), u64::from(height))?;
        let rate = Rational::new(strh.rate, strh.scale)
            .or_else(|| Rational::new(1_000_000, main.micro_sec_per_frame))
            .unwrap_or(Rational::integer(25));
        let frame_count = match dmlh_frames {
            Some(n) if n > 0 => n,
            _ if strh.length > 0 => strh.length,
            _ => main.total_frames,
        };
        let digits = [b'0' + (index / 10) as u8, b'0' + (index % 10) as u8];
        self.ids = [
            [digits[0], digits[1], b'd', b'c'],
            [digits[0], digits[1], b'd', b'b'],
        ];
        self.info = AviInfo {
            width,
            height,
            rate,
            frame_count: u64::from(frame_count),
            fourcc: bih.compression,
            handler: strh.handler,
            stream_index: index as u32,
            stream_count: streams.len() as u32,
            open_dml: self.info.open_dml,
            suggested_buffer_size: strh.suggested_buffer_size.max(main.suggested_buffer_size),
        };
        Ok(())
    }
}

/// A FOURCC for messages: printable as text, otherwise as hex.
fn fourcc_name(f: [u8; 4]) -> String {
    if f.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("'{}'", String::from_utf8_lossy(&f))
    } else {
        format!("0x{:08X}", u32::from_le_bytes(f))
    }
}

fn malformed(offset: u64, reason: impl Into<String>) -> Error {
    Error::malformed(ContainerKind::Avi, Position::at(offset), reason)
}

/// Offset just past the chunk at `at` with `size` data bytes and padding.
fn chunk_next(at: u64, size: u32) -> u64 {
    at + 8 + u64::from(size) + u64::from(size & 1)
}

/// Where a RIFF or LIST at `at` ends: its size, clamped to the parent's end;
/// a size of zero (left by a writer that never finished) means "to the
/// parent's end".
fn container_end(at: u64, size: u32, parent_end: u64) -> u64 {
    if size == 0 {
        return parent_end;
    }
    (at + 8 + u64::from(size)).min(parent_end)
}

/// The chunks inside an in-memory list body: `(offset, id, data)`. Stops
/// at the first chunk that does not fit; data is clamped to the body.
fn sub_chunks(body: &[u8]) -> impl Iterator<Item = (usize, [u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let id = fourcc(body, at)?;
        let size = u32_le(body, at + 4)? as usize;
        let start = at + 8;
        let end = start.saturating_add(size).min(body.len());
        let chunk = (at, id, &body[start..end]);
        at = start.saturating_add(size).saturating_add(size & 1);
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = id.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn list(id: &[u8; 4], kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        chunk(id, &[&kind[..], body].concat())
    }

    /// A hand-made file: audio as stream 0 and video as stream 1, `JUNK`,
    /// `LIST rec `, odd sizes, an empty (repeat) chunk, a `db` chunk and an
    /// `AVIX` segment; `info` describes the video stream.
    fn hand_made(compression: &[u8; 4]) -> Vec<u8> {
        let avih = MainHeader {
            total_frames: 4,
            streams: 2,
            width: 8,
            height: 8,
            ..MainHeader::default()
        };
        let auds = StreamHeader {
            fcc_type: *b"auds",
            ..StreamHeader::default()
        };
        let vids = StreamHeader {
            fcc_type: *b"vids",
            scale: 2,
            rate: 25,
            length: 5,
            ..StreamHeader::default()
        };
        let bih = BitmapInfoHeader {
            width: 8,
            height: -8,
            compression: *compression,
            ..BitmapInfoHeader::default()
        };
        let hdrl = [
            chunk(b"avih", &avih.to_bytes()),
            list(
                b"LIST",
                b"strl",
                &[chunk(b"strh", &auds.to_bytes()), chunk(b"strf", &[0; 18])].concat(),
            ),
            list(
                b"LIST",
                b"strl",
                &[
                    chunk(b"strh", &vids.to_bytes()),
                    chunk(b"strf", &bih.to_bytes()),
                ]
                .concat(),
            ),
        ]
        .concat();
        let movi = [
            chunk(b"JUNK", &[0; 5]),
            chunk(b"00wb", &[1; 7]),
            chunk(b"01dc", b"one"),
            list(
                b"LIST",
                b"rec ",
                &[chunk(b"00wb", &[2; 3]), chunk(b"01dc", b"two!")].concat(),
            ),
            chunk(b"01dc", b""),
            chunk(b"01db", b"three"),
        ]
        .concat();
        let first = list(
            b"RIFF",
            b"AVI ",
            &[
                list(b"LIST", b"hdrl", &hdrl),
                chunk(b"JUNK", &[0; 3]),
                list(b"LIST", b"movi", &movi),
                chunk(b"idx1", &[0; 16]),
            ]
            .concat(),
        );
        let second = list(
            b"RIFF",
            b"AVIX",
            &list(
                b"LIST",
                b"movi",
                &[chunk(b"01dc", b"four"), chunk(b"ix01", &[0; 8])].concat(),
            ),
        );
        [first, second].concat()
    }

    fn images(data: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut r = AviReader::new(io::Cursor::new(data), Limits::default())?;
        let mut out = Vec::new();
        while let Some(image) = r.next_image()? {
            out.push(image);
        }
        assert_eq!(r.empty_chunks(), 1);
        Ok(out)
    }

    #[test]
    fn walks_rec_lists_junk_padding_and_avix_segments() {
        let data = hand_made(b"mjpg");
        let r = AviReader::new(io::Cursor::new(&data), Limits::default()).unwrap();
        let info = r.info();
        assert_eq!((info.width, info.height), (8, 8));
        assert_eq!(info.rate, Rational::new(25, 2).unwrap());
        assert_eq!(info.frame_count, 5);
        assert_eq!((info.stream_index, info.stream_count), (1, 2));
        let got = images(&data).unwrap();
        assert_eq!(got, [&b"one"[..], b"two!", b"three", b"four"]);
    }

    #[test]
    fn other_codecs_are_unsupported() {
        let err =
            AviReader::new(io::Cursor::new(hand_made(b"H264")), Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("'H264'"), "{err}");
    }

    #[test]
    fn unfinished_sizes_read_to_the_end_of_the_file() {
        // A recorder that died leaves RIFF and movi sizes at zero.
        let mut data = hand_made(b"MJPG");
        data[4..8].copy_from_slice(&[0; 4]);
        let movi = data.windows(4).position(|w| w == b"movi").unwrap();
        data[movi - 4..movi].copy_from_slice(&[0; 4]);
        let got = images(&data).unwrap();
        // idx1 is skipped inside the over-long movi; the AVIX segment is
        // still found.
        assert_eq!(got, [&b"one"[..], b"two!", b"three", b"four"]);
    }

    #[test]
    fn sub_chunks_clamp_and_pad() {
        let body = b"abcd\x03\0\0\0xyz\0efgh\x10\0\0\0tail";
        let chunks: Vec<_> = sub_chunks(body).collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0], (0, *b"abcd", &b"xyz"[..]));
        assert_eq!(chunks[1], (12, *b"efgh", &b"tail"[..]));
    }

    #[test]
    fn container_ends() {
        assert_eq!(container_end(12, 0, 100), 100);
        assert_eq!(container_end(12, 20, 100), 40);
        assert_eq!(container_end(12, u32::MAX, 100), 100);
        assert_eq!(fourcc_name(*b"MJPG"), "'MJPG'");
        assert_eq!(fourcc_name([0, 0, 0, 0]), "0x00000000");
    }
}
