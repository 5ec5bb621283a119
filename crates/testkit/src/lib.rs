//! Helpers shared by tessera's integration tests and benchmarks.
//!
//! Tests that compare against ffmpeg call [`ffmpeg`], which fails the test
//! with a clear message when the tool is missing: `scripts/test` installs it,
//! and a test that cannot run its peer must not pass silently.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tessera_core::{Frame, Plane};

pub use tempfile::TempDir;

/// Locates a program on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn require(program: &str) -> PathBuf {
    which(program).unwrap_or_else(|| {
        panic!(
            "{program} is not installed; run `scripts/test` (it installs ffmpeg with apt) \
             or `apt-get install ffmpeg`"
        )
    })
}

/// Path of `ffmpeg`; panics with an install hint when missing.
pub fn ffmpeg() -> PathBuf {
    require("ffmpeg")
}

/// Path of `ffprobe`; panics with an install hint when missing.
pub fn ffprobe() -> PathBuf {
    require("ffprobe")
}

/// Path of libjpeg-turbo's `cjpeg` (an independent JPEG encoder able to
/// write 4:4:0, 4:1:1 and greyscale files, which ffmpeg's encoder cannot).
pub fn cjpeg() -> PathBuf {
    which("cjpeg").unwrap_or_else(|| {
        panic!(
            "cjpeg is not installed; run `scripts/test` (it installs libjpeg-turbo-progs with apt) \
             or `apt-get install libjpeg-turbo-progs`"
        )
    })
}

/// Path of Wireshark's `tshark`, the independent reader of our captures.
pub fn tshark() -> PathBuf {
    which("tshark").unwrap_or_else(|| {
        panic!("tshark is not installed; run `scripts/test` (it installs tshark with apt) or `apt-get install tshark`")
    })
}

/// Path of GStreamer's `gst-launch-1.0`, the second independent RTP peer.
pub fn gst_launch() -> PathBuf {
    which("gst-launch-1.0").unwrap_or_else(|| {
        panic!(
            "gst-launch-1.0 is not installed; run `scripts/test` (it installs gstreamer1.0-tools \
             and the base and good plugins with apt)"
        )
    })
}

/// Whether the tests run as root (network namespaces need it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A free UDP port on loopback (bound and released; good enough for tests
/// that bind it again at once).
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind a probe socket")
        .port()
}

/// `WIDTH,HEIGHT,FRAMES` of the first video stream of `path`, as ffprobe
/// counts them by decoding every frame.
pub fn ffprobe_size_and_frames(path: &Path) -> String {
    let probe = run_tool(
        &ffprobe(),
        [
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,nb_read_frames",
            "-of",
            "csv=p=0",
        ]
        .map(std::ffi::OsStr::new)
        .into_iter()
        .chain([path.as_os_str()]),
    );
    String::from_utf8_lossy(&probe.stdout).trim().to_string()
}

/// Runs a program, panicking with its stderr on failure.
pub fn run_tool<I, S>(program: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    let out = cmd.output().expect("spawn tool");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs ffmpeg at `loglevel` with `args`, panicking with its stderr on
/// failure.
fn ffmpeg_at<I, S>(loglevel: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let common = ["-hide_banner", "-nostdin", "-loglevel", loglevel, "-y"];
    let args: Vec<std::ffi::OsString> = common
        .iter()
        .map(|s| s.into())
        .chain(args.into_iter().map(|s| s.as_ref().to_owned()))
        .collect();
    run_tool(&ffmpeg(), args)
}

/// Runs ffmpeg quietly with `args`, panicking with its stderr on failure.
pub fn run_ffmpeg<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    ffmpeg_at("error", args)
}

/// Makes `frames` frames of the lavfi source `source` with ffmpeg:
/// `-f lavfi -i SOURCE -frames:v FRAMES ARGS... OUTPUT` (the test inputs
/// that every interop test starts from).
pub fn ffmpeg_lavfi(source: &str, frames: u32, args: &[&str], output: &Path) {
    let frames = frames.to_string();
    let head = ["-f", "lavfi", "-i", source, "-frames:v", &frames];
    run_ffmpeg(
        head.iter()
            .chain(args)
            .map(std::ffi::OsStr::new)
            .chain([output.as_os_str()]),
    );
}

