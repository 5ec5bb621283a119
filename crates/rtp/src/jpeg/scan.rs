//! A small walk over a JPEG file's marker segments (T.81 Annex B), enough
//! for the payloader to tell whether a file can be sent as it is and to
//! find its entropy-coded scan data. Decoding proper is `tessera_jpeg`'s.

use tessera_jpeg::tables::{
    STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALUES, STD_AC_LUMA_BITS, STD_AC_LUMA_VALUES,
    STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALUES, STD_DC_LUMA_BITS, STD_DC_LUMA_VALUES,
};

use crate::error::{Result, RtpError};

const SOI: u8 = 0xd8;
const EOI: u8 = 0xd9;
const SOS: u8 = 0xda;
const DHT: u8 = 0xc4;

/// A Huffman table as (code counts per length, symbols).
pub(crate) type HuffmanTable<'a> = (&'a [u8], &'a [u8]);

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Layout<'a> {
    /// Huffman tables defined before the first scan: `[class][id]` (class
    /// 0 = DC, 1 = AC) to (code counts, symbols).
    pub huffman: [[Option<HuffmanTable<'a>>; 4]; 2],
    /// Every scan: its SOS header body and its entropy-coded data (RST
    /// markers included, EOI excluded).
    pub scans: Vec<(&'a [u8], &'a [u8])>,
}

fn malformed(what: String) -> RtpError {
    RtpError::malformed(format!("JPEG input: {what}"))
}

/// Walks `data` from SOI to EOI (or the end of the data).
pub(crate) fn walk(data: &[u8]) -> Result<Layout<'_>> {
    if data.get(..2) != Some(&[0xff, SOI]) {
        return Err(malformed("does not start with SOI".into()));
    }
    let mut layout = Layout::default();
    let mut pos = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while data.get(pos) == Some(&0xff) && data.get(pos + 1) == Some(&0xff) {
            pos += 1;
        }
        let (Some(&0xff), Some(&code)) = (data.get(pos), data.get(pos + 1)) else {
            if pos >= data.len() {
                return Ok(layout);
            }
            return Err(malformed(format!("no marker at byte {pos}")));
        };
        pos += 2;
        match code {
            EOI => return Ok(layout),
            SOI | 0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = data.get(pos..pos + 2) else {
            return Err(malformed(format!("segment length cut off at byte {pos}")));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 || pos + len > data.len() {
            return Err(malformed(format!(
                "segment {code:#04x} at byte {pos} has length {len}"
            )));
        }
        let body = &data[pos + 2..pos + len];
        pos += len;
        if code == DHT && layout.scans.is_empty() {
            read_dht(body, &mut layout)?;
        }
        if code == SOS {
            let start = pos;
            // Entropy-coded data runs to the first marker that is not a
            // stuffed zero or a restart marker.
            while pos + 1 < data.len() {
                pos = next_ff(data, pos);
                if pos + 1 >= data.len() {
                    break;
                }
                if data[pos + 1] != 0 && !(0xd0..=0xd7).contains(&data[pos + 1]) {
                    break;
                }
                pos += 1;
            }
            if pos + 1 >= data.len() {
                pos = data.len();
            }
            layout.scans.push((body, &data[start..pos]));
        }
    }
}

/// Position of the first 0xFF byte at or after `pos` (`data.len()` when
/// none). Eight bytes at a time: a word with no 0xFF byte, the usual case
/// in entropy-coded data, is skipped with one test.
fn next_ff(data: &[u8], mut pos: usize) -> usize {
    while let Some(chunk) = data.get(pos..pos + 8) {
        let inv = !u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
        if has_ff != 0 {
            // The lowest flagged byte is the first 0xFF (borrows only run
            // upwards from a zero byte of `inv`).
            return pos + (has_ff.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    data[pos.min(data.len())..]
        .iter()
        .position(|&b| b == 0xff)
        .map_or(data.len(), |i| pos + i)
}

fn read_dht<'a>(mut body: &'a [u8], layout: &mut Layout<'a>) -> Result<()> {
    while !body.is_empty() {
        let Some((&tc_th, rest)) = body.split_first() else {
            break;
        };
        let (class, id) = (usize::from(tc_th >> 4), usize::from(tc_th & 15));
        if class > 1 || id > 3 || rest.len() < 16 {
            return Err(malformed(format!("DHT table {tc_th:#04x}")));
        }
        let (bits, rest) = rest.split_at(16);
        let count: usize = bits.iter().map(|&b| usize::from(b)).sum();
        if rest.len() < count {
            return Err(malformed("DHT symbols cut off".into()));
        }
        let (values, rest) = rest.split_at(count);
        layout.huffman[class][id] = Some((bits, values));
        body = rest;
    }
    Ok(())
}

/// The Annex K tables as (counts, symbols): DC luma, AC luma, DC chroma,
/// AC chroma.
pub(crate) const STD_TABLES: [(&[u8; 16], &[u8]); 4] = [
    (&STD_DC_LUMA_BITS, &STD_DC_LUMA_VALUES),
    (&STD_AC_LUMA_BITS, &STD_AC_LUMA_VALUES),
    (&STD_DC_CHROMA_BITS, &STD_DC_CHROMA_VALUES),
    (&STD_AC_CHROMA_BITS, &STD_AC_CHROMA_VALUES),
];

/// Splits scan data into restart intervals: each range ends just after an
/// RSTn marker, the last one at the end of the data.
pub(crate) fn restart_intervals(scan: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < scan.len() {
        i = next_ff(scan, i);
        if i + 1 >= scan.len() {
            break;
        }
        if (0xd0..=0xd7).contains(&scan[i + 1]) {
            out.push(start..i + 2);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    if start < scan.len() || out.is_empty() {
        out.push(start..scan.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_restart_markers() {
        let scan = [1, 2, 0xff, 0x00, 0xff, 0xd0, 3, 0xff, 0xd1, 4, 5];
        assert_eq!(restart_intervals(&scan), vec![0..6, 6..9, 9..11]);
        assert_eq!(restart_intervals(&[1, 0xff, 0xd7]), vec![0..3]);
        assert_eq!(restart_intervals(&[]), vec![0..0]);
    }

    #[test]
    fn next_ff_finds_every_position() {
        for len in 0..40 {
            for at in 0..=len {
                let mut data = vec![0x5a_u8; len];
                if at < len {
                    data[at] = 0xff;
                }
                // A second 0xFF later never hides the first.
                if at + 3 < len {
                    data[at + 3] = 0xff;
                }
                for from in 0..=at.min(len) {
                    let want = data[from..]
                        .iter()
                        .position(|&b| b == 0xff)
                        .map_or(len, |i| from + i);
                    assert_eq!(next_ff(&data, from), want, "len {len} at {at} from {from}");
                }
            }
        }
        // Bytes next to 0xFF that a borrow could confuse.
        let data = [0x00, 0xfe, 0x01, 0x7f, 0x80, 0xff, 0x00, 0xff, 0xd9, 0x00];
        assert_eq!(next_ff(&data, 0), 5);
        assert_eq!(next_ff(&data, 6), 7);
        assert_eq!(next_ff(&data, 8), data.len());
    }

    #[test]
    fn walks_a_file() {
        let file = [
            0xff, 0xd8, 0xff, 0xc4, 0, 20, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            7, // one DC table with one symbol
            0xff, 0xda, 0, 3, 9, // SOS with a 1-byte body
            0x12, 0xff, 0x00, 0xff, 0xd0, 0x34, 0xff, 0xd9,
        ];
        let l = walk(&file).unwrap();
        assert_eq!(l.huffman[0][0].unwrap().1, &[7]);
        assert_eq!(l.scans.len(), 1);
        assert_eq!(l.scans[0].0, &[9]);
        assert_eq!(l.scans[0].1, &[0x12, 0xff, 0x00, 0xff, 0xd0, 0x34]);
        assert!(walk(&[0xff, 0xd8, 0xff, 0xc4, 0, 90]).is_err());
        assert!(walk(b"nope").is_err());
    }
}
