//! Synthetic multi-object scenes with exact shapes, for object-based
//! coding (MPEG-4 Visual video objects) and its tests.
//!
//! A [`Scene`] is a panning textured background with textured objects on
//! top: discs, ellipses, rounded rectangles and stars, filled with
//! gradients, stripes, checkers or value noise, moving along paths,
//! scaling, some rotating, some crossing the frame (absent before they
//! enter and after they leave). Object `k` (1-based) is drawn over objects
//! `1..k`, so the last object is in front.
//!
//! Every [`SceneFrame`] carries, besides the 4:2:0 picture:
//!
//! - one binary mask per object (luma size, 0 outside, 255 inside), the
//!   object's whole shape whether or not a later object hides part of it;
//! - a label map (luma size): 0 for background, `k` where object `k` is the
//!   front-most object covering the sample.
//!
//! The masks are exact: a luma sample lies inside object `k` when its centre
//! `(x + 0.5, y + 0.5)` lies inside the shape, and the luma of object `k`'s
//! texture is written exactly there (and stays visible where the label map
//! says `k`). Chroma is rendered at luma resolution the same way and then
//! averaged to 4:2:0 ([`Frame::with_format`]), so a chroma sample on an edge
//! mixes the colours of the luma samples it covers, as in camera footage.
//!
//! Motion is defined per frame: the frame rate is only recorded. The same
//! [`SceneSpec`] gives the same bytes on every platform: the generator uses
//! only IEEE-754 arithmetic (its own sine and cosine, no `libm` calls).
//!
//! ```
//! use tessera_core::scene::{Scene, SceneSpec};
//!
//! let spec = SceneSpec { width: 64, height: 48, frames: 4, objects: 2, ..SceneSpec::default() };
//! let scene = Scene::new(spec)?;
//! let frame = scene.frame(2);
//! assert_eq!(frame.masks.len(), 2);
//! assert_eq!((frame.labels.width, frame.labels.height), (64, 48));
//! assert_eq!(frame.frame.planes[1].width, 32);
//! # Ok::<(), tessera_core::scene::SceneError>(())
//! ```

use std::f64::consts::{FRAC_PI_2, TAU};
use std::fmt;

use crate::frame::{ChromaFormat, Frame, Plane};
use crate::limits::{LimitError, Limits};
use crate::rational::Rational;

/// Most objects a scene may hold: label values are 8-bit and 0 is the
/// background.
pub const MAX_OBJECTS: usize = 255;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneSpec {
    /// Picture size in luma samples (any size; 4:2:0 chroma rounds up).
    pub width: usize,
    pub height: usize,
    /// Number of frames [`Scene::frames`] yields.
    pub frames: u32,
    /// Frame rate to record; motion is per frame.
    pub rate: Rational,
    /// Number of objects, 0 to [`MAX_OBJECTS`].
    pub objects: usize,
    /// Everything random (shapes, textures, colours, paths) follows from it.
    pub seed: u64,
}

impl Default for SceneSpec {
    /// CIF (352x288), 60 frames at 25 fps, 3 objects, seed 1.
    fn default() -> Self {
        SceneSpec {
            width: 352,
            height: 288,
            frames: 60,
            rate: Rational::integer(25),
            objects: 3,
            seed: 1,
        }
    }
}

/// A [`SceneSpec`] that cannot be generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    #[error("scene size {width}x{height} is empty")]
    EmptySize { width: usize, height: usize },
    #[error("a scene needs at least one frame")]
    NoFrames,
    #[error("{0} objects requested, at most {MAX_OBJECTS} fit an 8-bit label map")]
    TooManyObjects(usize),
    #[error(transparent)]
    Limit(#[from] LimitError),
}

/// The outline of an object, in unit coordinates (it fits the unit circle).
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// The unit disc.
    Disc,
    /// Semi-axes 1 and `minor` (< 1).
    Ellipse { minor: f64 },
    /// Half-sizes `half_width` x `half_height` with corners of `corner`
    /// radius.
    RoundedRect {
        half_width: f64,
        half_height: f64,
        corner: f64,
    },
    /// A star polygon with `points` outer vertices on the unit circle and
    /// inner vertices at radius `inner`.
    Star { points: u32, inner: f64 },
}

