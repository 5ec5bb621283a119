//! `tessera sc` end to end: captures Wireshark reads, reassembly matching
//! ffmpeg's decode, rate limiting, and clear errors.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use tessera_core::{ChromaFormat, Frame};
use tessera_testkit::{check_close, ffmpeg_lavfi, run_ffmpeg_warnings, run_tool, temp_dir, tshark};

mod common;
use common::{ok, tessera};

fn os(s: &str) -> &OsStr {
    s.as_ref()
}

fn ffmpeg_mjpeg(dir: &Path, name: &str, src: &str, frames: u32, q: &str) -> PathBuf {
    let path = dir.join(name);
    let args = [
        "-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-q:v", q, "-f", "mjpeg",
    ];
    ffmpeg_lavfi(src, frames, &args, &path);
    path
}

fn raw_frames(path: &Path, w: usize, h: usize) -> Vec<Frame> {
    tessera_testkit::ffmpeg_frames(path, w, h, ChromaFormat::Yuv420)
}

#[test]
fn encode_decode_through_a_capture_wireshark_reads() {
    let dir = temp_dir();
    let d = dir.path();
    let input = ffmpeg_mjpeg(d, "in.mjpeg", "testsrc2=size=320x240:rate=25", 6, "3");
    let pcap = d.join("sc.pcap");
    let summary = ok(&[
        os("sc"),
        os("encode"),
        input.as_os_str(),
        os("--pcap"),
        pcap.as_os_str(),
        os("--regions"),
        os("3"),
        os("--max-packet"),
        os("500"),
    ]);
    assert!(summary.contains("6 frames 320x240 4:2:0"), "{summary}");
    assert!(summary.contains("3 region(s)"), "{summary}");

    // Wireshark's reading: RTP with PT 100, three SSRCs, a marker per
    // region and frame, no packet over 500 bytes, sequence numbers running.
    let fields = run_tool(
        &tshark(),
        [
            os("-r"),
            pcap.as_os_str(),
            os("-d"),
            os("udp.port==5004,rtp"),
            os("-T"),
            os("fields"),
            os("-e"),
            os("rtp.ssrc"),
            os("-e"),
            os("rtp.seq"),
            os("-e"),
            os("rtp.marker"),
            os("-e"),
            os("rtp.p_type"),
            os("-e"),
            os("udp.length"),
        ],
    );
    let text = String::from_utf8_lossy(&fields.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert!(rows.len() > 18, "{text}");
    let ssrcs: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(ssrcs.len(), 3, "{ssrcs:?}");
    assert!(rows.iter().all(|r| r[3] == "100"), "payload type");
    let markers = rows
        .iter()
        .filter(|r| r[2] == "1" || r[2] == "True")
        .count();
    assert_eq!(markers, 3 * 6);
    assert!(
        rows.iter()
            .all(|r| r[4].parse::<usize>().unwrap() - 8 <= 500)
    );

    // Reassembled pixels equal ffmpeg's decode of the input (the SC path
    // carries the JPEG's own coefficients).
    let y4m = d.join("out.y4m");
    let report = ok(&[
        os("sc"),
        os("decode"),
        pcap.as_os_str(),
        os("--output"),
        y4m.as_os_str(),
    ]);
    assert!(report.contains("6 frames at 25 fps"), "{report}");
    assert!(report.contains("0 forced"), "{report}");
    let ours = raw_frames(&y4m, 320, 240);
    let theirs = raw_frames(&input, 320, 240);
    assert_eq!(ours.len(), 6);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        check_close(&format!("sc frame {i}"), a, b, 48.0, 3).unwrap();
    }
    // Motion-JPEG out, transcoded in the DCT domain: ffmpeg reads it cleanly.
    let mjpeg = d.join("out.mjpeg");
    ok(&[
        os("sc"),
        os("decode"),
        pcap.as_os_str(),
        os("--output"),
        mjpeg.as_os_str(),
        os("-q"),
        os("85"),
    ]);
    let warnings =
        run_ffmpeg_warnings([os("-i"), mjpeg.as_os_str(), os("-f"), os("null"), os("-")]);
    assert!(warnings.trim().is_empty(), "{warnings}");
    assert_eq!(raw_frames(&mjpeg, 320, 240).len(), 6);

    let stats = ok(&[os("sc"), os("stats"), input.as_os_str()]);
    assert!(stats.contains("total: 6 frames"), "{stats}");
}

#[test]
fn rate_limiting_shrinks_the_stream_and_stays_valid() {
    let dir = temp_dir();
    let d = dir.path();
    // A still picture: conditional replenishment sends it once.
    let input = ffmpeg_mjpeg(
        d,
        "still.mjpeg",
        "testsrc2=size=176x144:rate=25,trim=end_frame=1,loop=loop=-1:size=1",
        8,
        "4",
    );
    let full = d.join("full.pcap");
    let limited = d.join("limited.pcap");
    ok(&[
        os("sc"),
        os("encode"),
        input.as_os_str(),
        os("--pcap"),
        full.as_os_str(),
    ]);
    let summary = ok(&[
        os("sc"),
        os("encode"),
        input.as_os_str(),
        os("--pcap"),
        limited.as_os_str(),
        os("--rate-limit"),
        os("quality=50,cutoff=10"),
        os("--rate-limit"),
        os("replenish=0"),
    ]);
    assert!(
        !summary.contains(" 0 skipped by replenishment"),
        "{summary}"
    );
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(
        size(&limited) * 3 < size(&full),
        "{} vs {}",
        size(&limited),
        size(&full)
    );
    let y4m = d.join("limited.y4m");
    let report = ok(&[
        os("sc"),
        os("decode"),
        limited.as_os_str(),
        os("--output"),
        y4m.as_os_str(),
    ]);
    assert!(report.contains("8 frames"), "{report}");
    assert!(!report.contains("dropped"), "{report}");
    let frames = raw_frames(&y4m, 176, 144);
    let reference = raw_frames(&input, 176, 144);
    // Every frame equals the first (the same picture), close to the input.
    for f in &frames {
        assert_eq!(f, &frames[0]);
        let p = tessera_testkit::psnr(&f.to_planar_bytes(), &reference[0].to_planar_bytes());
        assert!(p > 30.0, "rate-limited PSNR {p:.1} dB");
    }
}

#[test]
fn bad_arguments_and_captures_give_one_error_line() {
    let dir = temp_dir();
    let d = dir.path();
    let input = ffmpeg_mjpeg(d, "in.mjpeg", "testsrc2=size=64x48:rate=25", 1, "5");
    let pcap = d.join("x.pcap");
    for (args, needle) in [
        (vec![os("--region"), os("8,0,16,16")], "region"),
        (vec![os("--rate-limit"), os("speed=3")], "rate limit key"),
        (vec![os("--max-packet"), os("64")], "maximum packet size"),
    ] {
        let mut all = vec![
            os("sc"),
            os("encode"),
            input.as_os_str(),
            os("--pcap"),
            pcap.as_os_str(),
        ];
        all.extend(args);
        let out = tessera(&all);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
    let junk = tessera_testkit::write_file(d, "junk.pcap", b"not a capture at all");
    let out = tessera(&[
        os("sc"),
        os("decode"),
        junk.as_os_str(),
        os("--output"),
        d.join("o.y4m").as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
