//! `tessera fx` as a process: running effects on ffmpeg-made files under
//! every mode, live parameter changes from stdin, printed graphs, and the
//! errors users see.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tessera_testkit::{ffmpeg_lavfi, ffprobe_size_and_frames, run_ffmpeg_warnings, temp_dir};

mod common;
use common::{failure as fails, ok, tessera};

fn effect(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Two 320x240 clips from ffmpeg: `a` at 25 fps, `b` at 50 fps.
fn clips(dir: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("a.avi");
    let b = dir.join("b.avi");
    let mjpeg = ["-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-q:v", "3"];
    ffmpeg_lavfi("testsrc2=size=320x240:rate=25", 12, &mjpeg, &a);
    ffmpeg_lavfi("mandelbrot=size=320x240:rate=50", 24, &mjpeg, &b);
    (a, b)
}

const DISSOLVE: &str = "input a, b;\nparam mix = 0.3 in 0..1;\noutput dissolve(a, b, mix);\n";

fn input(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

fn frame_count(path: &Path) -> String {
    ffprobe_size_and_frames(path)
}

#[test]
fn every_mode_writes_the_same_file_and_ffmpeg_reads_it() {
    let dir = temp_dir();
    let (a, b) = clips(dir.path());
    let fx = effect(dir.path(), "dissolve.fx", DISSOLVE);
    let (ia, ib) = (input("a", &a), input("b", &b));
    let mut files = Vec::new();
    for (mode, n) in [
        ("temporal", "1"),
        ("temporal", "3"),
        ("spatial", "4"),
        ("hybrid", "4"),
        ("auto", "2"),
    ] {
        let out = dir.path().join(format!("out-{mode}-{n}.avi"));
        let summary = ok(&[
            "fx",
            "run",
            &fx,
            "--input",
            &ia,
            "--input",
            &ib,
            "--output",
            out.to_str().unwrap(),
            "--processors",
            n,
            "--mode",
            mode,
            "--set",
            "mix=0.6",
        ]);
        assert!(summary.contains("12 frames ->"), "{summary}");
        assert!(summary.contains("latency p50"), "{summary}");
        assert!(summary.contains("set mix = 0.6 from frame 0"), "{summary}");
        assert_eq!(
            summary.matches("\nprocessor ").count(),
            n.parse::<usize>().unwrap(),
            "{summary}"
        );
        files.push(std::fs::read(&out).unwrap());
        if files.len() == 1 {
            assert_eq!(frame_count(&out), "320,240,12");
            // ffmpeg decodes every frame without a warning.
            let warnings = run_ffmpeg_warnings(
                ["-i", out.to_str().unwrap(), "-f", "null", "-"].map(std::ffi::OsStr::new),
            );
            assert!(warnings.trim().is_empty(), "{warnings}");
        }
    }
    assert!(files.windows(2).all(|w| w[0] == w[1]), "modes disagree");
    // Y4M and raw Motion-JPEG outputs too.
    for ext in ["y4m", "mjpeg"] {
        let out = dir.path().join(format!("out.{ext}"));
        ok(&[
            "fx",
            "run",
            &fx,
            "--input",
            &ia,
            "--input",
            &ib,
            "--output",
            out.to_str().unwrap(),
            "--processors",
            "2",
        ]);
        assert!(std::fs::metadata(&out).unwrap().len() > 0);
    }
}

#[test]
fn stdin_changes_a_parameter_while_running() {
    let dir = temp_dir();
    let (a, b) = clips(dir.path());
    let fx = effect(dir.path(), "dissolve.fx", DISSOLVE);
    let (ia, ib) = (input("a", &a), input("b", &b));
    let plain = dir.path().join("plain.mjpeg");
    ok(&[
        "fx",
        "run",
        &fx,
        "--input",
        &ia,
        "--input",
        &ib,
        "--output",
        plain.to_str().unwrap(),
        "--processors",
        "2",
    ]);
    let live = dir.path().join("live.mjpeg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "fx",
            "run",
            &fx,
            "--input",
            &ia,
            "--input",
            &ib,
            "--output",
            live.to_str().unwrap(),
            "--processors",
            "2",
            "--mode",
            "spatial",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"set mix=1 @6\nset nope=1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The change lands at frame 6, or later if the run had passed it.
    let from: u64 = stdout
        .split("set mix = 1 from frame ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no change reported: {stdout}"));
    assert!(from >= 6, "{stdout}");
    assert!(stderr.contains("no parameter `nope`"), "{stderr}");
    if from < 12 {
        assert_ne!(
            std::fs::read(&plain).unwrap(),
            std::fs::read(&live).unwrap()
        );
    }
}

#[test]
fn graph_prints_text_and_dot() {
    let dir = temp_dir();
    let fx = effect(
        dir.path(),
        "pip.fx",
        "input a, b;\noutput pip(title(dissolve(a, b, 0.5), text: \"hi\"), b, 10, 10, border: 2);\n",
    );
    let dot = dir.path().join("g.dot");
    let text = ok(&["fx", "graph", &fx, "--dot", dot.to_str().unwrap()]);
    assert!(text.contains("mix(") && text.contains("[dct"), "{text}");
    assert!(text.contains("warp(") && text.contains("pass "), "{text}");
    let dot = std::fs::read_to_string(dot).unwrap();
    assert!(
        dot.starts_with("digraph") && dot.contains("subgraph cluster_"),
        "{dot}"
    );
}

#[test]
fn bad_effects_and_arguments_give_clear_errors() {
    let dir = temp_dir();
    let (a, b) = clips(dir.path());
    let (ia, ib) = (input("a", &a), input("b", &b));
    let out = dir.path().join("out.avi");
    let out = out.to_str().unwrap();
    // A located error with a caret under the fault.
    let bad = effect(
        dir.path(),
        "bad.fx",
        "input a, b;\noutput disolve(a, b, 0.5);\n",
    );
    let err = fails(&[
        "fx", "run", &bad, "--input", &ia, "--input", &ib, "--output", out,
    ]);
    assert!(
        err.contains("line 2, column 8") && err.contains("did you mean `dissolve`"),
        "{err}"
    );
    assert!(err.contains("  |        ^^^^^^^"), "{err}");
    let err = fails(&["fx", "graph", &bad]);
    assert!(err.contains("line 2, column 8"), "{err}");
    let range = effect(
        dir.path(),
        "range.fx",
        "input a;\noutput chromakey(a, tolerance: 1.5);\n",
    );
    let err = fails(&["fx", "graph", &range]);
    assert!(err.contains("line 2") && err.contains("0..1"), "{err}");
    let fx = effect(dir.path(), "dissolve.fx", DISSOLVE);
    let cases: [(&[&str], &str); 7] = [
        (&["--input", &ia, "--input", "c=x.avi"], "no input `c`"),
        (&["--input", &ia], "no --input b=SOURCE"),
        (
            &["--input", &ia, "--input", &ib, "--set", "mix=2"],
            "outside its range",
        ),
        (
            &["--input", &ia, "--input", &ib, "--set", "speed=2"],
            "no parameter `speed`",
        ),
        (
            &["--input", &ia, "--input", "b=/nonexistent/b.avi"],
            "cannot open",
        ),
        (
            &["--input", &ia, "--input", &ib, "--mode", "sideways"],
            "unknown mode",
        ),
        (
            &[
                "--input",
                &ia,
                "--input",
                &ib,
                "--mode",
                "hybrid:3",
                "--processors",
                "4",
            ],
            "equal groups",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["fx", "run", &fx, "--output", out];
        full.extend_from_slice(args);
        let err = if needle == "unknown mode" {
            // clap's own error (exit code 2).
            let o = tessera(&full);
            assert_eq!(o.status.code(), Some(2));
            String::from_utf8_lossy(&o.stderr).into_owned()
        } else {
            fails(&full)
        };
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    }
    // Garbage that claims to be a video.
    let junk = dir.path().join("junk.avi");
    std::fs::write(&junk, b"RIFF\x10\x00\x00\x00AVI LIST garbage").unwrap();
    let err = fails(&[
        "fx",
        "run",
        &fx,
        "--output",
        out,
        "--input",
        &ia,
        "--input",
        &input("b", &junk),
    ]);
    assert!(err.contains("junk.avi"), "{err}");
}

/// Real RTP at both edges: `tessera rtp send` -> `fx run` (RTP in, RTP
/// out) -> `tessera rtp recv`, all on loopback.
#[test]
fn rtp_in_and_out() {
    use std::io::{BufRead, BufReader};
    let dir = temp_dir();
    let (a, _) = clips(dir.path());
    let fx = effect(
        dir.path(),
        "fade.fx",
        "input a;\noutput fade(a, 0.5, color: #204080);\n",
    );
    let (p_in, p_out) = (
        tessera_testkit::free_udp_port(),
        tessera_testkit::free_udp_port(),
    );
    let (url_in, url_out) = (
        format!("rtp://127.0.0.1:{p_in}"),
        format!("rtp://127.0.0.1:{p_out}"),
    );
    let got = dir.path().join("got.avi");
    let spawn_bound = |args: &[&str], ready: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.contains(ready), "did not start: {line}");
        let drain = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
            rest
        });
        (child, drain)
    };
    let (recv, recv_err) = spawn_bound(
        &[
            "rtp",
            "recv",
            &url_out,
            "--output",
            got.to_str().unwrap(),
            "--duration",
            "6",
            "--fps",
            "25",
        ],
        "receiving on",
    );
    let (run, run_err) = spawn_bound(
        &[
            "fx",
            "run",
            &fx,
            "--input",
            &format!("a={url_in}"),
            "--output",
            &url_out,
            "--processors",
            "2",
            "--duration",
            "4",
            "--no-stdin",
        ],
        "receiving on",
    );
    let sent = ok(&["rtp", "send", a.to_str().unwrap(), &url_in]);
    assert!(sent.contains("12 frames"), "{sent}");
    let run = run.wait_with_output().unwrap();
    let run_err = run_err.join().unwrap();
    assert!(run.status.success(), "{run_err}");
    let summary = String::from_utf8_lossy(&run.stdout);
    let frames: u64 = summary.split_whitespace().next().unwrap().parse().unwrap();
    // The jitter buffer may hold back the last frame; the first is never lost.
    assert!((10..=12).contains(&frames), "{summary}\n{run_err}");
    let recv = recv.wait_with_output().unwrap();
    let recv_err = recv_err.join().unwrap();
    assert!(recv.status.success(), "{recv_err}");
    let counted = frame_count(&got);
    let n: u64 = counted.rsplit(',').next().unwrap().parse().unwrap();
    assert!(
        counted.starts_with("320,240,") && n + 1 >= frames,
        "{counted} of {frames}"
    );
}
