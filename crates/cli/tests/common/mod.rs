//! Running the built `tessera` binary, shared by the CLI's test files.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Debug;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::{Command, Output};

use tessera_container::y4m::{Y4mHeader, Y4mReader, Y4mWriter};
use tessera_core::{Frame, Limits};

/// Runs `tessera ARGS` to completion (stdin closed), capturing its output.
pub fn tessera<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("run tessera")
}

/// Runs tessera, asserting success; returns stdout.
pub fn ok<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let out = tessera(args);
    assert!(
        out.status.success(),
        "tessera {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Asserts a failure (exit code 1, stderr starting `tessera: error: `) and
/// returns stderr.
pub fn failure<S: AsRef<OsStr> + Debug>(args: &[S]) -> String {
    let out = tessera(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail with code 1: {stderr}"
    );
    assert!(stderr.starts_with("tessera: error: "), "{stderr}");
    stderr
}

/// Asserts a failure with exactly one line on stderr naming `needle`.
pub fn fails<S: AsRef<OsStr> + Debug>(args: &[S], needle: &str) {
    let stderr = failure(args);
    assert_eq!(stderr.lines().count(), 1, "one error line, got: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
}

/// Reads a whole Y4M file.
pub fn read_y4m(path: &Path) -> (Y4mHeader, Vec<Frame>) {
    let file = BufReader::new(File::open(path).unwrap());
    let mut reader = Y4mReader::new(file, Limits::default()).unwrap();
    let frames = reader.frames().collect::<Result<Vec<_>, _>>().unwrap();
    (reader.header().clone(), frames)
}

/// Writes frames as a Y4M file.
pub fn write_y4m(path: &Path, header: &Y4mHeader, frames: &[Frame]) {
    let mut writer = Y4mWriter::new(File::create(path).unwrap(), header).unwrap();
    for f in frames {
        writer.write_frame(f).unwrap();
    }
    writer.into_inner().unwrap();
}
