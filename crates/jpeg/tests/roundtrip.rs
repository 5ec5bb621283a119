//! Self-consistency: encode then decode without any external tool.

use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits};
use tessera_jpeg::{
    EncodeOptions, HuffmanMode, JpegError, decode_coefficients, decode_frame, encode_coefficients,
    encode_frame, read_info,
};
use tessera_testkit::compare_frames;

#[test]
fn every_sampling_and_odd_size_round_trips() {
    for format in ChromaFormat::ALL {
        for (w, h) in [(1, 1), (17, 13), (64, 48), (100, 37)] {
            let frame = moving_pattern(w, h, format, 1);
            for huffman in [HuffmanMode::Standard, HuffmanMode::Optimized] {
                let options = EncodeOptions {
                    huffman,
                    ..EncodeOptions::default()
                };
                let bytes = encode_frame(&frame, 95, &options).unwrap();
                let decoded = decode_frame(&bytes, &Limits::default()).unwrap();
                assert_eq!(
                    (decoded.width, decoded.height, decoded.format),
                    (w, h, format)
                );
                for (i, (psnr, _)) in compare_frames(&frame, &decoded).into_iter().enumerate() {
                    assert!(psnr > 30.0, "{format} {w}x{h} plane {i}: {psnr:.1} dB");
                }
                let info = read_info(&bytes, &Limits::default()).unwrap();
                assert_eq!(info.chroma_format, Some(format));
            }
        }
    }
}

#[test]
fn coefficients_survive_re_encoding_with_restarts() {
    let frame = moving_pattern(123, 77, ChromaFormat::Yuv420, 4);
    let bytes = encode_frame(&frame, 80, &EncodeOptions::default()).unwrap();
    let image = decode_coefficients(&bytes, &Limits::default()).unwrap();
    for restart in [0u16, 1, 3, 7] {
        for huffman in [HuffmanMode::Standard, HuffmanMode::Optimized] {
            let options = EncodeOptions {
                huffman,
                restart_interval: Some(restart),
                ..EncodeOptions::default()
            };
            let again = encode_coefficients(&image, &options).unwrap();
            let mut back = decode_coefficients(&again, &Limits::default()).unwrap();
            assert_eq!(back.restart_interval, restart);
            back.restart_interval = image.restart_interval;
            assert_eq!(back, image, "restart {restart} {huffman:?}");
            // Pixels straight from the stream equal pixels via coefficients.
            let direct = decode_frame(&again, &Limits::default()).unwrap();
            let via = tessera_jpeg::coefficients_to_frame(&image).unwrap();
            assert_eq!(direct.to_planar_bytes(), via.to_planar_bytes());
        }
    }
}

#[test]
fn limits_are_checked_before_allocating() {
    let frame = moving_pattern(64, 64, ChromaFormat::Yuv420, 0);
    let bytes = encode_frame(&frame, 75, &EncodeOptions::default()).unwrap();
    let small = Limits {
        max_dimension: 32,
        ..Limits::default()
    };
    assert!(matches!(
        decode_frame(&bytes, &small),
        Err(JpegError::Limit(_))
    ));
    let few_bytes = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        decode_coefficients(&bytes, &few_bytes),
        Err(JpegError::Limit(_))
    ));
}

#[test]
fn truncated_and_corrupt_data_never_panics() {
    let frame = moving_pattern(48, 40, ChromaFormat::Yuv422, 2);
    let options = EncodeOptions {
        restart_interval: Some(2),
        ..EncodeOptions::default()
    };
    let bytes = encode_frame(&frame, 60, &options).unwrap();
    let limits = Limits::default();
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        // A prefix that ends inside the entropy-coded data must fail.
        assert!(
            decode_frame(cut, &limits).is_err() || len + 2 >= bytes.len(),
            "len {len}"
        );
        let _ = decode_coefficients(cut, &limits);
    }
    let mut seed = 0x1234_5678u32;
    for _ in 0..3000 {
        let mut data = bytes.clone();
        for _ in 0..1 + seed % 4 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = (seed as usize >> 8) % data.len();
            data[at] ^= (seed >> 24) as u8 | 1;
        }
        let _ = decode_frame(&data, &limits);
        let _ = decode_coefficients(&data, &limits);
        let _ = read_info(&data, &limits);
    }
}

#[test]
fn progressive_and_arithmetic_are_refused_clearly() {
    let frame = moving_pattern(16, 16, ChromaFormat::Mono, 0);
    let bytes = encode_frame(&frame, 75, &EncodeOptions::default()).unwrap();
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    for (code, word) in [(0xC2u8, "progressive"), (0xC9, "arithmetic")] {
        let mut data = bytes.clone();
        data[sof + 1] = code;
        let err = decode_frame(&data, &Limits::default()).unwrap_err();
        assert!(matches!(err, JpegError::Unsupported(_)), "{err}");
        assert!(err.to_string().contains(word), "{err}");
    }
}
