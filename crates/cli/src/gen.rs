//! `tessera gen scene`: writes a synthetic multi-object scene
//! ([`tessera_core::scene`]) with its exact shapes, as inputs for
//! object-based coding and its tests.
//!
//! ```text
//! DIR/scene.y4m     the 4:2:0 picture
//! DIR/objectK.y4m   object K's mask in luma (0 outside, 255 inside), chroma 128
//! DIR/labels.y4m    the label map in luma (0 background, K where object K is in front), chroma 128
//! ```
//!
//! [`tessera_container::scene`] reads them back and checks them.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tessera_container::y4m::{Y4mHeader, Y4mWriter};
use tessera_core::scene::{Scene, SceneSpec};
use tessera_core::{ChromaFormat, Frame, Plane};

/// Parses `WIDTHxHEIGHT` (for clap).
pub fn parse_size(size: &str) -> Result<(usize, usize), String> {
    size.split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
        .filter(|&(w, h): &(usize, usize)| w > 0 && h > 0)
        .ok_or_else(|| format!("invalid size {size:?}: expected WIDTHxHEIGHT, e.g. 352x288"))
}

/// The files [`scene`] writes into `dir`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneFiles {
    pub scene: PathBuf,
    /// Object `k`'s mask at index `k - 1`.
    pub objects: Vec<PathBuf>,
    pub labels: PathBuf,
}

impl SceneFiles {
    /// The names used in `dir`.
    pub fn in_dir(dir: &Path, objects: usize) -> SceneFiles {
        SceneFiles {
            scene: dir.join("scene.y4m"),
            objects: (1..=objects)
                .map(|k| dir.join(format!("object{k}.y4m")))
                .collect(),
            labels: dir.join("labels.y4m"),
        }
    }
}

/// Generates the scene `spec` describes into `dir` (created if missing)
/// and returns a one-line summary.
pub fn scene(dir: &Path, spec: &SceneSpec) -> Result<String> {
    let scene = Scene::new(*spec).context("cannot generate the scene")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files = SceneFiles::in_dir(dir, spec.objects);
    let header = Y4mHeader::new(spec.width, spec.height, spec.rate, ChromaFormat::Yuv420);
    let create = |path: &Path| -> Result<Y4mWriter<BufWriter<File>>> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Y4mWriter::new(BufWriter::new(file), &header)
            .with_context(|| format!("cannot write {}", path.display()))
    };
    let mut video = create(&files.scene)?;
    let mut masks = files
        .objects
        .iter()
        .map(|p| create(p))
        .collect::<Result<Vec<_>>>()?;
    let mut labels = create(&files.labels)?;
    let mut present = vec![0u32; spec.objects];
    // Mask and label frames share one frame whose luma is replaced.
    let mut shape = Frame::grey(spec.width, spec.height, ChromaFormat::Yuv420);
    let mut put = |writer: &mut Y4mWriter<_>, path: &Path, luma: &Plane| -> Result<()> {
        shape.planes[0].data.copy_from_slice(&luma.data);
        writer
            .write_frame(&shape)
            .with_context(|| format!("cannot write {}", path.display()))
    };
    for f in scene.frames() {
        video
            .write_frame(&f.frame)
            .with_context(|| format!("cannot write {}", files.scene.display()))?;
        for (k, (writer, mask)) in masks.iter_mut().zip(&f.masks).enumerate() {
            present[k] += u32::from(f.is_present(k + 1));
            put(writer, &files.objects[k], mask)?;
        }
        put(&mut labels, &files.labels, &f.labels)?;
    }
    for (writer, path) in [(video, &files.scene), (labels, &files.labels)]
        .into_iter()
        .chain(masks.into_iter().zip(&files.objects))
    {
        writer
            .into_inner()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let objects: Vec<String> = scene
        .objects()
        .iter()
        .zip(&present)
        .enumerate()
        .map(|(k, (o, n))| format!("{} {o} in {n}/{} frames", k + 1, spec.frames))
        .collect();
    Ok(format!(
        "{}: scene.y4m, {} masks, labels.y4m: {} frames {}x{} at {} fps, seed {}; objects: {}",
        dir.display(),
        spec.objects,
        spec.frames,
        spec.width,
        spec.height,
        spec.rate,
        spec.seed,
        if objects.is_empty() {
            "none".to_string()
        } else {
            objects.join(", ")
        }
    ))
}
