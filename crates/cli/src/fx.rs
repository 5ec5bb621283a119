//! `tessera fx`: compile, print and run effects.
//!
//! `fx run` is the edge of an embedded effects session: it reads the
//! inputs (files, or RTP/JPEG over UDP), aligns them on the first input's
//! frame grid, hands them to the [`Engine`] (server, processors and
//! reconstructor talking over an in-process zenoh session) and writes the
//! Motion-JPEG that comes back to a file or an RTP destination.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tessera_cluster::{Engine, EngineConfig, Finished, Summary};
use tessera_core::{Limits, Rational};
use tessera_fx::mapper::Mode;
use tessera_fx::{Graph, analysis, lang, print};
use tessera_rtp::jitter::{JitterBuffer, JitterConfig};
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_runtime::Aligner;
use tessera_sc::FrameGeometry;
use tessera_udp::{Pacer, RtpUrl, open_receiver, open_sender};

use crate::media::{Input, Output, Picture};

/// Reads and compiles an effect file; errors show the line and a caret.
pub fn load_effect(path: &Path) -> Result<Graph> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > 1 << 20 {
        bail!("{}: effect file over 1 MiB", path.display());
    }
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    lang::compile(&source).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `tessera fx graph`: the compiled graph as text on stdout, and as DOT
/// when asked.
pub fn graph(effect: &Path, dot: Option<&Path>) -> Result<()> {
    let graph = load_effect(effect)?;
    let analysis = analysis::analyze(&graph, None);
    print!("{}", print::to_text(&graph, &analysis));
    if let Some(path) = dot {
        let text = print::to_dot(&graph, &analysis);
        if path == Path::new("-") {
            print!("{text}");
        } else {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// Options of `tessera fx run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<(String, String)>,
    pub output: String,
    pub processors: usize,
    pub mode: Mode,
    pub sets: Vec<(String, String)>,
    pub quality: u8,
    /// Rate for inputs that record none.
    pub fps: Rational,
    pub frames: Option<u64>,
    /// JPEG quality for Y4M inputs, encoded at ingest.
    pub input_quality: u8,
    /// Read `set NAME=VALUE` lines from stdin while running.
    pub stdin_control: bool,
    pub progress: bool,
    /// For live (RTP) inputs: jitter buffer latency.
    pub latency: Duration,
    pub duration: Option<Duration>,
}

/// Where frames of one input come from.
enum Source {
    File {
        input: Box<Input>,
        rate: Rational,
        read: u64,
    },
    /// Frames arrive from a receiver thread through the shared channel.
    Rtp,
}

/// A frame from a live input: (input, seconds, JPEG).
type LiveFrame = (usize, f64, Vec<u8>);

fn rtp_url(text: &str) -> Option<Result<RtpUrl>> {
    text.starts_with("rtp://").then(|| {
        text.parse::<RtpUrl>()
            .map_err(|e| anyhow::anyhow!("{text}: {e}"))
    })
}

/// Receives RTP/JPEG on `url` and sends whole frames to `tx` until the
/// stop flag (Ctrl-C) or this run's `done` is raised.
fn receive(
    mut socket: tessera_udp::Receiver,
    url: RtpUrl,
    input: usize,
    latency: Duration,
    tx: SyncSender<LiveFrame>,
    done: Arc<AtomicBool>,
) -> Result<()> {
    let stop = crate::rtp::stop_flag();
    let mut jitter = JitterBuffer::new(JitterConfig {
        latency,
        ..JitterConfig::default()
    });
    let mut depay = JpegDepayloader::new();
    let start = Instant::now();
    let mut unwrapped = 0i64;
    let mut last: Option<u32> = None;
    while !stop.load(Ordering::SeqCst) && !done.load(Ordering::SeqCst) {
        let received = socket
            .recv(Duration::from_millis(20))
            .with_context(|| format!("receiving on {url}"))?;
        let now = start.elapsed();
        if let Some((p, _)) = received {
            jitter.push(p.to_vec(), now);
        }
        while let Some(frame) = jitter.pop(now) {
            let Ok(jpeg) = depay.depayload(&frame.packets) else {
                continue;
            };
            if let Some(prev) = last {
                unwrapped += i64::from(frame.timestamp.wrapping_sub(prev) as i32);
            }
            last = Some(frame.timestamp);
            let pts = unwrapped as f64 / 90_000.0;
            if tx.send((input, pts, jpeg)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Where the output goes.
enum Sink {
    File(Output),
    Rtp {
        socket: std::net::UdpSocket,
        payloader: JpegPayloader,
        pacer: Option<Pacer>,
        rate: Rational,
        start: Option<Instant>,
        url: RtpUrl,
    },
}

impl Sink {
    fn open(text: &str, rate: Rational) -> Result<Sink> {
        if let Some(url) = rtp_url(text) {
            let url = url?;
            let socket = open_sender(&url).with_context(|| format!("cannot send to {url}"))?;
            let ssrc = std::process::id().wrapping_mul(0x9E37_79B9) ^ 0x0FF0_5EC5;
            return Ok(Sink::Rtp {
                socket,
                payloader: JpegPayloader::new(JpegPayloaderConfig::new(ssrc))?,
                pacer: None,
                rate,
                start: None,
                url,
            });
        }
        Ok(Sink::File(Output::new(Path::new(text), rate)?))
    }

    fn write(&mut self, done: &Finished) -> Result<()> {
        match self {
            Sink::File(out) => {
                let info = tessera_jpeg::read_info(&done.jpeg, &Limits::default())?;
                let format = info
                    .chroma_format
                    .context("output JPEG without a planar chroma format")?;
                if out.kind == tessera_container::ContainerKind::Y4m {
                    let frame = tessera_jpeg::decode_frame(&done.jpeg, &Limits::default())?;
                    out.write_frame(&frame)
                } else {
                    out.write_jpeg(&done.jpeg, info.width, info.height, format)
                }
            }
            Sink::Rtp {
                socket,
                payloader,
                pacer,
                rate,
                start,
                url,
            } => {
                let start = *start.get_or_insert_with(Instant::now);
                let timestamp = (u128::from(done.frame) * 90_000 * u128::from(rate.den)
                    / u128::from(rate.num.max(1))) as u32;
                let packets = payloader.packetize(&done.jpeg, timestamp)?;
                let frame_bytes: usize = packets.iter().map(Vec::len).sum();
                let p = pacer.get_or_insert_with(|| {
                    Pacer::for_video(frame_bytes, rate.as_f64(), 0.5, 16 * 1500)
                });
                // Real time: frame n leaves at n / rate.
                let due = Duration::from_secs_f64(done.frame as f64 / rate.as_f64());
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                crate::rtp::send_paced(socket, p, &packets, start, url)
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::File(out) => out.finish(),
            Sink::Rtp { .. } => Ok(()),
        }
    }
}

/// The geometry an input JPEG gives the effect.
fn geometry_of(jpeg: &[u8]) -> Result<FrameGeometry> {
    let info = tessera_jpeg::read_info(jpeg, &Limits::default())?;
    let format = info
        .chroma_format
        .context("input JPEG sampling has no planar chroma format")?;
    Ok(FrameGeometry::for_format(info.width, info.height, format)?)
}

/// `tessera fx run`. Returns the summary text.
pub fn run(effect: &Path, options: &RunOptions) -> Result<String> {
    let graph = load_effect(effect)?;
    // Inputs by name, in the effect's order.
    let mut by_name: Vec<Option<&str>> = vec![None; graph.inputs.len()];
    for (name, source) in &options.inputs {
        let Some(i) = graph.inputs.iter().position(|n| n == name) else {
            bail!(
                "--input {name}=...: the effect has no input `{name}` (it has: {})",
                graph.inputs.join(", ")
            );
        };
        if by_name[i].replace(source).is_some() {
            bail!("--input {name} given twice");
        }
    }
    if let Some(i) = by_name.iter().position(Option::is_none) {
        bail!(
            "no --input {}=SOURCE for the effect's input `{}`",
            graph.inputs[i],
            graph.inputs[i]
        );
    }
    // --set values become the values from the first frame (so the mapper
    // sees them too); they are also sent as changes at frame 0 so the
    // summary lists them.
    let mut graph = graph;
    for (name, value) in &options.sets {
        let decl = graph
            .params
            .iter_mut()
            .find(|p| &p.name == name)
            .with_context(|| format!("--set {name}: the effect has no parameter `{name}`"))?;
        decl.default = decl
            .parse(value)
            .map_err(|e| anyhow::anyhow!("--set {name}={value}: {e}"))?;
    }
    let graph = graph;
    let stop = crate::rtp::stop_flag();
    // Ends this run's receivers; Ctrl-C (`stop`) ends everything.
    let done = Arc::new(AtomicBool::new(false));
    let (live_tx, live_rx): (SyncSender<LiveFrame>, Receiver<LiveFrame>) = sync_channel(64);
    let mut sources = Vec::new();
    let mut receivers = Vec::new();
    let mut rate = None;
    let mut total = None;
    for (i, source) in by_name.iter().enumerate() {
        let source = source.expect("checked above");
        if let Some(url) = rtp_url(source) {
            let url = url?;
            let socket = open_receiver(&url).with_context(|| format!("cannot receive on {url}"))?;
            eprintln!("input `{}`: receiving on {url}", graph.inputs[i]);
            let tx = live_tx.clone();
            let latency = options.latency;
            let done = done.clone();
            receivers.push(std::thread::spawn(move || {
                receive(socket, url, i, latency, tx, done)
            }));
            sources.push(Source::Rtp);
            if i == 0 {
                rate.get_or_insert(options.fps);
            }
        } else {
            let input = Input::open(Path::new(source), Limits::default())?;
            let r = input.rate.unwrap_or(options.fps);
            if i == 0 {
                rate = Some(r);
                total = input.announced_frames;
            }
            sources.push(Source::File {
                input: Box::new(input),
                rate: r,
                read: 0,
            });
        }
    }
    drop(live_tx);
    let live = sources.iter().any(|s| matches!(s, Source::Rtp));
    let rate = rate.unwrap_or(options.fps);
    let mut sink = Sink::open(&options.output, rate)?;
    let total = options
        .frames
        .map_or(total, |f| Some(total.map_or(f, |t| t.min(f))));
    let bar = (options.progress && !live).then(|| {
        let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} frames {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut aligner = Aligner::new(graph.inputs.len());
    let mut engine: Option<Engine> = None;
    let mut written = 0u64;
    let started = Instant::now();
    let graph_for_engine = graph.clone();
    let write_all = |done: Vec<Finished>, sink: &mut Sink, written: &mut u64| -> Result<()> {
        for f in done {
            sink.write(&f)?;
            *written += 1;
            if let Some(bar) = &bar {
                bar.set_position(*written);
            }
        }
        Ok(())
    };
    let encode = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    loop {
        if stop.load(Ordering::SeqCst)
            || options
                .frames
                .is_some_and(|n| engine.as_ref().is_some_and(|e| e.submitted() >= n))
            || options.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        let next = if live {
            aligner.pop_now()
        } else {
            aligner.pop()
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(frame) = next {
            let engine = match &mut engine {
                Some(e) => e,
                slot => {
                    let geometries = frame
                        .inputs
                        .iter()
                        .enumerate()
                        .map(|(i, j)| {
                            geometry_of(j).with_context(|| format!("input `{}`", graph.inputs[i]))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let bytes: Vec<usize> = frame.inputs.iter().map(|j| j.len()).collect();
                    let mut config = EngineConfig::new(
                        graph_for_engine.clone(),
                        options.processors,
                        options.mode,
                        rate,
                    );
                    config.quality = options.quality;
                    config.cost.target_fps = rate.as_f64();
                    let e = Engine::start(config, &geometries, &bytes)?;
                    eprintln!("{}", e.mapping().explanation);
                    let control = e.control();
                    for (name, value) in &options.sets {
                        control.set(name, value, Some(0))?;
                    }
                    if options.stdin_control {
                        let control = e.control();
                        std::thread::spawn(move || {
                            for line in std::io::stdin().lock().lines() {
                                let Ok(line) = line else { break };
                                if line.trim().is_empty() {
                                    continue;
                                }
                                match control.command(&line) {
                                    Ok(()) => eprintln!("ok: {}", line.trim()),
                                    Err(e) => eprintln!("tessera: {e}"),
                                }
                            }
                        });
                    }
                    slot.insert(e)
                }
            };
            let done = engine.submit(&frame, Instant::now())?;
            write_all(done, &mut sink, &mut written)?;
            continue;
        }
        // Pull a file input the aligner is waiting for.
        let wanted = (0..sources.len())
            .find(|&i| aligner.wants(i) && matches!(sources[i], Source::File { .. }));
        if let Some(i) = wanted {
            let Source::File { input, rate, read } = &mut sources[i] else {
                unreachable!("matched above")
            };
            match input.next_picture()? {
                Some(picture) => {
                    let jpeg = match picture {
                        Picture::Jpeg(bytes) => bytes,
                        Picture::Raw(frame) => {
                            tessera_jpeg::encode_frame(&frame, options.input_quality, &encode)?
                        }
                    };
                    let pts = *read as f64 * f64::from(rate.den) / f64::from(rate.num.max(1));
                    *read += 1;
                    let jpeg =
                        tessera_cluster::carriable_jpeg(Arc::new(jpeg)).with_context(|| {
                            format!("input `{}`, frame {}", graph.inputs[i], *read - 1)
                        })?;
                    aligner
                        .push(i, pts, jpeg)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                None => aligner.end(i),
            }
            continue;
        }
        if aligner.finished() {
            break;
        }
        if !live {
            // Nothing wanted and nothing to pop: every input has ended.
            break;
        }
        match live_rx.recv_timeout(Duration::from_millis(50)) {
            Ok((i, pts, jpeg)) => {
                // A full queue drops the frame (counted by the aligner's
                // caller as a late frame: live sources do not wait).
                let _ = aligner.push(i, pts, Arc::new(jpeg));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(e) = &mut engine {
                    let done = e.poll()?;
                    write_all(done, &mut sink, &mut written)?;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    done.store(true, Ordering::SeqCst);
    for r in receivers {
        match r.join() {
            Ok(result) => result?,
            Err(_) => bail!("an RTP receiver panicked"),
        }
    }
    let Some(engine) = engine else {
        bail!("no frames: the first input `{}` gave none", graph.inputs[0]);
    };
    let (rest, summary) = engine.finish()?;
    write_all(rest, &mut sink, &mut written)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    sink.finish()?;
    Ok(describe(&summary, &graph.inputs, &options.output))
}

/// The end-of-run summary.
pub fn describe(summary: &Summary, inputs: &[String], output: &str) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let elapsed = summary.elapsed.as_secs_f64();
    let mut text = format!(
        "{} frames -> {output} in {elapsed:.2} s: {:.1} frames/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms\nmapping: {}\n",
        summary.frames,
        summary.fps(),
        ms(summary.latency_percentile(50.0)),
        ms(summary.latency_percentile(95.0)),
        ms(summary.latency_percentile(99.0)),
        summary.mapping.explanation,
    );
    for p in summary.processors() {
        // The band it computes and what that band reads of each input
        // (the inverse mapping through any warps, at frame 0).
        let mut band = String::new();
        if let Some(a) = summary.mapping.assignments.get(p.processor) {
            let [_, y, _, h] = a.region;
            band = format!(", rows {y}..{}", u32::from(y) + u32::from(h));
            let reads: Vec<String> = a
                .input_regions
                .iter()
                .zip(inputs)
                .map(|(r, name)| match r {
                    Some(r) => format!("{name} {}x{}+{}+{}", r.width, r.height, r.x, r.y),
                    None => format!("{name} -"),
                })
                .collect();
            band.push_str(&format!(" reading {}", reads.join(", ")));
        }
        text.push_str(&format!(
            "processor {} (group {}{band}): {} frames, busy {:.0} ms ({:.0}%), {} input frames decoded, {} SC packets\n",
            p.processor,
            p.group,
            p.stats.frames,
            p.busy_ms,
            100.0 * p.busy_ms / (elapsed * 1e3).max(1e-9),
            p.stats.decoded,
            p.stats.sc_packets,
        ));
    }
    let r = &summary.reconstructor;
    text.push_str(&format!(
        "reconstructor: {} frames, busy {:.0} ms ({:.0}%), {} SC packets, dropped {}, incomplete frames {}, missing frames {}",
        r.stats.frames,
        r.busy_ms,
        100.0 * r.busy_ms / (elapsed * 1e3).max(1e-9),
        r.stats.packets,
        r.stats.dropped_packets,
        r.stats.incomplete_frames,
        r.stats.missing_frames,
    ));
    for (frame, name, value) in &summary.changes {
        text.push_str(&format!("\nset {name} = {value} from frame {frame}"));
    }
    text
}

/// Parses `NAME=VALUE`.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}`: expected NAME=VALUE")),
    }
}
