//! Raw motion JPEG (`.mjpeg`): complete JPEG images one after another with
//! no container around them, as `ffmpeg -f mjpeg` writes.
//!
//! The stream has no header, so no frame rate: callers supply one
//! ([`DEFAULT_RATE`] is what ffmpeg assumes).
//!
//! Images are split by walking the JPEG marker structure (ITU-T T.81,
//! Annex B) rather than by searching for `FF D9`, which can occur inside
//! segments such as embedded thumbnails:
//!
//! ```text
//! FF D8                         SOI, start of image
//! FF xx LL LL <LL-2 bytes>      marker segments (APPn, DQT, SOFn, DHT, ...);
//!                               LL is big-endian and counts itself
//! FF DA LL LL <header>          SOS, start of scan, then entropy-coded data in
//!   ... FF 00 ...               which FF 00 is a stuffed FF byte and
//!   ... FF D0..D7 ...           RSTn markers stand alone
//! (more segments and scans for progressive images)
//! FF D9                         EOI, end of image
//! ```
//!
//! Any run of `FF` bytes before a marker is fill (T.81 B.1.1.2) and is kept.
//! Bytes between images that are not part of an image (fill, garbage from a
//! capture card) are skipped and counted.

use std::io::{self, Read, Write};

use tessera_core::{Limits, Rational};

use crate::ContainerKind;
use crate::error::{Error, Position, Result};

/// The frame rate to assume for a stream that records none.
pub const DEFAULT_RATE: Rational = Rational::integer(25);

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const TEM: u8 = 0x01;
const RST0: u8 = 0xD0;
const RST7: u8 = 0xD7;

const BUF_SIZE: usize = 64 << 10;

/// Splits a raw motion JPEG stream into complete JPEG images.
#[derive(Debug)]
pub struct MjpegReader<R> {
    reader: R,
    limits: Limits,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    images: u64,
    garbage_total: u64,
    garbage_last: u64,
    failed: bool,
}

impl<R: Read> MjpegReader<R> {
    /// A reader that refuses images over `limits.max_bytes`.
    pub fn new(reader: R, limits: Limits) -> Self {
        MjpegReader {
            reader,
            limits,
            buf: vec![0; BUF_SIZE],
            start: 0,
            end: 0,
            offset: 0,
            images: 0,
            garbage_total: 0,
            garbage_last: 0,
            failed: false,
        }
    }

    /// How many images have been returned.
    pub fn images_read(&self) -> u64 {
        self.images
    }

    /// Bytes skipped outside images so far (fill and garbage between
    /// images, and after the last one).
    pub fn garbage_bytes(&self) -> u64 {
        self.garbage_total
    }

    /// Bytes skipped just before the image last returned (or, after the
    /// end of the stream, after the last image).
    pub fn garbage_before_last(&self) -> u64 {
        self.garbage_last
    }

    /// Stream offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Gives back the underlying reader (buffered bytes are lost).
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The next complete image, `FF D8` to `FF D9` inclusive, or `None` at
    /// the end of the stream. A stream that ends inside an image is
    /// [`Error::Malformed`]; after any error the reader returns `None`.
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

