//! Block data: the 16-bit word coding of one block's coefficients and the
//! address increment that ends it (`docs/sc-format.md` section 5).
//!
//! ```text
//!  DC word         vvvv vvvv vvvv vvvv   16-bit two's complement, -2048..2047
//!  short AC        rrrr cccc cccc cccc   run 0..14, coefficient 12-bit, nonzero
//!  escaped run     1111 00rr rrrr rrrr   run 15..62; next word: coefficient
//!  EOB short       1111 01ii iiii iiii   increment 0..1022
//!  EOB long        1111 10ii iiii iiii   high 10 bits; next word: low 16 bits
//!  reserved        1111 11.. .... ....   invalid
//! ```
//! AC positions run in row-major order, k = 8*v + u, not JPEG's zig-zag.

use crate::error::Invalid;

/// Largest coefficient magnitude SC carries (12-bit two's complement).
pub const COEFF_MIN: i16 = -2048;
pub const COEFF_MAX: i16 = 2047;

/// Largest address increment (26 bits).
pub const MAX_INCREMENT: u32 = (1 << 26) - 1;

/// Bytes one block takes when coded with `increment`.
pub fn block_size(block: &[i16; 64], increment: u32) -> usize {
    let mut words = 1;
    let mut last = 0usize;
    for (k, &c) in block.iter().enumerate().skip(1) {
        if c != 0 {
            words += if k - last - 1 <= 14 { 1 } else { 2 };
            last = k;
        }
    }
    words += if increment <= 1022 { 1 } else { 2 };
    2 * words
}

/// Appends one block's words: DC, AC codes, and the end of block with
/// `increment` (0 for the last block of a packet). Coefficients are
/// clamped to -2048..2047; the short forms are used whenever they fit.
pub fn encode_block(block: &[i16; 64], increment: u32, out: &mut Vec<u8>) {
    debug_assert!(increment <= MAX_INCREMENT);
    let dc = block[0].clamp(COEFF_MIN, COEFF_MAX);
    out.extend_from_slice(&dc.to_be_bytes());
    let mut last = 0usize;
    for (k, &c) in block.iter().enumerate().skip(1) {
        if c == 0 {
            continue;
        }
        let c = c.clamp(COEFF_MIN, COEFF_MAX);
        let run = (k - last - 1) as u16;
        if run <= 14 {
            let word = run << 12 | (c as u16 & 0x0FFF);
            out.extend_from_slice(&word.to_be_bytes());
        } else {
            let word = 0xF000 | run;
            out.extend_from_slice(&word.to_be_bytes());
            out.extend_from_slice(&c.to_be_bytes());
        }
        last = k;
    }
    if increment <= 1022 {
        out.extend_from_slice(&(0xF400 | increment as u16).to_be_bytes());
    } else {
        let high = (increment >> 16) as u16;
        out.extend_from_slice(&(0xF800 | high).to_be_bytes());
        out.extend_from_slice(&(increment as u16).to_be_bytes());
    }
}

/// Walks the block data of one packet, calling `visit(address, block)` for
/// each block in order, and returns the block count. Checks every rule of
/// section 5 and the strictly increasing addresses; `visit` can reject a
/// block (address checks). A packet can turn out invalid after some blocks
/// were visited: callers that must drop invalid packets whole validate
/// first (with a visitor that only checks) or collect, as
/// [`decode_blocks`] does.
pub fn walk(
    data: &[u8],
    first_block: u32,
    mut visit: impl FnMut(u32, &[i16; 64]) -> Result<(), Invalid>,
) -> Result<usize, Invalid> {
    if !data.len().is_multiple_of(2) {
        return Err(Invalid::OddLength);
    }
    if data.is_empty() {
        return Err(Invalid::Empty);
    }
    let words = data.len() / 2;
    let word = |i: usize| u16::from_be_bytes([data[2 * i], data[2 * i + 1]]);
    let mut i = 0usize;
    let mut address = first_block;
    let mut count = 0usize;
    loop {
        let mut block = [0i16; 64];
        let dc = word(i) as i16;
        if !(COEFF_MIN..=COEFF_MAX).contains(&dc) {
            return Err(Invalid::DcRange);
        }
        block[0] = dc;
        i += 1;
        let mut k = 0usize;
        let increment = loop {
            if i >= words {
                return Err(Invalid::Truncated);
            }
            let w = word(i);
            i += 1;
            match w >> 10 {
                0b11_1100 => {
                    let run = usize::from(w & 0x3FF);
                    if !(15..=62).contains(&run) {
                        return Err(Invalid::EscapeRun);
                    }
                    if i >= words {
                        return Err(Invalid::Truncated);
                    }
                    let c = word(i) as i16;
                    i += 1;
                    if c == 0 {
                        return Err(Invalid::ZeroCoefficient);
                    }
                    if !(COEFF_MIN..=COEFF_MAX).contains(&c) {
                        return Err(Invalid::EscapeValue);
                    }
                    k += run + 1;
                    if k > 63 {
                        return Err(Invalid::PastEnd);
                    }
                    block[k] = c;
                }
                0b11_1101 => break u32::from(w & 0x3FF),
                0b11_1110 => {
                    if i >= words {
                        return Err(Invalid::Truncated);
                    }
                    let inc = u32::from(w & 0x3FF) << 16 | u32::from(word(i));
                    i += 1;
                    if inc < 1023 {
                        return Err(Invalid::LongIncrement);
                    }
                    break inc;
                }
                0b11_1111 => return Err(Invalid::Reserved),
                _ => {
                    let run = usize::from(w >> 12);
                    // Sign-extend the low 12 bits.
                    let c = ((w << 4) as i16) >> 4;
                    if c == 0 {
                        return Err(Invalid::ZeroCoefficient);
                    }
                    k += run + 1;
                    if k > 63 {
                        return Err(Invalid::PastEnd);
                    }
                    block[k] = c;
                }
            }
        };
        visit(address, &block)?;
        count += 1;
        if i == words {
            if increment != 0 {
                return Err(Invalid::FinalIncrement);
            }
            return Ok(count);
        }
        if increment == 0 {
            return Err(Invalid::EarlyZeroIncrement);
        }
        address = address
            .checked_add(increment)
            .ok_or(Invalid::BlockOutsideFrame)?;
    }
}

