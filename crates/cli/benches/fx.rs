//! Effects against ffmpeg: `tessera fx run` and the equivalent ffmpeg
//! filter chain on the same 1920x1080 4:2:0 Motion-JPEG inputs, in the
//! same run, plus tessera's per-frame latency in spatial and temporal mode.
//!
//! ```text
//! scripts/fx-bench                        # builds, runs, prints the tables
//! cargo bench -p tessera-cli --bench fx   # the same, without the wrapper
//! ```
//!
//! **Inputs.** ffmpeg makes them at the start of the run, `-q:v 3` MJPEG in
//! AVI at 25 frames/s with the standard (Annex K) Huffman tables
//! (`-huffman default`), as RTP/JPEG (the system's real input) always
//! carries: `testsrc2` (a), `smptehdbars` with grain (b) and a green-screen
//! clip (a moving `testsrc2` card on noisy green) for the chroma key.
//!
//! **Throughput.** Each effect runs whole, file to file in a tmpfs folder:
//! tessera through [`tessera_cli::fx::run`] (the code behind `tessera fx
//! run`; temporal mode, one processor per core, output quality 85) and
//! ffmpeg through each listed filter chain (decode MJPEG, filter, encode
//! MJPEG `-q:v 3 -huffman default`; default threading, and once more with
//! `-threads 1 -filter_threads 1 -filter_complex_threads 1`). Each is the
//! best wall time of `FX_BENCH_REPS` runs (3), the systems' runs
//! interleaved so that load from elsewhere hits both alike; frames/s is
//! frames over that wall time, process start-up included. CPU time is
//! reported beside it: ffmpeg's own `-benchmark` user + system time, and
//! for tessera the process's user + system time (`/proc/self/stat`, 100 Hz
//! ticks). Where an effect has two ffmpeg chains the faster is the
//! reference.
//!
//! **Latency.** For dissolve and pip, the effect runs on
//! [`tessera_cluster::Engine`] directly, in spatial and temporal mode on 1,
//! 2 and 4 processors, fed two ways: *paced*, one frame every 40 ms (the
//! inputs' real rate), each frame stamped with its due time, so waiting for
//! a full window counts; and *one in flight*, the next frame submitted only
//! when the previous one is back (pure service time, no queueing). The
//! engine's window (2 frames per processor, at least 4) bounds the frames
//! in flight: when the engine cannot keep up with the paced feed, `submit`
//! blocks, the feed falls behind its schedule and the latency grows with
//! the run; such rows are marked `saturated`. Latency runs from the frame's
//! arrival to its JPEG coming back from the reconstructor; the feed polls
//! for output every 0.5 ms while it waits. Each latency run is the first
//! 50 frames of the clips, and the row is the run with the lowest median
//! of `FX_BENCH_REPS`, spatial and temporal runs alternating. With one
//! processor both modes map alike, so their difference there shows the
//! noise of the machine.
//!
//! `FX_BENCH_FRAMES` (75) sets the clip length, `FX_BENCH_QUICK=1` makes a
//! short run (25 frames, one repetition, no single-thread ffmpeg, no
//! 4-processor latency), `FX_BENCH_REPS` the repetitions,
//! `FX_BENCH_PROCESSORS` and `FX_BENCH_MODE` tessera's throughput setup,
//! `FX_BENCH_EFFECTS` (comma-separated names) a subset of the effects.
//! A full run of every effect writes `docs/fx-bench.csv` (or `FX_BENCH_CSV`);
//! `docs/performance.md` records one run. Run without `--bench` (as
//! `cargo test --benches` does) everything runs once on a few frames as a
//! smoke test and nothing is written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_cli::fx::{RunOptions, load_effect};
use tessera_cli::media::{Input, Picture};
use tessera_cluster::{Engine, EngineConfig};
use tessera_core::{Limits, Rational};
use tessera_fx::mapper::Mode;
use tessera_runtime::AlignedFrame;
use tessera_sc::FrameGeometry;

