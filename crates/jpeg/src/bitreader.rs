//! Reading entropy-coded segments: byte unstuffing (0xFF 0x00 -> 0xFF),
//! marker detection and Huffman symbol decoding (T.81 F.2.2).

use crate::error::{JpegError, Result};
use crate::huffman::{DecodeTable, LOOKAHEAD};

/// A bit reader over one entropy-coded segment.
///
/// Bits are kept left-aligned in a 64-bit accumulator. When the data ends
/// or a marker is reached, zero bytes are supplied instead and counted, so
/// that a decoder reading past the end can be told apart from one that only
/// peeked there.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte to load into the accumulator.
    pos: usize,
    acc: u64,
    count: u32,
    /// Zero bytes supplied after the end of the data or at a marker.
    padding: u32,
    /// A marker was reached at `pos` (which points at its 0xFF).
    at_marker: bool,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> BitReader<'a> {
        BitReader {
            data,
            pos,
            acc: 0,
            count: 0,
            padding: 0,
            at_marker: false,
        }
    }

    /// Tops the accumulator up to at least 57 bits.
    #[inline(always)]
    pub fn refill(&mut self) {
        if self.count >= 56 {
            return;
        }
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let word = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
            // No 0xFF byte among the eight: the usual case, no stuffing.
            let inv = !word;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 && !self.at_marker {
                let n = (63 - self.count) / 8;
                self.acc |= (word >> (64 - 8 * n)) << (64 - 8 * n - self.count);
                self.pos += n as usize;
                self.count += 8 * n;
                return;
            }
        }
        self.refill_slow();
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.count <= 56 {
            let byte = if self.at_marker || self.pos >= self.data.len() {
                self.padding += 1;
                0
            } else {
                let b = self.data[self.pos];
                if b != 0xFF {
                    self.pos += 1;
                    b
                } else {
                    match self.data.get(self.pos + 1) {
                        Some(0x00) => {
                            self.pos += 2;
                            0xFF
                        }
                        _ => {
                            self.at_marker = true;
                            self.padding += 1;
                            0
                        }
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    /// The next `n` bits (1-16) without consuming them. Needs a refill
    /// leaving at least `n` bits.
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// Reads `n` bits (1-16) and sign-extends them as T.81 F.2.2.1
    /// (EXTEND) prescribes.
    #[inline(always)]
    pub fn receive_extend(&mut self, n: u32) -> i32 {
        let v = self.peek(n) as i32;
        self.consume(n);
        // Values below 2^(n-1) are negative: v - (2^n - 1).
        if v < (1 << (n - 1)) {
            v - (1 << n) + 1
        } else {
            v
        }
    }

    /// Decodes one Huffman symbol. Needs at least 16 bits in the
    /// accumulator (call [`refill`](Self::refill) first).
    #[inline(always)]
    pub fn decode(&mut self, table: &DecodeTable) -> Result<u8> {
        let entry = table.fast[(self.acc >> (64 - LOOKAHEAD)) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        self.decode_slow(table)
    }

    #[cold]
    fn decode_slow(&mut self, table: &DecodeTable) -> Result<u8> {
        let mut len = LOOKAHEAD as usize + 1;
        let mut code = self.peek(len as u32) as i32;
        while code > table.maxcode[len] {
            len += 1;
            if len > 16 {
                return Err(JpegError::malformed(
                    self.pos,
                    "entropy-coded data holds a code that is not in the Huffman table",
                ));
            }
            code = self.peek(len as u32) as i32;
        }
        self.consume(len as u32);
        let index = (code + table.offset[len]) as usize;
        Ok(table.values[index & 0xFF])
    }

    /// True once the decoder consumed bits that were not in the data.
    #[inline]
    pub fn overran(&self) -> bool {
        self.padding * 8 > self.count
    }

    /// Byte position of the first marker after the data consumed so far.
    /// Skips the remaining bits of the segment.
    pub fn marker_position(&mut self) -> usize {
        self.acc = 0;
        self.count = 0;
        let mut pos = self.pos;
        while pos + 1 < self.data.len() {
            if self.data[pos] == 0xFF && self.data[pos + 1] != 0x00 && self.data[pos + 1] != 0xFF {
                return pos;
            }
            pos += 1;
        }
        self.data.len()
    }

    /// Handles a restart marker (T.81 F.2.2.5 and E.2.4): skips to it,
    /// checks it is `RST<expected>`, and restarts bit reading after it.
    pub fn restart(&mut self, expected: u8) -> Result<()> {
        let pos = self.marker_position();
        let Some(&code) = self.data.get(pos + 1) else {
            return Err(JpegError::Truncated(
                "the data ended where a restart marker was due",
            ));
        };
        if code != 0xD0 + expected {
            return Err(JpegError::malformed(
                pos,
                format!("expected restart marker RST{expected}, found marker 0x{code:02X}"),
            ));
        }
        *self = BitReader::new(self.data, pos + 2);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstuffs_and_stops_at_markers() {
        let data = [0xAB, 0xFF, 0x00, 0x12, 0xFF, 0xD9];
        let mut r = BitReader::new(&data, 0);
        r.refill();
        assert_eq!(r.peek(8), 0xAB);
        r.consume(8);
        assert_eq!(r.peek(16), 0xFF12);
        r.consume(16);
        assert!(!r.overran());
        r.consume(1);
        assert!(r.overran());
        assert_eq!(r.marker_position(), 4);
    }

    #[test]
    fn extend_follows_t81() {
        // 3 bits "010" = 2 in category 3 means -5.
        let data = [0b0101_0000, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut r = BitReader::new(&data, 0);
        r.refill();
        assert_eq!(r.receive_extend(3), -5);
        let data = [0b1100_0000; 9];
        let mut r = BitReader::new(&data, 0);
        r.refill();
        assert_eq!(r.receive_extend(2), 3);
    }
}
