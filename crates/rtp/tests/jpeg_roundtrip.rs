//! RFC 2435 round trips: our JPEGs through the payloader at small packet
//! sizes and back through the depayloader carry exactly the same DCT
//! coefficients and tables.

use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits};
use tessera_jpeg::{
    CoefficientImage, ComponentSpec, EncodeOptions, HuffmanMode, decode_coefficients,
    encode_coefficients, encode_frame,
};
use tessera_rtp::RtpError;
use tessera_rtp::jpeg::{
    JpegDepayloader, JpegPayload, JpegPayloader, JpegPayloaderConfig, JpegQ, MIN_PACKET,
};
use tessera_rtp::packet::RtpHeader;

fn encode(
    w: usize,
    h: usize,
    format: ChromaFormat,
    quality: u8,
    restart: u16,
    huffman: HuffmanMode,
) -> Vec<u8> {
    let frame = moving_pattern(w, h, format, 3);
    encode_frame(
        &frame,
        quality,
        &EncodeOptions {
            huffman,
            restart_interval: Some(restart),
            jfif: true,
            comment: None,
        },
    )
    .unwrap()
}

/// Same blocks in every component and the same tables.
fn assert_same_coefficients(original: &[u8], rebuilt: &[u8]) {
    let a = decode_coefficients(original, &Limits::default()).unwrap();
    let b = decode_coefficients(rebuilt, &Limits::default()).unwrap();
    assert_eq!(b.width, a.width.div_ceil(8) * 8);
    assert_eq!(b.height, a.height.div_ceil(8) * 8);
    assert_eq!(a.restart_interval, b.restart_interval);
    assert_eq!(a.components.len(), b.components.len());
    for (ca, cb) in a.components.iter().zip(&b.components) {
        assert_eq!((ca.h, ca.v), (cb.h, cb.v));
        assert_eq!(
            a.quant_table(ca.quant_index.into()).unwrap(),
            b.quant_table(cb.quant_index.into()).unwrap()
        );
        // Rounding the size up to 8 never changes the MCU count.
        assert_eq!(
            (ca.blocks_wide, ca.blocks_high),
            (cb.blocks_wide, cb.blocks_high)
        );
        assert!(ca.blocks == cb.blocks, "coefficients differ");
    }
}

fn round_trip(jpeg: &[u8], q: JpegQ, max_packet: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut config = JpegPayloaderConfig::new(0x1234_5678);
    config.max_packet = max_packet;
    config.q = q;
    config.initial_sequence = 65530;
    let mut pay = JpegPayloader::new(config).unwrap();
    let packets = pay.packetize(jpeg, 90_000).unwrap();
    assert_eq!(pay.sequence(), 65530u16.wrapping_add(packets.len() as u16));
    for (i, p) in packets.iter().enumerate() {
        assert!(p.len() <= max_packet);
        let h = RtpHeader::parse(p).unwrap();
        assert_eq!(h.marker, i + 1 == packets.len());
        assert_eq!(h.payload_type, 26);
        assert_eq!(h.timestamp, 90_000);
    }
    let mut depay = JpegDepayloader::new();
    let rebuilt = depay.depayload(&packets).unwrap();
    (packets, rebuilt)
}

#[test]
fn sizes_samplings_restarts_and_q() {
    let sizes = [(16, 16), (64, 48), (97, 61), (320, 240), (2040, 24)];
    for (w, h) in sizes {
        for format in [ChromaFormat::Yuv420, ChromaFormat::Yuv422] {
            for restart in [0u16, 1, 5] {
                for (q, quality) in [(JpegQ::InBand, 83), (JpegQ::Standard(60), 60)] {
                    for huffman in [HuffmanMode::Standard, HuffmanMode::Optimized] {
                        let jpeg = encode(w, h, format, quality, restart, huffman);
                        let (packets, rebuilt) = round_trip(&jpeg, q, 240);
                        assert_same_coefficients(&jpeg, &rebuilt);
                        let first = RtpHeader::parse(&packets[0]).unwrap();
                        let p = JpegPayload::parse(&packets[0][first.payload]).unwrap();
                        let base = if format == ChromaFormat::Yuv420 { 1 } else { 0 };
                        let kind = base + if restart > 0 { 64 } else { 0 };
                        assert_eq!(p.main.kind, kind, "{w}x{h} {format:?} r{restart}");
                        assert_eq!(p.main.q, if q == JpegQ::InBand { 255 } else { 60 });
                        assert_eq!(p.quant.is_some(), q == JpegQ::InBand);
                        // ffmpeg reads it too (checked in ffmpeg_interop.rs);
                        // here our own reader's header view must agree.
                        let info = tessera_jpeg::read_info(&rebuilt, &Limits::default()).unwrap();
                        assert_eq!(info.restart_interval, restart);
                    }
                }
            }
        }
    }
}

