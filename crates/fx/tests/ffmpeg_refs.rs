//! The effect operators against ffmpeg's filters, on the same compressed
//! frames.
//!
//! Every case makes its inputs with ffmpeg (lavfi sources encoded as 4:2:0
//! Motion-JPEG frames, one call), renders the effect with [`Renderer`] on
//! those JPEG files' coefficients, and compares the result, whole frames
//! at several time points, with ffmpeg's filter applied to ffmpeg's own
//! decode of the same files (one more call, raw full-range 4:2:0 out).
//! Before any effect is compared, our decode of each input must already
//! agree with ffmpeg's to 48 dB: the two inverse DCTs differ by at most a
//! level here and there, which is the floor under every bound below, with
//! our output's own round trip (its coefficients are integers, so its
//! inverse DCT moves a few pixels by a level).
//!
//! Every comparison prints its per-plane (PSNR, max difference): run with
//! `--nocapture` to see how close each bound is.
//!
//! Where ffmpeg has no equivalent (the exact bilinear warp, titles) the
//! reference is computed here, in `f64`, from the documented formulas.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tessera_core::{ChromaFormat, Frame, Limits, Plane};
use tessera_fx::eval::Renderer;
use tessera_fx::{Env, Graph, ParamValue};
use tessera_sc::ScImage;
use tessera_testkit::{compare_frames, run_ffmpeg, split_rawvideo};

const W: usize = 320;
const H: usize = 240;
const RATE: f64 = 25.0;
const FORMAT: ChromaFormat = ChromaFormat::Yuv420;

// ---------------------------------------------------------------- inputs

/// A sequence of JPEG frames made by ffmpeg, and their coefficients.
struct Clip {
    /// The image2 pattern ffmpeg reads them back with (`name_%02d.jpg`).
    pattern: PathBuf,
    frames: Vec<ScImage>,
}

/// Encodes `frames` frames of each lavfi graph in `sources` as 4:2:0
/// baseline JPEGs (full range, `-q:v 2`), all in one ffmpeg call, and
/// decodes them to coefficients.
fn make_clips(dir: &Path, sources: &[&str], frames: usize) -> Vec<Clip> {
    let n = frames.to_string();
    let mut args: Vec<String> = Vec::new();
    for s in sources {
        args.extend(["-f", "lavfi", "-i", s].map(String::from));
    }
    let patterns: Vec<PathBuf> = (0..sources.len())
        .map(|i| dir.join(format!("in{i}_%02d.jpg")))
        .collect();
    for (i, p) in patterns.iter().enumerate() {
        args.extend(
            [
                "-map",
                &format!("{i}:v"),
                "-frames:v",
                &n,
                "-pix_fmt",
                "yuvj420p",
                "-c:v",
                "mjpeg",
                "-q:v",
                "2",
                "-start_number",
                "0",
                "-f",
                "image2",
                p.to_str().unwrap(),
            ]
            .map(String::from),
        );
    }
    run_ffmpeg(&args);
    patterns
        .into_iter()
        .enumerate()
        .map(|(i, pattern)| {
            let frames = (0..frames)
                .map(|k| {
                    let path = dir.join(format!("in{i}_{k:02}.jpg"));
                    let bytes = std::fs::read(&path).expect("read an ffmpeg JPEG");
                    let c = tessera_jpeg::decode_coefficients(&bytes, &Limits::default())
                        .expect("our JPEG decoder reads ffmpeg's file");
                    let image = ScImage::from_jpeg(&c).expect("JPEG to SC");
                    let g = image.geometry;
                    assert_eq!(
                        (g.true_width, g.true_height, g.chroma_format()),
                        (W as u16, H as u16, FORMAT)
                    );
                    image
                })
                .collect();
            Clip { pattern, frames }
        })
        .collect()
}

/// Runs ffmpeg on `clips` (inputs 0, 1, ... in that order, read back from
/// their JPEG files) with `filter`, a `-filter_complex` graph with
/// `outputs` output pads `[out0]`, `[out1]`, ..., in one call; returns
/// each output's frames and ffmpeg's plain decode of every clip. All raw
/// output is `yuvj420p`: the JPEGs' own full range, with no range
/// conversion (filters that want another format are handed one with
/// `scale=in_range=pc:out_range=pc`, which copies the samples; without
/// it swscale squeezes them to 16..235, and the comparisons would be off
/// by up to 20 levels).
fn ffmpeg_reference(
    dir: &Path,
    clips: &[&Clip],
    filter: &str,
    outputs: usize,
) -> (Vec<Vec<Frame>>, Vec<Vec<Frame>>) {
    let mut args: Vec<String> = Vec::new();
    for c in clips {
        args.extend(
            [
                "-framerate",
                "25",
                "-start_number",
                "0",
                "-i",
                c.pattern.to_str().unwrap(),
            ]
            .map(String::from),
        );
    }
    args.extend(["-filter_complex", filter].map(String::from));
    let raw = |name: String, map: String, args: &mut Vec<String>| {
        let path = dir.join(name);
        args.extend(
            [
                "-map",
                &map,
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuvj420p",
                path.to_str().unwrap(),
            ]
            .map(String::from),
        );
        path
    };
    let outs: Vec<PathBuf> = (0..outputs)
        .map(|i| raw(format!("out{i}.yuv"), format!("[out{i}]"), &mut args))
        .collect();
    let decodes: Vec<PathBuf> = (0..clips.len())
        .map(|i| raw(format!("decode{i}.yuv"), format!("{i}:v"), &mut args))
        .collect();
    run_ffmpeg(&args);
    let read =
        |p: &PathBuf| split_rawvideo(&std::fs::read(p).expect("ffmpeg output"), W, H, FORMAT);
    (
        outs.iter().map(read).collect(),
        decodes.iter().map(read).collect(),
    )
}