    /// Makes at least one byte available; false at end of stream.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        self.start = 0;
        self.end = 0;
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(n) => {
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.start])
        } else {
            None
        })
    }

    fn bump(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    fn next_image_inner(&mut self) -> Result<Option<Vec<u8>>> {
        // Find SOI, counting what we pass.
        let mut skipped = 0u64;
        let mut prev_ff = false;
        loop {
            let Some(b) = self.peek()? else {
                // A lone trailing FF was counted as garbage already.
                self.garbage_total += skipped;
                self.garbage_last = skipped;
                return Ok(None);
            };
            self.bump(1);
            if prev_ff && b == SOI {
                skipped -= 1; // the FF belongs to the image
                break;
            }
            prev_ff = b == 0xFF;
            skipped += 1;
        }
        self.garbage_total += skipped;
        self.garbage_last = skipped;

        let mut image = Image {
            data: vec![0xFF, SOI],
            limit: self.limits.max_bytes,
            start: self.offset - 2,
            index: self.images,
        };
        let mut have_ff = false;
        loop {
            if !have_ff {
                let b = self.byte(&image)?;
                if b != 0xFF {
                    return Err(image.malformed(
                        self.offset - 1,
                        format!("expected a marker, found byte 0x{b:02X}"),
                    ));
                }
                image.push(&[0xFF])?;
            }
            have_ff = false;
            let mut marker = self.byte(&image)?;
            while marker == 0xFF {
                image.push(&[0xFF])?;
                marker = self.byte(&image)?;
            }
            image.push(&[marker])?;
            match marker {
                EOI => break,
                TEM | RST0..=RST7 => {}
                SOI | 0x00 => {
                    return Err(image.malformed(
                        self.offset - 2,
                        format!("unexpected marker FF {marker:02X}"),
                    ));
                }
                _ => {
                    let hi = self.byte(&image)?;
                    let lo = self.byte(&image)?;
                    image.push(&[hi, lo])?;
                    let len = usize::from(u16::from_be_bytes([hi, lo]));
                    if len < 2 {
                        return Err(image.malformed(
                            self.offset - 2,
                            format!("segment length {len} is below 2"),
                        ));
                    }
                    self.copy(&mut image, len - 2)?;
                    if marker == SOS {
                        self.copy_entropy_coded(&mut image)?;
                        have_ff = true;
                    }
                }
            }
        }
        self.images += 1;
        Ok(Some(image.data))
    }

    fn byte(&mut self, image: &Image) -> Result<u8> {
        match self.peek()? {
            Some(b) => {
                self.bump(1);
                Ok(b)
            }
            None => Err(image.truncated(self.offset)),
        }
    }

    fn copy(&mut self, image: &mut Image, mut n: usize) -> Result<()> {
        while n > 0 {
            if !self.fill()? {
                return Err(image.truncated(self.offset));
            }
            let take = n.min(self.end - self.start);
            image.push(&self.buf[self.start..self.start + take])?;
            self.bump(take);
            n -= take;
        }
        Ok(())
    }

    /// Copies entropy-coded data up to and including the `FF` of the next
    /// marker that ends the scan (anything but `FF 00` and RSTn).
    fn copy_entropy_coded(&mut self, image: &mut Image) -> Result<()> {
        loop {
            if !self.fill()? {
                return Err(image.truncated(self.offset));
            }
            let avail = &self.buf[self.start..self.end];
            match avail.iter().position(|&b| b == 0xFF) {
                None => {
                    let n = avail.len();
                    image.push(avail)?;
                    self.bump(n);
                }
                Some(p) => {
                    image.push(&avail[..=p])?;
                    self.bump(p + 1);
                    match self.peek()? {
                        None => return Err(image.truncated(self.offset)),
                        Some(b) if b == 0x00 || (RST0..=RST7).contains(&b) => {
                            image.push(&[b])?;
                            self.bump(1);
                        }
                        Some(_) => return Ok(()),
                    }
                }
            }
        }
    }
}

/// An image being assembled, with the context for its errors.
struct Image {
    data: Vec<u8>,
    limit: u64,
    /// Stream offset of its SOI.
    start: u64,
    index: u64,
}

impl Image {
    fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let len = self.data.len() as u64 + bytes.len() as u64;
        if len > self.limit {
            return Err(tessera_core::LimitError {
                what: "JPEG image size",
                value: len,
                limit: self.limit,
            }
            .into());
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }

    fn malformed(&self, offset: u64, reason: String) -> Error {
        Error::malformed(
            ContainerKind::Mjpeg,
            Position::in_frame(offset, self.index),
            reason,
        )
    }

    fn truncated(&self, offset: u64) -> Error {
        self.malformed(
            offset,
            format!(
                "stream ends inside the image that starts at byte {}",
                self.start
            ),
        )
    }
}

