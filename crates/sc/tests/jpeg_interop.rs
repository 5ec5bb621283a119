//! SC against independent JPEG implementations: ffmpeg-made JPEGs carried
//! through SC (split, packetized, shuffled, merged) and transcoded back in
//! the DCT domain reproduce the original coefficients, and ffmpeg decodes
//! both files to identical pixels.

use tessera_core::{ChromaFormat, Limits};
use tessera_sc::{Assembler, AssemblerConfig, Packetizer, PacketizerConfig, ScImage};
use tessera_testkit::{ffmpeg_lavfi, ffmpeg_raw, temp_dir};

#[test]
fn sc_round_trip_reproduces_ffmpeg_jpeg_coefficients() {
    let dir = temp_dir();
    for (pix_fmt, format, size, q) in [
        ("yuvj420p", ChromaFormat::Yuv420, "352x288", "3"),
        ("yuvj420p", ChromaFormat::Yuv420, "333x197", "12"),
        ("yuvj422p", ChromaFormat::Yuv422, "320x240", "5"),
        ("yuvj444p", ChromaFormat::Yuv444, "176x144", "2"),
    ] {
        let original = dir.path().join(format!("orig-{pix_fmt}-{size}.jpg"));
        let src = format!("testsrc2=size=1280x720,scale={}", size.replace('x', ":"));
        ffmpeg_lavfi(
            &src,
            1,
            &[
                "-pix_fmt", pix_fmt, "-c:v", "mjpeg", "-q:v", q, "-f", "image2",
            ],
            &original,
        );
        let bytes = std::fs::read(&original).unwrap();
        let coefficients = tessera_jpeg::decode_coefficients(&bytes, &Limits::default()).unwrap();
        assert_eq!(coefficients.chroma_format(), Some(format));
        let image = ScImage::from_jpeg(&coefficients).unwrap();

        // Three bands, small packets, reversed order: the assembler still
        // rebuilds the frame.
        let mut packets = Vec::new();
        for (i, region) in image.geometry.bands(3).into_iter().enumerate() {
            let mut config = PacketizerConfig::new(100 + i as u32);
            config.max_packet = 600;
            let mut packetizer = Packetizer::new(config).unwrap();
            packets.extend(packetizer.packetize(&image, region, 1234).unwrap());
        }
        packets.reverse();
        let mut assembler = Assembler::new(AssemblerConfig::default());
        let mut frames = Vec::new();
        for p in &packets {
            frames.extend(assembler.push(p));
        }
        frames.extend(assembler.flush());
        assert_eq!(frames.len(), 1);
        assert_eq!(*frames[0].image, image, "{pix_fmt} {size}");

        // Requantize with the input's own tables: the same coefficients.
        let luma = coefficients.quant_table(0).unwrap();
        let chroma = coefficients.quant_table(1).unwrap();
        let again = frames[0].image.to_jpeg(luma, chroma).unwrap();
        for (a, b) in again.components.iter().zip(&coefficients.components) {
            for by in 0..a.visible_blocks_high() {
                for bx in 0..a.visible_blocks_wide() {
                    assert_eq!(
                        a.block(bx, by),
                        b.block(bx, by),
                        "{pix_fmt} {size} block {bx},{by}"
                    );
                }
            }
        }
        let transcoded = dir.path().join(format!("sc-{pix_fmt}-{size}.jpg"));
        std::fs::write(
            &transcoded,
            frames[0].image.to_jpeg_bytes(luma, chroma).unwrap(),
        )
        .unwrap();
        assert_eq!(
            ffmpeg_raw(&original, format.ffmpeg_pix_fmt()),
            ffmpeg_raw(&transcoded, format.ffmpeg_pix_fmt()),
            "{pix_fmt} {size}: ffmpeg decodes the SC transcode differently"
        );
    }
}