/// Our decode of every input frame must match ffmpeg's to 48 dB per plane
/// (the two inverse DCTs round differently: a level on a few pixels).
fn check_decodes_agree(clips: &[&Clip], ffmpeg_decodes: &[Vec<Frame>]) {
    for (i, (clip, theirs)) in clips.iter().zip(ffmpeg_decodes).enumerate() {
        assert_eq!(clip.frames.len(), theirs.len(), "clip {i}: frame count");
        for (k, (image, theirs)) in clip.frames.iter().zip(theirs).enumerate() {
            let ours = decode(image);
            let stats = compare_frames(&ours, theirs);
            println!("decode clip {i} frame {k}: {stats:?}");
            tessera_testkit::check_close(&format!("decode {i} {k}"), &ours, theirs, 48.0, 255)
                .unwrap();
        }
    }
}

// ------------------------------------------------------------- rendering

fn decode(image: &ScImage) -> Frame {
    image.to_frame().expect("SC to frame")
}

fn compile(source: &str) -> Arc<Graph> {
    Arc::new(tessera_fx::lang::compile(source).unwrap_or_else(|e| panic!("{e}")))
}

/// Renders frame `frame` of `graph` whole, with numeric parameters
/// `params` (in declaration order).
fn render(graph: &Arc<Graph>, inputs: &[&ScImage], frame: u64, params: &[f64]) -> Frame {
    let geoms: Vec<_> = inputs.iter().map(|i| i.geometry).collect();
    let mut r = Renderer::new(graph.clone(), &geoms).expect("renderer");
    let mut out = ScImage::zeroed(geoms[0]);
    let params: Vec<ParamValue> = params.iter().map(|&v| ParamValue::Number(v)).collect();
    let env = Env {
        frame,
        t: frame as f64 / RATE,
        params: &params,
    };
    r.render(&env, inputs, geoms[0].full_region(), &mut out)
        .expect("render");
    decode(&out)
}

// ------------------------------------------------------------ comparing

/// PSNR and largest difference of the samples of plane `p` for which
/// `keep(x, y)` holds (plane coordinates), with how many were compared.
fn plane_stats(a: &Plane, b: &Plane, keep: impl Fn(usize, usize) -> bool) -> (f64, u8, usize) {
    let (mut sse, mut max, mut n) = (0f64, 0u8, 0usize);
    for y in 0..a.height {
        for x in 0..a.width {
            if keep(x, y) {
                let d = a.row(y)[x].abs_diff(b.row(y)[x]);
                sse += f64::from(d) * f64::from(d);
                max = max.max(d);
                n += 1;
            }
        }
    }
    let psnr = if sse == 0.0 {
        99.0
    } else {
        (10.0 * (255.0 * 255.0 * n as f64 / sse).log10()).min(99.0)
    };
    (psnr, max, n)
}

/// Asserts per-plane bounds `(min PSNR, max diff)` for Y, Cb and Cr over
/// the samples `keep(plane, x, y)` selects; writes both frames as PGMs on
/// failure.
fn check(
    label: &str,
    ours: &Frame,
    reference: &Frame,
    bounds: [(f64, u8); 3],
    keep: impl Fn(usize, usize, usize) -> bool,
) {
    let mut stats = Vec::new();
    let mut bad = false;
    for (p, (a, b)) in ours.planes.iter().zip(&reference.planes).enumerate() {
        let (psnr, max, n) = plane_stats(a, b, |x, y| keep(p, x, y));
        assert!(n > 0, "{label}: plane {p} compares nothing");
        bad |= psnr < bounds[p].0 || max > bounds[p].1;
        stats.push((psnr, max));
    }
    println!("{label}: {stats:?}");
    if bad {
        // Both whole frames, for looking at (check_close with impossible
        // bounds writes them and returns the description).
        let err = tessera_testkit::check_close(label, ours, reference, 99.0, 0).unwrap_err();
        panic!("{label}: per-plane (PSNR, max diff) {stats:?} outside {bounds:?}; {err}");
    }
}

fn everywhere(_: usize, _: usize, _: usize) -> bool {
    true
}

// ---------------------------------------------------- dissolve and fade

/// The mix amount of frame `n` (of five) in the dissolve and fade cases:
/// 0, 0.25, 0.5, 0.75, 1.
fn amount(n: usize) -> f64 {
    n as f64 / 4.0
}

/// [`amount`] as a blend expression, from the frame's timestamp `T`
/// (blend's own frame counter `N` starts at 1 here, not 0).
const AMOUNT: &str = "(round(T*25)/4)";

/// `values[n]` on frame `n` as an ffmpeg expression of the frame's
/// timestamp `t` (for expressions evaluated once a frame).
fn per_frame(t: &str, values: &[f64]) -> String {
    let mut e = String::from("0");
    for (n, v) in values.iter().enumerate().rev() {
        e = format!("if(eq(round({t}*25),{n}),{v},{e})");
    }
    format!("({e})")
}

/// `A (1 - K) + B K` as a blend expression: ffmpeg truncates the result
/// to 8 bits, + 0.5 makes that rounding. (Not `st(0, K)` and `ld(0)`:
/// blend's slice threads share one expression's registers.)
fn mix_expr(k: &str) -> String {
    format!("A*(1-{k})+B*{k}+0.5")
}

/// Whether sample `(x, y)` of plane `p` is 0 or 255 in any of `frames`.
fn clipped(frames: &[&Frame], p: usize, x: usize, y: usize) -> bool {
    frames
        .iter()
        .any(|f| matches!(f.planes[p].row(y)[x], 0 | 255))
}