/// Writes JPEG images back to back.
#[derive(Debug)]
pub struct MjpegWriter<W: Write> {
    writer: W,
    images: u64,
}

impl<W: Write> MjpegWriter<W> {
    pub fn new(writer: W) -> Self {
        MjpegWriter { writer, images: 0 }
    }

    /// Writes one image, which must start with SOI (`FF D8`) and end with
    /// EOI (`FF D9`). The content between is not checked.
    pub fn write_image(&mut self, jpeg: &[u8]) -> Result<()> {
        check_jpeg_ends(jpeg)?;
        self.writer.write_all(jpeg)?;
        self.images += 1;
        Ok(())
    }

    /// How many images have been written.
    pub fn images_written(&self) -> u64 {
        self.images
    }

    /// Flushes and gives back the underlying writer.
    pub fn into_inner(mut self) -> Result<W> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}

/// Checks that `jpeg` starts with SOI and ends with EOI.
pub(crate) fn check_jpeg_ends(jpeg: &[u8]) -> Result<()> {
    if jpeg.len() < 4 || !jpeg.starts_with(&[0xFF, SOI]) || !jpeg.ends_with(&[0xFF, EOI]) {
        return Err(Error::InvalidArgument(
            "a JPEG image must start with FF D8 (SOI) and end with FF D9 (EOI)".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A structurally valid (not decodable) JPEG with a scan that holds
    /// stuffing, a restart marker and an embedded `FF D9` inside an APP
    /// segment.
    fn fake_jpeg(tag: u8) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, tag, 0x00]);
        j.extend_from_slice(&[0xFF, 0xFF, 0xDB, 0x00, 0x03, 0x01]); // fill FF before DQT
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 0x00]);
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x02]); // DHT between scans
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x78, 0xFF, 0xFF, 0xD9]);
        j
    }

    fn split(data: &[u8], limits: Limits) -> (Result<Vec<Vec<u8>>>, u64) {
        let mut r = MjpegReader::new(data, limits);
        let mut images = Vec::new();
        loop {
            match r.next_image() {
                Ok(Some(image)) => images.push(image),
                Ok(None) => return (Ok(images), r.garbage_bytes()),
                Err(e) => return (Err(e), r.garbage_bytes()),
            }
        }
    }

    #[test]
    fn splits_on_structure_and_counts_garbage() {
        let (a, b) = (fake_jpeg(1), fake_jpeg(2));
        let data = [&b"junk"[..], &a, &[0xFF, 0xFF], &b, &[0xFF]].concat();
        let (images, garbage) = split(&data, Limits::default());
        assert_eq!(images.unwrap(), [a, b]);
        assert_eq!(garbage, 4 + 2 + 1);
    }

    #[test]
    fn truncation_is_an_error_naming_the_image() {
        let a = fake_jpeg(1);
        let data = [&a[..], &a[..a.len() - 1]].concat();
        let (result, _) = split(&data, Limits::default());
        match result.unwrap_err() {
            Error::Malformed { position, .. } => assert_eq!(position.frame, Some(1)),
            other => panic!("{other}"),
        }
        for cut in 2..a.len() {
            assert!(split(&a[..cut], Limits::default()).0.is_err(), "{cut}");
        }
    }

    #[test]
    fn images_over_the_limit_are_refused() {
        let a = fake_jpeg(1);
        let limits = Limits {
            max_bytes: a.len() as u64 - 1,
            ..Limits::default()
        };
        let (result, _) = split(&a, limits);
        assert!(matches!(result, Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn writer_checks_image_ends() {
        let mut w = MjpegWriter::new(Vec::new());
        w.write_image(&fake_jpeg(1)).unwrap();
        assert!(w.write_image(&[0xFF, 0xD8]).is_err());
        assert!(w.write_image(b"not a jpeg").is_err());
        assert_eq!(w.images_written(), 1);
        assert_eq!(w.into_inner().unwrap(), fake_jpeg(1));
    }
}
