//! The SC specification's worked example, byte for byte in both
//! directions, and every invalid-packet rule counted by the assembler.

use tessera_sc::{
    Assembler, AssemblerConfig, FrameGeometry, Invalid, Packetizer, PacketizerConfig, RateLimit,
    Region, ScImage,
};

/// `docs/sc-format.md` section 8.
const EXAMPLE: [u8; 38] = [
    0x80, 0xe4, 0x00, 0x07, 0x00, 0x00, 0x0b, 0xb8, 0x11, 0x22, 0x33, 0x44, // RTP
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00, 0x10, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00,
    0x00, 0x00, // SC header
    0x00, 0x64, 0x1f, 0xfd, 0x50, 0x07, 0xf4, 0x00, // block 0
];

fn example_block() -> [i16; 64] {
    let mut block = [0i16; 64];
    block[0] = 100;
    block[2] = -3; // u=2, v=0
    block[8] = 7; // u=0, v=1
    block
}

#[test]
fn worked_example_is_produced_byte_for_byte() {
    let geometry = FrameGeometry::new(16, 8, 1, 1).unwrap();
    let mut config = PacketizerConfig::new(0x1122_3344);
    config.initial_sequence = 6;
    config.rate_limit = RateLimit {
        replenish_threshold: Some(0),
        ..RateLimit::default()
    };
    let mut packetizer = Packetizer::new(config).unwrap();
    let mut image = ScImage::zeroed(geometry);
    let region = geometry.full_region();
    // Frame 1 sends every block; frame 2 changes only block 0, so only it
    // is described: the example packet.
    assert_eq!(packetizer.packetize(&image, region, 0).unwrap().len(), 1);
    image.blocks[0] = example_block();
    let packets = packetizer.packetize(&image, region, 3000).unwrap();
    assert_eq!(packets, vec![EXAMPLE.to_vec()]);
}

#[test]
fn worked_example_is_read() {
    let mut assembler = Assembler::new(AssemblerConfig::default());
    let frames = assembler.push(&EXAMPLE);
    assert_eq!(frames.len(), 1, "the marker completes the frame");
    let frame = &frames[0];
    assert_eq!(frame.timestamp, 3000);
    assert_eq!(frame.blocks_updated, 1);
    assert_eq!(
        frame.image.geometry,
        FrameGeometry::new(16, 8, 1, 1).unwrap()
    );
    assert_eq!(frame.image.blocks[0], example_block());
    assert!(frame.image.blocks[1..].iter().all(|b| *b == [0; 64]));
}

