//! The run's figures as CSV files, PNG charts and Markdown tables (printed,
//! for `docs/sc-measurements.md`).

use std::path::Path;

use crate::Plan;
use crate::encode::EncodeRow;
use crate::frames::FrameRow;
use crate::inputs::Coder;
use crate::plot::{self, Chart, Mark, Series};
use crate::speed::SpeedRow;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn ratio(r: &FrameRow) -> f64 {
    r.sc_bytes as f64 / r.mjpeg_bytes as f64
}

fn sources_of<'a>(rows: impl IntoIterator<Item = &'a FrameRow>) -> Vec<&'static str> {
    let mut s: Vec<&'static str> = rows.into_iter().map(|r| r.source).collect();
    s.sort();
    s.dedup();
    s
}

fn qualities(plan: &Plan, coder: Coder) -> &'static [u8] {
    match coder {
        Coder::Ffmpeg => plan.small.qualities,
        Coder::Ijg => plan.small.ijg_qualities,
    }
}

fn chart(title: &str, x: &str, y: &str, x_log: bool, y_log: bool, series: Vec<Series>) -> Chart {
    Chart {
        title: title.to_string(),
        x_label: x.to_string(),
        y_label: y.to_string(),
        x_log,
        y_log,
        y_from_zero: !y_log,
        legend_low: false,
        series,
    }
}

/// One scatter series per source.
fn per_source(rows: &[&FrameRow], f: &dyn Fn(&FrameRow) -> (f64, f64)) -> Vec<Series> {
    sources_of(rows.iter().copied())
        .into_iter()
        .map(|s| Series {
            label: s.to_string(),
            mark: Mark::Points,
            points: rows
                .iter()
                .filter(|r| r.source == s)
                .map(|r| f(r))
                .collect(),
        })
        .collect()
}

pub fn write_outputs(
    out: &Path,
    plan: &Plan,
    rows: &[FrameRow],
    encode_rows: &[EncodeRow],
    speed_rows: &[SpeedRow],
) {
    write_csvs(out, plan, rows, encode_rows, speed_rows);
    if plot::font().is_none() {
        println!("no TrueType font found: PNG charts skipped (set TESSERA_PLOT_FONT)");
        return;
    }
    let small_label = plan.small.label();
    for coder in [Coder::Ffmpeg, Coder::Ijg] {
        let small: Vec<&FrameRow> = rows
            .iter()
            .filter(|r| r.resolution == small_label && r.coder == coder)
            .collect();
        size_chart(out, plan, coder, &small);
    }
    encode_chart(out, encode_rows);
    let panel = |label: String| {
        let rs: Vec<&FrameRow> = rows.iter().filter(|r| r.resolution == label).collect();
        chart(
            &format!("SC -> JPEG transcode (q75), {label}"),
            "SC frame (bytes)",
            "transcode time (us)",
            false,
            false,
            per_source(&rs, &|r| (r.sc_bytes as f64, r.transcode * 1e6)),
        )
    };
    plot::draw(
        &out.join("transcode.png"),
        (1600, 600),
        &[panel(plan.small.label()), panel(plan.large.label())],
    );
}