const RATE: u32 = 25;
/// tessera's output quality (the CLI's default) and ffmpeg's `-q:v`: about
/// the same bytes per frame (the table shows both).
const QUALITY: u8 = 85;
const FFMPEG_Q: &str = "3";
const LATENCY_EFFECTS: [&str; 2] = ["dissolve", "pip"];
const POLL: Duration = Duration::from_micros(500);
/// Frames per latency run, at most (2 s at 25 frames/s).
const LATENCY_FRAMES: u32 = 50;

struct Config {
    frames: u32,
    reps: usize,
    processors: usize,
    mode: Mode,
    single_thread_ffmpeg: bool,
    latency_processors: Vec<usize>,
    csv: Option<PathBuf>,
    /// Effects to run (`FX_BENCH_EFFECTS`, comma-separated); all when empty.
    only: Vec<String>,
}

impl Config {
    fn from_env() -> Config {
        let bench = std::env::args().any(|a| a == "--bench");
        let quick = std::env::var("FX_BENCH_QUICK").is_ok_and(|v| v == "1") || !bench;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: usize| {
            env(name).map_or(default, |v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
            })
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let frames = number(
            "FX_BENCH_FRAMES",
            if !bench {
                6
            } else if quick {
                25
            } else {
                75
            },
        );
        let only: Vec<String> = env("FX_BENCH_EFFECTS")
            .map(|v| v.split(',').map(|e| e.trim().to_string()).collect())
            .unwrap_or_default();
        let csv = env("FX_BENCH_CSV").map(PathBuf::from).or_else(|| {
            (bench && !quick && only.is_empty())
                .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/fx-bench.csv"))
        });
        Config {
            frames: u32::try_from(frames.max(2)).expect("FX_BENCH_FRAMES fits in u32"),
            reps: number("FX_BENCH_REPS", if quick { 1 } else { 3 }).max(1),
            processors: number("FX_BENCH_PROCESSORS", cores).max(1),
            mode: env("FX_BENCH_MODE").map_or(Mode::Temporal, |m| {
                m.parse().unwrap_or_else(|e| panic!("FX_BENCH_MODE: {e}"))
            }),
            single_thread_ffmpeg: !quick,
            latency_processors: if quick { vec![1, 2] } else { vec![1, 2, 4] },
            csv,
            only,
        }
    }

    fn seconds(&self) -> f64 {
        f64::from(self.frames) / f64::from(RATE)
    }
}

/// A folder under /dev/shm (tmpfs) when there is one, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("tessera-fx-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The three input clips.
struct Clips {
    a: PathBuf,
    b: PathBuf,
    green: PathBuf,
}

/// ffmpeg output options for `frames` frames of Motion-JPEG at the
/// benchmark's quantiser with the standard Huffman tables (as RTP/JPEG
/// carries), for the input clips and the peer's runs alike.
fn mjpeg_output(frames: &str) -> [&str; 10] {
    [
        "-frames:v",
        frames,
        "-pix_fmt",
        "yuvj420p",
        "-c:v",
        "mjpeg",
        "-q:v",
        FFMPEG_Q,
        "-huffman",
        "default",
    ]
}

fn make_clips(dir: &Path, frames: u32) -> Clips {
    let frames = frames.to_string();
    let encode = mjpeg_output(&frames);
    let make = |name: &str, head: &[&str]| -> PathBuf {
        let path = dir.join(name);
        let args: Vec<&str> = head
            .iter()
            .chain(&encode)
            .copied()
            .chain([path_str(&path)])
            .collect();
        tessera_testkit::run_ffmpeg(args);
        path
    };
    let a = make(
        "a.avi",
        &["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25"],
    );
    let b = make(
        "b.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            "smptehdbars=size=1920x1080:rate=25,noise=alls=8:allf=t",
        ],
    );
    let green = make(
        "green.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=0x00ff00:size=1920x1080:rate=25",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=800x600:rate=25",
            "-filter_complex",
            "[0][1]overlay=x='200+t*300':y=240,noise=alls=4:allf=t",
        ],
    );
    Clips { a, b, green }
}

