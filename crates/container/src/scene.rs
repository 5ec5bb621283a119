//! Scene inputs for object-based coding: a Y4M video plus the shapes of
//! its objects, read frame by frame and checked against each other.
//!
//! The shapes come either as one binary mask per object or as one label
//! map for all of them:
//!
//! | source | what it holds |
//! | --- | --- |
//! | [`MaskSource::Y4m`] | a Y4M whose luma is the mask (chroma is ignored) |
//! | [`MaskSource::PgmSequence`] | binary PGM files, one per frame, named by a printf-style pattern such as `mask1_%03d.pgm` |
//! | [`SceneShapes::Labels`] | one Y4M whose luma is the object index: 0 background, `k` object `k` |
//!
//! Every source must match the video: same picture size, same number of
//! frames, and for Y4M sources the same frame rate. Masks must be binary,
//! exactly 0 (outside) or 255 (inside): there is no thresholding, any
//! other value is an error naming the file, frame and sample position.
//! Label values must not exceed the declared object count. Every mismatch
//! is an [`Error::Scene`] naming the file (and frame where there is one).
//!
//! Memory: one frame of the video and one plane per mask are held at a
//! time; the readers check picture sizes against the [`Limits`], and one
//! frame with all its shape planes must fit `limits.max_bytes`.
//!
//! This is the input side of what [`tessera_core::scene`] generates
//! (`tessera gen scene` writes `scene.y4m`, `object1.y4m`, ... and
//! `labels.y4m`).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use tessera_core::{Frame, Limits, Plane, Rational};

use crate::error::{Error, Result};
use crate::pgm::read_pgm;
use crate::y4m::{Y4mHeader, Y4mReader};

/// Most objects a label map can name (0 is the background).
pub const MAX_OBJECTS: usize = 255;

/// Where one object's mask comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaskSource {
    /// A Y4M file whose luma plane is the mask.
    Y4m(PathBuf),
    /// Binary PGM files, frame `i` in the file the pattern names for
    /// number `first + i`. The pattern holds one `%d`, `%Nd` or `%0Nd`
    /// (`%%` is a literal `%`).
    PgmSequence { pattern: String, first: u64 },
}

/// The shapes of the objects of a scene.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SceneShapes {
    /// One mask per object, object `k` at index `k - 1`.
    Masks(Vec<MaskSource>),
    /// One Y4M label map naming `objects` objects.
    Labels { path: PathBuf, objects: usize },
}

/// A scene's video and shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneSources {
    pub video: PathBuf,
    pub shapes: SceneShapes,
}

/// The shapes of one frame, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapePlanes {
    /// Object `k`'s mask (0 or 255) at index `k - 1`.
    Masks(Vec<Plane>),
    /// Object index per luma sample.
    Labels(Plane),
}

/// One checked frame of a scene.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneInputFrame {
    pub index: u64,
    pub frame: Frame,
    pub shapes: ShapePlanes,
}

/// What [`validate`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneSummary {
    pub width: usize,
    pub height: usize,
    pub rate: Rational,
    pub frames: u64,
    pub objects: usize,
    /// For each object, in how many frames at least one sample is inside.
    pub present: Vec<u64>,
}

type FileY4m = Y4mReader<BufReader<File>>;

#[derive(Debug)]
enum MaskReader {
    Y4m { path: PathBuf, reader: FileY4m },
    Pgm { pattern: Pattern, first: u64 },
}

/// Reads a scene frame by frame, checking each against the video.
#[derive(Debug)]
pub struct SceneReader {
    video_path: PathBuf,
    video: FileY4m,
    masks: Vec<MaskReader>,
    labels: Option<(PathBuf, FileY4m, usize)>,
    limits: Limits,
    index: u64,
    done: bool,
}

impl SceneReader {
    /// Opens every file and checks the Y4M headers against the video's.
    pub fn open(sources: &SceneSources, limits: Limits) -> Result<SceneReader> {
        let video = open_y4m(&sources.video, limits)?;
        let header = video.header().clone();
        let objects = match &sources.shapes {
            SceneShapes::Masks(masks) => masks.len(),
            SceneShapes::Labels { objects, .. } => *objects,
        };
        if objects == 0 || objects > MAX_OBJECTS {
            return Err(Error::InvalidArgument(format!(
                "a scene needs 1 to {MAX_OBJECTS} objects, not {objects}"
            )));
        }
        let frame_bytes = header.width as u64 * header.height as u64;
        let shape_planes = match sources.shapes {
            SceneShapes::Masks(_) => objects as u64,
            SceneShapes::Labels { .. } => 1,
        };
        limits.check_bytes(header.frame_bytes() as u64 + shape_planes * frame_bytes)?;
        let mut masks = Vec::new();
        let mut labels = None;
        match &sources.shapes {
            SceneShapes::Masks(sources) => {
                for source in sources {
                    masks.push(match source {
                        MaskSource::Y4m(path) => {
                            let reader = open_y4m(path, limits)?;
                            check_header(path, reader.header(), &header)?;
                            MaskReader::Y4m {
                                path: path.clone(),
                                reader,
                            }
                        }
                        MaskSource::PgmSequence { pattern, first } => MaskReader::Pgm {
                            pattern: Pattern::parse(pattern)?,
                            first: *first,
                        },
                    });
                }
            }
            SceneShapes::Labels { path, objects } => {
                let reader = open_y4m(path, limits)?;
                check_header(path, reader.header(), &header)?;
                labels = Some((path.clone(), reader, *objects));
            }
        }
        Ok(SceneReader {
            video_path: sources.video.clone(),
            video,
            masks,
            labels,
            limits,
            index: 0,
            done: false,
        })
    }