fn write_csvs(
    out: &Path,
    plan: &Plan,
    rows: &[FrameRow],
    encode_rows: &[EncodeRow],
    speed_rows: &[SpeedRow],
) {
    let small_label = plan.small.label();
    plot::write_csv(
        &out.join("size.csv"),
        "coder,source,quality,frame,mjpeg_bytes,sc_bytes,sc_packets,ratio",
        rows.iter()
            .filter(|r| r.resolution == small_label)
            .map(|r| {
                format!(
                    "{},{},{},{},{},{},{},{:.4}",
                    r.coder.name(),
                    r.source,
                    r.q,
                    r.frame,
                    r.mjpeg_bytes,
                    r.sc_bytes,
                    r.sc_packets,
                    ratio(r)
                )
            }),
    );
    plot::write_csv(
        &out.join("transcode.csv"),
        "resolution,coder,source,quality,frame,mjpeg_bytes,sc_bytes,sc_packets,out_bytes,assemble_us,transcode_us",
        rows.iter().map(|r| {
            format!(
                "{},{},{},{},{},{},{},{},{},{:.1},{:.1}",
                r.resolution,
                r.coder.name(),
                r.source,
                r.q,
                r.frame,
                r.mjpeg_bytes,
                r.sc_bytes,
                r.sc_packets,
                r.out_bytes,
                r.assemble * 1e6,
                r.transcode * 1e6
            )
        }),
    );
    plot::write_csv(
        &out.join("encode.csv"),
        "content,shape,x,y,width,height,blocks,packets,sc_bytes,ns_per_block,cpu_ns_per_block",
        encode_rows.iter().map(|r| {
            format!(
                "{},{},{},{},{},{},{},{},{},{:.1},{}",
                r.content,
                r.shape,
                r.region.x,
                r.region.y,
                r.region.width,
                r.region.height,
                r.blocks,
                r.packets,
                r.sc_bytes,
                r.ns_per_block,
                r.cpu_ns_per_block
                    .map_or(String::new(), |c| format!("{c:.1}"))
            )
        }),
    );
    plot::write_csv(
        &out.join("speed.csv"),
        "source,frames,mjpeg_bytes,sc_bytes,out_bytes,ffmpeg_q,ffmpeg_out_bytes,quantize_ms_wall,huffman_ms_wall,transcode_ms_wall,transcode_ms_cpu,assemble_transcode_ms_cpu,ffmpeg_ms_cpu",
        speed_rows.iter().map(|r| {
            format!(
                "{},{},{:.0},{:.0},{:.0},{},{:.0},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3}",
                r.source,
                r.frames,
                r.mjpeg_bytes,
                r.sc_bytes,
                r.out_bytes,
                r.ffmpeg_q,
                r.ffmpeg_out_bytes,
                r.quantize_wall,
                r.huffman_wall,
                r.transcode_wall,
                r.transcode_cpu,
                r.receive_cpu,
                r.ffmpeg_cpu
            )
        }),
    );
}

/// Measurement 1 for one coder: SC size against M-JPEG size, the ratio
/// against M-JPEG size, and the median ratio by quality.
fn size_chart(out: &Path, plan: &Plan, coder: Coder, small: &[&FrameRow]) {
    let (lo, hi) = small.iter().fold((f64::INFINITY, 0f64), |(lo, hi), r| {
        let b = r.mjpeg_bytes as f64;
        (lo.min(b), hi.max(b))
    });
    let guide = |k: f64, scale: bool| Series {
        label: format!("{k}x"),
        mark: Mark::Guide,
        points: vec![
            (lo, if scale { k * lo } else { k }),
            (hi, if scale { k * hi } else { k }),
        ],
    };
    let mut sizes = per_source(small, &|r| (r.mjpeg_bytes as f64, r.sc_bytes as f64));
    sizes.extend([guide(2.0, true), guide(6.0, true)]);
    let mut ratios = per_source(small, &|r| (r.mjpeg_bytes as f64, ratio(r)));
    ratios.extend([guide(2.0, false), guide(6.0, false)]);
    let by_quality: Vec<Series> = sources_of(small.iter().copied())
        .into_iter()
        .map(|s| Series {
            label: s.to_string(),
            mark: Mark::Line,
            points: qualities(plan, coder)
                .iter()
                .map(|&q| {
                    let v = small
                        .iter()
                        .filter(|r| r.source == s && r.q == q)
                        .map(|r| ratio(r))
                        .collect();
                    (f64::from(q), median(v))
                })
                .collect(),
        })
        .collect();
    let what = match coder {
        Coder::Ffmpeg => "ffmpeg -q:v 2-31",
        Coder::Ijg => "IJG quality 10-95",
    };
    let label = plan.small.label();
    plot::draw(
        &out.join(format!("size-{}.png", coder.name())),
        (1800, 560),
        &[
            chart(
                &format!("SC vs M-JPEG frame size, {label}, {what}"),
                "M-JPEG frame (bytes)",
                "SC frame (bytes)",
                true,
                true,
                sizes,
            ),
            chart(
                "SC / M-JPEG size ratio",
                "M-JPEG frame (bytes)",
                "SC / M-JPEG",
                true,
                false,
                ratios,
            ),
            Chart {
                legend_low: true,
                ..chart(
                    &format!("median ratio by {}", coder.quality_name()),
                    coder.quality_name(),
                    "SC / M-JPEG",
                    false,
                    false,
                    by_quality,
                )
            },
        ],
    );
}

