//! Reading a YUV4MPEG2 stream frame by frame.

use std::io::{self, Read};

use tessera_core::{Frame, Limits, Plane};

use super::header::{MAGIC, Y4mHeader};
use crate::ContainerKind;
use crate::error::{Error, Position, Result};
use crate::io_util::{read_fill, read_up_to};

/// Longest header or `FRAME` line accepted, in bytes.
const MAX_LINE: usize = 4096;

/// Reads frames from a YUV4MPEG2 stream.
///
/// The reader reads the `FRAME` lines a byte at a time, so wrap files in a
/// [`std::io::BufReader`].
#[derive(Debug)]
pub struct Y4mReader<R> {
    reader: R,
    header: Y4mHeader,
    /// Index of the next frame.
    frame_index: u64,
    /// Byte offset of the next unread byte.
    offset: u64,
    /// Set after an error: the stream position is no longer trustworthy.
    failed: bool,
}

impl<R: Read> Y4mReader<R> {
    /// Reads and checks the stream header.
    pub fn new(mut reader: R, limits: Limits) -> Result<Self> {
        let mut line = Vec::new();
        let ended = read_line(&mut reader, &mut line)?;
        let truncated = || {
            Error::malformed(
                ContainerKind::Y4m,
                Position::at(line.len() as u64),
                "stream ends inside the header line",
            )
        };
        if !line.starts_with(MAGIC) {
            if MAGIC.starts_with(&line) && !ended {
                return Err(truncated());
            }
            return Err(Error::malformed(
                ContainerKind::Y4m,
                Position::at(0),
                "missing YUV4MPEG2 signature",
            ));
        }
        if !ended {
            return Err(if line.len() >= MAX_LINE {
                Error::malformed(
                    ContainerKind::Y4m,
                    Position::at(0),
                    format!("header line longer than {MAX_LINE} bytes"),
                )
            } else {
                truncated()
            });
        }
        let header = Y4mHeader::parse_tags(&line[MAGIC.len()..line.len() - 1], &limits)?;
        Ok(Y4mReader {
            reader,
            header,
            frame_index: 0,
            offset: line.len() as u64,
            failed: false,
        })
    }

    /// The stream header.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// How many frames have been read so far.
    pub fn frames_read(&self) -> u64 {
        self.frame_index
    }

    /// Reads the next frame, or `None` at the end of the stream. Planes come
    /// back packed (`stride == width`).
    ///
    /// A stream that ends inside a frame is [`Error::Malformed`] naming the
    /// frame's index. After any error the reader returns `None`.
    pub fn read_frame(&mut self) -> Result<Option<Frame>> {
        let mut frame = Frame {
            width: 0,
            height: 0,
            format: self.header.format,
            planes: Vec::new(),
        };
        Ok(self.read_frame_into(&mut frame)?.then_some(frame))
    }

    /// Reads the next frame into `frame`; `false` at the end of the stream
    /// (`frame` then holds what it held). When `frame` already has this
    /// stream's geometry with packed planes (a frame this reader returned
    /// before, say), the samples go straight into its memory: no
    /// allocation, no copy. Otherwise it is replaced, as
    /// [`Self::read_frame`] would make it. Errors as `read_frame`; after an
    /// error `frame`'s samples are unspecified.
    pub fn read_frame_into(&mut self, frame: &mut Frame) -> Result<bool> {
        if self.failed {
            return Ok(false);
        }
        let result = self.read_frame_inner(frame);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn malformed(&self, offset: u64, reason: String) -> Error {
        Error::malformed(
            ContainerKind::Y4m,
            Position::in_frame(offset, self.frame_index),
            reason,
        )
    }

    fn read_frame_inner(&mut self, frame: &mut Frame) -> Result<bool> {
        let start = self.offset;
        let mut line = Vec::new();
        let ended = read_line(&mut self.reader, &mut line)?;
        self.offset += line.len() as u64;
        if line.is_empty() {
            return Ok(false);
        }
        const FRAME: &[u8] = b"FRAME";
        let tag_ok = line.starts_with(FRAME) && matches!(line.get(5), None | Some(b' ' | b'\n'));
        let cut_short = FRAME.starts_with(&line) && !ended;
        if !(tag_ok || cut_short) {
            return Err(self.malformed(start, "expected a FRAME line".into()));
        }
        if !ended {
            return Err(self.malformed(
                start,
                if line.len() >= MAX_LINE {
                    format!("FRAME line longer than {MAX_LINE} bytes")
                } else {
                    "truncated frame: the stream ends inside the FRAME line".into()
                },
            ));
        }

        let h = &self.header;
        let (width, height, format) = (h.width, h.height, h.format);
        let expected = h.frame_bytes();
        let reusable = frame.width == width
            && frame.height == height
            && frame.format == format
            && frame.planes.len() == format.plane_count()
            && frame.planes.iter().enumerate().all(|(i, p)| {
                let (w, ph) = format.plane_size(i, width, height);
                p.width == w && p.stride == w && p.height == ph && p.data.len() == w * ph
            });
        if !reusable {
            // Planes grow as bytes arrive, so a header that promises more
            // than the stream holds costs no more memory than it delivers.
            frame.width = width;
            frame.height = height;
            frame.format = format;
            frame.planes.clear();
        }
        let mut got_total = 0;
        for i in 0..format.plane_count() {
            let (w, ph) = format.plane_size(i, width, height);
            let mut data = Vec::new();
            let got = if reusable {
                read_fill(&mut self.reader, &mut frame.planes[i].data)?
            } else {
                read_up_to(&mut self.reader, w * ph, &mut data)?
            };
            got_total += got;
            self.offset += got as u64;
            if got < w * ph {
                return Err(self.malformed(
                    self.offset,
                    format!("truncated frame: {got_total} of {expected} sample bytes"),
                ));
            }
            if !reusable {
                frame.planes.push(Plane::from_packed(w, ph, data));
            }
        }
        self.frame_index += 1;
        Ok(true)
    }

    /// An iterator over the remaining frames; it stops after the first
    /// error.
    pub fn frames(&mut self) -> Frames<'_, R> {
        Frames { reader: self }
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

/// Iterator returned by [`Y4mReader::frames`].
#[derive(Debug)]
pub struct Frames<'a, R> {
    reader: &'a mut Y4mReader<R>,
}

impl<R: Read> Iterator for Frames<'_, R> {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader.read_frame().transpose()
    }
}

