//! Interoperability with independent implementations: ffmpeg's MJPEG
//! encoder and decoder, and libjpeg-turbo's `cjpeg` for the samplings
//! ffmpeg cannot write (4:4:0, 4:1:1, greyscale).

use std::path::{Path, PathBuf};

use tessera_core::{ChromaFormat, Frame, Limits};
use tessera_jpeg::{
    EncodeOptions, HuffmanMode, decode_coefficients, decode_frame, encode_coefficients,
    frame_to_coefficients, read_info,
};
use tessera_testkit::{
    check_close, cjpeg, ffmpeg_lavfi, psnr, run_ffmpeg, run_ffmpeg_warnings, run_tool,
};

/// ffmpeg's decode of `jpeg` as raw planes in the file's own sampling.
fn ffmpeg_decode(jpeg: &Path, format: ChromaFormat, w: usize, h: usize) -> Frame {
    let mut frames = tessera_testkit::ffmpeg_frames(jpeg, w, h, format);
    assert_eq!(frames.len(), 1, "one picture");
    frames.remove(0)
}

/// A test picture encoded by ffmpeg's MJPEG encoder.
fn ffmpeg_jpeg(dir: &Path, w: usize, h: usize, pix_fmt: &str, q: u32, threads: u32) -> PathBuf {
    let path = dir.join(format!("ff-{w}x{h}-{pix_fmt}-q{q}-t{threads}.jpg"));
    let size = format!("testsrc2=size=1280x720:rate=25,scale={w}:{h}");
    let (q, threads) = (q.to_string(), threads.to_string());
    ffmpeg_lavfi(
        &size,
        1,
        &[
            "-pix_fmt", pix_fmt, "-c:v", "mjpeg", "-q:v", &q, "-threads", &threads, "-slices",
            &threads, "-f", "image2",
        ],
        &path,
    );
    path
}

/// A test picture as a PPM, made by ffmpeg, for cjpeg to encode.
fn ppm_source(dir: &Path, w: usize, h: usize) -> PathBuf {
    let path = dir.join(format!("src-{w}x{h}.ppm"));
    let size = format!("testsrc2=size=1280x720:rate=25,scale={w}:{h}");
    ffmpeg_lavfi(&size, 1, &["-c:v", "ppm", "-f", "image2"], &path);
    path
}

/// Checks our pixels against ffmpeg's, and that re-encoding our
/// coefficients with the file's tables and Annex K Huffman tables gives a
/// file ffmpeg decodes to exactly the same pixels as the original.
fn check_file(label: &str, path: &Path, expected: ChromaFormat) {
    let data = std::fs::read(path).unwrap();
    let limits = Limits::default();
    let ours = decode_frame(&data, &limits).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(ours.format, expected, "{label}");
    let reference = ffmpeg_decode(path, expected, ours.width, ours.height);
    check_close(label, &ours, &reference, 48.0, 3).unwrap();

    let coefficients = decode_coefficients(&data, &limits).unwrap();
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        ..EncodeOptions::default()
    };
    let again = encode_coefficients(&coefficients, &options).unwrap();
    let again_path = path.with_extension("again.jpg");
    std::fs::write(&again_path, &again).unwrap();
    let reference_again = ffmpeg_decode(&again_path, expected, ours.width, ours.height);
    assert_eq!(
        reference_again.to_planar_bytes(),
        reference.to_planar_bytes(),
        "{label}: ffmpeg decodes our re-encoded coefficients differently"
    );
    assert_eq!(
        decode_coefficients(&again, &limits).unwrap().components,
        coefficients.components
    );
}

