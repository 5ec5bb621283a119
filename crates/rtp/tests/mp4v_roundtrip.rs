//! RFC 6416 MP4V-ES round trips: access units of any size through the
//! payloader and back through the depayloader (directly, and through the
//! jitter buffer with reordering), unchanged; with loss, an access unit is
//! delivered only when what arrived of it is whole from a header on;
//! arbitrary packets never
//! make the depayloader panic or hold more than its bounds.

use std::time::Duration;

use proptest::prelude::*;
use tessera_rtp::jitter::{FrameStart, JitterBuffer, JitterConfig};
use tessera_rtp::mp4v::{
    MIN_PACKET, Mp4vDepayloader, Mp4vDepayloaderConfig, Mp4vPayloader, Mp4vPayloaderConfig,
    starts_frame,
};
use tessera_rtp::packet::{RtpHeader, build};

/// VOS, VO and a VOL header (their first bytes).
const CONFIG: [u8; 20] = [
    0, 0, 1, 0xb0, 1, 0, 0, 1, 0xb5, 9, 0, 0, 1, 0, 0, 0, 1, 0x20, 0, 0xc4,
];
const GOV: [u8; 7] = [0, 0, 1, 0xb3, 0, 0x10, 7];

/// One access unit to send: an optional GOV, then a VOP of `body` bytes.
#[derive(Clone, Debug)]
struct Unit {
    gov: bool,
    intra: bool,
    body: Vec<u8>,
    /// Video packet starts, as fractions of the VOP.
    resyncs: Vec<u16>,
}

impl Unit {
    fn bytes(&self) -> Vec<u8> {
        let gov: &[u8] = if self.gov { &GOV } else { &[] };
        let vop = [0, 0, 1, 0xb6, if self.intra { 0x10 } else { 0x50 }];
        [gov, &vop, &self.body].concat()
    }

    fn video_packets(&self) -> Vec<usize> {
        let len = self.bytes().len();
        let vop_at = if self.gov { GOV.len() } else { 0 };
        self.resyncs
            .iter()
            .map(|&r| vop_at + 5 + usize::from(r) * self.body.len() / 65536)
            .filter(|&o| o < len)
            .collect()
    }
}

/// Bodies with many zero bytes, so that start codes turn up inside
/// VOPs as well.
fn unit() -> impl Strategy<Value = Unit> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(prop_oneof![Just(0u8), Just(1), any::<u8>()], 0..4000),
        prop::collection::vec(any::<u16>(), 0..6),
    )
        .prop_map(|(gov, intra, body, resyncs)| Unit {
            gov,
            intra,
            body,
            resyncs,
        })
}