#[test]
fn dissolve_matches_ffmpeg_blend() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(
        dir.path(),
        &["testsrc2=s=320x240:r=25", "mandelbrot=s=320x240:r=25"],
        5,
    );
    let filter = format!("[0:v][1:v]blend=all_expr='{}'[out0]", mix_expr(AMOUNT));
    let (theirs, decodes) = ffmpeg_reference(dir.path(), &[&clips[0], &clips[1]], &filter, 1);
    check_decodes_agree(&[&clips[0], &clips[1]], &decodes);
    let g = compile("input a, b;\nparam mix = 0 in 0..1;\noutput dissolve(a, b, mix);");
    // The same dissolve on pixels: an identity adjust takes the operands
    // out of the DCT domain.
    let on_pixels = compile(
        "input a, b;\nparam mix = 0 in 0..1;\n\
         output dissolve(adjust(a), adjust(b), mix);",
    );
    for (n, reference) in theirs[0].iter().enumerate() {
        let k = amount(n);
        let (a, b) = (&clips[0].frames[n], &clips[1].frames[n]);
        // On pixels the mix is ffmpeg's, of (nearly) the same decodes:
        // rounding, the decoders and our round trip, 2 at most, also
        // where the decodes clip.
        let pixels = render(&on_pixels, &[a, b], n as u64, &[k]);
        check(
            &format!("dissolve {k} on pixels"),
            &pixels,
            reference,
            [(50.0, 2); 3],
            everywhere,
        );
        let ours = render(&g, &[a, b], n as u64, &[k]);
        let inputs = [&decodes[0][n], &decodes[1][n]];
        // The dissolve runs on DCT coefficients: each output coefficient
        // is the mix of the inputs' (rounded to an integer), then one
        // inverse DCT, where ffmpeg mixes two decodes. Both are within
        // 0.5 + the inverse DCTs' own difference (1) of the exact mix, so
        // within 2 of each other; at 0 and 1 the output is an input, so
        // only the decoders differ.
        let ends = k == 0.0 || k == 1.0;
        let tight = if ends { (60.0, 1) } else { (50.0, 2) };
        check(
            &format!("dissolve {k} (unclipped)"),
            &ours,
            reference,
            [tight; 3],
            |p, x, y| !clipped(&inputs, p, x, y),
        );
        // Where an input's decode clips (ringing past 0 or 255 at the
        // saturated edges of testsrc2's colour bars and text), the DCT
        // path mixes the unclipped value: it cannot clip without an
        // inverse DCT. The overshoot there is up to ~10 levels in chroma,
        // so the mix differs by up to ~(1 - k) 10 + 2 (7 at k = 0.25),
        // from ffmpeg and from the same dissolve on pixels above.
        check(
            &format!("dissolve {k} (all)"),
            &ours,
            reference,
            [if ends { tight } else { (48.0, 10) }; 3],
            everywhere,
        );
    }
}

#[test]
fn fade_matches_ffmpeg_blend_with_a_colour() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(dir.path(), &["testsrc2=s=320x240:r=25"], 5);
    // rgb(200, 60, 30) is #C83C1E; ffmpeg's `color` source makes it in
    // full-range BT.601 for yuvj420p, as our solid colours are.
    let filter = format!(
        "color=c=0xC83C1E:s=320x240:r=25,format=yuvj420p[c];\
         [0:v][c]blend=all_expr='{}':shortest=1[out0]",
        mix_expr(AMOUNT)
    );
    let (theirs, decodes) = ffmpeg_reference(dir.path(), &[&clips[0]], &filter, 1);
    check_decodes_agree(&[&clips[0]], &decodes);
    let g = compile("input a;\nparam k = 0 in 0..1;\noutput fade(a, k, color: rgb(200, 60, 30));");
    for (n, reference) in theirs[0].iter().enumerate() {
        let k = amount(n);
        let ours = render(&g, &[&clips[0].frames[n]], n as u64, &[k]);
        let input = [&decodes[0][n]];
        // As for the dissolve. At k = 1 the whole frame is the colour,
        // (98.44, 89.38, 200.44) in full-range BT.601; ffmpeg makes it
        // (98, 89, 200). Ours is a DC coefficient, an integer in eighths
        // of a level: 98.5 and 200.375 or 200.5, which the inverse DCT
        // rounds to 99 and 200 or 201: one level off on every pixel.
        let tight = match k {
            0.0 => (60.0, 1),
            1.0 => (48.0, 1),
            _ => (50.0, 2),
        };
        let ends = k == 0.0 || k == 1.0;
        check(
            &format!("fade {k} (unclipped)"),
            &ours,
            reference,
            [tight; 3],
            |p, x, y| !clipped(&input, p, x, y),
        );
        check(
            &format!("fade {k} (all)"),
            &ours,
            reference,
            [if ends { tight } else { (48.0, 10) }; 3],
            everywhere,
        );
    }
}

// ----------------------------------------------------------------- wipe

/// The progress of frame `n` (of five) of the wipes: 0, 0.26, 0.52,
/// 0.78, 1, which puts the edges off the chroma grid (83.2, 166.4 and
/// 249.6 pixels into a 320-pixel frame), so a hard edge cuts through
/// chroma cells.
fn progress(n: usize) -> f64 {
    (0.26 * n as f64).min(1.0)
}

/// [`progress`] as a blend expression.
const PROGRESS: &str = "min(1,round(T*25)*0.26)";

/// Half the frame's diagonal: a circle wipe's extent and softness unit.
const HALF_DIAGONAL: f64 = 200.0;

/// A wipe's mask as an ffmpeg blend expression, from the operator's
/// documented profile (`eval::rows::WipeMask`): at a pixel whose centre
/// is `d` luma pixels from where `b` enters (for a diagonal wipe `x + y`,
/// for a circle the distance from the frame's centre), `b` shows
/// `clamp((E - d) / S, 0, 1)` with `E = progress (L + S)`, `L` the frame's
/// extent along the wipe (`W + H` diagonally, the half-diagonal for a
/// circle) and `S = softness * width` (of the half-diagonal for a circle;
/// a hard step `d < E` when `S` is 0). Chroma samples use their own centre in luma
/// coordinates, `(X + 0.5) / SW`. (The frame's size and `S` are written
/// as numbers: ffmpeg evaluates the expression for every sample.)
fn wipe_expr(direction: &str, softness: f64) -> String {
    let (xc, yc) = ("((X+0.5)/SW)", "((Y+0.5)/SH)");
    let (d, l) = match direction {
        "left" => (xc.to_string(), W as f64),
        "right" => (format!("({W}-{xc})"), W as f64),
        "up" => (yc.to_string(), H as f64),
        "down" => (format!("({H}-{yc})"), H as f64),
        "diagonal" => (format!("({xc}+{yc})"), (W + H) as f64),
        "circle" => (
            format!("hypot({xc}-{},{yc}-{})", W / 2, H / 2),
            HALF_DIAGONAL,
        ),
        _ => unreachable!("{direction}"),
    };
    let unit = if direction == "circle" {
        HALF_DIAGONAL
    } else {
        W as f64
    };
    let s = softness * unit;
    let e = format!("({PROGRESS}*{})", l + s);
    let m = if softness > 0.0 {
        format!("clip(({e}-{d})/{s},0,1)")
    } else {
        format!("lt({d},{e})")
    };
    mix_expr(&m)
}

