//! Merging SC streams of several subregions into one stream of the parent
//! geometry by rewriting headers only (`docs/sc-format.md` section 6).

use crate::error::Invalid;
use crate::header::{HEADER_LEN, ScHeader};

/// Rewrites packets from any number of subregion streams into one stream:
/// the SC header's rectangle becomes the whole padded frame, sequence
/// numbers are renumbered into one sequence and the SSRC replaced. Block
/// data is copied unchanged.
#[derive(Debug, Clone)]
pub struct Merger {
    ssrc: u32,
    sequence: u16,
}

impl Merger {
    pub fn new(ssrc: u32, initial_sequence: u16) -> Merger {
        Merger {
            ssrc,
            sequence: initial_sequence,
        }
    }

    /// Rewrites one packet; `marker` sets the merged stream's marker bit.
    pub fn rewrite(&mut self, packet: &[u8], marker: bool) -> Result<Vec<u8>, Invalid> {
        let rtp = rtp_types::RtpPacket::parse(packet).map_err(|_| Invalid::Rtp)?;
        let payload = rtp.payload();
        let header = ScHeader::parse(payload)?;
        let mut body = Vec::with_capacity(payload.len());
        ScHeader {
            region: header.geometry.full_region(),
            ..header
        }
        .write(&mut body);
        body.extend_from_slice(&payload[HEADER_LEN..]);
        let out = tessera_rtp::packet::build(
            rtp.payload_type(),
            marker,
            self.sequence,
            rtp.timestamp(),
            self.ssrc,
            &body,
        )
        .map_err(|_| Invalid::Rtp)?;
        self.sequence = self.sequence.wrapping_add(1);
        Ok(out)
    }

    /// Rewrites all the packets of one frame, the marker on the last only.
    pub fn merge_frame<P: AsRef<[u8]>>(&mut self, packets: &[P]) -> Result<Vec<Vec<u8>>, Invalid> {
        let n = packets.len();
        packets
            .iter()
            .enumerate()
            .map(|(i, p)| self.rewrite(p.as_ref(), i + 1 == n))
            .collect()
    }
}
