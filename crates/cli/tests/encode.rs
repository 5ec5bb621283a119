//! `tessera encode` and `tessera decode` (MPEG-4 Part 2) end to end as
//! processes, checked against ffmpeg: its decoder reads our .m4v and .mp4
//! files without a warning and to the same pictures, our decoder matches
//! its decode, the bit rate lands on target, and RTP/MP4V-ES reaches
//! ffmpeg (and our own receiver) intact.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tessera_container::y4m::Y4mReader;
use tessera_core::{ChromaFormat, Frame, Limits};
use tessera_testkit::{
    check_close, ffmpeg_lavfi, ffprobe_size_and_frames, free_udp_port, run_ffmpeg,
    run_ffmpeg_warnings, split_rawvideo, temp_dir,
};

mod common;
use common::{fails, ok};

fn s(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

/// A moving 4:2:0 Y4M clip at 25 fps made by ffmpeg.
fn y4m(dir: &Path, size: &str, frames: u32) -> PathBuf {
    let path = dir.join(format!("src-{size}-{frames}.y4m"));
    ffmpeg_lavfi(
        &format!("testsrc2=size={size}:rate=25"),
        frames,
        &["-pix_fmt", "yuv420p"],
        &path,
    );
    path
}

/// The MD5 column of ffmpeg's `framemd5` output.
fn md5s(framemd5: &str) -> Vec<String> {
    framemd5
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.rsplit(',').next().unwrap_or_default().trim().to_string())
        .collect()
}

/// ffmpeg's per-frame MD5s of `path`'s decode, asserting it warned about
/// nothing.
fn ffmpeg_md5s(path: &Path) -> Vec<String> {
    let md5 = path.with_extension(format!(
        "{}.framemd5",
        path.extension().unwrap().to_str().unwrap()
    ));
    let log = run_ffmpeg_warnings([
        OsStr::new("-i"),
        path.as_os_str(),
        OsStr::new("-f"),
        OsStr::new("framemd5"),
        md5.as_os_str(),
    ]);
    assert!(
        log.trim().is_empty(),
        "ffmpeg warned decoding {}:\n{log}",
        path.display()
    );
    md5s(&std::fs::read_to_string(&md5).unwrap())
}

/// ffmpeg's decode of `path` as 4:2:0 frames (no range conversion).
fn ffmpeg_yuv(path: &Path, width: usize, height: usize) -> Vec<Frame> {
    let raw = path.with_extension("ffmpeg.yuv");
    run_ffmpeg([
        OsStr::new("-i"),
        path.as_os_str(),
        OsStr::new("-f"),
        OsStr::new("rawvideo"),
        OsStr::new("-pix_fmt"),
        OsStr::new("yuv420p"),
        raw.as_os_str(),
    ]);
    split_rawvideo(
        &std::fs::read(&raw).unwrap(),
        width,
        height,
        ChromaFormat::Yuv420,
    )
}

/// The frames of a Y4M file.
fn read_y4m(path: &Path) -> Vec<Frame> {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = Y4mReader::new(BufReader::new(file), Limits::default()).unwrap();
    std::iter::from_fn(|| reader.read_frame().unwrap()).collect()
}

/// The figure before `unit` in a summary line (`... 612.3 kbit/s ...`).
fn figure(summary: &str, unit: &str) -> f64 {
    let before = &summary[..summary
        .find(unit)
        .unwrap_or_else(|| panic!("no {unit:?} in {summary}"))];
    before
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|n| n.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number before {unit:?} in {summary}"))
}

