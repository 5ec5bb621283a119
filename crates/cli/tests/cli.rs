//! End-to-end tests of the `tessera` binary as a process, checked against
//! ffmpeg.

use std::path::{Path, PathBuf};

use tessera_core::{ChromaFormat, Frame};
use tessera_testkit::{
    check_close, ffmpeg_lavfi, ffmpeg_raw, ffprobe, ffprobe_size_and_frames, run_tool, temp_dir,
};

mod common;
use common::{fails, ok};

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// A Y4M clip made by ffmpeg.
fn ffmpeg_y4m(dir: &Path, name: &str, size: &str, pix_fmt: &str, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let src = format!("testsrc2=size={size}:rate=30000/1001");
    ffmpeg_lavfi(&src, frames, &["-pix_fmt", pix_fmt, "-strict", "-1"], &path);
    path
}

#[test]
fn transcode_round_trips_through_every_container() {
    let dir = temp_dir();
    let d = dir.path();
    let source = ffmpeg_y4m(d, "src.y4m", "320x240", "yuvj420p", 10);
    let mjpeg = d.join("a.mjpeg");
    let avi = d.join("b.avi");
    let back = d.join("c.y4m");
    let mjpeg_again = d.join("d.mjpeg");
    let summary = ok(&[
        os("transcode"),
        source.as_os_str(),
        mjpeg.as_os_str(),
        os("--quality"),
        os("95"),
    ]);
    assert!(summary.contains("10 frames 320x240 4:2:0"), "{summary}");
    assert!(summary.contains("quality 95"), "{summary}");
    // Raw Motion-JPEG records no rate: give it for the AVI.
    ok(&[
        os("transcode"),
        mjpeg.as_os_str(),
        avi.as_os_str(),
        os("--fps"),
        os("29.97"),
    ]);
    ok(&[os("transcode"), avi.as_os_str(), back.as_os_str()]);
    ok(&[os("transcode"), avi.as_os_str(), mjpeg_again.as_os_str()]);
    // Frame-parallel coding gives the same bytes as one thread.
    let single = d.join("single.mjpeg");
    let summary = ok(&[
        os("transcode"),
        source.as_os_str(),
        single.as_os_str(),
        os("--quality"),
        os("95"),
        os("--threads"),
        os("1"),
    ]);
    assert!(summary.contains("on 1 threads"), "{summary}");
    assert_eq!(
        std::fs::read(&mjpeg).unwrap(),
        std::fs::read(&single).unwrap()
    );
    // Remuxing copies the JPEG images byte for byte.
    assert_eq!(
        std::fs::read(&mjpeg).unwrap(),
        std::fs::read(&mjpeg_again).unwrap()
    );

    // The decoded clip is close to the source, and it keeps the source's
    // frame rate through the AVI.
    let src = ffmpeg_raw(&source, "yuvj420p");
    let ours = ffmpeg_raw(&back, "yuvj420p");
    let p = tessera_testkit::psnr(&src, &ours);
    assert!(p > 38.0, "round trip PSNR {p:.2} dB");
    let probe = ok(&[os("probe"), back.as_os_str()]);
    assert!(probe.contains("30000/1001"), "{probe}");

    // ffmpeg reads our AVI: right frame count, and its decode equals ours.
    let counted = run_tool(
        &ffprobe(),
        [
            os("-v"),
            os("error"),
            os("-count_frames"),
            os("-select_streams"),
            os("v:0"),
            os("-show_entries"),
            os("stream=nb_read_frames,width,height,codec_name"),
            os("-of"),
            os("default=nw=1"),
            avi.as_os_str(),
        ],
    );
    let text = String::from_utf8_lossy(&counted.stdout);
    assert!(text.contains("codec_name=mjpeg"), "{text}");
    assert!(
        text.contains("width=320") && text.contains("height=240"),
        "{text}"
    );
    assert!(text.contains("nb_read_frames=10"), "{text}");
    let theirs = ffmpeg_raw(&avi, "yuvj420p");
    let size = ChromaFormat::Yuv420.frame_bytes(320, 240);
    for i in 0..10 {
        let a = Frame::from_planar_bytes(320, 240, ChromaFormat::Yuv420, &ours[i * size..][..size])
            .unwrap();
        let b =
            Frame::from_planar_bytes(320, 240, ChromaFormat::Yuv420, &theirs[i * size..][..size])
                .unwrap();
        check_close(&format!("avi frame {i}"), &a, &b, 48.0, 3).unwrap();
    }
}

