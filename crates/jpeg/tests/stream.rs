//! `McuStream` hands out exactly the blocks `decode_coefficients` stores,
//! and fails exactly where it fails.

use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits};
use tessera_jpeg::{
    CoefficientImage, EncodeOptions, HuffmanMode, McuStream, decode_coefficients, encode_frame,
};

fn jpeg(w: usize, h: usize, format: ChromaFormat, quality: u8, restart: u16) -> Vec<u8> {
    let frame = moving_pattern(w, h, format, 3);
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        restart_interval: Some(restart),
        ..EncodeOptions::default()
    };
    encode_frame(&frame, quality, &options).unwrap()
}

/// Streams the whole picture; checks each MCU's blocks against `stored`
/// when given. `Ok(false)` when the picture does not stream.
fn stream_all(data: &[u8], stored: Option<&CoefficientImage>) -> tessera_jpeg::Result<bool> {
    let limits = Limits::default();
    let Some(mut stream) = McuStream::new(data, &limits)? else {
        return Ok(false);
    };
    let (wide, high) = stream.mcus();
    for my in 0..high {
        for mx in 0..wide {
            stream.next_mcu()?;
            let Some(image) = stored else { continue };
            for (ci, c) in image.components.iter().enumerate() {
                let (h, v) = (usize::from(c.h), usize::from(c.v));
                for y in 0..v {
                    for x in 0..h {
                        assert_eq!(
                            stream.block(ci, x, y),
                            c.block(mx * h + x, my * v + y),
                            "MCU ({mx}, {my}) component {ci} block ({x}, {y})"
                        );
                    }
                }
            }
        }
    }
    // Past the MCU: zeros, never a panic.
    assert_eq!(stream.block(0, 9, 0), &[0; 64]);
    assert_eq!(stream.block(7, 0, 0), &[0; 64]);
    assert!(stream.next_mcu().is_err());
    stream.finish()?;
    Ok(true)
}

#[test]
fn blocks_equal_a_whole_decode() {
    let limits = Limits::default();
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
        ChromaFormat::Yuv440,
        ChromaFormat::Yuv411,
    ] {
        for (w, h) in [(1, 1), (100, 37), (64, 48)] {
            for (quality, restart) in [(95, 0), (40, 1), (75, 3)] {
                let data = jpeg(w, h, format, quality, restart);
                let stored = decode_coefficients(&data, &limits).unwrap();
                assert!(
                    stream_all(&data, Some(&stored)).unwrap(),
                    "{format} {w}x{h}"
                );
            }
        }
    }
}

#[test]
fn stream_layout_is_the_decoded_geometry() {
    let data = jpeg(100, 37, ChromaFormat::Yuv420, 80, 2);
    let limits = Limits::default();
    let stored = decode_coefficients(&data, &limits).unwrap();
    let stream = McuStream::new(&data, &limits).unwrap().unwrap();
    let layout = stream.layout();
    assert_eq!(layout.specs(), stored.specs());
    assert_eq!(
        (
            layout.width,
            layout.height,
            layout.quant_tables,
            layout.restart_interval
        ),
        (
            stored.width,
            stored.height,
            stored.quant_tables,
            stored.restart_interval
        )
    );
    assert_eq!(stream.mcus(), stored.mcus());
    assert!(layout.components.iter().all(|c| c.blocks.is_empty()));
    // Finishing early is an error, not a panic.
    assert!(stream.finish().is_err());
}

#[test]
fn grey_pictures_do_not_stream() {
    let data = jpeg(40, 24, ChromaFormat::Mono, 80, 0);
    assert!(!stream_all(&data, None).unwrap());
}

/// Cut and corrupted pictures: the stream fails exactly when the whole
/// decode does, and agrees with it when both succeed.
#[test]
fn fails_where_a_whole_decode_fails() {
    let limits = Limits::default();
    let mut seed = 1u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let (mut failed, mut passed) = (0, 0);
    for restart in [0, 2] {
        let good = jpeg(64, 48, ChromaFormat::Yuv420, 85, restart);
        let mut cases: Vec<Vec<u8>> = (0..good.len())
            .step_by(7)
            .map(|n| good[..n].to_vec())
            .collect();
        for _ in 0..400 {
            let mut bad = good.clone();
            for _ in 0..1 + next() % 3 {
                let at = next() % bad.len();
                bad[at] = match next() % 4 {
                    0 => 0xFF,
                    1 => 0x00,
                    2 => bad[at] ^ (1 << (next() % 8)),
                    _ => next() as u8,
                };
            }
            cases.push(bad);
        }
        // Trailing segments: a second scan is an error, junk after EOI
        // is not.
        let mut twice = good.clone();
        twice.truncate(good.len() - 2);
        let sos = good.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        twice.extend_from_slice(&good[sos..]);
        cases.push(twice);
        let mut junk = good.clone();
        junk.extend_from_slice(&[1, 2, 3]);
        cases.push(junk);
        for data in cases {
            let whole = decode_coefficients(&data, &limits);
            let streamed = stream_all(&data, whole.as_ref().ok());
            match (&whole, &streamed) {
                (Ok(_), Ok(true)) => passed += 1,
                (Err(_), Err(_)) => failed += 1,
                // Headers so broken that the picture no longer streams.
                (_, Ok(false)) => {}
                _ => panic!("whole decode {whole:?}, stream {streamed:?}"),
            }
        }
    }
    assert!(
        failed > 100 && passed > 50,
        "{failed} failed, {passed} passed"
    );
}
