//! The processor and reconstructor roles: loops over zenoh subscribers
//! around the sans-IO state machines of `tessera-runtime`.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tessera_fx::mapper::Subprogram;
use tessera_runtime::processor::Emit;
use tessera_runtime::{
    Control, FrameClock, Processor, ProcessorStats, Reconstructor, ReconstructorStats,
};
use zenoh::handlers::FifoChannel;
use zenoh::{Session, Wait};

use crate::ClusterError;
use crate::fabric::Keys;

/// Feed messages a processor may hold before the server is held back.
const FEED_QUEUE: usize = 16_384;
/// SC packets the reconstructor may hold before processors are held back.
const SC_QUEUE: usize = 65_536;
/// How long a role waits for its program.
const PROGRAM_WAIT: Duration = Duration::from_secs(20);

/// What the reconstructor needs to know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReconstructorProgram {
    pub groups: usize,
    pub processors: usize,
    pub quality: u8,
    pub rate_num: u32,
    pub rate_den: u32,
}

/// What a processor runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessorProgram {
    pub sub: Subprogram,
    /// Bands as RTP/SC, or whole frames finished as RTP/JPEG.
    pub emit: Emit,
    pub rate_num: u32,
    pub rate_den: u32,
}

/// A processor's figures at the end of a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessorReport {
    pub processor: usize,
    pub group: usize,
    pub stats: ProcessorStats,
    /// Time spent decoding, rendering and packetizing.
    pub busy_ms: f64,
    pub render_errors: u64,
}

/// The reconstructor's figures, sent with the end of the output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconstructorReport {
    pub stats: ReconstructorStats,
    pub busy_ms: f64,
    pub processors: Vec<ProcessorReport>,
}

