//! Huffman tables: DHT contents, a fast decoding table, encoding codes, and
//! optimal tables built from symbol statistics (T.81 Annex C and K.2).

use crate::error::{JpegError, Result};
use crate::tables;

/// The contents of one DHT table: how many codes of each length 1-16, and
/// the symbols in code order (T.81 B.2.4.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HuffmanSpec {
    pub bits: [u8; 16],
    pub values: Vec<u8>,
}

/// Which standard table (T.81 Annex K.3) to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdTable {
    DcLuma,
    AcLuma,
    DcChroma,
    AcChroma,
}

impl HuffmanSpec {
    /// One of the typical tables of T.81 Tables K.3-K.6.
    pub fn standard(which: StdTable) -> HuffmanSpec {
        let (bits, values): (&[u8; 16], &[u8]) = match which {
            StdTable::DcLuma => (&tables::STD_DC_LUMA_BITS, &tables::STD_DC_LUMA_VALUES),
            StdTable::AcLuma => (&tables::STD_AC_LUMA_BITS, &tables::STD_AC_LUMA_VALUES),
            StdTable::DcChroma => (&tables::STD_DC_CHROMA_BITS, &tables::STD_DC_CHROMA_VALUES),
            StdTable::AcChroma => (&tables::STD_AC_CHROMA_BITS, &tables::STD_AC_CHROMA_VALUES),
        };
        HuffmanSpec {
            bits: *bits,
            values: values.to_vec(),
        }
    }

