//! Big-endian bit writer and reader for MPEG-4 Visual bitstreams.
//!
//! Both are MSB-first as ISO/IEC 14496-2 clause 5 defines `bslbf`/`uimsbf`.
//! The reader never panics on short input: reading past the end yields an
//! error the caller turns into a decode error with a bit position.

use crate::error::{Error, Result};

/// Accumulates bits MSB-first into a byte vector.
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Pending bits: the low `nbits` (< 32) of `acc`, oldest first.
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Appends the low `n` bits of `value` (n <= 32).
    #[inline]
    pub fn put(&mut self, n: u32, value: u32) {
        debug_assert!(n <= 32);
        debug_assert!(
            n == 32 || value >> n == 0,
            "value {value:#x} wider than {n} bits"
        );
        if n == 0 {
            return;
        }
        // nbits < 32 before, so at most 63 bits are pending here.
        self.acc = (self.acc << n) | u64::from(value);
        self.nbits += n;
        if self.nbits >= 32 {
            self.nbits -= 32;
            let word = (self.acc >> self.nbits) as u32;
            self.bytes.extend_from_slice(&word.to_be_bytes());
            self.acc &= (1u64 << self.nbits) - 1;
        }
    }

    #[inline]
    pub fn put_bit(&mut self, bit: bool) {
        self.put(1, u32::from(bit));
    }

    /// A `marker_bit` (always 1).
    #[inline]
    pub fn marker(&mut self) {
        self.put(1, 1);
    }

    /// Number of bits written so far.
    pub fn bit_len(&self) -> u64 {
        self.bytes.len() as u64 * 8 + u64::from(self.nbits)
    }

    pub fn is_byte_aligned(&self) -> bool {
        self.nbits.is_multiple_of(8)
    }

    /// Moves whole pending bytes into the vector.
    fn flush_bytes(&mut self) {
        while self.nbits >= 8 {
            self.nbits -= 8;
            self.bytes.push((self.acc >> self.nbits) as u8);
        }
        self.acc &= (1u64 << self.nbits) - 1;
    }

    /// `next_start_code()` stuffing (6.2.1): one 0 bit then 1 bits up to the
    /// byte boundary. Always writes between 1 and 8 bits.
    pub fn stuff_to_byte(&mut self) {
        self.put(1, 0);
        let pad = (8 - self.nbits % 8) % 8;
        self.put(pad, (1 << pad) - 1);
    }

    /// Zero bits up to the byte boundary (used before start codes in headers
    /// whose syntax already ends aligned, and for user data).
    pub fn align_zero(&mut self) {
        let pad = (8 - self.nbits % 8) % 8;
        self.put(pad, 0);
    }

    /// Appends another writer's bits (which need not be byte aligned).
    pub fn append(&mut self, other: &BitWriter) {
        if self.is_byte_aligned() {
            self.flush_bytes();
            self.bytes.extend_from_slice(&other.bytes);
        } else {
            let mut chunks = other.bytes.chunks_exact(4);
            for c in &mut chunks {
                self.put(32, u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
            }
            for &b in chunks.remainder() {
                self.put(8, u32::from(b));
            }
        }
        self.put(other.nbits, other.acc as u32);
    }

    /// The bytes written; the writer must be byte aligned.
    pub fn into_bytes(mut self) -> Vec<u8> {
        assert!(self.is_byte_aligned(), "into_bytes on an unaligned writer");
        self.flush_bytes();
        self.bytes
    }

    /// The bytes written so far; the writer must be byte aligned.
    pub fn as_bytes(&mut self) -> &[u8] {
        assert!(self.is_byte_aligned(), "as_bytes on an unaligned writer");
        self.flush_bytes();
        &self.bytes
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.acc = 0;
        self.nbits = 0;
    }
}

