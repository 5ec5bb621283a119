//! Property tests: any frame split into any valid set of subregions,
//! packetized, shuffled, duplicated and merged, reconstructs exactly; and
//! losses leave the lost blocks at their previous values.

use proptest::prelude::*;
use tessera_sc::{
    AssembledFrame, Assembler, AssemblerConfig, FrameGeometry, Merger, Packetizer,
    PacketizerConfig, Region, ScImage,
};

/// A frame of sparse random coefficients.
fn image_strategy() -> impl Strategy<Value = ScImage> {
    (
        1u16..90,
        1u16..70,
        prop::sample::select(vec![(1u8, 1u8), (2, 1), (2, 2), (1, 2), (4, 1)]),
    )
        .prop_flat_map(|(w, h, (hs, vs))| {
            let g = FrameGeometry::new(w, h, hs, vs).unwrap();
            let n = g.total_blocks() as usize;
            let block =
                prop::collection::vec((0usize..64, -2048i16..=2047), 0..12).prop_map(|entries| {
                    let mut b = [0i16; 64];
                    for (k, v) in entries {
                        b[k] = v;
                    }
                    b
                });
            prop::collection::vec(block, n).prop_map(move |blocks| ScImage {
                geometry: g,
                blocks,
            })
        })
}

/// Splits the MCU grid at random column and row cuts: a tiling of the
/// padded frame by rectangles.
fn tiling(g: &FrameGeometry, col_cuts: &[u32], row_cuts: &[u32]) -> Vec<Region> {
    let cols = g.bw() / u32::from(g.h_sub);
    let rows = g.bh() / u32::from(g.v_sub);
    let cuts = |n: u32, picks: &[u32]| {
        let mut c: Vec<u32> = picks.iter().map(|p| p % n).filter(|&p| p > 0).collect();
        c.push(0);
        c.push(n);
        c.sort_unstable();
        c.dedup();
        c
    };
    let (xs, ys) = (cuts(cols, col_cuts), cuts(rows, row_cuts));
    let mut regions = Vec::new();
    for yw in ys.windows(2) {
        for xw in xs.windows(2) {
            regions.push(Region {
                x: (xw[0] * g.mcu_width()) as u16,
                y: (yw[0] * g.mcu_height()) as u16,
                width: ((xw[1] - xw[0]) * g.mcu_width()) as u16,
                height: ((yw[1] - yw[0]) * g.mcu_height()) as u16,
            });
        }
    }
    regions
}

