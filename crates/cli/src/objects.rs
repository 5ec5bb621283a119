//! Object-based MPEG-4: `tessera encode SCENE.y4m --object K=MASK ...`
//! (or `--labels LABELS.y4m`) codes each object of a scene as its own
//! elementary stream with binary shape, and `tessera compose MANIFEST`
//! puts the decoded objects back together.
//!
//! ```text
//! SCENE.y4m ----------+--> background (object 0, rectangular) --> DIR/object0.m4v
//! masks or labels ----+--> object K: VOP around its mask, BABs + texture --> DIR/objectK.m4v
//!                     \--> DIR/scene.json (scene size, rate, objects, z-order)
//! ```
//!
//! Objects are independent streams, so they are coded in parallel: each
//! frame, `--threads` workers (default: every core) share the objects. The background layer is Simple Profile,
//! playable anywhere; shaped layers are Core Profile (`video_object_type`
//! 3, binary shape), which common players do not decode, hence one stream
//! per object and the manifest.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tessera_container::scene::{MaskSource, SceneReader, SceneShapes, SceneSources, ShapePlanes};
use tessera_container::y4m::{Y4mHeader, Y4mWriter};
use tessera_core::{ChromaFormat, Frame, Limits, Plane, Rational};
use tessera_mpeg4::decoder::Decoder;
use tessera_mpeg4::encoder::{Encoder, EncoderConfig};
use tessera_mpeg4::header::Shape;
use tessera_mpeg4::shape::vop::draw;

use crate::encode;

/// Name of the manifest in the output folder.
pub const MANIFEST: &str = "scene.json";

/// The scene manifest: what `compose` needs to put the objects back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub width: usize,
    pub height: usize,
    /// Frame rate as `NUM/DEN`.
    pub frame_rate: String,
    pub frames: u64,
    /// Drawn in increasing `z`.
    pub objects: Vec<ManifestObject>,
}

/// One object of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestObject {
    /// `video_object_id` of its stream (0 the background).
    pub id: u8,
    /// The elementary stream, relative to the manifest.
    pub stream: String,
    /// `rectangular`, `binary` or `binary-only`.
    pub shape: String,
    pub z: u32,
}

/// How to code a scene's objects.
#[derive(Debug, Clone)]
pub struct SceneOptions {
    /// Quantiser, GOP, motion search, ... shared by every object.
    pub base: encode::Options,
    /// Lossy shape: largest 4x4 error sum (samples as 0/255) per BAB
    /// block; 0 is lossless.
    pub alpha_threshold: u32,
    /// Objects coded as shape alone (no texture).
    pub binary_only: Vec<u8>,
    /// Code the background (the whole scene) as object 0.
    pub background: bool,
    /// Objects coded at the same time (1: one after the other, which
    /// makes the per-object frames/s a clean measure).
    pub threads: usize,
}

/// The objects and where their shapes come from, from the command line.
#[derive(Debug, Clone)]
pub enum ObjectShapes {
    /// `--object K=MASK` pairs.
    Masks(Vec<(u8, MaskSource)>),
    /// `--labels FILE`: objects are the label values present.
    Labels(PathBuf),
}

/// Parses `K=MASK` (`--object`): an object id 1-31 and a Y4M mask or a
/// PGM sequence pattern (`mask_%03d.pgm`, numbered from 0 or, when no
/// file 0 exists, from 1).
pub fn parse_object(arg: &str) -> Result<(u8, MaskSource), String> {
    let (k, path) = arg
        .split_once('=')
        .ok_or_else(|| format!("--object {arg:?}: expected K=MASK, e.g. 1=mask1.y4m"))?;
    let k: u8 = k
        .trim()
        .parse()
        .ok()
        .filter(|k| (1..=31).contains(k))
        .ok_or_else(|| format!("--object {arg:?}: the object id is 1-31 (0 is the background)"))?;
    let source = if path.contains('%') {
        let first = u64::from(!Path::new(&pgm_name(path, 0)).exists());
        MaskSource::PgmSequence {
            pattern: path.to_string(),
            first,
        }
    } else {
        MaskSource::Y4m(PathBuf::from(path))
    };
    Ok((k, source))
}