/// One effect: tessera's source, its inputs, and the ffmpeg chains that
/// compute the same.
struct Effect {
    name: &'static str,
    source: String,
    inputs: Vec<(&'static str, PathBuf)>,
    /// (label, inputs, filter_complex).
    chains: Vec<(&'static str, Vec<PathBuf>, String)>,
    /// Required tessera/ffmpeg frames/s ratio.
    goal: f64,
}

fn effects(clips: &Clips, secs: f64) -> Vec<Effect> {
    let ab = || vec![clips.a.clone(), clips.b.clone()];
    vec![
        Effect {
            name: "dissolve",
            source: format!("input a, b;\noutput dissolve(a, b, ramp(0, {secs}));\n"),
            inputs: vec![("a", clips.a.clone()), ("b", clips.b.clone())],
            chains: vec![
                (
                    "blend+sendcmd",
                    ab(),
                    format!(
                        "[0]sendcmd=c='0-{secs} [expr] blend all_opacity 1-TI'[a];\
                         [a][1]blend=all_mode=normal"
                    ),
                ),
                (
                    "xfade",
                    ab(),
                    format!("[0][1]xfade=transition=fade:duration={secs}:offset=0"),
                ),
            ],
            goal: 2.0,
        },
        Effect {
            name: "fade",
            source: format!("input a;\noutput fade(a, ramp(0, {secs}), color: black);\n"),
            inputs: vec![("a", clips.a.clone())],
            chains: vec![(
                "fade",
                vec![clips.a.clone()],
                format!("[0]fade=t=out:st=0:d={secs}:color=black"),
            )],
            goal: 1.0,
        },
        Effect {
            name: "wipe",
            source: format!(
                "input a, b;\noutput wipe(a, b, ramp(0, {secs}), direction: left, softness: 0);\n"
            ),
            inputs: vec![("a", clips.a.clone()), ("b", clips.b.clone())],
            chains: vec![(
                "xfade wipeleft",
                ab(),
                format!("[0][1]xfade=transition=wipeleft:duration={secs}:offset=0"),
            )],
            goal: 1.0,
        },
        Effect {
            name: "pip",
            source: "input main, guest;\n\
                     output pip(main, guest, 1240, 40, scale: 0.33, border: 4, border_color: white);\n"
                .into(),
            inputs: vec![("main", clips.a.clone()), ("guest", clips.b.clone())],
            chains: vec![(
                "scale+pad+overlay",
                ab(),
                "[1]scale=iw*0.33:-2:flags=bilinear,pad=iw+8:ih+8:4:4:white[g];\
                 [0][g]overlay=1236:36"
                    .into(),
            )],
            goal: 1.0,
        },
        Effect {
            name: "chromakey",
            source: "input fg, bg;\n\
                     output over(chromakey(fg, color: #00ff00, tolerance: 0.25, softness: 0.1, spill: 0), bg);\n"
                .into(),
            inputs: vec![("fg", clips.green.clone()), ("bg", clips.a.clone())],
            chains: vec![(
                "chromakey+overlay",
                vec![clips.green.clone(), clips.a.clone()],
                "[0]chromakey=0x00ff00:0.25:0.1[k];[1][k]overlay".into(),
            )],
            goal: 1.0,
        },
        Effect {
            name: "rotate",
            source: "input a;\n\
                     output affine(a, rotate: 45 * t, about: (960, 540), outside: black);\n"
                .into(),
            inputs: vec![("a", clips.a.clone())],
            chains: vec![(
                "rotate",
                vec![clips.a.clone()],
                "[0]rotate=PI/4*t:c=black".into(),
            )],
            goal: 1.0,
        },
    ]
}

/// One timed run.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    wall: f64,
    cpu: f64,
    frames: u64,
    bytes: u64,
}

impl Run {
    fn fps(&self) -> f64 {
        self.frames as f64 / self.wall.max(1e-9)
    }