    /// Canonical code assignment (T.81 C.1-C.2): `(code, length)` for each
    /// symbol in `values` order. Fails on an over-subscribed table.
    pub fn codes(&self) -> Result<Vec<(u16, u8)>> {
        let total: usize = self.bits.iter().map(|&b| usize::from(b)).sum();
        if total != self.values.len() || total > 256 {
            return Err(JpegError::malformed(
                0,
                format!(
                    "Huffman table lists {total} codes for {} symbols",
                    self.values.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(total);
        let mut code: u32 = 0;
        for (i, &count) in self.bits.iter().enumerate() {
            let len = i as u8 + 1;
            for _ in 0..count {
                // Canonical codes must fit their length (T.81 C.2).
                if code >= (1 << len) {
                    return Err(JpegError::malformed(0, "Huffman table is over-subscribed"));
                }
                out.push((code as u16, len));
                code += 1;
            }
            code <<= 1;
        }
        Ok(out)
    }
}

/// Bits looked up at once when decoding: the combined table resolves a
/// symbol and the magnitude bits after it in one step.
pub(crate) const COMBINED_BITS: u32 = 10;

/// A decoding table: a combined lookup for codes up to [`COMBINED_BITS`] bits
/// and the canonical max-code walk (T.81 F.2.2.3) for longer ones.
#[derive(Clone, Debug)]
pub(crate) struct DecodeTable {
    /// Largest code of each length (index 1-16), -1 when none; entry 17 is
    /// a sentinel.
    pub maxcode: [i32; 18],
    /// `valptr[l] - mincode[l]`: add to a code of length `l` to index values.
    pub offset: [i32; 17],
    pub values: [u8; 256],
    /// Indexed by the next COMBINED_BITS bits; see [`Combined`].
    pub combined: [Combined; 1 << COMBINED_BITS],
}

/// A combined table entry: the symbol `RRRRSSSS` (for DC tables, the
/// category) whose code starts the looked-up bits, and when the `SSSS`
/// magnitude bits after the code fit too, the coefficient they give
/// (T.81 F.2.2.1 EXTEND), so that most coefficients take one lookup.
///
/// Bits 0-7: bits to consume (code length, plus `SSSS` when the value is
/// included; 0 when the code is longer than the lookup). Bits 8-15: the
/// symbol. Bits 16-31: the coefficient, or 0 when its bits did not fit
/// (a coefficient with `SSSS > 0` is never 0).
pub(crate) type Combined = i32;

/// T.81 F.2.2.1 EXTEND: the signed value of `size` magnitude bits `v`.
#[inline(always)]
pub(crate) fn extend(v: i32, size: u32) -> i32 {
    if v < (1 << (size - 1)) {
        v - (1 << size) + 1
    } else {
        v
    }
}

impl DecodeTable {
    pub fn new(spec: &HuffmanSpec) -> Result<DecodeTable> {
        let codes = spec.codes()?;
        let mut table = DecodeTable {
            maxcode: [-1; 18],
            offset: [0; 17],
            values: [0; 256],
            combined: [0; 1 << COMBINED_BITS],
        };
        table.values[..spec.values.len()].copy_from_slice(&spec.values);
        let mut k = 0usize;
        for len in 1..=16usize {
            let count = usize::from(spec.bits[len - 1]);
            if count > 0 {
                let first = i32::from(codes[k].0);
                table.offset[len] = k as i32 - first;
                table.maxcode[len] = i32::from(codes[k + count - 1].0);
            }
            k += count;
        }
        table.maxcode[17] = i32::MAX;
        for (i, &(code, len)) in codes.iter().enumerate() {
            let len = u32::from(len);
            if len <= COMBINED_BITS {
                table.fill_combined(u32::from(code), len, spec.values[i]);
            }
        }
        Ok(table)
    }

    /// Sets the combined entries of the `len`-bit `code` for `symbol`.
    fn fill_combined(&mut self, code: u32, len: u32, symbol: u8) {
        let size = u32::from(symbol & 15);
        let sym = i32::from(symbol) << 8;
        let free = COMBINED_BITS - len;
        let base = (code << free) as usize;
        if size == 0 || size > free {
            // Only the symbol: its magnitude bits (if any) are read after.
            self.combined[base..base + (1 << free)].fill(sym | len as i32);
            return;
        }
        let rest = free - size;
        for v in 0..1u32 << size {
            let value = extend(v as i32, size);
            let entry = (value << 16) | sym | (len + size) as i32;
            let start = base + ((v << rest) as usize);
            self.combined[start..start + (1 << rest)].fill(entry);
        }
    }
}

/// Codes for encoding: `code[symbol]`, `size[symbol]` (0 = not in table).
#[derive(Clone, Debug)]
pub(crate) struct EncodeTable {
    pub code: [u16; 256],
    pub size: [u8; 256],
}

impl EncodeTable {
    pub fn new(spec: &HuffmanSpec) -> Result<EncodeTable> {
        let mut table = EncodeTable {
            code: [0; 256],
            size: [0; 256],
        };
        for (i, (code, len)) in spec.codes()?.into_iter().enumerate() {
            let symbol = usize::from(spec.values[i]);
            if table.size[symbol] != 0 {
                return Err(JpegError::malformed(
                    0,
                    "Huffman table lists a symbol twice",
                ));
            }
            table.code[symbol] = code;
            table.size[symbol] = len;
        }
        Ok(table)
    }
}

/// Builds the optimal table (code lengths limited to 16 bits) for symbol
/// frequencies `freq`, following the procedure of T.81 K.2 (Figures K.1 to
/// K.4). Symbols with zero frequency get no code; a reserved pseudo-symbol
/// keeps any real code from being all ones.
pub fn optimal_spec(freq: &[u64; 256]) -> HuffmanSpec {
    // 257 entries: index 256 is the reserved symbol with frequency 1.
    let mut freq: Vec<u64> = freq.iter().copied().chain(std::iter::once(1)).collect();
    // Figure K.3 needs code sizes of at most 32 bits; extremely skewed
    // statistics can build deeper trees, so flatten them until it fits.
    let codesize = loop {
        let codesize = code_sizes(&freq);
        if codesize.iter().all(|&s| s <= 32) {
            break codesize;
        }
        for f in freq.iter_mut().filter(|f| **f > 0) {
            *f = f.div_ceil(2);
        }
    };
    // Figure K.2: count codes of each size.
    let mut bits = [0u32; 33];
    for &size in &codesize {
        if size > 0 {
            bits[size] += 1;
        }
    }
    // Figure K.3: limit code lengths to 16.
    let mut i = 32;
    while i > 16 {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
        i -= 1;
    }
    // Remove the reserved code point from the longest length.
    let mut i = 16;
    while bits[i] == 0 {
        i -= 1;
    }
    bits[i] -= 1;
    // Figure K.4: symbols sorted by code size, then by value.
    let mut values = Vec::new();
    for size in 1..=32 {
        for (symbol, &s) in codesize.iter().enumerate().take(256) {
            if s == size {
                values.push(symbol as u8);
            }
        }
    }
    let mut out_bits = [0u8; 16];
    for (l, b) in out_bits.iter_mut().enumerate() {
        *b = bits[l + 1] as u8;
    }
    HuffmanSpec {
        bits: out_bits,
        values,
    }
}

/// Code sizes of the Huffman tree for `freq` (T.81 Figure K.1).
fn code_sizes(freq: &[u64]) -> [usize; 257] {
    let mut freq = freq.to_vec();
    let mut codesize = [0usize; 257];
    let mut others = [usize::MAX; 257];
    loop {
        // Figure K.1: the two least frequent trees; ties go to the larger
        // symbol number.
        let mut c1 = usize::MAX;
        for i in 0..257 {
            if freq[i] != 0 && (c1 == usize::MAX || freq[i] <= freq[c1]) {
                c1 = i;
            }
        }
        let mut c2 = usize::MAX;
        for i in 0..257 {
            if i != c1 && freq[i] != 0 && (c2 == usize::MAX || freq[i] <= freq[c2]) {
                c2 = i;
            }
        }
        if c2 == usize::MAX {
            break;
        }
        freq[c1] += freq[c2];
        freq[c2] = 0;
        let mut i = c1;
        codesize[i] += 1;
        while others[i] != usize::MAX {
            i = others[i];
            codesize[i] += 1;
        }
        others[i] = c2;
        let mut j = c2;
        codesize[j] += 1;
        while others[j] != usize::MAX {
            j = others[j];
            codesize[j] += 1;
        }
    }
    codesize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_tables_build() {
        for which in [
            StdTable::DcLuma,
            StdTable::AcLuma,
            StdTable::DcChroma,
            StdTable::AcChroma,
        ] {
            let spec = HuffmanSpec::standard(which);
            DecodeTable::new(&spec).unwrap();
            EncodeTable::new(&spec).unwrap();
        }
        // Table K.3: category 0 is "00", category 11 is "111111110".
        let codes = HuffmanSpec::standard(StdTable::DcLuma).codes().unwrap();
        assert_eq!(codes[0], (0b00, 2));
        assert_eq!(codes[11], (0b1_1111_1110, 9));
    }

    #[test]
    fn oversubscribed_table_is_rejected() {
        let mut bits = [0u8; 16];
        bits[0] = 3; // three 1-bit codes
        let spec = HuffmanSpec {
            bits,
            values: vec![1, 2, 3],
        };
        assert!(spec.codes().is_err());
        let spec = HuffmanSpec {
            bits: [0; 16],
            values: vec![1],
        };
        assert!(spec.codes().is_err());
    }

    #[test]
    fn optimal_tables_are_valid_and_short() {
        let mut freq = [0u64; 256];
        // A skewed distribution long enough to need the 16-bit limit.
        let mut f = 1u64;
        for (i, slot) in freq.iter_mut().enumerate().take(40) {
            *slot = f;
            if i % 2 == 0 {
                f = f.saturating_mul(3);
            }
        }
        let spec = optimal_spec(&freq);
        assert_eq!(spec.values.len(), 40);
        let codes = spec.codes().unwrap();
        assert!(codes.iter().all(|&(_, len)| len <= 16));
        // No code is all ones.
        assert!(
            codes
                .iter()
                .all(|&(c, len)| u32::from(c) != (1u32 << len) - 1)
        );
        EncodeTable::new(&spec).unwrap();
        // A single symbol still gets a (1-bit) code.
        let mut one = [0u64; 256];
        one[7] = 100;
        let spec = optimal_spec(&one);
        assert_eq!(spec.values, vec![7]);
        assert_eq!(spec.codes().unwrap()[0].1, 1);
    }
}
