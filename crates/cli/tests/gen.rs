//! `tessera gen scene` as a process: the files it writes, read by ffprobe
//! and by tessera's own scene validation ([`tessera_container::scene`]),
//! which must also refuse inputs that do not fit the scene.

use std::fs::File;
use std::path::{Path, PathBuf};

use tessera_container::Error;
use tessera_container::pgm::write_pgm;
use tessera_container::scene::{MaskSource, SceneShapes, SceneSources, validate};
use tessera_core::{Frame, Limits};
use tessera_testkit::{ffprobe_size_and_frames, temp_dir};

mod common;
use common::{read_y4m, tessera, write_y4m};

/// Runs `tessera gen scene --output DIR ARGS...` and returns its stdout.
fn gen_scene(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["gen", "scene", "--output", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = tessera(&all);
    assert!(
        out.status.success(),
        "tessera {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SMALL: [&str; 8] = [
    "--size",
    "96x64",
    "--frames",
    "8",
    "--objects",
    "3",
    "--seed",
    "5",
];

fn masks(dir: &Path, objects: usize) -> SceneSources {
    SceneSources {
        video: dir.join("scene.y4m"),
        shapes: SceneShapes::Masks(
            (1..=objects)
                .map(|k| MaskSource::Y4m(dir.join(format!("object{k}.y4m"))))
                .collect(),
        ),
    }
}

fn with_mask(dir: &Path, k: usize, mask: PathBuf) -> SceneSources {
    let mut sources = masks(dir, 3);
    if let SceneShapes::Masks(m) = &mut sources.shapes {
        m[k - 1] = MaskSource::Y4m(mask);
    }
    sources
}

/// Validation fails with an [`Error::Scene`] whose message names `path`
/// and holds every one of `needles`.
fn refused(sources: &SceneSources, path: &Path, needles: &[&str]) {
    let err = validate(sources, Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Scene { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "expected {needle:?} in {text}");
    }
}

#[test]
fn writes_the_scene_masks_and_labels_ffprobe_reads() {
    let dir = temp_dir();
    let out = dir.path().join("scene");
    let summary = gen_scene(&out, &SMALL);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(summary.contains("8 frames 96x64 at 25 fps"), "{summary}");
    assert!(summary.contains("3 masks"), "{summary}");
    for name in ["scene", "object1", "object2", "object3", "labels"] {
        let path = out.join(format!("{name}.y4m"));
        assert_eq!(ffprobe_size_and_frames(&path), "96,64,8", "{name}");
    }
    assert!(!out.join("object4.y4m").exists());
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = temp_dir();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    gen_scene(&a, &SMALL);
    gen_scene(&b, &SMALL);
    let mut other = SMALL;
    other[7] = "6";
    gen_scene(&c, &other);
    for name in ["scene", "object1", "object2", "object3", "labels"] {
        let file = format!("{name}.y4m");
        let bytes = std::fs::read(a.join(&file)).unwrap();
        assert_eq!(bytes, std::fs::read(b.join(&file)).unwrap(), "{file}");
    }
    assert_ne!(
        std::fs::read(a.join("scene.y4m")).unwrap(),
        std::fs::read(c.join("scene.y4m")).unwrap()
    );
}

#[test]
fn masks_are_binary_and_agree_with_the_label_map() {
    let dir = temp_dir();
    let out = dir.path();
    gen_scene(out, &SMALL);
    let (_, labels) = read_y4m(&out.join("labels.y4m"));
    let masks: Vec<Vec<Frame>> = (1..=3)
        .map(|k| read_y4m(&out.join(format!("object{k}.y4m"))).1)
        .collect();
    let mut absent = 0;
    for (i, label) in labels.iter().enumerate() {
        for plane in label.planes[1..]
            .iter()
            .chain(masks.iter().flat_map(|m| &m[i].planes[1..]))
        {
            assert!(plane.data.iter().all(|&v| v == 128), "neutral chroma");
        }
        for (at, &l) in label.planes[0].data.iter().enumerate() {
            let mut front = 0;
            for (k, mask) in masks.iter().enumerate() {
                match mask[i].planes[0].data[at] {
                    255 => front = k + 1,
                    0 => {}
                    v => panic!("object{} frame {i} holds {v}", k + 1),
                }
            }
            assert_eq!(usize::from(l), front, "frame {i} sample {at}");
        }
        absent += masks
            .iter()
            .filter(|m| m[i].planes[0].data.iter().all(|&v| v == 0))
            .count();
    }
    assert!(absent > 0, "a crossing object is absent in some frame");
}

#[test]
fn validation_accepts_what_gen_writes_in_every_form() {
    let dir = temp_dir();
    let out = dir.path();
    gen_scene(out, &SMALL);
    let summary = validate(&masks(out, 3), Limits::default()).unwrap();
    assert_eq!((summary.width, summary.height, summary.frames), (96, 64, 8));
    assert_eq!(summary.objects, 3);
    assert!(summary.present.iter().all(|&n| n > 0), "{summary:?}");
    assert!(summary.present.iter().any(|&n| n < 8), "{summary:?}");

    let labels = SceneSources {
        video: out.join("scene.y4m"),
        shapes: SceneShapes::Labels {
            path: out.join("labels.y4m"),
            objects: 3,
        },
    };
    let by_labels = validate(&labels, Limits::default()).unwrap();
    assert_eq!((by_labels.frames, by_labels.objects), (8, 3));

    // Object 2 as a PGM sequence numbered from 1.
    let (_, frames) = read_y4m(&out.join("object2.y4m"));
    for (i, f) in frames.iter().enumerate() {
        let path = out.join(format!("mask2_{:03}.pgm", i + 1));
        write_pgm(File::create(path).unwrap(), &f.planes[0]).unwrap();
    }
    let mut sources = masks(out, 3);
    let pattern = out.join("mask2_%03d.pgm").to_str().unwrap().to_string();
    if let SceneShapes::Masks(m) = &mut sources.shapes {
        m[1] = MaskSource::PgmSequence { pattern, first: 1 };
    }
    assert_eq!(validate(&sources, Limits::default()).unwrap(), summary);

    // A missing PGM, and one too many.
    let fifth = out.join("mask2_005.pgm");
    std::fs::rename(&fifth, out.join("aside.pgm")).unwrap();
    refused(&sources, &fifth, &["frame 4", "cannot open"]);
    std::fs::rename(out.join("aside.pgm"), &fifth).unwrap();
    let ninth = out.join("mask2_009.pgm");
    std::fs::copy(&fifth, &ninth).unwrap();
    refused(&sources, &ninth, &["more frames than the scene"]);
    std::fs::remove_file(&ninth).unwrap();
    // A PGM of the wrong size.
    write_pgm(
        File::create(out.join("mask2_003.pgm")).unwrap(),
        &tessera_core::Plane::filled(10, 10, 0),
    )
    .unwrap();
    refused(
        &sources,
        &out.join("mask2_003.pgm"),
        &["frame 2", "10x10", "96x64"],
    );
}

#[test]
fn validation_refuses_masks_that_do_not_fit() {
    let dir = temp_dir();
    let d = dir.path();
    let out = d.join("ok");
    gen_scene(&out, &SMALL);
    let variant = |name: &str, change: &[&str]| -> PathBuf {
        let mut args: Vec<&str> = SMALL.to_vec();
        for pair in change.chunks(2) {
            let at = args.iter().position(|a| *a == pair[0]).unwrap();
            args[at + 1] = pair[1];
        }
        let folder = d.join(name);
        gen_scene(&folder, &args);
        folder.join("object1.y4m")
    };

    let size = variant("size", &["--size", "80x64"]);
    refused(
        &with_mask(&out, 1, size.clone()),
        &size,
        &["80x64", "96x64"],
    );
    let short = variant("short", &["--frames", "6"]);
    refused(
        &with_mask(&out, 1, short.clone()),
        &short,
        &["frame 6", "ends after 6 frames"],
    );
    let long = variant("long", &["--frames", "9"]);
    refused(
        &with_mask(&out, 1, long.clone()),
        &long,
        &["more frames than the scene"],
    );
    let rate = d.join("rate");
    gen_scene(&rate, &[&SMALL[..], &["--fps", "30000/1001"]].concat());
    let rate = rate.join("object1.y4m");
    refused(
        &with_mask(&out, 1, rate.clone()),
        &rate,
        &["frame rate 30000/1001", "25"],
    );

    // One grey sample in frame 3 of object 2's mask.
    let (header, mut frames) = read_y4m(&out.join("object2.y4m"));
    frames[3].planes[0].row_mut(2)[7] = 128;
    let grey = d.join("grey.y4m");
    write_y4m(&grey, &header, &frames);
    refused(
        &with_mask(&out, 2, grey.clone()),
        &grey,
        &["frame 3", "(7, 2)", "128", "not 0 or 255"],
    );

    // Labels naming more objects than declared.
    let labels = SceneSources {
        video: out.join("scene.y4m"),
        shapes: SceneShapes::Labels {
            path: out.join("labels.y4m"),
            objects: 2,
        },
    };
    refused(
        &labels,
        &out.join("labels.y4m"),
        &["is 3", "above the 2 declared objects"],
    );

    // A file that is not there, or not Y4M.
    let missing = d.join("missing.y4m");
    refused(
        &with_mask(&out, 3, missing.clone()),
        &missing,
        &["cannot open"],
    );
    let junk = d.join("junk.y4m");
    std::fs::write(&junk, b"P5\n1 1\n255\n\0").unwrap();
    refused(
        &with_mask(&out, 3, junk.clone()),
        &junk,
        &["YUV4MPEG2 signature"],
    );
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let dir = temp_dir();
    let out = dir.path().to_str().unwrap();
    for (args, needle) in [
        (vec!["--size", "0x64"], "invalid size"),
        (vec!["--size", "96"], "invalid size"),
        (vec!["--objects", "256"], "256"),
        (vec!["--frames", "0"], "0"),
    ] {
        let mut all = vec!["gen", "scene", "--output", out];
        all.extend(args);
        let result = tessera(&all);
        assert!(!result.status.success(), "{all:?}");
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(stderr.contains(needle), "{all:?}: {stderr}");
    }
}
