//! RTP packets (RFC 3550 section 5.1), read and written through
//! `rtp-types`, which handles CSRCs, header extensions and padding.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           synchronization source (SSRC) identifier            |
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! |            contributing source (CSRC) identifiers             |
//! |                             ....                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::error::{Result, RtpError};

/// The fields of an RTP header that reception needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Where the payload lies in the packet (after CSRCs and extension,
    /// before padding).
    pub payload: std::ops::Range<usize>,
}

impl RtpHeader {
    /// Parses a packet's header; version 2 only.
    pub fn parse(packet: &[u8]) -> Result<RtpHeader> {
        let rtp = rtp_types::RtpPacket::parse(packet)
            .map_err(|e| RtpError::malformed(format!("RTP packet: {e}")))?;
        if rtp.version() != 2 {
            return Err(RtpError::malformed(format!(
                "RTP version {}",
                rtp.version()
            )));
        }
        let start = rtp.payload_offset();
        Ok(RtpHeader {
            payload_type: rtp.payload_type(),
            marker: rtp.marker_bit(),
            sequence: rtp.sequence_number(),
            timestamp: rtp.timestamp(),
            ssrc: rtp.ssrc(),
            payload: start..start + rtp.payload_len(),
        })
    }
}

/// Builds one RTP packet with a plain 12-byte header.
pub fn build(
    payload_type: u8,
    marker: bool,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) -> Result<Vec<u8>> {
    rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
        .payload_type(payload_type)
        .marker_bit(marker)
        .sequence_number(sequence)
        .timestamp(timestamp)
        .ssrc(ssrc)
        .payload(payload)
        .write_vec()
        .map_err(|e| RtpError::InvalidArgument(format!("RTP packet: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let p = build(26, true, 65535, 90_000, 0xdead_beef, b"abc").unwrap();
        let h = RtpHeader::parse(&p).unwrap();
        assert_eq!(
            (h.payload_type, h.marker, h.sequence, h.timestamp, h.ssrc),
            (26, true, 65535, 90_000, 0xdead_beef)
        );
        assert_eq!(&p[h.payload], b"abc");
        assert!(RtpHeader::parse(&p[..11]).is_err());
        let mut v1 = p.clone();
        v1[0] = 0x40;
        assert!(RtpHeader::parse(&v1).is_err());
        assert!(build(128, false, 0, 0, 0, b"").is_err());
    }
}
