//! Random packet sequences into the SC assembler: raw datagrams, and valid
//! streams with losses, duplicates, reordering and byte flips. The
//! assembler must never panic, and a stream that only lost order and gained
//! duplicates must reassemble exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_sc::{Assembler, AssemblerConfig, FrameGeometry, Packetizer, PacketizerConfig, ScImage};

fn small_config() -> AssemblerConfig {
    AssemblerConfig {
        limits: tessera_core::Limits {
            max_dimension: 1024,
            max_pixels: 1 << 18,
            max_bytes: 1 << 20,
        },
        max_pending_bytes: 1 << 20,
        ..AssemblerConfig::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 0 {
        // Raw datagrams: length-prefixed packets.
        let mut assembler = Assembler::new(small_config());
        let mut input = rest;
        while input.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([input[0], input[1]])).min(input.len() - 2);
            let _ = assembler.push(&input[2..2 + len]);
            input = &input[2 + len..];
        }
        let _ = assembler.flush();
        return;
    }
    // A valid stream built from the input, then disturbed.
    if rest.len() < 4 {
        return;
    }
    let w = u16::from(rest[0] % 64) + 1;
    let h = u16::from(rest[1] % 48) + 1;
    let subs = [(1, 1), (2, 1), (2, 2), (1, 2), (4, 1)][usize::from(rest[2]) % 5];
    let Ok(g) = FrameGeometry::new(w, h, subs.0, subs.1) else { return };
    let mut image = ScImage::zeroed(g);
    for (i, b) in rest[4..].iter().enumerate() {
        let block = &mut image.blocks[i % g.total_blocks() as usize];
        block[usize::from(*b) % 64] = i16::from(*b as i8) * 16;
    }
    let bands = g.bands(usize::from(rest[3] % 4) + 1);
    let mut packets = Vec::new();
    for (i, region) in bands.iter().enumerate() {
        let mut config = PacketizerConfig::new(i as u32 + 1);
        config.max_packet = 200;
        let Ok(mut p) = Packetizer::new(config) else { return };
        packets.extend(p.packetize(&image, *region, 1000).unwrap_or_default());
    }
    let disturb = mode >> 1;
    let mut order: Vec<usize> = (0..packets.len()).collect();
    for (i, b) in rest.iter().enumerate().take(order.len()) {
        let j = usize::from(*b) % order.len();
        order.swap(i, j);
    }
    let mut assembler = Assembler::new(small_config());
    let mut frames = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        let mut packet = packets[i].clone();
        if disturb & 1 != 0 && n % 3 == 0 {
            continue; // loss
        }
        if disturb & 2 != 0 {
            let at = rest[n % rest.len()] as usize % packet.len();
            packet[at] ^= rest[(n + 1) % rest.len()] | 1; // corruption
        }
        frames.extend(assembler.push(&packet));
        if disturb & 4 != 0 {
            frames.extend(assembler.push(&packet)); // duplicate
        }
    }
    frames.extend(assembler.flush());
    if disturb & 3 == 0 {
        assert_eq!(frames.len(), 1);
        assert_eq!(*frames[0].image, image);
    }
});
