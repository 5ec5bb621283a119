//! The jitter buffer under loss, reordering, duplication and delay, on a
//! virtual clock: frames with a lost packet are dropped and counted, every
//! other frame comes out intact and in timestamp order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;
use tessera_core::ChromaFormat;
use tessera_core::pattern::moving_pattern;
use tessera_jpeg::{EncodeOptions, encode_frame};
use tessera_rtp::jitter::{FrameStart, JitterBuffer, JitterConfig, ReleasedFrame};
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_rtp::packet::{RtpHeader, build};

const FRAME_MS: u64 = 33;

use tessera_testkit::Rng;

/// `frames` RTP/JPEG frames of a 64x48 moving pattern, 200-byte packets,
/// sequence numbers starting near the wrap.
fn jpeg_stream(frames: u32, ssrc: u32, first_seq: u16, first_ts: u32) -> Vec<Vec<Vec<u8>>> {
    let mut pay = JpegPayloader::new(JpegPayloaderConfig {
        max_packet: 200,
        initial_sequence: first_seq,
        ..JpegPayloaderConfig::new(ssrc)
    })
    .unwrap();
    (0..frames)
        .map(|i| {
            let frame = moving_pattern(64, 48, ChromaFormat::Yuv420, i);
            let jpeg = encode_frame(&frame, 60, &EncodeOptions::default()).unwrap();
            pay.packetize(&jpeg, first_ts.wrapping_add(i * 3000))
                .unwrap()
        })
        .collect()
}

/// A made-up payload type 96 stream with no way to tell a frame's start
/// from its payload: `sizes[i]` packets in frame i.
fn generic_stream(sizes: &[usize], first_seq: u16) -> Vec<Vec<Vec<u8>>> {
    let mut seq = first_seq;
    sizes
        .iter()
        .enumerate()
        .map(|(f, &n)| {
            (0..n)
                .map(|k| {
                    let p = build(96, k + 1 == n, seq, f as u32 * 3000, 7, &[f as u8, k as u8])
                        .unwrap();
                    seq = seq.wrapping_add(1);
                    p
                })
                .collect()
        })
        .collect()
}

struct Outcome {
    released: Vec<ReleasedFrame>,
    lossy_frames: BTreeSet<u32>,
    buffer: JitterBuffer,
}

/// Sends `stream` through a network with the given loss and duplicate
/// probabilities and up to `max_delay_ms` of random delay; pops after
/// every arrival, then drains.
fn simulate(
    stream: &[Vec<Vec<u8>>],
    config: JitterConfig,
    loss: f64,
    dup: f64,
    max_delay_ms: u64,
    seed: u64,
) -> Outcome {
    let mut rng = Rng(seed | 1);
    let mut arrivals: Vec<(Duration, usize, Vec<u8>)> = Vec::new();
    let mut lossy_frames = BTreeSet::new();
    let mut order = 0;
    for (f, packets) in stream.iter().enumerate() {
        for (k, p) in packets.iter().enumerate() {
            let sent = Duration::from_micros(f as u64 * FRAME_MS * 1000 + k as u64 * 100);
            if rng.chance(loss) {
                lossy_frames.insert(RtpHeader::parse(p).unwrap().timestamp);
                continue;
            }
            let copies = if rng.chance(dup) { 2 } else { 1 };
            for _ in 0..copies {
                let delay = Duration::from_micros(rng.below(max_delay_ms * 1000 + 1));
                arrivals.push((sent + delay, order, p.clone()));
                order += 1;
            }
        }
    }
    arrivals.sort();
    let mut buffer = JitterBuffer::new(config);
    let mut released = Vec::new();
    let mut last = Duration::ZERO;
    for (at, _, p) in arrivals {
        buffer.push(p, at);
        while let Some(f) = buffer.pop(at) {
            released.push(f);
        }
        last = at;
    }
    // Time passes with no more packets, then the stream ends.
    let later = last + Duration::from_secs(5);
    if let Some(deadline) = buffer.next_deadline() {
        assert!(deadline <= later);
    }
    while let Some(f) = buffer.pop(later) {
        released.push(f);
    }
    released.extend(buffer.flush());
    Outcome {
        released,
        lossy_frames,
        buffer,
    }
}

fn originals(stream: &[Vec<Vec<u8>>]) -> BTreeMap<u32, &Vec<Vec<u8>>> {
    stream
        .iter()
        .map(|f| (RtpHeader::parse(&f[0]).unwrap().timestamp, f))
        .collect()
}

