//! Writing a YUV4MPEG2 stream.

use std::io::Write;

use tessera_core::Frame;

use super::header::Y4mHeader;
use crate::error::{Error, Result};

/// Writes frames to a YUV4MPEG2 stream; the header goes out on creation.
#[derive(Debug)]
pub struct Y4mWriter<W: Write> {
    writer: W,
    header: Y4mHeader,
    frames: u64,
    buf: Vec<u8>,
}

impl<W: Write> Y4mWriter<W> {
    /// Writes the header line. Extra tags must be non-empty and free of
    /// spaces and newlines, and the picture must not be empty.
    pub fn new(mut writer: W, header: &Y4mHeader) -> Result<Self> {
        if header.width == 0 || header.height == 0 {
            return Err(Error::InvalidArgument(format!(
                "Y4M picture size {}x{} is empty",
                header.width, header.height
            )));
        }
        if let Some(tag) = header
            .extra
            .iter()
            .find(|t| t.is_empty() || t.contains([' ', '\n']))
        {
            return Err(Error::InvalidArgument(format!(
                "Y4M tag {tag:?} is empty or contains a space or newline"
            )));
        }
        writer.write_all(header.to_line().as_bytes())?;
        Ok(Y4mWriter {
            writer,
            header: header.clone(),
            frames: 0,
            buf: Vec::new(),
        })
    }

    /// The header being written.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// Writes one frame; its size and chroma format must match the header.
    pub fn write_frame(&mut self, frame: &Frame) -> Result<()> {
        let h = &self.header;
        if (frame.width, frame.height, frame.format) != (h.width, h.height, h.format) {
            return Err(Error::InvalidArgument(format!(
                "frame is {}x{} {}, the Y4M stream is {}x{} {}",
                frame.width, frame.height, frame.format, h.width, h.height, h.format
            )));
        }
        if !frame.is_consistent() {
            return Err(Error::InvalidArgument(
                "frame planes do not match its size and format".into(),
            ));
        }
        self.buf.clear();
        self.buf.extend_from_slice(b"FRAME\n");
        frame.write_planar_bytes(&mut self.buf);
        self.writer.write_all(&self.buf)?;
        self.frames += 1;
        Ok(())
    }

    /// How many frames have been written.
    pub fn frames_written(&self) -> u64 {
        self.frames
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<()> {
        self.writer.flush()?;
        Ok(())
    }

    /// Flushes and gives back the underlying writer.
    pub fn into_inner(mut self) -> Result<W> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::y4m::Y4mReader;
    use tessera_core::{ChromaFormat, Limits, Rational};

    #[test]
    fn round_trips_every_format() {
        for format in ChromaFormat::ALL {
            let header = Y4mHeader::new(5, 3, Rational::new(25, 2).unwrap(), format);
            let mut w = Y4mWriter::new(Vec::new(), &header).unwrap();
            let n = format.frame_bytes(5, 3);
            let data: Vec<u8> = (0..n).map(|i| (i * 3) as u8).collect();
            let frame = Frame::from_planar_bytes(5, 3, format, &data).unwrap();
            w.write_frame(&frame).unwrap();
            w.write_frame(&frame).unwrap();
            assert!(w.write_frame(&Frame::grey(5, 4, format)).is_err());
            let bytes = w.into_inner().unwrap();
            let mut r = Y4mReader::new(&bytes[..], Limits::default()).unwrap();
            assert_eq!(r.header(), &header);
            let frames: Vec<_> = r.frames().collect::<Result<_>>().unwrap();
            assert_eq!(frames, [frame.clone(), frame]);
        }
    }

    #[test]
    fn rejects_bad_headers() {
        let mut header = Y4mHeader::new(0, 3, Rational::integer(25), ChromaFormat::Mono);
        assert!(Y4mWriter::new(Vec::new(), &header).is_err());
        header.width = 4;
        header.extra.push("X A".into());
        assert!(Y4mWriter::new(Vec::new(), &header).is_err());
    }
}
