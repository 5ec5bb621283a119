//! Binary PGM (Netpbm `P5`) greyscale images: one plane per file, used
//! for per-object mask sequences (see [`crate::scene`]).
//!
//! ```text
//! P5 <whitespace> <width> <ws> <height> <ws> <maxval> <one whitespace byte> <width*height samples>
//! ```
//!
//! Comments (`#` to the end of the line) may appear before the single
//! whitespace byte that ends the header (Netpbm `pgm(5)`). Only 8-bit
//! images (`maxval` 1-255) are read; samples are scaled to 0-255, so a
//! `maxval 1` mask of 0s and 1s reads as 0s and 255s.

use std::io::{Read, Write};

use tessera_core::{Limits, Plane};

use crate::error::{Error, Result};
use crate::io_util::read_up_to;

/// Reads one binary PGM image, checking its size against `limits` before
/// allocating for it.
pub fn read_pgm<R: Read>(mut reader: R, limits: &Limits) -> Result<Plane> {
    let mut header = HeaderReader {
        reader: &mut reader,
        offset: 0,
        peeked: None,
    };
    let magic = [header.byte()?, header.byte()?];
    if magic != *b"P5" {
        return Err(Error::malformed_pgm(0, "missing P5 signature"));
    }
    let width = header.number("width")?;
    let height = header.number("height")?;
    let maxval = header.number("maxval")?;
    // Exactly one whitespace byte ends the header.
    let end = header.byte()?;
    if !end.is_ascii_whitespace() {
        return Err(Error::malformed_pgm(
            header.offset - 1,
            "expected one whitespace byte after maxval",
        ));
    }
    let offset = header.offset;
    if width == 0 || height == 0 {
        return Err(Error::malformed_pgm(
            0,
            format!("image size {width}x{height} is empty"),
        ));
    }
    if !(1..=255).contains(&maxval) {
        return Err(Error::malformed_pgm(
            0,
            format!("maxval {maxval} is not 1-255 (16-bit PGM is not read)"),
        ));
    }
    limits.check_dimensions(width, height)?;
    let (w, h) = (width as usize, height as usize);
    let mut data = Vec::new();
    let got = read_up_to(&mut reader, w * h, &mut data)?;
    if got < w * h {
        return Err(Error::malformed_pgm(
            offset + got as u64,
            format!("truncated image: {got} of {} sample bytes", w * h),
        ));
    }
    if maxval != 255 {
        for v in &mut data {
            if u64::from(*v) > maxval {
                return Err(Error::malformed_pgm(
                    offset,
                    format!("sample {v} above maxval {maxval}"),
                ));
            }
            *v = ((u64::from(*v) * 255 + maxval / 2) / maxval) as u8;
        }
    }
    Ok(Plane::from_packed(w, h, data))
}

/// Writes `plane` as a binary PGM with maxval 255.
pub fn write_pgm<W: Write>(mut writer: W, plane: &Plane) -> Result<()> {
    if plane.width == 0 || plane.height == 0 {
        return Err(Error::InvalidArgument(format!(
            "PGM image size {}x{} is empty",
            plane.width, plane.height
        )));
    }
    let mut bytes = format!("P5\n{} {}\n255\n", plane.width, plane.height).into_bytes();
    for row in plane.rows() {
        bytes.extend_from_slice(row);
    }
    writer.write_all(&bytes)?;
    Ok(())
}

/// Reads the text header a byte at a time.
struct HeaderReader<'a, R> {
    reader: &'a mut R,
    offset: u64,
    peeked: Option<u8>,
}

impl<R: Read> HeaderReader<'_, R> {
    fn byte(&mut self) -> Result<u8> {
        if let Some(b) = self.peeked.take() {
            self.offset += 1;
            return Ok(b);
        }
        let mut b = [0u8];
        let got = crate::io_util::read_fill(self.reader, &mut b)?;
        if got == 0 {
            return Err(Error::malformed_pgm(
                self.offset,
                "stream ends inside the header",
            ));
        }
        self.offset += 1;
        Ok(b[0])
    }

    /// Skips whitespace and comments, then reads a decimal number (at most
    /// ten digits).
    fn number(&mut self, what: &str) -> Result<u64> {
        let mut b = self.byte()?;
        loop {
            if b == b'#' {
                while b != b'\n' && b != b'\r' {
                    b = self.byte()?;
                }
            } else if !b.is_ascii_whitespace() {
                break;
            }
            b = self.byte()?;
        }
        if !b.is_ascii_digit() {
            return Err(Error::malformed_pgm(
                self.offset - 1,
                format!("expected the {what}, found byte 0x{b:02x}"),
            ));
        }
        let mut value = 0u64;
        let mut digits = 0;
        while b.is_ascii_digit() {
            digits += 1;
            if digits > 10 {
                return Err(Error::malformed_pgm(
                    self.offset,
                    format!("{what} has too many digits"),
                ));
            }
            value = value * 10 + u64::from(b - b'0');
            b = self.byte()?;
        }
        // The byte after the digits belongs to what follows.
        self.peeked = Some(b);
        self.offset -= 1;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Plane> {
        read_pgm(bytes, &Limits::default())
    }

    #[test]
    fn round_trips_and_reads_comments_and_small_maxval() {
        let plane = Plane::from_packed(3, 2, vec![0, 255, 7, 8, 9, 10]);
        let mut bytes = Vec::new();
        write_pgm(&mut bytes, &plane).unwrap();
        assert!(bytes.starts_with(b"P5\n3 2\n255\n"));
        assert_eq!(read(&bytes).unwrap(), plane);

        let p = read(b"P5 # a mask\n2 #w\n 1\n1\n\x00\x01").unwrap();
        assert_eq!(p.data, [0, 255]);
    }

    #[test]
    fn rejects_malformed_headers_without_panicking() {
        for bad in [
            &b""[..],
            b"P6\n1 1\n255\n\0",
            b"P5\n1 1\n255",
            b"P5\n1 1\n255\n",
            b"P5\n0 1\n255\n",
            b"P5\n1 1\n65535\n\0\0",
            b"P5\n1 1\n0\n\0",
            b"P5\nx 1\n255\n\0",
            b"P5\n99999999999 1\n255\n",
            b"P5\n2 1\n1\n\x00\x02",
            b"P5\n1 1\n255#\n\0",
        ] {
            let err = read(bad).unwrap_err();
            assert!(
                err.is_malformed() || matches!(err, Error::LimitExceeded(_)),
                "{bad:?}: {err}"
            );
        }
        let err = read(b"P5\n100000 100000\n255\n").unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
        assert!(
            read(b"P5\n2 2\n255\n\0")
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
    }
}
