//! `tessera rtp` against real peers on loopback: ffmpeg and GStreamer send
//! to us and receive from us, a shim disturbs packets, and multicast runs
//! across network namespaces the test makes itself.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tessera_core::{ChromaFormat, Frame};
use tessera_testkit::{
    check_close, ffmpeg, ffmpeg_frames, ffmpeg_lavfi, free_udp_port, gst_launch, psnr, run_ffmpeg,
    temp_dir,
};

fn os(s: &str) -> &OsStr {
    s.as_ref()
}

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn finish(child: Child, what: &str) -> Output {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `tessera rtp send SOURCE URL EXTRA...` to the end, asserting it
/// succeeded.
fn send(mut command: Command, source: &Path, url: &str, extra: &[&str]) {
    let out = command
        .args(["rtp", "send"])
        .arg(source)
        .arg(url)
        .args(extra)
        .output()
        .expect("run tessera rtp send");
    assert!(
        out.status.success(),
        "rtp send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits for a `tessera rtp recv` child to say its socket is bound (its
/// first line on stderr), and returns the child.
fn bound(mut child: Child) -> Child {
    use std::io::{BufRead, BufReader, Read};
    let stderr = child.stderr.take().expect("stderr piped");
    let mut reader = BufReader::new(stderr);
    let mut line = String::new();
    reader.read_line(&mut line).expect("read stderr");
    assert!(
        line.starts_with("receiving on"),
        "recv did not start: {line}"
    );
    // Keep draining stderr so the child never blocks on it; errors end up
    // in its exit status and stdout report.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        if !rest.trim().is_empty() {
            eprintln!("recv stderr: {rest}");
        }
    });
    child
}

/// Starts `tessera rtp recv` and waits until its socket is bound.
fn start_recv(url: &str, output: &Path, extra: &[&str]) -> Child {
    let child = tessera()
        .args(["rtp", "recv", url, "--output"])
        .arg(output)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera rtp recv");
    bound(child)
}

/// The clip ffmpeg sends, also written as a file so its own decode is the
/// reference.
fn ffmpeg_source(dir: &Path, size: &str, pix_fmt: &str, frames: u32) -> (String, PathBuf) {
    let src = format!("testsrc2=size={size}:rate=25");
    let reference = dir.join(format!("ref-{size}-{pix_fmt}.mjpeg"));
    ffmpeg_lavfi(
        &src,
        frames,
        &[
            "-pix_fmt",
            pix_fmt,
            "-c:v",
            "mjpeg",
            "-huffman",
            "default",
            "-force_duplicated_matrix",
            "1",
            "-q:v",
            "5",
            "-f",
            "mjpeg",
        ],
        &reference,
    );
    (src, reference)
}

/// ffmpeg 5.1 cannot send 4:2:2 RTP/JPEG: its MJPEG encoder writes 4:2:2
/// with 1x2 chroma blocks and its RTP muxer refuses them ("Only 1x1 chroma
/// blocks are supported"). 4:2:2 reception is proven with GStreamer's
/// sender below, and 4:2:2 sending with ffmpeg as the receiver.
#[test]
fn ffmpeg_sends_and_we_receive_its_pixels() {
    let dir = temp_dir();
    let d = dir.path();
    for (size, pix_fmt, format) in [
        ("176x144", "yuvj420p", ChromaFormat::Yuv420),
        ("320x240", "yuvj420p", ChromaFormat::Yuv420),
        ("1280x720", "yuvj420p", ChromaFormat::Yuv420),
    ] {
        let frames = 8u32;
        let (_, reference) = ffmpeg_source(d, size, pix_fmt, frames);
        let port = free_udp_port();
        let out = d.join(format!("got-{size}-{pix_fmt}.mjpeg"));
        let recv = start_recv(
            &format!("rtp://127.0.0.1:{port}?rcvbuf=8388608"),
            &out,
            &["--frames", &frames.to_string(), "--duration", "20"],
        );
        // ffmpeg paces by -re so a default-size socket buffer keeps up.
        run_ffmpeg(
            ["-re", "-f", "mjpeg", "-i"]
                .iter()
                .map(|s| os(s))
                .chain([reference.as_os_str()])
                .chain(["-c:v", "copy", "-f", "rtp"].iter().map(|s| os(s)))
                .chain([os(&format!("rtp://127.0.0.1:{port}"))]),
        );
        let report = String::from_utf8(finish(recv, "rtp recv").stdout).unwrap();
        assert!(report.contains(&format!("{frames} frames")), "{report}");
        // ffmpeg's RTCP sender report reached us on port + 1.
        assert!(!report.contains("RTCP: 0 sender reports"), "{report}");
        let (w, h) = size
            .split_once('x')
            .map(|(w, h)| (w.parse().unwrap(), h.parse().unwrap()))
            .unwrap();
        let ours = ffmpeg_frames(&out, w, h, format);
        let theirs = ffmpeg_frames(&reference, w, h, format);
        assert_eq!(ours.len(), frames as usize, "{size} {pix_fmt}");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            // The same JPEG coefficients arrive: ffmpeg decodes them alike.
            assert_eq!(a, b, "{size} {pix_fmt} frame {i}");
        }
    }
}