#[test]
fn ffmpeg_files_every_sampling_size_and_quality() {
    let dir = tessera_testkit::temp_dir();
    let formats = [
        ("yuvj420p", ChromaFormat::Yuv420),
        ("yuvj422p", ChromaFormat::Yuv422),
        ("yuvj444p", ChromaFormat::Yuv444),
    ];
    for (pix_fmt, format) in formats {
        for (w, h) in [(1, 1), (17, 13), (1000, 562), (1920, 1080)] {
            for (q, threads) in [(2, 1), (31, 4), (7, 3)] {
                let path = ffmpeg_jpeg(dir.path(), w, h, pix_fmt, q, threads);
                let data = std::fs::read(&path).unwrap();
                let info = read_info(&data, &Limits::default()).unwrap();
                if threads > 1 && h > 16 {
                    assert!(
                        info.restart_interval > 0,
                        "ffmpeg slices give restart markers"
                    );
                }
                check_file(
                    &format!("ffmpeg {pix_fmt} {w}x{h} q{q} t{threads}"),
                    &path,
                    format,
                );
            }
        }
    }
}

#[test]
fn ffmpeg_qualities_2_to_31() {
    let dir = tessera_testkit::temp_dir();
    for q in [2, 3, 4, 5, 8, 12, 16, 20, 25, 31] {
        let path = ffmpeg_jpeg(dir.path(), 352, 288, "yuvj420p", q, 1);
        check_file(&format!("ffmpeg 352x288 q{q}"), &path, ChromaFormat::Yuv420);
    }
}

#[test]
fn cjpeg_files_440_411_grey_and_restarts() {
    let dir = tessera_testkit::temp_dir();
    let cases: [(&[&str], ChromaFormat); 6] = [
        (&["-sample", "1x2"], ChromaFormat::Yuv440),
        (&["-sample", "4x1"], ChromaFormat::Yuv411),
        (&["-grayscale"], ChromaFormat::Mono),
        (&["-sample", "2x2", "-restart", "1B"], ChromaFormat::Yuv420),
        (&["-sample", "2x1", "-restart", "3"], ChromaFormat::Yuv422),
        (
            &["-sample", "1x1", "-restart", "2B", "-dct", "float"],
            ChromaFormat::Yuv444,
        ),
    ];
    for (w, h) in [(1, 1), (17, 13), (1000, 562)] {
        let source = ppm_source(dir.path(), w, h);
        for (i, (args, format)) in cases.iter().enumerate() {
            for quality in ["30", "90"] {
                let out = dir.path().join(format!("cj-{w}x{h}-{i}-{quality}.jpg"));
                let mut all: Vec<&std::ffi::OsStr> = vec![
                    "-quality".as_ref(),
                    quality.as_ref(),
                    "-outfile".as_ref(),
                    out.as_os_str(),
                ];
                all.splice(0..0, args.iter().map(|a| a.as_ref()));
                all.push(source.as_os_str());
                run_tool(&cjpeg(), all);
                check_file(&format!("cjpeg {args:?} {w}x{h} q{quality}"), &out, *format);
            }
        }
    }
}

