//! Extended sequence numbers and timestamps (RFC 3550 section 6.4.1 and
//! Appendix A.1): 16-bit sequence numbers and 32-bit timestamps that wrap
//! become 64-bit counters that do not.
//!
//! Each value is placed at the 64-bit number nearest to the last one
//! accepted, so reordering by less than half the range in either direction
//! is handled, including across a wrap.

/// Extends 16-bit RTP sequence numbers to 64 bits.
///
/// The first value maps to `1 << 32` plus itself, so a packet reordered
/// before the first one still has a room below it.
#[derive(Clone, Debug, Default)]
pub struct SeqExtender {
    highest: Option<u64>,
}

/// Where extended counters start: far enough from 0 that values from
/// reordered packets before the first one stay positive.
const BASE: u64 = 1 << 32;

fn extend_near(reference: u64, value: u64, bits: u32) -> u64 {
    let range = 1u64 << bits;
    let mask = range - 1;
    let half = range / 2;
    let candidate = (reference & !mask) | value;
    if candidate + half < reference {
        // Wrapped forward: the value belongs to the next cycle.
        candidate + range
    } else if candidate > reference + half && candidate >= range {
        // Reordered from before a wrap: the previous cycle.
        candidate - range
    } else {
        candidate
    }
}

impl SeqExtender {
    pub fn new() -> Self {
        SeqExtender { highest: None }
    }

    /// The 64-bit sequence number of `seq`. The highest value seen moves
    /// forward only.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let extended = self.peek(seq);
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        extended
    }

    /// What [`extend`](Self::extend) would return, without recording it.
    pub fn peek(&self, seq: u16) -> u64 {
        match self.highest {
            None => BASE + u64::from(seq),
            Some(h) => extend_near(h, u64::from(seq), 16),
        }
    }

    /// The highest extended sequence number seen, if any.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }
}

/// Extends 32-bit RTP timestamps to 64 bits the same way.
#[derive(Clone, Debug, Default)]
pub struct TimestampExtender {
    highest: Option<u64>,
}

impl TimestampExtender {
    pub fn new() -> Self {
        TimestampExtender { highest: None }
    }

    /// The 64-bit timestamp of `ts`.
    pub fn extend(&mut self, ts: u32) -> u64 {
        let extended = self.peek(ts);
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        extended
    }

    /// What [`extend`](Self::extend) would return, without recording it.
    pub fn peek(&self, ts: u32) -> u64 {
        match self.highest {
            None => (1u64 << 40) + u64::from(ts),
            Some(h) => extend_near(h, u64::from(ts), 32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_forward_and_back() {
        let mut e = SeqExtender::new();
        let a = e.extend(65534);
        assert_eq!(e.extend(65535), a + 1);
        assert_eq!(e.extend(0), a + 2);
        assert_eq!(e.extend(1), a + 3);
        // A straggler from before the wrap.
        assert_eq!(e.extend(65533), a - 1);
        assert_eq!(e.highest(), Some(a + 3));
        // Before the first packet.
        let mut e = SeqExtender::new();
        let first = e.extend(3);
        assert_eq!(e.extend(65530), first - 9);
    }

    #[test]
    fn timestamps_wrap() {
        let mut e = TimestampExtender::new();
        let a = e.extend(u32::MAX - 1000);
        assert_eq!(e.extend(2000), a + 3001);
        assert_eq!(e.extend(u32::MAX), a + 1000);
    }

    proptest! {
        /// A walk with forward steps and bounded reordering: every packet's
        /// extended number equals its true 64-bit position.
        #[test]
        fn extension_matches_true_position(
            start in any::<u16>(),
            steps in proptest::collection::vec((1u64..2000, -1000i64..1000), 1..400),
        ) {
            let mut e = SeqExtender::new();
            let mut truth = u64::from(start) + (1 << 32);
            prop_assert_eq!(e.extend(start), truth);
            let mut highest = truth;
            for (forward, jitter) in steps {
                truth += forward;
                highest = highest.max(truth);
                // A reordered packet somewhere near the newest.
                let probe = (truth as i64 + jitter) as u64;
                let got = e.extend(truth as u16);
                prop_assert_eq!(got, truth);
                if probe + 30000 > highest && probe <= highest + 30000 {
                    prop_assert_eq!(e.peek(probe as u16), probe);
                }
            }
        }
    }
}