    fn cpu_ms_per_frame(&self) -> f64 {
        self.cpu * 1e3 / self.frames.max(1) as f64
    }

    fn kib_per_frame(&self) -> f64 {
        self.bytes as f64 / 1024.0 / self.frames.max(1) as f64
    }
}

/// The best wall time and the best CPU time of some runs (each taken
/// separately).
fn best(runs: &[Run]) -> Run {
    let mut best = *runs
        .iter()
        .min_by(|x, y| x.wall.total_cmp(&y.wall))
        .expect("at least one run");
    best.cpu = runs.iter().map(|r| r.cpu).fold(f64::INFINITY, f64::min);
    best
}

/// This process's user + system CPU seconds (all threads, finished ones
/// included), from `/proc/self/stat` in 100 Hz ticks.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    // After the command: state is field 3, utime 14 and stime 15.
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => 0.0,
    }
}

/// Runs the effect through the CLI's library entry; returns the run and
/// the summary text.
fn tessera_run(
    effect: &Path,
    inputs: &[(&str, PathBuf)],
    out: &Path,
    processors: usize,
    mode: Mode,
    frames: u32,
) -> (Run, String) {
    let options = RunOptions {
        inputs: inputs
            .iter()
            .map(|(n, p)| (n.to_string(), path_str(p).to_string()))
            .collect(),
        output: path_str(out).to_string(),
        processors,
        mode,
        sets: Vec::new(),
        quality: QUALITY,
        fps: Rational::new(RATE, 1).expect("non-zero rate"),
        frames: Some(u64::from(frames)),
        input_quality: 95,
        stdin_control: false,
        progress: false,
        latency: Duration::from_millis(100),
        duration: None,
    };
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    let summary = tessera_cli::fx::run(effect, &options)
        .unwrap_or_else(|e| panic!("tessera fx run {}: {e:#}", effect.display()));
    let wall = start.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu;
    let frames = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let bytes = std::fs::metadata(out).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(out);
    (
        Run {
            wall,
            cpu,
            frames,
            bytes,
        },
        summary,
    )
}

/// Runs one ffmpeg chain to an MJPEG AVI; CPU time from `-benchmark`.
fn ffmpeg_run(
    inputs: &[PathBuf],
    chain: &str,
    out: &Path,
    frames: u32,
    single_thread: bool,
) -> Run {
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-nostats", "-benchmark", "-y"]
        .map(String::from)
        .to_vec();
    let one = |args: &mut Vec<String>| {
        if single_thread {
            args.extend(["-threads", "1"].map(String::from));
        }
    };
    if single_thread {
        args.extend(["-filter_threads", "1", "-filter_complex_threads", "1"].map(String::from));
    }
    for input in inputs {
        one(&mut args);
        args.extend(["-i".to_string(), path_str(input).to_string()]);
    }
    args.extend(["-filter_complex".to_string(), chain.to_string()]);
    one(&mut args);
    let count = frames.to_string();
    args.extend(mjpeg_output(&count).map(String::from));
    args.push(path_str(out).to_string());
    let start = Instant::now();
    let output = Command::new(tessera_testkit::ffmpeg())
        .args(&args)
        .output()
        .expect("spawn ffmpeg");
    let wall = start.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ffmpeg {} failed:\n{log}",
        args.join(" ")
    );
    let field = |key: &str| -> f64 {
        log.lines()
            .filter(|l| l.starts_with("bench:"))
            .find_map(|l| {
                let v = &l[l.find(key)? + key.len()..];
                v.split('s').next()?.parse().ok()
            })
            .unwrap_or(0.0)
    };
    let bytes = std::fs::metadata(out).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(out);
    Run {
        wall,
        cpu: field("utime=") + field("stime="),
        frames: u64::from(frames),
        bytes,
    }
}