#[test]
fn restart_packets_hold_whole_intervals() {
    // Many small intervals: several per packet, each packet F=1 L=1.
    let jpeg = encode(320, 240, ChromaFormat::Yuv420, 50, 1, HuffmanMode::Standard);
    let (packets, rebuilt) = round_trip(&jpeg, JpegQ::InBand, 1400);
    assert_same_coefficients(&jpeg, &rebuilt);
    let mut counts = Vec::new();
    for p in &packets {
        let h = RtpHeader::parse(p).unwrap();
        let payload = JpegPayload::parse(&p[h.payload]).unwrap();
        let r = payload.restart.unwrap();
        assert!(r.first && r.last, "{r:?}");
        assert_eq!(r.interval, 1);
        counts.push(r.count);
        // Every packet's data ends just after an RST marker or at the end.
        let data = payload.data;
        let last = p == packets.last().unwrap();
        assert!(last || matches!(data[data.len() - 2..], [0xff, 0xd0..=0xd7]));
    }
    assert_eq!(counts[0], 0);
    assert!(counts.windows(2).all(|w| w[1] > w[0] + 1), "{counts:?}");

    // Large intervals (one per MCU row at quality 95) in small packets:
    // fragments F=1 L=0, F=0 L=0, ..., F=0 L=1.
    let jpeg = encode(
        320,
        240,
        ChromaFormat::Yuv420,
        95,
        20,
        HuffmanMode::Standard,
    );
    let (packets, rebuilt) = round_trip(&jpeg, JpegQ::InBand, MIN_PACKET);
    assert_same_coefficients(&jpeg, &rebuilt);
    let flags: Vec<(bool, bool)> = packets
        .iter()
        .map(|p| {
            let h = RtpHeader::parse(p).unwrap();
            let r = JpegPayload::parse(&p[h.payload]).unwrap().restart.unwrap();
            (r.first, r.last)
        })
        .collect();
    assert_eq!(flags[0], (true, false));
    assert!(flags.contains(&(false, false)));
    assert_eq!(*flags.last().unwrap(), (false, true));
}

#[test]
fn equivalent_sampling_is_normalized() {
    // 4:2:2 written as Y 2x2 / C 1x2 (as ffmpeg does) and as Y 4x1 /
    // C 2x1: the same coefficients on the standard grid.
    for (format, specs) in [
        (ChromaFormat::Yuv422, [(2, 2), (1, 2)]),
        (ChromaFormat::Yuv422, [(4, 1), (2, 1)]),
    ] {
        let jpeg = encode(100, 52, format, 80, 0, HuffmanMode::Standard);
        let standard = decode_coefficients(&jpeg, &Limits::default()).unwrap();
        let specs: Vec<ComponentSpec> = standard
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (h, v) = specs[usize::from(i > 0)];
                ComponentSpec {
                    id: c.id,
                    h,
                    v,
                    quant_index: c.quant_index,
                }
            })
            .collect();
        let mut odd =
            CoefficientImage::new(100, 52, &specs, standard.quant_tables, &Limits::default())
                .unwrap();
        for (dst, src) in odd.components.iter_mut().zip(&standard.components) {
            for by in 0..src.visible_blocks_high() {
                for bx in 0..src.visible_blocks_wide() {
                    *dst.block_mut(bx, by) = *src.block(bx, by);
                }
            }
        }
        let odd_jpeg = encode_coefficients(&odd, &EncodeOptions::default()).unwrap();
        let (_, rebuilt) = round_trip(&odd_jpeg, JpegQ::InBand, 500);
        let b = decode_coefficients(&rebuilt, &Limits::default()).unwrap();
        for (ca, cb) in standard.components.iter().zip(&b.components) {
            assert_eq!((ca.h, ca.v), (cb.h, cb.v));
            for by in 0..ca.visible_blocks_high() {
                for bx in 0..ca.visible_blocks_wide() {
                    assert_eq!(ca.block(bx, by), cb.block(bx, by));
                }
            }
        }
    }
}