/// Encodes a 50-frame CIF clip with `options` to .m4v and .mp4 and checks
/// both: ffmpeg decodes them without a warning to 50 frames of the right
/// size and to the same pictures, our decoder's output is within 45 dB of
/// ffmpeg's (only the IDCTs differ), and our decodes of the two are equal.
fn m4v_and_mp4_decode_alike(name: &str, options: &[&str]) {
    let dir = temp_dir();
    let d = dir.path();
    let source = y4m(d, "352x288", 50);
    let mut outputs = Vec::new();
    for ext in ["m4v", "mp4"] {
        let out = d.join(format!("{name}.{ext}"));
        let mut args = vec!["encode".to_string(), s(&source), "--output".into(), s(&out)];
        args.extend(options.iter().map(|o| o.to_string()));
        let summary = ok(&args);
        assert!(summary.contains("50 frames 352x288"), "{summary}");
        assert!(summary.contains("kbit/s"), "{summary}");
        assert!(figure(&summary, "frames/s") > 0.0, "{summary}");
        // At these quantisers the reconstruction is close to the input.
        let y = figure(&summary[summary.find("PSNR Y").unwrap() + 6..], "U");
        assert!(y > 28.0, "{name}: {summary}");
        assert_eq!(ffprobe_size_and_frames(&out), "352,288,50", "{name}.{ext}");
        outputs.push(out);
    }
    let (m4v, mp4) = (&outputs[0], &outputs[1]);
    let a = ffmpeg_md5s(m4v);
    let b = ffmpeg_md5s(mp4);
    assert_eq!(a.len(), 50, "{name}");
    assert_eq!(a, b, "{name}: ffmpeg decodes the .mp4 unlike the .m4v");

    let ours = d.join(format!("{name}-ours.y4m"));
    let summary = ok(&["decode", &s(m4v), "--output", &s(&ours)]);
    assert!(summary.contains("50 frames 352x288 at 25 fps"), "{summary}");
    let got = read_y4m(&ours);
    let theirs = ffmpeg_yuv(m4v, 352, 288);
    assert_eq!(got.len(), 50, "{name}");
    for (i, (x, y)) in got.iter().zip(&theirs).enumerate() {
        check_close(&format!("{name} frame {i}"), x, y, 45.0, 255).unwrap();
    }
    let from_mp4 = d.join(format!("{name}-mp4.y4m"));
    ok(&["decode", &s(mp4), "--output", &s(&from_mp4)]);
    assert!(
        std::fs::read(&ours).unwrap() == std::fs::read(&from_mp4).unwrap(),
        "{name}: our decode of the .mp4 differs from that of the .m4v"
    );
}

#[test]
fn constant_quantiser() {
    m4v_and_mp4_decode_alike("qp", &["--qp", "4", "--gop", "12"]);
}

#[test]
fn target_bit_rate() {
    m4v_and_mp4_decode_alike("bitrate", &["--bitrate", "600k"]);
}

#[test]
fn packets_of_bits_with_data_partitioning() {
    m4v_and_mp4_decode_alike(
        "partitioned",
        &[
            "--qp",
            "10",
            "--packet-size",
            "3000",
            "--data-partitioning",
            "--gop",
            "20",
        ],
    );
}

#[test]
fn slices_on_threads() {
    m4v_and_mp4_decode_alike("threads", &["--qp", "6", "--threads", "3", "--gop", "0"]);
}

#[test]
fn packets_of_macroblocks_without_four_vectors() {
    // 22: a macroblock row at CIF. (Packets of 30 would make the resync
    // markers look like H.261 GOB headers numbered 1-12 to ffmpeg's format
    // probe, which then takes a raw .m4v for H.261; an .mp4 is unaffected.)
    m4v_and_mp4_decode_alike(
        "mbs",
        &[
            "--qp",
            "7",
            "--packet-mbs",
            "22",
            "--no-4mv",
            "--search-range",
            "8",
            "--intra-refresh",
            "3",
        ],
    );
}

#[test]
fn mpeg_quantisation() {
    m4v_and_mp4_decode_alike("mpeg-quant", &["--qp", "7", "--mpeg-quant"]);
}

#[test]
fn decodes_ffmpeg_streams_in_every_wrapping() {
    let dir = temp_dir();
    let d = dir.path();
    let source = y4m(d, "352x288", 30);
    // A raw elementary stream, Apple's MP4 variant (what ffmpeg makes of
    // a .m4v name without -f m4v) and an MP4.
    for (name, format) in [
        ("raw.m4v", "m4v"),
        ("ipod.m4v", "ipod"),
        ("file.mp4", "mp4"),
    ] {
        let path = d.join(name);
        run_ffmpeg([
            OsStr::new("-i"),
            source.as_os_str(),
            OsStr::new("-c:v"),
            OsStr::new("mpeg4"),
            OsStr::new("-g"),
            OsStr::new("12"),
            OsStr::new("-q:v"),
            OsStr::new("4"),
            OsStr::new("-f"),
            OsStr::new(format),
            path.as_os_str(),
        ]);
        let ours = d.join(format!("{name}.y4m"));
        let summary = ok(&["decode", &s(&path), "--output", &s(&ours)]);
        assert!(summary.contains("30 frames 352x288"), "{summary}");
        let got = read_y4m(&ours);
        let theirs = ffmpeg_yuv(&path, 352, 288);
        assert_eq!(got.len(), 30, "{name}");
        for (i, (x, y)) in got.iter().zip(&theirs).enumerate() {
            check_close(&format!("ffmpeg {name} frame {i}"), x, y, 45.0, 255).unwrap();
        }
    }
}