/// Asks the server for the JSON document at `key`, retrying until one
/// arrives or [`PROGRAM_WAIT`] passes.
fn fetch<T: for<'de> Deserialize<'de>>(session: &Session, key: &str) -> Result<T, ClusterError> {
    let deadline = Instant::now() + PROGRAM_WAIT;
    loop {
        let replies = session
            .get(key)
            .wait()
            .map_err(|e| ClusterError::Fabric(format!("query {key}: {e}")))?;
        while let Ok(reply) = replies.recv() {
            if let Ok(sample) = reply.result() {
                let bytes = sample.payload().to_bytes();
                return serde_json::from_slice(&bytes)
                    .map_err(|e| ClusterError::Fabric(format!("{key}: {e}")));
            }
        }
        if Instant::now() > deadline {
            return Err(ClusterError::Fabric(format!("no answer for {key}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs processor `index` of the session until the feed ends.
pub fn run_processor(session: Session, keys: Keys, index: usize) -> Result<(), ClusterError> {
    let program: ProcessorProgram = fetch(&session, &keys.program(index))?;
    let rate = tessera_core::Rational::new(program.rate_num, program.rate_den)
        .ok_or_else(|| ClusterError::Fabric("processor program without a frame rate".into()))?;
    let clock = FrameClock::new(rate);
    let sub = program.sub;
    let group = sub.group;
    let out_key = match program.emit {
        Emit::Sc => keys.sc(group, index),
        Emit::Jpeg { .. } => keys.sc_jpeg(group, index),
    };
    let feed = session
        .declare_subscriber(keys.feed_group(group))
        .with(FifoChannel::new(FEED_QUEUE))
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let sc = session
        .declare_publisher(out_key)
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let ssrc = 0x7e55_0000 ^ (index as u32);
    let mut processor = Processor::new(sub, clock, ssrc, program.emit)?;
    // Ready: the server starts the feed once every role is alive.
    let _token = session
        .liveliness()
        .declare_token(keys.alive(&index.to_string()))
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let mut report = ProcessorReport {
        processor: index,
        group,
        ..ProcessorReport::default()
    };
    let mut busy = Duration::ZERO;
    while let Ok(sample) = feed.recv() {
        let key = sample.key_expr().as_str();
        let payload = sample.payload().to_bytes();
        // `feed/G/...`: this processor subscribed to its own group only.
        let rest = keys
            .relative(key)
            .and_then(|k| k.strip_prefix("feed/"))
            .and_then(|k| k.split_once('/'))
            .map(|(_, rest)| rest);
        match rest {
            Some("ctl") => match serde_json::from_slice::<Control>(&payload) {
                Ok(Control::Set(change)) => processor.on_param(change),
                Ok(Control::End { .. }) => break,
                Err(e) => tracing::warn!(processor = index, "bad control message: {e}"),
            },
            Some(rest) => {
                let Some(input) = rest
                    .strip_prefix("in/")
                    .and_then(|i| i.parse::<usize>().ok())
                else {
                    continue;
                };
                processor.on_input_packet(input, &payload);
                while let Some((frame, jpegs)) = processor.take_ready() {
                    let start = Instant::now();
                    match processor.render(frame, jpegs) {
                        Ok(packets) => {
                            for p in packets {
                                sc.put(p)
                                    .wait()
                                    .map_err(|e| ClusterError::Fabric(e.to_string()))?;
                            }
                        }
                        Err(e) => {
                            report.render_errors += 1;
                            tracing::warn!(processor = index, frame, "render failed: {e}");
                        }
                    }
                    busy += start.elapsed();
                }
            }
            None => {}
        }
    }
    report.stats = processor.stats();
    report.busy_ms = busy.as_secs_f64() * 1e3;
    let json = serde_json::to_vec(&report).map_err(|e| ClusterError::Fabric(e.to_string()))?;
    session
        .put(keys.sc_end(group, index), json)
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    Ok(())
}

/// Runs the reconstructor until every processor has ended.
pub fn run_reconstructor(session: Session, keys: Keys) -> Result<(), ClusterError> {
    let program: ReconstructorProgram = fetch(&session, &keys.reconstructor_program())?;
    let rate = tessera_core::Rational::new(program.rate_num, program.rate_den)
        .ok_or_else(|| ClusterError::Fabric("reconstructor program without a rate".into()))?;
    let clock = FrameClock::new(rate);
    let sc = session
        .declare_subscriber(keys.sc_all())
        .with(FifoChannel::new(SC_QUEUE))
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let out = session
        .declare_publisher(keys.out_frame())
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let _token = session
        .liveliness()
        .declare_token(keys.alive("reconstructor"))
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    let mut recon = Reconstructor::new(program.groups, clock, program.quality);
    let mut reports = Vec::new();
    let mut busy = Duration::ZERO;
    let publish = |frames: Vec<tessera_runtime::OutputFrame>| -> Result<(), ClusterError> {
        for f in frames {
            out.put(f.jpeg)
                .attachment(f.frame.to_be_bytes().to_vec())
                .wait()
                .map_err(|e| ClusterError::Fabric(e.to_string()))?;
        }
        Ok(())
    };
    while reports.len() < program.processors {
        let Ok(sample) = sc.recv() else { break };
        let key = sample.key_expr().as_str();
        let Some(rest) = keys.relative(key).and_then(|k| k.strip_prefix("sc/")) else {
            continue;
        };
        let payload = sample.payload().to_bytes();
        let mut parts = rest.split('/');
        let group = parts.next().and_then(|g| g.parse::<usize>().ok());
        let _processor = parts.next();
        match (group, parts.next()) {
            (Some(_), Some("end")) => match serde_json::from_slice::<ProcessorReport>(&payload) {
                Ok(r) => reports.push(r),
                Err(e) => {
                    tracing::warn!("bad processor report: {e}");
                    reports.push(ProcessorReport::default());
                }
            },
            (Some(group), None) => {
                let start = Instant::now();
                let frames = recon.on_packet(group, &payload)?;
                busy += start.elapsed();
                publish(frames)?;
            }
            (Some(group), Some("jpeg")) => {
                let start = Instant::now();
                let frames = recon.on_jpeg_packet(group, &payload)?;
                busy += start.elapsed();
                publish(frames)?;
            }
            _ => {}
        }
    }
    let start = Instant::now();
    let frames = recon.finish()?;
    busy += start.elapsed();
    publish(frames)?;
    reports.sort_by_key(|r| r.processor);
    let report = ReconstructorReport {
        stats: recon.stats(),
        busy_ms: busy.as_secs_f64() * 1e3,
        processors: reports,
    };
    let json = serde_json::to_vec(&report).map_err(|e| ClusterError::Fabric(e.to_string()))?;
    session
        .put(keys.out_end(), json)
        .wait()
        .map_err(|e| ClusterError::Fabric(e.to_string()))?;
    Ok(())
}
