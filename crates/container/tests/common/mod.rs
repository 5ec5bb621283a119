//! Helpers shared by the container integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub use tessera_testkit::{run_ffmpeg, temp_dir};

/// `lavfi` test source arguments for `size` at `rate`, `frames` long.
pub fn testsrc(size: &str, rate: &str, frames: usize) -> Vec<String> {
    [
        "-f".to_string(),
        "lavfi".into(),
        "-i".into(),
        format!("testsrc=size={size}:rate={rate}"),
        "-frames:v".into(),
        frames.to_string(),
    ]
    .to_vec()
}

/// Runs ffmpeg with `pre` then `args` (all strings).
pub fn ffmpeg(pre: &[String], args: &[&str]) {
    let mut all: Vec<String> = pre.to_vec();
    all.extend(args.iter().map(|s| s.to_string()));
    run_ffmpeg(all);
}

/// `ffprobe` stream entries of the first video stream as `key=value`
/// lines, counting frames.
pub fn probe(path: &Path) -> std::collections::HashMap<String, String> {
    probe_entries(
        path,
        "stream=width,height,r_frame_rate,nb_read_frames,pix_fmt,codec_name",
    )
}

/// `ffprobe -count_frames -show_entries ENTRIES` of the first video stream,
/// as a map of its `key=value` lines; panics with ffprobe's stderr if it
/// fails.
pub fn probe_entries(path: &Path, entries: &str) -> std::collections::HashMap<String, String> {
    let out = Command::new(tessera_testkit::ffprobe())
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            entries,
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Files `dir/prefix001.jpg`, `dir/prefix002.jpg`, ... in order, read.
pub fn numbered_files(dir: &Path, prefix: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 1.. {
        let path: PathBuf = dir.join(format!("{prefix}{i:03}.jpg"));
        match std::fs::read(&path) {
            Ok(bytes) => out.push(bytes),
            Err(_) => break,
        }
    }
    out
}

/// A path inside `dir` as a `&str` argument.
pub fn arg(dir: &Path, name: &str) -> String {
    dir.join(name)
        .to_str()
        .expect("UTF-8 temp path")
        .to_string()
}

/// A tiny deterministic generator for the mutation tests.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