#[test]
fn wipes_match_ffmpeg_blend_expressions() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(
        dir.path(),
        &["testsrc2=s=320x240:r=25", "mandelbrot=s=320x240:r=25"],
        5,
    );
    let cases = [
        ("left", 0.1),
        ("right", 0.05),
        ("up", 0.25),
        ("down", 0.1),
        ("left", 0.0),
        ("up", 0.0),
        ("diagonal", 0.1),
        ("circle", 0.2),
    ];
    let pads = |p: &str| {
        (0..cases.len())
            .map(|i| format!("[{p}{i}]"))
            .collect::<String>()
    };
    let mut filter = format!(
        "[0:v]split={n}{a};[1:v]split={n}{b}",
        n = cases.len(),
        a = pads("a"),
        b = pads("b")
    );
    for (i, (direction, soft)) in cases.iter().enumerate() {
        filter += &format!(
            ";[a{i}][b{i}]blend=all_expr='{}'[out{i}]",
            wipe_expr(direction, *soft)
        );
    }
    let (theirs, decodes) =
        ffmpeg_reference(dir.path(), &[&clips[0], &clips[1]], &filter, cases.len());
    check_decodes_agree(&[&clips[0], &clips[1]], &decodes);
    for ((direction, soft), theirs) in cases.iter().zip(&theirs) {
        let g = compile(&format!(
            "input a, b;\nparam p = 0 in 0..1;\n\
             output wipe(a, b, p, direction: {direction}, softness: {soft});"
        ));
        for (n, reference) in theirs.iter().enumerate() {
            let k = progress(n);
            let (a, b) = (&clips[0].frames[n], &clips[1].frames[n]);
            let ours = render(&g, &[a, b], n as u64, &[k]);
            let label = format!("wipe {direction} softness {soft} progress {k}");
            // The edge along the wipe's axis and a sample's distance from
            // where b enters, in luma pixels (as in wipe_expr).
            let (extent, unit) = match *direction {
                "up" | "down" => (H as f64, W as f64),
                "diagonal" => ((W + H) as f64, W as f64),
                "circle" => (HALF_DIAGONAL, HALF_DIAGONAL),
                _ => (W as f64, W as f64),
            };
            let s = soft * unit;
            let edge = k * (extent + s);
            let dist = |p: usize, x: usize, y: usize| {
                let f = if p == 0 { 1.0 } else { 2.0 };
                let (cx, cy) = ((x as f64 + 0.5) * f, (y as f64 + 0.5) * f);
                match *direction {
                    "left" => cx,
                    "right" => W as f64 - cx,
                    "up" => cy,
                    "down" => H as f64 - cy,
                    "diagonal" => cx + cy,
                    _ => (cx - W as f64 / 2.0).hypot(cy - H as f64 / 2.0),
                }
            };
            // Chroma: ours is the mix per luma pixel, box-averaged over
            // each 2x2 cell; in the linear part of the ramp (and away
            // from a hard edge) that is the mask at the cell's centre,
            // which is ffmpeg's value. A cell within a luma pixel of a
            // kink of the ramp (E - S and E) averages across it.
            let near_kink = |p: usize, x: usize, y: usize| {
                let d = dist(p, x, y);
                p > 0 && ((d - edge).abs() < 1.0 || (d - (edge - s)).abs() < 1.0)
            };
            // Elsewhere both compute the same per-sample mix of two
            // decodes: rounding (0.5) and the decoders' and our output's
            // inverse DCT round trip (1) apart, so within 2.
            check(
                &format!("{label} (away from the edge)"),
                &ours,
                reference,
                [(55.0, 2); 3],
                |p, x, y| !near_kink(p, x, y),
            );
            // At a kink a chroma sample is off by at most the share of
            // its cell on the other side of it times the two pictures'
            // difference there: a half for a hard edge through the cell.
            let mut kinks = 0;
            for p in 1..3 {
                let (o, r) = (&ours.planes[p], &reference.planes[p]);
                let (da, db) = (&decodes[0][n].planes[p], &decodes[1][n].planes[p]);
                for y in 0..o.height {
                    for x in 0..o.width {
                        if !near_kink(p, x, y) {
                            continue;
                        }
                        kinks += 1;
                        let half = da.row(y)[x].abs_diff(db.row(y)[x]).div_ceil(2);
                        let d = o.row(y)[x].abs_diff(r.row(y)[x]);
                        assert!(
                            d <= half + 2,
                            "{label}: plane {p} ({x},{y}) ours {} ffmpeg {} (a {}, b {})",
                            o.row(y)[x],
                            r.row(y)[x],
                            da.row(y)[x],
                            db.row(y)[x]
                        );
                    }
                }
            }
            let inside = k > 0.0 && k < 1.0;
            assert!(
                !inside || kinks > 0,
                "{label}: no chroma sample at the edge"
            );
            // The whole frame: a soft ramp's kinks move a chroma sample by
            // a level or two at most; a hard edge leaves one row or column
            // of chroma samples half-way between the pictures (up to ~110
            // levels here), which alone costs the plane ~35 dB.
            let whole = if *soft > 0.0 { (55.0, 4) } else { (30.0, 255) };
            check(&label, &ours, reference, [whole; 3], everywhere);
        }
    }
}

// ---------------------------------------------------- picture in picture

/// Samples of plane `p` inside the luma rectangle `x0..x1, y0..y1` (whose
/// edges are on the chroma grid).
fn inside_rect(
    p: usize,
    x: usize,
    y: usize,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
) -> bool {
    let f = if p == 0 { 1 } else { 2 };
    (x0..x1).contains(&(x * f)) && (y0..y1).contains(&(y * f))
}

