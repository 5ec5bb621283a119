//! The effects server, embedded: maps the effect, hands out subprograms,
//! starts the processor and reconstructor roles as threads on the same
//! zenoh session, feeds them the aligned inputs as RTP/JPEG and collects
//! the output in order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tessera_core::Rational;
use tessera_fx::mapper::{self, CostModel, Mapping, Mode};
use tessera_fx::{Graph, ParamDecl, ParamValue};
use tessera_rtp::jpeg::{JpegPayloader, JpegPayloaderConfig};
use tessera_runtime::{AlignedFrame, Control, FrameClock, ParamChange};
use tessera_sc::FrameGeometry;
use zenoh::handlers::{FifoChannel, FifoChannelHandler};
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::query::Queryable;
use zenoh::sample::Sample;
use zenoh::{Session, Wait};

use crate::ClusterError;
use crate::fabric::{Keys, open_in_process};
use crate::roles::{
    ProcessorProgram, ProcessorReport, ReconstructorProgram, ReconstructorReport, run_processor,
    run_reconstructor,
};

/// How long the server waits for every role to come alive.
const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// What to run.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub graph: Graph,
    pub processors: usize,
    pub mode: Mode,
    /// IJG quality of the output JPEGs.
    pub quality: u8,
    /// Output frame rate (the first input's).
    pub rate: Rational,
    /// Session name: the key expressions live under `tessera/<session>`.
    pub session: String,
    pub cost: CostModel,
    /// Output frames in flight at most (submitted, not yet returned).
    pub window: usize,
}

impl EngineConfig {
    pub fn new(graph: Graph, processors: usize, mode: Mode, rate: Rational) -> EngineConfig {
        EngineConfig {
            graph,
            processors,
            mode,
            quality: 85,
            rate,
            session: format!("fx-{}", std::process::id()),
            cost: CostModel::default(),
            window: (2 * processors).max(4),
        }
    }
}

/// A parameter change as the control key carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ControlRequest {
    param: usize,
    value: ParamValue,
    /// First frame it applies to; `None`: the next frame fed.
    at: Option<u64>,
}

/// Changes parameters of a running engine from any thread (the CLI's
/// stdin reader, the HTTP API). Requests travel over the fabric like
/// everything else.
#[derive(Clone)]
pub struct ControlHandle {
    session: Session,
    key: String,
    params: Arc<Vec<ParamDecl>>,
}

impl std::fmt::Debug for ControlHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlHandle")
            .field("key", &self.key)
            .finish()
    }
}