    /// The video's header.
    pub fn header(&self) -> &Y4mHeader {
        self.video.header()
    }

    /// How many objects the shapes describe.
    pub fn objects(&self) -> usize {
        match &self.labels {
            Some((_, _, objects)) => *objects,
            None => self.masks.len(),
        }
    }

    /// The next frame with its shapes, or `None` after the last frame
    /// once every shape source has been checked to end there too. After
    /// an error it returns `None`.
    pub fn read_frame(&mut self) -> Result<Option<SceneInputFrame>> {
        if self.done {
            return Ok(None);
        }
        let result = self.read_frame_inner();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    fn read_frame_inner(&mut self) -> Result<Option<SceneInputFrame>> {
        let index = self.index;
        let frame = self
            .video
            .read_frame()
            .map_err(|e| Error::scene(&self.video_path, None, e.to_string()))?;
        let Some(frame) = frame else {
            return self.check_ends().map(|()| None);
        };
        let (w, h) = (frame.width, frame.height);
        let shapes = if let Some((path, reader, objects)) = &mut self.labels {
            let plane = next_y4m_luma(path, reader, index)?;
            check_labels(path, index, &plane, *objects)?;
            ShapePlanes::Labels(plane)
        } else {
            let mut planes = Vec::with_capacity(self.masks.len());
            for mask in &mut self.masks {
                let (path, plane) = match mask {
                    MaskReader::Y4m { path, reader } => {
                        (path.clone(), next_y4m_luma(path, reader, index)?)
                    }
                    MaskReader::Pgm { pattern, first } => {
                        let path = pattern.path(*first + index);
                        let plane = read_pgm_file(&path, index, &self.limits)?;
                        if (plane.width, plane.height) != (w, h) {
                            return Err(Error::scene(
                                &path,
                                Some(index),
                                format!(
                                    "mask is {}x{}, the scene is {w}x{h}",
                                    plane.width, plane.height
                                ),
                            ));
                        }
                        (path, plane)
                    }
                };
                check_binary(&path, index, &plane)?;
                planes.push(plane);
            }
            ShapePlanes::Masks(planes)
        };
        self.index += 1;
        Ok(Some(SceneInputFrame {
            index,
            frame,
            shapes,
        }))
    }

    /// At the end of the video: every shape source must end too.
    fn check_ends(&mut self) -> Result<()> {
        let frames = self.index;
        let more = |path: &Path| {
            Error::scene(
                path,
                None,
                format!(
                    "has more frames than the scene ({frames} in {})",
                    self.video_path.display()
                ),
            )
        };
        let has_more = |path: &Path, reader: &mut FileY4m| -> Result<bool> {
            Ok(reader.read_frame().map_err(|e| wrap(path, e))?.is_some())
        };
        if let Some((path, reader, _)) = &mut self.labels {
            let extra = has_more(path, reader)?;
            if extra {
                return Err(more(path));
            }
        }
        for mask in &mut self.masks {
            match mask {
                MaskReader::Y4m { path, reader } => {
                    let extra = has_more(path, reader)?;
                    if extra {
                        return Err(more(path));
                    }
                }
                MaskReader::Pgm { pattern, first } => {
                    let path = pattern.path(*first + frames);
                    if path.exists() {
                        return Err(more(&path));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Reads the whole scene, checking every frame, and reports what it holds.
pub fn validate(sources: &SceneSources, limits: Limits) -> Result<SceneSummary> {
    let mut reader = SceneReader::open(sources, limits)?;
    let header = reader.header().clone();
    let objects = reader.objects();
    let mut present = vec![0u64; objects];
    let mut frames = 0;
    while let Some(frame) = reader.read_frame()? {
        frames += 1;
        match &frame.shapes {
            ShapePlanes::Masks(planes) => {
                for (n, plane) in present.iter_mut().zip(planes) {
                    *n += u64::from(plane.data.contains(&255));
                }
            }
            ShapePlanes::Labels(plane) => {
                let mut seen = [false; MAX_OBJECTS + 1];
                for &v in &plane.data {
                    seen[usize::from(v)] = true;
                }
                for (n, seen) in present.iter_mut().zip(&seen[1..]) {
                    *n += u64::from(*seen);
                }
            }
        }
    }
    Ok(SceneSummary {
        width: header.width,
        height: header.height,
        rate: header.rate,
        frames,
        objects,
        present,
    })
}

fn wrap(path: &Path, err: Error) -> Error {
    Error::scene(path, None, err.to_string())
}

fn open_y4m(path: &Path, limits: Limits) -> Result<FileY4m> {
    let file =
        File::open(path).map_err(|e| Error::scene(path, None, format!("cannot open: {e}")))?;
    Y4mReader::new(BufReader::new(file), limits).map_err(|e| wrap(path, e))
}

fn check_header(path: &Path, got: &Y4mHeader, scene: &Y4mHeader) -> Result<()> {
    if (got.width, got.height) != (scene.width, scene.height) {
        return Err(Error::scene(
            path,
            None,
            format!(
                "picture size {}x{} differs from the scene's {}x{}",
                got.width, got.height, scene.width, scene.height
            ),
        ));
    }
    if got.rate != scene.rate {
        return Err(Error::scene(
            path,
            None,
            format!(
                "frame rate {} differs from the scene's {}",
                got.rate, scene.rate
            ),
        ));
    }
    Ok(())
}

fn next_y4m_luma(path: &Path, reader: &mut FileY4m, index: u64) -> Result<Plane> {
    match reader.read_frame().map_err(|e| wrap(path, e))? {
        Some(mut frame) => Ok(frame.planes.swap_remove(0)),
        None => Err(Error::scene(
            path,
            Some(index),
            format!("ends after {index} frames, before the scene does"),
        )),
    }
}

fn read_pgm_file(path: &Path, index: u64, limits: &Limits) -> Result<Plane> {
    let file = File::open(path).map_err(|e| {
        Error::scene(
            path,
            Some(index),
            format!("cannot open the mask for this scene frame: {e}"),
        )
    })?;
    read_pgm(BufReader::new(file), limits)
        .map_err(|e| Error::scene(path, Some(index), e.to_string()))
}

fn check_binary(path: &Path, index: u64, plane: &Plane) -> Result<()> {
    for (y, row) in plane.rows().enumerate() {
        if let Some(x) = row.iter().position(|&v| v != 0 && v != 255) {
            return Err(Error::scene(
                path,
                Some(index),
                format!(
                    "mask sample ({x}, {y}) is {}, not 0 or 255 (masks are binary)",
                    row[x]
                ),
            ));
        }
    }
    Ok(())
}

fn check_labels(path: &Path, index: u64, plane: &Plane, objects: usize) -> Result<()> {
    for (y, row) in plane.rows().enumerate() {
        if let Some(x) = row.iter().position(|&v| usize::from(v) > objects) {
            return Err(Error::scene(
                path,
                Some(index),
                format!(
                    "label ({x}, {y}) is {}, above the {objects} declared objects",
                    row[x]
                ),
            ));
        }
    }
    Ok(())
}

/// A printf-style file name pattern with one integer conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    prefix: String,
    width: usize,
    zero: bool,
    suffix: String,
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Pattern> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "mask pattern {pattern:?} {why}: it needs exactly one %d, %Nd or %0Nd"
            ))
        };
        let mut parts: Vec<String> = vec![String::new()];
        let mut spec = None;
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                parts.last_mut().expect("one part").push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                parts.last_mut().expect("one part").push('%');
                continue;
            }
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            if chars.next() != Some('d') {
                return Err(bad("has a conversion other than %d"));
            }
            if spec.is_some() {
                return Err(bad("has more than one conversion"));
            }
            let zero = digits.starts_with('0');
            let width = if digits.is_empty() {
                0
            } else {
                digits
                    .parse::<usize>()
                    .ok()
                    .filter(|&w| w <= 32)
                    .ok_or_else(|| bad("has a field width over 32"))?
            };
            spec = Some((width, zero));
            parts.push(String::new());
        }
        let Some((width, zero)) = spec else {
            return Err(bad("has no conversion"));
        };
        let suffix = parts.pop().expect("two parts");
        let prefix = parts.pop().expect("two parts");
        Ok(Pattern {
            prefix,
            width,
            zero,
            suffix,
        })
    }

    fn path(&self, n: u64) -> PathBuf {
        let number = if self.zero {
            format!("{n:0width$}", width = self.width)
        } else {
            format!("{n:width$}", width = self.width)
        };
        PathBuf::from(format!("{}{number}{}", self.prefix, self.suffix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_format_like_printf() {
        let p = Pattern::parse("dir/mask1_%03d.pgm").unwrap();
        assert_eq!(p.path(7), PathBuf::from("dir/mask1_007.pgm"));
        assert_eq!(p.path(1234), PathBuf::from("dir/mask1_1234.pgm"));
        let p = Pattern::parse("100%%_%d").unwrap();
        assert_eq!(p.path(5), PathBuf::from("100%_5"));
        assert_eq!(
            Pattern::parse("m%3d").unwrap().path(5),
            PathBuf::from("m  5")
        );
        for bad in ["mask.pgm", "%d_%d", "%s", "%", "%99d"] {
            let err = Pattern::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad}: {err}");
        }
    }
}