#[test]
fn pip_matches_ffmpeg_scale_and_overlay() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(
        dir.path(),
        &[
            "testsrc2=s=320x240:r=25",
            "testsrc2=s=320x240:r=25,gblur=sigma=3",
            "mandelbrot=s=320x240:r=25",
            "testsrc2=s=320x240:r=25",
        ],
        3,
    );
    let (x, y) = (40, 32);
    let filter = format!(
        "[1:v]scale=iw/4:ih/4:flags=bilinear:in_range=pc:out_range=pc[s1];\
         [0:v]split=3[m1][m2][m3];\
         [m1][s1]overlay={x}:{y}:format=yuv420[out0];\
         [2:v]scale=iw/4:ih/4:flags=bilinear:in_range=pc:out_range=pc[s2];\
         [m2][s2]overlay={x}:{y}:format=yuv420[out1];\
         [3:v]scale=iw/4:ih/4:flags=bilinear:in_range=pc:out_range=pc[s3];\
         [m3][s3]overlay={x}:{y}:format=yuv420[out2]"
    );
    let all: Vec<&Clip> = clips.iter().collect();
    let (theirs, decodes) = ffmpeg_reference(dir.path(), &all, &filter, 3);
    check_decodes_agree(&all, &decodes);
    let g = compile(&format!(
        "input main, guest;\noutput pip(main, guest, {x}, {y}, scale: 0.25);"
    ));
    let rect = (x, y, x + W / 4, y + H / 4);
    // Per inset: the bounds inside it. A quarter size shrinks 4 times, so
    // our warp samples (bilinearly, at each output sample's preimage) the
    // inset reduced to a quarter, each sample the mean of a 4x4 cell;
    // swscale's bilinear downscale widens its triangle to the scale, 8
    // taps a side. Both average the same neighbourhood, centred on the
    // same point, with different weights: on a smooth picture they agree
    // closely (over 41 dB, up to 11 levels on the blurred bars' edges),
    // on fine detail less (mandelbrot's fractal edge 38-41 dB, testsrc2's
    // text and sharp bars 31-35 dB, up to 45 levels).
    let insets = [
        ("blurred testsrc2", (40.0, 14)),
        ("mandelbrot", (37.0, 30)),
        ("sharp testsrc2", (30.0, 50)),
    ];
    for (i, (name, inset)) in insets.into_iter().enumerate() {
        for (n, reference) in theirs[i].iter().enumerate() {
            let ours = render(
                &g,
                &[&clips[0].frames[n], &clips[i + 1].frames[n]],
                n as u64,
                &[],
            );
            let label = format!("pip {name} frame {n}");
            // Around the inset: the main picture's blocks, copied (the
            // inverse DCTs' difference), re-encoded in the MCUs the inset
            // touches (and our round trip there).
            check(
                &format!("{label} (main)"),
                &ours,
                reference,
                [(64.0, 2); 3],
                |p, x, y| !inside_rect(p, x, y, rect),
            );
            check(
                &format!("{label} (inset)"),
                &ours,
                reference,
                [inset; 3],
                |p, x, y| inside_rect(p, x, y, rect),
            );
        }
    }
}

// ------------------------------------------------------------ chroma key

/// Green screen over a background, through 4:2:0 JPEG on both sides
/// (`tests/ops.rs` compares the key's profile, including its soft ramp,
/// with ffmpeg on 4:4:4 pictures; this is the whole pipeline on ffmpeg's
/// own green-screen frames).
#[test]
fn chroma_key_matches_ffmpeg_chromakey_and_overlay() {
    let dir = tessera_testkit::temp_dir();
    // A pure green field (#00ff00) with a testsrc2 picture and a pink box
    // standing on it.
    let fg = "color=c=0x00ff00:s=320x240:r=25[g];testsrc2=s=160x120:r=25[t];\
              [g][t]overlay=96:64,drawbox=x=24:y=24:w=48:h=64:color=0xff3080:t=fill";
    let clips = make_clips(dir.path(), &[fg, "mandelbrot=s=320x240:r=25"], 3);
    let (tolerance, softness) = (0.15, 0.05);
    let filter = format!(
        "[0:v]scale=in_range=pc:out_range=pc,format=yuva420p,\
         chromakey=color=0x00ff00:similarity={tolerance}:blend={softness}[k];\
         [1:v][k]overlay=format=yuv420[out0]"
    );
    let (theirs, decodes) = ffmpeg_reference(dir.path(), &[&clips[0], &clips[1]], &filter, 1);
    check_decodes_agree(&[&clips[0], &clips[1]], &decodes);
    let g = compile(&format!(
        "input fg, bg;\noutput over(chromakey(fg, color: #00ff00, tolerance: {tolerance}, \
         softness: {softness}, spill: 0), bg);"
    ));
    for (n, reference) in theirs[0].iter().enumerate() {
        let ours = render(
            &g,
            &[&clips[0].frames[n], &clips[1].frames[n]],
            n as u64,
            &[],
        );
        let fgd = &decodes[0][n];
        // ffmpeg keys a luma pixel by its distance averaged over the
        // chroma of its 3x3 luma neighbourhood; we key each pixel by its
        // own chroma sample. Where those chroma samples agree (within 6
        // levels) both see the same distance.
        let chroma_flat = |x: usize, y: usize| {
            let (cx, cy) = (x / 2, y / 2);
            (x.saturating_sub(1)..(x + 2).min(W)).all(|i| {
                (y.saturating_sub(1)..(y + 2).min(H)).all(|j| {
                    (1..3).all(|p| {
                        let c = &fgd.planes[p];
                        c.row(j / 2)[i / 2].abs_diff(c.row(cy)[cx]) <= 6
                    })
                })
            })
        };
        // A chroma sample is composited with the alpha of its 2x2 luma
        // pixels (both sides average it), so all four must be flat.
        let keep = |p: usize, x: usize, y: usize| {
            if p == 0 {
                chroma_flat(x, y)
            } else {
                (0..2).all(|j| (0..2).all(|i| chroma_flat(2 * x + i, 2 * y + j)))
            }
        };
        // There both are the foreground's or the background's decode,
        // or (on the key's ramp) the same mix of them, re-encoded: the
        // decoders' difference, our inverse DCT round trip and ffmpeg's
        // 8-bit alpha, a level each at most, add up to 2 at most here.
        check(
            &format!("chroma key frame {n} (flat chroma)"),
            &ours,
            reference,
            [(55.0, 2); 3],
            keep,
        );
        // The comparison covers both the keyed field and the kept
        // pictures.
        let bgd = &decodes[1][n];
        let (mut keyed, mut kept) = (0, 0);
        for y in 0..H {
            for x in 0..W {
                if !keep(0, x, y) {
                    continue;
                }
                let (o, f, b) = (
                    ours.planes[0].row(y)[x],
                    fgd.planes[0].row(y)[x],
                    bgd.planes[0].row(y)[x],
                );
                keyed += usize::from(o.abs_diff(b) <= 2 && f.abs_diff(b) > 20);
                kept += usize::from(o.abs_diff(f) <= 2 && f.abs_diff(b) > 20);
            }
        }
        println!("chroma key frame {n}: compared {keyed} keyed and {kept} kept pixels");
        assert!(
            keyed > W * H / 3,
            "frame {n}: {keyed} keyed pixels compared"
        );
        assert!(kept > W * H / 16, "frame {n}: {kept} kept pixels compared");
        // Elsewhere (the keyed areas' edges) the two keys differ by up to
        // the whole fg-bg difference, but each is a composite: every
        // sample of ours lies between the foreground's and the
        // background's (within 2 for the round trips), as `over` makes it.
        for p in 0..3 {
            let (o, f, b) = (&ours.planes[p], &fgd.planes[p], &bgd.planes[p]);
            for y in 0..o.height {
                for x in 0..o.width {
                    let (o, f, b) = (o.row(y)[x], f.row(y)[x], b.row(y)[x]);
                    assert!(
                        o.saturating_add(2) >= f.min(b) && o <= f.max(b).saturating_add(2),
                        "chroma key frame {n} plane {p} ({x},{y}): {o} not between fg {f} and bg {b}"
                    );
                }
            }
        }
        check(
            &format!("chroma key frame {n} (all)"),
            &ours,
            reference,
            [(28.0, 255); 3],
            everywhere,
        );
    }
}

