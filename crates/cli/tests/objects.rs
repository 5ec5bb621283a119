//! Object-based encoding as a user runs it: `tessera gen scene`, then
//! `tessera encode SCENE --object K=MASK ... --output DIR/` (or
//! `--labels`), then `tessera compose`. Lossless shapes come back exactly,
//! the rectangular background plays in ffmpeg, and bad inputs get one
//! clear error line.

use std::path::Path;

use tessera_core::Frame;
use tessera_testkit::{ffprobe_size_and_frames, run_ffmpeg_warnings, temp_dir};

mod common;
use common::{fails, ok, read_y4m, tessera, write_y4m};

fn gen_scene(dir: &Path, frames: &str, seed: &str) {
    ok(&[
        "gen",
        "scene",
        "--output",
        dir.to_str().unwrap(),
        "--size",
        "176x144",
        "--frames",
        frames,
        "--objects",
        "3",
        "--seed",
        seed,
    ]);
}

/// Object `k`'s decoded masks, by `tessera compose MANIFEST --object K
/// --alpha`.
fn decoded_alpha(manifest: &Path, k: u8, dir: &Path) -> Vec<Frame> {
    let alpha = dir.join(format!("alpha{k}.y4m"));
    ok(&[
        "compose",
        manifest.to_str().unwrap(),
        "--output",
        alpha.to_str().unwrap(),
        "--object",
        &k.to_string(),
        "--alpha",
    ]);
    read_y4m(&alpha).1
}

fn luma(frames: &[Frame]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.planes[0].to_packed()).collect()
}

#[test]
fn masks_encode_compose_and_come_back_exactly() {
    let dir = temp_dir();
    let (scene, out) = (dir.path().join("scene"), dir.path().join("out"));
    gen_scene(&scene, "20", "4");
    let s = |name: &str| scene.join(name).to_str().unwrap().to_string();
    let summary = ok(&[
        "encode",
        &s("scene.y4m"),
        "--object",
        &format!("1={}", s("object1.y4m")),
        "--object",
        &format!("2={}", s("object2.y4m")),
        "--object",
        &format!("3={}", s("object3.y4m")),
        "--binary-only",
        "3",
        "--qp",
        "6",
        "--output",
        &format!("{}/", out.display()),
    ]);
    // One line per object with its bit split, PSNR and shape error.
    for k in 0..4 {
        assert!(summary.contains(&format!("object {k} (")), "{summary}");
    }
    assert!(summary.contains("object 3 (binary-only)"), "{summary}");
    assert_eq!(
        summary.matches("shape error 0 samples").count(),
        4,
        "{summary}"
    );
    let manifest = std::fs::read_to_string(out.join("scene.json")).unwrap();
    assert!(manifest.contains("\"frame_rate\": \"25/1\""), "{manifest}");
    // The background is a Simple Profile stream ffmpeg plays cleanly.
    let bg = out.join("object0.m4v");
    assert_eq!(ffprobe_size_and_frames(&bg), "176,144,20");
    let warnings = run_ffmpeg_warnings(["-i", bg.to_str().unwrap(), "-f", "null", "-"]);
    assert!(warnings.is_empty(), "{warnings}");
    // Every object's decoded shape is its input mask, frame for frame.
    let manifest = out.join("scene.json");
    for k in 1..=3 {
        let decoded = decoded_alpha(&manifest, k, dir.path());
        let (_, input) = read_y4m(&scene.join(format!("object{k}.y4m")));
        assert_eq!(decoded.len(), 20);
        assert!(luma(&decoded) == luma(&input), "object {k}");
    }
    // The composed scene is as close to the scene as the background layer
    // alone (same quantiser): objects land where they belong (object 3 has
    // no texture, so the background shows there).
    let composed = dir.path().join("composed.y4m");
    let background = dir.path().join("background.y4m");
    let m = manifest.to_str().unwrap();
    ok(&["compose", m, "--output", composed.to_str().unwrap()]);
    ok(&[
        "compose",
        m,
        "--output",
        background.to_str().unwrap(),
        "--object",
        "0",
    ]);
    let (header, frames) = read_y4m(&composed);
    let (_, bg) = read_y4m(&background);
    let (_, source) = read_y4m(&scene.join("scene.y4m"));
    assert_eq!((header.width, header.height, frames.len()), (176, 144, 20));
    for ((a, b), s) in frames.iter().zip(&bg).zip(&source) {
        let p = tessera_testkit::plane_psnr(&a.planes[0], &s.planes[0]);
        let q = tessera_testkit::plane_psnr(&b.planes[0], &s.planes[0]);
        assert!(
            p > q - 1.0 && p > 25.0,
            "composed {p:.2} dB, background {q:.2} dB"
        );
    }
}