/// A valid packet for a 32x16 4:2:0 frame (bw=4, bh=2, 8 Y + 2 Cr + 2 Cb
/// blocks), left half (x 0..16), with block data `data`.
fn packet(rtp: [u8; 12], header: [u16; 6], subs: [u8; 2], first: u32, data: &[u16]) -> Vec<u8> {
    let mut p = rtp.to_vec();
    for v in header {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(&subs);
    p.extend_from_slice(&first.to_be_bytes());
    for w in data {
        p.extend_from_slice(&w.to_be_bytes());
    }
    p
}

const RTP: [u8; 12] = [0x80, 0xe4, 0, 1, 0, 0, 0, 90, 0, 0, 0, 5];
const LEFT: [u16; 6] = [0, 0, 16, 16, 32, 16];
const SUBS: [u8; 2] = [2, 2];
const BLOCK: [u16; 2] = [0x0010, 0xf400];

#[test]
fn every_invalid_packet_rule_is_counted_and_dropped() {
    let valid = packet(RTP, LEFT, SUBS, 0, &BLOCK);
    let mut rtp_v1 = RTP;
    rtp_v1[0] = 0x40;
    let mut rtp_pt = RTP;
    rtp_pt[1] = 0xe0 | 0x61;
    let mut odd = valid.clone();
    odd.push(0);
    let cases: Vec<(Vec<u8>, Invalid)> = vec![
        (odd, Invalid::OddLength),
        (vec![0x80, 0xe4, 0], Invalid::Rtp),
        (packet(rtp_v1, LEFT, SUBS, 0, &BLOCK), Invalid::Rtp),
        (packet(rtp_pt, LEFT, SUBS, 0, &BLOCK), Invalid::PayloadType),
        (valid[..12 + 17].to_vec(), Invalid::ShortHeader),
        (
            packet(RTP, [0, 0, 16, 16, 0, 16], SUBS, 0, &BLOCK),
            Invalid::ZeroTrueSize,
        ),
        (packet(RTP, LEFT, [3, 2], 0, &BLOCK), Invalid::Subsampling),
        (packet(RTP, LEFT, [2, 4], 0, &BLOCK), Invalid::Subsampling),
        (
            packet(RTP, [8, 0, 16, 16, 32, 16], SUBS, 0, &BLOCK),
            Invalid::RegionOffGrid,
        ),
        (
            packet(RTP, [0, 0, 0, 16, 32, 16], SUBS, 0, &BLOCK),
            Invalid::RegionOffGrid,
        ),
        (
            packet(RTP, [16, 0, 32, 16, 32, 16], SUBS, 0, &BLOCK),
            Invalid::RegionOutsideFrame,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0x0010, 0x1001]),
            Invalid::Truncated,
        ),
        (packet(RTP, LEFT, SUBS, 0, &[]), Invalid::Empty),
        (
            packet(RTP, LEFT, SUBS, 0, &[0x0900, 0xf400]),
            Invalid::DcRange,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0x2000, 0xf400]),
            Invalid::ZeroCoefficient,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf000 | 14, 1, 0xf400]),
            Invalid::EscapeRun,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf000 | 20, 0x7000, 0xf400]),
            Invalid::EscapeValue,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf000 | 62, 1, 1, 0xf400]),
            Invalid::PastEnd,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf800, 5]),
            Invalid::LongIncrement,
        ),
        (packet(RTP, LEFT, SUBS, 0, &[0, 0xfc00]), Invalid::Reserved),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf401]),
            Invalid::FinalIncrement,
        ),
        (
            packet(RTP, LEFT, SUBS, 0, &[0, 0xf400, 0, 0xf400]),
            Invalid::EarlyZeroIncrement,
        ),
        (
            packet(RTP, LEFT, SUBS, 12, &BLOCK),
            Invalid::BlockOutsideFrame,
        ),
        (
            packet(RTP, LEFT, SUBS, 2, &BLOCK),
            Invalid::BlockOutsideRegion,
        ),
        // Block 1 is inside, the next (1 + 2 = 3) is not.
        (
            packet(RTP, LEFT, SUBS, 1, &[0, 0xf402, 0, 0xf400]),
            Invalid::BlockOutsideRegion,
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (bytes, reason) in &cases {
        let mut assembler = Assembler::new(AssemblerConfig::default());
        assert!(assembler.push(bytes).is_empty(), "{reason:?}");
        assert_eq!(
            assembler.stats().invalid(*reason),
            1,
            "{reason:?}: {:?}",
            assembler.stats()
        );
        assert_eq!(assembler.stats().invalid_total(), 1, "{reason:?}");
        assert!(assembler.state().is_none(), "{reason:?}: nothing applied");
        seen.insert(*reason);
    }
    // The geometry rule needs two packets of one frame.
    let mut assembler = Assembler::new(AssemblerConfig::default());
    let unmarked = {
        let mut r = RTP;
        r[1] = 100;
        r
    };
    assert!(
        assembler
            .push(&packet(unmarked, LEFT, SUBS, 0, &BLOCK))
            .is_empty()
    );
    let other = packet(unmarked, [0, 0, 16, 16, 48, 16], SUBS, 0, &BLOCK);
    assert!(assembler.push(&other).is_empty());
    assert_eq!(assembler.stats().invalid(Invalid::GeometryMismatch), 1);
    seen.insert(Invalid::GeometryMismatch);
    assert_eq!(seen.len(), Invalid::ALL.len(), "every reason has a case");
    // And the valid packet is accepted.
    // (It covers half the frame: the frame completes at the end of the
    // stream, or when later frames pile up.)
    let mut assembler = Assembler::new(AssemblerConfig::default());
    assert!(assembler.push(&valid).is_empty());
    assert_eq!(assembler.flush().len(), 1);
    // RTP padding and header extensions are accepted (section 2).
    let mut padded = valid.clone();
    padded[0] |= 0x20;
    padded.extend_from_slice(&[0, 0, 0, 4]);
    let mut extended = valid[..12].to_vec();
    extended[0] |= 0x10;
    extended.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
    extended.extend_from_slice(&valid[12..]);
    for p in [padded, extended] {
        let mut assembler = Assembler::new(AssemblerConfig::default());
        let mut frames = assembler.push(&p);
        frames.extend(assembler.flush());
        assert_eq!(frames.len(), 1, "{:?}", assembler.stats());
        assert_eq!(frames[0].image.blocks[0][0], 0x10);
    }
}

#[test]
fn subregion_rules_are_enforced_when_sending() {
    let geometry = FrameGeometry::new(32, 16, 2, 2).unwrap();
    let image = ScImage::zeroed(geometry);
    let mut packetizer = Packetizer::new(PacketizerConfig::new(1)).unwrap();
    for bad in [
        Region {
            x: 8,
            y: 0,
            width: 16,
            height: 16,
        },
        Region {
            x: 0,
            y: 0,
            width: 48,
            height: 16,
        },
        Region {
            x: 0,
            y: 0,
            width: 0,
            height: 16,
        },
    ] {
        assert!(packetizer.packetize(&image, bad, 0).is_err(), "{bad:?}");
    }
    let mut small = PacketizerConfig::new(1);
    small.max_packet = 100;
    assert!(Packetizer::new(small).is_err());
}
