//! Writing entropy-coded segments with 0xFF byte stuffing (T.81 F.1.2.3).

/// Packs variable-length codes MSB first, stuffing a zero byte after every
/// 0xFF so no marker can appear inside the data.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, right-aligned.
    acc: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        BitWriter {
            out,
            acc: 0,
            count: 0,
        }
    }

    /// Runs `f` on a copy of this writer whose pending bits are locals,
    /// which the compiler can keep in registers (the writer itself sits
    /// behind a pointer that opaque calls might change); the bits are
    /// stored back once at the end.
    #[inline(always)]
    pub fn scoped(&mut self, f: impl FnOnce(&mut BitWriter<'_>)) {
        let mut local = BitWriter {
            out: &mut *self.out,
            acc: self.acc,
            count: self.count,
        };
        f(&mut local);
        let (acc, count) = (local.acc, local.count);
        self.acc = acc;
        self.count = count;
    }

    /// Appends the low `size` bits of `bits` (size 0-32).
    #[inline(always)]
    pub fn put(&mut self, bits: u32, size: u32) {
        debug_assert!(size <= 32);
        self.put_exact((u64::from(bits) & ((1u64 << size) - 1)) as u32, size);
    }

    /// [`put`](Self::put) for `bits` that are already below `2^size`.
    #[inline(always)]
    pub fn put_exact(&mut self, bits: u32, size: u32) {
        debug_assert!(size <= 32 && u64::from(bits) >> size == 0);
        self.acc = (self.acc << size) | u64::from(bits);
        self.count += size;
        if self.count >= 32 {
            self.count -= 32;
            let word = (self.acc >> self.count) as u32;
            self.emit_word(word);
        }
    }

    #[inline(always)]
    fn emit_word(&mut self, word: u32) {
        let bytes = word.to_be_bytes();
        let inv = !word;
        let has_ff = inv.wrapping_sub(0x0101_0101) & !inv & 0x8080_8080;
        if has_ff == 0 {
            self.out.extend_from_slice(&bytes);
        } else {
            for b in bytes {
                self.out.push(b);
                if b == 0xFF {
                    self.out.push(0x00);
                }
            }
        }
    }

    /// Pads the last byte with one-bits (T.81 F.1.2.3) and writes out
    /// everything pending.
    pub fn flush(&mut self) {
        let pad = (8 - self.count % 8) % 8;
        if pad > 0 {
            self.put((1 << pad) - 1, pad);
        }
        while self.count >= 8 {
            self.count -= 8;
            let b = (self.acc >> self.count) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0x00);
            }
        }
        self.acc = 0;
    }

    /// Flushes and writes a marker (used for RSTn).
    pub fn marker(&mut self, code: u8) {
        self.flush();
        self.out.extend_from_slice(&[0xFF, code]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffs_ff_and_pads_with_ones() {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        w.put(0xFF, 8);
        w.put(0b101, 3);
        w.flush();
        assert_eq!(out, vec![0xFF, 0x00, 0b1011_1111]);
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        for _ in 0..5 {
            w.put(0xFFFF, 16);
        }
        w.flush();
        assert_eq!(out.len(), 20);
        assert!(out.chunks(2).all(|c| c == [0xFF, 0x00]));
    }
}
