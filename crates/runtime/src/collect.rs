//! Gathering the RTP packets of one frame (one timestamp, ended by the
//! marker bit) from a stream that arrives in order.

/// Bytes of one frame's packets, at most (as RTP/JPEG allows).
const MAX_FRAME_BYTES: usize = tessera_rtp::jpeg::MAX_FRAME_BYTES;

/// The packets of the frame a stream is in the middle of.
#[derive(Debug, Default)]
pub(crate) struct FrameCollector {
    timestamp: Option<u32>,
    packets: Vec<Vec<u8>>,
    bytes: usize,
}

impl FrameCollector {
    /// Adds a packet of the frame at `timestamp`. Returns how many packets
    /// were dropped (a frame left incomplete by a new timestamp, or one
    /// over the size bound with this packet) and, on the marker, the
    /// frame's packets.
    pub(crate) fn push(
        &mut self,
        packet: &[u8],
        timestamp: u32,
        marker: bool,
    ) -> (u64, Option<Vec<Vec<u8>>>) {
        let mut dropped = 0;
        if self.timestamp != Some(timestamp) {
            // A frame left incomplete is lost.
            dropped += self.packets.len() as u64;
            *self = FrameCollector {
                timestamp: Some(timestamp),
                ..FrameCollector::default()
            };
        }
        if self.bytes + packet.len() > MAX_FRAME_BYTES {
            dropped += self.packets.len() as u64 + 1;
            *self = FrameCollector::default();
            return (dropped, None);
        }
        self.bytes += packet.len();
        self.packets.push(packet.to_vec());
        if !marker {
            return (dropped, None);
        }
        let packets = std::mem::take(&mut self.packets);
        *self = FrameCollector::default();
        (dropped, Some(packets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_end_on_the_marker_and_incomplete_ones_are_counted() {
        let mut c = FrameCollector::default();
        assert_eq!(c.push(b"a", 10, false), (0, None));
        assert_eq!(
            c.push(b"b", 10, true),
            (0, Some(vec![b"a".to_vec(), b"b".to_vec()]))
        );
        // Two packets of frame 20 left without their marker.
        c.push(b"c", 20, false);
        c.push(b"d", 20, false);
        assert_eq!(c.push(b"e", 30, true), (2, Some(vec![b"e".to_vec()])));
        // Past the size bound: everything held and the packet are dropped.
        c.push(b"f", 40, false);
        let huge = vec![0u8; MAX_FRAME_BYTES];
        assert_eq!(c.push(&huge, 40, false), (2, None));
        assert_eq!(c.push(b"g", 40, true), (0, Some(vec![b"g".to_vec()])));
    }
}