/// Every released frame is one of the originals, byte for byte, and they
/// come out in timestamp order.
fn check_intact(stream: &[Vec<Vec<u8>>], released: &[ReleasedFrame]) {
    let originals = originals(stream);
    let first_ts = RtpHeader::parse(&stream[0][0]).unwrap().timestamp;
    let mut previous = None;
    for f in released {
        assert_eq!(
            originals.get(&f.timestamp).copied(),
            Some(&f.packets),
            "frame {} corrupt",
            f.timestamp
        );
        let age = f.timestamp.wrapping_sub(first_ts);
        assert!(previous.is_none_or(|p| age > p), "out of order");
        previous = Some(age);
    }
}

#[test]
fn clean_stream_comes_out_whole_and_in_order() {
    let stream = jpeg_stream(30, 0xabc, 65500, u32::MAX - 40_000);
    let out = simulate(&stream, JitterConfig::default(), 0.0, 0.0, 0, 1);
    assert_eq!(out.released.len(), 30, "{:?}", out.buffer.stats());
    check_intact(&stream, &out.released);
    let s = out.buffer.stats();
    assert_eq!(
        (
            s.lost,
            s.frames,
            s.frames_dropped,
            s.late,
            s.duplicates,
            s.reordered
        ),
        (0, 30, 0, 0, 0, 0)
    );
    assert_eq!(out.buffer.held_packets(), 0);
    // And each depayloads.
    let mut depay = JpegDepayloader::new();
    for f in &out.released {
        depay.depayload(&f.packets).unwrap();
    }
}

#[test]
fn loss_reorder_duplicates_delay() {
    for seed in 1..=6u64 {
        let stream = jpeg_stream(60, 0x77, 65000, 1234);
        let total_packets: usize = stream.iter().map(Vec::len).sum();
        let out = simulate(&stream, JitterConfig::default(), 0.02, 0.05, 20, seed);
        check_intact(&stream, &out.released);
        let released: BTreeSet<u32> = out.released.iter().map(|f| f.timestamp).collect();
        let all: BTreeSet<u32> = originals(&stream).keys().copied().collect();
        // Exactly the frames without loss come out.
        let expected: BTreeSet<u32> = all.difference(&out.lossy_frames).copied().collect();
        assert_eq!(released, expected, "seed {seed}");
        let s = out.buffer.stats();
        assert_eq!(s.frames as usize, expected.len());
        assert_eq!(
            s.frames_dropped as usize,
            out.lossy_frames.len(),
            "seed {seed}"
        );
        assert!(s.duplicates > 0 && s.reordered > 0, "seed {seed}: {s:?}");
        assert!(s.lost > 0 && (s.lost as usize) < total_packets);
        assert!(s.jitter > 0.0 && s.jitter_ms < 20.0, "{s:?}");
        assert_eq!(out.buffer.held_packets(), 0);
    }
}

#[test]
fn late_packets_are_counted_not_released() {
    let stream = jpeg_stream(5, 1, 10, 0);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let ms = Duration::from_millis;
    // Frame 0 without its second packet; frame 1 whole.
    for (i, p) in stream[0].iter().enumerate() {
        if i != 1 {
            jb.push(p.clone(), ms(0));
        }
    }
    for p in &stream[1] {
        jb.push(p.clone(), ms(33));
    }
    assert!(jb.pop(ms(100)).is_none(), "frame 0 may still complete");
    assert_eq!(jb.next_deadline(), Some(ms(200)));
    // Its deadline passes: frame 0 dropped, frame 1 released.
    let f = jb.pop(ms(200)).unwrap();
    assert_eq!(f.packets, stream[1]);
    assert_eq!(jb.stats().frames_dropped, 1);
    // The missing packet arrives after all: late.
    jb.push(stream[0][1].clone(), ms(250));
    assert_eq!(jb.stats().late, 1);
    assert!(jb.pop(ms(300)).is_none());
    // The next frame is released at once (its start is settled).
    for p in &stream[2] {
        jb.push(p.clone(), ms(300));
    }
    assert_eq!(jb.pop(ms(300)).unwrap().packets, stream[2]);
}

#[test]
fn generic_payloads_never_emit_a_frame_with_a_hole() {
    let stream = generic_stream(&[3, 1, 4, 2, 5, 1, 3, 2, 2, 4], 65530);
    let config = JitterConfig {
        frame_start: FrameStart::Generic,
        ..JitterConfig::default()
    };
    for seed in 1..=20u64 {
        let out = simulate(&stream, config.clone(), 0.1, 0.1, 15, seed);
        check_intact(&stream, &out.released);
        for lossy in &out.lossy_frames {
            assert!(!out.released.iter().any(|f| f.timestamp == *lossy));
        }
    }
    // Without loss, everything but the first frame (nothing says where
    // the first frame starts).
    let out = simulate(&stream, config, 0.0, 0.2, 15, 3);
    assert_eq!(out.released.len(), stream.len() - 1);
    assert_eq!(out.released[0].timestamp, 3000);
}