// --------------------------------------------------------------- affine

/// Per frame: rotation in degrees (clockwise on screen) and scale.
const WARPS: [(f64, f64); 3] = [(30.0, 0.8), (-17.0, 1.25), (97.0, 0.6)];

/// The affine effect turning about the frame's centre.
fn rotate_effect() -> Arc<Graph> {
    compile(&format!(
        "input a;\nparam r = 0;\nparam s = 1;\n\
         output affine(a, rotate: r, scale: s, about: ({}, {}), outside: black);",
        W / 2,
        H / 2
    ))
}

/// Where output pixel centre `(x, y)` comes from for a rotation by `deg`
/// degrees (clockwise on screen) and a scale about the frame's centre:
/// `p' = c + R S (p - c)` inverted.
fn preimage(deg: f64, scale: f64, x: f64, y: f64) -> (f64, f64) {
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (W as f64 / 2.0, H as f64 / 2.0);
    let (qx, qy) = (x - cx, y - cy);
    (
        cx + (c * qx + s * qy) / scale,
        cy + (-s * qx + c * qy) / scale,
    )
}

/// Bilinear sample of `at(col, row)` (a `w` x `h` picture) at `(u, v)`,
/// pixel centres at integers, neighbours past the edge repeating it.
fn bilinear(at: impl Fn(usize, usize) -> f64, w: usize, h: usize, u: f64, v: f64) -> f64 {
    let (fu, fv) = (u.floor(), v.floor());
    let (tx, ty) = (u - fu, v - fv);
    let col = |c: f64| c.clamp(0.0, (w - 1) as f64) as usize;
    let row = |r: f64| r.clamp(0.0, (h - 1) as f64) as usize;
    let (x0, x1, y0, y1) = (col(fu), col(fu + 1.0), row(fv), row(fv + 1.0));
    (1.0 - ty) * ((1.0 - tx) * at(x0, y0) + tx * at(x1, y0))
        + ty * ((1.0 - tx) * at(x0, y1) + tx * at(x1, y1))
}

/// The warp as documented, computed here in `f64` from the decoded
/// source, plane by plane at each plane's own resolution: each output
/// sample's centre (a chroma sample's is the centre of its 2x2 cell)
/// mapped back, the same plane of the source sampled bilinearly there
/// (`outside` black when the point is off the frame). Also returns, per
/// plane and sample, whether its preimage is within 1e-6 of the frame's
/// edge (where `f32`/fixed point and `f64` may disagree on inside and
/// outside).
fn warp_reference(src: &Frame, deg: f64, scale: f64) -> (Frame, [Vec<bool>; 3]) {
    let mut out = Frame::grey(W, H, FORMAT);
    let mut borderline: [Vec<bool>; 3] = Default::default();
    for (p, plane) in out.planes.iter_mut().enumerate() {
        let f = if p == 0 { 1.0 } else { 2.0 };
        let (pw, ph) = (plane.width, plane.height);
        borderline[p] = vec![false; pw * ph];
        let black = if p == 0 { 0.0 } else { 128.0 };
        for y in 0..ph {
            for x in 0..pw {
                let (px, py) = preimage(deg, scale, (x as f64 + 0.5) * f, (y as f64 + 0.5) * f);
                let inside = (0.0..W as f64).contains(&px) && (0.0..H as f64).contains(&py);
                let edge = px
                    .abs()
                    .min((px - W as f64).abs())
                    .min(py.abs())
                    .min((py - H as f64).abs());
                borderline[p][y * pw + x] = edge < 1e-6;
                let source = &src.planes[p];
                let v = if inside {
                    let at = |c: usize, r: usize| f64::from(source.row(r)[c]);
                    bilinear(at, pw, ph, px / f - 0.5, py / f - 0.5)
                } else {
                    black
                };
                plane.row_mut(y)[x] = v.round() as u8;
            }
        }
    }
    (out, borderline)
}