impl Shape {
    /// A short name for summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Disc => "disc",
            Shape::Ellipse { .. } => "ellipse",
            Shape::RoundedRect { .. } => "rounded rectangle",
            Shape::Star { .. } => "star",
        }
    }
}

/// How an object is filled, in its own (moving, scaling, rotating)
/// coordinates, between two colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Texture {
    /// Linear ramp across the object.
    Gradient,
    /// Straight stripes of `period` (unit coordinates) at `angle` radians.
    Stripes { period: f64, angle: f64 },
    /// Squares of side `cell`.
    Checker { cell: f64 },
    /// Smooth value noise with lattice spacing `cell`.
    Noise { cell: f64 },
}

impl Texture {
    /// A short name for summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Texture::Gradient => "gradient",
            Texture::Stripes { .. } => "stripes",
            Texture::Checker { .. } => "checker",
            Texture::Noise { .. } => "noise",
        }
    }
}

/// Where an object's centre is in frame `i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Motion {
    /// Crosses the frame along a straight line: wholly outside (absent)
    /// until `enter`, wholly outside again from `leave` (both fractions of
    /// the clip), from `from` to `to` (luma sample coordinates, outside the
    /// frame by the object's largest radius).
    Crossing {
        from: (f64, f64),
        to: (f64, f64),
        enter: f64,
        leave: f64,
    },
    /// A Lissajous figure around `centre`: amplitude `amplitude`, periods
    /// `period` frames, phases `phase`. It may cross an edge in part.
    Wandering {
        centre: (f64, f64),
        amplitude: (f64, f64),
        period: (f64, f64),
        phase: (f64, f64),
    },
}

/// One object of a scene.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneObject {
    pub shape: Shape,
    pub texture: Texture,
    /// The texture's two colours, `[Y, Cb, Cr]`.
    pub colours: [[u8; 3]; 2],
    pub motion: Motion,
    /// Radius (luma samples) of the unit circle before scaling.
    pub radius: f64,
    /// Relative size change: the radius is `radius * (1 + scale_amplitude
    /// * sin(2 pi i / scale_period))`.
    pub scale_amplitude: f64,
    pub scale_period: f64,
    /// Rotation in radians per frame (0: upright throughout).
    pub spin: f64,
    /// Seeds the noise texture.
    noise_seed: u64,
}

impl fmt::Display for SceneObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = match self.motion {
            Motion::Crossing { .. } => "crossing",
            Motion::Wandering { .. } => "wandering",
        };
        write!(f, "{} ({}, {path}", self.shape.name(), self.texture.name())?;
        if self.spin != 0.0 {
            f.write_str(", rotating")?;
        }
        f.write_str(")")
    }
}

/// One generated frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneFrame {
    pub index: u32,
    /// The 4:2:0 picture.
    pub frame: Frame,
    /// Object `k`'s mask is `masks[k - 1]`: 255 inside its shape, 0
    /// outside, occluded parts included.
    pub masks: Vec<Plane>,
    /// 0 for background, `k` where object `k` is in front.
    pub labels: Plane,
}

impl SceneFrame {
    /// Whether any sample of object `k` (1-based) is inside the frame.
    pub fn is_present(&self, k: usize) -> bool {
        k >= 1 && self.masks.get(k - 1).is_some_and(|m| m.data.contains(&255))
    }
}

/// A deterministic scene: frame `i` depends only on the spec and `i`.
#[derive(Clone, Debug)]
pub struct Scene {
    spec: SceneSpec,
    objects: Vec<SceneObject>,
    /// Background pan in luma samples per frame, and its noise seed.
    pan: (f64, f64),
    background_seed: u64,
}

