//! MP4 files with MPEG-4 Part 2 video: ffmpeg's `.m4v` streams muxed by our
//! writer and checked with ffprobe and ffmpeg (codec, size, frame count,
//! timestamps, decoded frames equal to decoding the stream itself, no
//! warnings); our reader on our files and on ffmpeg's; broken files.

mod common;

use std::collections::HashMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use common::{Lcg, temp_dir};
use tessera_container::Error;
use tessera_container::mp4::{Mp4VideoConfig, Mp4Writer, read_mp4_video};
use tessera_core::Limits;
use tessera_mpeg4::es::{self, Split, VopKind};
use tessera_testkit::{TempDir, ffmpeg_lavfi, ffprobe, run_ffmpeg, run_ffmpeg_warnings, run_tool};

const FRAMES: usize = 30;

/// ffmpeg's MPEG-4 Part 2 encoding of 30 frames of `testsrc2` at QCIF, an
/// I-VOP every 10 frames, as a raw `.m4v` stream, and its split.
fn elementary_stream() -> (TempDir, PathBuf, Split) {
    let dir = temp_dir();
    let m4v = dir.path().join("in.m4v");
    ffmpeg_lavfi(
        "testsrc2=size=176x144:rate=25",
        FRAMES as u32,
        &["-c:v", "mpeg4", "-g", "10", "-f", "m4v"],
        &m4v,
    );
    let split = es::split(&std::fs::read(&m4v).unwrap());
    assert_eq!(split.access_units.len(), FRAMES);
    assert!(
        split.config.starts_with(&[0, 0, 1, 0xb0]),
        "VOS header first"
    );
    (dir, m4v, split)
}

fn config(split: &Split, timescale: u32, durations: &[u32]) -> Mp4VideoConfig {
    let bytes: u64 = split.access_units.iter().map(|a| a.data.len() as u64).sum();
    let ticks: u64 = durations.iter().map(|&d| u64::from(d)).sum();
    let largest = split
        .access_units
        .iter()
        .map(|a| a.data.len())
        .max()
        .unwrap();
    Mp4VideoConfig {
        width: 176,
        height: 144,
        timescale,
        decoder_config: split.config.clone(),
        profile_level: split.config[4],
        avg_bitrate: (bytes * 8 * u64::from(timescale) / ticks) as u32,
        max_bitrate: (bytes * 8) as u32,
        buffer_size: largest as u32,
    }
}

/// Muxes the split stream with our writer into `path`; returns the file.
fn mux(split: &Split, timescale: u32, durations: &[u32], path: &Path) -> Vec<u8> {
    let file = std::fs::File::create(path).unwrap();
    let config = config(split, timescale, durations);
    let mut writer = Mp4Writer::new(BufWriter::new(file), config).unwrap();
    for (au, &duration) in split.access_units.iter().zip(durations) {
        writer
            .write_sample(&au.data, duration, au.kind == VopKind::I)
            .unwrap();
    }
    writer.finish().unwrap().into_inner().unwrap();
    std::fs::read(path).unwrap()
}

/// ffprobe's view of the first video stream, counting frames by decoding.
fn stream_info(path: &Path) -> HashMap<String, String> {
    common::probe_entries(
        path,
        "stream=codec_name,codec_tag_string,width,height,nb_frames,nb_read_frames,time_base,duration_ts",
    )
}

/// (pts, duration, keyframe) of every video packet, as ffprobe demuxes
/// them.
fn packets(path: &Path) -> Vec<(u64, u64, bool)> {
    let out = run_tool(
        &ffprobe(),
        [
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,duration,flags",
            "-of",
            "csv=p=0",
            path.to_str().unwrap(),
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].starts_with('K'),
            )
        })
        .collect()
}

