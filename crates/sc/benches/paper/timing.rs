//! Clocks: wall time for single runs, thread CPU time for long windows (so
//! a busy machine inflates neither side), and ffmpeg's own CPU figures.

use std::time::{Duration, Instant};

/// CPU time this thread has run, from `/proc/thread-self/schedstat`
/// (Linux; updated at scheduler ticks, so only windows of many
/// milliseconds are meaningful). `None` elsewhere.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Seconds per call of `f`: the fastest of `batches` batches of `calls`
/// calls (wall), and the CPU time over all of them.
#[derive(Clone, Copy, Debug)]
pub struct PerCall {
    pub wall_min: f64,
    pub cpu: Option<f64>,
}

pub fn per_call(batches: usize, calls: usize, mut f: impl FnMut()) -> PerCall {
    f();
    let cpu0 = thread_cpu();
    let mut best = f64::INFINITY;
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / calls as f64);
    }
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) => Some((b - a).as_secs_f64() / (batches * calls) as f64),
        _ => None,
    };
    PerCall {
        wall_min: best,
        cpu,
    }
}

/// Calls per batch so that one batch lasts about `target`.
pub fn calls_for(target: Duration, mut f: impl FnMut()) -> usize {
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-7);
    ((target.as_secs_f64() / once).ceil() as usize).clamp(1, 1_000_000)
}

/// CPU seconds (user + system) ffmpeg reports with `-benchmark`.
pub fn ffmpeg_cpu_seconds(args: &[String]) -> f64 {
    tessera_testkit::ffmpeg_cpu_seconds(args)
}