impl Scene {
    /// Lays out the objects. The size is checked against
    /// [`Limits::default`].
    pub fn new(spec: SceneSpec) -> Result<Scene, SceneError> {
        if spec.width == 0 || spec.height == 0 {
            return Err(SceneError::EmptySize {
                width: spec.width,
                height: spec.height,
            });
        }
        if spec.frames == 0 {
            return Err(SceneError::NoFrames);
        }
        if spec.objects > MAX_OBJECTS {
            return Err(SceneError::TooManyObjects(spec.objects));
        }
        Limits::default().check_dimensions(spec.width as u64, spec.height as u64)?;
        let mut rng = Rng(mix64(spec.seed ^ 0x7e55_e7a5_5ce7_e5ed));
        let pan = (rng.range(-2.0, 2.0), rng.range(-1.0, 1.0));
        let background_seed = rng.next();
        let (shape_offset, texture_offset) = (rng.below(4), rng.below(4));
        let objects = (1..=spec.objects)
            .map(|k| make_object(&spec, k, shape_offset, texture_offset, &mut rng))
            .collect();
        Ok(Scene {
            spec,
            objects,
            pan,
            background_seed,
        })
    }

    pub fn spec(&self) -> &SceneSpec {
        &self.spec
    }

    /// The objects, front-most last.
    pub fn objects(&self) -> &[SceneObject] {
        &self.objects
    }

    /// Frames `0..spec.frames`.
    pub fn frames(&self) -> impl Iterator<Item = SceneFrame> + '_ {
        (0..self.spec.frames).map(|i| self.frame(i))
    }

    /// Frame `index` (any index; past `spec.frames` the motion continues).
    pub fn frame(&self, index: u32) -> SceneFrame {
        let (w, h) = (self.spec.width, self.spec.height);
        let mut planes = [
            Plane::filled(w, h, 0),
            Plane::filled(w, h, 0),
            Plane::filled(w, h, 0),
        ];
        for y in 0..h {
            for x in 0..w {
                let c = self.background(index, x, y);
                for (plane, v) in planes.iter_mut().zip(c) {
                    plane.data[y * w + x] = v;
                }
            }
        }
        let mut labels = Plane::filled(w, h, 0);
        let mut masks = Vec::with_capacity(self.objects.len());
        for (k, object) in self.objects.iter().enumerate() {
            let mut mask = Plane::filled(w, h, 0);
            let place = self.placement(object, index);
            let (x0, x1) = span(place.cx, place.radius, w);
            let (y0, y1) = span(place.cy, place.radius, h);
            for y in y0..y1 {
                for x in x0..x1 {
                    let Some((u, v)) = place.local(x, y) else {
                        continue;
                    };
                    if !inside(&object.shape, u, v) {
                        continue;
                    }
                    let at = y * w + x;
                    mask.data[at] = 255;
                    labels.data[at] = (k + 1) as u8;
                    for (plane, c) in planes.iter_mut().zip(texture(object, u, v)) {
                        plane.data[at] = c;
                    }
                }
            }
            masks.push(mask);
        }
        let full = Frame {
            width: w,
            height: h,
            format: ChromaFormat::Yuv444,
            planes: planes.into(),
        };
        SceneFrame {
            index,
            frame: full.with_format(ChromaFormat::Yuv420),
            masks,
            labels,
        }
    }

    /// The colour object `k` (1-based) gives luma sample `(x, y)` of frame
    /// `index` when its mask covers it, else `None`.
    pub fn object_sample(&self, k: usize, index: u32, x: usize, y: usize) -> Option<[u8; 3]> {
        let object = self.objects.get(k.checked_sub(1)?)?;
        let (u, v) = self.placement(object, index).local(x, y)?;
        inside(&object.shape, u, v).then(|| texture(object, u, v))
    }

    fn background(&self, index: u32, x: usize, y: usize) -> [u8; 3] {
        let t = f64::from(index);
        let wx = x as f64 + 0.5 + self.pan.0 * t;
        let wy = y as f64 + 0.5 + self.pan.1 * t;
        let s = self.background_seed;
        let luma = 60.0
            + 70.0 * value_noise(wx / 24.0, wy / 24.0, s)
            + 40.0 * triangle(wx / 37.0 + wy / 53.0)
            + 20.0 * value_noise(wx / 5.0, wy / 5.0, s ^ 1);
        let cb = 100.0 + 50.0 * value_noise(wx / 45.0, wy / 45.0, s ^ 2);
        let cr = 105.0 + 45.0 * value_noise(wx / 60.0, wy / 30.0, s ^ 3);
        [to_u8(luma), to_u8(cb), to_u8(cr)]
    }

    fn placement(&self, object: &SceneObject, index: u32) -> Placement {
        let t = f64::from(index);
        let (cx, cy) = match object.motion {
            Motion::Crossing {
                from,
                to,
                enter,
                leave,
            } => {
                let clip = f64::from(self.spec.frames.saturating_sub(1).max(1));
                let p = (t / clip - enter) / (leave - enter);
                // Before entering and after leaving, park it outside.
                let p = p.clamp(-0.01, 1.01);
                (from.0 + p * (to.0 - from.0), from.1 + p * (to.1 - from.1))
            }
            Motion::Wandering {
                centre,
                amplitude,
                period,
                phase,
            } => (
                centre.0 + amplitude.0 * sin_cos(TAU * t / period.0 + phase.0).0,
                centre.1 + amplitude.1 * sin_cos(TAU * t / period.1 + phase.1).0,
            ),
        };
        let radius = object.radius
            * (1.0 + object.scale_amplitude * sin_cos(TAU * t / object.scale_period).0);
        let (sin, cos) = sin_cos(object.spin * t);
        Placement {
            cx,
            cy,
            radius,
            cos,
            sin,
        }
    }
}

