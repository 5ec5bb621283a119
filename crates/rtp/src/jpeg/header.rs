//! The RTP/JPEG payload headers on the wire (RFC 2435 section 3.1).
//!
//! Every packet starts with the main JPEG header; types 64-127 follow it
//! with the restart marker header; the first packet of a frame (fragment
//! offset 0) with Q 128-255 then carries the quantization table header and
//! its tables. The rest is entropy-coded scan data.

use crate::error::{Result, RtpError};

/// The main JPEG header (RFC 2435 section 3.1), 8 bytes:
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Type-specific |              Fragment Offset                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      Type     |       Q       |     Width     |     Height    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Width and height are in units of 8 pixels (so at most 2040).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MainHeader {
    /// 0 for progressively scanned pictures (the only kind sent here).
    pub type_specific: u8,
    /// Byte offset of this packet's scan data in the frame's (24 bits).
    pub fragment_offset: u32,
    /// 0 (4:2:2), 1 (4:2:0); 64 and 65 are the same with restart markers.
    pub kind: u8,
    /// 1-99: tables derived from Q (Appendix A); 128-255: tables in band.
    pub q: u8,
    /// Width / 8.
    pub width: u8,
    /// Height / 8.
    pub height: u8,
}

impl MainHeader {
    pub const LEN: usize = 8;

    pub fn parse(data: &[u8]) -> Result<MainHeader> {
        let Some(b) = data.first_chunk::<8>() else {
            return Err(RtpError::malformed(format!(
                "RTP/JPEG main header: {} bytes, need 8",
                data.len()
            )));
        };
        Ok(MainHeader {
            type_specific: b[0],
            fragment_offset: u32::from_be_bytes([0, b[1], b[2], b[3]]),
            kind: b[4],
            q: b[5],
            width: b[6],
            height: b[7],
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        let off = self.fragment_offset.to_be_bytes();
        out.extend_from_slice(&[
            self.type_specific,
            off[1],
            off[2],
            off[3],
            self.kind,
            self.q,
            self.width,
            self.height,
        ]);
    }

    /// Types 64-127 carry a restart marker header.
    pub fn has_restart_header(&self) -> bool {
        (64..128).contains(&self.kind)
    }
}

/// The restart marker header (RFC 2435 section 3.1.7), 4 bytes, present
/// for types 64-127:
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       Restart Interval        |F|L|       Restart Count       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// `F` says the packet starts at the beginning of a restart interval, `L`
/// that it ends at the end of one; `Restart Count` is the number of the
/// first interval in the packet (modulo 0x3FFF; 0x3FFF itself means
/// "unknown", with F and L both set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartHeader {
    /// MCUs per restart interval (the DRI value).
    pub interval: u16,
    pub first: bool,
    pub last: bool,
    /// 14 bits.
    pub count: u16,
}

impl RestartHeader {
    pub const LEN: usize = 4;
    /// The count value that says "position unknown".
    pub const UNKNOWN_COUNT: u16 = 0x3fff;

    pub fn parse(data: &[u8]) -> Result<RestartHeader> {
        let Some(b) = data.first_chunk::<4>() else {
            return Err(RtpError::malformed(format!(
                "RTP/JPEG restart marker header: {} bytes, need 4",
                data.len()
            )));
        };
        let flags = u16::from_be_bytes([b[2], b[3]]);
        Ok(RestartHeader {
            interval: u16::from_be_bytes([b[0], b[1]]),
            first: flags & 0x8000 != 0,
            last: flags & 0x4000 != 0,
            count: flags & 0x3fff,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        let flags =
            u16::from(self.first) << 15 | u16::from(self.last) << 14 | (self.count & 0x3fff);
        out.extend_from_slice(&self.interval.to_be_bytes());
        out.extend_from_slice(&flags.to_be_bytes());
    }
}

/// The quantization table header (RFC 2435 section 3.1.8), 4 bytes and
/// then `length` bytes of tables, present in the first packet of a frame
/// with Q 128-255:
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      MBZ      |   Precision   |             Length            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Quantization Table Data                    |
/// |                              ...                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Bit `i` of `Precision` set means table `i` has 16-bit entries (128
/// bytes) instead of 8-bit ones (64 bytes). Tables are in zig-zag order,
/// as in a DQT segment. A length of 0 (Q 128-254) means "the tables sent
/// before for this Q".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantHeader {
    pub mbz: u8,
    pub precision: u8,
    pub length: u16,
}

impl QuantHeader {
    pub const LEN: usize = 4;