fn assemble(packets: &[Vec<u8>]) -> (Vec<AssembledFrame>, Assembler) {
    let mut assembler = Assembler::new(AssemblerConfig::default());
    let mut frames = Vec::new();
    for p in packets {
        frames.extend(assembler.push(p));
    }
    frames.extend(assembler.flush());
    (frames, assembler)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn any_split_reassembles_exactly(
        image in image_strategy(),
        col_cuts in prop::collection::vec(any::<u32>(), 0..4),
        row_cuts in prop::collection::vec(any::<u32>(), 0..4),
        max_packet in 162usize..1500,
        order in any::<u64>(),
        dup_every in 2usize..7,
    ) {
        let g = image.geometry;
        let regions = tiling(&g, &col_cuts, &row_cuts);
        let mut packets = Vec::new();
        for (i, region) in regions.iter().enumerate() {
            let mut config = PacketizerConfig::new(0x1000 + i as u32);
            config.max_packet = max_packet;
            config.initial_sequence = (i as u16).wrapping_mul(9000);
            let mut packetizer = Packetizer::new(config).unwrap();
            for p in packetizer.packetize(&image, *region, 90_000).unwrap() {
                prop_assert!(p.len() <= max_packet);
                packets.push(p);
            }
        }
        // Shuffle deterministically and duplicate some packets.
        let mut seed = order | 1;
        for i in (1..packets.len()).rev() {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            packets.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let dups: Vec<Vec<u8>> = packets.iter().step_by(dup_every).cloned().collect();
        packets.extend(dups);
        let (frames, assembler) = assemble(&packets);
        prop_assert_eq!(frames.len(), 1);
        prop_assert_eq!(&*frames[0].image, &image);
        prop_assert_eq!(assembler.stats().invalid_total(), 0);

        // Merged into one stream of the parent geometry: the same frame.
        let mut merger = Merger::new(0xABCD, 65530);
        let merged = merger.merge_frame(&frames[0].packets).unwrap();
        for p in &merged {
            let header = tessera_sc::ScHeader::parse(&p[12..]).unwrap();
            prop_assert_eq!(header.region, g.full_region());
            prop_assert_eq!(u32::from_be_bytes([p[8], p[9], p[10], p[11]]), 0xABCD);
        }
        prop_assert_eq!(merged.last().map(|p| p[1] & 0x80), Some(0x80));
        let (again, _) = assemble(&merged);
        prop_assert_eq!(again.len(), 1);
        prop_assert_eq!(&*again[0].image, &image);
    }
}

#[test]
fn lost_packets_keep_previous_blocks() {
    let g = FrameGeometry::new(64, 48, 2, 2).unwrap();
    let mut first = ScImage::zeroed(g);
    for (i, b) in first.blocks.iter_mut().enumerate() {
        b[0] = i as i16;
    }
    let mut second = first.clone();
    for b in &mut second.blocks {
        b[0] += 500;
        for (k, c) in b.iter_mut().enumerate().take(24).skip(1) {
            *c = k as i16 - 30;
        }
    }
    let regions = g.bands(2);
    let mut packetizers: Vec<Packetizer> = (0..2)
        .map(|i| {
            let mut c = PacketizerConfig::new(10 + i);
            c.max_packet = 200;
            Packetizer::new(c).unwrap()
        })
        .collect();
    let mut assembler = Assembler::new(AssemblerConfig::default());
    let mut frames = Vec::new();
    for (p, r) in packetizers.iter_mut().zip(&regions) {
        for packet in p.packetize(&first, *r, 1000).unwrap() {
            frames.extend(assembler.push(&packet));
        }
    }
    assert_eq!(frames.len(), 1);
    assert_eq!(*frames[0].image, first);
    // Frame 2: drop the second packet of the first band and the marked
    // last packet of the second band.
    let mut lost_blocks = Vec::new();
    let mut frames = Vec::new();
    for (band, (p, r)) in packetizers.iter_mut().zip(&regions).enumerate() {
        let packets = p.packetize(&second, *r, 4000).unwrap();
        assert!(packets.len() >= 3);
        for (i, packet) in packets.iter().enumerate() {
            let lose = (band == 0 && i == 1) || (band == 1 && i == packets.len() - 1);
            if lose {
                let header = tessera_sc::ScHeader::parse(&packet[12..]).unwrap();
                tessera_sc::blockdata::walk(&packet[30..], header.first_block, |a, _| {
                    lost_blocks.push(a);
                    Ok(())
                })
                .unwrap();
            } else {
                frames.extend(assembler.push(packet));
            }
        }
    }
    // Band 1 never sent its marker: the frame completes when the senders
    // move on to the next timestamp.
    assert!(frames.is_empty());
    for (p, r) in packetizers.iter_mut().zip(&regions) {
        let packets = p.packetize(&second, *r, 7000).unwrap();
        frames.extend(assembler.push(&packets[0]));
    }
    assert_eq!(frames.len(), 1);
    let frame = &frames[0];
    assert_eq!(frame.timestamp, 4000);
    assert!(!frame.forced);
    assert!(!lost_blocks.is_empty());
    for (addr, block) in frame.image.blocks.iter().enumerate() {
        let expected = if lost_blocks.contains(&(addr as u32)) {
            &first
        } else {
            &second
        };
        assert_eq!(block, &expected.blocks[addr], "block {addr}");
    }
}

#[test]
fn a_silent_sender_cannot_stall_the_stream() {
    for require_full_coverage in [true, false] {
        let g = FrameGeometry::new(32, 32, 2, 2).unwrap();
        let image = ScImage::zeroed(g);
        let regions = g.bands(2);
        let mut a = Packetizer::new(PacketizerConfig::new(1)).unwrap();
        let mut b = Packetizer::new(PacketizerConfig::new(2)).unwrap();
        let config = AssemblerConfig {
            require_full_coverage,
            ..AssemblerConfig::default()
        };
        let max_pending = config.max_pending_frames;
        let mut assembler = Assembler::new(config);
        // Both send frame 0; then only `a` sends.
        let mut emitted = Vec::new();
        for p in b.packetize(&image, regions[1], 0).unwrap() {
            emitted.extend(assembler.push(&p));
        }
        for t in 0..10u32 {
            for p in a.packetize(&image, regions[0], t * 3000).unwrap() {
                emitted.extend(assembler.push(&p));
            }
        }
        // Frames keep flowing, in order: forced once too many wait. With
        // coverage required they stay forced (half the frame has no
        // sender); without, `b` is forgotten once and frames complete on
        // `a`'s markers.
        assert!(
            emitted.len() >= 10 - max_pending,
            "{} frames",
            emitted.len()
        );
        let timestamps: Vec<u32> = emitted.iter().map(|f| f.timestamp).collect();
        assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "{timestamps:?}");
        if !require_full_coverage {
            assert_eq!(assembler.stats().forced_frames, 1);
            assert_eq!(emitted.len(), 10);
        }
        // Late packets for emitted frames are counted, not applied.
        for p in b.packetize(&image, regions[1], 3000).unwrap() {
            assert!(assembler.push(&p).is_empty());
        }
        assert!(assembler.stats().late > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Rate limiting keeps the stream valid: every packet is accepted, and
    /// each coefficient arrives unchanged or zeroed by the rules asked for.
    #[test]
    fn rate_limited_streams_stay_valid(
        image in image_strategy(),
        quality in 1u8..=100,
        cutoff in 0u8..=14,
        max_packet in 162usize..1500,
    ) {
        let g = image.geometry;
        let (luma, _) = tessera_jpeg::quality::tables_for_quality(quality);
        let mut config = PacketizerConfig::new(7);
        config.max_packet = max_packet;
        config.rate_limit = tessera_sc::RateLimit {
            zero_below: Some(luma),
            frequency_cutoff: Some(cutoff),
            replenish_threshold: None,
        };
        let mut packetizer = Packetizer::new(config).unwrap();
        let packets = packetizer.packetize(&image, g.full_region(), 0).unwrap();
        let (frames, assembler) = assemble(&packets);
        prop_assert_eq!(assembler.stats().invalid_total(), 0);
        prop_assert_eq!(frames.len(), 1);
        for (got, sent) in frames[0].image.blocks.iter().zip(&image.blocks) {
            for k in 0..64 {
                let q = i32::from(luma.0[k]);
                let small = i32::from(sent[k]).abs() + q / 2 < q;
                let above = k > 0 && (k % 8 + k / 8) as u8 > cutoff;
                let expected = if small || above { 0 } else { sent[k] };
                prop_assert_eq!(got[k], expected, "k {}", k);
            }
        }
    }
}
