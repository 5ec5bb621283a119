//! AVI files made by ffmpeg read by us, and ours (plain and OpenDML) read
//! by ffmpeg, with images compared byte for byte.

mod common;

use std::fs;
use std::io::BufReader;

use common::{arg, ffmpeg, numbered_files, probe, temp_dir, testsrc};
use tessera_container::Error;
use tessera_container::avi::{AviReader, AviWriter};
use tessera_core::{Limits, Rational};

fn read_all(path: &str) -> (tessera_container::avi::AviInfo, Vec<Vec<u8>>) {
    let file = BufReader::new(fs::File::open(path).unwrap());
    let mut reader = AviReader::new(file, Limits::default()).unwrap();
    let info = reader.info().clone();
    let mut images = Vec::new();
    while let Some(image) = reader.next_image().unwrap() {
        images.push(image);
    }
    (info, images)
}

/// ffmpeg's own extraction of the video packets, unchanged.
fn extract(dir: &std::path::Path, path: &str, prefix: &str) -> Vec<Vec<u8>> {
    let pattern = arg(dir, &format!("{prefix}%03d.jpg"));
    ffmpeg(
        &[],
        &[
            "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "image2", &pattern,
        ],
    );
    numbered_files(dir, prefix)
}

#[test]
fn ffmpeg_avi_files_read_as_ffmpeg_extracts_them() {
    let dir = temp_dir();
    let cases: [(&str, &str, Vec<&str>); 3] = [
        ("plain", "30000/1001", vec![]),
        ("audio", "25", vec!["-c:a", "pcm_s16le", "-shortest"]),
        ("vtag", "12.5", vec!["-vtag", "MJPG"]),
    ];
    for (name, rate, extra) in cases {
        let avi = arg(dir.path(), &format!("{name}.avi"));
        let mut inputs: Vec<String> = Vec::new();
        if name == "audio" {
            // Audio first, so that its chunks lead the interleaving.
            inputs.extend(
                ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"].map(String::from),
            );
        }
        inputs.extend(testsrc("65x47", rate, 9));
        let mut args = vec!["-c:v", "mjpeg", "-pix_fmt", "yuvj422p"];
        args.extend(extra);
        args.push(&avi);
        ffmpeg(&inputs, &args);

        let (info, images) = read_all(&avi);
        assert_eq!((info.width, info.height), (65, 47), "{name}");
        assert_eq!(info.rate, rate.parse::<Rational>().unwrap(), "{name}");
        assert_eq!(info.frame_count, 9, "{name}");
        assert_eq!(&info.fourcc, b"MJPG", "{name}");
        assert_eq!(
            info.stream_count,
            if name == "audio" { 2 } else { 1 },
            "{name}"
        );
        let expected = extract(dir.path(), &avi, &format!("{name}-"));
        assert_eq!(images.len(), 9, "{name}");
        assert!(images == expected, "{name}: images differ");
    }
}

/// Writes `images` with our writer and checks what ffprobe and ffmpeg's
/// extraction say about the file, then reads it back ourselves.
fn check_our_avi(dir: &std::path::Path, name: &str, images: &[Vec<u8>], segment: Option<u64>) {
    let path = arg(dir, &format!("{name}.avi"));
    let rate = Rational::new(30000, 1001).unwrap();
    let file = fs::File::create(&path).unwrap();
    let mut writer = match segment {
        Some(size) => AviWriter::with_max_riff_size(file, 65, 47, rate, size).unwrap(),
        None => AviWriter::new(file, 65, 47, rate).unwrap(),
    };
    for image in images {
        writer.write_image(image).unwrap();
    }
    writer.finish().unwrap();

    let warnings = tessera_testkit::run_ffmpeg_warnings([
        "-i",
        path.as_str(),
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ]);
    assert!(warnings.is_empty(), "{name}: ffmpeg warns: {warnings}");
    let info = probe(path.as_ref());
    assert_eq!(info["nb_read_frames"], images.len().to_string(), "{name}");
    assert_eq!(info["r_frame_rate"], "30000/1001", "{name}");
    assert_eq!((&*info["width"], &*info["height"]), ("65", "47"), "{name}");
    let back = extract(dir, &path, &format!("{name}-back-"));
    assert!(back == images, "{name}: ffmpeg extraction differs");

    let (ours, again) = read_all(&path);
    assert_eq!(ours.frame_count, images.len() as u64, "{name}");
    assert_eq!(ours.open_dml, segment.is_some(), "{name}");
    assert!(again == images, "{name}: our reading differs");
    let bytes = fs::read(&path).unwrap();
    let avix = bytes.windows(4).filter(|w| w == b"AVIX").count();
    if segment.is_some() {
        assert!(
            avix >= 2,
            "{name}: expected several AVIX segments, got {avix}"
        );
        check_opendml_indexes(&bytes, images);
    } else {
        assert_eq!(avix, 0);
    }
}

