//! Random packet sequences through the RTP jitter buffer (synthetic clock)
//! and into the RFC 2435 depayloader. Nothing may panic, memory stays
//! bounded, and every JPEG the depayloader produces must be readable by
//! `tessera_jpeg::read_info` without a panic.
//!
//! Input: a mode byte, then records. Mode bit 0 clear: each record is
//! `[advance_ms, len_hi, len_lo, datagram...]`, a raw datagram. Mode bit 0
//! set: each record is `[flags, len, payload...]` and the RTP header is
//! made up from the flags (marker, sequence step -1..2, timestamp advance,
//! second SSRC, clock advance), so the fuzzer spends its time on the
//! buffer's and the depayloader's logic rather than on RTP headers.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tessera_rtp::jitter::{JitterBuffer, JitterConfig, ReleasedFrame};
use tessera_rtp::jpeg::JpegDepayloader;

fn config() -> JitterConfig {
    JitterConfig {
        latency: Duration::from_millis(50),
        max_packets: 512,
        max_bytes: 1 << 20,
        restart_gap: 100,
        max_sources: 2,
        ..JitterConfig::default()
    }
}

fn consume(depay: &mut JpegDepayloader, frame: ReleasedFrame) {
    assert!(!frame.packets.is_empty());
    if let Ok(jpeg) = depay.depayload(&frame.packets) {
        let limits = tessera_core::Limits {
            max_dimension: 2048,
            max_pixels: 1 << 22,
            max_bytes: 1 << 20,
        };
        let info = tessera_jpeg::read_info(&jpeg, &limits);
        assert!(info.is_ok(), "rebuilt headers unreadable: {info:?}");
        // Decode small pictures fully too (the scan data is the fuzzer's).
        if let Ok(info) = info
            && info.width * info.height <= 64 * 64
        {
            let _ = tessera_jpeg::decode_coefficients(&jpeg, &limits);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut input)) = data.split_first() else {
        return;
    };
    let mut jb = JitterBuffer::new(config());
    let mut depay = JpegDepayloader::new();
    let mut now = Duration::ZERO;
    let (mut seq, mut ts) = (65530u16, u32::MAX - 9000);
    while !input.is_empty() {
        let packet = if mode & 1 == 0 {
            let [advance, hi, lo, rest @ ..] = input else { break };
            now += Duration::from_millis(u64::from(*advance));
            let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
            input = &rest[len..];
            rest[..len].to_vec()
        } else {
            let [flags, len, rest @ ..] = input else { break };
            let len = usize::from(*len).min(rest.len());
            let payload = &rest[..len];
            input = &rest[len..];
            seq = seq.wrapping_add(u16::from(flags >> 1 & 3)).wrapping_sub(1);
            if flags & 8 != 0 {
                ts = ts.wrapping_add(3000);
            }
            if flags & 32 != 0 {
                now += Duration::from_millis(u64::from(flags >> 6) * 40);
            }
            let ssrc = if flags & 16 != 0 { 2 } else { 1 };
            tessera_rtp::packet::build(26, flags & 1 != 0, seq, ts, ssrc, payload)
                .expect("a valid header")
        };
        jb.push(packet, now);
        assert!(jb.held_packets() <= 512);
        while let Some(frame) = jb.pop(now) {
            consume(&mut depay, frame);
        }
    }
    now += Duration::from_secs(1);
    while let Some(frame) = jb.pop(now) {
        consume(&mut depay, frame);
    }
    for frame in jb.flush() {
        consume(&mut depay, frame);
    }
    assert_eq!(jb.held_packets(), 0);
});