/// Builds a [`Scene`] and yields its frames.
pub fn generate(spec: &SceneSpec) -> Result<impl Iterator<Item = SceneFrame>, SceneError> {
    let scene = Scene::new(*spec)?;
    Ok((0..spec.frames).map(move |i| scene.frame(i)))
}

/// Object `k` of `spec`. Odd objects wander (the first is the largest),
/// even ones cross the frame; shapes and textures cycle so that four
/// objects show every kind.
fn make_object(
    spec: &SceneSpec,
    k: usize,
    shape_offset: usize,
    texture_offset: usize,
    rng: &mut Rng,
) -> SceneObject {
    let (w, h) = (spec.width as f64, spec.height as f64);
    let side = w.min(h);
    let radius = if k == 1 {
        side * rng.range(0.2, 0.26)
    } else {
        side * rng.range(0.1, 0.17)
    }
    .max(1.5);
    let scale_amplitude = rng.range(0.0, 0.25);
    let scale_period = rng.range(30.0, 90.0);
    let spin = if rng.below(2) == 0 {
        0.0
    } else {
        rng.range(0.02, 0.08) * if rng.below(2) == 0 { 1.0 } else { -1.0 }
    };
    let shape = match (k - 1 + shape_offset) % 4 {
        0 => Shape::Disc,
        1 => Shape::Ellipse {
            minor: rng.range(0.45, 0.75),
        },
        2 => {
            let half_width = rng.range(0.7, 0.8);
            let half_height = rng.range(0.4, 0.55);
            Shape::RoundedRect {
                half_width,
                half_height,
                corner: half_height * rng.range(0.2, 0.6),
            }
        }
        _ => Shape::Star {
            points: 5 + rng.below(2) as u32,
            inner: rng.range(0.4, 0.55),
        },
    };
    let texture = match (k - 1 + texture_offset) % 4 {
        0 => Texture::Gradient,
        1 => Texture::Stripes {
            period: rng.range(0.2, 0.4),
            angle: rng.range(0.0, TAU),
        },
        2 => Texture::Checker {
            cell: rng.range(0.2, 0.35),
        },
        _ => Texture::Noise {
            cell: rng.range(0.15, 0.3),
        },
    };
    let luma_a = rng.range(30.0, 120.0);
    let luma_b = luma_a + rng.range(70.0, 110.0);
    let colour = |rng: &mut Rng, luma: f64| {
        [
            to_u8(luma),
            to_u8(rng.range(50.0, 206.0)),
            to_u8(rng.range(50.0, 206.0)),
        ]
    };
    let colours = [colour(rng, luma_a), colour(rng, luma_b)];
    let reach = radius * (1.0 + scale_amplitude) + 2.0;
    let motion = if k.is_multiple_of(2) {
        // Edge to opposite edge, with some slant.
        let across = rng.range(0.25, 0.75);
        let slant = rng.range(-0.2, 0.2);
        let (from, to) = match rng.below(4) {
            0 => ((-reach, h * across), (w + reach, h * (across + slant))),
            1 => ((w + reach, h * across), (-reach, h * (across + slant))),
            2 => ((w * across, -reach), (w * (across + slant), h + reach)),
            _ => ((w * across, h + reach), (w * (across + slant), -reach)),
        };
        Motion::Crossing {
            from,
            to,
            enter: rng.range(0.05, 0.25),
            leave: rng.range(0.7, 0.95),
        }
    } else {
        Motion::Wandering {
            centre: (w * rng.range(0.35, 0.65), h * rng.range(0.35, 0.65)),
            amplitude: (w * rng.range(0.1, 0.3), h * rng.range(0.1, 0.3)),
            period: (rng.range(40.0, 120.0), rng.range(40.0, 120.0)),
            phase: (rng.range(0.0, TAU), rng.range(0.0, TAU)),
        }
    };
    SceneObject {
        shape,
        texture,
        colours,
        motion,
        radius,
        scale_amplitude,
        scale_period,
        spin,
        noise_seed: rng.next(),
    }
}