#[test]
fn bitrate_lands_within_five_percent_of_the_target() {
    let dir = temp_dir();
    let d = dir.path();
    // 10 s of moving content.
    let source = y4m(d, "176x144", 250);
    let mut figures = Vec::new();
    for target in ["100k", "300k"] {
        let out = d.join(format!("rate-{target}.m4v"));
        let summary = ok(&[
            "encode",
            &s(&source),
            "--output",
            &s(&out),
            "--bitrate",
            target,
        ]);
        let wanted = target.trim_end_matches('k').parse::<f64>().unwrap() * 1000.0;
        let file_rate = std::fs::metadata(&out).unwrap().len() as f64 * 8.0 / 10.0;
        let reported = figure(&summary, "kbit/s") * 1000.0;
        figures.push(format!(
            "{target}: file {:.1} kbit/s ({:+.2}%), summary {:.1} kbit/s",
            file_rate / 1000.0,
            (file_rate / wanted - 1.0) * 100.0,
            reported / 1000.0
        ));
        assert!(summary.contains("250 frames"), "{summary}");
        assert!(
            (reported - file_rate).abs() <= 0.001 * file_rate + 100.0,
            "{summary} against {file_rate} bit/s in the file"
        );
        assert_eq!(ffmpeg_md5s(&out).len(), 250);
    }
    eprintln!("bit rate: {}", figures.join("; "));
    for f in &figures {
        let deviation: f64 = f[f.find('(').unwrap() + 1..f.find("%)").unwrap()]
            .parse()
            .unwrap();
        assert!(deviation.abs() <= 5.0, "off target: {}", figures.join("; "));
    }
}

#[test]
fn frames_option_and_mjpeg_input() {
    let dir = temp_dir();
    let d = dir.path();
    let mjpeg = d.join("in.avi");
    ffmpeg_lavfi(
        "testsrc2=size=160x120:rate=25",
        12,
        &["-pix_fmt", "yuvj422p", "-c:v", "mjpeg", "-q:v", "3"],
        &mjpeg,
    );
    let out = d.join("from-avi.m4v");
    let summary = ok(&["encode", &s(&mjpeg), "--output", &s(&out), "--frames", "7"]);
    assert!(summary.contains("7 frames 160x120 at 25 fps"), "{summary}");
    assert_eq!(ffprobe_size_and_frames(&out), "160,120,7");
    let y = d.join("five.y4m");
    let summary = ok(&["decode", &s(&out), "--output", &s(&y), "--frames", "5"]);
    assert!(summary.contains("5 frames"), "{summary}");
    assert_eq!(read_y4m(&y).len(), 5);
}

#[test]
fn bad_input_gives_one_error_line() {
    let dir = temp_dir();
    let d = dir.path();
    let source = y4m(d, "64x48", 2);
    let out = s(&d.join("out.m4v"));
    let missing = s(&d.join("missing.y4m"));
    fails(&["encode", &missing, "--output", &out], "missing.y4m");
    let garbage = tessera_testkit::write_file(d, "garbage.avi", b"RIFF\x10\x00\x00\x00AVI LIST");
    fails(&["encode", &s(&garbage), "--output", &out], "garbage.avi");
    let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let noise_y4m = tessera_testkit::write_file(d, "noise.y4m", &noise);
    fails(&["encode", &s(&noise_y4m), "--output", &out], "noise.y4m");
    let src = s(&source);
    fails(
        &["encode", &src, "--output", &out, "--qp", "0"],
        "--qp 0: the quantiser is 1-31",
    );
    fails(
        &["encode", &src, "--output", &out, "--qp", "40"],
        "--qp 40: the quantiser is 1-31",
    );
    fails(
        &["encode", &src, "--output", &out, "--bitrate", "fast"],
        "--bitrate",
    );
    fails(
        &["encode", &src, "--output", &s(&d.join("x.mp3"))],
        "x.mp3: cannot tell the output format",
    );
    let notes = tessera_testkit::write_file(d, "notes.txt", b"hello");
    fails(
        &["encode", &s(&notes), "--output", &out],
        "unknown video format",
    );
    fails(
        &["encode", &src, "--output", &out, "--sdp", "x.sdp"],
        "rtp:// output",
    );

    let y = s(&d.join("out.y4m"));
    fails(
        &["decode", &s(&d.join("none.m4v")), "--output", &y],
        "none.m4v",
    );
    let junk = tessera_testkit::write_file(d, "junk.m4v", &noise);
    fails(&["decode", &s(&junk), "--output", &y], "junk.m4v");
    let junk_mp4 = tessera_testkit::write_file(d, "junk.mp4", &noise);
    fails(&["decode", &s(&junk_mp4), "--output", &y], "junk.mp4");
    fails(
        &["decode", &s(&notes), "--output", &y],
        "notes.txt: cannot tell the input format",
    );
    // A stream cut inside a VOP.
    ok(&["encode", &src, "--output", &out]);
    let bytes = std::fs::read(&out).unwrap();
    let cut = tessera_testkit::write_file(d, "cut.m4v", &bytes[..bytes.len() - 40]);
    fails(&["decode", &s(&cut), "--output", &y], "cut.m4v");
    fails(
        &["decode", &out, "--output", &s(&d.join("x.avi"))],
        "decode writes .y4m",
    );
}

