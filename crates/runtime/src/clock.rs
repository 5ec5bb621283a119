//! Frame numbers on the 90 kHz RTP clock of the internal streams.
//!
//! Inside a session every stream (inputs re-timed by the aligner, SC
//! bands) stamps output frame `n` with `n * step` (wrapping), where `step`
//! is one frame period in 90 kHz ticks rounded to an integer, so frame
//! numbers are recovered exactly from timestamps.

use tessera_core::Rational;

/// RTP video clock rate.
pub const CLOCK_RATE: u64 = 90_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameClock {
    rate: Rational,
    step: u32,
}

impl FrameClock {
    /// The clock of a stream at `rate` frames per second.
    pub fn new(rate: Rational) -> FrameClock {
        let num = u64::from(rate.num.max(1));
        let den = u64::from(rate.den.max(1));
        let step = ((CLOCK_RATE * den + num / 2) / num).clamp(1, u64::from(u32::MAX / 2));
        FrameClock {
            rate,
            step: step as u32,
        }
    }

    pub fn rate(&self) -> Rational {
        self.rate
    }

    /// Seconds from frame 0 to frame `frame` at the nominal rate.
    pub fn seconds(&self, frame: u64) -> f64 {
        frame as f64 * f64::from(self.rate.den.max(1)) / f64::from(self.rate.num.max(1))
    }

    /// Ticks per frame.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// The RTP timestamp of frame `frame`.
    pub fn timestamp(&self, frame: u64) -> u32 {
        (frame.wrapping_mul(u64::from(self.step))) as u32
    }

    /// The frame whose timestamp is `timestamp`, taking the one nearest
    /// after `near` (frames more than half the timestamp range before
    /// `near` are read as wrapped), or `None` when `timestamp` is not on
    /// the frame grid.
    pub fn frame(&self, timestamp: u32, near: u64) -> Option<u64> {
        let base = self.timestamp(near);
        let delta = timestamp.wrapping_sub(base) as i32;
        if delta % self.step as i32 != 0 {
            return None;
        }
        let frames = i64::from(delta / self.step as i32);
        u64::try_from(near as i64 + frames).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_round_trips() {
        let ntsc = FrameClock::new(Rational::new(30000, 1001).unwrap());
        assert_eq!(ntsc.step(), 3003);
        let pal = FrameClock::new(Rational::new(25, 1).unwrap());
        assert_eq!(pal.step(), 3600);
        for n in [0u64, 1, 7, 1_000_000, 1_192_999, 1_193_100, 5_000_000] {
            let ts = pal.timestamp(n);
            assert_eq!(pal.frame(ts, n.saturating_sub(3)), Some(n), "frame {n}");
            assert_eq!(pal.frame(ts, n + 2), Some(n));
        }
        assert_eq!(pal.frame(1, 0), None);
    }
}