#[test]
fn we_send_and_ffmpeg_receives_through_our_sdp() {
    let dir = temp_dir();
    let d = dir.path();
    let frames = 10u32;
    for (pix_fmt, format) in [
        ("yuvj420p", ChromaFormat::Yuv420),
        ("yuvj422p", ChromaFormat::Yuv422),
    ] {
        let (_, source) = ffmpeg_source(d, "320x240", pix_fmt, frames);
        let port = free_udp_port();
        let url = format!("rtp://127.0.0.1:{port}");
        let sdp = d.join(format!("stream-{pix_fmt}.sdp"));
        let status = tessera()
            .args(["rtp", "sdp", &url, "--output"])
            .arg(&sdp)
            .status()
            .unwrap();
        assert!(status.success());
        let raw = d.join(format!("ffmpeg-{pix_fmt}.raw"));
        let player = Command::new(ffmpeg())
            .args([
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-protocol_whitelist",
                "file,udp,rtp",
                "-i",
            ])
            .arg(&sdp)
            .args([
                "-frames:v",
                &frames.to_string(),
                "-f",
                "rawvideo",
                "-pix_fmt",
                pix_fmt,
            ])
            .arg(&raw)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(800));
        send(tessera(), &source, &url, &["--fps", "25"]);
        let got = finish(player, "ffmpeg receiving our stream");
        let errors = String::from_utf8_lossy(&got.stderr);
        assert!(
            errors.trim().is_empty(),
            "{pix_fmt}: ffmpeg reported: {errors}"
        );
        let received =
            tessera_testkit::split_rawvideo(&std::fs::read(&raw).unwrap(), 320, 240, format);
        let sent = ffmpeg_frames(&source, 320, 240, format);
        assert_eq!(received.len(), frames as usize, "{pix_fmt}");
        for (i, (a, b)) in received.iter().zip(&sent).enumerate() {
            assert_eq!(a, b, "{pix_fmt} frame {i}");
        }
    }
}

/// GStreamer raw I420 frames of `path` (a file gst wrote).
fn gst_frames(path: &Path, w: usize, h: usize) -> Vec<Frame> {
    tessera_testkit::split_rawvideo(&std::fs::read(path).unwrap(), w, h, ChromaFormat::Yuv420)
}

fn interrupt(child: &Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
}

