//! The FX mapper: splits an effect over N processors.
//!
//! Processors are arranged in `groups` of `per_group` processors. Group
//! `g` computes the output frames `f` with `f % groups == g` (temporal
//! parallelism: frames dealt out); inside a group each processor owns one
//! horizontal band of every frame on the MCU grid (spatial parallelism).
//! `temporal` is N groups of 1, `spatial` 1 group of N, `hybrid` anything
//! between. Every processor still decodes its inputs in full; a band only
//! limits which pixels it computes (and, through [`input_demand`], which
//! input blocks it transforms back to pixels).

use serde::{Deserialize, Serialize};
use tessera_sc::{FrameGeometry, Region};

use crate::analysis::{Domain, analyze};
use crate::error::FxError;
use crate::eval::{Rect, input_demand};
use crate::expr::{Env, ParamValue};
use crate::graph::Graph;

/// How the user asked for the work to be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Temporal,
    Spatial,
    /// Groups over frames, bands inside a group; `groups: None` picks the
    /// most square split of the processors.
    Hybrid {
        groups: Option<usize>,
    },
    /// Chosen by the cost model.
    Auto,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text {
            "temporal" => Ok(Mode::Temporal),
            "spatial" => Ok(Mode::Spatial),
            "hybrid" => Ok(Mode::Hybrid { groups: None }),
            "auto" => Ok(Mode::Auto),
            _ => match text.strip_prefix("hybrid:").map(str::parse::<usize>) {
                Some(Ok(groups)) if groups > 0 => Ok(Mode::Hybrid {
                    groups: Some(groups),
                }),
                _ => Err(format!(
                    "unknown mode `{text}` (temporal, spatial, hybrid, hybrid:GROUPS or auto)"
                )),
            },
        }
    }
}

/// Per-frame cost estimates, in milliseconds of one core, that `auto`
/// weighs. The defaults come from `cargo bench -p tessera-fx` and the JPEG
/// benchmarks on a 2-core x86-64 (AVX2) machine; callers may pass measured
/// ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    /// Entropy decoding per input frame, per million coded bytes.
    pub decode_ms_per_mbyte: f64,
    /// One operator of a fused per-pixel pass, per million output pixels.
    pub pixel_op_ms_per_mpixel: f64,
    /// One DCT-domain operator, per million output pixels.
    pub dct_op_ms_per_mpixel: f64,
    /// Inverse plus forward DCT at the pixel-domain boundary, per million
    /// pixels.
    pub transform_ms_per_mpixel: f64,
    /// The output frame rate to sustain (frames/s); `auto` prefers the
    /// lowest latency that still meets it.
    pub target_fps: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            decode_ms_per_mbyte: 12.0,
            pixel_op_ms_per_mpixel: 2.5,
            dct_op_ms_per_mpixel: 0.4,
            transform_ms_per_mpixel: 1.6,
            target_fps: 25.0,
        }
    }
}

/// One processor's share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub processor: usize,
    pub group: usize,
    /// Band of every frame of its group, luma pixels `[x, y, width, height]`
    /// on the MCU grid.
    pub region: [u16; 4],
    /// For each input, the rectangle this band reads (at frame 0 with the
    /// default parameters; warps move it when their operands change).
    pub input_regions: Vec<Option<Rect>>,
}

impl Assignment {
    pub fn region(&self) -> Region {
        let [x, y, width, height] = self.region;
        Region {
            x,
            y,
            width,
            height,
        }
    }
}

/// The result of mapping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// The mode actually used (never `Auto`).
    pub mode: Mode,
    pub groups: usize,
    pub per_group: usize,
    pub assignments: Vec<Assignment>,
    /// One line saying why, for the log.
    pub explanation: String,
}

/// What one processor runs: the whole graph, which frames, which band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subprogram {
    pub processor: usize,
    /// Frames `f` with `f % groups == group`.
    pub group: usize,
    pub groups: usize,
    /// Processors in this group (the reconstructor waits for all bands).
    pub per_group: usize,
    pub region: [u16; 4],
    pub input_regions: Vec<Option<Rect>>,
    pub graph: Graph,
}

impl Subprogram {
    pub fn region(&self) -> Region {
        let [x, y, width, height] = self.region;
        Region {
            x,
            y,
            width,
            height,
        }
    }

    /// Whether this processor computes output frame `frame`.
    pub fn handles(&self, frame: u64) -> bool {
        frame % self.groups as u64 == self.group as u64
    }
}

/// A split of `processors` into `groups` x `per_group` and its estimated
/// per-frame cost.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Candidate {
    groups: usize,
    per_group: usize,
    /// Milliseconds from a frame's arrival to its last band.
    latency_ms: f64,
    fps: f64,
}