/// MD5 of every decoded frame (ffmpeg's `framemd5`, no frame dropped or
/// repeated); asserts that decoding printed no warning or error.
fn frame_md5s(input: &Path, raw_m4v: bool) -> Vec<String> {
    let out = input.with_extension("framemd5");
    let mut args: Vec<&str> = Vec::new();
    if raw_m4v {
        args.extend(["-f", "m4v"]);
    }
    args.extend(["-i", input.to_str().unwrap()]);
    args.extend(["-fps_mode", "passthrough", "-f", "framemd5"]);
    args.push(out.to_str().unwrap());
    let log = run_ffmpeg_warnings(&args);
    assert!(
        log.trim().is_empty(),
        "ffmpeg warned decoding {}:\n{log}",
        input.display()
    );
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

/// Checks a file of ours against ffprobe and ffmpeg's decoding of the
/// elementary stream it came from.
fn check_with_ffmpeg(m4v: &Path, ours: &Path, split: &Split, timescale: u32, durations: &[u32]) {
    let info = stream_info(ours);
    for (key, value) in [
        ("codec_name", "mpeg4".to_string()),
        ("codec_tag_string", "mp4v".into()),
        ("width", "176".into()),
        ("height", "144".into()),
        ("nb_frames", FRAMES.to_string()),
        ("nb_read_frames", FRAMES.to_string()),
        ("time_base", format!("1/{timescale}")),
        (
            "duration_ts",
            durations
                .iter()
                .map(|&d| u64::from(d))
                .sum::<u64>()
                .to_string(),
        ),
    ] {
        assert_eq!(info.get(key), Some(&value), "{key} in {info:?}");
    }

    let mut pts = 0;
    let expected: Vec<(u64, u64, bool)> = split
        .access_units
        .iter()
        .zip(durations)
        .map(|(au, &d)| {
            let packet = (pts, u64::from(d), au.kind == VopKind::I);
            pts += u64::from(d);
            packet
        })
        .collect();
    assert_eq!(packets(ours), expected);
    let keys: Vec<usize> = (0..FRAMES).filter(|&i| expected[i].2).collect();
    assert_eq!(keys, [0, 10, 20], "-g 10 puts an I-VOP every 10 frames");

    let reference = frame_md5s(m4v, true);
    assert_eq!(reference.len(), FRAMES);
    assert_eq!(frame_md5s(ours, false), reference);
}

#[test]
fn constant_rate_file_decodes_in_ffmpeg_like_the_stream() {
    let (dir, m4v, split) = elementary_stream();
    let ours = dir.path().join("ours.mp4");
    let durations = [1; FRAMES];
    mux(&split, 25, &durations, &ours);
    check_with_ffmpeg(&m4v, &ours, &split, 25, &durations);
}

#[test]
fn variable_durations_keep_their_timestamps() {
    let (dir, m4v, split) = elementary_stream();
    let ours = dir.path().join("ours.mp4");
    let durations: Vec<u32> = (0..FRAMES)
        .map(|i| if i % 2 == 0 { 3000 } else { 4500 })
        .collect();
    mux(&split, 90000, &durations, &ours);
    check_with_ffmpeg(&m4v, &ours, &split, 90000, &durations);
}

#[test]
fn our_reader_gives_back_what_was_written() {
    let (dir, _, split) = elementary_stream();
    let durations: Vec<u32> = (0..FRAMES).map(|i| 3000 + 1500 * (i as u32 % 3)).collect();
    let bytes = mux(&split, 90000, &durations, &dir.path().join("ours.mp4"));
    let video = read_mp4_video(&bytes, Limits::default()).unwrap();
    assert_eq!(video.config, config(&split, 90000, &durations));
    assert_eq!(video.samples.len(), FRAMES);
    for ((sample, au), &d) in video
        .samples
        .iter()
        .zip(&split.access_units)
        .zip(&durations)
    {
        assert_eq!(sample.data, au.data);
        assert_eq!(sample.duration, d);
        assert_eq!(sample.sync, au.kind == VopKind::I);
    }
}

#[test]
fn ffmpeg_mp4_files_read_like_their_stream() {
    let (dir, m4v, split) = elementary_stream();
    let theirs = dir.path().join("theirs.mp4");
    run_ffmpeg([
        "-f",
        "m4v",
        "-i",
        m4v.to_str().unwrap(),
        "-c",
        "copy",
        theirs.to_str().unwrap(),
    ]);
    let video = read_mp4_video(&std::fs::read(&theirs).unwrap(), Limits::default()).unwrap();
    let c = &video.config;
    assert_eq!((c.width, c.height), (176, 144));
    // ffmpeg's configuration stops before the first GOV header, as
    // es::split's does (the GOV opens the first access unit); ffmpeg's first
    // sample holds everything up to the second VOP.
    assert_eq!(c.decoder_config, split.config);
    assert!(
        split.access_units[0].data.starts_with(&[0, 0, 1, 0xb3]),
        "the first access unit opens with the GOV"
    );
    assert_eq!(c.profile_level, split.config[4], "from the VOS header");
    assert_eq!(video.samples.len(), FRAMES);
    assert!(video.samples[0].data == [&split.config[..], &split.access_units[0].data].concat());
    for (i, (sample, au)) in video.samples.iter().zip(&split.access_units).enumerate() {
        if i > 0 {
            assert!(sample.data == au.data, "sample {i}");
        }
        assert_eq!(sample.sync, au.kind == VopKind::I, "sample {i}");
        assert_eq!(u64::from(sample.duration) * 25, u64::from(c.timescale));
    }
}

/// Offsets and sizes of every box in `data[from..to]`, descending into the
/// containers our writer nests (test-side, trusting our own output).
fn all_boxes(data: &[u8], from: usize, to: usize, out: &mut Vec<(usize, [u8; 4])>) {
    let mut at = from;
    while at + 8 <= to {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[at + 4..at + 8].try_into().unwrap();
        out.push((at, kind));
        let skip = match &kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"dinf" | b"stbl" => Some(0),
            b"stsd" | b"dref" => Some(8),
            b"mp4v" => Some(78),
            _ => None,
        };
        if let Some(skip) = skip {
            all_boxes(data, at + 8 + skip, at + size, out);
        }
        at += size;
    }
}

