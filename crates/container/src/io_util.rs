//! Small reading helpers shared by the parsers.

use std::io::{self, Read};

/// Largest step by which a buffer grows while reading, so that a header
/// that promises more bytes than the stream holds costs at most this much
/// memory beyond what was actually read.
const GROW_STEP: usize = 1 << 20;

/// Appends up to `n` bytes from `reader` to `out`, growing `out` in steps
/// of at most [`GROW_STEP`]. Returns how many bytes were appended, which is
/// less than `n` only at end of stream.
pub(crate) fn read_up_to<R: Read + ?Sized>(
    reader: &mut R,
    n: usize,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    let start = out.len();
    let mut filled = start;
    let end = start + n;
    while filled < end {
        let step = (end - filled).min(GROW_STEP);
        out.resize(filled + step, 0);
        let target = filled + step;
        while filled < target {
            match reader.read(&mut out[filled..target]) {
                Ok(0) => {
                    out.truncate(filled);
                    return Ok(filled - start);
                }
                Ok(k) => filled += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    out.truncate(filled);
                    return Err(e);
                }
            }
        }
    }
    Ok(filled - start)
}

/// Fills `buf` as far as the stream allows; returns the count read.
pub(crate) fn read_fill<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Little-endian field readers over a byte slice, returning `None` past
/// the end instead of panicking.
pub(crate) fn u16_le(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32_le(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn fourcc(data: &[u8], at: usize) -> Option<[u8; 4]> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_up_to_stops_at_end_of_stream() {
        let data = [1u8, 2, 3];
        let mut out = vec![9];
        assert_eq!(read_up_to(&mut &data[..], 10, &mut out).unwrap(), 3);
        assert_eq!(out, [9, 1, 2, 3]);
        let mut out = Vec::new();
        assert_eq!(read_up_to(&mut &data[..], 2, &mut out).unwrap(), 2);
        assert_eq!(out, [1, 2]);
    }

    #[test]
    fn field_readers_do_not_panic_past_the_end() {
        assert_eq!(u32_le(&[1, 0, 0, 0], 0), Some(1));
        assert_eq!(u32_le(&[1, 0, 0], 0), None);
        assert_eq!(u16_le(&[1], usize::MAX), None);
        assert_eq!(fourcc(b"RIFF", 1), None);
    }
}
