//! The binary arithmetic coder of context-based arithmetic encoding (CAE),
//! ISO/IEC 14496-2 clause 7.5.3 and its encoder counterpart.
//!
//! A 32-bit coder: `L` (low end) and `R` (range) registers, `R` starting at
//! `2^31 - 1`. A symbol is coded with `p0`, the probability of a 0 in units
//! of 2^-16 (the CAE tables' entries). The less probable symbol (LPS) is 1
//! when `p0 > 1/2`, else 0; its sub-range is `(R >> 16) * p_lps` and lies at
//! the top of the interval. Renormalisation doubles `R` while it is below a
//! quarter, emitting bits with the usual follow-bit counting.
//!
//! Start-code emulation is prevented by bit stuffing: after
//! [`MAX_HEADING`] zero bits at the start of the code, and after
//! [`MAX_MIDDLE`] zero bits anywhere later, a 1 is inserted that the
//! decoder skips. The first bit the coder produces is always 0 and is not
//! sent. Termination sends two or three bits that identify a value inside
//! the final interval, and a final 1 when the code ends in too many zeros
//! (more than [`MAX_MIDDLE`] - [`MAX_TRAILING`]) or has no 1 at all.
//!
//! Both sides use wrapping 32-bit arithmetic exactly as the standard's
//! unsigned registers do, so any input decodes without overflow panics.

use crate::bits::{BitReader, BitWriter};
use crate::error::Result;

const CODE_BITS: u32 = 32;
const HALF: u32 = 1 << (CODE_BITS - 1);
const QUARTER: u32 = 1 << (CODE_BITS - 2);

/// Zero bits allowed at the start of the code before a stuffed 1.
pub const MAX_HEADING: u32 = 3;
/// Zero bits allowed in the middle of the code before a stuffed 1.
pub const MAX_MIDDLE: u32 = 10;
/// Trailing zero bits allowed at the end of the code.
pub const MAX_TRAILING: u32 = 2;

/// The LPS value and its probability (2^-16 units) for `p0`.
#[inline]
fn lps(p0: u16) -> (bool, u32) {
    let c0 = u32::from(p0);
    let c1 = 65536 - c0;
    if c0 > c1 { (true, c1) } else { (false, c0) }
}

/// The two or three termination bits (value and count) for an interval.
fn termination(l: u32, r: u32) -> (u32, u32) {
    let a = l >> (CODE_BITS - 3);
    let mut b = r.wrapping_add(l) >> (CODE_BITS - 3);
    if b == 0 {
        b = 8;
    }
    if b - a >= 4 || (b - a == 3 && a & 1 == 1) {
        ((a >> 1) + 1, 2)
    } else {
        (a + 1, 3)
    }
}

/// CAE arithmetic encoder writing into a [`BitWriter`].
#[derive(Debug, Clone)]
pub struct ArEncoder {
    l: u32,
    r: u32,
    bits_to_follow: u32,
    first_bit: bool,
    nzeros: u32,
    nonzero: bool,
}

impl Default for ArEncoder {
    fn default() -> Self {
        ArEncoder::new()
    }
}

impl ArEncoder {
    pub fn new() -> ArEncoder {
        ArEncoder {
            l: 0,
            r: HALF - 1,
            bits_to_follow: 0,
            first_bit: true,
            nzeros: MAX_HEADING,
            nonzero: false,
        }
    }

    /// Codes `bit` (true = 1, opaque) whose probability of being 0 is `p0`
    /// (2^-16 units, 1..=65535).
    pub fn encode(&mut self, w: &mut BitWriter, bit: bool, p0: u16) {
        let (lps_bit, c_lps) = lps(p0);
        let r_lps = (self.r >> 16).wrapping_mul(c_lps);
        if bit == lps_bit {
            self.l = self.l.wrapping_add(self.r.wrapping_sub(r_lps));
            self.r = r_lps;
        } else {
            self.r = self.r.wrapping_sub(r_lps);
        }
        while self.r < QUARTER {
            if self.l >= HALF {
                self.bit_plus_follow(w, true);
                self.l -= HALF;
            } else if self.l.wrapping_add(self.r) <= HALF {
                self.bit_plus_follow(w, false);
            } else {
                self.bits_to_follow += 1;
                self.l = self.l.wrapping_sub(QUARTER);
            }
            self.l = self.l.wrapping_add(self.l);
            self.r = self.r.wrapping_add(self.r);
        }
    }

    /// Terminates the code (7.5.3 termination and final stuffing).
    pub fn finish(mut self, w: &mut BitWriter) {
        let (bits, n) = termination(self.l, self.r);
        for i in 1..=n {
            self.bit_plus_follow(w, (bits >> (n - i)) & 1 == 1);
        }
        if self.nzeros < MAX_MIDDLE - MAX_TRAILING || !self.nonzero {
            self.bit_plus_follow(w, true);
        }
    }

    fn bit_plus_follow(&mut self, w: &mut BitWriter, bit: bool) {
        if self.first_bit {
            self.first_bit = false;
        } else {
            self.put(w, bit);
        }
        while self.bits_to_follow > 0 {
            self.put(w, !bit);
            self.bits_to_follow -= 1;
        }
    }