#[test]
fn ffmpeg_mjpeg_and_avi_decode_like_ffmpeg() {
    let dir = temp_dir();
    let d = dir.path();
    for (pix_fmt, format, ext) in [
        ("yuvj422p", ChromaFormat::Yuv422, "avi"),
        ("yuvj444p", ChromaFormat::Yuv444, "mjpeg"),
        ("yuvj420p", ChromaFormat::Yuv420, "avi"),
    ] {
        let input = d.join(format!("ff-{pix_fmt}.{ext}"));
        ffmpeg_lavfi(
            "testsrc2=size=176x144:rate=25",
            5,
            &["-pix_fmt", pix_fmt, "-c:v", "mjpeg", "-q:v", "4"],
            &input,
        );
        let out = d.join(format!("ours-{pix_fmt}.y4m"));
        let summary = ok(&[os("transcode"), input.as_os_str(), out.as_os_str()]);
        assert!(summary.contains("5 frames 176x144"), "{summary}");
        let ours = ffmpeg_raw(&out, pix_fmt);
        let theirs = ffmpeg_raw(&input, pix_fmt);
        let size = format.frame_bytes(176, 144);
        assert_eq!(ours.len(), 5 * size);
        for i in 0..5 {
            let a = Frame::from_planar_bytes(176, 144, format, &ours[i * size..][..size]).unwrap();
            let b =
                Frame::from_planar_bytes(176, 144, format, &theirs[i * size..][..size]).unwrap();
            check_close(&format!("{pix_fmt} {ext} frame {i}"), &a, &b, 48.0, 3).unwrap();
        }
        let probe = ok(&[os("probe"), input.as_os_str()]);
        assert!(probe.contains("frames:      5"), "{probe}");
        assert!(probe.contains(&format!("sampling:    {format}")), "{probe}");
        assert!(probe.contains("quality:"), "{probe}");
        if ext == "avi" {
            assert!(probe.contains("frame rate:  25"), "{probe}");
        }
    }
}

#[test]
fn probe_reports_the_encoding_quality() {
    let dir = temp_dir();
    let d = dir.path();
    let source = ffmpeg_y4m(d, "src.y4m", "64x48", "yuvj422p", 3);
    let avi = d.join("q.avi");
    ok(&[
        os("transcode"),
        source.as_os_str(),
        avi.as_os_str(),
        os("-q"),
        os("75"),
    ]);
    let probe = ok(&[os("probe"), avi.as_os_str()]);
    for needle in [
        "AVI",
        "size:        64x48",
        "4:2:2",
        "frames:      3",
        "30000/1001",
        "quality:     75 (estimated, exact IJG table)",
    ] {
        assert!(probe.contains(needle), "missing {needle:?} in:\n{probe}");
    }
}

#[test]
fn bad_input_gives_one_error_line() {
    let dir = temp_dir();
    let d = dir.path();
    let garbage = tessera_testkit::write_file(d, "garbage.avi", b"RIFF\x10\x00\x00\x00AVI LIST");
    let missing = d.join("missing.y4m");
    let out = d.join("out.y4m");
    fails(&[os("probe"), missing.as_os_str()], "missing.y4m");
    fails(
        &[os("transcode"), garbage.as_os_str(), out.as_os_str()],
        "garbage.avi",
    );
    let notvideo = tessera_testkit::write_file(d, "notes.txt", b"hello");
    fails(&[os("probe"), notvideo.as_os_str()], "unknown video format");
    // A JPEG cut short inside its entropy-coded data.
    let source = ffmpeg_y4m(d, "s.y4m", "64x64", "yuvj420p", 1);
    let jpeg = d.join("one.mjpeg");
    ok(&[os("transcode"), source.as_os_str(), jpeg.as_os_str()]);
    let bytes = std::fs::read(&jpeg).unwrap();
    let cut = tessera_testkit::write_file(d, "cut.mjpeg", &bytes[..bytes.len() * 2 / 3]);
    fails(
        &[os("transcode"), cut.as_os_str(), out.as_os_str()],
        "cut.mjpeg",
    );
    let bad_y4m = tessera_testkit::write_file(d, "bad.y4m", b"YUV4MPEG2 W0 H10 F25:1\nFRAME\n");
    fails(&[os("probe"), bad_y4m.as_os_str()], "bad.y4m");
    fails(
        &[
            os("transcode"),
            source.as_os_str(),
            d.join("x.mp3").as_os_str(),
        ],
        "x.mp3",
    );
}

#[test]
fn demo_runs_end_to_end() {
    let dir = temp_dir();
    let out = ok(&[
        os("demo"),
        os("--output-dir"),
        dir.path().as_os_str(),
        os("--frames"),
        os("4"),
        os("--size"),
        os("160x96"),
    ]);
    assert!(out.contains("4 frames ->"), "{out}");
    assert!(out.contains("hybrid: 2 groups of 2"), "{out}");
    assert_eq!(out.matches("processor ").count(), 4, "{out}");
    // ffmpeg reads what the demo wrote.
    let avi = dir.path().join("demo.avi");
    let probe = ffprobe_size_and_frames(&avi);
    assert_eq!(probe, "160,96,4");
}
