//! JPEG speed against peers (issue 2): our decoder and encoder, zune-jpeg
//! and ffmpeg, on the same 1920x1080 4:2:0 inputs, in the same run, one
//! thread each.
//!
//! ```text
//! cargo bench -p tessera-jpeg --bench compare
//! ```
//!
//! The inputs are made by ffmpeg at the start of the run: `testsrc2` (a
//! synthetic card with flat areas) and `testsrc2` with temporal noise
//! (texture everywhere, like a camera's grain), both `-q:v 3` MJPEG.
//! Criterion benches every in-process path with `Throughput::Elements(1)`
//! (frames). For the closing table the in-process paths are timed again as
//! median thread CPU time per frame, and ffmpeg by its own `-benchmark` CPU
//! time (user + system) over two run lengths, the difference divided by the
//! difference in frames so start-up cost drops out: CPU time on both sides,
//! so other load on the machine does not skew the ratios. A table of
//! ms/frame and ratios is printed at the end; `docs/performance.md` records
//! one run.
//!
//! Run without `--bench` (as `cargo test --benches` does) every path runs
//! once as a smoke test and ffmpeg is not timed.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use tessera_core::{Frame, Limits};
use tessera_jpeg::{
    EncodeOptions, HuffmanMode, decode_coefficients, decode_frame, decode_rgb, encode_coefficients,
    encode_frame,
};
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

const WIDTH: usize = 1920;
const HEIGHT: usize = 1080;
/// Quality for our pixel encoder; about what `-q:v 3` gives ffmpeg.
const QUALITY: u8 = 90;

/// One test picture: its JPEG bytes and (for the encoders) its pixels.
struct Input {
    name: &'static str,
    jpeg: Vec<u8>,
    frame: Frame,
}

/// ms/frame for every path on one input.
#[derive(Default)]
struct Figures {
    coeffs: f64,
    pixels: f64,
    rgb: f64,
    zune_ycbcr: f64,
    zune_rgb: f64,
    ffmpeg_decode: f64,
    encode_std: f64,
    encode_opt: f64,
    encode_pixels: f64,
    ffmpeg_encode: f64,
}

fn make_inputs(dir: &Path) -> Vec<Input> {
    let sources: [(&str, &str); 2] = [
        ("testsrc2", "testsrc2=size=1920x1080:rate=25"),
        (
            "testsrc2+noise",
            "testsrc2=size=1920x1080:rate=25,noise=alls=12:allf=t",
        ),
    ];
    sources
        .iter()
        .map(|&(name, graph)| {
            let path = dir.join(format!("{}.jpg", name.replace('+', "_")));
            tessera_testkit::run_ffmpeg([
                "-f",
                "lavfi",
                "-i",
                graph,
                "-frames:v",
                "1",
                "-pix_fmt",
                "yuvj420p",
                "-c:v",
                "mjpeg",
                "-q:v",
                "3",
                path.to_str().expect("utf-8 path"),
            ]);
            let jpeg = std::fs::read(&path).expect("read ffmpeg's JPEG");
            let frame = decode_frame(&jpeg, &Limits::default()).expect("decode input");
            assert_eq!((frame.width, frame.height), (WIDTH, HEIGHT));
            Input { name, jpeg, frame }
        })
        .collect()
}

fn zune_decode(jpeg: &[u8], colorspace: ColorSpace) -> Vec<u8> {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(colorspace);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder.decode().expect("zune-jpeg decodes the input")
}

fn opts(huffman: HuffmanMode) -> EncodeOptions {
    EncodeOptions {
        huffman,
        ..EncodeOptions::default()
    }
}

/// This thread's CPU time in ms (Linux `schedstat`), so that our figures
/// are CPU time like ffmpeg's and other load on the machine does not
/// inflate them; wall time since `epoch` where that file is missing.
fn thread_time_ms(epoch: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(|| epoch.elapsed().as_secs_f64() * 1e3, |ns| ns / 1e6)
}

/// CPU ms per run of `f`: the median over five batches of about 150 ms
/// each (the kernel may update the CPU-time counter only at each timer
/// tick, so single runs cannot be timed with it), after two warm-up runs.
fn median_ms(mut f: impl FnMut()) -> f64 {
    let epoch = Instant::now();
    f();
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-6);
    let runs = (0.15 / once).ceil() as usize;
    let mut per_run: Vec<f64> = (0..5)
        .map(|_| {
            let t = thread_time_ms(epoch);
            for _ in 0..runs {
                f();
            }
            (thread_time_ms(epoch) - t) / runs as f64
        })
        .collect();
    per_run.sort_by(f64::total_cmp);
    per_run[2]
}