impl ControlHandle {
    /// Sets parameter `name` from its text form (`0.7`, `#ff0000`, any
    /// text), from the next frame fed on, or from frame `at` when that is
    /// later.
    pub fn set(&self, name: &str, value: &str, at: Option<u64>) -> Result<(), ClusterError> {
        let param = self
            .params
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                ClusterError::Param(format!(
                    "no parameter `{name}` (the effect has: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            })?;
        let value = self.params[param]
            .parse(value)
            .map_err(ClusterError::Param)?;
        let json = serde_json::to_vec(&ControlRequest { param, value, at })
            .map_err(|e| ClusterError::Fabric(e.to_string()))?;
        self.session
            .put(&self.key, json)
            .wait()
            .map_err(|e| ClusterError::Fabric(e.to_string()))
    }

    /// Parses and applies a `set NAME=VALUE [@FRAME]` command line (the
    /// stdin protocol).
    pub fn command(&self, line: &str) -> Result<(), ClusterError> {
        let line = line.trim();
        let rest = line.strip_prefix("set ").ok_or_else(|| {
            ClusterError::Param(format!(
                "unknown command `{line}` (set NAME=VALUE [@FRAME])"
            ))
        })?;
        let (assignment, at) = match rest.rsplit_once(" @") {
            Some((a, frame)) => (
                a,
                Some(frame.trim().parse::<u64>().map_err(|_| {
                    ClusterError::Param(format!("`@{frame}` is not a frame number"))
                })?),
            ),
            None => (rest, None),
        };
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| ClusterError::Param(format!("`{assignment}`: expected NAME=VALUE")))?;
        self.set(name.trim(), value.trim(), at)
    }
}

/// Quality at which [`carriable_jpeg`] re-encodes.
pub const INGEST_QUALITY: u8 = 95;

/// `jpeg` in a form RTP/JPEG (RFC 2435) carries, which is how inputs
/// travel to the processors: 4:2:0 and 4:2:2 pass unchanged (the
/// payloader re-codes other Huffman tables losslessly); other samplings
/// and greyscale are converted to 4:2:0 and encoded at [`INGEST_QUALITY`].
pub fn carriable_jpeg(jpeg: Arc<Vec<u8>>) -> Result<Arc<Vec<u8>>, ClusterError> {
    use tessera_core::{ChromaFormat, Limits};
    let info = tessera_jpeg::read_info(&jpeg, &Limits::default())
        .map_err(|e| ClusterError::Input(e.to_string()))?;
    if info.colour == tessera_jpeg::Colour::YCbCr
        && matches!(
            info.chroma_format,
            Some(ChromaFormat::Yuv420 | ChromaFormat::Yuv422)
        )
    {
        return Ok(jpeg);
    }
    let frame = tessera_jpeg::decode_frame(&jpeg, &Limits::default())
        .map_err(|e| ClusterError::Input(e.to_string()))?;
    let options = tessera_jpeg::EncodeOptions {
        huffman: tessera_jpeg::HuffmanMode::Standard,
        ..tessera_jpeg::EncodeOptions::default()
    };
    let converted = tessera_jpeg::encode_frame(
        &frame.with_format(ChromaFormat::Yuv420),
        INGEST_QUALITY,
        &options,
    )
    .map_err(|e| ClusterError::Input(e.to_string()))?;
    Ok(Arc::new(converted))
}

/// A finished output frame.
#[derive(Clone, Debug)]
pub struct Finished {
    pub frame: u64,
    pub jpeg: Vec<u8>,
    /// From the frame's submission to its return.
    pub latency: Duration,
}

/// What a finished session did.
#[derive(Clone, Debug)]
pub struct Summary {
    pub frames: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    pub mapping: Mapping,
    pub reconstructor: ReconstructorReport,
    /// Parameter changes: (first frame, name, value).
    pub changes: Vec<(u64, String, String)>,
}

impl Summary {
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile (0-100) of the per-frame latency.
    pub fn latency_percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    pub fn processors(&self) -> &[ProcessorReport] {
        &self.reconstructor.processors
    }
}

/// A running effects session embedded in this process.
pub struct Engine {
    session: Session,
    keys: Keys,
    params: Arc<Vec<ParamDecl>>,
    clock: FrameClock,
    mapping: Mapping,
    payloaders: Vec<JpegPayloader>,
    /// Per group, per input.
    feed_in: Vec<Vec<Publisher<'static>>>,
    /// Per group.
    feed_ctl: Vec<Publisher<'static>>,
    out: Subscriber<FifoChannelHandler<Sample>>,
    control: Subscriber<FifoChannelHandler<Sample>>,
    _programs: Queryable<()>,
    threads: Vec<JoinHandle<Result<(), ClusterError>>>,
    window: usize,
    next: u64,
    in_flight: BTreeMap<u64, Instant>,
    ready: VecDeque<Finished>,
    latencies: Vec<Duration>,
    changes: Vec<(u64, String, String)>,
    end: Option<ReconstructorReport>,
    started: Instant,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("keys", &self.keys)
            .field("mapping", &self.mapping)
            .field("next", &self.next)
            .finish()
    }
}

fn fabric<E: std::fmt::Display>(e: E) -> ClusterError {
    ClusterError::Fabric(e.to_string())
}

impl Engine {
    /// Maps the effect for inputs of these geometries and coded sizes,
    /// starts the roles and waits until all are alive.
    pub fn start(
        config: EngineConfig,
        geometries: &[FrameGeometry],
        input_bytes: &[usize],
    ) -> Result<Engine, ClusterError> {
        let session = open_in_process()?;
        Engine::start_on(session, config, geometries, input_bytes)
    }