#[test]
fn gstreamer_receives_from_us_and_sends_to_us() {
    let dir = temp_dir();
    let d = dir.path();
    let frames = 8u32;
    let (_, source) = ffmpeg_source(d, "320x240", "yuvj420p", frames);
    let sent = ffmpeg_frames(&source, 320, 240, ChromaFormat::Yuv420);

    // Us -> GStreamer.
    let port = free_udp_port();
    let raw = d.join("gst.raw");
    let gst = Command::new(gst_launch())
        .args([
            "-q",
            "-e",
            "udpsrc",
            &format!("port={port}"),
            "caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26",
            "!",
            "rtpjitterbuffer",
            "!",
            "rtpjpegdepay",
            "!",
            "jpegdec",
            "!",
            "video/x-raw,format=I420",
            "!",
            "filesink",
        ])
        .arg(format!("location={}", raw.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    send(tessera(), &source, &format!("rtp://127.0.0.1:{port}"), &[]);
    std::thread::sleep(Duration::from_millis(800));
    interrupt(&gst);
    finish(gst, "gst-launch receiving");
    let got = gst_frames(&raw, 320, 240);
    assert_eq!(got.len(), frames as usize, "GStreamer decoded every frame");
    for (i, (a, b)) in got.iter().zip(&sent).enumerate() {
        // libjpeg's IDCT against ffmpeg's: within a level or two.
        check_close(&format!("gst frame {i}"), a, b, 45.0, 8).unwrap();
    }

    // GStreamer -> us, 4:2:0 (I420) and 4:2:2 (Y42B).
    for (gst_format, format) in [
        ("I420", ChromaFormat::Yuv420),
        ("Y42B", ChromaFormat::Yuv422),
    ] {
        let port = free_udp_port();
        let out_file = d.join(format!("from-gst-{gst_format}.mjpeg"));
        let recv = start_recv(
            &format!("rtp://127.0.0.1:{port}"),
            &out_file,
            &["--frames", &frames.to_string(), "--duration", "20"],
        );
        let reference = d.join(format!("gst-src-{gst_format}.raw"));
        let caps = format!("video/x-raw,width=320,height=240,format={gst_format},framerate=25/1");
        let sender = Command::new(gst_launch())
            .args([
                "-q",
                "videotestsrc",
                &format!("num-buffers={frames}"),
                "pattern=smpte",
                "!",
                &caps,
                "!",
                "tee",
                "name=t",
                "t.",
                "!",
                "queue",
                "!",
                "jpegenc",
                "quality=90",
                "!",
                "rtpjpegpay",
                "!",
                "udpsink",
                "host=127.0.0.1",
                &format!("port={port}"),
                "sync=true",
                "t.",
                "!",
                "queue",
                "!",
                "filesink",
            ])
            .arg(format!("location={}", reference.display()))
            .output()
            .unwrap();
        assert!(
            sender.status.success(),
            "{}",
            String::from_utf8_lossy(&sender.stderr)
        );
        let report = String::from_utf8(finish(recv, "rtp recv from GStreamer").stdout).unwrap();
        assert!(report.contains(&format!("{frames} frames")), "{report}");
        let ours = ffmpeg_frames(&out_file, 320, 240, format);
        let original =
            tessera_testkit::split_rawvideo(&std::fs::read(&reference).unwrap(), 320, 240, format);
        assert_eq!(ours.len(), frames as usize, "{gst_format}");
        for (i, (a, b)) in ours.iter().zip(&original).enumerate() {
            let p = psnr(&a.to_planar_bytes(), &b.to_planar_bytes());
            assert!(
                p > 30.0,
                "{gst_format} frame {i}: {p:.1} dB against what GStreamer encoded"
            );
        }
    }
}

#[test]
fn a_bad_network_drops_whole_frames_and_keeps_order() {
    let dir = temp_dir();
    let d = dir.path();
    let frames = 40u32;
    let (_, source) = ffmpeg_source(d, "320x240", "yuvj420p", frames);
    let sent = ffmpeg_frames(&source, 320, 240, ChromaFormat::Yuv420);
    let port = free_udp_port();
    let out = d.join("shim.mjpeg");
    let recv = start_recv(
        &format!("rtp://127.0.0.1:{port}"),
        &out,
        &[
            "--duration",
            "6",
            "--latency-ms",
            "100",
            "--simulate",
            "loss=0.02,reorder=0.1,duplicate=0.05,delay=20,seed=3",
        ],
    );
    send(
        tessera(),
        &source,
        &format!("rtp://127.0.0.1:{port}"),
        &["--max-packet", "600"],
    );
    let report = String::from_utf8(finish(recv, "rtp recv with a shim").stdout).unwrap();
    let got = ffmpeg_frames(&out, 320, 240, ChromaFormat::Yuv420);
    assert!(
        !got.is_empty() && got.len() < frames as usize,
        "{} frames: {report}",
        got.len()
    );
    // Every frame that came out is one of the sent frames, intact, in order.
    let mut last = None;
    for (i, f) in got.iter().enumerate() {
        let index = sent
            .iter()
            .position(|s| s == f)
            .unwrap_or_else(|| panic!("frame {i} is not a sent frame intact"));
        assert!(last.is_none_or(|l| index > l), "frame {i} out of order");
        last = Some(index);
    }
    let dropped: u64 = report
        .split("frames dropped ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("report counts dropped frames");
    assert_eq!(got.len() as u64 + dropped, u64::from(frames), "{report}");
    assert!(report.contains("simulated network: dropped"), "{report}");
}

/// Runs `args` inside network namespace `ns`.
fn in_ns(ns: &str, program: &Path) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).arg(program);
    c
}

struct Namespaces(Vec<String>, String);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.1]).status();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn multicast_reaches_two_namespaces() {
    if !tessera_testkit::is_root() {
        eprintln!(
            "SKIPPED multicast_reaches_two_namespaces: creating network namespaces needs root (CI runs as root)"
        );
        return;
    }
    let dir = temp_dir();
    let d = dir.path();
    let frames = 6u32;
    let (_, source) = ffmpeg_source(d, "320x240", "yuvj420p", frames);
    let tag = format!("{}", std::process::id() % 100_000);
    let bridge = format!("tsbr{tag}");
    let names: Vec<String> = (0..3).map(|i| format!("tess{tag}n{i}")).collect();
    let _cleanup = Namespaces(names.clone(), bridge.clone());
    ip(&["link", "add", &bridge, "type", "bridge"]);
    ip(&["link", "set", &bridge, "up"]);
    for (i, ns) in names.iter().enumerate() {
        let (outer, inner) = (format!("tsv{tag}o{i}"), format!("tsv{tag}i{i}"));
        ip(&["netns", "add", ns]);
        ip(&[
            "link", "add", &outer, "type", "veth", "peer", "name", &inner,
        ]);
        ip(&["link", "set", &inner, "netns", ns]);
        ip(&["link", "set", &outer, "master", &bridge]);
        ip(&["link", "set", &outer, "up"]);
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("10.201.0.{}/24", i + 1),
            "dev",
            &inner,
        ]);
        ip(&["-n", ns, "link", "set", &inner, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    let group = "rtp://239.255.7.7:5004";
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_tessera"));
    let receivers: Vec<(Child, PathBuf)> = (1..3)
        .map(|i| {
            let out = d.join(format!("mc{i}.mjpeg"));
            let child = in_ns(&names[i], &exe)
                .args([
                    "rtp",
                    "recv",
                    &format!("{group}?iface=tsv{tag}i{i}"),
                    "--output",
                ])
                .arg(&out)
                .args(["--frames", &frames.to_string(), "--duration", "20"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (bound(child), out)
        })
        .collect();
    send(
        in_ns(&names[0], &exe),
        &source,
        &format!("{group}?iface=tsv{tag}i0&ttl=2"),
        &[],
    );
    let sent = ffmpeg_frames(&source, 320, 240, ChromaFormat::Yuv420);
    let start = Instant::now();
    for (child, out) in receivers {
        finish(child, "multicast receiver");
        let got = ffmpeg_frames(&out, 320, 240, ChromaFormat::Yuv420);
        assert_eq!(got, sent, "{}", out.display());
    }
    assert!(start.elapsed() < Duration::from_secs(25));
}

#[test]
fn ctrl_c_stops_cleanly_and_finishes_the_file() {
    let dir = temp_dir();
    let d = dir.path();
    let frames = 5u32;
    let (_, source) = ffmpeg_source(d, "176x144", "yuvj420p", frames);
    let port = free_udp_port();
    let avi = d.join("interrupted.avi");
    // No frame or duration limit: only the signal ends it.
    let recv = start_recv(&format!("rtp://127.0.0.1:{port}"), &avi, &[]);
    send(tessera(), &source, &format!("rtp://127.0.0.1:{port}"), &[]);
    std::thread::sleep(Duration::from_millis(600));
    interrupt(&recv);
    let report = String::from_utf8(finish(recv, "interrupted rtp recv").stdout).unwrap();
    assert!(report.contains(&format!("{frames} frames")), "{report}");
    // The AVI was finished: headers and index say 5 frames, ffmpeg reads them.
    let got = ffmpeg_frames(&avi, 176, 144, ChromaFormat::Yuv420);
    assert_eq!(got, ffmpeg_frames(&source, 176, 144, ChromaFormat::Yuv420));
}

#[test]
fn bad_addresses_and_sdp_files_give_one_error_line() {
    let dir = temp_dir();
    let d = dir.path();
    let audio = tessera_testkit::write_file(
        d,
        "audio.sdp",
        b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    );
    let out = d.join("x.mjpeg");
    for (args, needle) in [
        (
            vec!["rtp", "recv", "rtp://host.invalid:5004"],
            "HOST must be an IP address",
        ),
        (vec!["rtp", "recv", "rtp://127.0.0.1:5004?ttl=900"], "ttl"),
        (
            vec!["rtp", "recv", "no-such-file.sdp"],
            "neither an rtp:// URL",
        ),
        (vec!["rtp", "recv", audio.to_str().unwrap()], "audio.sdp"),
    ] {
        let output = tessera()
            .args(&args)
            .arg("--output")
            .arg(&out)
            .arg("--duration")
            .arg("1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("receiving on"))
            .collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].contains(needle), "{args:?}: {stderr}");
    }
}