/// Decodes and validates a packet's block data, returning `(address,
/// block)` pairs only when the whole packet is valid.
pub fn decode_blocks(
    data: &[u8],
    first_block: u32,
    mut check_address: impl FnMut(u32) -> Result<(), Invalid>,
) -> Result<Vec<(u32, [i16; 64])>, Invalid> {
    let mut blocks = Vec::with_capacity(data.len() / 16 + 1);
    walk(data, first_block, |addr, block| {
        check_address(addr)?;
        blocks.push((addr, *block));
        Ok(())
    })?;
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_block() {
        let mut block = [0i16; 64];
        block[0] = 100;
        block[2] = -3;
        block[8] = 7;
        let mut out = Vec::new();
        encode_block(&block, 0, &mut out);
        assert_eq!(out, [0x00, 0x64, 0x1f, 0xfd, 0x50, 0x07, 0xf4, 0x00]);
        assert_eq!(block_size(&block, 0), out.len());
        let decoded = decode_blocks(&out, 0, |_| Ok(())).unwrap();
        assert_eq!(decoded, vec![(0, block)]);
    }

    #[test]
    fn escapes_and_long_increments_round_trip() {
        let mut a = [0i16; 64];
        a[0] = -2048;
        a[63] = 2047; // run 62: escaped
        a[20] = -1;
        let mut b = [0i16; 64];
        b[1] = 5;
        let mut out = Vec::new();
        encode_block(&a, 5000, &mut out);
        encode_block(&b, 0, &mut out);
        assert_eq!(out.len(), block_size(&a, 5000) + block_size(&b, 0));
        let decoded = decode_blocks(&out, 10, |_| Ok(())).unwrap();
        assert_eq!(decoded, vec![(10, a), (5010, b)]);
    }

    fn words(ws: &[u16]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn each_rule_rejects() {
        let ok = |_| Ok(());
        let cases: &[(&[u16], Invalid)] = &[
            (&[], Invalid::Empty),
            (&[0x0800, 0xf400], Invalid::DcRange),
            (&[0x0000, 0x1000, 0xf400], Invalid::ZeroCoefficient),
            (&[0x0000, 0xF000 | 14, 0x0001, 0xf400], Invalid::EscapeRun),
            (&[0x0000, 0xF000 | 63, 0x0001, 0xf400], Invalid::EscapeRun),
            (
                &[0x0000, 0xF000 | 15, 0x0000, 0xf400],
                Invalid::ZeroCoefficient,
            ),
            (&[0x0000, 0xF000 | 15, 0x0800, 0xf400], Invalid::EscapeValue),
            (
                &[0x0000, 0xF000 | 62, 0x0001, 0x0001, 0xf400],
                Invalid::PastEnd,
            ),
            (&[0x0000, 0xf800, 0x0001], Invalid::LongIncrement),
            (&[0x0000, 0xfc00], Invalid::Reserved),
            (&[0x0000, 0x1001], Invalid::Truncated),
            (&[0x0000, 0xF000 | 20], Invalid::Truncated),
            (&[0x0000, 0xf401], Invalid::FinalIncrement),
            (
                &[0x0000, 0xf400, 0x0000, 0xf400],
                Invalid::EarlyZeroIncrement,
            ),
        ];
        for (ws, reason) in cases {
            assert_eq!(decode_blocks(&words(ws), 0, ok), Err(*reason), "{ws:04x?}");
        }
        let mut odd = words(&[0x0064, 0xf400]);
        odd.push(0);
        assert_eq!(decode_blocks(&odd, 0, ok), Err(Invalid::OddLength));
        // The address check sees every block before the packet is accepted.
        let data = words(&[0x0000, 0xf402, 0x0000, 0xf400]);
        let result = decode_blocks(&data, 7, |a| {
            if a == 9 {
                Err(Invalid::BlockOutsideRegion)
            } else {
                Ok(())
            }
        });
        assert_eq!(result, Err(Invalid::BlockOutsideRegion));
    }
}
