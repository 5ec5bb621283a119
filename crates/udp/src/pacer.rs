//! Paced sending: a token bucket in bytes, driven by the caller's clock.

use std::time::Duration;

/// Limits a sender to `rate` bytes per second with bursts of at most
/// `burst` bytes, so that the packets of a large frame reach a receiver
/// spread out instead of at once (a 1080p JPEG frame is hundreds of
/// packets; sent back to back they overflow a default socket buffer).
///
/// Without I/O: [`Pacer::delay`] says how long to wait before sending a
/// packet of a given size at time `now`; the caller sleeps, then calls
/// [`Pacer::sent`].
#[derive(Debug, Clone)]
pub struct Pacer {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Duration>,
}

impl Pacer {
    /// `rate` bytes per second (> 0), `burst` bytes.
    pub fn new(rate: f64, burst: usize) -> Pacer {
        Pacer {
            rate: rate.max(1.0),
            burst: burst.max(1) as f64,
            tokens: burst.max(1) as f64,
            last: None,
        }
    }

    /// A pacer that sends `bytes_per_frame` at `fps` frames per second
    /// within `spread` (0-1) of each frame interval, with bursts of
    /// `burst` bytes.
    pub fn for_video(bytes_per_frame: usize, fps: f64, spread: f64, burst: usize) -> Pacer {
        let spread = spread.clamp(0.05, 1.0);
        Pacer::new(bytes_per_frame as f64 * fps.max(0.1) / spread, burst)
    }

    fn refill(&mut self, now: Duration) {
        if let Some(last) = self.last {
            let elapsed = now.saturating_sub(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        }
        self.last = Some(now);
    }

    /// How long to wait from `now` before sending `bytes`.
    pub fn delay(&mut self, bytes: usize, now: Duration) -> Duration {
        self.refill(now);
        let need = bytes as f64 - self.tokens;
        if need <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(need / self.rate)
        }
    }

    /// Records that `bytes` were sent at `now`.
    pub fn sent(&mut self, bytes: usize, now: Duration) {
        self.refill(now);
        self.tokens -= bytes as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_a_burst_at_the_rate() {
        // 1 MB/s, 3000-byte bursts: 100 packets of 1000 bytes take ~97 ms.
        let mut p = Pacer::new(1.0e6, 3000);
        let mut now = Duration::ZERO;
        for _ in 0..100 {
            now += p.delay(1000, now);
            p.sent(1000, now);
        }
        let ms = now.as_secs_f64() * 1e3;
        assert!((96.0..=98.0).contains(&ms), "{ms} ms");
        // After a long idle, a burst goes out at once.
        now += Duration::from_secs(1);
        assert_eq!(p.delay(3000, now), Duration::ZERO);
    }
}