/// A read's outcome without the sample bytes, for messages.
fn brief(r: Result<tessera_container::mp4::Mp4Video, Error>) -> Result<usize, Error> {
    r.map(|v| v.samples.len())
}

#[test]
fn truncated_and_corrupted_files_are_errors_not_panics() {
    let dir = temp_dir();
    let (_keep, _, split) = elementary_stream();
    let durations = [1; FRAMES];
    let good = mux(&split, 25, &durations, &dir.path().join("ours.mp4"));
    let read = |b: &[u8]| read_mp4_video(b, Limits::default());
    assert!(read(&good).is_ok());

    // Every prefix.
    for len in 0..good.len() {
        match read(&good[..len]) {
            Err(e) if e.is_malformed() => {}
            other => panic!("prefix of {len} bytes: {:?}", brief(other)),
        }
    }

    // Every box size made too small, one too big, and past the file.
    let mut boxes = Vec::new();
    all_boxes(&good, 0, good.len(), &mut boxes);
    assert!(boxes.len() > 20, "{} boxes", boxes.len());
    for &(at, kind) in &boxes {
        let name = String::from_utf8_lossy(&kind);
        let size = u32::from_be_bytes(good[at..at + 4].try_into().unwrap());
        for bad in [2, 7, size + 1, u32::MAX] {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&bad.to_be_bytes());
            match read(&b) {
                Err(e) if e.is_malformed() => {}
                other => panic!("{name} at {at} with size {bad}: {:?}", brief(other)),
            }
        }
        // Size 0 means "to the end of the container": valid for the last
        // box of each, so any answer will do but a panic.
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&[0; 4]);
        let _ = read(&b);
    }

    // Random bytes of moov changed: errors or a (wrong) video, never a
    // panic, and never more sample data than the file holds.
    let moov = boxes.iter().find(|b| &b.1 == b"moov").unwrap().0;
    let mut rng = Lcg(7);
    for _ in 0..3000 {
        let mut b = good.clone();
        for _ in 0..1 + rng.below(4) {
            let at = moov + rng.below(good.len() - moov);
            b[at] = rng.next() as u8;
        }
        if let Ok(video) = read(&b) {
            let total: usize = video.samples.iter().map(|s| s.data.len()).sum();
            assert!(total <= b.len());
        }
    }

    // A sample table that asks for billions of samples.
    let stsz = boxes.iter().find(|b| &b.1 == b"stsz").unwrap().0;
    let mut b = good.clone();
    b[stsz + 12..stsz + 16].copy_from_slice(&1u32.to_be_bytes()); // constant size
    b[stsz + 16..stsz + 20].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(read(&b), Err(Error::MalformedMp4 { .. })));
}