fn encode_chart(out: &Path, encode_rows: &[EncodeRow]) {
    let mut keys: Vec<(&str, &str)> = encode_rows.iter().map(|r| (r.content, r.shape)).collect();
    keys.dedup();
    let series = keys
        .into_iter()
        .map(|(content, shape)| Series {
            label: format!("{content}, {shape}s"),
            mark: Mark::Line,
            points: encode_rows
                .iter()
                .filter(|r| r.content == content && r.shape == shape)
                .map(|r| (r.blocks as f64, r.ns_per_block))
                .collect(),
        })
        .collect();
    let mut contents: Vec<&str> = encode_rows.iter().map(|r| r.content).collect();
    contents.dedup();
    let by_bytes = contents
        .into_iter()
        .map(|content| Series {
            label: content.to_string(),
            mark: Mark::Points,
            points: encode_rows
                .iter()
                .filter(|r| r.content == content)
                .map(|r| (r.sc_bytes as f64 / r.blocks as f64, r.ns_per_block))
                .collect(),
        })
        .collect();
    plot::draw(
        &out.join("encode.png"),
        (1700, 600),
        &[
            Chart {
                legend_low: true,
                ..chart(
                    "SC encode (packetize) time per block, 1920x1080 4:2:0",
                    "blocks in the region",
                    "ns per block",
                    true,
                    false,
                    series,
                )
            },
            Chart {
                legend_low: true,
                ..chart(
                    "the same regions by what they hold",
                    "SC bytes per block in the region",
                    "ns per block",
                    false,
                    false,
                    by_bytes,
                )
            },
        ],
    );
}

pub fn print_summary(
    plan: &Plan,
    rows: &[FrameRow],
    encode_rows: &[EncodeRow],
    dct: f64,
    speed_rows: &[SpeedRow],
) {
    let small_label = plan.small.label();
    for coder in [Coder::Ffmpeg, Coder::Ijg] {
        let small: Vec<&FrameRow> = rows
            .iter()
            .filter(|r| r.resolution == small_label && r.coder == coder)
            .collect();
        print_sizes(plan, coder, &small);
    }
    print_encode(encode_rows, dct);
    print_transcode(plan, rows);
    print_speed(speed_rows);
}

fn print_sizes(plan: &Plan, coder: Coder, small: &[&FrameRow]) {
    let sources = sources_of(small.iter().copied());
    println!(
        "\n## 1. SC vs M-JPEG size, {} frames of {}, {}\n",
        small.len(),
        plan.small.label(),
        coder.quality_name()
    );
    print!(
        "| {} | frames | M-JPEG mean (B) | SC mean (B) | ratio min | median | max |",
        coder.quality_name()
    );
    for s in &sources {
        print!(" {s} |");
    }
    println!();
    println!("|{}", "---|".repeat(7 + sources.len()));
    let all: Vec<f64> = small.iter().map(|r| ratio(r)).collect();
    for &q in qualities(plan, coder) {
        let at: Vec<&FrameRow> = small.iter().copied().filter(|r| r.q == q).collect();
        let mean = |f: &dyn Fn(&FrameRow) -> usize| {
            at.iter().map(|r| f(r)).sum::<usize>() as f64 / at.len() as f64
        };
        let ratios: Vec<f64> = at.iter().map(|r| ratio(r)).collect();
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(0.0, f64::max);
        print!(
            "| {q} | {} | {:.0} | {:.0} | {min:.2} | {:.2} | {max:.2} |",
            at.len(),
            mean(&|r| r.mjpeg_bytes),
            mean(&|r| r.sc_bytes),
            median(ratios.clone())
        );
        for s in &sources {
            let v = at
                .iter()
                .filter(|r| r.source == *s)
                .map(|r| ratio(r))
                .collect();
            print!(" {:.2} |", median(v));
        }
        println!();
    }
    println!(
        "all frames: ratio {:.2} to {:.2}, median {:.2}",
        all.iter().copied().fold(f64::INFINITY, f64::min),
        all.iter().copied().fold(0.0, f64::max),
        median(all.clone())
    );
}