/// CPU seconds (user + system) ffmpeg reports with `-benchmark`.
fn ffmpeg_cpu_seconds(args: &[&str]) -> f64 {
    tessera_testkit::ffmpeg_cpu_seconds(args)
}

/// CPU ms per frame of an ffmpeg run over `frames(n)` frames: the
/// difference between a long and a short run, best of three.
fn ffmpeg_ms_per_frame(args: impl Fn(usize) -> Vec<String>) -> f64 {
    let (short, long) = (20, 120);
    let run = |n: usize| {
        let a = args(n);
        ffmpeg_cpu_seconds(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    (0..3)
        .map(|_| (run(long) - run(short)) * 1e3 / (long - short) as f64)
        .fold(f64::INFINITY, f64::min)
}

fn ffmpeg_decode_ms(dir: &Path, input: &Input) -> f64 {
    // A raw MJPEG stream of N copies of the picture.
    ffmpeg_ms_per_frame(|n| {
        let path = dir.join(format!("dec{n}.mjpeg"));
        std::fs::write(&path, input.jpeg.repeat(n)).expect("write MJPEG stream");
        [
            "-threads",
            "1",
            "-f",
            "mjpeg",
            "-i",
            path.to_str().expect("utf-8 path"),
            "-threads",
            "1",
            "-f",
            "null",
            "-",
        ]
        .map(String::from)
        .to_vec()
    })
}

fn ffmpeg_encode_ms(dir: &Path, input: &Input) -> f64 {
    let raw = dir.join("frame.yuv");
    std::fs::write(&raw, input.frame.to_planar_bytes()).expect("write raw frame");
    ffmpeg_ms_per_frame(|n| {
        [
            "-threads",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuvj420p",
            "-s",
            "1920x1080",
            "-stream_loop",
            &(n - 1).to_string(),
            "-i",
            raw.to_str().expect("utf-8 path"),
            "-threads",
            "1",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
            "-f",
            "null",
            "-",
        ]
        .map(String::from)
        .to_vec()
    })
}

fn smoke(input: &Input) {
    let limits = Limits::default();
    let image = decode_coefficients(&input.jpeg, &limits).expect("coefficients");
    decode_rgb(&input.jpeg, &limits).expect("rgb");
    zune_decode(&input.jpeg, ColorSpace::YCbCr);
    zune_decode(&input.jpeg, ColorSpace::RGB);
    for mode in [HuffmanMode::Standard, HuffmanMode::Optimized] {
        let bytes = encode_coefficients(&image, &opts(mode)).expect("encode");
        let back = decode_coefficients(&bytes, &limits).expect("re-decode");
        assert!(
            back.components
                .iter()
                .zip(&image.components)
                .all(|(a, b)| a.blocks == b.blocks)
        );
    }
    encode_frame(&input.frame, QUALITY, &opts(HuffmanMode::Optimized)).expect("encode frame");
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let dir = tessera_testkit::temp_dir();
    let inputs = make_inputs(dir.path());
    if !benching {
        inputs.iter().for_each(smoke);
        println!("compare: smoke run done (pass --bench to measure)");
        return;
    }
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let limits = Limits::default();
    let mut table = Vec::new();
    for input in &inputs {
        let jpeg = input.jpeg.as_slice();
        let image = decode_coefficients(jpeg, &limits).expect("coefficients");
        {
            let mut group = criterion.benchmark_group(format!("jpeg-1080p420/{}", input.name));
            group.throughput(Throughput::Elements(1));
            group.bench_function("ours decode coefficients", |b| {
                b.iter(|| decode_coefficients(black_box(jpeg), &limits).unwrap())
            });
            group.bench_function("ours decode pixels (planar)", |b| {
                b.iter(|| decode_frame(black_box(jpeg), &limits).unwrap())
            });
            group.bench_function("ours decode rgb", |b| {
                b.iter(|| decode_rgb(black_box(jpeg), &limits).unwrap())
            });
            group.bench_function("zune-jpeg decode ycbcr (interleaved)", |b| {
                b.iter(|| zune_decode(black_box(jpeg), ColorSpace::YCbCr))
            });
            group.bench_function("zune-jpeg decode rgb", |b| {
                b.iter(|| zune_decode(black_box(jpeg), ColorSpace::RGB))
            });
            for (label, mode) in [
                ("ours encode coefficients (annex k)", HuffmanMode::Standard),
                (
                    "ours encode coefficients (optimized)",
                    HuffmanMode::Optimized,
                ),
            ] {
                group.bench_function(label, |b| {
                    b.iter(|| encode_coefficients(black_box(&image), &opts(mode)).unwrap())
                });
            }
            group.bench_function("ours encode pixels (optimized)", |b| {
                b.iter(|| {
                    encode_frame(
                        black_box(&input.frame),
                        QUALITY,
                        &opts(HuffmanMode::Optimized),
                    )
                    .unwrap()
                })
            });
            group.finish();
        }
        // Our own medians for the table (criterion keeps its estimates to
        // itself), then the peer processes.
        let time = |f: &mut dyn FnMut()| median_ms(f);
        let figures = Figures {
            coeffs: time(&mut || drop(decode_coefficients(jpeg, &limits).unwrap())),
            pixels: time(&mut || drop(decode_frame(jpeg, &limits).unwrap())),
            rgb: time(&mut || drop(decode_rgb(jpeg, &limits).unwrap())),
            zune_ycbcr: time(&mut || drop(zune_decode(jpeg, ColorSpace::YCbCr))),
            zune_rgb: time(&mut || drop(zune_decode(jpeg, ColorSpace::RGB))),
            encode_std: time(&mut || {
                drop(encode_coefficients(&image, &opts(HuffmanMode::Standard)).unwrap())
            }),
            encode_opt: time(&mut || {
                drop(encode_coefficients(&image, &opts(HuffmanMode::Optimized)).unwrap())
            }),
            encode_pixels: time(&mut || {
                drop(encode_frame(&input.frame, QUALITY, &opts(HuffmanMode::Optimized)).unwrap())
            }),
            ffmpeg_decode: ffmpeg_decode_ms(dir.path(), input),
            ffmpeg_encode: ffmpeg_encode_ms(dir.path(), input),
        };
        table.push((input, figures));
    }
    criterion.final_summary();
    print_table(&table);
}

fn print_table(table: &[(&Input, Figures)]) {
    println!();
    println!(
        "JPEG 1920x1080 4:2:0, one thread, CPU ms/frame (ours, zune: median; ffmpeg: -benchmark)"
    );
    print!("{:<44}", "");
    for (input, _) in table {
        print!("{:>16}", input.name);
    }
    println!();
    let row = |label: &str, value: &dyn Fn(&Figures) -> f64, unit: &str| {
        print!("{label:<44}");
        for (_, f) in table {
            print!("{:>14.3}{unit:<2}", value(f));
        }
        println!();
    };
    print!("{:<44}", "input size (KiB)");
    for (input, _) in table {
        print!("{:>14.0}  ", input.jpeg.len() as f64 / 1024.0);
    }
    println!();
    row("ours decode -> coefficients", &|f| f.coeffs, "");
    row("ours decode -> pixels (planar YCbCr)", &|f| f.pixels, "");
    row("ours decode -> RGB", &|f| f.rgb, "");
    row(
        "zune-jpeg -> YCbCr (upsampled, interleaved)",
        &|f| f.zune_ycbcr,
        "",
    );
    row("zune-jpeg -> RGB", &|f| f.zune_rgb, "");
    row("ffmpeg -threads 1 decode (CPU)", &|f| f.ffmpeg_decode, "");
    row("ours encode coefficients (Annex K)", &|f| f.encode_std, "");
    row(
        "ours encode coefficients (optimized)",
        &|f| f.encode_opt,
        "",
    );
    row(
        "ours encode pixels (q90, optimized)",
        &|f| f.encode_pixels,
        "",
    );
    row(
        "ffmpeg -threads 1 encode (CPU, -q:v 3)",
        &|f| f.ffmpeg_encode,
        "",
    );
    println!("ratios (below 1 means ours is faster)");
    row("  pixels / zune YCbCr", &|f| f.pixels / f.zune_ycbcr, "x");
    row("  RGB / zune RGB", &|f| f.rgb / f.zune_rgb, "x");
    row(
        "  pixels / ffmpeg decode (goal <= 1.5)",
        &|f| f.pixels / f.ffmpeg_decode,
        "x",
    );
    row(
        "  encode pixels / ffmpeg encode",
        &|f| f.encode_pixels / f.ffmpeg_encode,
        "x",
    );
    row(
        "coefficient speed-up over pixels (goal >= 1.6)",
        &|f| f.pixels / f.coeffs,
        "x",
    );
}