    fn put(&mut self, w: &mut BitWriter, bit: bool) {
        w.put_bit(bit);
        if bit {
            self.nonzero = true;
            self.nzeros = MAX_MIDDLE;
        } else {
            self.nzeros -= 1;
            if self.nzeros == 0 {
                w.put_bit(true);
                self.nonzero = true;
                self.nzeros = MAX_MIDDLE;
            }
        }
    }
}

/// CAE arithmetic decoder reading from a [`BitReader`]. It looks up to 31
/// bits (plus stuffed bits) ahead without consuming them; bits past the end
/// of the data read as 0, and consuming past the end is
/// [`crate::Error::Truncated`].
#[derive(Debug, Clone)]
pub struct ArDecoder {
    l: u32,
    r: u32,
    v: u32,
    arpipe: u32,
    nzeros: u32,
    nonzero: bool,
    nzerosf: u32,
    extrabits: u32,
}

/// The bit `k` places ahead of the reader (1 = the next bit), 0 past the end.
fn peek_at(r: &BitReader<'_>, k: u32) -> u32 {
    let mut t = r.clone();
    if t.skip(k - 1).is_err() {
        return 0;
    }
    t.peek(1)
}

impl ArDecoder {
    /// Starts decoding at the reader's position (reads nothing yet).
    pub fn new(r: &BitReader<'_>) -> ArDecoder {
        let mut d = ArDecoder {
            l: 0,
            r: HALF - 1,
            v: 0,
            arpipe: 0,
            nzeros: MAX_HEADING,
            nonzero: false,
            nzerosf: MAX_HEADING,
            extrabits: 0,
        };
        for i in 1..CODE_BITS {
            let j = peek_at(r, i + d.extrabits);
            d.v = d.v.wrapping_add(d.v).wrapping_add(j);
            if j == 0 {
                d.nzerosf -= 1;
                if d.nzerosf == 0 {
                    d.extrabits += 1;
                    d.nzerosf = MAX_MIDDLE;
                }
            } else {
                d.nzerosf = MAX_MIDDLE;
            }
        }
        d.arpipe = d.v;
        d
    }

    /// Decodes one symbol whose probability of being 0 is `p0`.
    pub fn decode(&mut self, rd: &mut BitReader<'_>, p0: u16) -> Result<bool> {
        let (lps_bit, c_lps) = lps(p0);
        let r_lps = (self.r >> 16).wrapping_mul(c_lps);
        let bit = if self.v.wrapping_sub(self.l) >= self.r.wrapping_sub(r_lps) {
            self.l = self.l.wrapping_add(self.r.wrapping_sub(r_lps));
            self.r = r_lps;
            lps_bit
        } else {
            self.r = self.r.wrapping_sub(r_lps);
            !lps_bit
        };
        while self.r < QUARTER {
            if self.l >= HALF {
                self.v = self.v.wrapping_sub(HALF);
                self.l -= HALF;
            } else if self.l.wrapping_add(self.r) > HALF {
                self.v = self.v.wrapping_sub(QUARTER);
                self.l = self.l.wrapping_sub(QUARTER);
            }
            self.l = self.l.wrapping_add(self.l);
            self.r = self.r.wrapping_add(self.r);
            self.next_bit(rd)?;
        }
        Ok(bit)
    }

    /// Consumes the termination bits and the final stuffing.
    pub fn finish(mut self, rd: &mut BitReader<'_>) -> Result<()> {
        let (_, n) = termination(self.l, self.r);
        for _ in 1..n {
            self.next_bit(rd)?;
        }
        if self.nzeros < MAX_MIDDLE - MAX_TRAILING || !self.nonzero {
            rd.skip(1)?;
        }
        Ok(())
    }

