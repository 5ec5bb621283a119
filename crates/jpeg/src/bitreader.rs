//! Reading entropy-coded segments: byte unstuffing (0xFF 0x00 -> 0xFF),
//! marker detection and Huffman symbol decoding (T.81 F.2.2).

use crate::error::{JpegError, Result};
use crate::huffman::{COMBINED_BITS, DecodeTable, extend};

/// A bit reader over one entropy-coded segment.
///
/// Bits are kept left-aligned in a 64-bit accumulator. When the data ends
/// or a marker is reached, zero bytes are supplied instead and counted, so
/// that a decoder reading past the end can be told apart from one that only
/// peeked there.
///
/// The reader is `Copy` so that a hot loop can work on a local copy held in
/// registers (see `decode_block`): the cold paths take and return the
/// reader by value, so that they never take the address of the caller's
/// copy, which would pin it to memory and put a store and a reload on the
/// accumulator's dependency chain for every symbol.
#[derive(Clone, Copy)]
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
        *self = self.refill_slow();
    }

    /// Makes sure at least 32 bits are buffered: enough for one symbol
    /// and its magnitude bits. Refills (to 57 or more) only below that.
    #[inline(always)]
    pub fn fill(&mut self) {
        if self.count < 32 {
            self.refill();
        }
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Self {
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
        self
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
        extend(v, n)
    }

    /// Decodes one symbol `RRRRSSSS` and the coefficient its `SSSS`
    /// magnitude bits give (T.81 F.2.2.1-F.2.2.2; 0 when `SSSS` is 0).
    /// Needs at least 32 bits buffered (call [`fill`](Self::fill) first).
    #[inline(always)]
    pub fn decode_coefficient(&mut self, table: &DecodeTable) -> Result<(u8, i32)> {
        let entry = table.combined[(self.acc >> (64 - COMBINED_BITS)) as usize];
        let value = entry >> 16;
        if value != 0 {
            self.consume((entry & 0xFF) as u32);
            return Ok(((entry >> 8) as u8, value));
        }
        self.decode_coefficient_slow(table, entry)
    }

    /// The symbol alone, or nothing, was in the combined entry.
    #[inline(always)]
    fn decode_coefficient_slow(&mut self, table: &DecodeTable, entry: i32) -> Result<(u8, i32)> {
        let symbol = if entry != 0 {
            self.consume((entry & 0xFF) as u32);
            (entry >> 8) as u8
        } else {
            let (reader, symbol) = self.decode_slow(table);
            *self = reader;
            symbol?
        };
        let size = u32::from(symbol & 15);
        let value = if size > 0 {
            self.receive_extend(size)
        } else {
            0
        };
        Ok((symbol, value))
    }

    /// Decodes a symbol whose code is longer than the combined lookup
    /// (or not in the table) with the canonical max-code walk of T.81
    /// F.2.2.3.
    #[cold]
    #[inline(never)]
    fn decode_slow(mut self, table: &DecodeTable) -> (Self, Result<u8>) {
        let mut len = COMBINED_BITS as usize + 1;
        let mut code = self.peek(len as u32) as i32;
        while code > table.maxcode[len] {
            len += 1;
            if len > 16 {
                let error = JpegError::malformed(
                    self.pos,
                    "entropy-coded data holds a code that is not in the Huffman table",
                );
                return (self, Err(error));
            }
            code = self.peek(len as u32) as i32;
        }
        self.consume(len as u32);
        let index = (code + table.offset[len]) as usize;
        (self, Ok(table.values[index & 0xFF]))
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
    fn combined_lookup_matches_code_then_bits() {
        use crate::huffman::{EncodeTable, HuffmanSpec, StdTable};
        for which in [StdTable::DcLuma, StdTable::AcLuma, StdTable::AcChroma] {
            let spec = HuffmanSpec::standard(which);
            let (dec, enc) = (
                DecodeTable::new(&spec).unwrap(),
                EncodeTable::new(&spec).unwrap(),
            );
            for &symbol in &spec.values {
                let size = u32::from(symbol & 15);
                let (code, len) = (
                    u64::from(enc.code[usize::from(symbol)]),
                    u32::from(enc.size[usize::from(symbol)]),
                );
                for bits in 0..1u64 << size {
                    // Code, magnitude bits, then a 1 0 1 ... tail.
                    let word = ((code << size | bits) << (64 - len - size))
                        | (0x5555_5555_5555_5555 >> (len + size));
                    let mut data = Vec::new();
                    for b in word.to_be_bytes() {
                        data.push(b);
                        if b == 0xFF {
                            data.push(0); // byte stuffing
                        }
                    }
                    let mut r = BitReader::new(&data, 0);
                    r.refill();
                    let got = r.decode_coefficient(&dec).unwrap();
                    let value = if size > 0 {
                        extend(bits as i32, size)
                    } else {
                        0
                    };
                    assert_eq!(got, (symbol, value), "symbol {symbol:#x} bits {bits:b}");
                    assert_eq!(r.peek(16), ((word << (len + size)) >> 48) as u32);
                }
            }
        }
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