#[test]
fn our_avi_is_read_by_ffmpeg_with_the_same_images() {
    let dir = temp_dir();
    let source = arg(dir.path(), "src-%03d.jpg");
    ffmpeg(
        &testsrc("65x47", "25", 120),
        &["-c:v", "mjpeg", "-q:v", "2", "-f", "image2", &source],
    );
    let images = numbered_files(dir.path(), "src-");
    assert_eq!(images.len(), 120);
    // Odd-sized images exercise chunk padding.
    assert!(images.iter().any(|i| i.len() % 2 == 1));
    check_our_avi(dir.path(), "plain", &images, None);
    // 64 KiB segments: OpenDML with AVIX segments, ix00 and indx.
    check_our_avi(dir.path(), "opendml", &images, Some(64 << 10));
}

#[test]
fn non_mjpeg_avi_is_unsupported() {
    let dir = temp_dir();
    let avi = arg(dir.path(), "raw.avi");
    ffmpeg(
        &testsrc("16x16", "25", 2),
        &["-c:v", "rawvideo", "-pix_fmt", "bgr24", &avi],
    );
    let err = AviReader::new(fs::File::open(&avi).unwrap(), Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    let avi = arg(dir.path(), "mpeg4.avi");
    ffmpeg(&testsrc("16x16", "25", 2), &["-c:v", "mpeg4", &avi]);
    let err = AviReader::new(fs::File::open(&avi).unwrap(), Limits::default()).unwrap_err();
    assert!(err.to_string().contains("FMP4"), "{err}");
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// Follows the `indx` super index to every `ix00` and checks that each
/// entry points at the data of the right `00dc` chunk.
fn check_opendml_indexes(bytes: &[u8], images: &[Vec<u8>]) {
    let indx = bytes.windows(4).position(|w| w == b"indx").expect("indx");
    let entries = u32_at(bytes, indx + 12);
    assert_eq!(&bytes[indx + 16..indx + 20], b"00dc");
    let mut frame = 0;
    for e in 0..entries {
        let at = indx + 32 + 16 * e;
        let ix = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        let size = u32_at(bytes, at + 8);
        let duration = u32_at(bytes, at + 12);
        assert_eq!(&bytes[ix..ix + 4], b"ix00");
        assert_eq!(u32_at(bytes, ix + 4) + 8, size);
        let n = u32_at(bytes, ix + 12);
        assert_eq!(n, duration);
        let base = u64::from_le_bytes(bytes[ix + 20..ix + 28].try_into().unwrap()) as usize;
        for k in 0..n {
            let data = base + u32_at(bytes, ix + 32 + 8 * k);
            let len = u32_at(bytes, ix + 36 + 8 * k);
            assert_eq!(&bytes[data - 8..data - 4], b"00dc");
            assert_eq!(&bytes[data..data + len], &images[frame][..]);
            frame += 1;
        }
    }
    assert_eq!(frame, images.len());
}