/// The file a printf-style `%d` pattern names for `n` (for the first-file
/// probe only; the scene reader does the real expansion).
fn pgm_name(pattern: &str, n: u64) -> String {
    let Some(i) = pattern.find('%') else {
        return pattern.to_string();
    };
    let rest = &pattern[i + 1..];
    let spec_len = rest.find('d').map_or(0, |d| d + 1);
    let width: usize = rest[..spec_len.saturating_sub(1)]
        .trim_start_matches('0')
        .parse()
        .unwrap_or(0);
    let zero = rest.starts_with('0');
    let number = if zero {
        format!("{n:0width$}")
    } else {
        format!("{n:width$}")
    };
    format!("{}{}{}", &pattern[..i], number, &rest[spec_len..])
}

/// Figures of one coded object.
#[derive(Debug, Clone, Default)]
pub struct ObjectSummary {
    pub id: u8,
    pub shape: &'static str,
    pub vops: u64,
    /// VOPs with the object present (coded).
    pub coded: u64,
    pub bits: u64,
    pub shape_bits: u64,
    pub motion_bits: u64,
    /// Squared error and samples inside the shape, per plane.
    pub sse: [u64; 3],
    pub samples: [u64; 3],
    /// Luma samples whose decoded shape differs from the input's.
    pub shape_errors: u64,
    pub seconds: f64,
}

impl ObjectSummary {
    /// Texture, headers and macroblock modes: what is neither shape nor
    /// motion.
    pub fn texture_bits(&self) -> u64 {
        self.bits - self.shape_bits - self.motion_bits
    }

    pub fn psnr(&self, plane: usize) -> f64 {
        if self.sse[plane] == 0 {
            100.0
        } else {
            10.0 * (255.0 * 255.0 * self.samples[plane] as f64 / self.sse[plane] as f64).log10()
        }
    }
}

impl fmt::Display for ObjectSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |b: u64| 100.0 * b as f64 / self.bits.max(1) as f64;
        write!(
            f,
            "object {} ({}): {} VOPs ({} coded), {} bits: shape {} ({:.1}%), motion {} ({:.1}%), \
             texture and headers {} ({:.1}%); PSNR inside the shape Y {:.2} U {:.2} V {:.2} dB; \
             shape error {} samples; {:.1} frames/s",
            self.id,
            self.shape,
            self.vops,
            self.coded,
            self.bits,
            self.shape_bits,
            pct(self.shape_bits),
            self.motion_bits,
            pct(self.motion_bits),
            self.texture_bits(),
            pct(self.texture_bits()),
            self.psnr(0),
            self.psnr(1),
            self.psnr(2),
            self.shape_errors,
            self.vops as f64 / self.seconds.max(1e-9),
        )
    }
}

/// What a scene encode did.
#[derive(Debug, Clone)]
pub struct SceneSummary {
    pub manifest: PathBuf,
    pub width: usize,
    pub height: usize,
    pub rate: Rational,
    pub frames: u64,
    pub objects: Vec<ObjectSummary>,
    pub seconds: f64,
}

impl fmt::Display for SceneSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits: u64 = self.objects.iter().map(|o| o.bits).sum();
        writeln!(
            f,
            "{}: {} frames {}x{} at {} fps, {} objects, {} bits ({:.1} kbit/s), {:.2} s",
            self.manifest.display(),
            self.frames,
            self.width,
            self.height,
            self.rate,
            self.objects.len(),
            bits,
            bits as f64 * self.rate.as_f64() / self.frames.max(1) as f64 / 1000.0,
            self.seconds,
        )?;
        for (i, o) in self.objects.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {o}")?;
        }
        Ok(())
    }
}