#[test]
fn rotation_and_scale_match_exact_bilinear_reference() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(dir.path(), &["testsrc2=s=320x240:r=25"], WARPS.len());
    let g = rotate_effect();
    for (n, &(deg, scale)) in WARPS.iter().enumerate() {
        let src = &clips[0].frames[n];
        let ours = render(&g, &[src], n as u64, &[deg, scale]);
        let (want, borderline) = warp_reference(&decode(src), deg, scale);
        let skip = |p: usize, x: usize, y: usize| borderline[p][y * ours.planes[p].width + x];
        // The same sampling on the same decoded pixels: our 16.16
        // positions (within 2^-11 pixel) and f32 weights against f64 move
        // a value by a fraction of a level, rounding can then land a
        // level apart, and our output's inverse DCT round trip (its
        // coefficients are integers) another: within 2.
        check(
            &format!("rotate {deg} scale {scale} vs exact"),
            &ours,
            &want,
            [(55.0, 2); 3],
            |p, x, y| !skip(p, x, y),
        );
    }
}

/// ffmpeg's `rotate` turns by a positive angle clockwise on screen, as
/// our `rotate` does (and about the same point, the frame's centre: its
/// pixel `(w - 1) / 2` is our `w / 2`), found by comparing with both
/// signs. It samples bilinearly too, in 16.16 fixed point, truncating.
#[test]
fn rotation_matches_ffmpeg_rotate() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(dir.path(), &["testsrc2=s=320x240:r=25"], WARPS.len());
    let radians: Vec<f64> = WARPS.iter().map(|w| w.0.to_radians()).collect();
    let negated: Vec<f64> = radians.iter().map(|r| -r).collect();
    let filter = format!(
        "[0:v]split[a][b];\
         [a]rotate=a='{}':ow=iw:oh=ih:c=black[out0];\
         [b]rotate=a='{}':ow=iw:oh=ih:c=black[out1]",
        per_frame("t", &radians),
        per_frame("t", &negated)
    );
    let (theirs, decodes) = ffmpeg_reference(dir.path(), &[&clips[0]], &filter, 2);
    check_decodes_agree(&[&clips[0]], &decodes);
    let g = rotate_effect();
    for (n, &(deg, _)) in WARPS.iter().enumerate() {
        let ours = render(&g, &[&clips[0].frames[n]], n as u64, &[deg, 1.0]);
        let reference = &theirs[0][n];
        // How far inside the source frame a sample's preimage is (negative
        // outside), in samples of its plane.
        let depth = |p: usize, x: usize, y: usize| {
            let f = if p == 0 { 1.0 } else { 2.0 };
            let (px, py) = preimage(deg, 1.0, (x as f64 + 0.5) * f, (y as f64 + 0.5) * f);
            px.min(py).min(W as f64 - px).min(H as f64 - py) / f
        };
        let label = format!("rotate {deg} vs ffmpeg rotate={:.4}", radians[n]);
        // Inside the picture, at least 2 samples from its edge: the same
        // bilinear interpolation of the same decode, each plane at its own
        // resolution (ffmpeg rotates the half-size chroma planes directly,
        // as we do), apart from ffmpeg's fixed-point position and
        // truncated result (a level) and the round trips (1 each).
        check(&label, &ours, reference, [(52.0, 4); 3], |p, x, y| {
            depth(p, x, y) >= 2.0
        });
        // Well outside it both fill with black: full-range (0, 128, 128).
        check(
            &format!("{label} (outside)"),
            &ours,
            reference,
            [(60.0, 1); 3],
            |p, x, y| depth(p, x, y) <= -2.0,
        );
        // In the band between, the pictures' edges differ: ffmpeg keeps
        // samples whose position rounds down to -1..=w (one more pixel of
        // picture on each side, the edge repeated; "the out-of-range
        // values avoid border artifacts" in vf_rotate.c), so along the
        // edge one sample is picture on its side and black on ours. That
        // band alone costs the whole frame ~27 dB.
        check(
            &format!("{label} (all)"),
            &ours,
            reference,
            [(24.0, 255); 3],
            everywhere,
        );
        // The other sign is a different picture entirely.
        let (psnr, _, _) = plane_stats(&ours.planes[0], &theirs[1][n].planes[0], |x, y| {
            depth(0, x, y) >= 2.0
        });
        println!(
            "rotate {deg} vs ffmpeg rotate={:.4}: {psnr:.1} dB",
            negated[n]
        );
        assert!(
            psnr < 15.0,
            "rotate {deg}: the opposite sign matches at {psnr} dB"
        );
    }
}

// --------------------------------------------------------------- titles

/// ab_glyph's coverage of one line of `text` laid out as the title
/// operator documents (em `size` pixels, kerning, the first baseline an
/// ascent below the box's top-left corner at `(x0, y0)`), over a W x H
/// frame; and the text box's size.
fn coverage(text: &str, size: f32, x0: i64, y0: i64) -> (Vec<f32>, (f32, f32)) {
    use ab_glyph::{Font, PxScale, ScaleFont, point};
    let font = ab_glyph::FontRef::try_from_slice(include_bytes!("../fonts/DejaVuSans.ttf"))
        .expect("the bundled font");
    let scale = PxScale::from(size * font.height_unscaled() / font.units_per_em().unwrap());
    let sf = font.as_scaled(scale);
    let mut cov = vec![0f32; W * H];
    let (mut caret, mut prev) = (0.0, None);
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            caret += sf.kern(p, id);
        }
        prev = Some(id);
        let glyph = id.with_scale_and_position(scale, point(caret, sf.ascent()));
        caret += sf.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let b = outline.px_bounds();
        outline.draw(|gx, gy, c| {
            let x = x0 + b.min.x as i64 + i64::from(gx);
            let y = y0 + b.min.y as i64 + i64::from(gy);
            if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
                let i = y as usize * W + x as usize;
                cov[i] = (cov[i] + c).min(1.0);
            }
        });
    }
    (cov, (caret, sf.ascent() - sf.descent()))
}