    pub fn parse(data: &[u8]) -> Result<QuantHeader> {
        let Some(b) = data.first_chunk::<4>() else {
            return Err(RtpError::malformed(format!(
                "RTP/JPEG quantization table header: {} bytes, need 4",
                data.len()
            )));
        };
        Ok(QuantHeader {
            mbz: b[0],
            precision: b[1],
            length: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.mbz, self.precision]);
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}

/// One RTP/JPEG payload taken apart.
#[derive(Clone, Copy, Debug)]
pub struct JpegPayload<'a> {
    pub main: MainHeader,
    pub restart: Option<RestartHeader>,
    /// The quantization table header and its table bytes.
    pub quant: Option<(QuantHeader, &'a [u8])>,
    /// Scan data.
    pub data: &'a [u8],
}

impl<'a> JpegPayload<'a> {
    /// Splits an RTP payload into its headers and scan data.
    pub fn parse(payload: &'a [u8]) -> Result<JpegPayload<'a>> {
        let main = MainHeader::parse(payload)?;
        let mut rest = &payload[MainHeader::LEN..];
        let restart = if main.has_restart_header() {
            let r = RestartHeader::parse(rest)?;
            rest = &rest[RestartHeader::LEN..];
            Some(r)
        } else {
            None
        };
        let quant = if main.q >= 128 && main.fragment_offset == 0 {
            let h = QuantHeader::parse(rest)?;
            rest = &rest[QuantHeader::LEN..];
            let len = usize::from(h.length);
            if rest.len() < len {
                return Err(RtpError::malformed(format!(
                    "RTP/JPEG quantization tables: length {len}, only {} bytes follow",
                    rest.len()
                )));
            }
            let (tables, after) = rest.split_at(len);
            rest = after;
            Some((h, tables))
        } else {
            None
        };
        Ok(JpegPayload {
            main,
            restart,
            quant,
            data: rest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let main = MainHeader {
            type_specific: 0,
            fragment_offset: 0x12_3456,
            kind: 65,
            q: 255,
            width: 80,
            height: 60,
        };
        let restart = RestartHeader {
            interval: 10,
            first: true,
            last: false,
            count: 0x1234,
        };
        let quant = QuantHeader {
            mbz: 0,
            precision: 0,
            length: 3,
        };
        let mut out = Vec::new();
        main.write(&mut out);
        restart.write(&mut out);
        assert_eq!(&out[..8], &[0, 0x12, 0x34, 0x56, 65, 255, 80, 60]);
        assert_eq!(&out[8..], &[0, 10, 0x92, 0x34]);
        // Offset is not 0: no table header expected.
        out.extend_from_slice(b"scan");
        let p = JpegPayload::parse(&out).unwrap();
        assert_eq!(p.main, main);
        assert_eq!(p.restart, Some(restart));
        assert!(p.quant.is_none());
        assert_eq!(p.data, b"scan");

        let mut out = Vec::new();
        MainHeader {
            fragment_offset: 0,
            ..main
        }
        .write(&mut out);
        restart.write(&mut out);
        quant.write(&mut out);
        out.extend_from_slice(&[1, 2, 3, 9]);
        let p = JpegPayload::parse(&out).unwrap();
        assert_eq!(p.quant, Some((quant, &[1u8, 2, 3][..])));
        assert_eq!(p.data, &[9]);
    }

    #[test]
    fn short_payloads_are_errors() {
        assert!(JpegPayload::parse(&[0; 7]).is_err());
        // Type 64 without its restart header.
        assert!(JpegPayload::parse(&[0, 0, 0, 1, 64, 50, 1, 1]).is_err());
        // Q 255 at offset 0 with a table length past the end.
        let p = [0, 0, 0, 0, 1, 255, 1, 1, 0, 0, 0, 128, 1, 2];
        assert!(JpegPayload::parse(&p).is_err());
    }
}