struct ObjectCoder {
    id: u8,
    shape: Shape,
    encoder: Encoder,
    out: BufWriter<File>,
    summary: ObjectSummary,
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Rectangular => "rectangular",
        Shape::Binary => "binary",
        Shape::BinaryOnly => "binary-only",
    }
}

/// Codes the objects of a scene into `dir`: one `objectK.m4v` per object
/// and the manifest.
pub fn encode_scene(
    video: &Path,
    shapes: &ObjectShapes,
    dir: &Path,
    options: &SceneOptions,
) -> Result<SceneSummary> {
    let limits = Limits::default();
    let (sources, ids) = match shapes {
        ObjectShapes::Masks(list) => {
            let mut seen = Vec::new();
            for (k, _) in list {
                if seen.contains(k) {
                    bail!("--object {k} is given twice");
                }
                seen.push(*k);
            }
            (
                SceneSources {
                    video: video.to_path_buf(),
                    shapes: SceneShapes::Masks(list.iter().map(|(_, m)| m.clone()).collect()),
                },
                seen,
            )
        }
        ObjectShapes::Labels(path) => {
            let sources = SceneSources {
                video: video.to_path_buf(),
                shapes: SceneShapes::Labels {
                    path: path.clone(),
                    objects: 31,
                },
            };
            // A first pass checks every frame and finds the objects.
            let found = tessera_container::scene::validate(&sources, limits)
                .with_context(|| format!("checking {}", path.display()))?;
            let ids: Vec<u8> = (1..=31u8)
                .filter(|&k| found.present[usize::from(k) - 1] > 0)
                .collect();
            (sources, ids)
        }
    };
    for k in &options.binary_only {
        if !ids.contains(k) {
            bail!("--binary-only {k}: there is no object {k}");
        }
    }
    let mut reader = SceneReader::open(&sources, limits)?;
    let header = reader.header().clone();
    let (width, height, rate) = (header.width, header.height, header.rate);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut coders = Vec::new();
    let mut manifest = Manifest {
        width,
        height,
        frame_rate: format!("{}/{}", rate.num, rate.den),
        frames: 0,
        objects: Vec::new(),
    };
    let layers = options
        .background
        .then_some((0u8, Shape::Rectangular))
        .into_iter()
        .chain(ids.iter().map(|&k| {
            let shape = if options.binary_only.contains(&k) {
                Shape::BinaryOnly
            } else {
                Shape::Binary
            };
            (k, shape)
        }));
    for (id, shape) in layers {
        let mut cfg: EncoderConfig = options.base.encoder_config(width, height, rate);
        cfg.shape = shape;
        cfg.object_id = id;
        cfg.alpha_threshold = options.alpha_threshold;
        if shape != Shape::Rectangular {
            cfg.threads = 1;
            cfg.packets = tessera_mpeg4::encoder::Packets::Off;
            cfg.data_partitioned = false;
        }
        let encoder = Encoder::new(cfg).with_context(|| format!("object {id}"))?;
        let name = format!("object{id}.m4v");
        let path = dir.join(&name);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::new(file);
        out.write_all(&encoder.headers())?;
        manifest.objects.push(ManifestObject {
            id,
            stream: name,
            shape: shape_name(shape).into(),
            z: u32::from(id),
        });
        coders.push(ObjectCoder {
            id,
            shape,
            summary: ObjectSummary {
                id,
                shape: shape_name(shape),
                bits: encoder.headers().len() as u64 * 8,
                ..ObjectSummary::default()
            },
            encoder,
            out,
        });
    }
    let start = Instant::now();
    let mut frames = 0u64;
    while let Some(input) = reader.read_frame()? {
        if options.base.max_frames.is_some_and(|n| frames >= n) {
            break;
        }
        let frame = if input.frame.format == ChromaFormat::Yuv420 {
            input.frame
        } else {
            input.frame.with_format(ChromaFormat::Yuv420)
        };
        let masks: Vec<Option<Plane>> = coders
            .iter()
            .map(|c| match (&input.shapes, c.shape) {
                (_, Shape::Rectangular) => None,
                (ShapePlanes::Masks(m), _) => {
                    let i = ids.iter().position(|&k| k == c.id).expect("object listed");
                    Some(m[i].clone())
                }
                (ShapePlanes::Labels(l), _) => Some(label_mask(l, c.id)),
            })
            .collect();
        let frame = &frame;
        // Objects are independent: `threads` workers take a share each.
        let per = coders.len().div_ceil(options.threads.max(1));
        let results: Vec<Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = coders
                .chunks_mut(per)
                .zip(masks.chunks(per))
                .map(|(cs, ms)| {
                    s.spawn(move || {
                        cs.iter_mut()
                            .zip(ms)
                            .try_for_each(|(c, mask)| c.code(frame, mask.as_ref()))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| bail!("an object encoder panicked"))
                })
                .collect()
        });
        for r in results {
            r?;
        }
        frames += 1;
    }
    if frames == 0 {
        bail!("{}: no frames", video.display());
    }
    manifest.frames = frames;
    let mut objects = Vec::new();
    for mut c in coders {
        c.out
            .flush()
            .with_context(|| format!("writing object {}", c.id))?;
        objects.push(c.summary);
    }
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(&path, text + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(SceneSummary {
        manifest: path,
        width,
        height,
        rate,
        frames,
        objects,
        seconds: start.elapsed().as_secs_f64(),
    })
}