/// Reads bits MSB-first from a byte slice.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> BitReader<'a> {
        BitReader { data, pos: 0 }
    }

    /// Bit position from the start of the slice.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    pub fn is_byte_aligned(&self) -> bool {
        self.pos.is_multiple_of(8)
    }

    /// The next 32 bits without consuming them; bits past the end read as 0.
    #[inline]
    pub fn peek32(&self) -> u32 {
        let byte = self.pos / 8;
        let shift = self.pos % 8;
        let mut word = 0u64;
        for i in 0..5 {
            let b = self.data.get(byte + i).copied().unwrap_or(0);
            word = (word << 8) | u64::from(b);
        }
        ((word << shift) >> 8) as u32
    }

    /// The next `n` bits (n <= 32) without consuming them.
    #[inline]
    pub fn peek(&self, n: u32) -> u32 {
        debug_assert!(n <= 32);
        if n == 0 { 0 } else { self.peek32() >> (32 - n) }
    }

    #[inline]
    pub fn skip(&mut self, n: u32) -> Result<()> {
        if (n as usize) > self.bits_left() {
            return Err(Error::Truncated { bit: self.pos });
        }
        self.pos += n as usize;
        Ok(())
    }

    #[inline]
    pub fn get(&mut self, n: u32) -> Result<u32> {
        let v = self.peek(n);
        self.skip(n)?;
        Ok(v)
    }

    #[inline]
    pub fn get_bit(&mut self) -> Result<bool> {
        Ok(self.get(1)? == 1)
    }

    /// Reads a `marker_bit`; a 0 is a syntax error.
    pub fn marker(&mut self, what: &'static str) -> Result<()> {
        let bit = self.pos;
        if self.get_bit()? {
            Ok(())
        } else {
            Err(Error::Syntax {
                bit,
                what: "marker bit",
                detail: what.to_string(),
            })
        }
    }

    /// Skips `next_start_code()` stuffing: a 0 bit then 1 bits to the byte
    /// boundary (6.2.1). Lenient about the stuffing's value as decoders are.
    pub fn skip_stuffing(&mut self) -> Result<()> {
        let pad = 8 - (self.pos % 8);
        self.skip(pad as u32)
    }

    /// Whether the stuffing before the next byte boundary is valid
    /// `next_start_code()` stuffing (0 followed by 1s, 1 to 8 bits).
    pub fn at_valid_stuffing(&self) -> bool {
        let pad = 8 - (self.pos % 8) as u32;
        if self.bits_left() < pad as usize {
            return false;
        }
        self.peek(pad) == (1 << (pad - 1)) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_mixed_widths() {
        let mut w = BitWriter::new();
        let items: Vec<(u32, u32)> = vec![
            (1, 1),
            (3, 5),
            (32, 0xdead_beef),
            (7, 0x55),
            (13, 0x1abc),
            (0, 0),
            (17, 0x1_0001),
        ];
        for &(n, v) in &items {
            w.put(n, v);
        }
        let total: u32 = items.iter().map(|&(n, _)| n).sum();
        assert_eq!(w.bit_len(), u64::from(total));
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for &(n, v) in &items {
            assert_eq!(r.get(n).unwrap(), v);
        }
        assert!(r.at_valid_stuffing());
        r.skip_stuffing().unwrap();
        assert_eq!(r.bits_left(), 0);
        assert!(r.get(1).is_err());
    }

    #[test]
    fn stuffing_is_one_to_eight_bits() {
        for pre in 0..8 {
            let mut w = BitWriter::new();
            w.put(pre, 0);
            w.stuff_to_byte();
            let len = w.bit_len();
            assert_eq!(len % 8, 0);
            assert!(len - u64::from(pre) >= 1 && len - u64::from(pre) <= 8);
        }
    }

    #[test]
    fn append_unaligned() {
        let mut a = BitWriter::new();
        a.put(3, 0b101);
        let mut b = BitWriter::new();
        b.put(11, 0x5a5);
        b.put(2, 0b11);
        a.append(&b);
        a.put(0, 0);
        assert_eq!(a.bit_len(), 16);
        let bytes = a.into_bytes();
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.get(3).unwrap(), 0b101);
        assert_eq!(r.get(11).unwrap(), 0x5a5);
        assert_eq!(r.get(2).unwrap(), 0b11);
    }
}
