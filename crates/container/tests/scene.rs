//! `scene::SceneReader` on files written from `tessera_core::scene`: what
//! it reads back is what was generated, and the limits hold.

use std::fs::File;
use std::path::Path;

use tessera_container::Error;
use tessera_container::pgm::write_pgm;
use tessera_container::scene::{
    MaskSource, SceneReader, SceneShapes, SceneSources, ShapePlanes, validate,
};
use tessera_container::y4m::{Y4mHeader, Y4mWriter};
use tessera_core::scene::{Scene, SceneSpec};
use tessera_core::{ChromaFormat, Frame, Limits, Plane};
use tessera_testkit::temp_dir;

const SPEC: SceneSpec = SceneSpec {
    width: 40,
    height: 30,
    frames: 5,
    rate: tessera_core::Rational { num: 25, den: 1 },
    objects: 2,
    seed: 9,
};

/// Writes scene.y4m, object1.y4m, mask2_0.pgm ... and labels.y4m.
fn write_scene(dir: &Path) -> Scene {
    let scene = Scene::new(SPEC).unwrap();
    let header = Y4mHeader::new(40, 30, SPEC.rate, ChromaFormat::Yuv420);
    let create =
        |name: &str| Y4mWriter::new(File::create(dir.join(name)).unwrap(), &header).unwrap();
    let (mut video, mut mask1, mut labels) = (
        create("scene.y4m"),
        create("object1.y4m"),
        create("labels.y4m"),
    );
    let with_luma = |luma: &Plane| {
        let mut f = Frame::grey(40, 30, ChromaFormat::Yuv420);
        f.planes[0] = luma.clone();
        f
    };
    for f in scene.frames() {
        video.write_frame(&f.frame).unwrap();
        mask1.write_frame(&with_luma(&f.masks[0])).unwrap();
        labels.write_frame(&with_luma(&f.labels)).unwrap();
        let pgm = File::create(dir.join(format!("mask2_{}.pgm", f.index))).unwrap();
        write_pgm(pgm, &f.masks[1]).unwrap();
    }
    for w in [video, mask1, labels] {
        w.into_inner().unwrap();
    }
    scene
}

fn mask_sources(dir: &Path) -> SceneSources {
    SceneSources {
        video: dir.join("scene.y4m"),
        shapes: SceneShapes::Masks(vec![
            MaskSource::Y4m(dir.join("object1.y4m")),
            MaskSource::PgmSequence {
                pattern: dir.join("mask2_%d.pgm").to_str().unwrap().into(),
                first: 0,
            },
        ]),
    }
}

#[test]
fn reads_back_what_was_generated() {
    let dir = temp_dir();
    let scene = write_scene(dir.path());
    let mut reader = SceneReader::open(&mask_sources(dir.path()), Limits::default()).unwrap();
    assert_eq!(reader.objects(), 2);
    for expected in scene.frames() {
        let got = reader.read_frame().unwrap().expect("a frame");
        assert_eq!(got.index, u64::from(expected.index));
        assert_eq!(got.frame, expected.frame);
        assert_eq!(got.shapes, ShapePlanes::Masks(expected.masks));
    }
    assert!(reader.read_frame().unwrap().is_none());

    let labels = SceneSources {
        video: dir.path().join("scene.y4m"),
        shapes: SceneShapes::Labels {
            path: dir.path().join("labels.y4m"),
            objects: 2,
        },
    };
    let mut reader = SceneReader::open(&labels, Limits::default()).unwrap();
    for expected in scene.frames() {
        let got = reader.read_frame().unwrap().unwrap();
        assert_eq!(got.shapes, ShapePlanes::Labels(expected.labels));
    }
    assert!(reader.read_frame().unwrap().is_none());
    let summary = validate(&labels, Limits::default()).unwrap();
    assert_eq!(summary.present.len(), 2);
}

#[test]
fn limits_bound_what_is_held() {
    let dir = temp_dir();
    write_scene(dir.path());
    let sources = mask_sources(dir.path());
    // One frame (1800 bytes of 4:2:0) and two masks (2400) must fit.
    let tight = Limits {
        max_bytes: 4199,
        ..Limits::default()
    };
    let err = SceneReader::open(&sources, tight).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    assert!(
        SceneReader::open(
            &sources,
            Limits {
                max_bytes: 4200,
                ..tight
            }
        )
        .is_ok()
    );
    let small = Limits {
        max_dimension: 32,
        ..Limits::default()
    };
    let err = validate(&sources, small).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("scene.y4m") && text.contains("over the limit"),
        "{text}"
    );

    let none = SceneSources {
        shapes: SceneShapes::Masks(Vec::new()),
        ..sources.clone()
    };
    assert!(matches!(
        validate(&none, Limits::default()),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn stops_after_the_first_error() {
    let dir = temp_dir();
    write_scene(dir.path());
    std::fs::write(dir.path().join("mask2_2.pgm"), b"P5\n40 30\n255\n").unwrap();
    let mut reader = SceneReader::open(&mask_sources(dir.path()), Limits::default()).unwrap();
    assert!(reader.read_frame().unwrap().is_some());
    assert!(reader.read_frame().unwrap().is_some());
    let err = reader.read_frame().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("mask2_2.pgm, frame 2") && text.contains("truncated"),
        "{text}"
    );
    assert!(reader.read_frame().unwrap().is_none());
}