/// Runs ffmpeg with `args` at `-loglevel warning` and returns its stderr,
/// so a test can assert that decoding produced no warnings.
pub fn run_ffmpeg_warnings<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    String::from_utf8_lossy(&ffmpeg_at("warning", args).stderr).into_owned()
}

/// ffmpeg's decode of every frame of `input` as raw planes in `pix_fmt`
/// (written next to the input with the extension `ffraw`).
pub fn ffmpeg_raw(input: &Path, pix_fmt: &str) -> Vec<u8> {
    let raw = input.with_extension("ffraw");
    // Raw Motion-JPEG has no magic number and ffmpeg's format probe can
    // mistake it for H.263 on some content: name the format.
    let format: &[&str] = match input.extension().and_then(|e| e.to_str()) {
        Some("mjpeg") => &["-f", "mjpeg"],
        _ => &[],
    };
    run_ffmpeg(format.iter().map(std::ffi::OsStr::new).chain([
        "-i".as_ref(),
        input.as_os_str(),
        "-f".as_ref(),
        "rawvideo".as_ref(),
        "-pix_fmt".as_ref(),
        std::ffi::OsStr::new(pix_fmt),
        raw.as_os_str(),
    ]));
    std::fs::read(&raw).expect("read ffmpeg's raw output")
}

/// ffmpeg's decode of every frame of `input` in the full-range planar
/// layout of `format`.
pub fn ffmpeg_frames(
    input: &Path,
    width: usize,
    height: usize,
    format: tessera_core::ChromaFormat,
) -> Vec<Frame> {
    split_rawvideo(
        &ffmpeg_raw(input, format.ffmpeg_pix_fmt()),
        width,
        height,
        format,
    )
}

/// Runs ffmpeg with `-benchmark` and returns the CPU seconds (user +
/// system) it reports for itself: the peer's figure in speed comparisons.
pub fn ffmpeg_cpu_seconds<I, S>(args: I) -> f64
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(ffmpeg())
        .args(["-hide_banner", "-nostdin", "-benchmark", "-y"])
        .args(args)
        .output()
        .expect("spawn ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffmpeg failed: {log}");
    let field = |key: &str| -> f64 {
        let line = log
            .lines()
            .rev()
            .find(|l| l.starts_with("bench:") && l.contains(key))
            .unwrap_or_else(|| panic!("no `bench: {key}` line in ffmpeg's output:\n{log}"));
        let value = &line[line.find(key).expect("key") + key.len()..];
        value
            .split('s')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number of seconds")
    };
    field("utime=") + field("stime=")
}

/// A fresh temporary folder, removed when dropped.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("tessera-test-")
        .tempdir()
        .expect("create temporary folder")
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Mean squared error and PSNR (dB, capped at 99 for identical inputs).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "psnr: length mismatch");
    if a.is_empty() {
        return 99.0;
    }
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i64::from(x) - i64::from(y);
            (d * d) as u64
        })
        .sum();
    if sse == 0 {
        return 99.0;
    }
    let mse = sse as f64 / a.len() as f64;
    (10.0 * (255.0 * 255.0 / mse).log10()).min(99.0)
}

/// Largest absolute difference between two sample slices.
pub fn max_abs_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len(), "max_abs_diff: length mismatch");
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap_or(0)
}

/// PSNR of two planes of equal size.
pub fn plane_psnr(a: &Plane, b: &Plane) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height), "plane size");
    psnr(&a.to_packed(), &b.to_packed())
}

/// Per-plane `(psnr, max_abs_diff)` of two frames of equal geometry.
pub fn compare_frames(a: &Frame, b: &Frame) -> Vec<(f64, u8)> {
    assert_eq!(
        (a.width, a.height, a.format),
        (b.width, b.height, b.format),
        "frame geometry"
    );
    a.planes
        .iter()
        .zip(&b.planes)
        .map(|(p, q)| {
            let (x, y) = (p.to_packed(), q.to_packed());
            (psnr(&x, &y), max_abs_diff(&x, &y))
        })
        .collect()
}

/// Splits ffmpeg `-f rawvideo` output of `count` frames into frames.
pub fn split_rawvideo(
    data: &[u8],
    width: usize,
    height: usize,
    format: tessera_core::ChromaFormat,
) -> Vec<Frame> {
    let size = format.frame_bytes(width, height);
    assert!(
        size > 0 && data.len().is_multiple_of(size),
        "rawvideo length {} is not a multiple of the frame size {size}",
        data.len()
    );
    data.chunks(size)
        .map(|chunk| Frame::from_planar_bytes(width, height, format, chunk).expect("frame size"))
        .collect()
}