#[test]
fn labels_name_the_objects() {
    let dir = temp_dir();
    let (scene, out) = (dir.path().join("scene"), dir.path().join("out"));
    gen_scene(&scene, "12", "9");
    let summary = ok(&[
        "encode",
        scene.join("scene.y4m").to_str().unwrap(),
        "--labels",
        scene.join("labels.y4m").to_str().unwrap(),
        "--alpha-threshold",
        "0",
        "--no-background",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!summary.contains("object 0 ("), "{summary}");
    let (_, labels) = read_y4m(&scene.join("labels.y4m"));
    for k in 1..=3u8 {
        let decoded = decoded_alpha(&out.join("scene.json"), k, dir.path());
        for (d, l) in decoded.iter().zip(&labels) {
            let want: Vec<u8> = l.planes[0]
                .to_packed()
                .iter()
                .map(|&v| if v == k { 255 } else { 0 })
                .collect();
            assert!(d.planes[0].to_packed() == want, "object {k}");
        }
    }
}

#[test]
fn bad_scenes_get_one_clear_error() {
    let dir = temp_dir();
    let scene = dir.path().join("scene");
    gen_scene(&scene, "6", "2");
    let s = |name: &str| scene.join(name).to_str().unwrap().to_string();
    let out = dir.path().join("out").to_str().unwrap().to_string();
    let video = s("scene.y4m");
    // A mask with a value that is neither 0 nor 255.
    let (header, mut frames) = read_y4m(&scene.join("object1.y4m"));
    frames[3].planes[0].row_mut(10)[20] = 128;
    write_y4m(&dir.path().join("grey.y4m"), &header, &frames);
    let grey = format!("1={}", dir.path().join("grey.y4m").display());
    fails(
        &["encode", &video, "--object", &grey, "--output", &out],
        "128",
    );
    // Fewer mask frames than video frames.
    write_y4m(&dir.path().join("short.y4m"), &header, &frames[..4]);
    let short = format!("1={}", dir.path().join("short.y4m").display());
    fails(
        &["encode", &video, "--object", &short, "--output", &out],
        "short.y4m",
    );
    // Another size.
    let small: Vec<Frame> = frames
        .iter()
        .map(|_| Frame::grey(88, 72, tessera_core::ChromaFormat::Yuv420))
        .collect();
    let mut h2 = header.clone();
    (h2.width, h2.height) = (88, 72);
    write_y4m(&dir.path().join("small.y4m"), &h2, &small);
    let small = format!("1={}", dir.path().join("small.y4m").display());
    fails(
        &["encode", &video, "--object", &small, "--output", &out],
        "small.y4m",
    );
    let one = format!("1={}", s("object1.y4m"));
    // A usage error (clap's exit code 2) naming the range.
    let zero = format!("0={}", s("object1.y4m"));
    let bad = tessera(&["encode", &video, "--object", &zero, "--output", &out]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1-31"));
    fails(
        &[
            "encode", &video, "--object", &one, "--object", &one, "--output", &out,
        ],
        "twice",
    );
    fails(
        &[
            "encode",
            &video,
            "--object",
            &one,
            "--binary-only",
            "2",
            "--output",
            &out,
        ],
        "no object 2",
    );
    fails(
        &["encode", &video, "--binary-only", "2", "--output", "x.m4v"],
        "--object",
    );
    // A manifest that is not one, and one naming a missing object.
    std::fs::write(dir.path().join("bad.json"), "{\"width\": 3}").unwrap();
    let composed = dir.path().join("c.y4m").to_str().unwrap().to_string();
    fails(
        &[
            "compose",
            dir.path().join("bad.json").to_str().unwrap(),
            "--output",
            &composed,
        ],
        "manifest",
    );
    ok(&["encode", &video, "--object", &one, "--output", &out]);
    let manifest = format!("{out}/scene.json");
    fails(
        &["compose", &manifest, "--output", &composed, "--object", "5"],
        "no object 5",
    );
    // A shaped stream alone is no video to decode: compose it.
    let object = format!("{out}/object1.m4v");
    fails(
        &["decode", &object, "--output", &composed],
        "tessera compose",
    );
}

#[test]
fn pgm_mask_sequences_work_like_y4m_masks() {
    let dir = temp_dir();
    let (scene, out) = (dir.path().join("scene"), dir.path().join("out"));
    gen_scene(&scene, "5", "6");
    let (_, masks) = read_y4m(&scene.join("object2.y4m"));
    // Numbered from 1, as many tools write them.
    for (i, f) in masks.iter().enumerate() {
        let file = std::fs::File::create(dir.path().join(format!("m_{:03}.pgm", i + 1))).unwrap();
        tessera_container::pgm::write_pgm(file, &f.planes[0]).unwrap();
    }
    let pattern = format!("2={}/m_%03d.pgm", dir.path().display());
    ok(&[
        "encode",
        scene.join("scene.y4m").to_str().unwrap(),
        "--object",
        &pattern,
        "--output",
        out.to_str().unwrap(),
    ]);
    let decoded = decoded_alpha(&out.join("scene.json"), 2, dir.path());
    assert!(luma(&decoded) == luma(&masks));
}