/// Waits for a child at most `limit`, killing it past that.
fn wait_at_most(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what} did not finish in {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn rtp_output_reaches_ffmpeg_and_our_receiver_intact() {
    let dir = temp_dir();
    let d = dir.path();
    let frames = 50;
    let source = y4m(d, "352x288", frames);
    let options = [
        "--qp",
        "6",
        "--gop",
        "12",
        "--packet-size",
        "4000",
        "--max-packet",
        "1000",
    ];
    // The file the stream must equal.
    let m4v = d.join("same.m4v");
    let mut args = vec!["encode".to_string(), s(&source), "--output".into(), s(&m4v)];
    args.extend(options.iter().map(|o| o.to_string()));
    ok(&args);
    let expected = ffmpeg_md5s(&m4v);
    assert_eq!(expected.len(), frames as usize);

    let port = free_udp_port();
    let url = format!("rtp://127.0.0.1:{port}");
    let sdp = d.join("stream.sdp");
    let send_args = |sdp_only: bool| {
        let mut a = vec![
            "encode".to_string(),
            s(&source),
            "--output".into(),
            url.clone(),
            "--sdp".into(),
            s(&sdp),
        ];
        if sdp_only {
            a.push("--sdp-only".into());
        }
        a.extend(options.iter().map(|o| o.to_string()));
        a
    };
    ok(&send_args(true));
    let text = std::fs::read_to_string(&sdp).unwrap();
    assert!(text.contains("MP4V-ES/90000"), "{text}");
    assert!(text.contains("config=000001B0"), "{text}");

    // ffmpeg reads the SDP, then we send.
    let md5_path = d.join("rtp.framemd5");
    let count = frames.to_string();
    let player = tessera_testkit::ffmpeg_receiving(
        &sdp,
        port,
        [
            "-frames:v".as_ref(),
            count.as_ref(),
            "-f".as_ref(),
            "framemd5".as_ref(),
            md5_path.as_os_str(),
        ],
    );
    let summary = ok(&send_args(false));
    assert!(summary.contains(&format!("{frames} frames")), "{summary}");
    assert!(summary.contains("RTP packets"), "{summary}");
    let got = wait_at_most(player, Duration::from_secs(20), "ffmpeg receiving");
    let warnings = String::from_utf8_lossy(&got.stderr);
    let received = md5s(&std::fs::read_to_string(&md5_path).unwrap_or_default());
    assert_eq!(received.len(), frames as usize, "ffmpeg: {warnings}");
    for (n, (a, b)) in received.iter().zip(&expected).enumerate() {
        assert_eq!(a, b, "frame {n} differs; ffmpeg: {warnings}");
    }
    assert!(warnings.trim().is_empty(), "ffmpeg warned: {warnings}");

    // Our receiver, ended by the sender's BYE, equals our decode of the
    // file.
    let from_file = d.join("file.y4m");
    ok(&["decode", &s(&m4v), "--output", &s(&from_file)]);
    let from_rtp = d.join("rtp.y4m");
    let mut receiver = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["decode", &s(&sdp), "--output", &s(&from_rtp)])
        .args(["--duration", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(receiver.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("receiving on"), "{line}");
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    ok(&send_args(false));
    let out = wait_at_most(receiver, Duration::from_secs(20), "tessera decode rtp");
    let errors = drain.join().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{errors}");
    assert!(report.contains(&format!("{frames} frames")), "{report}");
    assert!(
        report.contains("ended by the sender's RTCP BYE"),
        "{report}"
    );
    assert!(
        std::fs::read(&from_rtp).unwrap() == std::fs::read(&from_file).unwrap(),
        "received frames differ from the file's: {report}"
    );
}