/// Writes a plane as a binary PGM (for looking at a failed comparison).
pub fn write_pgm(path: &Path, plane: &Plane) {
    let mut bytes = format!("P5\n{} {}\n255\n", plane.width, plane.height).into_bytes();
    bytes.extend_from_slice(&plane.to_packed());
    std::fs::write(path, bytes).expect("write PGM");
}

/// Compares two frames plane by plane against PSNR and max-difference
/// bounds; on failure writes both as PGM files under [`artifact_dir`] and
/// returns a description.
pub fn check_close(
    label: &str,
    ours: &Frame,
    reference: &Frame,
    min_psnr: f64,
    max_diff: u8,
) -> Result<(), String> {
    let stats = compare_frames(ours, reference);
    let bad = stats.iter().any(|&(p, d)| p < min_psnr || d > max_diff);
    if !bad {
        return Ok(());
    }
    let dir = artifact_dir();
    let stem: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    for (i, (a, b)) in ours.planes.iter().zip(&reference.planes).enumerate() {
        write_pgm(&dir.join(format!("{stem}-plane{i}-ours.pgm")), a);
        write_pgm(&dir.join(format!("{stem}-plane{i}-reference.pgm")), b);
    }
    Err(format!(
        "{label}: per-plane (PSNR dB, max diff) {stats:?} below {min_psnr} dB / above {max_diff}; images in {}",
        dir.display()
    ))
}

/// Directory for test artefacts that help when a test fails (diff images);
/// `target/test-artifacts` under the workspace.
pub fn artifact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-artifacts")
        .to_path_buf();
    std::fs::create_dir_all(&dir).expect("create artifact folder");
    dir
}

/// `(file name, bytes)` of every `*.EXTENSION` file in `dir` whose name
/// starts with `prefix`, sorted by name; panics if there is none (a
/// regression suite that finds nothing must not pass silently).
pub fn regression_inputs(dir: &Path, extension: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("readable input"))
        })
        .filter(|(name, _)| name.starts_with(prefix))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no {prefix}*.{extension} inputs in {}",
        dir.display()
    );
    files
}

/// Collects the datagrams a sending ffmpeg (`child`, started with its stderr
/// piped) delivers to `socket`, which must have a short read timeout, until
/// ffmpeg has exited and the socket is quiet, or `limit` passes (then
/// ffmpeg is killed). Panics with ffmpeg's stderr if it failed. Returns
/// each datagram with its arrival time since the call.
pub fn receive_from_ffmpeg(
    socket: &std::net::UdpSocket,
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> Vec<(std::time::Duration, Vec<u8>)> {
    let start = std::time::Instant::now();
    let mut packets = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut exited = false;
    while start.elapsed() < limit {
        match socket.recv(&mut buf) {
            Ok(n) => packets.push((start.elapsed(), buf[..n].to_vec())),
            Err(_) if exited => break,
            Err(_) => {}
        }
        if !exited && child.try_wait().expect("ffmpeg's status").is_some() {
            exited = true;
        }
    }
    if !exited {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("ffmpeg's output");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    packets
}

/// Waits (at most 10 s, then panics) until something has bound UDP `port`
/// on loopback: a receiving ffmpeg is listening and packets can be sent.
pub fn wait_udp_port_taken(port: u16) {
    let start = std::time::Instant::now();
    while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "nothing ever listened on UDP port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Starts an ffmpeg that receives the RTP stream an SDP file describes
/// (warnings and errors on its piped stderr, probing briefly so decoding
/// starts while the test sends) and writes what `output` says (its output
/// options and file), then waits until it listens on `port`.
pub fn ffmpeg_receiving<I, S>(sdp: &Path, port: u16, output: I) -> std::process::Child
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let child = Command::new(ffmpeg())
        .args(["-hide_banner", "-nostdin", "-loglevel", "warning", "-y"])
        .args([
            "-protocol_whitelist",
            "file,udp,rtp",
            "-analyzeduration",
            "100000",
            "-i",
        ])
        .arg(sdp)
        .args(output)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ffmpeg");
    wait_udp_port_taken(port);
    std::thread::sleep(std::time::Duration::from_millis(200));
    child
}

/// A small deterministic generator for test data (xorshift64*); seed it
/// with any non-zero value.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (0 for n = 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}
