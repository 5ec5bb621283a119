//! `decode_coefficients_into` reuses an image's buffers and gives exactly
//! what a fresh `decode_coefficients` gives, whatever the image held.

use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits};
use tessera_jpeg::{
    CoefficientImage, EncodeOptions, HuffmanMode, McuStream, decode_coefficients,
    decode_coefficients_into, encode_frame,
};
use tessera_testkit::{cjpeg, run_ffmpeg, run_tool, temp_dir};

fn jpeg(w: usize, h: usize, format: ChromaFormat, index: u32, quality: u8) -> Vec<u8> {
    let frame = moving_pattern(w, h, format, index);
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        ..EncodeOptions::default()
    };
    encode_frame(&frame, quality, &options).unwrap()
}

/// Every block of `image` set to a value no decode writes everywhere.
fn scribble(image: &mut CoefficientImage) {
    for c in &mut image.components {
        for b in &mut c.blocks {
            *b = [7; 64];
        }
    }
}

fn block_pointers(image: &CoefficientImage) -> Vec<*const [i16; 64]> {
    image.components.iter().map(|c| c.blocks.as_ptr()).collect()
}

#[test]
fn reuses_buffers_and_equals_fresh_decodes() {
    let limits = Limits::default();
    let mut image = CoefficientImage::default();
    // Busy pictures, then sparse ones (fewer coefficients to overwrite
    // the busy ones'), at each sampling; then another size.
    for format in [
        ChromaFormat::Yuv420,
        ChromaFormat::Yuv422,
        ChromaFormat::Yuv444,
    ] {
        let mut pointers = None;
        for (index, quality) in [(1, 98), (2, 20), (3, 2), (4, 90)] {
            let bytes = jpeg(100, 37, format, index, quality);
            decode_coefficients_into(&bytes, &limits, &mut image).unwrap();
            assert!(
                image == decode_coefficients(&bytes, &limits).unwrap(),
                "{format} q{quality}"
            );
            let now = block_pointers(&image);
            assert_eq!(
                *pointers.get_or_insert_with(|| now.clone()),
                now,
                "{format}"
            );
        }
    }
    let bytes = jpeg(64, 48, ChromaFormat::Yuv420, 5, 75);
    decode_coefficients_into(&bytes, &limits, &mut image).unwrap();
    assert!(image == decode_coefficients(&bytes, &limits).unwrap());
}

/// Scans of one component code only the blocks that hold samples: the
/// MCU padding of a reused image must still come out zero.
#[test]
fn non_interleaved_scans_clear_the_padding() {
    let dir = temp_dir();
    let ppm = dir.path().join("in.ppm");
    // 40x24 at 2x2 sampling: one padding column and row of luma blocks.
    run_ffmpeg([
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=40x24",
        "-frames:v",
        "1",
        ppm.to_str().unwrap(),
    ]);
    let script = dir.path().join("scans.txt");
    std::fs::write(&script, "0;\n1;\n2;\n").unwrap();
    let out = dir.path().join("out.jpg");
    run_tool(
        &cjpeg(),
        [
            "-scans",
            script.to_str().unwrap(),
            "-sample",
            "2x2",
            "-outfile",
            out.to_str().unwrap(),
            ppm.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&out).unwrap();
    let limits = Limits::default();
    let fresh = decode_coefficients(&bytes, &limits).unwrap();
    let y = &fresh.components[0];
    assert!(y.blocks_wide > y.visible_blocks_wide() && y.blocks_high > y.visible_blocks_high());
    let mut image = fresh.clone();
    scribble(&mut image);
    decode_coefficients_into(&bytes, &limits, &mut image).unwrap();
    assert!(image == fresh);
    // Nor do such pictures stream MCU by MCU.
    assert!(McuStream::new(&bytes, &limits).unwrap().is_none());
}

/// Corrupt data leaves a consistent image that the next picture decodes
/// into correctly.
#[test]
fn errors_leave_a_usable_image() {
    let limits = Limits::default();
    let good = jpeg(64, 48, ChromaFormat::Yuv420, 1, 90);
    let mut image = decode_coefficients(&good, &limits).unwrap();
    let mut cut = good.clone();
    cut.truncate(good.len() / 2);
    let mut garbage = good.clone();
    let n = garbage.len();
    for b in &mut garbage[n / 2..n - 2] {
        *b = 0xFF;
    }
    for bad in [&cut[..], &garbage[..], &good[..10], &[][..]] {
        assert!(decode_coefficients_into(bad, &limits, &mut image).is_err());
        for c in &image.components {
            assert_eq!(c.blocks.len(), c.blocks_wide * c.blocks_high);
        }
        decode_coefficients_into(&good, &limits, &mut image).unwrap();
        assert!(image == decode_coefficients(&good, &limits).unwrap());
        scribble(&mut image);
    }
}