/// An object's centre, radius and rotation in one frame.
#[derive(Clone, Copy, Debug)]
struct Placement {
    cx: f64,
    cy: f64,
    radius: f64,
    cos: f64,
    sin: f64,
}

impl Placement {
    /// Unit coordinates of the centre of luma sample `(x, y)`, or `None`
    /// for a degenerate (zero) radius.
    fn local(&self, x: usize, y: usize) -> Option<(f64, f64)> {
        if self.radius <= 0.0 {
            return None;
        }
        let dx = x as f64 + 0.5 - self.cx;
        let dy = y as f64 + 0.5 - self.cy;
        Some((
            (self.cos * dx + self.sin * dy) / self.radius,
            (self.cos * dy - self.sin * dx) / self.radius,
        ))
    }
}

/// The samples `0..n` whose centres may lie within `radius` of `centre`.
fn span(centre: f64, radius: f64, n: usize) -> (usize, usize) {
    let lo = (centre - radius - 1.0).floor().max(0.0);
    let hi = (centre + radius + 1.0).ceil().max(0.0);
    ((lo as usize).min(n), (hi as usize).min(n))
}

/// Whether unit coordinates `(u, v)` lie inside `shape`.
fn inside(shape: &Shape, u: f64, v: f64) -> bool {
    match *shape {
        Shape::Disc => u * u + v * v <= 1.0,
        Shape::Ellipse { minor } => u * u + (v / minor) * (v / minor) <= 1.0,
        Shape::RoundedRect {
            half_width,
            half_height,
            corner,
        } => {
            let (au, av) = (u.abs(), v.abs());
            if au > half_width || av > half_height {
                return false;
            }
            let (qu, qv) = (au - (half_width - corner), av - (half_height - corner));
            qu <= 0.0 || qv <= 0.0 || qu * qu + qv * qv <= corner * corner
        }
        Shape::Star { points, inner } => {
            // Even-odd rule over the 2 * points vertices.
            let n = 2 * points as usize;
            let vertex = |i: usize| {
                let r = if i.is_multiple_of(2) { 1.0 } else { inner };
                let (s, c) = sin_cos(TAU * i as f64 / n as f64 - FRAC_PI_2);
                (r * c, r * s)
            };
            let mut odd = false;
            let mut a = vertex(n - 1);
            for i in 0..n {
                let b = vertex(i);
                if (a.1 > v) != (b.1 > v) {
                    let cross = a.0 + (v - a.1) * (b.0 - a.0) / (b.1 - a.1);
                    if u < cross {
                        odd = !odd;
                    }
                }
                a = b;
            }
            odd
        }
    }
}