/// Our encoder against ffmpeg's at the same quantization tables: ffmpeg
/// decodes both, and our PSNR against the source is within 0.3 dB.
#[test]
fn encoder_matches_ffmpeg_quality_and_decodes_cleanly() {
    let dir = tessera_testkit::temp_dir();
    for (pix_fmt, format, w, h) in [
        ("yuvj420p", ChromaFormat::Yuv420, 640, 360),
        ("yuvj422p", ChromaFormat::Yuv422, 333, 201),
        ("yuvj444p", ChromaFormat::Yuv444, 176, 144),
    ] {
        let raw = dir.path().join(format!("src-{pix_fmt}.raw"));
        let size = format!("testsrc2=size=1280x720:rate=25,scale={w}:{h}");
        ffmpeg_lavfi(&size, 1, &["-pix_fmt", pix_fmt, "-f", "rawvideo"], &raw);
        let source = Frame::from_planar_bytes(w, h, format, &std::fs::read(&raw).unwrap()).unwrap();
        for q in [2, 4, 8, 16] {
            let theirs_path = dir.path().join(format!("theirs-{pix_fmt}-{q}.jpg"));
            let qs = q.to_string();
            run_ffmpeg(
                [
                    "-f",
                    "rawvideo",
                    "-pix_fmt",
                    pix_fmt,
                    "-s",
                    &format!("{w}x{h}"),
                    "-i",
                ]
                .iter()
                .map(|s| s.as_ref())
                .chain([raw.as_os_str()])
                .chain(
                    ["-c:v", "mjpeg", "-q:v", &qs, "-f", "image2"]
                        .iter()
                        .map(|s| s.as_ref()),
                )
                .chain([theirs_path.as_os_str()]),
            );
            let theirs = std::fs::read(&theirs_path).unwrap();
            let info = read_info(&theirs, &Limits::default()).unwrap();
            let luma = info.quant_tables[usize::from(info.components[0].quant_index)].unwrap();
            let chroma = info.quant_tables[usize::from(info.components[1].quant_index)].unwrap();
            let image = frame_to_coefficients(&source, &luma, &chroma).unwrap();
            let ours = encode_coefficients(&image, &EncodeOptions::default()).unwrap();
            let ours_path = dir.path().join(format!("ours-{pix_fmt}-{q}.jpg"));
            std::fs::write(&ours_path, &ours).unwrap();
            let warnings =
                run_ffmpeg_warnings(["-i".as_ref(), ours_path.as_os_str()].into_iter().chain([
                    "-f".as_ref(),
                    "null".as_ref(),
                    "-".as_ref(),
                ]));
            assert!(warnings.trim().is_empty(), "ffmpeg warned: {warnings}");
            let ours_decoded = ffmpeg_decode(&ours_path, format, w, h);
            let theirs_decoded = ffmpeg_decode(&theirs_path, format, w, h);
            let src = source.to_planar_bytes();
            let p_ours = psnr(&ours_decoded.to_planar_bytes(), &src);
            let p_theirs = psnr(&theirs_decoded.to_planar_bytes(), &src);
            eprintln!(
                "{pix_fmt} q{q}: ours {p_ours:.2} dB ({} B), ffmpeg {p_theirs:.2} dB ({} B)",
                ours.len(),
                theirs.len()
            );
            assert!(
                p_ours >= p_theirs - 0.3,
                "{pix_fmt} q{q}: ours {p_ours:.2} dB vs ffmpeg {p_theirs:.2} dB"
            );
        }
    }
}

/// RGB-coded JPEGs (cjpeg -rgb writes an Adobe APP14 with transform 0):
/// `decode_rgb` reads them like ffmpeg does, YCbCr planes are refused
/// clearly instead of coming out in the wrong colours, and re-encoding the
/// coefficients keeps them RGB.
#[test]
fn rgb_coded_files_are_recognized() {
    let dir = tessera_testkit::temp_dir();
    let source = ppm_source(dir.path(), 96, 64);
    let path = dir.path().join("rgb.jpg");
    run_tool(
        &cjpeg(),
        [
            "-rgb".as_ref(),
            "-quality".as_ref(),
            "95".as_ref(),
            "-outfile".as_ref(),
            path.as_os_str(),
            source.as_os_str(),
        ],
    );
    let data = std::fs::read(&path).unwrap();
    let limits = Limits::default();
    assert_eq!(
        read_info(&data, &limits).unwrap().colour,
        tessera_jpeg::Colour::Rgb
    );
    let err = decode_frame(&data, &limits).unwrap_err();
    assert!(err.to_string().contains("RGB-coded"), "{err}");
    let ours = tessera_jpeg::decode_rgb(&data, &limits).unwrap();
    let theirs = tessera_testkit::ffmpeg_raw(&path, "rgb24");
    let p = psnr(&ours.data, &theirs);
    assert!(p >= 45.0, "RGB decode {p:.1} dB against ffmpeg's");
    // Re-encoded coefficients stay RGB (APP14 written) and decode alike.
    let coefficients = decode_coefficients(&data, &limits).unwrap();
    let again = encode_coefficients(&coefficients, &EncodeOptions::default()).unwrap();
    let again_path = dir.path().join("rgb-again.jpg");
    std::fs::write(&again_path, &again).unwrap();
    assert_eq!(tessera_testkit::ffmpeg_raw(&again_path, "rgb24"), theirs);
    assert_eq!(decode_coefficients(&again, &limits).unwrap(), coefficients);
}