/// Throughput of one effect on both systems.
struct Throughput {
    effect: &'static str,
    goal: f64,
    tessera: Run,
    summary: String,
    /// (label, default threading, single thread).
    ffmpeg: Vec<(&'static str, Run, Option<Run>)>,
}

impl Throughput {
    /// The fastest ffmpeg chain with default threading.
    fn reference(&self) -> (&'static str, Run, Option<Run>) {
        *self
            .ffmpeg
            .iter()
            .max_by(|x, y| x.1.fps().total_cmp(&y.1.fps()))
            .expect("every effect has a chain")
    }

    fn ratio(&self) -> f64 {
        self.tessera.fps() / self.reference().1.fps()
    }
}

/// Latency of one effect, mode, processor count and feed.
struct Latency {
    effect: &'static str,
    mode: &'static str,
    processors: usize,
    feed: &'static str,
    frames: u64,
    p50: f64,
    p95: f64,
    /// Output frames/s over the run.
    fps: f64,
    saturated: bool,
}

/// Every frame of a clip's JPEGs, up to `frames`.
fn read_jpegs(path: &Path, frames: u32) -> Vec<Arc<Vec<u8>>> {
    let mut input = Input::open(path, Limits::default()).expect("open clip");
    let mut out = Vec::new();
    while out.len() < frames as usize {
        match input.next_picture().expect("read clip") {
            Some(Picture::Jpeg(jpeg)) => out.push(Arc::new(jpeg)),
            Some(Picture::Raw(_)) => panic!("{}: not Motion-JPEG", path.display()),
            None => break,
        }
    }
    out
}

fn geometry_of(jpeg: &[u8]) -> FrameGeometry {
    let info = tessera_jpeg::read_info(jpeg, &Limits::default()).expect("clip JPEG header");
    let format = info.chroma_format.expect("planar chroma format");
    FrameGeometry::for_format(info.width, info.height, format).expect("SC geometry")
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// Feeds the effect to an [`Engine`] paced at the clips' rate (`paced`)
/// or one frame in flight at a time, and measures per-frame latency.
fn latency_run(
    effect: &Path,
    clips: &[Vec<Arc<Vec<u8>>>],
    mode: Mode,
    processors: usize,
    paced: bool,
) -> (Vec<Duration>, f64) {
    let graph = load_effect(effect).expect("compile effect");
    let firsts: Vec<&[u8]> = clips.iter().map(|c| c[0].as_slice()).collect();
    let geometries: Vec<FrameGeometry> = firsts.iter().map(|j| geometry_of(j)).collect();
    let bytes: Vec<usize> = firsts.iter().map(|j| j.len()).collect();
    let rate = Rational::new(RATE, 1).expect("non-zero rate");
    let mut config = EngineConfig::new(graph, processors, mode, rate);
    config.quality = QUALITY;
    config.cost.target_fps = f64::from(RATE);
    let mut engine = Engine::start(config, &geometries, &bytes).expect("start the engine");
    let frames = clips.iter().map(Vec::len).min().unwrap_or(0);
    let period = Duration::from_secs(1) / RATE;
    let start = Instant::now();
    for n in 0..frames {
        let frame = AlignedFrame {
            frame: n as u64,
            time: n as f64 / f64::from(RATE),
            inputs: clips.iter().map(|c| c[n].clone()).collect(),
        };
        if paced {
            let due = start + period * n as u32;
            loop {
                engine.poll().expect("poll the engine");
                let now = Instant::now();
                if now >= due {
                    break;
                }
                std::thread::sleep((due - now).min(POLL));
            }
            engine.submit(&frame, due).expect("submit");
        } else {
            let mut done = engine.submit(&frame, Instant::now()).expect("submit");
            while done.is_empty() {
                std::thread::sleep(POLL);
                done = engine.poll().expect("poll the engine");
            }
        }
    }
    let (_, summary) = engine.finish().expect("finish the engine");
    let fps = summary.latencies.len() as f64 / start.elapsed().as_secs_f64().max(1e-9);
    (summary.latencies, fps)
}

fn measure_latency(
    name: &'static str,
    effect: &Path,
    clips: &[Vec<Arc<Vec<u8>>>],
    processors: usize,
    mode: (&'static str, Mode),
    paced: bool,
) -> Latency {
    let (in_order, fps) = latency_run(effect, clips, mode.1, processors, paced);
    let mut sorted = in_order.clone();
    sorted.sort();
    // Saturated: the latency still grows at the end of the run (the last
    // quarter's median over the first quarter's by more than a frame).
    let q = (in_order.len() / 4).max(1);
    let median = |s: &[Duration]| {
        let mut s = s.to_vec();
        s.sort();
        s[s.len() / 2]
    };
    let growth = median(&in_order[in_order.len() - q..]).saturating_sub(median(&in_order[..q]));
    Latency {
        effect: name,
        mode: mode.0,
        processors,
        feed: if paced { "paced 25/s" } else { "one in flight" },
        frames: in_order.len() as u64,
        p50: percentile_ms(&sorted, 50.0),
        p95: percentile_ms(&sorted, 95.0),
        fps,
        saturated: paced && growth > Duration::from_secs(1) / RATE,
    }
}

fn mode_name(mode: Mode) -> String {
    match mode {
        Mode::Temporal => "temporal".into(),
        Mode::Spatial => "spatial".into(),
        Mode::Hybrid { groups: None } => "hybrid".into(),
        Mode::Hybrid { groups: Some(g) } => format!("hybrid:{g}"),
        Mode::Auto => "auto".into(),
    }
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ffmpeg = Command::new(tessera_testkit::ffmpeg())
        .arg("-version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.split(" Copyright").next().unwrap_or(l).to_string())
        })
        .unwrap_or_else(|| "ffmpeg (version unknown)".into());
    format!("nproc {cores}, {model}; {ffmpeg}")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let config = Config::from_env();
    let scratch = Scratch::new();
    let dir = &scratch.0;
    println!("machine: {}", machine());
    println!("load average at start: {}", loadavg());
    let clips = make_clips(dir, config.frames);
    println!(
        "inputs: {} frames of 1920x1080 4:2:0 MJPEG at {RATE} fps, -q:v {FFMPEG_Q}, standard \
         Huffman tables (-huffman default, as RTP/JPEG carries): testsrc2 {:.0} KiB/frame, \
         smptehdbars+grain {:.0} KiB/frame, green screen {:.0} KiB/frame; in {}",
        config.frames,
        kib_per_frame(&clips.a, config.frames),
        kib_per_frame(&clips.b, config.frames),
        kib_per_frame(&clips.green, config.frames),
        dir.display(),
    );
    println!(
        "tessera: {} mode, {} processors, quality {QUALITY}; ffmpeg: -q:v {FFMPEG_Q} -huffman \
         default, default threads{}; best of {} runs",
        mode_name(config.mode),
        config.processors,
        if config.single_thread_ffmpeg {
            " and -threads 1 -filter_threads 1 -filter_complex_threads 1"
        } else {
            ""
        },
        config.reps,
    );

    let effects: Vec<Effect> = effects(&clips, config.seconds())
        .into_iter()
        .filter(|e| config.only.is_empty() || config.only.iter().any(|o| o == e.name))
        .collect();
    let mut results = Vec::new();
    for effect in &effects {
        let fx = dir.join(format!("{}.fx", effect.name));
        std::fs::write(&fx, &effect.source).expect("write the effect");
        let out = dir.join("out.avi");
        // Repetitions interleave the systems, so that a change of load
        // on the shared machine hits both alike.
        let (mut summary, mut fastest) = (String::new(), f64::INFINITY);
        let mut tessera = Vec::new();
        let mut threaded = vec![Vec::new(); effect.chains.len()];
        let mut single = vec![Vec::new(); effect.chains.len()];
        for _ in 0..config.reps {
            let (run, text) = tessera_run(
                &fx,
                &effect.inputs,
                &out,
                config.processors,
                config.mode,
                config.frames,
            );
            if run.wall < fastest {
                (summary, fastest) = (text, run.wall);
            }
            tessera.push(run);
            for (c, (_, inputs, chain)) in effect.chains.iter().enumerate() {
                threaded[c].push(ffmpeg_run(inputs, chain, &out, config.frames, false));
                if config.single_thread_ffmpeg {
                    single[c].push(ffmpeg_run(inputs, chain, &out, config.frames, true));
                }
            }
        }
        let tessera = best(&tessera);
        let ffmpeg: Vec<_> = effect
            .chains
            .iter()
            .enumerate()
            .map(|(c, (label, _, _))| {
                let single = (!single[c].is_empty()).then(|| best(&single[c]));
                (*label, best(&threaded[c]), single)
            })
            .collect();
        let result = Throughput {
            effect: effect.name,
            goal: effect.goal,
            tessera,
            summary,
            ffmpeg,
        };
        let (label, reference, _) = result.reference();
        println!(
            "{}: tessera {:.1} frames/s, ffmpeg ({label}) {:.1} frames/s: {:.2}x (load {})",
            effect.name,
            tessera.fps(),
            reference.fps(),
            result.ratio(),
            loadavg(),
        );
        for line in result.summary.lines().skip(1) {
            println!("    {line}");
        }
        results.push(result);
    }

    let mut latencies = Vec::new();
    for effect in effects.iter().filter(|e| LATENCY_EFFECTS.contains(&e.name)) {
        let fx = dir.join(format!("{}.fx", effect.name));
        let clips: Vec<_> = effect
            .inputs
            .iter()
            .map(|(_, p)| read_jpegs(p, config.frames.min(LATENCY_FRAMES)))
            .collect();
        for &n in &config.latency_processors {
            for paced in [true, false] {
                // Spatial and temporal runs alternate, like the throughput
                // runs; each row is the repetition with the lowest median.
                let modes = [("spatial", Mode::Spatial), ("temporal", Mode::Temporal)];
                let mut runs: [Vec<Latency>; 2] = Default::default();
                for _ in 0..config.reps {
                    for (m, &mode) in modes.iter().enumerate() {
                        runs[m].push(measure_latency(effect.name, &fx, &clips, n, mode, paced));
                    }
                }
                for runs in runs {
                    let l = runs
                        .into_iter()
                        .min_by(|x, y| x.p50.total_cmp(&y.p50))
                        .expect("at least one run");
                    println!(
                        "{} {} N={} {}: p50 {:.1} ms, p95 {:.1} ms, {:.1} frames/s out{}",
                        l.effect,
                        l.mode,
                        l.processors,
                        l.feed,
                        l.p50,
                        l.p95,
                        l.fps,
                        if l.saturated { " (saturated)" } else { "" }
                    );
                    latencies.push(l);
                }
            }
        }
    }

    println!("load average at end: {}", loadavg());
    println!();
    print!("{}", throughput_table(&results, &config));
    println!();
    print!("{}", latency_table(&latencies));
    if let Some(path) = &config.csv {
        std::fs::write(path, csv(&results, &latencies, &config)).expect("write the CSV");
        println!("\nwrote {}", path.display());
    }
}

fn kib_per_frame(path: &Path, frames: u32) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64) / 1024.0 / f64::from(frames)
}