/// Object texture at unit coordinates `(u, v)`.
fn texture(object: &SceneObject, u: f64, v: f64) -> [u8; 3] {
    let t = match object.texture {
        Texture::Gradient => ((u + v * 0.3) * 0.5 + 0.5).clamp(0.0, 1.0),
        Texture::Stripes { period, angle } => {
            let (s, c) = sin_cos(angle);
            if fract((u * c + v * s) / period) < 0.5 {
                0.0
            } else {
                1.0
            }
        }
        Texture::Checker { cell } => {
            let parity = ((u / cell).floor() + (v / cell).floor()).rem_euclid(2.0);
            if parity < 0.5 { 0.0 } else { 1.0 }
        }
        Texture::Noise { cell } => value_noise(u / cell + 17.0, v / cell + 17.0, object.noise_seed),
    };
    let [a, b] = object.colours;
    [0, 1, 2].map(|i| to_u8(f64::from(a[i]) + t * (f64::from(b[i]) - f64::from(a[i]))))
}

fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

fn fract(x: f64) -> f64 {
    x - x.floor()
}

/// 0 at integers, 1 half-way between.
fn triangle(x: f64) -> f64 {
    1.0 - 2.0 * (fract(x) - 0.5).abs()
}

/// Smooth noise in 0..=1: hashed lattice values, interpolated with a
/// smoothstep.
fn value_noise(x: f64, y: f64, seed: u64) -> f64 {
    let (fx, fy) = (x.floor(), y.floor());
    let (ix, iy) = (fx as i64, fy as i64);
    let (tx, ty) = (x - fx, y - fy);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let at = |dx: i64, dy: i64| lattice(ix.wrapping_add(dx), iy.wrapping_add(dy), seed);
    let top = at(0, 0) + sx * (at(1, 0) - at(0, 0));
    let bottom = at(0, 1) + sx * (at(1, 1) - at(0, 1));
    top + sy * (bottom - top)
}