#[test]
fn timestamp_change_ends_a_frame_without_marker() {
    let mut jb = JitterBuffer::new(JitterConfig {
        frame_start: FrameStart::Generic,
        ..JitterConfig::default()
    });
    let t = Duration::from_millis;
    jb.push(build(96, false, 1, 100, 5, b"a").unwrap(), t(0));
    jb.push(build(96, false, 2, 100, 5, b"b").unwrap(), t(0));
    jb.push(build(96, true, 3, 200, 5, b"c").unwrap(), t(1));
    jb.push(build(96, false, 4, 300, 5, b"d").unwrap(), t(2));
    jb.push(build(96, true, 5, 300, 5, b"e").unwrap(), t(2));
    // The first frame's start is unknown: it is dropped once its time is
    // up. It ended at the timestamp change, so the second starts right
    // after it, and the third after the second's marker.
    assert!(jb.pop(t(1)).is_none());
    let b = jb.pop(t(200)).unwrap();
    assert_eq!((b.timestamp, b.packets.len()), (200, 1));
    let c = jb.pop(t(200)).unwrap();
    assert_eq!((c.timestamp, c.packets.len()), (300, 2));
    assert_eq!(jb.stats().frames_dropped, 1);
}

#[test]
fn sender_restarts_are_handled() {
    let before = jpeg_stream(4, 9, 100, 5000);
    let after = jpeg_stream(4, 9, 40_000, 77_777_777);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut out = Vec::new();
    let mut now = Duration::ZERO;
    for f in before.iter().chain(&after) {
        for p in f {
            jb.push(p.clone(), now);
        }
        now += Duration::from_millis(FRAME_MS);
        while let Some(f) = jb.pop(now) {
            out.push(f);
        }
    }
    out.extend(jb.flush());
    assert_eq!(out.len(), 8);
    assert_eq!(jb.stats().restarts, 1);
    assert_eq!(jb.stats().lost, 0);
    // A single stray packet far away is not a restart.
    let mut jb = JitterBuffer::new(JitterConfig::default());
    for f in &before[..2] {
        for p in f {
            jb.push(p.clone(), now);
        }
    }
    jb.push(after[0][0].clone(), now);
    for p in &before[2] {
        jb.push(p.clone(), now);
    }
    assert_eq!(jb.stats().restarts, 0);
    assert_eq!(jb.stats().out_of_range, 1);
    assert_eq!(jb.flush().len(), 3);
    // A new SSRC counts as a restart too.
    let other = jpeg_stream(2, 10, 0, 0);
    for p in &other[0] {
        jb.push(p.clone(), now);
    }
    assert_eq!(jb.stats().restarts, 1);
    assert_eq!(jb.stats().sources, 2);
    assert_eq!(jb.flush().len(), 1);
}

#[test]
fn memory_is_bounded() {
    let config = JitterConfig {
        max_packets: 50,
        max_bytes: 4000,
        frame_start: FrameStart::Generic,
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config);
    // No markers, a new timestamp every 3 packets, and nothing popped.
    for i in 0..3000u32 {
        jb.push(
            build(96, false, i as u16, i / 3, 1, &[0; 100]).unwrap(),
            Duration::ZERO,
        );
        assert!(jb.held_packets() <= 50);
    }
    assert!(jb.stats().overflow_drops > 0);
    // Garbage is counted as invalid.
    jb.push(vec![1, 2, 3], Duration::ZERO);
    assert_eq!(jb.stats().invalid, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any loss pattern, duplicates and reordering within the latency, any
    /// starting sequence number: no frame comes out corrupt or out of
    /// order; without loss every frame comes out.
    #[test]
    fn buffer_invariants(
        sizes in proptest::collection::vec(1usize..6, 1..25),
        first_seq in any::<u16>(),
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.3,
        delay in 0u64..60,
        seed in any::<u64>(),
        generic in any::<bool>(),
    ) {
        let stream = generic_stream(&sizes, first_seq);
        let config = JitterConfig {
            frame_start: if generic { FrameStart::Generic } else { FrameStart::Custom(|p| Some(p.get(1) == Some(&0))) },
            ..JitterConfig::default()
        };
        let out = simulate(&stream, config.clone(), loss, dup, delay, seed);
        check_intact(&stream, &out.released);
        for lossy in &out.lossy_frames {
            prop_assert!(!out.released.iter().any(|f| f.timestamp == *lossy));
        }
        let s = out.buffer.stats();
        prop_assert_eq!(out.buffer.held_packets(), 0);
        prop_assert_eq!(s.frames as usize, out.released.len());
        if !generic {
            // With a frame-start rule, exactly the lossy frames are lost.
            prop_assert_eq!(out.released.len() + out.lossy_frames.len(), sizes.len());
        }
        let clean = simulate(&stream, config, 0.0, dup, delay, seed);
        prop_assert_eq!(clean.released.len(), sizes.len() - usize::from(generic));
    }
}