fn throughput_table(results: &[Throughput], config: &Config) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Throughput, {} frames 1920x1080 (frames/s of whole runs, best of {}; CPU ms per frame; output KiB per frame)",
        config.frames, config.reps
    );
    let _ = writeln!(
        t,
        "| effect | tessera fps | ffmpeg fps (chain) | tessera/ffmpeg | goal | ffmpeg 1-thread fps | tessera CPU ms/f | ffmpeg CPU ms/f | out KiB/f tessera / ffmpeg |"
    );
    let _ = writeln!(
        t,
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"
    );
    for r in results {
        let (label, f, single) = r.reference();
        let met = if r.ratio() >= r.goal {
            "met"
        } else {
            "NOT met"
        };
        let others: String = r
            .ffmpeg
            .iter()
            .filter(|(l, _, _)| *l != label)
            .map(|(l, run, _)| format!("; {l} {:.1}", run.fps()))
            .collect();
        let _ = writeln!(
            t,
            "| {} | {:.1} | {:.1} ({label}{others}) | {:.2}x | >= {:.0}x: {met} | {} | {:.1} | {:.1} | {:.0} / {:.0} |",
            r.effect,
            r.tessera.fps(),
            f.fps(),
            r.ratio(),
            r.goal,
            single.map_or("-".into(), |s| format!("{:.1}", s.fps())),
            r.tessera.cpu_ms_per_frame(),
            f.cpu_ms_per_frame(),
            r.tessera.kib_per_frame(),
            f.kib_per_frame(),
        );
    }
    t
}