fn lattice(x: i64, y: i64, seed: u64) -> f64 {
    let h = mix64(seed ^ mix64((x as u64) ^ mix64(y as u64 ^ 0x5bd1_e995)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The SplitMix64 finaliser.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `(sin x, cos x)` from basic arithmetic only, so that every platform
/// gives the same bits: reduce to `[-pi/4, pi/4]`, then Taylor series
/// (error below 1e-15 there).
fn sin_cos(x: f64) -> (f64, f64) {
    let q = (x / FRAC_PI_2).round();
    let r = x - q * FRAC_PI_2;
    let r2 = r * r;
    let mut s = 0.0;
    let mut c = 0.0;
    // Horner over the odd (sine) and even (cosine) terms up to r^17, r^16.
    for n in (0..=8).rev() {
        let k = f64::from(2 * n);
        s = 1.0 - s * r2 / ((k + 2.0) * (k + 3.0));
        c = 1.0 - c * r2 / ((k + 1.0) * (k + 2.0));
    }
    let s = s * r;
    match (q as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(objects: usize, seed: u64) -> SceneSpec {
        SceneSpec {
            width: 97,
            height: 61,
            frames: 12,
            objects,
            seed,
            ..SceneSpec::default()
        }
    }

    #[test]
    fn same_seed_same_frames_other_seed_other_frames() {
        let a: Vec<_> = generate(&spec(4, 7)).unwrap().collect();
        let b: Vec<_> = generate(&spec(4, 7)).unwrap().collect();
        let c: Vec<_> = generate(&spec(4, 8)).unwrap().collect();
        assert_eq!(a.len(), 12);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a[0].frame, a[1].frame, "the scene moves");
        for f in &a {
            assert!(f.frame.is_consistent());
            assert_eq!(f.frame.format, ChromaFormat::Yuv420);
            assert_eq!(f.frame.planes[1].width, 49);
        }
    }

    #[test]
    fn masks_are_binary_and_agree_with_the_label_map() {
        let scene = Scene::new(spec(5, 3)).unwrap();
        for f in scene.frames() {
            assert_eq!(f.masks.len(), 5);
            for at in 0..97 * 61 {
                let mut front = 0;
                for (k, mask) in f.masks.iter().enumerate() {
                    match mask.data[at] {
                        255 => front = k + 1,
                        0 => {}
                        v => panic!("mask {} holds {v}", k + 1),
                    }
                }
                assert_eq!(usize::from(f.labels.data[at]), front, "frame {}", f.index);
            }
        }
    }

    #[test]
    fn visible_samples_are_the_labelled_objects_texture() {
        let scene = Scene::new(spec(4, 11)).unwrap();
        let background = Scene::new(SceneSpec {
            objects: 0,
            ..spec(4, 11)
        })
        .unwrap();
        let mut seen = [0usize; 5];
        for i in [0, 5, 11] {
            let f = scene.frame(i);
            let bare = background.frame(i);
            for y in 0..61 {
                for x in 0..97 {
                    let k = usize::from(f.labels.row(y)[x]);
                    seen[k] += 1;
                    let luma = f.frame.planes[0].row(y)[x];
                    if k == 0 {
                        assert_eq!(luma, bare.frame.planes[0].row(y)[x]);
                    } else {
                        let c = scene.object_sample(k, i, x, y).expect("inside its shape");
                        assert_eq!(luma, c[0], "frame {i} ({x}, {y}) object {k}");
                    }
                    for (j, mask) in f.masks.iter().enumerate() {
                        let inside = scene.object_sample(j + 1, i, x, y).is_some();
                        assert_eq!(mask.row(y)[x] == 255, inside);
                    }
                }
            }
        }
        assert!(seen.iter().all(|&n| n > 0), "every label visible: {seen:?}");
    }

    #[test]
    fn crossing_objects_enter_and_leave() {
        let scene = Scene::new(spec(2, 5)).unwrap();
        assert!(matches!(scene.objects()[1].motion, Motion::Crossing { .. }));
        let present: Vec<bool> = scene.frames().map(|f| f.is_present(2)).collect();
        assert!(!present[0] && !present[11], "{present:?}");
        assert!(present.iter().any(|&p| p), "{present:?}");
        assert!(scene.frames().all(|f| f.is_present(1)));
        let absent = scene.frame(0);
        assert!(absent.masks[1].data.iter().all(|&v| v == 0));
        assert!(!absent.labels.data.contains(&2));
    }

    #[test]
    fn four_objects_show_every_shape_and_texture() {
        let scene = Scene::new(spec(4, 1)).unwrap();
        let mut shapes: Vec<_> = scene.objects().iter().map(|o| o.shape.name()).collect();
        let mut textures: Vec<_> = scene.objects().iter().map(|o| o.texture.name()).collect();
        shapes.sort_unstable();
        textures.sort_unstable();
        assert_eq!(shapes, ["disc", "ellipse", "rounded rectangle", "star"]);
        assert_eq!(textures, ["checker", "gradient", "noise", "stripes"]);
        assert!(scene.objects()[0].to_string().contains("wandering"));
    }

    #[test]
    fn rejects_impossible_specs() {
        let err = |s: SceneSpec| Scene::new(s).unwrap_err();
        assert!(matches!(
            err(SceneSpec {
                width: 0,
                ..spec(1, 1)
            }),
            SceneError::EmptySize { .. }
        ));
        assert_eq!(
            err(SceneSpec {
                frames: 0,
                ..spec(1, 1)
            }),
            SceneError::NoFrames
        );
        assert_eq!(err(spec(256, 1)), SceneError::TooManyObjects(256));
        assert!(matches!(
            err(SceneSpec {
                width: 100_000,
                ..spec(1, 1)
            }),
            SceneError::Limit(_)
        ));
        // Tiny and odd sizes work.
        let f = Scene::new(SceneSpec {
            width: 1,
            height: 3,
            ..spec(3, 1)
        })
        .unwrap()
        .frame(0);
        assert!(f.frame.is_consistent());
    }

    #[test]
    fn sine_and_cosine_match_the_library() {
        for i in -2000..2000 {
            let x = f64::from(i) * 0.01731;
            let (s, c) = sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-13, "sin {x}");
            assert!((c - x.cos()).abs() < 1e-13, "cos {x}");
        }
    }
}