/// Estimated per-frame work of `graph`: (decode ms, divisible effect ms).
fn frame_cost(
    graph: &Graph,
    inputs: &[FrameGeometry],
    input_bytes: &[usize],
    cost: &CostModel,
) -> (f64, f64) {
    let analysis = analyze(graph, Some(inputs));
    let out = inputs[0];
    let mpixels = f64::from(out.true_width) * f64::from(out.true_height) / 1e6;
    let decode: f64 = input_bytes
        .iter()
        .map(|&b| b as f64 / 1e6 * cost.decode_ms_per_mbyte)
        .sum();
    let mut effect = 0.0;
    let mut any_pixel = false;
    for domain in &analysis.domain {
        match domain {
            Domain::Dct => effect += cost.dct_op_ms_per_mpixel * mpixels,
            Domain::Pixel => {
                any_pixel = true;
                effect += cost.pixel_op_ms_per_mpixel * mpixels;
            }
        }
    }
    if any_pixel {
        effect += cost.transform_ms_per_mpixel * mpixels;
    }
    (decode, effect)
}

fn candidates(processors: usize, decode: f64, effect: f64) -> Vec<Candidate> {
    (1..=processors)
        .filter(|g| processors.is_multiple_of(*g))
        .map(|groups| {
            let per_group = processors / groups;
            // Every member decodes the inputs in full; the effect splits.
            let latency_ms = decode + effect / per_group as f64;
            Candidate {
                groups,
                per_group,
                latency_ms,
                fps: groups as f64 * 1000.0 / latency_ms.max(1e-6),
            }
        })
        .collect()
}

/// The most square split: the largest divisor of `n` not above its square
/// root, as groups.
fn square_groups(n: usize) -> usize {
    (1..=n)
        .filter(|g| n.is_multiple_of(*g) && g * g <= n)
        .max()
        .unwrap_or(1)
}

/// Maps `graph` onto `processors` processors for inputs of the given
/// geometries and coded sizes (bytes per frame, for the cost model).
pub fn map(
    graph: &Graph,
    inputs: &[FrameGeometry],
    input_bytes: &[usize],
    processors: usize,
    mode: Mode,
    cost: &CostModel,
) -> Result<Mapping, FxError> {
    if processors == 0 {
        return Err(FxError::Mapping("at least one processor is needed".into()));
    }
    if inputs.len() != graph.inputs.len() {
        return Err(FxError::Mapping(format!(
            "the effect has {} inputs, {} were given",
            graph.inputs.len(),
            inputs.len()
        )));
    }
    let output = inputs[0];
    let mcu_rows = (output.bh() / u32::from(output.v_sub)) as usize;
    let (groups, explanation) = match mode {
        Mode::Temporal => (processors, format!("temporal: {processors} groups of 1")),
        Mode::Spatial => (1, format!("spatial: 1 group of {processors}")),
        Mode::Hybrid { groups } => {
            let g = groups.unwrap_or_else(|| square_groups(processors));
            if !processors.is_multiple_of(g) {
                return Err(FxError::Mapping(format!(
                    "{processors} processors do not split into {g} equal groups"
                )));
            }
            (g, format!("hybrid: {g} groups of {}", processors / g))
        }
        Mode::Auto => {
            let (decode, effect) = frame_cost(graph, inputs, input_bytes, cost);
            let all = candidates(processors, decode, effect);
            let meeting: Vec<&Candidate> =
                all.iter().filter(|c| c.fps >= cost.target_fps).collect();
            let chosen = if meeting.is_empty() {
                all.iter()
                    .max_by(|a, b| a.fps.total_cmp(&b.fps))
                    .copied()
                    .unwrap_or(all[0])
            } else {
                **meeting
                    .iter()
                    .min_by(|a, b| a.latency_ms.total_cmp(&b.latency_ms))
                    .unwrap_or(&meeting[0])
            };
            let options: Vec<String> = all
                .iter()
                .map(|c| {
                    format!(
                        "{}x{} {:.0} fps {:.1} ms",
                        c.groups, c.per_group, c.fps, c.latency_ms
                    )
                })
                .collect();
            let why = if meeting.is_empty() {
                "none meets it: highest throughput"
            } else {
                "lowest latency that meets it"
            };
            (
                chosen.groups,
                format!(
                    "auto: per frame decode {decode:.1} ms + effect {effect:.1} ms; groups x band: {}; target {} fps -> {}x{} ({why})",
                    options.join(", "),
                    cost.target_fps,
                    chosen.groups,
                    chosen.per_group
                ),
            )
        }
    };
    let per_group = processors / groups;
    if per_group > mcu_rows {
        return Err(FxError::Mapping(format!(
            "{per_group} bands per frame but the {}x{} output has only {mcu_rows} MCU rows",
            output.true_width, output.true_height
        )));
    }
    let resolved = match (groups, per_group) {
        (_, 1) => Mode::Temporal,
        (1, _) => Mode::Spatial,
        (g, _) => Mode::Hybrid { groups: Some(g) },
    };
    let bands = output.bands(per_group);
    let graph_defaults: Vec<ParamValue> = graph.default_params();
    let env = Env {
        frame: 0,
        t: 0.0,
        params: &graph_defaults,
    };
    let mut assignments = Vec::with_capacity(processors);
    for group in 0..groups {
        for band in &bands {
            assignments.push(Assignment {
                processor: assignments.len(),
                group,
                region: [band.x, band.y, band.width, band.height],
                input_regions: input_demand(graph, inputs, &env, *band),
            });
        }
    }
    Ok(Mapping {
        mode: resolved,
        groups,
        per_group,
        assignments,
        explanation,
    })
}

