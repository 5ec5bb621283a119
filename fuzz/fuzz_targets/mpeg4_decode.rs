//! The MPEG-4 Part 2 decoder on arbitrary bytes, and on streams our encoder
//! made from the input (then possibly corrupted). The decoder must never
//! panic, hang or grow without bound; a stream that was not corrupted must
//! decode, every VOP equal to the encoder's reconstruction bit for bit.
//!
//! The first byte's low bit picks the mode:
//!
//! - 0: the rest goes to the decoder as an elementary stream, one
//!   start-code unit at a time, going on after errors.
//! - 1: the next 8 bytes set up an encoder and the corruption (below), the
//!   rest is picture content; the stream is encoded, corrupted as asked,
//!   and decoded.
//!
//! ```text
//! byte 0  width  16 + 2 * (b % 25)          (16..=64, even)
//! byte 1  height 16 + 2 * (b % 25)
//! byte 2  bit 0 four_mv, 1 data_partitioned, 2 MPEG quantisation,
//!         3-4 packets (Off, Bits, Macroblocks, Macroblocks),
//!         5 content from the input bytes (else the moving pattern),
//!         6 custom quantiser matrices from the input, 7 bit-rate control
//! byte 3  qp 1 + b % 31, or the bit rate
//! byte 4  bits 0-1 gop (0 = only the first I-VOP), bits 2-3 frames - 1,
//!         bits 4-7 search range selector
//! byte 5  packet size: Bits(64 + 8 * b) or Macroblocks(1 + b % 8)
//! byte 6  corruption: bit 0 byte flips (count in bits 4-5), bit 1
//!         truncation, bit 2 a start code prefix cut, bit 3 a unit dropped;
//!         bits 6-7 intra refresh period (0 = off, else 1-3)
//! byte 7  where the corruption lands
//! ```
//!
//! Encoded mode with bit 1 of the first byte set codes an object with a
//! binary shape instead (bit 2: binary-only; bits 3-7: alpha threshold in
//! steps of 64): an ellipse placed, sized and moved after the content
//! bytes, absent in frames the content says; the decoded shape and
//! texture must equal the encoder's.
//!
//! With `MPEG4_DECODE_DUMP=<file>` set, the encoded mode writes the stream
//! it decodes there (to keep a finding as a regression file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Frame, Limits, Plane, Rational};
use tessera_mpeg4::decoder::Decoder;
use tessera_mpeg4::encoder::{Encoder, EncoderConfig, Packets, RateControl};
use tessera_mpeg4::es;
use tessera_mpeg4::header::{QuantType, Shape};
use tessera_mpeg4::tables::{DEFAULT_INTRA_QMAT, DEFAULT_NON_INTRA_QMAT};

/// Small enough that the fuzzer spends its time on parsing, not on
/// legitimately huge pictures.
const LIMITS: Limits = Limits {
    max_dimension: 4096,
    max_pixels: 1 << 20,
    max_bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        decode_all(rest);
    } else {
        encoded(rest, mode);
    }
});

/// Every unit through `push_unit`, carrying on after errors (a decoder fed
/// by a transport sees the next unit after a bad one).
fn decode_all(stream: &[u8]) {
    let mut decoder = Decoder::new(LIMITS);
    for unit in es::units(stream) {
        if let Ok(Some(vop)) = decoder.push_unit(unit) {
            let vol = decoder.vol().expect("a VOP decoded without a VOL");
            let size = match &vop.shape {
                Some(s) => {
                    let r = s.rect.unwrap_or_default();
                    assert_eq!(s.alpha.len(), r.width * r.height, "decoded shape size");
                    if s.rect.is_some() {
                        (r.width, r.height)
                    } else {
                        (16, 16)
                    }
                }
                None => (usize::from(vol.width), usize::from(vol.height)),
            };
            assert_eq!((vop.frame.width, vop.frame.height), size, "decoded frame size");
        }
    }
}