impl ObjectCoder {
    fn code(&mut self, frame: &Frame, mask: Option<&Plane>) -> Result<()> {
        let t = Instant::now();
        let vop = match mask {
            None => self.encoder.encode(frame),
            Some(m) => self.encoder.encode_object(frame, m),
        }
        .with_context(|| format!("object {}", self.id))?;
        self.summary.seconds += t.elapsed().as_secs_f64();
        self.out
            .write_all(&vop.data)
            .with_context(|| format!("writing object {}", self.id))?;
        let s = &mut self.summary;
        s.vops += 1;
        s.bits += vop.data.len() as u64 * 8;
        s.motion_bits += vop.stats.motion_bits;
        match &vop.shape {
            Some(shape) => {
                s.shape_bits += shape.shape_bits;
                s.shape_errors += shape.shape_errors;
                if shape.rect.is_some() {
                    s.coded += 1;
                }
                for p in 0..3 {
                    s.sse[p] += vop.sse[p];
                    s.samples[p] += shape.samples[p];
                }
            }
            None => {
                s.coded += 1;
                let (w, h) = (frame.width as u64, frame.height as u64);
                let chroma = (w / 2).max(1) * (h / 2).max(1);
                for p in 0..3 {
                    s.sse[p] += vop.sse[p];
                    s.samples[p] += if p == 0 { w * h } else { chroma };
                }
            }
        }
        Ok(())
    }
}

/// Object `k`'s mask from a label map.
fn label_mask(labels: &Plane, k: u8) -> Plane {
    let data = labels
        .to_packed()
        .iter()
        .map(|&l| if l == k { 255 } else { 0 })
        .collect();
    Plane::from_packed(labels.width, labels.height, data)
}

/// What `compose` writes.
#[derive(Debug, Clone)]
pub enum ComposeOutput {
    /// Every object over the background, in z-order.
    Scene,
    /// One object alone (over black).
    Object(u8),
    /// One object's decoded mask (luma 0 or 255, chroma 128).
    Alpha(u8),
}