/// Reads bytes up to and including `\n`, at most [`MAX_LINE`] of them.
/// Returns whether the newline was reached.
fn read_line<R: Read>(reader: &mut R, line: &mut Vec<u8>) -> io::Result<bool> {
    let mut byte = [0u8; 1];
    while line.len() < MAX_LINE {
        match reader.read(&mut byte) {
            Ok(0) => return Ok(false),
            Ok(_) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::ChromaFormat;

    fn reader(bytes: &[u8]) -> Result<Y4mReader<&[u8]>> {
        Y4mReader::new(bytes, Limits::default())
    }

    #[test]
    fn reads_frames_and_skips_frame_parameters() {
        let mut data = b"YUV4MPEG2 W2 H2 C444\nFRAME\n".to_vec();
        data.extend(0..12u8);
        data.extend_from_slice(b"FRAME Ixyz XFOO\n");
        data.extend(12..24u8);
        let mut r = reader(&data).unwrap();
        assert_eq!(r.header().format, ChromaFormat::Yuv444);
        let a = r.read_frame().unwrap().unwrap();
        assert_eq!(a.to_planar_bytes(), (0..12).collect::<Vec<u8>>());
        let b = r.read_frame().unwrap().unwrap();
        assert_eq!(b.planes[2].data, [20, 21, 22, 23]);
        assert!(r.read_frame().unwrap().is_none());
        assert_eq!(r.frames_read(), 2);
    }

    #[test]
    fn truncated_frame_names_its_index() {
        let mut data = b"YUV4MPEG2 W2 H2 Cmono\nFRAME\n\0\0\0\0FRAME\n\0".to_vec();
        let mut r = reader(&data).unwrap();
        assert!(r.read_frame().unwrap().is_some());
        let err = r.read_frame().unwrap_err();
        match &err {
            Error::Malformed { position, .. } => assert_eq!(position.frame, Some(1)),
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("frame 1"), "{err}");
        assert!(r.read_frame().unwrap().is_none());

        data.truncate(data.len() - 4); // ends inside "FRAME\n"
        let mut r = reader(&data).unwrap();
        assert!(r.read_frame().unwrap().is_some());
        assert!(r.read_frame().unwrap_err().is_malformed());
    }

    #[test]
    fn read_frame_into_reuses_the_planes() {
        let mut data = b"YUV4MPEG2 W4 H2 C420jpeg\nFRAME\n".to_vec();
        data.extend(0..12u8);
        data.extend_from_slice(b"FRAME\n");
        data.extend(100..112u8);
        data.extend_from_slice(b"FRAME\n\x07");
        let mut r = reader(&data).unwrap();
        // A frame of another geometry is replaced.
        let mut frame = Frame::grey(8, 8, ChromaFormat::Yuv444);
        assert!(r.read_frame_into(&mut frame).unwrap());
        assert_eq!((frame.width, frame.height), (4, 2));
        assert_eq!(frame.to_planar_bytes(), (0..12).collect::<Vec<u8>>());
        // The next one lands in the same memory.
        let luma = frame.planes[0].data.as_ptr();
        assert!(r.read_frame_into(&mut frame).unwrap());
        assert_eq!(frame.planes[0].data.as_ptr(), luma);
        assert_eq!(frame.to_planar_bytes(), (100..112).collect::<Vec<u8>>());
        // A short frame is an error naming it, then the reader stops.
        let err = r.read_frame_into(&mut frame).unwrap_err();
        assert!(err.to_string().contains("frame 2"), "{err}");
        assert!(!r.read_frame_into(&mut frame).unwrap());
    }

    #[test]
    fn rejects_bad_signatures_and_lines() {
        assert!(reader(b"").unwrap_err().is_malformed());
        assert!(reader(b"YUV4MPEG").unwrap_err().is_malformed());
        assert!(reader(b"YUV4MPEG3 W2 H2\n").unwrap_err().is_malformed());
        assert!(reader(b"YUV4MPEG2 W2 H2").unwrap_err().is_malformed());
        let long = [b"YUV4MPEG2 W2 H2 ".as_slice(), &[b'X'; 5000], b"\n"].concat();
        assert!(reader(&long).unwrap_err().is_malformed());
        let mut r = reader(b"YUV4MPEG2 W1 H1 Cmono\nFRAMES\n\0").unwrap();
        assert!(r.read_frame().unwrap_err().is_malformed());
    }
}