fn encoded(rest: &[u8], mode: u8) {
    let Some((head, content)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let [bw, bh, flags, bq, bgop, bpacket, corrupt, at] = *head;
    let (w, h) = (16 + 2 * usize::from(bw % 25), 16 + 2 * usize::from(bh % 25));
    let mut cfg = EncoderConfig::new(w, h, Rational { num: 25, den: 1 });
    cfg.four_mv = flags & 1 != 0;
    cfg.data_partitioned = flags & 2 != 0;
    if flags & 4 != 0 {
        cfg.quant = if flags & 0x40 != 0 && !content.is_empty() {
            let byte = |i: usize| content[i % content.len()].max(1);
            QuantType::Mpeg {
                intra: std::array::from_fn(byte),
                inter: std::array::from_fn(|i| byte(i + 64)),
            }
        } else {
            QuantType::Mpeg {
                intra: DEFAULT_INTRA_QMAT,
                inter: DEFAULT_NON_INTRA_QMAT,
            }
        };
    }
    cfg.packets = match (flags >> 3) & 3 {
        0 => Packets::Off,
        1 => Packets::Bits(64 + 8 * u32::from(bpacket)),
        _ => Packets::Macroblocks(1 + u32::from(bpacket % 8)),
    };
    cfg.rate = if flags & 0x80 != 0 {
        RateControl::Bitrate {
            bits_per_second: 2_000 + 1_000 * u64::from(bq),
        }
    } else {
        RateControl::Qp(1 + bq % 31)
    };
    cfg.gop = u32::from(bgop & 3);
    cfg.intra_refresh = u32::from(corrupt >> 6);
    cfg.search_range =
        [1, 2, 3, 4, 7, 8, 15, 16, 24, 31, 32, 33, 48, 63, 64, 100][usize::from(bgop >> 4)];
    let frames = 1 + u32::from((bgop >> 2) & 3);
    let shaped = mode & 2 != 0;
    if shaped {
        cfg.shape = if mode & 4 != 0 {
            Shape::BinaryOnly
        } else {
            Shape::Binary
        };
        cfg.alpha_threshold = 64 * u32::from(mode >> 3);
        cfg.packets = Packets::Off;
        cfg.data_partitioned = false;
    }
    let Ok(mut enc) = Encoder::new(cfg) else {
        return;
    };

    let mut stream = enc.headers();
    let mut recon = Vec::new();
    for i in 0..frames {
        let frame = if flags & 0x20 != 0 && !content.is_empty() {
            from_bytes(w, h, content, i)
        } else {
            moving_pattern(w, h, ChromaFormat::Yuv420, i + u32::from(at))
        };
        let vop = if shaped {
            enc.encode_object(&frame, &ellipse(w, h, content, i))
        } else {
            enc.encode(&frame)
        }
        .unwrap_or_else(|e| panic!("the encoder refused frame {i}: {e}"));
        stream.extend_from_slice(&vop.data);
        let alpha = vop.shape.map(|s| s.alpha);
        recon.push((alpha, enc.reconstruction()));
    }

    let clean = corrupt & 0xf == 0;
    if !clean {
        corrupt_stream(&mut stream, corrupt, at, content);
    }
    // To keep a finding as a regression file: replay it with this set.
    if let Some(path) = std::env::var_os("MPEG4_DECODE_DUMP") {
        std::fs::write(path, &stream).expect("writing MPEG4_DECODE_DUMP");
    }
    if !clean {
        let _ = Decoder::new(LIMITS).decode_stream(&stream);
        decode_all(&stream);
        return;
    }
    let decoded = Decoder::new(LIMITS)
        .decode_stream(&stream)
        .unwrap_or_else(|e| panic!("our own stream does not decode: {e}"));
    assert_eq!(decoded.len(), recon.len(), "VOP count");
    for (i, (d, (alpha, r))) in decoded.iter().zip(&recon).enumerate() {
        if let Some(alpha) = alpha {
            let shape = d.shape.as_ref().expect("a shaped VOP");
            assert!(&shape.alpha == alpha, "VOP {i}: shape");
            if shape.rect.is_none() || mode & 4 != 0 {
                continue;
            }
        }
        assert!(
            d.frame.planes == r.planes,
            "VOP {i}: the decoder differs from the encoder's reconstruction"
        );
    }
}

/// An object's mask for frame `index`: an ellipse placed, sized and moved
/// after the content bytes; empty (the object absent) where they say so.
fn ellipse(w: usize, h: usize, content: &[u8], index: u32) -> Plane {
    let byte = |i: usize| content.get(i % content.len().max(1)).copied().unwrap_or(7);
    let mut mask = Plane::filled(w, h, 0);
    if byte(4) >> (index % 8) & 1 != 0 && index > 0 {
        return mask;
    }
    let step = i32::from(byte(5) % 9) - 4;
    let cx = i32::from(byte(0)) % w as i32 + step * index as i32;
    let cy = i32::from(byte(1)) % h as i32 - step * index as i32;
    let rx = 1 + i32::from(byte(2)) % w as i32;
    let ry = 1 + i32::from(byte(3)) % h as i32;
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as i32 - cx, y as i32 - cy);
            if dx * dx * ry * ry + dy * dy * rx * rx <= rx * rx * ry * ry {
                mask.row_mut(y)[x] = 255;
            }
        }
    }
    mask
}

/// Frame `index` drawn from the input bytes, shifted a little each frame so
/// that motion search finds something to do.
fn from_bytes(w: usize, h: usize, content: &[u8], index: u32) -> Frame {
    let mut frame = Frame::grey(w, h, ChromaFormat::Yuv420);
    let shift = index as usize * 3;
    for (p, plane) in frame.planes.iter_mut().enumerate() {
        for y in 0..plane.height {
            for (x, v) in plane.row_mut(y).iter_mut().enumerate() {
                // One byte per 4x4 block, so both flat and busy areas
                // appear.
                let i = p * 256 + (y / 4) * 17 + (x + shift) / 4;
                *v = content[i % content.len()];
            }
        }
    }
    frame
}

/// Damages the stream as `corrupt` says, at places picked from `at` and
/// the content bytes.
fn corrupt_stream(stream: &mut Vec<u8>, corrupt: u8, at: u8, content: &[u8]) {
    let pick = |i: usize| -> usize {
        let c = content.get(i % content.len().max(1)).copied().unwrap_or(0);
        usize::from(at) * 251 + usize::from(c) * 7 + i * 97
    };
    if corrupt & 8 != 0 {
        // Drop one whole unit (a lost VOP or header).
        let units: Vec<_> = es::units(stream)
            .map(|u| (u.offset, u.data.len()))
            .collect();
        if !units.is_empty() {
            let (offset, len) = units[pick(0) % units.len()];
            stream.drain(offset..offset + len);
        }
    }
    if corrupt & 4 != 0 {
        // Break one start code prefix so two units run together.
        let units: Vec<_> = es::units(stream).map(|u| u.offset).collect();
        if !units.is_empty() {
            let offset = units[pick(1) % units.len()];
            stream[offset + 2] = 0x02;
        }
    }
    if corrupt & 1 != 0 && !stream.is_empty() {
        for n in 0..1 + usize::from((corrupt >> 4) & 3) {
            let len = stream.len();
            let i = pick(n + 2) % len;
            stream[i] ^= content.get(n).copied().unwrap_or(0x40) | 1;
        }
    }
    if corrupt & 2 != 0 && !stream.is_empty() {
        let len = stream.len();
        stream.truncate(pick(7) % len);
    }
}