/// The packets of every unit, and what the receiver should rebuild.
fn send(
    units: &[Unit],
    max_packet: usize,
    repeat: bool,
    first_seq: u16,
) -> (Vec<Vec<Vec<u8>>>, Vec<Vec<u8>>) {
    let mut pay = Mp4vPayloader::new(Mp4vPayloaderConfig {
        max_packet,
        initial_sequence: first_seq,
        config: CONFIG.to_vec(),
        repeat_config: repeat,
        ..Mp4vPayloaderConfig::new(0xfeed)
    })
    .unwrap();
    let mut packets = Vec::new();
    let mut expected = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let bytes = u.bytes();
        let p = pay
            .packetize_video_packets(&bytes, i as u32 * 3000, &u.video_packets())
            .unwrap();
        expected.push(if repeat && u.intra {
            [&CONFIG[..], &bytes].concat()
        } else {
            bytes
        });
        packets.push(p);
    }
    (packets, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn access_units_round_trip(
        units in prop::collection::vec(unit(), 1..12),
        max_packet in MIN_PACKET..1500usize,
        repeat in any::<bool>(),
        first_seq in any::<u16>(),
    ) {
        let (packets, expected) = send(&units, max_packet, repeat, first_seq);
        let mut seq = first_seq;
        for (i, unit_packets) in packets.iter().enumerate() {
            for (k, p) in unit_packets.iter().enumerate() {
                prop_assert!(p.len() <= max_packet);
                let h = RtpHeader::parse(p).unwrap();
                prop_assert_eq!(h.marker, k + 1 == unit_packets.len());
                prop_assert_eq!(h.timestamp, i as u32 * 3000);
                prop_assert_eq!(h.sequence, seq);
                seq = seq.wrapping_add(1);
            }
            // One packet whenever the unit fits.
            if expected[i].len() <= max_packet - 12 {
                prop_assert_eq!(unit_packets.len(), 1);
            }
        }
        let mut depay = Mp4vDepayloader::default();
        for p in packets.iter().flatten() {
            depay.push(p);
        }
        let got: Vec<Vec<u8>> = std::iter::from_fn(|| depay.pop()).map(|a| a.data).collect();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(depay.stats().dropped, 0);
    }

    #[test]
    fn loss_drops_exactly_the_units_hit(
        units in prop::collection::vec(unit(), 1..12),
        max_packet in MIN_PACKET..600usize,
        repeat in any::<bool>(),
        seed in any::<u64>(),
        rate in 0.0..0.3f64,
    ) {
        let (packets, _) = send(&units, max_packet, repeat, 65000);
        let mut state = seed | 1;
        let mut lose = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1000) as f64 / 1000.0 < rate
        };
        let mut depay = Mp4vDepayloader::default();
        let mut expected = Vec::new();
        let mut missing = 0;
        for unit_packets in &packets {
            let received: Vec<bool> = unit_packets.iter().map(|_| !lose()).collect();
            for (p, &ok) in unit_packets.iter().zip(&received) {
                if ok {
                    depay.push(p);
                } else {
                    missing += 1;
                }
            }
            // What arrives from the first packet received on must be
            // whole and start with a header; then it is delivered (all of
            // the unit unless header-only packets at its start were lost).
            let Some(first) = received.iter().position(|&ok| ok) else {
                continue;
            };
            let payloads: Vec<&[u8]> = unit_packets[first..]
                .iter()
                .map(|p| &p[RtpHeader::parse(p).unwrap().payload])
                .collect();
            if received[first..].iter().all(|&ok| ok) && payloads[0].starts_with(&[0, 0, 1]) {
                expected.push(payloads.concat());
            }
        }
        depay.flush();
        let got: Vec<Vec<u8>> = std::iter::from_fn(|| depay.pop()).map(|a| a.data).collect();
        prop_assert!(got == expected, "{} access units, expected {}", got.len(), expected.len());
        let s = depay.stats();
        // Loss after the last packet received cannot be seen.
        prop_assert!(s.lost <= missing);
        prop_assert!(s.dropped as usize <= packets.len() - expected.len());
    }

    #[test]
    fn arbitrary_packets_never_panic(
        packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..64),
        shaped in prop::collection::vec(
            (0u16..8, 0u32..4, any::<bool>(), prop::collection::vec(0u8..3, 0..40)),
            0..200,
        ),
    ) {
        let config = Mp4vDepayloaderConfig {
            max_access_unit: 64,
            max_queued: 4,
            ..Mp4vDepayloaderConfig::default()
        };
        let mut depay = Mp4vDepayloader::new(config.clone());
        for p in &packets {
            depay.push(p);
        }
        // Plausible headers with few distinct values, so that runs,
        // gaps, duplicates and start codes all happen.
        let mut seq = 0u16;
        for (step, ts, marker, payload) in &shaped {
            seq = seq.wrapping_add(*step).wrapping_sub(1);
            depay.push(&build(96, *marker, seq, *ts, 1, payload).unwrap());
        }
        depay.flush();
        let mut n = 0;
        while let Some(au) = depay.pop() {
            prop_assert!(au.data.len() <= config.max_access_unit);
            prop_assert!(au.data.starts_with(&[0, 0, 1]));
            n += 1;
        }
        prop_assert!(n <= config.max_queued);
        let s = depay.stats();
        prop_assert_eq!(s.access_units as usize, n);
        prop_assert!(s.invalid + s.late <= s.packets);
    }
}

/// Through the jitter buffer: packets shuffled within a small window come
/// out as the access units sent, the first one included (its first packet
/// starts with a start code, which [`starts_frame`] tells the buffer).
#[test]
fn through_the_jitter_buffer() {
    let units: Vec<Unit> = (0..30u8)
        .map(|i| Unit {
            gov: i % 10 == 0,
            intra: i % 10 == 0,
            body: (0..200 + 97 * usize::from(i))
                .map(|k| (k % 200) as u8 + 1)
                .collect(),
            resyncs: vec![20000, 40000],
        })
        .collect();
    let (packets, expected) = send(&units, 300, true, 65530);
    let mut flat: Vec<Vec<u8>> = packets.into_iter().flatten().collect();
    // Swap neighbours: every other pair arrives in the wrong order.
    for i in (0..flat.len() - 1).step_by(4) {
        flat.swap(i, i + 1);
    }
    let mut jb = JitterBuffer::new(JitterConfig {
        frame_start: FrameStart::Custom(starts_frame),
        ..JitterConfig::default()
    });
    let mut depay = Mp4vDepayloader::default();
    let mut got = Vec::new();
    for (i, p) in flat.into_iter().enumerate() {
        let now = Duration::from_millis(i as u64);
        jb.push(p, now);
        while let Some(frame) = jb.pop(now) {
            frame.packets.iter().for_each(|p| depay.push(p));
            got.extend(std::iter::from_fn(|| depay.pop()).map(|a| a.data));
        }
    }
    // The first frame waits out the latency (nothing before it says it
    // is whole), so most come out here.
    for frame in jb.flush() {
        frame.packets.iter().for_each(|p| depay.push(p));
        got.extend(std::iter::from_fn(|| depay.pop()).map(|a| a.data));
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "{:?} {:?}",
        jb.stats(),
        depay.stats()
    );
    assert!(got == expected);
    assert!(jb.stats().reordered > 0);
    assert_eq!(depay.stats().late, 0);
}