    fn next_bit(&mut self, rd: &mut BitReader<'_>) -> Result<()> {
        if (self.arpipe >> (CODE_BITS - 2)) & 1 == 0 {
            self.nzeros -= 1;
            if self.nzeros == 0 {
                rd.skip(1)?;
                self.extrabits = self.extrabits.saturating_sub(1);
                self.nzeros = MAX_MIDDLE;
                self.nonzero = true;
            }
        } else {
            self.nzeros = MAX_MIDDLE;
            self.nonzero = true;
        }
        rd.skip(1)?;
        let i = peek_at(rd, CODE_BITS - 1 + self.extrabits);
        self.v = self.v.wrapping_add(self.v).wrapping_add(i);
        self.arpipe = self.arpipe.wrapping_add(self.arpipe).wrapping_add(i);
        if i == 0 {
            self.nzerosf -= 1;
            if self.nzerosf == 0 {
                self.nzerosf = MAX_MIDDLE;
                self.extrabits += 1;
            }
        } else {
            self.nzerosf = MAX_MIDDLE;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(symbols: &[(bool, u16)]) {
        let mut w = BitWriter::new();
        w.put(3, 0b101);
        let mut e = ArEncoder::new();
        for &(b, p) in symbols {
            e.encode(&mut w, b, p);
        }
        e.finish(&mut w);
        let len = w.bit_len();
        w.put(7, 0b1100101);
        w.stuff_to_byte();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.get(3).unwrap(), 0b101);
        let mut d = ArDecoder::new(&r);
        for (i, &(b, p)) in symbols.iter().enumerate() {
            assert_eq!(d.decode(&mut r, p).unwrap(), b, "symbol {i}");
        }
        d.finish(&mut r).unwrap();
        assert_eq!(r.position() as u64, len, "decoder ends where the code ends");
        assert_eq!(r.get(7).unwrap(), 0b1100101);
    }

    /// The coded bits alone (no surrounding data).
    fn code(symbols: &[(bool, u16)]) -> (Vec<bool>, u64) {
        let mut w = BitWriter::new();
        let mut e = ArEncoder::new();
        for &(b, p) in symbols {
            e.encode(&mut w, b, p);
        }
        e.finish(&mut w);
        let n = w.bit_len();
        w.align_zero();
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        ((0..n).map(|_| r.get_bit().unwrap()).collect(), n)
    }

    #[test]
    fn known_answers() {
        // No symbols: L = 0, R = 2^31 - 1, so a = 0 and b = 3: three
        // termination bits 001 of which the first (always 0) is not sent;
        // the code then ends in a 1, so no final stuffing bit.
        let (bits, n) = code(&[]);
        assert_eq!(n, 2);
        assert_eq!(bits, [false, true]);
        // One LPS with p0 = 1/2 (the LPS is 0 when p0 <= 1/2): rLPS =
        // (R >> 16) * 2^15 = 2^30 - 2^15, L = R - rLPS = 2^30 + 2^15 - 1,
        // R = 2^30 - 2^15 < 2^30: one renormalisation emitting the (unsent)
        // first 0; then L = 2^31 + 2^16 - 2, L + R = 2^32 - 2: a = 4, b = 7,
        // three termination bits a + 1 = 101, ending in a 1.
        let (bits, n) = code(&[(false, 32768)]);
        assert_eq!(n, 3);
        assert_eq!(bits, [true, false, true]);
        round_trip(&[(false, 32768)]);
        round_trip(&[(true, 32768)]);
    }

    /// A 2000-symbol stream from a fixed LCG, coded by the reference
    /// software's CAE encoder (ISO/IEC 14496-5), computed outside this
    /// project: its length, the FNV-1a hash of the bits (one byte per bit)
    /// and the first 64 bits.
    #[test]
    fn matches_reference_encoder_output() {
        let mut lcg = 12345u32;
        let mut rnd = || {
            lcg = lcg.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (lcg >> 8) & 0xffff
        };
        let mut syms = Vec::new();
        for _ in 0..2000 {
            let p = rnd();
            let s = rnd();
            let p0 = (p % 65535 + 1) as u16;
            let mut bit = if s % 100 < 30 {
                p0 < 32768
            } else {
                p0 >= 32768
            };
            if (s >> 12) % 7 == 0 {
                bit = !bit;
            }
            syms.push((bit, p0));
        }
        let (bits, n) = code(&syms);
        assert_eq!(n, 3317);
        let mut h = 1_469_598_103_934_665_603u64;
        for &b in &bits {
            h ^= u64::from(b);
            h = h.wrapping_mul(1_099_511_628_211);
        }
        assert_eq!(h, 12_468_845_335_822_350_368);
        let first: String = bits[..64]
            .iter()
            .map(|&b| if b { '1' } else { '0' })
            .collect();
        assert_eq!(
            first,
            "1101100101111110000000101110000110001110000000010011100111101110"
        );
        round_trip(&syms);
    }

    #[test]
    fn long_runs_are_stuffed() {
        // Many highly probable zeros produce long runs of 0 bits; the coder
        // must break them with stuffed ones so that no 23 zeros (a start
        // code prefix) ever appear.
        for p in [65535u16, 65000, 1, 500] {
            for bit in [false, true] {
                let syms = vec![(bit, p); 3000];
                round_trip(&syms);
                let (bits, _) = code(&syms);
                let mut run = 0;
                for b in bits {
                    run = if b { 0 } else { run + 1 };
                    assert!(run <= MAX_MIDDLE as usize);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn random_streams_round_trip(
            syms in proptest::collection::vec((any::<bool>(), 1u16..=65535), 0..600)
        ) {
            round_trip(&syms);
        }

        #[test]
        fn skewed_streams_round_trip(
            syms in proptest::collection::vec(
                (any::<u8>(), prop_oneof![1u16..64, 65400u16..=65535, 30000u16..35000]),
                0..800)
        ) {
            // Symbols mostly following their probability, sometimes not.
            let syms: Vec<(bool, u16)> = syms
                .into_iter()
                .map(|(r, p)| ((r < 8) ^ (p < 32768), p))
                .collect();
            round_trip(&syms);
        }

        #[test]
        fn random_bytes_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..64),
            probs in proptest::collection::vec(1u16..=65535, 0..300)
        ) {
            let mut r = BitReader::new(&data);
            let mut d = ArDecoder::new(&r);
            for p in probs {
                if d.decode(&mut r, p).is_err() {
                    return Ok(());
                }
            }
            let _ = d.finish(&mut r);
        }
    }
}