fn latency_table(latencies: &[Latency]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Latency per frame, arrival to output JPEG (p50 / p95 ms; output frames/s)"
    );
    let _ = writeln!(t, "| effect | N | feed | spatial | temporal |");
    let _ = writeln!(t, "| --- | ---: | --- | ---: | ---: |");
    let cell = |l: &Latency| {
        format!(
            "{:.1} / {:.1} ({:.1}/s{})",
            l.p50,
            l.p95,
            l.fps,
            if l.saturated { ", saturated" } else { "" }
        )
    };
    for pair in latencies.chunks(2) {
        if let [s, tm] = pair {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} |",
                s.effect,
                s.processors,
                s.feed,
                cell(s),
                cell(tm)
            );
        }
    }
    t
}

fn csv(results: &[Throughput], latencies: &[Latency], config: &Config) -> String {
    let mut t = String::from(
        "section,effect,system,chain,mode,processors,feed,frames,wall_s,frames_per_s,cpu_ms_per_frame,out_kib_per_frame,ratio,goal,met,latency_p50_ms,latency_p95_ms,saturated\n",
    );
    let frames = config.frames;
    let mode = mode_name(config.mode);
    for r in results {
        let s = &r.tessera;
        let _ = writeln!(
            t,
            "throughput,{},tessera,,{mode},{},,{frames},{:.3},{:.2},{:.2},{:.1},{:.3},{},{},,,",
            r.effect,
            config.processors,
            s.wall,
            s.fps(),
            s.cpu_ms_per_frame(),
            s.kib_per_frame(),
            r.ratio(),
            r.goal,
            r.ratio() >= r.goal,
        );
        for (label, run, single) in &r.ffmpeg {
            for (threads, run) in [("default", Some(*run)), ("1", *single)] {
                let Some(run) = run else { continue };
                let _ = writeln!(
                    t,
                    "throughput,{},ffmpeg,{label},threads {threads},,,{frames},{:.3},{:.2},{:.2},{:.1},,,,,,",
                    r.effect,
                    run.wall,
                    run.fps(),
                    run.cpu_ms_per_frame(),
                    run.kib_per_frame(),
                );
            }
        }
    }
    for l in latencies {
        let _ = writeln!(
            t,
            "latency,{},tessera,,{},{},{},{},,{:.2},,,,,,{:.1},{:.1},{}",
            l.effect, l.mode, l.processors, l.feed, l.frames, l.fps, l.p50, l.p95, l.saturated,
        );
    }
    t
}