/// One subprogram per processor of `mapping`.
pub fn subprograms(graph: &Graph, mapping: &Mapping) -> Vec<Subprogram> {
    mapping
        .assignments
        .iter()
        .map(|a| Subprogram {
            processor: a.processor,
            group: a.group,
            groups: mapping.groups,
            per_group: mapping.per_group,
            region: a.region,
            input_regions: a.input_regions.clone(),
            graph: graph.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;
    use crate::graph::{Node, NodeId, Op, Pos};
    use tessera_core::ChromaFormat;

    fn dissolve() -> Graph {
        let node = |op| Node {
            op,
            origin: "test".into(),
            pos: Pos::default(),
        };
        Graph {
            inputs: vec!["a".into(), "b".into()],
            params: vec![],
            nodes: vec![
                node(Op::Source { input: 0 }),
                node(Op::Source { input: 1 }),
                node(Op::Mix {
                    a: NodeId(0),
                    b: NodeId(1),
                    amount: Expr::Const(0.5),
                }),
            ],
            output: NodeId(2),
        }
    }

    fn hd() -> FrameGeometry {
        FrameGeometry::for_format(1920, 1080, ChromaFormat::Yuv420).unwrap()
    }

    #[test]
    fn modes_split_processors() {
        let g = dissolve();
        let inputs = [hd(), hd()];
        let cost = CostModel::default();
        let t = map(&g, &inputs, &[200_000; 2], 4, Mode::Temporal, &cost).unwrap();
        assert_eq!((t.groups, t.per_group, t.mode), (4, 1, Mode::Temporal));
        assert!(t.assignments.iter().all(|a| a.region == [0, 0, 1920, 1088]));
        let s = map(&g, &inputs, &[200_000; 2], 4, Mode::Spatial, &cost).unwrap();
        assert_eq!((s.groups, s.per_group), (1, 4));
        let heights: u32 = s.assignments.iter().map(|a| u32::from(a.region[3])).sum();
        assert_eq!(heights, 1088);
        let h = map(
            &g,
            &inputs,
            &[200_000; 2],
            4,
            Mode::Hybrid { groups: None },
            &cost,
        )
        .unwrap();
        assert_eq!((h.groups, h.per_group), (2, 2));
        let subs = subprograms(&g, &h);
        assert_eq!(subs.len(), 4);
        assert!(
            subs[2].handles(5) && !subs[2].handles(4) && subs[3].handles(7) && subs[0].handles(4)
        );
        assert!(
            map(
                &g,
                &inputs,
                &[0; 2],
                4,
                Mode::Hybrid { groups: Some(3) },
                &cost
            )
            .is_err()
        );
        assert!(map(&g, &inputs, &[0; 2], 0, Mode::Temporal, &cost).is_err());
    }

    #[test]
    fn auto_prefers_low_latency_that_meets_the_rate() {
        let g = dissolve();
        let inputs = [hd(), hd()];
        // Slow target: every split meets it, the lowest latency (spatial) wins.
        let relaxed = CostModel {
            target_fps: 1.0,
            ..CostModel::default()
        };
        let m = map(&g, &inputs, &[200_000; 2], 4, Mode::Auto, &relaxed).unwrap();
        assert_eq!(m.groups, 1, "{}", m.explanation);
        // Impossible target: the highest throughput (temporal) wins.
        let demanding = CostModel {
            target_fps: 1e6,
            ..CostModel::default()
        };
        let m = map(&g, &inputs, &[200_000; 2], 4, Mode::Auto, &demanding).unwrap();
        assert_eq!(m.groups, 4, "{}", m.explanation);
        assert!(m.explanation.starts_with("auto: per frame decode"));
    }

    #[test]
    fn modes_parse() {
        assert_eq!("hybrid:2".parse(), Ok(Mode::Hybrid { groups: Some(2) }));
        assert_eq!("auto".parse(), Ok(Mode::Auto));
        assert!("sideways".parse::<Mode>().is_err());
    }
}
