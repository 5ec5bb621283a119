//! The measurements of Mayer-Patel & Rowe's semicompressed-video paper,
//! reproduced on this machine (issue 3); `docs/sc-measurements.md` records
//! a run.
//!
//! ```text
//! cargo bench -p tessera-sc --bench paper
//! ```
//!
//! 1. SC frame size against M-JPEG frame size: 2160 frames of 320x240
//!    from four lavfi sources, each coded by ffmpeg as MJPEG with `-q:v`
//!    swept over 2..31 across the clip, and the same frames coded with IJG
//!    qualities 10..95; every frame packetized whole (1400-byte packets).
//!    `docs/sc/size.csv`, `size-ffmpeg.png`, `size-ijg.png`.
//! 2. SC encode (`Packetizer::packetize`) time per block for squares,
//!    bands and columns of growing size on 1920x1080 4:2:0 frames.
//!    `docs/sc/encode.csv`, `encode.png`.
//! 3. SC -> M-JPEG transcode time (`ScImage::to_jpeg_bytes_with`, IJG
//!    quality-75 tables, Annex K Huffman tables; assembling the packets is
//!    timed apart) against SC frame size, at 320x240 and 1920x1080.
//!    `docs/sc/transcode.csv`, `transcode.png`.
//! 4. The speed goal: 1920x1080 transcode frames/s on one thread, and
//!    ffmpeg `-threads 1` decoding and re-encoding the same MJPEG frames
//!    (its `-benchmark` CPU time), with ratios. `docs/sc/speed.csv`.
//!
//! Every input is made by ffmpeg at the start of the run. Run without
//! `--bench` (as `cargo test --benches` does) a few frames go through
//! every path as a smoke test and nothing is written.

mod encode;
mod frames;
mod inputs;
mod plot;
mod report;
mod speed;
mod timing;

use std::path::Path;

use inputs::Sweep;

#[derive(Debug)]
pub struct Plan {
    pub small: Sweep,
    pub large: Sweep,
    small_reps: usize,
    large_reps: usize,
    speed_passes: usize,
    smoke: bool,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            small: Sweep {
                width: 320,
                height: 240,
                frames: 540,
                segment: 15,
                qualities: &[2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 31],
                ijg_qualities: &[10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 95],
            },
            large: Sweep {
                width: 1920,
                height: 1080,
                frames: 14,
                segment: 2,
                qualities: &[2, 3, 5, 8, 13, 20, 31],
                ijg_qualities: &[],
            },
            small_reps: 5,
            large_reps: 3,
            speed_passes: 3,
            smoke: false,
        }
    }

    fn smoke() -> Plan {
        Plan {
            small: Sweep {
                width: 320,
                height: 240,
                frames: 4,
                segment: 2,
                qualities: &[3, 20],
                ijg_qualities: &[20, 90],
            },
            large: Sweep {
                width: 1920,
                height: 1080,
                frames: 2,
                segment: 1,
                qualities: &[3, 20],
                ijg_qualities: &[],
            },
            small_reps: 1,
            large_reps: 1,
            speed_passes: 1,
            smoke: true,
        }
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let plan = if benching {
        Plan::full()
    } else {
        Plan::smoke()
    };
    let dir = tessera_testkit::temp_dir();
    let started = std::time::Instant::now();
    eprintln!("paper: making inputs with ffmpeg");
    let small = inputs::make(dir.path(), &plan.small);
    let large = inputs::make(dir.path(), &plan.large);
    eprintln!("paper: per-frame sizes and transcodes");
    let mut rows = frames::measure(&plan.small.label(), &small, plan.small_reps);
    rows.extend(frames::measure(
        &plan.large.label(),
        &large,
        plan.large_reps,
    ));
    eprintln!("paper: encode time per block");
    let at_q3 = |source: &str| {
        large
            .iter()
            .find(|c| c.source == source && c.q == 3)
            .expect("a q3 frame")
    };
    let contents = [at_q3("testsrc2+noise"), at_q3("mandelbrot")];
    let encode_rows = encode::measure(&contents, plan.smoke);
    let dct = encode::dct_ns_per_block(contents[0]);
    eprintln!("paper: speed goal (ours, then ffmpeg)");
    let speed_rows = speed::measure(dir.path(), &large, plan.speed_passes, benching);
    if !benching {
        println!("paper: smoke run done (pass --bench to measure and write docs/sc)");
        return;
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sc");
    std::fs::create_dir_all(&out).expect("create docs/sc");
    let out = out.canonicalize().expect("docs/sc");
    report::write_outputs(&out, &plan, &rows, &encode_rows, &speed_rows);
    report::print_summary(&plan, &rows, &encode_rows, dct, &speed_rows);
    println!(
        "\nwritten to {} in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}