#[test]
fn clear_errors() {
    let mut pay = JpegPayloader::new(JpegPayloaderConfig::new(1)).unwrap();
    // Too wide: 2048 = 256 * 8 does not fit one byte.
    let wide = encode(2048, 16, ChromaFormat::Yuv420, 50, 0, HuffmanMode::Standard);
    let e = pay.packetize(&wide, 0).unwrap_err();
    assert!(matches!(e, RtpError::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("2040"), "{e}");
    let tall = encode(16, 2041, ChromaFormat::Yuv420, 50, 0, HuffmanMode::Standard);
    assert!(matches!(
        pay.packetize(&tall, 0),
        Err(RtpError::Unsupported(_))
    ));
    // 4:4:4 and greyscale.
    for format in [ChromaFormat::Yuv444, ChromaFormat::Mono] {
        let jpeg = encode(32, 32, format, 50, 0, HuffmanMode::Standard);
        let e = pay.packetize(&jpeg, 0).unwrap_err();
        assert!(matches!(e, RtpError::Unsupported(_)), "{e}");
    }
    // Not a JPEG.
    assert!(matches!(pay.packetize(b"hello", 0), Err(RtpError::Jpeg(_))));
    // Q 1-99 with tables that are not the RFC's.
    let mut config = JpegPayloaderConfig::new(1);
    config.q = JpegQ::Standard(50);
    let mut std_pay = JpegPayloader::new(config.clone()).unwrap();
    let q80 = encode(32, 32, ChromaFormat::Yuv420, 80, 0, HuffmanMode::Standard);
    assert!(matches!(
        std_pay.packetize(&q80, 0),
        Err(RtpError::InvalidArgument(_))
    ));
    config.q = JpegQ::Standard(100);
    assert!(JpegPayloader::new(config.clone()).is_err());
    config.q = JpegQ::InBand;
    config.max_packet = 100;
    assert!(JpegPayloader::new(config).is_err());
}

#[test]
fn depayloader_refuses_holes_and_caches_tables() {
    let jpeg = encode(160, 120, ChromaFormat::Yuv420, 70, 0, HuffmanMode::Standard);
    let mut pay = JpegPayloader::new(JpegPayloaderConfig {
        max_packet: 300,
        ..JpegPayloaderConfig::new(9)
    })
    .unwrap();
    let packets = pay.packetize(&jpeg, 0).unwrap();
    assert!(packets.len() > 3);
    let mut depay = JpegDepayloader::new();
    // A missing middle packet, a missing first, a missing last.
    let mut holed = packets.clone();
    holed.remove(2);
    let e = depay.depayload(&holed).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    assert!(
        matches!(
            e,
            RtpError::Malformed {
                ssrc: Some(9),
                seq: Some(3),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(depay.depayload(&packets[1..]).is_err());
    assert!(depay.depayload(&packets[..packets.len() - 1]).is_err());
    assert!(depay.depayload::<Vec<u8>>(&[]).is_err());
    assert_eq!(depay.stats().errors, 4);

    // Q 200 with tables in the first frame only: the second frame (length
    // 0) uses the cached ones.
    let with_tables = retag_q(&packets, 200, false);
    let without = retag_q(&packets, 200, true);
    assert!(depay.depayload(&without).is_err(), "no tables cached yet");
    let a = depay.depayload(&with_tables).unwrap();
    let b = depay.depayload(&without).unwrap();
    assert_eq!(a, b);
    assert_same_coefficients(&jpeg, &b);
    assert_eq!(depay.stats().cached_tables, 2);
}

/// Rewrites a Q 255 frame as Q `q`, optionally with a zero-length table
/// header (tables omitted).
fn retag_q(packets: &[Vec<u8>], q: u8, omit_tables: bool) -> Vec<Vec<u8>> {
    packets
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let h = RtpHeader::parse(p).unwrap();
            let mut p = p.clone();
            let start = h.payload.start;
            p[start + 5] = q;
            if i == 0 && omit_tables {
                // Length 0, and remove the 128 table bytes.
                p[start + 10] = 0;
                p[start + 11] = 0;
                p.drain(start + 12..start + 12 + 128);
            }
            p
        })
        .collect()
}