    /// [`Engine::start`] on an open session.
    pub fn start_on(
        session: Session,
        config: EngineConfig,
        geometries: &[FrameGeometry],
        input_bytes: &[usize],
    ) -> Result<Engine, ClusterError> {
        let keys = Keys::new(&config.session)?;
        let graph = config.graph;
        graph.validate().map_err(ClusterError::Param)?;
        let mapping = mapper::map(
            &graph,
            geometries,
            input_bytes,
            config.processors,
            config.mode,
            &config.cost,
        )?;
        tracing::info!("{}", mapping.explanation);
        let subs = mapper::subprograms(&graph, &mapping);
        let mut documents: HashMap<String, Vec<u8>> = HashMap::new();
        for sub in subs {
            let key = keys.program(sub.processor);
            // Whole frames are finished where they are rendered: the
            // encoder runs in parallel and nothing is merged.
            let emit = if mapping.per_group == 1 {
                tessera_runtime::processor::Emit::Jpeg {
                    quality: config.quality,
                }
            } else {
                tessera_runtime::processor::Emit::Sc
            };
            let program = ProcessorProgram {
                sub,
                emit,
                rate_num: config.rate.num,
                rate_den: config.rate.den,
            };
            documents.insert(key, serde_json::to_vec(&program).map_err(fabric)?);
        }
        let recon = ReconstructorProgram {
            groups: mapping.groups,
            processors: config.processors,
            quality: config.quality,
            rate_num: config.rate.num,
            rate_den: config.rate.den,
        };
        documents.insert(
            keys.reconstructor_program(),
            serde_json::to_vec(&recon).map_err(fabric)?,
        );
        let programs = session
            .declare_queryable(keys.programs())
            .callback(move |query| {
                if let Some(doc) = documents.get(query.key_expr().as_str())
                    && let Err(e) = query.reply(query.key_expr().clone(), doc.clone()).wait()
                {
                    tracing::warn!("program reply: {e}");
                }
            })
            .wait()
            .map_err(fabric)?;
        let out = session
            .declare_subscriber(keys.out_all())
            .with(FifoChannel::new(config.window + 16))
            .wait()
            .map_err(fabric)?;
        let control = session
            .declare_subscriber(keys.control())
            .with(FifoChannel::new(1024))
            .wait()
            .map_err(fabric)?;
        let mut threads = Vec::new();
        for index in 0..config.processors {
            let (s, k) = (session.clone(), keys.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("fx-processor-{index}"))
                    .spawn(move || run_processor(s, k, index))
                    .map_err(fabric)?,
            );
        }
        let (s, k) = (session.clone(), keys.clone());
        threads.push(
            std::thread::Builder::new()
                .name("fx-reconstructor".into())
                .spawn(move || run_reconstructor(s, k))
                .map_err(fabric)?,
        );
        // Every role alive (subscribed) before the first packet.
        let deadline = Instant::now() + STARTUP_WAIT;
        loop {
            let replies = session
                .liveliness()
                .get(keys.alive_all())
                .wait()
                .map_err(fabric)?;
            let mut alive = 0;
            while let Ok(reply) = replies.recv() {
                alive += usize::from(reply.result().is_ok());
            }
            if alive > config.processors {
                break;
            }
            if let Some(done) = threads.iter().position(|t| t.is_finished()) {
                let result = threads.remove(done).join();
                return Err(match result {
                    Ok(Err(e)) => e,
                    _ => ClusterError::Fabric("a role stopped while starting".into()),
                });
            }
            if Instant::now() > deadline {
                return Err(ClusterError::Fabric(format!(
                    "{alive} of {} roles came alive",
                    config.processors + 1
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut feed_in = Vec::new();
        let mut feed_ctl = Vec::new();
        for group in 0..mapping.groups {
            let mut inputs = Vec::new();
            for i in 0..graph.inputs.len() {
                inputs.push(
                    session
                        .declare_publisher(keys.feed_input(group, i))
                        .wait()
                        .map_err(fabric)?,
                );
            }
            feed_in.push(inputs);
            feed_ctl.push(
                session
                    .declare_publisher(keys.feed_control(group))
                    .wait()
                    .map_err(fabric)?,
            );
        }
        let mut payloaders = Vec::new();
        for i in 0..graph.inputs.len() {
            payloaders.push(
                JpegPayloader::new(JpegPayloaderConfig::new(0x1a9e_0000 ^ i as u32))
                    .map_err(|e| ClusterError::Input(e.to_string()))?,
            );
        }
        Ok(Engine {
            params: Arc::new(graph.params.clone()),
            clock: FrameClock::new(config.rate),
            mapping,
            payloaders,
            feed_in,
            feed_ctl,
            out,
            control,
            _programs: programs,
            threads,
            window: config.window.max(1),
            next: 0,
            in_flight: BTreeMap::new(),
            ready: VecDeque::new(),
            latencies: Vec::new(),
            changes: Vec::new(),
            end: None,
            started: Instant::now(),
            session,
            keys,
        })
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// A handle that changes parameters while the engine runs.
    pub fn control(&self) -> ControlHandle {
        ControlHandle {
            session: self.session.clone(),
            key: self.keys.control(),
            params: self.params.clone(),
        }
    }

    /// Frames submitted so far.
    pub fn submitted(&self) -> u64 {
        self.next
    }

    /// Feeds one aligned frame (its `frame` number is replaced by the
    /// engine's count) that arrived at `arrival`; returns output frames
    /// that are done, in order. Blocks while the window is full.
    pub fn submit(
        &mut self,
        frame: &AlignedFrame,
        arrival: Instant,
    ) -> Result<Vec<Finished>, ClusterError> {
        let n = self.next;
        if frame.inputs.len() != self.payloaders.len() {
            return Err(ClusterError::Input(format!(
                "{} input frames for {} inputs",
                frame.inputs.len(),
                self.payloaders.len()
            )));
        }
        self.apply_control(n)?;
        let timestamp = self.clock.timestamp(n);
        let group = (n % self.feed_in.len() as u64) as usize;
        for (i, jpeg) in frame.inputs.iter().enumerate() {
            let packets = self.payloaders[i]
                .packetize(jpeg, timestamp)
                .map_err(|e| ClusterError::Input(format!("input {i}, frame {n}: {e}")))?;
            for p in packets {
                self.feed_in[group][i].put(p).wait().map_err(fabric)?;
            }
        }
        self.in_flight.insert(n, arrival);
        self.next += 1;
        self.collect(false)?;
        while self.in_flight.len() >= self.window && self.end.is_none() {
            self.collect(true)?;
        }
        Ok(self.ready.drain(..).collect())
    }

    /// Output frames done so far, without feeding anything.
    pub fn poll(&mut self) -> Result<Vec<Finished>, ClusterError> {
        self.collect(false)?;
        Ok(self.ready.drain(..).collect())
    }

    /// Publishes the parameter changes requested so far, from frame `n`
    /// (or their own later frame) on.
    fn apply_control(&mut self, n: u64) -> Result<(), ClusterError> {
        while let Ok(Some(sample)) = self.control.try_recv() {
            let Ok(request) =
                serde_json::from_slice::<ControlRequest>(&sample.payload().to_bytes())
            else {
                continue;
            };
            let Some(decl) = self.params.get(request.param) else {
                continue;
            };
            if decl.check(&request.value).is_err() {
                continue;
            }
            let from = request.at.map_or(n, |at| at.max(n));
            let shown = match &request.value {
                ParamValue::Number(v) => v.to_string(),
                ParamValue::Text(t) => format!("{t:?}"),
                ParamValue::Color(c) => format!("rgba({}, {}, {}, {})", c.r, c.g, c.b, c.a),
            };
            tracing::info!("parameter {} = {shown} from frame {from}", decl.name);
            self.changes.push((from, decl.name.clone(), shown));
            let control = Control::Set(ParamChange {
                from,
                param: request.param,
                value: request.value,
            });
            self.broadcast(&control)?;
        }
        Ok(())
    }

    /// Sends a control message to every group, in order with its frames.
    fn broadcast(&self, control: &Control) -> Result<(), ClusterError> {
        let json = serde_json::to_vec(control).map_err(fabric)?;
        for publisher in &self.feed_ctl {
            publisher.put(json.clone()).wait().map_err(fabric)?;
        }
        Ok(())
    }

    /// Takes output messages; with `block`, waits for at least one.
    fn collect(&mut self, block: bool) -> Result<(), ClusterError> {
        let mut first = block;
        loop {
            let sample = if first {
                first = false;
                match self.out.recv_timeout(Duration::from_secs(60)) {
                    Ok(Some(s)) => s,
                    Ok(None) => {
                        return Err(ClusterError::Fabric(
                            "no output for 60 s: a role has stopped".into(),
                        ));
                    }
                    Err(e) => return Err(fabric(e)),
                }
            } else {
                match self.out.try_recv() {
                    Ok(Some(s)) => s,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(fabric(e)),
                }
            };
            match self.keys.relative(sample.key_expr().as_str()) {
                Some("out/frame") => {
                    let frame = sample
                        .attachment()
                        .and_then(|a| <[u8; 8]>::try_from(a.to_bytes().as_ref()).ok())
                        .map(u64::from_be_bytes);
                    let Some(frame) = frame else { continue };
                    let latency = self
                        .in_flight
                        .remove(&frame)
                        .map_or(Duration::ZERO, |t| t.elapsed());
                    self.latencies.push(latency);
                    self.ready.push_back(Finished {
                        frame,
                        jpeg: sample.payload().to_bytes().into_owned(),
                        latency,
                    });
                }
                Some("out/end") => {
                    let report =
                        serde_json::from_slice(&sample.payload().to_bytes()).unwrap_or_default();
                    self.end = Some(report);
                }
                _ => {}
            }
        }
    }

    /// Ends the feed, waits for the last frames and the roles, and sums up.
    pub fn finish(mut self) -> Result<(Vec<Finished>, Summary), ClusterError> {
        self.broadcast(&Control::End { frames: self.next })?;
        while self.end.is_none() {
            self.collect(true)?;
        }
        self.collect(false)?;
        for t in self.threads.drain(..) {
            match t.join() {
                Ok(result) => result?,
                Err(_) => return Err(ClusterError::Fabric("a role panicked".into())),
            }
        }
        let rest: Vec<Finished> = self.ready.drain(..).collect();
        let summary = Summary {
            frames: self.latencies.len() as u64,
            elapsed: self.started.elapsed(),
            latencies: std::mem::take(&mut self.latencies),
            mapping: self.mapping.clone(),
            reconstructor: self.end.take().unwrap_or_default(),
            changes: std::mem::take(&mut self.changes),
        };
        Ok((rest, summary))
    }
}