fn print_encode(encode_rows: &[EncodeRow], dct: f64) {
    println!(
        "\n## 2. Packetize time per block, 1920x1080 4:2:0 (fastest batch; CPU over all batches)\n"
    );
    println!(
        "| content | shape | region | blocks | packets | SC bytes/block | ns/block | CPU ns/block |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in encode_rows {
        println!(
            "| {} | {} | {}x{} | {} | {} | {:.1} | {:.1} | {} |",
            r.content,
            r.shape,
            r.region.width,
            r.region.height,
            r.blocks,
            r.packets,
            r.sc_bytes as f64 / r.blocks as f64,
            r.ns_per_block,
            r.cpu_ns_per_block.map_or("-".into(), |c| format!("{c:.1}"))
        );
    }
    println!("forward DCT of the whole frame (ScImage::from_frame), for scale: {dct:.1} ns/block");
}

fn print_transcode(plan: &Plan, rows: &[FrameRow]) {
    println!(
        "\n## 3. Transcode per frame (fastest of the repetitions), by resolution, coder and quality\n"
    );
    println!(
        "| resolution | coder | quality | frames | SC bytes (median) | out bytes (median) | assemble us (median) | transcode us (median) | transcode fps |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let sets = [
        (plan.small.label(), Coder::Ffmpeg, plan.small.qualities),
        (plan.small.label(), Coder::Ijg, plan.small.ijg_qualities),
        (plan.large.label(), Coder::Ffmpeg, plan.large.qualities),
    ];
    for (label, coder, qualities) in sets {
        for &q in qualities {
            let at: Vec<&FrameRow> = rows
                .iter()
                .filter(|r| r.resolution == label && r.coder == coder && r.q == q)
                .collect();
            let m = |f: &dyn Fn(&FrameRow) -> f64| median(at.iter().map(|r| f(r)).collect());
            let t = m(&|r| r.transcode);
            println!(
                "| {label} | {} | {q} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                coder.name(),
                at.len(),
                m(&|r| r.sc_bytes as f64),
                m(&|r| r.out_bytes as f64),
                m(&|r| r.assemble * 1e6),
                t * 1e6,
                1.0 / t
            );
        }
    }
}

fn print_speed(speed_rows: &[SpeedRow]) {
    println!(
        "\n## 4. Speed goal, 1920x1080 4:2:0, one thread, ms/frame (ours: thread CPU time unless marked wall; ffmpeg: -benchmark CPU time)\n"
    );
    println!(
        "| source | frames | M-JPEG in (KB) | SC (KB) | ours out (KB) | ffmpeg -q:v, out (KB) | quantize (wall) | Huffman (wall) | transcode (wall) | transcode | fps | assemble + transcode | fps | ffmpeg decode + encode | ffmpeg / transcode | ffmpeg / (assemble + transcode) |"
    );
    println!("|{}", "---|".repeat(16));
    let mut sum = [0.0; 7];
    let mut frames = 0usize;
    for r in speed_rows {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {}, {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} | {:.2}x | {:.2}x |",
            r.source,
            r.frames,
            r.mjpeg_bytes / 1e3,
            r.sc_bytes / 1e3,
            r.out_bytes / 1e3,
            r.ffmpeg_q,
            r.ffmpeg_out_bytes / 1e3,
            r.quantize_wall,
            r.huffman_wall,
            r.transcode_wall,
            r.transcode_cpu,
            1e3 / r.transcode_cpu,
            r.receive_cpu,
            1e3 / r.receive_cpu,
            r.ffmpeg_cpu,
            r.ffmpeg_cpu / r.transcode_cpu,
            r.ffmpeg_cpu / r.receive_cpu
        );
        let n = r.frames as f64;
        frames += r.frames;
        for (s, v) in sum.iter_mut().zip([
            r.quantize_wall,
            r.huffman_wall,
            r.transcode_wall,
            r.transcode_cpu,
            r.receive_cpu,
            r.ffmpeg_cpu,
            0.0,
        ]) {
            *s += v * n;
        }
    }
    let n = frames as f64;
    let [q, h, w, t, rc, f, _] = sum.map(|s| s / n);
    println!(
        "| all | {frames} | | | | | {q:.2} | {h:.2} | {w:.2} | {t:.2} | {:.0} | {rc:.2} | {:.0} | {f:.2} | {:.2}x | {:.2}x |",
        1e3 / t,
        1e3 / rc,
        f / t,
        f / rc
    );
    println!(
        "goal: >= 150 frames/s: {} ({:.0}); >= 2x ffmpeg: {} ({:.2}x)",
        if 1e3 / t >= 150.0 { "met" } else { "NOT met" },
        1e3 / t,
        if f / t >= 2.0 { "met" } else { "NOT met" },
        f / t
    );
}