/// Decodes the objects a manifest lists and writes the composed scene (or
/// one object, or its mask) as Y4M; returns a one-line summary.
pub fn compose(manifest_path: &Path, output: &Path, what: &ComposeOutput) -> Result<String> {
    let text = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a tessera scene manifest", manifest_path.display()))?;
    let rate: Rational = manifest
        .frame_rate
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: frame_rate: {e}", manifest_path.display()))?;
    let (w, h) = (manifest.width, manifest.height);
    let limits = Limits::default();
    if w == 0 || h == 0 || (w * h) as u64 > limits.max_pixels {
        bail!("{}: scene size {w}x{h}", manifest_path.display());
    }
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let mut objects: Vec<&ManifestObject> = manifest.objects.iter().collect();
    objects.sort_by_key(|o| o.z);
    let wanted = match what {
        ComposeOutput::Scene => None,
        ComposeOutput::Object(k) | ComposeOutput::Alpha(k) => Some(*k),
    };
    if let Some(k) = wanted {
        objects.retain(|o| o.id == k);
        if objects.is_empty() {
            bail!("{}: there is no object {k}", manifest_path.display());
        }
    }
    // Each stream is read whole (they are compressed) but decoded one VOP
    // per frame as the scene is written, so memory stays one frame per
    // object however long the scene.
    let mut data = Vec::new();
    for o in &objects {
        if o.stream.contains("..") || Path::new(&o.stream).is_absolute() {
            bail!(
                "{}: stream {:?} must lie beside the manifest",
                manifest_path.display(),
                o.stream
            );
        }
        let path = dir.join(&o.stream);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        data.push((path, o.shape == "binary-only", bytes));
    }
    let mut streams: Vec<_> = data
        .iter()
        .map(|(path, binary_only, bytes)| {
            (
                path,
                *binary_only,
                Decoder::new(limits),
                tessera_mpeg4::es::units(bytes),
            )
        })
        .collect();
    let file =
        File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
    let header = Y4mHeader::new(w, h, rate, ChromaFormat::Yuv420);
    let mut y4m = Y4mWriter::new(BufWriter::new(file), &header)?;
    for i in 0..manifest.frames {
        let mut scene = Frame::filled(w, h, ChromaFormat::Yuv420, [16, 128, 128]);
        if matches!(what, ComposeOutput::Alpha(_)) {
            scene = Frame::filled(w, h, ChromaFormat::Yuv420, [0, 128, 128]);
        }
        for (path, binary_only, decoder, units) in &mut streams {
            let vop = loop {
                let Some(unit) = units.next() else {
                    bail!(
                        "{}: {i} VOPs, the manifest says {} frames",
                        path.display(),
                        manifest.frames
                    );
                };
                if let Some(vop) = decoder
                    .push_unit(unit)
                    .with_context(|| format!("decoding {} (VOP {i})", path.display()))?
                {
                    break vop;
                }
            };
            match (&vop.shape, what) {
                (None, ComposeOutput::Alpha(_)) => {
                    scene.planes[0].data.fill(255);
                }
                (None, _) => {
                    for (dst, src) in scene.planes.iter_mut().zip(&vop.frame.planes) {
                        for y in 0..dst.height.min(src.height) {
                            let n = dst.width.min(src.width);
                            dst.row_mut(y)[..n].copy_from_slice(&src.row(y)[..n]);
                        }
                    }
                }
                (Some(shape), _) => {
                    let Some(rect) = shape.rect else { continue };
                    let alpha_only = matches!(what, ComposeOutput::Alpha(_));
                    if !alpha_only && *binary_only {
                        // Shape without texture: nothing to draw.
                        continue;
                    }
                    let texture = (!alpha_only).then_some(&vop.frame);
                    draw(&mut scene, texture, &rect, &shape.alpha);
                }
            }
        }
        y4m.write_frame(&scene)?;
    }
    y4m.flush()?;
    Ok(format!(
        "{} -> {}: {} frames {}x{} at {} fps, {} objects",
        manifest_path.display(),
        output.display(),
        manifest.frames,
        w,
        h,
        rate,
        streams.len()
    ))
}