/// The bounding box `(x0, y0, x1, y1)` (inclusive) of the pixels where
/// `hit(x, y)`.
fn bbox(hit: impl Fn(usize, usize) -> bool) -> Option<(usize, usize, usize, usize)> {
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for y in 0..H {
        for x in 0..W {
            if hit(x, y) {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    b
}

#[test]
fn titles_match_ab_glyph_coverage() {
    let dir = tessera_testkit::temp_dir();
    let clips = make_clips(dir.path(), &["color=c=0x808080:s=320x240:r=25"], 1);
    let grey = decode(&clips[0].frames[0]);
    assert!(
        grey.planes.iter().all(|p| p.data.iter().all(|&v| v == 128)),
        "the grey JPEG decodes flat"
    );
    let titles = [
        ("Tessera AVWay", 40.0, (255.0, 220.0, 0.0), 21, 37),
        ("fx: 0.5 + j", 23.5, (255.0, 255.0, 255.0), 150, 170),
        ("Ink", 64.0, (30.0, 60.0, 200.0), -9, 120),
    ];
    for (text, size, (r, g, b), x, y) in titles {
        let effect = compile(&format!(
            "input a;\noutput title(a, text: \"{text}\", size: {size}, color: rgb({r}, {g}, {b}), \
             x: {x}, y: {y});"
        ));
        let ours = render(&effect, &[&clips[0].frames[0]], 0, &[]);
        let (cov, (box_w, box_h)) = coverage(text, size as f32, x, y);
        let colour = tessera_fx::Rgba::opaque(r, g, b).to_ycbcr();
        let label = format!("title {text:?}");
        // The colour over grey by the coverage: 128 + (c - 128) cov,
        // rounded (half a level, computed in f32 by the operator), then
        // our output's inverse DCT round trip (a level).
        const TOLERANCE: f64 = 1.5 + 1e-3;
        let over = |c: f64, cov: f64| 128.0 + (c - 128.0) * cov;
        let ink_in_block = |bx: usize, by: usize| {
            (by * 8..by * 8 + 8).any(|y| (bx * 8..bx * 8 + 8).any(|x| cov[y * W + x] > 0.0))
        };
        let (mut full, mut blank, mut moved, mut worst) = (0, 0, 0, 0f64);
        for yy in 0..H {
            for xx in 0..W {
                let c = f64::from(cov[yy * W + xx]);
                let got = ours.planes[0].row(yy)[xx];
                let want = over(colour[0], c);
                worst = worst.max((f64::from(got) - want).abs());
                assert!(
                    (f64::from(got) - want).abs() <= TOLERANCE,
                    "{label} ({xx},{yy}): luma {got}, coverage {c} wants {want:.2}"
                );
                if c == 0.0 {
                    blank += 1;
                    // No coverage: the background exactly, unless the block
                    // has ink (then the round trip may move it a level).
                    let exact = !ink_in_block(xx / 8, yy / 8);
                    moved += usize::from(got != 128);
                    assert!(
                        got == 128 || (!exact && got.abs_diff(128) <= 1),
                        "{label} ({xx},{yy}): {got} where there is no ink"
                    );
                } else if c >= 1.0 {
                    full += 1;
                    assert!(
                        (f64::from(got) - colour[0]).abs() <= TOLERANCE,
                        "{label} ({xx},{yy}): {got} under full ink of luma {:.2}",
                        colour[0]
                    );
                }
            }
        }
        assert!(
            full > 20 && blank > W * H / 2,
            "{label}: {full} inked pixels"
        );
        // Chroma: each sample is the box average of its cell's
        // composited chroma, so the colour by the cell's mean coverage.
        for (p, (plane, &c)) in ours.planes.iter().zip(&colour).enumerate().skip(1) {
            for yy in 0..H / 2 {
                for xx in 0..W / 2 {
                    let mean: f64 = (0..4)
                        .map(|i| f64::from(cov[(2 * yy + i / 2) * W + 2 * xx + i % 2]))
                        .sum::<f64>()
                        / 4.0;
                    let got = f64::from(plane.row(yy)[xx]);
                    let want = over(c, mean);
                    worst = worst.max((got - want).abs());
                    assert!(
                        (got - want).abs() <= TOLERANCE,
                        "{label} plane {p} ({xx},{yy}): {got}, mean coverage {mean} wants {want:.2}"
                    );
                }
            }
        }
        // Where the ink is: ours (pixels visibly off the background)
        // inside ab_glyph's coverage box and covering its solid part, and
        // that box inside the text box at (x, y).
        let drawn = bbox(|i, j| ours.planes[0].row(j)[i].abs_diff(128) > 2).expect("ink");
        let any = bbox(|i, j| cov[j * W + i] > 0.0).unwrap();
        let solid = bbox(|i, j| cov[j * W + i] >= 0.5).unwrap();
        println!(
            "{label}: {full} fully inked pixels, {moved} of {blank} blank ones a level off, \
             worst {worst:.2}; drawn {drawn:?}, coverage {any:?}, solid {solid:?}"
        );
        assert!(
            drawn.0 >= any.0 && drawn.1 >= any.1 && drawn.2 <= any.2 && drawn.3 <= any.3,
            "{label}: drawn {drawn:?} outside the coverage {any:?}"
        );
        assert!(
            drawn.0 <= solid.0 && drawn.1 <= solid.1 && drawn.2 >= solid.2 && drawn.3 >= solid.3,
            "{label}: drawn {drawn:?} misses solid ink {solid:?}"
        );
        let (bx0, by0) = (x.max(0) as usize, y.max(0) as usize);
        let bx1 = ((x as f32 + box_w).ceil() as usize).min(W - 1);
        let by1 = ((y as f32 + box_h).ceil() as usize).min(H - 1);
        assert!(
            any.0 + 1 >= bx0 && any.1 > by0 && any.2 <= bx1 + 1 && any.3 <= by1,
            "{label}: ink {any:?} outside the text box ({bx0}, {by0})..({bx1}, {by1})"
        );
    }
}
